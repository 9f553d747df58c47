/*
 * tests/plugins/tables.c: processors whose result tables bpass keeps
 * (.tables, ctx->add_row), written against bpass.h alone:
 *
 *   tables-only    .tables and .process, nothing else. Per packet, a row of
 *                  tables_packets (node_id; packets: count; bytes: sum;
 *                  smallest: min, largest: max of the sizes; flows: distinct
 *                  flow ids); per update, a row of tables_updates (node_id;
 *                  hour of the update's timestamp; updates: count; sessions:
 *                  distinct session ids; contexts: distinct contexts).
 *   tables-own     its own state ({magic, updates}), own global result
 *                  (updates in all, table tables_own_total) with
 *                  global_combine, figure tables_own_updates, and tables:
 *                  tables_own_minutes (node_id; minute of the update's
 *                  timestamp; updates: count) from process, and
 *                  tables_own_sessions (node_id; sessions: distinct session
 *                  ids; last_seq: max) from session_complete, which runs once
 *                  per run: its rows must not depend on how many runs there
 *                  were.
 *   tables-reader  depends on tables-own and checks that ctx->state_of gives
 *                  tables-own's own state (fails otherwise); table
 *                  tables_reader (node_id; own_updates: max of tables-own's
 *                  count of updates as it sees it).
 *   tables-late    .tables and .session_complete only: tables_late (node_id;
 *                  sessions: distinct session ids).
 *   tables-clash   declares tables_packets too (a selection with
 *                  tables-only is refused).
 *
 * Environment, read when the plugin is loaded:
 *   TABLES_DECL=2      tables-only's column "bytes" is called "octets" (a
 *                      changed declaration: saved states are recomputed)
 *   TABLES_DECL=bad    tables-only declares a table named "Bad Name"
 *   TABLES_BAD=index|cells|null|ignore  tables-only's process adds a row to
 *                      table 9, with 2 cells, with a NULL node id, or to
 *                      table 9 ignoring the -1 it gets (and returns 0)
 */
#include <stdlib.h>
#include <string.h>

#include <bpass.h>

#define US 1000000LL
#define MAGIC 0x7ab1e5

static int64_t hour_us(int64_t s)
{
	return s * US;   /* KEY_HOUR buckets it */
}

/* ---- tables-only ------------------------------------------------------------ */

static const struct bpass_column packets_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"packets", BPASS_VAL_COUNT}, {"bytes", BPASS_VAL_SUM},
	{"smallest", BPASS_VAL_MIN}, {"largest", BPASS_VAL_MAX}, {"flows", BPASS_VAL_DISTINCT},
	{NULL, 0}};
static const struct bpass_column packets_cols2[] = {
	{"node_id", BPASS_KEY_STR}, {"packets", BPASS_VAL_COUNT}, {"octets", BPASS_VAL_SUM},
	{"smallest", BPASS_VAL_MIN}, {"largest", BPASS_VAL_MAX}, {"flows", BPASS_VAL_DISTINCT},
	{NULL, 0}};
static const struct bpass_column updates_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"hour", BPASS_KEY_HOUR}, {"updates", BPASS_VAL_COUNT},
	{"sessions", BPASS_VAL_DISTINCT}, {"contexts", BPASS_VAL_DISTINCT_STR}, {NULL, 0}};

static const struct bpass_table_decl only_tables[] = {
	{"tables_packets", packets_cols}, {"tables_updates", updates_cols}, {NULL, NULL}};
static const struct bpass_table_decl only_tables2[] = {
	{"tables_packets", packets_cols2}, {"tables_updates", updates_cols}, {NULL, NULL}};
static const struct bpass_table_decl only_tables_bad[] = {
	{"Bad Name", packets_cols}, {NULL, NULL}};

