/*
 * msglog.c -- the store's message log (StoreLog=Y); see msglog_int.h.
 *
 * The file is a ring.  The writer appends records of its generation from
 * the header on; once it is LOG_WRAP bytes in and the mover has moved (and
 * made durable) half of that, it begins the next generation at the header
 * again; until then the file grows.  Records of the generation before stay
 * readable to the mover where they are: the writer never writes past the
 * durable position of a generation the mover has not finished.  So at any
 * moment the records not yet in the database are those of the mover's
 * generation from its position on, then those of the next generation from
 * the header: replay reads exactly that.
 *
 * The writer (the store's thread) and the mover share no lock: each
 * publishes its position in one atomic word, generation and offset, and
 * reads the other's.  A commit never waits for the mover, which runs at
 * SCHED_IDLE so that it takes only CPU time the sessions leave.  mmu
 * serialises moving (the thread, a drain, a replay).
 *
 * A record (little-endian):
 *	0  u32 magic "FLRX"	4  u32 length of the whole record
 *	8  u64 generation	16 i64 session	24 u64 MsgSeqNum
 *	32 i64 time_ns		40 u32 epoch	44 u32 raw length
 *	48 u16 MsgType length	50 u8 dir	51 u8 flags
 *	52 hash[32]		84 MsgType, raw, BLAKE2b-128 of all before
 * flags: 1 PossDup, 2 last record of its commit.  Only whole commits are
 * replayed; a commit cut short by a crash was never reported committed.
 */
#define _GNU_SOURCE	/* SCHED_IDLE */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fixlimits.h"
#include "lease.h"
#include "msglog_int.h"
#include "store_int.h"

#define HDR_LEN		32
#define HDR_MAGIC	"FIXULOG\n"
#define LOG_VERSION	1
#define REC_MAGIC	0x58524c46u	/* "FLRX" */
#define REC_FIXED	84
#define SUM_LEN		16
#define REC_MAX		(REC_FIXED + 64 + FIXU_MAX_MSG + SUM_LEN)
#define F_POSSDUP	1
#define F_END		2
/*
 * The mover falls behind for a while now and then (it runs at idle
 * priority; it flushes); the writer goes on, at 10,000 orders/s about
 * 7 MB a second.  Wrapping only with half the ring durable leaves it 16 MB
 * to write before it would reach the mover and wait.  With a 4 MB ring,
 * wrapping at the first durable byte, it did while the mover's commits
 * checkpointed (they no longer do, store.c): p99.9 76 ms over 30 s.
 */
#define LOG_WRAP	(32u << 20)	/* start a generation again after */
#define LOG_MAX		(256u << 20)	/* commits fail past this */
#define MOVE_MS		5		/* the thread moves this often */
#define MOVE_BYTES	(1u << 20)	/* read and applied at a time */
#define LOG_BOOST	(16u << 20)	/* behind by this: normal priority */
#define LULL_BYTES	(4u << 10)	/* a move of no more is in a lull */
#define LULL_NS		100000000L	/* after this long of such moves */
#define FLUSH_LULL_NS	1000000000L	/* in a lull, flush after this */
#define FLUSH_MAX_NS	10000000000L	/* and anyway after this */

uint32_t fixu_mlog_wrap = LOG_WRAP;

