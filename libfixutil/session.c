/*
 * session.c -- the FIX session layer as a pure state machine: inbound
 * messages, timers and the public events (session_out.c builds and
 * queues what the session sends).
 *
 * An inbound message goes through the checks in the order the QuickFIX
 * acceptance suite observes: parse (garbled, bad BodyLength or CheckSum:
 * ignored, no number used), logon state, BeginString, dictionary
 * validation (a Reject, before any sequence check), then per message type
 * the SendingTime, CompID and sequence checks.  A message ahead of the
 * expected number is copied into a queue and answered by one
 * ResendRequest; when the gap fills, the queue is replayed in order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_int.h"

/* Inbound messages kept while a gap is open; beyond this they are
   dropped, which costs nothing: the peer resends everything from the
   start of the gap anyway. */
#define QUEUE_MAX	100000
/* Fields stripped from a message for having a bad tag, at most. */
#define BADTAG_MAX	8

/* ---- small helpers ------------------------------------------------------- */

static int
get_u64(const struct fixu_msg *m, uint32_t tag, uint64_t *out)
{
	struct fixu_str v = fixu_msg_get(m, tag);

	if (v.p == NULL)
		return -1;
	return fixu_parse_u64(v.p, v.n, out) < 0 ? -2 : 0;
}

static int
get_time(const struct fixu_msg *m, uint32_t tag, int64_t *out)
{
	struct fixu_str v = fixu_msg_get(m, tag);
	struct timespec ts;

	if (v.p == NULL)
		return -1;
	/* Past 2262 the nanoseconds overflow: no sane peer sends that. */
	if (fixu_time_parse(v.p, v.n, &ts) != 0 ||
	    ts.tv_sec >= INT64_MAX / NS - 1 || ts.tv_sec <= INT64_MIN / NS + 1)
		return -2;
	*out = (int64_t)ts.tv_sec * NS + ts.tv_nsec;
	return 0;
}

static int
version(const char *b)
{
	static const struct {
		const char	*s;
		int		 v;
	} tab[] = {
		{ "FIX.4.0", V40 }, { "FIX.4.1", V41 }, { "FIX.4.2", V42 },
		{ "FIX.4.3", V43 }, { "FIX.4.4", V44 }, { "FIXT.1.1", VFIXT },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(b, tab[i].s) == 0)
			return tab[i].v;
	return V44;
}

/* ---- the inbound queue --------------------------------------------------- */

static void
queue_clear(struct sess *s)
{
	size_t i;

	for (i = s->qh; i < s->nq; i++)
		free(s->q[i].p);
	s->qh = s->nq = 0;
}

/*
 * Keep a copy of a message that is ahead.  The queue is sorted, and
 * messages usually come in order, so adding is an append.
 */
static int
queue_add(struct sess *s, uint64_t seq, const char *p, size_t n)
{
	struct qmsg *q;
	size_t lo = s->qh, hi = s->nq, mid, cap;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->q[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nq && s->q[lo].seq == seq)
		return 0;
	if (s->nq - s->qh >= QUEUE_MAX)
		return fixu_ss_event(s, "gap", "queue full: message %llu "
		    "dropped", (unsigned long long)seq);
	if (s->qh > 0 && s->nq == s->capq) {
		/* Reuse the room in front of the head first. */
		memmove(s->q, s->q + s->qh, (s->nq - s->qh) * sizeof(*q));
		lo -= s->qh;
		s->nq -= s->qh;
		s->qh = 0;
	}
	if (s->nq == s->capq) {
		cap = s->capq ? s->capq * 2 : 16;
		if ((q = realloc(s->q, cap * sizeof(*q))) == NULL)
			return FIXU_ENOMEM;
		s->q = q;
		s->capq = cap;
	}
	q = &s->q[lo];
	memmove(q + 1, q, (s->nq - lo) * sizeof(*q));
	if ((q->p = malloc(n ? n : 1)) == NULL) {
		memmove(q, q + 1, (s->nq - lo) * sizeof(*q));
		return FIXU_ENOMEM;
	}
	memcpy(q->p, p, n);
	q->n = n;
	q->seq = seq;
	s->nq++;
	return 0;
}

/*
 * Take the queued message numbered next_in, dropping older ones (a
 * SequenceReset skipped them); 0 when there is none.
 */
static int
queue_next(struct sess *s, struct qmsg *out)
{
	while (s->qh < s->nq && s->q[s->qh].seq < s->next_in)
		free(s->q[s->qh++].p);
	if (s->qh == s->nq)
		s->qh = s->nq = 0;
	if (s->qh == s->nq || s->q[s->qh].seq != s->next_in)
		return 0;
	*out = s->q[s->qh++];
	return 1;
}

/* Start a new sequence epoch: both numbers back to 1. */
static int
reset_seq(struct sess *s, const char *why)
{
	struct fixu_act *a;

	if ((a = fixu_ss_push(s, FIXU_ACT_RESET, why, strlen(why), NULL,
	    0)) == NULL)
		return FIXU_ENOMEM;
	s->next_out = s->next_in = 1;
	s->epoch_start = s->now.real;
	s->rr_begin = s->rr_end = 0;
	queue_clear(s);
	return 0;
}

/* ---- inbound checks ------------------------------------------------------ */

/* The message at hand used its number: store it, expect the next. */
static int
consume(struct sess *s, uint64_t seq)
{
	const struct fixu_msg *m = &s->m;
	struct fixu_str ty = fixu_msg_get(m, 35);
	struct fixu_act *a;

	if ((a = fixu_ss_push(s, FIXU_ACT_STORE_IN, s->raw, s->rawn, ty.p,
	    ty.n)) == NULL)
		return FIXU_ENOMEM;
	a->seq = seq;
	a->possdup = yes(fixu_msg_get(m, 43));
	if (is_admin(ty))
		a->flags = FIXU_ACT_F_ADMIN;
	if (seq >= s->next_in)
		s->next_in = seq + 1;
	return 0;
}

