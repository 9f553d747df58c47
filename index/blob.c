/*
 * index/blob.c: the compact binary encoding of a parsed update (the index
 * blob): typically a third smaller than the gzipped text, decoded in a few
 * microseconds per thousand packets without any general-purpose inflate.
 *
 *   byte 0     format version (BLOB_FORMAT_VERSION)
 *   byte 1     flags, reserved (0)
 *   bytes 2-5  CRC-32 (zlib, little-endian) of every byte after byte 5
 *   then       the payload
 *
 * The payload is made of LEB128 varints ("u"; "s" = zigzag signed), single
 * bytes ("b"), packed columns and string references ("str"), in this order:
 *
 *   u update flags (has_pcap, anonymized, has_drop_stats, has_http)
 *   s version, s timestamp_s, s session_id - timestamp_s * 10^6, s sequence,
 *     [u pcap x3]. Times are stored relative to timestamp_s, which they are
 *     close to; the arithmetic wraps, so any values round-trip.
 *   s packets_first_us - timestamp_s * 10^6, u packets_dropped, u n_packets,
 *     then when n > 0 three packed columns: time deltas (zigzag, each from
 *     the previous packet, the first from packets_first_us); sizes (b 0 and
 *     the sizes, or b m, the m <= 15 most frequent sizes, a column of codes
 *     where m escapes, u count and a column of the escaped sizes); flow ids
 *     (u count and s the update's distinct ids, busiest first, then a column
 *     of indices into them)
 *   the string table, every distinct string once in order of first use:
 *     u count, a bitmap (1 = lowercase hex), u length of each hex string,
 *     the hex strings as nibbles (hashes, IPs, MACs: half their length),
 *     u length of the text region, b mode, then the other strings each
 *     followed by a NUL, as is (mode 0) or raw-deflated after u deflated
 *     length (mode 1, when long enough to pay off: the whitelist)
 *   str build_id, node_id, context; u whitelist count * 2 + 1 when its
 *     entries are all the next new strings of the table (then no refs
 *     follow), else * 2 + 0 and a str per entry; then the flow table,
 *     DNS A and CNAME records, address table, drop statistics and HTTP URLs,
 *     each header fields, u count and rows (flow ids as deltas from the
 *     previous row, 0/1 flag pairs and triples in one byte)
 *
 * A str is u 0 for the next new string of the table, or u 1 + the index of a
 * string already used. A packed column ("patched frame of reference") is b
 * width w, n * w bits LSB-first, u number of exceptions, then for each u the
 * gap since the previous exception's index and u the value's bits above w.
 * The encoder picks w to minimise the size, so that a few large values (a
 * one-second gap among microsecond deltas) do not widen the whole column.
 *
 * Decoding trusts nothing: every count is checked against the bytes that
 * remain before anything is allocated, and a corrupt blob gives -1.
 */
#include "blob.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <zlib.h>

#define BLOB_FORMAT_VERSION 1
#define BLOB_HEADER_LEN 6

#define UF_HAS_PCAP 0x01
#define UF_ANONYMIZED 0x02
#define UF_HAS_DROP_STATS 0x04
#define UF_HAS_HTTP 0x08
#define UF_ALL 0x0f

/* Packets beyond this many must cost at least one byte each (time column of
 * width >= 8), so a tiny blob cannot make the decoder allocate a huge array. */
#define BLOB_FREE_PACKETS 65536u
/* Deflated text may expand at most this much (the encoder stores the text
 * as is rather than exceed it). */
#define BLOB_MAX_RATIO 64u
/* Deflate the clear-text strings when there are at least this many bytes. */
#define BLOB_DEFLATE_MIN_TEXT 256u

/* Flow ids below this (the router's flow table indices) find their entry
 * by direct indexing (512 KiB per codec); others through a hash table. */
#define FLOW_MAP_IDS 65536u

/* Sizes dictionary: at most 15 entries; code m (the entry count) escapes. */
#define SIZE_DICT_MAX 15u

/* ---------------------------------------------------------------------------
 * Small helpers
 */

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t z)
{
	uint64_t u = (z >> 1) ^ (0 - (z & 1));
	int64_t v;
	memcpy(&v, &u, sizeof(v));
	return v;
}

static inline int64_t u2i(uint64_t u)
{
	int64_t v;
	memcpy(&v, &u, sizeof(v));
	return v;
}

/* v - base and back, wrapping (so that any pair of values round-trips). */
static inline int64_t rel(int64_t v, uint64_t base)
{
	return u2i((uint64_t)v - base);
}

static inline int64_t unrel(int64_t r, uint64_t base)
{
	return u2i((uint64_t)r + base);
}

static inline uint64_t us_of(int64_t seconds)
{
	return (uint64_t)seconds * 1000000u;
}

static inline unsigned bitlen(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0;
}

static inline uint64_t low_mask(unsigned w)
{
	return w >= 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, sizeof(x));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

static inline void store_le64(uint8_t *p, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	memcpy(p, &x, sizeof(x));
}

static inline unsigned varint_len(uint64_t v)
{
	unsigned n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Room for n more bytes in o: the common case (room already there) inline,
 * the growth out of line. */
static inline void room(struct buf *o, size_t n)
{
	if (__builtin_expect(o->cap - o->len < n, 0))
		buf_reserve(o, n);
}

static inline void put_u(struct buf *o, uint64_t v)
{
	room(o, 10);
	uint8_t *p = (uint8_t *)o->data + o->len;
	o->len = (size_t)(put_varint(p, v) - (uint8_t *)o->data);
}

static inline void put_s(struct buf *o, int64_t v)
{
	put_u(o, zigzag(v));
}

static inline void put_b(struct buf *o, uint8_t v)
{
	room(o, 1);
	o->data[o->len++] = (char)v;
}

/* Lowercase hex, 8 bytes at a time ("SWAR"): x holds 8 bytes of a string
 * (the first in the low byte), of which the bytes set in H_MASK-style mask
 * (0x80 in each byte to test) count. For a byte b < 0x80, ((b | 0x80) - lo)
 * has bit 7 set iff b >= lo, and ((hi | 0x80) - b) iff b <= hi; neither
 * borrows from the next byte. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline bool hex8(uint64_t x, uint64_t mask)
{
	if (x & HIGHS & mask)
		return false;
	x &= ~HIGHS;   /* bytes outside the mask may be anything: keep them from borrowing */
	uint64_t ge0 = (x | HIGHS) - '0' * ONES, le9 = ('9' | 0x80) * ONES - x;
	uint64_t gea = (x | HIGHS) - 'a' * ONES, lef = ('f' | 0x80) * ONES - x;
	uint64_t ok = (ge0 & le9) | (gea & lef);
	return ((ok ^ HIGHS) & mask) == 0;
}

/* The first n (< 8) bytes of s, zero-padded, as hex8 and hex_pack8 read them. */
static inline uint64_t load_tail(const char *s, size_t n)
{
	uint8_t b[8] = { 0 };
	memcpy(b, s, n);
	return load_le64(b);
}

static inline bool is_lower_hex(const char *s, size_t len)
{
	if (!len)
		return false;
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		if (!hex8(load_le64((const uint8_t *)s + i), HIGHS))
			return false;
	if (i == len)
		return true;
	size_t rest = len - i;
	return hex8(load_tail(s + i, rest), HIGHS >> (8 * (8 - rest)));
}

/* 8 lowercase hex digits (zero bytes where padded) to their 4 bytes, the
 * first digit in the high nibble of the first byte, in the low 32 bits
 * (first byte lowest). '0'-'9' is 0x30-0x39 and 'a'-'f' 0x61-0x66: the low
 * nibble, plus 9 when bit 6 is set. */
static inline uint32_t hex_pack8(uint64_t x)
{
	uint64_t nib = (x & 0x0f * ONES) + ((x >> 6) & ONES) * 9;
	uint64_t y = ((nib << 4) | (nib >> 8)) & 0x00ff00ff00ff00ffull;
	y = (y | (y >> 8)) & 0x0000ffff0000ffffull;
	return (uint32_t)(y | (y >> 16));
}

static inline void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Writes the (len + 1) / 2 bytes of the lowercase hex string s at q (an odd
 * last digit in a high nibble) and returns the end. */
static inline uint8_t *hex_pack(uint8_t *q, const char *s, size_t len)
{
	size_t i = 0;
	for (; i + 8 <= len; i += 8, q += 4)
		store_le32(q, hex_pack8(load_le64((const uint8_t *)s + i)));
	if (i < len) {
		size_t rest = len - i;
		uint32_t v = hex_pack8(load_tail(s + i, rest));
		for (size_t k = 0; k < (rest + 1) / 2; k++, v >>= 8)
			*q++ = (uint8_t)v;
	}
	return q;
}

/* ---------------------------------------------------------------------------
 * The encoder's reusable state
 */

struct str_slot {
	const char *s;
	uint32_t len;
	uint32_t hash;
	uint32_t gen;
	uint32_t idx;
};

struct flow_slot {
	int32_t key;
	uint32_t gen;
	uint32_t idx;
};

struct blob_codec {
	uint32_t gen;                 /* generation stamp for the hash tables */

	uint64_t *vals;  uint32_t cap_vals;   /* column values */
	uint64_t *esc;   uint32_t cap_esc;    /* escaped sizes */
	uint32_t *xi;    uint32_t cap_xi;     /* a column's exception indices */

