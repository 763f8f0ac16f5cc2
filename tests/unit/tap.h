/*
 * tap.h -- a tiny TAP producer for the unit tests.  Each test program
 * includes it once, calls ok()/is_int()/is_str() and ends with
 * "return tap_done();".
 */
#ifndef FIXU_TAP_H
#define FIXU_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

static int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_fail++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}

#define ok(c, ...)	tap_ok(!!(c), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, b, ...) do {						\
	long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);	\
	if (!tap_ok(tap_a_ == tap_b_, __FILE__, __LINE__, __VA_ARGS__))	\
		printf("#   got %lld, expected %lld\n", tap_a_, tap_b_);	\
} while (0)
#define is_mem(p, n, s, ...) do {					\
	const char *tap_p_ = (const char *)(p), *tap_s_ = (s);		\
	size_t tap_n_ = (size_t)(n);					\
	if (!tap_ok(tap_n_ == strlen(tap_s_) &&				\
	    memcmp(tap_p_, tap_s_, tap_n_) == 0, __FILE__, __LINE__,	\
	    __VA_ARGS__))						\
		printf("#   got '%.*s', expected '%s'\n", (int)tap_n_,	\
		    tap_p_ ? tap_p_ : "", tap_s_);			\
} while (0)
#define is_str(a, b, ...) do {						\
	const char *tap_a_ = (a), *tap_b_ = (b);			\
	if (!tap_ok(tap_a_ != NULL && tap_b_ != NULL &&			\
	    strcmp(tap_a_, tap_b_) == 0, __FILE__, __LINE__, __VA_ARGS__)) \
		printf("#   got '%s', expected '%s'\n",			\
		    tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)"); \
} while (0)

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail != 0;
}

#endif
