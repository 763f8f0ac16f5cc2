/*
 * engine.c -- the poll loop: sockets, timers, the store and the
 * application's pipes around the session state machines.
 *
 * One turn of the loop: poll; accept; read every ready socket and feed
 * whole messages to their sessions (a connection that has not logged on
 * yet is routed by its Logon's BeginString and CompIDs); read every ready
 * application pipe and hand complete lines to their sessions; tick the
 * sessions whose timers are due.  Each session event's actions go to the
 * store's open batch at once -- so a ResendRequest served later in the
 * same turn sees what was stored before it -- while the bytes to send and
 * the lines to deliver wait in per-connection and per-pipe "pending"
 * buffers.  At the end of the turn the batch is committed (one fsync for
 * everything the turn produced: group commit), and only then are the
 * pending bytes moved to the output buffers and written.  A failed commit
 * is fatal and nothing it covered is ever sent or delivered.
 *
 * Fairness: a connection is read at most READ_CHUNK bytes per turn, so a
 * peer that floods cannot starve the others; a connection that has not
 * logged on within the longest LogonTimeout of the acceptors is closed; application output that the
 * application does not read stops the reading of sockets once APP_HIGH
 * bytes are waiting, so memory stays bounded and nothing is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"
#include "fixlimits.h"

void
now_get(struct fixu_now *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	t->real = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->mono = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
event(struct fixu_eng *e, struct esess *s, const char *kind,
    const char *fmt, ...)
{
	char text[512];
	struct fixu_now t;
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) >= (int)sizeof(text))
		memcpy(text + sizeof(text) - 4, "...", 4);
	va_end(ap);
	now_get(&t);
	if (e->o.hooks.event != NULL)
		e->o.hooks.event(e->o.hooks.arg, t.real,
		    s != NULL ? s->id : "-", kind, text);
	if (s != NULL && s->sid != 0)
		(void)fixu_store_event(e->o.store, s->sid, t.real, kind, text,
		    NULL);
}

int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* ---- setup -------------------------------------------------------------- */

int
fixu_eng_new(struct fixu_eng **out, const struct fixu_eng_opts *o,
    struct fixu_diag *d)
{
	struct fixu_eng *e;

	fixu_diag_clear(d);
	*out = NULL;
	if (o == NULL || o->store == NULL)
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "engine needs a store");
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
	e->o = *o;
	e->shared.in = o->app_in;
	e->shared.out = o->app_out;
	e->shared.prefix = o->app_prefix;
	e->shared.shared = 1;
	fixu_buf_init(&e->shared.rbuf, FIXU_MAX_LINE);
	fixu_buf_init(&e->shared.pend, SIZE_MAX);
	fixu_buf_init(&e->shared.wbuf, SIZE_MAX);
	if (e->shared.in >= 0)
		(void)set_nonblock(e->shared.in);
	if (e->shared.out >= 0)
		(void)set_nonblock(e->shared.out);
	fixu_text_encode_init(&e->enc);
	e->enc.dicts = o->dicts;
	e->enc.flags = FIXU_ENC_FORCE_BEGIN;
	fixu_msg_init(&e->msg);
	fixu_buf_init(&e->mask, FIXU_MAX_MSG + 64);
	(void)signal(SIGPIPE, SIG_IGN);
	*out = e;
	return 0;
}

static void
conn_free(struct econn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	fixu_buf_fini(&c->rbuf);
	fixu_buf_fini(&c->pend);
	fixu_buf_fini(&c->wbuf);
	free(c);
}

void
fixu_eng_free(struct fixu_eng *e)
{
	struct econn *c, *n;
	size_t i;

	if (e == NULL)
		return;
	for (c = e->conns; c != NULL; c = n) {
		n = c->next;
		conn_free(c);
	}
	for (i = 0; i < e->nsess; i++) {
		fixu_sess_free(e->sess[i]->s);
		free(e->sess[i]);
	}
	free(e->sess);
	for (i = 0; i < e->nlis; i++)
		close(e->lis[i].fd);
	free(e->lis);
	for (i = 0; i < e->napps; i++) {
		if (e->apps[i]->in >= 0)
			close(e->apps[i]->in);
		if (e->apps[i]->out >= 0)
			close(e->apps[i]->out);
		app_fini(e->apps[i]);
		free(e->apps[i]);
	}
	free(e->apps);
	app_fini(&e->shared);
	fixu_text_encode_fini(&e->enc);
	fixu_msg_fini(&e->msg);
	fixu_buf_fini(&e->mask);
	free(e->pfd);
	free(e);
}

void
fixu_eng_poll_hook(struct fixu_eng *e, void (*fn)(struct fixu_eng *, void *),
    void *arg, int interval_ms)
{
	e->hook = fn;
	e->hookarg = arg;
	e->hook_ms = interval_ms > 0 ? interval_ms : 1000;
}

/* Read back what a session sent, for its resends. */
static int
fetch_out(void *arg, uint64_t from, uint64_t to,
    int (*each)(void *, uint64_t, const char *, size_t), void *ctx);

