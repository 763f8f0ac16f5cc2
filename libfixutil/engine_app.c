/*
 * engine_app.c -- the application side of the engine: lines in from the
 * application's pipes (wire or readable form, with a session prefix when
 * one pipe serves several sessions), committed deliveries out.
 *
 * A delivery waits in the pipe's pend buffer until the turn's commit;
 * only then does engine.c move it to wbuf, which app_write drains as the
 * application reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "fixlimits.h"

struct apppipe *
app_new(struct fixu_eng *e, int in, int out)
{
	struct apppipe *a, **na;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	na = realloc(e->apps, (e->napps + 1) * sizeof(*na));
	if (na == NULL) {
		free(a);
		return NULL;
	}
	e->apps = na;
	a->in = in;
	a->out = out;
	fixu_buf_init(&a->rbuf, FIXU_MAX_LINE);
	fixu_buf_init(&a->pend, SIZE_MAX);
	fixu_buf_init(&a->wbuf, SIZE_MAX);
	if (in >= 0)
		(void)set_nonblock(in);
	if (out >= 0)
		(void)set_nonblock(out);
	e->apps[e->napps++] = a;
	return a;
}

void
app_fini(struct apppipe *a)
{
	fixu_buf_fini(&a->rbuf);
	fixu_buf_fini(&a->pend);
	fixu_buf_fini(&a->wbuf);
}

/* Queue an inbound application message for the application. */
void
deliver(struct fixu_eng *e, struct esess *s, struct fixu_str m)
{
	struct apppipe *a = s->app;
	int rc = 0;

	if (a->out < 0)
		return;
	if (a->prefix) {
		rc |= fixu_buf_append(&a->pend, s->id, strlen(s->id));
		rc |= fixu_buf_append(&a->pend, "\t", 1);
	}
	rc |= fixu_buf_append(&a->pend, m.p, m.n);
	rc |= fixu_buf_append(&a->pend, "\n", 1);
	if (rc != 0) {
		struct fixu_diag d;

		fixu_diag_set(&d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
		    "out of memory queueing a delivery");
		fatal(e, &d);
	}
}

static struct esess *
app_session(struct fixu_eng *e, struct apppipe *a, const char **p, size_t *n)
{
	const char *tab;
	size_t i;

	if (!a->shared) {
		for (i = 0; i < e->nsess; i++)
			if (e->sess[i]->app == a)
				return e->sess[i];
		return NULL;
	}
	tab = memchr(*p, '\t', *n);
	if (tab != NULL && memchr(*p, '=', (size_t)(tab - *p)) == NULL) {
		size_t idn = (size_t)(tab - *p);

		for (i = 0; i < e->nsess; i++)
			if (strlen(e->sess[i]->id) == idn &&
			    memcmp(e->sess[i]->id, *p, idn) == 0) {
				*n -= idn + 1;
				*p = tab + 1;
				return e->sess[i];
			}
		return NULL;
	}
	return e->nsess == 1 ? e->sess[0] : NULL;
}

static void
app_line(struct fixu_eng *e, struct apppipe *a, const char *p, size_t n,
    const struct fixu_now *t)
{
	struct esess *s;
	struct fixu_diag d;
	struct fixu_str w;
	int rc;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n == 0 || p[0] == '#')
		return;
	if ((s = app_session(e, a, &p, &n)) == NULL) {
		event(e, NULL, "app", "application line names no running "
		    "session%s: dropped", e->nsess > 1 ?
		    " (with several sessions a line starts with the session "
		    "id and a tab)" : "");
		return;
	}
	if (memchr(p, FIXU_SOH, n) != NULL) {
		w.p = p;
		w.n = n;
	} else {
		e->enc.begin = s->cfg.sc.sid.begin;
		e->enc.applverid = s->cfg.sc.default_applverid[0] ?
		    s->cfg.sc.default_applverid : NULL;
		rc = fixu_text_encode(&e->enc, p, n, &w, &d);
		if (rc != 0) {
			char buf[256];

			event(e, s, "app", "application line, byte %zu: %s: "
			    "dropped", d.off, fixu_diag_fmt(&d, buf,
			    sizeof(buf)));
			return;
		}
	}
	rc = fixu_sess_send(s->s, t, w.p, w.n, &d);
	if (rc != 0) {
		char buf[256];

		event(e, s, "app", "application message refused: %s",
		    fixu_diag_fmt(&d, buf, sizeof(buf)));
	}
	apply(e, s);
}

void
app_read(struct fixu_eng *e, struct apppipe *a, const struct fixu_now *t)
{
	ssize_t r;
	size_t off = 0;
	char *nl;

	if (fixu_buf_reserve(&a->rbuf, 65536) != 0) {
		event(e, NULL, "app", "application line longer than %u bytes: "
		    "dropped", FIXU_MAX_LINE);
		a->rbuf.len = 0;
		a->skipping = 1;
	}
	r = read(a->in, a->rbuf.p + a->rbuf.len, 65536);
	if (r == 0) {
		a->eof = 1;
		if (a->rbuf.len > 0 && !a->skipping)
			app_line(e, a, a->rbuf.p, a->rbuf.len, t);
		a->rbuf.len = 0;
		return;
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			event(e, NULL, "app", "reading the application: %s",
			    strerror(errno));
			a->eof = 1;
		}
		return;
	}
	a->rbuf.len += (size_t)r;
	if (a->skipping) {
		/* The rest of a line too long to keep: up to its newline. */
		if ((nl = memchr(a->rbuf.p, '\n', a->rbuf.len)) == NULL) {
			a->rbuf.len = 0;
			return;
		}
		off = (size_t)(nl - a->rbuf.p) + 1;
		a->skipping = 0;
	}
	while ((nl = memchr(a->rbuf.p + off, '\n', a->rbuf.len - off)) != NULL) {
		app_line(e, a, a->rbuf.p + off, (size_t)(nl - (a->rbuf.p + off)),
		    t);
		off = (size_t)(nl - a->rbuf.p) + 1;
	}
	if (off > 0) {
		memmove(a->rbuf.p, a->rbuf.p + off, a->rbuf.len - off);
		a->rbuf.len -= off;
	}
}

void
app_write(struct fixu_eng *e, struct apppipe *a)
{
	if (a->out < 0 || fixu_buf_write(&a->wbuf, a->out) == 0)
		return;
	event(e, NULL, "app", "writing to the application: %s; inbound "
	    "messages stay in the store", strerror(errno));
	a->out = -1;
	a->wbuf.len = 0;
}

size_t
app_backlog(const struct fixu_eng *e)
{
	size_t i, n = e->shared.wbuf.len;

	for (i = 0; i < e->napps; i++)
		n += e->apps[i]->wbuf.len;
	return n;
}
