/*
 * common.h -- small helpers the tools share: reading the files named on the
 * command line (or stdin) line by line or in chunks, a big output buffer,
 * progress on a terminal.  Nothing here knows about FIX.
 *
 * Ownership: a struct cmd_in owns its read buffer; a line it returns is a
 * view into that buffer, valid until the next call on the same cmd_in.  A
 * struct cmd_out owns its buffer and writes it to its descriptor when it
 * fills, on cmd_out_flush(), and when the input is about to block (see
 * cmd_in.idle), so that a live stream is never held back while a file of
 * a million lines is written in large chunks.
 */
#ifndef FIXU_CMD_COMMON_H
#define FIXU_CMD_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <err.h>
#if !defined(_ERR_H) && !defined(_ERR_H_)
/*
 * With -Ilibfixutil, <err.h> finds libfixutil/err.h instead of the C
 * library's (the Makefile should say -iquote libfixutil); declare what
 * the tools use.
 */
void	err(int, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
void	errx(int, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
void	warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
#endif

/* Exit statuses of DESIGN.md. */
#define CMD_EX_OK	0
#define CMD_EX_NO	1
#define CMD_EX_USAGE	2
#define CMD_EX_DATA	3
#define CMD_EX_PROTO	4
#define CMD_EX_IO	5

/* Results of cmd_in_line(). */
#define CMD_LINE	1	/* a line */
#define CMD_EOF		0	/* no more */
#define CMD_ERR		(-1)	/* read error, errno set */
#define CMD_TOOLONG	(-2)	/* a line longer than max: skipped */

struct cmd_in {
	int		 fd;
	const char	*name;		/* "-" reads as "<stdin>" */
	char		*buf;
	size_t		 cap, start, end;
	size_t		 max;		/* longest line; 0: 1 MiB */
	int		 eof;
	unsigned long	 lineno;	/* of the line last returned */
	uint64_t	 bytes;		/* read so far */
	uint64_t	 total;		/* file size, 0 unknown */
	/* Called before a read that would block; may be NULL. */
	void		(*idle)(void *);
	void		*idle_arg;
	/* Private: progress. */
	double		 last_progress;
	int		 progress;
};

/* Open path ("-" is stdin); -1 with errno on failure. */
int	cmd_in_open(struct cmd_in *, const char *path, size_t max);
void	cmd_in_close(struct cmd_in *);
/* Next line without its '\n' (a '\r' before it is kept). */
int	cmd_in_line(struct cmd_in *, const char **p, size_t *n);
/* Up to n raw bytes; 0 at the end, -1 with errno.  Calls idle first. */
ssize_t	cmd_in_read(struct cmd_in *, void *p, size_t n);
/* Show "name: 12.3 MiB (45%)" on stderr if it is a terminal, at most
 * twice a second; cmd_in_close() clears the line. */
void	cmd_in_progress(struct cmd_in *);

struct cmd_out {
	int		 fd;
	char		*buf;
	size_t		 len, cap;
	int		 error;		/* errno of a failed write, sticky */
};

/* cap 0: 1 MiB.  Exits with CMD_EX_IO when out of memory. */
void	cmd_out_init(struct cmd_out *, int fd, size_t cap);
void	cmd_out_fini(struct cmd_out *);
/* 0, or -1 with errno (also in out->error). */
int	cmd_out_write(struct cmd_out *, const void *, size_t);
int	cmd_out_flush(struct cmd_out *);
/* For cmd_in.idle: flush, errors kept in error. */
void	cmd_out_idle(void *cmd_out);

/*
 * For a child of fork() in a process with threads, which may not allocate:
 * cmd_env(), before the fork, returns environ with names[i] set to
 * values[i] (removed where values[i] is NULL), in one malloc'd block;
 * cmd_exec(), in the child, execs argv with it, or says why it could not
 * on stderr and exits 127 (not found) or 126.
 */
char	**cmd_env(const char *const *names, const char *const *values,
	    size_t n);
void	cmd_exec(char **env, char **argv, const char *prog)
	    __attribute__((noreturn));

#endif
