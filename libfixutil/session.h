/*
 * session.h -- the FIX session layer as a pure state machine.
 *
 * A struct fixu_sess is one FIX session (FIX.4.0 to 4.4, FIXT.1.1 with the
 * FIX.5.0 application versions) seen from our side.  It reads no clock and
 * touches no file descriptor: the caller (the engine, or a unit test)
 * passes the time into every call, feeds it events -- transport up, a
 * framed message received, garbled bytes, an application message to send,
 * a logout request, transport down, a timer tick -- and then drains the
 * actions the event produced, in order:
 *
 *   SEND	 transmit data; with FIXU_ACT_F_STORE it is a new outbound
 *		 message with sequence number seq that must be stored and
 *		 committed before it is transmitted; with FIXU_ACT_F_NOTX it
 *		 is only stored (no transport: the peer will ask for it)
 *   STORE_IN	 store this inbound message (seq): it was processed in order
 *   DELIVER	 give this inbound application message to the application,
 *		 after the STORE_IN before it is committed
 *   SET_NEXT	 the next outbound and/or inbound number is now next_out /
 *		 next_in (0: unchanged) -- SequenceReset, refresh
 *   RESET	 start a new sequence epoch (both numbers back to 1); data
 *		 says why
 *   EVENT	 an administrative event for the log: name says the kind
 *		 ("logon", "logout", "gap", "reject", "resend", ...), data the
 *		 sentence
 *   STATE	 logged on (value 1) or not (value 0) any more
 *   DISCONNECT	 close the transport (after sending what came before)
 *
 * The engine applies STORE/STORE_IN/SET_NEXT/RESET to the store's open
 * batch at once (so a resend served later sees them), commits, and only
 * then transmits and delivers.  Outbound messages already stored are read
 * back through ops->fetch_out() to serve a ResendRequest.
 *
 * Ownership: the cfg passed to fixu_sess_new() is copied, but the
 * dictionaries and schedule it points to are borrowed and must outlive
 * the session.  Actions and every view in them live until
 * fixu_sess_actions_clear() or the next event call, whichever is first.
 */
#ifndef FIXU_SESSION_H
#define FIXU_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "dict.h"
#include "err.h"
#include "schedule.h"
#include "store.h"

/* The two clocks of every event. */
struct fixu_now {
	int64_t	real;	/* CLOCK_REALTIME ns: SendingTime, schedules */
	int64_t	mono;	/* CLOCK_MONOTONIC ns: heartbeats, timeouts */
};

struct fixu_sess_cfg {
	struct fixu_sessid	 sid;	/* sender is us, target the peer */
	int		 initiator;
	int		 heartbtint;	/* s; the initiator sends it, the
					   acceptor takes the peer's */
	int		 logon_timeout;	/* s; 0: 10 */
	int		 logout_timeout; /* s; 0: 2 */
	int		 reset_on_logon;	/* ResetOnLogon */
	int		 reset_on_logout;	/* ResetOnLogout */
	int		 reset_on_disconnect;	/* ResetOnDisconnect */
	int		 send_redundant_resend; /* SendRedundantResendRequests */
	int		 check_compid;	/* CheckCompID (default 1) */
	int		 check_latency;	/* CheckLatency (default 1) */
	int		 max_latency;	/* MaxLatency s; 0: 120 */
	int		 resend_chunk;	/* ResendRequestChunkSize; 0: all */
	int		 persist_messages; /* PersistMessages (default 1); 0:
					   resends are answered by gap fills */
	int		 send_next_expected; /* EnableNextExpectedMsgSeqNum:
					   789 in Logon, honoured when received */
	int		 ts_decimals;	/* TimestampPrecision; -1: 0 for
					   FIX.4.0/4.1, 3 for later versions */
	int		 validate;	/* UseDataDictionary */
	unsigned	 vflags;	/* FIXU_V_* checks when validate */
	/* Dictionaries: tr is the version's (FIXT11 for FIXT.1.1); for FIXT,
	   dicts picks the application dictionary by ApplVerID (1128) or
	   default_applverid; app is used when dicts is NULL. */
	const struct fixu_dict	*tr;
	const struct fixu_dict	*app;
	struct fixu_dicts	*dicts;
	char		 default_applverid[16];	/* DefaultApplVerID as sent in
						   1137, e.g. "9" */
	/* The initiator's Logon credentials (553/554); copied. */
	char		 username[129];
	char		 password[129];
	const struct fixu_sched	*sched;	/* NULL: always in session */
};

/* How the session reads back what it sent, for resends. */
struct fixu_sess_ops {
	/*
	 * Call each(ctx, seq, raw, n) for every stored outbound message of
	 * the current epoch with from <= seq <= to (to 0: no upper bound),
	 * in sequence order; stop when each returns nonzero.  Returns 0 or
	 * a negative FIXU_E* code.
	 */
	int	(*fetch_out)(void *arg, uint64_t from, uint64_t to,
		    int (*each)(void *ctx, uint64_t seq, const char *raw,
		    size_t n), void *ctx);
	void	*arg;
};

enum fixu_act_kind {
	FIXU_ACT_SEND = 1,
	FIXU_ACT_STORE_IN,
	FIXU_ACT_DELIVER,
	FIXU_ACT_SET_NEXT,
	FIXU_ACT_RESET,
	FIXU_ACT_EVENT,
	FIXU_ACT_STATE,
	FIXU_ACT_DISCONNECT
};

