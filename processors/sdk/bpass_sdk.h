/*
 * processors/sdk/bpass_sdk.h: the bpass processor SDK, the building blocks a
 * processor needs besides its analysis (docs/sdk.md is the reference with
 * examples; processors/examples/ uses it).
 *
 *   - keyed aggregates (struct bpass_agg): a result table declared as typed
 *     key columns and value columns with an operation each; rows are added
 *     with one call, saved, loaded, merged and written as a result table;
 *   - rows of the tables bpass keeps for a processor (.tables in bpass.h),
 *     added with bpass_add(ctx, table, cell...);
 *   - UTC time buckets (minute, hour, day) of µs or s times;
 *   - a hash map with int64 or string keys and fixed-size values (struct
 *     bpass_map) and a growable vector (struct bpass_vec), both with
 *     save/load;
 *   - strict reading helpers for load callbacks (struct bpass_read): range
 *     checked integers, bounded strings, exact array lengths, one sticky
 *     error checked once at the end.
 *
 * Linking: plugins link the SDK statically (libbpass-sdk.a, from
 * `pkg-config --libs bpass`); the bpass command links the same code for its
 * built-ins. Every SDK symbol has hidden visibility, so a plugin's copy stays
 * private to it and plugins built with different SDK versions can be loaded
 * together.
 *
 * Conventions: functions returning int return 0 on success and -1 on failure
 * with errno set (ENOMEM when out of memory, EINVAL for a misuse or, in the
 * load functions, for input of the wrong shape). Nothing here prints or
 * aborts. Objects are not thread-safe; bpass calls a processor from one
 * thread per process. Load functions treat their input as untrusted: they
 * accept exactly what the matching save function writes and reject anything
 * else, leaving the object empty.
 *
 * Saved data holds integers in msgpack (portable) but bpass_map values and
 * bpass_vec elements as raw bytes in host order: keep those plain data (no
 * pointers) and bump the processor's version when their layout changes.
 */
#ifndef BPASS_SDK_H
#define BPASS_SDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* The SDK's version; grows with every addition to this header. */
#define BPASS_SDK_VERSION 3

/* The longest string a load function accepts (bytes). */
#define BPASS_SDK_MAX_STR (1u << 20)

/* ==== column and key types ==================================================== */

/* enum bpass_type, struct bpass_column and union bpass_cell are in bpass.h
 * (framework-kept tables share them). An aggregate's column is a
 * struct bpass_column; the older name stays. */
#define bpass_agg_column bpass_column

/* ==== time buckets ========================================================== */

#define BPASS_US_PER_S INT64_C(1000000)

/* The width of a UTC time bucket, in seconds (UTC days are 86,400 s: Unix
 * time has no leap seconds). */
enum bpass_bucket {
	BPASS_MINUTE = 60,
	BPASS_HOUR = 3600,
	BPASS_DAY = 86400,
};

/* Seconds to µs, saturating at the int64 limits. */
int64_t bpass_us_from_s(int64_t s);
/*
 * The start of the bucket holding time t, in the unit of t (µs or s): the
 * largest multiple of the bucket width not after t (floor, also before 1970).
 * Times before the first bucket whose start fits in int64 give that bucket.
 */
int64_t bpass_bucket_us(int64_t us, enum bpass_bucket b);
int64_t bpass_bucket_s(int64_t s, enum bpass_bucket b);

static inline int64_t bpass_utc_minute_us(int64_t us) { return bpass_bucket_us(us, BPASS_MINUTE); }
static inline int64_t bpass_utc_hour_us(int64_t us) { return bpass_bucket_us(us, BPASS_HOUR); }
static inline int64_t bpass_utc_day_us(int64_t us) { return bpass_bucket_us(us, BPASS_DAY); }
static inline int64_t bpass_utc_minute_s(int64_t s) { return bpass_bucket_s(s, BPASS_MINUTE); }
static inline int64_t bpass_utc_hour_s(int64_t s) { return bpass_bucket_s(s, BPASS_HOUR); }
static inline int64_t bpass_utc_day_s(int64_t s) { return bpass_bucket_s(s, BPASS_DAY); }

/* ==== strict reading ========================================================= */

