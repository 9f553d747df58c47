/*
 * harness/merger.h: one processor's side of a run's global result, its
 * "merger": the global state (global_new); per session, the processor's
 * part of the session's state container loaded into a fresh state (load),
 * its ephemeral state (ephemeral_load), its figures for sessions.csv
 * (session_figures) and the merge into the global state (merge); at the end
 * global_complete, write_results and global_save.
 *
 * A merger does not stop at a session that goes wrong; it records a
 * problem for it (the caller's row number, the kind, the reason) and goes
 * on:
 *   MERGER_DECLINED  load declined the part (or the part could not be
 *                    read): the processor can compute it again from
 *                    update 0; nothing was printed;
 *   MERGER_FAILED    another callback failed (printed: processor "x" could
 *                    not merge session K); whatever the callback did to the
 *                    global state before failing stays.
 * The caller (harness/merge.h) takes them (merger_take_problems) and
 * decides: recompute the session, or mark it stale.
 *
 * Figures stay with the merger until the end: its columns in the order it
 * adds them (a column first added after another one goes right after it,
 * the first of a session at the front), and the values per row; "a column
 * given twice for one session keeps the last value".
 *
 * Calling sequence (each callback runs in the process that calls):
 *   merger_init(&mg, p)                 global_new
 *   merger_session(&mg, row, ...)       per session with a part
 *   merger_take_problems(&mg, ...)      whenever the caller wants them
 *   merger_complete(&mg)                global_complete
 *   merger_write(&mg, res)              write_results
 *   merger_save(&mg, &writer)           global_save (for --cache-global)
 *   merger_release(&mg)                 global_free
 */
#ifndef HARNESS_MERGER_H
#define HARNESS_MERGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"
#include "state_file.h"
#include "state_reader.h"
#include "state_writer.h"

enum merger_problem_kind {
	MERGER_DECLINED = 1,
	MERGER_FAILED = 2,
};

/* A session that went wrong. */
struct merger_problem {
	uint32_t row;                 /* the caller's row number */
	int kind;                     /* enum merger_problem_kind */
	char *why;                    /* e.g. processor "x" could not merge this session (owned) */
};

/* One figure: the value of a column (index in columns[]) for a row. */
struct merger_fig {
	uint32_t row, column;
	int64_t value;
};

struct merger {
	const struct bpass_processor *p;
	void *global;                 /* NULL when the processor has no global_new */
	char **columns;               /* figure columns, in the order first added */
	uint32_t n_columns, cap_columns;
	uint32_t *order;              /* columns[] indexes in output order */
	uint32_t n_order, cap_order;
	struct merger_fig *figs;
	uint32_t n_figs, cap_figs;
	struct merger_problem *problems;
	uint32_t n_problems, cap_problems;
	/* While a session is merged: */
	struct state_reader rd;
	struct bpass_figures fig;
	uint32_t cur_row, cur_first_fig;
	int32_t cur_prev;             /* position in order[] of the column added last */
	struct buf text;
};

/* True when processor p has a side in the global result at all; then
 * merger_wants_sessions says whether it is given the sessions (merge or
 * session_figures). */
bool merger_needed(const struct bpass_processor *p);
bool merger_wants_sessions(const struct bpass_processor *p);

/* Creates p's global state. Returns 0, or -1 after a message (merger_release
 * is still needed). */
int merger_init(struct merger *mg, const struct bpass_processor *p);
void merger_release(struct merger *mg);

/*
 * Merges one session: e is the processor's part of the session's container
 * (a session whose part is missing is not given), eph/eph_len its ephemeral
 * state (eph NULL: none). row is the caller's number for the session, given
 * back in figures and problems. Problems are recorded, not returned.
 */
void merger_session(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
		    const struct state_entry *e, const void *eph, size_t eph_len);

/* Moves the problems recorded so far to the caller: *out becomes an array
 * of *n problems (the caller frees each why and the array; NULL when 0). */
void merger_take_problems(struct merger *mg, struct merger_problem **out, uint32_t *n);

/* global_complete. Returns 0, or -1 after a message. */
int merger_complete(struct merger *mg);
/* write_results into res. Returns 0, or -1 after a message. */
int merger_write(struct merger *mg, struct bpass_results *res);
/* global_save into data (reset first). Returns 0, 1 when the processor
 * has no global_save (nothing written), or -1 after a message. */
int merger_save(struct merger *mg, struct state_writer *data);
/* global_load of data[0..len) saved with version, from the cache at path
 * (for messages). Returns 0, or -1 after a message. */
int merger_load(struct merger *mg, uint32_t version, const void *data, size_t len,
		const char *path);

#endif