	uint64_t *fmap;                               /* flow id -> gen << 32 | first-seen index,
						       * for ids 0 to FLOW_MAP_IDS - 1 */
	struct flow_slot *fh; uint32_t cap_fh;        /* other flow ids -> first-seen index */
	int32_t *fdict;  uint32_t cap_fdict;          /* first-seen index -> flow id */
	uint32_t *fcount; uint32_t cap_fcount;
	uint64_t *forder; uint32_t cap_forder;        /* (count, index) sort keys */
	uint32_t *frank; uint32_t cap_frank;          /* first-seen index -> rank */
	uint32_t *fstart; uint32_t cap_fstart;        /* rank_by_count's buckets */

	uint32_t *size_stamp;         /* 65536 generation stamps: the size was seen */
	uint16_t *size_lane;          /* 4 * 65536 counters (size * 4 + lane), zero
				       * between calls (at most 8192 samples) */
	uint16_t *size_touched;       /* distinct sizes of this call */
	uint8_t *size_code;           /* 65536 codes, 0xff = not in the dictionary */

	struct str_slot *sh; uint32_t cap_sh;         /* string dedup table */
	uint32_t *refs;  uint32_t cap_refs;           /* each string use: 0 new, else 1 + index */
	uint32_t *ustr;  uint32_t cap_ustr;           /* slot of each distinct string */

	z_stream z;
	bool z_ready;
	struct buf tmp;               /* the text region of the string table */
};

struct blob_codec *blob_codec_new(void)
{
	struct blob_codec *c = xcalloc(1, sizeof(*c));
	c->size_stamp = xcalloc(65536, sizeof(*c->size_stamp));
	c->size_lane = xcalloc(4 * 65536, sizeof(*c->size_lane));
	c->size_touched = xmalloc(65536 * sizeof(*c->size_touched));
	c->size_code = xmalloc(65536);
	memset(c->size_code, 0xff, 65536);
	buf_init(&c->tmp);
	return c;
}

void blob_codec_free(struct blob_codec *c)
{
	if (!c)
		return;
	free(c->vals);
	free(c->esc);
	free(c->xi);
	free(c->fmap);
	free(c->fh);
	free(c->fdict);
	free(c->fcount);
	free(c->forder);
	free(c->frank);
	free(c->fstart);
	free(c->size_stamp);
	free(c->size_lane);
	free(c->size_touched);
	free(c->size_code);
	free(c->sh);
	free(c->refs);
	free(c->ustr);
	if (c->z_ready)
		deflateEnd(&c->z);
	buf_release(&c->tmp);
	free(c);
}

/* Starts a new generation; on wrap-around the stamped tables are wiped. */
static void codec_next_gen(struct blob_codec *c)
{
	if (++c->gen == 0) {
		if (c->fh)
			memset(c->fh, 0, (size_t)c->cap_fh * sizeof(*c->fh));
		if (c->fmap)
			memset(c->fmap, 0, FLOW_MAP_IDS * sizeof(*c->fmap));
		memset(c->size_stamp, 0, 65536 * sizeof(*c->size_stamp));
		if (c->sh)
			memset(c->sh, 0, (size_t)c->cap_sh * sizeof(*c->sh));
		c->gen = 1;
	}
}

/* Makes a stamped hash table hold at least 2 * n slots (a power of two) and
 * returns the mask of the slots this call uses: 2 * n of them rounded up,
 * not the whole table, which a large update may have grown far beyond what
 * the next small one needs (probing all of it would miss the cache). The
 * slots past the mask keep their older stamps and are never read. */
static uint32_t grow_table(void **table, uint32_t *cap, uint64_t n, size_t elem)
{
	uint64_t want = 64;
	while (want < 2 * n && want < (1u << 31))
		want *= 2;
	if (want > *cap) {
		free(*table);
		*table = xcalloc((size_t)want, elem);
		*cap = (uint32_t)want;
	}
	return (uint32_t)want - 1;
}

/* ---------------------------------------------------------------------------
 * Packed columns, encoding
 */

/* The width of least cost from min_w up to the longest value (the first
 * one on ties), h[L] counting the values of bit length L of n. The cost in
 * bits of width w, exceptions included (an estimate for the exception gaps):
 *
 *   8 + n * w, plus when exc = (values longer than w) > 0:
 *   sum over L > w of h[L] * 8 * ceil((L - w) / 7)     (their high bits)
 *   + exc * 8 * varint_len(n / exc) + 8 * varint_len(exc)
 *
 * With S[x] = the values longer than x, ceil((L - w) / 7) counts the k >= 0
 * with w + 7k < L, so the first sum is 8 * T[w] where T[x] = S[x] + T[x + 7]:
 * every width costs O(1), and no division (varint_len(n / exc) compares n
 * with exc * 128^k). */
static unsigned column_choose(const uint32_t h[65], uint32_t n, unsigned min_w, uint64_t *cost)
{
	uint64_t S[72], T[72];
	unsigned top = 64;
	while (top >= 8 && !(h[top] | h[top - 1] | h[top - 2] | h[top - 3] | h[top - 4] |
			     h[top - 5] | h[top - 6] | h[top - 7]))
		top -= 8;
	while (top > 0 && !h[top])
		top--;
	/* S and T of top and above are 0: only the widths below top count. */
	for (unsigned x = top; x < top + 8; x++)
		S[x] = T[x] = 0;
	for (unsigned x = top; x > 0; x--)
		S[x - 1] = S[x] + h[x];
	for (unsigned x = top; x-- > 0;)
		T[x] = S[x] + T[x + 7];
	if (top < min_w)
		top = min_w;
	unsigned best = top;
	uint64_t best_cost = (uint64_t)n * top + 8;   /* no exceptions */
	for (unsigned w = min_w; w < top; w++) {
		uint64_t exc = S[w], c = (uint64_t)n * w + 8;
		if (c >= best_cost)
			break;   /* so is every wider one: the packed bits alone cost as much */
		if (exc) {
			unsigned gap_len = 1;
			for (uint64_t lim = exc << 7; gap_len < 10 && n >= lim; lim <<= 7)
				gap_len++;
			c += 8 * T[w] + exc * 8 * gap_len + 8 * varint_len(exc);
		}
		if (c < best_cost) {
			best_cost = c;
			best = w;
		}
	}
	if (cost)
		*cost = best_cost;
	return best;
}

/* column_histogram counts every value of a column of up to this many (so a
 * caller that knows the counts already may pass them instead). */
#define HIST_ALL 2048u

/* Counts bit lengths over at most about 2048 of the values (evenly spaced):
 * the width is a size heuristic, exceptions are found exactly when packing.
 * Four interleaved counters, so that runs of equal lengths do not chain
 * every increment through one memory location. Returns the values counted. */
static uint32_t column_histogram(const uint64_t *v, uint32_t n, uint32_t h[65])
{
	uint32_t hh[4][65];
	memset(hh, 0, sizeof(hh));
	uint32_t step = n > HIST_ALL ? n / 1024 : 1, m = 0, i = 0;
	for (; i + 3 * step < n; i += 4 * step, m += 4) {
		hh[0][bitlen(v[i])]++;
		hh[1][bitlen(v[i + step])]++;
		hh[2][bitlen(v[i + 2 * step])]++;
		hh[3][bitlen(v[i + 3 * step])]++;
	}
	for (; i < n; i += step, m++)
		hh[0][bitlen(v[i])]++;
	for (unsigned L = 0; L <= 64; L++)
		h[L] = hh[0][L] + hh[1][L] + hh[2][L] + hh[3][L];
	return m;
}

/* Packs the 8 values v[0..8) of width w (w <= 56) into the w bytes at q,
 * LSB-first, and notes the indices (base + j) of those wider than w in xi.
 * May write up to 8 bytes past the block (zeros, overwritten by the next
 * block or left in the buffer's slack). Inlined with a constant w, every
 * shift is a constant and the values do not wait for each other. */
static inline __attribute__((always_inline)) uint32_t
pack8(uint8_t *q, const uint64_t *v, unsigned w, uint32_t base, uint32_t *xi, uint32_t nexc)
{
	const uint64_t mask = low_mask(w);
	uint64_t acc = 0, high = 0;
	unsigned nb = 0;
#pragma GCC unroll 8
	for (unsigned j = 0; j < 8; j++)
		high |= v[j];
	if (__builtin_expect(high > mask, 0)) {
		/* Exceptions are rare: note them only in the blocks that have some. */
		for (unsigned j = 0; j < 8; j++) {
			xi[nexc] = base + j;
			nexc += v[j] > mask;
		}
	}
	/* Unrolled, so that nb is a constant at every step. */
#pragma GCC unroll 8
	for (unsigned j = 0; j < 8; j++) {
		uint64_t x = v[j] & mask;
		acc |= x << nb;
		if (nb + w >= 64) {
			store_le64(q, acc);
			q += 8;
			acc = nb ? x >> (64 - nb) : 0;
			nb = nb + w - 64;
		} else {
			nb += w;
		}
	}
	if (nb)
		store_le64(q, acc);
	return nexc;
}

