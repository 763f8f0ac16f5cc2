/*
 * fixenc -- readable FIX (fixdec's lines, hand-written orders, NDJSON) in,
 * wire FIX out.
 *
 * Each input line is one message: TAG=VALUE fields with any one-byte
 * delimiter ('|' by default, detected per line), field names and enum
 * descriptions where a dictionary knows them, or a JSON object.  The text
 * module turns it into wire form; BodyLength and CheckSum are always
 * computed, never copied.  Header fields can be filled on the way: the
 * sender and target, a MsgSeqNum counting up, SendingTime now.  Bad lines
 * are reported with file, line and column, skipped, and make the exit
 * status 3.
 *
 * Output goes out in 1 MiB writes; it is flushed whenever the input has
 * nothing more ready (so `fixsim | fixenc | fixsession` never waits on a
 * full buffer), and after every message with -u.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fixutil.h"
#include "common.h"

struct opts {
	const char	*begin;		/* -b */
	const char	*sender;	/* -s */
	const char	*target;	/* -t */
	uint64_t	 seq;		/* -S */
	int		 seqset;
	int		 decimals;	/* -T, -1 none */
	int		 fill;		/* -H */
	int		 replace;	/* -r */
	int		 newline;	/* -n */
	int		 unbuffered;	/* -u */
	int		 nodict;	/* -N */
	char		 delim;		/* -d */
	const char	*dictfile;	/* -D */
	const char	*settings;	/* -c */
	const char	*session;	/* -C */
};

/* What a settings file gives; strings owned here. */
struct session {
	char	begin[64];
	char	sender[128];
	char	target[128];
	int	decimals;	/* -1: not set */
};

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixenc [-hHnNru] [-b beginstring] [-c settings [-C session-id]]\n"
"              [-d delim] [-D dictfile] [-s sender] [-t target]\n"
"              [-S seqnum] [-T decimals] [file ...]\n"
"  -b  BeginString for lines without 8= (default FIX.4.4); with -r it\n"
"      replaces the line's own\n"
"  -c  QuickFIX settings file: BeginString, SenderCompID, TargetCompID\n"
"      and TimestampPrecision of a session\n"
"  -C  the session to use, BeginString:Sender->Target (default: the first)\n"
"  -d  input delimiter (one character, or SOH); default: detected per line\n"
"  -D  dictionary file for names and enum descriptions (default: dicts/\n"
"      for the BeginString)\n"
"  -h  this help\n"
"  -H  fill the whole header: sender and target (from -s/-t/-c), MsgSeqNum\n"
"      from -S (default 1), SendingTime with -T decimals (default 3)\n"
"  -n  newline after each message\n"
"  -N  no dictionary: numeric tags only\n"
"  -r  replace header fields the line already has\n"
"  -s  SenderCompID (49)\n"
"  -S  MsgSeqNum (34) of the first message, counting up\n"
"  -t  TargetCompID (56)\n"
"  -T  SendingTime (52) now, with 0, 3, 6 or 9 decimals\n"
"  -u  flush after every message\n"
"Reads files or stdin ('-'); blank lines and lines starting with '#' are\n"
"skipped.  Exit: 0 ok, 2 usage, 3 bad input lines, 5 I/O error.\n");
	exit(status);
}

static void
setstr(char *dst, size_t n, const char *v, const char *file, unsigned ln)
{
	int k = snprintf(dst, n, "%s", v);

	if (k < 0 || (size_t)k >= n)
		errx(CMD_EX_DATA, "%s:%u: value too long", file, ln);
}

/*
 * The session of a QuickFIX settings file that -C names (its id as
 * QuickFIX writes it), or the first one; keys absent from its section come
 * from [DEFAULT].
 */
static void
read_settings(const char *file, const char *id, struct session *out)
{
	static const char *const keys[] = { "BeginString", "SenderCompID",
	    "TargetCompID" };
	struct fixu_cfg *cfg;
	struct fixu_diag d;
	char sid[400], text[300];
	const char *v;
	size_t i, n;
	unsigned ln;
	uint64_t x;

	if (fixu_cfg_load(&cfg, file, &d) < 0) {
		if (d.code == FIXU_EIO || d.code == FIXU_ENOTFOUND)
			errx(CMD_EX_IO, "%s: %s", file,
			    fixu_diag_fmt(&d, text, sizeof(text)));
		errx(CMD_EX_DATA, "%s:%zu: %s", file, d.off,
		    fixu_diag_fmt(&d, text, sizeof(text)));
	}
	n = fixu_cfg_nsessions(cfg);
	for (i = 0; i < n; i++) {
		if (id == NULL)
			break;
		if (fixu_cfg_sessid(cfg, i, sid, sizeof(sid), &d) == 0 &&
		    strcmp(sid, id) == 0)
			break;
	}
	if (i == n)
		errx(CMD_EX_USAGE, "%s: no session %s", file,
		    id ? id : "at all");
	memset(out, 0, sizeof(*out));
	out->decimals = -1;
	if ((v = fixu_cfg_get(cfg, i, keys[0], &ln)) != NULL)
		setstr(out->begin, sizeof(out->begin), v, file, ln);
	if ((v = fixu_cfg_get(cfg, i, keys[1], &ln)) != NULL)
		setstr(out->sender, sizeof(out->sender), v, file, ln);
	if ((v = fixu_cfg_get(cfg, i, keys[2], &ln)) != NULL)
		setstr(out->target, sizeof(out->target), v, file, ln);
	if ((v = fixu_cfg_get(cfg, i, "TimestampPrecision", &ln)) != NULL) {
		if (fixu_parse_u64(v, strlen(v), &x) < 0 || x > 9 ||
		    x % 3 != 0)
			errx(CMD_EX_DATA, "%s:%u: TimestampPrecision must be "
			    "0, 3, 6 or 9", file, ln);
		out->decimals = (int)x;
	}
	fixu_cfg_free(cfg);
}

