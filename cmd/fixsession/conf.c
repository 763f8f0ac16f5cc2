/*
 * conf.c -- fixsession's settings file: a QuickFIX-style file read into one
 * struct fixu_eng_sess per [SESSION].
 *
 * Two passes.  The first looks at every key of every section, [DEFAULT]
 * included, without regard to any session: a key fixsession reads is
 * passed over, a QuickFIX key that has no effect here gets a warning that
 * says why, a key nobody knows gets "unknown key", and the few keys that
 * would silently change what the user expects (TLS, a store per session)
 * are errors.  The second pass builds each session from the keys it sees
 * (its own section, else [DEFAULT]), checks every value it reads, and
 * loads the schedules and dictionaries the session points to.  The first
 * bad value ends the load: FIXU_ESYNTAX with d->msg "file:line: Key: what"
 * and d->off the line, so that fixsession exits 3 before it opens the
 * store or a socket.
 *
 * Defaults are QuickFIX's wherever QuickFIX has the key; fixsession.conf(5)
 * lists every key and how it compares.  A warning is given once per line
 * and text, so a [DEFAULT] key that every session reads warns once.
 *
 * Dictionaries named by a path are read once per path (c->owned) or, for a
 * FIXT.1.1 session with its own application dictionaries, into a private
 * fixu_dicts (c->owned_sets) shared by the sessions that name the same
 * files; everything else comes from the shared search path, c->dicts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "fixsession.h"

#define CONF_PATH_MAX	4096

struct ld {
	struct fs_conf		*c;
	const char		*name;		/* the settings file */
	char			 dir[CONF_PATH_MAX]; /* its directory; "" */
	const char		*dictpath;
	void			(*warn)(const char *, void *);
	void			*warnarg;
	struct fixu_diag	*d;
	/* warnings given, as line and hash of the text */
	uint64_t		*warned;
	size_t			 nwarned;
	/* one key per c->owned_sets entry: its files, '\n'-separated */
	char			**setkeys;
	int			 mode_checked;
};

/* ---- messages -------------------------------------------------------------- */