/* Packs the first nblocks * 8 values; returns the exception count. */
static uint32_t pack_blocks(uint8_t *q, const uint64_t *v, uint32_t nblocks, unsigned w,
			    uint32_t *xi)
{
	uint32_t nexc = 0;
	switch (w) {
#define PACK_CASE(W)                                                             \
	case (W):                                                                \
		for (uint32_t b = 0; b < nblocks; b++)                           \
			nexc = pack8(q + (size_t)b * (W), v + 8 * (size_t)b, (W), 8 * b, xi, nexc); \
		break;
#define PACK_CASE8(W) PACK_CASE(W) PACK_CASE(W + 1) PACK_CASE(W + 2) PACK_CASE(W + 3) \
	PACK_CASE(W + 4) PACK_CASE(W + 5) PACK_CASE(W + 6) PACK_CASE(W + 7)
	PACK_CASE8(1) PACK_CASE8(9) PACK_CASE8(17) PACK_CASE8(25) PACK_CASE8(33)
	PACK_CASE8(41) PACK_CASE8(49)
#undef PACK_CASE8
#undef PACK_CASE
	default:
		break;
	}
	return nexc;
}

/* Appends a packed column of the n values v (n > 0) of width >= min_w,
 * whose width is chosen from h, the bit lengths of m of them (those
 * column_histogram counts). */
static void put_column_h(struct blob_codec *c, struct buf *o, const uint64_t *v, uint32_t n,
			 unsigned min_w, const uint32_t h[65], uint32_t m)
{
	unsigned w = column_choose(h, m, min_w, NULL);
	uint32_t nexc = 0;

	put_b(o, (uint8_t)w);

	size_t nbytes = (size_t)(((uint64_t)n * w + 7) / 8);
	room(o, nbytes + 16);
	uint8_t *p = (uint8_t *)o->data + o->len;
	uint64_t mask = low_mask(w);
	xgrow((void **)&c->xi, &c->cap_xi, n + 1, sizeof(*c->xi));
	uint32_t *xi = c->xi;
	if (w && w <= 56) {
		/* Blocks of 8 values (w bytes each), then the rest bit by bit. */
		uint32_t nblocks = n / 8, i = nblocks * 8;
		nexc = pack_blocks(p, v, nblocks, w, xi);
		uint8_t *q = p + (size_t)nblocks * w;
		uint64_t acc = 0;
		unsigned nb = 0;
		for (; i < n; i++) {
			xi[nexc] = i;
			nexc += v[i] > mask;
			acc |= (v[i] & mask) << nb;
			nb += w;
			store_le64(q, acc);
			unsigned k = nb >> 3;
			q += k;
			acc >>= 8 * k;
			nb &= 7;
		}
		store_le64(q, acc);
	} else if (w) {
		unsigned nb = 0;
		uint8_t *q = p;
		uint64_t acc = 0;
		for (uint32_t i = 0; i < n; i++) {
			xi[nexc] = i;
			nexc += v[i] > mask;
			uint64_t x = v[i] & mask;
			acc |= x << nb;
			nb += w;
			if (nb >= 64) {
				store_le64(q, acc);
				q += 8;
				nb -= 64;
				acc = nb ? x >> (w - nb) : 0;
			}
		}
		while (nb > 0) {
			*q++ = (uint8_t)acc;
			acc >>= 8;
			nb = nb > 8 ? nb - 8 : 0;
		}
	} else {
		for (uint32_t i = 0; i < n; i++) {
			xi[nexc] = i;
			nexc += v[i] != 0;
		}
	}
	o->len += nbytes;

	put_u(o, nexc);
	room(o, (size_t)nexc * 20);
	uint8_t *e = (uint8_t *)o->data + o->len;
	for (uint32_t k = 0; k < nexc; k++) {
		uint32_t i = xi[k];
		e = put_varint(e, k ? i - xi[k - 1] - 1 : i);
		e = put_varint(e, v[i] >> w);
	}
	o->len = (size_t)(e - (uint8_t *)o->data);
}

/* Appends a packed column of the n values v (n > 0) of width >= min_w. */
static void put_column(struct blob_codec *c, struct buf *o, const uint64_t *v, uint32_t n,
		       unsigned min_w)
{
	uint32_t h[65];
	uint32_t m = column_histogram(v, n, h);
	put_column_h(c, o, v, n, min_w, h, m);
}

/* ---------------------------------------------------------------------------
 * Packed columns, decoding
 */

struct dec {
	const uint8_t *p, *end;
	struct update_error *err;
	int section;
};

__attribute__((format(printf, 2, 3)))
static int dec_fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	if (!d->err)
		return -1;
	va_start(ap, fmt);
	int n = snprintf(d->err->msg, sizeof(d->err->msg), "corrupt blob: ");
	vsnprintf(d->err->msg + n, sizeof(d->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	d->err->section = d->section;
	return -1;
}

static int get_u(struct dec *d, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (d->p >= d->end)
			return dec_fail(d, "truncated");
		uint8_t b = *d->p++;
		if (shift == 63 && b > 1)
			return dec_fail(d, "varint overflows 64 bits");
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return dec_fail(d, "varint overflows 64 bits");
}

static int get_u32(struct dec *d, uint32_t *out, const char *what)
{
	uint64_t v;
	if (get_u(d, &v))
		return -1;
	if (v > UINT32_MAX)
		return dec_fail(d, "%s out of range", what);
	*out = (uint32_t)v;
	return 0;
}

static int get_s64(struct dec *d, int64_t *out)
{
	uint64_t v;
	if (get_u(d, &v))
		return -1;
	*out = unzigzag(v);
	return 0;
}

static int get_s32(struct dec *d, int32_t *out, const char *what)
{
	int64_t v;
	if (get_s64(d, &v))
		return -1;
	if (v < INT32_MIN || v > INT32_MAX)
		return dec_fail(d, "%s out of range", what);
	*out = (int32_t)v;
	return 0;
}

static int get_b(struct dec *d, uint8_t *out)
{
	if (d->p >= d->end)
		return dec_fail(d, "truncated");
	*out = *d->p++;
	return 0;
}

/* A count of items that each take at least min_bytes bytes of what remains. */
static int get_count(struct dec *d, uint32_t *out, size_t min_bytes, const char *what)
{
	uint64_t v;
	if (get_u(d, &v))
		return -1;
	if (v > UINT32_MAX || v * min_bytes > (uint64_t)(d->end - d->p))
		return dec_fail(d, "%s count %llu exceeds the blob", what, (unsigned long long)v);
	*out = (uint32_t)v;
	return 0;
}

struct col {
	unsigned w;
	uint64_t mask;
	const uint8_t *bits;      /* the packed bits */
	const uint8_t *lim;       /* end of the whole input (loads may run past the bits) */
	uint32_t fast_n;          /* values [0, fast_n) can be read with one 8-byte load */
	uint32_t nexc;
	const uint8_t *exc;       /* the first exception (validated by col_open) */
};

/* Unchecked varint read of a validated region. */
static inline uint64_t raw_varint(const uint8_t **pp)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	unsigned shift = 0;
	for (;;) {
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*pp = p;
	return v;
}

/* Reads a column header of n values, validates its bits and exceptions and
 * moves d past it. */
static int col_open(struct dec *d, uint32_t n, struct col *c, const char *what)
{
	uint8_t w = 0;
	uint32_t nexc = 0;
	if (get_b(d, &w))
		return -1;
	if (w > 64)
		return dec_fail(d, "%s column width %u", what, w);
	uint64_t nbytes = ((uint64_t)n * w + 7) / 8;
	if (nbytes > (uint64_t)(d->end - d->p))
		return dec_fail(d, "%s column is truncated", what);
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->mask = low_mask(w);
	c->bits = d->p;
	c->lim = d->end;
	if (w == 0) {
		c->fast_n = d->end - d->p >= 8 ? n : 0;   /* (a load of nothing, still a load) */
	} else if (w <= 56 && d->end - d->p >= 8) {
		uint64_t last = ((uint64_t)(d->end - d->p) - 8) * 8 + 7;  /* last bit a load may start at */
		uint64_t fast = last / w + 1;
		c->fast_n = fast < n ? (uint32_t)fast : n;
	}
	d->p += nbytes;
	if (get_u32(d, &nexc, "exception count"))
		return -1;
	if (nexc > n || (w == 64 && nexc))
		return dec_fail(d, "%s column has %u exceptions for %u values", what, nexc, n);
	c->exc = d->p;
	c->nexc = nexc;
	uint64_t idx = 0;
	for (uint32_t k = 0; k < nexc; k++) {
		uint64_t gap, high;
		if (get_u(d, &gap) || get_u(d, &high))
			return -1;
		idx = k ? idx + 1 + gap : gap;
		if (gap >= n || idx >= n)
			return dec_fail(d, "%s column exception index out of range", what);
	}
	return 0;
}

static uint64_t col_get_slow(const struct col *c, uint32_t i)
{
	uint64_t pos = (uint64_t)i * c->w, v = 0;
	unsigned got = 0;
	while (got < c->w) {
		uint64_t at = pos + got;
		unsigned off = (unsigned)(at & 7), take = 8 - off;
		if (take > c->w - got)
			take = c->w - got;
		v |= (uint64_t)((c->bits[at >> 3] >> off) & ((1u << take) - 1)) << got;
		got += take;
	}
	return v;
}

/* The low w bits of value i (exceptions not applied). */
static inline uint64_t col_get(const struct col *c, uint32_t i)
{
	if (__builtin_expect(i < c->fast_n, 1)) {
		uint64_t pos = (uint64_t)i * c->w;
		return (load_le64(c->bits + (pos >> 3)) >> (pos & 7)) & c->mask;
	}
	return col_get_slow(c, i);
}

/* Walks a column's exceptions in index order. */
struct exc {
	uint32_t next;            /* index of the next exception, UINT32_MAX when none */
	uint32_t left;
	unsigned w;
	const uint8_t *p;
};

static inline void exc_begin(struct exc *e, const struct col *c)
{
	e->left = c->nexc;
	e->w = c->w;
	e->p = c->exc;
	e->next = e->left ? (uint32_t)raw_varint(&e->p) : UINT32_MAX;
}

/* The bits above w of the value at index e->next, which moves on. */
static inline uint64_t exc_take(struct exc *e)
{
	uint64_t high = raw_varint(&e->p) << e->w;   /* w < 64 when there are exceptions */
	if (--e->left)
		e->next += 1 + (uint32_t)raw_varint(&e->p);
	else
		e->next = UINT32_MAX;
	return high;
}

/* ---------------------------------------------------------------------------
 * Encoding
 */

static uint64_t *codec_vals(struct blob_codec *c, uint32_t n)
{
	xgrow((void **)&c->vals, &c->cap_vals, n, sizeof(*c->vals));
	return c->vals;
}

static void encode_times(struct blob_codec *c, const struct bpass_update *u, struct buf *o)
{
	uint32_t n = u->n_packets;
	uint64_t *v = codec_vals(c, n);
	uint64_t prev = (uint64_t)u->packets_first_us;
	const struct bpass_packet *pk = u->packets;
	unsigned min_w = n > BLOB_FREE_PACKETS ? 8 : 0;
	if (n > HIST_ALL) {
		for (uint32_t i = 0; i < n; i++) {
			uint64_t t = (uint64_t)pk[i].time_us;
			v[i] = zigzag(u2i(t - prev));
			prev = t;
		}
		put_column(c, o, v, n, min_w);
		return;
	}
	uint32_t hh[4][65], h[65];
	if (n < 256) {
		/* The histogram on the way; one set of counters (most updates
		 * are short: clearing and adding four would cost more). */
		memset(h, 0, sizeof(h));
		for (uint32_t i = 0; i < n; i++) {
			uint64_t t = (uint64_t)pk[i].time_us;
			v[i] = zigzag(u2i(t - prev));
			h[bitlen(v[i])]++;
			prev = t;
		}
		put_column_h(c, o, v, n, min_w, h, n);
		return;
	}
	/* The histogram on the way (four counters, see column_histogram). */
	memset(hh, 0, sizeof(hh));
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		uint64_t t0 = (uint64_t)pk[i].time_us, t1 = (uint64_t)pk[i + 1].time_us;
		uint64_t t2 = (uint64_t)pk[i + 2].time_us, t3 = (uint64_t)pk[i + 3].time_us;
		uint64_t z0 = zigzag(u2i(t0 - prev)), z1 = zigzag(u2i(t1 - t0));
		uint64_t z2 = zigzag(u2i(t2 - t1)), z3 = zigzag(u2i(t3 - t2));
		v[i] = z0;
		v[i + 1] = z1;
		v[i + 2] = z2;
		v[i + 3] = z3;
		hh[0][bitlen(z0)]++;
		hh[1][bitlen(z1)]++;
		hh[2][bitlen(z2)]++;
		hh[3][bitlen(z3)]++;
		prev = t3;
	}
	for (; i < n; i++) {
		uint64_t t = (uint64_t)pk[i].time_us;
		v[i] = zigzag(u2i(t - prev));
		hh[0][bitlen(v[i])]++;
		prev = t;
	}
	for (unsigned L = 0; L <= 64; L++)
		h[L] = hh[0][L] + hh[1][L] + hh[2][L] + hh[3][L];
	put_column_h(c, o, v, n, min_w, h, n);
}

