/*
 * tests/unit/test_proc_state.c: properties of all built-in processors
 * together (except byte-count) on one mixed workload run by the real worker
 * and merge code (proc_driver.h): the global tables do not depend on the
 * merge order; running updates 0..k, then k+1..n from the saved state files
 * gives the same states and tables as one run over 0..n; every state
 * survives save/load (the driver checks save(load(x)) == x for every state
 * file, ephemeral state and cached global result); loads through the real
 * msgpack reader reject truncated, retyped, duplicated or out-of-range data
 * and foreign versions. Also the small helpers (itab, strtab, usec), and the
 * domains maps against a naive model of processors.md on random input
 * (PROC_SEED replays a seed).
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
#include "state_writer.h"
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
		pd_feed_parts(d, &workload[i]);
}

/* Every table of the text of pd_tables_text has rows after its header. */
static void check_rows(const char *text)
{
	int tables = 0;
	for (const char *t = strstr(text, "# "); t; t = strstr(t + 1, "\n# ")) {
		const char *head = strchr(t + 1, '\n') + 1, *row = strchr(head, '\n') + 1;
		if (!*row || !strncmp(row, "# ", 2))
			fail_msg("table %.*s has no rows", (int)strcspn(t + 2, "\n"), t + 2);
		tables++;
	}
	assert_true(tables > 1);
}

