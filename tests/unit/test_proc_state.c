/*
 * tests/unit/test_proc_state.c: properties of all built-in processors
 * together (except byte-count) on one mixed workload: the global tables do
 * not depend on the merge order; running updates 0..k, saving, loading and
 * running k+1..n gives the same states and tables as one run over 0..n;
 * every state survives save/load (the driver checks save(load(x)) == x at
 * every save); loads reject truncated, retyped, duplicated or out-of-range
 * data and foreign versions. Also the small helpers (itab, strtab, usec),
 * and the domains maps against a naive model of processors.md on random
 * input (PROC_SEED replays a seed).
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
#include "correlation.h"
#include "itab.h"
#include "proc_driver.h"
#include "strtab.h"
#include "usec.h"

#define CTX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/*
 * The workload: three sessions on two nodes, fed in this order. Each
 * session's updates are in sequence order, and packet times of an update
 * are never before the previous update's timestamp (as on a real router),
 * which is what makes the end-of-run expiry of domains invisible to later
 * updates.
 */
static const struct pd_text workload[] = {
	/* W1 = N1/A/1337104800000000 */
	{.intro = "N1 1337104800000000 0 1337104830", .whitelist = "google.com\n", .pcap = "10 0 0",
	 .packets = "1337104801000000 0\n0 90 100\n1000000 1500 7\n500000 60 8\n",
	 .flows = "0 2 0 0\n7 1 c3 1 e5 6 40000 443\n8 1 e5 1 c3 6 443 40000\n",
	 .dns_a = "0 0\n0 0 0 www.google.com e5 300\n0 0 1 h1 e6 60\n",
	 .cname = "0 0 0 alias.google.com 0 www.google.com 120\n0 0 1 h2 1 h1 30\n",
	 .addresses = "0 256\n0000000000cc c3\n"},
	/* W3 = N2/B/5, version 4, a negative delta */
	{.version = 4, .intro = "N2 5 0 1337104840", .context = CTX_B,
	 .packets = "1337104815000000 1\n0 42 2\n-1000000 42 2\n"},
	{.intro = "N1 1337104800000000 1 1337104860",
	 .packets = "1337104831000000 0\n0 100 7\n2000000 60 9\n",
	 .flows = "1337104830 3 0 0\n9 1 c3 1 e6 17 5000 53\n",
	 .dns_a = "0 0\n1 0 1 h3 e7 10\n", .addresses = "1 256\n"},
	/* W2 = N1/A/1337105000000000 */
	{.intro = "N1 1337105000000000 0 1337105050", .packets = "1337105021000000 0\n0 60 2\n"},
	/* --- split point k = 4 --- */
	{.intro = "N1 1337104800000000 2 1337104891", .pcap = "30 2 1",    /* 31 s: expiry */
	 .packets = "1337104861000000 0\n0 200 9\n1000 300 10\n",
	 .flows = "1337104860 2 0 0\n10 1 c3 1 e5 6 40001 443\n"},
	{.version = 4, .intro = "N2 5 1 1337104870", .context = CTX_B},
	{.intro = "N1 1337104800000000 3 1337104921",
	 .packets = "1337104895000000 0\n0 64 10\n0 64 11\n",
	 .flows = "1337104891 2 0 0\n11 1 d4 1 e5 6 1 443\n",
	 .dns_a = "0 0\n0 1 0 mail.google.com e5 600\n",
	 .addresses = "1 256\n0000000000dd d4\n"},
	{.intro = "N1 1337105000000000 1 1337105080", .packets = "1337105051000000 0\n0 1000 7\n"},
	{.version = 4, .intro = "N2 5 2 1337104900", .context = CTX_B,
	 .packets = "1337104871000000 0\n0 99 4\n"},
};
#define N_WORKLOAD (sizeof(workload) / sizeof(workload[0]))
#define SPLIT 4

static void feed_range(struct pd *d, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		assert_int_equal(pd_feed_parts(d, &workload[i]), 0);
}

static const char *const all_names[] = {"flows", "addresses", "domains", "whitelisted-domains",
					"flow-domains", "update-statistics", "availability",
					"meta-statistics", "throughput", NULL};

