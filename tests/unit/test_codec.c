/*
 * test_codec.c -- framing, parsing, building, time stamps, length/data maps.
 *
 * Expected BodyLength and CheckSum values come from two independent sources:
 * literals computed outside the project (python, shown next to each), and
 * mk(), a helper here that sums plain bytes and knows nothing about the
 * codec.  Framing is checked the way a reader uses it: frame, advance by
 * start + len or by skip, frame again.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "fixlimits.h"
#include "tap.h"

#define SOH	"\001"

/* ---- independent helpers ---------------------------------------------- */

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		perror("malloc");
		exit(2);
	}
	return p;
}

static unsigned
sum256(const char *p, size_t n)
{
	unsigned s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += (unsigned char)p[i];
	return s % 256;
}

static void
tr(char *p, size_t n, char from, char to)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == from)
			p[i] = to;
}

/*
 * "8=<begin>^9=<len>^<body>10=<sum>^" where body holds exact wire bytes
 * (SOH delimiters).  Returns a malloc'd buffer, its length in *outn.
 */
static char *
mkwire(const char *begin, const char *body, size_t bn, size_t *outn)
{
	size_t cap = bn + strlen(begin) + 64, n;
	char *o = xmalloc(cap);
	int k;

	k = snprintf(o, cap, "8=%s" SOH "9=%zu" SOH, begin, bn);
	n = (size_t)k;
	memcpy(o + n, body, bn);
	n += bn;
	k = snprintf(o + n, cap - n, "10=%03u" SOH, sum256(o, n));
	n += (size_t)k;
	*outn = n;
	return o;
}

/* The same with a body written with '|' for SOH. */
static char *
mk(const char *begin, const char *body, size_t *outn)
{
	size_t bn = strlen(body);
	char *b = xmalloc(bn + 1), *o;

	memcpy(b, body, bn + 1);
	tr(b, bn, '|', FIXU_SOH);
	o = mkwire(begin, b, bn, outn);
	free(b);
	return o;
}

/* Where needle occurs in p[0..n), or NULL (memmem is not POSIX). */
static const char *
find(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(p + i, needle, k) == 0)
			return p + i;
	return NULL;
}

/* Concatenate (pointer, size_t length) pairs into one malloc'd stream. */
static char *
cat(size_t *outn, int count, ...)
{
	va_list ap;
	size_t n = 0, k;
	char *o = NULL, *np;
	int i;

	va_start(ap, count);
	for (i = 0; i < count; i++) {
		const char *p = va_arg(ap, const char *);

		k = va_arg(ap, size_t);
		if ((np = realloc(o, n + k + 1)) == NULL) {
			perror("realloc");
			exit(2);
		}
		o = np;
		memcpy(o + n, p, k);
		n += k;
	}
	va_end(ap);
	*outn = n;
	return o;
}

struct step {
	int	rc;
	size_t	at;	/* absolute offset of the frame start (or of the skip) */
	size_t	len;	/* frame length, or bytes skipped */
	char	delim;
};

/*
 * Frame a whole stream the way a reader does; record every result.
 * Stops at EAGAIN or when the stream is used up.  Aborts the test program
 * if framing makes no progress (that would hang a reader).
 */
static int
frame_all(const char *p, size_t n, int flags, struct step *st, int max)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off = 0;
	int k = 0, rc;

	while (off < n && k < max) {
		fixu_diag_clear(&d);
		rc = fixu_frame(p + off, n - off, flags, &fr, &d);
		st[k].rc = rc;
		st[k].delim = fr.delim;
		if (rc == 0) {
			st[k].at = off + fr.start;
			st[k].len = fr.len;
			off += fr.start + fr.len;
		} else if (rc == FIXU_EAGAIN) {
			st[k].at = off + fr.start;
			st[k].len = 0;
			k++;
			break;
		} else {
			st[k].at = off;
			st[k].len = fr.skip;
			if (fr.skip == 0 || fr.skip > n - off) {
				printf("Bail out! frame made no progress at %zu\n",
				    off);
				exit(1);
			}
			off += fr.skip;
		}
		k++;
	}
	return k;
}

/* ---- framing -------------------------------------------------------------- */

static void
test_frame_basic(void)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t n1, n2, n3, n;
	char *m1 = mk("FIX.4.4", "35=0|49=A|56=B|34=1|", &n1);
	char *m2 = mk("FIX.4.2", "35=D|11=X|55=MSFT|58=8=FIX.4.4 inside|", &n2);
	char *m3 = mk("FIXT.1.1", "35=A|98=0|108=30|", &n3);
	char *s = cat(&n, 3, m1, n1, m2, n2, m3, n3);
	struct step st[8];
	int k;

	fixu_diag_clear(&d);
	is_int(fixu_frame(m1, n1, 0, &fr, &d), 0, "frame one message");
	is_int(fr.start, 0, "  starts at 0");
	is_int(fr.len, n1, "  length is the whole message");
	is_int(fr.delim, FIXU_SOH, "  delimiter is SOH");
	is_int(fr.final_nl, 0, "  not newline-terminated");

	k = frame_all(s, n, 0, st, 8);
	is_int(k, 3, "three messages in one buffer give three frames");
	ok(st[0].rc == 0 && st[0].at == 0 && st[0].len == n1, "  first");
	ok(st[1].rc == 0 && st[1].at == n1 && st[1].len == n2,
	    "  second (8=FIX inside a value is not a start)");
	ok(st[2].rc == 0 && st[2].at == n1 + n2 && st[2].len == n3,
	    "  third (FIXT.1.1)");

	/* Junk before the first message. */
	free(s);
	s = cat(&n, 3, "garbage 18=FIX 9=12 \n", (size_t)21, m1, n1, m2, n2);
	fixu_diag_clear(&d);
	is_int(fixu_frame(s, n, 0, &fr, &d), 0, "junk before 8= is passed over");
	is_int(fr.start, 21, "  start is after the junk");
	is_int(fr.len, n1, "  length of the message");
	k = frame_all(s, n, 0, st, 8);
	ok(k == 2 && st[1].rc == 0 && st[1].at == 21 + n1, "  then the next");

	/* 58=FIX... in a Text field directly before a message. */
	free(s);
	s = cat(&n, 2, "58=FIX.4.4" SOH "9=5" SOH, (size_t)15, m1, n1);
	is_int(fixu_frame(s, n, 0, &fr, &d), 0, "'58=FIX' is not a start");
	is_int(fr.start, 15, "  the real message is found after it");

	/* An empty buffer and a buffer without any start. */
	is_int(fixu_frame("", 0, 0, &fr, &d), FIXU_EAGAIN, "empty buffer: EAGAIN");
	is_int(fixu_frame("hello world", 11, 0, &fr, &d), FIXU_EAGAIN,
	    "no start: EAGAIN");
	is_int(fr.start, 11, "  start == n when no start was seen");
	is_int(fixu_frame("hello world", 11, FIXU_FRAME_EOF, &fr, &d),
	    FIXU_EAGAIN, "no start at EOF: still EAGAIN (nothing to report)");
	is_int(fr.skip, 11, "  and everything may be dropped");

	free(m1);
	free(m2);
	free(m3);
	free(s);
}

