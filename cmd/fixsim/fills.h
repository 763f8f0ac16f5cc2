/*
 * fills.h -- fixsim load's ledger of executions: which ExecutionReports
 * are new and which repeat one already seen, and which orders were
 * filled more than once.
 *
 * A report counts once for each order and ExecID (17).  A second report
 * about the same order with an ExecID seen before -- a copy the venue
 * sent again, PossDupFlag (43=Y) or not -- is "resent" and changes
 * nothing.  Each distinct report with a LastQty (32) above 0 is a fill
 * (not an ExecTransType (20) cancel or correction); an order is
 * "overfilled" when its distinct fills add up to more than its OrderQty,
 * or when two of them each leave it Filled (39=2): the venue filled it
 * twice, which a failover must never do.
 *
 * Ownership: struct fills owns its tables; fills_fini() frees them, and
 * an all-zero struct is valid to free.  A message passed in is read
 * during the call only.
 */
#ifndef FIXSIM_FILLS_H
#define FIXSIM_FILLS_H

#include <stdint.h>

#include "fixutil.h"
#include "util.h"

struct fills {
	struct util_set	 seen;		/* order number || ExecID */
	int64_t		*qty;		/* per order: filled, millionths */
	uint8_t		*full;		/* per order: fills that left it
					   Filled; FULL_OVER once counted */
	uint64_t	 norders;
	uint64_t	 overfilled;	/* orders */
	uint64_t	 resent;	/* reports */
};

/* Room for orders 0 .. norders - 1; -1 when out of memory. */
int	fills_init(struct fills *, uint64_t norders);
void	fills_fini(struct fills *);
/*
 * The ExecutionReport m about order i, whose OrderQty is orderqty (in
 * millionths, util_parse_dec()): 1 when it repeats an ExecID of that
 * order, and nothing more should be made of it; 0 when it is new.
 */
int	fills_er(struct fills *, uint32_t i, int64_t orderqty,
	    const struct fixu_msg *m);

#endif
