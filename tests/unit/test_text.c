/*
 * test_text.c -- the text module: every rendering mode, escapes, masking,
 * parsing readable lines and JSON back to wire, round trips, delimiter
 * and prefix detection, syntax errors with their columns.
 *
 * Dictionary-dependent checks use a small FIX.4.4 dictionary embedded
 * below (exact names and descriptions are asserted against it); the round
 * trips also run with dicts/FIX44.xml when it loads.  When no dictionary
 * loads at all those checks are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixutil.h"
#include "tap.h"

static const char mini_xml[] =
"<fix type='FIX' major='4' minor='4' servicepack='0'>\n"
" <header>\n"
"  <field name='BeginString' required='Y'/>\n"
"  <field name='BodyLength' required='Y'/>\n"
"  <field name='MsgType' required='Y'/>\n"
"  <field name='SenderCompID' required='Y'/>\n"
"  <field name='TargetCompID' required='Y'/>\n"
"  <field name='MsgSeqNum' required='Y'/>\n"
"  <field name='SendingTime' required='Y'/>\n"
"  <field name='XmlDataLen' required='N'/>\n"
"  <field name='XmlData' required='N'/>\n"
" </header>\n"
" <trailer>\n"
"  <field name='CheckSum' required='Y'/>\n"
" </trailer>\n"
" <messages>\n"
"  <message name='Heartbeat' msgtype='0' msgcat='admin'>\n"
"   <field name='TestReqID' required='N'/>\n"
"  </message>\n"
"  <message name='Logon' msgtype='A' msgcat='admin'>\n"
"   <field name='EncryptMethod' required='Y'/>\n"
"   <field name='HeartBtInt' required='Y'/>\n"
"   <field name='RawDataLength' required='N'/>\n"
"   <field name='RawData' required='N'/>\n"
"   <field name='Username' required='N'/>\n"
"   <field name='Password' required='N'/>\n"
"   <field name='NewPassword' required='N'/>\n"
"  </message>\n"
"  <message name='NewOrderSingle' msgtype='D' msgcat='app'>\n"
"   <field name='ClOrdID' required='Y'/>\n"
"   <component name='Parties' required='N'/>\n"
"   <field name='Symbol' required='Y'/>\n"
"   <field name='Side' required='Y'/>\n"
"   <field name='OrderQty' required='N'/>\n"
"   <field name='OrdType' required='Y'/>\n"
"   <field name='Price' required='N'/>\n"
"   <field name='Text' required='N'/>\n"
"  </message>\n"
" </messages>\n"
" <components>\n"
"  <component name='Parties'>\n"
"   <group name='NoPartyIDs' required='N'>\n"
"    <field name='PartyID' required='N'/>\n"
"    <field name='PartyIDSource' required='N'/>\n"
"    <field name='PartyRole' required='N'/>\n"
"    <group name='NoPartySubIDs' required='N'>\n"
"     <field name='PartySubID' required='N'/>\n"
"     <field name='PartySubIDType' required='N'/>\n"
"    </group>\n"
"   </group>\n"
"  </component>\n"
" </components>\n"
" <fields>\n"
"  <field number='8' name='BeginString' type='STRING'/>\n"
"  <field number='9' name='BodyLength' type='LENGTH'/>\n"
"  <field number='10' name='CheckSum' type='STRING'/>\n"
"  <field number='11' name='ClOrdID' type='STRING'/>\n"
"  <field number='34' name='MsgSeqNum' type='SEQNUM'/>\n"
"  <field number='35' name='MsgType' type='STRING'>\n"
"   <value enum='0' description='HEARTBEAT'/>\n"
"   <value enum='A' description='LOGON'/>\n"
"   <value enum='D' description='ORDER_SINGLE'/>\n"
"  </field>\n"
"  <field number='38' name='OrderQty' type='QTY'/>\n"
"  <field number='40' name='OrdType' type='CHAR'>\n"
"   <value enum='1' description='MARKET'/>\n"
"   <value enum='2' description='LIMIT'/>\n"
"  </field>\n"
"  <field number='44' name='Price' type='PRICE'/>\n"
"  <field number='49' name='SenderCompID' type='STRING'/>\n"
"  <field number='52' name='SendingTime' type='UTCTIMESTAMP'/>\n"
"  <field number='54' name='Side' type='CHAR'>\n"
"   <value enum='1' description='BUY'/>\n"
"   <value enum='2' description='SELL'/>\n"
"   <value enum='5' description='SELL SHORT'/>\n"
"  </field>\n"
"  <field number='55' name='Symbol' type='STRING'/>\n"
"  <field number='56' name='TargetCompID' type='STRING'/>\n"
"  <field number='58' name='Text' type='STRING'/>\n"
"  <field number='95' name='RawDataLength' type='LENGTH'/>\n"
"  <field number='96' name='RawData' type='DATA'/>\n"
"  <field number='98' name='EncryptMethod' type='INT'>\n"
"   <value enum='0' description='NONE_OTHER'/>\n"
"  </field>\n"
"  <field number='108' name='HeartBtInt' type='INT'/>\n"
"  <field number='112' name='TestReqID' type='STRING'/>\n"
"  <field number='212' name='XmlDataLen' type='LENGTH'/>\n"
"  <field number='213' name='XmlData' type='DATA'/>\n"
"  <field number='447' name='PartyIDSource' type='CHAR'>\n"
"   <value enum='D' description='PROPRIETARY_CUSTOM_CODE'/>\n"
"   <value enum='G' description='MIC'/>\n"
"  </field>\n"
"  <field number='448' name='PartyID' type='STRING'/>\n"
"  <field number='452' name='PartyRole' type='INT'>\n"
"   <value enum='1' description='EXECUTING_FIRM'/>\n"
"   <value enum='3' description='CLIENT_ID'/>\n"
"  </field>\n"
"  <field number='453' name='NoPartyIDs' type='NUMINGROUP'/>\n"
"  <field number='523' name='PartySubID' type='STRING'/>\n"
"  <field number='553' name='Username' type='STRING'/>\n"
"  <field number='554' name='Password' type='STRING'/>\n"
"  <field number='802' name='NoPartySubIDs' type='NUMINGROUP'/>\n"
"  <field number='803' name='PartySubIDType' type='INT'/>\n"
"  <field number='925' name='NewPassword' type='STRING'/>\n"
" </fields>\n"
"</fix>\n";

/* Wire messages built from "tag=value" lists with '|' standing for SOH;
 * a value written as @N takes data[N] (bytes with SOH, NUL, ...). */
