/*
 * expect.h -- what a fixsim script receives, and its expectations.
 *
 * Received bytes are cut into items, each a message or bytes that are
 * none (with the reason), and queued in arrival order in the struct
 * script until an expect takes them or passes over them; a TestRequest is
 * answered and Heartbeats go out on time while the queue is read.  An
 * expectation is the parsed arguments of expect: conditions on the fields
 * of the next message, a close, or silence.
 *
 * Ownership: the items and their bytes belong to the struct script; an
 * item returned by expect_next() is valid until the queue is read again
 * or cleared.  A struct expectation owns its conditions (free them with
 * expect_conds_free()); its text points into the line it was parsed from.
 */
#ifndef FIXSIM_EXPECT_H
#define FIXSIM_EXPECT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "script.h"

/* A received message, or bytes that are none (bad, with the reason). */
struct item {
	size_t	 off, len;	/* in script.q */
	int	 bad;
	char	 type[8];	/* MsgType */
	char	 why[160];
};

struct cond {
	uint32_t	 tag;
	int		 op;
	char		*val;	/* the value, regex source or variable name */
	size_t		 n;
	regex_t		 re;
	int		 hasre;
};

enum { C_EQ, C_NE, C_RE, C_HAS, C_ABSENT, C_CAP };

/* Results of reading the queue. */
enum { NX_MSG, NX_CLOSED, NX_TIMEOUT, NX_ERROR };

enum { E_CONDS, E_DISCONNECT, E_NOTHING };

struct expectation {
	int		 kind, any, ms;
	struct cond	*v;
	size_t		 nc;
	const char	*text;	/* the conditions as written */
};

/* Drop what was received (a new connection, a close). */
void	expect_queue_clear(struct script *);
/*
 * Read until something new is queued (NX_MSG), the connection closes, or
 * until (ms).  Heartbeats go out on time meanwhile.
 */
int	expect_pump(struct script *, int64_t until);
/*
 * The next queued item, reading until until (ms) for one; Heartbeats and
 * TestRequests are passed over when skiphb (and auto heartbeat is on).
 */
int	expect_next(struct script *, int64_t until, int skiphb,
	    struct item **);
/* Does the item meet every condition?  why: the first that fails. */
int	expect_item_met(struct script *, const struct item *,
	    const struct cond *, size_t nc, char *why, size_t wsz);
/* "WHAT: the connection is closed", "WHAT: nothing within N s". */
void	expect_report_timeout(struct script *, int r, const char *what,
	    int ms);

/* The arguments of expect; p is changed (the text is cut off). */
int	expect_parse(struct script *, char *p, size_t n,
	    struct expectation *);
void	expect_conds_free(struct cond *, size_t);
/* The command expect. */
int	expect_run(struct script *, char *p, size_t n);

#endif
