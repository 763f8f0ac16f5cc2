/*
 * schedule.c -- FIX session schedules and the TZif zones they need.
 *
 * A schedule is a chain of occurrences k of one window, each given by its
 * local (wall-clock) start and a fixed local length: occurrence k of a
 * daily window starts on day k (days since 1970-01-01, local), of a weekly
 * window in week k (weeks counted from Sunday 1969-12-28).  Windows are
 * half-open, [start, end): a session with EndTime 17:00:00 is out at
 * 17:00:00 sharp, so back-to-back windows (StartTime == EndTime) never
 * overlap and next_change() is exact.  To answer a question about UTC time
 * t we take the local day or week of t, convert the wall-clock starts and
 * ends of the few occurrences around it to UTC, and pick the first whose
 * end is after t.  That conversion is monotonic, so the UTC windows are
 * ordered and disjoint like the local ones.
 *
 * Local to UTC around DST changes: a wall time in a skipped hour (spring
 * forward) is taken to be the transition itself, so a window opening at
 * 02:30 on that day opens when the clocks jump; a wall time in a repeated
 * hour (fall back) is its first occurrence, so a window opens as early as
 * the wall clock allows and a period never starts twice.
 *
 * Zones are TZif files (RFC 8536): the 64-bit data of version 2 and later
 * (the 32-bit data only for version 1), with the footer's POSIX TZ rule
 * for times past the last transition.  Leap-second ("right/") zones are
 * refused: their transition times are not POSIX times.  Nothing here uses
 * TZ, localtime() or any other process-wide state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schedule.h"

#define DAY		86400LL
#define WEEK		(7 * DAY)
#define NS		1000000000LL
#define TZ_MAXFILE	(1 << 20)	/* real zone files are under 4 KiB */
#define TZ_MAXFOOTER	128
/* Offsets are within 26 hours (RFC 8536, POSIX); search a bit wider. */
#define TZ_REACH	(27 * 3600LL)

struct tzrule {
	char	 kind;		/* 'J' Julian 1..365, 'n' 0..365, 'M' m.w.d */
	int	 n, m, w, d;
	int32_t	 secs;		/* local time of day of the change */
};

struct zone {
	int64_t		*trans;	/* UTC seconds, ascending */
	uint8_t		*idx;	/* time type after each transition */
	int32_t		*off;	/* UTC offset of each type; NULL: UTC */
	size_t		 ntrans;
	int		 footer, dst; /* footer rule present; it has DST */
	int32_t		 stdoff, dstoff;
	struct tzrule	 start, end;
};

struct fixu_sched {
	int		 nonstop, weekly;
	unsigned	 mask;	/* daily: allowed weekdays, bit 0 Sunday */
	int64_t		 start;	/* local seconds into the day (week) */
	int64_t		 len;	/* seconds; a whole day (week) at most */
	struct zone	 z;
};

static const char *const daynames[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday"
};

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int64_t
year_of(int64_t days)
{
	int64_t y = 1970 + floordiv(days * 400, 146097);

	while (days_from_civil(y, 1, 1) > days)
		y--;
	while (days_from_civil(y + 1, 1, 1) <= days)
		y++;
	return y;
}

static int
weekday(int64_t days)
{
	return (int)(days + 4 - floordiv(days + 4, 7) * 7);
}

static int
isleap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Day (since the epoch) on which rule r changes the clocks in year y. */
static int64_t
rule_day(const struct tzrule *r, int64_t y)
{
	int64_t first, next, day;

	first = days_from_civil(y, 1, 1);
	if (r->kind == 'J')
		return first + r->n - 1 + (isleap(y) && r->n >= 60);
	if (r->kind == 'n')
		return first + r->n;
	first = days_from_civil(y, r->m, 1);
	next = days_from_civil(y + (r->m == 12), r->m % 12 + 1, 1);
	day = first + (r->d - weekday(first) + 7) % 7 + (r->w - 1) * 7;
	while (day >= next)		/* week 5 means the last one */
		day -= 7;
	return day;
}

