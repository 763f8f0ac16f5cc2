/*
 * genlog.c -- write a deterministic log of realistic FIX.4.4 traffic.
 *
 * One session, CLIENT1 <-> EXEC, both directions in one file the way a
 * QuickFIX file log holds them.  The client sends NewOrderSingle and
 * OrderCancelRequest; the exchange answers with ExecutionReports (new,
 * partial fill, fill, canceled) for orders it has seen, and streams
 * MarketDataSnapshotFullRefresh with 2-10 NoMDEntries; both sides send a
 * Heartbeat now and then.  Every message is built with the libfixutil
 * builder, so BodyLength and CheckSum are right by construction.  Each
 * direction has its own MsgSeqNum counting up from 1, and the clock moves
 * forward by a random 5-500 us per message, so SendingTime never goes back.
 * The PRNG is seeded (-s), so the same arguments give the same bytes.
 *
 * Output formats (-f): raw (SOH stream, no newlines), qf (QuickFIX file-log
 * lines "YYYYMMDD-HH:MM:SS.nnnnnnnnn : <msg with SOH>\n"), pipe (one
 * message per line with '|' for SOH, CheckSum computed as if SOH).
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"

enum fmt { F_RAW, F_QF, F_PIPE };

static uint64_t	rng_state;

/* splitmix64: small, fast, and the same on every platform. */
static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t
rndn(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

static const struct {
	const char	*sym;
	uint32_t	 px;	/* reference price in cents */
} instr[] = {
	{ "AAPL", 18950 }, { "MSFT", 41250 }, { "AMZN", 17830 },
	{ "GOOGL", 13890 }, { "META", 49020 }, { "NVDA", 87540 },
	{ "TSLA", 17410 }, { "JPM", 19360 }, { "V", 27880 },
	{ "XOM", 11290 }, { "BRK.B", 40710 }, { "IBM", 19120 },
};
#define NINSTR	(sizeof(instr) / sizeof(instr[0]))

/* Orders the client has sent and the exchange has not finished. */
struct order {
	uint64_t	id;		/* ClOrdID number */
	uint64_t	orderid;	/* exchange OrderID, 0 until acked */
	uint32_t	ins;
	char		side;
	uint32_t	qty, cum;
	uint32_t	px;
	uint64_t	notional;	/* sum of fill qty * px, for AvgPx */
	int		cancel_sent;
};
#define MAXLIVE	256

struct gen {
	struct fixu_builder	 b;
	struct timespec		 now;
	uint64_t		 seq_c, seq_e;	/* next MsgSeqNum per side */
	uint64_t		 next_clordid, next_orderid, next_execid;
	uint64_t		 mdreq;
	struct order		 live[MAXLIVE];
	unsigned		 nlive;
	enum fmt		 fmt;
	FILE			*out;
};

static void
die_rc(int rc, const char *what)
{
	if (rc < 0)
		errx(3, "%s: %s", what, fixu_strerror(rc));
}

/* Price in cents as "412.50". */
static size_t
fmt_px(char *o, size_t sz, uint64_t cents)
{
	int n = snprintf(o, sz, "%llu.%02llu",
	    (unsigned long long)(cents / 100),
	    (unsigned long long)(cents % 100));

	if (n < 0 || (size_t)n >= sz)
		errx(5, "price format truncated");
	return (size_t)n;
}

static size_t
fmt_id(char *o, size_t sz, const char *pfx, uint64_t id)
{
	int n = snprintf(o, sz, "%s%010llu", pfx, (unsigned long long)id);

	if (n < 0 || (size_t)n >= sz)
		errx(5, "id format truncated");
	return (size_t)n;
}

static void
add(struct gen *g, uint32_t tag, const char *v, size_t n)
{
	die_rc(fixu_build_add(&g->b, tag, v, n), "build");
}

static void
adds(struct gen *g, uint32_t tag, const char *s)
{
	die_rc(fixu_build_add_str(&g->b, tag, s), "build");
}

static void
addu(struct gen *g, uint32_t tag, uint64_t v)
{
	die_rc(fixu_build_add_u64(&g->b, tag, v), "build");
}

static void
addpx(struct gen *g, uint32_t tag, uint64_t cents)
{
	char t[32];

	add(g, tag, t, fmt_px(t, sizeof(t), cents));
}

static void
addid(struct gen *g, uint32_t tag, const char *pfx, uint64_t id)
{
	char t[40];

	add(g, tag, t, fmt_id(t, sizeof(t), pfx, id));
}

/* Standard header; from_client chooses the direction. */
static void
begin(struct gen *g, const char *msgtype, int from_client)
{
	char d = g->fmt == F_PIPE ? '|' : FIXU_SOH;

	die_rc(fixu_build_begin(&g->b, "FIX.4.4", 7, d), "build");
	adds(g, 35, msgtype);
	adds(g, 49, from_client ? "CLIENT1" : "EXEC");
	adds(g, 56, from_client ? "EXEC" : "CLIENT1");
	addu(g, 34, from_client ? g->seq_c++ : g->seq_e++);
	die_rc(fixu_build_add_time(&g->b, 52, &g->now, 3), "build");
}

static void
finish(struct gen *g)
{
	struct fixu_str m;
	struct timespec lt;
	char ts[40];
	size_t n;

	die_rc(fixu_build_finish(&g->b, &m), "build");
	if (g->fmt == F_QF) {
		/*
		 * The log line is written 1-5 us after SendingTime, less than
		 * the smallest tick, so log times increase too.
		 */
		lt = g->now;
		lt.tv_nsec += 1000 + (long)rndn(4000);
		if (lt.tv_nsec >= 1000000000L) {
			lt.tv_nsec -= 1000000000L;
			lt.tv_sec++;
		}
		n = fixu_time_fmt(ts, &lt, 9);
		fwrite(ts, 1, n, g->out);
		fputs(" : ", g->out);
	}
	fwrite(m.p, 1, m.n, g->out);
	if (g->fmt != F_RAW)
		putc('\n', g->out);
}

static void
tick(struct gen *g)
{
	g->now.tv_nsec += 5000 + (long)rndn(495000);
	if (g->now.tv_nsec >= 1000000000L) {
		g->now.tv_nsec -= 1000000000L;
		g->now.tv_sec++;
	}
}

static void
heartbeat(struct gen *g)
{
	begin(g, "0", rndn(2) == 0);
	finish(g);
}

static void
new_order(struct gen *g)
{
	struct order *o;
	int32_t off;

	if (g->nlive == MAXLIVE)	/* book full: the oldest is forgotten */
		memmove(g->live, g->live + 1, --g->nlive * sizeof(*o));
	o = &g->live[g->nlive++];
	memset(o, 0, sizeof(*o));
	o->id = g->next_clordid++;
	o->ins = rndn(NINSTR);
	o->side = rndn(2) ? '1' : '2';
	o->qty = 100 * (1 + rndn(50));
	off = (int32_t)rndn(200) - 100;
	o->px = (uint32_t)((int32_t)instr[o->ins].px + off);

	begin(g, "D", 1);
	addid(g, 11, "ORD", o->id);
	adds(g, 1, "ACC-7781");
	adds(g, 21, "1");
	adds(g, 55, instr[o->ins].sym);
	add(g, 54, &o->side, 1);
	die_rc(fixu_build_add_time(&g->b, 60, &g->now, 3), "build");
	addu(g, 38, o->qty);
	adds(g, 40, "2");
	addpx(g, 44, o->px);
	adds(g, 59, "0");
	finish(g);
}

static void
cancel(struct gen *g, struct order *o)
{
	o->cancel_sent = 1;
	begin(g, "F", 1);
	addid(g, 41, "ORD", o->id);
	addid(g, 11, "CXL", g->next_clordid++);
	adds(g, 55, instr[o->ins].sym);
	add(g, 54, &o->side, 1);
	die_rc(fixu_build_add_time(&g->b, 60, &g->now, 3), "build");
	addu(g, 38, o->qty);
	finish(g);
}

/* ExecType, OrdStatus; fill qty and price when exectype is F. */
static void
exec_report(struct gen *g, struct order *o, char exectype, char ordstatus,
    uint32_t lastqty, uint32_t lastpx)
{
	begin(g, "8", 0);
	addid(g, 37, "X", o->orderid);
	addid(g, 11, "ORD", o->id);
	addid(g, 17, "E", g->next_execid++);
	add(g, 150, &exectype, 1);
	add(g, 39, &ordstatus, 1);
	adds(g, 55, instr[o->ins].sym);
	add(g, 54, &o->side, 1);
	addu(g, 38, o->qty);
	adds(g, 40, "2");
	addpx(g, 44, o->px);
	if (exectype == 'F') {
		addu(g, 32, lastqty);
		addpx(g, 31, lastpx);
	}
	addu(g, 151, ordstatus == '4' ? 0 : o->qty - o->cum);
	addu(g, 14, o->cum);
	addpx(g, 6, o->cum ? (o->notional + o->cum / 2) / o->cum : 0);
	die_rc(fixu_build_add_time(&g->b, 60, &g->now, 3), "build");
	finish(g);
}

static void
drop(struct gen *g, unsigned i)
{
	memmove(g->live + i, g->live + i + 1,
	    (g->nlive - i - 1) * sizeof(g->live[0]));
	g->nlive--;
}

/* The exchange acts on one live order: ack, fill part, fill, or cancel. */
static void
exchange(struct gen *g)
{
	unsigned i = rndn(g->nlive);
	struct order *o = &g->live[i];
	uint32_t q;

	if (o->orderid == 0) {
		o->orderid = g->next_orderid++;
		exec_report(g, o, '0', '0', 0, 0);
		return;
	}
	if (o->cancel_sent) {
		exec_report(g, o, '4', '4', 0, 0);
		drop(g, i);
		return;
	}
	q = o->qty - o->cum;
	if (q > 100 && rndn(2))
		q = 100 * (1 + rndn(q / 100 - 1));
	o->cum += q;
	o->notional += (uint64_t)q * o->px;
	exec_report(g, o, 'F', o->cum == o->qty ? '2' : '1', q, o->px);
	if (o->cum == o->qty)
		drop(g, i);
}

static void
md_snapshot(struct gen *g)
{
	uint32_t ins = rndn(NINSTR), n = 2 + rndn(9), k, px;

	begin(g, "W", 0);
	addid(g, 262, "MD", g->mdreq + ins);
	adds(g, 55, instr[ins].sym);
	addu(g, 268, n);
	for (k = 0; k < n; k++) {
		/* Alternate bid and offer levels moving away from the touch. */
		px = instr[ins].px + (k & 1 ? 1 + k / 2 : 0) - (k & 1 ? 0 : k / 2);
		adds(g, 269, k & 1 ? "1" : "0");
		addpx(g, 270, px);
		addu(g, 271, 100 * (1 + rndn(100)));
		add(g, 290, (char[]){ (char)('1' + k / 2) }, 1);
	}
	finish(g);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: genlog [-n count] [-f raw|qf|pipe] [-s seed] "
	    "[-o file]\n");
}

