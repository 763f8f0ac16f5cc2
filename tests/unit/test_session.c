/*
 * test_session.c -- the session state machine, event by event: logon as
 * acceptor and initiator, heartbeats and TestRequests on the simulated
 * clock, gaps (queue, one ResendRequest, replay), serving ResendRequests
 * from a fake store (PossDup resends and GapFill runs), SequenceReset in
 * both modes, MsgSeqNum too low, the Logout handshake and its timeout,
 * sending while down, the header order of outbound messages, Reject
 * fields per version, ResetOnLogon, NextExpectedMsgSeqNum and schedules.
 * Nothing here reads a clock: every event gets the harness's time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "dict.h"
#include "err.h"
#include "schedule.h"
#include "session.h"
#include "tap.h"

#define NS	1000000000LL
/* 2024-01-02 12:00:00 UTC, a Tuesday */
#define T0	(1704196800LL * NS)
#define MAXA	4096

struct rec {
	int		 kind;
	unsigned	 flags;
	uint64_t	 seq, next_out, next_in;
	int		 value, possdup;
	const char	*name;
	char		*data;
	size_t		 n;
};

struct stored {
	uint64_t	 seq;
	char		*p;
	size_t		 n;
};

/* One session under test and what its last event did. */
struct h {
	struct fixu_sess	*s;
	struct fixu_sess_cfg	 cfg;
	struct fixu_now		 now;
	struct rec		 a[MAXA];
	size_t			 na;
	struct stored		 st[MAXA];	/* outbound, current epoch */
	size_t			 nst;
	int			 fetch_calls;
	struct fixu_msg		 m;
	struct fixu_buf		 body, out;	/* mk() */
};

static int
fetch(void *arg, uint64_t from, uint64_t to,
    int (*each)(void *, uint64_t, const char *, size_t), void *ctx)
{
	struct h *h = arg;
	size_t i;

	h->fetch_calls++;
	for (i = 0; i < h->nst; i++)
		if (h->st[i].seq >= from && (to == 0 || h->st[i].seq <= to) &&
		    each(ctx, h->st[i].seq, h->st[i].p, h->st[i].n) != 0)
			break;
	return 0;
}

static void
clear(struct h *h)
{
	size_t i;

	for (i = 0; i < h->na; i++)
		free(h->a[i].data);
	h->na = 0;
}

static void
stored_clear(struct h *h)
{
	size_t i;

	for (i = 0; i < h->nst; i++)
		free(h->st[i].p);
	h->nst = 0;
}

static void
store_out(struct h *h, uint64_t seq, const char *p, size_t n)
{
	if (h->nst == MAXA)
		abort();
	h->st[h->nst].seq = seq;
	h->st[h->nst].p = malloc(n);
	memcpy(h->st[h->nst].p, p, n);
	h->st[h->nst].n = n;
	h->nst++;
}

/* Copy the actions of the last event (their views die with the next). */
static void
collect(struct h *h)
{
	const struct fixu_act *a;
	size_t i, n;

	clear(h);
	n = fixu_sess_actions(h->s, &a);
	for (i = 0; i < n && h->na < MAXA; i++) {
		struct rec *r = &h->a[h->na++];

		r->kind = a[i].kind;
		r->flags = a[i].flags;
		r->seq = a[i].seq;
		r->next_out = a[i].next_out;
		r->next_in = a[i].next_in;
		r->value = a[i].value;
		r->possdup = a[i].possdup;
		r->name = a[i].name;
		r->data = malloc(a[i].data.n + 1);
		memcpy(r->data, a[i].data.p, a[i].data.n);
		r->data[a[i].data.n] = '\0';
		r->n = a[i].data.n;
		if (r->kind == FIXU_ACT_SEND && (r->flags & FIXU_ACT_F_STORE))
			store_out(h, r->seq, r->data, r->n);
		if (r->kind == FIXU_ACT_RESET)
			stored_clear(h);
	}
	fixu_sess_actions_clear(h->s);
}

static void
h_init(struct h *h, const char *begin, int initiator)
{
	struct fixu_sess_ops ops;
	struct fixu_diag d;

	memset(h, 0, sizeof(*h));
	(void)snprintf(h->cfg.sid.begin, sizeof(h->cfg.sid.begin), "%s", begin);
	(void)snprintf(h->cfg.sid.sender, sizeof(h->cfg.sid.sender), "US");
	(void)snprintf(h->cfg.sid.target, sizeof(h->cfg.sid.target), "THEM");
	h->cfg.initiator = initiator;
	h->cfg.heartbtint = 30;
	h->cfg.check_compid = 1;
	h->cfg.check_latency = 1;
	h->cfg.persist_messages = 1;
	h->cfg.ts_decimals = -1;
	h->now.real = T0;
	h->now.mono = 1000 * NS;
	fixu_msg_init(&h->m);
	fixu_buf_init(&h->body, 0);
	fixu_buf_init(&h->out, 0);
	ops.fetch_out = fetch;
	ops.arg = h;
	if (fixu_sess_new(&h->s, &h->cfg, &ops, &d) != 0) {
		printf("# fixu_sess_new: %s\n", d.msg);
		abort();
	}
}

static void
h_fini(struct h *h)
{
	clear(h);
	stored_clear(h);
	fixu_sess_free(h->s);
	fixu_msg_fini(&h->m);
	fixu_buf_fini(&h->body);
	fixu_buf_fini(&h->out);
}

static void
advance(struct h *h, int64_t ns)
{
	h->now.real += ns;
	h->now.mono += ns;
}