/* UTC of the footer's DST start (which == 0) or end in year y. */
static int64_t
rule_utc(const struct zone *z, int which, int64_t y)
{
	if (which == 0)
		return rule_day(&z->start, y) * DAY + z->start.secs - z->stdoff;
	return rule_day(&z->end, y) * DAY + z->end.secs - z->dstoff;
}

static int32_t
rule_off(const struct zone *z, int64_t t)
{
	int64_t y, s, e;

	if (!z->dst)
		return z->stdoff;
	y = year_of(floordiv(t + z->stdoff, DAY));
	s = rule_utc(z, 0, y);
	e = rule_utc(z, 1, y);
	if (s < e)
		return t >= s && t < e ? z->dstoff : z->stdoff;
	return t >= e && t < s ? z->stdoff : z->dstoff;	/* southern */
}

/* Index of the last transition at or before t; t >= trans[0]. */
static size_t
trans_at(const struct zone *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* UTC offset in force at UTC second t. */
static int32_t
zone_off(const struct zone *z, int64_t t)
{
	if (z->off == NULL)
		return 0;
	if (z->footer && (z->ntrans == 0 || t > z->trans[z->ntrans - 1]))
		return rule_off(z, t);
	if (z->ntrans == 0 || t < z->trans[0])
		return z->off[0];	/* RFC 8536: type 0 before the table */
	return z->off[z->idx[trans_at(z, t)]];
}

/* The first transition after t, if any. */
static int
zone_next(const struct zone *z, int64_t t, int64_t *tr)
{
	int64_t y, c, best = INT64_MAX;
	int which;

	if (z->ntrans > 0 && t < z->trans[z->ntrans - 1]) {
		*tr = t < z->trans[0] ? z->trans[0] :
		    z->trans[trans_at(z, t) + 1];
		return 1;
	}
	if (z->off == NULL || !z->footer || !z->dst)
		return 0;
	y = year_of(floordiv(t + z->stdoff, DAY));
	for (y -= 1, c = y + 3; y < c; y++)
		for (which = 0; which < 2; which++) {
			int64_t u = rule_utc(z, which, y);

			if (u > t && u < best)
				best = u;
		}
	*tr = best;
	return best != INT64_MAX;
}

/*
 * UTC second of local wall time l: the first occurrence when l is
 * repeated, the transition when l was skipped.  The time line near l is
 * cut at transitions into spans of one offset each; the first span that
 * holds l - offset is the answer.
 */
static int64_t
local_to_utc(const struct zone *z, int64_t l)
{
	int64_t s = l - TZ_REACH, tr;
	int32_t o = zone_off(z, s), no;

	while (zone_next(z, s, &tr) && tr <= l + TZ_REACH) {
		if (l - o >= s && l - o < tr)
			return l - o;
		no = zone_off(z, tr);
		if (l - o >= tr && l - no < tr)
			return tr;	/* skipped */
		s = tr;
		o = no;
	}
	return l - o;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
sbe(const unsigned char *p, size_t n)
{
	uint64_t u = n == 8 ? (uint64_t)be32(p) << 32 | be32(p + 4) :
	    be32(p);

	if (n == 4)
		return u >= 0x80000000u ? (int64_t)u - 0x100000000LL :
		    (int64_t)u;
	return u <= INT64_MAX ? (int64_t)u : -(int64_t)~u - 1;
}

static const char *
tz_num(const char *p, int maxdig, int lo, int hi, int *v)
{
	int n;

	for (*v = 0, n = 0; n < maxdig && *p >= '0' && *p <= '9'; n++)
		*v = *v * 10 + *p++ - '0';
	return n == 0 || *v < lo || *v > hi ? NULL : p;
}

/* [+-]h[h[h]][:mm[:ss]] as seconds. */
static const char *
tz_hms(const char *p, int maxh, int32_t *v)
{
	int neg = 0, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if ((p = tz_num(p, 3, 0, maxh, &h)) == NULL)
		return NULL;
	if (*p == ':' && (p = tz_num(p + 1, 2, 0, 59, &m)) != NULL &&
	    *p == ':')
		p = tz_num(p + 1, 2, 0, 59, &s);
	*v = (h * 3600 + m * 60 + s) * (neg ? -1 : 1);
	return p;
}

static const char *
tz_name(const char *p)
{
	const char *q = p;

	if (*p == '<') {
		while (*++q != '\0' && *q != '>')
			if (!(*q >= '0' && *q <= '9') && *q != '+' &&
			    *q != '-' && !((*q | 0x20) >= 'a' &&
			    (*q | 0x20) <= 'z'))
				return NULL;
		return *q == '>' && q - p >= 4 ? q + 1 : NULL;
	}
	while ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z')
		q++;
	return q - p >= 3 ? q : NULL;
}

static const char *
tz_date(const char *p, struct tzrule *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = *p == 'J' || *p == 'M' ? *p++ : 'n';
	if (r->kind == 'J')
		p = tz_num(p, 3, 1, 365, &r->n);
	else if (r->kind == 'n')
		p = tz_num(p, 3, 0, 365, &r->n);
	else if ((p = tz_num(p, 2, 1, 12, &r->m)) != NULL && *p++ == '.' &&
	    (p = tz_num(p, 1, 1, 5, &r->w)) != NULL && *p++ == '.')
		p = tz_num(p, 1, 0, 6, &r->d);
	else
		return NULL;
	r->secs = 7200;
	if (p != NULL && *p == '/')
		p = tz_hms(p + 1, 167, &r->secs);	/* RFC 8536 v3 */
	return p;
}

/* The footer's POSIX TZ string, e.g. "EST5EDT,M3.2.0,M11.1.0". */
static int
tz_footer(struct zone *z, const char *p)
{
	int32_t o;

	if (*p == '\0')
		return 0;
	if ((p = tz_name(p)) == NULL || (p = tz_hms(p, 24, &o)) == NULL)
		return -1;
	z->stdoff = -o;		/* POSIX counts west of Greenwich */
	z->footer = 1;
	if (*p == '\0')
		return 0;
	if ((p = tz_name(p)) == NULL)
		return -1;
	z->dstoff = z->stdoff + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = tz_hms(p, 24, &o)) == NULL)
			return -1;
		z->dstoff = -o;
	}
	/* zic always writes the rule; its default is the system's own. */
	if (*p != ',' || (p = tz_date(p + 1, &z->start)) == NULL ||
	    *p != ',' || (p = tz_date(p + 1, &z->end)) == NULL || *p != '\0')
		return -1;
	z->dst = 1;
	return 0;
}

