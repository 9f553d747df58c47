/*
 * tests/unit/test_sdk_read.c: the SDK's strict reading helpers (bpass_read
 * in processors/sdk/bpass_sdk.h) over the real state reader: every integer
 * width at and beyond its limits, types refused, bounded string copies,
 * exact array lengths, binaries of an exact size, the sticky error (one
 * check at the end), errors of one's own, and values left unread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "sdk_test.h"

static struct saved saved;

/* A reader of what was written since st_writer() (kept in `saved`). */
static struct bpass_read reader(void)
{
	free(saved.data);
	saved = st_saved();
	struct bpass_read rd;
	bpass_read_init(&rd, st_reader(saved.data, saved.len));
	return rd;
}

static void test_integers(void **unused)
{
	(void)unused;
	struct bpass_writer *w = st_writer();
	w->i64(w, INT32_MIN);
	w->i64(w, INT32_MAX);
	w->u64(w, UINT32_MAX);
	w->u64(w, UINT16_MAX);
	w->u64(w, UINT8_MAX);
	w->i64(w, INT64_MIN);
	w->u64(w, UINT64_MAX);
	w->i64(w, -5);
	w->i64(w, 5);
	w->boolean(w, true);
	w->f64(w, 2.5);
	w->nil(w);
	struct bpass_read rd = reader();
	assert_int_equal(bpass_read_i32(&rd), INT32_MIN);
	assert_int_equal(bpass_read_i32(&rd), INT32_MAX);
	assert_int_equal(bpass_read_u32(&rd), UINT32_MAX);
	assert_int_equal(bpass_read_u16(&rd), UINT16_MAX);
	assert_int_equal(bpass_read_u8(&rd), UINT8_MAX);
	assert_int_equal(bpass_read_i64(&rd), INT64_MIN);
	assert_true(bpass_read_u64(&rd) == UINT64_MAX);
	assert_int_equal(bpass_read_i64_range(&rd, -5, 5), -5);
	assert_int_equal(bpass_read_u64_max(&rd, 5), 5);
	assert_true(bpass_read_bool(&rd));
	assert_true(bpass_read_f64(&rd) == 2.5);
	bpass_read_nil(&rd);
	assert_int_equal(bpass_read_end(&rd), 0);
	assert_null(rd.error);

	/* One past each limit fails, and so does everything after. */
	static const char range[] = "integer out of range";
	static const char sign[] = "not an integer in the uint64 range";
	const struct {
		int64_t v;
		int kind;
		const char *error;
	} over[] = {{(int64_t)INT32_MIN - 1, 0, range}, {(int64_t)INT32_MAX + 1, 0, range},
		    {(int64_t)UINT32_MAX + 1, 1, range},  {UINT16_MAX + 1, 2, range},
		    {UINT8_MAX + 1, 3, range},            {-1, 1, sign},
		    {-1, 3, sign},                        {6, 4, range},
		    {-6, 4, range}};
	for (size_t i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		w = st_writer();
		w->i64(w, over[i].v);
		w->i64(w, 1);
		rd = reader();
		switch (over[i].kind) {
		case 0:
			assert_int_equal(bpass_read_i32(&rd), 0);
			break;
		case 1:
			assert_int_equal(bpass_read_u32(&rd), 0);
			break;
		case 2:
			assert_int_equal(bpass_read_u16(&rd), 0);
			break;
		case 3:
			assert_int_equal(bpass_read_u8(&rd), 0);
			break;
		default:
			assert_int_equal(bpass_read_i64_range(&rd, -5, 5), 0);
		}
		assert_true(rd.failed);
		assert_string_equal(rd.error, over[i].error);
		/* sticky: the good 1 that follows is not read */
		assert_int_equal(bpass_read_i64(&rd), 0);
		errno = 0;
		assert_int_equal(bpass_read_ok(&rd), -1);
		assert_int_equal(errno, EINVAL);
	}
}

static void test_types(void **unused)
{
	(void)unused;
	/* Each reader refuses the value of another type, and keeps the first reason. */
	struct bpass_writer *w = st_writer();
	w->str(w, "x", 1);
	struct bpass_read rd = reader();
	assert_int_equal(bpass_read_i64(&rd), 0);
	assert_string_equal(rd.error, "not an integer in the int64 range");
	assert_false(bpass_read_bool(&rd));
	assert_int_equal(bpass_read_array(&rd, 10), 0);
	assert_string_equal(rd.error, "not an integer in the int64 range");

	w = st_writer();
	w->i64(w, -1);
	rd = reader();
	assert_int_equal(bpass_read_u64(&rd), 0);
	assert_string_equal(rd.error, "not an integer in the uint64 range");

	const char *const errors[] = {"not a boolean", "not a number", "not nil", "not an array",
				      "not a map", "not a string", "not a binary"};
	for (int k = 0; k < 7; k++) {
		w = st_writer();
		if (k == 5 || k == 1)
			w->boolean(w, false);   /* not a string; not a number */
		else
			w->str(w, "x", 1);
		rd = reader();
		char buf[4];
		size_t len;
		switch (k) {
		case 0: bpass_read_bool(&rd); break;
		case 1: bpass_read_f64(&rd); break;
		case 2: bpass_read_nil(&rd); break;
		case 3: bpass_read_array(&rd, 5); break;
		case 4: bpass_read_map(&rd, 5); break;
		case 5: assert_null(bpass_read_str_ref(&rd, 5, &len)); break;
		default: bpass_read_bin(&rd, buf, 1);
		}
		assert_int_equal(bpass_read_ok(&rd), -1);
		assert_string_equal(rd.error, errors[k]);
	}
}