struct fixu_mlog {
	char		*path;
	int		 fd;
	int		 sync;
	/* The writer's. */
	uint64_t	 wgen, woff;	/* next record's generation, offset */
	/* Atomic: pub(generation, offset). */
	uint64_t	 wpub;		/* the writer's, after its last commit */
	uint64_t	 mpub;		/* the mover's: durable in the database
					   up to here */
	uint64_t	 prev_end;	/* end of generation wgen - 1 */
	int		 failed;	/* the log itself is damaged */
	pthread_mutex_t	 emu;		/* why */
	char		 why[200];	/* the mover's last failure */
	/* The mover's, under mmu. */
	pthread_mutex_t	 mmu;
	uint64_t	 mgen, mpos;	/* moved up to here */
	uint64_t	 dpos;		/* of that, durable */
	fixu_mlog_apply_fn apply;
	fixu_mlog_flush_fn flush;
	void		*arg;
	uint8_t		*rbuf;
	size_t		 rcap;
	struct fixu_rec	*recs;
	size_t		 nrec;
	uint64_t	 unflushed;	/* bytes moved since the last flush */
	int64_t		 busy_ns;	/* mono: the last move of more than
					   LULL_BYTES */
	int64_t		 flush_ns;	/* mono: the last flush */
	/* The thread. */
	pthread_t	 th;
	pthread_cond_t	 cv;
	int		 started, stop;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t
get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* A generation (mod 2^32: only equality is asked) and an offset (under
   LOG_MAX) in one word. */
static uint64_t
pub(uint64_t gen, uint64_t off)
{
	return (gen & 0xffffffffu) << 32 | (off & 0xffffffffu);
}

static void
checksum(uint8_t *out, const uint8_t *p, size_t n)
{
	crypto_generichash(out, SUM_LEN, p, n, NULL, 0);
}

/* STORE-log, the log of the store at dbpath, into buf; FIXU_ELIMIT. */
static int
log_path(char *buf, size_t n, const char *dbpath)
{
	int r = snprintf(buf, n, "%s-log", dbpath);

	return r < 0 || (size_t)r >= n ? FIXU_ELIMIT : 0;
}

int
fixu_mlog_encode(struct fixu_buf *b, const struct fixu_rec *r)
{
	size_t len = REC_FIXED + r->msgtype.n + r->raw.n + SUM_LEN;
	uint8_t *p;
	int rc;

	if (r->msgtype.n > 64 || r->raw.n > FIXU_MAX_MSG)
		return FIXU_ELIMIT;
	if ((rc = fixu_buf_reserve(b, len)) < 0)
		return rc;
	p = (uint8_t *)b->p + b->len;
	put32(p, REC_MAGIC);
	put32(p + 4, (uint32_t)len);
	put64(p + 8, 0);		/* the generation, at commit */
	put64(p + 16, (uint64_t)r->session);
	put64(p + 24, r->seq);
	put64(p + 32, (uint64_t)r->time_ns);
	put32(p + 40, r->epoch);
	put32(p + 44, (uint32_t)r->raw.n);
	put16(p + 48, (uint16_t)r->msgtype.n);
	p[50] = (uint8_t)r->dir;
	p[51] = r->possdup ? F_POSSDUP : 0;
	memcpy(p + 52, r->hash, FIXU_HASHLEN);
	if (r->msgtype.n > 0)
		memcpy(p + REC_FIXED, r->msgtype.p, r->msgtype.n);
	if (r->raw.n > 0)
		memcpy(p + REC_FIXED + r->msgtype.n, r->raw.p, r->raw.n);
	b->len += len;
	return 0;
}

/* The fields of an encoded record at p into r (pointing into p). */
static void
fields(const uint8_t *p, struct fixu_rec *r)
{
	size_t mt = get16(p + 48);

	memset(r, 0, sizeof(*r));
	r->session = (int64_t)get64(p + 16);
	r->seq = get64(p + 24);
	r->time_ns = (int64_t)get64(p + 32);
	r->epoch = get32(p + 40);
	r->dir = p[50];
	r->possdup = (p[51] & F_POSSDUP) != 0;
	memcpy(r->hash, p + 52, FIXU_HASHLEN);
	r->msgtype.p = (const char *)p + REC_FIXED;
	r->msgtype.n = mt;
	r->raw.p = (const char *)p + REC_FIXED + mt;
	r->raw.n = get32(p + 44);
}

int
fixu_mlog_each(const struct fixu_buf *b,
    int (*fn)(void *, const struct fixu_rec *, struct fixu_diag *),
    void *arg, struct fixu_diag *d)
{
	const uint8_t *p = (const uint8_t *)b->p;
	struct fixu_rec r;
	size_t off;
	int rc;

	for (off = 0; off < b->len; off += get32(p + off + 4)) {
		fields(p + off, &r);
		if ((rc = fn(arg, &r, d)) < 0)
			return rc;
	}
	return 0;
}

/*
 * The record at p (avail bytes there) of generation gen, into r (pointing
 * into p).  1: a record, *len its length; 0: cut short (not all of it is
 * there); -1: not a record of gen, or damaged.
 */
static int
decode(const uint8_t *p, size_t avail, uint64_t gen, struct fixu_rec *r,
    size_t *len, int *end)
{
	uint8_t sum[SUM_LEN];
	size_t n, mt, raw;

	if (avail < 8)
		return 0;
	n = get32(p + 4);
	if (get32(p) != REC_MAGIC || n < REC_FIXED + SUM_LEN || n > REC_MAX)
		return -1;
	if (avail < n)
		return 0;
	if (get64(p + 8) != gen)
		return -1;
	mt = get16(p + 48);
	raw = get32(p + 44);
	if (REC_FIXED + mt + raw + SUM_LEN != n || mt > 64 || p[50] > 1)
		return -1;
	checksum(sum, p, n - SUM_LEN);
	if (sodium_memcmp(sum, p + n - SUM_LEN, SUM_LEN) != 0)
		return -1;
	fields(p, r);
	*len = n;
	*end = (p[51] & F_END) != 0;
	return 1;
}

static int
sys_err(struct fixu_diag *d, int e, const char *what, const char *path)
{
	return fixu_diag_set(d, e == ENOSPC || e == EDQUOT ? FIXU_EFULL :
	    e == ENOMEM ? FIXU_ENOMEM : FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "%s: %s: %s", path, what, strerror(e));
}

static int
pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *q = p;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, q, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		q += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int
fixu_mlog_open(struct fixu_mlog **mp, const char *dbpath, int create,
    int sync, struct fixu_diag *d)
{
	struct fixu_mlog *m;
	uint8_t hdr[HDR_LEN];
	char path[4096];
	struct stat sb;
	ssize_t r;
	int rc, tries;

	*mp = NULL;
	if (log_path(path, sizeof(path), dbpath) != 0)
		return fixu_diag_set(d, FIXU_ELIMIT, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: path too long for its log", dbpath);
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL) {
		free(m);
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "out of memory");
	}
	m->sync = sync;
	pthread_mutex_init(&m->emu, NULL);
	pthread_mutex_init(&m->mmu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
	if (m->fd < 0) {
		rc = errno == ENOENT && !create ? fixu_diag_set(d,
		    FIXU_ENOTFOUND, SIZE_MAX, 0, FIXU_REJ_NONE, "%s: no "
		    "message log", path) : sys_err(d, errno, "open", path);
		goto fail;
	}
	/*
	 * A writer waits a few seconds: a tool opening the store may be
	 * moving what a killed fixsession left.  A reader does not.
	 */
	for (tries = 0; (rc = fixu_flock_take(m->fd, 0, d)) == FIXU_EBUSY &&
	    create && tries < 500; tries++) {
		struct timespec ts = { 0, 10000000L };

		(void)nanosleep(&ts, NULL);
	}
	if (rc < 0) {
		if (rc == FIXU_EBUSY)
			rc = fixu_diag_set(d, FIXU_EBUSY, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: the message log is in use by "
			    "another process (a fixsession with StoreLog=Y)",
			    path);
		goto fail;
	}
	if (fstat(m->fd, &sb) != 0) {
		rc = sys_err(d, errno, "stat", path);
		goto fail;
	}
	if (sb.st_size == 0) {
		memset(hdr, 0, sizeof(hdr));
		memcpy(hdr, HDR_MAGIC, 8);
		put32(hdr + 8, LOG_VERSION);
		if ((rc = pwrite_all(m->fd, hdr, HDR_LEN, 0)) != 0 ||
		    (sync && fdatasync(m->fd) != 0)) {
			rc = sys_err(d, rc ? rc : errno, "write", path);
			goto fail;
		}
	} else {
		r = pread(m->fd, hdr, HDR_LEN, 0);
		if (r != HDR_LEN || memcmp(hdr, HDR_MAGIC, 8) != 0) {
			rc = fixu_diag_set(d, FIXU_ECORRUPT, 0, 0,
			    FIXU_REJ_NONE, "%s: not a fixutil message log "
			    "(bad header)", path);
			goto fail;
		}
		if (get32(hdr + 8) != LOG_VERSION) {
			rc = fixu_diag_set(d, FIXU_ESCHEMA, 8, 0,
			    FIXU_REJ_NONE, "%s: message log version %u; this "
			    "program reads version %d", path, get32(hdr + 8),
			    LOG_VERSION);
			goto fail;
		}
	}
	m->woff = m->mpos = m->dpos = HDR_LEN;
	m->wpub = m->mpub = pub(0, HDR_LEN);
	*mp = m;
	return 0;
fail:
	fixu_mlog_close(m, 0);
	return rc;
}

/* ---- moving ------------------------------------------------------------ */

static int
grow(struct fixu_mlog *m, size_t need, size_t nrec, struct fixu_diag *d)
{
	void *p;

	if (need > m->rcap) {
		if ((p = realloc(m->rbuf, need)) == NULL)
			goto oom;
		m->rbuf = p;
		m->rcap = need;
	}
	if (nrec > m->nrec) {
		if ((p = realloc(m->recs, nrec * sizeof(*m->recs))) == NULL)
			goto oom;
		m->recs = p;
		m->nrec = nrec;
	}
	return 0;
oom:
	return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0, FIXU_REJ_NONE,
	    "out of memory");
}

