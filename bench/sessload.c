/*
 * sessload.c -- a small FIX initiator that loads an order-filling
 * counterparty and measures it.
 *
 *   sessload [-BIjq] [-b begin] [-H heartbtint] [-n count] [-P prefix]
 *            [-r rate] [-s sender] [-t target] [-T drain] [-W window]
 *            host:port
 *   sessload -F file [-n count]
 *
 * It logs on (ResetSeqNumFlag 141=Y, so both sides start at 1), sends
 * count NewOrderSingle (limit orders, ClOrdID prefix+1 .. prefix+count),
 * matches each ExecutionReport to its order by ClOrdID, answers
 * TestRequests and ResendRequests (the latter with a gap fill: nothing of
 * ours is worth resending, and a resend request is counted as a fault),
 * and logs out.  The same client drives QuickFIX's executor and
 * fixsession, so that the two are compared under identical load.
 *
 * What it counts it checks: every inbound message must carry the next
 * sequence number (no gap, no repeat, no SequenceReset) and our CompIDs
 * swapped; every order must get exactly one ExecutionReport, a fill
 * (OrdStatus 2) whose ClOrdID, Symbol, Side and CumQty are the order's.
 * Anything else -- a reject, a resend request, a garbled message, a
 * report for no order of ours -- is a fault, and one fault makes the run
 * fail (exit 1, the reason on stderr), so that a wrong answer is never
 * counted as throughput.
 *
 * The load is open loop: order i is due at t0 + i/rate on CLOCK_MONOTONIC
 * and its latency runs from that due time, not from when it was actually
 * written, to the first ExecutionReport naming it.  A server that pushes
 * back (full socket buffers) therefore shows up as latency instead of
 * silently slowing the client down (coordinated omission).  With rate 0
 * orders go out as fast as the socket takes them; their latencies are then
 * mostly queueing and only the throughput means anything.
 *
 * Latency is measured to the fill, not to an earlier acknowledgement.
 * Latencies go into a histogram of logarithmic buckets with 64 linear
 * steps per power of two (HdrHistogram's idea: relative error under
 * 1.6%), so recording costs a few instructions and no allocation.
 *
 * The client's own lateness (when each order was written, against when
 * it was due) is kept in a second histogram and reported beside the
 * latencies: timer wake-ups on a loaded or virtual machine can be late by
 * milliseconds, and that floor is in every figure.  -B busy-waits instead
 * of sleeping, at the price of a CPU the servers then do not have.
 *
 * -I (idle) logs on, prints "logged on" on stdout, and stays, answering
 * heartbeats, until SIGTERM or SIGINT; then it logs out.  The benches use
 * it to hold many idle sessions open.
 *
 * -F file measures the disk instead, for the benches' floor under durable
 * latency: it overwrites one 4 KB block of file and fdatasync()s it, count
 * times (-n, 200 by default), and prints the latency percentiles.
 *
 * Exit: 0 every order filled and no fault, 1 some order unfilled, a fault,
 * or the peer logged us out, 2 usage, 3 connection or protocol failure.
 */
#define _GNU_SOURCE	/* ppoll(2): sub-millisecond pacing */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "codec.h"

#define OUT_HIGH	(256u * 1024)	/* rate 0: stop building orders here */
#define OUT_MAX		(512u << 20)	/* the server stopped reading */
#define IN_CHUNK	(256u * 1024)

/* ---- latency histogram --------------------------------------------------- */

#define H_SUB		64		/* linear steps per power of two */
#define H_LINEAR	(2 * H_SUB)	/* values below this are exact */
#define H_BUCKETS	(H_LINEAR + 58 * H_SUB)

struct hist {
	uint64_t	c[H_BUCKETS];
	uint64_t	n;
	uint64_t	max;
	uint64_t	sum;
};

static unsigned
h_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < H_LINEAR)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	if (msb > 62)
		msb = 62;
	shift = msb - 6;	/* v >> shift is in [64, 128) */
	return H_LINEAR + (shift - 1) * H_SUB +
	    (unsigned)((v >> shift) - H_SUB);
}

/* The highest value that lands in bucket i, as HdrHistogram reports. */
static uint64_t
h_value(unsigned i)
{
	unsigned shift;

	if (i < H_LINEAR)
		return i;
	shift = (i - H_LINEAR) / H_SUB + 1;
	return ((((uint64_t)(i - H_LINEAR) % H_SUB + H_SUB + 1) << shift) - 1);
}

