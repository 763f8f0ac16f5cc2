/*
 * lease.h -- the parts of a lease that are not rows in the store: file
 * leases (open-file-description fcntl locks), the holder string, and the
 * timeline a holder keeps to stop its command before its lease can pass
 * to anyone else.  The rows themselves (holder, token, expiry) are in
 * store.h.
 *
 * Ownership: a file lease is a descriptor the caller owns; the lock lives
 * as long as the open file description, so a child that inherits the
 * descriptor keeps the lease alive too: close it in the child (the lock
 * file is opened O_CLOEXEC, which covers exec).  Nothing here allocates.
 */
#ifndef FIXU_LEASE_H
#define FIXU_LEASE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define FIXU_LEASE_NAME_MAX	64
#define FIXU_LEASE_HOLDER_MAX	128

/* 1 when name is 1 to 64 characters of [A-Za-z0-9._-]. */
int	fixu_lease_name_ok(const char *name);

/*
 * Open (create, 0644) a lock file for fixu_flock_take().  Returns the
 * descriptor, or -1 with d set (FIXU_EIO).
 */
int	fixu_flock_open(const char *path, struct fixu_diag *d);
/*
 * Take the write lock on the whole file.  wait 0: FIXU_EBUSY at once when
 * another open file description holds it.  wait 1: block; a signal that
 * interrupts the wait gives FIXU_EAGAIN (the caller's timer, say).
 */
int	fixu_flock_take(int fd, int wait, struct fixu_diag *d);
/* 1 when another open file description holds the lock, 0 when free, or
 * a FIXU_E* code. */
int	fixu_flock_held(int fd, struct fixu_diag *d);

/*
 * The holder string of a lease row: "[IDENT@]HOST:PID", followed by
 * " file" for a file lease.  fmt returns FIXU_ELIMIT when it does not fit
 * in FIXU_LEASE_HOLDER_MAX.  parse fills host (at least 65 bytes) and pid
 * and says whether it is a file lease; FIXU_ESYNTAX for a holder written
 * by something else.
 */
int	fixu_lease_holder_fmt(char *buf, size_t n, const char *ident,
	    const char *host, pid_t pid, int file);
int	fixu_lease_holder_parse(const char *holder, char *host, size_t hostn,
	    pid_t *pid, int *file);

/*
 * The holder's timeline, all offsets in nanoseconds from the start of its
 * last successful renewal: renew every ttl/4; stop the command with
 * SIGTERM at ttl - ttl/10 - grace and with SIGKILL at ttl - ttl/10, so
 * that it is gone a tenth of the TTL before the row expires and a waiter
 * can take the lease.  FIXU_EINVAL when ttl is under 100 ms or grace does
 * not leave that room (grace must be under half the TTL).
 */
struct fixu_lease_plan {
	int64_t	ttl;
	int64_t	renew;
	int64_t	term;
	int64_t	kill;
	int64_t	poll;		/* how often a waiter looks at the row */
};

int	fixu_lease_plan(struct fixu_lease_plan *, int64_t ttl_ns,
	    int64_t grace_ns, struct fixu_diag *d);

/* A duration: "2", "1.5", "2s", "500ms", "1m"; FIXU_ESYNTAX otherwise. */
int	fixu_duration_parse(const char *s, int64_t *ns);

#endif
