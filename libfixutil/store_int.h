/*
 * store_int.h -- the narrow interface between store.c and a storage backend.
 *
 * store.c owns everything that does not depend on the database: argument
 * checks, session ids, the BLAKE2b hash chain, credential hashing, the
 * batch bookkeeping and fencing policy, and verification.  A backend only
 * stores and fetches rows.  SQLite (store_sqlite.c) is the one backend
 * today; a PostgreSQL backend would fill the same table of functions and
 * no caller would change.
 *
 * Rules every backend keeps:
 *
 *  - Every function returns 0 or a negative FIXU_E* code and fills d.
 *    Database failures map to FIXU_EBUSY (lock not obtained in busy_ms),
 *    FIXU_EFULL, FIXU_EREADONLY, FIXU_ECORRUPT, FIXU_EIO, FIXU_ENOMEM; a
 *    missing row is FIXU_ENOTFOUND.
 *  - begin() opens the write transaction of a batch, taking the write lock
 *    at once (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN plus a lock on the
 *    sessions touched).  The writers sess_add, sess_update, append,
 *    event_add, cred_set, cred_clear and purge run only inside it.
 *  - commit() checks the fence inside the transaction when fence is not
 *    NULL: the lease row must exist, be held (holder not empty) and carry
 *    token; otherwise it rolls back and returns FIXU_EFENCED.  On any
 *    failure commit() leaves no transaction open.
 *  - When a writer fails with EFULL, EIO, ECORRUPT, EBUSY or EREADONLY the
 *    caller calls rollback(); rollback() with no transaction open is fine.
 *  - The lease functions are whole transactions of their own and are
 *    never called while a batch is open.
 *  - Readers (sess_get, sess_list, range, events, epochs, lease_get,
 *    leases, cred_get) may run inside or outside a batch; outside, they
 *    see committed data only.  Records and strings handed to a callback
 *    live until the callback returns.
 */
#ifndef FIXU_STORE_INT_H
#define FIXU_STORE_INT_H

#include <sched.h>
#include <stdint.h>

struct fixu_store;

#include "store.h"

#define FIXU_HASHLEN	32

/* The mover's WAL is copied back at this length under load, from a
   sixteenth of it in a lull (tests change it). */
extern int64_t	fixu_mover_ckpt_bytes;

/*
 * The checkpointer thread's look at the WAL (store_sqlite.c), in frames:
 * whether it should pass at once, pass after pass.  Set the first four;
 * the rest start at 0, 0 and -1.
 */
struct fixu_ckpt_look {
	int	catchup;	/* behind from this length on */
	int	lazy;		/* and then only in a lull or from hard */
	int	hard;
	int	quiet;		/* growth between two looks in a lull */
	int	behind, last;	/* the last look's answer and length */
	int	done;		/* the length a pass last copied whole */
};
int	fixu_ckpt_look(struct fixu_ckpt_look *, int frames);

/* CLOCK_MONOTONIC in ns (the store's threads). */
int64_t	fixu_mono_ns(void);

/* Linux's value (the store's threads); glibc defines it only with
   _GNU_SOURCE. */
#ifndef SCHED_IDLE
#define SCHED_IDLE	5
#endif

/* A session row as the backend keeps it: the public part plus the chain. */
struct fixu_be_sess {
	struct fixu_sess	s;
	uint8_t			chain[FIXU_HASHLEN];	/* head of the chain */
	uint8_t			anchor[FIXU_HASHLEN];	/* before the first kept */
};

/* What sess_update changes; a field is changed when its flag is set. */
#define FIXU_BE_NEXT_OUT	0x01
#define FIXU_BE_NEXT_IN		0x02
#define FIXU_BE_ONLINE		0x04	/* online and last_activity_ns */
#define FIXU_BE_NEW_EPOCH	0x08	/* epoch + 1, next 1/1, counts 0 */

struct fixu_be_upd {
	int		 what;
	uint64_t	 next_out;
	uint64_t	 next_in;
	int		 online;
	int64_t		 now_ns;	/* activity time; epoch start time */
	const char	*reason;	/* FIXU_BE_NEW_EPOCH: why */
};

/* Order of range(). */
#define FIXU_BE_ORDER_ROWID	0	/* storage order */
#define FIXU_BE_ORDER_SEQ	1	/* epoch, dir, seq, rowid: for verify */

/* Longest username and password hash string a backend must hold. */
#define FIXU_USER_MAX		128
#define FIXU_PWHASH_MAX		128

struct fixu_store_be {
	const char	*name;

	/*
	 * Open or create; migrate an older schema.  opts->path is never NULL
	 * here.  *readonly is set when writes will fail (opts or the file).
	 */
	int	(*open)(void **bh, const struct fixu_store_opts *opts,
		    int *readonly, struct fixu_diag *d);
	void	(*close)(void *bh);

	/* ---- the batch ---- */
	int	(*begin)(void *bh, struct fixu_diag *d);
	int	(*commit)(void *bh, const char *fence, uint64_t token,
		    struct fixu_diag *d);
	void	(*rollback)(void *bh);
	/* Upkeep outside any batch, after the caller's outputs (optional). */
	void	(*maintain)(void *bh);

