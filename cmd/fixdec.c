/*
 * fixdec -- decode FIX from wire streams and log files, one message a line.
 *
 * Input is read in large chunks into one buffer and framed in place with
 * fixu_frame(): a message is found wherever "8=FIX" starts, whatever came
 * before it on its line (a log prefix) and whatever delimiter follows the
 * BeginString.  Each framed message is parsed without copying, filtered,
 * optionally validated against its dictionary, rendered by the text module
 * into an output buffer, and the buffer is written out in large blocks (or
 * at the end of every read when the input is a live stream).  Bytes that
 * are not FIX are skipped, or passed through whole lines at a time with -p.
 * Bad messages are reported with file:line:column and skipped; the run goes
 * on and the exit status tells what happened.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixutil.h"

#define CHUNK		(256u << 10)
#define OUT_FLUSH	(256u << 10)
#define MAX_FILTERS	64

enum exitcode { EX_OK = 0, EX_NEG = 1, EX_USAGE = 2, EX_DATA = 3,
    EX_PROTO = 4, EX_SYS = 5 };

struct tagval {
	uint32_t	 tag;
	const char	*name;	/* tag given as a name, resolved per message */
	const char	*val;
	size_t		 vlen;
};

struct opts {
	int		 mode;		/* FIXU_TEXT_* */
	unsigned	 rflags;
	char		 odelim;
	int		 idelim;	/* 0: detect */
	int		 passthru;
	int		 keep_prefix;
	int		 follow;
	int		 validate;
	int		 linebuf;
	int		 noadmin;
	const char	*incl[MAX_FILTERS];
	int		 nincl;
	const char	*excl[MAX_FILTERS];
	int		 nexcl;
	const char	*sender, *target;
	struct timespec	 after, before;
	int		 has_after, has_before;
	struct tagval	 tv[MAX_FILTERS];
	int		 ntv;
	const char	*applverid;
};

struct stats {
	unsigned long long	msgs, shown, invalid, garbled, bytes;
};

static struct opts	 o;
static struct stats	 st;
static struct fixu_dicts *dicts;
static struct fixu_lenmap lenmap;
static const struct fixu_lenmap *lm;
static struct fixu_msg	 msg;
static struct fixu_render rend;
static struct fixu_buf	 out, conv;
static int		 warned_nodict;
static int		 progress;
static volatile sig_atomic_t stop;

/* Where in the input we are, for diagnostics. */
struct src {
	const char	*name;
	int		 fd;
	int		 live;		/* not a regular file: flush as we go */
	off_t		 size;
	unsigned long long base;	/* input offset of buf[0] */
	unsigned long	 line;		/* line number at buf[lcpos] */
	int		 injunk;	/* junk reported since the last message */
	size_t		 colbase;	/* bytes of buf[0]'s line before it */
	size_t		 lcpos;
	struct fixu_buf	 buf;
};

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixdec [-AfhjlnpPuvVwW] [-a time] [-b time] [-D dict] [-d delim]\n"
"              [-e tag=value] [-M types] [-m types] [-o delim] [-s sender]\n"
"              [-t target] [-X applverid] [file ...]\n"
"Decode FIX messages from files or stdin, one message a line.\n"
"Output (default TAG=VALUE|...):\n"
"  -n         add field and enum names as {Name=VALUE} pseudo-fields\n"
"  -v         verbose: one field a line, groups indented\n"
"  -j         NDJSON with names and nested groups\n"
"  -w         wire form (SOH), one message a line;  -W  without newlines\n"
"  -o delim   output delimiter (default '|')\n"
"  -P         keep each line's log prefix;  -p  pass through non-FIX lines\n"
"  -u         show Password (554) and NewPassword (925) unmasked\n"
"  -l         flush after every message\n"
"Input:\n"
"  -d delim   accept only this delimiter: a character, SOH, ^A, pipe, tab\n"
"  -f         follow: keep reading as the file grows\n"
"  -D dict    QuickFIX XML dictionary to use (repeatable)\n"
"  -X ver     DefaultApplVerID for FIXT.1.1 (e.g. 9 or FIX.5.0SP2)\n"
"Filters (all must match):\n"
"  -m types   only these MsgTypes (codes or names, comma-separated)\n"
"  -M types   not these MsgTypes;  -A  hide administrative messages\n"
"  -s id      SenderCompID;  -t id  TargetCompID\n"
"  -a time    SendingTime at or after;  -b time  SendingTime before\n"
"             (YYYYMMDD-HH:MM:SS[.sss] or YYYYMMDD)\n"
"  -e t=v     field t (number or name) has value v (repeatable)\n"
"Checks:\n"
"  -V         validate against the dictionary; report every problem\n"
"Exit: 0 ok, 1 messages failed validation, 2 usage, 3 bad input, 5 I/O.\n");
	exit(status);
}

