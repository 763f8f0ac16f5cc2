/*
 * exchange.c -- fixsim exchange: the venue side, as a line filter.
 *
 * The application behind fixsession (or any pipe): inbound application
 * messages arrive on stdin, in wire form one a line, optionally after a
 * "SESSIONID<TAB>" prefix when one pipe serves several sessions; they are
 * found with the codec's framer, so readable lines with '|' work too.
 * Each answer goes to stdout as one line: the same prefix, then the body
 * fields in wire form (35=8<SOH>...), which fixsession completes with its
 * header.  The dialect of every answer follows the BeginString of the
 * message it answers: FIX.4.0 to 4.2 with ExecTransType (20) and ExecType
 * 1/2 for fills (4.0 has no ExecType and no LeavesQty at all), FIX.4.3 on
 * with ExecType F, FIXT.1.1 as FIX.5.0.
 *
 * A draw of a random sequence (seeded with -s for runs that repeat)
 * decides each NewOrderSingle's fate: rejected (the reject is the whole
 * answer), or acknowledged and then filled at once, filled in a few pieces
 * that leave it open, or left resting.  An order that cannot be taken
 * (bad OrderQty or Price, a ClOrdID still open) is rejected whatever the
 * draw.  Open orders live in a hash table keyed by session and ClOrdID,
 * which cancels and replaces look up by OrigClOrdID; other application
 * messages get a BusinessMessageReject (a Reject before FIX.4.2).  With -d
 * the fills wait in a timer heap, the k-th fill of an order k delays after
 * its ack, and the loop polls stdin with the next deadline as its timeout.
 *
 * Output is written when the input has nothing more ready, so a burst of
 * orders costs one write and a single order is answered at once.
 *
 * With -S the exchange takes over from one that died: before it reads
 * stdin, exstore.c answers the orders the store holds unanswered, and
 * the OrderIDs and ExecIDs number on after the highest the store shows.
 * The ClOrdIDs answered then, or in the store, are kept in "done"; a
 * NewOrderSingle that comes again with one of them is a duplicate and is
 * not answered a second time.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "exstore.h"
#include "sim.h"
#include "util.h"

#define QSCALE		UTIL_DEC_SCALE	/* quantities in millionths */
#define IN_CHUNK	(64u << 10)
#define PX_MAX		32
#define OUT_CAP		(64u << 10)	/* answers held back at most */

static volatile sig_atomic_t stop;

/* What to do with one new order. */
enum fate { F_FILL, F_PARTIAL, F_REJECT, F_REST };

struct order {
	struct order	*next;		/* hash chain */
	const char	*sess;		/* interned "SESSIONID\t", or "" */
	char		*clordid;
	char		*symbol;
	char		*account;	/* NULL: none */
	char		 side[8];
	char		 ordtype[8];	/* "" when the order had none */
	char		 px[PX_MAX];	/* price text of the fills */
	int		 haspx;		/* the order gave Price (44) */
	double		 pxv;
	int64_t		 qty, cum;
	double		 notional;
	uint64_t	 id;		/* OrderID number */
	int		 ver;		/* 40 .. 44, 50 */
	int		 pending;	/* timer events pointing here */
	int		 open;
};

struct timer {
	int64_t		 due;		/* monotonic ns */
	uint64_t	 seq;
	struct order	*o;
	int64_t		 qty;		/* 0: the rest */
};

struct opts {
	double		 fill, partial, reject;	/* percentages */
	int		 fillset;
	int		 nparts;
	uint64_t	 seed;
	int		 seedset;
	char		 mktpx[PX_MAX];
	double		 mktpxv;
	int		 delay_ms;
	const char	*rejreason;
	int		 quiet;
	const char	*store;		/* -S */
};

struct stats {
	uint64_t	 orders, acks, fills, partials, rejects, rest;
	uint64_t	 cancels, replaces, cxlrejects, unsupported, bad;
	uint64_t	 recovered, duplicates;
};

struct xch {
	struct opts	 o;
	struct stats	 st;
	struct order	**tab;
	size_t		 ntab, norders;
	struct timer	*heap;
	size_t		 nheap, capheap;
	uint64_t	 tseq, nextoid, nextexec, rng;
	char		**sess;		/* interned prefixes */
	size_t		 nsess;
	struct fixu_buf	 in, line;
	uint64_t	 inoff;		/* stream offset of in.p[0] */
	struct fixu_msg	 m;
	struct cmd_out	 out;
	const char	*rejcode;	/* of the next reject */
	const char	*rejtext;
	struct util_set	 done;		/* -S: session || ClOrdID answered */
};

