/*
 * at_echo -- the acceptance suite's application as a line program for
 * fixsession: inbound application messages come one per line on stdin
 * (wire form ending with SOH), the replies go one per line to stdout as a
 * field run from 35= on, which fixsession completes with its header.
 *
 * When fixsession serves several sessions over one pipe each line starts
 * with the session id and a tab; a reply carries the same prefix, and
 * every session id gets its own echo state (the ClOrdIDs it has seen).
 * A line that starts with "8=" has no prefix.  Every reply is flushed at
 * once: fixsession waits for it before the test's next step.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"

struct sess {
	char		*id;
	size_t		 n;
	struct at_echo	*echo;
};

struct out {
	const char	*prefix;
	size_t		 n;
};

static struct sess	*sess;
static size_t		 nsess, capsess;

static struct at_echo *
lookup(const char *id, size_t n)
{
	struct sess *v;
	size_t i, cap;

	for (i = 0; i < nsess; i++)
		if (sess[i].n == n && memcmp(sess[i].id, id, n) == 0)
			return sess[i].echo;
	if (nsess == capsess) {
		cap = capsess ? capsess * 2 : 8;
		if ((v = realloc(sess, cap * sizeof(*v))) == NULL)
			err(5, NULL);
		sess = v;
		capsess = cap;
	}
	if ((sess[nsess].id = malloc(n + 1)) == NULL)
		err(5, NULL);
	memcpy(sess[nsess].id, id, n);
	sess[nsess].n = n;
	if ((sess[nsess].echo = at_echo_new()) == NULL)
		err(5, NULL);
	return sess[nsess++].echo;
}

static void
emit(void *arg, const char *msg, size_t n)
{
	const struct out *o = arg;

	if ((o->n > 0 && (fwrite(o->prefix, 1, o->n, stdout) != o->n ||
	    putchar('\t') == EOF)) || fwrite(msg, 1, n, stdout) != n ||
	    putchar('\n') == EOF || fflush(stdout) == EOF)
		err(5, "stdout");
}

int
main(int argc, char *argv[])
{
	char *line = NULL, *p, *tab;
	size_t cap = 0, n;
	ssize_t len;
	unsigned long lineno = 0;
	struct out o;
	size_t i;

	if (argc > 1) {
		fprintf(stderr, "usage: at_echo < inbound > replies\n");
		return strcmp(argv[1], "-h") == 0 ? 0 : 2;
	}
	while ((len = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		n = (size_t)len;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		p = line;
		o.prefix = "";
		o.n = 0;
		if (!(n >= 2 && p[0] == '8' && p[1] == '=') &&
		    (tab = memchr(p, '\t', n)) != NULL) {
			o.prefix = p;
			o.n = (size_t)(tab - p);
			p = tab + 1;
			n -= o.n + 1;
		}
		if (at_echo(lookup(o.prefix, o.n), p, n, emit, &o) != 0)
			warnx("stdin:%lu: not a FIX message: dropped", lineno);
	}
	if (ferror(stdin))
		err(5, "stdin");
	free(line);
	for (i = 0; i < nsess; i++) {
		at_echo_free(sess[i].echo);
		free(sess[i].id);
	}
	free(sess);
	return 0;
}
