/*
 * common.c -- input, output and progress helpers shared by the tools.
 *
 * Input is read with read(2) into one buffer that grows up to the longest
 * line allowed; lines are views into it.  Before a read that would block
 * (poll says nothing is ready) the idle hook runs, which the tools point at
 * their output flush: batch input is written in big chunks, a live stream
 * goes out as soon as the writer has nothing more to read.
 */
#define _GNU_SOURCE		/* strerrordesc_np */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define IN_CHUNK	(64u << 10)
#define IN_MAXDEF	(1u << 20)

int
cmd_in_open(struct cmd_in *in, const char *path, size_t max)
{
	struct stat st;

	memset(in, 0, sizeof(*in));
	in->max = max ? max : IN_MAXDEF;
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
		in->name = "<stdin>";
	} else {
		if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return -1;
		in->name = path;
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
		in->total = (uint64_t)st.st_size;
	in->progress = isatty(STDERR_FILENO) && in->total > (8u << 20);
	return 0;
}

void
cmd_in_close(struct cmd_in *in)
{
	if (in->progress && in->last_progress > 0)
		fprintf(stderr, "\r\033[K");
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	in->fd = -1;
	free(in->buf);
	in->buf = NULL;
	in->cap = in->start = in->end = 0;
}

static void
maybe_idle(struct cmd_in *in)
{
	struct pollfd pfd;

	if (in->idle == NULL)
		return;
	pfd.fd = in->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 0)
		in->idle(in->idle_arg);
}

ssize_t
cmd_in_read(struct cmd_in *in, void *p, size_t n)
{
	ssize_t r;

	maybe_idle(in);
	do
		r = read(in->fd, p, n);
	while (r == -1 && errno == EINTR);
	if (r > 0)
		in->bytes += (uint64_t)r;
	return r;
}

/* Room for one more chunk after the unread bytes. */
static int
in_fill(struct cmd_in *in)
{
	size_t want, ncap;
	ssize_t r;
	char *np;

	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	want = in->end + IN_CHUNK;
	if (want > in->cap) {
		ncap = in->cap ? in->cap : 4 * IN_CHUNK;
		while (ncap < want)
			ncap *= 2;
		if ((np = realloc(in->buf, ncap)) == NULL)
			return -1;
		in->buf = np;
		in->cap = ncap;
	}
	r = cmd_in_read(in, in->buf + in->end, in->cap - in->end);
	if (r < 0)
		return -1;
	if (r == 0)
		in->eof = 1;
	in->end += (size_t)r;
	return 0;
}

int
cmd_in_line(struct cmd_in *in, const char **p, size_t *n)
{
	char *nl;
	int skipping = 0;

	for (;;) {
		nl = in->end > in->start ? memchr(in->buf + in->start, '\n',
		    in->end - in->start) : NULL;
		if (nl != NULL) {
			*p = in->buf + in->start;
			*n = (size_t)(nl - *p);
			in->start = (size_t)(nl + 1 - in->buf);
			if (skipping)
				return CMD_TOOLONG;
			in->lineno++;
			return CMD_LINE;
		}
		if (in->end - in->start > in->max) {
			/* Too long: drop what we have, find the end. */
			if (!skipping)
				in->lineno++;
			skipping = 1;
			in->start = in->end;
		}
		if (in->eof) {
			if (skipping)
				return CMD_TOOLONG;
			if (in->start == in->end)
				return CMD_EOF;
			*p = in->buf + in->start;
			*n = in->end - in->start;
			in->start = in->end;
			in->lineno++;
			return CMD_LINE;
		}
		if (in_fill(in) < 0)
			return CMD_ERR;
	}
}

void
cmd_in_progress(struct cmd_in *in)
{
	struct timespec ts;
	double now;

	if (!in->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (now - in->last_progress < 0.5)
		return;
	in->last_progress = now;
	fprintf(stderr, "\r%s: %.1f MiB (%d%%)\033[K", in->name,
	    (double)in->bytes / (1 << 20),
	    (int)(in->bytes * 100 / (in->total ? in->total : 1)));
}

void
cmd_out_init(struct cmd_out *o, int fd, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->cap = cap ? cap : (1u << 20);
	if ((o->buf = malloc(o->cap)) == NULL)
		err(CMD_EX_IO, "output buffer");
}

void
cmd_out_fini(struct cmd_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

static int
write_all(struct cmd_out *o, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(o->fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			o->error = errno;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cmd_out_flush(struct cmd_out *o)
{
	int rc;

	if (o->error) {
		errno = o->error;
		return -1;
	}
	rc = write_all(o, o->buf, o->len);
	o->len = 0;
	return rc;
}

int
cmd_out_write(struct cmd_out *o, const void *p, size_t n)
{
	if (o->error) {
		errno = o->error;
		return -1;
	}
	if (n > o->cap - o->len) {
		if (cmd_out_flush(o) < 0)
			return -1;
		if (n >= o->cap)
			return write_all(o, p, n);
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

void
cmd_out_idle(void *arg)
{
	(void)cmd_out_flush(arg);
}

/*
 * In a process with threads, a child of fork() may call only functions
 * that are safe in a signal handler until it execs: another thread may
 * have held an allocator's lock at the fork, and in the child nobody
 * releases it (glibc's malloc resets its locks at fork, the allocator of
 * GCC 12's AddressSanitizer does not).  So the environment is built
 * before the fork and the child only switches to it.
 */
char **
cmd_env(const char *const *names, const char *const *values, size_t n)
{
	extern char **environ;
	char **env, **e, *str;
	size_t ne = 0, i, len, k = 0, bytes = 0;

	for (e = environ; *e != NULL; e++)
		ne++;
	for (i = 0; i < n; i++)
		if (values[i] != NULL)
			bytes += strlen(names[i]) + strlen(values[i]) + 2;
	if ((env = malloc((ne + n + 1) * sizeof(*env) + bytes)) == NULL)
		return NULL;
	str = (char *)(env + ne + n + 1);
	for (e = environ; *e != NULL; e++) {
		for (i = 0; i < n; i++) {
			len = strlen(names[i]);
			if (strncmp(*e, names[i], len) == 0 &&
			    (*e)[len] == '=')
				break;
		}
		if (i == n)
			env[k++] = *e;
	}
	for (i = 0; i < n; i++) {
		if (values[i] == NULL)
			continue;
		env[k++] = str;
		str += sprintf(str, "%s=%s", names[i], values[i]) + 1;
	}
	env[k] = NULL;
	return env;
}

void
cmd_exec(char **env, char **argv, const char *prog)
{
	extern char **environ;
	char msg[512];
	const char *why;
	int e, n;

	environ = env;
	execvp(argv[0], argv);
	e = errno;
	/* strerrordesc_np(): a constant string, no locale, no allocation. */
	if ((why = strerrordesc_np(e)) == NULL)
		why = "cannot execute";
	n = snprintf(msg, sizeof(msg), "%s: %s: %s\n", prog, argv[0], why);
	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n :
		    sizeof(msg) - 1);
	_exit(e == ENOENT ? 127 : 126);
}
