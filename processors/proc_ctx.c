/*
 * processors/proc_ctx.c: the context handed to processor callbacks (error,
 * warn, option, state_of, packet_view, device_of) and the per-process
 * init/exit hooks (see proc_ctx.h).
 */
#include "proc_ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc_tables.h"
#include "session_key.h"

static const void *ctx_state_of(struct bpass_ctx *ctx, const char *name)
{
	struct proc_ctx *x = ctx->impl;
	return x->state_of ? x->state_of(x->arg, name) : NULL;
}

static int ctx_packet_view(struct bpass_ctx *ctx, const struct bpass_update *u, uint32_t i,
			   struct bpass_packet_view *v, size_t v_size)
{
	struct proc_ctx *x = ctx->impl;
	return views_packet_view(&x->views, ctx, x->update, u, i, v, v_size);
}

static const char *ctx_device_of(struct bpass_ctx *ctx, uint32_t address_id)
{
	struct proc_ctx *x = ctx->impl;
	return views_device_of(&x->views, ctx, address_id);
}

static void vformat(struct buf *b, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	buf_reset(b);
	buf_puts(b, msg);
}

static void ctx_error(struct bpass_ctx *ctx, const char *fmt, ...)
{
	struct proc_ctx *x = ctx->impl;
	va_list ap;
	va_start(ap, fmt);
	vformat(&x->error, fmt, ap);
	va_end(ap);
}

static void ctx_warn(struct bpass_ctx *ctx, const char *fmt, ...)
{
	struct proc_ctx *x = ctx->impl;
	struct buf msg;
	buf_init(&msg);
	va_list ap;
	va_start(ap, fmt);
	vformat(&msg, fmt, ap);
	va_end(ap);
	if (ctx->key) {
		buf_reset(&x->ktext);
		session_key_format(ctx->key, &x->ktext);
		log_warn("processor \"%s\" on session %s: %s", ctx->processor, x->ktext.data,
			 msg.data);
	} else {
		log_warn("processor \"%s\": %s", ctx->processor, msg.data);
	}
	buf_release(&msg);
}

static const char *ctx_option(struct bpass_ctx *ctx, const char *name)
{
	struct proc_ctx *x = ctx->impl;
	return name ? proc_options_get(x->options, x->p, name) : NULL;
}

void proc_ctx_init(struct proc_ctx *x, const struct proc_options *options)
{
	memset(x, 0, sizeof(*x));
	x->options = options;
	buf_init(&x->error);
	buf_init(&x->why);
	buf_init(&x->ktext);
	views_init(&x->views);
	x->c = (struct bpass_ctx){
		.struct_size = sizeof(struct bpass_ctx),
		.abi_version = BPASS_ABI_VERSION,
		.bpass_version = BPASS_VERSION_STRING,
		.processor = "",
		.impl = x,
		.state_of = ctx_state_of,
		.error = ctx_error,
		.warn = ctx_warn,
		.option = ctx_option,
		.packet_view = ctx_packet_view,
		.device_of = ctx_device_of,
		.add_row = proc_tables_add_row,
	};
}

void proc_ctx_release(struct proc_ctx *x)
{
	buf_release(&x->error);
	buf_release(&x->why);
	buf_release(&x->ktext);
	views_release(&x->views);
	memset(x, 0, sizeof(*x));
}

struct bpass_ctx *proc_ctx_enter(struct proc_ctx *x, const struct bpass_processor *p,
				 const struct bpass_session_key *key)
{
	x->p = p;
	x->c.processor = p->name;
	x->c.key = key;
	x->tables = NULL;
	buf_reset(&x->error);
	views_enter(&x->views);
	return &x->c;
}

const char *proc_ctx_why(struct proc_ctx *x)
{
	buf_reset(&x->why);
	if (x->error.len)
		buf_printf(&x->why, ": %s", x->error.data);
	return x->why.data;
}

/* ---------------------------------------------------------------------------
 * Per-process hooks
 */

static struct {
	pid_t pid;                    /* the process the counts belong to */
	struct hook_count {
		/* The processor's name (the registry refuses longer ones), copied:
		 * the registry whose descriptor it came from may be gone. */
		char name[65];
		uint32_t users;
	} *v;
	uint32_t n, cap;
} hooks;

static struct hook_count *hook_count(const struct bpass_processor *p)
{
	if (hooks.pid != getpid()) {
		/* A forked child: the parent's resources are not its own. */
		hooks.pid = getpid();
		hooks.n = 0;
	}
	for (uint32_t i = 0; i < hooks.n; i++)
		if (!strcmp(hooks.v[i].name, p->name))
			return &hooks.v[i];
	xgrow((void **)&hooks.v, &hooks.cap, hooks.n + 1, sizeof(*hooks.v));
	hooks.v[hooks.n] = (struct hook_count){.users = 0};
	snprintf(hooks.v[hooks.n].name, sizeof(hooks.v[hooks.n].name), "%s", p->name);
	return &hooks.v[hooks.n++];
}

void proc_hooks_exit(const struct bpass_processor *const *procs, uint32_t n,
		     const struct proc_options *options)
{
	struct proc_ctx x;
	proc_ctx_init(&x, options);
	for (uint32_t i = n; i-- > 0;) {
		const struct bpass_processor *p = procs[i];
		if (!p->init && !p->exit)
			continue;
		struct hook_count *h = hook_count(p);
		if (h->users == 0 || --h->users > 0)
			continue;
		if (p->exit)
			p->exit(proc_ctx_enter(&x, p, NULL));
	}
	proc_ctx_release(&x);
}

int proc_hooks_init(const struct bpass_processor *const *procs, uint32_t n,
		    const struct proc_options *options)
{
	struct proc_ctx x;
	proc_ctx_init(&x, options);
	int rc = 0;
	uint32_t i;
	for (i = 0; i < n && rc == 0; i++) {
		const struct bpass_processor *p = procs[i];
		if (!p->init && !p->exit)
			continue;
		struct hook_count *h = hook_count(p);
		if (h->users++ > 0 || !p->init)
			continue;
		if (p->init(proc_ctx_enter(&x, p, NULL))) {
			h->users--;
			rc = log_error("processor \"%s\" could not start%s", p->name,
				       proc_ctx_why(&x));
			i++;
			break;
		}
	}
	proc_ctx_release(&x);
	if (rc)
		proc_hooks_exit(procs, i - 1, options);
	return rc;
}