static void
set_failed(struct fixu_mlog *m, int fatal, const struct fixu_diag *d)
{
	char buf[256];

	pthread_mutex_lock(&m->emu);
	snprintf(m->why, sizeof(m->why), "%s",
	    fixu_diag_fmt(d, buf, sizeof(buf)));
	pthread_mutex_unlock(&m->emu);
	if (fatal)
		STORE(m->failed, 1);
}

/*
 * Move the committed records of generation gen in [from, to), which the
 * writer has finished writing, in transactions of at most MOVE_BYTES.
 * Under mmu.
 */
static int
move_range(struct fixu_mlog *m, uint64_t gen, uint64_t from, uint64_t to,
    struct fixu_diag *d)
{
	size_t want, have, off, len, k, kdone, done, need = 0;
	ssize_t r;
	int rc, end, got;

	while (from < to) {
		want = to - from < MOVE_BYTES ? (size_t)(to - from) :
		    MOVE_BYTES;
		if (want < need)
			want = need;
		if ((rc = grow(m, want, 1024, d)) < 0)
			return rc;
		for (have = 0; have < want; have += (size_t)r) {
			r = pread(m->fd, m->rbuf + have, want - have,
			    (off_t)(from + have));
			if (r < 0 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r <= 0)
				return sys_err(d, r < 0 ? errno : EIO, "read",
				    m->path);
		}
		k = kdone = off = done = 0;
		for (;;) {
			if (k == m->nrec && (rc = grow(m, 0, 2 * k, d)) < 0)
				return rc;
			got = decode(m->rbuf + off, want - off, gen,
			    &m->recs[k], &len, &end);
			if (got < 0) {
				rc = fixu_diag_set(d, FIXU_ECORRUPT,
				    (size_t)(from + off), 0, FIXU_REJ_NONE,
				    "%s: record at offset %llu changed after "
				    "it was committed", m->path,
				    (unsigned long long)(from + off));
				set_failed(m, 1, d);
				return rc;
			}
			if (got == 0)
				break;
			k++;
			off += len;
			if (end) {
				kdone = k;
				done = off;
			}
		}
		if (kdone == 0) {
			/* One commit longer than what was read. */
			if (want >= to - from) {
				rc = fixu_diag_set(d, FIXU_ECORRUPT,
				    (size_t)from, 0, FIXU_REJ_NONE, "%s: the "
				    "commit at offset %llu does not end",
				    m->path, (unsigned long long)from);
				set_failed(m, 1, d);
				return rc;
			}
			need = 2 * want < to - from ? 2 * want :
			    (size_t)(to - from);
			continue;
		}
		need = 0;
		if ((rc = m->apply(m->arg, m->recs, kdone, gen, from + done,
		    d)) < 0)
			return rc;
		from += done;
		m->unflushed += done;
		m->mpos = from;
		if (m->sync) {
			m->dpos = from;
			STORE(m->mpub, pub(m->mgen, m->dpos));
		}
	}
	return 0;
}

