/*
 * fills.c -- fixsim load's ledger of executions (fills.h).
 *
 * The ExecIDs seen are kept in a util_set under the order's number (four
 * bytes) followed by the ExecID, since venues number their reports per
 * session or per process: two orders may well get the same ExecID.
 */
#include <stdlib.h>
#include <string.h>

#include "fills.h"

#define FULL_OVER	0x80
#define FULL_MAX	0x7f

int
fills_init(struct fills *f, uint64_t norders)
{
	memset(f, 0, sizeof(*f));
	util_set_init(&f->seen);
	f->norders = norders;
	if (norders == 0)
		return 0;
	if ((f->qty = calloc(norders, sizeof(*f->qty))) == NULL ||
	    (f->full = calloc(norders, sizeof(*f->full))) == NULL)
		return -1;
	return 0;
}

void
fills_fini(struct fills *f)
{
	util_set_fini(&f->seen);
	free(f->qty);
	free(f->full);
	f->qty = NULL;
	f->full = NULL;
}

static int
first(struct fixu_str v)
{
	return v.p != NULL && v.n > 0 ? v.p[0] : 0;
}

int
fills_er(struct fills *f, uint32_t i, int64_t orderqty,
    const struct fixu_msg *m)
{
	struct fixu_str id = fixu_msg_get(m, 17), lq = fixu_msg_get(m, 32),
	    tt = fixu_msg_get(m, 20);
	int64_t q;

	if (i >= f->norders)
		return 0;
	/* Out of memory (-1): it cannot be told, so it is taken as new. */
	if (id.n > 0 && util_set_add(&f->seen, &i, sizeof(i), id.p, id.n) ==
	    1) {
		f->resent++;
		return 1;
	}
	if (lq.n == 0 || util_parse_dec(lq.p, lq.n, 0, &q) != 0 || q <= 0 ||
	    (tt.n > 0 && first(tt) != '0'))
		return 0;
	f->qty[i] = f->qty[i] > INT64_MAX - q ? INT64_MAX : f->qty[i] + q;
	if (first(fixu_msg_get(m, 39)) == '2' &&
	    (f->full[i] & FULL_MAX) < FULL_MAX)
		f->full[i]++;
	if (!(f->full[i] & FULL_OVER) && (f->qty[i] > orderqty ||
	    (f->full[i] & FULL_MAX) >= 2)) {
		f->full[i] |= FULL_OVER;
		f->overfilled++;
	}
	return 0;
}
