/*
 * tests/unit/test_sdk_agg.c: keyed aggregates of the SDK (bpass_agg in
 * processors/sdk/bpass_sdk.h) on data worked out by hand: every operation,
 * time keys bucketed to UTC days, hours and minutes, rows written sorted by
 * key, merge associative and commutative with the empty aggregate as
 * identity (compared as saved bytes), the saved form itself, save -> load ->
 * save byte for byte, and load rejecting truncated, mutated and misshapen
 * input. Saving and loading go through the real state writer and reader,
 * tables through the real results writer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "sdk_test.h"

/* 2012-05-15T00:00:00Z and the next day, in µs. */
#define D0 INT64_C(1337040000000000)
#define D1 (D0 + 86400 * BPASS_US_PER_S)
#define S(x) ((x) * BPASS_US_PER_S)

static const struct bpass_agg_column every_op[] = {
	{"node", BPASS_KEY_STR},      {"day", BPASS_KEY_DAY},
	{"proto", BPASS_KEY_I64},     {"bytes", BPASS_VAL_SUM},
	{"smallest", BPASS_VAL_MIN},  {"largest", BPASS_VAL_MAX},
	{"packets", BPASS_VAL_COUNT}, {"flows", BPASS_VAL_DISTINCT},
	{"domains", BPASS_VAL_DISTINCT_STR}, {NULL, 0},
};

static struct bpass_agg *new_every_op(void)
{
	struct bpass_agg *a = bpass_agg_new("sdk_every_op", every_op);
	assert_non_null(a);
	return a;
}

/* One add of every_op: size goes to sum, min and max. */
static int add(struct bpass_agg *a, const char *node, int64_t t, int proto, int64_t size,
	       int flow, const char *domain)
{
	return bpass_agg_add(a, node, t, proto, size, size, size, flow, domain);
}

/* The six adds of the worked example; rows (sorted):
 *   n0 2012-05-16 6:  one add of -5 (flow 10, c.com)
 *   n1 2012-05-15 6:  adds 1, 2, 3, 6: bytes 100+300+50+1 = 451, min 1,
 *                     max 300, 4 packets, flows {10, 11, 12}, domains {a.com, b.com}
 *   n1 2012-05-16 17: one add of 70 */
static void add_example(struct bpass_agg *a)
{
	assert_int_equal(add(a, "n1", D0 + S(5), 6, 100, 10, "a.com"), 0);
	assert_int_equal(add(a, "n1", D0 + S(80000), 6, 300, 11, "b.com"), 0);
	assert_int_equal(add(a, "n1", D0 + S(10), 6, 50, 10, "a.com"), 0);
	assert_int_equal(add(a, "n1", D1 + 1, 17, 70, 12, "a.com"), 0);
	assert_int_equal(add(a, "n0", D1 + 2, 6, -5, 10, "c.com"), 0);
	assert_int_equal(add(a, "n1", D0, 6, 1, 12, "b.com"), 0);
}

static const char example_csv[] =
	"node,day,proto,bytes,smallest,largest,packets,flows,domains\n"
	"n0,2012-05-16T00:00:00Z,6,-5,-5,-5,1,1,1\n"
	"n1,2012-05-15T00:00:00Z,6,451,1,300,4,3,2\n"
	"n1,2012-05-16T00:00:00Z,17,70,70,70,1,1,1\n";

static char *csv_of(const struct bpass_agg *a)
{
	assert_int_equal(bpass_agg_write(a, st_results()), 0);
	return st_csv("sdk_every_op");
}

static struct saved save(const struct bpass_agg *a)
{
	assert_int_equal(bpass_agg_save(a, st_writer()), 0);
	return st_saved();
}

static int load(struct bpass_agg *a, struct saved s)
{
	return bpass_agg_load(a, st_reader(s.data, s.len));
}