struct fetch_ctx {
	int	(*each)(void *, uint64_t, const char *, size_t);
	void	*ctx;
};

static int
fetch_one(const struct fixu_rec *r, void *arg)
{
	struct fetch_ctx *f = arg;

	return f->each(f->ctx, r->seq, r->raw.p, r->raw.n);
}

static int
fetch_out(void *arg, uint64_t from, uint64_t to,
    int (*each)(void *, uint64_t, const char *, size_t), void *ctx)
{
	struct esess *s = arg;
	struct fixu_query q;
	struct fetch_ctx f = { each, ctx };
	int rc;

	memset(&q, 0, sizeof(q));
	q.session = s->sid;
	q.epoch = 0;
	q.dir = FIXU_DIR_OUT;
	q.seq_from = from;
	q.seq_to = to;
	rc = fixu_store_range(s->eng->o.store, &q, fetch_one, &f, NULL);
	return rc > 0 ? 0 : rc;
}

static int
listen_on(struct fixu_eng *e, const char *addr, int port, size_t *idx,
    struct fixu_diag *d)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct listener *nl;
	char pbuf[16];
	size_t i;
	int fd = -1, one = 1, rc;

	for (i = 0; i < e->nlis; i++)
		if (e->lis[i].port == port && strcmp(e->lis[i].addr, addr) == 0) {
			*idx = i;
			return 0;
		}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	(void)snprintf(pbuf, sizeof(pbuf), "%d", port);
	if ((rc = getaddrinfo(*addr ? addr : NULL, pbuf, &hints, &res)) != 0)
		return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s:%d: %s", *addr ? addr : "*", port, gai_strerror(rc));
	/* Without an address prefer IPv6 with v4-mapped, else IPv4. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "listen on %s:%d: %s", *addr ? addr : "*", port,
		    strerror(errno));
	(void)set_nonblock(fd);
	nl = realloc(e->lis, (e->nlis + 1) * sizeof(*nl));
	if (nl == NULL) {
		close(fd);
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
	}
	e->lis = nl;
	nl[e->nlis].fd = fd;
	(void)snprintf(nl[e->nlis].addr, sizeof(nl->addr), "%s", addr);
	nl[e->nlis].port = port;
	*idx = e->nlis++;
	return 0;
}

int
fixu_eng_has(const struct fixu_eng *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->nsess; i++)
		if (strcmp(e->sess[i]->id, id) == 0)
			return 1;
	return 0;
}

/* The start time of the current epoch, for schedule resets. */
struct epoch_find {
	uint32_t	 want;
	int64_t		*at;
};

static int
epoch_find(uint32_t epoch, int64_t started, const char *why, void *arg)
{
	struct epoch_find *f = arg;

	(void)why;
	if (epoch == f->want)
		*f->at = started;
	return 0;
}

static int64_t
epoch_start(struct fixu_store *st, const struct fixu_sess *ss)
{
	int64_t at = ss->created_ns;
	struct epoch_find ef = { ss->epoch, &at };

	(void)fixu_store_epochs(st, ss->id, epoch_find, &ef, NULL);
	return at;
}

int
fixu_eng_add(struct fixu_eng *e, const struct fixu_eng_sess *cfg,
    struct fixu_diag *d)
{
	struct esess *s, **ns;
	struct fixu_sess_ops ops;
	struct fixu_sess st;
	int64_t start;
	size_t li;
	int rc;

	fixu_diag_clear(d);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory");
	s->cfg = *cfg;
	s->eng = e;
	fixu_sessid_fmt(&cfg->sc.sid, s->id, sizeof(s->id));
	if (fixu_eng_has(e, s->id)) {
		free(s);
		return fixu_diag_set(d, FIXU_EEXIST, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: session already running", s->id);
	}
	if (!cfg->sc.initiator) {
		if ((rc = listen_on(e, cfg->accept_addr, cfg->accept_port, &li,
		    d)) != 0) {
			free(s);
			return rc;
		}
	} else if (cfg->nconnect <= 0) {
		free(s);
		return fixu_diag_set(d, FIXU_EINVAL, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "%s: initiator without a host to connect to", s->id);
	}
	/* Created (if new) and marked offline in one commit, below. */
	rc = fixu_store_session(e->o.store, &cfg->sc.sid, 1, &st, d);
	if (rc == 0)
		rc = fixu_store_set_online(e->o.store, st.id, 0, 0, d);
	if (rc == 0)
		rc = fixu_store_commit(e->o.store, d);
	if (rc != 0) {
		free(s);
		return rc;
	}
	s->sid = st.id;
	start = epoch_start(e->o.store, &st);
	ops.fetch_out = fetch_out;
	ops.arg = s;
	if ((rc = fixu_sess_new(&s->s, &cfg->sc, &ops, d)) != 0) {
		free(s);
		return rc;
	}
	fixu_sess_restore(s->s, st.next_out, st.next_in, start);
	if (cfg->app_in >= 0 || cfg->app_out >= 0) {
		if ((s->app = app_new(e, cfg->app_in, cfg->app_out)) == NULL)
			goto nomem;
	} else
		s->app = &e->shared;
	if (!cfg->sc.initiator) {
		int64_t lw = (int64_t)(cfg->sc.logon_timeout > 0 ?
		    cfg->sc.logon_timeout : 10) * 1000000000LL;

		if (lw > e->logon_wait)
			e->logon_wait = lw;
	}
	ns = realloc(e->sess, (e->nsess + 1) * sizeof(*ns));
	if (ns == NULL)
		goto nomem;
	e->sess = ns;
	e->sess[e->nsess++] = s;
	if (st.online)
		event(e, s, "recover",
		    "store says online: the last run ended without logout");
	event(e, s, "start", "%s, next out %llu, next in %llu",
	    cfg->sc.initiator ? "initiator" : "acceptor",
	    (unsigned long long)st.next_out, (unsigned long long)st.next_in);
	return 0;
nomem:
	fixu_sess_free(s->s);
	free(s);
	return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "out of memory");
}

