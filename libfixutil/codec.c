/*
 * codec.c -- framing, parsing and building of tag=value messages.
 *
 * Framing trusts BodyLength the way FIX engines do, but checks that the
 * CheckSum field sits exactly where BodyLength says; when it does not, the
 * frame is dropped and the search resumes at the next "8=FIX", so a wrong
 * length costs one message, never the one after it.  Parsing walks the
 * bytes once with memchr, records (tag, view) pairs, reads data fields by
 * the length their length field gave, and sums the bytes for the CheckSum
 * in the same pass over the buffer.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "codec.h"
#include "datatags.h"
#include "fixlimits.h"

static inline int
isdig(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

/* Bytes that may appear in a BeginString value: [0-9A-Za-z._-]. */
static const uint64_t beginset[4] = {
	0x03ff600000000000ULL, 0x07fffffe87fffffeULL, 0, 0
};

static inline int
isbegin(unsigned char c)
{
	return (int)(beginset[c >> 6] >> (c & 63) & 1);
}

/*
 * Word-at-a-time helpers: messages are short runs of short fields, so an
 * inlined 8-byte scan beats a libc call per field.
 */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

static inline __attribute__((unused)) uint64_t
load64(const char *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/* Sum of p[0..n) modulo 2^32, many bytes a step. */
static inline uint32_t
sum_bytes(const char *p, size_t n)
{
	uint32_t sum = 0;
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i zero = _mm_setzero_si128();
	__m128i acc = zero;

	/* psadbw adds eight bytes into each 64-bit lane: no overflow. */
	for (; i + 16 <= n; i += 16)
		acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(p + i)), zero));
	sum = (uint32_t)_mm_cvtsi128_si32(acc) +
	    (uint32_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(acc, acc));
#else
	const uint64_t lo = 0x00ff00ff00ff00ffULL;
	uint64_t acc, x;
	size_t k;

	while (i + 8 <= n) {
		/* Four 16-bit lanes take 510 a step: fold before they wrap. */
		acc = 0;
		for (k = 0; k < 128 && i + 8 <= n; k++, i += 8) {
			x = load64(p + i);
			acc += (x & lo) + ((x >> 8) & lo);
		}
		acc = (acc & 0x0000ffff0000ffffULL) +
		    ((acc >> 16) & 0x0000ffff0000ffffULL);
		sum += (uint32_t)(acc + (acc >> 32));
	}
#endif
	for (; i < n; i++)
		sum += (unsigned char)p[i];
	return sum;
}

/*
 * Bit k set when p[base + k] is the delimiter, for the 64 bytes from base
 * (fewer at the end of the input).  The parser finds each field's end with
 * one count-trailing-zeros on this mask instead of a scan per field.
 */
static inline uint64_t
delim_mask(const char *p, size_t n, size_t base, char delim)
{
	uint64_t m = 0;
	size_t k;

	if (base + 64 <= n) {
#if defined(__SSE2__)
		const __m128i d = _mm_set1_epi8(delim);

		for (k = 0; k < 4; k++)
			m |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)
			    (const void *)(p + base + 16 * k)), d)) << (16 * k);
		return m;
#else
		const uint64_t pat = ONES * (unsigned char)delim;
		const uint64_t low7 = ONES * 0x7f;
		uint64_t x, z;

		for (k = 0; k < 8; k++) {
			x = load64(p + base + 8 * k) ^ pat;
			z = ~(((x & low7) + low7) | x | low7);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			m |= (((z >> 7) * 0x0102040810204080ULL) >> 56) <<
			    (8 * k);
#else
			for (size_t j = 0; j < 8; j++)
				m |= (uint64_t)(p[base + 8 * k + j] == delim) <<
				    (8 * k + j);
#endif
		}
		return m;
#endif
	}
	k = 0;
#if defined(__SSE2__)
	{
		const __m128i d = _mm_set1_epi8(delim);

		for (; base + k + 16 <= n; k += 16)
			m |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)
			    (const void *)(p + base + k)), d)) << k;
		if (base + k < n && n >= 16) {
			/* The last bytes: one load ending at n, shifted. */
			size_t r = n - (base + k);
			uint32_t last = (uint32_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)
			    (const void *)(p + n - 16)), d));

			return m | ((uint64_t)(last >> (16 - r)) << k);
		}
	}
#endif
	for (; base + k < n && k < 64; k++)
		m |= (uint64_t)(p[base + k] == delim) << k;
	return m;
}

/* ---- length/data pairs ------------------------------------------------ */

void
fixu_lenmap_init(struct fixu_lenmap *lm)
{
	memset(lm, 0, sizeof(*lm));
}

void
fixu_lenmap_fini(struct fixu_lenmap *lm)
{
	if (lm == NULL)
		return;
	free(lm->len);
	free(lm->data);
	memset(lm, 0, sizeof(*lm));
}

