/*
 * scriptcmd.c -- fixsim script's interpreter: a file is read whole,
 * checked (every command known, and the arguments of expect and wait
 * where they hold no variable), then run a line at a time, variables
 * replaced just before each line runs.  The commands other than expect
 * (expect.c) are here, with the sending of messages: the header filled,
 * the given fields kept where the line gives them.
 *
 * Ownership: a file's text is owned by script_run_file() while it runs;
 * the arguments a command gets are s->args, valid until the next
 * substitution.  Every command returns OK, FAIL or ERROR.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixutil.h"
#include "def.h"
#include "expect.h"
#include "script.h"
#include "util.h"

#define MAX_SCRIPT	(16u << 20)
#define MAX_DEPTH	8	/* include nesting */
#define CONNECT_MS	2000	/* retrying refused connections */
#define SEND_MS		10000	/* a peer that reads nothing */

/* Sending. */

/*
 * w (a whole message from the encoder) into s->wire with BodyLength v9
 * and CheckSum v10 where they are given.
 */
static int
patch_wire(struct script *s, struct fixu_str w, const struct fixu_buf *v9,
    const struct fixu_buf *v10)
{
	const char *b9, *body, *end = w.p + w.n;
	struct fixu_buf *o = &s->wire;

	fixu_buf_reset(o);
	if ((b9 = memchr(w.p, FIXU_SOH, w.n)) == NULL ||
	    (body = memchr(b9 + 1, FIXU_SOH, (size_t)(end - b9 - 1))) == NULL ||
	    w.n < 7 || end - 7 < body)
		return -1;
	b9++;
	body++;
	fixu_buf_append(o, w.p, (size_t)(b9 - w.p));
	if (v9 != NULL) {
		fixu_buf_puts(o, "9=");
		fixu_buf_append(o, v9->p, v9->len);
		fixu_buf_putc(o, FIXU_SOH);
	} else
		fixu_buf_append(o, b9, (size_t)(body - b9));
	fixu_buf_append(o, body, (size_t)(end - 7 - body));
	if (v10 != NULL) {
		fixu_buf_puts(o, "10=");
		fixu_buf_append(o, v10->p, v10->len);
	} else
		fixu_buf_printf(o, "10=%03u", fixu_checksum(o->p, o->len,
		    FIXU_SOH));
	return fixu_buf_putc(o, FIXU_SOH);
}

/* Note what a message sent means for the session: Logon, seq, HeartBtInt. */
static void
sent(struct script *s, struct fixu_str w)
{
	struct fixu_diag d;
	struct fixu_str v;
	uint64_t u;

	s->last_sent = raw_now_ms();
	if (fixu_msg_parse(&s->m, w.p, w.n, FIXU_SOH, NULL, 0, &d) != 0)
		return;
	v = fixu_msg_get(&s->m, 34);
	if (v.p != NULL && fixu_parse_u64(v.p, v.n, &u) == 0 && u >= s->seq)
		s->seq = u + 1;
	v = fixu_msg_get(&s->m, 35);
	if (fixu_str_eq(v, "A")) {
		s->sent_logon = 1;
		v = fixu_msg_get(&s->m, 108);
		if (v.p != NULL && fixu_parse_u64(v.p, v.n, &u) == 0 &&
		    u < 86400)
			s->hbi = (int)u;
	} else if (fixu_str_eq(v, "5"))
		s->logged_on = 0;
}

static int
not_connected(struct script *s)
{
	if (s->peer_closed) {
		script_fail(s, "cannot send: the acceptor closed the "
		    "connection");
		return FAIL;
	}
	script_fail(s, "cannot send: not connected (connect first)");
	return ERROR;
}

/*
 * Send a readable line with the header filled.  What fixsim sends by
 * itself (isauto) fails quietly: the next expect sees the closed
 * connection.
 */
