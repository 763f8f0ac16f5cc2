/*
 * fixstore/import.c -- take over the state of a QuickFIX engine: its
 * FileStore (outbound messages and both next sequence numbers) and its file
 * logs (both directions).
 *
 * A FileStore keeps four files per session, named after the prefix
 * BeginString-SenderCompID-TargetCompID[-Qualifier]: .body holds the sent
 * messages back to back; .header holds one "seq,offset,size " entry per
 * stored message, pointing into .body (a message stored again under the same
 * number gets a later entry, and QuickFIX keeps the last one, so do we);
 * .seqnums holds "SSSSSSSSSS : TTTTTTTTTT", the next number to send and the
 * next number expected; .session holds the creation time.  The session id
 * comes from the first stored message (CompIDs may themselves contain '-',
 * which makes the prefix ambiguous), else from the prefix.  Every message is
 * framed and parsed before it is stored, under the MsgSeqNum its header
 * entry gives; a damaged one is reported with file and offset and left out.
 *
 * A file log is read whole (mmap when it is a file): each line is searched
 * for a message start with fixu_text_scan(), so QuickFIX's
 * "YYYYMMDD-HH:MM:SS.fff : " prefix and others work, and the message is
 * framed from there with fixu_frame() across line ends (a data field may
 * hold a newline).  The time is the timestamp that starts the line, or,
 * for QuickFIX's screen log, the one on the line before ("<time, id,
 * incoming>"), else SendingTime, else now.  Messages written with another
 * delimiter are stored in wire form, SOH after every field.
 *
 * Writes are committed every FS_BATCH messages: an interrupted import keeps
 * what was committed, and a log import run again skips what it finds.
 */
#include <err.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixstore.h"

#define FS_BATCH	10000
#define FS_MAXFILE	((size_t)1 << 40)

/* A whole file in memory: mapped, or read (pipes, empty files). */
struct fs_file {
	char	*p;
	size_t	 n;
	int	 mapped;
};

