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
util_hostport(const char *mode, const char *a, char *host, size_t hostsz,
    int *port)
{
	const char *h, *p;
	char *end;
	size_t hn;
	long v;

	if (util_split_hostport(a, &h, &hn, &p) != 0 || hn == 0 ||
	    hn >= hostsz)
		goto bad;
	memcpy(host, h, hn);
	host[hn] = '\0';
	v = strtol(p, &end, 10);
	if (*p == '\0' || *end != '\0' || v < 1 || v > 65535)
		goto bad;
	*port = (int)v;
	return 0;
bad:
	warnx("%s: expected HOST:PORT, got '%s'", mode, a);
	return -1;
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
