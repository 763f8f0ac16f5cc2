/*
 * fixstore archive and purge: export old messages to a new file (gzip with
 * -z), make it durable, read it back and compare it with the store message
 * by message; only then, with -D, delete what was exported, never past the
 * last row written.  Any failure removes the partial file and deletes
 * nothing.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <getopt.h>
#include <inttypes.h>

#include <zlib.h>

#include "common.h"
#include "fixstore.h"

struct arch {
	const char	*path;
	int		 fd;		/* plain */
	gzFile		 gz;
	uint64_t	 n, bytes;
	int64_t		 last;		/* rowid of the last exported */
	int		 werr;		/* errno of a failed write */
	int		 progress;
	int64_t		 shown_ns;
	/* read-back */
	gzFile		 rd;
	char		*rbuf;
	size_t		 rcap;
	int		 mismatch;
	uint64_t	 rn;
};

static int
arch_put(struct arch *a, const void *p, size_t n)
{
	int e;

	if (a->gz != NULL) {
		if (n > 0 && gzwrite(a->gz, p, (unsigned)n) != (int)n) {
			(void)gzerror(a->gz, &e);
			a->werr = e == Z_ERRNO && errno ? errno : EIO;
			return -1;
		}
		return 0;
	}
	if (fs_write_all(a->fd, p, n) < 0) {
		a->werr = errno;
		return -1;
	}
	return 0;
}

static int
arch_rec(const struct fixu_rec *r, void *arg)
{
	struct arch *a = arg;

	if (arch_put(a, r->raw.p, r->raw.n) < 0 || arch_put(a, "\n", 1) < 0)
		return 1;
	a->n++;
	a->bytes += r->raw.n;
	a->last = r->rowid;
	if (a->progress && (a->n & 1023) == 0 &&
	    fs_now_ns(CLOCK_MONOTONIC) - a->shown_ns > 500000000) {
		a->shown_ns = fs_now_ns(CLOCK_MONOTONIC);
		fprintf(stderr, "\rfixstore: %s: %" PRIu64 " messages ",
		    a->path, a->n);
	}
	return 0;
}

/* Read back: the next message of the file must be r->raw then '\n'. */
static int
check_rec(const struct fixu_rec *r, void *arg)
{
	struct arch *a = arg;
	size_t need = r->raw.n + 1;
	int got;

	if (need > a->rcap) {
		free(a->rbuf);
		if ((a->rbuf = malloc(need)) == NULL)
			errx(CMD_EX_IO, "out of memory");
		a->rcap = need;
	}
	if (need > INT_MAX || (got = gzread(a->rd, a->rbuf,
	    (unsigned)need)) != (int)need ||
	    memcmp(a->rbuf, r->raw.p, r->raw.n) != 0 ||
	    a->rbuf[r->raw.n] != '\n') {
		a->mismatch = 1;
		return 1;
	}
	a->rn++;
	return 0;
}

struct epochs {
	uint32_t	*v;
	size_t		 n, cap;
};

static int
collect_epoch(uint32_t e, int64_t t, const char *reason, void *arg)
{
	struct epochs *ev = arg;
	uint32_t *nv;

	(void)t;
	(void)reason;
	if (ev->n == ev->cap) {
		ev->cap = ev->cap ? ev->cap * 2 : 16;
		if ((nv = realloc(ev->v, ev->cap * sizeof(*nv))) == NULL)
			errx(CMD_EX_IO, "out of memory");
		ev->v = nv;
	}
	ev->v[ev->n++] = e;
	return 0;
}

/* Remove the half-written archive and exit. */
static void __attribute__((noreturn))
arch_fail(struct arch *a, int status, const char *detail)
{
	if (a->gz != NULL)
		(void)gzclose(a->gz);
	else if (a->fd >= 0)
		close(a->fd);
	(void)unlink(a->path);
	errx(status, "%s: %s: %s", fs_storepath, a->path, detail);
}

