/*
 * store.c -- the session store's public API.
 *
 * This file holds what does not depend on the database: session ids,
 * argument checks, the batch bookkeeping, the BLAKE2b hash chain, argon2id
 * credentials and verification.  Rows are stored and fetched by a backend
 * (store_int.h); SQLite is the only one today.
 *
 * The batch: the first write of a batch opens the backend's write
 * transaction and later writes join it until fixu_store_commit().  While
 * it is open the handle caches the chain head and epoch of the sessions it
 * appends to; the write lock keeps every other writer out, so the cache
 * cannot go stale before the batch ends, and an append costs one hash and
 * one INSERT plus one UPDATE.  A write that fails in the database
 * (disk full, I/O, busy) drops the whole batch, since the caller cannot
 * tell what part of it would survive; a write refused by an argument
 * check leaves the batch as it was.
 *
 * Administrative writes that stand alone (creating a session outside a
 * batch, purge, credentials) run as their own transaction and commit at
 * once, through the same fenced commit.  Lease calls are their own
 * transactions and are refused while a batch is open.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "codec.h"
#include "err.h"
#include "fixlimits.h"
#include "msglog_int.h"
#include "store.h"
#include "store_int.h"

struct fixu_store {
	const struct fixu_store_be *be;
	void		*bh;
	char		*path;
	int		 readonly;
	size_t		 pending;	/* writes in the open batch */
	char		*fence;		/* lease name, NULL: not fenced */
	uint64_t	 fence_token;
	struct fixu_msg	 msg;		/* verify's parser */
	/*
	 * The epoch and chain head of each session appended to: for one
	 * batch (another writer may append between two), or with the log,
	 * across batches, since this process is then the sessions' only
	 * writer (a read outside a batch drops them all the same).
	 */
	struct lsess	*ls;		/* open addressing on id; 0: free */
	size_t		 nls, capls;
	/*
	 * The message log (opts.log): appends of a batch are encoded into
	 * lbuf and committed to the log; a batch that does anything else
	 * goes to the database whole (direct).  The mover thread writes
	 * through mbh.
	 */
	struct fixu_mlog *mlog;
	void		*mbh;
	struct fixu_buf	 lbuf;
	int		 direct;
};

struct lsess {
	int64_t		id;
	uint32_t	epoch;
	uint8_t		chain[FIXU_HASHLEN];
};

/*
 * A hash with the interactive argon2id parameters, of a random password
 * nobody knows: checked against when the username is wrong, so a wrong
 * username costs as long as a wrong password.
 */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$"
    "6YEUB8njdaCYqfJLDkbfTw$MZl0LCCCcTcpUpYqz7A1KWQLvHSALTB2z9a6qwQAkEM";

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
einval(struct fixu_diag *d, const char *what)
{
	return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0, FIXU_REJ_NONE, "%s",
	    what);
}

/* ---- session ids --------------------------------------------------------- */

/* A CompID or BeginString: printable, no '|', no SOH, not empty. */
static int
id_ok(const char *p, size_t n, size_t max, size_t *bad)
{
	size_t i;

	if (n == 0 || n > max) {
		*bad = n > max ? max : 0;
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f
		    || p[i] == '|') {
			*bad = i;
			return 0;
		}
	return 1;
}

int
fixu_sessid_parse(struct fixu_sessid *sid, const char *s, size_t n,
    struct fixu_diag *d)
{
	const char *colon, *arrow, *end = s + n, *t, *q = NULL;
	size_t bad = 0, i;

	memset(sid, 0, sizeof(*sid));
	if ((colon = memchr(s, ':', n)) == NULL)
		return fixu_diag_set(d, FIXU_ESYNTAX, 0, 0, FIXU_REJ_NONE,
		    "session id '%.*s' has no ':' after the BeginString",
		    (int)(n > 80 ? 80 : n), s);
	arrow = NULL;
	for (i = (size_t)(colon - s) + 1; i + 1 < n; i++)
		if (s[i] == '-' && s[i + 1] == '>') {
			arrow = s + i;
			break;
		}
	if (arrow == NULL)
		return fixu_diag_set(d, FIXU_ESYNTAX, (size_t)(colon - s) + 1,
		    0, FIXU_REJ_NONE, "session id has no '->' between "
		    "SenderCompID and TargetCompID");
	t = arrow + 2;
	q = memchr(t, ':', (size_t)(end - t));
	if (!id_ok(s, (size_t)(colon - s), sizeof(sid->begin) - 1, &bad))
		return fixu_diag_set(d, FIXU_ESYNTAX, bad, 0, FIXU_REJ_NONE,
		    "bad BeginString in session id");
	if (!id_ok(colon + 1, (size_t)(arrow - colon - 1),
	    sizeof(sid->sender) - 1, &bad))
		return fixu_diag_set(d, FIXU_ESYNTAX,
		    (size_t)(colon + 1 - s) + bad, 0, FIXU_REJ_NONE,
		    "bad SenderCompID in session id");
	if (!id_ok(t, (size_t)((q != NULL ? q : end) - t),
	    sizeof(sid->target) - 1, &bad))
		return fixu_diag_set(d, FIXU_ESYNTAX, (size_t)(t - s) + bad,
		    0, FIXU_REJ_NONE, "bad TargetCompID in session id");
	if (q != NULL && !id_ok(q + 1, (size_t)(end - q - 1),
	    sizeof(sid->qualifier) - 1, &bad))
		return fixu_diag_set(d, FIXU_ESYNTAX, (size_t)(q + 1 - s) + bad,
		    0, FIXU_REJ_NONE, "bad qualifier in session id");
	memcpy(sid->begin, s, (size_t)(colon - s));
	memcpy(sid->sender, colon + 1, (size_t)(arrow - colon - 1));
	memcpy(sid->target, t, (size_t)((q != NULL ? q : end) - t));
	if (q != NULL)
		memcpy(sid->qualifier, q + 1, (size_t)(end - q - 1));
	return 0;
}

char *
fixu_sessid_fmt(const struct fixu_sessid *sid, char *buf, size_t n)
{
	int r;

	if (n == 0)
		return buf;
	if (sid->qualifier[0] != '\0')
		r = snprintf(buf, n, "%s:%s->%s:%s", sid->begin, sid->sender,
		    sid->target, sid->qualifier);
	else
		r = snprintf(buf, n, "%s:%s->%s", sid->begin, sid->sender,
		    sid->target);
	if (r < 0 || (size_t)r >= n)
		buf[0] = '\0';	/* a cut id would name another session */
	return buf;
}

