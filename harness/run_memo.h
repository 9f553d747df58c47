/*
 * harness/run_memo.h: the memo of a run that completed without a failure,
 * so that the next run can tell from the index alone that nothing is new
 * (`bpass run` then loads no session state, starts no worker and leaves the
 * tables as they are).
 *
 * The memo is STATE_DIR/<run-name>/.last-run, one line written atomically
 * (common/atomic_file.h) after the run's tables were published:
 *   bpass-last-run 1 FINGERPRINT SESSIONS GAPS
 * FINGERPRINT (16 hex digits) is a 64-bit FNV-1a hash of everything a run's
 * tables depend on that a run can see without reading state: the bpass
 * version; the table format (CSV or JSON Lines) and the results folder; each
 * selected processor in run order (name, version, hash of its option values,
 * as saved with session state); and each session of the plan in plan order
 * (key, distinct updates, first and last sequence numbers, first gap, bytes
 * of its updates), so that a new update, a filled gap, another selection
 * or filter, a version bump or another option value all change it; then,
 * for each of those sessions, its state file's size, modification time and
 * inode (stat(2) only, nothing is read), so that a state file damaged,
 * removed or replaced by hand makes the next run read the states. SESSIONS
 * and GAPS are the run's counts, for the summary of a run with nothing new.
 * A run that could change a state (any run that is not skipped) removes the
 * memo first; a memo that cannot be read is no memo.
 *
 * What the memo does not see: tables changed by hand, and a plugin rebuilt
 * with the same version or behaving otherwise (as for saved state: bump the
 * version, or use --recompute, which never skips).
 */
#ifndef HARNESS_RUN_MEMO_H
#define HARNESS_RUN_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"
#include "index_db.h"
#include "proc_options.h"

struct run_memo {
	uint64_t fingerprint;
	uint32_t sessions, gaps;
};

/* The fingerprint of a run's inputs (see above). out_dir NULL: the default
 * results folder. */
uint64_t run_memo_fingerprint(const struct index_session *const *plan, uint32_t n_plan,
			      const struct bpass_processor *const *procs, uint32_t n_procs,
			      const struct proc_options *options, const char *out_dir, bool json);

/* Folds the stat(2) of each planned session's state file in state folder dir
 * into fingerprint h. */
uint64_t run_memo_states(uint64_t h, const char *dir, const struct index_session *const *plan,
			 uint32_t n_plan);

/* Reads the memo of state folder dir. Returns 0, or -1 when there is none or
 * it cannot be read (nothing is printed). */
int run_memo_read(const char *dir, struct run_memo *m);
/* Writes it atomically. Returns 0, or -1 after a message. */
int run_memo_write(const char *dir, const struct run_memo *m, bool no_fsync);
/* Removes it. Returns 0, or -1 after a message (a memo that cannot be
 * removed would make the next run skip what this one changes). */
int run_memo_remove(const char *dir);

#endif
