/*
 * fuzz_tzif.c -- the schedule's TZif reader, and schedules in the zone it
 * reads.
 *
 * schedule.c reads zones only from files, by name under $TZDIR, so the
 * input is written to one file in a private directory made at the first
 * run (and removed at exit), and TZDIR points there.  Each input is loaded
 * by fixu_sched_new() with a few schedules (daily, over midnight on some
 * weekdays, weekly, inside a DST gap, whole days back to back).  A zone the
 * reader refuses must be refused as damaged, with a reason.  A zone it
 * takes is asked about a few times, fixed ones (DST changes, the ends of
 * 32-bit time, the ends of the range) and some drawn from the input, and
 * the answers must agree with each other: fixu_sched_in() is 0 or 1;
 * fixu_sched_next_change() is later than the time asked, the answer is the
 * same until just before it and different at it; the period of a time in
 * session starts at or before it and is in session; a time is in the same
 * period as itself.  Sanitizer builds catch what the reader does with
 * lengths and counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "schedule.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NS	1000000000LL

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_tzif: %s:%d: schedule %d, t %lld: "	\
		    "check failed: %s\n", __FILE__, __LINE__, cur_spec,	\
		    (long long)cur_t, #c);				\
		abort();						\
	}								\
} while (0)

static char dir[4096], path[4200];
static int cur_spec;
static int64_t cur_t;

static const struct fixu_sched_spec specs[] = {
	{ "08:00:00", "17:00:00", NULL, NULL, NULL, "zone", 0, 0 },
	{ "22:00:00", "02:00:00", NULL, NULL, "Mon,Wed,Fri", "zone", 0, 0 },
	{ "18:00:00", "17:00:00", "Sunday", "Friday", NULL, "zone", 0, 0 },
	{ "02:30:00", "03:30:00", NULL, NULL, NULL, "zone", 0, 0 },
	{ "00:00:00", "00:00:00", NULL, NULL, "Sat,Sun", "zone", 0, 0 },
};

/* UTC seconds worth asking about. */
static const int64_t fixed[] = {
	0, -1, 1704196800,	/* 1970, 2024-01-02 12:00 */
	1710053999, 1710054000,	/* 2024-03-10 06:59:59, US spring forward */
	1730611800,		/* 2024-11-03 05:30, the repeated hour */
	1711846800,		/* 2024-03-31 01:00, Europe */
	1712419200,		/* 2024-04-06 16:00, Sydney falls back */
	-2147483648LL, 2147483647LL, 2147483648LL,
	4102444800LL,		/* 2100-01-01 */
	-5000000000LL, 9000000000LL,
};

static void
cleanup(void)
{
	if (path[0] != '\0')
		(void)unlink(path);
	if (dir[0] != '\0')
		(void)rmdir(dir);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	int r;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	r = snprintf(dir, sizeof(dir), "%s/fuzz_tzif.XXXXXX", tmp);
	if (r < 0 || (size_t)r >= sizeof(dir) || mkdtemp(dir) == NULL) {
		fprintf(stderr, "fuzz_tzif: cannot make a directory in %s: "
		    "%s\n", tmp, strerror(errno));
		exit(2);
	}
	(void)snprintf(path, sizeof(path), "%s/zone", dir);
	if (setenv("TZDIR", dir, 1) != 0) {
		perror("fuzz_tzif: setenv");
		exit(2);
	}
	atexit(cleanup);
}

/*
 * The file stays open, rewritten in place and cut to size: truncating it
 * to nothing first would make ext4 flush it at every close, which is
 * slower than all the rest of a run.
 */
static void
put(const uint8_t *data, size_t size)
{
	static int fd = -1;
	size_t off = 0;
	ssize_t k;

	if (fd == -1 && (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	while (off < size) {
		k = pwrite(fd, data + off, size - off, (off_t)off);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1)
			goto fail;
		off += (size_t)k;
	}
	if (ftruncate(fd, (off_t)size) == 0)
		return;
fail:
	fprintf(stderr, "fuzz_tzif: %s: %s\n", path, strerror(errno));
	exit(2);
}

/* The answers about time t (ns) must agree with each other. */
static void
ask(const struct fixu_sched *s, int64_t t)
{
	int64_t nc, ps;
	int in;

	cur_t = t;
	in = fixu_sched_in(s, t);
	CHECK(in == 0 || in == 1);
	CHECK(fixu_sched_same_period(s, t, t) == 1);
	nc = fixu_sched_next_change(s, t);
	CHECK(nc > t);
	if (nc != INT64_MAX) {
		CHECK(fixu_sched_in(s, nc) != in);
		CHECK(fixu_sched_in(s, nc - 1) == in);
	}
	ps = fixu_sched_period_start(s, t);
	if (in) {
		CHECK(ps <= t);
		if (ps != INT64_MIN && ps > INT64_MIN + NS) {
			CHECK(fixu_sched_in(s, ps) == 1);
			CHECK(fixu_sched_same_period(s, ps, t) == 1);
		}
	} else
		CHECK(ps > t);
}

static int64_t
clamp_ns(int64_t secs)
{
	if (secs > INT64_MAX / NS - 1)
		return INT64_MAX - 1;
	if (secs < INT64_MIN / NS + 1)
		return INT64_MIN + 1;
	return secs * NS;
}

/* FNV-1a: times drawn from the input, the same for the same input. */
static uint64_t
hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixu_sched *s;
	struct fixu_diag d;
	uint64_t h;
	size_t i, k;
	int rc;

	if (dir[0] == '\0')
		setup();
	put(data, size);
	h = hash(data, size);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		cur_spec = (int)i;
		cur_t = 0;
		fixu_diag_clear(&d);
		rc = fixu_sched_new(&s, &specs[i], &d);
		if (rc != 0) {
			/* Only what the file holds can be wrong. */
			CHECK(s == NULL);
			CHECK(rc == FIXU_EINVAL || rc == FIXU_ENOMEM);
			CHECK(d.code == rc && d.msg[0] != '\0');
			CHECK(rc != FIXU_EINVAL ||
			    strstr(d.msg, "damaged zone file") != NULL);
			continue;
		}
		for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
			ask(s, clamp_ns(fixed[k]));
		ask(s, INT64_MIN);
		ask(s, INT64_MAX - 1);
		/* Anywhere in 1900..2100, and at a second's end. */
		for (k = 0; k < 4; k++) {
			h = h * 6364136223846793005ULL + 1442695040888963407ULL;
			ask(s, clamp_ns(-2208988800LL +
			    (int64_t)(h >> 33) % 6311347200LL));
			ask(s, clamp_ns(-2208988800LL +
			    (int64_t)(h >> 33) % 6311347200LL) + NS - 1);
		}
		fixu_sched_free(s);
	}
	return 0;
}
