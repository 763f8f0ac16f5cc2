/*
 * fixlock -- run a command while holding a named lease.
 *
 * In the manner of flock(1) and s6-setlock: take the lease (wait for it,
 * wait up to -w, or fail at once with -n), run the command with the lease
 * name and a fencing token in its environment, release the lease when the
 * command exits, and exit with the command's status.
 *
 * Two kinds of lease.  A file lease (-f) is an OFD write lock on a lock
 * file (lease.c); the kernel drops it the instant its holder dies, so a
 * standby blocked on it takes over at once.  An SQL lease is a row of the
 * store's leases table with an expiry on this host's monotonic clock,
 * renewed every TTL/4; a waiter polls the row and takes it once it is
 * free or expired.  Either way the store row carries the token: every
 * grant gets a token larger than any before, and fixsession checks its
 * token inside each commit, so a deposed holder can never write.
 *
 * The holder must stop its command before anyone else can hold the lease.
 * A thread renews the row and records the start of the last good renewal;
 * the main thread, which never waits on the database, keeps the deadlines
 * of fixu_lease_plan(): SIGTERM at last + TTL - TTL/10 - grace, SIGKILL at
 * last + TTL - TTL/10.  A refused renewal (the token was superseded) stops
 * the command at once.  The command gets PR_SET_PDEATHSIG, so killing
 * fixlock kills it too.  Signals to fixlock go to the command; SIGUSR1
 * hands the lease over: SIGTERM to the command, wait for it, release.
 *
 * The other modes: -l shows the leases, -b frees a dead holder's lease,
 * -x asks the holder on this host for a handover and waits for a standby
 * to take the lease.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fixutil.h"
#include "common.h"

#define HANDOVER_WAIT	30		/* -x waits this long by default */
#define DEFAULT_TTL	2000000000LL

enum mode { M_RUN, M_LIST, M_BREAK, M_HANDOVER };

struct lk {
	const char		*name;
	const char		*lockfile;
	const char		*storepath;
	const char		*ident;
	int			 nowait, quiet, verbose, json, force, warm;
	int			 expiry_only;	/* -E: no look at the holder's pid */
	int			 tokfd;		/* -W: the token goes here */
	int			 child_done, child_ws;
	int64_t			 wait_ns;	/* -1: for ever */
	int64_t			 ttl_ns, grace_ns;
	struct fixu_lease_plan	 plan;
	struct fixu_store	*st;
	int			 fd;		/* lock file, or -1 */
	char			 holder[FIXU_LEASE_HOLDER_MAX + 1];
	char			 host[256];
	uint64_t		 token;
	pid_t			 child;

	/* Shared with the renewal thread. */
	pthread_t		 thr;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 thr_stop;
	_Atomic int64_t		 last_ok;	/* mono ns of the last renewal */
	_Atomic int		 lost;		/* the token was superseded */
	char			 why[400];	/* under mu */
	pthread_t		 main_thr;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
"usage: fixlock [-EnqvW] [-f lockfile] [-g grace] [-I ident] [-S store]\n"
"               [-T ttl] [-w timeout] lease command [arg ...]\n"
"       fixlock -l [-j] [-f lockfile] [-S store] [lease ...]\n"
"       fixlock -b [-F] [-f lockfile] [-S store] lease\n"
"       fixlock -x [-w timeout] [-f lockfile] [-S store] lease\n"
"       fixlock -h\n"
"Run a command while holding a lease; the lease name and a fencing token\n"
"are in its environment (FIXLOCK_LEASE, FIXLOCK_TOKEN, FIXLOCK_STORE).\n"
"  -f file   file lease: a lock on this file (else an SQL lease in the store)\n"
"  -S store  the store (else $FIXUTIL_STORE, ./fixutil.db)\n"
"  -T ttl    SQL lease time to live (2s); -g grace  SIGTERM to SIGKILL (TTL/4)\n"
"  -E        SQL lease: wait for the expiry even when the holder died here\n"
"  -n        fail at once when held; -w secs  wait at most secs\n"
"  -I ident  holder name; -q  quiet; -v  events on stderr\n"
"  -W        warm standby: start the command at once, give it the token on\n"
"            descriptor $FIXLOCK_FD when the lease is taken (fixsession)\n"
"  -l        show leases (-j JSON); -b  free a dead holder's lease (-F even\n"
"            a live one's); -x  hand the lease over to a waiting standby\n"
"Exit: the command's status (128+N: killed by signal N), 1 busy or lost,\n"
"2 usage, 3 bad store, 5 I/O; with -l, 1 when a named lease is not held.\n");
	exit(status);
}