/* The session prefix of messages that have none. */
static const char noprefix[] = "";

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixsim exchange [-hq] [-d delay-ms] [-f fill%%] [-k parts]\n"
"                       [-p partial%%] [-P price] [-R ordrejreason]\n"
"                       [-S store] [-s seed] [-x reject%%]\n"
"  -d  wait this many milliseconds before each fill\n"
"  -f  percentage of orders filled at once (default: the rest, 100)\n"
"  -h  this help\n"
"  -k  number of partial fills of a partially filled order (default 2)\n"
"  -p  percentage of orders filled in part and left open (default 0)\n"
"  -P  fill price of orders without Price (44), such as market orders\n"
"      (default 100)\n"
"  -q  no statistics on stderr at the end\n"
"  -R  OrdRejReason (103) of rejects (default 3, order exceeds limit)\n"
"  -S  fixsession's store: first answer the orders it holds unanswered\n"
"      (the session $FIXSESSION_ID, else every session, with prefixes)\n"
"  -s  seed of the random sequence that decides each order's fate\n"
"  -x  percentage of orders rejected (default 0)\n"
"Orders neither filled nor rejected rest until canceled.  Reads inbound\n"
"messages on stdin (\"SESSIONID<TAB>\" prefixes are kept on the answers),\n"
"writes answers as body fields in wire form, one a line.\n"
"Exit: 0 at the end of the input, 2 usage, 3 bad input, 5 I/O error.\n");
	exit(status);
}

/* ---- numbers ------------------------------------------------------------ */

static int
put_dec(struct fixu_buf *b, int64_t v)
{
	char frac[8];
	int64_t f;
	int k, rc = 0;

	if (v < 0) {
		rc |= fixu_buf_putc(b, '-');
		v = -v;
	}
	rc |= fixu_buf_putu(b, (uint64_t)(v / QSCALE));
	if ((f = v % QSCALE) != 0) {
		k = snprintf(frac, sizeof(frac), "%06lld", (long long)f);
		if (k != 6)
			return -1;
		while (k > 0 && frac[k - 1] == '0')
			k--;
		rc |= fixu_buf_putc(b, '.');
		rc |= fixu_buf_append(b, frac, (size_t)k);
	}
	return rc;
}

static int
put_real(struct fixu_buf *b, double v)
{
	char s[64];
	int k;

	k = snprintf(s, sizeof(s), "%.6f", v);
	if (k < 0 || (size_t)k >= sizeof(s))
		return -1;
	while (k > 0 && s[k - 1] == '0')
		k--;
	if (k > 0 && s[k - 1] == '.')
		k--;
	if (k == 2 && memcmp(s, "-0", 2) == 0)
		return fixu_buf_putc(b, '0');
	return fixu_buf_append(b, s, (size_t)k);
}

/* splitmix64: small, fast, and the same sequence on every platform. */
static uint64_t
rnd(struct xch *x)
{
	uint64_t z = (x->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static enum fate
draw(struct xch *x)
{
	double r = (double)(rnd(x) >> 11) * (100.0 / 9007199254740992.0);

	if (r < x->o.reject)
		return F_REJECT;
	if (r < x->o.reject + x->o.fill)
		return F_FILL;
	if (r < x->o.reject + x->o.fill + x->o.partial)
		return F_PARTIAL;
	return F_REST;
}

/* ---- the book ----------------------------------------------------------- */

static uint64_t
hash(const char *sess, const char *id, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)sess;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)id[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static struct order **
slot(struct xch *x, const char *sess, const char *id, size_t n)
{
	struct order **pp;

	pp = &x->tab[hash(sess, id, n) & (x->ntab - 1)];
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->sess == sess && strlen((*pp)->clordid) == n &&
		    memcmp((*pp)->clordid, id, n) == 0)
			break;
	return pp;
}

static void
grow(struct xch *x)
{
	struct order **nt, *o, *next;
	size_t i, nn = x->ntab ? x->ntab * 2 : 1024, h;

	if ((nt = calloc(nn, sizeof(*nt))) == NULL)
		err(CMD_EX_IO, "order book");
	for (i = 0; i < x->ntab; i++)
		for (o = x->tab[i]; o != NULL; o = next) {
			next = o->next;
			h = hash(o->sess, o->clordid, strlen(o->clordid)) &
			    (nn - 1);
			o->next = nt[h];
			nt[h] = o;
		}
	free(x->tab);
	x->tab = nt;
	x->ntab = nn;
}

static void
book_add(struct xch *x, struct order *o)
{
	struct order **pp;

	if (x->norders + 1 > x->ntab)
		grow(x);
	pp = &x->tab[hash(o->sess, o->clordid, strlen(o->clordid)) &
	    (x->ntab - 1)];
	o->next = *pp;
	*pp = o;
	x->norders++;
}

static void
book_del(struct xch *x, struct order *o)
{
	struct order **pp = slot(x, o->sess, o->clordid, strlen(o->clordid));

	if (*pp == o) {
		*pp = o->next;
		x->norders--;
	}
	o->next = NULL;
}

static struct order *
book_find(struct xch *x, const char *sess, struct fixu_str id)
{
	if (x->ntab == 0 || id.p == NULL)
		return NULL;
	return *slot(x, sess, id.p, id.n);
}

static void
order_free(struct order *o)
{
	if (o == NULL)
		return;
	free(o->clordid);
	free(o->symbol);
	free(o->account);
	free(o);
}

/* Done with an order: out of the book, freed once no timer holds it. */
static void
order_close(struct xch *x, struct order *o)
{
	if (o->open) {
		book_del(x, o);
		o->open = 0;
	}
	if (o->pending == 0)
		order_free(o);
}

static const char *
intern(struct xch *x, const char *p, size_t n)
{
	char **ns;
	size_t i;

	for (i = 0; i < x->nsess; i++)
		if (strlen(x->sess[i]) == n && memcmp(x->sess[i], p, n) == 0)
			return x->sess[i];
	if ((ns = realloc(x->sess, (x->nsess + 1) * sizeof(*ns))) == NULL ||
	    (ns[x->nsess] = strndup(p, n)) == NULL)
		err(CMD_EX_IO, "session table");
	x->sess = ns;
	return x->sess[x->nsess++];
}

/* ---- timers ------------------------------------------------------------- */

static int
tless(const struct timer *a, const struct timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_push(struct xch *x, struct order *o, int64_t due, int64_t qty)
{
	struct timer t, *nh;
	size_t i, up;

	if (x->nheap == x->capheap) {
		x->capheap = x->capheap ? x->capheap * 2 : 256;
		if ((nh = realloc(x->heap, x->capheap * sizeof(*nh))) == NULL)
			err(CMD_EX_IO, "timers");
		x->heap = nh;
	}
	t.due = due;
	t.seq = x->tseq++;
	t.o = o;
	t.qty = qty;
	o->pending++;
	for (i = x->nheap++; i > 0; i = up) {
		up = (i - 1) / 2;
		if (!tless(&t, &x->heap[up]))
			break;
		x->heap[i] = x->heap[up];
	}
	x->heap[i] = t;
}

static struct timer
heap_pop(struct xch *x)
{
	struct timer top = x->heap[0], last = x->heap[--x->nheap];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= x->nheap)
			break;
		if (c + 1 < x->nheap && tless(&x->heap[c + 1], &x->heap[c]))
			c++;
		if (!tless(&x->heap[c], &last))
			break;
		x->heap[i] = x->heap[c];
		i = c;
	}
	if (x->nheap > 0)
		x->heap[i] = last;
	return top;
}

