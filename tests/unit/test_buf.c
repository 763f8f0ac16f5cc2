/*
 * test_buf.c -- capped buffers, string views, number parsing and the error
 * catalogue.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fixlimits.h"
#include "tap.h"

static void
test_caps(void)
{
	struct fixu_buf b;
	char big[64];
	size_t i;

	fixu_buf_init(&b, 10);
	is_int(fixu_buf_append(&b, "01234567", 8), 0, "append 8 of 10");
	is_int(fixu_buf_append(&b, "abc", 3), FIXU_ELIMIT,
	    "append past max: ELIMIT");
	is_mem(b.p, b.len, "01234567", "  contents unchanged");
	is_int(fixu_buf_append(&b, "ab", 2), 0, "append up to max exactly");
	is_mem(b.p, b.len, "01234567ab", "  10 bytes");
	is_int(fixu_buf_putc(&b, 'x'), FIXU_ELIMIT, "putc past max: ELIMIT");
	is_int(fixu_buf_puts(&b, "y"), FIXU_ELIMIT, "puts past max: ELIMIT");
	is_int(fixu_buf_putu(&b, 7), FIXU_ELIMIT, "putu past max: ELIMIT");
	is_int(fixu_buf_printf(&b, "%d", 7), FIXU_ELIMIT,
	    "printf past max: ELIMIT");
	is_int(fixu_buf_reserve(&b, 1), FIXU_ELIMIT, "reserve past max: ELIMIT");
	is_int(fixu_buf_reserve(&b, SIZE_MAX), FIXU_ELIMIT,
	    "reserve SIZE_MAX: ELIMIT (no overflow)");
	is_mem(b.p, b.len, "01234567ab", "  contents unchanged after all that");
	is_int(fixu_buf_append(&b, "", 0), 0, "append nothing at max is fine");
	ok(b.cap <= 10, "capacity never grows past max (%zu)", b.cap);
	fixu_buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	is_int(fixu_buf_append(&b, "abcdefghij", 10), 0, "  and room again");
	fixu_buf_fini(&b);
	ok(b.p == NULL && b.len == 0, "fini frees");
	fixu_buf_fini(&b);
	fixu_buf_fini(NULL);
	ok(1, "fini twice and of NULL is safe");

	/* A cap above the first allocation size. */
	fixu_buf_init(&b, 1000);
	for (i = 0; i < 999; i++)
		fixu_buf_putc(&b, 'k');
	is_int(fixu_buf_append(&b, "xy", 2), FIXU_ELIMIT,
	    "max 1000: append of 2 to 999 bytes: ELIMIT");
	is_int(b.len, 999, "  length unchanged");
	is_int(fixu_buf_putc(&b, 'x'), 0, "  putc of the 1000th byte");
	is_int(fixu_buf_putc(&b, 'x'), FIXU_ELIMIT, "  putc of the 1001st");
	ok(b.cap <= 1000, "  capacity within max (%zu)", b.cap);
	fixu_buf_fini(&b);

	/* printf that exactly fills the buffer. */
	fixu_buf_init(&b, 10);
	is_int(fixu_buf_printf(&b, "%s", "0123456789"), 0,
	    "printf of exactly max bytes fits");
	is_int(b.len, 10, "  len 10");
	fixu_buf_fini(&b);
	fixu_buf_init(&b, 10);
	is_int(fixu_buf_printf(&b, "%s", "01234567890"), FIXU_ELIMIT,
	    "printf of max + 1 bytes: ELIMIT");
	is_int(b.len, 0, "  nothing appended");
	fixu_buf_fini(&b);

	/* An all-zero buffer is valid, capped at FIXU_MAX_LINE. */
	memset(&b, 0, sizeof(b));
	is_int(fixu_buf_puts(&b, "hello"), 0, "all-zero buffer: puts");
	is_mem(b.p, b.len, "hello", "  contents");
	is_int(fixu_buf_reserve(&b, FIXU_MAX_LINE), FIXU_ELIMIT,
	    "  reserve FIXU_MAX_LINE more: ELIMIT");
	fixu_buf_fini(&b);

	/* Growth keeps contents, in many small steps. */
	fixu_buf_init(&b, 100000);
	for (i = 0; i < 10000; i++)
		if (fixu_buf_putc(&b, 'a' + (int)(i % 26)) < 0)
			break;
	is_int(b.len, 10000, "10,000 putc");
	for (i = 0; i < 10000; i++)
		if (b.p[i] != 'a' + (int)(i % 26))
			break;
	is_int(i, 10000, "  contents survive growth");
	fixu_buf_fini(&b);

	/* Bytes with NUL and SOH are kept. */
	fixu_buf_init(&b, 0);
	fixu_buf_append(&b, "a\0b\001c", 5);
	ok(b.len == 5 && memcmp(b.p, "a\0b\001c", 5) == 0,
	    "NUL and SOH bytes are kept");
	fixu_buf_fini(&b);
	memset(big, 'z', sizeof(big));
	fixu_buf_init(&b, 64);
	is_int(fixu_buf_append(&b, big, 64), 0, "append 64 into max 64");
	fixu_buf_fini(&b);
}

