/*
 * tests/unit/test_kept_tables.c: the result tables bpass keeps for a
 * processor that declares them (.tables, ctx->add_row;
 * processors/proc_tables.c), first with descriptors made up here,
 * registered with the real registry and called through the framework's
 * context, then with the test plugin tests/plugins/tables.c run by the real
 * worker, merge and results code (proc_driver.h):
 *  - rows worked out by hand, written by the real results writer; the
 *    SDK's bpass_add adds the same rows as ctx->add_row;
 *  - every bad ctx->add_row fails the call with its message, even when the
 *    processor ignores the -1;
 *  - save and load round trip (session and global), and what load declines
 *    (another declaration, version, number of tables, any retyped value);
 *  - global_combine of partial results gives what one merge gives
 *    (associative, commutative, the empty result its identity);
 *  - the declarations are part of what makes a saved state current;
 *  - the registry's rules (tables-only processors are valid; bad names and
 *    columns, twice-declared tables are refused);
 *  - incremental runs equal one run; ctx->state_of gives a processor's own
 *    state, not bpass's wrapper.
 *
 * Times: T0 = 1337104800 s = 2012-05-15T18:00:00Z (a whole minute).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpass_sdk.h"
#include "fixture.h"
#include "proc_ctx.h"
#include "proc_driver.h"
#include "proc_options.h"
#include "proc_tables.h"
#include "registry.h"
#include "results.h"
#include "state_reader.h"
#include "state_writer.h"

#define T0 1337104800LL
#define US 1000000LL
#define CTX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CTX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* ===========================================================================
 * Descriptors made up here
 */

/* hits: tables only. Per packet a row of "hits" and of "sizes", per update
 * one of "updates" (COUNT only: no cells). */
static const struct bpass_column hits_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"minute", BPASS_KEY_MINUTE}, {"n", BPASS_VAL_COUNT},
	{"bytes", BPASS_VAL_SUM},   {"lo", BPASS_VAL_MIN},        {"hi", BPASS_VAL_MAX},
	{"flows", BPASS_VAL_DISTINCT}, {"contexts", BPASS_VAL_DISTINCT_STR}, {NULL, 0}};
static const struct bpass_column hits_cols2[] = {   /* "bytes" renamed */
	{"node_id", BPASS_KEY_STR}, {"minute", BPASS_KEY_MINUTE}, {"n", BPASS_VAL_COUNT},
	{"octets", BPASS_VAL_SUM},  {"lo", BPASS_VAL_MIN},        {"hi", BPASS_VAL_MAX},
	{"flows", BPASS_VAL_DISTINCT}, {"contexts", BPASS_VAL_DISTINCT_STR}, {NULL, 0}};
static const struct bpass_column sizes_cols[] = {
	{"size", BPASS_KEY_I64}, {"n", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_column updates_cols[] = {{"updates", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_table_decl hits_tables[] = {
	{"hits", hits_cols}, {"sizes", sizes_cols}, {"updates", updates_cols}, {NULL, NULL}};
static const struct bpass_table_decl hits_tables2[] = {
	{"hits", hits_cols2}, {"sizes", sizes_cols}, {"updates", updates_cols}, {NULL, NULL}};

static int hits_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	assert_null(state);   /* it keeps none of its own */
	assert_null(eph);
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		const union bpass_cell hit[] = {{.s = ctx->key->node_id}, {.i = p->time_us},
						{.i = p->size}, {.i = p->size}, {.i = p->size},
						{.i = p->flow_id}, {.s = u->context}};
		const union bpass_cell size[] = {{.i = p->size}};
		if (ctx->add_row(ctx, 0, hit, 7) || ctx->add_row(ctx, 1, size, 1))
			return -1;
	}
	return ctx->add_row(ctx, 2, NULL, 0);
}

static const struct bpass_processor hits = {
	BPASS_PROCESSOR_HEADER, .name = "hits", .version = 1, .process = hits_process,
	.tables = hits_tables};
static const struct bpass_processor hits2 = {
	BPASS_PROCESSOR_HEADER, .name = "hits2", .version = 1, .process = hits_process,
	.tables = hits_tables2};

/* sdk-hits: hits written with the SDK's bpass_add and bpass_add_cells. */
static int sdk_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state;
	(void)eph;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		if (bpass_add(ctx, 0, ctx->key->node_id, p->time_us, p->size, p->size, p->size,
			      p->flow_id, u->context) ||
		    bpass_add(ctx, 1, p->size))
			return -1;
	}
	return bpass_add_cells(ctx, 2, NULL, 0);
}

static const struct bpass_processor sdk_hits = {
	BPASS_PROCESSOR_HEADER, .name = "sdk-hits", .version = 1, .process = sdk_process,
	.tables = hits_tables};

/* mixed: its own session state (packets) and global result (packets in all,
 * table mixed_total) with global_combine, and table mixed_nodes (node_id,
 * updates). */
static const struct bpass_column nodes_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"updates", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_table_decl mixed_tables[] = {{"mixed_nodes", nodes_cols}, {NULL, NULL}};

static void *i64_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(int64_t));
}

static void i64_free(struct bpass_ctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int i64_save(struct bpass_ctx *ctx, const void *p, struct bpass_writer *w)
{
	(void)ctx;
	w->i64(w, *(const int64_t *)p);
	return 0;
}

static int i64_load(struct bpass_ctx *ctx, void *p, uint32_t version, struct bpass_reader *r)
{
	(void)ctx;
	return version == 1 && !r->i64(r, p) ? 0 : -1;
}

static int i64_add(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	*(int64_t *)into += *(const int64_t *)from;
	return 0;
}

static int mixed_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)eph;
	*(int64_t *)state += u->n_packets;
	const union bpass_cell row[] = {{.s = ctx->key->node_id}};
	return ctx->add_row(ctx, 0, row, 1);
}

