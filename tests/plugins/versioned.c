/*
 * tests/plugins/versioned.c: the processor "versioned", which counts the
 * updates of each session. Its version is read from $VERSIONED_VERSION
 * (default 1) when the plugin is loaded, so a test can change it between
 * runs; a state saved by another version is declined (recomputed). Its
 * state records the version that computed it: [updates, version]. Table
 * versioned_updates (node_id, updates, version); sessions.csv column
 * versioned_updates.
 */
#include <stdlib.h>
#include <string.h>

#include <bpass.h>

struct vstate {
	uint64_t updates;
	uint64_t version;
};

static struct bpass_processor versioned;   /* .version set at load time */

static void *v_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct vstate *s = calloc(1, sizeof(*s));
	if (s)
		s->version = versioned.version;
	return s;
}

static void v_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	free(state);
}

static int v_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	(void)u;
	((struct vstate *)state)->updates++;
	return 0;
}

static int v_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct vstate *s = state;
	w->array(w, 2);
	w->u64(w, s->updates);
	w->u64(w, s->version);
	return 0;
}

static int v_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		  struct bpass_reader *r)
{
	(void)ctx;
	struct vstate *s = state;
	uint32_t n;
	if (saved_version != versioned.version || r->array(r, &n) || n != 2 ||
	    r->u64(r, &s->updates) || r->u64(r, &s->version))
		return -1;
	return 0;
}

static int v_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		     struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	f->add(f, "versioned_updates", (int64_t)((const struct vstate *)state)->updates);
	return 0;
}

/* Global: per node, updates and the lowest version that computed them. */
struct vnode {
	char id[80];
	uint64_t updates, version;
};

struct vglobal {
	struct vnode nodes[64];
	uint32_t n;
};

static void *vg_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct vglobal));
}

static void vg_free(struct bpass_ctx *ctx, void *g)
{
	(void)ctx;
	free(g);
}

static int vg_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	struct vglobal *g = global;
	const struct vstate *s = state;
	uint32_t i;
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].id, key->node_id))
			break;
	if (i == g->n) {
		if (g->n == 64 || strlen(key->node_id) >= sizeof(g->nodes[0].id))
			return -1;
		strcpy(g->nodes[g->n].id, key->node_id);
		g->nodes[g->n].version = s->version;
		g->n++;
	}
	g->nodes[i].updates += s->updates;
	if (s->version < g->nodes[i].version)
		g->nodes[i].version = s->version;
	return 0;
}

static int vnode_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vnode *)a)->id, ((const struct vnode *)b)->id);
}

static int vg_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct vglobal *g = global;
	qsort(g->nodes, g->n, sizeof(g->nodes[0]), vnode_cmp);
	return 0;
}

static int vg_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct vglobal *g = global;
	static const char *const cols[] = {"node_id", "updates", "version", NULL};
	struct bpass_table *t = res->table(res, "versioned_updates", cols);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < g->n; i++) {
		res->str(t, g->nodes[i].id);
		res->u64(t, g->nodes[i].updates);
		res->u64(t, g->nodes[i].version);
		if (res->row_end(t)) {
			res->close(t);
			return -1;
		}
	}
	return res->close(t);
}

static struct bpass_processor versioned = {
	BPASS_PROCESSOR_HEADER,
	.name = "versioned",
	.version = 1,
	.description = "test: counts updates; version from $VERSIONED_VERSION",
	.session_new = v_new,
	.session_free = v_free,
	.process = v_process,
	.save = v_save,
	.load = v_load,
	.session_figures = v_figures,
	.global_new = vg_new,
	.global_free = vg_free,
	.merge = vg_merge,
	.global_complete = vg_complete,
	.write_results = vg_write,
};

const struct bpass_processor *const *bpass_processors(void);
const struct bpass_processor *const *bpass_processors(void)
{
	static const struct bpass_processor *const list[] = {&versioned, NULL};
	const char *v = getenv("VERSIONED_VERSION");
	versioned.version = v && *v ? (uint32_t)strtoul(v, NULL, 10) : 1;
	return list;
}
