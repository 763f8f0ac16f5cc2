/*
 * fuzz_session.c -- drive one session state machine per input and check
 * the promises of session.h after every event.
 *
 * An input is text-like: lines separated by '\n'.  The first line is the
 * configuration: its first byte picks the role ('I' or 'i' initiator,
 * anything else acceptor), and these letters anywhere in it switch options:
 *
 *	T FIXT.1.1 (transport and FIX.5.0SP2 dictionaries), 2 FIX.4.2,
 *	0 FIX.4.0, else FIX.4.4
 *	L log on first (a valid Logon exchange before the other lines)
 *	R ResetOnLogon		X ResetOnDisconnect	O ResetOnLogout
 *	N NextExpectedMsgSeqNum	C ResendRequestChunkSize=2
 *	P PersistMessages=N	Q SendRedundantResendRequests
 *	S a daily schedule 08:00:00-17:00:00 UTC
 *	U restored sequence numbers 10/10, epoch begun a day ago
 *	K CheckLatency=N	Z CheckCompID=N
 *	l no ValidateLengthAndChecksum	u AllowUnknownMsgFields
 *
 * Validation is always on, with the dictionaries of $FIXUTIL_DICT_PATH
 * (loaded once).  Every further line is one event, by its first byte;
 * '|' stands for SOH in message text:
 *
 *	M<fields>  a message from the peer built from its fields: 8 and 9
 *		   and 10 computed, 34 (the peer's next number), 49, 52 (now)
 *		   and 56 added after the first field unless given; a first
 *		   field 8=... overrides the BeginString
 *	m<fields>  the same as a Logon whose credentials the engine refused
 *	R<bytes>   bytes from the peer's stream, framed as the engine frames
 *		   them (a partial message waits for the next R line):
 *		   fixu_sess_recv() for frames, fixu_sess_garbled() otherwise
 *	B<bytes>   bytes given to fixu_sess_recv() as they are, unframed
 *	A<fields>  an application message to send (fixu_sess_send)
 *	T[ms|*]    both clocks forward by ms (or to fixu_sess_deadline()),
 *		   then fixu_sess_tick()
 *	W[-]ms     the real clock alone steps (NTP), no event
 *	G          fixu_sess_garbled()
 *	C, D       transport up (fixu_sess_connected) or down
 *	O[text]    fixu_sess_logout()
 *
 * The peer's numbers follow on from the last M line (and start again at
 * 1 after a RESET).  Options a version lacks the fields for are dropped:
 * ResetOnLogon for FIX.4.0, NextExpectedMsgSeqNum before FIX.4.4.
 *
 * The harness keeps a fake store of what the SEND actions with
 * FIXU_ACT_F_STORE gave it and serves fetch_out() from it.  After each
 * event it checks: actions are well-formed; every SEND parses with its
 * BodyLength and CheckSum right and carries our header and the number
 * of its action; stored SENDs are numbered 1, 2, 3, ... within an epoch
 * and fixu_sess_next_out() agrees; resends and gap fills are PossDup and
 * reuse numbers already sent; STORE_IN numbers go up; a DELIVER comes
 * right after the STORE_IN of the same message, has an application
 * MsgType, and no number is delivered twice in an epoch; nothing is
 * transmitted after a DISCONNECT or while the transport is down or
 * closing; STATE 0 only follows STATE 1.  The engine ticks again while
 * fixu_sess_deadline() is due, so a tick that leaves it due must have
 * done something, and three ticks must settle it.  A broken promise
 * aborts, naming the input line.
 *
 * FUZZ_TRACE=1 prints every action (to write seeds); FUZZ_STRICT=1 also
 * validates the administrative messages the session builds against its
 * own dictionary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "dict.h"
#include "schedule.h"
#include "session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NS		1000000000LL
/* 2024-01-02 12:00:00 UTC, a Tuesday */
#define T0		(1704196800LL * NS)
#define MONO0		(1000 * NS)
#define MAX_STEP_MS	1000000000LL	/* about 11 days */
#define REAL_MAX	(4000000000LL * NS)

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_session: %s:%d: input line %zu "	\
		    "(%s): check failed: %s\n", __FILE__, __LINE__,	\
		    z.lineno, z.what, #c);				\
		abort();						\
	}								\
} while (0)

struct stored {
	uint64_t	 seq;
	char		*p;
	size_t		 n;
};

