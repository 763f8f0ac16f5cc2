/*
 * def.h -- raw FIX over TCP, and the player of QuickFIX acceptance .def
 * files that is built on it.
 *
 * A struct raw_conn is one TCP connection that carries bytes exactly as
 * they are given: no session layer, no header filled, nothing answered.
 * Both players of fixsim script use it (the .def player here and the
 * send/expect scripts of script.c), since both must be able to send what
 * a session layer never would.  It owns its descriptor and the bytes
 * received and not yet consumed; an all-zero one after raw_init() is
 * closed and empty.
 *
 * The .def player reads one file, plays it against host:port and returns
 * DEF_PASS, DEF_FAIL or DEF_ERROR; why it did not pass is appended to a
 * buffer the caller owns, one "file:line: reason" line each, followed by
 * the messages concerned indented by two spaces.  It never prints, except
 * the trace of every step to opts->trace when that is set, and never
 * exits.  A struct def_fmt holds the rules of a fields.fmt file; it is
 * read-only once loaded and may serve any number of plays.
 */
#ifndef FIXSIM_DEF_H
#define FIXSIM_DEF_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

/* Results of def_play(), and of a script: the exit statuses of the mode. */
#define DEF_PASS	0
#define DEF_FAIL	1	/* the engine did not do what the file says */
#define DEF_ERROR	2	/* bad file, cannot read it, cannot connect */

struct raw_conn {
	int		fd;	/* -1: closed */
	struct fixu_buf	in;	/* received, not yet consumed */
};

/* Results of raw_fill(). */
enum { RAW_DATA, RAW_EOF, RAW_TIMEOUT, RAW_ERROR };

/* CLOCK_MONOTONIC in milliseconds. */
int64_t	raw_now_ms(void);
void	raw_init(struct raw_conn *);
/* Close the connection, drop what was received; the buffer is kept. */
void	raw_close(struct raw_conn *);
void	raw_fini(struct raw_conn *);
/*
 * Connect to host:port (TCP_NODELAY, non-blocking).  A refused connection
 * is tried again for retry_ms, since the engine may still be starting.
 * Returns 0, or -1 with the reason in why.
 */
int	raw_open(struct raw_conn *, const char *host, const char *port,
	    int retry_ms, char *why, size_t whysz);
/* Send all of p[0..n), waiting up to timeout_ms for a slow reader. */
int	raw_send(struct raw_conn *, const void *p, size_t n, int timeout_ms,
	    char *why, size_t whysz);
/*
 * Wait until until_ms (raw_now_ms() time) for bytes, append them to
 * c->in.  RAW_ERROR leaves errno set; a reset connection is RAW_EOF.
 */
int	raw_fill(struct raw_conn *, int64_t until_ms);

/* Append p[0..n) readably: SOH as '|', other control bytes as \xHH. */
void	def_show(struct fixu_buf *, const char *p, size_t n);
/*
 * Compile a POSIX extended expression that may use \d for a digit (as
 * the suite's fields.fmt does); anchored: the whole value must match.
 */
int	def_regcomp(regex_t *, const char *src, size_t n, int anchored);

struct def_fmt;

/*
 * Load a fields.fmt file ("TAG=REGEX" a line); path NULL gives the rules
 * of the QuickFIX suite's own file, built in.  On failure *out is NULL
 * and why holds a line saying what.
 */
int	def_fmt_load(struct def_fmt **out, const char *path,
	    struct fixu_buf *why);
void	def_fmt_free(struct def_fmt *);
/* The fields.fmt beside a .def file, or one or two directories up. */
int	def_fmt_find(const char *def, char *out, size_t outsz);

struct def_opts {
	const char	*host;		/* NULL: 127.0.0.1 */
	const char	*port;
	int		 expect_ms;	/* an E step; 0: 20 s */
	int		 disc_ms;	/* eDISCONNECT; 0: 10 s */
	int		 connect_ms;	/* retrying refusals; 0: 5 s */
	FILE		*trace;		/* every step, or NULL */
};

/* Play one file: DEF_PASS, DEF_FAIL or DEF_ERROR, reasons in diag. */
int	def_play(const struct def_opts *, const struct def_fmt *,
	    const char *path, struct fixu_buf *diag);
/* "fix44/1a_Logon.def": the file and its directory, as TAP names it. */
const char *def_test_name(const char *path);

#endif
