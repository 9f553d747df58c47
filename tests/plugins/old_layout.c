/*
 * tests/plugins/old_layout.c: the processor "old-layout", built as a plugin
 * of the first ABI 2 header would be: its descriptor is a copy of struct
 * bpass_processor cut after write_results (no options, init, exit,
 * global_combine), with struct_size saying so. bpass must load and run it,
 * taking the missing fields as absent. It counts the updates of all
 * sessions: table old_layout_updates (updates).
 */
#include <stdlib.h>

#include <bpass.h>

/* The first ABI 2 layout, as an older bpass.h declared it. */
struct old_processor {
	uint32_t abi_version, struct_size;
	const char *name;
	uint32_t version;
	const char *description;
	const char *const *depends;
	void *(*session_new)(struct bpass_ctx *ctx);
	void (*session_free)(struct bpass_ctx *ctx, void *state);
	void *(*ephemeral_new)(struct bpass_ctx *ctx);
	void (*ephemeral_free)(struct bpass_ctx *ctx, void *eph);
	int (*process)(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u);
	int (*session_complete)(struct bpass_ctx *ctx, void *state, void *eph);
	int (*save)(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w);
	int (*load)(struct bpass_ctx *ctx, void *state, uint32_t saved_version, struct bpass_reader *r);
	int (*ephemeral_save)(struct bpass_ctx *ctx, const void *eph, struct bpass_writer *w);
	int (*ephemeral_load)(struct bpass_ctx *ctx, void *eph, struct bpass_reader *r);
	int (*session_figures)(struct bpass_ctx *ctx, const void *state, const void *eph,
			       struct bpass_figures *f);
	void *(*global_new)(struct bpass_ctx *ctx);
	void (*global_free)(struct bpass_ctx *ctx, void *global);
	int (*merge)(struct bpass_ctx *ctx, void *global, const void *state, const void *eph);
	int (*global_complete)(struct bpass_ctx *ctx, void *global);
	int (*global_save)(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w);
	int (*global_load)(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
			   struct bpass_reader *r);
	int (*write_results)(struct bpass_ctx *ctx, const void *global, struct bpass_results *res);
};

_Static_assert(sizeof(struct old_processor) == BPASS_PROCESSOR_V2_MIN_SIZE,
	       "the first ABI 2 layout");

static void *o_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(uint64_t));
}

static void o_free(struct bpass_ctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int o_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	(void)u;
	++*(uint64_t *)state;
	return 0;
}

static int o_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	w->u64(w, *(const uint64_t *)state);
	return 0;
}

static int o_load(struct bpass_ctx *ctx, void *state, uint32_t version, struct bpass_reader *r)
{
	(void)ctx;
	return version == 1 && r->u64(r, state) == 0 ? 0 : -1;
}

static int o_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	(void)ctx;
	(void)eph;
	*(uint64_t *)global += *(const uint64_t *)state;
	return 0;
}

static int o_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	static const char *const columns[] = {"updates", NULL};
	struct bpass_table *t = res->table(res, "old_layout_updates", columns);
	if (!t)
		return -1;
	res->u64(t, *(const uint64_t *)global);
	return res->row_end(t) || res->close(t) ? -1 : 0;
}

static const struct old_processor old = {
	.abi_version = BPASS_ABI_VERSION,
	.struct_size = sizeof(struct old_processor),
	.name = "old-layout",
	.version = 1,
	.description = "test: built against the first ABI 2 layout",
	.session_new = o_new,
	.session_free = o_free,
	.process = o_process,
	.save = o_save,
	.load = o_load,
	.global_new = o_new,
	.global_free = o_free,
	.merge = o_merge,
	.write_results = o_write,
};

const struct bpass_processor *const *bpass_processors(void);
const struct bpass_processor *const *bpass_processors(void)
{
	static const struct bpass_processor *const list[] = {
		(const struct bpass_processor *)(const void *)&old, NULL};
	return list;
}
