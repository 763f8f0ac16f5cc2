/*
 * test_schedule.c -- session schedules: settings and their errors, daily,
 * weekly and Weekdays windows, periods, next_change, DST in New York and
 * London, hand-made and damaged TZif files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "schedule.h"
#include "tap.h"

#define NS	1000000000LL

static char tzdir[64];

/* UTC y-m-d h:m:s as ns. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * NS;
}

static struct fixu_sched *
mk(const char *st, const char *et, const char *sd, const char *ed,
    const char *wd, const char *tz)
{
	struct fixu_sched_spec sp = { st, et, sd, ed, wd, tz, 0, 0 };
	struct fixu_sched *s = NULL;
	struct fixu_diag d;

	if (fixu_sched_new(&s, &sp, &d) != 0)
		printf("# %s\n", d.msg);
	return s;
}

/* The error of a spec; its message in d. */
static int
mkerr(const struct fixu_sched_spec *sp, struct fixu_diag *d)
{
	struct fixu_sched *s = NULL;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = fixu_sched_new(&s, sp, d);
	fixu_sched_free(s);
	return rc;
}

static int
day_ok(const char *name)
{
	struct fixu_sched_spec sp = { "08:00:00", "17:00:00", name, "Fri",
	    NULL, NULL, 0, 0 };
	struct fixu_diag d;

	return mkerr(&sp, &d) == 0;
}

static void
test_errors(void)
{
	struct fixu_sched_spec sp;
	struct fixu_diag d;
	struct fixu_sched *s = NULL;

	memset(&sp, 0, sizeof(sp));
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "no times");
	ok(strstr(d.msg, "StartTime") != NULL, "names StartTime: %s", d.msg);
	sp.start_time = "08:00:00";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "no EndTime");
	ok(strstr(d.msg, "EndTime") != NULL, "names EndTime: %s", d.msg);
	sp.start_time = "25:00:00";
	sp.end_time = "17:00:00";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "hour 25");
	is_str(d.msg, "StartTime: expected HH:MM:SS, got 25:00:00", "message");
	sp.start_time = "08:00:00";
	sp.end_time = "8:00:00";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "one-digit hour");
	ok(strstr(d.msg, "EndTime") != NULL, "names EndTime: %s", d.msg);
	sp.end_time = "08:60:00";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "minute 60");
	sp.end_time = "08:00";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "no seconds");
	sp.end_time = "08:00:00x";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "trailing junk");
	sp.end_time = "17:00:00";
	sp.start_day = "Mon";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "StartDay without EndDay");
	ok(strstr(d.msg, "EndDay") != NULL, "names EndDay: %s", d.msg);
	sp.end_day = "Funday";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "bad day");
	ok(strstr(d.msg, "EndDay") != NULL, "names EndDay: %s", d.msg);
	sp.end_day = "Fri";
	sp.weekdays = "Mon";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "Weekdays with StartDay");
	ok(strstr(d.msg, "Weekdays") != NULL, "names Weekdays: %s", d.msg);
	sp.start_day = sp.end_day = NULL;
	sp.weekdays = "Mon,,Tue";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "empty weekday");
	sp.weekdays = "Mon, Xyz";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "bad weekday");
	sp.weekdays = " mo , TUESDAY,wed ";
	is_int(mkerr(&sp, &d), 0, "weekday list with spaces");
	sp.weekdays = NULL;
	sp.time_zone = "../../etc/passwd";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "zone with ..");
	ok(strstr(d.msg, "TimeZone") != NULL, "names TimeZone: %s", d.msg);
	sp.time_zone = "/etc/localtime";
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "absolute zone");
	sp.time_zone = "UTC";
	sp.use_local_time = 1;
	is_int(mkerr(&sp, &d), FIXU_ESYNTAX, "TimeZone and UseLocalTime");
	sp.time_zone = NULL;
	is_int(mkerr(&sp, &d), 0, "UseLocalTime");

	ok(day_ok("sunday") && day_ok("SUN") && day_ok("Su") &&
	    day_ok("Thursday") && day_ok("thu") && day_ok("TH") &&
	    day_ok("sa"), "day names: full, 3 and 2 letters");
	ok(!day_ok("tues") && !day_ok("s") && !day_ok("") &&
	    !day_ok("sundays"), "other day names refused");

	memset(&sp, 0, sizeof(sp));
	sp.nonstop = 1;
	is_int(fixu_sched_new(&s, &sp, &d), 0, "nonstop needs no times");
	ok(fixu_sched_in(s, 0) && fixu_sched_in(s, utc(2026, 5, 1, 3, 0, 0)),
	    "nonstop: always in");
	is_int(fixu_sched_period_start(s, 12345), INT64_MIN,
	    "nonstop: period_start");
	ok(fixu_sched_same_period(s, 0, utc(2026, 5, 1, 3, 0, 0)),
	    "nonstop: one period");
	is_int(fixu_sched_next_change(s, 0), INT64_MAX, "nonstop: no change");
	fixu_sched_free(s);
	fixu_sched_free(NULL);
}