/* ---- answers ------------------------------------------------------------ */

static void
put(struct xch *x, uint32_t tag, const char *v, size_t n)
{
	int rc = 0;

	rc |= fixu_buf_putu(&x->line, tag);
	rc |= fixu_buf_putc(&x->line, '=');
	rc |= fixu_buf_append(&x->line, v, n);
	rc |= fixu_buf_putc(&x->line, FIXU_SOH);
	if (rc != 0)
		errx(CMD_EX_IO, "exchange: answer too long");
}

static void
puts_(struct xch *x, uint32_t tag, const char *v)
{
	put(x, tag, v, strlen(v));
}

static void
put_id(struct xch *x, uint32_t tag, char pfx, uint64_t v)
{
	char s[32];
	int k;

	if (pfx != '\0')
		k = snprintf(s, sizeof(s), "%c%llu", pfx, (unsigned long long)v);
	else
		k = snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	if (k < 0 || (size_t)k >= sizeof(s))
		errx(CMD_EX_IO, "exchange: id too long");
	put(x, tag, s, (size_t)k);
}

static void
put_q(struct xch *x, uint32_t tag, int64_t v)
{
	int rc = 0;

	rc |= fixu_buf_putu(&x->line, tag);
	rc |= fixu_buf_putc(&x->line, '=');
	rc |= put_dec(&x->line, v);
	rc |= fixu_buf_putc(&x->line, FIXU_SOH);
	if (rc != 0)
		errx(CMD_EX_IO, "exchange: answer too long");
}

static void
put_avg(struct xch *x, const struct order *o)
{
	int rc = 0;

	rc |= fixu_buf_putu(&x->line, 6);
	rc |= fixu_buf_putc(&x->line, '=');
	rc |= o->cum > 0 ? put_real(&x->line, o->notional /
	    ((double)o->cum / QSCALE)) : fixu_buf_putc(&x->line, '0');
	rc |= fixu_buf_putc(&x->line, FIXU_SOH);
	if (rc != 0)
		errx(CMD_EX_IO, "exchange: answer too long");
}

static void
begin_line(struct xch *x, const char *sess, const char *type)
{
	fixu_buf_reset(&x->line);
	if (fixu_buf_puts(&x->line, sess) != 0)
		errx(CMD_EX_IO, "exchange: answer too long");
	puts_(x, 35, type);
}

static void
end_line(struct xch *x)
{
	if (fixu_buf_putc(&x->line, '\n') != 0 ||
	    cmd_out_write(&x->out, x->line.p, x->line.len) != 0)
		err(CMD_EX_IO, "exchange: stdout");
}

/*
 * An ExecutionReport about o.  exectype is the FIX.4.1+ code ('0', 'F',
 * '4', '5', '8'); lastqty > 0 for a fill.  clordid and orig (NULL: none)
 * are the ids of the request answered.
 */
