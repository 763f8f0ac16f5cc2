/*
 * dict.h -- QuickFIX-format XML data dictionaries (libxml2) and validation.
 *
 * Ownership: a struct fixu_dict is immutable after fixu_dict_load() and owns
 * every string and table it hands out; those pointers live until
 * fixu_dict_free().  A struct fixu_dicts owns the dictionaries it loaded; a
 * dictionary it returns lives until fixu_dicts_free().  Lookups take views
 * (pointer, length) and never need NUL-terminated input.  Dictionaries are
 * safe to share between threads once loaded.
 */
#ifndef FIXU_DICT_H
#define FIXU_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "err.h"

enum fixu_type {
	FIXU_T_UNKNOWN = 0,
	FIXU_T_STRING, FIXU_T_CHAR, FIXU_T_INT, FIXU_T_LENGTH, FIXU_T_SEQNUM,
	FIXU_T_NUMINGROUP, FIXU_T_TAGNUM, FIXU_T_DAYOFMONTH, FIXU_T_FLOAT,
	FIXU_T_QTY, FIXU_T_PRICE, FIXU_T_PRICEOFFSET, FIXU_T_AMT,
	FIXU_T_PERCENTAGE, FIXU_T_BOOLEAN, FIXU_T_MULTIPLEVALUESTRING,
	FIXU_T_MULTIPLESTRINGVALUE, FIXU_T_MULTIPLECHARVALUE, FIXU_T_CURRENCY,
	FIXU_T_EXCHANGE, FIXU_T_COUNTRY, FIXU_T_LANGUAGE, FIXU_T_UTCTIMESTAMP,
	FIXU_T_UTCTIMEONLY, FIXU_T_UTCDATEONLY, FIXU_T_LOCALMKTDATE,
	FIXU_T_TZTIMEONLY, FIXU_T_TZTIMESTAMP, FIXU_T_MONTHYEAR, FIXU_T_DATA,
	FIXU_T_XMLDATA, FIXU_T_TIME, FIXU_T_DATE, FIXU_T_XID, FIXU_T_XIDREF,
	FIXU_T__COUNT
};

struct fixu_denum {
	const char	*value;
	const char	*desc;		/* QuickFIX description, e.g. "BUY" */
};

struct fixu_dfield {
	uint32_t		 tag;
	enum fixu_type		 type;
	const char		*name;
	const struct fixu_denum	*enums;		/* sorted by value */
	uint32_t		 nenums;
};

/* Where a field of a parsed message sits in the dictionary's structure. */
enum fixu_section { FIXU_SEC_HEADER, FIXU_SEC_BODY, FIXU_SEC_TRAILER };

struct fixu_fpos {
	uint8_t		section;	/* enum fixu_section */
	uint8_t		depth;		/* 0 at top level; n in n nested groups */
	uint8_t		known;		/* 1: defined for this place */
	uint32_t	group;		/* index of the enclosing NumInGroup field,
					   UINT32_MAX at top level */
	uint32_t	instance;	/* 0-based instance in that group */
};

struct fixu_dict;
struct fixu_dmsg;

/*
 * Load a dictionary file.  On failure *out is NULL and d says what and
 * where: d->off holds the 1-based line number of the file, d->msg the
 * reason ("field 'Foo' referenced in message 'D' is not defined").
 */
int	fixu_dict_load(struct fixu_dict **out, const char *path,
	    struct fixu_diag *d);
int	fixu_dict_load_mem(struct fixu_dict **out, const char *buf, size_t n,
	    const char *name, struct fixu_diag *d);
void	fixu_dict_free(struct fixu_dict *);

/* "FIX.4.4", "FIXT.1.1"; for FIX 5.x the ApplVerID name, e.g. "FIX.5.0SP2". */
const char	*fixu_dict_version(const struct fixu_dict *);
/* ApplVerID (1128) value for 5.x application dictionaries ("7", "8", "9"), else NULL. */
const char	*fixu_dict_applverid(const struct fixu_dict *);
const char	*fixu_dict_path(const struct fixu_dict *);

const struct fixu_dfield *fixu_dict_field(const struct fixu_dict *, uint32_t tag);
const struct fixu_dfield *fixu_dict_field_byname(const struct fixu_dict *,
	    const char *name, size_t n);
/* Enum description of a value, or NULL. */
const char	*fixu_dict_enum(const struct fixu_dfield *, const char *v, size_t n);
/* Value whose description is desc (case-insensitive), or NULL. */
const char	*fixu_dict_enum_byname(const struct fixu_dfield *,
	    const char *desc, size_t n);
const struct fixu_dmsg *fixu_dict_msg(const struct fixu_dict *,
	    const char *msgtype, size_t n);
const struct fixu_dmsg *fixu_dict_msg_byname(const struct fixu_dict *,
	    const char *name, size_t n);
