/*
 * ops/duration.c: parsing and formatting durations (see duration.h).
 */
#include "duration.h"

#include <stdio.h>

#define DURATION_MAX (10LL * 366 * 86400)

int duration_parse(const char *s, int64_t *seconds)
{
	int64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > DURATION_MAX)
			return -1;
	}
	int64_t unit = 1;
	if (*p) {
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
		if (*p)
			return -1;
	}
	if (v * unit > DURATION_MAX)
		return -1;
	*seconds = v * unit;
	return 0;
}

void duration_format(int64_t seconds, char out[32])
{
	if (seconds < 0)
		seconds = 0;
	long long s = seconds;
	if (s < 120)
		snprintf(out, 32, "%lld s", s);
	else if (s < 3600)
		snprintf(out, 32, "%lld min", s / 60);
	else if (s < 86400)
		snprintf(out, 32, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(out, 32, "%lld d %lld h", s / 86400, s % 86400 / 3600);
}
