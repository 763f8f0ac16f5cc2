/*
 * fuzz_dict.c -- load arbitrary bytes as a QuickFIX XML dictionary.
 *
 * A load must either fail with a diagnostic or give a dictionary whose
 * every lookup works; a loaded dictionary is then walked (fields, enums,
 * messages, length/data pairs) and used to lay out and validate a few
 * fixed messages, so that a strange but accepted dictionary (cycles of
 * components, groups without fields, duplicate numbers) reaches the code
 * that trusts it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "dict.h"
#include "fixlimits.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_dict: %s:%d: check failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* Messages in '|' form; the codec parses them without checks. */
static const char *const msgs[] = {
	"8=FIX.4.4|9=0|35=0|49=A|56=B|34=1|52=20260101-00:00:00|10=000|",
	"8=FIX.4.4|9=0|35=D|49=A|56=B|34=2|52=20260101-00:00:00|11=X|"
	    "453=2|448=P1|447=D|452=1|448=P2|447=D|452=3|55=MSFT|54=1|"
	    "60=20260101-00:00:00|38=100|40=2|44=1.5|10=000|",
	"8=FIX.4.4|9=0|35=8|49=A|56=B|34=3|52=20260101-00:00:00|37=O|"
	    "17=E|150=0|39=0|55=X|54=9|151=0|14=0|6=0|95=3|96=a|b|10=000|",
	"8=FIXT.1.1|9=0|35=A|49=A|56=B|34=1|52=20260101-00:00:00|98=0|"
	    "108=30|1137=9|384=1|372=D|385=S|10=000|",
	"8=FIX.4.4|9=0|35=ZZ|5000=1|78=1|79=A|80=1|10=000|",
};

struct walk {
	const struct fixu_dict	*d;
	size_t			 n;
	size_t			 bytes;
};

static void
each_field(const struct fixu_dfield *f, void *arg)
{
	struct walk *w = arg;
	const struct fixu_dfield *g;
	uint32_t i;

	w->n++;
	CHECK(f->name != NULL);
	w->bytes += strlen(f->name);
	CHECK(fixu_type_name(f->type) != NULL);
	g = fixu_dict_field(w->d, f->tag);
	CHECK(g != NULL && g->tag == f->tag);
	CHECK(fixu_dict_field_byname(w->d, f->name, strlen(f->name)) != NULL);
	for (i = 0; i < f->nenums; i++) {
		CHECK(f->enums[i].value != NULL);
		w->bytes += strlen(f->enums[i].value);
		if (f->enums[i].desc != NULL)
			w->bytes += strlen(f->enums[i].desc);
	}
	if (f->nenums > 0) {
		const char *v = f->enums[f->nenums - 1].value;

		(void)fixu_dict_enum(f, v, strlen(v));
		if (f->enums[0].desc != NULL)
			(void)fixu_dict_enum_byname(f, f->enums[0].desc,
			    strlen(f->enums[0].desc));
	}
	(void)fixu_dict_enum(f, "", 0);
}

static void
each_msg(const struct fixu_dmsg *dm, void *arg)
{
	struct walk *w = arg;
	const char *name = fixu_dmsg_name(dm), *type = fixu_dmsg_type(dm);

	w->n++;
	if (name != NULL)
		w->bytes += strlen(name);
	if (type != NULL)
		w->bytes += strlen(type);
	(void)fixu_dmsg_is_admin(dm);
}

static void
use(const struct fixu_dict *d)
{
	static struct fixu_msg m;
	static struct fixu_fpos *pos;
	static uint32_t poscap;
	struct fixu_diag issues[FIXU_MAX_ISSUES];
	const struct fixu_lenmap *lm;
	struct walk w = { d, 0, 0 };
	const char *s;
	uint32_t t;
	size_t i;
	int k, nis;

	if ((s = fixu_dict_version(d)) != NULL)
		w.bytes += strlen(s);
	if ((s = fixu_dict_applverid(d)) != NULL)
		w.bytes += strlen(s);
	if ((s = fixu_dict_path(d)) != NULL)
		w.bytes += strlen(s);
	fixu_dict_each_field(d, each_field, &w);
	fixu_dict_each_msg(d, each_msg, &w);
	for (t = 0; t < 64; t++)
		(void)fixu_dict_field(d, t);
	(void)fixu_dict_field(d, FIXU_MAX_TAG);
	(void)fixu_dict_field(d, UINT32_MAX);
	(void)fixu_dict_field_byname(d, "", 0);
	(void)fixu_dict_msg(d, "", 0);
	(void)fixu_dict_msg_byname(d, "Heartbeat", 9);
	lm = fixu_dict_lenmap(d);
	CHECK(lm != NULL);
	for (i = 0; i < lm->n; i++)
		CHECK(fixu_lenmap_data(lm, lm->len[i]) == lm->data[i]);

	if (pos == NULL)
		fixu_msg_init(&m);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		if (fixu_msg_parse(&m, msgs[i], strlen(msgs[i]), '|', lm,
		    FIXU_PARSE_NOCHECK, NULL) < 0)
			continue;
		if (m.nf > poscap) {
			poscap = m.nf;
			pos = realloc(pos, poscap * sizeof(*pos));
			CHECK(pos != NULL);
		}
		(void)fixu_dict_msg(d, fixu_msg_get(&m, 35).p,
		    fixu_msg_get(&m, 35).n);
		k = fixu_dict_layout(d, d, &m, pos);
		CHECK(k <= 0);
		nis = -1;
		k = fixu_dict_validate(d, d, &m, FIXU_V_ALL &
		    ~FIXU_V_LENGTH_CHECKSUM, issues, FIXU_MAX_ISSUES, &nis);
		CHECK(k <= 0);
		CHECK(nis >= 0 && nis <= FIXU_MAX_ISSUES);
		CHECK(k != 0 || nis == 0);
		for (k = 0; k < nis; k++)
			CHECK(strlen(issues[k].msg) < sizeof(issues[k].msg));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixu_dict *d = (struct fixu_dict *)1;
	struct fixu_diag diag;
	int rc;

	rc = fixu_dict_load_mem(&d, (const char *)data, size, "fuzz.xml",
	    &diag);
	if (rc < 0) {
		CHECK(d == NULL);
		CHECK(diag.code == rc);
		CHECK(strlen(diag.msg) < sizeof(diag.msg));
		return 0;
	}
	CHECK(rc == 0 && d != NULL);
	use(d);
	fixu_dict_free(d);
	return 0;
}
