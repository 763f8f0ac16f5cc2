/*
 * session_int.h -- what session.c (inbound messages, timers, events) and
 * session_out.c (actions, outbound messages, resends) share.  Not
 * installed.
 *
 * A struct sess owns everything it points to except the dictionaries and
 * the schedule of its cfg; the views in its actions point into its arena.
 */
#ifndef FIXU_SESSION_INT_H
#define FIXU_SESSION_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session.h"

#define NS		1000000000LL
/* The arena holds the bytes of one event's actions (a resend may be
   large, but not unbounded). */
#define FIXU_SS_ARENA_MAX	((size_t)1 << 30)

enum { V40 = 40, V41 = 41, V42 = 42, V43 = 43, V44 = 44, VFIXT = 50 };

struct qmsg {
	uint64_t	 seq;
	char		*p;
	size_t		 n;
};

/* Arena offsets of an action's data and msgtype. */
struct aoff {
	size_t	d, m;
};

/* A header field of an outbound message; key orders them. */
struct hdrf {
	uint32_t	 tag, key;
	const char	*v;
	size_t		 n;
};

/*
 * store.h already names its session record struct fixu_sess, so the state
 * machine is a struct sess that the public functions convert to and from.
 */
struct sess {
	struct fixu_sess_cfg	 cfg;
	struct fixu_sess_ops	 ops;
	int			 ver;
	int			 tsdec;
	int			 state;
	uint64_t		 next_out, next_in;
	int64_t			 epoch_start;	/* INT64_MIN: unknown */
	struct fixu_now		 now;		/* of the event at hand */
	int			 hbi;
	int64_t			 last_sent, last_recv;	/* mono */
	int			 testreq;	/* TestRequests unanswered */
	int64_t			 timer;		/* logon/logout deadline */
	int			 sent_reset;	/* our Logon carried 141=Y */
	int			 logout_sent, logout_recv;
	int			 logged_on;	/* a Logon was accepted */
	uint64_t		 rr_begin, rr_end;	/* ResendRequest out */
	char			 peer_applverid[16];
	/* the inbound message at hand (raw as received) */
	const char		*raw;
	size_t			 rawn;
	char			 badtag[24];	/* first bad tag, as text */
	struct qmsg		*q;		/* q[qh..nq): ahead, by seq */
	size_t			 qh, nq, capq;
	struct fixu_msg		 m;		/* inbound */
	struct fixu_msg		 r;		/* outbound being rebuilt */
	struct fixu_builder	 b;
	struct fixu_buf		 tmp;		/* message minus bad tags */
	struct hdrf		*hx;
	size_t			 nhx, caphx;
	struct fixu_buf		 arena;
	struct fixu_act		*acts;
	struct aoff		*aoffs;
	size_t			 nacts, capacts;
};

static inline struct sess *
S(struct fixu_sess *p)
{
	return (struct sess *)(void *)p;
}

static inline const struct sess *
CS(const struct fixu_sess *p)
{
	return (const struct sess *)(const void *)p;
}

static inline int
is_admin(struct fixu_str t)
{
	return t.n == 1 && t.p != NULL && strchr("012345A", t.p[0]) != NULL;
}

static inline int
is_type(struct fixu_str t, char c)
{
	return t.n == 1 && t.p != NULL && t.p[0] == c;
}

static inline int
yes(struct fixu_str v)
{
	return v.n == 1 && v.p[0] == 'Y';
}

/* Every event call starts here: the previous event's actions go. */
static inline void
fixu_ss_begin(struct sess *s, const struct fixu_now *now)
{
	s->nacts = 0;
	s->arena.len = 0;
	s->now = *now;
}

/* Actions (session_out.c); NULL or FIXU_ENOMEM when out of memory. */
struct fixu_act *fixu_ss_push(struct sess *, int kind, const char *data,
	    size_t dn, const char *mt, size_t mn);
int	fixu_ss_event(struct sess *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	fixu_ss_act(struct sess *, int kind);
int	fixu_ss_act_state(struct sess *, int on);
int	fixu_ss_set_next(struct sess *, uint64_t out, uint64_t in);

/*
 * Outbound messages: fixu_ss_hdr() adds extra header fields (after nhx was
 * set to 0), fixu_ss_msg_begin() writes 8, 35 and the sorted header,
 * the caller adds the body, fixu_ss_msg_send() queues the SEND.  tbuf (32
 * bytes) and sbuf (24) hold SendingTime and MsgSeqNum until then.
 */
int	fixu_ss_hdr(struct sess *, uint32_t tag, const char *v, size_t n);
int	fixu_ss_msg_begin(struct sess *, const char *type, size_t tn,
	    uint64_t seq, int possdup, const char *orig, size_t on,
	    char *tbuf, char *sbuf);
int	fixu_ss_msg_send(struct sess *, unsigned flags, uint64_t seq,
	    const char *type, size_t tn, int possdup);
/* A new administrative message numbered next_out, and its SEND. */
int	fixu_ss_admin_begin(struct sess *, const char *type, char *tbuf,
	    char *sbuf);
int	fixu_ss_admin_send(struct sess *, const char *type);

int	fixu_ss_logout(struct sess *, const char *text);
int	fixu_ss_disconnect(struct sess *, const char *why);
int	fixu_ss_heartbeat(struct sess *, struct fixu_str testreqid);
int	fixu_ss_resend_request(struct sess *, uint64_t from, uint64_t last);
int	fixu_ss_logon(struct sess *, int reset, uint64_t next_expected);
/* Serve a ResendRequest for begin..end (end 0: everything sent). */
int	fixu_ss_serve_resend(struct sess *, uint64_t begin, uint64_t end);

#endif