/*
 * A session Reject of the message at hand.  tagtext: RefTagID as text
 * (tags that are not numbers are reported as sent), or NULL.  A message
 * that was next in sequence (other than Logon and SequenceReset) used its
 * number.
 */
static int
send_reject(struct sess *s, int reason, const char *tagtext,
    const char *text)
{
	static const uint32_t route[][2] = {
		{ 115, 128 }, { 116, 129 }, { 144, 145 },
		{ 128, 115 }, { 129, 116 }, { 145, 144 },
	};
	const struct fixu_msg *m = &s->m;
	struct fixu_str ty = fixu_msg_get(m, 35), sq = fixu_msg_get(m, 34), v;
	char tb[32], sb[24], t58[256];
	uint64_t seq, refseq;
	size_t i;
	int rc, r;

	if (text == NULL)
		text = fixu_reject_text(reason);
	s->nhx = 0;
	for (i = 0; i < sizeof(route) / sizeof(route[0]); i++) {
		/* LocationIDs came with FIX.4.1. */
		if (s->ver < V41 && (route[i][0] == 144 || route[i][0] == 145))
			continue;
		v = fixu_msg_get(m, route[i][0]);
		if (v.p != NULL && v.n > 0 &&
		    (rc = fixu_ss_hdr(s, route[i][1], v.p, v.n)) != 0)
			return rc;
	}
	if ((rc = fixu_ss_msg_begin(s, "3", 1, s->next_out, 0, NULL, 0, tb,
	    sb)) != 0)
		return rc;
	if (sq.p != NULL && sq.n > 0 && fixu_parse_u64(sq.p, sq.n, &refseq) == 0 &&
	    (rc = fixu_build_add(&s->b, 45, sq.p, sq.n)) != 0)
		return rc;
	if (tagtext != NULL && s->ver < V42) {
		/* No RefTagID before FIX.4.2: the text names the tag. */
		r = snprintf(t58, sizeof(t58), "%s (%s)", text, tagtext);
		if (r < 0 || (size_t)r >= sizeof(t58))
			return FIXU_ELIMIT;
		text = t58;
	}
	if ((rc = fixu_build_add_str(&s->b, 58, text)) != 0)
		return rc;
	if (s->ver >= V42) {
		if (tagtext != NULL && (rc = fixu_build_add_str(&s->b, 371,
		    tagtext)) != 0)
			return rc;
		if (ty.p != NULL && ty.n > 0 &&
		    (rc = fixu_build_add(&s->b, 372, ty.p, ty.n)) != 0)
			return rc;
		/* FIX.4.2 knows the reasons up to 11 only. */
		if ((s->ver > V42 || reason <= FIXU_REJ_INVALID_MSGTYPE) &&
		    reason >= 0 && (rc = fixu_build_add_u64(&s->b, 373,
		    (uint64_t)reason)) != 0)
			return rc;
	}
	if ((rc = fixu_ss_admin_send(s, "3")) != 0)
		return rc;
	if ((rc = fixu_ss_event(s, "reject", "Reject sent for message "
	    "%.*s (%.*s): %s%s%s", (int)sq.n, sq.p ? sq.p : "", (int)ty.n,
	    ty.p ? ty.p : "", text, tagtext && s->ver >= V42 ? ", tag " : "",
	    tagtext && s->ver >= V42 ? tagtext : "")) != 0)
		return rc;
	if (!is_type(ty, 'A') && !is_type(ty, '4') && sq.p != NULL &&
	    fixu_parse_u64(sq.p, sq.n, &seq) == 0 && seq == s->next_in)
		return consume(s, seq);
	return 0;
}

static int
reject_tag(struct sess *s, int reason, uint32_t tag)
{
	char t[16];
	int r = snprintf(t, sizeof(t), "%u", tag);

	if (r < 0 || (size_t)r >= sizeof(t))
		return FIXU_EINVAL;
	return send_reject(s, reason, t, NULL);
}

static int
queue_msg(struct sess *s, uint64_t seq)
{
	return queue_add(s, seq, s->raw, s->rawn);
}

/* After a Reject that ends the session: one Logout, however many. */
static int
logout_once(struct sess *s)
{
	return s->logout_sent ? 0 : fixu_ss_logout(s, NULL);
}

static int
too_high(struct sess *s, uint64_t seq)
{
	int rc;

	if ((rc = queue_msg(s, seq)) != 0 ||
	    (rc = fixu_ss_event(s, "gap", "MsgSeqNum too high, expecting "
	    "%llu but received %llu", (unsigned long long)s->next_in,
	    (unsigned long long)seq)) != 0)
		return rc;
	if (s->rr_begin != 0 && !s->cfg.send_redundant_resend &&
	    seq >= s->rr_begin)
		return 0;
	return fixu_ss_resend_request(s, s->next_in, seq - 1);
}