int
script_send(struct script *s, const char *p, size_t n, int isauto)
{
	struct fixu_buf v9 = { 0 }, v10 = { 0 };
	struct fixu_field hdr[4];
	struct fixu_diag d;
	struct fixu_str w;
	char seq[24], now[UTIL_TIME_MAX], why[300];
	int has9, has10, nh = 0, rc = OK;

	if (s->c.fd == -1)
		return not_connected(s);
	if (s->sender[0] != '\0')
		hdr[nh++] = (struct fixu_field){ 49,
		    (uint32_t)strlen(s->sender), s->sender };
	if (s->target[0] != '\0')
		hdr[nh++] = (struct fixu_field){ 56,
		    (uint32_t)strlen(s->target), s->target };
	(void)util_fmt(seq, sizeof(seq), "%llu", (unsigned long long)s->seq);
	hdr[nh++] = (struct fixu_field){ 34, (uint32_t)strlen(seq), seq };
	(void)util_now_fmt(now, 0, strcmp(s->begin, "FIX.4.0") == 0 ||
	    strcmp(s->begin, "FIX.4.1") == 0 ? 0 : 3);
	hdr[nh++] = (struct fixu_field){ 52, (uint32_t)strlen(now), now };
	s->enc.delim = '|';
	s->enc.begin = s->begin;
	s->enc.dicts = s->dicts;
	s->enc.applverid = s->applver;
	s->enc.hdr = hdr;
	s->enc.nhdr = (uint32_t)nh;
	fixu_diag_clear(&d);
	if (fixu_text_encode(&s->enc, p, n, &w, &d) != 0) {
		script_fail(s, "send: %s", d.msg[0] != '\0' ? d.msg :
		    fixu_diag_fmt(&d, why, sizeof(why)));
		return ERROR;
	}
	has9 = lang_given(s, p, n, "9", "BodyLength", &v9);
	has10 = lang_given(s, p, n, "10", "CheckSum", &v10);
	sent(s, w);
	if (has9 || has10) {
		if (patch_wire(s, w, has9 ? &v9 : NULL,
		    has10 ? &v10 : NULL) != 0) {
			script_fail(s, "send: message too long");
			rc = ERROR;
			goto out;
		}
		w.p = s->wire.p;
		w.n = s->wire.len;
	}
	script_trace(s, isauto ? "> (auto)" : ">", w.p, w.n, has9 || has10);
	if (raw_send(&s->c, w.p, w.n, SEND_MS, why, sizeof(why)) != 0) {
		if (!isauto)
			script_fail(s, "%s", why);
		rc = FAIL;
	}
out:
	fixu_buf_fini(&v9);
	fixu_buf_fini(&v10);
	return rc;
}

/* The commands. */

static int
cmd_send(struct script *s, char *p, size_t n)
{
	return script_send(s, p, n, 0);
}

static int
cmd_sendraw(struct script *s, char *p, size_t n)
{
	char why[300];
	int rc;

	if ((rc = lang_unescape(s, p, n, 1, &s->wire)) != OK)
		return rc;
	if (s->c.fd == -1)
		return not_connected(s);
	script_trace(s, ">", s->wire.p, s->wire.len, 1);
	s->last_sent = raw_now_ms();
	if (raw_send(&s->c, s->wire.p, s->wire.len, SEND_MS, why,
	    sizeof(why)) != 0) {
		script_fail(s, "%s", why);
		return FAIL;
	}
	return OK;
}

/* HOST:PORT, [V6]:PORT or PORT into host and port (a is cut up). */
static int
split_addr(struct script *s, char *a, size_t n, const char **host,
    const char **port)
{
	const char *h;
	size_t hn;

	*host = s->o->host != NULL ? s->o->host : "127.0.0.1";
	*port = s->o->port;
	if (n == 0)
		goto out;
	a[n] = '\0';
	if (util_split_hostport(a, &h, &hn, port) != 0) {
		*port = a;
		goto out;
	}
	a[(size_t)(h - a) + hn] = '\0';
	*host = h;
out:
	if (*port == NULL || **port == '\0') {
		script_fail(s, "connect: no port (connect HOST:PORT, or -p)");
		return ERROR;
	}
	return OK;
}

