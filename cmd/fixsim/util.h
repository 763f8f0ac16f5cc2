/*
 * util.h -- small helpers that more than one fixsim mode needs: bounded
 * formatting and copying into fixed buffers, the time now as FIX writes
 * it, lookups in a transport and an application dictionary, reading a
 * whole file, the options several modes take (HOST:PORT, numbers,
 * injections, a password file), decimals, and a set of byte strings.
 *
 * Ownership: nothing here keeps state or allocates, except what a
 * caller's struct fixu_buf grows to; a returned pointer into a
 * dictionary lives as long as the dictionary.  The option helpers say
 * what is wrong with warnx(3), prefixed with the mode's name, and leave
 * the exit (after the mode's usage) to the caller; util_password() exits
 * itself, as err(3) does.
 */
#ifndef FIXSIM_UTIL_H
#define FIXSIM_UTIL_H

#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "fixutil.h"

#define UTIL_TIME_MAX	32	/* a UTCTIMESTAMP, its NUL included */
#define UTIL_REASON_MAX	600	/* one reason of util_reason() */

/* ' ' or '\t'. */
int	util_is_blank(int);
/*
 * vsnprintf() into b[0..size), size at least 4: a text that does not fit
 * is cut and ends in "...".  Returns its length, or -1 (b empty) when
 * vsnprintf() fails.
 */
int	util_vfmt(char *b, size_t size, const char *fmt, va_list)
	    __attribute__((format(printf, 3, 0)));
int	util_fmt(char *b, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* s (or v) into dst as a string; -1, dst cut short, when it does not fit. */
int	util_copy(char *dst, size_t size, const char *s);
int	util_copy_str(char *dst, size_t size, struct fixu_str v);

/*
 * "FILE:LINE: REASON\n" appended to diag, the reason cut at
 * UTIL_REASON_MAX; util_reason_show() appends the message concerned
 * under it, indented, as def_show() writes bytes.
 */
void	util_reason(struct fixu_buf *diag, const char *file,
	    unsigned long line, const char *fmt, va_list)
	    __attribute__((format(printf, 4, 0)));
void	util_reason_show(struct fixu_buf *diag, const char *what,
	    const char *p, size_t n);

/* Does the whole of p[0..n) match re?  A value holding a NUL does not;
   tmp is scratch. */
int	util_regmatch(const regex_t *re, const char *p, size_t n,
	    struct fixu_buf *tmp);

/* UTC now, off seconds later, "YYYYMMDD-HH:MM:SS[.sss]" (decimals 0 or 3)
   into out[UTIL_TIME_MAX]; returns the length. */
size_t	util_now_fmt(char *out, long long off, int decimals);

/* A field or message of the application dictionary, else of the
   transport one; either may be NULL. */
const struct fixu_dfield *util_dfield(const struct fixu_dict *tr,
	    const struct fixu_dict *app, uint32_t tag);
const struct fixu_dfield *util_dfield_byname(const struct fixu_dict *tr,
	    const struct fixu_dict *app, const char *name, size_t n);
const struct fixu_dmsg *util_dmsg(const struct fixu_dict *tr,
	    const struct fixu_dict *app, const char *type, size_t n);
const struct fixu_dmsg *util_dmsg_byname(const struct fixu_dict *tr,
	    const struct fixu_dict *app, const char *name, size_t n);

/*
 * The whole of path ("-" the standard input) appended to b: 0, -1 with
 * errno when it cannot be read, -2 when it holds more than max bytes.
 */
int	util_read_file(const char *path, size_t max, struct fixu_buf *b);

/*
 * "HOST:PORT" or "[ADDR]:PORT", split at the last ':': the host is
 * host[0..*hn) (brackets off), the port the string after the ':'.
 * -1 when a holds no ':'.
 */
int	util_split_hostport(const char *a, const char **host, size_t *hn,
	    const char **port);
/* The same for an option: a host that fits hostsz, a port 1 to 65535. */
int	util_hostport(const char *mode, const char *a, char *host,
	    size_t hostsz, int *port);
/* The same for a[0..n), which need not end in a NUL, and quiet: -1 and
   nothing said when it is not one. */
int	util_addr(const char *a, size_t n, char *host, size_t hostsz,
	    int *port);
/*
 * A comma-separated list of addresses, "HOST:PORT[,HOST:PORT...]": 0
 * when each is good (util_hostport() says what is wrong with the first
 * bad one); *n is the number of them.
 */
int	util_hostports(const char *mode, const char *list, size_t *n);
/* -opt's value s, a number from lo to hi. */
int	util_opt_num(const char *mode, int opt, const char *s, double lo,
	    double hi, double *out);
/* -I's list, "gap,checksum,...", into SIM_INJ_* bits; list is cut up. */
int	util_inject(const char *mode, char *list, unsigned *bits);
/* The first line of the file path into pw[size]; exits when it cannot. */
void	util_password(const char *mode, const char *path, char *pw,
	    size_t size);
/* Catch sig with fn, no flags, nothing blocked. */
void	util_catch(int sig, void (*fn)(int));

/*
 * A decimal quantity or price, [-]digits[.digits] (the minus only with
 * neg_ok), into millionths; digits past the sixth decimal are dropped.
 * -1 when p[0..n) is not one, or does not fit.
 */
#define UTIL_DEC_SCALE	1000000
int	util_parse_dec(const char *p, size_t n, int neg_ok, int64_t *out);

/*
 * A set of byte strings, each given in two parts a and b and kept as
 * their concatenation: callers give a fixed-size first part (an order
 * number, a pointer), so that two pairs never make the same key.  The
 * set owns copies of its keys; an all-zero struct is an empty set.
 */
struct util_set {
	struct util_setent	*t;
	size_t			 cap, n;
	struct fixu_buf		 keys;
};

void	util_set_init(struct util_set *);
void	util_set_fini(struct util_set *);
/* 1: a||b was in the set; 0: added now; -1: out of memory (not added). */
int	util_set_add(struct util_set *, const void *a, size_t an,
	    const void *b, size_t bn);
int	util_set_has(const struct util_set *, const void *a, size_t an,
	    const void *b, size_t bn);

#endif