/* A sessid from a caller: terminated, valid characters. */
static int
sessid_check(const struct fixu_sessid *sid, struct fixu_diag *d)
{
	size_t bad;

	if (sid == NULL)
		return einval(d, "no session id");
	if (memchr(sid->begin, '\0', sizeof(sid->begin)) == NULL ||
	    memchr(sid->sender, '\0', sizeof(sid->sender)) == NULL ||
	    memchr(sid->target, '\0', sizeof(sid->target)) == NULL ||
	    memchr(sid->qualifier, '\0', sizeof(sid->qualifier)) == NULL)
		return einval(d, "session id field not terminated");
	if (!id_ok(sid->begin, strlen(sid->begin), 32, &bad) ||
	    !id_ok(sid->sender, strlen(sid->sender), 64, &bad) ||
	    !id_ok(sid->target, strlen(sid->target), 64, &bad) ||
	    (sid->qualifier[0] != '\0' && !id_ok(sid->qualifier,
	    strlen(sid->qualifier), 64, &bad)))
		return einval(d, "bad character or empty field in session id");
	return 0;
}

/* ---- the message log ------------------------------------------------------ */

static void	batch_drop(struct fixu_store *);

/* The mover's transaction: recs, and how far the log is moved. */
static int
mlog_apply(void *arg, const struct fixu_rec *recs, size_t n, uint64_t gen,
    uint64_t end, struct fixu_diag *d)
{
	struct fixu_store *st = arg;
	int rc;

	if ((rc = st->be->begin(st->mbh, d)) < 0 ||
	    (rc = st->be->append_many(st->mbh, recs, n, d)) < 0 ||
	    (rc = st->be->mlog_set(st->mbh, gen, end, d)) < 0 ||
	    (rc = st->be->commit(st->mbh, NULL, 0, d)) < 0)
		goto fail;
	/* Copies what the checkpointer's pass left: the WAL restarts. */
	if (st->be->maintain != NULL)
		st->be->maintain(st->mbh);
	return 0;
fail:
	st->be->rollback(st->mbh);
	return rc;
}

static int
mlog_flush(void *arg, struct fixu_diag *d)
{
	struct fixu_store *st = arg;

	return st->be->flush(st->mbh, d);
}

/*
 * The WAL length at which the mover's WAL is copied back into the
 * database under load; in a lull, from a sixteenth of it
 * (store_sqlite.c).  SQLite's 1,000 pages made that six times a second at
 * 10,000 orders/s, each a burst of copying and two syncs that took
 * fixsession's p99 latency from 0.33-0.45 ms to 0.55-1.3 ms (5 s runs).
 * 64 MB is a copy every six seconds at that rate, and a crash recovery
 * that reads little more than 64 MB.  The checkpointer thread copies; when
 * the mover's own commit did, the mover stood still for the 1.6 s that
 * took, and readers saw nothing new.
 */
int64_t fixu_mover_ckpt_bytes = 64LL << 20;

/*
 * Every open looks for a log: records a writer committed to it and that
 * were not yet moved when it stopped (a crash) go into the database now,
 * before anything reads it.  A log another process holds belongs to a
 * running fixsession with StoreLog=Y, which moves its records itself.
 * With opts.log the log stays open, with its mover thread.
 */
static int
mlog_setup(struct fixu_store *st, const struct fixu_store_opts *o,
    struct fixu_diag *d)
{
	struct fixu_store_opts mo = *o;
	struct fixu_mlog *m = NULL;
	uint64_t gen, off, n;
	int rc, ro = 0;

	rc = fixu_mlog_open(&m, o->path, o->log, o->durability ==
	    FIXU_DUR_FULL, d);
	if (rc == FIXU_ENOTFOUND || (rc == FIXU_EBUSY && !o->log)) {
		fixu_diag_clear(d);
		return 0;
	}
	if (rc < 0)
		return rc;
	/* The daemon's mover has the checkpointer thread, which copies the
	   WAL back while the mover goes on moving. */
	mo.readonly = mo.create = mo.log = 0;
	mo.bg_checkpoint = o->log;
	mo.wal_frames = 0;
	mo.ckpt_bytes = o->log ? fixu_mover_ckpt_bytes : 0;
	rc = st->be->open(&st->mbh, &mo, &ro, d);
	if (rc == 0 && ro)
		rc = fixu_diag_set(d, FIXU_EREADONLY, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s is read-only: the records in its "
		    "message log cannot be moved into it", o->path);
	if (rc < 0 && o->readonly) {
		/* A reader that cannot write shows what the database has. */
		fixu_diag_clear(d);
		rc = 0;
		goto out;
	}
	if (rc < 0 ||
	    (rc = st->be->mlog_get(st->mbh, &gen, &off, d)) < 0 ||
	    (rc = fixu_mlog_replay(m, gen, off, mlog_apply, mlog_flush, st,
	    &n, d)) < 0)
		goto out;
	if (o->log) {
		if ((rc = fixu_mlog_start(m, mlog_apply, mlog_flush, st,
		    d)) < 0)
			goto out;
		st->mlog = m;
		return 0;
	}
	fixu_mlog_close(m, 1);
	m = NULL;
out:
	fixu_mlog_close(m, 0);
	if (st->mbh != NULL)
		st->be->close(st->mbh);
	st->mbh = NULL;
	return rc;
}

/* The cached epoch and chain of session id, or NULL. */
static struct lsess *
ls_find(struct fixu_store *st, int64_t id)
{
	size_t i, mask = st->capls - 1;

	if (st->capls == 0)
		return NULL;
	for (i = (size_t)id & mask; st->ls[i].id != 0; i = (i + 1) & mask)
		if (st->ls[i].id == id)
			return &st->ls[i];
	return NULL;
}

static void
ls_clear(struct fixu_store *st)
{
	if (st->nls > 0)
		memset(st->ls, 0, st->capls * sizeof(*st->ls));
	st->nls = 0;
}

