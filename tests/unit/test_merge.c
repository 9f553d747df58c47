/*
 * tests/unit/test_merge.c: the parent's global result (harness/merge.h),
 * written through the real result tables writer (harness/results.h) into
 * a scratch folder. Processors: the built-in byte-count and "probe",
 * defined here, whose session state is one integer and whose ephemeral
 * state is another; it sums both, adds the figures probe_value (and
 * probe_eph when it got an ephemeral state), refuses to load the value
 * 666 and to merge the value 13.
 *
 * Checked: sessions.csv (fixed columns, each processor's columns in run
 * order, last_sequence_number_processed and updates_processed the lowest
 * over processors, empty cells where a session lacks a figure, rows sorted
 * by key whatever the order of arrival), the processors' tables, the
 * ephemeral states reaching merge by processor name; containers refused
 * (another session's, a missing part) and processors that cannot merge a
 * session (a load or merge that fails: the session stale) with their
 * messages; a saved state whose part is declined handed back to be
 * recomputed and merged into that processor only; the cached global result
 * (merge_save, merge_load_cache) writing the same tables, and caches
 * refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "log.h"
#include "merge.h"
#include "registry.h"
#include "results.h"
#include "state_file.h"

#define CTX FX_CTX

static char dir[256], errs[8192];

static int setup(void **state)
{
	(void)state;
	unsetenv("BPASS_PLUGIN_PATH");
	log_set_quiet(true);
	return fx_scratch("merge", dir, sizeof(dir));
}

static int teardown(void **state)
{
	(void)state;
	return fx_remove(dir);
}

/* ---------------------------------------------------------------------------
 * The probe processor
 */

struct probe_global {
	uint64_t total, eph_total, sessions;
};

static void *probe_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(uint64_t));
}

static int probe_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		      struct bpass_reader *r)
{
	(void)ctx;
	(void)saved_version;
	return r->u64(r, state) || *(uint64_t *)state == 666 ? -1 : 0;
}

static int probe_eph_load(struct bpass_ctx *ctx, void *eph, struct bpass_reader *r)
{
	(void)ctx;
	return r->u64(r, eph);
}

static int probe_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
			 struct bpass_figures *f)
{
	(void)ctx;
	f->add(f, "probe_value", (int64_t)*(const uint64_t *)state);
	if (eph)
		f->add(f, "probe_eph", (int64_t)*(const uint64_t *)eph);
	return 0;
}

static void *probe_global_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct probe_global));
}

static int probe_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	(void)ctx;
	struct probe_global *g = global;
	uint64_t v = *(const uint64_t *)state;
	if (v == 13)
		return -1;
	g->total += v;
	g->eph_total += eph ? *(const uint64_t *)eph : 0;
	g->sessions++;
	return 0;
}

static int probe_global_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct probe_global *g = global;
	w->array(w, 3);
	w->u64(w, g->total);
	w->u64(w, g->eph_total);
	w->u64(w, g->sessions);
	return 0;
}

static int probe_global_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
			     struct bpass_reader *r)
{
	(void)ctx;
	(void)saved_version;
	struct probe_global *g = global;
	uint32_t n;
	return r->array(r, &n) || n != 3 || r->u64(r, &g->total) || r->u64(r, &g->eph_total) ||
	       r->u64(r, &g->sessions) ? -1 : 0;
}

static int probe_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct probe_global *g = global;
	static const char *const cols[] = {"total", "eph_total", "sessions", NULL};
	struct bpass_table *t = res->table(res, "probe", cols);
	if (!t)
		return -1;
	res->u64(t, g->total);
	res->u64(t, g->eph_total);
	res->u64(t, g->sessions);
	return res->row_end(t) || res->close(t) ? -1 : 0;
}

