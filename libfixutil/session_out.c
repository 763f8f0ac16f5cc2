/*
 * session_out.c -- what the session sends: the action arena, outbound
 * messages, and the serving of ResendRequests.
 *
 * Every event call starts by dropping the previous event's actions, then
 * appends new ones to an array whose bytes live in one session-owned
 * arena, so an event costs no allocation once the arena and the action
 * array have grown to their working size.  Views into the arena are kept
 * as offsets too and rebased when the arena moves.
 *
 * Outbound messages are built with one reused builder: 8, 9, 35, then the
 * header fields in ascending tag order (a NoHops group keeps its entries
 * together), the body in the order given, 10.  A resend rebuilds the
 * header of a stored application message (PossDupFlag, OrigSendingTime,
 * a new SendingTime) and replaces administrative messages, and numbers
 * nothing is stored for, by runs of SequenceReset-GapFill.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_int.h"

/* Standard header tags of every version, ascending. */
static const uint32_t hdrtags[] = {
	8, 9, 34, 35, 43, 49, 50, 52, 56, 57, 90, 91, 97, 115, 116, 122, 128,
	129, 142, 143, 144, 145, 212, 213, 347, 369, 627, 628, 629, 630, 1128,
	1129, 1156,
};

static int
is_hdr(uint32_t t)
{
	size_t i;

	for (i = 0; i < sizeof(hdrtags) / sizeof(hdrtags[0]); i++) {
		if (hdrtags[i] == t)
			return 1;
		if (hdrtags[i] > t)
			break;
	}
	return 0;
}

/* Header fields the session writes itself, never copied from elsewhere. */
static int
is_own(uint32_t t)
{
	return t == 8 || t == 9 || t == 10 || t == 34 || t == 35 ||
	    t == 43 || t == 49 || t == 52 || t == 56 || t == 122;
}

/* ---- actions ------------------------------------------------------------- */

static void
rebase(struct sess *s)
{
	size_t i;

	for (i = 0; i < s->nacts; i++) {
		s->acts[i].data.p = s->arena.p + s->aoffs[i].d;
		s->acts[i].msgtype.p = s->arena.p + s->aoffs[i].m;
	}
}

struct fixu_act *
fixu_ss_push(struct sess *s, int kind, const char *data, size_t dn,
    const char *mt, size_t mn)
{
	struct fixu_act *a;
	struct aoff *o;
	char *old = s->arena.p;
	size_t cap, d, m;

	if (s->nacts == s->capacts) {
		cap = s->capacts ? s->capacts * 2 : 16;
		if ((a = realloc(s->acts, cap * sizeof(*a))) == NULL)
			return NULL;
		s->acts = a;
		if ((o = realloc(s->aoffs, cap * sizeof(*o))) == NULL)
			return NULL;
		s->aoffs = o;
		s->capacts = cap;
	}
	d = s->arena.len;
	if (dn > 0 && fixu_buf_append(&s->arena, data, dn) != 0)
		return NULL;
	m = s->arena.len;
	if (mn > 0 && fixu_buf_append(&s->arena, mt, mn) != 0) {
		s->arena.len = d;
		return NULL;
	}
	if (s->arena.p != old)
		rebase(s);
	a = &s->acts[s->nacts];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->data.p = s->arena.p + d;
	a->data.n = dn;
	a->msgtype.p = s->arena.p + m;
	a->msgtype.n = mn;
	s->aoffs[s->nacts].d = d;
	s->aoffs[s->nacts].m = m;
	s->nacts++;
	return a;
}

