/*
 * tests/plugins/dup_name.c: a plugin registering "byte-count", the name of
 * a built-in processor.
 */
#include <bpass.h>

static int nothing(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)state;
	(void)eph;
	(void)u;
	return 0;
}

static const struct bpass_processor dup = {
	BPASS_PROCESSOR_HEADER,
	.name = "byte-count",
	.version = 1,
	.description = "test: a second byte-count",
	.process = nothing,
};

BPASS_PLUGIN(&dup)
