/*
 * tests/unit/test_sdk_map.c: the SDK's hash map (bpass_map in
 * processors/sdk/bpass_sdk.h): int64 and string keys, zeroed new values,
 * positions after deletions, growth to many entries, string keys still right
 * after the arena is compacted, the saved form worked out by hand, save ->
 * load -> save byte for byte, and load rejecting truncated and misshapen
 * input (through the real state writer and reader).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "sdk_test.h"

struct flow {
	uint8_t proto;
	uint16_t port;
};

static struct saved save(const struct bpass_map *m)
{
	assert_int_equal(bpass_map_save(m, st_writer()), 0);
	return st_saved();
}

static int load(struct bpass_map *m, struct saved s)
{
	return bpass_map_load(m, st_reader(s.data, s.len));
}

static void test_i64(void **unused)
{
	(void)unused;
	struct bpass_map *m = bpass_map_new(BPASS_KEY_I64, sizeof(struct flow));
	assert_non_null(m);
	assert_null(bpass_map_get_i64(m, 7));
	struct flow *f = bpass_map_put_i64(m, 7);
	assert_non_null(f);
	assert_int_equal(f->proto, 0);   /* zeroed */
	f->proto = 6;
	f->port = 443;
	f = bpass_map_put_i64(m, -1);
	f->proto = 17;
	f = bpass_map_put_i64(m, INT64_MIN);
	f->proto = 1;
	assert_int_equal(bpass_map_count(m), 3);
	/* put of a present key gives its value, unchanged */
	f = bpass_map_put_i64(m, 7);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->port, 443);
	assert_int_equal(bpass_map_count(m), 3);
	assert_int_equal(((struct flow *)bpass_map_get_i64(m, -1))->proto, 17);
	/* positions are insertion order */
	assert_int_equal(bpass_map_key_i64(m, 0), 7);
	assert_int_equal(bpass_map_key_i64(m, 1), -1);
	assert_int_equal(bpass_map_key_i64(m, 2), INT64_MIN);
	assert_null(bpass_map_key_str(m, 0));
	/* deleting moves the last entry into the hole */
	assert_int_equal(bpass_map_del_i64(m, 7), 0);
	assert_int_equal(bpass_map_del_i64(m, 7), -1);
	assert_int_equal(bpass_map_count(m), 2);
	assert_int_equal(bpass_map_key_i64(m, 0), INT64_MIN);
	assert_int_equal(((struct flow *)bpass_map_value(m, 0))->proto, 1);
	assert_int_equal(bpass_map_key_i64(m, 1), -1);
	assert_null(bpass_map_get_i64(m, 7));
	assert_int_equal(((struct flow *)bpass_map_get_i64(m, INT64_MIN))->proto, 1);
	/* keys of the other type are refused */
	errno = 0;
	assert_null(bpass_map_put_str(m, "7"));
	assert_int_equal(errno, EINVAL);
	assert_null(bpass_map_get_str(m, "7"));
	assert_int_equal(bpass_map_del_str(m, "7"), -1);
	bpass_map_clear(m);
	assert_int_equal(bpass_map_count(m), 0);
	assert_null(bpass_map_get_i64(m, -1));
	bpass_map_free(m);
	bpass_map_free(NULL);
	assert_null(bpass_map_new(BPASS_KEY_DAY, 4));
	assert_null(bpass_map_new(BPASS_VAL_SUM, 4));
}

