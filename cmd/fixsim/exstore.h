/*
 * exstore.h -- fixsim exchange -S: the orders a fixsession store holds
 * that were never answered.
 *
 * fixsession commits an inbound message before it hands it to the
 * application, so a node that dies between that commit and the answer
 * leaves an order in the store that nobody answered; the standby's
 * exchange finds it here and answers it.  exstore_recover() reads the
 * current epoch of the sessions concerned, read-only (fixsession may be
 * writing the store meanwhile: SQLite in WAL mode lets it), in two passes:
 *
 *   1. outbound: the ClOrdID (11) of every ExecutionReport (35=8) and
 *      OrderCancelReject (35=9) goes into the set "done"; the highest
 *      OrderID (37, "O<n>") and ExecID (17, "E<n>", or "<n>" in FIX.4.0)
 *      go to hooks->ids(), so that the exchange numbers on after them;
 *      the RefSeqNum (45) of every Reject (35=3) and BusinessMessageReject
 *      (35=j) marks an inbound message as answered too;
 *   2. inbound, in the order stored: each NewOrderSingle (35=D),
 *      OrderCancelRequest (35=F) and OrderCancelReplaceRequest (35=G)
 *      whose ClOrdID is not done goes to hooks->answer(), and its ClOrdID
 *      into done.
 *
 * The keys of done are the session prefix pointer (the bytes of a const
 * char *, as hooks->session() returned it) followed by the ClOrdID; the
 * exchange looks ClOrdIDs up the same way.
 *
 * Ownership: the store is opened and closed within the call; the raw
 * message given to hooks->answer() lives during that call only.
 */
#ifndef FIXSIM_EXSTORE_H
#define FIXSIM_EXSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "fixutil.h"
#include "util.h"

struct exstore_hooks {
	/* The prefix answers to a session carry: "" when n is 0, else the
	   interned copy of p[0..n), "SESSIONID<TAB>". */
	const char	*(*session)(void *arg, const char *p, size_t n);
	/* The highest OrderID and ExecID numbers found (0: none). */
	void		 (*ids)(void *arg, uint64_t oid, uint64_t exec);
	/* An inbound message nobody answered, in wire form: answer it. */
	void		 (*answer)(void *arg, const char *sess,
			    const char *raw, size_t n);
	void		*arg;
};

/*
 * Recover from the store at path: the session named only (a session id;
 * answers carry no prefix) or, when only is NULL, every session of the
 * store (answers prefixed with its id and a tab).  A session the store
 * does not have yet has nothing to recover.  Returns 0, or a FIXU_E*
 * code with d saying what went wrong.
 */
int	exstore_recover(const char *path, const char *only,
	    struct util_set *done, const struct exstore_hooks *,
	    struct fixu_diag *d);

#endif