static void
test_putu_printf(void)
{
	struct fixu_buf b;

	fixu_buf_init(&b, 0);
	fixu_buf_putu(&b, 0);
	fixu_buf_putc(&b, ' ');
	fixu_buf_putu(&b, 9);
	fixu_buf_putc(&b, ' ');
	fixu_buf_putu(&b, 10);
	fixu_buf_putc(&b, ' ');
	fixu_buf_putu(&b, 4194304);
	fixu_buf_putc(&b, ' ');
	fixu_buf_putu(&b, UINT64_MAX);
	is_mem(b.p, b.len, "0 9 10 4194304 18446744073709551615",
	    "putu 0, 9, 10, 4194304, UINT64_MAX");
	fixu_buf_reset(&b);
	is_int(fixu_buf_printf(&b, "%s=%d|%03u", "35", -1, 7u), 0, "printf");
	is_mem(b.p, b.len, "35=-1|007", "  formatted");
	is_int(fixu_buf_printf(&b, "%s", ""), 0, "printf of nothing");
	is_int(b.len, 9, "  appends nothing");
	is_int(fixu_buf_printf(&b, "%c", 0), 0, "printf of a NUL byte");
	is_int(b.len, 10, "  appends one byte");
	fixu_buf_reset(&b);
	{
		char long_[3000];

		memset(long_, 'q', sizeof(long_) - 1);
		long_[sizeof(long_) - 1] = '\0';
		is_int(fixu_buf_printf(&b, "<%s>", long_), 0,
		    "printf longer than the first allocation");
		ok(b.len == 3001 && b.p[0] == '<' && b.p[3000] == '>' &&
		    b.p[1500] == 'q', "  all 3001 bytes");
	}
	fixu_buf_fini(&b);
}

static void
test_consume(void)
{
	struct fixu_buf b;

	fixu_buf_init(&b, 0);
	fixu_buf_puts(&b, "0123456789");
	fixu_buf_consume(&b, 3);
	is_mem(b.p, b.len, "3456789", "consume 3");
	fixu_buf_consume(&b, 0);
	is_mem(b.p, b.len, "3456789", "consume 0");
	fixu_buf_consume(&b, 7);
	is_int(b.len, 0, "consume all");
	fixu_buf_puts(&b, "abc");
	fixu_buf_consume(&b, 100);
	is_int(b.len, 0, "consume more than there is");
	fixu_buf_puts(&b, "xyz");
	is_mem(b.p, b.len, "xyz", "usable after consume");
	fixu_buf_fini(&b);
	memset(&b, 0, sizeof(b));
	fixu_buf_consume(&b, 5);
	is_int(b.len, 0, "consume on an empty buffer");
}

