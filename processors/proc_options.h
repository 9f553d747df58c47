/*
 * processors/proc_options.h: processor options set on the command line
 * (bpass run -o PROCESSOR.NAME=VALUE, the hourly config's "options"): a list
 * of settings checked against what the registered processors declare
 * (struct bpass_option), the value a processor reads through ctx->option, and
 * the hash of a processor's values (and table declarations) that is stored
 * with its saved state (changing a value recomputes the processor, as a
 * version bump does).
 *
 * The settings are parsed by the parent before workers are forked; the
 * workers inherit them. A NULL struct proc_options * means "nothing set":
 * every option has its default.
 */
#ifndef PROCESSORS_PROC_OPTIONS_H
#define PROCESSORS_PROC_OPTIONS_H

#include <stdint.h>

#include "bpass.h"

struct registry;

struct proc_option_set {
	char *proc, *name, *value;    /* owned */
};

struct proc_options {
	struct proc_option_set *v;    /* in the order given; the last of a name wins */
	uint32_t n, cap;
};

void proc_options_init(struct proc_options *o);
void proc_options_release(struct proc_options *o);

/* Adds one "PROCESSOR.NAME=VALUE" (copied). Returns 0, or -1 after a
 * message when it is not of that form. */
int proc_options_add(struct proc_options *o, const char *arg);
/* Every setting names a processor of r that declares that option. Returns
 * 0, or -1 after a message naming the first that does not. */
int proc_options_check(const struct proc_options *o, const struct registry *r);

/* The value of option name of p: the last one set, else its default (may be
 * NULL); NULL when p does not declare name. o may be NULL. Borrowed from o
 * or p. */
const char *proc_options_get(const struct proc_options *o, const struct bpass_processor *p,
			     const char *name);
/* A hash (FNV-1a 64) of p's option names and values, mixed with the hash of
 * its table declarations (proc_tables_hash) when it declares tables; 0 when
 * p declares neither, so that such processors keep their saved states. */
uint64_t proc_options_hash(const struct proc_options *o, const struct bpass_processor *p);

#endif
