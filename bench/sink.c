/*
 * sink.c -- the fastest FIX acceptor the benches can offer a load client:
 * it logs sessions on and fills every order, at once or after a fixed
 * hold, or never answers orders at all.
 *
 *   sink [-N] [-d usec] [-p port]
 *
 * It listens on 127.0.0.1 (port 0: any free one) and prints "port=P" on
 * stdout once it does.  Each connection is one session: whatever Logon
 * arrives is answered in kind (CompIDs swapped, the same BeginString and
 * HeartBtInt, ResetSeqNumFlag echoed; our numbers start again at 1 on every
 * Logon), a TestRequest gets its Heartbeat, a ResendRequest a gap fill up
 * to our next number, a Logout its Logout and then the connection closes.
 * Inbound numbers are not checked: the sink trusts its clients, it is not
 * a session layer.  Every NewOrderSingle (35=D) is answered by one
 * ExecutionReport that fills it completely (ExecType F, OrdStatus 2,
 * CumQty = OrderQty, Symbol and Side given back: what bench/fillapp.c
 * sends), unless -N says to answer nothing.
 *
 * -d holds each fill for usec microseconds from the moment the read that
 * brought its order returned; the fills wait in a first-in first-out
 * queue per connection (one hold for all, so arrival order is due order),
 * and the loop sleeps in ppoll(2) until the first is due, with the timer
 * slack at 1 us.  A load client's latency should then read usec plus what
 * it reads with no hold; how late the sink itself released each fill
 * (written minus due) is kept and printed at the end, so that its own
 * error is not charged to the client.
 *
 * Input is framed with libfixutil (fixu_frame, fixu_msg_parse without the
 * CheckSum check: the client is trusted) and answers are built with its
 * builder; everything read in one turn is answered with one write(2) per
 * connection.  On SIGTERM or SIGINT it prints one key=value line --
 * connections, logons, orders, fills, and the release lateness p50, p99
 * and max in microseconds -- and exits 0.
 */
#define _GNU_SOURCE	/* ppoll(2) */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "codec.h"

#define MAX_CONN	256
#define IN_CHUNK	(256u * 1024)
#define OUT_MAX		(256u << 20)	/* the client stopped reading */
#define HOLD_MAX	(64u << 20)	/* bytes of orders held back */
#define LATE_BUCKETS	100000		/* 0.1 us steps up to 10 ms */

struct held {
	int64_t		 due;
	size_t		 off, len;	/* the order's bytes in hold */
};

struct conn {
	int		 fd;
	struct fixu_buf	 in, out, hold;
	struct held	*q;
	size_t		 qhead, qlen, qcap;
	char		 begin[16], us[64], them[64];
	uint64_t	 seq_out;
	int		 closing;
};

struct sink {
	int		 lfd;
	int64_t		 hold_ns;
	int		 silent;
	struct conn	*c[MAX_CONN];
	size_t		 nc;
	struct fixu_builder b;
	struct fixu_msg	 m, hm;
	uint64_t	 conns, logons, orders, fills, garbled;
	uint64_t	 late[LATE_BUCKETS + 1];
	int64_t		 late_max;
};

static volatile sig_atomic_t got_sig;

static void
on_sig(int sig)
{
	(void)sig;
	got_sig = 1;
}

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: sink [-hN] [-d usec] [-p port]\n"
"  -d usec  hold every fill this many microseconds (0)\n"
"  -N       never answer an order (log on, heartbeats and logout only)\n"
"  -p port  listen on this port of 127.0.0.1 (0: a free one, printed)\n");
	exit(status);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Copy view v into dst (size n) as a string; -1 when it does not fit. */
static int
copy_str(char *dst, size_t n, struct fixu_str v)
{
	if (v.p == NULL || v.n == 0 || v.n >= n)
		return -1;
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
	return 0;
}

/* ---- answers ------------------------------------------------------------- */

