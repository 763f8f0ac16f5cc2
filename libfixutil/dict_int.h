/*
 * dict_int.h -- private structures shared by dict.c (loading, lookups) and
 * validate.c (layout and validation walk).  Not installed.
 *
 * Everything here is built once by the loader inside the dictionary's arena
 * and is read-only afterwards, so any number of threads may walk it.
 *
 * A layout is the flattened member list of a message, a group, the header or
 * the trailer, with components inlined: members in dictionary order (the
 * position is what group order and the seen bitmap use), and an
 * open-addressing hash from tag to position so that a membership test is one
 * multiply and usually one compare.  A group's delimiter is member 0.
 */
#ifndef FIXU_DICT_INT_H
#define FIXU_DICT_INT_H

#include <stdint.h>

#include "dict.h"

/* Most members of one layout once components are inlined. */
#define FIXU_DICT_MAX_MEMBERS	4096u
/*
 * Seen flags (a byte per member, not a bit: consecutive fields then never
 * wait on each other's read-modify-write) the validator keeps on its stack
 * for all open levels.
 */
#define FIXU_DICT_SEEN_BYTES	16384u
/* Tags below this are found through a direct array. */
#define FIXU_DICT_DIRECT	10000u
/* Deepest nesting of component references. */
#define FIXU_DICT_MAX_COMPDEPTH	64
/*
 * Most member expansions while loading one dictionary (FIX.5.0SP2 with
 * every component needs about 72,000): components that include each other
 * twice over must not take exponential time.
 */
#define FIXU_DICT_MAX_WORK	(2u << 20)

#define FIXU_HASH32(k)	((uint32_t)(k) * 0x9e3779b1u)
#define FIXU_HASH64(k)	((uint64_t)(k) * 0x9e3779b97f4a7c15ull)

struct fixu_dfld {
	struct fixu_dfield	 pub;	/* first: a fixu_dfield * is a dfld */
	uint64_t		 cbits[4]; /* one-char enums: bit c set */
	uint32_t		*elen;	/* strlen of each enum value */
	uint64_t		*eh;	/* short enum values packed, 0 = empty */
	uint32_t		 ehshift;
	uint32_t		 ehmask;
	uint32_t		 line;
};

struct fixu_dlay;

/* How the validator checks a member's value (enum fixu_chk in validate.c). */
enum {
	FIXU_CHK_NONE, FIXU_CHK_UINT, FIXU_CHK_FLOAT, FIXU_CHK_CHARENUM,
	FIXU_CHK_STRENUM, FIXU_CHK_TS, FIXU_CHK_OTHER
};

struct fixu_dmem {
	uint32_t		 tag;	/* 0: empty hash slot */
	uint16_t		 pos;	/* index in the layout's member list */
	uint8_t			 req;
	uint8_t			 chk;	/* FIXU_CHK_* | section << 4 */
	const struct fixu_dfld	*f;
	const struct fixu_dlay	*grp;	/* NumInGroup: the group's layout */
};

struct fixu_hslot {
	uint32_t	tag;	/* 0: empty */
	uint32_t	idx;
};

struct fixu_dlay {
	const struct fixu_dmem	*m;
	uint32_t		 n;
	uint32_t		 nreq;
	uint32_t		 shift;		/* hash: FIXU_HASH32(tag) >> shift */
	uint32_t		 mask;
	uint32_t		 height;	/* group levels at and below */
	const struct fixu_dmem	*h;		/* hash slots, copies of m[] */
};

struct fixu_dmsg {
	const char		*name;
	const char		*type;
	uint32_t		 typelen;
	int			 admin;
	const struct fixu_dlay	*lay;
	/* header, body and trailer of this dictionary in one table, the
	   section in each member's chk >> 4 */
	const struct fixu_dlay	*full;
};

struct fixu_shent {
	const char	*k;	/* NULL: empty */
	uint32_t	 kn;
	uint32_t	 h;
	uint32_t	 idx;
};

struct fixu_shash {
	struct fixu_shent	*s;
	uint32_t		 mask;
};

struct fixu_arena;

struct fixu_dict {
	struct fixu_arena	*arena;
	char			*path;
	char			 version[24];
	char			 applverid[4];
	int			 fixt;
	struct fixu_dfld	*f;		/* sorted by tag */
	uint32_t		 nf;
	uint32_t		*direct;	/* tag -> index + 1 */
	uint32_t		 ndirect;
	struct fixu_hslot	*big;		/* tags >= ndirect */
	uint32_t		 bigshift, bigmask;
	struct fixu_shash	 fname;
	struct fixu_dmsg	*msgs;
	uint32_t		 nmsgs;
	struct fixu_shash	 mtype, mname;
	uint64_t		*mt64;		/* MsgTypes up to 7 bytes packed */
	uint32_t		*mt64idx;
	uint32_t		 mt64shift, mt64mask;
	const struct fixu_dlay	*hdr, *trl;
	struct fixu_lenmap	 lm;
};

static inline const struct fixu_dmem *
fixu_lay_find(const struct fixu_dlay *l, uint32_t tag)
{
	const struct fixu_dmem *h = l->h;
	uint32_t i = FIXU_HASH32(tag) >> l->shift, t;

	while ((t = h[i].tag) != 0) {
		if (t == tag)
			return &h[i];
		i = (i + 1) & l->mask;
	}
	return NULL;
}

/* Short MsgTypes and enum values packed into one integer. */
static inline uint64_t
fixu_pack7(const char *v, size_t n)
{
	uint64_t k = (uint64_t)n << 56;
	size_t j;

	for (j = 0; j < n; j++)
		k |= (uint64_t)(unsigned char)v[j] << (8 * j);
	return k;
}

static inline const struct fixu_dfld *
fixu_dict_fld(const struct fixu_dict *d, uint32_t tag)
{
	uint32_t i, t;

	if (tag < d->ndirect) {
		i = d->direct[tag];
		return i ? &d->f[i - 1] : NULL;
	}
	if (d->big == NULL)
		return NULL;
	i = FIXU_HASH32(tag) >> d->bigshift;
	while ((t = d->big[i].tag) != 0) {
		if (t == tag)
			return &d->f[d->big[i].idx];
		i = (i + 1) & d->bigmask;
	}
	return NULL;
}

/* 1 when v[0..n) is one of f's enum values (f has enums). */
int	fixu_dfld_has_enum(const struct fixu_dfld *f, const char *v, size_t n);

#endif
