/*
 * sim.c -- fixsim's session core: FIX initiators over TCP around
 * libfixutil's session state machine, all in one poll loop.
 *
 * Each session owns at most one connection.  Bytes read are framed with
 * fixu_frame() and fed to the session; the actions it returns are applied
 * at once: a SEND is kept (see below) and appended to the connection's
 * output buffer, a DELIVER goes to the on_app hook, events and state
 * changes to theirs.  Output is written at the start of the next turn
 * (what the caller queued between turns) and at the end of each turn, so
 * a burst of orders costs one write(2) per connection.
 *
 * Hooks may call sim_send() and sim_logout() on the session whose actions
 * are being applied: the action views live in the session's arena, which
 * a new event would reuse, so such calls are queued and run when the
 * actions are done (sim_send() then returns 0; errors become events).
 *
 * What a session sent is kept in memory for the peer's ResendRequests:
 * two generations of at most KEEP_MAX / 2 bytes each; when the current one
 * is full the older one is dropped.  A long load run therefore keeps the
 * last KEEP_MAX / 2 to KEEP_MAX bytes, and a ResendRequest for anything
 * older is answered with a SequenceReset-GapFill (the session fills what
 * fetch_out does not return), which the peer sees as a gap it accepts.
 *
 * A session may have several addresses (sim_sess_opts.addrs): each
 * connection attempt that fails, and each connection that is lost, moves
 * it on to the next one, round the list.  ResetSeqNumFlag goes with its
 * first Logon only: before it reconnects, a session that has been logged
 * on is given a new state machine, configured without ResetOnLogon and
 * restored to the numbers the old one had (the kept messages stay), so
 * that the acceptor -- the same one, or a standby that took its store
 * over -- and fixsim ask each other for what they missed.
 *
 * Error injection spoils the copy that goes on the wire, never the kept
 * one, so a resend repairs it: CHECKSUM sends a wrong CheckSum (nothing
 * else recomputed); GARBLE overwrites a few body bytes with '=', SOH and
 * letters, BodyLength and CheckSum made to match so that the peer's field
 * parser, not its checksum test, meets the damage; STALE rewrites
 * SendingTime ten minutes back; GAP numbers the message one higher than
 * due (the session is told, so the number is skipped for good and a
 * resend of it is gap-filled); HEARTBEAT stops the session's timers for
 * 2.5 x HeartBtInt and holds back the Heartbeats it answers TestRequests
 * with.
 */
#define _GNU_SOURCE	/* ppoll(2): sub-millisecond waits */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "util.h"

#define READ_CHUNK	(64u * 1024)
#define READ_MAX	(1u << 20)	/* per connection and turn */
#define KEEP_MAX	(32u << 20)	/* sent bytes kept per session */
#define CONNECT_WAIT	(10 * NS)	/* for a TCP connection */
#define NS		1000000000LL

struct kmsg {
	uint64_t	 seq;
	size_t		 off, n;
};

/* One address to connect to, resolved when the session is added. */
struct addr {
	struct sockaddr_storage	 sa;
	socklen_t		 len;
	char			 peer[280];	/* "HOST:PORT" */
};

/* One generation of kept messages, in sequence order. */
struct kept {
	struct fixu_buf	 b;
	struct kmsg	*ix;
	size_t		 n, cap;
};

struct sim_sess {
	struct sim		*sim;
	struct fixu_sess	*s;
	char			 id[240];
	struct addr		*addr;
	size_t			 naddr, cur;	/* addr[cur]: the next try */
	int			 fd;
	int			 connecting, close_after;
	int			 stopped;	/* logged out on purpose */
	int			 reconnect_ms;
	int64_t			 next_connect;	/* mono; INT64_MAX: never;
						   connecting: give up then */
	int			 on;
	int			 was_on;	/* logged on once */
	int			 hbi;
	unsigned		 inject;
	double			 inject_rate;
	unsigned		 spoil;		/* for the message being sent */
	int64_t			 mute_until;	/* HEARTBEAT injection */
	struct fixu_buf		 rb, wb;
	size_t			 woff;		/* wb[0..woff) is written */
	struct kept		 keep[2];	/* [0] older, [1] current */
	uint64_t		 last_seq;
	int			 busy, draining;
	struct fixu_buf		 defer;		/* sends queued by hooks */
	int			 want_logout;
	char			 logout_text[256];
	long			 pidx;
};

struct watch {
	int	  fd;
	void	(*fn)(void *, int);
	void	 *arg;
};

struct sim {
	struct fixu_dicts	*dicts;
	struct sim_hooks	 h;
	struct sim_sess		**ss;
	size_t			 nss, capss;
	struct watch		*w;
	size_t			 nw, capw;
	int			 wdead;		/* some watch was removed */
	struct pollfd		*pfd;
	size_t			 cappfd;
	struct fixu_msg		 m;		/* what on_app is given */
	uint64_t		 rng;
};

static void	apply(struct sim_sess *, const struct fixu_now *);
static void	close_conn(struct sim_sess *, const char *why);

