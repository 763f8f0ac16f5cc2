/*
 * test_msglog.c -- the store's message log (StoreLog=Y): commits through
 * the log, reads and mixed batches, rollbacks, the lock, a writer killed
 * before its records were moved, a log cut short or damaged, and the ring
 * starting a new generation.  Every test works in a mkdtemp directory.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "codec.h"
#include "err.h"
#include "msglog_int.h"
#include "store.h"
#include "store_int.h"
#include "store_util.h"
#include "tap.h"

#define SID	"FIX.4.4:EXEC->CLIENT1"

static char tmpdir[4096];
static int nfile;

static const char *
newpath(char *buf, size_t n)
{
	int r = snprintf(buf, n, "%s/m%d.db", tmpdir, ++nfile);

	if (r < 0 || (size_t)r >= n)
		abort();
	return buf;
}

static int open_dur = FIXU_DUR_NORMAL;	/* what sopen() opens with */

static int
sopen_rc(struct fixu_store **st, const char *path, int log,
    struct fixu_diag *d)
{
	struct fixu_store_opts o;

	memset(&o, 0, sizeof(o));
	o.path = path;
	o.create = 1;
	o.durability = open_dur;
	o.bg_checkpoint = 1;
	o.log = log;
	return fixu_store_open(st, &o, d);
}

static struct fixu_store *
sopen(const char *path, int log)
{
	struct fixu_store *st = NULL;
	struct fixu_diag d;
	int rc;

	if ((rc = sopen_rc(&st, path, log, &d)) < 0)
		printf("# open %s: %s: %s\n", path, fixu_strerror(rc), d.msg);
	return st;
}

static char msgbuf[512];

/* A FIX.4.4 order (out) or execution report (in) with MsgSeqNum seq. */
static struct fixu_rec
mkrec(int64_t sess, int dir, uint64_t seq)
{
	struct fixu_builder b;
	struct fixu_rec r;
	struct fixu_str raw = { NULL, 0 };

	memset(&r, 0, sizeof(r));
	fixu_build_init(&b);
	fixu_build_begin(&b, "FIX.4.4", 7, FIXU_SOH);
	fixu_build_add_str(&b, 35, dir == FIXU_DIR_OUT ? "8" : "D");
	fixu_build_add_str(&b, 49, dir == FIXU_DIR_OUT ? "EXEC" : "CLIENT1");
	fixu_build_add_str(&b, 56, dir == FIXU_DIR_OUT ? "CLIENT1" : "EXEC");
	fixu_build_add_u64(&b, 34, seq);
	fixu_build_add_str(&b, 52, "20261205-12:00:00.000");
	fixu_build_add_str(&b, 11, "ORDER-0000000001");
	if (fixu_build_finish(&b, &raw) == 0 && raw.n < sizeof(msgbuf)) {
		memcpy(msgbuf, raw.p, raw.n);
		r.raw.p = msgbuf;
		r.raw.n = raw.n;
	}
	fixu_build_fini(&b);
	r.session = sess;
	r.dir = dir;
	r.seq = seq;
	r.msgtype = dir == FIXU_DIR_OUT ? FIXU_STR("8") : FIXU_STR("D");
	return r;
}

static int
app(struct fixu_store *st, int64_t sess, int dir, uint64_t seq)
{
	struct fixu_rec r = mkrec(sess, dir, seq);

	return fixu_store_append(st, &r, NULL);
}