static struct lsess *
ls_add(struct fixu_store *st, int64_t id)
{
	struct lsess *old = st->ls, *e;
	size_t i, n = st->capls, mask;

	if (2 * (st->nls + 1) > st->capls) {
		n = n ? 2 * n : 64;
		if ((st->ls = calloc(n, sizeof(*st->ls))) == NULL) {
			st->ls = old;
			return NULL;
		}
		st->capls = n;
		st->nls = 0;
		for (i = 0; i < n / 2 && old != NULL; i++)
			if (old[i].id != 0 && (e = ls_add(st, old[i].id)) !=
			    NULL)
				*e = old[i];
		free(old);
	}
	mask = st->capls - 1;
	for (i = (size_t)id & mask; st->ls[i].id != 0; i = (i + 1) & mask)
		;
	st->ls[i].id = id;
	st->nls++;
	return &st->ls[i];
}

static int
redo_one(void *arg, const struct fixu_rec *r, struct fixu_diag *d)
{
	struct fixu_store *st = arg;

	return st->be->append(st->bh, r, d);
}

/*
 * The open batch goes to the database: the committed log is moved first
 * (so that order holds), then the batch's appends so far join a
 * transaction of ours.
 */
static int
go_direct(struct fixu_store *st, struct fixu_diag *d)
{
	int rc;

	if ((rc = fixu_mlog_drain(st->mlog, d)) < 0)
		goto fail;
	if ((rc = st->be->begin(st->bh, d)) < 0)
		goto fail;
	if ((rc = fixu_mlog_each(&st->lbuf, redo_one, st, d)) < 0)
		goto fail;
	fixu_buf_reset(&st->lbuf);
	st->direct = 1;
	return 0;
fail:
	batch_drop(st);
	return rc;
}

/*
 * Before a read, or a write that is not an append: outside a batch the
 * committed log is moved, so the database is current, and the cached
 * epochs and chains are read again at the next append (another tool may
 * have reset or changed a session that was offline, as it may between
 * two batches without the log); inside a batch, the batch goes to the
 * database (a batch sees its own writes).
 */
static int
log_sync(struct fixu_store *st, struct fixu_diag *d)
{
	if (st->mlog == NULL || st->direct)
		return 0;
	if (st->pending > 0)
		return go_direct(st, d);
	ls_clear(st);
	return fixu_mlog_drain(st->mlog, d);
}

/* ---- open and close ------------------------------------------------------ */

const char *
fixu_store_default_path(void)
{
	const char *p = getenv("FIXUTIL_STORE");

	return p != NULL && p[0] != '\0' ? p : "fixutil.db";
}

int
fixu_store_open(struct fixu_store **stp, const struct fixu_store_opts *opts,
    struct fixu_diag *d)
{
	struct fixu_store_opts o, mo;
	struct fixu_store *st;
	int rc = 0;

	fixu_diag_clear(d);
	*stp = NULL;
	if (opts != NULL)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	if (o.path == NULL)
		o.path = fixu_store_default_path();
	if (o.durability < FIXU_DUR_FULL || o.durability > FIXU_DUR_PROCESS)
		return einval(d, "unknown durability");
	if (o.busy_ms < 0)
		return einval(d, "negative busy_ms");
	if (sodium_init() < 0)
		return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "libsodium failed to initialise");
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(o.path)) == NULL) {
		free(st);
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "out of memory");
	}
	o.path = st->path;
	st->be = &fixu_store_be_sqlite;
	fixu_msg_init(&st->msg);
	fixu_buf_init(&st->lbuf, 256u << 20);
	if (o.log) {
		if (o.readonly)
			rc = einval(d, "the message log is for a writer");
		else if (o.bg_checkpoint == 0)
			rc = einval(d, "the message log needs bg_checkpoint");
		if (rc < 0) {
			fixu_store_close(st);
			return rc;
		}
	}
	mo = o;
	if (o.log) {
		/* The mover's connection has the checkpointer thread;
		   our commits are rare (sessions, events) and never
		   checkpoint. */
		mo.bg_checkpoint = 0;
		mo.ckpt_bytes = FIXU_CKPT_RARE;
	}
	if ((rc = st->be->open(&st->bh, &mo, &st->readonly, d)) < 0 ||
	    (rc = mlog_setup(st, &o, d)) < 0) {
		fixu_store_close(st);
		return rc;
	}
	*stp = st;
	return 0;
}

void
fixu_store_close(struct fixu_store *st)
{
	if (st == NULL)
		return;
	if (st->bh != NULL && st->pending > 0)
		batch_drop(st);
	/* Move the rest of the log and remove it: a clean stop leaves
	   everything in the database. */
	fixu_mlog_close(st->mlog, 1);
	if (st->mbh != NULL)
		st->be->close(st->mbh);
	if (st->bh != NULL)
		st->be->close(st->bh);
	fixu_buf_fini(&st->lbuf);
	free(st->ls);
	fixu_msg_fini(&st->msg);
	free(st->fence);
	free(st->path);
	free(st);
}

const char *
fixu_store_path(const struct fixu_store *st)
{
	return st->path;
}

const char *
fixu_store_backend(const struct fixu_store *st)
{
	return st->be->name;
}

/* ---- batch bookkeeping --------------------------------------------------- */

static int
db_error(int rc)
{
	return rc == FIXU_EFULL || rc == FIXU_EIO || rc == FIXU_ECORRUPT ||
	    rc == FIXU_EBUSY || rc == FIXU_EREADONLY || rc == FIXU_ENOMEM;
}

static void
batch_drop(struct fixu_store *st)
{
	st->be->rollback(st->bh);
	st->pending = 0;
	/* The cache has the dropped appends' chain: read it again. */
	ls_clear(st);
	fixu_buf_reset(&st->lbuf);
	st->direct = 0;
}

