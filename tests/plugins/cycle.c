/*
 * tests/plugins/cycle.c: two processors, "cycle-a" and "cycle-b", each
 * depending on the other.
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

static const char *const a_depends[] = {"cycle-b", NULL};
static const char *const b_depends[] = {"cycle-a", NULL};

static const struct bpass_processor cycle_a = {
	BPASS_PROCESSOR_HEADER,
	.name = "cycle-a",
	.version = 1,
	.description = "test: depends on cycle-b",
	.depends = a_depends,
	.process = nothing,
};

static const struct bpass_processor cycle_b = {
	BPASS_PROCESSOR_HEADER,
	.name = "cycle-b",
	.version = 1,
	.description = "test: depends on cycle-a",
	.depends = b_depends,
	.process = nothing,
};

BPASS_PLUGIN(&cycle_a, &cycle_b)
