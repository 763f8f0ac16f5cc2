/*
 * store.c -- what the session store costs: fsyncs, appends, dumps, opens.
 *
 *   store [-d DIR] [-t SECONDS] [-g GROUP] [-D N] [-S SESSIONS] [-M N]
 *         [-p parts]
 *
 * Parts (comma list, default all): fsync, one, group, dump, open.
 *   fsync  the disk's own rate: append 256 bytes and fdatasync(2) one file
 *          in DIR, for SECONDS; fsyncs per second.
 *   one    fixu_store_append + fixu_store_commit per message, FULL
 *          durability, for SECONDS (goal: >= 0.9 x the fsync rate).
 *   group  GROUP appends per commit, FULL, then NORMAL (goal: >= 50,000
 *          durable messages per second).
 *   dump   fixu_store_range over a session of D stored messages, kept in
 *          DIR/store-dump.db (made once); best of 3 (goal: >= 500,000/s).
 *   open   fixu_store_open + fixu_store_sessions on DIR/store-10m.db, a
 *          store of M messages in SESSIONS sessions, generated once with
 *          big NORMAL commits (its generation time is reported); best of 5
 *          (goal: < 50 ms).
 * Stores are made fresh for fsync/one/group.  The messages are realistic
 * FIX.4.4: a NewOrderSingle out and an ExecutionReport in, about 200 bytes
 * each, built with the codec builder.  Output: key=value lines on stdout
 * for bench/run.sh; progress of the long generations on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "store.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void	fail(const char *, int, const struct fixu_diag *)
		    __attribute__((noreturn));

static void
fail(const char *what, int rc, const struct fixu_diag *d)
{
	char buf[300];

	if (d != NULL && d->code != 0)
		fprintf(stderr, "store: %s: %s\n", what,
		    fixu_diag_fmt(d, buf, sizeof(buf)));
	else
		fprintf(stderr, "store: %s: %s\n", what, fixu_strerror(rc));
	exit(3);
}

struct gen {
	struct fixu_builder	b;
	struct fixu_msg		m;
	uint64_t		n;
};

/*
 * Message number i of a session: even i an outbound NewOrderSingle, odd i
 * the inbound ExecutionReport that fills it.  rec views g's builder.
 */
static void
make(struct gen *g, const struct fixu_sessid *sid, int64_t session,
    uint64_t seq, int dir, struct fixu_rec *rec)
{
	static const char *sym[] = { "MSFT", "IBM", "AAPL", "ORCL", "VOD.L" };
	struct timespec ts;
	struct fixu_str out;
	char id[32], px[32];
	int rc = 0, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(id, sizeof(id), "ORD%08llu", (unsigned long long)seq);
	if (n < 0 || (size_t)n >= sizeof(id))
		fail("snprintf", FIXU_ELIMIT, NULL);
	n = snprintf(px, sizeof(px), "%llu.%02llu",
	    (unsigned long long)(100 + seq % 400),
	    (unsigned long long)(seq % 100));
	if (n < 0 || (size_t)n >= sizeof(px))
		fail("snprintf", FIXU_ELIMIT, NULL);
	rc |= fixu_build_begin(&g->b, sid->begin, strlen(sid->begin),
	    FIXU_SOH);
	rc |= fixu_build_add_str(&g->b, 35, dir == FIXU_DIR_OUT ? "D" : "8");
	rc |= fixu_build_add_str(&g->b, 49, dir == FIXU_DIR_OUT ?
	    sid->sender : sid->target);
	rc |= fixu_build_add_str(&g->b, 56, dir == FIXU_DIR_OUT ?
	    sid->target : sid->sender);
	rc |= fixu_build_add_u64(&g->b, 34, seq);
	rc |= fixu_build_add_time(&g->b, 52, &ts, 6);
	if (dir == FIXU_DIR_OUT) {
		rc |= fixu_build_add_str(&g->b, 11, id);
		rc |= fixu_build_add_str(&g->b, 1, "ACCT-0042");
		rc |= fixu_build_add_str(&g->b, 21, "1");
		rc |= fixu_build_add_str(&g->b, 55, sym[seq % 5]);
		rc |= fixu_build_add_str(&g->b, 54, seq % 3 ? "1" : "2");
		rc |= fixu_build_add_time(&g->b, 60, &ts, 6);
		rc |= fixu_build_add_u64(&g->b, 38, 100 * (1 + seq % 50));
		rc |= fixu_build_add_str(&g->b, 40, "2");
		rc |= fixu_build_add_str(&g->b, 44, px);
		rc |= fixu_build_add_str(&g->b, 59, "0");
		rc |= fixu_build_add_str(&g->b, 207, "XNAS");
	} else {
		rc |= fixu_build_add_str(&g->b, 37, id + 3);
		rc |= fixu_build_add_u64(&g->b, 17, seq * 7 + 1);
		rc |= fixu_build_add_str(&g->b, 11, id);
		rc |= fixu_build_add_str(&g->b, 150, "F");
		rc |= fixu_build_add_str(&g->b, 39, "2");
		rc |= fixu_build_add_str(&g->b, 55, sym[seq % 5]);
		rc |= fixu_build_add_str(&g->b, 54, seq % 3 ? "1" : "2");
		rc |= fixu_build_add_u64(&g->b, 38, 100 * (1 + seq % 50));
		rc |= fixu_build_add_u64(&g->b, 32, 100 * (1 + seq % 50));
		rc |= fixu_build_add_str(&g->b, 31, px);
		rc |= fixu_build_add_str(&g->b, 151, "0");
		rc |= fixu_build_add_u64(&g->b, 14, 100 * (1 + seq % 50));
		rc |= fixu_build_add_str(&g->b, 6, px);
	}
	if (rc != 0 || (rc = fixu_build_finish(&g->b, &out)) != 0)
		fail("build", rc ? rc : FIXU_EINVAL, NULL);
	memset(rec, 0, sizeof(*rec));
	rec->session = session;
	rec->dir = dir;
	rec->seq = seq;
	rec->time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	rec->msgtype.p = dir == FIXU_DIR_OUT ? "D" : "8";
	rec->msgtype.n = 1;
	rec->raw = out;
	g->n += out.n;
}

