/*
 * processors/example/byte_count_plugin.c: the byte-count processor as a
 * plugin, named "example-byte-count": the template to copy for a new
 * processor (docs/plugins.md walks through it).
 *
 * Per session it keeps the number of packets and the sum of their sizes;
 * across sessions, the bytes of every node. It writes the table
 * example_bytes_per_node (node_id, bytes) and adds the columns
 * example_packets and example_bytes to sessions.csv.
 *
 * Build:  cc -shared -fPIC $(pkg-config --cflags bpass) byte_count_plugin.c -o bc.so
 * Run:    bpass run INDEX STATE --plugin ./bc.so -p example-byte-count
 *
 * A plugin uses only <bpass.h> and the C library, and keeps no global
 * mutable variables: bpass calls it from several processes.
 */
#include <stdlib.h>
#include <string.h>

#include <bpass.h>

/* ---- session state: kept per session, saved between runs ---- */

struct state {
	uint64_t packets;
	uint64_t bytes;
};

static void *session_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct state));  /* NULL tells bpass it failed */
}

static void session_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	free(state);
}

/* Called for every new update of the session, in sequence order. */
static int process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct state *s = state;
	for (uint32_t i = 0; i < u->n_packets; i++)
		s->bytes += u->packets[i].size;
	s->packets += u->n_packets;
	return 0;
}

/* The state on disk: [packets, bytes]. */
static int save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct state *s = state;
	w->array(w, 2);
	w->u64(w, s->packets);
	w->u64(w, s->bytes);
	return 0;
}

static int load(struct bpass_ctx *ctx, void *state, uint32_t saved_version, struct bpass_reader *r)
{
	(void)ctx;
	struct state *s = state;
	uint32_t n;
	/* A state saved by another version is declined: bpass then recomputes
	 * the session from update 0 (an upgrade would convert it instead). */
	if (saved_version != 1)
		return -1;
	if (r->array(r, &n) || n != 2 || r->u64(r, &s->packets) || r->u64(r, &s->bytes))
		return -1;
	return 0;
}

/* Columns for sessions.csv. */
static int figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		   struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct state *s = state;
	f->add(f, "example_packets", (int64_t)s->packets);
	f->add(f, "example_bytes", (int64_t)s->bytes);
	return 0;
}

/* ---- global result: bytes per node ---- */

struct node {
	char *id;
	uint64_t bytes;
};

struct global {
	struct node *nodes;
	uint32_t n, cap;
};

static void *global_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct global));
}

static void global_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct global *g = global;
	if (!g)
		return;
	for (uint32_t i = 0; i < g->n; i++)
		free(g->nodes[i].id);
	free(g->nodes);
	free(g);
}

/* The node's entry, added when missing; NULL when out of memory. */
static struct node *node_of(struct global *g, const char *id, size_t len)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (strlen(g->nodes[i].id) == len && !memcmp(g->nodes[i].id, id, len))
			return &g->nodes[i];
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? 2 * g->cap : 16;
		struct node *p = realloc(g->nodes, cap * sizeof(*p));
		if (!p)
			return NULL;
		g->nodes = p;
		g->cap = cap;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, id, len);
	copy[len] = 0;
	g->nodes[g->n] = (struct node){copy, 0};
	return &g->nodes[g->n++];
}

/* Sums do not depend on the order sessions arrive in. */
static int merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	const struct state *s = state;
	struct node *n = node_of(global, key->node_id, strlen(key->node_id));
	if (!n)
		return -1;
	n->bytes += s->bytes;
	return 0;
}

/* Folds partial result `from` into `into` (optional; it lets bpass merge in
 * the workers and cache partial results): per-node sums add up, so it is
 * associative and commutative, and an empty partial changes nothing. */
static int global_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	const struct global *f = from;
	for (uint32_t i = 0; i < f->n; i++) {
		struct node *n = node_of(into, f->nodes[i].id, strlen(f->nodes[i].id));
		if (!n)
			return -1;
		n->bytes += f->nodes[i].bytes;
	}
	return 0;
}

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->id, ((const struct node *)b)->id);
}

/* Tables are written sorted by their key columns. */
static int global_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct global *g = global;
	if (g->n)
		qsort(g->nodes, g->n, sizeof(*g->nodes), node_cmp);
	return 0;
}

/* For --cache-global and `bpass results`: [[node_id, bytes]...]. */
static int global_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct global *g = global;
	w->array(w, g->n);
	for (uint32_t i = 0; i < g->n; i++) {
		w->array(w, 2);
		w->str(w, g->nodes[i].id, strlen(g->nodes[i].id));
		w->u64(w, g->nodes[i].bytes);
	}
	return 0;
}

static int global_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
		       struct bpass_reader *r)
{
	(void)ctx;
	uint32_t n, two;
	if (saved_version != 1 || r->array(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *id;
		size_t len;
		uint64_t bytes;
		if (r->array(r, &two) || two != 2 || r->str(r, &id, &len) || r->u64(r, &bytes))
			return -1;
		struct node *node = node_of(global, id, len);
		if (!node)
			return -1;
		node->bytes += bytes;
	}
	return 0;
}

static int write_results(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct global *g = global;
	static const char *const columns[] = {"node_id", "bytes", NULL};
	struct bpass_table *t = res->table(res, "example_bytes_per_node", columns);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < g->n; i++) {
		res->str(t, g->nodes[i].id);
		res->u64(t, g->nodes[i].bytes);
		if (res->row_end(t)) {
			res->close(t);
			return -1;
		}
	}
	return res->close(t);
}

static const struct bpass_processor example_byte_count = {
	BPASS_PROCESSOR_HEADER,
	.name = "example-byte-count",
	.version = 1,
	.description = "example plugin: packets and bytes per session, bytes per node",
	.session_new = session_new,
	.session_free = session_free,
	.process = process,
	.save = save,
	.load = load,
	.session_figures = figures,
	.global_new = global_new,
	.global_free = global_free,
	.merge = merge,
	.global_complete = global_complete,
	.global_save = global_save,
	.global_load = global_load,
	.write_results = write_results,
	.global_combine = global_combine,
};

BPASS_PLUGIN(&example_byte_count)
