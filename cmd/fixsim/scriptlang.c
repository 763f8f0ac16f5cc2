/*
 * scriptlang.c -- the text of fixsim script's language: words, seconds,
 * variables and their replacement, the escapes of values, and field and
 * message names from the session's dictionary (the language is described
 * at the top of script.c).
 *
 * Ownership: variables are owned by the array they are set in (the
 * script's, or -D's in struct opts) until lang_vars_free(); a value put
 * in a struct fixu_buf belongs to that buffer.  What these functions
 * find wrong is reported with script_fail() at the script's current
 * line, and the result is ERROR.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixutil.h"
#include "script.h"
#include "util.h"

#define MAX_SECONDS	86400.0

/* Words. */

/* Seconds, decimals allowed, 0 to a day, into ms. */
int
lang_seconds(const char *p, size_t n, int *ms)
{
	char buf[32], *ep;
	double v;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (!isdigit((unsigned char)buf[0]) && buf[0] != '.')
		return -1;
	errno = 0;
	v = strtod(buf, &ep);
	if (errno != 0 || *ep != '\0' || v < 0 || v > MAX_SECONDS)
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

int
lang_is_name(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > MAX_NAME || isdigit((unsigned char)p[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_')
			return 0;
	return 1;
}

int
lang_word_eq(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

/* The next blank-separated word of p[*i..n). */
int
lang_next_word(const char *p, size_t n, size_t *i, const char **w,
    size_t *wn)
{
	while (*i < n && util_is_blank(p[*i]))
		(*i)++;
	if (*i == n)
		return 0;
	*w = p + *i;
	while (*i < n && !util_is_blank(p[*i]))
		(*i)++;
	*wn = (size_t)(p + *i - *w);
	return 1;
}

size_t
lang_rtrim(const char *p, size_t n)
{
	while (n > 0 && util_is_blank(p[n - 1]))
		n--;
	return n;
}

/* Variables. */

static struct var *
var_find(struct var *v, size_t nv, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < nv; i++)
		if (lang_word_eq(name, n, v[i].name))
			return &v[i];
	return NULL;
}

int
lang_var_set(struct var **vp, size_t *nvp, const char *name, size_t n,
    const char *val, size_t vn)
{
	struct var *v, *nv;
	char *copy;

	if ((copy = malloc(vn + 1)) == NULL)
		return -1;
	memcpy(copy, val, vn);
	copy[vn] = '\0';
	if ((v = var_find(*vp, *nvp, name, n)) != NULL) {
		free(v->val);
		v->val = copy;
		v->n = vn;
		return 0;
	}
	if ((nv = realloc(*vp, (*nvp + 1) * sizeof(*nv))) == NULL ||
	    (nv[*nvp].name = strndup(name, n)) == NULL) {
		if (nv != NULL)
			*vp = nv;
		free(copy);
		return -1;
	}
	*vp = nv;
	nv[*nvp].val = copy;
	nv[*nvp].n = vn;
	(*nvp)++;
	return 0;
}

void
lang_vars_free(struct var **vp, size_t *nvp)
{
	size_t i;

	for (i = 0; i < *nvp; i++) {
		free((*vp)[i].name);
		free((*vp)[i].val);
	}
	free(*vp);
	*vp = NULL;
	*nvp = 0;
}

static void
random_bytes(unsigned char *p, size_t n)
{
	static uint64_t x;
	struct timespec ts;
	size_t i;
	int fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		if (read(fd, p, n) == (ssize_t)n) {
			close(fd);
			return;
		}
		close(fd);
	}
	/* No /dev/urandom: unique enough for order ids. */
	clock_gettime(CLOCK_REALTIME, &ts);
	x ^= (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^
	    (uint64_t)getpid();
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

static int
put_uuid(struct fixu_buf *b)
{
	unsigned char u[16];
	int i;

	random_bytes(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++)
		if ((i == 4 || i == 6 || i == 8 || i == 10) &&
		    fixu_buf_putc(b, '-') != 0)
			return -1;
		else if (fixu_buf_printf(b, "%02x", u[i]) != 0)
			return -1;
	return 0;
}

/* ${now}, ${now+N}, ${now-N}, ${date}. */
static int
put_time(struct fixu_buf *b, const char *name, size_t n)
{
	char buf[UTIL_TIME_MAX];
	long long off = 0;
	size_t i, k;

	if (lang_word_eq(name, n, "date")) {
		k = util_now_fmt(buf, 0, 0);
		return fixu_buf_append(b, buf, k < 8 ? k : 8);
	}
	if (n > 3) {
		if ((name[3] != '+' && name[3] != '-') || n == 4 || n > 4 + 9)
			return -1;
		for (i = 4; i < n; i++) {
			if (!isdigit((unsigned char)name[i]))
				return -1;
			off = off * 10 + (name[i] - '0');
		}
		if (name[3] == '-')
			off = -off;
	}
	k = util_now_fmt(buf, off, 3);
	return fixu_buf_append(b, buf, k);
}

/* Append the value of the built-in variable name; 1 if it is none. */
static int
builtin(struct script *s, const char *name, size_t n, struct fixu_buf *b)
{
	if (n >= 3 && memcmp(name, "now", 3) == 0 &&
	    (n == 3 || name[3] == '+' || name[3] == '-'))
		return put_time(b, name, n) == 0 ? 0 : -1;
	if (lang_word_eq(name, n, "date"))
		return put_time(b, name, n);
	if (lang_word_eq(name, n, "seq"))
		return fixu_buf_putu(b, s->seq);
	if (lang_word_eq(name, n, "counter"))
		return fixu_buf_putu(b, ++s->counter);
	if (lang_word_eq(name, n, "uuid"))
		return put_uuid(b);
	if (lang_word_eq(name, n, "begin"))
		return fixu_buf_puts(b, s->begin);
	if (lang_word_eq(name, n, "sender"))
		return fixu_buf_puts(b, s->sender);
	if (lang_word_eq(name, n, "target"))
		return fixu_buf_puts(b, s->target);
	if (lang_word_eq(name, n, "hbi"))
		return fixu_buf_printf(b, "%d", s->hbi);
	if (lang_word_eq(name, n, "timeout"))
		return fixu_buf_printf(b, "%g", s->timeout_ms / 1000.0);
	return 1;
}

int
lang_is_builtin(const char *name, size_t n)
{
	static const char *const names[] = { "now", "date", "seq", "counter",
	    "uuid", "begin", "sender", "target", "hbi", "timeout" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (lang_word_eq(name, n, names[i]))
			return 1;
	return n > 4 && memcmp(name, "now", 3) == 0 &&
	    (name[3] == '+' || name[3] == '-');
}

/* Append the value of a variable, escaped or not; -1 when undefined. */
static int
var_put(struct script *s, const char *name, size_t n, int escape,
    struct fixu_buf *out)
{
	const struct var *v;
	const char *env;
	char key[MAX_NAME + 1];
	int rc;

	fixu_buf_reset(&s->val);
	if ((rc = builtin(s, name, n, &s->val)) < 0)
		return -1;
	if (rc == 1) {
		if ((v = var_find(s->vars, s->nvars, name, n)) != NULL)
			rc = fixu_buf_append(&s->val, v->val, v->n);
		else {
			if (n > MAX_NAME)
				return -1;
			memcpy(key, name, n);
			key[n] = '\0';
			if ((env = getenv(key)) == NULL)
				return -1;
			rc = fixu_buf_puts(&s->val, env);
		}
		if (rc != 0)
			return -1;
	}
	if (escape)
		return fixu_text_escape(out, s->val.p, s->val.len, '|');
	return fixu_buf_append(out, s->val.p, s->val.len);
}

/* p[0..n) with variables replaced into s->args, NUL-terminated. */
int
lang_subst(struct script *s, const char *p, size_t n, int escape)
{
	const char *name;
	size_t i = 0, k, nn;
	struct fixu_buf *b = &s->args;

	fixu_buf_reset(b);
	while (i < n) {
		if (p[i] != '$' || i + 1 == n) {
			fixu_buf_putc(b, p[i++]);
			continue;
		}
		if (p[i + 1] == '$') {
			fixu_buf_putc(b, '$');
			i += 2;
			continue;
		}
		if (p[i + 1] == '{') {
			for (k = i + 2; k < n && p[k] != '}'; k++)
				continue;
			if (k == n) {
				script_fail(s, "'${' without '}'");
				return ERROR;
			}
			name = p + i + 2;
			nn = k - i - 2;
			i = k + 1;
		} else if (isalpha((unsigned char)p[i + 1]) ||
		    p[i + 1] == '_') {
			name = p + i + 1;
			for (k = i + 1; k < n && (isalnum((unsigned char)p[k]) ||
			    p[k] == '_'); k++)
				continue;
			nn = k - i - 1;
			i = k;
		} else {
			fixu_buf_putc(b, p[i++]);
			continue;
		}
		if (var_put(s, name, nn, escape, b) != 0) {
			script_fail(s, "undefined variable '%.*s'",
			    (int)(nn > 40 ? 40 : nn), name);
			return ERROR;
		}
	}
	if (fixu_buf_putc(b, '\0') != 0) {
		script_fail(s, "line too long after replacing variables");
		return ERROR;
	}
	b->len--;
	return OK;
}

/* Escapes of field values and sendraw; '|' is SOH when soh is set. */
int
lang_unescape(struct script *s, const char *p, size_t n, int soh,
    struct fixu_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const char *h, *l;
	size_t i;
	int c;

	fixu_buf_reset(out);
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '|' && soh)
			c = FIXU_SOH;
		else if (c == '\\') {
			if (++i == n) {
				script_fail(s, "backslash at the end of a "
				    "value");
				return ERROR;
			}
			c = (unsigned char)p[i];
			if (c == 'n')
				c = '\n';
			else if (c == 'r')
				c = '\r';
			else if (c == 't')
				c = '\t';
			else if (c == 'x') {
				if (i + 2 >= n ||
				    (h = strchr(hex, tolower((unsigned char)
				    p[i + 1]))) == NULL || p[i + 1] == '\0' ||
				    (l = strchr(hex, tolower((unsigned char)
				    p[i + 2]))) == NULL || p[i + 2] == '\0') {
					script_fail(s, "bad escape '\\x': two "
					    "hex digits must follow");
					return ERROR;
				}
				c = (int)((h - hex) << 4 | (l - hex));
				i += 2;
			} else if (c != '\\' && c != '|') {
				script_fail(s, "bad escape '\\%c'", c);
				return ERROR;
			}
		}
		if (fixu_buf_putc(out, c) != 0) {
			script_fail(s, "value too long");
			return ERROR;
		}
	}
	return OK;
}

/* Dictionaries. */

/* The transport and application dictionaries of the session, or NULL. */
static void
session_dicts(struct script *s, const struct fixu_dict **tr,
    const struct fixu_dict **app)
{
	struct fixu_diag d;

	*tr = *app = NULL;
	if (s->dicts == NULL || fixu_dicts_get(s->dicts, s->begin, tr, &d) < 0)
		return;
	*app = *tr;
	if (strcmp(s->begin, "FIXT.1.1") == 0 &&
	    fixu_dicts_get(s->dicts, s->applver, app, &d) < 0)
		*app = *tr;
}

static const struct fixu_dfield *
dict_field(struct script *s, uint32_t tag)
{
	const struct fixu_dict *tr, *app;

	session_dicts(s, &tr, &app);
	return util_dfield(tr, app, tag);
}

/* A tag, by number or by name. */
int
lang_tag(struct script *s, const char *p, size_t n, uint32_t *tag)
{
	const struct fixu_dict *tr, *app;
	const struct fixu_dfield *f;
	uint64_t v;

	if (n > 0 && isdigit((unsigned char)p[0])) {
		if (fixu_parse_u64(p, n, &v) != 0 || v == 0 ||
		    v > FIXU_MAX_TAG) {
			script_fail(s, "bad tag '%.*s'", (int)(n > 20 ? 20 : n),
			    p);
			return ERROR;
		}
		*tag = (uint32_t)v;
		return OK;
	}
	/* Before the run, the session (and so the dictionary) is unknown. */
	if (s->checking) {
		*tag = 0;
		return OK;
	}
	session_dicts(s, &tr, &app);
	if ((f = util_dfield_byname(tr, app, p, n)) == NULL) {
		script_fail(s, "unknown field name '%.*s' (in the %s "
		    "dictionary)", (int)(n > 40 ? 40 : n), p, s->begin);
		return ERROR;
	}
	*tag = f->tag;
	return OK;
}

/* "OrdStatus (39)" or "39", for reports; a name too long ends in "...". */
const char *
lang_tag_name(struct script *s, uint32_t tag, char *buf, size_t sz)
{
	const struct fixu_dfield *f = dict_field(s, tag);

	if (f != NULL && f->name != NULL)
		(void)util_fmt(buf, sz, "%s (%u)", f->name, tag);
	else
		(void)util_fmt(buf, sz, "%u", tag);
	return buf;
}

/*
 * A value given as an enum description ("BUY") or, for MsgType, a message
 * name ("NewOrderSingle") becomes the value on the wire.
 */
void
lang_enum_value(struct script *s, uint32_t tag, struct fixu_buf *v)
{
	const struct fixu_dict *tr, *app;
	const struct fixu_dfield *f;
	const struct fixu_dmsg *dm;
	const char *w = NULL;
	uint32_t i;

	if (v->len == 0 || s->checking)
		return;
	if (tag == 35) {
		session_dicts(s, &tr, &app);
		if (util_dmsg(tr, app, v->p, v->len) != NULL)
			return;
		if ((dm = util_dmsg_byname(tr, app, v->p, v->len)) != NULL)
			w = fixu_dmsg_type(dm);
	} else if ((f = dict_field(s, tag)) != NULL && f->nenums > 0) {
		for (i = 0; i < f->nenums; i++)
			if (lang_word_eq(v->p, v->len, f->enums[i].value))
				return;
		w = fixu_dict_enum_byname(f, v->p, v->len);
	}
	if (w != NULL) {
		fixu_buf_reset(v);
		fixu_buf_puts(v, w);
	}
}

/* Lines. */

/*
 * The value of the first field of a readable line whose key is tag or
 * name, unescaped into out; 1 when there is one.
 */
int
lang_given(struct script *s, const char *p, size_t n, const char *tag,
    const char *name, struct fixu_buf *out)
{
	size_t i = 0, ks, ke, vs;

	while (i < n) {
		ks = i;
		while (i < n && p[i] != '=' && p[i] != '|')
			i++;
		ke = i;
		while (ks < ke && p[ks] == ' ')
			ks++;
		while (ke > ks && p[ke - 1] == ' ')
			ke--;
		if (i < n && p[i] == '=')
			i++;
		vs = i;
		while (i < n && p[i] != '|')
			i += p[i] == '\\' && i + 1 < n ? 2 : 1;
		if (lang_word_eq(p + ks, ke - ks, tag) ||
		    lang_word_eq(p + ks, ke - ks, name))
			return lang_unescape(s, p + vs, i - vs, 0, out) == OK;
		i++;
	}
	return 0;
}

/* "within SECONDS" (or, when bare, just SECONDS) at the end of p. */
int
lang_within(struct script *s, const char *p, size_t *n, int bare,
    int *ms)
{
	size_t e, ws, we, ks;

	e = lang_rtrim(p, *n);
	ws = e;
	while (ws > 0 && !util_is_blank(p[ws - 1]))
		ws--;
	we = lang_rtrim(p, ws);
	ks = we;
	while (ks > 0 && !util_is_blank(p[ks - 1]))
		ks--;
	if (we > ks && lang_word_eq(p + ks, we - ks, "within")) {
		if (lang_seconds(p + ws, e - ws, ms) != 0) {
			script_fail(s, "bad time '%.*s' after within: seconds, "
			    "0 to 86400", (int)(e - ws > 20 ? 20 : e - ws),
			    p + ws);
			return ERROR;
		}
		*n = ks;
		return OK;
	}
	if (bare && e > ws && lang_seconds(p + ws, e - ws, ms) == 0)
		*n = ws;
	return OK;
}

/*
 * The command of line p[0..*n): 0 with the word and its arguments, 1 for
 * a blank or comment line.
 */
int
lang_split_line(const char *p, size_t n, const char **w, size_t *wn,
    const char **a, size_t *an)
{
	size_t i = 0;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' ||
	    p[n - 1] == '\t'))
		n--;
	if (!lang_next_word(p, n, &i, w, wn) || (*w)[0] == '#')
		return 1;
	while (i < n && util_is_blank(p[i]))
		i++;
	*a = p + i;
	*an = n - i;
	return 0;
}