static int
parse_delim(const char *s)
{
	if (strcmp(s, "SOH") == 0 || strcmp(s, "soh") == 0 ||
	    strcmp(s, "\\001") == 0 || strcmp(s, "\\x01") == 0 ||
	    strcmp(s, "\001") == 0)
		return FIXU_SOH;
	if (strcmp(s, "^A") == 0)
		return FIXU_DELIM_CARET_A;
	if (strcmp(s, "pipe") == 0)
		return '|';
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0)
		return '\t';
	if (strlen(s) == 1 && s[0] != '=' && s[0] != '\n' &&
	    !(s[0] >= '0' && s[0] <= '9'))
		return (unsigned char)s[0];
	errx(EX_USAGE, "bad delimiter '%s': use one character, SOH, ^A, pipe "
	    "or tab", s);
}

static void
parse_time(const char *s, struct timespec *ts)
{
	char tmp[32];
	size_t n = strlen(s);

	if (n == 8 && strspn(s, "0123456789") == 8) {
		if (snprintf(tmp, sizeof(tmp), "%s-00:00:00", s) >=
		    (int)sizeof(tmp))
			errx(EX_USAGE, "bad time '%s'", s);
		s = tmp;
		n = strlen(s);
	}
	if (fixu_time_parse(s, n, ts) < 0)
		errx(EX_USAGE, "bad time '%s': use YYYYMMDD-HH:MM:SS[.sss] or "
		    "YYYYMMDD", s);
}

static void
add_list(const char **list, int *n, char *arg)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(arg, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_FILTERS)
			errx(EX_USAGE, "more than %d MsgTypes", MAX_FILTERS);
		list[(*n)++] = tok;
	}
}

static void
add_tagval(char *arg)
{
	struct tagval *t;
	char *eq = strchr(arg, '=');
	uint64_t x;

	if (eq == NULL || eq == arg)
		errx(EX_USAGE, "bad filter '%s': use TAG=VALUE", arg);
	if (o.ntv == MAX_FILTERS)
		errx(EX_USAGE, "more than %d -e filters", MAX_FILTERS);
	t = &o.tv[o.ntv++];
	*eq = '\0';
	if (fixu_parse_u64(arg, (size_t)(eq - arg), &x) == 0) {
		if (x == 0 || x > FIXU_MAX_TAG)
			errx(EX_USAGE, "bad tag '%s'", arg);
		t->tag = (uint32_t)x;
	} else
		t->name = arg;
	t->val = eq + 1;
	t->vlen = strlen(eq + 1);
}

static const char *
rfind_nl(const char *p, size_t n)
{
	while (n > 0)
		if (p[--n] == '\n')
			return p + n;
	return NULL;
}