static void
fsync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd;

	if (dir == NULL)
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		(void)snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int
cmd_archive(int argc, char **argv, int purge)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	struct fixu_query *qs = NULL, base;
	struct epochs ev = { NULL, 0, 0 };
	struct arch a;
	char sid[SID_MAX];
	const char *out = NULL;
	int64_t before = 0, maxepoch = 0;
	uint64_t ndel = 0, n1;
	size_t nq = 0, i;
	int ch, gz = 0, fd2, rc;

	fs_subopt_reset();
	while ((ch = getopt(argc, argv, purge ? "b:e:o:z" : "b:De:o:z")) !=
	    -1) {
		switch (ch) {
		case 'b':
			before = fs_parse_time(optarg);
			break;
		case 'D':
			purge = 1;
			break;
		case 'e':
			maxepoch = (int64_t)fs_parse_num(optarg, "epoch", 1);
			break;
		case 'o':
			out = optarg;
			break;
		case 'z':
			gz = 1;
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind != argc - 1 || out == NULL || (before == 0) ==
	    (maxepoch == 0))
		fs_usage(CMD_EX_USAGE);
	if (strcmp(out, "-") == 0)
		errx(CMD_EX_USAGE, "archive writes a file, not stdout: it "
		    "reads the file back to check it");
	st = fs_open_store(purge, 0);
	fs_find_session(st, argv[optind], &s);
	fs_sid_str(&s, sid);
	memset(&base, 0, sizeof(base));
	base.session = s.id;
	base.dir = -1;
	fixu_diag_clear(&d);
	if (before != 0) {
		/* One query over every epoch, bounded by time. */
		if ((qs = calloc(1, sizeof(*qs))) == NULL)
			errx(CMD_EX_IO, "out of memory");
		qs[0] = base;
		qs[0].epoch = -1;
		qs[0].time_to = before;
		nq = 1;
	} else {
		if (purge && (uint64_t)maxepoch >= s.epoch)
			fs_refuse(CMD_EX_NO, "%s: epoch %" PRIu32 " is the current "
			    "epoch: reset the session before purging it", sid,
			    s.epoch);
		if ((rc = fixu_store_epochs(st, s.id, collect_epoch, &ev,
		    &d)) < 0)
			fs_die(rc, &d, sid);
		if ((qs = calloc(ev.n + 1, sizeof(*qs))) == NULL)
			errx(CMD_EX_IO, "out of memory");
		for (i = 0; i < ev.n; i++)
			if ((int64_t)ev.v[i] <= maxepoch) {
				qs[nq] = base;
				qs[nq].epoch = ev.v[i];
				nq++;
			}
		free(ev.v);
	}

	memset(&a, 0, sizeof(a));
	a.path = out;
	a.progress = isatty(STDERR_FILENO);
	/* Never overwrite: an archive is often the only copy left. */
	a.fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (a.fd < 0)
		err(errno == EEXIST ? CMD_EX_NO : CMD_EX_IO, "%s", out);
	if (gz) {
		/* gzclose() closes its descriptor; keep one for fsync. */
		if ((fd2 = dup(a.fd)) < 0 ||
		    (a.gz = gzdopen(fd2, "wb")) == NULL)
			arch_fail(&a, CMD_EX_IO, strerror(errno));
	}
	for (i = 0; i < nq; i++) {
		n1 = a.n;
		rc = fixu_store_range(st, &qs[i], arch_rec, &a, &d);
		if (rc < 0) {
			char text[300];

			arch_fail(&a, fs_exit_code(rc),
			    fixu_diag_fmt(&d, text, sizeof(text)));
		}
		if (a.werr)
			arch_fail(&a, CMD_EX_IO,
			    a.werr == ENOSPC ? "disk full" : strerror(a.werr));
		/* Rows added later are neither exported nor purged. */
		qs[i].upto_rowid = a.n > n1 ? a.last : -1;
	}
	if (a.progress && a.n >= 1024)
		fputs("\r\033[K", stderr);
	if (a.n == 0) {
		arch_fail(&a, CMD_EX_NO,
		    "no messages match: nothing archived");
	}
	if (a.gz != NULL) {
		rc = gzclose(a.gz);
		a.gz = NULL;
		if (rc != Z_OK)
			arch_fail(&a, CMD_EX_IO,
			    errno == ENOSPC ? "disk full" : "write error");
	}
	if (fsync(a.fd) < 0)
		arch_fail(&a, CMD_EX_IO, errno == ENOSPC ?
		    "disk full" : strerror(errno));
	if (close(a.fd) < 0) {
		a.fd = -1;
		arch_fail(&a, CMD_EX_IO, strerror(errno));
	}
	a.fd = -1;
	fsync_dir(out);

	/* Read it back (gzread reads plain files too) against the store. */
	if ((a.rd = gzopen(out, "rb")) == NULL)
		arch_fail(&a, CMD_EX_IO, "cannot read it back");
	for (i = 0; i < nq && !a.mismatch; i++) {
		if (qs[i].upto_rowid < 0)
			continue;
		if ((rc = fixu_store_range(st, &qs[i], check_rec, &a,
		    &d)) < 0) {
			(void)gzclose(a.rd);
			fs_die(rc, &d, sid);
		}
	}
	n1 = 0;
	if (!a.mismatch && gzread(a.rd, &ch, 1) != 0)
		n1 = 1;			/* trailing bytes */
	(void)gzclose(a.rd);
	free(a.rbuf);
	if (a.mismatch || n1 || a.rn != a.n) {
		arch_fail(&a, CMD_EX_IO, "read back does not "
		    "match the store: removed; nothing purged");
	}
	if (purge) {
		for (i = 0; i < nq; i++) {
			uint64_t k = 0;

			if (qs[i].upto_rowid < 0)
				continue;
			if ((rc = fixu_store_purge(st, &qs[i], &k, &d)) < 0) {
				fixu_store_rollback(st);
				fs_die(rc, &d, sid);
			}
			ndel += k;
		}
		fs_commit(st, sid);
	}
	printf("%s: %" PRIu64 " messages, %" PRIu64 " bytes archived to %s%s",
	    sid, a.n, a.bytes, out, purge ? "" : "\n");
	if (purge)
		printf(", %" PRIu64 " deleted\n", ndel);
	free(qs);
	fixu_store_close(st);
	fs_flush_stdout();
	return CMD_EX_OK;
}
