/*
 * tests/plugins/slow.c: the processor "slow", which keeps no state at all
 * and sleeps $SLOW_US microseconds (default 0) per update, so that tests can
 * interrupt a run while it is busy.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

#include <bpass.h>

static int slow_process(struct bpass_ctx *ctx, void *state, void *eph,
			const struct bpass_update *u)
{
	(void)ctx;
	(void)state;
	(void)eph;
	(void)u;
	const char *s = getenv("SLOW_US");
	long us = s ? atol(s) : 0;
	if (us > 0) {
		struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static const struct bpass_processor slow = {
	BPASS_PROCESSOR_HEADER,
	.name = "slow",
	.version = 1,
	.description = "test: sleeps $SLOW_US microseconds per update, keeps no state",
	.process = slow_process,
};

BPASS_PLUGIN(&slow)
