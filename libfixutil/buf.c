#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fixlimits.h"

void
fixu_buf_init(struct fixu_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
fixu_buf_fini(struct fixu_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
fixu_buf_reserve(struct fixu_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : FIXU_MAX_LINE;
	size_t need, ncap;
	char *np;

	if (extra > max || b->len > max - extra)
		return FIXU_ELIMIT;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	if (ncap > max)
		ncap = max;
	while (ncap < need)
		ncap = ncap > max / 2 ? max : ncap * 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		return FIXU_ENOMEM;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
fixu_buf_append(struct fixu_buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if (b->cap - b->len < n && (rc = fixu_buf_reserve(b, n)) < 0)
		return rc;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int
fixu_buf_putc(struct fixu_buf *b, int c)
{
	int rc;

	if (b->len == b->cap && (rc = fixu_buf_reserve(b, 1)) < 0)
		return rc;
	b->p[b->len++] = (char)c;
	return 0;
}

int
fixu_buf_puts(struct fixu_buf *b, const char *s)
{
	return fixu_buf_append(b, s, strlen(s));
}

int
fixu_buf_putu(struct fixu_buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return fixu_buf_append(b, tmp + i, sizeof(tmp) - i);
}

int
fixu_buf_printf(struct fixu_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256], *tmp = small;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return FIXU_EINVAL;
	/* vsnprintf needs room for a NUL the buffer does not keep. */
	if ((size_t)n >= sizeof(small)) {
		if ((rc = fixu_buf_reserve(b, (size_t)n)) < 0)
			return rc;
		if ((tmp = malloc((size_t)n + 1)) == NULL)
			return FIXU_ENOMEM;
		va_start(ap, fmt);
		n = vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	rc = n < 0 ? FIXU_EINVAL : fixu_buf_append(b, tmp, (size_t)n);
	if (tmp != small)
		free(tmp);
	return rc;
}

void
fixu_buf_consume(struct fixu_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

int
fixu_buf_write(struct fixu_buf *b, int fd)
{
	size_t off = 0;
	ssize_t w;
	int rc = 0;

	while (off < b->len) {
		w = write(fd, b->p + off, b->len - off);
		if (w >= 0) {
			off += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			rc = -1;
		break;
	}
	fixu_buf_consume(b, off);
	return rc;
}

int
fixu_parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return FIXU_EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return FIXU_EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
