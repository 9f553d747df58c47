/*
 * tests/unit/test_verify.c: bpass run --verify's own parts (harness/
 * verify.h): the sample (the largest session, the others spread evenly
 * down to the smallest, in key order; sessions not processed to the end
 * left out, or noted with --verify=all), the figures taken from a finished
 * merge (stale and missing rows skip a session), the comparison of real
 * state files written into two folders (a part that differs, a figure that
 * differs, a grown index, a failed recomputation) and the scratch folder
 * (created, leftovers of dead processes removed, removed at the end).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "log.h"
#include "merge.h"
#include "state_file.h"
#include "state_writer.h"
#include "verify.h"

#define CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"

static struct index_session session(const char *node, int64_t sid, uint64_t bytes, int32_t first,
				    int32_t gap)
{
	struct index_session s;
	memset(&s, 0, sizeof(s));
	snprintf(s.node_id, sizeof(s.node_id), "%s", node);
	snprintf(s.context, sizeof(s.context), "%s", CTX);
	s.session_id = sid;
	s.blob_bytes = bytes;
	s.first_seq = first;
	s.last_seq = 9;
	s.first_gap = gap;
	return s;
}

static void test_pick(void **unused)
{
	(void)unused;
	uint32_t out[300];
	assert_int_equal(verify_pick(0, 3, out), 0);
	assert_int_equal(verify_pick(2, 3, out), 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	assert_int_equal(verify_pick(10, 1, out), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(verify_pick(10, 3, out), 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 4);
	assert_int_equal(out[2], 9);
	assert_int_equal(verify_pick(5, 4, out), 4);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 2);
	assert_int_equal(out[3], 4);
	assert_int_equal(verify_pick(7, VERIFY_ALL, out), 7);
	assert_int_equal(out[6], 6);
	/* Always the first and the last, increasing, never twice the same. */
	for (uint32_t n = 2; n < 200; n++)
		for (uint32_t want = 2; want <= n + 1; want++) {
			uint32_t k = verify_pick(n, want, out);
			assert_int_equal(k, want < n ? want : n);
			assert_int_equal(out[0], 0);
			assert_int_equal(out[k - 1], n - 1);
			for (uint32_t i = 1; i < k; i++)
				assert_true(out[i] > out[i - 1]);
		}
}

