/*
 * load.c -- fixsim load: orders at a fixed offered rate from N sessions,
 * and what came back: counts, throughput and latency percentiles.
 *
 * The load is open loop.  Order i is due at t0 + i / rate (in bursts of
 * B: t0 + floor(i / B) * B / rate) on CLOCK_MONOTONIC, whatever the peer
 * has answered so far, and its latency runs from that due time -- not
 * from when it was actually written -- to the first ExecutionReport (or
 * OrderCancelReject) that names its ClOrdID.  A peer (or a fixsim) that
 * falls behind therefore shows up as latency instead of quietly lowering
 * the rate, which is the coordinated-omission error of closed-loop
 * testers.  How late fixsim itself wrote each order against its due time
 * is kept in a second histogram ("send lag") and reported beside the
 * latencies: that is the floor of every figure.
 *
 * Orders go round-robin over the sessions that are logged on; each
 * carries ClOrdID RUN-i (RUN differs between runs), so a reply finds its
 * order without a table.  Cancels and replaces pick a random earlier order
 * that is still open (a limit order, or a replacement the venue took);
 * when none is, a limit order is sent instead.  Session-level Rejects
 * (35=3) are matched to orders by RefSeqNum, BusinessMessageRejects by
 * BusinessRejectRefID or RefSeqNum.  Sending stops when the count is
 * reached (or the duration is over); then fixsim waits until every order
 * is done (filled, rejected, cancelled, replaced) or -w seconds, logs out
 * and reports.
 *
 * For failover drills: the address may be a list, which each session
 * goes round (sim.c) at every reconnect (-i); every ExecutionReport goes
 * through the ledger of fills.c, which tells a copy of a report seen
 * before ("resent") from a second fill ("overfilled"); -v writes every
 * session event with the wall-clock time, for a bench to read.
 *
 * Exit status: 0 every order answered, none rejected, none overfilled; 1
 * some order unanswered, rejected or overfilled (an OrderCancelReject is
 * not counted: a cancel that loses the race against a fill is what a mix
 * with cancels asks for); 2 usage; 4 the sessions could not log on, or
 * were all down for DOWN_MAX while orders were due; 5 system or I/O
 * error.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "common.h"
#include "fills.h"
#include "hist.h"
#include "sim.h"
#include "util.h"

#define NS		1000000000LL
#define NONE		UINT32_MAX
#define MAX_ORDERS	((uint64_t)UINT32_MAX - 1)
#define BATCH		4096		/* orders between turns, at most */
#define PENDING_MAX	(64u << 20)	/* unwritten bytes: hold back */
#define DOWN_MAX	(10 * NS)	/* no session up: give up */
#define MAX_SYM		32
#define ORDER_QTY	"100"		/* OrderQty (38) of every order */

enum { K_LIMIT, K_MARKET, K_CANCEL, K_REPLACE, NKIND };
static const char *const kname[NKIND] = {
	"limit", "market", "cancel", "replace"
};

/* What happened to an order; nfl[] counts the orders that got each. */
#define F_ANS		0x01	/* answered */
#define F_ACK		0x02	/* ExecType New */
#define F_FILL		0x04	/* OrdStatus Filled */
#define F_PART		0x08	/* OrdStatus Partially filled, once */
#define F_REJ		0x10
#define F_CXL		0x20
#define F_CLOSED	0x40	/* nothing more to come */
#define F_TAKEN		0x80	/* its cancel or replace is under way */
#define NFLAG		8
/* How many orders got flag f. */
#define CNT(L, f)	((L)->nfl[__builtin_ctz(f)])

struct rec {
	uint32_t	 seq;		/* MsgSeqNum it went with */
	uint32_t	 target;	/* of a cancel or replace, or NONE */
	uint32_t	 root;		/* the order of its symbol and side */
	uint16_t	 sess;
	uint8_t		 kind;
	uint8_t		 fl;
};

struct lsess {
	struct sim_sess	*ss;
	uint32_t	*sent;		/* orders sent, by seq */
	size_t		 n, cap;
	char		 last[240];	/* the last event, for errors */
	char		 name[65];	/* SenderCompID, for -v */
};

struct load {
	/* options */
	struct sim_sess_opts so;
	int		 nsess;
	const char	*sender;
	double		 rate;
	uint32_t	 burst;
	uint64_t	 count;
	double		 duration;
	double		 mix[NKIND];	/* cumulative */
	char		*syms[64];
	size_t		 nsym;
	double		 wait, logon_wait;
	int		 json, quiet, verbose;
	const char	*histfile, *svgfile;
	/* the run */
	struct sim	*sim;
	struct lsess	*s;
	struct rec	*r;
	uint64_t	 nr;
	uint32_t	*pool;
	size_t		 npool, cappool;
	struct fixu_msg	 m;
	struct hist	 lat, lag;
	struct fills	 fills;
	int64_t		 orderqty;	/* ORDER_QTY in millionths */
	uint64_t	 nfl[NFLAG], nkind[NKIND];
	uint64_t	 ers, cxlrej, unknown, injected;
	int64_t		 t0, t_last, t_last_er;
	char		 prefix[16];
	size_t		 plen;
	uint64_t	 rng;
	char		 ttime[32];
	size_t		 ttlen;
	int64_t		 ttms;
	int		 tty, onscreen, ending;
	int64_t		 next_prog;
	uint64_t	 prog_sent;
};

