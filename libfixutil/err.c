#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

const char *
fixu_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
#define FIXU_ERR_CASE(name, num, text) case FIXU_##name: return text;
	FIXU_ERRORS(FIXU_ERR_CASE)
#undef FIXU_ERR_CASE
	}
	return "unknown error";
}

const char *
fixu_reject_text(int r)
{
	static const char *const text[] = {
		"Invalid tag number",
		"Required tag missing",
		"Tag not defined for this message type",
		"Undefined Tag",
		"Tag specified without a value",
		"Value is incorrect (out of range) for this tag",
		"Incorrect data format for value",
		"Decryption problem",
		"Signature problem",
		"CompID problem",
		"SendingTime accuracy problem",
		"Invalid MsgType",
		"XML Validation error",
		"Tag appears more than once",
		"Tag specified out of required order",
		"Repeating group fields out of order",
		"Incorrect NumInGroup count for repeating group",
		"Non Data value includes field delimiter (SOH character)",
	};

	if (r >= 0 && (size_t)r < sizeof(text) / sizeof(text[0]))
		return text[r];
	if (r == FIXU_REJ_OTHER)
		return "Other";
	return "";
}

void
fixu_diag_clear(struct fixu_diag *d)
{
	if (d == NULL)
		return;
	d->code = 0;
	d->off = (size_t)-1;
	d->tag = 0;
	d->reject = FIXU_REJ_NONE;
	d->msg[0] = '\0';
}

int
fixu_diag_set(struct fixu_diag *d, int code, size_t off, uint32_t tag,
    int reject, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return code;
	d->code = code;
	d->off = off;
	d->tag = tag;
	d->reject = reject;
	d->msg[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		/* A long detail is cut; it is advisory text, never data. */
		(void)vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

char *
fixu_diag_fmt(const struct fixu_diag *d, char *buf, size_t n)
{
	int r;

	if (n == 0)
		return buf;
	if (d->msg[0] != '\0')
		r = snprintf(buf, n, "%s: %s", fixu_strerror(d->code), d->msg);
	else
		r = snprintf(buf, n, "%s", fixu_strerror(d->code));
	if (r < 0)
		buf[0] = '\0';
	return buf;
}
