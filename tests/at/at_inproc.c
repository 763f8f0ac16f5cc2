/*
 * at_inproc.c -- play QuickFIX acceptance test definitions (.def files)
 * directly against the session state machine, without sockets.
 *
 *	at_inproc [-v] FILE.def...
 *
 * The driver stands in for the engine and the network.  It knows the
 * sessions of the suite's acceptor (SenderCompID ISLD, one session per
 * counterparty with its version's dictionary, ResetOnLogon=Y) and routes a
 * connection's first Logon by BeginString and CompIDs, as the engine does:
 * one fixu_sess per session, one transport per connection id, a second
 * connection for a session that is already connected is closed, and so is
 * a connection whose first bytes cannot be framed (they cannot be a
 * Logon).  Bytes written on a connection are framed with fixu_frame() as
 * the engine frames a socket's input; what the session sends is queued
 * per connection and compared, message by message, with the E lines.
 * Outbound messages are kept in memory for ResendRequests, and delivered
 * application messages go to the suite's echo application (echo.h), whose
 * replies are sent back through the session.
 *
 * Time is simulated: real time starts at the host's clock (so <TIME> in a
 * definition agrees with the session's SendingTime checks) and only moves
 * when a line waits for the engine: then the clock jumps to the earliest
 * session deadline and the sessions are ticked, up to 20 s for an E line
 * and 10 s for eDISCONNECT, so the heartbeat tests take no real time.
 *
 * Output is TAP, one test per file; a failure names the first mismatch.
 * The Makefile builds it with the echo application:
 *
 *	make BUILD=build build/tests/at_inproc
 *	FIXUTIL_DICT_PATH=dicts build/tests/at_inproc DEF-FILE...
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "dict.h"
#include "echo.h"
#include "err.h"
#include "session.h"

#define NS		1000000000LL
#define NCONN		10
#define WAIT_E		(20 * NS)
#define WAIT_DISC	(10 * NS)

/* The counterparties of the suite's acceptor. */
static const struct cpty {
	const char	*comp;
	const char	*begin;
	const char	*applverid;	/* DefaultApplVerID we send (FIXT) */
	int		 novalues;	/* ValidateFieldsHaveValues=N */
} cptys[] = {
	{ "TW40", "FIX.4.0", "", 0 },
	{ "TW41", "FIX.4.1", "", 0 },
	{ "TW42", "FIX.4.2", "", 0 },
	{ "TW43", "FIX.4.3", "", 0 },
	{ "TW44", "FIX.4.4", "", 0 },
	{ "TW50", "FIXT.1.1", "7", 0 },
	{ "TW50SP1", "FIXT.1.1", "8", 0 },
	{ "TW50SP2", "FIXT.1.1", "9", 0 },
	{ "TW", "FIX.4.4", "", 0 },
	{ "NO_CHECK_FIELDS_HAVE_VALUES", "FIX.4.4", "", 1 },
};
#define NCPTY	(sizeof(cptys) / sizeof(cptys[0]))

struct blob {
	uint64_t	 seq;
	char		*p;
	size_t		 n;
};

struct blobs {
	struct blob	*v;
	size_t		 n, cap, head;
};

struct xsess;

struct conn {
	int		 open;		/* iCONNECT and not closed since */
	struct xsess	*x;		/* bound by its Logon */
	struct fixu_buf	 in;		/* written, not framed yet */
	struct blobs	 out;		/* sent by the engine, not read */
};

struct xsess {
	const struct cpty	*cp;
	struct fixu_sess	*s;
	struct at_echo		*echo;
	struct conn		*c;
	struct blobs		 store;	/* outbound messages, current epoch */
	uint64_t		 next_out, next_in;
	int64_t			 epoch_start;
};

static struct {
	int		 verbose;
	struct fixu_dicts *dicts;
	struct fixu_now	 now;
	struct conn	 conns[NCONN];
	struct xsess	 xs[NCPTY];
	regex_t		 re[16];
	uint32_t	 retag[16];
	int		 nre;
	char		 fail[2048];
	int		 failed;
	int		 line;
} T;

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	if (!T.verbose)
		return;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list ap;
	int r;

	if (T.failed)
		return;
	T.failed = 1;
	r = snprintf(T.fail, sizeof(T.fail), "line %d: ", T.line);
	if (r < 0 || (size_t)r >= sizeof(T.fail))
		r = 0;
	va_start(ap, fmt);
	(void)vsnprintf(T.fail + r, sizeof(T.fail) - (size_t)r, fmt, ap);
	va_end(ap);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		perror("at_inproc");
		exit(2);
	}
	return p;
}

