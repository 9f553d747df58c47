/*
 * processors/itab.h: an open-addressing hash index of uint32 positions, the
 * building block of the built-in processors' maps and sets.
 *
 * The entries themselves live in the caller's own array (struct vectors,
 * interned strings); an itab only maps a 32-bit hash to the positions of the
 * entries with that hash, so one table type serves every key shape without
 * callbacks or per-entry allocation. A lookup walks the candidates with the
 * same hash and the caller compares keys:
 *
 *	uint32_t cur;
 *	for (uint32_t i = itab_find(t, h, &cur); i != ITAB_NONE; i = itab_find_next(t, h, &cur))
 *		if (same_key(&entries[i], key)) return i;
 *
 * Linear probing with backward-shift removal, load factor at most 1/2,
 * capacity a power of two.
 */
#ifndef PROCESSORS_ITAB_H
#define PROCESSORS_ITAB_H

#include <stddef.h>
#include <stdint.h>

#define ITAB_NONE UINT32_MAX

struct itab_slot {
	uint32_t hash;
	uint32_t ref;      /* position + 1; 0 marks an empty slot */
};

struct itab {
	struct itab_slot *slots;  /* NULL until the first insert */
	uint32_t mask;            /* capacity - 1 */
	uint32_t n;               /* positions stored */
};

void itab_init(struct itab *t);
/* Frees the slots; t is then as after itab_init. */
void itab_release(struct itab *t);
/* Forgets every position, keeping the allocation. */
void itab_clear(struct itab *t);
/* Adds position pos (< UINT32_MAX) under hash. Does not check for duplicates. */
void itab_insert(struct itab *t, uint32_t hash, uint32_t pos);
/* Removes position pos stored under hash; returns 0, or -1 when absent. */
int itab_remove(struct itab *t, uint32_t hash, uint32_t pos);
/* The first position stored under hash, or ITAB_NONE; *cursor is for itab_find_next. */
uint32_t itab_find(const struct itab *t, uint32_t hash, uint32_t *cursor);
/* The next position stored under hash after the one itab_find(_next) returned. */
uint32_t itab_find_next(const struct itab *t, uint32_t hash, uint32_t *cursor);

/* Hashing helpers: a 64-bit finaliser, combining, and bytes (FNV-1a, finalised). */
static inline uint64_t itab_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t itab_combine(uint64_t h, uint64_t x)
{
	return itab_mix64(h * 0x9e3779b97f4a7c15ULL + x + 0x632be59bd9b4e019ULL);
}

static inline uint32_t itab_hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)itab_mix64(h ^ len);
}

#endif
