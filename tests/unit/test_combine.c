/*
 * tests/unit/test_combine.c: global_combine, the contract of bpass.h, for
 * every processor with a global result. byte-count's on hand-made states;
 * then every built-in's (those whose tables bpass keeps included) and the
 * example plugin's on the states of a real run (proc_driver.h: four
 * sessions on three nodes, run by the real worker):
 * combining partial global results gives what merging every session into
 * one gives, whatever the grouping (every split point, both bracketings) and
 * order; an empty partial is the identity; `from` is left unchanged; a
 * partial, not completed global saved and loaded again combines the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "builtin.h"
#include "registry.h"
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

/* ---- every processor with a global result, on the states of a real run ---- */

#define CTX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* Four sessions: N1/A/1337104800000000 (three updates, flows, DNS,
 * addresses), N2/B/5 (version 4), N1/A/1337105000000000 and N3/A/7. */
static const struct pd_text workload[] = {
	{.intro = "N1 1337104800000000 0 1337104830", .whitelist = "google.com\n", .pcap = "10 0 0",
	 .packets = "1337104801000000 0\n0 90 100\n1000000 1500 7\n500000 60 8\n",
	 .flows = "0 2 0 0\n7 1 c3 1 e5 6 40000 443\n8 1 e5 1 c3 6 443 40000\n",
	 .dns_a = "0 0\n0 0 0 www.google.com e5 300\n0 0 1 h1 e6 60\n",
	 .cname = "0 0 0 alias.google.com 0 www.google.com 120\n0 0 1 h2 1 h1 30\n",
	 .addresses = "0 256\n0000000000cc c3\n"},
	{.version = 4, .intro = "N2 5 0 1337104840", .context = CTX_B,
	 .packets = "1337104815000000 1\n0 42 2\n-1000000 42 2\n"},
	{.intro = "N1 1337104800000000 1 1337104860",
	 .packets = "1337104831000000 0\n0 100 7\n2000000 60 9\n",
	 .flows = "1337104830 3 0 0\n9 1 c3 1 e6 17 5000 53\n",
	 .dns_a = "0 0\n1 0 1 h3 e7 10\n", .addresses = "1 256\n"},
	{.intro = "N1 1337105000000000 0 1337105050", .packets = "1337105021000000 0\n0 60 2\n"},
	{.intro = "N1 1337104800000000 2 1337104891", .pcap = "30 2 1",
	 .packets = "1337104861000000 0\n0 200 9\n1000 300 10\n",
	 .flows = "1337104860 2 0 0\n10 1 c3 1 e5 6 40001 443\n"},
	{.intro = "N3 7 0 1337104900", .packets = "1337104871000000 0\n0 99 4\n0 1 4\n",
	 .flows = "0 2 0 0\n4 1 c3 1 e5 6 1 443\n", .dns_a = "0 0\n0 0 0 www.google.com e5 300\n",
	 .addresses = "0 256\n0000000000cc c3\n"},
	{.intro = "N1 1337105000000000 1 1337105080", .packets = "1337105051000000 0\n0 1000 7\n"},
};
#define N_WORK (sizeof(workload) / sizeof(workload[0]))

