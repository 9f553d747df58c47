/*
 * tests/unit/test_sdk_vec.c: the SDK's growable vector (bpass_vec in
 * processors/sdk/bpass_sdk.h): zeroed pushes, growth keeping the elements,
 * reserve and clear, the saved form worked out by hand, save -> load -> save
 * byte for byte, and load rejecting another element size, a partial element,
 * truncated and misshapen input (through the real state writer and reader).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "sdk_test.h"

struct sample {
	int32_t t;
	uint16_t size;
	uint16_t pad;
};

static struct saved save(const struct bpass_vec *v)
{
	assert_int_equal(bpass_vec_save(v, st_writer()), 0);
	return st_saved();
}

static int load(struct bpass_vec *v, struct saved s)
{
	return bpass_vec_load(v, st_reader(s.data, s.len));
}

static void test_push(void **unused)
{
	(void)unused;
	struct bpass_vec v = BPASS_VEC_INIT(struct sample);
	assert_null(v.data);
	for (int i = 0; i < 1000; i++) {
		struct sample *s = bpass_vec_push(&v);
		assert_non_null(s);
		assert_int_equal(s->t, 0);
		s->t = i;
		s->size = (uint16_t)(i * 3);
	}
	assert_int_equal(v.n, 1000);
	assert_true(v.cap >= 1000);
	for (int i = 0; i < 1000; i++) {
		const struct sample *s = bpass_vec_at(&v, (size_t)i);
		assert_int_equal(s->t, i);
		assert_int_equal(s->size, i * 3);
	}
	size_t cap = v.cap;
	bpass_vec_clear(&v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.cap, cap);
	assert_int_equal(bpass_vec_reserve(&v, 5000), 0);
	assert_true(v.cap >= 5000);
	assert_int_equal(bpass_vec_reserve(&v, 0), 0);
	bpass_vec_release(&v);
	assert_null(v.data);
	assert_int_equal(v.elem_size, sizeof(struct sample));
	/* An element size of 0 cannot hold anything. */
	struct bpass_vec z;
	bpass_vec_init(&z, 0);
	errno = 0;
	assert_null(bpass_vec_push(&z));
	assert_int_equal(errno, EINVAL);
	bpass_vec_release(&z);
}

static void test_saved(void **unused)
{
	(void)unused;
	struct bpass_vec v = BPASS_VEC_INIT(uint16_t);
	*(uint16_t *)bpass_vec_push(&v) = 0x0201;
	*(uint16_t *)bpass_vec_push(&v) = 0x0403;
	struct saved s = save(&v);
	/* fixarray 2, 2, bin8 of 4 bytes: the elements in host order */
	unsigned char want[] = {0x92, 0x02, 0xc4, 0x04, 0, 0, 0, 0};
	memcpy(want + 4, v.data, 4);
	assert_int_equal(s.len, sizeof(want));
	assert_memory_equal(s.data, want, sizeof(want));

	struct bpass_vec w = BPASS_VEC_INIT(uint16_t);
	*(uint16_t *)bpass_vec_push(&w) = 9;
	assert_int_equal(load(&w, s), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(*(uint16_t *)bpass_vec_at(&w, 1), 0x0403);
	struct saved s2 = save(&w);
	st_assert_same(s, s2);
	free(s2.data);

	/* The empty vector. */
	bpass_vec_release(&w);
	s2 = save(&w);
	assert_int_equal(load(&v, s2), 0);
	assert_int_equal(v.n, 0);
	free(s2.data);

	/* Every prefix, and the wrong shapes, are refused and leave it empty. */
	for (size_t n = 0; n < s.len; n++) {
		*(uint16_t *)bpass_vec_push(&w) = 1;
		if (load(&w, (struct saved){s.data, n}) != -1)
			fail_msg("a prefix of %zu bytes was accepted", n);
		assert_int_equal(w.n, 0);
	}
	for (int k = 0; k < 5; k++) {
		struct bpass_writer *wr = st_writer();
		wr->array(wr, k == 3 ? 3 : 2);
		wr->u64(wr, k == 0 ? 4 : 2);           /* 0: another element size */
		if (k == 2)
			wr->str(wr, "abcd", 4);         /* 2: not a binary */
		else
			wr->bin(wr, "abc", k == 1 ? 3 : 4); /* 1: a partial element */
		if (k == 3)
			wr->nil(wr);                    /* 3: three values */
		if (k == 4) {
			free(st_saved().data);
			wr = st_writer();
			wr->map(wr, 0);                 /* 4: a map */
		}
		struct saved bad = st_saved();
		*(uint16_t *)bpass_vec_push(&w) = 1;
		errno = 0;
		if (load(&w, bad) != -1)
			fail_msg("case %d was accepted", k);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(w.n, 0);
		free(bad.data);
	}
	free(s.data);
	bpass_vec_release(&v);
	bpass_vec_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_saved),
	};
	return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