/* ---- small helpers ---------------------------------------------------------- */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t
real_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ISO 8601 UTC with microseconds; buf at least 32 bytes. */
static char *
iso(char *buf, size_t n, int64_t ns)
{
	struct tm tm;
	time_t t = (time_t)(ns / 1000000000LL);
	size_t k;

	if (gmtime_r(&t, &tm) == NULL ||
	    (k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		(void)snprintf(buf, n, "?");
	else
		(void)snprintf(buf + k, n - k, ".%06ldZ",
		    (long)(ns % 1000000000LL / 1000));
	return buf;
}

static void __attribute__((format(printf, 2, 3)))
event(const struct lk *l, const char *fmt, ...)
{
	char ts[40], msg[512];
	va_list ap;

	if (!l->verbose)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s fixlock: %s: %s\n", iso(ts, sizeof(ts), real_ns()),
	    l->name, msg);
}

static int
exit_for(int rc)
{
	switch (rc) {
	case FIXU_EBUSY:
	case FIXU_EFENCED:
		return CMD_EX_NO;
	case FIXU_ESCHEMA:
	case FIXU_ECORRUPT:
		return CMD_EX_DATA;
	case FIXU_EINVAL:
	case FIXU_ESYNTAX:
		return CMD_EX_USAGE;
	default:
		return CMD_EX_IO;
	}
}

static void
open_store(struct lk *l, int readonly)
{
	struct fixu_store_opts so;
	struct fixu_diag d;
	char buf[512];
	int rc;

	memset(&so, 0, sizeof(so));
	so.path = l->storepath;
	so.readonly = readonly;
	so.create = !readonly;
	so.durability = FIXU_DUR_FULL;
	/* A commit that checkpoints takes hundreds of milliseconds on a
	   loaded machine, longer than a lease's TTL/4. */
	so.ckpt_bytes = FIXU_CKPT_RARE;
	if ((rc = fixu_store_open(&l->st, &so, &d)) != 0)
		errx(exit_for(rc), "%s: %s", l->storepath,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
}

static void
open_lockfile(struct lk *l)
{
	struct fixu_diag d;
	char buf[512];

	if ((l->fd = fixu_flock_open(l->lockfile, &d)) == -1)
		errx(CMD_EX_IO, "%s", fixu_diag_fmt(&d, buf, sizeof(buf)));
}

/* The row of the lease, or 0 with *have 0 when it was never taken. */
static void
get_row(struct lk *l, struct fixu_lease *row, int *have)
{
	struct fixu_diag d;
	char buf[512];
	int rc;

	rc = fixu_store_lease_get(l->st, l->name, row, &d);
	if (rc == FIXU_ENOTFOUND) {
		memset(row, 0, sizeof(*row));
		*have = 0;
		return;
	}
	if (rc != 0)
		errx(exit_for(rc), "%s: %s", l->storepath,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	*have = 1;
}

/* "held" / "expired" / "free" of a row, at monotonic now. */
static const char *
row_state(const struct fixu_lease *row, int64_t now)
{
	if (row->holder[0] == '\0')
		return "free";
	return row->expires_ns > now ? "held" : "expired";
}

/* 1 when the holder's process runs on this host. */
static int
holder_alive(const struct lk *l, const char *holder, pid_t *pidp)
{
	char host[256];
	pid_t pid;
	int file;

	*pidp = 0;
	if (fixu_lease_holder_parse(holder, host, sizeof(host), &pid,
	    &file) != 0 || strcmp(host, l->host) != 0)
		return 0;
	*pidp = pid;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/*
 * 1 when the holder ran on this host and its process is gone.  A dead
 * holder cannot renew, and its command died with it (PR_SET_PDEATHSIG),
 * so waiting for the expiry would only lengthen the failover; and were
 * its command still alive, the new token fences its writes anyway.
 */
static int
holder_dead(const struct lk *l, const char *holder)
{
	char host[256];
	pid_t pid;
	int file;

	return fixu_lease_holder_parse(holder, host, sizeof(host), &pid,
	    &file) == 0 && strcmp(host, l->host) == 0 && kill(pid, 0) == -1 &&
	    errno == ESRCH;
}

static int	is_fixlock(pid_t);

/*
 * The row expired, yet its holder still runs on this host: stopped or
 * hung, since a live holder stops its command and lets go before the
 * expiry.  Kill it (its command dies with it) before taking the lease:
 * fencing would refuse its writes, but a process stopped inside a write
 * transaction would keep the store's lock, and its sockets, for ever.
 */
static void
overstayed(struct lk *l, const struct fixu_lease *row)
{
	char host[256];
	pid_t pid;
	int file;

	if (fixu_lease_holder_parse(row->holder, host, sizeof(host), &pid,
	    &file) != 0 || strcmp(host, l->host) != 0 || pid == getpid() ||
	    !is_fixlock(pid) || kill(pid, SIGKILL) == -1)
		return;
	if (!l->quiet)
		warnx("lease %s: holder %s overstayed its lease (stopped or "
		    "hung): killed it", l->name, row->holder);
}

/* ---- taking the lease ------------------------------------------------------- */

/* SIGALRM and SIGCHLD: only to interrupt a wait for the lock
   (wait_lock()). */
static void
on_wake(int sig)
{
	(void)sig;
}

/* With -W the command runs while we wait: 1 once it has ended. */
static int
child_gone(struct lk *l)
{
	if (!l->warm || l->child_done)
		return l->child_done;
	if (waitpid(l->child, &l->child_ws, WNOHANG) == l->child)
		l->child_done = 1;
	return l->child_done;
}

static void __attribute__((noreturn))
busy(struct lk *l, const char *waited)
{
	struct fixu_lease row;
	char ts[40];
	int have;

	if (!l->quiet) {
		get_row(l, &row, &have);
		if (have && row.holder[0] != '\0')
			warnx("lease %s is held by %s (token %llu, since %s)%s",
			    l->name, row.holder, (unsigned long long)row.token,
			    iso(ts, sizeof(ts), real_ns() - (mono_ns() -
			    row.acquired_ns)), waited);
		else
			warnx("lease %s is held%s%s", l->name,
			    l->fd != -1 ? " (the lock file is locked)" : "",
			    waited);
	}
	exit(CMD_EX_NO);
}

/*
 * Wait for the lock file until -w's time is up or, with -W, the command
 * has ended: FIXU_EAGAIN then.  The blocking lock is interrupted by
 * SIGCHLD at once, and by a SIGALRM every WAIT_TICK as well: a signal
 * that comes just before the call is lost to it, and a one-shot alarm
 * or the command's only SIGCHLD lost there would leave it blocked until
 * the lock came.  There is no tick to pay without -w and -W.
 */
#define WAIT_TICK	100000000LL	/* 100 ms */

static int
wait_lock(struct lk *l, struct fixu_diag *d)
{
	struct sigaction sa;
	struct itimerval it;
	int64_t end = mono_ns() + l->wait_ns, left = WAIT_TICK;
	int rc, tick = l->wait_ns > 0 || l->warm;

	if (tick) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_wake;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGALRM, &sa, NULL);
	}
	memset(&it, 0, sizeof(it));
	for (;;) {
		if (child_gone(l) || (l->wait_ns > 0 &&
		    (left = end - mono_ns()) <= 0)) {
			rc = FIXU_EAGAIN;
			break;
		}
		if (tick) {
			if (left > WAIT_TICK)
				left = WAIT_TICK;
			it.it_value.tv_sec = (time_t)(left / 1000000000LL);
			it.it_value.tv_usec = (suseconds_t)(left % 1000000000LL /
			    1000);
			if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
				it.it_value.tv_usec = 1;
			it.it_interval.tv_usec = (suseconds_t)(WAIT_TICK / 1000);
			(void)setitimer(ITIMER_REAL, &it, NULL);
		}
		if ((rc = fixu_flock_take(l->fd, 1, d)) != FIXU_EAGAIN)
			break;
	}
	if (tick) {
		memset(&it, 0, sizeof(it));
		(void)setitimer(ITIMER_REAL, &it, NULL);
		sa.sa_handler = SIG_DFL;
		(void)sigaction(SIGALRM, &sa, NULL);
	}
	return rc;
}

/*
 * A file lease: the lock first, then the row, taken from whoever the row
 * names (a dead holder's row, or one that expired): holding the lock is
 * the right to it.
 */
static void
take_file(struct lk *l)
{
	struct fixu_lease row;
	struct fixu_diag d;
	char buf[512];
	int rc;

	open_lockfile(l);
	rc = fixu_flock_take(l->fd, 0, &d);
	if (rc == FIXU_EBUSY) {
		if (l->nowait)
			busy(l, "");
		event(l, "waiting: the lock file is locked");
		rc = wait_lock(l, &d);
		if (rc == FIXU_EAGAIN && l->child_done)
			return;
		if (rc == FIXU_EAGAIN)
			busy(l, " after the wait");
	}
	if (rc != 0)
		errx(CMD_EX_IO, "%s: %s", l->lockfile,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	rc = fixu_store_lease_break(l->st, l->name, &d);
	if (rc == 0 || rc == FIXU_ENOTFOUND)
		rc = fixu_store_lease_acquire(l->st, l->name, l->holder,
		    mono_ns(), l->ttl_ns, &row, &d);
	if (rc != 0)
		errx(exit_for(rc), "%s: lease %s: %s", l->storepath, l->name,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	l->token = row.token;
}

static void
take_sql(struct lk *l)
{
	struct fixu_lease row;
	struct fixu_diag d;
	struct timespec ts;
	char buf[512];
	int64_t until;
	int rc, said = 0;

	until = l->wait_ns < 0 ? INT64_MAX : mono_ns() + l->wait_ns;
	for (;;) {
		int64_t now = mono_ns();
		int have;

		/* Read first: a write transaction per poll would queue every
		 * waiter behind the holder's renewals. */
		get_row(l, &row, &have);
		if (have && row.holder[0] != '\0' && row.expires_ns <= now &&
		    !l->expiry_only)
			overstayed(l, &row);
		if (have && row.holder[0] != '\0' && row.expires_ns > now &&
		    !l->expiry_only && holder_dead(l, row.holder)) {
			/* Guarded by its token: one waiter frees it. */
			if (fixu_store_lease_release(l->st, l->name, row.token,
			    NULL) == 0)
				event(l, "holder %s is gone: taking over at once",
				    row.holder);
			get_row(l, &row, &have);
		}
		if (have && row.holder[0] != '\0' && row.expires_ns > now)
			rc = FIXU_EBUSY;
		else if ((rc = fixu_store_lease_acquire(l->st, l->name,
		    l->holder, now, l->ttl_ns, &row, &d)) == 0)
			break;
		if (rc != FIXU_EBUSY)
			errx(exit_for(rc), "%s: lease %s: %s", l->storepath,
			    l->name, fixu_diag_fmt(&d, buf, sizeof(buf)));
		if (l->nowait)
			busy(l, "");
		if (child_gone(l))
			return;
		if (mono_ns() >= until)
			busy(l, " after the wait");
		if (!said++)
			event(l, "waiting: held by %s (token %llu)", row.holder,
			    (unsigned long long)row.token);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)l->plan.poll;
		(void)nanosleep(&ts, NULL);
	}
	l->token = row.token;
}

/* ---- holding it ------------------------------------------------------------- */

static void
lose(struct lk *l, const char *why)
{
	pthread_mutex_lock(&l->mu);
	if (!atomic_load(&l->lost)) {
		(void)snprintf(l->why, sizeof(l->why), "%s", why);
		atomic_store(&l->lost, 1);
	}
	pthread_mutex_unlock(&l->mu);
	(void)pthread_kill(l->main_thr, SIGALRM);
}

/*
 * The renewal thread.  It alone uses the store while the command runs.
 * A refused renewal loses the lease; other errors (a busy or failing
 * database) are retried, and the main thread's deadlines do the rest.
 */
static void *
renewer(void *arg)
{
	struct lk *l = arg;
	struct fixu_diag d;
	struct timespec ts;
	char buf[512], why[400];
	int64_t t0, next;
	int rc, failing = 0;

	next = atomic_load(&l->last_ok) + l->plan.renew;
	pthread_mutex_lock(&l->mu);
	while (!l->thr_stop) {
		ts.tv_sec = (time_t)(next / 1000000000LL);
		ts.tv_nsec = (long)(next % 1000000000LL);
		rc = pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		if (l->thr_stop)
			break;
		if (rc != ETIMEDOUT && mono_ns() < next)
			continue;
		pthread_mutex_unlock(&l->mu);
		t0 = mono_ns();
		rc = fixu_store_lease_renew(l->st, l->name, l->token, t0,
		    l->ttl_ns, &d);
		if (mono_ns() - t0 > l->plan.renew)
			event(l, "slow renewal: %.0f ms (late by %.0f ms)",
			    (double)(mono_ns() - t0) / 1e6,
			    (double)(t0 - next) / 1e6);
		if (rc == 0) {
			atomic_store(&l->last_ok, t0);
			if (failing)
				event(l, "renewed again");
			failing = 0;
		} else if (rc == FIXU_EFENCED) {
			(void)snprintf(why, sizeof(why), "%s",
			    fixu_diag_fmt(&d, buf, sizeof(buf)));
			lose(l, why);
		} else if (!failing++) {
			warnx("lease %s: renewal failed: %s", l->name,
			    fixu_diag_fmt(&d, buf, sizeof(buf)));
		}
		next = mono_ns() + (rc == 0 ? l->plan.renew :
		    l->plan.renew / 4);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void
start_renewer(struct lk *l)
{
	pthread_condattr_t ca;
	sigset_t all, old;

	(void)pthread_mutex_init(&l->mu, NULL);
	(void)pthread_condattr_init(&ca);
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void)pthread_cond_init(&l->cv, &ca);
	(void)pthread_condattr_destroy(&ca);
	l->main_thr = pthread_self();
	/* The thread takes no signals: they are the main thread's. */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((errno = pthread_create(&l->thr, NULL, renewer, l)) != 0)
		err(CMD_EX_IO, "renewal thread");
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
stop_renewer(struct lk *l)
{
	pthread_mutex_lock(&l->mu);
	l->thr_stop = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	(void)pthread_join(l->thr, NULL);
}

static void
spawn(struct lk *l, char **argv, const sigset_t *oldmask)
{
	static const char *const names[5] = { "FIXLOCK_FD", "FIXLOCK_TOKEN",
	    "FIXLOCK_LEASE", "FIXLOCK_STORE", "FIXLOCK_HOLDER" };
	const char *vals[5];
	char fdbuf[16], tok[32], **env;
	pid_t parent = getpid();
	int p[2] = { -1, -1 }, rfd = -1;

	if (l->warm && (pipe(p) == -1 ||
	    fcntl(p[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1))
		err(CMD_EX_IO, "pipe");
	/* The read end, without O_CLOEXEC, for the command. */
	if (l->warm && (rfd = dup(p[0])) == -1)
		err(CMD_EX_IO, "dup");
	(void)snprintf(fdbuf, sizeof(fdbuf), "%d", rfd);
	(void)snprintf(tok, sizeof(tok), "%llu", (unsigned long long)l->token);
	/* -W: the token comes down the pipe, not in the environment. */
	vals[0] = l->warm ? fdbuf : NULL;
	vals[1] = l->warm ? NULL : tok;
	vals[2] = l->name;
	vals[3] = l->storepath;
	vals[4] = l->holder;
	/*
	 * The renewal thread may be in SQLite: the child may not allocate
	 * (common.h), so its environment is made here.
	 */
	if ((env = cmd_env(names, vals, 5)) == NULL)
		err(CMD_EX_IO, NULL);
	if ((l->child = fork()) == -1)
		err(CMD_EX_IO, "fork");
	if (l->child != 0) {
		free(env);
		if (l->warm) {
			(void)close(p[0]);
			(void)close(rfd);
			l->tokfd = p[1];
		}
		return;
	}
	/* The lock's description must not outlive fixlock in the child. */
	if (l->fd != -1)
		(void)close(l->fd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(CMD_EX_IO);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)sigprocmask(SIG_SETMASK, oldmask, NULL);
	cmd_exec(env, argv, "fixlock");
}

static int
status_of(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return CMD_EX_IO;
}

static void
release(struct lk *l)
{
	struct fixu_diag d;
	char buf[512];
	int rc;

	rc = fixu_store_lease_release(l->st, l->name, l->token, &d);
	if (rc != 0 && rc != FIXU_EFENCED)
		warnx("lease %s: release: %s", l->name,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	if (l->fd != -1) {
		(void)close(l->fd);
		l->fd = -1;
	}
	if (rc == 0)
		event(l, "released token %llu", (unsigned long long)l->token);
}

static int
run(struct lk *l, char **argv)
{
	sigset_t set, old;
	struct timespec ts;
	siginfo_t si;
	int64_t now, deadline, term_at, hard = INT64_MAX;
	int sig, ws, termed = 0, killed = 0, handover = 0, lost = 0;
	char why[400];

	if (l->warm) {
		struct sigaction sa;

		/* A SIGCHLD interrupts the wait on a file lease. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_wake;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGCHLD, &sa, NULL);
		(void)signal(SIGPIPE, SIG_IGN);
		(void)sigprocmask(SIG_BLOCK, NULL, &old);
		spawn(l, argv, &old);
	}
	if (l->lockfile != NULL)
		take_file(l);
	else
		take_sql(l);
	if (l->child_done) {
		/* -W: the command ended before the lease came. */
		if (l->fd != -1)
			(void)close(l->fd);
		return status_of(l->child_ws);
	}
	atomic_store(&l->last_ok, mono_ns());
	event(l, "acquired token %llu (%s, ttl %.3gs)",
	    (unsigned long long)l->token, l->lockfile != NULL ? "file" : "sql",
	    (double)l->ttl_ns / 1e9);

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	(void)sigprocmask(SIG_BLOCK, &set, &old);
	if (!l->warm)
		spawn(l, argv, &old);
	else {
		char line[32];
		int n = snprintf(line, sizeof(line), "%llu\n",
		    (unsigned long long)l->token);

		/* A command that already ended is reaped by the loop. */
		if (write(l->tokfd, line, (size_t)n) != n && errno != EPIPE)
			warn("lease %s: token to the command", l->name);
		(void)close(l->tokfd);
		l->tokfd = -1;
		if (child_gone(l))
			(void)raise(SIGCHLD);
	}
	start_renewer(l);

	for (;;) {
		now = mono_ns();
		/* A file lease has no deadline; an SQL lease's moves on. */
		term_at = l->lockfile != NULL ? INT64_MAX :
		    atomic_load(&l->last_ok) + l->plan.term;
		if (!lost && atomic_load(&l->lost)) {
			pthread_mutex_lock(&l->mu);
			(void)snprintf(why, sizeof(why), "%s", l->why);
			pthread_mutex_unlock(&l->mu);
			lost = 1;
		} else if (!lost && now >= term_at) {
			(void)snprintf(why, sizeof(why), "no renewal for %.3f "
			    "s", (double)(now - atomic_load(&l->last_ok)) /
			    1e9);
			lost = 1;
		}
		if (lost && !termed) {
			if (!l->quiet)
				warnx("lease %s lost: %s; stopping pid %ld",
				    l->name, why, (long)l->child);
			(void)kill(l->child, SIGTERM);
			termed = 1;
			hard = now + l->grace_ns;
			if (l->lockfile == NULL && atomic_load(&l->last_ok) +
			    l->plan.kill < hard)
				hard = atomic_load(&l->last_ok) + l->plan.kill;
		}
		if (termed && !killed && now >= hard) {
			(void)kill(l->child, SIGKILL);
			killed = 1;
		}
		deadline = !lost ? term_at : killed ? INT64_MAX : hard;
		if (deadline == INT64_MAX) {
			ts.tv_sec = 3600;
			ts.tv_nsec = 0;
		} else {
			int64_t w = deadline - now;

			if (w < 0)
				w = 0;
			ts.tv_sec = (time_t)(w / 1000000000LL);
			ts.tv_nsec = (long)(w % 1000000000LL);
		}
		sig = sigtimedwait(&set, &si, &ts);
		if (sig == -1)
			continue;		/* EAGAIN: a deadline; EINTR */
		switch (sig) {
		case SIGCHLD:
			if (!l->child_done) {
				if (waitpid(l->child, &l->child_ws, WNOHANG) !=
				    l->child)
					break;
				l->child_done = 1;
			}
			ws = l->child_ws;
			stop_renewer(l);
			if (lost) {
				/* Free it at once if nobody took it yet. */
				release(l);
				return CMD_EX_NO;
			}
			release(l);
			if (handover)
				event(l, "handed over: command exited %d",
				    status_of(ws));
			return status_of(ws);
		case SIGALRM:
			break;
		case SIGUSR1:
			if (!handover && !lost) {
				event(l, "handover asked: stopping pid %ld",
				    (long)l->child);
				handover = 1;
				(void)kill(l->child, SIGTERM);
			}
			break;
		default:
			(void)kill(l->child, sig);
			break;
		}
	}
}

/* ---- -l ---------------------------------------------------------------------- */

struct listing {
	struct lk	*l;
	json_t		*arr;
	int		 n;
	int		 held;		/* the last row shown was */
};

static int
show_one(const struct fixu_lease *row, void *arg)
{
	struct listing *li = arg;
	struct lk *l = li->l;
	char ts[40], host[256];
	int64_t now = mono_ns(), rnow = real_ns();
	const char *state;
	pid_t pid = 0;
	int file = 0, locked = -1, parsed;

	parsed = row->holder[0] != '\0' && fixu_lease_holder_parse(
	    row->holder, host, sizeof(host), &pid, &file) == 0;
	if (l->fd != -1)
		locked = fixu_flock_held(l->fd, NULL) == 1;
	/*
	 * A file lease whose lock file is locked is held whatever its row's
	 * expiry says.  The lock is the lease (take_file()); the row's
	 * renewals only tell SQL observers, and a holder stopped with
	 * SIGSTOP renews nothing but keeps its lock.
	 */
	state = locked == 1 && parsed && file ? "held" : row_state(row, now);
	li->held = strcmp(state, "held") == 0;
	iso(ts, sizeof(ts), rnow - (now - row->acquired_ns));
	if (li->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(row->name));
		if (parsed)
			json_object_set_new(o, "kind",
			    json_string(file ? "file" : "sql"));
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "holder", row->holder[0] != '\0' ?
		    json_string(row->holder) : json_null());
		if (parsed) {
			json_object_set_new(o, "host", json_string(host));
			json_object_set_new(o, "pid", json_integer(pid));
		}
		json_object_set_new(o, "token",
		    json_integer((json_int_t)row->token));
		json_object_set_new(o, "since", json_string(ts));
		json_object_set_new(o, "held_s",
		    json_real((double)(now - row->acquired_ns) / 1e9));
		if (row->holder[0] != '\0') {
			json_object_set_new(o, "renewed_s_ago",
			    json_real((double)(now - row->renewed_ns) / 1e9));
			json_object_set_new(o, "expires_in_s",
			    json_real((double)(row->expires_ns - now) / 1e9));
		}
		if (locked >= 0)
			json_object_set_new(o, "file_locked",
			    json_boolean(locked));
		json_array_append_new(li->arr, o);
	} else if (row->holder[0] == '\0') {
		printf("%s: free (last token %llu)%s\n", row->name,
		    (unsigned long long)row->token, locked == 1 ?
		    "; the lock file is locked" : "");
	} else {
		printf("%s: %s by %s, token %llu, since %s (%.1f s), renewed "
		    "%.3f s ago, %s %.3f s%s\n", row->name, state,
		    row->holder, (unsigned long long)row->token, ts,
		    (double)(now - row->acquired_ns) / 1e9,
		    (double)(now - row->renewed_ns) / 1e9,
		    row->expires_ns > now ? "expires in" : "expired",
		    (double)(row->expires_ns > now ? row->expires_ns - now :
		    now - row->expires_ns) / 1e9, locked == 1 ?
		    "; the lock file is locked" : locked == 0 ?
		    "; the lock file is not locked" : "");
	}
	li->n++;
	return 0;
}

static int
list(struct lk *l, char **names, int n)
{
	struct listing li;
	struct fixu_lease row;
	struct fixu_diag d;
	char buf[512];
	int i, rc, have, ret = 0;

	memset(&li, 0, sizeof(li));
	li.l = l;
	if (l->json)
		li.arr = json_array();
	if (n == 0) {
		if ((rc = fixu_store_leases(l->st, show_one, &li, &d)) < 0)
			errx(exit_for(rc), "%s: %s", l->storepath,
			    fixu_diag_fmt(&d, buf, sizeof(buf)));
	}
	for (i = 0; i < n; i++) {
		l->name = names[i];
		if (!fixu_lease_name_ok(l->name))
			errx(CMD_EX_USAGE, "bad lease name '%.80s'", l->name);
		get_row(l, &row, &have);
		if (!have) {
			if (!l->json)
				printf("%s: never taken\n", l->name);
			ret = CMD_EX_NO;
			continue;
		}
		(void)show_one(&row, &li);
		if (!li.held)
			ret = CMD_EX_NO;
	}
	if (li.arr != NULL) {
		json_t *o = json_pack("{s:o}", "leases", li.arr);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(o);
	} else if (n == 0 && li.n == 0)
		printf("no leases in %s\n", l->storepath);
	return ret;
}

/* ---- -b and -x ---------------------------------------------------------- */

static int
free_dead(struct lk *l)
{
	struct fixu_lease row;
	struct fixu_diag d;
	char buf[512];
	pid_t pid;
	int have, rc;

	get_row(l, &row, &have);
	if (!have || row.holder[0] == '\0') {
		warnx("lease %s is not held", l->name);
		return CMD_EX_NO;
	}
	if (!l->force && holder_alive(l, row.holder, &pid)) {
		warnx("lease %s is held by %s, and process %ld is alive: hand "
		    "it over with -x, or force with -F", l->name, row.holder,
		    (long)pid);
		return CMD_EX_NO;
	}
	if (!l->force && l->fd != -1 && fixu_flock_held(l->fd, NULL) == 1) {
		warnx("lease %s: %s is locked by a live process", l->name,
		    l->lockfile);
		return CMD_EX_NO;
	}
	if ((rc = fixu_store_lease_break(l->st, l->name, &d)) != 0)
		errx(exit_for(rc), "%s: %s", l->storepath,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	if (!l->quiet)
		printf("%s: released (was held by %s, token %llu; that token "
		    "stays refused)\n", l->name, row.holder,
		    (unsigned long long)row.token);
	return 0;
}

static int
is_fixlock(pid_t pid)
{
	char path[64], comm[32];
	FILE *f;
	int ok;

	(void)snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	ok = fgets(comm, sizeof(comm), f) != NULL &&
	    strcmp(comm, "fixlock\n") == 0;
	fclose(f);
	return ok;
}

static int
handover(struct lk *l)
{
	struct fixu_lease row, now_row;
	struct timespec ts;
	int64_t t0, until;
	pid_t pid;
	int have, released = 0;

	get_row(l, &row, &have);
	if (!have || strcmp(row_state(&row, mono_ns()), "held") != 0) {
		warnx("lease %s is not held", l->name);
		return CMD_EX_NO;
	}
	if (!holder_alive(l, row.holder, &pid))
		errx(CMD_EX_NO, "lease %s: holder %s is not a live process on "
		    "this host (%s)", l->name, row.holder, l->host);
	if (!is_fixlock(pid))
		errx(CMD_EX_NO, "lease %s: process %ld is not fixlock",
		    l->name, (long)pid);
	t0 = mono_ns();
	if (kill(pid, SIGUSR1) == -1)
		err(CMD_EX_NO, "lease %s: signal process %ld", l->name,
		    (long)pid);
	until = t0 + (l->wait_ns < 0 ? HANDOVER_WAIT * 1000000000LL :
	    l->wait_ns);
	ts.tv_sec = 0;
	ts.tv_nsec = 5000000;
	while (mono_ns() < until) {
		get_row(l, &now_row, &have);
		if (now_row.token != row.token && now_row.holder[0] != '\0') {
			if (!l->quiet)
				printf("%s: handed over from %s (token %llu) "
				    "to %s (token %llu) in %.3f s\n", l->name,
				    row.holder, (unsigned long long)row.token,
				    now_row.holder,
				    (unsigned long long)now_row.token,
				    (double)(mono_ns() - t0) / 1e9);
			return 0;
		}
		if (now_row.holder[0] == '\0')
			released = 1;
		(void)nanosleep(&ts, NULL);
	}
	warnx("lease %s: %s", l->name, released ? "released, but no standby "
	    "took it" : "the holder did not let go");
	return CMD_EX_NO;
}

/* ---- main ------------------------------------------------------------------- */

static int64_t
dur(const char *s, int opt)
{
	int64_t ns;

	if (fixu_duration_parse(s, &ns) != 0) {
		warnx("-%c: not a duration: '%s' (say 2, 1.5s or 500ms)", opt,
		    s);
		usage(CMD_EX_USAGE);
	}
	return ns;
}

int
main(int argc, char **argv)
{
	struct lk l;
	struct fixu_diag d;
	enum mode mode = M_RUN;
	char buf[512];
	int ch, rc, file;

	memset(&l, 0, sizeof(l));
	l.fd = -1;
	l.wait_ns = -1;
	l.ttl_ns = DEFAULT_TTL;
	l.grace_ns = -1;
	while ((ch = getopt(argc, argv, "+bEf:Fg:hI:jlnqS:T:vWw:x")) != -1) {
		switch (ch) {
		case 'b': mode = M_BREAK; break;
		case 'E': l.expiry_only = 1; break;
		case 'f': l.lockfile = optarg; break;
		case 'F': l.force = 1; break;
		case 'g': l.grace_ns = dur(optarg, ch); break;
		case 'h': usage(0);
		case 'I': l.ident = optarg; break;
		case 'j': l.json = 1; break;
		case 'l': mode = M_LIST; break;
		case 'n': l.nowait = 1; break;
		case 'q': l.quiet = 1; break;
		case 'S': l.storepath = optarg; break;
		case 'T': l.ttl_ns = dur(optarg, ch); break;
		case 'v': l.verbose = 1; break;
		case 'W': l.warm = 1; break;
		case 'w': l.wait_ns = dur(optarg, ch); break;
		case 'x': mode = M_HANDOVER; break;
		default: usage(CMD_EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (l.storepath == NULL)
		l.storepath = fixu_store_default_path();
	/* An inherited SIG_IGN would reap the command behind our back. */
	(void)signal(SIGCHLD, SIG_DFL);
	if (gethostname(l.host, sizeof(l.host) - 1) == -1)
		(void)snprintf(l.host, sizeof(l.host), "localhost");
	if (fixu_lease_plan(&l.plan, l.ttl_ns, l.grace_ns, &d) != 0)
		errx(CMD_EX_USAGE, "-T/-g: %s", fixu_diag_fmt(&d, buf,
		    sizeof(buf)));
	if (l.grace_ns < 0)
		l.grace_ns = l.plan.kill - l.plan.term;

	if (mode == M_LIST) {
		if (l.nowait || l.force)
			usage(CMD_EX_USAGE);
		open_store(&l, 1);
		if (l.lockfile != NULL)
			open_lockfile(&l);
		rc = list(&l, argv, argc);
		fixu_store_close(l.st);
		return rc;
	}
	if (argc < 1 || (mode != M_RUN && argc != 1) ||
	    (mode == M_RUN && argc < 2) || l.json)
		usage(CMD_EX_USAGE);
	l.name = argv[0];
	if (!fixu_lease_name_ok(l.name))
		errx(CMD_EX_USAGE, "bad lease name '%.80s': 1 to %d of "
		    "A-Z a-z 0-9 . _ -", l.name, FIXU_LEASE_NAME_MAX);
	if (mode == M_BREAK || mode == M_HANDOVER) {
		open_store(&l, 0);
		if (mode == M_BREAK && l.lockfile != NULL)
			open_lockfile(&l);
		rc = mode == M_BREAK ? free_dead(&l) : handover(&l);
		fixu_store_close(l.st);
		return rc;
	}
	if (l.force)
		usage(CMD_EX_USAGE);
	/* "fixlock NAME -- COMMAND", as DESIGN.md writes it: same thing. */
	if (strcmp(argv[1], "--") == 0) {
		if (argc < 3)
			usage(CMD_EX_USAGE);
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	l.tokfd = -1;
	file = l.lockfile != NULL;
	if (fixu_lease_holder_fmt(l.holder, sizeof(l.holder), l.ident, l.host,
	    getpid(), file) != 0)
		errx(CMD_EX_USAGE, "-I: holder name too long");
	open_store(&l, 0);
	rc = run(&l, argv + 1);
	fixu_store_close(l.st);
	return rc;
}
