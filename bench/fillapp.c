/*
 * fillapp.c -- the application behind fixsession in the session bench:
 * fills every order at once.
 *
 *   fillapp
 *
 * Reads fixsession's inbound application messages on stdin (wire form,
 * one a line, optionally after a "session-id<TAB>" prefix) and answers
 * each NewOrderSingle (35=D) with one ExecutionReport on stdout: the
 * fields QuickFIX's example executor sends for a full fill -- OrderID,
 * ClOrdID, ExecID, ExecType (F from FIX.4.3 on, 2 before; FIX.4.2 and
 * earlier also get ExecTransType 0), OrdStatus 2, Symbol, Side, OrderQty,
 * Price, LastQty/LastShares, LastPx, CumQty, AvgPx, LeavesQty 0, and
 * Account when the order has one -- as an SOH-delimited field run ending
 * in a newline, which fixsession numbers and completes.  Other messages
 * are ignored.
 *
 * Output is written when the input would block (or a buffer fills), not
 * per line: under load one write(2) carries many reports, so the
 * application is never what limits the session.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"

#define IN_CHUNK	(256u * 1024)
#define OUT_HIGH	(256u * 1024)

struct app {
	struct fixu_buf	 in, out;
	struct fixu_msg	 m;
	uint64_t	 orders, bad;
};

static int
flush_out(struct app *a)
{
	ssize_t w;
	size_t off = 0;

	while (off < a->out.len) {
		w = write(1, a->out.p + off, a->out.len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	a->out.len = 0;
	return 0;
}

static int
put(struct app *a, uint32_t tag, const char *v, size_t n)
{
	int rc = 0;

	rc |= fixu_buf_putu(&a->out, tag);
	rc |= fixu_buf_putc(&a->out, '=');
	rc |= fixu_buf_append(&a->out, v, n);
	rc |= fixu_buf_putc(&a->out, FIXU_SOH);
	return rc;
}

static int
put_u(struct app *a, uint32_t tag, const char *pfx, uint64_t v)
{
	int rc = 0;

	rc |= fixu_buf_putu(&a->out, tag);
	rc |= fixu_buf_putc(&a->out, '=');
	rc |= fixu_buf_puts(&a->out, pfx);
	rc |= fixu_buf_putu(&a->out, v);
	rc |= fixu_buf_putc(&a->out, FIXU_SOH);
	return rc;
}

static int
put_field(struct app *a, uint32_t tag, uint32_t from)
{
	struct fixu_str v = fixu_msg_get(&a->m, from);

	return put(a, tag, v.p, v.n);
}

/* One inbound line, newline stripped. */
static void
on_line(struct app *a, const char *p, size_t n)
{
	struct fixu_diag d;
	struct fixu_str ty, begin, acct;
	const char *tab, *pfx = p;
	size_t pfxn = 0;
	int old, rc = 0;

	/* "session-id<TAB>" when fixsession prefixes lines: echo it. */
	if ((tab = memchr(p, '\t', n)) != NULL &&
	    memchr(p, '=', (size_t)(tab - p)) == NULL) {
		pfxn = (size_t)(tab - p) + 1;
		p += pfxn;
		n -= pfxn;
	}
	if (n == 0)
		return;
	if (fixu_msg_parse(&a->m, p, n, FIXU_SOH, NULL, 0, &d) != 0 &&
	    fixu_msg_parse(&a->m, p, n, FIXU_SOH, NULL, FIXU_PARSE_NOCHECK,
	    &d) != 0) {
		if (a->bad++ == 0)
			warnx("line not understood: %s", d.msg);
		return;
	}
	ty = fixu_msg_get(&a->m, 35);
	if (!(ty.n == 1 && ty.p[0] == 'D'))
		return;
	a->orders++;
	begin = fixu_msg_get(&a->m, 8);
	/* FIX.4.0 .. 4.2: ExecType 2 and ExecTransType; 4.3 on: F. */
	old = begin.n == 7 && memcmp(begin.p, "FIX.4.", 6) == 0 &&
	    begin.p[6] <= '2';
	rc |= fixu_buf_append(&a->out, pfx, pfxn);
	rc |= put(a, 35, "8", 1);
	rc |= put_u(a, 37, "O", a->orders);
	rc |= put_field(a, 11, 11);
	rc |= put_u(a, 17, "E", a->orders);
	if (old)
		rc |= put(a, 20, "0", 1);
	rc |= put(a, 150, old ? "2" : "F", 1);
	rc |= put(a, 39, "2", 1);
	rc |= put_field(a, 55, 55);
	rc |= put_field(a, 54, 54);
	rc |= put_field(a, 38, 38);
	rc |= put_field(a, 44, 44);
	rc |= put_field(a, 32, 38);
	rc |= put_field(a, 31, 44);
	rc |= put_field(a, 14, 38);
	rc |= put_field(a, 6, 44);
	rc |= put(a, 151, "0", 1);
	acct = fixu_msg_get(&a->m, 1);
	if (acct.n > 0)
		rc |= put(a, 1, acct.p, acct.n);
	rc |= fixu_buf_putc(&a->out, '\n');
	if (rc != 0)
		errx(3, "output buffer full");
}

/* 1 when a read of stdin would not block. */
static int
readable(void)
{
	struct pollfd pfd;

	pfd.fd = 0;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) > 0;
}

int
main(int argc, char **argv)
{
	struct app a;
	ssize_t r;
	size_t off;
	char *nl;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: fillapp\n");
		return 2;
	}
	memset(&a, 0, sizeof(a));
	fixu_buf_init(&a.in, 64u << 20);
	fixu_buf_init(&a.out, 64u << 20);
	fixu_msg_init(&a.m);
	for (;;) {
		if (fixu_buf_reserve(&a.in, IN_CHUNK) != 0)
			errx(3, "input line too long");
		r = read(0, a.in.p + a.in.len, IN_CHUNK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err(3, "read");
		}
		if (r == 0)
			break;
		a.in.len += (size_t)r;
		off = 0;
		while ((nl = memchr(a.in.p + off, '\n', a.in.len - off))
		    != NULL) {
			on_line(&a, a.in.p + off, (size_t)(nl - a.in.p) - off);
			off = (size_t)(nl - a.in.p) + 1;
			if (a.out.len >= OUT_HIGH && flush_out(&a) != 0)
				err(3, "write");
		}
		fixu_buf_consume(&a.in, off);
		if (a.out.len > 0 && !readable() && flush_out(&a) != 0)
			err(3, "write");
	}
	if (a.in.len > 0)
		on_line(&a, a.in.p, a.in.len);
	if (flush_out(&a) != 0)
		err(3, "write");
	fixu_buf_fini(&a.in);
	fixu_buf_fini(&a.out);
	fixu_msg_fini(&a.m);
	return 0;
}