/*
 * A message from the peer: fields "35=0|34=2|..." ('|' for SOH, tags as
 * written, so bad ones too); 49, 56 and 52 (now) are added after 35 unless
 * given, 8, 9 and 10 always.
 */
static struct fixu_str
mk(struct h *h, const char *begin, const char *fields)
{
	const char *bar = strchr(fields, '|'), *p;
	struct fixu_buf *b = &h->body, *o = &h->out;
	struct timespec ts;
	char tb[40];

	ts.tv_sec = (time_t)(h->now.real / NS);
	ts.tv_nsec = (long)(h->now.real % NS);
	fixu_time_fmt(tb, &ts, 3);
	fixu_buf_reset(b);
	fixu_buf_append(b, fields, bar ? (size_t)(bar - fields) :
	    strlen(fields));
	fixu_buf_putc(b, FIXU_SOH);
	if (strstr(fields, "|49=") == NULL)
		fixu_buf_puts(b, "49=THEM\001");
	if (strstr(fields, "|52=") == NULL)
		fixu_buf_printf(b, "52=%s\001", tb);
	if (strstr(fields, "|56=") == NULL)
		fixu_buf_puts(b, "56=US\001");
	for (p = bar ? bar + 1 : ""; *p != '\0'; p++)
		fixu_buf_putc(b, *p == '|' ? FIXU_SOH : *p);
	if (b->p[b->len - 1] != FIXU_SOH)
		fixu_buf_putc(b, FIXU_SOH);
	fixu_buf_reset(o);
	fixu_buf_printf(o, "8=%s\0019=%zu\001", begin, b->len);
	fixu_buf_append(o, b->p, b->len);
	fixu_buf_printf(o, "10=%03u\001", (unsigned)fixu_checksum(o->p,
	    o->len, FIXU_SOH));
	return (struct fixu_str){ o->p, o->len };
}

static int
recv_(struct h *h, const char *begin, const char *fields)
{
	struct fixu_str m = mk(h, begin, fields);
	int rc = fixu_sess_recv(h->s, &h->now, m.p, m.n, 0);

	collect(h);
	return rc;
}

#define RECV(h, f)	recv_((h), (h)->cfg.sid.begin, (f))

static int
tick(struct h *h)
{
	int rc = fixu_sess_tick(h->s, &h->now);

	collect(h);
	return rc;
}

static int
app_send(struct h *h, const char *fields)
{
	char f[2048];
	struct fixu_diag d;
	size_t i;
	int rc;

	(void)snprintf(f, sizeof(f), "%s", fields);
	for (i = 0; f[i] != '\0'; i++)
		if (f[i] == '|')
			f[i] = FIXU_SOH;
	rc = fixu_sess_send(h->s, &h->now, f, strlen(f), &d);
	collect(h);
	return rc;
}

static size_t
count(const struct h *h, int kind)
{
	size_t i, n = 0;

	for (i = 0; i < h->na; i++)
		n += h->a[i].kind == kind;
	return n;
}

/* The k-th action of a kind, or NULL. */
static const struct rec *
nth(const struct h *h, int kind, size_t k)
{
	size_t i;

	for (i = 0; i < h->na; i++)
		if (h->a[i].kind == kind && k-- == 0)
			return &h->a[i];
	return NULL;
}

/* Field tag of the k-th SEND as a string, static; "" when absent. */
static const char *
field(struct h *h, size_t k, uint32_t tag)
{
	static char buf[1024];
	const struct rec *r = nth(h, FIXU_ACT_SEND, k);
	struct fixu_str v;

	if (r == NULL || fixu_msg_parse(&h->m, r->data, r->n, FIXU_SOH, NULL,
	    0, NULL) != 0)
		return "(bad)";
	v = fixu_msg_get(&h->m, tag);
	if (v.p == NULL)
		return "";
	(void)snprintf(buf, sizeof(buf), "%.*s", (int)v.n, v.p);
	return buf;
}

/* Tags of the k-th SEND in order, "8,9,35,34,...". */
static const char *
tags(struct h *h, size_t k)
{
	static char buf[1024];
	const struct rec *r = nth(h, FIXU_ACT_SEND, k);
	size_t o = 0;
	uint32_t i;

	buf[0] = '\0';
	if (r == NULL || fixu_msg_parse(&h->m, r->data, r->n, FIXU_SOH, NULL,
	    0, NULL) != 0)
		return "(bad)";
	for (i = 0; i < h->m.nf && o + 12 < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%u",
		    i ? "," : "", h->m.f[i].tag);
	return buf;
}

static int
has_event(const struct h *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->na; i++)
		if (h->a[i].kind == FIXU_ACT_EVENT &&
		    strcmp(h->a[i].name, name) == 0)
			return 1;
	return 0;
}

/* Connect and log on as acceptor; the peer's Logon is number 1. */
static void
logon(struct h *h, int hbi)
{
	char f[128];

	fixu_sess_connected(h->s, &h->now);
	collect(h);
	(void)snprintf(f, sizeof(f), "35=A|34=1|98=0|108=%d", hbi);
	RECV(h, f);
}

/* ---- tests --------------------------------------------------------------- */

