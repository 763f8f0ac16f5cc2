/*
 * conmsg.c -- fixsim console's messages: a typed line into a message
 * sent, and a message into one line for a person.
 *
 * A line is anything fixenc reads (wire form, JSON, '|'-separated
 * fields), or a leading message name and fields separated by blanks; the
 * text encoder turns it into wire form with the dictionary for field
 * names and enum descriptions, what the dictionary says about it comes
 * as warnings, and the session numbers it and sends it.  A message is
 * shown as the readable form with names (fixdec -n) without the header;
 * administrative ones short and dim, a Reject as one sentence.
 *
 * Ownership: the lines and messages built here live in the struct con's
 * buffers (line, wire, out, m) until the next line.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "fixutil.h"
#include "complete.h"
#include "console.h"
#include "util.h"

/* Tags the session writes itself. */
int
conmsg_own_tag(uint32_t t)
{
	return t == 8 || t == 9 || t == 10 || t == 34 || t == 35 || t == 43 ||
	    t == 49 || t == 52 || t == 56 || t == 122 || t == 89 || t == 93;
}

/* ---- showing messages --------------------------------------------------- */

static const char *
type_name(const struct fixu_dict *tr, const struct fixu_dict *app,
    struct fixu_str ty)
{
	const struct fixu_dmsg *dm = util_dmsg(tr, app, ty.p, ty.n);

	return dm != NULL ? fixu_dmsg_name(dm) : NULL;
}

static void
put_value(struct fixu_buf *o, const struct fixu_dfield *df,
    const struct fixu_field *f)
{
	const char *d;

	if (f->tag == 554 || f->tag == 925)
		(void)fixu_buf_puts(o, "****");
	else if (df != NULL && (d = fixu_dict_enum(df, f->val, f->len)) != NULL)
		(void)fixu_buf_puts(o, d);
	else
		(void)fixu_text_escape(o, f->val, f->len, 0);
}

/* The short form of administrative messages: Name=value ... */
static void
put_short(struct fixu_buf *o, const struct fixu_dict *tr,
    const struct fixu_dict *app, const struct fixu_msg *m)
{
	const struct fixu_dfield *df;
	uint32_t i;

	for (i = 0; i < m->nf; i++) {
		const struct fixu_field *f = &m->f[i];

		if (conmsg_own_tag(f->tag))
			continue;
		df = util_dfield(tr, app, f->tag);
		(void)fixu_buf_putc(o, ' ');
		if (df != NULL && df->name != NULL)
			(void)fixu_buf_puts(o, df->name);
		else
			(void)fixu_buf_putu(o, f->tag);
		(void)fixu_buf_putc(o, '=');
		put_value(o, df, f);
	}
}

static const char *
sent_type(struct con *c, uint64_t seq)
{
	struct sent *s = &c->sent[seq % SENT_RING];

	return s->seq == seq && seq != 0 ? s->type : NULL;
}

/* "name (tag)" of a field given by its tag in a value. */
static void
put_tagref(struct fixu_buf *o, const struct fixu_dict *tr,
    const struct fixu_dict *app, struct fixu_str v)
{
	const struct fixu_dfield *df;
	uint64_t t;

	if (fixu_parse_u64(v.p, v.n, &t) == 0 && t <= FIXU_MAX_TAG &&
	    (df = util_dfield(tr, app, (uint32_t)t)) != NULL &&
	    df->name != NULL)
		(void)fixu_buf_printf(o, "%s (%.*s)", df->name, (int)v.n, v.p);
	else
		(void)fixu_buf_printf(o, "tag %.*s", (int)v.n, v.p);
}

/* A reason for a person: "UNSUPPORTED_MESSAGE_TYPE" as "unsupported message
   type"; "reason 7" when the dictionary has no name for 7.  A reason
   longer than b ends in "...". */
static void
humane(char *b, size_t size, const char *d, struct fixu_str v)
{
	size_t i;
	int upper = 1;

	if (strcmp(d, "reason") == 0)
		(void)util_fmt(b, size, "reason %.*s", (int)v.n, v.p);
	else
		(void)util_fmt(b, size, "%s", d);
	for (i = 0; b[i] != '\0'; i++)
		if (islower((unsigned char)b[i]))
			upper = 0;
	for (i = 0; upper && b[i] != '\0'; i++)
		b[i] = b[i] == '_' ? ' ' : (char)tolower((unsigned char)b[i]);
}

