/*
 * fixsession -- the FIX session daemon.
 *
 * Reads a QuickFIX-style settings file (fixsession/conf.c turns it into
 * engine sessions), opens the store, and runs every session in one
 * poll(2) loop (libfixutil's engine): acceptors share their listening
 * ports and are routed by the Logon's CompIDs, initiators connect and
 * reconnect through their failover hosts.  The application is either this
 * process's stdin and stdout (inbound application messages out, one wire
 * message a line; outbound messages in, wire or readable, one a line;
 * with several sessions each line starts with the session id and a tab)
 * or, after "--", a command started once per session with its own pipes,
 * in the manner of inetd.
 *
 * Signal handlers only set flags; the engine's poll hook acts on them:
 * SIGTERM and SIGINT log every session out and end the loop, SIGHUP
 * re-reads the settings file and starts the sessions that were added, and
 * SIGCHLD notices a child that ended (every session is then logged out:
 * an application that died cannot take messages any more).
 *
 * Events go to stderr as "TIME SESSION KIND: TEXT" lines and to the
 * store; -l writes every message to a file as "TIME SESSION in|out WIRE"
 * lines, which fixdec reads as it reads any log.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixutil.h"
#include "cfg.h"
#include "engine.h"
#include "store.h"
#include "common.h"
#include "fixsession/fixsession.h"

static volatile sig_atomic_t got_term, got_hup, got_chld;

struct child {
	pid_t	pid;
	char	id[256];
};

struct run {
	const char	*cfgpath;
	const char	*dictpath;
	const char	*storepath;
	char		**cmd;		/* child command, or NULL */
	int		 quiet;
	int		 prefix;
	int		 linger;	/* -w: seconds after input ends; -1 */
	FILE		*msglog;
	struct fs_conf	**confs;	/* every settings file read (SIGHUP) */
	size_t		 nconfs;
	struct fixu_store *store;
	struct fixu_eng	*eng;
	struct child	*kids;
	size_t		 nkids;
	int		 child_died;
	int		 stopping;	/* SIGTERM or SIGINT seen */
	int		 app_prefix;	/* one shared pipe, lines prefixed */
	int64_t		 eof_at;	/* mono ns the input ended; 0 */
	int		 status;	/* exit status to return */
	int		 cpu_lat;	/* CpuDmaLatency held, us; -1 */
	int		 cpu_lat_fd;	/* /dev/cpu_dma_latency, or -1 */
};

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixsession [-hnpq] -c settings [-D dictpath] [-l msglog] [-S store]\n"
"                  [-w linger] [-- command [arg ...]]\n"
"Run the FIX sessions of a QuickFIX-style settings file.\n"
"  -c settings  the settings file (see fixsession.conf(5))\n"
"  -D dictpath  colon-separated dictionary directories\n"
"  -l msglog    append every message sent and received to this file\n"
"  -n           check the settings file, list its sessions and exit\n"
"  -p           prefix application lines with the session id and a tab,\n"
"               even with one session\n"
"  -q           no event lines on stderr\n"
"  -S store     the store file (else StorePath, $FIXUTIL_STORE,\n"
"               ./fixutil.db)\n"
"  -w linger    when the application's input ends, wait linger seconds,\n"
"               then log out and exit\n"
"  command      run once per session, its stdin the inbound and its\n"
"               stdout the outbound messages of that session\n");
	exit(status);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

static void
fmt_time(char *buf, size_t n, int64_t real_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(real_ns / 1000000000LL);
	ts.tv_nsec = (long)(real_ns % 1000000000LL);
	if (n >= 32)
		(void)fixu_time_fmt(buf, &ts, 6);
	else if (n > 0)
		buf[0] = '\0';
}

static void
on_event(void *arg, int64_t real_ns, const char *sessid, const char *kind,
    const char *text)
{
	struct run *r = arg;
	char ts[40];

	if (r->quiet)
		return;
	fmt_time(ts, sizeof(ts), real_ns);
	fprintf(stderr, "%s %s %s: %s\n", ts, sessid, kind, text);
}