static void encode_sizes(struct blob_codec *c, const struct bpass_update *u, struct buf *o)
{
	uint32_t n = u->n_packets, ndistinct = 0;
	const struct bpass_packet *pk = u->packets;
	uint32_t h[65];
	memset(h, 0, sizeof(h));
	/* Frequencies from at most about 4096 evenly spaced packets. */
	uint32_t step = n > 8192 ? n / 4096 : 1, ns = 0;
	/* A size is new when its stamp is not this call's generation; sample j
	 * counts in lane j & 3 (so that a run of one size does not make every
	 * increment wait for the one before). */
	uint32_t gen = c->gen, *stamp = c->size_stamp;
	uint16_t *lane = c->size_lane;
	for (uint32_t i = 0; i < n; i += step, ns++) {
		uint16_t s = pk[i].size;
		c->size_touched[ndistinct] = s;   /* kept when s is new */
		ndistinct += stamp[s] != gen;
		stamp[s] = gen;
		lane[4 * (size_t)s + (ns & 3)]++;
	}
	/* The counts, into the lanes' first counter (the others zeroed). */
	for (uint32_t k = 0; k < ndistinct; k++) {
		uint16_t *l = lane + 4 * (size_t)c->size_touched[k];
		l[0] = (uint16_t)(l[0] + l[1] + l[2] + l[3]);
		l[1] = l[2] = l[3] = 0;
		h[bitlen(c->size_touched[k])] += l[0];
	}
	/* The most frequent sizes, most frequent first (ties: smaller size). */
	uint16_t top[SIZE_DICT_MAX];
	uint32_t topc[SIZE_DICT_MAX], ntop = 0;
	for (uint32_t k = 0; k < ndistinct; k++) {
		uint16_t s = c->size_touched[k];
		uint32_t cnt = lane[4 * (size_t)s];
		if (ntop == SIZE_DICT_MAX && cnt <= topc[ntop - 1])
			continue;
		uint32_t j = ntop < SIZE_DICT_MAX ? ntop++ : ntop - 1;
		while (j > 0 && (topc[j - 1] < cnt || (topc[j - 1] == cnt && top[j - 1] > s))) {
			top[j] = top[j - 1];
			topc[j] = topc[j - 1];
			j--;
		}
		top[j] = s;
		topc[j] = cnt;
	}
	for (uint32_t k = 0; k < ndistinct; k++)
		lane[4 * (size_t)c->size_touched[k]] = 0;

	/* Choose between the direct column and a dictionary of m = 2^k - 1.
	 * Costs in bits, estimated on the sample and scaled to n. */
	uint64_t direct_cost;
	column_choose(h, ns, 0, &direct_cost);
	uint64_t per_value = direct_cost / ns + 1;
	uint64_t best_cost = per_value * n;
	uint32_t best_m = 0, hits = 0, m_prev = 0;
	for (unsigned k = 1; k <= 4; k++) {
		uint32_t m = (1u << k) - 1;
		if (m > ntop)
			m = ntop;
		for (uint32_t j = m_prev; j < m; j++)
			hits += topc[j];
		m_prev = m;
		uint64_t misses = (uint64_t)(ns - hits) * n / ns;
		uint64_t cost = (uint64_t)n * k + (uint64_t)m * 16 + 16 + misses * per_value;
		if (m && cost < best_cost) {
			best_cost = cost;
			best_m = m;
		}
		if (m == ntop)
			break;
	}

	if (!best_m) {
		uint64_t *v = codec_vals(c, n);
		for (uint32_t i = 0; i < n; i++)
			v[i] = pk[i].size;
		put_b(o, 0);
		if (n <= HIST_ALL)   /* h counted every packet */
			put_column_h(c, o, v, n, 0, h, n);
		else
			put_column(c, o, v, n, 0);
		return;
	}
	put_b(o, (uint8_t)best_m);
	for (uint32_t j = 0; j < best_m; j++) {
		put_u(o, top[j]);
		c->size_code[top[j]] = (uint8_t)j;
	}
	uint64_t *v = codec_vals(c, n);
	xgrow((void **)&c->esc, &c->cap_esc, n, sizeof(*c->esc));
	uint32_t nesc = 0;
	uint64_t *esc = c->esc;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t size = pk[i].size;
		uint8_t code = c->size_code[size];
		esc[nesc] = size;                 /* kept when escaped */
		nesc += code == 0xff;
		v[i] = code == 0xff ? best_m : code;
	}
	for (uint32_t j = 0; j < best_m; j++)
		c->size_code[top[j]] = 0xff;
	if (n <= HIST_ALL) {
		/* Every packet was counted: the codes' lengths follow from topc. */
		memset(h, 0, sizeof(h));
		for (uint32_t j = 0; j < best_m; j++)
			h[bitlen(j)] += topc[j];
		h[bitlen(best_m)] += nesc;
		put_column_h(c, o, v, n, 0, h, n);
	} else {
		put_column(c, o, v, n, 0);
	}
	put_u(o, nesc);
	if (nesc)
		put_column(c, o, c->esc, nesc, 0);
}

