/*
 * fixsim -- counterparties for load tests, scripts, drills and people.
 *
 * One program, one mode per invocation: "fixsim MODE [options] ...".  The
 * modes live in fixsim/MODE.c and share the session core of fixsim/sim.c;
 * this file only picks one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fixsim/sim.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*what;
} modes[] = {
	{ "load",	load_main,	"orders at a fixed rate from N sessions; "
					"latency and throughput" },
	{ "exchange",	exchange_main,	"the venue: acknowledge and fill orders "
					"(behind fixsession)" },
	{ "script",	script_main,	"run a send/expect script or a QuickFIX "
					".def file against an acceptor" },
	{ "replay",	replay_main,	"send the messages of a log with their "
					"pacing" },
	{ "console",	console_main,	"an interactive session with completion "
					"from the dictionary" },
};

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;
	size_t i;

	fprintf(f, "usage: fixsim MODE [options] [args]\n"
	    "       fixsim MODE -h    (the options of a mode)\n"
	    "modes:\n");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(f, "  %-9s %s\n", modes[i].name, modes[i].what);
	exit(status);
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		usage(CMD_EX_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(CMD_EX_OK);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[1], modes[i].name) == 0)
			return modes[i].fn(argc - 1, argv + 1);
	warnx("unknown mode '%s'", argv[1]);
	usage(CMD_EX_USAGE);
	return CMD_EX_USAGE;
}
