/*
 * replay.c -- fixsim replay: send the messages of a log again, with their
 * original pacing scaled by a speed factor.
 *
 * The files are read whole and searched with the codec's framer, so any
 * log works in which each message stands on a line of its own, whatever
 * precedes it: fixdec and fixstore dump output, fixsession -l message
 * logs ("TIME SESSION in|out WIRE"), QuickFIX file logs ("YYYYMMDD-
 * HH:MM:SS.nnn : 8=FIX...").  A message's time is the timestamp that
 * starts its line when there is one, else its SendingTime (52).
 *
 * One direction is replayed: the application messages of one sender,
 * -S or else the SenderCompID that sent the most of them, optionally only
 * some MsgTypes.  Resent copies (PossDupFlag 43=Y of a MsgSeqNum already
 * seen) are left out.  What is sent is the message without the header
 * fields the session writes itself (the sim core drops them anyway, and
 * MsgType goes first): the new session numbers it from its own MsgSeqNum
 * and stamps it with the time of sending.
 *
 * Pacing: message i is due at start + (t_i - t_0) / speed on the
 * monotonic clock, start being the moment of the Logon, so delays do not
 * add up drift; a timestamp going back counts as no gap.  -x 0 sends as
 * fast as the connection takes them.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "sim.h"
#include "util.h"

#define MAX_SENDERS	4096
#define PENDING_HIGH	(4u << 20)	/* unsent bytes before we wait */
#define LOGOUT_WAIT_MS	10000
/* A log: as much as memory holds (util_read_file() adds 64 KiB). */
#define FILE_MAX	(SIZE_MAX - 65536)

struct rmsg {
	int64_t		 t;		/* CLOCK_REALTIME ns; 0: unknown */
	size_t		 off, n;	/* field run in rp.fields */
	uint32_t	 sender;	/* index in rp.snd */
	char		 type[8];
};

struct sender {
	char		 name[65];
	char		 begin[33];
	char		 target[65];
	char		 applverid[16];	/* 1137 of its Logon, if any */
	uint64_t	 count;		/* selectable messages */
	uint64_t	 maxseq;	/* highest MsgSeqNum seen, any type */
};

struct opts {
	const char	*begin, *sender, *target, *from;
	char		**types;
	size_t		 ntypes;
	double		 speed;
	int		 dry, verbose, hbi;
	char		 host[256];
	int		 port;
};

struct rp {
	struct opts	 o;
	struct rmsg	*msg;
	size_t		 nmsg, capmsg;
	struct sender	*snd;
	size_t		 nsnd;
	struct fixu_buf	 fields, file, conv;
	struct fixu_msg	 m;
	uint64_t	 skipped, bad, sent, refused;
	/* Session state, from the hooks. */
	int		 on, ever_on, logout_asked, logout_answered, dropped;
	uint64_t	 rejects;
	int		 progress;
	int64_t		 last_progress;
};

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixsim replay [-hnv] [-b beginstring] [-i heartbtint] [-m types]\n"
"                     [-S sender] [-s sender] [-t target] [-x speed]\n"
"                     host:port file ...\n"
"  -b  BeginString of the session (default: the log's)\n"
"  -h  this help\n"
"  -i  HeartBtInt in seconds (default 30)\n"
"  -m  MsgTypes to send, comma-separated, such as D,F,G (default: every\n"
"      application message); may be repeated\n"
"  -n  dry run: print what would be sent, each after its delay in\n"
"      seconds, and connect to nothing\n"
"  -S  replay the messages whose SenderCompID (49) is this (default: the\n"
"      sender of most application messages)\n"
"  -s  SenderCompID of the session (default: the replayed sender)\n"
"  -t  TargetCompID of the session (default: the log's)\n"
"  -v  print the session's events on stderr\n"
"  -x  speed: 2 replays twice as fast, 0.5 half as fast, 0 without\n"
"      pauses (default 1)\n"
"Reads fixdec, fixstore dump, fixsession -l and QuickFIX logs ('-' is\n"
"stdin).  Exit: 0 all sent and logged out, 2 usage, 3 nothing to replay,\n"
"4 session failure, 5 I/O error.\n");
	exit(status);
}