/* Join the open batch or open one. */
static int
wr_begin(struct fixu_store *st, struct fixu_diag *d)
{
	int rc;

	if (st->readonly)
		return fixu_diag_set(d, FIXU_EREADONLY, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s is open read-only", st->path);
	if (st->mlog != NULL)
		return st->direct ? 0 : go_direct(st, d);
	if (st->pending > 0)
		return 0;
	if ((rc = st->be->begin(st->bh, d)) < 0) {
		st->be->rollback(st->bh);
		return rc;
	}
	return 0;
}

/* After a write: count it, or clean up after its failure. */
static int
wr_end(struct fixu_store *st, int rc)
{
	if (rc == 0) {
		st->pending++;
		return 0;
	}
	if (db_error(rc) || st->pending == 0)
		batch_drop(st);
	return rc;
}

int
fixu_store_commit(struct fixu_store *st, struct fixu_diag *d)
{
	int rc;

	if (st->pending == 0)
		return 0;
	if (st->mlog != NULL && !st->direct) {
		rc = fixu_mlog_commit(st->mlog, &st->lbuf, d);
		fixu_buf_reset(&st->lbuf);
		st->pending = 0;
		if (rc < 0)
			ls_clear(st);
		return rc;
	}
	rc = st->be->commit(st->bh, st->fence, st->fence_token, d);
	st->pending = 0;
	st->direct = 0;
	if (rc < 0 || st->mlog == NULL)
		ls_clear(st);
	return rc;
}

void
fixu_store_rollback(struct fixu_store *st)
{
	if (st->pending > 0)
		batch_drop(st);
}

void
fixu_store_maintain(struct fixu_store *st)
{
	if (st->pending == 0 && st->be->maintain != NULL)
		st->be->maintain(st->bh);
}

size_t
fixu_store_pending(const struct fixu_store *st)
{
	return st->pending;
}

int
fixu_store_fence(struct fixu_store *st, const char *lease, uint64_t token)
{
	char *f = NULL;

	if (lease != NULL) {
		if (lease[0] == '\0' || strlen(lease) > 64 || st->mlog != NULL)
			return FIXU_EINVAL;
		if ((f = strdup(lease)) == NULL)
			return FIXU_ENOMEM;
	}
	free(st->fence);
	st->fence = f;
	st->fence_token = token;
	return 0;
}

/*
 * A stand-alone administrative write: join the open batch, or run as a
 * transaction of its own with a fenced commit.
 */
static int
adm_begin(struct fixu_store *st, int *own, struct fixu_diag *d)
{
	*own = st->pending == 0;
	return wr_begin(st, d);
}

static int
adm_end(struct fixu_store *st, int own, int rc, struct fixu_diag *d)
{
	if ((rc = wr_end(st, rc)) < 0 || !own)
		return rc;
	return fixu_store_commit(st, d);
}

/* ---- sessions ------------------------------------------------------------ */

int
fixu_store_session(struct fixu_store *st, const struct fixu_sessid *sid,
    int create, struct fixu_sess *out, struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	int64_t id;
	int rc, own;

	fixu_diag_clear(d);
	if ((rc = sessid_check(sid, d)) < 0 || (rc = log_sync(st, d)) < 0)
		return rc;
	rc = st->be->sess_get(st->bh, sid, 0, &bs, d);
	if (rc != FIXU_ENOTFOUND || !create)
		goto done;
	/* Look again under the write lock: another process may have won. */
	if ((rc = adm_begin(st, &own, d)) < 0)
		return rc;
	rc = st->be->sess_get(st->bh, sid, 0, &bs, d);
	if (rc == FIXU_ENOTFOUND) {
		fixu_diag_clear(d);
		rc = st->be->sess_add(st->bh, sid, now_ns(), &id, d);
		if (rc == 0)
			rc = st->be->sess_get(st->bh, NULL, id, &bs, d);
		if ((rc = adm_end(st, own, rc, d)) < 0)
			return rc;
	} else if (own || db_error(rc)) {
		/* Nothing written: end what we opened, or what failed. */
		batch_drop(st);
	}
done:
	if (rc == 0 && out != NULL)
		*out = bs.s;
	return rc;
}

int
fixu_store_session_byid(struct fixu_store *st, int64_t id,
    struct fixu_sess *out, struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	int rc;

	fixu_diag_clear(d);
	if ((rc = log_sync(st, d)) == 0 &&
	    (rc = st->be->sess_get(st->bh, NULL, id, &bs, d)) == 0 &&
	    out != NULL)
		*out = bs.s;
	return rc;
}

struct list_ctx {
	int	(*fn)(const struct fixu_sess *, void *);
	void	*arg;
};

static int
list_one(const struct fixu_be_sess *bs, void *arg)
{
	struct list_ctx *c = arg;

	return c->fn(&bs->s, c->arg);
}

int
fixu_store_sessions(struct fixu_store *st,
    int (*fn)(const struct fixu_sess *, void *), void *arg,
    struct fixu_diag *d)
{
	struct list_ctx c = { fn, arg };
	int rc;

	fixu_diag_clear(d);
	if (fn == NULL)
		return einval(d, "no callback");
	if ((rc = log_sync(st, d)) < 0)
		return rc;
	return st->be->sess_list(st->bh, list_one, &c, d);
}

/* ---- the hash chain ------------------------------------------------------ */

static void
le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * h_k = BLAKE2b-256(h_{k-1} || le64(epoch) || dir || le64(seq) ||
 * le64(time_ns) || raw).
 */
static void
chain_step(const uint8_t prev[FIXU_HASHLEN], const struct fixu_rec *r,
    uint8_t out[FIXU_HASHLEN])
{
	crypto_generichash_state h;
	uint8_t hdr[25];

	le64(hdr, r->epoch);
	hdr[8] = (uint8_t)r->dir;
	le64(hdr + 9, r->seq);
	le64(hdr + 17, (uint64_t)r->time_ns);
	crypto_generichash_init(&h, NULL, 0, FIXU_HASHLEN);
	crypto_generichash_update(&h, prev, FIXU_HASHLEN);
	crypto_generichash_update(&h, hdr, sizeof(hdr));
	crypto_generichash_update(&h, (const unsigned char *)r->raw.p,
	    r->raw.n);
	crypto_generichash_final(&h, out, FIXU_HASHLEN);
}

/* ---- writes -------------------------------------------------------------- */

int
fixu_store_append(struct fixu_store *st, const struct fixu_rec *rec,
    struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	struct lsess *ls;
	struct fixu_rec r;
	int rc, logged;

	if (rec == NULL || (rec->dir != FIXU_DIR_IN && rec->dir !=
	    FIXU_DIR_OUT))
		return einval(d, "append: bad record or direction");
	if (rec->seq > INT64_MAX - 1)
		return einval(d, "append: MsgSeqNum out of range");
	if (rec->raw.n > FIXU_MAX_MSG || rec->msgtype.n > 64 ||
	    (rec->raw.n > 0 && rec->raw.p == NULL) ||
	    (rec->msgtype.n > 0 && rec->msgtype.p == NULL))
		return fixu_diag_set(d, rec->raw.n > FIXU_MAX_MSG ?
		    FIXU_ELIMIT : FIXU_EINVAL, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "append: message or MsgType too long, or missing");
	/* To the log's batch, or to the database's transaction (without
	   the log, or with a batch gone to the database). */
	logged = st->mlog != NULL && !st->direct;
	if (!logged && (rc = wr_begin(st, d)) < 0)
		return rc;
	if ((ls = ls_find(st, rec->session)) == NULL) {
		/* With the log, the database is current once the committed
		   log is in (a batch gone to the database moved it). */
		if ((logged && (rc = fixu_mlog_drain(st->mlog, d)) < 0) ||
		    (rc = st->be->sess_get(st->bh, NULL, rec->session, &bs,
		    d)) < 0)
			return wr_end(st, rc);
		if ((ls = ls_add(st, rec->session)) == NULL)
			return wr_end(st, fixu_diag_set(d, FIXU_ENOMEM,
			    SIZE_MAX, 0, FIXU_REJ_NONE, "out of memory"));
		ls->epoch = bs.s.epoch;
		memcpy(ls->chain, bs.chain, FIXU_HASHLEN);
	}
	r = *rec;
	if (r.epoch == 0)
		r.epoch = ls->epoch;
	if (r.epoch > ls->epoch)
		return wr_end(st, einval(d, "append: epoch after the "
		    "session's current epoch"));
	if (r.time_ns == 0)
		r.time_ns = now_ns();
	chain_step(ls->chain, &r, r.hash);
	if (!logged)
		rc = st->be->append(st->bh, &r, d);
	else if ((rc = fixu_mlog_encode(&st->lbuf, &r)) < 0)
		rc = fixu_diag_set(d, rc, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "append: %s", fixu_strerror(rc));
	if (rc < 0)
		return wr_end(st, rc);
	memcpy(ls->chain, r.hash, FIXU_HASHLEN);
	return wr_end(st, 0);
}

static int
sess_update(struct fixu_store *st, int64_t session,
    const struct fixu_be_upd *u, struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	int rc;

	if ((rc = wr_begin(st, d)) < 0)
		return rc;
	rc = st->be->sess_get(st->bh, NULL, session, &bs, d);
	if (rc == 0)
		rc = st->be->sess_update(st->bh, session, u, d);
	ls_clear(st);
	return wr_end(st, rc);
}

int
fixu_store_set_next(struct fixu_store *st, int64_t session,
    uint64_t next_out, uint64_t next_in, struct fixu_diag *d)
{
	struct fixu_be_upd u;

	fixu_diag_clear(d);
	if (next_out > INT64_MAX || next_in > INT64_MAX)
		return einval(d, "sequence number out of range");
	memset(&u, 0, sizeof(u));
	u.what = (next_out ? FIXU_BE_NEXT_OUT : 0) |
	    (next_in ? FIXU_BE_NEXT_IN : 0);
	u.next_out = next_out;
	u.next_in = next_in;
	if (u.what == 0)
		return 0;
	return sess_update(st, session, &u, d);
}

int
fixu_store_reset(struct fixu_store *st, int64_t session, const char *reason,
    struct fixu_diag *d)
{
	struct fixu_be_upd u;

	fixu_diag_clear(d);
	memset(&u, 0, sizeof(u));
	u.what = FIXU_BE_NEW_EPOCH;
	u.now_ns = now_ns();
	u.reason = reason != NULL ? reason : "";
	return sess_update(st, session, &u, d);
}

int
fixu_store_set_online(struct fixu_store *st, int64_t session, int online,
    int64_t now, struct fixu_diag *d)
{
	struct fixu_be_upd u;

	fixu_diag_clear(d);
	memset(&u, 0, sizeof(u));
	u.what = FIXU_BE_ONLINE;
	u.online = online != 0;
	u.now_ns = now;
	return sess_update(st, session, &u, d);
}

int
fixu_store_event(struct fixu_store *st, int64_t session, int64_t now,
    const char *kind, const char *text, struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	int rc;

	fixu_diag_clear(d);
	if (kind == NULL || kind[0] == '\0')
		return einval(d, "event without a kind");
	if ((rc = wr_begin(st, d)) < 0)
		return rc;
	rc = st->be->sess_get(st->bh, NULL, session, &bs, d);
	if (rc == 0)
		rc = st->be->event_add(st->bh, session, now, kind,
		    text != NULL ? text : "", d);
	return wr_end(st, rc);
}

/* ---- reads --------------------------------------------------------------- */

static int
query_check(const struct fixu_query *q, struct fixu_diag *d)
{
	if (q == NULL)
		return einval(d, "no query");
	if (q->epoch < -1 || q->epoch > UINT32_MAX)
		return einval(d, "bad epoch in query");
	if (q->dir < -1 || q->dir > FIXU_DIR_OUT)
		return einval(d, "bad direction in query");
	if (q->seq_from > INT64_MAX || q->seq_to > INT64_MAX)
		return einval(d, "sequence number out of range in query");
	return 0;
}

int
fixu_store_range(struct fixu_store *st, const struct fixu_query *q,
    int (*fn)(const struct fixu_rec *, void *), void *arg,
    struct fixu_diag *d)
{
	int rc;

	fixu_diag_clear(d);
	if ((rc = query_check(q, d)) < 0)
		return rc;
	if (fn == NULL)
		return einval(d, "no callback");
	if ((rc = log_sync(st, d)) < 0)
		return rc;
	return st->be->range(st->bh, q, FIXU_BE_ORDER_ROWID, fn, arg, d);
}

int
fixu_store_events(struct fixu_store *st, int64_t session,
    int (*fn)(int64_t, const char *, const char *, void *), void *arg,
    struct fixu_diag *d)
{
	int rc;

	fixu_diag_clear(d);
	if (fn == NULL)
		return einval(d, "no callback");
	if ((rc = log_sync(st, d)) < 0)
		return rc;
	return st->be->events(st->bh, session, fn, arg, d);
}

int
fixu_store_epochs(struct fixu_store *st, int64_t session,
    int (*fn)(uint32_t, int64_t, const char *, void *), void *arg,
    struct fixu_diag *d)
{
	int rc;

	fixu_diag_clear(d);
	if (fn == NULL)
		return einval(d, "no callback");
	if ((rc = log_sync(st, d)) < 0)
		return rc;
	return st->be->epochs(st->bh, session, fn, arg, d);
}

/* ---- verification -------------------------------------------------------- */

struct vctx {
	struct fixu_store	*st;
	void	(*fn)(const struct fixu_sess *, const struct fixu_rec *,
		    const char *, void *);
	void			*arg;
	uint64_t		 n;
	struct fixu_be_sess	 bs;
	/* chain walk */
	uint8_t			 prev[FIXU_HASHLEN];
	uint64_t		 all, in, out;
	/* sequence walk */
	int			 have;
	uint32_t		 epoch;
	int			 dir;
	uint64_t		 last;		/* largest seq so far */
	int64_t			 last_rowid;
	uint64_t		 covered;	/* gap fills reach this seq */
	int			 have_cur[2];
	uint64_t		 max_cur[2];	/* largest seq, current epoch */
};

static const char *const dirname[2] = { "inbound", "outbound" };

static void
problem(struct vctx *v, const struct fixu_rec *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct vctx *v, const struct fixu_rec *r, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(what, sizeof(what), "(problem text failed)");
	/* A long sentence is cut at a character boundary we do not care
	 * about: it is advice for a person, never data. */
	v->n++;
	if (v->fn != NULL)
		v->fn(&v->bs.s, r, what, v->arg);
}

static const char *
recname(const struct fixu_rec *r, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s MsgSeqNum %llu (epoch %u, rowid %lld)",
	    dirname[r->dir & 1], (unsigned long long)r->seq, r->epoch,
	    (long long)r->rowid);

	if (k < 0 || (size_t)k >= n)
		buf[0] = '\0';
	return buf;
}