static int
cmd_connect(struct script *s, char *p, size_t n)
{
	const char *host, *port;
	char why[300];
	int ms = CONNECT_MS, rc;

	if ((rc = lang_within(s, p, &n, 0, &ms)) != OK)
		return rc;
	n = lang_rtrim(p, n);
	if (memchr(p, ' ', n) != NULL || memchr(p, '\t', n) != NULL) {
		script_fail(s, "connect: one address, HOST:PORT");
		return ERROR;
	}
	if ((rc = split_addr(s, p, n, &host, &port)) != OK)
		return rc;
	expect_queue_clear(s);
	s->logged_on = s->sent_logon = s->peer_closed = 0;
	if (s->o->verbose)
		fprintf(stderr, "%s:%lu: connect %s port %s\n", s->file,
		    s->line, host, port);
	if (raw_open(&s->c, host, port, ms, why, sizeof(why)) != 0) {
		script_fail(s, "%s", why);
		return ERROR;
	}
	s->connected = 1;
	s->seq = 1;
	s->last_sent = raw_now_ms();
	return OK;
}

static int
cmd_disconnect(struct script *s, char *p, size_t n)
{
	(void)p;
	if (n > 0) {
		script_fail(s, "disconnect takes no arguments");
		return ERROR;
	}
	if (s->o->verbose && s->c.fd != -1)
		fprintf(stderr, "%s:%lu: disconnect\n", s->file, s->line);
	raw_close(&s->c);
	expect_queue_clear(s);
	s->logged_on = s->sent_logon = 0;
	return OK;
}

static const struct {
	const char	*name, *num;
} applvers[] = {
	{ "FIX.4.2", "4" }, { "FIX.4.3", "5" }, { "FIX.4.4", "6" },
	{ "FIX.5.0", "7" }, { "FIX.5.0SP1", "8" }, { "FIX.5.0SP2", "9" },
};

static int
cmd_session(struct script *s, char *p, size_t n)
{
	const char *w[5];
	size_t wn[5], i = 0, k, nw = 0;

	while (nw < 5 && lang_next_word(p, n, &i, &w[nw], &wn[nw]))
		nw++;
	if (nw < 3 || nw > 4) {
		script_fail(s, "session BEGIN SENDER TARGET [APPLVERID]");
		return ERROR;
	}
	if (wn[0] >= sizeof(s->begin) || wn[1] >= sizeof(s->sender) ||
	    wn[2] >= sizeof(s->target)) {
		script_fail(s, "session: a value is too long");
		return ERROR;
	}
	memcpy(s->begin, w[0], wn[0]);
	s->begin[wn[0]] = '\0';
	memcpy(s->sender, w[1], wn[1]);
	s->sender[wn[1]] = '\0';
	memcpy(s->target, w[2], wn[2]);
	s->target[wn[2]] = '\0';
	s->applver = "9";
	if (nw < 4)
		return OK;
	for (k = 0; k < sizeof(applvers) / sizeof(applvers[0]); k++)
		if (lang_word_eq(w[3], wn[3], applvers[k].name) ||
		    lang_word_eq(w[3], wn[3], applvers[k].num)) {
			s->applver = applvers[k].num;
			return OK;
		}
	script_fail(s, "session: unknown ApplVerID '%.*s'",
	    (int)(wn[3] > 20 ? 20 : wn[3]), w[3]);
	return ERROR;
}

static int
set_number(struct script *s, const char *name, const char *v, size_t n,
    uint64_t max, uint64_t *out)
{
	if (fixu_parse_u64(v, n, out) != 0 || *out > max) {
		script_fail(s, "set %s: expected a number up to %llu", name,
		    (unsigned long long)max);
		return ERROR;
	}
	return OK;
}

