/*
 * script.c -- fixsim script: send/expect scripts, and QuickFIX .def files,
 * against an acceptor, with exit statuses for CI.
 *
 *	fixsim script [-Tv] [-D name=value] [-f fields.fmt] [-H host]
 *	    [-p port] [-t seconds] file ...
 *
 * Each file runs on its own, from a fresh state, and passes, fails (a
 * check was not met) or errs (a bad script, a file that cannot be read, a
 * connection that cannot be made).  A file whose name ends in ".def" is a
 * QuickFIX acceptance test and is played by def.c against -H host (default
 * 127.0.0.1) and -p port, with the fields.fmt given by -f, else the one
 * beside the file (or one or two directories up), else the suite's rules
 * built in.  "-" reads a script from the standard input.
 *
 * Options: -D name=value sets a variable before each script starts; -t
 * seconds is the default time an expect waits (10; for .def files the
 * time an E line waits, 20, and at most 10 for eDISCONNECT); -v prints
 * every message sent and received on the standard error, one a line,
 * prefixed with "file:line: >" or "<" ("> (auto)" for what fixsim sends
 * by itself, such as Heartbeats), in the readable form, -vv with field
 * names as fixdec -n writes them; -T writes
 * TAP to the standard output ("1..N", then "ok N - file" or "not ok N -
 * file" with the reasons as "# " lines) instead of the summaries.
 *
 * Output: the reasons a file did not pass go to the standard error, as
 * "fixsim: file:line: what happened" followed by the messages concerned,
 * indented, SOH written as '|'.  Then one summary line per file:
 * "fixsim: FILE: passed (N checks)", "fixsim: FILE: failed" or
 * "fixsim: FILE: error" (a check is an expectation met: each expect,
 * and the answer that logon and logout wait for).  "print" writes to the
 * standard output.
 * Exit status: 0 every file passed, 1 a check failed in some file, 2 an
 * error in some file (or a usage error); 2 wins over 1.
 *
 * THE SCRIPT LANGUAGE
 *
 * One command a line: a word, then its arguments.  Leading blanks are
 * ignored; a line whose first non-blank is '#' is a comment, and blank
 * lines are skipped ('#' elsewhere is text: FIX values may hold it).  The
 * whole file is checked before anything is sent: unknown commands,
 * missing arguments, and the conditions of expect and the time of wait
 * where they hold no variable; such a mistake is an error, exit 2,
 * naming file:line.  A mistake found only when its line runs (an
 * undefined variable, an unknown field name) is an error too.
 *
 * Variables.  "$NAME" and "${NAME}" are replaced anywhere in the
 * arguments of a command, when the command runs (so a value captured by
 * one expect is there for the next line); NAME is letters, digits and
 * '_', not starting with a digit; "$$" is a literal '$', and a '$' not
 * followed by a name or '{' stays as it is.  A variable is looked up in
 * this order: the built-ins below, variables of the script (set, captured,
 * or given with -D), then the environment; an undefined one is an error.
 * In the field lists of send, sendraw, expect and logon, a substituted
 * value is escaped as the readable form needs it ('\' as "\\", '|' as
 * "\|", control bytes as "\xHH"), so that any value, data with SOH in it
 * too, arrives as it was captured.  Built-ins:
 *	${seq}		the MsgSeqNum the next send will use
 *	${now}		UTC time now, YYYYMMDD-HH:MM:SS.sss (SendingTime form)
 *	${now+N}, ${now-N}  the same N seconds later or earlier
 *	${date}		UTC date, YYYYMMDD
 *	${uuid}		a new random UUID at each use
 *	${counter}	1, 2, 3 ... a new number at each use
 *	${begin}, ${sender}, ${target}  as the session command set them
 *	${hbi}		the HeartBtInt of logon (30 unless set)
 *	${timeout}	the default wait of expect, in seconds
 *
 * Fields.  The field list of send, logon and expect is the readable form
 * of fixdec and fixenc: TAG=VALUE separated by '|', as in
 *	35=D|11=${uuid}|55=IBM|54=1|38=100|40=2|44=12.5
 * A tag may be given by its name in the dictionary of the session's
 * version (dicts/ or $FIXUTIL_DICT_PATH), and a value by its enum
 * description; MsgType by the message's name:
 *	MsgType=NewOrderSingle|ClOrdID=A1|Side=BUY|OrdType=MARKET
 * In a value, '\' escapes: "\|" is '|', "\\" '\', "\n", "\r", "\t", and
 * "\xHH" any byte.
 *
 * Commands:
 *
 * session BEGIN SENDER TARGET [APPLVERID]
 *	The header that send fills: BeginString (8), SenderCompID (49) and
 *	TargetCompID (56); for FIXT.1.1 the DefaultApplVerID as a number
 *	(7, 8, 9) or a name (FIX.5.0SP2, the default).  The default
 *	BeginString is FIX.4.4, with no CompIDs.
 *
 * connect [HOST:PORT | PORT] [within SECONDS]
 *	Open a TCP connection as the initiator; without an address, the
 *	one of -H and -p.  An IPv6 address is written [ADDR]:PORT.  A
 *	refused connection is tried again for SECONDS (default 2), since
 *	the acceptor may still be starting; one that cannot be made is an
 *	error (exit 2).  MsgSeqNum starts again at 1 and what was received
 *	on an earlier connection is dropped.
 *
 * disconnect
 *	Close the connection, at once and without a Logout.
 *
 * send FIELDS
 *	Send a message.  The fields go out in the order given, after
 *	BeginString (8) and BodyLength (9), with the header fields the
 *	line lacks inserted right after MsgType (35): SenderCompID (49),
 *	TargetCompID (56), MsgSeqNum (34) and SendingTime (52, now, with
 *	milliseconds from FIX.4.2 on); CheckSum (10) comes last.  A field
 *	the line gives is sent as given, where given: "34=7" sends out of
 *	sequence, "8=FIX.4.2" another BeginString, and 52=${now-300}
 *	right after 35= an old SendingTime (after the body it would be out
 *	of order as well).  A given BodyLength (9) or CheckSum (10) is sent
 *	instead of the right one, for testing how the acceptor treats bad
 *	ones; with a given BodyLength the CheckSum is computed over the
 *	message as sent.  MsgSeqNum counts up by one for each message sent,
 *	from 1 on each connection; after a message with a given MsgSeqNum
 *	N the next one is N+1 unless the count is already past it; "set seq
 *	N" sets it.  A message needs a MsgType.
 *
 * sendraw BYTES
 *	Send exactly these bytes, nothing filled or counted: '|' is SOH,
 *	and the escapes above give the rest ("\|" a '|', "\x01" SOH too,
 *	"\x20" a trailing space).  For garbled messages.  MsgSeqNum does
 *	not count it.
 *
 * expect [any] FIELDS [within SECONDS]
 *	Wait for the next message and check it: every condition must hold,
 *	and fields not named are not looked at.  Conditions:
 *	    TAG=VALUE	the field is there with this value (an enum
 *			description such as OrdStatus=FILLED is turned
 *			into its value)
 *	    TAG!=VALUE	the field is not there with this value
 *	    TAG~=REGEX	the value matches the POSIX extended expression
 *			as a whole (58~=.*[Rr]ejected.*); \d is a digit,
 *			and "\|" the '|' of alternation
 *	    TAG		the field is there, with any value
 *	    !TAG	the field is not there
 *	    TAG=>NAME	the field is there: its value goes into the
 *			variable NAME (37=>orderid, later ${orderid})
 *	A field that repeats (in a repeating group) meets TAG=VALUE and
 *	TAG~=REGEX when one of its occurrences does; TAG!=VALUE when none
 *	does; TAG=>NAME captures the first.  The message must also be
 *	whole: a bad BodyLength or CheckSum, or bytes that are no message,
 *	fail.  With "any", messages that do not match are passed over until
 *	one matches.  The wait is SECONDS (decimals allowed), else
 *	"set timeout", else -t, else 10 s ("within SECONDS" must end the
 *	line); a message that does not match,
 *	no message in time, or a closed connection is a failure (exit 1),
 *	reported with file:line, the conditions and what arrived.
 *
 * expect [any] disconnect [[within] SECONDS]
 *	The acceptor must close the connection within SECONDS (default as
 *	for expect) without sending anything first; with "any", messages
 *	before the close are passed over.
 *
 * expect nothing [[within] SECONDS]
 *	No message may arrive for SECONDS (default 1): for checking that
 *	the acceptor ignores a garbled message.  A close is a failure too.
 *
 * logon [FIELDS]
 *	Send a Logon, 35=A|98=0|108=${hbi}, with ResetSeqNumFlag (141=Y)
 *	when it goes out as MsgSeqNum 1, and DefaultApplVerID (1137) on
 *	FIXT.1.1; FIELDS are added to it and replace those defaults
 *	(553=user|554=secret, 141=N).  Then expect a Logon back: a
 *	Logout instead, a close or silence is a failure.
 *
 * logout [TEXT]
 *	Send a Logout (58=TEXT when given), wait for the acceptor's Logout,
 *	passing over whatever comes first, and close the connection.
 *
 * auto heartbeat on|off
 *	On (the default): answer each TestRequest (35=1) with a Heartbeat
 *	carrying its TestReqID, send a Heartbeat after HeartBtInt seconds
 *	without sending anything while logged on, and let every expect pass
 *	over the Heartbeats and TestRequests that do not meet its
 *	conditions (so "expect 35=0|112=ping" waits for the answer to a
 *	TestRequest of the script's own).  Off: every message is the
 *	script's to expect and answer.
 *
 * set NAME VALUE
 *	Set a variable to the rest of the line, variables replaced.  Some
 *	names are settings: "seq" the next MsgSeqNum, "timeout" the
 *	default wait of expect in seconds, "hbi" the HeartBtInt of logon,
 *	"counter" the last value ${counter} gave.  The other built-ins
 *	cannot be set.
 *
 * wait SECONDS
 *	Let SECONDS pass (decimals allowed).  What arrives meanwhile is
 *	kept for the expects that follow; heartbeats go on as above.
 *
 * print TEXT
 *	Write TEXT, variables replaced, and a newline to standard output.
 *
 * include FILE
 *	Run the commands of FILE here, with the same connection and
 *	variables; a relative name is taken from the directory of the file
 *	that includes it.  Includes nest up to 8 deep.
 *
 * Received messages are kept in arrival order until an expect takes or
 * passes over them; a message nobody expected is no failure.  The script
 * ends after its last line: the connection is closed without a Logout.
 *
 * This file is the mode: its options, a fresh state for each file, the
 * report.  The interpreter and the commands are in scriptcmd.c, the text
 * of the language in scriptlang.c, the receive queue and expect in
 * expect.c; script.h says what they share.
 */
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "fixutil.h"
#include "def.h"
#include "script.h"
#include "sim.h"
#include "util.h"