static volatile sig_atomic_t stop;

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixsim load [-hjqv] [-n sessions] [-s sender] [-t target] [-b begin]\n"
"                   [-A applverid] [-r rate] [-B burst] [-c count]\n"
"                   [-d seconds] [-m mix] [-S symbols] [-H heartbtint]\n"
"                   [-u username] [-P passfile] [-w seconds] [-o histfile]\n"
"                   [-g plot.svg] [-I inject] [-R injectrate]\n"
"                   [-T seconds] [-i seconds] host:port[,host:port...]\n"
"  -n N      sessions (1); -s SenderCompID template, %%d is 1..N (CLIENT%%d)\n"
"  -t ID     TargetCompID (EXECUTOR); -b BeginString (FIX.4.4)\n"
"  -A V      DefaultApplVerID for FIXT.1.1 (FIX.5.0SP2 or 9)\n"
"  -r R      orders per second offered, all sessions together (1000)\n"
"  -B N      send in bursts of N orders, R/N bursts per second\n"
"  -c N      orders to send (1000); -d S  or for S seconds\n"
"  -m MIX    limit=60,market=20,cancel=10,replace=10 (limit=100)\n"
"  -S LIST   symbols, comma-separated (IBM)\n"
"  -H S      HeartBtInt (30); -u NAME Username; -P FILE Password's file\n"
"  -w S      wait S seconds for replies after the last order (5)\n"
"  -T S      give the sessions S seconds to log on (10)\n"
"  -i S      reconnect after S seconds (1); a lost session tries the next\n"
"            host:port of the list\n"
"  -j        summary as JSON on stdout; -q no progress, no session events\n"
"  -v        every session event on stderr, with the UTC time\n"
"  -o FILE   latency histogram: bucket upper bound (us) and count\n"
"  -g FILE   latency plot (SVG)\n"
"  -I LIST   inject gap,checksum,garble,stale,heartbeat; -R P  rate (0.01)\n");
	exit(status);
}

static double
num(const char *s, double lo, double hi, int opt)
{
	double v;

	if (util_opt_num("load", opt, s, lo, hi, &v) != 0)
		usage(CMD_EX_USAGE);
	return v;
}

static double
rnd(struct load *L)
{
	uint64_t x = L->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	L->rng = x;
	/* The top 53 bits as a double in [0, 1). */
	return (double)((x * 2685821657736338717ULL) >> 11) /
	    9007199254740992.0;
}

/* ---- options --------------------------------------------------------- */

static void
parse_mix(struct load *L, char *s)
{
	double w[NKIND] = { 0 }, sum = 0;
	char *tok, *eq, *save = NULL;
	int k;

	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			goto bad;
		*eq++ = '\0';
		for (k = 0; k < NKIND && strcmp(tok, kname[k]) != 0; k++)
			;
		if (k == NKIND)
			goto bad;
		w[k] = num(eq, 0, 1e9, 'm');
	}
	for (k = 0; k < NKIND; k++)
		sum += w[k];
	if (sum <= 0)
		goto bad;
	for (k = 0; k < NKIND; k++)
		L->mix[k] = (k > 0 ? L->mix[k - 1] : 0) + w[k] / sum;
	L->mix[NKIND - 1] = 1.0;
	return;
bad:
	warnx("load: -m: expected KIND=WEIGHT,... with KIND limit, market, "
	    "cancel or replace");
	usage(CMD_EX_USAGE);
}

static void
parse_syms(struct load *L, char *s)
{
	char *tok, *save = NULL;

	L->nsym = 0;
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*tok == '\0' || strlen(tok) > MAX_SYM ||
		    strpbrk(tok, "=\001|") != NULL || L->nsym == 64) {
			warnx("load: -S: up to 64 symbols of 1 to %d "
			    "characters without '=', '|' or SOH", MAX_SYM);
			usage(CMD_EX_USAGE);
		}
		L->syms[L->nsym++] = tok;
	}
	if (L->nsym == 0)
		usage(CMD_EX_USAGE);
}

/* The template with %d replaced by n; "%%" is a '%'.  -1: bad template. */
static int
compid(const char *tmpl, int n, char *out, size_t size)
{
	size_t o = 0;
	int subs = 0, k;

	for (; *tmpl != '\0'; tmpl++) {
		if (*tmpl == '%' && tmpl[1] == 'd') {
			k = snprintf(out + o, size - o, "%d", n);
			if (k < 0 || (size_t)k >= size - o)
				return -1;
			o += (size_t)k;
			tmpl++;
			subs++;
			continue;
		}
		if (*tmpl == '%' && tmpl[1] == '%')
			tmpl++;
		else if (*tmpl == '%')
			return -1;
		if (o + 1 >= size)
			return -1;
		out[o++] = *tmpl;
	}
	out[o] = '\0';
	return o == 0 || subs > 1 ? -1 : subs;
}

