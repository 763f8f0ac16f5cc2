/*
 * schedule.h -- FIX session schedules, as QuickFIX's StartTime, EndTime,
 * StartDay, EndDay, Weekdays, TimeZone, UseLocalTime and NonStopSession.
 *
 * A schedule is a repeating window: daily (StartTime..EndTime every day, or
 * only on the days in Weekdays), or weekly (StartDay StartTime .. EndDay
 * EndTime).  A window may wrap over midnight or over the end of the week;
 * StartTime equal to EndTime means a window of a whole day (or week).
 * Times are wall-clock times in the schedule's zone: UTC by default, the
 * named zone of a TZif file under /usr/share/zoneinfo (or $TZDIR), or the
 * machine's local zone (/etc/localtime) with UseLocalTime.
 *
 * A "period" is one occurrence of the window; the sequence numbers of a
 * session belong to one period, so a session whose epoch started before
 * the current period began is reset at logon (or at the boundary).
 *
 * Nothing here reads a clock: every function takes the time it is about
 * (CLOCK_REALTIME nanoseconds since the epoch, UTC).  A struct fixu_sched
 * owns its zone table; it is immutable after fixu_sched_new() and may be
 * shared by any number of sessions.
 */
#ifndef FIXU_SCHEDULE_H
#define FIXU_SCHEDULE_H

#include <stdint.h>

#include "err.h"

struct fixu_sched;

/* The settings a schedule is built from, as text; NULL means absent. */
struct fixu_sched_spec {
	const char	*start_time;	/* "HH:MM:SS" */
	const char	*end_time;
	const char	*start_day;	/* "Sunday", "sun", "su" ... as QuickFIX */
	const char	*end_day;
	const char	*weekdays;	/* "Mon,Tue,Wed"; only without start_day */
	const char	*time_zone;	/* "America/New_York"; NULL: UTC */
	int		 use_local_time; /* UseLocalTime=Y: the machine's zone */
	int		 nonstop;	/* NonStopSession=Y: always in session */
};

/*
 * Build a schedule.  FIXU_ESYNTAX with d->msg naming the key for a bad
 * value, a day without its time, start_day without end_day (or the
 * reverse), weekdays together with start_day; FIXU_ENOTFOUND for a zone
 * that has no TZif file; FIXU_EINVAL for a damaged zone file.  Without
 * start_time and end_time (and not nonstop) it is FIXU_ESYNTAX too.
 */
int	fixu_sched_new(struct fixu_sched **, const struct fixu_sched_spec *,
	    struct fixu_diag *d);
void	fixu_sched_free(struct fixu_sched *);

/* 1 when t (ns, UTC) is inside a window. */
int	fixu_sched_in(const struct fixu_sched *, int64_t t);
/*
 * Start (ns, UTC) of the period t is in; when t is between two windows,
 * the start of the next one: an epoch begun between two windows belongs
 * to the next window, and is not reset when that window opens.
 * INT64_MIN for a nonstop schedule.
 */
int64_t	fixu_sched_period_start(const struct fixu_sched *, int64_t t);
/* 1 when a and b belong to the same period (always 1 when nonstop). */
int	fixu_sched_same_period(const struct fixu_sched *, int64_t a, int64_t b);
/* The next time after t at which fixu_sched_in() changes; INT64_MAX if never. */
int64_t	fixu_sched_next_change(const struct fixu_sched *, int64_t t);

#endif