#define TIMEOUT_MS	10000	/* expect */
#define HBI		30

static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: fixsim script [-hTv] [-D name=value] [-f fields.fmt] "
	    "[-H host] [-p port]\n"
	    "                     [-t seconds] file ...\n");
	exit(status);
}

/* Record why the file does not pass, at the current line. */
void
script_fail(struct script *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_reason(s->diag, s->file, s->line, fmt, ap);
	va_end(ap);
}

/* A message (or bytes) under the reason, indented. */
void
script_fail_show(struct script *s, const char *what, const char *p,
    size_t n)
{
	util_reason_show(s->diag, what, p, n);
}

/* -v: what is sent and received, readably; -vv with names. */
void
script_trace(struct script *s, const char *dir, const char *p, size_t n,
    int bad)
{
	struct fixu_buf b = { 0 };
	const struct fixu_dict *tr, *app;
	struct fixu_diag d;

	if (!s->o->verbose)
		return;
	fixu_buf_printf(&b, "%s:%lu: %s ", s->file, s->line, dir);
	if (!bad && fixu_msg_parse(&s->m, p, n, FIXU_SOH, NULL,
	    FIXU_PARSE_NOCHECK, &d) == 0) {
		s->rnd.mode = FIXU_TEXT_DEFAULT;
		s->rnd.tr = s->rnd.app = NULL;
		if (s->o->verbose > 1 && s->dicts != NULL &&
		    fixu_dicts_pick(s->dicts, &s->m, s->applver, &tr, &app,
		    &d) == 0) {
			s->rnd.mode = FIXU_TEXT_NAMES;
			s->rnd.tr = tr;
			s->rnd.app = app;
		}
		if (fixu_text_render(&s->rnd, &s->m, &b, &d) == 0)
			goto out;
	}
	def_show(&b, p, n);
	fixu_buf_putc(&b, '\n');
out:
	fwrite(b.p, 1, b.len, stderr);
	fixu_buf_fini(&b);
}