static int
verify_chain(const struct fixu_rec *r, void *arg)
{
	struct vctx *v = arg;
	struct fixu_store *st = v->st;
	struct fixu_frame fr;
	struct fixu_diag fd;
	uint8_t h[FIXU_HASHLEN];
	char name[120], why[240];
	struct fixu_str f;
	uint64_t seq;
	int rc;

	chain_step(v->prev, r, h);
	if (sodium_memcmp(h, r->hash, FIXU_HASHLEN) != 0)
		problem(v, r, "%s: hash chain broken: the message or its "
		    "numbers were changed after it was stored",
		    recname(r, name, sizeof(name)));
	/* Resynchronise on the stored value: one change, one report. */
	memcpy(v->prev, r->hash, FIXU_HASHLEN);
	v->all++;
	if (r->epoch == v->bs.s.epoch) {
		if (r->dir == FIXU_DIR_OUT)
			v->out++;
		else
			v->in++;
	}

	rc = fixu_frame(r->raw.p, r->raw.n, FIXU_FRAME_EOF, &fr, &fd);
	if (rc == 0 && (fr.start != 0 || fr.len != r->raw.n))
		problem(v, r, "%s: stored bytes are not exactly one message "
		    "(%zu bytes before it, %zu after)", recname(r, name,
		    sizeof(name)), fr.start, r->raw.n - fr.start - fr.len);
	else if (rc < 0)
		problem(v, r, "%s: %s", recname(r, name, sizeof(name)),
		    fixu_diag_fmt(&fd, why, sizeof(why)));
	else if ((rc = fixu_msg_parse(&st->msg, r->raw.p, r->raw.n, fr.delim,
	    NULL, 0, &fd)) < 0)
		problem(v, r, "%s: %s", recname(r, name, sizeof(name)),
		    fixu_diag_fmt(&fd, why, sizeof(why)));
	if (rc == 0) {
		f = fixu_msg_get(&st->msg, 34);
		if (f.p != NULL && (fixu_parse_u64(f.p, f.n, &seq) < 0 ||
		    seq != r->seq))
			problem(v, r, "%s: the message says MsgSeqNum %.*s",
			    recname(r, name, sizeof(name)), (int)f.n, f.p);
	}
	return 0;
}

