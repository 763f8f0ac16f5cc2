/*
 * script.h -- what the parts of fixsim script share.
 *
 * script.c is the mode: options, one fresh struct script per file named
 * on the command line, .def files handed to def.c, the report, and the
 * description of the language; scriptcmd.c reads a file, checks it and
 * runs its commands; scriptlang.c is the text of the language (words,
 * variables, escapes, names from the dictionary); expect.c (expect.h)
 * keeps what arrives and checks it against the conditions of expect.
 *
 * Ownership: a struct script lives while one file named on the command
 * line runs (the files it includes share it) and owns what it points to,
 * except o, dicts and diag, which script_main() owns and which outlive
 * it.  Every command returns OK, FAIL or ERROR and says why, at the
 * current file and line, with script_fail() into diag.
 */
#ifndef FIXSIM_SCRIPT_H
#define FIXSIM_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "fixutil.h"
#include "def.h"

#define MAX_NAME	64	/* of a variable */

/* Results of every command: DEF_PASS, DEF_FAIL, DEF_ERROR. */
#define OK	DEF_PASS
#define FAIL	DEF_FAIL
#define ERROR	DEF_ERROR

struct var {
	char	*name;
	char	*val;
	size_t	 n;
};

struct opts {
	const char	*host, *port, *fmt;
	int		 verbose, tap;
	int		 timeout_ms;	/* -t; 0: default */
	struct var	*defs;		/* -D */
	size_t		 ndefs;
};

struct item;

struct script {
	const struct opts	*o;
	struct fixu_dicts	*dicts;
	struct var		*vars;
	size_t			 nvars;
	/* The session command; hbi and timeout_ms are "set" settings. */
	char			 begin[FIXU_MAX_BEGINSTRING + 1];
	char			 sender[128], target[128];
	const char		*applver;	/* "9": a static string */
	int			 hbi, timeout_ms, autohb;
	uint64_t		 seq, counter;
	/* The connection. */
	struct raw_conn		 c;
	int			 connected;	/* a connect succeeded */
	int			 peer_closed;
	int			 sent_logon, logged_on;
	int64_t			 last_sent;
	/* Received and not yet taken by an expect (expect.c). */
	struct fixu_buf		 q;
	struct item		*it;
	size_t			 nit, head, capit;
	/* Where we are. */
	const char		*file;
	unsigned long		 line;
	int			 depth;
	int			 checking;	/* check(), not running */
	unsigned		 checks;
	struct fixu_buf		*diag;
	/* Scratch. */
	struct fixu_encode	 enc;
	struct fixu_msg		 m;
	struct fixu_render	 rnd;
	struct fixu_buf		 args, tmp, wire, val, aux;
};

/* script.c: why the file does not pass, at the current line; the message
   (or bytes) concerned under it; -v's trace of what is sent and received. */
void	script_fail(struct script *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	script_fail_show(struct script *, const char *what, const char *p,
	    size_t n);
void	script_trace(struct script *, const char *dir, const char *p,
	    size_t n, int bad);

/* scriptcmd.c: run a file (a script, or an include in one); send a
   readable line with the header filled (isauto: fixsim's own). */
int	script_run_file(struct script *, const char *path);
int	script_send(struct script *, const char *p, size_t n, int isauto);

/* scriptlang.c: words. */
int	lang_word_eq(const char *p, size_t n, const char *w);
int	lang_next_word(const char *p, size_t n, size_t *i, const char **w,
	    size_t *wn);
/* p[0..n) without the blanks at its end. */
size_t	lang_rtrim(const char *p, size_t n);
int	lang_is_name(const char *p, size_t n);
/* Seconds, decimals allowed, 0 to a day, into ms. */
int	lang_seconds(const char *p, size_t n, int *ms);
/* "within SECONDS" (or, when bare, just SECONDS) cut off the end of p. */
int	lang_within(struct script *, const char *p, size_t *n, int bare,
	    int *ms);
/*
 * The command of line p[0..n): 0 with the word and its arguments, 1 for
 * a blank or comment line.
 */
int	lang_split_line(const char *p, size_t n, const char **w, size_t *wn,
	    const char **a, size_t *an);

/* scriptlang.c: variables. */
int	lang_var_set(struct var **, size_t *, const char *name, size_t n,
	    const char *val, size_t vn);
void	lang_vars_free(struct var **, size_t *);
int	lang_is_builtin(const char *name, size_t n);
/* p[0..n) with variables replaced into s->args, NUL-terminated. */
int	lang_subst(struct script *, const char *p, size_t n, int escape);
/* The escapes of values and sendraw into out; '|' is SOH when soh. */
int	lang_unescape(struct script *, const char *p, size_t n, int soh,
	    struct fixu_buf *out);
/* The value of the first field of a readable line named tag or name,
   unescaped into out; 1 when there is one. */
int	lang_given(struct script *, const char *p, size_t n, const char *tag,
	    const char *name, struct fixu_buf *out);

/* scriptlang.c: names from the session's dictionary. */
int	lang_tag(struct script *, const char *p, size_t n, uint32_t *tag);
const char *lang_tag_name(struct script *, uint32_t tag, char *buf,
	    size_t sz);
void	lang_enum_value(struct script *, uint32_t tag, struct fixu_buf *v);

#endif