static void
options(struct load *L, int argc, char **argv, char *pw, size_t pwsize)
{
	const char *begin = "FIX.4.4", *target = "EXECUTOR", *av = NULL;
	double ri = 1;
	size_t naddr;
	int ch, has_r = 0, n;
	unsigned inj = 0;

	L->nsess = 1;
	L->sender = "CLIENT%d";
	L->rate = 1000;
	L->burst = 1;
	L->wait = 5;
	L->logon_wait = 10;
	L->so.hbi = 30;
	L->mix[K_LIMIT] = L->mix[K_MARKET] = L->mix[K_CANCEL] = 1.0;
	L->mix[K_REPLACE] = 1.0;
	L->syms[0] = "IBM";
	L->nsym = 1;
	while ((ch = getopt(argc, argv, "A:b:B:c:d:g:H:hI:i:jm:n:o:P:qr:R:s:"
	    "S:T:t:u:vw:")) != -1) {
		switch (ch) {
		case 'A': av = optarg; break;
		case 'b': begin = optarg; break;
		case 'B': L->burst = (uint32_t)num(optarg, 1, 1e6, ch); break;
		case 'c': L->count = (uint64_t)num(optarg, 1, 4e9, ch); break;
		case 'd': L->duration = num(optarg, 0.001, 1e6, ch); break;
		case 'g': L->svgfile = optarg; break;
		case 'H': L->so.hbi = (int)num(optarg, 1, 3600, ch); break;
		case 'h': usage(CMD_EX_OK); break;
		case 'I':
			if (util_inject("load", optarg, &inj) != 0)
				usage(CMD_EX_USAGE);
			break;
		case 'i': ri = num(optarg, 0.001, 3600, ch); break;
		case 'j': L->json = 1; break;
		case 'm': parse_mix(L, optarg); break;
		case 'n': L->nsess = (int)num(optarg, 1, 65535, ch); break;
		case 'o': L->histfile = optarg; break;
		case 'P':
			util_password("load", optarg, pw, pwsize);
			L->so.password = pw;
			break;
		case 'q': L->quiet = 1; break;
		case 'r': L->rate = num(optarg, 0.001, 1e8, ch); break;
		case 'R':
			L->so.inject_rate = num(optarg, 0, 1, ch);
			has_r = 1;
			break;
		case 's': L->sender = optarg; break;
		case 'S': parse_syms(L, optarg); break;
		case 'T': L->logon_wait = num(optarg, 0.1, 86400, ch); break;
		case 't': target = optarg; break;
		case 'u': L->so.username = optarg; break;
		case 'v': L->verbose = 1; break;
		case 'w': L->wait = num(optarg, 0, 86400, ch); break;
		default: usage(CMD_EX_USAGE);
		}
	}
	if (argc - optind != 1)
		usage(CMD_EX_USAGE);
	if (util_hostports("load", argv[optind], &naddr) != 0)
		usage(CMD_EX_USAGE);
	L->so.addrs = argv[optind];
	if (strcmp(begin, "FIXT.1.1") != 0 && (strncmp(begin, "FIX.4.", 6) != 0
	    || begin[6] < '0' || begin[6] > '4' || begin[7] != '\0'))
		errx(CMD_EX_USAGE, "load: -b: expected FIX.4.0 to FIX.4.4 or "
		    "FIXT.1.1, got '%s'", begin);
	if (av != NULL && strcmp(begin, "FIXT.1.1") != 0)
		errx(CMD_EX_USAGE, "load: -A is for FIXT.1.1 sessions");
	if (strlen(target) == 0 || strlen(target) >= sizeof(L->so.sid.target))
		errx(CMD_EX_USAGE, "load: -t: bad TargetCompID");
	if ((n = compid(L->sender, 1, L->so.sid.sender,
	    sizeof(L->so.sid.sender))) < 0 || (n == 0 && L->nsess > 1))
		errx(CMD_EX_USAGE, "load: -s: expected a SenderCompID with "
		    "one %%d (needed for more than one session), got '%s'",
		    L->sender);
	if (has_r && inj == 0)
		errx(CMD_EX_USAGE, "load: -R needs -I");
	if (inj != 0 && !has_r)
		L->so.inject_rate = 0.01;
	if (L->duration > 0) {
		double dn = ceil(L->duration * L->rate);

		if (dn > (double)MAX_ORDERS)
			errx(CMD_EX_USAGE, "load: -d x -r: more than %llu "
			    "orders", (unsigned long long)MAX_ORDERS);
		if (L->count == 0 || (uint64_t)dn < L->count)
			L->count = (uint64_t)dn > 0 ? (uint64_t)dn : 1;
	}
	if (L->count == 0)
		L->count = 1000;
	if (L->count > MAX_ORDERS)
		errx(CMD_EX_USAGE, "load: -c: at most %llu orders",
		    (unsigned long long)MAX_ORDERS);
	(void)snprintf(L->so.sid.begin, sizeof(L->so.sid.begin), "%s", begin);
	(void)snprintf(L->so.sid.target, sizeof(L->so.sid.target), "%s",
	    target);
	L->so.default_applverid = av;
	L->so.inject = inj;
	L->so.reconnect_ms = (int)lround(ri * 1000);
}

/* ---- orders ---------------------------------------------------------- */

struct mb {
	char	p[512];
	size_t	n;
};