/* Array p (n used of *cap) with room for one more; NULL: no memory. */
static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t nc = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return p;
	if ((p = realloc(p, nc * size)) != NULL)
		*cap = nc;
	return p;
}

int64_t
sim_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void
now_get(struct fixu_now *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	t->real = (int64_t)ts.tv_sec * NS + ts.tv_nsec;
	t->mono = sim_mono();
}

/* xorshift64*: injection needs no better randomness. */
static double
rnd(struct sim *sim)
{
	uint64_t x = sim->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sim->rng = x;
	/* The top 53 bits as a double in [0, 1). */
	return (double)((x * 2685821657736338717ULL) >> 11) /
	    9007199254740992.0;
}

static void
sim_event(struct sim_sess *ss, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sim_event(struct sim_sess *ss, const char *kind, const char *fmt, ...)
{
	struct sim *sim = ss->sim;
	char text[512];
	va_list ap;

	if (sim->h.on_event == NULL)
		return;
	va_start(ap, fmt);
	/* Cut to fit, "..." at the end; "" if vsnprintf() fails. */
	(void)util_vfmt(text, sizeof(text), fmt, ap);
	va_end(ap);
	sim->h.on_event(sim->h.arg, ss, kind, text);
}

/* ---- what was sent, for resends -------------------------------------- */

static void
kept_clear(struct kept *k)
{
	k->b.len = 0;
	k->n = 0;
}

static void
keep_clear(struct sim_sess *ss)
{
	kept_clear(&ss->keep[0]);
	kept_clear(&ss->keep[1]);
}

static void
keep_add(struct sim_sess *ss, uint64_t seq, const char *p, size_t n)
{
	struct kept *cur = &ss->keep[1], t;
	struct kmsg *ix;

	/* Numbers only grow within an epoch; anything else starts over. */
	if (cur->n > 0 && seq <= cur->ix[cur->n - 1].seq)
		keep_clear(ss);
	if (cur->n > 0 && cur->b.len + n > KEEP_MAX / 2) {
		t = ss->keep[0];
		ss->keep[0] = *cur;
		*cur = t;
		kept_clear(cur);
	}
	/* Not kept when out of memory: gap-filled if asked for. */
	if ((ix = grow(cur->ix, &cur->cap, cur->n, sizeof(*ix))) == NULL)
		return;
	cur->ix = ix;
	if (fixu_buf_append(&cur->b, p, n) != 0)
		return;
	cur->ix[cur->n].seq = seq;
	cur->ix[cur->n].off = cur->b.len - n;
	cur->ix[cur->n].n = n;
	cur->n++;
}

static int
fetch_out(void *arg, uint64_t from, uint64_t to,
    int (*each)(void *, uint64_t, const char *, size_t), void *ctx)
{
	struct sim_sess *ss = arg;
	const struct kept *k;
	size_t lo, hi, mid, g;

	for (g = 0; g < 2; g++) {
		k = &ss->keep[g];
		lo = 0;
		hi = k->n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (k->ix[mid].seq < from)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < k->n && (to == 0 || k->ix[lo].seq <= to); lo++)
			if (each(ctx, k->ix[lo].seq, k->b.p + k->ix[lo].off,
			    k->ix[lo].n) != 0)
				return 0;
	}
	return 0;
}

/* ---- error injection ------------------------------------------------- */

static unsigned
pick_inject(struct sim_sess *ss)
{
	unsigned bits[5], n = 0, b;

	if (ss->inject == 0 || ss->inject_rate <= 0 ||
	    rnd(ss->sim) >= ss->inject_rate)
		return 0;
	for (b = SIM_INJ_GAP; b <= SIM_INJ_HEARTBEAT; b <<= 1)
		if (ss->inject & b)
			bits[n++] = b;
	if (n == 0)
		return 0;
	return bits[(unsigned)(rnd(ss->sim) * n) % n];
}

/* p[0..n) ends in "10=nnn<SOH>": write ck there (-1: the right one). */
static unsigned
put_checksum(char *p, size_t n, int ck)
{
	unsigned v = ck >= 0 ? (unsigned)ck : fixu_checksum(p, n - 7, FIXU_SOH);

	p[n - 4] = (char)('0' + v / 100);
	p[n - 3] = (char)('0' + v / 10 % 10);
	p[n - 2] = (char)('0' + v % 10);
	return v;
}

/* Offset of the value of tag t (given as "\001T=") in p, or 0. */
static size_t
find_tag(const char *p, size_t n, const char *t)
{
	size_t tl = strlen(t), i;

	for (i = 0; i + tl <= n; i++)
		if (p[i] == FIXU_SOH && memcmp(p + i, t, tl) == 0)
			return i + tl;
	return 0;
}

