/*
 * harness/merge.h: the parent's global result. Each session's states arrive
 * as a state container (plus ephemeral states) and are merged at once: the
 * parent keeps the session's row of sessions.csv and hands each
 * processor's part to that processor's merger (harness/merger.h), which
 * loads it into a fresh state, takes its figures and merges it into its
 * global result, so the parent's memory is bounded by the global result
 * (and one small sessions.csv row per session).
 *
 * A processor without merge is given only the session's figures when the
 * worker computed them (harness/worker.h), so its part is not loaded again;
 * so is a processor the worker merged into its own partial global result
 * (the result names it), whose partial comes later (merge_partial). When
 * that partial is lost (the worker died, or could not save it), the caller
 * merges those sessions again from their state files (merge_again).
 *
 * Processors are merged independently of each other: a processor whose
 * load declines a session's part, or whose merge fails, costs that
 * processor's share of the session only. What happens then depends on where
 * the part came from:
 *   - a saved state file merged as is (from.saved, a session with nothing
 *     new): a part the processor declines is to be recomputed from update
 *     0; merge_redo hands these sessions back to the caller, whose workers
 *     recompute them (their load declines the same part), and their new
 *     containers are merged into the processors that declined only
 *     (from.redo_row);
 *   - otherwise the session is stale: the row says so and why, and the
 *     caller hears of it (merge_on_failure).
 *
 * A run's mergers are isolated (merge_init_isolated: each processor's
 * global result in a process of its own) unless it runs in one process
 * (-w 0). At the end of a run: merge_finish (global_complete and
 * write_results of every processor, into a folder of its own, and
 * sessions.csv), then optionally merge_save (the --cache-global
 * container). In this process, merge_complete, merge_write and merge_save
 * do the same into one results object; merge_load_cache rebuilds a
 * completed result from a cache (bpass results).
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
#include "merger.h"
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
	char *stale;                  /* why the session is stale, NULL: it is not */
	uint32_t tag;                 /* the caller's id of the session */
	bool saved;                   /* merged from its saved state file as is */
	bool redo_out;                /* handed out by merge_redo, not merged again yet */
	uint8_t *redo;                /* per processor: declined, to recompute; NULL: none */
};

struct merge_fig {
	uint32_t row;
	uint32_t column;              /* index in columns[] (output order) */
	int64_t value;
};

/* How a session came (merge_session). */
struct merge_from {
	const char *stale;            /* NULL: its states are current; else why not (the
				       * session failed in this run; its row says so) */
	bool saved;                   /* the container is its saved state file, merged as is */
	uint32_t tag;                 /* the caller's id, given back by merge_redo */
	int64_t redo_row;             /* -1, or the row (from merge_redo) of a session
				       * recomputed for the processors that declined it */
	const struct proto_result *figures; /* the worker's result, whose figures stand in
				       * for the session_figures of a processor without
				       * merge (its part is then not loaded); NULL: none */
};

/* Told of each session that becomes stale while it is merged (a processor
 * could not merge it); tag is the caller's id of the session (merge_from),
 * why the reason in its row. */
typedef void (*merge_failure_fn)(void *arg, uint32_t tag, const struct bpass_session_key *key,
				 const char *why);

/* A session of merge_redo. */
struct merge_redo {
	uint32_t tag;
	uint32_t row;
};

struct merge {
	const struct bpass_processor *const *procs;  /* run order (borrowed) */
	uint32_t n;
	struct merger *mg;            /* one per processor; mg[i].p is NULL when it has no
				       * side in the global result */
	struct state_file sf;
	struct merge_column *columns; /* in output order */
	uint32_t n_columns, cap_columns;
	struct merge_row *rows;
	uint32_t n_rows, cap_rows;
	struct merge_fig *figs;
	uint32_t n_figs, cap_figs;
	bool collected;               /* the mergers' figures are in columns[] and figs[] */
	uint32_t n_redo;              /* rows with a processor to recompute, not handed out */
	bool saved_sent;              /* a saved state was given to the mergers since
				       * their problems were last read */
	struct buf err;
	merge_failure_fn on_failure;  /* may be NULL */
	void *on_failure_arg;
	bool failed;                  /* something could not be merged, completed or written */
};