static struct fixu_store *
open_store(const char *path, int dur, int fresh)
{
	struct fixu_store_opts o;
	struct fixu_store *st;
	struct fixu_diag d;
	char wal[4200];
	int rc;

	if (fresh) {
		unlink(path);
		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.durability = dur;
	o.create = 1;
	fixu_diag_clear(&d);
	if ((rc = fixu_store_open(&st, &o, &d)) != 0)
		fail(path, rc, &d);
	return st;
}

static int64_t
session(struct fixu_store *st, const char *sender, const char *target,
    struct fixu_sessid *sid)
{
	struct fixu_sess s;
	struct fixu_diag d;
	int rc;

	memset(sid, 0, sizeof(*sid));
	snprintf(sid->begin, sizeof(sid->begin), "FIX.4.4");
	snprintf(sid->sender, sizeof(sid->sender), "%s", sender);
	snprintf(sid->target, sizeof(sid->target), "%s", target);
	fixu_diag_clear(&d);
	if ((rc = fixu_store_session(st, sid, 1, &s, &d)) != 0)
		fail("session", rc, &d);
	if (fixu_store_pending(st) > 0 && (rc = fixu_store_commit(st, &d)))
		fail("commit", rc, &d);
	return s.id;
}

/* ---- fsync ------------------------------------------------------------------ */

static double
fsync_rate(const char *dir, double secs)
{
	char path[4200], blk[256];
	double t0, t;
	long n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/fsync.tmp", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		perror(path);
		exit(5);
	}
	memset(blk, 'x', sizeof(blk));
	t0 = mono();
	do {
		if (write(fd, blk, sizeof(blk)) != (ssize_t)sizeof(blk) ||
		    fdatasync(fd) != 0) {
			perror(path);
			exit(5);
		}
		n++;
		t = mono();
	} while (t - t0 < secs);
	close(fd);
	unlink(path);
	return n / (t - t0);
}

/* ---- appends -------------------------------------------------------------- */

/* Append for secs (at least min_commits commits), group per commit. */
static double
append_rate(const char *path, int dur, int group, double secs,
    int min_commits, uint64_t *nmsg, double *bytes_per_msg)
{
	struct fixu_store *st = open_store(path, dur, 1);
	struct fixu_sessid sid;
	struct fixu_diag d;
	struct fixu_rec rec;
	struct gen g;
	uint64_t seq[2] = { 1, 1 }, n = 0;
	int64_t sess;
	double t0, t;
	int rc, i, commits = 0;

	memset(&g, 0, sizeof(g));
	fixu_build_init(&g.b);
	sess = session(st, "CLIENT1", "EXEC", &sid);
	t0 = mono();
	do {
		for (i = 0; i < group; i++) {
			int dir = (int)(n & 1) ? FIXU_DIR_IN : FIXU_DIR_OUT;

			make(&g, &sid, sess, seq[dir]++, dir, &rec);
			fixu_diag_clear(&d);
			if ((rc = fixu_store_append(st, &rec, &d)) != 0)
				fail("append", rc, &d);
			n++;
		}
		if ((rc = fixu_store_commit(st, &d)) != 0)
			fail("commit", rc, &d);
		commits++;
		t = mono();
	} while (t - t0 < secs || commits < min_commits);
	fixu_store_close(st);
	fixu_build_fini(&g.b);
	*nmsg = n;
	*bytes_per_msg = (double)g.n / (double)n;
	return n / (t - t0);
}