static void test_merge_order(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(NULL);
	feed_range(d, 0, N_WORKLOAD);
	assert_int_equal(pd_end_run(d, NULL), 0);
	assert_int_equal(pd_n_sessions(d), 3);
	char *tables = pd_tables_text(d, NULL);
	char *figures = strdup(pd_figures(d));
	/* every table with a global result was written, with rows */
	for (const char *const *t = (const char *const[]){"flow_domains_per_node", "availability",
			"update_statistics", "update_statistics_per_node", "update_versions_per_node",
			"meta_statistics", "throughput", NULL}; *t; t++) {
		const char *text = pd_table(d, *t);
		assert_non_null(text);
		assert_true(strchr(text, '\n')[1] != 0);
	}
	static const uint32_t orders[][3] = {{2, 1, 0}, {1, 2, 0}, {2, 0, 1}};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(pd_merge(d, orders[i]), 0);
		char *again = pd_tables_text(d, NULL);
		assert_string_equal(again, tables);
		assert_string_equal(pd_figures(d), figures);
		free(again);
	}
	free(tables);
	free(figures);
	pd_free(d);
}

static void test_incremental(void **unused)
{
	(void)unused;
	struct pd *once = pd_new(NULL), *twice = pd_new(NULL);
	feed_range(once, 0, N_WORKLOAD);
	assert_int_equal(pd_end_run(once, NULL), 0);
	feed_range(twice, 0, SPLIT);
	assert_int_equal(pd_end_run(twice, NULL), 0);
	feed_range(twice, SPLIT, N_WORKLOAD);
	assert_int_equal(pd_end_run(twice, NULL), 0);

	/* meta-statistics describes only its run, by definition */
	static const char *const per_run[] = {"meta_statistics", NULL};
	char *a = pd_tables_text(once, per_run), *b = pd_tables_text(twice, per_run);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_string_equal(pd_figures(once), pd_figures(twice));
	for (uint32_t s = 0; s < pd_n_sessions(once); s++)
		for (const char *const *n = all_names; *n; n++) {
			const char *x = pd_saved(once, s, *n), *y = pd_saved(twice, s, *n);
			if (!x) {
				assert_null(y);  /* meta-statistics keeps no session state */
				continue;
			}
			assert_non_null(y);
			assert_string_equal(x, y);
		}
	pd_free(once);
	pd_free(twice);
}

/* Every processor's saved state must fail to load when cut short, when any
 * one value has another type, or when saved by another version. */
static void check_rejects(const struct bpass_processor *p, const struct pd_blob *good,
			  int (*load)(const struct bpass_processor *, void *, uint32_t,
				      struct pd_blob *),
			  void *(*make)(const struct bpass_processor *),
			  void (*drop)(const struct bpass_processor *, void *))
{
	struct pd_blob *b = pd_blob_copy(good);
	void *st = make(p);
	assert_int_equal(load(p, st, p->version, b), 0);
	drop(p, st);
	st = make(p);
	assert_int_equal(load(p, st, p->version + 1, b), -1);
	drop(p, st);
	pd_blob_free(b);
	size_t n = pd_blob_count(good);
	for (size_t i = 0; i < n; i++) {
		b = pd_blob_copy(good);
		pd_blob_truncate(b, i);
		st = make(p);
		if (load(p, st, p->version, b) != -1)
			fail_msg("%s: a load of the first %zu of %zu values succeeded", p->name, i, n);
		drop(p, st);
		pd_blob_free(b);
		b = pd_blob_copy(good);
		pd_blob_mutate(b, i);
		st = make(p);
		if (load(p, st, p->version, b) != -1)
			fail_msg("%s: a load with value %zu of %zu retyped succeeded", p->name, i, n);
		drop(p, st);
		pd_blob_free(b);
	}
}

static int load_state(const struct bpass_processor *p, void *st, uint32_t v, struct pd_blob *b)
{
	return p->load(pd_ctx(p, NULL), st, v, pd_blob_reader(b));
}