static int
too_low(struct sess *s, uint64_t seq)
{
	const struct fixu_msg *m = &s->m;
	struct fixu_str ty = fixu_msg_get(m, 35);
	char text[128];
	int64_t st, ot;
	int rc, r;

	if (!yes(fixu_msg_get(m, 43))) {
		r = snprintf(text, sizeof(text), "MsgSeqNum too low, "
		    "expecting %llu but received %llu",
		    (unsigned long long)s->next_in, (unsigned long long)seq);
		if (r < 0 || (size_t)r >= sizeof(text))
			return FIXU_EINVAL;
		if ((rc = fixu_ss_logout(s, text)) != 0)
			return rc;
		return fixu_ss_disconnect(s, text);
	}
	if (!is_type(ty, '4')) {
		/* A possible duplicate must say when it was first sent. */
		if (get_time(m, 122, &ot) == -1)
			return send_reject(s, FIXU_REJ_REQUIRED_MISSING, "122",
			    NULL);
		if (get_time(m, 122, &ot) == 0 && get_time(m, 52, &st) == 0 &&
		    ot > st) {
			if ((rc = send_reject(s, FIXU_REJ_SENDINGTIME, NULL,
			    NULL)) != 0)
				return rc;
			return logout_once(s);
		}
	}
	return fixu_ss_event(s, "duplicate", "possible duplicate %llu ignored "
	    "(expecting %llu)", (unsigned long long)seq,
	    (unsigned long long)s->next_in);
}

/*
 * The checks of every message after validation.  Returns 1 when the
 * message may be processed, 0 when it was answered (or ignored), or a
 * negative code.  Before logon a bad SendingTime or CompID only closes the
 * connection: there is no session to send a Reject on.
 */
static int
verify(struct sess *s, uint64_t seq, int hi, int lo)
{
	const struct fixu_msg *m = &s->m;
	int64_t st, lat;
	int rc;

	if (s->cfg.check_latency) {
		lat = (int64_t)s->cfg.max_latency * NS;
		rc = get_time(m, 52, &st);
		if (rc != 0 || st > s->now.real + lat ||
		    st < s->now.real - lat) {
			if (!s->logged_on) {
				(void)fixu_ss_event(s, "reject", "Logon "
				    "SendingTime accuracy problem");
				rc = fixu_ss_disconnect(s, "SendingTime "
				    "accuracy problem");
				return rc < 0 ? rc : 0;
			}
			if ((rc = send_reject(s, FIXU_REJ_SENDINGTIME, NULL,
			    NULL)) != 0 || (rc = logout_once(s)) != 0)
				return rc;
			return 0;
		}
	}
	if (s->cfg.check_compid &&
	    (!fixu_str_eq(fixu_msg_get(m, 49), s->cfg.sid.target) ||
	    !fixu_str_eq(fixu_msg_get(m, 56), s->cfg.sid.sender))) {
		if (!s->logged_on) {
			rc = fixu_ss_disconnect(s, "Logon with wrong CompIDs");
			return rc < 0 ? rc : 0;
		}
		if ((rc = send_reject(s, FIXU_REJ_COMPID, NULL, NULL)) != 0 ||
		    (rc = logout_once(s)) != 0)
			return rc;
		return 0;
	}
	if (hi && seq > s->next_in) {
		rc = too_high(s, seq);
		return rc < 0 ? rc : 0;
	}
	if (lo && seq < s->next_in) {
		rc = too_low(s, seq);
		return rc < 0 ? rc : 0;
	}
	if (s->rr_begin != 0 && seq >= s->rr_end && (hi || lo)) {
		if ((rc = fixu_ss_event(s, "gap", "ResendRequest %llu to %llu "
		    "satisfied", (unsigned long long)s->rr_begin,
		    (unsigned long long)s->rr_end)) != 0)
			return rc;
		s->rr_begin = s->rr_end = 0;
	}
	return 1;
}

/* ---- message types ------------------------------------------------------- */

