/*
 * exstore.c -- fixsim exchange -S: answer what the store holds unanswered
 * (exstore.h).
 *
 * The sessions are listed first and walked afterwards, so that no walk of
 * the store runs inside another.  Each pass reads one direction of one
 * epoch through the index on (session, epoch, dir, seq); the epoch is the
 * one the session had when it was listed, so that a Logon that resets
 * the numbers meanwhile does not make the two passes read different
 * epochs.
 */
#include <stdlib.h>
#include <string.h>

#include "exstore.h"

struct xs_sess {
	int64_t		 id;
	uint32_t	 epoch;
	const char	*prefix;	/* from hooks->session() */
};

struct xs {
	const struct exstore_hooks *h;
	struct util_set	*done;
	struct util_set	 refs;		/* session id || RefSeqNum answered */
	struct xs_sess	*ss;
	size_t		 nss, capss;
	const char	*only;
	struct xs_sess	*cur;
	struct fixu_msg	 m;
	uint64_t	 oid, exec;
	int		 oom;
};

static int
add_sess(struct xs *x, const struct fixu_sess *s)
{
	struct xs_sess *n;
	char id[256];
	size_t k;

	if (x->nss == x->capss) {
		x->capss = x->capss ? x->capss * 2 : 16;
		if ((n = realloc(x->ss, x->capss * sizeof(*n))) == NULL)
			return -1;
		x->ss = n;
	}
	n = &x->ss[x->nss++];
	n->id = s->id;
	n->epoch = s->epoch;
	if (x->only != NULL)
		n->prefix = x->h->session(x->h->arg, NULL, 0);
	else {
		fixu_sessid_fmt(&s->sid, id, sizeof(id) - 1);
		k = strlen(id);
		id[k++] = '\t';
		n->prefix = x->h->session(x->h->arg, id, k);
	}
	return 0;
}

static int
each_sess(const struct fixu_sess *s, void *arg)
{
	struct xs *x = arg;

	if (add_sess(x, s) != 0) {
		x->oom = 1;
		return 1;
	}
	return 0;
}

/* The number after an optional letter pfx, as in "O12" or "12"; 0. */
static uint64_t
idnum(struct fixu_str v, char pfx)
{
	uint64_t n;

	if (v.n > 0 && v.p[0] == pfx) {
		v.p++;
		v.n--;
	}
	return v.n > 0 && fixu_parse_u64(v.p, v.n, &n) == 0 ? n : 0;
}

static int
done_add(struct xs *x, struct fixu_str id)
{
	const char *s = x->cur->prefix;

	if (id.n > 0 && util_set_add(x->done, &s, sizeof(s), id.p, id.n) < 0)
		x->oom = 1;
	return x->oom;
}

static int
ref_add(struct xs *x, struct fixu_str ref)
{
	uint64_t seq;

	if (ref.n == 0 || fixu_parse_u64(ref.p, ref.n, &seq) != 0)
		return 0;
	if (util_set_add(&x->refs, &x->cur->id, sizeof(x->cur->id), &seq,
	    sizeof(seq)) < 0)
		x->oom = 1;
	return x->oom;
}

/* Pass 1: what was answered. */
static int
each_out(const struct fixu_rec *r, void *arg)
{
	struct xs *x = arg;
	struct fixu_str t;
	uint64_t n;

	if (fixu_msg_parse(&x->m, r->raw.p, r->raw.n, FIXU_SOH, NULL,
	    FIXU_PARSE_NOCHECK, NULL) != 0)
		return 0;
	t = fixu_msg_get(&x->m, 35);
	if (fixu_str_eq(t, "3") || fixu_str_eq(t, "j"))
		return ref_add(x, fixu_msg_get(&x->m, 45));
	if ((n = idnum(fixu_msg_get(&x->m, 37), 'O')) > x->oid)
		x->oid = n;
	if (fixu_str_eq(t, "8") &&
	    (n = idnum(fixu_msg_get(&x->m, 17), 'E')) > x->exec)
		x->exec = n;
	return done_add(x, fixu_msg_get(&x->m, 11));
}

/* Pass 2: what was not. */
static int
each_in(const struct fixu_rec *r, void *arg)
{
	struct xs *x = arg;
	const char *s = x->cur->prefix;
	struct fixu_str id;

	if (util_set_has(&x->refs, &x->cur->id, sizeof(x->cur->id), &r->seq,
	    sizeof(r->seq)))
		return 0;
	if (fixu_msg_parse(&x->m, r->raw.p, r->raw.n, FIXU_SOH, NULL,
	    FIXU_PARSE_NOCHECK, NULL) != 0)
		return 0;
	id = fixu_msg_get(&x->m, 11);
	/* Without a ClOrdID the answer cannot be found: a Reject, if
	   anything, and that one was found above. */
	if (id.n == 0 || util_set_has(x->done, &s, sizeof(s), id.p, id.n))
		return 0;
	x->h->answer(x->h->arg, s, r->raw.p, r->raw.n);
	return done_add(x, id);
}

static int
pass(struct fixu_store *st, struct xs *x, int dir, const char *types,
    int (*fn)(const struct fixu_rec *, void *), struct fixu_diag *d)
{
	struct fixu_query q;
	size_t i;
	int rc;

	for (i = 0; i < x->nss; i++) {
		memset(&q, 0, sizeof(q));
		x->cur = &x->ss[i];
		q.session = x->cur->id;
		q.epoch = x->cur->epoch;
		q.dir = dir;
		q.msgtype = types;
		rc = fixu_store_range(st, &q, fn, x, d);
		if (x->oom)
			return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "out of memory");
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
exstore_recover(const char *path, const char *only, struct util_set *done,
    const struct exstore_hooks *h, struct fixu_diag *d)
{
	struct fixu_store_opts so;
	struct fixu_store *st = NULL;
	struct fixu_sessid sid;
	struct fixu_sess s;
	struct xs x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.h = h;
	x.done = done;
	x.only = only;
	util_set_init(&x.refs);
	fixu_msg_init(&x.m);
	memset(&so, 0, sizeof(so));
	so.path = path;
	so.readonly = 1;
	if ((rc = fixu_store_open(&st, &so, d)) != 0)
		goto out;
	if (only != NULL) {
		if ((rc = fixu_sessid_parse(&sid, only, strlen(only), d)) != 0)
			goto out;
		rc = fixu_store_session(st, &sid, 0, &s, d);
		if (rc == FIXU_ENOTFOUND)
			rc = 0;		/* nothing stored yet */
		else if (rc == 0 && add_sess(&x, &s) != 0)
			rc = fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "out of memory");
	} else {
		rc = fixu_store_sessions(st, each_sess, &x, d);
		if (x.oom)
			rc = fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "out of memory");
	}
	if (rc != 0 || (rc = pass(st, &x, FIXU_DIR_OUT, "8,9,3,j", each_out,
	    d)) != 0)
		goto out;
	h->ids(h->arg, x.oid, x.exec);
	rc = pass(st, &x, FIXU_DIR_IN, "D,F,G", each_in, d);
out:
	fixu_store_close(st);
	fixu_msg_fini(&x.m);
	util_set_fini(&x.refs);
	free(x.ss);
	return rc;
}