/*
 * 1 for the administrative messages an operator wants to see on stderr:
 * Logon, Logout, ResendRequest, Reject, SequenceReset, TestRequest (not
 * the Heartbeats, which would drown them).
 */
static int
admin_type(const char *raw, size_t n)
{
	size_t i;

	/* 35 is the third field: look only near the start. */
	for (i = 0; i + 6 <= n && i < 40; i++)
		if (raw[i] == FIXU_SOH && raw[i + 1] == '3' &&
		    raw[i + 2] == '5' && raw[i + 3] == '=')
			return raw[i + 5] == FIXU_SOH && raw[i + 4] != '\0' &&
			    strchr("A52341", raw[i + 4]) != NULL;
	return 0;
}

static void
on_message(void *arg, int64_t real_ns, const char *sessid, int dir,
    const char *raw, size_t n)
{
	struct run *r = arg;
	char ts[40];
	int admin;

	admin = admin_type(raw, n);
	if (r->msglog == NULL && (r->quiet || !admin))
		return;
	fmt_time(ts, sizeof(ts), real_ns);
	if (r->msglog != NULL) {
		fprintf(r->msglog, "%s %s %s ", ts, sessid,
		    dir == FIXU_DIR_IN ? "in" : "out");
		fwrite(raw, 1, n, r->msglog);
		fputc('\n', r->msglog);
	}
	if (!r->quiet && admin) {
		fprintf(stderr, "%s %s %s ", ts, sessid,
		    dir == FIXU_DIR_IN ? "in" : "out");
		fwrite(raw, 1, n, stderr);
		fputc('\n', stderr);
	}
}

static void
conf_warn(const char *msg, void *arg)
{
	(void)arg;
	warnx("%s", msg);
}