/* One script from a fresh state: DEF_PASS, DEF_FAIL or DEF_ERROR. */
static int
script_run(const struct opts *o, struct fixu_dicts *dicts, const char *path,
    struct fixu_buf *diag, unsigned *checks)
{
	struct script s;
	size_t i;
	int rc;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.dicts = dicts;
	s.diag = diag;
	s.file = path;
	(void)util_copy(s.begin, sizeof(s.begin), "FIX.4.4");	/* fits */
	s.applver = "9";
	s.hbi = HBI;
	s.autohb = 1;
	s.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : TIMEOUT_MS;
	s.seq = 1;
	raw_init(&s.c);
	fixu_text_encode_init(&s.enc);
	fixu_text_render_init(&s.rnd);
	fixu_msg_init(&s.m);
	rc = OK;
	for (i = 0; i < o->ndefs && rc == OK; i++)
		if (lang_var_set(&s.vars, &s.nvars, o->defs[i].name,
		    strlen(o->defs[i].name), o->defs[i].val,
		    o->defs[i].n) != 0)
			rc = ERROR;
	if (rc == OK)
		rc = script_run_file(&s, path);
	*checks = s.checks;
	raw_fini(&s.c);
	lang_vars_free(&s.vars, &s.nvars);
	fixu_text_encode_fini(&s.enc);
	fixu_text_render_fini(&s.rnd);
	fixu_msg_fini(&s.m);
	fixu_buf_fini(&s.q);
	free(s.it);
	fixu_buf_fini(&s.args);
	fixu_buf_fini(&s.tmp);
	fixu_buf_fini(&s.wire);
	fixu_buf_fini(&s.val);
	fixu_buf_fini(&s.aux);
	return rc;
}