static void
test_frame_split(void)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t n, k, bad = 0, badeof = 0;
	char *m = mk("FIX.4.4", "35=D|49=SENDER|56=TARGET|34=12|"
	    "52=20260101-12:00:00.000|11=ORDER-1|55=MSFT|54=1|38=100|40=2|"
	    "44=1.5|", &n);
	char *two;
	size_t n2;

	for (k = 0; k < n; k++) {
		int rc = fixu_frame(m, k, 0, &fr, &d);

		if (rc != FIXU_EAGAIN) {
			if (bad++ == 0)
				printf("# prefix of %zu bytes gave %d\n", k, rc);
		}
		rc = fixu_frame(m, k, FIXU_FRAME_EOF, &fr, &d);
		if (k > 0 && rc != FIXU_ETRUNC) {
			if (badeof++ == 0)
				printf("# prefix of %zu bytes at EOF gave %d\n",
				    k, rc);
		}
	}
	is_int(bad, 0, "every proper prefix (%zu of them) gives EAGAIN", n);
	is_int(badeof, 0, "every proper prefix at EOF gives ETRUNC");
	is_int(fixu_frame(m, n, 0, &fr, &d), 0, "the whole message frames");
	is_int(fr.len, n, "  with its full length");

	/* A message, then the next one arriving byte by byte. */
	two = cat(&n2, 2, m, n, m, n);
	bad = 0;
	for (k = n + 1; k < n2; k++) {
		if (fixu_frame(two, k, 0, &fr, &d) != 0 || fr.start != 0 ||
		    fr.len != n)
			bad++;
	}
	is_int(bad, 0, "a complete message frames whatever part of the next "
	    "follows it");
	bad = 0;
	for (k = n + 1; k < n2; k++) {
		if (fixu_frame(two + n, k - n, 0, &fr, &d) != FIXU_EAGAIN)
			bad++;
	}
	is_int(bad, 0, "  and the part of the next gives EAGAIN");
	free(two);
	free(m);
}

static void
test_frame_delims(void)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t n;
	char *m = mk("FIX.4.4", "35=0|49=A|56=B|34=1|", &n), *nl;

	tr(m, n, FIXU_SOH, '|');
	is_int(fixu_frame(m, n, 0, &fr, &d), 0, "'|' delimited message frames");
	is_int(fr.delim, '|', "  delimiter '|'");
	is_int(fr.len, n, "  full length");

	/* Newline instead of the last delimiter. */
	nl = xmalloc(n + 1);
	memcpy(nl, m, n);
	nl[n - 1] = '\n';
	is_int(fixu_frame(nl, n, FIXU_FRAME_NL, &fr, &d), 0,
	    "newline as the last delimiter with FIXU_FRAME_NL");
	is_int(fr.final_nl, 1, "  final_nl is set");
	is_int(fr.len, n - 1, "  the newline is not part of the message");
	ok(fixu_frame(nl, n, 0, &fr, &d) != 0,
	    "  without FIXU_FRAME_NL it is not a complete message");
	/* CR LF line ends, as Windows log files have them. */
	nl = realloc(nl, n + 1);
	nl[n - 1] = '\r';
	nl[n] = '\n';
	is_int(fixu_frame(nl, n + 1, FIXU_FRAME_NL, &fr, &d), 0,
	    "CR LF as the last delimiter with FIXU_FRAME_NL");
	is_int(fr.len, n - 1, "  neither CR nor LF is part of the message");
	free(nl);

	/* "^A" written out, as some logs do. */
	free(m);
	m = mk("FIX.4.4", "35=0|49=A|56=B|34=1|", &n);
	{
		char caret[] = "8=FIX.4.4^A9=5^A35=0^A10=163^A";

		fixu_diag_clear(&d);
		is_int(fixu_frame(caret, sizeof(caret) - 1, 0, &fr, &d),
		    FIXU_EGARBLED, "'^A' delimiter is refused with EGARBLED");
		is_int(d.code, FIXU_EGARBLED, "  diag code");
		ok(strstr(d.msg, "^A") != NULL, "  diag mentions ^A: %s", d.msg);
		ok(fr.skip > 0, "  skip > 0");
	}
	free(m);
}