struct tzhdr {
	int		ver;
	uint64_t	isut, isstd, leap, time, type, chars;
};

static int
tz_hdr(const unsigned char *p, size_t n, struct tzhdr *h)
{
	if (n < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->ver = p[4];
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	return h->ver == 0 || (h->ver >= '2' && h->ver <= '4') ? 0 : -1;
}

static uint64_t
tz_blocklen(const struct tzhdr *h, uint64_t ts)
{
	return h->time * (ts + 1) + h->type * 6 + h->chars +
	    h->leap * (ts + 4) + h->isstd + h->isut;
}

/* Parse a TZif image into z; NULL, or what is wrong with it. */
static const char *
tz_parse(struct zone *z, const unsigned char *p, size_t n)
{
	struct tzhdr h;
	const unsigned char *q, *nl;
	char foot[TZ_MAXFOOTER];
	uint64_t at = 0, len, ts = 4, i;
	int32_t o;

	if (tz_hdr(p, n, &h) != 0)
		return "bad header";
	len = tz_blocklen(&h, 4);
	if (h.ver != 0) {
		/* Skip the 32-bit data: the 64-bit block follows it. */
		if (len > n - 44)
			return "truncated";
		at = 44 + len;
		if (tz_hdr(p + at, n - at, &h) != 0)
			return "bad second header";
		ts = 8;
		len = tz_blocklen(&h, 8);
	}
	at += 44;
	if (len > n - at)
		return "truncated";
	if (h.type == 0 || h.type > 256 || h.chars == 0 ||
	    (h.isstd != 0 && h.isstd != h.type) ||
	    (h.isut != 0 && h.isut != h.type))
		return "bad counts";
	if (h.leap != 0)
		return "leap seconds are not supported";
	if ((z->off = calloc(h.type, sizeof(*z->off))) == NULL ||
	    (h.time > 0 && ((z->trans = calloc(h.time,
	    sizeof(*z->trans))) == NULL || (z->idx = malloc(h.time)) == NULL)))
		return "out of memory";
	z->ntrans = h.time;
	q = p + at;
	for (i = 0; i < h.time; i++, q += ts) {
		z->trans[i] = sbe(q, ts);
		if (i > 0 && z->trans[i] <= z->trans[i - 1])
			return "transitions out of order";
	}
	for (i = 0; i < h.time; i++, q++)
		if ((z->idx[i] = *q) >= h.type)
			return "bad type index";
	for (i = 0; i < h.type; i++, q += 6) {
		o = (int32_t)sbe(q, 4);
		if (o < -89999 || o > 93599 || q[4] > 1 || q[5] >= h.chars)
			return "bad time type";
		z->off[i] = o;
	}
	if (ts == 4)
		return NULL;
	at += len;
	if (at >= n || p[at] != '\n' ||
	    (nl = memchr(p + at + 1, '\n', n - at - 1)) == NULL)
		return "no footer";
	if ((size_t)(nl - (p + at + 1)) >= sizeof(foot))
		return "footer too long";
	memcpy(foot, p + at + 1, (size_t)(nl - (p + at + 1)));
	foot[nl - (p + at + 1)] = '\0';
	if (tz_footer(z, foot) != 0)
		return "bad footer";
	return NULL;
}

/* Load a zone file; missing_ok: a missing file means UTC. */
static int
zone_load(struct zone *z, const char *key, const char *name,
    const char *path, int missing_ok, struct fixu_diag *d)
{
	unsigned char *buf = NULL;
	const char *why;
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if ((errno == ENOENT || errno == ENOTDIR) && missing_ok)
			return 0;
		if (errno == ENOENT || errno == ENOTDIR)
			return fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: %s: no such zone", key, name);
		return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: %s: %s", key, path, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: %s: not a zone file", key, name);
		goto fail;
	}
	if (st.st_size > TZ_MAXFILE) {
		why = "too large";
		goto bad;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = FIXU_ENOMEM;
		goto fail;
	}
	/* One byte more than fstat said, to notice a file still growing. */
	while (n <= (size_t)st.st_size &&
	    (r = read(fd, buf + n, (size_t)st.st_size + 1 - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: %s: %s", key, path,
			    strerror(errno));
			goto fail;
		}
		n += (size_t)r;
	}
	if ((why = tz_parse(z, buf, n)) == NULL) {
		rc = 0;
		goto fail;
	}
	if (strcmp(why, "out of memory") == 0) {
		rc = FIXU_ENOMEM;
		goto fail;
	}
