/*
 * expect.c -- what a fixsim script receives, and expect (expect.h).
 *
 * The queue: bytes read from the connection are framed with fixu_frame()
 * into items; bytes that are no message become an item too, marked bad
 * with the reason, so that an expect fails on them instead of waiting.
 * Reading is done only while a command waits (expect, logon, logout,
 * wait): that is when fixsim answers a TestRequest and sends Heartbeats,
 * when auto heartbeat is on.
 *
 * Expectations: a condition is compiled once, when its line runs (and
 * checked before the run, when the line holds no variable), and met
 * against the parsed message; a field that repeats meets it when one of
 * its occurrences does.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixutil.h"
#include "expect.h"
#include "script.h"
#include "util.h"

#define NOTHING_MS	1000	/* expect nothing */

/* The receive queue. */

void
expect_queue_clear(struct script *s)
{
	fixu_buf_reset(&s->q);
	s->nit = s->head = 0;
}

static struct item *
queue_add(struct script *s, const char *p, size_t n)
{
	struct item *v;

	if (s->head == s->nit)
		expect_queue_clear(s);
	if (s->nit == s->capit) {
		if ((v = realloc(s->it, (s->capit * 2 + 16) *
		    sizeof(*v))) == NULL)
			return NULL;
		s->it = v;
		s->capit = s->capit * 2 + 16;
	}
	s->q.max = FIXU_MAX_LINE;
	if (fixu_buf_append(&s->q, p, n) != 0)
		return NULL;
	v = &s->it[s->nit++];
	memset(v, 0, sizeof(*v));
	v->off = s->q.len - n;
	v->len = n;
	return v;
}

/* A message arrived: queue it; answer it when it is a TestRequest. */
static void
take_msg(struct script *s, const char *p, size_t n)
{
	struct item *it;
	struct fixu_diag d;
	struct fixu_str mt, id;
	char why[200];
	int rc;

	if ((it = queue_add(s, p, n)) == NULL)
		return;
	fixu_diag_clear(&d);
	rc = fixu_msg_parse(&s->m, p, n, FIXU_SOH, NULL, 0, &d);
	if (rc != 0) {
		it->bad = 1;
		(void)util_fmt(it->why, sizeof(it->why), "%s",
		    fixu_diag_fmt(&d, why, sizeof(why)));
		script_trace(s, "<", p, n, 1);
		return;
	}
	mt = fixu_msg_get(&s->m, 35);
	if (mt.n < sizeof(it->type)) {
		memcpy(it->type, mt.p, mt.n);
		it->type[mt.n] = '\0';
	}
	script_trace(s, "<", p, n, 0);
	if (strcmp(it->type, "A") == 0 && s->sent_logon)
		s->logged_on = 1;
	else if (strcmp(it->type, "5") == 0)
		s->logged_on = 0;
	else if (strcmp(it->type, "1") == 0 && s->autohb) {
		id = fixu_msg_get(&s->m, 112);
		fixu_buf_reset(&s->aux);
		fixu_buf_puts(&s->aux, "35=0|112=");
		fixu_text_escape(&s->aux, id.p, id.n, '|');
		(void)script_send(s, s->aux.p, s->aux.len, 1);
	}
}

static void
take_bad(struct script *s, const char *p, size_t n, const char *why)
{
	struct item *it;

	if ((it = queue_add(s, p, n)) == NULL)
		return;
	it->bad = 1;
	(void)util_fmt(it->why, sizeof(it->why), "%s", why);
	script_trace(s, "<", p, n, 1);
}

/* Cut what the connection received into queued items. */
static void
ingest(struct script *s, int eof)
{
	struct raw_conn *c = &s->c;
	struct fixu_frame fr;
	struct fixu_diag d;
	char why[200];
	int rc;

	while (c->in.len > 0) {
		fixu_diag_clear(&d);
		rc = fixu_frame(c->in.p, c->in.len, eof ? FIXU_FRAME_EOF : 0,
		    &fr, &d);
		if (rc == 0) {
			if (fr.start > 0)
				take_bad(s, c->in.p, fr.start,
				    "bytes that are not a message");
			take_msg(s, c->in.p + fr.start, fr.len);
			fixu_buf_consume(&c->in, fr.start + fr.len);
		} else if (rc == FIXU_EAGAIN) {
			if (!eof)
				return;
			take_bad(s, c->in.p, c->in.len,
			    "bytes that are not a message, then a close");
			fixu_buf_reset(&c->in);
		} else {
			take_bad(s, c->in.p, fr.skip > 0 ? fr.skip : c->in.len,
			    fixu_diag_fmt(&d, why, sizeof(why)));
			fixu_buf_consume(&c->in, fr.skip > 0 ? fr.skip :
			    c->in.len);
		}
	}
}

