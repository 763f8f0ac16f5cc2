/*
 * cfg.c -- QuickFIX-style settings files.
 *
 * The whole file is copied into one buffer and cut in place: each key and
 * value becomes a NUL-terminated string inside it, so a parsed cfg is one
 * text buffer plus two small arrays (sections and keys).  Sections are
 * few and lookups are rare (at start-up), so lookups are linear scans.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"

struct cfg_key {
	const char	*key;
	const char	*val;
	unsigned	 line;
};

struct cfg_sect {
	unsigned	 line;		/* of the header */
	size_t		 first, n;	/* keys[first .. first + n) */
};

struct fixu_cfg {
	char		*name;
	char		*text;
	struct cfg_key	*keys;
	size_t		 nkeys, capkeys;
	struct cfg_sect	 def;		/* [DEFAULT]: keys are not contiguous */
	struct cfg_sect	*sess;
	size_t		 nsess, capsess;
	/* [DEFAULT] keys, as indexes into keys (it may appear twice). */
	size_t		*defkeys;
	size_t		 ndef, capdef;
};

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	if ((np = realloc(*p, ncap * size)) == NULL)
		return FIXU_ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static char *
trim(char *s, char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	return s;
}

void
fixu_cfg_free(struct fixu_cfg *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->text);
	free(c->keys);
	free(c->sess);
	free(c->defkeys);
	free(c);
}

/* Section kinds while parsing. */
enum { IN_NONE, IN_DEFAULT, IN_SESSION };

static int
add_key(struct fixu_cfg *c, int in, const char *key, const char *val,
    unsigned line, struct fixu_diag *d)
{
	size_t i, k;

	if (in == IN_DEFAULT) {
		for (i = 0; i < c->ndef; i++)
			if (strcmp(c->keys[c->defkeys[i]].key, key) == 0)
				goto dup;
	} else {
		struct cfg_sect *s = &c->sess[c->nsess - 1];

		for (i = s->first; i < s->first + s->n; i++)
			if (strcmp(c->keys[i].key, key) == 0)
				goto dup;
	}
	if (grow((void **)&c->keys, &c->capkeys, c->nkeys + 1,
	    sizeof(*c->keys)) < 0)
		return fixu_diag_set(d, FIXU_ENOMEM, line, 0, FIXU_REJ_NONE,
		    NULL);
	k = c->nkeys++;
	c->keys[k].key = key;
	c->keys[k].val = val;
	c->keys[k].line = line;
	if (in == IN_DEFAULT) {
		if (grow((void **)&c->defkeys, &c->capdef, c->ndef + 1,
		    sizeof(*c->defkeys)) < 0)
			return fixu_diag_set(d, FIXU_ENOMEM, line, 0,
			    FIXU_REJ_NONE, NULL);
		c->defkeys[c->ndef++] = k;
	} else
		c->sess[c->nsess - 1].n++;
	return 0;
dup:
	return fixu_diag_set(d, FIXU_ESYNTAX, line, 0, FIXU_REJ_NONE,
	    "key '%s' given twice in one section", key);
}

static int
parse_line(struct fixu_cfg *c, int *in, char *p, char *e, unsigned line,
    struct fixu_diag *d)
{
	char *s, *eq, *key, *val;