/*
 * Password (554) and NewPassword (925) never reach the store or a log:
 * a copy of the message with their values starred and its CheckSum
 * recomputed.  Only Logon (A) and UserRequest (BE) carry them.
 */
static struct fixu_str
masked(struct fixu_eng *e, struct fixu_str type, struct fixu_str m)
{
	struct fixu_str out = m;
	size_t i, j, ck;
	char *p;
	int hit = 0;

	if (!fixu_str_eq(type, "A") && !fixu_str_eq(type, "BE"))
		return m;
	fixu_buf_reset(&e->mask);
	if (fixu_buf_append(&e->mask, m.p, m.n) != 0 || m.n < 7)
		return m;
	p = e->mask.p;
	for (i = 0; i + 5 < m.n; i++) {
		if (p[i] != FIXU_SOH || !(memcmp(p + i + 1, "554=", 4) == 0 ||
		    memcmp(p + i + 1, "925=", 4) == 0))
			continue;
		for (j = i + 5; j < m.n && p[j] != FIXU_SOH; j++)
			p[j] = '*';
		hit = 1;
	}
	if (!hit)
		return m;
	/* The trailer is "10=nnn<SOH>": the last 7 bytes. */
	ck = fixu_checksum(p, m.n - 7, FIXU_SOH);
	if (memcmp(p + m.n - 7, "10=", 3) == 0) {
		p[m.n - 4] = (char)('0' + ck / 100);
		p[m.n - 3] = (char)('0' + ck / 10 % 10);
		p[m.n - 2] = (char)('0' + ck % 10);
	}
	out.p = p;
	return out;
}

static void
hook_message(struct fixu_eng *e, struct esess *s, const struct fixu_now *t,
    int dir, struct fixu_str m)
{
	struct fixu_str ty = { NULL, 0 };
	const char *p;

	if (e->o.hooks.message == NULL)
		return;
	/* MsgType is the third field; masked() needs it. */
	p = memchr(m.p, FIXU_SOH, m.n);
	if (p != NULL && (p = memchr(p + 1, FIXU_SOH, m.n - (size_t)(p + 1 -
	    m.p))) != NULL && (size_t)(p - m.p) + 4 < m.n &&
	    memcmp(p + 1, "35=", 3) == 0) {
		ty.p = p + 4;
		ty.n = 0;
		while ((size_t)(ty.p - m.p) + ty.n < m.n &&
		    ty.p[ty.n] != FIXU_SOH)
			ty.n++;
	}
	m = masked(e, ty, m);
	e->o.hooks.message(e->o.hooks.arg, t->real, s->id, dir, m.p, m.n);
}

/* ---- actions ------------------------------------------------------------- */

void
fatal(struct fixu_eng *e, const struct fixu_diag *d)
{
	if (e->fatal == 0) {
		e->fatal = d->code != 0 ? d->code : FIXU_EIO;
		e->fataldiag = *d;
	}
	e->stop = 1;
}

/* Add the message of action a to the store's open batch. */
static int
store(struct fixu_eng *e, struct esess *s, int dir, const struct fixu_act *a,
    const struct fixu_now *t, struct fixu_diag *d)
{
	struct fixu_rec r;

	memset(&r, 0, sizeof(r));
	r.session = s->sid;
	r.dir = dir;
	r.seq = a->seq;
	r.time_ns = t->real;
	r.msgtype = a->msgtype;
	r.possdup = a->possdup;
	r.raw = masked(e, a->msgtype, a->data);
	return fixu_store_append(e->o.store, &r, d);
}

