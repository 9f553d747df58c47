/*
 * processors/proc_ctx.h: the framework's side of struct bpass_ctx, the
 * context handed to every processor callback, and the per-process init/exit
 * hooks of processors.
 *
 * Calling sequence (worker.c, merge.c):
 *   proc_ctx_init(&x, options);          once
 *   x.state_of = fn; x.arg = w;          optional (dependencies' states)
 *   x.update = u; ... x.update = NULL;   around the process calls of update u
 *                                        (ctx->packet_view, views.h)
 *   ctx = proc_ctx_enter(&x, p, key);    before each callback of p
 *   if (p->save(ctx, ...))
 *           log_error("could not save ...%s", proc_ctx_why(&x));
 *   proc_ctx_release(&x);
 *
 * Hooks: proc_hooks_init(procs, n, options) calls init of each processor
 * not yet initialised in this process (a count per processor, so a process
 * that both works and merges, as with -w 0, calls it once), and
 * proc_hooks_exit(procs, n, options) calls exit when the last user lets go.
 * The counts belong to the process: a forked child starts with none. They
 * are the one process-wide state here, because the hooks are per process
 * by contract.
 */
#ifndef PROCESSORS_PROC_CTX_H
#define PROCESSORS_PROC_CTX_H

#include <stdint.h>

#include "bpass.h"
#include "buf.h"
#include "proc_options.h"
#include "views.h"

struct proc_ctx {
	struct bpass_ctx c;                    /* handed to callbacks; c.impl is this */
	const struct proc_options *options;    /* borrowed; NULL: defaults */
	const struct bpass_processor *p;       /* the processor called */
	struct buf error;                      /* its ctx->error text of this call, or "" */
	struct buf why, ktext;                 /* for proc_ctx_why and warnings */
	/* The dependencies' states for ctx->state_of (NULL: none). */
	const void *(*state_of)(void *arg, const char *name);
	void *arg;
	/* The update being processed while process is called, else NULL. */
	const struct bpass_update *update;
	struct views views;                    /* ctx->packet_view, ctx->device_of */
	/* The session's tables for ctx->add_row while process or
	 * session_complete of a processor with .tables runs (proc_tables.c
	 * sets it); NULL otherwise. */
	void *tables;
};

void proc_ctx_init(struct proc_ctx *x, const struct proc_options *options);
void proc_ctx_release(struct proc_ctx *x);

/* Prepares the context for a callback of p about session key (NULL for
 * none) and returns the pointer to hand it; clears the error text. */
struct bpass_ctx *proc_ctx_enter(struct proc_ctx *x, const struct bpass_processor *p,
				 const struct bpass_session_key *key);
/* ": TEXT" when the processor called ctx->error during the last call, else
 * "" (borrowed until the next call). */
const char *proc_ctx_why(struct proc_ctx *x);

/* init of every processor of procs that has one and is not initialised in
 * this process yet. Returns 0, or -1 after a message (the ones initialised
 * by this call are exited again). */
int proc_hooks_init(const struct bpass_processor *const *procs, uint32_t n,
		    const struct proc_options *options);
/* Lets go of what proc_hooks_init took: exit where the count drops to 0. */
void proc_hooks_exit(const struct bpass_processor *const *procs, uint32_t n,
		     const struct proc_options *options);

#endif
