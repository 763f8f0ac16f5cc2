/*
 * test_walbuf.c -- the WAL-buffering VFS: what a writer through it
 * commits is in the file for a reader through SQLite's own VFS at once,
 * big and spilled transactions stay whole, rollbacks leave nothing, and
 * a commit costs one write(2) where SQLite's own VFS makes two a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
#include "walbuf.h"

static char tmpdir[4096];

static sqlite3 *
opendb(const char *path, const char *vfs)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	if (rc != SQLITE_OK)
		printf("#   %s: %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	return rc;
}

static long long
one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static const char *
text1(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *s;

	snprintf(out, n, "(none)");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return out;
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

/* Rows of n bytes each, in one transaction of its own. */
static int
insert(sqlite3 *db, int rows, int n)
{
	sqlite3_stmt *s;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(db, "INSERT INTO t (k, v) VALUES (?1, "
	    "randomblob(?2))", -1, &s, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	for (i = 0; i < rows && rc == SQLITE_OK; i++) {
		sqlite3_bind_int(s, 1, i);
		sqlite3_bind_int(s, 2, n);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc;
}

/* Write system calls of this process so far (/proc/self/io), or -1. */
static long long
syscw(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "syscw: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Write calls for one small commit touching the table and 3 indexes. */
static long long
writes_per_commit(sqlite3 *db)
{
	long long w0, w1;

	w0 = syscw();
	if (exec(db, "INSERT INTO t (k, v) VALUES (1, x'00')") != SQLITE_OK)
		return -2;
	w1 = syscw();
	return w0 < 0 || w1 < 0 ? -1 : w1 - w0;
}

static void
test_basics(void)
{
	char path[4200], buf[64];
	const char *vfs = fixu_walbuf_vfs();
	sqlite3 *w, *r;
	long long n;
	int i;

	ok(vfs != NULL, "the VFS registers");
	is_str(fixu_walbuf_vfs(), vfs, "  once: the same name again");
	snprintf(path, sizeof(path), "%s/a.db", tmpdir);
	if ((w = opendb(path, vfs)) == NULL || (r = opendb(path, NULL)) ==
	    NULL) {
		ok(0, "open");
		return;
	}
	text1(w, "PRAGMA journal_mode = WAL", buf, sizeof(buf));
	is_str(buf, "wal", "WAL mode through the VFS");
	exec(w, "PRAGMA synchronous = NORMAL");
	exec(w, "PRAGMA wal_autocheckpoint = 0");
	exec(w, "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v BLOB)");
	exec(w, "CREATE INDEX t_k ON t(k)");
	exec(w, "CREATE INDEX t_v ON t(v)");
	exec(w, "CREATE INDEX t_kv ON t(k, v)");
	for (i = 1; i <= 200; i++) {
		if (insert(w, 1, 100) != SQLITE_OK ||
		    one(r, "SELECT count(*) FROM t") != i)
			break;
	}
	is_int(i, 201, "200 one-row commits, each seen by a plain reader "
	    "at once");

	/* Past the buffer: flushed in pieces, committed whole. */
	exec(w, "BEGIN");
	insert(w, 400, 1500);
	n = one(r, "SELECT count(*) FROM t");
	is_int(n, 200, "a big transaction unseen before its commit");
	exec(w, "COMMIT");
	is_int(one(r, "SELECT count(*) FROM t"), 600, "  all 400 rows after");

	/* A transaction bigger than the page cache spills frames early and
	 * rewrites them; a rollback of one leaves nothing behind. */
	exec(w, "PRAGMA cache_size = 8");
	exec(w, "BEGIN");
	insert(w, 300, 3000);
	exec(w, "UPDATE t SET k = k + 1");
	exec(w, "COMMIT");
	is_int(one(r, "SELECT count(*) FROM t"), 900,
	    "a spilled transaction: all rows");
	is_int(one(r, "SELECT count(*) FROM t WHERE k = 0"), 0,
	    "  and its updates to pages written twice");
	exec(w, "BEGIN");
	insert(w, 300, 3000);
	exec(w, "ROLLBACK");
	is_int(one(r, "SELECT count(*) FROM t"), 900,
	    "a spilled transaction rolled back: no row");
	exec(w, "PRAGMA cache_size = -2000");
	is_int(insert(w, 5, 10), SQLITE_OK, "  and the writer goes on");
	is_int(one(r, "SELECT count(*) FROM t"), 905, "  seen");

	/* The WAL copied back and restarted from its start. */
	is_int(exec(r, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK,
	    "a checkpoint by the plain connection");
	is_int(insert(w, 3, 10), SQLITE_OK, "a commit into the restarted WAL");
	is_int(one(r, "SELECT count(*) FROM t"), 908, "  seen");
	text1(r, "PRAGMA integrity_check", buf, sizeof(buf));
	is_str(buf, "ok", "integrity_check by the plain connection");

	/* What it is for: one write for the frames of a commit. */
	n = writes_per_commit(w);
	if (n == -1) {
		ok(1, "# SKIP /proc/self/io not readable");
		ok(1, "# SKIP /proc/self/io not readable");
	} else {
		is_int(n, 1, "a 4-page commit: one write call");
		n = writes_per_commit(r);
		ok(n >= 8, "  where SQLite's own VFS makes %lld", n);
	}
	sqlite3_close(r);
	is_int(sqlite3_close(w), SQLITE_OK, "close");
	w = opendb(path, NULL);
	is_int(one(w, "SELECT count(*) FROM t"), 910,
	    "reopened without the VFS: every row");
	sqlite3_close(w);
	for (i = 0; i < 3; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };

		snprintf(buf, sizeof(buf), "%s", sfx[i]);
		snprintf(path, sizeof(path), "%s/a.db%s", tmpdir, buf);
		unlink(path);
	}
}

int
main(void)
{
	const char *t = getenv("TMPDIR");
	int r;

	r = snprintf(tmpdir, sizeof(tmpdir), "%s/test_walbuf.XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp");
	if (r < 0 || (size_t)r >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_basics();
	rmdir(tmpdir);
	return tap_done();
}