void
apply(struct fixu_eng *e, struct esess *s)
{
	const struct fixu_act *a;
	struct fixu_store *st = e->o.store;
	struct fixu_diag d;
	struct fixu_now t;
	size_t i, n;
	int rc;

	n = fixu_sess_actions(s->s, &a);
	if (n == 0)
		return;
	now_get(&t);
	for (i = 0; i < n; i++, a++) {
		rc = 0;
		fixu_diag_clear(&d);
		switch (a->kind) {
		case FIXU_ACT_SEND:
			if (a->flags & FIXU_ACT_F_STORE)
				rc = store(e, s, FIXU_DIR_OUT, a, &t, &d);
			if (rc == 0 && !(a->flags & FIXU_ACT_F_NOTX) &&
			    s->c != NULL && !s->c->dead) {
				if (fixu_buf_append(&s->c->pend, a->data.p,
				    a->data.n) != 0)
					rc = fixu_diag_set(&d, FIXU_ENOMEM,
					    SIZE_MAX, 0, FIXU_REJ_NONE,
					    "out of memory");
			}
			if (rc == 0 && e->o.hooks.message != NULL &&
			    !(a->flags & FIXU_ACT_F_NOTX))
				hook_message(e, s, &t, FIXU_DIR_OUT, a->data);
			break;
		case FIXU_ACT_STORE_IN:
			rc = store(e, s, FIXU_DIR_IN, a, &t, &d);
			break;
		case FIXU_ACT_DELIVER:
			deliver(e, s, a->data);
			break;
		case FIXU_ACT_SET_NEXT:
			rc = fixu_store_set_next(st, s->sid, a->next_out,
			    a->next_in, &d);
			break;
		case FIXU_ACT_RESET:
			{
				char why[256];

				(void)snprintf(why, sizeof(why), "%.*s",
				    (int)a->data.n, a->data.p);
				rc = fixu_store_reset(st, s->sid, why[0] ?
				    why : "session reset", &d);
			}
			if (e->o.hooks.event != NULL)
				e->o.hooks.event(e->o.hooks.arg, t.real, s->id,
				    "reset", "new sequence epoch");
			break;
		case FIXU_ACT_EVENT: {
			char text[1024];

			(void)snprintf(text, sizeof(text), "%.*s",
			    (int)a->data.n, a->data.p);
			if (e->o.hooks.event != NULL)
				e->o.hooks.event(e->o.hooks.arg, t.real, s->id,
				    a->name, text);
			rc = fixu_store_event(st, s->sid, t.real, a->name,
			    text, &d);
			break;
		}
		case FIXU_ACT_STATE:
			if (a->value)
				s->was_on = 1;
			rc = fixu_store_set_online(st, s->sid, a->value, t.real,
			    &d);
			break;
		case FIXU_ACT_DISCONNECT:
			if (s->c != NULL)
				s->c->close_after = 1;
			break;
		}
		if (rc != 0) {
			fatal(e, &d);
			break;
		}
	}
	fixu_sess_actions_clear(s->s);
}

/* ---- connections ---------------------------------------------------------- */

static struct econn *
conn_new(struct fixu_eng *e, int fd, int64_t mono)
{
	struct econn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = fd;
	c->opened = mono;
	c->pidx = -1;
	fixu_buf_init(&c->rbuf, FIXU_MAX_MSG + READ_CHUNK);
	fixu_buf_init(&c->pend, SIZE_MAX);
	fixu_buf_init(&c->wbuf, SIZE_MAX);
	c->next = e->conns;
	e->conns = c;
	return c;
}

static int64_t
reconnect_ns(const struct esess *s)
{
	if (s->cfg.reconnect_ms > 0)
		return (int64_t)s->cfg.reconnect_ms * 1000000;
	return (int64_t)(s->cfg.reconnect_interval > 0 ?
	    s->cfg.reconnect_interval : 30) * 1000000000LL;
}

/*
 * After a session that was logged on goes down, try the same host again
 * after ReconnectInterval.  After a failed attempt, try the next failover
 * host at once; when every host failed, wait ReconnectInterval, doubling
 * after each failed round up to MAX_BACKOFF times.
 */
static void
reconnect_later(struct esess *s, const struct fixu_now *t)
{
	int mult;

	if (s->was_on) {
		s->was_on = 0;
		s->tried = 0;
		s->rounds = 0;
		s->next_connect = t->mono + reconnect_ns(s);
		return;
	}
	s->host = (s->host + 1) % s->cfg.nconnect;
	if (++s->tried < s->cfg.nconnect) {
		s->next_connect = t->mono;
		return;
	}
	s->tried = 0;
	mult = s->rounds >= 3 ? MAX_BACKOFF : 1 << s->rounds;
	s->rounds++;
	s->next_connect = t->mono + reconnect_ns(s) * mult;
}

/* Close now: the session (if any) learns that the transport is down. */
static void
conn_close(struct fixu_eng *e, struct econn *c, const char *why)
{
	struct fixu_now t;
	struct esess *s = c->s;

	if (c->dead)
		return;
	c->dead = 1;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (s == NULL)
		return;
	s->c = NULL;
	c->s = NULL;
	if (why != NULL)
		event(e, s, "disconnect", "%s", why);
	now_get(&t);
	(void)fixu_sess_disconnected(s->s, &t);
	apply(e, s);
	if (s->cfg.sc.initiator)
		reconnect_later(s, &t);
}