static void
test_daily(void)
{
	struct fixu_sched *s = mk("08:00:00", "17:00:00", NULL, NULL, NULL,
	    NULL);

	ok(s != NULL, "daily 08-17");
	ok(!fixu_sched_in(s, utc(2026, 1, 5, 7, 59, 59)), "07:59:59 out");
	ok(fixu_sched_in(s, utc(2026, 1, 5, 8, 0, 0)), "08:00:00 in");
	ok(fixu_sched_in(s, utc(2026, 1, 5, 17, 0, 0) - 1), "16:59:59.9 in");
	ok(!fixu_sched_in(s, utc(2026, 1, 5, 17, 0, 0)), "17:00:00 out");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 5, 12, 0, 0)),
	    utc(2026, 1, 5, 8, 0, 0), "period_start inside");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 5, 18, 0, 0)),
	    utc(2026, 1, 6, 8, 0, 0), "period_start after: the next one");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 5, 7, 0, 0)),
	    utc(2026, 1, 5, 8, 0, 0), "period_start before");
	ok(fixu_sched_same_period(s, utc(2026, 1, 5, 9, 0, 0),
	    utc(2026, 1, 5, 16, 0, 0)), "same day: same period");
	ok(!fixu_sched_same_period(s, utc(2026, 1, 5, 9, 0, 0),
	    utc(2026, 1, 6, 9, 0, 0)), "next day: reset");
	ok(fixu_sched_same_period(s, utc(2026, 1, 5, 18, 0, 0),
	    utc(2026, 1, 6, 9, 0, 0)), "stored after the end: next period");
	is_int(fixu_sched_next_change(s, utc(2026, 1, 5, 12, 0, 0)),
	    utc(2026, 1, 5, 17, 0, 0), "next_change: end");
	is_int(fixu_sched_next_change(s, utc(2026, 1, 5, 18, 0, 0)),
	    utc(2026, 1, 6, 8, 0, 0), "next_change: next start");
	is_int(fixu_sched_next_change(s, utc(2026, 1, 5, 8, 0, 0) - 1),
	    utc(2026, 1, 5, 8, 0, 0), "next_change: 1 ns before start");
	fixu_sched_free(s);

	s = mk("22:00:00", "06:00:00", NULL, NULL, NULL, NULL);
	ok(fixu_sched_in(s, utc(2026, 1, 5, 23, 0, 0)) &&
	    fixu_sched_in(s, utc(2026, 1, 6, 3, 0, 0)) &&
	    !fixu_sched_in(s, utc(2026, 1, 6, 12, 0, 0)), "wrap over midnight");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 6, 3, 0, 0)),
	    utc(2026, 1, 5, 22, 0, 0), "wrap: period began yesterday");
	is_int(fixu_sched_next_change(s, utc(2026, 1, 5, 23, 0, 0)),
	    utc(2026, 1, 6, 6, 0, 0), "wrap: next_change");
	fixu_sched_free(s);

	/* Mon..Fri nights; 2026-01-02 is a Friday. */
	s = mk("22:00:00", "06:00:00", NULL, NULL, "Mon,Tue,Wed,Thu,Fri",
	    NULL);
	ok(fixu_sched_in(s, utc(2026, 1, 2, 23, 0, 0)), "Weekdays: Fri night");
	ok(fixu_sched_in(s, utc(2026, 1, 3, 3, 0, 0)),
	    "Weekdays: Sat morning belongs to Friday");
	ok(!fixu_sched_in(s, utc(2026, 1, 3, 23, 0, 0)), "Weekdays: Sat out");
	ok(!fixu_sched_in(s, utc(2026, 1, 5, 3, 0, 0)),
	    "Weekdays: Mon morning belongs to Sunday");
	ok(fixu_sched_in(s, utc(2026, 1, 5, 22, 0, 0)), "Weekdays: Mon night");
	is_int(fixu_sched_next_change(s, utc(2026, 1, 3, 7, 0, 0)),
	    utc(2026, 1, 5, 22, 0, 0), "Weekdays: next_change over weekend");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 4, 12, 0, 0)),
	    utc(2026, 1, 5, 22, 0, 0), "Weekdays: period_start on Sunday");
	fixu_sched_free(s);

	/* Whole days. */
	s = mk("05:00:00", "05:00:00", NULL, NULL, NULL, NULL);
	ok(fixu_sched_in(s, utc(2026, 1, 5, 4, 59, 59)) &&
	    fixu_sched_in(s, utc(2026, 1, 5, 5, 0, 0)), "full day: always in");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 5, 4, 0, 0)),
	    utc(2026, 1, 4, 5, 0, 0), "full day: period from 05:00");
	ok(!fixu_sched_same_period(s, utc(2026, 1, 5, 4, 59, 59),
	    utc(2026, 1, 5, 5, 0, 0)), "full day: reset at 05:00");
	is_int(fixu_sched_next_change(s, 0), INT64_MAX, "full day: no change");
	fixu_sched_free(s);
	s = mk("00:00:00", "00:00:00", NULL, NULL, "Mo,Tu", NULL);
	ok(fixu_sched_in(s, utc(2026, 1, 5, 12, 0, 0)) &&
	    fixu_sched_in(s, utc(2026, 1, 6, 23, 0, 0)) &&
	    !fixu_sched_in(s, utc(2026, 1, 7, 0, 0, 0)),
	    "full days on Weekdays");
	is_int(fixu_sched_next_change(s, utc(2026, 1, 5, 12, 0, 0)),
	    utc(2026, 1, 7, 0, 0, 0), "full days: Mon and Tue run together");
	ok(!fixu_sched_same_period(s, utc(2026, 1, 5, 12, 0, 0),
	    utc(2026, 1, 6, 12, 0, 0)), "full days: Tuesday is a new period");
	fixu_sched_free(s);
}

