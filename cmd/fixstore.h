/*
 * fixstore.h -- what the parts of fixstore share: the QuickFIX importers
 * (fixstore-import.c) called by the sub-command code (fixstore.c).
 */
#ifndef FIXSTORE_H
#define FIXSTORE_H

#include "fixutil.h"
#include "store.h"

struct fs_import_stats {
	uint64_t	messages;	/* stored */
	uint64_t	skipped;	/* already there, or not FIX */
	uint64_t	bad;		/* damaged, reported through warn */
	uint64_t	next_out;	/* the session's numbers afterwards */
	uint64_t	next_in;
};

/*
 * Import a QuickFIX FileStore: dir holds <prefix>.body, .header,
 * .seqnums and .session, where prefix is BeginString-Sender-Target
 * [-Qualifier]; one prefix (NULL: every session found in dir).  Outbound
 * messages and both next sequence numbers are taken over; the session is
 * created if missing.  Refuses (FIXU_EBUSY) when the session already has
 * messages in its current epoch, unless force.  Progress and warnings go to
 * stderr; returns 0 or a FIXU_E* code with d filled.
 */
int	fs_import_filestore(struct fixu_store *, const char *dir,
	    const char *prefix, int force, struct fs_import_stats *,
	    struct fixu_diag *d);

/*
 * Import QuickFIX file logs (*.messages.*.log: "YYYYMMDD-HH:MM:SS.fff : "
 * then the message): both directions, the direction told by the CompIDs
 * against sid (as the engine that wrote the log).  Messages already stored
 * (same direction, epoch and MsgSeqNum and the same bytes) are skipped.
 */
int	fs_import_log(struct fixu_store *, const struct fixu_sessid *sid,
	    const char *path, struct fs_import_stats *, struct fixu_diag *d);

#endif