static void
put(struct mb *b, const char *s, size_t n)
{
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
putu(struct mb *b, uint64_t v)
{
	char t[24];
	size_t i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(b, t + i, sizeof(t) - i);
}

static void
tag(struct mb *b, unsigned t)
{
	if (b->n > 0)
		b->p[b->n++] = FIXU_SOH;
	putu(b, t);
	b->p[b->n++] = '=';
}

static void
field(struct mb *b, unsigned t, const char *v)
{
	tag(b, t);
	put(b, v, strlen(v));
}

static void
clordid(struct load *L, struct mb *b, unsigned t, uint64_t i)
{
	tag(b, t);
	put(b, L->prefix, L->plen);
	putu(b, i);
}

static void
price(struct mb *b, uint64_t cents)
{
	tag(b, 44);
	putu(b, cents / 100);
	b->p[b->n++] = '.';
	b->p[b->n++] = (char)('0' + cents / 10 % 10);
	b->p[b->n++] = (char)('0' + cents % 10);
}

/* -v: the orders never answered, one a line, to look for in the logs. */
static void
list_unanswered(const struct load *L)
{
	uint64_t i;

	for (i = 0; i < L->nr; i++)
		if (!(L->r[i].fl & F_ANS))
			fprintf(stderr, "fixsim load: unanswered: %s %s "
			    "ClOrdID %.*s%llu MsgSeqNum %lu\n",
			    L->s[L->r[i].sess].name, kname[L->r[i].kind],
			    (int)L->plen, L->prefix, (unsigned long long)i,
			    (unsigned long)L->r[i].seq);
}

/* The order ClOrdID s names, or NONE. */
static uint32_t
order_of(const struct load *L, struct fixu_str s)
{
	uint64_t v;

	if (s.p == NULL || s.n <= L->plen ||
	    memcmp(s.p, L->prefix, L->plen) != 0 ||
	    fixu_parse_u64(s.p + L->plen, s.n - L->plen, &v) != 0 ||
	    v >= L->nr)
		return NONE;
	return (uint32_t)v;
}

static int64_t
due(const struct load *L, uint64_t i)
{
	uint64_t k = L->burst > 1 ? i / L->burst * L->burst : i;

	return L->t0 + (int64_t)((double)k * 1e9 / L->rate);
}

static void
transact_time(struct load *L, struct mb *b)
{
	struct timespec ts;
	int64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (ms != L->ttms) {
		L->ttms = ms;
		L->ttlen = fixu_time_fmt(L->ttime, &ts, 3);
	}
	tag(b, 60);
	put(b, L->ttime, L->ttlen);
}

static void
setfl(struct load *L, uint32_t i, unsigned fl)
{
	unsigned nw = fl & ~(unsigned)L->r[i].fl, k;

	L->r[i].fl |= (uint8_t)fl;
	for (k = 0; nw != 0; k++, nw >>= 1)
		if (nw & 1)
			L->nfl[k]++;
}

static void
pool_add(struct load *L, uint32_t i)
{
	uint32_t *p;
	size_t cap;

	if (L->npool == L->cappool) {
		cap = L->cappool ? L->cappool * 2 : 4096;
		if ((p = realloc(L->pool, cap * sizeof(*p))) == NULL)
			return;		/* then it is not cancelled */
		L->pool = p;
		L->cappool = cap;
	}
	L->pool[L->npool++] = i;
}

/* A random open order nothing is under way for; NONE when none is. */
static uint32_t
pool_take(struct load *L)
{
	uint32_t o;
	size_t k;

	while (L->npool > 0) {
		k = (size_t)(rnd(L) * (double)L->npool) % L->npool;
		o = L->pool[k];
		L->pool[k] = L->pool[--L->npool];
		if (!(L->r[o].fl & (F_CLOSED | F_TAKEN)))
			return o;
	}
	return NONE;
}

/* A cancel or replace is over without effect: the order is free again. */
static void
untake(struct load *L, uint32_t t)
{
	if (t == NONE || !(L->r[t].fl & F_TAKEN))
		return;
	L->r[t].fl &= (uint8_t)~F_TAKEN;
	if (!(L->r[t].fl & F_CLOSED))
		pool_add(L, t);
}

static void
build(struct load *L, struct mb *b, uint64_t i, int kind, uint32_t target,
    uint32_t root)
{
	static const char *types[NKIND] = { "D", "D", "F", "G" };
	uint64_t h = root * 2654435761u;

	b->n = 0;
	field(b, 35, types[kind]);
	clordid(L, b, 11, i);
	if (target != NONE)
		clordid(L, b, 41, target);
	if (kind != K_CANCEL)
		field(b, 21, "1");
	field(b, 55, L->syms[root % L->nsym]);
	field(b, 54, (h >> 13) & 1 ? "1" : "2");
	transact_time(L, b);
	field(b, 38, ORDER_QTY);
	if (kind == K_MARKET)
		field(b, 40, "1");
	else if (kind != K_CANCEL) {
		field(b, 40, "2");
		price(b, 9900 + h % 201 + (kind == K_REPLACE ? 1 + i % 50 : 0));
	}
	b->p[b->n++] = FIXU_SOH;
}

static int
pick_sess(struct load *L, uint64_t i)
{
	int k, j;

	for (k = 0; k < L->nsess; k++) {
		j = (int)((i + (uint64_t)k) % (uint64_t)L->nsess);
		if (sim_logged_on(L->s[j].ss) &&
		    sim_pending(L->s[j].ss) < PENDING_MAX)
			return j;
	}
	return -1;
}

static int
pick_kind(struct load *L)
{
	double u = rnd(L);
	int k;

	for (k = 0; k < NKIND - 1 && u >= L->mix[k]; k++)
		;
	return k;
}

/* Order i went out on session s; kept in MsgSeqNum order, which a reset
   of the numbers starts again. */
static void
sent_add(struct load *L, struct lsess *s, uint32_t i)
{
	uint32_t *p;
	size_t cap;

	if (s->n > 0 && L->r[s->sent[s->n - 1]].seq >= L->r[i].seq)
		s->n = 0;
	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 4096;
		if ((p = realloc(s->sent, cap * sizeof(*p))) == NULL)
			return;		/* its Rejects are not matched */
		s->sent = p;
		s->cap = cap;
	}
	s->sent[s->n++] = i;
}