/* The session under test and what the checks expect of it. */
struct fz {
	struct fixu_sess	*s;
	struct fixu_sess_cfg	 cfg;
	struct fixu_now		 now;
	struct stored		*st;		/* fake store, by seq */
	size_t			 nst, capst;
	uint64_t		*deliv;		/* delivered numbers, epoch */
	size_t			 ndeliv, capdeliv;
	uint64_t		 next_out;	/* of the next stored SEND */
	uint64_t		 last_in;	/* last STORE_IN, epoch; 0: none */
	int			 on;		/* STATE says logged on */
	uint64_t		 peer_seq;	/* next 34 for M lines */
	uint64_t		 built_seq;	/* 34 of the last M line */
	int			 reset;		/* the event had a RESET */
	int			 appsend;	/* the event is fixu_sess_send */
	size_t			 lineno;	/* for messages */
	const char		*what;
};

static struct fz z;
static struct fixu_dicts *dicts;
static const struct fixu_dict *d40, *d42, *d44, *dfixt, *dsp2;
static struct fixu_sched *sched;
static struct fixu_msg m;
static struct fixu_buf text, body, msg, stream;
static int inited, trace, strict;

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL) {
		perror("fuzz_session");
		exit(2);
	}
	return p;
}

static void
setup(void)
{
	struct fixu_sched_spec sp;
	struct fixu_diag d;

	fixu_diag_clear(&d);
	if (fixu_dicts_new(&dicts, NULL) != 0 ||
	    fixu_dicts_get(dicts, "FIX.4.0", &d40, &d) != 0 ||
	    fixu_dicts_get(dicts, "FIX.4.2", &d42, &d) != 0 ||
	    fixu_dicts_get(dicts, "FIX.4.4", &d44, &d) != 0 ||
	    fixu_dicts_get(dicts, "FIXT.1.1", &dfixt, &d) != 0 ||
	    fixu_dicts_get(dicts, "FIX.5.0SP2", &dsp2, &d) != 0) {
		fprintf(stderr, "fuzz_session: dictionaries (set "
		    "FIXUTIL_DICT_PATH): %s\n", d.msg);
		exit(2);
	}
	memset(&sp, 0, sizeof(sp));
	sp.start_time = "08:00:00";
	sp.end_time = "17:00:00";
	if (fixu_sched_new(&sched, &sp, &d) != 0) {
		fprintf(stderr, "fuzz_session: schedule: %s\n", d.msg);
		exit(2);
	}
	fixu_msg_init(&m);
	fixu_buf_init(&text, 0);
	fixu_buf_init(&body, 0);
	fixu_buf_init(&msg, 0);
	fixu_buf_init(&stream, 0);
	trace = getenv("FUZZ_TRACE") != NULL;
	strict = getenv("FUZZ_STRICT") != NULL;
	inited = 1;
}

/* ---- the fake store -------------------------------------------------------- */

static void
store_clear(void)
{
	size_t i;

	for (i = 0; i < z.nst; i++)
		free(z.st[i].p);
	z.nst = 0;
}

static void
store_add(uint64_t seq, const char *p, size_t n)
{
	struct stored *e;

	if (z.nst == z.capst) {
		z.capst = z.capst ? z.capst * 2 : 64;
		z.st = xrealloc(z.st, z.capst * sizeof(*z.st));
	}
	e = &z.st[z.nst++];
	e->seq = seq;
	e->p = xrealloc(NULL, n);
	memcpy(e->p, p, n);
	e->n = n;
}

static int
fetch_out(void *arg, uint64_t from, uint64_t to,
    int (*each)(void *, uint64_t, const char *, size_t), void *ctx)
{
	size_t i;

	(void)arg;
	for (i = 0; i < z.nst; i++)
		if (z.st[i].seq >= from && (to == 0 || z.st[i].seq <= to) &&
		    each(ctx, z.st[i].seq, z.st[i].p, z.st[i].n) != 0)
			break;
	return 0;
}

static int
delivered(uint64_t seq)
{
	size_t i;

	for (i = 0; i < z.ndeliv; i++)
		if (z.deliv[i] == seq)
			return 1;
	if (z.ndeliv == z.capdeliv) {
		z.capdeliv = z.capdeliv ? z.capdeliv * 2 : 64;
		z.deliv = xrealloc(z.deliv, z.capdeliv * sizeof(*z.deliv));
	}
	z.deliv[z.ndeliv++] = seq;
	return 0;
}