static void
report(struct xch *x, const struct order *o, char exectype,
    const char *clordid, const char *orig, int64_t lastqty)
{
	char et[2] = { exectype, 0 }, os[2];
	int v = o->ver, filled = o->cum >= o->qty;

	os[1] = 0;
	switch (exectype) {
	case '4':	os[0] = '4'; break;
	case '8':	os[0] = '8'; break;
	case '5':	os[0] = v <= 42 ? '5' : o->cum > 0 ? '1' : '0'; break;
	default:	os[0] = filled ? '2' : o->cum > 0 ? '1' : '0'; break;
	}
	if (exectype == 'F' && v <= 42)
		et[0] = filled ? '2' : '1';
	begin_line(x, o->sess, "8");
	put_id(x, 37, 'O', o->id);
	puts_(x, 11, clordid);
	if (orig != NULL && v >= 41)
		puts_(x, 41, orig);
	/* ExecID is an INT in FIX.4.0, a string later. */
	if (v == 40)
		put_id(x, 17, '\0', ++x->nextexec);
	else
		put_id(x, 17, 'E', ++x->nextexec);
	if (v <= 42)
		puts_(x, 20, "0");
	if (v >= 41)
		puts_(x, 150, et);
	puts_(x, 39, os);
	if (exectype == '8')
		puts_(x, 103, x->rejcode);
	if (o->account != NULL)
		puts_(x, 1, o->account);
	puts_(x, 55, o->symbol);
	puts_(x, 54, o->side);
	put_q(x, 38, o->qty);
	if (o->ordtype[0] != '\0')
		puts_(x, 40, o->ordtype);
	if (o->haspx)
		puts_(x, 44, o->px);
	if (lastqty > 0) {
		put_q(x, 32, lastqty);
		puts_(x, 31, o->px);
	} else if (v <= 41) {
		puts_(x, 32, "0");
		puts_(x, 31, "0");
	}
	if (v >= 41)
		put_q(x, 151, o->open && exectype != '4' && exectype != '8' ?
		    o->qty - o->cum : 0);
	put_q(x, 14, o->cum);
	put_avg(x, o);
	if (exectype == '8')
		puts_(x, 58, x->rejtext);
	end_line(x);
}

/* Fill qty of o (0: the rest); closes it when nothing is left. */
static void
fill(struct xch *x, struct order *o, int64_t qty)
{
	if (!o->open || o->cum >= o->qty)
		return;
	if (qty <= 0 || qty > o->qty - o->cum)
		qty = o->qty - o->cum;
	o->cum += qty;
	o->notional += ((double)qty / QSCALE) * o->pxv;
	x->st.fills++;
	report(x, o, 'F', o->clordid, NULL, qty);
	if (o->cum >= o->qty)
		order_close(x, o);
}

/* Schedule a fill, or do it now without -d. */
static void
later(struct xch *x, struct order *o, int k, int64_t qty)
{
	if (x->o.delay_ms <= 0) {
		fill(x, o, qty);
		return;
	}
	heap_push(x, o, sim_mono() + (int64_t)k * x->o.delay_ms * 1000000,
	    qty);
}

static void
run_timers(struct xch *x)
{
	struct timer t;
	int64_t now = sim_mono();

	while (x->nheap > 0 && x->heap[0].due <= now) {
		t = heap_pop(x);
		t.o->pending--;
		if (t.o->open)
			fill(x, t.o, t.qty);
		else if (t.o->pending == 0)
			order_free(t.o);
	}
}

/* A CxlRejReason-style refusal of a cancel (F) or replace (G). */
static void
cancel_reject(struct xch *x, const char *sess, int v, char type,
    const struct order *o, const char *reason, const char *text)
{
	struct fixu_str id = fixu_msg_get(&x->m, 11),
	    orig = fixu_msg_get(&x->m, 41), oid = fixu_msg_get(&x->m, 37);
	char os[2] = { '8', 0 };

	x->st.cxlrejects++;
	if (o != NULL)
		os[0] = o->cum > 0 ? '1' : '0';
	begin_line(x, sess, "9");
	if (o != NULL)
		put_id(x, 37, 'O', o->id);
	else if (oid.n > 0)
		put(x, 37, oid.p, oid.n);
	else
		puts_(x, 37, "NONE");
	if (id.n > 0)
		put(x, 11, id.p, id.n);
	else
		puts_(x, 11, "NONE");
	if (v >= 41) {
		if (orig.n > 0)
			put(x, 41, orig.p, orig.n);
		else
			puts_(x, 41, "NONE");
		puts_(x, 39, os);
	}
	if (v >= 42)
		puts_(x, 434, type == 'F' ? "1" : "2");
	puts_(x, 102, reason);
	puts_(x, 58, text);
	end_line(x);
}

/* Unsupported or unusable: BusinessMessageReject, or Reject before 4.2. */
static void
biz_reject(struct xch *x, const char *sess, int v, struct fixu_str type,
    const char *reason, const char *text)
{
	struct fixu_str seq = fixu_msg_get(&x->m, 34);

	if (v <= 41) {
		begin_line(x, sess, "3");
		if (seq.n > 0)
			put(x, 45, seq.p, seq.n);
		else
			puts_(x, 45, "0");
	} else {
		begin_line(x, sess, "j");
		if (seq.n > 0)
			put(x, 45, seq.p, seq.n);
		put(x, 372, type.p, type.n);
		puts_(x, 380, reason);
	}
	puts_(x, 58, text);
	end_line(x);
}