static void probe_free(struct bpass_ctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static const struct bpass_processor probe = {
	BPASS_PROCESSOR_HEADER,
	.name = "probe",
	.version = 1,
	.description = "test: sums its session and ephemeral values",
	.session_new = probe_new,
	.session_free = probe_free,
	.ephemeral_new = probe_new,
	.ephemeral_free = probe_free,
	.load = probe_load,
	.ephemeral_load = probe_eph_load,
	.session_figures = probe_figures,
	.global_new = probe_global_new,
	.global_free = probe_free,
	.merge = probe_merge,
	.global_save = probe_global_save,
	.global_load = probe_global_load,
	.write_results = probe_write,
};

/* ---------------------------------------------------------------------------
 * Helpers
 */

struct fixture {
	struct registry reg;
	const struct bpass_processor *procs[2];   /* byte-count, probe */
	struct merge m;
	struct state_writer sw, data;
};

static void fixture_init(struct fixture *f)
{
	registry_init(&f->reg);
	assert_int_equal(registry_setup(&f->reg, NULL, 0), 0);
	f->procs[0] = &registry_find(&f->reg, "byte-count")->p;
	f->procs[1] = &probe;
	assert_int_equal(merge_init(&f->m, f->procs, 2, NULL), 0);
	state_writer_init(&f->sw);
	state_writer_init(&f->data);
}

static void fixture_release(struct fixture *f)
{
	merge_release(&f->m);
	registry_release(&f->reg);
	state_writer_release(&f->sw);
	state_writer_release(&f->data);
}

/* A container for key: byte-count [packets, bytes] up to bc_last over
 * bc_updates updates, and probe's value up to probe_last (no probe part
 * when probe_last < -1). Valid until the next call. */
static void container(struct fixture *f, const struct bpass_session_key *key, uint64_t packets,
		      uint64_t bytes, int32_t bc_last, uint64_t bc_updates, uint64_t value,
		      int32_t probe_last)
{
	state_writer_reset(&f->sw);
	state_file_begin(&f->sw, STATE_KIND_SESSION, key, probe_last < -1 ? 1 : 2);
	state_writer_reset(&f->data);
	f->data.w.array(&f->data.w, 2);
	f->data.w.u64(&f->data.w, packets);
	f->data.w.u64(&f->data.w, bytes);
	assert_int_equal(state_writer_finish(&f->data), 0);
	state_file_entry(&f->sw, "byte-count", 1, bc_last, bc_updates, f->data.sbuf.data,
			 f->data.sbuf.size);
	if (probe_last >= -1) {
		state_writer_reset(&f->data);
		f->data.w.u64(&f->data.w, value);
		assert_int_equal(state_writer_finish(&f->data), 0);
		state_file_entry(&f->sw, "probe", 1, probe_last, (uint64_t)(probe_last + 1),
				 f->data.sbuf.data, f->data.sbuf.size);
	}
	assert_int_equal(state_file_end(&f->sw), 0);
}

static int merge(struct fixture *f, const struct bpass_session_key *key,
		 const struct proto_eph *eph, uint32_t n_eph)
{
	fx_capture_begin();
	int rc = merge_session(&f->m, key, f->sw.sbuf.data, f->sw.sbuf.size, eph, n_eph, NULL);
	fx_capture_end(errs, sizeof(errs));
	return rc;
}

/* Completes and writes the result into dir/name. */
static void write_to(struct fixture *f, const char *name)
{
	char out[400];
	snprintf(out, sizeof(out), "%s/%s", dir, name);
	struct results res;
	assert_int_equal(results_init(&res, out, false), 0);
	assert_int_equal(merge_write(&f->m, &res.r), 0);
	assert_false(results_failed(&res));
	results_release(&res);
}

static void expect_table(const char *name, const char *table, const char *want)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s/%s.csv", dir, name, table);
	struct buf got;
	buf_init(&got);
	assert_int_equal(state_file_read(path, &got), 0);
	assert_string_equal(got.data, want);
	buf_release(&got);
}

static const struct bpass_session_key k_a1 = {"OWA", CTX, 1}, k_a2 = {"OWA", CTX, 2},
				      k_au = {"OWA", "UNANONYMIZED", 7}, k_b1 = {"OWB", CTX, 1};

#define SESSIONS_HEAD "node_id,anonymization_context,session_id,last_sequence_number_processed," \
		      "updates_processed,packets,bytes,probe_value,probe_eph,status,stale_reason\n"
#define SESSIONS_ROWS                                                                        \
	"OWA,UNANONYMIZED,7,0,1,1,10,5,,ok,\n"                                                  \
	"OWA," CTX ",1,2,3,3,350,100,40,ok,\n"                                                  \
	"OWA," CTX ",2,4,5,6,600,200,,ok,\n"                                                    \
	"OWB," CTX ",1,0,1,2,1001,1,2,ok,\n"

/* Four sessions, out of order; only two with probe's ephemeral state. */
static void merge_four(struct fixture *f)
{
	const struct proto_eph eph40 = {"probe", 5, "\x28", 1}, eph2 = {"probe", 5, "\x02", 1};
	const struct proto_eph other = {"byte-count", 10, "\xc0", 1};
	container(f, &k_b1, 2, 1001, 0, 1, 1, 0);
	assert_int_equal(merge(f, &k_b1, (struct proto_eph[]){other, eph2}, 2), 0);
	/* byte-count is ahead of probe: the lowest is the session's. */
	container(f, &k_a2, 6, 600, 5, 6, 200, 4);
	assert_int_equal(merge(f, &k_a2, NULL, 0), 0);
	container(f, &k_a1, 3, 350, 2, 3, 100, 2);
	assert_int_equal(merge(f, &k_a1, &eph40, 1), 0);
	container(f, &k_au, 1, 10, 0, 1, 5, 0);
	assert_int_equal(merge(f, &k_au, NULL, 0), 0);
	assert_false(f->m.failed);
	assert_int_equal(merge_complete(&f->m), 0);
}