static void
t_logon_acceptor(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	is_int(fixu_sess_state(h.s), FIXU_SS_DOWN, "new session is down");
	is_int(fixu_sess_connected(h.s, &h.now), 0, "acceptor: connected");
	collect(&h);
	is_int(count(&h, FIXU_ACT_SEND), 0, "acceptor sends nothing first");
	is_int(fixu_sess_state(h.s), FIXU_SS_AWAIT_LOGON, "awaiting Logon");
	is_int(RECV(&h, "35=A|34=1|98=0|108=20"), 0, "Logon received");
	is_int(fixu_sess_state(h.s), FIXU_SS_ACTIVE, "logged on");
	is_int(count(&h, FIXU_ACT_SEND), 1, "one message answers the Logon");
	is_str(field(&h, 0, 35), "A", "the answer is a Logon");
	is_str(field(&h, 0, 108), "20", "it carries the peer's HeartBtInt");
	is_str(tags(&h, 0), "8,9,35,34,49,52,56,98,108,10",
	    "Logon reply field order");
	ok(nth(&h, FIXU_ACT_SEND, 0)->flags & FIXU_ACT_F_STORE,
	    "the reply is stored before it is sent");
	is_int(count(&h, FIXU_ACT_STORE_IN), 1, "the Logon is stored");
	ok(nth(&h, FIXU_ACT_STATE, 0) && nth(&h, FIXU_ACT_STATE, 0)->value == 1,
	    "STATE says logged on");
	ok(has_event(&h, "logon"), "a logon event");
	is_int(fixu_sess_heartbtint(h.s), 20, "HeartBtInt in force");
	is_int(fixu_sess_next_in(h.s), 2, "next inbound 2");
	is_int(fixu_sess_next_out(h.s), 2, "next outbound 2");
	is_int(count(&h, FIXU_ACT_RESET), 0, "no reset without ResetOnLogon");
	h_fini(&h);

	/* A first message that is not a Logon closes the connection. */
	h_init(&h, "FIX.4.4", 0);
	fixu_sess_connected(h.s, &h.now);
	collect(&h);
	RECV(&h, "35=0|34=1");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "no Logon first: disconnect");
	is_int(count(&h, FIXU_ACT_SEND), 0, "and nothing is sent");
	h_fini(&h);

	/* A Logon with wrong CompIDs: disconnect, nothing sent. */
	h_init(&h, "FIX.4.4", 0);
	fixu_sess_connected(h.s, &h.now);
	collect(&h);
	RECV(&h, "35=A|34=1|49=OTHER|98=0|108=30");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "bad CompID Logon: "
	    "disconnect");
	is_int(count(&h, FIXU_ACT_SEND), 0, "bad CompID Logon: no reply");
	h_fini(&h);

	/* Credentials refused: a Logout with the reason, then hang up. */
	h_init(&h, "FIX.4.4", 0);
	fixu_sess_connected(h.s, &h.now);
	collect(&h);
	{
		struct fixu_str m = mk(&h, "FIX.4.4",
		    "35=A|34=1|98=0|108=30|553=u|554=wrong");

		fixu_sess_recv(h.s, &h.now, m.p, m.n, 1);
		collect(&h);
	}
	is_int(count(&h, FIXU_ACT_SEND), 1, "auth failed: one message");
	is_str(field(&h, 0, 35), "5", "auth failed: it is a Logout");
	ok(strstr(field(&h, 0, 58), "Password") != NULL,
	    "auth failed: the Logout says why");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "auth failed: disconnect");
	is_int(count(&h, FIXU_ACT_DELIVER), 0, "auth failed: nothing "
	    "delivered");
	ok(fixu_sess_state(h.s) != FIXU_SS_ACTIVE, "auth failed: not "
	    "logged on");
	h_fini(&h);
}

static void
t_logon_initiator(void)
{
	struct h h;

	h_init(&h, "FIXT.1.1", 1);
	h.cfg.reset_on_logon = 1;
	(void)snprintf(h.cfg.username, sizeof(h.cfg.username), "alice");
	(void)snprintf(h.cfg.password, sizeof(h.cfg.password), "s3cret");
	(void)snprintf(h.cfg.default_applverid,
	    sizeof(h.cfg.default_applverid), "9");
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	is_int(fixu_sess_connected(h.s, &h.now), 0, "initiator: connected");
	collect(&h);
	is_int(fixu_sess_state(h.s), FIXU_SS_LOGON_SENT, "Logon sent");
	ok(h.na > 0 && h.a[0].kind == FIXU_ACT_RESET,
	    "ResetOnLogon: RESET comes first");
	is_str(tags(&h, 0), "8,9,35,34,49,52,56,98,108,141,553,554,1137,10",
	    "initiator Logon fields");
	is_str(field(&h, 0, 141), "Y", "ResetSeqNumFlag sent");
	is_str(field(&h, 0, 553), "alice", "Username sent");
	is_str(field(&h, 0, 1137), "9", "DefaultApplVerID sent");
	is_str(field(&h, 0, 52) + 17, ".000", "SendingTime in milliseconds");
	RECV(&h, "35=A|34=1|98=0|108=30|141=Y|1137=9");
	is_int(fixu_sess_state(h.s), FIXU_SS_ACTIVE, "reply accepted");
	is_int(count(&h, FIXU_ACT_SEND), 0, "the initiator does not reply");
	is_int(count(&h, FIXU_ACT_RESET), 0, "no second reset for our own");
	h_fini(&h);

	/* Logon timeout. */
	h_init(&h, "FIX.4.2", 1);
	fixu_sess_connected(h.s, &h.now);
	collect(&h);
	is_int(fixu_sess_deadline(h.s), h.now.mono + 10 * NS,
	    "deadline: LogonTimeout");
	advance(&h, 10 * NS);
	tick(&h);
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "no reply in 10 s: "
	    "disconnect");
	h_fini(&h);
}

