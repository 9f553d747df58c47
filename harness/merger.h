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
 * In this process (bpass results, bpass run -w 0), the calling sequence:
 *   merger_init(&mg, p)                 global_new
 *   merger_session(&mg, row, ...)       per session with a part
 *   merger_take_problems(&mg, ...)      whenever the caller wants them
 *   merger_complete(&mg)                global_complete
 *   merger_write(&mg, res)              write_results
 *   merger_save(&mg, &writer)           global_save (for --cache-global)
 *   merger_release(&mg)                 global_free
 * or merger_finish instead of the last three but merger_release.
 *
 * Isolated (bpass run with workers), merger_start forks a process that
 * holds the processor's global result and runs every one of its callbacks,
 * so that a plugin that crashes or hangs in them costs its own tables only,
 * never the run. The parent then calls
 *   merger_start(&mg, p, &options)      the process calls global_new
 *   merger_session(&mg, row, ...)       sent to the process (no answer)
 *   merger_sync(&mg)                    its problems so far, then
 *   merger_take_problems(&mg, ...)
 *   merger_finish(&mg, dir, json, save) global_complete, write_results into
 *                                       dir, global_save; its figures and
 *                                       problems come back; the process ends
 *   merger_release(&mg)                 kills it if it is still there
 * A process that dies, or takes longer than the options' time limit to
 * take a session or to finish, is killed and reported:
 *   processor "x" died on signal 11 while merging session K: its tables
 *   are left out
 * and the merger is dead (mg->dead): nothing more is sent to it.
 *
 * The messages (framed as in harness/proto.h, msgpack payloads):
 *   MERGER_MSG_SESSION  [row, node_id, context, session_id, version, data:
 *                        bin, ephemeral state: bin or nil(, figures: bool,
 *                        false for merger_again)]
 *   MERGER_MSG_PARTIAL  [version, data: bin] (merger_partial)
 *   MERGER_MSG_FIGURES  [row, [column, value, ...]] (merger_figures)
 *   MERGER_MSG_REPORT   no payload; answered by
 *   MERGER_MSG_PROBLEMS [[row, kind, why]...]
 *   MERGER_MSG_FINISH   [folder, json: bool, save: bool]; answered by
 *   MERGER_MSG_DONE     [tables written: bool, [column names in output
 *                        order], [row, column, value, ...], problems as
 *                        above, the global_save bytes: bin or nil]
 */
#ifndef HARNESS_MERGER_H
#define HARNESS_MERGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpass.h"
#include "buf.h"
#include "proc_ctx.h"
#include "proto.h"
#include "session_key.h"
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

/* What an isolated merger's process is doing, in shared memory (written by
 * that process; the strings are always NUL-terminated). */
struct merger_slot {
	volatile int32_t phase;       /* enum merger_phase */
	char node_id[SESSION_NODE_ID_SIZE];  /* the session being merged */
	char context[SESSION_CONTEXT_SIZE];
	volatile int64_t session_id;
};

enum merger_phase {
	MERGER_IDLE = 0,
	MERGER_MERGING = 1,           /* a session (the slot's key) */
	MERGER_COMPLETING = 2,
	MERGER_WRITING = 3,
	MERGER_SAVING = 4,
};

enum merger_msg {
	MERGER_MSG_SESSION = 16,
	MERGER_MSG_REPORT = 17,
	MERGER_MSG_PROBLEMS = 18,
	MERGER_MSG_FINISH = 19,
	MERGER_MSG_DONE = 20,
	MERGER_MSG_FIGURES = 21,
	MERGER_MSG_PARTIAL = 22,
};

/* How an isolated merger runs. */
struct merger_options {
	uint32_t timeout_s;           /* longest wait for the process (0: none) */
	const int *close_fds;         /* descriptors its process closes at once (other
				       * mergers' pipes, the run's lock; -1 ignored) */
	uint32_t n_close_fds;
	const struct proc_options *options; /* processor options (-o), borrowed; NULL: defaults */
};

