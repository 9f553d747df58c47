/*
 * tests/unit/test_proc_msgpack.c: the built-in processors' states through
 * the real msgpack writer and reader (state/): every state of a mixed
 * workload re-encoded as msgpack loads back into a state that saves the same
 * values; extreme int64 times survive exactly; every truncation of the bytes
 * and bytes that are not msgpack are rejected; random bytes never crash a
 * load (and what loads saves and loads again).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_driver.h"
#include "state_reader.h"
#include "state_writer.h"

static const char *const names[] = {"flows", "addresses", "domains", "whitelisted-domains",
				    "flow-domains", "update-statistics", "availability",
				    "throughput", NULL};

/* Loads data[0..len) as processor p's state; on success also checks that
 * it saves and loads again. Returns load's result. */
static int load_bytes(const struct bpass_processor *p, const void *data, size_t len,
		      struct pd_blob *out)
{
	static const struct bpass_session_key key = {"N1", PD_CONTEXT, 1};
	struct state_reader sr;
	state_reader_init(&sr);
	state_reader_reset(&sr, data, len);
	void *st = p->session_new(pd_ctx(p, &key));
	int rc = p->load(pd_ctx(p, NULL), st, p->version, &sr.r);
	if (rc == 0) {
		struct pd_blob *b = out ? out : pd_blob_new();
		assert_int_equal(p->save(pd_ctx(p, NULL), st, pd_blob_writer(b)), 0);
		void *again = p->session_new(pd_ctx(p, &key));
		assert_int_equal(p->load(pd_ctx(p, NULL), again, p->version, pd_blob_reader(b)), 0);
		p->session_free(pd_ctx(p, NULL), again);
		if (!out)
			pd_blob_free(b);
	}
	p->session_free(pd_ctx(p, NULL), st);
	state_reader_release(&sr);
	return rc;
}

static void encode(const struct pd_blob *b, struct state_writer *sw)
{
	state_writer_reset(sw);
	pd_blob_replay(b, &sw->w);
	assert_int_equal(state_writer_finish(sw), 0);
}

static const struct pd_text workload[] = {
	{.intro = "N1 1 0 1337104830", .whitelist = "google.com\n", .pcap = "10 3 1",
	 .packets = "1337104801000000 0\n0 90 100\n1000000 1500 7\n",
	 .flows = "0 1 0 0\n7 1 c3 1 e5 6 40000 443\n",
	 .dns_a = "0 0\n0 0 0 www.google.com e5 300\n0 0 1 h1 e6 60\n",
	 .cname = "0 0 0 alias.google.com 0 www.google.com 120\n",
	 .addresses = "0 256\n0000000000cc c3\n"},
	{.intro = "N1 1 1 1337104860", .packets = "1337104831000000 0\n0 100 7\n-20 60 9\n",
	 .flows = "1337104830 3 0 0\n9 1 c3 1 e6 17 5000 53\n"},
};

static void test_roundtrip_and_truncation(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(NULL);
	for (size_t i = 0; i < sizeof(workload) / sizeof(workload[0]); i++)
		assert_int_equal(pd_feed_parts(d, &workload[i]), 0);
	assert_int_equal(pd_end_run(d, NULL), 0);
	struct state_writer sw;
	state_writer_init(&sw);
	for (const char *const *n = names; *n; n++) {
		const struct bpass_processor *p = pd_processor(*n);
		const struct pd_blob *good = pd_saved_blob(d, 0, *n);
		encode(good, &sw);
		struct pd_blob *back = pd_blob_new();
		assert_int_equal(load_bytes(p, sw.sbuf.data, sw.sbuf.size, back), 0);
		assert_true(pd_blob_equal(good, back));
		pd_blob_free(back);
		for (size_t cut = 0; cut < sw.sbuf.size; cut++)
			if (load_bytes(p, sw.sbuf.data, cut, NULL) != -1)
				fail_msg("%s: the first %zu of %zu bytes loaded", *n, cut, sw.sbuf.size);
		assert_int_equal(load_bytes(p, "not msgpack at all", 18, NULL), -1);
		assert_int_equal(load_bytes(p, "\xc1\xc1\xc1", 3, NULL), -1);
	}
	state_writer_release(&sw);
	pd_free(d);
}

/* int64 limits as µs times, in availability and domains, survive msgpack */
static void test_extreme_times(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct pd_blob *b = pd_blob_new(), *back = pd_blob_new();
	struct bpass_writer *w = pd_blob_writer(b);
	w->array(w, 4);
	w->boolean(w, true);
	w->i64(w, INT64_MIN);
	w->boolean(w, true);
	w->i64(w, INT64_MAX);
	encode(b, &sw);
	assert_int_equal(load_bytes(pd_processor("availability"), sw.sbuf.data, sw.sbuf.size, back), 0);
	assert_true(pd_blob_equal(b, back));
	pd_blob_free(b);
	pd_blob_free(back);

	b = pd_blob_new();
	back = pd_blob_new();
	w = pd_blob_writer(b);
	w->array(w, 5);
	w->boolean(w, true);
	w->i64(w, INT64_MIN + 1);
	w->array(w, 1);
	w->array(w, 3);
	w->u64(w, 255);
	w->str(w, "e1", 2);
	w->array(w, 1);
	w->array(w, 4);
	w->u64(w, 1);
	w->str(w, "d", 1);
	w->i64(w, INT64_MIN);
	w->i64(w, INT64_MAX);
	w->array(w, 1);
	w->array(w, 4);
	w->u64(w, 255);
	w->u64(w, 1);
	w->str(w, "d", 1);
	w->array(w, 1);
	w->array(w, 3);
	w->str(w, "e1", 2);
	w->i64(w, INT32_MIN);
	w->i64(w, INT64_MAX);
	w->array(w, 0);
	encode(b, &sw);
	assert_int_equal(load_bytes(pd_processor("domains"), sw.sbuf.data, sw.sbuf.size, back), 0);
	assert_true(pd_blob_equal(b, back));
	pd_blob_free(b);
	pd_blob_free(back);
	state_writer_release(&sw);
}

static void test_random_bytes(void **unused)
{
	(void)unused;
	const char *env = getenv("PROC_SEED");
	uint32_t x = env ? (uint32_t)strtoul(env, NULL, 10) : 515u;
	printf("# test_random_bytes seed %u (set PROC_SEED to replay)\n", x);
	unsigned char buf[64];
	for (int round = 0; round < 2000; round++) {
		size_t len = 0;
		x = x * 1103515245u + 12345u;
		size_t want = (x >> 8) % sizeof(buf);
		/* mostly array headers and small ints, so loads get somewhere */
		static const unsigned char pick[] = {0x91, 0x92, 0x93, 0x94, 0x95, 0x98, 0x9d, 0x00,
						     0x01, 0x07, 0xff, 0xc3, 0xc2, 0xa2, 0x61, 0x62,
						     0xd3, 0xcf, 0xc0, 0x90};
		while (len < want) {
			x = x * 1103515245u + 12345u;
			buf[len++] = (x >> 24) & 1 ? pick[(x >> 8) % sizeof(pick)] : (unsigned char)(x >> 16);
		}
		for (const char *const *n = names; *n; n++)
			load_bytes(pd_processor(*n), buf, len, NULL);  /* never crashes */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_truncation),
		cmocka_unit_test(test_extreme_times),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