/* ---- the checks ------------------------------------------------------------ */

static int
admin_type(struct fixu_str t)
{
	return t.n == 1 && strchr("012345A", t.p[0]) != NULL;
}

static int
same(struct fixu_str a, struct fixu_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static uint64_t
msg_seq(const struct fixu_msg *pm)
{
	struct fixu_str v = fixu_msg_get(pm, 34);
	uint64_t seq;

	if (v.p == NULL || fixu_parse_u64(v.p, v.n, &seq) != 0)
		return 0;
	return seq;
}

/* A SEND: a whole, correct message with our header. */
static void
check_send(const struct fixu_act *a)
{
	struct fixu_str ty;
	struct fixu_diag d;
	uint64_t seq, nseq;
	int rc;

	CHECK(a->data.p != NULL && a->data.n > 0);
	CHECK((a->flags & ~(unsigned)(FIXU_ACT_F_STORE | FIXU_ACT_F_NOTX |
	    FIXU_ACT_F_ADMIN)) == 0);
	CHECK(!(a->flags & FIXU_ACT_F_NOTX) || (a->flags & FIXU_ACT_F_STORE));
	fixu_diag_clear(&d);
	rc = fixu_msg_parse(&m, a->data.p, a->data.n, FIXU_SOH, NULL, 0, &d);
	if (rc != 0)
		fprintf(stderr, "fuzz_session: SEND does not parse: %s: %s\n"
		    "%.*s\n", fixu_strerror(rc), d.msg, (int)a->data.n,
		    a->data.p);
	CHECK(rc == 0);
	CHECK(m.nf >= 4 && m.f[0].tag == 8 && m.f[1].tag == 9 &&
	    m.f[2].tag == 35 && m.f[m.nf - 1].tag == 10);
	CHECK(fixu_str_eq(fixu_msg_get(&m, 8), z.cfg.sid.begin));
	CHECK(fixu_str_eq(fixu_msg_get(&m, 49), z.cfg.sid.sender));
	CHECK(fixu_str_eq(fixu_msg_get(&m, 56), z.cfg.sid.target));
	CHECK(fixu_msg_get(&m, 52).p != NULL);
	ty = fixu_msg_get(&m, 35);
	CHECK(ty.n > 0 && same(ty, a->msgtype));
	CHECK(!(a->flags & FIXU_ACT_F_ADMIN) == !admin_type(ty));
	CHECK(a->seq > 0 && msg_seq(&m) == a->seq);
	if (strict && admin_type(ty) && !z.appsend) {
		struct fixu_diag iss[1];
		int ni = 0;

		if (fixu_dict_validate(z.cfg.tr, z.cfg.tr, &m, FIXU_V_ALL,
		    iss, 1, &ni) != 0) {
			fprintf(stderr, "fuzz_session: our own %.*s is "
			    "invalid: %s\n%.*s\n", (int)ty.n, ty.p,
			    ni > 0 ? iss[0].msg : "?", (int)a->data.n,
			    a->data.p);
			CHECK(!"an administrative message we sent is invalid");
		}
	}
	CHECK(!a->possdup == !fixu_str_eq(fixu_msg_get(&m, 43), "Y"));
	CHECK(!a->possdup || fixu_msg_get(&m, 122).p != NULL);
	if (a->flags & FIXU_ACT_F_STORE) {
		/* A new message: the next number, stored before it goes. */
		if (a->seq != z.next_out)
			fprintf(stderr, "fuzz_session: stored SEND numbered "
			    "%llu, expected %llu\n",
			    (unsigned long long)a->seq,
			    (unsigned long long)z.next_out);
		CHECK(a->seq == z.next_out);
		CHECK(!a->possdup);
		z.next_out++;
		store_add(a->seq, a->data.p, a->data.n);
		return;
	}
	/* A resend or a gap fill: a number already used. */
	CHECK(a->possdup);
	CHECK(a->seq < z.next_out);
	seq = a->seq;
	if (fixu_str_eq(ty, "4")) {
		CHECK(fixu_str_eq(fixu_msg_get(&m, 123), "Y"));
		CHECK(fixu_parse_u64(fixu_msg_get(&m, 36).p,
		    fixu_msg_get(&m, 36).n, &nseq) == 0);
		CHECK(nseq > seq && nseq <= z.next_out);
	} else
		CHECK(!admin_type(ty));
}

/* One action of the event at hand; prev is the one before, or NULL. */
static void
check_act(const struct fixu_act *a, const struct fixu_act *prev,
    int *disc, int may_tx)
{
	uint64_t seq;

	switch (a->kind) {
	case FIXU_ACT_SEND:
		check_send(a);
		if (!(a->flags & FIXU_ACT_F_NOTX)) {
			CHECK(may_tx);
			CHECK(!*disc);
		}
		break;
	case FIXU_ACT_STORE_IN:
		CHECK((a->flags & ~(unsigned)FIXU_ACT_F_ADMIN) == 0);
		CHECK(a->data.p != NULL && a->data.n > 0);
		CHECK(a->seq > z.last_in);
		z.last_in = a->seq;
		break;
	case FIXU_ACT_DELIVER:
		CHECK(a->flags == 0);
		CHECK(a->data.p != NULL && a->data.n > 0);
		CHECK(z.on);
		/* Right behind the STORE_IN of the same message. */
		CHECK(prev != NULL && prev->kind == FIXU_ACT_STORE_IN &&
		    same(prev->data, a->data));
		CHECK(!(prev->flags & FIXU_ACT_F_ADMIN));
		(void)fixu_msg_parse(&m, a->data.p, a->data.n, FIXU_SOH, NULL,
		    FIXU_PARSE_NOCHECK, NULL);
		seq = msg_seq(&m);
		CHECK(seq == prev->seq);
		CHECK(a->msgtype.n > 0 && !admin_type(a->msgtype));
		if (delivered(seq)) {
			fprintf(stderr, "fuzz_session: MsgSeqNum %llu "
			    "delivered twice\n", (unsigned long long)seq);
			CHECK(!"a number delivered twice");
		}
		break;
	case FIXU_ACT_SET_NEXT:
		CHECK(a->next_out != 0 || a->next_in != 0);
		if (a->next_out != 0)
			z.next_out = a->next_out;
		if (a->next_in != 0)
			CHECK(a->next_in > z.last_in);
		break;
	case FIXU_ACT_RESET:
		CHECK(a->data.n > 0);
		z.next_out = 1;
		z.last_in = 0;
		z.ndeliv = 0;
		z.reset = 1;
		store_clear();
		break;
	case FIXU_ACT_EVENT:
		CHECK(a->name != NULL && a->name[0] != '\0');
		CHECK(a->data.p != NULL && a->data.n < 512);
		break;
	case FIXU_ACT_STATE:
		/* A Logon with ResetSeqNumFlag while logged on logs on
		   again: STATE 1 twice is fine, STATE 0 twice is not. */
		CHECK(a->value == 0 || a->value == 1);
		CHECK(a->value == 1 || z.on);
		z.on = a->value;
		break;
	case FIXU_ACT_DISCONNECT:
		*disc = 1;
		break;
	default:
		CHECK(!"unknown action kind");
	}
	if (a->kind != FIXU_ACT_SEND && a->kind != FIXU_ACT_STORE_IN)
		CHECK(a->flags == 0);
}

/* FUZZ_TRACE=1: the actions of every event on stderr, to write seeds. */
static void
show(const struct fixu_act *a, size_t n)
{
	static const char *const kinds[] = { "?", "SEND", "STORE_IN",
	    "DELIVER", "SET_NEXT", "RESET", "EVENT", "STATE", "DISCONNECT" };
	size_t i, k;

	for (i = 0; i < n; i++) {
		fprintf(stderr, "  %zu %-10s", z.lineno,
		    kinds[a[i].kind >= 1 && a[i].kind <= 8 ? a[i].kind : 0]);
		if (a[i].kind == FIXU_ACT_EVENT)
			fprintf(stderr, " %s:", a[i].name);
		if (a[i].kind == FIXU_ACT_SEND || a[i].kind == FIXU_ACT_STORE_IN)
			fprintf(stderr, " seq %llu flags %u",
			    (unsigned long long)a[i].seq, a[i].flags);
		if (a[i].kind == FIXU_ACT_SET_NEXT)
			fprintf(stderr, " out %llu in %llu",
			    (unsigned long long)a[i].next_out,
			    (unsigned long long)a[i].next_in);
		if (a[i].kind == FIXU_ACT_STATE)
			fprintf(stderr, " %d", a[i].value);
		fputc(' ', stderr);
		for (k = 0; k < a[i].data.n; k++)
			fputc(a[i].data.p[k] == FIXU_SOH ? '|' :
			    a[i].data.p[k], stderr);
		fputc('\n', stderr);
	}
}

/*
 * After an event: its actions, then the session's state.  before is the
 * state the event found; connect says the event was fixu_sess_connected().
 * Returns how many actions the event had.
 */
static size_t
after(int before, int connect)
{
	const struct fixu_act *a;
	size_t i, n, nacts;
	int disc = 0, st, may_tx;

	may_tx = connect || (before != FIXU_SS_DOWN &&
	    before != FIXU_SS_CLOSING);
	z.reset = 0;
	n = fixu_sess_actions(z.s, &a);
	if (trace)
		show(a, n);
	for (i = 0; i < n; i++)
		check_act(&a[i], i > 0 ? &a[i - 1] : NULL, &disc, may_tx);
	fixu_sess_actions_clear(z.s);
	CHECK(fixu_sess_actions(z.s, &a) == 0);
	nacts = n;

	st = fixu_sess_state(z.s);
	CHECK(st >= FIXU_SS_DOWN && st <= FIXU_SS_CLOSING);
	if (disc)
		CHECK(st == FIXU_SS_CLOSING);
	if (fixu_sess_next_out(z.s) != z.next_out)
		fprintf(stderr, "fuzz_session: next_out %llu, stored SENDs "
		    "say %llu\n", (unsigned long long)fixu_sess_next_out(z.s),
		    (unsigned long long)z.next_out);
	CHECK(fixu_sess_next_out(z.s) == z.next_out);
	CHECK(fixu_sess_next_in(z.s) > z.last_in);
	if (st == FIXU_SS_ACTIVE || st == FIXU_SS_LOGOUT_SENT)
		CHECK(z.on);
	if (st == FIXU_SS_DOWN || st == FIXU_SS_AWAIT_LOGON ||
	    st == FIXU_SS_LOGON_SENT)
		CHECK(!z.on);
	(void)fixu_sess_deadline(z.s);
	/* The peer starts again too (both sides reset, or 141=Y). */
	if (z.reset)
		z.peer_seq = 1;
	return nacts;
}

/* ---- events ---------------------------------------------------------------- */

static void
ev_recv(const char *p, size_t n, int auth_failed)
{
	int st = fixu_sess_state(z.s);

	(void)fixu_sess_recv(z.s, &z.now, p, n, auth_failed);
	after(st, 0);
}

static void
ev_garbled(const char *why)
{
	struct fixu_diag d;
	int st = fixu_sess_state(z.s);

	fixu_diag_clear(&d);
	(void)fixu_diag_set(&d, FIXU_EGARBLED, 0, 0, FIXU_REJ_NONE, "%s", why);
	(void)fixu_sess_garbled(z.s, &z.now, &d);
	after(st, 0);
}

/* '|' as SOH: the line at p[0..n) into text. */
static void
unbar(const char *p, size_t n)
{
	size_t i;

	fixu_buf_reset(&text);
	if (fixu_buf_append(&text, p, n) != 0)
		return;
	for (i = 0; i < text.len; i++)
		if (text.p[i] == '|')
			text.p[i] = FIXU_SOH;
}

/* Field tag=... anywhere in f[0..n) as a field of its own. */
static const char *
has_field(const char *f, size_t n, const char *tageq)
{
	size_t k = strlen(tageq), i;

	for (i = 0; i + k <= n; i++)
		if ((i == 0 || f[i - 1] == FIXU_SOH) &&
		    memcmp(f + i, tageq, k) == 0)
			return f + i + k;
	return NULL;
}

/* A message from the peer from its fields (in text), into msg. */
static void
build(const char *f, size_t n)
{
	const char *begin = z.cfg.sid.begin, *v, *e;
	size_t blen = strlen(begin), k;
	struct timespec ts;
	uint64_t seq;
	char tb[40];

	if (n >= 2 && memcmp(f, "8=", 2) == 0) {
		e = memchr(f, FIXU_SOH, n);
		begin = f + 2;
		blen = e != NULL ? (size_t)(e - begin) : n - 2;
		k = e != NULL ? (size_t)(e + 1 - f) : n;
		f += k;
		n -= k;
	}
	fixu_buf_reset(&body);
	e = memchr(f, FIXU_SOH, n);
	k = e != NULL ? (size_t)(e - f) : n;
	(void)fixu_buf_append(&body, f, k);
	(void)fixu_buf_putc(&body, FIXU_SOH);
	if ((v = has_field(f, n, "34=")) != NULL) {
		e = memchr(v, FIXU_SOH, n - (size_t)(v - f));
		z.built_seq = UINT64_MAX;
		if (fixu_parse_u64(v, e != NULL ? (size_t)(e - v) :
		    n - (size_t)(v - f), &seq) == 0 && seq < UINT64_MAX) {
			z.built_seq = seq;
			z.peer_seq = seq + 1;
		}
	} else {
		z.built_seq = z.peer_seq;
		(void)fixu_buf_printf(&body, "34=%llu\001",
		    (unsigned long long)z.peer_seq++);
	}
	if (has_field(f, n, "49=") == NULL)
		(void)fixu_buf_printf(&body, "49=%s\001", z.cfg.sid.target);
	if (has_field(f, n, "52=") == NULL) {
		ts.tv_sec = (time_t)(z.now.real / NS);
		ts.tv_nsec = (long)(z.now.real % NS);
		fixu_time_fmt(tb, &ts, 3);
		(void)fixu_buf_printf(&body, "52=%s\001", tb);
	}
	if (has_field(f, n, "56=") == NULL)
		(void)fixu_buf_printf(&body, "56=%s\001", z.cfg.sid.sender);
	if (k < n)
		(void)fixu_buf_append(&body, f + k + 1, n - k - 1);
	if (body.len > 0 && body.p[body.len - 1] != FIXU_SOH)
		(void)fixu_buf_putc(&body, FIXU_SOH);
	fixu_buf_reset(&msg);
	(void)fixu_buf_puts(&msg, "8=");
	(void)fixu_buf_append(&msg, begin, blen);
	(void)fixu_buf_printf(&msg, "\0019=%zu\001", body.len);
	(void)fixu_buf_append(&msg, body.p, body.len);
	(void)fixu_buf_printf(&msg, "10=%03u\001",
	    (unsigned)fixu_checksum(msg.p, msg.len, FIXU_SOH));
}

static void
ev_msg(const char *p, size_t n, int auth_failed)
{
	unbar(p, n);
	build(text.p, text.len);
	ev_recv(msg.p, msg.len, auth_failed);
	/* A Logon that reset the numbers was the peer's first of them. */
	if (z.reset && z.built_seq < UINT64_MAX)
		z.peer_seq = z.built_seq + 1;
}

/* Frame the stream as the engine does; keep a partial message. */
static void
ev_stream(const char *p, size_t n)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off = 0, len;
	int rc;

	unbar(p, n);
	if (fixu_buf_append(&stream, text.p, text.len) != 0)
		fixu_buf_reset(&stream);
	while (off < stream.len) {
		len = stream.len - off;
		fixu_diag_clear(&d);
		rc = fixu_frame(stream.p + off, len, 0, &fr, &d);
		if (rc == FIXU_EAGAIN) {
			if (fr.start >= len)
				off += len > 8 ? len - 8 : 0;
			else
				off += fr.start;
			break;
		}
		if (rc != 0) {
			CHECK(fr.skip <= len);
			ev_garbled(d.msg);
			off += fr.skip > 0 ? fr.skip : 1;
			continue;
		}
		CHECK(fr.start < len && fr.len <= len - fr.start);
		if (fixu_sess_state(z.s) != FIXU_SS_DOWN)
			ev_recv(stream.p + off + fr.start, fr.len, 0);
		off += fr.start + fr.len;
	}
	fixu_buf_consume(&stream, off);
}