static void *make_state(const struct bpass_processor *p)
{
	static const struct bpass_session_key key = {"N1", PD_CONTEXT, 1};
	return p->session_new(pd_ctx(p, &key));
}

static void drop_state(const struct bpass_processor *p, void *st)
{
	p->session_free(pd_ctx(p, NULL), st);
}

static int load_global(const struct bpass_processor *p, void *g, uint32_t v, struct pd_blob *b)
{
	return p->global_load(pd_ctx(p, NULL), g, v, pd_blob_reader(b));
}

static void *make_global(const struct bpass_processor *p)
{
	return p->global_new(pd_ctx(p, NULL));
}

static void drop_global(const struct bpass_processor *p, void *g)
{
	p->global_free(pd_ctx(p, NULL), g);
}

static int load_eph(const struct bpass_processor *p, void *e, uint32_t v, struct pd_blob *b)
{
	(void)v;
	return p->ephemeral_load(pd_ctx(p, NULL), e, pd_blob_reader(b));
}

static void *make_eph(const struct bpass_processor *p)
{
	static const struct bpass_session_key key = {"N1", PD_CONTEXT, 1};
	return p->ephemeral_new(pd_ctx(p, &key));
}

static void drop_eph(const struct bpass_processor *p, void *e)
{
	p->ephemeral_free(pd_ctx(p, NULL), e);
}

static void test_load_rejects_garbage(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(NULL);
	feed_range(d, 0, N_WORKLOAD);
	assert_int_equal(pd_end_run(d, NULL), 0);
	int checked = 0;
	for (const char *const *n = all_names; *n; n++) {
		const struct bpass_processor *p = pd_processor(*n);
		if (!p->session_new)
			continue;
		/* session 0 has something in every state */
		const struct pd_blob *good = pd_saved_blob(d, 0, *n);
		assert_non_null(good);
		assert_true(pd_blob_count(good) > 1);
		check_rejects(p, good, load_state, make_state, drop_state);
		checked++;
	}
	assert_int_equal(checked, 8);
	pd_free(d);
}

/* Saves the global of processor p built from the workload's sessions. */
static struct pd_blob *workload_global(struct pd *d, const struct bpass_processor *p)
{
	void *g = p->global_new(pd_ctx(p, NULL));
	for (uint32_t s = 0; s < pd_n_sessions(d); s++) {
		const struct bpass_session_key *key = pd_session_key(d, s);
		void *st = NULL, *eph = NULL;
		if (p->session_new) {
			st = p->session_new(pd_ctx(p, key));
			struct pd_blob *b = pd_blob_copy(pd_saved_blob(d, s, p->name));
			assert_int_equal(p->load(pd_ctx(p, NULL), st, p->version, pd_blob_reader(b)), 0);
			pd_blob_free(b);
		}
		if (p->ephemeral_new) {
			/* an ephemeral state holding two timestamps */
			eph = p->ephemeral_new(pd_ctx(p, key));
			struct pd_blob *b = pd_blob_new();
			struct bpass_writer *w = pd_blob_writer(b);
			w->array(w, 2);
			w->i64(w, 1337104830 + s);
			w->i64(w, 1337104860 + s);
			assert_int_equal(p->ephemeral_load(pd_ctx(p, NULL), eph, pd_blob_reader(b)), 0);
			pd_blob_free(b);
		}
		assert_int_equal(p->merge(pd_ctx(p, key), g, st, eph), 0);
		if (st)
			p->session_free(pd_ctx(p, NULL), st);
		if (eph)
			p->ephemeral_free(pd_ctx(p, NULL), eph);
	}
	assert_int_equal(p->global_complete(pd_ctx(p, NULL), g), 0);
	struct pd_blob *out = pd_blob_new();
	assert_int_equal(p->global_save(pd_ctx(p, NULL), g, pd_blob_writer(out)), 0);
	p->global_free(pd_ctx(p, NULL), g);
	return out;
}

