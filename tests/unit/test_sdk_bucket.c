/*
 * tests/unit/test_sdk_bucket.c: the SDK's UTC time buckets (processors/sdk/
 * bpass_sdk.h): minute, hour and day starts of µs and s times worked out by
 * hand (2012-05-15T18:31:42.512345Z, the epoch, just before it), and
 * saturation at the int64 limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bpass_sdk.h"

/* 2012-05-15T18:31:42.512345Z: 1337106702 s = day 1337040000 + 18 h 31 min 42 s. */
#define T_S INT64_C(1337106702)
#define T_US (T_S * 1000000 + 512345)

static void test_buckets(void **unused)
{
	(void)unused;
	assert_int_equal(bpass_utc_day_us(T_US), INT64_C(1337040000000000));
	assert_int_equal(bpass_utc_hour_us(T_US), INT64_C(1337104800000000));
	assert_int_equal(bpass_utc_minute_us(T_US), INT64_C(1337106660000000));
	assert_int_equal(bpass_utc_day_s(T_S), INT64_C(1337040000));
	assert_int_equal(bpass_utc_hour_s(T_S), INT64_C(1337104800));
	assert_int_equal(bpass_utc_minute_s(T_S), INT64_C(1337106660));
	assert_int_equal(bpass_bucket_us(T_US, BPASS_DAY), bpass_utc_day_us(T_US));
	assert_int_equal(bpass_bucket_s(T_S, BPASS_HOUR), bpass_utc_hour_s(T_S));
	/* A bucket start is its own bucket; the last µs of a day is in it. */
	assert_int_equal(bpass_utc_day_us(INT64_C(1337040000000000)), INT64_C(1337040000000000));
	assert_int_equal(bpass_utc_day_us(INT64_C(1337126399999999)), INT64_C(1337040000000000));
	/* The epoch and just before it (floor, not truncation). */
	assert_int_equal(bpass_utc_day_us(0), 0);
	assert_int_equal(bpass_utc_day_us(-1), INT64_C(-86400000000));
	assert_int_equal(bpass_utc_minute_us(-1), INT64_C(-60000000));
	assert_int_equal(bpass_utc_hour_s(-1), -3600);
	assert_int_equal(bpass_utc_minute_s(-60), -60);
	assert_int_equal(bpass_utc_minute_s(-61), -120);
}

static void test_saturation(void **unused)
{
	(void)unused;
	assert_int_equal(bpass_us_from_s(T_S), T_S * 1000000);
	assert_int_equal(bpass_us_from_s(-1), -1000000);
	assert_int_equal(bpass_us_from_s(INT64_MAX / 1000000 + 1), INT64_MAX);
	assert_int_equal(bpass_us_from_s(INT64_MIN / 1000000 - 1), INT64_MIN);
	assert_int_equal(bpass_us_from_s(INT64_MAX), INT64_MAX);
	/* The largest time: its bucket fits. */
	const int64_t day = INT64_C(86400000000);
	assert_int_equal(bpass_utc_day_us(INT64_MAX), INT64_MAX / day * day);
	/* The smallest: floor(INT64_MIN / day) * day is below INT64_MIN, so
	 * the first whole day is given, a bucket start itself. */
	int64_t first = (INT64_MIN / day) * day;
	assert_true(first > INT64_MIN && first < INT64_MIN + day);
	assert_int_equal(bpass_utc_day_us(INT64_MIN), first);
	assert_int_equal(bpass_utc_day_us(first), first);
	assert_int_equal(bpass_utc_minute_s(INT64_MIN), (INT64_MIN / 60) * 60);
	/* Not a bucket width: the time itself. */
	assert_int_equal(bpass_bucket_us(T_US, (enum bpass_bucket)0), T_US);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_saturation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
