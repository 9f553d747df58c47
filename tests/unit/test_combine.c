/*
 * tests/unit/test_combine.c: global_combine of byte-count, the reference
 * implementation of the slot: combining partial global results gives what
 * merging every session into one gives, whatever the grouping and order,
 * and an empty partial is the identity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "builtin.h"
#include "proc_driver.h"

static const struct bpass_processor *const P = &proc_byte_count;

/* A session state of byte-count with `bytes`, through its own load. */
static void *state_with(uint64_t packets, uint64_t bytes)
{
	struct pd_blob *b = pd_blob_new();
	struct bpass_writer *w = pd_blob_writer(b);
	w->array(w, 2);
	w->u64(w, packets);
	w->u64(w, bytes);
	void *st = P->session_new(pd_ctx(P, NULL));
	assert_int_equal(P->load(pd_ctx(P, NULL), st, P->version, pd_blob_reader(b)), 0);
	pd_blob_free(b);
	return st;
}

static const struct {
	const char *node;
	int64_t sid;
	uint64_t bytes;
} sessions[] = {
	{"N1", 1, 100}, {"N2", 2, 7}, {"N1", 3, 5}, {"N3", 4, 1000}, {"N2", 5, 3},
};
#define N_SESSIONS (sizeof(sessions) / sizeof(sessions[0]))

/* A partial global with sessions [from, to). */
static void *partial(size_t from, size_t to)
{
	void *g = P->global_new(pd_ctx(P, NULL));
	for (size_t i = from; i < to; i++) {
		struct bpass_session_key key = {sessions[i].node, PD_CONTEXT, sessions[i].sid};
		void *st = state_with(1, sessions[i].bytes);
		assert_int_equal(P->merge(pd_ctx(P, &key), g, st, NULL), 0);
		P->session_free(pd_ctx(P, NULL), st);
	}
	return g;
}

/* The completed global as saved (frees g). */
static struct pd_blob *completed(void *g)
{
	struct pd_blob *b = pd_blob_new();
	assert_int_equal(P->global_complete(pd_ctx(P, NULL), g), 0);
	assert_int_equal(P->global_save(pd_ctx(P, NULL), g, pd_blob_writer(b)), 0);
	P->global_free(pd_ctx(P, NULL), g);
	return b;
}

static void test_combine(void **unused)
{
	(void)unused;
	assert_non_null(P->global_combine);
	struct pd_blob *all = completed(partial(0, N_SESSIONS));
	char *text = pd_blob_text(all);
	assert_string_equal(text, "[[\"N1\" 105] [\"N2\" 10] [\"N3\" 1000]]");
	free(text);

	/* Every split point, combined both ways round. */
	for (size_t cut = 0; cut <= N_SESSIONS; cut++) {
		void *a = partial(0, cut), *b = partial(cut, N_SESSIONS);
		assert_int_equal(P->global_combine(pd_ctx(P, NULL), a, b), 0);
		P->global_free(pd_ctx(P, NULL), b);
		struct pd_blob *ab = completed(a);
		assert_true(pd_blob_equal(ab, all));
		pd_blob_free(ab);
		a = partial(0, cut);
		b = partial(cut, N_SESSIONS);
		assert_int_equal(P->global_combine(pd_ctx(P, NULL), b, a), 0);
		P->global_free(pd_ctx(P, NULL), a);
		struct pd_blob *ba = completed(b);
		assert_true(pd_blob_equal(ba, all));
		pd_blob_free(ba);
	}

	/* Associative: (x + y) + z == x + (y + z). */
	void *x = partial(0, 2), *y = partial(2, 3), *z = partial(3, N_SESSIONS);
	void *x2 = partial(0, 2), *y2 = partial(2, 3), *z2 = partial(3, N_SESSIONS);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), x, y), 0);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), x, z), 0);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), y2, z2), 0);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), x2, y2), 0);
	struct pd_blob *left = completed(x), *right = completed(x2);
	assert_true(pd_blob_equal(left, right));
	assert_true(pd_blob_equal(left, all));
	pd_blob_free(left);
	pd_blob_free(right);
	P->global_free(pd_ctx(P, NULL), y);
	P->global_free(pd_ctx(P, NULL), z);
	P->global_free(pd_ctx(P, NULL), y2);
	P->global_free(pd_ctx(P, NULL), z2);

	/* `from` is left unchanged. */
	void *into = partial(0, 1), *from = partial(1, N_SESSIONS);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), into, from), 0);
	P->global_free(pd_ctx(P, NULL), into);
	struct pd_blob *rest = completed(from), *rest2 = completed(partial(1, N_SESSIONS));
	assert_true(pd_blob_equal(rest, rest2));
	pd_blob_free(rest);
	pd_blob_free(rest2);
	pd_blob_free(all);
}

/* The version macros of bpass.h agree with each other. */
static void test_version_macros(void **unused)
{
	(void)unused;
#define STR2(x) #x
#define STR(x) STR2(x)
	assert_string_equal(BPASS_VERSION_STRING, STR(BPASS_VERSION_MAJOR) "." STR(
		BPASS_VERSION_MINOR) "." STR(BPASS_VERSION_PATCH));
	assert_int_equal(BPASS_ABI_VERSION, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_version_macros),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
