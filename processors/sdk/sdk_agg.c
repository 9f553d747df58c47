/*
 * processors/sdk/sdk_agg.c: keyed aggregates in memory (struct bpass_agg,
 * laid out in sdk_agg.h): declaring the columns, adding rows, merging, and
 * the descriptor callbacks. Saving, loading and writing are in sdk_agg_io.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_agg.h"

static const char *const type_names[] = {
	[BPASS_KEY_STR] = "str",        [BPASS_KEY_I64] = "i64",
	[BPASS_KEY_MINUTE] = "minute",  [BPASS_KEY_HOUR] = "hour",
	[BPASS_KEY_DAY] = "day",        [BPASS_VAL_SUM] = "sum",
	[BPASS_VAL_MIN] = "min",        [BPASS_VAL_MAX] = "max",
	[BPASS_VAL_COUNT] = "count",    [BPASS_VAL_DISTINCT] = "distinct",
	[BPASS_VAL_DISTINCT_STR] = "distinct_str",
};

const char *sdk_agg_type_name(enum bpass_type t)
{
	return type_names[t];
}

enum bpass_bucket sdk_agg_bucket(enum bpass_type t)
{
	switch (t) {
	case BPASS_KEY_MINUTE:
		return BPASS_MINUTE;
	case BPASS_KEY_HOUR:
		return BPASS_HOUR;
	case BPASS_KEY_DAY:
		return BPASS_DAY;
	default:
		return 0;
	}
}

/* Copies s with its NUL to p; returns the byte after it. */
static char *copy(char *p, const char *s)
{
	size_t n = strlen(s) + 1;
	memcpy(p, s, n);
	return p + n;
}

const char *sdk_agg_check(const char *table, const struct bpass_column *cols, size_t *at)
{
	size_t n = 0;
	*at = SIZE_MAX;
	if (!table || !*table)
		return "no table name";
	for (; cols && cols[n].name; n++) {
		*at = n;
		if (n == BPASS_AGG_MAX_COLUMNS)
			return "more than 32 columns";
		if (!*cols[n].name)
			return "a column without a name";
		if (cols[n].type < BPASS_KEY_STR || cols[n].type > BPASS_VAL_DISTINCT_STR)
			return "a column of an unknown type";
		for (size_t j = 0; j < n; j++)
			if (!strcmp(cols[j].name, cols[n].name))
				return "a column declared twice";
	}
	*at = SIZE_MAX;
	return n ? NULL : "no columns";
}

struct bpass_agg *bpass_agg_new(const char *table, const struct bpass_agg_column *cols)
{
	size_t n = 0, at;
	if (sdk_agg_check(table, cols, &at)) {
		errno = EINVAL;
		return NULL;
	}
	size_t bytes = strlen(table) + 1;
	for (; cols[n].name; n++)
		bytes += strlen(cols[n].name) + 1;
	struct bpass_agg *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->names = malloc(bytes);
	a->scratch = malloc(n * sizeof(*a->scratch));
	if (!a->names || !a->scratch) {
		bpass_agg_free(a);
		return NULL;
	}
	char *p = a->names;
	a->table = p;
	p = copy(p, table);
	for (size_t i = 0; i < n; i++) {
		a->cols[i].name = p;
		p = copy(p, cols[i].name);
		a->cols[i].type = cols[i].type;
		a->cols[i].cell = cols[i].type == BPASS_VAL_COUNT ? SDK_NONE : a->ncells++;
		if (sdk_agg_is_key(cols[i].type))
			a->keys[a->nkeys++] = (uint8_t)i;
	}
	a->ncols = (uint32_t)n;
	sdk_hash_init(&a->rindex);
	sdk_hash_init(&a->sindex);
	sdk_hash_init(&a->dindex);
	sdk_strs_init(&a->strs);
	return a;
}

void bpass_agg_free(struct bpass_agg *a)
{
	if (!a)
		return;
	free(a->names);
	free(a->scratch);
	free(a->rows);
	free(a->dist);
	sdk_hash_release(&a->rindex);
	sdk_hash_release(&a->sindex);
	sdk_hash_release(&a->dindex);
	sdk_strs_release(&a->strs);
	free(a);
}

