/*
 * sim.h -- what fixsim's modes share.
 *
 * The core (sim.c) runs counterparty sessions: FIX initiators over TCP,
 * each driven by libfixutil's session state machine (session.h), with an
 * in-memory store of what it sent so that the peer's ResendRequests are
 * served.  Many sessions share one poll loop; output is collected per
 * connection during a turn and written at its end, so a burst of orders
 * costs one write per connection, not one per order.  Nothing is kept on
 * disk: a fixsim session starts with ResetSeqNumFlag unless told not to.
 * A session that reconnects (reconnect_ms) keeps its sequence numbers, so
 * that after a lost connection -- or a failover to another acceptor on
 * the same store -- each side asks the other for what it missed; it
 * tries its addresses in turn, the next one after each failed attempt or
 * lost connection, as QuickFIX does with SocketConnectHost1, 2, ...
 *
 * Ownership: struct sim owns its sessions; a struct sim_sess lives until
 * sim_free().  The dictionaries passed to sim_new() are borrowed and must
 * outlive the sim.  A message passed to a hook is valid during the call.
 *
 * Error injection (sim_sess_opts.inject, SIM_INJ_*): each outbound
 * application message is, with probability inject_rate, spoiled in one of
 * the chosen ways before it leaves; "heartbeat" instead stops sending
 * heartbeats and answering TestRequests for a while.  What was injected is
 * reported as an event of kind "inject".
 *
 * The modes: load.c, exchange.c, script.c (with scriptcmd.c,
 * scriptlang.c, expect.c, and def.c for QuickFIX .def files), replay.c,
 * console.c (with complete.c, conmsg.c, order.c); each has a
 * MODE_main(argc, argv) that fixsim.c dispatches to, and returns an exit
 * status (common.h).  Shared by several modes: util.c, small helpers, and
 * hist.c, the latency histograms of load and console.
 */
#ifndef FIXSIM_SIM_H
#define FIXSIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "fixutil.h"

/* Error injection. */
#define SIM_INJ_GAP	0x01	/* skip a MsgSeqNum */
#define SIM_INJ_CHECKSUM 0x02	/* wrong CheckSum (10) */
#define SIM_INJ_GARBLE	0x04	/* bytes overwritten in the body */
#define SIM_INJ_STALE	0x08	/* SendingTime 10 minutes old */
#define SIM_INJ_HEARTBEAT 0x10	/* go silent: no heartbeats, no answers */

struct sim;
struct sim_sess;

struct sim_sess_opts {
	char			 host[256];
	int			 port;
	/* "HOST:PORT[,HOST:PORT...]" to fail over between, instead of
	   host and port; NULL: just those. */
	const char		*addrs;
	struct fixu_sessid	 sid;		/* sender is fixsim */
	int			 hbi;		/* HeartBtInt, s; 0: 30 */
	int			 no_reset;	/* no ResetSeqNumFlag on Logon */
	const char		*username;	/* 553, or NULL */
	const char		*password;	/* 554, or NULL */
	const char		*default_applverid; /* FIXT.1.1; NULL: 9 */
	int			 validate;	/* check what arrives */
	unsigned		 inject;	/* SIM_INJ_* */
	double			 inject_rate;	/* 0..1 per message */
	int			 reconnect_ms;	/* 0: do not reconnect */
};

struct sim_hooks {
	/* An inbound application message, read at t_mono (ns). */
	void	(*on_app)(void *arg, struct sim_sess *, const struct fixu_msg *,
		    int64_t t_mono);
	/* Every inbound message, administrative ones too (may be NULL);
	   dir is FIXU_DIR_IN, raw the bytes as framed. */
	void	(*on_msg)(void *arg, struct sim_sess *, int dir,
		    const char *raw, size_t n);
	/* Session events: kind as session.h's EVENT names them. */
	void	(*on_event)(void *arg, struct sim_sess *, const char *kind,
		    const char *text);
	/* Logged on (1) or not any more (0). */
	void	(*on_state)(void *arg, struct sim_sess *, int on);
	void	*arg;
};

int	sim_new(struct sim **, struct fixu_dicts *, const struct sim_hooks *);
void	sim_free(struct sim *);
/* Add a session and start connecting it. */
int	sim_add(struct sim *, const struct sim_sess_opts *, struct sim_sess **,
	    struct fixu_diag *);
/*
 * Send an application message: fields in wire form with SOH (MsgType
 * first, no header needed); the header is filled.  Queued for the end of
 * the turn.  FIXU_EAGAIN when the session is not logged on.  Called from
 * a hook of the same session, it is held until that event is done: it
 * returns 0 then, and a failure becomes an event of kind "error".
 */
int	sim_send(struct sim_sess *, const char *fields, size_t n,
	    struct fixu_diag *);
/* Start the Logout handshake. */
int	sim_logout(struct sim_sess *, const char *text);
int	sim_logged_on(const struct sim_sess *);
/* The MsgSeqNum of the message sim_send() numbered last; 0: none yet.
   It maps a Reject's RefSeqNum (45) back to what was sent. */
uint64_t sim_last_seq(const struct sim_sess *);
/* Bytes queued for the connection and not written yet: a caller that
   produces faster than the peer reads can hold back on it. */
size_t	sim_pending(const struct sim_sess *);
/* "FIX.4.4:SENDER->TARGET" */
const char *sim_id(const struct sim_sess *);
/* Watch fd for reading: fn is called from sim_turn when it is readable. */
int	sim_watch(struct sim *, int fd, void (*fn)(void *arg, int fd),
	    void *arg);
void	sim_unwatch(struct sim *, int fd);
/*
 * One turn: wait up to timeout_ms (less when a timer is due; -1: until
 * something happens), read, run timers, write.  Returns 0 or a FIXU_E*.
 */
int	sim_turn(struct sim *, int timeout_ms);
/* The same, waiting at most until deadline (CLOCK_MONOTONIC ns; INT64_MAX:
   no limit): for callers that pace below a millisecond. */
int	sim_turn_until(struct sim *, int64_t deadline);
/* 1 when no session has a connection any more (nor will try again:
   reconnect_ms, and not logged out with sim_logout()). */
int	sim_all_down(const struct sim *);
/* CLOCK_MONOTONIC in ns. */
int64_t	sim_mono(void);

/* The modes. */
int	load_main(int, char **);
int	exchange_main(int, char **);
int	script_main(int, char **);
int	replay_main(int, char **);
int	console_main(int, char **);

#endif