struct merger {
	const struct bpass_processor *p;
	void *global;                 /* NULL when the processor has no global_new */
	bool dead;                    /* its global result is lost or incomplete: no
				       * tables, nothing more is given to it */
	struct buf saved;             /* global_save's bytes after merger_finish(save) */
	bool has_saved;
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
	struct proc_ctx pc;           /* the context of callbacks */
	bool hooked;                  /* proc_hooks_init succeeded for p */
	/* Isolated: */
	pid_t pid;                    /* its process; 0: none (in this process, or gone) */
	int to, from;                 /* our ends of its pipes, -1 when closed */
	struct merger_slot *slot;     /* shared with it */
	uint32_t timeout_s;
	bool asked;                   /* a report was asked for and not read yet */
	int finished;                 /* in this process: merger_finish_start's outcome,
				       * 1 ok, -1 failed, 0 not yet */
	struct state_writer msg;      /* the payload being sent (mg must not move) */
	struct buf frame;             /* a frame received */
};

/* True when processor p has a side in the global result at all; then
 * merger_wants_sessions says whether it is given the sessions (merge or
 * session_figures). */
bool merger_needed(const struct bpass_processor *p);
bool merger_wants_sessions(const struct bpass_processor *p);

/* Creates p's global state in this process, after p's init hook (options:
 * the -o settings, borrowed, NULL for the defaults). Returns 0, or -1 after
 * a message (merger_release is still needed). */
int merger_init(struct merger *mg, const struct bpass_processor *p,
		const struct proc_options *options);
/* Forks p's process, which dies with its parent and calls global_new (a
 * failure there shows later, as a dead merger). o is copied. Returns 0, or
 * -1 after a message when the process cannot be started (merger_release is
 * still needed). */
int merger_start(struct merger *mg, const struct bpass_processor *p,
		 const struct merger_options *o);
/* In another child of the same parent (a worker): closes the parent's ends
 * of an isolated merger's pipes, without waiting for it. */
void merger_close_fds(struct merger *mg);
/* Frees everything; an isolated merger's process is killed if still there. */
void merger_release(struct merger *mg);

/*
 * Merges one session: e is the processor's part of the session's container
 * (a session whose part is missing is not given), eph/eph_len its ephemeral
 * state (eph NULL: none). row is the caller's number for the session, given
 * back in figures and problems. Problems are recorded, not returned;
 * isolated, the session is sent (and a process that is gone is reported,
 * the merger dead).
 */
void merger_session(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
		    const struct state_entry *e, const void *eph, size_t eph_len);

/*
 * Merges one session again, without its figures (they were taken before):
 * a session a worker had merged into its partial global result, lost with
 * the worker. Nothing for a processor without merge.
 */
void merger_again(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
		  const struct state_entry *e, const void *eph, size_t eph_len);

/*
 * Combines a worker's partial global result (global_save's bytes, data[0..
 * len), of processor version) into the global result: global_new,
 * global_load, global_combine, global_free. A partial that cannot be loaded
 * or combined is reported and costs the processor its tables (in this
 * process the merger is dead at once; isolated, at merger_finish).
 */
void merger_partial(struct merger *mg, uint32_t version, const void *data, size_t len);

/*
 * Takes one session's figures as a worker computed them (its
 * session_figures, harness/worker.h), instead of merger_session, for a
 * processor without merge: nothing is loaded; the figures are recorded as
 * if given here, in the same order.
 */
void merger_figures(struct merger *mg, uint32_t row, const struct proto_figs *f,
		    const struct proto_fig *fig);

/* Moves the problems recorded so far to the caller: *out becomes an array
 * of *n problems (the caller frees each why and the array; NULL when 0). */
void merger_take_problems(struct merger *mg, struct merger_problem **out, uint32_t *n);
/* Isolated: fetches the problems its process recorded so far (then
 * merger_take_problems). Nothing to do in this process. Returns 0, or -1
 * when the merger is dead (reported). merger_ask only asks, so that many
 * processes answer at once; merger_sync then reads the answer. */
int merger_ask(struct merger *mg);
int merger_sync(struct merger *mg);

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

/*
 * global_complete, write_results into the results folder dir (harness/
 * results.h; JSON Lines when json) and, when save, global_save into
 * mg->saved; isolated, in its process, whose figures and problems then come
 * back here, and which ends. Returns 0 when its tables are written, or -1
 * after a message (the merger is then dead, and what it wrote into dir must
 * not be used). The figures and problems are here either way, unless the
 * process died.
 */
int merger_finish(struct merger *mg, const char *dir, bool json, bool save);
/* merger_finish in two halves, so that many processes finish at once: the
 * request (in this process: all the work), then the answer. Each returns 0
 * or -1 (reported). */
int merger_finish_start(struct merger *mg, const char *dir, bool json, bool save);
int merger_finish_wait(struct merger *mg);

#endif