/*
 * A Reject or BusinessMessageReject as one line:
 * "Reject of #2 NewOrderSingle: Required tag missing: Symbol (55): text".
 */
static void
put_reject(struct con *c, struct fixu_buf *o, const struct fixu_dict *tr,
    const struct fixu_dict *app, const struct fixu_msg *m, const char *name,
    uint32_t rtag)
{
	struct fixu_str ref = fixu_msg_get(m, 45), rt = fixu_msg_get(m, 372);
	struct fixu_str why = fixu_msg_get(m, rtag), tag = fixu_msg_get(m, 371);
	struct fixu_str id = fixu_msg_get(m, 379), text = fixu_msg_get(m, 58);
	const struct fixu_dfield *df;
	const char *tn = NULL, *d;
	char reason[120];
	uint64_t seq = 0, r;

	(void)fixu_buf_printf(o, " %s", name);
	if (ref.p != NULL) {
		(void)fixu_parse_u64(ref.p, ref.n, &seq);
		(void)fixu_buf_printf(o, " of #%.*s", (int)ref.n, ref.p);
	}
	if (rt.p != NULL)
		tn = type_name(tr, app, rt);
	else if ((d = sent_type(c, seq)) != NULL) {
		rt.p = d;
		rt.n = strlen(d);
		tn = type_name(tr, app, rt);
	}
	if (tn != NULL)
		(void)fixu_buf_printf(o, " %s", tn);
	else if (rt.p != NULL)
		(void)fixu_buf_printf(o, " 35=%.*s", (int)rt.n, rt.p);
	if (id.p != NULL) {
		(void)fixu_buf_putc(o, ' ');
		(void)fixu_text_escape(o, id.p, id.n, 0);
	}
	reason[0] = '\0';
	if (why.p != NULL) {
		df = util_dfield(tr, app, rtag);
		d = df != NULL ? fixu_dict_enum(df, why.p, why.n) : NULL;
		if (rtag == 373 && fixu_parse_u64(why.p, why.n, &r) == 0 &&
		    r <= 99)
			d = fixu_reject_text((int)r);
		humane(reason, sizeof(reason), d != NULL ? d : "reason", why);
		(void)fixu_buf_printf(o, ": %s", reason);
	}
	if (tag.p != NULL) {
		(void)fixu_buf_puts(o, ": ");
		put_tagref(o, tr, app, tag);
	}
	if (text.p != NULL && !(strlen(reason) == text.n &&
	    strncasecmp(reason, text.p, text.n) == 0)) {
		(void)fixu_buf_puts(o, ": ");
		(void)fixu_text_escape(o, text.p, text.n, 0);
	}
}

/* The readable form with names (fixdec -n), the header left out (with -v
   it stays in what arrives; what we send gets its header later). */
static void
put_names(struct con *c, struct fixu_buf *o, const struct fixu_dict *tr,
    const struct fixu_dict *app, const struct fixu_msg *m, int in)
{
	struct fixu_msg t = *m;
	struct fixu_field *ff;
	uint32_t i, k = 0;

	if (!c->verbose || !in) {
		if (m->nf > c->ffcap) {
			ff = realloc(c->ff, m->nf * sizeof(*ff));
			if (ff == NULL)
				err(CMD_EX_IO, "console");
			c->ff = ff;
			c->ffcap = m->nf;
		}
		for (i = 0; i < m->nf; i++)
			if (m->f[i].tag == 35 || !conmsg_own_tag(m->f[i].tag))
				c->ff[k++] = m->f[i];
		t.f = c->ff;
		t.nf = k;
	}
	c->rend.mode = FIXU_TEXT_NAMES;
	c->rend.tr = tr;
	c->rend.app = app;
	(void)fixu_buf_putc(o, ' ');
	if (fixu_text_render(&c->rend, &t, o, NULL) == 0 && o->len > 0 &&
	    o->p[o->len - 1] == '\n')
		o->len--;
}

