/*
 * walmix.c -- what the commits in a copy of a store's WAL wrote, by table.
 *
 *   walmix DB
 *
 * DB is a copy of a store and DB-wal a copy of its WAL, taken while
 * nothing had them open (bench/session.sh copies them after a kill -9
 * under load).  walmix reads the WAL's frames up to the first one that
 * does not belong to the current WAL (another salt: left from before the
 * last restart), groups them into commits, and names each frame's page
 * with SQLite's dbstat table, read from the database alone (the copy is
 * opened with the WAL set aside, so that reading it does not change it);
 * when the database alone is damaged (the kill came while a checkpoint
 * was copying pages into it), from a second copy of both files that
 * SQLite opens, with the WAL, as a store after a crash.
 * It prints one key=value line:
 *
 *   commits=N frames=N page_size=N frames_per_commit=X pages_NAME=X ...
 *
 * pages_NAME is the pages of table or index NAME a commit wrote, on
 * average over the last 2,000 commits (a page allocated since the
 * database was last checkpointed is "new").  Exit 0, or 1 with a message
 * when the files cannot be read.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define LAST_COMMITS	2000
#define WAL_HDR		32
#define FRAME_HDR	24

struct name {
	char	 *name;
	double	  n;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The WAL, mapped read-only: it may be hundreds of MB. */
static unsigned char *
map_wal(const char *path, size_t *len)
{
	struct stat st;
	void *m;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "walmix: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	*len = (size_t)st.st_size;
	m = *len > 0 ? mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0) :
	    MAP_FAILED;
	if (m == MAP_FAILED)
		fprintf(stderr, "walmix: %s: %s\n", path, *len > 0 ?
		    strerror(errno) : "empty file");
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

/*
 * pageno -> index into names, for every page dbstat of uri knows; -1
 * elsewhere.  The SQLite result code; 1 (SQLITE_ERROR) for memory.
 */
static int
read_pages(const char *uri, int flags, int **owner, uint32_t *npages,
    struct name **names, size_t *nnames)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sqlite3_open_v2(uri, &h, flags | SQLITE_OPEN_URI, NULL)) !=
	    SQLITE_OK || (rc = sqlite3_prepare_v2(h, "SELECT pageno, name "
	    "FROM dbstat", -1, &s, NULL)) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t pg = sqlite3_column_int64(s, 0);
		const char *nm = (const char *)sqlite3_column_text(s, 1);
		size_t i;

		if (pg <= 0 || pg > (1 << 30) || nm == NULL)
			continue;
		if ((uint32_t)pg > *npages) {
			int *no = realloc(*owner, (size_t)pg * 2 *
			    sizeof(**owner));

			if (no == NULL)
				goto nomem;
			for (i = *npages; i < (size_t)pg * 2; i++)
				no[i] = -1;
			*owner = no;
			*npages = (uint32_t)pg * 2;
		}
		for (i = 0; i < *nnames; i++)
			if (strcmp((*names)[i].name, nm) == 0)
				break;
		if (i == *nnames) {
			struct name *nn = realloc(*names, (*nnames + 1) *
			    sizeof(**names));

			if (nn == NULL)
				goto nomem;
			*names = nn;
			if ((nn[i].name = strdup(nm)) == NULL)
				goto nomem;
			nn[i].n = 0;
			(*nnames)++;
		}
		(*owner)[pg - 1] = (int)i;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	goto out;
nomem:
	fprintf(stderr, "walmix: out of memory\n");
	rc = SQLITE_ERROR;
out:
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_CORRUPT)
		fprintf(stderr, "walmix: %s: %s\n", uri, h != NULL ?
		    sqlite3_errmsg(h) : sqlite3_errstr(rc));
	sqlite3_finalize(s);
	sqlite3_close(h);
	return rc;
}

