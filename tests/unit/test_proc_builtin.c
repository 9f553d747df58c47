/*
 * tests/unit/test_proc_builtin.c: the static table of built-in processors:
 * the run order of processors.md (flow-domains after the three states it
 * reads), unique names, every dependency listed before its reader, and the
 * descriptor fields every processor must fill in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "builtin.h"

static void test_order(void **unused)
{
	(void)unused;
	static const char *const expected[] = {
		"byte-count", "flows", "addresses", "domains", "whitelisted-domains",
		"flow-domains", "update-statistics", "availability", "meta-statistics",
		"throughput", NULL,
	};
	size_t i = 0;
	for (; processors_builtin[i]; i++) {
		assert_non_null(expected[i]);
		assert_string_equal(processors_builtin[i]->name, expected[i]);
	}
	assert_null(expected[i]);
}

static void test_descriptors(void **unused)
{
	(void)unused;
	for (size_t i = 0; processors_builtin[i]; i++) {
		const struct bpass_processor *p = processors_builtin[i];
		assert_int_equal(p->abi_version, BPASS_ABI_VERSION);
		assert_int_equal(p->struct_size, sizeof(struct bpass_processor));
		assert_true(p->version >= 1);
		assert_non_null(p->description);
		assert_non_null(p->process);
		/* a persistent state comes with save and load; an ephemeral one too */
		assert_true(!p->session_new || (p->session_free && p->save && p->load));
		assert_true(!p->ephemeral_new ||
			    (p->ephemeral_free && p->ephemeral_save && p->ephemeral_load));
		assert_true(!p->global_new || (p->global_free && p->merge && p->write_results &&
					       p->global_save && p->global_load));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(processors_builtin[j]->name, p->name);
		for (const char *const *dep = p->depends; dep && *dep; dep++) {
			int found = 0;
			for (size_t j = 0; j < i; j++)
				found |= strcmp(processors_builtin[j]->name, *dep) == 0 &&
					 processors_builtin[j]->session_new != NULL;
			if (!found)
				fail_msg("%s depends on \"%s\", which does not run before it with a state",
					 p->name, *dep);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
