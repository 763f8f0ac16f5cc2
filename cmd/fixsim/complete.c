/*
 * complete.c -- fixsim console's view of the dictionary, and the tab
 * completion built on it (complete.h).
 *
 * dict.h does not list the fields of a message, so they are found by
 * asking fixu_dict_layout() where each field of the dictionary would sit
 * in a message of that type and in each of its groups, three levels
 * down; the answer is kept per type.  Completion then offers, for the
 * word under the cursor: the commands and message names as the first
 * word, enum descriptions (or message names after MsgType=) after
 * "Field=", the ClOrdIDs sent for cancel and replace, else the field
 * names of the line's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "fixutil.h"
#include "complete.h"
#include "console.h"
#include "util.h"

#define PROBE_DEPTH	3		/* group levels completion probes */

/* The fields a message type may carry, for completion. */
struct mfields {
	char		 type[16];
	uint32_t	*tags;
	size_t		 n, cap;
};

/* The commands of console.c, for the first word. */
static const char *const verbs[] = { "buy", "sell", "cancel", "replace",
    "logon", "logout", "show", "history", "help", "sleep", "quit", NULL };

/* ---- the dictionary ----------------------------------------------------- */

struct byname {
	const char		*s;
	size_t			 n;
	const struct fixu_dfield *df;
	const struct fixu_dmsg	*dm;
};

static void
field_ci(const struct fixu_dfield *df, void *arg)
{
	struct byname *b = arg;

	if (b->df == NULL && df->name != NULL && strlen(df->name) == b->n &&
	    strncasecmp(df->name, b->s, b->n) == 0)
		b->df = df;
}

static void
msg_ci(const struct fixu_dmsg *dm, void *arg)
{
	struct byname *b = arg;
	const char *name = fixu_dmsg_name(dm);

	if (b->dm == NULL && name != NULL && strlen(name) == b->n &&
	    strncasecmp(name, b->s, b->n) == 0)
		b->dm = dm;
}

/* A field by tag number or by name, exact or else in any case. */
const struct fixu_dfield *
complete_field_key(struct con *c, const char *k, size_t n, uint32_t *tag)
{
	const struct fixu_dfield *df;
	struct byname b = { k, n, NULL, NULL };
	uint64_t v;

	*tag = 0;
	if (n > 0 && fixu_parse_u64(k, n, &v) == 0) {
		if (v == 0 || v > FIXU_MAX_TAG)
			return NULL;
		*tag = (uint32_t)v;
		return util_dfield(c->tr, c->app, *tag);
	}
	df = util_dfield_byname(c->tr, c->app, k, n);
	if (df == NULL && c->app != NULL)
		fixu_dict_each_field(c->app, field_ci, &b);
	if (df == NULL && b.df == NULL && c->tr != NULL && c->tr != c->app)
		fixu_dict_each_field(c->tr, field_ci, &b);
	if (df == NULL)
		df = b.df;
	if (df != NULL)
		*tag = df->tag;
	return df;
}

/* A message type by name (any case) or by its MsgType value. */
const struct fixu_dmsg *
complete_msg_key(struct con *c, const char *k, size_t n)
{
	const struct fixu_dmsg *dm;
	struct byname b = { k, n, NULL, NULL };

	dm = util_dmsg_byname(c->tr, c->app, k, n);
	if (dm == NULL && c->app != NULL)
		fixu_dict_each_msg(c->app, msg_ci, &b);
	if (dm == NULL && b.dm == NULL && c->tr != NULL && c->tr != c->app)
		fixu_dict_each_msg(c->tr, msg_ci, &b);
	if (dm == NULL)
		dm = b.dm;
	if (dm == NULL)
		dm = util_dmsg(c->tr, c->app, k, n);
	return dm;
}