/* Send order nr: 0 sent, 1 no session can take it now, -1 failure. */
static int
send_one(struct load *L, int64_t now)
{
	uint64_t i = L->nr;
	uint32_t target = NONE, root = (uint32_t)i;
	struct fixu_diag d;
	struct rec *r;
	struct mb b;
	int j, kind, rc;

	if ((j = pick_sess(L, i)) < 0)
		return 1;
	kind = pick_kind(L);
	if (kind == K_CANCEL || kind == K_REPLACE) {
		if ((target = pool_take(L)) == NONE)
			kind = K_LIMIT;
		else
			root = L->r[target].root;
	}
	build(L, &b, i, kind, target, root);
	L->nr++;		/* order_of() accepts it from now on */
	if ((rc = sim_send(L->s[j].ss, b.p, b.n, &d)) != 0) {
		L->nr--;
		if (target != NONE)
			pool_add(L, target);
		if (rc == FIXU_EAGAIN)
			return 1;
		warnx("load: %s: %s", sim_id(L->s[j].ss), d.msg[0] ? d.msg :
		    fixu_strerror(rc));
		return -1;
	}
	r = &L->r[i];
	r->seq = (uint32_t)sim_last_seq(L->s[j].ss);
	r->target = target;
	r->root = root;
	r->sess = (uint16_t)j;
	r->kind = (uint8_t)kind;
	r->fl = 0;
	if (target != NONE)
		L->r[target].fl |= F_TAKEN;
	if (kind == K_LIMIT)
		pool_add(L, (uint32_t)i);
	sent_add(L, &L->s[j], (uint32_t)i);
	L->nkind[kind]++;
	hist_add(&L->lag, now - due(L, i));
	L->t_last = now;
	return 0;
}

/* ---- replies --------------------------------------------------------- */

static void
answered(struct load *L, uint32_t i, int64_t t, int sample)
{
	if (L->r[i].fl & F_ANS)
		return;
	setfl(L, i, F_ANS);
	if (sample)
		hist_add(&L->lat, t - due(L, i));
}

static int
first(struct fixu_str v)
{
	return v.p != NULL && v.n > 0 ? v.p[0] : 0;
}

static void
on_er(struct load *L, const struct fixu_msg *m, int64_t t)
{
	uint32_t i = order_of(L, fixu_msg_get(m, 11)), tg;
	int os = first(fixu_msg_get(m, 39)), kind;

	if (i == NONE) {
		L->unknown++;
		return;
	}
	L->ers++;
	if (fills_er(&L->fills, i, L->orderqty, m) != 0)
		return;		/* a copy: it was counted the first time */
	L->t_last_er = t;
	answered(L, i, t, 1);
	kind = L->r[i].kind;
	tg = L->r[i].target;
	if (first(fixu_msg_get(m, 150)) == '0')
		setfl(L, i, F_ACK);
	switch (os) {
	case '1':
		setfl(L, i, F_PART);
		break;
	case '2':
		setfl(L, i, F_FILL | F_CLOSED);
		break;
	case '3': case 'C':	/* done for day, expired */
		setfl(L, i, F_CLOSED);
		break;
	case '4':
		if (kind == K_CANCEL && tg != NONE) {
			setfl(L, i, F_CLOSED);
			setfl(L, tg, F_CXL | F_CLOSED);
		} else
			setfl(L, i, F_CXL | F_CLOSED);
		return;
	case '8':
		setfl(L, i, F_REJ | F_CLOSED);
		untake(L, tg);
		return;
	case '6': case 'A': case 'E':	/* pending: more to come */
		return;
	}
	/* A replacement the venue took is the order from now on. */
	if (kind == K_REPLACE && tg != NONE && !(L->r[tg].fl & F_CLOSED)) {
		setfl(L, tg, F_CLOSED);
		if (!(L->r[i].fl & F_CLOSED))
			pool_add(L, i);
	}
}

static void
rejected(struct load *L, uint32_t i, int64_t t)
{
	answered(L, i, t, 0);
	setfl(L, i, F_REJ | F_CLOSED);
	untake(L, L->r[i].target);
}

static int
sess_index(const struct load *L, const struct sim_sess *ss)
{
	int j;

	for (j = 0; j < L->nsess; j++)
		if (L->s[j].ss == ss)
			return j;
	return -1;
}