/*
 * Read until something new is queued (NX_MSG), the connection closes, or
 * until (ms).  Heartbeats go out on time meanwhile.
 */
int
expect_pump(struct script *s, int64_t until)
{
	size_t before = s->nit - s->head;
	int64_t due, now;
	int r;

	for (;;) {
		if (s->c.fd == -1)
			return NX_CLOSED;
		now = raw_now_ms();
		if (s->autohb && s->logged_on && s->hbi > 0) {
			due = s->last_sent + (int64_t)s->hbi * 1000;
			if (now >= due) {
				(void)script_send(s, "35=0", 4, 1);
				continue;
			}
		} else
			due = INT64_MAX;
		r = raw_fill(&s->c, due < until ? due : until);
		if (r == RAW_DATA) {
			ingest(s, 0);
			if (s->nit - s->head > before)
				return NX_MSG;
			continue;
		}
		if (r == RAW_EOF) {
			ingest(s, 1);
			raw_close(&s->c);
			s->peer_closed = 1;
			s->logged_on = 0;
			return s->nit - s->head > before ? NX_MSG : NX_CLOSED;
		}
		if (r == RAW_ERROR) {
			script_fail(s, "read: %s", strerror(errno));
			return NX_ERROR;
		}
		if (raw_now_ms() >= until)
			return NX_TIMEOUT;
	}
}

static int
is_hb(const struct item *it)
{
	return !it->bad && (strcmp(it->type, "0") == 0 ||
	    strcmp(it->type, "1") == 0);
}

/*
 * The next queued item, reading until until (ms) for one; Heartbeats and
 * TestRequests are passed over when skiphb (and auto heartbeat is on).
 */
int
expect_next(struct script *s, int64_t until, int skiphb, struct item **out)
{
	int r;

	for (;;) {
		while (s->head < s->nit) {
			*out = &s->it[s->head];
			if (!(skiphb && s->autohb && is_hb(*out)))
				return NX_MSG;
			s->head++;
		}
		if ((r = expect_pump(s, until)) != NX_MSG)
			return r;
	}
}

/* Expectations. */

void
expect_conds_free(struct cond *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].hasre)
			regfree(&v[i].re);
		free(v[i].val);
	}
	free(v);
}