static int
cmd_set(struct script *s, char *p, size_t n)
{
	const char *name;
	size_t i = 0, nn;
	uint64_t u;
	int ms, rc;

	lang_next_word(p, n, &i, &name, &nn);
	while (i < n && util_is_blank(p[i]))
		i++;
	if (!lang_is_name(name, nn)) {
		script_fail(s, "set: bad variable name '%.*s'",
		    (int)(nn > 40 ? 40 : nn), name);
		return ERROR;
	}
	if (lang_word_eq(name, nn, "seq")) {
		if ((rc = set_number(s, "seq", p + i, n - i, UINT32_MAX,
		    &u)) != OK)
			return rc;
		if (u == 0) {
			script_fail(s, "set seq: MsgSeqNum starts at 1");
			return ERROR;
		}
		s->seq = u;
	} else if (lang_word_eq(name, nn, "counter")) {
		if ((rc = set_number(s, "counter", p + i, n - i,
		    UINT64_MAX / 2, &u)) != OK)
			return rc;
		s->counter = u;
	} else if (lang_word_eq(name, nn, "hbi")) {
		if ((rc = set_number(s, "hbi", p + i, n - i, 86400,
		    &u)) != OK)
			return rc;
		s->hbi = (int)u;
	} else if (lang_word_eq(name, nn, "timeout")) {
		if (lang_seconds(p + i, n - i, &ms) != 0) {
			script_fail(s, "set timeout: seconds, 0 to 86400");
			return ERROR;
		}
		s->timeout_ms = ms;
	} else if (lang_is_builtin(name, nn)) {
		script_fail(s, "set: %.*s is built in", (int)nn, name);
		return ERROR;
	} else if (lang_var_set(&s->vars, &s->nvars, name, nn, p + i,
	    n - i) != 0) {
		script_fail(s, "out of memory");
		return ERROR;
	}
	return OK;
}

static int
cmd_wait(struct script *s, char *p, size_t n)
{
	int64_t until;
	int ms, r;

	if (lang_seconds(p, n, &ms) != 0) {
		script_fail(s, "wait: seconds, 0 to 86400");
		return ERROR;
	}
	until = raw_now_ms() + ms;
	if (s->c.fd == -1) {
		while (raw_now_ms() < until)
			usleep(10 * 1000);
		return OK;
	}
	while (raw_now_ms() < until) {
		r = expect_pump(s, until);
		if (r == NX_ERROR)
			return FAIL;
		if (r == NX_CLOSED)
			while (raw_now_ms() < until)
				usleep(10 * 1000);
	}
	return OK;
}

static int
cmd_print(struct script *s, char *p, size_t n)
{
	(void)s;
	fwrite(p, 1, n, stdout);
	putchar('\n');
	fflush(stdout);
	return OK;
}

/* Send the line built in s->tmp from the arguments (s->args, so copied
   over them once they are done with). */
static int
send_built(struct script *s)
{
	fixu_buf_reset(&s->args);
	fixu_buf_append(&s->args, s->tmp.p, s->tmp.len);
	return script_send(s, s->args.p, s->args.len, 0);
}

/* Take the next message, Heartbeats passed over, within the default
   wait; FAIL saying "WHAT: ..." when none comes. */
static int
answer(struct script *s, const char *what, struct item **it)
{
	int r;

	r = expect_next(s, raw_now_ms() + s->timeout_ms, 1, it);
	if (r != NX_MSG) {
		expect_report_timeout(s, r, what, s->timeout_ms);
		return FAIL;
	}
	s->head++;
	return OK;
}

/* A default field of logon unless the extra fields give its tag. */
static int
logon_default(struct script *s, const char *extra, size_t n, uint32_t tag,
    const char *name, const char *val)
{
	char t[16];

	(void)util_fmt(t, sizeof(t), "%u", tag);
	if (lang_given(s, extra, n, t, name, &s->val))
		return 0;
	return fixu_buf_printf(&s->tmp, "|%s=%s", t, val);
}

