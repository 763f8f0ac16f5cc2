/*
 * test_store.c -- the session store: sessions, appends and batches, epochs,
 * ranges, the hash chain and verify, purge, leases and fencing, two handles
 * on one file, schema versions, damaged and read-only files, credentials.
 * Every test works on a fresh file in a mkdtemp directory under $TMPDIR.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "codec.h"
#include "err.h"
#include "store.h"
#include "store_util.h"
#include "tap.h"

static char tmpdir[4096];
static int nfile;

static const char *
newpath(char *buf, size_t n)
{
	int r = snprintf(buf, n, "%s/t%d.db", tmpdir, ++nfile);

	if (r < 0 || (size_t)r >= n)
		abort();
	return buf;
}

static struct fixu_store_opts
opts(const char *path, int create, int readonly, int durability)
{
	struct fixu_store_opts o;

	memset(&o, 0, sizeof(o));
	o.path = path;
	o.create = create;
	o.readonly = readonly;
	o.durability = durability;
	return o;
}

static struct fixu_store *
sopen(const char *path, int create, int readonly, int busy_ms)
{
	struct fixu_store_opts o = opts(path, create, readonly,
	    FIXU_DUR_NORMAL);
	struct fixu_store *st = NULL;
	struct fixu_diag d;
	int rc;

	o.busy_ms = busy_ms;
	if ((rc = fixu_store_open(&st, &o, &d)) < 0) {
		printf("# open %s: %s: %s\n", path, fixu_strerror(rc), d.msg);
		return NULL;
	}
	return st;
}

static int
open_rc(const char *path, int create, int readonly, struct fixu_diag *d)
{
	struct fixu_store_opts o = opts(path, create, readonly,
	    FIXU_DUR_FULL);
	struct fixu_store *st = NULL;
	int rc;

	rc = fixu_store_open(&st, &o, d);
	fixu_store_close(st);
	return rc;
}

/* A real FIX.4.4 message; extra is "tag=value|..." with '|' for SOH. */
static char msgbuf[4096];

static struct fixu_str
mkmsg(int dir, uint64_t seq, const char *type, int possdup, const char *extra)
{
	struct fixu_builder b;
	struct fixu_str out = { NULL, 0 };
	const char *p, *e, *eq;

	fixu_build_init(&b);
	fixu_build_begin(&b, "FIX.4.4", 7, FIXU_SOH);
	fixu_build_add_str(&b, 35, type);
	fixu_build_add_str(&b, 49, dir == FIXU_DIR_OUT ? "EXEC" : "CLIENT1");
	fixu_build_add_str(&b, 56, dir == FIXU_DIR_OUT ? "CLIENT1" : "EXEC");
	fixu_build_add_u64(&b, 34, seq);
	if (possdup)
		fixu_build_add_str(&b, 43, "Y");
	fixu_build_add_str(&b, 52, "20260101-12:00:00.000");
	for (p = extra; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, '|')) == NULL)
			e = p + strlen(p);
		eq = memchr(p, '=', (size_t)(e - p));
		fixu_build_add(&b, (uint32_t)strtoul(p, NULL, 10), eq + 1,
		    (size_t)(e - eq - 1));
	}
	if (fixu_build_finish(&b, &out) == 0 && out.n < sizeof(msgbuf)) {
		memcpy(msgbuf, out.p, out.n);
		out.p = msgbuf;
	} else
		out.n = 0;
	fixu_build_fini(&b);
	return out;
}

static int
app(struct fixu_store *st, int64_t sess, int dir, uint64_t seq,
    const char *type, int possdup, const char *extra, int64_t t)
{
	struct fixu_rec r;

	memset(&r, 0, sizeof(r));
	r.session = sess;
	r.dir = dir;
	r.seq = seq;
	r.time_ns = t;
	r.msgtype.p = type;
	r.msgtype.n = strlen(type);
	r.possdup = possdup;
	r.raw = mkmsg(dir, seq, type, possdup, extra);
	return fixu_store_append(st, &r, NULL);
}

/* ---- range collection ---- */

struct coll {
	int		n;
	int64_t		rowid[2000];
	uint64_t	seq[2000];
	int		dir[2000];
	uint32_t	epoch[2000];
	int		stop_at;
	int		raw_ok;
};

static int
collect(const struct fixu_rec *r, void *arg)
{
	struct coll *c = arg;
	struct fixu_msg m;

	if (c->n < 2000) {
		c->rowid[c->n] = r->rowid;
		c->seq[c->n] = r->seq;
		c->dir[c->n] = r->dir;
		c->epoch[c->n] = r->epoch;
	}
	fixu_msg_init(&m);
	if (fixu_msg_parse(&m, r->raw.p, r->raw.n, FIXU_SOH, NULL, 0, NULL)
	    == 0 && fixu_str_eq(fixu_msg_get(&m, 35), "") == 0 &&
	    r->msgtype.n == fixu_msg_get(&m, 35).n)
		c->raw_ok++;
	fixu_msg_fini(&m);
	c->n++;
	if (c->stop_at != 0 && c->n == c->stop_at)
		return 7;
	return 0;
}

static int
count(struct fixu_store *st, const struct fixu_query *q)
{
	struct coll *c = calloc(1, sizeof(*c));
	int n;

	if (fixu_store_range(st, q, collect, c, NULL) < 0)
		n = -1;
	else
		n = c->n;
	free(c);
	return n;
}

static struct fixu_query
qry(int64_t sess)
{
	struct fixu_query q;

	memset(&q, 0, sizeof(q));
	q.session = sess;
	q.epoch = -1;
	q.dir = -1;
	return q;
}

/* ---- verify collection ---- */

struct probs {
	int	n;
	char	text[32][400];
};

static void
onprob(const struct fixu_sess *s, const struct fixu_rec *r, const char *what,
    void *arg)
{
	struct probs *p = arg;

	(void)s;
	(void)r;
	if (p->n < 32)
		snprintf(p->text[p->n], sizeof(p->text[0]), "%s", what);
	p->n++;
	printf("#   verify: %s\n", what);
}

static int
has_prob(const struct probs *p, const char *needle)
{
	int i;

	for (i = 0; i < p->n && i < 32; i++)
		if (strstr(p->text[i], needle) != NULL)
			return 1;
	return 0;
}

static uint64_t
verify(struct fixu_store *st, int64_t sess, struct probs *p)
{
	uint64_t n = 99;

	memset(p, 0, sizeof(*p));
	if (fixu_store_verify(st, sess, onprob, p, &n, NULL) < 0)
		return 1000;
	return n;
}

static int
sql(const char *path, const char *stmt)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, stmt, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The integer a PRAGMA returns, or -1. */
static int
pragma_int(const char *path, const char *stmt)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	int v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, stmt, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* ---- tests ---- */

static void
test_sessid(void)
{
	struct fixu_sessid sid;
	struct fixu_diag d;
	char buf[240];
	const char *s;

	s = "FIX.4.4:EXEC->CLIENT1";
	is_int(fixu_sessid_parse(&sid, s, strlen(s), &d), 0, "sessid parse");
	is_str(sid.begin, "FIX.4.4", "  begin");
	is_str(sid.sender, "EXEC", "  sender");
	is_str(sid.target, "CLIENT1", "  target");
	is_str(sid.qualifier, "", "  no qualifier");
	is_str(fixu_sessid_fmt(&sid, buf, sizeof(buf)), s, "  fmt round trip");
	s = "FIXT.1.1:A-B->C>D:Q1";
	is_int(fixu_sessid_parse(&sid, s, strlen(s), &d), 0,
	    "sessid with qualifier and - and > in ids");
	is_str(sid.sender, "A-B", "  sender with -");
	is_str(sid.target, "C>D", "  target with >");
	is_str(sid.qualifier, "Q1", "  qualifier");
	is_str(fixu_sessid_fmt(&sid, buf, sizeof(buf)), s, "  fmt round trip");
	s = "FIX.4.4 EXEC->CLIENT1";
	is_int(fixu_sessid_parse(&sid, s, strlen(s), &d), FIXU_ESYNTAX,
	    "no colon: ESYNTAX");
	s = "FIX.4.4:EXEC-CLIENT1";
	is_int(fixu_sessid_parse(&sid, s, strlen(s), &d), FIXU_ESYNTAX,
	    "no arrow: ESYNTAX");
	s = "FIX.4.4:->CLIENT1";
	is_int(fixu_sessid_parse(&sid, s, strlen(s), &d), FIXU_ESYNTAX,
	    "empty sender: ESYNTAX");
	is_int(d.off, 8, "  offset of the fault");
	s = "FIX.4.4:A->B:";
	is_int(fixu_sessid_parse(&sid, s, strlen(s), &d), FIXU_ESYNTAX,
	    "empty qualifier: ESYNTAX");
	s = "FIX.4.4:A B->C";
	is_int(fixu_sessid_parse(&sid, s, strlen(s), &d), FIXU_ESYNTAX,
	    "space in CompID: ESYNTAX");
	memset(buf, 'X', 100);
	memcpy(buf, "F:", 2);
	memcpy(buf + 80, "->B", 3);
	is_int(fixu_sessid_parse(&sid, buf, 83, &d), FIXU_ESYNTAX,
	    "SenderCompID of 78 bytes: ESYNTAX");

	unsetenv("FIXUTIL_STORE");
	is_str(fixu_store_default_path(), "fixutil.db", "default path");
	setenv("FIXUTIL_STORE", "/x/y.db", 1);
	is_str(fixu_store_default_path(), "/x/y.db", "$FIXUTIL_STORE");
	unsetenv("FIXUTIL_STORE");
}