/* A copy with SOH shown as '|', for messages. */
static const char *
shown(const char *p, size_t n, char *buf, size_t bn)
{
	size_t i;

	if (bn == 0)
		return "";
	for (i = 0; i < n && i + 1 < bn; i++)
		buf[i] = p[i] == FIXU_SOH ? '|' : p[i];
	buf[i] = '\0';
	return buf;
}

static void
blobs_push(struct blobs *b, uint64_t seq, const char *p, size_t n)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		if ((b->v = realloc(b->v, b->cap * sizeof(*b->v))) == NULL) {
			perror("at_inproc");
			exit(2);
		}
	}
	b->v[b->n].seq = seq;
	b->v[b->n].p = xmalloc(n);
	memcpy(b->v[b->n].p, p, n);
	b->v[b->n].n = n;
	b->n++;
}

static void
blobs_clear(struct blobs *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].p);
	b->n = b->head = 0;
}

static void
blobs_free(struct blobs *b)
{
	blobs_clear(b);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* ---- the engine's side --------------------------------------------------- */

static int
fetch_out(void *arg, uint64_t from, uint64_t to,
    int (*each)(void *, uint64_t, const char *, size_t), void *ctx)
{
	struct xsess *x = arg;
	size_t i;

	for (i = 0; i < x->store.n; i++) {
		struct blob *b = &x->store.v[i];

		if (b->seq < from || (to != 0 && b->seq > to))
			continue;
		if (each(ctx, b->seq, b->p, b->n) != 0)
			break;
	}
	return 0;
}

struct replies {
	struct blobs	 b;
};

static void
collect(void *arg, const char *msg, size_t n)
{
	struct replies *r = arg;

	blobs_push(&r->b, 0, msg, n);
}

static void conn_close(struct conn *, int);

/* Carry out the actions of the event just handled by x's session. */
static void
apply(struct xsess *x)
{
	const struct fixu_act *a;
	struct replies rep;
	struct fixu_diag d;
	size_t i, n;
	int down = 0;
	char buf[4096];

	memset(&rep, 0, sizeof(rep));
	n = fixu_sess_actions(x->s, &a);
	for (i = 0; i < n; i++, a++) {
		switch (a->kind) {
		case FIXU_ACT_SEND:
			if (a->flags & FIXU_ACT_F_STORE) {
				blobs_push(&x->store, a->seq, a->data.p,
				    a->data.n);
				if (a->seq >= x->next_out)
					x->next_out = a->seq + 1;
			}
			say("%s out%s: %s", x->cp->comp,
			    a->flags & FIXU_ACT_F_NOTX ? " (stored only)" : "",
			    shown(a->data.p, a->data.n, buf, sizeof(buf)));
			if (!(a->flags & FIXU_ACT_F_NOTX) && x->c != NULL &&
			    x->c->open)
				blobs_push(&x->c->out, a->seq, a->data.p,
				    a->data.n);
			break;
		case FIXU_ACT_STORE_IN:
			if (a->seq >= x->next_in)
				x->next_in = a->seq + 1;
			break;
		case FIXU_ACT_DELIVER:
			if (at_echo(x->echo, a->data.p, a->data.n, collect,
			    &rep) != 0)
				fail("echo application cannot parse %s",
				    shown(a->data.p, a->data.n, buf,
				    sizeof(buf)));
			break;
		case FIXU_ACT_SET_NEXT:
			if (a->next_out)
				x->next_out = a->next_out;
			if (a->next_in)
				x->next_in = a->next_in;
			break;
		case FIXU_ACT_RESET:
			blobs_clear(&x->store);
			x->next_out = x->next_in = 1;
			x->epoch_start = T.now.real;
			say("%s reset: %.*s", x->cp->comp, (int)a->data.n,
			    a->data.p);
			break;
		case FIXU_ACT_EVENT:
			say("%s %s: %.*s", x->cp->comp, a->name,
			    (int)a->data.n, a->data.p);
			break;
		case FIXU_ACT_STATE:
			break;
		case FIXU_ACT_DISCONNECT:
			down = 1;
			break;
		}
	}
	fixu_sess_actions_clear(x->s);
	for (i = 0; i < rep.b.n; i++) {
		if (fixu_sess_send(x->s, &T.now, rep.b.v[i].p, rep.b.v[i].n,
		    &d) != 0)
			fail("session refused the echo %s: %s",
			    shown(rep.b.v[i].p, rep.b.v[i].n, buf, sizeof(buf)),
			    d.msg);
		apply(x);
	}
	blobs_free(&rep.b);
	if (down && x->c != NULL)
		conn_close(x->c, 1);
}

/* Close a connection: by the engine (DISCONNECT) or by the peer. */
static void
conn_close(struct conn *c, int by_engine)
{
	struct xsess *x = c->x;

	if (!c->open)
		return;
	c->open = 0;
	c->in.len = 0;
	say("connection closed by %s", by_engine ? "the engine" : "the peer");
	if (x == NULL)
		return;
	c->x = NULL;
	x->c = NULL;
	if (fixu_sess_disconnected(x->s, &T.now) != 0)
		fail("fixu_sess_disconnected failed");
	apply(x);
}

static struct xsess *
xsess_get(const struct cpty *cp)
{
	struct xsess *x = &T.xs[cp - cptys];
	struct fixu_sess_cfg cfg;
	struct fixu_sess_ops ops;
	struct fixu_diag d;

	if (x->s != NULL)
		return x;
	memset(&cfg, 0, sizeof(cfg));
	(void)snprintf(cfg.sid.begin, sizeof(cfg.sid.begin), "%s", cp->begin);
	(void)snprintf(cfg.sid.sender, sizeof(cfg.sid.sender), "ISLD");
	(void)snprintf(cfg.sid.target, sizeof(cfg.sid.target), "%s",
	    cp->comp);
	cfg.reset_on_logon = 1;
	cfg.check_compid = 1;
	cfg.check_latency = 1;
	cfg.max_latency = 120;
	cfg.persist_messages = 1;
	cfg.ts_decimals = -1;
	cfg.validate = 1;
	cfg.vflags = FIXU_V_ALL;
	if (cp->novalues)
		cfg.vflags &= ~(unsigned)FIXU_V_HAVE_VALUES;
	cfg.dicts = T.dicts;
	(void)snprintf(cfg.default_applverid, sizeof(cfg.default_applverid),
	    "%s", cp->applverid);
	memset(&ops, 0, sizeof(ops));
	ops.fetch_out = fetch_out;
	ops.arg = x;
	if (fixu_sess_new(&x->s, &cfg, &ops, &d) != 0) {
		fail("fixu_sess_new: %s", d.msg);
		return NULL;
	}
	if ((x->echo = at_echo_new()) == NULL) {
		perror("at_inproc");
		exit(2);
	}
	x->cp = cp;
	x->next_out = x->next_in = 1;
	x->epoch_start = T.now.real;
	return x;
}

/* A Logon on a connection no session owns yet: find its session. */
static void
route(struct conn *c, const char *p, size_t n)
{
	struct fixu_msg m;
	struct fixu_str b, ty, snd, tgt;
	struct xsess *x;
	size_t i;
	int rc;

	fixu_msg_init(&m);
	rc = fixu_msg_parse(&m, p, n, FIXU_SOH, NULL, 0, NULL);
	if (rc != 0 && rc != FIXU_EBODYLEN && rc != FIXU_ECHECKSUM) {
		say("first message unreadable: %s", fixu_strerror(rc));
		goto close;
	}
	ty = fixu_msg_get(&m, 35);
	b = fixu_msg_get(&m, 8);
	snd = fixu_msg_get(&m, 49);
	tgt = fixu_msg_get(&m, 56);
	if (!fixu_str_eq(ty, "A")) {
		say("first message is not a Logon");
		goto close;
	}
	for (i = 0; i < NCPTY; i++)
		if (fixu_str_eq(b, cptys[i].begin) &&
		    fixu_str_eq(snd, cptys[i].comp) &&
		    fixu_str_eq(tgt, "ISLD"))
			break;
	if (i == NCPTY) {
		say("Logon for no configured session");
		goto close;
	}
	if ((x = xsess_get(&cptys[i])) == NULL)
		goto close;
	if (x->c != NULL) {
		say("Logon for a session that is already connected");
		goto close;
	}
	fixu_msg_fini(&m);
	c->x = x;
	x->c = c;
	fixu_sess_restore(x->s, x->next_out, x->next_in, x->epoch_start);
	if (fixu_sess_connected(x->s, &T.now) != 0)
		fail("fixu_sess_connected failed");
	apply(x);
	if (x->c != c)
		return;
	if (fixu_sess_recv(x->s, &T.now, p, n, 0) != 0)
		fail("fixu_sess_recv failed");
	apply(x);
	return;
close:
	fixu_msg_fini(&m);
	conn_close(c, 1);
}

/* Bytes written by the peer on c: frame and feed them. */
static void
conn_write(struct conn *c, const char *p, size_t n)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off = 0;
	int rc;

	if (!c->open)
		return;
	if (fixu_buf_append(&c->in, p, n) != 0) {
		fail("input buffer full");
		return;
	}
	while (c->open && off < c->in.len) {
		rc = fixu_frame(c->in.p + off, c->in.len - off, 0, &fr, &d);
		if (rc == FIXU_EAGAIN) {
			if (fr.start >= c->in.len - off)
				off += c->in.len - off > 8 ?
				    c->in.len - off - 8 : 0;
			else
				off += fr.start;
			break;
		}
		if (rc != 0) {
			say("framing: %s", d.msg);
			if (c->x != NULL) {
				(void)fixu_sess_garbled(c->x->s, &T.now, &d);
				apply(c->x);
			} else {
				/* Bytes that cannot be a Logon, where only a
				   Logon may come: nobody to route them to. */
				conn_close(c, 1);
				break;
			}
			off += fr.skip > 0 ? fr.skip : 1;
			continue;
		}
		if (c->x == NULL)
			route(c, c->in.p + off + fr.start, fr.len);
		else {
			if (fixu_sess_recv(c->x->s, &T.now, c->in.p + off +
			    fr.start, fr.len, 0) != 0)
				fail("fixu_sess_recv failed");
			apply(c->x);
		}
		off += fr.start + fr.len;
	}
	if (!c->open)
		return;
	if (off > 0) {
		memmove(c->in.p, c->in.p + off, c->in.len - off);
		c->in.len -= off;
	}
}