struct datum {
	const char	*p;
	size_t		 n;
};

static const struct datum data[] = {
#define D(s)	{ s, sizeof(s) - 1 }
	D("a\001b|c\\d\ne\0f\rg"),
	D("<x a='|'>\001</x>"),
	D("caf\xc3\xa9 \xff\xfe"),
	D("\\|\\x01\\"),
#undef D
};

static struct fixu_builder bld;

static int
has(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return 1;
	return 0;
}
static char wire[16][4096];
static size_t wirelen[16];
static int nwire;

static void
mkwire(const char *spec)
{
	struct fixu_str out;
	const char *p = spec, *q, *eq;
	char bs[32];
	int rc;

	/* spec: "8=FIX.4.4|35=D|...": 9 and 10 computed. */
	q = strchr(p, '|');
	snprintf(bs, sizeof(bs), "%.*s", (int)(q - p - 2), p + 2);
	rc = fixu_build_begin(&bld, bs, strlen(bs), FIXU_SOH);
	for (p = q + 1; *p != '\0'; p = q + 1) {
		q = strchr(p, '|');
		eq = strchr(p, '=');
		if (eq[1] == '@') {
			const struct datum *dd = &data[eq[2] - '0'];

			rc |= fixu_build_add(&bld, (uint32_t)strtoul(p, NULL, 10), dd->p,
			    dd->n);
		} else {
			rc |= fixu_build_add(&bld, (uint32_t)strtoul(p, NULL, 10), eq + 1,
			    (size_t)(q - eq - 1));
		}
	}
	rc |= fixu_build_finish(&bld, &out);
	if (rc != 0 || out.n >= sizeof(wire[0])) {
		printf("# bad corpus spec %s\n", spec);
		exit(1);
	}
	memcpy(wire[nwire], out.p, out.n);
	wirelen[nwire++] = out.n;
}