	s = trim(p, e);
	if (*s == '\0' || *s == '#')
		return 0;
	e = s + strlen(s);
	if (*s == '[') {
		if (e[-1] != ']')
			return fixu_diag_set(d, FIXU_ESYNTAX, line, 0,
			    FIXU_REJ_NONE, "section header without ']'");
		s = trim(s + 1, e - 1);
		if (strcasecmp(s, "DEFAULT") == 0) {
			*in = IN_DEFAULT;
			c->def.line = c->def.line ? c->def.line : line;
			return 0;
		}
		if (strcasecmp(s, "SESSION") != 0)
			return fixu_diag_set(d, FIXU_ESYNTAX, line, 0,
			    FIXU_REJ_NONE, "unknown section [%s]: use [DEFAULT] "
			    "or [SESSION]", s);
		if (grow((void **)&c->sess, &c->capsess, c->nsess + 1,
		    sizeof(*c->sess)) < 0)
			return fixu_diag_set(d, FIXU_ENOMEM, line, 0,
			    FIXU_REJ_NONE, NULL);
		c->sess[c->nsess].line = line;
		c->sess[c->nsess].first = c->nkeys;
		c->sess[c->nsess].n = 0;
		c->nsess++;
		*in = IN_SESSION;
		return 0;
	}
	if ((eq = strchr(s, '=')) == NULL)
		return fixu_diag_set(d, FIXU_ESYNTAX, line, 0, FIXU_REJ_NONE,
		    "neither a [section] nor Key=Value");
	key = trim(s, eq);
	val = trim(eq + 1, e);
	if (*key == '\0')
		return fixu_diag_set(d, FIXU_ESYNTAX, line, 0, FIXU_REJ_NONE,
		    "empty key");
	if (*in == IN_NONE)
		return fixu_diag_set(d, FIXU_ESYNTAX, line, 0, FIXU_REJ_NONE,
		    "%s= before the first [DEFAULT] or [SESSION]", key);
	/*
	 * In [DEFAULT] keys are stored in order but not contiguously, since
	 * a [SESSION] may come between two [DEFAULT] sections.  A session's
	 * keys are contiguous because a [SESSION] ends at the next header.
	 */
	return add_key(c, *in, key, val, line, d);
}

int
fixu_cfg_parse(struct fixu_cfg **out, const char *name, const char *text,
    size_t n, struct fixu_diag *d)
{
	struct fixu_cfg *c;
	char *p, *e, *nl;
	unsigned line = 0;
	int in = IN_NONE, rc;

	*out = NULL;
	fixu_diag_clear(d);
	if (n > FIXU_MAX_CFG_FILE)
		return fixu_diag_set(d, FIXU_ELIMIT, 0, 0, FIXU_REJ_NONE,
		    "settings file larger than %u bytes", FIXU_MAX_CFG_FILE);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->name = strdup(name ? name : "-")) == NULL ||
	    (c->text = malloc(n + 1)) == NULL) {
		fixu_cfg_free(c);
		return fixu_diag_set(d, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE,
		    NULL);
	}
	if (n > 0)
		memcpy(c->text, text, n);
	c->text[n] = '\0';
	p = c->text;
	e = c->text + n;
	while (p < e) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		if ((size_t)(nl - p) > FIXU_MAX_CFG_LINE) {
			rc = fixu_diag_set(d, FIXU_ELIMIT, line, 0,
			    FIXU_REJ_NONE, "line longer than %u bytes",
			    FIXU_MAX_CFG_LINE);
			goto fail;
		}
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			rc = fixu_diag_set(d, FIXU_ESYNTAX, line, 0,
			    FIXU_REJ_NONE, "NUL byte in the line");
			goto fail;
		}
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if ((rc = parse_line(c, &in, p, p + strlen(p), line, d)) < 0)
			goto fail;
		p = nl + 1;
	}
	*out = c;
	return 0;
fail:
	fixu_cfg_free(c);
	return rc;
}

