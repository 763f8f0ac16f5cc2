/*
 * util.c -- helpers that more than one fixsim mode needs (util.h).
 *
 * Each one is here because two modes had their own copy of it; what only
 * one mode uses stays in that mode's files.
 */
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "def.h"
#include "sim.h"
#include "util.h"

int
util_is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

int
util_vfmt(char *b, size_t size, const char *fmt, va_list ap)
{
	int r;

	r = vsnprintf(b, size, fmt, ap);
	if (r < 0) {
		b[0] = '\0';
		return -1;
	}
	if ((size_t)r >= size) {
		memcpy(b + size - 4, "...", 4);
		r = (int)size - 1;
	}
	return r;
}

int
util_fmt(char *b, size_t size, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = util_vfmt(b, size, fmt, ap);
	va_end(ap);
	return r;
}

int
util_copy(char *dst, size_t size, const char *s)
{
	return util_copy_str(dst, size, (struct fixu_str){ s, strlen(s) });
}

int
util_copy_str(char *dst, size_t size, struct fixu_str v)
{
	size_t n = v.p == NULL ? 0 : v.n < size ? v.n : size - 1;

	if (n > 0)
		memcpy(dst, v.p, n);
	dst[n] = '\0';
	return v.p != NULL && v.n >= size ? -1 : 0;
}

void
util_reason(struct fixu_buf *diag, const char *file, unsigned long line,
    const char *fmt, va_list ap)
{
	char tmp[UTIL_REASON_MAX];

	(void)util_vfmt(tmp, sizeof(tmp), fmt, ap);
	fixu_buf_printf(diag, "%s:%lu: %s\n", file, line, tmp);
}

void
util_reason_show(struct fixu_buf *diag, const char *what, const char *p,
    size_t n)
{
	fixu_buf_printf(diag, "  %-9s ", what);
	def_show(diag, p, n);
	fixu_buf_putc(diag, '\n');
}

int
util_regmatch(const regex_t *re, const char *p, size_t n,
    struct fixu_buf *tmp)
{
	if (memchr(p, '\0', n) != NULL)
		return 0;
	fixu_buf_reset(tmp);
	if (fixu_buf_append(tmp, p, n) != 0 || fixu_buf_putc(tmp, '\0') != 0)
		return 0;
	return regexec(re, tmp->p, 0, NULL, 0) == 0;
}

size_t
util_now_fmt(char *out, long long off, int decimals)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += off;
	return fixu_time_fmt(out, &ts, decimals);
}

/* Dictionaries. */

/* The transport dictionary is asked when it is another one. */
#define ASK_TR(tr, app)	((tr) != NULL && (tr) != (app))

const struct fixu_dfield *
util_dfield(const struct fixu_dict *tr, const struct fixu_dict *app,
    uint32_t tag)
{
	const struct fixu_dfield *df;

	df = app != NULL ? fixu_dict_field(app, tag) : NULL;
	return df == NULL && ASK_TR(tr, app) ? fixu_dict_field(tr, tag) : df;
}

const struct fixu_dfield *
util_dfield_byname(const struct fixu_dict *tr, const struct fixu_dict *app,
    const char *name, size_t n)
{
	const struct fixu_dfield *df;

	df = app != NULL ? fixu_dict_field_byname(app, name, n) : NULL;
	return df == NULL && ASK_TR(tr, app) ?
	    fixu_dict_field_byname(tr, name, n) : df;
}

const struct fixu_dmsg *
util_dmsg(const struct fixu_dict *tr, const struct fixu_dict *app,
    const char *type, size_t n)
{
	const struct fixu_dmsg *dm;

	dm = app != NULL ? fixu_dict_msg(app, type, n) : NULL;
	return dm == NULL && ASK_TR(tr, app) ? fixu_dict_msg(tr, type, n) : dm;
}

const struct fixu_dmsg *
util_dmsg_byname(const struct fixu_dict *tr, const struct fixu_dict *app,
    const char *name, size_t n)
{
	const struct fixu_dmsg *dm;

	dm = app != NULL ? fixu_dict_msg_byname(app, name, n) : NULL;
	return dm == NULL && ASK_TR(tr, app) ?
	    fixu_dict_msg_byname(tr, name, n) : dm;
}

/* Files. */

