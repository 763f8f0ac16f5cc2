/*
 * echo.c -- the application behind the engine in the acceptance suite.
 *
 * The suite's expected echoes list the header fields the engine keeps
 * (PossResend 97 and the like) right after the ones it fills, then the
 * body in ascending tag order; the engine only puts its own 34, 49, 52
 * and 56 after 35=, so the ordering of the rest is done here.  Sorting is
 * only safe without repeating groups: a body with a repeated tag (a group
 * with entries) is echoed in its own order, since moving a field out of
 * its entry would change the message.
 *
 * The version for the FIXT BusinessMessageReject (1137) is not in an
 * application message, and the Logon that carried it never reaches the
 * application; it comes from the message's ApplVerID (1128) when there is
 * one, else from the counterparty's CompID as the suite names them.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "echo.h"

struct seen {
	char	*p;
	size_t	 n;
};

struct at_echo {
	struct seen	*ids;	/* ClOrdIDs of this session */
	size_t		 nids, capids;
	struct fixu_msg	 m;
	struct fixu_buf	 out;
	uint32_t	*order;	/* body field indices, sorted */
	size_t		 capord;
};

/* Standard header fields (all versions); the trailer's are 89, 93, 10. */
static const uint32_t hdrtags[] = {
	8, 9, 34, 35, 43, 49, 50, 52, 56, 57, 90, 91, 97, 115, 116, 122, 128,
	129, 142, 143, 144, 145, 212, 213, 347, 369, 627, 628, 629, 630, 1128,
	1129, 1156,
};

/* Header fields the engine writes itself or drops from an echo. */
static const uint32_t droptags[] = { 8, 9, 10, 34, 35, 43, 49, 52, 56, 122 };

static int
in(const uint32_t *v, size_t n, uint32_t t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == t)
			return 1;
	return 0;
}

#define IN(tab, t)	in((tab), sizeof(tab) / sizeof((tab)[0]), (t))

static int
is_trailer(uint32_t t)
{
	return t == 10 || t == 89 || t == 93;
}

struct at_echo *
at_echo_new(void)
{
	struct at_echo *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	fixu_msg_init(&e->m);
	fixu_buf_init(&e->out, 0);
	return e;
}

static void
clear_seen(struct at_echo *e)
{
	size_t i;

	for (i = 0; i < e->nids; i++)
		free(e->ids[i].p);
	e->nids = 0;
}

void
at_echo_free(struct at_echo *e)
{
	if (e == NULL)
		return;
	clear_seen(e);
	free(e->ids);
	free(e->order);
	fixu_msg_fini(&e->m);
	fixu_buf_fini(&e->out);
	free(e);
}

static int
seen(const struct at_echo *e, struct fixu_str id)
{
	size_t i;

	for (i = 0; i < e->nids; i++)
		if (e->ids[i].n == id.n && memcmp(e->ids[i].p, id.p, id.n) == 0)
			return 1;
	return 0;
}

static int
remember(struct at_echo *e, struct fixu_str id)
{
	struct seen *v;
	size_t cap;

	if (seen(e, id))
		return 0;
	if (e->nids == e->capids) {
		cap = e->capids ? e->capids * 2 : 16;
		if ((v = realloc(e->ids, cap * sizeof(*v))) == NULL)
			return -1;
		e->ids = v;
		e->capids = cap;
	}
	if ((e->ids[e->nids].p = malloc(id.n ? id.n : 1)) == NULL)
		return -1;
	memcpy(e->ids[e->nids].p, id.p, id.n);
	e->ids[e->nids].n = id.n;
	e->nids++;
	return 0;
}

static int
put(struct fixu_buf *b, uint32_t tag, const char *v, size_t n)
{
	if (fixu_buf_putu(b, tag) != 0 || fixu_buf_putc(b, '=') != 0 ||
	    fixu_buf_append(b, v, n) != 0 || fixu_buf_putc(b, FIXU_SOH) != 0)
		return -1;
	return 0;
}

static int
put_str(struct fixu_buf *b, uint32_t tag, const char *s)
{
	return put(b, tag, s, strlen(s));
}

/* Admin messages never reach the application; take them as a reset. */
static int
is_admin(struct fixu_str mt)
{
	return mt.n == 1 && strchr("012345A", mt.p[0]) != NULL;
}

/*
 * Append the fields of the header (hdr 1) or body (hdr 0) that an echo
 * keeps, in ascending tag order unless a tag repeats.
 */
