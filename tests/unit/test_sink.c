/*
 * tests/unit/test_sink.c: what the database sinks (harness/sink.h) build
 * on: the column types a results table records (.NAME.types, written by the
 * real results writer) and their mapping to SQLite and PostgreSQL types;
 * the staged JSON Lines read back (common/jsonl.h: escapes, nulls, bytes
 * outside ASCII, refusals); the key columns found from sorted rows; the
 * kind of destination an --out names; the provenance's manifest.json and
 * its rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpass.h"
#include "jsonl.h"
#include "provenance.h"
#include "results.h"
#include "sink.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/bpass-sink.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_type_mapping(void **state)
{
	(void)state;
	const struct {
		uint8_t kinds;
		enum sink_type type;
		const char *sqlite, *pg;
	} cases[] = {
		{0, SINK_TEXT, "TEXT", "text"},
		{RESULTS_KIND_I64, SINK_INTEGER, "INTEGER", "bigint"},
		{RESULTS_KIND_I64 | RESULTS_KIND_U64_BIG, SINK_NUMERIC, "TEXT", "numeric"},
		{RESULTS_KIND_U64_BIG, SINK_NUMERIC, "TEXT", "numeric"},
		{RESULTS_KIND_F64, SINK_REAL, "REAL", "double precision"},
		{RESULTS_KIND_F64 | RESULTS_KIND_I64, SINK_REAL, "REAL", "double precision"},
		{RESULTS_KIND_ISO_US, SINK_TIME, "TEXT", "timestamptz"},
		{RESULTS_KIND_ISO_S, SINK_TIME, "TEXT", "timestamptz"},
		{RESULTS_KIND_ISO_S | RESULTS_KIND_ISO_US, SINK_TIME, "TEXT", "timestamptz"},
		{RESULTS_KIND_STR, SINK_TEXT, "TEXT", "text"},
		{RESULTS_KIND_STR | RESULTS_KIND_I64, SINK_TEXT, "TEXT", "text"},
		{RESULTS_KIND_ISO_S | RESULTS_KIND_I64, SINK_TEXT, "TEXT", "text"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sink_type t = sink_type_of(cases[i].kinds);
		assert_int_equal(t, cases[i].type);
		assert_string_equal(sink_type_sqlite(t), cases[i].sqlite);
		assert_string_equal(sink_type_pg(t), cases[i].pg);
	}
	/* The letters of .NAME.types, both ways. */
	struct buf b;
	buf_init(&b);
	results_kinds_format(&b, 0);
	results_kinds_format(&b, RESULTS_KIND_I64 | RESULTS_KIND_ISO_S);
	assert_string_equal(b.data, "-iT");
	uint8_t k;
	assert_int_equal(results_kinds_parse("iT", 2, &k), 0);
	assert_int_equal(k, RESULTS_KIND_I64 | RESULTS_KIND_ISO_S);
	assert_int_equal(results_kinds_parse("-", 1, &k), 0);
	assert_int_equal(k, 0);
	assert_int_equal(results_kinds_parse("ix", 2, &k), -1);
	assert_int_equal(results_kinds_parse("", 0, &k), -1);
	buf_release(&b);
}

/* A table written by the real results writer, as JSON Lines, read back as
 * the database sinks read it. */