/* One condition, p[0..n), blanks trimmed. */
static int
cond_parse(struct script *s, const char *p, size_t n, struct cond *c)
{
	size_t k = 0, vs;
	int rc;

	memset(c, 0, sizeof(*c));
	c->op = C_HAS;
	if (n > 0 && p[0] == '!') {
		c->op = C_ABSENT;
		p++;
		n--;
	}
	while (k < n && (isalnum((unsigned char)p[k]) || p[k] == '_'))
		k++;
	if (k == 0) {
		script_fail(s, "expect: bad condition '%.*s'",
		    (int)(n > 40 ? 40 : n), p);
		return ERROR;
	}
	if ((rc = lang_tag(s, p, k, &c->tag)) != OK)
		return rc;
	vs = k;
	if (k == n)
		;
	else if (c->op == C_ABSENT)
		goto bad;
	else if (n - k >= 2 && memcmp(p + k, "=>", 2) == 0) {
		c->op = C_CAP;
		vs = k + 2;
	} else if (n - k >= 2 && memcmp(p + k, "~=", 2) == 0) {
		c->op = C_RE;
		vs = k + 2;
	} else if (n - k >= 2 && memcmp(p + k, "!=", 2) == 0) {
		c->op = C_NE;
		vs = k + 2;
	} else if (p[k] == '=') {
		c->op = C_EQ;
		vs = k + 1;
	} else
		goto bad;
	switch (c->op) {
	case C_CAP:
		if (!lang_is_name(p + vs, n - vs) ||
		    lang_is_builtin(p + vs, n - vs)) {
			script_fail(s, "expect: '%.*s' cannot be a variable "
			    "name", (int)(n - vs > 40 ? 40 : n - vs), p + vs);
			return ERROR;
		}
		fixu_buf_reset(&s->val);
		fixu_buf_append(&s->val, p + vs, n - vs);
		break;
	case C_RE:
		/* Only "\|" is ours; every other backslash is the regex's. */
		fixu_buf_reset(&s->val);
		for (k = vs; k < n; k++)
			if (!(p[k] == '\\' && k + 1 < n && p[k + 1] == '|'))
				fixu_buf_putc(&s->val, p[k]);
		if (def_regcomp(&c->re, s->val.p, s->val.len, 1) != 0) {
			script_fail(s, "expect: bad regular expression '%.*s'",
			    (int)(n - vs > 60 ? 60 : n - vs), p + vs);
			return ERROR;
		}
		c->hasre = 1;
		break;
	case C_EQ:
	case C_NE:
		if ((rc = lang_unescape(s, p + vs, n - vs, 0, &s->val)) != OK)
			return rc;
		lang_enum_value(s, c->tag, &s->val);
		break;
	default:
		fixu_buf_reset(&s->val);
		break;
	}
	if ((c->val = malloc(s->val.len + 1)) == NULL)
		return ERROR;
	memcpy(c->val, s->val.p, s->val.len);
	c->val[s->val.len] = '\0';
	c->n = s->val.len;
	return OK;
bad:
	script_fail(s, "expect: bad condition '%.*s' (TAG=VALUE, TAG!=VALUE, "
	    "TAG~=REGEX, TAG=>NAME, TAG or !TAG)", (int)(n > 40 ? 40 : n), p);
	return ERROR;
}

/* The conditions of p[0..n), split on '|' that no '\' escapes. */
static int
conds_parse(struct script *s, const char *p, size_t n, struct cond **out,
    size_t *nout)
{
	struct cond *v = NULL, *nv;
	size_t i = 0, fs, fe, nc = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	while (i < n) {
		fs = i;
		while (i < n && p[i] != '|')
			i += p[i] == '\\' && i + 1 < n ? 2 : 1;
		fe = i < n ? i : n;
		i++;
		while (fs < fe && util_is_blank(p[fs]))
			fs++;
		fe = fs + lang_rtrim(p + fs, fe - fs);
		if (fs == fe)
			continue;
		if ((nv = realloc(v, (nc + 1) * sizeof(*v))) == NULL) {
			expect_conds_free(v, nc);
			return ERROR;
		}
		v = nv;
		if ((rc = cond_parse(s, p + fs, fe - fs, &v[nc])) != OK) {
			expect_conds_free(v, nc);
			return rc;
		}
		nc++;
	}
	if (nc == 0) {
		free(v);
		script_fail(s, "expect: no conditions");
		return ERROR;
	}
	*out = v;
	*nout = nc;
	return OK;
}

/*
 * Does s->m meet c?  When not, why says so ("OrdStatus (39) is 0, not
 * 2").
 */
static int
cond_met(struct script *s, const struct cond *c, char *why, size_t wsz)
{
	const struct fixu_field *f;
	char name[96];
	long i, first;
	int eq;

	first = fixu_msg_find(&s->m, c->tag, 0);
	lang_tag_name(s, c->tag, name, sizeof(name));
	if (c->op == C_ABSENT) {
		if (first < 0)
			return 1;
		f = &s->m.f[first];
		(void)util_fmt(why, wsz, "%s is there (%.*s), expected none",
		    name, (int)(f->len > 60 ? 60 : f->len), f->val);
		return 0;
	}
	if (first < 0) {
		if (c->op == C_NE)
			return 1;
		if (c->op == C_EQ || c->op == C_RE)
			(void)util_fmt(why, wsz, "%s is missing, expected "
			    "%s%.*s", name, c->op == C_RE ? "a match of " : "",
			    (int)(c->n > 60 ? 60 : c->n), c->val);
		else
			(void)util_fmt(why, wsz, "%s is missing", name);
		return 0;
	}
	if (c->op == C_HAS || c->op == C_CAP)
		return 1;
	for (i = first; i >= 0; i = fixu_msg_find(&s->m, c->tag,
	    (uint32_t)i + 1)) {
		f = &s->m.f[i];
		if (c->op == C_RE)
			eq = util_regmatch(&c->re, f->val, f->len, &s->tmp);
		else
			eq = f->len == c->n && memcmp(f->val, c->val, c->n) == 0;
		if (eq)
			return c->op != C_NE;
	}
	if (c->op == C_NE)
		return 1;
	f = &s->m.f[first];
	(void)util_fmt(why, wsz, "%s is %.*s, %s %.*s", name,
	    (int)(f->len > 60 ? 60 : f->len), f->val,
	    c->op == C_RE ? "does not match" : "expected",
	    (int)(c->n > 60 ? 60 : c->n), c->val);
	return 0;
}

