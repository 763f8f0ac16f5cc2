/*
 * codec.h -- framing, zero-copy parsing and building of tag=value messages.
 *
 * Ownership: fixu_frame() and fixu_msg_parse() never copy input bytes.  Every
 * view in a struct fixu_msg (fields, BeginString, MsgType) points into the
 * caller's buffer and is valid while that buffer is unchanged.  The field
 * array belongs to the fixu_msg and is reused by the next parse, so parsing
 * costs no allocation once the array has grown to the largest message seen.
 * A struct fixu_builder owns its output buffer; the view fixu_build_finish()
 * returns lives until the next fixu_build_begin() or fixu_build_fini().
 *
 * Any single-byte field delimiter works (SOH on the wire, '|' in logs): the
 * CheckSum is computed as if each delimiter were SOH, and BodyLength counts
 * one byte per delimiter, so a message is checked identically in either form.
 */
#ifndef FIXU_CODEC_H
#define FIXU_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define FIXU_SOH	'\001'

/*
 * Length/data field pairs (95/96, 90/91, ...): the data field is read by the
 * length its length field gives, so its value may contain the delimiter.
 */
struct fixu_lenmap {
	uint64_t	 small[64];	/* bit t set: tag t < 4096 is a length tag */
	uint32_t	*len;		/* sorted length tags */
	uint32_t	*data;		/* data tag of len[i] */
	size_t		 n, cap;
};

void	fixu_lenmap_init(struct fixu_lenmap *);
void	fixu_lenmap_fini(struct fixu_lenmap *);
int	fixu_lenmap_add(struct fixu_lenmap *, uint32_t len, uint32_t data);
/* The data tag belonging to length tag t, or 0. */
uint32_t fixu_lenmap_data(const struct fixu_lenmap *, uint32_t t);
/* The pairs of the standard (all FIX versions); never freed. */
const struct fixu_lenmap *fixu_lenmap_std(void);

/* Flags for fixu_frame(). */
#define FIXU_FRAME_EOF	0x1	/* no more input will come: short is truncated */
#define FIXU_FRAME_NL	0x2	/* a newline may stand for the last delimiter */

struct fixu_frame {
	size_t	start;	/* offset of "8=" */
	size_t	len;	/* bytes from start, the final delimiter included */
	size_t	skip;	/* FIXU_EGARBLED etc.: drop this many bytes, retry */
	char	delim;	/* delimiter found after BeginString */
	int	final_nl; /* the message ended with a newline, not a delimiter */
};

/*
 * Find the first message in p[0..n).  A message starts at "8=FIX" where the
 * byte before is not a digit (so 58=FIX... in a Text field is no start).
 * Returns:
 *   0		  a message is at p[start..start+len)
 *   FIXU_EAGAIN  need more bytes; everything before start is not a message
 *		  (start == n when no start was seen: keep a few tail bytes)
 *   FIXU_EBODYLEN, FIXU_ELIMIT, FIXU_ETRUNC, FIXU_EGARBLED
 *		  a message began at start but cannot be framed; drop
 *		  p[0..skip) and call again (resync at the next 8=); diag says why
 * A wrong BodyLength never swallows the next message: when "10=nnn" is not
 * where BodyLength says, the frame is dropped up to the next start.  Nor
 * does a message cut short stall the ones behind it: once a whole message
 * (same delimiter, outside the cut one's data fields) follows, the cut one
 * is EGARBLED up to it.
 */
int	fixu_frame(const char *p, size_t n, int flags, struct fixu_frame *,
	    struct fixu_diag *);

struct fixu_field {
	uint32_t	 tag;
	uint32_t	 len;
	const char	*val;
};

struct fixu_msg {
	const char		*raw;	/* the message as parsed */
	size_t			 rawlen;
	char			 delim;
	struct fixu_field	*f;
	uint32_t		 nf;
	uint32_t		 cap;
	uint32_t		 bodylen;	/* declared, 9= */
	uint32_t		 bodylen_real;	/* counted */
	uint8_t			 sum_declared;	/* 10= */
	uint8_t			 sum_real;	/* computed, delimiters as SOH */
	uint32_t		 i_msgtype;	/* index of 35, or nf if none */
	uint32_t		 ndata;		/* data fields read by length */
};

void	fixu_msg_init(struct fixu_msg *);
void	fixu_msg_fini(struct fixu_msg *);

/* Flags for fixu_msg_parse(). */
#define FIXU_PARSE_NOCHECK	0x1	/* skip BodyLength/CheckSum checks */

/*
 * Split p[0..n) (one framed message, or any run of fields when
 * FIXU_PARSE_NOCHECK is given) into fields.  lm may be NULL (the standard
 * pairs are used).  Checks that fields are tag=value with positive decimal
 * tags, that 8, 9 and 35 come first and 10 last, and the declared BodyLength
 * and CheckSum against the real ones.  On FIXU_EBODYLEN or FIXU_ECHECKSUM all
 * fields are parsed and m is usable; on other errors m holds the fields
 * before the fault.
 */
int	fixu_msg_parse(struct fixu_msg *, const char *p, size_t n, char delim,
	    const struct fixu_lenmap *lm, int flags, struct fixu_diag *);

/* First field with this tag at index >= from, or -1. */
long	fixu_msg_find(const struct fixu_msg *, uint32_t tag, uint32_t from);
/* Value view of the first field with this tag; {NULL, 0} if absent. */
struct fixu_str fixu_msg_get(const struct fixu_msg *, uint32_t tag);

/* Sum of bytes modulo 256, counting each byte equal to delim as SOH. */
uint8_t	fixu_checksum(const char *p, size_t n, char delim);

struct fixu_builder {
	struct fixu_buf	b;
	char		begin[40];
	size_t		beginlen;
	size_t		body;	/* offset of the body in b */
	uint32_t	nfields; /* body fields so far: one delimiter each */
	char		delim;
	int64_t		tsec;	/* second whose text tdate holds, +1 */
	char		tdate[17]; /* "YYYYMMDD-HH:MM:SS" of tsec - 1 */
};

void	fixu_build_init(struct fixu_builder *);
void	fixu_build_fini(struct fixu_builder *);
/* Start a message; delim is SOH for the wire. */
int	fixu_build_begin(struct fixu_builder *, const char *beginstring,
	    size_t n, char delim);
int	fixu_build_add(struct fixu_builder *, uint32_t tag, const char *v,
	    size_t n);
int	fixu_build_add_str(struct fixu_builder *, uint32_t tag, const char *);
int	fixu_build_add_u64(struct fixu_builder *, uint32_t tag, uint64_t);
/* UTCTIMESTAMP with 0, 3, 6 or 9 decimals. */
int	fixu_build_add_time(struct fixu_builder *, uint32_t tag,
	    const struct timespec *, int decimals);
/* Prepend 8= and 9=, append 10=; out views the whole message. */
int	fixu_build_finish(struct fixu_builder *, struct fixu_str *out);

/* "YYYYMMDD-HH:MM:SS[.fff[fff[fff]]]" into out (at least 31 bytes). */
size_t	fixu_time_fmt(char *out, const struct timespec *, int decimals);
/* Parse UTCTIMESTAMP; decimals may be 0..9 digits.  Returns 0 or FIXU_EINVAL. */
int	fixu_time_parse(const char *, size_t, struct timespec *);

#endif