/* Begin a message of type to the peer of c, our next number on it. */
static int
header(struct sink *s, struct conn *c, const char *type, uint64_t seq,
    const struct timespec *now)
{
	int rc = 0;

	rc |= fixu_build_begin(&s->b, c->begin, strlen(c->begin), FIXU_SOH);
	rc |= fixu_build_add_str(&s->b, 35, type);
	rc |= fixu_build_add_str(&s->b, 49, c->us);
	rc |= fixu_build_add_str(&s->b, 56, c->them);
	rc |= fixu_build_add_u64(&s->b, 34, seq);
	rc |= fixu_build_add_time(&s->b, 52, now, 3);
	return rc;
}

static void
queue_built(struct sink *s, struct conn *c)
{
	struct fixu_str w;

	if (fixu_build_finish(&s->b, &w) != 0)
		errx(3, "building a message failed");
	if (fixu_buf_append(&c->out, w.p, w.n) != 0) {
		warnx("%s: %u MB unsent: the client stopped reading; closing",
		    c->them, OUT_MAX >> 20);
		c->closing = 1;
	}
}

/* Copy field tag of m into the message being built, if m has it. */
static int
echo(struct sink *s, const struct fixu_msg *m, uint32_t tag, uint32_t as)
{
	struct fixu_str v = fixu_msg_get(m, tag);

	return v.p == NULL ? 0 : fixu_build_add(&s->b, as, v.p, v.n);
}

/* The full fill of the order in m. */
static void
fill(struct sink *s, struct conn *c, const struct fixu_msg *m)
{
	struct timespec now;
	struct fixu_str px = fixu_msg_get(m, 44);
	char oid[24], eid[24];
	int rc = 0, k1, k2;

	s->fills++;
	k1 = snprintf(oid, sizeof(oid), "O%" PRIu64, s->fills);
	k2 = snprintf(eid, sizeof(eid), "E%" PRIu64, s->fills);
	if (k1 < 0 || (size_t)k1 >= sizeof(oid) || k2 < 0 ||
	    (size_t)k2 >= sizeof(eid))
		errx(3, "an OrderID too long");
	clock_gettime(CLOCK_REALTIME, &now);
	rc |= header(s, c, "8", ++c->seq_out, &now);
	rc |= fixu_build_add(&s->b, 37, oid, (size_t)k1);
	rc |= echo(s, m, 11, 11);
	rc |= fixu_build_add(&s->b, 17, eid, (size_t)k2);
	rc |= fixu_build_add_str(&s->b, 150, "F");
	rc |= fixu_build_add_str(&s->b, 39, "2");
	rc |= echo(s, m, 55, 55);
	rc |= echo(s, m, 54, 54);
	rc |= echo(s, m, 38, 38);
	rc |= echo(s, m, 38, 32);
	if (px.p != NULL) {
		rc |= fixu_build_add(&s->b, 31, px.p, px.n);
		rc |= fixu_build_add(&s->b, 6, px.p, px.n);
	} else {
		rc |= fixu_build_add_str(&s->b, 31, "100");
		rc |= fixu_build_add_str(&s->b, 6, "100");
	}
	rc |= echo(s, m, 38, 14);
	rc |= fixu_build_add_str(&s->b, 151, "0");
	if (rc != 0)
		errx(3, "building a fill failed");
	queue_built(s, c);
}

static void
logon(struct sink *s, struct conn *c, const struct fixu_msg *m)
{
	struct timespec now;
	struct fixu_str r = fixu_msg_get(m, 141);
	int rc = 0;

	if (copy_str(c->begin, sizeof(c->begin), fixu_msg_get(m, 8)) != 0 ||
	    copy_str(c->us, sizeof(c->us), fixu_msg_get(m, 56)) != 0 ||
	    copy_str(c->them, sizeof(c->them), fixu_msg_get(m, 49)) != 0) {
		warnx("a Logon without BeginString or CompIDs; closing");
		c->closing = 1;
		return;
	}
	s->logons++;
	c->seq_out = 0;
	clock_gettime(CLOCK_REALTIME, &now);
	rc |= header(s, c, "A", ++c->seq_out, &now);
	rc |= fixu_build_add_str(&s->b, 98, "0");
	rc |= echo(s, m, 108, 108);
	if (r.n == 1 && r.p[0] == 'Y')
		rc |= fixu_build_add_str(&s->b, 141, "Y");
	if (rc != 0)
		errx(3, "building a Logon failed");
	queue_built(s, c);
}

