/*
 * tests/unit/test_registry.c: processors/registry.c with built-in
 * descriptors made up here and the real test plugins of $BUILD/plugins:
 * each refusal and its exact message (wrong ABI, struct size, name,
 * version, missing callbacks, duplicate, missing entry point, unknown
 * dependency, cycle, unknown selection), that a refused plugin leaves
 * nothing registered, loading the same plugin twice, BPASS_PLUGIN_PATH, and
 * the resolution of a selection into dependency order that otherwise keeps
 * registration order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "builtin.h"
#include "registry.h"

/* ---- capturing messages ---- */

static char msg[4096];
static int saved_fd = -1;
static FILE *cap;

static void capture_begin(void)
{
	fflush(stderr);
	cap = tmpfile();
	saved_fd = dup(2);
	dup2(fileno(cap), 2);
}

static const char *capture_end(void)
{
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	rewind(cap);
	size_t n = fread(msg, 1, sizeof(msg) - 1, cap);
	msg[n] = 0;
	fclose(cap);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = 0;
	return msg;
}

static char plugin_path[512];

/* The absolute path of a test plugin (so symlinks to it work anywhere). */
static const char *plugin(const char *name)
{
	const char *build = getenv("BUILD");
	char rel[512];
	snprintf(rel, sizeof(rel), "%s/plugins/%s.so", build ? build : "build", name);
	if (!realpath(rel, plugin_path))
		snprintf(plugin_path, sizeof(plugin_path), "%s", rel);
	return plugin_path;
}

/* ---- descriptors ---- */

static int p_process(struct bpass_ctx *c, void *s, void *e, const struct bpass_update *u)
{
	(void)c;
	(void)s;
	(void)e;
	(void)u;
	return 0;
}

#define DESC(n, ...) {BPASS_PROCESSOR_HEADER, .name = n, .version = 1, .process = p_process, __VA_ARGS__}

static const char *const dep_b[] = {"b", NULL};
static const char *const dep_c[] = {"c", NULL};
static const char *const dep_ab[] = {"a", "b", NULL};
static const char *const dep_zz[] = {"zz", NULL};

static void add_ok(struct registry *r, const struct bpass_processor *p)
{
	assert_int_equal(registry_add(r, p, REGISTRY_BUILTIN, UINT32_MAX, false), 0);
}

static void expect_add_error(const struct bpass_processor *p, const char *origin, const char *want)
{
	struct registry r;
	registry_init(&r);
	capture_begin();
	int rc = registry_add(&r, p, origin, UINT32_MAX, false);
	const char *got = capture_end();
	assert_int_equal(rc, -1);
	assert_string_equal(got, want);
	assert_int_equal(r.n, 0);
	registry_release(&r);
}

static void test_descriptor_errors(void **unused)
{
	(void)unused;
	struct bpass_processor p = DESC("x");
	p.abi_version = 3;
	expect_add_error(&p, "x.so", "bpass: error: incompatible processor plugin \"x.so\": ABI version 3, "
				     "bpass expects 2");
	/* ABI 1 plugins (bpass 0.1) are told to rebuild. */
	p.abi_version = 1;
	expect_add_error(&p, "x.so", "bpass: error: incompatible processor plugin \"x.so\": ABI version 1, "
				     "bpass expects 2 (rebuild it with the headers of bpass "
				     BPASS_VERSION_STRING ")");
	p = (struct bpass_processor)DESC("x");
	p.struct_size = 16;
	char want[300];
	snprintf(want, sizeof(want), "bpass: error: incompatible processor plugin \"x.so\": processor "
		 "descriptor of 16 bytes, bpass expects at least %zu", (size_t)BPASS_PROCESSOR_V2_MIN_SIZE);
	expect_add_error(&p, "x.so", want);
	p = (struct bpass_processor)DESC("Bad Name");
	expect_add_error(&p, "x.so", "bpass: error: invalid processor name \"Bad Name\" in plugin \"x.so\": "
				     "use 1-64 lower-case letters, digits and dashes");
	p = (struct bpass_processor)DESC("x");
	p.version = 0;
	expect_add_error(&p, REGISTRY_BUILTIN, "bpass: error: invalid processor \"x\" in built-in: version "
					       "must be at least 1");
	p = (struct bpass_processor)DESC("x");
	p.process = NULL;
	p.session_new = (void *(*)(struct bpass_ctx *))1;
	p.global_save = (int (*)(struct bpass_ctx *, const void *, struct bpass_writer *))1;
	expect_add_error(&p, "x.so", "bpass: error: invalid processor \"x\" in plugin \"x.so\": missing "
				     "callbacks process, session_free, save, load, global_load");
}