/*
 * Without StoreDurability=full nothing syncs the log, and the kernel
 * writes its pages out in its own time, records durable in the database
 * by then included.  They used to be punched out of the file at each
 * flush so that it would not, but a punch holds the file's lock, and on
 * ext4 mounted with discard it holds it through a synchronous discard:
 * the writer's next commit waited 9 to 14 ms (perf sched, 10,000
 * orders/s), once a flush.  Left alone, the log's pages cost the disk
 * some 30% more bytes (376 MB against 288 MB in 60 s at 10,000 orders/s,
 * StoreDurability=process) and fixsession's p99.9 over 30 s fell from
 * 3.1-4.0 ms to 1.8-2.8 ms (seven runs each).
 */
static int
flush_now(struct fixu_mlog *m, struct fixu_diag *d)
{
	int rc;

	if ((rc = m->flush(m->arg, d)) < 0)
		return rc;
	m->unflushed = 0;
	m->flush_ns = fixu_mono_ns();
	m->dpos = m->mpos;
	STORE(m->mpub, pub(m->mgen, m->dpos));
	return 0;
}

/* Move everything committed so far.  Under mmu. */
static int
move_all(struct fixu_mlog *m, struct fixu_diag *d)
{
	uint64_t w;
	int rc;

	for (;;) {
		w = LOAD(m->wpub);
		if (w >> 32 == (m->mgen & 0xffffffffu)) {
			if ((rc = move_range(m, m->mgen, m->mpos,
			    w & 0xffffffffu, d)) < 0)
				return rc;
			break;
		}
		/* The writer has started the next generation (never more
		   than one ahead): finish ours, make it durable, follow. */
		if ((rc = move_range(m, m->mgen, m->mpos, LOAD(m->prev_end),
		    d)) < 0 || (rc = flush_now(m, d)) < 0)
			return rc;
		m->mgen++;
		m->mpos = m->dpos = HDR_LEN;
		STORE(m->mpub, pub(m->mgen, m->dpos));
	}
	return 0;
}