static void
admin(struct sink *s, struct conn *c, const char *type, uint32_t tag,
    struct fixu_str v)
{
	struct timespec now;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	rc |= header(s, c, type, ++c->seq_out, &now);
	if (tag != 0 && v.p != NULL)
		rc |= fixu_build_add(&s->b, tag, v.p, v.n);
	if (rc != 0)
		errx(3, "building a message failed");
	queue_built(s, c);
}

/* Nothing of ours is worth sending again: one gap fill over it all. */
static void
gap_fill(struct sink *s, struct conn *c, const struct fixu_msg *m)
{
	struct fixu_str bs = fixu_msg_get(m, 7);
	struct timespec now;
	uint64_t from;
	int rc = 0;

	if (fixu_parse_u64(bs.p, bs.n, &from) != 0 || from == 0 ||
	    from > c->seq_out)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	rc |= header(s, c, "4", from, &now);
	rc |= fixu_build_add_str(&s->b, 43, "Y");
	rc |= fixu_build_add_time(&s->b, 122, &now, 3);
	rc |= fixu_build_add_str(&s->b, 123, "Y");
	rc |= fixu_build_add_u64(&s->b, 36, c->seq_out + 1);
	if (rc != 0)
		errx(3, "building a gap fill failed");
	queue_built(s, c);
}

/* ---- the hold queue ------------------------------------------------------ */

static void
hold(struct conn *c, const char *p, size_t n, int64_t due)
{
	struct held *q;
	size_t cap;

	if (c->qhead + c->qlen == c->qcap) {
		if (c->qhead > 0) {
			memmove(c->q, c->q + c->qhead, c->qlen * sizeof(*q));
			c->qhead = 0;
		} else {
			cap = c->qcap ? c->qcap * 2 : 1024;
			if ((q = realloc(c->q, cap * sizeof(*q))) == NULL)
				err(3, NULL);
			c->q = q;
			c->qcap = cap;
		}
	}
	q = &c->q[c->qhead + c->qlen++];
	q->due = due;
	q->off = c->hold.len;
	q->len = n;
	if (fixu_buf_append(&c->hold, p, n) != 0)
		errx(3, "more than %u MB of orders held", HOLD_MAX >> 20);
}

static void
late_add(struct sink *s, int64_t ns)
{
	int64_t k = ns < 0 ? 0 : ns / 100;

	s->late[k > LATE_BUCKETS ? LATE_BUCKETS : k]++;
	if (ns > s->late_max)
		s->late_max = ns;
}

/*
 * Release the held fills of c that are due by now.  Under a steady stream
 * the queue never runs empty, so the bytes of released orders are dropped
 * from the front of hold once they are most of it.
 */
static void
release(struct sink *s, struct conn *c, int64_t now)
{
	struct held *h;
	size_t i, off;

	while (c->qlen > 0 && c->q[c->qhead].due <= now) {
		h = &c->q[c->qhead];
		if (fixu_msg_parse(&s->hm, c->hold.p + h->off, h->len,
		    FIXU_SOH, NULL, FIXU_PARSE_NOCHECK, NULL) == 0)
			fill(s, c, &s->hm);
		late_add(s, mono_ns() - h->due);
		c->qhead++;
		c->qlen--;
	}
	if (c->qlen == 0) {
		c->qhead = 0;
		fixu_buf_reset(&c->hold);
		return;
	}
	off = c->q[c->qhead].off;
	if (off < (64u << 10) || off < c->hold.len / 2)
		return;
	fixu_buf_consume(&c->hold, off);
	for (i = 0; i < c->qlen; i++)
		c->q[c->qhead + i].off -= off;
}

/* ---- input --------------------------------------------------------------- */

