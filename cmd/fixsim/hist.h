/*
 * hist.h -- latency histograms for fixsim load.
 *
 * Values are nanoseconds, counted in log-linear buckets (HdrHistogram's
 * scheme): below 256 ns one bucket per nanosecond, above that 128 buckets
 * per power of two, so a bucket is at most 1/128 (0.8%) wider than its
 * lower bound.  Recording is a few instructions and never allocates; the
 * range ends at HIST_MAX_NS, and larger values are counted there (the
 * exact maximum is kept apart).  A percentile is reported as the upper
 * bound of its bucket, never above the maximum seen.
 *
 * Ownership: a struct hist owns its counts; hist_fini() frees them.
 */
#ifndef FIXSIM_HIST_H
#define FIXSIM_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS	7
#define HIST_MAX_NS	(60LL * 1000000000LL)	/* 60 s */

struct hist {
	uint64_t	*c;
	uint32_t	 nb;
	uint64_t	 n;		/* values counted */
	uint64_t	 over;		/* above HIST_MAX_NS */
	int64_t		 min, max;
};

int	hist_init(struct hist *);
void	hist_fini(struct hist *);
void	hist_add(struct hist *, int64_t ns);
/* The value at percentile p (0..100), ns; 0 when empty. */
int64_t	hist_pct(const struct hist *, double p);
/* "UPPER_US COUNT" per non-empty bucket, after a "#" header line. */
int	hist_write(const struct hist *, FILE *);
/* An SVG percentile plot (latency over 0..99.999%, log-scaled x). */
int	hist_svg(const struct hist *, FILE *, const char *title);

#endif
