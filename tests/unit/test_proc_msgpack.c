/*
 * tests/unit/test_proc_msgpack.c: the built-in processors' states through
 * the real msgpack writer and reader (state/), on values no workload gives:
 * extreme int64 times survive exactly, and random bytes never crash a load
 * (and what loads saves and loads again). Truncated and retyped states of a
 * real run are in test_proc_state.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "proc_driver.h"
#include "state_writer.h"

/* What sw holds must load as processor name's session state and save back
 * to the same bytes. */
static void check_exact(const char *name, struct state_writer *sw)
{
	assert_int_equal(state_writer_finish(sw), 0);
	const struct bpass_processor *p = pd_processor(name);
	struct buf back;
	buf_init(&back);
	assert_int_equal(pd_load(p, PD_SESSION, p->version, sw->sbuf.data, sw->sbuf.size, &back), 0);
	assert_int_equal(back.len, sw->sbuf.size);
	assert_memory_equal(back.data, sw->sbuf.data, back.len);
	buf_release(&back);
}

/* int64 limits as µs times, in availability and domains, survive msgpack */
static void test_extreme_times(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct bpass_writer *w = &sw.w;
	w->array(w, 4);
	w->boolean(w, true);
	w->i64(w, INT64_MIN);
	w->boolean(w, true);
	w->i64(w, INT64_MAX);
	check_exact("availability", &sw);

	state_writer_reset(&sw);
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
	check_exact("domains", &sw);
	state_writer_release(&sw);
}

static void test_random_bytes(void **unused)
{
	(void)unused;
	const char *env = getenv("PROC_SEED");
	uint32_t x = env ? (uint32_t)strtoul(env, NULL, 10) : 515u;
	printf("# test_random_bytes seed %u (set PROC_SEED to replay)\n", x);
	unsigned char buf[64];
	struct buf saved;
	buf_init(&saved);
	int loaded = 0;
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
		/* never crashes; what loads saves, and that loads again */
		for (const struct bpass_processor *const *p = processors_builtin; *p; p++) {
			if (!(*p)->session_new ||
			    pd_load(*p, PD_SESSION, (*p)->version, buf, len, &saved))
				continue;
			loaded++;
			assert_int_equal(pd_load(*p, PD_SESSION, (*p)->version, saved.data, saved.len,
						 NULL), 0);
		}
	}
	printf("# %d loads of random bytes succeeded\n", loaded);
	buf_release(&saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extreme_times),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
