/*
 * validate.c -- placing the fields of a parsed message in its dictionary
 * structure (fixu_dict_layout), checking a message the way QuickFIX's
 * DataDictionary does (fixu_dict_validate), and the data type scanners.
 *
 * Both entry points run one walk over the fields.  The walk keeps a stack of
 * open groups; each level has a layout (dict_int.h), a bitmap of the members
 * seen in the current instance and a count of required members seen, all on
 * the C stack, so validation allocates nothing.  A field is first offered to
 * the innermost open group: the delimiter starts a new instance, another
 * member continues it, anything else closes the group (QuickFIX does the
 * same with unknown fields) and is offered to the level above.  At the top
 * the section moves forward from header to body to trailer.
 *
 * Issues are kept sorted by the order in which a session layer has to report
 * them (garbled first, then MsgType, repeated tags, order, required fields,
 * then field-level problems in message order), so issues[0] is what a Reject
 * carries.  The walk does no formatting until it has an issue to record.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "dict_int.h"
#include "fixlimits.h"

/* ---- types ---------------------------------------------------------------- */

static const char *const type_names[FIXU_T__COUNT] = {
	"UNKNOWN", "STRING", "CHAR", "INT", "LENGTH", "SEQNUM", "NUMINGROUP",
	"TAGNUM", "DAYOFMONTH", "FLOAT", "QTY", "PRICE", "PRICEOFFSET", "AMT",
	"PERCENTAGE", "BOOLEAN", "MULTIPLEVALUESTRING", "MULTIPLESTRINGVALUE",
	"MULTIPLECHARVALUE", "CURRENCY", "EXCHANGE", "COUNTRY", "LANGUAGE",
	"UTCTIMESTAMP", "UTCTIMEONLY", "UTCDATEONLY", "LOCALMKTDATE",
	"TZTIMEONLY", "TZTIMESTAMP", "MONTHYEAR", "DATA", "XMLDATA", "TIME",
	"DATE", "XID", "XIDREF",
};

/* Older names QuickFIX dictionaries use for the same formats. */
static const struct {
	const char	*name;
	enum fixu_type	 t;
} type_alias[] = {
	{ "UTCDATE",		FIXU_T_UTCDATEONLY },
	{ "LOCALMKTTIME",	FIXU_T_UTCTIMEONLY },
	{ "QUANTITY",		FIXU_T_QTY },
	{ "MONTH-YEAR",		FIXU_T_MONTHYEAR },
	{ "DAY-OF-MONTH",	FIXU_T_DAYOFMONTH },
};

const char *
fixu_type_name(enum fixu_type t)
{
	if ((unsigned)t >= FIXU_T__COUNT)
		return "UNKNOWN";
	return type_names[t];
}

enum fixu_type
fixu_type_byname(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < FIXU_T__COUNT; i++)
		if (strlen(type_names[i]) == n &&
		    strncasecmp(type_names[i], s, n) == 0)
			return (enum fixu_type)i;
	for (i = 0; i < sizeof(type_alias) / sizeof(type_alias[0]); i++)
		if (strlen(type_alias[i].name) == n &&
		    strncasecmp(type_alias[i].name, s, n) == 0)
			return type_alias[i].t;
	return FIXU_T_UNKNOWN;
}

