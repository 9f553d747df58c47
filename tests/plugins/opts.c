/*
 * tests/plugins/opts.c: the processor "opts", for options, errors and the
 * per-process hooks. It sums `scale` (option, default 1) per update of
 * every session: table opts_total (total). Option fail_save=yes makes save
 * fail with a reason given through ctx->error. init parses scale (an
 * invalid one fails init) and, when $OPTS_LOG names a file, appends
 * "init PID" to it; exit appends "exit PID".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpass.h>

/* Per process, set by init (the one global the contract allows). */
static long scale;

static void note(const char *what)
{
	const char *log = getenv("OPTS_LOG");
	FILE *f = log ? fopen(log, "a") : NULL;
	if (f) {
		fprintf(f, "%s %ld\n", what, (long)getpid());
		fclose(f);
	}
}

static int o_init(struct bpass_ctx *ctx)
{
	const char *v = ctx->option(ctx, "scale");
	char *end;
	scale = strtol(v, &end, 10);
	if (!*v || *end || scale < 1) {
		ctx->error(ctx, "invalid scale \"%s\": use a positive integer", v);
		return -1;
	}
	note("init");
	return 0;
}

static void o_exit(struct bpass_ctx *ctx)
{
	(void)ctx;
	note("exit");
}

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
	*(uint64_t *)state += (uint64_t)scale;
	return 0;
}

static int o_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	if (!strcmp(ctx->option(ctx, "fail_save"), "yes")) {
		ctx->error(ctx, "disk full (test)");
		return -1;
	}
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
	static const char *const columns[] = {"total", NULL};
	struct bpass_table *t = res->table(res, "opts_total", columns);
	if (!t)
		return -1;
	res->u64(t, *(const uint64_t *)global);
	return res->row_end(t) || res->close(t) ? -1 : 0;
}

static const struct bpass_option options[] = {
	{"scale", "added per update", "1"},
	{"fail_save", "yes: save fails (test)", "no"},
	{NULL, NULL, NULL},
};

static const struct bpass_processor opts = {
	BPASS_PROCESSOR_HEADER,
	.name = "opts",
	.version = 1,
	.description = "test: options, errors and hooks",
	.session_new = o_new,
	.session_free = o_free,
	.process = o_process,
	.save = o_save,
	.load = o_load,
	.global_new = o_new,
	.global_free = o_free,
	.merge = o_merge,
	.write_results = o_write,
	.options = options,
	.init = o_init,
	.exit = o_exit,
};

BPASS_PLUGIN(&opts)