static struct fs_conf *
load_conf(struct run *r, int fatal)
{
	struct fs_conf *c, **nc;
	struct fixu_diag d;
	char buf[300];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		err(CMD_EX_IO, NULL);
	if (fs_conf_load(c, r->cfgpath, r->dictpath, conf_warn, NULL, &d)
	    != 0) {
		fs_conf_free(c);
		free(c);
		if (d.code == FIXU_ESYNTAX || d.code == FIXU_EDICT ||
		    d.code == FIXU_ENOTFOUND || d.code == FIXU_EINVAL) {
			if (fatal)
				errx(CMD_EX_DATA, "%s", d.msg);
			warnx("%s (settings not reloaded)", d.msg);
			return NULL;
		}
		if (fatal)
			errx(CMD_EX_IO, "%s: %s", r->cfgpath,
			    fixu_diag_fmt(&d, buf, sizeof(buf)));
		warnx("%s: %s (settings not reloaded)", r->cfgpath,
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
		return NULL;
	}
	nc = realloc(r->confs, (r->nconfs + 1) * sizeof(*nc));
	if (nc == NULL)
		err(CMD_EX_IO, NULL);
	r->confs = nc;
	r->confs[r->nconfs++] = c;
	return c;
}

#define CPU_LAT_DEV	"/dev/cpu_dma_latency"

/*
 * CpuDmaLatency: while CPU_LAT_DEV stays open, the kernel keeps idle CPUs
 * out of the sleep states that take longer than us microseconds to leave
 * (a PM QoS request, as tuned's latency profiles make).  On a virtual
 * machine an idle vCPU otherwise halts, and every wake-up, a message in
 * or the application's answer, waits for the host to run it again; an
 * order and its fill wake fixsession twice and its application once,
 * where an engine with the application inside it wakes once.  us < 0
 * lets go.  A failure is a warning: the sessions run either way.
 */
static void
cpu_latency(struct run *r, int us)
{
	int32_t v = us;

	if (us == r->cpu_lat)
		return;
	if (us < 0) {
		(void)close(r->cpu_lat_fd);
		r->cpu_lat_fd = r->cpu_lat = -1;
		return;
	}
	if (r->cpu_lat_fd < 0 &&
	    (r->cpu_lat_fd = open(CPU_LAT_DEV, O_WRONLY | O_CLOEXEC)) < 0) {
		warnx("CpuDmaLatency=%d: %s: %s; idle CPUs are left to the "
		    "kernel", us, CPU_LAT_DEV, strerror(errno));
		return;
	}
	if (write(r->cpu_lat_fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
		warnx("CpuDmaLatency=%d: %s: %s; idle CPUs are left to the "
		    "kernel", us, CPU_LAT_DEV, strerror(errno));
		(void)close(r->cpu_lat_fd);
		r->cpu_lat_fd = r->cpu_lat = -1;
		return;
	}
	r->cpu_lat = us;
}

static void
free_confs(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nconfs; i++) {
		fs_conf_free(r->confs[i]);
		free(r->confs[i]);
	}
	free(r->confs);
	r->confs = NULL;
	r->nconfs = 0;
}

/* One line per session: id, role, endpoints. */
static void
list_sessions(const struct fs_conf *c)
{
	size_t i;
	int j;
	char id[256];

	for (i = 0; i < c->nsess; i++) {
		const struct fixu_eng_sess *s = &c->sess[i];

		fixu_sessid_fmt(&s->sc.sid, id, sizeof(id));
		printf("%s %s ", id, s->sc.initiator ? "initiator" : "acceptor");
		if (!s->sc.initiator)
			printf("%s:%d\n", s->accept_addr[0] ? s->accept_addr :
			    "0.0.0.0", s->accept_port);
		else {
			for (j = 0; j < s->nconnect; j++)
				printf("%s%s:%d", j ? "," : "",
				    s->connect[j].host, s->connect[j].port);
			putchar('\n');
		}
	}
}

/*
 * A session's child command is started in two steps: its pipes before
 * the engine takes the session (their ends go into s), the process once
 * every session is in, so that a standby serves all its sessions before
 * the children compete with it for the CPU.  Every end is close-on-exec
 * until the child's own two become its stdin and stdout, so no child
 * holds another session's pipe open.
 */
struct pend {
	struct fixu_eng_sess	*s;
	int			 rd, wr;	/* the child's stdin, stdout */
};

static int
child_pipes(struct fixu_eng_sess *s, struct pend *p)
{
	int in[2], out[2], i;

	if (pipe(in) == -1)
		return -1;
	if (pipe(out) == -1) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		(void)fcntl(in[i], F_SETFD, FD_CLOEXEC);
		(void)fcntl(out[i], F_SETFD, FD_CLOEXEC);
	}
	s->app_out = in[1];
	s->app_in = out[0];
	p->s = s;
	p->rd = in[0];
	p->wr = out[1];
	return 0;
}

static void
child_unpipe(struct pend *p)
{
	close(p->rd);
	close(p->wr);
	close(p->s->app_in);
	close(p->s->app_out);
	p->s->app_in = p->s->app_out = -1;
}

static void
child_start(struct run *r, struct pend *p)
{
	const struct fixu_eng_sess *s = p->s;
	static const char *const names[4] = { "FIXSESSION_ID",
	    "FIXSESSION_BEGINSTRING", "FIXSESSION_SENDERCOMPID",
	    "FIXSESSION_TARGETCOMPID" };
	const char *vals[4];
	struct child *nk;
	char id[256], **env;
	pid_t pid;

	fixu_sessid_fmt(&s->sc.sid, id, sizeof(id));
	vals[0] = id;
	vals[1] = s->sc.sid.begin;
	vals[2] = s->sc.sid.sender;
	vals[3] = s->sc.sid.target;
	/* The store's checkpointer is a thread: build everything first. */
	if ((env = cmd_env(names, vals, 4)) == NULL)
		err(CMD_EX_IO, NULL);
	fflush(NULL);
	if ((pid = fork()) == -1)
		err(CMD_EX_IO, "fork");
	if (pid == 0) {
		if (dup2(p->rd, 0) == -1 || dup2(p->wr, 1) == -1)
			_exit(127);
		(void)signal(SIGPIPE, SIG_DFL);
		cmd_exec(env, r->cmd, "fixsession");
	}
	free(env);
	close(p->rd);
	close(p->wr);
	nk = realloc(r->kids, (r->nkids + 1) * sizeof(*nk));
	if (nk == NULL)
		err(CMD_EX_IO, NULL);
	r->kids = nk;
	nk[r->nkids].pid = pid;
	(void)snprintf(nk[r->nkids].id, sizeof(nk->id), "%s", id);
	r->nkids++;
}