static int
contains(const char *p, size_t n, const char *pat, size_t k)
{
	const char *q;

	while (n >= k && (q = memchr(p, pat[0], n - k + 1)) != NULL) {
		if (memcmp(q, pat, k) == 0)
			return 1;
		n -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	return 0;
}

/* ---- output --------------------------------------------------------------- */

static void
flush_out(void)
{
	size_t off = 0;
	ssize_t w;

	while (off < out.len) {
		w = write(STDOUT_FILENO, out.p + off, out.len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				exit(st.invalid ? EX_NEG : EX_OK);
			err(EX_SYS, "stdout");
		}
		off += (size_t)w;
	}
	out.len = 0;
}

static void
emit(const char *p, size_t n)
{
	if (fixu_buf_append(&out, p, n) < 0) {
		flush_out();
		if (fixu_buf_append(&out, p, n) < 0)
			errx(EX_SYS, "out of memory");
	}
}

static void
show_progress(const struct src *s, size_t pos, int done)
{
	static struct timespec last;
	struct timespec now;
	unsigned long long at = s->base + pos;

	if (!progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!done && now.tv_sec == last.tv_sec &&
	    now.tv_nsec - last.tv_nsec < 300000000L)
		return;
	last = now;
	if (s->size > 0)
		fprintf(stderr, "\rfixdec: %s: %3d%% %llu MB, %llu messages ",
		    s->name, (int)(at * 100 / (unsigned long long)s->size),
		    at >> 20, st.msgs);
	else
		fprintf(stderr, "\rfixdec: %s: %llu MB, %llu messages ",
		    s->name, at >> 20, st.msgs);
	if (done)
		fputs("\r\033[K", stderr);
}

/* ---- locations ------------------------------------------------------------ */

/* Line number of buf[off]; offsets must not go backwards within a buffer. */
static unsigned long
line_at(struct src *s, size_t off)
{
	const char *p = s->buf.p, *q;

	while (s->lcpos < off &&
	    (q = memchr(p + s->lcpos, '\n', off - s->lcpos)) != NULL) {
		s->line++;
		s->lcpos = (size_t)(q - p) + 1;
	}
	if (s->lcpos < off)
		s->lcpos = off;
	return s->line;
}

/* Column (1-based) of buf[off] on its line. */
static size_t
col_at(const struct src *s, size_t off)
{
	size_t i = off;

	while (i > 0 && s->buf.p[i - 1] != '\n')
		i--;
	return off - i + 1 + (i == 0 ? s->colbase : 0);
}

/* Drop the first done bytes of the buffer, keeping line and column. */
static void
advance(struct src *s, size_t done)
{
	const char *q;

	line_at(s, done);
	q = rfind_nl(s->buf.p, done);
	s->colbase = q != NULL ? done - (size_t)(q - s->buf.p) - 1 :
	    s->colbase + done;
	s->base += done;
	fixu_buf_consume(&s->buf, done);
	s->lcpos = 0;
}

static void
report(struct src *s, size_t off, const struct fixu_diag *d, const char *extra)
{
	char text[300];

	flush_out();
	if (progress)
		fputs("\r\033[K", stderr);
	/* A validation issue says what is wrong itself. */
	if (d->code == FIXU_EINVALID && d->msg[0] != '\0')
		(void)snprintf(text, sizeof(text), "%s", d->msg);
	else
		fixu_diag_fmt(d, text, sizeof(text));
	fprintf(stderr, "fixdec: %s:%lu:%zu: %s%s\n", s->name, line_at(s, off),
	    col_at(s, off), text, extra ? extra : "");
}

/* ---- filters ----------------------------------------------------------------- */

static int
val_eq(struct fixu_str v, const char *s)
{
	return v.p != NULL && fixu_str_eq(v, s);
}

static int
type_in(const char **list, int n, struct fixu_str type,
    const struct fixu_dict *app)
{
	const struct fixu_dmsg *dm = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (fixu_str_eq(type, list[i]))
			return 1;
		if (dm == NULL && app != NULL)
			dm = fixu_dict_msg(app, type.p, type.n);
		if (dm != NULL && strcasecmp(fixu_dmsg_name(dm), list[i]) == 0)
			return 1;
	}
	return 0;
}

static int
is_admin(struct fixu_str type, const struct fixu_dict *tr)
{
	const struct fixu_dmsg *dm;

	if (tr != NULL && (dm = fixu_dict_msg(tr, type.p, type.n)) != NULL)
		return fixu_dmsg_is_admin(dm);
	/* Without a dictionary: the session-level MsgTypes of every version. */
	return type.n == 1 && strchr("012345A", type.p[0]) != NULL;
}

static int
time_ok(void)
{
	struct fixu_str v = fixu_msg_get(&msg, 52);
	struct timespec ts;

	if (v.p == NULL || fixu_time_parse(v.p, v.n, &ts) < 0)
		return 0;
	if (o.has_after && (ts.tv_sec < o.after.tv_sec ||
	    (ts.tv_sec == o.after.tv_sec && ts.tv_nsec < o.after.tv_nsec)))
		return 0;
	if (o.has_before && (ts.tv_sec > o.before.tv_sec ||
	    (ts.tv_sec == o.before.tv_sec && ts.tv_nsec >= o.before.tv_nsec)))
		return 0;
	return 1;
}