static const char *corpus[] = {
	"8=FIX.4.4|35=0|49=A|56=B|34=1|52=20250101-00:00:00|",
	"8=FIX.4.4|35=A|49=CLIENT1|56=EXEC|34=1|52=20250101-00:00:00.123|"
	    "98=0|108=30|95=13|96=@0|553=u|554=secret|925=n\\ew|",
	"8=FIX.4.4|35=D|49=CLIENT1|56=EXEC|34=2|52=20250101-00:00:00|"
	    "212=14|213=@1|11=ORD1|453=2|448=ABC|447=D|452=1|802=2|523=s1|"
	    "803=1|523=s2|803=2|448=XYZ|447=G|452=3|55=MSFT|54=1|38=100|"
	    "40=2|44=1.5|58=a=b {c}|",
	"8=FIX.4.4|35=D|49=C|56=E|34=3|11=X|55=S|54=2|40=1|58=@2|",
	"8=FIX.4.4|35=D|49=C|56=E|34=4|11=X|9001=a|9001=b|55=S|9001=c|"
	    "54=2|40=1|58=@3|",
	"8=FIX.4.4|35=D|49=C|56=E|34=5|11=X|453=3|448=A|448=B|55=S|54=1|"
	    "40=1|",
	"8=FIXT.1.1|35=0|49=A|56=B|34=9|112=|",
	"8=FIX.4.4|35=D|49=C|56=E|34=6|11=X|453=0|55=S|54=5|40=1|",
};

static struct fixu_msg msg;

static void
parse(int k)
{
	int rc = fixu_msg_parse(&msg, wire[k], wirelen[k], FIXU_SOH, NULL, 0,
	    NULL);

	if (rc != 0) {
		printf("# corpus %d does not parse: %s\n", k,
		    fixu_strerror(rc));
		exit(1);
	}
}

static void
render(struct fixu_render *r, int k, struct fixu_buf *out)
{
	parse(k);
	out->len = 0;
	if (fixu_text_render(r, &msg, out, NULL) != 0) {
		printf("# render failed\n");
		out->len = 0;
	}
	/* NUL-terminated for strstr(); not part of the output. */
	fixu_buf_putc(out, '\0');
	out->len--;
}

static int
encode(struct fixu_encode *e, const char *p, size_t n, struct fixu_str *out,
    struct fixu_diag *d)
{
	return fixu_text_encode(e, p, n, out, d);
}

/* Every corpus message through mode and back; returns failures. */
static int
roundtrip(const struct fixu_dict *dict, int mode, char delim)
{
	struct fixu_render r;
	struct fixu_encode e;
	struct fixu_buf out;
	struct fixu_str w;
	struct fixu_diag d;
	int k, bad = 0;

	fixu_text_render_init(&r);
	fixu_text_encode_init(&e);
	fixu_buf_init(&out, 0);
	r.mode = mode;
	r.delim = delim;
	r.flags = FIXU_RENDER_NOMASK;
	r.tr = r.app = dict;
	e.tr = e.app = dict;
	for (k = 0; k < nwire; k++) {
		render(&r, k, &out);
		if (encode(&e, out.p, out.len, &w, &d) != 0 ||
		    w.n != wirelen[k] || memcmp(w.p, wire[k], w.n) != 0) {
			bad++;
			printf("# mode %d corpus %d: %.*s", mode, k,
			    (int)out.len, out.p);
			printf("#   %s\n", d.code ? d.msg : "differs");
		}
	}
	fixu_buf_fini(&out);
	fixu_text_encode_fini(&e);
	fixu_text_render_fini(&r);
	return bad;
}

/* Wire with '|' for SOH, for readable comparisons. */
static const char *
vis(struct fixu_str w)
{
	static char tmp[4096];
	size_t i;

	for (i = 0; i < w.n && i < sizeof(tmp) - 1; i++)
		tmp[i] = w.p[i] == FIXU_SOH ? '|' : w.p[i];
	tmp[i] = '\0';
	return tmp;
}