static void
test_frame_bad(void)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	struct step st[8];
	size_t ng, nb, n;
	char *good = mk("FIX.4.4", "35=0|49=A|56=B|34=2|", &ng), *s;
	/* BodyLength of this body is 20 (python: len("35=0^49=A^56=B^34=1^")). */
	static const char shortbl[] = "8=FIX.4.4" SOH "9=12" SOH "35=0" SOH
	    "49=A" SOH "56=B" SOH "34=1" SOH "10=000" SOH;
	static const char longbl[] = "8=FIX.4.4" SOH "9=40" SOH "35=0" SOH
	    "49=A" SOH "56=B" SOH "34=1" SOH "10=000" SOH;
	int k;

	nb = sizeof(shortbl) - 1;
	s = cat(&n, 2, shortbl, nb, good, ng);
	fixu_diag_clear(&d);
	is_int(fixu_frame(s, n, 0, &fr, &d), FIXU_EBODYLEN,
	    "BodyLength too short: EBODYLEN");
	is_str(d.msg, "declared 12, actual 20", "  diag says how far off");
	is_int(fr.skip, nb, "  skip goes to the next message");
	k = frame_all(s, n, 0, st, 8);
	ok(k == 2 && st[0].rc == FIXU_EBODYLEN && st[1].rc == 0 &&
	    st[1].at == nb && st[1].len == ng, "  next good message framed");
	free(s);

	nb = sizeof(longbl) - 1;
	s = cat(&n, 2, longbl, nb, good, ng);
	fixu_diag_clear(&d);
	is_int(fixu_frame(s, n, 0, &fr, &d), FIXU_EBODYLEN,
	    "BodyLength too long: EBODYLEN");
	is_str(d.msg, "declared 40, actual 20", "  diag says how far off");
	k = frame_all(s, n, 0, st, 8);
	ok(k == 2 && st[0].rc == FIXU_EBODYLEN && st[1].rc == 0 &&
	    st[1].at == nb && st[1].len == ng,
	    "  the long length does not swallow the next message");
	/* The same stream arriving with the good message cut short. */
	k = frame_all(s, nb + 10, 0, st, 8);
	ok(k >= 1 && st[0].rc == FIXU_EBODYLEN,
	    "  reported as soon as the next start is visible (rc %d)",
	    st[0].rc);
	free(s);

	/* A message cut short (no CheckSum at all) and a whole one after it:
	   the cut one is dropped at once, not waited for. */
	{
		static const char cut[] = "8=FIX.4.4" SOH "9=274" SOH "35=D"
		    SOH "49=A" SOH "56=B" SOH "34=1" SOH "52=2026120";
		static const char cutdata[] = "8=FIX.4.4" SOH "9=274" SOH
		    "35=n" SOH "49=A" SOH "56=B" SOH "34=1" SOH "212=200" SOH
		    "213=";

		s = cat(&n, 2, cut, sizeof(cut) - 1, good, ng);
		fixu_diag_clear(&d);
		is_int(fixu_frame(s, n, 0, &fr, &d), FIXU_EGARBLED,
		    "cut short before a whole message: EGARBLED at once");
		is_int(fr.skip, sizeof(cut) - 1, "  skip goes to the next "
		    "message");
		k = frame_all(s, n, 0, st, 8);
		ok(k == 2 && st[1].rc == 0 && st[1].at == sizeof(cut) - 1 &&
		    st[1].len == ng, "  and the next one frames");
		is_int(fixu_frame(s, n - 1, 0, &fr, &d), FIXU_EAGAIN,
		    "  next one not whole yet: wait");
		free(s);
		/* Inside XmlData (213, its length in 212) a message is data. */
		s = cat(&n, 2, cutdata, sizeof(cutdata) - 1, good, ng);
		is_int(fixu_frame(s, n, 0, &fr, &d), FIXU_EAGAIN,
		    "a whole message inside a data field: wait for the rest");
		free(s);
	}

	/* Long length at the end of input: wait, then ETRUNC at EOF. */
	is_int(fixu_frame(longbl, nb, 0, &fr, &d), FIXU_EAGAIN,
	    "BodyLength too long, last in stream: EAGAIN (may be more)");
	ok(fixu_frame(longbl, nb, FIXU_FRAME_EOF, &fr, &d) < 0 &&
	    fr.skip == nb, "  at EOF an error, whole rest skipped");

	/* Huge BodyLength. */
	{
		static const char huge[] = "8=FIX.4.4" SOH "9=4194305" SOH
		    "35=0" SOH "10=000" SOH;
		static const char huge8[] = "8=FIX.4.4" SOH "9=99999999" SOH
		    "35=0" SOH "10=000" SOH;
		static const char max[] = "8=FIX.4.4" SOH "9=4194304" SOH
		    "35=0" SOH "10=000" SOH;

		s = cat(&n, 2, huge, sizeof(huge) - 1, good, ng);
		fixu_diag_clear(&d);
		is_int(fixu_frame(s, n, 0, &fr, &d), FIXU_ELIMIT,
		    "BodyLength > FIXU_MAX_MSG: ELIMIT");
		is_int(d.tag, 9, "  diag tag 9");
		k = frame_all(s, n, 0, st, 8);
		ok(k == 2 && st[1].rc == 0 && st[1].at == sizeof(huge) - 1,
		    "  next good message framed");
		free(s);
		s = cat(&n, 2, huge8, sizeof(huge8) - 1, good, ng);
		is_int(fixu_frame(s, n, 0, &fr, &d), FIXU_ELIMIT,
		    "BodyLength with 8 digits: ELIMIT");
		k = frame_all(s, n, 0, st, 8);
		ok(k == 2 && st[1].rc == 0, "  next good message framed");
		free(s);
		is_int(fixu_frame(max, sizeof(max) - 1, 0, &fr, &d),
		    FIXU_EAGAIN, "BodyLength == FIXU_MAX_MSG waits for bytes");
	}

	/* Negative, non-numeric, empty BodyLength; 9 missing. */
	{
		static const char *const bad[] = {
			"8=FIX.4.4" SOH "9=-5" SOH "35=0" SOH "10=000" SOH,
			"8=FIX.4.4" SOH "9=abc" SOH "35=0" SOH "10=000" SOH,
			"8=FIX.4.4" SOH "9=" SOH "35=0" SOH "10=000" SOH,
			"8=FIX.4.4" SOH "9=1 2" SOH "35=0" SOH "10=000" SOH,
			"8=FIX.4.4" SOH "35=0" SOH "9=5" SOH "10=000" SOH,
			"8=FIX.4.4" SOH "49=A" SOH "10=000" SOH,
		};
		static const char *const what[] = {
			"negative BodyLength", "non-numeric BodyLength",
			"empty BodyLength", "BodyLength with a space",
			"9 after 35", "9 missing",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			s = cat(&n, 2, bad[i], strlen(bad[i]), good, ng);
			fixu_diag_clear(&d);
			is_int(fixu_frame(s, n, 0, &fr, &d), FIXU_EBODYLEN,
			    "%s: EBODYLEN", what[i]);
			k = frame_all(s, n, 0, st, 8);
			ok(k == 2 && st[1].rc == 0 &&
			    st[1].at == strlen(bad[i]) && st[1].len == ng,
			    "  next good message framed");
			free(s);
		}
	}

	/* EOF inside a message. */
	fixu_diag_clear(&d);
	is_int(fixu_frame(good, ng - 5, FIXU_FRAME_EOF, &fr, &d), FIXU_ETRUNC,
	    "EOF inside a message: ETRUNC");
	is_int(d.code, FIXU_ETRUNC, "  diag code ETRUNC");
	is_int(fr.skip, ng - 5, "  the rest is dropped");
	is_int(fixu_frame(good, 12, FIXU_FRAME_EOF, &fr, &d), FIXU_ETRUNC,
	    "EOF inside the header: ETRUNC");
	/* A truncated message followed by a good one (a restarted sender). */
	s = cat(&n, 2, good, ng - 9, good, ng);
	k = frame_all(s, n, 0, st, 8);
	ok(k == 2 && st[0].rc < 0 && st[1].rc == 0 && st[1].at == ng - 9 &&
	    st[1].len == ng, "truncated message, then a good one: good one "
	    "framed (rc %d, %d)", st[0].rc, k > 1 ? st[1].rc : 99);
	free(s);
	free(good);
}

/* ---- parsing ---------------------------------------------------------------- */

static int
parse(struct fixu_msg *m, const char *p, size_t n, char delim,
    struct fixu_diag *d)
{
	fixu_diag_clear(d);
	return fixu_msg_parse(m, p, n, delim, NULL, 0, d);
}

