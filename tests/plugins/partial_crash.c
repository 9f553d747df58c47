/*
 * tests/plugins/partial_crash.c: the processor "partial-crashy", which
 * counts updates per session and in all (global_combine, so workers merge it
 * into partial global results), and kills its process with SIGSEGV in
 * global_save when $PARTIAL_CRASH is set: a worker asked for its partials
 * dies holding them, after every session was processed and saved. Used to
 * check that the parent then merges those sessions again from their state
 * files, with tables identical to a clean run. It restores the default
 * handler first, so the process dies on the signal even under ASan.
 */
#include <signal.h>
#include <stdlib.h>

#include <bpass.h>

static void *pc_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(uint64_t));
}

static void pc_free(struct bpass_ctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int pc_process(struct bpass_ctx *ctx, void *state, void *eph,
		      const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	(void)u;
	++*(uint64_t *)state;
	return 0;
}

static int pc_save(struct bpass_ctx *ctx, const void *p, struct bpass_writer *w)
{
	(void)ctx;
	w->u64(w, *(const uint64_t *)p);
	return 0;
}

static int pc_load(struct bpass_ctx *ctx, void *p, uint32_t saved_version, struct bpass_reader *r)
{
	(void)ctx;
	return saved_version == 1 ? r->u64(r, p) : -1;
}

static int pc_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	(void)ctx;
	(void)eph;
	*(uint64_t *)global += *(const uint64_t *)state;
	return 0;
}

static int pc_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	*(uint64_t *)into += *(const uint64_t *)from;
	return 0;
}

static int pc_global_save(struct bpass_ctx *ctx, const void *g, struct bpass_writer *w)
{
	const char *crash = getenv("PARTIAL_CRASH");
	if (crash && *crash) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	return pc_save(ctx, g, w);
}

static int pc_write(struct bpass_ctx *ctx, const void *g, struct bpass_results *res)
{
	(void)ctx;
	static const char *const columns[] = {"updates", NULL};
	struct bpass_table *t = res->table(res, "partial_crash", columns);
	if (!t)
		return -1;
	res->u64(t, *(const uint64_t *)g);
	if (res->row_end(t)) {
		res->close(t);
		return -1;
	}
	return res->close(t);
}

static const struct bpass_processor partial_crashy = {
	BPASS_PROCESSOR_HEADER,
	.name = "partial-crashy",
	.version = 1,
	.description = "test: counts updates; crashes in global_save when $PARTIAL_CRASH is set",
	.session_new = pc_new,
	.session_free = pc_free,
	.process = pc_process,
	.save = pc_save,
	.load = pc_load,
	.global_new = pc_new,
	.global_free = pc_free,
	.merge = pc_merge,
	.global_save = pc_global_save,
	.global_load = pc_load,
	.write_results = pc_write,
	.global_combine = pc_combine,
};

BPASS_PLUGIN(&partial_crashy)
