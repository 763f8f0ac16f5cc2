/*
 * echo.h -- the application the QuickFIX acceptance suite expects behind
 * the engine under test (see ../shared/quickfix-at/README.md): it echoes
 * NewOrderSingle (D), SecurityDefinition (d) and Email (C), drops a
 * PossResend (97=Y) NewOrderSingle whose ClOrdID it has seen, and answers
 * any other application message with BusinessMessageReject (FIX.4.2 and
 * later) or a session Reject (FIX.4.0/4.1).
 *
 * Ownership: a struct at_echo holds the ClOrdIDs seen; the message passed
 * to emit() lives only during the call.
 */
#ifndef FIXU_AT_ECHO_H
#define FIXU_AT_ECHO_H

#include <stddef.h>

struct at_echo;

struct at_echo	*at_echo_new(void);
void		 at_echo_free(struct at_echo *);
/*
 * One inbound application message (wire form, SOH delimited, header and
 * trailer included).  Calls emit() zero or more times with a reply: a
 * SOH-delimited field run starting at 35= (no 8, 9, 34, 49, 52, 56, 10),
 * which the engine completes with its own header.  A message with
 * MsgSeqNum 1 starts a new session: the seen set is cleared.
 * Returns 0, or -1 for a message that cannot be parsed.
 */
int	at_echo(struct at_echo *, const char *raw, size_t n,
	    void (*emit)(void *arg, const char *msg, size_t n), void *arg);

#endif