/* ---- reading the logs ---------------------------------------------------- */

static int
digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/*
 * The timestamp at the start of a log line: "YYYYMMDD-HH:MM:SS[.f...]"
 * (fixsession, QuickFIX) or "YYYY-MM-DD[ T]HH:MM:SS[.f...]".
 */
static int
stamp(const char *p, size_t n, int64_t *ns)
{
	struct timespec ts;
	char t[40];
	size_t i, k;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	if (n >= 19 && p[4] == '-' && p[7] == '-' &&
	    (p[10] == ' ' || p[10] == 'T') && digits(p, 4)) {
		memcpy(t, p, 4);
		memcpy(t + 4, p + 5, 2);
		memcpy(t + 6, p + 8, 2);
		t[8] = '-';
		k = 9;
		i = 11;
	} else if (n >= 17 && p[8] == '-' && digits(p, 8)) {
		k = 0;
		i = 0;
	} else
		return -1;
	for (; i < n && k < sizeof(t) && p[i] != ' ' && p[i] != '\t' &&
	    p[i] != 'Z'; i++)
		t[k++] = p[i];
	if (k == sizeof(t) || fixu_time_parse(t, k, &ts) != 0)
		return -1;
	*ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return 0;
}

static int
is_admin(struct fixu_str t)
{
	return t.n == 1 && strchr("012345A", t.p[0]) != NULL;
}

static int
wanted(const struct rp *r, struct fixu_str t)
{
	size_t i;

	if (r->o.ntypes == 0)
		return !is_admin(t);
	for (i = 0; i < r->o.ntypes; i++)
		if (fixu_str_eq(t, r->o.types[i]))
			/* Of the session's own messages only Reject may go. */
			return !is_admin(t) || fixu_str_eq(t, "3");
	return 0;
}

static struct sender *
sender(struct rp *r, struct fixu_str s, uint32_t *ix)
{
	struct sender *ns;
	size_t i;

	for (i = 0; i < r->nsnd; i++)
		if (fixu_str_eq(s, r->snd[i].name)) {
			*ix = (uint32_t)i;
			return &r->snd[i];
		}
	if (r->nsnd == MAX_SENDERS || s.n >= sizeof(ns->name))
		return NULL;
	if ((ns = realloc(r->snd, (r->nsnd + 1) * sizeof(*ns))) == NULL)
		err(CMD_EX_IO, "replay");
	r->snd = ns;
	ns = &r->snd[r->nsnd];
	memset(ns, 0, sizeof(*ns));
	(void)util_copy_str(ns->name, sizeof(ns->name), s);
	*ix = (uint32_t)r->nsnd++;
	return ns;
}

/* Own header fields: the session writes them, a replay must not. */
static int
own_tag(uint32_t tag)
{
	switch (tag) {
	case 8: case 9: case 10: case 34: case 35: case 43: case 49:
	case 52: case 56: case 97: case 122:
		return 1;
	}
	return 0;
}