static void
ev_send(const char *p, size_t n)
{
	struct fixu_diag d;
	int st = fixu_sess_state(z.s);

	unbar(p, n);
	(void)fixu_sess_send(z.s, &z.now, text.p, text.len, &d);
	z.appsend = 1;
	after(st, 0);
	z.appsend = 0;
}

static long long
number(const char *p, size_t n)
{
	long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && p[0] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		if ((v = v * 10 + (p[i] - '0')) > MAX_STEP_MS)
			v = MAX_STEP_MS;
	return neg ? -v : v;
}

static void
ev_tick(const char *p, size_t n)
{
	int64_t step, dl;
	size_t k;
	int st, i;

	if (n > 0 && p[0] == '*') {
		dl = fixu_sess_deadline(z.s);
		step = dl != INT64_MAX && dl > z.now.mono ? dl - z.now.mono : 0;
		if (step > MAX_STEP_MS * 1000000)
			step = MAX_STEP_MS * 1000000;
	} else
		step = number(p, n) * 1000000;
	if (step < 0)
		step = 0;
	if (z.now.real + step <= REAL_MAX) {
		z.now.real += step;
		z.now.mono += step;
	}
	/*
	 * The engine ticks again while the deadline is due: a tick that
	 * leaves it due must have done something (a late TestRequest makes
	 * the timeout due at once), and the loop must end.
	 */
	for (i = 0; i < 3; i++) {
		st = fixu_sess_state(z.s);
		(void)fixu_sess_tick(z.s, &z.now);
		k = after(st, 0);
		if (fixu_sess_deadline(z.s) > z.now.mono)
			return;
		CHECK(k > 0);
	}
	CHECK(!"the deadline stays due after three ticks");
}

