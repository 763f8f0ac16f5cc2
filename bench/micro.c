/*
 * micro.c -- nanoseconds per message for libfixutil's hot paths.
 *
 * One FIX.4.4 NewOrderSingle of about 170 bytes, built once with the
 * builder, is then framed, parsed, validated against dicts/FIX44.xml and
 * rebuilt in tight loops.  Each figure is the best of -r runs of -n
 * iterations, timed with CLOCK_MONOTONIC; the best run is the one least
 * disturbed by the rest of the machine, which is what a micro-benchmark is
 * for.  Results of every call are folded into a volatile sink so that the
 * compiler cannot drop the work.
 *
 * Output is key=value lines on stdout (ns per message); bench/run.sh turns
 * them into the report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "dict.h"
#include "fixlimits.h"

static volatile uint64_t sink;

static const struct timespec fixed_ts = { 1709559000, 123456789 };

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
fail(const char *what, int rc, const struct fixu_diag *d)
{
	char buf[300];

	if (d != NULL && d->code != 0)
		fprintf(stderr, "micro: %s: %s\n", what,
		    fixu_diag_fmt(d, buf, sizeof(buf)));
	else
		fprintf(stderr, "micro: %s: %s\n", what, fixu_strerror(rc));
	exit(3);
}

/* The message under test; seq varies so nothing is constant-folded. */
static int
build_nos(struct fixu_builder *b, uint64_t seq, struct fixu_str *out)
{
	int rc = 0;

	rc |= fixu_build_begin(b, "FIX.4.4", 7, FIXU_SOH);
	rc |= fixu_build_add(b, 35, "D", 1);
	rc |= fixu_build_add(b, 49, "CLIENT1", 7);
	rc |= fixu_build_add(b, 56, "EXEC", 4);
	rc |= fixu_build_add_u64(b, 34, seq);
	rc |= fixu_build_add_time(b, 52, &fixed_ts, 3);
	rc |= fixu_build_add(b, 11, "ORD12345", 8);
	rc |= fixu_build_add(b, 1, "ACC1", 4);
	rc |= fixu_build_add(b, 21, "1", 1);
	rc |= fixu_build_add(b, 55, "MSFT", 4);
	rc |= fixu_build_add(b, 54, "1", 1);
	rc |= fixu_build_add(b, 60, "20240304-13:30:00.123", 21);
	rc |= fixu_build_add(b, 38, "2300", 4);
	rc |= fixu_build_add(b, 40, "2", 1);
	rc |= fixu_build_add(b, 44, "412.50", 6);
	rc |= fixu_build_add(b, 59, "0", 1);
	if (rc != 0)
		return FIXU_EINVAL;
	return fixu_build_finish(b, out);
}

struct ctx {
	const char		*msg;
	size_t			 len;
	struct fixu_msg		 m;
	struct fixu_builder	 b;
	const struct fixu_dict	*dict;
	struct fixu_diag	 issues[FIXU_MAX_ISSUES];
};

static void
run_parse(struct ctx *c, long n)
{
	struct fixu_frame fr;
	uint64_t acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		if (fixu_frame(c->msg, c->len, FIXU_FRAME_EOF, &fr, NULL) != 0 ||
		    fixu_msg_parse(&c->m, c->msg + fr.start, fr.len, fr.delim,
		    NULL, 0, NULL) != 0)
			fail("parse", FIXU_EGARBLED, NULL);
		acc += c->m.nf + c->m.sum_real;
	}
	sink += acc;
}

static void
run_validate(struct ctx *c, long n)
{
	uint64_t acc = 0;
	long i;
	int ni;

	for (i = 0; i < n; i++) {
		if (fixu_dict_validate(c->dict, c->dict, &c->m, FIXU_V_ALL,
		    c->issues, FIXU_MAX_ISSUES, &ni) != 0)
			fail("validate", FIXU_EINVALID, &c->issues[0]);
		acc += (uint64_t)ni + 1;
	}
	sink += acc;
}