static void
test_parse_basic(void)
{
	struct fixu_msg m;
	struct fixu_diag d;
	struct fixu_str v;
	/* python: 9=120, 10=242 */
	char nos[] = "8=FIX.4.2|9=120|35=D|49=CLIENT|56=BROKER|34=2|"
	    "52=20261122-08:30:15|11=ORD1|21=1|55=MSFT|54=1|"
	    "60=20261122-08:30:15|38=100|40=2|44=123.45|10=242|";
	size_t n = sizeof(nos) - 1;
	char buf[256];

	fixu_msg_init(&m);
	is_int(parse(&m, nos, n, '|', &d), 0, "parse a known order ('|')");
	is_int(m.nf, 16, "  16 fields");
	is_int(m.bodylen, 120, "  declared BodyLength");
	is_int(m.bodylen_real, 120, "  real BodyLength");
	is_int(m.sum_declared, 242, "  declared CheckSum");
	is_int(m.sum_real, 242, "  real CheckSum");
	is_int(m.i_msgtype, 2, "  MsgType index");
	v = fixu_msg_get(&m, 35);
	is_mem(v.p, v.n, "D", "  get 35");
	v = fixu_msg_get(&m, 55);
	is_mem(v.p, v.n, "MSFT", "  get 55");
	ok(v.p >= nos && v.p < nos + n, "  views point into the input");
	v = fixu_msg_get(&m, 8);
	is_mem(v.p, v.n, "FIX.4.2", "  get 8");
	v = fixu_msg_get(&m, 10);
	is_mem(v.p, v.n, "242", "  get 10");
	v = fixu_msg_get(&m, 999);
	ok(v.p == NULL && v.n == 0, "  absent tag gives {NULL, 0}");
	is_int(fixu_msg_find(&m, 52, 0), 6, "  find 52");
	is_int(fixu_msg_find(&m, 60, 0), 11, "  find 60");
	is_int(fixu_msg_find(&m, 52, 7), -1, "  find 52 from 7: none");
	is_int(fixu_msg_find(&m, 10, 0), 15, "  find 10");
	is_int(fixu_msg_find(&m, 10, 16), -1, "  find from nf: none");
	is_int(fixu_msg_find(&m, 10, 1000), -1, "  find from past nf: none");

	tr(nos, n, '|', FIXU_SOH);
	is_int(parse(&m, nos, n, FIXU_SOH, &d), 0, "the same with SOH");
	is_int(m.sum_real, 242, "  same CheckSum with SOH as with '|'");
	is_int(fixu_checksum(nos, n - 7, FIXU_SOH), 242,
	    "fixu_checksum with SOH");
	tr(nos, n, FIXU_SOH, '|');
	is_int(fixu_checksum(nos, n - 7, '|'), 242, "fixu_checksum with '|'");
	is_int(fixu_checksum("", 0, FIXU_SOH), 0, "fixu_checksum of nothing");
	is_int(fixu_checksum("\377\377", 2, FIXU_SOH), 254,
	    "fixu_checksum wraps at 256");
	is_int(fixu_checksum("a;b;", 4, ';'), ('a' + 'b' + 2) % 256,
	    "fixu_checksum with another delimiter");

	/* Duplicate tags: get returns the first, find walks them. */
	{
		size_t mn;
		char *dup = mk("FIX.4.4", "35=8|58=one|58=two|58=three|", &mn);

		is_int(parse(&m, dup, mn, FIXU_SOH, &d), 0, "repeated tags parse");
		v = fixu_msg_get(&m, 58);
		is_mem(v.p, v.n, "one", "  get returns the first");
		is_int(fixu_msg_find(&m, 58, 4), 4, "  find from 4");
		is_int(fixu_msg_find(&m, 58, 5), 5, "  find from 5");
		free(dup);
	}

	/* CheckSum wrong: exact diagnostic. */
	memcpy(buf, nos, n);
	memcpy(buf + n - 4, "045", 3);
	is_int(parse(&m, buf, n, '|', &d), FIXU_ECHECKSUM, "wrong CheckSum");
	is_str(d.msg, "expected 242, got 045", "  diag text");
	is_int(d.tag, 10, "  diag tag");
	is_int(d.off, n - 7, "  diag offset is the 10= field");
	is_int(m.nf, 16, "  message still usable: all fields parsed");
	is_int(m.sum_declared, 45, "  sum_declared");
	{
		char out[256];

		is_str(fixu_diag_fmt(&d, out, sizeof(out)),
		    "bad CheckSum (10): expected 242, got 045",
		    "  fixu_diag_fmt");
	}
	memcpy(buf + n - 4, "256", 3);
	is_int(parse(&m, buf, n, '|', &d), FIXU_ECHECKSUM, "CheckSum 256");
	memcpy(buf + n - 4, "4x2", 3);
	is_int(parse(&m, buf, n, '|', &d), FIXU_ECHECKSUM, "CheckSum 4x2");
	{
		char two[] = "8=FIX.4.4|9=5|35=0|10=42|";

		is_int(parse(&m, two, sizeof(two) - 1, '|', &d),
		    FIXU_ECHECKSUM, "CheckSum with two digits");
	}

	/* BodyLength wrong: exact diagnostic. */
	memcpy(buf, nos, n);
	memcpy(buf + 12, "123", 3);
	is_int(parse(&m, buf, n, '|', &d), FIXU_EBODYLEN, "wrong BodyLength");
	is_str(d.msg, "expected 120, got 123", "  diag text");
	is_int(d.tag, 9, "  diag tag");
	is_int(d.off, 10, "  diag offset is the 9= field");
	is_int(m.nf, 16, "  message still usable");
	fixu_msg_fini(&m);
}

static void
test_parse_order(void)
{
	struct fixu_msg m;
	struct fixu_diag d;
	static const struct {
		const char	*msg;
		int		 rc;
		uint32_t	 tag;
		const char	*what;
	} c[] = {
		{ "9=5|8=FIX.4.4|35=0|10=000|", FIXU_EBEGIN, 8, "9 first" },
		{ "8=FIX.4.4|35=0|9=5|10=000|", FIXU_EBODYLEN, 9, "35 second" },
		{ "8=FIX.4.4|9=10|49=A|35=0|10=000|", FIXU_EORDER, 35,
		    "49 third" },
		{ "8=FIX.4.4|9=5|35=0|", FIXU_ECHECKSUM, 10, "10 missing" },
		{ "8=FIX.4.4|9=10|35=0|10=000|49=A|", FIXU_ECHECKSUM, 10,
		    "10 not last" },
		{ "8=FIX.4.4|", FIXU_EBODYLEN, 9, "only 8" },
		{ "8=FIX.4.4|9=0|", FIXU_EORDER, 35, "only 8, 9" },
		{ "8=FIX.4.4|9=x|35=0|10=000|", FIXU_EBODYLEN, 9,
		    "BodyLength not a number" },
		{ "", FIXU_EBEGIN, 8, "empty message" },
	};
	size_t i;

	fixu_msg_init(&m);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		is_int(parse(&m, c[i].msg, strlen(c[i].msg), '|', &d), c[i].rc,
		    "%s: %s", c[i].what, fixu_strerror(c[i].rc));
		is_int(d.tag, c[i].tag, "  diag tag");
	}
	/* Without checks, any run of fields parses. */
	is_int(fixu_msg_parse(&m, "49=A|56=B|", 10, '|', NULL,
	    FIXU_PARSE_NOCHECK, &d), 0, "NOCHECK: a run of fields");
	is_int(m.nf, 2, "  two fields");
	is_int(m.i_msgtype, 2, "  no MsgType: i_msgtype == nf");
	ok(fixu_msg_get(&m, 35).p == NULL, "  get 35 gives nothing");
	fixu_msg_fini(&m);
}

static void
test_parse_tags(void)
{
	struct fixu_msg m;
	struct fixu_diag d;
	static const struct {
		const char	*run;
		int		 rc;
		const char	*what;
	} c[] = {
		{ "0=x|", FIXU_ETAG, "tag 0" },
		{ "035=x|", FIXU_ETAG, "leading zero" },
		{ "00=x|", FIXU_ETAG, "tag 00" },
		{ "abc=x|", FIXU_ETAG, "non-numeric tag" },
		{ "5a=x|", FIXU_ETAG, "tag with a letter" },
		{ "-5=x|", FIXU_ETAG, "negative tag" },
		{ "+5=x|", FIXU_ETAG, "tag with a plus" },
		{ " 5=x|", FIXU_ETAG, "tag with a space" },
		{ "=x|", FIXU_ETAG, "empty tag" },
		{ "58|", FIXU_ENOEQ, "field without '='" },
		{ "49=A|58", FIXU_ENOEQ, "last field without '='" },
		{ "2147483648=x|", FIXU_ETAG, "tag 2^31" },
		{ "2147483649=x|", FIXU_ETAG, "tag 2^31+1" },
		{ "2999999999=x|", FIXU_ETAG, "tag 2999999999" },
		{ "4294967295=x|", FIXU_ETAG, "tag 2^32-1" },
		{ "4294967296=x|", FIXU_ETAG, "tag 2^32" },
		{ "99999999999=x|", FIXU_ETAG, "tag with 11 digits" },
		{ "2147483647=x|", 0, "tag 2^31-1 is fine" },
		{ "1=|", 0, "empty value is fine (at this level)" },
		{ "1==|", 0, "'=' in a value is fine" },
	};
	size_t i;
	int rc;

	fixu_msg_init(&m);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		fixu_diag_clear(&d);
		rc = fixu_msg_parse(&m, c[i].run, strlen(c[i].run), '|', NULL,
		    FIXU_PARSE_NOCHECK, &d);
		is_int(rc, c[i].rc, "%s: '%s' -> %s", c[i].what, c[i].run,
		    fixu_strerror(c[i].rc));
		if (rc == 0 && c[i].rc == 0 && i == sizeof(c) / sizeof(c[0]) - 3)
			is_int(m.f[0].tag, 2147483647u, "  tag value");
		if (rc != 0)
			ok(d.code == rc && d.msg[0] != '\0',
			    "  diag filled: %s", d.msg);
	}
	/* Fields before the fault stay in m. */
	rc = fixu_msg_parse(&m, "49=A|56=B|0=x|", 14, '|', NULL,
	    FIXU_PARSE_NOCHECK, &d);
	ok(rc == FIXU_ETAG && m.nf == 2, "fields before a bad tag are kept");
	is_int(d.off, 10, "  diag offset of the bad field");
	/* A bad tag inside a checked message. */
	{
		size_t n;
		char *s = mk("FIX.4.4", "35=0|49=A|0=x|", &n);

		is_int(parse(&m, s, n, FIXU_SOH, &d), FIXU_ETAG,
		    "tag 0 in a framed message: ETAG");
		free(s);
	}
	fixu_msg_fini(&m);
}

