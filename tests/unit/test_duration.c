/*
 * tests/unit/test_duration.c: durations of the operations configuration
 * (ops/duration.h): every unit, the limits, and what is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "duration.h"

static void test_parse(void **state)
{
	(void)state;
	int64_t s = -1;
	assert_int_equal(duration_parse("0", &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(duration_parse("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(duration_parse("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(duration_parse("15m", &s), 0);
	assert_int_equal(s, 900);
	assert_int_equal(duration_parse("6h", &s), 0);
	assert_int_equal(s, 21600);
	assert_int_equal(duration_parse("2d", &s), 0);
	assert_int_equal(s, 172800);
	assert_int_equal(duration_parse("3660d", &s), 0);    /* 10 years */
	assert_int_equal(s, 3660LL * 86400);
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "soon", "-1", " 5", "5 ", "5x", "5hh", "1.5h", "h", "3661d",
		"99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t s = 42;
		assert_int_equal(duration_parse(bad[i], &s), -1);
		assert_int_equal(s, 42);   /* untouched */
	}
}

static void test_format(void **state)
{
	(void)state;
	char out[32];
	duration_format(45, out);
	assert_string_equal(out, "45 s");
	duration_format(12 * 60 + 5, out);
	assert_string_equal(out, "12 min");
	duration_format(7 * 3600 + 5 * 60 + 59, out);
	assert_string_equal(out, "7 h 5 min");
	duration_format(3 * 86400 + 2 * 3600 + 1, out);
	assert_string_equal(out, "3 d 2 h");
	duration_format(-5, out);
	assert_string_equal(out, "0 s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
