/*
 * fixstore -- inspect and administer the fixutil session store.
 *
 * One sub-command per job: list, show, dump and events read; reset,
 * set-seq, passwd, import and archive write.  Readers open the store
 * read-only, so they can run beside a live fixsession; writers make short
 * transactions through the store's batch API.  reset and set-seq refuse
 * while the session is online or a lease is held: they check once before
 * asking the operator, and again inside the write transaction (after the
 * write lock is taken, before the commit) so that a session that came
 * online meanwhile is never reset under its feet.
 *
 * archive (fixstore/archive.c) writes the messages to a new file, fsyncs
 * it, reads it back and compares it with the store message by message;
 * only then, with -D, does it purge what it wrote, bounded by the last
 * rowid it exported.  passwd is in fixstore/passwd.c.
 *
 * Every message names the store file; the exit status follows DESIGN.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "fixutil.h"
#include "cfg.h"
#include "store.h"
#include "common.h"
#include "fixstore/fixstore.h"

#define NEVENTS		10		/* events shown by show */
#define FOLLOW_NS	100000000L	/* dump -f polls this often */

const char	*fs_storepath;
static int		 json;
static volatile sig_atomic_t stop;

void
fs_usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixstore [-hj] [-c settings] [-S store] command [args]\n"
"Inspect and administer the fixutil session store.\n"
"  -S store     the store file (else StorePath in -c, $FIXUTIL_STORE,\n"
"               ./fixutil.db)\n"
"  -c settings  QuickFIX-style settings file whose [DEFAULT] StorePath\n"
"               names the store\n"
"  -j           JSON output for list and show\n"
"Commands (SESSION: BeginString:Sender->Target[:Qualifier] or the id):\n"
"  list [-Hq]                       sessions, one a line (-H no header,\n"
"                                   -q session ids only)\n"
"  show SESSION                     one session in detail\n"
"  dump [-f] [-a time] [-b time] [-d in|out] [-e epoch|all] [-m types]\n"
"       [-s from-to] SESSION        messages in wire form, one a line\n"
"  events SESSION                   administrative events\n"
"  reset [-fy] SESSION              new epoch, next numbers 1 and 1\n"
"  set-seq [-fy] [-i next] [-o next] SESSION\n"
"                                   set the next inbound/outbound number\n"
"  verify [SESSION]                 check hash chains and sequences\n"
"  import [-f] DIR                  a QuickFIX FileStore directory\n"
"  import -s SESSION FILE...        QuickFIX message logs\n"
"  archive [-Dz] (-b time | -e epoch) -o FILE SESSION\n"
"                                   export old messages (-D: then purge)\n"
"  purge [-z] (-b time | -e epoch) -o FILE SESSION   archive -D\n"
"  passwd [-d] [-P fd] [-p file] [-u user] SESSION\n"
"                                   set or delete Logon credentials\n"
"Exit: 0 ok, 1 negative answer or refused, 2 usage, 3 bad data, 5 I/O.\n");
	exit(status);
}

/* ---- errors ----------------------------------------------------------------- */

int
fs_exit_code(int rc)
{
	switch (rc) {
	case FIXU_ESCHEMA:
	case FIXU_ECORRUPT:
	case FIXU_ESYNTAX:
	case FIXU_EGARBLED:
	case FIXU_ECHECKSUM:
	case FIXU_EBODYLEN:
	case FIXU_ETRUNC:
	case FIXU_ELIMIT:
		return CMD_EX_DATA;
	case FIXU_ENOTFOUND:
	case FIXU_EEXIST:
	case FIXU_EFENCED:
		return CMD_EX_NO;
	case FIXU_EINVAL:
		return CMD_EX_USAGE;
	default:
		return CMD_EX_IO;
	}
}

/* "fixstore: STORE: [what: ]detail", then exit by the code. */
void
fs_die(int rc, const struct fixu_diag *d, const char *what)
{
	char text[300];

	if (d != NULL && d->code != 0)
		fixu_diag_fmt(d, text, sizeof(text));
	else
		(void)snprintf(text, sizeof(text), "%s", fixu_strerror(rc));
	if (what != NULL)
		errx(fs_exit_code(rc), "%s: %s: %s", fs_storepath, what, text);
	errx(fs_exit_code(rc), "%s: %s", fs_storepath, text);
}

void
fs_refuse(int status, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	errx(status, "%s: %s", fs_storepath, text);
}

/* ---- small helpers -------------------------------------------------------- */