static int
on_logon(struct sess *s, uint64_t seq, int auth_failed)
{
	const struct fixu_msg *m = &s->m;
	struct fixu_str v;
	uint64_t hb, nx = 0, expect, last;
	const char *why;
	int rc, reset, was = s->logged_on, reply, has_nx;

	if (auth_failed) {
		/* Tell the peer why, as a Logout with a Text, then hang up. */
		why = "Logon refused: wrong Username or Password";
		if ((rc = fixu_ss_logout(s, why)) != 0)
			return rc;
		return fixu_ss_disconnect(s, why);
	}
	if (s->cfg.sched != NULL && !fixu_sched_in(s->cfg.sched, s->now.real))
		return fixu_ss_disconnect(s, "Logon outside the session "
		    "schedule");
	if (s->ver == VFIXT) {
		v = fixu_msg_get(m, 1137);
		if (v.p == NULL || v.n == 0 || v.n >= sizeof(s->peer_applverid))
			return fixu_ss_disconnect(s, "Logon without "
			    "DefaultApplVerID (1137)");
		memcpy(s->peer_applverid, v.p, v.n);
		s->peer_applverid[v.n] = '\0';
		if (s->cfg.dicts != NULL && s->cfg.validate) {
			const struct fixu_dict *app;
			struct fixu_diag d;
			char text[96];

			/* Without its dictionary nothing could be checked. */
			if (fixu_dicts_get(s->cfg.dicts, s->peer_applverid,
			    &app, &d) != 0) {
				(void)snprintf(text, sizeof(text), "Logon with "
				    "an unsupported DefaultApplVerID (1137) "
				    "'%.40s'", s->peer_applverid);
				s->peer_applverid[0] = '\0';
				if ((rc = fixu_ss_logout(s, text)) != 0)
					return rc;
				return fixu_ss_disconnect(s, text);
			}
		}
	}
	if (get_u64(m, 108, &hb) != 0 || hb > 86400)
		return fixu_ss_disconnect(s, "Logon without a valid "
		    "HeartBtInt (108)");
	has_nx = s->cfg.send_next_expected && get_u64(m, 789, &nx) == 0;
	reset = yes(fixu_msg_get(m, 141));
	why = NULL;
	if (reset && !s->sent_reset)
		why = "Logon with ResetSeqNumFlag";
	else if (!reset && !s->cfg.initiator && s->cfg.reset_on_logon && !was)
		why = "ResetOnLogon";
	else if (s->cfg.sched != NULL && s->epoch_start != INT64_MIN &&
	    !fixu_sched_same_period(s->cfg.sched, s->epoch_start,
	    s->now.real))
		why = "new schedule period";
	if (why != NULL && (rc = reset_seq(s, why)) != 0)
		return rc;
	if ((rc = verify(s, seq, 0, 1)) != 1)
		return rc;
	if (was && !reset) {
		if ((rc = fixu_ss_event(s, "logon", "Logon while logged on "
		    "ignored")) != 0)
			return rc;
		return seq == s->next_in ? consume(s, seq) : 0;
	}
	reply = !s->cfg.initiator || (reset && !s->sent_reset);
	/*
	 * What the peer's NextExpectedMsgSeqNum should be, and the last of
	 * ours it may lack: an initiator's counts our Logon reply as not yet
	 * seen, an acceptor's reply counts our Logon as seen.
	 */
	if (reply) {
		expect = s->next_out;
		last = s->next_out - 1;
		if (!s->cfg.initiator)
			s->hbi = (int)hb;
		if ((rc = fixu_ss_logon(s, reset, seq == s->next_in || reset ?
		    seq + 1 : s->next_in)) != 0)
			return rc;
	} else {
		expect = s->next_out;
		last = s->next_out - 2;
	}
	s->sent_reset = 0;
	s->logged_on = 1;
	s->logout_sent = s->logout_recv = 0;
	s->testreq = 0;
	s->timer = 0;
	s->state = FIXU_SS_ACTIVE;
	if ((rc = fixu_ss_act_state(s, 1)) != 0 ||
	    (rc = fixu_ss_event(s, "logon", "logged on (HeartBtInt %d)",
	    s->hbi)) != 0)
		return rc;
	if (seq > s->next_in && !reset) {
		if ((rc = too_high(s, seq)) != 0)
			return rc;
	} else if ((rc = consume(s, seq)) != 0)
		return rc;
	/* NextExpectedMsgSeqNum: what the peer lacks of ours is resent
	   now, after the Logon exchange. */
	if (has_nx) {
		if (nx > expect) {
			char text[128];
			int r = snprintf(text, sizeof(text),
			    "NextExpectedMsgSeqNum too high, expecting %llu "
			    "but received %llu", (unsigned long long)expect,
			    (unsigned long long)nx);

			if (r < 0 || (size_t)r >= sizeof(text))
				return FIXU_EINVAL;
			if ((rc = fixu_ss_logout(s, text)) != 0)
				return rc;
			return fixu_ss_disconnect(s, text);
		}
		if (nx > 0 && nx <= last &&
		    (rc = fixu_ss_serve_resend(s, nx, last)) != 0)
			return rc;
	}
	return 0;
}

static int
on_logout(struct sess *s, uint64_t seq)
{
	struct fixu_str t = fixu_msg_get(&s->m, 58);
	int rc;

	if (s->logged_on && (rc = verify(s, seq, 0, 0)) != 1)
		return rc;
	if (!s->logout_sent && s->logged_on) {
		if ((rc = fixu_ss_logout(s, NULL)) != 0)
			return rc;
	}
	if ((rc = fixu_ss_event(s, "logout", "Logout received%s%.*s",
	    t.p ? ": " : "", (int)t.n, t.p ? t.p : "")) != 0)
		return rc;
	s->logout_recv = 1;
	if (seq == s->next_in && (rc = consume(s, seq)) != 0)
		return rc;
	return fixu_ss_disconnect(s, "logged out");
}

static int
on_resend_request(struct sess *s, uint64_t seq)
{
	const struct fixu_msg *m = &s->m;
	uint64_t b, e;
	int rc;

	/* Served whatever its number: the peer waits for it. */
	if ((rc = verify(s, seq, 0, 0)) != 1)
		return rc;
	if ((rc = get_u64(m, 7, &b)) != 0)
		return rc == -1 ? reject_tag(s, FIXU_REJ_REQUIRED_MISSING, 7) :
		    reject_tag(s, FIXU_REJ_BAD_DATA_FORMAT, 7);
	if ((rc = get_u64(m, 16, &e)) != 0)
		return rc == -1 ? reject_tag(s, FIXU_REJ_REQUIRED_MISSING, 16) :
		    reject_tag(s, FIXU_REJ_BAD_DATA_FORMAT, 16);
	if ((rc = fixu_ss_serve_resend(s, b, e)) != 0)
		return rc;
	if (seq == s->next_in)
		return consume(s, seq);
	if (seq > s->next_in)
		return too_high(s, seq);
	return 0;
}

static int
on_seqreset(struct sess *s, uint64_t seq)
{
	const struct fixu_msg *m = &s->m;
	int gf = yes(fixu_msg_get(m, 123)), rc;
	uint64_t ns;

	if ((rc = verify(s, seq, gf, gf)) != 1)
		return rc;
	if ((rc = get_u64(m, 36, &ns)) != 0)
		return rc == -1 ? reject_tag(s, FIXU_REJ_REQUIRED_MISSING, 36) :
		    reject_tag(s, FIXU_REJ_BAD_DATA_FORMAT, 36);
	if ((rc = fixu_ss_event(s, "seqreset", "SequenceReset%s from %llu to "
	    "%llu", gf ? "-GapFill" : "", (unsigned long long)s->next_in,
	    (unsigned long long)ns)) != 0)
		return rc;
	if (ns > s->next_in) {
		if (gf && seq == s->next_in && (rc = consume(s, seq)) != 0)
			return rc;
		s->next_in = ns;
		return fixu_ss_set_next(s, 0, ns);
	}
	if (ns < s->next_in)
		return send_reject(s, FIXU_REJ_VALUE_OUT_OF_RANGE, NULL, NULL);
	return 0;
}