/* The exit status for a store or engine error (DESIGN.md's table). */
static int
exit_for(int code)
{
	switch (code) {
	case FIXU_EFENCED:
	case FIXU_EBUSY:
		return CMD_EX_NO;
	case FIXU_ESYNTAX:
	case FIXU_EDICT:
	case FIXU_ESCHEMA:
	case FIXU_ECORRUPT:
	case FIXU_EEXIST:
		return CMD_EX_DATA;
	default:
		return CMD_EX_IO;
	}
}

/* Add the sessions of c that are not running yet. */
static int
add_sessions(struct run *r, struct fs_conf *c, int fatal)
{
	struct fixu_diag d;
	struct pend *pend = NULL;
	char id[256], buf[300];
	size_t i, np = 0;
	int added = 0;

	if (r->cmd != NULL && (pend = calloc(c->nsess, sizeof(*pend))) == NULL)
		err(CMD_EX_IO, NULL);
	for (i = 0; i < c->nsess; i++) {
		struct fixu_eng_sess *s = &c->sess[i];

		fixu_sessid_fmt(&s->sc.sid, id, sizeof(id));
		if (fixu_eng_has(r->eng, id))
			continue;
		if (!fatal && r->cmd == NULL && !r->app_prefix) {
			/* Lines carry no session id: one session only. */
			warnx("%s: not added: with one session at start and "
			    "no -p, application lines name no session", id);
			continue;
		}
		if (r->cmd != NULL && child_pipes(s, &pend[np]) == -1)
			err(CMD_EX_IO, "pipe");
		if (fixu_eng_add(r->eng, s, &d) != 0) {
			if (fatal)
				errx(exit_for(d.code), "%s", fixu_diag_fmt(&d,
				    buf, sizeof(buf)));
			warnx("%s", fixu_diag_fmt(&d, buf, sizeof(buf)));
			if (r->cmd != NULL)
				child_unpipe(&pend[np]);
			continue;
		}
		if (r->cmd != NULL)
			np++;
		added++;
	}
	for (i = 0; i < np; i++)
		child_start(r, &pend[i]);
	free(pend);
	return added;
}

static void
hook(struct fixu_eng *e, void *arg)
{
	struct run *r = arg;
	struct fs_conf *c;
	struct timespec ts;
	int64_t now;
	int status;
	pid_t pid;
	size_t i;

	if (r->msglog != NULL)
		(void)fflush(r->msglog);
	if (got_term) {
		got_term = 0;
		r->stopping = 1;
		fixu_eng_stop(e, "fixsession is shutting down");
	}
	if (got_hup) {
		got_hup = 0;
		if ((c = load_conf(r, 0)) != NULL) {
			int n = add_sessions(r, c, 0);

			cpu_latency(r, c->cpu_latency);

			warnx("%s: re-read, %d session%s added", r->cfgpath, n,
			    n == 1 ? "" : "s");
		}
	}
	if (got_chld) {
		got_chld = 0;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < r->nkids; i++) {
				if (r->kids[i].pid != pid)
					continue;
				r->kids[i].pid = 0;
				/* A signal to the whole process group (^C,
				   systemd) ends the children too: no fault. */
				if (r->stopping)
					continue;
				if (WIFEXITED(status))
					warnx("%s: command exited with "
					    "status %d", r->kids[i].id,
					    WEXITSTATUS(status));
				else
					warnx("%s: command killed by signal "
					    "%d", r->kids[i].id,
					    WTERMSIG(status));
				r->child_died = 1;
			}
		}
		if (r->child_died) {
			r->status = CMD_EX_PROTO;
			fixu_eng_stop(e, "the application ended");
		}
	}
	if (r->linger >= 0 && fixu_eng_app_done(e)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		if (r->eof_at == 0)
			r->eof_at = now;
		if (now - r->eof_at >= (int64_t)r->linger * 1000000000LL)
			fixu_eng_stop(e, "the application's input ended");
	}
}

