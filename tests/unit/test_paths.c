/*
 * tests/unit/test_paths.c: resolving and comparing folders (ops/paths.h):
 * paths that exist, that do not exist yet, with "." and "..", through a
 * symbolic link, relative to the current folder; inside and overlap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

static char dir[256];   /* resolved scratch folder */

static int setup(void **state)
{
	(void)state;
	char tmpl[256];
	snprintf(tmpl, sizeof(tmpl), "%s/bpass-paths.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpl))
		return -1;
	char *real = realpath(tmpl, NULL);
	if (!real)
		return -1;
	snprintf(dir, sizeof(dir), "%s", real);
	free(real);
	char p[300], q[300];
	snprintf(p, sizeof(p), "%s/a", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/b", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a", dir);
	snprintf(q, sizeof(q), "%s/link", dir);
	return symlink(p, q);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Resolves path (relative ones from dir) and checks the result. */
static void resolves(const char *path, const char *want_rel)
{
	struct buf out, want;
	buf_init(&out);
	buf_init(&want);
	buf_printf(&want, "%s%s", dir, want_rel);
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(paths_resolve(path, &out), 0);
	assert_string_equal(out.data, want.data);
	buf_release(&out);
	buf_release(&want);
}

static void test_resolve(void **state)
{
	(void)state;
	resolves("a", "/a");
	resolves("a/b/", "/a/b");
	resolves("link/b", "/a/b");                 /* through the link */
	resolves("new", "/new");                    /* does not exist yet */
	resolves("a/new/deeper/", "/a/new/deeper");
	resolves("link/new/../b", "/a/b");
	resolves("a/new/./x/..", "/a/new");
	resolves("./a//b", "/a/b");
	struct buf out;
	buf_init(&out);
	assert_int_equal(paths_resolve("/", &out), 0);
	assert_string_equal(out.data, "/");
	assert_int_equal(paths_resolve("", &out), -1);
	buf_release(&out);
}

static void test_compare(void **state)
{
	(void)state;
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(paths_overlap("a", "a"), 1);
	assert_int_equal(paths_overlap("a", "link"), 1);        /* the same folder */
	assert_int_equal(paths_overlap("a", "a/b"), 1);
	assert_int_equal(paths_overlap("link/b/new", "a"), 1);  /* inside, not there yet */
	assert_int_equal(paths_overlap("a/b", "a/bc"), 0);      /* a prefix is not inside */
	assert_int_equal(paths_overlap("a/b", "other"), 0);
	assert_int_equal(paths_inside("a/b/m.tsv", "link"), 1);
	assert_int_equal(paths_inside("a", "a/b"), 0);
	assert_int_equal(paths_inside("x", "/"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_compare),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
