/*
 * tests/unit/test_state_run.c: whole runs (harness_run) over a small index
 * built here update by update, with expected results worked out by hand
 * from the packet sizes below. Covers the sequence rules (resume after
 * last_seq, stop at a gap and report it, no update 0: not processed), the
 * sessions.csv and bytes_per_node tables, the saved state container, a re-run
 * with nothing new, a gap filled later, a damaged state file recomputed,
 * -w 0 and -w 1 giving the same files, --recompute, a saved part that
 * passes the checksum but cannot be read, and session ids at the ends of
 * int64.
 *
 * Sessions (node A = OWAAAAAAAAAAAA, node B = OWBBBBBBBBBBBB):
 *   A/1000000: seq 0 sizes {100, 200}, seq 1 {50}, seq 2 {}    -> 3 packets, 350 bytes
 *   A/2000000: seq 0 {10}, seq 2 {20} (1 missing)              -> stops after 0: 1 packet, 10 bytes
 *   B/3000000: seq 1 {7}, seq 2 {7} (no update 0)              -> not processed
 *   B/4000000: seq 0 {1000, 1}                                  -> 2 packets, 1001 bytes
 * bytes_per_node: A 360, B 1001.
 * Later: A/1000000 seq 3 {5}; A/2000000 seq 1 {30}:
 *   A/1000000 -> 4 packets, 355 bytes, last 3; A/2000000 -> 3 packets, 60 bytes, last 2;
 *   bytes_per_node: A 415, B 1001.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fixture.h"
#include "log.h"
#include "run.h"
#include "state_file.h"

#define A "OWAAAAAAAAAAAA"
#define B "OWBBBBBBBBBBBB"
#define CTX FX_CTX

static char dir[FX_PATH], idx[FX_PATH], st[FX_PATH];

static int setup(void **state)
{
	(void)state;
	return fx_scratch_run("state-run", dir, idx, st);
}

static int teardown(void **state)
{
	(void)state;
	return fx_remove(dir);
}

static void add_tarball(const char *name, const struct fx_update *u, size_t n)
{
	fx_add_tarball(idx, name, u, n);
}

/* ---- running and reading ---- */

static char errs[8192];

/* Runs with stderr captured into errs; returns the exit status. */
static int run(const char *select, int workers, const char *recompute, const char *name)
{
	struct run_options o = {
		.index_path = idx, .state_root = st, .run_name = name, .select = select,
		.workers = workers, .since_us = INT64_MIN, .until_us = INT64_MAX,
		.recompute = recompute,
	};
	log_set_quiet(true);
	fx_capture_begin();
	int rc = harness_run(&o);
	fx_capture_end(errs, sizeof(errs));
	return rc;
}

static char *slurp(const char *name, const char *file)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s/%s", st, name, file);
	struct buf b;
	buf_init(&b);
	if (state_file_read(path, &b) != 0) {
		buf_release(&b);
		return NULL;
	}
	return b.data;
}