/* Let virtual time pass until deadline (relative), ticking sessions,
   or until stop() says so.  Returns 1 when stop() said so. */
static int
wait_until(int64_t budget, int (*stop)(void *), void *arg)
{
	int64_t start = T.now.mono, dl, t;
	size_t i;
	int spins = 0;

	for (;;) {
		if (stop(arg))
			return 1;
		dl = INT64_MAX;
		for (i = 0; i < NCPTY; i++)
			if (T.xs[i].s != NULL &&
			    (t = fixu_sess_deadline(T.xs[i].s)) < dl)
				dl = t;
		if (dl == INT64_MAX || dl - start > budget)
			return stop(arg);
		if (dl > T.now.mono) {
			T.now.real += dl - T.now.mono;
			T.now.mono = dl;
			spins = 0;
		} else if (++spins > 1000) {
			/* A deadline that ticking does not move. */
			T.now.real += 1000000;
			T.now.mono += 1000000;
		}
		for (i = 0; i < NCPTY; i++)
			if (T.xs[i].s != NULL &&
			    fixu_sess_deadline(T.xs[i].s) <= T.now.mono) {
				if (fixu_sess_tick(T.xs[i].s, &T.now) != 0)
					fail("fixu_sess_tick failed");
				apply(&T.xs[i]);
			}
	}
}

