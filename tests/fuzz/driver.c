/*
 * driver.c -- main() for the fuzz targets when libFuzzer is not used.
 *
 *	fuzz_X [-r runs] [-s seed] [-m maxlen] [file | dir] ...
 *
 * Every file named (and every regular file in a directory named) is given
 * to LLVMFuzzerTestOneInput() once.  With -r, that many generated inputs
 * follow: random bytes, or a corpus file changed by a few mutations (byte
 * flips, insertions of FIX fragments, truncations, splices with another
 * file).  The generator is a fixed PRNG seeded by -s, so a run is
 * reproducible: a crash at run N recurs with the same arguments.  Each input
 * lives in a heap block of exactly its size so that AddressSanitizer sees
 * the smallest overread.  A summary goes to stderr; the exit status is 0,
 * since a failing target aborts (sanitizer builds catch memory errors).
 * Set FUZZ_SAVE=path to have each generated input written there before it
 * runs; after a crash the file holds the input that caused it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct input {
	uint8_t	*p;
	size_t	 n;
};

static struct input *corpus;
static size_t ncorpus, capcorpus;
static uint64_t rng;

/* Pieces worth inserting: FIX framing and XML dictionary syntax. */
static const char *const tokens[] = {
	"8=FIX.4.4\001", "8=FIX.4.2|", "8=FIXT.1.1\001", "9=", "10=", "35=",
	"\001", "|", "=", "\n", "\r\n", "^A", "0", "9", "10=000\001",
	"9=0\001", "9=4194304\001", "95=", "96=", "212=", "213=", "58=FIX",
	"4294967295", "2147483648", "\0", "\377",
	"<field ", "<message ", "<group ", "<component ", "<value enum=",
	" name=\"", " number=\"", " type=\"", " required=\"Y\"", "/>", "</",
	"STRING", "DATA", "LENGTH", "NUMINGROUP", "<fields>", "<messages>",
};

static void
die(const char *what, const char *arg)
{
	fprintf(stderr, "fuzz driver: %s%s%s: %s\n", what, arg ? " " : "",
	    arg ? arg : "", strerror(errno));
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		die("out of memory", NULL);
	return p;
}

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
below(size_t n)
{
	return n ? (size_t)(next() % n) : 0;
}