static int only_bad(struct bpass_ctx *ctx)
{
	const char *bad = getenv("TABLES_BAD");
	union bpass_cell c[5] = {{.s = ctx->key->node_id}, {.i = 1}, {.i = 1}, {.i = 1}, {.i = 1}};
	if (!bad || !*bad)
		return 0;
	if (!strcmp(bad, "index"))
		return ctx->add_row(ctx, 9, c, 5);
	if (!strcmp(bad, "cells"))
		return ctx->add_row(ctx, 0, c, 2);
	if (!strcmp(bad, "null")) {
		c[0].s = NULL;
		return ctx->add_row(ctx, 0, c, 5);
	}
	if (!strcmp(bad, "ignore"))
		ctx->add_row(ctx, 9, c, 5);
	return 0;
}

static int only_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state;
	(void)eph;
	if (only_bad(ctx))
		return -1;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		const union bpass_cell row[5] = {
			{.s = ctx->key->node_id}, {.i = p->size}, {.i = p->size}, {.i = p->size},
			{.i = p->flow_id}};
		if (ctx->add_row(ctx, 0, row, 5))
			return -1;
	}
	const union bpass_cell row[4] = {
		{.s = ctx->key->node_id}, {.i = hour_us(u->timestamp_s)}, {.i = u->session_id},
		{.s = u->context}};
	return ctx->add_row(ctx, 1, row, 4);
}

static struct bpass_processor only = {
	BPASS_PROCESSOR_HEADER,
	.name = "tables-only",
	.version = 1,
	.description = "test: tables kept by bpass, nothing else",
	.process = only_process,
	.tables = only_tables,
};

/* ---- tables-own ------------------------------------------------------------- */

struct own {
	uint32_t magic;
	uint64_t updates;
};

static const struct bpass_column minutes_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"minute", BPASS_KEY_MINUTE}, {"updates", BPASS_VAL_COUNT},
	{NULL, 0}};
static const struct bpass_column sessions_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"sessions", BPASS_VAL_DISTINCT}, {"last_seq", BPASS_VAL_MAX},
	{NULL, 0}};
static const struct bpass_table_decl own_tables[] = {
	{"tables_own_minutes", minutes_cols}, {"tables_own_sessions", sessions_cols}, {NULL, NULL}};

static void *own_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct own *o = calloc(1, sizeof(*o));
	if (o)
		o->magic = MAGIC;
	return o;
}

static void own_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	free(state);
}

static int own_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)eph;
	struct own *o = state;
	o->updates++;
	const union bpass_cell row[2] = {{.s = ctx->key->node_id}, {.i = u->timestamp_s * US}};
	return ctx->add_row(ctx, 0, row, 2);
}

static int own_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	(void)eph;
	const struct own *o = state;
	/* The last sequence number is updates - 1 (sessions start at 0). */
	const union bpass_cell row[3] = {
		{.s = ctx->key->node_id}, {.i = ctx->key->session_id}, {.i = (int64_t)o->updates - 1}};
	return ctx->add_row(ctx, 1, row, 3);
}

static int own_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	w->u64(w, ((const struct own *)state)->updates);
	return 0;
}

static int own_load(struct bpass_ctx *ctx, void *state, uint32_t version, struct bpass_reader *r)
{
	(void)ctx;
	return version == 1 && !r->u64(r, &((struct own *)state)->updates) && r->at_end(r) ? 0 : -1;
}

static int own_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		       struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	f->add(f, "tables_own_updates", (int64_t)((const struct own *)state)->updates);
	return 0;
}

static void *own_global_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(uint64_t));
}

static int own_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	(void)ctx;
	(void)eph;
	*(uint64_t *)global += ((const struct own *)state)->updates;
	return 0;
}

static int own_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	*(uint64_t *)into += *(const uint64_t *)from;
	return 0;
}

static int own_global_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	w->u64(w, *(const uint64_t *)global);
	return 0;
}

static int own_global_load(struct bpass_ctx *ctx, void *global, uint32_t version,
			   struct bpass_reader *r)
{
	(void)ctx;
	return version == 1 && !r->u64(r, global) ? 0 : -1;
}