/* fixu_buf_write: partial writes to a full pipe keep the rest, in order. */
static void
test_write(void)
{
	struct fixu_buf b;
	static char chunk[300000], got[300000];
	size_t i, n = 0;
	ssize_t r;
	int fd[2];

	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)('a' + i % 26);
	(void)signal(SIGPIPE, SIG_IGN);
	fixu_buf_init(&b, SIZE_MAX);
	ok(pipe(fd) == 0 && fcntl(fd[1], F_SETFL, O_NONBLOCK) == 0 &&
	    fcntl(fd[0], F_SETFL, O_NONBLOCK) == 0, "a non-blocking pipe");
	fixu_buf_append(&b, chunk, sizeof(chunk));
	is_int(fixu_buf_write(&b, fd[1]), 0, "a full pipe is not an error");
	ok(b.len > 0 && b.len < sizeof(chunk), "  what did not fit stays "
	    "(%zu bytes)", b.len);
	while (n < sizeof(got)) {
		while ((r = read(fd[0], got + n, sizeof(got) - n)) > 0)
			n += (size_t)r;
		if (fixu_buf_write(&b, fd[1]) != 0)
			break;
	}
	is_int(n, sizeof(chunk), "every byte arrived");
	ok(memcmp(got, chunk, sizeof(chunk)) == 0, "  in order");
	is_int(b.len, 0, "  and the buffer is empty");
	close(fd[0]);
	fixu_buf_append(&b, "x", 1);
	is_int(fixu_buf_write(&b, fd[1]), -1, "a closed reader: -1");
	is_int(errno, EPIPE, "  errno EPIPE");
	close(fd[1]);
	fixu_buf_fini(&b);
}

static void
test_str(void)
{
	struct fixu_str s = FIXU_STR("FIX.4.4");
	struct fixu_str z = { "a\0b", 3 };

	is_int(s.n, 7, "FIXU_STR length");
	ok(fixu_str_eq(s, "FIX.4.4"), "str_eq equal");
	ok(!fixu_str_eq(s, "FIX.4.2"), "str_eq different");
	ok(!fixu_str_eq(s, "FIX.4.44"), "str_eq longer");
	ok(!fixu_str_eq(s, "FIX.4"), "str_eq shorter");
	ok(!fixu_str_eq(z, "a"), "str_eq with NUL inside the view");
}

static void
test_parse_u64(void)
{
	static const struct {
		const char	*s;
		size_t		 n;
		int		 rc;
		uint64_t	 v;
	} c[] = {
		{ "0", 1, 0, 0 },
		{ "7", 1, 0, 7 },
		{ "007", 3, 0, 7 },
		{ "123", 3, 0, 123 },
		{ "4294967296", 10, 0, 4294967296ULL },
		{ "9999999999999999999", 19, 0, 9999999999999999999ULL },
		{ "0000000000000000001", 19, 0, 1 },
		{ "18446744073709551615", 20, FIXU_EINVAL, 0 },
		{ "10000000000000000000", 20, FIXU_EINVAL, 0 },
		{ "", 0, FIXU_EINVAL, 0 },
		{ "-1", 2, FIXU_EINVAL, 0 },
		{ "+1", 2, FIXU_EINVAL, 0 },
		{ " 1", 2, FIXU_EINVAL, 0 },
		{ "1 ", 2, FIXU_EINVAL, 0 },
		{ "1a", 2, FIXU_EINVAL, 0 },
		{ "0x10", 4, FIXU_EINVAL, 0 },
		{ "1.0", 3, FIXU_EINVAL, 0 },
		{ "1\0", 2, FIXU_EINVAL, 0 },
		{ "12345", 2, 0, 12 },		/* only n bytes are read */
		{ "/", 1, FIXU_EINVAL, 0 },	/* '0' - 1 */
		{ ":", 1, FIXU_EINVAL, 0 },	/* '9' + 1 */
	};
	size_t i;
	uint64_t v;
	int rc;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = 4711;
		rc = fixu_parse_u64(c[i].s, c[i].n, &v);
		is_int(rc, c[i].rc, "parse_u64 '%.*s' (%zu bytes)", (int)c[i].n,
		    c[i].s, c[i].n);
		if (c[i].rc == 0)
			ok(v == c[i].v, "  value %llu", (unsigned long long)v);
		else
			is_int(v, 4711, "  output untouched on error");
	}
}

