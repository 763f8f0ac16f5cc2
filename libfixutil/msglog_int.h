/*
 * msglog_int.h -- the store's message log (StoreLog=Y), internal.
 *
 * With the log, a batch of appends is committed by one write(2) to
 * STORE-log (and one fdatasync with full durability) instead of a SQLite
 * transaction; a thread of the log's own moves what was committed into
 * the database in large transactions, every few milliseconds, recording
 * in the same transaction how far it got.  After a crash, the next writer
 * that opens the store moves the rest before anything else.
 *
 * The file: a 32-byte header ("FIXULOG\n", version, generation), then
 * records, each checksummed (BLAKE2b-128) and stamped with the
 * generation.  When every record has been moved, the log starts again at
 * its header with the next generation and overwrites what was there; a
 * record of another generation ends the log, as does a record cut short
 * by a crash.  A damaged record with valid records after it is corruption
 * and is reported with its offset.
 */
#ifndef FIXU_MSGLOG_H
#define FIXU_MSGLOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "store.h"

struct fixu_mlog;

/*
 * Apply recs[0..n) to the database in one transaction, with the log
 * position (gen, end) just after the last; all or nothing.
 */
typedef int	(*fixu_mlog_apply_fn)(void *arg, const struct fixu_rec *recs,
		    size_t n, uint64_t gen, uint64_t end, struct fixu_diag *d);
/* Make every transaction applied so far durable (before the log is
   overwritten). */
typedef int	(*fixu_mlog_flush_fn)(void *arg, struct fixu_diag *d);

/*
 * Open the log of the store at dbpath and take its lock.  create 0 and no
 * file: FIXU_ENOTFOUND.  FIXU_EBUSY: another process has the log open
 * (a fixsession with StoreLog=Y), at once, or with create after waiting
 * 5 s for it.  sync: fdatasync at every commit.
 */
int	fixu_mlog_open(struct fixu_mlog **, const char *dbpath, int create,
	    int sync, struct fixu_diag *d);

/*
 * Move into the database every record after the database's position
 * (db_gen, db_off), in transactions of apply, then flush; the log then
 * starts again with a new generation.  *n: records moved.
 * FIXU_ECORRUPT with the offset for a damaged log.
 */
int	fixu_mlog_replay(struct fixu_mlog *, uint64_t db_gen, uint64_t db_off,
	    fixu_mlog_apply_fn apply, fixu_mlog_flush_fn flush, void *arg,
	    uint64_t *n, struct fixu_diag *d);

/* Start the thread that moves committed records (after replay). */
int	fixu_mlog_start(struct fixu_mlog *, fixu_mlog_apply_fn apply,
	    fixu_mlog_flush_fn flush, void *arg, struct fixu_diag *d);

/* Add one record to a batch being built in b (see fixu_mlog_commit). */
int	fixu_mlog_encode(struct fixu_buf *b, const struct fixu_rec *r);
/* Each record of a batch built by fixu_mlog_encode, in order. */
int	fixu_mlog_each(const struct fixu_buf *b,
	    int (*fn)(void *, const struct fixu_rec *, struct fixu_diag *),
	    void *arg, struct fixu_diag *d);

/*
 * Commit the batch of records in b: stamp and checksum them, write them
 * in one call, fdatasync with sync.  FIXU_EFULL when the log has grown
 * past its limit because the database is not taking the records (the
 * reason is in d); the batch is then not written.
 */
int	fixu_mlog_commit(struct fixu_mlog *, struct fixu_buf *b,
	    struct fixu_diag *d);

/* Move every committed record now, on the caller's thread. */
int	fixu_mlog_drain(struct fixu_mlog *, struct fixu_diag *d);

/*
 * The length after which the writer starts a new generation at the header
 * (once half of it is durable in the database): 32 MB.  Tests lower it to
 * wrap sooner; set it before opening a log.
 */
extern uint32_t	fixu_mlog_wrap;

/*
 * Stop the thread, move what is left (when it can), and close.  With
 * remove, and everything moved and flushed, the file is unlinked.
 */
void	fixu_mlog_close(struct fixu_mlog *, int remove);

#endif
