/*
 * harness/merge.h: the parent's global result. Each session's states arrive
 * as a state container (plus ephemeral states) and are merged at once: every
 * selected processor loads its part into a fresh state, reports its figures
 * for sessions.csv, merges it into its global result, and frees it, so the
 * parent's memory is bounded by the global result (and one small
 * sessions.csv row per session).
 *
 * At the end: merge_complete (global_complete of every processor), then
 * merge_write (write_results of every processor, and sessions.csv), and
 * optionally merge_save (the --cache-global container). merge_load_cache
 * rebuilds a completed result from such a container (bpass results).
 *
 * sessions.csv has the columns node_id, anonymization_context, session_id,
 * last_sequence_number_processed, updates_processed, then every column a
 * processor added through session_figures (the union over sessions, in
 * processor run order, each processor's columns in the order it adds them;
 * empty when a session lacks one), then status ("ok", or "stale" when the
 * session failed in this run and is merged as of its last good state) and
 * stale_reason (why; empty when ok). Rows are sorted by node, context and
 * session id.
 */
#ifndef HARNESS_MERGE_H
#define HARNESS_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"
#include "proto.h"
#include "state_file.h"

struct merge_column {
	char *name;
	uint32_t proc;                /* run-order index of the processor that adds it */
};

struct merge_row {
	char *node_id, *context;
	int64_t session_id;
	int32_t last_seq;
	uint64_t updates;
	uint32_t first_fig, n_figs;   /* in figs[] */
	char *stale;                  /* why the session is stale, NULL: it is not */
};

struct merge_fig {
	uint32_t column;              /* index in columns[] (before sorting) */
	int64_t value;
};

struct merge {
	const struct bpass_processor *const *procs;  /* run order (borrowed) */
	uint32_t n;
	void **globals;
	struct state_file sf;
	struct state_reader rd;
	struct merge_column *columns;
	uint32_t n_columns, cap_columns;
	uint32_t *order;              /* column indexes in output order */
	uint32_t n_order, cap_order;
	struct merge_row *rows;
	uint32_t n_rows, cap_rows;
	struct merge_fig *figs;
	uint32_t n_figs, cap_figs;
	struct buf err;
	/* While a session's figures are added: */
	uint32_t cur_proc;
	int32_t cur_prev;             /* position in order[] of the previous column added */
	struct bpass_figures fig;
	bool failed;
};

/* Creates every processor's global result. Returns 0, or -1 after a message
 * (then merge_release is still needed). */
int merge_init(struct merge *m, const struct bpass_processor *const *procs, uint32_t n);
void merge_release(struct merge *m);

/*
 * Merges one session: container is its state container (checked against
 * key), eph its ephemeral states (may be NULL). stale is NULL for a session
 * whose states are current, or why they are not (the session failed in this
 * run; its row says so): then a processor without a part, or whose load
 * declines its part, is left out for this session instead of failing it.
 * Returns 0, or -1 after a message (the session is then not part of the
 * result, as far as the processors allow: a merge callback that failed
 * half-way may have merged part of it).
 */
int merge_session(struct merge *m, const struct bpass_session_key *key, const void *container,
		  size_t len, const struct proto_eph *eph, uint32_t n_eph, const char *stale);
/* A row for a session that failed and has no usable saved state: its key,
 * no figures, stale for reason. */
void merge_stale_row(struct merge *m, const struct bpass_session_key *key, const char *reason);

/* global_complete of every processor. Returns 0 or -1. */
int merge_complete(struct merge *m);
/* Writes every processor's tables and sessions.csv. Returns 0 or -1. */
int merge_write(struct merge *m, struct bpass_results *res);
/* Saves the completed result (global_save of each processor, and the
 * sessions table) to path as a global container, atomically. */
int merge_save(struct merge *m, const char *path);
/* Loads a completed result saved by merge_save (read from data[0..len)).
 * Processors of the cache that are not in procs are ignored; a processor of
 * procs missing from the cache is an error. Returns 0 or -1. */
int merge_load_cache(struct merge *m, const void *data, size_t len, const char *path);

/* The name of the framework's entry in a cached result: the sessions table,
 * [[column name, processor]...], then per row [node_id, context, session_id,
 * last_seq, updates, [column, value...]] and, since version 2 of the entry,
 * the stale reason as a seventh element when the row is stale. */
#define MERGE_SESSIONS_ENTRY "bpass:sessions"

#endif