int
fixu_cfg_load(struct fixu_cfg **out, const char *path, struct fixu_diag *d)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	*out = NULL;
	fixu_diag_clear(d);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fixu_diag_set(d, errno == ENOENT ? FIXU_ENOTFOUND :
		    FIXU_EIO, 0, 0, FIXU_REJ_NONE, "%s", strerror(errno));
	if (fstat(fd, &sb) < 0) {
		rc = fixu_diag_set(d, FIXU_EIO, 0, 0, FIXU_REJ_NONE, "%s",
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = fixu_diag_set(d, FIXU_EIO, 0, 0, FIXU_REJ_NONE, "%s",
		    S_ISDIR(sb.st_mode) ? "is a directory" :
		    "not a regular file");
		goto out;
	}
	if ((uint64_t)sb.st_size > FIXU_MAX_CFG_FILE) {
		rc = fixu_diag_set(d, FIXU_ELIMIT, 0, 0, FIXU_REJ_NONE,
		    "settings file larger than %u bytes", FIXU_MAX_CFG_FILE);
		goto out;
	}
	/* One byte more than the limit tells a file that grew meanwhile. */
	if ((buf = malloc(FIXU_MAX_CFG_FILE + 1)) == NULL) {
		rc = fixu_diag_set(d, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE, NULL);
		goto out;
	}
	while (len <= FIXU_MAX_CFG_FILE) {
		r = read(fd, buf + len, FIXU_MAX_CFG_FILE + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fixu_diag_set(d, FIXU_EIO, 0, 0, FIXU_REJ_NONE,
			    "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = fixu_cfg_parse(out, path, buf, len, d);
out:
	free(buf);
	close(fd);
	return rc;
}

const char *
fixu_cfg_name(const struct fixu_cfg *c)
{
	return c->name;
}

size_t
fixu_cfg_nsessions(const struct fixu_cfg *c)
{
	return c->nsess;
}

unsigned
fixu_cfg_session_line(const struct fixu_cfg *c, size_t i)
{
	return i < c->nsess ? c->sess[i].line : 0;
}

static const struct cfg_key *
find_default(const struct fixu_cfg *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->ndef; i++)
		if (strcmp(c->keys[c->defkeys[i]].key, key) == 0)
			return &c->keys[c->defkeys[i]];
	return NULL;
}

const char *
fixu_cfg_get(const struct fixu_cfg *c, size_t i, const char *key,
    unsigned *line)
{
	const struct cfg_key *k = NULL;
	size_t j;

	if (i != FIXU_CFG_DEFAULT && i < c->nsess) {
		for (j = c->sess[i].first; j < c->sess[i].first +
		    c->sess[i].n; j++)
			if (strcmp(c->keys[j].key, key) == 0) {
				k = &c->keys[j];
				break;
			}
	} else if (i != FIXU_CFG_DEFAULT)
		return NULL;
	if (k == NULL)
		k = find_default(c, key);
	if (k == NULL)
		return NULL;
	if (line != NULL)
		*line = k->line;
	return k->val;
}

int
fixu_cfg_key(const struct fixu_cfg *c, size_t i, size_t j, const char **key,
    const char **value, unsigned *line)
{
	const struct cfg_key *k;

	if (i == FIXU_CFG_DEFAULT) {
		if (j >= c->ndef)
			return FIXU_ENOTFOUND;
		k = &c->keys[c->defkeys[j]];
	} else {
		if (i >= c->nsess || j >= c->sess[i].n)
			return FIXU_ENOTFOUND;
		k = &c->keys[c->sess[i].first + j];
	}
	if (key != NULL)
		*key = k->key;
	if (value != NULL)
		*value = k->val;
	if (line != NULL)
		*line = k->line;
	return 0;
}

int
fixu_cfg_sessid(const struct fixu_cfg *c, size_t i, char *buf, size_t n,
    struct fixu_diag *d)
{
	static const char *const need[] = { "BeginString", "SenderCompID",
	    "TargetCompID" };
	const char *v[3], *q;
	size_t k;
	int w;

	fixu_diag_clear(d);
	if (i >= c->nsess)
		return fixu_diag_set(d, FIXU_ENOTFOUND, 0, 0, FIXU_REJ_NONE,
		    "no session %zu", i);
	for (k = 0; k < 3; k++) {
		v[k] = fixu_cfg_get(c, i, need[k], NULL);
		if (v[k] == NULL || *v[k] == '\0')
			return fixu_diag_set(d, FIXU_ESYNTAX, c->sess[i].line,
			    0, FIXU_REJ_NONE, "[SESSION] without %s", need[k]);
	}
	q = fixu_cfg_get(c, i, "SessionQualifier", NULL);
	if (q != NULL && *q != '\0')
		w = snprintf(buf, n, "%s:%s->%s:%s", v[0], v[1], v[2], q);
	else
		w = snprintf(buf, n, "%s:%s->%s", v[0], v[1], v[2]);
	if (w < 0 || (size_t)w >= n)
		return fixu_diag_set(d, FIXU_ELIMIT, c->sess[i].line, 0,
		    FIXU_REJ_NONE, "session id longer than %zu bytes",
		    n ? n - 1 : 0);
	return 0;
}