static int
on_other(struct sess *s, struct fixu_str ty, uint64_t seq)
{
	const struct fixu_msg *m = &s->m;
	struct fixu_str v;
	struct fixu_act *a;
	int rc;

	if ((rc = verify(s, seq, 1, 1)) != 1)
		return rc;
	if (is_type(ty, '1')) {
		v = fixu_msg_get(m, 112);
		if (v.p == NULL)
			return reject_tag(s, FIXU_REJ_REQUIRED_MISSING, 112);
		if ((rc = fixu_ss_heartbeat(s, v)) != 0)
			return rc;
	} else if (is_type(ty, '3')) {
		struct fixu_str r = fixu_msg_get(m, 45);
		struct fixu_str t = fixu_msg_get(m, 58);

		if ((rc = fixu_ss_event(s, "reject", "Reject received for "
		    "message %.*s%s%.*s", (int)r.n, r.p ? r.p : "?",
		    t.p ? ": " : "", (int)t.n, t.p ? t.p : "")) != 0)
			return rc;
	}
	if ((rc = consume(s, seq)) != 0)
		return rc;
	if (is_admin(ty))
		return 0;
	if ((a = fixu_ss_push(s, FIXU_ACT_DELIVER, s->raw, s->rawn, ty.p,
	    ty.n)) == NULL)
		return FIXU_ENOMEM;
	return 0;
}

/* ---- parsing and dispatch ------------------------------------------------ */