static uint64_t
hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void lwarn(struct ld *, unsigned, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
lwarn(struct ld *L, unsigned line, const char *fmt, ...)
{
	char text[400], msg[600];
	uint64_t h, *nw;
	va_list ap;
	size_t i;

	if (L->warn == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* A warning is advisory: cutting a long one is harmless. */
	(void)snprintf(msg, sizeof(msg), "%s:%u: %s", L->name, line, text);
	h = hash_text(msg);
	for (i = 0; i < L->nwarned; i++)
		if (L->warned[i] == h)
			return;
	if ((nw = realloc(L->warned, (L->nwarned + 1) * sizeof(*nw))) != NULL) {
		L->warned = nw;
		L->warned[L->nwarned++] = h;
	}
	L->warn(msg, L->warnarg);
}

static int lerr(struct ld *, unsigned, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* A bad value: "file:line: key: what". */
static int
lerr(struct ld *L, unsigned line, const char *key, const char *fmt, ...)
{
	char text[sizeof(L->d->msg)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return fixu_diag_set(L->d, FIXU_ESYNTAX, line, 0, FIXU_REJ_NONE,
	    "%s:%u: %s: %s", L->name, line, key, text);
}

static int
nomem(struct ld *L)
{
	return fixu_diag_set(L->d, FIXU_ENOMEM, 0, 0, FIXU_REJ_NONE,
	    "%s: out of memory", L->name);
}

/* ---- the keys -------------------------------------------------------------- */

enum kind {
	K_USED,		/* read when a session is built */
	K_DEFAULT,	/* fixutil's own, [DEFAULT] only (why: the reason
			   when not the shared store) */
	K_IGNORED,	/* QuickFIX's, no effect here: warn why */
	K_IGNORED_PREFIX /* as K_IGNORED, for every key starting so */
};

struct key {
	const char	*name;
	enum kind	 kind;
	const char	*why;
};

#define WHY_STORE	"fixutil keeps its store in SQLite (StorePath); ignored"
#define WHY_LOG		"fixsession writes events to stderr and to the " \
			"store, and messages with -l; ignored"
#define WHY_SCREEN	"fixsession writes events to stderr (-q turns them " \
			"off); ignored"
#define WHY_TLS		"fixsession does not speak TLS (put a TLS proxy " \
			"such as stunnel in front of it); ignored"
#define WHY_BUF		"fixsession leaves socket buffer sizes to the " \
			"kernel; ignored"
#define WHY_SUBID	"not supported: a session is told apart by its " \
			"BeginString, CompIDs and SessionQualifier; ignored"
#define WHY_LOGONTIME	"not supported: a session logs on and out at " \
			"StartTime and EndTime; ignored"

static const struct key keys[] = {
	{ "BeginString", K_USED, NULL },
	{ "SenderCompID", K_USED, NULL },
	{ "TargetCompID", K_USED, NULL },
	{ "SessionQualifier", K_USED, NULL },
	{ "ConnectionType", K_USED, NULL },
	{ "DefaultApplVerID", K_USED, NULL },
	{ "SocketAcceptPort", K_USED, NULL },
	{ "SocketAcceptAddress", K_USED, NULL },
	{ "SocketConnectHost", K_USED, NULL },
	{ "SocketConnectPort", K_USED, NULL },
	{ "SocketNodelay", K_USED, NULL },
	{ "SocketUseSSL", K_USED, NULL },
	{ "HeartBtInt", K_USED, NULL },
	{ "ReconnectInterval", K_USED, NULL },
	{ "LogonTimeout", K_USED, NULL },
	{ "LogoutTimeout", K_USED, NULL },
	{ "ResetOnLogon", K_USED, NULL },
	{ "ResetOnLogout", K_USED, NULL },
	{ "ResetOnDisconnect", K_USED, NULL },
	{ "RefreshOnLogon", K_USED, NULL },
	{ "SendRedundantResendRequests", K_USED, NULL },
	{ "CheckCompID", K_USED, NULL },
	{ "CheckLatency", K_USED, NULL },
	{ "MaxLatency", K_USED, NULL },
	{ "ResendRequestChunkSize", K_USED, NULL },
	{ "PersistMessages", K_USED, NULL },
	{ "EnableNextExpectedMsgSeqNum", K_USED, NULL },
	{ "TimestampPrecision", K_USED, NULL },
	{ "MillisecondsInTimeStamp", K_USED, NULL },
	{ "UseDataDictionary", K_USED, NULL },
	{ "DataDictionary", K_USED, NULL },
	{ "TransportDataDictionary", K_USED, NULL },
	{ "AppDataDictionary", K_USED, NULL },
	{ "ValidateLengthAndChecksum", K_USED, NULL },
	{ "ValidateFieldsOutOfOrder", K_USED, NULL },
	{ "ValidateFieldsHaveValues", K_USED, NULL },
	{ "ValidateUserDefinedFields", K_USED, NULL },
	{ "ValidateUnorderedGroupFields", K_USED, NULL },
	{ "AllowUnknownMsgFields", K_USED, NULL },
	{ "StartTime", K_USED, NULL },
	{ "EndTime", K_USED, NULL },
	{ "StartDay", K_USED, NULL },
	{ "EndDay", K_USED, NULL },
	{ "Weekdays", K_USED, NULL },
	{ "TimeZone", K_USED, NULL },
	{ "UseLocalTime", K_USED, NULL },
	{ "NonStopSession", K_USED, NULL },
	{ "Username", K_USED, NULL },
	{ "Password", K_USED, NULL },
	{ "StorePath", K_DEFAULT, NULL },
	{ "StoreDurability", K_DEFAULT, NULL },
	{ "StoreLog", K_DEFAULT, NULL },
	{ "CpuDmaLatency", K_DEFAULT, "it holds for the whole process" },

	{ "SenderSubID", K_IGNORED, WHY_SUBID },
	{ "SenderLocationID", K_IGNORED, WHY_SUBID },
	{ "TargetSubID", K_IGNORED, WHY_SUBID },
	{ "TargetLocationID", K_IGNORED, WHY_SUBID },
	{ "FileStorePath", K_IGNORED, WHY_STORE },
	{ "FileStoreMaxCachedMsgs", K_IGNORED, WHY_STORE },
	{ "FileStoreSync", K_IGNORED, "fixutil's store is synced at every "
	    "commit unless StoreDurability=normal, and never with "
	    "StoreDurability=process (as FileStoreSync=N); ignored" },
	{ "FileLogPath", K_IGNORED, WHY_LOG },
	{ "FileLogBackupPath", K_IGNORED, WHY_LOG },
	{ "FileIncludeMilliseconds", K_IGNORED, WHY_LOG },
	{ "FileIncludeTimeStampForMessages", K_IGNORED, WHY_LOG },
	{ "ScreenLogShowIncoming", K_IGNORED, WHY_SCREEN },
	{ "ScreenLogShowOutgoing", K_IGNORED, WHY_SCREEN },
	{ "ScreenLogShowEvents", K_IGNORED, WHY_SCREEN },
	{ "ScreenLogShowHeartBeats", K_IGNORED, WHY_SCREEN },
	{ "ScreenIncludeMilliseconds", K_IGNORED, WHY_SCREEN },
	{ "MySQLStore", K_IGNORED_PREFIX, WHY_STORE },
	{ "PostgreSQLStore", K_IGNORED_PREFIX, WHY_STORE },
	{ "OdbcStore", K_IGNORED_PREFIX, WHY_STORE },
	{ "JdbcStore", K_IGNORED_PREFIX, WHY_STORE },
	{ "MySQLLog", K_IGNORED_PREFIX, WHY_LOG },
	{ "PostgreSQLLog", K_IGNORED_PREFIX, WHY_LOG },
	{ "PostgresSQLLog", K_IGNORED_PREFIX, WHY_LOG },
	{ "OdbcLog", K_IGNORED_PREFIX, WHY_LOG },
	{ "JdbcLog", K_IGNORED_PREFIX, WHY_LOG },
	{ "SLF4JLog", K_IGNORED_PREFIX, WHY_LOG },
	{ "SocketReuseAddress", K_IGNORED, "fixsession always sets "
	    "SO_REUSEADDR on its listening sockets; ignored" },
	{ "SocketSendBufferSize", K_IGNORED, WHY_BUF },
	{ "SocketReceiveBufferSize", K_IGNORED, WHY_BUF },
	{ "SendBufferSize", K_IGNORED, WHY_BUF },
	{ "ReceiveBufferSize", K_IGNORED, WHY_BUF },
	{ "SocketConnectSourceHost", K_IGNORED, "not supported: an initiator "
	    "connects from the address the kernel picks; ignored" },
	{ "SocketConnectSourcePort", K_IGNORED, "not supported: an initiator "
	    "connects from the port the kernel picks; ignored" },
	{ "SocketTcpNoDelay", K_IGNORED, "QuickFIX/J's name: fixsession "
	    "reads SocketNodelay; ignored" },
	{ "SocketKeepAlive", K_IGNORED, "fixsession finds dead peers with "
	    "heartbeats and TestRequests; ignored" },
	{ "HttpAcceptPort", K_IGNORED, "fixsession has no HTTP console "
	    "(fixstore shows the sessions); ignored" },
	{ "LogonTime", K_IGNORED, WHY_LOGONTIME },
	{ "LogoutTime", K_IGNORED, WHY_LOGONTIME },
	{ "LogonDay", K_IGNORED, WHY_LOGONTIME },
	{ "LogoutDay", K_IGNORED, WHY_LOGONTIME },
	{ "SendResetSeqNumFlag", K_IGNORED, "the older name of ResetOnLogon, "
	    "which fixsession reads instead; ignored" },
	{ "PreserveMessageFieldsOrder", K_IGNORED, "fixsession always sends "
	    "the body in the order the application wrote it; ignored" },
	{ "SSLProtocol", K_IGNORED, WHY_TLS },
	{ "SSLCipherSuite", K_IGNORED, WHY_TLS },
	{ "ServerCertificateFile", K_IGNORED, WHY_TLS },
	{ "ServerCertificateKeyFile", K_IGNORED, WHY_TLS },
	{ "ClientCertificateFile", K_IGNORED, WHY_TLS },
	{ "ClientCertificateKeyFile", K_IGNORED, WHY_TLS },
	{ "CertificationAuthoritiesFile", K_IGNORED, WHY_TLS },
	{ "CertificationAuthoritiesDirectory", K_IGNORED, WHY_TLS },
	{ "CertificateRevocationListFile", K_IGNORED, WHY_TLS },
	{ "CertificateRevocationListDirectory", K_IGNORED, WHY_TLS },
	{ "CertificateVerifyLevel", K_IGNORED, WHY_TLS },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Versions a session may speak, and the application versions of FIXT. */
static const char *const begins[] = {
	"FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"
};

static const struct {
	const char	*name;
	const char	*id;	/* ApplVerID (1128) */
} applvers[] = {
	{ "FIX.4.0", "2" }, { "FIX.4.1", "3" }, { "FIX.4.2", "4" },
	{ "FIX.4.3", "5" }, { "FIX.4.4", "6" }, { "FIX.5.0", "7" },
	{ "FIX.5.0SP1", "8" }, { "FIX.5.0SP2", "9" }
};
#define NAPPLVERS	(sizeof(applvers) / sizeof(applvers[0]))

/* Index in applvers of a name or an ApplVerID, or -1. */
static int
applver(const char *v)
{
	size_t i;

	for (i = 0; i < NAPPLVERS; i++)
		if (strcmp(v, applvers[i].name) == 0 ||
		    strcmp(v, applvers[i].id) == 0)
			return (int)i;
	return -1;
}

/*
 * n of "SocketConnectHost<n>" or "SocketConnectPort<n>" (digits, no
 * leading zero); 0 when key is not one of these.  *which: 'H' or 'P'.
 */
static long
failover_index(const char *key, int *which)
{
	const char *p;
	char *end;
	long n;

	if (strncmp(key, "SocketConnectHost", 17) == 0)
		*which = 'H';
	else if (strncmp(key, "SocketConnectPort", 17) == 0)
		*which = 'P';
	else
		return 0;
	p = key + 17;
	if (*p < '1' || *p > '9' || strlen(p) > 6)
		return 0;
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return n;
}

/*
 * The first pass, over one section (i, or FIXU_CFG_DEFAULT): warnings for
 * keys without effect or unknown, errors for the few that cannot be
 * ignored safely.
 */
static int
check_keys(struct ld *L, size_t i)
{
	const char *key, *val;
	unsigned line;
	size_t j, k;
	long n;
	int which;

	for (j = 0; fixu_cfg_key(L->c->cfg, i, j, &key, &val, &line) == 0;
	    j++) {
		for (k = 0; k < NKEYS; k++)
			if (keys[k].kind == K_IGNORED_PREFIX ?
			    strncmp(key, keys[k].name,
			    strlen(keys[k].name)) == 0 :
			    strcmp(key, keys[k].name) == 0)
				break;
		if (k < NKEYS) {
			switch (keys[k].kind) {
			case K_USED:
				break;
			case K_DEFAULT:
				if (i != FIXU_CFG_DEFAULT)
					return lerr(L, line, key, "belongs in "
					    "[DEFAULT]: %s", keys[k].why ?
					    keys[k].why : "every session "
					    "shares one store");
				break;
			case K_IGNORED:
			case K_IGNORED_PREFIX:
				lwarn(L, line, "%s: %s", key, keys[k].why);
				break;
			}
			if (strcmp(key, "SocketUseSSL") == 0 &&
			    strcmp(val, "N") != 0 && strcmp(val, "n") != 0)
				return lerr(L, line, key, "fixsession does "
				    "not speak TLS; put a TLS proxy such as "
				    "stunnel in front of it");
			continue;
		}
		if ((n = failover_index(key, &which)) > 0) {
			if (n >= FIXU_ENG_MAX_HOSTS)
				return lerr(L, line, key, "at most %d "
				    "failover hosts (1 to %d)",
				    FIXU_ENG_MAX_HOSTS - 1,
				    FIXU_ENG_MAX_HOSTS - 1);
			continue;
		}
		if (strncmp(key, "AppDataDictionary.", 18) == 0)
			continue;
		for (k = 0; k < NKEYS; k++)
			if (keys[k].kind != K_IGNORED_PREFIX &&
			    strcasecmp(key, keys[k].name) == 0)
				break;
		if (k < NKEYS)
			lwarn(L, line, "unknown key '%s' (keys are "
			    "case-sensitive: %s?); ignored", key,
			    keys[k].name);
		else
			lwarn(L, line, "unknown key '%s'; ignored", key);
	}
	return 0;
}

/* ---- values ------------------------------------------------------------------ */

static const char *
get(struct ld *L, size_t i, const char *key, unsigned *line)
{
	const char *v;

	v = fixu_cfg_get(L->c->cfg, i, key, line);
	if (v == NULL && line != NULL)
		*line = fixu_cfg_session_line(L->c->cfg, i);
	return v;
}

/* Y or N into *out (def when absent). */
static int
get_bool(struct ld *L, size_t i, const char *key, int def, int *out)
{
	const char *v;
	unsigned line;

	*out = def;
	if ((v = get(L, i, key, &line)) == NULL)
		return 0;
	if (strcmp(v, "Y") == 0 || strcmp(v, "y") == 0)
		*out = 1;
	else if (strcmp(v, "N") == 0 || strcmp(v, "n") == 0)
		*out = 0;
	else
		return lerr(L, line, key, "expected Y or N, got '%.40s'", v);
	return 0;
}

/* A whole number from min to max into *out (def when absent). */
static int
get_int(struct ld *L, size_t i, const char *key, int min, int max, int def,
    int *out)
{
	const char *v;
	unsigned line;
	uint64_t x;

	*out = def;
	if ((v = get(L, i, key, &line)) == NULL)
		return 0;
	if (fixu_parse_u64(v, strlen(v), &x) != 0 || x < (uint64_t)min ||
	    x > (uint64_t)max)
		return lerr(L, line, key, "expected a whole number from %d "
		    "to %d, got '%.40s'", min, max, v);
	*out = (int)x;
	return 0;
}

/*
 * Seconds with up to three decimals, as milliseconds from min_ms to max_ms
 * (QuickFIX takes whole seconds; fixutil also takes 0.2 for fast drills).
 */
static int
get_ms(struct ld *L, size_t i, const char *key, int min_ms, int max_ms,
    int def_ms, int *out)
{
	const char *v, *dot;
	unsigned line;
	uint64_t sec = 0, frac = 0;
	size_t nfrac = 0, k;

	*out = def_ms;
	if ((v = get(L, i, key, &line)) == NULL)
		return 0;
	dot = strchr(v, '.');
	if (dot != NULL) {
		nfrac = strlen(dot + 1);
		for (k = 0; k < nfrac; k++)
			if (dot[1 + k] < '0' || dot[1 + k] > '9')
				nfrac = 4;
	}
	if ((dot == v ? 0 : fixu_parse_u64(v, dot != NULL ? (size_t)(dot - v) :
	    strlen(v), &sec)) != 0 || (dot != NULL && (nfrac == 0 ||
	    nfrac > 3 || fixu_parse_u64(dot + 1, nfrac, &frac) != 0)) ||
	    sec > (uint64_t)max_ms / 1000)
		goto bad;
	for (k = nfrac; k < 3; k++)
		frac *= 10;
	sec = sec * 1000 + frac;
	if (sec < (uint64_t)min_ms || sec > (uint64_t)max_ms)
		goto bad;
	*out = (int)sec;
	return 0;
bad:
	return lerr(L, line, key, "expected seconds from %d.%03d to %d, with "
	    "at most three decimals, got '%.40s'", min_ms / 1000, min_ms % 1000,
	    max_ms / 1000, v);
}

/* A string that fits in n bytes (NUL included); NULL when absent. */
static int
get_str(struct ld *L, size_t i, const char *key, char *buf, size_t n,
    const char **out)
{
	const char *v;
	unsigned line;
	size_t len;

	*out = NULL;
	if ((v = get(L, i, key, &line)) == NULL)
		return 0;
	len = strlen(v);
	if (len == 0)
		return lerr(L, line, key, "empty value");
	if (len >= n)
		return lerr(L, line, key, "longer than %zu bytes", n - 1);
	memcpy(buf, v, len + 1);
	*out = buf;
	return 0;
}

/* A host name or address: printable, no spaces. */
static int
host_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* ---- dictionaries ------------------------------------------------------------ */

/* path made relative to the settings file's directory, into buf. */
static int
resolve(struct ld *L, const char *key, unsigned line, const char *path,
    char *buf, size_t n)
{
	int r;

	if (path[0] == '/' || L->dir[0] == '\0')
		r = snprintf(buf, n, "%s", path);
	else
		r = snprintf(buf, n, "%s/%s", L->dir, path);
	if (r < 0 || (size_t)r >= n)
		return lerr(L, line, key, "path longer than %zu bytes", n - 1);
	return 0;
}

/* A dictionary error from d2 as "file:line: key: ...". */
static int
dict_err(struct ld *L, unsigned line, const char *key, const char *path,
    const struct fixu_diag *d2)
{
	if (d2->code == FIXU_ENOMEM)
		return nomem(L);
	if (d2->code == FIXU_EDICT && d2->off != 0 && d2->off != SIZE_MAX)
		return lerr(L, line, key, "%s:%zu: bad dictionary: %s", path,
		    d2->off, d2->msg);
	if (d2->code == FIXU_EDICT)
		return lerr(L, line, key, "%s: bad dictionary: %s", path,
		    d2->msg);
	/* Not found and I/O errors name the file already. */
	return lerr(L, line, key, "%s", d2->msg[0] != '\0' ? d2->msg :
	    fixu_strerror(d2->code));
}

/* The dictionary file at path (resolved), loaded once per path. */
static int
load_owned(struct ld *L, const char *key, unsigned line, const char *path,
    const struct fixu_dict **out)
{
	struct fs_conf *c = L->c;
	struct fixu_dict *dict, **no;
	struct fixu_diag d2;
	char file[CONF_PATH_MAX];
	size_t i;
	int rc;

	if ((rc = resolve(L, key, line, path, file, sizeof(file))) != 0)
		return rc;
	for (i = 0; i < c->nowned; i++)
		if (strcmp(fixu_dict_path(c->owned[i]), file) == 0) {
			*out = c->owned[i];
			return 0;
		}
	if (fixu_dict_load(&dict, file, &d2) != 0)
		return dict_err(L, line, key, file, &d2);
	if ((no = realloc(c->owned, (c->nowned + 1) * sizeof(*no))) == NULL) {
		fixu_dict_free(dict);
		return nomem(L);
	}
	c->owned = no;
	c->owned[c->nowned++] = dict;
	*out = dict;
	return 0;
}

/* A standard dictionary from the search path. */
static int
load_std(struct ld *L, struct fixu_dicts *ds, const char *key, unsigned line,
    const char *version, const struct fixu_dict **out)
{
	struct fixu_diag d2;

	if (fixu_dicts_get(ds, version, out, &d2) == 0)
		return 0;
	if (d2.code == FIXU_ENOTFOUND)
		return lerr(L, line, key, "no %s dictionary: %s (see -D and "
		    "FIXUTIL_DICT_PATH)", version, d2.msg);
	return dict_err(L, line, key, version, &d2);
}

/* One application dictionary file of a FIXT.1.1 session. */
struct appfile {
	const char	*key;
	unsigned	 line;
	const char	*ver;		/* applvers name */
	char		 path[CONF_PATH_MAX];
};

/*
 * The private dictionary set of a FIXT.1.1 session that names its own
 * files: the transport file (tkey, may be NULL) and the application
 * files, each checked to be of the version it is given for.  Sessions
 * naming the same files share a set.
 */
static int
private_set(struct ld *L, const char *tkey, unsigned tline, const char *tpath,
    const struct appfile *af, size_t naf, struct fixu_dicts **out)
{
	struct fs_conf *c = L->c;
	struct fixu_dicts *ds = NULL, **ns;
	const struct fixu_dict *got;
	struct fixu_diag d2;
	char *setkey = NULL, **nk;
	size_t i, len = 1;
	int rc;

	if (tpath != NULL)
		len += strlen(tpath) + 1;
	for (i = 0; i < naf; i++)
		len += strlen(af[i].ver) + strlen(af[i].path) + 2;
	if ((setkey = malloc(len)) == NULL)
		return nomem(L);
	setkey[0] = '\0';
	(void)snprintf(setkey, len, "%s\n", tpath != NULL ? tpath : "");
	for (i = 0; i < naf; i++) {
		size_t k = strlen(setkey);

		(void)snprintf(setkey + k, len - k, "%s=%s\n", af[i].ver,
		    af[i].path);
	}
	for (i = 0; i < c->nowned_sets; i++)
		if (strcmp(L->setkeys[i], setkey) == 0) {
			free(setkey);
			*out = c->owned_sets[i];
			return 0;
		}
	if (fixu_dicts_new(&ds, L->dictpath) != 0) {
		rc = nomem(L);
		goto fail;
	}
	if (tpath != NULL) {
		if (fixu_dicts_add(ds, tpath, &d2) != 0) {
			rc = dict_err(L, tline, tkey, tpath, &d2);
			goto fail;
		}
		if (fixu_dicts_get(ds, "FIXT.1.1", &got, &d2) != 0 ||
		    strcmp(fixu_dict_path(got), tpath) != 0) {
			rc = lerr(L, tline, tkey, "%s is not a FIXT.1.1 "
			    "dictionary", tpath);
			goto fail;
		}
	}
	for (i = 0; i < naf; i++) {
		if (fixu_dicts_add(ds, af[i].path, &d2) != 0) {
			rc = dict_err(L, af[i].line, af[i].key, af[i].path,
			    &d2);
			goto fail;
		}
		/* The file's <fix> element says its version. */
		if (fixu_dicts_get(ds, af[i].ver, &got, &d2) != 0 ||
		    strcmp(fixu_dict_path(got), af[i].path) != 0) {
			rc = lerr(L, af[i].line, af[i].key, "%s is not a %s "
			    "dictionary", af[i].path, af[i].ver);
			goto fail;
		}
	}
	if ((ns = realloc(c->owned_sets, (c->nowned_sets + 1) *
	    sizeof(*ns))) == NULL) {
		rc = nomem(L);
		goto fail;
	}
	c->owned_sets = ns;
	if ((nk = realloc(L->setkeys, (c->nowned_sets + 1) *
	    sizeof(*nk))) == NULL) {
		rc = nomem(L);
		goto fail;
	}
	L->setkeys = nk;
	L->setkeys[c->nowned_sets] = setkey;
	c->owned_sets[c->nowned_sets++] = ds;
	*out = ds;
	return 0;
fail:
	fixu_dicts_free(ds);
	free(setkey);
	return rc;
}

/*
 * The application dictionary files of FIXT.1.1 session i: AppDataDictionary
 * (for DefaultApplVerID) and AppDataDictionary.<version>, from its section
 * and from [DEFAULT] (the section's own win).  *naf is the count.
 */
static int
app_files(struct ld *L, size_t i, const char *defver, struct appfile *af,
    size_t max, size_t *naf)
{
	const char *key, *val;
	unsigned line;
	size_t sect, j, k;
	int v, rc;

	*naf = 0;
	for (sect = 0; sect < 2; sect++) {
		size_t s = sect == 0 ? i : FIXU_CFG_DEFAULT;

		for (j = 0; fixu_cfg_key(L->c->cfg, s, j, &key, &val,
		    &line) == 0; j++) {
			const char *ver;

			if (strcmp(key, "AppDataDictionary") == 0)
				ver = defver;
			else if (strncmp(key, "AppDataDictionary.", 18) == 0) {
				if ((v = applver(key + 18)) < 0)
					return lerr(L, line, key, "unknown "
					    "application version '%.40s'",
					    key + 18);
				ver = applvers[v].name;
			} else
				continue;
			/* A [DEFAULT] key the section has itself. */
			for (k = 0; k < *naf; k++)
				if (strcmp(af[k].key, key) == 0)
					break;
			if (k < *naf)
				continue;
			/* Two keys for one version: an error in one
			   section; the section's own wins over [DEFAULT]. */
			for (k = 0; k < *naf; k++)
				if (strcmp(af[k].ver, ver) == 0)
					break;
			if (k < *naf && sect == 1)
				continue;
			if (k < *naf)
				return lerr(L, line, key, "a second "
				    "dictionary for %s (%s, line %u)", ver,
				    af[k].key, af[k].line);
			if (*val == '\0')
				return lerr(L, line, key, "empty value");
			if (*naf == max)
				return lerr(L, line, key, "more than %zu "
				    "application dictionaries", max);
			af[*naf].key = key;
			af[*naf].line = line;
			af[*naf].ver = ver;
			if ((rc = resolve(L, key, line, val, af[*naf].path,
			    sizeof(af->path))) != 0)
				return rc;
			(*naf)++;
		}
	}
	return 0;
}

/* Dictionaries and validation of session i (BeginString begin). */
static int
setup_dicts(struct ld *L, size_t i, struct fixu_eng_sess *es,
    const char *begin, int fixt, const char *defver)
{
	static const struct {
		const char	*key;
		unsigned	 flag;
		int		 def;
	} vkeys[] = {
		{ "ValidateLengthAndChecksum", FIXU_V_LENGTH_CHECKSUM, 1 },
		{ "ValidateFieldsOutOfOrder", FIXU_V_ORDER, 1 },
		{ "ValidateFieldsHaveValues", FIXU_V_HAVE_VALUES, 1 },
		{ "ValidateUserDefinedFields", FIXU_V_USER_FIELDS, 1 },
		{ "ValidateUnorderedGroupFields", FIXU_V_GROUP_ORDER, 1 },
	};
	struct fs_conf *c = L->c;
	struct fixu_sess_cfg *sc = &es->sc;
	struct appfile af[NAPPLVERS];
	const char *tkey, *tval, *dd;
	char tpath[CONF_PATH_MAX];
	unsigned uline, tline, dline;
	size_t k, naf;
	int on, rc;

	sc->vflags = FIXU_V_ALL;
	for (k = 0; k < sizeof(vkeys) / sizeof(vkeys[0]); k++) {
		if ((rc = get_bool(L, i, vkeys[k].key, vkeys[k].def, &on)) != 0)
			return rc;
		if (!on)
			sc->vflags &= ~vkeys[k].flag;
	}
	if ((rc = get_bool(L, i, "AllowUnknownMsgFields", 0, &on)) != 0)
		return rc;
	if (on)
		sc->vflags &= ~(unsigned)FIXU_V_UNKNOWN_FIELDS;
	if ((rc = get_bool(L, i, "UseDataDictionary", 1, &sc->validate)) != 0)
		return rc;
	(void)get(L, i, "UseDataDictionary", &uline);

	if (!sc->validate) {
		/*
		 * QuickFIX reads no dictionary then.  The standard ones are
		 * still handed over when they are found (readable forms,
		 * data fields); named files are not read.
		 */
		if (fixt) {
			sc->dicts = c->dicts;
			(void)fixu_dicts_get(c->dicts, "FIXT.1.1", &sc->tr,
			    NULL);
			(void)fixu_dicts_get(c->dicts, defver, &sc->app, NULL);
		} else {
			(void)fixu_dicts_get(c->dicts, begin, &sc->tr, NULL);
			sc->app = sc->tr;
		}
		return 0;
	}

	dd = get(L, i, "DataDictionary", &dline);
	if (!fixt) {
		if (dd != NULL) {
			if (*dd == '\0')
				return lerr(L, dline, "DataDictionary",
				    "empty value");
			if ((rc = load_owned(L, "DataDictionary", dline, dd,
			    &sc->tr)) != 0)
				return rc;
			if (strcmp(fixu_dict_version(sc->tr), begin) != 0)
				lwarn(L, dline, "DataDictionary: %s is a %s "
				    "dictionary, the session is %s",
				    fixu_dict_path(sc->tr),
				    fixu_dict_version(sc->tr), begin);
		} else if ((rc = load_std(L, c->dicts, "UseDataDictionary",
		    uline, begin, &sc->tr)) != 0)
			return rc;
		sc->app = sc->tr;
		return 0;
	}

	/* FIXT.1.1: as QuickFIX, DataDictionary stands in for the transport
	   dictionary when TransportDataDictionary is not given. */
	tkey = "TransportDataDictionary";
	if ((tval = get(L, i, tkey, &tline)) == NULL && dd != NULL) {
		tkey = "DataDictionary";
		tval = dd;
		tline = dline;
	}
	if (tval != NULL) {
		if (*tval == '\0')
			return lerr(L, tline, tkey, "empty value");
		if ((rc = resolve(L, tkey, tline, tval, tpath,
		    sizeof(tpath))) != 0)
			return rc;
	}
	if ((rc = app_files(L, i, defver, af, NAPPLVERS, &naf)) != 0)
		return rc;
	if (naf == 0) {
		if (tval != NULL) {
			if ((rc = load_owned(L, tkey, tline, tval,
			    &sc->tr)) != 0)
				return rc;
			if (strcmp(fixu_dict_version(sc->tr), "FIXT.1.1") != 0)
				return lerr(L, tline, tkey, "%s is a %s "
				    "dictionary, not FIXT.1.1",
				    fixu_dict_path(sc->tr),
				    fixu_dict_version(sc->tr));
		} else if ((rc = load_std(L, c->dicts, "UseDataDictionary",
		    uline, "FIXT.1.1", &sc->tr)) != 0)
			return rc;
		sc->dicts = c->dicts;
	} else {
		if ((rc = private_set(L, tkey, tline, tval != NULL ? tpath :
		    NULL, af, naf, &sc->dicts)) != 0)
			return rc;
		if ((rc = load_std(L, sc->dicts, "UseDataDictionary", uline,
		    "FIXT.1.1", &sc->tr)) != 0)
			return rc;
	}
	/* The default application dictionary must load now, not at the
	   first message. */
	(void)get(L, i, "DefaultApplVerID", &dline);
	return load_std(L, sc->dicts, "DefaultApplVerID", dline, defver,
	    &sc->app);
}

/* ---- schedules ------------------------------------------------------------- */

static int
setup_sched(struct ld *L, size_t i, struct fixu_eng_sess *es)
{
	static const char *const skeys[] = { "StartTime", "EndTime",
	    "StartDay", "EndDay", "Weekdays", "TimeZone", "UseLocalTime",
	    "NonStopSession" };
	struct fixu_sched_spec sp;
	struct fixu_sched *s = NULL;
	struct fixu_diag d2;
	const char *key = NULL, *at, *first = NULL;
	unsigned line, hdr;
	size_t k;
	int rc;

	memset(&sp, 0, sizeof(sp));
	hdr = fixu_cfg_session_line(L->c->cfg, i);
	if ((rc = get_bool(L, i, "NonStopSession", 0, &sp.nonstop)) != 0 ||
	    (rc = get_bool(L, i, "UseLocalTime", 0, &sp.use_local_time)) != 0)
		return rc;
	sp.start_time = get(L, i, "StartTime", NULL);
	sp.end_time = get(L, i, "EndTime", NULL);
	sp.start_day = get(L, i, "StartDay", NULL);
	sp.end_day = get(L, i, "EndDay", NULL);
	sp.weekdays = get(L, i, "Weekdays", NULL);
	sp.time_zone = get(L, i, "TimeZone", NULL);
	if (!sp.nonstop && (sp.start_time == NULL || sp.end_time == NULL))
		return lerr(L, hdr, sp.start_time == NULL ? "StartTime" :
		    "EndTime", "missing: give StartTime and EndTime, or "
		    "NonStopSession=Y");
	if (sp.use_local_time && sp.time_zone != NULL) {
		(void)get(L, i, "UseLocalTime", &line);
		return lerr(L, line, "UseLocalTime", "not together with "
		    "TimeZone: say one zone");
	}
	fixu_diag_clear(&d2);
	if ((rc = fixu_sched_new(&s, &sp, &d2)) == 0) {
		L->c->scheds[i] = s;
		es->sc.sched = s;
		return 0;
	}
	if (rc == FIXU_ENOMEM)
		return nomem(L);
	/* The schedule names the key in its message; the first one named
	   is the one to point at. */
	for (k = 0; k < sizeof(skeys) / sizeof(skeys[0]); k++)
		if ((at = strstr(d2.msg, skeys[k])) != NULL &&
		    (first == NULL || at < first)) {
			first = at;
			key = skeys[k];
		}
	if (key == NULL && (rc == FIXU_ENOTFOUND || rc == FIXU_EINVAL) &&
	    sp.time_zone != NULL)
		key = "TimeZone";
	line = hdr;
	if (key != NULL)
		(void)get(L, i, key, &line);
	if (key != NULL && first == d2.msg && d2.msg[strlen(key)] == ':')
		return fixu_diag_set(L->d, FIXU_ESYNTAX, line, 0,
		    FIXU_REJ_NONE, "%s:%u: %s", L->name, line, d2.msg);
	return lerr(L, line, key != NULL ? key : "[SESSION]", "%s",
	    d2.msg[0] != '\0' ? d2.msg : fixu_strerror(rc));
}

/* ---- sessions ---------------------------------------------------------------- */

/* SocketConnectHost/Port, then ...1, ...2 without gaps. */
static int
setup_connect(struct ld *L, size_t i, struct fixu_eng_sess *es)
{
	char hk[32], pk[32];
	const char *h, *p;
	unsigned hl, pl, hdr;
	int n, gap = 0, rc;

	hdr = fixu_cfg_session_line(L->c->cfg, i);
	for (n = 0; n < FIXU_ENG_MAX_HOSTS; n++) {
		if (n == 0) {
			(void)snprintf(hk, sizeof(hk), "SocketConnectHost");
			(void)snprintf(pk, sizeof(pk), "SocketConnectPort");
		} else {
			(void)snprintf(hk, sizeof(hk), "SocketConnectHost%d",
			    n);
			(void)snprintf(pk, sizeof(pk), "SocketConnectPort%d",
			    n);
		}
		h = get(L, i, hk, &hl);
		p = get(L, i, pk, &pl);
		if (n == 0 && (h == NULL || p == NULL))
			return lerr(L, hdr, h == NULL ? hk : pk, "missing: "
			    "an initiator needs SocketConnectHost and "
			    "SocketConnectPort");
		if (h == NULL && p == NULL) {
			gap = n;
			continue;
		}
		if (gap)
			return lerr(L, h != NULL ? hl : pl, h != NULL ? hk : pk,
			    "failover hosts are numbered from 1 without "
			    "gaps: there is no SocketConnectHost%d", gap);
		if (h == NULL || p == NULL)
			return lerr(L, h == NULL ? pl : hl, h == NULL ? pk : hk,
			    "without %s", h == NULL ? hk : pk);
		if (*h == '\0' || !host_ok(h))
			return lerr(L, hl, hk, "bad host name '%.40s'", h);
		if (strlen(h) >= sizeof(es->connect[0].host))
			return lerr(L, hl, hk, "longer than %zu bytes",
			    sizeof(es->connect[0].host) - 1);
		memcpy(es->connect[es->nconnect].host, h, strlen(h) + 1);
		if ((rc = get_int(L, i, pk, 1, 65535, 0,
		    &es->connect[es->nconnect].port)) != 0)
			return rc;
		es->nconnect++;
	}
	return 0;
}

/* The session id of session i into es->sc.sid. */
static int
setup_sid(struct ld *L, size_t i, struct fixu_eng_sess *es)
{
	static const char *const idkeys[] = { "BeginString", "SenderCompID",
	    "TargetCompID", "SessionQualifier" };
	struct fixu_sessid *sid = &es->sc.sid;
	char id[400];
	struct fixu_diag d2;
	const char *v, *mine[4];
	unsigned line, hdr;
	size_t k;

	hdr = fixu_cfg_session_line(L->c->cfg, i);
	if (fixu_cfg_sessid(L->c->cfg, i, id, sizeof(id), &d2) != 0) {
		if (d2.code == FIXU_ESYNTAX && strncmp(d2.msg,
		    "[SESSION] without ", 18) == 0)
			return lerr(L, hdr, d2.msg + 18, "missing");
		return lerr(L, hdr, "[SESSION]", "%s", d2.msg);
	}
	for (k = 0; k < 4; k++)
		mine[k] = get(L, i, idkeys[k], NULL);
	if (mine[3] != NULL && *mine[3] == '\0')
		mine[3] = NULL;
	/* A CompID with ':' or "->" would parse back as another id. */
	if (fixu_sessid_parse(sid, id, strlen(id), &d2) != 0 ||
	    strcmp(sid->begin, mine[0]) != 0 ||
	    strcmp(sid->sender, mine[1]) != 0 ||
	    strcmp(sid->target, mine[2]) != 0 ||
	    strcmp(sid->qualifier, mine[3] != NULL ? mine[3] : "") != 0) {
		for (k = 0; k < 4; k++) {
			if ((v = mine[k]) == NULL)
				continue;
			if (strlen(v) > (k == 0 ? sizeof(sid->begin) :
			    sizeof(sid->sender)) - 1 || strchr(v, ':') ||
			    strchr(v, '|') || strstr(v, "->") || !host_ok(v))
				break;
		}
		if (k == 4)
			k = 0;
		(void)get(L, i, idkeys[k], &line);
		return lerr(L, line, idkeys[k], "'%.40s' cannot be part of a "
		    "session id (at most %zu printable characters, no "
		    "spaces, ':', '|' or '->')", mine[k] ? mine[k] : "",
		    (k == 0 ? sizeof(sid->begin) : sizeof(sid->sender)) - 1);
	}
	for (k = 0; k < sizeof(begins) / sizeof(begins[0]); k++)
		if (strcmp(sid->begin, begins[k]) == 0)
			break;
	if (k == sizeof(begins) / sizeof(begins[0])) {
		(void)get(L, i, "BeginString", &line);
		return lerr(L, line, "BeginString", "unknown version "
		    "'%.40s' (FIX.4.0 to FIX.4.4, or FIXT.1.1)", sid->begin);
	}
	return 0;
}

/* 0 unless session i has the id of an earlier one. */
static int
check_dup(struct ld *L, size_t i)
{
	const struct fixu_eng_sess *a = &L->c->sess[i], *b;
	char id[256];
	size_t k;

	for (k = 0; k < i; k++) {
		b = &L->c->sess[k];
		if (strcmp(a->sc.sid.begin, b->sc.sid.begin) != 0 ||
		    strcmp(a->sc.sid.sender, b->sc.sid.sender) != 0 ||
		    strcmp(a->sc.sid.target, b->sc.sid.target) != 0)
			continue;
		fixu_sessid_fmt(&a->sc.sid, id, sizeof(id));
		if (strcmp(a->sc.sid.qualifier, b->sc.sid.qualifier) == 0)
			return lerr(L, L->c->sess_line[i], "[SESSION]",
			    "%s is already defined at line %u", id,
			    L->c->sess_line[k]);
		/* The Logon carries no qualifier to route by. */
		if (!a->sc.initiator && !b->sc.initiator)
			return lerr(L, L->c->sess_line[i], "SessionQualifier",
			    "%s: acceptors are told apart by BeginString "
			    "and CompIDs only, and line %u has the same",
			    id, L->c->sess_line[k]);
	}
	return 0;
}

/* Username and Password: an initiator's Logon credentials. */
static int
setup_creds(struct ld *L, size_t i, struct fixu_eng_sess *es)
{
	struct fixu_sess_cfg *sc = &es->sc;
	struct stat sb;
	const char *u, *p;
	unsigned ul, pl;

	u = get(L, i, "Username", &ul);
	p = get(L, i, "Password", &pl);
	if (!sc->initiator) {
		if (u != NULL)
			lwarn(L, ul, "Username: an acceptor checks the "
			    "credentials set with fixstore passwd; ignored");
		if (p != NULL)
			lwarn(L, pl, "Password: an acceptor checks the "
			    "credentials set with fixstore passwd; ignored");
		return 0;
	}
	if (u != NULL) {
		if (strlen(u) >= sizeof(sc->username))
			return lerr(L, ul, "Username", "longer than %zu bytes",
			    sizeof(sc->username) - 1);
		memcpy(sc->username, u, strlen(u) + 1);
	}
	if (p == NULL)
		return 0;
	/* Never echo the value. */
	if (strlen(p) >= sizeof(sc->password))
		return lerr(L, pl, "Password", "longer than %zu bytes",
		    sizeof(sc->password) - 1);
	memcpy(sc->password, p, strlen(p) + 1);
	if (*p != '\0' && !L->mode_checked) {
		L->mode_checked = 1;
		if (stat(L->name, &sb) == 0 &&
		    (sb.st_mode & (S_IRGRP | S_IROTH)) != 0)
			lwarn(L, pl, "Password: %s can be read by %s (mode "
			    "%04o): chmod go-r it", L->name,
			    (sb.st_mode & S_IROTH) ? "everyone" :
			    "its group", (unsigned)(sb.st_mode & 07777));
	}
	return 0;
}

/* FIXT.1.1 keys in the own section of a session of another version. */
static void
warn_fixt_only(struct ld *L, size_t i)
{
	const char *key;
	unsigned line;
	size_t j;

	for (j = 0; fixu_cfg_key(L->c->cfg, i, j, &key, NULL, &line) == 0;
	    j++)
		if (strcmp(key, "DefaultApplVerID") == 0 ||
		    strcmp(key, "TransportDataDictionary") == 0 ||
		    strcmp(key, "AppDataDictionary") == 0 ||
		    strncmp(key, "AppDataDictionary.", 18) == 0)
			lwarn(L, line, "%s: only for FIXT.1.1 sessions; "
			    "ignored", key);
}

static int
build_session(struct ld *L, size_t i)
{
	struct fs_conf *c = L->c;
	struct fixu_eng_sess *es = &c->sess[i];
	struct fixu_sess_cfg *sc = &es->sc;
	const char *v, *defver = NULL;
	char buf[256];
	unsigned line, hdr;
	int fixt, ms, rc;

	hdr = c->sess_line[i] = fixu_cfg_session_line(c->cfg, i);
	es->app_in = es->app_out = -1;
	if ((rc = setup_sid(L, i, es)) != 0)
		return rc;
	if (!(fixt = strcmp(sc->sid.begin, "FIXT.1.1") == 0))
		warn_fixt_only(L, i);

	if ((v = get(L, i, "ConnectionType", &line)) == NULL)
		return lerr(L, hdr, "ConnectionType", "missing: initiator or "
		    "acceptor");
	if (strcmp(v, "initiator") == 0)
		sc->initiator = 1;
	else if (strcmp(v, "acceptor") != 0)
		return lerr(L, line, "ConnectionType", "expected initiator or "
		    "acceptor, got '%.40s'", v);
	if ((rc = check_dup(L, i)) != 0)
		return rc;

	if (sc->initiator) {
		if (get(L, i, "HeartBtInt", NULL) == NULL)
			return lerr(L, hdr, "HeartBtInt", "missing: an "
			    "initiator sends it in its Logon");
		if ((rc = setup_connect(L, i, es)) != 0 ||
		    (rc = get_ms(L, i, "ReconnectInterval", 10, 86400000,
		    30000, &es->reconnect_ms)) != 0)
			return rc;
		es->reconnect_interval = (es->reconnect_ms + 999) / 1000;
	} else {
		if (get(L, i, "SocketAcceptPort", NULL) == NULL)
			return lerr(L, hdr, "SocketAcceptPort", "missing: an "
			    "acceptor needs a port to listen on");
		if ((rc = get_int(L, i, "SocketAcceptPort", 1, 65535, 0,
		    &es->accept_port)) != 0 ||
		    (rc = get_str(L, i, "SocketAcceptAddress", buf,
		    sizeof(es->accept_addr), &v)) != 0)
			return rc;
		if (v != NULL) {
			(void)get(L, i, "SocketAcceptAddress", &line);
			if (!host_ok(v))
				return lerr(L, line, "SocketAcceptAddress",
				    "bad address '%.40s'", v);
			memcpy(es->accept_addr, v, strlen(v) + 1);
		}
	}
	if ((rc = get_int(L, i, "HeartBtInt", 1, 86400, 30,
	    &sc->heartbtint)) != 0 ||
	    (rc = get_bool(L, i, "SocketNodelay", 1, &es->tcp_nodelay)) != 0 ||
	    (rc = get_int(L, i, "LogonTimeout", 1, 3600, 10,
	    &sc->logon_timeout)) != 0 ||
	    (rc = get_int(L, i, "LogoutTimeout", 1, 3600, 2,
	    &sc->logout_timeout)) != 0 ||
	    (rc = get_bool(L, i, "ResetOnLogon", 0, &sc->reset_on_logon)) != 0 ||
	    (rc = get_bool(L, i, "ResetOnLogout", 0,
	    &sc->reset_on_logout)) != 0 ||
	    (rc = get_bool(L, i, "ResetOnDisconnect", 0,
	    &sc->reset_on_disconnect)) != 0 ||
	    (rc = get_bool(L, i, "RefreshOnLogon", 0,
	    &es->refresh_on_logon)) != 0 ||
	    (rc = get_bool(L, i, "SendRedundantResendRequests", 0,
	    &sc->send_redundant_resend)) != 0 ||
	    (rc = get_bool(L, i, "CheckCompID", 1, &sc->check_compid)) != 0 ||
	    (rc = get_bool(L, i, "CheckLatency", 1, &sc->check_latency)) != 0 ||
	    (rc = get_int(L, i, "MaxLatency", 1, 86400, 120,
	    &sc->max_latency)) != 0 ||
	    (rc = get_int(L, i, "ResendRequestChunkSize", 0, 1000000000, 0,
	    &sc->resend_chunk)) != 0 ||
	    (rc = get_bool(L, i, "PersistMessages", 1,
	    &sc->persist_messages)) != 0 ||
	    (rc = get_bool(L, i, "EnableNextExpectedMsgSeqNum", 0,
	    &sc->send_next_expected)) != 0)
		return rc;

	/* TimestampPrecision wins over the older MillisecondsInTimeStamp,
	   whose Y means "as the version allows" (none before FIX.4.2). */
	if ((rc = get_bool(L, i, "MillisecondsInTimeStamp", 1, &ms)) != 0)
		return rc;
	sc->ts_decimals = ms ? -1 : 0;
	if ((v = get(L, i, "TimestampPrecision", &line)) != NULL) {
		if (strlen(v) != 1 || strchr("0369", v[0]) == NULL)
			return lerr(L, line, "TimestampPrecision", "expected "
			    "0, 3, 6 or 9, got '%.40s'", v);
		sc->ts_decimals = v[0] - '0';
		if (sc->ts_decimals > 0 &&
		    (strcmp(sc->sid.begin, "FIX.4.0") == 0 ||
		    strcmp(sc->sid.begin, "FIX.4.1") == 0))
			lwarn(L, line, "TimestampPrecision: %s timestamps "
			    "have no fraction of a second; the counterparty "
			    "may reject them", sc->sid.begin);
	}

	if (fixt) {
		int k;

		if ((v = get(L, i, "DefaultApplVerID", &line)) == NULL)
			return lerr(L, hdr, "DefaultApplVerID", "missing: a "
			    "FIXT.1.1 session needs its application version, "
			    "e.g. FIX.5.0SP2");
		if ((k = applver(v)) < 0)
			return lerr(L, line, "DefaultApplVerID", "expected "
			    "FIX.4.0 to FIX.5.0SP2 or 2 to 9, got '%.40s'", v);
		defver = applvers[k].name;
		(void)snprintf(sc->default_applverid,
		    sizeof(sc->default_applverid), "%s", applvers[k].id);
	}
	if ((rc = setup_dicts(L, i, es, sc->sid.begin, fixt, defver)) != 0 ||
	    (rc = setup_sched(L, i, es)) != 0 ||
	    (rc = setup_creds(L, i, es)) != 0)
		return rc;
	return 0;
}

/* ---- load and free ------------------------------------------------------------ */

/* fixutil's own [DEFAULT] keys. */
static int
setup_default(struct ld *L)
{
	struct fs_conf *c = L->c;
	const char *v;
	unsigned line;
	int rc;

	if ((v = get(L, FIXU_CFG_DEFAULT, "StorePath", &line)) != NULL) {
		if (*v == '\0')
			return lerr(L, line, "StorePath", "empty value");
		if (strlen(v) >= sizeof(c->store_path))
			return lerr(L, line, "StorePath", "longer than %zu "
			    "bytes", sizeof(c->store_path) - 1);
		memcpy(c->store_path, v, strlen(v) + 1);
	}
	c->durability = FIXU_DUR_FULL;
	if ((v = get(L, FIXU_CFG_DEFAULT, "StoreDurability", &line)) != NULL) {
		if (strcmp(v, "full") == 0)
			c->durability = FIXU_DUR_FULL;
		else if (strcmp(v, "normal") == 0)
			c->durability = FIXU_DUR_NORMAL;
		else if (strcmp(v, "process") == 0)
			c->durability = FIXU_DUR_PROCESS;
		else
			return lerr(L, line, "StoreDurability", "expected full, "
			    "normal or process, got '%.40s'", v);
	}
	if ((rc = get_bool(L, FIXU_CFG_DEFAULT, "StoreLog", 0,
	    &c->store_log)) != 0)
		return rc;
	return get_int(L, FIXU_CFG_DEFAULT, "CpuDmaLatency", 0, CPU_LAT_MAX,
	    -1, &c->cpu_latency);
}

int
fs_conf_load(struct fs_conf *c, const char *path, const char *dictpath,
    void (*warn)(const char *, void *), void *warnarg, struct fixu_diag *d)
{
	struct fixu_diag dd;
	struct ld L;
	const char *sl;
	size_t i, n;
	int rc;

	if (d == NULL)
		d = &dd;
	fixu_diag_clear(d);
	memset(c, 0, sizeof(*c));
	memset(&L, 0, sizeof(L));
	L.c = c;
	L.name = path;
	L.dictpath = dictpath;
	L.warn = warn;
	L.warnarg = warnarg;
	L.d = d;
	if ((sl = strrchr(path, '/')) != NULL) {
		n = sl == path ? 1 : (size_t)(sl - path);
		if (n >= sizeof(L.dir))
			return fixu_diag_set(d, FIXU_ELIMIT, 0, 0,
			    FIXU_REJ_NONE, "%s: path too long", path);
		memcpy(L.dir, path, n);
		L.dir[n] = '\0';
	}

	if ((rc = fixu_cfg_load(&c->cfg, path, d)) != 0) {
		if (rc == FIXU_ESYNTAX || rc == FIXU_ELIMIT) {
			char text[sizeof(d->msg)];
			size_t line = d->off;

			memcpy(text, d->msg, sizeof(text));
			return fixu_diag_set(d, FIXU_ESYNTAX, line, 0,
			    FIXU_REJ_NONE, "%s:%zu: %s", path, line, text);
		}
		/* A file that cannot be read is a system error, as in
		   fixstore; d->msg says why (strerror). */
		if (rc == FIXU_ENOTFOUND)
			d->code = rc = FIXU_EIO;
		return rc;
	}
	if (fixu_dicts_new(&c->dicts, dictpath) != 0) {
		rc = nomem(&L);
		goto out;
	}
	n = fixu_cfg_nsessions(c->cfg);
	if (n > 0 && ((c->sess = calloc(n, sizeof(*c->sess))) == NULL ||
	    (c->sess_line = calloc(n, sizeof(*c->sess_line))) == NULL ||
	    (c->scheds = calloc(n, sizeof(*c->scheds))) == NULL)) {
		rc = nomem(&L);
		goto out;
	}

	if ((rc = check_keys(&L, FIXU_CFG_DEFAULT)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((rc = check_keys(&L, i)) != 0)
			goto out;
	if ((rc = setup_default(&L)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* nsess counts the sessions fs_conf_free() must look at. */
		c->nsess = i + 1;
		if ((rc = build_session(&L, i)) != 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < c->nowned_sets; i++)
		free(L.setkeys != NULL ? L.setkeys[i] : NULL);
	free(L.setkeys);
	free(L.warned);
	return rc;
}

/* Secrets do not outlive the settings. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

void
fs_conf_free(struct fs_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsess; i++) {
		if (c->sess != NULL)
			wipe(c->sess[i].sc.password,
			    sizeof(c->sess[i].sc.password));
		if (c->scheds != NULL)
			fixu_sched_free(c->scheds[i]);
	}
	free(c->sess);
	free(c->sess_line);
	free(c->scheds);
	for (i = 0; i < c->nowned; i++)
		fixu_dict_free(c->owned[i]);
	free(c->owned);
	for (i = 0; i < c->nowned_sets; i++)
		fixu_dicts_free(c->owned_sets[i]);
	free(c->owned_sets);
	fixu_dicts_free(c->dicts);
	fixu_cfg_free(c->cfg);
	memset(c, 0, sizeof(*c));
}