/* Every operation on the worked example, as the written table. */
static void test_every_op(void **unused)
{
	(void)unused;
	struct bpass_agg *a = new_every_op();
	add_example(a);
	assert_int_equal(bpass_agg_rows(a), 3);
	/* Rows in insertion order through the accessors. */
	assert_string_equal(bpass_agg_str(a, 0, 0), "n1");
	assert_int_equal(bpass_agg_i64(a, 0, 1), D0);
	assert_int_equal(bpass_agg_i64(a, 0, 3), 451);
	assert_int_equal(bpass_agg_i64(a, 0, 8), 2);
	assert_null(bpass_agg_str(a, 0, 1));
	assert_null(bpass_agg_str(a, 3, 0));
	char *csv = csv_of(a);
	assert_string_equal(csv, example_csv);
	free(csv);
	bpass_agg_free(a);
}

/* The saved form, worked out by hand from sdk_agg_io.c's description. */
static void test_saved_form(void **unused)
{
	(void)unused;
	struct bpass_agg *a = new_every_op();
	add_example(a);
	struct saved s = save(a);
	char *text = st_text(s.data, s.len);
	assert_string_equal(text,
			    "[1, \"sdk_every_op\", [\"node\", \"str\", \"day\", \"day\", \"proto\", "
			    "\"i64\", \"bytes\", \"sum\", \"smallest\", \"min\", \"largest\", \"max\", "
			    "\"packets\", \"count\", \"flows\", \"distinct\", \"domains\", "
			    "\"distinct_str\"], ["
			    "[\"n0\", 1337126400000000, 6, -5, -5, -5, 1, [10], [\"c.com\"]], "
			    "[\"n1\", 1337040000000000, 6, 451, 1, 300, 4, [10, 11, 12], "
			    "[\"a.com\", \"b.com\"]], "
			    "[\"n1\", 1337126400000000, 17, 70, 70, 70, 1, [12], [\"a.com\"]]]]\n");
	free(text);
	free(s.data);
	bpass_agg_free(a);
}

/* save -> load -> save gives the same bytes and the same table. */
static void test_round_trip(void **unused)
{
	(void)unused;
	struct bpass_agg *a = new_every_op(), *b = new_every_op();
	add_example(a);
	struct saved s = save(a);
	/* Load into an aggregate that holds other rows: they are replaced. */
	assert_int_equal(add(b, "zz", 0, 1, 1, 1, "x"), 0);
	assert_int_equal(load(b, s), 0);
	struct saved s2 = save(b);
	st_assert_same(s, s2);
	char *csv = csv_of(b);
	assert_string_equal(csv, example_csv);
	free(csv);
	/* A loaded aggregate goes on counting where it stopped. */
	assert_int_equal(add(b, "n0", D1, 6, 5, 10, "d.com"), 0);
	assert_int_equal(bpass_agg_rows(b), 3);
	csv = csv_of(b);
	assert_non_null(strstr(csv, "\nn0,2012-05-16T00:00:00Z,6,0,-5,5,2,1,2\n"));
	free(csv);
	/* The empty aggregate too. */
	bpass_agg_clear(b);
	struct saved e = save(b);
	assert_int_equal(load(a, e), 0);
	assert_int_equal(bpass_agg_rows(a), 0);
	char *text = st_text(e.data, e.len);
	assert_non_null(strstr(text, "], []]\n"));
	free(text);
	free(e.data);
	free(s.data);
	free(s2.data);
	bpass_agg_free(a);
	bpass_agg_free(b);
}

/* Three aggregates with overlapping rows and distinct cells. */
static void fill_three(struct bpass_agg *x, struct bpass_agg *y, struct bpass_agg *z)
{
	assert_int_equal(add(x, "n1", D0, 6, 10, 1, "a"), 0);
	assert_int_equal(add(x, "n2", D0, 6, 20, 2, "b"), 0);
	assert_int_equal(add(y, "n1", D0 + 5, 6, -7, 1, "c"), 0);
	assert_int_equal(add(y, "n1", D1, 17, 3, 3, "a"), 0);
	assert_int_equal(add(z, "n2", D0 + 9, 6, 99, 4, "b"), 0);
	assert_int_equal(add(z, "n1", D0, 6, 5, 5, "a"), 0);
	assert_int_equal(add(z, "n3", D1, 1, INT64_MAX, 5, "e"), 0);
	assert_int_equal(add(z, "n3", D1, 1, 1, 5, "e"), 0);  /* the sum saturates */
}

