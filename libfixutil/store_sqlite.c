/*
 * store_sqlite.c -- the SQLite backend of the session store.
 *
 * One database file in WAL mode: readers never wait for the writer, one
 * writer at a time takes the lock with BEGIN IMMEDIATE and a busy timeout.
 * Every statement that runs per message is prepared once per handle
 * (SQLITE_PREPARE_PERSISTENT) and reused, so an append costs one INSERT and
 * one UPDATE by primary key; nothing at open scans a table, so opening a
 * store of any size costs a few page reads.  Needs SQLite 3.24 or later
 * (prepare_v3, UPSERT).
 *
 * The schema (PRAGMA user_version = 3), the source of fixstore(5):
 *
 * sessions -- one row per FIX session, never deleted.
 *   id			INTEGER PRIMARY KEY; referenced by every other table
 *   begin_string	BeginString (8), e.g. FIX.4.4 or FIXT.1.1
 *   sender		SenderCompID (49) of our side
 *   target		TargetCompID (56) of the counterparty
 *   qualifier		SessionQualifier, '' when none; the four form
 *			UNIQUE(begin_string, sender, target, qualifier)
 *   created_ns		CLOCK_REALTIME nanoseconds of creation
 *   epoch		current sequence epoch, from 1; a reset adds one
 *   next_out		next MsgSeqNum to send in the current epoch
 *   next_in		next MsgSeqNum expected in the current epoch
 *   online		1 while an engine has the session logged on
 *   last_activity_ns	time of the last append or online change; 0 never
 *   nmsg_in, nmsg_out	messages of the current epoch per direction, and
 *   nmsg_all		of every epoch; kept by append, reset and purge in
 *			the same transaction, so listings never count rows
 *   chain		32 bytes: hash chain value after the last message
 *   anchor		32 bytes: chain value before the first message kept
 *			(zeros until a purge deletes the oldest messages)
 *
 * messages -- every message of every session, both directions.
 *   id			INTEGER PRIMARY KEY (the rowid): storage order
 *   session		sessions.id
 *   epoch		sequence epoch the message belongs to
 *   dir		0 received (inbound), 1 sent (outbound)
 *   seq		MsgSeqNum (34)
 *   time_ns		CLOCK_REALTIME nanoseconds when stored
 *   msgtype		MsgType (35)
 *   possdup		1 when PossDupFlag (43) is Y
 *   raw		the message exactly as on the wire
 *   hash		32 bytes: BLAKE2b-256(previous chain value ||
 *			le64 epoch || dir byte || le64 seq || le64 time_ns ||
 *			raw), the chain value after this message
 *   Indexes (session, epoch, dir, seq) and (session, time_ns), not unique
 *   on purpose: a duplicate is kept and reported by verify; and (session),
 *   which SQLite keeps in rowid order, so a dump or a follow of one session
 *   streams in storage order without sorting and without scanning other
 *   sessions' messages.
 *
 * epochs -- one row per epoch of a session, the first made with it.
 *   session, epoch	PRIMARY KEY
 *   started_ns		CLOCK_REALTIME nanoseconds
 *   reason		why it started ("created", the reset's reason)
 *   prior_next_out	next numbers of the epoch before (0 for the first)
 *   prior_next_in
 *
 * events -- administrative log (logon, logout, gap, reject, reset ...).
 *   id			INTEGER PRIMARY KEY: order
 *   session, time_ns, kind, text
 *
 * leases -- named leases with fencing tokens.
 *   name		PRIMARY KEY
 *   holder		who holds it, '' when free
 *   token		fencing token of the current or last holder
 *   acquired_ns	CLOCK_MONOTONIC nanoseconds of the holder's host
 *   renewed_ns, expires_ns	likewise; expired when expires_ns <= now
 *
 * lease_tokens -- one row (id 1): last, the largest token ever issued.  It
 *   only grows, so every grant of any lease gets a larger token.
 *
 * credentials -- Logon credentials a counterparty must present.
 *   session		PRIMARY KEY, sessions.id
 *   username		Username (553)
 *   hash		crypto_pwhash_str() string (argon2id) of Password (554)
 *   updated_ns		CLOCK_REALTIME nanoseconds
 *
 * msglog (version 2) -- one row: how far the message log was moved.
 *
 * unsynced (version 3) -- one row (id 1): writers, how many
 *   StoreDurability=process writers opened the store and have not closed
 *   it cleanly, in the boot boot_id (the kernel's random boot id).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"
#include "store.h"
#include "store_int.h"
#include "walbuf.h"

#ifndef SQLITE_OPEN_EXRESCODE
#define SQLITE_OPEN_EXRESCODE	0	/* before 3.37: extended codes below */
#endif

/* ---- schema and migrations ----------------------------------------------- */

/*
 * The page size of new stores.  A commit writes every page it changes to
 * the WAL whole, and the checkpoint writes it again: appending one message
 * changes five pages (the table's last leaf, one leaf of each index, the
 * session's row), 20 KB with SQLite's default 4 KB pages, where the
 * message itself is a few hundred bytes.  With 1 KB pages a commit writes
 * 5 KB.  Stores made with another page size keep it.
 */
#define STORE_PAGE_SIZE	"1024"

/* Version 0 (no schema) to 1. */
static const char *const mig_v1[] = {
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" begin_string TEXT NOT NULL,"
	" sender TEXT NOT NULL,"
	" target TEXT NOT NULL,"
	" qualifier TEXT NOT NULL DEFAULT '',"
	" created_ns INTEGER NOT NULL,"
	" epoch INTEGER NOT NULL DEFAULT 1,"
	" next_out INTEGER NOT NULL DEFAULT 1,"
	" next_in INTEGER NOT NULL DEFAULT 1,"
	" online INTEGER NOT NULL DEFAULT 0,"
	" last_activity_ns INTEGER NOT NULL DEFAULT 0,"
	" nmsg_in INTEGER NOT NULL DEFAULT 0,"
	" nmsg_out INTEGER NOT NULL DEFAULT 0,"
	" nmsg_all INTEGER NOT NULL DEFAULT 0,"
	" chain BLOB NOT NULL,"
	" anchor BLOB NOT NULL,"
	" UNIQUE (begin_string, sender, target, qualifier))",
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" session INTEGER NOT NULL REFERENCES sessions(id),"
	" epoch INTEGER NOT NULL,"
	" dir INTEGER NOT NULL CHECK (dir IN (0, 1)),"
	" seq INTEGER NOT NULL,"
	" time_ns INTEGER NOT NULL,"
	" msgtype TEXT NOT NULL,"
	" possdup INTEGER NOT NULL DEFAULT 0,"
	" raw BLOB NOT NULL,"
	" hash BLOB NOT NULL)",
	"CREATE INDEX messages_seq ON messages(session, epoch, dir, seq)",
	"CREATE INDEX messages_time ON messages(session, time_ns)",
	"CREATE INDEX messages_session ON messages(session)",
	"CREATE TABLE epochs ("
	" session INTEGER NOT NULL REFERENCES sessions(id),"
	" epoch INTEGER NOT NULL,"
	" started_ns INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" prior_next_out INTEGER NOT NULL,"
	" prior_next_in INTEGER NOT NULL,"
	" PRIMARY KEY (session, epoch))",
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" session INTEGER NOT NULL REFERENCES sessions(id),"
	" time_ns INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" text TEXT NOT NULL)",
	"CREATE INDEX events_session ON events(session, id)",
	"CREATE TABLE leases ("
	" name TEXT PRIMARY KEY,"
	" holder TEXT NOT NULL DEFAULT '',"
	" token INTEGER NOT NULL,"
	" acquired_ns INTEGER NOT NULL,"
	" renewed_ns INTEGER NOT NULL,"
	" expires_ns INTEGER NOT NULL)",
	"CREATE TABLE lease_tokens ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" last INTEGER NOT NULL)",
	"INSERT INTO lease_tokens VALUES (1, 0)",
	"CREATE TABLE credentials ("
	" session INTEGER PRIMARY KEY REFERENCES sessions(id),"
	" username TEXT NOT NULL,"
	" hash TEXT NOT NULL,"
	" updated_ns INTEGER NOT NULL)",
	NULL
};

/*
 * Version 1 to 2: where the message log (StoreLog=Y) has been moved to,
 * updated in the transaction that moves its records.
 */
static const char *const mig_v2[] = {
	"CREATE TABLE msglog ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" gen INTEGER NOT NULL,"
	" off INTEGER NOT NULL)",
	"INSERT INTO msglog VALUES (1, 0, 0)",
	NULL
};

/*
 * Version 2 to 3: the StoreDurability=process writers that have the store
 * open, and the boot they run in (nosync_mark()).
 */
static const char *const mig_v3[] = {
	"CREATE TABLE unsynced ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" boot_id TEXT NOT NULL,"
	" writers INTEGER NOT NULL)",
	"INSERT INTO unsynced VALUES (1, '', 0)",
	NULL
};

/*
 * migrations[v] takes a store from version v to v + 1; all steps from the
 * file's version up run in one transaction, with user_version set at the
 * end, so a migration is applied whole or not at all.  A schema change
 * adds an array here and raises FIXU_STORE_SCHEMA.
 */
static const char *const *const migrations[FIXU_STORE_SCHEMA] = {
	mig_v1,
	mig_v2,
	mig_v3,
};

/* ---- prepared statements ------------------------------------------------- */

#define SESS_COLS \
	"s.id, s.begin_string, s.sender, s.target, s.qualifier," \
	" s.created_ns, s.epoch, s.next_out, s.next_in, s.online," \
	" s.last_activity_ns, s.nmsg_in, s.nmsg_out, s.nmsg_all, s.chain," \
	" s.anchor, EXISTS (SELECT 1 FROM credentials c" \
	" WHERE c.session = s.id)"
#define MSG_COLS \
	"m.id, m.session, m.epoch, m.dir, m.seq, m.time_ns, m.msgtype," \
	" m.possdup, m.raw, m.hash"
#define LEASE_COLS \
	"name, holder, token, acquired_ns, renewed_ns, expires_ns"

enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_FENCE,
	ST_SESS_SID, ST_SESS_ID, ST_SESS_LIST, ST_SESS_ADD, ST_EPOCH_ADD,
	ST_MSG_ADD, ST_MSG_SESS, ST_MSG_SESS_N,
	ST_NEXT_OUT, ST_NEXT_IN, ST_ONLINE, ST_EPOCH_NEW, ST_EPOCH_SESS,
	ST_EVENT_ADD, ST_EVENTS, ST_EPOCHS,
	ST_LEASE_GET, ST_LEASE_LIST, ST_TOKEN_BUMP, ST_TOKEN_GET,
	ST_LEASE_PUT, ST_LEASE_RENEW, ST_LEASE_RELEASE, ST_LEASE_BREAK,
	ST_CRED_SET, ST_CRED_CLEAR, ST_CRED_GET,
	ST_MLOG_GET, ST_MLOG_SET,
	ST_N
};