static int
numeric_tag(const char *p, size_t n)
{
	size_t i = 0;

	if (n > 0 && p[0] == '-')
		i = 1;
	if (i == n || n - i > 12)
		return 0;
	for (; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/*
 * A field whose tag is a number but not a valid tag (0, negative, too
 * large) makes a Reject, not a garbled message: drop such fields into a
 * copy and parse that, keeping the first one's text for RefTagID.
 */
static int
strip_bad_tags(struct sess *s, const char *raw, size_t n,
    struct fixu_diag *d)
{
	const char *p, *eq, *end;
	unsigned sum;
	size_t off;
	int i, rc = FIXU_ETAG;

	if (n < 8 || memcmp(raw + n - 8, "\00110=", 4) != 0)
		return FIXU_EGARBLED;
	sum = (unsigned)(raw[n - 4] - '0') * 100 +
	    (unsigned)(raw[n - 3] - '0') * 10 + (unsigned)(raw[n - 2] - '0');
	if (sum != fixu_checksum(raw, n - 7, FIXU_SOH))
		return FIXU_ECHECKSUM;
	fixu_buf_reset(&s->tmp);
	if (fixu_buf_append(&s->tmp, raw, n) != 0)
		return FIXU_ENOMEM;
	for (i = 0; i < BADTAG_MAX && rc == FIXU_ETAG; i++) {
		off = d->off;
		if (off >= s->tmp.len)
			return FIXU_EGARBLED;
		p = s->tmp.p + off;
		eq = memchr(p, '=', s->tmp.len - off);
		end = memchr(p, FIXU_SOH, s->tmp.len - off);
		if (eq == NULL || end == NULL || end < eq ||
		    !numeric_tag(p, (size_t)(eq - p)))
			return FIXU_EGARBLED;
		if (s->badtag[0] == '\0') {
			memcpy(s->badtag, p, (size_t)(eq - p));
			s->badtag[eq - p] = '\0';
		}
		memmove(s->tmp.p + off, end + 1,
		    s->tmp.len - (size_t)(end + 1 - s->tmp.p));
		s->tmp.len -= (size_t)(end + 1 - p);
		rc = fixu_msg_parse(&s->m, s->tmp.p, s->tmp.len, FIXU_SOH, NULL,
		    FIXU_PARSE_NOCHECK, d);
	}
	if (rc != 0)
		return rc == FIXU_ETAG ? FIXU_EGARBLED : rc;
	if (s->m.nf < 4 || s->m.f[0].tag != 8 || s->m.f[1].tag != 9 ||
	    s->m.f[2].tag != 35 || s->m.f[s->m.nf - 1].tag != 10)
		return FIXU_EGARBLED;
	return 0;
}

/* Validate the message at hand; 1 valid, 0 answered, or a negative code. */
static int
validate(struct sess *s, struct fixu_str ty)
{
	const struct fixu_msg *m = &s->m;
	const struct fixu_dict *tr = s->cfg.tr, *app = s->cfg.app;
	struct fixu_diag iss[1], d;
	const char *dav;
	int rc, n = 0, reason;

	if (s->cfg.dicts != NULL) {
		dav = s->peer_applverid[0] ? s->peer_applverid :
		    s->cfg.default_applverid[0] ? s->cfg.default_applverid :
		    NULL;
		if (fixu_dicts_pick(s->cfg.dicts, m, dav, &tr, &app,
		    &d) != 0) {
			if (fixu_msg_get(m, 1128).p != NULL)
				return reject_tag(s,
				    FIXU_REJ_VALUE_OUT_OF_RANGE, 1128);
			return 1;
		}
	}
	if (tr == NULL)
		return 1;
	/* FIXT: administrative messages are the transport's alone. */
	if (app == NULL || (s->ver == VFIXT && is_admin(ty)))
		app = tr;
	rc = fixu_dict_validate(tr, app, m, s->cfg.vflags, iss, 1, &n);
	if (rc == 0)
		return 1;
	if (is_type(ty, 'A')) {
		(void)fixu_ss_event(s, "reject", "invalid Logon: %s", n > 0 ?
		    iss[0].msg : fixu_strerror(rc));
		rc = fixu_ss_disconnect(s, "invalid Logon");
		return rc < 0 ? rc : 0;
	}
	if (n == 0)
		return send_reject(s, FIXU_REJ_OTHER, NULL, NULL);
	reason = iss[0].reject;
	/*
	 * QuickFIX, and the acceptance suite written for it, report a tag
	 * the dictionary does not define as an Invalid tag number (0).
	 */
	if (reason == FIXU_REJ_UNDEFINED_TAG)
		reason = FIXU_REJ_INVALID_TAG;
	if (reason == FIXU_REJ_NONE)
		reason = FIXU_REJ_OTHER;
	if (reason == FIXU_REJ_INVALID_MSGTYPE || iss[0].tag == 0)
		return send_reject(s, reason, NULL, NULL);
	return reject_tag(s, reason, iss[0].tag);
}

static int
process(struct sess *s, const char *raw, size_t n, int auth_failed,
    int queued)
{
	struct fixu_msg *m = &s->m;
	struct fixu_diag d;
	struct fixu_str ty, b;
	uint64_t seq = 0;
	int rc, hasseq;

	s->raw = raw;
	s->rawn = n;
	s->badtag[0] = '\0';
	fixu_diag_clear(&d);
	rc = fixu_msg_parse(m, raw, n, FIXU_SOH, s->cfg.tr ?
	    fixu_dict_lenmap(s->cfg.tr) : NULL, 0, &d);
	if (rc == FIXU_ETAG)
		rc = strip_bad_tags(s, raw, n, &d);
	if ((rc == FIXU_EBODYLEN || rc == FIXU_ECHECKSUM) && s->cfg.validate &&
	    !(s->cfg.vflags & FIXU_V_LENGTH_CHECKSUM))
		rc = 0;
	if (rc != 0) {
		char buf[256];

		return fixu_ss_event(s, "garbled", "message ignored: %s",
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	}
	s->last_recv = s->now.mono;
	s->testreq = 0;
	ty = fixu_msg_get(m, 35);
	b = fixu_msg_get(m, 8);
	hasseq = get_u64(m, 34, &seq) == 0;
	if (queued && (is_type(ty, 'A') || is_type(ty, '2')))
		return consume(s, seq);	/* seen when it arrived */
	if (!s->logged_on) {
		if (is_type(ty, '5') && s->state == FIXU_SS_LOGON_SENT)
			return on_logout(s, seq);
		if (!is_type(ty, 'A'))
			return fixu_ss_disconnect(s, "first message is not a "
			    "Logon");
		if (!fixu_str_eq(b, s->cfg.sid.begin))
			return fixu_ss_disconnect(s, "Logon with an unexpected "
			    "BeginString");
	} else if (!fixu_str_eq(b, s->cfg.sid.begin)) {
		if (is_type(ty, '5'))
			return on_logout(s, seq);
		if ((rc = fixu_ss_logout(s, "Incorrect BeginString")) != 0)
			return rc;
		return hasseq && seq == s->next_in ? consume(s, seq) : 0;
	}
	if (s->badtag[0] != '\0') {
		if (is_type(ty, 'A'))
			return fixu_ss_disconnect(s, "invalid tag number in "
			    "Logon");
		return send_reject(s, FIXU_REJ_INVALID_TAG, s->badtag, NULL);
	}
	if (s->cfg.validate && (rc = validate(s, ty)) != 1)
		return rc;
	/* What validation checks when it is on, checked anyway. */
	if (!hasseq || fixu_msg_get(m, 49).p == NULL ||
	    fixu_msg_get(m, 56).p == NULL || fixu_msg_get(m, 52).p == NULL) {
		if (is_type(ty, 'A'))
			return fixu_ss_disconnect(s, "Logon without a required "
			    "header field");
		return reject_tag(s, FIXU_REJ_REQUIRED_MISSING, !hasseq ? 34 :
		    fixu_msg_get(m, 49).p == NULL ? 49 :
		    fixu_msg_get(m, 56).p == NULL ? 56 : 52);
	}
	if (ty.n == 0)
		return reject_tag(s, FIXU_REJ_INVALID_MSGTYPE, 35);
	if (is_type(ty, 'A'))
		return on_logon(s, seq, auth_failed);
	if (is_type(ty, '5'))
		return on_logout(s, seq);
	if (is_type(ty, '2'))
		return on_resend_request(s, seq);
	if (is_type(ty, '4'))
		return on_seqreset(s, seq);
	return on_other(s, ty, seq);
}

/* Replay queued messages that are now in sequence. */
static int
drain(struct sess *s)
{
	struct qmsg q;
	int rc;

	while (s->logged_on && s->state != FIXU_SS_CLOSING &&
	    queue_next(s, &q)) {
		rc = process(s, q.p, q.n, 0, 1);
		/* The actions hold copies: the message can go now. */
		free(q.p);
		if (rc != 0)
			return rc;
	}
	/* A gap remains but nothing asks for it (a chunk was served). */
	if (s->qh < s->nq && s->rr_begin == 0 && s->state == FIXU_SS_ACTIVE)
		return fixu_ss_resend_request(s, s->next_in,
		    s->q[s->qh].seq - 1);
	return 0;
}

/* ---- public interface ---------------------------------------------------- */

int
fixu_sess_new(struct fixu_sess **out, const struct fixu_sess_cfg *cfg,
    const struct fixu_sess_ops *ops, struct fixu_diag *d)
{
	struct sess *s;

	*out = NULL;
	fixu_diag_clear(d);
	if (cfg->sid.begin[0] == '\0' || cfg->sid.sender[0] == '\0' ||
	    cfg->sid.target[0] == '\0')
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "session needs BeginString, SenderCompID "
		    "and TargetCompID");
	if (cfg->heartbtint < 0)
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 108,
		    FIXU_REJ_NONE, "HeartBtInt is negative");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "out of memory");
	s->cfg = *cfg;
	/* Strings copied in must be terminated whatever the caller left. */
	s->cfg.username[sizeof(s->cfg.username) - 1] = '\0';
	s->cfg.password[sizeof(s->cfg.password) - 1] = '\0';
	s->cfg.default_applverid[sizeof(s->cfg.default_applverid) - 1] = '\0';
	if (s->cfg.logon_timeout <= 0)
		s->cfg.logon_timeout = 10;
	if (s->cfg.logout_timeout <= 0)
		s->cfg.logout_timeout = 2;
	if (s->cfg.max_latency <= 0)
		s->cfg.max_latency = 120;
	if (ops != NULL)
		s->ops = *ops;
	s->ver = version(s->cfg.sid.begin);
	s->tsdec = s->cfg.ts_decimals >= 0 ? s->cfg.ts_decimals :
	    s->ver <= V41 ? 0 : 3;
	s->hbi = s->cfg.heartbtint;
	s->next_out = s->next_in = 1;
	s->epoch_start = INT64_MIN;
	fixu_msg_init(&s->m);
	fixu_msg_init(&s->r);
	fixu_build_init(&s->b);
	fixu_buf_init(&s->tmp, 0);
	fixu_buf_init(&s->arena, FIXU_SS_ARENA_MAX);
	*out = (struct fixu_sess *)(void *)s;
	return 0;
}

