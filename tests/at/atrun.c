/*
 * atrun -- play session-layer acceptance scripts (.def files) against an
 * acceptor over TCP and report TAP, one test per file.
 *
 * A .def file is one step per line: iCONNECT and iDISCONNECT open and
 * close a connection, I<message> sends, E<message> reads exactly one
 * message and compares it, eDISCONNECT waits for the engine to close the
 * connection without sending anything more.  An optional "<digit>," after
 * the step letter names the connection (default 1).  Before use a payload
 * has <TIME>, <TIME+N> and <TIME-N> replaced by the UTC time, and a
 * message that starts with 8= gets BodyLength and CheckSum where it has
 * none; explicit ones are kept, since that is how scripts send bad ones.
 *
 * Comparison is field by field on SOH: the same number of fields and the
 * same tags in the same places; a tag listed in fields.fmt must contain a
 * match of the regular expression given there (the expected value is a
 * placeholder), every other value must be equal.  Received bytes are cut
 * into messages with fixu_frame(), so several messages in one read (or one
 * message in several) compare like any other.
 *
 * The player keeps everything about one run in a struct player and knows
 * nothing of the engine beyond its address, so it can move into a
 * scripting tool unchanged.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "err.h"

#define NCONN		10	/* connection ids 0-9 */
#define E_TIMEOUT_S	20	/* an E step; heartbeat tests wait seconds */
#define DISC_TIMEOUT_S	10	/* eDISCONNECT */
#define CONNECT_RETRY_MS 5000	/* the engine may still be starting */
#define MAX_DEF		(16u << 20)
#define MAX_FMT		(1u << 20)

enum {
	EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_IO = 5
};

struct fmtrule {
	char	 tag[16];
	char	*src;	/* the expression as written, for diagnostics */
	regex_t	 re;
};

struct fmt {
	struct fmtrule	*r;
	size_t		 n;
};

struct conn {
	int		fd;	/* -1: closed */
	struct fixu_buf	in;	/* received, not yet compared */
};

struct player {
	const char	*host, *port;
	int		 e_ms, disc_ms;
	int		 verbose;
	const struct fmt *fmt;
	struct conn	 c[NCONN];
	const char	*file;
	unsigned long	 line;
	struct fixu_buf	 diag;	/* why the current file failed */
	struct fixu_buf	 tmp, msg, val;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: atrun [-v] [-f fields.fmt] [-H host] "
	    "[-t timeout_s] -p port file.def ...\n");
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append p[0..n) with SOH as '|' and other control bytes escaped. */
static void
show(struct fixu_buf *b, const char *p, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == FIXU_SOH)
			fixu_buf_putc(b, '|');
		else if (c < 0x20 || c == 0x7f)
			fixu_buf_printf(b, "\\x%02x", c);
		else
			fixu_buf_putc(b, c);
	}
}

