/*
 * store_util.h -- helpers of the store's unit tests (test_store.c,
 * test_msglog.c).
 */
#ifndef FIXU_STORE_UTIL_H
#define FIXU_STORE_UTIL_H

#include <string.h>

#include "store.h"

/* Create (or find) session id; its row id, -1 on error. */
static inline int64_t
mksess(struct fixu_store *st, const char *id)
{
	struct fixu_sessid sid;
	struct fixu_sess s;

	if (fixu_sessid_parse(&sid, id, strlen(id), NULL) < 0 ||
	    fixu_store_session(st, &sid, 1, &s, NULL) < 0)
		return -1;
	return s.id;
}

/* Session id as stored; all zero when it cannot be read. */
static inline struct fixu_sess
getsess(struct fixu_store *st, int64_t id)
{
	struct fixu_sess s;

	memset(&s, 0, sizeof(s));
	(void)fixu_store_session_byid(st, id, &s, NULL);
	return s;
}

#endif
