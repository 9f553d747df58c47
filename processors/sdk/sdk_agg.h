/*
 * processors/sdk/sdk_agg.h: the inside of struct bpass_agg, shared by
 * sdk_agg.c (building and merging) and sdk_agg_io.c (saving, loading,
 * writing). Not installed.
 *
 * A row is ncols int64 cells in table order, all rows in one array:
 *   KEY_STR          the id of the string in strs (interned: one id per string)
 *   KEY_I64          the integer
 *   KEY_MINUTE..DAY  the bucket start in µs
 *   VAL_SUM/MIN/MAX  the running sum (saturating), minimum, maximum
 *   VAL_COUNT        the number of adds
 *   VAL_DISTINCT(_STR) the number of distinct cells, which are kept in dist
 *                    as (row, column, value or string id) triples
 * Rows are found by an open-addressing index on the hash of their key cells;
 * distinct triples by one on the hash of the triple.
 */
#ifndef PROCESSORS_SDK_SDK_AGG_H
#define PROCESSORS_SDK_SDK_AGG_H

#include "sdk_internal.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

#define SDK_AGG_HINTS 8

struct agg_col {
	const char *name;        /* in bpass_agg.names */
	enum bpass_type type;
	uint32_t cell;           /* index of its cell in an add, SDK_NONE for COUNT */
};

struct agg_dist {
	uint32_t row;
	uint32_t col;
	int64_t v;               /* the value, or the string's id in strs */
};

struct bpass_agg {
	char *names;             /* one block: the table name, then the column names */
	const char *table;
	struct agg_col cols[BPASS_AGG_MAX_COLUMNS];
	uint32_t ncols;
	uint32_t ncells;         /* cells per add: the columns that are not COUNT */
	uint32_t nkeys;
	uint8_t keys[BPASS_AGG_MAX_COLUMNS];  /* the key columns */
	int64_t *scratch;        /* ncols cells: a key being looked up */

	int64_t *rows;           /* n_rows * ncols */
	uint32_t n_rows;
	size_t cap_rows;
	struct sdk_hash rindex;  /* key hash -> row */

	struct sdk_strs strs;    /* every string of keys and distinct cells */
	struct sdk_hash sindex;  /* string hash -> id */
	/* Per string column, the ids of recent strings by their address: a hint,
	 * checked before use (see cell_id in sdk_agg.c). */
	uint32_t hint[BPASS_AGG_MAX_COLUMNS][SDK_AGG_HINTS];

	struct agg_dist *dist;
	uint32_t n_dist;
	size_t cap_dist;
	struct sdk_hash dindex;  /* triple hash -> position in dist */
};

static inline bool sdk_agg_is_key(enum bpass_type t)
{
	return t >= BPASS_KEY_STR && t <= BPASS_KEY_DAY;
}

static inline bool sdk_agg_is_distinct(enum bpass_type t)
{
	return t == BPASS_VAL_DISTINCT || t == BPASS_VAL_DISTINCT_STR;
}

/* Why table and cols (ended by a NULL name) do not declare an aggregate,
 * as static text ("a column declared twice"), with *at the index of the
 * column concerned (SIZE_MAX for none); NULL when they do. The one place
 * the rules are: bpass_agg_new and bpass's framework-kept tables use it. */
const char *sdk_agg_check(const char *table, const struct bpass_column *cols, size_t *at);
/* The bucket of a time key column, 0 for other columns. */
enum bpass_bucket sdk_agg_bucket(enum bpass_type t);
/* The name of a column type in the saved form ("str", "i64", "minute", ...). */
const char *sdk_agg_type_name(enum bpass_type t);

/* The id of s[0..len) in a->strs, added when new; SDK_NONE when out of memory. */
uint32_t sdk_agg_intern(struct bpass_agg *a, const char *s, size_t len);
/* The row whose key cells equal those of key[] (ncols cells, only the key
 * columns read), added with empty values when missing; SDK_NONE when out of
 * memory. */
uint32_t sdk_agg_row(struct bpass_agg *a, const int64_t *key);
/* Room for one more row: the cells of row n_rows, to fill (NULL when out of
 * memory); sdk_agg_commit_row then makes it a row (without looking for its key
 * first) and returns its number, or SDK_NONE when out of memory. */
int64_t *sdk_agg_next_row(struct bpass_agg *a);
uint32_t sdk_agg_commit_row(struct bpass_agg *a);
/* Adds (row, col, v) to the distinct cells; 1 when new, 0 when present, -1
 * when out of memory. */
int sdk_agg_distinct_add(struct bpass_agg *a, uint32_t row, uint32_t col, int64_t v);
/* Orders rows i and j of a by key: <0, 0, >0 (strings bytewise). */
int sdk_agg_row_cmp(const struct bpass_agg *a, uint32_t i, uint32_t j);
/* The positions 0..n_rows-1 sorted by key (caller frees); NULL when out of memory. */
uint32_t *sdk_agg_sorted_rows(const struct bpass_agg *a);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