static void
try_connect(struct fixu_eng *e, struct esess *s, const struct fixu_now *t)
{
	const struct fixu_eng_host *h;
	struct addrinfo hints, *res = NULL, *ai;
	struct econn *c;
	char pbuf[16];
	int fd = -1, rc, one = 1;

	if (s->cfg.nconnect <= 0)
		return;
	h = &s->cfg.connect[s->host % s->cfg.nconnect];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(pbuf, sizeof(pbuf), "%d", h->port);
	rc = getaddrinfo(h->host, pbuf, &hints, &res);
	if (rc != 0) {
		event(e, s, "connect", "%s:%d: %s", h->host, h->port,
		    gai_strerror(rc));
		goto next;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		(void)set_nonblock(fd);
		if (s->cfg.tcp_nodelay)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		event(e, s, "connect", "%s:%d: %s", h->host, h->port,
		    strerror(errno));
		goto next;
	}
	if ((c = conn_new(e, fd, t->mono)) == NULL) {
		close(fd);
		goto next;
	}
	c->connecting = 1;
	c->s = s;
	s->c = c;
	(void)snprintf(c->peer, sizeof(c->peer), "%s:%d", h->host, h->port);
	return;
next:
	s->was_on = 0;
	reconnect_later(s, t);
}

/* RefreshOnLogon: take the numbers from the store, which another tool
   (fixstore set-seq) may have changed. */
static void
refresh(struct fixu_eng *e, struct esess *s)
{
	struct fixu_sess st;
	int64_t at;

	if (!s->cfg.refresh_on_logon ||
	    fixu_store_session_byid(e->o.store, s->sid, &st, NULL) != 0)
		return;
	at = epoch_start(e->o.store, &st);
	fixu_sess_restore(s->s, st.next_out, st.next_in, at);
}

/* 1 when the peer of c has closed it or it failed (nothing is consumed). */
static int
gone(const struct econn *c)
{
	char b;
	ssize_t r;

	if (c->dead || c->fd < 0)
		return 1;
	if (c->connecting)
		return 0;
	r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR);
}

/* A Logon on a connection nobody owns yet: find its session. */
static void
route(struct fixu_eng *e, struct econn *c, const struct fixu_now *t,
    const char *p, size_t n)
{
	struct fixu_msg *m = &e->msg;
	struct fixu_str b, ty, snd, tgt, user, pw;
	struct fixu_sess st;
	struct esess *s = NULL;
	size_t i;
	int rc, auth_failed = 0;

	rc = fixu_msg_parse(m, p, n, FIXU_SOH, NULL, 0, NULL);
	if (rc != 0 && rc != FIXU_EBODYLEN && rc != FIXU_ECHECKSUM) {
		event(e, NULL, "reject", "%s: first message unreadable: %s",
		    c->peer, fixu_strerror(rc));
		conn_close(e, c, NULL);
		return;
	}
	ty = fixu_msg_get(m, 35);
	b = fixu_msg_get(m, 8);
	snd = fixu_msg_get(m, 49);
	tgt = fixu_msg_get(m, 56);
	if (!fixu_str_eq(ty, "A")) {
		event(e, NULL, "reject", "%s: first message is not a Logon: "
		    "disconnected", c->peer);
		conn_close(e, c, NULL);
		return;
	}
	for (i = 0; i < e->nsess; i++) {
		struct esess *x = e->sess[i];

		if (!x->cfg.sc.initiator && fixu_str_eq(b, x->cfg.sc.sid.begin) &&
		    fixu_str_eq(snd, x->cfg.sc.sid.target) &&
		    fixu_str_eq(tgt, x->cfg.sc.sid.sender)) {
			s = x;
			break;
		}
	}
	if (s == NULL) {
		event(e, NULL, "reject", "%s: Logon for unknown session "
		    "%.*s:%.*s->%.*s: disconnected", c->peer, (int)b.n, b.p,
		    (int)tgt.n, tgt.p, (int)snd.n, snd.p);
		conn_close(e, c, NULL);
		return;
	}
	/* The old connection may have ended in this same turn, unread. */
	if (s->c != NULL && !s->stopping && gone(s->c))
		conn_close(e, s->c, "peer closed the connection");
	if (s->c != NULL || s->stopping) {
		event(e, s, "reject", "%s: %s: disconnected", c->peer,
		    s->stopping ? "shutting down" :
		    "Logon for a session that is already connected");
		conn_close(e, c, NULL);
		return;
	}
	if (fixu_store_session_byid(e->o.store, s->sid, &st, NULL) == 0 &&
	    st.has_passwd) {
		user = fixu_msg_get(m, 553);
		pw = fixu_msg_get(m, 554);
		if (fixu_store_passwd_check(e->o.store, s->sid,
		    user.p != NULL ? user.p : "", user.n,
		    pw.p != NULL ? pw.p : "", pw.n, NULL) != 0) {
			auth_failed = 1;
			event(e, s, "auth", "%s: Logon with wrong Username or "
			    "Password", c->peer);
		}
	}
	c->s = s;
	s->c = c;
	event(e, s, "connect", "connection from %s", c->peer);
	{
		struct fixu_str lm = { p, n };

		hook_message(e, s, t, FIXU_DIR_IN, lm);
	}
	refresh(e, s);
	(void)fixu_sess_connected(s->s, t);
	apply(e, s);
	(void)fixu_sess_recv(s->s, t, p, n, auth_failed);
	apply(e, s);
}

