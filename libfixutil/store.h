/*
 * store.h -- the session store: sessions, every message in both directions,
 * sequence numbers and epochs, leases with fencing tokens, credentials.
 *
 * Ownership: a struct fixu_store is a handle on one database; it is not
 * shared between threads, but any number of processes may open the same
 * file at once (SQLite in WAL mode: readers never block the writer for
 * long, and a busy database is waited out for busy_ms, then FIXU_EBUSY).
 * Records handed to a callback (struct fixu_rec, struct fixu_sess) and
 * every view in them live until the callback returns; copy what you keep.
 * Strings passed in are copied before the call returns.
 *
 * Writes are grouped: fixu_store_append() and the other writers join the
 * open batch (opening one when there is none), and nothing is durable until
 * fixu_store_commit() makes the whole batch durable in one transaction, so
 * one fsync covers many messages.  A caller that sends a message after its
 * commit and delivers an inbound message after its commit never loses one.
 * fixu_store_rollback() drops the batch.  Readers see committed data only.
 *
 * Fencing: after fixu_store_fence(st, lease, token) every commit checks,
 * inside its own transaction, that token is still the current token of
 * that lease; when it is not, the batch is rolled back and the commit
 * returns FIXU_EFENCED, so a deposed holder can never write.
 *
 * Nothing deletes history silently: fixu_store_reset() starts a new epoch
 * and keeps the old messages; only fixu_store_purge() deletes, and only
 * what its caller names.
 */
#ifndef FIXU_STORE_H
#define FIXU_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* The schema version this code writes (PRAGMA user_version). */
#define FIXU_STORE_SCHEMA	3
/*
 * The oldest version a reader takes as it is: what later versions added
 * (unsynced) only writers use.  An older store is migrated by its next
 * writer first.
 */
#define FIXU_STORE_READABLE	2

struct fixu_store;

#define FIXU_DIR_IN	0	/* received from the counterparty */
#define FIXU_DIR_OUT	1	/* sent to the counterparty */

/* BeginString:SenderCompID->TargetCompID[:Qualifier], as QuickFIX writes it. */
struct fixu_sessid {
	char	begin[33];
	char	sender[65];
	char	target[65];
	char	qualifier[65];
};

/* Parse "FIX.4.4:EXEC->CLIENT1[:Q]"; FIXU_ESYNTAX with d->off on error. */
int	fixu_sessid_parse(struct fixu_sessid *, const char *s, size_t n,
	    struct fixu_diag *d);
/* Format into buf (at least 240 bytes); returns buf. */
char	*fixu_sessid_fmt(const struct fixu_sessid *, char *buf, size_t n);

/* One session as stored. */
struct fixu_sess {
	int64_t			id;
	struct fixu_sessid	sid;
	int64_t			created_ns;	/* CLOCK_REALTIME, ns */
	uint32_t		epoch;		/* current sequence epoch, from 1 */
	uint64_t		next_out;	/* next MsgSeqNum to send */
	uint64_t		next_in;	/* next MsgSeqNum expected */
	int			online;
	int64_t			last_activity_ns;	/* 0: never */
	uint64_t		nmsg_in;	/* messages in the current epoch */
	uint64_t		nmsg_out;
	uint64_t		nmsg_all;	/* every epoch, both directions */
	int			has_passwd;	/* credentials are set */
};

/* One stored message. */
struct fixu_rec {
	int64_t		rowid;		/* set by the store; increasing */
	int64_t		session;
	uint32_t	epoch;		/* append: 0 means the current epoch */
	int		dir;		/* FIXU_DIR_IN or FIXU_DIR_OUT */
	uint64_t	seq;		/* MsgSeqNum (34) */
	int64_t		time_ns;	/* when stored, CLOCK_REALTIME */
	struct fixu_str	msgtype;	/* 35 */
	int		possdup;	/* 43=Y */
	struct fixu_str	raw;		/* the wire message */
	uint8_t		hash[32];	/* chain value after this message */
};

enum fixu_durability {
	FIXU_DUR_FULL = 0,	/* fsync at every commit: survives power loss */
	FIXU_DUR_NORMAL,	/* WAL, no fsync per commit, fsyncs at
				   checkpoints: survives a crash of the
				   process; after a power loss, consistent
				   without the last commits */
	FIXU_DUR_PROCESS	/* no fsync ever (QuickFIX's FileStore):
				   survives a crash of the process; a power
				   loss can damage the file */
};