/*
 * A reader wrapper for load callbacks with one sticky error: every read
 * checks type and range; after the first failure every later read fails too
 * and returns 0 (or an empty string), so a load reads everything and checks
 * once:
 *
 *	struct bpass_read rd;
 *	bpass_read_init(&rd, r);
 *	bpass_read_expect_array(&rd, 2);
 *	s->port = bpass_read_u16(&rd);
 *	bpass_read_str(&rd, s->name, sizeof(s->name));
 *	return bpass_read_ok(&rd);
 */
struct bpass_read {
	struct bpass_reader *r;  /* borrowed */
	bool failed;             /* sticky */
	const char *error;       /* static text of the first failure, or NULL */
};

void bpass_read_init(struct bpass_read *rd, struct bpass_reader *r);
/* 0, or -1 when any read failed (errno EINVAL). */
int bpass_read_ok(const struct bpass_read *rd);
/* Like bpass_read_ok, and -1 also when values are left unread. */
int bpass_read_end(struct bpass_read *rd);
/* Makes the reader fail with why (static text), e.g. after a check of one's own. */
void bpass_read_fail(struct bpass_read *rd, const char *why);

/* An integer in [min, max]. */
int64_t bpass_read_i64_range(struct bpass_read *rd, int64_t min, int64_t max);
uint64_t bpass_read_u64_max(struct bpass_read *rd, uint64_t max);
int64_t bpass_read_i64(struct bpass_read *rd);
uint64_t bpass_read_u64(struct bpass_read *rd);
int32_t bpass_read_i32(struct bpass_read *rd);
uint32_t bpass_read_u32(struct bpass_read *rd);
uint16_t bpass_read_u16(struct bpass_read *rd);
uint8_t bpass_read_u8(struct bpass_read *rd);
bool bpass_read_bool(struct bpass_read *rd);
double bpass_read_f64(struct bpass_read *rd);
void bpass_read_nil(struct bpass_read *rd);
/* An array of at most max elements; returns its length (the elements follow). */
uint32_t bpass_read_array(struct bpass_read *rd, uint32_t max);
/* An array of exactly n elements. */
void bpass_read_expect_array(struct bpass_read *rd, uint32_t n);
/* A map of at most max pairs; returns its length. */
uint32_t bpass_read_map(struct bpass_read *rd, uint32_t max);
/*
 * A string of fewer than cap bytes without NUL bytes, copied into dst[cap]
 * and NUL-terminated; returns its length. On failure dst holds "" (when
 * cap > 0).
 */
size_t bpass_read_str(struct bpass_read *rd, char *dst, size_t cap);
/* A string of at most max bytes without NUL bytes, borrowed from the reader
 * (valid until the load callback returns; not NUL-terminated). Returns NULL
 * on failure, with *len = 0. */
const char *bpass_read_str_ref(struct bpass_read *rd, size_t max, size_t *len);
/* A binary of exactly n bytes, copied into dst. */
void bpass_read_bin(struct bpass_read *rd, void *dst, size_t n);

/* ==== growable vector ======================================================= */

/*
 * n elements of elem_size bytes in one block. data moves when the vector
 * grows: pointers into it are valid until the next push, reserve or load.
 *
 *	struct bpass_vec v = BPASS_VEC_INIT(struct sample);
 *	struct sample *x = bpass_vec_push(&v);   (NULL when out of memory)
 *	... ((struct sample *)v.data)[i] for i < v.n ...
 *	bpass_vec_release(&v);
 */
struct bpass_vec {
	void *data;        /* NULL while cap is 0 */
	size_t n;          /* elements in use */
	size_t cap;        /* elements allocated */
	size_t elem_size;  /* bytes per element, > 0 */
};

#define BPASS_VEC_INIT(type) {NULL, 0, 0, sizeof(type)}

void bpass_vec_init(struct bpass_vec *v, size_t elem_size);
/* Frees the elements; v is then empty (elem_size is kept). */
void bpass_vec_release(struct bpass_vec *v);
/* n = 0, keeping the allocation. */
void bpass_vec_clear(struct bpass_vec *v);
/* Room for at least n elements in all. */
int bpass_vec_reserve(struct bpass_vec *v, size_t n);
/* Appends a zeroed element and returns it, or NULL when out of memory. */
void *bpass_vec_push(struct bpass_vec *v);
static inline void *bpass_vec_at(const struct bpass_vec *v, size_t i)
{
	return (char *)v->data + i * v->elem_size;
}
/* Saved as [elem_size, bin of n * elem_size bytes]. */
int bpass_vec_save(const struct bpass_vec *v, struct bpass_writer *w);
/* Replaces the elements with the saved ones; the saved element size must be
 * v->elem_size. On failure v is empty. */
