/*
 * harness/run.h: one run of the processors over the indexed sessions
 * (`bpass run`).
 *
 * The parent opens the index read-only, lists and filters the sessions and
 * plans them largest first. A session whose saved state is complete and
 * current for every selected processor (nothing new indexed, same versions,
 * no --recompute) is merged by the parent straight from its state file.
 * The others are handed out, one at a time, to workers forked once for the
 * run (harness/pool.h), each pinned to its own core; a worker processes a
 * session (harness/worker.h), saves its state file atomically and sends the
 * session's states back (harness/proto.h); the parent merges them into the
 * global result as they arrive (harness/merge.h), each processor's in a
 * process of its own (harness/merger.h). At the end every processor writes
 * its tables and the framework writes sessions.csv, into a staging folder,
 * and then all of them are moved into place (harness/results.h).
 *
 * What a failure costs: a session that fails (a processor's error or crash,
 * a time limit, an unreadable index page, a state file that cannot be
 * written) stays in the results as of its last good state, marked stale in
 * sessions.csv; a saved part that a processor declines is recomputed; a
 * processor that fails in its global callbacks costs its own tables. The
 * run then exits 1, after listing the failures.
 *
 * State lives in STATE_DIR/<run-name>/, one file per session
 * (state/state_file.h), locked against concurrent runs with
 * STATE_DIR/<run-name>/.lock. Workers merge the sessions they process into
 * partial global results of their own, which the parent's mergers combine
 * at the end (harness/worker.h, harness/merge.h); a worker that dies costs
 * its partials only: its sessions are merged again from their state files.
 *
 * A run that completes without a failure leaves a memo (harness/run_memo.h):
 * the next run with nothing new finds that out from the index and stat(2)
 * of the state files, and does nothing ("run: nothing new ..."). Every run
 * that gets through its sessions writes STATE_DIR/<run-name>/
 * session_status.csv: what became of every session of the index.
 *
 * With --verify, once the tables are published, sessions are recomputed
 * from update 0 by a second run into a scratch state folder and compared
 * with the run's (harness/verify.h); a difference makes the exit status 1.
 */
#ifndef HARNESS_RUN_H
#define HARNESS_RUN_H

#include <stdbool.h>
#include <stdint.h>

/* The default of struct run_options.session_timeout_s: an hour. */
#define RUN_SESSION_TIMEOUT 3600

struct run_options {
	const char *index_path;
	const char *state_root;       /* STATE_DIR */
	const char *run_name;         /* "default" when NULL */
	const char *select;           /* -p list, or NULL for the default selection */
	char *const *plugins;         /* --plugin paths */
	uint32_t n_plugins;
	const char *recompute;        /* NULL: none; "": every selected processor; else a list */
	const struct proc_options *options; /* -o settings (checked); NULL: defaults */
	int workers;                  /* -1: one per core; 0: in this process */
	const char *include_nodes;    /* comma-separated node ids, or NULL */
	const char *exclude_nodes;    /* comma-separated; exclusion wins */
	int64_t since_us;             /* sessions starting at or after (INT64_MIN: any) */
	int64_t until_us;             /* sessions starting before; INT64_MAX: any (that
				       * session id included) */
	const char *out_dir;          /* NULL: STATE_DIR/<run-name>/results; a folder,
				       * FILE.sqlite or a postgresql:// URL
				       * (harness/sink.h) */
	bool json;                    /* JSON Lines tables instead of CSV */
	const char *cache_global;     /* file to save the completed global result to, or NULL */
	bool stats;                   /* print peak memory of the parent and workers (even
				       * when log_is_quiet) */
	bool no_fsync;                /* state files renamed into place without fsync */
	uint32_t session_timeout_s;   /* a worker busy with one session longer is killed
				       * and the session fails; 0: no limit (with -w 0
				       * there is none either) */
	char *const *argv;            /* the command line, for the provenance */
	uint32_t argc;
	uint32_t verify;              /* --verify: 0 none; else recompute this many sessions
				       * from update 0 after the run and compare
				       * (VERIFY_ALL: every one; harness/verify.h) */
};

/* Runs. Returns the exit status: 0, or 1 when something failed (sessions,
 * results, or the run was interrupted by SIGINT or SIGTERM), after printing
 * why. */
int harness_run(const struct run_options *o);

#endif