bad:
	rc = fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "%s: %s: damaged zone file: %s", key, name, why);
fail:
	free(buf);
	close(fd);
	return rc;
}

static int
zone_open(struct zone *z, const struct fixu_sched_spec *sp,
    struct fixu_diag *d)
{
	const char *name = sp->time_zone, *dir, *c;
	char path[PATH_MAX];
	int r;

	if (name == NULL)
		return sp->use_local_time ? zone_load(z, "UseLocalTime",
		    "/etc/localtime", "/etc/localtime", 1, d) : 0;
	if (sp->use_local_time)
		return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "TimeZone: not with UseLocalTime=Y");
	/* The name becomes a path: keep it inside the zone directory. */
	for (c = name; *c != '\0'; c++)
		if (!((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') &&
		    !(*c >= '0' && *c <= '9') && strchr("/_+-.", *c) == NULL)
			break;
	if (*name == '\0' || *name == '/' || *c != '\0' ||
	    strstr(name, "..") != NULL)
		return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "TimeZone: bad zone name '%.80s'", name);
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	r = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (r < 0 || (size_t)r >= sizeof(path))
		return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "TimeZone: name too long");
	return zone_load(z, "TimeZone", name, path, 0, d);
}

/* "HH:MM:SS" as seconds into the day. */
static int
parse_time(const char *s, const char *key, int64_t *v, struct fixu_diag *d)
{
	int i;

	for (i = 0; i < 8; i++)
		if (i % 3 == 2 ? s[i] != ':' : !(s[i] >= '0' && s[i] <= '9'))
			break;
	if (i < 8 || s[8] != '\0' || (s[0] - '0') * 10 + s[1] - '0' > 23 ||
	    s[3] > '5' || s[6] > '5')
		return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: expected HH:MM:SS, got %.40s", key, s);
	*v = ((s[0] - '0') * 10 + s[1] - '0') * 3600 +
	    ((s[3] - '0') * 10 + s[4] - '0') * 60 + (s[6] - '0') * 10 +
	    s[7] - '0';
	return 0;
}

