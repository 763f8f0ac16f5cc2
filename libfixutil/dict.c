/*
 * dict.c -- loading QuickFIX XML dictionaries, lookups, and the set of
 * dictionaries found on a search path.
 *
 * The loader reads the file into memory (capped at FIXU_MAX_DICT_FILE) and
 * lets libxml2 build a tree with network access and entity expansion off and
 * every libxml2 message caught by a structured handler, so nothing is printed.
 * The tree is then compiled into flat tables in one arena: fields sorted by
 * tag with a direct index below FIXU_DICT_DIRECT and a hash above, name and
 * MsgType hashes, and a layout (dict_int.h) for the header, the trailer,
 * every message and every group, with components inlined.  A group element's
 * layout is built once and hung on its xmlNode, so a component used by fifty
 * messages shares its groups.  The tree is freed before the load returns.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "dict.h"
#include "dict_int.h"
#include "fixlimits.h"

/* <limits.h> is shadowed by the project header of that name. */
#define DICT_PATH_MAX	4096

/* ---- arena --------------------------------------------------------------- */

struct fixu_arena {
	struct fixu_arena	*next;
	size_t			 used, size;
	max_align_t		 data[];
};

#define ARENA_CHUNK	(256u * 1024u)

static void *
arena_alloc(struct fixu_arena **ap, size_t n)
{
	struct fixu_arena *a = *ap;
	size_t al = sizeof(max_align_t), sz;
	void *p;

	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	if (a == NULL || a->size - a->used < n) {
		sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((a = calloc(1, sizeof(*a) + sz)) == NULL)
			return NULL;
		a->size = sz;
		if (*ap != NULL && n > ARENA_CHUNK / 4) {
			/* A big block: keep filling the current chunk. */
			a->next = (*ap)->next;
			(*ap)->next = a;
			a->used = n;
			return (char *)a->data;
		}
		a->next = *ap;
		*ap = a;
	}
	p = (char *)a->data + a->used;
	a->used += n;
	return p;
}

static void
arena_free(struct fixu_arena *a)
{
	struct fixu_arena *n;

	for (; a != NULL; a = n) {
		n = a->next;
		free(a);
	}
}

static char *
arena_strdup(struct fixu_arena **ap, const char *s)
{
	size_t n = strlen(s);
	char *p;

	if ((p = arena_alloc(ap, n + 1)) != NULL)
		memcpy(p, s, n + 1);
	return p;
}

/* ---- string hash ----------------------------------------------------------- */

static uint32_t
strhash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t c = 8;

	while (c < n)
		c <<= 1;
	return c;
}

static int
shash_init(struct fixu_arena **ap, struct fixu_shash *h, uint32_t n)
{
	uint32_t c = pow2_at_least(n * 2);

	if ((h->s = arena_alloc(ap, c * sizeof(*h->s))) == NULL)
		return FIXU_ENOMEM;
	h->mask = c - 1;
	return 0;
}

/* Index of key, or UINT32_MAX. */
static uint32_t
shash_get(const struct fixu_shash *h, const char *k, size_t n)
{
	uint32_t hv, i;

	if (h->s == NULL)
		return UINT32_MAX;
	hv = strhash(k, n);
	for (i = hv & h->mask; h->s[i].k != NULL; i = (i + 1) & h->mask)
		if (h->s[i].h == hv && h->s[i].kn == n &&
		    memcmp(h->s[i].k, k, n) == 0)
			return h->s[i].idx;
	return UINT32_MAX;
}

/* Insert; returns the index already there, or UINT32_MAX when added. */
static uint32_t
shash_put(struct fixu_shash *h, const char *k, uint32_t idx)
{
	size_t n = strlen(k);
	uint32_t hv = strhash(k, n), i;

	for (i = hv & h->mask; h->s[i].k != NULL; i = (i + 1) & h->mask)
		if (h->s[i].h == hv && h->s[i].kn == n &&
		    memcmp(h->s[i].k, k, n) == 0)
			return h->s[i].idx;
	h->s[i].k = k;
	h->s[i].kn = (uint32_t)n;
	h->s[i].h = hv;
	h->s[i].idx = idx;
	return UINT32_MAX;
}

static uint32_t
log2u(uint32_t c)
{
	uint32_t b = 0;

	while ((1u << b) < c)
		b++;
	return b;
}

/* ---- enums ------------------------------------------------------------------ */

static int
vcmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