static int
count_one(const struct fixu_rec *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
count(struct fixu_store *st, int64_t sess)
{
	struct fixu_query q;
	int n = 0;

	memset(&q, 0, sizeof(q));
	q.session = sess;
	q.epoch = -1;
	q.dir = -1;
	if (fixu_store_range(st, &q, count_one, &n, NULL) < 0)
		return -1;
	return n;
}

static uint64_t
problems(struct fixu_store *st, int64_t sess)
{
	uint64_t n = 99;

	if (fixu_store_verify(st, sess, NULL, NULL, &n, NULL) < 0)
		return 1000;
	return n;
}

/* STORE-log's size, -1 when it is not. */
static long
log_size(const char *dbpath)
{
	char p[4200];
	struct stat sb;
	int r = snprintf(p, sizeof(p), "%s-log", dbpath);

	if (r < 0 || (size_t)r >= sizeof(p) || stat(p, &sb) != 0)
		return -1;
	return (long)sb.st_size;
}

static int
exists(const char *dbpath)
{
	return log_size(dbpath) >= 0;
}

/* The msglog row's offset, read with SQLite; -1 on error. */
static long long
db_off(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	long long v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT off FROM msglog", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/*
 * A VFS over the default one that counts syncs of databases and of WALs:
 * its files are the default VFS's, with xSync swapped.
 */
static sqlite3_vfs count_vfs, *real_vfs;
static const sqlite3_io_methods *real_db, *real_wal;
static sqlite3_io_methods io_db, io_wal;
static int nsync[2];		/* of databases, of WALs */

static int
count_sync(sqlite3_file *f, int flags)
{
	int wal = f->pMethods == &io_wal;

	__atomic_add_fetch(&nsync[wal], 1, __ATOMIC_RELAXED);
	return (wal ? real_wal : real_db)->xSync(f, flags);
}

/* The first file of each kind says what the default VFS gives it. */
static void
swap_sync(sqlite3_file *f, const sqlite3_io_methods **real,
    sqlite3_io_methods *io)
{
	if (*real == NULL) {
		*real = f->pMethods;
		*io = **real;
		io->xSync = count_sync;
	}
	if (f->pMethods == *real)
		f->pMethods = io;
}

static int
count_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out);

	(void)v;
	if (rc != SQLITE_OK || f->pMethods == NULL)
		return rc;
	if (flags & SQLITE_OPEN_MAIN_DB)
		swap_sync(f, &real_db, &io_db);
	else if (flags & SQLITE_OPEN_WAL)
		swap_sync(f, &real_wal, &io_wal);
	return rc;
}