static int
tagvals_ok(const struct fixu_dict *tr, const struct fixu_dict *app)
{
	const struct fixu_dfield *df;
	uint32_t tag, i;
	int k, hit;

	for (k = 0; k < o.ntv; k++) {
		tag = o.tv[k].tag;
		if (tag == 0) {
			df = app ? fixu_dict_field_byname(app, o.tv[k].name,
			    strlen(o.tv[k].name)) : NULL;
			if (df == NULL && tr != NULL)
				df = fixu_dict_field_byname(tr, o.tv[k].name,
				    strlen(o.tv[k].name));
			if (df == NULL)
				return 0;
			tag = df->tag;
		}
		for (hit = 0, i = 0; i < msg.nf && !hit; i++)
			hit = msg.f[i].tag == tag && msg.f[i].len ==
			    o.tv[k].vlen && memcmp(msg.f[i].val, o.tv[k].val,
			    o.tv[k].vlen) == 0;
		if (!hit)
			return 0;
	}
	return 1;
}

static int
need_dict(void)
{
	int k;

	for (k = 0; k < o.ntv; k++)
		if (o.tv[k].name != NULL)
			return 1;
	return o.mode == FIXU_TEXT_NAMES || o.mode == FIXU_TEXT_VERBOSE ||
	    o.mode == FIXU_TEXT_JSON || o.validate || o.nincl || o.nexcl ||
	    o.noadmin;
}

/* ---- one message -------------------------------------------------------- */

static void
message(struct src *s, size_t start, size_t len, char delim, size_t prefix)
{
	const struct fixu_dict *tr = NULL, *app = NULL;
	struct fixu_diag d, pd, issues[FIXU_MAX_ISSUES];
	struct fixu_str type;
	char extra[64];
	int rc, n = 0, i, bad = 0;

	st.msgs++;
	s->injunk = 0;
	fixu_diag_clear(&pd);
	rc = fixu_msg_parse(&msg, s->buf.p + start, len, delim, lm, 0, &pd);
	if (rc < 0 && rc != FIXU_EBODYLEN && rc != FIXU_ECHECKSUM) {
		st.garbled++;
		report(s, start + (pd.off == (size_t)-1 ? 0 : pd.off), &pd, NULL);
		return;
	}
	if (rc < 0 && !o.validate) {
		/* Without -V a damaged message is bad input: report, skip. */
		st.garbled++;
		report(s, start + pd.off, &pd, NULL);
		return;
	}
	type = fixu_msg_get(&msg, 35);
	if (need_dict() && fixu_dicts_pick(dicts, &msg, o.applverid, &tr,
	    &app, &d) < 0) {
		tr = app = NULL;
		if (!warned_nodict++) {
			char text[300];

			warnx("%s: no dictionary: %s", s->name,
			    fixu_diag_fmt(&d, text, sizeof(text)));
		}
	}
	if (o.nincl && !type_in(o.incl, o.nincl, type, app))
		return;
	if (o.nexcl && type_in(o.excl, o.nexcl, type, app))
		return;
	if (o.noadmin && is_admin(type, tr))
		return;
	if (o.sender && !val_eq(fixu_msg_get(&msg, 49), o.sender))
		return;
	if (o.target && !val_eq(fixu_msg_get(&msg, 56), o.target))
		return;
	if ((o.has_after || o.has_before) && !time_ok())
		return;
	if (o.ntv && !tagvals_ok(tr, app))
		return;

	if (o.validate) {
		if (rc < 0) {
			issues[0] = pd;
			n = 1;
		} else if (tr != NULL)
			(void)fixu_dict_validate(tr, app, &msg, FIXU_V_ALL,
			    issues, FIXU_MAX_ISSUES, &n);
		bad = n > 0;
	}
	if (o.keep_prefix && prefix > 0)
		emit(s->buf.p + start - prefix, prefix);
	rend.tr = tr;
	rend.app = app;
	if (fixu_text_render(&rend, &msg, &out, &d) < 0) {
		flush_out();
		if (fixu_text_render(&rend, &msg, &out, &d) < 0) {
			report(s, start, &d, NULL);
			st.garbled++;
			return;
		}
	}
	st.shown++;
	if (bad) {
		st.invalid++;
		for (i = 0; i < n; i++) {
			extra[0] = '\0';
			if (issues[i].reject >= 0)
				(void)snprintf(extra, sizeof(extra),
				    " (373=%d 371=%u)", issues[i].reject,
				    issues[i].tag);
			report(s, start + (issues[i].off == (size_t)-1 ? 0 :
			    issues[i].off), &issues[i], extra);
		}
	}
	if (o.linebuf || out.len >= OUT_FLUSH)
		flush_out();
}