	/* ---- sessions ---- */
	/* By sid when sid is not NULL, else by id.  FIXU_ENOTFOUND. */
	int	(*sess_get)(void *bh, const struct fixu_sessid *sid, int64_t id,
		    struct fixu_be_sess *out, struct fixu_diag *d);
	/* Insert (epoch 1 and its epochs row, next 1/1, zero chain). */
	int	(*sess_add)(void *bh, const struct fixu_sessid *sid,
		    int64_t now_ns, int64_t *id, struct fixu_diag *d);
	/* Ordered by id; fn's nonzero return stops and is returned. */
	int	(*sess_list)(void *bh,
		    int (*fn)(const struct fixu_be_sess *, void *), void *arg,
		    struct fixu_diag *d);
	int	(*sess_update)(void *bh, int64_t id,
		    const struct fixu_be_upd *u, struct fixu_diag *d);

	/* ---- messages ---- */
	/*
	 * Insert rec (epoch already resolved, time set, hash computed) and,
	 * in the same statement set, update the session: chain = rec->hash,
	 * counters, last activity, and when rec->epoch is the current epoch
	 * next_<dir> = max(next_<dir>, seq + 1).
	 */
	int	(*append)(void *bh, const struct fixu_rec *rec,
		    struct fixu_diag *d);
	/* The same as n appends in order (one session update each). */
	int	(*append_many)(void *bh, const struct fixu_rec *recs, size_t n,
		    struct fixu_diag *d);
	/* Stream the rows of q (epoch 0 resolved by the backend). */
	int	(*range)(void *bh, const struct fixu_query *q, int order,
		    int (*fn)(const struct fixu_rec *, void *), void *arg,
		    struct fixu_diag *d);
	/*
	 * Delete a rowid-order prefix of one session's messages chosen by q
	 * (session, epoch, time_to, upto_rowid); the anchor becomes the hash
	 * of the last deleted message and the counters drop.  FIXU_EINVAL,
	 * nothing deleted, when the rows chosen are not a prefix.
	 */
	int	(*purge)(void *bh, const struct fixu_query *q, uint64_t *n,
		    struct fixu_diag *d);

	/* ---- events and epochs ---- */
	int	(*event_add)(void *bh, int64_t session, int64_t now_ns,
		    const char *kind, const char *text, struct fixu_diag *d);
	int	(*events)(void *bh, int64_t session,
		    int (*fn)(int64_t, const char *, const char *, void *),
		    void *arg, struct fixu_diag *d);
	int	(*epochs)(void *bh, int64_t session,
		    int (*fn)(uint32_t, int64_t, const char *, void *),
		    void *arg, struct fixu_diag *d);

	/* ---- leases: each call is its own transaction ---- */
	int	(*lease_acquire)(void *bh, const char *name, const char *holder,
		    int64_t now_ns, int64_t ttl_ns, struct fixu_lease *out,
		    struct fixu_diag *d);
	int	(*lease_renew)(void *bh, const char *name, uint64_t token,
		    int64_t now_ns, int64_t ttl_ns, struct fixu_diag *d);
	int	(*lease_release)(void *bh, const char *name, uint64_t token,
		    struct fixu_diag *d);
	int	(*lease_break)(void *bh, const char *name, struct fixu_diag *d);
	int	(*lease_get)(void *bh, const char *name, struct fixu_lease *out,
		    struct fixu_diag *d);
	int	(*leases)(void *bh, int (*fn)(const struct fixu_lease *, void *),
		    void *arg, struct fixu_diag *d);

	/* ---- credentials (hash is an opaque crypto_pwhash_str string) ---- */
	int	(*cred_set)(void *bh, int64_t session, const char *user,
		    const char *hash, int64_t now_ns, struct fixu_diag *d);
	int	(*cred_clear)(void *bh, int64_t session, struct fixu_diag *d);
	/* FIXU_ENOTFOUND when the session has none. */
	int	(*cred_get)(void *bh, int64_t session,
		    char user[FIXU_USER_MAX + 1], char hash[FIXU_PWHASH_MAX + 1],
		    struct fixu_diag *d);

	/* ---- the message log (msglog_int.h) ---- */
	/* How far the log has been moved into the database: generation and
	   offset; (0, 0) before the first move.  set runs in a batch. */
	int	(*mlog_get)(void *bh, uint64_t *gen, uint64_t *off,
		    struct fixu_diag *d);
	int	(*mlog_set)(void *bh, uint64_t gen, uint64_t off,
		    struct fixu_diag *d);
	/* Make every committed transaction survive power loss (with
	   FIXU_DUR_PROCESS, nothing). */
	int	(*flush)(void *bh, struct fixu_diag *d);
	/* The file's structure: fn for each fault found (up to 100). */
	int	(*check)(void *bh, void (*fn)(const char *, void *),
		    void *arg, struct fixu_diag *d);
};

extern const struct fixu_store_be fixu_store_be_sqlite;

#endif
