/*
 * tests/plugins/hostile.c: the processor "hostile", which counts the
 * updates of each session (figure hostile_updates; table hostile_per_node:
 * node_id, updates) and misbehaves where its environment says, so that
 * tests can check that a failure costs only itself:
 *   HOSTILE_FAIL=SID      process returns -1 on session SID (an error)
 *   HOSTILE_NEW=fail      session_new returns NULL (no state can be made)
 *   HOSTILE_HANG=SID      process never returns on session SID (signals
 *                         do not stop it; only SIGKILL does)
 *   HOSTILE_GEN=N         the state records N (default 1), and load declines
 *                         a state of another N (returns -1): a processor
 *                         whose saved states became unusable without a
 *                         version change
 *   HOSTILE_MERGE=crash|fail|hang  merge dies on SIGSEGV, returns -1 or
 *                         never returns, on every session or only on
 *                         $HOSTILE_MERGE_SESSION
 *   HOSTILE_COMPLETE=crash|fail global_complete does so
 *   HOSTILE_WRITE=crash|fail|sleep  write_results does so (sleep: 30 s
 *                         after writing its table, before closing it)
 *   HOSTILE_TABLE=NAME    write_results names its table NAME instead of
 *                         hostile_per_node
 *   HOSTILE_START=fail    the plugin's entry point lists no processors in
 *                         any process but the first that loaded it, so
 *                         that the workers of a run cannot start
 * A crash restores the default handler first, so the process dies on the
 * signal even under AddressSanitizer. A second processor, "hostile-reader",
 * reads hostile's state (.depends) and counts updates too; it has no global
 * side. It stops with hostile when hostile fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpass.h>

static bool is(const char *var, const char *value)
{
	const char *v = getenv(var);
	return v && !strcmp(v, value);
}

/* True when $var names session key (a session id). */
static bool on_session(const char *var, const struct bpass_session_key *key)
{
	const char *v = getenv(var);
	return v && *v && key->session_id == strtoll(v, NULL, 10);
}

static void crash(void)
{
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

/* HOSTILE_GEN, default 1. */
static uint64_t gen(void)
{
	const char *v = getenv("HOSTILE_GEN");
	return v && *v ? strtoull(v, NULL, 10) : 1;
}

static void *h_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(uint64_t));
}

static void *hostile_new(struct bpass_ctx *ctx)
{
	return is("HOSTILE_NEW", "fail") ? NULL : h_new(ctx);
}

static void h_free(struct bpass_ctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int h_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)eph;
	(void)u;
	if (on_session("HOSTILE_FAIL", ctx->key))
		return -1;
	while (on_session("HOSTILE_HANG", ctx->key)) {
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
	}
	++*(uint64_t *)state;
	return 0;
}

/* The state: [updates, generation]. */
static int h_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	w->array(w, 2);
	w->u64(w, *(const uint64_t *)state);
	w->u64(w, gen());
	return 0;
}

static int h_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		  struct bpass_reader *r)
{
	(void)ctx;
	(void)saved_version;
	uint32_t n;
	uint64_t g;
	if (r->array(r, &n) || n != 2 || r->u64(r, state) || r->u64(r, &g) || g != gen())
		return -1;
	return 0;
}

static int h_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		     struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	f->add(f, "hostile_updates", (int64_t)*(const uint64_t *)state);
	return 0;
}

/* Global: updates per node. */
struct hnode {
	char id[80];
	uint64_t updates;
};

struct hglobal {
	struct hnode nodes[64];
	uint32_t n;
};

static void *hg_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct hglobal));
}

static int hg_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	const char *only = getenv("HOSTILE_MERGE_SESSION");
	if ((!only || !*only || on_session("HOSTILE_MERGE_SESSION", key))) {
		if (is("HOSTILE_MERGE", "crash"))
			crash();
		if (is("HOSTILE_MERGE", "fail"))
			return -1;
		while (is("HOSTILE_MERGE", "hang"))
			sleep(1);
	}
	struct hglobal *g = global;
	uint32_t i;
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].id, key->node_id))
			break;
	if (i == g->n) {
		if (g->n == 64 || strlen(key->node_id) >= sizeof(g->nodes[0].id))
			return -1;
		memcpy(g->nodes[i].id, key->node_id, strlen(key->node_id) + 1);
		g->n++;
	}
	g->nodes[i].updates += *(const uint64_t *)state;
	return 0;
}

static int hnode_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hnode *)a)->id, ((const struct hnode *)b)->id);
}

static int hg_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	if (is("HOSTILE_COMPLETE", "crash"))
		crash();
	if (is("HOSTILE_COMPLETE", "fail"))
		return -1;
	struct hglobal *g = global;
	qsort(g->nodes, g->n, sizeof(g->nodes[0]), hnode_cmp);
	return 0;
}

static int hg_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	if (is("HOSTILE_WRITE", "crash"))
		crash();
	if (is("HOSTILE_WRITE", "fail"))
		return -1;
	const struct hglobal *g = global;
	static const char *const cols[] = {"node_id", "updates", NULL};
	const char *name = getenv("HOSTILE_TABLE");
	struct bpass_table *t = res->table(res, name && *name ? name : "hostile_per_node", cols);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < g->n; i++) {
		res->str(t, g->nodes[i].id);
		res->u64(t, g->nodes[i].updates);
		if (res->row_end(t)) {
			res->close(t);
			return -1;
		}
	}
	if (is("HOSTILE_WRITE", "sleep"))
		sleep(30);
	return res->close(t);
}

static const struct bpass_processor hostile = {
	BPASS_PROCESSOR_HEADER,
	.name = "hostile",
	.version = 1,
	.description = "test: counts updates, misbehaves as $HOSTILE_* say",
	.session_new = hostile_new,
	.session_free = h_free,
	.process = h_process,
	.save = h_save,
	.load = h_load,
	.session_figures = h_figures,
	.global_new = hg_new,
	.global_free = h_free,
	.merge = hg_merge,
	.global_complete = hg_complete,
	.write_results = hg_write,
};

static int r_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)eph;
	(void)u;
	if (!ctx->state_of(ctx, "hostile"))
		return -1;
	++*(uint64_t *)state;
	return 0;
}

static int r_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	w->u64(w, *(const uint64_t *)state);
	return 0;
}

static int r_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		  struct bpass_reader *r)
{
	(void)ctx;
	(void)saved_version;
	return r->u64(r, state);
}

static const char *const reader_depends[] = {"hostile", NULL};

static const struct bpass_processor reader = {
	BPASS_PROCESSOR_HEADER,
	.name = "hostile-reader",
	.version = 1,
	.description = "test: counts updates, reads hostile's state",
	.depends = reader_depends,
	.session_new = h_new,
	.session_free = h_free,
	.process = r_process,
	.save = r_save,
	.load = r_load,
};

const struct bpass_processor *const *bpass_processors(void);
const struct bpass_processor *const *bpass_processors(void)
{
	static const struct bpass_processor *const list[] = {&hostile, &reader, NULL};
	static pid_t first;
	if (!first)
		first = getpid();
	if (is("HOSTILE_START", "fail") && getpid() != first)
		return NULL;
	return list;
}