/* A message delimited with "^A": convert its line to SOH, then decode. */
static size_t
caret_a(struct src *s, size_t start, size_t end, size_t prefix)
{
	struct fixu_frame fr;
	struct fixu_diag d;
	struct src sub;
	int rc;

	conv.len = 0;
	if (fixu_text_caret_a(&conv, s->buf.p + start, end - start) < 0) {
		fixu_diag_set(&d, FIXU_ELIMIT, start, 0, FIXU_REJ_NONE,
		    "line too long");
		report(s, start, &d, NULL);
		return end;
	}
	fixu_diag_clear(&d);
	rc = fixu_frame(conv.p, conv.len, FIXU_FRAME_EOF | FIXU_FRAME_NL, &fr,
	    &d);
	if (rc < 0) {
		st.garbled++;
		report(s, start, &d, NULL);
		return end;
	}
	/* Decode from the converted copy; diagnostics point at the line. */
	sub = *s;
	sub.buf = conv;
	sub.lcpos = 0;
	sub.line = line_at(s, start);
	if (o.keep_prefix && prefix > 0) {
		emit(s->buf.p + start - prefix, prefix);
		prefix = 0;
	}
	message(&sub, fr.start, fr.len, FIXU_SOH, 0);
	conv = sub.buf;
	return end;
}

/*
 * Bytes between messages: log prefixes and other lines are expected, but
 * control bytes mean binary junk or a message that lost its 8=: say so,
 * once per stretch.  With -p, pass the whole lines through.
 */
static void
junk(struct src *s, size_t from, size_t to)
{
	const char *p = s->buf.p;
	struct fixu_diag d;
	unsigned char c;
	size_t i;

	for (i = from; i < to && !s->injunk; i++) {
		c = (unsigned char)p[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			fixu_diag_set(&d, FIXU_EGARBLED, 0, 0, FIXU_REJ_NONE,
			    "skipped bytes that are not FIX (binary data, or a "
			    "message without 8=FIX)");
			report(s, i, &d, NULL);
			st.garbled++;
			s->injunk = 1;
		}
	}
}

static void
gap(struct src *s, size_t from, size_t to, int eof)
{
	const char *p = s->buf.p, *q;
	size_t i = from;

	if (!o.passthru)
		return;
	while (i < to && (q = memchr(p + i, '\n', to - i)) != NULL) {
		emit(p + i, (size_t)(q - p) + 1 - i);
		i = (size_t)(q - p) + 1;
	}
	if (eof && i < to) {
		emit(p + i, to - i);
		emit("\n", 1);
	}
}

/*
 * Decode what the buffer holds; return how many bytes are done with.  The
 * rest (a partial message, or a partial line when passing lines through)
 * stays for the next read.
 */
static size_t
process(struct src *s, int eof)
{
	const char *p = s->buf.p;
	size_t n = s->buf.len, pos = 0, ls, eol, prefix;
	struct fixu_frame fr;
	struct fixu_diag d;
	const char *q;
	int rc, flags = FIXU_FRAME_NL | (eof ? FIXU_FRAME_EOF : 0);

	while (pos < n && !stop) {
		fixu_diag_clear(&d);
		rc = fixu_frame(p + pos, n - pos, flags, &fr, &d);
		ls = pos + fr.start;
		/* The prefix: what stands before 8= on its own line. */
		for (prefix = 0; prefix < fr.start && p[ls - prefix - 1] != '\n';
		    prefix++)
			continue;
		if (rc == FIXU_EAGAIN) {
			if (fr.start == n - pos) {
				/* No start: keep only an unfinished line. */
				q = rfind_nl(p + pos, n - pos);
				eol = q ? (size_t)(q - p) + 1 : pos;
				if (eof || n - eol > FIXU_MAX_LINE / 4)
					eol = n;
				junk(s, pos, eol);
				gap(s, pos, eol, eof);
				return eol;
			}
			gap(s, pos, ls - prefix, 0);
			return ls - prefix;
		}
		junk(s, pos, ls);
		gap(s, pos, ls - prefix, 0);
		if ((rc == 0 && o.idelim != 0 && o.idelim != FIXU_DELIM_CARET_A &&
		    (unsigned char)fr.delim != o.idelim) ||
		    (o.idelim == FIXU_DELIM_CARET_A && fr.delim != '^')) {
			/* Not the delimiter asked for: not a message here. */
			pos = ls + 1;
			continue;
		}
		if (rc == 0 && o.idelim != FIXU_DELIM_CARET_A) {
			message(s, ls, fr.len, fr.delim, prefix);
			pos = ls + fr.len;
			if (fr.final_nl || (pos < n && p[pos] == '\r' &&
			    pos + 1 < n && p[pos + 1] == '\n'))
				pos += p[pos] == '\r' ? 2 : 1;
			else if (pos < n && p[pos] == '\n')
				pos++;
			continue;
		}
		if (fr.delim == '^' || o.idelim == FIXU_DELIM_CARET_A) {
			q = memchr(p + ls, '\n', n - ls);
			if (q == NULL && !eof)
				return ls - prefix;
			eol = q ? (size_t)(q - p) : n;
			if (o.idelim == FIXU_DELIM_CARET_A || (ls + 10 < eol &&
			    contains(p + ls, eol - ls, "^A9=", 4))) {
				pos = caret_a(s, ls, eol, prefix);
				if (pos < n && p[pos] == '\n')
					pos++;
				continue;
			}
		}
		st.msgs++;
		if (o.validate && rc == FIXU_EBODYLEN)
			st.invalid++;
		else
			st.garbled++;
		report(s, pos + (d.off != (size_t)-1 ? d.off : fr.start), &d,
		    NULL);
		pos += fr.skip > fr.start ? fr.skip : fr.start + 1;
	}
	return pos;
}