static void
conn_input(struct fixu_eng *e, struct econn *c, const struct fixu_now *t)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off = c->rstart, len;
	char *p;
	int rc;

	while (!c->dead && !c->close_after) {
		p = c->rbuf.p + off;
		len = c->rbuf.len - off;
		if (len == 0)
			break;
		rc = fixu_frame(p, len, 0, &fr, &d);
		if (rc == FIXU_EAGAIN) {
			/* Keep a possible split "8=FIX" at the end. */
			if (fr.start >= len)
				off += len > 8 ? len - 8 : 0;
			else
				off += fr.start;
			break;
		}
		if (rc != 0) {
			if (c->s == NULL) {
				/* The first message must be a readable Logon. */
				event(e, NULL, "reject", "%s: first message "
				    "garbled: %s: disconnected", c->peer,
				    d.msg[0] != '\0' ? d.msg : fixu_strerror(rc));
				conn_close(e, c, NULL);
				return;
			}
			(void)fixu_sess_garbled(c->s->s, t, &d);
			apply(e, c->s);
			off += fr.skip > 0 ? fr.skip : 1;
			continue;
		}
		if (c->s == NULL)
			route(e, c, t, p + fr.start, fr.len);
		else {
			struct fixu_str m = { p + fr.start, fr.len };

			hook_message(e, c->s, t, FIXU_DIR_IN, m);
			(void)fixu_sess_recv(c->s->s, t, p + fr.start, fr.len,
			    0);
			apply(e, c->s);
		}
		off += fr.start + fr.len;
	}
	if (c->dead)
		return;
	/* Compact: drop what was consumed. */
	if (off > 0) {
		memmove(c->rbuf.p, c->rbuf.p + off, c->rbuf.len - off);
		c->rbuf.len -= off;
	}
	c->rstart = 0;
}

static void
conn_read(struct fixu_eng *e, struct econn *c, const struct fixu_now *t)
{
	ssize_t r;

	if (fixu_buf_reserve(&c->rbuf, READ_CHUNK) != 0) {
		/* A message larger than the limit that never ends. */
		if (c->s != NULL)
			event(e, c->s, "garbled", "more than %u bytes without "
			    "a message: dropped", FIXU_MAX_MSG);
		c->rbuf.len = 0;
		return;
	}
	r = read(c->fd, c->rbuf.p + c->rbuf.len, READ_CHUNK);
	if (r == 0) {
		conn_close(e, c, "peer closed the connection");
		return;
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(e, c, strerror(errno));
		return;
	}
	c->rbuf.len += (size_t)r;
	conn_input(e, c, t);
}

static void
conn_write(struct fixu_eng *e, struct econn *c)
{
	if (fixu_buf_write(&c->wbuf, c->fd) != 0)
		conn_close(e, c, strerror(errno));
}

static void
accept_on(struct fixu_eng *e, struct listener *l, const struct fixu_now *t)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct econn *c;
	char host[64], serv[16];
	int fd, one = 1, i;

	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		fd = accept(l->fd, (struct sockaddr *)&ss, &sl);
		if (fd == -1)
			return;
		(void)set_nonblock(fd);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if ((c = conn_new(e, fd, t->mono)) == NULL) {
			close(fd);
			return;
		}
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
		    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			(void)snprintf(c->peer, sizeof(c->peer), "%s:%s", host,
			    serv);
		else
			(void)snprintf(c->peer, sizeof(c->peer), "?");
	}
}

static void
connect_done(struct fixu_eng *e, struct econn *c, const struct fixu_now *t)
{
	int err = 0;
	socklen_t el = sizeof(err);

	c->connecting = 0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
		err = errno;
	if (err != 0) {
		struct esess *s = c->s;

		event(e, s, "connect", "%s: %s", c->peer, strerror(err));
		c->s = NULL;
		s->c = NULL;
		conn_close(e, c, NULL);
		reconnect_later(s, t);
		return;
	}
	event(e, c->s, "connect", "connected to %s", c->peer);
	refresh(e, c->s);
	(void)fixu_sess_connected(c->s->s, t);
	apply(e, c->s);
}

/* ---- the application's pipes ---------------------------------------------- */

/* ---- the loop -------------------------------------------------------------- */

void
fixu_eng_stop(struct fixu_eng *e, const char *why)
{
	if (e->stop)
		return;
	e->stop = 1;
	(void)snprintf(e->stopwhy, sizeof(e->stopwhy), "%s",
	    why != NULL ? why : "shutting down");
}