/* A day name of length n: in full, or its first three or two letters. */
static int
parse_day(const char *s, size_t n, const char *key, int *wd,
    struct fixu_diag *d)
{
	int i;

	for (i = 0; i < 7; i++)
		if ((n == 2 || n == 3 || n == strlen(daynames[i])) &&
		    strncasecmp(s, daynames[i], n) == 0) {
			*wd = i;
			return 0;
		}
	return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "%s: expected a day name, got '%.*s'", key,
	    (int)(n > 40 ? 40 : n), s);
}

static int
parse_weekdays(const char *s, unsigned *mask, struct fixu_diag *d)
{
	const char *e;
	size_t n;
	int wd, rc;

	*mask = 0;
	for (;; s = e + 1) {
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, ",");
		for (n = (size_t)(e - s); n > 0 && (s[n - 1] == ' ' ||
		    s[n - 1] == '\t'); n--)
			;
		if ((rc = parse_day(s, n, "Weekdays", &wd, d)) != 0)
			return rc;
		*mask |= 1u << wd;
		if (*e == '\0')
			return 0;
	}
}

static int
sched_parse(struct fixu_sched *s, const struct fixu_sched_spec *sp,
    struct fixu_diag *d)
{
	int64_t st, et;
	int sd, ed, rc;

	if (sp->start_time == NULL || sp->end_time == NULL)
		return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: missing",
		    sp->start_time == NULL ? "StartTime" : "EndTime");
	if ((rc = parse_time(sp->start_time, "StartTime", &st, d)) != 0 ||
	    (rc = parse_time(sp->end_time, "EndTime", &et, d)) != 0)
		return rc;
	if ((sp->start_day == NULL) != (sp->end_day == NULL))
		return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: missing",
		    sp->start_day == NULL ? "StartDay" : "EndDay");
	if (sp->start_day != NULL && sp->weekdays != NULL)
		return fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "Weekdays: not with StartDay and EndDay");
	if (sp->start_day != NULL) {
		if ((rc = parse_day(sp->start_day, strlen(sp->start_day),
		    "StartDay", &sd, d)) != 0 || (rc = parse_day(sp->end_day,
		    strlen(sp->end_day), "EndDay", &ed, d)) != 0)
			return rc;
		s->weekly = 1;
		s->start = sd * DAY + st;
		s->len = ((ed * DAY + et - s->start) % WEEK + WEEK) % WEEK;
		if (s->len == 0)
			s->len = WEEK;
		return 0;
	}
	s->mask = 0x7f;
	if (sp->weekdays != NULL &&
	    (rc = parse_weekdays(sp->weekdays, &s->mask, d)) != 0)
		return rc;
	s->start = st;
	s->len = ((et - st) % DAY + DAY) % DAY;
	if (s->len == 0)
		s->len = DAY;
	return 0;
}