static void test_written_and_read_back(void **state)
{
	(void)state;
	struct results res;
	assert_int_equal(results_init(&res, dir, true), 0);
	struct bpass_results *r = &res.r;
	const char *cols[] = {"node", "n", "big", "x", "when", "day", "mixed", "empty", NULL};
	struct bpass_table *t = r->table(r, "t", cols);
	assert_non_null(t);
	r->str(t, "a\"b\\c\n\t\x01\xe9");
	r->i64(t, -5);
	r->u64(t, UINT64_MAX);
	r->f64(t, 0.5);
	r->iso_us(t, 1337104800512345);
	r->iso_s(t, 1337104800);
	r->i64(t, 1);
	r->null(t);
	assert_int_equal(r->row_end(t), 0);
	r->str(t, "");
	r->null(t);
	r->u64(t, 7);
	r->i64(t, 2);
	r->null(t);
	r->iso_s(t, 0);
	r->str(t, "z");
	r->null(t);
	assert_int_equal(r->row_end(t), 0);
	assert_int_equal(r->close(t), 0);
	results_release(&res);

	struct sink_table st;
	assert_int_equal(sink_table_open(&st, dir, "t"), 0);
	assert_int_equal(st.n_columns, 8);
	const enum sink_type want[] = {SINK_TEXT, SINK_INTEGER, SINK_NUMERIC, SINK_REAL,
				       SINK_TIME, SINK_TIME, SINK_TEXT, SINK_TEXT};
	for (uint32_t i = 0; i < 8; i++) {
		assert_string_equal(st.columns[i], cols[i]);
		assert_int_equal(st.types[i], want[i]);
	}
	struct sink_cell c[8];
	assert_int_equal(sink_table_next(&st, c), 1);
	assert_int_equal(c[0].len, 9);
	assert_memory_equal(c[0].value, "a\"b\\c\n\t\x01\xe9", 9);
	assert_string_equal(c[1].value, "-5");
	assert_string_equal(c[2].value, "18446744073709551615");
	assert_string_equal(c[3].value, "0.5");
	assert_string_equal(c[4].value, "2012-05-15T18:00:00.512345Z");
	assert_string_equal(c[5].value, "2012-05-15T18:00:00Z");
	assert_string_equal(c[6].value, "1");
	assert_null(c[7].value);
	assert_int_equal(sink_table_next(&st, c), 1);
	assert_non_null(c[0].value);           /* an empty string is not a null */
	assert_int_equal(c[0].len, 0);
	assert_null(c[1].value);
	assert_string_equal(c[6].value, "z");
	assert_int_equal(sink_table_next(&st, c), 0);
	sink_table_close(&st);

	/* A table without its types is refused. */
	assert_int_equal(sink_table_open(&st, dir, "missing"), -1);
	sink_table_close(&st);
}