/* The body of a wire message without 8, 9 and 10, '|' for SOH. */
static const char *
body(struct fixu_str w)
{
	const char *s = vis(w), *b, *e;
	static char tmp[4096];

	b = strstr(s, "|35=");
	e = strstr(s, "|10=");
	if (b == NULL || e == NULL)
		return s;
	snprintf(tmp, sizeof(tmp), "%.*s", (int)(e - b - 1), b + 1);
	return tmp;
}

static void
test_default(void)
{
	struct fixu_render r;
	struct fixu_buf out;

	fixu_text_render_init(&r);
	fixu_buf_init(&out, 0);
	render(&r, 0, &out);
	is_mem(out.p, out.len, "8=FIX.4.4|9=41|35=0|49=A|56=B|34=1|"
	    "52=20250101-00:00:00|10=113|\n", "default mode");
	render(&r, 1, &out);
	ok(strstr(out.p, "|96=a\\x01b\\|c\\\\d\\ne\\x00f\\rg|") != NULL,
	    "data field escaped");
	ok(strstr(out.p, "|554=****|925=****|") != NULL, "passwords masked");
	r.flags = FIXU_RENDER_NOMASK;
	render(&r, 1, &out);
	ok(strstr(out.p, "|554=secret|925=n\\\\ew|") != NULL,
	    "masking off");
	r.delim = ';';
	render(&r, 1, &out);
	ok(strstr(out.p, ";96=a\\x01b|c\\\\d\\ne\\x00f\\rg;") != NULL,
	    "other delimiter: '|' plain, ';' escaped");
	r.delim = 0;
	render(&r, 3, &out);
	ok(strstr(out.p, "|58=caf\xc3\xa9 \xff\xfe|") != NULL,
	    "high bytes pass");
	r.mode = FIXU_TEXT_WIRE;
	render(&r, 2, &out);
	ok(out.len == wirelen[2] && memcmp(out.p, wire[2], out.len) == 0,
	    "wire mode gives the input");
	r.flags |= FIXU_RENDER_NL;
	render(&r, 2, &out);
	ok(out.len == wirelen[2] + 1 && out.p[out.len - 1] == '\n',
	    "wire mode with newline");
	r.flags = 0;
	render(&r, 1, &out);
	ok(out.len < wirelen[1] && has(out.p, out.len, "\001554=****\001"),
	    "wire mode masks");
	/* Parsed from a '|' log: the renderer does not care. */
	{
		char tmp[256];
		size_t i;

		memcpy(tmp, wire[0], wirelen[0]);
		for (i = 0; i < wirelen[0]; i++)
			if (tmp[i] == FIXU_SOH)
				tmp[i] = '|';
		fixu_msg_parse(&msg, tmp, wirelen[0], '|', NULL, 0, NULL);
		out.len = 0;
		r.mode = FIXU_TEXT_WIRE;
		fixu_text_render(&r, &msg, &out, NULL);
		ok(out.len == wirelen[0] && memcmp(out.p, wire[0],
		    out.len) == 0, "wire mode from a '|' message");
	}
	out.len = 0;
	fixu_text_escape(&out, "a|\\\001", 4, 0);
	is_mem(out.p, out.len, "a\\|\\\\\\x01", "fixu_text_escape");
	fixu_buf_fini(&out);
	fixu_text_render_fini(&r);
}