static void test_containers(void **unused)
{
	(void)unused;
	struct bpass_writer *w = st_writer();
	w->array(w, 2);
	w->i64(w, 1);
	w->i64(w, 2);
	w->map(w, 1);
	w->str(w, "k", 1);
	w->i64(w, 3);
	w->array(w, 3);
	w->nil(w);
	w->nil(w);
	w->nil(w);
	struct bpass_read rd = reader();
	bpass_read_expect_array(&rd, 2);
	assert_int_equal(bpass_read_i64(&rd), 1);
	assert_int_equal(bpass_read_i64(&rd), 2);
	assert_int_equal(bpass_read_map(&rd, 1), 1);
	char k[2];
	assert_int_equal(bpass_read_str(&rd, k, sizeof(k)), 1);
	assert_string_equal(k, "k");
	assert_int_equal(bpass_read_i64(&rd), 3);
	/* "values left unread": the last array */
	assert_int_equal(bpass_read_ok(&rd), 0);
	assert_int_equal(bpass_read_end(&rd), -1);
	assert_string_equal(rd.error, "values left unread");

	rd = reader();
	bpass_read_expect_array(&rd, 3);
	assert_string_equal(rd.error, "array of another length");
	rd = reader();
	assert_int_equal(bpass_read_array(&rd, 1), 0);
	assert_string_equal(rd.error, "array too long");
	rd = reader();
	assert_int_equal(bpass_read_array(&rd, 2), 2);
	bpass_read_i64(&rd);
	bpass_read_i64(&rd);
	assert_int_equal(bpass_read_map(&rd, 0), 0);
	assert_string_equal(rd.error, "map too long");
}

static void test_strings(void **unused)
{
	(void)unused;
	struct bpass_writer *w = st_writer();
	w->str(w, "abc", 3);
	w->str(w, "abcd", 4);
	struct bpass_read rd = reader();
	char buf[4] = "zzz";
	/* fits: 3 bytes and the NUL */
	assert_int_equal(bpass_read_str(&rd, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	/* 4 bytes do not fit in 4: refused, buf emptied */
	assert_int_equal(bpass_read_str(&rd, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_string_equal(rd.error, "string too long");

	w = st_writer();
	w->str(w, "a\0b", 3);
	w->str(w, "", 0);
	rd = reader();
	size_t len = 9;
	assert_null(bpass_read_str_ref(&rd, 10, &len));
	assert_int_equal(len, 0);
	assert_string_equal(rd.error, "string with a NUL byte");

	w = st_writer();
	w->str(w, "", 0);
	w->str(w, "hello", 5);
	rd = reader();
	const char *s = bpass_read_str_ref(&rd, 0, &len);
	assert_non_null(s);
	assert_int_equal(len, 0);
	s = bpass_read_str_ref(&rd, 5, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(s, "hello", 5);
	assert_int_equal(bpass_read_end(&rd), 0);
	/* No room at all. */
	w = st_writer();
	w->str(w, "", 0);
	rd = reader();
	assert_int_equal(bpass_read_str(&rd, buf, 0), 0);
	assert_true(rd.failed);
}

static void test_bin_and_fail(void **unused)
{
	(void)unused;
	struct bpass_writer *w = st_writer();
	w->bin(w, "\x01\x02\x03", 3);
	w->bin(w, "\x01\x02\x03", 3);
	w->i64(w, 4);
	struct bpass_read rd = reader();
	unsigned char b[3] = {0};
	bpass_read_bin(&rd, b, 3);
	assert_memory_equal(b, "\x01\x02\x03", 3);
	unsigned char c[2] = {9, 9};
	bpass_read_bin(&rd, c, 2);
	assert_string_equal(rd.error, "binary of another length");
	assert_int_equal(c[0], 9);

	/* A failure of one's own joins the sticky error; the first reason stays. */
	rd = reader();
	bpass_read_bin(&rd, b, 3);
	bpass_read_fail(&rd, "my check");
	bpass_read_fail(&rd, "another");
	assert_int_equal(bpass_read_i64(&rd), 0);
	assert_string_equal(rd.error, "my check");
	assert_int_equal(bpass_read_ok(&rd), -1);
	free(saved.data);
	saved.data = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_bin_and_fail),
	};
	return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
