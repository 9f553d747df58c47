/*
 * tests/unit/test_proc_hooks.c: the per-process init/exit hooks of
 * processors/proc_ctx.h (proc_hooks_init, proc_hooks_exit) outlive the
 * registry whose descriptors they were given: a process that releases a
 * registry and sets up another (the test driver, proc_driver.h, does it for
 * every run; the worker and the mergers in one process with -w 0) calls
 * init and exit again, and never reads the released descriptors: the
 * sanitizer build reports such a read as a heap-use-after-free (the plain
 * build crashed on it in test_proc_analyses, once the memory was reused).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proc_ctx.h"
#include "registry.h"

static int inits, exits;

static int hooked_init(struct bpass_ctx *ctx)
{
	(void)ctx;
	inits++;
	return 0;
}

static void hooked_exit(struct bpass_ctx *ctx)
{
	(void)ctx;
	exits++;
}

static int hooked_process(struct bpass_ctx *ctx, void *state, void *eph,
			  const struct bpass_update *u)
{
	(void)ctx, (void)state, (void)eph, (void)u;
	return 0;
}

static const struct bpass_processor hooked = {
	BPASS_PROCESSOR_HEADER,
	.name = "hooked",
	.version = 1,
	.process = hooked_process,
	.init = hooked_init,
	.exit = hooked_exit,
};

/* One registry's life: two users of the hooks (a worker and a merger),
 * init once, exit once when the last lets go. */
static void one_registry(int round)
{
	struct registry r;
	registry_init(&r);
	assert_int_equal(registry_add(&r, &hooked, REGISTRY_BUILTIN, UINT32_MAX, false), 0);
	const struct bpass_processor *p = &registry_find(&r, "hooked")->p;
	assert_int_equal(proc_hooks_init(&p, 1, NULL), 0);
	assert_int_equal(proc_hooks_init(&p, 1, NULL), 0);
	assert_int_equal(inits, round);
	proc_hooks_exit(&p, 1, NULL);
	assert_int_equal(exits, round - 1);
	proc_hooks_exit(&p, 1, NULL);
	assert_int_equal(exits, round);
	registry_release(&r);
}

static void test_hooks_outlive_registry(void **unused)
{
	(void)unused;
	for (int round = 1; round <= 3; round++)
		one_registry(round);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_outlive_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