/* ---- input ------------------------------------------------------------------- */

static int
decode(const char *name)
{
	struct src s;
	struct stat sb;
	ssize_t r;
	size_t done;
	int eof = 0, rc = 0;

	memset(&s, 0, sizeof(s));
	fixu_buf_init(&s.buf, FIXU_MAX_LINE);
	s.line = 1;
	if (strcmp(name, "-") == 0) {
		s.name = "(stdin)";
		s.fd = STDIN_FILENO;
	} else {
		s.name = name;
		if ((s.fd = open(name, O_RDONLY)) < 0) {
			warn("%s", name);
			return EX_SYS;
		}
	}
	if (fstat(s.fd, &sb) == 0 && S_ISREG(sb.st_mode))
		s.size = sb.st_size;
	else
		s.live = 1;
	if (o.follow)
		s.live = 1;
	for (;;) {
		if (fixu_buf_reserve(&s.buf, CHUNK) < 0)
			errx(EX_SYS, "out of memory");
		r = read(s.fd, s.buf.p + s.buf.len, s.buf.cap - s.buf.len);
		if (r < 0) {
			if (errno == EINTR && !stop)
				continue;
			if (!stop) {
				warn("%s", s.name);
				rc = EX_SYS;
			}
			eof = 1;
		} else if (r == 0) {
			if (o.follow && !stop) {
				/* Decode what is complete, then wait for more. */
				done = process(&s, 0);
				advance(&s, done);
				flush_out();
				if (fstat(s.fd, &sb) == 0 && S_ISREG(sb.st_mode)
				    && sb.st_size < (off_t)s.base) {
					warnx("%s: file truncated", s.name);
					(void)lseek(s.fd, 0, SEEK_SET);
					s.base = 0;
					s.buf.len = 0;
					s.line = 1;
					s.colbase = 0;
				}
				usleep(200000);
				continue;
			}
			eof = 1;
		} else {
			s.buf.len += (size_t)r;
			st.bytes += (size_t)r;
		}
		done = process(&s, eof);
		if (eof || stop)
			break;
		advance(&s, done);
		if (s.live)
			flush_out();
		show_progress(&s, 0, 0);
	}
	show_progress(&s, s.buf.len, 1);
	if (s.fd != STDIN_FILENO)
		close(s.fd);
	fixu_buf_fini(&s.buf);
	return rc;
}