static int mixed_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	(void)eph;
	return i64_add(ctx, global, state);
}

static int mixed_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	static const char *const cols[] = {"packets", NULL};
	struct bpass_table *t = res->table(res, "mixed_total", cols);
	assert_non_null(t);
	res->i64(t, *(const int64_t *)global);
	assert_int_equal(res->row_end(t), 0);
	return res->close(t);
}

static const struct bpass_processor mixed = {
	BPASS_PROCESSOR_HEADER,
	.name = "mixed",
	.version = 1,
	.session_new = i64_new,
	.session_free = i64_free,
	.process = mixed_process,
	.save = i64_save,
	.load = i64_load,
	.global_new = i64_new,
	.global_free = i64_free,
	.merge = mixed_merge,
	.global_save = i64_save,
	.global_load = i64_load,
	.write_results = mixed_write,
	.global_combine = i64_add,
	.tables = mixed_tables,
};

/* nocombine: an own global result without global_combine nor global_save. */
static const struct bpass_table_decl nocombine_tables[] = {{"nocombine", nodes_cols}, {NULL, NULL}};
static const struct bpass_processor nocombine = {
	BPASS_PROCESSOR_HEADER,
	.name = "nocombine",
	.version = 1,
	.process = mixed_process,
	.session_new = i64_new,
	.session_free = i64_free,
	.save = i64_save,
	.load = i64_load,
	.global_new = i64_new,
	.global_free = i64_free,
	.tables = nocombine_tables,
};

/* bad: adds a bad row the way bad_mode says. */
static const struct bpass_column bad_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"names", BPASS_VAL_DISTINCT_STR}, {"v", BPASS_VAL_SUM},
	{NULL, 0}};
static const struct bpass_table_decl bad_tables[] = {{"bad_t", bad_cols}, {NULL, NULL}};
enum { BAD_NONE, BAD_INDEX, BAD_CELLS, BAD_NULL_KEY, BAD_NULL_VALUE, BAD_NO_CELLS, BAD_IGNORED };
static int bad_mode;

static int bad_rows(struct bpass_ctx *ctx)
{
	union bpass_cell c[] = {{.s = ctx->key->node_id}, {.s = "x"}, {.i = 1}};
	switch (bad_mode) {
	case BAD_INDEX:
		return ctx->add_row(ctx, 1, c, 3);
	case BAD_CELLS:
		return ctx->add_row(ctx, 0, c, 2);
	case BAD_NULL_KEY:
		c[0].s = NULL;
		return ctx->add_row(ctx, 0, c, 3);
	case BAD_NULL_VALUE:
		c[1].s = NULL;
		return ctx->add_row(ctx, 0, c, 3);
	case BAD_NO_CELLS:
		return ctx->add_row(ctx, 0, NULL, 3);
	case BAD_IGNORED:
		(void)ctx->add_row(ctx, 7, c, 3);
		return ctx->add_row(ctx, 0, c, 3);   /* a good row after it */
	default:
		return ctx->add_row(ctx, 0, c, 3);
	}
}

static int bad_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state;
	(void)eph;
	(void)u;
	return bad_rows(ctx) ? -1 : 0;
}

static int bad_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	(void)state;
	(void)eph;
	return bad_rows(ctx) ? -1 : 0;
}

static const struct bpass_processor bad = {
	BPASS_PROCESSOR_HEADER, .name = "bad", .version = 1, .process = bad_process,
	.session_complete = bad_complete, .tables = bad_tables};

/* plain: no tables. */
static int plain_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state;
	(void)eph;
	(void)u;
	const union bpass_cell c[] = {{.i = 1}};
	return ctx->add_row(ctx, 0, c, 1);
}

static const struct bpass_processor plain = {
	BPASS_PROCESSOR_HEADER, .name = "plain", .version = 1, .process = plain_process};

/* ===========================================================================
 * Calling them as the framework does
 */

static struct registry reg;
static struct proc_ctx pc;

static int setup(void **unused)
{
	(void)unused;
	registry_init(&reg);
	const struct bpass_processor *all[] = {&hits,      &hits2, &mixed, &nocombine,
					       &sdk_hits,  &bad,   &plain};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_int_equal(registry_add(&reg, all[i], REGISTRY_BUILTIN, UINT32_MAX, false), 0);
	proc_ctx_init(&pc, NULL);
	return 0;
}

static int teardown(void **unused)
{
	(void)unused;
	proc_ctx_release(&pc);
	registry_release(&reg);
	return 0;
}

static const struct bpass_processor *P(const char *name)
{
	const struct registry_proc *rp = registry_find(&reg, name);
	assert_non_null(rp);
	return &rp->p;
}

static struct bpass_ctx *C(const struct bpass_processor *p, const struct bpass_session_key *key)
{
	return proc_ctx_enter(&pc, p, key);
}

/* The sessions of the made-up tests: A (N1, two updates), B (N1, another
 * context), C (N2). */
static const struct bpass_packet a0[] = {
	{(T0 + 1) * US, 7, 100}, {(T0 + 2) * US, 7, 50}, {(T0 + 61) * US, 8, 10}};
static const struct bpass_packet a1[] = {{(T0 + 62) * US, 9, 300}};
static const struct bpass_packet b0[] = {{(T0 + 5) * US, 7, 70}};
static const struct bpass_packet c0[] = {{(T0 + 1) * US, -1, 50}};

static const struct session {
	struct bpass_session_key key;
	struct {
		const struct bpass_packet *p;
		uint32_t n;
	} u[2];
} sessions[] = {
	{{"N1", CTX_A, 1}, {{a0, 3}, {a1, 1}}},
	{{"N1", CTX_B, 2}, {{b0, 1}, {NULL, 0}}},
	{{"N2", CTX_A, 3}, {{c0, 1}, {NULL, 0}}},
};
#define N_SESSIONS 3

