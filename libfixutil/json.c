/*
 * json.c -- the JSON half of the text module (jansson): a parsed message
 * to one JSON object and a JSON line back to fields for the encoder.
 *
 * The object is built in message order (jansson keeps insertion order).
 * Groups come from fixu_dict_layout(): a NumInGroup field whose instances
 * the layout found, and whose count says exactly that many, becomes an
 * array of objects; anything else stays flat, so that every message, valid
 * or not, comes back byte for byte.  See text.h for the encoding rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "codec.h"
#include "dict.h"
#include "err.h"
#include "fixlimits.h"
#include "text.h"

#define KEYMAX	256

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_encode(struct fixu_buf *out, const unsigned char *p, size_t n)
{
	size_t i;
	char *o;
	int rc;

	if (n > (SIZE_MAX / 4) * 3 - 3)
		return FIXU_ELIMIT;
	if ((rc = fixu_buf_reserve(out, (n + 2) / 3 * 4)) < 0)
		return rc;
	o = out->p + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < n) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	out->len = (size_t)(o - out->p);
	return 0;
}

static int
b64_val(int c)
{
	const char *q;

	if (c == 0 || (q = strchr(b64, c)) == NULL)
		return -1;
	return (int)(q - b64);
}

static int
b64_decode(struct fixu_buf *out, const char *p, size_t n)
{
	size_t i;
	int v[4], k, rc;

	if (n % 4 != 0)
		return FIXU_ESYNTAX;
	if ((rc = fixu_buf_reserve(out, n / 4 * 3)) < 0)
		return rc;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++) {
			if (p[i + k] == '=' && i + 4 == n && k >= 2 &&
			    (k == 3 || p[i + 3] == '='))
				v[k] = -2;
			else if ((v[k] = b64_val((unsigned char)p[i + k])) < 0)
				return FIXU_ESYNTAX;
		}
		out->p[out->len++] = (char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out->p[out->len++] = (char)((v[1] & 15) << 4 |
			    v[2] >> 2);
		if (v[3] >= 0) {
			if (v[2] < 0)
				return FIXU_ESYNTAX;
			out->p[out->len++] = (char)((v[2] & 3) << 6 | v[3]);
		}
	}
	return 0;
}

/* Rendering. */

struct jctx {
	struct fixu_render	*r;
	const struct fixu_msg	*m;
	const struct fixu_fpos	*pos;
	const struct fixu_dict	*app;
};

static int
jkey(const struct jctx *c, uint32_t tag, char *key)
{
	const struct fixu_dfield *df;
	int n;

	df = fixu_text__dfield(c->r->tr, c->app, tag);
	if (df != NULL && df->name != NULL)
		n = snprintf(key, KEYMAX, "%s", df->name);
	else
		n = snprintf(key, KEYMAX, "%u", tag);
	if (n < 0 || n >= KEYMAX - 12)
		return FIXU_ELIMIT;
	return 0;
}

/* A string when v is UTF-8, else {"base64": ...}. */
static json_t *
jvalue(struct jctx *c, const struct fixu_field *f)
{
	struct fixu_buf *t = &c->r->tmp;
	json_t *v;

	if ((f->tag == 554 || f->tag == 925) &&
	    !(c->r->flags & FIXU_RENDER_NOMASK))
		return json_string("****");
	if ((v = json_stringn(f->val, f->len)) != NULL)
		return v;
	t->len = 0;
	if (b64_encode(t, (const unsigned char *)f->val, f->len) < 0)
		return NULL;
	return json_pack("{s:s%}", "base64", t->p, t->len);
}

struct jlast {
	uint32_t	tag;		/* 0: none to merge with */
	int		arr;		/* value is an array of repeats */
	char		key[KEYMAX];
};

static int
add_plain(struct jctx *c, json_t *obj, const struct fixu_field *f,
    struct jlast *last)
{
	char key[KEYMAX];
	json_t *v, *prev, *a;
	size_t kl;
	int k, rc;

