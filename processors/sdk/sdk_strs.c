/*
 * processors/sdk/sdk_strs.c: the string arena of the SDK's maps and
 * aggregates (see sdk_internal.h): every string is copied once into one
 * growing block, NUL-terminated, and named by a dense id, so keys are
 * integers and adding a string allocates nothing but amortised growth.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"

void sdk_strs_init(struct sdk_strs *s)
{
	memset(s, 0, sizeof(*s));
}

void sdk_strs_release(struct sdk_strs *s)
{
	free(s->data);
	free(s->ents);
	sdk_strs_init(s);
}

void sdk_strs_clear(struct sdk_strs *s)
{
	s->len = 0;
	s->n = 0;
}

uint32_t sdk_strs_add(struct sdk_strs *s, const char *p, size_t len, uint32_t hash)
{
	if (len >= UINT32_MAX || s->n == SDK_NONE - 1) {
		errno = ENOMEM;
		return SDK_NONE;
	}
	char *data = sdk_grow(s->data, &s->cap, s->len + len + 1, 1);
	if (!data)
		return SDK_NONE;
	s->data = data;
	struct sdk_str *ents = sdk_grow(s->ents, &s->cap_ents, (size_t)s->n + 1, sizeof(*ents));
	if (!ents)
		return SDK_NONE;
	s->ents = ents;
	memcpy(s->data + s->len, p, len);
	s->data[s->len + len] = 0;
	s->ents[s->n] = (struct sdk_str){s->len, (uint32_t)len, hash};
	s->len += len + 1;
	return s->n++;
}

int sdk_strs_cmp(const struct sdk_strs *s, uint32_t a, uint32_t b)
{
	const struct sdk_str *x = &s->ents[a], *y = &s->ents[b];
	uint32_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(s->data + x->off, s->data + y->off, n);
	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}