static const char *const stmt_sql[ST_N] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_FENCE] = "SELECT holder, token FROM leases WHERE name = ?1",
	[ST_SESS_SID] = "SELECT " SESS_COLS " FROM sessions s"
	    " WHERE begin_string = ?1 AND sender = ?2 AND target = ?3"
	    " AND qualifier = ?4",
	[ST_SESS_ID] = "SELECT " SESS_COLS " FROM sessions s WHERE id = ?1",
	[ST_SESS_LIST] = "SELECT " SESS_COLS " FROM sessions s ORDER BY id",
	[ST_SESS_ADD] = "INSERT INTO sessions (begin_string, sender, target,"
	    " qualifier, created_ns, chain, anchor)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, zeroblob(32), zeroblob(32))",
	[ST_EPOCH_ADD] = "INSERT INTO epochs VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_MSG_ADD] = "INSERT INTO messages (session, epoch, dir, seq,"
	    " time_ns, msgtype, possdup, raw, hash)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* ?1 id, ?2 chain, ?3 epoch, ?4 dir, ?5 seq, ?6 time */
	[ST_MSG_SESS] = "UPDATE sessions SET chain = ?2,"
	    " nmsg_all = nmsg_all + 1,"
	    " nmsg_in = nmsg_in + (?3 = epoch AND ?4 = 0),"
	    " nmsg_out = nmsg_out + (?3 = epoch AND ?4 = 1),"
	    " next_in = CASE WHEN ?3 = epoch AND ?4 = 0 AND ?5 >= next_in"
	    "  THEN ?5 + 1 ELSE next_in END,"
	    " next_out = CASE WHEN ?3 = epoch AND ?4 = 1 AND ?5 >= next_out"
	    "  THEN ?5 + 1 ELSE next_out END,"
	    " last_activity_ns = max(last_activity_ns, ?6)"
	    " WHERE id = ?1",
	/* The same for many messages: ?1 id, ?2 chain, ?3 messages, ?4 the
	   latest epoch among them, ?5/?6 inbound/outbound ones of that
	   epoch, ?7/?8 their highest seq, ?9 the latest time. */
	[ST_MSG_SESS_N] = "UPDATE sessions SET chain = ?2,"
	    " nmsg_all = nmsg_all + ?3,"
	    " nmsg_in = nmsg_in + CASE WHEN ?4 = epoch THEN ?5 ELSE 0 END,"
	    " nmsg_out = nmsg_out + CASE WHEN ?4 = epoch THEN ?6 ELSE 0 END,"
	    " next_in = CASE WHEN ?4 = epoch AND ?5 > 0 AND ?7 >= next_in"
	    "  THEN ?7 + 1 ELSE next_in END,"
	    " next_out = CASE WHEN ?4 = epoch AND ?6 > 0 AND ?8 >= next_out"
	    "  THEN ?8 + 1 ELSE next_out END,"
	    " last_activity_ns = max(last_activity_ns, ?9)"
	    " WHERE id = ?1",
	[ST_NEXT_OUT] = "UPDATE sessions SET next_out = ?2 WHERE id = ?1",
	[ST_NEXT_IN] = "UPDATE sessions SET next_in = ?2 WHERE id = ?1",
	[ST_ONLINE] = "UPDATE sessions SET online = ?2,"
	    " last_activity_ns = max(last_activity_ns, ?3) WHERE id = ?1",
	[ST_EPOCH_NEW] = "INSERT INTO epochs SELECT id, epoch + 1, ?2, ?3,"
	    " next_out, next_in FROM sessions WHERE id = ?1",
	[ST_EPOCH_SESS] = "UPDATE sessions SET epoch = epoch + 1,"
	    " next_out = 1, next_in = 1, nmsg_in = 0, nmsg_out = 0"
	    " WHERE id = ?1",
	[ST_EVENT_ADD] = "INSERT INTO events (session, time_ns, kind, text)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[ST_EVENTS] = "SELECT time_ns, kind, text FROM events"
	    " WHERE session = ?1 ORDER BY id",
	[ST_EPOCHS] = "SELECT epoch, started_ns, reason FROM epochs"
	    " WHERE session = ?1 ORDER BY epoch",
	[ST_LEASE_GET] = "SELECT " LEASE_COLS " FROM leases WHERE name = ?1",
	[ST_LEASE_LIST] = "SELECT " LEASE_COLS " FROM leases ORDER BY name",
	[ST_TOKEN_BUMP] = "UPDATE lease_tokens SET last = max(last, ?1) + 1"
	    " WHERE id = 1",
	[ST_TOKEN_GET] = "SELECT last FROM lease_tokens WHERE id = 1",
	[ST_LEASE_PUT] = "INSERT INTO leases VALUES (?1, ?2, ?3, ?4, ?4, ?5)"
	    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
	    " token = excluded.token, acquired_ns = excluded.acquired_ns,"
	    " renewed_ns = excluded.renewed_ns,"
	    " expires_ns = excluded.expires_ns",
	[ST_LEASE_RENEW] = "UPDATE leases SET renewed_ns = ?3,"
	    " expires_ns = ?4 WHERE name = ?1 AND token = ?2 AND holder <> ''",
	[ST_LEASE_RELEASE] = "UPDATE leases SET holder = '', expires_ns = 0"
	    " WHERE name = ?1 AND token = ?2 AND holder <> ''",
	[ST_LEASE_BREAK] = "UPDATE leases SET holder = '', expires_ns = 0"
	    " WHERE name = ?1",
	[ST_CRED_SET] = "INSERT INTO credentials VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (session) DO UPDATE SET username = excluded.username,"
	    " hash = excluded.hash, updated_ns = excluded.updated_ns",
	[ST_CRED_CLEAR] = "DELETE FROM credentials WHERE session = ?1",
	[ST_CRED_GET] = "SELECT username, hash FROM credentials"
	    " WHERE session = ?1",
	[ST_MLOG_GET] = "SELECT gen, off FROM msglog WHERE id = 1",
	[ST_MLOG_SET] = "UPDATE msglog SET gen = ?1, off = ?2 WHERE id = 1",
};

struct sq {
	sqlite3		*db;
	const char	*path;		/* the caller's; outlives us */
	int		 in_txn;
	int		 nosync;	/* FIXU_DUR_PROCESS: SQLite and we never
					   sync; counted in unsynced.writers */
	sqlite3_stmt	*st[ST_N];
	sqlite3_stmt	*range;		/* last range statement, reused */
	char		*range_sql;
	struct fixu_buf	 sql;		/* scratch for built statements */
	/* The background checkpointer (fixu_store_opts.bg_checkpoint). */
	pthread_t	 ckpt;
	int		 ckpt_on;
	pthread_mutex_t	 ckpt_mu;
	pthread_cond_t	 ckpt_cv;
	int		 ckpt_stop;
	int		 wal_frames;	/* frames in the WAL after our last commit */
	int64_t		 ckpt_end;	/* mono ns: the thread's last pass ended */
	struct fixu_ckpt_look ckpt_look; /* the thread's, but for its
					   settings; catchup: WAL frames
					   that start a writer's catch-up */
	/* The busy handler's patience and when the current wait began. */
	int64_t		 busy_ns, busy_t0;
};

static int	ckpt_start(struct sq *, struct fixu_diag *);

/*
 * The WAL length, in bytes of pages, at which the writer catches up:
 * 131,072 frames of 1 KB pages (32,768 of 4 KB).  Each catch-up stalls
 * the session loop for two syncs and a WAL restart, about 1.5 ms; at
 * 10,000 orders/s (100,000 frames a second) 32,768 frames made three a
 * second.  The WAL never reaches twice this (FIXU_CKPT_RARE is four
 * times).
 */
#define CKPT_CATCHUP_BYTES	(128LL << 20)

/*
 * With ckpt_bytes (the mover): a WAL that grew less than this between two
 * of the thread's looks, 100 ms apart, is in a lull (0.64 MB/s, about
 * 1,300 messages a second); in a lull the thread copies a WAL that holds
 * a sixteenth of ckpt_bytes.
 */
#define CKPT_QUIET_BYTES	(64LL << 10)
#define CKPT_LULL_DIV		16

int64_t
fixu_mono_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Wait for a lock another connection holds, polling every 100 us for the
 * first 2 s and every 2 ms after that.  SQLite's own busy_timeout sleeps
 * 1, 2, 5, 10, 15 ms... between tries, so a lock let go (a writer that just
 * died, say) was taken up to 15 ms late: a standby taking a store over
 * after a failover waited for nothing.  And a busy fixsession lets go of
 * the write lock between two commits only for the tens of microseconds
 * its loop takes to poll: a try every 2 ms found that gap about once in a
 * hundred commits, and a lease renewal behind a fixsession catching up
 * after a takeover (full durability, commits of milliseconds) waited
 * 1.3 s, past its deadline.
 */
static int
sq_busy(void *arg, int count)
{
	struct sq *b = arg;
	struct timespec ts;
	int64_t now = fixu_mono_ns();

	if (count == 0)
		b->busy_t0 = now;
	if (now - b->busy_t0 >= b->busy_ns)
		return 0;
	ts.tv_sec = 0;
	ts.tv_nsec = now - b->busy_t0 < 2000000000LL ? 100000 : 2000000;
	(void)nanosleep(&ts, NULL);
	return 1;
}

/* ---- errors -------------------------------------------------------------- */

static int
sq_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return FIXU_EBUSY;
	case SQLITE_FULL:
		return FIXU_EFULL;
	case SQLITE_READONLY:
		return FIXU_EREADONLY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return FIXU_ECORRUPT;
	case SQLITE_NOMEM:
		return FIXU_ENOMEM;
	case SQLITE_CONSTRAINT:
		return FIXU_EEXIST;
	default:
		return FIXU_EIO;
	}
}

