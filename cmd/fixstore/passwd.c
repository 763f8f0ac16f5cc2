/*
 * fixstore passwd: set or delete a counterparty's Logon credentials.  The
 * password comes from the terminal (twice, without echo), a file or a
 * descriptor, never from argv; it lives in sodium_malloc'd memory that is
 * wiped after use, and only its argon2id hash reaches the store.
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
#include <termios.h>

#include <sodium.h>

#include "common.h"
#include "fixstore.h"

/* First line of fd into buf, without its newline; length or -1. */
static ssize_t
read_secret_fd(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	char c;

	while (n < cap) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || c == '\n')
			break;
		buf[n++] = c;
	}
	if (n == cap) {
		errno = EMSGSIZE;
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	return (ssize_t)n;
}

static ssize_t
read_tty(int fd, const char *prompt, char *buf, size_t cap)
{
	struct termios old, t;
	ssize_t n;

	if (tcgetattr(fd, &old) < 0)
		return -1;
	t = old;
	t.c_lflag &= ~(tcflag_t)ECHO;
	t.c_lflag |= ECHONL;
	if (fs_write_all(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &t) < 0)
		return -1;
	n = read_secret_fd(fd, buf, cap);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	return n;
}

int
cmd_passwd(int argc, char **argv)
{
	struct fixu_store *st;
	struct fixu_sess s;
	struct fixu_diag d;
	char sid[SID_MAX], prompt[SID_MAX + 40];
	char *pw = NULL, *pw2 = NULL;
	const char *user = "", *file = NULL;
	ssize_t n = 0, n2;
	long pfd = -1;
	int ch, del = 0, fd, rc;
	char *end;

	fs_subopt_reset();
	while ((ch = getopt(argc, argv, "dP:p:u:")) != -1) {
		switch (ch) {
		case 'd':
			del = 1;
			break;
		case 'P':
			errno = 0;
			pfd = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || pfd < 0 || pfd > INT_MAX)
				errx(CMD_EX_USAGE, "bad descriptor '%s'",
				    optarg);
			break;
		case 'p':
			file = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			fs_usage(CMD_EX_USAGE);
		}
	}
	if (optind != argc - 1 || (file != NULL && pfd >= 0) ||
	    (del && (file != NULL || pfd >= 0 || user[0] != '\0')))
		fs_usage(CMD_EX_USAGE);
	st = fs_open_store(1, 0);
	fs_find_session(st, argv[optind], &s);
	fs_sid_str(&s, sid);
	fixu_diag_clear(&d);
	if (del) {
		if ((rc = fixu_store_passwd_clear(st, s.id, &d)) < 0) {
			fixu_store_rollback(st);
			fs_die(rc, &d, sid);
		}
		fs_commit(st, sid);
		fixu_store_close(st);
		return CMD_EX_OK;
	}
	/* Locked (not swapped) where the system allows; wiped after use. */
	if ((pw = sodium_malloc(PW_MAX)) == NULL ||
	    (pw2 = sodium_malloc(PW_MAX)) == NULL)
		errx(CMD_EX_IO, "out of memory");
	if (file != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			err(CMD_EX_IO, "%s", file);
		n = read_secret_fd(fd, pw, PW_MAX);
		if (n < 0)
			err(CMD_EX_IO, "%s", file);
		close(fd);
	} else if (pfd >= 0) {
		if ((n = read_secret_fd((int)pfd, pw, PW_MAX)) < 0)
			err(CMD_EX_IO, "descriptor %ld", pfd);
	} else {
		if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
			errx(CMD_EX_USAGE, "no terminal to read the password "
			    "from: use -p FILE or -P FD");
		(void)snprintf(prompt, sizeof(prompt), "Password for %s: ",
		    sid);
		if ((n = read_tty(fd, prompt, pw, PW_MAX)) < 0)
			err(CMD_EX_IO, "/dev/tty");
		if ((n2 = read_tty(fd, "Again: ", pw2, PW_MAX)) < 0)
			err(CMD_EX_IO, "/dev/tty");
		close(fd);
		if (n != n2 || sodium_memcmp(pw, pw2, (size_t)n) != 0) {
			sodium_free(pw);
			sodium_free(pw2);
			fs_refuse(CMD_EX_NO, "%s: the passwords do not match: "
			    "nothing changed", sid);
		}
	}
	if (n == 0) {
		sodium_free(pw);
		sodium_free(pw2);
		fs_refuse(CMD_EX_USAGE, "%s: empty password: use -d to remove "
		    "credentials", sid);
	}
	rc = fixu_store_passwd_set(st, s.id, user, pw, (size_t)n, &d);
	sodium_free(pw);
	sodium_free(pw2);
	if (rc < 0) {
		fixu_store_rollback(st);
		fs_die(rc, &d, sid);
	}
	fs_commit(st, sid);
	fixu_store_close(st);
	return CMD_EX_OK;
}