static void test_global_load_rejects_garbage(void **unused)
{
	(void)unused;
	int checked = 0;
	struct pd *d = pd_new(NULL);
	feed_range(d, 0, N_WORKLOAD);
	assert_int_equal(pd_end_run(d, NULL), 0);
	for (const char *const *n = all_names; *n; n++) {
		const struct bpass_processor *p = pd_processor(*n);
		if (!p->global_new)
			continue;
		struct pd_blob *good = workload_global(d, p);
		assert_true(pd_blob_count(good) > 1);
		check_rejects(p, good, load_global, make_global, drop_global);
		pd_blob_free(good);
		checked++;
	}
	/* flow-domains, update-statistics, availability, meta-statistics, throughput */
	assert_int_equal(checked, 5);
	pd_free(d);
}

static void test_ephemeral_load_rejects_garbage(void **unused)
{
	(void)unused;
	const struct bpass_processor *p = pd_processor("meta-statistics");
	struct pd_blob *good = pd_blob_new();
	struct bpass_writer *w = pd_blob_writer(good);
	w->array(w, 2);
	w->i64(w, 1337104830);
	w->i64(w, 1337104860);
	void *e = make_eph(p);
	assert_int_equal(load_eph(p, e, 1, good), 0);
	drop_eph(p, e);
	size_t n = pd_blob_count(good);
	for (size_t i = 0; i < n; i++) {
		struct pd_blob *b = pd_blob_copy(good);
		pd_blob_mutate(b, i);
		e = make_eph(p);
		assert_int_equal(load_eph(p, e, 1, b), -1);
		drop_eph(p, e);
		pd_blob_free(b);
	}
	/* a 1-element array, and oldest after newest */
	struct pd_blob *b = pd_blob_new();
	w = pd_blob_writer(b);
	w->array(w, 1);
	w->i64(w, 5);
	e = make_eph(p);
	assert_int_equal(load_eph(p, e, 1, b), -1);
	drop_eph(p, e);
	pd_blob_free(b);
	b = pd_blob_new();
	w = pd_blob_writer(b);
	w->array(w, 2);
	w->i64(w, 6);
	w->i64(w, 5);
	e = make_eph(p);
	assert_int_equal(load_eph(p, e, 1, b), -1);
	drop_eph(p, e);
	pd_blob_free(b);
	pd_blob_free(good);
}

/* Loads b as processor name's session state; returns load's result. */
static int try_load(const char *name, struct pd_blob *b)
{
	const struct bpass_processor *p = pd_processor(name);
	void *st = make_state(p);
	int rc = p->load(pd_ctx(p, NULL), st, p->version, pd_blob_reader(b));
	p->session_free(pd_ctx(p, NULL), st);
	pd_blob_free(b);
	return rc;
}

/* Well-typed data that no save produces: duplicates, out-of-range values,
 * NUL bytes in names, empty sets. */