static void
test_weekly(void)
{
	struct fixu_sched *s;

	/* Friday 22:00 to Monday 06:00, over the end of the week. */
	s = mk("22:00:00", "06:00:00", "friday", "MONDAY", NULL, NULL);
	ok(s != NULL, "weekly Fri-Mon");
	ok(fixu_sched_in(s, utc(2026, 1, 2, 22, 0, 0)), "weekly: Fri 22:00");
	ok(fixu_sched_in(s, utc(2026, 1, 3, 12, 0, 0)) &&
	    fixu_sched_in(s, utc(2026, 1, 4, 12, 0, 0)), "weekly: weekend in");
	ok(fixu_sched_in(s, utc(2026, 1, 5, 6, 0, 0) - 1), "weekly: Mon 05:59");
	ok(!fixu_sched_in(s, utc(2026, 1, 5, 6, 0, 0)), "weekly: Mon 06:00");
	ok(!fixu_sched_in(s, utc(2026, 1, 7, 12, 0, 0)), "weekly: Wed out");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 4, 12, 0, 0)),
	    utc(2026, 1, 2, 22, 0, 0), "weekly: period from Friday");
	is_int(fixu_sched_next_change(s, utc(2026, 1, 7, 12, 0, 0)),
	    utc(2026, 1, 9, 22, 0, 0), "weekly: next start");
	ok(!fixu_sched_same_period(s, utc(2026, 1, 4, 12, 0, 0),
	    utc(2026, 1, 11, 12, 0, 0)), "weekly: next week is new");
	fixu_sched_free(s);

	s = mk("17:00:00", "08:00:00", "Mon", "mon", NULL, NULL);
	ok(fixu_sched_in(s, utc(2026, 1, 7, 12, 0, 0)) &&
	    !fixu_sched_in(s, utc(2026, 1, 5, 12, 0, 0)),
	    "weekly Mon 17:00 - Mon 08:00");
	fixu_sched_free(s);

	s = mk("18:00:00", "18:00:00", "Su", "Su", NULL, NULL);
	ok(fixu_sched_in(s, utc(2026, 1, 4, 17, 0, 0)), "full week: in");
	is_int(fixu_sched_next_change(s, 0), INT64_MAX, "full week: no change");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 7, 0, 0, 0)),
	    utc(2026, 1, 4, 18, 0, 0), "full week: from Sunday 18:00");
	fixu_sched_free(s);
}