static void test_duplicate_and_dependencies(void **unused)
{
	(void)unused;
	struct registry r;
	registry_init(&r);
	const struct bpass_processor a = DESC("a", .depends = dep_b);
	const struct bpass_processor b = DESC("b");
	add_ok(&r, &a);
	add_ok(&r, &b);
	capture_begin();
	assert_int_equal(registry_add(&r, &b, "other.so", UINT32_MAX, false), -1);
	assert_string_equal(capture_end(), "bpass: error: duplicate processor \"b\" in plugin \"other.so\": "
					   "already registered by built-in");
	assert_int_equal(registry_check(&r), 0);
	const struct bpass_processor z = DESC("z", .depends = dep_zz);
	add_ok(&r, &z);
	capture_begin();
	assert_int_equal(registry_check(&r), -1);
	assert_string_equal(capture_end(), "bpass: error: processor \"z\" (built-in) depends on unknown "
					   "processor \"zz\"");
	registry_release(&r);

	/* A cycle through three processors, named in order. */
	registry_init(&r);
	const struct bpass_processor c1 = DESC("c1", .depends = (const char *const[]){"c2", NULL});
	const struct bpass_processor c2 = DESC("c2", .depends = (const char *const[]){"c3", NULL});
	const struct bpass_processor c3 = DESC("c3", .depends = (const char *const[]){"c1", NULL});
	add_ok(&r, &b);
	add_ok(&r, &c1);
	add_ok(&r, &c2);
	add_ok(&r, &c3);
	capture_begin();
	assert_int_equal(registry_check(&r), -1);
	assert_string_equal(capture_end(), "bpass: error: circular dependency between processors: \"c1\" -> "
					   "\"c2\" -> \"c3\" -> \"c1\"");
	registry_release(&r);

	/* Depending on itself is a cycle too. */
	registry_init(&r);
	const struct bpass_processor self = DESC("self", .depends = (const char *const[]){"self", NULL});
	add_ok(&r, &self);
	capture_begin();
	assert_int_equal(registry_check(&r), -1);
	assert_string_equal(capture_end(), "bpass: error: circular dependency between processors: \"self\" "
					   "-> \"self\"");
	registry_release(&r);
}

