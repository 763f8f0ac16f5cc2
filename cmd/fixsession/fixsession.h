/*
 * fixsession.h -- reading fixsession's settings file into engine sessions
 * (conf.c).
 *
 * Ownership: a struct fs_conf owns everything it holds -- the parsed
 * settings, the session array, the schedules and dictionaries the
 * sessions point to -- until fs_conf_free().
 */
#ifndef FIXU_CMD_FIXSESSION_H
#define FIXU_CMD_FIXSESSION_H

#include <stddef.h>

#include "cfg.h"
#include "dict.h"
#include "engine.h"
#include "schedule.h"
#include "store.h"

/* CpuDmaLatency's largest value: the kernel's own when nothing asks. */
#define CPU_LAT_MAX	2000000000

struct fs_conf {
	struct fixu_cfg		*cfg;
	struct fixu_eng_sess	*sess;		/* one per [SESSION] */
	size_t			 nsess;
	unsigned		*sess_line;	/* line of each [SESSION] */
	struct fixu_dicts	*dicts;		/* the search path (-d) */
	/* Per-session schedules and private dictionary sets. */
	struct fixu_sched	**scheds;	/* nsess entries, may be NULL */
	struct fixu_dict	**owned;	/* dictionaries loaded by path */
	size_t			 nowned;
	struct fixu_dicts	**owned_sets;
	size_t			 nowned_sets;
	/* fixutil's own keys, from [DEFAULT] */
	char			 store_path[4096];	/* StorePath; "" */
	int			 durability;	/* StoreDurability */
	int			 store_log;	/* StoreLog */
	int			 cpu_latency;	/* CpuDmaLatency, us; -1 */
};

/*
 * Read a settings file.  Every key of every section is checked: a key
 * fixsession does not know gets a warning through warn() (file:line: ...),
 * a QuickFIX key that has no effect here gets a warning saying why, and
 * a bad value is an error: FIXU_ESYNTAX with d->msg "file:line: what".
 * dictpath: the dictionary search path (-D; NULL: the default).
 */
int	fs_conf_load(struct fs_conf *, const char *path, const char *dictpath,
	    void (*warn)(const char *msg, void *), void *warnarg,
	    struct fixu_diag *d);
void	fs_conf_free(struct fs_conf *);

#endif