int64_t
fs_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* YYYYMMDD-HH:MM:SS.sss in UTC, or "-" for 0. */
static const char *
fmt_time(int64_t ns, char *buf, size_t n)
{
	struct tm tm;
	time_t t;

	if (ns <= 0) {
		(void)snprintf(buf, n, "-");
		return buf;
	}
	t = (time_t)(ns / 1000000000);
	if (gmtime_r(&t, &tm) == NULL ||
	    snprintf(buf, n, "%04d%02d%02d-%02d:%02d:%02d.%03d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ns % 1000000000 / 1000000)) >= (int)n)
		(void)snprintf(buf, n, "?");
	return buf;
}

int64_t
fs_parse_time(const char *arg)
{
	struct timespec ts;
	const char *s = arg;
	char tmp[32];
	size_t n = strlen(s);

	if (n == 8 && strspn(s, "0123456789") == 8) {
		if (snprintf(tmp, sizeof(tmp), "%s-00:00:00", s) >=
		    (int)sizeof(tmp))
			errx(CMD_EX_USAGE, "bad time '%s'", arg);
		s = tmp;
		n = strlen(s);
	}
	if (fixu_time_parse(s, n, &ts) < 0)
		errx(CMD_EX_USAGE, "bad time '%s': use YYYYMMDD-HH:MM:SS[.sss] "
		    "or YYYYMMDD", arg);
	/* Stored times are int64 nanoseconds: 1970 to 2262. */
	if (ts.tv_sec < 0 || ts.tv_sec >= INT64_MAX / 1000000000)
		errx(CMD_EX_USAGE, "bad time '%s': outside 1970 to 2262", arg);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t
fs_parse_num(const char *s, const char *what, uint64_t min)
{
	uint64_t x;

	if (fixu_parse_u64(s, strlen(s), &x) < 0 || x < min)
		errx(CMD_EX_USAGE, "bad %s '%s'", what, s);
	return x;
}

char *
fs_sid_str(const struct fixu_sess *s, char *buf)
{
	return fixu_sessid_fmt(&s->sid, buf, SID_MAX);
}

/* Rewind getopt for a sub-command's own options (glibc: optind 0). */
void
fs_subopt_reset(void)
{
	optind = 0;
}

struct fixu_store *
fs_open_store(int write, int create)
{
	struct fixu_store_opts so;
	struct fixu_store *st;
	struct fixu_diag d;
	int rc;

	memset(&so, 0, sizeof(so));
	so.path = fs_storepath;
	so.durability = FIXU_DUR_FULL;
	so.readonly = !write;
	so.create = create;
	fixu_diag_clear(&d);
	if ((rc = fixu_store_open(&st, &so, &d)) < 0) {
		if (rc == FIXU_ENOTFOUND)
			errx(CMD_EX_IO, "%s: no such store%s", fs_storepath,
			    create ? "" : " (import creates one)");
		fs_die(rc, &d, NULL);
	}
	return st;
}

/* SESSION as an id string or a number. */
void
fs_find_session(struct fixu_store *st, const char *arg, struct fixu_sess *s)
{
	struct fixu_sessid sid;
	struct fixu_diag d;
	uint64_t id;
	int rc;

	fixu_diag_clear(&d);
	if (fixu_parse_u64(arg, strlen(arg), &id) == 0 && id <= INT64_MAX)
		rc = fixu_store_session_byid(st, (int64_t)id, s, &d);
	else {
		if (fixu_sessid_parse(&sid, arg, strlen(arg), &d) < 0)
			errx(CMD_EX_USAGE, "bad session '%s': use "
			    "BeginString:Sender->Target[:Qualifier] or the "
			    "numeric id", arg);
		rc = fixu_store_session(st, &sid, 0, s, &d);
	}
	if (rc == FIXU_ENOTFOUND)
		fs_refuse(CMD_EX_NO, "no session %s", arg);
	if (rc < 0)
		fs_die(rc, &d, arg);
}

void
fs_commit(struct fixu_store *st, const char *what)
{
	struct fixu_diag d;
	int rc;

	fixu_diag_clear(&d);
	if ((rc = fixu_store_commit(st, &d)) < 0) {
		fixu_store_rollback(st);
		fs_die(rc, &d, what);
	}
}

static void
json_out(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (s == NULL)
		errx(CMD_EX_IO, "out of memory");
	puts(s);
	free(s);
	json_decref(j);
}

static json_t *
json_time(int64_t ns)
{
	char buf[40];

	return ns > 0 ? json_string(fmt_time(ns, buf, sizeof(buf))) :
	    json_null();
}

void
fs_flush_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == EPIPE)
			exit(CMD_EX_OK);
		err(CMD_EX_IO, "stdout");
	}
}

/* ---- list ------------------------------------------------------------------- */

struct sessv {
	struct fixu_sess	*v;
	size_t			 n, cap;
};

static int
collect_sess(const struct fixu_sess *s, void *arg)
{
	struct sessv *sv = arg;
	struct fixu_sess *nv;

	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 16;
		if ((nv = realloc(sv->v, sv->cap * sizeof(*nv))) == NULL)
			errx(CMD_EX_IO, "out of memory");
		sv->v = nv;
	}
	sv->v[sv->n++] = *s;
	return 0;
}