static void
spoil(struct sim_sess *ss, char *p, size_t n, uint64_t seq,
    const struct fixu_now *t)
{
	static const char junk[] = "=\001x?#=";
	struct timespec ts;
	char tb[40];
	size_t i, v, e, k;
	unsigned ck;

	if (n < 20 || memcmp(p + n - 7, "10=", 3) != 0)
		return;
	switch (ss->spoil) {
	case SIM_INJ_CHECKSUM:
		/* Any other value: the real one plus 1 to 255. */
		ck = put_checksum(p, n, (int)((fixu_checksum(p, n - 7,
		    FIXU_SOH) + 1u + (unsigned)(rnd(ss->sim) * 255)) % 256));
		sim_event(ss, "inject", "checksum: MsgSeqNum %llu sent with "
		    "CheckSum %03u", (unsigned long long)seq, ck);
		break;
	case SIM_INJ_STALE:
		if ((v = find_tag(p, n, "\00152=")) == 0)
			return;
		for (e = v; e < n && p[e] != FIXU_SOH; e++)
			;
		ts.tv_sec = (time_t)((t->real - 600 * NS) / NS);
		ts.tv_nsec = (long)((t->real - 600 * NS) % NS);
		k = fixu_time_fmt(tb, &ts, e - v > 18 ? (int)(e - v - 18) : 0);
		if (k != e - v)
			return;
		memcpy(p + v, tb, k);
		(void)put_checksum(p, n, -1);
		sim_event(ss, "inject", "stale: MsgSeqNum %llu sent with "
		    "SendingTime %.*s", (unsigned long long)seq, (int)k, tb);
		break;
	case SIM_INJ_GARBLE:
		/* The body: after the header's last field that we write
		   (TargetCompID), up to the delimiter before the trailer. */
		if ((v = find_tag(p, n, "\00156=")) == 0)
			return;
		while (v < n && p[v] != FIXU_SOH)
			v++;
		e = n - 8;
		k = 6;
		if (e < v + 1 + k + 2)
			return;
		v += 1 + (size_t)(rnd(ss->sim) * (double)(e - v - 1 - k));
		for (i = 0; i < k; i++)
			p[v + i] = junk[(size_t)(rnd(ss->sim) * 6) % 6];
		(void)put_checksum(p, n, -1);
		sim_event(ss, "inject", "garble: MsgSeqNum %llu sent with %zu "
		    "bytes overwritten at offset %zu", (unsigned long long)seq,
		    k, v);
		break;
	}
}

/* ---- actions --------------------------------------------------------- */

static int
out_append(struct sim_sess *ss, const char *p, size_t n)
{
	/* Compact when the written part dominates. */
	if (ss->woff > 0 && ss->woff >= ss->wb.len / 2) {
		memmove(ss->wb.p, ss->wb.p + ss->woff, ss->wb.len - ss->woff);
		ss->wb.len -= ss->woff;
		ss->woff = 0;
	}
	return fixu_buf_append(&ss->wb, p, n);
}

static void
act_send(struct sim_sess *ss, const struct fixu_act *a,
    const struct fixu_now *t)
{
	size_t off;

	if (a->flags & FIXU_ACT_F_STORE)
		keep_add(ss, a->seq, a->data.p, a->data.n);
	if ((a->flags & FIXU_ACT_F_NOTX) || ss->fd < 0 || ss->connecting)
		return;
	/* Silent: a Heartbeat (the answer to a TestRequest) is held back. */
	if (ss->mute_until != 0 && fixu_str_eq(a->msgtype, "0"))
		return;
	off = ss->wb.len - ss->woff;
	if (out_append(ss, a->data.p, a->data.n) != 0) {
		/* Not closed here: the actions being applied must stay. */
		sim_event(ss, "error", "out of memory: disconnecting");
		ss->close_after = 1;
		return;
	}
	if (ss->spoil != 0 && (a->flags & FIXU_ACT_F_STORE) &&
	    !(a->flags & FIXU_ACT_F_ADMIN))
		spoil(ss, ss->wb.p + ss->woff + off, a->data.n, a->seq, t);
}

static void
act_deliver(struct sim_sess *ss, const struct fixu_act *a,
    const struct fixu_now *t)
{
	struct sim *sim = ss->sim;

	if (sim->h.on_app == NULL || fixu_msg_parse(&sim->m, a->data.p,
	    a->data.n, FIXU_SOH, NULL, FIXU_PARSE_NOCHECK, NULL) != 0)
		return;
	sim->h.on_app(sim->h.arg, ss, &sim->m, t->mono);
}

static void	run_deferred(struct sim_sess *);

static void
apply(struct sim_sess *ss, const struct fixu_now *t)
{
	struct sim *sim = ss->sim;
	const struct fixu_act *a;
	char text[600];
	size_t i, n;

	n = fixu_sess_actions(ss->s, &a);
	ss->busy++;
	for (i = 0; i < n; i++, a++) {
		switch (a->kind) {
		case FIXU_ACT_SEND:
			act_send(ss, a, t);
			break;
		case FIXU_ACT_DELIVER:
			act_deliver(ss, a, t);
			break;
		case FIXU_ACT_RESET:
			keep_clear(ss);
			break;
		case FIXU_ACT_EVENT:
			if (sim->h.on_event == NULL)
				break;
			(void)snprintf(text, sizeof(text), "%.*s",
			    (int)a->data.n, a->data.p);
			sim->h.on_event(sim->h.arg, ss, a->name, text);
			break;
		case FIXU_ACT_STATE:
			ss->on = a->value;
			if (a->value)
				ss->was_on = 1;
			if (sim->h.on_state != NULL)
				sim->h.on_state(sim->h.arg, ss, a->value);
			break;
		case FIXU_ACT_DISCONNECT:
			ss->close_after = 1;
			break;
		default:	/* STORE_IN, SET_NEXT: nothing kept inbound */
			break;
		}
	}
	fixu_sess_actions_clear(ss->s);
	if (--ss->busy == 0)
		run_deferred(ss);
}

