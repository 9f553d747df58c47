/*
 * tests/plugins/crash.c: the processor "crashy", which counts updates and
 * kills its process with SIGSEGV while processing the session whose id is
 * in $CRASHY_SESSION (or SIGABRT with CRASHY_SIGNAL=abort). It restores the
 * default handler first, so the process dies on the signal even under
 * AddressSanitizer. Used to check that a crashing plugin costs one session.
 */
#include <signal.h>
#include <stdlib.h>

#include <bpass.h>

static void *crashy_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(uint64_t));
}

static void crashy_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	free(state);
}

static int crashy_process(struct bpass_ctx *ctx, void *state, void *eph,
			  const struct bpass_update *u)
{
	(void)eph;
	(void)u;
	const char *target = getenv("CRASHY_SESSION");
	if (target && *target && ctx->key->session_id == strtoll(target, NULL, 10)) {
		const char *how = getenv("CRASHY_SIGNAL");
		int sig = how && how[0] == 'a' ? SIGABRT : SIGSEGV;
		signal(sig, SIG_DFL);
		raise(sig);
	}
	++*(uint64_t *)state;
	return 0;
}

static int crashy_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	w->u64(w, *(const uint64_t *)state);
	return 0;
}

static int crashy_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		       struct bpass_reader *r)
{
	(void)ctx;
	(void)saved_version;
	return r->u64(r, state);
}

static const struct bpass_processor crashy = {
	BPASS_PROCESSOR_HEADER,
	.name = "crashy",
	.version = 1,
	.description = "test: crashes on the session $CRASHY_SESSION",
	.session_new = crashy_new,
	.session_free = crashy_free,
	.process = crashy_process,
	.save = crashy_save,
	.load = crashy_load,
};

BPASS_PLUGIN(&crashy)