static void test_choose(void **unused)
{
	(void)unused;
	struct verify v;
	verify_init(&v, 3);
	const struct index_session all[] = {
		session("OWA", 1, 100, 0, -1),
		session("OWB", 1, 500, 0, -1),
		session("OWC", 1, 10, 0, -1),
		session("OWD", 1, 500, 0, -1),
		session("OWE", 1, 900, 0, -1),
		session("OWF", 1, 9000, 0, 4),      /* a gap */
		session("OWG", 1, 9000, 1, -1),     /* no update 0 */
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		verify_consider(&v, &all[i]);
	verify_choose(&v);
	/* Largest first: E (900), B and D (500: key order), A, C (10); positions
	 * 0, 2 and 4: E, D, C; given in key order. */
	assert_int_equal(verify_count(&v), 3);
	assert_string_equal(verify_session(&v, 0)->node_id, "OWC");
	assert_string_equal(verify_session(&v, 1)->node_id, "OWD");
	assert_string_equal(verify_session(&v, 2)->node_id, "OWE");
	assert_int_equal(v.n_notes, 0);     /* a sample leaves the others out quietly */
	verify_release(&v);

	/* Every candidate; the others are noted. */
	verify_init(&v, VERIFY_ALL);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		verify_consider(&v, &all[i]);
	verify_choose(&v);
	assert_int_equal(verify_count(&v), 5);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(verify_session(&v, i)->node_id[2], "ABCDE"[i]);
	assert_int_equal(v.n_notes, 2);
	assert_non_null(strstr(v.notes[0], "verify: session \"OWF/" CTX "/1\" skipped: it stops at "
					   "missing update 4 (the index has updates up to 9)"));
	assert_non_null(strstr(v.notes[1], "verify: session \"OWG/" CTX "/1\" skipped: it has no "
					   "update 0 (its first is 1)"));
	verify_release(&v);

	/* Nothing to choose from. */
	verify_init(&v, 3);
	verify_choose(&v);
	assert_int_equal(verify_count(&v), 0);
	verify_release(&v);
}

static const struct bpass_processor proc_a = {.name = "a"};
static const struct bpass_processor proc_b = {.name = "b"};

/* A finished merge, by hand: rows for OWA, OWB (stale), OWZ (not chosen);
 * a's column a_n, b's column b_n. */
static void fake_merge(struct merge *m, const struct bpass_processor *const *procs, int64_t a_n,
		       bool b_stale)
{
	static struct merge_row rows[3];
	static struct merge_column columns[2];
	static struct merge_fig figs[4];
	memset(m, 0, sizeof(*m));
	m->procs = procs;
	m->n = 2;
	rows[0] = (struct merge_row){.node_id = "OWA", .context = CTX, .session_id = 1};
	rows[1] = (struct merge_row){.node_id = "OWB", .context = CTX, .session_id = 1,
				     .stale = b_stale ? "its worker died" : NULL};
	rows[2] = (struct merge_row){.node_id = "OWZ", .context = CTX, .session_id = 1};
	columns[0] = (struct merge_column){"b_n", 1};
	columns[1] = (struct merge_column){"a_n", 0};
	figs[0] = (struct merge_fig){0, 1, a_n};
	figs[1] = (struct merge_fig){0, 0, 7};
	figs[2] = (struct merge_fig){1, 1, 3};
	figs[3] = (struct merge_fig){2, 1, 99};
	m->rows = rows;
	m->n_rows = 3;
	m->columns = columns;
	m->n_columns = 2;
	m->figs = figs;
	m->n_figs = 4;
}

static void test_figures(void **unused)
{
	(void)unused;
	const struct bpass_processor *procs[] = {&proc_a, &proc_b};
	struct index_session a = session("OWA", 1, 10, 0, -1), b = session("OWB", 1, 10, 0, -1),
			     c = session("OWC", 1, 10, 0, -1);
	struct verify v;
	verify_init(&v, VERIFY_ALL);
	verify_consider(&v, &a);
	verify_consider(&v, &b);
	verify_consider(&v, &c);
	verify_choose(&v);
	struct merge m;
	fake_merge(&m, procs, 5, true);
	verify_figures(&v, &m, VERIFY_INCREMENTAL);
	/* OWB is stale and OWC has no row: both skipped, with a note. */
	assert_int_equal(verify_count(&v), 1);
	assert_string_equal(verify_session(&v, 0)->node_id, "OWA");
	assert_int_equal(v.n_notes, 2);
	assert_non_null(strstr(v.notes[0], "\"OWB/" CTX "/1\" skipped: it failed in this run "
					   "(its worker died)"));
	assert_non_null(strstr(v.notes[1], "\"OWC/" CTX "/1\" skipped: it failed in this run"));
	const struct verify_seen *seen = &v.s[0].side[VERIFY_INCREMENTAL];
	assert_true(seen->merged);
	assert_null(seen->stale);
	assert_int_equal(seen->n_figs, 2);
	assert_int_equal(v.n_columns, 2);
	assert_string_equal(v.columns[seen->figs[0].column].name, "a_n");
	assert_string_equal(v.columns[seen->figs[0].column].proc, "a");
	assert_int_equal(seen->figs[0].value, 5);
	assert_string_equal(v.columns[seen->figs[1].column].name, "b_n");
	assert_string_equal(v.columns[seen->figs[1].column].proc, "b");
	assert_int_equal(seen->figs[1].value, 7);
	/* The other side keeps stale rows (a recomputation that failed). */
	fake_merge(&m, procs, 6, true);
	verify_figures(&v, &m, VERIFY_RECOMPUTED);
	assert_int_equal(verify_count(&v), 1);
	assert_int_equal(v.s[0].side[VERIFY_RECOMPUTED].n_figs, 2);
	assert_int_equal(v.s[0].side[VERIFY_RECOMPUTED].figs[0].value, 6);
	verify_release(&v);
}

/* Writes the state file of session (node, 1) into dir with a's and b's
 * parts: a = [x], b = [y], both processed up to last_seq. */
static void write_state(const char *dir, const char *node, int64_t x, int64_t y, int32_t last_seq)
{
	struct bpass_session_key key = {node, CTX, 1};
	struct state_writer sw, data;
	state_writer_init(&sw);
	state_writer_init(&data);
	state_writer_reset(&sw);
	state_file_begin(&sw, STATE_KIND_SESSION, &key, 2);
	state_writer_reset(&data);
	data.w.array(&data.w, 1);
	data.w.i64(&data.w, x);
	state_file_entry(&sw, "a", 1, last_seq, (uint64_t)last_seq + 1, data.sbuf.data, data.sbuf.size);
	state_writer_reset(&data);
	data.w.array(&data.w, 1);
	data.w.i64(&data.w, y);
	state_file_entry(&sw, "b", 1, last_seq, (uint64_t)last_seq + 1, data.sbuf.data, data.sbuf.size);
	assert_int_equal(state_file_end(&sw), 0);
	struct buf path;
	buf_init(&path);
	buf_printf(&path, "%s/", dir);
	state_file_name(&key, &path);
	FILE *f = fopen(path.data, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(sw.sbuf.data, 1, sw.sbuf.size, f), sw.sbuf.size);
	assert_int_equal(fclose(f), 0);
	buf_release(&path);
	state_writer_release(&sw);
	state_writer_release(&data);
}

/* Session node, merged on both sides, with figure a_n (column 0, processor
 * a) inc and rec; stale: the recomputation failed. */
static void add_seen(struct verify *v, const char *node, int64_t inc, int64_t rec, const char *stale)
{
	struct index_session s = session(node, 1, 10, 0, -1);
	verify_consider(v, &s);
	struct verify_session *vs = &v->s[v->n - 1];
	for (int k = 0; k < 2; k++) {
		vs->side[k].merged = true;
		vs->side[k].figs = xcalloc(1, sizeof(*vs->side[k].figs));
		vs->side[k].n_figs = vs->side[k].cap_figs = 1;
		vs->side[k].figs[0] = (struct verify_fig){0, k ? rec : inc};
	}
	if (stale)
		vs->side[VERIFY_RECOMPUTED].stale = xstrdup(stale);
}

static void test_compare(void **unused)
{
	(void)unused;
	char top[] = "/tmp/bpass-verify.XXXXXX";
	assert_non_null(mkdtemp(top));
	struct buf inc, rec;
	buf_init(&inc);
	buf_init(&rec);
	buf_printf(&inc, "%s/inc", top);
	buf_printf(&rec, "%s/rec", top);
	assert_int_equal(fs_mkdirs(inc.data), 0);
	assert_int_equal(fs_mkdirs(rec.data), 0);
	const struct bpass_processor *procs[] = {&proc_a, &proc_b};

	/* The same: nothing to report. */
	struct verify v;
	verify_init(&v, VERIFY_ALL);
	xgrow((void **)&v.columns, &v.cap_columns, 1, sizeof(*v.columns));
	v.columns[v.n_columns++] = (struct verify_column){xstrdup("a_n"), xstrdup("a")};
	add_seen(&v, "OWA", 5, 5, NULL);
	write_state(inc.data, "OWA", 5, 1, 9);
	write_state(rec.data, "OWA", 5, 1, 9);
	assert_int_equal(verify_compare(&v, inc.data, rec.data, procs, 2), 0);
	assert_int_equal(v.n_verified, 1);
	assert_int_equal(v.n_processors, 2);
	assert_int_equal(v.n_differences, 0);
	verify_release(&v);

	/* OWA: b's part differs; OWB: a figure differs; OWC: the index grew
	 * (skipped); OWD: the recomputation failed; OWE: no state file. */
	verify_init(&v, VERIFY_ALL);
	xgrow((void **)&v.columns, &v.cap_columns, 1, sizeof(*v.columns));
	v.columns[v.n_columns++] = (struct verify_column){xstrdup("a_n"), xstrdup("a")};
	add_seen(&v, "OWA", 5, 5, NULL);
	add_seen(&v, "OWB", 5, 6, NULL);
	add_seen(&v, "OWC", 5, 5, NULL);
	add_seen(&v, "OWD", 5, 5, "its worker died");
	add_seen(&v, "OWE", 5, 5, NULL);
	write_state(rec.data, "OWA", 5, 2, 9);
	write_state(inc.data, "OWB", 5, 1, 9);
	write_state(rec.data, "OWB", 5, 1, 9);
	write_state(inc.data, "OWC", 5, 1, 9);
	write_state(rec.data, "OWC", 6, 1, 10);
	assert_int_equal(verify_compare(&v, inc.data, rec.data, procs, 2), -1);
	assert_int_equal(v.n_verified, 2);
	assert_int_equal(v.n_differences, 2);
	assert_int_equal(v.n_failed, 2);
	assert_int_equal(v.n_notes, 1);
	assert_non_null(strstr(v.notes[0], "\"OWC/" CTX "/1\" skipped: the index changed since the "
					   "run (processor \"a\" processed updates up to 9 in the "
					   "run, up to 10 now)"));
	verify_release(&v);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	assert_int_equal(system(cmd), 0);
	buf_release(&inc);
	buf_release(&rec);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void test_scratch(void **unused)
{
	(void)unused;
	char top[] = "/tmp/bpass-verify.XXXXXX";
	assert_non_null(mkdtemp(top));
	/* A process that is gone, and one that is not (ours is the parent's). */
	pid_t gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	struct buf dead, alive, other, outside;
	buf_init(&dead);
	buf_init(&alive);
	buf_init(&other);
	buf_init(&outside);
	buf_printf(&dead, "%s/.verify.%ld", top, (long)gone);
	buf_printf(&alive, "%s/.verify.%ld", top, (long)getppid());
	buf_printf(&other, "%s/.verify.x1", top);
	buf_printf(&outside, "%s/kept", top);
	assert_int_equal(fs_mkdirs(dead.data), 0);
	assert_int_equal(fs_mkdirs(alive.data), 0);
	assert_int_equal(fs_mkdirs(other.data), 0);
	assert_int_equal(fs_mkdirs(outside.data), 0);
	/* A link to a folder outside: removed, never followed. */
	struct buf link;
	buf_init(&link);
	buf_printf(&link, "%s/default", dead.data);
	assert_int_equal(fs_mkdirs(link.data), 0);
	buf_puts(&link, "/out");
	assert_int_equal(symlink(outside.data, link.data), 0);

	struct verify v;
	verify_init(&v, 3);
	assert_int_equal(verify_scratch(&v, top), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s/.verify.%ld", top, (long)getpid());
	assert_string_equal(v.scratch.data, want);
	assert_true(exists(want));
	assert_false(exists(dead.data));
	assert_true(exists(alive.data));
	assert_true(exists(other.data));
	assert_true(exists(outside.data));
	/* What the recomputation leaves in it goes with it. */
	buf_reset(&link);
	buf_printf(&link, "%s/default", want);
	assert_int_equal(fs_mkdirs(link.data), 0);
	buf_puts(&link, "/x.state");
	FILE *f = fopen(link.data, "w");
	assert_non_null(f);
	fclose(f);
	verify_release(&v);
	assert_false(exists(want));
	assert_true(exists(outside.data));

	/* A state folder that cannot hold it. */
	verify_init(&v, 3);
	buf_reset(&link);
	buf_printf(&link, "%s/kept/file", top);
	f = fopen(link.data, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(verify_scratch(&v, link.data), -1);
	assert_int_equal(v.scratch.len, 0);
	verify_release(&v);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	assert_int_equal(system(cmd), 0);
	buf_release(&dead);
	buf_release(&alive);
	buf_release(&other);
	buf_release(&outside);
	buf_release(&link);
}

int main(void)
{
	log_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_scratch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