/* ---- sending --------------------------------------------------------- */

static int
do_send(struct sim_sess *ss, const char *p, size_t n, struct fixu_diag *d)
{
	struct fixu_now t;
	uint64_t out, in;
	unsigned kind;
	int rc;

	now_get(&t);
	kind = pick_inject(ss);
	out = fixu_sess_next_out(ss->s);
	in = fixu_sess_next_in(ss->s);
	if (kind == SIM_INJ_GAP)
		fixu_sess_restore(ss->s, out + 1, in, INT64_MIN);
	if ((rc = fixu_sess_send(ss->s, &t, p, n, d)) != 0) {
		if (kind == SIM_INJ_GAP)
			fixu_sess_restore(ss->s, out, in, INT64_MIN);
		return rc;
	}
	ss->last_seq = fixu_sess_next_out(ss->s) - 1;
	if (kind == SIM_INJ_GAP)
		sim_event(ss, "inject", "gap: MsgSeqNum %llu skipped",
		    (unsigned long long)out);
	if (kind == SIM_INJ_HEARTBEAT && ss->mute_until == 0) {
		ss->mute_until = t.mono + (int64_t)ss->hbi * NS * 5 / 2;
		sim_event(ss, "inject", "heartbeat: silent for %d ms",
		    ss->hbi * 2500);
	}
	if (kind & (SIM_INJ_CHECKSUM | SIM_INJ_GARBLE | SIM_INJ_STALE))
		ss->spoil = kind;
	apply(ss, &t);
	ss->spoil = 0;
	return 0;
}

static void
run_deferred(struct sim_sess *ss)
{
	struct fixu_diag d;
	struct fixu_now t;
	size_t off = 0;
	uint32_t n;

	if (ss->draining)
		return;
	ss->draining = 1;
	while (off + sizeof(n) <= ss->defer.len) {
		memcpy(&n, ss->defer.p + off, sizeof(n));
		off += sizeof(n);
		if (fixu_sess_state(ss->s) != FIXU_SS_ACTIVE)
			sim_event(ss, "error", "queued message dropped: not "
			    "logged on any more");
		else if (do_send(ss, ss->defer.p + off, n, &d) != 0)
			sim_event(ss, "error", "queued message not sent: %s",
			    d.msg[0] ? d.msg : fixu_strerror(d.code));
		off += n;
	}
	ss->defer.len = 0;
	if (ss->want_logout) {
		ss->want_logout = 0;
		if (ss->fd >= 0 && !ss->connecting) {
			now_get(&t);
			(void)fixu_sess_logout(ss->s, &t, ss->logout_text[0] ?
			    ss->logout_text : NULL);
			apply(ss, &t);
		}
	}
	ss->draining = 0;
}

int
sim_send(struct sim_sess *ss, const char *fields, size_t n,
    struct fixu_diag *d)
{
	uint32_t len = (uint32_t)n;