/* One message in or out, on one line: "< #SEQ ...". */
void
conmsg_show(struct con *c, int in, const struct fixu_msg *m, uint64_t seq)
{
	const struct fixu_dict *tr = c->tr, *app = c->app;
	struct fixu_str ty = fixu_msg_get(m, 35);
	const struct fixu_dmsg *dm;
	struct fixu_buf *o = &c->out;
	const char *name;
	int admin, rej;

	if (m->nf > 0 && m->f[0].tag == 8 && c->dicts != NULL &&
	    fixu_dicts_pick(c->dicts, m, c->applverid, &tr, &app, NULL) != 0) {
		tr = c->tr;
		app = c->app;
	}
	dm = ty.p != NULL ? util_dmsg(tr, app, ty.p, ty.n) : NULL;
	admin = dm != NULL ? fixu_dmsg_is_admin(dm) : ty.n == 1 &&
	    strchr("0123456A", ty.p[0]) != NULL;
	if (ty.n == 1 && ty.p[0] == '0' && !c->verbose)
		return;
	name = dm != NULL ? fixu_dmsg_name(dm) : NULL;
	fixu_buf_reset(o);
	(void)fixu_buf_printf(o, "%c #%llu", in ? '<' : '>',
	    (unsigned long long)seq);
	rej = ty.n == 1 && (ty.p[0] == '3' || ty.p[0] == 'j');
	if (rej && !c->verbose)
		put_reject(c, o, tr, app, m, name != NULL ? name : ty.p[0] ==
		    '3' ? "Reject" : "BusinessMessageReject", ty.p[0] == '3' ?
		    373 : 380);
	else if (admin && !c->verbose) {
		if (name != NULL)
			(void)fixu_buf_printf(o, " %s", name);
		else
			(void)fixu_buf_printf(o, " 35=%.*s", (int)ty.n, ty.p);
		put_short(o, tr, app, m);
	} else
		put_names(c, o, tr, app, m, in);
	con_emit(c, stdout, o->p, o->len, admin && !rej);
}

/* ---- sending ------------------------------------------------------------ */

static void
put_now(struct fixu_buf *o)
{
	char t[UTIL_TIME_MAX];
	size_t n;

	n = util_now_fmt(t, 0, 3);
	(void)fixu_buf_append(o, t, n);
}

/* Warnings, not errors: what the dictionary says about a message we send. */
static void
check_out(struct con *c, const struct fixu_msg *m)
{
	struct fixu_diag iss[8];
	char b[300];
	int i, n = 0, shown = 0;

	if (c->tr == NULL)
		return;
	(void)fixu_dict_validate(c->tr, c->app, m, FIXU_V_REQUIRED |
	    FIXU_V_VALUES | FIXU_V_UNDEFINED_TAGS | FIXU_V_UNKNOWN_FIELDS |
	    FIXU_V_HAVE_VALUES, iss, 8, &n);
	for (i = 0; i < n && shown < 3; i++) {
		if (iss[i].tag != 0 && conmsg_own_tag(iss[i].tag))
			continue;
		if (iss[i].code == FIXU_ENOTFOUND)
			continue;	/* a MsgType of our own: fine */
		con_note(c, "%s", iss[i].msg[0] ? iss[i].msg :
		    fixu_diag_fmt(&iss[i], b, sizeof(b)));
		shown++;
	}
}

/*
 * Send a readable line (any form fixenc reads): encoded with names, checked,
 * put in order (MsgType first), sent, shown and tracked.
 */
int
conmsg_send(struct con *c, const char *p, size_t n)
{
	struct fixu_diag d;
	struct fixu_str w, ty;
	struct fixu_buf *o = &c->wire;
	char tb[16];
	uint32_t i;
	int rc;

	if (c->state != C_ON) {
		con_oops(c, "not logged on%s", c->state == C_DOWN ?
		    " (type logon)" : "");
		return -1;
	}
	if (fixu_text_encode(&c->enc, p, n, &w, &d) != 0) {
		con_oops(c, "%s", d.msg[0] ? d.msg : fixu_strerror(d.code));
		return -1;
	}
	if (fixu_msg_parse(&c->m, w.p, w.n, FIXU_SOH, NULL, 0, &d) != 0 ||
	    (ty = fixu_msg_get(&c->m, 35)).p == NULL) {
		con_oops(c, "%s", d.msg[0] ? d.msg : "no MsgType (35)");
		return -1;
	}
	if (util_copy_str(tb, sizeof(tb), ty) != 0) {
		con_oops(c, "MsgType longer than %zu bytes", sizeof(tb) - 1);
		return -1;
	}
	check_out(c, &c->m);
	/* The session wants MsgType first; the rest keeps its order. */
	fixu_buf_reset(o);
	(void)fixu_buf_printf(o, "35=%s\001", tb);
	for (i = 0; i < c->m.nf; i++) {
		const struct fixu_field *f = &c->m.f[i];

		if (f->tag == 8 || f->tag == 9 || f->tag == 10 || f->tag == 35)
			continue;
		if (fixu_buf_printf(o, "%u=", f->tag) < 0 ||
		    fixu_buf_append(o, f->val, f->len) < 0 ||
		    fixu_buf_putc(o, FIXU_SOH) < 0) {
			con_oops(c, "message too long");
			return -1;
		}
	}
	if ((rc = sim_send(c->ss, o->p, o->len, &d)) != 0) {
		con_oops(c, "%s", d.msg[0] ? d.msg : fixu_strerror(rc));
		return -1;
	}
	conmsg_show(c, 0, &c->m, sim_last_seq(c->ss));
	order_track_out(c, &c->m, sim_last_seq(c->ss));
	return 0;
}