/* (x + y) + z, x + (y + z), (z + x) + y and y + (z + x) save to the same
 * bytes and the table worked out by hand; the empty aggregate changes
 * nothing on either side. */
static void test_merge_laws(void **unused)
{
	(void)unused;
	struct bpass_agg *x = new_every_op(), *y = new_every_op(), *z = new_every_op();
	fill_three(x, y, z);

	struct bpass_agg *xy_z = new_every_op();
	assert_int_equal(bpass_agg_merge(xy_z, x), 0);
	assert_int_equal(bpass_agg_merge(xy_z, y), 0);
	assert_int_equal(bpass_agg_merge(xy_z, z), 0);

	struct bpass_agg *yz = new_every_op(), *x_yz = new_every_op();
	assert_int_equal(bpass_agg_merge(yz, y), 0);
	assert_int_equal(bpass_agg_merge(yz, z), 0);
	assert_int_equal(bpass_agg_merge(x_yz, x), 0);
	assert_int_equal(bpass_agg_merge(x_yz, yz), 0);

	struct bpass_agg *zx = new_every_op(), *zx_y = new_every_op(), *y_zx = new_every_op();
	assert_int_equal(bpass_agg_merge(zx, z), 0);
	assert_int_equal(bpass_agg_merge(zx, x), 0);
	assert_int_equal(bpass_agg_merge(zx_y, zx), 0);
	assert_int_equal(bpass_agg_merge(zx_y, y), 0);
	assert_int_equal(bpass_agg_merge(y_zx, y), 0);
	assert_int_equal(bpass_agg_merge(y_zx, zx), 0);

	struct saved s1 = save(xy_z), s2 = save(x_yz), s3 = save(zx_y), s4 = save(y_zx);
	st_assert_same(s1, s2);
	st_assert_same(s1, s3);
	st_assert_same(s1, s4);

	/* n1 D0 6: 10 + -7 + 5 = 8, min -7, max 10, 3 adds, flows {1, 5}, domains {a, c}
	 * n1 D1 17: 3; n2 D0 6: 20 + 99, flows {2, 4}, domains {b}
	 * n3 D1 1: INT64_MAX + 1 saturates at INT64_MAX. */
	char *csv = csv_of(xy_z);
	assert_string_equal(csv, "node,day,proto,bytes,smallest,largest,packets,flows,domains\n"
				 "n1,2012-05-15T00:00:00Z,6,8,-7,10,3,2,2\n"
				 "n1,2012-05-16T00:00:00Z,17,3,3,3,1,1,1\n"
				 "n2,2012-05-15T00:00:00Z,6,119,20,99,2,2,1\n"
				 "n3,2012-05-16T00:00:00Z,1,9223372036854775807,1,"
				 "9223372036854775807,2,1,1\n");
	free(csv);

	/* Identity: empty + x and x + empty save like x. */
	struct bpass_agg *e = new_every_op(), *ex = new_every_op();
	struct saved sx = save(x);
	assert_int_equal(bpass_agg_merge(ex, e), 0);
	assert_int_equal(bpass_agg_merge(ex, x), 0);
	assert_int_equal(bpass_agg_merge(x, e), 0);
	struct saved sex = save(ex), sxe = save(x);
	st_assert_same(sx, sex);
	st_assert_same(sx, sxe);

	/* Merging does not change the source. */
	struct saved sy = save(y), sy2;
	assert_int_equal(bpass_agg_merge(ex, y), 0);
	sy2 = save(y);
	st_assert_same(sy, sy2);

	/* Another shape, or itself, is refused. */
	static const struct bpass_agg_column other[] = {{"node", BPASS_KEY_STR}, {NULL, 0}};
	struct bpass_agg *o = bpass_agg_new("sdk_every_op", other);
	errno = 0;
	assert_int_equal(bpass_agg_merge(x, o), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(bpass_agg_merge(x, x), -1);
	bpass_agg_free(o);

	struct saved all[] = {s1, s2, s3, s4, sx, sex, sxe, sy, sy2};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i].data);
	struct bpass_agg *aggs[] = {x, y, z, xy_z, yz, x_yz, zx, zx_y, y_zx, e, ex};
	for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		bpass_agg_free(aggs[i]);
}