static void
test_parse_data(void)
{
	struct fixu_msg m;
	struct fixu_diag d;
	struct fixu_str v;
	/* 96 holds SOH, '|', '=', NUL, newline, CR: 9 bytes. */
	static const char data96[] = "a" SOH "|=\0\n\rb" SOH;
	char body[128], *s;
	size_t bn, n;
	int rc;

	fixu_msg_init(&m);
	bn = (size_t)snprintf(body, sizeof(body), "35=B" SOH "95=9" SOH "96=");
	memcpy(body + bn, data96, 9);
	bn += 9;
	memcpy(body + bn, SOH "58=after" SOH, 10);
	bn += 10;
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(parse(&m, s, n, FIXU_SOH, &d), 0,
	    "data field 96 with SOH, '|', '=', NUL, newlines");
	is_int(m.nf, 7, "  7 fields");
	v = fixu_msg_get(&m, 96);
	ok(v.n == 9 && memcmp(v.p, data96, 9) == 0, "  96 has all 9 bytes");
	v = fixu_msg_get(&m, 58);
	is_mem(v.p, v.n, "after", "  the field after it");
	{
		struct fixu_frame fr;

		is_int(fixu_frame(s, n, 0, &fr, &d), 0, "  frames");
		is_int(fr.len, n, "  whole length");
	}
	free(s);

	/* 212/213 (XmlData) as the last body field, holding "|=" and SOH. */
	bn = (size_t)snprintf(body, sizeof(body), "35=n" SOH "212=7" SOH
	    "213=<a" SOH "b=1>" SOH);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(parse(&m, s, n, FIXU_SOH, &d), 0, "data field 213 with SOH");
	v = fixu_msg_get(&m, 213);
	is_mem(v.p, v.n, "<a" SOH "b=1>", "  213 value");
	free(s);

	/* '|' form with '|' inside data: checksum counts only delimiters. */
	{
		/* wire form: 8=FIX.4.4^9=22^35=B^95=3^96=a|b^58=x^10=sum^ */
		char w[] = "8=FIX.4.4" SOH "9=23" SOH "35=B" SOH "95=3" SOH
		    "96=a|b" SOH "58=xy" SOH "10=000" SOH;
		size_t wn = sizeof(w) - 1;
		char sum[4];

		snprintf(sum, sizeof(sum), "%03u", sum256(w, wn - 7));
		memcpy(w + wn - 4, sum, 3);
		is_int(parse(&m, w, wn, FIXU_SOH, &d), 0,
		    "wire message with '|' in data");
		/* Now the '|' form: every delimiter to '|'. */
		tr(w, wn, FIXU_SOH, '|');
		rc = parse(&m, w, wn, '|', &d);
		is_int(rc, 0, "  same message with '|' delimiters parses: %s",
		    d.msg);
		v = fixu_msg_get(&m, 96);
		is_mem(v.p, v.n, "a|b", "  96 holds the '|'");
	}

	/* Data length larger than the message. */
	bn = (size_t)snprintf(body, sizeof(body), "35=B" SOH "95=100" SOH
	    "96=abc" SOH);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(parse(&m, s, n, FIXU_SOH, &d), FIXU_EDATA,
	    "data length larger than the message: EDATA");
	is_int(d.tag, 96, "  diag tag 96");
	is_int(d.reject, FIXU_REJ_DATA_DELIM, "  reject reason 17");
	free(s);
	/* Data length that does not end at a delimiter. */
	bn = (size_t)snprintf(body, sizeof(body), "35=B" SOH "95=2" SOH
	    "96=abc" SOH);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(parse(&m, s, n, FIXU_SOH, &d), FIXU_EDATA,
	    "data length too short: EDATA");
	free(s);
	/* A data length of 0. */
	bn = (size_t)snprintf(body, sizeof(body), "35=B" SOH "95=0" SOH
	    "96=" SOH "58=z" SOH);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(parse(&m, s, n, FIXU_SOH, &d), 0, "data length 0");
	v = fixu_msg_get(&m, 96);
	ok(v.p != NULL && v.n == 0, "  empty 96");
	free(s);
	/* A non-numeric length: the data field is read as a plain field. */
	bn = (size_t)snprintf(body, sizeof(body), "35=B" SOH "95=x" SOH
	    "96=ab" SOH);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(parse(&m, s, n, FIXU_SOH, &d), 0,
	    "non-numeric length: data read to the delimiter");
	free(s);
	/* A custom map with a length tag >= 4096. */
	{
		struct fixu_lenmap lm;

		fixu_lenmap_init(&lm);
		is_int(fixu_lenmap_add(&lm, 9000, 9001), 0, "custom pair added");
		bn = (size_t)snprintf(body, sizeof(body), "35=U" SOH
		    "9000=3" SOH "9001=" SOH SOH SOH SOH "58=q" SOH);
		s = mkwire("FIX.4.4", body, bn, &n);
		fixu_diag_clear(&d);
		is_int(fixu_msg_parse(&m, s, n, FIXU_SOH, &lm, 0, &d), 0,
		    "custom data tag 9001 holding SOH");
		v = fixu_msg_get(&m, 9001);
		is_mem(v.p, v.n, SOH SOH SOH, "  9001 value");
		ok(fixu_msg_parse(&m, s, n, FIXU_SOH, NULL, 0, &d) < 0,
		    "  the standard map does not know 9000");
		free(s);
		fixu_lenmap_fini(&lm);
	}
	fixu_msg_fini(&m);
}