static int
count_syncs(void)
{
	if ((real_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return SQLITE_ERROR;
	count_vfs = *real_vfs;
	count_vfs.zName = "fixu-test-count";
	count_vfs.xOpen = count_open;
	return sqlite3_vfs_register(&count_vfs, 1);
}

#define SYNC_ANY	2

/* Syncs of databases (0), WALs (1) or both (SYNC_ANY) over ms ms. */
static int
syncs_over(int kind, int ms)
{
	int before[2], k, n = 0;

	for (k = 0; k < 2; k++)
		before[k] = __atomic_load_n(&nsync[k], __ATOMIC_RELAXED);
	usleep((useconds_t)ms * 1000);
	for (k = 0; k < 2; k++)
		if (kind == SYNC_ANY || kind == k)
			n += __atomic_load_n(&nsync[k], __ATOMIC_RELAXED) -
			    before[k];
	return n;
}

/*
 * Syncs of either kind over 400 ms, once 1.2 s went by without one (the
 * mover flushes a second after its last flush) or after 10 s: what an
 * idle store goes on syncing.
 */
static int
idle_syncs(void)
{
	int t, quiet = 0;

	for (t = 0; t < 200 && quiet < 24; t++)
		quiet = syncs_over(SYNC_ANY, 50) > 0 ? 0 : quiet + 1;
	return syncs_over(SYNC_ANY, 400);
}

/* ---- tests ---- */

static void
test_basic(void)
{
	char path[4200];
	struct fixu_store *st, *st2 = NULL;
	struct fixu_diag d;
	struct fixu_sess s;
	int64_t id;
	uint64_t i;
	int rc;

	if ((st = sopen(newpath(path, sizeof(path)), 1)) == NULL) {
		ok(0, "open with the log");
		return;
	}
	ok(exists(path), "open with the log makes STORE-log");
	id = mksess(st, SID);
	ok(id > 0, "session created (a write that goes to the database)");
	for (i = 1; i <= 10; i++) {
		app(st, id, FIXU_DIR_IN, i);
		app(st, id, FIXU_DIR_OUT, i);
		if ((rc = fixu_store_commit(st, &d)) < 0)
			break;
	}
	is_int(rc, 0, "10 commits of two appends each");
	ok(log_size(path) > 32, "  they are in the log");
	s = getsess(st, id);
	is_int(s.next_out, 11, "a read sees them: next_out 11");
	is_int(s.next_in, 11, "  next_in 11");
	is_int(s.nmsg_all, 20, "  20 messages");
	is_int(count(st, id), 20, "range gives 20");
	is_int(problems(st, id), 0, "verify: no problem");

	/* A reader in the same batch sees the batch. */
	app(st, id, FIXU_DIR_OUT, 11);
	app(st, id, FIXU_DIR_OUT, 12);
	is_int(count(st, id), 22, "a read inside a batch sees its appends");
	fixu_store_rollback(st);
	is_int(count(st, id), 20, "  and after the rollback, not");
	app(st, id, FIXU_DIR_OUT, 11);
	is_int(fixu_store_commit(st, &d), 0, "the next append after it");
	is_int(problems(st, id), 0, "  verify: no problem (chain reread)");

	/* A rollback of appends that were only in the log's batch. */
	app(st, id, FIXU_DIR_OUT, 12);
	app(st, id, FIXU_DIR_OUT, 13);
	fixu_store_rollback(st);
	app(st, id, FIXU_DIR_OUT, 12);
	is_int(fixu_store_commit(st, &d), 0, "append, rollback, append");
	is_int(getsess(st, id).next_out, 13, "  next_out 13");
	is_int(problems(st, id), 0, "  verify: no problem");

	/* A batch with an event goes to the database whole. */
	app(st, id, FIXU_DIR_IN, 11);
	is_int(fixu_store_event(st, id, 1, "logon", "mixed batch", &d), 0,
	    "an event after an append in one batch");
	app(st, id, FIXU_DIR_OUT, 13);
	is_int(fixu_store_commit(st, &d), 0, "  commit");
	s = getsess(st, id);
	is_int(s.next_in, 12, "  next_in 12");
	is_int(s.next_out, 14, "  next_out 14");
	is_int(problems(st, id), 0, "  verify: no problem");
	app(st, id, FIXU_DIR_OUT, 14);
	is_int(fixu_store_commit(st, &d), 0, "then the log again");

	/* A reset between log commits starts the epoch for the log too. */
	is_int(fixu_store_reset(st, id, "test", &d), 0, "reset");
	app(st, id, FIXU_DIR_OUT, 1);
	is_int(fixu_store_commit(st, &d), 0, "  an append in the new epoch");
	s = getsess(st, id);
	is_int(s.epoch, 2, "  epoch 2");
	is_int(s.next_out, 2, "  next_out 2");
	is_int(problems(st, id), 0, "  verify: no problem");

	/* Another tool resets the session: the next read notices. */
	st2 = sopen(path, 0);
	is_int(st2 != NULL && fixu_store_reset(st2, id, "by another tool",
	    &d) == 0 ? fixu_store_commit(st2, &d) : -1, 0,
	    "another handle resets the session");
	fixu_store_close(st2);
	is_int(getsess(st, id).epoch, 3, "  a read sees epoch 3");
	app(st, id, FIXU_DIR_OUT, 1);
	is_int(fixu_store_commit(st, &d), 0, "  an append after the read");
	is_int(getsess(st, id).next_out, 2, "  goes into epoch 3");
	is_int(problems(st, id), 0, "  verify: no problem");

	is_int(fixu_store_fence(st, "lease", 1), FIXU_EINVAL,
	    "no fencing with the log");
	is_int(sopen_rc(&st2, path, 1, &d), FIXU_EBUSY,
	    "a second writer with the log: EBUSY");
	ok(strstr(d.msg, "in use by another process") != NULL,
	    "  says so: %s", d.msg);
	st2 = sopen(path, 0);
	ok(st2 != NULL, "a writer without the log opens beside it");
	fixu_store_close(st2);
	fixu_store_close(st);
	ok(!exists(path), "a clean close moves everything, removes the log");
	st = sopen(path, 0);
	is_int(count(st, id), 27, "all 27 messages are in the database");
	fixu_store_close(st);
}

/* 20 sessions, interleaved: the mover updates each row once a batch. */
static void
test_sessions(void)
{
	char path[4200], id[64];
	struct fixu_store *st;
	struct fixu_sess s;
	int64_t ids[20];
	uint64_t bad = 0, next[20][2];
	int i, k, dir, wrong = 0;

	if ((st = sopen(newpath(path, sizeof(path)), 1)) == NULL) {
		ok(0, "open");
		return;
	}
	for (k = 0; k < 20; k++) {
		snprintf(id, sizeof(id), "FIX.4.4:EXEC->C%d", k);
		ids[k] = mksess(st, id);
	}
	memset(next, 0, sizeof(next));
	for (i = 1; i <= 300; i++) {
		for (k = 0; k < 20; k++) {
			if ((k + i) % 3 == 0)
				continue;
			dir = i % 2 ? FIXU_DIR_IN : FIXU_DIR_OUT;
			app(st, ids[k], dir, ++next[k][dir]);
		}
		if (fixu_store_commit(st, NULL) < 0)
			break;
	}
	fixu_store_close(st);
	st = sopen(path, 0);
	for (k = 0; k < 20 && st != NULL; k++) {
		s = getsess(st, ids[k]);
		bad += problems(st, ids[k]);
		if (s.next_in != next[k][FIXU_DIR_IN] + 1 ||
		    s.next_out != next[k][FIXU_DIR_OUT] + 1 || next[k][0] < 90 ||
		    s.nmsg_all != (uint64_t)count(st, ids[k]))
			wrong++;
	}
	ok(st != NULL && wrong == 0,
	    "20 sessions interleaved: next numbers and counts right");
	is_int(bad, 0, "  verify: no problem in any");
	fixu_store_close(st);
}

/*
 * The mover's WAL is copied back only at the length the store sets, not
 * at SQLite's 1,000 pages (about 1 MB, restarted after each copy): that
 * was six times a second at 10,000 orders/s, and it set fixsession's p99.
 */
static void
test_ckpt(void)
{
	char path[4200], wal[4300];
	struct fixu_store *st;
	struct stat sb;
	int64_t id, saved = fixu_mover_ckpt_bytes;
	int i;

	/* Raised, so that not even a lull (the test descheduled for 0.1 s)
	   copies the 9 MB back. */
	fixu_mover_ckpt_bytes = 256 << 20;
	st = sopen(newpath(path, sizeof(path)), 1);
	fixu_mover_ckpt_bytes = saved;
	if (st == NULL || (id = mksess(st, SID)) < 0) {
		ok(0, "the mover's WAL: store opened");
		return;
	}
	for (i = 1; i <= 40000; i++) {
		app(st, id, FIXU_DIR_OUT, (uint64_t)i);
		if (fixu_store_commit(st, NULL) < 0)
			break;
	}
	/* A read moves everything first. */
	is_int(getsess(st, id).next_out, 40001, "40,000 commits moved");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) != 0)
		sb.st_size = -1;
	ok(sb.st_size > 6000000, "  the WAL holds them all, not copied "
	    "back at 1,000 pages (%lld bytes)", (long long)sb.st_size);
	fixu_store_close(st);
}