void
fixu_sched_free(struct fixu_sched *s)
{
	if (s == NULL)
		return;
	free(s->z.trans);
	free(s->z.idx);
	free(s->z.off);
	free(s);
}

/* NonStopSession=Y ignores the other settings, as QuickFIX does. */
int
fixu_sched_new(struct fixu_sched **sp, const struct fixu_sched_spec *spec,
    struct fixu_diag *d)
{
	struct fixu_sched *s;
	int rc;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
		    FIXU_REJ_NONE, NULL);
	s->nonstop = spec->nonstop;
	if (!s->nonstop && ((rc = sched_parse(s, spec, d)) != 0 ||
	    (rc = zone_open(&s->z, spec, d)) != 0))
		goto fail;
	*sp = s;
	return 0;
fail:
	fixu_sched_free(s);
	return rc;
}

static int64_t
to_ns(int64_t secs)
{
	if (secs > INT64_MAX / NS)
		return INT64_MAX;
	if (secs < INT64_MIN / NS)
		return INT64_MIN;
	return secs * NS;
}

/*
 * The window holding UTC second t, or the next one: [*ws, *we).  Windows
 * emptied by a DST change (wholly in a skipped hour) are passed over.
 */
static void
find(const struct fixu_sched *s, int64_t t, int64_t *ws, int64_t *we)
{
	int64_t l = t + zone_off(&s->z, t), k, k0, ls, a, b;

	k0 = floordiv(l, DAY);
	if (s->weekly)
		k0 = floordiv(k0 + 4, 7);
	for (k = k0 - 3; k <= k0 + 10; k++) {
		if (s->weekly)
			ls = (7 * k - 4) * DAY + s->start;
		else if (s->mask & 1u << weekday(k))
			ls = k * DAY + s->start;
		else
			continue;
		a = local_to_utc(&s->z, ls);
		b = local_to_utc(&s->z, ls + s->len);
		if (b > a && b > t) {
			*ws = a;
			*we = b;
			return;
		}
	}
	*ws = *we = INT64_MAX;
}

int
fixu_sched_in(const struct fixu_sched *s, int64_t t)
{
	int64_t ws, we;

	if (s->nonstop)
		return 1;
	find(s, floordiv(t, NS), &ws, &we);
	return ws <= floordiv(t, NS);
}

int64_t
fixu_sched_period_start(const struct fixu_sched *s, int64_t t)
{
	int64_t ws, we;

	if (s->nonstop)
		return INT64_MIN;
	find(s, floordiv(t, NS), &ws, &we);
	return to_ns(ws);
}

int
fixu_sched_same_period(const struct fixu_sched *s, int64_t a, int64_t b)
{
	return s->nonstop ||
	    fixu_sched_period_start(s, a) == fixu_sched_period_start(s, b);
}

int64_t
fixu_sched_next_change(const struct fixu_sched *s, int64_t t)
{
	int64_t ws, we, nws, nwe;
	int i;

	if (s->nonstop || (s->weekly ? s->len == WEEK :
	    s->len == DAY && s->mask == 0x7f))
		return INT64_MAX;
	find(s, floordiv(t, NS), &ws, &we);
	if (ws > floordiv(t, NS))
		return to_ns(ws);
	/* Whole-day windows on consecutive Weekdays run into each other. */
	for (i = 0; i < 8 && we != INT64_MAX; i++) {
		find(s, we, &nws, &nwe);
		if (nws != we)
			break;
		we = nwe;
	}
	return to_ns(we);
}