/* Sorts the short array v ascending (insertion sort: few flows). */
static void sort_u64(uint64_t *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		uint64_t x = v[i];
		uint32_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Orders the ndict flows by count, highest first, ties in first-seen order
 * (what sort_u64 gives on the keys (UINT32_MAX - count) << 32 | k), with a
 * counting sort: O(ndict + the highest count). */
static void rank_by_count(struct blob_codec *c, uint32_t ndict)
{
	uint32_t top = 0;
	for (uint32_t k = 0; k < ndict; k++)
		if (c->fcount[k] > top)
			top = c->fcount[k];
	xgrow((void **)&c->fstart, &c->cap_fstart, top + 1, sizeof(*c->fstart));
	uint32_t *start = c->fstart;
	memset(start, 0, ((size_t)top + 1) * sizeof(*start));
	for (uint32_t k = 0; k < ndict; k++)
		start[c->fcount[k]]++;
	uint32_t at = 0;
	for (uint32_t cnt = top + 1; cnt-- > 0;) {
		uint32_t m = start[cnt];
		start[cnt] = at;
		at += m;
	}
	for (uint32_t k = 0; k < ndict; k++)
		c->forder[start[c->fcount[k]]++] = k;
}

static void encode_flows_column(struct blob_codec *c, const struct bpass_update *u, struct buf *o)
{
	uint32_t n = u->n_packets, ndict = 0;
	uint32_t mask = grow_table((void **)&c->fh, &c->cap_fh, n, sizeof(*c->fh)), gen = c->gen;
	uint64_t *v = codec_vals(c, n);
	/* At most n distinct flows: no growth inside the loop. Each flow has
	 * four counters, packet i counting in the (i & 3)th, so that a run of
	 * packets of one flow does not make every increment wait for the one
	 * before (store to load); fcount[4k] gets their sum. */
	xgrow((void **)&c->fdict, &c->cap_fdict, n, sizeof(*c->fdict));
	xgrow((void **)&c->fcount, &c->cap_fcount, 4 * n, sizeof(*c->fcount));
	if (!c->fmap)
		c->fmap = xcalloc(FLOW_MAP_IDS, sizeof(*c->fmap));
	int32_t *fdict = c->fdict;
	uint32_t *fcount = c->fcount;
	uint64_t *fmap = c->fmap;
	const struct bpass_packet *pk = u->packets;
	for (uint32_t i = 0; i < n; i++) {
		int32_t id = pk[i].flow_id;
		uint32_t idx;
		if (__builtin_expect((uint32_t)id < FLOW_MAP_IDS, 1)) {
			/* Usual ids: one stamped slot per id, no probing. */
			uint64_t e = fmap[id];
			if (__builtin_expect((uint32_t)(e >> 32) == gen, 1)) {
				idx = (uint32_t)e;
			} else {
				idx = ndict++;
				fmap[id] = (uint64_t)gen << 32 | idx;
				fdict[idx] = id;
				memset(fcount + 4 * (size_t)idx, 0, 4 * sizeof(*fcount));
			}
		} else {
			uint32_t hsh = (uint32_t)id * 0x9e3779b1u;
			uint32_t s = (hsh ^ hsh >> 15) & mask;
			while (c->fh[s].gen == gen && c->fh[s].key != id)
				s = (s + 1) & mask;
			if (c->fh[s].gen != gen) {
				c->fh[s].gen = gen;
				c->fh[s].key = id;
				c->fh[s].idx = ndict;
				fdict[ndict] = id;
				memset(fcount + 4 * (size_t)ndict, 0, 4 * sizeof(*fcount));
				ndict++;
			}
			idx = c->fh[s].idx;
		}
		fcount[4 * (size_t)idx + (i & 3)]++;
		v[i] = idx;
	}
	for (uint32_t k = 0; k < ndict; k++)
		fcount[k] = fcount[4 * k] + fcount[4 * k + 1] + fcount[4 * k + 2] + fcount[4 * k + 3];
	/* Rank by frequency so that the busiest flows get the smallest codes
	 * (ties: first seen first); the low 32 bits of forder[r] are the flow
	 * of rank r. */
	xgrow((void **)&c->forder, &c->cap_forder, ndict, sizeof(*c->forder));
	xgrow((void **)&c->frank, &c->cap_frank, ndict, sizeof(*c->frank));
	if (ndict <= 48) {
		for (uint32_t k = 0; k < ndict; k++)
			c->forder[k] = ((uint64_t)(UINT32_MAX - c->fcount[k]) << 32) | k;
		if (ndict > 1)
			sort_u64(c->forder, ndict);
	} else {
		rank_by_count(c, ndict);
	}
	room(o, 10 + (size_t)ndict * 5);
	uint8_t *p = (uint8_t *)o->data + o->len;
	p = put_varint(p, ndict);
	uint32_t h[65];
	memset(h, 0, sizeof(h));
	for (uint32_t r = 0; r < ndict; r++) {
		uint32_t k = (uint32_t)c->forder[r];
		c->frank[k] = r;
		p = put_varint(p, zigzag(c->fdict[k]));
		h[bitlen(r)] += c->fcount[k];
	}
	o->len = (size_t)(p - (uint8_t *)o->data);
	for (uint32_t i = 0; i < n; i++)
		v[i] = c->frank[v[i]];
	if (n <= HIST_ALL)   /* the ranks' lengths follow from the counts */
		put_column_h(c, o, v, n, 0, h, n);
	else
		put_column(c, o, v, n, 0);
}

static inline uint32_t str_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t x;
		memcpy(&x, s + i, 8);
		h = (h ^ x) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	uint64_t t = 0;
	memcpy(&t, s + i, len - i);
	h = (h ^ t) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

struct str_set {
	struct blob_codec *c;
	uint32_t nrefs, nstr;
	uint32_t mask;    /* of the string table's slots in use (grow_table) */
};

static void str_ref(struct str_set *ss, const char *s)
{
	struct blob_codec *c = ss->c;
	size_t len = strlen(s);
	uint32_t h = str_hash(s, len), mask = ss->mask, gen = c->gen;
	uint32_t slot = h & mask;
	for (;;) {
		struct str_slot *e = &c->sh[slot];
		if (e->gen != gen) {
			e->gen = gen;
			e->s = s;
			e->len = (uint32_t)len;
			e->hash = h;
			e->idx = ss->nstr;
			c->ustr[ss->nstr++] = slot;
			c->refs[ss->nrefs++] = 0;   /* first use: "the next new string" */
			return;
		}
		if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0)
			break;
		slot = (slot + 1) & mask;
	}
	c->refs[ss->nrefs++] = c->sh[slot].idx + 1;
}

/* Collects every string of u in the order encode_strings_users writes them. */
static void collect_strings(struct str_set *ss, const struct bpass_update *u)
{
	struct blob_codec *c = ss->c;
	uint64_t nrefs = 3 + (uint64_t)u->n_whitelist + 2ull * u->n_flows +
			 2ull * u->n_a_records + 2ull * u->n_cname_records +
			 2ull * u->n_addresses + u->n_http_urls;
	ss->mask = grow_table((void **)&c->sh, &c->cap_sh, nrefs, sizeof(*c->sh));
	xgrow((void **)&c->refs, &c->cap_refs, (uint32_t)nrefs, sizeof(*c->refs));
	xgrow((void **)&c->ustr, &c->cap_ustr, (uint32_t)nrefs, sizeof(*c->ustr));
	str_ref(ss, u->build_id);
	str_ref(ss, u->node_id);
	str_ref(ss, u->context);
	for (uint32_t i = 0; i < u->n_whitelist; i++)
		str_ref(ss, u->whitelist[i]);
	for (uint32_t i = 0; i < u->n_flows; i++) {
		str_ref(ss, u->flows[i].src_ip);
		str_ref(ss, u->flows[i].dst_ip);
	}
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		str_ref(ss, u->a_records[i].domain);
		str_ref(ss, u->a_records[i].ip);
	}
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		str_ref(ss, u->cname_records[i].domain);
		str_ref(ss, u->cname_records[i].cname);
	}
	for (uint32_t i = 0; i < u->n_addresses; i++) {
		str_ref(ss, u->addresses[i].mac);
		str_ref(ss, u->addresses[i].ip);
	}
	for (uint32_t i = 0; i < u->n_http_urls; i++)
		str_ref(ss, u->http_urls[i].hash);
}

/* Deflates c->tmp (the text region) to out when that saves bytes; returns
 * whether it did. */
