/*
 * processors/sdk/sdk_agg_io.c: the saved form of an aggregate and its result
 * table (the in-memory side is sdk_agg.c).
 *
 * Saved form, one msgpack array:
 *   [1,                                   format
 *    table,                               its name, a string
 *    [name, type, name, type...],         the columns (types as sdk_agg_type_name)
 *    [[cell, cell...]...]]                the rows, sorted by key
 * with a row's cells in column order: strings for KEY_STR, integers for the
 * other keys (time keys as the bucket start in µs), sums, minima, maxima and
 * counts, and for a distinct column the array of its distinct cells, sorted
 * (integers, or strings bytewise). Being sorted, the form is canonical: equal
 * aggregates save to equal bytes. Loading checks all of it (the table and
 * columns must be the aggregate's own, rows strictly increasing, time keys
 * on bucket starts, counts and distinct sets not empty).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_agg.h"

int sdk_agg_row_cmp(const struct bpass_agg *a, uint32_t i, uint32_t j)
{
	const int64_t *x = a->rows + (size_t)i * a->ncols, *y = a->rows + (size_t)j * a->ncols;
	for (uint32_t c = 0; c < a->ncols; c++) {
		if (!sdk_agg_is_key(a->cols[c].type) || x[c] == y[c])
			continue;
		if (a->cols[c].type == BPASS_KEY_STR)
			return sdk_strs_cmp(&a->strs, (uint32_t)x[c], (uint32_t)y[c]);
		return x[c] < y[c] ? -1 : 1;
	}
	return 0;
}

static int row_cmp(uint32_t i, uint32_t j, const void *ctx)
{
	return sdk_agg_row_cmp(ctx, i, j);
}

uint32_t *sdk_agg_sorted_rows(const struct bpass_agg *a)
{
	uint32_t *perm = malloc(((size_t)a->n_rows + 1) * sizeof(*perm));
	if (!perm)
		return NULL;
	for (uint32_t i = 0; i < a->n_rows; i++)
		perm[i] = i;
	if (sdk_sort_u32(perm, a->n_rows, row_cmp, a)) {
		free(perm);
		return NULL;
	}
	return perm;
}

/* Orders distinct cells by the rank of their row, their column, their value. */
struct dist_order {
	const struct bpass_agg *a;
	const uint32_t *rank;     /* row -> its place in key order */
};

static int dist_cmp(uint32_t i, uint32_t j, const void *ctx)
{
	const struct dist_order *o = ctx;
	const struct agg_dist *x = &o->a->dist[i], *y = &o->a->dist[j];
	if (x->row != y->row)
		return o->rank[x->row] < o->rank[y->row] ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	if (x->v == y->v)
		return 0;
	if (o->a->cols[x->col].type == BPASS_VAL_DISTINCT_STR)
		return sdk_strs_cmp(&o->a->strs, (uint32_t)x->v, (uint32_t)y->v);
	return x->v < y->v ? -1 : 1;
}

static void put_str(struct bpass_writer *w, const struct bpass_agg *a, int64_t id)
{
	const struct sdk_str *e = &a->strs.ents[id];
	w->str(w, a->strs.data + e->off, e->len);
}

int bpass_agg_save(const struct bpass_agg *a, struct bpass_writer *w)
{
	uint32_t *perm = sdk_agg_sorted_rows(a);
	uint32_t *rank = malloc(((size_t)a->n_rows + 1) * sizeof(*rank));
	uint32_t *dist = malloc(((size_t)a->n_dist + 1) * sizeof(*dist));
	int rc = -1;
	if (!perm || !rank || !dist)
		goto out;
	for (uint32_t i = 0; i < a->n_rows; i++)
		rank[perm[i]] = i;
	for (uint32_t i = 0; i < a->n_dist; i++)
		dist[i] = i;
	struct dist_order order = {a, rank};
	if (sdk_sort_u32(dist, a->n_dist, dist_cmp, &order))
		goto out;

	w->array(w, 4);
	w->i64(w, 1);
	w->str(w, a->table, strlen(a->table));
	w->array(w, 2 * a->ncols);
	for (uint32_t c = 0; c < a->ncols; c++) {
		w->str(w, a->cols[c].name, strlen(a->cols[c].name));
		w->str(w, sdk_agg_type_name(a->cols[c].type), strlen(sdk_agg_type_name(a->cols[c].type)));
	}
	w->array(w, a->n_rows);
	uint32_t next = 0;   /* the next distinct cell, in dist order */
	for (uint32_t i = 0; i < a->n_rows; i++) {
		const int64_t *row = a->rows + (size_t)perm[i] * a->ncols;
		w->array(w, a->ncols);
		for (uint32_t c = 0; c < a->ncols; c++) {
			enum bpass_type t = a->cols[c].type;
			if (t == BPASS_KEY_STR) {
				put_str(w, a, row[c]);
			} else if (sdk_agg_is_distinct(t)) {
				/* row[c] cells, the run of this row and column */
				w->array(w, (uint32_t)row[c]);
				for (int64_t k = 0; k < row[c]; k++, next++) {
					if (t == BPASS_VAL_DISTINCT_STR)
						put_str(w, a, a->dist[dist[next]].v);
					else
						w->i64(w, a->dist[dist[next]].v);
				}
			} else {
				w->i64(w, row[c]);
			}
		}
	}
	rc = 0;
out:
	free(perm);
	free(rank);
	free(dist);
	return rc;
}