static void
all_add(const struct fixu_dfield *df, void *arg)
{
	struct con *c = arg;
	uint32_t *a;
	size_t cap;

	if (c->nall == c->capall) {
		cap = c->capall ? c->capall * 2 : 1024;
		if ((a = realloc(c->all, cap * sizeof(*a))) == NULL)
			err(CMD_EX_IO, "console");
		c->all = a;
		c->capall = cap;
	}
	c->all[c->nall++] = df->tag;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every tag of the dictionaries, once. */
static void
all_tags(struct con *c)
{
	size_t i, k;

	if (c->nall > 0 || c->app == NULL)
		return;
	fixu_dict_each_field(c->app, all_add, c);
	if (c->tr != NULL && c->tr != c->app)
		fixu_dict_each_field(c->tr, all_add, c);
	qsort(c->all, c->nall, sizeof(*c->all), cmp_u32);
	for (i = k = 0; i < c->nall; i++)
		if (k == 0 || c->all[k - 1] != c->all[i])
			c->all[k++] = c->all[i];
	c->nall = k;
}

struct probe {
	struct con	*c;
	const char	*type;
	uint32_t	 path[PROBE_DEPTH];
	char		*seen;		/* per index of c->all */
	struct mfields	*out;
};

static void
mf_add(struct mfields *mf, uint32_t tag)
{
	uint32_t *t;

	if (mf->n == mf->cap) {
		mf->cap = mf->cap ? mf->cap * 2 : 64;
		if ((t = realloc(mf->tags, mf->cap * sizeof(*t))) == NULL)
			err(CMD_EX_IO, "console");
		mf->tags = t;
	}
	mf->tags[mf->n++] = tag;
}

/*
 * Which fields sit at this level of the message (depth 0) or of the group
 * path[0..depth): "35=T|path=1|...|X=1|" laid out, X known at that depth.
 */
static void
probe(struct probe *p, int depth)
{
	struct con *c = p->c;
	const struct fixu_dfield *df;
	struct fixu_fpos pos[PROBE_DEPTH + 2];
	char b[256];
	size_t i, base, n;
	int k, r;

	r = snprintf(b, sizeof(b), "35=%s\001", p->type);
	if (r < 0 || (size_t)r >= sizeof(b))
		return;
	base = (size_t)r;
	for (k = 0; k < depth; k++) {
		r = snprintf(b + base, sizeof(b) - base, "%u=1\001",
		    p->path[k]);
		if (r < 0 || (size_t)r >= sizeof(b) - base)
			return;
		base += (size_t)r;
	}
	for (i = 0; i < c->nall; i++) {
		r = snprintf(b + base, sizeof(b) - base, "%u=1\001",
		    c->all[i]);
		if (r < 0 || (size_t)r >= sizeof(b) - base)
			continue;
		n = base + (size_t)r;
		if (fixu_msg_parse(&c->vm, b, n, FIXU_SOH, NULL,
		    FIXU_PARSE_NOCHECK, NULL) != 0 || c->vm.nf != (uint32_t)
		    depth + 2 || fixu_dict_layout(c->tr, c->app, &c->vm,
		    pos) != 0)
			continue;
		k = depth + 1;
		if (!pos[k].known || pos[k].depth != depth ||
		    pos[k].section == FIXU_SEC_TRAILER ||
		    (depth == 0 && conmsg_own_tag(c->all[i])))
			continue;
		if (!p->seen[i]) {
			p->seen[i] = 1;
			mf_add(p->out, c->all[i]);
		}
		df = util_dfield(c->tr, c->app, c->all[i]);
		if (df != NULL && df->type == FIXU_T_NUMINGROUP &&
		    depth + 1 < PROBE_DEPTH) {
			p->path[depth] = c->all[i];
			probe(p, depth + 1);
		}
	}
}

/* The fields of message type t, found once and kept. */
static const struct mfields *
msg_fields(struct con *c, const char *t)
{
	struct mfields *mf;
	struct probe p;
	size_t i;

	if (c->tr == NULL || strlen(t) >= sizeof(mf->type))
		return NULL;	/* and so the copy below fits */
	for (i = 0; i < c->nmf; i++)
		if (strcmp(c->mf[i].type, t) == 0)
			return &c->mf[i];
	all_tags(c);
	if ((mf = realloc(c->mf, (c->nmf + 1) * sizeof(*mf))) == NULL)
		err(CMD_EX_IO, "console");
	c->mf = mf;
	mf = &c->mf[c->nmf++];
	memset(mf, 0, sizeof(*mf));
	(void)util_copy(mf->type, sizeof(mf->type), t);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.type = t;
	p.out = mf;
	if ((p.seen = calloc(c->nall + 1, 1)) == NULL)
		err(CMD_EX_IO, "console");
	probe(&p, 0);
	free(p.seen);
	return mf;
}

int
complete_msg_has(struct con *c, const char *type, uint32_t tag)
{
	const struct mfields *mf = msg_fields(c, type);
	size_t i;

	if (mf == NULL)
		return 1;	/* no dictionary: send what we would */
	for (i = 0; i < mf->n; i++)
		if (mf->tags[i] == tag)
			return 1;
	return 0;
}

/* ---- completion --------------------------------------------------------- */

static void
cands_clear(struct cands *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		free(cs->v[i]);
	cs->n = 0;
	cs->noappend = 0;
}

void
complete_cands_free(struct cands *cs)
{
	cands_clear(cs);
	free(cs->v);
	cs->v = NULL;
	cs->cap = 0;
}

/* Add s + suffix when s starts with the n bytes of w (in any case). */
static void
cand(struct cands *cs, const char *w, size_t n, const char *s,
    const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	char **v, *t;

	if (ls < n || strncasecmp(s, w, n) != 0)
		return;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 64;

		if ((v = realloc(cs->v, cap * sizeof(*v))) == NULL)
			err(CMD_EX_IO, "console");
		cs->v = v;
		cs->cap = cap;
	}
	if ((t = malloc(ls + lx + 1)) == NULL)
		err(CMD_EX_IO, "console");
	memcpy(t, s, ls);
	memcpy(t + ls, suffix, lx + 1);
	cs->v[cs->n++] = t;
}