/* Where a SequenceReset (35=4) moves the numbers to, or 0. */
static uint64_t
newseqno(struct vctx *v, const struct fixu_rec *r)
{
	struct fixu_str f;
	uint64_t n;
	int rc;

	if (!fixu_str_eq(r->msgtype, "4"))
		return 0;
	rc = fixu_msg_parse(&v->st->msg, r->raw.p, r->raw.n, FIXU_SOH, NULL,
	    0, NULL);
	if (rc < 0 && rc != FIXU_EBODYLEN && rc != FIXU_ECHECKSUM)
		return 0;
	f = fixu_msg_get(&v->st->msg, 36);
	if (f.p == NULL || fixu_parse_u64(f.p, f.n, &n) < 0)
		return 0;
	return n;
}

static int
verify_seq(const struct fixu_rec *r, void *arg)
{
	struct vctx *v = arg;
	uint64_t ns;
	char name[120];

	if (!v->have || r->epoch != v->epoch || r->dir != v->dir) {
		v->have = 1;
		v->epoch = r->epoch;
		v->dir = r->dir;
		v->covered = 0;
	} else if (r->seq == v->last) {
		if (!r->possdup)
			problem(v, r, "%s: stored twice without PossDupFlag "
			    "(first at rowid %lld)", recname(r, name,
			    sizeof(name)), (long long)v->last_rowid);
	} else if (r->seq > v->last + 1 && v->covered < r->seq - 1) {
		uint64_t lo = v->last + 1 > v->covered + 1 ? v->last + 1 :
		    v->covered + 1, hi = r->seq - 1;

		if (lo == hi)
			problem(v, NULL, "%s MsgSeqNum %llu missing in epoch "
			    "%u (between %llu and %llu)", dirname[r->dir & 1],
			    (unsigned long long)lo, r->epoch,
			    (unsigned long long)(lo - 1),
			    (unsigned long long)r->seq);
		else
			problem(v, NULL, "%s MsgSeqNum %llu-%llu missing in "
			    "epoch %u (between %llu and %llu)",
			    dirname[r->dir & 1], (unsigned long long)lo,
			    (unsigned long long)hi, r->epoch,
			    (unsigned long long)(lo - 1),
			    (unsigned long long)r->seq);
	}
	if (r->seq != v->last || r->rowid == v->last_rowid || v->last_rowid == 0)
		v->last_rowid = r->rowid;
	v->last = r->seq;
	/* A SequenceReset explains the numbers it skips. */
	if ((ns = newseqno(v, r)) > r->seq && ns - 1 > v->covered)
		v->covered = ns - 1;
	if (r->epoch == v->bs.s.epoch) {
		v->have_cur[r->dir & 1] = 1;
		if (r->seq > v->max_cur[r->dir & 1])
			v->max_cur[r->dir & 1] = r->seq;
	}
	return 0;
}