/*
 * The checkpointer's looks at the WAL (in frames): the store's thread
 * passes from catchup on; the mover's (lazy) waits for a lull, a look
 * that finds the WAL grown by less than quiet, or for hard, and then goes
 * on until a pass copied the whole WAL.
 */
static void
test_ckpt_look(void)
{
	struct fixu_ckpt_look l = { 100, 1, 200, 10, 0, 0, -1 };
	int r[11];

	r[0] = fixu_ckpt_look(&l, 50);
	r[1] = fixu_ckpt_look(&l, 120);
	r[2] = fixu_ckpt_look(&l, 125);
	r[3] = fixu_ckpt_look(&l, 180);
	l.done = 180;
	r[4] = fixu_ckpt_look(&l, 180);
	r[5] = fixu_ckpt_look(&l, 190);
	r[6] = fixu_ckpt_look(&l, 230);
	r[7] = fixu_ckpt_look(&l, 20);
	is_int(r[0], 0, "lazy look: below catchup, not behind");
	is_int(r[1], 0, "  past it and grown by 70 frames (load): not behind");
	is_int(r[2], 1, "  grown by 5 (less than quiet, a lull): behind");
	is_int(r[3], 1, "  and still behind as it grows again");
	is_int(r[4], 0, "  a pass copied the whole WAL: not behind");
	is_int(r[5], 0, "  grown by 10 (load): not behind");
	is_int(r[6], 1, "  at hard, under load: behind");
	is_int(r[7], 0, "  the WAL restarted: not behind");
	l = (struct fixu_ckpt_look){ 100, 0, 100, 10, 0, 0, -1 };
	r[8] = fixu_ckpt_look(&l, 150);
	l.done = 150;
	r[9] = fixu_ckpt_look(&l, 150);
	r[10] = fixu_ckpt_look(&l, 400);
	is_int(r[8], 1, "store's look: past catchup, under load: behind");
	is_int(r[9], 0, "  copied whole: not behind");
	is_int(r[10], 1, "  grown: behind again");
}

