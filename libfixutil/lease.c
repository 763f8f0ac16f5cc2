/*
 * lease.c -- file leases, holder strings and the holder's timeline.
 *
 * A file lease is an open-file-description lock (F_OFD_SETLK), not a
 * classic POSIX record lock: a POSIX lock belongs to the process and is
 * dropped when the process closes any descriptor of the file (SQLite
 * opening the same file would do it), while an OFD lock belongs to the
 * open file description and goes away only when the last descriptor of
 * that description is closed -- which the kernel does the instant its
 * holder dies.  That is what makes takeover immediate.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lease.h"

#ifndef F_OFD_SETLK
/* Linux values; glibc defines them only with _GNU_SOURCE. */
#define F_OFD_GETLK	36
#define F_OFD_SETLK	37
#define F_OFD_SETLKW	38
#endif

int
fixu_lease_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (i >= FIXU_LEASE_NAME_MAX ||
		    strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", name[i]) == NULL)
			return 0;
	return i > 0;
}

int
fixu_flock_open(const char *path, struct fixu_diag *d)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd == -1)
		(void)fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: %s", path, strerror(errno));
	return fd;
}

static void
whole(struct flock *fl, short type)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = 0;
	fl->l_len = 0;		/* to the end, however long */
	fl->l_pid = 0;		/* must be 0 for OFD locks */
}

int
fixu_flock_take(int fd, int wait, struct fixu_diag *d)
{
	struct flock fl;

	whole(&fl, F_WRLCK);
	if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0)
		return 0;
	if (!wait && (errno == EAGAIN || errno == EACCES))
		return fixu_diag_set(d, FIXU_EBUSY, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "the lock file is locked");
	if (wait && errno == EINTR)
		return fixu_diag_set(d, FIXU_EAGAIN, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "interrupted");
	return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "lock: %s", strerror(errno));
}

int
fixu_flock_held(int fd, struct fixu_diag *d)
{
	struct flock fl;

	whole(&fl, F_WRLCK);
	if (fcntl(fd, F_OFD_GETLK, &fl) == -1)
		return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "lock test: %s", strerror(errno));
	return fl.l_type != F_UNLCK;
}

int
fixu_lease_holder_fmt(char *buf, size_t n, const char *ident,
    const char *host, pid_t pid, int file)
{
	int len;

	if (n > FIXU_LEASE_HOLDER_MAX + 1)
		n = FIXU_LEASE_HOLDER_MAX + 1;
	len = snprintf(buf, n, "%s%s%s:%ld%s", ident != NULL ? ident : "",
	    ident != NULL ? "@" : "", host, (long)pid, file ? " file" : "");
	if (len < 0 || (size_t)len >= n)
		return FIXU_ELIMIT;
	return 0;
}

int
fixu_lease_holder_parse(const char *holder, char *host, size_t hostn,
    pid_t *pid, int *file)
{
	const char *p, *at, *colon, *end;
	char *e;
	long v;

	end = holder + strlen(holder);
	*file = 0;
	if (end - holder > 5 && strcmp(end - 5, " file") == 0) {
		*file = 1;
		end -= 5;
	}
	at = NULL;
	for (p = holder; p < end; p++)
		if (*p == '@')
			at = p;
	p = at != NULL ? at + 1 : holder;
	colon = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == ':')
			colon = q;
	if (colon == NULL || colon == p || (size_t)(colon - p) >= hostn ||
	    colon + 1 == end)
		return FIXU_ESYNTAX;
	errno = 0;
	v = strtol(colon + 1, &e, 10);
	if (e != end || errno != 0 || v <= 0)
		return FIXU_ESYNTAX;
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	*pid = (pid_t)v;
	return 0;
}

int
fixu_lease_plan(struct fixu_lease_plan *pl, int64_t ttl_ns, int64_t grace_ns,
    struct fixu_diag *d)
{
	memset(pl, 0, sizeof(*pl));
	if (ttl_ns < 100000000)
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "TTL under 100 ms");
	if (grace_ns < 0)
		grace_ns = ttl_ns / 4;
	if (grace_ns >= ttl_ns / 2)
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "grace %.3f s is not under half the TTL "
		    "(%.3f s)", (double)grace_ns / 1e9, (double)ttl_ns / 1e9);
	pl->ttl = ttl_ns;
	pl->renew = ttl_ns / 4;
	pl->kill = ttl_ns - ttl_ns / 10;
	pl->term = pl->kill - grace_ns;
	pl->poll = ttl_ns / 20 < 20000000 ? ttl_ns / 20 : 20000000;
	return 0;
}

int
fixu_duration_parse(const char *s, int64_t *ns)
{
	double v, unit = 1e9;
	char *e;

	if (s[0] == '\0' || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return FIXU_ESYNTAX;
	errno = 0;
	v = strtod(s, &e);
	if (e == s || errno != 0 || !isfinite(v))
		return FIXU_ESYNTAX;
	if (strcmp(e, "ms") == 0)
		unit = 1e6;
	else if (strcmp(e, "m") == 0)
		unit = 60e9;
	else if (strcmp(e, "s") != 0 && *e != '\0')
		return FIXU_ESYNTAX;
	if (v * unit > 9e18)
		return FIXU_ESYNTAX;
	*ns = (int64_t)llround(v * unit);
	return 0;
}