/* .def files. */

static int
is_def(const char *path)
{
	size_t n = strlen(path);

	return n > 4 && strcmp(path + n - 4, ".def") == 0;
}

static int
def_run(const struct opts *o, struct def_fmt *given_fmt, const char *path,
    struct fixu_buf *diag)
{
	struct def_opts d;
	struct def_fmt *fmt = given_fmt;
	char fp[PATH_MAX];
	int rc;

	memset(&d, 0, sizeof(d));
	d.host = o->host;
	d.port = o->port;
	d.expect_ms = o->timeout_ms;
	d.disc_ms = o->timeout_ms > 0 && o->timeout_ms < 10000 ?
	    o->timeout_ms : 0;
	d.trace = o->verbose ? stderr : NULL;
	if (o->port == NULL) {
		fixu_buf_printf(diag, "%s: a .def file needs -p port\n", path);
		return DEF_ERROR;
	}
	if (fmt == NULL && def_fmt_load(&fmt, def_fmt_find(path, fp,
	    sizeof(fp)) == 0 ? fp : NULL, diag) != 0)
		return DEF_ERROR;
	rc = def_play(&d, fmt, path, diag);
	if (fmt != given_fmt)
		def_fmt_free(fmt);
	return rc;
}

/* Reasons: "# " lines in TAP, else on stderr with the program's name. */
static void
report(const struct opts *o, int k, const char *path, int rc,
    unsigned checks, const struct fixu_buf *diag)
{
	const char *p = diag->p, *nl, *end = diag->p + diag->len;
	static const char *const what[] = { "passed", "failed", "error" };

	if (o->tap)
		printf("%s %d - %s\n", rc == DEF_PASS ? "ok" : "not ok", k,
		    is_def(path) ? def_test_name(path) : path);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (o->tap)
			printf("# %.*s\n", (int)(nl - p), p);
		else if (p[0] == ' ')
			fprintf(stderr, "%.*s\n", (int)(nl - p), p);
		else
			fprintf(stderr, "fixsim: %.*s\n", (int)(nl - p), p);
	}
	if (o->tap)
		return;
	if (rc == DEF_PASS && !is_def(path))
		fprintf(stderr, "fixsim: %s: passed (%u check%s)\n", path,
		    checks, checks == 1 ? "" : "s");
	else
		fprintf(stderr, "fixsim: %s: %s\n", path, what[rc]);
}