static void
keep(struct rp *r, uint32_t six, struct fixu_str ty, int64_t t)
{
	const struct fixu_msg *m = &r->m;
	struct rmsg *x, *nm;
	uint32_t i;
	int rc = 0;

	if (r->nmsg == r->capmsg) {
		r->capmsg = r->capmsg ? r->capmsg * 2 : 1024;
		if ((nm = realloc(r->msg, r->capmsg * sizeof(*nm))) == NULL)
			err(CMD_EX_IO, "replay");
		r->msg = nm;
	}
	x = &r->msg[r->nmsg];
	x->t = t;
	x->sender = six;
	x->off = r->fields.len;
	(void)util_copy_str(x->type, sizeof(x->type), ty);
	rc |= fixu_buf_puts(&r->fields, "35=");
	rc |= fixu_buf_append(&r->fields, ty.p, ty.n);
	rc |= fixu_buf_putc(&r->fields, FIXU_SOH);
	for (i = 0; i < m->nf; i++) {
		if (own_tag(m->f[i].tag))
			continue;
		rc |= fixu_buf_putu(&r->fields, m->f[i].tag);
		rc |= fixu_buf_putc(&r->fields, '=');
		rc |= fixu_buf_append(&r->fields, m->f[i].val, m->f[i].len);
		rc |= fixu_buf_putc(&r->fields, FIXU_SOH);
	}
	if (rc != 0)
		errx(CMD_EX_IO, "replay: out of memory");
	x->n = r->fields.len - x->off;
	r->nmsg++;
}

static void
warn_at(struct rp *r, const char *name, const char *p, size_t off,
    const struct fixu_diag *d)
{
	char buf[256];
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += p[i] == '\n';
	r->bad++;
	warnx("replay: %s:%lu: %s", name, line,
	    fixu_diag_fmt(d, buf, sizeof(buf)));
}