static void
test_dict_modes(const struct fixu_dict *dict)
{
	struct fixu_render r;
	struct fixu_buf out;

	fixu_text_render_init(&r);
	fixu_buf_init(&out, 0);
	r.tr = r.app = dict;
	r.mode = FIXU_TEXT_NAMES;
	render(&r, 2, &out);
	ok(strstr(out.p, "|35=D|{MsgType=NewOrderSingle}|49=CLIENT1|"
	    "{SenderCompID}|") != NULL, "names: message name");
	ok(strstr(out.p, "|54=1|{Side=BUY}|55=MSFT|{Symbol}|") == NULL &&
	    strstr(out.p, "|55=MSFT|{Symbol}|54=1|{Side=BUY}|") != NULL,
	    "names: enum and plain");
	ok(strstr(out.p, "|447=D|{PartyIDSource=PROPRIETARY_CUSTOM_CODE}|")
	    != NULL, "names: group member");
	ok(strstr(out.p, "|9=") != NULL && strstr(out.p, "|10=") != NULL &&
	    out.p[out.len - 1] == '\n', "names: one line");
	render(&r, 7, &out);
	ok(strstr(out.p, "|54=5|{Side=SELL_SHORT}|") != NULL,
	    "names: description sanitized");
	render(&r, 1, &out);
	ok(strstr(out.p, "|554=****|{Password}|") != NULL,
	    "names: masked, no description");

	r.mode = FIXU_TEXT_VERBOSE;
	render(&r, 2, &out);
	ok(strncmp(out.p, "# NewOrderSingle (D) FIX.4.4 CLIENT1->EXEC seq 2\n",
	    49) == 0, "verbose: title");
	ok(strstr(out.p, "\n453=2  NoPartyIDs\n  - #1\n  448=ABC  PartyID\n"
	    "  447=D  PartyIDSource = PROPRIETARY_CUSTOM_CODE\n") != NULL,
	    "verbose: group instance 1");
	ok(strstr(out.p, "  802=2  NoPartySubIDs\n    - #1\n    523=s1  "
	    "PartySubID\n") != NULL, "verbose: nested group");
	ok(strstr(out.p, "\n  - #2\n  448=XYZ  PartyID\n") != NULL,
	    "verbose: group instance 2");
	ok(strstr(out.p, "\n55=MSFT  Symbol\n54=1  Side = BUY\n") != NULL,
	    "verbose: back at top level");
	ok(out.len > 2 && memcmp(out.p + out.len - 2, "\n\n", 2) == 0,
	    "verbose: blank line after");
	ok(strstr(out.p, "213=<x a='\\|'>\\x01</x>  XmlData\n") != NULL,
	    "verbose: data escaped");

	r.mode = FIXU_TEXT_JSON;
	render(&r, 2, &out);
	ok(strncmp(out.p, "{\"_raw\":\"8=FIX.4.4|9=", 20) == 0,
	    "json: _raw first");
	ok(strstr(out.p, "\"MsgType\":\"D\",\"SenderCompID\":\"CLIENT1\"")
	    != NULL, "json: names in order");
	ok(strstr(out.p, "\"NoPartyIDs\":[{\"PartyID\":\"ABC\","
	    "\"PartyIDSource\":\"D\",\"PartyRole\":\"1\",\"NoPartySubIDs\":"
	    "[{\"PartySubID\":\"s1\",\"PartySubIDType\":\"1\"},{\"PartySubID\":"
	    "\"s2\",\"PartySubIDType\":\"2\"}]},{\"PartyID\":\"XYZ\"") != NULL,
	    "json: nested groups");
	ok(strstr(out.p, "\"XmlData\":\"<x a='|'>\\u0001</x>\"") != NULL,
	    "json: control bytes escaped by JSON");
	ok(out.p[out.len - 1] == '\n' && memchr(out.p, '\n', out.len - 1)
	    == NULL, "json: one line");
	render(&r, 3, &out);
	ok(strstr(out.p, "\"Text\":{\"base64\":\"Y2Fmw6kg//4=\"}") != NULL,
	    "json: invalid UTF-8 as base64");
	ok(strstr(out.p, "|58=caf\\\\xc3\\\\xa9 \\\\xff\\\\xfe|") != NULL,
	    "json: _raw kept UTF-8");
	render(&r, 4, &out);
	ok(strstr(out.p, "\"9001\":[\"a\",\"b\"],\"Symbol\":\"S\","
	    "\"9001#2\":\"c\"") != NULL, "json: repeats, adjacent and not");
	render(&r, 5, &out);
	ok(strstr(out.p, "\"NoPartyIDs\":\"3\"") != NULL,
	    "json: wrong count stays flat");
	render(&r, 1, &out);
	ok(strstr(out.p, "\"Password\":\"****\"") != NULL &&
	    strstr(out.p, "554=****") != NULL, "json: masked");
	r.mode = FIXU_TEXT_JSON;
	r.tr = r.app = NULL;
	render(&r, 2, &out);
	ok(strstr(out.p, "\"35\":\"D\",\"49\":\"CLIENT1\"") != NULL &&
	    strstr(out.p, "\"448\":\"ABC\"") != NULL &&
	    strstr(out.p, "\"448#2\":\"XYZ\"") != NULL,
	    "json without dictionary: tags, flat");
	fixu_buf_fini(&out);
	fixu_text_render_fini(&r);
}

