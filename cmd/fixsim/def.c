/*
 * def.c -- raw FIX over TCP, and the QuickFIX acceptance .def player.
 *
 * A .def file is one step per line: iCONNECT and iDISCONNECT open and
 * close a connection, I<message> sends, E<message> reads exactly one
 * message and compares it, eDISCONNECT waits for the engine to close the
 * connection without sending anything more.  An optional "<digit>," after
 * the step letter names the connection (default 1).  Before use a payload
 * has <TIME>, <TIME+N> and <TIME-N> replaced by the UTC time, and a
 * message that starts with 8= gets BodyLength and CheckSum where it has
 * none; explicit ones are kept, since that is how the suite sends bad ones.
 *
 * Comparison is field by field on SOH: the same number of fields and the
 * same tags in the same places; a tag listed in fields.fmt must contain a
 * match of the expression given there (the expected value is only a
 * placeholder), every other value must be equal, BodyLength included.
 * Received bytes are cut into messages with fixu_frame(), so several
 * messages in one read, or one message in several, compare like any other.
 * When the file ends, a connection still open must have nothing unread.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "err.h"
#include "def.h"
#include "util.h"

#define NCONN		10	/* connection ids 0-9 */
#define E_MS		20000	/* an E step; heartbeat tests wait seconds */
#define DISC_MS		10000	/* eDISCONNECT */
#define CONNECT_MS	5000	/* the engine may still be starting */
#define MAX_DEF		(16u << 20)
#define MAX_FMT		(1u << 20)
#define MAX_WHY		512	/* one reason, before the messages */

/*
 * The rules of the suite's fields.fmt, for a .def file that comes without
 * one: CheckSum, the timestamps (SendingTime with or without
 * milliseconds), matched anywhere in the value.
 */
static const char *const builtin_fmt[] = {
	"10=\\d{3}",
	"42=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
	"52=\\d{8}-\\d{2}:\\d{2}:\\d{2}|\\d{8}-\\d{2}:\\d{2}:\\d{2}[.]\\d{3}",
	"60=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
	"122=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
};

struct fmtrule {
	char	 tag[16];
	char	*src;		/* as written, for the report */
	regex_t	 re;
};

struct def_fmt {
	struct fmtrule	*r;
	size_t		 n;
};

struct player {
	const struct def_opts	*o;
	const struct def_fmt	*fmt;
	const char		*host, *port;
	int			 e_ms, disc_ms, connect_ms;
	struct raw_conn		 c[NCONN];
	const char		*file;
	unsigned long		 line;
	int			 error;	/* the failure is DEF_ERROR */
	struct fixu_buf		*diag;
	struct fixu_buf		 tmp, msg, val;
};

/* Raw connections. */

int64_t
raw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
raw_init(struct raw_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void
raw_close(struct raw_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	fixu_buf_reset(&c->in);
}

void
raw_fini(struct raw_conn *c)
{
	raw_close(c);
	fixu_buf_fini(&c->in);
}

static int
connect_any(struct addrinfo *res, int *refused, int *saved)
{
	struct addrinfo *ai;
	int fd;

	*refused = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			*saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		*saved = errno;
		if (errno == ECONNREFUSED)
			*refused = 1;
		close(fd);
	}
	return -1;
}