/* ---- requests ----------------------------------------------------------- */

static char *
dupval(struct fixu_str s)
{
	char *p;

	if ((p = strndup(s.p ? s.p : "", s.n)) == NULL)
		err(CMD_EX_IO, "order");
	return p;
}

/* Price of an order or a replace: its 44, else the market price. */
static int
set_price(struct xch *x, struct order *o)
{
	struct fixu_str px = fixu_msg_get(&x->m, 44);
	int64_t v;

	if (px.n == 0) {
		o->haspx = 0;
		memcpy(o->px, x->o.mktpx, sizeof(o->px));
		o->pxv = x->o.mktpxv;
		return 0;
	}
	if (util_parse_dec(px.p, px.n, 1, &v) != 0 ||
	    util_copy_str(o->px, sizeof(o->px), px) != 0)
		return -1;
	o->haspx = 1;
	o->pxv = (double)v / QSCALE;
	return 0;
}

static void
new_order(struct xch *x, const char *sess, int v, struct fixu_str type)
{
	struct fixu_str id = fixu_msg_get(&x->m, 11),
	    sym = fixu_msg_get(&x->m, 55), side = fixu_msg_get(&x->m, 54),
	    qty = fixu_msg_get(&x->m, 38), acct = fixu_msg_get(&x->m, 1),
	    ot = fixu_msg_get(&x->m, 40);
	struct order *o;
	enum fate fate;
	int64_t slice, units;
	int k, n;

	if (x->o.store != NULL && id.n > 0 &&
	    util_set_has(&x->done, &sess, sizeof(sess), id.p, id.n)) {
		x->st.duplicates++;
		return;
	}
	x->st.orders++;
	if (id.n == 0 || sym.n == 0 || side.n == 0 ||
	    side.n >= sizeof(o->side)) {
		x->st.unsupported++;
		biz_reject(x, sess, v, type, "5", id.n == 0 ?
		    "ClOrdID (11) missing" : sym.n == 0 ?
		    "Symbol (55) missing" : "Side (54) missing or bad");
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		err(CMD_EX_IO, "order");
	o->sess = sess;
	o->ver = v;
	o->id = ++x->nextoid;
	o->clordid = dupval(id);
	o->symbol = dupval(sym);
	o->account = acct.n > 0 ? dupval(acct) : NULL;
	(void)util_copy_str(o->side, sizeof(o->side), side);
	if (util_copy_str(o->ordtype, sizeof(o->ordtype), ot) != 0)
		o->ordtype[0] = '\0';	/* too long: as if it had none */
	x->rejcode = x->o.rejreason;
	x->rejtext = NULL;
	if (qty.n == 0 || util_parse_dec(qty.p, qty.n, 0, &o->qty) != 0 ||
	    o->qty <= 0) {
		o->qty = 0;
		x->rejtext = "bad OrderQty";
	} else if (set_price(x, o) != 0)
		x->rejtext = "bad Price";
	else if (book_find(x, sess, id) != NULL) {
		x->rejcode = v >= 41 ? "6" : x->o.rejreason;
		x->rejtext = "duplicate ClOrdID";
	}
	/* A reject is the whole answer: the order never was accepted. */
	fate = x->rejtext != NULL ? F_REJECT : draw(x);
	if (fate == F_REJECT) {
		if (x->rejtext == NULL)
			x->rejtext = "simulated reject";
		x->st.rejects++;
		report(x, o, '8', o->clordid, NULL, 0);
		order_free(o);
		return;
	}
	o->open = 1;
	book_add(x, o);
	x->st.acks++;
	report(x, o, '0', o->clordid, NULL, 0);
	switch (fate) {
	case F_REJECT:
		break;
	case F_FILL:
		later(x, o, 1, 0);
		break;
	case F_PARTIAL:
		x->st.partials++;
		units = o->qty / QSCALE;
		slice = units / (x->o.nparts + 1);
		n = x->o.nparts;
		if (slice == 0) {
			slice = 1;
			n = units > 1 ? (int)(units - 1) : 0;
			if (n > x->o.nparts)
				n = x->o.nparts;
		}
		for (k = 1; k <= n; k++)
			later(x, o, k, slice * QSCALE);
		break;
	case F_REST:
		x->st.rest++;
		break;
	}
}

static void
cancel(struct xch *x, const char *sess, int v)
{
	struct fixu_str id = fixu_msg_get(&x->m, 11),
	    orig = fixu_msg_get(&x->m, 41);
	struct order *o;
	char *cl;

	if (id.n == 0 || orig.n == 0 ||
	    (o = book_find(x, sess, orig)) == NULL) {
		cancel_reject(x, sess, v, 'F', NULL, "1", "unknown order");
		return;
	}
	x->st.cancels++;
	cl = dupval(id);
	o->ver = v;
	report(x, o, '4', cl, o->clordid, 0);
	free(cl);
	order_close(x, o);
}

static void
replace(struct xch *x, const char *sess, int v)
{
	struct fixu_str id = fixu_msg_get(&x->m, 11),
	    orig = fixu_msg_get(&x->m, 41), qty = fixu_msg_get(&x->m, 38),
	    ot = fixu_msg_get(&x->m, 40);
	struct order *o, tmp;
	char *old;
	int64_t nq;

	if (id.n == 0 || orig.n == 0 ||
	    (o = book_find(x, sess, orig)) == NULL) {
		cancel_reject(x, sess, v, 'G', NULL, "1", "unknown order");
		return;
	}
	nq = o->qty;
	if (qty.n > 0 && (util_parse_dec(qty.p, qty.n, 0, &nq) != 0 ||
	    nq <= 0)) {
		cancel_reject(x, sess, v, 'G', o, "0", "bad OrderQty");
		return;
	}
	if (nq <= o->cum) {
		cancel_reject(x, sess, v, 'G', o, "0",
		    "OrderQty not above CumQty");
		return;
	}
	if (book_find(x, sess, id) != NULL && !fixu_str_eq(id, o->clordid)) {
		cancel_reject(x, sess, v, 'G', o, "0", "duplicate ClOrdID");
		return;
	}
	tmp = *o;
	if (set_price(x, &tmp) != 0) {
		cancel_reject(x, sess, v, 'G', o, "0", "bad Price");
		return;
	}
	x->st.replaces++;
	book_del(x, o);
	memcpy(o->px, tmp.px, sizeof(o->px));
	o->pxv = tmp.pxv;
	o->haspx = tmp.haspx;
	if (ot.n > 0 && ot.n < sizeof(o->ordtype))
		(void)util_copy_str(o->ordtype, sizeof(o->ordtype), ot);
	o->qty = nq;
	o->ver = v;
	old = o->clordid;
	o->clordid = dupval(id);
	book_add(x, o);
	report(x, o, '5', o->clordid, old, 0);
	free(old);
}

/* FIX.4.x as 40 .. 44; FIXT.1.1 and anything newer as 50. */
static int
version(struct fixu_str b)
{
	if (b.n == 7 && memcmp(b.p, "FIX.4.", 6) == 0 && b.p[6] >= '0' &&
	    b.p[6] <= '4')
		return 40 + (b.p[6] - '0');
	return 50;
}

static int
is_admin(struct fixu_str t)
{
	return t.n == 1 && strchr("012345A", t.p[0]) != NULL;
}

static void
message(struct xch *x, const char *sess)
{
	struct fixu_str t = fixu_msg_get(&x->m, 35);
	int v = version(fixu_msg_get(&x->m, 8));

	if (t.n == 0 || is_admin(t) || fixu_str_eq(t, "j"))
		return;
	if (fixu_str_eq(t, "D"))
		new_order(x, sess, v, t);
	else if (fixu_str_eq(t, "F"))
		cancel(x, sess, v);
	else if (fixu_str_eq(t, "G"))
		replace(x, sess, v);
	else {
		x->st.unsupported++;
		biz_reject(x, sess, v, t, "3", "unsupported message type");
	}
}

/* ---- input -------------------------------------------------------------- */

static void
bad(struct xch *x, size_t off, const struct fixu_diag *d)
{
	char buf[256];

	x->st.bad++;
	warnx("exchange: <stdin>: byte %llu: %s",
	    (unsigned long long)(x->inoff + off),
	    fixu_diag_fmt(d, buf, sizeof(buf)));
}

/* The session prefix of the message at ls: "ID\t" before it on its line. */
static const char *
prefix(struct xch *x, size_t ls)
{
	const char *p = x->in.p;
	size_t b = ls;

	while (b > 0 && p[b - 1] != '\n')
		b--;
	if (ls > b && p[ls - 1] == '\t' && memchr(p + b, '=', ls - b) == NULL)
		return intern(x, p + b, ls - b);
	return noprefix;
}

/* Whole lines in p[from..to) that hold no message: bad input, said so. */
static void
junk(struct xch *x, size_t from, size_t to)
{
	const char *p = x->in.p, *nl;
	struct fixu_diag d;
	size_t i, e;

	for (i = from; i < to; i = e + 1) {
		nl = memchr(p + i, '\n', to - i);
		e = nl != NULL ? (size_t)(nl - p) : to;
		while (i < e && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
			i++;
		if (i < e) {
			fixu_diag_set(&d, FIXU_EGARBLED, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "a line without a FIX message");
			bad(x, i, &d);
		}
	}
}

/* Where the line holding offset ls starts, not before from. */
static size_t
line_start(const char *p, size_t from, size_t ls)
{
	while (ls > from && p[ls - 1] != '\n')
		ls--;
	return ls;
}

/* Handle the whole messages in the buffer; returns the bytes used. */
static size_t
process(struct xch *x, int eof)
{
	const char *p = x->in.p, *sess;
	size_t n = x->in.len, pos = 0, ls, e;
	struct fixu_frame fr;
	struct fixu_diag d;
	int rc, flags = FIXU_FRAME_NL | (eof ? FIXU_FRAME_EOF : 0);

	while (pos < n) {
		fixu_diag_clear(&d);
		rc = fixu_frame(p + pos, n - pos, flags, &fr, &d);
		ls = pos + fr.start;
		if (rc == FIXU_EAGAIN && fr.start == n - pos) {
			/* No message here: drop whole lines, keep the last. */
			e = eof ? n : line_start(p, pos, n);
			junk(x, pos, e);
			return e;
		}
		junk(x, pos, line_start(p, pos, ls));
		if (rc == FIXU_EAGAIN)
			return line_start(p, pos, ls);
		if (rc != 0) {
			bad(x, ls, &d);
			pos += fr.skip > fr.start ? fr.skip : fr.start + 1;
			continue;
		}
		sess = prefix(x, ls);
		rc = fixu_msg_parse(&x->m, p + ls, fr.len, fr.delim, NULL, 0,
		    &d);
		if (rc == 0)
			message(x, sess);
		else
			bad(x, ls + (d.off != SIZE_MAX ? d.off : 0), &d);
		pos = ls + fr.len;
		if (pos + 1 < n && p[pos] == '\r' && p[pos + 1] == '\n')
			pos += 2;
		else if (pos < n && p[pos] == '\n')
			pos++;
	}
	return pos;
}

static int
readable(int fd, int timeout)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	r = poll(&pfd, fd >= 0 ? 1 : 0, timeout);
	if (r < 0 && errno != EINTR)
		err(CMD_EX_IO, "exchange: poll");
	return r > 0;
}

/* Read what stdin has; 0 at its end. */
static int
read_some(struct xch *x)
{
	size_t used;
	ssize_t r;

	if (fixu_buf_reserve(&x->in, IN_CHUNK) != 0)
		errx(CMD_EX_DATA, "exchange: <stdin>: a message longer than "
		    "%u bytes", FIXU_MAX_LINE);
	do
		r = read(STDIN_FILENO, x->in.p + x->in.len, IN_CHUNK);
	while (r < 0 && errno == EINTR && !stop);
	if (r < 0 && stop)
		return 0;
	if (r < 0)
		err(CMD_EX_IO, "exchange: <stdin>");
	x->in.len += (size_t)r;
	used = process(x, r == 0);
	fixu_buf_consume(&x->in, used);
	x->inoff += used;
	return r > 0;
}

static int
timeout_ms(const struct xch *x)
{
	int64_t d;

	if (x->nheap == 0)
		return -1;
	d = x->heap[0].due - sim_mono();
	if (d <= 0)
		return 0;
	return d / 1000000 > 60000 ? 60000 : (int)(d / 1000000) + 1;
}

static void
stats(const struct xch *x)
{
	const struct stats *s = &x->st;

	if (x->o.quiet)
		return;
	fprintf(stderr, "fixsim exchange: %llu orders, %llu fills, "
	    "%llu rejects; %llu acked, %llu partially filled, %llu resting, "
	    "%llu canceled, %llu replaced, %llu cancel rejects, "
	    "%llu unsupported, %llu bad, %llu recovered, %llu duplicate\n",
	    (unsigned long long)s->orders, (unsigned long long)s->fills,
	    (unsigned long long)s->rejects, (unsigned long long)s->acks,
	    (unsigned long long)s->partials, (unsigned long long)s->rest,
	    (unsigned long long)s->cancels, (unsigned long long)s->replaces,
	    (unsigned long long)s->cxlrejects,
	    (unsigned long long)s->unsupported, (unsigned long long)s->bad,
	    (unsigned long long)s->recovered,
	    (unsigned long long)s->duplicates);
}

static double
pct(const char *s, char opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 100)) {
		warnx("exchange: -%c: not a percentage from 0 to 100: %s",
		    opt, s);
		usage(CMD_EX_USAGE);
	}
	return v;
}