static void expect_file(const char *name, const char *file, const char *want)
{
	char *got = slurp(name, file);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

#define HEAD "node_id,anonymization_context,session_id,last_sequence_number_processed," \
	     "updates_processed,packets,bytes,status,stale_reason\n"

static void test_first_run(void **unused)
{
	(void)unused;
	const struct fx_update first[] = {
		{A, 1000000, 0, "0 100 5\n10 200 5\n", 2},
		{A, 1000000, 1, "0 50 5\n", 1},
		{A, 1000000, 2, "", 0},
		{A, 2000000, 0, "0 10 5\n", 1},
		{A, 2000000, 2, "0 20 5\n", 1},
		{B, 3000000, 1, "0 7 5\n", 1},
		{B, 3000000, 2, "0 7 5\n", 1},
		{B, 4000000, 0, "0 1000 5\n3 1 5\n", 2},
	};
	add_tarball("t1.tar", first, sizeof(first) / sizeof(first[0]));
	assert_int_equal(run("byte-count", 0, NULL, "w0"), 0);
	expect_file("w0", "results/bytes_per_node.csv", "node_id,bytes\n" A ",360\n" B ",1001\n");
	expect_file("w0", "results/sessions.csv",
		    HEAD A "," CTX ",1000000,2,3,3,350,ok,\n" A "," CTX ",2000000,0,1,1,10,ok,\n" B
			   "," CTX ",4000000,0,1,2,1001,ok,\n");
	assert_non_null(strstr(errs, "bpass: warning: session " A "/" CTX "/2000000 stopped at missing update "
				     "1 (the index has updates up to 2)\n"));
	assert_non_null(strstr(errs, "bpass: warning: session " B "/" CTX "/3000000 has no update 0 (its "
				     "first is 1): not processed\n"));
	/* The saved container of A/1000000. */
	char *bytes = slurp("w0", A "_" CTX "_1000000.state");
	assert_non_null(bytes);
	char path[600];
	snprintf(path, sizeof(path), "%s/w0/" A "_" CTX "_1000000.state", st);
	struct buf raw, err;
	buf_init(&raw);
	buf_init(&err);
	assert_int_equal(state_file_read(path, &raw), 0);
	struct state_file sf;
	state_file_init(&sf);
	const struct bpass_session_key key = {A, CTX, 1000000};
	assert_int_equal(state_file_parse(&sf, raw.data, raw.len, &key, &err), 0);
	assert_int_equal(sf.n, 1);
	const struct state_entry *e = state_file_find(&sf, "byte-count");
	assert_non_null(e);
	assert_int_equal(e->version, 1);
	assert_int_equal(e->last_seq, 2);
	assert_int_equal(e->updates_processed, 3);
	/* [3, 350]: fixarray of 2, fixint 3, uint16 350 (0xcd 0x01 0x5e). */
	assert_int_equal(e->data_len, 5);
	assert_memory_equal(e->data, "\x92\x03\xcd\x01\x5e", 5);
	free(bytes);
	/* No state for the session without update 0. */
	assert_null(slurp("w0", B "_" CTX "_3000000.state"));

	/* The same with one worker process. */
	assert_int_equal(run("byte-count", 1, NULL, "w1"), 0);
	char *a = slurp("w0", "results/sessions.csv"), *b = slurp("w1", "results/sessions.csv");
	assert_string_equal(a, b);
	free(a);
	free(b);

	/* Nothing new: nothing processed, nothing rewritten, same tables. */
	struct buf before;
	buf_init(&before);
	assert_int_equal(state_file_read(path, &before), 0);
	assert_int_equal(run("byte-count", 0, NULL, "w0"), 0);
	assert_int_equal(state_file_read(path, &raw), 0);
	assert_int_equal(raw.len, before.len);
	assert_memory_equal(raw.data, before.data, raw.len);
	expect_file("w0", "results/bytes_per_node.csv", "node_id,bytes\n" A ",360\n" B ",1001\n");
	buf_release(&before);
	buf_release(&raw);
	buf_release(&err);
	state_file_release(&sf);
}

static void test_more_updates(void **unused)
{
	(void)unused;
	const struct fx_update second[] = {
		{A, 1000000, 3, "0 5 5\n", 1},
		{A, 2000000, 1, "0 30 5\n", 1},
	};
	add_tarball("t2.tar", second, 2);
	for (int w = 0; w <= 1; w++) {
		const char *name = w ? "w1" : "w0";
		assert_int_equal(run("byte-count", w, NULL, name), 0);
		expect_file(name, "results/bytes_per_node.csv",
			    "node_id,bytes\n" A ",415\n" B ",1001\n");
		expect_file(name, "results/sessions.csv",
			    HEAD A "," CTX ",1000000,3,4,4,355,ok,\n" A "," CTX ",2000000,2,3,3,60,ok,\n" B
				   "," CTX ",4000000,0,1,2,1001,ok,\n");
		assert_null(strstr(errs, "stopped at missing"));
	}
}

static void test_damaged_and_recompute(void **unused)
{
	(void)unused;
	/* Empty the state of B/4000000: a warning, then it is recomputed. */
	char path[600];
	snprintf(path, sizeof(path), "%s/w0/" B "_" CTX "_4000000.state", st);
	FILE *f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	assert_int_equal(run("byte-count", 0, NULL, "w0"), 0);
	char want[900];
	snprintf(want, sizeof(want), "bpass: warning: could not read state file \"%s\": truncated or not a "
		 "state file; recomputing session " B "/" CTX "/4000000\n", path);
	assert_non_null(strstr(errs, want));
	expect_file("w0", "results/bytes_per_node.csv", "node_id,bytes\n" A ",415\n" B ",1001\n");

	/* --recompute gives the same tables, and a run adding a processor keeps byte-count's part. */
	assert_int_equal(run("byte-count", 0, "", "w0"), 0);
	expect_file("w0", "results/bytes_per_node.csv", "node_id,bytes\n" A ",415\n" B ",1001\n");
	assert_int_equal(run("byte-count,availability", 0, NULL, "w0"), 0);
	char *s = slurp("w0", "results/sessions.csv");
	assert_non_null(strstr(s, ",packets,bytes,availability_lower_us,availability_upper_us,status,"
				  "stale_reason\n"));
	/* availability of A/1000000: lower = its first packet (1000000 µs), upper =
	 * the timestamp of update 3 (1 + 30 * 4 s = 121 s). */
	assert_non_null(strstr(s, A "," CTX ",1000000,3,4,4,355,1000000,121000000,ok,\n"));
	free(s);
}

/* A saved part that passes the checksum but that byte-count cannot read is
 * recomputed from update 0, with a warning, without failing the run (the
 * parent merged such a state straight from its file and failed the session
 * on every run). */
static void test_unreadable_part(void **unused)
{
	(void)unused;
	char path[600];
	snprintf(path, sizeof(path), "%s/w0/" A "_" CTX "_1000000.state", st);
	struct buf raw, err;
	buf_init(&raw);
	buf_init(&err);
	assert_int_equal(state_file_read(path, &raw), 0);
	struct state_file sf;
	state_file_init(&sf);
	const struct bpass_session_key key = {A, CTX, 1000000};
	assert_int_equal(state_file_parse(&sf, raw.data, raw.len, &key, &err), 0);
	struct state_writer sw;
	state_writer_init(&sw);
	state_file_begin(&sw, STATE_KIND_SESSION, &key, sf.n);
	for (uint32_t i = 0; i < sf.n; i++) {
		const struct state_entry *e = &sf.e[i];
		if (e->name_len == strlen("byte-count") && !memcmp(e->name, "byte-count", e->name_len))
			state_file_entry(&sw, "byte-count", e->version, e->last_seq, e->updates_processed,
					 "\xc1", 1);   /* a byte msgpack never uses */
		else
			state_file_entry_raw(&sw, e);
	}
	assert_int_equal(state_file_end(&sw), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(sw.sbuf.data, 1, sw.sbuf.size, f), sw.sbuf.size);
	fclose(f);
	assert_int_equal(run("byte-count,availability", 0, NULL, "w0"), 0);
	assert_non_null(strstr(errs, "bpass: warning: could not load the state of processor \"byte-count\" "
				     "saved for session " A "/" CTX "/1000000; recomputing it\n"));
	assert_null(strstr(errs, "error"));
	expect_file("w0", "results/bytes_per_node.csv", "node_id,bytes\n" A ",415\n" B ",1001\n");
	/* Then nothing to do. */
	assert_int_equal(run("byte-count,availability", 0, NULL, "w0"), 0);
	assert_null(strstr(errs, "could not load"));
	state_writer_release(&sw);
	state_file_release(&sf);
	buf_release(&raw);
	buf_release(&err);
}

/* Session ids at the ends of int64 are part of a run without --since or
 * --until (INT64_MAX was left out by the default bound). */
static void test_extreme_ids(void **unused)
{
	(void)unused;
	char other[FX_PATH + 20];
	snprintf(other, sizeof(other), "%s/extreme.sqlite", dir);
	const struct fx_update u[] = {
		{A, INT64_MAX, 0, "0 7 5\n", 1},
		{A, 5000000, 0, "0 1 5\n", 1},
	};
	fx_add_tarball(other, "t1.tar", u, 2);
	struct run_options o = {
		.index_path = other, .state_root = st, .run_name = "extreme", .select = "byte-count",
		.workers = 0, .since_us = INT64_MIN, .until_us = INT64_MAX,
	};
	log_set_quiet(true);
	fx_capture_begin();
	int rc = harness_run(&o);
	fx_capture_end(errs, sizeof(errs));
	assert_int_equal(rc, 0);
	expect_file("extreme", "results/bytes_per_node.csv", "node_id,bytes\n" A ",8\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_run),
		cmocka_unit_test(test_more_updates),
		cmocka_unit_test(test_damaged_and_recompute),
		cmocka_unit_test(test_unreadable_part),
		cmocka_unit_test(test_extreme_ids),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