	if ((rc = jkey(c, f->tag, key)) < 0)
		return rc;
	if ((v = jvalue(c, f)) == NULL)
		return FIXU_ENOMEM;
	if (last->tag == f->tag &&
	    (prev = json_object_get(obj, last->key)) != NULL) {
		if (last->arr)
			return json_array_append_new(prev, v) ? FIXU_ENOMEM : 0;
		if ((a = json_array()) == NULL ||
		    json_array_append(a, prev) ||
		    json_array_append_new(a, v) ||
		    json_object_set_new(obj, last->key, a)) {
			json_decref(a);
			return FIXU_ENOMEM;
		}
		last->arr = 1;
		return 0;
	}
	if (json_object_get(obj, key) != NULL) {
		kl = strlen(key);
		for (k = 2; ; k++) {
			(void)snprintf(key + kl, KEYMAX - kl, "#%d", k);
			if (json_object_get(obj, key) == NULL)
				break;
		}
	}
	if (json_object_set_new(obj, key, v))
		return FIXU_ENOMEM;
	last->tag = f->tag;
	last->arr = 0;
	memcpy(last->key, key, sizeof(last->key));
	return 0;
}

/* Canonical decimal of n equals the value? */
static int
count_is(const struct fixu_field *f, size_t n)
{
	char tmp[24];
	int k = snprintf(tmp, sizeof(tmp), "%zu", n);

	return k > 0 && (size_t)k == f->len && memcmp(tmp, f->val, f->len) == 0;
}

/*
 * Fill obj with the fields from *ip on that belong to instance inst of the
 * group whose NumInGroup field is grp (UINT32_MAX: the top level, which
 * takes every field left).
 */
static int
fill(struct jctx *c, json_t *obj, uint32_t grp, uint32_t inst, uint32_t *ip,
    int depth)
{
	const struct fixu_msg *m = c->m;
	const struct fixu_fpos *pos = c->pos;
	struct jlast last;
	char key[KEYMAX];
	json_t *arr, *o;
	uint32_t i = *ip, j, k;
	int rc;

	last.tag = 0;
	while (i < m->nf) {
		if (pos != NULL && grp != UINT32_MAX &&
		    (pos[i].group != grp || pos[i].instance != inst))
			break;
		if (pos == NULL || depth >= FIXU_MAX_GROUP_DEPTH ||
		    i + 1 >= m->nf || pos[i + 1].group != i) {
			if ((rc = add_plain(c, obj, &m->f[i], &last)) < 0)
				return rc;
			i++;
			continue;
		}
		if ((arr = json_array()) == NULL)
			return FIXU_ENOMEM;
		j = i + 1;
		while (j < m->nf && pos[j].group == i) {
			if ((o = json_object()) == NULL ||
			    json_array_append_new(arr, o)) {
				json_decref(arr);
				return FIXU_ENOMEM;
			}
			if ((rc = fill(c, o, i, pos[j].instance, &j,
			    depth + 1)) < 0) {
				json_decref(arr);
				return rc;
			}
		}
		if (count_is(&m->f[i], json_array_size(arr)) &&
		    (rc = jkey(c, m->f[i].tag, key)) == 0 &&
		    json_object_get(obj, key) == NULL) {
			if (json_object_set_new(obj, key, arr))
				return FIXU_ENOMEM;
			last.tag = 0;
		} else {
			/* Not a group we can show faithfully: flat. */
			json_decref(arr);
			for (k = i; k < j; k++)
				if ((rc = add_plain(c, obj, &m->f[k],
				    &last)) < 0)
					return rc;
		}
		i = j;
	}
	*ip = i;
	return 0;
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	return fixu_buf_append(arg, p, n) < 0 ? -1 : 0;
}

/* "_raw" must be UTF-8 too: bytes >= 0x80 then become \xHH (decodable). */
static json_t *
raw_string(struct fixu_buf *t)
{
	static const char hex[] = "0123456789abcdef";
	json_t *v;
	size_t i, n = t->len;
	char *o;

	if ((v = json_stringn(t->p, n)) != NULL)
		return v;
	if (n > SIZE_MAX / 5 || fixu_buf_reserve(t, n * 4) < 0)
		return NULL;
	o = t->p + n;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)t->p[i];

		if (ch < 0x80) {
			*o++ = (char)ch;
			continue;
		}
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hex[ch >> 4];
		*o++ = hex[ch & 15];
	}
	return json_stringn(t->p + n, (size_t)(o - t->p) - n);
}