static void
test_dst(void)
{
	struct fixu_sched *s;
	struct fixu_diag d;
	struct fixu_sched_spec sp = { "08:00:00", "17:00:00", NULL, NULL,
	    NULL, "Nowhere/Atlantis", 0, 0 };

	is_int(mkerr(&sp, &d), FIXU_ENOTFOUND, "nonexistent zone");
	ok(strstr(d.msg, "TimeZone") != NULL, "names TimeZone: %s", d.msg);
	if (access("/usr/share/zoneinfo/America/New_York", R_OK) != 0 ||
	    access("/usr/share/zoneinfo/Europe/London", R_OK) != 0) {
		printf("ok %d # skip no tzdata\n", ++tap_n);
		return;
	}
	sp.time_zone = "America";
	is_int(mkerr(&sp, &d), FIXU_ENOTFOUND, "a directory is no zone");

	/* New York, 2026: EDT from Mar 8 07:00 UTC to Nov 1 06:00 UTC. */
	s = mk("08:00:00", "17:00:00", NULL, NULL, NULL, "America/New_York");
	ok(s != NULL, "America/New_York");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 6, 14, 0, 0)),
	    utc(2026, 3, 6, 13, 0, 0), "NY: EST start 13:00 UTC");
	ok(!fixu_sched_in(s, utc(2026, 3, 6, 22, 0, 0)) &&
	    fixu_sched_in(s, utc(2026, 3, 6, 21, 59, 59)), "NY: EST end");
	is_int(fixu_sched_next_change(s, utc(2026, 3, 7, 23, 0, 0)),
	    utc(2026, 3, 8, 12, 0, 0), "NY: next start is in EDT");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 9, 15, 0, 0)),
	    utc(2026, 3, 9, 12, 0, 0), "NY: EDT start 12:00 UTC");
	is_int(fixu_sched_next_change(s, utc(2026, 10, 31, 15, 0, 0)),
	    utc(2026, 10, 31, 21, 0, 0), "NY: last EDT end");
	is_int(fixu_sched_period_start(s, utc(2026, 11, 1, 12, 0, 0)),
	    utc(2026, 11, 1, 13, 0, 0), "NY: Nov 1 start in EST");
	is_int(fixu_sched_period_start(s, utc(2100, 7, 1, 12, 0, 0)),
	    utc(2100, 7, 1, 12, 0, 0), "NY: 2100 summer (footer rule)");
	is_int(fixu_sched_period_start(s, utc(2100, 1, 4, 14, 0, 0)),
	    utc(2100, 1, 4, 13, 0, 0), "NY: 2100 winter (footer rule)");
	fixu_sched_free(s);
	/* 02:30 does not exist on Mar 8; 01:30 comes twice on Nov 1. */
	s = mk("02:30:00", "03:30:00", NULL, NULL, NULL, "America/New_York");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 8, 7, 10, 0)),
	    utc(2026, 3, 8, 7, 0, 0), "NY: skipped start is the jump");
	is_int(fixu_sched_next_change(s, utc(2026, 3, 8, 7, 10, 0)),
	    utc(2026, 3, 8, 7, 30, 0), "NY: 03:30 EDT end");
	fixu_sched_free(s);
	s = mk("01:30:00", "02:00:00", NULL, NULL, NULL, "America/New_York");
	is_int(fixu_sched_period_start(s, utc(2026, 11, 1, 6, 45, 0)),
	    utc(2026, 11, 1, 5, 30, 0), "NY: repeated start is the first");
	ok(fixu_sched_in(s, utc(2026, 11, 1, 6, 45, 0)) &&
	    !fixu_sched_in(s, utc(2026, 11, 1, 7, 0, 0)),
	    "NY: window runs to 02:00 EST");
	fixu_sched_free(s);

	/* London, 2026: BST from Mar 29 01:00 UTC to Oct 25 01:00 UTC. */
	s = mk("07:00:00", "16:30:00", NULL, NULL, NULL, "Europe/London");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 27, 8, 0, 0)),
	    utc(2026, 3, 27, 7, 0, 0), "London: GMT start");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 30, 8, 0, 0)),
	    utc(2026, 3, 30, 6, 0, 0), "London: BST start");
	is_int(fixu_sched_next_change(s, utc(2026, 10, 23, 8, 0, 0)),
	    utc(2026, 10, 23, 15, 30, 0), "London: BST end");
	is_int(fixu_sched_next_change(s, utc(2026, 10, 24, 16, 0, 0)),
	    utc(2026, 10, 25, 7, 0, 0), "London: next start in GMT");
	fixu_sched_free(s);
	s = mk("22:00:00", "22:00:00", "Sun", "Sun", NULL, "Europe/London");
	is_int(fixu_sched_period_start(s, utc(2026, 4, 1, 0, 0, 0)),
	    utc(2026, 3, 29, 21, 0, 0), "London: weekly from Sun 22:00 BST");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 29, 20, 0, 0)),
	    utc(2026, 3, 22, 22, 0, 0), "London: the week before, in GMT");
	fixu_sched_free(s);
	s = mk("01:30:00", "01:30:00", NULL, NULL, NULL, "Europe/London");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 29, 12, 0, 0)),
	    utc(2026, 3, 29, 1, 0, 0), "London: skipped 01:30");
	is_int(fixu_sched_period_start(s, utc(2026, 10, 25, 12, 0, 0)),
	    utc(2026, 10, 25, 0, 30, 0), "London: repeated 01:30");
	is_int(fixu_sched_period_start(s, utc(2026, 10, 25, 0, 29, 59)),
	    utc(2026, 10, 24, 0, 30, 0), "London: day before");
	fixu_sched_free(s);
}

