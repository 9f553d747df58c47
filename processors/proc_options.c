/*
 * processors/proc_options.c: processor options set on the command line,
 * checked against their declarations, read and hashed (see proc_options.h).
 */
#include "proc_options.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "proc_tables.h"
#include "registry.h"

void proc_options_init(struct proc_options *o)
{
	memset(o, 0, sizeof(*o));
}

void proc_options_release(struct proc_options *o)
{
	for (uint32_t i = 0; i < o->n; i++) {
		free(o->v[i].proc);
		free(o->v[i].name);
		free(o->v[i].value);
	}
	free(o->v);
	proc_options_init(o);
}

int proc_options_add(struct proc_options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
	if (!dot || dot == arg || dot + 1 == eq)
		return log_error("invalid processor option \"%s\": use PROCESSOR.NAME=VALUE", arg);
	xgrow((void **)&o->v, &o->cap, o->n + 1, sizeof(*o->v));
	struct proc_option_set *s = &o->v[o->n++];
	s->proc = xstrdup(arg);
	s->proc[dot - arg] = 0;
	s->name = xstrdup(dot + 1);
	s->name[eq - dot - 1] = 0;
	s->value = xstrdup(eq + 1);
	return 0;
}

static const struct bpass_option *declared(const struct bpass_processor *p, const char *name)
{
	for (const struct bpass_option *d = p->options; d && d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

int proc_options_check(const struct proc_options *o, const struct registry *r)
{
	for (uint32_t i = 0; o && i < o->n; i++) {
		const struct registry_proc *rp = registry_find(r, o->v[i].proc);
		if (!rp)
			return log_error("unknown processor \"%s\" in option \"%s.%s\" (bpass "
					 "processors lists them)", o->v[i].proc, o->v[i].proc,
					 o->v[i].name);
		if (!declared(&rp->p, o->v[i].name))
			return log_error("unknown option \"%s\" of processor \"%s\" (bpass "
					 "processors lists its options)", o->v[i].name,
					 o->v[i].proc);
	}
	return 0;
}

const char *proc_options_get(const struct proc_options *o, const struct bpass_processor *p,
			     const char *name)
{
	const struct bpass_option *d = declared(p, name);
	if (!d)
		return NULL;
	for (uint32_t i = o ? o->n : 0; i-- > 0;)
		if (!strcmp(o->v[i].name, name) && !strcmp(o->v[i].proc, p->name))
			return o->v[i].value;
	return d->default_value;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	/* The terminating NUL is hashed too, so "ab","c" differs from "a","bc". */
	do
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	while (*s++);
	return h;
}

uint64_t proc_options_hash(const struct proc_options *o, const struct bpass_processor *p)
{
	/* Table declarations make a saved state current too (0 without). */
	uint64_t tables = proc_tables_hash(p);
	if (!p->options || !p->options[0].name)
		return tables;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const struct bpass_option *d = p->options; d->name; d++) {
		const char *v = proc_options_get(o, p, d->name);
		h = fnv(h, d->name);
		/* An unset value (NULL) differs from every string, "" included. */
		h = v ? fnv(fnv(h, "="), v) : fnv(h, "");
	}
	if (tables)
		h = (h ^ tables) * 0x100000001b3ULL;
	return h ? h : 1;
}