static bool deflate_text(struct blob_codec *c, struct buf *o)
{
	size_t raw_len = c->tmp.len;
	if (raw_len < BLOB_DEFLATE_MIN_TEXT || raw_len >= (1u << 30))
		return false;
	if (!c->z_ready) {
		memset(&c->z, 0, sizeof(c->z));
		if (deflateInit2(&c->z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return false;   /* zlib out of memory: store the text as is */
		c->z_ready = true;
	} else {
		deflateReset(&c->z);
	}
	size_t bound = deflateBound(&c->z, (uLong)raw_len), at = o->len;
	buf_reserve(o, 1 + 10 + bound);
	o->len += 11;   /* room for the mode byte and the compressed length */
	c->z.next_in = (Bytef *)c->tmp.data;
	c->z.avail_in = (uInt)raw_len;
	c->z.next_out = (Bytef *)o->data + o->len;
	c->z.avail_out = (uInt)bound;
	size_t comp = 0;
	if (deflate(&c->z, Z_FINISH) == Z_STREAM_END)
		comp = c->z.total_out;
	if (!comp || comp + 8 >= raw_len || raw_len > (uint64_t)comp * BLOB_MAX_RATIO) {
		o->len = at;
		return false;
	}
	uint8_t hdr[11];
	hdr[0] = 1;
	size_t hl = (size_t)(put_varint(hdr + 1, comp) - hdr);
	memmove(o->data + at + hl, o->data + at + 11, comp);
	memcpy(o->data + at, hdr, hl);
	o->len = at + hl + comp;
	return true;
}

/* The string table: u count; a bitmap (1 = lowercase hex) of the strings;
 * u length of each hex string; the nibbles of the hex strings; u length of
 * the text region; b text mode; the other strings, each followed by a NUL,
 * either as is (mode 0) or raw-deflated (mode 1, after u deflated length). */
static void encode_string_table(struct str_set *ss, struct buf *o)
{
	struct blob_codec *c = ss->c;
	uint32_t n = ss->nstr;
	put_u(o, n);
	size_t map = o->len, map_len = (n + 7) / 8;
	buf_reserve(o, map_len);
	memset(o->data + map, 0, map_len);
	o->len += map_len;
	buf_reset(&c->tmp);
	size_t hex_bytes = 0;
	for (uint32_t k = 0; k < n; k++) {
		struct str_slot *e = &c->sh[c->ustr[k]];
		bool hex = is_lower_hex(e->s, e->len);
		e->hash = hex;   /* the hash is no longer needed: remember the kind */
		if (hex) {
			o->data[map + k / 8] |= (char)(1u << (k % 8));
			put_u(o, e->len);
			hex_bytes += (e->len + 1) / 2;
		} else {
			buf_append(&c->tmp, e->s, e->len + 1);   /* with its NUL */
		}
	}
	buf_reserve(o, hex_bytes);
	uint8_t *q = (uint8_t *)o->data + o->len;
	for (uint32_t k = 0; k < n; k++) {
		const struct str_slot *e = &c->sh[c->ustr[k]];
		if (!e->hash)
			continue;
		q = hex_pack(q, e->s, e->len);
	}
	o->len += hex_bytes;
	put_u(o, c->tmp.len);
	if (!deflate_text(c, o)) {
		put_b(o, 0);
		buf_append(o, c->tmp.data, c->tmp.len);
	}
}

/* Two small flags packed in one byte when both are 0 or 1 (bit 7 = escaped). */
static inline uint8_t *flag_pair(uint8_t *p, uint8_t a, uint8_t b)
{
	if (a <= 1 && b <= 1) {
		*p++ = (uint8_t)(a | b << 1);
	} else {
		*p++ = 0x80;
		*p++ = a;
		*p++ = b;
	}
	return p;
}

static inline uint8_t *flag_triple(uint8_t *p, uint8_t a, uint8_t b, uint8_t c)
{
	if (a <= 1 && b <= 1 && c <= 1) {
		*p++ = (uint8_t)(a | b << 1 | c << 2);
	} else {
		*p++ = 0x80;
		*p++ = a;
		*p++ = b;
		*p++ = c;
	}
	return p;
}

/* A cursor at the end of o with room for n bytes; cursor_end sets o's
 * length to where the cursor got to. */
static inline uint8_t *cursor(struct buf *o, size_t n)
{
	room(o, n);
	return (uint8_t *)o->data + o->len;
}

static inline void cursor_end(struct buf *o, uint8_t *p)
{
	o->len = (size_t)(p - (uint8_t *)o->data);
}

static void encode_payload(struct blob_codec *c, const struct bpass_update *u, struct buf *o)
{
	unsigned uf = (u->has_pcap ? UF_HAS_PCAP : 0) | (u->anonymized ? UF_ANONYMIZED : 0) |
		      (u->has_drop_stats ? UF_HAS_DROP_STATS : 0) | (u->has_http ? UF_HAS_HTTP : 0);
	put_u(o, uf);
	put_s(o, u->version);
	put_s(o, u->timestamp_s);
	put_s(o, rel(u->session_id, us_of(u->timestamp_s)));
	put_s(o, u->sequence);
	if (u->has_pcap) {
		put_u(o, u->pcap_received);
		put_u(o, u->pcap_dropped);
		put_u(o, u->iface_dropped);
	}

	put_s(o, rel(u->packets_first_us, us_of(u->timestamp_s)));
	put_u(o, u->packets_dropped);
	put_u(o, u->n_packets);
	if (u->n_packets) {
		encode_times(c, u, o);
		encode_sizes(c, u, o);
		encode_flows_column(c, u, o);
	}

	struct str_set ss = { .c = c };
	collect_strings(&ss, u);
	encode_string_table(&ss, o);
	const uint32_t *r = c->refs;

	put_u(o, *r++);   /* build_id */
	put_u(o, *r++);   /* node_id */
	put_u(o, *r++);   /* context */
	/* The whitelist's entries are usually all new, distinct strings: then
	 * the count says so (low bit) and their references are left out. */
	bool all_new = true;
	for (uint32_t i = 0; i < u->n_whitelist && all_new; i++)
		all_new = r[i] == 0;
	put_u(o, (uint64_t)u->n_whitelist * 2 + all_new);
	if (all_new)
		r += u->n_whitelist;
	for (uint32_t i = 0; i < u->n_whitelist && !all_new; i++)
		put_u(o, *r++);

	put_s(o, rel(u->flows_baseline_s, (uint64_t)u->timestamp_s));
	put_u(o, u->flows_occupancy);
	put_u(o, u->flows_expired);
	put_u(o, u->flows_dropped);
	put_u(o, u->n_flows);
	/* The record loops write through a cursor into room reserved for the
	 * largest record (bytes: varints of 64 bits 10, of 32 bits 5, a flag
	 * pair 3, a triple 4), with no check per field. */
	int64_t prev_id = 0;
	uint8_t *p = cursor(o, (size_t)u->n_flows * (10 + 3 + 1 + 5 + 5 + 5 + 5));
	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct bpass_flow *f = &u->flows[i];
		p = put_varint(p, zigzag((int64_t)f->flow_id - prev_id));
		prev_id = f->flow_id;
		p = flag_pair(p, f->src_anon, f->dst_anon);
		*p++ = f->proto;
		p = put_varint(p, f->src_port);
		p = put_varint(p, f->dst_port);
		p = put_varint(p, *r++);
		p = put_varint(p, *r++);
	}
	cursor_end(o, p);

	put_u(o, u->dns_dropped_a);
	put_u(o, u->dns_dropped_cname);
	put_u(o, u->n_a_records);
	p = cursor(o, (size_t)u->n_a_records * (5 + 5 + 1 + 5 + 5 + 5));
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		const struct bpass_a_record *a = &u->a_records[i];
		p = put_varint(p, a->packet_id);
		p = put_varint(p, a->address_id);
		*p++ = a->anonymized;
		p = put_varint(p, zigzag(a->ttl));
		p = put_varint(p, *r++);
		p = put_varint(p, *r++);
	}
	cursor_end(o, p);
	put_u(o, u->n_cname_records);
	p = cursor(o, (size_t)u->n_cname_records * (5 + 5 + 4 + 5 + 5 + 5));
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		const struct bpass_cname_record *cn = &u->cname_records[i];
		p = put_varint(p, cn->packet_id);
		p = put_varint(p, cn->address_id);
		p = flag_triple(p, cn->domain_anonymized, cn->cname_anonymized, cn->legacy);
		p = put_varint(p, zigzag(cn->ttl));
		p = put_varint(p, *r++);
		p = put_varint(p, *r++);
	}
	cursor_end(o, p);

	put_u(o, u->addresses_first_id);
	put_u(o, u->addresses_capacity);
	put_u(o, u->n_addresses);
	p = cursor(o, (size_t)u->n_addresses * (5 + 5));
	for (uint32_t i = 0; i < u->n_addresses; i++) {
		p = put_varint(p, *r++);
		p = put_varint(p, *r++);
	}
	cursor_end(o, p);

	put_u(o, u->n_drop_stats);
	for (uint32_t i = 0; i < u->n_drop_stats; i++) {
		put_u(o, u->drop_stats[i].size);
		put_u(o, u->drop_stats[i].count);
	}

	put_u(o, u->http_dropped);
	put_u(o, u->n_http_urls);
	for (uint32_t i = 0; i < u->n_http_urls; i++) {
		const struct bpass_http_url *h = &u->http_urls[i];
		put_s(o, h->flow_id);
		put_u(o, h->reserved);
		put_u(o, *r++);
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* zlib's CRC-32 (the same polynomial and value), computed by libdeflate's
 * faster implementation. */
static uint32_t crc_of(const void *p, size_t len)
{
	return libdeflate_crc32(0, p, len);
}


int blob_codec_encode(struct blob_codec *c, const struct bpass_update *u, struct buf *out)
{
	codec_next_gen(c);
	size_t start = out->len;
	buf_reserve(out, BLOB_HEADER_LEN);
	out->data[start] = BLOB_FORMAT_VERSION;
	out->data[start + 1] = 0;
	out->len += BLOB_HEADER_LEN;
	size_t body = out->len;
	encode_payload(c, u, out);
	put_le32((uint8_t *)out->data + start + 2, crc_of(out->data + body, out->len - body));
	out->data[out->len] = 0;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Decoding
 */

static void clear_update(struct bpass_update *u)
{
	memset(u, 0, sizeof(*u));
	u->build_id = "";
	u->node_id = "";
	u->context = "";
}

static int decode_packets(struct update_buf *b, struct dec *d)
{
	struct bpass_update *u = &b->u;
	d->section = UPDATE_SECTION_PACKETS;
	int64_t rel_first;
	if (get_s64(d, &rel_first) || get_u32(d, &u->packets_dropped, "dropped count"))
		return -1;
	u->packets_first_us = unrel(rel_first, us_of(u->timestamp_s));
	uint64_t n64;
	if (get_u(d, &n64))
		return -1;
	if (n64 > UINT32_MAX)
		return dec_fail(d, "packet count out of range");
	uint32_t n = (uint32_t)n64;
	u->n_packets = n;
	if (!n)
		return 0;

	struct col tc, sc, ec, fc;
	if (col_open(d, n, &tc, "time"))
		return -1;
	/* Past BLOB_FREE_PACKETS every packet costs at least one byte. */
	if (n > BLOB_FREE_PACKETS && tc.w < 8)
		return dec_fail(d, "%u packets in a column of width %u", n, tc.w);

	uint8_t mode = 0;
	uint16_t sdict[SIZE_DICT_MAX];
	uint32_t nesc = 0;
	if (get_b(d, &mode))
		return -1;
	if (mode > SIZE_DICT_MAX)
		return dec_fail(d, "size dictionary of %u entries", mode);
	for (unsigned k = 0; k < mode; k++) {
		uint64_t s;
		if (get_u(d, &s))
			return -1;
		if (s > UINT16_MAX)
			return dec_fail(d, "packet size %llu out of range", (unsigned long long)s);
		sdict[k] = (uint16_t)s;
	}
	if (col_open(d, n, &sc, "size"))
		return -1;
	memset(&ec, 0, sizeof(ec));
	if (mode) {
		if (get_u32(d, &nesc, "escape count"))
			return -1;
		if (nesc > n)
			return dec_fail(d, "%u escaped sizes for %u packets", nesc, n);
		if (nesc && col_open(d, nesc, &ec, "escaped size"))
			return -1;
	}

	uint32_t ndict;
	if (get_count(d, &ndict, 1, "flow dictionary"))
		return -1;
	if (!ndict || ndict > n)
		return dec_fail(d, "flow dictionary of %u entries for %u packets", ndict, n);
	buf_reset(&b->scratch);
	buf_reserve(&b->scratch, (size_t)ndict * sizeof(int32_t));
	int32_t *fdict = (int32_t *)(void *)b->scratch.data;
	for (uint32_t k = 0; k < ndict; k++)
		if (get_s32(d, &fdict[k], "flow id"))
			return -1;
	if (col_open(d, n, &fc, "flow"))
		return -1;

	xgrow((void **)&b->packets, &b->cap_packets, n, sizeof(*b->packets));
	struct bpass_packet *pk = b->packets;
	struct exc x;

	uint64_t t = (uint64_t)u->packets_first_us;
	exc_begin(&x, &tc);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t z = col_get(&tc, i);
		if (i == x.next)
			z |= exc_take(&x);
		t += (uint64_t)unzigzag(z);
		pk[i].time_us = u2i(t);
	}

	exc_begin(&x, &sc);
	if (!mode) {
		for (uint32_t i = 0; i < n; i++) {
			uint64_t s = col_get(&sc, i);
			if (i == x.next)
				s |= exc_take(&x);
			if (s > UINT16_MAX)
				return dec_fail(d, "size %llu of packet %u", (unsigned long long)s, i);
			pk[i].size = (uint16_t)s;
		}
	} else {
		struct exc ex;
		uint32_t j = 0;
		exc_begin(&ex, &ec);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t s = col_get(&sc, i);
			if (i == x.next)
				s |= exc_take(&x);
			if (s < mode) {
				pk[i].size = sdict[s];
				continue;
			}
			if (s != mode || j == nesc)
				return dec_fail(d, "size code %llu of packet %u", (unsigned long long)s, i);
			s = col_get(&ec, j);
			if (j == ex.next)
				s |= exc_take(&ex);
			j++;
			if (s > UINT16_MAX)
				return dec_fail(d, "size %llu of packet %u", (unsigned long long)s, i);
			pk[i].size = (uint16_t)s;
		}
		if (j != nesc)
			return dec_fail(d, "%u escaped sizes, %u used", nesc, j);
	}

	exc_begin(&x, &fc);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t f = col_get(&fc, i);
		if (i == x.next)
			f |= exc_take(&x);
		if (f >= ndict)
			return dec_fail(d, "flow index %llu of packet %u", (unsigned long long)f, i);
		pk[i].flow_id = fdict[f];
	}
	u->packets = pk;
	return 0;
}