static void
run_parse_validate(struct ctx *c, long n)
{
	struct fixu_frame fr;
	uint64_t acc = 0;
	long i;
	int ni;

	for (i = 0; i < n; i++) {
		if (fixu_frame(c->msg, c->len, FIXU_FRAME_EOF, &fr, NULL) != 0 ||
		    fixu_msg_parse(&c->m, c->msg + fr.start, fr.len, fr.delim,
		    NULL, 0, NULL) != 0)
			fail("parse", FIXU_EGARBLED, NULL);
		if (fixu_dict_validate(c->dict, c->dict, &c->m, FIXU_V_ALL,
		    c->issues, FIXU_MAX_ISSUES, &ni) != 0)
			fail("validate", FIXU_EINVALID, &c->issues[0]);
		acc += c->m.nf + (uint64_t)ni;
	}
	sink += acc;
}

static void
run_encode(struct ctx *c, long n)
{
	struct fixu_str out;
	uint64_t acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		if (build_nos(&c->b, 1000000 + (uint64_t)i, &out) != 0)
			fail("encode", FIXU_EINVAL, NULL);
		acc += out.n + (unsigned char)out.p[out.n - 2];
	}
	sink += acc;
}

/* Best of runs, in ns per iteration. */
static double
best(void (*fn)(struct ctx *, long), struct ctx *c, long n, int runs)
{
	double t0, t, b = 1e300;
	int r;

	fn(c, n / 10 + 1);	/* warm caches and grow buffers */
	for (r = 0; r < runs; r++) {
		t0 = now_ns();
		fn(c, n);
		t = (now_ns() - t0) / (double)n;
		if (t < b)
			b = t;
	}
	return b;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: micro [-n iterations] [-r runs] [-d dictdir]\n");
}

int
main(int argc, char *argv[])
{
	struct ctx c;
	struct fixu_dicts *ds = NULL;
	struct fixu_diag d;
	struct fixu_str out;
	const char *dictdir = "dicts";
	long n = 5000000;
	int runs = 5, ch, rc;
	char *msgcopy;

	while ((ch = getopt(argc, argv, "d:hn:r:")) != -1) {
		switch (ch) {
		case 'd':
			dictdir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'r':
			runs = (int)strtol(optarg, NULL, 10);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (n <= 0 || runs <= 0 || optind != argc) {
		usage(stderr);
		return 2;
	}

	memset(&c, 0, sizeof(c));
	fixu_msg_init(&c.m);
	fixu_build_init(&c.b);
	fixu_diag_clear(&d);
	if ((rc = fixu_dicts_new(&ds, dictdir)) != 0)
		fail("fixu_dicts_new", rc, NULL);
	if ((rc = fixu_dicts_get(ds, "FIX.4.4", &c.dict, &d)) != 0)
		fail("FIX.4.4 dictionary", rc, &d);

	/* A private copy, so the parse input is not the builder's buffer. */
	if ((rc = build_nos(&c.b, 12345, &out)) != 0)
		fail("build", rc, NULL);
	if ((msgcopy = malloc(out.n)) == NULL)
		fail("malloc", FIXU_ENOMEM, NULL);
	memcpy(msgcopy, out.p, out.n);
	c.msg = msgcopy;
	c.len = out.n;

	printf("msg_bytes=%zu\n", c.len);
	printf("iterations=%ld\n", n);
	printf("runs=%d\n", runs);
	printf("parse_ns=%.1f\n", best(run_parse, &c, n, runs));
	/* run_validate reuses the message the last parse left in c.m. */
	printf("validate_ns=%.1f\n", best(run_validate, &c, n, runs));
	printf("parse_validate_ns=%.1f\n", best(run_parse_validate, &c, n,
	    runs));
	printf("encode_ns=%.1f\n", best(run_encode, &c, n, runs));
	printf("sink=%llu\n", (unsigned long long)sink);

	free(msgcopy);
	fixu_build_fini(&c.b);
	fixu_msg_fini(&c.m);
	fixu_dicts_free(ds);
	return 0;
}