/* Rows come out sorted by their keys in column order: strings bytewise
 * (upper case before lower case, a prefix first), integers and times
 * numerically (negative first), whatever order they were added in. */
static void test_sorted(void **unused)
{
	(void)unused;
	static const struct bpass_agg_column cols[] = {
		{"name", BPASS_KEY_STR}, {"n", BPASS_KEY_I64}, {"hour", BPASS_KEY_HOUR},
		{"minute", BPASS_KEY_MINUTE}, {"rows", BPASS_VAL_COUNT}, {NULL, 0},
	};
	struct bpass_agg *a = bpass_agg_new("sdk_sorted", cols);
	assert_non_null(a);
	/* hour and minute keys of -1 µs: 1969-12-31T23:00 and 23:59 */
	const struct {
		const char *name;
		int64_t n, t;
	} adds[] = {
		{"b", 2, 0},   {"ab", 1, 0},   {"a", 10, 0},  {"a", -3, S(3600) + 5},
		{"B", 0, 0},   {"a", -3, -1},  {"a", -3, 0},  {"b", 2, 0},
		{"", 7, 0},    {"a", 10, S(59)},
	};
	for (int i = (int)(sizeof(adds) / sizeof(adds[0])) - 1; i >= 0; i--)
		assert_int_equal(bpass_agg_add(a, adds[i].name, adds[i].n, adds[i].t, adds[i].t), 0);
	assert_int_equal(bpass_agg_write(a, st_results()), 0);
	char *csv = st_csv("sdk_sorted");
	assert_string_equal(csv, "name,n,hour,minute,rows\n"
				 ",7,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1\n"
				 "B,0,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1\n"
				 "a,-3,1969-12-31T23:00:00Z,1969-12-31T23:59:00Z,1\n"
				 "a,-3,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1\n"
				 "a,-3,1970-01-01T01:00:00Z,1970-01-01T01:00:00Z,1\n"
				 "a,10,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,2\n"
				 "ab,1,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,1\n"
				 "b,2,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,2\n");
	free(csv);
	bpass_agg_free(a);
}

/* Many rows (the index and arenas grow), added twice in two orders. */
static void test_many_rows(void **unused)
{
	(void)unused;
	static const struct bpass_agg_column cols[] = {
		{"k", BPASS_KEY_I64}, {"s", BPASS_KEY_STR}, {"sum", BPASS_VAL_SUM},
		{"d", BPASS_VAL_DISTINCT}, {NULL, 0},
	};
	struct bpass_agg *a = bpass_agg_new("sdk_many", cols), *b = bpass_agg_new("sdk_many", cols);
	char name[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "s%d", i % 7);
		assert_int_equal(bpass_agg_add(a, i % 5000, name, i, i % 3), 0);
		int j = 19999 - i;
		snprintf(name, sizeof(name), "s%d", j % 7);
		assert_int_equal(bpass_agg_add(b, j % 5000, name, j, j % 3), 0);
	}
	/* Each k = i mod 5000 comes from i = k, k + 5000, k + 10000, k + 15000,
	 * whose i mod 7 all differ (5000 mod 7 = 2): 20,000 rows. Both orders
	 * make the same aggregate. */
	assert_int_equal(bpass_agg_rows(a), 20000);
	assert_int_equal(bpass_agg_rows(b), 20000);
	struct saved sa = save(a), sb = save(b);
	st_assert_same(sa, sb);
	int64_t total = 0;
	for (size_t i = 0; i < bpass_agg_rows(a); i++)
		total += bpass_agg_i64(a, i, 2);
	assert_int_equal(total, (int64_t)19999 * 20000 / 2);
	free(sa.data);
	free(sb.data);
	bpass_agg_free(a);
	bpass_agg_free(b);
}

