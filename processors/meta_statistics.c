/*
 * processors/meta_statistics.c: the "meta-statistics" processor
 * (processors.md). Ephemeral only: the oldest and newest update timestamps
 * (s) processed in this run; no persistent session state.
 *
 * Global: oldest/newest overall, per node and per (node, anonymization
 * context), kept as one entry per (node, context) from which the other two
 * scopes are derived. Fix: newest is the maximum. A session that processed
 * nothing in this run contributes nothing, so a run that processed nothing
 * writes only the header of meta_statistics.csv. Rows: the global row, then
 * node rows, then context rows, each sorted by node and context.
 *
 * Ephemeral state saved as [] or [oldest_s, newest_s]; the global as
 * [[node, context, oldest_s, newest_s]...].
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "serial.h"
#include "strtab.h"

struct ms_eph {
	bool has;
	int64_t oldest_s, newest_s;
};

static void *ms_eph_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return xcalloc(1, sizeof(struct ms_eph));
}

static void ms_eph_free(struct bpass_ctx *ctx, void *eph)
{
	(void)ctx;
	free(eph);
}

static int ms_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)state;
	struct ms_eph *e = eph;
	if (!e->has || u->timestamp_s < e->oldest_s)
		e->oldest_s = u->timestamp_s;
	if (!e->has || u->timestamp_s > e->newest_s)
		e->newest_s = u->timestamp_s;
	e->has = true;
	return 0;
}

static int ms_eph_save(struct bpass_ctx *ctx, const void *eph, struct bpass_writer *w)
{
	(void)ctx;
	const struct ms_eph *e = eph;
	if (!e->has) {
		w->array(w, 0);
		return 0;
	}
	w->array(w, 2);
	w->i64(w, e->oldest_s);
	w->i64(w, e->newest_s);
	return 0;
}

static int ms_eph_load(struct bpass_ctx *ctx, void *eph, struct bpass_reader *r)
{
	(void)ctx;
	struct ms_eph *e = eph;
	uint32_t n;
	if (serial_array_any(r, &n) || (n != 0 && n != 2))
		return -1;
	e->has = n == 2;
	if (e->has && (serial_i64(r, INT64_MIN, INT64_MAX, &e->oldest_s) ||
		       serial_i64(r, INT64_MIN, INT64_MAX, &e->newest_s) || e->oldest_s > e->newest_s))
		return -1;
	return 0;
}

/* ---- global ---- */

struct ms_entry {
	uint32_t node, ctx;        /* ids in ms_global.names */
	int64_t oldest_s, newest_s;
};

struct ms_global {
	struct strtab names;
	struct ms_entry *entries;
	uint32_t n, cap;
	struct itab index;
};

static uint32_t ms_hash(uint32_t node, uint32_t ctx)
{
	return (uint32_t)itab_combine(itab_mix64(node), ctx);
}

static void ms_note(struct ms_global *g, uint32_t node, uint32_t ctx, int64_t oldest,
		    int64_t newest)
{
	uint32_t h = ms_hash(node, ctx), cur;
	for (uint32_t i = itab_find(&g->index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&g->index, h, &cur)) {
		struct ms_entry *e = &g->entries[i];
		if (e->node == node && e->ctx == ctx) {
			if (oldest < e->oldest_s)
				e->oldest_s = oldest;
			if (newest > e->newest_s)
				e->newest_s = newest;
			return;
		}
	}
	xgrow((void **)&g->entries, &g->cap, g->n + 1, sizeof(*g->entries));
	g->entries[g->n] = (struct ms_entry){node, ctx, oldest, newest};
	itab_insert(&g->index, h, g->n++);
}

static void *msg_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct ms_global *g = xcalloc(1, sizeof(*g));
	strtab_init(&g->names);
	itab_init(&g->index);
	return g;
}

static void msg_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct ms_global *g = global;
	if (!g)
		return;
	strtab_release(&g->names);
	itab_release(&g->index);
	free(g->entries);
	free(g);
}

static int msg_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)state;
	struct ms_global *g = global;
	const struct ms_eph *e = eph;
	if (!e || !e->has)
		return 0;
	ms_note(g, strtab_intern(&g->names, key->node_id, strlen(key->node_id)),
		strtab_intern(&g->names, key->context, strlen(key->context)), e->oldest_s,
		e->newest_s);
	return 0;
}

/* Folds partial `from` into `into`: per (node, context), the minimum of the
 * oldest and the maximum of the newest. */
static int msg_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	struct ms_global *g = into;
	const struct ms_global *f = from;
	for (uint32_t i = 0; i < f->n; i++) {
		const struct ms_entry *e = &f->entries[i];
		ms_note(g,
			strtab_intern(&g->names, strtab_str(&f->names, e->node),
				      strtab_len(&f->names, e->node)),
			strtab_intern(&g->names, strtab_str(&f->names, e->ctx),
				      strtab_len(&f->names, e->ctx)),
			e->oldest_s, e->newest_s);
	}
	return 0;
}