/* Map the connection's last error to a code and say what failed. */
static int
sq_err(struct sq *b, int rc, const char *what, struct fixu_diag *d)
{
	int xrc = b->db != NULL ? sqlite3_extended_errcode(b->db) : rc;
	int code = sq_code(rc), e;

	if ((xrc & 0xff) != (rc & 0xff))
		xrc = rc;
	/* A quota or a file size limit is a full disk to the user too. */
	if (code == FIXU_EIO && b->db != NULL &&
	    ((e = sqlite3_system_errno(b->db)) == ENOSPC || e == EFBIG
#ifdef EDQUOT
	    || e == EDQUOT
#endif
	    ))
		code = FIXU_EFULL;
	return fixu_diag_set(d, code, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "%s: %s: %s (SQLite %d)", b->path, what,
	    b->db != NULL ? sqlite3_errmsg(b->db) : sqlite3_errstr(rc), xrc);
}

static int
sq_stmt(struct sq *b, int i, sqlite3_stmt **out, struct fixu_diag *d)
{
	int rc;

	if (b->st[i] == NULL) {
		rc = sqlite3_prepare_v3(b->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &b->st[i], NULL);
		if (rc != SQLITE_OK)
			return sq_err(b, rc, "prepare", d);
	}
	*out = b->st[i];
	return 0;
}

/*
 * The statement of a walk (a listing that calls back per row).  A callback
 * may start the same walk again, say list sessions and, for each, list
 * sessions; the cached statement is busy then, so the inner walk gets one
 * of its own, finalised by walk_end().
 */
static int
walk_stmt(struct sq *b, int i, sqlite3_stmt **out, int *own,
    struct fixu_diag *d)
{
	int rc;

	*own = 0;
	if (b->st[i] == NULL || !sqlite3_stmt_busy(b->st[i]))
		return sq_stmt(b, i, out, d);
	rc = sqlite3_prepare_v2(b->db, stmt_sql[i], -1, out, NULL);
	if (rc != SQLITE_OK)
		return sq_err(b, rc, "prepare", d);
	*own = 1;
	return 0;
}