int
fixu_lenmap_add(struct fixu_lenmap *lm, uint32_t len, uint32_t data)
{
	size_t i, ncap;
	uint32_t *nl, *nd;

	if (len == 0 || data == 0)
		return FIXU_EINVAL;
	for (i = 0; i < lm->n && lm->len[i] < len; i++)
		continue;
	if (i < lm->n && lm->len[i] == len) {
		lm->data[i] = data;
		return 0;
	}
	if (lm->n == lm->cap) {
		ncap = lm->cap ? lm->cap * 2 : 32;
		if ((nl = realloc(lm->len, ncap * sizeof(*nl))) == NULL)
			return FIXU_ENOMEM;
		lm->len = nl;
		if ((nd = realloc(lm->data, ncap * sizeof(*nd))) == NULL)
			return FIXU_ENOMEM;
		lm->data = nd;
		lm->cap = ncap;
	}
	memmove(lm->len + i + 1, lm->len + i, (lm->n - i) * sizeof(*nl));
	memmove(lm->data + i + 1, lm->data + i, (lm->n - i) * sizeof(*nd));
	lm->len[i] = len;
	lm->data[i] = data;
	lm->n++;
	if (len < 4096)
		lm->small[len >> 6] |= (uint64_t)1 << (len & 63);
	return 0;
}

