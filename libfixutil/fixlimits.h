/*
 * fixlimits.h -- every size limit of libfixutil in one place.
 *
 * Exceeding any of these is reported as FIXU_ELIMIT with a diagnostic that
 * names the limit; nothing is ever truncated silently.
 */
#ifndef FIXU_FIXLIMITS_H
#define FIXU_FIXLIMITS_H

/* Largest message, wire form, 8= to the delimiter after 10=. */
#define FIXU_MAX_MSG		(4u << 20)
/* Most digits accepted in BodyLength (9=); 7 covers FIXU_MAX_MSG. */
#define FIXU_MAX_BODYLEN_DIGITS	7
/* Most fields in one message. */
#define FIXU_MAX_FIELDS		65536u
/* Largest tag number (FIX tags are positive 32-bit integers). */
#define FIXU_MAX_TAG		2147483647u
/* Most digits in a tag. */
#define FIXU_MAX_TAG_DIGITS	10
/* Deepest nesting of repeating groups. */
#define FIXU_MAX_GROUP_DEPTH	32
/* Most validation issues collected for one message. */
#define FIXU_MAX_ISSUES		16
/* Longest readable-form line (escapes can triple a value). */
#define FIXU_MAX_LINE		(3u * FIXU_MAX_MSG + 4096u)
/* Longest BeginString value. */
#define FIXU_MAX_BEGINSTRING	32
/* Largest dictionary file. */
#define FIXU_MAX_DICT_FILE	(64u << 20)
/* Largest settings file, and longest line in one. */
#define FIXU_MAX_CFG_FILE	(4u << 20)
#define FIXU_MAX_CFG_LINE	4096u

#endif
