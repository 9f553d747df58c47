/*
 * tests/plugins/bad_abi.c: a processor descriptor claiming ABI version 999,
 * which bpass must refuse before reading anything else.
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

static const struct bpass_processor future = {
	.abi_version = 999,
	.struct_size = sizeof(struct bpass_processor),
	.name = "future",
	.version = 1,
	.description = "test: from a future ABI",
	.process = nothing,
};

BPASS_PLUGIN(&future)