/* Declaration and add errors. */
static void test_misuse(void **unused)
{
	(void)unused;
	static const struct bpass_agg_column dup[] = {
		{"a", BPASS_KEY_STR}, {"a", BPASS_VAL_SUM}, {NULL, 0}};
	static const struct bpass_agg_column empty_name[] = {{"", BPASS_KEY_STR}, {NULL, 0}};
	static const struct bpass_agg_column bad_type[] = {{"a", 0}, {NULL, 0}};
	static const struct bpass_agg_column none[] = {{NULL, 0}};
	errno = 0;
	assert_null(bpass_agg_new("t", dup));
	assert_int_equal(errno, EINVAL);
	assert_null(bpass_agg_new("t", empty_name));
	assert_null(bpass_agg_new("t", bad_type));
	assert_null(bpass_agg_new("t", none));
	assert_null(bpass_agg_new("", every_op));
	assert_null(bpass_agg_new(NULL, every_op));
	struct bpass_agg_column many[BPASS_AGG_MAX_COLUMNS + 2];
	char names[BPASS_AGG_MAX_COLUMNS + 1][16];
	for (int i = 0; i <= BPASS_AGG_MAX_COLUMNS; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		many[i] = (struct bpass_agg_column){names[i], BPASS_VAL_COUNT};
	}
	many[BPASS_AGG_MAX_COLUMNS + 1] = (struct bpass_agg_column){NULL, 0};
	assert_null(bpass_agg_new("t", many));
	many[BPASS_AGG_MAX_COLUMNS] = (struct bpass_agg_column){NULL, 0};
	struct bpass_agg *full = bpass_agg_new("t", many);
	assert_non_null(full);
	/* Only COUNT columns: an add has no cells. */
	assert_int_equal(bpass_agg_add_cells(full, NULL, 0), 0);
	assert_int_equal(bpass_agg_i64(full, 0, BPASS_AGG_MAX_COLUMNS - 1), 1);
	bpass_agg_free(full);

	struct bpass_agg *a = new_every_op();
	errno = 0;
	assert_int_equal(bpass_agg_add(a, "n", 0, 6, 1, 1, 1, 1), -1);   /* a cell short */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(bpass_agg_add(a, "n", 0, 6, 1, 1, 1, 1, "d", 9), -1);
	const char *null = NULL;
	assert_int_equal(bpass_agg_add(a, null, 0, 6, 1, 1, 1, 1, "d"), -1);
	assert_int_equal(bpass_agg_rows(a), 0);
	/* Cells of any integer type, and strings from arrays and literals. */
	char node[8] = "n";
	uint16_t size = 65535;
	bool flag = true;
	assert_int_equal(bpass_agg_add(a, node, (int32_t)-1, (uint8_t)6, size, size, flag, 'x',
				       "d"),
			 0);
	assert_int_equal(bpass_agg_i64(a, 0, 1), -86400 * BPASS_US_PER_S);
	assert_int_equal(bpass_agg_i64(a, 0, 3), 65535);
	assert_int_equal(bpass_agg_i64(a, 0, 5), 1);
	assert_int_equal(bpass_agg_i64(a, 0, 7), 1);
	bpass_agg_free(a);
	bpass_agg_free(NULL);
}

/* ---- loading what is not a saved aggregate ---- */

/* what: the case, for the failure message. */
static void expect_rejected(struct saved s, const char *what, int n)
{
	struct bpass_agg *a = new_every_op();
	add_example(a);
	errno = 0;
	if (load(a, s) != -1)
		fail_msg("%s %d was accepted", what, n);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(bpass_agg_rows(a), 0);   /* left empty */
	bpass_agg_free(a);
}

/* Every proper prefix of a saved aggregate is rejected. */
static void test_load_truncated(void **unused)
{
	(void)unused;
	struct bpass_agg *a = new_every_op();
	add_example(a);
	struct saved s = save(a);
	for (size_t n = 0; n < s.len; n++)
		expect_rejected((struct saved){s.data, n}, "prefix of length", (int)n);
	free(s.data);
	bpass_agg_free(a);
}

/* A saved form written by hand through a writer, with one thing changed
 * (enum mutation); M_NONE writes the example as bpass_agg_save would. */
