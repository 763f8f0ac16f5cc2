/*
 * crash_writer.c -- the writer and the checker of the store's crash test
 * (tests/store/crash.sh).
 *
 *   crash_writer [-LNP] FILE            write until killed
 *   crash_writer -c FILE [OUT IN]       check FILE after a kill
 *
 * The writer appends to one session in a loop: batches of 1 to 50
 * messages, each inbound or outbound at random with the next number of its
 * direction, one commit per batch (FULL durability, NORMAL with -N,
 * PROCESS with -P; with
 * -L through the message log, as fixsession with StoreLog=Y, wrapping
 * after 256 KB instead of 32 MB and copying the mover's WAL back from
 * 512 KB instead of 64 MB, so that kills land in every phase).  After
 * each commit it prints "commit N out=O in=I", O and I the last committed
 * numbers, and flushes, so the last complete line says what the store must
 * hold whenever the process dies.
 *
 * The checker reopens the store (which moves what a log holds into it) and
 * requires: fixu_store_verify() finds no
 * problem; the current epoch holds 1..max in each direction with no gap and
 * no duplicate; next_out and next_in are the last stored number + 1; and
 * the last stored numbers are at least OUT and IN.  Exit 0 when all hold,
 * 1 when not, 2 on usage or open errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "err.h"
#include "msglog_int.h"
#include "store.h"
#include "store_int.h"

#define SESSID	"FIX.4.4:CRASH->TEST"

static void
die(const char *what, int rc, const struct fixu_diag *d)
{
	char buf[300];

	fprintf(stderr, "crash_writer: %s: %s\n", what,
	    d != NULL ? fixu_diag_fmt(d, buf, sizeof(buf)) :
	    fixu_strerror(rc));
	exit(2);
}

/* NULL when the store or the session is not there yet. */
static struct fixu_store *
open_store(const char *path, int create, int dur, int log,
    struct fixu_sess *s)
{
	struct fixu_store_opts o;
	struct fixu_store *st;
	struct fixu_sessid sid;
	struct fixu_diag d;
	int rc;

	memset(&o, 0, sizeof(o));
	o.path = path;
	o.create = create;
	o.durability = dur;
	/* As fixsession runs it: WAL copied back by the checkpointer thread. */
	o.bg_checkpoint = create;
	o.log = log;
	fixu_mlog_wrap = 256u << 10;
	fixu_mover_ckpt_bytes = 512 << 10;
	if ((rc = fixu_store_open(&st, &o, &d)) < 0) {
		if (rc == FIXU_ENOTFOUND && !create)
			return NULL;
		die("open", rc, &d);
	}
	if ((rc = fixu_sessid_parse(&sid, SESSID, strlen(SESSID), &d)) < 0 ||
	    (rc = fixu_store_session(st, &sid, create, s, &d)) < 0) {
		if (rc == FIXU_ENOTFOUND && !create) {
			fixu_store_close(st);
			return NULL;
		}
		die("session", rc, &d);
	}
	return st;
}

static int
writer(const char *path, int dur, int log)
{
	struct fixu_builder b;
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_rec r;
	struct fixu_diag d;
	uint64_t next[2], ncommit = 0;
	int rc, i, n, dir;

	if ((st = open_store(path, 1, dur, log, &s)) == NULL)
		return 2;
	next[FIXU_DIR_IN] = s.next_in;
	next[FIXU_DIR_OUT] = s.next_out;
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	fixu_build_init(&b);
	for (;;) {
		n = 1 + rand() % 50;
		for (i = 0; i < n; i++) {
			dir = rand() & 1;
			memset(&r, 0, sizeof(r));
			r.session = s.id;
			r.dir = dir;
			r.seq = next[dir];
			r.msgtype = dir == FIXU_DIR_OUT ? FIXU_STR("D") :
			    FIXU_STR("8");
			if (fixu_build_begin(&b, "FIX.4.4", 7, FIXU_SOH) < 0 ||
			    fixu_build_add(&b, 35, r.msgtype.p, 1) < 0 ||
			    fixu_build_add_str(&b, 49, dir ? "CRASH" :
			    "TEST") < 0 ||
			    fixu_build_add_str(&b, 56, dir ? "TEST" :
			    "CRASH") < 0 ||
			    fixu_build_add_u64(&b, 34, r.seq) < 0 ||
			    fixu_build_add_str(&b, 55, "MSFT") < 0 ||
			    fixu_build_add_u64(&b, 38, (uint64_t)rand()) < 0 ||
			    fixu_build_finish(&b, &r.raw) < 0)
				die("build", FIXU_ELIMIT, NULL);
			if ((rc = fixu_store_append(st, &r, &d)) < 0)
				die("append", rc, &d);
			next[dir]++;
		}
		if ((rc = fixu_store_commit(st, &d)) < 0)
			die("commit", rc, &d);
		printf("commit %llu out=%llu in=%llu\n",
		    (unsigned long long)++ncommit,
		    (unsigned long long)(next[FIXU_DIR_OUT] - 1),
		    (unsigned long long)(next[FIXU_DIR_IN] - 1));
		fflush(stdout);
	}
	return 0;
}