static void
test_encode(const struct fixu_dict *dict)
{
	struct fixu_encode e;
	struct fixu_str w;
	struct fixu_diag d;
	struct fixu_field hdr[4];
	const char *s;
	int rc;

	fixu_text_encode_init(&e);
	s = "8=FIX.4.4|9=999|35=0|49=A|56=B|34=1|52=20250101-00:00:00|10=000|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == 0 && w.n == wirelen[0] && memcmp(w.p, wire[0], w.n) == 0,
	    "9 and 10 recomputed");
	s = "8=FIX.4.2^35=0^49=A^56=B^\n";
	rc = encode(&e, s, strlen(s), &w, &d);
	is_str(vis(w), "8=FIX.4.2|9=15|35=0|49=A|56=B|10=169|",
	    "'^' detected");
	s = "35=D;55=MSFT;54=1\r\n";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == 0 && strncmp(vis(w), "8=FIX.4.4|", 10) == 0,
	    "default BeginString");
	is_str(body(w), "35=D|55=MSFT|54=1", "';' detected, CRLF");
	e.begin = "FIX.4.2";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == 0 && strncmp(vis(w), "8=FIX.4.2|", 10) == 0,
	    "caller's BeginString");
	s = "8=FIX.4.4|35=0|";
	e.flags = FIXU_ENC_FORCE_BEGIN;
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == 0 && strncmp(vis(w), "8=FIX.4.2|", 10) == 0,
	    "forced BeginString");
	e.flags = 0;
	e.begin = NULL;
	s = "  35=D|{MsgType=NewOrderSingle}|58=a\\|b\\\\c\\x00\\n\\t\\r| 55 =X|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == 0 && has(w.p, w.n, "\00135=D\00158=a|b\\c") &&
	    has(w.p, w.n, "\\c\0\n\t\r\00155=X\00110="),
	    "escapes, pseudo-fields, blanks around a key");

	/* Header fill. */
	hdr[0] = (struct fixu_field){ 49, 2, "ME" };
	hdr[1] = (struct fixu_field){ 56, 3, "YOU" };
	hdr[2] = (struct fixu_field){ 34, 2, "17" };
	e.hdr = hdr;
	e.nhdr = 3;
	s = "35=D|56=OLD|55=X|";
	rc = encode(&e, s, strlen(s), &w, &d);
	is_str(body(w), "35=D|49=ME|34=17|56=OLD|55=X", "header filled");
	e.flags = FIXU_ENC_HDR_REPLACE;
	rc = encode(&e, s, strlen(s), &w, &d);
	is_str(body(w), "35=D|49=ME|34=17|56=YOU|55=X", "header replaced");
	e.flags = 0;
	e.nhdr = 0;

	/* Errors with columns. */
	s = "35=D|55MSFT|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ENOEQ && d.off == 5, "no '=' at column 5 (%zu)", d.off);
	s = "35=D|5x5=MSFT|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ETAG && d.off == 5, "non-numeric tag, no dictionary");
	s = "35=D|0=MSFT|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ETAG && d.off == 5, "tag 0");
	s = "35=D|99999999999=MSFT|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ETAG && d.off == 5, "tag too large");
	s = "35=D|58=ab\\q|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX && d.off == 10, "bad escape at column 10");
	s = "35=D|58=ab\\x4|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX && d.off == 10, "short \\x escape");
	s = "35=D|58=ab\\";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX && d.off == 10, "backslash at end");
	s = "55=X|54=1|";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX && d.tag == 35, "no MsgType");
	s = "{\"35\":\"D\",\"55\":}";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX && d.off == 15, "bad JSON at column 15 (%zu)",
	    d.off);
	s = "[1]";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ENOEQ && d.off == 0, "not JSON, not text");
	s = " \t\r\n";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX, "blank line");
	s = "{\"35\":\"D\",\"55\":{\"x\":1}}";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX && d.off == 10, "JSON object for a plain field");
	s = "{\"35\":\"D\",\"58\":{\"base64\":\"@@@@\"}}";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX && d.off == 10, "bad base64");
	s = "{\"35\":\"D\",\"Side\":\"1\"}";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ETAG && d.off == 10, "JSON name without dictionary");
	s = "{\"35\":\"D\",\"35\":\"8\"}";
	rc = encode(&e, s, strlen(s), &w, &d);
	ok(rc == FIXU_ESYNTAX, "JSON duplicate keys rejected");
	s = "{\"_raw\":\"8=FIX.4.4|35=8|\",\"35\":\"D\",\"38\":100,\"44\":1.25,"
	    "\"9001\":true,\"58\":null}";
	rc = encode(&e, s, strlen(s), &w, &d);
	is_str(body(w), "35=D|38=100|44=1.25|9001=Y",
	    "JSON numbers, booleans, null; _raw ignored");

	if (dict != NULL) {
		e.tr = e.app = dict;
		s = "MsgType=NewOrderSingle|Symbol=MSFT|Side=sell short|"
		    "54=buy|OrdType=2|Text=BUY|";
		rc = encode(&e, s, strlen(s), &w, &d);
		is_str(body(w), "35=D|55=MSFT|54=5|54=1|40=2|58=BUY",
		    "names and descriptions on input");
		s = "35=D|Symbl=MSFT|";
		rc = encode(&e, s, strlen(s), &w, &d);
		ok(rc == FIXU_ENOTFOUND && d.off == 5,
		    "unknown name at column 5");
		s = "{\"MsgType\":\"D\",\"NoPartyIDs\":[{\"PartyID\":\"A\","
		    "\"PartyRole\":\"CLIENT_ID\",\"NoPartySubIDs\":[{\"523\":"
		    "\"s\"}]},{\"PartyID\":\"B\"}],\"Symbol\":\"X\","
		    "\"Text\":[\"a\",{\"base64\":\"AAE=\"}],\"Text#2\":\"z\"}";
		rc = encode(&e, s, strlen(s), &w, &d);
		ok(rc == 0 && has(w.p, w.n, "\00135=D\001453=2\001448=A"
		    "\001452=3\001802=1\001523=s\001448=B\00155=X\00158=a"
		    "\00158=\0\001\00158=z\00110="),
		    "JSON groups, repeats, base64 in");
		s = "{\"MsgType\":\"D\",\"NoPartyIDs\":[],\"Nope\":\"1\"}";
		rc = encode(&e, s, strlen(s), &w, &d);
		ok(rc == FIXU_ENOTFOUND && d.off == 31,
		    "JSON unknown name at its key (%zu)", d.off);
		s = "{\"MsgType\":\"D\",\"NoPartyIDs\":[]}";
		rc = encode(&e, s, strlen(s), &w, &d);
		is_str(body(w), "35=D|453=0", "JSON empty group");
		s = "{\"MsgType\":\"D\",\"NoPartyIDs\":[{\"PartyID\":\"A\"},1]}";
		rc = encode(&e, s, strlen(s), &w, &d);
		ok(rc == FIXU_ESYNTAX, "JSON group instance not an object");
	}
	fixu_text_encode_fini(&e);
}