static void
on_message(struct sink *s, struct conn *c, const char *p, size_t n,
    int64_t t)
{
	struct fixu_str ty;

	if (fixu_msg_parse(&s->m, p, n, FIXU_SOH, NULL, FIXU_PARSE_NOCHECK,
	    NULL) != 0) {
		s->garbled++;
		return;
	}
	ty = fixu_msg_get(&s->m, 35);
	if (ty.n != 1) {
		if (c->them[0] == '\0')
			c->closing = 1;
		return;
	}
	if (ty.p[0] != 'A' && c->them[0] == '\0') {
		warnx("the first message is not a Logon; closing");
		c->closing = 1;
		return;
	}
	switch (ty.p[0]) {
	case 'D':
		s->orders++;
		if (s->silent)
			break;
		if (s->hold_ns > 0)
			hold(c, p, n, t + s->hold_ns);
		else {
			fill(s, c, &s->m);
			late_add(s, 0);
		}
		break;
	case 'A':
		logon(s, c, &s->m);
		break;
	case '1':
		admin(s, c, "0", 112, fixu_msg_get(&s->m, 112));
		break;
	case '2':
		gap_fill(s, c, &s->m);
		break;
	case '5':
		admin(s, c, "5", 0, fixu_msg_get(&s->m, 58));
		c->closing = 1;
		break;
	default:
		break;
	}
}

/* Read what is there and answer it; -1 when the connection is over. */
static int
read_in(struct sink *s, struct conn *c)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off;
	ssize_t r;
	int64_t t;
	int rc;

	for (;;) {
		if (fixu_buf_reserve(&c->in, IN_CHUNK) != 0)
			errx(3, "input buffer full");
		r = read(c->fd, c->in.p + c->in.len, IN_CHUNK);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		t = mono_ns();
		c->in.len += (size_t)r;
		off = 0;
		while (!c->closing) {
			rc = fixu_frame(c->in.p + off, c->in.len - off, 0, &fr,
			    &d);
			if (rc == 0) {
				on_message(s, c, c->in.p + off + fr.start,
				    fr.len, t);
				off += fr.start + fr.len;
			} else if (rc == FIXU_EAGAIN) {
				if (fr.start == c->in.len - off)
					off += fr.start > 16 ?
					    fr.start - 16 : 0;
				else
					off += fr.start;
				break;
			} else {
				s->garbled++;
				off += fr.skip > 0 ? fr.skip : 1;
			}
		}
		fixu_buf_consume(&c->in, off);
		if ((size_t)r < IN_CHUNK || c->closing)
			return 0;
	}
}

/* Write what c has; -1 on a write error. */
static int
flush_out(struct conn *c)
{
	return fixu_buf_write(&c->out, c->fd);
}

/* ---- connections --------------------------------------------------------- */

static void
conn_free(struct conn *c)
{
	close(c->fd);
	fixu_buf_fini(&c->in);
	fixu_buf_fini(&c->out);
	fixu_buf_fini(&c->hold);
	free(c->q);
	free(c);
}