struct strtab {
	const char **s;
	uint32_t n;
	uint32_t next;    /* the string a reference 0 stands for */
};

static const char hex_digits[16] = "0123456789abcdef";

/* Inflates exactly out_len bytes of raw deflate from in[0..in_len). */
static int inflate_text(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return -1;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)in_len;
	z.next_out = out;
	z.avail_out = (uInt)out_len;
	int zr = inflate(&z, Z_FINISH);
	int rc = zr == Z_STREAM_END && z.total_out == out_len && z.avail_in == 0 ? 0 : -1;
	inflateEnd(&z);
	return rc;
}

static int decode_strings(struct update_buf *b, struct dec *d, struct strtab *st)
{
	d->section = UPDATE_SECTION_NONE;
	uint64_t n64;
	if (get_u(d, &n64))
		return -1;
	if (n64 > UINT32_MAX || (n64 + 7) / 8 > (uint64_t)(d->end - d->p))
		return dec_fail(d, "string count %llu exceeds the blob", (unsigned long long)n64);
	uint32_t n = (uint32_t)n64, ntext = 0;
	const uint8_t *map = d->p;
	d->p += (n + 7) / 8;
	const uint8_t *lens = d->p;
	uint64_t hex_bytes = 0, hex_total = 0;
	for (uint32_t k = 0; k < n; k++) {
		if (!(map[k / 8] >> (k % 8) & 1)) {
			ntext++;
			continue;
		}
		uint64_t len;
		if (get_u(d, &len))
			return -1;
		if (!len || len > (uint64_t)1 << 40)
			return dec_fail(d, "hex string %u of %llu bytes", k, (unsigned long long)len);
		hex_bytes += (len + 1) / 2;
		hex_total += len + 1;
		if (hex_bytes > (uint64_t)(d->end - d->p))
			return dec_fail(d, "hex strings are truncated");
	}
	if (hex_bytes > (uint64_t)(d->end - d->p))
		return dec_fail(d, "hex strings are truncated");
	const uint8_t *hex = d->p;
	d->p += hex_bytes;
	uint64_t text_len, comp;
	uint8_t mode = 0;
	if (get_u(d, &text_len) || get_b(d, &mode))
		return -1;
	if (mode > 1)
		return dec_fail(d, "text mode %u", mode);
	comp = text_len;
	if (mode == 1 && get_u(d, &comp))
		return -1;
	if (comp > (uint64_t)(d->end - d->p))
		return dec_fail(d, "text strings are truncated");
	if (mode == 1 && text_len > comp * BLOB_MAX_RATIO)
		return dec_fail(d, "%llu bytes of text deflated to %llu",
				(unsigned long long)text_len, (unsigned long long)comp);
	if (text_len < ntext || (ntext == 0) != (text_len == 0))
		return dec_fail(d, "%llu bytes of text for %u strings",
				(unsigned long long)text_len, ntext);
	const uint8_t *text = d->p;
	d->p += comp;

	/* Scratch: the hex strings, the aligned pointer array, the text region. */
	size_t ptr_off = (size_t)((hex_total + 7) & ~(uint64_t)7);
	size_t text_off = ptr_off + (size_t)n * sizeof(char *);
	buf_reset(&b->scratch);
	buf_reserve(&b->scratch, text_off + (size_t)text_len);
	char *out = b->scratch.data, *tx = out + text_off;
	if (mode) {
		if (inflate_text(text, (size_t)comp, (uint8_t *)tx, (size_t)text_len))
			return dec_fail(d, "text strings do not inflate");
	} else {
		memcpy(tx, text, (size_t)text_len);
	}
	if (text_len && tx[text_len - 1] != 0)
		return dec_fail(d, "text region does not end with a NUL");
	const char **ptrs = (const char **)(void *)(out + ptr_off);
	const char *tx_end = tx + text_len;
	const uint8_t *lp = lens;
	for (uint32_t k = 0; k < n; k++) {
		if (!(map[k / 8] >> (k % 8) & 1)) {
			if (tx == tx_end)
				return dec_fail(d, "fewer text strings than %u", ntext);
			ptrs[k] = tx;
			tx += strlen(tx) + 1;
			continue;
		}
		uint64_t len = raw_varint(&lp);
		ptrs[k] = out;
		for (uint64_t j = 0; j < len / 2; j++) {
			uint8_t x = *hex++;
			*out++ = hex_digits[x >> 4];
			*out++ = hex_digits[x & 15];
		}
		if (len & 1)
			*out++ = hex_digits[*hex++ >> 4];
		*out++ = 0;
	}
	if (tx != tx_end)
		return dec_fail(d, "more text strings than %u", ntext);
	b->scratch.len = text_off + (size_t)text_len;
	b->scratch.data[b->scratch.len] = 0;
	st->s = ptrs;
	st->n = n;
	st->next = 0;
	return 0;
}

static int get_str(struct dec *d, struct strtab *st, const char **out)
{
	uint64_t k;
	if (get_u(d, &k))
		return -1;
	if (k == 0) {
		if (st->next >= st->n)
			return dec_fail(d, "more new strings than the %u in the table", st->n);
		*out = st->s[st->next++];
		return 0;
	}
	if (k > st->next)
		return dec_fail(d, "string reference %llu of %u", (unsigned long long)k, st->next);
	*out = st->s[k - 1];
	return 0;
}

static int get_flag_pair(struct dec *d, uint8_t *a, uint8_t *b)
{
	uint8_t x = 0;
	if (get_b(d, &x))
		return -1;
	if (x == 0x80)
		return get_b(d, a) || get_b(d, b) ? -1 : 0;
	if (x > 3)
		return dec_fail(d, "flag byte 0x%02x", x);
	*a = x & 1;
	*b = x >> 1;
	return 0;
}