static void
test_parse_big(void)
{
	struct fixu_msg m;
	struct fixu_diag d;
	struct fixu_frame fr;
	struct fixu_str v;
	size_t cap, bn, n, i;
	char *body, *s;
	int rc;

	fixu_msg_init(&m);
	/* 10,000 fields. */
	cap = 10000 * 16 + 64;
	body = xmalloc(cap);
	bn = (size_t)snprintf(body, cap, "35=0" SOH);
	for (i = 0; i < 9996; i++)
		bn += (size_t)snprintf(body + bn, cap - bn, "%zu=%zu" SOH,
		    5000 + i, i);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(fixu_frame(s, n, 0, &fr, &d), 0, "10,000 fields: frames");
	is_int(parse(&m, s, n, FIXU_SOH, &d), 0, "10,000 fields: parses");
	is_int(m.nf, 10000, "  10,000 fields");
	v = fixu_msg_get(&m, 5000 + 9995);
	is_mem(v.p, v.n, "9995", "  the last body field");
	free(s);
	free(body);

	/* 70,000 fields: over FIXU_MAX_FIELDS. */
	cap = 70000 * 16 + 64;
	body = xmalloc(cap);
	bn = (size_t)snprintf(body, cap, "35=0" SOH);
	for (i = 0; i < 69996; i++)
		bn += (size_t)snprintf(body + bn, cap - bn, "58=%zu" SOH, i);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(fixu_frame(s, n, 0, &fr, &d), 0, "70,000 fields: frames");
	rc = parse(&m, s, n, FIXU_SOH, &d);
	is_int(rc, FIXU_ELIMIT, "70,000 fields: ELIMIT");
	is_int(m.nf, FIXU_MAX_FIELDS, "  stopped at 65536 fields");
	ok(strstr(d.msg, "65536") != NULL, "  diag names the limit: %s", d.msg);
	free(s);
	free(body);

	/* Exactly FIXU_MAX_FIELDS fields is fine. */
	cap = 65536 * 12 + 64;
	body = xmalloc(cap);
	bn = (size_t)snprintf(body, cap, "35=0" SOH);
	for (i = 0; i < 65536 - 4; i++)
		bn += (size_t)snprintf(body + bn, cap - bn, "58=x" SOH);
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(parse(&m, s, n, FIXU_SOH, &d), 0, "exactly 65536 fields parse");
	free(s);
	free(body);

	/* A 1 MB value. */
	cap = (1u << 20) + 64;
	body = xmalloc(cap);
	bn = (size_t)snprintf(body, cap, "35=0" SOH "58=");
	memset(body + bn, 'v', 1u << 20);
	bn += 1u << 20;
	body[bn++] = FIXU_SOH;
	s = mkwire("FIX.4.4", body, bn, &n);
	is_int(fixu_frame(s, n, 0, &fr, &d), 0, "1 MB value: frames");
	is_int(fr.len, n, "  whole length");
	is_int(parse(&m, s, n, FIXU_SOH, &d), 0, "1 MB value: parses");
	v = fixu_msg_get(&m, 58);
	ok(v.n == 1u << 20 && v.p[0] == 'v' && v.p[v.n - 1] == 'v',
	    "  value is 1 MB");
	free(s);
	free(body);
	fixu_msg_fini(&m);
}

/* ---- building --------------------------------------------------------------- */

