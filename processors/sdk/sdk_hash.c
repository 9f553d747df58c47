/*
 * processors/sdk/sdk_hash.c: the open-addressing index of positions behind
 * the SDK's maps and aggregates (see sdk_internal.h). Unlike the built-ins'
 * itab it reports running out of memory instead of aborting.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"

void sdk_hash_init(struct sdk_hash *h)
{
	h->slots = NULL;
	h->mask = 0;
	h->n = 0;
}

void sdk_hash_release(struct sdk_hash *h)
{
	free(h->slots);
	sdk_hash_init(h);
}

void sdk_hash_clear(struct sdk_hash *h)
{
	if (h->slots)
		memset(h->slots, 0, ((size_t)h->mask + 1) * sizeof(*h->slots));
	h->n = 0;
}

static void put(struct sdk_hash_slot *slots, uint32_t mask, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & mask;
	while (slots[i].ref)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].ref = ref;
}

static int grow(struct sdk_hash *h)
{
	size_t cap = h->slots ? ((size_t)h->mask + 1) * 2 : 16;
	if (cap > (size_t)1 << 31) {
		errno = ENOMEM;
		return -1;
	}
	struct sdk_hash_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	if (h->slots) {
		for (size_t i = 0; i <= h->mask; i++)
			if (h->slots[i].ref)
				put(slots, (uint32_t)(cap - 1), h->slots[i].hash, h->slots[i].ref);
		free(h->slots);
	}
	h->slots = slots;
	h->mask = (uint32_t)(cap - 1);
	return 0;
}

int sdk_hash_insert(struct sdk_hash *h, uint32_t hash, uint32_t pos)
{
	if ((!h->slots || ((uint64_t)h->n + 1) * 2 > (uint64_t)h->mask + 1) && grow(h))
		return -1;
	put(h->slots, h->mask, hash, pos + 1);
	h->n++;
	return 0;
}

/* The slot holding pos under hash, or SDK_NONE. */
static uint32_t slot_of(const struct sdk_hash *h, uint32_t hash, uint32_t pos)
{
	if (!h->slots)
		return SDK_NONE;
	uint32_t i = hash & h->mask;
	while (h->slots[i].ref != pos + 1) {
		if (!h->slots[i].ref)
			return SDK_NONE;
		i = (i + 1) & h->mask;
	}
	return i;
}

int sdk_hash_remove(struct sdk_hash *h, uint32_t hash, uint32_t pos)
{
	uint32_t i = slot_of(h, hash, pos);
	if (i == SDK_NONE)
		return -1;
	/* Shift back every later entry of the run that may not sit past the hole. */
	for (uint32_t j = (i + 1) & h->mask; h->slots[j].ref; j = (j + 1) & h->mask) {
		uint32_t home = h->slots[j].hash & h->mask;
		/* the entry at j stays when its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			h->slots[i] = h->slots[j];
			i = j;
		}
	}
	h->slots[i].hash = 0;
	h->slots[i].ref = 0;
	h->n--;
	return 0;
}

int sdk_hash_move(struct sdk_hash *h, uint32_t hash, uint32_t from, uint32_t to)
{
	uint32_t i = slot_of(h, hash, from);
	if (i == SDK_NONE)
		return -1;
	h->slots[i].ref = to + 1;
	return 0;
}
