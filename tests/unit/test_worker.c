/*
 * tests/unit/test_worker.c: sessions through the real worker loop
 * (harness/worker.h: worker_main reading PROTO_SESSION frames and answering
 * PROTO_RESULT frames) on a real SQLite index built here, with the built-in
 * processors byte-count and meta-statistics (ephemeral only).
 *
 * Sessions (node A = OWAAAAAAAAAAAA, node B = OWBBBBBBBBBBBB; NOW_S of
 * update s is SID / 1e6 + 30 * (s + 1)):
 *   A/1000000: seq 0 sizes {300}, seq 1 {40, 2}, seq 2 {}    processed: 3 packets,
 *              342 bytes, last 2; meta-statistics [31, 91]
 *   A/2000000: seq 0 {9}, seq 3 {20}                         stopped at missing 1
 *   B/3000000: seq 2 {7}                                     no update 0
 *   A/9:       not in the index                              failed
 *   B/4000000: seq 0 {1}                                     (for the stop flag)
 * Checked: every outcome and field of the results, the state container
 * sent equals the state file written, a second pass with nothing new
 * (unchanged, nothing rewritten), --recompute, the stop flag (the session
 * abandoned, nothing saved), the slot, a worker that cannot start
 * (PROTO_EXIT_INIT, its reason in the slot), an unexpected message, and a
 * processor (of the test plugin hostile.so) that fails on a session.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "log.h"
#include "proto.h"
#include "state_file.h"
#include "worker.h"

#define A "OWAAAAAAAAAAAA"
#define B "OWBBBBBBBBBBBB"
#define CTX FX_CTX

static char dir[FX_PATH], idx[FX_PATH], st[FX_PATH], errs[8192];
static struct proto_result r;    /* a decoded result */

