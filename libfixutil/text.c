/*
 * text.c -- readable forms of FIX messages: rendering in the DEFAULT, NAMES,
 * VERBOSE and WIRE modes, parsing readable lines back into wire form, and
 * finding FIX in log lines.  JSON lives in json.c.
 *
 * The DEFAULT renderer is the hot path of fixdec: one reservation per
 * message, a 256-entry class table to find the bytes that need escaping,
 * and runs of plain bytes copied with memcpy.  The tag text is copied from
 * the parsed message itself (it sits right before each value view), so a
 * typical field costs one scan and one memcpy.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "dict.h"
#include "err.h"
#include "fixlimits.h"
#include "text.h"

static const char hexdig[] = "0123456789abcdef";

/* Escape class: 0 plain, 1 escaped. */
static void
cls_build(unsigned char *cls, char delim)
{
	int c;

	for (c = 0; c < 256; c++)
		cls[c] = c < 0x20 || c == 0x7f || c == '\\';
	cls[(unsigned char)delim] = 1;
}

static inline char *
esc_one(char *o, unsigned char c, char delim)
{
	*o++ = '\\';
	if (c == '\\' || c == (unsigned char)delim) {
		*o++ = (char)c;
	} else if (c == '\n') {
		*o++ = 'n';
	} else if (c == '\r') {
		*o++ = 'r';
	} else {
		*o++ = 'x';
		*o++ = hexdig[c >> 4];
		*o++ = hexdig[c & 15];
	}
	return o;
}

/* Bytes v[0..n) take once escaped. */
static size_t
esc_len(const unsigned char *cls, const char *v, size_t n, char delim)
{
	size_t i, len = n;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)v[i];
		if (!cls[c])
			continue;
		if (c == '\\' || c == (unsigned char)delim || c == '\n' ||
		    c == '\r')
			len += 1;
		else
			len += 3;
	}
	return len;
}

/* Copy v escaped to o, which has room; returns the new end. */
static inline char *
esc_put(const unsigned char *cls, char delim, char *o, const char *v,
    size_t n)
{
	size_t i = 0, s;

	for (;;) {
		s = i;
		while (i < n && !cls[(unsigned char)v[i]])
			i++;
		memcpy(o, v + s, i - s);
		o += i - s;
		if (i == n)
			return o;
		o = esc_one(o, (unsigned char)v[i], delim);
		i++;
	}
}

static void
render_cls(struct fixu_render *r)
{
	char delim = r->delim ? r->delim : '|';

	if (r->clsdelim != delim || r->cls['\\'] == 0) {
		cls_build(r->cls, delim);
		r->clsdelim = delim;
	}
}

/* Append v escaped; reserves exactly when the cheap bound does not fit. */
static int
esc_append(const unsigned char *cls, char delim, struct fixu_buf *out,
    const char *v, size_t n)
{
	size_t need;
	int rc;

	need = n <= (SIZE_MAX - 16) / 4 ? n * 4 : SIZE_MAX;
	if (out->cap - out->len < need &&
	    fixu_buf_reserve(out, need) < 0) {
		need = esc_len(cls, v, n, delim);
		if ((rc = fixu_buf_reserve(out, need)) < 0)
			return rc;
	}
	out->len = (size_t)(esc_put(cls, delim, out->p + out->len, v, n) -
	    out->p);
	return 0;
}

int
fixu_text_escape(struct fixu_buf *out, const char *v, size_t n, char delim)
{
	unsigned char cls[256];

	if (delim == 0)
		delim = '|';
	cls_build(cls, delim);
	return esc_append(cls, delim, out, v, n);
}

static inline int
masked(const struct fixu_render *r, uint32_t tag)
{
	return (tag == 554 || tag == 925) && !(r->flags & FIXU_RENDER_NOMASK);
}

static inline size_t
ndigits(uint32_t t)
{
	size_t n = 1;

	while (t >= 10000) {
		t /= 10000;
		n += 4;
	}
	return n + (t >= 10) + (t >= 100) + (t >= 1000);
}

/* Write "TAG=" at o. */
static inline char *
put_tag(char *o, uint32_t tag)
{
	size_t k = ndigits(tag), i = k;

	do {
		o[--i] = (char)('0' + tag % 10);
		tag /= 10;
	} while (i > 0);
	o[k] = '=';
	return o + k + 1;
}

void
fixu_text_render_init(struct fixu_render *r)
{
	memset(r, 0, sizeof(*r));
	fixu_buf_init(&r->tmp, 0);
}

void
fixu_text_render_fini(struct fixu_render *r)
{
	if (r == NULL)
		return;
	free(r->pos);
	r->pos = NULL;
	r->poscap = 0;
	fixu_buf_fini(&r->tmp);
}

#define W8(b)	((uint64_t)(b) * 0x0101010101010101ULL)

/* 0x80 in every byte of w that is zero, nothing elsewhere (exact). */
static inline uint64_t
zero_bytes(uint64_t w)
{
	const uint64_t m = W8(0x7f);

	return ~(((w & m) + m) | w | m);
}