const char	*fixu_dmsg_name(const struct fixu_dmsg *);
const char	*fixu_dmsg_type(const struct fixu_dmsg *);
int		 fixu_dmsg_is_admin(const struct fixu_dmsg *);
/* Length/data pairs defined by this dictionary (LENGTH then DATA field). */
const struct fixu_lenmap *fixu_dict_lenmap(const struct fixu_dict *);
/* Call fn for every field; for completions and listings. */
void	fixu_dict_each_field(const struct fixu_dict *,
	    void (*fn)(const struct fixu_dfield *, void *), void *);
void	fixu_dict_each_msg(const struct fixu_dict *,
	    void (*fn)(const struct fixu_dmsg *, void *), void *);

/*
 * Place every field of m in the structure of its message: section, group
 * depth, enclosing NumInGroup field and instance.  pos has m->nf entries.
 * app is the application dictionary (equal to tr unless FIXT.1.1).
 * Fields that fit nowhere get known = 0 at the depth they were found.
 */
int	fixu_dict_layout(const struct fixu_dict *tr, const struct fixu_dict *app,
	    const struct fixu_msg *m, struct fixu_fpos *pos);

/* Checks of fixu_dict_validate(), each switchable like QuickFIX's Validate*. */
#define FIXU_V_LENGTH_CHECKSUM	0x001	/* ValidateLengthAndChecksum */
#define FIXU_V_ORDER		0x002	/* ValidateFieldsOutOfOrder */
#define FIXU_V_HAVE_VALUES	0x004	/* ValidateFieldsHaveValues */
#define FIXU_V_USER_FIELDS	0x008	/* ValidateUserDefinedFields (tags >= 5000) */
#define FIXU_V_GROUP_ORDER	0x010	/* ValidateUnorderedGroupFields */
#define FIXU_V_UNKNOWN_FIELDS	0x020	/* reject tags not defined for the message
					   (AllowUnknownMsgFields=N) */
#define FIXU_V_REQUIRED		0x040	/* required fields present */
#define FIXU_V_VALUES		0x080	/* enum values and data formats */
#define FIXU_V_UNDEFINED_TAGS	0x100	/* tags the dictionary does not define */
#define FIXU_V_ALL		0x1ff

/*
 * Validate m against tr (transport or only dictionary) and app.  Fills up to
 * max issues (each a diag with code FIXU_EINVALID or the codec code, off the
 * byte offset of the field in m->raw, tag = RefTagID, reject =
 * SessionRejectReason), in the order a session layer must report them: the
 * first is what a Reject would carry.  Returns 0 when m is valid, else
 * FIXU_EINVALID (or FIXU_ENOTFOUND when MsgType is not in the dictionary,
 * reject = FIXU_REJ_INVALID_MSGTYPE).
 */
int	fixu_dict_validate(const struct fixu_dict *tr, const struct fixu_dict *app,
	    const struct fixu_msg *m, unsigned flags, struct fixu_diag *issues,
	    int max, int *nissues);

/* Check one value against a type; 0 or FIXU_EINVALID. */
int	fixu_type_check(enum fixu_type, const char *v, size_t n);
const char	*fixu_type_name(enum fixu_type);
enum fixu_type	 fixu_type_byname(const char *, size_t);

/*
 * A set of dictionaries found on a search path and loaded on first use:
 * FIX40.xml ... FIX44.xml, FIXT11.xml, FIX50.xml, FIX50SP1.xml, FIX50SP2.xml.
 * The path is a colon-separated list of directories; NULL means
 * $FIXUTIL_DICT_PATH, then the directories next to the running program
 * (../share/fixutil/dicts and the source tree's dicts/), then FIXU_DICTDIR.
 * Files given with fixu_dicts_add() win over the search path.
 */
struct fixu_dicts;

int	fixu_dicts_new(struct fixu_dicts **, const char *path);
void	fixu_dicts_free(struct fixu_dicts *);
/* Use this file for its version (its <fix> element says which). */
int	fixu_dicts_add(struct fixu_dicts *, const char *file, struct fixu_diag *);
/*
 * Choose the dictionaries for m: by BeginString, and for FIXT.1.1 by
 * ApplVerID (1128) in m, else by default_applverid (DefaultApplVerID, a
 * value such as "9" or a name such as "FIX.5.0SP2"; NULL means 5.0SP2).
 */
int	fixu_dicts_pick(struct fixu_dicts *, const struct fixu_msg *m,
	    const char *default_applverid, const struct fixu_dict **tr,
	    const struct fixu_dict **app, struct fixu_diag *);
/* Dictionary for a BeginString or ApplVerID name ("FIX.4.4", "FIX.5.0SP2"). */
int	fixu_dicts_get(struct fixu_dicts *, const char *version,
	    const struct fixu_dict **, struct fixu_diag *);

#endif