static int
cmd_logon(struct script *s, char *p, size_t n)
{
	struct cond c = { 0 };
	struct item *it;
	struct fixu_str t;
	char hbi[16], why[200];
	int rc;

	(void)util_fmt(hbi, sizeof(hbi), "%d", s->hbi);
	fixu_buf_reset(&s->tmp);
	fixu_buf_puts(&s->tmp, "35=A");
	logon_default(s, p, n, 98, "EncryptMethod", "0");
	logon_default(s, p, n, 108, "HeartBtInt", hbi);
	if (s->seq == 1)
		logon_default(s, p, n, 141, "ResetSeqNumFlag", "Y");
	if (strcmp(s->begin, "FIXT.1.1") == 0)
		logon_default(s, p, n, 1137, "DefaultApplVerID", s->applver);
	if (n > 0) {
		fixu_buf_putc(&s->tmp, '|');
		fixu_buf_append(&s->tmp, p, n);
	}
	if ((rc = send_built(s)) != OK)
		return rc;
	if (answer(s, "logon: no Logon back", &it) != OK)
		return FAIL;
	c.tag = 35;
	c.op = C_EQ;
	c.val = "A";
	c.n = 1;
	if (expect_item_met(s, it, &c, 1, why, sizeof(why))) {
		s->checks++;
		return OK;
	}
	if (!it->bad && strcmp(it->type, "5") == 0) {
		t = fixu_msg_get(&s->m, 58);
		script_fail(s, "logon: refused with a Logout%s%.*s",
		    t.p != NULL ? ": " : "", (int)(t.n > 200 ? 200 : t.n),
		    t.p != NULL ? t.p : "");
	} else
		script_fail(s, "logon: expected a Logon back: %s", why);
	script_fail_show(s, "received", s->q.p + it->off, it->len);
	return FAIL;
}

static int
cmd_logout(struct script *s, char *p, size_t n)
{
	struct item *it;
	int rc;

	fixu_buf_reset(&s->tmp);
	fixu_buf_puts(&s->tmp, "35=5");
	if (n > 0) {
		fixu_buf_puts(&s->tmp, "|58=");
		fixu_text_escape(&s->tmp, p, n, '|');
	}
	if ((rc = send_built(s)) != OK)
		return rc;
	do {
		if (answer(s, "logout: no Logout back", &it) != OK)
			return FAIL;
	} while (it->bad || strcmp(it->type, "5") != 0);
	s->checks++;
	raw_close(&s->c);
	expect_queue_clear(s);
	s->logged_on = s->sent_logon = 0;
	return OK;
}

static int
cmd_auto(struct script *s, char *p, size_t n)
{
	const char *w[3];
	size_t wn[3], i = 0, nw = 0;

	while (nw < 3 && lang_next_word(p, n, &i, &w[nw], &wn[nw]))
		nw++;
	if (nw != 2 || !lang_word_eq(w[0], wn[0], "heartbeat") ||
	    (!lang_word_eq(w[1], wn[1], "on") &&
	    !lang_word_eq(w[1], wn[1], "off"))) {
		script_fail(s, "auto heartbeat on|off");
		return ERROR;
	}
	s->autohb = lang_word_eq(w[1], wn[1], "on");
	return OK;
}

static int
cmd_include(struct script *s, char *p, size_t n)
{
	const char *file = s->file, *slash;
	unsigned long line = s->line;
	char path[PATH_MAX];
	int r, rc;

	if (s->depth >= MAX_DEPTH) {
		script_fail(s, "include: nested more than %d deep", MAX_DEPTH);
		return ERROR;
	}
	slash = strrchr(file, '/');
	if (p[0] == '/' || slash == NULL || strcmp(file, "-") == 0)
		r = snprintf(path, sizeof(path), "%.*s", (int)n, p);
	else
		r = snprintf(path, sizeof(path), "%.*s/%.*s",
		    (int)(slash - file), file, (int)n, p);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		script_fail(s, "include: name too long");
		return ERROR;
	}
	s->depth++;
	rc = script_run_file(s, path);
	s->depth--;
	s->file = file;
	s->line = line;
	return rc;
}