struct fs_progress {
	int	on;
	double	last;
	size_t	total;
	const char *name;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
progress(struct fs_progress *pg, size_t done, uint64_t nmsg)
{
	double t;

	if (!pg->on)
		return;
	t = mono();
	if (t - pg->last < 0.5)
		return;
	pg->last = t;
	if (pg->total > 0)
		fprintf(stderr, "\r%s: %llu messages (%.0f%%)  ", pg->name,
		    (unsigned long long)nmsg, 100.0 * done / pg->total);
	else
		fprintf(stderr, "\r%s: %llu messages  ", pg->name,
		    (unsigned long long)nmsg);
}

static void
progress_end(struct fs_progress *pg)
{
	if (pg->on && pg->last > 0)
		fprintf(stderr, "\r\033[K");
}

static void
fs_file_free(struct fs_file *f)
{
	if (f->mapped)
		munmap(f->p, f->n);
	else
		free(f->p);
	memset(f, 0, sizeof(*f));
}

static int
fs_file_load(struct fs_file *f, const char *path, struct fixu_diag *d)
{
	struct stat sb;
	size_t cap = 0;
	ssize_t r;
	char *np;
	int fd;

	memset(f, 0, sizeof(*f));
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return fixu_diag_set(d, errno == ENOENT ? FIXU_ENOTFOUND :
		    FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		if ((uint64_t)sb.st_size > FS_MAXFILE) {
			close(fd);
			return fixu_diag_set(d, FIXU_ELIMIT, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s: file too large", path);
		}
		f->n = (size_t)sb.st_size;
		f->p = mmap(NULL, f->n, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f->p != MAP_FAILED) {
			f->mapped = 1;
			(void)madvise(f->p, f->n, MADV_SEQUENTIAL);
			if (fd != STDIN_FILENO)
				close(fd);
			return 0;
		}
		f->p = NULL;
		f->n = 0;
	}
	for (;;) {
		if (f->n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if ((np = realloc(f->p, cap)) == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			f->p = np;
		}
		r = read(fd, f->p + f->n, cap - f->n);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		f->n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
fail:
	r = errno;
	if (fd != STDIN_FILENO)
		close(fd);
	fs_file_free(f);
	return fixu_diag_set(d, r == ENOMEM ? FIXU_ENOMEM : FIXU_EIO,
	    SIZE_MAX, 0, FIXU_REJ_NONE, "%s: %s", path, strerror((int)r));
}

static int
copy_str(char *dst, size_t cap, struct fixu_str s)
{
	if (s.n == 0 || s.n >= cap || memchr(s.p, '\0', s.n) != NULL)
		return -1;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

static int
str_is(struct fixu_str s, const char *z)
{
	return s.p != NULL && fixu_str_eq(s, z);
}

static int64_t
sending_time(const struct fixu_msg *m)
{
	struct fixu_str v = fixu_msg_get(m, 52);
	struct timespec ts;

	if (v.p == NULL || fixu_time_parse(v.p, v.n, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
fill_rec(struct fixu_rec *r, const struct fixu_msg *m)
{
	struct fixu_str v = fixu_msg_get(m, 43);

	r->msgtype = fixu_msg_get(m, 35);
	r->possdup = v.n == 1 && v.p[0] == 'Y';
	r->raw.p = m->raw;
	r->raw.n = m->rawlen;
	return 0;
}

/* ---- FileStore ---------------------------------------------------------- */

struct fs_entry {
	uint64_t	seq;
	uint64_t	off;
	uint64_t	size;
	size_t		order;	/* position in .header: the last one wins */
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct fs_entry *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Parse .header: "seq,offset,size " repeated.  Entries sorted by seq. */
static int
parse_header(const struct fs_file *f, const char *path,
    struct fs_entry **out, size_t *nout, struct fixu_diag *d)
{
	struct fs_entry *e = NULL, *ne;
	size_t n = 0, cap = 0, i = 0, j, k;
	uint64_t v[3];

	while (i < f->n) {
		while (i < f->n && (f->p[i] == ' ' || f->p[i] == '\n' ||
		    f->p[i] == '\r' || f->p[i] == '\t'))
			i++;
		if (i == f->n)
			break;
		for (k = 0; k < 3; k++) {
			j = i;
			while (j < f->n && f->p[j] >= '0' && f->p[j] <= '9')
				j++;
			if (j == i || fixu_parse_u64(f->p + i, j - i,
			    &v[k]) != 0 || (k < 2 && (j == f->n ||
			    f->p[j] != ','))) {
				free(e);
				return fixu_diag_set(d, FIXU_ESYNTAX, i, 0,
				    FIXU_REJ_NONE, "%s: offset %zu: expected "
				    "seq,offset,size", path, i);
			}
			i = k < 2 ? j + 1 : j;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((ne = realloc(e, cap * sizeof(*e))) == NULL) {
				free(e);
				return fixu_diag_set(d, FIXU_ENOMEM, SIZE_MAX,
				    0, FIXU_REJ_NONE, "%s", path);
			}
			e = ne;
		}
		e[n].seq = v[0];
		e[n].off = v[1];
		e[n].size = v[2];
		e[n].order = n;
		n++;
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), entry_cmp);
	/* Keep the last entry of each number, as QuickFIX's map does. */
	for (i = 0, k = 0; i < n; i++) {
		if (i + 1 < n && e[i + 1].seq == e[i].seq)
			continue;
		e[k++] = e[i];
	}
	*out = e;
	*nout = k;
	return 0;
}

/* "SSSSSSSSSS : TTTTTTTTTT" */
static int
parse_seqnums(const struct fs_file *f, const char *path, uint64_t *snd,
    uint64_t *tgt, struct fixu_diag *d)
{
	const char *p = f->p, *e = f->p + f->n, *q;
	uint64_t *v[2] = { snd, tgt };
	int k;

	for (k = 0; k < 2; k++) {
		while (p < e && (*p == ' ' || (k == 1 && *p == ':')))
			p++;
		for (q = p; q < e && *q >= '0' && *q <= '9'; q++)
			;
		if (q == p || fixu_parse_u64(p, (size_t)(q - p), v[k]) != 0 ||
		    *v[k] == 0)
			return fixu_diag_set(d, FIXU_ESYNTAX, (size_t)(p -
			    f->p), 0, FIXU_REJ_NONE, "%s: expected "
			    "\"SSSSSSSSSS : TTTTTTTTTT\"", path);
		p = q;
		if (k == 0) {
			while (p < e && *p == ' ')
				p++;
			if (p == e || *p != ':')
				return fixu_diag_set(d, FIXU_ESYNTAX,
				    (size_t)(p - f->p), 0, FIXU_REJ_NONE,
				    "%s: expected \"SSSSSSSSSS : TTTTTTTTTT\"",
				    path);
		}
	}
	return 0;
}

/* Session id from the prefix alone: Begin-Sender-Target[-Qualifier]. */
static int
sid_from_prefix(struct fixu_sessid *sid, const char *prefix)
{
	char tmp[300], *part[4], *s, *save = NULL;
	int n = 0;

	if (snprintf(tmp, sizeof(tmp), "%s", prefix) >= (int)sizeof(tmp))
		return -1;
	for (s = strtok_r(tmp, "-", &save); s != NULL && n < 4;
	    s = strtok_r(NULL, "-", &save))
		part[n++] = s;
	if (s != NULL || n < 3)
		return -1;
	memset(sid, 0, sizeof(*sid));
	if (snprintf(sid->begin, sizeof(sid->begin), "%s", part[0]) >=
	    (int)sizeof(sid->begin) ||
	    snprintf(sid->sender, sizeof(sid->sender), "%s", part[1]) >=
	    (int)sizeof(sid->sender) ||
	    snprintf(sid->target, sizeof(sid->target), "%s", part[2]) >=
	    (int)sizeof(sid->target) ||
	    (n == 4 && snprintf(sid->qualifier, sizeof(sid->qualifier), "%s",
	    part[3]) >= (int)sizeof(sid->qualifier)))
		return -1;
	return 0;
}

/*
 * Session id from an outbound message: 8, 49 and 56, and the rest of the
 * prefix as the qualifier.  -1 when the message does not fit the prefix.
 */
static int
sid_from_msg(struct fixu_sessid *sid, const struct fixu_msg *m,
    const char *prefix)
{
	size_t lb, ls, lt, lp = strlen(prefix);

	memset(sid, 0, sizeof(*sid));
	if (copy_str(sid->begin, sizeof(sid->begin), fixu_msg_get(m, 8)) ||
	    copy_str(sid->sender, sizeof(sid->sender),
	    fixu_msg_get(m, 49)) ||
	    copy_str(sid->target, sizeof(sid->target), fixu_msg_get(m, 56)))
		return -1;
	lb = strlen(sid->begin);
	ls = strlen(sid->sender);
	lt = strlen(sid->target);
	if (lp < lb + ls + lt + 2 || memcmp(prefix, sid->begin, lb) != 0 ||
	    prefix[lb] != '-' || memcmp(prefix + lb + 1, sid->sender, ls) ||
	    prefix[lb + 1 + ls] != '-' ||
	    memcmp(prefix + lb + ls + 2, sid->target, lt) != 0)
		return -1;
	if (lp == lb + ls + lt + 2)
		return 0;
	if (prefix[lb + ls + lt + 2] != '-' || lp - (lb + ls + lt + 3) >=
	    sizeof(sid->qualifier) || lp == lb + ls + lt + 3)
		return -1;
	memcpy(sid->qualifier, prefix + lb + ls + lt + 3,
	    lp - (lb + ls + lt + 3) + 1);
	return 0;
}

/*
 * Frame and parse body[off..off+size) as exactly one message.  On failure
 * the reason is in why.
 */
static int
check_body(struct fixu_msg *m, const struct fs_file *body,
    const struct fs_entry *e, char *why, size_t whylen)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	const char *p;
	char tmp[240];
	int rc;

	if (e->off > body->n || e->size > body->n - e->off || e->size == 0) {
		snprintf(why, whylen, "entry %llu,%llu,%llu lies outside "
		    "the body (%zu bytes)", (unsigned long long)e->seq,
		    (unsigned long long)e->off, (unsigned long long)e->size,
		    body->n);
		return -1;
	}
	p = body->p + e->off;
	fixu_diag_clear(&d);
	rc = fixu_frame(p, (size_t)e->size, FIXU_FRAME_EOF, &fr, &d);
	if (rc == 0 && (fr.start != 0 || fr.len != e->size ||
	    fr.delim != FIXU_SOH)) {
		snprintf(why, whylen, "not one wire message of %llu bytes",
		    (unsigned long long)e->size);
		return -1;
	}
	if (rc == 0) {
		fixu_diag_clear(&d);
		rc = fixu_msg_parse(m, p, (size_t)e->size, FIXU_SOH, NULL, 0,
		    &d);
	}
	if (rc != 0) {
		snprintf(why, whylen, "%s", fixu_diag_fmt(&d, tmp,
		    sizeof(tmp)));
		return -1;
	}
	return 0;
}

static int
seq_of(const struct fixu_msg *m, uint64_t *seq)
{
	struct fixu_str v = fixu_msg_get(m, 34);

	return v.p == NULL || fixu_parse_u64(v.p, v.n, seq) != 0 ? -1 : 0;
}

/* Messages in the session's current epoch. */
static int
epoch_nonempty(const struct fixu_sess *s)
{
	return s->nmsg_in + s->nmsg_out > 0;
}

static int
commit(struct fixu_store *st, struct fixu_diag *d)
{
	if (fixu_store_pending(st) == 0)
		return 0;
	return fixu_store_commit(st, d);
}

/* Store one message; a full batch is committed, so a cut import keeps it. */
static int
store_one(struct fixu_store *st, const struct fixu_rec *rec,
    struct fixu_diag *d)
{
	int rc;

	if ((rc = fixu_store_append(st, rec, d)) != 0)
		return rc;
	if (fixu_store_pending(st) >= FS_BATCH)
		return commit(st, d);
	return 0;
}

static int
import_prefix(struct fixu_store *st, const char *dir, const char *prefix,
    int force, struct fs_import_stats *stats, struct fixu_diag *d)
{
	struct fs_file hdr = { 0 }, body = { 0 }, seqf = { 0 }, sesf = { 0 };
	struct fs_entry *ent = NULL;
	struct fs_progress pg = { 0 };
	struct fixu_sessid sid;
	struct fixu_sess sess;
	struct fixu_msg m;
	struct fixu_rec rec;
	char path[4096], bodypath[4096], why[300], idbuf[240];
	uint64_t snd, tgt, seq, nstored = 0;
	size_t nent = 0, i;
	int rc, n, have_sid = 0;

	fixu_msg_init(&m);
#define PATH(buf, ext) do {						\
	if (snprintf(buf, sizeof(buf), "%s/%s.%s", dir, prefix, ext) >=	\
	    (int)sizeof(buf)) {						\
		rc = fixu_diag_set(d, FIXU_ELIMIT, SIZE_MAX, 0,		\
		    FIXU_REJ_NONE, "%s/%s: path too long", dir, prefix);	\
		goto fail;						\
	}								\
} while (0)
	PATH(path, "seqnums");
	if ((rc = fs_file_load(&seqf, path, d)) != 0 ||
	    (rc = parse_seqnums(&seqf, path, &snd, &tgt, d)) != 0)
		goto fail;
	PATH(path, "header");
	if ((rc = fs_file_load(&hdr, path, d)) != 0 && rc != FIXU_ENOTFOUND)
		goto fail;
	if (rc == 0 && (rc = parse_header(&hdr, path, &ent, &nent, d)) != 0)
		goto fail;
	PATH(bodypath, "body");
	if ((rc = fs_file_load(&body, bodypath, d)) != 0 &&
	    (rc != FIXU_ENOTFOUND || nent > 0))
		goto fail;
	rc = 0;

	/* The session id: from the first good message, else the prefix. */
	for (i = 0; i < nent && !have_sid; i++)
		if (check_body(&m, &body, &ent[i], why, sizeof(why)) == 0 &&
		    sid_from_msg(&sid, &m, prefix) == 0)
			have_sid = 1;
	if (!have_sid && sid_from_prefix(&sid, prefix) != 0) {
		rc = fixu_diag_set(d, FIXU_ESYNTAX, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "%s/%s: not a FileStore prefix "
		    "(BeginString-Sender-Target[-Qualifier])", dir, prefix);
		goto fail;
	}
	fixu_sessid_fmt(&sid, idbuf, sizeof(idbuf));
	if ((rc = fixu_store_session(st, &sid, 1, &sess, d)) != 0)
		goto fail;
	if (epoch_nonempty(&sess)) {
		if (!force) {
			rc = fixu_diag_set(d, FIXU_EBUSY, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "%s already has %llu messages in "
			    "epoch %u (force starts a new epoch)", idbuf,
			    (unsigned long long)(sess.nmsg_in +
			    sess.nmsg_out), sess.epoch);
			goto fail;
		}
		/* A new epoch: the old messages stay, nothing mixes. */
		if ((rc = fixu_store_reset(st, sess.id, "import of QuickFIX "
		    "FileStore", d)) != 0 || (rc = commit(st, d)) != 0)
			goto fail;
	}

	pg.on = isatty(STDERR_FILENO);
	pg.total = nent;
	pg.name = bodypath;
	for (i = 0; i < nent; i++) {
		if (check_body(&m, &body, &ent[i], why, sizeof(why)) != 0) {
			warnx("%s: offset %llu: MsgSeqNum %llu: %s", bodypath,
			    (unsigned long long)ent[i].off,
			    (unsigned long long)ent[i].seq, why);
			stats->bad++;
			continue;
		}
		if (seq_of(&m, &seq) != 0 || seq != ent[i].seq) {
			warnx("%s: offset %llu: MsgSeqNum (34) does not match "
			    "the header's %llu", bodypath,
			    (unsigned long long)ent[i].off,
			    (unsigned long long)ent[i].seq);
			stats->bad++;
			continue;
		}
		memset(&rec, 0, sizeof(rec));
		rec.session = sess.id;
		rec.dir = FIXU_DIR_OUT;
		rec.seq = seq;
		if ((rec.time_ns = sending_time(&m)) == 0)
			rec.time_ns = fs_now_ns(CLOCK_REALTIME);
		fill_rec(&rec, &m);
		if ((rc = store_one(st, &rec, d)) != 0)
			goto fail;
		nstored++;
		progress(&pg, i, nstored);
	}
	/* The store has no field for QuickFIX's creation time: log it. */
	PATH(path, "session");
	if (fs_file_load(&sesf, path, NULL) == 0 && sesf.n > 0)
		snprintf(why, sizeof(why), ", created %.*s", (int)(sesf.n < 40 ?
		    sesf.n : 40), sesf.p);
	else
		why[0] = '\0';
	n = snprintf(path, sizeof(path), "QuickFIX FileStore %s/%s%s: %llu "
	    "messages, %llu bad, next out %llu, next in %llu", dir, prefix,
	    why, (unsigned long long)nstored, (unsigned long long)stats->bad,
	    (unsigned long long)snd, (unsigned long long)tgt);
	if (n < 0 || (size_t)n >= sizeof(path))
		memcpy(path + sizeof(path) - 4, "...", 4);
	if ((rc = fixu_store_set_next(st, sess.id, snd, tgt, d)) != 0 ||
	    (rc = fixu_store_event(st, sess.id, fs_now_ns(CLOCK_REALTIME), "import", path,
	    d)) != 0 ||
	    (rc = commit(st, d)) != 0 ||
	    (rc = fixu_store_session_byid(st, sess.id, &sess, d)) != 0)
		goto fail;
	stats->messages += nstored;
	stats->next_out = sess.next_out;
	stats->next_in = sess.next_in;
	rc = 0;
fail:
#undef PATH
	if (rc != 0) {
		fixu_store_rollback(st);
		/* What earlier batches committed stays; say how much. */
		stats->messages += nstored - (nstored % FS_BATCH);
	}
	progress_end(&pg);
	fixu_msg_fini(&m);
	free(ent);
	fs_file_free(&hdr);
	fs_file_free(&body);
	fs_file_free(&seqf);
	fs_file_free(&sesf);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fs_import_filestore(struct fixu_store *st, const char *dir,
    const char *prefix, int force, struct fs_import_stats *stats,
    struct fixu_diag *d)
{
	static const char ext[] = ".seqnums";
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i, l;
	DIR *dp;
	int rc = 0;

	memset(stats, 0, sizeof(*stats));
	if (prefix != NULL)
		return import_prefix(st, dir, prefix, force, stats, d);
	if ((dp = opendir(dir)) == NULL)
		return fixu_diag_set(d, errno == ENOENT ? FIXU_ENOTFOUND :
		    FIXU_EIO, SIZE_MAX, 0, FIXU_REJ_NONE, "%s: %s", dir,
		    strerror(errno));
	while ((de = readdir(dp)) != NULL) {
		l = strlen(de->d_name);
		if (l <= sizeof(ext) - 1 || strcmp(de->d_name + l -
		    (sizeof(ext) - 1), ext) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL) {
				rc = FIXU_ENOMEM;
				break;
			}
			names = nn;
		}
		if ((names[n] = strndup(de->d_name, l - (sizeof(ext) - 1))) ==
		    NULL) {
			rc = FIXU_ENOMEM;
			break;
		}
		n++;
	}
	closedir(dp);
	if (rc != 0) {
		fixu_diag_set(d, rc, SIZE_MAX, 0, FIXU_REJ_NONE, "%s", dir);
		goto out;
	}
	if (n == 0) {
		rc = fixu_diag_set(d, FIXU_ENOTFOUND, SIZE_MAX, 0,
		    FIXU_REJ_NONE, "no QuickFIX FileStore (*.seqnums) "
		    "there");
		goto out;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		struct fs_import_stats one = { 0 };

		rc = import_prefix(st, dir, names[i], force, &one, d);
		stats->messages += one.messages;
		stats->skipped += one.skipped;
		stats->bad += one.bad;
		stats->next_out = one.next_out;
		stats->next_in = one.next_in;
		if (rc != 0)
			break;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- file logs -------------------------------------------------------------- */

/*
 * A timestamp near the start of a log line: the first digit starts it,
 * within the first few bytes ("<" in QuickFIX's screen log).  0 if none.
 */
static int64_t
line_time(const char *p, size_t n)
{
	struct timespec ts;
	size_t i = 0, j;

	while (i < n && i < 4 && (p[i] < '0' || p[i] > '9'))
		i++;
	for (j = i; j < n && ((p[j] >= '0' && p[j] <= '9') || p[j] == '-' ||
	    p[j] == ':' || p[j] == '.'); j++)
		;
	if (j - i < 17 || fixu_time_parse(p + i, j - i, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct dup_arg {
	struct fixu_str	raw;
	int		found;
};

static int
dup_cb(const struct fixu_rec *r, void *arg)
{
	struct dup_arg *a = arg;

	if (r->raw.n == a->raw.n && memcmp(r->raw.p, a->raw.p, a->raw.n) == 0) {
		a->found = 1;
		return 1;
	}
	return 0;
}

/*
 * The message m in wire form: as it is when its delimiter is SOH, else
 * rebuilt into wire with SOH after every field (data fields keep their
 * bytes).  The result views m->raw or wire.
 */
static int
to_wire(const struct fixu_msg *m, struct fixu_buf *wire, struct fixu_str *out)
{
	uint32_t i;

	if (m->delim == FIXU_SOH && m->rawlen > 0 &&
	    m->raw[m->rawlen - 1] == FIXU_SOH) {
		out->p = m->raw;
		out->n = m->rawlen;
		return 0;
	}
	fixu_buf_reset(wire);
	for (i = 0; i < m->nf; i++) {
		if (fixu_buf_putu(wire, m->f[i].tag) != 0 ||
		    fixu_buf_putc(wire, '=') != 0 ||
		    fixu_buf_append(wire, m->f[i].val, m->f[i].len) != 0 ||
		    fixu_buf_putc(wire, FIXU_SOH) != 0)
			return FIXU_ELIMIT;
	}
	out->p = wire->p;
	out->n = wire->len;
	return 0;
}

/* Line numbers for messages, counted only when a warning needs one. */
struct fs_lines {
	size_t	off;
	size_t	line;
};

static size_t
line_at(struct fs_lines *l, const struct fs_file *f, size_t off)
{
	const char *p;

	if (l->line == 0)
		l->line = 1;
	while (l->off < off && (p = memchr(f->p + l->off, '\n',
	    off - l->off)) != NULL) {
		l->line++;
		l->off = (size_t)(p - f->p) + 1;
	}
	if (l->off < off)
		l->off = off;
	return l->line;
}

int
fs_import_log(struct fixu_store *st, const struct fixu_sessid *sid,
    const char *path, struct fs_import_stats *stats, struct fixu_diag *d)
{
	struct fs_file f = { 0 };
	struct fs_progress pg = { 0 };
	struct fs_lines lines = { 0, 1 };
	struct fixu_buf conv, wire;
	struct fixu_sess sess;
	struct fixu_msg m;
	struct fixu_frame fr;
	struct fixu_diag fd;
	struct fixu_query q;
	struct fixu_rec rec;
	struct dup_arg da;
	struct fixu_str s49, s56;
	const char *p, *eol, *mp;
	char tmp[240], ev[4400];
	size_t pos = 0, pre, mn;
	int64_t t_line, t_cur = 0, t_prev = 0;
	uint64_t seq, nstored = 0;
	int rc, n, found, dir, bol;

	memset(stats, 0, sizeof(*stats));
	fixu_msg_init(&m);
	fixu_buf_init(&conv, 0);
	fixu_buf_init(&wire, 0);
	if ((rc = fixu_store_session(st, sid, 1, &sess, d)) != 0)
		goto fail;
	if ((rc = fs_file_load(&f, path, d)) != 0)
		goto fail;
	pg.on = isatty(STDERR_FILENO);
	pg.total = f.n;
	pg.name = path;

	/* pos: where to look next, a line start or just after a message. */
	while (pos < f.n) {
		p = f.p + pos;
		if ((eol = memchr(p, '\n', f.n - pos)) == NULL)
			eol = f.p + f.n;
		bol = pos == 0 || f.p[pos - 1] == '\n';
		t_line = bol ? line_time(p, (size_t)(eol - p)) : 0;
		if (fixu_text_scan(p, (size_t)(eol - p), 0, &pre,
		    &found) != 0) {
			/* A line of its own may carry the next one's time. */
			if (t_line != 0)
				t_prev = t_line;
			pos = (size_t)(eol - f.p) + 1;
			continue;
		}
		if (bol) {
			t_cur = t_line != 0 ? t_line : t_prev;
			t_prev = 0;
		}
		mp = p + pre;
		mn = f.n - (size_t)(mp - f.p);
		if (found == FIXU_DELIM_CARET_A) {
			fixu_buf_reset(&conv);
			if (fixu_text_caret_a(&conv, mp,
			    (size_t)(eol - mp)) != 0) {
				fixu_diag_set(&fd, FIXU_ELIMIT, SIZE_MAX, 0,
				    FIXU_REJ_NONE, "line too long");
				goto bad;
			}
			mp = conv.p;
			mn = conv.len;
		}
		fixu_diag_clear(&fd);
		rc = fixu_frame(mp, mn, FIXU_FRAME_EOF | FIXU_FRAME_NL, &fr,
		    &fd);
		if (rc == 0 && fr.start != 0)
			rc = fixu_diag_set(&fd, FIXU_EGARBLED, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "no message where one starts");
		if (rc == 0) {
			fixu_diag_clear(&fd);
			rc = fixu_msg_parse(&m, mp, fr.len, fr.delim, NULL,
			    0, &fd);
		}
		if (rc != 0)
			goto bad;
		s49 = fixu_msg_get(&m, 49);
		s56 = fixu_msg_get(&m, 56);
		if (!str_is(fixu_msg_get(&m, 8), sid->begin))
			dir = -1;
		else if (str_is(s49, sid->sender) && str_is(s56, sid->target))
			dir = FIXU_DIR_OUT;
		else if (str_is(s49, sid->target) && str_is(s56, sid->sender))
			dir = FIXU_DIR_IN;
		else
			dir = -1;
		if (dir < 0 || seq_of(&m, &seq) != 0) {
			stats->skipped++;
			goto next;
		}
		memset(&rec, 0, sizeof(rec));
		rec.session = sess.id;
		rec.dir = dir;
		rec.seq = seq;
		rec.time_ns = t_cur;
		if (rec.time_ns == 0 && (rec.time_ns = sending_time(&m)) == 0)
			rec.time_ns = fs_now_ns(CLOCK_REALTIME);
		fill_rec(&rec, &m);
		if (to_wire(&m, &wire, &rec.raw) != 0) {
			fixu_diag_set(&fd, FIXU_ELIMIT, SIZE_MAX, 0,
			    FIXU_REJ_NONE, "message too large");
			goto bad;
		}
		/* Already stored, byte for byte, under this number? */
		memset(&q, 0, sizeof(q));
		q.session = sess.id;
		q.epoch = 0;
		q.dir = dir;
		q.seq_from = q.seq_to = seq;
		da.raw = rec.raw;
		da.found = 0;
		if ((rc = fixu_store_range(st, &q, dup_cb, &da, d)) < 0)
			goto fail;
		if (da.found) {
			stats->skipped++;
			goto next;
		}
		if ((rc = store_one(st, &rec, d)) != 0)
			goto fail;
		nstored++;
next:
		/* The rest of the line may hold another message. */
		if (mp == conv.p)
			pos = (size_t)(eol - f.p) + 1;
		else
			pos = (size_t)(mp - f.p) + fr.len;
		progress(&pg, pos, nstored);
		continue;
bad:
		warnx("%s:%zu: %s", path, line_at(&lines, &f,
		    (size_t)(p - f.p)), fixu_diag_fmt(&fd, tmp, sizeof(tmp)));
		stats->bad++;
		pos = (size_t)(eol - f.p) + 1;
	}
	n = snprintf(ev, sizeof(ev), "QuickFIX log %s: %llu messages, %llu "
	    "skipped, %llu bad", path, (unsigned long long)nstored,
	    (unsigned long long)stats->skipped, (unsigned long long)stats->bad);
	if (n < 0 || (size_t)n >= sizeof(ev))
		memcpy(ev + sizeof(ev) - 4, "...", 4);
	if ((rc = fixu_store_event(st, sess.id, fs_now_ns(CLOCK_REALTIME), "import", ev,
	    d)) != 0 || (rc = commit(st, d)) != 0 ||
	    (rc = fixu_store_session_byid(st, sess.id, &sess, d)) != 0)
		goto fail;
	stats->messages = nstored;
	stats->next_out = sess.next_out;
	stats->next_in = sess.next_in;
	rc = 0;
fail:
	if (rc != 0) {
		fixu_store_rollback(st);
		stats->messages = nstored - (nstored % FS_BATCH);
	}
	progress_end(&pg);
	fixu_msg_fini(&m);
	fixu_buf_fini(&conv);
	fixu_buf_fini(&wire);
	fs_file_free(&f);
	return rc;
}
