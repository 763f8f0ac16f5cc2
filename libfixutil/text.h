/*
 * text.h -- readable forms: delimiters, log prefixes, names, JSON both ways.
 *
 * Ownership: a struct fixu_render and a struct fixu_encode are embedded
 * objects (an all-zero one, or one after *_init(), is valid; *_fini() frees
 * their scratch memory).  The caller sets their public option members and
 * may change them between calls; the dictionaries they point to are
 * borrowed and must outlive every call that uses them.  fixu_text_render()
 * appends to a struct fixu_buf the caller owns and never keeps a pointer to
 * the message.  fixu_text_encode() returns a view of the wire message that
 * lives in the encoder until its next call or fixu_text_encode_fini(); it
 * keeps no pointer to the input line.  Neither allocates once its scratch
 * has grown to the largest message seen (JSON modes excepted: jansson
 * allocates per message).
 *
 * The readable form (DEFAULT mode) is every field as TAG=VALUE followed by
 * the output delimiter ('|' unless set), the trailing one after 10= too,
 * then '\n'.  Values are escaped reversibly: '\' -> "\\", the delimiter ->
 * '\' + delimiter, LF -> "\n", CR -> "\r", other bytes < 0x20 and 0x7f ->
 * "\xHH" (SOH -> "\x01"); bytes >= 0x80 pass unchanged.  fixu_text_encode()
 * also accepts "\t".
 *
 * JSON form (one object per line, fields in message order): the first key
 * "_raw" holds the DEFAULT line without its newline.  Then one key per
 * field: the dictionary name, or the tag number as a string.  A value is a
 * JSON string holding the wire bytes when they are valid UTF-8 (NUL and
 * control bytes included: JSON escapes them as \u00XX); otherwise it is an
 * object {"base64": "<standard base64 of the bytes, padded>"}.  A
 * NumInGroup field the dictionary knows whose count matches the instances
 * found becomes an array of objects, one per instance, nested to any depth
 * (the count is written back as the array's length).  A tag repeated in
 * adjacent fields becomes one key with an array of values; a tag repeated
 * further on (outside a known group) gets the key "<key>#2", "<key>#3" ...
 * so that field order survives.  Input JSON may also use numbers (integers
 * as decimal, reals as %.15g) and true/false (written Y/N).
 *
 * Masking: Password (554) and NewPassword (925) print as "****" in every
 * rendering mode unless FIXU_RENDER_NOMASK is set.
 */
#ifndef FIXU_TEXT_H
#define FIXU_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "dict.h"
#include "err.h"

struct fixu_encfield;

/* Rendering modes. */
enum fixu_text_mode {
	FIXU_TEXT_DEFAULT = 0,	/* 8=FIX.4.4|9=12|35=0|10=123|\n */
	FIXU_TEXT_NAMES,	/* ...|35=D|{MsgType=NewOrderSingle}|55=X|{Symbol}|\n */
	FIXU_TEXT_VERBOSE,	/* "# Name (type) ..." then one field a line */
	FIXU_TEXT_JSON,		/* NDJSON, see above */
	FIXU_TEXT_WIRE		/* wire form, SOH delimiters */
};

/* Flags of struct fixu_render. */
#define FIXU_RENDER_NOMASK	0x1	/* show Password (554), NewPassword (925) */
#define FIXU_RENDER_NL		0x2	/* WIRE: add '\n' after each message */
#define FIXU_RENDER_NORAW	0x4	/* JSON: leave out the "_raw" key */

struct fixu_render {
	/* Options, set by the caller. */
	int			 mode;	/* enum fixu_text_mode */
	char			 delim;	/* output delimiter; 0 means '|' */
	unsigned		 flags;	/* FIXU_RENDER_* */
	const struct fixu_dict	*tr;	/* names, groups: may be NULL; */
	const struct fixu_dict	*app;	/* app NULL means tr */
	/* Private. */
	unsigned char		 cls[256];
	char			 clsdelim;
	unsigned char		 xlat[256];	/* input delimiter -> output */
	char			 xlin;		/* input delimiter of xlat */
	struct fixu_fpos	*pos;
	uint32_t		 poscap;
	struct fixu_buf		 tmp;
};

void	fixu_text_render_init(struct fixu_render *);
void	fixu_text_render_fini(struct fixu_render *);
/*
 * Append m in r->mode to out.  m is any parsed message (its delimiter does
 * not matter; data fields are taken by their views).  Returns 0, or
 * FIXU_ELIMIT / FIXU_ENOMEM with out unchanged.
 */
int	fixu_text_render(struct fixu_render *r, const struct fixu_msg *m,
	    struct fixu_buf *out, struct fixu_diag *d);
/*
 * Append v escaped as in DEFAULT mode with delimiter delim (0: '|').
 * For tools printing single values.
 */
int	fixu_text_escape(struct fixu_buf *out, const char *v, size_t n,
	    char delim);