static void
ev_wall(const char *p, size_t n)
{
	int64_t step = number(p, n) * 1000000, r = z.now.real + step;

	if (r >= 0 && r <= REAL_MAX)
		z.now.real = r;
}

static void
ev_connect(void)
{
	int st = fixu_sess_state(z.s);

	(void)fixu_sess_connected(z.s, &z.now);
	after(st, 1);
}

static void
ev_disconnect(void)
{
	int st = fixu_sess_state(z.s);

	fixu_buf_reset(&stream);
	(void)fixu_sess_disconnected(z.s, &z.now);
	after(st, 0);
	CHECK(fixu_sess_state(z.s) == FIXU_SS_DOWN);
	CHECK(!z.on);
}

static void
ev_logout(const char *p, size_t n)
{
	char t[128];
	size_t i;
	int st = fixu_sess_state(z.s);

	if (n >= sizeof(t))
		n = sizeof(t) - 1;
	/* The engine's own texts: no delimiter (the builder takes it). */
	for (i = 0; i < n; i++)
		t[i] = p[i] == FIXU_SOH ? '?' : p[i];
	t[n] = '\0';
	(void)fixu_sess_logout(z.s, &z.now, t[0] != '\0' ? t : NULL);
	after(st, 0);
}

/* ---- one input ------------------------------------------------------------- */

