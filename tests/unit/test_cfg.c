/*
 * test_cfg.c -- QuickFIX-style settings files: sections, fallback to
 * [DEFAULT], trimming, comments, line numbers, errors and limits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "tap.h"

static struct fixu_cfg *
parse(const char *text, struct fixu_diag *d)
{
	struct fixu_cfg *c = NULL;

	(void)fixu_cfg_parse(&c, "t.cfg", text, strlen(text), d);
	return c;
}

/* The error code of parsing text; its line in *line. */
static int
parse_err(const char *text, size_t *line)
{
	struct fixu_cfg *c = NULL;
	struct fixu_diag d;
	int rc;

	rc = fixu_cfg_parse(&c, "t.cfg", text, strlen(text), &d);
	*line = d.off;
	fixu_cfg_free(c);
	return rc;
}

static void
test_basic(void)
{
	static const char text[] =
	    "# acceptor settings\n"
	    "[DEFAULT]\n"
	    "ConnectionType=acceptor\n"
	    "  BeginString = FIX.4.4  \n"
	    "SenderCompID=EXEC\n"
	    "StorePath=/var/lib/fix/store.db\n"
	    "\n"
	    "[SESSION]\n"
	    "TargetCompID=CLIENT1\n"
	    "SocketAcceptPort=9878\n"
	    "\t# indented comment\n"
	    "[session]\r\n"
	    "TargetCompID=CLIENT2\r\n"
	    "SessionQualifier=B\r\n"
	    "BeginString=FIX.4.2\r\n"
	    "Empty=\n"
	    "Url=http://x/?a=b#c\n";
	struct fixu_cfg *c;
	struct fixu_diag d;
	const char *k, *v;
	unsigned line = 0;
	char id[240];

	c = parse(text, &d);
	ok(c != NULL, "parse a two-session file");
	if (c == NULL)
		return;
	is_str(fixu_cfg_name(c), "t.cfg", "name kept");
	is_int(fixu_cfg_nsessions(c), 2, "two sessions");
	is_int(fixu_cfg_session_line(c, 0), 8, "first [SESSION] on line 8");
	is_int(fixu_cfg_session_line(c, 1), 12, "second [session] on line 12");
	is_int(fixu_cfg_session_line(c, 2), 0, "no third session");
	is_str(fixu_cfg_get(c, 0, "TargetCompID", &line), "CLIENT1",
	    "own key");
	is_int(line, 9, "  from line 9");
	is_str(fixu_cfg_get(c, 0, "BeginString", &line), "FIX.4.4",
	    "fallback to [DEFAULT], trimmed");
	is_int(line, 4, "  from line 4");
	is_str(fixu_cfg_get(c, 1, "BeginString", NULL), "FIX.4.2",
	    "session overrides [DEFAULT]");
	is_str(fixu_cfg_get(c, 1, "TargetCompID", NULL), "CLIENT2",
	    "CRLF line endings");
	ok(fixu_cfg_get(c, 0, "targetcompid", NULL) == NULL,
	    "keys are case-sensitive");
	ok(fixu_cfg_get(c, 0, "SessionQualifier", NULL) == NULL,
	    "a key of another session is not seen");
	is_str(fixu_cfg_get(c, 1, "Empty", NULL), "", "empty value");
	is_str(fixu_cfg_get(c, 1, "Url", NULL), "http://x/?a=b#c",
	    "value split at the first '=', '#' kept inside a value");
	is_str(fixu_cfg_get(c, FIXU_CFG_DEFAULT, "StorePath", &line),
	    "/var/lib/fix/store.db", "[DEFAULT] only");
	is_int(line, 6, "  from line 6");
	ok(fixu_cfg_get(c, FIXU_CFG_DEFAULT, "TargetCompID", NULL) == NULL,
	    "[DEFAULT] does not see session keys");
	ok(fixu_cfg_get(c, 7, "BeginString", NULL) == NULL,
	    "no such session: NULL");

	is_int(fixu_cfg_key(c, 0, 0, &k, &v, &line), 0, "first key of 0");
	is_str(k, "TargetCompID", "  its name");
	is_str(v, "CLIENT1", "  its value");
	is_int(fixu_cfg_key(c, 0, 2, &k, &v, &line), FIXU_ENOTFOUND,
	    "past the last key of 0");
	is_int(fixu_cfg_key(c, FIXU_CFG_DEFAULT, 3, &k, &v, &line), 0,
	    "fourth key of [DEFAULT]");
	is_str(k, "StorePath", "  its name");

	is_int(fixu_cfg_sessid(c, 0, id, sizeof(id), &d), 0, "sessid 0");
	is_str(id, "FIX.4.4:EXEC->CLIENT1", "  without qualifier");
	is_int(fixu_cfg_sessid(c, 1, id, sizeof(id), &d), 0, "sessid 1");
	is_str(id, "FIX.4.2:EXEC->CLIENT2:B", "  with qualifier");
	is_int(fixu_cfg_sessid(c, 1, id, 10, &d), FIXU_ELIMIT,
	    "sessid into a short buffer: ELIMIT");
	is_int(fixu_cfg_sessid(c, 2, id, sizeof(id), &d), FIXU_ENOTFOUND,
	    "sessid of no session: ENOTFOUND");
	fixu_cfg_free(c);
}