/*
 * The mover: move everything committed, then flush when it is time.
 * Under mmu.
 *
 * Without StoreDurability=full the moved records are flushed (made
 * durable in the WAL) in a lull (LULL_NS of moves of LULL_BYTES or less)
 * once half a ring has been moved since the last flush, which is what the
 * writer needs to wrap, or once FLUSH_LULL_NS has passed; without a lull,
 * once two rings have been moved or FLUSH_MAX_NS has passed.  Until then
 * the writer goes on past the ring's end.  A power loss can lose what was
 * moved since.  Each flush writes the WAL out, and on a virtual machine
 * writing out stalls the other threads: flushing every 4 MB made 78-83
 * runs of fills 0.3 ms late or more in 5 s at 10,000 orders/s and a p99
 * of 0.49-0.66 ms; with no flush at all, 53-58 runs and 0.28-0.34 ms;
 * every 16 MB, 0.42-0.48 ms.
 */
static int
move_turn(struct fixu_mlog *m, struct fixu_diag *d)
{
	uint64_t before = m->unflushed;
	int64_t now;
	int rc;

	if ((rc = move_all(m, d)) < 0 || m->sync)
		return rc;
	now = fixu_mono_ns();
	if (m->unflushed < before || m->unflushed - before > LULL_BYTES)
		m->busy_ns = now;
	if (m->unflushed == 0)
		return 0;
	if (m->unflushed >= 2 * (uint64_t)fixu_mlog_wrap ||
	    now - m->flush_ns >= FLUSH_MAX_NS ||
	    (now - m->busy_ns >= LULL_NS &&
	    (m->unflushed >= fixu_mlog_wrap / 2 ||
	    now - m->flush_ns >= FLUSH_LULL_NS)))
		return flush_now(m, d);
	return 0;
}

