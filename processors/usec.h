/*
 * processors/usec.h: microsecond time arithmetic for the built-in processors.
 * Packet times are µs, update timestamps and TTLs are s (processors.md
 * "Times"); everything is compared in int64 µs. The operations saturate at
 * the int64 limits instead of overflowing on absurd input.
 */
#ifndef PROCESSORS_USEC_H
#define PROCESSORS_USEC_H

#include <stdint.h>

#include "timeutil.h"

#define USEC_PER_S INT64_C(1000000)
#define USEC_PER_MIN INT64_C(60000000)

static inline int64_t usec_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static inline int64_t usec_sub(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Seconds to µs. */
static inline int64_t usec_from_s(int64_t s)
{
	int64_t r;
	if (__builtin_mul_overflow(s, USEC_PER_S, &r))
		return s > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* floor(a / b) for b > 0, also for negative a. */
static inline int64_t usec_floor_div(int64_t a, int64_t b)
{
	return time_floor_div(a, b);
}

#endif
