/*
 * processors/itab.c: the open-addressing position index behind the built-in
 * processors' maps (see itab.h).
 */
#include "itab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void itab_init(struct itab *t)
{
	t->slots = NULL;
	t->mask = 0;
	t->n = 0;
}

void itab_release(struct itab *t)
{
	free(t->slots);
	itab_init(t);
}

void itab_clear(struct itab *t)
{
	if (t->slots)
		memset(t->slots, 0, ((size_t)t->mask + 1) * sizeof(*t->slots));
	t->n = 0;
}

static void itab_put(struct itab_slot *slots, uint32_t mask, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & mask;
	while (slots[i].ref)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].ref = ref;
}

static void itab_grow(struct itab *t)
{
	size_t cap = t->slots ? ((size_t)t->mask + 1) * 2 : 16;
	struct itab_slot *slots = xcalloc(cap, sizeof(*slots));
	if (t->slots) {
		for (size_t i = 0; i <= t->mask; i++)
			if (t->slots[i].ref)
				itab_put(slots, (uint32_t)(cap - 1), t->slots[i].hash, t->slots[i].ref);
		free(t->slots);
	}
	t->slots = slots;
	t->mask = (uint32_t)(cap - 1);
}

void itab_insert(struct itab *t, uint32_t hash, uint32_t pos)
{
	if (!t->slots || ((uint64_t)t->n + 1) * 2 > (uint64_t)t->mask + 1)
		itab_grow(t);
	itab_put(t->slots, t->mask, hash, pos + 1);
	t->n++;
}

int itab_remove(struct itab *t, uint32_t hash, uint32_t pos)
{
	if (!t->slots)
		return -1;
	uint32_t i = hash & t->mask;
	while (t->slots[i].ref != pos + 1) {
		if (!t->slots[i].ref)
			return -1;
		i = (i + 1) & t->mask;
	}
	/* shift back every later entry of the run that may not sit past the hole */
	for (uint32_t j = (i + 1) & t->mask; t->slots[j].ref; j = (j + 1) & t->mask) {
		uint32_t home = t->slots[j].hash & t->mask;
		/* the entry at j stays when its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].hash = 0;
	t->slots[i].ref = 0;
	t->n--;
	return 0;
}

uint32_t itab_find_next(const struct itab *t, uint32_t hash, uint32_t *cursor)
{
	if (!t->slots)
		return ITAB_NONE;
	uint32_t i = *cursor;
	while (t->slots[i].ref) {
		const struct itab_slot *s = &t->slots[i];
		i = (i + 1) & t->mask;
		if (s->hash == hash) {
			*cursor = i;
			return s->ref - 1;
		}
	}
	*cursor = i;
	return ITAB_NONE;
}

uint32_t itab_find(const struct itab *t, uint32_t hash, uint32_t *cursor)
{
	*cursor = hash & t->mask;
	return itab_find_next(t, hash, cursor);
}