void
fixu_sess_free(struct fixu_sess *p)
{
	struct sess *s = S(p);

	if (s == NULL)
		return;
	queue_clear(s);
	free(s->q);
	fixu_msg_fini(&s->m);
	fixu_msg_fini(&s->r);
	fixu_build_fini(&s->b);
	fixu_buf_fini(&s->tmp);
	fixu_buf_fini(&s->arena);
	free(s->hx);
	free(s->acts);
	free(s->aoffs);
	/* The password was copied in: do not leave it in freed memory. */
	memset(&s->cfg, 0, sizeof(s->cfg));
	free(s);
}

const struct fixu_sess_cfg *
fixu_sess_cfg(const struct fixu_sess *p)
{
	return &CS(p)->cfg;
}

void
fixu_sess_restore(struct fixu_sess *p, uint64_t next_out, uint64_t next_in,
    int64_t epoch_start)
{
	struct sess *s = S(p);

	s->next_out = next_out ? next_out : 1;
	s->next_in = next_in ? next_in : 1;
	s->epoch_start = epoch_start;
}

int
fixu_sess_connected(struct fixu_sess *p, const struct fixu_now *now)
{
	struct sess *s = S(p);
	int rc;

	fixu_ss_begin(s, now);
	if (s->state != FIXU_SS_DOWN)
		return FIXU_EINVAL;
	s->last_recv = s->last_sent = now->mono;
	s->testreq = 0;
	s->logged_on = s->logout_sent = s->logout_recv = 0;
	s->sent_reset = 0;
	s->rr_begin = s->rr_end = 0;
	queue_clear(s);
	s->timer = now->mono + (int64_t)s->cfg.logon_timeout * NS;
	if (!s->cfg.initiator) {
		s->state = FIXU_SS_AWAIT_LOGON;
		return 0;
	}
	s->state = FIXU_SS_LOGON_SENT;
	if (s->cfg.sched != NULL && !fixu_sched_in(s->cfg.sched, now->real))
		return fixu_ss_disconnect(s, "outside the session schedule");
	if (s->cfg.sched != NULL && s->epoch_start != INT64_MIN &&
	    !fixu_sched_same_period(s->cfg.sched, s->epoch_start, now->real) &&
	    (rc = reset_seq(s, "new schedule period")) != 0)
		return rc;
	if (s->cfg.reset_on_logon) {
		if ((rc = reset_seq(s, "ResetOnLogon")) != 0)
			return rc;
		s->sent_reset = 1;
	}
	if ((rc = fixu_ss_logon(s, s->sent_reset, s->next_in)) != 0)
		return rc;
	return fixu_ss_event(s, "logon", "Logon sent (HeartBtInt %d)", s->hbi);
}

int
fixu_sess_recv(struct fixu_sess *p, const struct fixu_now *now,
    const char *raw, size_t n, int auth_failed)
{
	struct sess *s = S(p);
	int rc;

	fixu_ss_begin(s, now);
	if (s->state == FIXU_SS_DOWN)
		return FIXU_EINVAL;
	if (s->state == FIXU_SS_CLOSING)
		return 0;
	if ((rc = process(s, raw, n, auth_failed, 0)) != 0)
		return rc;
	return drain(s);
}

int
fixu_sess_garbled(struct fixu_sess *p, const struct fixu_now *now,
    const struct fixu_diag *d)
{
	struct sess *s = S(p);
	char buf[256];

	fixu_ss_begin(s, now);
	return fixu_ss_event(s, "garbled", "bytes ignored: %s", d != NULL ?
	    fixu_diag_fmt(d, buf, sizeof(buf)) : "unframed input");
}