int
raw_open(struct raw_conn *c, const char *host, const char *port,
    int retry_ms, char *why, size_t whysz)
{
	struct addrinfo hints, *res = NULL;
	int64_t until = raw_now_ms() + retry_ms;
	int fd, one = 1, rc, refused, saved = ECONNREFUSED;

	raw_close(c);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(why, whysz, "%s port %s: %s", host, port,
		    gai_strerror(rc));
		return -1;
	}
	while ((fd = connect_any(res, &refused, &saved)) == -1) {
		if (!refused || raw_now_ms() >= until)
			break;
		usleep(50 * 1000);
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(why, whysz, "connect to %s port %s: %s", host, port,
		    strerror(saved));
		return -1;
	}
	/* Steps go out as written; no waiting for ACKs between small ones. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(why, whysz, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

int
raw_send(struct raw_conn *c, const void *buf, size_t n, int timeout_ms,
    char *why, size_t whysz)
{
	int64_t until = raw_now_ms() + timeout_ms, left;
	const char *p = buf;
	struct pollfd pfd;
	ssize_t w;

	if (c->fd == -1) {
		snprintf(why, whysz, "not connected");
		return -1;
	}
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
			if ((left = until - raw_now_ms()) <= 0) {
				snprintf(why, whysz, "send: the peer reads "
				    "nothing for %d s", timeout_ms / 1000);
				return -1;
			}
			pfd.fd = c->fd;
			pfd.events = POLLOUT;
			poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
			continue;
		}
		snprintf(why, whysz, "send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
raw_fill(struct raw_conn *c, int64_t until)
{
	struct pollfd pfd;
	int64_t left;
	ssize_t r;
	int rc;

	if (c->fd == -1)
		return RAW_EOF;
	for (;;) {
		left = until - raw_now_ms();
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left <= 0 ? 0 :
		    left > INT_MAX ? INT_MAX : (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return RAW_ERROR;
		if (rc == 0)
			return RAW_TIMEOUT;
		if (fixu_buf_reserve(&c->in, 65536) != 0) {
			errno = ENOBUFS;
			return RAW_ERROR;
		}
		r = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len);
		if (r > 0) {
			c->in.len += (size_t)r;
			return RAW_DATA;
		}
		if (r == 0)
			return RAW_EOF;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		return errno == ECONNRESET ? RAW_EOF : RAW_ERROR;
	}
}

void
def_show(struct fixu_buf *b, const char *p, size_t n)
{
	unsigned char c;
	size_t i;

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

/*
 * POSIX regcomp() does not know \d, which fields.fmt uses, so it is spelt
 * out: [0-9] outside a bracket expression, 0-9 inside one.
 */
int
def_regcomp(regex_t *re, const char *src, size_t n, int anchored)
{
	struct fixu_buf b = { 0 };
	size_t i;
	int inbr = 0, rc;

	fixu_buf_puts(&b, anchored ? "^(" : "(");
	for (i = 0; i < n; i++) {
		if (src[i] == '\\' && i + 1 < n && src[i + 1] == 'd') {
			fixu_buf_puts(&b, inbr ? "0-9" : "[0-9]");
			i++;
			continue;
		}
		if (src[i] == '\\' && i + 1 < n) {
			fixu_buf_putc(&b, src[i]);
			fixu_buf_putc(&b, src[++i]);
			continue;
		}
		if (src[i] == '[')
			inbr = 1;
		else if (src[i] == ']')
			inbr = 0;
		fixu_buf_putc(&b, src[i]);
	}
	fixu_buf_puts(&b, anchored ? ")$" : ")");
	if (fixu_buf_putc(&b, '\0') != 0) {
		fixu_buf_fini(&b);
		return -1;
	}
	rc = regcomp(re, b.p, REG_EXTENDED | REG_NOSUB);
	fixu_buf_fini(&b);
	return rc == 0 ? 0 : -1;
}

/* fields.fmt */

static int	fmt_add(struct def_fmt *, const char *, const char *, size_t,
		    struct fixu_buf *);

/*
 * "TAG=REGEX".  A value matches when the expression occurs in it,
 * unanchored, as the suite's own runner matched: the expected messages
 * count OrigSendingTime (122) with milliseconds in their BodyLength while
 * its pattern has none.
 */
static int
fmt_add(struct def_fmt *f, const char *path, const char *line, size_t n,
    struct fixu_buf *why)
{
	struct fmtrule *v;
	size_t i;

	for (i = 0; i < n && line[i] >= '0' && line[i] <= '9'; i++)
		continue;
	if (i == 0 || i >= sizeof(v->tag) || i == n || line[i] != '=') {
		fixu_buf_printf(why, "%s: bad line '%.*s'\n", path,
		    (int)(n > 60 ? 60 : n), line);
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
	if (def_regcomp(&v->re, line + i + 1, n - i - 1, 0) != 0) {
		fixu_buf_printf(why, "%s: bad expression for tag %s: %s\n",
		    path, v->tag, v->src);
		free(v->src);
		return -1;
	}
	f->n++;
	return 0;
}

void
def_fmt_free(struct def_fmt *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		regfree(&f->r[i].re);
		free(f->r[i].src);
	}
	free(f->r);
	free(f);
}

int
def_fmt_load(struct def_fmt **out, const char *path, struct fixu_buf *why)
{
	struct def_fmt *f;
	struct fixu_buf b = { 0 };
	const char *p, *nl, *end;
	size_t i, n;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (path == NULL) {
		for (i = 0; i < sizeof(builtin_fmt) / sizeof(builtin_fmt[0]);
		    i++)
			if (fmt_add(f, "fields.fmt", builtin_fmt[i],
			    strlen(builtin_fmt[i]), why) != 0)
				goto fail;
		*out = f;
		return 0;
	}
	switch (util_read_file(path, MAX_FMT, &b)) {
	case 0:
		break;
	case -2:
		fixu_buf_printf(why, "%s: larger than %u bytes\n", path,
		    MAX_FMT);
		goto fail;
	default:
		fixu_buf_printf(why, "%s: %s\n", path, strerror(errno));
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
		if (fmt_add(f, path, p, n, why) != 0)
			goto fail;
	}
	fixu_buf_fini(&b);
	*out = f;
	return 0;
fail:
	fixu_buf_fini(&b);
	def_fmt_free(f);
	return -1;
}