static void
test_build(void)
{
	struct fixu_builder b, bp;
	struct fixu_str out, outp;
	struct fixu_msg m;
	struct fixu_diag d;
	struct fixu_frame fr;
	struct timespec ts;
	char *copy;
	size_t i;
	/* python: 9=55, 10=061 */
	char hb[] = "8=FIX.4.4|9=55|35=0|49=SENDER|56=TARGET|34=1|"
	    "52=20260101-12:00:00.000|10=061|";
	/* python: 9=70, 10=130 */
	char lo[] = "8=FIXT.1.1|9=70|35=A|49=A|56=B|34=1|"
	    "52=20000229-23:59:59.999999999|98=0|108=30|1137=9|10=130|";

	fixu_build_init(&b);
	fixu_build_init(&bp);
	fixu_msg_init(&m);

	is_int(fixu_build_begin(&b, "FIX.4.4", 7, FIXU_SOH), 0, "build begin");
	is_int(fixu_build_add_str(&b, 35, "0"), 0, "  add 35");
	fixu_build_add_str(&b, 49, "SENDER");
	fixu_build_add_str(&b, 56, "TARGET");
	is_int(fixu_build_add_u64(&b, 34, 1), 0, "  add_u64 34");
	ts.tv_sec = 1767268800;	/* 2026-01-01 12:00:00 */
	ts.tv_nsec = 0;
	is_int(fixu_build_add_time(&b, 52, &ts, 3), 0, "  add_time 52");
	is_int(fixu_build_finish(&b, &out), 0, "  finish");
	tr(hb, sizeof(hb) - 1, '|', FIXU_SOH);
	ok(out.n == sizeof(hb) - 1 && memcmp(out.p, hb, out.n) == 0,
	    "Heartbeat byte-exact");

	/* The same with '|', compared after tr. */
	fixu_build_begin(&bp, "FIX.4.4", 7, '|');
	fixu_build_add_str(&bp, 35, "0");
	fixu_build_add_str(&bp, 49, "SENDER");
	fixu_build_add_str(&bp, 56, "TARGET");
	fixu_build_add_u64(&bp, 34, 1);
	fixu_build_add_time(&bp, 52, &ts, 3);
	is_int(fixu_build_finish(&bp, &outp), 0, "'|' build finish");
	tr(hb, sizeof(hb) - 1, FIXU_SOH, '|');
	is_mem(outp.p, outp.n, hb, "'|' Heartbeat byte-exact");
	copy = xmalloc(outp.n);
	memcpy(copy, outp.p, outp.n);
	tr(copy, outp.n, '|', FIXU_SOH);
	ok(outp.n == out.n && memcmp(copy, out.p, out.n) == 0,
	    "'|' output equals SOH output after tr");
	free(copy);

	/* Logon with nanoseconds, FIXT.1.1. */
	fixu_build_begin(&b, "FIXT.1.1", 8, FIXU_SOH);
	fixu_build_add_str(&b, 35, "A");
	fixu_build_add_str(&b, 49, "A");
	fixu_build_add_str(&b, 56, "B");
	fixu_build_add_u64(&b, 34, 1);
	ts.tv_sec = 951868799;	/* 2000-02-29 23:59:59 */
	ts.tv_nsec = 999999999;
	fixu_build_add_time(&b, 52, &ts, 9);
	fixu_build_add_u64(&b, 98, 0);
	fixu_build_add_u64(&b, 108, 30);
	fixu_build_add(&b, 1137, "9", 1);
	is_int(fixu_build_finish(&b, &out), 0, "Logon finish");
	tr(lo, sizeof(lo) - 1, '|', FIXU_SOH);
	ok(out.n == sizeof(lo) - 1 && memcmp(out.p, lo, out.n) == 0,
	    "Logon byte-exact (FIXT.1.1, 9 decimals)");

	/* Reuse of the builder: a second message from scratch. */
	fixu_build_begin(&b, "FIX.4.2", 7, FIXU_SOH);
	fixu_build_add_str(&b, 35, "0");
	is_int(fixu_build_finish(&b, &out), 0, "builder reused");
	{
		size_t n;
		char *e = mk("FIX.4.2", "35=0|", &n);

		ok(out.n == n && memcmp(out.p, e, n) == 0,
		    "  minimal message byte-exact");
		free(e);
	}

	/* add_u64 edges. */
	fixu_build_begin(&b, "FIX.4.4", 7, '|');
	fixu_build_add_u64(&b, 1, 0);
	fixu_build_add_u64(&b, 2, UINT64_MAX);
	fixu_build_finish(&b, &out);
	ok(out.n > 0 && find(out.p, out.n, "|1=0|2=18446744073709551615|") != NULL, "add_u64 0 and UINT64_MAX");

	/* add_time with 0, 3, 6, 9 decimals. */
	{
		static const struct {
			int		 dec;
			const char	*s;
		} t[] = {
			{ 0, "|52=20261122-13:45:30|" },
			{ 3, "|52=20261122-13:45:30.012|" },
			{ 6, "|52=20261122-13:45:30.012345|" },
			{ 9, "|52=20261122-13:45:30.012345678|" },
		};

		ts.tv_sec = 1795355130;	/* 2026-11-22 13:45:30 */
		ts.tv_nsec = 12345678;
		for (i = 0; i < 4; i++) {
			fixu_build_begin(&b, "FIX.4.4", 7, '|');
			fixu_build_add_time(&b, 52, &ts, t[i].dec);
			fixu_build_finish(&b, &out);
			ok(find(out.p, out.n, t[i].s) != NULL,
			    "add_time with %d decimals: %s", t[i].dec, t[i].s);
		}
	}

	/* Refusals. */
	is_int(fixu_build_begin(&b, "", 0, FIXU_SOH), FIXU_EINVAL,
	    "empty BeginString refused");
	is_int(fixu_build_begin(&b, "FIX" SOH "4", 5, FIXU_SOH), FIXU_EINVAL,
	    "BeginString with SOH refused");
	is_int(fixu_build_begin(&b, "FIX.4.4.FIX.4.4.FIX.4.4.FIX.4.4.X", 33,
	    FIXU_SOH), FIXU_EINVAL, "BeginString of 33 bytes refused");
	fixu_build_begin(&b, "FIX.4.4", 7, FIXU_SOH);
	is_int(fixu_build_add_str(&b, 0, "x"), FIXU_ETAG, "tag 0 refused");

	/* Round trip: build -> frame -> parse, with a data field. */
	{
		static const char xml[] = "<x a=\"1|2\">" SOH "\0" "</x>";
		const size_t xl = sizeof(xml) - 1;
		struct fixu_str v;
		int rc;

		fixu_build_begin(&b, "FIX.4.4", 7, FIXU_SOH);
		fixu_build_add_str(&b, 35, "D");
		fixu_build_add_str(&b, 49, "CLIENT");
		fixu_build_add_str(&b, 56, "BROKER");
		fixu_build_add_u64(&b, 34, 4711);
		fixu_build_add_u64(&b, 212, xl);
		fixu_build_add(&b, 213, xml, xl);
		fixu_build_add_str(&b, 55, "IBM");
		fixu_build_finish(&b, &out);
		fixu_diag_clear(&d);
		is_int(fixu_frame(out.p, out.n, 0, &fr, &d), 0,
		    "round trip: frames");
		ok(fr.start == 0 && fr.len == out.n, "  whole output");
		rc = parse(&m, out.p, out.n, FIXU_SOH, &d);
		is_int(rc, 0, "  parses: %s", d.msg);
		is_int(m.nf, 10, "  10 fields");
		v = fixu_msg_get(&m, 213);
		ok(v.n == xl && memcmp(v.p, xml, xl) == 0,
		    "  data field intact");
		v = fixu_msg_get(&m, 34);
		is_mem(v.p, v.n, "4711", "  34");
		is_int(m.bodylen, m.bodylen_real, "  BodyLength agrees");
		is_int(m.sum_declared, m.sum_real, "  CheckSum agrees");
	}

	/*
	 * The same with '|' and a '|' inside the data field: the builder and
	 * the parser must agree on which bytes are delimiters.
	 */
	{
		static const char dat[] = "a|b";
		int rc;

		fixu_build_begin(&b, "FIX.4.4", 7, '|');
		fixu_build_add_str(&b, 35, "B");
		fixu_build_add_u64(&b, 95, 3);
		fixu_build_add(&b, 96, dat, 3);
		fixu_build_add_str(&b, 58, "xy");
		fixu_build_finish(&b, &out);
		is_int(fixu_frame(out.p, out.n, 0, &fr, &d), 0,
		    "'|' build with '|' in data: frames");
		rc = parse(&m, out.p, out.n, '|', &d);
		is_int(rc, 0, "  builder output parses with its own "
		    "delimiter (%.*s): %s", (int)out.n, out.p, d.msg);
		copy = xmalloc(out.n);
		memcpy(copy, out.p, out.n);
		/* Wire form: the data byte stays '|'. */
		tr(copy, out.n, '|', FIXU_SOH);
		copy[(const char *)find(out.p, out.n, "96=a|b") - out.p +
		    4] = '|';
		rc = parse(&m, copy, out.n, FIXU_SOH, &d);
		is_int(rc, 0, "  and its wire form parses: %s", d.msg);
		free(copy);
	}

	fixu_msg_fini(&m);
	fixu_build_fini(&b);
	fixu_build_fini(&bp);
	/* fini twice and of a zeroed builder is safe. */
	fixu_build_fini(&b);
	{
		struct fixu_builder z;

		memset(&z, 0, sizeof(z));
		is_int(fixu_build_begin(&z, "FIX.4.4", 7, FIXU_SOH), 0,
		    "all-zero builder can begin");
		fixu_build_add_str(&z, 35, "0");
		is_int(fixu_build_finish(&z, &out), 0, "  and finish");
		fixu_build_fini(&z);
	}
}

/* ---- time ------------------------------------------------------------------- */