static inline int
isd(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline unsigned
d2(const unsigned char *p)
{
	return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

static int
chk_digits(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!isd(p[i]))
			return -1;
	return 0;
}

static int
chk_float(const unsigned char *p, size_t n)
{
	size_t i = 0, signdot;

	if (n > 0 && p[0] == '-')
		i = 1;
	signdot = i;
	while (i < n && isd(p[i]))
		i++;
	if (i < n && p[i] == '.') {
		signdot++;
		for (i++; i < n && isd(p[i]); i++)
			continue;
	}
	/* Only digits, one '.' at most, and at least one digit. */
	return i == n && n > signdot ? 0 : -1;
}

/* YYYYMMDD at p (8 bytes available). */
static int
chk_date(const unsigned char *p)
{
	static const unsigned char mdays[13] = {
		0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	unsigned y, mo, dd, i;

	for (i = 0; i < 8; i++)
		if (!isd(p[i]))
			return -1;
	y = d2(p) * 100 + d2(p + 2);
	mo = d2(p + 4);
	dd = d2(p + 6);
	if (mo < 1 || mo > 12 || dd < 1 || dd > mdays[mo])
		return -1;
	if (mo == 2 && dd == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	return 0;
}

/*
 * HH:MM[:SS[.f{1,9}]] at p; needsec: seconds are required.  Returns the
 * bytes used, or -1.
 */
static long
chk_time(const unsigned char *p, size_t n, int needsec)
{
	size_t i, k;

	if (n < 5 || !isd(p[0]) || !isd(p[1]) || p[2] != ':' ||
	    !isd(p[3]) || !isd(p[4]) || d2(p) > 23 || d2(p + 3) > 59)
		return -1;
	if (n < 8 || p[5] != ':')
		return needsec ? -1 : 5;
	if (!isd(p[6]) || !isd(p[7]) || d2(p + 6) > 60)
		return -1;
	i = 8;
	if (i < n && p[i] == '.') {
		for (k = i + 1; k < n && isd(p[k]); k++)
			continue;
		if (k == i + 1 || k - i - 1 > 9)
			return -1;
		i = k;
	}
	return (long)i;
}

/* Z, +hh, -hh, +hh:mm, -hh:mm, the whole of p[0..n). */
static int
chk_tz(const unsigned char *p, size_t n)
{
	if (n == 1 && p[0] == 'Z')
		return 0;
	if ((n != 3 && n != 6) || (p[0] != '+' && p[0] != '-') ||
	    !isd(p[1]) || !isd(p[2]) || d2(p + 1) > 14)
		return -1;
	if (n == 6 && (p[3] != ':' || !isd(p[4]) || !isd(p[5]) ||
	    d2(p + 4) > 59))
		return -1;
	return 0;
}

static int
chk_timestamp(const unsigned char *p, size_t n, int tz)
{
	long k;

	if (n < 14 || chk_date(p) < 0 || p[8] != '-')
		return -1;
	if ((k = chk_time(p + 9, n - 9, !tz)) < 0)
		return -1;
	if (!tz)
		return (size_t)k == n - 9 ? 0 : -1;
	return chk_tz(p + 9 + k, n - 9 - (size_t)k);
}

static int
chk_multichar(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i += 2)
		if (p[i] == ' ' || (i + 1 < n && p[i + 1] != ' ') ||
		    i + 1 == n - 1)
			return -1;
	return 0;
}

int
fixu_type_check(enum fixu_type t, const char *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v;
	uint64_t x;
	long k;
	int bad = 0;

	switch (t) {
	case FIXU_T_INT:
		bad = n > 0 && p[0] == '-' ? chk_digits(p + 1, n - 1) :
		    chk_digits(p, n);
		break;
	case FIXU_T_LENGTH:
	case FIXU_T_SEQNUM:
	case FIXU_T_NUMINGROUP:
	case FIXU_T_TAGNUM:
		bad = chk_digits(p, n);
		break;
	case FIXU_T_DAYOFMONTH:
		bad = n < 1 || n > 2 || chk_digits(p, n) < 0 ||
		    fixu_parse_u64(v, n, &x) < 0 || x < 1 || x > 31;
		break;
	case FIXU_T_FLOAT:
	case FIXU_T_QTY:
	case FIXU_T_PRICE:
	case FIXU_T_PRICEOFFSET:
	case FIXU_T_AMT:
	case FIXU_T_PERCENTAGE:
		bad = chk_float(p, n);
		break;
	case FIXU_T_CHAR:
		bad = n != 1;
		break;
	case FIXU_T_BOOLEAN:
		bad = n != 1 || (p[0] != 'Y' && p[0] != 'N');
		break;
	case FIXU_T_MULTIPLECHARVALUE:
		bad = chk_multichar(p, n);
		break;
	case FIXU_T_CURRENCY:
		bad = n != 3;
		break;
	case FIXU_T_COUNTRY:
		bad = n != 2;
		break;
	case FIXU_T_UTCTIMESTAMP:
	case FIXU_T_TIME:
		bad = chk_timestamp(p, n, 0);
		break;
	case FIXU_T_TZTIMESTAMP:
		bad = chk_timestamp(p, n, 1);
		break;
	case FIXU_T_UTCTIMEONLY:
		bad = (k = chk_time(p, n, 1)) < 0 || (size_t)k != n;
		break;
	case FIXU_T_TZTIMEONLY:
		bad = (k = chk_time(p, n, 0)) < 0 ||
		    chk_tz(p + k, n - (size_t)k) < 0;
		break;
	case FIXU_T_UTCDATEONLY:
	case FIXU_T_LOCALMKTDATE:
	case FIXU_T_DATE:
		bad = n != 8 || chk_date(p) < 0;
		break;
	case FIXU_T_MONTHYEAR:
		if (n == 6 || n == 8) {
			unsigned char tmp[8];

			memcpy(tmp, p, 6);
			tmp[6] = '0';
			tmp[7] = '1';
			bad = chk_date(tmp) < 0;
			if (!bad && n == 8)
				bad = p[6] == 'w' ? p[7] < '1' || p[7] > '5' :
				    chk_date(p) < 0;
		} else
			bad = 1;
		break;
	case FIXU_T_EXCHANGE:
	case FIXU_T_LANGUAGE:
	case FIXU_T_MULTIPLEVALUESTRING:
	case FIXU_T_MULTIPLESTRINGVALUE:
		bad = n == 0;
		break;
	default:
		break;
	}
	return bad ? FIXU_EINVALID : 0;
}

/* ---- the walk -------------------------------------------------------------- */

/*
 * Report order of issues; lower first.  A wrong NumInGroup count is a fault
 * of the message's structure, so it comes before the faults of its values
 * (as with QuickFIX, which finds it while parsing, before validating).
 */
enum {
	P_GARBLED, P_FIRST3, P_MSGTYPE, P_REPEATED, P_ORDER, P_GROUPCOUNT,
	P_REQUIRED, P_FIELD
};

struct frame {
	const struct fixu_dlay	*lay;
	bool			*seen;
	uint32_t		 nreq;		/* required members seen */
	uint32_t		 last;		/* position of the last member */
	uint32_t		 declared;	/* NumInGroup value; MAX: bad */
	uint32_t		 count;		/* instances so far */
	uint32_t		 gidx;		/* index of the NumInGroup field */
	uint32_t		 gtag;
	const char		*gname;
};

struct walk {
	const struct fixu_dict	*tr, *app;
	const struct fixu_msg	*m;
	unsigned		 flags;
	struct fixu_fpos	*pos;
	struct fixu_diag	*iss;
	int			 max, n;
	unsigned char		 prio[FIXU_MAX_ISSUES];
	int			 msgunknown;
	int			 sec;		/* top-level section so far */
	const struct fixu_dlay	*top[3];	/* split tables */
	uint32_t		 depth;
	uint32_t		 poolused;
	struct frame		 st[FIXU_MAX_GROUP_DEPTH + 2];
	/* bool, not uint8_t: a store to a bool cannot alias the walk's state */
	bool			 pool[FIXU_DICT_SEEN_BYTES];
};

static size_t
tagoff(const struct fixu_msg *m, uint32_t i)
{
	const struct fixu_field *f;
	size_t k = 1;
	uint32_t t;

	if (i >= m->nf)
		return m->rawlen;
	f = &m->f[i];
	if (f->val == NULL || m->raw == NULL || f->val < m->raw)
		return (size_t)-1;
	for (t = f->tag; t >= 10; t /= 10)
		k++;
	if ((size_t)(f->val - m->raw) < k + 1)
		return 0;
	return (size_t)(f->val - m->raw) - 1 - k;
}

static void
issue(struct walk *w, int prio, int code, uint32_t fi, uint32_t tag, int rej,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void
issue(struct walk *w, int prio, int code, uint32_t fi, uint32_t tag, int rej,
    const char *fmt, ...)
{
	struct fixu_diag *d;
	va_list ap;
	int j;

	if (w->iss == NULL || w->max <= 0) {
		w->n++;
		return;
	}
	for (j = w->n; j > 0 && w->prio[j - 1] > prio; j--)
		continue;
	if (j >= w->max)
		return;
	memmove(&w->iss[j + 1], &w->iss[j], (size_t)((w->n < w->max ?
	    w->n : w->max - 1) - j) * sizeof(*w->iss));
	memmove(&w->prio[j + 1], &w->prio[j], (size_t)((w->n < w->max ?
	    w->n : w->max - 1) - j));
	if (w->n < w->max)
		w->n++;
	w->prio[j] = (unsigned char)prio;
	d = &w->iss[j];
	d->code = code;
	d->off = fi == UINT32_MAX ? (size_t)-1 : tagoff(w->m, fi);
	d->tag = tag;
	d->reject = rej;
	va_start(ap, fmt);
	(void)vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

static void
value_issue(struct walk *w, uint32_t i, const struct fixu_dfld *f, int rej)
{
	const struct fixu_field *fl = &w->m->f[i];
	int n = fl->len > 40 ? 40 : (int)fl->len;

	if (rej == FIXU_REJ_VALUE_OUT_OF_RANGE)
		issue(w, P_FIELD, FIXU_EINVALID, i, fl->tag, rej,
		    "value '%.*s' not in enum of %s (%u)", n, fl->val,
		    f->pub.name, fl->tag);
	else
		issue(w, P_FIELD, FIXU_EINVALID, i, fl->tag, rej,
		    "value '%.*s' of %s (%u) is not a valid %s", n, fl->val,
		    f->pub.name, fl->tag, fixu_type_name(f->pub.type));
}

/* Enum check of each space-separated element. */
static int
multi_enum_ok(const struct fixu_dfld *f, const char *v, size_t n)
{
	size_t i = 0, s;

	while (i < n) {
		while (i < n && v[i] == ' ')
			i++;
		s = i;
		while (i < n && v[i] != ' ')
			i++;
		if (i > s && !fixu_dfld_has_enum(f, v + s, i - s))
			return 0;
	}
	return 1;
}

static int	value_reject(const struct fixu_dfld *, const char *, size_t);

static void
check_value(struct walk *w, uint32_t i, const struct fixu_dfld *f)
{
	const struct fixu_field *fl = &w->m->f[i];
	int r;

	if (fl->len == 0) {
		if (w->flags & FIXU_V_HAVE_VALUES)
			issue(w, P_FIELD, FIXU_EINVALID, i, fl->tag,
			    FIXU_REJ_TAG_WITHOUT_VALUE, "%s (%u) has no value",
			    f->pub.name, fl->tag);
		return;
	}
	if ((w->flags & FIXU_V_VALUES) &&
	    (r = value_reject(f, fl->val, fl->len)) != 0)
		value_issue(w, i, f, r);
}

/* Report the required members of lay not set in seen. */
static void
missing(struct walk *w, const struct fixu_dlay *lay, const bool *seen,
    uint32_t fi, const char *where)
{
	uint32_t k;

	for (k = 0; k < lay->n; k++)
		if (lay->m[k].req && !seen[k])
			issue(w, P_REQUIRED, FIXU_EINVALID, fi, lay->m[k].tag,
			    FIXU_REJ_REQUIRED_MISSING, "required tag %u (%s) "
			    "missing%s", lay->m[k].tag, lay->m[k].f->pub.name,
			    where);
}

static void
end_instance(struct walk *w, struct frame *fr)
{
	char where[96];
	int r;

	if (!(w->flags & FIXU_V_REQUIRED) || fr->nreq == fr->lay->nreq ||
	    w->iss == NULL)
		return;
	r = snprintf(where, sizeof(where), " in instance %u of %s (%u)",
	    fr->count, fr->gname, fr->gtag);
	if (r < 0 || (size_t)r >= sizeof(where))
		where[0] = '\0';
	missing(w, fr->lay, fr->seen, fr->gidx, where);
}

static void
new_instance(struct walk *w, struct frame *fr)
{
	if (fr->count > 0)
		end_instance(w, fr);
	memset(fr->seen, 0, fr->lay->n);
	fr->nreq = 0;
	fr->last = 0;
	fr->count++;
}

static void
pop(struct walk *w)
{
	struct frame *fr = &w->st[w->depth];

	if (fr->count > 0)
		end_instance(w, fr);
	if (fr->declared != UINT32_MAX && fr->count != fr->declared)
		issue(w, P_GROUPCOUNT, FIXU_EINVALID, fr->gidx, fr->gtag,
		    FIXU_REJ_NUMINGROUP, "%s (%u) says %u, found %u",
		    fr->gname, fr->gtag, fr->declared, fr->count);
	w->poolused -= fr->lay->n;
	w->depth--;
}

static void
push(struct walk *w, uint32_t i, const struct fixu_dmem *mem)
{
	const struct fixu_field *fl = &w->m->f[i];
	const struct fixu_dlay *lay = mem->grp;
	struct frame *fr;
	uint64_t x;

	if (w->depth >= FIXU_MAX_GROUP_DEPTH ||
	    w->poolused + lay->n > FIXU_DICT_SEEN_BYTES) {
		issue(w, P_FIELD, FIXU_ELIMIT, i, fl->tag, FIXU_REJ_OTHER,
		    "groups too deep or too wide at %u", fl->tag);
		return;
	}
	fr = &w->st[++w->depth];
	fr->lay = lay;
	fr->seen = w->pool + w->poolused;
	w->poolused += lay->n;
	fr->nreq = 0;
	fr->last = 0;
	fr->count = 0;
	fr->gidx = i;
	fr->gtag = fl->tag;
	fr->gname = mem->f->pub.name;
	if (fl->len > 0 && fl->len <= 9 && isd((unsigned char)fl->val[0]) &&
	    fixu_parse_u64(fl->val, fl->len, &x) == 0)
		fr->declared = (uint32_t)x;
	else
		fr->declared = UINT32_MAX;
}

/* Field i fits nowhere at the top level. */
static void
unknown(struct walk *w, uint32_t i, int section)
{
	const struct fixu_field *fl = &w->m->f[i];
	const struct fixu_dfld *f;
	int check;

	if (w->pos != NULL) {
		w->pos[i].section = (uint8_t)section;
		w->pos[i].depth = 0;
		w->pos[i].known = 0;
		w->pos[i].group = UINT32_MAX;
		w->pos[i].instance = 0;
	}
	if (w->iss == NULL || (section == FIXU_SEC_BODY && w->msgunknown))
		return;
	f = fixu_dict_fld(w->app, fl->tag);
	if (f == NULL && w->tr != w->app)
		f = fixu_dict_fld(w->tr, fl->tag);
	check = fl->tag < 5000 || (w->flags & FIXU_V_USER_FIELDS);
	if (f == NULL) {
		if (check && (w->flags & FIXU_V_UNDEFINED_TAGS))
			issue(w, P_FIELD, FIXU_EINVALID, i, fl->tag,
			    FIXU_REJ_UNDEFINED_TAG, "tag %u is not defined",
			    fl->tag);
		return;
	}
	if (check && (w->flags & FIXU_V_UNKNOWN_FIELDS))
		issue(w, P_FIELD, FIXU_EINVALID, i, fl->tag,
		    FIXU_REJ_TAG_NOT_DEFINED_FOR_MSG, "%s (%u) is not "
		    "defined for this message", f->pub.name, fl->tag);
	check_value(w, i, f);
}

/*
 * Offer field i to the open groups, innermost first, closing those that do
 * not know it.  Returns its member in the group that does, or NULL when all
 * groups are closed.
 */
static const struct fixu_dmem *
in_group(struct walk *w, uint32_t i, uint32_t tag)
{
	const struct fixu_dmem *mem;
	struct frame *fr;
	uint32_t p;

	while (w->depth > 0) {
		fr = &w->st[w->depth];
		if (tag == fr->lay->m[0].tag) {
			/* A late delimiter joins the instance it should have
			   started. */
			if (fr->count == 0 || fr->seen[0])
				new_instance(w, fr);
			mem = &fr->lay->m[0];
			goto member;
		}
		if ((mem = fixu_lay_find(fr->lay, tag)) != NULL) {
			p = mem->pos;
			if (fr->count == 0) {
				issue(w, P_ORDER, FIXU_EINVALID, i, tag,
				    FIXU_REJ_GROUP_ORDER, "%s (%u) must start "
				    "with %s (%u), not %u", fr->gname,
				    fr->gtag, fr->lay->m[0].f->pub.name,
				    fr->lay->m[0].tag, tag);
				new_instance(w, fr);
			} else if (fr->seen[p])
				issue(w, P_REPEATED, FIXU_EINVALID, i, tag,
				    FIXU_REJ_REPEATED_TAG, "tag %u (%s) "
				    "repeated in instance %u of %s", tag,
				    mem->f->pub.name, fr->count, fr->gname);
			else if ((w->flags & FIXU_V_GROUP_ORDER) &&
			    p < fr->last)
				issue(w, P_FIELD, FIXU_EINVALID, i, tag,
				    FIXU_REJ_GROUP_ORDER, "%s (%u) out of order "
				    "in %s (%u)", mem->f->pub.name, tag,
				    fr->gname, fr->gtag);
			goto member;
		}
		pop(w);
	}
	return NULL;
member:
	p = mem->pos;
	if (!fr->seen[p]) {
		fr->seen[p] = 1;
		fr->nreq += mem->req;
	}
	if (p > fr->last)
		fr->last = p;
	if (w->pos != NULL) {
		w->pos[i].section = (uint8_t)w->sec;
		w->pos[i].depth = (uint8_t)w->depth;
		w->pos[i].known = 1;
		w->pos[i].group = fr->gidx;
		w->pos[i].instance = fr->count - 1;
	}
	return mem;
}

/*
 * Top-level member for tag with header, body and trailer in three tables
 * (FIXT.1.1, or an unknown MsgType); *s is its section.
 */
static const struct fixu_dmem *
split_find(const struct walk *w, uint32_t tag, int *s)
{
	const struct fixu_dmem *mem;

	if (w->sec == FIXU_SEC_HEADER &&
	    (mem = fixu_lay_find(w->top[0], tag)) != NULL) {
		*s = FIXU_SEC_HEADER;
		return mem;
	}
	if (w->sec <= FIXU_SEC_BODY && w->top[1] != NULL &&
	    (mem = fixu_lay_find(w->top[1], tag)) != NULL) {
		*s = FIXU_SEC_BODY;
		return mem;
	}
	if ((mem = fixu_lay_find(w->top[2], tag)) != NULL) {
		*s = FIXU_SEC_TRAILER;
		return mem;
	}
	if (w->sec > FIXU_SEC_BODY && w->top[1] != NULL &&
	    (mem = fixu_lay_find(w->top[1], tag)) != NULL) {
		*s = FIXU_SEC_BODY;
		return mem;
	}
	if (w->sec > FIXU_SEC_HEADER &&
	    (mem = fixu_lay_find(w->top[0], tag)) != NULL) {
		*s = FIXU_SEC_HEADER;
		return mem;
	}
	return NULL;
}

static void
order_issue(struct walk *w, uint32_t i, const struct fixu_dmem *mem, int s)
{
	issue(w, P_ORDER, FIXU_EINVALID, i, mem->tag, FIXU_REJ_ORDER,
	    "%s field %s (%u) after the %s", s == FIXU_SEC_HEADER ? "header" :
	    "body", mem->f->pub.name, mem->tag, w->sec == FIXU_SEC_BODY ?
	    "body" : "trailer");
}

static void
repeated_issue(struct walk *w, uint32_t i, const struct fixu_dmem *mem)
{
	issue(w, P_REPEATED, FIXU_EINVALID, i, mem->tag,
	    FIXU_REJ_REPEATED_TAG, "tag %u (%s) appears more than once",
	    mem->tag, mem->f->pub.name);
}

/* 8 digits at p, by SWAR. */
static inline int
digits8(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	x ^= 0x3030303030303030ull;
	return ((x | (x + 0x7676767676767676ull)) & 0x8080808080808080ull) ==
	    0;
}

/* UTCTIMESTAMP, the common case inline; the rest by fixu_type_check(). */
static int
ts_ok(const unsigned char *p, size_t n)
{
	static const unsigned char mdays[13] = {
		0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	uint64_t x;
	unsigned mo, dd;
	size_t k;

	if (n < 17 || !digits8(p) || p[8] != '-')
		return 0;
	/* "HH:MM:SS": digits except the colons, which XOR to 0x0a. */
	memcpy(&x, p + 9, 8);
	x ^= 0x30303a30303a3030ull;
	if (((x | (x + 0x7676767676767676ull)) & 0x8080808080808080ull) != 0 ||
	    (x & 0x0000ff0000ff0000ull) != 0)
		return 0;
	mo = d2(p + 4);
	dd = d2(p + 6);
	if (mo - 1 > 11 || dd - 1 >= mdays[mo] || d2(p + 9) > 23 ||
	    d2(p + 12) > 59 || d2(p + 15) > 60)
		return 0;
	if (mo == 2 && dd == 29 && chk_date(p) < 0)
		return 0;
	if (n == 17)
		return 1;
	if (p[17] != '.' || n == 18 || n > 27)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n <= 26) {
		/*
		 * The 1 to 8 fraction digits are the top bytes of the word
		 * ending at p + n; the bytes below them are checked above and
		 * carry nothing into them.
		 */
		memcpy(&x, p + n - 8, 8);
		x ^= 0x3030303030303030ull;
		return ((x | (x + 0x7676767676767676ull)) &
		    (0x8080808080808080ull << (8 * (26 - n)))) == 0;
	}
#endif
	for (k = 18; k < n; k++)
		if (!isd(p[k]))
			return 0;
	return 1;
}

static inline int
uint_ok(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isd(p[i]))
			return 0;
	return 1;
}

/* SessionRejectReason for a non-empty value of f, or 0 when it is good. */
static int
value_reject(const struct fixu_dfld *f, const char *v, size_t n)
{
	unsigned t = f->pub.type;

	if (t != FIXU_T_STRING && t != FIXU_T_DATA && t != FIXU_T_XMLDATA &&
	    fixu_type_check(t, v, n) < 0)
		return FIXU_REJ_BAD_DATA_FORMAT;
	if (f->pub.nenums == 0 || f->pub.tag == 35)
		return 0;
	if (t == FIXU_T_MULTIPLECHARVALUE ||
	    t == FIXU_T_MULTIPLEVALUESTRING ||
	    t == FIXU_T_MULTIPLESTRINGVALUE)
		return multi_enum_ok(f, v, n) ? 0 : FIXU_REJ_VALUE_OUT_OF_RANGE;
	return fixu_dfld_has_enum(f, v, n) ? 0 : FIXU_REJ_VALUE_OUT_OF_RANGE;
}

/*
 * The same for member mem, with the common types inline: a small leaf the
 * walk can afford for every field.
 */
static inline int
fast_reject(const struct fixu_dmem *mem, const char *v, size_t n)
{
	const unsigned char *u = (const unsigned char *)v;

	switch (mem->chk & 0x0f) {
	case FIXU_CHK_NONE:
		return 0;
	case FIXU_CHK_UINT:
		return uint_ok(u, n) ? 0 : FIXU_REJ_BAD_DATA_FORMAT;
	case FIXU_CHK_FLOAT:
		return chk_float(u, n) == 0 ? 0 : FIXU_REJ_BAD_DATA_FORMAT;
	case FIXU_CHK_CHARENUM:
		if (n != 1)
			return FIXU_REJ_BAD_DATA_FORMAT;
		return mem->f->cbits[u[0] >> 6] & (1ull << (u[0] & 63)) ? 0 :
		    FIXU_REJ_VALUE_OUT_OF_RANGE;
	case FIXU_CHK_STRENUM:
		return fixu_dfld_has_enum(mem->f, v, n) ? 0 :
		    FIXU_REJ_VALUE_OUT_OF_RANGE;
	case FIXU_CHK_TS:
		return ts_ok(u, n) ? 0 : FIXU_REJ_BAD_DATA_FORMAT;
	default:
		return value_reject(mem->f, v, n);
	}
}

/* Issues that do not depend on the fields' places. */
static void
preliminary(struct walk *w)
{
	static const uint32_t first3[3] = { 8, 9, 35 };
	const struct fixu_msg *m = w->m;
	const struct fixu_field *mt;
	uint32_t i;

	if ((w->flags & FIXU_V_LENGTH_CHECKSUM) && m->nf > 1 &&
	    m->bodylen != m->bodylen_real)
		issue(w, P_GARBLED, FIXU_EBODYLEN, 1, 9, FIXU_REJ_NONE,
		    "expected %u, got %u", m->bodylen_real, m->bodylen);
	if ((w->flags & FIXU_V_LENGTH_CHECKSUM) && m->nf > 0 &&
	    m->sum_declared != m->sum_real)
		issue(w, P_GARBLED, FIXU_ECHECKSUM, m->nf - 1, 10,
		    FIXU_REJ_NONE, "expected %03u, got %03u", m->sum_real,
		    m->sum_declared);
	for (i = 0; i < 3; i++)
		if (i >= m->nf || m->f[i].tag != first3[i]) {
			issue(w, P_FIRST3, FIXU_EORDER, i, first3[i],
			    FIXU_REJ_ORDER, "field %u is not %s (%u)", i + 1,
			    i == 0 ? "BeginString" : i == 1 ? "BodyLength" :
			    "MsgType", first3[i]);
			break;
		}
	if (w->msgunknown) {
		mt = m->i_msgtype < m->nf ? &m->f[m->i_msgtype] : NULL;
		issue(w, P_MSGTYPE, FIXU_EINVALID, m->i_msgtype, 35,
		    FIXU_REJ_INVALID_MSGTYPE, "MsgType '%.*s' is not in the "
		    "dictionary", mt ? (int)(mt->len > 20 ? 20 : mt->len) : 0,
		    mt ? mt->val : "");
	}
}

/*
 * The walk.  full: one table for header, body and trailer (the message's
 * full layout); split (then full is NULL): the three tables of w->top
 * instead.  split and layout are constants in each caller, so the compiler
 * makes a copy of this function for each, and the common case pays for no
 * branches it does not need.
 */
static inline __attribute__((always_inline)) int
walk(struct walk *w, const struct fixu_dlay *full, int split, int layout)
{
	const struct fixu_msg *m = w->m;
	const struct fixu_field *fl, *fields = m->f;
	const struct fixu_dmem *mem;
	struct fixu_fpos *pos = layout ? w->pos : NULL;
	const struct fixu_dmem *hslots = NULL;
	bool *seen, *tseen[3];
	uint32_t i, p, nf = m->nf, nreq = 0, want = 0, hshift = 0, ht;
	unsigned flags = w->flags;
	int s, k;

	if (!split) {
		if (full->n > FIXU_DICT_SEEN_BYTES)
			return FIXU_ELIMIT;
		tseen[0] = tseen[1] = tseen[2] = w->pool;
		w->poolused = full->n;
		want = full->nreq;
		/* full's table and shift in locals: the walk's stores (to
		   w->sec) may alias full's fields, which would then be
		   reloaded for every field. */
		hslots = full->h;
		hshift = full->shift;
	} else
		for (k = 0; k < 3; k++) {
			tseen[k] = w->pool + w->poolused;
			if (w->top[k] == NULL)
				continue;
			if (w->poolused + w->top[k]->n > FIXU_DICT_SEEN_BYTES)
				return FIXU_ELIMIT;
			w->poolused += w->top[k]->n;
			want += w->top[k]->nreq;
		}
	memset(w->pool, 0, w->poolused);
	if (w->iss != NULL)
		preliminary(w);
	for (i = 0; i < nf; i++) {
		fl = &fields[i];
		if (w->depth > 0 && (mem = in_group(w, i, fl->tag)) != NULL)
			goto value;
		if (!split) {
			/* The first probe inline; collisions and misses out
			   of line (tag 0 must not meet an empty slot). */
			mem = &hslots[FIXU_HASH32(fl->tag) >> hshift];
			if (((ht = mem->tag) != fl->tag || ht == 0) &&
			    (mem = fixu_lay_find(full, fl->tag)) == NULL)
				goto unknown;
			s = mem->chk >> 4;
		} else if ((mem = split_find(w, fl->tag, &s)) == NULL)
			goto unknown;
		if (s >= w->sec)
			w->sec = s;
		else if (flags & FIXU_V_ORDER)
			order_issue(w, i, mem, s);
		/* One table: one seen array for all three sections. */
		seen = split ? tseen[s] : w->pool;
		p = mem->pos;
		if (seen[p])
			repeated_issue(w, i, mem);
		else {
			seen[p] = 1;
			nreq += mem->req;
		}
		if (pos != NULL) {
			pos[i].section = (uint8_t)s;
			pos[i].depth = 0;
			pos[i].known = 1;
			pos[i].group = UINT32_MAX;
			pos[i].instance = 0;
		}
value:
		if (fl->len == 0) {
			if (flags & FIXU_V_HAVE_VALUES)
				check_value(w, i, mem->f);
		} else if ((flags & FIXU_V_VALUES) &&
		    (mem->chk & 0x0f) != FIXU_CHK_NONE &&
		    (k = fast_reject(mem, fl->val, fl->len)) != 0)
			value_issue(w, i, mem->f, k);
		if (mem->grp != NULL)
			push(w, i, mem);
		continue;
unknown:
		/* Like QuickFIX, a tag the header lacks starts the body. */
		if (w->sec == FIXU_SEC_HEADER)
			w->sec = FIXU_SEC_BODY;
		unknown(w, i, w->sec);
	}
	while (w->depth > 0)
		pop(w);
	if (w->iss != NULL && (flags & FIXU_V_REQUIRED) && nreq != want) {
		if (!split)
			missing(w, full, w->pool, UINT32_MAX, "");
		else
			for (k = 0; k < 3; k++)
				if (w->top[k] != NULL)
					missing(w, w->top[k], tseen[k],
					    UINT32_MAX, "");
	}
	return 0;
}

static int
walk_full(struct walk *w, const struct fixu_dlay *full)
{
	return walk(w, full, 0, 0);
}

static int
walk_split(struct walk *w)
{
	return walk(w, NULL, 1, 0);
}

static int
walk_layout(struct walk *w, const struct fixu_dlay *full)
{
	return walk(w, full, full == NULL, 1);
}

static int
run(struct walk *w)
{
	const struct fixu_msg *m = w->m;
	const struct fixu_dmsg *dm = NULL, *am;
	const struct fixu_field *fl;

	if (m->i_msgtype < m->nf) {
		fl = &m->f[m->i_msgtype];
		dm = fixu_dict_msg(w->tr, fl->val, fl->len);
		if (w->app != w->tr && (dm == NULL || !dm->admin) &&
		    (am = fixu_dict_msg(w->app, fl->val, fl->len)) != NULL)
			dm = am;
	}
	w->msgunknown = dm == NULL;
	w->sec = FIXU_SEC_HEADER;
	w->depth = 0;
	w->poolused = 0;
	w->n = 0;
	/* An admin message of the transport has its own full table too. */
	if (dm != NULL && dm->full != NULL && (w->app == w->tr ||
	    dm->lay == NULL || fixu_dict_msg(w->tr, dm->type, dm->typelen) ==
	    dm))
		return w->pos != NULL ? walk_layout(w, dm->full) :
		    walk_full(w, dm->full);
	w->top[0] = w->tr->hdr;
	w->top[1] = dm != NULL ? dm->lay : NULL;
	w->top[2] = w->tr->trl;
	return w->pos != NULL ? walk_layout(w, NULL) : walk_split(w);
}

int
fixu_dict_layout(const struct fixu_dict *tr, const struct fixu_dict *app,
    const struct fixu_msg *m, struct fixu_fpos *pos)
{
	struct walk w;
	int rc;

	if (tr == NULL || m == NULL || pos == NULL)
		return FIXU_EINVAL;
	w.tr = tr;
	w.app = app != NULL ? app : tr;
	w.m = m;
	w.flags = 0;
	w.pos = pos;
	w.iss = NULL;
	w.max = 0;
	if ((rc = run(&w)) < 0)
		return rc;
	return w.msgunknown ? FIXU_ENOTFOUND : 0;
}

int
fixu_dict_validate(const struct fixu_dict *tr, const struct fixu_dict *app,
    const struct fixu_msg *m, unsigned flags, struct fixu_diag *issues,
    int max, int *nissues)
{
	struct fixu_diag dummy;
	struct walk w;
	int rc;

	if (nissues != NULL)
		*nissues = 0;
	if (tr == NULL || m == NULL)
		return FIXU_EINVAL;
	if (issues == NULL || max <= 0) {
		/* Still find out whether there is anything to say. */
		issues = &dummy;
		max = 1;
	}
	w.tr = tr;
	w.app = app != NULL ? app : tr;
	w.m = m;
	w.flags = flags;
	w.pos = NULL;
	w.iss = issues;
	w.max = max > FIXU_MAX_ISSUES ? FIXU_MAX_ISSUES : max;
	if ((rc = run(&w)) < 0) {
		fixu_diag_set(&issues[0], rc, (size_t)-1, 0, FIXU_REJ_OTHER,
		    "message layout exceeds %u members",
		    FIXU_DICT_SEEN_BYTES);
		if (nissues != NULL && issues != &dummy)
			*nissues = 1;
		return rc;
	}
	if (nissues != NULL && issues != &dummy)
		*nissues = w.n;
	if (w.n == 0)
		return 0;
	return w.msgunknown ? FIXU_ENOTFOUND : FIXU_EINVALID;
}