static int own_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	static const char *const cols[] = {"updates", NULL};
	struct bpass_table *t = res->table(res, "tables_own_total", cols);
	if (!t)
		return -1;
	res->u64(t, *(const uint64_t *)global);
	if (res->row_end(t)) {
		res->close(t);
		return -1;
	}
	return res->close(t);
}

static const struct bpass_processor own = {
	BPASS_PROCESSOR_HEADER,
	.name = "tables-own",
	.version = 1,
	.description = "test: its own state and global result, and tables kept by bpass",
	.session_new = own_new,
	.session_free = own_free,
	.process = own_process,
	.session_complete = own_complete,
	.save = own_save,
	.load = own_load,
	.session_figures = own_figures,
	.global_new = own_global_new,
	.global_free = own_free,
	.merge = own_merge,
	.global_save = own_global_save,
	.global_load = own_global_load,
	.write_results = own_write,
	.global_combine = own_combine,
	.tables = own_tables,
};

/* ---- tables-reader ---------------------------------------------------------- */

static const struct bpass_column reader_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"own_updates", BPASS_VAL_MAX}, {NULL, 0}};
static const struct bpass_table_decl reader_tables[] = {{"tables_reader", reader_cols}, {NULL, NULL}};
static const char *const reader_depends[] = {"tables-own", NULL};

static int reader_process(struct bpass_ctx *ctx, void *state, void *eph,
			  const struct bpass_update *u)
{
	(void)state;
	(void)eph;
	(void)u;
	const struct own *o = ctx->state_of(ctx, "tables-own");
	if (!o || o->magic != MAGIC) {
		ctx->error(ctx, "ctx->state_of(\"tables-own\") is not the state of tables-own");
		return -1;
	}
	const union bpass_cell row[2] = {{.s = ctx->key->node_id}, {.i = (int64_t)o->updates}};
	return ctx->add_row(ctx, 0, row, 2);
}

static const struct bpass_processor reader = {
	BPASS_PROCESSOR_HEADER,
	.name = "tables-reader",
	.version = 1,
	.description = "test: reads the own state of tables-own",
	.depends = reader_depends,
	.process = reader_process,
	.tables = reader_tables,
};

/* ---- tables-late ------------------------------------------------------------ */

static const struct bpass_column late_cols[] = {
	{"node_id", BPASS_KEY_STR}, {"sessions", BPASS_VAL_DISTINCT}, {NULL, 0}};
static const struct bpass_table_decl late_tables[] = {{"tables_late", late_cols}, {NULL, NULL}};

static int late_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	(void)state;
	(void)eph;
	const union bpass_cell row[2] = {{.s = ctx->key->node_id}, {.i = ctx->key->session_id}};
	return ctx->add_row(ctx, 0, row, 2);
}

static const struct bpass_processor late = {
	BPASS_PROCESSOR_HEADER,
	.name = "tables-late",
	.version = 1,
	.description = "test: rows added in session_complete only",
	.session_complete = late_complete,
	.tables = late_tables,
};

/* ---- tables-clash ----------------------------------------------------------- */

static const struct bpass_table_decl clash_tables[] = {{"tables_packets", late_cols}, {NULL, NULL}};

static const struct bpass_processor clash = {
	BPASS_PROCESSOR_HEADER,
	.name = "tables-clash",
	.version = 1,
	.description = "test: declares a table of tables-only",
	.session_complete = late_complete,
	.tables = clash_tables,
};

/* The entry point, with tables-only's declaration chosen by $TABLES_DECL. */
const struct bpass_processor *const *bpass_processors(void);
const struct bpass_processor *const *bpass_processors(void)
{
	static const struct bpass_processor *const list[] = {&only, &own, &reader, &late, &clash,
							      NULL};
	const char *decl = getenv("TABLES_DECL");
	only.tables = !decl || !*decl        ? only_tables
		      : !strcmp(decl, "bad") ? only_tables_bad
					     : only_tables2;
	return list;
}