static int
verify_one(struct vctx *v, int64_t id, struct fixu_diag *d)
{
	struct fixu_store *st = v->st;
	struct fixu_query q;
	const struct fixu_sess *s = &v->bs.s;
	uint64_t next;
	int rc, i;

	if ((rc = st->be->sess_get(st->bh, NULL, id, &v->bs, d)) < 0)
		return rc;
	memset(&q, 0, sizeof(q));
	q.session = id;
	q.epoch = -1;
	q.dir = -1;
	memcpy(v->prev, v->bs.anchor, FIXU_HASHLEN);
	v->all = v->in = v->out = 0;
	if ((rc = st->be->range(st->bh, &q, FIXU_BE_ORDER_ROWID, verify_chain,
	    v, d)) < 0)
		return rc;
	if (sodium_memcmp(v->prev, v->bs.chain, FIXU_HASHLEN) != 0)
		problem(v, NULL, "hash chain head does not match the last "
		    "stored message: messages were deleted or changed "
		    "outside fixutil");
	if (v->all != s->nmsg_all || v->in != s->nmsg_in ||
	    v->out != s->nmsg_out)
		problem(v, NULL, "message counts in the session row (%llu in, "
		    "%llu out, %llu in all) differ from the messages stored "
		    "(%llu, %llu, %llu)", (unsigned long long)s->nmsg_in,
		    (unsigned long long)s->nmsg_out,
		    (unsigned long long)s->nmsg_all,
		    (unsigned long long)v->in, (unsigned long long)v->out,
		    (unsigned long long)v->all);

	v->have = 0;
	v->last = 0;
	v->last_rowid = 0;
	v->have_cur[0] = v->have_cur[1] = 0;
	v->max_cur[0] = v->max_cur[1] = 0;
	if ((rc = st->be->range(st->bh, &q, FIXU_BE_ORDER_SEQ, verify_seq,
	    v, d)) < 0)
		return rc;
	for (i = 0; i < 2; i++) {
		next = i == FIXU_DIR_OUT ? s->next_out : s->next_in;
		if (v->have_cur[i] && next <= v->max_cur[i])
			problem(v, NULL, "next %s MsgSeqNum %llu does not "
			    "follow the last stored %s message (%llu) of "
			    "epoch %u", dirname[i], (unsigned long long)next,
			    dirname[i], (unsigned long long)v->max_cur[i],
			    s->epoch);
	}
	return 0;
}

struct idlist {
	int64_t	*id;
	size_t	 n, cap;
};

static int
collect_id(const struct fixu_be_sess *bs, void *arg)
{
	struct idlist *l = arg;
	int64_t *p;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((p = realloc(l->id, l->cap * sizeof(*p))) == NULL)
			return FIXU_ENOMEM;
		l->id = p;
	}
	l->id[l->n++] = bs->s.id;
	return 0;
}

static int
session_ids(struct fixu_store *st, int64_t session, struct idlist *l,
    struct fixu_diag *d)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if (session != 0)
		return collect_id(&(struct fixu_be_sess){ .s.id = session }, l);
	rc = st->be->sess_list(st->bh, collect_id, l, d);
	if (rc == FIXU_ENOMEM)
		fixu_diag_set(d, rc, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
	return rc;
}

static void
file_fault(const char *what, void *arg)
{
	struct vctx *v = arg;
	char s[400];

	snprintf(s, sizeof(s), "damaged file (SQLite's quick_check): %s", what);
	v->n++;
	if (v->fn != NULL)
		v->fn(NULL, NULL, s, v->arg);
}

int
fixu_store_verify(struct fixu_store *st, int64_t session,
    void (*fn)(const struct fixu_sess *, const struct fixu_rec *,
    const char *, void *), void *arg, uint64_t *nproblems,
    struct fixu_diag *d)
{
	struct vctx v;
	struct idlist l;
	size_t i;
	int rc;

	fixu_diag_clear(d);
	memset(&v, 0, sizeof(v));
	v.st = st;
	v.fn = fn;
	v.arg = arg;
	memset(&l, 0, sizeof(l));
	if ((rc = log_sync(st, d)) < 0 ||
	    (session == 0 && (rc = st->be->check(st->bh, file_fault, &v,
	    d)) < 0) ||
	    (rc = session_ids(st, session, &l, d)) < 0)
		goto done;
	for (i = 0; i < l.n; i++)
		if ((rc = verify_one(&v, l.id[i], d)) < 0)
			break;
done:
	free(l.id);
	if (nproblems != NULL)
		*nproblems = v.n;
	return rc;
}

/* ---- purge --------------------------------------------------------------- */

int
fixu_store_purge(struct fixu_store *st, const struct fixu_query *q,
    uint64_t *ndeleted, struct fixu_diag *d)
{
	struct fixu_query one;
	struct fixu_be_sess bs;
	struct idlist l;
	uint64_t n, total = 0;
	size_t i;
	int rc, own;

	fixu_diag_clear(d);
	if (ndeleted != NULL)
		*ndeleted = 0;
	if ((rc = query_check(q, d)) < 0)
		return rc;
	if ((rc = adm_begin(st, &own, d)) < 0)
		return rc;
	memset(&l, 0, sizeof(l));
	if (q->session != 0)
		rc = st->be->sess_get(st->bh, NULL, q->session, &bs, d);
	if (rc == 0)
		rc = session_ids(st, q->session, &l, d);
	for (i = 0; rc == 0 && i < l.n; i++) {
		memset(&one, 0, sizeof(one));
		one.session = l.id[i];
		one.epoch = q->epoch;
		one.time_to = q->time_to;
		one.upto_rowid = q->upto_rowid;
		if ((rc = st->be->purge(st->bh, &one, &n, d)) == 0)
			total += n;
	}
	free(l.id);
	/* A refused purge of one session must not keep another's. */
	if (rc < 0) {
		batch_drop(st);
		return rc;
	}
	if ((rc = adm_end(st, own, rc, d)) < 0)
		return rc;
	if (ndeleted != NULL)
		*ndeleted = total;
	return 0;
}

/* ---- leases -------------------------------------------------------------- */