static void	fail(struct player *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record why the file failed, at the current line. */
static void
fail(struct player *pl, const char *fmt, ...)
{
	va_list ap;
	char tmp[512];
	int r;

	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (r < 0)
		tmp[0] = '\0';
	else if ((size_t)r >= sizeof(tmp))
		memcpy(tmp + sizeof(tmp) - 4, "...", 4);
	fixu_buf_printf(&pl->diag, "%s:%lu: %s\n", pl->file, pl->line, tmp);
}

static void
fail_show(struct player *pl, const char *what, const char *p, size_t n)
{
	fixu_buf_printf(&pl->diag, "  %-9s ", what);
	show(&pl->diag, p, n);
	fixu_buf_putc(&pl->diag, '\n');
}

static void
trace(const struct player *pl, const char *dir, const char *p, size_t n)
{
	struct fixu_buf b = { 0 };

	if (!pl->verbose)
		return;
	fixu_buf_printf(&b, "%s:%lu: %s ", pl->file, pl->line, dir);
	show(&b, p, n);
	fixu_buf_putc(&b, '\n');
	fwrite(b.p, 1, b.len, stderr);
	fixu_buf_fini(&b);
}

/*
 * fields.fmt: "TAG=REGEX" per line.  The expressions use \d, which POSIX
 * regcomp() does not know, so it is spelt out.  A value matches when the
 * expression occurs in it, unanchored, as the suite's own runner matched:
 * the expected messages count OrigSendingTime (122) with milliseconds in
 * their BodyLength while its pattern has none.
 */
static int
fmt_add(struct fmt *f, const char *path, const char *line, size_t n)
{
	struct fmtrule *v;
	struct fixu_buf re = { 0 };
	size_t i;
	int inbr = 0, rc = -1;

	for (i = 0; i < n && line[i] >= '0' && line[i] <= '9'; i++)
		continue;
	if (i == 0 || i >= sizeof(v->tag) || i == n || line[i] != '=') {
		fprintf(stderr, "atrun: %s: bad line '%.*s'\n", path, (int)n,
		    line);
		return -1;
	}
	if ((v = realloc(f->r, (f->n + 1) * sizeof(*v))) == NULL)
		return -1;
	f->r = v;
	v = &f->r[f->n];
	memcpy(v->tag, line, i);
	v->tag[i] = '\0';
	if ((v->src = strndup(line + i + 1, n - i - 1)) == NULL)
		return -1;
	fixu_buf_putc(&re, '(');
	for (i++; i < n; i++) {
		if (line[i] == '\\' && i + 1 < n && line[i + 1] == 'd') {
			fixu_buf_puts(&re, inbr ? "0-9" : "[0-9]");
			i++;
			continue;
		}
		if (line[i] == '[')
			inbr = 1;
		else if (line[i] == ']')
			inbr = 0;
		fixu_buf_putc(&re, line[i]);
	}
	if (fixu_buf_putc(&re, ')') != 0 || fixu_buf_putc(&re, '\0') != 0)
		goto out;
	if (regcomp(&v->re, re.p, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "atrun: %s: bad expression for tag %s: %s\n",
		    path, v->tag, v->src);
		goto out;
	}
	f->n++;
	rc = 0;
out:
	if (rc != 0)
		free(v->src);
	fixu_buf_fini(&re);
	return rc;
}

static void
fmt_free(struct fmt *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		regfree(&f->r[i].re);
		free(f->r[i].src);
	}
	free(f->r);
	f->r = NULL;
	f->n = 0;
}

static int
read_all(const char *path, size_t max, struct fixu_buf *b)
{
	int fd;
	ssize_t r;

	fixu_buf_reset(b);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	for (;;) {
		if (fixu_buf_reserve(b, 65536) != 0 || b->len > max) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		r = read(fd, b->p + b->len, b->cap - b->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		b->len += (size_t)r;
	}
	close(fd);
	return r == 0 ? 0 : -1;
}

static int
fmt_load(struct fmt *f, const char *path)
{
	struct fixu_buf b = { 0 };
	const char *p, *nl, *end;
	size_t n;

	if (read_all(path, MAX_FMT, &b) != 0) {
		fprintf(stderr, "atrun: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	for (p = b.p, end = b.p + b.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (n == 0 || p[0] == '#')
			continue;
		if (fmt_add(f, path, p, n) != 0)
			goto fail;
	}
	fixu_buf_fini(&b);
	return 0;
fail:
	fixu_buf_fini(&b);
	fmt_free(f);
	return -1;
}

static const struct fmtrule *
fmt_find(const struct fmt *f, const char *tag, size_t n)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strlen(f->r[i].tag) == n && memcmp(f->r[i].tag, tag, n) == 0)
			return &f->r[i];
	return NULL;
}