void bpass_agg_clear(struct bpass_agg *a)
{
	a->n_rows = 0;
	a->n_dist = 0;
	sdk_hash_clear(&a->rindex);
	sdk_hash_clear(&a->sindex);
	sdk_hash_clear(&a->dindex);
	sdk_strs_clear(&a->strs);
}

uint32_t sdk_agg_intern(struct bpass_agg *a, const char *s, size_t len)
{
	uint32_t hash = sdk_hash_bytes(s, len), cur;
	for (uint32_t id = sdk_hash_find(&a->sindex, hash, &cur); id != SDK_NONE;
	     id = sdk_hash_next(&a->sindex, hash, &cur)) {
		const struct sdk_str *e = &a->strs.ents[id];
		if (e->len == len && !memcmp(a->strs.data + e->off, s, len))
			return id;
	}
	uint32_t id = sdk_strs_add(&a->strs, s, len, hash);
	if (id == SDK_NONE || sdk_hash_insert(&a->sindex, hash, id))
		return SDK_NONE;
	return id;
}

static uint32_t key_hash(const struct bpass_agg *a, const int64_t *cells)
{
	uint64_t h = 0;
	for (uint32_t k = 0; k < a->nkeys; k++) {
		h = (h ^ (uint64_t)cells[a->keys[k]]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (uint32_t)sdk_mix64(h);
}

static bool same_key(const struct bpass_agg *a, const int64_t *x, const int64_t *y)
{
	for (uint32_t k = 0; k < a->nkeys; k++)
		if (x[a->keys[k]] != y[a->keys[k]])
			return false;
	return true;
}

int64_t *sdk_agg_next_row(struct bpass_agg *a)
{
	if (a->n_rows == SDK_NONE - 1) {
		errno = ENOMEM;
		return NULL;
	}
	int64_t *rows = sdk_grow(a->rows, &a->cap_rows, (size_t)a->n_rows + 1,
				 a->ncols * sizeof(*rows));
	if (!rows)
		return NULL;
	a->rows = rows;
	return rows + (size_t)a->n_rows * a->ncols;
}

uint32_t sdk_agg_commit_row(struct bpass_agg *a)
{
	const int64_t *cells = a->rows + (size_t)a->n_rows * a->ncols;
	if (sdk_hash_insert(&a->rindex, key_hash(a, cells), a->n_rows))
		return SDK_NONE;
	return a->n_rows++;
}

uint32_t sdk_agg_row(struct bpass_agg *a, const int64_t *key)
{
	uint32_t hash = key_hash(a, key), cur;
	for (uint32_t r = sdk_hash_find(&a->rindex, hash, &cur); r != SDK_NONE;
	     r = sdk_hash_next(&a->rindex, hash, &cur))
		if (same_key(a, a->rows + (size_t)r * a->ncols, key))
			return r;
	int64_t *cells = sdk_agg_next_row(a);
	if (!cells)
		return SDK_NONE;
	for (uint32_t c = 0; c < a->ncols; c++) {
		switch (a->cols[c].type) {
		case BPASS_VAL_MIN:
			cells[c] = INT64_MAX;   /* the identities of the operations */
			break;
		case BPASS_VAL_MAX:
			cells[c] = INT64_MIN;
			break;
		default:
			cells[c] = sdk_agg_is_key(a->cols[c].type) ? key[c] : 0;
		}
	}
	return sdk_agg_commit_row(a);
}

static uint32_t dist_hash(uint32_t row, uint32_t col, int64_t v)
{
	return (uint32_t)sdk_combine(sdk_combine(row, col), (uint64_t)v);
}

int sdk_agg_distinct_add(struct bpass_agg *a, uint32_t row, uint32_t col, int64_t v)
{
	uint32_t hash = dist_hash(row, col, v), cur;
	for (uint32_t i = sdk_hash_find(&a->dindex, hash, &cur); i != SDK_NONE;
	     i = sdk_hash_next(&a->dindex, hash, &cur))
		if (a->dist[i].row == row && a->dist[i].col == col && a->dist[i].v == v)
			return 0;
	if (a->n_dist == SDK_NONE - 1) {
		errno = ENOMEM;
		return -1;
	}
	struct agg_dist *dist = sdk_grow(a->dist, &a->cap_dist, (size_t)a->n_dist + 1,
					 sizeof(*dist));
	if (!dist)
		return -1;
	a->dist = dist;
	if (sdk_hash_insert(&a->dindex, hash, a->n_dist))
		return -1;
	a->dist[a->n_dist++] = (struct agg_dist){row, col, v};
	return 1;
}

/* The id of the string cell s of column c, SDK_NONE when out of memory.
 * A column's strings repeat and often come from the same address (the
 * session's node id, names from a constant table), so the id last seen at
 * an address like s's is tried first; a string compare confirms it, which
 * costs less than hashing s. */
static uint32_t cell_id(struct bpass_agg *a, uint32_t c, const char *s)
{
	uint64_t at = (uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ULL;
	uint32_t *hint = &a->hint[c][at >> 61];   /* SDK_AGG_HINTS is 8 */
	if (*hint < a->strs.n && !strcmp(s, sdk_strs_at(&a->strs, *hint)))
		return *hint;
	*hint = sdk_agg_intern(a, s, strlen(s));
	return *hint;
}

int bpass_agg_add_cells(struct bpass_agg *a, const union bpass_cell *cells, size_t n)
{
	if (n != a->ncells)
		goto invalid;
	int64_t *key = a->scratch;
	for (uint32_t k = 0; k < a->nkeys; k++) {
		uint32_t c = a->keys[k];
		const struct agg_col *col = &a->cols[c];
		const union bpass_cell *cell = &cells[col->cell];   /* keys have cells */
		if (col->type == BPASS_KEY_STR) {
			if (!cell->s)
				goto invalid;
			uint32_t id = cell_id(a, c, cell->s);
			if (id == SDK_NONE)
				return -1;
			key[c] = id;
		} else if (col->type == BPASS_KEY_I64) {
			key[c] = cell->i;
		} else {
			key[c] = bpass_bucket_us(cell->i, sdk_agg_bucket(col->type));
		}
	}
	uint32_t r = sdk_agg_row(a, key);
	if (r == SDK_NONE)
		return -1;
	int64_t *row = a->rows + (size_t)r * a->ncols;
	for (uint32_t c = 0; c < a->ncols; c++) {
		const struct agg_col *col = &a->cols[c];
		const union bpass_cell *cell = col->cell == SDK_NONE ? NULL : &cells[col->cell];
		int64_t v;
		switch (col->type) {
		case BPASS_VAL_SUM:
			row[c] = sdk_sat_add(row[c], cell->i);
			break;
		case BPASS_VAL_MIN:
			if (cell->i < row[c])
				row[c] = cell->i;
			break;
		case BPASS_VAL_MAX:
			if (cell->i > row[c])
				row[c] = cell->i;
			break;
		case BPASS_VAL_COUNT:
			row[c] = sdk_sat_add(row[c], 1);
			break;
		case BPASS_VAL_DISTINCT:
		case BPASS_VAL_DISTINCT_STR:
			if (col->type == BPASS_VAL_DISTINCT_STR) {
				if (!cell->s)
					goto invalid;
				uint32_t id = cell_id(a, c, cell->s);
				if (id == SDK_NONE)
					return -1;
				v = id;
			} else {
				v = cell->i;
			}
			switch (sdk_agg_distinct_add(a, r, c, v)) {
			case -1:
				return -1;
			case 1:
				row[c]++;
			}
			break;
		default:
			break;   /* a key */
		}
	}
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

size_t bpass_agg_rows(const struct bpass_agg *a)
{
	return a->n_rows;
}

int64_t bpass_agg_i64(const struct bpass_agg *a, size_t i, size_t col)
{
	if (i >= a->n_rows || col >= a->ncols || a->cols[col].type == BPASS_KEY_STR)
		return 0;
	return a->rows[i * a->ncols + col];
}

const char *bpass_agg_str(const struct bpass_agg *a, size_t i, size_t col)
{
	if (i >= a->n_rows || col >= a->ncols || a->cols[col].type != BPASS_KEY_STR)
		return NULL;
	return sdk_strs_at(&a->strs, (uint32_t)a->rows[i * a->ncols + col]);
}

static bool same_columns(const struct bpass_agg *a, const struct bpass_agg *b)
{
	if (strcmp(a->table, b->table) || a->ncols != b->ncols)
		return false;
	for (uint32_t c = 0; c < a->ncols; c++)
		if (a->cols[c].type != b->cols[c].type || strcmp(a->cols[c].name, b->cols[c].name))
			return false;
	return true;
}

int bpass_agg_merge(struct bpass_agg *dst, const struct bpass_agg *src)
{
	if (dst == src || !same_columns(dst, src)) {
		errno = EINVAL;
		return -1;
	}
	if (!src->n_rows)
		return 0;
	uint32_t *map = malloc(src->n_rows * sizeof(*map));  /* src row -> dst row */
	if (!map)
		return -1;
	int rc = -1;
	int64_t *key = dst->scratch;
	for (uint32_t r = 0; r < src->n_rows; r++) {
		const int64_t *s = src->rows + (size_t)r * src->ncols;
		for (uint32_t c = 0; c < src->ncols; c++) {
			if (src->cols[c].type == BPASS_KEY_STR) {
				const struct sdk_str *e = &src->strs.ents[s[c]];
				uint32_t id = sdk_agg_intern(dst, src->strs.data + e->off, e->len);
				if (id == SDK_NONE)
					goto out;
				key[c] = id;
			} else {
				key[c] = s[c];
			}
		}
		uint32_t dr = sdk_agg_row(dst, key);
		if (dr == SDK_NONE)
			goto out;
		map[r] = dr;
		int64_t *d = dst->rows + (size_t)dr * dst->ncols;
		for (uint32_t c = 0; c < src->ncols; c++) {
			switch (src->cols[c].type) {
			case BPASS_VAL_SUM:
			case BPASS_VAL_COUNT:
				d[c] = sdk_sat_add(d[c], s[c]);
				break;
			case BPASS_VAL_MIN:
				if (s[c] < d[c])
					d[c] = s[c];
				break;
			case BPASS_VAL_MAX:
				if (s[c] > d[c])
					d[c] = s[c];
				break;
			default:
				break;   /* keys; distinct cells below */
			}
		}
	}
	for (uint32_t i = 0; i < src->n_dist; i++) {
		const struct agg_dist *e = &src->dist[i];
		int64_t v = e->v;
		if (src->cols[e->col].type == BPASS_VAL_DISTINCT_STR) {
			const struct sdk_str *str = &src->strs.ents[v];
			uint32_t id = sdk_agg_intern(dst, src->strs.data + str->off, str->len);
			if (id == SDK_NONE)
				goto out;
			v = id;
		}
		int added = sdk_agg_distinct_add(dst, map[e->row], e->col, v);
		if (added < 0)
			goto out;
		dst->rows[(size_t)map[e->row] * dst->ncols + e->col] += added;
	}
	rc = 0;
out:
	free(map);
	return rc;
}

void bpass_agg_free_cb(struct bpass_ctx *ctx, void *agg)
{
	(void)ctx;
	bpass_agg_free(agg);
}

int bpass_agg_save_cb(struct bpass_ctx *ctx, const void *agg, struct bpass_writer *w)
{
	(void)ctx;
	return bpass_agg_save(agg, w);
}

int bpass_agg_write_cb(struct bpass_ctx *ctx, const void *agg, struct bpass_results *res)
{
	(void)ctx;
	return bpass_agg_write(agg, res);
}

int bpass_agg_merge_cb(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	(void)ctx;
	(void)eph;
	return bpass_agg_merge(global, state);
}

int bpass_agg_combine_cb(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	return bpass_agg_merge(into, from);
}
