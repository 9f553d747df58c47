/*
 * processors/sdk/sdk_map.c: the hash map (struct bpass_map): int64 or string
 * keys, values of a fixed size.
 *
 * Entries sit in two parallel arrays by position (keys with their hashes,
 * and values), indexed by an open-addressing hash of positions; string keys
 * live in a string arena and the key of an entry is its string's id. Deleting
 * moves the last entry into the hole, so positions stay dense. Deleted
 * strings stay in the arena until they outweigh the live ones; the arena is
 * then rebuilt.
 *
 * Saved form: ["i64" | "str", value_size, [key, value, key, value...]], the
 * values as binaries of value_size bytes, entries in position order (so a
 * load gives the same positions and saving again gives the same bytes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"

struct map_ent {
	int64_t key;       /* the key, or the id of its string in strs */
	uint32_t hash;
};

struct bpass_map {
	enum bpass_type key_type;
	size_t value_size;
	size_t stride;            /* bytes per value in values, >= 1 */
	struct map_ent *ents;
	char *values;
	uint32_t n;
	size_t cap_ents, cap_values;
	struct sdk_hash index;    /* hash -> position */
	struct sdk_strs strs;     /* string keys */
	size_t dead;              /* arena bytes of deleted string keys */
};

static const char *type_name(enum bpass_type t)
{
	return t == BPASS_KEY_STR ? "str" : "i64";
}

struct bpass_map *bpass_map_new(enum bpass_type key_type, size_t value_size)
{
	if ((key_type != BPASS_KEY_I64 && key_type != BPASS_KEY_STR) || value_size > UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	struct bpass_map *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->key_type = key_type;
	m->value_size = value_size;
	m->stride = value_size ? value_size : 1;
	sdk_hash_init(&m->index);
	sdk_strs_init(&m->strs);
	return m;
}

void bpass_map_free(struct bpass_map *m)
{
	if (!m)
		return;
	free(m->ents);
	free(m->values);
	sdk_hash_release(&m->index);
	sdk_strs_release(&m->strs);
	free(m);
}

void bpass_map_clear(struct bpass_map *m)
{
	m->n = 0;
	m->dead = 0;
	sdk_hash_clear(&m->index);
	sdk_strs_clear(&m->strs);
}

size_t bpass_map_count(const struct bpass_map *m)
{
	return m->n;
}

static uint32_t hash_i64(int64_t key)
{
	return (uint32_t)sdk_mix64((uint64_t)key);
}

/* The position of the key (i64, or s[0..len) when s is not NULL), or SDK_NONE. */
static uint32_t find(const struct bpass_map *m, int64_t key, const char *s, size_t len,
		     uint32_t hash)
{
	uint32_t cur;
	for (uint32_t i = sdk_hash_find(&m->index, hash, &cur); i != SDK_NONE;
	     i = sdk_hash_next(&m->index, hash, &cur)) {
		if (!s) {
			if (m->ents[i].key == key)
				return i;
			continue;
		}
		const struct sdk_str *e = &m->strs.ents[m->ents[i].key];
		if (e->len == len && !memcmp(m->strs.data + e->off, s, len))
			return i;
	}
	return SDK_NONE;
}

static void *put(struct bpass_map *m, int64_t key, const char *s, size_t len)
{
	if ((s != NULL) != (m->key_type == BPASS_KEY_STR)) {
		errno = EINVAL;
		return NULL;
	}
	uint32_t hash = s ? sdk_hash_bytes(s, len) : hash_i64(key);
	uint32_t i = find(m, key, s, len, hash);
	if (i != SDK_NONE)
		return m->values + (size_t)i * m->stride;
	if (m->n == SDK_NONE - 1) {
		errno = ENOMEM;
		return NULL;
	}
	struct map_ent *ents = sdk_grow(m->ents, &m->cap_ents, (size_t)m->n + 1, sizeof(*ents));
	if (!ents)
		return NULL;
	m->ents = ents;
	char *values = sdk_grow(m->values, &m->cap_values, (size_t)m->n + 1, m->stride);
	if (!values)
		return NULL;
	m->values = values;
	if (s) {
		uint32_t id = sdk_strs_add(&m->strs, s, len, hash);
		if (id == SDK_NONE)
			return NULL;
		key = id;
	}
	if (sdk_hash_insert(&m->index, hash, m->n))
		return NULL;  /* the string, if any, stays as dead weight */
	m->ents[m->n] = (struct map_ent){key, hash};
	char *v = m->values + (size_t)m->n * m->stride;
	memset(v, 0, m->stride);
	m->n++;
	return v;
}

static void *get(const struct bpass_map *m, int64_t key, const char *s, size_t len)
{
	if ((s != NULL) != (m->key_type == BPASS_KEY_STR))
		return NULL;
	uint32_t i = find(m, key, s, len, s ? sdk_hash_bytes(s, len) : hash_i64(key));
	return i == SDK_NONE ? NULL : m->values + (size_t)i * m->stride;
}

/* Rebuilds the string arena with the live keys only (no change when out of memory). */
static void compact(struct bpass_map *m)
{
	struct sdk_strs fresh;
	sdk_strs_init(&fresh);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct sdk_str *e = &m->strs.ents[m->ents[i].key];
		if (sdk_strs_add(&fresh, m->strs.data + e->off, e->len, e->hash) == SDK_NONE) {
			sdk_strs_release(&fresh);
			return;
		}
	}
	for (uint32_t i = 0; i < m->n; i++)
		m->ents[i].key = i;
	sdk_strs_release(&m->strs);
	m->strs = fresh;
	m->dead = 0;
}