static int setup(void **state)
{
	(void)state;
	log_set_quiet(true);
	if (fx_scratch_run("worker", dir, idx, st) || mkdir(st, 0755))
		return -1;
	const struct fx_update u[] = {
		{B, 4000000, 0, "0 1 5\n", 1},
		{A, 1000000, 2, "", 0},
		{A, 1000000, 1, "0 40 5\n1 2 5\n", 2},
		{A, 1000000, 0, "0 300 5\n", 1},
		{A, 2000000, 3, "0 20 5\n", 1},
		{A, 2000000, 0, "0 9 5\n", 1},
		{B, 3000000, 2, "0 7 5\n", 1},
	};
	fx_add_tarball(idx, "t1.tar", u, sizeof(u) / sizeof(u[0]));
	proto_result_init(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	proto_result_release(&r);
	return fx_remove(dir);
}

static const struct bpass_session_key k_done = {A, CTX, 1000000};
static const struct bpass_session_key k_gap = {A, CTX, 2000000};
static const struct bpass_session_key k_no_first = {B, CTX, 3000000};
static const struct bpass_session_key k_missing = {A, CTX, 9};
static const struct bpass_session_key k_stop = {B, CTX, 4000000};

static struct worker_options options(const char *recompute, volatile sig_atomic_t *stop)
{
	return (struct worker_options){
		.index_path = idx,
		.state_dir = st,
		.select = "byte-count,meta-statistics",
		.recompute = recompute,
		.no_fsync = true,
		.stop = stop,
	};
}

/* Runs one worker loop over keys; the results it sent, in order, go into
 * out[0..*got) (at most n). Returns worker_main's status. */
static int loop(const struct worker_options *o, const struct bpass_session_key *const *keys,
		size_t n, struct buf *out, size_t *got, struct worker_slot *slot)
{
	int in[2];
	assert_int_equal(pipe(in), 0);
	struct state_writer sw;
	state_writer_init(&sw);
	for (size_t i = 0; i < n; i++) {
		state_writer_reset(&sw);
		proto_session_encode(&sw, keys[i]);
		assert_int_equal(proto_send(in[1], PROTO_SESSION, sw.sbuf.data, sw.sbuf.size), 0);
	}
	state_writer_release(&sw);
	close(in[1]);
	FILE *res = tmpfile();
	assert_non_null(res);
	fx_capture_begin();
	int status = worker_main(o, slot, in[0], fileno(res));
	fx_capture_end(errs, sizeof(errs));
	close(in[0]);
	lseek(fileno(res), 0, SEEK_SET);
	uint32_t type;
	struct buf frame;
	buf_init(&frame);
	for (*got = 0; proto_recv(fileno(res), &type, &frame, NULL) == 1; ++*got) {
		assert_int_equal(type, PROTO_RESULT);
		assert_true(*got < n);
		buf_init(&out[*got]);
		buf_append(&out[*got], frame.data, frame.len);
	}
	buf_release(&frame);
	fclose(res);
	return status;
}

/* loop, expecting status 0 and a result for every key. */
static void loop_all(const struct worker_options *o, const struct bpass_session_key *const *keys,
		     size_t n, struct buf *out, struct worker_slot *slot)
{
	size_t got;
	assert_int_equal(loop(o, keys, n, out, &got, slot), 0);
	assert_int_equal(got, n);
}

static char *state_path(const struct bpass_session_key *key)
{
	struct buf p;
	buf_init(&p);
	buf_printf(&p, "%s/", st);
	state_file_name(key, &p);
	return p.data;
}

/* Checks the container of r (the result decoded last): the state file's
 * bytes, holding byte-count's part [packets, bytes] up to last_seq. */
static void expect_container(const struct bpass_session_key *key, int32_t last_seq,
			     uint64_t updates, const char *data, size_t len)
{
	assert_non_null(r.state);
	char *path = state_path(key);
	struct buf file, err;
	buf_init(&file);
	buf_init(&err);
	assert_int_equal(state_file_read(path, &file), 0);
	assert_int_equal(file.len, r.state_len);
	assert_memory_equal(file.data, r.state, r.state_len);
	struct state_file sf;
	state_file_init(&sf);
	assert_int_equal(state_file_parse(&sf, r.state, r.state_len, key, &err), 0);
	assert_int_equal(sf.n, 2);
	const struct state_entry *e = state_file_find(&sf, "byte-count");
	assert_non_null(e);
	assert_int_equal(e->last_seq, last_seq);
	assert_int_equal(e->updates_processed, updates);
	assert_int_equal(e->data_len, len);
	assert_memory_equal(e->data, data, len);
	assert_non_null(state_file_find(&sf, "meta-statistics"));
	state_file_release(&sf);
	buf_release(&file);
	buf_release(&err);
	free(path);
}

/* Decodes payload, the result of key, into r. */
static void decode(const struct buf *payload, const struct bpass_session_key *key)
{
	assert_int_equal(proto_result_decode(&r, payload->data, payload->len), 0);
	assert_string_equal(r.node_id.data, key->node_id);
	assert_string_equal(r.context.data, key->context);
	assert_true(r.session_id == key->session_id);
}

static void test_first_pass(void **state)
{
	(void)state;
	const struct bpass_session_key *keys[] = {&k_done, &k_gap, &k_no_first, &k_missing};
	struct buf out[4];
	struct worker_slot slot;
	memset(&slot, 0, sizeof(slot));
	const struct worker_options o = options(NULL, NULL);
	loop_all(&o, keys, 4, out, &slot);

	decode(&out[0], &k_done);
	assert_int_equal(r.status, PROTO_PROCESSED);
	assert_int_equal(r.updates, 3);
	assert_int_equal(r.last_seq, 2);
	assert_int_equal(r.missing_seq, -1);
	assert_int_equal(r.recomputed, 0);
	assert_true(r.saved);
	/* [3, 342]: fixarray of 2, fixint 3, uint16 342. */
	expect_container(&k_done, 2, 3, "\x92\x03\xcd\x01\x56", 5);
	/* meta-statistics' ephemeral state: [oldest 31 s, newest 91 s]. */
	assert_int_equal(r.n_eph, 1);
	assert_memory_equal(r.eph[0].name, "meta-statistics", r.eph[0].name_len);
	assert_int_equal(r.eph[0].len, 3);
	assert_memory_equal(r.eph[0].data, "\x92\x1f\x5b", 3);

	decode(&out[1], &k_gap);
	assert_int_equal(r.status, PROTO_GAP);
	assert_int_equal(r.updates, 1);
	assert_int_equal(r.last_seq, 0);
	assert_int_equal(r.missing_seq, 1);
	assert_true(r.saved);
	expect_container(&k_gap, 0, 1, "\x92\x01\x09", 3);

	decode(&out[2], &k_no_first);
	assert_int_equal(r.status, PROTO_NO_FIRST);
	assert_int_equal(r.missing_seq, 0);
	assert_int_equal(r.updates, 0);
	assert_null(r.state);
	assert_int_equal(r.n_eph, 0);
	char *path = state_path(&k_no_first);
	assert_int_equal(access(path, F_OK), -1);
	free(path);

	decode(&out[3], &k_missing);
	assert_int_equal(r.status, PROTO_FAILED);
	assert_null(r.state);
	assert_non_null(strstr(errs, "bpass: error: session " A "/" CTX "/9 is not in the index\n"));

	/* The slot names the last session and is idle. */
	assert_int_equal(slot.busy, 0);
	assert_int_equal(slot.proc, -1);
	assert_int_equal(slot.seq, -1);
	assert_string_equal(slot.node_id, A);
	assert_string_equal(slot.context, CTX);
	assert_true(slot.session_id == 9);
	for (int i = 0; i < 4; i++)
		buf_release(&out[i]);
}

static void test_nothing_new(void **state)
{
	(void)state;
	const struct bpass_session_key *keys[] = {&k_done, &k_gap};
	struct buf out[2];
	char *path = state_path(&k_done);
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	const struct worker_options o = options(NULL, NULL);
	loop_all(&o, keys, 2, out, NULL);
	decode(&out[0], &k_done);
	assert_int_equal(r.status, PROTO_UNCHANGED);
	assert_int_equal(r.updates, 0);
	assert_int_equal(r.last_seq, 2);
	assert_false(r.saved);
	expect_container(&k_done, 2, 3, "\x92\x03\xcd\x01\x56", 5);
	/* Nothing processed: meta-statistics' state is empty. */
	assert_int_equal(r.n_eph, 1);
	assert_int_equal(r.eph[0].len, 1);
	assert_memory_equal(r.eph[0].data, "\x90", 1);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	decode(&out[1], &k_gap);
	assert_int_equal(r.status, PROTO_GAP);
	assert_int_equal(r.missing_seq, 1);
	assert_false(r.saved);
	/* Recomputed: both processors start again from update 0. */
	const struct worker_options re = options("", NULL);
	buf_release(&out[0]);
	buf_release(&out[1]);
	loop_all(&re, keys, 1, out, NULL);
	decode(&out[0], &k_done);
	assert_int_equal(r.status, PROTO_PROCESSED);
	assert_int_equal(r.updates, 3);
	assert_int_equal(r.recomputed, 2);   /* both had a saved part */
	assert_true(r.saved);
	expect_container(&k_done, 2, 3, "\x92\x03\xcd\x01\x56", 5);
	buf_release(&out[0]);
	free(path);
}

static void test_stop(void **state)
{
	(void)state;
	volatile sig_atomic_t stop = 0;
	const struct worker_options o = options(NULL, &stop);
	struct worker w;
	struct worker_slot slot;
	memset(&slot, 0, sizeof(slot));
	assert_int_equal(worker_init(&w, &o, &slot), 0);
	stop = 1;
	const void *payload = "x";
	size_t len = 1;
	assert_int_equal(worker_session(&w, &k_stop, &payload, &len), 1);
	assert_null(payload);
	assert_int_equal(len, 0);
	assert_int_equal(slot.busy, 0);
	char *path = state_path(&k_stop);
	assert_int_equal(access(path, F_OK), -1);
	/* Once the flag is down again, the same worker processes it. */
	stop = 0;
	assert_int_equal(worker_session(&w, &k_stop, &payload, &len), 0);
	assert_non_null(payload);
	assert_int_equal(access(path, F_OK), 0);
	worker_release(&w);
	/* The loop does not start while the flag is up. */
	stop = 1;
	struct buf out[1];
	size_t got;
	const struct bpass_session_key *keys[] = {&k_stop};
	assert_int_equal(loop(&o, keys, 1, out, &got, NULL), 0);
	assert_int_equal(got, 0);
	free(path);
}

static void test_cannot_start(void **state)
{
	(void)state;
	struct worker_options o = options(NULL, NULL);
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/none.sqlite", dir);
	o.index_path = missing;
	struct buf out[1];
	size_t got;
	const struct bpass_session_key *keys[] = {&k_done};
	struct worker_slot slot;
	memset(&slot, 0, sizeof(slot));
	assert_int_equal(loop(&o, keys, 1, out, &got, &slot), PROTO_EXIT_INIT);
	assert_int_equal(got, 0);
	assert_non_null(strstr(errs, "none.sqlite"));
	/* The reason is left in the slot for the parent. */
	char want[600];
	snprintf(want, sizeof(want), "could not open index \"%s\": No such file or directory",
		 missing);
	assert_string_equal(slot.error, want);
	/* A processor that does not exist. */
	o = options(NULL, NULL);
	o.select = "no-such-processor";
	assert_int_equal(loop(&o, keys, 1, out, &got, NULL), PROTO_EXIT_INIT);
	assert_int_equal(got, 0);
	assert_non_null(strstr(errs, "no-such-processor"));
}

static void test_unexpected_message(void **state)
{
	(void)state;
	int in[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(proto_send(in[1], PROTO_RESULT, "", 0), 0);
	close(in[1]);
	const struct worker_options o = options(NULL, NULL);
	fx_capture_begin();
	int status = worker_main(&o, NULL, in[0], -1);
	fx_capture_end(errs, sizeof(errs));
	close(in[0]);
	assert_int_equal(status, 1);
	assert_non_null(strstr(errs, "bpass: error: worker received an unexpected message (type 2)\n"));
}

/* The parts of the container of r, by processor name (NULL: none). */
static const struct state_entry *part(struct state_file *sf, const struct bpass_session_key *key,
				      const char *name)
{
	struct buf err;
	buf_init(&err);
	assert_int_equal(state_file_parse(sf, r.state, r.state_len, key, &err), 0);
	buf_release(&err);
	return state_file_find(sf, name);
}

/* A processor that fails on a session (the plugin "hostile", with
 * hostile-reader reading its state) stops there with the processors that
 * read it; the others go on and are saved; the failed ones keep their saved
 * parts byte for byte (none when they had none); the result says why the
 * session is stale. */
static void test_processor_fails(void **state)
{
	(void)state;
	char st2[FX_PATH + 10], plugin[400];
	snprintf(st2, sizeof(st2), "%s/state2", dir);
	assert_int_equal(mkdir(st2, 0755), 0);
	const char *build = getenv("BUILD");
	snprintf(plugin, sizeof(plugin), "%s/plugins/hostile.so", build ? build : "build");
	char *plugins[] = {plugin};
	struct worker_options o = options(NULL, NULL);
	o.state_dir = st2;
	o.select = "byte-count,hostile-reader";
	o.plugins = plugins;
	o.n_plugins = 1;
	const struct bpass_session_key *keys[] = {&k_done};
	struct buf out[1];
	struct state_file sf;
	state_file_init(&sf);

	/* No saved state: byte-count only. */
	setenv("HOSTILE_FAIL", "1000000", 1);
	loop_all(&o, keys, 1, out, NULL);
	decode(&out[0], &k_done);
	assert_int_equal(r.status, PROTO_PROCESSED);
	assert_string_equal(r.reason.data, "processor \"hostile\" failed on update 0");
	assert_true(r.saved);
	assert_non_null(strstr(errs, "bpass: error: processor \"hostile\" failed on update 0 of session "
				     A "/" CTX "/1000000\n"));
	const struct state_entry *bc = part(&sf, &k_done, "byte-count");
	assert_non_null(bc);
	assert_int_equal(bc->last_seq, 2);
	assert_null(state_file_find(&sf, "hostile"));
	assert_null(state_file_find(&sf, "hostile-reader"));
	buf_release(&out[0]);

	/* Then without the failure: both computed, byte-count kept. */
	unsetenv("HOSTILE_FAIL");
	loop_all(&o, keys, 1, out, NULL);
	decode(&out[0], &k_done);
	assert_int_equal(r.status, PROTO_PROCESSED);
	assert_string_equal(r.reason.data, "");
	const struct state_entry *h = part(&sf, &k_done, "hostile");
	assert_non_null(h);
	assert_int_equal(h->last_seq, 2);
	struct buf hraw, rraw;
	buf_init(&hraw);
	buf_init(&rraw);
	buf_append(&hraw, h->raw, h->raw_len);
	const struct state_entry *rd = state_file_find(&sf, "hostile-reader");
	assert_non_null(rd);
	buf_append(&rraw, rd->raw, rd->raw_len);
	buf_release(&out[0]);

	/* hostile recomputed and failing again: it and its reader keep their
	 * saved parts byte for byte. */
	setenv("HOSTILE_FAIL", "1000000", 1);
	o.recompute = "hostile";
	loop_all(&o, keys, 1, out, NULL);
	unsetenv("HOSTILE_FAIL");
	decode(&out[0], &k_done);
	assert_string_equal(r.reason.data, "processor \"hostile\" failed on update 0");
	h = part(&sf, &k_done, "hostile");
	assert_non_null(h);
	assert_int_equal(h->raw_len, hraw.len);
	assert_memory_equal(h->raw, hraw.data, hraw.len);
	rd = state_file_find(&sf, "hostile-reader");
	assert_non_null(rd);
	assert_int_equal(rd->raw_len, rraw.len);
	assert_memory_equal(rd->raw, rraw.data, rraw.len);
	assert_non_null(state_file_find(&sf, "byte-count"));
	buf_release(&out[0]);

	/* hostile cannot even make a state: its reader stops before it starts,
	 * and both keep their parts. */
	setenv("HOSTILE_NEW", "fail", 1);
	loop_all(&o, keys, 1, out, NULL);
	unsetenv("HOSTILE_NEW");
	decode(&out[0], &k_done);
	assert_string_equal(r.reason.data, "processor \"hostile\" could not create a state");
	h = part(&sf, &k_done, "hostile");
	assert_non_null(h);
	assert_memory_equal(h->raw, hraw.data, hraw.len);
	rd = state_file_find(&sf, "hostile-reader");
	assert_non_null(rd);
	assert_int_equal(rd->raw_len, rraw.len);
	assert_memory_equal(rd->raw, rraw.data, rraw.len);
	buf_release(&out[0]);
	buf_release(&hraw);
	buf_release(&rraw);
	state_file_release(&sf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_pass),
		cmocka_unit_test(test_nothing_new),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_cannot_start),
		cmocka_unit_test(test_unexpected_message),
		cmocka_unit_test(test_processor_fails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