static json_t *
sess_json(const struct fixu_sess *s)
{
	char sid[SID_MAX];

	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:o,s:o,s:b}",
	    "id", (json_int_t)s->id, "session", fs_sid_str(s, sid),
	    "begin_string", s->sid.begin, "sender", s->sid.sender,
	    "target", s->sid.target, "qualifier", s->sid.qualifier,
	    "online", (json_int_t)(s->online != 0),
	    "epoch", (json_int_t)s->epoch,
	    "next_out", (json_int_t)s->next_out,
	    "next_in", (json_int_t)s->next_in,
	    "messages_in", (json_int_t)s->nmsg_in,
	    "messages_out", (json_int_t)s->nmsg_out,
	    "messages_all", (json_int_t)s->nmsg_all,
	    "created", json_time(s->created_ns),
	    "last_activity", json_time(s->last_activity_ns),
	    "credentials", s->has_passwd != 0);
}

#define LIST_COLS 10

static int
cmd_list(int argc, char **argv)
{
	static const char *const head[LIST_COLS] = { "ID", "SESSION",
	    "STATE", "EPOCH", "NEXTOUT", "NEXTIN", "IN", "OUT", "ALL",
	    "LAST" };
	struct fixu_store *st;
	struct fixu_diag d;
	struct sessv sv = { NULL, 0, 0 };
	char (*cell)[LIST_COLS][SID_MAX];
	int width[LIST_COLS];
	int c, noheader = 0, quiet = 0, rc;
	size_t i, k;

	fs_subopt_reset();
	while ((c = getopt(argc, argv, "Hq")) != -1) {
		switch (c) {
		case 'H':
			noheader = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind != argc)
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(0, 0);
	fixu_diag_clear(&d);
	if ((rc = fixu_store_sessions(st, collect_sess, &sv, &d)) < 0)
		fs_die(rc, &d, NULL);
	if (json && !quiet) {
		for (i = 0; i < sv.n; i++)
			json_out(sess_json(&sv.v[i]));
		goto done;
	}
	if (quiet) {
		for (i = 0; i < sv.n; i++) {
			char sid[SID_MAX];

			puts(fs_sid_str(&sv.v[i], sid));
		}
		goto done;
	}
	if ((cell = calloc(sv.n + 1, sizeof(*cell))) == NULL)
		errx(CMD_EX_IO, "out of memory");
	for (k = 0; k < LIST_COLS; k++)
		(void)snprintf(cell[0][k], SID_MAX, "%s", head[k]);
	for (i = 0; i < sv.n; i++) {
		const struct fixu_sess *s = &sv.v[i];
		char (*r)[SID_MAX] = cell[i + 1];

		(void)snprintf(r[0], SID_MAX, "%" PRId64, s->id);
		fs_sid_str(s, r[1]);
		(void)snprintf(r[2], SID_MAX, "%s",
		    s->online ? "online" : "offline");
		(void)snprintf(r[3], SID_MAX, "%" PRIu32, s->epoch);
		(void)snprintf(r[4], SID_MAX, "%" PRIu64, s->next_out);
		(void)snprintf(r[5], SID_MAX, "%" PRIu64, s->next_in);
		(void)snprintf(r[6], SID_MAX, "%" PRIu64, s->nmsg_in);
		(void)snprintf(r[7], SID_MAX, "%" PRIu64, s->nmsg_out);
		(void)snprintf(r[8], SID_MAX, "%" PRIu64, s->nmsg_all);
		fmt_time(s->last_activity_ns, r[9], SID_MAX);
	}
	for (k = 0; k < LIST_COLS; k++) {
		width[k] = 0;
		for (i = noheader; i <= sv.n; i++)
			if ((int)strlen(cell[i][k]) > width[k])
				width[k] = (int)strlen(cell[i][k]);
	}
	for (i = noheader; i <= sv.n; i++) {
		for (k = 0; k < LIST_COLS; k++) {
			/* Numbers right-aligned, text left; no trailing blanks. */
			if (k == LIST_COLS - 1)
				printf("%s\n", cell[i][k]);
			else if (k == 1 || k == 2)
				printf("%-*s  ", width[k], cell[i][k]);
			else
				printf("%*s  ", width[k], cell[i][k]);
		}
	}
	free(cell);
done:
	free(sv.v);
	fixu_store_close(st);
	fs_flush_stdout();
	return CMD_EX_OK;
}

/* ---- show ------------------------------------------------------------------- */

struct evring {
	int64_t		 t[NEVENTS];
	char		*kind[NEVENTS];
	char		*text[NEVENTS];
	size_t		 n;		/* seen in all */
};

static int
ring_event(int64_t t, const char *kind, const char *text, void *arg)
{
	struct evring *r = arg;
	size_t i = r->n++ % NEVENTS;

	free(r->kind[i]);
	free(r->text[i]);
	r->t[i] = t;
	r->kind[i] = strdup(kind ? kind : "");
	r->text[i] = strdup(text ? text : "");
	if (r->kind[i] == NULL || r->text[i] == NULL)
		errx(CMD_EX_IO, "out of memory");
	return 0;
}

static int
epoch_text(uint32_t e, int64_t t, const char *reason, void *arg)
{
	char tb[40];

	(void)arg;
	printf("  %-5" PRIu32 " %s  %s\n", e, fmt_time(t, tb, sizeof(tb)),
	    reason ? reason : "");
	return 0;
}

static int
epoch_json(uint32_t e, int64_t t, const char *reason, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:o,s:s}", "epoch",
	    (json_int_t)e, "started", json_time(t), "reason",
	    reason ? reason : ""));
	return 0;
}