	fixu_diag_clear(d);
	if (ss->fd < 0 || fixu_sess_state(ss->s) != FIXU_SS_ACTIVE)
		return fixu_diag_set(d, FIXU_EAGAIN, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: not logged on", ss->id);
	if (!ss->busy)
		return do_send(ss, fields, n, d);
	if (n > FIXU_MAX_MSG)
		return fixu_diag_set(d, FIXU_ELIMIT, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "message longer than %u bytes", FIXU_MAX_MSG);
	if (fixu_buf_append(&ss->defer, &len, sizeof(len)) != 0 ||
	    fixu_buf_append(&ss->defer, fields, n) != 0)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
	return 0;
}

int
sim_logout(struct sim_sess *ss, const char *text)
{
	struct fixu_now t;

	ss->stopped = 1;
	if (ss->fd < 0) {
		ss->next_connect = INT64_MAX;
		return 0;
	}
	if (ss->busy) {
		ss->want_logout = 1;
		(void)snprintf(ss->logout_text, sizeof(ss->logout_text), "%s",
		    text != NULL ? text : "");
		return 0;
	}
	if (ss->connecting) {
		close_conn(ss, "logout before the connection was made");
		return 0;
	}
	now_get(&t);
	if (fixu_sess_logout(ss->s, &t, text) != 0)
		return FIXU_ENOMEM;
	apply(ss, &t);
	return 0;
}

/* ---- connections ----------------------------------------------------- */

/*
 * A new state machine for a session that was logged on, the same but for
 * ResetOnLogon, with the numbers the old one had: see the top.
 */
static int
keep_numbers(struct sim_sess *ss)
{
	struct fixu_sess_cfg c = *fixu_sess_cfg(ss->s);
	struct fixu_sess_ops ops;
	struct fixu_sess *ns;
	int rc;

	c.reset_on_logon = 0;
	ops.fetch_out = fetch_out;
	ops.arg = ss;
	rc = fixu_sess_new(&ns, &c, &ops, NULL);
	explicit_bzero(&c, sizeof(c));		/* the password */
	if (rc != 0)
		return rc;
	fixu_sess_restore(ns, fixu_sess_next_out(ss->s),
	    fixu_sess_next_in(ss->s), INT64_MIN);
	fixu_sess_free(ss->s);
	ss->s = ns;
	return 0;
}

/* Move on to the next address: this one failed or was lost. */
static void
next_addr(struct sim_sess *ss)
{
	if (ss->naddr > 1)
		ss->cur = (ss->cur + 1) % ss->naddr;
}

static void
connected(struct sim_sess *ss)
{
	struct fixu_now t;

	ss->connecting = 0;
	ss->next_connect = INT64_MAX;
	sim_event(ss, "connect", "connected to %s", ss->addr[ss->cur].peer);
	if (ss->was_on && fixu_sess_cfg(ss->s)->reset_on_logon &&
	    keep_numbers(ss) != 0)
		sim_event(ss, "error", "out of memory: this Logon resets "
		    "the sequence numbers");
	now_get(&t);
	(void)fixu_sess_connected(ss->s, &t);
	apply(ss, &t);
}

static void
retry_later(struct sim_sess *ss)
{
	ss->next_connect = ss->stopped || ss->reconnect_ms <= 0 ? INT64_MAX :
	    sim_mono() + (int64_t)ss->reconnect_ms * 1000000;
}

static void	connect_failed(struct sim_sess *, const char *why);

static void
try_connect(struct sim_sess *ss)
{
	const struct addr *a = &ss->addr[ss->cur];
	int one = 1;

	ss->fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (ss->fd == -1) {
		sim_event(ss, "connect", "socket: %s", strerror(errno));
		next_addr(ss);
		retry_later(ss);
		return;
	}
	ss->connecting = 1;
	ss->next_connect = sim_mono() + CONNECT_WAIT;
	(void)setsockopt(ss->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(ss->fd, (const struct sockaddr *)&a->sa, a->len) == -1 &&
	    errno != EINPROGRESS)
		connect_failed(ss, strerror(errno));
}

static void
connect_failed(struct sim_sess *ss, const char *why)
{
	sim_event(ss, "connect", "%s: %s", ss->addr[ss->cur].peer, why);
	close(ss->fd);
	ss->fd = -1;
	ss->connecting = 0;
	next_addr(ss);
	retry_later(ss);
}

static void
connect_done(struct sim_sess *ss)
{
	socklen_t el = sizeof(int);
	int err = 0;

	if (getsockopt(ss->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
		err = errno;
	if (err == 0) {
		connected(ss);
		return;
	}
	connect_failed(ss, strerror(err));
}

/* Close now: the session learns that the transport is down. */
static void
close_conn(struct sim_sess *ss, const char *why)
{
	struct fixu_now t;

	if (ss->fd < 0)
		return;
	close(ss->fd);
	ss->fd = -1;
	ss->connecting = ss->close_after = 0;
	ss->rb.len = ss->wb.len = ss->woff = 0;
	ss->mute_until = 0;
	if (why != NULL)
		sim_event(ss, "disconnect", "%s", why);
	now_get(&t);
	(void)fixu_sess_disconnected(ss->s, &t);
	apply(ss, &t);
	ss->on = 0;
	next_addr(ss);
	retry_later(ss);
}

static void
sess_input(struct sim_sess *ss, const struct fixu_now *t)
{
	struct sim *sim = ss->sim;
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off = 0, len;
	const char *p;
	int rc;

	while (ss->fd >= 0 && !ss->close_after && off < ss->rb.len) {
		p = ss->rb.p + off;
		len = ss->rb.len - off;
		rc = fixu_frame(p, len, 0, &fr, &d);
		if (rc == FIXU_EAGAIN) {
			/* Keep a possible split "8=FIX" at the end. */
			off += fr.start >= len ? (len > 8 ? len - 8 : 0) :
			    fr.start;
			break;
		}
		if (rc != 0) {
			(void)fixu_sess_garbled(ss->s, t, &d);
			apply(ss, t);
			off += fr.skip > 0 ? fr.skip : 1;
			continue;
		}
		if (sim->h.on_msg != NULL)
			sim->h.on_msg(sim->h.arg, ss, FIXU_DIR_IN,
			    p + fr.start, fr.len);
		(void)fixu_sess_recv(ss->s, t, p + fr.start, fr.len, 0);
		apply(ss, t);
		off += fr.start + fr.len;
	}
	if (ss->fd < 0)
		return;
	if (ss->close_after)
		off = ss->rb.len;
	memmove(ss->rb.p, ss->rb.p + off, ss->rb.len - off);
	ss->rb.len -= off;
}

static void
sess_read(struct sim_sess *ss)
{
	struct fixu_now t;
	size_t got = 0;
	ssize_t r;

	while (got < READ_MAX && ss->fd >= 0 && !ss->close_after) {
		if (fixu_buf_reserve(&ss->rb, READ_CHUNK) != 0) {
			sim_event(ss, "garbled", "more than %u bytes without "
			    "a message: dropped", FIXU_MAX_MSG);
			ss->rb.len = 0;
			continue;
		}
		r = read(ss->fd, ss->rb.p + ss->rb.len, READ_CHUNK);
		if (r == 0) {
			close_conn(ss, "peer closed the connection");
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				close_conn(ss, strerror(errno));
			return;
		}
		ss->rb.len += (size_t)r;
		got += (size_t)r;
		now_get(&t);
		sess_input(ss, &t);
		if ((size_t)r < READ_CHUNK)
			return;
	}
}

static void
sess_write(struct sim_sess *ss)
{
	ssize_t w;

	while (ss->woff < ss->wb.len) {
		w = send(ss->fd, ss->wb.p + ss->woff, ss->wb.len - ss->woff,
		    MSG_NOSIGNAL);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				close_conn(ss, strerror(errno));
			return;
		}
		ss->woff += (size_t)w;
	}
	ss->wb.len = ss->woff = 0;
}

static void
flush_all(struct sim *sim)
{
	struct sim_sess *ss;
	size_t i;

	for (i = 0; i < sim->nss; i++) {
		ss = sim->ss[i];
		if (ss->fd < 0 || ss->connecting)
			continue;
		if (ss->woff < ss->wb.len)
			sess_write(ss);
		if (ss->fd >= 0 && ss->close_after)
			close_conn(ss, NULL);
	}
}

/* ---- setup ----------------------------------------------------------- */

int
sim_new(struct sim **out, struct fixu_dicts *dicts, const struct sim_hooks *h)
{
	struct sim *sim;

	*out = NULL;
	if ((sim = calloc(1, sizeof(*sim))) == NULL)
		return FIXU_ENOMEM;
	sim->dicts = dicts;
	if (h != NULL)
		sim->h = *h;
	fixu_msg_init(&sim->m);
	sim->rng = (uint64_t)sim_mono() ^ ((uint64_t)getpid() << 32) ^
	    0x9e3779b97f4a7c15ULL;
	if (sim->rng == 0)
		sim->rng = 1;
	*out = sim;
	return 0;
}

static void
sess_free(struct sim_sess *ss)
{
	int g;

	if (ss->fd >= 0)
		close(ss->fd);
	fixu_sess_free(ss->s);
	free(ss->addr);
	fixu_buf_fini(&ss->rb);
	fixu_buf_fini(&ss->wb);
	fixu_buf_fini(&ss->defer);
	for (g = 0; g < 2; g++) {
		fixu_buf_fini(&ss->keep[g].b);
		free(ss->keep[g].ix);
	}
	free(ss);
}

void
sim_free(struct sim *sim)
{
	size_t i;

	if (sim == NULL)
		return;
	for (i = 0; i < sim->nss; i++)
		sess_free(sim->ss[i]);
	free(sim->ss);
	free(sim->w);
	free(sim->pfd);
	fixu_msg_fini(&sim->m);
	free(sim);
}

/* DefaultApplVerID (1137) as sent: a number, or a version's name. */
static const char *
applverid(const char *v)
{
	static const char *names[] = { "FIX.2.7", "FIX.3.0", "FIX.4.0",
	    "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIX.5.0",
	    "FIX.5.0SP1", "FIX.5.0SP2" };
	static const char *ids[] = { "0", "1", "2", "3", "4", "5", "6", "7",
	    "8", "9" };
	size_t i;

	if (v == NULL || *v == '\0')
		return "9";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0 || strcmp(v, ids[i]) == 0)
			return ids[i];
	return NULL;
}

static int
sess_cfg(struct sim *sim, const struct sim_sess_opts *o,
    struct fixu_sess_cfg *c, struct fixu_diag *d)
{
	int fixt = strcmp(o->sid.begin, "FIXT.1.1") == 0;
	const char *av;