/*
 * With the mover's checkpoint length lowered to 2 MB: a WAL below that is
 * copied back by the checkpointer thread in a lull (from 128 KB), and the
 * thread then syncs nothing more; under load the thread copies from 2 MB,
 * the mover's own catch-up from 4 MB, and the WAL restarts.
 */
static void
test_ckpt_thread(void)
{
	char path[4200], wal[4300];
	struct fixu_store *st;
	struct stat sb;
	int64_t id, saved = fixu_mover_ckpt_bytes;
	long db0, db1 = -1, w, walmax = 0;
	int i, t, n;

	fixu_mover_ckpt_bytes = 2 << 20;
	st = sopen(newpath(path, sizeof(path)), 1);
	fixu_mover_ckpt_bytes = saved;
	if (st == NULL || (id = mksess(st, SID)) < 0) {
		ok(0, "the checkpointer: store opened");
		return;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	/* About 230 bytes of WAL each: 1.4 MB. */
	for (i = 1; i <= 6000; i++) {
		app(st, id, FIXU_DIR_OUT, (uint64_t)i);
		if (fixu_store_commit(st, NULL) < 0)
			break;
	}
	is_int(getsess(st, id).next_out, 6001, "6,000 commits moved");
	db0 = stat(path, &sb) == 0 ? (long)sb.st_size : -1;
	w = stat(wal, &sb) == 0 ? (long)sb.st_size : -1;
	ok(w > 0 && w < (2 << 20), "  the WAL is below 2 MB (%ld bytes)", w);
	/* The thread passes within CKPT_LAZY_MS of the lull. */
	for (t = 0; t < 500; t++) {
		db1 = stat(path, &sb) == 0 ? (long)sb.st_size : -1;
		if (db1 > 1000000)
			break;
		usleep(10000);
	}
	ok(db1 > 1000000, "  in the lull the checkpointer copied it into "
	    "the database (%ld -> %ld bytes)", db0, db1);
	n = idle_syncs();
	is_int(n, 0, "  then, idle, nothing syncs again");
	for (i = 6001; i <= 40000; i++) {
		app(st, id, FIXU_DIR_OUT, (uint64_t)i);
		if (fixu_store_commit(st, NULL) < 0)
			break;
		if (i % 2000 == 0) {
			(void)getsess(st, id);	/* moves */
			if (stat(wal, &sb) == 0 && sb.st_size > walmax)
				walmax = (long)sb.st_size;
		}
	}
	is_int(getsess(st, id).next_out, 40001, "40,000 commits moved");
	ok(walmax > 0 && walmax < (7 << 20), "  the WAL restarted: never "
	    "past 7 MB (%ld bytes; 9 MB without)", walmax);
	is_int(problems(st, id), 0, "  verify: no problem");
	fixu_store_close(st);
}

/* A writer with the log, killed after n commits; its session id. */
static int64_t
killed_writer(const char *path, int n)
{
	struct fixu_store *st;
	pid_t pid;
	int64_t id;
	int i, status, p[2];

	if (pipe(p) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(p[0]);
		if ((st = sopen(path, 1)) == NULL || (id = mksess(st, SID)) < 0)
			_exit(1);
		for (i = 1; i <= n; i++) {
			app(st, id, FIXU_DIR_OUT, (uint64_t)i);
			if (fixu_store_commit(st, NULL) < 0)
				_exit(1);
			/* A read moves and flushes the log: the writer
			   wraps as soon as it is past fixu_mlog_wrap. */
			if (i % 2000 == 0 && getsess(st, id).next_out !=
			    (uint64_t)i + 1)
				_exit(1);
		}
		if (write(p[1], &id, sizeof(id)) != sizeof(id))
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	close(p[1]);
	id = -1;
	if (read(p[0], &id, sizeof(id)) != sizeof(id))
		id = -1;
	close(p[0]);
	waitpid(pid, &status, 0);
	return id;
}

/*
 * Idle stores sync nothing: the store's own checkpointer, once it has
 * copied the WAL whole, and the mover, which flushes what it moved in the
 * first lull (after a second at most) and then has nothing to flush.
 */
static void
test_idle_syncs(void)
{
	char path[4200];
	struct fixu_store *st;
	int64_t id;
	int i, t, n = 0;

	if ((st = sopen(newpath(path, sizeof(path)), 0)) == NULL ||
	    (id = mksess(st, SID)) < 0) {
		ok(0, "idle syncs: store opened");
		return;
	}
	for (i = 1; i <= 50; i++) {
		app(st, id, FIXU_DIR_OUT, (uint64_t)i);
		(void)fixu_store_commit(st, NULL);
	}
	n = idle_syncs();
	is_int(n, 0, "store without the log: idle, its checkpointer syncs "
	    "nothing");
	fixu_store_close(st);

	if ((st = sopen(newpath(path, sizeof(path)), 1)) == NULL ||
	    (id = mksess(st, SID)) < 0) {
		ok(0, "idle syncs: store with the log opened");
		return;
	}
	for (i = 1; i <= 2000; i++) {
		app(st, id, FIXU_DIR_OUT, (uint64_t)i);
		(void)fixu_store_commit(st, NULL);
	}
	for (t = 0; t < 500 && (n = syncs_over(1, 10)) == 0; t++)
		;
	ok(n > 0, "store with the log: the mover flushed 2,000 moved "
	    "commits in the lull after them");
	n = idle_syncs();
	is_int(n, 0, "  then, idle, nothing syncs again");
	is_int(count(st, id), 2000, "  2,000 messages");
	fixu_store_close(st);
}

static int
all_syncs(void)
{
	return __atomic_load_n(&nsync[0], __ATOMIC_RELAXED) +
	    __atomic_load_n(&nsync[1], __ATOMIC_RELAXED);
}

/*
 * StoreDurability=process syncs nothing while it runs, with or without
 * the log: not the checkpointer copying the WAL into the database, not
 * the mover's flush in the lull after its moves; a clean close syncs.
 */
static void
test_process_syncs(void)
{
	char path[4200];
	struct fixu_store *st;
	struct stat sb;
	int64_t id;
	int log, i, t, n0;

	for (log = 0; log <= 1; log++) {
		open_dur = FIXU_DUR_PROCESS;
		st = sopen(newpath(path, sizeof(path)), log);
		open_dur = FIXU_DUR_NORMAL;
		if (st == NULL || (id = mksess(st, SID)) < 0) {
			ok(0, "process, log %d: store opened", log);
			fixu_store_close(st);
			continue;
		}
		/* Making the file (WAL mode, the schema) may sync. */
		n0 = all_syncs();
		for (i = 1; i <= 3000; i++) {
			app(st, id, i % 2 ? FIXU_DIR_IN : FIXU_DIR_OUT,
			    (uint64_t)(i + 1) / 2);
			(void)fixu_store_commit(st, NULL);
		}
		/* The checkpointer copies every 20 ms; the mover flushes a
		   second after its last flush. */
		for (t = 0; t < 100; t++) {
			if (stat(path, &sb) == 0 && sb.st_size > 300000)
				break;
			usleep(20000);
		}
		usleep(1500000);
		is_int(all_syncs() - n0, 0, "process, %s: 3,000 commits, "
		    "checkpoints and a lull sync nothing", log ? "log" :
		    "no log");
		if (!log)
			ok(sb.st_size > 300000, "  the checkpointer copied "
			    "them into the database (%lld bytes)",
			    (long long)sb.st_size);
		is_int(count(st, id), 3000, "  3,000 messages");
		n0 = all_syncs();
		fixu_store_close(st);
		ok(all_syncs() > n0, "  a clean close syncs");
		if ((st = sopen(path, 0)) == NULL ||
		    (id = mksess(st, SID)) < 0)
			ok(0, "  reopened");
		else
			is_int(count(st, id), 3000, "  reopened, 3,000 "
			    "messages");
		fixu_store_close(st);
	}
}

static void
test_crash(void)
{
	char path[4200];
	struct fixu_store *st;
	int64_t id;
	long before;

	/* 30,000 records of about 220 bytes (6.6 MB) in a log that wraps
	   after 1 MB: it has started new generations over the old. */
	fixu_mlog_wrap = 1u << 20;
	id = killed_writer(newpath(path, sizeof(path)), 30000);
	ok(id > 0, "writer killed after 30,000 commits");
	before = log_size(path);
	ok(before > 0 && before < 3000000, "  it left its log, wrapped "
	    "(%ld bytes)", before);
	st = sopen(path, 0);
	ok(st != NULL, "the next writer opens the store");
	if (st == NULL)
		return;
	is_int(count(st, id), 30000, "  and finds every committed message");
	is_int(getsess(st, id).next_out, 30001, "  next_out 30001");
	is_int(problems(st, id), 0, "  verify: no problem");
	fixu_store_close(st);
	ok(!exists(path), "  the log was moved and removed");

	/* Killed again, then a writer with the log takes over. */
	id = killed_writer(newpath(path, sizeof(path)), 200);
	st = sopen(path, 1);
	ok(st != NULL, "a writer with the log after a kill");
	if (st == NULL)
		return;
	is_int(getsess(st, id).next_out, 201, "  next_out 201");
	app(st, id, FIXU_DIR_OUT, 201);
	is_int(fixu_store_commit(st, NULL), 0, "  and goes on");
	is_int(count(st, id), 201, "  201 messages");
	is_int(problems(st, id), 0, "  verify: no problem");
	fixu_store_close(st);
}

/*
 * A log written by hand: n commits of one outbound message each (and one
 * commit of two at the end when two is set), with a store whose session
 * has not seen any of them.  The records' chain values are not the
 * store's (verify would say so): these tests count and compare numbers.
 */
static int64_t
handmade(const char *path, int n, int two, long *offs)
{
	struct fixu_store *st;
	struct fixu_mlog *m;
	struct fixu_buf b;
	struct fixu_rec r;
	int64_t id;
	int i;

	if ((st = sopen(path, 0)) == NULL || (id = mksess(st, SID)) < 0)
		return -1;
	fixu_store_close(st);
	if (fixu_mlog_open(&m, path, 1, 0, NULL) < 0)
		return -1;
	fixu_buf_init(&b, 0);
	for (i = 1; i <= n + (two ? 1 : 0); i++) {
		if (offs != NULL)
			offs[i] = log_size(path);
		r = mkrec(id, FIXU_DIR_OUT, (uint64_t)i);
		r.epoch = 1;
		fixu_mlog_encode(&b, &r);
		if (two && i == n) {
			r = mkrec(id, FIXU_DIR_OUT, (uint64_t)++i);
			r.epoch = 1;
			fixu_mlog_encode(&b, &r);
		}
		if (fixu_mlog_commit(m, &b, NULL) < 0)
			return -1;
		fixu_buf_reset(&b);
	}
	fixu_buf_fini(&b);
	fixu_mlog_close(m, 0);
	return id;
}

static int
cut(const char *dbpath, long by)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s-log", dbpath);
	return truncate(p, log_size(dbpath) - by);
}

static int
poke(const char *dbpath, long off, const void *bytes, size_t n, int append)
{
	char p[4200];
	FILE *f;
	int rc;

	snprintf(p, sizeof(p), "%s-log", dbpath);
	if ((f = fopen(p, "r+")) == NULL)
		return -1;
	rc = append ? fseek(f, 0, SEEK_END) : fseek(f, off, SEEK_SET);
	if (rc == 0 && fwrite(bytes, 1, n, f) != n)
		rc = -1;
	return fclose(f) != 0 ? -1 : rc;
}

static void
test_damage(void)
{
	char path[4200];
	static const char zeros[4096];
	struct fixu_store *st = NULL;
	struct fixu_diag d;
	long offs[8];
	int64_t id;
	int rc;

	id = handmade(newpath(path, sizeof(path)), 5, 0, NULL);
	st = sopen(path, 0);
	ok(st != NULL && count(st, id) == 5, "a log of 5 commits: 5 moved");
	is_int(getsess(st, id).next_out, 6, "  next_out 6");
	fixu_store_close(st);
	ok(!exists(path), "  log removed");

	id = handmade(newpath(path, sizeof(path)), 5, 0, NULL);
	cut(path, 3);
	st = sopen(path, 0);
	ok(st != NULL && count(st, id) == 4,
	    "the last record cut short (a crash in write): 4 moved");
	fixu_store_close(st);

	id = handmade(newpath(path, sizeof(path)), 4, 1, NULL);
	cut(path, 3);
	st = sopen(path, 0);
	ok(st != NULL && count(st, id) == 3,
	    "a commit of two with its second cut short: neither moved");
	is_int(getsess(st, id).next_out, 4, "  next_out 4");
	fixu_store_close(st);

	id = handmade(newpath(path, sizeof(path)), 5, 0, NULL);
	poke(path, 0, zeros, sizeof(zeros), 1);
	st = sopen(path, 0);
	ok(st != NULL && count(st, id) == 5,
	    "zeros after the last record (power loss): 5 moved");
	fixu_store_close(st);

	id = handmade(newpath(path, sizeof(path)), 5, 0, offs);
	poke(path, offs[2] + 90, "X", 1, 0);
	st = NULL;
	rc = sopen_rc(&st, path, 0, &d);
	is_int(rc, FIXU_ECORRUPT,
	    "a damaged record with records after it: ECORRUPT");
	ok(strstr(d.msg, "offset") != NULL && d.off == (size_t)offs[2],
	    "  with its offset %ld: %s", offs[2], d.msg);
	fixu_store_close(st);
	ok(exists(path), "  the log is kept");
	is_int(db_off(path), 0, "  nothing was moved");

	id = handmade(newpath(path, sizeof(path)), 2, 0, NULL);
	poke(path, 0, "NOTALOG!", 8, 0);
	st = NULL;
	is_int(sopen_rc(&st, path, 0, &d), FIXU_ECORRUPT,
	    "a bad header: ECORRUPT");
	ok(strstr(d.msg, "not a fixutil message log") != NULL, "  %s", d.msg);
	fixu_store_close(st);
	(void)id;
}

static void
rmtree(void)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");
	int r;

	r = snprintf(tmpdir, sizeof(tmpdir), "%s/test_msglog.XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp");
	if (r < 0 || (size_t)r >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	/* Before any store: the store's own VFS (walbuf.c) goes over the
	   default one it finds at its first open. */
	if (count_syncs() != SQLITE_OK) {
		printf("# cannot register a VFS\n");
		return 1;
	}
	test_basic();
	test_sessions();
	test_ckpt();
	test_ckpt_look();
	test_ckpt_thread();
	test_idle_syncs();
	test_process_syncs();
	test_crash();
	test_damage();
	rmtree();
	return tap_done();
}
