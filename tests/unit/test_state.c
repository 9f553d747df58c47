/*
 * tests/unit/test_state.c: the msgpack writer and reader behind
 * bpass_writer/bpass_reader (state/state_writer.h, state/state_reader.h):
 * the exact bytes of every type (msgpack spec encodings worked out by hand),
 * round trips, nesting read one value at a time, sticky errors, incomplete
 * containers, truncated and hostile input (huge announced lengths, deep
 * nesting), and reuse of one writer and reader for many values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "state_reader.h"
#include "state_writer.h"

static void expect_bytes(const struct state_writer *sw, const unsigned char *want, size_t n)
{
	assert_int_equal(sw->sbuf.size, n);
	assert_memory_equal(sw->sbuf.data, want, n);
}

/* Every writer call produces the msgpack encoding the spec prescribes. */
static void test_writer_bytes(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct bpass_writer *w = &sw.w;

	w->nil(w);
	w->boolean(w, true);
	w->boolean(w, false);
	expect_bytes(&sw, (const unsigned char[]){0xc0, 0xc3, 0xc2}, 3);

	state_writer_reset(&sw);
	w->i64(w, 0);            /* positive fixint */
	w->i64(w, 127);
	w->i64(w, -1);           /* negative fixint */
	w->i64(w, -32);
	w->i64(w, -33);          /* int8 */
	w->i64(w, 128);          /* uint8 */
	w->i64(w, 65536);        /* uint32 */
	w->i64(w, INT64_MIN);    /* int64 */
	expect_bytes(&sw, (const unsigned char[]){0x00, 0x7f, 0xff, 0xe0, 0xd0, 0xdf, 0xcc, 0x80,
						  0xce, 0x00, 0x01, 0x00, 0x00, 0xd3, 0x80, 0, 0,
						  0, 0, 0, 0, 0},
		     22);

	state_writer_reset(&sw);
	w->u64(w, UINT64_MAX);
	w->f64(w, 1.5);          /* float64: 0x3ff8000000000000 */
	expect_bytes(&sw, (const unsigned char[]){0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						  0xff, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0},
		     18);

	state_writer_reset(&sw);
	w->str(w, "abc", 3);     /* fixstr */
	w->bin(w, "\x00\x01", 2);/* bin8 */
	w->str(w, "", 0);
	expect_bytes(&sw, (const unsigned char[]){0xa3, 'a', 'b', 'c', 0xc4, 0x02, 0x00, 0x01, 0xa0},
		     9);

	state_writer_reset(&sw);
	w->array(w, 2);          /* fixarray */
	w->i64(w, 1);
	w->map(w, 1);            /* fixmap */
	w->str(w, "k", 1);
	w->nil(w);
	w->array(w, 16);         /* array16 */
	for (int i = 0; i < 16; i++)
		w->i64(w, i);
	assert_int_equal(state_writer_finish(&sw), 0);
	assert_int_equal(sw.sbuf.size, 1 + 1 + 1 + 2 + 1 + 3 + 16);
	assert_int_equal((unsigned char)sw.sbuf.data[0], 0x92);
	assert_int_equal((unsigned char)sw.sbuf.data[2], 0x81);
	assert_int_equal((unsigned char)sw.sbuf.data[6], 0xdc);
	assert_int_equal((unsigned char)sw.sbuf.data[7], 0x00);
	assert_int_equal((unsigned char)sw.sbuf.data[8], 16);

	/* A 40-byte string takes the str8 form. */
	state_writer_reset(&sw);
	char s40[40];
	memset(s40, 'x', sizeof(s40));
	w->str(w, s40, sizeof(s40));
	assert_int_equal(sw.sbuf.size, 42);
	assert_int_equal((unsigned char)sw.sbuf.data[0], 0xd9);
	assert_int_equal((unsigned char)sw.sbuf.data[1], 40);
	state_writer_release(&sw);
}

