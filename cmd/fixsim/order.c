/*
 * order.c -- fixsim console's orders: the short syntax (buy, sell,
 * cancel, replace) that makes a NewOrderSingle, an OrderCancelRequest or
 * an OrderCancelReplaceRequest with made-up ClOrdIDs, and the following
 * of what was sent: the orders (so that cancel and replace need only the
 * ClOrdID), the answers awaited (for the end of piped input), and the
 * MsgType of recent MsgSeqNums (for Rejects that do not name it).
 *
 * Ownership: the orders, the answers awaited and the ring of MsgTypes
 * sent are the struct con's.  An order whose values are longer than an
 * order here holds is not followed.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fixutil.h"
#include "complete.h"
#include "console.h"
#include "util.h"

/* ---- orders and answers ------------------------------------------------- */

static struct order *
order_find(struct con *c, const char *id, size_t n)
{
	size_t i;

	for (i = c->nord; i-- > 0;) {
		struct order *o = &c->ord[i];

		if ((strlen(o->cur) == n && memcmp(o->cur, id, n) == 0) ||
		    (strlen(o->id) == n && memcmp(o->id, id, n) == 0))
			return o;
	}
	return NULL;
}

/* The value of tag in m, when m has it, into dst. */
static int
keep(char *dst, size_t size, const struct fixu_msg *m, uint32_t tag)
{
	struct fixu_str v = fixu_msg_get(m, tag);

	return v.p != NULL ? util_copy_str(dst, size, v) : 0;
}

static void
pend_add(struct con *c, struct fixu_str id, uint64_t seq)
{
	struct pend *p;
	size_t cap;

	if (c->npend == c->cappend) {
		cap = c->cappend ? c->cappend * 2 : 64;
		if ((p = realloc(c->pend, cap * sizeof(*p))) == NULL)
			err(CMD_EX_IO, "console");
		c->pend = p;
		c->cappend = cap;
	}
	p = &c->pend[c->npend++];
	/* It fits: order_track_out() follows no longer one. */
	(void)util_copy_str(p->id, sizeof(p->id), id);
	p->seq = seq;
}

/* Forget the answers awaited for ClOrdID id, or for MsgSeqNum seq. */
static void
pend_done(struct con *c, struct fixu_str id, uint64_t seq)
{
	size_t i, k = 0;

	for (i = 0; i < c->npend; i++) {
		struct pend *p = &c->pend[i];

		if ((id.p != NULL && strlen(p->id) == id.n &&
		    memcmp(p->id, id.p, id.n) == 0) || (seq != 0 &&
		    p->seq == seq))
			continue;
		c->pend[k++] = *p;
	}
	c->npend = k;
}

/* What an outbound message means for the orders we know. */
void
order_track_out(struct con *c, const struct fixu_msg *m, uint64_t seq)
{
	struct fixu_str ty = fixu_msg_get(m, 35), id = fixu_msg_get(m, 11);
	struct fixu_str orig = fixu_msg_get(m, 41);
	struct sent *s = &c->sent[seq % SENT_RING];
	struct order *o = NULL;
	size_t cap;
	int bad = 0;

	/* A MsgType too long to keep is not known later. */
	s->seq = util_copy_str(s->type, sizeof(s->type), ty) == 0 ? seq : 0;
	/* An order with longer values than an order here holds is not
	   followed: cancel and replace then need its fields given. */
	if (id.p == NULL || id.n == 0 || id.n >= ID_MAX)
		return;
	pend_add(c, id, seq);
	if (fixu_str_eq(ty, "D")) {
		if (c->nord == c->capord) {
			cap = c->capord ? c->capord * 2 : 64;
			if ((o = realloc(c->ord, cap * sizeof(*o))) == NULL)
				err(CMD_EX_IO, "console");
			c->ord = o;
			c->capord = cap;
		}
		o = &c->ord[c->nord++];
		memset(o, 0, sizeof(*o));
		(void)util_copy_str(o->id, sizeof(o->id), id);
		(void)util_copy_str(o->cur, sizeof(o->cur), id);
	} else if (fixu_str_eq(ty, "G") && orig.p != NULL &&
	    (o = order_find(c, orig.p, orig.n)) != NULL) {
		memcpy(o->prev, o->cur, sizeof(o->prev));
		(void)util_copy_str(o->cur, sizeof(o->cur), id);
	}
	if (o == NULL)
		return;
	bad |= keep(o->sym, sizeof(o->sym), m, 55);
	bad |= keep(o->side, sizeof(o->side), m, 54);
	bad |= keep(o->qty, sizeof(o->qty), m, 38);
	bad |= keep(o->px, sizeof(o->px), m, 44);
	bad |= keep(o->ordtype, sizeof(o->ordtype), m, 40);
	if (bad)
		*o = c->ord[--c->nord];
}

