/*
 * walbuf.c -- an SQLite VFS shim that writes each commit's WAL frames in
 * one system call.
 *
 * SQLite writes a WAL frame as two writes, its 24-byte header and then
 * the page, so a commit that touches five pages (a message row, its index
 * entries, the session row) costs ten pwrite(2) calls, and on a virtual
 * machine each costs several microseconds: they were 40% of fixsession's
 * CPU at 10,000 orders/s.  This shim keeps the writes to a WAL file that
 * follow one another in a buffer and writes the buffer at once when:
 *   - the page of a commit frame (a header with a non-zero database size)
 *     has been added: the end of the transaction's frames, before SQLite
 *     publishes the commit in the shared wal-index, so no reader can see
 *     a frame that is not yet in the file and an error reaches the commit;
 *   - a write does not follow the buffer (SQLite rewrites a frame), the
 *     buffer is full, or any other operation comes to the file (read,
 *     sync, truncate, size, lock, close ...), so every other path sees
 *     the file as SQLite wrote it.
 * A crash with frames still in the buffer is a crash before the commit:
 * the same as a crash between SQLite's own writes.  Files that are not a
 * WAL are SQLite's own, untouched.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "walbuf.h"

#define WB_NAME		"fixu-walbuf"
/* Buffer at most this many bytes: SQLite's unix VFS writes less than
 * 128 KiB per call. */
#define WB_MAX		65536
#define WB_FRAME_HDR	24		/* SQLite's WAL frame header */

struct wb {
	sqlite3_file base;	/* pMethods = wb_io */
	sqlite3_file *real;	/* SQLite's own file, just after this */
	unsigned char *buf;	/* WB_MAX bytes, from the first write */
	size_t len;
	sqlite3_int64 off;	/* file offset of buf[0] */
	int commit_next;	/* the next write is a commit frame's page */
};

/* SQLite's file follows ours, aligned as malloc aligns. */
#define WB_HDR		((sizeof(struct wb) + 15) / 16 * 16)

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_real;
static pthread_once_t wb_once = PTHREAD_ONCE_INIT;
static int wb_rc = SQLITE_ERROR;

static int
wb_flush(struct wb *w)
{
	int rc;

	if (w->len == 0)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->off);
	w->len = 0;
	return rc;
}

/* Flush before any other operation on the file. */
#define WB_SYNCED(w) do {						\
	int wb_frc = wb_flush(w);					\
	if (wb_frc != SQLITE_OK)					\
		return wb_frc;						\
} while (0)

static int
wb_close(sqlite3_file *f)
{
	struct wb *w = (struct wb *)f;
	int rc = wb_flush(w), crc;

	crc = w->real->pMethods->xClose(w->real);
	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : crc;
}

static int
wb_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	struct wb *w = (struct wb *)f;

	WB_SYNCED(w);
	return w->real->pMethods->xRead(w->real, p, n, off);
}

static int
wb_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct wb *w = (struct wb *)f;
	const unsigned char *b = p;
	int commit = 0;

	if (n <= 0)
		return w->real->pMethods->xWrite(w->real, p, n, off);
	if (n == WB_FRAME_HDR)
		commit = b[4] | b[5] | b[6] | b[7];
	if (w->len > 0 && (off != w->off + (sqlite3_int64)w->len ||
	    w->len + (size_t)n > WB_MAX))
		WB_SYNCED(w);
	if ((size_t)n > WB_MAX) {
		w->commit_next = 0;
		return w->real->pMethods->xWrite(w->real, p, n, off);
	}
	if (w->buf == NULL && (w->buf = malloc(WB_MAX)) == NULL)
		/* No memory for the buffer: write as SQLite does. */
		return w->real->pMethods->xWrite(w->real, p, n, off);
	if (w->len == 0)
		w->off = off;
	memcpy(w->buf + w->len, b, (size_t)n);
	w->len += (size_t)n;
	if (w->commit_next) {
		w->commit_next = 0;
		return wb_flush(w);
	}
	w->commit_next = commit != 0;
	return SQLITE_OK;
}

static int
wb_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wb *w = (struct wb *)f;

	WB_SYNCED(w);
	return w->real->pMethods->xTruncate(w->real, size);
}

static int
wb_sync(sqlite3_file *f, int flags)
{
	struct wb *w = (struct wb *)f;

	WB_SYNCED(w);
	return w->real->pMethods->xSync(w->real, flags);
}