/* The session state of p after the updates of session s. */
static void *run_session(const struct bpass_processor *p, const struct session *s)
{
	void *st = p->session_new(C(p, &s->key));
	assert_non_null(st);
	for (int32_t k = 0; k < 2 && s->u[k].p; k++) {
		struct bpass_update u;
		memset(&u, 0, sizeof(u));
		u.version = 5;
		u.node_id = s->key.node_id;
		u.session_id = s->key.session_id;
		u.context = s->key.context;
		u.sequence = k;
		u.timestamp_s = T0 + 30 * (k + 1);
		u.packets = s->u[k].p;
		u.n_packets = s->u[k].n;
		if (p->process(C(p, &s->key), st, NULL, &u))
			fail_msg("%s: process failed%s", p->name, proc_ctx_why(&pc));
	}
	return st;
}

/* A global result of p with sessions [from, to) merged. */
static void *partial(const struct bpass_processor *p, size_t from, size_t to)
{
	void *g = p->global_new(C(p, NULL));
	assert_non_null(g);
	for (size_t i = from; i < to; i++) {
		void *st = run_session(p, &sessions[i]);
		assert_int_equal(p->merge(C(p, &sessions[i].key), g, st, NULL), 0);
		p->session_free(C(p, &sessions[i].key), st);
	}
	return g;
}

/* What save (global: global_save) writes for x, as text. */
static char *saved_text(const struct bpass_processor *p, const void *x, bool global)
{
	struct state_writer sw;
	state_writer_init(&sw);
	int rc = global ? p->global_save(C(p, NULL), x, &sw.w) : p->save(C(p, NULL), x, &sw.w);
	assert_int_equal(rc, 0);
	assert_int_equal(state_writer_finish(&sw), 0);
	char *text = pd_msgpack_text(sw.sbuf.data, sw.sbuf.size);
	state_writer_release(&sw);
	return text;
}

/* The same for a global result, which is freed. */
static char *completed(const struct bpass_processor *p, void *g)
{
	char *text = saved_text(p, g, true);
	p->global_free(C(p, NULL), g);
	return text;
}

