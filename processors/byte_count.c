/*
 * processors/byte_count.c: the "byte-count" processor, the simplest one and
 * the template for new processors (processors.md: the "hello world").
 *
 * Session state: the number of packets and the sum of their sizes over every
 * packet-series entry of every processed update. Global result: bytes per
 * node, written as the table bytes_per_node (node_id, bytes), sorted by node.
 * sessions.csv gets the columns "packets" and "bytes".
 *
 * processors/example/byte_count_plugin.c is the same processor as a plugin.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"

/* ---- session state: what we keep per session, saved between runs ---- */

struct bc_state {
	uint64_t packets;
	uint64_t bytes;
};

static void *bc_session_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return xcalloc(1, sizeof(struct bc_state));
}

static void bc_session_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	free(state);
}

/* Called for every new update of the session, in sequence order. */
static int bc_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct bc_state *s = state;
	for (uint32_t i = 0; i < u->n_packets; i++)
		s->bytes += u->packets[i].size;
	s->packets += u->n_packets;
	return 0;
}

/* Saved as [packets, bytes]. */
static int bc_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct bc_state *s = state;
	w->array(w, 2);
	w->u64(w, s->packets);
	w->u64(w, s->bytes);
	return 0;
}

static int bc_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		   struct bpass_reader *r)
{
	(void)ctx;
	struct bc_state *s = state;
	uint32_t n;
	/* Declining another version makes the framework recompute the session. */
	if (saved_version != 1)
		return -1;
	if (r->array(r, &n) || n != 2 || r->u64(r, &s->packets) || r->u64(r, &s->bytes))
		return -1;
	return 0;
}

static int bc_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		      struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct bc_state *s = state;
	f->add(f, "packets", (int64_t)s->packets);
	f->add(f, "bytes", (int64_t)s->bytes);
	return 0;
}

/* ---- global result: bytes per node, merged from every session ---- */

struct bc_node {
	char *node_id;
	uint64_t bytes;
};

struct bc_global {
	struct bc_node *nodes;
	uint32_t n, cap;
};

static void *bc_global_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return xcalloc(1, sizeof(struct bc_global));
}

static void bc_global_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct bc_global *g = global;
	if (!g)
		return;
	for (uint32_t i = 0; i < g->n; i++)
		free(g->nodes[i].node_id);
	free(g->nodes);
	free(g);
}

/* The node's entry, created when missing (a linear search: nodes are few). */
static struct bc_node *bc_node(struct bc_global *g, const char *node_id)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].node_id, node_id))
			return &g->nodes[i];
	xgrow((void **)&g->nodes, &g->cap, g->n + 1, sizeof(*g->nodes));
	struct bc_node *n = &g->nodes[g->n++];
	n->node_id = xstrdup(node_id);
	n->bytes = 0;
	return n;
}

/* Sums commute, so the result does not depend on the order of sessions. */
static int bc_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	const struct bc_state *s = state;
	bc_node(global, key->node_id)->bytes += s->bytes;
	return 0;
}

/* Folds partial global `from` into `into`: per-node sums add up, so it is
 * associative and commutative, and an empty partial changes nothing. */
static int bc_global_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	const struct bc_global *f = from;
	for (uint32_t i = 0; i < f->n; i++)
		bc_node(into, f->nodes[i].node_id)->bytes += f->nodes[i].bytes;
	return 0;
}

static int bc_node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bc_node *)a)->node_id, ((const struct bc_node *)b)->node_id);
}

static int bc_global_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct bc_global *g = global;
	if (g->n)
		qsort(g->nodes, g->n, sizeof(*g->nodes), bc_node_cmp);
	return 0;
}

/* Cached as [[node_id, bytes]...] (for --cache-global and bpass results). */
static int bc_global_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct bc_global *g = global;
	w->array(w, g->n);
	for (uint32_t i = 0; i < g->n; i++) {
		w->array(w, 2);
		w->str(w, g->nodes[i].node_id, strlen(g->nodes[i].node_id));
		w->u64(w, g->nodes[i].bytes);
	}
	return 0;
}

static int bc_global_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
			  struct bpass_reader *r)
{
	(void)ctx;
	uint32_t n, two;
	if (saved_version != 1 || r->array(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *s;
		size_t len;
		uint64_t bytes;
		if (r->array(r, &two) || two != 2 || r->str(r, &s, &len) || r->u64(r, &bytes))
			return -1;
		char *node_id = xmalloc(len + 1);
		memcpy(node_id, s, len);
		node_id[len] = 0;
		bc_node(global, node_id)->bytes += bytes;
		free(node_id);
	}
	return 0;
}

static int bc_write_results(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct bc_global *g = global;
	static const char *const columns[] = {"node_id", "bytes", NULL};
	struct bpass_table *t = res->table(res, "bytes_per_node", columns);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < g->n; i++) {
		res->str(t, g->nodes[i].node_id);
		res->u64(t, g->nodes[i].bytes);
		if (res->row_end(t)) {
			res->close(t);
			return -1;
		}
	}
	return res->close(t);
}

const struct bpass_processor proc_byte_count = {
	BPASS_PROCESSOR_HEADER,
	.name = "byte-count",
	.version = 1,
	.description = "packets and bytes per session; bytes per node",
	.session_new = bc_session_new,
	.session_free = bc_session_free,
	.process = bc_process,
	.save = bc_save,
	.load = bc_load,
	.session_figures = bc_figures,
	.global_new = bc_global_new,
	.global_free = bc_global_free,
	.merge = bc_merge,
	.global_complete = bc_global_complete,
	.global_save = bc_global_save,
	.global_load = bc_global_load,
	.write_results = bc_write_results,
	.global_combine = bc_global_combine,
};