	memset(c, 0, sizeof(*c));
	c->sid = o->sid;
	c->initiator = 1;
	c->heartbtint = o->hbi > 0 ? o->hbi : 30;
	c->reset_on_logon = !o->no_reset;
	c->check_compid = 1;
	c->check_latency = 1;
	c->persist_messages = 1;
	c->ts_decimals = -1;
	c->validate = o->validate;
	c->vflags = FIXU_V_ALL;
	if ((size_t)snprintf(c->username, sizeof(c->username), "%s",
	    o->username != NULL ? o->username : "") >= sizeof(c->username) ||
	    (size_t)snprintf(c->password, sizeof(c->password), "%s",
	    o->password != NULL ? o->password : "") >= sizeof(c->password))
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 553,
		    FIXU_REJ_NONE, "Username or Password longer than %zu "
		    "bytes", sizeof(c->username) - 1);
	if (fixt) {
		if ((av = applverid(o->default_applverid)) == NULL)
			return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 1137,
			    FIXU_REJ_NONE, "unknown DefaultApplVerID '%s'",
			    o->default_applverid);
		(void)snprintf(c->default_applverid,
		    sizeof(c->default_applverid), "%s", av);
	}
	if (sim->dicts != NULL) {
		if (fixt)
			c->dicts = sim->dicts;
		if (fixu_dicts_get(sim->dicts, o->sid.begin, &c->tr,
		    o->validate ? d : NULL) != 0 && o->validate)
			return d != NULL ? d->code : FIXU_ENOTFOUND;
		c->app = c->tr;
	} else if (o->validate)
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "validation needs dictionaries");
	return 0;
}