static const struct fmtrule *
fmt_find(const struct def_fmt *f, const char *tag, size_t n)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strlen(f->r[i].tag) == n && memcmp(f->r[i].tag, tag, n) == 0)
			return &f->r[i];
	return NULL;
}

int
def_fmt_find(const char *def, char *out, size_t outsz)
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

const char *
def_test_name(const char *path)
{
	const char *s = strrchr(path, '/'), *t;

	if (s == NULL)
		return path;
	for (t = s - 1; t > path && *t != '/'; t--)
		continue;
	return *t == '/' ? t + 1 : path;
}

/* The player. */

static void	fail(struct player *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record why the file did not pass, at the current line. */
static void
fail(struct player *pl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_reason(pl->diag, pl->file, pl->line, fmt, ap);
	va_end(ap);
}

static void
trace(const struct player *pl, const char *dir, const char *p, size_t n)
{
	struct fixu_buf b = { 0 };

	if (pl->o->trace == NULL)
		return;
	fixu_buf_printf(&b, "%s:%lu: %s%s", pl->file, pl->line, dir,
	    n > 0 ? " " : "");
	def_show(&b, p, n);
	fixu_buf_putc(&b, '\n');
	fwrite(b.p, 1, b.len, pl->o->trace);
	fixu_buf_fini(&b);
}

/* <TIME>, <TIME+N>, <TIME-N> in p[0..n) into pl->tmp. */
static int
rewrite_time(struct player *pl, const char *p, size_t n)
{
	const char *q, *end = p + n, *gt;
	char ts[32];
	long long off;
	struct tm tm;
	time_t t;
	size_t k;

	fixu_buf_reset(&pl->tmp);
	while ((q = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if (fixu_buf_append(&pl->tmp, p, (size_t)(q - p)) != 0)
			return -1;
		p = q;
		gt = memchr(q, '>', (size_t)(end - q));
		off = 0;
		if (gt == NULL || gt - q < 5 || memcmp(q, "<TIME", 5) != 0)
			goto literal;
		if (gt - q > 5) {
			if ((q[5] != '+' && q[5] != '-') || gt - q == 6 ||
			    gt - q > 6 + 9)
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
		    strftime(ts, sizeof(ts), "%Y%m%d-%H:%M:%S", &tm) == 0 ||
		    fixu_buf_puts(&pl->tmp, ts) != 0)
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
	const char *p = pl->tmp.p, *f, *e, *end = pl->tmp.p + pl->tmp.len;
	const char *first_end, *last;
	struct fixu_buf *m = &pl->msg;
	size_t bodyend, flen, body;
	int has9 = 0, has10;

	fixu_buf_reset(m);
	if (pl->tmp.len < 2 || p[0] != '8' || p[1] != '=')
		return fixu_buf_append(m, p, pl->tmp.len);
	/* Which tags there are, and where the last field starts. */
	last = p;
	for (f = p; f < end; f = e + 1) {
		if ((e = memchr(f, FIXU_SOH, (size_t)(end - f))) == NULL)
			e = end;
		if (e - f >= 2 && f[0] == '9' && f[1] == '=')
			has9 = 1;
		if (e > f)
			last = f;
	}
	has10 = end - last >= 3 && memcmp(last, "10=", 3) == 0;
	bodyend = has10 ? (size_t)(last - p) : pl->tmp.len;
	if ((first_end = memchr(p, FIXU_SOH, pl->tmp.len)) == NULL)
		first_end = end;
	if (has9) {
		if (fixu_buf_append(m, p, bodyend) != 0)
			return -1;
	} else {
		flen = (size_t)(first_end - p);
		body = first_end < end ? bodyend - flen - 1 : 0;
		if (fixu_buf_append(m, p, flen) != 0 ||
		    fixu_buf_putc(m, FIXU_SOH) != 0 ||
		    fixu_buf_printf(m, "9=%zu", body) != 0 ||
		    fixu_buf_putc(m, FIXU_SOH) != 0 ||
		    (body > 0 && fixu_buf_append(m, first_end + 1, body) != 0))
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

/*
 * The next message on c, within the E timeout: 0 with it at
 * c->in.p[*off..*off + *len), or -1 after fail().
 */
static int
next_msg(struct player *pl, struct raw_conn *c, size_t *off, size_t *len)
{
	int64_t until = raw_now_ms() + pl->e_ms;
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
				util_reason_show(pl->diag, "received", c->in.p,
				    fr.start + fr.len);
				return -1;
			}
			if (rc != FIXU_EAGAIN) {
				fail(pl, "received a garbled message: %s",
				    fixu_diag_fmt(&d, buf, sizeof(buf)));
				util_reason_show(pl->diag, "received",
				    c->in.p, c->in.len);
				return -1;
			}
		}
		switch (raw_fill(c, until)) {
		case RAW_DATA:
			continue;
		case RAW_TIMEOUT:
			fail(pl, "no message within %d s", pl->e_ms / 1000);
			break;
		case RAW_EOF:
			fail(pl, "the engine closed the connection");
			break;
		default:
			fail(pl, "read: %s", strerror(errno));
			break;
		}
		if (c->in.len > 0)
			util_reason_show(pl->diag, "partial", c->in.p,
			    c->in.len);
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
			break;
		}
		if (!he) {
			fail(pl, "field %u: expected nothing more, received "
			    "%.*s", k, (int)fg.n, fg.p);
			break;
		}
		if (fe.tn != fg.tn || memcmp(fe.p, fg.p, fe.tn) != 0) {
			fail(pl, "field %u: expected tag %.*s, received %.*s",
			    k, (int)fe.tn, fe.p, (int)fg.tn, fg.p);
			break;
		}
		if ((r = fmt_find(pl->fmt, fe.p, fe.tn)) != NULL) {
			if (!util_regmatch(&r->re, fg.v, fg.vn, &pl->val)) {
				fail(pl, "field %u: %.*s does not match %s", k,
				    (int)fg.n, fg.p, r->src);
				break;
			}
		} else if (fe.vn != fg.vn || memcmp(fe.v, fg.v, fe.vn) != 0) {
			fail(pl, "field %u: expected %.*s, received %.*s", k,
			    (int)fe.n, fe.p, (int)fg.n, fg.p);
			break;
		}
	}
	util_reason_show(pl->diag, "expected", e, en);
	util_reason_show(pl->diag, "received", g, gn);
	return -1;
}

static int
expect_msg(struct player *pl, struct raw_conn *c)
{
	size_t off, len;
	int rc;

	if (next_msg(pl, c, &off, &len) != 0) {
		util_reason_show(pl->diag, "expected", pl->msg.p, pl->msg.len);
		return -1;
	}
	trace(pl, "<", c->in.p + off, len);
	rc = compare(pl, pl->msg.p, pl->msg.len, c->in.p + off, len);
	fixu_buf_consume(&c->in, off + len);
	return rc;
}

static int
expect_disconnect(struct player *pl, struct raw_conn *c)
{
	int64_t until = raw_now_ms() + pl->disc_ms;

	while (c->in.len == 0) {
		switch (raw_fill(c, until)) {
		case RAW_DATA:
			continue;
		case RAW_EOF:
			trace(pl, "<", "(disconnect)", 12);
			raw_close(c);
			return 0;
		case RAW_TIMEOUT:
			fail(pl, "expected a disconnect, still connected "
			    "after %d s", pl->disc_ms / 1000);
			return -1;
		default:
			fail(pl, "read: %s", strerror(errno));
			return -1;
		}
	}
	/* Let the rest of a message arrive, for a readable report. */
	until = raw_now_ms() + 200;
	while (raw_fill(c, until) == RAW_DATA)
		continue;
	fail(pl, "expected a disconnect, received data");
	util_reason_show(pl->diag, "received", c->in.p, c->in.len);
	return -1;
}

/* Data the engine sent after the file's last step on c. */
static int
expect_quiet(struct player *pl, struct raw_conn *c)
{
	if (c->fd != -1)
		(void)raw_fill(c, raw_now_ms());
	if (c->in.len == 0)
		return 0;
	fail(pl, "received data after the last step");
	util_reason_show(pl->diag, "received", c->in.p, c->in.len);
	return -1;
}

enum { S_CONNECT, S_DISCONNECT, S_SEND, S_EXPECT, S_EXPECT_DISC };

static int
step_kind(const char *p, const char *arg, size_t an)
{
#define ISARG(s) (an == sizeof(s) - 1 && memcmp(arg, s, an) == 0)
	if (p[0] == 'i' && ISARG("CONNECT"))
		return S_CONNECT;
	if (p[0] == 'i' && ISARG("DISCONNECT"))
		return S_DISCONNECT;
	if (p[0] == 'e' && ISARG("DISCONNECT"))
		return S_EXPECT_DISC;
#undef ISARG
	if (p[0] == 'I')
		return S_SEND;
	if (p[0] == 'E')
		return S_EXPECT;
	return -1;
}

/* Play one step; the line is p[0..n), '\r' and '\n' stripped. */
static int
step(struct player *pl, const char *p, size_t n)
{
	const char *arg = p + 1;
	char why[MAX_WHY];
	size_t an = n - 1;
	struct raw_conn *c;
	int id = 1, kind;

	if (n >= 3 && p[1] >= '0' && p[1] <= '9' && p[2] == ',') {
		id = p[1] - '0';
		arg = p + 3;
		an = n - 3;
	}
	while (an > 0 && (arg[an - 1] == ' ' || arg[an - 1] == '\t') &&
	    (p[0] == 'i' || p[0] == 'e'))
		an--;
	if ((kind = step_kind(p, arg, an)) == -1) {
		fail(pl, "unknown step '%.*s'", (int)(n > 40 ? 40 : n), p);
		pl->error = 1;
		return -1;
	}
	c = &pl->c[id];
	if (kind == S_CONNECT) {
		trace(pl, "connect", "", 0);
		if (raw_open(c, pl->host, pl->port, pl->connect_ms, why,
		    sizeof(why)) == 0)
			return 0;
		fail(pl, "%s", why);
		pl->error = 1;
		return -1;
	}
	if (c->fd == -1) {
		fail(pl, "connection %d is not open", id);
		return -1;
	}
	if (kind == S_DISCONNECT) {
		raw_close(c);
		return 0;
	}
	if (kind == S_EXPECT_DISC)
		return expect_disconnect(pl, c);
	if (rewrite_time(pl, arg, an) != 0 || complete(pl) != 0) {
		fail(pl, "message too long");
		pl->error = 1;
		return -1;
	}
	if (kind == S_EXPECT)
		return expect_msg(pl, c);
	trace(pl, ">", pl->msg.p, pl->msg.len);
	if (raw_send(c, pl->msg.p, pl->msg.len, pl->e_ms, why,
	    sizeof(why)) == 0)
		return 0;
	fail(pl, "%s", why);
	return -1;
}

static int
run_lines(struct player *pl, const struct fixu_buf *def)
{
	const char *p, *nl, *end;
	size_t n, k;
	int i;

	for (p = def->p, end = def->p + def->len; p < end; p = nl + 1) {
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
			return -1;
	}
	for (i = 0; i < NCONN; i++)
		if (pl->c[i].fd != -1 && expect_quiet(pl, &pl->c[i]) != 0)
			return -1;
	return 0;
}

int
def_play(const struct def_opts *o, const struct def_fmt *fmt,
    const char *path, struct fixu_buf *diag)
{
	struct fixu_buf def = { 0 };
	struct player pl;
	int i, r, rc;

	memset(&pl, 0, sizeof(pl));
	pl.o = o;
	pl.fmt = fmt;
	pl.host = o->host != NULL ? o->host : "127.0.0.1";
	pl.port = o->port;
	pl.e_ms = o->expect_ms > 0 ? o->expect_ms : E_MS;
	pl.disc_ms = o->disc_ms > 0 ? o->disc_ms : DISC_MS;
	pl.connect_ms = o->connect_ms > 0 ? o->connect_ms : CONNECT_MS;
	pl.file = path;
	pl.diag = diag;
	for (i = 0; i < NCONN; i++)
		raw_init(&pl.c[i]);
	if (pl.port == NULL) {
		fail(&pl, "no port to connect to (-p)");
		rc = DEF_ERROR;
	} else if ((r = util_read_file(path, MAX_DEF, &def)) != 0) {
		if (r == -2)
			fail(&pl, "larger than %u bytes", MAX_DEF);
		else
			fail(&pl, "%s", strerror(errno));
		rc = DEF_ERROR;
	} else if (run_lines(&pl, &def) != 0)
		rc = pl.error ? DEF_ERROR : DEF_FAIL;
	else
		rc = DEF_PASS;
	for (i = 0; i < NCONN; i++)
		raw_fini(&pl.c[i]);
	fixu_buf_fini(&def);
	fixu_buf_fini(&pl.tmp);
	fixu_buf_fini(&pl.msg);
	fixu_buf_fini(&pl.val);
	return rc;
}