/* <TIME>, <TIME+N>, <TIME-N> in p[0..n) into pl->tmp. */
static int
rewrite_time(struct player *pl, const char *p, size_t n)
{
	const char *q, *end = p + n, *gt;
	char ts[32];
	long long off;
	time_t t;
	struct tm tm;
	size_t k;

	fixu_buf_reset(&pl->tmp);
	while ((q = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if (fixu_buf_append(&pl->tmp, p, (size_t)(q - p)) != 0)
			return -1;
		p = q;
		gt = memchr(q, '>', (size_t)(end - q));
		off = 0;
		if (gt == NULL || (size_t)(gt - q) < 5 ||
		    memcmp(q, "<TIME", 5) != 0)
			goto literal;
		if (gt - q > 5) {
			if (q[5] != '+' && q[5] != '-')
				goto literal;
			if (gt - q == 6 || gt - q > 6 + 9)
				goto literal;
			for (k = 6; q + k < gt; k++) {
				if (q[k] < '0' || q[k] > '9')
					goto literal;
				off = off * 10 + (q[k] - '0');
			}
			if (q[5] == '-')
				off = -off;
		}
		t = time(NULL) + (time_t)off;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(ts, sizeof(ts), "%Y%m%d-%H:%M:%S", &tm) == 0)
			return -1;
		if (fixu_buf_puts(&pl->tmp, ts) != 0)
			return -1;
		p = gt + 1;
		continue;
literal:
		if (fixu_buf_putc(&pl->tmp, '<') != 0)
			return -1;
		p++;
	}
	return fixu_buf_append(&pl->tmp, p, (size_t)(end - p));
}

/*
 * pl->tmp into pl->msg, with BodyLength after BeginString and CheckSum at
 * the end where the payload has none.
 */
static int
complete(struct player *pl)
{
	const char *p = pl->tmp.p, *f, *end = pl->tmp.p + pl->tmp.len;
	const char *first_end, *last;
	struct fixu_buf *m = &pl->msg;
	int has9 = 0, has10;
	size_t bodyend;

	fixu_buf_reset(m);
	if (pl->tmp.len < 2 || p[0] != '8' || p[1] != '=')
		return fixu_buf_append(m, p, pl->tmp.len);
	/* Fields: the tags of all, and where the last one starts. */
	last = p;
	for (f = p; f < end; ) {
		const char *e = memchr(f, FIXU_SOH, (size_t)(end - f));

		if (e == NULL)
			e = end;
		if (e - f >= 2 && f[0] == '9' && f[1] == '=')
			has9 = 1;
		if (e > f)
			last = f;
		f = e + 1;
	}
	has10 = end - last >= 3 && memcmp(last, "10=", 3) == 0;
	bodyend = has10 ? (size_t)(last - p) : pl->tmp.len;
	if ((first_end = memchr(p, FIXU_SOH, pl->tmp.len)) == NULL)
		first_end = end;
	if (has9) {
		if (fixu_buf_append(m, p, bodyend) != 0)
			return -1;
	} else {
		size_t flen = (size_t)(first_end - p);
		size_t body = first_end < end ? bodyend - flen - 1 : 0;

		if (fixu_buf_append(m, p, flen) != 0 ||
		    fixu_buf_putc(m, FIXU_SOH) != 0 ||
		    fixu_buf_printf(m, "9=%zu", body) != 0 ||
		    fixu_buf_putc(m, FIXU_SOH) != 0)
			return -1;
		if (first_end < end &&
		    fixu_buf_append(m, first_end + 1, bodyend - flen - 1) != 0)
			return -1;
	}
	if (has10)
		return fixu_buf_append(m, p + bodyend, pl->tmp.len - bodyend);
	if (m->len > 0 && m->p[m->len - 1] != FIXU_SOH &&
	    fixu_buf_putc(m, FIXU_SOH) != 0)
		return -1;
	if (fixu_buf_printf(m, "10=%03u", fixu_checksum(m->p, m->len,
	    FIXU_SOH)) != 0 || fixu_buf_putc(m, FIXU_SOH) != 0)
		return -1;
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	fixu_buf_reset(&c->in);
}

static int
conn_open(struct player *pl, int id)
{
	struct conn *c = &pl->c[id];
	struct addrinfo hints, *res = NULL, *ai;
	int64_t until = now_ms() + CONNECT_RETRY_MS;
	int fd = -1, one = 1, rc, refused, saved = 0;

	conn_close(c);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(pl->host, pl->port, &hints, &res)) != 0) {
		fail(pl, "%s port %s: %s", pl->host, pl->port,
		    gai_strerror(rc));
		return -1;
	}
	for (;;) {
		refused = 0;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype,
			    ai->ai_protocol);
			if (fd == -1)
				continue;
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				goto connected;
			saved = errno;
			if (errno == ECONNREFUSED)
				refused = 1;
			close(fd);
			fd = -1;
		}
		/* A refusal is retried: the engine may still be starting. */
		if (!refused || now_ms() >= until)
			break;
		usleep(50 * 1000);
	}
	fail(pl, "connect to %s port %s: %s", pl->host, pl->port,
	    strerror(saved));
	freeaddrinfo(res);
	return -1;