static const struct cmd {
	const char	*name;
	int		(*fn)(struct script *, char *, size_t);
	int		 escape;	/* substituted values are escaped */
	int		 needarg;
} cmds[] = {
	{ "auto",	cmd_auto,	0, 1 },
	{ "connect",	cmd_connect,	0, 0 },
	{ "disconnect",	cmd_disconnect,	0, 0 },
	{ "expect",	expect_run,	1, 1 },
	{ "include",	cmd_include,	0, 1 },
	{ "logon",	cmd_logon,	1, 0 },
	{ "logout",	cmd_logout,	0, 0 },
	{ "print",	cmd_print,	0, 0 },
	{ "send",	cmd_send,	1, 1 },
	{ "sendraw",	cmd_sendraw,	1, 1 },
	{ "session",	cmd_session,	0, 1 },
	{ "set",	cmd_set,	0, 1 },
	{ "wait",	cmd_wait,	0, 1 },
};

static const struct cmd *
cmd_find(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (lang_word_eq(w, n, cmds[i].name))
			return &cmds[i];
	return NULL;
}

/* Files. */

/* A file that cannot be read: where it is included, or just its name. */
static void
load_fail(struct script *s, const char *path, const char *what)
{
	if (s->depth == 0)
		fixu_buf_printf(s->diag, "%s: %s\n", path, what);
	else
		script_fail(s, "include %s: %s", path, what);
}

static int
load(struct script *s, const char *path, struct fixu_buf *b)
{
	int r;

	if ((r = util_read_file(path, MAX_SCRIPT, b)) == 0)
		return OK;
	load_fail(s, path, r == -2 ? "too large" : strerror(errno));
	return ERROR;
}

/* The arguments of c that can be checked before the run. */
static int
check_args(struct script *s, const struct cmd *c, const char *a, size_t an)
{
	struct expectation e;
	int ms, rc = OK;

	if (c->fn == cmd_wait && lang_seconds(a, an, &ms) != 0) {
		script_fail(s, "wait: seconds, 0 to 86400");
		return ERROR;
	}
	if (c->fn != expect_run)
		return OK;
	fixu_buf_reset(&s->args);
	if (fixu_buf_append(&s->args, a, an) != 0 ||
	    fixu_buf_putc(&s->args, '\0') != 0)
		return ERROR;
	s->checking = 1;
	if ((rc = expect_parse(s, s->args.p, an, &e)) == OK)
		expect_conds_free(e.v, e.nc);
	s->checking = 0;
	return rc;
}

/*
 * Before anything is sent: every command known, arguments where needed,
 * and those of expect and wait right where they hold no variable.
 */
static int
check(struct script *s, const struct fixu_buf *b)
{
	const char *p, *nl, *end, *w, *a;
	const struct cmd *c;
	size_t wn, an;
	int rc;

	for (p = b->p, end = b->p + b->len; p < end; p = nl + 1) {
		s->line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (lang_split_line(p, (size_t)(nl - p), &w, &wn, &a,
		    &an) != 0)
			continue;
		if ((c = cmd_find(w, wn)) == NULL) {
			script_fail(s, "unknown command '%.*s'",
			    (int)(wn > 40 ? 40 : wn), w);
			return ERROR;
		}
		if (c->needarg && an == 0) {
			script_fail(s, "%s: arguments missing", c->name);
			return ERROR;
		}
		if (memchr(a, '$', an) == NULL &&
		    (rc = check_args(s, c, a, an)) != OK)
			return rc;
	}
	return OK;
}

int
script_run_file(struct script *s, const char *path)
{
	struct fixu_buf b = { 0 };
	const char *p, *nl, *end, *w, *a;
	const struct cmd *c;
	size_t wn, an;
	int rc;

	if ((rc = load(s, path, &b)) != OK)
		goto out;
	s->file = path;
	s->line = 0;
	if ((rc = check(s, &b)) != OK)
		goto out;
	s->line = 0;
	for (p = b.p, end = b.p + b.len; p < end && rc == OK; p = nl + 1) {
		s->line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (lang_split_line(p, (size_t)(nl - p), &w, &wn, &a,
		    &an) != 0)
			continue;
		c = cmd_find(w, wn);
		if ((rc = lang_subst(s, a, an, c->escape)) != OK)
			break;
		rc = c->fn(s, s->args.p, s->args.len);
		s->file = path;
	}
out:
	fixu_buf_fini(&b);
	return rc;
}