static void
walk_end(sqlite3_stmt *s, int own)
{
	if (own)
		sqlite3_finalize(s);
	else {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* Run a statement that returns no rows; reset it. */
static int
sq_done(struct sq *b, sqlite3_stmt *s, const char *what, struct fixu_diag *d)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_err(b, rc, what, d);
	return 0;
}

static int
bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

/* Copy a column's text into a fixed array; long text is an error. */
static int
col_copy(sqlite3_stmt *s, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t len = (size_t)sqlite3_column_bytes(s, i);

	if (t == NULL)
		len = 0;
	if (len >= n) {
		dst[0] = '\0';
		return FIXU_ELIMIT;
	}
	if (len > 0)
		memcpy(dst, t, len);
	dst[len] = '\0';
	return 0;
}

static void
col_hash(sqlite3_stmt *s, int i, uint8_t *dst)
{
	const void *p = sqlite3_column_blob(s, i);

	if (p != NULL && sqlite3_column_bytes(s, i) == FIXU_HASHLEN)
		memcpy(dst, p, FIXU_HASHLEN);
	else
		memset(dst, 0, FIXU_HASHLEN);
}

/* ---- open and close ------------------------------------------------------ */

/* Roll back a transaction left open by an error, without statements of
 * the handle's own: sq_create's connection has none to finalize. */
static void
sq_abort(struct sq *b)
{
	if (!sqlite3_get_autocommit(b->db))
		(void)sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
sq_exec(struct sq *b, const char *sql, struct fixu_diag *d)
{
	int rc = sqlite3_exec(b->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sq_err(b, rc, sql, d);
	return 0;
}

static int
sq_int(struct sq *b, const char *sql, int64_t *v, struct fixu_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(b->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_err(b, rc, sql, d);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*v = 0;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		rc = sq_err(b, rc, sql, d);
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return 0;
}

static int
sq_migrate(struct sq *b, int64_t *ver, struct fixu_diag *d)
{
	const char *const *step;
	char sql[64];
	int64_t v;
	int rc, n;

	if ((rc = sq_exec(b, "BEGIN IMMEDIATE", d)) < 0)
		return rc;
	/* Another process may have migrated while we waited for the lock. */
	if ((rc = sq_int(b, "PRAGMA user_version", &v, d)) < 0)
		goto fail;
	if (v > FIXU_STORE_SCHEMA) {
		rc = fixu_diag_set(d, FIXU_ESCHEMA, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: schema version %lld is newer than %d", b->path,
		    (long long)v, FIXU_STORE_SCHEMA);
		goto fail;
	}
	for (; v < FIXU_STORE_SCHEMA; v++) {
		for (step = migrations[v]; *step != NULL; step++) {
			rc = sqlite3_exec(b->db, *step, NULL, NULL, NULL);
			if (rc != SQLITE_OK) {
				rc = sq_err(b, rc, "schema migration", d);
				if (rc == FIXU_EIO || rc == FIXU_EEXIST)
					rc = fixu_diag_set(d, FIXU_ESCHEMA,
					    SIZE_MAX, 0, FIXU_REJ_NONE,
					    "%s: migrating from version %lld: "
					    "%s", b->path, (long long)v,
					    sqlite3_errmsg(b->db));
				goto fail;
			}
		}
	}
	n = snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    FIXU_STORE_SCHEMA);
	if (n < 0 || (size_t)n >= sizeof(sql)) {
		rc = fixu_diag_set(d, FIXU_ELIMIT, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "pragma too long");
		goto fail;
	}
	if ((rc = sq_exec(b, sql, d)) < 0)
		goto fail;
	if ((rc = sq_exec(b, "COMMIT", d)) < 0)
		goto fail;
	*ver = v;
	return 0;
fail:
	sq_abort(b);
	return rc;
}

static void sq_close(void *);
static int sq_check(void *, void (*)(const char *, void *), void *,
    struct fixu_diag *);

#define BOOT_ID_PATH	"/proc/sys/kernel/random/boot_id"

/* The kernel's id of this boot into buf, or "" where it has none. */
static void
boot_id(char *buf, size_t n)
{
	FILE *f;

	buf[0] = '\0';
	if ((f = fopen(BOOT_ID_PATH, "re")) == NULL)
		return;
	if (fgets(buf, (int)n, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	(void)fclose(f);
}

struct faults {
	int	 n;
	char	 first[300];
};

static void
fault_count(const char *line, void *arg)
{
	struct faults *f = arg;

	if (f->n++ == 0)
		snprintf(f->first, sizeof(f->first), "%s", line);
}

/* unsynced's count into *n, and whether it is of another boot than boot. */
static int
unsynced_get(struct sq *b, const char *boot, int64_t *n, int *other,
    struct fixu_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*n = 0;
	*other = 0;
	rc = sqlite3_prepare_v2(b->db, "SELECT boot_id, writers FROM unsynced"
	    " WHERE id = 1", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *was = (const char *)sqlite3_column_text(s, 0);

		*n = sqlite3_column_int64(s, 1);
		*other = boot[0] != '\0' && (was == NULL || strcmp(was, boot));
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(s);
	return rc != SQLITE_OK ? sq_err(b, rc, "unsynced", d) : 0;
}

/*
 * StoreDurability=process leaves the file to the page cache: a power loss
 * or a kernel crash can leave it damaged, and SQLite finds out only when a
 * query reaches the damaged page.  So such a writer counts itself in
 * unsynced, with the boot it runs in, in a transaction synced before its
 * own stop being, and a clean close counts it out (sq_sync_close).  A
 * writer of any mode that finds a count left from another boot knows the
 * machine went down under one: it runs quick_check, refuses a damaged
 * file, and clears the count.  A process that was killed leaves its count
 * too, which costs the check once after the next reboot.  Under the
 * transaction's lock, so two openers count right.
 */
static int
nosync_mark(struct sq *b, int process, struct fixu_diag *d)
{
	struct faults f = { 0, "" };
	char boot[64], *sql;
	int64_t n;
	int rc, other;

	boot_id(boot, sizeof(boot));
	/* Most opens have nothing to do: they take no lock. */
	if ((rc = unsynced_get(b, boot, &n, &other, d)) < 0)
		return rc;
	if (!process && !(n > 0 && other))
		return 0;
	if ((rc = sq_exec(b, "BEGIN IMMEDIATE", d)) < 0)
		return rc;
	if ((rc = unsynced_get(b, boot, &n, &other, d)) < 0)
		goto fail;
	if (n > 0 && other) {
		if ((rc = sq_check(b, fault_count, &f, d)) < 0)
			goto fail;
		if (f.n > 0) {
			rc = fixu_diag_set(d, FIXU_ECORRUPT, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: damaged after the machine "
			    "went down under StoreDurability=process "
			    "(quick_check, %d fault%s): %s", b->path, f.n,
			    f.n == 1 ? "" : "s", f.first);
			goto fail;
		}
		n = 0;
	}
	if (process)
		n++;
	sql = sqlite3_mprintf("UPDATE unsynced SET boot_id = %Q, writers = "
	    "%lld WHERE id = 1", boot, (long long)n);
	if (sql == NULL) {
		rc = fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
		goto fail;
	}
	rc = sq_exec(b, sql, d);
	sqlite3_free(sql);
	if (rc < 0 || (rc = sq_exec(b, "COMMIT", d)) < 0)
		goto fail;
	return 0;
fail:
	sq_abort(b);
	return rc;
}

/*
 * Switch to WAL, which a store never leaves.  On a file not yet in WAL
 * mode this writes the header with a lock it cannot wait for (SQLite
 * upgrades a read lock, where its busy handler is not called), so it is
 * retried here on the busy handler's clock.
 */
static int
sq_wal(struct sq *b, struct fixu_diag *d)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *mode;
	int rc, tries = 0;

	do {
		rc = sqlite3_prepare_v2(b->db, "PRAGMA journal_mode = WAL", -1,
		    &s, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW &&
		    (mode = sqlite3_column_text(s, 0)) != NULL &&
		    strcmp((const char *)mode, "wal") == 0)
			rc = SQLITE_OK;
		else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_finalize(s);
		s = NULL;
	} while ((rc & 0xff) == SQLITE_BUSY && sq_busy(b, tries++));
	if (rc != SQLITE_OK)
		return sq_err(b, rc, "journal_mode = WAL", d);
	return 0;
}

/*
 * Make a new store whole under another name and link it to its path, so
 * that nobody ever opens a store half made.  SQLite reads a file of no
 * pages as an empty database and deletes its WAL, even in a read-only
 * connection: a reader opening a store in the instant after its creator
 * made the file took away the WAL the creator had begun, and the store
 * lost its schema.  Several processes creating one store at once each
 * make their own; the first link wins and the others open it.  A name
 * in use (another thread's, or left by a creator that was killed) is
 * skipped.  The file gets SQLite's mode, 0644 less the umask.
 */
static int
sq_create(const char *path, int64_t busy_ns, struct fixu_diag *d)
{
	struct sq t;
	char *tmp = NULL, *dir = NULL, *slash;
	int64_t ver = 0;
	int rc, fd = -1, i;

	memset(&t, 0, sizeof(t));
	t.busy_ns = busy_ns;
	for (i = 0; i < 100 && fd == -1; i++) {
		sqlite3_free(tmp);
		tmp = sqlite3_mprintf("%s.new-%ld-%d", path, (long)getpid(),
		    i);
		if (tmp == NULL)
			break;
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1) {
		rc = fixu_diag_set(d, tmp == NULL ? FIXU_ENOMEM : errno ==
		    ENOSPC ? FIXU_EFULL : FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: %s", path, tmp == NULL ? "out of memory" :
		    strerror(errno));
		sqlite3_free(tmp);
		return rc;
	}
	(void)close(fd);
	t.path = tmp;
	rc = sqlite3_open_v2(tmp, &t.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_err(&t, rc, "open", d);
		goto out;
	}
	sqlite3_extended_result_codes(t.db, 1);
	sqlite3_busy_handler(t.db, sq_busy, &t);
	if ((rc = sq_exec(&t, "PRAGMA page_size = " STORE_PAGE_SIZE, d)) < 0 ||
	    (rc = sq_wal(&t, d)) < 0 ||
	    (rc = sq_exec(&t, "PRAGMA synchronous = FULL", d)) < 0 ||
	    (rc = sq_migrate(&t, &ver, d)) < 0)
		goto out;
	/* The last connection's close checkpoints with a sync and removes
	   the WAL: everything is in the file, which stays in WAL mode. */
	rc = sqlite3_close(t.db);
	t.db = NULL;
	if (rc != SQLITE_OK) {
		rc = fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: close: %s", tmp, sqlite3_errstr(rc));
		goto out;
	}
	if (link(tmp, path) == -1 && errno != EEXIST) {
		rc = fixu_diag_set(d, errno == ENOSPC ? FIXU_EFULL : FIXU_EIO,
		    SIZE_MAX, 0, FIXU_REJ_NONE, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	/* The new name lasts only once the directory is synced. */
	if ((dir = strdup(path)) != NULL) {
		slash = strrchr(dir, '/');
		if (slash == NULL)
			strcpy(dir, ".");
		else		/* "/x.db": the root keeps its slash */
			slash[slash == dir] = '\0';
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			(void)fsync(fd);
			(void)close(fd);
		}
	}
	rc = 0;
out:
	if (t.db != NULL)
		(void)sqlite3_close(t.db);
	(void)unlink(tmp);
	free(dir);
	sqlite3_free(tmp);
	return rc;
}

static const char *const sync_sql[] = {
	[FIXU_DUR_FULL] = "PRAGMA synchronous = FULL",
	[FIXU_DUR_NORMAL] = "PRAGMA synchronous = NORMAL",
	[FIXU_DUR_PROCESS] = "PRAGMA synchronous = OFF",
};

static int
sq_open(void **bhp, const struct fixu_store_opts *o, int *readonly,
    struct fixu_diag *d)
{
	struct sq *b;
	struct stat sb;
	int64_t ver, psz;
	int rc, flags, ro = o->readonly != 0;

	*bhp = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "out of memory");
	b->path = o->path;
	fixu_buf_init(&b->sql, 1u << 16);
	b->busy_ns = (int64_t)(o->busy_ms > 0 ? o->busy_ms : 5000) * 1000000;
	if (stat(o->path, &sb) < 0) {
		if (errno != ENOENT || !o->create || ro) {
			rc = fixu_diag_set(d, errno == ENOENT ? FIXU_ENOTFOUND :
			    FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE, "%s: %s",
			    o->path, strerror(errno));
			goto fail;
		}
		if ((rc = sq_create(o->path, b->busy_ns, d)) < 0)
			goto fail;
	}
	flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	flags |= ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE |
	    (o->create ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(o->path, &b->db, flags, ro ? NULL :
	    fixu_walbuf_vfs());
	if (rc != SQLITE_OK) {
		rc = sq_err(b, rc, "open", d);
		goto fail;
	}
	sqlite3_extended_result_codes(b->db, 1);
	sqlite3_busy_handler(b->db, sq_busy, b);
	/* The first read of the file: junk shows here as SQLITE_NOTADB. */
	if ((rc = sq_int(b, "PRAGMA user_version", &ver, d)) < 0)
		goto fail;
	if (ver > FIXU_STORE_SCHEMA) {
		rc = fixu_diag_set(d, FIXU_ESCHEMA, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: schema version %lld is newer than %d, the version "
		    "this program knows", o->path, (long long)ver,
		    FIXU_STORE_SCHEMA);
		goto fail;
	}
	if (sqlite3_db_readonly(b->db, "main") == 1)
		ro = 1;
	if (ver < FIXU_STORE_SCHEMA) {
		if (ver == 0 && !o->create) {
			rc = fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: not a fixutil store (no "
			    "schema)", o->path);
			goto fail;
		}
		if (ro && ver < FIXU_STORE_READABLE) {
			rc = fixu_diag_set(d, FIXU_EREADONLY, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: schema version %lld needs "
			    "migrating to %d, but the store is read-only",
			    o->path, (long long)ver, FIXU_STORE_SCHEMA);
			goto fail;
		}
	}
	/* A new store: the page size is fixed by its first table. */
	if (!ro && ver == 0 && (rc = sq_exec(b, "PRAGMA page_size = "
	    STORE_PAGE_SIZE, d)) < 0)
		goto fail;
	if (!ro) {
		if ((rc = sq_wal(b, d)) < 0)
			goto fail;
		/* Process mode syncs its count in unsynced, then never. */
		rc = sq_exec(b, sync_sql[o->durability == FIXU_DUR_PROCESS ?
		    FIXU_DUR_FULL : o->durability], d);
		if (rc < 0)
			goto fail;
	}
	if ((rc = sq_exec(b, "PRAGMA foreign_keys = ON", d)) < 0)
		goto fail;
	if (!ro && ver < FIXU_STORE_SCHEMA && (rc = sq_migrate(b, &ver, d)) < 0)
		goto fail;
	if (!ro) {
		if ((rc = nosync_mark(b, o->durability == FIXU_DUR_PROCESS,
		    d)) < 0)
			goto fail;
		b->nosync = o->durability == FIXU_DUR_PROCESS;
		if (b->nosync && (rc = sq_exec(b, sync_sql[FIXU_DUR_PROCESS],
		    d)) < 0)
			goto fail;
	}
	/* Only the writers that manage checkpoints count the WAL in pages. */
	if (!ro && (o->bg_checkpoint || o->ckpt_bytes > 0) &&
	    (rc = sq_int(b, "PRAGMA page_size", &psz, d)) < 0)
		goto fail;
	if (!ro && o->bg_checkpoint) {
		struct fixu_ckpt_look *l = &b->ckpt_look;

		l->lazy = o->ckpt_bytes > 0;
		l->catchup = o->wal_frames > 0 ? o->wal_frames :
		    (int)((l->lazy ? o->ckpt_bytes / CKPT_LULL_DIV :
		    CKPT_CATCHUP_BYTES) / psz);
		if (l->catchup < 1)
			l->catchup = 1;
		l->hard = l->lazy ? (int)(o->ckpt_bytes / psz) : l->catchup;
		l->quiet = CKPT_QUIET_BYTES / psz > 0 ?
		    (int)(CKPT_QUIET_BYTES / psz) : 1;
		l->done = -1;
		if ((rc = ckpt_start(b, d)) < 0)
			goto fail;
	}
	/*
	 * A commit that crosses wal_autocheckpoint copies the whole WAL back
	 * and syncs twice before it returns.  Writers whose commits must not
	 * pay that every 1,000 pages say at what length they would rather
	 * (fixlock; the message log's mover has the thread do it at that
	 * length); the WAL is cut back to 64 MB after, the mover's to the
	 * length where its thread copies under load, which it reaches again
	 * and again.
	 */
	if (!ro && o->ckpt_bytes > 0 && !o->bg_checkpoint) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %lld",
		    (long long)(o->ckpt_bytes / psz));
		if ((rc = sq_exec(b, sql, d)) < 0)
			goto fail;
	}
	if (!ro && o->ckpt_bytes > 0) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %lld",
		    b->ckpt_look.lazy ? (long long)b->ckpt_look.hard * psz :
		    67108864LL);
		if ((rc = sq_exec(b, sql, d)) < 0)
			goto fail;
	}
	*readonly = ro;
	*bhp = b;
	return 0;
fail:
	sq_close(b);
	return rc;
}

/*
 * The checkpointer: SQLite would otherwise copy the WAL back into the
 * database inside whichever commit crosses wal_autocheckpoint, stalling
 * the session loop for several fsyncs.  This thread, on its own
 * connection, copies what it can every CKPT_MS without ever blocking a
 * writer (PASSIVE).
 *
 * The WAL restarts from its beginning only at a commit that finds every
 * frame copied, and under steady load a commit may never find the thread
 * done: the WAL would grow for as long as the load lasts, each commit
 * appending to a longer file.  So once the WAL holds ckpt_look.catchup
 * frames the thread passes again at once, and the writer, between two commits
 * (fixu_store_maintain, which fixsession calls once a turn's output is
 * sent) and just after a pass ended, copies the few frames that pass
 * left (syncing as SQLite's checkpoints do); its next commit starts the
 * WAL again.
 *
 * With ckpt_bytes (the message log's mover, whose commits are large and
 * many) the thread passes, at idle priority, only in a lull (the WAL grew
 * by less than CKPT_QUIET_BYTES between two looks) once the WAL holds a
 * sixteenth of that, or under load once it holds that much: a pass every
 * CKPT_MS would copy and sync what the next commits overwrite in the
 * database anyway, and a pass over 64 MB stalls the sessions on a virtual
 * machine (at 10,000 orders/s one came every 7 s, each making 67 to 142
 * fills 7 to 14 ms late).  The writer's catch-up comes from the sixteenth
 * after a pass, and without one from twice ckpt_bytes.
 *
 * SQLite syncs the database only at the end of a checkpoint that finds
 * no frame added while it copied, and under load the thread's passes
 * never do: so every page they copied since the last restart would be
 * written out by the writer's catch-up, 2 to 3 ms of fdatasync on the
 * session loop.  The thread syncs the database after each pass that
 * copied anything new, and the catch-up's sync has only its own few pages to
 * write.
 */
#define CKPT_MS		20
#define CKPT_LAZY_MS	100	/* with ckpt_bytes: looks at the length */
#define CKPT_FRESH	2000000	/* ns: a pass that ended this recently */

/*
 * Sync the database file (SQLITE_FCNTL_FILE_POINTER) or its WAL
 * (SQLITE_FCNTL_JOURNAL_POINTER) of db's main database; SQLITE_OK when
 * there is no such file open.
 */
static int
sq_sync_file(sqlite3 *db, int which)
{
	sqlite3_file *f = NULL;

	if (sqlite3_file_control(db, "main", which, &f) != SQLITE_OK ||
	    f == NULL || f->pMethods == NULL)
		return SQLITE_OK;
	return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

static int
ckpt_walhook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	__atomic_store_n(&((struct sq *)arg)->wal_frames, frames,
	    __ATOMIC_RELAXED);
	return SQLITE_OK;
}

/*
 * One pass of the thread; tells ckpt_catchup() that one ended.  *seen
 * holds the WAL and copied lengths of the pass before: a pass that copied
 * nothing new syncs nothing.  Returns whether the pass copied the whole
 * WAL.
 */
static int
ckpt_pass(struct sq *b, sqlite3 *db, int seen[2])
{
	int nlog = 0, nckpt = 0, same;

	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &nlog, &nckpt) != SQLITE_OK)
		return 0;
	if (nlog < 0) {	/* no read yet (busy at the start): WAL unknown */
		(void)sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL,
		    NULL);
		return 0;
	}
	same = nlog == seen[0] && nckpt == seen[1];
	seen[0] = nlog;
	seen[1] = nckpt;
	if (nckpt <= 0 || same)
		return nckpt == nlog;
	/*
	 * SQLite syncs the database itself only when no commit came while
	 * the pass copied; when it did, this second sync finds nothing to
	 * write.
	 */
	if (!b->nosync)
		(void)sq_sync_file(db, SQLITE_FCNTL_FILE_POINTER);
	__atomic_store_n(&b->ckpt_end, fixu_mono_ns(), __ATOMIC_RELEASE);
	return nckpt == nlog;
}