static void
t_heartbeats(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 10);
	is_int(fixu_sess_deadline(h.s), h.now.mono + 10 * NS,
	    "first deadline: a heartbeat after HeartBtInt");
	advance(&h, 9 * NS);
	tick(&h);
	is_int(count(&h, FIXU_ACT_SEND), 0, "nothing before HeartBtInt");
	advance(&h, 1 * NS);
	tick(&h);
	is_str(field(&h, 0, 35), "0", "Heartbeat after HeartBtInt");
	is_str(field(&h, 0, 112), "", "an unsolicited Heartbeat has no 112");
	is_int(fixu_sess_deadline(h.s), h.now.mono + 2 * NS,
	    "next: TestRequest at 1.2 HeartBtInt of silence");
	advance(&h, 2 * NS);
	tick(&h);
	is_str(field(&h, 0, 35), "1", "TestRequest after 12 s of silence");
	is_str(field(&h, 0, 112), "TEST", "TestReqID TEST");
	is_int(fixu_sess_deadline(h.s), h.now.mono + 12 * NS,
	    "no heartbeats while it is outstanding: timeout at 2.4");
	advance(&h, 12 * NS);
	tick(&h);
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "no answer: disconnect");
	ok(has_event(&h, "timeout"), "a timeout event");
	h_fini(&h);

	/* An answer clears the TestRequest; a TestRequest gets its id. */
	h_init(&h, "FIX.4.4", 0);
	logon(&h, 10);
	advance(&h, 12 * NS);
	tick(&h);
	is_str(field(&h, 0, 35), "1", "TestRequest sent");
	RECV(&h, "35=0|34=2|112=TEST");
	is_int(count(&h, FIXU_ACT_SEND), 0, "its Heartbeat is not answered");
	is_int(fixu_sess_deadline(h.s), h.now.mono + 10 * NS,
	    "deadline back to HeartBtInt after our last send");
	RECV(&h, "35=1|34=3|112=PING 7");
	is_str(field(&h, 0, 35), "0", "TestRequest answered by Heartbeat");
	is_str(field(&h, 0, 112), "PING 7", "with its TestReqID");
	is_int(fixu_sess_next_in(h.s), 4, "both used their numbers");
	h_fini(&h);
}

static void
t_gap(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	RECV(&h, "35=D|34=2|11=a");
	is_int(count(&h, FIXU_ACT_DELIVER), 1, "in order: delivered");
	RECV(&h, "35=D|34=5|11=d");
	is_int(count(&h, FIXU_ACT_DELIVER), 0, "ahead: not delivered");
	is_int(count(&h, FIXU_ACT_SEND), 1, "one message for the gap");
	is_str(field(&h, 0, 35), "2", "a ResendRequest");
	is_str(field(&h, 0, 7), "3", "BeginSeqNo 3");
	is_str(field(&h, 0, 16), "0", "EndSeqNo 0 (FIX.4.2+)");
	ok(has_event(&h, "gap"), "a gap event");
	RECV(&h, "35=D|34=6|11=e");
	is_int(count(&h, FIXU_ACT_SEND), 0, "no second ResendRequest");
	RECV(&h, "35=D|34=3|11=b");
	is_int(count(&h, FIXU_ACT_DELIVER), 1, "gap filling: delivered");
	RECV(&h, "35=D|34=4|11=c");
	is_int(count(&h, FIXU_ACT_DELIVER), 3, "gap filled: queue replayed");
	ok(nth(&h, FIXU_ACT_DELIVER, 1) != NULL &&
	    strstr(nth(&h, FIXU_ACT_DELIVER, 1)->data, "11=d") != NULL &&
	    strstr(nth(&h, FIXU_ACT_DELIVER, 2)->data, "11=e") != NULL,
	    "in sequence order");
	is_int(count(&h, FIXU_ACT_STORE_IN), 3, "each stored first");
	is_int(fixu_sess_next_in(h.s), 7, "next inbound 7");
	h_fini(&h);

	/* FIX.4.0 asks up to 999999; redundant requests when configured. */
	h_init(&h, "FIX.4.0", 0);
	h.cfg.send_redundant_resend = 1;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	logon(&h, 30);
	RECV(&h, "35=0|34=4");
	is_str(field(&h, 0, 16), "999999", "FIX.4.0 EndSeqNo 999999");
	is_str(field(&h, 0, 52) + 8, "-12:00:00", "FIX.4.0 SendingTime in "
	    "seconds");
	RECV(&h, "35=0|34=5");
	is_str(field(&h, 0, 35), "2", "SendRedundantResendRequests: again");
	h_fini(&h);

	/* Garbled and bad CheckSum messages use no number. */
	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	{
		struct fixu_str m = mk(&h, "FIX.4.4", "35=0|34=2");
		char bad[512];

		memcpy(bad, m.p, m.n);
		bad[m.n - 2] = bad[m.n - 2] == '0' ? '1' : '0';
		fixu_sess_recv(h.s, &h.now, bad, m.n, 0);
		collect(&h);
		ok(has_event(&h, "garbled"), "bad CheckSum: garbled event");
		is_int(fixu_sess_next_in(h.s), 2, "and no number used");
	}
	RECV(&h, "35=0|34=2");
	is_int(fixu_sess_next_in(h.s), 3, "the good copy is taken");
	h_fini(&h);
}

