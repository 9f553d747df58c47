/*
 * processors/proc_tables.h: the result tables bpass keeps for a processor
 * that declares them (bpass.h: .tables, ctx->add_row), built on the SDK's
 * keyed aggregates (struct bpass_agg, processors/sdk/).
 *
 * The registry wraps every descriptor with .tables (proc_tables_wrap): the
 * wrapped descriptor has the processor's name, version, options, hooks and
 * ephemeral callbacks, and callbacks of its own around the processor's
 * others, so that the harness (worker, merge, mergers, cached results)
 * handles it like any processor and knows nothing of tables:
 *
 *   session state   {the processor's own state or NULL, one bpass_agg per
 *                   table}: session_new/free create and free both parts;
 *                   process and session_complete call the processor's with
 *                   its own state while ctx->add_row adds into the aggs;
 *                   session_figures gets the own state;
 *   global result   {the processor's own global or NULL, one bpass_agg per
 *                   table}: merge adds the session's aggs into the global's,
 *                   then calls the processor's merge with the own parts;
 *                   global_combine combines both parts (present when the
 *                   processor's own global is absent or has global_combine);
 *                   global_complete gets the own global; write_results
 *                   writes the tables, then calls the processor's;
 *   saved form      one msgpack array of the tables' saved forms (the SDK's
 *                   bpass_agg_save: [1, table, [column, type...], rows]),
 *                   then whatever the processor's own save (or global_save)
 *                   writes. The tables come first because the processor's
 *                   part is any number of values. load and global_load
 *                   decline (return -1: recomputed) another number of
 *                   tables, a table of another declaration or a bad shape;
 *                   then the processor's load decides on its version. A
 *                   processor without state of its own has nothing to
 *                   upgrade: a saved part of another version is declined.
 *                   The global result can be cached (global_save) when the
 *                   processor's own global is absent or has global_save.
 *
 * The declarations are hashed into what makes a saved state current
 * (proc_tables_hash, mixed into proc_options_hash), so that changing one
 * recomputes the processor like a version bump.
 *
 * Wrapped callbacks find their processor through ctx (ctx->impl is the
 * framework's struct proc_ctx, whose p is the wrapped descriptor, whose
 * .tables points into the wrapper's own data), so a copy of a wrapped
 * descriptor works as well as the registry's.
 */
#ifndef PROCESSORS_PROC_TABLES_H
#define PROCESSORS_PROC_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"

/* The most tables one processor may declare. */
#define PROC_TABLES_MAX 64

/*
 * Checks the table declarations of p (p->tables non-NULL): at most
 * PROC_TABLES_MAX tables, each a valid result table name (lower-case
 * letters, digits, '_' and '-', at most 100 bytes; not "sessions", bpass's
 * own) declared once, with columns the SDK accepts. Returns 0, or -1 with
 * the reason appended to why (e.g. table "hits": a column declared twice:
 * "node_id").
 */
int proc_tables_check(const struct bpass_processor *p, struct buf *why);

/* Replaces *p (a full descriptor that passed proc_tables_check) by its
 * wrapped descriptor; what that refers to is freed by proc_tables_release.
 * A descriptor without tables is left as it is. */
void proc_tables_wrap(struct bpass_processor *p);
/* Frees what proc_tables_wrap allocated for p (nothing for another). */
void proc_tables_release(struct bpass_processor *p);

/* True when p is a wrapped descriptor. */
bool proc_tables_wrapped(const struct bpass_processor *p);
/* The processor's own state within state, a session state of p: itself
 * when p is not wrapped, NULL when the processor keeps none. */
const void *proc_tables_own_state(const struct bpass_processor *p, const void *state);

/* A hash (FNV-1a 64) of the table names, column names and types of p; 0
 * when p declares no tables. */
uint64_t proc_tables_hash(const struct bpass_processor *p);

/* ctx->add_row (bpass.h): adds a row into the table of the session whose
 * process or session_complete is running. Returns 0, or -1 after
 * ctx->error says why (no such table, another number of cells, a NULL
 * string, called elsewhere, out of memory); that call then fails even if
 * the processor returns 0. */
int proc_tables_add_row(struct bpass_ctx *ctx, uint32_t table, const union bpass_cell *cells,
			size_t n);

#endif