struct msgcand {
	struct cands	*cs;
	const char	*w;
	size_t		 n;
};

static void
msg_cand(const struct fixu_dmsg *dm, void *arg)
{
	struct msgcand *mc = arg;

	/* Of the administrative messages only Reject is ours to send. */
	if (fixu_dmsg_is_admin(dm) && strcmp(fixu_dmsg_type(dm), "3") != 0)
		return;
	cand(mc->cs, mc->w, mc->n, fixu_dmsg_name(dm), "");
}

static void
msg_cands(struct con *c, struct cands *cs, const char *w, size_t n)
{
	struct msgcand mc = { cs, w, n };

	if (c->app != NULL)
		fixu_dict_each_msg(c->app, msg_cand, &mc);
	if (c->tr != NULL && c->tr != c->app)
		fixu_dict_each_msg(c->tr, msg_cand, &mc);
}

static void
field_cands(struct con *c, struct cands *cs, const char *type, const char *w,
    size_t n)
{
	const struct mfields *mf = type != NULL ? msg_fields(c, type) : NULL;
	const struct fixu_dfield *df;
	const uint32_t *tags;
	size_t i, nt;

	if (mf != NULL && mf->n > 0) {
		tags = mf->tags;
		nt = mf->n;
	} else {
		all_tags(c);
		tags = c->all;
		nt = c->nall;
	}
	for (i = 0; i < nt; i++)
		if ((df = util_dfield(c->tr, c->app, tags[i])) != NULL &&
		    df->name != NULL && !conmsg_own_tag(df->tag))
			cand(cs, w, n, df->name, "=");
}

static int
is_break(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '|' || ch == '=';
}

/*
 * The message type a line is about: its first word as a message name,
 * or a 35= / MsgType= field before the cursor.  Empty when none.
 */
static void
line_type(struct con *c, const char *l, size_t end, char *type, size_t size)
{
	const struct fixu_dmsg *dm = NULL;
	size_t s = 0, e, k;

	type[0] = '\0';
	while (s < end && util_is_blank(l[s]))
		s++;
	for (e = s; e < end && !util_is_blank(l[e]) && l[e] != '|' &&
	    l[e] != '='; e++)
		;
	if (e < end && l[e] != '=' && e > s)
		dm = complete_msg_key(c, l + s, e - s);
	for (k = 0; dm == NULL && k < end; k++) {
		size_t ks = k, ke, vs, ve;

		if (k > 0 && !util_is_blank(l[k - 1]) && l[k - 1] != '|')
			continue;
		for (ke = ks; ke < end && l[ke] != '=' &&
		    !util_is_blank(l[ke]) && l[ke] != '|'; ke++)
			;
		if (ke >= end || l[ke] != '=' || !((ke - ks == 2 &&
		    memcmp(l + ks, "35", 2) == 0) || (ke - ks == 7 &&
		    memcmp(l + ks, "MsgType", 7) == 0)))
			continue;
		for (vs = ve = ke + 1; ve < end && !util_is_blank(l[ve]) &&
		    l[ve] != '|'; ve++)
			;
		if (ve > vs)
			dm = complete_msg_key(c, l + vs, ve - vs);
	}
	/* No MsgType is that long: one that is stands for none. */
	if (dm != NULL && util_copy(type, size, fixu_dmsg_type(dm)) != 0)
		type[0] = '\0';
}