int
fixu_ss_event(struct sess *s, const char *name, const char *fmt, ...)
{
	struct fixu_act *a;
	char text[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Event text is for people: a long one is cut, marked as such. */
	if (r < 0)
		r = 0;
	else if ((size_t)r >= sizeof(text)) {
		memcpy(text + sizeof(text) - 4, "...", 4);
		r = (int)sizeof(text) - 1;
	}
	if ((a = fixu_ss_push(s, FIXU_ACT_EVENT, text, (size_t)r, NULL,
	    0)) == NULL)
		return FIXU_ENOMEM;
	a->name = name;
	return 0;
}

int
fixu_ss_act(struct sess *s, int kind)
{
	return fixu_ss_push(s, kind, NULL, 0, NULL, 0) == NULL ?
	    FIXU_ENOMEM : 0;
}

int
fixu_ss_act_state(struct sess *s, int on)
{
	struct fixu_act *a;

	if ((a = fixu_ss_push(s, FIXU_ACT_STATE, NULL, 0, NULL, 0)) == NULL)
		return FIXU_ENOMEM;
	a->value = on;
	return 0;
}

int
fixu_ss_set_next(struct sess *s, uint64_t out, uint64_t in)
{
	struct fixu_act *a;

	if ((a = fixu_ss_push(s, FIXU_ACT_SET_NEXT, NULL, 0, NULL, 0)) == NULL)
		return FIXU_ENOMEM;
	a->next_out = out;
	a->next_in = in;
	return 0;
}

/* ---- building outbound messages ------------------------------------------ */

int
fixu_ss_hdr(struct sess *s, uint32_t tag, const char *v, size_t n)
{
	struct hdrf *h;
	size_t cap;

	if (s->nhx == s->caphx) {
		cap = s->caphx ? s->caphx * 2 : 16;
		if ((h = realloc(s->hx, cap * sizeof(*h))) == NULL)
			return FIXU_ENOMEM;
		s->hx = h;
		s->caphx = cap;
	}
	h = &s->hx[s->nhx++];
	h->tag = tag;
	/* NoHops entries stay behind their count, in their order. */
	h->key = tag >= 628 && tag <= 630 ? 627 : tag;
	h->v = v;
	h->n = n;
	return 0;
}

static size_t
fmt_now(const struct sess *s, char *out)
{
	struct timespec ts;
	int64_t r = s->now.real > 0 ? s->now.real : 0;

	ts.tv_sec = (time_t)(r / NS);
	ts.tv_nsec = (long)(r % NS);
	return fixu_time_fmt(out, &ts, s->tsdec);
}

/*
 * Start a message: 8, 35, then our header fields and the extra ones
 * collected with fixu_ss_hdr() (after s->nhx was reset), ascending.  tbuf must
 * live until the message is finished (it holds SendingTime).
 */
int
fixu_ss_msg_begin(struct sess *s, const char *type, size_t tn, uint64_t seq,
    int possdup, const char *orig, size_t on, char *tbuf, char *sbuf)
{
	size_t i, k, tl;
	struct hdrf h;
	int rc, sl;

	tl = fmt_now(s, tbuf);
	sl = snprintf(sbuf, 24, "%llu", (unsigned long long)seq);
	if (sl < 0 || sl >= 24)
		return FIXU_EINVAL;
	if ((rc = fixu_ss_hdr(s, 34, sbuf, (size_t)sl)) != 0 ||
	    (possdup && (rc = fixu_ss_hdr(s, 43, "Y", 1)) != 0) ||
	    (rc = fixu_ss_hdr(s, 49, s->cfg.sid.sender,
	    strlen(s->cfg.sid.sender))) != 0 ||
	    (rc = fixu_ss_hdr(s, 52, tbuf, tl)) != 0 ||
	    (rc = fixu_ss_hdr(s, 56, s->cfg.sid.target,
	    strlen(s->cfg.sid.target))) != 0)
		return rc;
	if (possdup && (rc = fixu_ss_hdr(s, 122, orig != NULL ? orig : tbuf,
	    orig != NULL ? on : tl)) != 0)
		return rc;
	/* Insertion sort: stable, and headers are short. */
	for (i = 1; i < s->nhx; i++) {
		h = s->hx[i];
		for (k = i; k > 0 && s->hx[k - 1].key > h.key; k--)
			s->hx[k] = s->hx[k - 1];
		s->hx[k] = h;
	}
	if ((rc = fixu_build_begin(&s->b, s->cfg.sid.begin,
	    strlen(s->cfg.sid.begin), FIXU_SOH)) != 0 ||
	    (rc = fixu_build_add(&s->b, 35, type, tn)) != 0)
		return rc;
	for (i = 0; i < s->nhx; i++)
		if ((rc = fixu_build_add(&s->b, s->hx[i].tag, s->hx[i].v,
		    s->hx[i].n)) != 0)
			return rc;
	return 0;
}

/* Finish the message being built and queue it as a SEND. */
int
fixu_ss_msg_send(struct sess *s, unsigned flags, uint64_t seq, const char *type,
    size_t tn, int possdup)
{
	struct fixu_str out;
	struct fixu_act *a;
	int rc;

	if ((rc = fixu_build_finish(&s->b, &out)) != 0)
		return rc;
	if ((a = fixu_ss_push(s, FIXU_ACT_SEND, out.p, out.n, type,
	    tn)) == NULL)
		return FIXU_ENOMEM;
	a->flags = flags;
	a->seq = seq;
	a->possdup = possdup;
	if (!(flags & FIXU_ACT_F_NOTX))
		s->last_sent = s->now.mono;
	return 0;
}

/* Begin a new administrative message, numbered next_out. */
int
fixu_ss_admin_begin(struct sess *s, const char *type, char *tbuf, char *sbuf)
{
	s->nhx = 0;
	return fixu_ss_msg_begin(s, type, strlen(type), s->next_out, 0, NULL, 0,
	    tbuf, sbuf);
}

int
fixu_ss_admin_send(struct sess *s, const char *type)
{
	uint64_t seq = s->next_out++;

	return fixu_ss_msg_send(s, FIXU_ACT_F_STORE | FIXU_ACT_F_ADMIN, seq,
	    type, strlen(type), 0);
}

int
fixu_ss_logout(struct sess *s, const char *text)
{
	char tb[32], sb[24];
	int rc;

	if ((rc = fixu_ss_admin_begin(s, "5", tb, sb)) != 0 ||
	    (text != NULL && (rc = fixu_build_add_str(&s->b, 58, text)) != 0) ||
	    (rc = fixu_ss_admin_send(s, "5")) != 0)
		return rc;
	s->logout_sent = 1;
	if (s->state == FIXU_SS_ACTIVE) {
		s->state = FIXU_SS_LOGOUT_SENT;
		s->timer = s->now.mono + (int64_t)s->cfg.logout_timeout * NS;
	}
	return fixu_ss_event(s, "logout", "Logout sent%s%s", text ? ": " : "",
	    text ? text : "");
}

int
fixu_ss_disconnect(struct sess *s, const char *why)
{
	int rc;

	if ((rc = fixu_ss_event(s, "disconnect", "%s", why)) != 0)
		return rc;
	s->state = FIXU_SS_CLOSING;
	s->timer = 0;
	return fixu_ss_act(s, FIXU_ACT_DISCONNECT);
}

int
fixu_ss_heartbeat(struct sess *s, struct fixu_str id)
{
	char tb[32], sb[24];
	int rc;

	if ((rc = fixu_ss_admin_begin(s, "0", tb, sb)) != 0 ||
	    (id.p != NULL && (rc = fixu_build_add(&s->b, 112, id.p,
	    id.n)) != 0))
		return rc;
	return fixu_ss_admin_send(s, "0");
}

int
fixu_ss_resend_request(struct sess *s, uint64_t from, uint64_t last)
{
	char tb[32], sb[24];
	uint64_t end = last, wire;
	int rc;

	if (s->cfg.resend_chunk > 0 &&
	    end - from + 1 > (uint64_t)s->cfg.resend_chunk) {
		end = from + (uint64_t)s->cfg.resend_chunk - 1;
		wire = end;
	} else
		wire = s->ver >= V42 ? 0 : 999999;
	s->rr_begin = from;
	s->rr_end = end;
	if ((rc = fixu_ss_admin_begin(s, "2", tb, sb)) != 0 ||
	    (rc = fixu_build_add_u64(&s->b, 7, from)) != 0 ||
	    (rc = fixu_build_add_u64(&s->b, 16, wire)) != 0 ||
	    (rc = fixu_ss_admin_send(s, "2")) != 0)
		return rc;
	return fixu_ss_event(s, "gap", "ResendRequest sent for %llu to %llu",
	    (unsigned long long)from, (unsigned long long)end);
}

int
fixu_ss_logon(struct sess *s, int reset, uint64_t next_expected)
{
	char tb[32], sb[24];
	int rc;

	if ((rc = fixu_ss_admin_begin(s, "A", tb, sb)) != 0 ||
	    (rc = fixu_build_add_str(&s->b, 98, "0")) != 0 ||
	    (rc = fixu_build_add_u64(&s->b, 108, (uint64_t)s->hbi)) != 0)
		return rc;
	if (reset && (rc = fixu_build_add_str(&s->b, 141, "Y")) != 0)
		return rc;
	if (s->cfg.initiator && s->cfg.username[0] != '\0' &&
	    (rc = fixu_build_add_str(&s->b, 553, s->cfg.username)) != 0)
		return rc;
	if (s->cfg.initiator && s->cfg.password[0] != '\0' &&
	    (rc = fixu_build_add_str(&s->b, 554, s->cfg.password)) != 0)
		return rc;
	if (s->cfg.send_next_expected &&
	    (rc = fixu_build_add_u64(&s->b, 789, next_expected)) != 0)
		return rc;
	if (s->ver == VFIXT && s->cfg.default_applverid[0] != '\0' &&
	    (rc = fixu_build_add_str(&s->b, 1137,
	    s->cfg.default_applverid)) != 0)
		return rc;
	return fixu_ss_admin_send(s, "A");
}

/* ---- resends ------------------------------------------------------------- */

static int
send_gapfill(struct sess *s, uint64_t from, uint64_t to)
{
	char tb[32], sb[24];
	int rc;

	s->nhx = 0;
	if ((rc = fixu_ss_msg_begin(s, "4", 1, from, 1, NULL, 0, tb,
	    sb)) != 0 ||
	    (rc = fixu_build_add_u64(&s->b, 36, to)) != 0 ||
	    (rc = fixu_build_add_str(&s->b, 123, "Y")) != 0)
		return rc;
	return fixu_ss_msg_send(s, FIXU_ACT_F_ADMIN, from, "4", 1, 1);
}

struct resend {
	struct sess	*s;
	uint64_t	 cur;		/* next number to account for */
	uint64_t	 gap;		/* start of an open gap; 0: none */
	uint64_t	 nresent;
	int		 rc;
};

/*
 * Build stored or application message r again under our header: its
 * header fields other than those the session writes, then the body.
 */
static int
rebuild(struct sess *s, const struct fixu_msg *r, struct fixu_str ty,
    uint64_t seq, int possdup, struct fixu_str orig, char *tb, char *sb)
{
	uint32_t i;
	int rc;

	s->nhx = 0;
	for (i = 0; i < r->nf; i++)
		if (is_hdr(r->f[i].tag) && !is_own(r->f[i].tag) &&
		    (rc = fixu_ss_hdr(s, r->f[i].tag, r->f[i].val,
		    r->f[i].len)) != 0)
			return rc;
	if ((rc = fixu_ss_msg_begin(s, ty.p, ty.n, seq, possdup, orig.p,
	    orig.n, tb, sb)) != 0)
		return rc;
	for (i = 0; i < r->nf; i++)
		if (!is_hdr(r->f[i].tag) && r->f[i].tag != 10 &&
		    (rc = fixu_build_add(&s->b, r->f[i].tag, r->f[i].val,
		    r->f[i].len)) != 0)
			return rc;
	return 0;
}

/* Send stored application message r again: PossDup, its old SendingTime
   as OrigSendingTime, a new SendingTime. */
static int
resend_app(struct sess *s, uint64_t seq)
{
	const struct fixu_msg *r = &s->r;
	struct fixu_str ty = fixu_msg_get(r, 35), orig = fixu_msg_get(r, 52);
	char tb[32], sb[24];
	int rc;

	if ((rc = rebuild(s, r, ty, seq, 1, orig, tb, sb)) != 0)
		return rc;
	return fixu_ss_msg_send(s, 0, seq, ty.p, ty.n, 1);
}

static int
resend_each(void *ctx, uint64_t seq, const char *raw, size_t n)
{
	struct resend *x = ctx;
	struct sess *s = x->s;
	struct fixu_str ty;
	int app;

	if (seq < x->cur)
		return 0;
	if (seq > x->cur && x->gap == 0)
		x->gap = x->cur;
	app = fixu_msg_parse(&s->r, raw, n, FIXU_SOH, NULL,
	    FIXU_PARSE_NOCHECK, NULL) == 0 &&
	    (ty = fixu_msg_get(&s->r, 35)).p != NULL && ty.n > 0 &&
	    !is_admin(ty) && fixu_msg_get(&s->r, 52).p != NULL;
	if (!app) {
		/* Administrative (or unreadable): filled by a gap fill. */
		if (x->gap == 0)
			x->gap = seq;
	} else {
		if (x->gap != 0 && (x->rc = send_gapfill(s, x->gap, seq)) != 0)
			return 1;
		x->gap = 0;
		if ((x->rc = resend_app(s, seq)) != 0)
			return 1;
		x->nresent++;
	}
	x->cur = seq + 1;
	return 0;
}

/* Serve a ResendRequest for begin..end (end 0: everything sent). */
int
fixu_ss_serve_resend(struct sess *s, uint64_t begin, uint64_t end)
{
	struct resend x;
	int rc;

	if (end == 0 || (s->ver <= V42 && end == 999999) || end >= s->next_out)
		end = s->next_out - 1;
	if (begin == 0 || begin > end)
		return fixu_ss_event(s, "resend", "ResendRequest from %llu: "
		    "nothing to resend (next is %llu)",
		    (unsigned long long)begin, (unsigned long long)s->next_out);
	if (!s->cfg.persist_messages || s->ops.fetch_out == NULL) {
		if ((rc = send_gapfill(s, begin, end + 1)) != 0)
			return rc;
		return fixu_ss_event(s, "resend", "ResendRequest %llu to %llu: "
		    "gap filled (messages are not kept)",
		    (unsigned long long)begin, (unsigned long long)end);
	}
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.cur = begin;
	rc = s->ops.fetch_out(s->ops.arg, begin, end, resend_each, &x);
	if (x.rc != 0)
		return x.rc;
	if (rc < 0) {
		(void)fixu_ss_event(s, "resend", "ResendRequest %llu to %llu: "
		    "cannot read stored messages: %s",
		    (unsigned long long)begin, (unsigned long long)end,
		    fixu_strerror(rc));
		return rc;
	}
	if (x.gap == 0 && x.cur <= end)
		x.gap = x.cur;
	if (x.gap != 0 && (rc = send_gapfill(s, x.gap, end + 1)) != 0)
		return rc;
	return fixu_ss_event(s, "resend", "ResendRequest %llu to %llu "
	    "served: %llu resent", (unsigned long long)begin,
	    (unsigned long long)end, (unsigned long long)x.nresent);
}

/* ---- public interface: sending ------------------------------------------- */

int
fixu_sess_send(struct fixu_sess *p, const struct fixu_now *now,
    const char *raw, size_t n, struct fixu_diag *d)
{
	struct sess *s = S(p);
	const struct fixu_msg *r = &s->r;
	struct fixu_str ty;
	char tb[32], sb[24];
	unsigned flags;
	uint64_t seq;
	int rc;

	fixu_ss_begin(s, now);
	fixu_diag_clear(d);
	if ((rc = fixu_msg_parse(&s->r, raw, n, FIXU_SOH, NULL,
	    FIXU_PARSE_NOCHECK, d)) != 0)
		return rc == FIXU_ENOMEM ? rc : FIXU_ESYNTAX;
	ty = fixu_msg_get(r, 35);
	if (ty.p == NULL || ty.n == 0)
		return fixu_diag_set(d, FIXU_ESYNTAX, 0, 35, FIXU_REJ_NONE,
		    "message without MsgType (35)");
	if (is_admin(ty) && !is_type(ty, '3'))
		return fixu_diag_set(d, FIXU_EINVAL, 0, 35, FIXU_REJ_NONE,
		    "administrative MsgType %.*s is the session's own",
		    (int)ty.n, ty.p);
	if ((rc = rebuild(s, r, ty, s->next_out, 0, (struct fixu_str){ NULL, 0 },
	    tb, sb)) != 0)
		return rc;
	flags = FIXU_ACT_F_STORE;
	if (s->state != FIXU_SS_ACTIVE)
		flags |= FIXU_ACT_F_NOTX;
	if (is_admin(ty))
		flags |= FIXU_ACT_F_ADMIN;
	seq = s->next_out++;
	return fixu_ss_msg_send(s, flags, seq, ty.p, ty.n, 0);
}

size_t
fixu_sess_actions(const struct fixu_sess *p, const struct fixu_act **out)
{
	const struct sess *s = CS(p);

	*out = s->acts;
	return s->nacts;
}

void
fixu_sess_actions_clear(struct fixu_sess *p)
{
	struct sess *s = S(p);

	s->nacts = 0;
	s->arena.len = 0;
}