connected:
	freeaddrinfo(res);
	/* Steps go out as written; no waiting for ACKs between small ones. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		fail(pl, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

static int
send_all(struct player *pl, struct conn *c, const char *p, size_t n)
{
	int64_t until = now_ms() + pl->e_ms;
	struct pollfd pfd;
	ssize_t w;
	int64_t left;

	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((left = until - now_ms()) <= 0) {
				fail(pl, "send: the engine reads nothing "
				    "for %d s", pl->e_ms / 1000);
				return -1;
			}
			pfd.fd = c->fd;
			pfd.events = POLLOUT;
			poll(&pfd, 1, (int)left);
			continue;
		}
		fail(pl, "send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

enum { R_DATA, R_EOF, R_TIMEOUT, R_ERROR };

/* Read what arrives on c before until (ms); R_ERROR sets errno. */
static int
fill(struct conn *c, int64_t until)
{
	struct pollfd pfd;
	int64_t left;
	ssize_t r;
	int rc;

	for (;;) {
		left = until - now_ms();
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left > 0 ? (int)(left > INT_MAX ?
		    INT_MAX : left) : 0);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return R_ERROR;
		if (rc == 0)
			return R_TIMEOUT;
		if (fixu_buf_reserve(&c->in, 65536) != 0) {
			errno = ENOBUFS;
			return R_ERROR;
		}
		r = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len);
		if (r > 0) {
			c->in.len += (size_t)r;
			return R_DATA;
		}
		if (r == 0)
			return R_EOF;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		return errno == ECONNRESET ? R_EOF : R_ERROR;
	}
}

/*
 * The next message on c, within the E timeout: 0 with it at
 * c->in.p[*off..*off + *len), or -1 after fail().
 */
static int
next_msg(struct player *pl, struct conn *c, size_t *off, size_t *len)
{
	int64_t until = now_ms() + pl->e_ms;
	struct fixu_frame fr;
	struct fixu_diag d;
	char buf[256];
	int rc;

	for (;;) {
		if (c->in.len > 0) {
			fixu_diag_clear(&d);
			rc = fixu_frame(c->in.p, c->in.len, 0, &fr, &d);
			if (rc == 0 && fr.start == 0) {
				*off = fr.start;
				*len = fr.len;
				return 0;
			}
			if (rc == 0) {
				fail(pl, "received bytes that are not a "
				    "message");
				fail_show(pl, "received", c->in.p,
				    fr.start + fr.len);
				return -1;
			}
			if (rc != FIXU_EAGAIN) {
				fail(pl, "received a garbled message: %s",
				    fixu_diag_fmt(&d, buf, sizeof(buf)));
				fail_show(pl, "received", c->in.p, c->in.len);
				return -1;
			}
		}
		switch (fill(c, until)) {
		case R_DATA:
			continue;
		case R_TIMEOUT:
			fail(pl, "no message within %d s", pl->e_ms / 1000);
			break;
		case R_EOF:
			fail(pl, "the engine closed the connection");
			break;
		default:
			fail(pl, "read: %s", strerror(errno));
			break;
		}
		if (c->in.len > 0)
			fail_show(pl, "partial", c->in.p, c->in.len);
		return -1;
	}
}

struct field {
	const char	*p, *v;		/* field, value */
	size_t		 n, tn, vn;	/* field, tag, value lengths */
};

