/*
 * buf.h -- string views and capped growable buffers.
 *
 * A struct fixu_str is a (pointer, length) view into memory somebody else
 * owns; it is never NUL-terminated on purpose, because FIX data fields may
 * hold SOH and NUL.  A struct fixu_buf owns its bytes, grows on demand, and
 * never grows past its cap (max, or FIXU_MAX_LINE when max is 0): appending
 * past it fails with FIXU_ELIMIT and leaves the contents as they were.  An
 * all-zero fixu_buf is an empty, valid buffer; fixu_buf_fini() frees it.
 */
#ifndef FIXU_BUF_H
#define FIXU_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fixu_str {
	const char	*p;
	size_t		 n;
};

struct fixu_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* 0: FIXU_MAX_LINE */
};

#define FIXU_STR(lit)	((struct fixu_str){ (lit), sizeof(lit) - 1 })

static inline int
fixu_str_eq(struct fixu_str a, const char *s)
{
	size_t n = strlen(s);

	return a.n == n && memcmp(a.p, s, n) == 0;
}

void	fixu_buf_init(struct fixu_buf *, size_t max);
void	fixu_buf_fini(struct fixu_buf *);
int	fixu_buf_reserve(struct fixu_buf *, size_t extra);
int	fixu_buf_append(struct fixu_buf *, const void *, size_t);
int	fixu_buf_putc(struct fixu_buf *, int);
int	fixu_buf_puts(struct fixu_buf *, const char *);
int	fixu_buf_putu(struct fixu_buf *, uint64_t);
int	fixu_buf_printf(struct fixu_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes, keeping the rest. */
void	fixu_buf_consume(struct fixu_buf *, size_t n);
/*
 * Write what b holds to fd, which may be non-blocking, and drop what was
 * written (one move at the end, not one per partial write).  0: all of it
 * is out, or fd would block with some left; -1: a write error, errno set.
 */
int	fixu_buf_write(struct fixu_buf *, int fd);

static inline void
fixu_buf_reset(struct fixu_buf *b)
{
	b->len = 0;
}

/* Parse an unsigned decimal with no sign, no spaces, at most 19 digits. */
int	fixu_parse_u64(const char *, size_t, uint64_t *);

#endif
