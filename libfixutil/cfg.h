/*
 * cfg.h -- QuickFIX-style settings files.
 *
 * A settings file is a [DEFAULT] section and any number of [SESSION]
 * sections of Key=Value lines; '#' starts a comment line, blank lines are
 * ignored, section names are matched without regard to case, keys are
 * case-sensitive (as QuickFIX), and keys and values are trimmed of spaces
 * and tabs.  A key asked for a session and absent from its section is
 * looked up in [DEFAULT].  Every key remembers the line it came from, so
 * that a tool can say "acceptor.cfg:12: bad SocketAcceptPort".
 *
 * Errors are FIXU_ESYNTAX with d->off set to the line number (1-based) and
 * d->msg saying what: a line that is neither a section header nor
 * Key=Value, an unknown section name, an empty key, a key given twice in
 * one section, a key before the first section, a NUL byte.  A file larger
 * than FIXU_MAX_CFG_FILE or a line longer than FIXU_MAX_CFG_LINE is
 * FIXU_ELIMIT.
 *
 * Ownership: fixu_cfg_load() and fixu_cfg_parse() return a struct fixu_cfg
 * that owns a copy of the text and of the name; every string returned by
 * the other functions points into it and lives until fixu_cfg_free().
 * Nothing here changes after loading, so a loaded cfg may be read from any
 * number of threads.
 */
#ifndef FIXU_CFG_H
#define FIXU_CFG_H

#include <stddef.h>

#include "err.h"
#include "fixlimits.h"

/* The session index that means "[DEFAULT] only" in fixu_cfg_get(). */
#define FIXU_CFG_DEFAULT	((size_t)-1)

struct fixu_cfg;

/* Read and parse a file; name for messages is path. */
int	fixu_cfg_load(struct fixu_cfg **, const char *path,
	    struct fixu_diag *d);
/* Parse n bytes of text (copied); name is used in fixu_cfg_name(). */
int	fixu_cfg_parse(struct fixu_cfg **, const char *name, const char *text,
	    size_t n, struct fixu_diag *d);
/* NULL is fine. */
void	fixu_cfg_free(struct fixu_cfg *);

/* The file name given at load time. */
const char	*fixu_cfg_name(const struct fixu_cfg *);
/* Number of [SESSION] sections, numbered 0.. in file order. */
size_t	fixu_cfg_nsessions(const struct fixu_cfg *);
/* Line of the [SESSION] header of session i (0 if none). */
unsigned	fixu_cfg_session_line(const struct fixu_cfg *, size_t i);

/*
 * Value of key for session i, or from [DEFAULT] when the session does not
 * have it (i FIXU_CFG_DEFAULT: [DEFAULT] only).  NULL when neither has it.
 * *line (may be NULL) gets the line the value came from.
 */
const char	*fixu_cfg_get(const struct fixu_cfg *, size_t i,
		    const char *key, unsigned *line);

/*
 * The j-th key of session i's own section (or of [DEFAULT]), for tools
 * that check every key; FIXU_ENOTFOUND past the last one.
 */
int	fixu_cfg_key(const struct fixu_cfg *, size_t i, size_t j,
	    const char **key, const char **value, unsigned *line);

/*
 * The session id of session i as QuickFIX writes it,
 * BeginString:SenderCompID->TargetCompID[:SessionQualifier], into buf.
 * Each key may come from [DEFAULT].  FIXU_ESYNTAX (d->off: the header
 * line) when one of the first three is missing or empty, FIXU_ELIMIT when
 * buf is too small.
 */
int	fixu_cfg_sessid(const struct fixu_cfg *, size_t i, char *buf,
	    size_t n, struct fixu_diag *d);

#endif