static void
t_resend(void)
{
	struct h h;
	char orig[64];

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);					/* out 1: Logon */
	app_send(&h, "35=D|11=one|55=X");		/* out 2 */
	(void)snprintf(orig, sizeof(orig), "%s", field(&h, 0, 52));
	advance(&h, 30 * NS);
	tick(&h);					/* out 3: Heartbeat */
	RECV(&h, "35=1|34=2|112=x");			/* out 4: Heartbeat */
	app_send(&h, "35=D|11=two|55=Y");		/* out 5 */
	app_send(&h, "35=8|37=o|17=e");			/* out 6 */
	is_int(fixu_sess_next_out(h.s), 7, "six messages sent");
	advance(&h, 5 * NS);
	RECV(&h, "35=2|34=3|7=1|16=0");
	is_int(count(&h, FIXU_ACT_SEND), 5, "GapFill, 2, GapFill, 5, 6");
	is_str(field(&h, 0, 35), "4", "a GapFill first (the Logon)");
	is_str(field(&h, 0, 34), "1", "numbered 1");
	is_str(field(&h, 0, 36), "2", "NewSeqNo 2");
	is_str(field(&h, 0, 123), "Y", "GapFillFlag Y");
	is_str(field(&h, 0, 43), "Y", "PossDupFlag on the gap fill");
	is_str(tags(&h, 0), "8,9,35,34,43,49,52,56,122,36,123,10",
	    "gap fill field order");
	is_str(field(&h, 1, 34), "2", "message 2 resent");
	is_str(field(&h, 1, 43), "Y", "PossDupFlag Y");
	is_str(field(&h, 1, 122), orig, "OrigSendingTime is its first "
	    "SendingTime");
	ok(strcmp(field(&h, 1, 52), orig) != 0, "SendingTime is new");
	is_str(tags(&h, 1), "8,9,35,34,43,49,52,56,122,11,55,10",
	    "resent header rebuilt, body kept");
	ok(!(nth(&h, FIXU_ACT_SEND, 1)->flags & FIXU_ACT_F_STORE),
	    "resends are not stored again");
	is_str(field(&h, 2, 34), "3", "a run of admin messages...");
	is_str(field(&h, 2, 36), "5", "...is one gap fill (3 to 5)");
	is_str(field(&h, 3, 11), "two", "then message 5");
	is_str(field(&h, 4, 35), "8", "and message 6");
	ok(has_event(&h, "resend"), "a resend event");
	is_int(fixu_sess_next_out(h.s), 7, "resends take no new numbers");
	is_int(fixu_sess_next_in(h.s), 4, "the ResendRequest used its number");

	/* A range past the end, and one of admin messages only. */
	RECV(&h, "35=2|34=4|7=3|16=4");
	is_int(count(&h, FIXU_ACT_SEND), 1, "only admin: one gap fill");
	is_str(field(&h, 0, 36), "5", "to the end of the range + 1");
	RECV(&h, "35=2|34=5|7=6|16=99");
	is_str(field(&h, 0, 34), "6", "EndSeqNo beyond: up to the last sent");
	is_int(count(&h, FIXU_ACT_SEND), 1, "just message 6");
	h_fini(&h);

	/* PersistMessages=N: one gap fill over the whole range. */
	h_init(&h, "FIX.4.2", 0);
	h.cfg.persist_messages = 0;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	logon(&h, 30);
	app_send(&h, "35=D|11=one");
	app_send(&h, "35=D|11=two");
	h.fetch_calls = 0;
	RECV(&h, "35=2|34=2|7=1|16=0");
	is_int(count(&h, FIXU_ACT_SEND), 1, "PersistMessages=N: one message");
	is_str(field(&h, 0, 36), "4", "gap fill 1 to 4");
	is_int(h.fetch_calls, 0, "the store is not read");
	h_fini(&h);
}

static void
t_seqreset(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	RECV(&h, "35=4|34=2|36=10|123=Y");
	is_int(fixu_sess_next_in(h.s), 10, "GapFill: next is NewSeqNo");
	ok(nth(&h, FIXU_ACT_SET_NEXT, 0) &&
	    nth(&h, FIXU_ACT_SET_NEXT, 0)->next_in == 10, "SET_NEXT in 10");
	ok(has_event(&h, "seqreset"), "a seqreset event");
	RECV(&h, "35=4|34=99|36=20");
	is_int(fixu_sess_next_in(h.s), 20, "Reset mode ignores MsgSeqNum");
	is_int(count(&h, FIXU_ACT_SEND), 0, "and sends nothing");
	RECV(&h, "35=4|34=20|36=5");
	is_str(field(&h, 0, 35), "3", "NewSeqNo lower: Reject");
	is_str(field(&h, 0, 373), "5", "value out of range");
	is_str(field(&h, 0, 372), "4", "RefMsgType 4");
	is_int(fixu_sess_next_in(h.s), 20, "unchanged");
	RECV(&h, "35=4|34=25|36=30|123=Y");
	is_str(field(&h, 0, 35), "2", "a GapFill ahead: ResendRequest");
	is_int(fixu_sess_next_in(h.s), 20, "not applied yet");
	h_fini(&h);
}

static void
t_too_low(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	RECV(&h, "35=0|34=2");
	RECV(&h, "35=0|34=2|43=Y|122=20240102-11:59:59");
	is_int(h.na, 1, "duplicate with PossDup: only an event");
	ok(has_event(&h, "duplicate"), "the duplicate event");
	RECV(&h, "35=0|34=2|43=Y");
	is_str(field(&h, 0, 373), "1", "PossDup without 122: Reject 1");
	is_str(field(&h, 0, 371), "122", "RefTagID 122");
	is_int(fixu_sess_next_in(h.s), 3, "a duplicate uses no number");
	RECV(&h, "35=0|34=2");
	is_str(field(&h, 0, 35), "5", "too low: Logout");
	is_str(field(&h, 0, 58), "MsgSeqNum too low, expecting 3 but "
	    "received 2", "with the reason");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "and disconnect");
	is_int(fixu_sess_state(h.s), FIXU_SS_CLOSING, "closing");
	is_int(fixu_sess_disconnected(h.s, &h.now), 0, "transport down");
	collect(&h);
	is_int(fixu_sess_state(h.s), FIXU_SS_DOWN, "down");
	ok(nth(&h, FIXU_ACT_STATE, 0) && nth(&h, FIXU_ACT_STATE, 0)->value == 0,
	    "STATE says logged off");
	h_fini(&h);
}