/* The tables p's write_results writes for g, "# name" before each, sorted. */
static char *written(const struct bpass_processor *p, const void *g)
{
	char dir[FX_PATH];
	assert_int_equal(fx_scratch("kept-tables", dir, sizeof(dir)), 0);
	struct results res;
	assert_int_equal(results_init(&res, dir, false), 0);
	assert_int_equal(p->write_results(C(p, NULL), g, &res.r), 0);
	assert_false(results_failed(&res));
	results_release(&res);
	struct buf out;
	buf_init(&out);
	static const char *const names[] = {"hits", "mixed_nodes", "mixed_total", "sizes", "updates"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[FX_PATH + 32];
		snprintf(path, sizeof(path), "%s/%s.csv", dir, names[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		fclose(f);
		size_t len;
		char *text = fx_read_file(path, &len);
		buf_printf(&out, "# %s\n%s", names[i], text);
		free(text);
	}
	assert_int_equal(fx_remove(dir), 0);
	buf_putc(&out, 0);
	return out.data;
}

/* ===========================================================================
 * Tests with the made-up descriptors
 */

/*
 * hits, worked out by hand:
 *   N1 18:00  A: 100 (flow 7), 50 (flow 7); B: 70 (flow 7, context B)
 *             -> 3 rows, 220 bytes, 50..100, 1 flow, 2 contexts
 *   N1 18:01  A: 10 (flow 8), 300 (flow 9) -> 2, 310, 10..300, 2 flows, 1
 *   N2 18:00  C: 50 (flow -1) -> 1, 50, 50..50, 1, 1
 * sizes: 10, 50 (twice), 70, 100, 300; updates: 2 + 1 + 1.
 */
static void test_rows_by_hand(void **unused)
{
	(void)unused;
	const struct bpass_processor *p = P("hits");
	void *g = partial(p, 0, N_SESSIONS);
	char *text = written(p, g);
	assert_string_equal(text,
			    "# hits\n"
			    "node_id,minute,n,bytes,lo,hi,flows,contexts\n"
			    "N1,2012-05-15T18:00:00Z,3,220,50,100,1,2\n"
			    "N1,2012-05-15T18:01:00Z,2,310,10,300,2,1\n"
			    "N2,2012-05-15T18:00:00Z,1,50,50,50,1,1\n"
			    "# sizes\n"
			    "size,n\n10,1\n50,2\n70,1\n100,1\n300,1\n"
			    "# updates\n"
			    "updates\n4\n");
	free(text);
	p->global_free(C(p, NULL), g);

	/* With an own global result: bpass's tables, then the processor's. */
	p = P("mixed");
	g = partial(p, 0, N_SESSIONS);
	text = written(p, g);
	assert_string_equal(text, "# mixed_nodes\nnode_id,updates\nN1,3\nN2,1\n"
				  "# mixed_total\npackets\n6\n");
	free(text);
	p->global_free(C(p, NULL), g);
}

/* The SDK's bpass_add gives what ctx->add_row gives; under a bpass whose
 * context has no add_row, it fails saying so. */
static void test_sdk_add(void **unused)
{
	(void)unused;
	void *g = partial(P("hits"), 0, N_SESSIONS), *g2 = partial(P("sdk-hits"), 0, N_SESSIONS);
	char *want = completed(P("hits"), g), *got = completed(P("sdk-hits"), g2);
	assert_string_equal(got, want);
	free(want);
	free(got);

	static const struct bpass_session_key key = {"N1", CTX_A, 1};
	const struct bpass_processor *p = P("sdk-hits");
	void *st = p->session_new(C(p, &key));
	struct bpass_ctx old = *C(p, &key);
	old.struct_size = (uint32_t)offsetof(struct bpass_ctx, add_row);
	assert_int_equal(bpass_add(&old, 1, 5), -1);
	assert_string_equal(proc_ctx_why(&pc), ": could not add a row: bpass " BPASS_VERSION_STRING
					       " keeps no tables for processors");
	p->session_free(C(p, &key), st);
}

/* The saved forms: the tables first (an array of the SDK's saved forms), then
 * the processor's own part. */
static void test_saved_form(void **unused)
{
	(void)unused;
	const struct bpass_processor *p = P("mixed");
	void *st = run_session(p, &sessions[0]);
	char *text = saved_text(p, st, false);
	assert_string_equal(text, "[[1, \"mixed_nodes\", [\"node_id\", \"str\", \"updates\", \"count\"], "
				  "[[\"N1\", 2]]]], 4");
	free(text);
	p->session_free(C(p, NULL), st);

	/* Without an own part, only the tables. */
	p = P("hits");
	st = run_session(p, &sessions[2]);
	text = saved_text(p, st, false);
	assert_string_equal(
		text, "[[1, \"hits\", [\"node_id\", \"str\", \"minute\", \"minute\", \"n\", \"count\", "
		      "\"bytes\", \"sum\", \"lo\", \"min\", \"hi\", \"max\", \"flows\", \"distinct\", "
		      "\"contexts\", \"distinct_str\"], "
		      "[[\"N2\", 1337104800000000, 1, 50, 50, 50, [-1], [\"" CTX_A "\"]]]], "
		      "[1, \"sizes\", [\"size\", \"i64\", \"n\", \"count\"], [[50, 1]]], "
		      "[1, \"updates\", [\"updates\", \"count\"], [[1]]]]");
	free(text);
	p->session_free(C(p, NULL), st);
}

/* Writes x with the real msgpack writer into out (reset first). */
static void save_bytes(const struct bpass_processor *p, const void *x, bool global, struct buf *out)
{
	struct state_writer sw;
	state_writer_init(&sw);
	int rc = global ? p->global_save(C(p, NULL), x, &sw.w) : p->save(C(p, NULL), x, &sw.w);
	assert_int_equal(rc, 0);
	assert_int_equal(state_writer_finish(&sw), 0);
	buf_reset(out);
	buf_append(out, sw.sbuf.data, sw.sbuf.size);
	state_writer_release(&sw);
}

/* Loads data into a fresh state (global) of p as the worker (merger) does;
 * on success saves it again into again. Returns the load's result. */
static int load_bytes(const struct bpass_processor *p, bool global, uint32_t version,
		      const void *data, size_t len, struct buf *again)
{
	static const struct bpass_session_key key = {"N1", CTX_A, 1};
	void *x = global ? p->global_new(C(p, NULL)) : p->session_new(C(p, &key));
	assert_non_null(x);
	struct state_reader rd;
	state_reader_init(&rd);
	state_reader_reset(&rd, data, len);
	int rc = global ? p->global_load(C(p, NULL), x, version, &rd.r)
			: p->load(C(p, &key), x, version, &rd.r);
	if (rd.failed)
		rc = -1;
	if (rc == 0 && again)
		save_bytes(p, x, global, again);
	if (global)
		p->global_free(C(p, NULL), x);
	else
		p->session_free(C(p, &key), x);
	state_reader_release(&rd);
	return rc;
}

/* Every value of data retyped in turn must be declined. */
static void check_retyped(const struct bpass_processor *p, bool global, const struct buf *data)
{
	struct buf bad_data;
	buf_init(&bad_data);
	size_t i;
	for (i = 0; pd_msgpack_retype(data->data, data->len, i, &bad_data); i++)
		if (load_bytes(p, global, 1, bad_data.data, bad_data.len, NULL) == 0)
			fail_msg("%s: loaded with value %zu retyped: %s", p->name, i,
				 pd_msgpack_text(bad_data.data, bad_data.len));
	assert_true(i > 10);
	buf_release(&bad_data);
}

static void test_save_load(void **unused)
{
	(void)unused;
	struct buf data, again;
	buf_init(&data);
	buf_init(&again);
	const char *names[] = {"hits", "mixed"};
	for (size_t k = 0; k < 2; k++) {
		const struct bpass_processor *p = P(names[k]);
		/* A session state and a global result load and save back to the same bytes. */
		void *st = run_session(p, &sessions[0]);
		save_bytes(p, st, false, &data);
		p->session_free(C(p, NULL), st);
		assert_int_equal(load_bytes(p, false, 1, data.data, data.len, &again), 0);
		assert_int_equal(again.len, data.len);
		assert_memory_equal(again.data, data.data, data.len);
		check_retyped(p, false, &data);
		/* Truncated: declined. */
		for (size_t cut = 0; cut < data.len; cut++)
			assert_int_equal(load_bytes(p, false, 1, data.data, cut, NULL), -1);

		void *g = partial(p, 0, N_SESSIONS);
		save_bytes(p, g, true, &data);
		p->global_free(C(p, NULL), g);
		assert_int_equal(load_bytes(p, true, 1, data.data, data.len, &again), 0);
		assert_int_equal(again.len, data.len);
		assert_memory_equal(again.data, data.data, data.len);
		check_retyped(p, true, &data);
	}

	const struct bpass_processor *p = P("hits");
	void *st = run_session(p, &sessions[0]);
	save_bytes(p, st, false, &data);
	p->session_free(C(p, NULL), st);
	/* Nothing of its own to upgrade: another version is declined. */
	assert_int_equal(load_bytes(p, false, 2, data.data, data.len, NULL), -1);
	/* Another declaration ("bytes" called "octets"): declined. */
	assert_int_equal(load_bytes(P("hits2"), false, 1, data.data, data.len, NULL), -1);
	/* Another number of tables: mixed's saved tables are one, hits has three. */
	void *m = run_session(P("mixed"), &sessions[0]);
	save_bytes(P("mixed"), m, false, &again);
	P("mixed")->session_free(C(P("mixed"), NULL), m);
	assert_int_equal(load_bytes(p, false, 1, again.data, again.len, NULL), -1);
	/* A value after the tables of a processor without an own part: declined. */
	buf_append(&data, "\x01", 1);
	assert_int_equal(load_bytes(p, false, 1, data.data, data.len, NULL), -1);
	buf_release(&data);
	buf_release(&again);
}

static void check_combine(const struct bpass_processor *p)
{
	assert_non_null(p->global_combine);
	char *all = completed(p, partial(p, 0, N_SESSIONS));
	/* Every split point, combined both ways round. */
	for (size_t cut = 0; cut <= N_SESSIONS; cut++) {
		for (int way = 0; way < 2; way++) {
			void *a = partial(p, 0, cut), *b = partial(p, cut, N_SESSIONS);
			void *into = way ? b : a, *from = way ? a : b;
			assert_int_equal(p->global_combine(C(p, NULL), into, from), 0);
			p->global_free(C(p, NULL), from);
			char *text = completed(p, into);
			assert_string_equal(text, all);
			free(text);
		}
	}
	/* Associative: (x + y) + z == x + (y + z). */
	void *x = partial(p, 0, 1), *y = partial(p, 1, 2), *z = partial(p, 2, N_SESSIONS);
	void *x2 = partial(p, 0, 1), *y2 = partial(p, 1, 2), *z2 = partial(p, 2, N_SESSIONS);
	assert_int_equal(p->global_combine(C(p, NULL), x, y), 0);
	assert_int_equal(p->global_combine(C(p, NULL), x, z), 0);
	assert_int_equal(p->global_combine(C(p, NULL), y2, z2), 0);
	assert_int_equal(p->global_combine(C(p, NULL), x2, y2), 0);
	char *left = completed(p, x), *right = completed(p, x2);
	assert_string_equal(left, all);
	assert_string_equal(right, all);
	free(left);
	free(right);
	p->global_free(C(p, NULL), y);
	p->global_free(C(p, NULL), z);
	p->global_free(C(p, NULL), y2);
	p->global_free(C(p, NULL), z2);
	/* The empty result is the identity, on either side; from is unchanged. */
	void *e = p->global_new(C(p, NULL)), *w = partial(p, 0, N_SESSIONS);
	assert_int_equal(p->global_combine(C(p, NULL), w, e), 0);
	char *we = saved_text(p, w, true);
	assert_string_equal(we, all);
	assert_int_equal(p->global_combine(C(p, NULL), e, w), 0);
	char *ew = completed(p, e), *w_after = completed(p, w);
	assert_string_equal(ew, all);
	assert_string_equal(w_after, all);
	free(we);
	free(ew);
	free(w_after);
	free(all);
}

static void test_combine(void **unused)
{
	(void)unused;
	check_combine(P("hits"));
	check_combine(P("mixed"));   /* its own part is combined too */
	char *text = completed(P("mixed"), partial(P("mixed"), 0, N_SESSIONS));
	assert_string_equal(text, "[[1, \"mixed_nodes\", [\"node_id\", \"str\", \"updates\", "
				  "\"count\"], [[\"N1\", 3], [\"N2\", 1]]]], 6");
	free(text);
}

/* Which callbacks a wrapped descriptor has. */
static void test_wrapped_callbacks(void **unused)
{
	(void)unused;
	const struct bpass_processor *p = P("hits");
	assert_true(proc_tables_wrapped(p));
	assert_false(proc_tables_wrapped(P("plain")));
	assert_non_null(p->session_new);
	assert_non_null(p->save);
	assert_non_null(p->merge);
	assert_non_null(p->write_results);
	assert_non_null(p->global_save);   /* no own global: it can be cached and combined */
	assert_non_null(p->global_combine);
	assert_null(p->session_complete);  /* hits has none */
	assert_null(p->global_complete);
	assert_null(p->session_figures);
	assert_null(p->ephemeral_new);
	assert_non_null(P("bad")->session_complete);
	/* An own global result without global_combine or global_save: neither. */
	p = P("nocombine");
	assert_null(p->global_combine);
	assert_null(p->global_save);
	assert_null(p->global_load);
	assert_non_null(P("mixed")->global_combine);
	/* The name, version and table declarations are the processor's. */
	assert_string_equal(P("mixed")->name, "mixed");
	assert_int_equal(P("mixed")->version, 1);
	assert_string_equal(P("mixed")->tables[0].name, "mixed_nodes");
	assert_null(P("mixed")->tables[1].name);
	/* The own state within a wrapped state. */
	void *st = run_session(P("mixed"), &sessions[0]);
	const int64_t *own = proc_tables_own_state(P("mixed"), st);
	assert_non_null(own);
	assert_ptr_not_equal(own, st);
	assert_int_equal(*own, 4);
	P("mixed")->session_free(C(P("mixed"), NULL), st);
	st = run_session(P("hits"), &sessions[2]);
	assert_null(proc_tables_own_state(P("hits"), st));
	P("hits")->session_free(C(P("hits"), NULL), st);
	int x;
	assert_ptr_equal(proc_tables_own_state(P("plain"), &x), &x);
}

/* Runs bad's process (complete: session_complete) in mode; returns its
 * result and the framework's text in why. */
static int bad_call(int mode, bool complete, const char **why)
{
	static const struct bpass_session_key key = {"N1", CTX_A, 1};
	const struct bpass_processor *p = P("bad");
	bad_mode = mode;
	void *st = p->session_new(C(p, &key));
	struct bpass_update u;
	memset(&u, 0, sizeof(u));
	int rc = complete ? p->session_complete(C(p, &key), st, NULL)
			  : p->process(C(p, &key), st, NULL, &u);
	*why = proc_ctx_why(&pc);
	p->session_free(C(p, &key), st);
	return rc;
}

static void test_add_row_errors(void **unused)
{
	(void)unused;
	const char *why;
	for (int complete = 0; complete < 2; complete++) {
		assert_int_equal(bad_call(BAD_NONE, complete, &why), 0);
		assert_int_equal(bad_call(BAD_INDEX, complete, &why), -1);
		assert_string_equal(why, ": could not add a row to table 1: the processor declares 1 "
					 "table");
		assert_int_equal(bad_call(BAD_CELLS, complete, &why), -1);
		assert_string_equal(why, ": could not add a row to table \"bad_t\": 2 cells given, it "
					 "takes 3");
		assert_int_equal(bad_call(BAD_NULL_KEY, complete, &why), -1);
		assert_string_equal(why, ": could not add a row to table \"bad_t\": a NULL string for "
					 "column \"node_id\"");
		assert_int_equal(bad_call(BAD_NULL_VALUE, complete, &why), -1);
		assert_string_equal(why, ": could not add a row to table \"bad_t\": a NULL string for "
					 "column \"names\"");
		assert_int_equal(bad_call(BAD_NO_CELLS, complete, &why), -1);
		assert_string_equal(why, ": could not add a row to table \"bad_t\": no cells (NULL)");
		/* The processor went on and returned 0: the call fails all the same. */
		assert_int_equal(bad_call(BAD_IGNORED, complete, &why), -1);
		assert_string_equal(why, ": could not add a row to table 7: the processor declares 1 "
					 "table");
	}
	/* Outside process and session_complete. */
	static const struct bpass_session_key key = {"N1", CTX_A, 1};
	const struct bpass_processor *p = P("bad");
	const union bpass_cell c[] = {{.s = "N1"}, {.s = "x"}, {.i = 1}};
	struct bpass_ctx *ctx = C(p, &key);
	assert_int_equal(ctx->add_row(ctx, 0, c, 3), -1);
	assert_string_equal(proc_ctx_why(&pc), ": could not add a row: rows are added in process "
					       "and session_complete only");
	void *g = p->global_new(C(p, NULL));
	void *st = p->session_new(C(p, &key));
	assert_int_equal(p->merge(C(p, &key), g, st, NULL), 0);
	ctx = C(p, NULL);
	assert_int_equal(ctx->add_row(ctx, 0, c, 3), -1);
	p->session_free(C(p, &key), st);
	p->global_free(C(p, NULL), g);
	/* A processor that declares no tables. */
	p = P("plain");
	struct bpass_update u;
	memset(&u, 0, sizeof(u));
	assert_int_equal(p->process(C(p, &key), NULL, NULL, &u), -1);
	assert_string_equal(proc_ctx_why(&pc), ": could not add a row: the processor declares no "
					       "tables");
	/* A failed add leaves the next call unaffected. */
	assert_int_equal(bad_call(BAD_NONE, false, &why), 0);
	assert_string_equal(why, "");
}

/* The declarations are part of the hash saved with a state. */
static void test_hash(void **unused)
{
	(void)unused;
	uint64_t h = proc_options_hash(NULL, P("hits"));
	assert_int_not_equal(h, 0);
	assert_int_equal(h, proc_tables_hash(P("hits")));
	assert_int_equal(h, proc_options_hash(NULL, &hits));   /* wrapped or not */
	assert_int_not_equal(proc_options_hash(NULL, P("hits2")), h);
	assert_int_not_equal(proc_options_hash(NULL, P("mixed")), h);
	/* No tables and no options: 0, as before tables existed. */
	assert_int_equal(proc_options_hash(NULL, P("plain")), 0);
	assert_int_equal(proc_tables_hash(P("plain")), 0);
	/* Options and tables: both count. */
	static const struct bpass_option opts[] = {{"scale", "a number", "1"}, {NULL, NULL, NULL}};
	struct bpass_processor with = hits, without = plain;
	with.options = opts;
	without.options = opts;
	uint64_t ho = proc_options_hash(NULL, &without);
	assert_int_not_equal(ho, 0);
	assert_int_not_equal(proc_options_hash(NULL, &with), ho);
	assert_int_not_equal(proc_options_hash(NULL, &with), h);
	/* A column's type counts. */
	static const struct bpass_column cols_max[] = {
		{"size", BPASS_KEY_I64}, {"n", BPASS_VAL_MAX}, {NULL, 0}};
	static const struct bpass_table_decl t1[] = {{"sizes", sizes_cols}, {NULL, NULL}};
	static const struct bpass_table_decl t2[] = {{"sizes", cols_max}, {NULL, NULL}};
	struct bpass_processor a = hits, b = hits;
	a.tables = t1;
	b.tables = t2;
	assert_int_not_equal(proc_tables_hash(&a), proc_tables_hash(&b));
}

/* ---- the registry's rules ---- */

/* registry_add of p into a fresh registry; its message in msg. */
static int try_add(const struct bpass_processor *p, char *msg, size_t size)
{
	struct registry r;
	registry_init(&r);
	fx_capture_begin();
	int rc = registry_add(&r, p, REGISTRY_BUILTIN, UINT32_MAX, false);
	fx_capture_end(msg, size);
	registry_release(&r);
	return rc;
}

static int p_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	(void)ctx;
	(void)state;
	(void)eph;
	return 0;
}

static void test_registry_rules(void **unused)
{
	(void)unused;
	char msg[1024];
	/* Tables and process, or tables and session_complete: valid. */
	assert_int_equal(try_add(&hits, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	struct bpass_processor p = hits;
	p.process = NULL;
	p.session_complete = p_complete;
	assert_int_equal(try_add(&p, msg, sizeof(msg)), 0);
	/* Neither: process is missing. */
	p.session_complete = NULL;
	assert_int_equal(try_add(&p, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "bpass: error: invalid processor \"hits\" in built-in: missing "
				 "callbacks process\n");
	/* session_complete without tables is not enough. */
	p = plain;
	p.process = NULL;
	p.session_complete = p_complete;
	assert_int_equal(try_add(&p, msg, sizeof(msg)), -1);

	const struct {
		struct bpass_table_decl t[3];
		const char *why;
	} bad_decls[] = {
		{{{"Hits", hits_cols}, {NULL, NULL}},
		 "invalid table name \"Hits\": use 1-100 lower-case letters, digits, '_' and '-'"},
		{{{"", hits_cols}, {NULL, NULL}},
		 "invalid table name \"\": use 1-100 lower-case letters, digits, '_' and '-'"},
		{{{"sessions", hits_cols}, {NULL, NULL}},
		 "table \"sessions\": the name is bpass's own (sessions.csv)"},
		{{{"hits", hits_cols}, {"hits", sizes_cols}, {NULL, NULL}},
		 "table \"hits\" declared twice"},
		{{{"t", NULL}, {NULL, NULL}}, "table \"t\": no columns"},
		{{{"t", (const struct bpass_column[]){{NULL, 0}}}, {NULL, NULL}},
		 "table \"t\": no columns"},
		{{{"t", (const struct bpass_column[]){{"a", BPASS_KEY_STR}, {"a", BPASS_VAL_SUM},
						      {NULL, 0}}},
		  {NULL, NULL}},
		 "table \"t\": a column declared twice: \"a\""},
		{{{"t", (const struct bpass_column[]){{"a", BPASS_KEY_STR}, {"", BPASS_VAL_SUM},
						      {NULL, 0}}},
		  {NULL, NULL}},
		 "table \"t\": a column without a name (column 2)"},
		{{{"t", (const struct bpass_column[]){{"a", (enum bpass_type)99}, {NULL, 0}}},
		  {NULL, NULL}},
		 "table \"t\": a column of an unknown type: \"a\""},
	};
	for (size_t i = 0; i < sizeof(bad_decls) / sizeof(bad_decls[0]); i++) {
		p = hits;
		p.tables = bad_decls[i].t;
		assert_int_equal(try_add(&p, msg, sizeof(msg)), -1);
		char want[512];
		snprintf(want, sizeof(want), "bpass: error: invalid processor \"hits\" in built-in: %s\n",
			 bad_decls[i].why);
		assert_string_equal(msg, want);
	}
	/* More than PROC_TABLES_MAX tables. */
	static struct bpass_table_decl many[PROC_TABLES_MAX + 2];
	static char names[PROC_TABLES_MAX + 1][16];
	for (int i = 0; i <= PROC_TABLES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "t%d", i);
		many[i] = (struct bpass_table_decl){names[i], sizes_cols};
	}
	p = hits;
	p.tables = many;
	assert_int_equal(try_add(&p, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "bpass: error: invalid processor \"hits\" in built-in: more than 64 "
				 "tables\n");
	many[PROC_TABLES_MAX] = (struct bpass_table_decl){NULL, NULL};
	assert_int_equal(try_add(&p, msg, sizeof(msg)), 0);

	/* Two processors of one selection may not declare the same table. */
	uint32_t *order, n;
	fx_capture_begin();
	int rc = registry_select(&reg, "hits,hits2", &order, &n);
	fx_capture_end(msg, sizeof(msg));
	assert_int_equal(rc, -1);
	assert_string_equal(msg, "bpass: error: table \"hits\" is declared by both processor \"hits\" "
				 "(built-in) and processor \"hits2\" (built-in): run them "
				 "separately\n");
	assert_int_equal(registry_select(&reg, "hits2,mixed,plain", &order, &n), 0);
	assert_int_equal(n, 3);
	free(order);
}

/* ===========================================================================
 * The test plugin through the real worker, merge and results code
 */

static char plugin_path[PATH_MAX];

static const char *const *plugins(void)
{
	static const char *list[2];
	const char *build = getenv("BUILD");
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/plugins/tables.so", build ? build : "build");
	if (!realpath(rel, plugin_path))
		fail_msg("no test plugin \"%s\" (build it first)", rel);
	list[0] = plugin_path;
	return list;
}

#define FEED(d, ...) pd_feed_parts((d), &(struct pd_text){__VA_ARGS__})
#define PROCS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The updates of the plugin tests: a first batch, and a second one (seq 2
 * of N1's session 1000, and a new session of N1). */
static void feed_first(struct pd *d)
{
	FEED(d, .intro = "N1 1000 0 1337104830", .packets = "1337104801000000 0\n0 100 7\n1000000 50 7\n");
	FEED(d, .intro = "N1 1000 1 1337104890", .packets = "1337104861000000 1\n0 10 8\n");
	FEED(d, .intro = "N2 3000 0 1337108400", .packets = "1337108401000000 1\n0 70 -1\n");
}

static void feed_second(struct pd *d)
{
	FEED(d, .intro = "N1 1000 2 1337104950", .packets = "1337104921000000 1\n0 300 9\n");
	FEED(d, .intro = "N1 2000 0 1337104830", .packets = "1337104802000000 1\n0 5 7\n");
}

/*
 * tables-only, by hand. First batch:
 *   N1: packets 100, 50 (flow 7), 10 (flow 8): 3, 160 bytes, 10..100, 2 flows
 *   N2: 70 (flow -1): 1, 70, 70..70, 1 flow
 *   updates: N1 18:00 (timestamps 18:00:30, 18:01:30): 2 updates, 1 session;
 *            N2 19:00 (19:00:00): 1
 * Second batch adds N1 300 (flow 9) and 5 (flow 7): 5 packets, 465 bytes,
 * 5..300, 3 flows; updates N1 18:00: 4, sessions 2.
 */
static void test_plugin_tables_only(void **unused)
{
	(void)unused;
	struct pd *d = pd_new_plugins(PROCS("tables-only"), plugins());
	feed_first(d);
	pd_end_run(d);
	assert_string_equal(pd_table(d, "tables_packets"),
			    "node_id,packets,bytes,smallest,largest,flows\n"
			    "N1,3,160,10,100,2\n"
			    "N2,1,70,70,70,1\n");
	assert_string_equal(pd_table(d, "tables_updates"),
			    "node_id,hour,updates,sessions,contexts\n"
			    "N1,2012-05-15T18:00:00Z,2,1,1\n"
			    "N2,2012-05-15T19:00:00Z,1,1,1\n");
	/* The saved part of session N1/1000: its two tables, nothing else. */
	assert_string_equal(pd_saved(d, 0, "tables-only"),
			    "[[1, \"tables_packets\", [\"node_id\", \"str\", \"packets\", \"count\", "
			    "\"bytes\", \"sum\", \"smallest\", \"min\", \"largest\", \"max\", "
			    "\"flows\", \"distinct\"], [[\"N1\", 3, 160, 10, 100, [7, 8]]]], "
			    "[1, \"tables_updates\", [\"node_id\", \"str\", \"hour\", \"hour\", "
			    "\"updates\", \"count\", \"sessions\", \"distinct\", \"contexts\", "
			    "\"distinct_str\"], [[\"N1\", 1337104800000000, 2, [1000], [\"" PD_CONTEXT
			    "\"]]]]]");

	/* A second run continues from the saved states... */
	feed_second(d);
	pd_end_run(d);
	const char *want_packets = "node_id,packets,bytes,smallest,largest,flows\n"
				   "N1,5,465,5,300,3\n"
				   "N2,1,70,70,70,1\n";
	const char *want_updates = "node_id,hour,updates,sessions,contexts\n"
				   "N1,2012-05-15T18:00:00Z,4,2,1\n"
				   "N2,2012-05-15T19:00:00Z,1,1,1\n";
	assert_string_equal(pd_table(d, "tables_packets"), want_packets);
	assert_string_equal(pd_table(d, "tables_updates"), want_updates);
	/* ...and the sessions merged in another order give the same tables. */
	pd_merge(d, (const uint32_t[]){2, 0, 1});
	assert_string_equal(pd_table(d, "tables_packets"), want_packets);
	assert_string_equal(pd_table(d, "tables_updates"), want_updates);
	char *two_runs = pd_tables_text(d, NULL);
	pd_free(d);

	/* One run over everything gives what two runs gave. */
	d = pd_new_plugins(PROCS("tables-only"), plugins());
	feed_first(d);
	feed_second(d);
	pd_end_run(d);
	char *one_run = pd_tables_text(d, NULL);
	assert_string_equal(one_run, two_runs);
	free(one_run);
	free(two_runs);
	pd_free(d);
}

/*
 * tables-own (own state, global and figure; rows in process and in
 * session_complete), tables-reader (reads tables-own's own state: a wrong
 * state fails the session, and pd_end_run with it) and tables-late
 * (session_complete only), over two runs and over one.
 */
static void test_plugin_own_state(void **unused)
{
	(void)unused;
	const char *const *procs = PROCS("tables-own", "tables-reader", "tables-late");
	struct pd *d = pd_new_plugins(procs, plugins());
	feed_first(d);
	pd_end_run(d);
	assert_string_equal(pd_figures(d), "N1 " PD_CONTEXT " 1000: tables_own_updates=2\n"
					   "N2 " PD_CONTEXT " 3000: tables_own_updates=1\n");
	assert_string_equal(pd_table(d, "tables_own_total"), "updates\n3\n");
	assert_string_equal(pd_table(d, "tables_own_sessions"),
			    "node_id,sessions,last_seq\nN1,1,1\nN2,1,0\n");
	/* By the minute of the update's timestamp: 18:00:30, 18:01:30, 19:00:00. */
	assert_string_equal(pd_table(d, "tables_own_minutes"),
			    "node_id,minute,updates\n"
			    "N1,2012-05-15T18:00:00Z,1\n"
			    "N1,2012-05-15T18:01:00Z,1\n"
			    "N2,2012-05-15T19:00:00Z,1\n");
	assert_string_equal(pd_table(d, "tables_reader"), "node_id,own_updates\nN1,2\nN2,1\n");
	assert_string_equal(pd_table(d, "tables_late"), "node_id,sessions\nN1,1\nN2,1\n");
	/* The own part follows the tables in the saved state. */
	const char *saved = pd_saved(d, 0, "tables-own");
	assert_non_null(saved);
	size_t len = strlen(saved);
	assert_true(len > 3);
	assert_string_equal(saved + len - 3, ", 2");

	feed_second(d);
	pd_end_run(d);
	char *two_runs = pd_tables_text(d, NULL);
	/* session_complete ran twice for N1/1000: its rows do not count runs. */
	assert_string_equal(pd_table(d, "tables_own_sessions"),
			    "node_id,sessions,last_seq\nN1,2,2\nN2,1,0\n");
	assert_string_equal(pd_table(d, "tables_own_total"), "updates\n5\n");
	assert_string_equal(pd_table(d, "tables_reader"), "node_id,own_updates\nN1,3\nN2,1\n");
	assert_string_equal(pd_table(d, "tables_late"), "node_id,sessions\nN1,2\nN2,1\n");
	pd_free(d);

	d = pd_new_plugins(procs, plugins());
	feed_first(d);
	feed_second(d);
	pd_end_run(d);
	char *one_run = pd_tables_text(d, NULL);
	assert_string_equal(one_run, two_runs);
	free(one_run);
	free(two_runs);
	pd_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_by_hand),
		cmocka_unit_test(test_saved_form),
		cmocka_unit_test(test_sdk_add),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_wrapped_callbacks),
		cmocka_unit_test(test_add_row_errors),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_registry_rules),
		cmocka_unit_test(test_plugin_tables_only),
		cmocka_unit_test(test_plugin_own_state),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