/*
 * Between commits (fixu_store_maintain): when the WAL is long and the
 * thread ended a pass less than CKPT_FRESH ago, copy the frames it left
 * (and sync, as SQLite's checkpoints do) so that the next commit starts
 * the WAL again; at twice the length, whether or not a pass just ended.
 */
static void
ckpt_catchup(void *bh)
{
	struct sq *b = bh;
	int frames = __atomic_load_n(&b->wal_frames, __ATOMIC_RELAXED);

	if (!b->ckpt_on || b->in_txn || frames < b->ckpt_look.catchup)
		return;
	if (fixu_mono_ns() - __atomic_load_n(&b->ckpt_end, __ATOMIC_ACQUIRE) >
	    CKPT_FRESH && frames < 2 * b->ckpt_look.hard)
		return;
	__atomic_store_n(&b->wal_frames, 0, __ATOMIC_RELAXED);
	/* Busy (the thread is copying): the next commit says the length
	 * again and a later call tries again. */
	(void)sqlite3_wal_checkpoint_v2(b->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

/*
 * Behind: pass after pass, so the writer finds a small lag; not again over
 * a WAL the last pass copied whole.  Lazy, the passes start in a lull or
 * at hard, and go on until one copies the whole WAL.
 */
int
fixu_ckpt_look(struct fixu_ckpt_look *l, int frames)
{
	int grew = frames - (frames < l->last ? 0 : l->last);

	if (frames < l->catchup || frames == l->done)
		l->behind = 0;
	else if (!l->behind && l->lazy)
		l->behind = grew < l->quiet || frames >= l->hard;
	else
		l->behind = 1;
	l->last = frames;
	return l->behind;
}

static void *
ckpt_main(void *arg)
{
	struct sq *b = arg;
	struct sched_param sp = { 0 };
	struct timespec ts;
	sqlite3 *db = NULL;
	struct fixu_ckpt_look l = b->ckpt_look;
	int stop = 0, behind, frames;
	int seen[2] = { -1, -1 };

	if (sqlite3_open_v2(b->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 0);
	/* A checkpoint syncs as the connection that runs it says. */
	if (b->nosync)
		(void)sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL,
		    NULL);
	/*
	 * A connection learns that the database is in WAL mode at its first
	 * read; until then a checkpoint on it does nothing at all.
	 */
	(void)sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
	if (l.lazy)
		(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	while (!stop) {
		pthread_mutex_lock(&b->ckpt_mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		frames = __atomic_load_n(&b->wal_frames, __ATOMIC_RELAXED);
		behind = fixu_ckpt_look(&l, frames);
		ts.tv_nsec += behind ? 1000000L : l.lazy ?
		    CKPT_LAZY_MS * 1000000L : CKPT_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!b->ckpt_stop)
			(void)pthread_cond_timedwait(&b->ckpt_cv, &b->ckpt_mu,
			    &ts);
		stop = b->ckpt_stop;
		pthread_mutex_unlock(&b->ckpt_mu);
		if ((behind || !l.lazy) && ckpt_pass(b, db, seen))
			l.done = frames;
	}
	sqlite3_close_v2(db);
	return NULL;
}

static int
ckpt_start(struct sq *b, struct fixu_diag *d)
{
	int rc;

	if ((rc = sq_exec(b, "PRAGMA wal_autocheckpoint = 0", d)) < 0)
		return rc;
	pthread_mutex_init(&b->ckpt_mu, NULL);
	pthread_cond_init(&b->ckpt_cv, NULL);
	if (pthread_create(&b->ckpt, NULL, ckpt_main, b) != 0) {
		pthread_cond_destroy(&b->ckpt_cv);
		pthread_mutex_destroy(&b->ckpt_mu);
		/* Without the thread, commits checkpoint as usual. */
		return sq_exec(b, "PRAGMA wal_autocheckpoint = 1000", d);
	}
	b->ckpt_on = 1;
	(void)sqlite3_wal_hook(b->db, ckpt_walhook, b);
	return 0;
}

static void
ckpt_stop(struct sq *b)
{
	if (!b->ckpt_on)
		return;
	pthread_mutex_lock(&b->ckpt_mu);
	b->ckpt_stop = 1;
	pthread_cond_signal(&b->ckpt_cv);
	pthread_mutex_unlock(&b->ckpt_mu);
	(void)pthread_join(b->ckpt, NULL);
	pthread_cond_destroy(&b->ckpt_cv);
	pthread_mutex_destroy(&b->ckpt_mu);
	b->ckpt_on = 0;
}

/*
 * StoreDurability=process, at a clean close: what the checkpoints copied
 * is on the disk before the WAL goes (the last connection's close removes
 * it).  The database is synced first, for the pages the thread copied
 * without; then this writer counts itself out of unsynced in the WAL, and
 * a checkpoint that syncs the WAL before it copies, and the database
 * after, takes that and the frames still there.  So the count is durable
 * only once everything before it is.
 */
static void
sq_sync_close(struct sq *b)
{
	(void)sq_sync_file(b->db, SQLITE_FCNTL_FILE_POINTER);
	(void)sqlite3_exec(b->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
	    NULL);
	(void)sqlite3_exec(b->db, "UPDATE unsynced SET writers = "
	    "max(writers - 1, 0) WHERE id = 1", NULL, NULL, NULL);
	(void)sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	(void)sq_sync_file(b->db, SQLITE_FCNTL_FILE_POINTER);
}

static void
sq_close(void *bh)
{
	struct sq *b = bh;
	size_t i;

	if (b == NULL)
		return;
	ckpt_stop(b);
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(b->st[i]);
	sqlite3_finalize(b->range);
	free(b->range_sql);
	if (b->db != NULL) {
		sq_abort(b);
		if (b->nosync)
			sq_sync_close(b);
		sqlite3_close_v2(b->db);
	}
	fixu_buf_fini(&b->sql);
	free(b);
}

/* ---- the batch ----------------------------------------------------------- */

static int
sq_begin(void *bh, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if (b->in_txn)
		return 0;
	if ((rc = sq_stmt(b, ST_BEGIN, &s, d)) < 0)
		return rc;
	if ((rc = sq_done(b, s, "begin", d)) < 0)
		return rc;
	b->in_txn = 1;
	return 0;
}

static void
sq_rollback(void *bh)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;

	b->in_txn = 0;
	if (sqlite3_get_autocommit(b->db))
		return;
	if (sq_stmt(b, ST_ROLLBACK, &s, NULL) == 0 &&
	    sq_done(b, s, "rollback", NULL) == 0)
		return;
	sq_abort(b);
}

static int
sq_commit(void *bh, const char *fence, uint64_t token, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc, ok = 0;

	if (!b->in_txn)
		return 0;
	if (fence != NULL) {
		if ((rc = sq_stmt(b, ST_FENCE, &s, d)) < 0)
			goto fail;
		bind_text(s, 1, fence);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const unsigned char *h = sqlite3_column_text(s, 0);

			ok = h != NULL && h[0] != '\0' &&
			    (uint64_t)sqlite3_column_int64(s, 1) == token;
		} else if (rc != SQLITE_DONE) {
			rc = sq_err(b, rc, "fence check", d);
			sqlite3_reset(s);
			goto fail;
		}
		sqlite3_reset(s);
		if (!ok) {
			rc = fixu_diag_set(d, FIXU_EFENCED, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "lease %s: token %llu is no longer "
			    "current; batch rolled back", fence,
			    (unsigned long long)token);
			goto fail;
		}
	}
	if ((rc = sq_stmt(b, ST_COMMIT, &s, d)) < 0)
		goto fail;
	if ((rc = sq_done(b, s, "commit", d)) < 0)
		goto fail;
	b->in_txn = 0;
	return 0;
fail:
	sq_rollback(b);
	return rc;
}

/* ---- sessions ------------------------------------------------------------ */

static int
sess_row(sqlite3_stmt *s, struct fixu_be_sess *o)
{
	struct fixu_sess *x = &o->s;

	memset(o, 0, sizeof(*o));
	x->id = sqlite3_column_int64(s, 0);
	if (col_copy(s, 1, x->sid.begin, sizeof(x->sid.begin)) < 0 ||
	    col_copy(s, 2, x->sid.sender, sizeof(x->sid.sender)) < 0 ||
	    col_copy(s, 3, x->sid.target, sizeof(x->sid.target)) < 0 ||
	    col_copy(s, 4, x->sid.qualifier, sizeof(x->sid.qualifier)) < 0)
		return FIXU_ECORRUPT;
	x->created_ns = sqlite3_column_int64(s, 5);
	x->epoch = (uint32_t)sqlite3_column_int64(s, 6);
	x->next_out = (uint64_t)sqlite3_column_int64(s, 7);
	x->next_in = (uint64_t)sqlite3_column_int64(s, 8);
	x->online = sqlite3_column_int(s, 9);
	x->last_activity_ns = sqlite3_column_int64(s, 10);
	x->nmsg_in = (uint64_t)sqlite3_column_int64(s, 11);
	x->nmsg_out = (uint64_t)sqlite3_column_int64(s, 12);
	x->nmsg_all = (uint64_t)sqlite3_column_int64(s, 13);
	col_hash(s, 14, o->chain);
	col_hash(s, 15, o->anchor);
	x->has_passwd = sqlite3_column_int(s, 16);
	return 0;
}

static int
sq_sess_get(void *bh, const struct fixu_sessid *sid, int64_t id,
    struct fixu_be_sess *out, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, sid != NULL ? ST_SESS_SID : ST_SESS_ID, &s,
	    d)) < 0)
		return rc;
	if (sid != NULL) {
		bind_text(s, 1, sid->begin);
		bind_text(s, 2, sid->sender);
		bind_text(s, 3, sid->target);
		bind_text(s, 4, sid->qualifier);
	} else
		sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sess_row(s, out) < 0)
			rc = fixu_diag_set(d, FIXU_ECORRUPT, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: session row with overlong "
			    "names", b->path);
		else
			rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "no such session");
	else
		rc = sq_err(b, rc, "session lookup", d);
	sqlite3_reset(s);
	return rc;
}