int
fixu_sess_logout(struct fixu_sess *p, const struct fixu_now *now,
    const char *text)
{
	struct sess *s = S(p);

	fixu_ss_begin(s, now);
	switch (s->state) {
	case FIXU_SS_ACTIVE:
		return fixu_ss_logout(s, text);
	case FIXU_SS_AWAIT_LOGON:
	case FIXU_SS_LOGON_SENT:
		return fixu_ss_disconnect(s, text != NULL ? text :
		    "logout before logon");
	default:
		return 0;
	}
}

int
fixu_sess_disconnected(struct fixu_sess *p, const struct fixu_now *now)
{
	struct sess *s = S(p);
	int rc, was = s->logged_on, lo = s->logout_sent && s->logout_recv;

	fixu_ss_begin(s, now);
	if (s->state == FIXU_SS_DOWN)
		return 0;
	s->state = FIXU_SS_DOWN;
	s->logged_on = 0;
	s->timer = 0;
	s->testreq = 0;
	s->rr_begin = s->rr_end = 0;
	queue_clear(s);
	if (was && (rc = fixu_ss_act_state(s, 0)) != 0)
		return rc;
	if ((rc = fixu_ss_event(s, "disconnect", "transport down%s",
	    lo ? " after the Logout exchange" : was ? " while logged on" :
	    "")) != 0)
		return rc;
	if (s->cfg.reset_on_disconnect)
		return reset_seq(s, "ResetOnDisconnect");
	if (s->cfg.reset_on_logout && lo)
		return reset_seq(s, "ResetOnLogout");
	return 0;
}

int
fixu_sess_tick(struct fixu_sess *p, const struct fixu_now *now)
{
	struct sess *s = S(p);
	int64_t hb, el;
	int rc;

	fixu_ss_begin(s, now);
	switch (s->state) {
	case FIXU_SS_DOWN:
		if (s->cfg.sched != NULL && s->epoch_start != INT64_MIN &&
		    !fixu_sched_same_period(s->cfg.sched, s->epoch_start,
		    now->real))
			return reset_seq(s, "new schedule period");
		return 0;
	case FIXU_SS_AWAIT_LOGON:
	case FIXU_SS_LOGON_SENT:
		if (s->timer != 0 && now->mono >= s->timer)
			return fixu_ss_disconnect(s, "no Logon within "
			    "LogonTimeout");
		return 0;
	case FIXU_SS_LOGOUT_SENT:
		if (s->timer != 0 && now->mono >= s->timer)
			return fixu_ss_disconnect(s, "no Logout reply within "
			    "LogoutTimeout");
		return 0;
	case FIXU_SS_ACTIVE:
		break;
	default:
		return 0;
	}
	if (s->cfg.sched != NULL && !fixu_sched_in(s->cfg.sched, now->real))
		return fixu_ss_logout(s, "End of session");
	if (s->hbi <= 0)
		return 0;
	hb = (int64_t)s->hbi * NS;
	el = now->mono - s->last_recv;
	if (s->testreq > 0 && el >= hb * 12 / 5) {
		if ((rc = fixu_ss_event(s, "timeout", "nothing received for "
		    "%lld ms after a TestRequest",
		    (long long)(el / 1000000))) != 0)
			return rc;
		return fixu_ss_disconnect(s, "peer timed out");
	}
	if (s->testreq == 0 && el >= hb * 6 / 5) {
		char tb[32], sb[24];

		if ((rc = fixu_ss_admin_begin(s, "1", tb, sb)) != 0 ||
		    (rc = fixu_build_add_str(&s->b, 112, "TEST")) != 0 ||
		    (rc = fixu_ss_admin_send(s, "1")) != 0)
			return rc;
		s->testreq = 1;
		return fixu_ss_event(s, "testrequest", "TestRequest sent after "
		    "%lld ms of silence", (long long)(el / 1000000));
	}
	if (s->testreq == 0 && now->mono - s->last_sent >= hb)
		return fixu_ss_heartbeat(s, (struct fixu_str){ NULL, 0 });
	return 0;
}

int64_t
fixu_sess_deadline(const struct fixu_sess *p)
{
	const struct sess *s = CS(p);
	int64_t d = INT64_MAX, hb, t, ch;

	switch (s->state) {
	case FIXU_SS_AWAIT_LOGON:
	case FIXU_SS_LOGON_SENT:
	case FIXU_SS_LOGOUT_SENT:
		if (s->timer != 0)
			d = s->timer;
		break;
	case FIXU_SS_ACTIVE:
		if (s->hbi <= 0)
			break;
		hb = (int64_t)s->hbi * NS;
		if (s->testreq > 0)
			d = s->last_recv + hb * 12 / 5;
		else {
			d = s->last_recv + hb * 6 / 5;
			t = s->last_sent + hb;
			if (t < d)
				d = t;
		}
		break;
	default:
		break;
	}
	if (s->cfg.sched != NULL && s->state != FIXU_SS_CLOSING) {
		ch = fixu_sched_next_change(s->cfg.sched, s->now.real);
		if (ch != INT64_MAX) {
			t = s->now.mono + (ch - s->now.real);
			if (t < d)
				d = t;
		}
	}
	return d;
}

int
fixu_sess_state(const struct fixu_sess *p)
{
	return CS(p)->state;
}

uint64_t
fixu_sess_next_out(const struct fixu_sess *p)
{
	return CS(p)->next_out;
}

uint64_t
fixu_sess_next_in(const struct fixu_sess *p)
{
	return CS(p)->next_in;
}

int
fixu_sess_in_schedule(const struct fixu_sess *p, int64_t t)
{
	const struct sess *s = CS(p);

	return s->cfg.sched == NULL || fixu_sched_in(s->cfg.sched, t);
}

int
fixu_sess_heartbtint(const struct fixu_sess *p)
{
	return CS(p)->hbi;
}