static char
parse_delim(const char *s)
{
	if (strcmp(s, "SOH") == 0 || strcmp(s, "^A") == 0 ||
	    strcmp(s, "\\001") == 0 || strcmp(s, "\\x01") == 0)
		return FIXU_SOH;
	if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0)
		return '\t';
	if (strlen(s) != 1 || s[0] == '=' || s[0] == '\\' || s[0] == '\n')
		errx(CMD_EX_USAGE, "bad delimiter '%s': use one character, "
		    "SOH or tab", s);
	return s[0];
}

static uint64_t
parse_num(const char *s, const char *what, uint64_t max)
{
	uint64_t v;

	if (fixu_parse_u64(s, strlen(s), &v) < 0 || v > max)
		errx(CMD_EX_USAGE, "bad %s '%s'", what, s);
	return v;
}

struct run {
	struct opts		*o;
	struct fixu_encode	 enc;
	struct cmd_out		 out;
	struct fixu_field	 hdr[4];
	uint64_t		 seq;
	int			 bad;
	char			 seqbuf[24];
	char			 timebuf[40];
};

static void
set_header(struct run *r)
{
	struct opts *o = r->o;
	struct timespec ts;
	uint32_t n = 0;
	int k;

	if (o->sender != NULL)
		r->hdr[n++] = (struct fixu_field){ 49,
		    (uint32_t)strlen(o->sender), o->sender };
	if (o->target != NULL)
		r->hdr[n++] = (struct fixu_field){ 56,
		    (uint32_t)strlen(o->target), o->target };
	if (o->seqset) {
		k = snprintf(r->seqbuf, sizeof(r->seqbuf), "%llu",
		    (unsigned long long)r->seq);
		if (k < 0 || (size_t)k >= sizeof(r->seqbuf))
			errx(CMD_EX_DATA, "MsgSeqNum overflow");
		r->hdr[n++] = (struct fixu_field){ 34, (uint32_t)k,
		    r->seqbuf };
	}
	if (o->decimals >= 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		k = (int)fixu_time_fmt(r->timebuf, &ts, o->decimals);
		r->hdr[n++] = (struct fixu_field){ 52, (uint32_t)k,
		    r->timebuf };
	}
	r->enc.hdr = r->hdr;
	r->enc.nhdr = n;
}

static void
encode_line(struct run *r, struct cmd_in *in, const char *p, size_t n)
{
	struct fixu_diag d;
	struct fixu_str w;
	char msg[300];
	size_t i;

	for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r');
	    i++)
		;
	if (i == n || p[i] == '#')
		return;
	set_header(r);
	fixu_diag_clear(&d);
	if (fixu_text_encode(&r->enc, p, n, &w, &d) < 0) {
		warnx("%s:%lu:%zu: %s", in->name, in->lineno,
		    d.off == SIZE_MAX ? (size_t)1 : d.off + 1,
		    fixu_diag_fmt(&d, msg, sizeof(msg)));
		r->bad = 1;
		return;
	}
	r->seq++;
	if (cmd_out_write(&r->out, w.p, w.n) < 0 ||
	    (r->o->newline && cmd_out_write(&r->out, "\n", 1) < 0) ||
	    (r->o->unbuffered && cmd_out_flush(&r->out) < 0))
		err(CMD_EX_IO, "stdout");
}

static void
encode_file(struct run *r, const char *path)
{
	struct cmd_in in;
	const char *p;
	size_t n;
	int rc;

	if (cmd_in_open(&in, path, FIXU_MAX_LINE) < 0)
		err(CMD_EX_IO, "%s", path);
	in.idle = cmd_out_idle;
	in.idle_arg = &r->out;
	while ((rc = cmd_in_line(&in, &p, &n)) != CMD_EOF) {
		if (rc == CMD_ERR)
			err(CMD_EX_IO, "%s", in.name);
		if (rc == CMD_TOOLONG) {
			warnx("%s:%lu:1: line longer than %u bytes",
			    in.name, in.lineno, FIXU_MAX_LINE);
			r->bad = 1;
			continue;
		}
		encode_line(r, &in, p, n);
		if (r->out.error) {
			errno = r->out.error;
			err(CMD_EX_IO, "stdout");
		}
		if ((in.lineno & 0xfff) == 0)
			cmd_in_progress(&in);
	}
	cmd_in_close(&in);
}