static void
accept_one(struct sink *s)
{
	struct conn *c;
	int fd, one = 1;

	if ((fd = accept(s->lfd, NULL, NULL)) == -1)
		return;
	if (s->nc == MAX_CONN) {
		warnx("more than %d connections; refusing one", MAX_CONN);
		close(fd);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		err(3, "fcntl");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		err(3, NULL);
	c->fd = fd;
	fixu_buf_init(&c->in, 64u << 20);
	fixu_buf_init(&c->out, OUT_MAX);
	fixu_buf_init(&c->hold, HOLD_MAX);
	s->c[s->nc++] = c;
	s->conns++;
}

static int
listen_on(int port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(3, "socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		err(3, "bind 127.0.0.1:%d", port);
	if (listen(fd, 64) == -1)
		err(3, "listen");
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		err(3, "getsockname");
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		err(3, "fcntl");
	printf("port=%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

/* The earliest held fill of any connection, or INT64_MAX. */
static int64_t
next_due(const struct sink *s)
{
	int64_t d = INT64_MAX;
	size_t i;

	for (i = 0; i < s->nc; i++)
		if (s->c[i]->qlen > 0 && s->c[i]->q[s->c[i]->qhead].due < d)
			d = s->c[i]->q[s->c[i]->qhead].due;
	return d;
}

static void
turn(struct sink *s)
{
	struct pollfd pfd[MAX_CONN + 1];
	struct timespec ts;
	int64_t due, now, dt;
	size_t i, k;
	struct conn *c;

	pfd[0].fd = s->lfd;
	pfd[0].events = POLLIN;
	for (i = 0; i < s->nc; i++) {
		pfd[i + 1].fd = s->c[i]->fd;
		pfd[i + 1].events = POLLIN |
		    (s->c[i]->out.len > 0 ? POLLOUT : 0);
		pfd[i + 1].revents = 0;
	}
	pfd[0].revents = 0;
	due = next_due(s);
	now = mono_ns();
	dt = due == INT64_MAX ? 1000000000LL : due - now;
	if (dt < 0)
		dt = 0;
	ts.tv_sec = (time_t)(dt / 1000000000LL);
	ts.tv_nsec = (long)(dt % 1000000000LL);
	if (ppoll(pfd, s->nc + 1, &ts, NULL) == -1 && errno != EINTR)
		err(3, "ppoll");
	now = mono_ns();
	for (i = 0; i < s->nc; i++) {
		c = s->c[i];
		if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
			if (read_in(s, c) != 0)
				c->closing = 2;
		if (!c->closing)
			release(s, c, now);
		if (flush_out(c) != 0)
			c->closing = 2;
	}
	for (i = k = 0; i < s->nc; i++) {
		c = s->c[i];
		if (c->closing == 2 || (c->closing && c->out.len == 0))
			conn_free(c);
		else
			s->c[k++] = c;
	}
	s->nc = k;
	if (pfd[0].revents & POLLIN)
		accept_one(s);
}

/* Microseconds at quantile q of the release lateness. */
static double
late_q(const struct sink *s, double q)
{
	uint64_t n = 0, want, acc = 0;
	size_t i;

	for (i = 0; i <= LATE_BUCKETS; i++)
		n += s->late[i];
	if (n == 0)
		return 0;
	want = (uint64_t)(q * (double)n + 0.999999);
	if (want < 1)
		want = 1;
	for (i = 0; i < LATE_BUCKETS; i++)
		if ((acc += s->late[i]) >= want)
			return (double)(i + 1) / 10.0;
	return (double)s->late_max / 1000.0;
}

int
main(int argc, char **argv)
{
	static struct sink s;
	struct sigaction sa;
	char *end;
	long v;
	int ch, port = 0;
	size_t i;

	while ((ch = getopt(argc, argv, "d:hNp:")) != -1) {
		switch (ch) {
		case 'd':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    v < 0 || v > 60000000)
				errx(2, "-d: expected 0 to 60000000 us, got "
				    "'%s'", optarg);
			s.hold_ns = (int64_t)v * 1000;
			break;
		case 'h':
			usage(0);
			break;
		case 'N':
			s.silent = 1;
			break;
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    v < 0 || v > 65535)
				errx(2, "-p: expected a port, got '%s'",
				    optarg);
			port = (int)v;
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
#ifdef __linux__
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
#endif
	fixu_build_init(&s.b);
	fixu_msg_init(&s.m);
	fixu_msg_init(&s.hm);
	s.lfd = listen_on(port);
	while (!got_sig)
		turn(&s);
	printf("conns=%" PRIu64 " logons=%" PRIu64 " orders=%" PRIu64
	    " fills=%" PRIu64 " garbled=%" PRIu64 " late_p50_us=%.1f"
	    " late_p99_us=%.1f late_max_us=%.1f\n", s.conns, s.logons,
	    s.orders, s.fills, s.garbled, late_q(&s, 0.50), late_q(&s, 0.99),
	    (double)s.late_max / 1000.0);
	for (i = 0; i < s.nc; i++)
		conn_free(s.c[i]);
	close(s.lfd);
	fixu_build_fini(&s.b);
	fixu_msg_fini(&s.m);
	fixu_msg_fini(&s.hm);
	return 0;
}