int
fixu_dfld_has_enum(const struct fixu_dfld *f, const char *v, size_t n)
{
	const struct fixu_denum *e = f->pub.enums;
	size_t lo = 0, hi = f->pub.nenums, mid;
	uint64_t k;
	uint32_t i;
	int c;

	if (n - 1 < 7 && f->eh != NULL) {
		k = fixu_pack7(v, n);
		i = (uint32_t)(FIXU_HASH64(k) >> f->ehshift);
		for (; f->eh[i] != 0; i = (i + 1) & f->ehmask)
			if (f->eh[i] == k)
				return 1;
		return 0;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = vcmp(v, n, e[mid].value, f->elen[mid]);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* ---- loader state -------------------------------------------------------- */

struct xerr {
	int	set;
	long	line;
	char	msg[160];
};

struct ld {
	struct fixu_dict	*d;
	struct fixu_diag	*diag;
	xmlDoc			*doc;
	xmlNode			*comps;		/* <components> */
	struct fixu_shash	 cname;		/* component name -> index */
	xmlNode			**cnode;
	uint32_t		 ncomp;
	uint32_t		 work;
	int			 compdepth;
	xmlNode			*cur;		/* element being inlined */
};

/* A component node's _private while it is being inlined. */
static char comp_busy;

struct vec {
	struct fixu_dmem	*m;
	uint32_t		 n, cap;
};

static long
nline(xmlNode *n)
{
	long l = xmlGetLineNo(n);

	return l > 0 ? l : 0;
}

static int
lerr(struct ld *L, xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
lerr(struct ld *L, xmlNode *n, const char *fmt, ...)
{
	va_list ap;
	struct fixu_diag *d = L->diag;

	if (d == NULL)
		return FIXU_EDICT;
	d->code = FIXU_EDICT;
	d->off = n != NULL ? (size_t)nline(n) : 0;
	d->tag = 0;
	d->reject = FIXU_REJ_NONE;
	va_start(ap, fmt);
	(void)vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return FIXU_EDICT;
}

static int
is_el(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* Attribute value copied into buf; 0, or -1 when absent or too long. */
static int
attr(xmlNode *n, const char *name, char *buf, size_t sz)
{
	xmlChar *v;
	size_t len;

	if ((v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return -1;
	len = strlen((const char *)v);
	if (len >= sz) {
		xmlFree(v);
		return -1;
	}
	memcpy(buf, v, len + 1);
	xmlFree(v);
	return 0;
}

/* Attribute copied into the arena; NULL when absent (or out of memory). */
static char *
attr_dup(struct ld *L, xmlNode *n, const char *name, int *nomem)
{
	xmlChar *v;
	char *p;

	*nomem = 0;
	if ((v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return NULL;
	p = arena_strdup(&L->d->arena, (const char *)v);
	xmlFree(v);
	if (p == NULL)
		*nomem = 1;
	return p;
}

static int
parse_num(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v == 0 || v > FIXU_MAX_TAG)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
is_required(xmlNode *n)
{
	char b[8];

	return attr(n, "required", b, sizeof(b)) == 0 &&
	    (b[0] == 'Y' || b[0] == 'y') && b[1] == '\0';
}

/* ---- fields -------------------------------------------------------------- */

static int
enum_sort_cmp(const void *a, const void *b)
{
	const struct fixu_denum *x = a, *y = b;

	return vcmp(x->value, strlen(x->value), y->value, strlen(y->value));
}

static int
fld_tag_cmp(const void *a, const void *b)
{
	const struct fixu_dfld *x = a, *y = b;

	return x->pub.tag < y->pub.tag ? -1 : x->pub.tag > y->pub.tag;
}

static int
load_enums(struct ld *L, xmlNode *fn, struct fixu_dfld *f)
{
	struct fixu_arena **ap = &L->d->arena;
	struct fixu_denum *e;
	xmlNode *c;
	uint32_t n = 0, i, j, cap, nshort = 0;
	int nomem;

	for (c = fn->children; c != NULL; c = c->next)
		if (is_el(c, "value"))
			n++;
	if (n == 0)
		return 0;
	if ((e = arena_alloc(ap, n * sizeof(*e))) == NULL ||
	    (f->elen = arena_alloc(ap, n * sizeof(*f->elen))) == NULL)
		return FIXU_ENOMEM;
	n = 0;
	for (c = fn->children; c != NULL; c = c->next) {
		if (!is_el(c, "value"))
			continue;
		if ((e[n].value = attr_dup(L, c, "enum", &nomem)) == NULL)
			return nomem ? FIXU_ENOMEM : lerr(L, c,
			    "value of field '%s' has no enum attribute",
			    f->pub.name);
		if ((e[n].desc = attr_dup(L, c, "description", &nomem)) == NULL) {
			if (nomem)
				return FIXU_ENOMEM;
			e[n].desc = "";
		}
		n++;
	}
	qsort(e, n, sizeof(*e), enum_sort_cmp);
	/* The same value twice says nothing new: keep the first. */
	for (i = j = 0; i < n; i++) {
		if (j > 0 && strcmp(e[j - 1].value, e[i].value) == 0)
			continue;
		e[j++] = e[i];
	}
	n = j;
	for (i = 0; i < n; i++) {
		f->elen[i] = (uint32_t)strlen(e[i].value);
		if (f->elen[i] - 1 < 7)
			nshort++;
		if (f->elen[i] == 1) {
			unsigned char ch = (unsigned char)e[i].value[0];

			f->cbits[ch >> 6] |= 1ull << (ch & 63);
		}
	}
	f->pub.enums = e;
	f->pub.nenums = n;
	cap = pow2_at_least(nshort * 2 + 1);
	if ((f->eh = arena_alloc(ap, cap * sizeof(*f->eh))) == NULL)
		return FIXU_ENOMEM;
	memset(f->eh, 0, cap * sizeof(*f->eh));
	f->ehmask = cap - 1;
	f->ehshift = 64 - log2u(cap);
	for (i = 0; i < n; i++) {
		uint64_t k;
		uint32_t h;

		if (f->elen[i] - 1 >= 7)
			continue;
		k = fixu_pack7(e[i].value, f->elen[i]);
		h = (uint32_t)(FIXU_HASH64(k) >> f->ehshift);
		while (f->eh[h] != 0 && f->eh[h] != k)
			h = (h + 1) & f->ehmask;
		f->eh[h] = k;
	}
	return 0;
}

static int
load_fields(struct ld *L, xmlNode *fields)
{
	struct fixu_dict *d = L->d;
	struct fixu_arena **ap = &d->arena;
	xmlNode *c;
	uint32_t n = 0, i, maxsmall = 0, nbig = 0, cap, h, prev;
	char buf[64];
	int rc, nomem;

	if (fields != NULL)
		for (c = fields->children; c != NULL; c = c->next)
			if (is_el(c, "field"))
				n++;
	if (n > 0 && (d->f = arena_alloc(ap, n * sizeof(*d->f))) == NULL)
		return FIXU_ENOMEM;
	if (n > 0)
		memset(d->f, 0, n * sizeof(*d->f));
	for (c = fields != NULL ? fields->children : NULL; c != NULL;
	    c = c->next) {
		struct fixu_dfld *f;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(c, "field"))
			return lerr(L, c, "unexpected element <%.40s> in "
			    "<fields>", (const char *)c->name);
		f = &d->f[d->nf];
		f->line = (uint32_t)nline(c);
		if (attr(c, "number", buf, sizeof(buf)) < 0)
			return lerr(L, c, "field without a number attribute");
		if (parse_num(buf, &f->pub.tag) < 0)
			return lerr(L, c, "bad field number '%.20s'", buf);
		if ((f->pub.name = attr_dup(L, c, "name", &nomem)) == NULL)
			return nomem ? FIXU_ENOMEM :
			    lerr(L, c, "field %u without a name attribute",
			    f->pub.tag);
		if (f->pub.name[0] == '\0')
			return lerr(L, c, "field %u has an empty name",
			    f->pub.tag);
		if (attr(c, "type", buf, sizeof(buf)) < 0)
			return lerr(L, c, "field '%.60s' without a type "
			    "attribute", f->pub.name);
		f->pub.type = fixu_type_byname(buf, strlen(buf));
		if (f->pub.type == FIXU_T_UNKNOWN)
			return lerr(L, c, "field '%.60s' has unknown type "
			    "'%.30s'", f->pub.name, buf);
		if ((rc = load_enums(L, c, f)) < 0)
			return rc;
		d->nf++;
	}
	/* Sorted by tag: each_field lists in tag order, duplicates adjoin. */
	if (d->nf > 0)
		qsort(d->f, d->nf, sizeof(*d->f), fld_tag_cmp);
	for (i = 1; i < d->nf; i++)
		if (d->f[i].pub.tag == d->f[i - 1].pub.tag) {
			struct fixu_diag *dg = L->diag;
			struct fixu_dfld *a = &d->f[i - 1], *b = &d->f[i];

			if (a->line > b->line) {
				a = &d->f[i];
				b = &d->f[i - 1];
			}
			if (dg != NULL) {
				lerr(L, NULL, "duplicate field number %u "
				    "('%.60s' and '%.60s')", a->pub.tag,
				    a->pub.name, b->pub.name);
				dg->off = b->line;
			}
			return FIXU_EDICT;
		}
	if ((rc = shash_init(ap, &d->fname, d->nf)) < 0)
		return rc;
	for (i = 0; i < d->nf; i++) {
		if ((prev = shash_put(&d->fname, d->f[i].pub.name, i)) !=
		    UINT32_MAX) {
			uint32_t ln = d->f[i].line > d->f[prev].line ?
			    d->f[i].line : d->f[prev].line;

			lerr(L, NULL, "duplicate field name '%.60s' (%u and "
			    "%u)", d->f[i].pub.name, d->f[prev].pub.tag,
			    d->f[i].pub.tag);
			if (L->diag != NULL)
				L->diag->off = ln;
			return FIXU_EDICT;
		}
		if (d->f[i].pub.tag < FIXU_DICT_DIRECT)
			maxsmall = d->f[i].pub.tag;
		else
			nbig++;
	}
	d->ndirect = maxsmall + 1;
	if ((d->direct = arena_alloc(ap, d->ndirect * sizeof(*d->direct))) ==
	    NULL)
		return FIXU_ENOMEM;
	memset(d->direct, 0, d->ndirect * sizeof(*d->direct));
	if (nbig > 0) {
		cap = pow2_at_least(nbig * 2);
		if ((d->big = arena_alloc(ap, cap * sizeof(*d->big))) == NULL)
			return FIXU_ENOMEM;
		memset(d->big, 0, cap * sizeof(*d->big));
		d->bigmask = cap - 1;
		d->bigshift = 32 - log2u(cap);
	}
	for (i = 0; i < d->nf; i++) {
		uint32_t t = d->f[i].pub.tag;

		if (t < d->ndirect) {
			d->direct[t] = i + 1;
			continue;
		}
		h = FIXU_HASH32(t) >> d->bigshift;
		while (d->big[h].tag != 0)
			h = (h + 1) & d->bigmask;
		d->big[h].tag = t;
		d->big[h].idx = i;
	}
	return 0;
}

static const struct fixu_dfld *
fld_byname(const struct fixu_dict *d, const char *s, size_t n)
{
	uint32_t i = shash_get(&d->fname, s, n);

	return i == UINT32_MAX ? NULL : &d->f[i];
}

/* ---- components and layouts ------------------------------------------- */

static int
load_components(struct ld *L, xmlNode *comps)
{
	xmlNode *c;
	uint32_t n = 0, prev;
	char *name;
	int rc, nomem;

	if (comps != NULL)
		for (c = comps->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				n++;
	if ((rc = shash_init(&L->d->arena, &L->cname, n)) < 0)
		return rc;
	if (n > 0 && (L->cnode = arena_alloc(&L->d->arena,
	    n * sizeof(*L->cnode))) == NULL)
		return FIXU_ENOMEM;
	for (c = comps != NULL ? comps->children : NULL; c != NULL;
	    c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(c, "component"))
			return lerr(L, c, "unexpected element <%.40s> in "
			    "<components>", (const char *)c->name);
		if ((name = attr_dup(L, c, "name", &nomem)) == NULL)
			return nomem ? FIXU_ENOMEM :
			    lerr(L, c, "component without a name attribute");
		if ((prev = shash_put(&L->cname, name, L->ncomp)) !=
		    UINT32_MAX)
			return lerr(L, c, "duplicate component '%.60s' (first "
			    "at line %ld)", name, nline(L->cnode[prev]));
		L->cnode[L->ncomp++] = c;
	}
	return 0;
}

static int
vec_push(struct ld *L, struct vec *v, const struct fixu_dmem *m)
{
	struct fixu_dmem *nm;
	uint32_t nc;

	if (++L->work > FIXU_DICT_MAX_WORK)
		return lerr(L, L->cur, "dictionary too complex (more than %u "
		    "inlined fields)", FIXU_DICT_MAX_WORK);
	if (v->n >= FIXU_DICT_MAX_MEMBERS * 8)
		return lerr(L, L->cur, "more than %u fields inlined into one "
		    "message or group", FIXU_DICT_MAX_MEMBERS * 8);
	if (v->n == v->cap) {
		nc = v->cap ? v->cap * 2 : 32;
		if ((nm = realloc(v->m, nc * sizeof(*nm))) == NULL)
			return FIXU_ENOMEM;
		v->m = nm;
		v->cap = nc;
	}
	v->m[v->n++] = *m;
	return 0;
}

static int
is_data_type(int t)
{
	return t == FIXU_T_DATA || t == FIXU_T_XMLDATA;
}

/* How validate.c checks a value of f; see dict_int.h. */
static uint8_t
chk_class(const struct fixu_dfld *f)
{
	uint32_t i, one = 1;

	for (i = 0; i < f->pub.nenums; i++)
		one &= f->elen[i] == 1;
	/* MsgType is checked by finding the message. */
	if (f->pub.tag == 35)
		return FIXU_CHK_NONE;
	switch (f->pub.type) {
	case FIXU_T_STRING:
	case FIXU_T_DATA:
	case FIXU_T_XMLDATA:
	case FIXU_T_EXCHANGE:
	case FIXU_T_LANGUAGE:
	case FIXU_T_XID:
	case FIXU_T_XIDREF:
		return f->pub.nenums ? FIXU_CHK_STRENUM : FIXU_CHK_NONE;
	case FIXU_T_LENGTH:
	case FIXU_T_SEQNUM:
	case FIXU_T_NUMINGROUP:
	case FIXU_T_TAGNUM:
		return f->pub.nenums ? FIXU_CHK_OTHER : FIXU_CHK_UINT;
	case FIXU_T_FLOAT:
	case FIXU_T_QTY:
	case FIXU_T_PRICE:
	case FIXU_T_PRICEOFFSET:
	case FIXU_T_AMT:
	case FIXU_T_PERCENTAGE:
		return f->pub.nenums ? FIXU_CHK_OTHER : FIXU_CHK_FLOAT;
	case FIXU_T_CHAR:
		return f->pub.nenums && one ? FIXU_CHK_CHARENUM :
		    FIXU_CHK_OTHER;
	case FIXU_T_UTCTIMESTAMP:
		return f->pub.nenums ? FIXU_CHK_OTHER : FIXU_CHK_TS;
	default:
		return FIXU_CHK_OTHER;
	}
}

/* Turn the collected members into a layout in the arena. */
static int
lay_finish(struct ld *L, struct vec *v, uint32_t height, xmlNode *where,
    const char *what, const struct fixu_dlay **out)
{
	struct fixu_arena **ap = &L->d->arena;
	struct fixu_dlay *l;
	struct fixu_dmem *m, *h;
	uint32_t cap, i, k, n = 0;
	int rc;

	/* A LENGTH field right before a DATA field is its length. */
	for (i = 1; i < v->n; i++)
		if (is_data_type(v->m[i].f->pub.type) &&
		    v->m[i - 1].f->pub.type == FIXU_T_LENGTH &&
		    fixu_lenmap_data(&L->d->lm, v->m[i - 1].tag) == 0 &&
		    (rc = fixu_lenmap_add(&L->d->lm, v->m[i - 1].tag,
		    v->m[i].tag)) < 0)
			return rc;
	if ((l = arena_alloc(ap, sizeof(*l))) == NULL)
		return FIXU_ENOMEM;
	memset(l, 0, sizeof(*l));
	cap = pow2_at_least(v->n * 2 + 1);
	if ((h = arena_alloc(ap, cap * sizeof(*h))) == NULL ||
	    (m = arena_alloc(ap, (v->n ? v->n : 1) * sizeof(*m))) == NULL)
		return FIXU_ENOMEM;
	memset(h, 0, cap * sizeof(*h));
	l->shift = 32 - log2u(cap);
	l->mask = cap - 1;
	for (i = 0; i < v->n; i++) {
		k = FIXU_HASH32(v->m[i].tag) >> l->shift;
		while (h[k].tag != 0 && h[k].tag != v->m[i].tag)
			k = (k + 1) & l->mask;
		if (h[k].tag != 0) {
			/* Reached twice through components: one member. */
			h[k].req |= v->m[i].req;
			m[h[k].pos].req = h[k].req;
			continue;
		}
		if (n >= FIXU_DICT_MAX_MEMBERS)
			return lerr(L, where, "%s has more than %u fields",
			    what, FIXU_DICT_MAX_MEMBERS);
		m[n] = v->m[i];
		m[n].pos = (uint16_t)n;
		m[n].chk = (uint8_t)(chk_class(m[n].f) | (v->m[i].chk & 0xf0));
		h[k] = m[n];
		n++;
	}
	l->m = m;
	l->n = n;
	l->h = h;
	l->height = height;
	for (i = 0; i < n; i++)
		l->nreq += m[i].req;
	*out = l;
	return 0;
}

static int expand(struct ld *, struct vec *, xmlNode *, int, int,
    uint32_t *, const char *);

static int
build_group(struct ld *L, xmlNode *g, const struct fixu_dfld *f, int gdepth,
    const struct fixu_dlay **out)
{
	struct vec v = { NULL, 0, 0 };
	char what[96];
	uint32_t height = 0;
	int rc;

	if (g->_private != NULL) {
		*out = g->_private;
		return 0;
	}
	if (gdepth >= FIXU_MAX_GROUP_DEPTH)
		return lerr(L, g, "groups nested deeper than %d",
		    FIXU_MAX_GROUP_DEPTH);
	if (snprintf(what, sizeof(what), "group '%s'", f->pub.name) >=
	    (int)sizeof(what))
		memcpy(what + sizeof(what) - 4, "..'", 4);
	if ((rc = expand(L, &v, g, 1, gdepth + 1, &height, what)) < 0)
		goto out;
	if (v.n == 0) {
		rc = lerr(L, g, "%s has no members (its first member is the "
		    "delimiter)", what);
		goto out;
	}
	if ((rc = lay_finish(L, &v, height + 1, g, what, out)) < 0)
		goto out;
	g->_private = (void *)(uintptr_t)*out;
out:
	free(v.m);
	return rc;
}

/*
 * Inline the children of parent into v.  reqctx is 0 inside a component
 * that is not required (its fields are then optional, as in QuickFIX).
 */
static int
expand(struct ld *L, struct vec *v, xmlNode *parent, int reqctx, int gdepth,
    uint32_t *height, const char *what)
{
	struct fixu_dmem mem;
	const struct fixu_dfld *f;
	const struct fixu_dlay *gl;
	xmlNode *c, *cn;
	char name[128];
	uint32_t ci;
	int rc;

	for (c = parent->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		L->cur = c;
		if (attr(c, "name", name, sizeof(name)) < 0)
			return lerr(L, c, "<%.40s> in %s without a (short "
			    "enough) name attribute", (const char *)c->name,
			    what);
		memset(&mem, 0, sizeof(mem));
		if (is_el(c, "field") || is_el(c, "group")) {
			if ((f = fld_byname(L->d, name, strlen(name))) == NULL)
				return lerr(L, c, "field '%s' referenced in "
				    "%s is not defined", name, what);
			mem.tag = f->pub.tag;
			mem.f = f;
			mem.req = (uint8_t)(reqctx && is_required(c));
			if (is_el(c, "group")) {
				if ((rc = build_group(L, c, f, gdepth,
				    &gl)) < 0)
					return rc;
				if (gdepth + (int)gl->height >
				    FIXU_MAX_GROUP_DEPTH)
					return lerr(L, c, "groups nested "
					    "deeper than %d",
					    FIXU_MAX_GROUP_DEPTH);
				mem.grp = gl;
				if (gl->height > *height)
					*height = gl->height;
			}
			if ((rc = vec_push(L, v, &mem)) < 0)
				return rc;
		} else if (is_el(c, "component")) {
			ci = shash_get(&L->cname, name, strlen(name));
			if (ci == UINT32_MAX)
				return lerr(L, c, "component '%s' referenced "
				    "in %s is not defined", name, what);
			cn = L->cnode[ci];
			if (cn->_private == &comp_busy)
				return lerr(L, c, "component '%s' includes "
				    "itself", name);
			if (L->compdepth >= FIXU_DICT_MAX_COMPDEPTH)
				return lerr(L, c, "components nested deeper "
				    "than %d", FIXU_DICT_MAX_COMPDEPTH);
			cn->_private = &comp_busy;
			L->compdepth++;
			rc = expand(L, v, cn, reqctx && is_required(c),
			    gdepth, height, what);
			L->compdepth--;
			cn->_private = NULL;
			if (rc < 0)
				return rc;
		} else
			return lerr(L, c, "unexpected element <%.40s> in %s",
			    (const char *)c->name, what);
	}
	return 0;
}

static int
build_layout(struct ld *L, xmlNode *n, const char *what,
    const struct fixu_dlay **out)
{
	struct vec v = { NULL, 0, 0 };
	uint32_t height = 0;
	int rc = 0;

	if (n != NULL)
		rc = expand(L, &v, n, 1, 0, &height, what);
	if (rc == 0)
		rc = lay_finish(L, &v, height, n, what, out);
	free(v.m);
	return rc;
}

/* Header, body and trailer in one table: one lookup per field. */
static int
build_full(struct ld *L, xmlNode *c, const char *what, struct fixu_dmsg *dm)
{
	const struct fixu_dlay *part[3] = { L->d->hdr, dm->lay, L->d->trl };
	struct fixu_dmem mem;
	struct vec v = { NULL, 0, 0 };
	uint32_t s, i;
	int rc = 0;

	for (s = 0; s < 3 && rc == 0; s++)
		for (i = 0; i < part[s]->n && rc == 0; i++) {
			mem = part[s]->m[i];
			mem.chk = (uint8_t)(s << 4);
			rc = vec_push(L, &v, &mem);
		}
	if (rc == 0)
		rc = lay_finish(L, &v, dm->lay->height, c, what, &dm->full);
	free(v.m);
	return rc;
}

static int
load_messages(struct ld *L, xmlNode *msgs)
{
	struct fixu_dict *d = L->d;
	struct fixu_arena **ap = &d->arena;
	struct fixu_dmsg *dm;
	xmlNode *c;
	uint32_t n = 0, prev, cap, i;
	char cat[16], what[96];
	int rc, nomem;

	if (msgs != NULL)
		for (c = msgs->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				n++;
	if ((rc = shash_init(ap, &d->mtype, n)) < 0 ||
	    (rc = shash_init(ap, &d->mname, n)) < 0)
		return rc;
	if (n > 0 && (d->msgs = arena_alloc(ap, n * sizeof(*d->msgs))) ==
	    NULL)
		return FIXU_ENOMEM;
	for (c = msgs != NULL ? msgs->children : NULL; c != NULL;
	    c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(c, "message"))
			return lerr(L, c, "unexpected element <%.40s> in "
			    "<messages>", (const char *)c->name);
		dm = &d->msgs[d->nmsgs];
		memset(dm, 0, sizeof(*dm));
		if ((dm->name = attr_dup(L, c, "name", &nomem)) == NULL)
			return nomem ? FIXU_ENOMEM :
			    lerr(L, c, "message without a name attribute");
		if ((dm->type = attr_dup(L, c, "msgtype", &nomem)) == NULL)
			return nomem ? FIXU_ENOMEM : lerr(L, c, "message "
			    "'%.60s' without a msgtype attribute", dm->name);
		dm->typelen = (uint32_t)strlen(dm->type);
		if (dm->typelen == 0)
			return lerr(L, c, "message '%.60s' has an empty "
			    "msgtype", dm->name);
		dm->admin = attr(c, "msgcat", cat, sizeof(cat)) == 0 &&
		    strcmp(cat, "admin") == 0;
		if ((prev = shash_put(&d->mtype, dm->type, d->nmsgs)) !=
		    UINT32_MAX)
			return lerr(L, c, "duplicate msgtype '%.20s' "
			    "('%.60s' and '%.60s')", dm->type,
			    d->msgs[prev].name, dm->name);
		if ((prev = shash_put(&d->mname, dm->name, d->nmsgs)) !=
		    UINT32_MAX)
			return lerr(L, c, "duplicate message name '%.60s'",
			    dm->name);
		if (snprintf(what, sizeof(what), "message '%s'", dm->name) >=
		    (int)sizeof(what))
			memcpy(what + sizeof(what) - 4, "..'", 4);
		if ((rc = build_layout(L, c, what, &dm->lay)) < 0 ||
		    (rc = build_full(L, c, what, dm)) < 0)
			return rc;
		d->nmsgs++;
	}
	cap = pow2_at_least(d->nmsgs * 2 + 1);
	if ((d->mt64 = arena_alloc(ap, cap * sizeof(*d->mt64))) == NULL ||
	    (d->mt64idx = arena_alloc(ap, cap * sizeof(*d->mt64idx))) == NULL)
		return FIXU_ENOMEM;
	memset(d->mt64, 0, cap * sizeof(*d->mt64));
	d->mt64mask = cap - 1;
	d->mt64shift = 64 - log2u(cap);
	for (i = 0; i < d->nmsgs; i++) {
		uint64_t k;
		uint32_t h;

		if (d->msgs[i].typelen > 7)
			continue;
		k = fixu_pack7(d->msgs[i].type, d->msgs[i].typelen);
		h = (uint32_t)(FIXU_HASH64(k) >> d->mt64shift);
		while (d->mt64[h] != 0)
			h = (h + 1) & d->mt64mask;
		d->mt64[h] = k;
		d->mt64idx[h] = i;
	}
	return 0;
}

/* Length fields named after their data field: RawDataLength/RawData. */
static int
pair_by_name(struct fixu_dict *d)
{
	const struct fixu_dfld *l;
	char nm[256];
	uint32_t i;
	int rc, r;

	for (i = 0; i < d->nf; i++) {
		if (!is_data_type(d->f[i].pub.type))
			continue;
		r = snprintf(nm, sizeof(nm), "%sLen", d->f[i].pub.name);
		if (r < 0 || (size_t)r >= sizeof(nm))
			continue;
		if ((l = fld_byname(d, nm, (size_t)r)) == NULL ||
		    l->pub.type != FIXU_T_LENGTH) {
			r = snprintf(nm, sizeof(nm), "%sLength",
			    d->f[i].pub.name);
			if (r < 0 || (size_t)r >= sizeof(nm))
				continue;
			l = fld_byname(d, nm, (size_t)r);
		}
		if (l != NULL && l->pub.type == FIXU_T_LENGTH &&
		    (rc = fixu_lenmap_add(&d->lm, l->pub.tag,
		    d->f[i].pub.tag)) < 0)
			return rc;
	}
	return 0;
}

static int
set_version(struct ld *L, xmlNode *root)
{
	struct fixu_dict *d = L->d;
	char type[16], maj[16], min[16], sp[16];
	uint32_t mj = 0, mn = 0, s = 0;
	int r;

	if (attr(root, "type", type, sizeof(type)) < 0 ||
	    attr(root, "major", maj, sizeof(maj)) < 0 ||
	    attr(root, "minor", min, sizeof(min)) < 0)
		return lerr(L, root, "<fix> needs type, major and minor "
		    "attributes");
	if (strcmp(type, "FIX") != 0 && strcmp(type, "FIXT") != 0)
		return lerr(L, root, "<fix> type '%s' is neither FIX nor "
		    "FIXT", type);
	/* parse_num refuses 0; versions may be 0 (minor 0, servicepack 0). */
	if ((strcmp(maj, "0") != 0 && parse_num(maj, &mj) < 0) ||
	    (strcmp(min, "0") != 0 && parse_num(min, &mn) < 0) ||
	    mj > 99 || mn > 99)
		return lerr(L, root, "bad version numbers '%s.%s'", maj, min);
	if (attr(root, "servicepack", sp, sizeof(sp)) == 0 &&
	    strcmp(sp, "0") != 0 && (parse_num(sp, &s) < 0 || s > 99))
		return lerr(L, root, "bad servicepack '%s'", sp);
	d->fixt = strcmp(type, "FIXT") == 0;
	if (s != 0)
		r = snprintf(d->version, sizeof(d->version), "%s.%u.%uSP%u",
		    type, mj, mn, s);
	else
		r = snprintf(d->version, sizeof(d->version), "%s.%u.%u", type,
		    mj, mn);
	if (r < 0 || (size_t)r >= sizeof(d->version))
		return lerr(L, root, "version too long");
	if (!d->fixt && mj == 5 && mn == 0 && s <= 2)
		d->applverid[0] = (char)('7' + s);
	return 0;
}

/* ---- libxml2 glue -------------------------------------------------------- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_init(void)
{
	xmlInitParser();
}

static void
xml_serror(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr pc = ctx;
	struct xerr *xe;
	size_t n;

	if (pc == NULL || (xe = pc->_private) == NULL || e == NULL)
		return;
	if (xe->set || e->level < XML_ERR_ERROR)
		return;
	xe->set = 1;
	xe->line = e->line;
	if (e->message == NULL) {
		xe->msg[0] = '\0';
		return;
	}
	n = strlen(e->message);
	if (n >= sizeof(xe->msg))
		n = sizeof(xe->msg) - 1;
	memcpy(xe->msg, e->message, n);
	while (n > 0 && (xe->msg[n - 1] == '\n' || xe->msg[n - 1] == ' '))
		n--;
	xe->msg[n] = '\0';
}

static int
compile(struct ld *L)
{
	xmlNode *root, *c, *hdr = NULL, *trl = NULL, *msgs = NULL,
	    *comps = NULL, *fields = NULL, **slot;
	int rc;

	if ((root = xmlDocGetRootElement(L->doc)) == NULL)
		return lerr(L, NULL, "no root element");
	if (!is_el(root, "fix"))
		return lerr(L, root, "root element is <%.40s>, not <fix>",
		    (const char *)root->name);
	if ((rc = set_version(L, root)) < 0)
		return rc;
	for (c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, "header"))
			slot = &hdr;
		else if (is_el(c, "trailer"))
			slot = &trl;
		else if (is_el(c, "messages"))
			slot = &msgs;
		else if (is_el(c, "components"))
			slot = &comps;
		else if (is_el(c, "fields"))
			slot = &fields;
		else
			return lerr(L, c, "unexpected element <%.40s> in "
			    "<fix>", (const char *)c->name);
		if (*slot != NULL)
			return lerr(L, c, "second <%s> section",
			    (const char *)c->name);
		*slot = c;
	}
	if ((rc = load_fields(L, fields)) < 0 ||
	    (rc = pair_by_name(L->d)) < 0 ||
	    (rc = load_components(L, comps)) < 0 ||
	    (rc = build_layout(L, hdr, "header", &L->d->hdr)) < 0 ||
	    (rc = build_layout(L, trl, "trailer", &L->d->trl)) < 0 ||
	    (rc = load_messages(L, msgs)) < 0)
		return rc;
	return 0;
}

int
fixu_dict_load_mem(struct fixu_dict **out, const char *buf, size_t n,
    const char *name, struct fixu_diag *diag)
{
	struct ld L;
	struct xerr xe;
	xmlParserCtxtPtr pc = NULL;
	struct fixu_dict *d = NULL;
	int rc;

	fixu_diag_clear(diag);
	if (out == NULL || (buf == NULL && n > 0))
		return fixu_diag_set(diag, FIXU_EINVAL, 0, 0, FIXU_REJ_NONE,
		    "no output or buffer");
	*out = NULL;
	if (n > FIXU_MAX_DICT_FILE)
		return fixu_diag_set(diag, FIXU_ELIMIT, 0, 0, FIXU_REJ_NONE,
		    "dictionary larger than %u bytes", FIXU_MAX_DICT_FILE);
	(void)pthread_once(&xml_once, xml_init);
	memset(&L, 0, sizeof(L));
	memset(&xe, 0, sizeof(xe));
	L.diag = diag;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return fixu_diag_set(diag, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE,
		    NULL);
	fixu_lenmap_init(&d->lm);
	L.d = d;
	if (name != NULL && (d->path = arena_strdup(&d->arena, name)) == NULL) {
		rc = FIXU_ENOMEM;
		goto fail;
	}
	if ((pc = xmlNewParserCtxt()) == NULL) {
		rc = FIXU_ENOMEM;
		goto fail;
	}
	pc->_private = &xe;
	pc->sax->serror = xml_serror;
	pc->sax->error = NULL;
	pc->sax->warning = NULL;
	pc->vctxt.error = NULL;
	pc->vctxt.warning = NULL;
	L.doc = xmlCtxtReadMemory(pc, buf != NULL ? buf : "", (int)n, name,
	    NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
	if (L.doc == NULL || xe.set) {
		fixu_diag_set(diag, FIXU_EDICT, xe.set && xe.line > 0 ?
		    (size_t)xe.line : 1, 0, FIXU_REJ_NONE, "%s",
		    xe.set ? xe.msg : "cannot parse XML");
		rc = FIXU_EDICT;
		goto fail;
	}
	if ((rc = compile(&L)) < 0)
		goto fail;
	xmlFreeDoc(L.doc);
	xmlFreeParserCtxt(pc);
	*out = d;
	return 0;
fail:
	if (rc == FIXU_ENOMEM && (diag == NULL || diag->code == 0))
		fixu_diag_set(diag, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE, NULL);
	if (L.doc != NULL)
		xmlFreeDoc(L.doc);
	if (pc != NULL)
		xmlFreeParserCtxt(pc);
	fixu_dict_free(d);
	return rc;
}

int
fixu_dict_load(struct fixu_dict **out, const char *path,
    struct fixu_diag *diag)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	fixu_diag_clear(diag);
	if (out == NULL || path == NULL)
		return fixu_diag_set(diag, FIXU_EINVAL, 0, 0, FIXU_REJ_NONE,
		    "no path");
	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fixu_diag_set(diag, errno == ENOENT ? FIXU_ENOTFOUND :
		    FIXU_EIO, 0, 0, FIXU_REJ_NONE, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = fixu_diag_set(diag, FIXU_EIO, 0, 0, FIXU_REJ_NONE,
		    "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fixu_diag_set(diag, FIXU_EIO, 0, 0, FIXU_REJ_NONE,
		    "%s: not a regular file", path);
		goto fail;
	}
	if ((uintmax_t)st.st_size > FIXU_MAX_DICT_FILE) {
		rc = fixu_diag_set(diag, FIXU_ELIMIT, 0, 0, FIXU_REJ_NONE,
		    "%s: larger than %u bytes", path, FIXU_MAX_DICT_FILE);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = fixu_diag_set(diag, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE,
		    NULL);
		goto fail;
	}
	/* Read what is there; a file that grows meanwhile is cut at size. */
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fixu_diag_set(diag, FIXU_EIO, 0, 0,
			    FIXU_REJ_NONE, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	fd = -1;
	rc = fixu_dict_load_mem(out, buf, n, path, diag);
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

void
fixu_dict_free(struct fixu_dict *d)
{
	if (d == NULL)
		return;
	fixu_lenmap_fini(&d->lm);
	arena_free(d->arena);
	free(d);
}

/* ---- lookups --------------------------------------------------------------- */

const char *
fixu_dict_version(const struct fixu_dict *d)
{
	return d->version;
}

const char *
fixu_dict_applverid(const struct fixu_dict *d)
{
	return d->applverid[0] != '\0' ? d->applverid : NULL;
}

const char *
fixu_dict_path(const struct fixu_dict *d)
{
	return d->path;
}

const struct fixu_dfield *
fixu_dict_field(const struct fixu_dict *d, uint32_t tag)
{
	const struct fixu_dfld *f = fixu_dict_fld(d, tag);

	return f != NULL ? &f->pub : NULL;
}

const struct fixu_dfield *
fixu_dict_field_byname(const struct fixu_dict *d, const char *name, size_t n)
{
	const struct fixu_dfld *f = fld_byname(d, name, n);

	return f != NULL ? &f->pub : NULL;
}

const char *
fixu_dict_enum(const struct fixu_dfield *pf, const char *v, size_t n)
{
	const struct fixu_dfld *f = (const struct fixu_dfld *)pf;
	size_t lo = 0, hi, mid;
	int c;

	if (f == NULL)
		return NULL;
	hi = f->pub.nenums;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = vcmp(v, n, f->pub.enums[mid].value, f->elen[mid]);
		if (c == 0)
			return f->pub.enums[mid].desc;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *
fixu_dict_enum_byname(const struct fixu_dfield *f, const char *desc, size_t n)
{
	uint32_t i;

	if (f == NULL)
		return NULL;
	for (i = 0; i < f->nenums; i++)
		if (strlen(f->enums[i].desc) == n &&
		    strncasecmp(f->enums[i].desc, desc, n) == 0)
			return f->enums[i].value;
	return NULL;
}

const struct fixu_dmsg *
fixu_dict_msg(const struct fixu_dict *d, const char *t, size_t n)
{
	uint64_t k;
	uint32_t i;

	if (n - 1 < 7 && d->mt64 != NULL) {
		k = fixu_pack7(t, n);
		i = (uint32_t)(FIXU_HASH64(k) >> d->mt64shift);
		for (; d->mt64[i] != 0; i = (i + 1) & d->mt64mask)
			if (d->mt64[i] == k)
				return &d->msgs[d->mt64idx[i]];
		return NULL;
	}
	i = shash_get(&d->mtype, t, n);

	return i == UINT32_MAX ? NULL : &d->msgs[i];
}

const struct fixu_dmsg *
fixu_dict_msg_byname(const struct fixu_dict *d, const char *name, size_t n)
{
	uint32_t i = shash_get(&d->mname, name, n);

	return i == UINT32_MAX ? NULL : &d->msgs[i];
}

const char *
fixu_dmsg_name(const struct fixu_dmsg *m)
{
	return m->name;
}

const char *
fixu_dmsg_type(const struct fixu_dmsg *m)
{
	return m->type;
}

int
fixu_dmsg_is_admin(const struct fixu_dmsg *m)
{
	return m->admin;
}

const struct fixu_lenmap *
fixu_dict_lenmap(const struct fixu_dict *d)
{
	return &d->lm;
}

void
fixu_dict_each_field(const struct fixu_dict *d,
    void (*fn)(const struct fixu_dfield *, void *), void *arg)
{
	uint32_t i;

	for (i = 0; i < d->nf; i++)
		fn(&d->f[i].pub, arg);
}

void
fixu_dict_each_msg(const struct fixu_dict *d,
    void (*fn)(const struct fixu_dmsg *, void *), void *arg)
{
	uint32_t i;

	for (i = 0; i < d->nmsgs; i++)
		fn(&d->msgs[i], arg);
}

/* ---- a set of dictionaries ---------------------------------------------- */

static const struct {
	const char	*ver;
	const char	*file;
	const char	*applverid;
} stdvers[] = {
	{ "FIX.4.0",	"FIX40.xml",	"2" },
	{ "FIX.4.1",	"FIX41.xml",	"3" },
	{ "FIX.4.2",	"FIX42.xml",	"4" },
	{ "FIX.4.3",	"FIX43.xml",	"5" },
	{ "FIX.4.4",	"FIX44.xml",	"6" },
	{ "FIX.5.0",	"FIX50.xml",	"7" },
	{ "FIX.5.0SP1",	"FIX50SP1.xml",	"8" },
	{ "FIX.5.0SP2",	"FIX50SP2.xml",	"9" },
	{ "FIXT.1.1",	"FIXT11.xml",	NULL },
};
#define NSTD	(sizeof(stdvers) / sizeof(stdvers[0]))

struct dentry {
	char			 ver[24];
	struct fixu_dict	*d;
};

struct fixu_dicts {
	char			**dirs;
	size_t			 ndirs;
	struct fixu_dict	*std[NSTD];
	int			 stdrc[NSTD];	/* 0 untried, else result */
	struct fixu_diag	 stddiag[NSTD];
	struct dentry		*user;		/* fixu_dicts_add(), newest last */
	size_t			 nuser;
	struct fixu_dict	**old;		/* replaced, kept until free */
	size_t			 nold;
};

static int
add_dir(struct fixu_dicts *ds, const char *p, size_t n)
{
	char **nd, *s;

	if (n == 0)
		return 0;
	if ((nd = realloc(ds->dirs, (ds->ndirs + 1) * sizeof(*nd))) == NULL)
		return FIXU_ENOMEM;
	ds->dirs = nd;
	if ((s = malloc(n + 1)) == NULL)
		return FIXU_ENOMEM;
	memcpy(s, p, n);
	s[n] = '\0';
	ds->dirs[ds->ndirs++] = s;
	return 0;
}

static int
add_path(struct fixu_dicts *ds, const char *path)
{
	const char *p = path, *c;
	int rc;

	for (;;) {
		c = strchr(p, ':');
		if ((rc = add_dir(ds, p, c ? (size_t)(c - p) : strlen(p))) < 0)
			return rc;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

static int
add_exe_dirs(struct fixu_dicts *ds)
{
	static const char *const rel[] = {
		"/../share/fixutil/dicts", "/../../dicts"
	};
	char exe[DICT_PATH_MAX], dir[DICT_PATH_MAX + 32];
	ssize_t r;
	size_t i;
	char *sl;
	int n, rc;

	if ((r = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return 0;
	exe[r] = '\0';
	if ((sl = strrchr(exe, '/')) == NULL)
		return 0;
	*sl = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		n = snprintf(dir, sizeof(dir), "%s%s", exe, rel[i]);
		if (n < 0 || (size_t)n >= sizeof(dir))
			continue;
		if ((rc = add_dir(ds, dir, (size_t)n)) < 0)
			return rc;
	}
	return 0;
}

int
fixu_dicts_new(struct fixu_dicts **out, const char *path)
{
	struct fixu_dicts *ds;
	const char *env;
	int rc;

	if (out == NULL)
		return FIXU_EINVAL;
	*out = NULL;
	if ((ds = calloc(1, sizeof(*ds))) == NULL)
		return FIXU_ENOMEM;
	if (path != NULL) {
		if ((rc = add_path(ds, path)) < 0)
			goto fail;
	} else {
		if ((env = getenv("FIXUTIL_DICT_PATH")) != NULL &&
		    (rc = add_path(ds, env)) < 0)
			goto fail;
		if ((rc = add_exe_dirs(ds)) < 0)
			goto fail;
#ifdef FIXU_DICTDIR
		if ((rc = add_dir(ds, FIXU_DICTDIR, strlen(FIXU_DICTDIR))) < 0)
			goto fail;
#endif
	}
	*out = ds;
	return 0;
fail:
	fixu_dicts_free(ds);
	return rc;
}

void
fixu_dicts_free(struct fixu_dicts *ds)
{
	size_t i;

	if (ds == NULL)
		return;
	for (i = 0; i < ds->ndirs; i++)
		free(ds->dirs[i]);
	free(ds->dirs);
	for (i = 0; i < NSTD; i++)
		fixu_dict_free(ds->std[i]);
	for (i = 0; i < ds->nuser; i++)
		fixu_dict_free(ds->user[i].d);
	free(ds->user);
	for (i = 0; i < ds->nold; i++)
		fixu_dict_free(ds->old[i]);
	free(ds->old);
	free(ds);
}

int
fixu_dicts_add(struct fixu_dicts *ds, const char *file, struct fixu_diag *diag)
{
	struct fixu_dict *d;
	struct dentry *nu;
	struct fixu_dict **no;
	size_t i;
	int rc;

	if (ds == NULL || file == NULL)
		return fixu_diag_set(diag, FIXU_EINVAL, 0, 0, FIXU_REJ_NONE,
		    "no dictionary set or file");
	if ((rc = fixu_dict_load(&d, file, diag)) < 0)
		return rc;
	for (i = 0; i < ds->nuser; i++)
		if (strcmp(ds->user[i].ver, d->version) == 0) {
			/* Earlier users of the old one may still hold it. */
			no = realloc(ds->old, (ds->nold + 1) * sizeof(*no));
			if (no == NULL)
				goto nomem;
			ds->old = no;
			ds->old[ds->nold++] = ds->user[i].d;
			ds->user[i].d = d;
			return 0;
		}
	if ((nu = realloc(ds->user, (ds->nuser + 1) * sizeof(*nu))) == NULL)
		goto nomem;
	ds->user = nu;
	memcpy(nu[ds->nuser].ver, d->version, sizeof(nu->ver));
	nu[ds->nuser++].d = d;
	return 0;
nomem:
	fixu_dict_free(d);
	return fixu_diag_set(diag, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE, NULL);
}

/* Index in stdvers of a version name or ApplVerID value, or -1. */
static int
std_index(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < NSTD; i++) {
		if (strlen(stdvers[i].ver) == n &&
		    memcmp(stdvers[i].ver, v, n) == 0)
			return (int)i;
		if (stdvers[i].applverid != NULL && n == 1 &&
		    stdvers[i].applverid[0] == v[0])
			return (int)i;
	}
	return -1;
}

static int
get_view(struct fixu_dicts *ds, const char *v, size_t n,
    const struct fixu_dict **out, struct fixu_diag *diag)
{
	char file[DICT_PATH_MAX];
	size_t i;
	int k, r, rc = FIXU_ENOTFOUND;

	*out = NULL;
	k = std_index(v, n);
	for (i = ds->nuser; i-- > 0;)
		if ((strlen(ds->user[i].ver) == n &&
		    memcmp(ds->user[i].ver, v, n) == 0) ||
		    (k >= 0 && strcmp(ds->user[i].ver, stdvers[k].ver) == 0)) {
			*out = ds->user[i].d;
			return 0;
		}
	if (k < 0)
		return fixu_diag_set(diag, FIXU_ENOTFOUND, 0, 0, FIXU_REJ_NONE,
		    "no dictionary for version '%.*s'", (int)(n > 40 ? 40 : n),
		    v);
	if (ds->stdrc[k] == 0) {
		for (i = 0; i < ds->ndirs; i++) {
			r = snprintf(file, sizeof(file), "%s/%s", ds->dirs[i],
			    stdvers[k].file);
			if (r < 0 || (size_t)r >= sizeof(file))
				continue;
			rc = fixu_dict_load(&ds->std[k], file,
			    &ds->stddiag[k]);
			if (rc != FIXU_ENOTFOUND)
				break;
		}
		if (rc == FIXU_ENOTFOUND)
			fixu_diag_set(&ds->stddiag[k], FIXU_ENOTFOUND, 0, 0,
			    FIXU_REJ_NONE, "%s not found on the dictionary "
			    "path", stdvers[k].file);
		ds->stdrc[k] = rc == 0 ? 1 : rc;
	}
	if (ds->stdrc[k] < 0) {
		if (diag != NULL)
			*diag = ds->stddiag[k];
		return ds->stdrc[k];
	}
	*out = ds->std[k];
	return 0;
}

int
fixu_dicts_get(struct fixu_dicts *ds, const char *version,
    const struct fixu_dict **out, struct fixu_diag *diag)
{
	fixu_diag_clear(diag);
	if (ds == NULL || version == NULL || out == NULL)
		return fixu_diag_set(diag, FIXU_EINVAL, 0, 0, FIXU_REJ_NONE,
		    "no dictionary set or version");
	return get_view(ds, version, strlen(version), out, diag);
}

int
fixu_dicts_pick(struct fixu_dicts *ds, const struct fixu_msg *m,
    const char *defappl, const struct fixu_dict **tr,
    const struct fixu_dict **app, struct fixu_diag *diag)
{
	const struct fixu_dmsg *dm;
	struct fixu_str bs, av, mt = { NULL, 0 };
	long i;
	int rc;

	fixu_diag_clear(diag);
	if (ds == NULL || m == NULL || tr == NULL || app == NULL)
		return fixu_diag_set(diag, FIXU_EINVAL, 0, 0, FIXU_REJ_NONE,
		    "missing argument");
	*tr = *app = NULL;
	if (m->nf == 0 || m->f[0].tag != 8)
		return fixu_diag_set(diag, FIXU_ENOTFOUND, 0, 8, FIXU_REJ_NONE,
		    "message has no BeginString");
	bs.p = m->f[0].val;
	bs.n = m->f[0].len;
	if (!fixu_str_eq(bs, "FIXT.1.1")) {
		if ((rc = get_view(ds, bs.p, bs.n, tr, diag)) < 0)
			return rc;
		*app = *tr;
		return 0;
	}
	if ((rc = get_view(ds, bs.p, bs.n, tr, diag)) < 0)
		return rc;
	if ((i = fixu_msg_find(m, 1128, 1)) >= 0) {
		av.p = m->f[i].val;
		av.n = m->f[i].len;
	} else if (defappl != NULL) {
		av.p = defappl;
		av.n = strlen(defappl);
	} else
		av = FIXU_STR("FIX.5.0SP2");
	if ((rc = get_view(ds, av.p, av.n, app, diag)) == 0)
		return 0;
	/* Session messages need only the transport dictionary. */
	if (m->i_msgtype < m->nf) {
		mt.p = m->f[m->i_msgtype].val;
		mt.n = m->f[m->i_msgtype].len;
	}
	if (mt.p != NULL && (dm = fixu_dict_msg(*tr, mt.p, mt.n)) != NULL &&
	    dm->admin) {
		fixu_diag_clear(diag);
		*app = *tr;
		return 0;
	}
	*tr = NULL;
	return rc;
}