/* ---------------------------------------------------------------------------
 * Tests
 */

static void test_tables(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f);
	merge_four(&f);
	write_to(&f, "t1");
	expect_table("t1", "sessions", SESSIONS_HEAD SESSIONS_ROWS);
	expect_table("t1", "bytes_per_node", "node_id,bytes\nOWA,960\nOWB,1001\n");
	expect_table("t1", "probe", "total,eph_total,sessions\n306,42,4\n");
	fixture_release(&f);
}

/* Columns follow processor run order, whichever processor adds first. */
static void test_column_order(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f);
	/* probe first in run order: its columns come first. */
	f.procs[0] = &probe;
	f.procs[1] = &registry_find(&f.reg, "byte-count")->p;
	merge_release(&f.m);
	assert_int_equal(merge_init(&f.m, f.procs, 2, NULL), 0);
	const struct proto_eph eph = {"probe", 5, "\x07", 1};
	container(&f, &k_a1, 3, 350, 2, 3, 100, 2);
	assert_int_equal(merge(&f, &k_a1, NULL, 0), 0);
	container(&f, &k_b1, 2, 1001, 0, 1, 1, 0);
	assert_int_equal(merge(&f, &k_b1, &eph, 1), 0);
	assert_int_equal(merge_complete(&f.m), 0);
	write_to(&f, "t2");
	expect_table("t2", "sessions",
		     "node_id,anonymization_context,session_id,last_sequence_number_processed,"
		     "updates_processed,probe_value,probe_eph,packets,bytes,status,stale_reason\n"
		     "OWA," CTX ",1,2,3,100,,3,350,ok,\n"
		     "OWB," CTX ",1,0,1,1,7,2,1001,ok,\n");
	fixture_release(&f);
}

static void test_refused(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f);
	/* Another session's container. */
	container(&f, &k_b1, 1, 1, 0, 1, 1, 0);
	assert_int_equal(merge(&f, &k_a1, NULL, 0), -1);
	assert_string_equal(errs, "bpass: error: could not merge session OWA/" CTX "/1: its state "
				  "belongs to session OWB/" CTX "/1\n");
	assert_true(f.m.failed);
	/* A damaged one. */
	container(&f, &k_a1, 1, 1, 0, 1, 1, 0);
	f.sw.sbuf.data[f.sw.sbuf.size - 1] ^= 1;
	assert_int_equal(merge(&f, &k_a1, NULL, 0), -1);
	assert_string_equal(errs, "bpass: error: could not merge session OWA/" CTX "/1: its state "
				  "checksum mismatch\n");
	/* No part for a selected processor. */
	container(&f, &k_a1, 1, 1, 0, 1, 1, -2);
	assert_int_equal(merge(&f, &k_a1, NULL, 0), -1);
	assert_string_equal(errs, "bpass: error: could not merge session OWA/" CTX "/1: its state has "
				  "no part for processor \"probe\"\n");
	/* A load that fails (on a current container), a merge that fails: the
	 * session is merged into byte-count, and stale. */
	container(&f, &k_a2, 1, 1, 0, 1, 666, 0);
	assert_int_equal(merge(&f, &k_a2, NULL, 0), 1);
	assert_string_equal(errs, "bpass: error: processor \"probe\" could not load the state of session "
				  "OWA/" CTX "/2\n");
	container(&f, &k_a2, 1, 1, 0, 1, 13, 0);
	assert_int_equal(merge(&f, &k_a2, NULL, 0), 1);
	assert_string_equal(errs, "bpass: error: processor \"probe\" could not merge session OWA/" CTX
				  "/2\n");
	/* An ephemeral state that does not load. */
	const struct proto_eph bad = {"probe", 5, "\xc0", 1};
	container(&f, &k_b1, 1, 1, 0, 1, 1, 0);
	assert_int_equal(merge(&f, &k_b1, &bad, 1), 1);
	assert_string_equal(errs, "bpass: error: processor \"probe\" could not load the ephemeral state "
				  "of session OWB/" CTX "/1\n");
	assert_int_equal(f.m.n_rows, 3);
	assert_string_equal(f.m.rows[0].stale, "processor \"probe\" could not load the state of this "
					       "session");
	assert_string_equal(f.m.rows[1].stale, "processor \"probe\" could not merge this session");
	fixture_release(&f);
}