static void
t_logout(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	is_int(fixu_sess_logout(h.s, &h.now, "bye"), 0, "logout requested");
	collect(&h);
	is_str(field(&h, 0, 35), "5", "Logout sent");
	is_str(field(&h, 0, 58), "bye", "with the text");
	is_int(fixu_sess_state(h.s), FIXU_SS_LOGOUT_SENT, "waiting for reply");
	RECV(&h, "35=5|34=2");
	is_int(count(&h, FIXU_ACT_SEND), 0, "the reply is not answered");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "then disconnect");
	h_fini(&h);

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	fixu_sess_logout(h.s, &h.now, NULL);
	collect(&h);
	is_int(fixu_sess_deadline(h.s), h.now.mono + 2 * NS,
	    "LogoutTimeout 2 s");
	advance(&h, 2 * NS);
	tick(&h);
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "no reply: disconnect");
	h_fini(&h);

	/* Unsolicited: answered, then disconnect. */
	h_init(&h, "FIX.4.4", 0);
	h.cfg.reset_on_logout = 1;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	logon(&h, 30);
	RECV(&h, "35=5|34=2|58=done");
	is_str(field(&h, 0, 35), "5", "peer's Logout answered");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "and disconnect");
	fixu_sess_disconnected(h.s, &h.now);
	collect(&h);
	is_int(count(&h, FIXU_ACT_RESET), 1, "ResetOnLogout: RESET");
	is_int(fixu_sess_next_out(h.s), 1, "numbers back to 1");
	h_fini(&h);
}

static void
t_send(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	is_int(app_send(&h, "35=D|11=x"), 0, "send while down");
	ok(nth(&h, FIXU_ACT_SEND, 0) != NULL &&
	    (nth(&h, FIXU_ACT_SEND, 0)->flags &
	    (FIXU_ACT_F_STORE | FIXU_ACT_F_NOTX)) ==
	    (FIXU_ACT_F_STORE | FIXU_ACT_F_NOTX), "stored, not transmitted");
	is_int(nth(&h, FIXU_ACT_SEND, 0)->seq, 1, "numbered 1");
	is_int(fixu_sess_next_out(h.s), 2, "next outbound 2");
	is_int(app_send(&h, "58=no type"), FIXU_ESYNTAX, "no 35: ESYNTAX");
	is_int(app_send(&h, "35=0"), FIXU_EINVAL, "Heartbeat: EINVAL");
	is_int(app_send(&h, "35=A|98=0"), FIXU_EINVAL, "Logon: EINVAL");
	logon(&h, 30);
	app_send(&h, "8=FIX.4.4|9=5|35=D|34=77|97=Y|11=id|52=x|115=ON|"
	    "50=SUB|43=Y|122=y|55=Z|10=000");
	is_str(tags(&h, 0), "8,9,35,34,49,50,52,56,97,115,11,55,10",
	    "header ascending after 35, body in its order, own fields "
	    "replaced");
	is_str(field(&h, 0, 34), "3", "its own number");
	is_str(field(&h, 0, 56), "THEM", "TargetCompID");
	ok(!(nth(&h, FIXU_ACT_SEND, 0)->flags & FIXU_ACT_F_NOTX),
	    "transmitted when logged on");
	app_send(&h, "35=E|627=2|628=A|629=x|628=B|629=y|11=id");
	is_str(tags(&h, 0), "8,9,35,34,49,52,56,627,628,629,628,629,11,10",
	    "NoHops entries stay together");
	app_send(&h, "35=3|45=2|58=no");
	ok(nth(&h, FIXU_ACT_SEND, 0)->flags & FIXU_ACT_F_ADMIN,
	    "an application's session Reject is allowed, as admin");
	h_fini(&h);
}

static void
t_rejects(void)
{
	static const struct {
		const char	*begin;
		const char	*tags;
		const char	*text;
	} v[] = {
		{ "FIX.4.0", "8,9,35,34,49,52,56,45,58,10",
		    "CompID problem" },
		{ "FIX.4.2", "8,9,35,34,49,52,56,45,58,372,373,10",
		    "CompID problem" },
		{ "FIX.4.4", "8,9,35,34,49,52,56,45,58,372,373,10",
		    "CompID problem" },
	};
	struct h h;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		h_init(&h, v[i].begin, 0);
		logon(&h, 30);
		recv_(&h, v[i].begin, "35=D|34=2|49=WHO|11=x");
		is_str(tags(&h, 0), v[i].tags, "%s CompID Reject fields",
		    v[i].begin);
		is_str(field(&h, 0, 58), v[i].text, "%s text", v[i].begin);
		is_str(field(&h, 1, 35), "5", "%s then Logout", v[i].begin);
		h_fini(&h);
	}
	/* RefTagID: in 371 from FIX.4.2, in the text before. */
	h_init(&h, "FIX.4.1", 0);
	logon(&h, 30);
	RECV(&h, "35=0|34=2|0=x");
	is_str(field(&h, 0, 58), "Invalid tag number (0)", "FIX.4.1: tag in "
	    "the text");
	is_str(field(&h, 0, 371), "", "FIX.4.1: no RefTagID");
	h_fini(&h);
	h_init(&h, "FIX.4.3", 0);
	logon(&h, 30);
	RECV(&h, "35=0|34=2|-5=x|115=ROUTE");
	is_str(field(&h, 0, 371), "-5", "RefTagID as sent");
	is_str(field(&h, 0, 373), "0", "Invalid tag number");
	is_str(field(&h, 0, 128), "ROUTE", "OnBehalfOfCompID reversed into "
	    "DeliverToCompID");
	is_int(fixu_sess_next_in(h.s), 3, "the rejected message used its "
	    "number");
	RECV(&h, "35=0|34=3|52=20240102-11:50:00");
	is_str(field(&h, 0, 373), "10", "SendingTime 10 min off: Reject 10");
	is_str(field(&h, 1, 35), "5", "and Logout");
	h_fini(&h);
	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	recv_(&h, "FIX.4.2", "35=0|34=2");
	is_str(field(&h, 0, 58), "Incorrect BeginString", "wrong BeginString:"
	    " Logout");
	is_int(fixu_sess_state(h.s), FIXU_SS_LOGOUT_SENT, "waiting for reply");
	h_fini(&h);
}