/* Does the item meet every condition?  why: the first that fails. */
int
expect_item_met(struct script *s, const struct item *it,
    const struct cond *v, size_t nc, char *why, size_t wsz)
{
	struct fixu_diag d;
	size_t i;

	if (it->bad) {
		(void)util_fmt(why, wsz, "received %s", it->why);
		return 0;
	}
	if (fixu_msg_parse(&s->m, s->q.p + it->off, it->len, FIXU_SOH, NULL,
	    0, &d) != 0) {
		(void)util_fmt(why, wsz, "received a bad message");
		return 0;
	}
	for (i = 0; i < nc; i++)
		if (!cond_met(s, &v[i], why, wsz))
			return 0;
	return 1;
}

static int
capture(struct script *s, const struct cond *v, size_t nc)
{
	struct fixu_str val;
	size_t i;

	for (i = 0; i < nc; i++) {
		if (v[i].op != C_CAP)
			continue;
		val = fixu_msg_get(&s->m, v[i].tag);
		if (lang_var_set(&s->vars, &s->nvars, v[i].val, v[i].n, val.p,
		    val.n) != 0) {
			script_fail(s, "out of memory");
			return ERROR;
		}
	}
	return OK;
}

void
expect_report_timeout(struct script *s, int r, const char *what, int ms)
{
	if (r == NX_CLOSED)
		script_fail(s, "%s: the connection is closed", what);
	else if (r == NX_TIMEOUT)
		script_fail(s, "%s: nothing within %g s", what, ms / 1000.0);
}

static int
expect_disconnect(struct script *s, int any, int ms)
{
	int64_t until = raw_now_ms() + ms;
	struct item *it;
	int r;

	for (;;) {
		r = expect_next(s, until, 1, &it);
		if (r == NX_CLOSED) {
			script_trace(s, "<", "(disconnect)", 12, 1);
			expect_queue_clear(s);
			s->checks++;
			return OK;
		}
		if (r == NX_TIMEOUT) {
			script_fail(s, "expect disconnect: still connected "
			    "after %g s", ms / 1000.0);
			return FAIL;
		}
		if (r == NX_ERROR)
			return FAIL;
		if (!any) {
			script_fail(s, "expect disconnect: received a message "
			    "first");
			script_fail_show(s, "received", s->q.p + it->off,
			    it->len);
			return FAIL;
		}
		s->head++;
	}
}

static int
expect_nothing(struct script *s, int ms)
{
	struct item *it;
	int r;

	r = expect_next(s, raw_now_ms() + ms, 1, &it);
	if (r == NX_TIMEOUT) {
		s->checks++;
		return OK;
	}
	if (r == NX_MSG) {
		script_fail(s, "expect nothing: received %s",
		    it->bad ? it->why : "a message");
		script_fail_show(s, "received", s->q.p + it->off, it->len);
		s->head++;
	} else if (r == NX_CLOSED)
		script_fail(s, "expect nothing: the connection closed");
	return FAIL;
}

