/*
 * console.c -- fixsim console: one FIX session for a person at a terminal.
 *
 * The session runs in the core's poll loop (sim.c); the terminal is one
 * more descriptor that loop watches, fed to readline's callback interface
 * a byte at a time, so heartbeats and arrivals go on while a line is being
 * typed.  What arrives is printed above the line being edited, which
 * readline then draws again.  A line is a command (help, show, logon,
 * logout, sleep, quit), an order in short syntax (buy, sell, cancel,
 * replace) or a message by fields: anything fixenc reads, plus a leading
 * message name and fields separated by blanks.  The text encoder turns it
 * into wire form with the dictionary for field names and enum
 * descriptions, and the session numbers it and sends it.
 *
 * Tab completion comes from the same dictionary (complete.c).
 *
 * When the standard input is not a terminal its lines are a script: read
 * once the Logon is answered, in order; at the end of the input the console
 * waits (at most -w seconds) until every order sent has an answer, logs out,
 * waits at most 2 s for the Logout answer and exits.
 *
 * This file is the mode: options, the loop, the terminal and the script,
 * the commands and the session's hooks.  Lines become messages and
 * messages lines in conmsg.c, the short order syntax is order.c's;
 * console.h says what they share.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <readline/readline.h>
#include <readline/history.h>

#include "common.h"
#include "fixutil.h"
#include "complete.h"
#include "console.h"
#include "sim.h"
#include "util.h"

#define IN_MAX		(64u << 10)	/* longest script line */
#define LOGOUT_MS	2000		/* wait for the Logout answer */
#define HIST_MAX	1000

/* For readline's callbacks, which take no argument. */
static struct con *C;
static volatile sig_atomic_t got_int, got_term, got_winch;

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: fixsim console [-hqv] [-b begin] [-s sender] [-t target]\n"
"                      [-H heartbtint] [-u username] [-P passfile]\n"
"                      [-A applverid] [-D dictpath] [-c idprefix]\n"
"                      [-w seconds] [-I inject] [-R injectrate] host:port\n"
"  -b V      BeginString (FIX.4.4); -A V DefaultApplVerID for FIXT.1.1\n"
"  -s ID     SenderCompID (CLIENT1); -t ID TargetCompID (EXECUTOR)\n"
"  -H S      HeartBtInt (30); -u NAME Username; -P FILE Password's file\n"
"  -D PATH   directories of the dictionaries (FIXUTIL_DICT_PATH)\n"
"  -c P      ClOrdIDs P1, P2, ... (a prefix from the time of day)\n"
"  -w S      piped input: wait S seconds for answers at the end (5)\n"
"  -v        show heartbeats and whole messages; -q no session events\n"
"  -I LIST   inject gap,checksum,garble,stale,heartbeat; -R P rate (0.01)\n"
"Type 'help' at the prompt for the commands.  With piped input the lines\n"
"are run in order once logged on.  Exit: 0 logged out, 2 usage, 3 a bad\n"
"line in piped input, 4 the session failed, 5 I/O error.\n");
	exit(status);
}

static double
num(const char *s, double lo, double hi, int opt)
{
	double v;

	if (util_opt_num("console", opt, s, lo, hi, &v) != 0)
		usage(CMD_EX_USAGE);
	return v;
}

/* ---- output ------------------------------------------------------------- */

/*
 * One line to f.  While readline shows a prompt, the line being edited is
 * taken off the screen first and drawn again after.
 */
void
con_emit(struct con *c, FILE *f, const char *s, size_t n, int dim)
{
	int redraw = c->rl_on && !c->in_handler;
	int color = f == stdout ? c->color_out : c->color_err;

	if (redraw)
		rl_clear_visible_line();
	if (f == stderr)
		fflush(stdout);
	if (dim && color)
		fputs("\033[2m", f);
	fwrite(s, 1, n, f);
	if (dim && color)
		fputs("\033[0m", f);
	fputc('\n', f);
	fflush(f);
	if (redraw) {
		rl_on_new_line();
		rl_redisplay();
	}
}