int
fixu_mlog_drain(struct fixu_mlog *m, struct fixu_diag *d)
{
	int rc;

	pthread_mutex_lock(&m->mmu);
	rc = m->apply != NULL ? move_all(m, d) : 0;
	if (rc == 0 && m->apply != NULL && !m->sync && m->unflushed > 0)
		rc = flush_now(m, d);
	pthread_mutex_unlock(&m->mmu);
	return rc;
}

/* Bytes committed and not yet moved (a lot when the writer is a
   generation ahead).  Under mmu. */
static uint64_t
lag(struct fixu_mlog *m)
{
	uint64_t w = LOAD(m->wpub);

	if (w >> 32 != (m->mgen & 0xffffffffu))
		return UINT64_MAX;
	return (w & 0xffffffffu) - m->mpos;
}

static void *
mover(void *arg)
{
	struct fixu_mlog *m = arg;
	struct fixu_diag d;
	struct sched_param sp = { 0 };
	struct timespec ts;
	uint64_t behind;
	int stop, idle = 1;

	/*
	 * Idle priority: the moves take only CPU time the sessions leave.
	 * At normal priority their bursts of SQLite work every MOVE_MS
	 * doubled fixsession's p99 latency at 10,000 orders/s.  But on a
	 * machine with no CPU to spare (fixsession at its highest rate, say)
	 * an idle thread hardly runs: once LOG_BOOST bytes wait, it moves at
	 * normal priority until it has caught up.  LOG_BOOST is well above
	 * what waits after a checkpoint, whose catch-up stays idle.
	 */
	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	for (;;) {
		pthread_mutex_lock(&m->mmu);
		stop = m->stop;
		if (!stop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += MOVE_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&m->cv, &m->mmu, &ts);
			stop = m->stop;
		}
		behind = lag(m);
		if (idle && behind >= LOG_BOOST) {
			idle = 0;
			(void)pthread_setschedparam(pthread_self(), SCHED_OTHER,
			    &sp);
		}
		fixu_diag_clear(&d);
		if (move_turn(m, &d) < 0)
			set_failed(m, 0, &d);
		if (!idle && lag(m) < LOG_BOOST / 4) {
			idle = 1;
			(void)pthread_setschedparam(pthread_self(), SCHED_IDLE,
			    &sp);
		}
		pthread_mutex_unlock(&m->mmu);
		if (stop)
			return NULL;
	}
}

int
fixu_mlog_start(struct fixu_mlog *m, fixu_mlog_apply_fn apply,
    fixu_mlog_flush_fn flush, void *arg, struct fixu_diag *d)
{
	pthread_mutex_lock(&m->mmu);
	m->apply = apply;
	m->flush = flush;
	m->arg = arg;
	m->flush_ns = m->busy_ns = fixu_mono_ns();
	pthread_mutex_unlock(&m->mmu);
	if (pthread_create(&m->th, NULL, mover, m) != 0)
		return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s: cannot start the thread that moves "
		    "the log into the database", m->path);
	m->started = 1;
	return 0;
}

/* ---- committing ---------------------------------------------------------- */

/*
 * Where a commit of n bytes may go: 0 and *at set, or 1 when the mover
 * has to catch up first.
 */