#define FIXU_ACT_F_STORE	0x1	/* SEND: new message, store it first */
#define FIXU_ACT_F_NOTX		0x2	/* SEND: store only, do not transmit */
#define FIXU_ACT_F_ADMIN	0x4	/* SEND/STORE_IN: administrative */

struct fixu_act {
	int		 kind;		/* enum fixu_act_kind */
	unsigned	 flags;
	uint64_t	 seq;		/* SEND, STORE_IN */
	uint64_t	 next_out;	/* SET_NEXT */
	uint64_t	 next_in;
	int		 value;		/* STATE */
	const char	*name;		/* EVENT kind (static string) */
	struct fixu_str	 msgtype;	/* SEND, STORE_IN, DELIVER */
	int		 possdup;	/* SEND, STORE_IN: 43=Y */
	struct fixu_str	 data;		/* message bytes, or event text */
};

enum fixu_sess_state {
	FIXU_SS_DOWN = 0,	/* no transport */
	FIXU_SS_AWAIT_LOGON,	/* acceptor: transport up, waiting for Logon */
	FIXU_SS_LOGON_SENT,	/* initiator: Logon sent, waiting for reply */
	FIXU_SS_ACTIVE,		/* logged on */
	FIXU_SS_LOGOUT_SENT,	/* waiting for the Logout reply */
	FIXU_SS_CLOSING		/* DISCONNECT issued, waiting for down */
};

struct fixu_sess;

int	fixu_sess_new(struct fixu_sess **, const struct fixu_sess_cfg *,
	    const struct fixu_sess_ops *, struct fixu_diag *d);
void	fixu_sess_free(struct fixu_sess *);
const struct fixu_sess_cfg *fixu_sess_cfg(const struct fixu_sess *);

/*
 * The sequence state as the store has it: at start-up, and whenever the
 * store was changed behind the session's back (RefreshOnLogon).
 * epoch_start is when the current epoch began (real ns): a schedule
 * resets the session when it is not in the current period.
 */
void	fixu_sess_restore(struct fixu_sess *, uint64_t next_out,
	    uint64_t next_in, int64_t epoch_start);

/* Events.  Each returns 0, or a negative FIXU_E* code on a caller error
   (bad state, out of memory); protocol problems are answered by actions. */

/* Transport up: an initiator sends its Logon. */
int	fixu_sess_connected(struct fixu_sess *, const struct fixu_now *);
/*
 * One framed message from the peer (the codec's fixu_frame() found it);
 * the session parses and checks it.  For an acceptor the first message is
 * the Logon the engine routed here.  auth_failed: the engine checked the
 * Logon's Username/Password against the store and they are wrong.
 */
int	fixu_sess_recv(struct fixu_sess *, const struct fixu_now *,
	    const char *raw, size_t n, int auth_failed);
/* Bytes that could not be framed (d says why): logged and ignored. */
int	fixu_sess_garbled(struct fixu_sess *, const struct fixu_now *,
	    const struct fixu_diag *d);
/*
 * An application message to send, as a wire message or a field run
 * (with or without 8/9/10) delimited by SOH.  The session drops 8, 9,
 * 10, 34, 43, 49, 52, 56 and 122 from it, writes its own header (header
 * fields in ascending tag order after 8, 9, 35) and keeps the body in its
 * order.  It is numbered and stored even when the session is not logged
 * on (FIXU_ACT_F_NOTX), so nothing is lost: the peer asks for it.
 * FIXU_ESYNTAX with d for a message without 35, FIXU_EINVAL for an
 * administrative MsgType other than Reject (3).
 */
int	fixu_sess_send(struct fixu_sess *, const struct fixu_now *,
	    const char *raw, size_t n, struct fixu_diag *d);
/* Start the Logout handshake (text may be NULL); down after the reply
   or logout_timeout. */
int	fixu_sess_logout(struct fixu_sess *, const struct fixu_now *,
	    const char *text);
/* Transport down (peer closed, error, or after DISCONNECT). */
int	fixu_sess_disconnected(struct fixu_sess *, const struct fixu_now *);
/* Timers: heartbeats, TestRequest, logon/logout timeouts, schedule. */
int	fixu_sess_tick(struct fixu_sess *, const struct fixu_now *);
/* The monotonic time of the next tick the session needs; INT64_MAX: none. */
int64_t	fixu_sess_deadline(const struct fixu_sess *);

/* Actions produced since the last clear. */
size_t	fixu_sess_actions(const struct fixu_sess *, const struct fixu_act **);
void	fixu_sess_actions_clear(struct fixu_sess *);

int	fixu_sess_state(const struct fixu_sess *);
uint64_t fixu_sess_next_out(const struct fixu_sess *);
uint64_t fixu_sess_next_in(const struct fixu_sess *);
/* 1 when the schedule allows the session to be up at real time t. */
int	fixu_sess_in_schedule(const struct fixu_sess *, int64_t t);
/* The HeartBtInt in force (the peer's, once logged on as acceptor). */
int	fixu_sess_heartbtint(const struct fixu_sess *);

#endif