/* A TZif file with one time type, no transitions and a footer. */
static size_t
tzif(unsigned char *p, int ver, int32_t off, const char *foot)
{
	unsigned char blk[10];
	size_t n = 0, i;
	int copy;

	memcpy(blk, "\0\0\0\0\0\0IST", 10);
	for (i = 0; i < 4; i++)
		blk[i] = (unsigned char)((uint32_t)off >> (24 - 8 * i));
	for (copy = 0; copy < (ver ? 2 : 1); copy++) {
		memset(p + n, 0, 44);
		memcpy(p + n, "TZif", 4);
		p[n + 4] = (unsigned char)ver;
		p[n + 39] = 1;		/* typecnt */
		p[n + 43] = 4;		/* charcnt */
		memcpy(p + n + 44, blk, 10);
		n += 54;
	}
	if (ver) {
		p[n++] = '\n';
		memcpy(p + n, foot, strlen(foot));
		n += strlen(foot);
		p[n++] = '\n';
	}
	return n;
}

static void
put(const char *name, const unsigned char *p, size_t n)
{
	char path[128];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", tzdir, name) >=
	    (int)sizeof(path) || (f = fopen(path, "wb")) == NULL)
		abort();
	if (fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static void
test_tzif(void)
{
	struct fixu_sched_spec sp = { "09:00:00", "17:00:00", NULL, NULL,
	    NULL, NULL, 0, 0 };
	unsigned char buf[256];
	struct fixu_diag d;
	struct fixu_sched *s;
	char sub[80];
	size_t n;

	snprintf(tzdir, sizeof(tzdir), "/tmp/test_schedule.XXXXXX");
	if (mkdtemp(tzdir) == NULL)
		abort();
	snprintf(sub, sizeof(sub), "%s/X", tzdir);
	mkdir(sub, 0700);
	setenv("TZDIR", tzdir, 1);

	put("X/Kolkata1", buf, tzif(buf, 0, 19800, ""));
	s = mk("09:00:00", "17:00:00", NULL, NULL, NULL, "X/Kolkata1");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 5, 4, 0, 0)),
	    utc(2026, 1, 5, 3, 30, 0), "TZDIR: v1 file, +05:30");
	fixu_sched_free(s);
	put("X/Eastern3", buf, tzif(buf, '3', -18000,
	    "EST5EDT,M3.2.0,M11.1.0"));
	s = mk("08:00:00", "17:00:00", NULL, NULL, NULL, "X/Eastern3");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 9, 15, 0, 0)),
	    utc(2026, 3, 9, 12, 0, 0), "v3 footer rule: EDT");
	is_int(fixu_sched_period_start(s, utc(2026, 3, 6, 15, 0, 0)),
	    utc(2026, 3, 6, 13, 0, 0), "v3 footer rule: EST");
	fixu_sched_free(s);
	put("X/Chatham", buf, tzif(buf, '2', 45900,
	    "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45"));
	s = mk("08:00:00", "17:00:00", NULL, NULL, NULL, "X/Chatham");
	is_int(fixu_sched_period_start(s, utc(2026, 1, 4, 20, 0, 0)),
	    utc(2026, 1, 5, 8, 0, 0) - 13 * 3600 * NS - 45 * 60 * NS,
	    "southern summer, <+1345>");
	is_int(fixu_sched_period_start(s, utc(2026, 7, 5, 12, 0, 0)),
	    utc(2026, 7, 6, 8, 0, 0) - 12 * 3600 * NS - 45 * 60 * NS,
	    "southern winter, <+1245>");
	fixu_sched_free(s);

	sp.time_zone = "X/Garbage";
	put(sp.time_zone, (const unsigned char *)"not a zone\n", 11);
	is_int(mkerr(&sp, &d), FIXU_EINVAL, "garbage zone file");
	ok(strstr(d.msg, "TimeZone") != NULL, "names TimeZone: %s", d.msg);
	n = tzif(buf, '2', 3600, "CET-1");
	sp.time_zone = "X/Short";
	put(sp.time_zone, buf, n - 20);
	is_int(mkerr(&sp, &d), FIXU_EINVAL, "truncated zone file");
	sp.time_zone = "X/BadFooter";
	put(sp.time_zone, buf, tzif(buf, '2', 3600, "XX-1"));
	is_int(mkerr(&sp, &d), FIXU_EINVAL, "bad footer");
	sp.time_zone = "X/BadVersion";
	n = tzif(buf, '2', 3600, "CET-1");
	buf[4] = '9';
	put(sp.time_zone, buf, n);
	is_int(mkerr(&sp, &d), FIXU_EINVAL, "unknown version");
	sp.time_zone = "X/BadOffset";
	put(sp.time_zone, buf, tzif(buf, 0, 200000, ""));
	is_int(mkerr(&sp, &d), FIXU_EINVAL, "offset out of range");
	sp.time_zone = "X/Missing";
	is_int(mkerr(&sp, &d), FIXU_ENOTFOUND, "missing file under TZDIR");
}

static void
cleanup(void)
{
	static const char *const files[] = { "X/Kolkata1", "X/Eastern3",
	    "X/Chatham", "X/Garbage", "X/Short", "X/BadFooter",
	    "X/BadVersion", "X/BadOffset", "X", "" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (snprintf(path, sizeof(path), "%s/%s", tzdir, files[i]) <
		    (int)sizeof(path))
			(void)remove(path);
}

int
main(void)
{
	/* The zones of test_dst are the system's, whatever TZDIR says. */
	unsetenv("TZDIR");
	test_errors();
	test_daily();
	test_weekly();
	test_dst();
	test_tzif();
	cleanup();
	return tap_done();
}