static int
has_output(void *arg)
{
	struct conn *c = arg;

	return c->out.head < c->out.n || !c->open;
}

/* ---- definitions --------------------------------------------------------- */

static void
load_fields(const char *def)
{
	static const char *const builtin[] = {
		"10=\\d{3}", "42=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
		("52=\\d{8}-\\d{2}:\\d{2}:\\d{2}|\\d{8}-\\d{2}:\\d{2}:\\d{2}"
		"[.]\\d{3}"),
		"60=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
		"122=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
	};
	char path[4096], line[1024], re[2048];
	const char *slash;
	FILE *f = NULL;
	size_t i, k, nb = 0;
	int r;

	if (T.nre > 0)
		return;
	/* fields.fmt sits two directories above server/<version>/. */
	if ((slash = strrchr(def, '/')) != NULL) {
		r = snprintf(path, sizeof(path), "%.*s/../../fields.fmt",
		    (int)(slash - def), def);
		if (r > 0 && (size_t)r < sizeof(path))
			f = fopen(path, "r");
	}
	for (;;) {
		const char *l;
		char *eq;

		if (f != NULL) {
			if (fgets(line, sizeof(line), f) == NULL)
				break;
			line[strcspn(line, "\r\n")] = '\0';
			l = line;
		} else {
			if (nb == sizeof(builtin) / sizeof(builtin[0]))
				break;
			l = builtin[nb++];
		}
		if ((eq = strchr(l, '=')) == NULL || T.nre == 16)
			continue;
		/* POSIX EREs have no \d; anchored at the start only, as the
		   suite's 122 pattern has no milliseconds but its values do. */
		k = 0;
		re[k++] = '^';
		re[k++] = '(';
		for (i = (size_t)(eq - l) + 1; l[i] != '\0' &&
		    k + 8 < sizeof(re); i++) {
			if (l[i] == '\\' && l[i + 1] == 'd') {
				memcpy(re + k, "[0-9]", 5);
				k += 5;
				i++;
			} else
				re[k++] = l[i];
		}
		re[k++] = ')';
		re[k] = '\0';
		if (regcomp(&T.re[T.nre], re, REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		T.retag[T.nre++] = (uint32_t)strtoul(l, NULL, 10);
	}
	if (f != NULL)
		fclose(f);
}

/* Replace <TIME>, <TIME+N>, <TIME-N> with the virtual time. */
static void
subst(const char *in, struct fixu_buf *out)
{
	const char *p = in, *q, *e;
	struct timespec ts;
	char tb[40];
	long off;
	size_t n;

	fixu_buf_reset(out);
	while ((q = strstr(p, "<TIME")) != NULL &&
	    (e = strchr(q, '>')) != NULL) {
		(void)fixu_buf_append(out, p, (size_t)(q - p));
		off = 0;
		if (q[5] == '+' || q[5] == '-')
			off = strtol(q + 5, NULL, 10);
		ts.tv_sec = (time_t)(T.now.real / NS + off);
		ts.tv_nsec = 0;
		n = fixu_time_fmt(tb, &ts, 0);
		(void)fixu_buf_append(out, tb, n);
		p = e + 1;
	}
	(void)fixu_buf_puts(out, p);
}

/* Insert BodyLength after BeginString and append CheckSum when absent. */
static void
complete(struct fixu_buf *m)
{
	struct fixu_buf o;
	size_t b, tail, i;
	const char *p;
	int has9 = 0, has10 = 0;
	unsigned sum;

	if (m->len < 2 || memcmp(m->p, "8=", 2) != 0)
		return;
	p = m->p;
	for (i = 0; i + 2 < m->len; i++)
		if ((i == 0 || p[i - 1] == FIXU_SOH) && p[i] == '9' &&
		    p[i + 1] == '=')
			has9 = 1;
	tail = m->len;
	for (i = m->len - 1; i > 0; i--)
		if (p[i - 1] == FIXU_SOH) {
			if (memcmp(p + i, "10=", 3) == 0 && i + 3 <= m->len) {
				has10 = 1;
				tail = i;
			}
			break;
		}
	fixu_buf_init(&o, 0);
	if (!has9) {
		const char *soh = memchr(p, FIXU_SOH, m->len);

		if (soh == NULL) {
			fixu_buf_fini(&o);
			return;
		}
		b = (size_t)(soh - p) + 1;
		(void)fixu_buf_append(&o, p, b);
		(void)fixu_buf_printf(&o, "9=%zu\001", tail - b);
		(void)fixu_buf_append(&o, p + b, m->len - b);
	} else
		(void)fixu_buf_append(&o, p, m->len);
	if (!has10) {
		sum = fixu_checksum(o.p, o.len, FIXU_SOH);
		(void)fixu_buf_printf(&o, "10=%03u\001", sum);
	}
	fixu_buf_reset(m);
	(void)fixu_buf_append(m, o.p, o.len);
	fixu_buf_fini(&o);
}

static int
pattern(uint32_t tag)
{
	int i;

	for (i = 0; i < T.nre; i++)
		if (T.retag[i] == tag)
			return i;
	return -1;
}

/* Compare field by field; 0 when equal, else a description in why. */
static int
compare(const char *exp, size_t en, const char *got, size_t gn, char *why,
    size_t wn)
{
	const char *e = exp, *g = got, *ee = exp + en, *ge = got + gn;
	const char *ef, *gf, *eq1, *eq2;
	char vbuf[512];
	int k, nf = 0;

	while (e < ee && g < ge) {
		ef = memchr(e, FIXU_SOH, (size_t)(ee - e));
		gf = memchr(g, FIXU_SOH, (size_t)(ge - g));
		if (ef == NULL)
			ef = ee;
		if (gf == NULL)
			gf = ge;
		nf++;
		eq1 = memchr(e, '=', (size_t)(ef - e));
		eq2 = memchr(g, '=', (size_t)(gf - g));
		if (eq1 == NULL || eq2 == NULL || eq1 - e != eq2 - g ||
		    memcmp(e, g, (size_t)(eq1 - e)) != 0) {
			(void)snprintf(why, wn, "field %d: expected tag %.*s, "
			    "got %.*s", nf, (int)(eq1 ? eq1 - e : ef - e), e,
			    (int)(eq2 ? eq2 - g : gf - g), g);
			return -1;
		}
		k = pattern((uint32_t)strtoul(e, NULL, 10));
		if (k >= 0) {
			size_t vn = (size_t)(gf - eq2 - 1);

			if (vn >= sizeof(vbuf))
				vn = sizeof(vbuf) - 1;
			memcpy(vbuf, eq2 + 1, vn);
			vbuf[vn] = '\0';
			if (regexec(&T.re[k], vbuf, 0, NULL, 0) != 0) {
				(void)snprintf(why, wn, "field %d: value %.*s "
				    "does not match its pattern", nf,
				    (int)(gf - g), g);
				return -1;
			}
		} else if (ef - e != gf - g || memcmp(e, g,
		    (size_t)(ef - e)) != 0) {
			(void)snprintf(why, wn, "field %d: expected %.*s, got "
			    "%.*s", nf, (int)(ef - e), e, (int)(gf - g), g);
			return -1;
		}
		e = ef + 1;
		g = gf + 1;
	}
	if (e < ee || g < ge) {
		(void)snprintf(why, wn, "%s fields", e < ee ? "missing" :
		    "extra");
		return -1;
	}
	return 0;
}

static void
expect_msg(struct conn *c, const char *payload, struct fixu_buf *tmp)
{
	char why[1024], b1[4096], b2[4096];
	struct blob *got;

	subst(payload, tmp);
	complete(tmp);
	if (!wait_until(WAIT_E, has_output, c)) {
		fail("timed out waiting for %s", shown(tmp->p, tmp->len, b1,
		    sizeof(b1)));
		return;
	}
	if (c->out.head >= c->out.n) {
		fail("connection closed; expected %s", shown(tmp->p, tmp->len,
		    b1, sizeof(b1)));
		return;
	}
	got = &c->out.v[c->out.head++];
	if (compare(tmp->p, tmp->len, got->p, got->n, why, sizeof(why)) != 0)
		fail("%s\n#   expected %s\n#   got      %s", why,
		    shown(tmp->p, tmp->len, b1, sizeof(b1)),
		    shown(got->p, got->n, b2, sizeof(b2)));
}

static void
expect_disconnect(struct conn *c)
{
	char b[4096];

	(void)wait_until(WAIT_DISC, has_output, c);
	if (c->out.head < c->out.n) {
		struct blob *got = &c->out.v[c->out.head++];

		fail("expected a disconnect, got %s", shown(got->p, got->n, b,
		    sizeof(b)));
		return;
	}
	if (c->open)
		fail("expected a disconnect; the connection stays open");
}

static void
reset_all(void)
{
	size_t i;

	for (i = 0; i < NCONN; i++) {
		fixu_buf_fini(&T.conns[i].in);
		blobs_free(&T.conns[i].out);
		memset(&T.conns[i], 0, sizeof(T.conns[i]));
		fixu_buf_init(&T.conns[i].in, 0);
	}
	for (i = 0; i < NCPTY; i++) {
		fixu_sess_free(T.xs[i].s);
		at_echo_free(T.xs[i].echo);
		blobs_free(&T.xs[i].store);
		memset(&T.xs[i], 0, sizeof(T.xs[i]));
	}
}

static void
start_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	T.now.real = (int64_t)ts.tv_sec * NS + ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	T.now.mono = (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int
run(const char *path)
{
	struct fixu_buf tmp;
	char line[65536];
	struct conn *c;
	char *p;
	FILE *f;
	size_t i, len;
	int id;

	T.failed = 0;
	T.fail[0] = '\0';
	T.line = 0;
	start_clock();
	if ((f = fopen(path, "r")) == NULL) {
		fail("%s: %s", path, strerror(errno));
		return -1;
	}
	load_fields(path);
	fixu_buf_init(&tmp, 0);
	while (!T.failed && fgets(line, sizeof(line), f) != NULL) {
		T.line++;
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (line[0] == '#' || len == 0)
			continue;
		p = line + 1;
		id = 1;
		if (isdigit((unsigned char)p[0]) && p[1] == ',') {
			id = p[0] - '0';
			p += 2;
		}
		c = &T.conns[id];
		say("line %d: %c%d %s", T.line, line[0], id,
		    shown(p, strlen(p), line + len + 1, sizeof(line) - len -
		    1));
		switch (line[0]) {
		case 'i':
			if (strcmp(p, "CONNECT") == 0) {
				conn_close(c, 0);
				blobs_clear(&c->out);
				c->in.len = 0;
				c->open = 1;
			} else if (strcmp(p, "DISCONNECT") == 0)
				conn_close(c, 0);
			else
				fail("unknown line %s", line);
			break;
		case 'e':
			if (strcmp(p, "DISCONNECT") == 0)
				expect_disconnect(c);
			else
				fail("unknown line %s", line);
			break;
		case 'I':
			subst(p, &tmp);
			complete(&tmp);
			conn_write(c, tmp.p, tmp.len);
			break;
		case 'E':
			expect_msg(c, p, &tmp);
			break;
		default:
			fail("unknown line %s", line);
			break;
		}
	}
	fclose(f);
	/* Anything the engine sent that no line read is unexpected. */
	for (i = 0; i < NCONN && !T.failed; i++) {
		c = &T.conns[i];
		if (c->out.head < c->out.n) {
			char b[4096];

			fail("unexpected message at the end: %s",
			    shown(c->out.v[c->out.head].p,
			    c->out.v[c->out.head].n, b, sizeof(b)));
		}
	}
	fixu_buf_fini(&tmp);
	reset_all();
	return T.failed ? -1 : 0;
}

static const char *
name_of(const char *path, char *buf, size_t n)
{
	const char *b = strrchr(path, '/'), *d;
	size_t bl;
	int r;

	b = b ? b + 1 : path;
	bl = strlen(b);
	if (bl > 4 && strcmp(b + bl - 4, ".def") == 0)
		bl -= 4;
	d = b;
	if (b > path + 1) {
		for (d = b - 2; d > path && d[-1] != '/'; d--)
			continue;
	}
	if (d < b)
		r = snprintf(buf, n, "%.*s%.*s", (int)(b - d), d, (int)bl, b);
	else
		r = snprintf(buf, n, "%.*s", (int)bl, b);
	if (r < 0 || (size_t)r >= n)
		return path;
	return buf;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: at_inproc [-v] FILE.def...\n");
}

int
main(int argc, char **argv)
{
	char nb[512];
	int ch, i, nfail = 0, k;

	while ((ch = getopt(argc, argv, "hv")) != -1) {
		switch (ch) {
		case 'v':
			T.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (fixu_dicts_new(&T.dicts, NULL) != 0) {
		fprintf(stderr, "at_inproc: cannot set up dictionaries\n");
		return 2;
	}
	for (i = 0; i < NCONN; i++)
		fixu_buf_init(&T.conns[i].in, 0);
	for (i = 0; i < argc; i++) {
		if (run(argv[i]) == 0)
			printf("ok %d - %s\n", i + 1, name_of(argv[i], nb,
			    sizeof(nb)));
		else {
			nfail++;
			printf("not ok %d - %s\n#   %s\n", i + 1,
			    name_of(argv[i], nb, sizeof(nb)), T.fail);
		}
		fflush(stdout);
	}
	printf("1..%d\n", argc);
	for (k = 0; k < T.nre; k++)
		regfree(&T.re[k]);
	for (i = 0; i < NCONN; i++)
		fixu_buf_fini(&T.conns[i].in);
	fixu_dicts_free(T.dicts);
	return nfail != 0;
}
