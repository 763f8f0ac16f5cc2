/*
 * fixstore.h -- what the parts of fixstore share: the helpers of
 * fixstore.c (messages, the store handle, parsing of arguments), the
 * sub-commands kept in their own files (fixstore/archive.c,
 * fixstore/passwd.c) and the QuickFIX importers (fixstore/import.c).
 */
#ifndef FIXSTORE_H
#define FIXSTORE_H

#include <time.h>

#include "fixutil.h"
#include "store.h"

#define SID_MAX		240	/* a formatted session id */
#define PW_MAX		1024	/* longest password read */

/* The store path every message names. */
extern const char	*fs_storepath;

void	fs_usage(int) __attribute__((noreturn));
int	fs_exit_code(int rc);
/* "fixstore: STORE: [what: ]detail", then exit by the code. */
void	fs_die(int rc, const struct fixu_diag *, const char *what)
	    __attribute__((noreturn));
void	fs_refuse(int status, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
int64_t	fs_now_ns(clockid_t);
int64_t	fs_parse_time(const char *);
uint64_t fs_parse_num(const char *, const char *what, uint64_t min);
char	*fs_sid_str(const struct fixu_sess *, char *buf);
void	fs_subopt_reset(void);
struct fixu_store *fs_open_store(int write, int create);
void	fs_find_session(struct fixu_store *, const char *arg,
	    struct fixu_sess *);
void	fs_commit(struct fixu_store *, const char *what);
void	fs_flush_stdout(void);
/* Write all of p to fd; 0, or -1 with errno. */
int	fs_write_all(int fd, const void *p, size_t n);

int	cmd_archive(int argc, char **argv, int purge);
int	cmd_passwd(int argc, char **argv);

struct fs_import_stats {
	uint64_t	messages;	/* stored */
	uint64_t	skipped;	/* already there, or not FIX */
	uint64_t	bad;		/* damaged, reported through warn */
	uint64_t	next_out;	/* the session's numbers afterwards */
	uint64_t	next_in;
};

/*
 * Import a QuickFIX FileStore: dir holds <prefix>.body, .header,
 * .seqnums and .session, where prefix is BeginString-Sender-Target
 * [-Qualifier]; one prefix (NULL: every session found in dir).  Outbound
 * messages and both next sequence numbers are taken over; the session is
 * created if missing.  Refuses (FIXU_EBUSY) when the session already has
 * messages in its current epoch, unless force.  Progress and warnings go to
 * stderr; returns 0 or a FIXU_E* code with d filled.
 */
int	fs_import_filestore(struct fixu_store *, const char *dir,
	    const char *prefix, int force, struct fs_import_stats *,
	    struct fixu_diag *d);

/*
 * Import QuickFIX file logs (*.messages.*.log: "YYYYMMDD-HH:MM:SS.fff : "
 * then the message): both directions, the direction told by the CompIDs
 * against sid (as the engine that wrote the log).  Messages already stored
 * (same direction, epoch and MsgSeqNum and the same bytes) are skipped.
 */
int	fs_import_log(struct fixu_store *, const struct fixu_sessid *sid,
	    const char *path, struct fs_import_stats *, struct fixu_diag *d);

#endif