static void
test_err(void)
{
	struct fixu_diag d;
	char out[256], tiny[8];

	is_str(fixu_strerror(0), "success", "strerror 0");
	is_str(fixu_strerror(FIXU_EAGAIN), "need more bytes", "strerror EAGAIN");
	is_str(fixu_strerror(FIXU_ECHECKSUM), "bad CheckSum (10)",
	    "strerror ECHECKSUM");
	is_str(fixu_strerror(FIXU_EBODYLEN), "bad BodyLength (9)",
	    "strerror EBODYLEN");
	is_str(fixu_strerror(FIXU_ELIMIT), "limit exceeded", "strerror ELIMIT");
	is_str(fixu_strerror(FIXU_EIO), "I/O error", "strerror EIO (last)");
	is_str(fixu_strerror(-999), "unknown error", "strerror unknown");
	is_str(fixu_strerror(5), "unknown error", "strerror positive");
	{
		int c, bad = 0;

		for (c = -1; c >= FIXU_EIO; c--)
			if (strcmp(fixu_strerror(c), "unknown error") == 0 ||
			    fixu_strerror(c)[0] == '\0')
				bad++;
		is_int(bad, 0, "every code from -1 to EIO has a text");
	}
	is_str(fixu_reject_text(FIXU_REJ_INVALID_TAG), "Invalid tag number",
	    "reject text 0");
	is_str(fixu_reject_text(FIXU_REJ_DATA_DELIM),
	    "Non Data value includes field delimiter (SOH character)",
	    "reject text 17");
	is_str(fixu_reject_text(FIXU_REJ_OTHER), "Other", "reject text 99");
	is_str(fixu_reject_text(FIXU_REJ_NONE), "", "reject text none");
	is_str(fixu_reject_text(18), "", "reject text 18 (unknown)");

	fixu_diag_clear(&d);
	is_int(d.code, 0, "diag_clear: code 0");
	ok(d.off == SIZE_MAX, "  off SIZE_MAX");
	is_int(d.tag, 0, "  tag 0");
	is_int(d.reject, FIXU_REJ_NONE, "  reject none");
	is_str(d.msg, "", "  empty msg");
	fixu_diag_clear(NULL);
	ok(1, "diag_clear(NULL) is safe");

	is_int(fixu_diag_set(NULL, FIXU_ETAG, 0, 0, 0, "x"), FIXU_ETAG,
	    "diag_set(NULL) returns the code");
	is_int(fixu_diag_set(&d, FIXU_ECHECKSUM, 42, 10, FIXU_REJ_NONE,
	    "expected %03u, got %s", 123u, "045"), FIXU_ECHECKSUM,
	    "diag_set returns the code");
	ok(d.off == 42 && d.tag == 10 && d.code == FIXU_ECHECKSUM,
	    "  fields set");
	is_str(d.msg, "expected 123, got 045", "  msg formatted");
	is_str(fixu_diag_fmt(&d, out, sizeof(out)),
	    "bad CheckSum (10): expected 123, got 045", "diag_fmt");
	is_str(fixu_diag_fmt(&d, tiny, sizeof(tiny)), "bad Che",
	    "diag_fmt truncates into a small buffer, NUL-terminated");
	ok(fixu_diag_fmt(&d, tiny, 0) == tiny, "diag_fmt into 0 bytes");

	fixu_diag_set(&d, FIXU_ETRUNC, 0, 0, FIXU_REJ_NONE, NULL);
	is_str(fixu_diag_fmt(&d, out, sizeof(out)), "truncated message",
	    "diag_fmt without detail");
	{
		char longmsg[400];

		memset(longmsg, 'm', sizeof(longmsg) - 1);
		longmsg[sizeof(longmsg) - 1] = '\0';
		fixu_diag_set(&d, FIXU_EINVAL, 0, 0, FIXU_REJ_NONE, "%s",
		    longmsg);
		is_int(strlen(d.msg), sizeof(d.msg) - 1,
		    "a long detail is cut to fit");
	}
}

int
main(void)
{
	test_caps();
	test_putu_printf();
	test_consume();
	test_write();
	test_str();
	test_parse_u64();
	test_err();
	return tap_done();
}