static long
num(const char *s, char opt, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		warnx("exchange: -%c: not a number from %ld to %ld: %s", opt,
		    lo, hi, s);
		usage(CMD_EX_USAGE);
	}
	return v;
}

static void
getopts(struct opts *o, int argc, char **argv)
{
	char *end;
	int64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->nparts = 2;
	o->rejreason = "3";
	memcpy(o->mktpx, "100", 4);
	o->mktpxv = 100;
	while ((c = getopt(argc, argv, "d:f:hk:p:P:qR:S:s:x:")) != -1) {
		switch (c) {
		case 'd':
			o->delay_ms = (int)num(optarg, 'd', 0, 3600000);
			break;
		case 'f':
			o->fill = pct(optarg, 'f');
			o->fillset = 1;
			break;
		case 'h':
			usage(CMD_EX_OK);
		case 'k':
			o->nparts = (int)num(optarg, 'k', 1, 1000);
			break;
		case 'p':
			o->partial = pct(optarg, 'p');
			break;
		case 'P':
			if (util_parse_dec(optarg, strlen(optarg), 1,
			    &v) != 0 || strlen(optarg) >= sizeof(o->mktpx)) {
				warnx("exchange: -P: not a price: %s", optarg);
				usage(CMD_EX_USAGE);
			}
			memcpy(o->mktpx, optarg, strlen(optarg) + 1);
			o->mktpxv = (double)v / QSCALE;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'R':
			(void)num(optarg, 'R', 0, 99);
			o->rejreason = optarg;
			break;
		case 'S':
			o->store = optarg;
			break;
		case 's':
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno != 0 || end == optarg || *end != '\0') {
				warnx("exchange: -s: not a number: %s", optarg);
				usage(CMD_EX_USAGE);
			}
			o->seedset = 1;
			break;
		case 'x':
			o->reject = pct(optarg, 'x');
			break;
		default:
			usage(CMD_EX_USAGE);
		}
	}
	if (optind != argc) {
		warnx("exchange: no arguments expected: %s", argv[optind]);
		usage(CMD_EX_USAGE);
	}
	if (!o->fillset)
		o->fill = fmax(0, 100 - o->partial - o->reject);
	if (o->fill + o->partial + o->reject > 100 + 1e-9) {
		warnx("exchange: -f, -p and -x add up to more than 100");
		usage(CMD_EX_USAGE);
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * SIGTERM and SIGINT end the run as the end of the input does, with the
 * statistics, but without waiting for delayed fills: fixsession sends
 * SIGTERM right after closing a child's input.
 */
static void
signals(void)
{
	util_catch(SIGTERM, on_signal);
	util_catch(SIGINT, on_signal);
}

/* ---- -S: taking over ---------------------------------------------------- */

static const char *
rec_session(void *arg, const char *p, size_t n)
{
	return n == 0 ? noprefix : intern(arg, p, n);
}

static void
rec_ids(void *arg, uint64_t oid, uint64_t exec)
{
	struct xch *x = arg;

	if (oid > x->nextoid)
		x->nextoid = oid;
	if (exec > x->nextexec)
		x->nextexec = exec;
}

static void
rec_answer(void *arg, const char *sess, const char *raw, size_t n)
{
	struct xch *x = arg;

	if (fixu_msg_parse(&x->m, raw, n, FIXU_SOH, NULL, FIXU_PARSE_NOCHECK,
	    NULL) != 0)
		return;
	x->st.recovered++;
	message(x, sess);
}

/* Answer what the store holds unanswered, before reading stdin. */
static void
recover(struct xch *x)
{
	struct exstore_hooks h;
	struct fixu_diag d;
	const char *only = getenv("FIXSESSION_ID");
	char buf[300];
	int rc;

	h.session = rec_session;
	h.ids = rec_ids;
	h.answer = rec_answer;
	h.arg = x;
	util_set_init(&x->done);
	rc = exstore_recover(x->o.store, only != NULL && *only != '\0' ?
	    only : NULL, &x->done, &h, &d);
	if (rc != 0)
		errx(rc == FIXU_ESYNTAX || rc == FIXU_ESCHEMA ||
		    rc == FIXU_ECORRUPT ? CMD_EX_DATA : CMD_EX_IO,
		    "exchange: -S %s: %s", x->o.store,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	if (cmd_out_flush(&x->out) != 0)
		err(CMD_EX_IO, "exchange: stdout");
}

int
exchange_main(int argc, char **argv)
{
	struct xch x;
	struct timespec ts;
	size_t i;
	int eof = 0;

	memset(&x, 0, sizeof(x));
	getopts(&x.o, argc, argv);
	if (x.o.seedset)
		x.rng = x.o.seed;
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		x.rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		    (uint64_t)getpid() << 40;
	}
	fixu_buf_init(&x.in, FIXU_MAX_LINE);
	fixu_buf_init(&x.line, FIXU_MAX_LINE);
	fixu_msg_init(&x.m);
	cmd_out_init(&x.out, STDOUT_FILENO, OUT_CAP);
	signals();
	if (x.o.store != NULL)
		recover(&x);
	while ((!eof || x.nheap > 0) && !stop) {
		if (!eof) {
			if (readable(STDIN_FILENO, x.out.len > 0 ? 0 :
			    timeout_ms(&x)))
				eof = !read_some(&x);
			else if (cmd_out_flush(&x.out) != 0)
				err(CMD_EX_IO, "exchange: stdout");
		} else {
			if (cmd_out_flush(&x.out) != 0)
				err(CMD_EX_IO, "exchange: stdout");
			(void)readable(-1, timeout_ms(&x));
		}
		run_timers(&x);
	}
	if (cmd_out_flush(&x.out) != 0)
		err(CMD_EX_IO, "exchange: stdout");
	stats(&x);
	/* Fills still waiting after a signal: their closed orders. */
	for (i = 0; i < x.nheap; i++)
		if (--x.heap[i].o->pending == 0 && !x.heap[i].o->open)
			order_free(x.heap[i].o);
	for (i = 0; i < x.ntab; i++)
		while (x.tab[i] != NULL) {
			struct order *o = x.tab[i];

			x.tab[i] = o->next;
			order_free(o);
		}
	for (i = 0; i < x.nsess; i++)
		free(x.sess[i]);
	free(x.sess);
	util_set_fini(&x.done);
	free(x.tab);
	free(x.heap);
	fixu_buf_fini(&x.in);
	fixu_buf_fini(&x.line);
	fixu_msg_fini(&x.m);
	cmd_out_fini(&x.out);
	return x.st.bad > 0 ? CMD_EX_DATA : CMD_EX_OK;
}