/*
 * Append "key=value|" to o; "now" is the time for a UTCTIMESTAMP field.
 * Lines are at most IN_MAX (console.c) bytes, so o (FIXU_MAX_MSG) never
 * fills.
 */
void
conmsg_put_field(struct con *c, struct fixu_buf *o, const char *k,
    size_t kn, const char *v, size_t vn)
{
	const struct fixu_dfield *df;
	uint32_t tag;

	df = complete_field_key(c, k, kn, &tag);
	/* The canonical name, so that the encoder finds it in any case. */
	if (df != NULL && df->name != NULL && (kn == 0 || !isdigit(
	    (unsigned char)k[0])))
		(void)fixu_buf_puts(o, df->name);
	else
		(void)fixu_buf_append(o, k, kn);
	(void)fixu_buf_putc(o, '=');
	if (df != NULL && df->type == FIXU_T_UTCTIMESTAMP && vn == 3 &&
	    memcmp(v, "now", 3) == 0)
		put_now(o);
	else
		(void)fixu_buf_append(o, v, vn);
	(void)fixu_buf_putc(o, '|');
}

/*
 * A message by fields: "NewOrderSingle ClOrdID=X Side=BUY ...", "35=D
 * 11=X ...", or '|'-separated.  With blanks between fields, a word with
 * no '=' goes on the value before it (Text=two words); "\ " is a blank
 * too.  The result is a '|' line in c->line.
 */
int
conmsg_fields_line(struct con *c, const char *p, size_t n)
{
	struct fixu_buf *o = &c->line;
	const struct fixu_dmsg *dm;
	char delim = memchr(p, '|', n) != NULL ? '|' : ' ';
	size_t i = 0, s, e, eq;
	int first = 1, havefield = 0;

	fixu_buf_reset(o);
	while (i < n) {
		while (i < n && (p[i] == delim || (delim == ' ' &&
		    util_is_blank(p[i]))))
			i++;
		if (i == n)
			break;
		for (s = i, eq = SIZE_MAX; i < n && p[i] != delim &&
		    !(delim == ' ' && util_is_blank(p[i])); i++) {
			if (p[i] == '\\' && i + 1 < n)
				i++;
			else if (p[i] == '=' && eq == SIZE_MAX)
				eq = i;
		}
		e = i;
		if (eq == SIZE_MAX && first) {
			if ((dm = complete_msg_key(c, p + s, e - s)) == NULL) {
				con_oops(c, "unknown message type '%.*s'",
				    (int)(e - s > 40 ? 40 : e - s), p + s);
				return -1;
			}
			(void)fixu_buf_printf(o, "35=%s|", fixu_dmsg_type(dm));
		} else if (eq == SIZE_MAX) {
			if (!havefield) {
				con_oops(c, "'%.*s' is not a field (TAG=VALUE)",
				    (int)(e - s > 40 ? 40 : e - s), p + s);
				return -1;
			}
			o->len--;	/* the '|' */
			(void)fixu_buf_putc(o, ' ');
			(void)fixu_buf_append(o, p + s, e - s);
			(void)fixu_buf_putc(o, '|');
		} else {
			conmsg_put_field(c, o, p + s, eq - s, p + eq + 1,
			    e - eq - 1);
			havefield = 1;
		}
		first = 0;
	}
	/* "\ " stood for a blank in the blank-separated form. */
	if (delim == ' ')
		for (i = s = 0; i < o->len; i++) {
			if (o->p[i] == '\\' && i + 1 < o->len &&
			    o->p[i + 1] == ' ')
				i++;
			o->p[s++] = o->p[i];
			if (o->p[i] == '\\' && i + 1 < o->len)
				o->p[s++] = o->p[++i];
		}
	else
		s = o->len;
	o->len = s;
	if (o->len >= FIXU_MAX_MSG) {
		con_oops(c, "message too long");
		return -1;
	}
	return 0;
}