struct fixu_store_opts {
	const char	*path;		/* NULL: fixu_store_default_path() */
	int		 durability;	/* enum fixu_durability */
	int		 readonly;
	int		 create;	/* create the file and schema if missing */
	int		 busy_ms;	/* wait for a busy database; 0: 5000 */
	int		 bg_checkpoint;	/* copy the WAL back from a thread of
					   its own, not inside commits */
	int		 wal_frames;	/* with bg_checkpoint: the WAL length
					   at which fixu_store_maintain()
					   copies the rest back; 0:
					   ckpt_bytes or else 128 MB of
					   pages (131,072 of 1 KB) */
	int		 log;		/* commit appends to the message log
					   (STORE-log) and move them into
					   the database from a thread: one
					   writer process; needs
					   bg_checkpoint; no fencing */
	int64_t		 ckpt_bytes;	/* without bg_checkpoint: commits
					   checkpoint a WAL of this many
					   bytes of pages, not of 1,000
					   pages (0); with it, the thread
					   passes, at idle priority, only
					   from this length on, not every
					   20 ms (0).  The WAL is cut back
					   to 64 MB after */
};

/*
 * ckpt_bytes for commits that must not wait for a checkpoint (a lease
 * renewal, a session or an event beside the message log's mover): twice
 * the 256 MB that a fixsession lets its WAL reach, so beside one they never
 * checkpoint; alone, their few pages take hours to fill it.
 */
#define FIXU_CKPT_RARE	(512LL << 20)

/* $FIXUTIL_STORE, else "fixutil.db" in the current directory. */
const char	*fixu_store_default_path(void);

/*
 * Open (and with create, create) a store; migrate an older schema forward.
 * Errors: FIXU_ENOTFOUND (no file, create not set), FIXU_ESCHEMA (newer
 * schema than FIXU_STORE_SCHEMA), FIXU_ECORRUPT (not a database, or damaged),
 * FIXU_EREADONLY, FIXU_EFULL, FIXU_EIO, FIXU_EBUSY; d says what and where.
 */
int	fixu_store_open(struct fixu_store **, const struct fixu_store_opts *,
	    struct fixu_diag *d);
/* Roll back an open batch and close; NULL is fine. */
void	fixu_store_close(struct fixu_store *);
const char	*fixu_store_path(const struct fixu_store *);
/* Name of the backend, "sqlite". */
const char	*fixu_store_backend(const struct fixu_store *);

/* ---- sessions ---------------------------------------------------------- */

/* Look a session up; with create, add it (epoch 1, next 1 and 1). */
int	fixu_store_session(struct fixu_store *, const struct fixu_sessid *,
	    int create, struct fixu_sess *out, struct fixu_diag *d);
int	fixu_store_session_byid(struct fixu_store *, int64_t id,
	    struct fixu_sess *out, struct fixu_diag *d);
/* Every session, ordered by id; fn returns nonzero to stop. */
int	fixu_store_sessions(struct fixu_store *,
	    int (*fn)(const struct fixu_sess *, void *), void *arg,
	    struct fixu_diag *d);

/* ---- writes (join the open batch) --------------------------------------- */

/*
 * Store one message and, when rec->seq >= the session's next number in
 * that direction, advance it to rec->seq + 1, extending the session's
 * BLAKE2b hash chain.  rec->epoch 0 means the current epoch.
 */
int	fixu_store_append(struct fixu_store *, const struct fixu_rec *rec,
	    struct fixu_diag *d);
/* Set the next outbound and/or inbound number; 0 leaves one as it is. */
int	fixu_store_set_next(struct fixu_store *, int64_t session,
	    uint64_t next_out, uint64_t next_in, struct fixu_diag *d);
/* New epoch, next numbers 1 and 1; old messages stay.  reason is logged. */
int	fixu_store_reset(struct fixu_store *, int64_t session,
	    const char *reason, struct fixu_diag *d);
int	fixu_store_set_online(struct fixu_store *, int64_t session, int online,
	    int64_t now_ns, struct fixu_diag *d);
/* An administrative event (logon, logout, gap, reject ...) for the log. */
int	fixu_store_event(struct fixu_store *, int64_t session, int64_t now_ns,
	    const char *kind, const char *text, struct fixu_diag *d);
/* Make the batch durable.  FIXU_EFENCED: fenced, batch rolled back. */
int	fixu_store_commit(struct fixu_store *, struct fixu_diag *d);
void	fixu_store_rollback(struct fixu_store *);
/* Number of writes in the open batch (0: none open). */
size_t	fixu_store_pending(const struct fixu_store *);
/*
 * Upkeep that may take milliseconds (with bg_checkpoint: copying the last
 * of a long WAL back so that it starts again), for a caller that has just
 * sent what its last commit released.  No batch may be open.
 */
void	fixu_store_maintain(struct fixu_store *);

/* Check lease/token in every later commit; lease NULL stops fencing. */
int	fixu_store_fence(struct fixu_store *, const char *lease,
	    uint64_t token);

/* ---- reads ----------------------------------------------------------------- */