uint32_t
fixu_lenmap_data(const struct fixu_lenmap *lm, uint32_t t)
{
	size_t lo = 0, hi = lm->n;

	if (t < 4096 && !(lm->small[t >> 6] & ((uint64_t)1 << (t & 63))))
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (lm->len[mid] == t)
			return lm->data[mid];
		if (lm->len[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static struct fixu_lenmap std_lenmap;
static pthread_once_t std_once = PTHREAD_ONCE_INIT;
static int std_failed;

static void
std_init(void)
{
	size_t i;

	fixu_lenmap_init(&std_lenmap);
	for (i = 0; i < sizeof(fixu_std_datatags) / sizeof(fixu_std_datatags[0]);
	    i++)
		if (fixu_lenmap_add(&std_lenmap, fixu_std_datatags[i].len,
		    fixu_std_datatags[i].data) < 0)
			std_failed = 1;
}

const struct fixu_lenmap *
fixu_lenmap_std(void)
{
	static const struct fixu_lenmap empty;
	static const struct fixu_lenmap *_Atomic ready;
	const struct fixu_lenmap *r;

	if ((r = ready) != NULL)
		return r;
	(void)pthread_once(&std_once, std_init);
	r = std_failed ? &empty : &std_lenmap;
	ready = r;
	return r;
}

/* ---- framing ------------------------------------------------------------ */

/*
 * Offset of the next message start at or after from: "8=FIX" not preceded
 * by a digit.  A prefix of "8=FIX" cut by the end of the buffer counts as a
 * start (more bytes may complete it).  Returns n when there is none.
 */
static size_t
find_start(const char *p, size_t n, size_t from)
{
	static const char pat[] = "8=FIX";
	const char *q;
	size_t i = from, k;

	/* The usual case: the message starts right here. */
	if (n - from >= 5 && memcmp(p + from, pat, 5) == 0 &&
	    (from == 0 || !isdig((unsigned char)p[from - 1])))
		return from;
	while (i < n) {
		if ((q = memchr(p + i, '8', n - i)) == NULL)
			return n;
		i = (size_t)(q - p);
		if (i > 0 && isdig((unsigned char)p[i - 1])) {
			i++;
			continue;
		}
		for (k = 1; k < 5 && i + k < n && p[i + k] == pat[k]; k++)
			continue;
		if (k == 5 || i + k == n)
			return i;
		i++;
	}
	return n;
}

/* Does p[i..n) begin a "10=ddd" field ending with delim or a newline? */
static int
csum_at(const char *p, size_t n, size_t i, char delim, int nl, size_t *end)
{
	size_t j;

	if (i + 4 > n || p[i] != '1' || p[i + 1] != '0' || p[i + 2] != '=')
		return 0;
	for (j = i + 3; j < n && j < i + 3 + 8 && isdig((unsigned char)p[j]);
	    j++)
		continue;
	if (j == i + 3)
		return 0;
	if (j < n && (p[j] == delim || (nl && (p[j] == '\n' ||
	    p[j] == '\r')))) {
		*end = j;
		return 1;
	}
	return 0;
}

/* Where to resume after a bad frame at s: the next start, keeping a tail. */
static size_t
resync(const char *p, size_t n, size_t s)
{
	return find_start(p, n, s + 1);
}

/*
 * Is there a whole message at p[j..n): "8=FIX...", BodyLength, and its
 * "10=ddd" right where that length says?  (Checked without framing it, so
 * that a run of cut messages costs one pass each, not a recursion.)
 */
static int
whole_at(const char *p, size_t n, size_t j, char delim, int nl)
{
	size_t i, end, nd = 0;
	uint64_t bl = 0;

	for (i = j + 2; i < n && i < j + 3 + FIXU_MAX_BEGINSTRING &&
	    isbegin((unsigned char)p[i]); i++)
		continue;
	if (i >= n || p[i++] != delim)
		return 0;
	if (i + 2 > n || p[i] != '9' || p[i + 1] != '=')
		return 0;
	for (i += 2; i < n && isdig((unsigned char)p[i]) &&
	    nd < FIXU_MAX_BODYLEN_DIGITS; i++, nd++)
		bl = bl * 10 + (unsigned)(p[i] - '0');
	if (nd == 0 || i >= n || p[i] != delim || bl > FIXU_MAX_MSG)
		return 0;
	end = i + 1 + (size_t)bl;
	return end + 4 <= n && p[end - 1] == delim &&
	    csum_at(p, n, end, delim, nl, &i);
}

/*
 * 1 when the bytes at j are not inside a data field of the message whose
 * body starts at body: its fields are walked with their declared data
 * lengths up to j.
 */
static int
outside_data(const char *p, size_t body, size_t j, char delim)
{
	const struct fixu_lenmap *lm = fixu_lenmap_std();
	size_t i = body, k;
	uint64_t tag, dlen = 0;
	uint32_t dtag = 0, t;
	int nd;

	while (i < j) {
		tag = 0;
		for (k = i, nd = 0; k < j && isdig((unsigned char)p[k]) &&
		    nd < 10; k++, nd++)
			tag = tag * 10 + (unsigned)(p[k] - '0');
		if (k >= j || nd == 0 || p[k] != '=')
			break;	/* not a field: no data field can hide j */
		k++;
		if (dtag != 0 && tag == dtag) {
			if (dlen >= j - k)
				return 0;	/* j is inside the data */
			k += (size_t)dlen;
		}
		dtag = 0;
		i = k;
		while (k < j && p[k] != delim)
			k++;
		if (tag <= UINT32_MAX &&
		    (t = fixu_lenmap_data(lm, (uint32_t)tag)) != 0 &&
		    fixu_parse_u64(p + i, k - i, &dlen) == 0)
			dtag = t;
		i = k + 1;
	}
	return 1;
}

/*
 * A message whose body starts at body is still short of what its
 * BodyLength promises.  If a whole message with the same delimiter starts
 * after it, outside its data fields, the first was cut short and waiting
 * for it would stall the stream: return that start, else 0.  The start
 * may follow a digit here (a value cut in the middle, "52=2026128=FIX"):
 * a whole message cannot be part of a value that the delimiter ends.
 */
static size_t
cut_short(const char *p, size_t n, size_t body, char delim, int nl)
{
	const char *q;
	size_t j = body;

	while (j + 5 <= n && (q = memchr(p + j, '8', n - j - 4)) != NULL) {
		j = (size_t)(q - p);
		if (memcmp(q, "8=FIX", 5) == 0 && whole_at(p, n, j, delim, nl))
			return outside_data(p, body, j, delim) ? j : 0;
		j++;
	}
	return 0;
}

int
fixu_frame(const char *p, size_t n, int flags, struct fixu_frame *fr,
    struct fixu_diag *d)
{
	const int eof = flags & FIXU_FRAME_EOF, nl = flags & FIXU_FRAME_NL;
	size_t s, i, bl, body, end, j, e, lim;
	uint64_t bodylen = 0;
	char delim;

	memset(fr, 0, sizeof(*fr));
	s = find_start(p, n, 0);
	fr->start = s;
	if (s == n) {
		fr->skip = n;
		return FIXU_EAGAIN;
	}
	/* BeginString value up to the delimiter. */
	lim = n - s > FIXU_MAX_BEGINSTRING + 3 ?
	    s + 3 + FIXU_MAX_BEGINSTRING : n;
	/* find_start saw "FIX" unless the input ends within it. */
	for (i = n - s >= 5 ? s + 5 : s + 2; i < lim &&
	    isbegin((unsigned char)p[i]); i++)
		continue;
	if (i >= n)
		goto short_input;
	if (i == lim && isbegin((unsigned char)p[i]))
		goto garbled_begin;
	delim = p[i];
	fr->delim = delim;
	if (delim == '=' || delim == '\n' || delim == '\r')
		goto garbled_begin;
	if (delim == '^' && i + 1 < n && p[i + 1] == 'A') {
		fixu_diag_set(d, FIXU_EGARBLED, s, 8, FIXU_REJ_NONE,
		    "'^A' delimiter: convert to SOH before framing");
		goto garbled;
	}
	/* 9=<digits><delim> */
	i++;
	if (i + 2 > n)
		goto short_input;
	if (p[i] != '9' || p[i + 1] != '=') {
		fixu_diag_set(d, FIXU_EBODYLEN, i, 9, FIXU_REJ_NONE,
		    "BodyLength (9) does not follow BeginString");
		goto garbled;
	}
	i += 2;
	bl = i;
	lim = n - i > FIXU_MAX_BODYLEN_DIGITS ? i + FIXU_MAX_BODYLEN_DIGITS : n;
	for (; i < lim && isdig((unsigned char)p[i]); i++)
		bodylen = bodylen * 10 + (unsigned)(p[i] - '0');
	if (i >= n)
		goto short_input;
	if (i == lim && isdig((unsigned char)p[i])) {
		fixu_diag_set(d, FIXU_ELIMIT, bl, 9, FIXU_REJ_NONE,
		    "BodyLength has more than %d digits",
		    FIXU_MAX_BODYLEN_DIGITS);
		goto garbled;
	}
	if (i == bl || p[i] != delim) {
		fixu_diag_set(d, FIXU_EBODYLEN, bl, 9, FIXU_REJ_NONE,
		    "BodyLength is not a number");
		goto garbled;
	}
	if (bodylen > FIXU_MAX_MSG) {
		fixu_diag_set(d, FIXU_ELIMIT, bl, 9, FIXU_REJ_NONE,
		    "BodyLength %llu exceeds the %u-byte message limit",
		    (unsigned long long)bodylen, FIXU_MAX_MSG);
		goto garbled;
	}
	body = i + 1;
	end = body + (size_t)bodylen;
	/* The usual case: "10=ddd" and a delimiter right where promised. */
	if (end + 7 <= n && p[end - 1] == delim && p[end] == '1' &&
	    p[end + 1] == '0' && p[end + 2] == '=' &&
	    isdig((unsigned char)p[end + 3]) &&
	    isdig((unsigned char)p[end + 4]) &&
	    isdig((unsigned char)p[end + 5]) && p[end + 6] == delim) {
		fr->len = end + 7 - s;
		return 0;
	}
	if (end + 7 > n && !(end + 4 <= n &&
	    csum_at(p, n, end, delim, nl, &e))) {
		/*
		 * Too few bytes for what BodyLength promises.  If a complete
		 * message visibly ends before the next start, the length is
		 * wrong: say so now instead of stalling a live stream.
		 */
		j = find_start(p, n, s + 1);
		if (j < n && j > body) {
			for (e = body - 1; e + 4 < j; e++)
				if ((p[e] == delim) &&
				    csum_at(p, n, e + 1, delim, 1, &i))
					goto badlen;
		}
		if ((j = cut_short(p, n, body, delim, nl)) != 0) {
			fixu_diag_set(d, FIXU_EGARBLED, s, 0, FIXU_REJ_NONE,
			    "message cut short: BodyLength %llu, but a whole "
			    "message starts %zu bytes in",
			    (unsigned long long)bodylen, j - s);
			fr->skip = j;
			return FIXU_EGARBLED;
		}
		j = find_start(p, n, s + 1);
		if (!eof)
			goto short_input;
		if (nl || j < n) {
			for (e = body - 1; e + 4 < n; e++)
				if (p[e] == delim &&
				    csum_at(p, n, e + 1, delim, 1, &i))
					goto badlen;
		}
		fixu_diag_set(d, FIXU_ETRUNC, s, 0, FIXU_REJ_NONE,
		    "BodyLength %llu needs %zu more bytes than there are",
		    (unsigned long long)bodylen, end + 7 - n);
		fr->skip = j < n ? j : n;
		return FIXU_ETRUNC;
	}
	if (end == 0 || p[end - 1] != delim || !csum_at(p, n, end, delim, nl,
	    &e)) {
		/* Find the real CheckSum field to say how far off we are. */
badlen:
		j = find_start(p, n, s + 1);
		for (e = body - 1; e + 4 <= j; e++)
			if (p[e] == delim && csum_at(p, n, e + 1, delim, 1, &i))
				break;
		if (e + 4 <= j)
			fixu_diag_set(d, FIXU_EBODYLEN, bl, 9, FIXU_REJ_NONE,
			    "declared %llu, actual %zu",
			    (unsigned long long)bodylen, e + 1 - body);
		else if (j < n)
			fixu_diag_set(d, FIXU_EGARBLED, s, 0, FIXU_REJ_NONE,
			    "message cut short: no CheckSum (10) before the "
			    "next message (BodyLength %llu)",
			    (unsigned long long)bodylen);
		else
			fixu_diag_set(d, FIXU_EBODYLEN, bl, 9, FIXU_REJ_NONE,
			    "declared %llu, no CheckSum (10) found",
			    (unsigned long long)bodylen);
		goto garbled;
	}
	fr->len = e - s;
	if (p[e] == delim)
		fr->len++;
	else
		fr->final_nl = 1;
	return 0;

garbled_begin:
	fixu_diag_set(d, FIXU_EBEGIN, s, 8, FIXU_REJ_NONE,
	    "no delimiter after BeginString");
garbled:
	fr->skip = resync(p, n, s);
	if (fr->skip == n && !eof && n - s < 8)
		fr->skip = s + 1;
	return d != NULL && d->code != 0 ? d->code : FIXU_EGARBLED;

short_input:
	if (eof) {
		fixu_diag_set(d, FIXU_ETRUNC, s, 0, FIXU_REJ_NONE,
		    "input ends inside the message header");
		fr->skip = n;
		return FIXU_ETRUNC;
	}
	return FIXU_EAGAIN;
}

/* ---- parsing -------------------------------------------------------------- */

void
fixu_msg_init(struct fixu_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void
fixu_msg_fini(struct fixu_msg *m)
{
	if (m == NULL)
		return;
	free(m->f);
	memset(m, 0, sizeof(*m));
}

static int
grow(struct fixu_msg *m)
{
	uint32_t ncap;
	struct fixu_field *nf;

	if (m->cap >= FIXU_MAX_FIELDS)
		return FIXU_ELIMIT;
	ncap = m->cap ? m->cap * 2 : 64;
	if (ncap > FIXU_MAX_FIELDS)
		ncap = FIXU_MAX_FIELDS;
	if ((nf = realloc(m->f, ncap * sizeof(*nf))) == NULL)
		return FIXU_ENOMEM;
	m->f = nf;
	m->cap = ncap;
	return 0;
}

uint8_t
fixu_checksum(const char *p, size_t n, char delim)
{
	uint32_t sum = sum_bytes(p, n);
	size_t i, nd = 0;

	if (delim != FIXU_SOH) {
		for (i = 0; i < n; i++)
			nd += p[i] == delim;
		sum -= (uint32_t)(nd * (size_t)((unsigned char)delim - 1));
	}
	return (uint8_t)sum;
}

static inline size_t
tagoff(const struct fixu_msg *m, const struct fixu_field *f)
{
	size_t k = 1;
	uint32_t t;

	for (t = f->tag; t >= 10; t /= 10)
		k++;
	return (size_t)(f->val - m->raw) - 1 - k;
}

/* Why p[start..i) is not "tag=": kept out of the parser's hot loop. */
static int __attribute__((noinline, cold))
tag_error(const char *p, size_t n, size_t start, size_t i, char delim,
    struct fixu_diag *d)
{
	int shown = (int)(i - start > 20 ? 20 : i - start);

	if (i > start && i < n && p[i] == '=')
		return fixu_diag_set(d, FIXU_ETAG, start, 0,
		    FIXU_REJ_INVALID_TAG, "tag '%.*s' is not positive, too large "
		    "or has a leading zero", shown, p + start);
	if (i > start && (i == n || p[i] == delim))
		return fixu_diag_set(d, FIXU_ENOEQ, start, 0,
		    FIXU_REJ_INVALID_TAG, "field '%.*s' has no '='", shown,
		    p + start);
	if (i == start && i < n && p[i] == '=')
		return fixu_diag_set(d, FIXU_ETAG, start, 0,
		    FIXU_REJ_INVALID_TAG, "empty tag");
	return fixu_diag_set(d, FIXU_ETAG, start, 0, FIXU_REJ_INVALID_TAG,
	    "tag is not a number: '%.*s'", i < n ? shown + 1 : shown,
	    p + start);
}

int
fixu_msg_parse(struct fixu_msg *m, const char *p, size_t n, char delim,
    const struct fixu_lenmap *lm, int flags, struct fixu_diag *d)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, start, v, e, dlen = 0, mbase;
	uint32_t t, dtag = 0, sumall;
	uint64_t t64 = 0, rm;
	struct fixu_field *f, *fend;
	size_t csoff, k, elim;
	int rc;

	if (lm == NULL)
		lm = fixu_lenmap_std();
	m->raw = p;
	m->rawlen = n;
	m->delim = delim;
	m->nf = 0;
	m->bodylen = m->bodylen_real = 0;
	m->sum_declared = m->sum_real = 0;
	m->i_msgtype = 0;
	m->ndata = 0;
	/*
	 * rm: the delimiters from i on among the 64 bytes from mbase, so the
	 * field's end is one count-trailing-zeros away and passing it one
	 * clear-lowest-bit.
	 */
	mbase = 0;
	rm = delim_mask(p, n, 0, delim);
	f = m->f;
	fend = m->f != NULL ? m->f + m->cap : NULL;
	/*
	 * A delimiter that is not a digit ends any run of tag digits, so
	 * when one lies ahead (e < elim) the digit loop needs no bounds check,
	 * and when it is not '=' either, the first delimiter from the field's
	 * start is also the first one after its '='.
	 */
	elim = isdig((unsigned char)delim) || delim == '=' ? 0 : n;
	while (i < n) {
		unsigned c;

		start = i;
		/* The next delimiter at or after start: rm's lowest. */
		while (rm == 0) {
			if (mbase + 64 >= n)
				break;
			mbase = start > mbase + 64 ? start : mbase + 64;
			rm = delim_mask(p, n, mbase, delim);
		}
		e = rm != 0 ? mbase + (size_t)__builtin_ctzll(rm) : n;
		t64 = 0;
		if (e < elim) {
			/* The delimiter at e stops the loop. */
			while ((c = (unsigned)u[i] - '0') < 10) {
				t64 = t64 * 10 + c;
				i++;
			}
		} else {
			while (i < n && (c = (unsigned)u[i] - '0') < 10) {
				t64 = t64 * 10 + c;
				i++;
			}
			if (i == n) {
				m->nf = (uint32_t)(f - m->f);
				return tag_error(p, n, start, i, delim, d);
			}
			if (e <= i) {
				/* The delimiter is '=' or a digit: look again
				   after the tag. */
				const char *q = memchr(p + i + 1, delim,
				    n - i - 1);

				e = q != NULL ? (size_t)(q - p) : n;
				rm = e - mbase < 64 ?
				    rm & (~0ull << (e - mbase)) : 0;
			}
		}
		if (u[i] != '=' || i - start - 1 >= 10 ||
		    t64 - 1 >= FIXU_MAX_TAG || u[start] == '0') {
			m->nf = (uint32_t)(f - m->f);
			return tag_error(p, n, start, i, delim, d);
		}
		t = (uint32_t)t64;
		v = ++i;
		if (dtag != 0 && t == dtag) {
			if (dlen > n - v ||
			    (v + dlen < n && p[v + dlen] != delim)) {
				m->nf = (uint32_t)(f - m->f);
				return fixu_diag_set(d, FIXU_EDATA, start, t,
				    FIXU_REJ_DATA_DELIM, "data field %u is not "
				    "%zu bytes long", t, dlen);
			}
			/* The value may hold delimiters: its length says
			   where it ends; rm drops those before e. */
			e = v + dlen;
			rm = e - mbase < 64 ? rm & (~0ull << (e - mbase)) : 0;
			m->ndata++;
		}
		/* else e, found from start, is the first one at or after v. */
		dtag = 0;
		if (f == fend) {
			m->nf = (uint32_t)(f - m->f);
			if ((rc = grow(m)) < 0)
				return fixu_diag_set(d, rc, start, t,
				    FIXU_REJ_NONE, "more than %u fields",
				    FIXU_MAX_FIELDS);
			f = m->f + m->nf;
			fend = m->f + m->cap;
		}
		f->tag = t;
		f->val = p + v;
		f->len = (uint32_t)(e - v);
		if ((t < 4096 ? lm->small[t >> 6] >> (t & 63) & 1 : lm->n > 0) &&
		    (dtag = fixu_lenmap_data(lm, t)) != 0) {
			uint64_t x;

			if (fixu_parse_u64(f->val, f->len, &x) < 0 ||
			    x > FIXU_MAX_MSG)
				dtag = 0;
			else
				dlen = (size_t)x;
		}
		f++;
		i = e + 1;
		rm &= rm - 1;		/* past the delimiter at e */
	}
	m->nf = (uint32_t)(f - m->f);
	if (m->nf == 0)
		return fixu_diag_set(d, FIXU_EBEGIN, 0, 8, FIXU_REJ_NONE,
		    "empty message");
	m->i_msgtype = m->nf;
	for (k = 0; k < m->nf && k < 4; k++)
		if (m->f[k].tag == 35) {
			m->i_msgtype = (uint32_t)k;
			break;
		}
	if (flags & FIXU_PARSE_NOCHECK)
		return 0;
	f = m->f;
	if (f[0].tag != 8)
		return fixu_diag_set(d, FIXU_EBEGIN, 0, 8, FIXU_REJ_ORDER,
		    "first field is %u, not BeginString (8)", f[0].tag);
	if (m->nf < 2 || f[1].tag != 9)
		return fixu_diag_set(d, FIXU_EBODYLEN, m->nf < 2 ? n :
		    tagoff(m, &f[1]), 9, FIXU_REJ_ORDER,
		    "second field is not BodyLength (9)");
	if (m->nf < 3 || f[2].tag != 35)
		return fixu_diag_set(d, FIXU_EORDER, m->nf < 3 ? n :
		    tagoff(m, &f[2]), 35, FIXU_REJ_ORDER,
		    "third field is not MsgType (35)");
	if (f[m->nf - 1].tag != 10)
		return fixu_diag_set(d, FIXU_ECHECKSUM, n, 10, FIXU_REJ_ORDER,
		    "last field is not CheckSum (10)");
	{
		uint64_t bl;

		if (fixu_parse_u64(f[1].val, f[1].len, &bl) < 0 ||
		    bl > FIXU_MAX_MSG)
			return fixu_diag_set(d, FIXU_EBODYLEN, tagoff(m, &f[1]),
			    9, FIXU_REJ_BAD_DATA_FORMAT,
			    "BodyLength '%.*s' is not a number",
			    (int)(f[1].len > 20 ? 20 : f[1].len), f[1].val);
		m->bodylen = (uint32_t)bl;
	}
	/* Tags 10 and 35, checked above, take "10=" and "35=". */
	csoff = (size_t)(f[m->nf - 1].val - p) - 3;
	m->bodylen_real = (uint32_t)(csoff - ((size_t)(f[2].val - p) - 3));
	sumall = sum_bytes(p, csoff);
	if (delim != FIXU_SOH)
		sumall -= (m->nf - 1) * (uint32_t)((unsigned char)delim - 1);
	m->sum_real = (uint8_t)sumall;
	f = &m->f[m->nf - 1];
	if (f->len == 3 && isdig((unsigned char)f->val[0]) &&
	    isdig((unsigned char)f->val[1]) && isdig((unsigned char)f->val[2])) {
		unsigned x = (unsigned)(f->val[0] - '0') * 100 +
		    (unsigned)(f->val[1] - '0') * 10 + (unsigned)(f->val[2] - '0');

		m->sum_declared = (uint8_t)x;
		if (x > 255)
			return fixu_diag_set(d, FIXU_ECHECKSUM, csoff, 10,
			    FIXU_REJ_VALUE_OUT_OF_RANGE, "expected %03u, got "
			    "%.3s", m->sum_real, f->val);
	} else
		return fixu_diag_set(d, FIXU_ECHECKSUM, csoff, 10,
		    FIXU_REJ_BAD_DATA_FORMAT, "expected %03u, got '%.*s'",
		    m->sum_real, (int)(f->len > 10 ? 10 : f->len), f->val);
	if (m->bodylen != m->bodylen_real)
		return fixu_diag_set(d, FIXU_EBODYLEN, tagoff(m, &m->f[1]), 9,
		    FIXU_REJ_NONE, "expected %u, got %u", m->bodylen_real,
		    m->bodylen);
	if (m->sum_declared != m->sum_real)
		return fixu_diag_set(d, FIXU_ECHECKSUM, csoff, 10,
		    FIXU_REJ_NONE, "expected %03u, got %.3s", m->sum_real,
		    f->val);
	return 0;
}

long
fixu_msg_find(const struct fixu_msg *m, uint32_t tag, uint32_t from)
{
	uint32_t i;

	for (i = from; i < m->nf; i++)
		if (m->f[i].tag == tag)
			return (long)i;
	return -1;
}

struct fixu_str
fixu_msg_get(const struct fixu_msg *m, uint32_t tag)
{
	struct fixu_str s = { NULL, 0 };
	long i = tag == 35 && m->i_msgtype < m->nf ? (long)m->i_msgtype :
	    fixu_msg_find(m, tag, 0);

	if (i >= 0) {
		s.p = m->f[i].val;
		s.n = m->f[i].len;
	}
	return s;
}

/* ---- time ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (civil calendar). */
static int64_t
days_from_civil(int64_t y, unsigned mo, unsigned dd)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *mo, unsigned *dd)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*dd = doy - (153 * mp + 2) / 5 + 1;
	*mo = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*mo <= 2);
}