/* Wait for a message meeting v; any: pass over those that do not. */
static int
expect_conds(struct script *s, const char *text, const struct cond *v,
    size_t nc, int any, int ms)
{
	int64_t until = raw_now_ms() + ms;
	struct fixu_buf last = { 0 };
	struct item *it;
	char why[400];
	int r, seen = 0;

	for (;;) {
		r = expect_next(s, until, 0, &it);
		if (r != NX_MSG)
			break;
		if (expect_item_met(s, it, v, nc, why, sizeof(why))) {
			s->head++;
			s->checks++;
			fixu_buf_fini(&last);
			return capture(s, v, nc);
		}
		/* Heartbeats are fixsim's to handle, not the script's. */
		if (s->autohb && is_hb(it)) {
			s->head++;
			continue;
		}
		if (!any) {
			script_fail(s, "expect %s: %s", text, why);
			script_fail_show(s, "received", s->q.p + it->off,
			    it->len);
			s->head++;
			fixu_buf_fini(&last);
			return FAIL;
		}
		/* Kept aside: the queue is reused once it is empty. */
		fixu_buf_reset(&last);
		fixu_buf_append(&last, s->q.p + it->off, it->len);
		seen++;
		s->head++;
	}
	if (r == NX_ERROR) {
		fixu_buf_fini(&last);
		return FAIL;
	}
	if (r == NX_CLOSED)
		script_fail(s, "expect %s: the connection is closed%s", text,
		    seen ? ", and no message matched" : "");
	else
		script_fail(s, "expect %s: %s within %g s", text,
		    seen ? "no message matched" : "no message", ms / 1000.0);
	if (seen)
		script_fail_show(s, "last", last.p, last.len);
	fixu_buf_fini(&last);
	return FAIL;
}

/* The arguments of expect; p is changed (the text is cut off). */
int
expect_parse(struct script *s, char *p, size_t n, struct expectation *e)
{
	const char *w;
	size_t i = 0, wn;
	int rc;

	memset(e, 0, sizeof(*e));
	e->ms = s->timeout_ms;
	if (!lang_next_word(p, n, &i, &w, &wn)) {
		script_fail(s, "expect: what?");
		return ERROR;
	}
	if (lang_word_eq(w, wn, "any")) {
		e->any = 1;
		if (!lang_next_word(p, n, &i, &w, &wn)) {
			script_fail(s, "expect any: what?");
			return ERROR;
		}
	}
	if (lang_word_eq(w, wn, "disconnect") ||
	    lang_word_eq(w, wn, "nothing")) {
		e->kind = w[0] == 'n' ? E_NOTHING : E_DISCONNECT;
		if (e->kind == E_NOTHING && e->any) {
			script_fail(s, "expect any nothing: say expect "
			    "nothing");
			return ERROR;
		}
		if (e->kind == E_NOTHING)
			e->ms = NOTHING_MS;
		n -= i;
		p += i;
		if ((rc = lang_within(s, p, &n, 1, &e->ms)) != OK)
			return rc;
		n = lang_rtrim(p, n);
		while (n > 0 && util_is_blank(p[0])) {
			p++;
			n--;
		}
		if (n > 0) {
			script_fail(s, "expect %s: unexpected '%.*s'",
			    e->kind == E_NOTHING ? "nothing" : "disconnect",
			    (int)(n > 20 ? 20 : n), p);
			return ERROR;
		}
		return OK;
	}
	e->kind = E_CONDS;
	i = (size_t)(w - p);
	n -= i;
	p += i;
	if ((rc = lang_within(s, p, &n, 0, &e->ms)) != OK)
		return rc;
	n = lang_rtrim(p, n);
	if ((rc = conds_parse(s, p, n, &e->v, &e->nc)) != OK)
		return rc;
	p[n] = '\0';
	e->text = p;
	return OK;
}

int
expect_run(struct script *s, char *p, size_t n)
{
	struct expectation e;
	int rc;

	if ((rc = expect_parse(s, p, n, &e)) != OK)
		return rc;
	if (!s->connected) {
		expect_conds_free(e.v, e.nc);
		script_fail(s, "expect: not connected (connect first)");
		return ERROR;
	}
	if (e.kind == E_NOTHING)
		return expect_nothing(s, e.ms);
	if (e.kind == E_DISCONNECT)
		return expect_disconnect(s, e.any, e.ms);
	rc = expect_conds(s, e.text, e.v, e.nc, e.any, e.ms);
	expect_conds_free(e.v, e.nc);
	return rc;
}