/* Resolve host:port into one more address of ss. */
static int
resolve_one(struct sim_sess *ss, const char *host, int port,
    struct fixu_diag *d)
{
	struct addrinfo hints, *res = NULL;
	struct addr *na, *a;
	char ps[16];
	int rc;

	if (port <= 0 || port > 65535)
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "bad port %d", port);
	if ((na = realloc(ss->addr, (ss->naddr + 1) * sizeof(*na))) == NULL)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
	ss->addr = na;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0)
		return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s:%d: %s", host, port, gai_strerror(rc));
	a = &ss->addr[ss->naddr++];
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	(void)snprintf(a->peer, sizeof(a->peer), strchr(host, ':') != NULL ?
	    "[%s]:%d" : "%s:%d", host, port);
	return 0;
}

/* Every address of o, in order. */
static int
resolve(struct sim_sess *ss, const struct sim_sess_opts *o,
    struct fixu_diag *d)
{
	const char *p = o->addrs, *c;
	char host[256];
	size_t k;
	int port, rc;

	if (p == NULL)
		return resolve_one(ss, o->host, o->port, d);
	for (;;) {
		c = strchr(p, ',');
		k = c != NULL ? (size_t)(c - p) : strlen(p);
		if (util_addr(p, k, host, sizeof(host), &port) != 0)
			return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "expected HOST:PORT, got '%.*s'",
			    (int)k, p);
		if ((rc = resolve_one(ss, host, port, d)) != 0)
			return rc;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

int
sim_add(struct sim *sim, const struct sim_sess_opts *o, struct sim_sess **out,
    struct fixu_diag *d)
{
	struct fixu_sess_cfg cfg;
	struct fixu_sess_ops ops;
	struct sim_sess *ss, **nss;
	int rc;

