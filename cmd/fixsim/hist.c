/*
 * hist.c -- log-linear latency histograms, their text form and a plot.
 *
 * The plot follows HdrHistogram's percentile charts: the x axis is
 * log10(1 / (1 - p)), so 90%, 99%, 99.9% ... are evenly spaced and the
 * tail, where latency problems live, gets most of the width; the y axis is
 * latency in microseconds, linear from 0.  It is plain SVG text, readable
 * by any browser, with nothing but a polyline, grid lines and labels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

#define SUB	(1u << HIST_SUB_BITS)

static uint32_t
idx_of(uint64_t v)
{
	int e;

	if (v < 2 * SUB)
		return (uint32_t)v;
	e = 63 - __builtin_clzll(v) - HIST_SUB_BITS;
	return (uint32_t)e * SUB + (uint32_t)(v >> e);
}

/* The largest value bucket i counts. */
static uint64_t
upper_of(uint32_t i)
{
	uint32_t e, m;

	if (i < 2 * SUB)
		return i;
	e = i / SUB - 1;
	m = i - e * SUB;
	return (((uint64_t)m + 1) << e) - 1;
}

int
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->nb = idx_of((uint64_t)HIST_MAX_NS) + 1;
	if ((h->c = calloc(h->nb, sizeof(*h->c))) == NULL)
		return -1;
	h->min = INT64_MAX;
	return 0;
}

void
hist_fini(struct hist *h)
{
	free(h->c);
	h->c = NULL;
}

void
hist_add(struct hist *h, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	if (ns > HIST_MAX_NS) {
		h->over++;
		ns = HIST_MAX_NS;
	}
	h->c[idx_of((uint64_t)ns)]++;
	h->n++;
}

int64_t
hist_pct(const struct hist *h, double p)
{
	uint64_t want, cum = 0;
	uint32_t i;

	if (h->n == 0)
		return 0;
	if (p >= 100)
		return h->max;
	want = (uint64_t)ceil(p / 100 * (double)h->n);
	if (want == 0)
		want = 1;
	for (i = 0; i < h->nb; i++) {
		cum += h->c[i];
		if (cum >= want)
			return (int64_t)upper_of(i) < h->max ?
			    (int64_t)upper_of(i) : h->max;
	}
	return h->max;
}

int
hist_write(const struct hist *h, FILE *f)
{
	uint32_t i;

	fprintf(f, "# upper_us count\n");
	for (i = 0; i < h->nb; i++)
		if (h->c[i] != 0)
			fprintf(f, "%.3f %llu\n", (double)upper_of(i) / 1000,
			    (unsigned long long)h->c[i]);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* ---- the plot -------------------------------------------------------- */

#define W	800
#define H	480
#define ML	80	/* margins: left, right, top, bottom */
#define MR	30
#define MT	50
#define MB	60
#define XMAX	5.0	/* 99.999% */

static void
xml_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':	fputs("&amp;", f); break;
		case '<':	fputs("&lt;", f); break;
		case '>':	fputs("&gt;", f); break;
		case '"':	fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

/* 1, 2, 2.5 or 5 times a power of ten, at least v. */
static double
nice_ceil(double v)
{
	static const double f[] = { 1, 2, 2.5, 5, 10 };
	double b;
	size_t i;

	if (v <= 0)
		return 1;
	b = pow(10, floor(log10(v)));
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] * b >= v)
			return f[i] * b;
	return 10 * b;
}

static double
px(double x)
{
	return ML + x / XMAX * (W - ML - MR);
}

static double
py(double us, double ymax)
{
	return MT + (H - MT - MB) * (1 - us / ymax);
}

static double
xpos(double p)
{
	return p >= 0.99999 ? XMAX : -log10(1 - p);
}

static void
grid(FILE *f, double ymax)
{
	static const char *xl[] = { "0%", "90%", "99%", "99.9%", "99.99%",
	    "99.999%" };
	double y;
	int i;

	for (i = 0; i <= (int)XMAX; i++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "stroke=\"#ddd\"/>\n<text x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\">%s</text>\n", px(i), MT, px(i),
		    H - MB, px(i), H - MB + 20, xl[i]);
	for (i = 0; i <= 5; i++) {
		y = ymax * i / 5;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "stroke=\"#ddd\"/>\n<text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%g</text>\n", ML, py(y, ymax), W - MR,
		    py(y, ymax), ML - 8, py(y, ymax) + 4, y);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
	    "percentile</text>\n", (ML + W - MR) / 2, H - 15);
	fprintf(f, "<text x=\"20\" y=\"%d\" text-anchor=\"middle\" "
	    "transform=\"rotate(-90 20 %d)\">latency (\xc2\xb5s)</text>\n",
	    (MT + H - MB) / 2, (MT + H - MB) / 2);
}

int
hist_svg(const struct hist *h, FILE *f, const char *title)
{
	double ymax, maxus = (double)h->max / 1000, p0, p1, v, ly = -1;
	uint64_t cum = 0;
	uint32_t i;

	ymax = nice_ceil(h->n > 0 ? maxus : 1);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"white\"/>\n<text x=\"%d\" y=\"28\" font-size=\"15\">",
	    W, H, W, H, ML);
	xml_text(f, title != NULL ? title : "latency by percentile");
	fputs("</text>\n", f);
	grid(f, ymax);
	fprintf(f, "<polyline fill=\"none\" stroke=\"#1f77b4\" "
	    "stroke-width=\"2\" points=\"");
	for (i = 0; i < h->nb && h->n > 0; i++) {
		if (h->c[i] == 0)
			continue;
		p0 = (double)cum / (double)h->n;
		cum += h->c[i];
		p1 = (double)cum / (double)h->n;
		v = (double)upper_of(i) / 1000;
		if (v > maxus)
			v = maxus;
		/* A step: up at p0 (unless level), then along to p1. */
		if (py(v, ymax) != ly)
			fprintf(f, "%.1f,%.1f ", px(xpos(p0)), py(v, ymax));
		fprintf(f, "%.1f,%.1f ", px(xpos(p1)), py(v, ymax));
		ly = py(v, ymax);
		if (p1 >= 0.99999)
			break;
	}
	fprintf(f, "\"/>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	    "fill=\"none\" stroke=\"#333\"/>\n</svg>\n", ML, MT, W - ML - MR,
	    H - MT - MB);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