static int
sq_sess_add(void *bh, const struct fixu_sessid *sid, int64_t now_ns,
    int64_t *id, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_SESS_ADD, &s, d)) < 0)
		return rc;
	bind_text(s, 1, sid->begin);
	bind_text(s, 2, sid->sender);
	bind_text(s, 3, sid->target);
	bind_text(s, 4, sid->qualifier);
	sqlite3_bind_int64(s, 5, now_ns);
	if ((rc = sq_done(b, s, "add session", d)) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(b->db);
	if ((rc = sq_stmt(b, ST_EPOCH_ADD, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, *id);
	sqlite3_bind_int64(s, 2, 1);
	sqlite3_bind_int64(s, 3, now_ns);
	bind_text(s, 4, "created");
	sqlite3_bind_int64(s, 5, 0);
	sqlite3_bind_int64(s, 6, 0);
	return sq_done(b, s, "add epoch", d);
}

static int
sq_sess_list(void *bh, int (*fn)(const struct fixu_be_sess *, void *),
    void *arg, struct fixu_diag *d)
{
	struct sq *b = bh;
	struct fixu_be_sess o;
	sqlite3_stmt *s = NULL;
	int rc, r = 0, own;

	if ((rc = walk_stmt(b, ST_SESS_LIST, &s, &own, d)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sess_row(s, &o) < 0)
			continue;
		if ((r = fn(&o, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_err(b, rc, "list sessions", d);
	walk_end(s, own);
	return r;
}

static int
sq_sess_update(void *bh, int64_t id, const struct fixu_be_upd *u,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if (u->what & FIXU_BE_NEW_EPOCH) {
		if ((rc = sq_stmt(b, ST_EPOCH_NEW, &s, d)) < 0)
			return rc;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, u->now_ns);
		bind_text(s, 3, u->reason != NULL ? u->reason : "");
		if ((rc = sq_done(b, s, "new epoch", d)) < 0)
			return rc;
		if ((rc = sq_stmt(b, ST_EPOCH_SESS, &s, d)) < 0)
			return rc;
		sqlite3_bind_int64(s, 1, id);
		if ((rc = sq_done(b, s, "new epoch", d)) < 0)
			return rc;
	}
	if (u->what & FIXU_BE_NEXT_OUT) {
		if ((rc = sq_stmt(b, ST_NEXT_OUT, &s, d)) < 0)
			return rc;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (int64_t)u->next_out);
		if ((rc = sq_done(b, s, "set next", d)) < 0)
			return rc;
	}
	if (u->what & FIXU_BE_NEXT_IN) {
		if ((rc = sq_stmt(b, ST_NEXT_IN, &s, d)) < 0)
			return rc;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (int64_t)u->next_in);
		if ((rc = sq_done(b, s, "set next", d)) < 0)
			return rc;
	}
	if (u->what & FIXU_BE_ONLINE) {
		if ((rc = sq_stmt(b, ST_ONLINE, &s, d)) < 0)
			return rc;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, u->online != 0);
		sqlite3_bind_int64(s, 3, u->now_ns);
		if ((rc = sq_done(b, s, "set online", d)) < 0)
			return rc;
	}
	return 0;
}

/* ---- messages ------------------------------------------------------------ */

/* The messages row of r. */
static int
msg_insert(struct sq *b, const struct fixu_rec *r, struct fixu_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_MSG_ADD, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, r->session);
	sqlite3_bind_int64(s, 2, r->epoch);
	sqlite3_bind_int(s, 3, r->dir);
	sqlite3_bind_int64(s, 4, (int64_t)r->seq);
	sqlite3_bind_int64(s, 5, r->time_ns);
	sqlite3_bind_text(s, 6, r->msgtype.n > 0 ? r->msgtype.p : "",
	    (int)r->msgtype.n, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, r->possdup != 0);
	sqlite3_bind_blob(s, 8, r->raw.n > 0 ? r->raw.p : "", (int)r->raw.n,
	    SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, r->hash, FIXU_HASHLEN, SQLITE_STATIC);
	rc = sq_done(b, s, "append", d);
	sqlite3_clear_bindings(s);
	return rc;
}

static int
sq_append(void *bh, const struct fixu_rec *r, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = msg_insert(b, r, d)) < 0)
		return rc;
	if ((rc = sq_stmt(b, ST_MSG_SESS, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, r->session);
	sqlite3_bind_blob(s, 2, r->hash, FIXU_HASHLEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->epoch);
	sqlite3_bind_int(s, 4, r->dir);
	sqlite3_bind_int64(s, 5, (int64_t)r->seq);
	sqlite3_bind_int64(s, 6, r->time_ns);
	return sq_done(b, s, "append", d);
}

/* What many appends change in one session's row. */
struct sess_sum {
	int64_t		 id, tmax;
	uint32_t	 epoch;		/* the latest among the messages */
	uint64_t	 n, nin, nout, maxin, maxout;	/* of that epoch */
	const uint8_t	*chain;		/* the last message's hash */
};

static int
sum_flush(struct sq *b, const struct sess_sum *a, struct fixu_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_MSG_SESS_N, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_blob(s, 2, a->chain, FIXU_HASHLEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)a->n);
	sqlite3_bind_int64(s, 4, a->epoch);
	sqlite3_bind_int64(s, 5, (int64_t)a->nin);
	sqlite3_bind_int64(s, 6, (int64_t)a->nout);
	sqlite3_bind_int64(s, 7, (int64_t)a->maxin);
	sqlite3_bind_int64(s, 8, (int64_t)a->maxout);
	sqlite3_bind_int64(s, 9, a->tmax);
	return sq_done(b, s, "append", d);
}

/*
 * As n appends, with each session's row updated once for all of its
 * messages (at most SUMS sessions at a time): the message log's mover.
 */
#define SUMS	16

static int
sq_append_many(void *bh, const struct fixu_rec *r, size_t n,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	struct sess_sum a[SUMS], *x;
	size_t i, k, na = 0;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = msg_insert(b, &r[i], d)) < 0)
			return rc;
		for (k = 0; k < na && a[k].id != r[i].session; k++)
			;
		if (k == SUMS) {
			for (k = 0; k < na; k++)
				if ((rc = sum_flush(b, &a[k], d)) < 0)
					return rc;
			na = k = 0;
		}
		x = &a[k];
		if (k == na) {
			memset(x, 0, sizeof(*x));
			x->id = r[i].session;
			x->epoch = r[i].epoch;
			na++;
		}
		if (r[i].epoch > x->epoch) {
			x->epoch = r[i].epoch;
			x->nin = x->nout = x->maxin = x->maxout = 0;
		}
		if (r[i].epoch == x->epoch) {
			if (r[i].dir == FIXU_DIR_IN) {
				x->nin++;
				if (r[i].seq > x->maxin)
					x->maxin = r[i].seq;
			} else {
				x->nout++;
				if (r[i].seq > x->maxout)
					x->maxout = r[i].seq;
			}
		}
		x->n++;
		if (r[i].time_ns > x->tmax)
			x->tmax = r[i].time_ns;
		x->chain = r[i].hash;
	}
	for (k = 0; k < na; k++)
		if ((rc = sum_flush(b, &a[k], d)) < 0)
			return rc;
	return 0;
}

/* Values bound to a built statement, in order. */
struct binds {
	int		 n;
	int		 text[80];
	int64_t		 i[80];
	const char	*t[80];
	size_t		 tn[80];
};

static int
bind_i64(struct binds *v, struct fixu_buf *sql, const char *frag, int64_t x)
{
	if (v->n >= 80)
		return FIXU_ELIMIT;
	v->text[v->n] = 0;
	v->i[v->n++] = x;
	return fixu_buf_puts(sql, frag);
}

/*
 * The WHERE clause of q into sql, values into v.  With hint, epoch and dir
 * are written "+m.epoch" so they cannot choose the index: a rowid-order
 * read without sequence bounds then streams from messages_session instead
 * of sorting the whole session.
 */
static int
build_where(const struct fixu_query *q, struct fixu_buf *sql,
    struct binds *v, int purge, int hint)
{
	const char *p, *e, *end, *ep = hint ? " AND +m.epoch" : " AND m.epoch";
	int rc = 0, first = 1;