/* The order session j sent with MsgSeqNum seq, or NONE. */
static uint32_t
order_by_seq(const struct load *L, int j, struct fixu_str v)
{
	const struct lsess *s = &L->s[j];
	size_t lo = 0, hi = s->n, mid;
	uint64_t seq;

	if (v.p == NULL || fixu_parse_u64(v.p, v.n, &seq) != 0)
		return NONE;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (L->r[s->sent[mid]].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && L->r[s->sent[lo]].seq == seq ? s->sent[lo] : NONE;
}

static void
on_app(void *arg, struct sim_sess *ss, const struct fixu_msg *m, int64_t t)
{
	struct load *L = arg;
	struct fixu_str ty = fixu_msg_get(m, 35);
	uint32_t i;
	int j;

	if (ty.n != 1)
		return;
	switch (ty.p[0]) {
	case '8':
		on_er(L, m, t);
		break;
	case '9':	/* OrderCancelReject: the request is over */
		if ((i = order_of(L, fixu_msg_get(m, 11))) == NONE)
			break;
		L->cxlrej++;
		answered(L, i, t, 1);
		setfl(L, i, F_CLOSED);
		untake(L, L->r[i].target);
		break;
	case 'j':
		i = order_of(L, fixu_msg_get(m, 379));
		if (i == NONE && (j = sess_index(L, ss)) >= 0)
			i = order_by_seq(L, j, fixu_msg_get(m, 45));
		if (i != NONE)
			rejected(L, i, t);
		break;
	}
}

/* Session-level Rejects are administrative: seen here, not in on_app. */
static void
on_msg(void *arg, struct sim_sess *ss, int dir, const char *raw, size_t n)
{
	struct load *L = arg;
	const char *p = raw, *e = raw + n;
	uint32_t i;
	int k, j;

	(void)dir;
	/* MsgType is the third field. */
	for (k = 0; k < 2 && p != NULL; k++)
		if ((p = memchr(p, FIXU_SOH, (size_t)(e - p))) != NULL)
			p++;
	if (p == NULL || e - p < 5 || memcmp(p, "35=3\001", 5) != 0)
		return;
	if (fixu_msg_parse(&L->m, raw, n, FIXU_SOH, NULL, FIXU_PARSE_NOCHECK,
	    NULL) != 0 || (j = sess_index(L, ss)) < 0)
		return;
	if ((i = order_by_seq(L, j, fixu_msg_get(&L->m, 45))) != NONE)
		rejected(L, i, sim_mono());
}

static void
progress_clear(struct load *L)
{
	if (L->onscreen) {
		fputs("\r\033[K", stderr);
		L->onscreen = 0;
	}
}

/* -v: "fixsim load: 2026-12-04T15:20:00.123456Z CLIENT1 logon: TEXT" */
static void
event_line(const char *name, const char *kind, const char *text)
{
	struct timespec ts;
	struct tm tm;
	char tb[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(tb, sizeof(tb), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		tb[0] = '\0';
	fprintf(stderr, "fixsim load: %s.%06ldZ %s %s: %s\n", tb,
	    ts.tv_nsec / 1000, name, kind, text);
}

static void
on_event(void *arg, struct sim_sess *ss, const char *kind, const char *text)
{
	struct load *L = arg;
	int j = sess_index(L, ss);

	if (strcmp(kind, "inject") == 0) {
		if (strncmp(text, "heartbeat: talking", 18) != 0)
			L->injected++;
		return;
	}
	/* The session's "transport down" repeats what sim.c said. */
	if (strcmp(kind, "disconnect") == 0 &&
	    strncmp(text, "transport down", 14) == 0)
		return;
	if (j >= 0)
		(void)snprintf(L->s[j].last, sizeof(L->s[j].last), "%s: %s",
		    kind, text);
	if (L->verbose) {
		progress_clear(L);
		event_line(j >= 0 ? L->s[j].name : sim_id(ss), kind, text);
	} else if (!L->quiet && (strcmp(kind, "disconnect") == 0 ||
	    strcmp(kind, "error") == 0) && L->t0 != 0 && !L->ending) {
		progress_clear(L);
		warnx("load: %s: %s: %s", sim_id(ss), kind, text);
	}
}

/* ---- the run --------------------------------------------------------- */

static void
progress(struct load *L, int64_t now)
{
	if (!L->tty || L->quiet || L->t0 == 0 || now < L->next_prog)
		return;
	fprintf(stderr, "\rsent %llu  answered %llu  acked %llu  filled %llu  "
	    "%.0f/s  p99 %.0f us\033[K", (unsigned long long)L->nr,
	    (unsigned long long)CNT(L, F_ANS),
	    (unsigned long long)CNT(L, F_ACK),
	    (unsigned long long)CNT(L, F_FILL),
	    (double)(L->nr - L->prog_sent), (double)hist_pct(&L->lat, 99) /
	    1000);
	L->onscreen = 1;
	L->prog_sent = L->nr;
	L->next_prog = now + NS;
}

static int
turn(struct load *L, int64_t deadline)
{
	if (deadline > L->next_prog && L->tty && !L->quiet && L->t0 != 0)
		deadline = L->next_prog;
	if (sim_turn_until(L->sim, deadline) != 0) {
		progress_clear(L);
		warnx("load: poll: %s", strerror(errno));
		return -1;
	}
	progress(L, sim_mono());
	return 0;
}

static int
nlogged(const struct load *L)
{
	int j, n = 0;

	for (j = 0; j < L->nsess; j++)
		n += sim_logged_on(L->s[j].ss);
	return n;
}

static int
logon_all(struct load *L)
{
	int64_t end = sim_mono() + (int64_t)(L->logon_wait * 1e9);
	int j;

	while (nlogged(L) < L->nsess && sim_mono() < end && !stop)
		if (turn(L, end) != 0)
			return CMD_EX_IO;
	if (nlogged(L) == L->nsess)
		return 0;
	for (j = 0; j < L->nsess; j++)
		if (!sim_logged_on(L->s[j].ss))
			warnx("load: %s: could not log on%s%s",
			    sim_id(L->s[j].ss), L->s[j].last[0] ? ": " : "",
			    L->s[j].last);
	return CMD_EX_PROTO;
}

static int
send_all(struct load *L)
{
	int64_t now, down = 0, deadline;
	int k, rc;

	L->t0 = sim_mono();
	L->next_prog = L->t0 + NS;
	while (L->nr < L->count && !stop) {
		now = sim_mono();
		rc = 0;
		for (k = 0; k < BATCH && L->nr < L->count &&
		    due(L, L->nr) <= now; k++)
			if ((rc = send_one(L, now)) != 0)
				break;
		if (rc < 0)
			return CMD_EX_IO;
		if (rc > 0 && nlogged(L) == 0) {
			if (down == 0)
				down = now;
			else if (now - down > DOWN_MAX) {
				progress_clear(L);
				warnx("load: no session logged on for %lld s: "
				    "%llu orders not sent", DOWN_MAX / NS,
				    (unsigned long long)(L->count - L->nr));
				return CMD_EX_PROTO;
			}
		} else if (rc == 0)
			down = 0;
		if (L->nr == L->count)
			break;
		deadline = rc > 0 ? now + 1000000 : k == BATCH ? now :
		    due(L, L->nr);
		if (turn(L, deadline) != 0)
			return CMD_EX_IO;
	}
	return 0;
}

static void
wait_replies(struct load *L)
{
	int64_t end = (L->t_last > 0 ? L->t_last : sim_mono()) +
	    (int64_t)(L->wait * 1e9);

	while (CNT(L, F_CLOSED) < L->nr && sim_mono() < end && stop < 2)
		if (turn(L, end) != 0)
			return;
}

static void
logout_all(struct load *L)
{
	int64_t end;
	int j;

	L->ending = 1;
	for (j = 0; j < L->nsess; j++)
		(void)sim_logout(L->s[j].ss, NULL);
	end = sim_mono() + 3 * NS;
	while (!sim_all_down(L->sim) && sim_mono() < end)
		if (sim_turn_until(L->sim, end) != 0)
			break;
}

/* ---- the report ------------------------------------------------------ */

struct sum {
	uint64_t	partial, unanswered;
	double		span, achieved, erps;
	double		p[5];	/* 50 90 99 99.9 max, us */
};

static const double pcts[5] = { 50, 90, 99, 99.9, 100 };

static void
summarize(struct load *L, struct sum *S)
{
	double slot = (double)L->burst / L->rate;
	uint64_t i;
	int k;

	memset(S, 0, sizeof(*S));
	for (i = 0; i < L->nr; i++)
		if ((L->r[i].fl & (F_PART | F_FILL | F_CXL)) == F_PART)
			S->partial++;
	S->unanswered = L->nr - CNT(L, F_ANS);
	if (L->nr > 0)
		S->span = (double)(L->t_last - L->t0) / 1e9 + slot;
	S->achieved = S->span > 0 ? (double)L->nr / S->span : 0;
	if (L->t_last_er > L->t0)
		S->erps = (double)L->ers / ((double)(L->t_last_er - L->t0) /
		    1e9);
	for (k = 0; k < 5; k++)
		S->p[k] = (double)hist_pct(&L->lat, pcts[k]) / 1000;
}

static void
report_json(struct load *L, const struct sum *S)
{
	static const char *pn[5] = { "p50", "p90", "p99", "p99.9", "max" };
	int k;

	printf("{\"sessions\":%d,\"sent\":%llu,\"by_kind\":{", L->nsess,
	    (unsigned long long)L->nr);
	for (k = 0; k < NKIND; k++)
		printf("%s\"%s\":%llu", k ? "," : "", kname[k],
		    (unsigned long long)L->nkind[k]);
	printf("},\"acknowledged\":%llu,\"filled\":%llu,"
	    "\"partially_filled\":%llu,\"rejected\":%llu,\"cancelled\":%llu,"
	    "\"cancel_rejected\":%llu,\"unanswered\":%llu,"
	    "\"overfilled\":%llu,\"resent\":%llu,"
	    "\"unknown_reports\":%llu,\"injected\":%llu,",
	    (unsigned long long)CNT(L, F_ACK),
	    (unsigned long long)CNT(L, F_FILL),
	    (unsigned long long)S->partial, (unsigned long long)CNT(L, F_REJ),
	    (unsigned long long)CNT(L, F_CXL), (unsigned long long)L->cxlrej,
	    (unsigned long long)S->unanswered,
	    (unsigned long long)L->fills.overfilled,
	    (unsigned long long)L->fills.resent, (unsigned long long)L->unknown,
	    (unsigned long long)L->injected);
	printf("\"duration_s\":%.3f,\"offered_rate\":%.1f,"
	    "\"achieved_rate\":%.1f,\"er_received\":%llu,\"er_per_s\":%.1f,"
	    "\"latency_us\":{", S->span, L->rate, S->achieved,
	    (unsigned long long)L->ers, S->erps);
	for (k = 0; k < 5; k++)
		printf("%s\"%s\":%.1f", k ? "," : "", pn[k], S->p[k]);
	printf(",\"count\":%llu},\"send_lag_us\":{\"p50\":%.1f,\"p99\":%.1f,"
	    "\"max\":%.1f}}\n", (unsigned long long)L->lat.n,
	    (double)hist_pct(&L->lag, 50) / 1000,
	    (double)hist_pct(&L->lag, 99) / 1000,
	    (double)L->lag.max / 1000);
}

static void
report_text(struct load *L, const struct sum *S)
{
	int k;

	fprintf(stderr, "fixsim load: %d session%s, %llu orders in %.3f s: "
	    "offered %.*f/s, achieved %.*f/s\n  sent %llu (", L->nsess,
	    L->nsess > 1 ? "s" : "", (unsigned long long)L->nr, S->span,
	    L->rate < 100 ? 2 : 0, L->rate, S->achieved < 100 ? 2 : 0,
	    S->achieved, (unsigned long long)L->nr);
	for (k = 0; k < NKIND; k++)
		fprintf(stderr, "%s%s %llu", k ? ", " : "", kname[k],
		    (unsigned long long)L->nkind[k]);
	fprintf(stderr, ")\n  acknowledged %llu  filled %llu  partially "
	    "filled %llu  rejected %llu\n  cancelled %llu  cancel rejected "
	    "%llu  unanswered %llu\n  overfilled %llu  resent %llu\n",
	    (unsigned long long)CNT(L, F_ACK),
	    (unsigned long long)CNT(L, F_FILL), (unsigned long long)S->partial,
	    (unsigned long long)CNT(L, F_REJ),
	    (unsigned long long)CNT(L, F_CXL),
	    (unsigned long long)L->cxlrej, (unsigned long long)S->unanswered,
	    (unsigned long long)L->fills.overfilled,
	    (unsigned long long)L->fills.resent);
	fprintf(stderr, "  execution reports %llu (%.0f/s)%s", (unsigned long
	    long)L->ers, S->erps, L->unknown ? ", " : "\n");
	if (L->unknown)
		fprintf(stderr, "%llu for no order of this run\n",
		    (unsigned long long)L->unknown);
	if (L->injected)
		fprintf(stderr, "  errors injected %llu\n",
		    (unsigned long long)L->injected);
	fprintf(stderr, "  latency us (from the due time): p50 %.1f  p90 %.1f  "
	    "p99 %.1f  p99.9 %.1f  max %.1f\n  send lag us (written after the "
	    "due time): p50 %.1f  p99 %.1f  max %.1f\n", S->p[0], S->p[1],
	    S->p[2], S->p[3], S->p[4], (double)hist_pct(&L->lag, 50) / 1000,
	    (double)hist_pct(&L->lag, 99) / 1000, (double)L->lag.max / 1000);
}

static int
write_files(struct load *L, const struct sum *S)
{
	char title[256];
	FILE *f;
	int rc = 0;

	if (L->histfile != NULL) {
		f = strcmp(L->histfile, "-") == 0 ? stdout :
		    fopen(L->histfile, "w");
		if (f == NULL || hist_write(&L->lat, f) != 0 ||
		    (f != stdout && fclose(f) != 0)) {
			warn("load: %s", L->histfile);
			rc = -1;
		}
	}
	if (L->svgfile != NULL) {
		(void)snprintf(title, sizeof(title), "fixsim load: %llu orders "
		    "at %.0f/s over %d session%s - p50 %.1f us, p99 %.1f us, "
		    "max %.1f us", (unsigned long long)L->nr, L->rate,
		    L->nsess, L->nsess > 1 ? "s" : "", S->p[0], S->p[2],
		    S->p[4]);
		if ((f = fopen(L->svgfile, "w")) == NULL ||
		    hist_svg(&L->lat, f, title) != 0 || fclose(f) != 0) {
			warn("load: %s", L->svgfile);
			rc = -1;
		}
	}
	return rc;
}

/* The first signal stops the sending, a second the wait for replies. */
static void
on_signal(int sig)
{
	(void)sig;
	if (stop < 2)
		stop++;
}

static int
setup(struct load *L)
{
	struct sim_hooks h;
	struct fixu_diag d;
	int j;

	memset(&h, 0, sizeof(h));
	h.on_app = on_app;
	h.on_msg = on_msg;
	h.on_event = on_event;
	h.arg = L;
	if (sim_new(&L->sim, NULL, &h) != 0 || hist_init(&L->lat) != 0 ||
	    hist_init(&L->lag) != 0 ||
	    (L->s = calloc((size_t)L->nsess, sizeof(*L->s))) == NULL ||
	    (L->r = calloc(L->count, sizeof(*L->r))) == NULL ||
	    fills_init(&L->fills, L->count) != 0) {
		warnx("load: out of memory (%llu orders)",
		    (unsigned long long)L->count);
		return CMD_EX_IO;
	}
	fixu_msg_init(&L->m);
	for (j = 0; j < L->nsess; j++) {
		if (compid(L->sender, j + 1, L->so.sid.sender,
		    sizeof(L->so.sid.sender)) < 0)
			errx(CMD_EX_USAGE, "load: -s: bad SenderCompID "
			    "template '%s'", L->sender);
		(void)util_copy(L->s[j].name, sizeof(L->s[j].name),
		    L->so.sid.sender);
		if (sim_add(L->sim, &L->so, &L->s[j].ss, &d) != 0) {
			warnx("load: %s", d.msg);
			return d.code == FIXU_EINVAL ? CMD_EX_USAGE : CMD_EX_IO;
		}
	}
	util_catch(SIGINT, on_signal);
	util_catch(SIGTERM, on_signal);
#ifdef __linux__
	/* Wake-ups within a microsecond, not the default 50: pacing. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
	return 0;
}

static void
cleanup(struct load *L)
{
	int j;

	sim_free(L->sim);
	for (j = 0; L->s != NULL && j < L->nsess; j++)
		free(L->s[j].sent);
	free(L->s);
	free(L->r);
	free(L->pool);
	fills_fini(&L->fills);
	fixu_msg_fini(&L->m);
	hist_fini(&L->lat);
	hist_fini(&L->lag);
}

int
load_main(int argc, char **argv)
{
	static struct load L;
	static char pw[131];
	struct sum S;
	int rc, t, k;

	options(&L, argc, argv, pw, sizeof(pw));
	L.rng = (uint64_t)sim_mono() | 1;
	/* ClOrdIDs differ between runs: time and pid in 5 base-36 digits. */
	t = (int)(((uint64_t)time(NULL) * 7919 + (uint64_t)getpid()) %
	    60466176);
	for (k = 0; k < 5; k++, t /= 36)
		L.prefix[4 - k] = "0123456789abcdefghijklmnopqrstuvwxyz"[t %
		    36];
	L.prefix[5] = '-';
	L.plen = 6;
	L.tty = isatty(2);
	(void)util_parse_dec(ORDER_QTY, strlen(ORDER_QTY), 0, &L.orderqty);
	if ((rc = setup(&L)) != 0)
		goto done;
	if ((rc = logon_all(&L)) != 0) {
		logout_all(&L);
		goto done;
	}
	rc = send_all(&L);
	if (rc != CMD_EX_IO)
		wait_replies(&L);
	logout_all(&L);
	progress_clear(&L);
	if (L.verbose)
		list_unanswered(&L);
	summarize(&L, &S);
	if (L.json)
		report_json(&L, &S);
	else
		report_text(&L, &S);
	if (write_files(&L, &S) != 0 || fflush(stdout) != 0)
		rc = CMD_EX_IO;
	if (rc == 0 && (S.unanswered > 0 || CNT(&L, F_REJ) > 0 ||
	    L.fills.overfilled > 0))
		rc = CMD_EX_NO;
done:
	explicit_bzero(pw, sizeof(pw));
	cleanup(&L);
	return rc;
}