struct seen {
	uint64_t	last[2];	/* largest seq per direction */
	uint64_t	n[2];
	uint64_t	bad;
};

static int
on_rec(const struct fixu_rec *r, void *arg)
{
	struct seen *v = arg;
	int k = r->dir & 1;

	/* Rowid order within a direction is seq order for this writer. */
	if (r->seq != v->last[k] + 1) {
		if (v->bad++ < 5)
			fprintf(stderr, "crash_writer: %s MsgSeqNum %llu "
			    "after %llu\n", k ? "outbound" : "inbound",
			    (unsigned long long)r->seq,
			    (unsigned long long)v->last[k]);
	}
	v->last[k] = r->seq;
	v->n[k]++;
	return 0;
}

static void
on_problem(const struct fixu_sess *s, const struct fixu_rec *r,
    const char *what, void *arg)
{
	(void)s;
	(void)r;
	(void)arg;
	fprintf(stderr, "crash_writer: verify: %s\n", what);
}

static int
checker(const char *path, uint64_t want_out, uint64_t want_in)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_query q;
	struct fixu_diag d;
	struct seen v;
	uint64_t np = 0;
	int rc, fail = 0;

	/* Killed while creating the store: fine if nothing was promised. */
	if ((st = open_store(path, 0, FIXU_DUR_FULL, 0, &s)) == NULL) {
		fail = want_out != 0 || want_in != 0;
		printf("%s: no store or session yet (reported %llu %llu)\n",
		    fail ? "FAIL" : "ok", (unsigned long long)want_out,
		    (unsigned long long)want_in);
		return fail;
	}
	if ((rc = fixu_store_verify(st, s.id, on_problem, NULL, &np, &d)) < 0)
		die("verify", rc, &d);
	memset(&q, 0, sizeof(q));
	q.session = s.id;
	q.dir = -1;
	memset(&v, 0, sizeof(v));
	if ((rc = fixu_store_range(st, &q, on_rec, &v, &d)) < 0)
		die("range", rc, &d);
	if (np != 0 || v.bad != 0)
		fail = 1;
	if (s.next_out != v.last[1] + 1 || s.next_in != v.last[0] + 1) {
		fprintf(stderr, "crash_writer: next out %llu in %llu, last "
		    "stored out %llu in %llu\n",
		    (unsigned long long)s.next_out,
		    (unsigned long long)s.next_in,
		    (unsigned long long)v.last[1],
		    (unsigned long long)v.last[0]);
		fail = 1;
	}
	if (v.last[1] < want_out || v.last[0] < want_in) {
		fprintf(stderr, "crash_writer: lost committed messages: "
		    "stored out %llu in %llu, reported out %llu in %llu\n",
		    (unsigned long long)v.last[1],
		    (unsigned long long)v.last[0],
		    (unsigned long long)want_out,
		    (unsigned long long)want_in);
		fail = 1;
	}
	if (s.nmsg_out != v.n[1] || s.nmsg_in != v.n[0])
		fail = 1;
	printf("%s: out %llu in %llu stored (reported %llu %llu), %llu "
	    "problems\n", fail ? "FAIL" : "ok",
	    (unsigned long long)v.last[1], (unsigned long long)v.last[0],
	    (unsigned long long)want_out, (unsigned long long)want_in,
	    (unsigned long long)np);
	fixu_store_close(st);
	return fail;
}

static uint64_t
num(const char *s)
{
	uint64_t v;

	if (fixu_parse_u64(s, strlen(s), &v) < 0) {
		fprintf(stderr, "crash_writer: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	int c, check = 0, dur = FIXU_DUR_FULL, log = 0;

	while ((c = getopt(argc, argv, "cLNP")) != -1) {
		switch (c) {
		case 'c':
			check = 1;
			break;
		case 'L':
			log = 1;
			break;
		case 'N':
			dur = FIXU_DUR_NORMAL;
			break;
		case 'P':
			dur = FIXU_DUR_PROCESS;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (check && (argc == 1 || argc == 3))
		return checker(argv[0], argc == 3 ? num(argv[1]) : 0,
		    argc == 3 ? num(argv[2]) : 0);
	if (!check && argc == 1)
		return writer(argv[0], dur, log);
usage:
	fprintf(stderr, "usage: crash_writer [-LNP] FILE\n"
	    "       crash_writer -c FILE [OUT IN]\n");
	return 2;
}