static int
next_field(const char *p, size_t n, size_t *i, struct field *f)
{
	const char *e, *eq;

	if (*i >= n)
		return 0;
	f->p = p + *i;
	if ((e = memchr(f->p, FIXU_SOH, n - *i)) == NULL)
		e = p + n;
	f->n = (size_t)(e - f->p);
	if ((eq = memchr(f->p, '=', f->n)) == NULL) {
		f->tn = f->n;
		f->v = e;
		f->vn = 0;
	} else {
		f->tn = (size_t)(eq - f->p);
		f->v = eq + 1;
		f->vn = (size_t)(e - f->v);
	}
	*i += f->n + 1;
	return 1;
}

static int
compare(struct player *pl, const char *e, size_t en, const char *g,
    size_t gn)
{
	const struct fmtrule *r;
	struct field fe, fg;
	size_t ie = 0, ig = 0;
	unsigned k;
	int he, hg;

	for (k = 1; ; k++) {
		he = next_field(e, en, &ie, &fe);
		hg = next_field(g, gn, &ig, &fg);
		if (!he && !hg)
			return 0;
		if (!hg) {
			fail(pl, "field %u: expected %.*s, received nothing "
			    "more", k, (int)fe.n, fe.p);
			goto mismatch;
		}
		if (!he) {
			fail(pl, "field %u: expected nothing more, received "
			    "%.*s", k, (int)fg.n, fg.p);
			goto mismatch;
		}
		if (fe.tn != fg.tn || memcmp(fe.p, fg.p, fe.tn) != 0) {
			fail(pl, "field %u: expected tag %.*s, received %.*s",
			    k, (int)fe.tn, fe.p, (int)fg.tn, fg.p);
			goto mismatch;
		}
		if ((r = fmt_find(pl->fmt, fe.p, fe.tn)) != NULL) {
			fixu_buf_reset(&pl->val);
			if (fixu_buf_append(&pl->val, fg.v, fg.vn) != 0 ||
			    fixu_buf_putc(&pl->val, '\0') != 0 ||
			    memchr(fg.v, '\0', fg.vn) != NULL ||
			    regexec(&r->re, pl->val.p, 0, NULL, 0) != 0) {
				fail(pl, "field %u: %.*s does not match %s", k,
				    (int)fg.n, fg.p, r->src);
				goto mismatch;
			}
		} else if (fe.vn != fg.vn || memcmp(fe.v, fg.v, fe.vn) != 0) {
			fail(pl, "field %u: expected %.*s, received %.*s", k,
			    (int)fe.n, fe.p, (int)fg.n, fg.p);
			goto mismatch;
		}
	}
mismatch:
	fail_show(pl, "expected", e, en);
	fail_show(pl, "received", g, gn);
	return -1;
}

static int
expect_msg(struct player *pl, struct conn *c)
{
	size_t off, len;
	int rc;

	if (next_msg(pl, c, &off, &len) != 0) {
		fail_show(pl, "expected", pl->msg.p, pl->msg.len);
		return -1;
	}
	trace(pl, "<", c->in.p + off, len);
	rc = compare(pl, pl->msg.p, pl->msg.len, c->in.p + off, len);
	fixu_buf_consume(&c->in, off + len);
	return rc;
}

static int
expect_disconnect(struct player *pl, struct conn *c)
{
	int64_t until = now_ms() + pl->disc_ms;

	while (c->in.len == 0) {
		switch (fill(c, until)) {
		case R_DATA:
			continue;
		case R_EOF:
			trace(pl, "<", "(disconnect)", 12);
			conn_close(c);
			return 0;
		case R_TIMEOUT:
			fail(pl, "expected a disconnect, still connected "
			    "after %d s", pl->disc_ms / 1000);
			return -1;
		default:
			fail(pl, "read: %s", strerror(errno));
			return -1;
		}
	}
	/* Let the rest of a message arrive, for a readable report. */
	until = now_ms() + 200;
	while (fill(c, until) == R_DATA)
		continue;
	fail(pl, "expected a disconnect, received data");
	fail_show(pl, "received", c->in.p, c->in.len);
	return -1;
}

/* Data the engine sent after the script's last step on c. */
static int
expect_quiet(struct player *pl, struct conn *c)
{
	if (c->fd != -1)
		(void)fill(c, now_ms());
	if (c->in.len == 0)
		return 0;
	fail(pl, "received data after the last step");
	fail_show(pl, "received", c->in.p, c->in.len);
	return -1;
}

