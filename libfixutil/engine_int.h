/*
 * engine_int.h -- what the parts of the engine share: its connections,
 * sessions and application pipes.  Private to engine.c and engine_app.c.
 *
 * The engine owns everything here; a struct esess lives from fixu_eng_add
 * to fixu_eng_free, a struct econn until the end of the turn in which it
 * was closed, an apppipe as long as the engine.
 */
#ifndef FIXU_ENGINE_INT_H
#define FIXU_ENGINE_INT_H

#include <poll.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "engine.h"
#include "text.h"

#define READ_CHUNK	(256u << 10)
#define APP_HIGH	(8u << 20)
#define MAX_BACKOFF	8

struct econn;

struct listener {
	int		 fd;
	char		 addr[256];
	int		 port;
};

struct apppipe {
	int		 in, out;	/* -1 when absent or closed */
	int		 prefix;	/* lines carry "sessid\t" */
	struct fixu_buf	 rbuf;		/* partial input line */
	struct fixu_buf	 pend;		/* deliveries awaiting commit */
	struct fixu_buf	 wbuf;		/* committed, being written */
	int		 eof;
	int		 shared;
	int		 skipping;	/* dropping the rest of a long line */
};

struct esess {
	struct fixu_eng_sess	 cfg;
	struct fixu_sess	*s;
	struct fixu_eng		*eng;
	char			 id[256];
	int64_t			 sid;		/* store row id */
	struct econn		*c;
	struct apppipe		*app;
	/* initiator */
	int			 host;		/* index into cfg.connect */
	int			 tried;		/* hosts tried this round */
	int			 rounds;	/* failed rounds in a row */
	int64_t			 next_connect;	/* mono ns; 0: now */
	int			 was_on;	/* logged on since connecting */
	int			 stopping;
};

struct econn {
	int		 fd;
	struct esess	*s;		/* NULL until the Logon routed it */
	int		 connecting;	/* initiator: connect(2) in progress */
	int64_t		 opened;	/* mono ns */
	struct fixu_buf	 rbuf;
	size_t		 rstart;	/* consumed bytes at the start of rbuf */
	struct fixu_buf	 pend;		/* bytes awaiting commit */
	struct fixu_buf	 wbuf;		/* committed bytes being written */
	int		 close_after;	/* close once pend and wbuf are out */
	int		 dead;		/* closed; free at the end of the turn */
	long		 pidx;		/* index in the poll array; -1: none */
	char		 peer[80];
	struct econn	*next;
};

struct fixu_eng {
	struct fixu_eng_opts	 o;
	struct esess		**sess;
	size_t			 nsess;
	struct listener		*lis;
	size_t			 nlis;
	struct econn		*conns;
	struct apppipe		 shared;
	struct apppipe		**apps;		/* per-session pipes */
	size_t			 napps;
	struct fixu_encode	 enc;
	struct fixu_msg		 msg;
	int			 stop;
	char			 stopwhy[128];
	int			 fatal;
	struct fixu_diag	 fataldiag;
	void			(*hook)(struct fixu_eng *, void *);
	void			*hookarg;
	int			 hook_ms;
	int64_t			 logon_wait;	/* ns, unrouted connections */
	struct fixu_buf		 mask;		/* masked() */
	struct pollfd		*pfd;
	size_t			 pfdcap;
};

/* engine.c */
void	now_get(struct fixu_now *);
int	set_nonblock(int);
void	event(struct fixu_eng *, struct esess *, const char *kind,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	fatal(struct fixu_eng *, const struct fixu_diag *);
void	apply(struct fixu_eng *, struct esess *);

/* engine_app.c: the application's pipes */
struct apppipe *app_new(struct fixu_eng *, int in, int out);
void	app_fini(struct apppipe *);
void	deliver(struct fixu_eng *, struct esess *, struct fixu_str);
void	app_read(struct fixu_eng *, struct apppipe *, const struct fixu_now *);
void	app_write(struct fixu_eng *, struct apppipe *);
size_t	app_backlog(const struct fixu_eng *);

#endif
