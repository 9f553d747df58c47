/*
 * tests/unit/test_proc_builtin.c: the static table of built-in processors:
 * unique names, every dependency (flow-domains reads three states) listed
 * before its reader, the descriptor fields every processor must fill in,
 * and the README's table of processors listing exactly the built-ins, in
 * run order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "fixture.h"

/* The built-ins, in run order, are the rows of the README's table of
 * processors (read from the repository top, where the tests run). */
static void test_readme_lists_them(void **unused)
{
	(void)unused;
	size_t len;
	char *readme = fx_read_file("README.md", &len);
	assert_non_null(readme);
	const char *row = strstr(readme, "\n| processor | per session | global / tables |\n");
	assert_non_null(row);
	row = strchr(row + 1, '\n') + 1;          /* the |---| line */
	size_t i = 0;
	for (const char *end; (end = strchr(row, '\n')) && !strncmp(end + 1, "| ", 2);) {
		row = end + 1;
		size_t n = strcspn(row + 2, " |");
		const char *want = processors_builtin[i] ? processors_builtin[i]->name : "(none)";
		if (n != strlen(want) || strncmp(row + 2, want, n))
			fail_msg("README row %zu of the processors table is \"%.*s\", the built-in is "
				 "\"%s\"", i + 1, (int)n, row + 2, want);
		i++;
	}
	if (processors_builtin[i])
		fail_msg("the README's table of processors lacks \"%s\"", processors_builtin[i]->name);
	assert_true(i > 0);
	free(readme);
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
		cmocka_unit_test(test_readme_lists_them),
		cmocka_unit_test(test_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