static void expect_order(const struct registry *r, const char *list, const char *want)
{
	uint32_t *order, n;
	assert_int_equal(registry_select(r, list, &order, &n), 0);
	struct buf b;
	buf_init(&b);
	for (uint32_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", r->procs[order[i]].p.name);
	assert_string_equal(b.data, want);
	buf_release(&b);
	free(order);
}

static void test_select(void **unused)
{
	(void)unused;
	struct registry r;
	registry_init(&r);
	/* Registered as: a (needs b), b, c, d (needs a, b), e (needs c). */
	const struct bpass_processor a = DESC("a", .depends = dep_b);
	const struct bpass_processor b = DESC("b");
	const struct bpass_processor c = DESC("c");
	const struct bpass_processor d = DESC("d", .depends = dep_ab);
	const struct bpass_processor e = DESC("e", .depends = dep_c);
	add_ok(&r, &a);
	add_ok(&r, &b);
	add_ok(&r, &c);
	add_ok(&r, &d);
	add_ok(&r, &e);
	assert_int_equal(registry_check(&r), 0);
	/* b must come before a; the rest keeps registration order. */
	expect_order(&r, NULL, "b a c d e");
	expect_order(&r, "d", "b a d");
	expect_order(&r, "e,b", "b c e");
	expect_order(&r, "c,,c", "c");
	uint32_t *order, n;
	capture_begin();
	assert_int_equal(registry_select(&r, "c,nope", &order, &n), -1);
	assert_string_equal(capture_end(),
			    "bpass: error: unknown processor \"nope\" (bpass processors lists them)");
	capture_begin();
	assert_int_equal(registry_select(&r, "", &order, &n), -1);
	assert_string_equal(capture_end(), "bpass: error: no processor selected");
	registry_release(&r);
}

static void expect_plugin_error(const char *name, const char *want_fmt)
{
	struct registry r;
	registry_init(&r);
	assert_int_equal(registry_add_builtins(&r), 0);
	uint32_t builtins = r.n;
	capture_begin();
	int rc = registry_load_plugin(&r, plugin(name), true);
	if (rc == 0)
		rc = registry_check(&r);
	const char *got = capture_end();
	assert_int_equal(rc, -1);
	char want[1024];
	snprintf(want, sizeof(want), want_fmt, plugin_path);
	assert_string_equal(got, want);
	if (strcmp(name, "cycle"))
		assert_int_equal(r.n, builtins);   /* nothing of it stays */
	registry_release(&r);
}

static void test_plugins(void **unused)
{
	(void)unused;
	expect_plugin_error("bad_abi", "bpass: error: incompatible processor plugin \"%s\": ABI version 999, "
				       "bpass expects 2");
	expect_plugin_error("no_entry", "bpass: error: could not load processor plugin \"%s\": no entry "
					"point \"bpass_processors\"");
	expect_plugin_error("dup_name", "bpass: error: duplicate processor \"byte-count\" in plugin \"%s\": "
					"already registered by built-in");
	expect_plugin_error("cycle", "bpass: error: circular dependency between processors: \"cycle-a\" -> "
				     "\"cycle-b\" -> \"cycle-a\"");

	struct registry r;
	registry_init(&r);
	capture_begin();
	assert_int_equal(registry_load_plugin(&r, "/nonexistent/x.so", false), -1);
	const char *got = capture_end();
	assert_non_null(strstr(got, "bpass: error: could not load processor plugin \"/nonexistent/x.so\": "));

	/* A good plugin, loaded twice (once as requested), registers once. */
	assert_int_equal(registry_add_builtins(&r), 0);
	uint32_t builtins = r.n;
	assert_int_equal(registry_load_plugin(&r, plugin("byte_count_plugin"), false), 0);
	assert_int_equal(registry_load_plugin(&r, plugin("byte_count_plugin"), true), 0);
	assert_int_equal(r.n, builtins + 1);
	assert_int_equal(r.n_plugins, 1);
	const struct registry_proc *p = registry_find(&r, "example-byte-count");
	assert_non_null(p);
	assert_true(p->requested);
	assert_string_equal(p->origin, plugin_path);
	assert_int_equal(registry_check(&r), 0);
	/* The default selection: every built-in and the requested plugin's processor. */
	uint32_t *order, n;
	assert_int_equal(registry_select(&r, NULL, &order, &n), 0);
	assert_int_equal(n, builtins + 1);
	assert_string_equal(r.procs[order[n - 1]].p.name, "example-byte-count");
	free(order);
	registry_release(&r);
}

static void test_plugin_path(void **unused)
{
	(void)unused;
	/* A folder with one good plugin (and a file that is not one). */
	char tmpl[] = "/tmp/bpass-registry.XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	char link[600], other[600];
	snprintf(link, sizeof(link), "%s/versioned.so", d);
	assert_int_equal(symlink(plugin("versioned"), link), 0);
	snprintf(other, sizeof(other), "%s/readme.txt", d);
	FILE *f = fopen(other, "w");
	fclose(f);
	char list[800];
	snprintf(list, sizeof(list), "/nonexistent::%s", d);
	struct registry r;
	registry_init(&r);
	assert_int_equal(registry_load_plugin_path(&r, list), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.procs[0].p.name, "versioned");
	assert_false(r.procs[0].requested);
	registry_release(&r);

	/* registry_setup reads the variable; a bad plugin there is an error. */
	char bad[600];
	snprintf(bad, sizeof(bad), "%s/bad.so", d);
	assert_int_equal(symlink(plugin("bad_abi"), bad), 0);
	setenv(REGISTRY_PATH_ENV, d, 1);
	registry_init(&r);
	capture_begin();
	assert_int_equal(registry_setup(&r, NULL, 0), -1);
	char want[800];
	snprintf(want, sizeof(want), "bpass: error: incompatible processor plugin \"%s\": ABI version 999, "
		 "bpass expects 2", bad);
	assert_string_equal(capture_end(), want);
	registry_release(&r);
	unsetenv(REGISTRY_PATH_ENV);
	unlink(bad);
	unlink(link);
	unlink(other);
	rmdir(d);
}

/* The built-in table registers cleanly; selecting flow-domains selects its
 * inputs before it, and nothing else. */
static void test_builtins(void **unused)
{
	(void)unused;
	struct registry r;
	registry_init(&r);
	assert_int_equal(registry_setup(&r, NULL, 0), 0);
	assert_non_null(registry_find(&r, "byte-count"));
	assert_string_equal(registry_find(&r, "byte-count")->origin, "built-in");
	uint32_t *order, n;
	assert_int_equal(registry_select(&r, "flow-domains", &order, &n), 0);
	assert_string_equal(r.procs[order[n - 1]].p.name, "flow-domains");
	/* Exactly flow-domains and what it depends on, transitively: the
	 * selection holds every dependency of each member before it, and
	 * every member but flow-domains is a dependency of a later one. */
	assert_true(n > 1);
	for (uint32_t i = 0; i < n; i++) {
		const struct bpass_processor *p = &r.procs[order[i]].p;
		for (const char *const *d = p->depends; d && *d; d++) {
			bool before = false;
			for (uint32_t j = 0; j < i; j++)
				before = before || !strcmp(r.procs[order[j]].p.name, *d);
			if (!before)
				fail_msg("\"%s\" is selected without its dependency \"%s\" before it",
					 p->name, *d);
		}
		bool needed = i == n - 1;
		for (uint32_t j = i + 1; j < n && !needed; j++)
			for (const char *const *d = r.procs[order[j]].p.depends; d && *d; d++)
				needed = needed || !strcmp(*d, p->name);
		if (!needed)
			fail_msg("\"%s\" is selected but nothing selected depends on it", p->name);
	}
	free(order);
	registry_release(&r);
}

int main(void)
{
	unsetenv(REGISTRY_PATH_ENV);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptor_errors),
		cmocka_unit_test(test_duplicate_and_dependencies),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_plugins),
		cmocka_unit_test(test_plugin_path),
		cmocka_unit_test(test_builtins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