int bpass_vec_load(struct bpass_vec *v, struct bpass_reader *r);

/* ==== hash map ============================================================== */

/*
 * A map from int64 or string keys to values of a fixed size, zeroed when an
 * entry is added. Entries also have positions 0..count-1 (insertion order;
 * deleting an entry moves the last one into its position), for iteration:
 *
 *	for (size_t i = 0; i < bpass_map_count(m); i++)
 *		use(bpass_map_key_i64(m, i), bpass_map_value(m, i));
 *
 * Value and key pointers are valid until the next put, del, clear or load on
 * the map. Strings are keys of any bytes but NUL (strn: len bytes).
 */
struct bpass_map;

/* key_type: BPASS_KEY_I64 or BPASS_KEY_STR. Returns NULL when out of memory
 * or for another key type. Free with bpass_map_free (NULL is a no-op). */
struct bpass_map *bpass_map_new(enum bpass_type key_type, size_t value_size);
void bpass_map_free(struct bpass_map *m);
void bpass_map_clear(struct bpass_map *m);
size_t bpass_map_count(const struct bpass_map *m);

/* The value of key, added (zeroed) when missing; NULL when out of memory or
 * when the key is not of the map's type. */
void *bpass_map_put_i64(struct bpass_map *m, int64_t key);
void *bpass_map_put_str(struct bpass_map *m, const char *key);
void *bpass_map_put_strn(struct bpass_map *m, const char *key, size_t len);
/* The value of key, or NULL when absent. */
void *bpass_map_get_i64(const struct bpass_map *m, int64_t key);
void *bpass_map_get_str(const struct bpass_map *m, const char *key);
void *bpass_map_get_strn(const struct bpass_map *m, const char *key, size_t len);
/* Removes key; -1 when absent. */
int bpass_map_del_i64(struct bpass_map *m, int64_t key);
int bpass_map_del_str(struct bpass_map *m, const char *key);
int bpass_map_del_strn(struct bpass_map *m, const char *key, size_t len);

/* Entry i (< count): its key (NUL-terminated for strings) and value. */
int64_t bpass_map_key_i64(const struct bpass_map *m, size_t i);
const char *bpass_map_key_str(const struct bpass_map *m, size_t i);
void *bpass_map_value(const struct bpass_map *m, size_t i);

/* Saved as ["i64" or "str", value_size, [key, value bin, key, value bin...]],
 * entries in position order. */
int bpass_map_save(const struct bpass_map *m, struct bpass_writer *w);
/* Replaces the entries with the saved ones (same positions); the key type
 * and value size must be m's, keys unique. On failure m is empty. */
int bpass_map_load(struct bpass_map *m, struct bpass_reader *r);

/* ==== keyed aggregates ====================================================== */

/*
 * An aggregate is a result table under construction: rows identified by
 * their key columns, each value column combining what was added to the row
 * with its operation. Declare the columns once, in table order:
 *
 *	static const struct bpass_agg_column cols[] = {
 *		{"node_id", BPASS_KEY_STR}, {"day", BPASS_KEY_DAY},
 *		{"bytes", BPASS_VAL_SUM}, {"packets", BPASS_VAL_COUNT}, {NULL, 0}};
 *	struct bpass_agg *a = bpass_agg_new("bytes_per_day", cols);
 *
 * then add rows, one cell per column except COUNT columns, in column order
 * (strings as const char *, everything else as integers; times in µs):
 *
 *	bpass_agg_add(a, key->node_id, p->time_us, p->size);
 *
 * Rows live in one arena with an open-addressing index: adding allocates
 * nothing but amortised growth. Merging is associative and commutative and
 * an empty aggregate is its identity; count-distinct is exact (the distinct
 * cells are kept). Saving writes rows sorted by key, so equal aggregates save
 * to equal bytes whatever the order of their adds and merges.
 */

/* The most columns an aggregate may have. */
#define BPASS_AGG_MAX_COLUMNS 32

struct bpass_agg;

/*
 * A new empty aggregate writing table `table` with the columns cols[],
 * ended by an entry whose name is NULL (both are copied). Column names must
 * be non-empty and distinct. Returns NULL when out of memory or the columns
 * are invalid (EINVAL). Free with bpass_agg_free (NULL is a no-op).
 */