static inline void
put2(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

size_t
fixu_time_fmt(char *o, const struct timespec *ts, int decimals)
{
	int64_t days, y;
	unsigned mo, dd, sod;
	long ns = ts->tv_nsec;
	size_t n;
	int k;

	days = (int64_t)ts->tv_sec / 86400;
	sod = (unsigned)((int64_t)ts->tv_sec % 86400);
	if ((int64_t)ts->tv_sec % 86400 < 0) {
		days--;
		sod += 86400;
	}
	civil_from_days(days, &y, &mo, &dd);
	if (y < 0 || y > 9999)
		y = 0;
	put2(o, (unsigned)(y / 100));
	put2(o + 2, (unsigned)(y % 100));
	put2(o + 4, mo);
	put2(o + 6, dd);
	o[8] = '-';
	put2(o + 9, sod / 3600);
	o[11] = ':';
	put2(o + 12, sod / 60 % 60);
	o[14] = ':';
	put2(o + 15, sod % 60);
	n = 17;
	if (decimals != 3 && decimals != 6 && decimals != 9)
		decimals = 0;
	if (decimals > 0) {
		o[n++] = '.';
		for (k = 0; k < 9 - decimals; k++)
			ns /= 10;
		for (k = decimals - 1; k >= 0; k--) {
			o[n + (size_t)k] = (char)('0' + ns % 10);
			ns /= 10;
		}
		n += (size_t)decimals;
	}
	o[n] = '\0';
	return n;
}

static int
num(const char *p, int k)
{
	int v = 0, i;

	for (i = 0; i < k; i++) {
		if (!isdig((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

int
fixu_time_parse(const char *p, size_t n, struct timespec *ts)
{
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int y, mo, dd, h, mi, s;
	long ns = 0;
	size_t i;

	if (n < 17 || p[8] != '-' || p[11] != ':' || p[14] != ':')
		return FIXU_EINVAL;
	if ((y = num(p, 4)) < 0 || (mo = num(p + 4, 2)) < 1 || mo > 12 ||
	    (dd = num(p + 6, 2)) < 1 || dd > mdays[mo - 1] ||
	    (mo == 2 && dd == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))) ||
	    (h = num(p + 9, 2)) < 0 || h > 23 || (mi = num(p + 12, 2)) < 0 ||
	    mi > 59 || (s = num(p + 15, 2)) < 0 || s > 60)
		return FIXU_EINVAL;
	if (n > 17) {
		if (p[17] != '.' || n == 18 || n > 27)
			return FIXU_EINVAL;
		for (i = 18; i < 27; i++) {
			if (i < n) {
				if (!isdig((unsigned char)p[i]))
					return FIXU_EINVAL;
				ns = ns * 10 + (p[i] - '0');
			} else
				ns *= 10;
		}
	}
	ts->tv_sec = (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)dd) *
	    86400 + h * 3600 + mi * 60 + s);
	ts->tv_nsec = ns;
	return 0;
}

/* ---- building -------------------------------------------------------------- */

/* Room before the body for "8=<BeginString><d>9=<digits><d>". */
#define HDR_ROOM	(2 + FIXU_MAX_BEGINSTRING + 1 + 2 + FIXU_MAX_BODYLEN_DIGITS + 1)

void
fixu_build_init(struct fixu_builder *bld)
{
	memset(bld, 0, sizeof(*bld));
	fixu_buf_init(&bld->b, FIXU_MAX_MSG + HDR_ROOM + 16);
}

void
fixu_build_fini(struct fixu_builder *bld)
{
	if (bld == NULL)
		return;
	fixu_buf_fini(&bld->b);
}

int
fixu_build_begin(struct fixu_builder *bld, const char *bs, size_t n, char delim)
{
	size_t i;
	int rc;

	if (n == 0 || n > FIXU_MAX_BEGINSTRING)
		return FIXU_EINVAL;
	for (i = 0; i < n; i++)
		if (bs[i] == delim || bs[i] == FIXU_SOH || bs[i] == '\0')
			return FIXU_EINVAL;
	if (bld->b.max == 0)
		fixu_buf_init(&bld->b, FIXU_MAX_MSG + HDR_ROOM + 16);
	memcpy(bld->begin, bs, n);
	bld->beginlen = n;
	bld->delim = delim;
	bld->b.len = 0;
	if ((rc = fixu_buf_reserve(&bld->b, HDR_ROOM + 512)) < 0)
		return rc;
	bld->b.len = HDR_ROOM;
	bld->body = HDR_ROOM;
	bld->nfields = 0;
	return 0;
}

int
fixu_build_add(struct fixu_builder *bld, uint32_t tag, const char *v, size_t n)
{
	struct fixu_buf *b = &bld->b;
	size_t k, i;
	char *o, *q;
	int rc;

	if (tag == 0)
		return FIXU_ETAG;
	k = tag < 10 ? 1 : tag < 100 ? 2 : tag < 1000 ? 3 : tag < 10000 ? 4 :
	    tag < 100000 ? 5 : 10;
	if (k == 10)
		for (k = 6, i = 1000000; tag >= i && k < 10; k++, i *= 10)
			continue;
	if (b->cap - b->len < k + n + 2 &&
	    (rc = fixu_buf_reserve(b, k + n + 2)) < 0)
		return rc;
	o = b->p + b->len;
	q = o + k;
	do {
		*--q = (char)('0' + tag % 10);
		tag /= 10;
	} while (tag != 0);
	o += k;
	*o++ = '=';
	/* Most values are short: a loop beats a call to memcpy. */
	if (n <= 16)
		for (i = 0; i < n; i++)
			o[i] = v[i];
	else
		memcpy(o, v, n);
	o[n] = bld->delim;
	b->len += k + n + 2;
	bld->nfields++;
	return 0;
}

int
fixu_build_add_str(struct fixu_builder *bld, uint32_t tag, const char *s)
{
	return fixu_build_add(bld, tag, s, strlen(s));
}

int
fixu_build_add_u64(struct fixu_builder *bld, uint32_t tag, uint64_t x)
{
	char tmp[20];
	size_t k = sizeof(tmp);

	do {
		tmp[--k] = (char)('0' + x % 10);
		x /= 10;
	} while (x != 0);
	return fixu_build_add(bld, tag, tmp + k, sizeof(tmp) - k);
}

int
fixu_build_add_time(struct fixu_builder *bld, uint32_t tag,
    const struct timespec *ts, int decimals)
{
	char tmp[32];
	size_t n;
	long ns;
	int k;

	/* Messages come many a second: format the date and time once. */
	if (bld->tsec != (int64_t)ts->tv_sec + 1) {
		struct timespec whole = { ts->tv_sec, 0 };

		(void)fixu_time_fmt(tmp, &whole, 0);
		memcpy(bld->tdate, tmp, 17);
		bld->tsec = (int64_t)ts->tv_sec + 1;
	}
	memcpy(tmp, bld->tdate, 17);
	n = 17;
	if (decimals == 3 || decimals == 6 || decimals == 9) {
		tmp[n++] = '.';
		ns = ts->tv_nsec;
		for (k = 0; k < 9 - decimals; k++)
			ns /= 10;
		for (k = decimals - 1; k >= 0; k--) {
			tmp[n + (size_t)k] = (char)('0' + ns % 10);
			ns /= 10;
		}
		n += (size_t)decimals;
	}
	return fixu_build_add(bld, tag, tmp, n);
}

int
fixu_build_finish(struct fixu_builder *bld, struct fixu_str *out)
{
	struct fixu_buf *b = &bld->b;
	char hdr[HDR_ROOM], *o;
	size_t bodylen, h = 0, k, nsep;
	uint32_t sum = 0;
	char tmp[FIXU_MAX_BODYLEN_DIGITS];
	int rc;

	if (bld->beginlen == 0)
		return FIXU_EINVAL;
	bodylen = b->len - bld->body;
	if (bodylen > FIXU_MAX_MSG)
		return FIXU_ELIMIT;
	hdr[h++] = '8';
	hdr[h++] = '=';
	memcpy(hdr + h, bld->begin, bld->beginlen);
	h += bld->beginlen;
	hdr[h++] = bld->delim;
	hdr[h++] = '9';
	hdr[h++] = '=';
	k = sizeof(tmp);
	do {
		tmp[--k] = (char)('0' + bodylen % 10);
		bodylen /= 10;
	} while (bodylen != 0);
	memcpy(hdr + h, tmp + k, sizeof(tmp) - k);
	h += sizeof(tmp) - k;
	hdr[h++] = bld->delim;
	o = b->p + bld->body - h;
	memcpy(o, hdr, h);
	if ((rc = fixu_buf_reserve(b, 7)) < 0)
		return rc;
	o = b->p + bld->body - h;
	sum = sum_bytes(o, h + (b->len - bld->body));
	if (bld->delim != FIXU_SOH) {
		/*
		 * Only the field separators count as SOH: 8=, 9= and one per
		 * body field.  A data field may hold the delimiter byte itself.
		 */
		nsep = 2 + (size_t)bld->nfields;
		sum -= (uint32_t)(nsep * (size_t)((unsigned char)bld->delim - 1));
	}
	sum &= 0xff;
	b->p[b->len++] = '1';
	b->p[b->len++] = '0';
	b->p[b->len++] = '=';
	b->p[b->len++] = (char)('0' + sum / 100);
	b->p[b->len++] = (char)('0' + sum / 10 % 10);
	b->p[b->len++] = (char)('0' + sum % 10);
	b->p[b->len++] = bld->delim;
	out->p = o;
	out->n = (size_t)(b->p + b->len - o);
	return 0;
}