static void
add_def(struct opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct var *v;

	if (eq == NULL || !lang_is_name(arg, (size_t)(eq - arg)) ||
	    lang_is_builtin(arg, (size_t)(eq - arg)))
		errx(CMD_EX_USAGE, "-D %s: expected name=value", arg);
	if ((v = realloc(o->defs, (o->ndefs + 1) * sizeof(*v))) == NULL)
		err(CMD_EX_USAGE, "-D");
	o->defs = v;
	v = &o->defs[o->ndefs++];
	v->name = strndup(arg, (size_t)(eq - arg));
	v->val = strdup(eq + 1);
	if (v->name == NULL || v->val == NULL)
		err(CMD_EX_USAGE, "-D");
	v->n = strlen(v->val);
}

int
script_main(int argc, char **argv)
{
	struct opts o;
	struct def_fmt *fmt = NULL;
	struct fixu_dicts *dicts = NULL;
	struct fixu_buf diag = { 0 };
	unsigned checks;
	int ch, i, rc, ex = DEF_PASS;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt(argc, argv, "D:f:hH:p:t:Tv")) != -1) {
		switch (ch) {
		case 'D':
			add_def(&o, optarg);
			break;
		case 'f':
			o.fmt = optarg;
			break;
		case 'h':
			usage(CMD_EX_OK);
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = optarg;
			break;
		case 't':
			if (lang_seconds(optarg, strlen(optarg),
			    &o.timeout_ms) != 0 || o.timeout_ms == 0)
				errx(CMD_EX_USAGE, "-t %s: seconds, more than "
				    "0, up to 86400", optarg);
			break;
		case 'T':
			o.tap = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		default:
			usage(CMD_EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(CMD_EX_USAGE);
	if (o.fmt != NULL && def_fmt_load(&fmt, o.fmt, &diag) != 0) {
		fprintf(stderr, "fixsim: %.*s", (int)diag.len, diag.p);
		fixu_buf_fini(&diag);
		return DEF_ERROR;
	}
	/* Names are a convenience: without dictionaries, numbers work. */
	if (fixu_dicts_new(&dicts, NULL) != 0)
		dicts = NULL;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.tap)
		printf("1..%d\n", argc);
	for (i = 0; i < argc; i++) {
		fixu_buf_reset(&diag);
		checks = 0;
		if (is_def(argv[i]))
			rc = def_run(&o, fmt, argv[i], &diag);
		else
			rc = script_run(&o, dicts, argv[i], &diag, &checks);
		report(&o, i + 1, argv[i], rc, checks, &diag);
		if (rc > ex)
			ex = rc;
	}
	def_fmt_free(fmt);
	fixu_dicts_free(dicts);
	fixu_buf_fini(&diag);
	for (i = 0; i < (int)o.ndefs; i++) {
		free(o.defs[i].name);
		free(o.defs[i].val);
	}
	free(o.defs);
	if (fflush(stdout) == EOF)
		return DEF_ERROR;
	return ex;
}