/* Log every session out once a stop was asked for. */
static void
stop_sessions(struct fixu_eng *e, const struct fixu_now *t)
{
	struct econn *c;
	size_t i;

	for (i = 0; i < e->nsess; i++) {
		struct esess *s = e->sess[i];

		if (s->stopping)
			continue;
		s->stopping = 1;
		if (s->c == NULL)
			continue;
		if (e->fatal || s->c->connecting ||
		    fixu_sess_state(s->s) != FIXU_SS_ACTIVE) {
			conn_close(e, s->c, e->fatal ? "store failure" :
			    e->stopwhy);
			continue;
		}
		(void)fixu_sess_logout(s->s, t, e->stopwhy);
		apply(e, s);
	}
	for (c = e->conns; c != NULL; c = c->next)
		if (c->s == NULL && !c->dead)
			conn_close(e, c, NULL);
}

static int
all_down(const struct fixu_eng *e)
{
	const struct econn *c;
	size_t i;

	for (c = e->conns; c != NULL; c = c->next)
		if (!c->dead)
			return 0;
	if (e->fatal)
		return 1;
	if (e->shared.wbuf.len > 0 && e->shared.out >= 0)
		return 0;
	for (i = 0; i < e->napps; i++)
		if (e->apps[i]->wbuf.len > 0 && e->apps[i]->out >= 0)
			return 0;
	return 1;
}

/*
 * The end of a turn: commit what the turn stored, then (and only then)
 * release the bytes and lines that waited for it.
 */
static void
end_turn(struct fixu_eng *e)
{
	struct fixu_diag d;
	struct econn *c;
	size_t i;

	if (fixu_store_pending(e->o.store) > 0 &&
	    fixu_store_commit(e->o.store, &d) != 0) {
		fatal(e, &d);
		return;
	}
	if (e->fatal)
		return;
	for (c = e->conns; c != NULL; c = c->next) {
		if (c->dead)
			continue;
		if (c->pend.len > 0) {
			if (fixu_buf_append(&c->wbuf, c->pend.p, c->pend.len)) {
				conn_close(e, c, "out of memory");
				continue;
			}
			fixu_buf_reset(&c->pend);
		}
		if (c->wbuf.len > 0 && !c->connecting)
			conn_write(e, c);
		if (!c->dead && c->close_after && c->wbuf.len == 0)
			conn_close(e, c, NULL);
	}
	for (i = 0; i <= e->napps; i++) {
		struct apppipe *a = i < e->napps ? e->apps[i] : &e->shared;

		if (a->pend.len > 0) {
			if (a->out >= 0 && fixu_buf_append(&a->wbuf, a->pend.p,
			    a->pend.len) != 0) {
				fixu_diag_set(&d, FIXU_ENOMEM, SIZE_MAX, 0,
				    FIXU_REJ_NONE, "out of memory");
				fatal(e, &d);
				return;
			}
			fixu_buf_reset(&a->pend);
		}
		if (a->wbuf.len > 0)
			app_write(e, a);
	}
	fixu_store_maintain(e->o.store);
}

int
fixu_eng_app_done(const struct fixu_eng *e)
{
	size_t i;

	if (e->shared.in >= 0 && !e->shared.eof)
		return 0;
	for (i = 0; i < e->napps; i++)
		if (e->apps[i]->in >= 0 && !e->apps[i]->eof)
			return 0;
	return 1;
}

static void
reap(struct fixu_eng *e)
{
	struct econn **pp = &e->conns, *c;

	while ((c = *pp) != NULL) {
		if (c->dead) {
			*pp = c->next;
			conn_free(c);
		} else
			pp = &c->next;
	}
}

static int
pfd_add(struct fixu_eng *e, size_t *n, int fd, short ev)
{
	struct pollfd *np;

	if (*n == e->pfdcap) {
		size_t cap = e->pfdcap ? e->pfdcap * 2 : 64;

		if ((np = realloc(e->pfd, cap * sizeof(*np))) == NULL)
			return -1;
		e->pfd = np;
		e->pfdcap = cap;
	}
	e->pfd[*n].fd = fd;
	e->pfd[*n].events = ev;
	e->pfd[*n].revents = 0;
	(*n)++;
	return 0;
}