static int
lease_held(const struct fixu_lease *l)
{
	return l->holder[0] != '\0' && l->expires_ns > fs_now_ns(CLOCK_MONOTONIC);
}

static int
lease_text(const struct fixu_lease *l, void *arg)
{
	int64_t left = l->expires_ns - fs_now_ns(CLOCK_MONOTONIC);

	(void)arg;
	if (l->holder[0] == '\0')
		printf("  %-16s free (last token %" PRIu64 ")\n", l->name,
		    l->token);
	else if (left > 0)
		printf("  %-16s held by %s, token %" PRIu64 ", expires in "
		    "%.1f s\n", l->name, l->holder, l->token, left / 1e9);
	else
		printf("  %-16s expired, last held by %s, token %" PRIu64 "\n",
		    l->name, l->holder, l->token);
	return 0;
}

static int
lease_json(const struct fixu_lease *l, void *arg)
{
	int64_t left = l->expires_ns - fs_now_ns(CLOCK_MONOTONIC);

	json_array_append_new(arg, json_pack("{s:s,s:s,s:I,s:b,s:f}",
	    "name", l->name, "holder", l->holder, "token",
	    (json_int_t)l->token, "held", lease_held(l),
	    "expires_in", left > 0 && l->holder[0] ? left / 1e9 : 0.0));
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	struct evring ring;
	char sid[SID_MAX], tb[40];
	size_t i, first, n;
	int rc;

	fs_subopt_reset();
	if (getopt(argc, argv, "") != -1 || optind != argc - 1)
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(0, 0);
	fs_find_session(st, argv[optind], &s);
	memset(&ring, 0, sizeof(ring));
	fixu_diag_clear(&d);
	if ((rc = fixu_store_events(st, s.id, ring_event, &ring, &d)) < 0)
		fs_die(rc, &d, argv[optind]);
	n = ring.n < NEVENTS ? ring.n : NEVENTS;
	first = ring.n < NEVENTS ? 0 : ring.n % NEVENTS;
	if (json) {
		json_t *j = sess_json(&s), *a;

		a = json_array();
		if ((rc = fixu_store_epochs(st, s.id, epoch_json, a, &d)) < 0)
			fs_die(rc, &d, argv[optind]);
		json_object_set_new(j, "epochs", a);
		a = json_array();
		for (i = 0; i < n; i++) {
			size_t k = (first + i) % NEVENTS;

			json_array_append_new(a, json_pack("{s:o,s:s,s:s}",
			    "time", json_time(ring.t[k]), "kind",
			    ring.kind[k], "text", ring.text[k]));
		}
		json_object_set_new(j, "events", a);
		a = json_array();
		if ((rc = fixu_store_leases(st, lease_json, a, &d)) < 0)
			fs_die(rc, &d, NULL);
		json_object_set_new(j, "leases", a);
		json_object_set_new(j, "store", json_string(fs_storepath));
		json_out(j);
	} else {
		printf("session        %s\n", fs_sid_str(&s, sid));
		printf("id             %" PRId64 "\n", s.id);
		printf("store          %s\n", fs_storepath);
		printf("created        %s\n",
		    fmt_time(s.created_ns, tb, sizeof(tb)));
		printf("state          %s\n", s.online ? "online" : "offline");
		printf("last activity  %s\n",
		    fmt_time(s.last_activity_ns, tb, sizeof(tb)));
		printf("epoch          %" PRIu32 "\n", s.epoch);
		printf("next out       %" PRIu64 "\n", s.next_out);
		printf("next in        %" PRIu64 "\n", s.next_in);
		printf("messages       %" PRIu64 " in, %" PRIu64 " out in "
		    "this epoch; %" PRIu64 " in all epochs\n", s.nmsg_in,
		    s.nmsg_out, s.nmsg_all);
		printf("credentials    %s\n", s.has_passwd ? "set" : "not set");
		printf("epochs:\n");
		if ((rc = fixu_store_epochs(st, s.id, epoch_text, NULL,
		    &d)) < 0)
			fs_die(rc, &d, argv[optind]);
		printf("leases:\n");
		if ((rc = fixu_store_leases(st, lease_text, NULL, &d)) < 0)
			fs_die(rc, &d, NULL);
		printf("events (last %zu of %zu):\n", n, ring.n);
		for (i = 0; i < n; i++) {
			size_t k = (first + i) % NEVENTS;

			printf("  %s  %s  %s\n",
			    fmt_time(ring.t[k], tb, sizeof(tb)), ring.kind[k],
			    ring.text[k]);
		}
	}
	for (i = 0; i < NEVENTS; i++) {
		free(ring.kind[i]);
		free(ring.text[i]);
	}
	fixu_store_close(st);
	fs_flush_stdout();
	return CMD_EX_OK;
}