struct bpass_agg *bpass_agg_new(const char *table, const struct bpass_agg_column *cols);
void bpass_agg_free(struct bpass_agg *a);
/* Forgets every row, keeping the allocations. */
void bpass_agg_clear(struct bpass_agg *a);

/*
 * Adds cells[0..n) to the row their keys name (created when missing). n must
 * be the number of columns that are not COUNT; strings must not be NULL.
 * Returns 0, or -1 (EINVAL for the wrong number of cells or a NULL string,
 * ENOMEM); after a failure the row may hold part of the add.
 */
int bpass_agg_add_cells(struct bpass_agg *a, const union bpass_cell *cells, size_t n);

#ifndef __cplusplus
/*
 * bpass_agg_add(a, cell, cell...): bpass_agg_add_cells with the cells given
 * as arguments (at most 16). A char * argument is a string cell, any other
 * argument an integer cell (converted to int64_t).
 */
#define bpass_agg_add(a, ...)                                                      \
	bpass_agg_add_cells((a), (const union bpass_cell[]){BPASS_CELLS_(__VA_ARGS__)}, \
			    BPASS_NARGS_(__VA_ARGS__))
#endif

/* The number of rows, and cell col of row i (< rows) in insertion order:
 * an integer (a COUNT or DISTINCT column gives the count; a time key the
 * bucket start in µs), or the string of a KEY_STR column (NULL for others;
 * valid until the next add, merge or load). */
size_t bpass_agg_rows(const struct bpass_agg *a);
int64_t bpass_agg_i64(const struct bpass_agg *a, size_t i, size_t col);
const char *bpass_agg_str(const struct bpass_agg *a, size_t i, size_t col);

/*
 * Adds every row of src into dst (src is unchanged). Both must have the same
 * table name and columns, and be distinct objects (EINVAL otherwise). On
 * ENOMEM dst holds part of src.
 */
int bpass_agg_merge(struct bpass_agg *dst, const struct bpass_agg *src);

/*
 * Saved as [1, table, [name, type, name, type...], [[cell...]...]] with the
 * rows sorted by key and the distinct cells of each row as a sorted array.
 */
int bpass_agg_save(const struct bpass_agg *a, struct bpass_writer *w);
/* Replaces the rows with the saved ones. The table and columns must be a's,
 * the rows sorted and complete. On failure a is empty. */
int bpass_agg_load(struct bpass_agg *a, struct bpass_reader *r);
/* Writes a as its result table, rows sorted by key; time keys as ISO text. */
int bpass_agg_write(const struct bpass_agg *a, struct bpass_results *res);

/*
 * Callbacks for a processor whose global result is one aggregate, to put
 * straight into the descriptor (global_new stays the processor's own, as it
 * names the columns):
 *	.global_free = bpass_agg_free_cb, .global_save = bpass_agg_save_cb,
 *	.write_results = bpass_agg_write_cb, .global_combine = bpass_agg_combine_cb,
 * and .merge = bpass_agg_merge_cb when the session state is an aggregate too.
 */
void bpass_agg_free_cb(struct bpass_ctx *ctx, void *agg);
int bpass_agg_save_cb(struct bpass_ctx *ctx, const void *agg, struct bpass_writer *w);
int bpass_agg_write_cb(struct bpass_ctx *ctx, const void *agg, struct bpass_results *res);
int bpass_agg_merge_cb(struct bpass_ctx *ctx, void *global, const void *state, const void *eph);
/* .global_combine: adds the rows of one partial aggregate to another. */
int bpass_agg_combine_cb(struct bpass_ctx *ctx, void *into, const void *from);

/* ==== tables kept by bpass ==================================================== */

/*
 * A processor that declares its tables in .tables (bpass.h) leaves their
 * keeping to bpass and only adds rows, in process or session_complete:
 *
 *	static const struct bpass_column cols[] = {
 *		{"node_id", BPASS_KEY_STR}, {"day", BPASS_KEY_DAY},
 *		{"bytes", BPASS_VAL_SUM}, {"packets", BPASS_VAL_COUNT}, {NULL, 0}};
 *	static const struct bpass_table_decl tables[] = {{"bytes_per_day", cols}, {NULL, NULL}};
 *	... .tables = tables, in the descriptor; in process:
 *	if (bpass_add(ctx, 0, ctx->key->node_id, p->time_us, p->size))
 *		return -1;
 *
 * bpass_add(ctx, table, cell, cell...) adds a row to table number `table`
 * (its index in .tables), one cell per column that is not COUNT, as
 * bpass_agg_add takes them (at most 16). bpass_add_cells is the same with
 * an array of cells, for C++ and for a table of COUNT columns only (n = 0).
 * Returns 0, or -1 after bpass has said why (ctx->error): return -1 from the
 * callback. Running under a bpass without tables (older than this header's
 * bpass.h), it fails saying so.
 */
