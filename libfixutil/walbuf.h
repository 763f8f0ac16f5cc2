/*
 * walbuf.h -- an SQLite VFS that writes each commit's WAL frames in one
 * system call (walbuf.c).
 */
#ifndef FIXU_WALBUF_H
#define FIXU_WALBUF_H

/*
 * Registers the VFS on the first call (thread-safe) and returns its name
 * for sqlite3_open_v2(), or NULL when it could not be registered: the
 * caller then opens with SQLite's default VFS.
 */
const char *fixu_walbuf_vfs(void);

#endif