int
main(int argc, char *argv[])
{
	struct gen g;
	unsigned long long count = 1000000, i, seed = 1;
	const char *outpath = "-";
	char *end;
	uint32_t r, k;
	int ch;

	memset(&g, 0, sizeof(g));
	g.fmt = F_QF;
	while ((ch = getopt(argc, argv, "f:hn:o:s:")) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "raw") == 0)
				g.fmt = F_RAW;
			else if (strcmp(optarg, "qf") == 0)
				g.fmt = F_QF;
			else if (strcmp(optarg, "pipe") == 0)
				g.fmt = F_PIPE;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			count = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0') {
				usage(stderr);
				return 2;
			}
			break;
		case 'o':
			outpath = optarg;
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0') {
				usage(stderr);
				return 2;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(outpath, "-") == 0)
		g.out = stdout;
	else if ((g.out = fopen(outpath, "w")) == NULL)
		err(5, "%s", outpath);
	setvbuf(g.out, NULL, _IOFBF, 1 << 20);

	rng_state = seed;
	fixu_build_init(&g.b);
	g.now.tv_sec = 1709559000;	/* 2024-03-04 13:30:00 UTC */
	g.seq_c = g.seq_e = 1;
	g.next_clordid = g.next_orderid = g.next_execid = 1;
	g.mdreq = 1;

	for (i = 0; i < count; i++) {
		tick(&g);
		r = rndn(100);
		if (r < 4)
			heartbeat(&g);
		else if (r < 19)
			md_snapshot(&g);
		else if (r < 52 || g.nlive == 0)
			new_order(&g);
		else if (r < 58 && !g.live[k = rndn(g.nlive)].cancel_sent)
			cancel(&g, &g.live[k]);
		else
			exchange(&g);
	}
	fixu_build_fini(&g.b);
	if (fflush(g.out) != 0 || ferror(g.out) ||
	    (g.out != stdout && fclose(g.out) != 0))
		err(5, "%s", outpath);
	return 0;
}