static void
configure(const char *p, size_t n)
{
	struct fixu_sess_cfg *c = &z.cfg;

	memset(c, 0, sizeof(*c));
	c->initiator = n > 0 && (p[0] == 'I' || p[0] == 'i');
	(void)snprintf(c->sid.begin, sizeof(c->sid.begin), "%s",
	    memchr(p, 'T', n) ? "FIXT.1.1" : memchr(p, '2', n) ? "FIX.4.2" :
	    memchr(p, '0', n) ? "FIX.4.0" : "FIX.4.4");
	(void)snprintf(c->sid.sender, sizeof(c->sid.sender), "US");
	(void)snprintf(c->sid.target, sizeof(c->sid.target), "THEM");
	c->heartbtint = 30;
	c->reset_on_logon = memchr(p, 'R', n) != NULL;
	c->reset_on_disconnect = memchr(p, 'X', n) != NULL;
	c->reset_on_logout = memchr(p, 'O', n) != NULL;
	c->send_next_expected = memchr(p, 'N', n) != NULL;
	c->resend_chunk = memchr(p, 'C', n) ? 2 : 0;
	c->persist_messages = memchr(p, 'P', n) == NULL;
	c->send_redundant_resend = memchr(p, 'Q', n) != NULL;
	c->check_latency = memchr(p, 'K', n) == NULL;
	c->check_compid = memchr(p, 'Z', n) == NULL;
	c->ts_decimals = -1;
	c->validate = 1;
	c->vflags = FIXU_V_ALL;
	if (memchr(p, 'l', n))
		c->vflags &= ~(unsigned)FIXU_V_LENGTH_CHECKSUM;
	if (memchr(p, 'u', n))
		c->vflags &= ~(unsigned)FIXU_V_UNKNOWN_FIELDS;
	if (strcmp(c->sid.begin, "FIXT.1.1") == 0) {
		c->tr = dfixt;
		c->app = dsp2;
		c->dicts = dicts;
		(void)snprintf(c->default_applverid,
		    sizeof(c->default_applverid), "9");
	} else
		c->tr = c->app = strcmp(c->sid.begin, "FIX.4.2") == 0 ? d42 :
		    strcmp(c->sid.begin, "FIX.4.0") == 0 ? d40 : d44;
	/*
	 * Options whose fields the version lacks are configuration errors
	 * (the session would send tags its own dictionary rejects): 141
	 * came with FIX.4.1, 553/554 with 4.3, 789 with 4.4.
	 */
	if (c->tr == d40)
		c->reset_on_logon = 0;
	if (c->tr == d40 || c->tr == d42)
		c->send_next_expected = 0;
	if (c->initiator && c->tr != d40 && c->tr != d42) {
		(void)snprintf(c->username, sizeof(c->username), "alice");
		(void)snprintf(c->password, sizeof(c->password), "s3cret");
	}
	c->sched = memchr(p, 'S', n) ? sched : NULL;
}