/*
 * The common case, a message of plain fields whose bytes are all there in
 * order: translate the raw bytes in one branch-free pass, the way tr(1)
 * does, and note whether any byte needs an escape.  Returns FIXU_EAGAIN
 * (leaving out unchanged) when the general path must run instead.
 */
static int
fast_default(struct fixu_render *r, const struct fixu_msg *m,
    struct fixu_buf *out, int nl)
{
	const unsigned char *cls = r->cls, *x = r->xlat;
	const unsigned char *p = (const unsigned char *)m->raw;
	const unsigned char din = (unsigned char)m->delim;
	size_t i, n = m->rawlen;
	unsigned char *o, bad = 0;
	uint32_t k;
	int c;

	if (!(r->flags & FIXU_RENDER_NOMASK))
		for (k = 0; k < m->nf; k++)
			if (masked(r, m->f[k].tag))
				return FIXU_EAGAIN;
	if ((unsigned char)r->xlin != din) {
		for (c = 0; c < 256; c++)
			r->xlat[c] = (unsigned char)c;
		r->xlat[din] = (unsigned char)r->clsdelim;
		r->xlin = (char)din;
	}
	if (out->cap - out->len < n + 1 && fixu_buf_reserve(out, n + 1) < 0)
		return FIXU_EAGAIN;
	o = (unsigned char *)out->p + out->len;
	i = 0;
	if (r->cls[(unsigned char)r->clsdelim] && din < 0x20) {
		/*
		 * Eight bytes a step: swap delimiters with a mask, and flag
		 * control bytes other than the delimiter, '\\', DEL and the
		 * output delimiter.
		 */
		const uint64_t sw = W8((unsigned char)(din ^
		    (unsigned char)r->clsdelim));
		uint64_t w, dm, flag = 0;

		for (; i + 8 <= n; i += 8) {
			memcpy(&w, p + i, 8);
			dm = zero_bytes(w ^ W8(din));
			flag |= (zero_bytes(w & W8(0xe0)) & ~dm) |
			    zero_bytes(w ^ W8('\\')) | zero_bytes(w ^ W8(0x7f)) |
			    zero_bytes(w ^ W8((unsigned char)r->clsdelim));
			w ^= ((dm >> 7) * 0xff) & sw;
			memcpy(o + i, &w, 8);
		}
		bad = flag != 0;
	}
	for (; i < n; i++) {
		c = p[i];
		o[i] = x[c];
		bad |= cls[c] & (c != din);
	}
	if (bad)
		return FIXU_EAGAIN;
	out->len += n;
	if (nl)
		out->p[out->len++] = '\n';
	return 0;
}

/*
 * DEFAULT mode.  The bound rawlen * 4 + fields * 12 covers any message
 * (values at most quadruple, tags at most 10 digits plus '=' and the
 * delimiter); when it does not fit under the buffer's cap the exact size is
 * counted first.
 */
int
fixu_text__default(struct fixu_render *r, const struct fixu_msg *m,
    struct fixu_buf *out, int nl)
{
	const unsigned char *cls = r->cls;
	const char delim = r->clsdelim;
	const struct fixu_field *f, *end;
	uintptr_t lo, hi, t;
	size_t need, k;
	char *o;
	int rc;

	if (m->ndata == 0 && m->rawlen > 0 && m->raw[m->rawlen - 1] == m->delim &&
	    m->nf > 0 && m->f[0].val == m->raw + 2 + ndigits(m->f[0].tag) - 1 &&
	    (rc = fast_default(r, m, out, nl)) != FIXU_EAGAIN)
		return rc;
	need = (size_t)m->nf * (FIXU_MAX_TAG_DIGITS + 2) + 8;
	if (m->rawlen < (SIZE_MAX - need) / 4)
		need += m->rawlen * 4;
	else
		need = SIZE_MAX;
	if (out->cap - out->len < need && fixu_buf_reserve(out, need) < 0) {
		need = 8;
		for (f = m->f, end = m->f + m->nf; f < end; f++)
			need += ndigits(f->tag) + 2 + (masked(r, f->tag) ? 4 :
			    esc_len(cls, f->val, f->len, delim));
		if ((rc = fixu_buf_reserve(out, need)) < 0)
			return rc;
	}
	o = out->p + out->len;
	lo = (uintptr_t)m->raw;
	hi = lo + m->rawlen;
	for (f = m->f, end = m->f + m->nf; f < end; f++) {
		k = ndigits(f->tag);
		t = (uintptr_t)f->val - k - 1;
		if (masked(r, f->tag)) {
			o = put_tag(o, f->tag);
			memcpy(o, "****", 4);
			o += 4;
		} else if (t >= lo && (uintptr_t)f->val <= hi &&
		    f->val[-1] == '=') {
			/*
			 * The tag text precedes the value in the parsed bytes:
			 * copy "TAG=" and the plain start of the value as one
			 * run.  With leading zeros in the tag the last k
			 * digits are still the tag.
			 */
			const char *v = f->val;
			size_t i = 0, n = f->len;

			while (i < n && !cls[(unsigned char)v[i]])
				i++;
			memcpy(o, v - k - 1, i + k + 1);
			o += i + k + 1;
			if (i < n)
				o = esc_put(cls, delim, o, v + i, n - i);
		} else {
			o = put_tag(o, f->tag);
			o = esc_put(cls, delim, o, f->val, f->len);
		}
		*o++ = delim;
	}
	if (nl)
		*o++ = '\n';
	out->len = (size_t)(o - out->p);
	return 0;
}