static void
add_file(const char *path)
{
	FILE *f;
	struct input in = { NULL, 0 };
	size_t cap = 0, k;

	if ((f = fopen(path, "rb")) == NULL)
		die("cannot open", path);
	for (;;) {
		if (in.n == cap) {
			cap = cap ? cap * 2 : 4096;
			in.p = xrealloc(in.p, cap);
		}
		k = fread(in.p + in.n, 1, cap - in.n, f);
		in.n += k;
		if (k == 0)
			break;
	}
	if (ferror(f))
		die("cannot read", path);
	fclose(f);
	if (ncorpus == capcorpus) {
		capcorpus = capcorpus ? capcorpus * 2 : 64;
		corpus = xrealloc(corpus, capcorpus * sizeof(*corpus));
	}
	corpus[ncorpus++] = in;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of a directory, in name order so runs are reproducible. */
static void
add_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, i;
	struct stat st;

	if ((d = opendir(dir)) == NULL)
		die("cannot open", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		if ((names[n] = strdup(e->d_name)) == NULL)
			die("out of memory", NULL);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmpstr);
	for (i = 0; i < n; i++) {
		int k = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

		if (k > 0 && (size_t)k < sizeof(path) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			add_file(path);
		free(names[i]);
	}
	free(names);
}

/* Run one input from a heap block of exactly its size. */
static void
run(const uint8_t *p, size_t n)
{
	uint8_t *copy = xrealloc(NULL, n);

	if (n > 0)
		memcpy(copy, p, n);
	(void)LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static void
ensure(struct input *in, size_t *cap, size_t need)
{
	if (need > *cap) {
		*cap = need * 2;
		in->p = xrealloc(in->p, *cap);
	}
}

static void
insert(struct input *in, size_t *cap, size_t at, const void *p, size_t k,
    size_t max)
{
	if (in->n + k > max)
		return;
	ensure(in, cap, in->n + k);
	memmove(in->p + at + k, in->p + at, in->n - at);
	memcpy(in->p + at, p, k);
	in->n += k;
}

static void
mutate(struct input *in, size_t *cap, size_t max)
{
	size_t at = below(in->n + 1), k, i;
	const char *t;
	char digits[24];

	switch (below(10)) {
	case 0:		/* flip bits in a few bytes */
		for (i = 0, k = 1 + below(4); i < k && in->n > 0; i++)
			in->p[below(in->n)] ^= (uint8_t)(1u << below(8));
		break;
	case 1:		/* set a byte to an interesting value */
		if (in->n > 0) {
			static const uint8_t v[] = { 0, 1, '|', '=', '\n',
			    '0', '9', 0x7f, 0x80, 0xff };

			in->p[below(in->n)] = v[below(sizeof(v))];
		}
		break;
	case 2:		/* insert a token */
	case 3:
		t = tokens[below(sizeof(tokens) / sizeof(tokens[0]))];
		insert(in, cap, at, t, t[0] ? strlen(t) : 1, max);
		break;
	case 4:		/* insert a number */
		k = (size_t)snprintf(digits, sizeof(digits), "%llu",
		    (unsigned long long)(below(4) == 0 ? next() :
		    next() % 1000));
		insert(in, cap, at, digits, k, max);
		break;
	case 5:		/* truncate */
		in->n = at;
		break;
	case 6:		/* delete a run */
		k = below(in->n - at + 1);
		if (k > 16)
			k = below(16);
		memmove(in->p + at, in->p + at + k, in->n - at - k);
		in->n -= k;
		break;
	case 7:		/* duplicate a run (repeats a message or a field) */
		if (in->n > 0) {
			size_t from = below(in->n), len = below(in->n - from) + 1;
			uint8_t *tmp;

			if (len > 4096)
				len = 4096;
			tmp = xrealloc(NULL, len);
			memcpy(tmp, in->p + from, len);
			insert(in, cap, at, tmp, len, max);
			free(tmp);
		}
		break;
	case 8:		/* splice with another corpus file */
		if (ncorpus > 0) {
			const struct input *o = &corpus[below(ncorpus)];
			size_t from = below(o->n + 1);

			in->n = at;
			k = o->n - from;
			if (in->n + k > max)
				k = max - in->n;
			ensure(in, cap, in->n + k);
			if (k > 0)
				memcpy(in->p + in->n, o->p + from, k);
			in->n += k;
		}
		break;
	default:	/* insert random bytes */
		k = 1 + below(8);
		for (i = 0; i < k; i++) {
			uint8_t c = (uint8_t)next();

			insert(in, cap, at, &c, 1, max);
		}
		break;
	}
}

static void
save(const char *path, const struct input *in)
{
	FILE *f;

	if (path == NULL)
		return;
	if ((f = fopen(path, "wb")) == NULL)
		die("cannot write", path);
	if (in->n > 0 && fwrite(in->p, 1, in->n, f) != in->n)
		die("cannot write", path);
	if (fclose(f) != 0)
		die("cannot write", path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: fuzz_target [-r runs] [-s seed] [-m maxlen] "
	    "[file | dir] ...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	unsigned long long runs = 0, seed = 1, i, nrand = 0, nmut = 0;
	size_t max = 4096, cap = 0, nfiles;
	const char *savepath = getenv("FUZZ_SAVE");
	const char *prog = strrchr(argv[0], '/');
	struct input in = { NULL, 0 };
	struct stat st;
	struct timespec t0, t1;
	char *end;
	int c, k;

	prog = prog ? prog + 1 : argv[0];
	while ((c = getopt(argc, argv, "hm:r:s:")) != -1) {
		switch (c) {
		case 'm':
			max = (size_t)strtoull(optarg, &end, 10);
			if (*end != '\0' || max == 0)
				usage();
			break;
		case 'r':
			runs = strtoull(optarg, &end, 10);
			if (*end != '\0')
				usage();
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*end != '\0')
				usage();
			break;
		default:
			usage();
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = optind; k < argc; k++) {
		if (stat(argv[k], &st) != 0)
			die("cannot open", argv[k]);
		if (S_ISDIR(st.st_mode))
			add_dir(argv[k]);
		else
			add_file(argv[k]);
	}
	nfiles = ncorpus;
	for (i = 0; i < ncorpus; i++)
		run(corpus[i].p, corpus[i].n);

	rng = seed;
	for (i = 0; i < runs; i++) {
		size_t j, nm;

		if (ncorpus == 0 || below(8) == 0) {
			/* Random bytes, short more often than long. */
			in.n = below(below(4) == 0 ? max + 1 : 65);
			ensure(&in, &cap, in.n);
			for (j = 0; j < in.n; j++)
				in.p[j] = (uint8_t)next();
			nrand++;
		} else {
			const struct input *o = &corpus[below(ncorpus)];

			in.n = o->n < max ? o->n : max;
			ensure(&in, &cap, in.n);
			if (in.n > 0)
				memcpy(in.p, o->p, in.n);
			for (nm = 1 + below(below(2) ? 3 : 8); nm > 0; nm--)
				mutate(&in, &cap, max);
			nmut++;
		}
		save(savepath, &in);
		run(in.p, in.n);
	}
	free(in.p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%s: %zu files, %llu random, %llu mutated inputs "
	    "(seed %llu) in %.2f s: no crash\n", prog, nfiles, nrand, nmut, seed,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < ncorpus; i++)
		free(corpus[i].p);
	free(corpus);
	return 0;
}
