/*
 * fuzz_text.c -- readable forms: scanning logs, rendering, encoding lines.
 *
 * The input is used three ways.  As a log: fixu_text_scan() finds message
 * starts with every delimiter choice, and "^A" lines are converted.  As a
 * wire stream: every message that frames and parses cleanly is rendered in
 * each mode (no dictionary), and the DEFAULT rendering is encoded back; the
 * result must be the original bytes (the fixdec | fixenc contract), and
 * the same for the JSON rendering.  As readable lines: each line is encoded
 * and, when that succeeds, its BodyLength and CheckSum must be right.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_text: %s:%d: check failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

static struct fixu_render r;
static struct fixu_encode e;
static struct fixu_buf out, line, conv;
static struct fixu_msg m;
static int inited;

static void
scan(const char *p, size_t n)
{
	static const int delims[] = { 0, FIXU_SOH, '|', ';', FIXU_DELIM_CARET_A };
	size_t i, prefix;
	int found, rc;

	for (i = 0; i < sizeof(delims) / sizeof(delims[0]); i++) {
		prefix = (size_t)-1;
		rc = fixu_text_scan(p, n, delims[i], &prefix, &found);
		CHECK(rc == 0 || rc == FIXU_ENOTFOUND);
		if (rc == 0) {
			CHECK(prefix < n);
			CHECK(p[prefix] == '8');
			CHECK(delims[i] == 0 || found == delims[i]);
		}
	}
	fixu_buf_reset(&conv);
	if (fixu_text_caret_a(&conv, p, n) == 0)
		CHECK(conv.len <= n);
}

/* Render m in every mode; DEFAULT and JSON must encode back to raw. */
static void
roundtrip(const char *raw, size_t n)
{
	static const int modes[] = { FIXU_TEXT_DEFAULT, FIXU_TEXT_NAMES,
	    FIXU_TEXT_VERBOSE, FIXU_TEXT_JSON, FIXU_TEXT_WIRE };
	struct fixu_diag d;
	struct fixu_str w;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		r.mode = modes[i];
		r.flags = FIXU_RENDER_NOMASK;
		fixu_buf_reset(&out);
		fixu_diag_clear(&d);
		rc = fixu_text_render(&r, &m, &out, &d);
		if (rc == FIXU_ELIMIT)
			continue;
		CHECK(rc == 0);
		if (modes[i] == FIXU_TEXT_WIRE) {
			CHECK(out.len == n && memcmp(out.p, raw, n) == 0);
			continue;
		}
		if (modes[i] != FIXU_TEXT_DEFAULT && modes[i] != FIXU_TEXT_JSON)
			continue;
		CHECK(out.len > 0 && out.p[out.len - 1] == '\n');
		fixu_diag_clear(&d);
		rc = fixu_text_encode(&e, out.p, out.len, &w, &d);
		if (rc != 0 || w.n != n || memcmp(w.p, raw, n) != 0) {
			fprintf(stderr, "fuzz_text: %s form does not encode "
			    "back (rc %d: %s): %.*s", modes[i] ==
			    FIXU_TEXT_JSON ? "JSON" : "readable", rc, d.msg,
			    (int)(out.len > 400 ? 400 : out.len), out.p);
			abort();
		}
	}
}

/*
 * The encoder drops 9 and 10 and takes 8 as the BeginString wherever they
 * are, so a message repeating them in the body (which no dictionary
 * accepts) cannot come back byte for byte.
 */
static int
plain_header(const struct fixu_msg *pm)
{
	uint32_t i;

	for (i = 1; i + 1 < pm->nf; i++)
		if (i != 1 && (pm->f[i].tag == 8 || pm->f[i].tag == 9 ||
		    pm->f[i].tag == 10))
			return 0;
	return 1;
}

static void
as_wire(const char *p, size_t n)
{
	struct fixu_frame fr;
	size_t off = 0;
	int rc;

	while (off < n) {
		rc = fixu_frame(p + off, n - off, FIXU_FRAME_EOF, &fr, NULL);
		if (rc == FIXU_EAGAIN)
			break;
		if (rc < 0) {
			CHECK(fr.skip > 0);
			off += fr.skip;
			continue;
		}
		if (fr.delim == FIXU_SOH && fixu_msg_parse(&m, p + off +
		    fr.start, fr.len, FIXU_SOH, NULL, 0, NULL) == 0 &&
		    plain_header(&m))
			roundtrip(p + off + fr.start, fr.len);
		off += fr.start + fr.len;
	}
}

/*
 * Encode each line.  The output may hold raw SOH inside values (a "\x01"
 * escape), so it need not parse; but BodyLength and CheckSum, which the
 * encoder computes, must never be the reason it fails.
 */
static void
as_lines(const char *p, size_t n)
{
	struct fixu_str w;
	struct fixu_diag d;
	const char *q, *end = p + n;
	int rc;

	while (p < end) {
		q = memchr(p, '\n', (size_t)(end - p));
		q = q ? q + 1 : end;
		fixu_diag_clear(&d);
		rc = fixu_text_encode(&e, p, (size_t)(q - p), &w, &d);
		if (rc == 0) {
			CHECK(w.n > 0);
			fixu_diag_clear(&d);
			rc = fixu_msg_parse(&m, w.p, w.n, FIXU_SOH, NULL, 0, &d);
			if ((rc == FIXU_EBODYLEN || rc == FIXU_ECHECKSUM) &&
			    d.reject == FIXU_REJ_NONE) {
				fprintf(stderr, "fuzz_text: encoder output has "
				    "a wrong %s: %s\n", rc == FIXU_EBODYLEN ?
				    "BodyLength" : "CheckSum", d.msg);
				abort();
			}
		} else {
			CHECK(d.code == rc);
			CHECK(d.off == (size_t)-1 || d.off <= (size_t)(q - p));
		}
		p = q;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;

	if (!inited) {
		fixu_text_render_init(&r);
		fixu_text_encode_init(&e);
		fixu_msg_init(&m);
		fixu_buf_init(&out, 0);
		fixu_buf_init(&line, 0);
		fixu_buf_init(&conv, 0);
		inited = 1;
	}
	scan(p, size);
	as_wire(p, size);
	e.delim = 0;
	as_lines(p, size);
	e.delim = '|';
	as_lines(p, size);
	return 0;
}