/*
 * fixlock -W starts us before it holds the lease and gives the fencing
 * token on descriptor FIXLOCK_FD once it does: everything that does not
 * touch the store (settings, dictionaries) is done by then, so a standby
 * takes over in the time it takes to open the store.  NULL without -W.
 */
static const char *
wait_token(char *buf, size_t n)
{
	const char *e = getenv("FIXLOCK_FD");
	size_t len = 0;
	ssize_t k;
	long fd;
	char *end;

	if (e == NULL)
		return NULL;
	errno = 0;
	fd = strtol(e, &end, 10);
	if (errno != 0 || *e == '\0' || *end != '\0' || fd < 0 || fd > INT_MAX)
		errx(CMD_EX_USAGE, "FIXLOCK_FD: not a descriptor: '%.20s'", e);
	while (len < n - 1) {
		k = read((int)fd, buf + len, n - 1 - len);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1)
			err(CMD_EX_IO, "FIXLOCK_FD %ld", fd);
		if (k == 0)
			break;
		len += (size_t)k;
		if (buf[len - 1] == '\n')
			break;
	}
	(void)close((int)fd);
	if (len == 0)
		errx(CMD_EX_NO, "fixlock ended before it took the lease");
	if (buf[len - 1] != '\n')
		errx(CMD_EX_USAGE, "FIXLOCK_FD: expected a token and a newline");
	buf[len - 1] = '\0';
	(void)unsetenv("FIXLOCK_FD");
	return buf;
}

static int
parse_linger(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > 86400)
		return -1;
	return (int)v;
}