static int
put_sorted(struct at_echo *e, int hdr)
{
	const struct fixu_msg *m = &e->m;
	uint32_t i, k, nb = 0;
	int repeated = 0;

	if (e->capord < m->nf) {
		uint32_t *v = realloc(e->order, m->nf * sizeof(*v));

		if (v == NULL)
			return -1;
		e->order = v;
		e->capord = m->nf;
	}
	for (i = 0; i < m->nf; i++) {
		uint32_t t = m->f[i].tag;

		if (hdr ? !IN(hdrtags, t) || IN(droptags, t) :
		    IN(hdrtags, t) || is_trailer(t))
			continue;
		for (k = 0; k < nb && !repeated; k++)
			if (m->f[e->order[k]].tag == t)
				repeated = 1;
		e->order[nb++] = i;
	}
	/* Insertion sort: stable, no shared state, and messages are short. */
	for (i = 1; !repeated && i < nb; i++) {
		uint32_t x = e->order[i];

		for (k = i; k > 0 && m->f[e->order[k - 1]].tag > m->f[x].tag;
		    k--)
			e->order[k] = e->order[k - 1];
		e->order[k] = x;
	}
	for (k = 0; k < nb; k++)
		if (put(&e->out, m->f[e->order[k]].tag, m->f[e->order[k]].val,
		    m->f[e->order[k]].len) != 0)
			return -1;
	return 0;
}

static int
echo(struct at_echo *e, struct fixu_str mt)
{
	if (put(&e->out, 35, mt.p, mt.n) != 0 || put_sorted(e, 1) != 0 ||
	    put_sorted(e, 0) != 0)
		return -1;
	return 0;
}

static struct fixu_str
applverid(const struct fixu_msg *m)
{
	static const struct {
		const char	*comp, *ver;
	} tab[] = {
		{ "TW50", "7" }, { "TW50SP1", "8" }, { "TW50SP2", "9" },
	};
	struct fixu_str v = fixu_msg_get(m, 1128), s;
	size_t i;

	if (v.p != NULL && v.n > 0)
		return v;
	s = fixu_msg_get(m, 49);
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (s.p != NULL && fixu_str_eq(s, tab[i].comp))
			return (struct fixu_str){ tab[i].ver, 1 };
	return FIXU_STR("9");	/* FIX.5.0SP2, the newest the suite knows */
}

static int
reject(struct at_echo *e, struct fixu_str begin, struct fixu_str mt,
    struct fixu_str seq)
{
	struct fixu_buf *b = &e->out;

	if (fixu_str_eq(begin, "FIX.4.0") || fixu_str_eq(begin, "FIX.4.1")) {
		/* No BusinessMessageReject before FIX.4.2. */
		if (put_str(b, 35, "3") != 0 || put(b, 45, seq.p, seq.n) != 0 ||
		    put_str(b, 58, "Unsupported message type") != 0)
			return -1;
		return 0;
	}
	if (put_str(b, 35, "j") != 0 || put(b, 45, seq.p, seq.n) != 0 ||
	    put_str(b, 58, "Unsupported Message Type") != 0 ||
	    put(b, 372, mt.p, mt.n) != 0 || put_str(b, 380, "3") != 0)
		return -1;
	if (fixu_str_eq(begin, "FIXT.1.1")) {
		struct fixu_str v = applverid(&e->m);

		if (put(b, 1137, v.p, v.n) != 0)
			return -1;
	}
	return 0;
}

int
at_echo(struct at_echo *e, const char *raw, size_t n,
    void (*emit)(void *arg, const char *msg, size_t n), void *arg)
{
	struct fixu_str begin, mt, seq, id, pr;

	if (fixu_msg_parse(&e->m, raw, n, FIXU_SOH, NULL, FIXU_PARSE_NOCHECK,
	    NULL) != 0)
		return -1;
	begin = fixu_msg_get(&e->m, 8);
	mt = fixu_msg_get(&e->m, 35);
	seq = fixu_msg_get(&e->m, 34);
	if (begin.p == NULL || mt.p == NULL || mt.n == 0 || seq.p == NULL)
		return -1;
	if (fixu_str_eq(seq, "1") || is_admin(mt)) {
		/* A new session (or its end): forget its orders. */
		clear_seen(e);
		if (is_admin(mt))
			return 0;
	}
	fixu_buf_reset(&e->out);
	if (fixu_str_eq(mt, "D")) {
		id = fixu_msg_get(&e->m, 11);
		pr = fixu_msg_get(&e->m, 97);
		if (id.p != NULL) {
			if (pr.p != NULL && fixu_str_eq(pr, "Y") && seen(e, id))
				return 0;
			if (remember(e, id) != 0)
				return -1;
		}
	}
	if (fixu_str_eq(mt, "D") || fixu_str_eq(mt, "d") ||
	    fixu_str_eq(mt, "C")) {
		if (echo(e, mt) != 0)
			return -1;
	} else if (reject(e, begin, mt, seq) != 0)
		return -1;
	emit(arg, e->out.p, e->out.len);
	return 0;
}