int
fixu_eng_run(struct fixu_eng *e, struct fixu_diag *d)
{
	struct fixu_now t;
	struct econn *c;
	int64_t wake, dl, last_hook = 0;
	size_t i, n, k;
	int timeout, stopping = 0, rc;
	int64_t stop_deadline = 0;

	fixu_diag_clear(d);
	for (;;) {
		now_get(&t);
		if (e->hook != NULL && t.mono - last_hook >=
		    (int64_t)e->hook_ms * 1000000) {
			last_hook = t.mono;
			e->hook(e, e->hookarg);
		}
		if (e->stop && !stopping) {
			int lt = 2;

			stopping = 1;
			for (i = 0; i < e->nsess; i++)
				if (e->sess[i]->cfg.sc.logout_timeout > lt)
					lt = e->sess[i]->cfg.sc.logout_timeout;
			stop_deadline = t.mono + (int64_t)(lt + 3) * 1000000000LL;
			stop_sessions(e, &t);
			end_turn(e);
		}
		if (stopping && (all_down(e) || t.mono > stop_deadline))
			break;
		/* Timers, connection attempts, logon waits. */
		wake = t.mono + (int64_t)(e->hook != NULL ? e->hook_ms : 1000) *
		    1000000;
		for (i = 0; i < e->nsess; i++) {
			struct esess *s = e->sess[i];

			if (fixu_sess_deadline(s->s) <= t.mono) {
				(void)fixu_sess_tick(s->s, &t);
				apply(e, s);
			}
			if (s->cfg.sc.initiator && s->c == NULL && !stopping &&
			    t.mono >= s->next_connect) {
				if (fixu_sess_in_schedule(s->s, t.real))
					try_connect(e, s, &t);
				else
					s->next_connect = t.mono + 1000000000LL;
			}
			dl = fixu_sess_deadline(s->s);
			if (dl < wake)
				wake = dl;
			if (s->cfg.sc.initiator && s->c == NULL &&
			    s->next_connect < wake)
				wake = s->next_connect;
		}
		for (c = e->conns; c != NULL; c = c->next) {
			if (c->dead || c->s != NULL)
				continue;
			if (t.mono - c->opened >= e->logon_wait) {
				event(e, NULL, "reject", "%s: no Logon within "
				    "%lld s: disconnected", c->peer,
				    (long long)(e->logon_wait / 1000000000LL));
				conn_close(e, c, NULL);
			} else if (c->opened + e->logon_wait < wake)
				wake = c->opened + e->logon_wait;
		}
		end_turn(e);
		reap(e);
		if (e->fatal)
			break;
		if (stopping && stop_deadline < wake)
			wake = stop_deadline;

		/* Poll. */
		n = 0;
		for (i = 0; i < e->nlis; i++)
			if (pfd_add(e, &n, stopping ? -1 : e->lis[i].fd,
			    POLLIN) != 0)
				goto nomem;
		for (c = e->conns; c != NULL; c = c->next) {
			short ev = 0;

			if (c->connecting || c->wbuf.len > 0)
				ev |= POLLOUT;
			if (!c->connecting && app_backlog(e) < APP_HIGH)
				ev |= POLLIN;
			c->pidx = (long)n;
			if (pfd_add(e, &n, c->fd, ev) != 0)
				goto nomem;
		}
		for (i = 0; i <= e->napps; i++) {
			struct apppipe *a = i < e->napps ? e->apps[i] :
			    &e->shared;

			if (pfd_add(e, &n, a->in >= 0 && !a->eof && !stopping ?
			    a->in : -1, POLLIN) != 0)
				goto nomem;
			if (pfd_add(e, &n, a->out >= 0 && a->wbuf.len > 0 ?
			    a->out : -1, POLLOUT) != 0)
				goto nomem;
		}
		dl = wake - t.mono;
		timeout = dl <= 0 ? 0 : (int)((dl + 999999) / 1000000);
		rc = poll(e->pfd, n, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return fixu_diag_set(d, FIXU_EIO, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "poll: %s", strerror(errno));
		}
		now_get(&t);
		for (i = 0; i < e->nlis; i++)
			if (e->pfd[i].revents & POLLIN)
				accept_on(e, &e->lis[i], &t);
		for (c = e->conns; c != NULL; c = c->next) {
			short rev;

			if (c->pidx < 0 || c->dead)
				continue;
			rev = e->pfd[c->pidx].revents;
			c->pidx = -1;
			if (rev == 0)
				continue;
			if (c->connecting) {
				connect_done(e, c, &t);
				continue;
			}
			if (rev & POLLOUT)
				conn_write(e, c);
			if (!c->dead && (rev & (POLLIN | POLLHUP | POLLERR)))
				conn_read(e, c, &t);
		}
		i = n - 2 * (e->napps + 1);
		for (k = 0; k <= e->napps; k++, i += 2) {
			struct apppipe *a = k < e->napps ? e->apps[k] :
			    &e->shared;

			if (e->pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				app_read(e, a, &t);
			if (e->pfd[i + 1].revents & (POLLOUT | POLLERR))
				app_write(e, a);
		}
		end_turn(e);
		reap(e);
		if (e->fatal)
			break;
	}
	/* Whatever the end, say in the store that nobody is online. */
	for (i = 0; i < e->nsess; i++)
		if (e->sess[i]->c != NULL && !e->fatal)
			conn_close(e, e->sess[i]->c, "shutting down");
	if (!e->fatal)
		end_turn(e);
	reap(e);
	if (e->fatal) {
		if (d != NULL)
			*d = e->fataldiag;
		return e->fatal;
	}
	return 0;
nomem:
	return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "out of memory");
}