static int msg_cmp(const void *a, const void *b, void *arg)
{
	const struct ms_entry *x = a, *y = b;
	int c = strtab_cmp(arg, x->node, y->node);
	return c ? c : strtab_cmp(arg, x->ctx, y->ctx);
}

static int msg_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct ms_global *g = global;
	if (g->n > 1)
		qsort_r(g->entries, g->n, sizeof(*g->entries), msg_cmp, &g->names);
	itab_clear(&g->index);
	for (uint32_t i = 0; i < g->n; i++)
		itab_insert(&g->index, ms_hash(g->entries[i].node, g->entries[i].ctx), i);
	return 0;
}

static int msg_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct ms_global *g = global;
	w->array(w, g->n);
	for (uint32_t i = 0; i < g->n; i++) {
		const struct ms_entry *e = &g->entries[i];
		w->array(w, 4);
		serial_put_str(w, &g->names, e->node);
		serial_put_str(w, &g->names, e->ctx);
		w->i64(w, e->oldest_s);
		w->i64(w, e->newest_s);
	}
	return 0;
}

static int msg_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
		    struct bpass_reader *r)
{
	(void)ctx;
	struct ms_global *g = global;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *node, *cx;
		size_t node_len, ctx_len;
		int64_t oldest, newest;
		if (serial_array(r, 4) || serial_str(r, &node, &node_len) ||
		    serial_str(r, &cx, &ctx_len) || serial_i64(r, INT64_MIN, INT64_MAX, &oldest) ||
		    serial_i64(r, INT64_MIN, INT64_MAX, &newest) || oldest > newest)
			return -1;
		uint32_t before = g->n;
		ms_note(g, strtab_intern(&g->names, node, node_len),
			strtab_intern(&g->names, cx, ctx_len), oldest, newest);
		if (g->n == before)
			return -1;  /* an entry twice */
	}
	return msg_complete(ctx, g);
}

static int ms_row(struct bpass_results *res, struct bpass_table *t, const char *scope,
		  const char *node, const char *ctx, int64_t oldest, int64_t newest)
{
	res->str(t, scope);
	if (node)
		res->str(t, node);
	else
		res->null(t);
	if (ctx)
		res->str(t, ctx);
	else
		res->null(t);
	res->i64(t, oldest);
	res->iso_s(t, oldest);
	res->i64(t, newest);
	res->iso_s(t, newest);
	return res->row_end(t);
}

static int msg_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct ms_global *g = global;
	static const char *const cols[] = {"scope", "node_id", "anonymization_context", "oldest",
					   "oldest_iso", "newest", "newest_iso", NULL};
	struct bpass_table *t = res->table(res, "meta_statistics", cols);
	if (!t)
		return -1;
	int rc = 0;
	if (g->n) {
		int64_t oldest = INT64_MAX, newest = INT64_MIN;
		for (uint32_t i = 0; i < g->n; i++) {
			if (g->entries[i].oldest_s < oldest)
				oldest = g->entries[i].oldest_s;
			if (g->entries[i].newest_s > newest)
				newest = g->entries[i].newest_s;
		}
		rc = ms_row(res, t, "global", NULL, NULL, oldest, newest);
	}
	/* entries are sorted by node, so each node's contexts are contiguous */
	for (uint32_t i = 0; i < g->n && !rc;) {
		uint32_t j = i;
		int64_t oldest = INT64_MAX, newest = INT64_MIN;
		for (; j < g->n && g->entries[j].node == g->entries[i].node; j++) {
			if (g->entries[j].oldest_s < oldest)
				oldest = g->entries[j].oldest_s;
			if (g->entries[j].newest_s > newest)
				newest = g->entries[j].newest_s;
		}
		rc = ms_row(res, t, "node", strtab_str(&g->names, g->entries[i].node), NULL, oldest,
			    newest);
		i = j;
	}
	for (uint32_t i = 0; i < g->n && !rc; i++) {
		const struct ms_entry *e = &g->entries[i];
		rc = ms_row(res, t, "context", strtab_str(&g->names, e->node),
			    strtab_str(&g->names, e->ctx), e->oldest_s, e->newest_s);
	}
	return res->close(t) || rc ? -1 : 0;
}

const struct bpass_processor proc_meta_statistics = {
	BPASS_PROCESSOR_HEADER,
	.name = "meta-statistics",
	.version = 1,
	.description = "oldest and newest update timestamps processed in this run, overall, per node and per context",
	.ephemeral_new = ms_eph_new,
	.ephemeral_free = ms_eph_free,
	.process = ms_process,
	.ephemeral_save = ms_eph_save,
	.ephemeral_load = ms_eph_load,
	.global_new = msg_new,
	.global_free = msg_free,
	.merge = msg_merge,
	.global_complete = msg_complete,
	.global_save = msg_save,
	.global_load = msg_load,
	.write_results = msg_write,
	.global_combine = msg_combine,
};
