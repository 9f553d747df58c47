/*
 * tests/unit/sdk_test.h: what the SDK unit tests (test_sdk_*.c) share: the
 * real state writer and reader (state/state_writer.h, state_reader.h) to
 * save and load through, msgpack shown as text to compare with saved forms
 * worked out by hand, and the real result tables writer (harness/results.h)
 * writing CSV into a scratch folder.
 *
 * Include it once per test file, after cmocka.h, and run the tests with
 * st_setup/st_teardown as the group fixtures.
 */
#ifndef TESTS_UNIT_SDK_TEST_H
#define TESTS_UNIT_SDK_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpass_sdk.h"
#include "results.h"
#include "state_reader.h"
#include "state_writer.h"

static struct state_writer st_sw;
static struct state_reader st_sr;
static struct results st_res;
static char st_dir[256];

/* Bytes saved by a save function (owned: free data). */
struct saved {
	char *data;
	size_t len;
};

static inline int st_setup(void **unused)
{
	(void)unused;
	state_writer_init(&st_sw);
	state_reader_init(&st_sr);
	snprintf(st_dir, sizeof(st_dir), "%s/bpass-sdk.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(st_dir) ? 0 : -1;
}

static inline int st_teardown(void **unused)
{
	(void)unused;
	char cmd[300];
	state_writer_release(&st_sw);
	state_reader_release(&st_sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", st_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh writer; st_saved then takes what was written. */
static inline struct bpass_writer *st_writer(void)
{
	state_writer_reset(&st_sw);
	return &st_sw.w;
}

/* What was written since st_writer(), checked to be complete msgpack. */
static inline struct saved st_saved(void)
{
	assert_int_equal(state_writer_finish(&st_sw), 0);
	struct saved s = {malloc(st_sw.sbuf.size + 1), st_sw.sbuf.size};
	assert_non_null(s.data);
	memcpy(s.data, st_sw.sbuf.data, s.len);
	return s;
}

/* A reader of data[0..len) (borrowed while reading). */
static inline struct bpass_reader *st_reader(const void *data, size_t len)
{
	state_reader_reset(&st_sr, data, len);
	return &st_sr.r;
}

static inline void st_assert_same(struct saved a, struct saved b)
{
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
}

/* The msgpack values of data[0..len) as text, one per line (caller frees). */
static inline char *st_text(const void *data, size_t len)
{
	struct state_reader sr;
	size_t cap = 8 * len + 256, used = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	out[0] = 0;
	state_reader_init(&sr);
	state_reader_reset(&sr, data, len);
	const msgpack_object *o;
	while ((o = state_reader_next(&sr))) {
		int n = msgpack_object_print_buffer(out + used, cap - used - 1, *o);
		assert_true(n >= 0 && (size_t)n < cap - used - 2);
		used += (size_t)n;
		out[used++] = '\n';
		out[used] = 0;
	}
	state_reader_release(&sr);
	return out;
}

/* Result tables into the scratch folder: st_results() for write_results,
 * then st_csv(table) for the text of table.csv (caller frees). */
static inline struct bpass_results *st_results(void)
{
	assert_int_equal(results_init(&st_res, st_dir, false), 0);
	return &st_res.r;
}

static inline char *st_csv(const char *table)
{
	assert_false(results_failed(&st_res));
	results_release(&st_res);
	char path[400];
	snprintf(path, sizeof(path), "%s/%s.csv", st_dir, table);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *text = calloc(1, 1 << 16);
	assert_non_null(text);
	size_t n = fread(text, 1, (1 << 16) - 1, f);
	fclose(f);
	text[n] = 0;
	return text;
}

#endif