/*
 * Candidates for the word that ends at end in l: the first word (verbs and
 * message names), a value after "Field=" (enum descriptions, message names
 * after MsgType=), else the field names of the line's message.
 */
static void
candidates(struct con *c, const char *l, size_t end, struct cands *cs)
{
	const struct fixu_dfield *df;
	char type[16], first[16];
	size_t ws = end, ks, fs, fe, nw = 0, i;
	uint32_t tag, k;

	cands_clear(cs);
	while (ws > 0 && !is_break(l[ws - 1]))
		ws--;
	for (i = 0; i < ws; i++)
		if (!util_is_blank(l[i]) && (i == 0 || util_is_blank(l[i - 1])))
			nw++;		/* words before this one */
	for (fs = 0; fs < end && util_is_blank(l[fs]); fs++)
		;
	for (fe = fs; fe < end && !is_break(l[fe]); fe++)
		;
	/* No command is that long: a first word that is is none of them. */
	if (util_copy_str(first, sizeof(first),
	    (struct fixu_str){ l + fs, fe - fs }) != 0)
		first[0] = '\0';
	if (ws > 0 && l[ws - 1] == '=') {
		for (ks = ws - 1; ks > 0 && !util_is_blank(l[ks - 1]) &&
		    l[ks - 1] != '|'; ks--)
			;
		df = complete_field_key(c, l + ks, ws - 1 - ks, &tag);
		if (tag == 35) {
			msg_cands(c, cs, l + ws, end - ws);
			return;
		}
		for (k = 0; df != NULL && k < df->nenums; k++)
			cand(cs, l + ws, end - ws, df->enums[k].desc, "");
		return;
	}
	if (nw == 0) {
		for (i = 0; verbs[i] != NULL; i++)
			cand(cs, l + ws, end - ws, verbs[i], "");
		msg_cands(c, cs, l + ws, end - ws);
		return;
	}
	if ((strcmp(first, "cancel") == 0 || strcmp(first, "replace") == 0) &&
	    nw == 1) {
		for (i = 0; i < c->nord; i++)
			cand(cs, l + ws, end - ws, c->ord[i].cur, "");
		return;
	}
	if (strcmp(first, "replace") == 0) {
		cand(cs, l + ws, end - ws, "qty", "");
		cand(cs, l + ws, end - ws, "px", "");
		field_cands(c, cs, "G", l + ws, end - ws);
		return;
	}
	if (strcmp(first, "cancel") == 0)
		field_cands(c, cs, "F", l + ws, end - ws);
	else if (strcmp(first, "buy") == 0 || strcmp(first, "sell") == 0) {
		if (nw >= 3)
			field_cands(c, cs, "D", l + ws, end - ws);
	} else {
		line_type(c, l, end, type, sizeof(type));
		field_cands(c, cs, type[0] ? type : NULL, l + ws, end - ws);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The candidates, sorted, each once (both dictionaries of FIXT.1.1 may
   name a message). */
void
complete_line(struct con *c, const char *l, size_t end, struct cands *cs)
{
	size_t i, k;

	candidates(c, l, end, cs);
	qsort(cs->v, cs->n, sizeof(*cs->v), cmp_str);
	for (i = k = 0; i < cs->n; i++) {
		if (k > 0 && strcmp(cs->v[k - 1], cs->v[i]) == 0)
			free(cs->v[i]);
		else
			cs->v[k++] = cs->v[i];
	}
	cs->n = k;
	/* "Field=" goes on with its value: no blank after it. */
	cs->noappend = cs->n > 0;
	for (i = 0; i < cs->n; i++)
		if ((k = strlen(cs->v[i])) == 0 || cs->v[i][k - 1] != '=')
			cs->noappend = 0;
}

/* --complete LINE: the candidates for the end of LINE, one a line. */
int
complete_print(struct con *c, const char *line)
{
	struct cands cs = { NULL, 0, 0, 0 };
	size_t i;

	complete_line(c, line, strlen(line), &cs);
	for (i = 0; i < cs.n; i++)
		printf("%s\n", cs.v[i]);
	complete_cands_free(&cs);
	return fflush(stdout) == 0 ? CMD_EX_OK : CMD_EX_IO;
}

void
complete_fini(struct con *c)
{
	size_t i;

	for (i = 0; i < c->nmf; i++)
		free(c->mf[i].tags);
	free(c->mf);
	free(c->all);
	c->mf = NULL;
	c->all = NULL;
	c->nmf = c->nall = c->capall = 0;
}