int
util_read_file(const char *path, size_t max, struct fixu_buf *b)
{
	struct cmd_in in;
	ssize_t r;
	int e;

	if (cmd_in_open(&in, path, 0) != 0)
		return -1;
	b->max = max + 65536;
	for (;;) {
		if (b->len > max || fixu_buf_reserve(b, 65536) != 0) {
			cmd_in_close(&in);
			return -2;
		}
		r = cmd_in_read(&in, b->p + b->len, b->cap - b->len);
		if (r < 0) {
			e = errno;
			cmd_in_close(&in);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
	}
	cmd_in_close(&in);
	return 0;
}

/* Options. */

int
util_split_hostport(const char *a, const char **host, size_t *hn,
    const char **port)
{
	const char *c;

	if ((c = strrchr(a, ':')) == NULL)
		return -1;
	*host = a;
	*hn = (size_t)(c - a);
	*port = c + 1;
	if (*hn >= 2 && a[0] == '[' && c[-1] == ']') {
		(*host)++;
		*hn -= 2;
	}
	return 0;
}

int
util_addr(const char *a, size_t n, char *host, size_t hostsz, int *port)
{
	char tmp[300], *end;
	const char *h, *p;
	size_t hn;
	long v;

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, a, n);
	tmp[n] = '\0';
	if (util_split_hostport(tmp, &h, &hn, &p) != 0 || hn == 0 ||
	    hn >= hostsz)
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (*p == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535)
		return -1;
	memcpy(host, h, hn);
	host[hn] = '\0';
	*port = (int)v;
	return 0;
}

int
util_hostport(const char *mode, const char *a, char *host, size_t hostsz,
    int *port)
{
	if (util_addr(a, strlen(a), host, hostsz, port) == 0)
		return 0;
	warnx("%s: expected HOST:PORT, got '%s'", mode, a);
	return -1;
}

int
util_hostports(const char *mode, const char *list, size_t *n)
{
	const char *p = list, *c;
	char host[256];
	size_t k;
	int port;

	*n = 0;
	for (;;) {
		c = strchr(p, ',');
		k = c != NULL ? (size_t)(c - p) : strlen(p);
		if (util_addr(p, k, host, sizeof(host), &port) != 0) {
			warnx("%s: expected HOST:PORT, got '%.*s'", mode,
			    (int)k, p);
			return -1;
		}
		(*n)++;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

int
util_opt_num(const char *mode, int opt, const char *s, double lo, double hi,
    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= lo && v <= hi)) {
		warnx("%s: -%c: expected a number from %g to %g, got '%s'",
		    mode, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

int
util_inject(const char *mode, char *list, unsigned *bits)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} inj[] = {
		{ "gap", SIM_INJ_GAP }, { "checksum", SIM_INJ_CHECKSUM },
		{ "garble", SIM_INJ_GARBLE }, { "stale", SIM_INJ_STALE },
		{ "heartbeat", SIM_INJ_HEARTBEAT },
	};
	char *tok, *save = NULL;
	size_t k, n = sizeof(inj) / sizeof(inj[0]);

	*bits = 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < n && strcmp(tok, inj[k].name) != 0; k++)
			;
		if (k == n) {
			warnx("%s: -I: unknown injection '%s' (gap, "
			    "checksum, garble, stale, heartbeat)", mode, tok);
			return -1;
		}
		*bits |= inj[k].bit;
	}
	return 0;
}

void
util_password(const char *mode, const char *path, char *pw, size_t size)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		err(CMD_EX_IO, "%s: %s", mode, path);
	if (fgets(pw, (int)size, f) == NULL)
		pw[0] = '\0';
	fclose(f);
	n = strcspn(pw, "\r\n");
	if (pw[n] == '\0' && n == size - 1)
		errx(CMD_EX_USAGE, "%s: %s: password longer than %zu bytes",
		    mode, path, size - 2);
	pw[n] = '\0';
}

void
util_catch(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
}

/* Decimals. */

