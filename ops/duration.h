/*
 * ops/duration.h: durations in configuration values and options, e.g. the
 * quiet period of collect ("60") or the stale lock limit of hourly ("6h").
 */
#ifndef OPS_DURATION_H
#define OPS_DURATION_H

#include <stdint.h>

/* Parses a whole number of seconds, optionally followed by one unit: s, m
 * (minutes), h (hours) or d (days); "90", "90s", "15m", "6h", "2d". At most
 * 10 years. Returns 0 with *seconds set, or -1 (nothing printed). */
int duration_parse(const char *s, int64_t *seconds);

/* Formats seconds for a message, e.g. "45 s", "12 min", "7 h 5 min", "3 d 2 h",
 * into out[32]. */
void duration_format(int64_t seconds, char out[32]);

#endif