	rc |= fixu_buf_puts(sql, " WHERE 1");
	if (q->session != 0)
		rc |= bind_i64(v, sql, " AND m.session = ?", q->session);
	if (q->epoch == 0) {
		rc |= fixu_buf_puts(sql, ep);
		if (q->session != 0)
			rc |= bind_i64(v, sql, " = (SELECT epoch "
			    "FROM sessions WHERE id = ?)", q->session);
		else
			rc |= fixu_buf_puts(sql, " = (SELECT "
			    "epoch FROM sessions s WHERE s.id = m.session)");
	} else if (q->epoch > 0) {
		rc |= fixu_buf_puts(sql, ep);
		rc |= bind_i64(v, sql, " = ?", q->epoch);
	}
	if (!purge) {
		if (q->dir >= 0)
			rc |= bind_i64(v, sql, hint ? " AND +m.dir = ?" :
			    " AND m.dir = ?", q->dir);
		if (q->seq_from > 0)
			rc |= bind_i64(v, sql, " AND m.seq >= ?",
			    (int64_t)q->seq_from);
		if (q->seq_to > 0)
			rc |= bind_i64(v, sql, " AND m.seq <= ?",
			    (int64_t)q->seq_to);
		if (q->time_from != 0)
			rc |= bind_i64(v, sql, " AND m.time_ns >= ?",
			    q->time_from);
		if (q->after_rowid > 0)
			rc |= bind_i64(v, sql, " AND m.id > ?",
			    q->after_rowid);
	}
	if (q->time_to != 0)
		rc |= bind_i64(v, sql, " AND m.time_ns < ?", q->time_to);
	if (q->upto_rowid > 0)
		rc |= bind_i64(v, sql, " AND m.id <= ?", q->upto_rowid);
	if (!purge && q->msgtype != NULL) {
		rc |= fixu_buf_puts(sql, " AND m.msgtype IN (");
		end = q->msgtype + strlen(q->msgtype);
		for (p = q->msgtype; p <= end; p = e + 1) {
			if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
				e = end;
			if (e == p)
				continue;
			if (v->n >= 80)
				return FIXU_ELIMIT;
			v->text[v->n] = 1;
			v->t[v->n] = p;
			v->tn[v->n++] = (size_t)(e - p);
			rc |= fixu_buf_puts(sql, first ? "?" : ", ?");
			first = 0;
		}
		if (first)
			rc |= fixu_buf_puts(sql, "''");
		rc |= fixu_buf_putc(sql, ')');
	}
	return rc != 0 ? FIXU_ELIMIT : 0;
}

static void
bind_all(sqlite3_stmt *s, const struct binds *v)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (v->text[i])
			sqlite3_bind_text(s, i + 1, v->t[i], (int)v->tn[i],
			    SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, i + 1, v->i[i]);
}

static int
sq_range(void *bh, const struct fixu_query *q, int order,
    int (*fn)(const struct fixu_rec *, void *), void *arg,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	struct binds v;
	struct fixu_rec r;
	sqlite3_stmt *s = NULL;
	const void *p;
	int rc, ret = 0, own = 0;

	v.n = 0;
	fixu_buf_reset(&b->sql);
	rc = fixu_buf_puts(&b->sql, "SELECT " MSG_COLS " FROM messages m");
	if (rc == 0)
		rc = build_where(q, &b->sql, &v, 0, order ==
		    FIXU_BE_ORDER_ROWID && q->session != 0 &&
		    q->seq_from == 0 && q->seq_to == 0);
	if (rc == 0)
		rc = fixu_buf_puts(&b->sql, order == FIXU_BE_ORDER_SEQ ?
		    " ORDER BY m.epoch, m.dir, m.seq, m.id" :
		    " ORDER BY m.id");
	if (rc == 0)
		rc = fixu_buf_putc(&b->sql, '\0');
	if (rc < 0)
		return fixu_diag_set(d, FIXU_ELIMIT, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "query too complex (msgtype list?)");
	/* Resends and follows repeat one shape: keep its statement. */
	if (b->range != NULL && sqlite3_stmt_busy(b->range)) {
		/* A range from inside a range callback: one of its own. */
		rc = sqlite3_prepare_v2(b->db, b->sql.p, -1, &s, NULL);
		if (rc != SQLITE_OK)
			return sq_err(b, rc, "range", d);
		own = 1;
	} else if (b->range == NULL || strcmp(b->range_sql, b->sql.p) != 0) {
		sqlite3_finalize(b->range);
		b->range = NULL;
		free(b->range_sql);
		if ((b->range_sql = strdup(b->sql.p)) == NULL)
			return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "out of memory");
		rc = sqlite3_prepare_v3(b->db, b->sql.p, -1,
		    SQLITE_PREPARE_PERSISTENT, &b->range, NULL);
		if (rc != SQLITE_OK)
			return sq_err(b, rc, "range", d);
	}
	if (!own)
		s = b->range;
	bind_all(s, &v);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.rowid = sqlite3_column_int64(s, 0);
		r.session = sqlite3_column_int64(s, 1);
		r.epoch = (uint32_t)sqlite3_column_int64(s, 2);
		r.dir = sqlite3_column_int(s, 3);
		r.seq = (uint64_t)sqlite3_column_int64(s, 4);
		r.time_ns = sqlite3_column_int64(s, 5);
		p = sqlite3_column_text(s, 6);
		r.msgtype.p = p != NULL ? p : "";
		r.msgtype.n = (size_t)sqlite3_column_bytes(s, 6);
		r.possdup = sqlite3_column_int(s, 7);
		p = sqlite3_column_blob(s, 8);
		r.raw.p = p != NULL ? p : "";
		r.raw.n = (size_t)sqlite3_column_bytes(s, 8);
		col_hash(s, 9, r.hash);
		if ((ret = fn(&r, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(b, rc, "range", d);
	walk_end(s, own);
	return ret;
}

/* Prepare and run a built statement that yields at most one row. */
static int
sq_built(struct sq *b, const struct binds *v, int64_t *c0, int64_t *c1,
    uint8_t *blob, struct fixu_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(b->db, b->sql.p, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_err(b, rc, "purge", d);
	bind_all(s, v);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (c0 != NULL)
			*c0 = sqlite3_column_int64(s, 0);
		if (c1 != NULL)
			*c1 = sqlite3_column_int64(s, 1);
		if (blob != NULL)
			col_hash(s, 0, blob);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		rc = sq_err(b, rc, "purge", d);
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return 0;
}

static int
sq_purge(void *bh, const struct fixu_query *q, uint64_t *n,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	struct binds v;
	uint8_t anchor[FIXU_HASHLEN];
	int64_t last = 0, cnt = 0, holes = 0;
	int rc;

	*n = 0;
	/* What q chooses: its last rowid and how many. */
	v.n = 0;
	fixu_buf_reset(&b->sql);
	rc = fixu_buf_puts(&b->sql, "SELECT max(m.id), count(*) FROM "
	    "messages m");
	if (rc == 0)
		rc = build_where(q, &b->sql, &v, 1, 0);
	if (rc == 0)
		rc = fixu_buf_putc(&b->sql, '\0');
	if (rc < 0)
		return fixu_diag_set(d, FIXU_ELIMIT, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "purge query too long");
	if ((rc = sq_built(b, &v, &last, &cnt, NULL, d)) < 0)
		return rc;
	if (cnt == 0)
		return 0;
	/*
	 * A prefix in rowid order: every row of the session up to last must
	 * be chosen, or the chain of what stays would not start where the
	 * purge ended.
	 */
	v.n = 2;
	v.text[0] = v.text[1] = 0;
	v.i[0] = q->session;
	v.i[1] = last;
	fixu_buf_reset(&b->sql);
	if (fixu_buf_puts(&b->sql, "SELECT count(*) FROM messages"
	    " WHERE session = ? AND id <= ?") < 0 ||
	    fixu_buf_putc(&b->sql, '\0') < 0)
		return FIXU_ENOMEM;
	if ((rc = sq_built(b, &v, &holes, NULL, NULL, d)) < 0)
		return rc;
	holes -= cnt;
	if (holes != 0)
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "purge would leave a hole in the hash "
		    "chain: %lld older message(s) of the session are not "
		    "chosen; purge older messages first", (long long)holes);
	v.n = 1;
	v.text[0] = 0;
	v.i[0] = last;
	fixu_buf_reset(&b->sql);
	if (fixu_buf_puts(&b->sql, "SELECT hash FROM messages WHERE id = ?")
	    < 0 || fixu_buf_putc(&b->sql, '\0') < 0)
		return FIXU_ENOMEM;
	if ((rc = sq_built(b, &v, NULL, NULL, anchor, d)) < 0)
		return rc;

	v.n = 0;
	fixu_buf_reset(&b->sql);
	rc = fixu_buf_puts(&b->sql, "UPDATE sessions SET anchor = ?,"
	    " nmsg_all = nmsg_all - ?,"
	    " nmsg_in = nmsg_in - (SELECT count(*) FROM messages m WHERE"
	    " m.session = sessions.id AND m.id <= ? AND m.epoch ="
	    " sessions.epoch AND m.dir = 0),"
	    " nmsg_out = nmsg_out - (SELECT count(*) FROM messages m WHERE"
	    " m.session = sessions.id AND m.id <= ? AND m.epoch ="
	    " sessions.epoch AND m.dir = 1) WHERE id = ?");
	rc |= fixu_buf_putc(&b->sql, '\0');
	if (rc != 0)
		return FIXU_ENOMEM;
	{
		sqlite3_stmt *s = NULL;

		rc = sqlite3_prepare_v2(b->db, b->sql.p, -1, &s, NULL);
		if (rc != SQLITE_OK)
			return sq_err(b, rc, "purge", d);
		sqlite3_bind_blob(s, 1, anchor, FIXU_HASHLEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, cnt);
		sqlite3_bind_int64(s, 3, last);
		sqlite3_bind_int64(s, 4, last);
		sqlite3_bind_int64(s, 5, q->session);
		rc = sq_done(b, s, "purge", d);
		sqlite3_finalize(s);
		if (rc < 0)
			return rc;
		rc = sqlite3_prepare_v2(b->db, "DELETE FROM messages WHERE "
		    "session = ?1 AND id <= ?2", -1, &s, NULL);
		if (rc != SQLITE_OK)
			return sq_err(b, rc, "purge", d);
		sqlite3_bind_int64(s, 1, q->session);
		sqlite3_bind_int64(s, 2, last);
		rc = sq_done(b, s, "purge", d);
		sqlite3_finalize(s);
		if (rc < 0)
			return rc;
	}
	*n = (uint64_t)cnt;
	return 0;
}

/* ---- events and epochs --------------------------------------------------- */

static int
sq_event_add(void *bh, int64_t session, int64_t now_ns, const char *kind,
    const char *text, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_EVENT_ADD, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, session);
	sqlite3_bind_int64(s, 2, now_ns);
	bind_text(s, 3, kind);
	bind_text(s, 4, text);
	return sq_done(b, s, "event", d);
}

static const char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

static int
sq_events(void *bh, int64_t session,
    int (*fn)(int64_t, const char *, const char *, void *), void *arg,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc, r = 0, own;

	if ((rc = walk_stmt(b, ST_EVENTS, &s, &own, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, session);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((r = fn(sqlite3_column_int64(s, 0), col_str(s, 1),
		    col_str(s, 2), arg)) != 0)
			break;
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_err(b, rc, "events", d);
	walk_end(s, own);
	return r;
}

static int
sq_epochs(void *bh, int64_t session,
    int (*fn)(uint32_t, int64_t, const char *, void *), void *arg,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc, r = 0, own;

	if ((rc = walk_stmt(b, ST_EPOCHS, &s, &own, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, session);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((r = fn((uint32_t)sqlite3_column_int64(s, 0),
		    sqlite3_column_int64(s, 1), col_str(s, 2), arg)) != 0)
			break;
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_err(b, rc, "epochs", d);
	walk_end(s, own);
	return r;
}

/* ---- leases -------------------------------------------------------------- */

static void
lease_row(sqlite3_stmt *s, struct fixu_lease *o)
{
	memset(o, 0, sizeof(*o));
	(void)col_copy(s, 0, o->name, sizeof(o->name));
	(void)col_copy(s, 1, o->holder, sizeof(o->holder));
	o->token = (uint64_t)sqlite3_column_int64(s, 2);
	o->acquired_ns = sqlite3_column_int64(s, 3);
	o->renewed_ns = sqlite3_column_int64(s, 4);
	o->expires_ns = sqlite3_column_int64(s, 5);
}

static int
sq_lease_get(void *bh, const char *name, struct fixu_lease *out,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_LEASE_GET, &s, d)) < 0)
		return rc;
	bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		lease_row(s, out);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "lease %s was never taken", name);
	else
		rc = sq_err(b, rc, "lease", d);
	sqlite3_reset(s);
	return rc;
}

static int
sq_lease_acquire(void *bh, const char *name, const char *holder,
    int64_t now_ns, int64_t ttl_ns, struct fixu_lease *out,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	struct fixu_lease cur;
	sqlite3_stmt *s = NULL;
	int64_t token;
	int rc, have;

	if ((rc = sq_begin(b, d)) < 0)
		return rc;
	rc = sq_lease_get(b, name, &cur, d);
	if (rc < 0 && rc != FIXU_ENOTFOUND)
		goto fail;
	have = rc == 0;
	if (have && cur.holder[0] != '\0' && cur.expires_ns > now_ns &&
	    strcmp(cur.holder, holder) != 0) {
		*out = cur;
		rc = fixu_diag_set(d, FIXU_EBUSY, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "lease %s is held by %s (token %llu)", name, cur.holder,
		    (unsigned long long)cur.token);
		goto fail;
	}
	if ((rc = sq_stmt(b, ST_TOKEN_BUMP, &s, d)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, have ? (int64_t)cur.token : 0);
	if ((rc = sq_done(b, s, "lease token", d)) < 0)
		goto fail;
	if ((rc = sq_stmt(b, ST_TOKEN_GET, &s, d)) < 0)
		goto fail;
	rc = sqlite3_step(s);
	token = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? fixu_diag_set(d, FIXU_ECORRUPT,
		    SIZE_MAX, 0, FIXU_REJ_NONE, "%s: lease_tokens row missing",
		    b->path) : sq_err(b, rc, "lease token", d);
		goto fail;
	}
	if ((rc = sq_stmt(b, ST_LEASE_PUT, &s, d)) < 0)
		goto fail;
	bind_text(s, 1, name);
	bind_text(s, 2, holder);
	sqlite3_bind_int64(s, 3, token);
	sqlite3_bind_int64(s, 4, now_ns);
	sqlite3_bind_int64(s, 5, now_ns + ttl_ns);
	if ((rc = sq_done(b, s, "lease", d)) < 0)
		goto fail;
	if ((rc = sq_commit(b, NULL, 0, d)) < 0)
		return rc;
	return sq_lease_get(b, name, out, d);
fail:
	sq_rollback(b);
	return rc;
}

/* One UPDATE guarded by the token; 0 rows: not found or fenced. */
static int
lease_guarded(struct sq *b, int st, const char *name, uint64_t token,
    int64_t now_ns, int64_t ttl_ns, struct fixu_diag *d)
{
	struct fixu_lease cur;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, st, &s, d)) < 0)
		return rc;
	bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, (int64_t)token);
	if (st == ST_LEASE_RENEW) {
		sqlite3_bind_int64(s, 3, now_ns);
		sqlite3_bind_int64(s, 4, now_ns + ttl_ns);
	}
	if ((rc = sq_done(b, s, "lease", d)) < 0)
		return rc;
	if (sqlite3_changes(b->db) > 0)
		return 0;
	if ((rc = sq_lease_get(b, name, &cur, d)) < 0)
		return rc;
	return fixu_diag_set(d, FIXU_EFENCED, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "lease %s: token %llu is no longer current (%s, token %llu)",
	    name, (unsigned long long)token, cur.holder[0] != '\0' ?
	    "held" : "free", (unsigned long long)cur.token);
}