static void test_merge_order(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(NULL);
	feed_range(d, 0, N_WORKLOAD);
	pd_end_run(d);
	assert_int_equal(pd_n_sessions(d), 3);
	char *tables = pd_tables_text(d, NULL);
	char *figures = strdup(pd_figures(d));
	/* every table written (sessions.csv too) has rows */
	check_rows(tables);
	static const uint32_t orders[][3] = {{2, 1, 0}, {1, 2, 0}, {2, 0, 1}};
	for (size_t i = 0; i < 3; i++) {
		pd_merge(d, orders[i]);
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
	pd_end_run(once);
	feed_range(twice, 0, SPLIT);
	pd_end_run(twice);
	feed_range(twice, SPLIT, N_WORKLOAD);
	pd_end_run(twice);

	/* meta-statistics describes only its run, by definition */
	static const char *const per_run[] = {"meta_statistics", NULL};
	char *a = pd_tables_text(once, per_run), *b = pd_tables_text(twice, per_run);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_string_equal(pd_figures(once), pd_figures(twice));
	for (uint32_t s = 0; s < pd_n_sessions(once); s++)
		for (const struct bpass_processor *const *p = processors_builtin; *p; p++) {
			const char *x = pd_saved(once, s, (*p)->name), *y = pd_saved(twice, s, (*p)->name);
			if (!x) {
				assert_null(y);  /* byte-count does not run */
				continue;
			}
			assert_non_null(y);
			assert_string_equal(x, y);
		}
	pd_free(once);
	pd_free(twice);
}

/* Processor p's saved part good[0..len) must load, and fail to load when
 * cut short anywhere, when any one value has another type, when it is not
 * msgpack, or (but for an ephemeral state, which has no version) when saved
 * by another version. */
static void check_rejects(const struct bpass_processor *p, enum pd_part part, const void *good,
			  size_t len)
{
	assert_int_equal(pd_load(p, part, p->version, good, len, NULL), 0);
	if (part != PD_EPHEMERAL)
		assert_int_equal(pd_load(p, part, p->version + 1, good, len, NULL), -1);
	for (size_t cut = 0; cut < len; cut++)
		if (pd_load(p, part, p->version, good, cut, NULL) != -1)
			fail_msg("%s: a load of the first %zu of %zu bytes succeeded", p->name, cut, len);
	assert_int_equal(pd_load(p, part, p->version, "not msgpack at all", 18, NULL), -1);
	assert_int_equal(pd_load(p, part, p->version, "\xc1\xc1\xc1", 3, NULL), -1);
	struct buf b;
	buf_init(&b);
	size_t i = 0;
	for (; pd_msgpack_retype(good, len, i, &b); i++)
		if (pd_load(p, part, p->version, b.data, b.len, NULL) != -1)
			fail_msg("%s: a load with value %zu retyped succeeded: %s", p->name, i,
				 pd_msgpack_text(b.data, b.len));
	assert_true(i > 1);
	buf_release(&b);
}

/* The processors under test (all but byte-count) that have a part of the kind. */
static bool has_part(const struct bpass_processor *p, enum pd_part part)
{
	if (!strcmp(p->name, "byte-count"))
		return false;
	return part == PD_SESSION ? p->session_new != NULL
	       : part == PD_GLOBAL ? p->global_new != NULL
				   : p->ephemeral_new != NULL;
}

/* Every saved state of session 0 of the workload (which has something in
 * every state) and every global result of its run. */
static void test_load_rejects_garbage(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(NULL);
	feed_range(d, 0, N_WORKLOAD);
	pd_end_run(d);
	int sessions = 0, globals = 0;
	for (const struct bpass_processor *const *p = processors_builtin; *p; p++) {
		size_t len;
		const void *good;
		if (has_part(*p, PD_SESSION)) {
			good = pd_saved_data(d, 0, (*p)->name, &len);
			assert_non_null(good);
			check_rejects(*p, PD_SESSION, good, len);
			sessions++;
		}
		if (has_part(*p, PD_GLOBAL)) {
			good = pd_global_data(d, (*p)->name, &len);
			assert_non_null(good);
			check_rejects(*p, PD_GLOBAL, good, len);
			globals++;
		}
	}
	assert_true(sessions > 0 && globals > 0);
	pd_free(d);
}

/* The bytes sw holds, complete. */
static const void *written(struct state_writer *sw, size_t *len)
{
	assert_int_equal(state_writer_finish(sw), 0);
	*len = sw->sbuf.size;
	return sw->sbuf.data;
}

/* meta-statistics' ephemeral state [oldest, newest] (the first n of them),
 * in sw. */
static const void *eph_bytes(struct state_writer *sw, uint32_t n, int64_t oldest,
			     int64_t newest, size_t *len)
{
	struct bpass_writer *w = &sw->w;
	state_writer_reset(sw);
	w->array(w, n);
	if (n > 0)
		w->i64(w, oldest);
	if (n > 1)
		w->i64(w, newest);
	return written(sw, len);
}

static void test_ephemeral_load_rejects_garbage(void **unused)
{
	(void)unused;
	const struct bpass_processor *p = pd_processor("meta-statistics");
	struct state_writer sw;
	state_writer_init(&sw);
	size_t len;
	const void *data = eph_bytes(&sw, 2, 1337104830, 1337104860, &len);
	check_rejects(p, PD_EPHEMERAL, data, len);
	data = eph_bytes(&sw, 0, 0, 0, &len);
	assert_int_equal(pd_load(p, PD_EPHEMERAL, 0, data, len, NULL), 0);
	/* a 1-element array, and oldest after newest */
	data = eph_bytes(&sw, 1, 5, 0, &len);
	assert_int_equal(pd_load(p, PD_EPHEMERAL, 0, data, len, NULL), -1);
	data = eph_bytes(&sw, 2, 6, 5, &len);
	assert_int_equal(pd_load(p, PD_EPHEMERAL, 0, data, len, NULL), -1);
	state_writer_release(&sw);
}

/* Loads what sw holds as processor name's session state; returns load's result. */
static int try_load(const char *name, struct state_writer *sw)
{
	const struct bpass_processor *p = pd_processor(name);
	size_t len;
	const void *data = written(sw, &len);
	return pd_load(p, PD_SESSION, p->version, data, len, NULL);
}

/* Well-typed data that no save produces: duplicates, out-of-range values,
 * NUL bytes in names, empty sets. */
static void test_load_rejects_semantic_garbage(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	struct bpass_writer *w = &sw.w;
#define NEW() state_writer_reset(&sw)
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
	assert_int_equal(try_load("flows", &sw), 0);
	NEW();
	w->array(w, 2);
	FLOW(7, 1000);
	FLOW(7, 1001);                       /* a flow id twice */
	assert_int_equal(try_load("flows", &sw), -1);
	NEW();
	w->array(w, 1);
	FLOW(7, 65536);                      /* port out of range */
	assert_int_equal(try_load("flows", &sw), -1);
	NEW();
	w->array(w, 1);
	FLOW(INT64_C(2147483648), 1);        /* flow id beyond int32 */
	assert_int_equal(try_load("flows", &sw), -1);

	/* addresses: [ips, ids] */
	NEW();
	w->array(w, 2);
	w->array(w, 1);
	w->array(w, 3);
	w->str(w, "a1", 2);
	w->str(w, "0000000000aa", 12);
	w->u64(w, 1);
	w->array(w, 1);
	w->array(w, 2);
	w->u64(w, 1);
	w->str(w, "0000000000aa", 12);
	assert_int_equal(try_load("addresses", &sw), 0);
	NEW();
	w->array(w, 2);
	w->array(w, 2);
	for (int i = 0; i < 2; i++) {        /* an ip twice */
		w->array(w, 3);
		w->str(w, "a1", 2);
		w->str(w, "0000000000aa", 12);
		w->u64(w, 1);
	}
	w->array(w, 0);
	assert_int_equal(try_load("addresses", &sw), -1);
	NEW();
	w->array(w, 2);
	w->array(w, 1);
	w->array(w, 3);
	w->str(w, "a\0", 2);                 /* a NUL in a name */
	w->str(w, "0000000000aa", 12);
	w->u64(w, 1);
	w->array(w, 0);
	assert_int_equal(try_load("addresses", &sw), -1);
	NEW();
	w->array(w, 2);
	w->array(w, 0);
	w->array(w, 2);
	for (int i = 0; i < 2; i++) {        /* an id twice */
		w->array(w, 2);
		w->u64(w, 1);
		w->str(w, "0000000000aa", 12);
	}
	assert_int_equal(try_load("addresses", &sw), -1);

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
	assert_int_equal(try_load("domains", &sw), -1);
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
	assert_int_equal(try_load("domains", &sw), -1);
	NEW();
	w->array(w, 5);
	w->boolean(w, false);
	w->i64(w, 0);
	w->array(w, 0);
	w->array(w, 0);
	w->array(w, 2);
	w->str(w, "google.com", 10);
	w->str(w, "google.com", 10);         /* a whitelist entry twice */
	assert_int_equal(try_load("whitelisted-domains", &sw), -1);
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
	assert_int_equal(try_load("domains", &sw), -1);

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
	assert_int_equal(try_load("flow-domains", &sw), -1);

	NEW();
	w->array(w, 1);
	w->array(w, 3);
	w->i64(w, 22285080);
	w->u64(w, 100);
	w->u64(w, 0);                        /* a bucket without packets */
	assert_int_equal(try_load("throughput", &sw), -1);
	NEW();
	w->array(w, 2);
	for (int i = 0; i < 2; i++) {        /* a minute twice */
		w->array(w, 3);
		w->i64(w, 22285080);
		w->u64(w, 100);
		w->u64(w, 1);
	}
	assert_int_equal(try_load("throughput", &sw), -1);

	NEW();
	w->array(w, 1);
	w->array(w, 13);
	w->i64(w, 0);
	w->i64(w, 1337104830);
	w->i64(w, 5);
	for (int i = 0; i < 10; i++)         /* a counter beyond uint32 */
		w->u64(w, i == 9 ? UINT64_C(4294967296) : 0);
	assert_int_equal(try_load("update-statistics", &sw), -1);
#undef NEW
#undef FLOW
	state_writer_release(&sw);
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
		cmocka_unit_test(test_ephemeral_load_rejects_garbage),
		cmocka_unit_test(test_load_rejects_semantic_garbage),
		cmocka_unit_test(test_itab_strtab),
		cmocka_unit_test(test_itab_remove),
		cmocka_unit_test(test_domains_model),
		cmocka_unit_test(test_usec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