static void test_load_rejects_semantic_garbage(void **unused)
{
	(void)unused;
	struct pd_blob *b;
	struct bpass_writer *w;
#define NEW() (b = pd_blob_new(), w = pd_blob_writer(b))
#define FLOW(id, port)                                              \
	do {                                                        \
		w->array(w, 8);                                     \
		w->i64(w, id);                                      \
		w->u64(w, 1);                                       \
		w->str(w, "a1", 2);                                 \
		w->u64(w, 1);                                       \
		w->str(w, "b2", 2);                                 \
		w->u64(w, 6);                                       \
		w->u64(w, port);                                    \
		w->u64(w, 80);                                      \
	} while (0)
	NEW();
	w->array(w, 1);
	FLOW(7, 1000);
	assert_int_equal(try_load("flows", b), 0);
	NEW();
	w->array(w, 2);
	FLOW(7, 1000);
	FLOW(7, 1001);                       /* a flow id twice */
	assert_int_equal(try_load("flows", b), -1);
	NEW();
	w->array(w, 1);
	FLOW(7, 65536);                      /* port out of range */
	assert_int_equal(try_load("flows", b), -1);
	NEW();
	w->array(w, 1);
	FLOW(INT64_C(2147483648), 1);        /* flow id beyond int32 */
	assert_int_equal(try_load("flows", b), -1);

	NEW();
	w->array(w, 2);
	for (int i = 0; i < 2; i++) {        /* an ip twice */
		w->array(w, 3);
		w->str(w, "a1", 2);
		w->str(w, "0000000000aa", 12);
		w->u64(w, 1);
	}
	assert_int_equal(try_load("addresses", b), -1);
	NEW();
	w->array(w, 1);
	w->array(w, 3);
	w->str(w, "a\0", 2);                 /* a NUL in a name */
	w->str(w, "0000000000aa", 12);
	w->u64(w, 1);
	assert_int_equal(try_load("addresses", b), -1);

	/* domains: [has_L, L, ipmap, amap, whitelist] */
	NEW();
	w->array(w, 5);
	w->boolean(w, true);
	w->i64(w, 5);
	w->array(w, 1);
	w->array(w, 3);
	w->u64(w, 1);
	w->str(w, "e1", 2);
	w->array(w, 0);                      /* a key with an empty set */
	w->array(w, 0);
	w->array(w, 0);
	assert_int_equal(try_load("domains", b), -1);
	NEW();
	w->array(w, 5);
	w->boolean(w, true);
	w->i64(w, 5);
	w->array(w, 1);
	w->array(w, 3);
	w->u64(w, 1);
	w->str(w, "e1", 2);
	w->array(w, 2);
	for (int i = 0; i < 2; i++) {        /* a record twice */
		w->array(w, 4);
		w->u64(w, 1);
		w->str(w, "d", 1);
		w->i64(w, -10);
		w->i64(w, 10);
	}
	w->array(w, 0);
	w->array(w, 0);
	assert_int_equal(try_load("domains", b), -1);
	NEW();
	w->array(w, 5);
	w->boolean(w, false);
	w->i64(w, 0);
	w->array(w, 0);
	w->array(w, 0);
	w->array(w, 2);
	w->str(w, "google.com", 10);
	w->str(w, "google.com", 10);         /* a whitelist entry twice */
	assert_int_equal(try_load("whitelisted-domains", b), -1);
	NEW();
	w->array(w, 5);
	w->boolean(w, false);
	w->i64(w, 0);
	w->array(w, 0);
	w->array(w, 1);
	w->array(w, 4);
	w->u64(w, 1);
	w->u64(w, 1);
	w->str(w, "d", 1);
	w->array(w, 1);
	w->array(w, 3);
	w->str(w, "e1", 2);
	w->i64(w, INT64_C(2147483648));      /* ttl beyond int32 */
	w->i64(w, 0);
	w->array(w, 0);
	assert_int_equal(try_load("domains", b), -1);

	NEW();
	w->array(w, 1);
	w->array(w, 2);
	w->i64(w, 7);
	w->array(w, 2);
	for (int i = 0; i < 2; i++) {        /* a domain twice in one flow's set */
		w->array(w, 2);
		w->u64(w, 1);
		w->str(w, "d", 1);
	}
	assert_int_equal(try_load("flow-domains", b), -1);

	NEW();
	w->array(w, 1);
	w->array(w, 3);
	w->i64(w, 22285080);
	w->u64(w, 100);
	w->u64(w, 0);                        /* a bucket without packets */
	assert_int_equal(try_load("throughput", b), -1);
	NEW();
	w->array(w, 2);
	for (int i = 0; i < 2; i++) {        /* a minute twice */
		w->array(w, 3);
		w->i64(w, 22285080);
		w->u64(w, 100);
		w->u64(w, 1);
	}
	assert_int_equal(try_load("throughput", b), -1);

	NEW();
	w->array(w, 1);
	w->array(w, 13);
	w->i64(w, 0);
	w->i64(w, 1337104830);
	w->i64(w, 5);
	for (int i = 0; i < 10; i++)         /* a counter beyond uint32 */
		w->u64(w, i == 9 ? UINT64_C(4294967296) : 0);
	assert_int_equal(try_load("update-statistics", b), -1);
#undef NEW
#undef FLOW
}

