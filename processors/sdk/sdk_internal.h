/*
 * processors/sdk/sdk_internal.h: the building blocks the SDK's files share,
 * not installed and not part of the API: an open-addressing hash index of
 * positions (sdk_hash.c), a string arena (sdk_strs.c), a merge sort with a
 * context (sdk_sort.c), hashing, saturating arithmetic and the saved names
 * of the column types (sdk_agg.c).
 *
 * Like the rest of the SDK these never print or abort: they return -1 (or
 * SDK_NONE) with errno set when memory runs out.
 */
#ifndef PROCESSORS_SDK_SDK_INTERNAL_H
#define PROCESSORS_SDK_SDK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bpass_sdk.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

#define SDK_NONE UINT32_MAX

/* ---- hash index ----
 * Maps 32-bit hashes to uint32 positions into the owner's own arrays; the
 * owner compares keys. Linear probing, load factor at most 1/2, capacity a
 * power of two, backward-shift deletion. A lookup:
 *	uint32_t cur;
 *	for (uint32_t i = sdk_hash_find(h, hash, &cur); i != SDK_NONE;
 *	     i = sdk_hash_next(h, hash, &cur))
 *		if (same_key(i)) return i;
 */
struct sdk_hash_slot {
	uint32_t hash;
	uint32_t ref;     /* position + 1; 0 marks an empty slot */
};

struct sdk_hash {
	struct sdk_hash_slot *slots;  /* NULL until the first insert */
	uint32_t mask;                /* capacity - 1 */
	uint32_t n;
};

void sdk_hash_init(struct sdk_hash *h);
void sdk_hash_release(struct sdk_hash *h);
void sdk_hash_clear(struct sdk_hash *h);
/* Adds pos (< SDK_NONE) under hash; -1 when out of memory. */
int sdk_hash_insert(struct sdk_hash *h, uint32_t hash, uint32_t pos);
/* Removes pos stored under hash; -1 when absent. */
int sdk_hash_remove(struct sdk_hash *h, uint32_t hash, uint32_t pos);
/* Replaces position from by to under hash; -1 when absent. */
int sdk_hash_move(struct sdk_hash *h, uint32_t hash, uint32_t from, uint32_t to);

/* The next position stored under hash after the one find or next returned. */
static inline uint32_t sdk_hash_next(const struct sdk_hash *h, uint32_t hash, uint32_t *cursor)
{
	if (!h->slots)
		return SDK_NONE;
	uint32_t i = *cursor;
	while (h->slots[i].ref) {
		const struct sdk_hash_slot *s = &h->slots[i];
		i = (i + 1) & h->mask;
		if (s->hash == hash) {
			*cursor = i;
			return s->ref - 1;
		}
	}
	*cursor = i;
	return SDK_NONE;
}

/* The first position stored under hash, or SDK_NONE; *cursor is for sdk_hash_next. */
static inline uint32_t sdk_hash_find(const struct sdk_hash *h, uint32_t hash, uint32_t *cursor)
{
	*cursor = hash & h->mask;
	return sdk_hash_next(h, hash, cursor);
}

static inline uint64_t sdk_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t sdk_combine(uint64_t h, uint64_t x)
{
	return sdk_mix64(h * 0x9e3779b97f4a7c15ULL + x + 0x632be59bd9b4e019ULL);
}

/* A hash of the bytes, eight at a time (in memory only: it depends on the
 * byte order). */
static inline uint32_t sdk_hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	return (uint32_t)sdk_mix64(h ^ w);
}

/* ---- string arena ----
 * Strings appended to one growing block, each NUL-terminated and given a
 * dense id 0, 1, 2...; pointers are valid until the next add. */
struct sdk_str {
	size_t off;
	uint32_t len;
	uint32_t hash;    /* sdk_hash_bytes of the string */
};

struct sdk_strs {
	char *data;
	size_t len, cap;
	struct sdk_str *ents;
	uint32_t n;
	size_t cap_ents;
};

void sdk_strs_init(struct sdk_strs *s);
void sdk_strs_release(struct sdk_strs *s);
void sdk_strs_clear(struct sdk_strs *s);
/* The id of a copy of p[0..len) (len < 4 GiB), or SDK_NONE when out of memory. */
uint32_t sdk_strs_add(struct sdk_strs *s, const char *p, size_t len, uint32_t hash);

static inline const char *sdk_strs_at(const struct sdk_strs *s, uint32_t id)
{
	return s->data + s->ents[id].off;
}

/* Bytewise order of strings a and b of s (a proper prefix first): <0, 0, >0. */
int sdk_strs_cmp(const struct sdk_strs *s, uint32_t a, uint32_t b);

/* ---- sorting ----
 * Sorts n uint32 items with cmp(a, b, ctx) (stable merge sort); -1 when out
 * of memory. */
int sdk_sort_u32(uint32_t *items, size_t n, int (*cmp)(uint32_t a, uint32_t b, const void *ctx),
		 const void *ctx);

/* ---- arithmetic ---- */
static inline int64_t sdk_sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Storage for at least need (> 0) elements of size bytes: p itself when its
 * *cap elements suffice, else p reallocated (*cap updated). NULL when out of
 * memory or the size overflows; p is then unchanged. Callers assign:
 *	T *np = sdk_grow(o->items, &o->cap, o->n + 1, sizeof(T));
 *	if (!np) return -1;
 *	o->items = np; */
void *sdk_grow(void *p, size_t *cap, size_t need, size_t size);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