static inline int bpass_add_cells(struct bpass_ctx *ctx, uint32_t table,
				  const union bpass_cell *cells, size_t n)
{
	if (ctx->struct_size < offsetof(struct bpass_ctx, add_row) + sizeof(ctx->add_row) ||
	    !ctx->add_row) {
		ctx->error(ctx, "could not add a row: bpass %s keeps no tables for processors",
			   ctx->bpass_version);
		return -1;
	}
	return ctx->add_row(ctx, table, cells, n);
}

#ifndef __cplusplus
#define bpass_add(ctx, table, ...)                                                        \
	bpass_add_cells((ctx), (table), (const union bpass_cell[]){BPASS_CELLS_(__VA_ARGS__)}, \
			BPASS_NARGS_(__VA_ARGS__))
#endif

/* ---- implementation of bpass_agg_add and bpass_add (not API) ----------------- */

static inline union bpass_cell bpass_cell_str_(const char *s)
{
	union bpass_cell c;
	c.s = s;
	return c;
}

static inline union bpass_cell bpass_cell_i64_(int64_t i)
{
	union bpass_cell c;
	c.i = i;
	return c;
}

#ifndef __cplusplus
#define BPASS_CELL_(x)                                                              \
	_Generic((x), char *: bpass_cell_str_, const char *: bpass_cell_str_,      \
		 default: bpass_cell_i64_)(x)
#define BPASS_NARGS_(...) \
	BPASS_NARGS_N_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define BPASS_NARGS_N_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, \
		       n, ...)                                                          \
	n
#define BPASS_CAT_(a, b) BPASS_CAT2_(a, b)
#define BPASS_CAT2_(a, b) a##b
#define BPASS_CELLS_(...) BPASS_CAT_(BPASS_CELLS_, BPASS_NARGS_(__VA_ARGS__))(__VA_ARGS__)
#define BPASS_CELLS_1(a) BPASS_CELL_(a)
#define BPASS_CELLS_2(a, ...) BPASS_CELL_(a), BPASS_CELLS_1(__VA_ARGS__)
#define BPASS_CELLS_3(a, ...) BPASS_CELL_(a), BPASS_CELLS_2(__VA_ARGS__)
#define BPASS_CELLS_4(a, ...) BPASS_CELL_(a), BPASS_CELLS_3(__VA_ARGS__)
#define BPASS_CELLS_5(a, ...) BPASS_CELL_(a), BPASS_CELLS_4(__VA_ARGS__)
#define BPASS_CELLS_6(a, ...) BPASS_CELL_(a), BPASS_CELLS_5(__VA_ARGS__)
#define BPASS_CELLS_7(a, ...) BPASS_CELL_(a), BPASS_CELLS_6(__VA_ARGS__)
#define BPASS_CELLS_8(a, ...) BPASS_CELL_(a), BPASS_CELLS_7(__VA_ARGS__)
#define BPASS_CELLS_9(a, ...) BPASS_CELL_(a), BPASS_CELLS_8(__VA_ARGS__)
#define BPASS_CELLS_10(a, ...) BPASS_CELL_(a), BPASS_CELLS_9(__VA_ARGS__)
#define BPASS_CELLS_11(a, ...) BPASS_CELL_(a), BPASS_CELLS_10(__VA_ARGS__)
#define BPASS_CELLS_12(a, ...) BPASS_CELL_(a), BPASS_CELLS_11(__VA_ARGS__)
#define BPASS_CELLS_13(a, ...) BPASS_CELL_(a), BPASS_CELLS_12(__VA_ARGS__)
#define BPASS_CELLS_14(a, ...) BPASS_CELL_(a), BPASS_CELLS_13(__VA_ARGS__)
#define BPASS_CELLS_15(a, ...) BPASS_CELL_(a), BPASS_CELLS_14(__VA_ARGS__)
#define BPASS_CELLS_16(a, ...) BPASS_CELL_(a), BPASS_CELLS_15(__VA_ARGS__)
#endif

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* BPASS_SDK_H */