static void
test_scan(void)
{
	static const struct {
		const char	*line;
		int		 delim;
		size_t		 prefix;
		int		 found;
	} t[] = {
		{ "8=FIX.4.4\0019=5\00135=0\001", 0, 0, FIXU_SOH },
		{ "20251122-10:11:12.123456789 : 8=FIX.4.4|9=5|35=0|", 0, 30,
		    '|' },
		{ "Nov 22 10:11:12 host fix[42]: 8=FIXT.1.1^A9=5^A35=0^A", 0,
		    30, FIXU_DELIM_CARET_A },
		{ "x 8=FIX.4.2^9=5^35=0^", 0, 2, '^' },
		{ "8=FIX.4.4;9=5;35=0;", 0, 0, ';' },
		{ "8=FIX.4.4,9=5,35=0,", 0, 0, ',' },
		{ "in: 8=FIX.4.4\t9=5\t35=0\t", 0, 4, '\t' },
		{ "58=FIX it 8=FIX.4.4|9=5|", 0, 10, '|' },
		{ "text 8=FIX.4.4 then 8=FIX.4.4|9=1|", 0, 20, '|' },
		{ "8=FIX.4.4|9=5|", ';', 0, -1 },
		{ "8=FIX.4.4|9=5| 8=FIX.4.4;9=5;", ';', 15, ';' },
		{ "8=FIX.4.4^A9=5^A", '^', 0, -1 },
		{ "8=FIX.4.4^A9=5^A", FIXU_DELIM_CARET_A, 0,
		    FIXU_DELIM_CARET_A },
		{ "no fix here", 0, 0, -1 },
		{ "8=FIX.4.4", 0, 0, -1 },
	};
	struct fixu_buf b;
	size_t i, pre, n;
	int found, rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].line);
		if (t[i].found == FIXU_SOH)
			n = 17;
		pre = 999;
		found = 0;
		rc = fixu_text_scan(t[i].line, n, t[i].delim, &pre, &found);
		if (t[i].found < 0)
			ok(rc == FIXU_ENOTFOUND, "scan %zu: nothing", i);
		else
			ok(rc == 0 && pre == t[i].prefix &&
			    found == t[i].found, "scan %zu: prefix %zu delim "
			    "%d (got %d, %zu, %d)", i, t[i].prefix,
			    t[i].found, rc, pre, found);
	}
	fixu_buf_init(&b, 0);
	fixu_text_caret_a(&b, "8=FIX.4.4^A9=5^A^B^", 19);
	is_mem(b.p, b.len, "8=FIX.4.4\0019=5\001^B^", "caret A converted");
	fixu_buf_fini(&b);
}