static void	say(struct con *, FILE *, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(struct con *c, FILE *f, int dim, const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = util_vfmt(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (r >= 0)
		con_emit(c, f, b, (size_t)r, dim);
}

/*
 * About the line being run: one line, with the script's line number when
 * there is one.  A problem (bad = 1) makes the exit status 3 in a script.
 */
static void	tell(struct con *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
tell(struct con *c, int bad, const char *fmt, va_list ap)
{
	char b[768];

	if (util_vfmt(b, sizeof(b), fmt, ap) < 0)
		return;
	if (c->interactive)
		say(c, stderr, 0, "! %s%s", bad ? "" : "warning: ", b);
	else
		say(c, stderr, 0, "fixsim: console: <stdin>:%lu: %s%s",
		    c->lineno, bad ? "" : "warning: ", b);
	c->bad += bad && !c->interactive;
}

void
con_oops(struct con *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tell(c, 1, fmt, ap);
	va_end(ap);
}

void
con_note(struct con *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tell(c, 0, fmt, ap);
	va_end(ap);
}

static void
set_prompt(struct con *c)
{
	static const char *st[] = { "logging on", "", "logging out",
	    "logged out" };
	int r;

	r = snprintf(c->prompt, sizeof(c->prompt), "%s->%s%s%s%s> ",
	    c->so.sid.sender, c->so.sid.target, c->state == C_ON ? "" : " (",
	    st[c->state], c->state == C_ON ? "" : ")");
	if (r < 0 || (size_t)r >= sizeof(c->prompt))
		(void)util_copy(c->prompt, sizeof(c->prompt), "fixsim> ");
	if (c->rl_on)
		rl_set_prompt(c->prompt);
}

/* ---- commands ----------------------------------------------------------- */

/* The blank-separated words of s, which is cut up. */
static void
split(char *s, struct words *ws)
{
	char *save = NULL, *t;

	ws->n = 0;
	ws->over = 0;
	for (t = strtok_r(s, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		if (ws->n == WORDS_MAX) {
			ws->over = 1;
			break;
		}
		ws->w[ws->n++] = t;
	}
}

static void
cmd_help(struct con *c)
{
	static const char *h[] = {
"Messages by fields (names or tags, enum values by name or value):",
"  NewOrderSingle ClOrdID=X Symbol=IBM Side=BUY OrderQty=100 OrdType=LIMIT "
    "Price=10.5",
"  35=D 11=X 55=IBM 54=1 38=100 40=2 44=10.5     or  35=D|11=X|55=IBM|...",
"  A word without '=' continues the value before it; TransactTime=now.",
"Orders (ClOrdIDs are made up and shown):",
"  buy 100 IBM @ 10.5       sell 50 MSFT mkt       buy 10 IBM @ 9 Account=A1",
"  cancel ID                replace ID qty 200 px 11",
"Session:",
"  show        session state and sequence numbers",
"  history     the lines typed (readline's history: arrows, Ctrl-R)",
"  logout [TEXT], logon     log out and stay; log on again",
"  sleep S     wait S seconds before the next line (piped input)",
"  quit        log out and leave (also Ctrl-D)",
"Tab completes message names, field names and enum values; history is "
    "kept",
"in $FIXSIM_HISTORY or ~/.fixsim_history.",
	NULL };
	size_t i;

	for (i = 0; h[i] != NULL; i++)
		say(c, stdout, 0, "%s", h[i]);
}

static void
cmd_show(struct con *c)
{
	static const char *st[] = { "logging on", "logged on", "logging out",
	    "logged out" };
	int why = c->state == C_DOWN && !c->asked_out && c->why[0];

	say(c, stdout, 0, "session %s to %s:%d: %s%s%s", sim_id(c->ss),
	    c->so.host, c->so.port, st[c->state], why ? ": " : "",
	    why ? c->why : "");
	say(c, stdout, 0, "received: last MsgSeqNum %llu, next expected "
	    "%llu", (unsigned long long)c->last_in,
	    (unsigned long long)c->last_in + 1);
	say(c, stdout, 0, "sent: last application MsgSeqNum %llu",
	    (unsigned long long)sim_last_seq(c->ss));
	say(c, stdout, 0, "orders %zu, awaiting answers %zu, HeartBtInt "
	    "%d, dictionary %s", c->nord, c->npend, c->so.hbi,
	    c->app != NULL ? fixu_dict_path(c->app) : "none");
}

static void
cmd_history(struct con *c)
{
	HIST_ENTRY *h;
	int i;

	for (i = 0; i < history_length; i++)
		if ((h = history_get(history_base + i)) != NULL)
			say(c, stdout, 0, "%5d  %s", history_base + i,
			    h->line);
}

static void
logon(struct con *c)
{
	struct fixu_diag d;

	if (c->state != C_DOWN) {
		con_oops(c, "already %s", c->state == C_ON ? "logged on" :
		    "logging on or out");
		return;
	}
	if (sim_add(c->sim, &c->so, &c->ss, &d) != 0) {
		con_oops(c, "%s", d.msg[0] ? d.msg : fixu_strerror(d.code));
		return;
	}
	c->state = C_CONNECTING;
	c->asked_out = 0;
	c->why[0] = '\0';
	c->last_in = 0;
	set_prompt(c);
}

static void
logout(struct con *c, const char *text)
{
	if (c->state == C_DOWN)
		return;
	c->asked_out = 1;
	if (c->state == C_CONNECTING) {
		(void)sim_logout(c->ss, NULL);
		c->state = C_DOWN;
	} else if (c->state == C_ON) {
		(void)sim_logout(c->ss, text);
		c->state = C_LOGGING_OUT;
	}
	set_prompt(c);
}

static void
quit(struct con *c)
{
	if (c->quitting)
		return;
	c->quitting = 1;
	c->quit_by = sim_mono() + (int64_t)LOGOUT_MS * 1000000;
	logout(c, NULL);
}

/* One line from the person or the script. */
static void
command(struct con *c, char *l)
{
	struct words ws;
	char *s, *e, cp[IN_MAX];
	size_t n;

	for (s = l; util_is_blank(*s); s++)
		;
	for (e = s + strlen(s); e > s && (util_is_blank(e[-1]) ||
	    e[-1] == '\r' || e[-1] == '\n'); e--)
		;
	*e = '\0';
	if (*s == '\0' || *s == '#')
		return;
	n = (size_t)(e - s);
	if (n >= sizeof(cp)) {
		con_oops(c, "line longer than %zu bytes", sizeof(cp) - 1);
		return;
	}
	memcpy(cp, s, n + 1);
	split(cp, &ws);
	if (strcmp(ws.w[0], "help") == 0 || strcmp(ws.w[0], "?") == 0)
		cmd_help(c);
	else if (strcmp(ws.w[0], "show") == 0)
		cmd_show(c);
	else if (strcmp(ws.w[0], "history") == 0)
		cmd_history(c);
	else if (strcmp(ws.w[0], "quit") == 0 || strcmp(ws.w[0], "exit") == 0)
		quit(c);
	else if (strcmp(ws.w[0], "logout") == 0) {
		if (c->state != C_ON)
			con_oops(c, "not logged on");
		else
			logout(c, ws.n > 1 ? s + (ws.w[1] - cp) : NULL);
	} else if (strcmp(ws.w[0], "logon") == 0)
		logon(c);
	else if (strcmp(ws.w[0], "sleep") == 0) {
		char *end;
		double v = ws.n == 2 ? strtod(ws.w[1], &end) : -1;

		if (ws.n != 2 || *end != '\0' || !(v >= 0 && v <= 3600))
			con_oops(c, "usage: sleep SECONDS (0 to 3600)");
		else if (!c->interactive)
			c->sleep_until = sim_mono() + (int64_t)(v * 1e9);
	} else if (strcmp(ws.w[0], "buy") == 0 || strcmp(ws.w[0], "sell") == 0)
		(void)order_new(c, &ws);
	else if (strcmp(ws.w[0], "cancel") == 0 ||
	    strcmp(ws.w[0], "replace") == 0)
		(void)order_amend(c, &ws);
	else if (memchr(s, FIXU_SOH, n) != NULL || s[0] == '{')
		(void)conmsg_send(c, s, n);	/* wire form or JSON */
	else if (conmsg_fields_line(c, s, n) == 0)
		(void)conmsg_send(c, c->line.p, c->line.len);
}

/* ---- the session's hooks ------------------------------------------------ */

/* A Logout's Text as the reason, without bytes a terminal would obey. */
static void
why(struct con *c, struct fixu_str t)
{
	size_t i, n = t.n < sizeof(c->why) - 1 ? t.n : sizeof(c->why) - 1;

	for (i = 0; i < n; i++)
		c->why[i] = (unsigned char)t.p[i] < 0x20 || t.p[i] == 0x7f ?
		    ' ' : t.p[i];
	c->why[n] = '\0';
}

static void
on_msg(void *arg, struct sim_sess *ss, int dir, const char *raw, size_t n)
{
	struct con *c = arg;
	struct fixu_str sq;
	uint64_t seq = 0;

	if (ss != c->ss || dir != FIXU_DIR_IN)
		return;
	if (fixu_msg_parse(&c->vm, raw, n, FIXU_SOH, NULL, FIXU_PARSE_NOCHECK,
	    NULL) != 0) {
		say(c, stdout, 0, "< unreadable message of %zu bytes", n);
		return;
	}
	if ((sq = fixu_msg_get(&c->vm, 34)).p != NULL &&
	    fixu_parse_u64(sq.p, sq.n, &seq) == 0)
		c->last_in = seq;
	if (fixu_str_eq(fixu_msg_get(&c->vm, 35), "5") &&
	    (sq = fixu_msg_get(&c->vm, 58)).p != NULL)
		why(c, sq);
	conmsg_show(c, 1, &c->vm, seq);
	order_track_in(c, &c->vm);
}

static void
on_event(void *arg, struct sim_sess *ss, const char *kind, const char *text)
{
	struct con *c = arg;
	int err = strcmp(kind, "error") == 0 || strcmp(kind, "garbled") == 0 ||
	    strcmp(kind, "timeout") == 0;

	if (ss != c->ss)
		return;
	/* The first reason is the one to tell; a Logout's Text wins. */
	if (c->why[0] == '\0' && ((strcmp(kind, "connect") == 0 &&
	    strncmp(text, "connected", 9) != 0) ||
	    strcmp(kind, "disconnect") == 0 || strcmp(kind, "timeout") == 0))
		(void)util_fmt(c->why, sizeof(c->why), "%s", text);
	if (c->quiet && !err)
		return;
	say(c, stderr, !err, "%s %s: %s", err ? "!" : "*", kind, text);
}

static void
on_state(void *arg, struct sim_sess *ss, int on)
{
	struct con *c = arg;

	if (ss != c->ss)
		return;
	c->state = on ? C_ON : C_DOWN;
	if (!on && !c->asked_out)
		say(c, stderr, 0, "%slogged out by the counterparty%s%s",
		    c->interactive ? "! " : "fixsim: console: ",
		    c->why[0] ? ": " : "", c->why);
	set_prompt(c);
}

/* After each turn: a session that went down without a Logon or Logout. */
static void
check_down(struct con *c)
{
	if (c->state == C_DOWN || !sim_all_down(c->sim))
		return;
	c->state = C_DOWN;
	if (!c->asked_out)
		say(c, stderr, 0, "%ssession down%s%s",
		    c->interactive ? "! " : "fixsim: console: ",
		    c->why[0] ? ": " : "", c->why);
	set_prompt(c);
}

/* ---- input -------------------------------------------------------------- */

static void
on_line(char *l)
{
	struct con *c = C;

	if (l == NULL) {		/* Ctrl-D */
		c->in_handler = 1;
		con_emit(c, stdout, "", 0, 0);
		quit(c);
		c->in_handler = 0;
		return;
	}
	if (*l != '\0') {
		HIST_ENTRY *h = history_length > 0 ?
		    history_get(history_base + history_length - 1) : NULL;

		if (h == NULL || strcmp(h->line, l) != 0)
			add_history(l);
	}
	c->in_handler = 1;
	command(c, l);
	c->in_handler = 0;
	free(l);
}

static void
on_tty(void *arg, int fd)
{
	(void)arg;
	(void)fd;
	rl_callback_read_char();
}

static void
on_pipe(void *arg, int fd)
{
	struct con *c = arg;
	ssize_t r;

	if (fixu_buf_reserve(&c->in, 16384) != 0)
		return;		/* full: pipe_watch() stops watching */
	r = read(fd, c->in.p + c->in.len, c->in.cap - c->in.len);
	if (r == 0)
		c->in_eof = 1;
	else if (r < 0 && errno != EAGAIN && errno != EINTR)
		err(CMD_EX_IO, "console: <stdin>");
	else if (r > 0)
		c->in.len += (size_t)r;
}

/* Run the script's complete lines while the session can take them. */
static void
pump(struct con *c)
{
	char *nl, l[IN_MAX + 1];
	size_t n;

	while (!c->quitting && (c->state == C_ON || (c->state == C_DOWN &&
	    c->asked_out)) && sim_mono() >= c->sleep_until) {
		nl = memchr(c->in.p, '\n', c->in.len);
		n = nl != NULL ? (size_t)(nl - c->in.p) : c->in.len;
		if (nl == NULL && n <= IN_MAX && !(c->in_eof && n > 0))
			return;
		if (c->skipping)
			c->skipping = nl == NULL;
		else if (n > IN_MAX) {
			/* Dropped up to its newline, however far that is. */
			c->lineno++;
			con_oops(c, "line longer than %u bytes", IN_MAX);
			c->skipping = nl == NULL;
		} else {
			c->lineno++;
			memcpy(l, c->in.p, n);
			l[n] = '\0';
			command(c, l);
		}
		fixu_buf_consume(&c->in, nl != NULL ? n + 1 : n);
	}
}

/* Watch the script only while there is room for more of it. */
static void
pipe_watch(struct con *c)
{
	int want = !c->in_eof && c->in.len < IN_MAX;

	if (want && !c->watching && sim_watch(c->sim, 0, on_pipe, c) != 0)
		errx(CMD_EX_IO, "console: out of memory");
	if (!want && c->watching)
		sim_unwatch(c->sim, 0);
	c->watching = want;
}

/* ---- signals and the terminal ------------------------------------------- */

static void
on_signal(int sig)
{
	if (sig == SIGINT)
		got_int = 1;
	else if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_term = 1;
}

static void
signals(void)
{
	util_catch(SIGINT, on_signal);
	util_catch(SIGTERM, on_signal);
	util_catch(SIGHUP, on_signal);
	util_catch(SIGWINCH, on_signal);
}

static void
handle_signals(struct con *c)
{
	if (got_winch) {
		got_winch = 0;
		if (c->rl_on)
			rl_resize_terminal();
	}
	if (got_int) {
		got_int = 0;
		if (c->rl_on) {
			/* Ctrl-C drops the line being typed, as in a shell. */
			rl_replace_line("", 0);
			rl_callback_sigcleanup();
			rl_free_line_state();
			c->in_handler = 0;
			fputs("^C\n", rl_outstream);
			rl_on_new_line();
			rl_redisplay();
		} else if (c->quitting)
			got_term = 1;
		else
			quit(c);
	}
	if (got_term) {
		if (c->quitting && c->state != C_LOGGING_OUT)
			c->quit_by = 0;
		got_term = 0;
		quit(c);
	}
}

static struct cands rlc;
static size_t rli;

static char *
rl_gen(const char *text, int state)
{
	(void)text;
	if (state == 0)
		rli = 0;
	return rli < rlc.n ? strdup(rlc.v[rli++]) : NULL;
}

static char **
complete_rl(const char *text, int start, int end)
{
	(void)start;
	rl_attempted_completion_over = 1;
	complete_line(C, rl_line_buffer, (size_t)end, &rlc);
	if (rlc.noappend)
		rl_completion_suppress_append = 1;
	return rl_completion_matches(text, rl_gen);
}

static const char *
hist_path(char *b, size_t size)
{
	const char *p = getenv("FIXSIM_HISTORY"), *home = getenv("HOME");
	int r;

	if (p != NULL && *p != '\0')
		return p;
	if (home == NULL || *home == '\0')
		return NULL;
	r = snprintf(b, size, "%s/.fixsim_history", home);
	return r < 0 || (size_t)r >= size ? NULL : b;
}

static void
tty_start(struct con *c, char *hb, size_t hsize)
{
	const char *hp = hist_path(hb, hsize);

	rl_readline_name = "fixsim";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	if (!isatty(STDOUT_FILENO))
		rl_outstream = stderr;
	rl_attempted_completion_function = complete_rl;
	rl_completer_word_break_characters = " \t|=";
	(void)rl_variable_bind("completion-ignore-case", "on");
	stifle_history(HIST_MAX);
	if (hp != NULL)
		(void)read_history(hp);
	set_prompt(c);
	rl_callback_handler_install(c->prompt, on_line);
	c->rl_on = 1;
	set_prompt(c);
	if (sim_watch(c->sim, STDIN_FILENO, on_tty, c) != 0)
		errx(CMD_EX_IO, "console: out of memory");
	if (!c->quiet)
		say(c, stderr, 1, "* connecting to %s:%d as %s->%s; type "
		    "help for the commands", c->so.host, c->so.port,
		    c->so.sid.sender, c->so.sid.target);
}

static void
tty_stop(struct con *c, const char *hp)
{
	if (!c->rl_on)
		return;
	rl_clear_visible_line();
	rl_callback_handler_remove();
	c->rl_on = 0;
	if (hp != NULL && write_history(hp) == 0)
		(void)history_truncate_file(hp, HIST_MAX);
}

/* ---- options ------------------------------------------------------------ */

static unsigned
parse_inject(char *s)
{
	unsigned bits;

	if (util_inject("console", s, &bits) != 0)
		usage(CMD_EX_USAGE);
	return bits;
}

static void
compid(const char *opt, const char *v, char *dst, size_t size)
{
	if (*v == '\0' || strpbrk(v, "|=\001 \t") != NULL ||
	    util_copy(dst, size, v) != 0)
		errx(CMD_EX_USAGE, "console: %s: bad CompID '%s'", opt, v);
}

/* The hidden "--complete LINE" (for tests and shell completion) is taken
   out of argv before getopt sees it. */
static const char *
take_complete(int *argc, char **argv)
{
	const char *line = NULL;
	int i, k;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--complete") == 0 && i + 1 < *argc) {
			line = argv[i + 1];
			for (k = i; k + 2 <= *argc; k++)
				argv[k] = argv[k + 2];
			*argc -= 2;
			break;
		}
	}
	return line;
}

static void
options(struct con *c, int argc, char **argv, int addr_needed, char *pw,
    size_t pwsize, const char **dictpath)
{
	const char *target = "EXECUTOR", *sender = "CLIENT1", *prefix = NULL;
	int ch, has_r = 0;
	unsigned inj = 0;

	c->begin = "FIX.4.4";
	c->so.hbi = 30;
	c->wait_s = 5;
	while ((ch = getopt(argc, argv, "A:b:c:D:hH:I:P:qR:s:t:u:vw:")) != -1) {
		switch (ch) {
		case 'A': c->applverid = optarg; break;
		case 'b': c->begin = optarg; break;
		case 'c': prefix = optarg; break;
		case 'D': *dictpath = optarg; break;
		case 'h': usage(CMD_EX_OK); break;
		case 'H': c->so.hbi = (int)num(optarg, 1, 3600, ch); break;
		case 'I': inj = parse_inject(optarg); break;
		case 'P':
			util_password("console", optarg, pw, pwsize);
			c->so.password = pw;
			break;
		case 'q': c->quiet = 1; break;
		case 'R':
			c->so.inject_rate = num(optarg, 0, 1, ch);
			has_r = 1;
			break;
		case 's': sender = optarg; break;
		case 't': target = optarg; break;
		case 'u': c->so.username = optarg; break;
		case 'v': c->verbose = 1; break;
		case 'w': c->wait_s = num(optarg, 0, 86400, ch); break;
		default: usage(CMD_EX_USAGE);
		}
	}
	if (argc - optind > 1 || (addr_needed && argc - optind != 1))
		usage(CMD_EX_USAGE);
	if (argc - optind == 1 && util_hostport("console", argv[optind],
	    c->so.host, sizeof(c->so.host), &c->so.port) != 0)
		usage(CMD_EX_USAGE);
	if (strcmp(c->begin, "FIXT.1.1") != 0 && (strncmp(c->begin, "FIX.4.",
	    6) != 0 || c->begin[6] < '0' || c->begin[6] > '4' ||
	    c->begin[7] != '\0'))
		errx(CMD_EX_USAGE, "console: -b: expected FIX.4.0 to FIX.4.4 "
		    "or FIXT.1.1, got '%s'", c->begin);
	if (c->applverid != NULL && strcmp(c->begin, "FIXT.1.1") != 0)
		errx(CMD_EX_USAGE, "console: -A is for FIXT.1.1 sessions");
	if (has_r && inj == 0)
		errx(CMD_EX_USAGE, "console: -R needs -I");
	if (inj != 0 && !has_r)
		c->so.inject_rate = 0.01;
	if (prefix != NULL && (strlen(prefix) >= sizeof(c->prefix) - 8 ||
	    strpbrk(prefix, "|=\001 \t") != NULL))
		errx(CMD_EX_USAGE, "console: -c: bad ClOrdID prefix '%s'",
		    prefix);
	if (prefix != NULL)	/* it fits: checked above */
		(void)util_copy(c->prefix, sizeof(c->prefix), prefix);
	else {
		/* Time of day in base 36: ids that differ from run to run. */
		static const char d36[] =
		    "0123456789abcdefghijklmnopqrstuvwxyz";
		unsigned long t = (unsigned long)(time(NULL) % 1679616);
		int i;

		for (i = 3; i >= 0; i--, t /= 36)
			c->prefix[i] = d36[t % 36];
		c->prefix[4] = '-';
		c->prefix[5] = '\0';
	}
	compid("-s", sender, c->so.sid.sender, sizeof(c->so.sid.sender));
	compid("-t", target, c->so.sid.target, sizeof(c->so.sid.target));
	/* It fits: FIX.4.0 to FIX.4.4 or FIXT.1.1, checked above. */
	(void)util_copy(c->so.sid.begin, sizeof(c->so.sid.begin), c->begin);
	c->so.default_applverid = c->applverid;
	c->so.inject = inj;
}

/* The dictionaries of the session's version; none is fine (tags only). */
static void
load_dicts(struct con *c, const char *path)
{
	struct fixu_diag d;

	if (fixu_dicts_new(&c->dicts, path) != 0) {
		c->dicts = NULL;
		return;
	}
	if (fixu_dicts_get(c->dicts, c->begin, &c->tr, &d) != 0) {
		if (!c->quiet)
			warnx("console: no dictionary for %s (%s): tags only",
			    c->begin, d.msg);
		c->tr = NULL;
		return;
	}
	c->app = c->tr;
	if (strcmp(c->begin, "FIXT.1.1") == 0 && fixu_dicts_get(c->dicts,
	    c->applverid != NULL ? c->applverid : "FIX.5.0SP2", &c->app,
	    &d) != 0)
		errx(CMD_EX_USAGE, "console: -A: %s", d.msg);
}

/* ---- main --------------------------------------------------------------- */

static void
con_init(struct con *c)
{
	memset(c, 0, sizeof(*c));
	fixu_text_encode_init(&c->enc);
	fixu_text_render_init(&c->rend);
	fixu_msg_init(&c->m);
	fixu_msg_init(&c->vm);
	fixu_buf_init(&c->line, FIXU_MAX_MSG);
	fixu_buf_init(&c->extra, FIXU_MAX_MSG);
	fixu_buf_init(&c->wire, FIXU_MAX_MSG);
	fixu_buf_init(&c->out, 0);
	fixu_buf_init(&c->in, IN_MAX + 16384);
	c->state = C_DOWN;
}

static void
con_fini(struct con *c)
{
	sim_free(c->sim);
	fixu_text_encode_fini(&c->enc);
	fixu_text_render_fini(&c->rend);
	fixu_msg_fini(&c->m);
	fixu_msg_fini(&c->vm);
	fixu_buf_fini(&c->line);
	fixu_buf_fini(&c->extra);
	fixu_buf_fini(&c->wire);
	fixu_buf_fini(&c->out);
	fixu_buf_fini(&c->in);
	complete_fini(c);
	free(c->ff);
	free(c->ord);
	free(c->pend);
	complete_cands_free(&rlc);
	fixu_dicts_free(c->dicts);
}

/* The wait of this turn, in ms; -1 for none. */
static int
turn_wait(struct con *c, int64_t now)
{
	int64_t t = INT64_MAX;

	if (c->quitting)
		t = c->quit_by;
	else if (c->draining)
		t = c->drain_by;
	if (!c->interactive && c->sleep_until > now && c->sleep_until < t)
		t = c->sleep_until;
	if (t == INT64_MAX)
		return -1;
	return t <= now ? 0 : (int)((t - now) / 1000000 + 1);
}

/* The script is over: wait for the answers, then log out. */
static void
script_end(struct con *c, int64_t now)
{
	if (c->quitting || c->in.len > 0 || !c->in_eof)
		return;
	if (c->state == C_DOWN) {
		quit(c);
		return;
	}
	if (c->state != C_ON)
		return;
	if (!c->draining) {
		c->draining = 1;
		c->drain_by = now + (int64_t)(c->wait_s * 1e9);
	}
	if (c->npend == 0 || now >= c->drain_by) {
		if (c->npend > 0)
			say(c, stderr, 0, "fixsim: console: %zu order%s "
			    "not answered in %g s", c->npend,
			    c->npend == 1 ? "" : "s", c->wait_s);
		quit(c);
	}
}

static int
run(struct con *c)
{
	int64_t now;
	int rc;

	for (;;) {
		now = sim_mono();
		if (!c->interactive) {
			pump(c);
			pipe_watch(c);
			if (c->state == C_DOWN && !c->asked_out) {
				c->rc = CMD_EX_PROTO;
				break;
			}
			script_end(c, now);
		}
		if (c->quitting && ((c->state == C_DOWN &&
		    sim_all_down(c->sim)) || now >= c->quit_by))
			break;
		if ((rc = sim_turn(c->sim, turn_wait(c, now))) != 0) {
			warnx("console: %s", fixu_strerror(rc));
			return CMD_EX_IO;
		}
		check_down(c);
		handle_signals(c);
	}
	if (c->rc == 0 && c->bad > 0)
		c->rc = CMD_EX_DATA;
	return c->rc;
}

int
console_main(int argc, char **argv)
{
	struct sim_hooks h;
	struct fixu_diag d;
	struct con con, *c = &con;
	const char *cline, *dictpath = NULL, *hp = NULL;
	char pw[130], hb[4096];
	int rc;

	con_init(c);
	C = c;
	cline = take_complete(&argc, argv);
	options(c, argc, argv, cline == NULL, pw, sizeof(pw), &dictpath);
	load_dicts(c, dictpath);
	c->enc.delim = 0;
	c->enc.dicts = c->dicts;
	c->enc.begin = c->begin;
	c->enc.applverid = c->applverid;
	c->enc.flags = FIXU_ENC_FORCE_BEGIN;
	if (cline != NULL) {
		rc = complete_print(c, cline);
		con_fini(c);
		explicit_bzero(pw, sizeof(pw));
		return rc;
	}
	if (c->so.port == 0)
		usage(CMD_EX_USAGE);
	c->interactive = isatty(STDIN_FILENO);
	c->color_out = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	c->color_err = isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL;
	if (!c->interactive)
		setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&h, 0, sizeof(h));
	h.on_msg = on_msg;
	h.on_event = on_event;
	h.on_state = on_state;
	h.arg = c;
	if (sim_new(&c->sim, c->dicts, &h) != 0)
		errx(CMD_EX_IO, "console: out of memory");
	if (sim_add(c->sim, &c->so, &c->ss, &d) != 0)
		errx(d.code == FIXU_EIO ? CMD_EX_IO : CMD_EX_USAGE,
		    "console: %s", d.msg);
	c->state = C_CONNECTING;
	signals();
	if (c->interactive) {
		hp = hist_path(hb, sizeof(hb));
		tty_start(c, hb, sizeof(hb));
	}
	rc = run(c);
	tty_stop(c, hp);
	con_fini(c);
	/* Kept until now: "logon" adds the session again with it. */
	explicit_bzero(pw, sizeof(pw));
	return rc;
}
