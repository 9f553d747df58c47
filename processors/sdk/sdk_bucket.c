/*
 * processors/sdk/sdk_bucket.c: UTC time buckets (minute, hour, day) of times
 * in µs or s, and the µs conversion, all saturating at the int64 limits so
 * that absurd times from a router clock cannot overflow.
 */
#include "sdk_internal.h"

int64_t bpass_us_from_s(int64_t s)
{
	int64_t r;
	if (__builtin_mul_overflow(s, BPASS_US_PER_S, &r))
		return s > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* floor(t / width) * width, or the first whole bucket when that is below INT64_MIN. */
static int64_t bucket(int64_t t, int64_t width)
{
	if (width <= 0)
		return t;   /* not a bucket width */
	int64_t q = t / width;
	if (t % width != 0 && t < 0)
		q--;
	int64_t r;
	if (__builtin_mul_overflow(q, width, &r))
		return (q + 1) * width;
	return r;
}

int64_t bpass_bucket_us(int64_t us, enum bpass_bucket b)
{
	return bucket(us, (int64_t)b * BPASS_US_PER_S);
}

int64_t bpass_bucket_s(int64_t s, enum bpass_bucket b)
{
	return bucket(s, (int64_t)b);
}