/* One framed message of a log; prefix is what stands before it. */
static void
one(struct rp *r, const char *p, size_t n, char delim, const char *pre,
    size_t npre, const char *name, const char *file, size_t off)
{
	struct fixu_str ty, snd, pd, seqv;
	struct fixu_diag d;
	struct sender *s;
	uint64_t seq = 0;
	uint32_t six;
	int64_t t = 0;
	struct timespec ts;

	if (fixu_msg_parse(&r->m, p, n, delim, NULL, 0, &d) != 0) {
		warn_at(r, name, file, off + (d.off != SIZE_MAX ? d.off : 0),
		    &d);
		return;
	}
	ty = fixu_msg_get(&r->m, 35);
	snd = fixu_msg_get(&r->m, 49);
	seqv = fixu_msg_get(&r->m, 34);
	if (seqv.n > 0)
		(void)fixu_parse_u64(seqv.p, seqv.n, &seq);
	if ((s = sender(r, snd, &six)) == NULL) {
		r->skipped++;
		return;
	}
	if (fixu_str_eq(ty, "A") && fixu_msg_get(&r->m, 1137).n > 0)
		(void)util_copy_str(s->applverid, sizeof(s->applverid),
		    fixu_msg_get(&r->m, 1137));
	pd = fixu_msg_get(&r->m, 43);
	if (pd.n == 1 && pd.p[0] == 'Y' && seq != 0 && seq <= s->maxseq) {
		r->skipped++;		/* a resent copy */
		return;
	}
	if (seq != 0 && (seq > s->maxseq || !(pd.n == 1 && pd.p[0] == 'Y')))
		s->maxseq = seq;	/* lower without 43=Y: a new epoch */
	if (!wanted(r, ty) ||
	    (r->o.from != NULL && !fixu_str_eq(snd, r->o.from))) {
		r->skipped++;
		return;
	}
	if (s->count++ == 0) {
		(void)util_copy_str(s->begin, sizeof(s->begin),
		    fixu_msg_get(&r->m, 8));
		(void)util_copy_str(s->target, sizeof(s->target),
		    fixu_msg_get(&r->m, 56));
	}
	if (npre == 0 || stamp(pre, npre, &t) != 0) {
		struct fixu_str st = fixu_msg_get(&r->m, 52);

		t = 0;
		if (st.n > 0 && fixu_time_parse(st.p, st.n, &ts) == 0)
			t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	keep(r, six, ty, t);
}

/* A line delimited with "^A": convert it, then frame the copy. */
static void
caret_line(struct rp *r, const char *p, size_t ls, size_t eol, size_t pre,
    const char *name)
{
	struct fixu_frame fr;
	struct fixu_diag d;

	fixu_diag_clear(&d);
	r->conv.len = 0;
	if (fixu_text_caret_a(&r->conv, p + ls, eol - ls) != 0 ||
	    fixu_frame(r->conv.p, r->conv.len, FIXU_FRAME_EOF | FIXU_FRAME_NL,
	    &fr, &d) != 0) {
		if (d.code == 0)
			fixu_diag_set(&d, FIXU_ELIMIT, 0, 0, FIXU_REJ_NONE,
			    "line too long");
		warn_at(r, name, p, ls, &d);
		return;
	}
	one(r, r->conv.p + fr.start, fr.len, FIXU_SOH, p + ls - pre, pre,
	    name, p, ls);
}

/* 1 when a line holds "^A9=": a message delimited with caret-A. */
static int
has_caret(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (memcmp(p + i, "^A9=", 4) == 0)
			return 1;
	return 0;
}

static void
scan(struct rp *r, const char *name)
{
	const char *p = r->file.p, *q;
	size_t n = r->file.len, pos = 0, ls, pre, eol;
	struct fixu_frame fr;
	struct fixu_diag d;
	int rc;

	while (pos < n) {
		fixu_diag_clear(&d);
		rc = fixu_frame(p + pos, n - pos, FIXU_FRAME_EOF | FIXU_FRAME_NL,
		    &fr, &d);
		if (rc == FIXU_EAGAIN)
			break;		/* no more messages */
		ls = pos + fr.start;
		for (pre = 0; pre < ls && p[ls - pre - 1] != '\n'; pre++)
			continue;
		if (rc == 0 && fr.delim != '^') {
			one(r, p + ls, fr.len, fr.delim, p + ls - pre, pre,
			    name, p, ls);
			pos = ls + fr.len;
			continue;
		}
		q = memchr(p + ls, '\n', n - ls);
		eol = q != NULL ? (size_t)(q - p) : n;
		if (fr.delim == '^' || (rc != 0 && has_caret(p + ls, eol - ls))) {
			caret_line(r, p, ls, eol, pre, name);
			pos = eol;
			continue;
		}
		warn_at(r, name, p, pos + (d.off != SIZE_MAX ? d.off :
		    fr.start), &d);
		pos += fr.skip > fr.start ? fr.skip : fr.start + 1;
	}
}

/* Keep the messages of the chosen sender only. */
static const struct sender *
choose(struct rp *r)
{
	const struct sender *best = NULL;
	size_t i, j;
	uint32_t six;

	for (i = 0; i < r->nsnd; i++)
		if (r->snd[i].count > 0 &&
		    (best == NULL || r->snd[i].count > best->count))
			best = &r->snd[i];
	if (best == NULL)
		return NULL;
	six = (uint32_t)(best - r->snd);
	for (i = j = 0; i < r->nmsg; i++) {
		if (r->msg[i].sender == six)
			r->msg[j++] = r->msg[i];
		else
			r->skipped++;
	}
	r->nmsg = j;
	return best;
}

/* ---- the session --------------------------------------------------------- */

static void
on_event(void *arg, struct sim_sess *ss, const char *kind, const char *text)
{
	struct rp *r = arg;
	int loud;

	if (strcmp(kind, "logout") == 0 && r->logout_asked &&
	    strncmp(text, "Logout received", 15) == 0)
		r->logout_answered = 1;
	if (strcmp(kind, "reject") == 0 && strstr(text, "received") != NULL)
		r->rejects++;
	loud = strcmp(kind, "reject") == 0 || strcmp(kind, "error") == 0 ||
	    strcmp(kind, "timeout") == 0 || strcmp(kind, "garbled") == 0 ||
	    (strcmp(kind, "connect") == 0 && !r->ever_on &&
	    strstr(text, "connected to") == NULL);
	if (r->o.verbose || loud) {
		if (r->progress)
			fprintf(stderr, "\r\033[K");
		fprintf(stderr, "fixsim replay: %s %s: %s\n", sim_id(ss), kind,
		    text);
	}
}

static void
on_state(void *arg, struct sim_sess *ss, int on)
{
	struct rp *r = arg;

	(void)ss;
	r->on = on;
	if (on)
		r->ever_on = 1;
	else if (!r->logout_asked)
		r->dropped = 1;
}

static void
progress(struct rp *r, int force)
{
	int64_t now;

	if (!r->progress)
		return;
	now = sim_mono();
	if (!force && now - r->last_progress < 200000000)
		return;
	r->last_progress = now;
	fprintf(stderr, "\rfixsim replay: %llu/%zu sent\033[K",
	    (unsigned long long)r->sent, r->nmsg);
}

/* When message i is due, on the monotonic clock. */
static int64_t
due(const struct rp *r, size_t i, int64_t start, int64_t *last)
{
	int64_t t = r->msg[i].t;

	if (t == 0 || t < *last)
		t = *last;
	*last = t;
	if (r->o.speed <= 0 || t == 0 || r->msg[0].t == 0)
		return start;
	return start + (int64_t)((double)(t - r->msg[0].t) / r->o.speed);
}

static int
first_time(const struct rp *r)
{
	size_t i;

	for (i = 0; i < r->nmsg; i++)
		if (r->msg[i].t != 0)
			return (int)i;
	return -1;
}

static void
dry_run(struct rp *r, const char *id)
{
	struct fixu_buf line;
	const struct rmsg *x;
	const char *p, *e, *eq;
	int64_t last = 0, prev = 0, at;
	size_t i;
	int rc = 0;

	fixu_buf_init(&line, SIZE_MAX);
	for (i = 0; i < r->nmsg; i++) {
		x = &r->msg[i];
		at = due(r, i, 0, &last);
		line.len = 0;
		rc |= fixu_buf_printf(&line, "%.3f\t", (double)(at - prev) /
		    1e9);
		prev = at;
		for (p = r->fields.p + x->off, e = p + x->n; p < e; p = eq) {
			eq = memchr(p, '=', (size_t)(e - p));
			rc |= fixu_buf_append(&line, p, (size_t)(eq - p) + 1);
			p = eq + 1;
			eq = memchr(p, FIXU_SOH, (size_t)(e - p));
			rc |= fixu_text_escape(&line, p, (size_t)(eq - p), '|');
			rc |= fixu_buf_putc(&line, '|');
			eq++;
		}
		rc |= fixu_buf_putc(&line, '\n');
		if (rc != 0)
			errx(CMD_EX_IO, "replay: out of memory");
		if (fwrite(line.p, 1, line.len, stdout) != line.len)
			err(CMD_EX_IO, "replay: stdout");
	}
	fixu_buf_fini(&line);
	if (fflush(stdout) != 0)
		err(CMD_EX_IO, "replay: stdout");
	fprintf(stderr, "fixsim replay: %zu would be sent as %s over %.3f s, "
	    "%llu skipped\n", r->nmsg, id, (double)prev / 1e9,
	    (unsigned long long)r->skipped);
}

static int
run(struct rp *r, const struct sim_sess_opts *so)
{
	struct fixu_dicts *dicts = NULL;
	struct sim_hooks h;
	struct sim *sim;
	struct sim_sess *ss;
	struct fixu_diag d;
	char buf[300];
	int64_t start, when, last = 0, end;
	size_t i;
	int rc;

	memset(&h, 0, sizeof(h));
	h.on_event = on_event;
	h.on_state = on_state;
	h.arg = r;
	(void)fixu_dicts_new(&dicts, NULL);
	if (sim_new(&sim, dicts, &h) != 0)
		errx(CMD_EX_IO, "replay: out of memory");
	if (sim_add(sim, so, &ss, &d) != 0)
		errx(d.code == FIXU_EIO ? CMD_EX_IO : CMD_EX_USAGE,
		    "replay: %s", fixu_diag_fmt(&d, buf, sizeof(buf)));
	while (!r->on && !sim_all_down(sim))
		if ((rc = sim_turn(sim, 1000)) != 0)
			errx(CMD_EX_IO, "replay: %s", fixu_strerror(rc));
	r->progress = isatty(STDERR_FILENO);
	start = sim_mono();
	for (i = 0; i < r->nmsg && r->on; i++) {
		when = due(r, i, start, &last);
		while (r->on && sim_mono() < when)
			(void)sim_turn_until(sim, when);
		while (r->on && sim_pending(ss) > PENDING_HIGH)
			(void)sim_turn(sim, 100);
		if (!r->on)
			break;
		rc = sim_send(ss, r->fields.p + r->msg[i].off, r->msg[i].n,
		    &d);
		if (rc == FIXU_EAGAIN)
			break;
		if (rc != 0) {
			r->refused++;
			warnx("replay: message %zu (35=%s) not sent: %s", i + 1,
			    r->msg[i].type, fixu_diag_fmt(&d, buf,
			    sizeof(buf)));
			continue;
		}
		r->sent++;
		progress(r, 0);
		if ((i & 255) == 255)
			(void)sim_turn(sim, 0);
	}
	progress(r, 1);
	if (r->progress)
		fprintf(stderr, "\r\033[K");
	r->logout_asked = 1;
	if (!sim_all_down(sim))
		(void)sim_logout(ss, NULL);
	end = sim_mono() + (int64_t)LOGOUT_WAIT_MS * 1000000;
	while (!sim_all_down(sim) && sim_mono() < end)
		(void)sim_turn_until(sim, end);
	sim_free(sim);
	fixu_dicts_free(dicts);
	return r->ever_on && !r->dropped && r->logout_answered;
}

/* ---- options ------------------------------------------------------------- */

static void
add_types(struct opts *o, char *list)
{
	char **nt, *t, *save = NULL;

	for (t = strtok_r(list, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (*t == '\0' || strlen(t) >= 8) {
			warnx("replay: -m: bad MsgType '%s'", t);
			usage(CMD_EX_USAGE);
		}
		if ((nt = realloc(o->types, (o->ntypes + 1) * sizeof(*nt))) ==
		    NULL)
			err(CMD_EX_IO, "replay");
		o->types = nt;
		o->types[o->ntypes++] = t;
	}
}

static int
getopts(struct opts *o, int argc, char **argv)
{
	char *end;
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->speed = 1;
	while ((c = getopt(argc, argv, "b:hi:m:nS:s:t:vx:")) != -1) {
		switch (c) {
		case 'b':
			o->begin = optarg;
			break;
		case 'h':
			usage(CMD_EX_OK);
		case 'i':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 3600) {
				warnx("replay: -i: not 1 to 3600 seconds: %s",
				    optarg);
				usage(CMD_EX_USAGE);
			}
			o->hbi = (int)v;
			break;
		case 'm':
			add_types(o, optarg);
			break;
		case 'n':
			o->dry = 1;
			break;
		case 'S':
			o->from = optarg;
			break;
		case 's':
			o->sender = optarg;
			break;
		case 't':
			o->target = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'x':
			errno = 0;
			o->speed = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o->speed >= 0) || isinf(o->speed)) {
				warnx("replay: -x: not a speed: %s", optarg);
				usage(CMD_EX_USAGE);
			}
			break;
		default:
			usage(CMD_EX_USAGE);
		}
	}
	if (argc - optind < 2) {
		warnx("replay: HOST:PORT and at least one log file are needed");
		usage(CMD_EX_USAGE);
	}
	if (util_hostport("replay", argv[optind], o->host, sizeof(o->host),
	    &o->port) != 0)
		usage(CMD_EX_USAGE);
	return optind + 1;
}