/* A saved state whose part probe declines: nothing is printed, the session
 * comes back from merge_redo, and its recomputed container is merged into
 * probe only (byte-count has it already). A stale session's declined part
 * is simply left out. */
static void test_redo(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f);
	container(&f, &k_a1, 3, 350, 2, 3, 666, 2);
	fx_capture_begin();
	const struct merge_from saved = {.saved = true, .tag = 42, .redo_row = -1};
	assert_int_equal(merge_session(&f.m, &k_a1, f.sw.sbuf.data, f.sw.sbuf.size, NULL, 0, &saved), 0);
	/* Stale: left out, no redo. */
	container(&f, &k_b1, 2, 1001, 0, 1, 666, 0);
	const struct merge_from stale = {.stale = "its worker died", .tag = 7, .redo_row = -1};
	assert_int_equal(merge_session(&f.m, &k_b1, f.sw.sbuf.data, f.sw.sbuf.size, NULL, 0, &stale), 0);
	fx_capture_end(errs, sizeof(errs));
	assert_string_equal(errs, "");
	assert_false(f.m.failed);
	struct merge_redo *redo;
	assert_int_equal(merge_redo(&f.m, &redo), 1);
	assert_int_equal(redo[0].tag, 42);
	assert_int_equal(redo[0].row, 0);
	const struct merge_from again = {.tag = 42, .redo_row = redo[0].row};
	free(redo);
	assert_int_equal(merge_redo(&f.m, &redo), 0);
	assert_null(redo);
	container(&f, &k_a1, 3, 350, 2, 3, 100, 2);
	assert_int_equal(merge_session(&f.m, &k_a1, f.sw.sbuf.data, f.sw.sbuf.size, NULL, 0, &again), 0);
	assert_int_equal(merge_complete(&f.m), 0);
	write_to(&f, "t4");
	expect_table("t4", "bytes_per_node", "node_id,bytes\nOWA,350\nOWB,1001\n");
	expect_table("t4", "probe", "total,eph_total,sessions\n100,0,1\n");
	expect_table("t4", "sessions",
		     "node_id,anonymization_context,session_id,last_sequence_number_processed,"
		     "updates_processed,packets,bytes,probe_value,status,stale_reason\n"
		     "OWA," CTX ",1,2,3,3,350,100,ok,\n"
		     "OWB," CTX ",1,0,1,2,1001,,stale,its worker died\n");
	fixture_release(&f);
}

static void test_cache(void **state)
{
	(void)state;
	char cache[400];
	snprintf(cache, sizeof(cache), "%s/global.cache", dir);
	struct fixture f;
	fixture_init(&f);
	merge_four(&f);
	assert_int_equal(merge_save(&f.m, cache), 0);
	fixture_release(&f);

	/* Loaded into a fresh result: the same tables. */
	fixture_init(&f);
	struct buf data;
	buf_init(&data);
	assert_int_equal(state_file_read(cache, &data), 0);
	assert_int_equal(merge_load_cache(&f.m, data.data, data.len, cache), 0);
	write_to(&f, "t3");
	expect_table("t3", "sessions", SESSIONS_HEAD SESSIONS_ROWS);
	expect_table("t3", "bytes_per_node", "node_id,bytes\nOWA,960\nOWB,1001\n");
	expect_table("t3", "probe", "total,eph_total,sessions\n306,42,4\n");
	fixture_release(&f);

	/* A cache without a selected processor's result. */
	const struct bpass_processor *meta[] = {NULL};
	struct registry reg;
	registry_init(&reg);
	assert_int_equal(registry_setup(&reg, NULL, 0), 0);
	meta[0] = &registry_find(&reg, "meta-statistics")->p;
	struct merge m;
	assert_int_equal(merge_init(&m, meta, 1, NULL), 0);
	fx_capture_begin();
	assert_int_equal(merge_load_cache(&m, data.data, data.len, cache), -1);
	fx_capture_end(errs, sizeof(errs));
	char want[600];
	snprintf(want, sizeof(want), "bpass: error: global result cache \"%s\" has no result of processor "
		 "\"meta-statistics\"\n", cache);
	assert_string_equal(errs, want);
	merge_release(&m);

	/* A session's container is not a cache. */
	fixture_init(&f);
	container(&f, &k_a1, 1, 1, 0, 1, 1, 0);
	fx_capture_begin();
	assert_int_equal(merge_load_cache(&f.m, f.sw.sbuf.data, f.sw.sbuf.size, "x"), -1);
	fx_capture_end(errs, sizeof(errs));
	assert_string_equal(errs, "bpass: error: could not read global result cache \"x\": it holds a "
				  "session state\n");
	fixture_release(&f);
	registry_release(&reg);
	buf_release(&data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_column_order),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_redo),
		cmocka_unit_test(test_cache),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
