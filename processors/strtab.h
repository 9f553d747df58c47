/*
 * processors/strtab.h: a string interner. Every distinct string gets a dense
 * id (0, 1, 2, ...) and is stored once, NUL-terminated, in one growing arena,
 * so maps keyed by IPs and domain names hold 32-bit ids instead of pointers
 * and allocate nothing per entry.
 *
 * Pointers returned by strtab_str stay valid only until the next
 * strtab_intern on the same table (the arena may move).
 */
#ifndef PROCESSORS_STRTAB_H
#define PROCESSORS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "itab.h"

struct strtab_ent {
	size_t off;        /* into arena */
	uint32_t len;      /* bytes, excluding the NUL */
	uint32_t hash;
};

struct strtab {
	char *arena;
	size_t len, cap;
	struct strtab_ent *ents;
	uint32_t n, cap_ents;
	struct itab index;
};

void strtab_init(struct strtab *t);
void strtab_release(struct strtab *t);

/* The id of s[0..len), adding it when new. Strings longer than 4 GiB are cut. */
uint32_t strtab_intern(struct strtab *t, const char *s, size_t len);
/* The id of s[0..len), or ITAB_NONE when it was never interned. */
uint32_t strtab_find(const struct strtab *t, const char *s, size_t len);

static inline const char *strtab_str(const struct strtab *t, uint32_t id)
{
	return t->arena + t->ents[id].off;
}

static inline uint32_t strtab_len(const struct strtab *t, uint32_t id)
{
	return t->ents[id].len;
}

/* Byte-wise comparison of strings a and b (shorter prefix first), like memcmp. */
int strtab_cmp(const struct strtab *t, uint32_t a, uint32_t b);

#endif