enum mutation {
	M_NONE, M_FORMAT, M_TABLE, M_COLUMN_NAME, M_COLUMN_TYPE, M_FEWER_COLUMNS,
	M_ROW_ORDER, M_DUPLICATE_ROW, M_SHORT_ROW, M_LONG_ROW, M_KEY_TYPE, M_VALUE_TYPE,
	M_COUNT_ZERO, M_DAY_UNALIGNED, M_DISTINCT_EMPTY, M_DISTINCT_UNSORTED,
	M_DISTINCT_REPEATED, M_DISTINCT_STR_UNSORTED, M_DISTINCT_TYPE, M_NUL_IN_KEY,
	M_NOT_ARRAY, M_LONG_TOP, M_ROWS_NOT_ARRAY, M_MUTATIONS
};

static void put_s(struct bpass_writer *w, const char *s)
{
	w->str(w, s, strlen(s));
}

static struct saved hand_saved(enum mutation m)
{
	struct bpass_writer *w = st_writer();
	if (m == M_NOT_ARRAY) {
		w->map(w, 0);
		return st_saved();
	}
	w->array(w, m == M_LONG_TOP ? 5 : 4);
	w->i64(w, m == M_FORMAT ? 2 : 1);
	put_s(w, m == M_TABLE ? "sdk_every_opx" : "sdk_every_op");
	w->array(w, m == M_FEWER_COLUMNS ? 16 : 18);
	for (int c = 0; every_op[c].name; c++) {
		if (m == M_FEWER_COLUMNS && c == 8)
			break;
		put_s(w, m == M_COLUMN_NAME && c == 3 ? "byte" : every_op[c].name);
		static const char *const types[] = {"str", "day", "i64", "sum", "min", "max",
						    "count", "distinct", "distinct_str"};
		put_s(w, m == M_COLUMN_TYPE && c == 4 ? "max" : types[c]);
	}
	if (m == M_ROWS_NOT_ARRAY) {
		w->i64(w, 3);
		goto out;
	}
	w->array(w, m == M_DUPLICATE_ROW ? 4 : 3);
	/* ["n0", D1, 6, -5, -5, -5, 1, [10], ["c.com"]] */
	if (m == M_ROW_ORDER)
		goto second;
first:
	w->array(w, m == M_SHORT_ROW ? 8 : m == M_LONG_ROW ? 10 : 9);
	if (m == M_KEY_TYPE)
		w->i64(w, 0);
	else if (m == M_NUL_IN_KEY)
		w->str(w, "n\0", 2);
	else
		put_s(w, "n0");
	w->i64(w, m == M_DAY_UNALIGNED ? D1 + 1 : D1);
	w->i64(w, 6);
	if (m == M_VALUE_TYPE)
		put_s(w, "-5");
	else
		w->i64(w, -5);
	w->i64(w, -5);
	w->i64(w, -5);
	w->i64(w, m == M_COUNT_ZERO ? 0 : 1);
	if (m == M_DISTINCT_EMPTY) {
		w->array(w, 0);
	} else if (m == M_DISTINCT_TYPE) {
		w->array(w, 1);
		put_s(w, "10");
	} else {
		w->array(w, 1);
		w->i64(w, 10);
	}
	if (m != M_SHORT_ROW) {
		w->array(w, 1);
		put_s(w, "c.com");
	}
	if (m == M_LONG_ROW)
		w->i64(w, 0);
	if (m == M_ROW_ORDER)
		goto third;
	if (m == M_DUPLICATE_ROW) {
		m = M_NONE;
		goto first;
	}
second:
	/* ["n1", D0, 6, 451, 1, 300, 4, [10, 11, 12], ["a.com", "b.com"]] */
	w->array(w, 9);
	put_s(w, "n1");
	w->i64(w, D0);
	w->i64(w, 6);
	w->i64(w, 451);
	w->i64(w, 1);
	w->i64(w, 300);
	w->i64(w, 4);
	w->array(w, 3);
	w->i64(w, 10);
	w->i64(w, m == M_DISTINCT_UNSORTED ? 13 : 11);
	w->i64(w, m == M_DISTINCT_REPEATED ? 11 : 12);
	w->array(w, 2);
	put_s(w, m == M_DISTINCT_STR_UNSORTED ? "b.com" : "a.com");
	put_s(w, m == M_DISTINCT_STR_UNSORTED ? "a.com" : "b.com");
	if (m == M_ROW_ORDER)
		goto first;
third:
	/* ["n1", D1, 17, 70, 70, 70, 1, [12], ["a.com"]] */
	w->array(w, 9);
	put_s(w, "n1");
	w->i64(w, D1);
	w->i64(w, 17);
	w->i64(w, 70);
	w->i64(w, 70);
	w->i64(w, 70);
	w->i64(w, 1);
	w->array(w, 1);
	w->i64(w, 12);
	w->array(w, 1);
	put_s(w, "a.com");
out:
	if (m == M_LONG_TOP)
		w->nil(w);
	return st_saved();
}