/* Creates every processor's global result, in this process, after the
 * processors' init hooks (options: their -o settings, borrowed, NULL for the
 * defaults). Returns 0, or -1 after a message (then merge_release is still
 * needed). */
int merge_init(struct merge *m, const struct bpass_processor *const *procs, uint32_t n,
	       const struct proc_options *options);
/* The same, each processor's in a process of its own (merger_start), so
 * that a processor that crashes or hangs in its global callbacks costs its
 * own tables only. Returns 0, or -1 after a message. */
int merge_init_isolated(struct merge *m, const struct bpass_processor *const *procs, uint32_t n,
			const struct merger_options *o);
/* In another child process (a worker): closes the parent's ends of the
 * isolated mergers' pipes. */
void merge_close_fds(struct merge *m);
/* Frees everything (isolated mergers' processes are killed if still there). */
void merge_release(struct merge *m);

/*
 * Merges one session: container is its state container (checked against
 * key), eph its ephemeral states (may be NULL), from how it came (NULL: a
 * current container, not a saved file). A stale session's processor without
 * a part, or whose load declines its part, is left out for the session.
 * Returns 0; 1 when a processor could not merge it (the row is then stale,
 * and on_failure was told); -1 after a message when the container cannot be
 * read, or lacks a part while current (nothing of it is merged, no row).
 */
int merge_session(struct merge *m, const struct bpass_session_key *key, const void *container,
		  size_t len, const struct proto_eph *eph, uint32_t n_eph,
		  const struct merge_from *from);
/* The row of the session merge_session added last. */
uint32_t merge_last_row(const struct merge *m);

/*
 * Merges session key (row row) again from container, its state file, for
 * the processors only[i] != 0 (run order), without figures: a session a
 * worker had merged into a partial that was lost. eph: the ephemeral
 * states the worker sent with it (may be NULL). Returns 0, or -1 when the
 * container cannot be read (the row is then stale).
 */
int merge_again(struct merge *m, uint32_t row, const struct bpass_session_key *key,
		const void *container, size_t len, const struct proto_eph *eph, uint32_t n_eph,
		const uint8_t *only);

/*
 * Combines a worker's partial global result of processor name (name_len
 * bytes), saved with version, into the processor's global result
 * (merger_partial). Returns the processor's run-order index, or -1 when no
 * selected processor with a global result has that name.
 */
int merge_partial(struct merge *m, const char *name, size_t name_len, uint32_t version,
		  const void *data, size_t len);

/* A row for a session that failed and has no usable saved state: its key,
 * no figures, stale for reason. */
void merge_stale_row(struct merge *m, const struct bpass_session_key *key, const char *reason);
/* Row r (from merge_redo), whose recomputation failed, becomes stale for
 * reason (the processors that declined it have nothing of it). */
void merge_row_stale(struct merge *m, uint32_t row, const char *reason);

/* The sessions to recompute for the processors that declined their saved
 * parts and not handed out yet: *out becomes an array of them (the caller
 * frees it; NULL when none). Returns how many. */
uint32_t merge_redo(struct merge *m, struct merge_redo **out);

/*
 * The end of a run: every processor completes its global result and writes
 * its tables into its own folder dir/NAME (harness/results.h; JSON Lines
 * when json), and with save keeps its global_save for merge_save; then
 * sessions.csv is written into dir. A processor that fails or dies there
 * costs its own tables (merge.mg[i].dead: its folder must not be used, its
 * figures are lost if it died). Returns 0, or -1 when something failed.
 */
int merge_finish(struct merge *m, const char *dir, bool json, bool save);

/* In this process, instead of merge_finish (bpass results): */
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