static int del(struct bpass_map *m, int64_t key, const char *s, size_t len)
{
	if ((s != NULL) != (m->key_type == BPASS_KEY_STR)) {
		errno = EINVAL;
		return -1;
	}
	uint32_t hash = s ? sdk_hash_bytes(s, len) : hash_i64(key);
	uint32_t i = find(m, key, s, len, hash);
	if (i == SDK_NONE) {
		errno = ENOENT;
		return -1;
	}
	sdk_hash_remove(&m->index, hash, i);
	uint32_t last = m->n - 1;
	if (i != last) {
		sdk_hash_move(&m->index, m->ents[last].hash, last, i);
		m->ents[i] = m->ents[last];
		memcpy(m->values + (size_t)i * m->stride, m->values + (size_t)last * m->stride,
		       m->stride);
	}
	m->n--;
	if (s) {
		m->dead += len + 1;
		if (m->dead > 4096 && m->dead > m->strs.len / 2)
			compact(m);
	}
	return 0;
}

void *bpass_map_put_i64(struct bpass_map *m, int64_t key)
{
	return put(m, key, NULL, 0);
}

void *bpass_map_put_strn(struct bpass_map *m, const char *key, size_t len)
{
	if (!key) {
		errno = EINVAL;
		return NULL;
	}
	return put(m, 0, key, len);
}

void *bpass_map_put_str(struct bpass_map *m, const char *key)
{
	return bpass_map_put_strn(m, key, key ? strlen(key) : 0);
}

void *bpass_map_get_i64(const struct bpass_map *m, int64_t key)
{
	return get(m, key, NULL, 0);
}

void *bpass_map_get_strn(const struct bpass_map *m, const char *key, size_t len)
{
	return key ? get(m, 0, key, len) : NULL;
}

void *bpass_map_get_str(const struct bpass_map *m, const char *key)
{
	return key ? get(m, 0, key, strlen(key)) : NULL;
}

int bpass_map_del_i64(struct bpass_map *m, int64_t key)
{
	return del(m, key, NULL, 0);
}

int bpass_map_del_strn(struct bpass_map *m, const char *key, size_t len)
{
	if (!key) {
		errno = EINVAL;
		return -1;
	}
	return del(m, 0, key, len);
}

int bpass_map_del_str(struct bpass_map *m, const char *key)
{
	return bpass_map_del_strn(m, key, key ? strlen(key) : 0);
}

int64_t bpass_map_key_i64(const struct bpass_map *m, size_t i)
{
	return m->ents[i].key;
}

const char *bpass_map_key_str(const struct bpass_map *m, size_t i)
{
	if (m->key_type != BPASS_KEY_STR)
		return NULL;
	return sdk_strs_at(&m->strs, (uint32_t)m->ents[i].key);
}

void *bpass_map_value(const struct bpass_map *m, size_t i)
{
	return m->values + i * m->stride;
}

int bpass_map_save(const struct bpass_map *m, struct bpass_writer *w)
{
	w->array(w, 3);
	w->str(w, type_name(m->key_type), 3);
	w->u64(w, m->value_size);
	w->array(w, 2 * m->n);   /* n < 2^31: the index holds at most 2^31 slots at load 1/2 */
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->key_type == BPASS_KEY_STR) {
			const struct sdk_str *e = &m->strs.ents[m->ents[i].key];
			w->str(w, m->strs.data + e->off, e->len);
		} else {
			w->i64(w, m->ents[i].key);
		}
		w->bin(w, m->values + (size_t)i * m->stride, m->value_size);
	}
	return 0;
}

int bpass_map_load(struct bpass_map *m, struct bpass_reader *r)
{
	struct bpass_read rd;
	char type[4];
	bpass_read_init(&rd, r);
	bpass_map_clear(m);
	bpass_read_expect_array(&rd, 3);
	bpass_read_str(&rd, type, sizeof(type));
	if (!rd.failed && strcmp(type, type_name(m->key_type)))
		bpass_read_fail(&rd, "another key type");
	if (bpass_read_u64(&rd) != m->value_size && !rd.failed)
		bpass_read_fail(&rd, "another value size");
	uint32_t n = bpass_read_array(&rd, UINT32_MAX);
	if (n % 2)
		bpass_read_fail(&rd, "a key without a value");
	for (uint32_t i = 0; i < n / 2 && !rd.failed; i++) {
		int64_t key = 0;
		const char *s = NULL;
		size_t len = 0;
		if (m->key_type == BPASS_KEY_STR)
			s = bpass_read_str_ref(&rd, BPASS_SDK_MAX_STR, &len);
		else
			key = bpass_read_i64(&rd);
		if (rd.failed)
			break;
		uint32_t before = m->n;
		void *v = put(m, key, s, len);
		if (!v) {
			bpass_map_clear(m);
			return -1;
		}
		if (m->n == before)
			bpass_read_fail(&rd, "a repeated key");
		bpass_read_bin(&rd, v, m->value_size);
	}
	if (rd.failed) {
		bpass_map_clear(m);
		return bpass_read_ok(&rd);
	}
	return 0;
}