static void
test_open(void)
{
	char path[4200];
	struct fixu_diag d;
	struct fixu_store *st;
	struct fixu_store_opts o;
	sqlite3 *db;
	sqlite3_stmt *s;
	char mode[16] = "";

	newpath(path, sizeof(path));
	is_int(open_rc(path, 0, 0, &d), FIXU_ENOTFOUND,
	    "open a missing file without create: ENOTFOUND");
	ok(access(path, F_OK) != 0, "  and no file made");
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.durability = 7;
	o.create = 1;
	is_int(fixu_store_open(&st, &o, &d), FIXU_EINVAL,
	    "unknown durability: EINVAL");
	st = sopen(path, 1, 0, 0);
	ok(st != NULL, "open with create");
	if (st == NULL)
		return;
	is_str(fixu_store_backend(st), "sqlite", "backend is sqlite");
	is_str(fixu_store_path(st), path, "path kept");
	fixu_store_close(st);
	fixu_store_close(NULL);
	if (sqlite3_open(path, &db) == SQLITE_OK) {
		if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s,
		    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			snprintf(mode, sizeof(mode), "%s",
			    (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	is_int(pragma_int(path, "PRAGMA user_version"), FIXU_STORE_SCHEMA,
	    "user_version is FIXU_STORE_SCHEMA");
	is_str(mode, "wal", "journal_mode is wal");
	is_int(pragma_int(path, "PRAGMA page_size"), 1024,
	    "a new store has 1 KB pages");
	is_int(open_rc(path, 0, 0, &d), 0, "reopen without create");
	is_int(open_rc(path, 0, 1, &d), 0, "reopen read-only");
}

static void
test_sessions(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_sessid sid;
	struct fixu_sess s, s2;
	struct fixu_diag d;
	int64_t a, b;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	fixu_sessid_parse(&sid, "FIX.4.4:EXEC->CLIENT1", 21, NULL);
	is_int(fixu_store_session(st, &sid, 0, &s, &d), FIXU_ENOTFOUND,
	    "lookup of an unknown session: ENOTFOUND");
	is_int(fixu_store_session(st, &sid, 1, &s, &d), 0, "create session");
	is_int(s.epoch, 1, "  epoch 1");
	is_int(s.next_out, 1, "  next_out 1");
	is_int(s.next_in, 1, "  next_in 1");
	is_int(s.nmsg_all, 0, "  no messages");
	ok(s.created_ns > 0, "  created_ns set");
	is_int(fixu_store_pending(st), 0, "  committed on its own");
	is_int(fixu_store_session(st, &sid, 1, &s2, &d), 0,
	    "create again finds it");
	is_int(s2.id, s.id, "  same id");
	is_int(fixu_store_session_byid(st, s.id, &s2, &d), 0, "by id");
	is_str(s2.sid.target, "CLIENT1", "  target");
	is_int(fixu_store_session_byid(st, 999, &s2, &d), FIXU_ENOTFOUND,
	    "unknown id: ENOTFOUND");
	a = s.id;
	b = mksess(st, "FIX.4.4:EXEC->CLIENT2:Q");
	ok(b > a, "second session");
	fixu_store_close(st);
}

static int
count_sess(const struct fixu_sess *s, void *arg)
{
	(void)s;
	++*(int *)arg;
	return 0;
}

static void
test_append(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_query q;
	struct fixu_rec r;
	struct fixu_diag d;
	struct probs p;
	int64_t id;
	int i, n = 0;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	mksess(st, "FIX.4.4:EXEC->CLIENT2");
	is_int(fixu_store_sessions(st, count_sess, &n, &d), 0, "list");
	is_int(n, 2, "  two sessions");
	is_int(app(st, id, FIXU_DIR_OUT, 1, "A", 0, "98=0|108=30", 0), 0,
	    "append outbound 1");
	is_int(fixu_store_pending(st), 1, "  one pending");
	for (i = 2; i <= 3; i++)
		app(st, id, FIXU_DIR_OUT, (uint64_t)i, "D", 0, "11=X|55=MSFT", 0);
	app(st, id, FIXU_DIR_IN, 1, "A", 0, "98=0|108=30", 0);
	app(st, id, FIXU_DIR_IN, 2, "8", 0, "37=1|17=1", 0);
	is_int(fixu_store_pending(st), 5, "five pending");
	is_int(fixu_store_commit(st, &d), 0, "commit");
	is_int(fixu_store_pending(st), 0, "  nothing pending");
	s = getsess(st, id);
	is_int(s.next_out, 4, "next_out advanced to 4");
	is_int(s.next_in, 3, "next_in advanced to 3");
	is_int(s.nmsg_out, 3, "  3 out");
	is_int(s.nmsg_in, 2, "  2 in");
	is_int(s.nmsg_all, 5, "  5 in all");
	ok(s.last_activity_ns > 0, "  last activity set");

	/* A lower number (a resend) does not move next back. */
	app(st, id, FIXU_DIR_OUT, 2, "D", 1, "11=X|55=MSFT", 0);
	fixu_store_commit(st, NULL);
	s = getsess(st, id);
	is_int(s.next_out, 4, "resend of 2 leaves next_out at 4");
	is_int(s.nmsg_out, 4, "  but is counted");

	memset(&r, 0, sizeof(r));
	r.session = id;
	r.dir = 5;
	is_int(fixu_store_append(st, &r, &d), FIXU_EINVAL, "bad dir: EINVAL");
	r.dir = FIXU_DIR_OUT;
	r.session = 4242;
	is_int(fixu_store_append(st, &r, &d), FIXU_ENOTFOUND,
	    "unknown session: ENOTFOUND");
	is_int(fixu_store_pending(st), 0, "  no batch left open");
	r.session = id;
	r.epoch = 9;
	is_int(fixu_store_append(st, &r, &d), FIXU_EINVAL,
	    "future epoch: EINVAL");

	q = qry(id);
	is_int(count(st, &q), 6, "range reads 6");
	is_int(verify(st, 0, &p), 0, "verify: no problems");

	/* Group commit: 1000 appends, one commit. */
	for (i = 0; i < 1000; i++)
		if (app(st, id, i & 1, (uint64_t)(i / 2 + (i & 1 ? 4 : 3)),
		    "0", 0, NULL, 0) < 0)
			break;
	is_int(i, 1000, "1000 appends in a batch");
	is_int(fixu_store_pending(st), 1000, "  1000 pending");
	is_int(fixu_store_commit(st, &d), 0, "  one commit");
	s = getsess(st, id);
	is_int(s.nmsg_all, 1006, "  all stored");
	is_int(s.next_out, 504, "  next_out");
	is_int(s.next_in, 503, "  next_in");

	/* Rollback leaves nothing. */
	for (i = 0; i < 10; i++)
		app(st, id, FIXU_DIR_OUT, 504 + (uint64_t)i, "0", 0, NULL, 0);
	fixu_store_rollback(st);
	is_int(fixu_store_pending(st), 0, "rollback: nothing pending");
	s = getsess(st, id);
	is_int(s.nmsg_all, 1006, "  nothing stored");
	is_int(s.next_out, 504, "  next_out unchanged");
	is_int(verify(st, id, &p), 0, "  verify still fine (chain intact)");
	fixu_store_rollback(st);
	is_int(fixu_store_commit(st, &d), 0, "empty commit is fine");
	fixu_store_close(st);
}

struct ep {
	int		n;
	uint32_t	last;
	char		reason[64];
};

static int
on_epoch(uint32_t e, int64_t t, const char *reason, void *arg)
{
	struct ep *x = arg;

	(void)t;
	x->n++;
	x->last = e;
	snprintf(x->reason, sizeof(x->reason), "%s", reason);
	return 0;
}

static int
on_event(int64_t t, const char *kind, const char *text, void *arg)
{
	struct ep *x = arg;

	x->n++;
	x->last = (uint32_t)t;
	snprintf(x->reason, sizeof(x->reason), "%s:%s", kind, text);
	return 0;
}

static void
test_reset(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_query q;
	struct fixu_diag d;
	struct ep e;
	struct probs p;
	int64_t id;
	int i;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	for (i = 1; i <= 4; i++) {
		app(st, id, FIXU_DIR_OUT, (uint64_t)i, "D", 0, NULL, 0);
		app(st, id, FIXU_DIR_IN, (uint64_t)i, "8", 0, NULL, 0);
	}
	fixu_store_commit(st, NULL);
	is_int(fixu_store_reset(st, id, "operator reset", &d), 0, "reset");
	is_int(fixu_store_commit(st, &d), 0, "  commit");
	s = getsess(st, id);
	is_int(s.epoch, 2, "  epoch 2");
	is_int(s.next_out, 1, "  next_out 1");
	is_int(s.next_in, 1, "  next_in 1");
	is_int(s.nmsg_out + s.nmsg_in, 0, "  no messages in epoch 2");
	is_int(s.nmsg_all, 8, "  old messages kept");
	q = qry(id);
	is_int(count(st, &q), 8, "  range over every epoch: 8");
	q.epoch = 0;
	is_int(count(st, &q), 0, "  current epoch: 0");
	app(st, id, FIXU_DIR_OUT, 1, "A", 0, NULL, 0);
	fixu_store_commit(st, NULL);
	is_int(count(st, &q), 1, "  new message in epoch 2");
	q.epoch = 1;
	is_int(count(st, &q), 8, "  epoch 1 explicitly: 8");
	memset(&e, 0, sizeof(e));
	is_int(fixu_store_epochs(st, id, on_epoch, &e, &d), 0, "epochs");
	is_int(e.n, 2, "  two epochs");
	is_str(e.reason, "operator reset", "  reason kept");

	is_int(fixu_store_set_next(st, id, 10, 0, &d), 0, "set_next out");
	fixu_store_commit(st, NULL);
	s = getsess(st, id);
	is_int(s.next_out, 10, "  next_out 10");
	is_int(s.next_in, 1, "  next_in untouched");
	is_int(fixu_store_set_next(st, id, 0, 7, &d), 0, "set_next in");
	fixu_store_commit(st, NULL);
	s = getsess(st, id);
	is_int(s.next_out, 10, "  next_out untouched");
	is_int(s.next_in, 7, "  next_in 7");
	is_int(fixu_store_set_next(st, 999, 1, 1, &d), FIXU_ENOTFOUND,
	    "set_next on unknown session: ENOTFOUND");

	is_int(fixu_store_set_online(st, id, 1, 12345, &d), 0, "set online");
	fixu_store_commit(st, NULL);
	s = getsess(st, id);
	is_int(s.online, 1, "  online");
	is_int(fixu_store_event(st, id, 11, "logon", "from 10.0.0.1", &d), 0,
	    "event");
	is_int(fixu_store_event(st, id, 12, "logout", "", &d), 0, "event 2");
	fixu_store_commit(st, NULL);
	memset(&e, 0, sizeof(e));
	is_int(fixu_store_events(st, id, on_event, &e, &d), 0, "events");
	is_int(e.n, 2, "  two events");
	is_str(e.reason, "logout:", "  oldest first, last is logout");
	is_int(verify(st, id, &p), 0, "verify after reset: no problems");
	fixu_store_close(st);
}

static void
test_range(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_query q;
	struct fixu_diag d;
	struct coll *c;
	int64_t id, id2;
	int i;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	id2 = mksess(st, "FIX.4.4:EXEC->CLIENT2");
	/* 20 out (D, 8 alternating), 10 in (0), times 1000 * i. */
	for (i = 1; i <= 20; i++)
		app(st, id, FIXU_DIR_OUT, (uint64_t)i, i & 1 ? "D" : "8", 0,
		    NULL, 1000 * i);
	for (i = 1; i <= 10; i++)
		app(st, id, FIXU_DIR_IN, (uint64_t)i, "0", 0, NULL,
		    1000 * i + 500);
	app(st, id2, FIXU_DIR_OUT, 1, "D", 0, NULL, 1);
	fixu_store_commit(st, NULL);

	q = qry(id);
	is_int(count(st, &q), 30, "range: session");
	q.dir = FIXU_DIR_IN;
	is_int(count(st, &q), 10, "range: dir in");
	q.dir = FIXU_DIR_OUT;
	q.seq_from = 5;
	q.seq_to = 9;
	is_int(count(st, &q), 5, "range: out seq 5..9");
	q = qry(id);
	q.time_from = 3000;
	q.time_to = 6000;
	is_int(count(st, &q), 6, "range: time [3000, 6000)");
	q = qry(id);
	q.msgtype = "8";
	is_int(count(st, &q), 10, "range: msgtype 8");
	q.msgtype = "D,0";
	is_int(count(st, &q), 20, "range: msgtype D,0");
	q.msgtype = "X";
	is_int(count(st, &q), 0, "range: msgtype X");
	q.msgtype = NULL;
	q.epoch = 1;
	is_int(count(st, &q), 30, "range: epoch 1");
	q.epoch = 2;
	is_int(count(st, &q), 0, "range: epoch 2");
	q = qry(0);
	is_int(count(st, &q), 31, "range: every session");

	c = calloc(1, sizeof(*c));
	q = qry(id);
	fixu_store_range(st, &q, collect, c, &d);
	for (i = 1; i < c->n; i++)
		if (c->rowid[i] <= c->rowid[i - 1])
			break;
	is_int(i, 30, "range in rowid order");
	is_int(c->raw_ok, 30, "  raw views parse, msgtype matches");
	q.after_rowid = c->rowid[24];
	is_int(count(st, &q), 5, "range: after_rowid");
	q.after_rowid = 0;
	q.upto_rowid = c->rowid[9];
	is_int(count(st, &q), 10, "range: upto_rowid");
	memset(c, 0, sizeof(*c));
	c->stop_at = 3;
	q = qry(id);
	is_int(fixu_store_range(st, &q, collect, c, &d), 7,
	    "range: callback's stop value returned");
	is_int(c->n, 3, "  after 3 rows");
	free(c);
	q = qry(id);
	q.dir = 3;
	is_int(fixu_store_range(st, &q, collect, NULL, &d), FIXU_EINVAL,
	    "range: bad dir EINVAL");
	fixu_store_close(st);
}

/* A new store with n orders out (55=MSFT) in one session, *id. */
static struct fixu_store *
msft_store(char *path, size_t len, int n, int64_t *id)
{
	struct fixu_store *st;
	int i;

	if ((st = sopen(newpath(path, len), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return NULL;
	}
	*id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	for (i = 1; i <= n; i++)
		app(st, *id, FIXU_DIR_OUT, (uint64_t)i, "D", 0, "55=MSFT", 0);
	fixu_store_commit(st, NULL);
	return st;
}

/* Junk over the root page of the index by time, which a plain open and a
   session's verify never read. */
static void
junk_time_index(const char *path)
{
	unsigned char junk[1024];
	int root, psz, fd;

	root = pragma_int(path, "SELECT rootpage FROM sqlite_master WHERE "
	    "name = 'messages_time'");
	psz = pragma_int(path, "PRAGMA page_size");
	memset(junk, 0x5a, sizeof(junk));
	fd = open(path, O_WRONLY);
	ok(root > 1 && psz >= 1024 && fd >= 0 && pwrite(fd, junk,
	    sizeof(junk), (off_t)(root - 1) * psz) == (ssize_t)sizeof(junk),
	    "junk over the root page of messages_time (%d)", root);
	if (fd >= 0)
		close(fd);
}

/* Junk over a page of an index: verify of the whole store says so. */
static void
test_verify_file(void)
{
	char path[4200];
	struct fixu_store *st;
	struct probs p;
	int64_t id;

	if ((st = msft_store(path, sizeof(path), 300, &id)) == NULL)
		return;
	fixu_store_close(st);
	junk_time_index(path);
	if ((st = sopen(path, 0, 0, 0)) == NULL) {
		ok(0, "reopen");
		return;
	}
	ok(verify(st, id, &p) == 0, "verify of the session reads no index "
	    "by time: finds nothing");
	ok(verify(st, 0, &p) >= 1 && has_prob(&p, "damaged file (SQLite's "
	    "quick_check): "), "verify of the store finds the damage");
	fixu_store_close(st);
}

static struct fixu_store *
dopen(const char *path, int durability, int readonly, struct fixu_diag *d)
{
	struct fixu_store_opts o = opts(path, !readonly, readonly,
	    durability);
	struct fixu_store *st = NULL;

	if (fixu_store_open(&st, &o, d) < 0)
		return NULL;
	return st;
}

static int
writers(const char *path)
{
	return pragma_int(path, "SELECT writers FROM unsynced WHERE id = 1");
}

/*
 * StoreDurability=process writers count themselves in unsynced with their
 * boot; a count left from another boot has the next writer quick_check
 * the file.
 */
static void
test_unsynced(void)
{
	char path[4200], boot[64] = "", stmt[200];
	struct fixu_store *a, *b;
	struct fixu_diag d;
	int64_t id;
	FILE *f;

	if ((f = fopen("/proc/sys/kernel/random/boot_id", "r")) != NULL) {
		if (fgets(boot, sizeof(boot), f) == NULL)
			boot[0] = '\0';
		boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	if ((a = msft_store(path, sizeof(path), 300, &id)) == NULL)
		return;
	fixu_store_close(a);
	is_int(writers(path), 0, "unsynced: a normal writer counts nothing");

	a = dopen(path, FIXU_DUR_PROCESS, 0, &d);
	b = dopen(path, FIXU_DUR_PROCESS, 0, &d);
	ok(a != NULL && b != NULL, "  two process writers open");
	is_int(writers(path), 2, "  both counted while open");
	snprintf(stmt, sizeof(stmt), "SELECT boot_id = '%s' FROM unsynced",
	    boot);
	is_int(pragma_int(path, stmt), 1, "  with this boot's id (%s)",
	    boot[0] ? boot : "none");
	fixu_store_close(b);
	is_int(writers(path), 1, "  a clean close counts one out");
	fixu_store_close(a);
	is_int(writers(path), 0, "  and the other");

	/* A writer that was killed leaves its count: in this boot no check. */
	sql(path, "UPDATE unsynced SET writers = 1");
	a = dopen(path, FIXU_DUR_PROCESS, 0, &d);
	is_int(writers(path), 2, "  a count left in this boot stays");
	fixu_store_close(a);
	is_int(writers(path), 1, "  and is left after the close");

	if (boot[0] == '\0') {
		ok(1, "# SKIP no /proc/sys/kernel/random/boot_id");
		return;
	}
	/* Another boot, the file sound: checked, cleared. */
	sql(path, "UPDATE unsynced SET boot_id = 'another boot'");
	a = dopen(path, FIXU_DUR_NORMAL, 0, &d);
	ok(a != NULL, "  left from another boot, sound: opens");
	fixu_store_close(a);
	is_int(writers(path), 0, "  and the count is cleared");

	/* Another boot, the file damaged: refused, by a writer of any mode. */
	junk_time_index(path);
	sql(path, "UPDATE unsynced SET boot_id = 'another boot', writers = 1");
	a = dopen(path, FIXU_DUR_PROCESS, 0, &d);
	ok(a == NULL && d.code == FIXU_ECORRUPT && strstr(d.msg, ": damaged "
	    "after the machine went down under StoreDurability=process "
	    "(quick_check, ") != NULL && strstr(d.msg, "): Page ") != NULL,
	    "  damaged: a process writer is refused (%s)", d.msg);
	fixu_store_close(a);
	a = dopen(path, FIXU_DUR_FULL, 0, &d);
	ok(a == NULL && d.code == FIXU_ECORRUPT, "  so is a full one");
	fixu_store_close(a);
	a = dopen(path, FIXU_DUR_FULL, 1, &d);
	ok(a != NULL && writers(path) == 1, "  a reader opens it and "
	    "changes nothing");
	fixu_store_close(a);
}

static void
test_verify(void)
{
	char path[4200], stmt[300];
	struct fixu_store *st;
	struct probs p;
	int64_t id, id2, id3;
	uint64_t n;

	if ((st = msft_store(path, sizeof(path), 10, &id)) == NULL)
		return;
	is_int(verify(st, 0, &p), 0, "verify clean store: 0 problems");

	/* Change one byte of message 5 behind the store's back. */
	snprintf(stmt, sizeof(stmt), "UPDATE messages SET raw = "
	    "replace(raw, CAST('55=MSFT' AS BLOB), CAST('55=MSFX' AS BLOB)) "
	    "WHERE session = %lld AND seq = 5", (long long)id);
	is_int(sql(path, stmt), 0, "tamper with raw bytes via sqlite3");
	ok(verify(st, id, &p) >= 1, "verify reports tampering");
	ok(has_prob(&p, "hash chain broken"), "  as a broken hash chain");
	ok(has_prob(&p, "outbound MsgSeqNum 5"), "  naming the message");
	ok(has_prob(&p, "CheckSum"), "  and its bad CheckSum");
	snprintf(stmt, sizeof(stmt), "DELETE FROM messages WHERE id = (SELECT"
	    " max(id) FROM messages WHERE session = %lld)", (long long)id);
	sql(path, stmt);
	ok(verify(st, id, &p) >= 3, "delete the last message");
	ok(has_prob(&p, "chain head"), "  chain head mismatch reported");
	ok(has_prob(&p, "counts"), "  counters mismatch reported");
	ok(has_prob(&p, "next outbound") == 0, "  next still follows");

	/* Gaps, duplicates, gap fills, next numbers. */
	id2 = mksess(st, "FIX.4.4:EXEC->GAPS");
	app(st, id2, FIXU_DIR_OUT, 6, "D", 0, NULL, 0);
	app(st, id2, FIXU_DIR_OUT, 8, "D", 0, NULL, 0);
	app(st, id2, FIXU_DIR_OUT, 12, "D", 0, NULL, 0);
	app(st, id2, FIXU_DIR_IN, 1, "A", 0, NULL, 0);
	app(st, id2, FIXU_DIR_IN, 2, "8", 0, NULL, 0);
	app(st, id2, FIXU_DIR_IN, 2, "8", 0, NULL, 0);	/* duplicate */
	app(st, id2, FIXU_DIR_IN, 3, "8", 0, NULL, 0);
	app(st, id2, FIXU_DIR_IN, 3, "8", 1, NULL, 0);	/* PossDup: fine */
	fixu_store_commit(st, NULL);
	is_int(verify(st, id2, &p), 3, "gaps and duplicate: 3 problems");
	ok(has_prob(&p, "outbound MsgSeqNum 7 missing in epoch 1 (between 6 "
	    "and 8)"), "  single gap sentence");
	ok(has_prob(&p, "outbound MsgSeqNum 9-11 missing in epoch 1 (between "
	    "8 and 12)"), "  range gap sentence");
	ok(has_prob(&p, "inbound MsgSeqNum 2 (epoch 1, rowid"),
	    "  duplicate named");
	ok(has_prob(&p, "stored twice"), "  as stored twice");

	id3 = mksess(st, "FIX.4.4:EXEC->FILL");
	app(st, id3, FIXU_DIR_IN, 1, "A", 0, NULL, 0);
	app(st, id3, FIXU_DIR_IN, 2, "4", 1, "123=Y|36=6", 0);
	app(st, id3, FIXU_DIR_IN, 6, "8", 0, NULL, 0);
	app(st, id3, FIXU_DIR_OUT, 1, "A", 0, NULL, 0);
	app(st, id3, FIXU_DIR_OUT, 2, "4", 0, "123=Y|36=4", 0);
	app(st, id3, FIXU_DIR_OUT, 5, "D", 0, NULL, 0);
	fixu_store_commit(st, NULL);
	is_int(verify(st, id3, &p), 1, "gap fills explain gaps but one");
	ok(has_prob(&p, "outbound MsgSeqNum 4 missing in epoch 1 (between 3 "
	    "and 5)"), "  gap fill to 4 leaves 4 missing");
	fixu_store_set_next(st, id3, 3, 0, NULL);
	fixu_store_commit(st, NULL);
	is_int(verify(st, id3, &p), 2, "next_out behind the stored messages");
	ok(has_prob(&p, "next outbound MsgSeqNum 3 does not follow the last "
	    "stored outbound message (5)"), "  reported");
	n = verify(st, id, &p) + verify(st, id2, &p) + verify(st, id3, &p);
	is_int(verify(st, 0, &p), n, "the whole store: the file is whole, "
	    "the sessions' problems as before");
	fixu_store_close(st);
	test_verify_file();
	test_unsynced();
}

static void
test_purge(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_query q;
	struct fixu_diag d;
	struct fixu_sess s;
	struct coll *c;
	struct probs p;
	uint64_t n = 99;
	int64_t id, id2;
	int i;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	id2 = mksess(st, "FIX.4.4:EXEC->OTHER");
	for (i = 1; i <= 10; i++) {
		app(st, id, FIXU_DIR_OUT, (uint64_t)i, "D", 0, NULL, 0);
		app(st, id2, FIXU_DIR_OUT, (uint64_t)i, "D", 0, NULL, 0);
	}
	fixu_store_commit(st, NULL);
	c = calloc(1, sizeof(*c));
	q = qry(id);
	fixu_store_range(st, &q, collect, c, &d);
	q.upto_rowid = c->rowid[3];
	is_int(fixu_store_purge(st, &q, &n, &d), 0, "purge first 4");
	is_int(n, 4, "  4 deleted");
	q = qry(id);
	is_int(count(st, &q), 6, "  6 left");
	q = qry(id2);
	is_int(count(st, &q), 10, "  other session untouched");
	s = getsess(st, id);
	is_int(s.nmsg_all, 6, "  nmsg_all 6");
	is_int(s.nmsg_out, 6, "  nmsg_out 6");
	is_int(verify(st, 0, &p), 0, "  verify after purge: 0 problems");

	/* Epoch 2 messages, then a purge of epoch 2 alone is a hole. */
	fixu_store_reset(st, id, "test", NULL);
	for (i = 1; i <= 3; i++)
		app(st, id, FIXU_DIR_OUT, (uint64_t)i, "D", 0, NULL, 0);
	fixu_store_commit(st, NULL);
	q = qry(id);
	q.epoch = 0;
	is_int(fixu_store_purge(st, &q, &n, &d), FIXU_EINVAL,
	    "purge of the current epoch with older ones kept: EINVAL");
	ok(strstr(d.msg, "hole") != NULL, "  says why (%s)", d.msg);
	q = qry(id);
	is_int(count(st, &q), 9, "  nothing deleted");
	q.epoch = 1;
	is_int(fixu_store_purge(st, &q, &n, &d), 0, "purge epoch 1");
	is_int(n, 6, "  6 deleted");
	s = getsess(st, id);
	is_int(s.nmsg_all, 3, "  nmsg_all 3");
	is_int(s.nmsg_out, 3, "  nmsg_out 3 (current epoch kept)");
	is_int(verify(st, 0, &p), 0, "  verify: 0 problems");
	q = qry(id);
	q.time_to = 1;
	is_int(fixu_store_purge(st, &q, &n, &d), 0, "purge of nothing");
	is_int(n, 0, "  0 deleted");
	free(c);
	fixu_store_close(st);
}

/*
 * A new store is made whole under another name and linked into place:
 * nobody opening the path sees it half made.  SQLite takes a file of no
 * pages for an empty database and deletes its WAL, in a read-only
 * connection too, so a reader polling for a store being created used to
 * take the creator's schema away.  Six writers create one store at once
 * while six readers poll for it, 20 times: every writer opens and keeps
 * its lease, and a reader finds the file missing or whole, never "no
 * schema".
 */
enum { CR_ROUNDS = 20, CR_WRITERS = 6, CR_READERS = 6 };

static int
create_child(const char *path, int i)
{
	struct fixu_store_opts o = opts(path, i < CR_WRITERS, i >= CR_WRITERS,
	    FIXU_DUR_NORMAL);
	struct fixu_store *st = NULL;
	struct fixu_lease l;
	struct fixu_diag d;
	char name[16];
	int rc, n;

	if (i < CR_WRITERS) {
		(void)snprintf(name, sizeof(name), "w%d", i);
		if ((rc = fixu_store_open(&st, &o, &d)) == 0)
			rc = fixu_store_lease_acquire(st, name, "x", 0,
			    1000000000, &l, &d);
		fixu_store_close(st);
		if (rc != 0)
			printf("# writer %d: %s\n", i, d.msg);
		return rc != 0;
	}
	for (n = 0; n < 20000; n++) {
		if ((rc = fixu_store_open(&st, &o, &d)) == 0) {
			fixu_store_close(st);
			return 0;
		}
		if (rc != FIXU_ENOTFOUND || strstr(d.msg, "no schema")) {
			printf("# reader %d: %s\n", i, d.msg);
			return 1;
		}
		(void)usleep(50);
	}
	printf("# reader %d: never found it\n", i);
	return 1;
}

static void
test_create_race(void)
{
	char path[4200];
	struct fixu_store *st;
	DIR *dir;
	struct dirent *de;
	struct fixu_diag d;
	pid_t pids[CR_WRITERS + CR_READERS];
	int r, i, ws, bad = 0, lost = 0, n;

	for (r = 0; r < CR_ROUNDS; r++) {
		newpath(path, sizeof(path));
		for (i = 0; i < CR_WRITERS + CR_READERS; i++) {
			fflush(stdout);
			if ((pids[i] = fork()) == 0) {
				int rc = create_child(path, i);

				fflush(stdout);
				_exit(rc);
			}
		}
		for (i = 0; i < CR_WRITERS + CR_READERS; i++)
			if (pids[i] == -1 || waitpid(pids[i], &ws, 0) !=
			    pids[i] || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
				bad++;
		n = 0;
		if ((st = sopen(path, 0, 1, 0)) != NULL)
			(void)fixu_store_leases(st, (int (*)(const struct
			    fixu_lease *, void *))count_sess, &n, &d);
		fixu_store_close(st);
		if (n != CR_WRITERS)
			lost++;
	}
	is_int(bad, 0, "creation race: %d rounds, %d writers and %d readers "
	    "at once: every open succeeds", CR_ROUNDS, CR_WRITERS, CR_READERS);
	is_int(lost, 0, "  and every writer's lease is in the store");
	/* No temporary name is left behind, and one in the way is skipped. */
	n = 0;
	if ((dir = opendir(tmpdir)) != NULL) {
		while ((de = readdir(dir)) != NULL)
			n += strstr(de->d_name, ".new-") != NULL;
		(void)closedir(dir);
	}
	is_int(n, 0, "  no temporary file left");
	newpath(path, sizeof(path));
	for (i = 0; i < 64; i++) {
		char p2[4400];
		int fd;

		(void)snprintf(p2, sizeof(p2), "%s.new-%ld-%d", path,
		    (long)getpid(), i);
		if ((fd = open(p2, O_WRONLY | O_CREAT, 0644)) != -1)
			(void)close(fd);
	}
	is_int(open_rc(path, 1, 0, &d), 0,
	    "  a creation skips temporary names in the way");
	is_int(pragma_int(path, "PRAGMA user_version"), FIXU_STORE_SCHEMA,
	    "  and the store is whole");
}

static void
test_leases(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_lease l;
	struct fixu_diag d;
	uint64_t t1, t2, t3, t4;
	int n = 0;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	is_int(fixu_store_lease_get(st, "exec", &l, &d), FIXU_ENOTFOUND,
	    "lease never taken: ENOTFOUND");
	is_int(fixu_store_lease_acquire(st, "exec", "node-a", 1000, 100, &l,
	    &d), 0, "acquire free lease");
	t1 = l.token;
	ok(t1 > 0, "  token %llu", (unsigned long long)t1);
	is_str(l.holder, "node-a", "  holder");
	is_int(l.expires_ns, 1100, "  expires");
	memset(&l, 0, sizeof(l));
	is_int(fixu_store_lease_acquire(st, "exec", "node-b", 1050, 100, &l,
	    &d), FIXU_EBUSY, "acquire held lease: EBUSY");
	is_str(l.holder, "node-a", "  out names the holder");
	is_int(l.token, t1, "  and its token");
	is_int(fixu_store_lease_acquire(st, "exec", "node-b", 1100, 100, &l,
	    &d), 0, "acquire at expiry");
	t2 = l.token;
	ok(t2 > t1, "  larger token (%llu > %llu)", (unsigned long long)t2,
	    (unsigned long long)t1);
	is_int(fixu_store_lease_renew(st, "exec", t1, 1150, 100, &d),
	    FIXU_EFENCED, "renew with the old token: EFENCED");
	is_int(fixu_store_lease_renew(st, "exec", t2, 1150, 100, &d), 0,
	    "renew with the current token");
	fixu_store_lease_get(st, "exec", &l, &d);
	is_int(l.expires_ns, 1250, "  expiry moved");
	is_int(l.token, t2, "  token kept");
	is_int(fixu_store_lease_acquire(st, "exec", "node-b", 1160, 100, &l,
	    &d), 0, "same holder re-acquires");
	t3 = l.token;
	ok(t3 > t2, "  with a new, larger token");
	is_int(fixu_store_lease_release(st, "exec", t2, &d), FIXU_EFENCED,
	    "release with a stale token: EFENCED");
	is_int(fixu_store_lease_release(st, "exec", t3, &d), 0, "release");
	fixu_store_lease_get(st, "exec", &l, &d);
	is_str(l.holder, "", "  holder empty");
	is_int(l.token, t3, "  token kept");
	is_int(fixu_store_lease_renew(st, "exec", t3, 1170, 100, &d),
	    FIXU_EFENCED, "renew after release: EFENCED");
	is_int(fixu_store_lease_acquire(st, "exec", "node-a", 1170, 100, &l,
	    &d), 0, "acquire released lease");
	t4 = l.token;
	ok(t4 > t3, "  larger token again");
	is_int(fixu_store_lease_break(st, "exec", &d), 0, "break");
	fixu_store_lease_get(st, "exec", &l, &d);
	ok(l.holder[0] == '\0' && l.token == t4, "  free, token kept");
	is_int(fixu_store_lease_break(st, "nosuch", &d), FIXU_ENOTFOUND,
	    "break unknown lease: ENOTFOUND");
	fixu_store_lease_acquire(st, "other", "x", 0, 5, &l, &d);
	ok(l.token > t4, "tokens grow across lease names too");
	is_int(fixu_store_leases(st, (int (*)(const struct fixu_lease *,
	    void *))count_sess, &n, &d), 0, "list leases");
	is_int(n, 2, "  two");
	is_int(fixu_store_lease_acquire(st, "", "x", 0, 5, &l, &d),
	    FIXU_EINVAL, "empty name: EINVAL");
	is_int(fixu_store_lease_acquire(st, "y", "x", 0, 0, &l, &d),
	    FIXU_EINVAL, "ttl 0: EINVAL");
	fixu_store_close(st);
}

static void
test_fencing(void)
{
	char path[4200];
	struct fixu_store *st, *st2;
	struct fixu_lease l;
	struct fixu_diag d;
	struct fixu_sess s;
	int64_t id;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL ||
	    (st2 = sopen(path, 0, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	fixu_store_lease_acquire(st, "exec", "primary", 0, 1000, &l, &d);
	is_int(fixu_store_fence(st, "exec", l.token), 0, "fence");
	app(st, id, FIXU_DIR_OUT, 1, "A", 0, NULL, 0);
	is_int(fixu_store_commit(st, &d), 0, "commit while holding the lease");
	app(st, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0);
	is_int(fixu_store_lease_acquire(st, "exec", "x", 0, 1, &l, &d),
	    FIXU_EINVAL, "lease call with a batch open: EINVAL");
	fixu_store_rollback(st);
	/* The standby breaks the lease and takes it. */
	fixu_store_lease_break(st2, "exec", &d);
	is_int(fixu_store_lease_acquire(st2, "exec", "standby", 2000, 1000,
	    &l, &d), 0, "another holder takes the lease");
	app(st, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0);
	app(st, id, FIXU_DIR_OUT, 3, "D", 0, NULL, 0);
	is_int(fixu_store_commit(st, &d), FIXU_EFENCED,
	    "deposed writer's commit: EFENCED");
	is_int(fixu_store_pending(st), 0, "  batch dropped");
	s = getsess(st2, id);
	is_int(s.nmsg_all, 1, "  nothing written");
	is_int(s.next_out, 2, "  next_out unchanged");
	fixu_store_lease_break(st2, "exec", &d);
	app(st, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0);
	is_int(fixu_store_commit(st, &d), FIXU_EFENCED,
	    "broken (free) lease with our old token: EFENCED");
	is_int(fixu_store_fence(st, NULL, 0), 0, "fence off");
	app(st, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0);
	is_int(fixu_store_commit(st, &d), 0, "  then commits pass");
	is_int(fixu_store_fence(st, "nosuch", 5), 0, "fence on a lease "
	    "never taken");
	is_int(fixu_store_set_online(st, id, 0, 1, &d), 0, "  write");
	is_int(fixu_store_commit(st, &d), FIXU_EFENCED, "  commit: EFENCED");
	fixu_store_close(st);
	fixu_store_close(st2);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_two_handles(void)
{
	char path[4200];
	struct fixu_store *w, *r, *w2;
	struct fixu_diag d;
	struct fixu_query q;
	double t0, dt;
	int64_t id;
	int rc;

	if ((w = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL ||
	    (r = sopen(path, 0, 1, 0)) == NULL ||
	    (w2 = sopen(path, 0, 0, 150)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(w, "FIX.4.4:EXEC->CLIENT1");
	app(w, id, FIXU_DIR_OUT, 1, "A", 0, NULL, 0);
	fixu_store_commit(w, NULL);
	app(w, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0);
	q = qry(id);
	is_int(count(r, &q), 1, "reader sees only committed data");
	is_int(getsess(r, id).next_out, 2, "  and committed numbers");
	t0 = mono();
	rc = app(w2, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0);
	dt = mono() - t0;
	is_int(rc, FIXU_EBUSY, "second writer: EBUSY after busy_ms");
	ok(dt >= 0.1 && dt < 3, "  waited %.0f ms (busy_ms 150)", dt * 1000);
	is_int(fixu_store_pending(w2), 0, "  no batch left open");
	is_int(fixu_store_commit(w, &d), 0, "first writer commits");
	is_int(count(r, &q), 2, "reader sees it now");
	is_int(app(w2, id, FIXU_DIR_OUT, 3, "D", 0, NULL, 0), 0,
	    "second writer gets in");
	is_int(fixu_store_commit(w2, &d), 0, "  and commits");
	app(w, id, FIXU_DIR_OUT, 4, "D", 0, NULL, 0);
	fixu_store_commit(w, NULL);
	is_int(getsess(r, id).next_out, 5, "writers take turns: next_out 5");
	{
		struct probs p;

		is_int(verify(r, 0, &p), 0, "  chain intact across handles");
	}
	fixu_store_close(w);
	fixu_store_close(r);
	fixu_store_close(w2);
}

static void
test_schema(void)
{
	char path[4200];
	struct fixu_diag d;
	struct fixu_store *st;
	int fd;

	newpath(path, sizeof(path));
	st = sopen(path, 1, 0, 0);
	fixu_store_close(st);
	sql(path, "PRAGMA user_version = 99");
	is_int(open_rc(path, 0, 0, &d), FIXU_ESCHEMA, "newer schema: ESCHEMA");
	{
		char want[64];

		(void)snprintf(want, sizeof(want), "version 99 is newer than "
		    "%d,", FIXU_STORE_SCHEMA);
		ok(strstr(d.msg, want) != NULL,
		    "  message names both versions (%s)", d.msg);
	}
	is_int(open_rc(path, 0, 1, &d), FIXU_ESCHEMA, "  read-only too");

	/* Version 2 had no unsynced table: a reader takes it as it is. */
	sql(path, "DROP TABLE unsynced; PRAGMA user_version = 2");
	is_int(open_rc(path, 0, 1, &d), 0, "version 2: a reader opens it "
	    "(%s)", d.msg);
	is_int(pragma_int(path, "PRAGMA user_version"), 2, "  unchanged");
	is_int(open_rc(path, 0, 0, &d), 0, "  a writer migrates it (%s)",
	    d.msg);
	is_int(pragma_int(path, "PRAGMA user_version"), FIXU_STORE_SCHEMA,
	    "  to version %d", FIXU_STORE_SCHEMA);
	is_int(pragma_int(path, "SELECT writers FROM unsynced"), 0,
	    "  with an unsynced table, no writer counted");
	/* Version 1 had no msglog either, which readers need. */
	sql(path, "DROP TABLE unsynced; DROP TABLE msglog; "
	    "PRAGMA user_version = 1");
	is_int(open_rc(path, 0, 1, &d), FIXU_EREADONLY, "version 1: a reader "
	    "is refused");
	ok(strstr(d.msg, "schema version 1 needs migrating to 3, but the "
	    "store is read-only") != NULL, "  saying why (%s)", d.msg);
	is_int(open_rc(path, 0, 0, &d), 0, "  a writer migrates it (%s)",
	    d.msg);
	is_int(pragma_int(path, "SELECT count(*) FROM msglog, unsynced"), 1,
	    "  to both tables");

	/* An empty database (version 0) gets the schema with create, and
	 * keeps its page size. */
	newpath(path, sizeof(path));
	sql(path, "PRAGMA page_size = 4096; CREATE TABLE unrelated (x)");
	is_int(open_rc(path, 0, 0, &d), FIXU_ENOTFOUND,
	    "database without a schema, no create: ENOTFOUND");
	is_int(open_rc(path, 1, 0, &d), 0, "  with create: migrated");
	st = sopen(path, 0, 0, 0);
	ok(st != NULL && mksess(st, "FIX.4.4:A->B") > 0, "  and usable");
	fixu_store_close(st);
	is_int(pragma_int(path, "PRAGMA page_size"), 4096,
	    "  its 4 KB pages kept");

	newpath(path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		const char junk[] = "this is not a database, just some junk "
		    "text that is long enough to fill a header of 100 bytes "
		    "and a bit more so SQLite reads it";

		(void)!write(fd, junk, sizeof(junk));
		close(fd);
	}
	is_int(open_rc(path, 0, 0, &d), FIXU_ECORRUPT, "junk file: ECORRUPT");
	ok(strstr(d.msg, "not a database") != NULL, "  with SQLite's "
	    "message (%s)", d.msg);
	is_int(open_rc(path, 1, 0, &d), FIXU_ECORRUPT, "  also with create");
}

static void
test_readonly(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_diag d;
	struct fixu_lease l;
	struct fixu_sessid sid;
	struct fixu_query q;
	int64_t id;

	newpath(path, sizeof(path));
	st = sopen(path, 1, 0, 0);
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	app(st, id, FIXU_DIR_OUT, 1, "A", 0, NULL, 0);
	fixu_store_commit(st, NULL);
	fixu_store_close(st);

	if ((st = sopen(path, 0, 1, 0)) == NULL) {
		ok(0, "open read-only");
		return;
	}
	is_int(app(st, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0), FIXU_EREADONLY,
	    "opts.readonly: append EREADONLY");
	fixu_sessid_parse(&sid, "FIX.4.4:EXEC->NEW", 17, NULL);
	is_int(fixu_store_session(st, &sid, 1, NULL, &d), FIXU_EREADONLY,
	    "  create session EREADONLY");
	is_int(fixu_store_reset(st, id, "x", &d), FIXU_EREADONLY,
	    "  reset EREADONLY");
	is_int(fixu_store_lease_acquire(st, "l", "h", 0, 5, &l, &d),
	    FIXU_EREADONLY, "  lease EREADONLY");
	is_int(fixu_store_passwd_clear(st, id, &d), FIXU_EREADONLY,
	    "  credentials EREADONLY");
	q = qry(id);
	is_int(count(st, &q), 1, "  reads work");
	fixu_store_close(st);

	if (geteuid() == 0) {
		ok(1, "# skip chmod 0444 does not stop root");
		return;
	}
	chmod(path, 0444);
	if ((st = sopen(path, 0, 0, 0)) == NULL) {
		ok(0, "open a 0444 file");
		return;
	}
	is_int(app(st, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0), FIXU_EREADONLY,
	    "0444 file: append EREADONLY");
	is_int(count(st, &q), 1, "  reads work");
	fixu_store_close(st);
	chmod(path, 0644);
}

static void
test_passwd(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_diag d;
	double t0, t_user, t_pw;
	int64_t id;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	is_int(getsess(st, id).has_passwd, 0, "no credentials at first");
	is_int(fixu_store_passwd_check(st, id, "any", 3, "thing", 5, &d), 0,
	    "check without credentials: 0");
	is_int(fixu_store_passwd_set(st, id, "client1", "s3cret", 6, &d), 0,
	    "set credentials");
	is_int(getsess(st, id).has_passwd, 1, "  has_passwd");
	is_int(fixu_store_passwd_check(st, id, "client1", 7, "s3cret", 6, &d),
	    0, "right user and password");
	t0 = mono();
	is_int(fixu_store_passwd_check(st, id, "client1", 7, "s3creT", 6, &d),
	    FIXU_EAUTH, "wrong password: EAUTH");
	t_pw = mono() - t0;
	t0 = mono();
	is_int(fixu_store_passwd_check(st, id, "client2", 7, "s3cret", 6, &d),
	    FIXU_EAUTH, "wrong user: EAUTH");
	t_user = mono() - t0;
	printf("# wrong password %.1f ms, wrong user %.1f ms\n", t_pw * 1e3,
	    t_user * 1e3);
	is_int(fixu_store_passwd_check(st, id, "client", 6, "s3cret", 6, &d),
	    FIXU_EAUTH, "prefix of the user: EAUTH");
	is_int(fixu_store_passwd_check(st, id, "client1", 7, "s3cret", 5, &d),
	    FIXU_EAUTH, "prefix of the password: EAUTH");
	is_int(fixu_store_passwd_set(st, id, "", "x", 1, &d), FIXU_EINVAL,
	    "empty user: EINVAL");
	is_int(fixu_store_passwd_check(st, 999, "a", 1, "b", 1, &d),
	    FIXU_ENOTFOUND, "unknown session: ENOTFOUND");
	is_int(fixu_store_passwd_clear(st, id, &d), 0, "clear");
	is_int(getsess(st, id).has_passwd, 0, "  has_passwd 0");
	is_int(fixu_store_passwd_check(st, id, "client1", 7, "nope", 4, &d), 0,
	    "  Logon needs none again");
	fixu_store_close(st);
}

struct nest {
	struct fixu_store	*st;
	int			 outer, inner;
};

static int
nest_sess_inner(const struct fixu_sess *s, void *arg)
{
	(void)s;
	((struct nest *)arg)->inner++;
	return 0;
}

static int
nest_sess(const struct fixu_sess *s, void *arg)
{
	struct nest *n = arg;

	(void)s;
	n->outer++;
	return fixu_store_sessions(n->st, nest_sess_inner, n, NULL);
}

static int
nest_rec_inner(const struct fixu_rec *r, void *arg)
{
	(void)r;
	((struct nest *)arg)->inner++;
	return 0;
}

static int
nest_rec(const struct fixu_rec *r, void *arg)
{
	struct nest *n = arg;
	struct fixu_query q = qry(r->session);

	n->outer++;
	q.dir = r->dir;
	return fixu_store_range(n->st, &q, nest_rec_inner, n, NULL);
}

static void
test_nested(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_query q;
	struct nest n;
	int64_t id;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	mksess(st, "FIX.4.4:EXEC->CLIENT2");
	mksess(st, "FIX.4.4:EXEC->CLIENT3");
	app(st, id, FIXU_DIR_OUT, 1, "A", 0, NULL, 0);
	app(st, id, FIXU_DIR_OUT, 2, "D", 0, NULL, 0);
	app(st, id, FIXU_DIR_IN, 1, "A", 0, NULL, 0);
	fixu_store_commit(st, NULL);
	memset(&n, 0, sizeof(n));
	n.st = st;
	is_int(fixu_store_sessions(st, nest_sess, &n, NULL), 0,
	    "sessions inside a sessions callback");
	ok(n.outer == 3 && n.inner == 9, "  3 outer, 9 inner (%d, %d)",
	    n.outer, n.inner);
	memset(&n, 0, sizeof(n));
	n.st = st;
	q = qry(id);
	is_int(fixu_store_range(st, &q, nest_rec, &n, NULL), 0,
	    "range inside a range callback");
	ok(n.outer == 3 && n.inner == 5, "  3 outer, 5 inner (%d, %d)",
	    n.outer, n.inner);
	fixu_store_close(st);
}

/*
 * Disk full: a file size limit makes SQLite's writes fail part way (it
 * reports SQLITE_FULL for a short write, an I/O error with EFBIG for a
 * refused one; the store maps both to EFULL).  The batch is gone and the
 * store is as before.
 */
static void
test_full(void)
{
	char path[4200], wal[4300];
	struct fixu_store *st;
	struct fixu_diag d;
	struct fixu_sess s;
	struct rlimit old, lim;
	struct probs p;
	struct stat sb;
	int64_t id;
	int i, rc = 0;
	off_t big;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	for (i = 1; i <= 10; i++)
		app(st, id, FIXU_DIR_OUT, (uint64_t)i, "D", 0, NULL, 0);
	fixu_store_commit(st, NULL);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	big = 0;
	if (stat(path, &sb) == 0)
		big = sb.st_size;
	if (stat(wal, &sb) == 0 && sb.st_size > big)
		big = sb.st_size;
	getrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)big + 64 * 1024;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (i = 11; i <= 20000 && rc == 0; i++)
		rc = app(st, id, FIXU_DIR_OUT, (uint64_t)i, "D", 0,
		    "58=some text to make the message longer than it is", 0);
	if (rc == 0)
		rc = fixu_store_commit(st, &d);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	is_int(rc, FIXU_EFULL, "file size limit: EFULL");
	is_int(fixu_store_pending(st), 0, "  batch rolled back");
	s = getsess(st, id);
	is_int(s.nmsg_all, 10, "  nothing of it stored");
	is_int(s.next_out, 11, "  next_out as before");
	is_int(app(st, id, FIXU_DIR_OUT, 11, "D", 0, NULL, 0), 0,
	    "  appends work again");
	is_int(fixu_store_commit(st, &d), 0, "  and commit");
	is_int(verify(st, 0, &p), 0, "  verify: consistent");
	fixu_store_close(st);
}

/* A damaged page: found when read, not at open (open reads no table). */
static void
test_damaged(void)
{
	char path[4200];
	struct fixu_store *st;
	struct fixu_query q;
	struct fixu_diag d;
	struct probs p;
	char junk[4096];
	int64_t id;
	int fd, i, rc;

	if ((st = sopen(newpath(path, sizeof(path)), 1, 0, 0)) == NULL) {
		ok(0, "open");
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	for (i = 1; i <= 300; i++)
		app(st, id, FIXU_DIR_OUT, (uint64_t)i, "D", 0, NULL, 0);
	fixu_store_commit(st, NULL);
	fixu_store_close(st);
	/* Checkpoint into the main file, then scribble on its second half:
	 * leaves of the messages and their indexes, not the schema (open
	 * reads it) at the start. */
	sql(path, "PRAGMA wal_checkpoint(TRUNCATE)");
	memset(junk, 0x5a, sizeof(junk));
	if ((fd = open(path, O_WRONLY)) >= 0) {
		off_t end = lseek(fd, 0, SEEK_END);

		for (off_t o = end / 2; o + 4096 <= end; o += 4096)
			(void)!pwrite(fd, junk, sizeof(junk), o);
		close(fd);
	}
	st = sopen(path, 0, 0, 0);
	ok(st != NULL, "damaged store still opens (no scan at open)");
	if (st == NULL)
		return;
	q = qry(id);
	{
		struct coll *c = calloc(1, sizeof(*c));

		rc = fixu_store_range(st, &q, collect, c, &d);
		free(c);
	}
	if (rc == 0)
		rc = verify(st, 0, &p) == 1000 ? FIXU_ECORRUPT : 0;
	is_int(rc, FIXU_ECORRUPT, "reading damaged pages: ECORRUPT (%s)",
	    d.msg);
	fixu_store_close(st);
}

/* The WAL header's checkpoint sequence: one more at every restart. */
static long
wal_seq(const char *db)
{
	char p[4300];
	unsigned char h[16];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s-wal", db);
	if ((f = fopen(p, "rb")) == NULL)
		return -1;
	n = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (n != sizeof(h))
		return -1;
	return (long)h[12] << 24 | (long)h[13] << 16 | (long)h[14] << 8 |
	    (long)h[15];
}

static long long
file_size(const char *db, const char *sfx)
{
	char p[4300];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", db, sfx);
	return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

/*
 * The default VFS, counting the syncs of main database files made by any
 * thread but the test's own: the checkpointer's.  Each unix file keeps
 * its object; only its method table is swapped for a copy whose xSync
 * counts.
 */
static sqlite3_vfs cnt_vfs;
static sqlite3_vfs *cnt_real;
static sqlite3_io_methods cnt_io;
static const sqlite3_io_methods *cnt_io_real;
static pthread_t cnt_main;
static int cnt_ckpt_syncs;

static int
cnt_sync(sqlite3_file *f, int flags)
{
	if (!pthread_equal(pthread_self(), cnt_main))
		__atomic_add_fetch(&cnt_ckpt_syncs, 1, __ATOMIC_RELAXED);
	return cnt_io_real->xSync(f, flags);
}

static int
cnt_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	int rc = cnt_real->xOpen(cnt_real, name, f, flags, out);

	(void)v;
	if (rc != SQLITE_OK || f->pMethods == NULL ||
	    !(flags & SQLITE_OPEN_MAIN_DB))
		return rc;
	if (cnt_io_real == NULL) {
		cnt_io_real = f->pMethods;
		cnt_io = *f->pMethods;
		cnt_io.xSync = cnt_sync;
	}
	if (f->pMethods == cnt_io_real)
		f->pMethods = &cnt_io;
	return rc;
}

static void
cnt_install(void)
{
	if ((cnt_real = sqlite3_vfs_find(NULL)) == NULL)
		return;
	cnt_vfs = *cnt_real;
	cnt_vfs.zName = "fixu-test-count";
	cnt_vfs.pNext = NULL;
	cnt_vfs.xOpen = cnt_open;
	cnt_main = pthread_self();
	(void)sqlite3_vfs_register(&cnt_vfs, 1);
}

static void
test_checkpointer(void)
{
	char path[4200];
	struct fixu_store_opts o;
	struct fixu_store *st = NULL;
	struct fixu_diag d;
	struct timespec nap = { 0, 150000000L };
	long long sz, max = 0;
	long s0, s1;
	int64_t id;
	uint64_t i;
	int bad = 0, syncs;

	memset(&o, 0, sizeof(o));
	o.path = newpath(path, sizeof(path));
	o.create = 1;
	o.durability = FIXU_DUR_NORMAL;
	o.bg_checkpoint = 1;
	o.wal_frames = 4096;
	if (fixu_store_open(&st, &o, &d) < 0) {
		ok(0, "open: %s", d.msg);
		return;
	}
	id = mksess(st, "FIX.4.4:EXEC->CLIENT1");
	for (i = 1; i <= 300; i++) {
		app(st, id, FIXU_DIR_OUT, i, "D", 0, NULL, 0);
		bad |= fixu_store_commit(st, NULL) != 0;
	}
	s0 = wal_seq(path);
	nanosleep(&nap, NULL);
	app(st, id, FIXU_DIR_OUT, i++, "D", 0, NULL, 0);
	bad |= fixu_store_commit(st, NULL) != 0;
	s1 = wal_seq(path);
	ok(s0 >= 0 && s1 > s0, "the checkpointer copies the WAL and a commit "
	    "after a pause starts it again (sequence %ld, then %ld)", s0, s1);
	/* Without a pause: the writer catches up at 4,096 frames (o.wal_frames),
	 * between commits. */
	syncs = __atomic_load_n(&cnt_ckpt_syncs, __ATOMIC_RELAXED);
	for (; i <= 30000 && !bad; i++) {
		app(st, id, FIXU_DIR_OUT, i, "D", 0, NULL, 0);
		bad |= fixu_store_commit(st, NULL) != 0;
		fixu_store_maintain(st);
		if (i % 500 == 0 && (sz = file_size(path, "-wal")) > max)
			max = sz;
	}
	ok(!bad, "30,000 commits");
	ok(max > 0 && max < 16384LL * 4120, "  the WAL stays under 16,384 "
	    "frames under steady load (largest %lld bytes)", max);
	/* Each pass that stops short of the WAL's end syncs the database, so
	 * that the writer's catch-up has only its own pages to sync. */
	syncs = __atomic_load_n(&cnt_ckpt_syncs, __ATOMIC_RELAXED) - syncs;
	ok(cnt_io_real != NULL && syncs >= 3, "  the checkpointer syncs the "
	    "database after its passes (%d syncs)", syncs);
	is_int(getsess(st, id).next_out, 30001, "  and holds every message");
	fixu_store_close(st);
}

static void
rmtree(void)
{
	char p[4200];
	int i;

	for (i = 1; i <= nfile; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm",
		    "-journal" };
		size_t k;

		for (k = 0; k < 4; k++) {
			if (snprintf(p, sizeof(p), "%s/t%d.db%s", tmpdir, i,
			    sfx[k]) < (int)sizeof(p))
				unlink(p);
		}
	}
	rmdir(tmpdir);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");
	int r;

	r = snprintf(tmpdir, sizeof(tmpdir), "%s/test_store.XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp");
	if (r < 0 || (size_t)r >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	cnt_install();
	test_sessid();
	test_open();
	test_create_race();
	test_sessions();
	test_append();
	test_reset();
	test_range();
	test_verify();
	test_purge();
	test_leases();
	test_fencing();
	test_two_handles();
	test_schema();
	test_readonly();
	test_passwd();
	test_nested();
	test_full();
	test_damaged();
	test_checkpointer();
	rmtree();
	return tap_done();
}
