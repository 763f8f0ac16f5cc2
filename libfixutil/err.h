/*
 * err.h -- the error catalogue.
 *
 * Every libfixutil function returns 0 or a negative FIXU_E* code.  Where a
 * caller can use more than the code, the function also fills an optional
 * struct fixu_diag: where (byte offset, tag), which SessionRejectReason the
 * failure maps to, and a short detail such as "expected 123, got 045".  The
 * library never prints; tools turn a diag into a message with fixu_diag_fmt().
 */
#ifndef FIXU_ERR_H
#define FIXU_ERR_H

#include <stddef.h>
#include <stdint.h>

/* code, name, text; the only table of error texts in the project. */
#define FIXU_ERRORS(X) \
	X(EAGAIN,	1,  "need more bytes") \
	X(EGARBLED,	2,  "garbled data") \
	X(ENOMEM,	3,  "out of memory") \
	X(ELIMIT,	4,  "limit exceeded") \
	X(EBEGIN,	5,  "message does not start with BeginString (8)") \
	X(EBODYLEN,	6,  "bad BodyLength (9)") \
	X(ECHECKSUM,	7,  "bad CheckSum (10)") \
	X(ETRUNC,	8,  "truncated message") \
	X(ETAG,		9,  "bad tag") \
	X(ENOEQ,	10, "field without '='") \
	X(EDATA,	11, "bad data field length") \
	X(EORDER,	12, "field out of order") \
	X(EINVALID,	13, "message failed validation") \
	X(EDICT,	14, "bad dictionary") \
	X(ENOTFOUND,	15, "not found") \
	X(EINVAL,	16, "invalid argument") \
	X(ESYNTAX,	17, "syntax error") \
	X(EIO,		18, "I/O error") \
	X(EBUSY,	19, "busy") \
	X(EFENCED,	20, "fenced: the lease token is no longer current") \
	X(ESCHEMA,	21, "store schema is newer than this program") \
	X(ECORRUPT,	22, "store is corrupt") \
	X(EFULL,	23, "disk full") \
	X(EREADONLY,	24, "store is read-only") \
	X(EAUTH,	25, "authentication failed") \
	X(EEXIST,	26, "already exists")

enum fixu_err {
	FIXU_OK = 0,
#define FIXU_ERR_ENUM(name, num, text) FIXU_##name = -(num),
	FIXU_ERRORS(FIXU_ERR_ENUM)
#undef FIXU_ERR_ENUM
};

/* SessionRejectReason (373) values, as the FIX specification numbers them. */
enum fixu_reject {
	FIXU_REJ_NONE = -1,
	FIXU_REJ_INVALID_TAG = 0,
	FIXU_REJ_REQUIRED_MISSING = 1,
	FIXU_REJ_TAG_NOT_DEFINED_FOR_MSG = 2,
	FIXU_REJ_UNDEFINED_TAG = 3,
	FIXU_REJ_TAG_WITHOUT_VALUE = 4,
	FIXU_REJ_VALUE_OUT_OF_RANGE = 5,
	FIXU_REJ_BAD_DATA_FORMAT = 6,
	FIXU_REJ_DECRYPTION = 7,
	FIXU_REJ_SIGNATURE = 8,
	FIXU_REJ_COMPID = 9,
	FIXU_REJ_SENDINGTIME = 10,
	FIXU_REJ_INVALID_MSGTYPE = 11,
	FIXU_REJ_XML_VALIDATION = 12,
	FIXU_REJ_REPEATED_TAG = 13,
	FIXU_REJ_ORDER = 14,
	FIXU_REJ_GROUP_ORDER = 15,
	FIXU_REJ_NUMINGROUP = 16,
	FIXU_REJ_DATA_DELIM = 17,
	FIXU_REJ_OTHER = 99
};

struct fixu_diag {
	int		code;	/* FIXU_E*, 0 when nothing to say */
	size_t		off;	/* byte offset in the input; SIZE_MAX if none */
	uint32_t	tag;	/* tag concerned (RefTagID, 371); 0 if none */
	int		reject;	/* SessionRejectReason (373); FIXU_REJ_NONE */
	char		msg[200]; /* detail, e.g. "expected 123, got 045" */
};

const char	*fixu_strerror(int);
const char	*fixu_reject_text(int);
void		 fixu_diag_clear(struct fixu_diag *);
/* Record an error; d may be NULL.  Returns code, for "return fixu_diag_set(...)". */
int		 fixu_diag_set(struct fixu_diag *, int code, size_t off,
		    uint32_t tag, int reject, const char *fmt, ...)
		    __attribute__((format(printf, 6, 7)));
/* "bad CheckSum (10): expected 123, got 045" into buf; returns buf. */
char		*fixu_diag_fmt(const struct fixu_diag *, char *buf, size_t);

#endif