/* The hand-written form is the saved form; each mutation of it is rejected. */
static void test_load_mutated(void **unused)
{
	(void)unused;
	struct bpass_agg *a = new_every_op();
	add_example(a);
	struct saved want = save(a), got = hand_saved(M_NONE);
	st_assert_same(want, got);
	struct bpass_agg *b = new_every_op();
	assert_int_equal(load(b, got), 0);
	char *csv = csv_of(b);
	assert_string_equal(csv, example_csv);
	free(csv);
	for (int m = M_NONE + 1; m < M_MUTATIONS; m++) {
		struct saved s = hand_saved((enum mutation)m);
		expect_rejected(s, "mutation", m);
		free(s.data);
	}
	free(want.data);
	free(got.data);
	bpass_agg_free(a);
	bpass_agg_free(b);
}

/* Any one byte of a saved aggregate changed: the load either refuses it or
 * gives an aggregate that saves in canonical form again (never a crash). */
static void test_load_byte_flips(void **unused)
{
	(void)unused;
	struct bpass_agg *a = new_every_op(), *b = new_every_op();
	add_example(a);
	struct saved s = save(a);
	unsigned accepted = 0;
	for (size_t i = 0; i < s.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			s.data[i] ^= (char)(1 << bit);
			if (load(b, s) == 0) {
				accepted++;
				struct saved again = save(b);
				assert_int_equal(load(b, again), 0);
				struct saved twice = save(b);
				st_assert_same(again, twice);
				free(again.data);
				free(twice.data);
			} else {
				assert_int_equal(bpass_agg_rows(b), 0);
			}
			s.data[i] ^= (char)(1 << bit);
		}
	}
	/* 309 of 1792 when this was written: flips inside integers */
	assert_true(accepted < 8 * s.len / 2);
	free(s.data);
	bpass_agg_free(a);
	bpass_agg_free(b);
}

/* The descriptor callbacks are the functions they wrap. */
static void test_callbacks(void **unused)
{
	(void)unused;
	struct bpass_agg *a = new_every_op(), *g = new_every_op();
	add_example(a);
	assert_int_equal(bpass_agg_merge_cb(NULL, g, a, NULL), 0);
	assert_int_equal(bpass_agg_save_cb(NULL, g, st_writer()), 0);
	struct saved s = st_saved(), s2 = save(a);
	st_assert_same(s, s2);
	assert_int_equal(bpass_agg_write_cb(NULL, g, st_results()), 0);
	char *csv = st_csv("sdk_every_op");
	assert_string_equal(csv, example_csv);
	free(csv);
	free(s.data);
	free(s2.data);
	/* Combining a partial into an empty one gives the partial. */
	struct bpass_agg *c = new_every_op();
	assert_int_equal(bpass_agg_combine_cb(NULL, c, a), 0);
	assert_int_equal(bpass_agg_write_cb(NULL, c, st_results()), 0);
	csv = st_csv("sdk_every_op");
	assert_string_equal(csv, example_csv);
	free(csv);
	bpass_agg_free_cb(NULL, c);
	bpass_agg_free_cb(NULL, a);
	bpass_agg_free_cb(NULL, g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op),
		cmocka_unit_test(test_saved_form),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_merge_laws),
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_load_truncated),
		cmocka_unit_test(test_load_mutated),
		cmocka_unit_test(test_load_byte_flips),
		cmocka_unit_test(test_callbacks),
	};
	return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