/* Copy file from to to; 0 or -1 with a message. */
static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n = 0;
	int in, out, rc = -1;

	if ((in = open(from, O_RDONLY)) < 0 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		fprintf(stderr, "walmix: %s: %s\n", in < 0 ? from : to,
		    strerror(errno));
		if (in >= 0)
			close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (n == 0)
		rc = 0;
	else
		fprintf(stderr, "walmix: copying %s: %s\n", from,
		    strerror(errno));
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

static int
load_pages(const char *db, const char *wal, int **owner, uint32_t *npages,
    struct name **names, size_t *nnames)
{
	char uri[4200], tmp[4200], tmpwal[4210], tmpshm[4210];
	int rc;

	/* Read-only and immutable: the WAL is not opened, nothing is
	 * written, and the pages are those the last checkpoint left. */
	(void)snprintf(uri, sizeof(uri), "file:%s?immutable=1", db);
	rc = read_pages(uri, SQLITE_OPEN_READONLY, owner, npages, names,
	    nnames);
	if ((rc & 0xff) != SQLITE_CORRUPT)
		return rc == SQLITE_OK ? 0 : -1;
	/* Damaged alone: open copies of both, SQLite recovers from the
	 * WAL and names the pages as they are at its end. */
	(void)snprintf(tmp, sizeof(tmp), "%s.walmix", db);
	(void)snprintf(tmpwal, sizeof(tmpwal), "%s-wal", tmp);
	(void)snprintf(tmpshm, sizeof(tmpshm), "%s-shm", tmp);
	rc = -1;
	if (copy_file(db, tmp) == 0 && copy_file(wal, tmpwal) == 0) {
		rc = read_pages(tmp, SQLITE_OPEN_READWRITE, owner, npages,
		    names, nnames) == SQLITE_OK ? 0 : -1;
		if (rc != 0)
			fprintf(stderr, "walmix: %s: damaged, with its WAL "
			    "too\n", db);
	}
	(void)unlink(tmp);
	(void)unlink(tmpwal);
	(void)unlink(tmpshm);
	return rc;
}

int
main(int argc, char **argv)
{
	char walpath[4200];
	unsigned char *w = NULL;
	size_t len, off, nnames = 0, i, nc = 0, cstart;
	uint32_t psz, npages = 0;
	uint64_t frames;
	size_t *ends = NULL, cap = 0;
	int *owner = NULL, rc = 1;
	struct name *names = NULL;
	double newpages = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: walmix DB\n");
		return 1;
	}
	(void)snprintf(walpath, sizeof(walpath), "%s-wal", argv[1]);
	if ((w = map_wal(walpath, &len)) == NULL)
		goto out;
	psz = len >= WAL_HDR ? be32(w + 8) : 0;
	if (len < WAL_HDR || (be32(w) & 0xfffffffeu) != 0x377f0682u ||
	    psz < 512 || psz > 65536 || (psz & (psz - 1)) != 0) {
		fprintf(stderr, "walmix: %s: not an SQLite WAL\n", walpath);
		goto out;
	}
	if (load_pages(argv[1], walpath, &owner, &npages, &names,
	    &nnames) != 0)
		goto out;
	/* Frame offsets where each commit ends (exclusive). */
	for (off = WAL_HDR; off + FRAME_HDR + psz <= len;
	    off += FRAME_HDR + psz) {
		if (memcmp(w + off + 8, w + 16, 8) != 0)
			break;	/* another salt: before the last restart */
		if (be32(w + off + 4) == 0)
			continue;
		if (nc == cap) {
			size_t *ne;

			cap = cap ? cap * 2 : 4096;
			if ((ne = realloc(ends, cap * sizeof(*ends))) ==
			    NULL) {
				fprintf(stderr, "walmix: out of memory\n");
				goto out;
			}
			ends = ne;
		}
		ends[nc++] = off + FRAME_HDR + psz;
	}
	if (nc == 0) {
		fprintf(stderr, "walmix: %s: no commit in the WAL\n",
		    walpath);
		goto out;
	}
	cstart = nc > LAST_COMMITS ? nc - LAST_COMMITS : 0;
	off = cstart == 0 ? WAL_HDR : ends[cstart - 1];
	for (; off < ends[nc - 1]; off += FRAME_HDR + psz) {
		uint32_t pg = be32(w + off);

		if (pg >= 1 && pg <= npages && owner[pg - 1] >= 0)
			names[owner[pg - 1]].n++;
		else
			newpages++;
	}
	/* Frames after the last commit belong to no commit. */
	frames = (ends[nc - 1] - WAL_HDR) / (FRAME_HDR + psz);
	printf("commits=%zu frames=%llu page_size=%u frames_per_commit=%.2f",
	    nc, (unsigned long long)frames, psz,
	    (double)frames / (double)nc);
	for (i = 0; i < nnames; i++)
		if (names[i].n > 0)
			printf(" pages_%s=%.2f", names[i].name,
			    names[i].n / (double)(nc - cstart));
	if (newpages > 0)
		printf(" pages_new=%.2f", newpages / (double)(nc - cstart));
	printf("\n");
	rc = 0;
out:
	for (i = 0; i < nnames; i++)
		free(names[i].name);
	free(names);
	free(owner);
	free(ends);
	if (w != NULL)
		munmap(w, len);
	return rc;
}