/* ---- generation of big stores ------------------------------------------ */

struct count {
	uint64_t	n;
	uint64_t	msgs;
	uint64_t	bytes;
	int64_t		first_id;
};

static int
count_sess(const struct fixu_sess *s, void *arg)
{
	struct count *c = arg;

	if (c->n == 0)
		c->first_id = s->id;
	c->n++;
	c->msgs += s->nmsg_in + s->nmsg_out;
	return 0;
}

/*
 * Fill path with nsess sessions of per messages each (half out, half in),
 * in commits of about 20,000; unless a store of that shape is there.
 * Returns the seconds it took, 0 when reused.
 */
static double
generate(const char *path, uint64_t nsess, uint64_t per)
{
	struct fixu_store *st;
	struct fixu_sessid sid;
	struct fixu_diag d;
	struct fixu_rec rec;
	struct count c;
	struct stat sb;
	struct gen g;
	char snd[32], tgt[32], tmp[4200];
	uint64_t s, i, seq[2], done = 0, total = nsess * per;
	int64_t sess;
	double t0, last = 0;
	int rc, tty = isatty(2);

	if (stat(path, &sb) == 0) {
		st = open_store(path, FIXU_DUR_NORMAL, 0);
		memset(&c, 0, sizeof(c));
		fixu_diag_clear(&d);
		rc = fixu_store_sessions(st, count_sess, &c, &d);
		fixu_store_close(st);
		if (rc == 0 && c.n == nsess && c.msgs == total)
			return 0;
	}
	/* Build beside and rename: an interrupted run leaves no half store. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	st = open_store(tmp, FIXU_DUR_NORMAL, 1);
	memset(&g, 0, sizeof(g));
	fixu_build_init(&g.b);
	t0 = mono();
	for (s = 0; s < nsess; s++) {
		snprintf(snd, sizeof(snd), "EXEC%04llu",
		    (unsigned long long)s);
		snprintf(tgt, sizeof(tgt), "CLIENT%04llu",
		    (unsigned long long)s);
		sess = session(st, snd, tgt, &sid);
		seq[0] = seq[1] = 1;
		for (i = 0; i < per; i++) {
			int dir = (i & 1) ? FIXU_DIR_IN : FIXU_DIR_OUT;

			make(&g, &sid, sess, seq[dir]++, dir, &rec);
			fixu_diag_clear(&d);
			if ((rc = fixu_store_append(st, &rec, &d)) != 0)
				fail("append", rc, &d);
			if (fixu_store_pending(st) >= 20000 &&
			    (rc = fixu_store_commit(st, &d)) != 0)
				fail("commit", rc, &d);
		}
		done += per;
		if (tty && mono() - last > 0.5) {
			last = mono();
			fprintf(stderr, "\rstore: generating %s: %llu%%  ",
			    path, (unsigned long long)(100 * done / total));
		}
	}
	fixu_diag_clear(&d);
	if (fixu_store_pending(st) > 0 && (rc = fixu_store_commit(st, &d)))
		fail("commit", rc, &d);
	fixu_store_close(st);
	fixu_build_fini(&g.b);
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (rename(tmp, path) != 0) {
		perror(path);
		exit(5);
	}
	/* A clean close checkpoints; drop leftovers of the temporary name. */
	snprintf(tmp, sizeof(tmp), "%s.tmp-wal", path);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s.tmp-shm", path);
	unlink(tmp);
	return mono() - t0;
}

/* ---- dump ------------------------------------------------------------------- */

struct sink {
	uint64_t	n, bytes;
	unsigned	x;
};

static int
dump_cb(const struct fixu_rec *r, void *arg)
{
	struct sink *k = arg;

	k->n++;
	k->bytes += r->raw.n;
	/* Touch the bytes, as a dump writing them out would. */
	k->x += (unsigned char)r->raw.p[r->raw.n - 1] + r->raw.p[r->raw.n / 2];
	return 0;
}

/* ---- open ------------------------------------------------------------------- */

static int
nop_sess(const struct fixu_sess *s, void *arg)
{
	(*(uint64_t *)arg) += (uint64_t)s->id;
	return 0;
}