/* A valid Logon exchange, so that the lines that follow start logged on. */
static void
logon(void)
{
	char f[64];
	int r;

	z.what = "logon first";
	ev_connect();
	r = snprintf(f, sizeof(f), "35=A|98=0|108=30%s%s",
	    z.cfg.initiator && z.cfg.reset_on_logon ? "|141=Y" : "",
	    strcmp(z.cfg.sid.begin, "FIXT.1.1") == 0 ? "|1137=9" : "");
	CHECK(r > 0 && (size_t)r < sizeof(f));
	ev_msg(f, (size_t)r, 0);
	CHECK(fixu_sess_state(z.s) == FIXU_SS_ACTIVE);
}

static void
line(const char *p, size_t n)
{
	char op = n > 0 ? p[0] : '\0';

	p++;
	n = n > 0 ? n - 1 : 0;
	switch (op) {
	case 'M':
		z.what = "M";
		ev_msg(p, n, 0);
		break;
	case 'm':
		z.what = "m";
		ev_msg(p, n, 1);
		break;
	case 'R':
		z.what = "R";
		ev_stream(p, n);
		break;
	case 'B':
		z.what = "B";
		ev_recv(p, n, 0);
		break;
	case 'A':
		z.what = "A";
		ev_send(p, n);
		break;
	case 'T':
		z.what = "T";
		ev_tick(p, n);
		break;
	case 'W':
		z.what = "W";
		ev_wall(p, n);
		break;
	case 'G':
		z.what = "G";
		ev_garbled("fuzz");
		break;
	case 'C':
		z.what = "C";
		ev_connect();
		break;
	case 'D':
		z.what = "D";
		ev_disconnect();
		break;
	case 'O':
		z.what = "O";
		ev_logout(p, n);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct fixu_sess_ops ops;
	struct fixu_diag d;
	size_t n;

	if (!inited)
		setup();
	nl = memchr(p, '\n', size);
	n = nl != NULL ? (size_t)(nl - p) : size;
	z.lineno = 1;
	z.what = "configuration";
	configure(p, n);
	p = nl != NULL ? nl + 1 : end;
	z.now.real = T0;
	z.now.mono = MONO0;
	z.next_out = 1;
	z.last_in = 0;
	z.on = 0;
	z.peer_seq = 1;
	z.ndeliv = 0;
	fixu_buf_reset(&stream);
	ops.fetch_out = fetch_out;
	ops.arg = NULL;
	CHECK(fixu_sess_new(&z.s, &z.cfg, &ops, &d) == 0);
	if (memchr(data, 'U', n) != NULL) {
		fixu_sess_restore(z.s, 10, 10, T0 - 86400 * NS);
		z.next_out = 10;
		z.last_in = 9;
		z.peer_seq = 10;
	}
	if (memchr(data, 'L', n) != NULL)
		logon();
	while (p < end) {
		z.lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		line(p, n);
		p = nl != NULL ? nl + 1 : end;
	}
	fixu_sess_free(z.s);
	z.s = NULL;
	store_clear();
	return 0;
}
