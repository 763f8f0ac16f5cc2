/*
 * fuzz_codec.c -- frame, parse, rebuild and reparse arbitrary streams.
 *
 * The input is a byte stream as a reader would see it.  It is framed the
 * way fixdec frames it, honouring start and skip, first as a live stream
 * and then at EOF; framing must always make progress and stay inside the
 * buffer.  Every frame is parsed with its own delimiter, with SOH and with
 * '|'.  A frame that parses (or fails only on BodyLength or CheckSum) is
 * rebuilt from its fields; the builder's output must frame as one whole
 * message and parse cleanly into the same fields.  Any broken promise
 * aborts, which is what a fuzzer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fixlimits.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct fixu_msg m, m2;
static struct fixu_builder b;
static int inited;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_codec: %s:%d: check failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

static void
rebuild(const struct fixu_msg *pm, char delim)
{
	struct fixu_str out;
	struct fixu_frame fr;
	struct fixu_diag d;
	uint32_t i;
	int rc;

	if (pm->nf < 4 || pm->f[0].tag != 8 || pm->f[1].tag != 9 ||
	    pm->f[pm->nf - 1].tag != 10)
		return;
	/* Only what fixu_frame() takes for a BeginString: "FIX" [A-Za-z0-9._-]. */
	if (pm->f[0].len < 3 || pm->f[0].len > FIXU_MAX_BEGINSTRING ||
	    memcmp(pm->f[0].val, "FIX", 3) != 0)
		return;
	for (i = 3; i < pm->f[0].len; i++) {
		unsigned char c = (unsigned char)pm->f[0].val[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '-'))
			return;
	}
	CHECK(fixu_build_begin(&b, pm->f[0].val, pm->f[0].len, delim) == 0);
	for (i = 2; i < pm->nf - 1; i++)
		CHECK(fixu_build_add(&b, pm->f[i].tag, pm->f[i].val,
		    pm->f[i].len) == 0);
	rc = fixu_build_finish(&b, &out);
	if (rc == FIXU_ELIMIT)
		return;
	CHECK(rc == 0);

	fixu_diag_clear(&d);
	rc = fixu_frame(out.p, out.n, 0, &fr, &d);
	if (rc != 0)
		fprintf(stderr, "fuzz_codec: rebuilt message does not frame: "
		    "%s: %s\n", fixu_strerror(rc), d.msg);
	CHECK(rc == 0);
	CHECK(fr.start == 0 && fr.len == out.n && fr.delim == delim);

	fixu_diag_clear(&d);
	rc = fixu_msg_parse(&m2, out.p, out.n, delim, NULL, 0, &d);
	if (rc != 0)
		fprintf(stderr, "fuzz_codec: rebuilt message does not parse: "
		    "%s: %s\n", fixu_strerror(rc), d.msg);
	CHECK(rc == 0);
	CHECK(m2.nf == pm->nf);
	for (i = 0; i < pm->nf; i++) {
		CHECK(m2.f[i].tag == pm->f[i].tag);
		if (i == 1 || i == pm->nf - 1)
			continue;	/* 9 and 10 are recomputed */
		CHECK(m2.f[i].len == pm->f[i].len);
		CHECK(memcmp(m2.f[i].val, pm->f[i].val, pm->f[i].len) == 0);
	}
}

static void
check_msg(const struct fixu_msg *pm, const char *p, size_t n)
{
	uint32_t i;

	CHECK(pm->nf <= FIXU_MAX_FIELDS && pm->nf <= pm->cap);
	for (i = 0; i < pm->nf; i++) {
		const struct fixu_field *f = &pm->f[i];

		CHECK(f->tag > 0 && f->tag <= FIXU_MAX_TAG);
		CHECK(f->val >= p && f->val <= p + n);
		CHECK(f->len <= (size_t)(p + n - f->val));
	}
}

static void
parse_all(const char *p, size_t n, char fdelim)
{
	static const char delims[] = { 0, FIXU_SOH, '|' };
	struct fixu_diag d;
	size_t k;
	int rc;

	for (k = 0; k < sizeof(delims); k++) {
		char delim = k == 0 ? fdelim : delims[k];

		if (k > 0 && delim == fdelim)
			continue;
		fixu_diag_clear(&d);
		rc = fixu_msg_parse(&m, p, n, delim, NULL, 0, &d);
		CHECK(rc <= 0);
		CHECK(rc == 0 || d.code == rc);
		CHECK(rc == 0 || d.off == SIZE_MAX || d.off <= n);
		CHECK(strlen(d.msg) < sizeof(d.msg));
		check_msg(&m, p, n);
		if (rc == 0 || rc == FIXU_EBODYLEN || rc == FIXU_ECHECKSUM)
			rebuild(&m, delim);
		rc = fixu_msg_parse(&m, p, n, delim, NULL, FIXU_PARSE_NOCHECK,
		    NULL);
		check_msg(&m, p, n);
	}
}

/* Frame the whole stream; flags 0 until EAGAIN, then at EOF. */
static void
frame_stream(const char *p, size_t n, int flags)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off = 0, rest, rounds = 0;
	int eof = 0, rc;

	while (off < n) {
		rest = n - off;
		fixu_diag_clear(&d);
		rc = fixu_frame(p + off, rest, flags | (eof ? FIXU_FRAME_EOF : 0),
		    &fr, &d);
		CHECK(++rounds <= n + 2);
		if (rc == 0) {
			CHECK(fr.len > 0 && fr.start <= rest &&
			    fr.len <= rest - fr.start);
			CHECK(p[off + fr.start] == '8');
			CHECK(fr.len <= FIXU_MAX_MSG + 64);
			parse_all(p + off + fr.start, fr.len, fr.delim);
			/* The message alone frames the same. */
			if (!fr.final_nl) {
				struct fixu_frame f2;

				CHECK(fixu_frame(p + off + fr.start, fr.len,
				    flags, &f2, NULL) == 0);
				CHECK(f2.start == 0 && f2.len == fr.len);
			}
			off += fr.start + fr.len;
		} else if (rc == FIXU_EAGAIN) {
			CHECK(fr.start <= rest);
			if (eof) {
				/* Nothing more will come: all is junk. */
				CHECK(fr.skip == rest);
				break;
			}
			eof = 1;
		} else {
			CHECK(rc == FIXU_EBODYLEN || rc == FIXU_ELIMIT ||
			    rc == FIXU_ETRUNC || rc == FIXU_EGARBLED ||
			    rc == FIXU_EBEGIN);
			CHECK(d.code == rc);
			CHECK(fr.skip > 0 && fr.skip <= rest);
			CHECK(rc != FIXU_ETRUNC || eof);
			off += fr.skip;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;

	if (!inited) {
		fixu_msg_init(&m);
		fixu_msg_init(&m2);
		fixu_build_init(&b);
		inited = 1;
	}
	frame_stream(p, size, 0);
	frame_stream(p, size, FIXU_FRAME_NL);
	/* The whole input as one message, as a tool given one line does. */
	if (size > 0 && size < 65536)
		parse_all(p, size, size > 10 && p[0] == '8' ? p[size - 1] :
		    FIXU_SOH);
	return 0;
}
