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
#include "state_reader.h"
#include "state_writer.h"

static const struct bpass_processor *const P = &proc_byte_count;

/* A session state of byte-count with `bytes`, through its own load from
 * bytes written by the real msgpack writer. */
static void *state_with(uint64_t packets, uint64_t bytes)
{
	struct state_writer sw;
	state_writer_init(&sw);
	sw.w.array(&sw.w, 2);
	sw.w.u64(&sw.w, packets);
	sw.w.u64(&sw.w, bytes);
	assert_int_equal(state_writer_finish(&sw), 0);
	struct state_reader rd;
	state_reader_init(&rd);
	state_reader_reset(&rd, sw.sbuf.data, sw.sbuf.size);
	void *st = P->session_new(pd_ctx(P, NULL));
	assert_int_equal(P->load(pd_ctx(P, NULL), st, P->version, &rd.r), 0);
	state_reader_release(&rd);
	state_writer_release(&sw);
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

/* The completed global as saved by the real writer, as text (frees g;
 * caller frees the text). */
static char *completed(void *g)
{
	struct state_writer sw;
	state_writer_init(&sw);
	assert_int_equal(P->global_complete(pd_ctx(P, NULL), g), 0);
	assert_int_equal(P->global_save(pd_ctx(P, NULL), g, &sw.w), 0);
	assert_int_equal(state_writer_finish(&sw), 0);
	P->global_free(pd_ctx(P, NULL), g);
	char *text = pd_msgpack_text(sw.sbuf.data, sw.sbuf.size);
	state_writer_release(&sw);
	return text;
}

static void test_combine(void **unused)
{
	(void)unused;
	assert_non_null(P->global_combine);
	char *all = completed(partial(0, N_SESSIONS));
	assert_string_equal(all, "[[\"N1\", 105], [\"N2\", 10], [\"N3\", 1000]]");

	/* Every split point, combined both ways round. */
	for (size_t cut = 0; cut <= N_SESSIONS; cut++) {
		void *a = partial(0, cut), *b = partial(cut, N_SESSIONS);
		assert_int_equal(P->global_combine(pd_ctx(P, NULL), a, b), 0);
		P->global_free(pd_ctx(P, NULL), b);
		char *ab = completed(a);
		assert_string_equal(ab, all);
		free(ab);
		a = partial(0, cut);
		b = partial(cut, N_SESSIONS);
		assert_int_equal(P->global_combine(pd_ctx(P, NULL), b, a), 0);
		P->global_free(pd_ctx(P, NULL), a);
		char *ba = completed(b);
		assert_string_equal(ba, all);
		free(ba);
	}

	/* Associative: (x + y) + z == x + (y + z). */
	void *x = partial(0, 2), *y = partial(2, 3), *z = partial(3, N_SESSIONS);
	void *x2 = partial(0, 2), *y2 = partial(2, 3), *z2 = partial(3, N_SESSIONS);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), x, y), 0);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), x, z), 0);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), y2, z2), 0);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), x2, y2), 0);
	char *left = completed(x), *right = completed(x2);
	assert_string_equal(left, right);
	assert_string_equal(left, all);
	free(left);
	free(right);
	P->global_free(pd_ctx(P, NULL), y);
	P->global_free(pd_ctx(P, NULL), z);
	P->global_free(pd_ctx(P, NULL), y2);
	P->global_free(pd_ctx(P, NULL), z2);

	/* `from` is left unchanged. */
	void *into = partial(0, 1), *from = partial(1, N_SESSIONS);
	assert_int_equal(P->global_combine(pd_ctx(P, NULL), into, from), 0);
	P->global_free(pd_ctx(P, NULL), into);
	char *rest = completed(from), *rest2 = completed(partial(1, N_SESSIONS));
	assert_string_equal(rest, rest2);
	free(rest);
	free(rest2);
	free(all);
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