/* The sessions of the workload, in the order they were first fed. */
static const struct bpass_session_key keys[] = {
	{"N1", PD_CONTEXT, 1337104800000000},
	{"N2", CTX_B, 5},
	{"N1", PD_CONTEXT, 1337105000000000},
	{"N3", PD_CONTEXT, 7},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* The processor under test and the states it merges, one per session. */
static const struct bpass_processor *cp;
static void *cstate[N_KEYS], *ceph[N_KEYS];

/* Session s's state of cp: the state saved by the real run (saved_as: the
 * processor that saved it, the example plugin's being byte-count's), loaded
 * by cp's own load. meta-statistics has only an ephemeral state, hand-made:
 * session s processed updates from 1000 s + s to 1000 s + 10 s * s. */
static void load_states(struct pd *d, const char *saved_as)
{
	for (uint32_t s = 0; s < N_KEYS; s++) {
		struct bpass_ctx *ctx = pd_ctx(cp, &keys[s]);
		cstate[s] = ceph[s] = NULL;
		struct state_reader rd;
		state_reader_init(&rd);
		if (cp->session_new) {
			size_t len;
			const void *data = pd_saved_data(d, s, saved_as, &len);
			assert_non_null(data);
			cstate[s] = cp->session_new(ctx);
			state_reader_reset(&rd, data, len);
			assert_int_equal(cp->load(ctx, cstate[s], cp->version, &rd.r), 0);
		}
		if (cp->ephemeral_new) {
			struct state_writer sw;
			state_writer_init(&sw);
			sw.w.array(&sw.w, 2);
			sw.w.i64(&sw.w, 1000 + s);
			sw.w.i64(&sw.w, 1000 + 10 * s);
			assert_int_equal(state_writer_finish(&sw), 0);
			ceph[s] = cp->ephemeral_new(ctx);
			state_reader_reset(&rd, sw.sbuf.data, sw.sbuf.size);
			assert_int_equal(cp->ephemeral_load(ctx, ceph[s], &rd.r), 0);
			state_writer_release(&sw);
		}
		state_reader_release(&rd);
	}
}

static void free_states(void)
{
	for (uint32_t s = 0; s < N_KEYS; s++) {
		if (cstate[s])
			cp->session_free(pd_ctx(cp, &keys[s]), cstate[s]);
		if (ceph[s])
			cp->ephemeral_free(pd_ctx(cp, &keys[s]), ceph[s]);
	}
}

/* A partial global of cp with the sessions whose bit is set in mask,
 * merged from the last to the first. */
static void *cpartial(uint32_t mask)
{
	void *g = cp->global_new(pd_ctx(cp, NULL));
	assert_non_null(g);
	for (uint32_t s = N_KEYS; s-- > 0;)
		if (mask & (1u << s))
			assert_int_equal(cp->merge(pd_ctx(cp, &keys[s]), g, cstate[s], ceph[s]), 0);
	return g;
}

/* g saved by cp's global_save (not completed), as text. */
static char *csaved(const void *g)
{
	struct state_writer sw;
	state_writer_init(&sw);
	assert_int_equal(cp->global_save(pd_ctx(cp, NULL), g, &sw.w), 0);
	assert_int_equal(state_writer_finish(&sw), 0);
	char *text = pd_msgpack_text(sw.sbuf.data, sw.sbuf.size);
	state_writer_release(&sw);
	return text;
}

/* g completed and saved, as text; frees g. */
static char *ccompleted(void *g)
{
	if (cp->global_complete)   /* tables kept by bpass need none */
		assert_int_equal(cp->global_complete(pd_ctx(cp, NULL), g), 0);
	char *text = csaved(g);
	cp->global_free(pd_ctx(cp, NULL), g);
	return text;
}

/* into := into + from; frees from. */
static void *ccombine(void *into, void *from)
{
	assert_int_equal(cp->global_combine(pd_ctx(cp, NULL), into, from), 0);
	cp->global_free(pd_ctx(cp, NULL), from);
	return into;
}

/* A partial saved (not completed) and loaded again into a fresh global. */
static void *creload(void *g)
{
	struct state_writer sw;
	state_writer_init(&sw);
	assert_int_equal(cp->global_save(pd_ctx(cp, NULL), g, &sw.w), 0);
	assert_int_equal(state_writer_finish(&sw), 0);
	cp->global_free(pd_ctx(cp, NULL), g);
	void *again = cp->global_new(pd_ctx(cp, NULL));
	struct state_reader rd;
	state_reader_init(&rd);
	state_reader_reset(&rd, sw.sbuf.data, sw.sbuf.size);
	assert_int_equal(cp->global_load(pd_ctx(cp, NULL), again, cp->version, &rd.r), 0);
	assert_false(rd.failed);
	state_reader_release(&rd);
	state_writer_release(&sw);
	return again;
}

#define ALL ((1u << N_KEYS) - 1)

static void check_contract(void)
{
	assert_non_null(cp->global_combine);
	char *all = ccompleted(cpartial(ALL));
	/* the workload gives every global something to combine */
	if (!strcmp(all, "[]"))
		fail_msg("%s: the global result of the workload is empty", cp->name);

	/* every grouping of the sessions into two partials, both ways round
	 * (commutative), and through a save and load of each partial */
	for (uint32_t mask = 0; mask <= ALL; mask++) {
		char *x = ccompleted(ccombine(cpartial(mask), cpartial(ALL & ~mask)));
		char *y = ccompleted(ccombine(cpartial(ALL & ~mask), cpartial(mask)));
		char *z = ccompleted(ccombine(creload(cpartial(mask)), creload(cpartial(ALL & ~mask))));
		if (strcmp(x, all) || strcmp(y, all) || strcmp(z, all))
			fail_msg("%s: sessions %#x combined with the others give\n%s\n%s\n%s\n"
				 "instead of\n%s", cp->name, mask, x, y, z, all);
		free(x);
		free(y);
		free(z);
	}

	/* associative: (a + b) + c == a + (b + c), on every three groups */
	for (uint32_t a = 0; a <= ALL; a++)
		for (uint32_t b = 0; b <= ALL; b++) {
			if (a & b)
				continue;
			uint32_t c = ALL & ~(a | b);
			char *l = ccompleted(ccombine(ccombine(cpartial(a), cpartial(b)), cpartial(c)));
			char *r = ccompleted(ccombine(cpartial(a), ccombine(cpartial(b), cpartial(c))));
			if (strcmp(l, all) || strcmp(r, all))
				fail_msg("%s: (%#x + %#x) + %#x gives\n%s\nand the other bracketing\n%s\n"
					 "instead of\n%s", cp->name, a, b, c, l, r, all);
			free(l);
			free(r);
		}

	/* the empty partial is the identity, on either side; combining a
	 * completed global with an empty one changes nothing either */
	char *e1 = ccompleted(ccombine(cpartial(ALL), cpartial(0)));
	char *e2 = ccompleted(ccombine(cpartial(0), cpartial(ALL)));
	char *e3 = ccompleted(ccombine(cpartial(0), cpartial(0)));
	char *empty = ccompleted(cpartial(0));
	assert_string_equal(e1, all);
	assert_string_equal(e2, all);
	assert_string_equal(e3, empty);

	/* `from` is left unchanged (as saved, before completion) */
	void *into = cpartial(1), *from = cpartial(ALL & ~1u);
	char *before = csaved(from);
	assert_int_equal(cp->global_combine(pd_ctx(cp, NULL), into, from), 0);
	char *after = csaved(from);
	assert_string_equal(before, after);
	cp->global_free(pd_ctx(cp, NULL), into);
	cp->global_free(pd_ctx(cp, NULL), from);

	free(before);
	free(after);
	free(e1);
	free(e2);
	free(e3);
	free(empty);
	free(all);
}

static struct pd *run_workload(void)
{
	static const char *const every[] = {"byte-count", "flows", "addresses", "domains",
					    "whitelisted-domains", "flow-domains",
					    "update-statistics", "availability",
					    "meta-statistics", "throughput", "bytes-per-device",
					    "bytes-per-domain", "lookups-per-device", NULL};
	struct pd *d = pd_new(every);
	for (size_t i = 0; i < N_WORK; i++)
		pd_feed_parts(d, &workload[i]);
	pd_end_run(d);
	assert_int_equal(pd_n_sessions(d), N_KEYS);
	return d;
}

static void test_combine_builtins(void **unused)
{
	(void)unused;
	struct pd *d = run_workload();
	/* As bpass registers them: a built-in that declares tables is wrapped,
	 * its tables kept (and combined) by bpass. */
	struct registry r;
	registry_init(&r);
	assert_int_equal(registry_add_builtins(&r), 0);
	int checked = 0;
	for (uint32_t i = 0; i < r.n; i++) {
		cp = &r.procs[i].p;
		if (!cp->global_new)
			continue;
		load_states(d, cp->name);
		check_contract();
		free_states();
		checked++;
	}
	assert_int_equal(checked, 9);
	registry_release(&r);
	pd_free(d);
}

/* The example plugin, loaded as bpass loads it; its session state is
 * byte-count's. */
static void test_combine_example_plugin(void **unused)
{
	(void)unused;
	const char *build = getenv("BUILD");
	char path[512];
	snprintf(path, sizeof(path), "%s/plugins/byte_count_plugin.so", build ? build : "build");
	struct registry r;
	registry_init(&r);
	assert_int_equal(registry_load_plugin(&r, path, true), 0);
	const struct registry_proc *rp = registry_find(&r, "example-byte-count");
	assert_non_null(rp);
	struct pd *d = run_workload();
	cp = &rp->p;
	load_states(d, "byte-count");
	check_contract();
	free_states();
	pd_free(d);
	registry_release(&r);
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
		cmocka_unit_test(test_combine_builtins),
		cmocka_unit_test(test_combine_example_plugin),
		cmocka_unit_test(test_version_macros),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