enum { S_CONNECT, S_DISCONNECT, S_SEND, S_EXPECT, S_EXPECT_DISC };

/* Play one step; the line is p[0..n), '\r' and '\n' stripped. */
static int
step(struct player *pl, const char *p, size_t n)
{
	const char *arg = p + 1;
	size_t an = n - 1;
	int id = 1, kind;
	struct conn *c;

	if (n >= 3 && p[1] >= '0' && p[1] <= '9' && p[2] == ',') {
		id = p[1] - '0';
		arg = p + 3;
		an = n - 3;
	}
	while (an > 0 && (arg[an - 1] == ' ' || arg[an - 1] == '\t') &&
	    (p[0] == 'i' || p[0] == 'e'))
		an--;
#define ISARG(s) (an == sizeof(s) - 1 && memcmp(arg, s, an) == 0)
	if (p[0] == 'i' && ISARG("CONNECT"))
		kind = S_CONNECT;
	else if (p[0] == 'i' && ISARG("DISCONNECT"))
		kind = S_DISCONNECT;
	else if (p[0] == 'e' && ISARG("DISCONNECT"))
		kind = S_EXPECT_DISC;
	else if (p[0] == 'I')
		kind = S_SEND;
	else if (p[0] == 'E')
		kind = S_EXPECT;
	else {
		fail(pl, "unknown step '%.*s'", (int)(n > 40 ? 40 : n), p);
		return -1;
	}
#undef ISARG
	c = &pl->c[id];
	if (kind == S_CONNECT) {
		if (pl->verbose)
			fprintf(stderr, "%s:%lu: connect %d\n", pl->file,
			    pl->line, id);
		return conn_open(pl, id);
	}
	if (c->fd == -1) {
		fail(pl, "connection %d is not open", id);
		return -1;
	}
	switch (kind) {
	case S_DISCONNECT:
		conn_close(c);
		return 0;
	case S_EXPECT_DISC:
		return expect_disconnect(pl, c);
	default:
		break;
	}
	if (rewrite_time(pl, arg, an) != 0 || complete(pl) != 0) {
		fail(pl, "message too long");
		return -1;
	}
	if (kind == S_SEND) {
		trace(pl, ">", pl->msg.p, pl->msg.len);
		return send_all(pl, c, pl->msg.p, pl->msg.len);
	}
	return expect_msg(pl, c);
}

/* Play one file: 0 passed, 1 failed, EX_IO when it cannot be read. */
static int
play(struct player *pl, const char *path)
{
	struct fixu_buf def = { 0 };
	const char *p, *nl, *end;
	size_t n, k;
	int rc = 0, i;

	pl->file = path;
	pl->line = 0;
	fixu_buf_reset(&pl->diag);
	def.max = MAX_DEF;
	if (read_all(path, MAX_DEF, &def) != 0) {
		fail(pl, "%s", strerror(errno));
		rc = EX_IO;
		goto out;
	}
	for (p = def.p, end = def.p + def.len; p < end && rc == 0;
	    p = nl + 1) {
		pl->line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		/* Some files have CRLF line ends. */
		while (n > 0 && p[n - 1] == '\r')
			n--;
		for (k = 0; k < n && (p[k] == ' ' || p[k] == '\t'); k++)
			continue;
		if (k == n || p[k] == '#')
			continue;
		if (step(pl, p, n) != 0)
			rc = EX_FAIL;
	}
	for (i = 0; i < NCONN && rc == 0; i++)
		if (pl->c[i].fd != -1 && expect_quiet(pl, &pl->c[i]) != 0)
			rc = EX_FAIL;
out:
	for (i = 0; i < NCONN; i++)
		conn_close(&pl->c[i]);
	fixu_buf_fini(&def);
	return rc;
}

