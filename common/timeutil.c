/*
 * common/timeutil.c: UTC civil time, ISO-8601 and stamps, clocks (see
 * timeutil.h). Digits are written by hand: no strftime, so no locale.
 */
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool time_civil(int64_t s, struct tm *tm)
{
	/* Years 0-9999 only, so every time has the same width. */
	if (s < -62167219200LL || s > 253402300799LL)
		return false;
	time_t t = (time_t)s;
	return gmtime_r(&t, tm) != NULL;
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * "YYYY-MM-DD?HH:MM:SS" into p[19] (not terminated), with date_sep between
 * the date and the time and time_sep between hours, minutes and seconds.
 */
static void put_date_time(char *p, const struct tm *tm, char date_sep, char time_sep)
{
	int y = tm->tm_year + 1900;
	put2(p, y / 100);
	put2(p + 2, y % 100);
	p[4] = '-';
	put2(p + 5, tm->tm_mon + 1);
	p[7] = '-';
	put2(p + 8, tm->tm_mday);
	p[10] = date_sep;
	put2(p + 11, tm->tm_hour);
	p[13] = time_sep;
	put2(p + 14, tm->tm_min);
	p[16] = time_sep;
	put2(p + 17, tm->tm_sec);
}

void time_iso_s(struct buf *out, int64_t s)
{
	struct tm tm;
	if (!time_civil(s, &tm)) {
		buf_put_i64(out, s);
		return;
	}
	char p[20];
	put_date_time(p, &tm, 'T', ':');
	p[19] = 'Z';
	buf_append(out, p, 20);
}

void time_iso_us(struct buf *out, int64_t us)
{
	int64_t s = time_floor_div(us, 1000000);
	int64_t frac = us - s * 1000000;
	struct tm tm;
	if (!time_civil(s, &tm)) {
		buf_put_i64(out, us);
		return;
	}
	char p[28];
	put_date_time(p, &tm, 'T', ':');
	p[19] = '.';
	for (int i = 25; i >= 20; i--) {
		p[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	p[26] = 'Z';
	buf_append(out, p, 27);
}

/* Formats t into out[24] with the given separators; out-of-range times
 * become the integer. */
static void stamp(int64_t t, char out[24], char date_sep, char time_sep, const char *end)
{
	struct tm tm;
	if (!time_civil(t, &tm)) {
		snprintf(out, 24, "%" PRId64, t);
		return;
	}
	put_date_time(out, &tm, date_sep, time_sep);
	memcpy(out + 19, end, strlen(end) + 1);
}

void time_stamp(int64_t t, char out[24])
{
	stamp(t, out, '_', '-', "");
}

double time_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
