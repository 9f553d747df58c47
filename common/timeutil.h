/*
 * common/timeutil.h: UTC time helpers: floor division for times before
 * 1970, broken-down civil time, ISO-8601 and file-name stamps, and a
 * monotonic clock for durations.
 *
 * Every conversion is UTC: none reads TZ or the locale. Times are int64
 * seconds or microseconds since 1970-01-01T00:00:00Z. Civil (calendar) time
 * is limited to years 0-9999, so every formatted time has the same width;
 * outside that range the formatters that append to a buf write the integer
 * instead. Nothing here keeps state or allocates, except buf growth.
 */
#ifndef COMMON_TIMEUTIL_H
#define COMMON_TIMEUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* floor(a / b), also for negative a or b (b != 0): the start of the step a
 * time falls into, e.g. time_floor_div(-1, 1000000) is -1 (1969). */
static inline int64_t time_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Fills *tm with the UTC calendar time of s seconds. Returns false (tm
 * unspecified) when s is outside years 0-9999. */
bool time_civil(int64_t s, struct tm *tm);

/* Appends s seconds as 2012-05-15T18:00:00Z, or the integer s outside
 * years 0-9999. */
void time_iso_s(struct buf *out, int64_t s);
/* Appends us microseconds as 2012-05-15T18:00:00.512345Z (six digits of
 * fraction, also before 1970: -1 is 1969-12-31T23:59:59.999999Z), or the
 * integer us outside years 0-9999. */
void time_iso_us(struct buf *out, int64_t us);

/* "YYYY-MM-DD_HH-MM-SS" of t seconds (the time stamp of tarball names),
 * into out[24]. */
void time_stamp(int64_t t, char out[24]);

/* Seconds on a monotonic clock (unaffected by changes of the wall clock),
 * for durations: subtract two readings. */
double time_monotonic(void);

#endif