static void test_str(void **unused)
{
	(void)unused;
	struct bpass_map *m = bpass_map_new(BPASS_KEY_STR, sizeof(uint32_t));
	*(uint32_t *)bpass_map_put_str(m, "d80a91fad852ec49") = 0;
	*(uint32_t *)bpass_map_put_str(m, "6315897dcc4446c3") = 1;
	*(uint32_t *)bpass_map_put_str(m, "") = 2;
	*(uint32_t *)bpass_map_put_strn(m, "abc", 2) = 3;   /* "ab" */
	assert_int_equal(bpass_map_count(m), 4);
	assert_int_equal(*(uint32_t *)bpass_map_get_str(m, "6315897dcc4446c3"), 1);
	assert_int_equal(*(uint32_t *)bpass_map_get_str(m, ""), 2);
	assert_int_equal(*(uint32_t *)bpass_map_get_str(m, "ab"), 3);
	assert_null(bpass_map_get_str(m, "abc"));
	assert_null(bpass_map_get_str(m, "a"));
	assert_null(bpass_map_get_str(m, NULL));
	assert_null(bpass_map_put_str(m, NULL));
	assert_null(bpass_map_put_i64(m, 1));
	assert_string_equal(bpass_map_key_str(m, 3), "ab");
	assert_int_equal(bpass_map_del_strn(m, "abc", 3), -1);
	assert_int_equal(bpass_map_del_strn(m, "abc", 2), 0);
	assert_int_equal(bpass_map_del_str(m, "d80a91fad852ec49"), 0);
	assert_int_equal(bpass_map_count(m), 2);
	assert_string_equal(bpass_map_key_str(m, 0), "");
	assert_string_equal(bpass_map_key_str(m, 1), "6315897dcc4446c3");
	bpass_map_free(m);
}

/* 100,000 keys in, three in four out: the index grows, deletes shift
 * entries back, and string keys survive the arena's compaction (deleted
 * strings outweigh the live ones halfway through). */
static void test_many(void **unused)
{
	(void)unused;
	enum { N = 100000 };
	struct bpass_map *mi = bpass_map_new(BPASS_KEY_I64, sizeof(int64_t));
	struct bpass_map *ms = bpass_map_new(BPASS_KEY_STR, sizeof(int64_t));
	char key[32];
	for (int64_t i = 0; i < N; i++) {
		*(int64_t *)bpass_map_put_i64(mi, i * 7919) = i;
		snprintf(key, sizeof(key), "key-%lld", (long long)i);
		*(int64_t *)bpass_map_put_str(ms, key) = i;
	}
	for (int64_t i = 0; i < N; i++) {
		if (i % 4 == 1)
			continue;
		assert_int_equal(bpass_map_del_i64(mi, i * 7919), 0);
		snprintf(key, sizeof(key), "key-%lld", (long long)i);
		assert_int_equal(bpass_map_del_str(ms, key), 0);
	}
	assert_int_equal(bpass_map_count(mi), N / 4);
	assert_int_equal(bpass_map_count(ms), N / 4);
	for (int64_t i = 0; i < N; i++) {
		int64_t *v = bpass_map_get_i64(mi, i * 7919);
		snprintf(key, sizeof(key), "key-%lld", (long long)i);
		int64_t *w = bpass_map_get_str(ms, key);
		if (i % 4 == 1) {
			assert_non_null(v);
			assert_int_equal(*v, i);
			assert_non_null(w);
			assert_int_equal(*w, i);
		} else {
			assert_null(v);
			assert_null(w);
		}
	}
	/* Every position holds a live key whose value matches it. */
	for (size_t p = 0; p < bpass_map_count(ms); p++) {
		int64_t v = *(int64_t *)bpass_map_value(ms, p);
		snprintf(key, sizeof(key), "key-%lld", (long long)v);
		assert_string_equal(bpass_map_key_str(ms, p), key);
		assert_int_equal(bpass_map_key_i64(mi, p) % 7919, 0);
	}
	bpass_map_free(mi);
	bpass_map_free(ms);
}

