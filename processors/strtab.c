/*
 * processors/strtab.c: interned strings in one arena (see strtab.h).
 */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void strtab_init(struct strtab *t)
{
	t->arena = NULL;
	t->len = t->cap = 0;
	t->ents = NULL;
	t->n = t->cap_ents = 0;
	itab_init(&t->index);
}

void strtab_release(struct strtab *t)
{
	free(t->arena);
	free(t->ents);
	itab_release(&t->index);
	strtab_init(t);
}

static uint32_t strtab_lookup(const struct strtab *t, const char *s, uint32_t len, uint32_t h)
{
	uint32_t cur;
	for (uint32_t i = itab_find(&t->index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&t->index, h, &cur))
		if (t->ents[i].len == len && memcmp(t->arena + t->ents[i].off, s, len) == 0)
			return i;
	return ITAB_NONE;
}

uint32_t strtab_find(const struct strtab *t, const char *s, size_t len)
{
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	return strtab_lookup(t, s, (uint32_t)len, itab_hash_bytes(s, len));
}

uint32_t strtab_intern(struct strtab *t, const char *s, size_t len)
{
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	uint32_t h = itab_hash_bytes(s, len);
	uint32_t id = strtab_lookup(t, s, (uint32_t)len, h);
	if (id != ITAB_NONE)
		return id;
	if (t->cap - t->len < len + 1) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap - t->len < len + 1)
			cap *= 2;
		t->arena = xrealloc(t->arena, cap);
		t->cap = cap;
	}
	memcpy(t->arena + t->len, s, len);
	t->arena[t->len + len] = 0;
	xgrow((void **)&t->ents, &t->cap_ents, t->n + 1, sizeof(*t->ents));
	id = t->n++;
	t->ents[id].off = t->len;
	t->ents[id].len = (uint32_t)len;
	t->ents[id].hash = h;
	t->len += len + 1;
	itab_insert(&t->index, h, id);
	return id;
}

int strtab_cmp(const struct strtab *t, uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	uint32_t la = t->ents[a].len, lb = t->ents[b].len;
	int c = memcmp(t->arena + t->ents[a].off, t->arena + t->ents[b].off, la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}