int
fixu_text__json(struct fixu_render *r, const struct fixu_msg *m,
    struct fixu_buf *out)
{
	struct jctx c;
	json_t *root, *v;
	uint32_t i = 0;
	int rc;

	c.r = r;
	c.m = m;
	c.app = r->app ? r->app : r->tr;
	if ((rc = fixu_text__layout(r, m, &c.pos)) < 0)
		return rc;
	if ((root = json_object()) == NULL)
		return FIXU_ENOMEM;
	if (!(r->flags & FIXU_RENDER_NORAW)) {
		r->tmp.len = 0;
		if ((rc = fixu_text__default(r, m, &r->tmp, 0)) < 0)
			goto fail;
		rc = FIXU_ENOMEM;
		if ((v = raw_string(&r->tmp)) == NULL ||
		    json_object_set_new(root, "_raw", v))
			goto fail;
	}
	if ((rc = fill(&c, root, UINT32_MAX, 0, &i, 0)) < 0)
		goto fail;
	rc = FIXU_ELIMIT;
	if (json_dump_callback(root, dump_cb, out,
	    JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
		goto fail;
	json_decref(root);
	return fixu_buf_putc(out, '\n');
fail:
	json_decref(root);
	return rc;
}

/* Parsing. */

struct jin {
	struct fixu_encode	*e;
	const char		*line;
	size_t			 n;
	struct fixu_diag	*d;
};

/* Where key first appears in the line, for diagnostics. */
static size_t
key_off(const struct jin *in, const char *key)
{
	char pat[KEYMAX + 2];
	size_t i;
	int k;

	k = snprintf(pat, sizeof(pat), "\"%s\"", key);
	if (k < 0 || (size_t)k >= sizeof(pat))
		return 0;
	for (i = 0; i + (size_t)k <= in->n; i++)
		if (memcmp(in->line + i, pat, (size_t)k) == 0)
			return i;
	return 0;
}

static int
is_b64obj(json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	    json_is_string(json_object_get(v, "base64"));
}

/* One scalar value (string, base64 object, number, boolean) as a field. */
static int
jscalar(struct jin *in, uint32_t tag, json_t *v, const char *key)
{
	struct fixu_encode *e = in->e;
	char tmp[64];
	const char *p;
	size_t n;
	int k, rc;

	if ((rc = fixu_text__add(e, tag)) < 0)
		goto fail;
	switch (json_typeof(v)) {
	case JSON_STRING:
		rc = fixu_buf_append(&e->vals, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_OBJECT:
		if (!is_b64obj(v))
			return fixu_diag_set(in->d, FIXU_ESYNTAX,
			    key_off(in, key), tag, FIXU_REJ_NONE,
			    "\"%s\": object is neither a group instance "
			    "nor {\"base64\": ...}", key);
		v = json_object_get(v, "base64");
		p = json_string_value(v);
		n = json_string_length(v);
		if ((rc = b64_decode(&e->vals, p, n)) == FIXU_ESYNTAX)
			return fixu_diag_set(in->d, rc, key_off(in, key), tag,
			    FIXU_REJ_NONE, "\"%s\": bad base64", key);
		break;
	case JSON_INTEGER:
		k = snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		rc = k < 0 || (size_t)k >= sizeof(tmp) ? FIXU_ELIMIT :
		    fixu_buf_append(&e->vals, tmp, (size_t)k);
		break;
	case JSON_REAL:
		k = snprintf(tmp, sizeof(tmp), "%.15g", json_real_value(v));
		rc = k < 0 || (size_t)k >= sizeof(tmp) ? FIXU_ELIMIT :
		    fixu_buf_append(&e->vals, tmp, (size_t)k);
		break;
	case JSON_TRUE:
		rc = fixu_buf_putc(&e->vals, 'Y');
		break;
	case JSON_FALSE:
		rc = fixu_buf_putc(&e->vals, 'N');
		break;
	default:
		return fixu_diag_set(in->d, FIXU_ESYNTAX, key_off(in, key),
		    tag, FIXU_REJ_NONE, "\"%s\": unexpected value", key);
	}
	if (rc < 0)
		goto fail;
	fixu_text__end(e);
	if (json_is_string(v) && (rc = fixu_text__desc(e)) < 0)
		goto fail;
	return 0;
fail:
	return fixu_diag_set(in->d, rc, key_off(in, key), tag, FIXU_REJ_NONE,
	    rc == FIXU_ENOMEM ? "out of memory" : "\"%s\": too long", key);
}

static int
jobj(struct jin *in, json_t *obj, int depth)
{
	struct fixu_encode *e = in->e;
	const struct fixu_dfield *df;
	const char *key;
	json_t *v, *el;
	size_t kl, idx;
	uint32_t tag;
	char tmp[24];
	int rc, k;

	if (depth > FIXU_MAX_GROUP_DEPTH)
		return fixu_diag_set(in->d, FIXU_ELIMIT, 0, 0, FIXU_REJ_NONE,
		    "groups nested deeper than %d", FIXU_MAX_GROUP_DEPTH);
	json_object_foreach(obj, key, v) {
		if (key[0] == '_' || json_is_null(v))
			continue;
		kl = strlen(key);
		/* "Name#2": a later occurrence of Name. */
		for (idx = kl; idx > 0 && key[idx - 1] >= '0' &&
		    key[idx - 1] <= '9'; idx--)
			;
		if (idx > 1 && idx < kl && key[idx - 1] == '#')
			kl = idx - 1;
		if ((rc = fixu_text__key(e, key, kl, &tag, in->d,
		    key_off(in, key))) < 0)
			return rc;
		if (!json_is_array(v)) {
			if ((rc = jscalar(in, tag, v, key)) < 0)
				return rc;
			continue;
		}
		el = json_array_get(v, 0);
		if (el == NULL) {
			/* []: an empty group, if the tag is a NumInGroup. */
			df = fixu_text__dfield(e->tr, e->app ? e->app : e->tr,
			    tag);
			if (df == NULL || df->type != FIXU_T_NUMINGROUP)
				continue;
			if ((el = json_integer(0)) == NULL)
				return fixu_diag_set(in->d, FIXU_ENOMEM, 0,
				    tag, FIXU_REJ_NONE, "out of memory");
			rc = jscalar(in, tag, el, key);
			json_decref(el);
			if (rc < 0)
				return rc;
			continue;
		}
		if (json_is_object(el) && !is_b64obj(el)) {
			k = snprintf(tmp, sizeof(tmp), "%zu",
			    json_array_size(v));
			if ((rc = fixu_text__add(e, tag)) < 0 ||
			    (rc = fixu_buf_append(&e->vals, tmp,
			    (size_t)k)) < 0)
				return fixu_diag_set(in->d, rc,
				    key_off(in, key), tag, FIXU_REJ_NONE,
				    "\"%s\": too long", key);
			fixu_text__end(e);
			json_array_foreach(v, idx, el) {
				if (!json_is_object(el) || is_b64obj(el))
					return fixu_diag_set(in->d,
					    FIXU_ESYNTAX, key_off(in, key),
					    tag, FIXU_REJ_NONE, "\"%s\": group "
					    "instance %zu is not an object",
					    key, idx + 1);
				if ((rc = jobj(in, el, depth + 1)) < 0)
					return rc;
			}
			continue;
		}
		json_array_foreach(v, idx, el) {
			if (json_is_array(el))
				return fixu_diag_set(in->d, FIXU_ESYNTAX,
				    key_off(in, key), tag, FIXU_REJ_NONE,
				    "\"%s\": array in an array", key);
			if ((rc = jscalar(in, tag, el, key)) < 0)
				return rc;
		}
	}
	return 0;
}

int
fixu_text__encode_json(struct fixu_encode *e, const char *line, size_t n,
    struct fixu_diag *d)
{
	struct jin in;
	json_error_t jerr;
	json_t *root;
	int rc;

	root = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (root == NULL)
		return fixu_diag_set(d, FIXU_ESYNTAX,
		    jerr.position > 0 ? (size_t)jerr.position - 1 : 0, 0,
		    FIXU_REJ_NONE, "JSON: %s", jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return fixu_diag_set(d, FIXU_ESYNTAX, 0, 0, FIXU_REJ_NONE,
		    "JSON: not an object");
	}
	in.e = e;
	in.line = line;
	in.n = n;
	in.d = d;
	rc = jobj(&in, root, 0);
	json_decref(root);
	return rc;
}