/* Dictionary for names: -D, or dicts/ by each line's BeginString. */
static void
load_dicts(struct opts *o, struct fixu_encode *e, struct fixu_dict **own,
    struct fixu_dicts **set)
{
	struct fixu_diag d;
	char msg[300];

	if (o->nodict)
		return;
	fixu_diag_clear(&d);
	if (o->dictfile != NULL) {
		if (fixu_dict_load(own, o->dictfile, &d) < 0)
			errx(CMD_EX_DATA, "%s:%zu: %s", o->dictfile, d.off,
			    fixu_diag_fmt(&d, msg, sizeof(msg)));
		e->tr = e->app = *own;
		return;
	}
	/* Each line is read with the dictionary of its own BeginString. */
	if (fixu_dicts_new(set, NULL) < 0)
		return;
	e->dicts = *set;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct session sess;
	struct run r;
	struct fixu_dict *own = NULL;
	struct fixu_dicts *set = NULL;
	int ch, i;

	memset(&o, 0, sizeof(o));
	o.decimals = -1;
	while ((ch = getopt(argc, argv, "b:c:C:d:D:hHnNrs:S:t:T:u")) != -1) {
		switch (ch) {
		case 'b':
			if (strlen(optarg) == 0 ||
			    strlen(optarg) > FIXU_MAX_BEGINSTRING)
				errx(CMD_EX_USAGE, "bad BeginString '%s'",
				    optarg);
			o.begin = optarg;
			break;
		case 'c':
			o.settings = optarg;
			break;
		case 'C':
			o.session = optarg;
			break;
		case 'd':
			o.delim = parse_delim(optarg);
			break;
		case 'D':
			o.dictfile = optarg;
			break;
		case 'h':
			usage(0);
		case 'H':
			o.fill = 1;
			break;
		case 'n':
			o.newline = 1;
			break;
		case 'N':
			o.nodict = 1;
			break;
		case 'r':
			o.replace = 1;
			break;
		case 's':
			o.sender = optarg;
			break;
		case 'S':
			o.seq = parse_num(optarg, "sequence number",
			    UINT64_MAX / 2);
			o.seqset = 1;
			break;
		case 't':
			o.target = optarg;
			break;
		case 'T':
			o.decimals = (int)parse_num(optarg, "decimals", 9);
			if (o.decimals % 3 != 0)
				errx(CMD_EX_USAGE, "-T takes 0, 3, 6 or 9");
			break;
		case 'u':
			o.unbuffered = 1;
			break;
		default:
			usage(CMD_EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (o.session != NULL && o.settings == NULL)
		errx(CMD_EX_USAGE, "-C needs -c");
	if (o.dictfile != NULL && o.nodict)
		errx(CMD_EX_USAGE, "-D and -N exclude each other");
	if (o.settings != NULL) {
		read_settings(o.settings, o.session, &sess);
		if (o.begin == NULL && sess.begin[0] != '\0')
			o.begin = sess.begin;
		if (o.sender == NULL && sess.sender[0] != '\0')
			o.sender = sess.sender;
		if (o.target == NULL && sess.target[0] != '\0')
			o.target = sess.target;
		if (o.decimals < 0 && o.fill && sess.decimals >= 0)
			o.decimals = sess.decimals;
	}
	if (o.fill) {
		if (!o.seqset) {
			o.seq = 1;
			o.seqset = 1;
		}
		if (o.decimals < 0)
			o.decimals = 3;
	}

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.seq = o.seq;
	fixu_text_encode_init(&r.enc);
	r.enc.delim = o.delim;
	r.enc.begin = o.begin;
	if (o.replace)
		r.enc.flags |= FIXU_ENC_HDR_REPLACE |
		    (o.begin ? FIXU_ENC_FORCE_BEGIN : 0);
	load_dicts(&o, &r.enc, &own, &set);
	cmd_out_init(&r.out, STDOUT_FILENO, 0);

	if (argc == 0)
		encode_file(&r, "-");
	for (i = 0; i < argc; i++)
		encode_file(&r, argv[i]);
	if (cmd_out_flush(&r.out) < 0)
		err(CMD_EX_IO, "stdout");

	cmd_out_fini(&r.out);
	fixu_text_encode_fini(&r.enc);
	fixu_dict_free(own);
	fixu_dicts_free(set);
	return r.bad ? CMD_EX_DATA : CMD_EX_OK;
}