/* The saved form, and save -> load -> save. */
static void test_saved(void **unused)
{
	(void)unused;
	struct bpass_map *m = bpass_map_new(BPASS_KEY_STR, 2);
	memcpy(bpass_map_put_str(m, "b"), "\x01\x02", 2);
	memcpy(bpass_map_put_str(m, "a"), "\x03\x04", 2);
	struct saved s = save(m);
	char *text = st_text(s.data, s.len);
	assert_string_equal(text, "[\"str\", 2, [\"b\", \"\\x01\\x02\", \"a\", \"\\x03\\x04\"]]\n");
	free(text);
	struct bpass_map *m2 = bpass_map_new(BPASS_KEY_STR, 2);
	bpass_map_put_str(m2, "zz");
	assert_int_equal(load(m2, s), 0);
	assert_int_equal(bpass_map_count(m2), 2);
	assert_string_equal(bpass_map_key_str(m2, 0), "b");
	assert_memory_equal(bpass_map_get_str(m2, "a"), "\x03\x04", 2);
	assert_null(bpass_map_get_str(m2, "zz"));
	struct saved s2 = save(m2);
	st_assert_same(s, s2);
	free(s.data);
	free(s2.data);

	struct bpass_map *mi = bpass_map_new(BPASS_KEY_I64, 0);   /* a set */
	bpass_map_put_i64(mi, 5);
	bpass_map_put_i64(mi, -300);
	s = save(mi);
	/* fixarray 3, fixstr "i64", 0, fixarray 4, 5, bin8 of 0 bytes, int16 -300,
	 * bin8 of 0 bytes (msgpack-c does not print empty binaries) */
	static const unsigned char want[] = {0x93, 0xa3, 'i', '6', '4', 0x00, 0x94, 0x05,
					     0xc4, 0x00, 0xd1, 0xfe, 0xd4, 0xc4, 0x00};
	assert_int_equal(s.len, sizeof(want));
	assert_memory_equal(s.data, want, sizeof(want));
	bpass_map_clear(mi);
	assert_int_equal(load(mi, s), 0);
	assert_non_null(bpass_map_get_i64(mi, -300));
	s2 = save(mi);
	st_assert_same(s, s2);
	free(s.data);
	free(s2.data);
	bpass_map_free(m);
	bpass_map_free(m2);
	bpass_map_free(mi);
}

static void expect_rejected(struct bpass_map *m, struct saved s, const char *what)
{
	bpass_map_put_i64(m, 99);
	errno = 0;
	if (load(m, s) != -1)
		fail_msg("%s was accepted", what);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(bpass_map_count(m), 0);
}

static void test_load_rejects(void **unused)
{
	(void)unused;
	struct bpass_map *m = bpass_map_new(BPASS_KEY_I64, 4);
	*(uint32_t *)bpass_map_put_i64(m, 1) = 10;
	*(uint32_t *)bpass_map_put_i64(m, 2) = 20;
	struct saved good = save(m);
	for (size_t n = 0; n < good.len; n++)
		expect_rejected(m, (struct saved){good.data, n}, "a prefix");
	struct bpass_writer *w;
	struct {
		const char *what;
		int k;  /* which change */
	} cases[] = {{"string keys", 0}, {"another value size", 1}, {"an odd array", 2},
		     {"a repeated key", 3}, {"a short value", 4}, {"a string key", 5},
		     {"four elements", 6}, {"a map", 7}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int k = cases[i].k;
		w = st_writer();
		if (k == 7) {
			w->map(w, 0);
		} else {
			w->array(w, k == 6 ? 4 : 3);
			w->str(w, k == 0 ? "str" : "i64", 3);
			w->u64(w, k == 1 ? 8 : 4);
			w->array(w, k == 2 ? 3 : 4);
			w->i64(w, 1);
			w->bin(w, "abcd", k == 4 ? 3 : 4);
			if (k == 5)
				w->str(w, "2", 1);
			else
				w->i64(w, k == 3 ? 1 : 2);
			if (k != 2)
				w->bin(w, "efgh", 4);
			if (k == 6)
				w->nil(w);
		}
		struct saved s = st_saved();
		expect_rejected(m, s, cases[i].what);
		free(s.data);
	}
	/* A string key with a NUL byte. */
	struct bpass_map *ms = bpass_map_new(BPASS_KEY_STR, 0);
	w = st_writer();
	w->array(w, 3);
	w->str(w, "str", 3);
	w->u64(w, 0);
	w->array(w, 2);
	w->str(w, "a\0b", 3);
	w->bin(w, "", 0);
	struct saved s = st_saved();
	assert_int_equal(load(ms, s), -1);
	free(s.data);
	/* The hand-written good form loads. */
	assert_int_equal(load(m, good), 0);
	assert_int_equal(*(uint32_t *)bpass_map_get_i64(m, 2), 20);
	free(good.data);
	bpass_map_free(m);
	bpass_map_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i64),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_saved),
		cmocka_unit_test(test_load_rejects),
	};
	return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