static void test_itab_strtab(void **unused)
{
	(void)unused;
	/* 10000 strings, then every one found again with its id; all hashes
	 * forced into one bucket as well, to exercise long probe chains */
	struct strtab t;
	strtab_init(&t);
	char s[32];
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(s, sizeof(s), "name-%d", i);
		assert_int_equal(strtab_intern(&t, s, (size_t)n), (uint32_t)i);
	}
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(s, sizeof(s), "name-%d", i);
		assert_int_equal(strtab_find(&t, s, (size_t)n), (uint32_t)i);
		assert_string_equal(strtab_str(&t, (uint32_t)i), s);
		assert_int_equal(strtab_intern(&t, s, (size_t)n), (uint32_t)i);
	}
	assert_int_equal(strtab_find(&t, "name-10000", 10), ITAB_NONE);
	assert_int_equal(strtab_intern(&t, "", 0), 10000);
	assert_true(strtab_cmp(&t, strtab_find(&t, "name-1", 6), strtab_find(&t, "name-10", 7)) < 0);
	strtab_release(&t);

	struct itab x;
	itab_init(&x);
	uint32_t cur, seen = 0;
	assert_int_equal(itab_find(&x, 42, &cur), ITAB_NONE);
	for (uint32_t i = 0; i < 100; i++)
		itab_insert(&x, 42, i);
	itab_insert(&x, 43, 100);
	for (uint32_t i = itab_find(&x, 42, &cur); i != ITAB_NONE; i = itab_find_next(&x, 42, &cur))
		seen += i + 1;
	assert_int_equal(seen, 100 * 101 / 2);
	itab_clear(&x);
	assert_int_equal(itab_find(&x, 42, &cur), ITAB_NONE);
	itab_release(&x);
}

/* itab removal keeps every other position findable, with heavy collisions
 * (hashes 0..15 only) and wrap-around at the end of the table. */
static void test_itab_remove(void **unused)
{
	(void)unused;
	struct itab t;
	itab_init(&t);
	enum { N = 2000 };
	static bool present[N];
	for (uint32_t i = 0; i < N; i++) {
		itab_insert(&t, (i * 7u) % 16u + (i % 3 ? 0 : 0xfffffff0u), i);
		present[i] = true;
	}
	uint32_t x = 12345;
	for (int round = 0; round < 3 * N; round++) {
		x = x * 1103515245u + 12345u;
		uint32_t i = (x >> 8) % N;
		uint32_t h = (i * 7u) % 16u + (i % 3 ? 0 : 0xfffffff0u);
		assert_int_equal(itab_remove(&t, h, i), present[i] ? 0 : -1);
		present[i] = false;
		if (round % 2) {
			itab_insert(&t, h, i);
			present[i] = true;
		}
	}
	uint32_t n = 0;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t h = (i * 7u) % 16u + (i % 3 ? 0 : 0xfffffff0u), cur, found = 0;
		for (uint32_t j = itab_find(&t, h, &cur); j != ITAB_NONE; j = itab_find_next(&t, h, &cur))
			found += j == i;
		assert_int_equal(found, present[i] ? 1 : 0);
		n += present[i];
	}
	assert_int_equal(t.n, n);
	itab_release(&t);
}

/* ---- domains against a naive model of processors.md, on random input ---- */

struct ref_rec { uint32_t addr, ip, anon, dom; int64_t a, b; };  /* a,b: start,end or ttl,ta */
struct ref {
	struct ref_rec r[4096];
	int n;
	struct ref_rec ar[4096];
	int na;
};