static int
sq_lease_renew(void *bh, const char *name, uint64_t token, int64_t now_ns,
    int64_t ttl_ns, struct fixu_diag *d)
{
	return lease_guarded(bh, ST_LEASE_RENEW, name, token, now_ns, ttl_ns,
	    d);
}

static int
sq_lease_release(void *bh, const char *name, uint64_t token,
    struct fixu_diag *d)
{
	return lease_guarded(bh, ST_LEASE_RELEASE, name, token, 0, 0, d);
}

static int
sq_lease_break(void *bh, const char *name, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_LEASE_BREAK, &s, d)) < 0)
		return rc;
	bind_text(s, 1, name);
	if ((rc = sq_done(b, s, "lease break", d)) < 0)
		return rc;
	if (sqlite3_changes(b->db) == 0)
		return fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "lease %s was never taken", name);
	return 0;
}

static int
sq_leases(void *bh, int (*fn)(const struct fixu_lease *, void *), void *arg,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	struct fixu_lease l;
	sqlite3_stmt *s = NULL;
	int rc, r = 0, own;

	if ((rc = walk_stmt(b, ST_LEASE_LIST, &s, &own, d)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		lease_row(s, &l);
		if ((r = fn(&l, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_err(b, rc, "leases", d);
	walk_end(s, own);
	return r;
}

/* ---- credentials --------------------------------------------------------- */

static int
sq_cred_set(void *bh, int64_t session, const char *user, const char *hash,
    int64_t now_ns, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_CRED_SET, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, session);
	bind_text(s, 2, user);
	bind_text(s, 3, hash);
	sqlite3_bind_int64(s, 4, now_ns);
	return sq_done(b, s, "credentials", d);
}

static int
sq_cred_clear(void *bh, int64_t session, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_CRED_CLEAR, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, session);
	return sq_done(b, s, "credentials", d);
}

static int
sq_cred_get(void *bh, int64_t session, char user[FIXU_USER_MAX + 1],
    char hash[FIXU_PWHASH_MAX + 1], struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_CRED_GET, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, session);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = 0;
		if (col_copy(s, 0, user, FIXU_USER_MAX + 1) < 0 ||
		    col_copy(s, 1, hash, FIXU_PWHASH_MAX + 1) < 0)
			rc = fixu_diag_set(d, FIXU_ECORRUPT, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: credentials row too long",
			    b->path);
	} else if (rc == SQLITE_DONE)
		rc = fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "no credentials");
	else
		rc = sq_err(b, rc, "credentials", d);
	sqlite3_reset(s);
	return rc;
}

/* ---- the message log's position ------------------------------------------ */

static int
sq_mlog_get(void *bh, uint64_t *gen, uint64_t *off, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_MLOG_GET, &s, d)) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*gen = (uint64_t)sqlite3_column_int64(s, 0);
		*off = (uint64_t)sqlite3_column_int64(s, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = fixu_diag_set(d, FIXU_ECORRUPT, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: the msglog row is missing", b->path);
	else
		rc = sq_err(b, rc, "msglog", d);
	sqlite3_reset(s);
	return rc;
}

static int
sq_mlog_set(void *bh, uint64_t gen, uint64_t off, struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sq_stmt(b, ST_MLOG_SET, &s, d)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (int64_t)gen);
	sqlite3_bind_int64(s, 2, (int64_t)off);
	return sq_done(b, s, "msglog", d);
}

/* Sync the WAL: every transaction committed so far survives power loss. */
static int
sq_flush(void *bh, struct fixu_diag *d)
{
	struct sq *b = bh;
	int rc;

	if (b->nosync)
		return 0;
	if ((rc = sq_sync_file(b->db, SQLITE_FCNTL_JOURNAL_POINTER)) !=
	    SQLITE_OK)
		return fixu_diag_set(d, sq_code(rc), SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: syncing the WAL: %s", b->path,
		    sqlite3_errstr(rc));
	return 0;
}

/*
 * PRAGMA quick_check: every page of every table and index is well formed
 * and in order (but not that each index matches its table, which
 * integrity_check would read the whole table again for).  A fault it
 * cannot even walk past is one more fault, not an error.
 */
static int
sq_check(void *bh, void (*fn)(const char *, void *), void *arg,
    struct fixu_diag *d)
{
	struct sq *b = bh;
	sqlite3_stmt *s = NULL;
	const char *t, *e;
	char line[300];
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, "PRAGMA quick_check(100)", -1, &s,
	    NULL)) != SQLITE_OK)
		return sq_err(b, rc, "quick_check", d);
	/* A row may hold several faults, a line each, under a heading. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(s, 0);
		for (; t != NULL && *t != '\0'; t = *e ? e + 1 : e) {
			e = t + strcspn(t, "\n");
			snprintf(line, sizeof(line), "%.*s", (int)(e - t), t);
			if (strcmp(line, "ok") != 0 && line[0] != '\0' &&
			    strncmp(line, "*** ", 4) != 0)
				fn(line, arg);
		}
	}
	if (rc != SQLITE_DONE)
		fn(sqlite3_errmsg(b->db), arg);
	sqlite3_finalize(s);
	return 0;
}

const struct fixu_store_be fixu_store_be_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.maintain = ckpt_catchup,
	.sess_get = sq_sess_get,
	.sess_add = sq_sess_add,
	.sess_list = sq_sess_list,
	.sess_update = sq_sess_update,
	.append = sq_append,
	.append_many = sq_append_many,
	.range = sq_range,
	.purge = sq_purge,
	.event_add = sq_event_add,
	.events = sq_events,
	.epochs = sq_epochs,
	.lease_acquire = sq_lease_acquire,
	.lease_renew = sq_lease_renew,
	.lease_release = sq_lease_release,
	.lease_break = sq_lease_break,
	.lease_get = sq_lease_get,
	.leases = sq_leases,
	.cred_set = sq_cred_set,
	.cred_clear = sq_cred_clear,
	.cred_get = sq_cred_get,
	.mlog_get = sq_mlog_get,
	.mlog_set = sq_mlog_set,
	.flush = sq_flush,
	.check = sq_check,
};