static void
set(char *dst, size_t cap, const char *v, const char *what)
{
	int k = snprintf(dst, cap, "%s", v);

	if (k < 0 || (size_t)k >= cap)
		errx(CMD_EX_USAGE, "replay: %s too long: %s", what, v);
}

int
replay_main(int argc, char **argv)
{
	struct sim_sess_opts so;
	const struct sender *s;
	struct rp r;
	char id[300];
	int i, ok, rc, status = CMD_EX_OK;

	memset(&r, 0, sizeof(r));
	i = getopts(&r.o, argc, argv);
	fixu_buf_init(&r.fields, SIZE_MAX);
	fixu_buf_init(&r.file, SIZE_MAX);
	fixu_buf_init(&r.conv, FIXU_MAX_LINE);
	fixu_msg_init(&r.m);
	for (; i < argc; i++) {
		fixu_buf_reset(&r.file);
		rc = util_read_file(argv[i], FILE_MAX, &r.file);
		if (rc == -2)
			errx(CMD_EX_IO, "replay: %s: too large to hold in "
			    "memory", argv[i]);
		if (rc != 0)
			err(CMD_EX_IO, "replay: %s", argv[i]);
		scan(&r, strcmp(argv[i], "-") == 0 ? "<stdin>" : argv[i]);
	}
	if ((s = choose(&r)) == NULL)
		errx(CMD_EX_DATA, "replay: no application messages to send%s%s",
		    r.o.from ? " from " : "", r.o.from ? r.o.from : "");
	if (first_time(&r) > 0) {
		/* Untimed messages before the first timed one: no gap. */
		r.msg[0].t = r.msg[first_time(&r)].t;
	}
	memset(&so, 0, sizeof(so));
	set(so.host, sizeof(so.host), r.o.host, "host");
	so.port = r.o.port;
	set(so.sid.begin, sizeof(so.sid.begin), r.o.begin ? r.o.begin :
	    s->begin, "BeginString");
	set(so.sid.sender, sizeof(so.sid.sender), r.o.sender ? r.o.sender :
	    s->name, "SenderCompID");
	set(so.sid.target, sizeof(so.sid.target), r.o.target ? r.o.target :
	    s->target, "TargetCompID");
	if (so.sid.begin[0] == '\0' || so.sid.sender[0] == '\0' ||
	    so.sid.target[0] == '\0')
		errx(CMD_EX_USAGE, "replay: the log does not say the session's "
		    "BeginString, SenderCompID and TargetCompID: give -b, -s "
		    "and -t");
	so.hbi = r.o.hbi;
	so.default_applverid = s->applverid[0] ? s->applverid : NULL;
	fixu_sessid_fmt(&so.sid, id, sizeof(id));
	if (r.o.dry)
		dry_run(&r, id);
	else {
		ok = run(&r, &so);
		fprintf(stderr, "fixsim replay: %llu sent, %llu skipped",
		    (unsigned long long)r.sent, (unsigned long long)r.skipped);
		if (r.sent + r.refused < r.nmsg)
			fprintf(stderr, ", %llu not sent",
			    (unsigned long long)(r.nmsg - r.sent - r.refused));
		if (r.refused > 0)
			fprintf(stderr, ", %llu refused",
			    (unsigned long long)r.refused);
		if (r.rejects > 0)
			fprintf(stderr, ", %llu rejected by the peer",
			    (unsigned long long)r.rejects);
		if (r.bad > 0)
			fprintf(stderr, ", %llu unreadable",
			    (unsigned long long)r.bad);
		fprintf(stderr, "%s\n", !r.ever_on ? " (no logon)" :
		    r.dropped ? " (session lost)" : !ok ?
		    " (logout not answered)" : "");
		if (!ok || r.sent < r.nmsg)
			status = CMD_EX_PROTO;
	}
	free(r.msg);
	free(r.snd);
	free(r.o.types);
	fixu_buf_fini(&r.fields);
	fixu_buf_fini(&r.file);
	fixu_buf_fini(&r.conv);
	fixu_msg_fini(&r.m);
	return status;
}
