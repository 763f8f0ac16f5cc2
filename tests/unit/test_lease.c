/*
 * test_lease.c -- file leases between two open file descriptions, holder
 * strings, the holder's timeline and durations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lease.h"
#include "tap.h"

static void
test_names(void)
{
	char long65[66];

	ok(fixu_lease_name_ok("exec-primary.1_a"), "name of letters, digits, ._-");
	ok(!fixu_lease_name_ok(""), "empty name refused");
	ok(!fixu_lease_name_ok("a b"), "space refused");
	ok(!fixu_lease_name_ok("a/b"), "slash refused");
	memset(long65, 'x', 65);
	long65[65] = '\0';
	ok(!fixu_lease_name_ok(long65), "65 characters refused");
	long65[64] = '\0';
	ok(fixu_lease_name_ok(long65), "64 characters taken");
}

static void
test_holder(void)
{
	char buf[FIXU_LEASE_HOLDER_MAX + 1], host[65], big[200];
	pid_t pid;
	int file;

	is_int(fixu_lease_holder_fmt(buf, sizeof(buf), NULL, "h1", 42, 0), 0,
	    "fmt plain");
	is_str(buf, "h1:42", "  host:pid");
	is_int(fixu_lease_holder_parse(buf, host, sizeof(host), &pid, &file),
	    0, "parse plain");
	ok(strcmp(host, "h1") == 0 && pid == 42 && !file, "  h1, 42, sql");
	is_int(fixu_lease_holder_fmt(buf, sizeof(buf), "node-a", "h:2", 7, 1),
	    0, "fmt ident, host with ':', file");
	is_str(buf, "node-a@h:2:7 file", "  ident@host:pid file");
	is_int(fixu_lease_holder_parse(buf, host, sizeof(host), &pid, &file),
	    0, "parse it");
	ok(strcmp(host, "h:2") == 0 && pid == 7 && file, "  h:2, 7, file");
	is_int(fixu_lease_holder_parse("node-b", host, sizeof(host), &pid,
	    &file), FIXU_ESYNTAX, "no pid: ESYNTAX");
	is_int(fixu_lease_holder_parse("h:x1", host, sizeof(host), &pid,
	    &file), FIXU_ESYNTAX, "pid not a number: ESYNTAX");
	is_int(fixu_lease_holder_parse("h:-1", host, sizeof(host), &pid,
	    &file), FIXU_ESYNTAX, "negative pid: ESYNTAX");
	memset(big, 'h', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(fixu_lease_holder_fmt(buf, sizeof(buf), NULL, big, 1, 0),
	    FIXU_ELIMIT, "holder over 128 bytes: ELIMIT");
}

static void
test_plan(void)
{
	struct fixu_lease_plan p;

	is_int(fixu_lease_plan(&p, 2000000000LL, -1, NULL), 0, "plan 2 s");
	ok(p.renew == 500000000LL, "  renew every 0.5 s");
	ok(p.term == 1300000000LL, "  SIGTERM 1.3 s after the last renewal");
	ok(p.kill == 1800000000LL, "  SIGKILL 1.8 s after it, before 2 s");
	ok(p.poll == 20000000LL, "  waiters poll every 20 ms");
	ok(p.term > p.renew, "  a renewal is tried before SIGTERM");
	is_int(fixu_lease_plan(&p, 2000000000LL, 1000000000LL, NULL),
	    FIXU_EINVAL, "grace of half the TTL: EINVAL");
	is_int(fixu_lease_plan(&p, 50000000LL, -1, NULL), FIXU_EINVAL,
	    "TTL 50 ms: EINVAL");
	is_int(fixu_lease_plan(&p, 200000000LL, -1, NULL), 0, "TTL 200 ms");
	ok(p.poll == 10000000LL, "  waiters poll every TTL/20");
}

static void
test_duration(void)
{
	int64_t ns = 0;

	ok(fixu_duration_parse("2", &ns) == 0 && ns == 2000000000LL, "2");
	ok(fixu_duration_parse("1.5s", &ns) == 0 && ns == 1500000000LL,
	    "1.5s");
	ok(fixu_duration_parse("500ms", &ns) == 0 && ns == 500000000LL,
	    "500ms");
	ok(fixu_duration_parse("1m", &ns) == 0 && ns == 60000000000LL, "1m");
	is_int(fixu_duration_parse("", &ns), FIXU_ESYNTAX, "empty");
	is_int(fixu_duration_parse("-1", &ns), FIXU_ESYNTAX, "negative");
	is_int(fixu_duration_parse("2h", &ns), FIXU_ESYNTAX, "unknown unit");
	is_int(fixu_duration_parse("inf", &ns), FIXU_ESYNTAX, "inf");
	is_int(fixu_duration_parse("1e30", &ns), FIXU_ESYNTAX, "too long");
}

static void
test_flock(void)
{
	char path[] = "/tmp/test_lease.XXXXXX";
	int tfd, a, b;

	tfd = mkstemp(path);
	ok(tfd != -1, "lock file");
	a = fixu_flock_open(path, NULL);
	b = fixu_flock_open(path, NULL);
	ok(a != -1 && b != -1, "two open file descriptions");
	is_int(fixu_flock_held(b, NULL), 0, "free at first");
	is_int(fixu_flock_take(a, 0, NULL), 0, "a takes it");
	is_int(fixu_flock_held(b, NULL), 1, "b sees it held");
	is_int(fixu_flock_take(b, 0, NULL), FIXU_EBUSY, "b cannot: EBUSY");
	/* A POSIX lock would go with any close of the file; an OFD lock not. */
	close(tfd);
	is_int(fixu_flock_take(b, 0, NULL), FIXU_EBUSY,
	    "another descriptor closed: still held");
	close(a);
	is_int(fixu_flock_take(b, 0, NULL), 0, "a closed: b takes it");
	close(b);
	ok(fixu_flock_open("/nonexistent/dir/x", NULL) == -1,
	    "a lock file that cannot be made: -1");
	unlink(path);
}

int
main(void)
{
	test_names();
	test_holder();
	test_plan();
	test_duration();
	test_flock();
	return tap_done();
}