static void
test_time(void)
{
	static const struct {
		long long	 sec;
		long		 nsec;
		int		 dec;
		const char	*s;
	} f[] = {
		/* python calendar.timegm */
		{ 0, 0, 0, "19700101-00:00:00" },
		{ 0, 0, 3, "19700101-00:00:00.000" },
		{ 951782400, 0, 0, "20000229-00:00:00" },
		{ 951868799, 999999999, 9, "20000229-23:59:59.999999999" },
		{ 951868800, 0, 0, "20000301-00:00:00" },
		{ 1795305600, 0, 0, "20261122-00:00:00" },
		{ 1795355130, 123456789, 6, "20261122-13:45:30.123456" },
		{ 1795355130, 123456789, 3, "20261122-13:45:30.123" },
		{ 1709164800, 0, 0, "20240229-00:00:00" },
		{ 4107542400LL, 0, 0, "21000301-00:00:00" },
		{ 946598400 + 86399, 1000000, 3, "19991231-23:59:59.001" },
		{ -1, 0, 0, "19691231-23:59:59" },
		{ -2203891200LL, 0, 0, "19000301-00:00:00" },
		{ 2147483648LL, 0, 0, "20380119-03:14:08" },
		{ 253402300799LL, 0, 0, "99991231-23:59:59" },
	};
	static const char *const bad[] = {
		"20260230-00:00:00", "20230229-00:00:00", "19000229-00:00:00",
		"20260431-00:00:00", "20261301-00:00:00", "20260001-00:00:00",
		"20260100-00:00:00", "20260101-24:00:00", "20260101-23:60:00",
		"20260101-23:59:61", "20260101 00:00:00", "20260101-00.00.00",
		"2026-01-01T00:00:00", "20260101-00:00:0", "2026010-00:00:00",
		"20260101-00:00:00.", "20260101-00:00:00.1234567890",
		"20260101-00:00:00,123", "20260101-00:00:00.12a",
		"2026a101-00:00:00", "20260101-0x:00:00", "",
		"20260101-00:00:00Z",
	};
	char out[64];
	struct timespec ts;
	size_t i, n;
	int bad_rt = 0;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		ts.tv_sec = (time_t)f[i].sec;
		ts.tv_nsec = f[i].nsec;
		n = fixu_time_fmt(out, &ts, f[i].dec);
		is_str(out, f[i].s, "fmt %lld.%09ld with %d decimals", f[i].sec,
		    f[i].nsec, f[i].dec);
		is_int(n, strlen(f[i].s), "  length");
	}
	/* Parse with 0..9 decimals. */
	{
		static const long want[] = { 0, 100000000, 120000000, 123000000,
		    123400000, 123450000, 123456000, 123456700, 123456780,
		    123456789 };
		char s[40] = "20000229-12:34:56.123456789";
		int k;

		for (k = 0; k <= 9; k++) {
			size_t sl = k == 0 ? 17 : (size_t)(18 + k);

			memset(&ts, 0, sizeof(ts));
			is_int(fixu_time_parse(s, sl, &ts), 0,
			    "parse with %d decimals", k);
			ok(ts.tv_sec == 951782400 + 12 * 3600 + 34 * 60 + 56 &&
			    ts.tv_nsec == want[k], "  %lld.%09ld",
			    (long long)ts.tv_sec, ts.tv_nsec);
		}
	}
	is_int(fixu_time_parse("19700101-00:00:00", 17, &ts), 0, "parse epoch");
	ok(ts.tv_sec == 0 && ts.tv_nsec == 0, "  is 0");
	is_int(fixu_time_parse("20240229-23:59:60", 17, &ts), 0,
	    "leap second 60 accepted");
	is_int(fixu_time_parse("20000229-00:00:00", 17, &ts), 0,
	    "2000-02-29 (divisible by 400) accepted");
	is_int(fixu_time_parse("20240229-00:00:00", 17, &ts), 0,
	    "2024-02-29 accepted");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(fixu_time_parse(bad[i], strlen(bad[i]), &ts), FIXU_EINVAL,
		    "refused: '%s'", bad[i]);
	/* Only n bytes are read: a valid stamp followed by junk. */
	is_int(fixu_time_parse("20260101-00:00:00|", 17, &ts), 0,
	    "parse reads only n bytes");

	/* parse(fmt(t)) == t over 1970..2200 at odd steps. */
	for (i = 0; i < 20000; i++) {
		struct timespec a, b2;
		int dec = (int)(i % 4) * 3;

		a.tv_sec = (time_t)((long long)i * 363331LL + (long long)i % 7);
		a.tv_nsec = (long)((i * 7919u) % 1000000000u);
		if (dec == 3)
			a.tv_nsec -= a.tv_nsec % 1000000;
		else if (dec == 6)
			a.tv_nsec -= a.tv_nsec % 1000;
		else if (dec == 0)
			a.tv_nsec = 0;
		n = fixu_time_fmt(out, &a, dec);
		if (fixu_time_parse(out, n, &b2) != 0 || b2.tv_sec != a.tv_sec ||
		    b2.tv_nsec != a.tv_nsec) {
			if (bad_rt++ == 0)
				printf("# round trip failed for %lld.%09ld: %s\n",
				    (long long)a.tv_sec, a.tv_nsec, out);
		}
	}
	is_int(bad_rt, 0, "parse(fmt(t)) == t for 20,000 times up to 2200");
}

/* ---- length/data maps ------------------------------------------------------- */

static void
test_lenmap(void)
{
	struct fixu_lenmap lm;
	const struct fixu_lenmap *std = fixu_lenmap_std();
	uint32_t t;
	int bad = 0;

	is_int(fixu_lenmap_data(std, 95), 96, "std: 95 -> 96");
	is_int(fixu_lenmap_data(std, 212), 213, "std: 212 -> 213");
	is_int(fixu_lenmap_data(std, 90), 91, "std: 90 -> 91");
	is_int(fixu_lenmap_data(std, 93), 89, "std: 93 -> 89 (Signature)");
	is_int(fixu_lenmap_data(std, 96), 0, "std: 96 is no length tag");
	is_int(fixu_lenmap_data(std, 58), 0, "std: 58 is no length tag");
	is_int(fixu_lenmap_data(std, 0), 0, "std: 0");
	ok(std == fixu_lenmap_std(), "std map is a singleton");

	fixu_lenmap_init(&lm);
	is_int(fixu_lenmap_data(&lm, 95), 0, "empty map: nothing");
	is_int(fixu_lenmap_add(&lm, 0, 5), FIXU_EINVAL, "add length tag 0");
	is_int(fixu_lenmap_add(&lm, 5, 0), FIXU_EINVAL, "add data tag 0");
	is_int(fixu_lenmap_add(&lm, 4095, 4094), 0, "add 4095 (last small)");
	is_int(fixu_lenmap_add(&lm, 4096, 4097), 0, "add 4096 (first large)");
	is_int(fixu_lenmap_add(&lm, 100000, 100001), 0, "add 100000");
	is_int(fixu_lenmap_add(&lm, FIXU_MAX_TAG, 7), 0, "add 2^31-1");
	is_int(fixu_lenmap_add(&lm, 63, 64), 0, "add 63");
	is_int(fixu_lenmap_add(&lm, 64, 65), 0, "add 64");
	is_int(fixu_lenmap_data(&lm, 4095), 4094, "lookup 4095");
	is_int(fixu_lenmap_data(&lm, 4096), 4097, "lookup 4096");
	is_int(fixu_lenmap_data(&lm, 100000), 100001, "lookup 100000");
	is_int(fixu_lenmap_data(&lm, FIXU_MAX_TAG), 7, "lookup 2^31-1");
	is_int(fixu_lenmap_data(&lm, 63), 64, "lookup 63");
	is_int(fixu_lenmap_data(&lm, 64), 65, "lookup 64");
	is_int(fixu_lenmap_data(&lm, 4097), 0, "lookup 4097: none");
	is_int(fixu_lenmap_data(&lm, 99999), 0, "lookup 99999: none");
	is_int(fixu_lenmap_add(&lm, 4096, 5000), 0, "replace 4096's data tag");
	is_int(fixu_lenmap_data(&lm, 4096), 5000, "  lookup gives the new one");
	is_int(lm.n, 6, "  no duplicate entry");
	/* Many pairs, in descending order, to exercise growth and sorting. */
	for (t = 20000; t >= 2; t -= 2)
		if (fixu_lenmap_add(&lm, t * 3, t * 3 + 1) < 0)
			bad++;
	is_int(bad, 0, "10,000 pairs added");
	bad = 0;
	for (t = 2; t <= 20000; t += 2)
		if (fixu_lenmap_data(&lm, t * 3) != t * 3 + 1 ||
		    fixu_lenmap_data(&lm, t * 3 + 1) != 0)
			bad++;
	is_int(bad, 0, "  all found, their data tags are not length tags");
	fixu_lenmap_fini(&lm);
	fixu_lenmap_fini(&lm);
	fixu_lenmap_fini(NULL);
	ok(1, "lenmap fini twice and of NULL is safe");
}

int
main(void)
{
	test_frame_basic();
	test_frame_split();
	test_frame_delims();
	test_frame_bad();
	test_parse_basic();
	test_parse_order();
	test_parse_tags();
	test_parse_data();
	test_parse_big();
	test_build();
	test_time();
	test_lenmap();
	return tap_done();
}