static int
place(struct fixu_mlog *m, size_t n, uint64_t *at)
{
	uint64_t mp = LOAD(m->mpub), dpos = mp & 0xffffffffu;

	if (mp >> 32 != (m->wgen & 0xffffffffu)) {
		/* The generation before is still being moved: stay below
		   what of it is durable in the database. */
		if (m->woff + n > dpos)
			return 1;
		*at = m->woff;
		return 0;
	}
	if (m->woff >= fixu_mlog_wrap && dpos >= fixu_mlog_wrap / 2 &&
	    HDR_LEN + n <= dpos) {
		STORE(m->prev_end, m->woff);
		m->wgen++;
		m->woff = HDR_LEN;
	} else if (m->woff + n > LOG_MAX)
		return 1;
	*at = m->woff;
	return 0;
}

/* The mover's last failure into buf. */
static void
why(struct fixu_mlog *m, char *buf, size_t n)
{
	pthread_mutex_lock(&m->emu);
	snprintf(buf, n, "%s", m->why);
	pthread_mutex_unlock(&m->emu);
}

int
fixu_mlog_commit(struct fixu_mlog *m, struct fixu_buf *b,
    struct fixu_diag *d)
{
	uint8_t *p = (uint8_t *)b->p, *last = NULL;
	size_t off, len;
	uint64_t at;
	char w[200];
	int rc, tries;