/* What an inbound message answers. */
void
order_track_in(struct con *c, const struct fixu_msg *m)
{
	struct fixu_str ty = fixu_msg_get(m, 35), id = fixu_msg_get(m, 11);
	struct fixu_str ref = fixu_msg_get(m, 45), to = fixu_msg_get(m, 434);
	struct order *o;
	uint64_t seq = 0;

	if (ty.n == 1 && (ty.p[0] == '3' || ty.p[0] == 'j')) {
		if (ref.p != NULL && fixu_parse_u64(ref.p, ref.n, &seq) == 0)
			pend_done(c, (struct fixu_str){ NULL, 0 }, seq);
		pend_done(c, fixu_msg_get(m, 379), 0);
		return;
	}
	if (id.p != NULL)
		pend_done(c, id, 0);
	/* A replace refused: the old ClOrdID is still the one in force. */
	if (fixu_str_eq(ty, "9") && fixu_str_eq(to, "2") && id.p != NULL &&
	    (o = order_find(c, id.p, id.n)) != NULL && o->prev[0] != '\0' &&
	    strlen(o->cur) == id.n && memcmp(o->cur, id.p, id.n) == 0) {
		memcpy(o->cur, o->prev, sizeof(o->cur));
		o->prev[0] = '\0';
	}
}

/* ---- short syntax ------------------------------------------------------- */

/* The prefix is short (options()), so the id always fits. */
static void
new_id(struct con *c, char *id, size_t size)
{
	(void)util_fmt(id, size, "%s%lu", c->prefix, ++c->nextid);
}

/* Extra TAG=VALUE words after the short form, into c->extra; their tags
   in tags[]. */
static int
extras(struct con *c, struct words *ws, size_t from, uint32_t *tags,
    size_t *ntags)
{
	const char *eq;
	size_t i;

	*ntags = 0;
	fixu_buf_reset(&c->extra);
	for (i = from; i < ws->n; i++) {
		if ((eq = strchr(ws->w[i], '=')) == NULL || eq == ws->w[i]) {
			con_oops(c, "'%s': expected TAG=VALUE", ws->w[i]);
			return -1;
		}
		(void)complete_field_key(c, ws->w[i], (size_t)(eq - ws->w[i]),
		    &tags[*ntags]);
		(*ntags)++;
		conmsg_put_field(c, &c->extra, ws->w[i],
		    (size_t)(eq - ws->w[i]), eq + 1, strlen(eq + 1));
	}
	return 0;
}

static int
has_tag(const uint32_t *tags, size_t ntags, uint32_t tag)
{
	size_t i;

	for (i = 0; i < ntags; i++)
		if (tags[i] == tag)
			return 1;
	return 0;
}

/* Base field tag=v unless an extra word gives that tag. */
static void
base(struct fixu_buf *o, const uint32_t *tags, size_t ntags, uint32_t tag,
    const char *v)
{
	if (v == NULL || *v == '\0' || has_tag(tags, ntags, tag))
		return;
	(void)fixu_buf_printf(o, "%u=%s|", tag, v);
}

static void
base_common(struct con *c, struct fixu_buf *o, const char *type,
    const uint32_t *tags, size_t ntags)
{
	char t[UTIL_TIME_MAX];

	if (strncmp(c->begin, "FIX.4.", 6) == 0 && c->begin[6] <= '2' &&
	    strcmp(type, "F") != 0)
		base(o, tags, ntags, 21, "1");	/* HandlInst, required */
	if (complete_msg_has(c, type, 60)) {
		(void)util_now_fmt(t, 0, 3);
		base(o, tags, ntags, 60, t);
	}
}

static int
is_number(const char *s, enum fixu_type t)
{
	return fixu_type_check(t, s, strlen(s)) == 0 && *s != '-';
}