/* Reads the next string and checks it is want. */
static void expect_str(struct bpass_read *rd, const char *want, const char *why)
{
	size_t len;
	const char *s = bpass_read_str_ref(rd, BPASS_SDK_MAX_STR, &len);
	if (s && (len != strlen(want) || memcmp(s, want, len)))
		bpass_read_fail(rd, why);
}

/* Reads a string and returns its id in a (SDK_NONE on failure). */
static uint32_t read_interned(struct bpass_read *rd, struct bpass_agg *a, bool *oom)
{
	size_t len;
	const char *s = bpass_read_str_ref(rd, BPASS_SDK_MAX_STR, &len);
	if (!s)
		return SDK_NONE;
	uint32_t id = sdk_agg_intern(a, s, len);
	if (id == SDK_NONE)
		*oom = true;
	return id;
}

/* Reads the distinct cells of column c of row r (not committed yet) into a;
 * returns how many. */
static int64_t read_distinct(struct bpass_read *rd, struct bpass_agg *a, uint32_t r, uint32_t c,
			     bool *oom)
{
	bool strs = a->cols[c].type == BPASS_VAL_DISTINCT_STR;
	uint32_t n = bpass_read_array(rd, UINT32_MAX);
	if (!rd->failed && n == 0)
		bpass_read_fail(rd, "an empty distinct set");
	int64_t prev = 0;
	for (uint32_t k = 0; k < n && !rd->failed && !*oom; k++) {
		int64_t v;
		if (strs) {
			uint32_t id = read_interned(rd, a, oom);
			if (id == SDK_NONE)
				break;
			v = id;
			if (k && sdk_strs_cmp(&a->strs, (uint32_t)prev, id) >= 0)
				bpass_read_fail(rd, "distinct cells not strictly increasing");
		} else {
			v = bpass_read_i64(rd);
			if (k && prev >= v)
				bpass_read_fail(rd, "distinct cells not strictly increasing");
		}
		if (rd->failed)
			break;
		/* Strictly increasing, so new: the search inside finds nothing. */
		if (sdk_agg_distinct_add(a, r, c, v) < 0)
			*oom = true;
		prev = v;
	}
	return n;
}

int bpass_agg_load(struct bpass_agg *a, struct bpass_reader *r)
{
	struct bpass_read rd;
	bool oom = false;
	bpass_read_init(&rd, r);
	bpass_agg_clear(a);
	bpass_read_expect_array(&rd, 4);
	bpass_read_i64_range(&rd, 1, 1);
	expect_str(&rd, a->table, "another table");
	bpass_read_expect_array(&rd, 2 * a->ncols);
	for (uint32_t c = 0; c < a->ncols; c++) {
		expect_str(&rd, a->cols[c].name, "another column");
		expect_str(&rd, sdk_agg_type_name(a->cols[c].type), "another column type");
	}
	uint32_t n = bpass_read_array(&rd, UINT32_MAX);
	for (uint32_t i = 0; i < n && !rd.failed && !oom; i++) {
		int64_t *row = sdk_agg_next_row(a);
		if (!row) {
			oom = true;
			break;
		}
		uint32_t ri = a->n_rows;
		bpass_read_expect_array(&rd, a->ncols);
		for (uint32_t c = 0; c < a->ncols && !rd.failed && !oom; c++) {
			enum bpass_type t = a->cols[c].type;
			if (t == BPASS_KEY_STR) {
				row[c] = read_interned(&rd, a, &oom);
			} else if (sdk_agg_is_distinct(t)) {
				row[c] = read_distinct(&rd, a, ri, c, &oom);
			} else if (t == BPASS_VAL_COUNT) {
				row[c] = bpass_read_i64_range(&rd, 1, INT64_MAX);
			} else {
				row[c] = bpass_read_i64(&rd);
				enum bpass_bucket b = sdk_agg_bucket(t);
				if (b && bpass_bucket_us(row[c], b) != row[c])
					bpass_read_fail(&rd, "a time key not on a bucket start");
			}
		}
		if (rd.failed || oom)
			break;
		if (ri > 0 && sdk_agg_row_cmp(a, ri - 1, ri) >= 0)
			bpass_read_fail(&rd, "rows not strictly increasing by key");
		else if (sdk_agg_commit_row(a) == SDK_NONE)
			oom = true;
	}
	if (rd.failed || oom) {
		bpass_agg_clear(a);
		if (oom)
			errno = ENOMEM;
		return oom ? -1 : bpass_read_ok(&rd);
	}
	return 0;
}

int bpass_agg_write(const struct bpass_agg *a, struct bpass_results *res)
{
	const char *names[BPASS_AGG_MAX_COLUMNS + 1];
	for (uint32_t c = 0; c < a->ncols; c++)
		names[c] = a->cols[c].name;
	names[a->ncols] = NULL;
	uint32_t *perm = sdk_agg_sorted_rows(a);
	if (!perm)
		return -1;
	struct bpass_table *tab = res->table(res, a->table, names);
	if (!tab) {
		free(perm);
		return -1;
	}
	for (uint32_t i = 0; i < a->n_rows; i++) {
		const int64_t *row = a->rows + (size_t)perm[i] * a->ncols;
		for (uint32_t c = 0; c < a->ncols; c++) {
			enum bpass_type t = a->cols[c].type;
			if (t == BPASS_KEY_STR)
				res->str(tab, sdk_strs_at(&a->strs, (uint32_t)row[c]));
			else if (sdk_agg_bucket(t))
				res->iso_s(tab, row[c] / BPASS_US_PER_S);
			else
				res->i64(tab, row[c]);
		}
		if (res->row_end(tab)) {
			res->close(tab);
			free(perm);
			return -1;
		}
	}
	free(perm);
	return res->close(tab);
}