static void ref_put(struct ref_rec *v, int *n, struct ref_rec x)
{
	for (int i = 0; i < *n; i++)
		if (!memcmp(&v[i], &x, sizeof(x)))
			return;
	v[(*n)++] = x;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The live records of s and of the model, as sorted lines, must match. */
static void compare_model(const struct domains_state *s, const struct ref *m, char names[][16])
{
	char **x = calloc((size_t)s->live_recs + s->live_arecs + 1, sizeof(char *));
	char **y = calloc((size_t)m->n + m->na + 1, sizeof(char *));
	int nx = 0, ny = 0;
	for (uint32_t i = 0; i < s->n_recs; i++) {
		const struct domains_record *r = &s->recs[i];
		if (r->key == ITAB_NONE)
			continue;
		x[nx] = malloc(128);
		snprintf(x[nx++], 128, "R %u %s %u %s %lld %lld", s->keys[r->key].address_id,
			 strtab_str(&s->names, s->keys[r->key].ip), r->anon,
			 strtab_str(&s->names, r->domain), (long long)r->start_us, (long long)r->end_us);
	}
	for (uint32_t i = 0; i < s->n_arecs; i++) {
		const struct domains_arec *a = &s->arecs[i];
		if (a->akey == ITAB_NONE)
			continue;
		const struct domains_akey *k = &s->akeys[a->akey];
		x[nx] = malloc(128);
		snprintf(x[nx++], 128, "A %u %u %s %s %d %lld", k->address_id, k->anon,
			 strtab_str(&s->names, k->domain), strtab_str(&s->names, a->ip), a->ttl,
			 (long long)a->ta_us);
	}
	for (int i = 0; i < m->n; i++) {
		y[ny] = malloc(128);
		snprintf(y[ny++], 128, "R %u %s %u %s %lld %lld", m->r[i].addr, names[m->r[i].ip],
			 m->r[i].anon, names[m->r[i].dom], (long long)m->r[i].a, (long long)m->r[i].b);
	}
	for (int i = 0; i < m->na; i++) {
		y[ny] = malloc(128);
		snprintf(y[ny++], 128, "A %u %u %s %s %d %lld", m->ar[i].addr, m->ar[i].anon,
			 names[m->ar[i].dom], names[m->ar[i].ip], (int)m->ar[i].a, (long long)m->ar[i].b);
	}
	assert_int_equal(nx, ny);
	qsort(x, (size_t)nx, sizeof(*x), cmp_line);
	qsort(y, (size_t)ny, sizeof(*y), cmp_line);
	for (int i = 0; i < nx; i++) {
		assert_string_equal(x[i], y[i]);
		free(x[i]);
		free(y[i]);
	}
	free(x);
	free(y);
	/* the counts and the lists agree with the arrays */
	uint32_t keys = 0, in_lists = 0;
	for (uint32_t k = 0; k < s->n_keys; k++)
		if (s->keys[k].n) {
			keys++;
			uint32_t len = 0;
			for (uint32_t i = s->keys[k].head; i != ITAB_NONE; i = s->recs[i].next)
				len++;
			assert_int_equal(len, s->keys[k].n);
			in_lists += len;
		}
	assert_int_equal(keys, s->live_keys);
	assert_int_equal(in_lists, s->live_recs);
}

static void test_domains_model(void **unused)
{
	(void)unused;
	const char *env = getenv("PROC_SEED");
	uint32_t seed = env ? (uint32_t)strtoul(env, NULL, 10) : 20120515u;
	printf("# test_domains_model seed %u (set PROC_SEED to replay)\n", seed);
	static char names[12][16];
	for (int i = 0; i < 12; i++)
		snprintf(names[i], sizeof(names[i]), "n%u", (unsigned)i % 100u);
	struct domains_state s;
	domains_state_init(&s);
	struct ref *m = calloc(1, sizeof(*m));
	uint32_t x = seed;
#define RND(n) ((x = x * 1103515245u + 12345u), (x >> 8) % (n))
	int64_t now = 1000 * USEC_PER_S;
	for (int step = 0; step < 3000; step++) {
		uint32_t op = RND(10);
		uint32_t addr = RND(3), anon = RND(2), dom = RND(6), ip = 6 + RND(6);
		int64_t t = now + (int64_t)RND(60) * USEC_PER_S / 2;
		int32_t ttl = (int32_t)RND(200) - 20;
		if (op < 5) {  /* an A record */
			uint32_t ips = strtab_intern(&s.names, names[ip], strlen(names[ip]));
			uint32_t ds = strtab_intern(&s.names, names[dom], strlen(names[dom]));
			domains_remember(&s, addr, (uint8_t)anon, ds, ips, ttl, t);
			domains_add(&s, addr, ips, (uint8_t)anon, ds, t, t + ttl * USEC_PER_S);
			ref_put(m->ar, &m->na, (struct ref_rec){addr, ip, anon, dom, ttl, t});
			ref_put(m->r, &m->n, (struct ref_rec){addr, ip, anon, dom, t, t + ttl * USEC_PER_S});
		} else if (op < 8) {  /* a CNAME alias dom2 -> dom */
			uint32_t alias = RND(6), aanon = RND(2);
			uint32_t k = domains_find_akey(&s, addr, (uint8_t)anon, names[dom]);
			uint32_t as = strtab_intern(&s.names, names[alias], strlen(names[alias]));
			if (k != ITAB_NONE)
				for (uint32_t j = s.akeys[k].head; j != ITAB_NONE; j = s.arecs[j].next) {
					const struct domains_arec *a = &s.arecs[j];
					int64_t st = t > a->ta_us ? t : a->ta_us;
					int64_t e1 = t + ttl * USEC_PER_S, e2 = a->ta_us + a->ttl * USEC_PER_S;
					if (st <= (e1 < e2 ? e1 : e2))
						domains_add(&s, addr, a->ip, (uint8_t)aanon, as, st, e1 < e2 ? e1 : e2);
				}
			int na = m->na;
			for (int i = 0; i < na; i++) {
				const struct ref_rec *a = &m->ar[i];
				if (a->addr != addr || a->anon != anon || a->dom != dom)
					continue;
				int64_t st = t > a->b ? t : a->b;
				int64_t e1 = t + ttl * USEC_PER_S, e2 = a->b + a->a * USEC_PER_S;
				int64_t e = e1 < e2 ? e1 : e2;
				if (st <= e)
					ref_put(m->r, &m->n, (struct ref_rec){addr, a->ip, aanon, alias, st, e});
			}
		} else {  /* time moves on; expiry with L = now */
			now += (int64_t)RND(40) * USEC_PER_S;
			domains_expire(&s, now);
			int j = 0;
			for (int i = 0; i < m->n; i++)
				if (m->r[i].b >= now)
					m->r[j++] = m->r[i];
			m->n = j;
			j = 0;
			for (int i = 0; i < m->na; i++)
				if (m->ar[i].b + m->ar[i].a * USEC_PER_S >= now)
					m->ar[j++] = m->ar[i];
			m->na = j;
		}
		assert_true(m->n < 4000 && m->na < 4000);
		if (step % 100 == 99)
			compare_model(&s, m, names);
	}
#undef RND
	compare_model(&s, m, names);
	domains_state_release(&s);
	free(m);
}

static void test_usec(void **unused)
{
	(void)unused;
	assert_int_equal(usec_floor_div(59999999, USEC_PER_MIN), 0);
	assert_int_equal(usec_floor_div(60000000, USEC_PER_MIN), 1);
	assert_int_equal(usec_floor_div(-1, USEC_PER_MIN), -1);
	assert_int_equal(usec_floor_div(-60000000, USEC_PER_MIN), -1);
	assert_int_equal(usec_floor_div(-60000001, USEC_PER_MIN), -2);
	assert_int_equal(usec_from_s(1337104830), 1337104830000000);
	assert_int_equal(usec_from_s(INT64_MAX / 1000), INT64_MAX);
	assert_int_equal(usec_from_s(INT64_MIN / 1000), INT64_MIN);
	assert_int_equal(usec_add(INT64_MAX - 1, 5), INT64_MAX);
	assert_int_equal(usec_sub(INT64_MIN + 1, 5), INT64_MIN);
	assert_int_equal(usec_sub(10, 35000000), -34999990);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_order),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_load_rejects_garbage),
		cmocka_unit_test(test_global_load_rejects_garbage),
		cmocka_unit_test(test_ephemeral_load_rejects_garbage),
		cmocka_unit_test(test_load_rejects_semantic_garbage),
		cmocka_unit_test(test_itab_strtab),
		cmocka_unit_test(test_itab_remove),
		cmocka_unit_test(test_domains_model),
		cmocka_unit_test(test_usec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