int
main(int argc, char **argv)
{
	struct run r;
	struct fs_conf *c;
	struct fixu_store_opts so;
	struct fixu_eng_opts eo;
	struct sigaction sa;
	struct fixu_diag d;
	const char *lease, *token;
	char buf[300], tokbuf[32];
	int ch, check = 0, rc;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.linger = -1;
	r.cpu_lat = r.cpu_lat_fd = -1;
	while ((ch = getopt(argc, argv, "+c:D:hl:npqS:w:")) != -1) {
		switch (ch) {
		case 'c':
			r.cfgpath = optarg;
			break;
		case 'D':
			r.dictpath = optarg;
			break;
		case 'h':
			usage(0);
			break;
		case 'l':
			if ((r.msglog = fopen(optarg, "ae")) == NULL)
				err(CMD_EX_IO, "%s", optarg);
			break;
		case 'n':
			check = 1;
			break;
		case 'p':
			r.prefix = 1;
			break;
		case 'q':
			r.quiet = 1;
			break;
		case 'S':
			r.storepath = optarg;
			break;
		case 'w':
			if ((r.linger = parse_linger(optarg)) < 0)
				errx(CMD_EX_USAGE, "-w: expected seconds, got "
				    "'%s'", optarg);
			break;
		default:
			usage(CMD_EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (r.cfgpath == NULL) {
		warnx("a settings file is required (-c)");
		usage(CMD_EX_USAGE);
	}
	if (argc > 0)
		r.cmd = argv;
	c = load_conf(&r, 1);
	if (c->nsess == 0)
		errx(CMD_EX_DATA, "%s: no [SESSION] section", r.cfgpath);
	if (check) {
		list_sessions(c);
		free_confs(&r);
		return 0;
	}

	/* Under fixlock -W: ready, now wait for the lease before the store. */
	token = wait_token(tokbuf, sizeof(tokbuf));

	memset(&so, 0, sizeof(so));
	so.path = r.storepath != NULL ? r.storepath :
	    c->store_path[0] ? c->store_path : NULL;
	so.durability = c->durability;
	so.create = 1;
	so.bg_checkpoint = 1;
	so.log = c->store_log;
	if (so.log && (getenv("FIXLOCK_LEASE") != NULL ||
	    getenv("FIXLOCK_TOKEN") != NULL || token != NULL))
		errx(CMD_EX_USAGE, "%s: StoreLog=Y cannot run under fixlock: "
		    "fencing checks the lease in the transaction of every "
		    "write, and the log commits without one", r.cfgpath);
	if ((rc = fixu_store_open(&r.store, &so, &d)) != 0)
		errx(rc == FIXU_ESCHEMA || rc == FIXU_ECORRUPT ? CMD_EX_DATA :
		    CMD_EX_IO, "%s: %s", so.path ? so.path :
		    fixu_store_default_path(), fixu_diag_fmt(&d, buf,
		    sizeof(buf)));
	/* Under fixlock: every commit checks that our token is current. */
	lease = getenv("FIXLOCK_LEASE");
	if (token == NULL)
		token = getenv("FIXLOCK_TOKEN");
	if (lease != NULL || token != NULL) {
		uint64_t tok;

		if (lease == NULL || token == NULL)
			errx(CMD_EX_USAGE, "FIXLOCK_LEASE and FIXLOCK_TOKEN go "
			    "together; only %s is set", lease != NULL ?
			    "FIXLOCK_LEASE" : "FIXLOCK_TOKEN");
		if (fixu_parse_u64(token, strlen(token), &tok) != 0)
			errx(CMD_EX_USAGE, "FIXLOCK_TOKEN: not a number: '%s'",
			    token);
		if ((rc = fixu_store_fence(r.store, lease, tok)) != 0)
			errx(rc == FIXU_EINVAL ? CMD_EX_USAGE : exit_for(rc),
			    "FIXLOCK_LEASE '%.64s': %s", lease,
			    fixu_strerror(rc));
	}

	memset(&eo, 0, sizeof(eo));
	eo.store = r.store;
	eo.app_in = r.cmd != NULL ? -1 : 0;
	eo.app_out = r.cmd != NULL ? -1 : 1;
	eo.app_prefix = r.app_prefix = r.prefix || c->nsess > 1;
	eo.dicts = c->dicts;
	eo.hooks.event = on_event;
	eo.hooks.message = on_message;
	eo.hooks.arg = &r;
	if (fixu_eng_new(&r.eng, &eo, &d) != 0)
		errx(CMD_EX_IO, "%s", fixu_diag_fmt(&d, buf, sizeof(buf)));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	if (r.cmd != NULL) {
		sa.sa_flags = SA_NOCLDSTOP;
		(void)sigaction(SIGCHLD, &sa, NULL);
	}
	cpu_latency(&r, c->cpu_latency);
	(void)add_sessions(&r, c, 1);
	fixu_eng_poll_hook(r.eng, hook, &r, 100);

	rc = fixu_eng_run(r.eng, &d);
	if (rc != 0) {
		warnx("%s", fixu_diag_fmt(&d, buf, sizeof(buf)));
		r.status = exit_for(rc);
	}
	fixu_eng_free(r.eng);
	fixu_store_close(r.store);
	cpu_latency(&r, -1);
	for (i = 0; i < r.nkids; i++)
		if (r.kids[i].pid > 0) {
			(void)kill(r.kids[i].pid, SIGTERM);
			(void)waitpid(r.kids[i].pid, NULL, 0);
		}
	free(r.kids);
	free_confs(&r);
	if (r.msglog != NULL && fclose(r.msglog) != 0 && r.status == 0)
		r.status = CMD_EX_IO;
	return r.status;
}