/* buy|sell QTY SYMBOL [@ PRICE | @PRICE | mkt] [TAG=VALUE ...] */
int
order_new(struct con *c, struct words *ws)
{
	struct fixu_buf *o = &c->line;
	uint32_t tags[WORDS_MAX];
	char id[ID_MAX];
	const char *px = NULL;
	size_t i = 3, ntags;

	if (ws->over) {
		con_oops(c, "more than %d words", WORDS_MAX);
		return -1;
	}
	if (ws->n < 3 || !is_number(ws->w[1], FIXU_T_QTY)) {
		con_oops(c, "usage: %s QTY SYMBOL [@ PRICE | mkt] "
		    "[TAG=VALUE ...]", ws->w[0]);
		return -1;
	}
	if (i < ws->n && (strcmp(ws->w[i], "mkt") == 0 ||
	    strcmp(ws->w[i], "market") == 0))
		i++;
	else if (i < ws->n && strcmp(ws->w[i], "@") == 0 && i + 1 < ws->n) {
		px = ws->w[i + 1];
		i += 2;
	} else if (i < ws->n && ws->w[i][0] == '@')
		px = ws->w[i++] + 1;
	else if (i < ws->n && strchr(ws->w[i], '=') == NULL)
		px = ws->w[i++];
	if (px != NULL && !is_number(px, FIXU_T_PRICE)) {
		con_oops(c, "'%s' is not a price", px);
		return -1;
	}
	if (extras(c, ws, i, tags, &ntags) != 0)
		return -1;
	new_id(c, id, sizeof(id));
	fixu_buf_reset(o);
	(void)fixu_buf_puts(o, "35=D|");
	base(o, tags, ntags, 11, id);
	base(o, tags, ntags, 55, ws->w[2]);
	base(o, tags, ntags, 54, ws->w[0][0] == 'b' ? "1" : "2");
	base(o, tags, ntags, 38, ws->w[1]);
	base(o, tags, ntags, 40, px != NULL ? "2" : "1");
	base(o, tags, ntags, 44, px);
	base_common(c, o, "D", tags, ntags);
	(void)fixu_buf_append(o, c->extra.p, c->extra.len);
	return conmsg_send(c, o->p, o->len);
}

/* cancel ID [TAG=VALUE ...]; replace ID [qty N] [px P] [TAG=VALUE ...] */
int
order_amend(struct con *c, struct words *ws)
{
	struct fixu_buf *o = &c->line;
	int repl = ws->w[0][0] == 'r';
	const char *qty = NULL, *px = NULL, *type = repl ? "G" : "F", *orig;
	struct order *od, none;
	uint32_t tags[WORDS_MAX];
	char id[ID_MAX];
	size_t i = 2, ntags;

	if (ws->over) {
		con_oops(c, "more than %d words", WORDS_MAX);
		return -1;
	}
	if (ws->n < 2 || strchr(ws->w[1], '=') != NULL) {
		con_oops(c, "usage: %s", repl ? "replace ID [qty N] [px PRICE] "
		    "[TAG=VALUE ...]" : "cancel ID [TAG=VALUE ...]");
		return -1;
	}
	while (repl && i + 1 < ws->n && strchr(ws->w[i], '=') == NULL) {
		if (strcmp(ws->w[i], "qty") == 0)
			qty = ws->w[i + 1];
		else if (strcmp(ws->w[i], "px") == 0 ||
		    strcmp(ws->w[i], "price") == 0)
			px = ws->w[i + 1];
		else
			break;
		i += 2;
	}
	if (qty != NULL && !is_number(qty, FIXU_T_QTY)) {
		con_oops(c, "'%s' is not a quantity", qty);
		return -1;
	}
	if (px != NULL && !is_number(px, FIXU_T_PRICE)) {
		con_oops(c, "'%s' is not a price", px);
		return -1;
	}
	if (extras(c, ws, i, tags, &ntags) != 0)
		return -1;
	if ((od = order_find(c, ws->w[1], strlen(ws->w[1]))) == NULL) {
		if (!has_tag(tags, ntags, 55) || !has_tag(tags, ntags, 54)) {
			con_oops(c, "%s: no order '%s' sent here: give Symbol= "
			    "and Side= too", ws->w[0], ws->w[1]);
			return -1;
		}
		memset(&none, 0, sizeof(none));
		od = &none;
		orig = ws->w[1];	/* as given, however long */
	} else
		orig = od->cur;
	new_id(c, id, sizeof(id));
	fixu_buf_reset(o);
	(void)fixu_buf_printf(o, "35=%s|", type);
	base(o, tags, ntags, 41, orig);
	base(o, tags, ntags, 11, id);
	base(o, tags, ntags, 55, od->sym);
	base(o, tags, ntags, 54, od->side);
	base(o, tags, ntags, 38, qty != NULL ? qty : od->qty);
	if (repl) {
		base(o, tags, ntags, 40, px != NULL ? "2" : od->ordtype[0] ?
		    od->ordtype : "1");
		base(o, tags, ntags, 44, px != NULL ? px : od->px);
	}
	base_common(c, o, type, tags, ntags);
	(void)fixu_buf_append(o, c->extra.p, c->extra.len);
	return conmsg_send(c, o->p, o->len);
}