static int
want(const char *parts, const char *p)
{
	size_t n = strlen(p);
	const char *s = parts;

	if (parts == NULL)
		return 1;
	while ((s = strstr(s, p)) != NULL) {
		if ((s == parts || s[-1] == ',') &&
		    (s[n] == '\0' || s[n] == ','))
			return 1;
		s += n;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: store [-d dir] [-t seconds] [-g group] "
	    "[-D n] [-S sessions] [-M n] [-p parts]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *dir = "build/bench", *parts = NULL;
	double secs = 2, fs = 0, r, bpm, t0, t, best;
	uint64_t dump_n = 1000000, nsess = 1000, big = 10000000, n;
	char path[4200];
	int group = 1000, c, i;

	while ((c = getopt(argc, argv, "d:t:g:D:S:M:p:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 't': secs = strtod(optarg, NULL); break;
		case 'g': group = (int)strtol(optarg, NULL, 10); break;
		case 'D': dump_n = strtoull(optarg, NULL, 10); break;
		case 'S': nsess = strtoull(optarg, NULL, 10); break;
		case 'M': big = strtoull(optarg, NULL, 10); break;
		case 'p': parts = optarg; break;
		default: usage();
		}
	}
	if (secs <= 0 || group < 1 || dump_n < 2 || nsess < 1 ||
	    big < nsess)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (want(parts, "fsync")) {
		fs = fsync_rate(dir, secs);
		printf("fsync_per_s=%.0f\n", fs);
	}
	if (want(parts, "one")) {
		snprintf(path, sizeof(path), "%s/store-one.db", dir);
		r = append_rate(path, FIXU_DUR_FULL, 1, secs, 20, &n, &bpm);
		printf("one_full_per_s=%.0f\none_full_n=%llu\n"
		    "msg_bytes=%.0f\n", r, (unsigned long long)n, bpm);
		if (fs > 0)
			printf("ratio_one_fsync=%.2f\n", r / fs);
	}
	if (want(parts, "group")) {
		snprintf(path, sizeof(path), "%s/store-group.db", dir);
		r = append_rate(path, FIXU_DUR_FULL, group, secs, 10, &n,
		    &bpm);
		printf("group=%d\ngroup_full_per_s=%.0f\ngroup_full_n=%llu\n",
		    group, r, (unsigned long long)n);
		r = append_rate(path, FIXU_DUR_NORMAL, group, secs, 10, &n,
		    &bpm);
		printf("group_normal_per_s=%.0f\ngroup_normal_n=%llu\n", r,
		    (unsigned long long)n);
		r = append_rate(path, FIXU_DUR_NORMAL, 1, secs, 20, &n, &bpm);
		printf("one_normal_per_s=%.0f\n", r);
	}
	if (want(parts, "dump")) {
		struct fixu_store *st;
		struct fixu_query q;
		struct fixu_diag d;
		struct count cn;
		struct sink k;
		int rc;

		snprintf(path, sizeof(path), "%s/store-dump.db", dir);
		t = generate(path, 1, dump_n);
		printf("dump_gen_s=%.1f\n", t);
		st = open_store(path, FIXU_DUR_NORMAL, 0);
		memset(&cn, 0, sizeof(cn));
		fixu_diag_clear(&d);
		if ((rc = fixu_store_sessions(st, count_sess, &cn, &d)) != 0)
			fail("sessions", rc, &d);
		best = 0;
		for (i = 0; i < 3; i++) {
			memset(&q, 0, sizeof(q));
			q.session = cn.first_id;
			q.epoch = -1;
			q.dir = -1;
			memset(&k, 0, sizeof(k));
			t0 = mono();
			if ((rc = fixu_store_range(st, &q, dump_cb, &k, &d)) <
			    0)
				fail("range", rc, &d);
			t = mono() - t0;
			if (best == 0 || t < best)
				best = t;
		}
		fixu_store_close(st);
		printf("dump_n=%llu\ndump_bytes=%llu\ndump_s=%.3f\n"
		    "dump_per_s=%.0f\ndump_session=FIX.4.4:EXEC0000->"
		    "CLIENT0000\ndump_db=%s\n", (unsigned long long)k.n,
		    (unsigned long long)k.bytes, best, k.n / best, path);
		if (k.x == 1)
			printf("#\n");
	}
	if (want(parts, "open")) {
		struct fixu_store_opts o;
		struct fixu_store *st;
		struct fixu_diag d;
		uint64_t sum;
		int rc;

		snprintf(path, sizeof(path), "%s/store-10m.db", dir);
		t = generate(path, nsess, big / nsess);
		printf("open_gen_s=%.1f\nopen_msgs=%llu\nopen_sessions=%llu\n",
		    t, (unsigned long long)(big / nsess * nsess),
		    (unsigned long long)nsess);
		best = 0;
		for (i = 0; i < 5; i++) {
			memset(&o, 0, sizeof(o));
			o.path = path;
			o.durability = FIXU_DUR_FULL;
			sum = 0;
			fixu_diag_clear(&d);
			t0 = mono();
			if ((rc = fixu_store_open(&st, &o, &d)) != 0)
				fail(path, rc, &d);
			if ((rc = fixu_store_sessions(st, nop_sess, &sum,
			    &d)) != 0)
				fail("sessions", rc, &d);
			t = mono() - t0;
			fixu_store_close(st);
			if (best == 0 || t < best)
				best = t;
		}
		printf("open_ms=%.2f\n", best * 1e3);
	}
	return 0;
}