static void
test_errors(void)
{
	size_t line;
	char *big;
	size_t n;

	is_int(parse_err("[DEFAULT]\nA=1\njunk\n", &line), FIXU_ESYNTAX,
	    "a line that is not Key=Value");
	is_int(line, 3, "  on line 3");
	is_int(parse_err("[DEFAULT]\n[SESSIONS]\n", &line), FIXU_ESYNTAX,
	    "unknown section name");
	is_int(line, 2, "  on line 2");
	is_int(parse_err("[DEFAULT]\n\n=x\n", &line), FIXU_ESYNTAX,
	    "empty key");
	is_int(line, 3, "  on line 3");
	is_int(parse_err("[DEFAULT]\n  \t= x\n", &line), FIXU_ESYNTAX,
	    "blank key");
	is_int(parse_err("A=1\n[DEFAULT]\n", &line), FIXU_ESYNTAX,
	    "key before any section");
	is_int(line, 1, "  on line 1");
	is_int(parse_err("[SESSION\n", &line), FIXU_ESYNTAX,
	    "header without ']'");
	is_int(parse_err("[SESSION]\nA=1\nA=2\n", &line), FIXU_ESYNTAX,
	    "duplicate key in a section");
	is_int(line, 3, "  on line 3");
	is_int(parse_err("[SESSION]\nA=1\n[SESSION]\nA=2\n", &line), 0,
	    "the same key in two sessions is fine");
	is_int(parse_err("[DEFAULT]\nA=1\n[SESSION]\n[DEFAULT]\nA=2\n",
	    &line), FIXU_ESYNTAX, "duplicate across two [DEFAULT]s");
	{
		static const char nul[] = "[DEFAULT]\nA=1\0x\n";
		struct fixu_cfg *c = NULL;
		struct fixu_diag d;

		is_int(fixu_cfg_parse(&c, "t", nul, sizeof(nul) - 1, &d),
		    FIXU_ESYNTAX, "NUL inside a line");
		is_int(d.off, 2, "  on line 2");
		ok(c == NULL, "  no cfg on error");
	}

	/* Limits. */
	n = FIXU_MAX_CFG_LINE + 20;
	big = malloc(n + 1);
	memcpy(big, "[DEFAULT]\nA=", 12);
	memset(big + 12, 'x', n - 12);
	big[n] = '\0';
	is_int(parse_err(big, &line), FIXU_ELIMIT, "line too long");
	is_int(line, 2, "  on line 2");
	free(big);
	big = calloc(1, FIXU_MAX_CFG_FILE + 2);
	memset(big, '\n', FIXU_MAX_CFG_FILE + 1);
	{
		struct fixu_cfg *c = NULL;

		is_int(fixu_cfg_parse(&c, "t", big, FIXU_MAX_CFG_FILE + 1,
		    NULL), FIXU_ELIMIT, "file too large");
		is_int(fixu_cfg_parse(&c, "t", big, FIXU_MAX_CFG_FILE, NULL),
		    0, "file at the limit");
		fixu_cfg_free(c);
	}
	free(big);
}

static void
test_sessid_missing(void)
{
	struct fixu_cfg *c;
	struct fixu_diag d;
	char id[240];

	c = parse("[DEFAULT]\nBeginString=FIX.4.4\n[SESSION]\n"
	    "SenderCompID=A\nTargetCompID=\n", &d);
	ok(c != NULL, "parse a session without TargetCompID value");
	if (c == NULL)
		return;
	is_int(fixu_cfg_sessid(c, 0, id, sizeof(id), &d), FIXU_ESYNTAX,
	    "sessid with an empty TargetCompID");
	is_int(d.off, 3, "  reported at the [SESSION] line");
	ok(strstr(d.msg, "TargetCompID") != NULL, "  names the key");
	fixu_cfg_free(c);
}

static void
test_load(void)
{
	char path[] = "/tmp/test_cfg.XXXXXX";
	struct fixu_cfg *c = NULL;
	struct fixu_diag d;
	int fd;

	is_int(fixu_cfg_load(&c, "/nonexistent/x.cfg", &d), FIXU_ENOTFOUND,
	    "load a missing file: ENOTFOUND");
	is_int(fixu_cfg_load(&c, "/", &d), FIXU_EIO,
	    "load a directory: EIO");
	fd = mkstemp(path);
	ok(fd >= 0, "temporary file");
	if (fd < 0)
		return;
	ok(write(fd, "[DEFAULT]\nStorePath=s.db\n", 25) == 25, "write it");
	close(fd);
	is_int(fixu_cfg_load(&c, path, &d), 0, "load it");
	if (c != NULL) {
		is_str(fixu_cfg_get(c, FIXU_CFG_DEFAULT, "StorePath", NULL),
		    "s.db", "  StorePath");
		is_str(fixu_cfg_name(c), path, "  name is the path");
		is_int(fixu_cfg_nsessions(c), 0, "  no sessions");
	}
	fixu_cfg_free(c);
	fixu_cfg_free(NULL);
	unlink(path);
	{
		struct fixu_cfg *e = NULL;

		is_int(fixu_cfg_parse(&e, NULL, "", 0, &d), 0,
		    "an empty file is valid");
		if (e != NULL)
			is_int(fixu_cfg_nsessions(e), 0, "  no sessions");
		fixu_cfg_free(e);
	}
}

int
main(void)
{
	test_basic();
	test_errors();
	test_sessid_missing();
	test_load();
	return tap_done();
}
