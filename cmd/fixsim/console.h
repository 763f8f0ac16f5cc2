/*
 * console.h -- what the parts of fixsim console share.
 *
 * console.c is the mode: options, the loop, the terminal (readline) and
 * piped input, the commands and the session's hooks; complete.c
 * (complete.h) is the dictionary as the console reads it, and the
 * completion of a line; conmsg.c turns a typed line into a message sent
 * and a message into a line shown; order.c is the short order syntax
 * (buy, sell, cancel, replace) and the orders and answers it follows.
 *
 * Ownership: one struct con lives for the run, owned by console_main(),
 * and owns everything it points to, except the dictionaries tr and app,
 * which dicts owns.  What goes wrong with a line is said with con_oops()
 * (a problem: exit status 3 in piped input) or con_note() (a warning).
 */
#ifndef FIXSIM_CONSOLE_H
#define FIXSIM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fixutil.h"
#include "sim.h"

#define SENT_RING	256		/* sent MsgSeqNum -> MsgType */
#define ID_MAX		64

enum cstate { C_CONNECTING, C_ON, C_LOGGING_OUT, C_DOWN };

struct order {
	char	id[ID_MAX];		/* as first sent */
	char	cur[ID_MAX];		/* the ClOrdID in force */
	char	prev[ID_MAX];		/* before a pending replace */
	char	sym[ID_MAX];
	char	side[8];
	char	qty[32];
	char	px[32];
	char	ordtype[8];
};

struct pend {
	char		id[ID_MAX];	/* ClOrdID sent */
	uint64_t	seq;
};

struct sent {
	uint64_t	seq;
	char		type[8];
};

#define WORDS_MAX	64

/* A line cut into blank-separated words. */
struct words {
	const char	*w[WORDS_MAX];
	size_t		 n;
	int		 over;	/* more words than w holds */
};

struct mfields;

struct con {
	struct sim		*sim;
	struct sim_sess		*ss;
	struct sim_sess_opts	 so;
	struct fixu_dicts	*dicts;
	const struct fixu_dict	*tr, *app;	/* -b's (and -A's) */
	const char		*begin;
	const char		*applverid;	/* -A as given, or NULL */
	int			 interactive, verbose, quiet;
	int			 color_out, color_err;
	int			 rl_on, in_handler;
	int			 state;
	int			 asked_out;	/* the user logged out */
	int			 quitting;
	int64_t			 quit_by;
	int			 rc;
	int			 bad;		/* bad script lines */
	char			 why[300];	/* the session ended */
	char			 prompt[200];
	/* Script input. */
	struct fixu_buf		 in;
	int			 in_eof, watching, skipping;
	unsigned long		 lineno;
	int64_t			 sleep_until;
	int			 draining;	/* at EOF: for answers */
	int64_t			 drain_by;
	double			 wait_s;
	/* Messages. */
	struct fixu_encode	 enc;
	struct fixu_render	 rend;
	struct fixu_msg		 m, vm;
	struct fixu_buf		 line, extra, wire, out;
	struct fixu_field	*ff;
	uint32_t		 ffcap;
	uint64_t		 last_in;
	struct sent		 sent[SENT_RING];
	/* Orders. */
	char			 prefix[24];
	unsigned long		 nextid;
	struct order		*ord;
	size_t			 nord, capord;
	struct pend		*pend;
	size_t			 npend, cappend;
	/* Completion (complete.c). */
	uint32_t		*all;
	size_t			 nall, capall;
	struct mfields		*mf;
	size_t			 nmf;
};

/* console.c: output.  con_emit() writes one line (dim: in faint colour)
   and draws readline's line again after it. */
void	con_emit(struct con *, FILE *, const char *, size_t, int dim);
void	con_oops(struct con *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	con_note(struct con *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* conmsg.c: messages. */
int	conmsg_own_tag(uint32_t);
/* Send a line in any form fixenc reads; 0 or -1 (said why). */
int	conmsg_send(struct con *, const char *p, size_t n);
/* A message by fields, blank- or '|'-separated, as a '|' line in
   c->line; 0 or -1. */
int	conmsg_fields_line(struct con *, const char *p, size_t n);
/* "key=value|" appended to o, with the field's canonical name. */
void	conmsg_put_field(struct con *, struct fixu_buf *o, const char *k,
	    size_t kn, const char *v, size_t vn);
/* One message in or out, on one line. */
void	conmsg_show(struct con *, int in, const struct fixu_msg *,
	    uint64_t seq);

/* order.c: buy and sell; cancel and replace; what is sent (and its
   MsgType, in c->sent) and what arrives for the orders followed. */
int	order_new(struct con *, struct words *);
int	order_amend(struct con *, struct words *);
void	order_track_out(struct con *, const struct fixu_msg *, uint64_t seq);
void	order_track_in(struct con *, const struct fixu_msg *);

#endif