static void
h_record(struct hist *h, uint64_t v)
{
	h->c[h_index(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* Value at quantile q (0..1): the least v with count(<= v) >= q * n. */
static uint64_t
h_quantile(const struct hist *h, double q)
{
	uint64_t want, acc = 0, v;
	unsigned i;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	for (i = 0; i < H_BUCKETS; i++) {
		acc += h->c[i];
		if (acc >= want) {
			v = h_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ---- the client ---------------------------------------------------------- */

struct load {
	/* settings */
	const char	*begin;
	const char	*sender;
	const char	*target;
	const char	*prefix;
	size_t		 prefixlen;
	uint64_t	 count;
	double		 rate;
	int		 hbint;
	int		 drain_s;
	uint64_t	 window;
	int		 idle;
	int		 spin;		/* -B: never block while orders run */
	/* connection */
	int		 fd;
	struct fixu_buf	 out;
	struct fixu_buf	 in;
	struct fixu_builder b;
	struct fixu_msg	 m;
	uint64_t	 seq_out;	/* last sent */
	uint64_t	 seq_in;	/* next expected */
	int64_t		 last_tx;
	int		 logged_on;
	int		 logout_seen;
	int		 logout_sent;
	int		 peer_closed;
	/* orders */
	int64_t		*due;		/* mono ns each order was due */
	uint8_t		*got;		/* 1: answered, 2: filled */
	uint64_t	 next;		/* next order to send, 0-based */
	uint64_t	 answered, filled, dup_reports, other_reports;
	uint64_t	 rejects, resend_reqs, gaps, garbled;
	uint64_t	 bad_fills;	/* fills not matching the order */
	uint64_t	 wrong_ids;	/* CompIDs not ours swapped */
	uint64_t	 seq_low;	/* a number already seen, no PossDup */
	int64_t		 t_first, t_last_tx, t_last_rx;
	struct hist	 h;
	struct hist	 lag;		/* order written - order due */
};

static volatile sig_atomic_t got_sig;

static void
on_sig(int sig)
{
	(void)sig;
	got_sig = 1;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: sessload [-BIjq] [-b begin] [-H heartbtint] [-n count] [-P prefix]\n"
"                [-r rate] [-s sender] [-t target] [-T drain] [-W window]\n"
"                host:port\n"
"       sessload -F file [-n count]\n"
"  -b begin      BeginString (FIX.4.4)\n"
"  -F file       measure 4 KB overwrite + fdatasync latency on file\n"
"  -B            busy-wait instead of sleeping between orders (exact\n"
"                pacing where timer wake-ups are late, at one CPU's cost)\n"
"  -H heartbtint HeartBtInt in seconds (30)\n"
"  -I            idle: log on, print \"logged on\", stay until SIGTERM\n"
"  -j            print the summary as one key=value line\n"
"  -n count      orders to send (10000)\n"
"  -P prefix     ClOrdID prefix (\"\")\n"
"  -q            no summary header line\n"
"  -r rate       orders per second, open loop; 0: as fast as possible (0)\n"
"  -s sender     SenderCompID (CLIENT1)\n"
"  -t target     TargetCompID (EXECUTOR)\n"
"  -T drain      seconds to wait for the last reports (10)\n"
"  -W window     rate 0: at most this many orders unanswered (0: no limit)\n");
	exit(status);
}

static void
bail(const char *what, int rc)
{
	errx(3, "%s: %s", what, fixu_strerror(rc));
}

/* Append the message now in the builder to the output buffer. */
static void
queue_built(struct load *l)
{
	struct fixu_str w;
	int rc;

	if ((rc = fixu_build_finish(&l->b, &w)) != 0)
		bail("building a message", rc);
	if ((rc = fixu_buf_append(&l->out, w.p, w.n)) != 0)
		errx(3, "more than %u bytes unsent: the peer stopped reading",
		    OUT_MAX);
}

/* Begin a message with our header; seq is the next outbound number. */
static void
header(struct load *l, const char *type, const struct timespec *now)
{
	int rc = 0;

	rc |= fixu_build_begin(&l->b, l->begin, strlen(l->begin), FIXU_SOH);
	rc |= fixu_build_add_str(&l->b, 35, type);
	rc |= fixu_build_add_str(&l->b, 49, l->sender);
	rc |= fixu_build_add_str(&l->b, 56, l->target);
	rc |= fixu_build_add_u64(&l->b, 34, ++l->seq_out);
	rc |= fixu_build_add_time(&l->b, 52, now, 3);
	if (rc != 0)
		bail("building a header", FIXU_ENOMEM);
}

static void
send_admin(struct load *l, const char *type, uint32_t tag, const char *v,
    size_t vn)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	header(l, type, &now);
	if (tag != 0 && fixu_build_add(&l->b, tag, v, vn) != 0)
		bail("building a message", FIXU_ENOMEM);
	queue_built(l);
	l->last_tx = mono_ns();
}

static void
send_logon(struct load *l)
{
	struct timespec now;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	header(l, "A", &now);
	rc |= fixu_build_add_str(&l->b, 98, "0");
	rc |= fixu_build_add_u64(&l->b, 108, (uint64_t)l->hbint);
	rc |= fixu_build_add_str(&l->b, 141, "Y");
	if (rc != 0)
		bail("building the Logon", FIXU_ENOMEM);
	queue_built(l);
	l->last_tx = mono_ns();
}

/* What order i asks for: the fill must give back Symbol, Side, CumQty. */
static const char *const sym[] = { "MSFT", "IBM", "AAPL", "ORCL" };
static const char *const px[] = { "101.25", "27.5", "180.05", "99" };
#define ORDER_SIDE	"1"
#define ORDER_QTY	"100"

/* Order i (0-based), due at mono time due. */
static void
send_order(struct load *l, uint64_t i, int64_t due,
    const struct timespec *real)
{
	char id[96];
	size_t pn = l->prefixlen;
	int rc = 0, n;

	memcpy(id, l->prefix, pn);
	n = snprintf(id + pn, sizeof(id) - pn, "%" PRIu64, i + 1);
	if (n < 0 || (size_t)n >= sizeof(id) - pn)
		errx(3, "ClOrdID too long");
	header(l, "D", real);
	rc |= fixu_build_add(&l->b, 11, id, pn + (size_t)n);
	rc |= fixu_build_add_str(&l->b, 21, "1");
	rc |= fixu_build_add_str(&l->b, 55, sym[i % 4]);
	rc |= fixu_build_add_str(&l->b, 54, ORDER_SIDE);
	rc |= fixu_build_add_time(&l->b, 60, real, 3);
	rc |= fixu_build_add_str(&l->b, 38, ORDER_QTY);
	rc |= fixu_build_add_str(&l->b, 40, "2");
	rc |= fixu_build_add_str(&l->b, 44, px[i % 4]);
	if (rc != 0)
		bail("building an order", FIXU_ENOMEM);
	queue_built(l);
	l->last_tx = mono_ns();
	l->due[i] = due;
	if (l->next == 0)
		l->t_first = due;
}

static int
flush_out(struct load *l)
{
	if (fixu_buf_write(&l->out, l->fd) == 0)
		return 0;
	warn("write");
	return -1;
}

/* The 0-based order number a ClOrdID names, or -1. */
static int64_t
order_of(const struct load *l, struct fixu_str id)
{
	uint64_t v;

	if (id.n <= l->prefixlen ||
	    memcmp(id.p, l->prefix, l->prefixlen) != 0)
		return -1;
	if (fixu_parse_u64(id.p + l->prefixlen, id.n - l->prefixlen, &v) != 0 ||
	    v == 0 || v > l->count)
		return -1;
	return (int64_t)(v - 1);
}

static int
field_is(const struct load *l, uint32_t tag, const char *want)
{
	struct fixu_str v = fixu_msg_get(&l->m, tag);
	size_t n = strlen(want);

	return v.n == n && memcmp(v.p, want, n) == 0;
}

/*
 * An ExecutionReport: it must name an order we sent, be the first report
 * for it, and be its fill.  The latency is taken at the fill.
 */
static void
on_report(struct load *l, int64_t now)
{
	int64_t i;

	if ((i = order_of(l, fixu_msg_get(&l->m, 11))) < 0 ||
	    (uint64_t)i >= l->next) {
		l->other_reports++;
		return;
	}
	if (l->got[i] != 0) {
		l->dup_reports++;
		return;
	}
	l->got[i] = 1;
	l->answered++;
	l->t_last_rx = now;
	if (!field_is(l, 39, "2"))
		return;		/* not a fill: the order stays unfilled */
	if (!field_is(l, 55, sym[i % 4]) || !field_is(l, 54, ORDER_SIDE) ||
	    !field_is(l, 14, ORDER_QTY)) {
		if (l->bad_fills++ == 0)
			warnx("fill for order %" PRId64 " does not match it"
			    " (55, 54 or 14)", i + 1);
		return;
	}
	l->got[i] = 2;
	l->filled++;
	h_record(&l->h, (uint64_t)(now - l->due[i]));
}

static void
on_reject(struct load *l)
{
	struct fixu_str t = fixu_msg_get(&l->m, 58);
	struct fixu_str r = fixu_msg_get(&l->m, 373);
	struct fixu_str ty = fixu_msg_get(&l->m, 35);

	if (l->rejects++ == 0)
		warnx("first reject (35=%.*s): 373=%.*s 58=%.*s",
		    (int)ty.n, ty.p, (int)r.n, r.p, (int)t.n, t.p);
}

/* A ResendRequest: nothing of ours needs sending again; gap-fill it all. */
static void
on_resend(struct load *l)
{
	struct fixu_str bs = fixu_msg_get(&l->m, 7);
	struct timespec now;
	uint64_t from;
	int rc = 0;

	l->resend_reqs++;
	if (fixu_parse_u64(bs.p, bs.n, &from) != 0 || from == 0 ||
	    from > l->seq_out)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	/* A gap fill takes the first number asked for, not a new one. */
	rc |= fixu_build_begin(&l->b, l->begin, strlen(l->begin), FIXU_SOH);
	rc |= fixu_build_add_str(&l->b, 35, "4");
	rc |= fixu_build_add_str(&l->b, 49, l->sender);
	rc |= fixu_build_add_str(&l->b, 56, l->target);
	rc |= fixu_build_add_u64(&l->b, 34, from);
	rc |= fixu_build_add_str(&l->b, 43, "Y");
	rc |= fixu_build_add_time(&l->b, 52, &now, 3);
	rc |= fixu_build_add_time(&l->b, 122, &now, 3);
	rc |= fixu_build_add_str(&l->b, 123, "Y");
	rc |= fixu_build_add_u64(&l->b, 36, l->seq_out + 1);
	if (rc != 0)
		bail("building a gap fill", FIXU_ENOMEM);
	queue_built(l);
}

static void
on_message(struct load *l, const char *p, size_t n, int64_t now)
{
	struct fixu_diag d;
	struct fixu_str ty, s;
	uint64_t seq;
	int rc;

	rc = fixu_msg_parse(&l->m, p, n, FIXU_SOH, NULL, 0, &d);
	if (rc != 0) {
		l->garbled++;
		return;
	}
	ty = fixu_msg_get(&l->m, 35);
	if (!field_is(l, 49, l->target) || !field_is(l, 56, l->sender))
		l->wrong_ids++;
	/*
	 * Every message must carry the next number.  Before the Logon reply
	 * we cannot know it (141=Y: the peer restarts at 1, whatever it had).
	 */
	s = fixu_msg_get(&l->m, 34);
	if (fixu_parse_u64(s.p, s.n, &seq) != 0)
		l->garbled++;
	else if (!l->logged_on) {
		if (seq != 1 && ty.n == 1 && ty.p[0] == 'A')
			l->gaps++;	/* we asked for 141=Y: it starts at 1 */
		l->seq_in = seq + 1;
	}
	else if (seq > l->seq_in) {
		l->gaps++;
		l->seq_in = seq + 1;
	} else if (seq < l->seq_in) {
		if (!field_is(l, 43, "Y"))
			l->seq_low++;
		return;		/* a repeat: nothing new in it */
	} else
		l->seq_in = seq + 1;
	if (ty.n != 1)
		return;
	switch (ty.p[0]) {
	case '8':
		on_report(l, now);
		break;
	case '1':
		s = fixu_msg_get(&l->m, 112);
		send_admin(l, "0", 112, s.p, s.n);
		break;
	case '2':
		on_resend(l);
		break;
	case '3':
	case 'j':
		on_reject(l);
		break;
	case '4':
		/* We never ask for a resend: any reset skips messages. */
		l->gaps++;
		s = fixu_msg_get(&l->m, 36);
		if (fixu_parse_u64(s.p, s.n, &seq) == 0 && seq > l->seq_in)
			l->seq_in = seq;
		break;
	case '5':
		l->logout_seen = 1;
		if (!l->logout_sent) {
			s = fixu_msg_get(&l->m, 58);
			warnx("the peer logged out: %.*s", (int)s.n, s.p);
		}
		break;
	case 'A':
		l->logged_on = 1;
		break;
	default:
		break;
	}
}

/* Read what is there and handle every whole message; -1 on EOF/error. */
static int
read_in(struct load *l)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	size_t off;
	ssize_t r;
	int64_t now;
	int rc;

	for (;;) {
		if (fixu_buf_reserve(&l->in, IN_CHUNK) != 0)
			errx(3, "input buffer full");
		r = read(l->fd, l->in.p + l->in.len, IN_CHUNK);
		if (r == 0) {
			l->peer_closed = 1;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			warn("read");
			l->peer_closed = 1;
			return -1;
		}
		l->in.len += (size_t)r;
		now = mono_ns();
		off = 0;
		for (;;) {
			rc = fixu_frame(l->in.p + off, l->in.len - off, 0, &fr,
			    &d);
			if (rc == 0) {
				on_message(l, l->in.p + off + fr.start, fr.len,
				    now);
				off += fr.start + fr.len;
			} else if (rc == FIXU_EAGAIN) {
				/* No start seen: keep a few tail bytes, they
				   may be the first of an "8=". */
				if (fr.start == l->in.len - off)
					off += fr.start > 16 ?
					    fr.start - 16 : 0;
				else
					off += fr.start;
				break;
			} else {
				l->garbled++;
				off += fr.skip > 0 ? fr.skip : 1;
			}
		}
		fixu_buf_consume(&l->in, off);
		if ((size_t)r < IN_CHUNK)
			return 0;
	}
}

/*
 * Wait for the socket until deadline (mono ns; INT64_MAX: none).  ppoll
 * because poll(2)'s milliseconds are too coarse to pace 10,000 orders/s.
 */
static void
wait_io(struct load *l, int64_t deadline)
{
	struct pollfd pfd;
	int64_t now, dt;

	pfd.fd = l->fd;
	pfd.events = POLLIN | (l->out.len > 0 ? POLLOUT : 0);
	pfd.revents = 0;
	now = mono_ns();
	dt = deadline == INT64_MAX ? 1000000000LL : deadline - now;
	if (dt <= 0)
		return;
	if (dt > 1000000000LL)
		dt = 1000000000LL;
#ifdef __linux__
	{
		struct timespec ts;

		ts.tv_sec = (time_t)(dt / 1000000000LL);
		ts.tv_nsec = (long)(dt % 1000000000LL);
		(void)ppoll(&pfd, 1, &ts, NULL);
	}
#else
	(void)poll(&pfd, 1, (int)((dt + 999999) / 1000000));
#endif
}

static void
heartbeat_if_due(struct load *l, int64_t now)
{
	if (now - l->last_tx >= (int64_t)l->hbint * 1000000000LL)
		send_admin(l, "0", 0, NULL, 0);
}

static void
connect_to(struct load *l, const char *hostport)
{
	struct addrinfo hints, *res, *ai;
	char host[256];
	const char *colon;
	int one = 1, rc, fd = -1;

	if ((colon = strrchr(hostport, ':')) == NULL ||
	    (size_t)(colon - hostport) >= sizeof(host))
		errx(2, "%s: expected host:port", hostport);
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0)
		errx(3, "%s: %s", hostport, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		err(3, "%s", hostport);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		err(3, "fcntl");
	l->fd = fd;
}

/* Run I/O until cond(l) holds or deadline passes; 0 when cond held. */
static int
pump(struct load *l, int (*cond)(const struct load *), int64_t deadline)
{
	int64_t now;

	for (;;) {
		if (flush_out(l) != 0 || read_in(l) != 0)
			return cond(l) ? 0 : -1;
		if (cond(l))
			return 0;
		now = mono_ns();
		if (now >= deadline || (got_sig && !l->idle))
			return -1;
		heartbeat_if_due(l, now);
		wait_io(l, deadline < now + 1000000000LL ? deadline :
		    now + 1000000000LL);
	}
}

static int
c_logged_on(const struct load *l)
{
	return l->logged_on || l->logout_seen;
}

static int
c_logout(const struct load *l)
{
	return l->logout_seen;
}

static int
c_signal(const struct load *l)
{
	return got_sig || l->logout_seen;
}

/* Send the orders; return when all are sent and answered or time ran out. */
static void
run_orders(struct load *l)
{
	struct timespec real;
	int64_t now, t0, due, deadline = INT64_MAX;
	double period = l->rate > 0 ? 1e9 / l->rate : 0;
	uint64_t sent_before = 0;

	t0 = mono_ns();
	for (;;) {
		now = mono_ns();
		if (l->next < l->count) {
			clock_gettime(CLOCK_REALTIME, &real);
			if (period > 0) {
				while (l->next < l->count &&
				    (due = t0 + (int64_t)((double)l->next *
				    period)) <= now) {
					send_order(l, l->next, due, &real);
					l->next++;
				}
			} else {
				while (l->next < l->count &&
				    l->out.len < OUT_HIGH &&
				    (l->window == 0 || l->next - l->answered <
				    l->window)) {
					send_order(l, l->next, now, &real);
					l->next++;
				}
			}
			if (l->next == l->count) {
				l->t_last_tx = now;
				deadline = now + (int64_t)l->drain_s *
				    1000000000LL;
			}
		}
		if (l->next > sent_before) {
			/* How late the client itself was: a floor under
			   every latency figure. */
			int64_t w = mono_ns();
			uint64_t k;

			for (k = sent_before; k < l->next; k++)
				h_record(&l->lag, (uint64_t)(w - l->due[k]));
			sent_before = l->next;
		}
		if (flush_out(l) != 0 || read_in(l) != 0) {
			warnx("the connection closed with %" PRIu64
			    " orders unanswered", l->count - l->answered);
			return;
		}
		if (l->next == l->count && l->answered == l->count)
			return;
		if (l->logout_seen || got_sig)
			return;
		now = mono_ns();
		if (now >= deadline)
			return;
		heartbeat_if_due(l, now);
		if (l->next < l->count && period > 0) {
			due = t0 + (int64_t)((double)l->next * period);
			if (!l->spin)
				wait_io(l, due < deadline ? due : deadline);
		} else if (l->spin && l->next == l->count &&
		    l->answered < l->count)
			continue;	/* -B: spin for the last replies */
		else if (l->next < l->count && l->out.len < OUT_HIGH &&
		    (l->window == 0 || l->next - l->answered < l->window))
			continue;	/* more to build at once */
		else
			wait_io(l, deadline);
	}
}

static void
fmt_us(char *buf, size_t n, uint64_t ns)
{
	int r = snprintf(buf, n, "%.1f", (double)ns / 1000.0);

	if (r < 0 || (size_t)r >= n)
		buf[0] = '\0';
}

static void
report(const struct load *l, const char *hostport, int json, int quiet)
{
	double send_s, rx_s, el_s, out_rate, in_rate;
	char p50[32], p90[32], p99[32], p999[32], mx[32], mean[32];
	char l50[32], l99[32], lmx[32];

	send_s = l->t_last_tx > l->t_first ?
	    (double)(l->t_last_tx - l->t_first) / 1e9 : 0;
	rx_s = l->t_last_rx > l->t_first ?
	    (double)(l->t_last_rx - l->t_first) / 1e9 : 0;
	el_s = rx_s > send_s ? rx_s : send_s;
	/*
	 * Both rates over the whole exchange, first order due to last report
	 * in: orders still sitting in socket buffers when the last one was
	 * written have not been taken by the server yet.
	 */
	out_rate = el_s > 0 ? (double)l->next / el_s : 0;
	in_rate = el_s > 0 ? (double)l->filled / el_s : 0;
	fmt_us(p50, sizeof(p50), h_quantile(&l->h, 0.50));
	fmt_us(p90, sizeof(p90), h_quantile(&l->h, 0.90));
	fmt_us(p99, sizeof(p99), h_quantile(&l->h, 0.99));
	fmt_us(p999, sizeof(p999), h_quantile(&l->h, 0.999));
	fmt_us(mx, sizeof(mx), l->h.max);
	fmt_us(mean, sizeof(mean), l->h.n ? l->h.sum / l->h.n : 0);
	fmt_us(l50, sizeof(l50), h_quantile(&l->lag, 0.50));
	fmt_us(l99, sizeof(l99), h_quantile(&l->lag, 0.99));
	fmt_us(lmx, sizeof(lmx), l->lag.max);
	if (json) {
		printf("sent=%" PRIu64 " filled=%" PRIu64 " answered=%" PRIu64
		    " unanswered=%" PRIu64 " dup_reports=%" PRIu64
		    " other_reports=%" PRIu64 " bad_fills=%" PRIu64
		    " rejects=%" PRIu64 " resend_requests=%" PRIu64
		    " gaps=%" PRIu64 " seq_low=%" PRIu64 " wrong_ids=%" PRIu64
		    " garbled=%" PRIu64 " rate=%.0f"
		    " elapsed_s=%.3f send_s=%.3f orders_per_s=%.0f"
		    " reports_per_s=%.0f p50_us=%s p90_us=%s p99_us=%s"
		    " p999_us=%s max_us=%s mean_us=%s lag_p50_us=%s"
		    " lag_p99_us=%s lag_max_us=%s\n",
		    l->next, l->filled, l->answered, l->next - l->answered,
		    l->dup_reports, l->other_reports, l->bad_fills,
		    l->rejects, l->resend_reqs, l->gaps, l->seq_low,
		    l->wrong_ids, l->garbled, l->rate, el_s, send_s, out_rate,
		    in_rate, p50, p90, p99, p999, mx, mean, l50, l99, lmx);
		return;
	}
	if (!quiet) {
		printf("sessload: %s %s %s->%s, %" PRIu64 " orders, ",
		    hostport, l->begin, l->sender, l->target, l->count);
		if (l->rate > 0)
			printf("%.0f/s open loop\n", l->rate);
		else
			printf("as fast as possible\n");
	}
	printf("  sent %" PRIu64 ", filled %" PRIu64 ", unanswered %" PRIu64
	    ", rejects %" PRIu64 ", resend requests %" PRIu64 ", gaps %"
	    PRIu64 "\n", l->next, l->filled, l->next - l->answered, l->rejects,
	    l->resend_reqs, l->gaps);
	printf("  elapsed %.3f s: %.0f orders/s out, %.0f fills/s in\n",
	    el_s, out_rate, in_rate);
	printf("  order to fill, us: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s"
	    "  (mean %s)\n", p50, p90, p99, p999, mx, mean);
	if (l->rate > 0)
		printf("  client lag us (order written - due): p50 %s  p99 %s"
		    "  max %s\n", l50, l99, lmx);
}

/*
 * 0 when every order was filled once and nothing went wrong; else -1 with
 * the first reason in why.
 */
static int
verdict(const struct load *l, char *why, size_t n)
{
	const struct {
		uint64_t	 v;
		const char	*what;
	} c[] = {
		{ l->garbled, "garbled messages" },
		{ l->wrong_ids, "messages with the wrong CompIDs" },
		{ l->gaps, "sequence gaps" },
		{ l->seq_low, "repeated sequence numbers" },
		{ l->rejects, "rejects" },
		{ l->resend_reqs, "resend requests" },
		{ l->other_reports, "reports for no order of ours" },
		{ l->dup_reports, "second reports for an order" },
		{ l->bad_fills, "fills that do not match their order" },
		{ l->answered - l->filled, "reports that are not fills" },
		{ l->next - l->answered, "orders unanswered" },
		{ l->count - l->next, "orders never sent" },
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].v == 0)
			continue;
		r = snprintf(why, n, "%" PRIu64 " %s", c[i].v, c[i].what);
		if (r < 0 || (size_t)r >= n)
			why[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * -F: overwrite one 4 KB block and fdatasync, count times.  The first
 * rounds allocate the block; they are left out.
 */
static int
disk_probe(const char *path, uint64_t count)
{
	static char blk[4096];
	struct hist *h;
	int64_t t;
	uint64_t i;
	int fd;
	char a[32], b[32], c[32];

	if ((h = calloc(1, sizeof(*h))) == NULL)
		err(3, NULL);
	if ((fd = open(path, O_RDWR | O_CREAT, 0600)) == -1)
		err(3, "%s", path);
	for (i = 0; i < count + 3; i++) {
		blk[0] = (char)i;
		t = mono_ns();
		if (pwrite(fd, blk, sizeof(blk), 0) != (ssize_t)sizeof(blk))
			err(3, "%s: write", path);
		if (fdatasync(fd) == -1)
			err(3, "%s: fdatasync", path);
		if (i >= 3)
			h_record(h, (uint64_t)(mono_ns() - t));
	}
	close(fd);
	fmt_us(a, sizeof(a), h_quantile(h, 0.50));
	fmt_us(b, sizeof(b), h_quantile(h, 0.99));
	fmt_us(c, sizeof(c), h->max);
	printf("fsync_n=%" PRIu64 " fsync_p50_us=%s fsync_p99_us=%s"
	    " fsync_max_us=%s\n", h->n, a, b, c);
	free(h);
	return 0;
}

int
main(int argc, char **argv)
{
	struct load l;
	struct sigaction sa;
	const char *errstr = NULL, *probe = NULL;
	int ch, json = 0, quiet = 0, status, count_set = 0;
	char *end, why[128];

	memset(&l, 0, sizeof(l));
	l.begin = "FIX.4.4";
	l.sender = "CLIENT1";
	l.target = "EXECUTOR";
	l.prefix = "";
	l.count = 10000;
	l.hbint = 30;
	l.drain_s = 10;
	l.seq_in = 1;
	while ((ch = getopt(argc, argv, "b:BF:hH:Ijn:P:qr:s:t:T:W:")) != -1) {
		errno = 0;
		end = NULL;
		switch (ch) {
		case 'b':
			l.begin = optarg;
			break;
		case 'B':
			l.spin = 1;
			break;
		case 'F':
			probe = optarg;
			break;
		case 'h':
			usage(0);
			break;
		case 'H':
			l.hbint = (int)strtol(optarg, &end, 10);
			if (l.hbint <= 0 || l.hbint > 3600)
				errstr = "-H";
			break;
		case 'I':
			l.idle = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'n':
			l.count = strtoull(optarg, &end, 10);
			if (l.count > 100000000)
				errstr = "-n";
			count_set = 1;
			break;
		case 'P':
			l.prefix = optarg;
			if (strlen(optarg) > 64)
				errstr = "-P";
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			l.rate = strtod(optarg, &end);
			if (l.rate < 0)
				errstr = "-r";
			break;
		case 's':
			l.sender = optarg;
			break;
		case 't':
			l.target = optarg;
			break;
		case 'T':
			l.drain_s = (int)strtol(optarg, &end, 10);
			if (l.drain_s < 0 || l.drain_s > 86400)
				errstr = "-T";
			break;
		case 'W':
			l.window = strtoull(optarg, &end, 10);
			break;
		default:
			usage(2);
		}
		if (errstr != NULL || errno != 0 ||
		    (end != NULL && (*end != '\0' || end == optarg))) {
			warnx("%s: bad value '%s'", errstr ? errstr : "option",
			    optarg);
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (probe != NULL) {
		if (argc != 0)
			usage(2);
		return disk_probe(probe, count_set ? l.count : 200);
	}
	if (argc != 1)
		usage(2);
	l.prefixlen = strlen(l.prefix);
	if (l.idle)
		l.count = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
#ifdef __linux__
	/* Wake-ups 1 us late at most, not the default 50 us. */
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
#endif
	fixu_buf_init(&l.out, OUT_MAX);
	fixu_buf_init(&l.in, 64u << 20);
	fixu_build_init(&l.b);
	fixu_msg_init(&l.m);
	if (l.count > 0) {
		l.due = calloc(l.count, sizeof(*l.due));
		l.got = calloc(l.count, 1);
		if (l.due == NULL || l.got == NULL)
			err(3, NULL);
	}

	connect_to(&l, argv[0]);
	send_logon(&l);
	if (pump(&l, c_logged_on, mono_ns() + 10000000000LL) != 0 ||
	    !l.logged_on)
		errx(3, "%s: no Logon reply%s", argv[0], l.peer_closed ?
		    " (connection closed)" : " within 10 s");
	if (l.idle) {
		printf("logged on\n");
		fflush(stdout);
		(void)pump(&l, c_signal, INT64_MAX);
	} else
		run_orders(&l);

	if (!l.logout_seen && !l.peer_closed) {
		l.logout_sent = 1;
		send_admin(&l, "5", 0, NULL, 0);
		if (pump(&l, c_logout, mono_ns() + 5000000000LL) != 0)
			warnx("no Logout reply within 5 s");
	} else if (!l.peer_closed) {
		/* The peer logged out first: confirm, then close. */
		send_admin(&l, "5", 0, NULL, 0);
		(void)flush_out(&l);
	}
	close(l.fd);

	if (!l.idle)
		report(&l, argv[0], json, quiet);
	status = 0;
	if (l.idle) {
		if (l.logout_seen && !got_sig) {
			warnx("the peer logged out an idle session");
			status = 1;
		}
	} else if (verdict(&l, why, sizeof(why)) != 0) {
		warnx("FAILED: %s", why);
		status = 1;
	}
	free(l.due);
	free(l.got);
	fixu_buf_fini(&l.out);
	fixu_buf_fini(&l.in);
	fixu_build_fini(&l.b);
	fixu_msg_fini(&l.m);
	return status;
}