/* ---- events ----------------------------------------------------------------- */

static int
event_line(int64_t t, const char *kind, const char *text, void *arg)
{
	char tb[40];

	(void)arg;
	printf("%s %s %s\n", fmt_time(t, tb, sizeof(tb)), kind ? kind : "",
	    text ? text : "");
	return 0;
}

static int
cmd_events(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	int rc;

	fs_subopt_reset();
	if (getopt(argc, argv, "") != -1 || optind != argc - 1)
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(0, 0);
	fs_find_session(st, argv[optind], &s);
	fixu_diag_clear(&d);
	if ((rc = fixu_store_events(st, s.id, event_line, NULL, &d)) < 0)
		fs_die(rc, &d, argv[optind]);
	fixu_store_close(st);
	fs_flush_stdout();
	return CMD_EX_OK;
}

/* ---- dump ------------------------------------------------------------------- */

struct dumpctx {
	struct cmd_out	 out;
	int64_t		 last;		/* rowid */
	uint64_t	 n;
	int		 progress;
	int64_t		 shown_ns;
};

static void
out_or_die(struct cmd_out *o)
{
	if (o->error == EPIPE)
		exit(CMD_EX_OK);
	errno = o->error;
	err(CMD_EX_IO, "stdout");
}

static int
dump_rec(const struct fixu_rec *r, void *arg)
{
	struct dumpctx *c = arg;

	if (cmd_out_write(&c->out, r->raw.p, r->raw.n) < 0 ||
	    cmd_out_write(&c->out, "\n", 1) < 0)
		out_or_die(&c->out);
	c->last = r->rowid;
	c->n++;
	if (c->progress && (c->n & 1023) == 0 &&
	    fs_now_ns(CLOCK_MONOTONIC) - c->shown_ns > 500000000) {
		c->shown_ns = fs_now_ns(CLOCK_MONOTONIC);
		fprintf(stderr, "\rfixstore: %" PRIu64 " messages ", c->n);
	}
	return stop ? 1 : 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void
parse_seqrange(const char *s, struct fixu_query *q)
{
	const char *dash = strchr(s, '-');
	char a[24], b[24];
	size_t n;

	if (dash == NULL) {
		q->seq_from = q->seq_to = fs_parse_num(s, "sequence range", 1);
		return;
	}
	n = (size_t)(dash - s);
	if (n >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		errx(CMD_EX_USAGE, "bad sequence range '%s'", s);
	memcpy(a, s, n);
	a[n] = '\0';
	(void)snprintf(b, sizeof(b), "%s", dash + 1);
	if (a[0] != '\0')
		q->seq_from = fs_parse_num(a, "sequence range", 1);
	if (b[0] != '\0')
		q->seq_to = fs_parse_num(b, "sequence range", 1);
	if (q->seq_to != 0 && q->seq_from > q->seq_to)
		errx(CMD_EX_USAGE, "bad sequence range '%s': %s > %s", s, a, b);
}

static int
cmd_dump(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	struct fixu_query q;
	struct dumpctx c;
	struct timespec tick = { 0, FOLLOW_NS };
	int ch, follow = 0, rc;

	memset(&q, 0, sizeof(q));
	q.dir = -1;
	fs_subopt_reset();
	while ((ch = getopt(argc, argv, "a:b:d:e:fm:s:")) != -1) {
		switch (ch) {
		case 'a':
			q.time_from = fs_parse_time(optarg);
			break;
		case 'b':
			q.time_to = fs_parse_time(optarg);
			break;
		case 'd':
			if (strcmp(optarg, "in") == 0)
				q.dir = FIXU_DIR_IN;
			else if (strcmp(optarg, "out") == 0)
				q.dir = FIXU_DIR_OUT;
			else
				errx(CMD_EX_USAGE, "bad direction '%s': use in "
				    "or out", optarg);
			break;
		case 'e':
			q.epoch = strcmp(optarg, "all") == 0 ? -1 :
			    (int64_t)fs_parse_num(optarg, "epoch", 1);
			break;
		case 'f':
			follow = 1;
			break;
		case 'm':
			if (optarg[0] == '\0' || strspn(optarg,
			    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz,") != strlen(optarg))
				errx(CMD_EX_USAGE, "bad MsgType list '%s': use "
				    "codes such as D,8", optarg);
			q.msgtype = optarg;
			break;
		case 's':
			parse_seqrange(optarg, &q);
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind != argc - 1)
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(0, 0);
	fs_find_session(st, argv[optind], &s);
	q.session = s.id;
	memset(&c, 0, sizeof(c));
	cmd_out_init(&c.out, STDOUT_FILENO, 0);
	c.progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
	if (follow)
		catch_signals();
	fixu_diag_clear(&d);
	for (;;) {
		q.after_rowid = c.last;
		rc = fixu_store_range(st, &q, dump_rec, &c, &d);
		if (rc < 0)
			fs_die(rc, &d, argv[optind]);
		if (cmd_out_flush(&c.out) < 0)
			out_or_die(&c.out);
		if (!follow || stop)
			break;
		nanosleep(&tick, NULL);
		if (stop)
			break;
	}
	if (c.progress && c.n >= 1024)
		fputs("\r\033[K", stderr);
	cmd_out_fini(&c.out);
	fixu_store_close(st);
	return CMD_EX_OK;
}

/* ---- reset, set-seq --------------------------------------------------------- */

struct leasecheck {
	char	name[65];
	char	holder[129];
	double	left;
	int	found;
};

static int
find_held(const struct fixu_lease *l, void *arg)
{
	struct leasecheck *c = arg;

	if (!lease_held(l))
		return 0;
	(void)snprintf(c->name, sizeof(c->name), "%s", l->name);
	(void)snprintf(c->holder, sizeof(c->holder), "%s", l->holder);
	c->left = (l->expires_ns - fs_now_ns(CLOCK_MONOTONIC)) / 1e9;
	c->found = 1;
	return 1;
}

/*
 * Refuse (exit 1) while the session is online or any lease is held.
 * Called before asking and again inside the write transaction; in the
 * second call a refusal rolls the batch back first.
 */
static void
check_idle(struct fixu_store *st, int64_t id, const char *verb, int inbatch)
{
	struct leasecheck lc;
	struct fixu_sess s;
	struct fixu_diag d;
	char sid[SID_MAX];
	int rc;

	fixu_diag_clear(&d);
	if ((rc = fixu_store_session_byid(st, id, &s, &d)) < 0) {
		if (inbatch)
			fixu_store_rollback(st);
		fs_die(rc, &d, NULL);
	}
	memset(&lc, 0, sizeof(lc));
	if ((rc = fixu_store_leases(st, find_held, &lc, &d)) < 0) {
		if (inbatch)
			fixu_store_rollback(st);
		fs_die(rc, &d, NULL);
	}
	if (!s.online && !lc.found)
		return;
	if (inbatch)
		fixu_store_rollback(st);
	if (s.online)
		fs_refuse(CMD_EX_NO, "%s is online: stop its fixsession before "
		    "%s, or use -f", fs_sid_str(&s, sid), verb);
	fs_refuse(CMD_EX_NO, "lease %s is held by %s (expires in %.1f s): "
	    "not %s %s while a fixsession may be running; use -f to "
	    "override", lc.name, lc.holder, lc.left, verb, fs_sid_str(&s, sid));
}

/* On a terminal, ask; yes only for an answer starting with y. */
static int
confirm(const char *question)
{
	char line[64];

	if (!isatty(STDIN_FILENO))
		return 1;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/*
 * The end of reset and set-seq: a failed write is rolled back; otherwise
 * the session must still be idle now that the write lock is held (unless
 * forced), then the change is committed and the new numbers printed.
 */
static int
finish_change(struct fixu_store *st, struct fixu_sess *s, const char *sid,
    int force, const char *what, int rc, struct fixu_diag *d)
{
	if (rc < 0) {
		fixu_store_rollback(st);
		fs_die(rc, d, sid);
	}
	if (!force)
		check_idle(st, s->id, what, 1);
	fs_commit(st, sid);
	if ((rc = fixu_store_session_byid(st, s->id, s, d)) < 0)
		fs_die(rc, d, sid);
	printf("%s: epoch %" PRIu32 ", next out %" PRIu64 ", next in %"
	    PRIu64 "\n", sid, s->epoch, s->next_out, s->next_in);
	fixu_store_close(st);
	fs_flush_stdout();
	return CMD_EX_OK;
}

static int
cmd_reset(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	char sid[SID_MAX], q[SID_MAX + 80];
	int ch, force = 0, yes = 0, rc;

	fs_subopt_reset();
	while ((ch = getopt(argc, argv, "fy")) != -1) {
		switch (ch) {
		case 'f':
			force = 1;
			break;
		case 'y':
			yes = 1;
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind != argc - 1)
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(1, 0);
	fs_find_session(st, argv[optind], &s);
	if (!force)
		check_idle(st, s.id, "a reset", 0);
	(void)snprintf(q, sizeof(q), "reset %s to 1/1 (epoch %" PRIu32
	    " -> %" PRIu32 ")?", fs_sid_str(&s, sid), s.epoch, s.epoch + 1);
	if (!yes && !confirm(q)) {
		fprintf(stderr, "fixstore: %s: %s: not reset\n", fs_storepath,
		    sid);
		fixu_store_close(st);
		return CMD_EX_NO;
	}
	fixu_diag_clear(&d);
	rc = fixu_store_reset(st, s.id, force ? "fixstore reset -f" :
	    "fixstore reset", &d);
	return finish_change(st, &s, sid, force, "a reset", rc, &d);
}

static int
cmd_setseq(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	char sid[SID_MAX], q[SID_MAX + 120], a[40], b[40];
	uint64_t out = 0, in = 0;
	int ch, force = 0, yes = 0, rc;

	fs_subopt_reset();
	while ((ch = getopt(argc, argv, "fi:o:y")) != -1) {
		switch (ch) {
		case 'f':
			force = 1;
			break;
		case 'i':
			in = fs_parse_num(optarg, "next inbound number", 1);
			break;
		case 'o':
			out = fs_parse_num(optarg, "next outbound number", 1);
			break;
		case 'y':
			yes = 1;
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind != argc - 1 || (in == 0 && out == 0))
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(1, 0);
	fs_find_session(st, argv[optind], &s);
	if (!force)
		check_idle(st, s.id, "setting sequence numbers of", 0);
	(void)snprintf(a, sizeof(a), "%" PRIu64, out ? out : s.next_out);
	(void)snprintf(b, sizeof(b), "%" PRIu64, in ? in : s.next_in);
	(void)snprintf(q, sizeof(q), "set %s next out %" PRIu64 " -> %s, "
	    "next in %" PRIu64 " -> %s?", fs_sid_str(&s, sid), s.next_out, a,
	    s.next_in, b);
	if (!yes && !confirm(q)) {
		fprintf(stderr, "fixstore: %s: %s: not changed\n", fs_storepath,
		    sid);
		fixu_store_close(st);
		return CMD_EX_NO;
	}
	fixu_diag_clear(&d);
	rc = fixu_store_set_next(st, s.id, out, in, &d);
	return finish_change(st, &s, sid, force, "setting sequence numbers of",
	    rc, &d);
}

/* ---- verify ----------------------------------------------------------------- */

static int
count_sess(const struct fixu_sess *s, void *arg)
{
	uint64_t *n = arg;

	n[0]++;
	n[1] += s->nmsg_all;
	return 0;
}

static void
verify_problem(const struct fixu_sess *s, const struct fixu_rec *r,
    const char *what, void *arg)
{
	char sid[SID_MAX];

	(void)arg;
	fs_flush_stdout();
	if (s == NULL)
		fprintf(stderr, "fixstore: %s: %s\n", fs_storepath, what);
	else if (r == NULL)
		fprintf(stderr, "fixstore: %s: %s: %s\n", fs_storepath,
		    fs_sid_str(s, sid), what);
	else
		fprintf(stderr, "fixstore: %s: %s: epoch %" PRIu32 " %s %"
		    PRIu64 " (row %" PRId64 "): %s\n", fs_storepath,
		    fs_sid_str(s, sid), r->epoch, r->dir == FIXU_DIR_OUT ? "out" :
		    "in", r->seq, r->rowid, what);
}

static int
cmd_verify(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	uint64_t count[2] = { 0, 0 }, nproblems = 0;
	int64_t id = 0;
	int rc;

	fs_subopt_reset();
	if (getopt(argc, argv, "") != -1 || optind < argc - 1)
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(0, 0);
	fixu_diag_clear(&d);
	if (optind == argc - 1) {
		fs_find_session(st, argv[optind], &s);
		id = s.id;
		count[0] = 1;
		count[1] = s.nmsg_all;
	} else if ((rc = fixu_store_sessions(st, count_sess, count, &d)) < 0)
		fs_die(rc, &d, NULL);
	rc = fixu_store_verify(st, id, verify_problem, NULL, &nproblems, &d);
	if (rc < 0)
		fs_die(rc, &d, NULL);
	printf("%s: %" PRIu64 " session%s, %" PRIu64 " message%s, %" PRIu64
	    " problem%s\n", fs_storepath, count[0], count[0] == 1 ? "" : "s",
	    count[1], count[1] == 1 ? "" : "s", nproblems,
	    nproblems == 1 ? "" : "s");
	fixu_store_close(st);
	fs_flush_stdout();
	return nproblems ? CMD_EX_NO : CMD_EX_OK;
}

/* ---- import ----------------------------------------------------------------- */

static void
import_summary(const char *what, const struct fs_import_stats *s)
{
	printf("%s: %" PRIu64 " messages, %" PRIu64 " skipped, %" PRIu64
	    " bad; next out %" PRIu64 ", next in %" PRIu64 "\n", what,
	    s->messages, s->skipped, s->bad, s->next_out, s->next_in);
}

static void
import_done(struct fixu_store *st, int rc, struct fixu_diag *d,
    const char *what)
{
	if (rc == 0 && fixu_store_pending(st) > 0)
		rc = fixu_store_commit(st, d);
	if (rc < 0) {
		fixu_store_rollback(st);
		if (rc == FIXU_EBUSY)
			fs_refuse(CMD_EX_NO, "%s: %s%s%s", what,
			    d->msg[0] ? d->msg : "the session already has "
			    "messages in its current epoch", "",
			    "; use -f to import anyway");
		/* A missing file is an I/O error; a directory without a
		 * FileStore in it is bad input. */
		if (rc == FIXU_ENOTFOUND) {
			char text[300];

			errx(access(what, F_OK) < 0 ? CMD_EX_IO : CMD_EX_DATA,
			    "%s: %s: %s", fs_storepath, what,
			    fixu_diag_fmt(d, text, sizeof(text)));
		}
		fs_die(rc, d, what);
	}
}

static int
cmd_import(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sessid sid;
	struct fs_import_stats stats;
	struct fixu_diag d;
	const char *sess = NULL;
	uint64_t bad = 0;
	int ch, force = 0, rc, i;

	fs_subopt_reset();
	while ((ch = getopt(argc, argv, "fs:")) != -1) {
		switch (ch) {
		case 'f':
			force = 1;
			break;
		case 's':
			sess = optarg;
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind == argc || (sess == NULL && optind != argc - 1))
		fs_usage(CMD_EX_USAGE);
	if (sess != NULL && force)
		errx(CMD_EX_USAGE, "-f is for FileStore directories: a log "
		    "import skips what is already stored");
	fixu_diag_clear(&d);
	if (sess != NULL && fixu_sessid_parse(&sid, sess, strlen(sess),
	    &d) < 0)
		errx(CMD_EX_USAGE, "bad session '%s': use "
		    "BeginString:Sender->Target[:Qualifier]", sess);
	/* Check the inputs first: a typo should not leave a new empty store. */
	for (i = optind; i < argc; i++)
		if (access(argv[i], R_OK) < 0)
			errx(CMD_EX_IO, "%s: %s: %s", fs_storepath, argv[i],
			    strerror(errno));
	st = fs_open_store(1, 1);
	if (sess == NULL) {
		memset(&stats, 0, sizeof(stats));
		rc = fs_import_filestore(st, argv[optind], NULL, force, &stats,
		    &d);
		import_done(st, rc, &d, argv[optind]);
		import_summary(argv[optind], &stats);
		bad = stats.bad;
	} else {
		for (i = optind; i < argc; i++) {
			memset(&stats, 0, sizeof(stats));
			fixu_diag_clear(&d);
			rc = fs_import_log(st, &sid, argv[i], &stats, &d);
			import_done(st, rc, &d, argv[i]);
			import_summary(argv[i], &stats);
			bad += stats.bad;
		}
	}
	fixu_store_close(st);
	fs_flush_stdout();
	return bad ? CMD_EX_DATA : CMD_EX_OK;
}

/* ---- shared by the parts ---------------------------------------------------- */

/* Write all of p to fd; 0, or -1 with errno. */
int
fs_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
cmd_archive_only(int argc, char **argv)
{
	return cmd_archive(argc, argv, 0);
}

static int
cmd_purge(int argc, char **argv)
{
	return cmd_archive(argc, argv, 1);
}

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} cmds[] = {
	{ "list", cmd_list }, { "show", cmd_show }, { "dump", cmd_dump },
	{ "events", cmd_events }, { "reset", cmd_reset },
	{ "set-seq", cmd_setseq }, { "verify", cmd_verify },
	{ "import", cmd_import }, { "archive", cmd_archive_only },
	{ "purge", cmd_purge }, { "passwd", cmd_passwd },
};

/* ---- main ------------------------------------------------------------------- */

/* -S, else StorePath of the settings' [DEFAULT], else the default. */
static void
pick_store(const char *opt, const char *settings)
{
	static char *fromcfg;
	struct fixu_cfg *cfg;
	struct fixu_diag d;
	const char *v;
	int rc;

	if (opt != NULL) {
		fs_storepath = opt;
		return;
	}
	if (settings != NULL) {
		if ((rc = fixu_cfg_load(&cfg, settings, &d)) < 0) {
			char text[300];

			fixu_diag_fmt(&d, text, sizeof(text));
			if (rc == FIXU_ESYNTAX || rc == FIXU_ELIMIT)
				errx(CMD_EX_DATA, "%s:%zu: %s", settings, d.off,
				    d.msg);
			errx(CMD_EX_IO, "%s: %s", settings, text);
		}
		v = fixu_cfg_get(cfg, FIXU_CFG_DEFAULT, "StorePath", NULL);
		if (v != NULL && *v != '\0' &&
		    (fromcfg = strdup(v)) == NULL)
			errx(CMD_EX_IO, "out of memory");
		fixu_cfg_free(cfg);
		if (fromcfg != NULL) {
			fs_storepath = fromcfg;
			return;
		}
	}
	fs_storepath = fixu_store_default_path();
}

int
main(int argc, char **argv)
{
	const char *opt_store = NULL, *settings = NULL, *cmd;
	size_t k;
	int c;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "+c:hjS:")) != -1) {
		switch (c) {
		case 'c':
			settings = optarg;
			break;
		case 'h':
			fs_usage(CMD_EX_OK);
		case 'j':
			json = 1;
			break;
		case 'S':
			opt_store = optarg;
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind == argc)
		fs_usage(CMD_EX_USAGE);
	if (sodium_init() < 0)
		errx(CMD_EX_IO, "libsodium failed to start");
	pick_store(opt_store, settings);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (strcmp(cmd, cmds[k].name) == 0)
			return cmds[k].fn(argc, argv);
	warnx("unknown command '%s'", cmd);
	fs_usage(CMD_EX_USAGE);
}