static void
onsig(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	struct fixu_diag d;
	struct sigaction sa;
	const char *dictfiles[16];
	int ndict = 0, c, i, rc = 0, r;
	char text[300];

	o.mode = FIXU_TEXT_DEFAULT;
	while ((c = getopt(argc, argv, "Aa:b:D:d:e:fhjlM:m:no:Pps:t:uVvWwX:"))
	    != -1) {
		switch (c) {
		case 'A':
			o.noadmin = 1;
			break;
		case 'a':
			parse_time(optarg, &o.after);
			o.has_after = 1;
			break;
		case 'b':
			parse_time(optarg, &o.before);
			o.has_before = 1;
			break;
		case 'D':
			if (ndict == 16)
				errx(EX_USAGE, "too many -D dictionaries");
			dictfiles[ndict++] = optarg;
			break;
		case 'd':
			o.idelim = parse_delim(optarg);
			break;
		case 'e':
			add_tagval(optarg);
			break;
		case 'f':
			o.follow = 1;
			break;
		case 'h':
			usage(0);
		case 'j':
			o.mode = FIXU_TEXT_JSON;
			break;
		case 'l':
			o.linebuf = 1;
			break;
		case 'M':
			add_list(o.excl, &o.nexcl, optarg);
			break;
		case 'm':
			add_list(o.incl, &o.nincl, optarg);
			break;
		case 'n':
			o.mode = FIXU_TEXT_NAMES;
			break;
		case 'o':
			r = parse_delim(optarg);
			if (r == FIXU_DELIM_CARET_A || r == '\\')
				errx(EX_USAGE, "output delimiter must be one "
				    "character other than '\\'");
			o.odelim = (char)r;
			break;
		case 'P':
			o.keep_prefix = 1;
			break;
		case 'p':
			o.passthru = 1;
			break;
		case 's':
			o.sender = optarg;
			break;
		case 't':
			o.target = optarg;
			break;
		case 'u':
			o.rflags |= FIXU_RENDER_NOMASK;
			break;
		case 'V':
			o.validate = 1;
			break;
		case 'v':
			o.mode = FIXU_TEXT_VERBOSE;
			break;
		case 'W':
			o.mode = FIXU_TEXT_WIRE;
			o.rflags &= ~FIXU_RENDER_NL;
			break;
		case 'w':
			o.mode = FIXU_TEXT_WIRE;
			o.rflags |= FIXU_RENDER_NL;
			break;
		case 'X':
			o.applverid = optarg;
			break;
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;

	if (fixu_dicts_new(&dicts, NULL) < 0)
		errx(EX_SYS, "out of memory");
	fixu_lenmap_init(&lenmap);
	lm = fixu_lenmap_std();
	for (i = 0; i < ndict; i++) {
		struct fixu_dict *dd;
		const struct fixu_lenmap *dl;
		size_t k;

		fixu_diag_clear(&d);
		if (fixu_dict_load(&dd, dictfiles[i], &d) < 0 ||
		    fixu_dicts_add(dicts, dictfiles[i], &d) < 0) {
			if (d.code == FIXU_EIO || d.code == FIXU_ENOTFOUND)
				errx(EX_SYS, "%s", d.msg[0] ? d.msg :
				    fixu_strerror(d.code));
			errx(EX_DATA, "%s:%zu: %s", dictfiles[i], d.off,
			    fixu_diag_fmt(&d, text, sizeof(text)));
		}
		/* Data fields of a user's dictionary join the standard ones. */
		if (lm != &lenmap) {
			dl = fixu_lenmap_std();
			for (k = 0; k < dl->n; k++)
				if (fixu_lenmap_add(&lenmap, dl->len[k],
				    dl->data[k]) < 0)
					errx(EX_SYS, "out of memory");
			lm = &lenmap;
		}
		dl = fixu_dict_lenmap(dd);
		for (k = 0; dl != NULL && k < dl->n; k++)
			if (fixu_lenmap_add(&lenmap, dl->len[k], dl->data[k]) < 0)
				errx(EX_SYS, "out of memory");
		fixu_dict_free(dd);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsig;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fixu_msg_init(&msg);
	fixu_text_render_init(&rend);
	rend.mode = o.mode;
	rend.delim = o.odelim;
	rend.flags = o.rflags;
	fixu_buf_init(&out, FIXU_MAX_LINE + OUT_FLUSH);
	fixu_buf_init(&conv, FIXU_MAX_LINE);
	progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);

	if (argc == 0)
		rc = decode("-");
	for (i = 0; i < argc && !stop; i++)
		if ((r = decode(argv[i])) > rc)
			rc = r;
	flush_out();

	if (o.validate) {
		fprintf(stderr, "fixdec: %llu messages, %llu invalid, %llu "
		    "garbled\n", st.msgs, st.invalid, st.garbled);
	}
	fixu_msg_fini(&msg);
	fixu_text_render_fini(&rend);
	fixu_buf_fini(&out);
	fixu_buf_fini(&conv);
	fixu_lenmap_fini(&lenmap);
	fixu_dicts_free(dicts);
	if (rc != 0)
		return rc;
	if (st.garbled)
		return EX_DATA;
	return st.invalid ? EX_NEG : EX_OK;
}