/* Flags of struct fixu_encode. */
#define FIXU_ENC_FORCE_BEGIN	0x1	/* begin replaces the line's 8= */
#define FIXU_ENC_HDR_REPLACE	0x2	/* hdr replaces fields the line has */

struct fixu_encode {
	/* Options, set by the caller. */
	char			 delim;	/* input delimiter; 0: detect per line */
	unsigned		 flags;	/* FIXU_ENC_* */
	const char		*begin;	/* BeginString when the line has none;
					   NULL means "FIX.4.4" */
	const struct fixu_dict	*tr;	/* names and enum descriptions on */
	const struct fixu_dict	*app;	/* input; NULL: numbers only */
	/*
	 * When set, tr and app are chosen for each line from the line's own
	 * BeginString (or begin), and for FIXT.1.1 its ApplVerID (1128) or
	 * applverid (NULL: FIX.5.0SP2).  Borrowed.
	 */
	struct fixu_dicts	*dicts;
	const char		*applverid;
	/*
	 * Header fields to fill: each one the line lacks is inserted right
	 * after MsgType (35), in this order; one the line has is kept, or
	 * its value replaced in place with FIXU_ENC_HDR_REPLACE.  Values are
	 * borrowed for the call.
	 */
	const struct fixu_field	*hdr;
	uint32_t		 nhdr;
	/* Private. */
	struct fixu_builder	 b;
	struct fixu_buf		 vals;
	struct fixu_encfield	*f;
	uint32_t		 nf, cap;
	int			 depth;
};

void	fixu_text_encode_init(struct fixu_encode *);
void	fixu_text_encode_fini(struct fixu_encode *);
/*
 * Turn one readable line (DEFAULT or NAMES form with any one-byte
 * delimiter, names for tags, enum descriptions for values, or a JSON
 * object when the first non-blank byte is '{') into a wire message with
 * SOH delimiters.  A trailing "\n" or "\r\n" is ignored.  Fields 9 and 10
 * of the input are dropped and recomputed; fields starting with '{' (NAMES
 * pseudo-fields) are skipped.  A message needs a MsgType (35).
 * Returns 0 with *out viewing the message, or FIXU_ESYNTAX, FIXU_ENOEQ,
 * FIXU_ETAG, FIXU_ENOTFOUND (unknown name), FIXU_ELIMIT, FIXU_ENOMEM;
 * d->off is then the 0-based byte offset in the line (for JSON, the byte
 * position jansson reports) and d->msg says what.
 */
int	fixu_text_encode(struct fixu_encode *e, const char *line, size_t n,
	    struct fixu_str *out, struct fixu_diag *d);

/*
 * Finding FIX in log lines.  A message starts at "8=FIX" (the byte before
 * not alphanumeric), its BeginString value is [A-Za-z0-9.] and the byte
 * after it is the delimiter, which must be followed by "9=".  "^A" (caret,
 * 'A') is reported as FIXU_DELIM_CARET_A: convert such a message with
 * fixu_text_caret_a() before framing it.
 */
#define FIXU_DELIM_CARET_A	0x100

/*
 * Find the first message start in p[0..n).  delim: 0 to detect, or the
 * delimiter to insist on (a byte, or FIXU_DELIM_CARET_A).  Returns 0 with
 * *prefix = bytes before "8=" and *found = the delimiter, or
 * FIXU_ENOTFOUND.  Detected delimiters: SOH, '|', "^A", '^', ';', ',',
 * tab, and any other byte that is not alphanumeric, '.', '=' or a space.
 */
int	fixu_text_scan(const char *p, size_t n, int delim, size_t *prefix,
	    int *found);
/* Append p[0..n) to out with every "^A" turned into SOH. */
int	fixu_text_caret_a(struct fixu_buf *out, const char *p, size_t n);

/*
 * Private to text.c and json.c (the two halves of the module); not API.
 */
struct fixu_encfield {
	uint32_t	tag;
	size_t		off;	/* value in fixu_encode.vals */
	size_t		len;
};

int	fixu_text__default(struct fixu_render *, const struct fixu_msg *,
	    struct fixu_buf *, int nl);
int	fixu_text__layout(struct fixu_render *, const struct fixu_msg *,
	    const struct fixu_fpos **);
int	fixu_text__json(struct fixu_render *, const struct fixu_msg *,
	    struct fixu_buf *);
int	fixu_text__encode_json(struct fixu_encode *, const char *, size_t,
	    struct fixu_diag *);
const struct fixu_dfield *fixu_text__dfield(const struct fixu_dict *,
	    const struct fixu_dict *, uint32_t);
const struct fixu_dmsg *fixu_text__dmsg(const struct fixu_dict *,
	    const struct fixu_dict *, const char *, size_t);
int	fixu_text__add(struct fixu_encode *, uint32_t tag);
void	fixu_text__end(struct fixu_encode *);
int	fixu_text__key(struct fixu_encode *, const char *, size_t,
	    uint32_t *, struct fixu_diag *, size_t off);
int	fixu_text__desc(struct fixu_encode *);

#endif