	fixu_diag_clear(d);
	if (out != NULL)
		*out = NULL;
	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
	ss->sim = sim;
	ss->fd = -1;
	ss->pidx = -1;
	fixu_buf_init(&ss->rb, FIXU_MAX_MSG + READ_CHUNK);
	fixu_buf_init(&ss->wb, SIZE_MAX);
	fixu_buf_init(&ss->defer, SIZE_MAX);
	fixu_buf_init(&ss->keep[0].b, KEEP_MAX / 2 + FIXU_MAX_MSG);
	fixu_buf_init(&ss->keep[1].b, KEEP_MAX / 2 + FIXU_MAX_MSG);
	if ((rc = sess_cfg(sim, o, &cfg, d)) != 0 ||
	    (rc = resolve(ss, o, d)) != 0)
		goto fail;
	ops.fetch_out = fetch_out;
	ops.arg = ss;
	if ((rc = fixu_sess_new(&ss->s, &cfg, &ops, d)) != 0)
		goto fail;
	explicit_bzero(&cfg, sizeof(cfg));	/* the password */
	fixu_sessid_fmt(&o->sid, ss->id, sizeof(ss->id));
	ss->hbi = fixu_sess_heartbtint(ss->s);
	ss->reconnect_ms = o->reconnect_ms;
	ss->inject = o->inject;
	ss->inject_rate = o->inject_rate;
	if ((nss = grow(sim->ss, &sim->capss, sim->nss, sizeof(*nss))) ==
	    NULL) {
		rc = fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
		goto fail;
	}
	sim->ss = nss;
	sim->ss[sim->nss++] = ss;
	if (out != NULL)
		*out = ss;
	try_connect(ss);
	return 0;
fail:
	explicit_bzero(&cfg, sizeof(cfg));
	sess_free(ss);
	return rc;
}

int
sim_logged_on(const struct sim_sess *ss)
{
	return ss->fd >= 0 && ss->on;
}

const char *
sim_id(const struct sim_sess *ss)
{
	return ss->id;
}

uint64_t
sim_last_seq(const struct sim_sess *ss)
{
	return ss->last_seq;
}

size_t
sim_pending(const struct sim_sess *ss)
{
	return ss->wb.len - ss->woff;
}

int
sim_all_down(const struct sim *sim)
{
	size_t i;

	for (i = 0; i < sim->nss; i++)
		if (sim->ss[i]->fd >= 0 ||
		    sim->ss[i]->next_connect != INT64_MAX)
			return 0;
	return 1;
}

int
sim_watch(struct sim *sim, int fd, void (*fn)(void *, int), void *arg)
{
	struct watch *w;

	if ((w = grow(sim->w, &sim->capw, sim->nw, sizeof(*w))) == NULL)
		return FIXU_ENOMEM;
	sim->w = w;
	sim->w[sim->nw].fd = fd;
	sim->w[sim->nw].fn = fn;
	sim->w[sim->nw].arg = arg;
	sim->nw++;
	return 0;
}

void
sim_unwatch(struct sim *sim, int fd)
{
	size_t i;

	for (i = 0; i < sim->nw; i++)
		if (sim->w[i].fd == fd) {
			sim->w[i].fd = -1;
			sim->wdead = 1;
		}
}

/* ---- the loop -------------------------------------------------------- */

static int
pfd_add(struct sim *sim, size_t *n, int fd, short ev)
{
	struct pollfd *p;

	if ((p = grow(sim->pfd, &sim->cappfd, *n, sizeof(*p))) == NULL)
		return FIXU_ENOMEM;
	sim->pfd = p;
	sim->pfd[*n].fd = fd;
	sim->pfd[*n].events = ev;
	sim->pfd[*n].revents = 0;
	(*n)++;
	return 0;
}

/* When a session needs the loop next without its socket being ready. */
static int64_t
sess_wake(const struct sim_sess *ss)
{
	if (ss->fd < 0)
		return ss->next_connect;
	if (ss->connecting)
		return ss->next_connect;
	if (ss->mute_until != 0)
		return ss->mute_until;
	return fixu_sess_deadline(ss->s);
}

static void
timers(struct sim *sim)
{
	struct sim_sess *ss;
	struct fixu_now t;
	size_t i;

	now_get(&t);
	for (i = 0; i < sim->nss; i++) {
		ss = sim->ss[i];
		if (ss->fd < 0) {
			if (ss->next_connect <= t.mono)
				try_connect(ss);
			continue;
		}
		if (ss->connecting) {
			if (ss->next_connect <= t.mono)
				connect_failed(ss, "timed out");
			continue;
		}
		if (ss->mute_until != 0) {
			if (t.mono < ss->mute_until)
				continue;
			ss->mute_until = 0;
			sim_event(ss, "inject", "heartbeat: talking again");
		}
		if (fixu_sess_deadline(ss->s) <= t.mono) {
			(void)fixu_sess_tick(ss->s, &t);
			apply(ss, &t);
		}
	}
}

static void
watches_done(struct sim *sim)
{
	size_t i, k = 0;

	if (!sim->wdead)
		return;
	for (i = 0; i < sim->nw; i++)
		if (sim->w[i].fd >= 0)
			sim->w[k++] = sim->w[i];
	sim->nw = k;
	sim->wdead = 0;
}

int
sim_turn_until(struct sim *sim, int64_t deadline)
{
	struct sim_sess *ss;
	struct timespec ts;
	int64_t now, wake = deadline, t;
	size_t i, n = 0, nw;
	short ev;
	int rc;

	flush_all(sim);
	for (i = 0; i < sim->nw; i++)
		if (pfd_add(sim, &n, sim->w[i].fd, POLLIN) != 0)
			return FIXU_ENOMEM;
	nw = n;
	for (i = 0; i < sim->nss; i++) {
		ss = sim->ss[i];
		ss->pidx = -1;
		if ((t = sess_wake(ss)) < wake)
			wake = t;
		if (ss->fd < 0)
			continue;
		ev = ss->connecting ? POLLOUT : POLLIN;
		if (!ss->connecting && ss->woff < ss->wb.len)
			ev |= POLLOUT;
		ss->pidx = (long)n;
		if (pfd_add(sim, &n, ss->fd, ev) != 0)
			return FIXU_ENOMEM;
	}
	now = sim_mono();
	if (wake != INT64_MAX) {
		t = wake > now ? wake - now : 0;
		ts.tv_sec = (time_t)(t / NS);
		ts.tv_nsec = (long)(t % NS);
	}
	rc = ppoll(sim->pfd, n, wake == INT64_MAX ? NULL : &ts, NULL);
	if (rc < 0) {
		if (errno == EINTR)
			return 0;
		return FIXU_EIO;
	}
	for (i = 0; rc > 0 && i < nw; i++)
		if (sim->pfd[i].revents != 0 && sim->w[i].fd >= 0 &&
		    sim->w[i].fd == sim->pfd[i].fd)
			sim->w[i].fn(sim->w[i].arg, sim->w[i].fd);
	watches_done(sim);
	for (i = 0; rc > 0 && i < sim->nss; i++) {
		ss = sim->ss[i];
		if (ss->pidx < 0 || ss->fd < 0 ||
		    (ev = sim->pfd[ss->pidx].revents) == 0)
			continue;
		if (ss->connecting) {
			connect_done(ss);
			continue;
		}
		if (ev & POLLOUT)
			sess_write(ss);
		if (ss->fd >= 0 && (ev & (POLLIN | POLLHUP | POLLERR)))
			sess_read(ss);
	}
	timers(sim);
	flush_all(sim);
	return 0;
}

int
sim_turn(struct sim *sim, int timeout_ms)
{
	return sim_turn_until(sim, timeout_ms < 0 ? INT64_MAX :
	    sim_mono() + (int64_t)timeout_ms * 1000000);
}