struct fixu_query {
	int64_t		session;
	int64_t		epoch;		/* 0: current; -1: every epoch */
	int		dir;		/* -1: both */
	uint64_t	seq_from;	/* 0: from the first */
	uint64_t	seq_to;		/* 0: to the last */
	int64_t		time_from;	/* ns; 0: no bound */
	int64_t		time_to;	/* ns, exclusive; 0: no bound */
	const char	*msgtype;	/* NULL: any; else a comma list */
	int64_t		after_rowid;	/* only rows after this (follow) */
	int64_t		upto_rowid;	/* 0: no bound; else rows <= this */
};

/*
 * Messages matching q in storage order (rowid); fn returns nonzero to stop
 * (that value is returned).  This is what resends and dumps read.
 */
int	fixu_store_range(struct fixu_store *, const struct fixu_query *q,
	    int (*fn)(const struct fixu_rec *, void *), void *arg,
	    struct fixu_diag *d);

/* Administrative events of a session, oldest first. */
int	fixu_store_events(struct fixu_store *, int64_t session,
	    int (*fn)(int64_t time_ns, const char *kind, const char *text,
	    void *), void *arg, struct fixu_diag *d);

/* Epochs of a session: number, start time and why it started. */
int	fixu_store_epochs(struct fixu_store *, int64_t session,
	    int (*fn)(uint32_t epoch, int64_t started_ns, const char *reason,
	    void *), void *arg, struct fixu_diag *d);

/* ---- verification and purging ---------------------------------------------- */

/*
 * Recompute every session's (or one session's) hash chain and look for
 * sequence gaps, duplicates and bad BodyLength/CheckSum in stored
 * messages; for the whole store, first check the file's structure.  fn is
 * called for each problem with the session and the record concerned (NULL
 * for a session-level problem; both NULL for the file) and a sentence;
 * the count of problems is stored in *nproblems.  Returns 0 when the walk
 * finished.
 */
int	fixu_store_verify(struct fixu_store *, int64_t session,
	    void (*fn)(const struct fixu_sess *, const struct fixu_rec *,
	    const char *what, void *), void *arg, uint64_t *nproblems,
	    struct fixu_diag *d);

/*
 * Delete the messages of q (only session, epoch, time_to and upto_rowid
 * are honoured) and record in the session's chain anchor the hash of the
 * last deleted message, so that verify still checks what remains.  The
 * caller exports and checks them first; this is the only delete.
 */
int	fixu_store_purge(struct fixu_store *, const struct fixu_query *q,
	    uint64_t *ndeleted, struct fixu_diag *d);

/* ---- leases ------------------------------------------------------------------ */

struct fixu_lease {
	char		name[65];
	char		holder[129];	/* "" when free */
	uint64_t	token;		/* of the current or last holder */
	int64_t		acquired_ns;	/* CLOCK_MONOTONIC of the holder's host */
	int64_t		renewed_ns;
	int64_t		expires_ns;
};

/*
 * Take lease name for holder until now + ttl: granted when free, expired,
 * or already held by holder.  A grant gets a token larger than any token
 * ever issued for that name.  FIXU_EBUSY (with *out filled) when held.
 */
int	fixu_store_lease_acquire(struct fixu_store *, const char *name,
	    const char *holder, int64_t now_ns, int64_t ttl_ns,
	    struct fixu_lease *out, struct fixu_diag *d);
/* Extend; FIXU_EFENCED when token is no longer current. */
int	fixu_store_lease_renew(struct fixu_store *, const char *name,
	    uint64_t token, int64_t now_ns, int64_t ttl_ns, struct fixu_diag *d);
/* Give up; FIXU_EFENCED when token is no longer current. */
int	fixu_store_lease_release(struct fixu_store *, const char *name,
	    uint64_t token, struct fixu_diag *d);
/* Free the lease whoever holds it (a dead holder's); the token stays. */
int	fixu_store_lease_break(struct fixu_store *, const char *name,
	    struct fixu_diag *d);
/* FIXU_ENOTFOUND when the lease was never taken. */
int	fixu_store_lease_get(struct fixu_store *, const char *name,
	    struct fixu_lease *out, struct fixu_diag *d);
int	fixu_store_leases(struct fixu_store *,
	    int (*fn)(const struct fixu_lease *, void *), void *arg,
	    struct fixu_diag *d);

/* ---- credentials ---------------------------------------------------------- */

/* Set a counterparty's Username (553) and Password (554): argon2id hash. */
int	fixu_store_passwd_set(struct fixu_store *, int64_t session,
	    const char *user, const char *pw, size_t pwlen, struct fixu_diag *d);
/* Remove credentials: Logon needs none again. */
int	fixu_store_passwd_clear(struct fixu_store *, int64_t session,
	    struct fixu_diag *d);
/*
 * 0 when user and pw match, or when the session has no credentials;
 * FIXU_EAUTH otherwise.  Takes about as long whether or not user matches.
 */
int	fixu_store_passwd_check(struct fixu_store *, int64_t session,
	    const char *user, size_t ulen, const char *pw, size_t pwlen,
	    struct fixu_diag *d);

#endif