static int
wb_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wb *w = (struct wb *)f;

	WB_SYNCED(w);
	return w->real->pMethods->xFileSize(w->real, size);
}

static int
wb_lock(sqlite3_file *f, int lock)
{
	struct wb *w = (struct wb *)f;

	WB_SYNCED(w);
	return w->real->pMethods->xLock(w->real, lock);
}

static int
wb_unlock(sqlite3_file *f, int lock)
{
	struct wb *w = (struct wb *)f;

	WB_SYNCED(w);
	return w->real->pMethods->xUnlock(w->real, lock);
}

static int
wb_reserved(sqlite3_file *f, int *out)
{
	struct wb *w = (struct wb *)f;

	return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int
wb_fcntl(sqlite3_file *f, int op, void *arg)
{
	struct wb *w = (struct wb *)f;

	WB_SYNCED(w);
	return w->real->pMethods->xFileControl(w->real, op, arg);
}

static int
wb_sector(sqlite3_file *f)
{
	struct wb *w = (struct wb *)f;

	return w->real->pMethods->xSectorSize(w->real);
}

static int
wb_caps(sqlite3_file *f)
{
	struct wb *w = (struct wb *)f;

	return w->real->pMethods->xDeviceCharacteristics(w->real);
}

/*
 * Version 1: SQLite maps shared memory and fetches pages only through the
 * main database file, never through its WAL.
 */
static const sqlite3_io_methods wb_io = {
	1, wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_size,
	wb_lock, wb_unlock, wb_reserved, wb_fcntl, wb_sector, wb_caps,
	NULL, NULL, NULL, NULL, NULL, NULL
};

static int
wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *oflags)
{
	struct wb *w = (struct wb *)f;
	int rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return wb_real->xOpen(wb_real, name, f, flags, oflags);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)((char *)w + WB_HDR);
	rc = wb_real->xOpen(wb_real, name, w->real, flags, oflags);
	if (w->real->pMethods == NULL) {
		w->base.pMethods = NULL;
		return rc;
	}
	w->base.pMethods = &wb_io;
	return rc;
}

static int
wb_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return wb_real->xDelete(wb_real, name, sync);
}

static int
wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return wb_real->xAccess(wb_real, name, flags, out);
}

static int
wb_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return wb_real->xFullPathname(wb_real, name, n, out);
}

static void *
wb_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return wb_real->xDlOpen(wb_real, name);
}

static void
wb_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	wb_real->xDlError(wb_real, n, out);
}

static void (*wb_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return wb_real->xDlSym(wb_real, h, sym);
}

static void
wb_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	wb_real->xDlClose(wb_real, h);
}

static int
wb_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return wb_real->xRandomness(wb_real, n, out);
}

static int
wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return wb_real->xSleep(wb_real, us);
}

static int
wb_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return wb_real->xCurrentTime(wb_real, out);
}

static int
wb_lasterr(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return wb_real->xGetLastError != NULL ?
	    wb_real->xGetLastError(wb_real, n, out) : 0;
}

static int
wb_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return wb_real->xCurrentTimeInt64(wb_real, out);
}

static void
wb_init(void)
{
	if ((wb_real = sqlite3_vfs_find(NULL)) == NULL)
		return;
	wb_vfs.iVersion = wb_real->iVersion >= 2 ? 2 : 1;
	wb_vfs.szOsFile = (int)WB_HDR + wb_real->szOsFile;
	wb_vfs.mxPathname = wb_real->mxPathname;
	wb_vfs.zName = WB_NAME;
	wb_vfs.xOpen = wb_open;
	wb_vfs.xDelete = wb_delete;
	wb_vfs.xAccess = wb_access;
	wb_vfs.xFullPathname = wb_fullpath;
	wb_vfs.xDlOpen = wb_dlopen;
	wb_vfs.xDlError = wb_dlerror;
	wb_vfs.xDlSym = wb_dlsym;
	wb_vfs.xDlClose = wb_dlclose;
	wb_vfs.xRandomness = wb_random;
	wb_vfs.xSleep = wb_sleep;
	wb_vfs.xCurrentTime = wb_time;
	wb_vfs.xGetLastError = wb_lasterr;
	if (wb_vfs.iVersion >= 2)
		wb_vfs.xCurrentTimeInt64 = wb_time64;
	wb_rc = sqlite3_vfs_register(&wb_vfs, 0);
}

const char *
fixu_walbuf_vfs(void)
{
	(void)pthread_once(&wb_once, wb_init);
	return wb_rc == SQLITE_OK ? WB_NAME : NULL;
}