const struct fixu_dfield *
fixu_text__dfield(const struct fixu_dict *tr, const struct fixu_dict *app,
    uint32_t tag)
{
	const struct fixu_dfield *df = NULL;

	if (app != NULL)
		df = fixu_dict_field(app, tag);
	if (df == NULL && tr != NULL && tr != app)
		df = fixu_dict_field(tr, tag);
	return df;
}

const struct fixu_dmsg *
fixu_text__dmsg(const struct fixu_dict *tr, const struct fixu_dict *app,
    const char *v, size_t n)
{
	const struct fixu_dmsg *dm = NULL;

	if (app != NULL)
		dm = fixu_dict_msg(app, v, n);
	if (dm == NULL && tr != NULL && tr != app)
		dm = fixu_dict_msg(tr, v, n);
	return dm;
}

/* Name or description with bytes outside [A-Za-z0-9_.-] as '_'. */
static int
put_ident(struct fixu_buf *out, const char *s)
{
	size_t n = strlen(s), i;
	int rc;

	if ((rc = fixu_buf_reserve(out, n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out->p[out->len++] = (char)(isalnum(c) || c == '_' ||
		    c == '.' || c == '-' ? c : '_');
	}
	return 0;
}

/* Name of a field's value: the message name for MsgType, else the enum. */
static const char *
value_desc(const struct fixu_render *r, const struct fixu_dfield *df,
    const struct fixu_field *f)
{
	const struct fixu_dmsg *dm;

	if (f->tag == 35 && (dm = fixu_text__dmsg(r->tr, r->app, f->val,
	    f->len)) != NULL)
		return fixu_dmsg_name(dm);
	if (df->nenums == 0 || masked(r, f->tag))
		return NULL;
	return fixu_dict_enum(df, f->val, f->len);
}

/* One field as TAG=VALUE, escaped, masked. */
static int
put_field(struct fixu_render *r, struct fixu_buf *out,
    const struct fixu_field *f)
{
	int rc;

	if ((rc = fixu_buf_reserve(out, FIXU_MAX_TAG_DIGITS + 1)) < 0)
		return rc;
	out->len = (size_t)(put_tag(out->p + out->len, f->tag) - out->p);
	if (masked(r, f->tag))
		return fixu_buf_append(out, "****", 4);
	return esc_append(r->cls, r->clsdelim, out, f->val, f->len);
}

static int
render_names(struct fixu_render *r, const struct fixu_msg *m,
    struct fixu_buf *out)
{
	const struct fixu_dict *app = r->app ? r->app : r->tr;
	const struct fixu_dfield *df;
	const char *desc;
	uint32_t i;
	int rc;

	for (i = 0; i < m->nf; i++) {
		const struct fixu_field *f = &m->f[i];

		if ((rc = put_field(r, out, f)) < 0 ||
		    (rc = fixu_buf_putc(out, r->clsdelim)) < 0)
			return rc;
		df = fixu_text__dfield(r->tr, app, f->tag);
		if (df == NULL || df->name == NULL)
			continue;
		if ((rc = fixu_buf_putc(out, '{')) < 0 ||
		    (rc = put_ident(out, df->name)) < 0)
			return rc;
		if ((desc = value_desc(r, df, f)) != NULL &&
		    ((rc = fixu_buf_putc(out, '=')) < 0 ||
		    (rc = put_ident(out, desc)) < 0))
			return rc;
		if ((rc = fixu_buf_putc(out, '}')) < 0 ||
		    (rc = fixu_buf_putc(out, r->clsdelim)) < 0)
			return rc;
	}
	return fixu_buf_putc(out, '\n');
}

/*
 * Place the fields in groups when a dictionary is there; r->pos is NULL
 * (everything at top level) when there is none or the layout fails.
 */
int
fixu_text__layout(struct fixu_render *r, const struct fixu_msg *m,
    const struct fixu_fpos **pos)
{
	const struct fixu_dict *app = r->app ? r->app : r->tr;
	struct fixu_fpos *np;

	*pos = NULL;
	if (r->tr == NULL && app == NULL)
		return 0;
	if (m->nf > r->poscap) {
		uint32_t ncap = r->poscap ? r->poscap : 64;

		while (ncap < m->nf)
			ncap *= 2;
		if ((np = realloc(r->pos, ncap * sizeof(*np))) == NULL)
			return FIXU_ENOMEM;
		r->pos = np;
		r->poscap = ncap;
	}
	if (m->nf > 0 && fixu_dict_layout(r->tr ? r->tr : app, app, m,
	    r->pos) == 0)
		*pos = r->pos;
	return 0;
}

static int
put_indent(struct fixu_buf *out, unsigned depth)
{
	int rc;

	if ((rc = fixu_buf_reserve(out, 2 * (size_t)depth)) < 0)
		return rc;
	memset(out->p + out->len, ' ', 2 * (size_t)depth);
	out->len += 2 * (size_t)depth;
	return 0;
}

static int
put_escaped_tag(struct fixu_render *r, struct fixu_buf *out,
    const struct fixu_msg *m, uint32_t tag)
{
	struct fixu_str v = fixu_msg_get(m, tag);

	if (v.p == NULL)
		return fixu_buf_putc(out, '?');
	return esc_append(r->cls, r->clsdelim, out, v.p, v.n);
}

static int
render_verbose(struct fixu_render *r, const struct fixu_msg *m,
    struct fixu_buf *out)
{
	const struct fixu_dict *app = r->app ? r->app : r->tr;
	const struct fixu_fpos *pos;
	const struct fixu_dfield *df;
	const struct fixu_dmsg *dm = NULL;
	struct fixu_str mt = fixu_msg_get(m, 35);
	uint32_t i, lastgrp[FIXU_MAX_GROUP_DEPTH + 1];
	uint32_t lastinst[FIXU_MAX_GROUP_DEPTH + 1];
	const char *desc;
	unsigned depth, j;
	int rc;

	if ((rc = fixu_text__layout(r, m, &pos)) < 0)
		return rc;
	if (mt.p != NULL)
		dm = fixu_text__dmsg(r->tr, app, mt.p, mt.n);
	if ((rc = fixu_buf_puts(out, "# ")) < 0 ||
	    (rc = fixu_buf_puts(out, dm ? fixu_dmsg_name(dm) : "?")) < 0 ||
	    (rc = fixu_buf_puts(out, " (")) < 0 ||
	    (rc = put_escaped_tag(r, out, m, 35)) < 0 ||
	    (rc = fixu_buf_puts(out, ") ")) < 0 ||
	    (rc = put_escaped_tag(r, out, m, 8)) < 0 ||
	    (rc = fixu_buf_putc(out, ' ')) < 0 ||
	    (rc = put_escaped_tag(r, out, m, 49)) < 0 ||
	    (rc = fixu_buf_puts(out, "->")) < 0 ||
	    (rc = put_escaped_tag(r, out, m, 56)) < 0 ||
	    (rc = fixu_buf_puts(out, " seq ")) < 0 ||
	    (rc = put_escaped_tag(r, out, m, 34)) < 0 ||
	    (rc = fixu_buf_putc(out, '\n')) < 0)
		return rc;
	for (j = 0; j <= FIXU_MAX_GROUP_DEPTH; j++)
		lastgrp[j] = lastinst[j] = UINT32_MAX;
	for (i = 0; i < m->nf; i++) {
		const struct fixu_field *f = &m->f[i];

		depth = 0;
		if (pos != NULL) {
			depth = pos[i].depth;
			if (depth > FIXU_MAX_GROUP_DEPTH)
				depth = FIXU_MAX_GROUP_DEPTH;
			if (depth > 0 && (pos[i].group != lastgrp[depth] ||
			    pos[i].instance != lastinst[depth])) {
				lastgrp[depth] = pos[i].group;
				lastinst[depth] = pos[i].instance;
				for (j = depth + 1; j <= FIXU_MAX_GROUP_DEPTH;
				    j++)
					lastgrp[j] = lastinst[j] = UINT32_MAX;
				if ((rc = put_indent(out, depth)) < 0 ||
				    (rc = fixu_buf_printf(out, "- #%u\n",
				    pos[i].instance + 1)) < 0)
					return rc;
			}
		}
		if ((rc = put_indent(out, depth)) < 0 ||
		    (rc = put_field(r, out, f)) < 0)
			return rc;
		df = fixu_text__dfield(r->tr, app, f->tag);
		if (df != NULL && df->name != NULL) {
			if ((rc = fixu_buf_puts(out, "  ")) < 0 ||
			    (rc = fixu_buf_puts(out, df->name)) < 0)
				return rc;
			if ((desc = value_desc(r, df, f)) != NULL &&
			    ((rc = fixu_buf_puts(out, " = ")) < 0 ||
			    (rc = fixu_buf_puts(out, desc)) < 0))
				return rc;
		}
		if ((rc = fixu_buf_putc(out, '\n')) < 0)
			return rc;
	}
	return fixu_buf_putc(out, '\n');
}

/* Wire form: fields with SOH, data fields verbatim; passwords masked. */
static int
render_wire(struct fixu_render *r, const struct fixu_msg *m,
    struct fixu_buf *out)
{
	size_t need = (size_t)m->nf * (FIXU_MAX_TAG_DIGITS + 2) + 8;
	uint32_t i;
	char *o;
	int rc;

	if (m->rawlen > SIZE_MAX - need)
		return FIXU_ELIMIT;
	if ((rc = fixu_buf_reserve(out, need + m->rawlen)) < 0)
		return rc;
	o = out->p + out->len;
	for (i = 0; i < m->nf; i++) {
		const struct fixu_field *f = &m->f[i];

		o = put_tag(o, f->tag);
		if (masked(r, f->tag)) {
			memcpy(o, "****", 4);
			o += 4;
		} else {
			memcpy(o, f->val, f->len);
			o += f->len;
		}
		*o++ = FIXU_SOH;
	}
	if (r->flags & FIXU_RENDER_NL)
		*o++ = '\n';
	out->len = (size_t)(o - out->p);
	return 0;
}

int
fixu_text_render(struct fixu_render *r, const struct fixu_msg *m,
    struct fixu_buf *out, struct fixu_diag *d)
{
	size_t len0 = out->len;
	int rc;

	render_cls(r);
	switch (r->mode) {
	case FIXU_TEXT_DEFAULT:
		rc = fixu_text__default(r, m, out, 1);
		break;
	case FIXU_TEXT_NAMES:
		rc = render_names(r, m, out);
		break;
	case FIXU_TEXT_VERBOSE:
		rc = render_verbose(r, m, out);
		break;
	case FIXU_TEXT_JSON:
		rc = fixu_text__json(r, m, out);
		break;
	case FIXU_TEXT_WIRE:
		rc = render_wire(r, m, out);
		break;
	default:
		rc = FIXU_EINVAL;
		break;
	}
	if (rc < 0) {
		out->len = len0;
		return fixu_diag_set(d, rc, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "rendering a message");
	}
	return 0;
}

/*
 * Encoding: readable text in, wire out.  Values are unescaped into e->vals
 * and listed in e->f, then handed to the builder with header fields filled.
 */

void
fixu_text_encode_init(struct fixu_encode *e)
{
	memset(e, 0, sizeof(*e));
	fixu_build_init(&e->b);
	fixu_buf_init(&e->vals, 0);
}

void
fixu_text_encode_fini(struct fixu_encode *e)
{
	if (e == NULL)
		return;
	fixu_build_fini(&e->b);
	fixu_buf_fini(&e->vals);
	free(e->f);
	e->f = NULL;
	e->nf = e->cap = 0;
}

/* Start a field with tag; its value is appended to e->vals by the caller. */
int
fixu_text__add(struct fixu_encode *e, uint32_t tag)
{
	struct fixu_encfield *nf;

	if (e->nf == e->cap) {
		uint32_t ncap = e->cap ? e->cap * 2 : 64;

		if (e->cap >= FIXU_MAX_FIELDS)
			return FIXU_ELIMIT;
		if ((nf = realloc(e->f, ncap * sizeof(*nf))) == NULL)
			return FIXU_ENOMEM;
		e->f = nf;
		e->cap = ncap;
	}
	e->f[e->nf].tag = tag;
	e->f[e->nf].off = e->vals.len;
	e->f[e->nf].len = 0;
	e->nf++;
	return 0;
}

/* Close the last field: its value is everything appended since. */
void
fixu_text__end(struct fixu_encode *e)
{
	struct fixu_encfield *f = &e->f[e->nf - 1];

	f->len = e->vals.len - f->off;
}

/* A tag number, or a name the dictionaries know. */
int
fixu_text__key(struct fixu_encode *e, const char *k, size_t n,
    uint32_t *tag, struct fixu_diag *d, size_t off)
{
	const struct fixu_dict *app = e->app ? e->app : e->tr;
	const struct fixu_dfield *df;
	uint64_t v;
	size_t i;

	for (i = 0; i < n && k[i] >= '0' && k[i] <= '9'; i++)
		;
	if (n > 0 && i == n) {
		if (n > FIXU_MAX_TAG_DIGITS || fixu_parse_u64(k, n, &v) < 0 ||
		    v == 0 || v > FIXU_MAX_TAG)
			return fixu_diag_set(d, FIXU_ETAG, off, 0,
			    FIXU_REJ_INVALID_TAG, "bad tag '%.*s'",
			    (int)(n > 40 ? 40 : n), k);
		*tag = (uint32_t)v;
		return 0;
	}
	if (n == 0)
		return fixu_diag_set(d, FIXU_ETAG, off, 0,
		    FIXU_REJ_INVALID_TAG, "empty tag");
	if (e->tr == NULL && app == NULL)
		return fixu_diag_set(d, FIXU_ETAG, off, 0,
		    FIXU_REJ_INVALID_TAG,
		    "'%.*s' is not a tag number (no dictionary for names)",
		    (int)(n > 40 ? 40 : n), k);
	df = NULL;
	if (app != NULL)
		df = fixu_dict_field_byname(app, k, n);
	if (df == NULL && e->tr != NULL && e->tr != app)
		df = fixu_dict_field_byname(e->tr, k, n);
	if (df == NULL)
		return fixu_diag_set(d, FIXU_ENOTFOUND, off, 0,
		    FIXU_REJ_INVALID_TAG, "unknown field name '%.*s'",
		    (int)(n > 40 ? 40 : n), k);
	*tag = df->tag;
	return 0;
}

/*
 * Replace the value of the last field by the value its description names
 * (Side=BUY -> 54=1, MsgType=NewOrderSingle -> 35=D) when the value is not
 * valid as it stands.
 */
int
fixu_text__desc(struct fixu_encode *e)
{
	const struct fixu_dict *app = e->app ? e->app : e->tr;
	struct fixu_encfield *f = &e->f[e->nf - 1];
	const struct fixu_dfield *df;
	const struct fixu_dmsg *dm;
	const char *v = e->vals.p != NULL ? e->vals.p + f->off : "", *nv = NULL;

	if (e->tr == NULL && app == NULL)
		return 0;
	if ((df = fixu_text__dfield(e->tr, app, f->tag)) == NULL)
		return 0;
	if (f->tag == 35) {
		if (fixu_text__dmsg(e->tr, app, v, f->len) != NULL)
			return 0;
		dm = app ? fixu_dict_msg_byname(app, v, f->len) : NULL;
		if (dm == NULL && e->tr != NULL && e->tr != app)
			dm = fixu_dict_msg_byname(e->tr, v, f->len);
		if (dm != NULL)
			nv = fixu_dmsg_type(dm);
	}
	if (nv == NULL) {
		if (df->nenums == 0 || fixu_dict_enum(df, v, f->len) != NULL)
			return 0;
		nv = fixu_dict_enum_byname(df, v, f->len);
	}
	if (nv == NULL)
		return 0;
	e->vals.len = f->off;
	f->len = 0;
	if (fixu_buf_puts(&e->vals, nv) < 0)
		return FIXU_ELIMIT;
	fixu_text__end(e);
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Delimiter of a text line: after the BeginString value, or after the
 * first value when there is no 8= at the start. */
static char
detect_delim(const char *p, size_t n)
{
	size_t i = 0;

	if (n > 2 && ((p[0] == '8' && p[1] == '=') ||
	    (n > 12 && memcmp(p, "BeginString=", 12) == 0))) {
		i = p[0] == '8' ? 2 : 12;
		while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '.'))
			i++;
		return i < n ? p[i] : '|';
	}
	for (; i < n && p[i] != '='; i++)
		;
	for (; i < n; i++)
		if (p[i] == FIXU_SOH || p[i] == '|' || p[i] == ';' ||
		    p[i] == ',' || p[i] == '\t' || p[i] == '^')
			return p[i];
	return '|';
}

static int
encode_text(struct fixu_encode *e, const char *p, size_t n, size_t base,
    struct fixu_diag *d)
{
	unsigned char cls[256];
	char delim = e->delim ? e->delim : detect_delim(p, n);
	size_t i = 0, s, ks, ke;
	uint32_t tag;
	int c, h, l, rc;

	memset(cls, 0, sizeof(cls));
	cls['\\'] = 1;
	cls[(unsigned char)delim] = 1;
	while (i < n) {
		s = i;
		if (p[i] == delim) {		/* empty field: "||" */
			i++;
			continue;
		}
		if (p[i] == '{') {		/* NAMES pseudo-field */
			while (i < n && p[i] != delim)
				i++;
			continue;
		}
		ks = i;
		while (i < n && p[i] != '=' && p[i] != delim)
			i++;
		ke = i;
		if (delim != ' ') {
			while (ks < ke && p[ks] == ' ')
				ks++;
			while (ke > ks && p[ke - 1] == ' ')
				ke--;
		}
		if (i == n || p[i] == delim) {
			if (ks == ke) {		/* blanks after the last one */
				continue;
			}
			return fixu_diag_set(d, FIXU_ENOEQ, base + s, 0,
			    FIXU_REJ_NONE, "'%.*s'",
			    (int)(i - s > 40 ? 40 : i - s), p + s);
		}
		if ((rc = fixu_text__key(e, p + ks, ke - ks, &tag, d,
		    base + ks)) < 0)
			return rc;
		if ((rc = fixu_text__add(e, tag)) < 0)
			return fixu_diag_set(d, rc, base + s, tag,
			    FIXU_REJ_NONE, "too many fields");
		i++;
		for (;;) {
			size_t r = i;

			while (i < n && !cls[(unsigned char)p[i]])
				i++;
			if ((rc = fixu_buf_append(&e->vals, p + r, i - r)) < 0)
				return fixu_diag_set(d, rc, base + r, tag,
				    FIXU_REJ_NONE, "value too long");
			if (i == n || p[i] == delim)
				break;
			/* backslash */
			if (i + 1 == n)
				return fixu_diag_set(d, FIXU_ESYNTAX, base + i,
				    tag, FIXU_REJ_NONE,
				    "backslash at end of line");
			c = (unsigned char)p[i + 1];
			if (c == '\\' || c == (unsigned char)delim) {
				i += 2;
			} else if (c == 'n') {
				c = '\n';
				i += 2;
			} else if (c == 'r') {
				c = '\r';
				i += 2;
			} else if (c == 't') {
				c = '\t';
				i += 2;
			} else if (c == 'x' && i + 3 < n &&
			    (h = hexval(p[i + 2])) >= 0 &&
			    (l = hexval(p[i + 3])) >= 0) {
				c = h << 4 | l;
				i += 4;
			} else {
				return fixu_diag_set(d, FIXU_ESYNTAX, base + i,
				    tag, FIXU_REJ_NONE, "bad escape '\\%.*s'",
				    c == 'x' ? (int)(n - i - 1 > 3 ? 3 :
				    n - i - 1) : 1, p + i + 1);
			}
			if ((rc = fixu_buf_putc(&e->vals, c)) < 0)
				return fixu_diag_set(d, rc, base + i, tag,
				    FIXU_REJ_NONE, "value too long");
		}
		fixu_text__end(e);
		if ((rc = fixu_text__desc(e)) < 0)
			return fixu_diag_set(d, rc, base + s, tag,
			    FIXU_REJ_NONE, "value too long");
		if (i < n)
			i++;
	}
	return 0;
}

/* Which header field, if any, replaces field k. */
static const struct fixu_field *
hdr_for(const struct fixu_encode *e, uint32_t tag)
{
	uint32_t j;

	for (j = 0; j < e->nhdr; j++)
		if (e->hdr[j].tag == tag)
			return &e->hdr[j];
	return NULL;
}

static int
encode_build(struct fixu_encode *e, struct fixu_str *out, struct fixu_diag *d)
{
	const char *bs = e->begin ? e->begin : "FIX.4.4";
	size_t bn = strlen(bs);
	const struct fixu_field *h;
	uint32_t i, j, i35 = UINT32_MAX, seen = 0;
	int rc;

	for (i = 0; i < e->nf; i++) {
		if (e->f[i].tag == 8 && !(e->flags & FIXU_ENC_FORCE_BEGIN)) {
			bs = e->vals.p + e->f[i].off;
			bn = e->f[i].len;
			break;
		}
	}
	for (i = 0; i < e->nf; i++)
		if (e->f[i].tag == 35) {
			i35 = i;
			break;
		}
	if (i35 == UINT32_MAX)
		return fixu_diag_set(d, FIXU_ESYNTAX, 0, 35,
		    FIXU_REJ_REQUIRED_MISSING, "no MsgType (35)");
	if ((rc = fixu_build_begin(&e->b, bs, bn, FIXU_SOH)) < 0)
		return fixu_diag_set(d, rc, 0, 8, FIXU_REJ_NONE,
		    "bad BeginString '%.*s'", (int)(bn > 40 ? 40 : bn), bs);
	/* A header field the line already has: seen bit j. */
	for (j = 0; j < e->nhdr && j < 32; j++)
		for (i = 0; i < e->nf; i++)
			if (e->f[i].tag == e->hdr[j].tag) {
				seen |= 1u << j;
				break;
			}
	for (i = 0; i < e->nf; i++) {
		const struct fixu_encfield *f = &e->f[i];

		if (f->tag == 8 || f->tag == 9 || f->tag == 10)
			continue;
		h = NULL;
		if ((e->flags & FIXU_ENC_HDR_REPLACE) &&
		    (h = hdr_for(e, f->tag)) != NULL) {
			/* Only the first occurrence is replaced. */
			for (j = 0; j < i; j++)
				if (e->f[j].tag == f->tag)
					h = NULL;
		}
		if (h != NULL)
			rc = fixu_build_add(&e->b, f->tag, h->val, h->len);
		else
			rc = fixu_build_add(&e->b, f->tag, e->vals.p + f->off,
			    f->len);
		if (rc < 0)
			goto fail;
		if (i != i35)
			continue;
		for (j = 0; j < e->nhdr; j++) {
			if (j < 32 && (seen & (1u << j)))
				continue;
			if ((rc = fixu_build_add(&e->b, e->hdr[j].tag,
			    e->hdr[j].val, e->hdr[j].len)) < 0)
				goto fail;
		}
	}
	if ((rc = fixu_build_finish(&e->b, out)) < 0)
		goto fail;
	return 0;
fail:
	return fixu_diag_set(d, rc, 0, 0, FIXU_REJ_NONE,
	    rc == FIXU_ELIMIT ? "message too long" : "building the message");
}

/*
 * The value after the first of the keys in p[0..n) ("8=" at the start of
 * a readable line, "|1128=", "\"BeginString\":\"" in JSON ...), up to the
 * next delimiter, '|' or '"'.  A look ahead, so that names in the line are
 * read with the dictionary of the line's own version.
 */
static size_t
peek(const char *p, size_t n, const char *const *keys, char *out,
    size_t cap)
{
	size_t i, j, k, klen;

	for (k = 0; keys[k] != NULL; k++) {
		klen = strlen(keys[k]);
		for (i = 0; i + klen <= n; i++) {
			if (memcmp(p + i, keys[k], klen) != 0)
				continue;
			if (klen > 2 && keys[k][0] == '8' && i != 0)
				continue;
			i += klen;
			for (j = 0; i + j < n && j + 1 < cap; j++) {
				char c = p[i + j];

				if (c == '|' || c == '"' || c == FIXU_SOH ||
				    c == ';' || c == '^' || c == ',' || c == ' ')
					break;
				out[j] = c;
			}
			out[j] = '\0';
			return j;
		}
	}
	out[0] = '\0';
	return 0;
}

static void
pick_dicts(struct fixu_encode *e, const char *line, size_t n)
{
	static const char *const bkeys[] = { "8=", "BeginString=",
	    "\"BeginString\":\"", "\"8\":\"", NULL };
	static const char *const akeys[] = { "1128=", "ApplVerID=",
	    "\"ApplVerID\":\"", "\"1128\":\"", NULL };
	struct fixu_diag d;
	char bs[40], av[40];
	const char *ver;

	e->tr = e->app = NULL;
	if (peek(line, n, bkeys, bs, sizeof(bs)) == 0 ||
	    (line[0] != '{' && strncmp(line, "8=", 2) != 0 &&
	    strncmp(line, "BeginString=", 12) != 0))
		ver = e->begin != NULL ? e->begin : "FIX.4.4";
	else
		ver = bs;
	if (fixu_dicts_get(e->dicts, ver, &e->tr, &d) < 0) {
		e->tr = NULL;
		return;
	}
	e->app = e->tr;
	if (strcmp(ver, "FIXT.1.1") == 0) {
		ver = e->applverid != NULL ? e->applverid : "FIX.5.0SP2";
		if (peek(line, n, akeys, av, sizeof(av)) > 0) {
			/* A description such as FIX50_SP2 stands for "9". */
			const struct fixu_dfield *df = fixu_dict_field(e->tr,
			    1128);
			const char *val = df != NULL ? fixu_dict_enum_byname(df,
			    av, strlen(av)) : NULL;

			ver = val != NULL ? val : av;
		}
		if (fixu_dicts_get(e->dicts, ver, &e->app, &d) < 0)
			e->app = e->tr;
	}
}

int
fixu_text_encode(struct fixu_encode *e, const char *line, size_t n,
    struct fixu_str *out, struct fixu_diag *d)
{
	size_t s = 0;
	int rc;

	fixu_diag_clear(d);
	if (e->b.b.max == 0)
		fixu_build_init(&e->b);
	e->nf = 0;
	e->vals.len = 0;
	e->depth = 0;
	/* Values are views into vals: keep it allocated so none is NULL. */
	if (e->vals.p == NULL && fixu_buf_reserve(&e->vals, 256) < 0)
		return fixu_diag_set(d, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE, NULL);
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	while (s < n && (line[s] == ' ' || line[s] == '\t'))
		s++;
	if (s == n)
		return fixu_diag_set(d, FIXU_ESYNTAX, s, 0, FIXU_REJ_NONE,
		    "empty line");
	if (e->dicts != NULL)
		pick_dicts(e, line + s, n - s);
	if (line[s] == '{')
		rc = fixu_text__encode_json(e, line, n, d);
	else
		rc = encode_text(e, line + s, n - s, s, d);
	if (rc < 0)
		return rc;
	return encode_build(e, out, d);
}

/* Finding FIX in log lines. */

int
fixu_text_scan(const char *p, size_t n, int delim, size_t *prefix,
    int *found)
{
	const char *q;
	size_t i = 0, s, j, k;
	int dl;

	while (i + 5 <= n &&
	    (q = memchr(p + i, '8', n - i - 4)) != NULL) {
		s = (size_t)(q - p);
		i = s + 1;
		if (memcmp(q, "8=FIX", 5) != 0)
			continue;
		if (s > 0 && isalnum((unsigned char)p[s - 1]))
			continue;
		for (j = s + 5; j < n && (isalnum((unsigned char)p[j]) ||
		    p[j] == '.'); j++)
			;
		if (j == n)
			break;
		if (p[j] == '^' && j + 1 < n && p[j + 1] == 'A' &&
		    delim != '^') {
			dl = FIXU_DELIM_CARET_A;
			k = j + 2;
		} else {
			if (p[j] == '=' || p[j] == ' ')
				continue;
			dl = (unsigned char)p[j];
			k = j + 1;
		}
		if (delim != 0 && dl != delim)
			continue;
		if (k + 2 > n || p[k] != '9' || p[k + 1] != '=')
			continue;
		*prefix = s;
		*found = dl;
		return 0;
	}
	return FIXU_ENOTFOUND;
}

int
fixu_text_caret_a(struct fixu_buf *out, const char *p, size_t n)
{
	const char *q, *end = p + n;
	int rc;

	if ((rc = fixu_buf_reserve(out, n)) < 0)
		return rc;
	while ((q = memchr(p, '^', (size_t)(end - p))) != NULL) {
		if (q + 1 < end && q[1] == 'A') {
			memcpy(out->p + out->len, p, (size_t)(q - p));
			out->len += (size_t)(q - p);
			out->p[out->len++] = FIXU_SOH;
			p = q + 2;
		} else {
			memcpy(out->p + out->len, p, (size_t)(q + 1 - p));
			out->len += (size_t)(q + 1 - p);
			p = q + 1;
		}
	}
	if (end > p) {
		memcpy(out->p + out->len, p, (size_t)(end - p));
		out->len += (size_t)(end - p);
	}
	return 0;
}
