/*
 * tests/unit/test_timeutil.c: the UTC time helpers of common/timeutil.h,
 * against dates worked out by hand: floor division of negative times, the
 * civil-time range (years 0-9999), ISO-8601 in s and µs (before 1970, a
 * leap day, the fraction's zeros, out of range), file-name stamps, and
 * the monotonic clock. None may depend on TZ.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "timeutil.h"

static void test_floor_div(void **unused)
{
	(void)unused;
	assert_int_equal(time_floor_div(59999999, 60000000), 0);
	assert_int_equal(time_floor_div(60000000, 60000000), 1);
	assert_int_equal(time_floor_div(-1, 60000000), -1);
	assert_int_equal(time_floor_div(-60000000, 60000000), -1);
	assert_int_equal(time_floor_div(-60000001, 60000000), -2);
	assert_int_equal(time_floor_div(7, -2), -4);
	assert_int_equal(time_floor_div(-7, -2), 3);
}

static void test_civil(void **unused)
{
	(void)unused;
	struct tm tm;
	assert_true(time_civil(0, &tm));
	assert_int_equal(tm.tm_year + 1900, 1970);
	assert_int_equal(tm.tm_mon, 0);
	assert_int_equal(tm.tm_mday, 1);
	/* 1337104800 s is 2012-05-15 18:00:00 (15,477 days after 1970-01-01 + 18 h). */
	assert_true(time_civil(1337104800, &tm));
	assert_int_equal(tm.tm_year + 1900, 2012);
	assert_int_equal(tm.tm_mon + 1, 5);
	assert_int_equal(tm.tm_mday, 15);
	assert_int_equal(tm.tm_hour, 18);
	/* The first and last seconds of years 0-9999, and one past each. */
	assert_true(time_civil(-62167219200LL, &tm));
	assert_int_equal(tm.tm_year + 1900, 0);
	assert_false(time_civil(-62167219201LL, &tm));
	assert_true(time_civil(253402300799LL, &tm));
	assert_int_equal(tm.tm_year + 1900, 9999);
	assert_int_equal(tm.tm_sec, 59);
	assert_false(time_civil(253402300800LL, &tm));
	assert_false(time_civil(INT64_MIN, &tm));
}

static void test_iso(void **unused)
{
	(void)unused;
	struct buf b;
	buf_init(&b);
	time_iso_us(&b, 1337104800512345LL);
	assert_string_equal(b.data, "2012-05-15T18:00:00.512345Z");
	buf_reset(&b);
	time_iso_us(&b, 1337104800000001LL);
	assert_string_equal(b.data, "2012-05-15T18:00:00.000001Z");
	buf_reset(&b);
	time_iso_s(&b, 1337104800);
	assert_string_equal(b.data, "2012-05-15T18:00:00Z");
	buf_reset(&b);
	time_iso_s(&b, 0);
	assert_string_equal(b.data, "1970-01-01T00:00:00Z");
	buf_reset(&b);
	/* -1 µs is the last microsecond of 1969. */
	time_iso_us(&b, -1);
	assert_string_equal(b.data, "1969-12-31T23:59:59.999999Z");
	buf_reset(&b);
	/* 951782400 s is 2000-02-29T00:00:00Z (a leap day). */
	time_iso_s(&b, 951782400 + 86399);
	assert_string_equal(b.data, "2000-02-29T23:59:59Z");
	buf_reset(&b);
	/* Appends. */
	buf_puts(&b, "t=");
	time_iso_s(&b, 0);
	assert_string_equal(b.data, "t=1970-01-01T00:00:00Z");
	buf_reset(&b);
	/* Outside years 0-9999: the integer itself. */
	time_iso_s(&b, INT64_MAX);
	assert_string_equal(b.data, "9223372036854775807");
	buf_reset(&b);
	time_iso_us(&b, INT64_MIN);
	assert_string_equal(b.data, "-9223372036854775808");
	buf_release(&b);
}

static void test_stamp(void **unused)
{
	(void)unused;
	char s[24];
	time_stamp(1337104800, s);
	assert_string_equal(s, "2012-05-15_18-00-00");
	time_stamp(951782400 + 86399, s);
	assert_string_equal(s, "2000-02-29_23-59-59");
	time_stamp(0, s);
	assert_string_equal(s, "1970-01-01_00-00-00");
}

/* Tarball time stamps are UTC whatever the time zone says. */
/* The current time as ISO text: the shape, and the same second as time(). */
static void test_now_iso(void **unused)
{
	(void)unused;
	for (int attempt = 0; attempt < 3; attempt++) {
		time_t before = time(NULL);
		char iso[24];
		time_now_iso(iso);
		time_t after = time(NULL);
		assert_int_equal(strlen(iso), 20);
		assert_int_equal(iso[4], '-');
		assert_int_equal(iso[10], 'T');
		assert_int_equal(iso[19], 'Z');
		if (before != after)
			continue;   /* a second boundary passed: try again */
		struct tm tm;
		gmtime_r(&before, &tm);
		char want[24];
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_string_equal(iso, want);
		return;
	}
	fail_msg("the clock moved in every attempt");
}

static void test_stamp_utc(void **unused)
{
	(void)unused;
	setenv("TZ", "America/New_York", 1);
	tzset();
	char b[24];
	time_stamp(1337104800, b);
	assert_string_equal(b, "2012-05-15_18-00-00");
	unsetenv("TZ");
	tzset();
}

static void test_monotonic(void **unused)
{
	(void)unused;
	double t0 = time_monotonic();
	usleep(20 * 1000);
	double t1 = time_monotonic();
	assert_true(t1 - t0 >= 0.019);
	assert_true(t1 - t0 < 5);
	assert_true(time_monotonic() >= t1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floor_div),
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_stamp_utc),
		cmocka_unit_test(test_now_iso),
		cmocka_unit_test(test_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