static const struct fixu_dict *
load_fix44(struct fixu_dicts **set)
{
	const struct fixu_dict *d = NULL;

	if (fixu_dicts_new(set, NULL) != 0)
		return NULL;
	if (fixu_dicts_get(*set, "FIX.4.4", &d, NULL) != 0)
		return NULL;
	return d;
}

int
main(void)
{
	struct fixu_dict *mini = NULL;
	struct fixu_dicts *set = NULL;
	const struct fixu_dict *fix44;
	struct fixu_diag d;
	size_t i;
	int m;

	fixu_build_init(&bld);
	fixu_msg_init(&msg);
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
		mkwire(corpus[i]);
	if (fixu_dict_load_mem(&mini, mini_xml, sizeof(mini_xml) - 1,
	    "mini.xml", &d) != 0) {
		printf("# embedded dictionary: %s\n", d.msg);
		mini = NULL;
	}
	fix44 = load_fix44(&set);

	test_default();
	test_encode(mini);
	test_scan();
	for (m = FIXU_TEXT_DEFAULT; m <= FIXU_TEXT_JSON; m++) {
		if (m == FIXU_TEXT_VERBOSE)
			continue;
		is_int(roundtrip(NULL, m, 0), 0,
		    "round trip, mode %d, no dictionary", m);
		is_int(roundtrip(NULL, m, ';'), 0,
		    "round trip, mode %d, ';'", m);
	}
	if (mini != NULL) {
		test_dict_modes(mini);
		for (m = FIXU_TEXT_DEFAULT; m <= FIXU_TEXT_JSON; m++)
			if (m != FIXU_TEXT_VERBOSE)
				is_int(roundtrip(mini, m, 0), 0,
				    "round trip, mode %d, mini dictionary", m);
	} else
		printf("# SKIP dictionary modes: embedded dictionary did not "
		    "load\n");
	if (fix44 != NULL) {
		for (m = FIXU_TEXT_DEFAULT; m <= FIXU_TEXT_JSON; m++)
			if (m != FIXU_TEXT_VERBOSE)
				is_int(roundtrip(fix44, m, 0), 0,
				    "round trip, mode %d, FIX44.xml", m);
	} else
		printf("# SKIP FIX44.xml round trips: not found\n");
	fixu_dict_free(mini);
	fixu_dicts_free(set);
	fixu_msg_fini(&msg);
	fixu_build_fini(&bld);
	return tap_done();
}