static int get_flag_triple(struct dec *d, uint8_t *a, uint8_t *b, uint8_t *c)
{
	uint8_t x = 0;
	if (get_b(d, &x))
		return -1;
	if (x == 0x80)
		return get_b(d, a) || get_b(d, b) || get_b(d, c) ? -1 : 0;
	if (x > 7)
		return dec_fail(d, "flag byte 0x%02x", x);
	*a = x & 1;
	*b = (x >> 1) & 1;
	*c = x >> 2;
	return 0;
}

static int decode_payload(struct update_buf *b, struct dec *d)
{
	struct bpass_update *u = &b->u;
	uint64_t uf;
	d->section = UPDATE_SECTION_INTRO;
	if (get_u(d, &uf))
		return -1;
	if (uf & ~(uint64_t)UF_ALL)
		return dec_fail(d, "unknown update flags 0x%llx", (unsigned long long)uf);
	u->has_pcap = uf & UF_HAS_PCAP;
	u->anonymized = uf & UF_ANONYMIZED;
	u->has_drop_stats = uf & UF_HAS_DROP_STATS;
	u->has_http = uf & UF_HAS_HTTP;
	int64_t rel_session;
	if (get_s32(d, &u->version, "version") || get_s64(d, &u->timestamp_s) ||
	    get_s64(d, &rel_session) || get_s32(d, &u->sequence, "sequence"))
		return -1;
	u->session_id = unrel(rel_session, us_of(u->timestamp_s));
	if (u->has_pcap && (get_u32(d, &u->pcap_received, "pcap counter") ||
			    get_u32(d, &u->pcap_dropped, "pcap counter") ||
			    get_u32(d, &u->iface_dropped, "pcap counter")))
		return -1;

	if (decode_packets(b, d))
		return -1;

	struct strtab st;
	if (decode_strings(b, d, &st))
		return -1;

	d->section = UPDATE_SECTION_INTRO;
	if (get_str(d, &st, &u->build_id) || get_str(d, &st, &u->node_id))
		return -1;
	d->section = UPDATE_SECTION_SIGNATURE;
	if (get_str(d, &st, &u->context))
		return -1;

	d->section = UPDATE_SECTION_WHITELIST;
	uint64_t wl;
	uint32_t n;
	if (get_u(d, &wl))
		return -1;
	n = (uint32_t)(wl >> 1);
	if ((wl >> 1) > UINT32_MAX ||
	    (wl & 1 ? (wl >> 1) > st.n - st.next : (wl >> 1) > (uint64_t)(d->end - d->p)))
		return dec_fail(d, "whitelist of %llu entries", (unsigned long long)(wl >> 1));
	xgrow((void **)&b->whitelist, &b->cap_whitelist, n, sizeof(*b->whitelist));
	for (uint32_t i = 0; i < n; i++) {
		if (wl & 1)
			b->whitelist[i] = st.s[st.next++];
		else if (get_str(d, &st, &b->whitelist[i]))
			return -1;
	}
	u->whitelist = b->whitelist;
	u->n_whitelist = n;

	d->section = UPDATE_SECTION_FLOWS;
	int64_t rel_baseline;
	if (get_s64(d, &rel_baseline) || get_u32(d, &u->flows_occupancy, "occupancy") ||
	    get_u32(d, &u->flows_expired, "expired count") ||
	    get_u32(d, &u->flows_dropped, "dropped count") || get_count(d, &n, 7, "flow"))
		return -1;
	u->flows_baseline_s = unrel(rel_baseline, (uint64_t)u->timestamp_s);
	xgrow((void **)&b->flows, &b->cap_flows, n, sizeof(*b->flows));
	int64_t id = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct bpass_flow *f = &b->flows[i];
		int64_t delta;
		uint32_t sport = 0, dport = 0;
		if (get_s64(d, &delta))
			return -1;
		id = u2i((uint64_t)id + (uint64_t)delta);
		if (id < INT32_MIN || id > INT32_MAX)
			return dec_fail(d, "flow id out of range");
		f->flow_id = (int32_t)id;
		if (get_flag_pair(d, &f->src_anon, &f->dst_anon) || get_b(d, &f->proto) ||
		    get_u32(d, &sport, "port") || get_u32(d, &dport, "port"))
			return -1;
		if (sport > UINT16_MAX || dport > UINT16_MAX)
			return dec_fail(d, "port out of range");
		f->src_port = (uint16_t)sport;
		f->dst_port = (uint16_t)dport;
		if (get_str(d, &st, &f->src_ip) || get_str(d, &st, &f->dst_ip))
			return -1;
	}
	u->flows = b->flows;
	u->n_flows = n;

	d->section = UPDATE_SECTION_DNS_A;
	if (get_u32(d, &u->dns_dropped_a, "dropped count") ||
	    get_u32(d, &u->dns_dropped_cname, "dropped count") || get_count(d, &n, 6, "A record"))
		return -1;
	xgrow((void **)&b->a_records, &b->cap_a_records, n, sizeof(*b->a_records));
	for (uint32_t i = 0; i < n; i++) {
		struct bpass_a_record *a = &b->a_records[i];
		if (get_u32(d, &a->packet_id, "packet id") ||
		    get_u32(d, &a->address_id, "address id") || get_b(d, &a->anonymized) ||
		    get_s32(d, &a->ttl, "ttl") || get_str(d, &st, &a->domain) ||
		    get_str(d, &st, &a->ip))
			return -1;
	}
	u->a_records = b->a_records;
	u->n_a_records = n;

	d->section = UPDATE_SECTION_DNS_CNAME;
	if (get_count(d, &n, 6, "CNAME record"))
		return -1;
	xgrow((void **)&b->cname_records, &b->cap_cname_records, n, sizeof(*b->cname_records));
	for (uint32_t i = 0; i < n; i++) {
		struct bpass_cname_record *c = &b->cname_records[i];
		if (get_u32(d, &c->packet_id, "packet id") ||
		    get_u32(d, &c->address_id, "address id") ||
		    get_flag_triple(d, &c->domain_anonymized, &c->cname_anonymized, &c->legacy) ||
		    get_s32(d, &c->ttl, "ttl") || get_str(d, &st, &c->domain) ||
		    get_str(d, &st, &c->cname))
			return -1;
	}
	u->cname_records = b->cname_records;
	u->n_cname_records = n;

	d->section = UPDATE_SECTION_ADDRESSES;
	if (get_u32(d, &u->addresses_first_id, "first id") ||
	    get_u32(d, &u->addresses_capacity, "capacity") || get_count(d, &n, 2, "address"))
		return -1;
	xgrow((void **)&b->addresses, &b->cap_addresses, n, sizeof(*b->addresses));
	for (uint32_t i = 0; i < n; i++)
		if (get_str(d, &st, &b->addresses[i].mac) || get_str(d, &st, &b->addresses[i].ip))
			return -1;
	u->addresses = b->addresses;
	u->n_addresses = n;

	d->section = UPDATE_SECTION_DROPS;
	if (get_count(d, &n, 2, "drop statistics"))
		return -1;
	xgrow((void **)&b->drop_stats, &b->cap_drop_stats, n, sizeof(*b->drop_stats));
	for (uint32_t i = 0; i < n; i++)
		if (get_u32(d, &b->drop_stats[i].size, "size") ||
		    get_u(d, &b->drop_stats[i].count))
			return -1;
	u->drop_stats = b->drop_stats;
	u->n_drop_stats = n;

	d->section = UPDATE_SECTION_HTTP;
	if (get_u32(d, &u->http_dropped, "dropped count") || get_count(d, &n, 3, "HTTP URL"))
		return -1;
	xgrow((void **)&b->http_urls, &b->cap_http_urls, n, sizeof(*b->http_urls));
	for (uint32_t i = 0; i < n; i++) {
		struct bpass_http_url *h = &b->http_urls[i];
		if (get_s32(d, &h->flow_id, "flow id") || get_u32(d, &h->reserved, "reserved field") ||
		    get_str(d, &st, &h->hash))
			return -1;
	}
	u->http_urls = b->http_urls;
	u->n_http_urls = n;

	d->section = UPDATE_SECTION_NONE;
	if (d->p != d->end)
		return dec_fail(d, "%zu trailing bytes", (size_t)(d->end - d->p));
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int blob_fail(struct update_error *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->section = UPDATE_SECTION_NONE;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}


int blob_decode(struct update_buf *b, const void *data, size_t len, struct update_error *err)
{
	const uint8_t *p = data;
	if (err) {
		err->section = UPDATE_SECTION_NONE;
		err->line = 0;
		err->msg[0] = 0;
		err->warning[0] = 0;
	}
	clear_update(&b->u);
	if (len < BLOB_HEADER_LEN)
		return blob_fail(err, "corrupt blob: %zu bytes, too short", len);
	if (p[0] != BLOB_FORMAT_VERSION)
		return blob_fail(err, "unsupported blob format version %u", p[0]);
	if (p[1])
		return blob_fail(err, "corrupt blob: unknown flags 0x%02x", p[1]);
	if (crc_of(p + BLOB_HEADER_LEN, len - BLOB_HEADER_LEN) != get_le32(p + 2))
		return blob_fail(err, "corrupt blob: checksum mismatch");

	struct dec d = { .p = p + BLOB_HEADER_LEN, .end = p + len, .err = err,
			 .section = UPDATE_SECTION_NONE };
	if (decode_payload(b, &d) == 0)
		return 0;
	clear_update(&b->u);
	buf_reset(&b->scratch);
	return -1;
}