static void
t_reset(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	h.cfg.reset_on_logon = 1;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	fixu_sess_restore(h.s, 50, 40, T0 - 3600 * NS);
	logon(&h, 30);
	ok(h.na > 0 && h.a[0].kind == FIXU_ACT_RESET, "ResetOnLogon: RESET "
	    "first");
	is_str(field(&h, 0, 34), "1", "reply numbered 1");
	is_int(fixu_sess_next_in(h.s), 2, "inbound from 1");
	/* 141=Y while logged on: both sides start over. */
	app_send(&h, "35=D|11=x");
	RECV(&h, "35=A|34=1|98=0|108=30|141=Y");
	is_int(count(&h, FIXU_ACT_RESET), 1, "141=Y: RESET");
	is_str(field(&h, 0, 141), "Y", "reply with 141=Y");
	is_str(field(&h, 0, 34), "1", "numbered 1");
	h_fini(&h);
}

static void
t_next_expected(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	h.cfg.send_next_expected = 1;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	logon(&h, 30);
	is_str(field(&h, 0, 789), "2", "789 in the reply: next expected");
	app_send(&h, "35=D|11=a");			/* 2 */
	app_send(&h, "35=D|11=b");			/* 3 */
	fixu_sess_disconnected(h.s, &h.now);
	collect(&h);
	fixu_sess_connected(h.s, &h.now);
	collect(&h);
	RECV(&h, "35=A|34=2|98=0|108=30|789=3");
	is_str(field(&h, 0, 35), "A", "Logon reply first");
	is_str(field(&h, 1, 11), "b", "then what the peer lacks (3)");
	is_str(field(&h, 1, 43), "Y", "as a possible duplicate");
	is_int(count(&h, FIXU_ACT_SEND), 2, "nothing else");
	fixu_sess_disconnected(h.s, &h.now);
	collect(&h);
	fixu_sess_connected(h.s, &h.now);
	collect(&h);
	RECV(&h, "35=A|34=3|98=0|108=30|789=40");
	is_str(field(&h, 1, 35), "5", "789 too high: Logout");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "and disconnect");
	h_fini(&h);
}

static void
t_schedule(void)
{
	struct fixu_sched_spec sp;
	struct fixu_sched *sc = NULL;
	struct fixu_diag d;
	struct h h;

	memset(&sp, 0, sizeof(sp));
	sp.start_time = "09:00:00";
	sp.end_time = "17:00:00";
	if (fixu_sched_new(&sc, &sp, &d) != 0) {
		ok(0, "schedule: %s", d.msg);
		return;
	}
	h_init(&h, "FIX.4.4", 0);
	h.cfg.sched = sc;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	/* An epoch from yesterday's window. */
	fixu_sess_restore(h.s, 10, 20, T0 - 24 * 3600 * NS);
	ok(fixu_sess_in_schedule(h.s, T0), "12:00 is in the window");
	ok(!fixu_sess_in_schedule(h.s, T0 + 6 * 3600 * NS), "18:00 is not");
	logon(&h, 30);
	is_int(count(&h, FIXU_ACT_RESET), 1, "epoch of an earlier period: "
	    "RESET at logon");
	is_int(fixu_sess_state(h.s), FIXU_SS_ACTIVE, "logged on");
	is_int(fixu_sess_deadline(h.s), h.now.mono + 30 * NS,
	    "heartbeat first");
	/* Jump to the end of the window. */
	advance(&h, 5 * 3600 * NS + NS);
	RECV(&h, "35=0|34=2");
	tick(&h);
	is_str(field(&h, 0, 35), "5", "window over: Logout");
	advance(&h, 2 * NS);
	tick(&h);
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "no reply: disconnect");
	fixu_sess_disconnected(h.s, &h.now);
	collect(&h);
	tick(&h);
	is_int(count(&h, FIXU_ACT_RESET), 1, "down after the period: RESET");
	is_int(fixu_sess_next_out(h.s), 1, "numbers back to 1");
	/* Logon outside the window. */
	fixu_sess_connected(h.s, &h.now);
	collect(&h);
	RECV(&h, "35=A|34=1|98=0|108=30");
	is_int(count(&h, FIXU_ACT_DISCONNECT), 1, "Logon outside the window: "
	    "disconnect");
	is_int(count(&h, FIXU_ACT_SEND), 0, "without a reply");
	h_fini(&h);
	fixu_sched_free(sc);
}