/* The default fields.fmt: beside the file, or one or two levels up. */
static int
find_fmt(const char *def, char *out, size_t outsz)
{
	char dir[PATH_MAX], *s;
	struct stat st;
	int up, r;

	/* The real path, so that "x.def" in the suite's fix42/ works too. */
	if (realpath(def, dir) == NULL) {
		r = snprintf(dir, sizeof(dir), "%s", def);
		if (r < 0 || (size_t)r >= sizeof(dir))
			return -1;
	}
	for (up = 0; up < 3; up++) {
		if ((s = strrchr(dir, '/')) == NULL) {
			if (strcmp(dir, ".") == 0)
				break;
			dir[0] = '.';
			dir[1] = '\0';
		} else if (s == dir)
			dir[1] = '\0';
		else
			*s = '\0';
		r = snprintf(out, outsz, "%s/fields.fmt", dir);
		if (r < 0 || (size_t)r >= outsz)
			return -1;
		if (stat(out, &st) == 0)
			return 0;
		if (strcmp(dir, "/") == 0)
			break;
	}
	return -1;
}

static const char *
test_name(const char *path)
{
	const char *s = strrchr(path, '/'), *t;

	if (s == NULL)
		return path;
	for (t = s - 1; t > path && *t != '/'; t--)
		continue;
	return *t == '/' ? t + 1 : path;
}

int
main(int argc, char *argv[])
{
	struct player pl;
	struct fmt fmt = { 0 };
	char fmtpath[PATH_MAX];
	const char *fmtarg = NULL, *errstr = NULL;
	long t = E_TIMEOUT_S;
	char *ep;
	int ch, i, rc, ex = EX_OK;
	size_t k;

	memset(&pl, 0, sizeof(pl));
	pl.host = "127.0.0.1";
	for (i = 0; i < NCONN; i++)
		pl.c[i].fd = -1;
	while ((ch = getopt(argc, argv, "f:hH:p:t:v")) != -1) {
		switch (ch) {
		case 'f':
			fmtarg = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'H':
			pl.host = optarg;
			break;
		case 'p':
			pl.port = optarg;
			break;
		case 't':
			errno = 0;
			t = strtol(optarg, &ep, 10);
			if (errno != 0 || ep == optarg || *ep != '\0' ||
			    t < 1 || t > 3600)
				errstr = "-t: expected seconds, 1 to 3600";
			break;
		case 'v':
			pl.verbose = 1;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (errstr != NULL || pl.port == NULL || argc == 0) {
		if (errstr != NULL)
			fprintf(stderr, "atrun: %s\n", errstr);
		usage(stderr);
		return EX_USAGE;
	}
	pl.e_ms = (int)t * 1000;
	pl.disc_ms = (t < DISC_TIMEOUT_S ? (int)t : DISC_TIMEOUT_S) * 1000;
	if (fmtarg == NULL) {
		if (find_fmt(argv[0], fmtpath, sizeof(fmtpath)) != 0) {
			fprintf(stderr, "atrun: no fields.fmt near %s; "
			    "give one with -f\n", argv[0]);
			return EX_IO;
		}
		fmtarg = fmtpath;
	}
	if (fmt_load(&fmt, fmtarg) != 0)
		return EX_IO;
	pl.fmt = &fmt;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%d\n", argc);
	for (i = 0; i < argc; i++) {
		rc = play(&pl, argv[i]);
		printf("%s %d - %s\n", rc == 0 ? "ok" : "not ok", i + 1,
		    test_name(argv[i]));
		if (rc != 0) {
			const char *s = pl.diag.p, *nl;

			for (k = 0; k < pl.diag.len; k = (size_t)(nl - s) + 1) {
				nl = memchr(s + k, '\n', pl.diag.len - k);
				if (nl == NULL)
					nl = s + pl.diag.len;
				printf("# %.*s\n", (int)(nl - (s + k)), s + k);
			}
		}
		if (rc == EX_IO)
			ex = EX_IO;
		else if (rc != 0 && ex == EX_OK)
			ex = EX_FAIL;
	}
	fmt_free(&fmt);
	fixu_buf_fini(&pl.diag);
	fixu_buf_fini(&pl.tmp);
	fixu_buf_fini(&pl.msg);
	fixu_buf_fini(&pl.val);
	for (i = 0; i < NCONN; i++)
		fixu_buf_fini(&pl.c[i].in);
	if (fflush(stdout) == EOF)
		return EX_IO;
	return ex;
}