int
util_parse_dec(const char *p, size_t n, int neg_ok, int64_t *out)
{
	int64_t whole = 0, frac = 0, sc = UTIL_DEC_SCALE;
	size_t i = 0;
	int neg = 0, digits = 0;

	if (n > 0 && p[0] == '-' && neg_ok) {
		neg = 1;
		i++;
	}
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
		if (whole > (INT64_MAX / UTIL_DEC_SCALE - 9) / 10)
			return -1;
		whole = whole * 10 + (p[i] - '0');
	}
	if (i < n && p[i] == '.') {
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++)
			if (sc > 1) {
				sc /= 10;
				frac += (p[i] - '0') * sc;
			}
	}
	if (i != n || digits == 0)
		return -1;
	*out = (whole * UTIL_DEC_SCALE + frac) * (neg ? -1 : 1);
	return 0;
}

/*
 * The set: open addressing with linear probing over a table of 16-byte
 * (hash, offset, length) entries, at most three quarters full; the keys
 * lie end to end in one buffer of at most 4 GiB, so that a load run's
 * millions of ExecIDs cost some 40 bytes each and a few allocations.
 */

#define SET_KEYS_MAX	((size_t)UINT32_MAX)

struct util_setent {
	uint64_t	 h;
	uint32_t	 off;
	uint32_t	 n;		/* 0: an empty slot */
};

void
util_set_init(struct util_set *s)
{
	memset(s, 0, sizeof(*s));
	fixu_buf_init(&s->keys, SET_KEYS_MAX);
}

void
util_set_fini(struct util_set *s)
{
	free(s->t);
	fixu_buf_fini(&s->keys);
	memset(s, 0, sizeof(*s));
}

/* FNV-1a over a then b; never 0, so that 0 can mean nothing. */
static uint64_t
set_hash(const void *a, size_t an, const void *b, size_t bn)
{
	const unsigned char *p = a;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < an; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	for (p = b, i = 0; i < bn; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	h ^= h >> 31;
	return h != 0 ? h : 1;
}

/* The slot of a||b, or the empty slot where it would go. */
static size_t
set_slot(const struct util_set *s, uint64_t h, const void *a, size_t an,
    const void *b, size_t bn)
{
	const struct util_setent *e;
	size_t i = (size_t)h & (s->cap - 1);

	for (;; i = (i + 1) & (s->cap - 1)) {
		e = &s->t[i];
		if (e->n == 0)
			return i;
		if (e->h == h && e->n == an + bn &&
		    memcmp(s->keys.p + e->off, a, an) == 0 &&
		    memcmp(s->keys.p + e->off + an, b, bn) == 0)
			return i;
	}
}

static int
set_grow(struct util_set *s)
{
	struct util_setent *nt, *ot = s->t;
	size_t nc = s->cap ? s->cap * 2 : 1024, oc = s->cap, i, j;

	if ((nt = calloc(nc, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < oc; i++) {
		if (ot[i].n == 0)
			continue;
		for (j = (size_t)ot[i].h & (nc - 1); nt[j].n != 0;
		    j = (j + 1) & (nc - 1))
			;
		nt[j] = ot[i];
	}
	free(ot);
	s->t = nt;
	s->cap = nc;
	return 0;
}

int
util_set_has(const struct util_set *s, const void *a, size_t an,
    const void *b, size_t bn)
{
	uint64_t h;

	if (s->n == 0 || an + bn == 0)
		return 0;
	h = set_hash(a, an, b, bn);
	return s->t[set_slot(s, h, a, an, b, bn)].n != 0;
}

int
util_set_add(struct util_set *s, const void *a, size_t an, const void *b,
    size_t bn)
{
	struct util_setent *e;
	uint64_t h;
	size_t off;

	if (an + bn == 0 || an + bn > UINT32_MAX)
		return -1;
	if (s->keys.max == 0)		/* an all-zero set */
		fixu_buf_init(&s->keys, SET_KEYS_MAX);
	if ((s->n + 1) * 4 > s->cap * 3 && set_grow(s) != 0)
		return -1;
	h = set_hash(a, an, b, bn);
	e = &s->t[set_slot(s, h, a, an, b, bn)];
	if (e->n != 0)
		return 1;
	off = s->keys.len;
	if (fixu_buf_append(&s->keys, a, an) != 0 ||
	    fixu_buf_append(&s->keys, b, bn) != 0) {
		s->keys.len = off;
		return -1;
	}
	e->h = h;
	e->off = (uint32_t)off;
	e->n = (uint32_t)(an + bn);
	s->n++;
	return 0;
}