static void test_jsonl(void **state)
{
	(void)state;
	struct buf scratch;
	buf_init(&scratch);
	struct jsonl_member m[4];
	uint32_t n;
	const char *err;
	const char *line = "{\"a\": \"x\\u00e9\\u20ac\\ud83d\\ude00\\/\", \"b\":-1.5e3,\"c\":null,"
			   "\"d\":true}\n";
	assert_int_equal(jsonl_parse(line, strlen(line), &scratch, m, 4, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(m[0].key, "a");
	assert_string_equal(m[0].value, "x\xe9\xe2\x82\xac\xf0\x9f\x98\x80/");
	assert_int_equal(m[0].kind, JSONL_STRING);
	assert_string_equal(m[1].value, "-1.5e3");
	assert_int_equal(m[1].kind, JSONL_NUMBER);
	assert_int_equal(m[2].kind, JSONL_NULL);
	assert_int_equal(m[3].kind, JSONL_BOOL);
	assert_string_equal(m[3].value, "true");
	assert_int_equal(jsonl_parse("{}", 2, &scratch, m, 4, &n, &err), 0);
	assert_int_equal(n, 0);

	const char *bad[] = {
		"[1]", "{\"a\":[1]}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":\"\\q\"}",
		"{\"a\":\"\\ud800\"}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}", "{\"a\" 1}",
		"{\"a\":\"x}", "{\"a\":nul}", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		assert_int_equal(jsonl_parse(bad[i], strlen(bad[i]), &scratch, m, 4, &n, &err), -1);
		assert_non_null(err);
	}
	buf_release(&scratch);
}

static uint32_t key_of(const char *const *rows, uint32_t n_rows, uint32_t n_cols)
{
	struct sink_key k;
	sink_key_init(&k, n_cols);
	struct sink_cell c[4];
	for (uint32_t r = 0; r < n_rows; r++) {
		for (uint32_t i = 0; i < n_cols; i++) {
			const char *v = rows[r * n_cols + i];
			c[i].value = v;
			c[i].len = v ? strlen(v) : 0;
		}
		sink_key_row(&k, c);
	}
	uint32_t len = sink_key_len(&k);
	sink_key_release(&k);
	return len;
}

static void test_key(void **state)
{
	(void)state;
	/* node, minute, bytes: (node, minute) tells the rows apart. */
	const char *throughput[] = {"a", "1", "10", "a", "2", "10", "b", "1", "5"};
	assert_int_equal(key_of(throughput, 3, 3), 2);
	/* One column is enough. */
	const char *per_node[] = {"a", "10", "b", "10"};
	assert_int_equal(key_of(per_node, 2, 2), 1);
	/* A single row: its first column. */
	assert_int_equal(key_of(per_node, 1, 2), 1);
	/* No rows, no key. */
	assert_int_equal(key_of(per_node, 0, 2), 0);
	/* Two equal rows: no key at all. */
	const char *twice[] = {"a", "1", "a", "1"};
	assert_int_equal(key_of(twice, 2, 2), 0);
	/* A null in the key columns: none (a null is not a key). */
	const char *nulls[] = {"global", NULL, "1", "node", "a", "2", "node", "b", "3"};
	assert_int_equal(key_of(nulls, 3, 3), 0);
	/* A null after the key columns does not matter. */
	const char *late[] = {"a", "1", NULL, "b", "1", "2"};
	assert_int_equal(key_of(late, 2, 3), 1);
	/* Values that differ only in length are different. */
	const char *len[] = {"ab", "1", "abc", "1"};
	assert_int_equal(key_of(len, 2, 2), 1);
}

static void test_kind_of(void **state)
{
	(void)state;
	assert_int_equal(sink_kind_of("results"), SINK_FOLDER);
	assert_int_equal(sink_kind_of("/x/y.csv"), SINK_FOLDER);
	assert_int_equal(sink_kind_of("r.sqlite"), SINK_SQLITE);
	assert_int_equal(sink_kind_of("/a/r.sqlite3"), SINK_SQLITE);
	assert_int_equal(sink_kind_of("r.db"), SINK_SQLITE);
	assert_int_equal(sink_kind_of("postgresql://u@h/db"), SINK_POSTGRES);
	assert_int_equal(sink_kind_of("postgres:///db?host=/s"), SINK_POSTGRES);
	assert_true(sink_is_database("r.sqlite"));
	assert_false(sink_is_database("out"));
	assert_string_equal(sink_stage_base("out", "fallback"), "out");
	assert_string_equal(sink_stage_base("r.sqlite", "fallback"), "fallback");
}

static int count_row(void *arg, const char *item, const char *name, const char *attribute,
		     const char *value)
{
	struct buf *b = arg;
	buf_printf(b, "%s|%s|%s|%s\n", item, name, attribute,
		   value ? (strlen(value) > 20 ? "..." : value) : "NULL");
	return 0;
}

static void test_provenance(void **state)
{
	(void)state;
	char *argv[] = {"bpass", "run", "i\"dx", "st"};
	struct provenance p;
	provenance_init(&p, argv, 4);
	free(p.written_iso);
	p.written_iso = xstrdup("2026-12-02T16:00:00Z");
	free(p.host);
	p.host = xstrdup("h");
	provenance_add_table(&p, "sessions", NULL, false);
	provenance_add_table(&p, "t", "x", true);
	struct buf j;
	buf_init(&j);
	provenance_json(&p, &j);
	assert_string_equal(j.data,
			    "{\n"
			    "  \"bpass_version\": \"" BPASS_VERSION_STRING "\",\n"
			    "  \"written_iso\": \"2026-12-02T16:00:00Z\",\n"
			    "  \"host\": \"h\",\n"
			    "  \"command_line\": [\"bpass\", \"run\", \"i\\\"dx\", \"st\"],\n"
			    "  \"index\": null,\n"
			    "  \"processors\": [],\n"
			    "  \"plugins\": [],\n"
			    "  \"tables\": [\n"
			    "    {\"name\": \"sessions\", \"processor\": \"bpass\"}\n"
			    "  ],\n"
			    "  \"kept_tables\": [\n"
			    "    {\"name\": \"t\", \"processor\": \"x\"}\n"
			    "  ]\n"
			    "}\n");
	struct buf rows;
	buf_init(&rows);
	assert_int_equal(provenance_rows(&p, count_row, &rows), 0);
	assert_string_equal(rows.data, "bpass||version|" BPASS_VERSION_STRING "\n"
				       "run||written_iso|2026-12-02T16:00:00Z\n"
				       "run||host|h\n"
				       "run||command_line|bpass run i\"dx st\n"
				       "table|sessions|processor|bpass\n"
				       "kept_table|t|processor|x\n"
				       "manifest||json|...\n");
	/* A file's SHA-256 (of "abc"). */
	char path[300], hex[65];
	snprintf(path, sizeof(path), "%s/abc", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("abc", f);
	fclose(f);
	assert_int_equal(provenance_sha256_file(path, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(provenance_sha256_file(path, hex), -1);
	buf_release(&rows);
	buf_release(&j);
	provenance_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_mapping),
		cmocka_unit_test_setup_teardown(test_written_and_read_back, setup, teardown),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_kind_of),
		cmocka_unit_test_setup_teardown(test_provenance, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