/* Values of every type come back in order, with nesting read flat. */
static void test_round_trip(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct bpass_writer *w = &sw.w;
	w->map(w, 2);
	w->str(w, "list", 4);
	w->array(w, 3);
	w->i64(w, -5);
	w->u64(w, 1ULL << 63);
	w->f64(w, -0.25);
	w->str(w, "nested", 6);
	w->array(w, 2);
	w->array(w, 0);
	w->map(w, 1);
	w->bin(w, "\xff", 1);
	w->boolean(w, true);
	w->nil(w);                                   /* a second top-level value */
	assert_int_equal(state_writer_finish(&sw), 0);

	struct state_reader sr;
	state_reader_init(&sr);
	state_reader_reset(&sr, sw.sbuf.data, sw.sbuf.size);
	struct bpass_reader *r = &sr.r;
	uint32_t n;
	const char *s;
	const void *p;
	size_t len;
	int64_t i;
	uint64_t u;
	double f;
	bool b;
	assert_int_equal(r->map(r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r->str(r, &s, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "list", 4);
	assert_int_equal(r->array(r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r->i64(r, &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(r->u64(r, &u), 0);
	assert_true(u == 1ULL << 63);
	assert_false(r->at_end(r));
	assert_int_equal(r->f64(r, &f), 0);
	assert_true(f == -0.25);
	assert_int_equal(r->str(r, &s, &len), 0);
	assert_memory_equal(s, "nested", 6);
	assert_int_equal(r->array(r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r->array(r, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(r->map(r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r->bin(r, &p, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(*(const unsigned char *)p, 0xff);
	assert_int_equal(r->boolean(r, &b), 0);
	assert_true(b);
	assert_false(r->at_end(r));
	assert_int_equal(r->nil(r), 0);
	assert_true(r->at_end(r));
	/* Past the end: an error, and it sticks. */
	assert_int_equal(r->nil(r), -1);
	assert_true(sr.failed);

	/* Reused for another input: the error is cleared. */
	state_reader_reset(&sr, "\x05", 1);
	assert_int_equal(r->i64(r, &i), 0);
	assert_int_equal(i, 5);
	assert_true(r->at_end(r));
	state_reader_release(&sr);
	state_writer_release(&sw);
}

/* Conversions the contract allows, and those it refuses. */
static void test_reader_types(void **unused)
{
	(void)unused;
	struct state_reader sr;
	state_reader_init(&sr);
	struct bpass_reader *r = &sr.r;
	int64_t i;
	uint64_t u;
	double f;
	const char *s;
	size_t len;

	/* f64 accepts integers; i64 accepts a positive integer that fits. */
	state_reader_reset(&sr, "\x07\xff\x2a", 3);
	assert_int_equal(r->f64(r, &f), 0);
	assert_true(f == 7.0);
	assert_int_equal(r->f64(r, &f), 0);
	assert_true(f == -1.0);
	assert_int_equal(r->i64(r, &i), 0);
	assert_int_equal(i, 42);

	/* u64 refuses a negative integer; then everything fails. */
	state_reader_reset(&sr, "\xff\x01", 2);
	assert_int_equal(r->u64(r, &u), -1);
	assert_int_equal(r->i64(r, &i), -1);
	assert_true(sr.failed);

	/* i64 refuses an integer above INT64_MAX. */
	state_reader_reset(&sr, "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9);
	assert_int_equal(r->i64(r, &i), -1);

	/* A string is not a binary, nor the other way round. */
	state_reader_reset(&sr, "\xa1x", 2);
	assert_int_equal(r->bin(r, (const void **)&s, &len), -1);
	state_reader_reset(&sr, "\xc4\x01x", 3);
	assert_int_equal(r->str(r, &s, &len), -1);

	/* A float32 reads as f64. 0x3fc00000 is 1.5f. */
	state_reader_reset(&sr, "\xca\x3f\xc0\x00\x00", 5);
	assert_int_equal(r->f64(r, &f), 0);
	assert_true(f == 1.5);

	/* Empty input: at the end, and reading fails. */
	state_reader_reset(&sr, "", 0);
	assert_true(r->at_end(r));
	assert_int_equal(r->nil(r), -1);
	state_reader_release(&sr);
}

/* The writer notices containers given fewer values than announced. */
static void test_writer_incomplete(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct bpass_writer *w = &sw.w;
	w->array(w, 3);
	w->i64(w, 1);
	w->i64(w, 2);
	assert_int_equal(state_writer_finish(&sw), -1);
	assert_non_null(sw.error);
	w->i64(w, 3);               /* now complete, but the error sticks */
	assert_int_equal(state_writer_finish(&sw), -1);
	state_writer_reset(&sw);
	w->map(w, 1);
	w->str(w, "k", 1);
	assert_int_equal(state_writer_finish(&sw), -1);
	state_writer_reset(&sw);
	w->map(w, 1);
	w->str(w, "k", 1);
	w->array(w, 1);
	w->nil(w);
	assert_int_equal(state_writer_finish(&sw), 0);
	state_writer_release(&sw);
}

/* Nesting is limited to what msgpack-c can read back. */
static void test_depth(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct bpass_writer *w = &sw.w;
	for (int i = 0; i < STATE_WRITER_MAX_DEPTH; i++)
		w->array(w, 1);
	w->nil(w);
	assert_int_equal(state_writer_finish(&sw), 0);
	struct state_reader sr;
	state_reader_init(&sr);
	state_reader_reset(&sr, sw.sbuf.data, sw.sbuf.size);
	uint32_t n;
	for (int i = 0; i < STATE_WRITER_MAX_DEPTH; i++)
		assert_int_equal(sr.r.array(&sr.r, &n), 0);
	assert_int_equal(sr.r.nil(&sr.r), 0);
	assert_true(sr.r.at_end(&sr.r));

	/* One more level is refused by the writer... */
	state_writer_reset(&sw);
	for (int i = 0; i <= STATE_WRITER_MAX_DEPTH; i++)
		w->array(w, 1);
	w->nil(w);
	assert_int_equal(state_writer_finish(&sw), -1);

	/* ...and by the reader's scan, given such bytes by hand. */
	unsigned char deep[40];
	memset(deep, 0x91, 33);
	deep[33] = 0xc0;
	assert_int_equal(state_reader_scan(deep, 34), 0);
	assert_int_equal(state_reader_scan(deep + 1, 33), 33);
	state_reader_reset(&sr, deep, 34);
	assert_int_equal(sr.r.array(&sr.r, &n), -1);
	state_reader_release(&sr);
	state_writer_release(&sw);
}

/* Every truncation of a valid stream fails cleanly; values before the cut still read. */
static void test_truncated(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct bpass_writer *w = &sw.w;
	w->i64(w, 7);                           /* 1 byte */
	w->array(w, 3);
	w->str(w, "hello world", 11);
	w->u64(w, 1ULL << 40);
	w->map(w, 1);
	w->bin(w, "abcdef", 6);
	w->f64(w, 2.5);
	assert_int_equal(state_writer_finish(&sw), 0);
	size_t full = sw.sbuf.size;
	struct state_reader sr;
	state_reader_init(&sr);
	for (size_t cut = 0; cut < full; cut++) {
		state_reader_reset(&sr, sw.sbuf.data, cut);
		int64_t i;
		uint32_t n;
		const char *s;
		size_t len;
		uint64_t u;
		const void *p;
		double f;
		int rc = sr.r.i64(&sr.r, &i);
		assert_int_equal(rc, cut >= 1 ? 0 : -1);
		rc = sr.r.array(&sr.r, &n) || sr.r.str(&sr.r, &s, &len) || sr.r.u64(&sr.r, &u) ||
		     sr.r.map(&sr.r, &n) || sr.r.bin(&sr.r, &p, &len) || sr.r.f64(&sr.r, &f);
		assert_int_equal(rc, 1);
		assert_true(sr.failed);
		assert_false(sr.r.at_end(&sr.r) && cut > 1);
	}
	state_reader_release(&sr);
	state_writer_release(&sw);
}

/* Lengths larger than the input are refused before msgpack-c allocates. */
static void test_hostile(void **unused)
{
	(void)unused;
	struct state_reader sr;
	state_reader_init(&sr);
	uint32_t n;
	/* array32 of 2^32-1 elements, map32 of 2^32-1 pairs, str32 of 4 GiB */
	static const unsigned char big_array[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0};
	static const unsigned char big_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0};
	static const unsigned char big_str[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
	assert_int_equal(state_reader_scan(big_array, sizeof(big_array)), 0);
	assert_int_equal(state_reader_scan(big_map, sizeof(big_map)), 0);
	assert_int_equal(state_reader_scan(big_str, sizeof(big_str)), 0);
	state_reader_reset(&sr, big_array, sizeof(big_array));
	assert_int_equal(sr.r.array(&sr.r, &n), -1);
	/* Nested containers whose counts only add up to too much. */
	static const unsigned char sum[] = {0x92, 0x93, 0xc0, 0xc0, 0xc0, 0x93, 0xc0, 0xc0};
	assert_int_equal(state_reader_scan(sum, sizeof(sum)), 0);
	/* The never-used byte 0xc1. */
	assert_int_equal(state_reader_scan("\x01\xc1", 2), 1);
	/* A complete value then garbage: the first reads, then the reader fails. */
	state_reader_reset(&sr, "\x01\xc1", 2);
	int64_t i;
	assert_int_equal(sr.r.i64(&sr.r, &i), 0);
	assert_false(sr.r.at_end(&sr.r));
	assert_int_equal(sr.r.i64(&sr.r, &i), -1);
	/* Every byte value as a one-byte input never crashes. */
	for (int c = 0; c < 256; c++) {
		unsigned char b = (unsigned char)c;
		state_reader_reset(&sr, &b, 1);
		const msgpack_object *o = state_reader_next(&sr);
		bool complete = c <= 0xc0 ? !(c >= 0x81 && c <= 0x8f) && !(c >= 0x91 && c <= 0x9f) &&
						 !(c >= 0xa1 && c <= 0xbf)
					  : c == 0xc2 || c == 0xc3 || c >= 0xe0;
		assert_int_equal(o != NULL, complete);
	}
	state_reader_release(&sr);
}

/* One writer and one reader serve many values without growing again. */
static void test_reuse(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct state_reader sr;
	state_reader_init(&sr);
	size_t cap = 0;
	for (int round = 0; round < 200; round++) {
		state_writer_reset(&sw);
		sw.w.array(&sw.w, 100);
		for (int i = 0; i < 100; i++)
			sw.w.i64(&sw.w, round * 1000 + i);
		assert_int_equal(state_writer_finish(&sw), 0);
		if (round == 1)
			cap = sw.sbuf.alloc;
		if (round > 1)
			assert_int_equal(sw.sbuf.alloc, cap);
		state_reader_reset(&sr, sw.sbuf.data, sw.sbuf.size);
		uint32_t n;
		assert_int_equal(sr.r.array(&sr.r, &n), 0);
		assert_int_equal(n, 100);
		for (int i = 0; i < 100; i++) {
			int64_t v;
			assert_int_equal(sr.r.i64(&sr.r, &v), 0);
			assert_int_equal(v, round * 1000 + i);
		}
		assert_true(sr.r.at_end(&sr.r));
	}
	state_reader_release(&sr);
	state_writer_release(&sw);
}

/* Non-finite doubles survive the round trip bit for bit. */
static void test_doubles(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	const double v[] = {0.1, -0.0, 1e308, 5e-324, INFINITY, -INFINITY};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		sw.w.f64(&sw.w, v[i]);
	sw.w.f64(&sw.w, NAN);
	struct state_reader sr;
	state_reader_init(&sr);
	state_reader_reset(&sr, sw.sbuf.data, sw.sbuf.size);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		double d;
		assert_int_equal(sr.r.f64(&sr.r, &d), 0);
		assert_memory_equal(&d, &v[i], sizeof(d));
	}
	double d;
	assert_int_equal(sr.r.f64(&sr.r, &d), 0);
	assert_true(isnan(d));
	state_reader_release(&sr);
	state_writer_release(&sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_reader_types),
		cmocka_unit_test(test_writer_incomplete),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_doubles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