	if (b->len == 0)
		return 0;
	for (tries = 0;; tries++) {
		if (LOAD(m->failed)) {
			why(m, w, sizeof(w));
			return fixu_diag_set(d, FIXU_ECORRUPT, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s", w);
		}
		if (place(m, b->len, &at) == 0)
			break;
		if (tries > 0 || m->apply == NULL ||
		    fixu_mlog_drain(m, d) < 0) {
			why(m, w, sizeof(w));
			return fixu_diag_set(d, FIXU_EFULL, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: the message log is full: the "
			    "database is not taking its records%s%s",
			    m->path, w[0] ? ": " : "", w);
		}
	}
	for (off = 0; off < b->len; off += len) {
		len = get32(p + off + 4);
		put64(p + off + 8, m->wgen);
		last = p + off;
	}
	last[51] |= F_END;
	for (off = 0; off < b->len; off += len) {
		len = get32(p + off + 4);
		checksum(p + off + len - SUM_LEN, p + off, len - SUM_LEN);
	}
	if ((rc = pwrite_all(m->fd, p, b->len, at)) != 0 ||
	    (m->sync && fdatasync(m->fd) != 0)) {
		/* woff stays: the next commit writes over what this one
		   left, and a replay takes only whole commits. */
		return sys_err(d, rc ? rc : errno, "write", m->path);
	}
	m->woff = at + b->len;
	STORE(m->wpub, pub(m->wgen, m->woff));
	return 0;
}

/* ---- replay ------------------------------------------------------------ */

/*
 * 1 when a whole record of gen starts anywhere in p[from, n): the log is
 * damaged, not cut short.
 */
static int
valid_after(const uint8_t *p, size_t from, size_t n, uint64_t gen)
{
	struct fixu_rec r;
	size_t i, len;
	int end;

	for (i = from; i + 8 <= n; i++)
		if (p[i] == 'F' && get32(p + i) == REC_MAGIC &&
		    decode(p + i, n - i, gen, &r, &len, &end) == 1)
			return 1;
	return 0;
}

/*
 * Apply the whole commits of gen from *pos on, in p[0, n); *pos moves to
 * the end of the last.  *seen: a whole commit of gen was found.
 */
static int
replay_gen(struct fixu_mlog *m, const uint8_t *p, size_t n, uint64_t gen,
    uint64_t *pos, int *seen, uint64_t *count, struct fixu_diag *d)
{
	size_t off = (size_t)*pos, len, k = 0, kdone = 0, done = off;
	int rc, end, got;

	*seen = 0;
	for (;;) {
		if (k == m->nrec && (rc = grow(m, 0, k ? 2 * k : 1024, d)) < 0)
			return rc;
		got = off < n ? decode(p + off, n - off, gen, &m->recs[k],
		    &len, &end) : 0;
		if (got == 1) {
			k++;
			off += len;
			if (!end)
				continue;
			kdone = k;
			done = off;
			*seen = 1;
			if (done - *pos < MOVE_BYTES && k < 65536)
				continue;
		} else if (got < 0 && valid_after(p, off + 1, n, gen))
			return fixu_diag_set(d, FIXU_ECORRUPT, off, 0,
			    FIXU_REJ_NONE, "%s: the record at offset %zu is "
			    "damaged and records of its generation follow; "
			    "move the file away to open the store without "
			    "the records from there on", m->path, off);
		if (kdone > 0) {
			if ((rc = m->apply(m->arg, m->recs, kdone, gen, done,
			    d)) < 0)
				return rc;
			*count += kdone;
			*pos = done;
		}
		if (got != 1)
			return 0;
		k = kdone = 0;
	}
}

int
fixu_mlog_replay(struct fixu_mlog *m, uint64_t db_gen, uint64_t db_off,
    fixu_mlog_apply_fn apply, fixu_mlog_flush_fn flush, void *arg,
    uint64_t *count, struct fixu_diag *d)
{
	struct stat sb;
	const uint8_t *p = NULL;
	struct fixu_rec r;
	uint64_t gen, pos, last = db_gen;
	size_t n, len;
	int rc = 0, seen, end;

	*count = 0;
	if (fstat(m->fd, &sb) != 0)
		return sys_err(d, errno, "stat", m->path);
	n = (size_t)sb.st_size;
	pthread_mutex_lock(&m->mmu);
	m->apply = apply;
	m->flush = flush;
	m->arg = arg;
	if (n > HDR_LEN) {
		p = mmap(NULL, n, PROT_READ, MAP_SHARED, m->fd, 0);
		if (p == MAP_FAILED) {
			p = NULL;
			rc = sys_err(d, errno, "mmap", m->path);
			goto out;
		}
		/* The rest of the database's generation, where it stopped. */
		if (db_gen > 0 && db_off >= HDR_LEN && db_off <= n) {
			pos = db_off;
			if ((rc = replay_gen(m, p, n, db_gen, &pos, &seen,
			    count, d)) < 0)
				goto out;
		}
		/* Then the next generation from the header; a log that the
		   database has never seen starts with any generation. */
		gen = db_gen + 1;
		if (db_gen == 0 && decode(p + HDR_LEN, n - HDR_LEN,
		    get64(p + HDR_LEN + 8), &r, &len, &end) == 1)
			gen = get64(p + HDR_LEN + 8);
		pos = HDR_LEN;
		if ((rc = replay_gen(m, p, n, gen, &pos, &seen, count, d)) < 0)
			goto out;
		if (seen)
			last = gen;
	}
	if (*count > 0 && (rc = flush(arg, d)) < 0)
		goto out;
	/* Everything is in: a new generation from the header. */
	m->wgen = m->mgen = last + 1;
	m->woff = m->mpos = m->dpos = HDR_LEN;
	STORE(m->wpub, pub(m->wgen, m->woff));
	STORE(m->mpub, pub(m->mgen, m->dpos));
out:
	if (p != NULL)
		munmap((void *)p, n);
	pthread_mutex_unlock(&m->mmu);
	return rc;
}

void
fixu_mlog_close(struct fixu_mlog *m, int remove)
{
	struct fixu_diag d;
	int ok = 0;

	if (m == NULL)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->mmu);
		m->stop = 1;
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mmu);
		(void)pthread_join(m->th, NULL);
	}
	if (m->apply != NULL && !LOAD(m->failed))
		ok = fixu_mlog_drain(m, &d) == 0 && m->flush(m->arg, &d) == 0;
	if (remove && ok && m->fd >= 0)
		(void)unlink(m->path);
	if (m->fd >= 0)
		close(m->fd);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mmu);
	pthread_mutex_destroy(&m->emu);
	free(m->rbuf);
	free(m->recs);
	free(m->path);
	free(m);
}
