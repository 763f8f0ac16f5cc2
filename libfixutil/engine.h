/*
 * engine.h -- the poll(2) loop that runs FIX sessions over TCP: acceptor
 * ports shared by many sessions, initiators that reconnect through their
 * failover hosts, timers, the store, and the application's pipes.
 *
 * The engine is the only part of libfixutil that touches sockets and
 * clocks.  Every turn of the loop it reads what is ready, feeds the
 * sessions, appends what they want stored to the store's open batch,
 * commits the batch once (group commit), and only then writes the
 * messages out and hands inbound application messages to the
 * application: nothing is sent or delivered before it is durable.
 *
 * The application side is a pair of descriptors per engine (or per
 * session, for a child command per session): inbound application messages
 * are written one per line in wire form, each ending with SOH and a
 * newline; outbound ones are read one per line, in wire or readable form
 * (fixenc's), see fixsession(1) for the format.  With more than one
 * session on one pair, each line starts with the session id and a tab.
 *
 * Ownership: fixu_eng_new() copies the options; the session settings
 * added with fixu_eng_add() are copied, but the store, dictionaries and
 * schedules they point to are borrowed and must outlive the engine.
 * Callbacks run inside fixu_eng_run() and may call fixu_eng_stop().
 */
#ifndef FIXU_ENGINE_H
#define FIXU_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "session.h"
#include "store.h"

#define FIXU_ENG_MAX_HOSTS	16

struct fixu_eng_host {
	char	host[256];
	int	port;
};

/* One session as the engine runs it. */
struct fixu_eng_sess {
	struct fixu_sess_cfg	 sc;
	/* acceptor: the address and port it listens on (sessions with the
	   same address and port share one listening socket) */
	char			 accept_addr[256];	/* "": every address */
	int			 accept_port;
	/* initiator: SocketConnectHost/Port, then ...Host1/Port1, ... */
	struct fixu_eng_host	 connect[FIXU_ENG_MAX_HOSTS];
	int			 nconnect;
	int			 reconnect_interval;	/* s; 0: 30 */
	int			 reconnect_ms;	/* when > 0, wins over the above */
	int			 tcp_nodelay;		/* SocketNodelay (1) */
	int			 refresh_on_logon;	/* RefreshOnLogon */
	/* fd pair of this session's application (a child command); -1:
	   the engine's shared pair */
	int			 app_in;	/* we read outbound lines */
	int			 app_out;	/* we write inbound lines */
};

/* What the engine reports to its owner (all optional). */
struct fixu_eng_hooks {
	/* An event line for the log: time, session id, kind, text. */
	void	(*event)(void *arg, int64_t real_ns, const char *sessid,
		    const char *kind, const char *text);
	/* A message sent or received, for a message log (admin or not). */
	void	(*message)(void *arg, int64_t real_ns, const char *sessid,
		    int dir, const char *raw, size_t n);
	void	*arg;
};

struct fixu_eng_opts {
	struct fixu_store	*store;		/* borrowed */
	int			 app_in;	/* shared pair; -1: none */
	int			 app_out;
	int			 app_prefix;	/* lines carry "sessid\t" */
	struct fixu_dicts	*dicts;		/* for readable input; borrowed */
	struct fixu_eng_hooks	 hooks;
};

struct fixu_eng;

int	fixu_eng_new(struct fixu_eng **, const struct fixu_eng_opts *,
	    struct fixu_diag *d);
void	fixu_eng_free(struct fixu_eng *);
/*
 * Add a session: look it up in the store (creating it), restore its
 * numbers, open (or share) its listening socket or schedule its first
 * connection.  FIXU_EEXIST when a session with that id is running.
 */
int	fixu_eng_add(struct fixu_eng *, const struct fixu_eng_sess *,
	    struct fixu_diag *d);
/* 1 when a session with this id (fixu_sessid_fmt form) is running. */
int	fixu_eng_has(const struct fixu_eng *, const char *sessid);
/*
 * Run until fixu_eng_stop() was called and every session is down, or a
 * fatal store error (returned, e.g. FIXU_EFENCED: a successor holds the
 * lease, nothing more may be written).
 */
int	fixu_eng_run(struct fixu_eng *, struct fixu_diag *d);
/*
 * Ask every session to log out (Logout, wait for the reply or the
 * timeout) and fixu_eng_run() to return once all are down.  Safe from a
 * callback; for a signal handler, set a flag and call it from
 * fixu_eng_poll_hook instead.
 */
void	fixu_eng_stop(struct fixu_eng *, const char *why);
/* 1 when every application input has ended (EOF) and all of it was read. */
int	fixu_eng_app_done(const struct fixu_eng *);
/*
 * A function the loop calls at every turn (and at least every interval
 * ms): where a tool checks the flags its signal handlers set.
 */
void	fixu_eng_poll_hook(struct fixu_eng *, void (*fn)(struct fixu_eng *,
	    void *), void *arg, int interval_ms);

#endif