static int
lease_args(struct fixu_store *st, const char *name, int write,
    struct fixu_diag *d)
{
	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return einval(d, "lease name must have 1 to 64 bytes");
	if (write && st->readonly)
		return fixu_diag_set(d, FIXU_EREADONLY, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s is open read-only", st->path);
	if (write && st->pending > 0)
		return einval(d, "a batch is open: commit or roll it back "
		    "before a lease call");
	return 0;
}

int
fixu_store_lease_acquire(struct fixu_store *st, const char *name,
    const char *holder, int64_t now, int64_t ttl_ns, struct fixu_lease *out,
    struct fixu_diag *d)
{
	struct fixu_lease tmp;
	int rc;

	fixu_diag_clear(d);
	if ((rc = lease_args(st, name, 1, d)) < 0)
		return rc;
	if (holder == NULL || holder[0] == '\0' || strlen(holder) > 128)
		return einval(d, "lease holder must have 1 to 128 bytes");
	if (ttl_ns <= 0 || now > INT64_MAX - ttl_ns)
		return einval(d, "lease time to live out of range");
	/* EBUSY with an empty holder: the database, not the lease, was busy. */
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	return st->be->lease_acquire(st->bh, name, holder, now, ttl_ns,
	    out != NULL ? out : &tmp, d);
}

int
fixu_store_lease_renew(struct fixu_store *st, const char *name,
    uint64_t token, int64_t now, int64_t ttl_ns, struct fixu_diag *d)
{
	int rc;

	fixu_diag_clear(d);
	if ((rc = lease_args(st, name, 1, d)) < 0)
		return rc;
	if (ttl_ns <= 0 || now > INT64_MAX - ttl_ns || token > INT64_MAX)
		return einval(d, "lease time to live or token out of range");
	return st->be->lease_renew(st->bh, name, token, now, ttl_ns, d);
}

int
fixu_store_lease_release(struct fixu_store *st, const char *name,
    uint64_t token, struct fixu_diag *d)
{
	int rc;

	fixu_diag_clear(d);
	if ((rc = lease_args(st, name, 1, d)) < 0)
		return rc;
	if (token > INT64_MAX)
		return einval(d, "lease token out of range");
	return st->be->lease_release(st->bh, name, token, d);
}

int
fixu_store_lease_break(struct fixu_store *st, const char *name,
    struct fixu_diag *d)
{
	int rc;

	fixu_diag_clear(d);
	if ((rc = lease_args(st, name, 1, d)) < 0)
		return rc;
	return st->be->lease_break(st->bh, name, d);
}

int
fixu_store_lease_get(struct fixu_store *st, const char *name,
    struct fixu_lease *out, struct fixu_diag *d)
{
	struct fixu_lease tmp;
	int rc;

	fixu_diag_clear(d);
	if ((rc = lease_args(st, name, 0, d)) < 0)
		return rc;
	return st->be->lease_get(st->bh, name, out != NULL ? out : &tmp, d);
}

int
fixu_store_leases(struct fixu_store *st,
    int (*fn)(const struct fixu_lease *, void *), void *arg,
    struct fixu_diag *d)
{
	fixu_diag_clear(d);
	if (fn == NULL)
		return einval(d, "no callback");
	return st->be->leases(st->bh, fn, arg, d);
}

/* ---- credentials --------------------------------------------------------- */

int
fixu_store_passwd_set(struct fixu_store *st, int64_t session,
    const char *user, const char *pw, size_t pwlen, struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	char hash[crypto_pwhash_STRBYTES];
	int rc, own;

	fixu_diag_clear(d);
	if (user == NULL || user[0] == '\0' || strlen(user) > FIXU_USER_MAX)
		return einval(d, "username must have 1 to 128 bytes");
	if (pw == NULL && pwlen > 0)
		return einval(d, "no password");
	if (st->readonly)
		return fixu_diag_set(d, FIXU_EREADONLY, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s is open read-only", st->path);
	/* Hash before taking the write lock: argon2id takes a while. */
	if (crypto_pwhash_str(hash, pw != NULL ? pw : "",
	    (unsigned long long)pwlen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "argon2id: out of memory");
	if ((rc = adm_begin(st, &own, d)) < 0)
		goto done;
	rc = st->be->sess_get(st->bh, NULL, session, &bs, d);
	if (rc == 0)
		rc = st->be->cred_set(st->bh, session, user, hash, now_ns(), d);
	rc = adm_end(st, own, rc, d);
done:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
fixu_store_passwd_clear(struct fixu_store *st, int64_t session,
    struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	int rc, own;

	fixu_diag_clear(d);
	if ((rc = adm_begin(st, &own, d)) < 0)
		return rc;
	rc = st->be->sess_get(st->bh, NULL, session, &bs, d);
	if (rc == 0)
		rc = st->be->cred_clear(st->bh, session, d);
	return adm_end(st, own, rc, d);
}

int
fixu_store_passwd_check(struct fixu_store *st, int64_t session,
    const char *user, size_t ulen, const char *pw, size_t pwlen,
    struct fixu_diag *d)
{
	struct fixu_be_sess bs;
	unsigned char want[FIXU_USER_MAX + 1], got[FIXU_USER_MAX + 1];
	char suser[FIXU_USER_MAX + 1], shash[FIXU_PWHASH_MAX + 1];
	int rc, match;

	fixu_diag_clear(d);
	if ((user == NULL && ulen > 0) || (pw == NULL && pwlen > 0))
		return einval(d, "no username or password");
	if ((rc = st->be->sess_get(st->bh, NULL, session, &bs, d)) < 0)
		return rc;
	rc = st->be->cred_get(st->bh, session, suser, shash, d);
	if (rc == FIXU_ENOTFOUND) {
		fixu_diag_clear(d);
		return 0;
	}
	if (rc < 0)
		return rc;
	/* Equal-length padded copies: the compare takes the same time. */
	memset(want, 0, sizeof(want));
	memset(got, 0, sizeof(got));
	memcpy(want, suser, strlen(suser));
	if (ulen <= FIXU_USER_MAX)
		memcpy(got, user != NULL ? user : "", ulen);
	match = (sodium_memcmp(want, got, sizeof(want)) == 0) &
	    (ulen == strlen(suser));
	rc = crypto_pwhash_str_verify(match ? shash : dummy_hash,
	    pw != NULL ? pw : "", (unsigned long long)pwlen);
	sodium_memzero(shash, sizeof(shash));
	if (!match || rc != 0)
		return fixu_diag_set(d, FIXU_EAUTH, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "wrong username or password");
	return 0;
}