/* Many large actions in one event: views survive the arena growing. */
static void
t_arena(void)
{
	struct h h;
	char body[1200];
	int i, good = 1;

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	memset(body, 'x', sizeof(body));
	(void)snprintf(body, sizeof(body), "35=D|58=");
	memset(body + 8, 'x', sizeof(body) - 9);
	body[sizeof(body) - 1] = '\0';
	for (i = 0; i < 300; i++)
		app_send(&h, body);
	RECV(&h, "35=2|34=2|7=2|16=0");
	is_int(count(&h, FIXU_ACT_SEND), 300, "300 messages resent at once");
	for (i = 0; i < 300; i++) {
		char want[16];

		(void)snprintf(want, sizeof(want), "%d", i + 2);
		if (strcmp(field(&h, (size_t)i, 34), want) != 0)
			good = 0;
	}
	ok(good, "every view intact and in order");
	h_fini(&h);
}

/* A long gap filled backwards: the queue stays sorted and replays all. */
static void
t_queue(void)
{
	struct h h;
	char f[64];
	int i, good = 1;

	h_init(&h, "FIX.4.4", 0);
	logon(&h, 30);
	for (i = 1500; i >= 3; i--) {
		(void)snprintf(f, sizeof(f), "35=D|34=%d|11=o%d", i, i);
		RECV(&h, f);
		if (count(&h, FIXU_ACT_DELIVER) != 0)
			good = 0;
	}
	ok(good, "1499 messages ahead: none delivered");
	RECV(&h, "35=D|34=2|11=o2");
	is_int(count(&h, FIXU_ACT_DELIVER), 1499, "the gap filled: all of "
	    "them delivered");
	for (i = 0; i < 1499 && good; i++) {
		(void)snprintf(f, sizeof(f), "11=o%d\001", i + 2);
		if (strstr(nth(&h, FIXU_ACT_DELIVER, (size_t)i)->data,
		    f) == NULL)
			good = 0;
	}
	ok(good, "in sequence order");
	is_int(fixu_sess_next_in(h.s), 1501, "next inbound 1501");
	h_fini(&h);
}

/* ResendRequestChunkSize: one chunk at a time. */
static void
t_chunks(void)
{
	struct h h;

	h_init(&h, "FIX.4.4", 0);
	h.cfg.resend_chunk = 3;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	logon(&h, 30);
	RECV(&h, "35=0|34=9");
	is_str(field(&h, 0, 7), "2", "first chunk from 2");
	is_str(field(&h, 0, 16), "4", "to 4");
	RECV(&h, "35=0|34=2|43=Y|122=20240102-11:59:00");
	RECV(&h, "35=0|34=3|43=Y|122=20240102-11:59:00");
	is_int(count(&h, FIXU_ACT_SEND), 0, "nothing while the chunk comes");
	RECV(&h, "35=0|34=4|43=Y|122=20240102-11:59:00");
	is_str(field(&h, 0, 7), "5", "the next chunk from 5");
	is_str(field(&h, 0, 16), "7", "to 7");
	h_fini(&h);
}

/* Validation with the FIX.4.4 dictionary, when dicts/ is there. */
static void
t_validate(void)
{
	struct fixu_dicts *ds = NULL;
	const struct fixu_dict *d44 = NULL;
	struct h h;

	if (fixu_dicts_new(&ds, NULL) != 0 ||
	    fixu_dicts_get(ds, "FIX.4.4", &d44, NULL) != 0) {
		ok(1, "# SKIP no FIX44.xml");
		fixu_dicts_free(ds);
		return;
	}
	h_init(&h, "FIX.4.4", 0);
	h.cfg.validate = 1;
	h.cfg.vflags = FIXU_V_ALL;
	h.cfg.tr = d44;
	fixu_sess_free(h.s);
	{
		struct fixu_sess_ops ops = { fetch, &h };

		fixu_sess_new(&h.s, &h.cfg, &ops, NULL);
	}
	logon(&h, 30);
	is_int(fixu_sess_state(h.s), FIXU_SS_ACTIVE, "valid Logon accepted");
	RECV(&h, "35=D|34=2|11=a|21=4|38=1|40=1|54=1|55=X|"
	    "60=20240102-12:00:00");
	is_str(field(&h, 0, 35), "3", "bad enum: Reject");
	is_str(field(&h, 0, 371), "21", "RefTagID 21");
	is_str(field(&h, 0, 373), "5", "value out of range");
	is_int(count(&h, FIXU_ACT_DELIVER), 0, "not delivered");
	is_int(fixu_sess_next_in(h.s), 3, "its number used");
	RECV(&h, "35=0|34=3|5000=x");
	is_str(field(&h, 0, 373), "0", "undefined tag: Invalid tag number");
	RECV(&h, "35=D|34=4|11=a|21=1|38=1|40=1|54=1|55=X|"
	    "60=20240102-12:00:00");
	is_int(count(&h, FIXU_ACT_DELIVER), 1, "valid order delivered");
	RECV(&h, "35=0|34=9|55=X");
	is_str(field(&h, 0, 35), "3", "an invalid message ahead: Reject "
	    "first (as the suite expects)");
	is_int(fixu_sess_next_in(h.s), 5, "and no number used");
	h_fini(&h);
	fixu_dicts_free(ds);
}

int
main(void)
{
	t_logon_acceptor();
	t_logon_initiator();
	t_heartbeats();
	t_gap();
	t_resend();
	t_seqreset();
	t_too_low();
	t_logout();
	t_send();
	t_rejects();
	t_reset();
	t_next_expected();
	t_schedule();
	t_arena();
	t_queue();
	t_chunks();
	t_validate();
	return tap_done();
}
