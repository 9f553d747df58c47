/*
 * harness/worker.h: processing one session, the work of a worker process
 * (or of the parent itself with -w 0).
 *
 * Per session (processors.md "Terms" for the sequence rules):
 *  1. the saved state file is read; a damaged one is reported and the
 *     session recomputed, never half used;
 *  2. each selected processor resumes after its own last_seq when its
 *     saved part loads (load is told the saved version and may upgrade or
 *     decline it) and --recompute does not name it; otherwise it starts
 *     fresh from update 0, and so do its dependencies, so that a processor
 *     always sees its dependencies' states for the same update;
 *  3. the index's updates after the lowest start are read in sequence
 *     order; duplicates are skipped; at the first missing number the
 *     session stops (the gap is reported); a session that must start at 0
 *     but has no update 0 is not processed;
 *  4. each update goes to every processor, in run order, whose last_seq is
 *     below its number; then session_complete;
 *  5. when something changed, the state file is rewritten atomically:
 *     processors that advanced or were recomputed are saved again, the
 *     others (and processors not selected in this run) are copied byte for
 *     byte;
 *  6. each processor that did not fail gives the session's figures for
 *     sessions.csv (session_figures) here, while its state is live;
 *  7. each processor that can combine partial global results
 *     (global_combine, with global_new, global_save and global_load) and
 *     did not fail merges the session into the worker's own partial global
 *     result for it, while the state is live (not a stale session, nor one
 *     sent PROTO_SESSION_APART);
 *  8. the result message (harness/proto.h) carries the ephemeral states,
 *     the figures, the names of the processors merged here, and (with
 *     merge_partials; else the whole container) a summary of the container: every selected processor's entry, with its data
 *     only when the parent still has to load it (a processor with merge not
 *     merged here, or whose figures failed); a stale session's whole
 *     container instead.
 * The partials go to the parent when it asks (PROTO_FLUSH, answered with
 * PROTO_PARTIAL; worker_flush), and start again empty; a worker that dies
 * loses them, and the parent merges the sessions again from their state
 * files (harness/run.c).
 * A processor that fails on the session (a callback returns -1 or NULL) is
 * reported and stops there, and so do the processors that read its state;
 * the others go on. The failed ones keep their saved part as it was (none
 * when they had none), send no ephemeral state, and the result says why the
 * session is stale ("reason"), so the parent merges it as of that state. A
 * state file that cannot be written makes the session stale too: the
 * container is sent as computed.
 * Buffers, writers and the index statement are reused from one session to
 * the next; state is saved once per session, never per update.
 *
 * A shared-memory slot (struct worker_slot) says which session and which
 * processor is running, so the parent can name them if the process dies.
 *
 * A worker knows nothing of the command line: struct worker_options is all
 * it is told, the stop flag included.
 */
#ifndef HARNESS_WORKER_H
#define HARNESS_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"
#include "index_db.h"
#include "log.h"
#include "proc_ctx.h"
#include "proto.h"
#include "registry.h"
#include "session_key.h"
#include "state_file.h"
#include "update.h"

/* Bytes of a worker's start-up error in its slot (log.h's last error). */
#define WORKER_ERROR_SIZE LOG_LAST_ERROR_SIZE

/* What the worker is doing, in shared memory (written by the worker only).
 * The strings are always NUL-terminated: the slot is zeroed before the
 * worker starts and their last byte is never written but as NUL. */
struct worker_slot {
	volatile int32_t busy;        /* 1 while a session is being processed */
	volatile int32_t proc;        /* run-order index of the processor called, -1: none */
	volatile int32_t seq;         /* the update being processed, -1: none */
	char node_id[SESSION_NODE_ID_SIZE];  /* the session's key */
	char context[SESSION_CONTEXT_SIZE];
	volatile int64_t session_id;
	volatile int64_t started_ms;  /* time_monotonic() in ms when the session began */
	char error[WORKER_ERROR_SIZE];  /* why the worker could not start ("" when it did),
				       * written before it exits with PROTO_EXIT_INIT */
};

/* What a worker is told (every pointer borrowed for the worker's life). */
struct worker_options {
	const char *index_path;
	const char *state_dir;        /* the run's state folder: STATE_DIR/<run-name> */
	const char *select;           /* processors to run (registry_select), NULL: the default */
	char *const *plugins;         /* plugin paths, loaded as the parent loaded them */
	uint32_t n_plugins;
	const char *recompute;        /* NULL: none; "": every selected processor; else a list */
	const struct proc_options *options; /* processor options (-o); NULL: defaults */
	bool no_fsync;                /* state files renamed into place without fsync */
	bool merge_partials;          /* keep partial global results (step 7) and send
				       * the container's summary (step 8); false: the
				       * whole container, merged by the parent */
	volatile sig_atomic_t *stop;  /* set (by a signal): abandon the session; NULL: never */
};

struct worker_proc {
	const struct bpass_processor *p;
	uint32_t *deps;               /* run-order indexes of its dependencies */
	uint32_t n_deps;
	bool recompute;               /* named by --recompute */
	uint64_t options_hash;        /* proc_options_hash: saved with its state */
	/* Per session: */
	void *state, *eph;
	int32_t last_seq;             /* -1: nothing processed */
	uint64_t updates;             /* updates_processed */
	const struct state_entry *keep; /* saved entry to copy as is, or NULL */
	const struct state_entry *saved; /* its part of the saved file, or NULL */
	bool fresh;                   /* started from update 0 in this run */
	bool advanced;                /* processed at least one update in this run */
	bool failed;                  /* it (or a dependency) failed on this session */
	/* Merged in the worker: */
	void *partial;                /* its partial global result; NULL: not merged here */
	bool merged;                  /* the current session was merged into partial */
};

/* A figure a processor gave for the current session (session_figures, in
 * the worker), for the result message. */
struct worker_fig {
	uint32_t proc;                /* run-order index */
	size_t off, len;              /* the column name in figtext */
	int64_t value;
};

/* A processor's ephemeral state, saved for the result message. */
struct worker_eph {
	uint32_t proc;                /* run-order index */
	size_t off, len;              /* in ephbytes */
};

struct worker {
	struct worker_options opt;    /* a copy; what it points to is borrowed */
	struct index_db *db;
	struct registry reg;
	struct worker_proc *wp;       /* selected processors in run order */
	uint32_t n;
	struct update_buf ub;
	struct state_writer data;     /* one processor's save */
	struct state_writer file;     /* the container */
	struct state_writer msg;      /* the result payload */
	struct state_file sf;         /* the saved container, parsed */
	struct state_reader rd;       /* for load callbacks */
	struct buf saved;             /* the saved file's bytes */
	struct buf path, err;
	struct worker_slot *slot;     /* shared slot, or a private one */
	struct worker_slot own_slot;
	struct proc_ctx pc;           /* the context of callbacks */
	const struct bpass_processor **procs; /* wp[i].p, for the init/exit hooks */
	bool hooked;                  /* proc_hooks_init succeeded */
	const struct bpass_session_key *key;
	uint32_t cur;                 /* processor being called */
	struct buf ephbytes;          /* the saved ephemeral states of the session */
	struct worker_eph *eph_parts;
	uint32_t n_eph_parts, cap_eph_parts;
	struct buf ktext;             /* the session's name, for messages */
	struct worker_fig *figs;      /* the session's figures, in the order given */
	uint32_t n_figs, cap_figs;
	uint8_t *fig_ok;              /* per processor: its figures are in figs[] */
	struct buf figtext;
	struct bpass_figures fig;
	uint32_t fig_proc;            /* the processor giving figures */
	struct proto_result res;      /* the outcome of the current session */
	struct state_writer sum;      /* the container's summary for the result */
	struct state_file sum_sf;     /* the container, parsed for the summary */
	const char **merged_names;    /* names of the processors merged here, per session */
	bool apart;                   /* the session is not merged into the partials */
	bool dir_dirty;               /* state files renamed since the last folder fsync */
	double dir_synced_at;
};

/*
 * Opens the index, loads the processors (built-ins and plugins, as the
 * parent did) and resolves the selection. o is copied (what it points to is
 * borrowed); slot may be NULL (a private one is used). Returns 0, or -1
 * after a message; worker_release is needed either way.
 */
int worker_init(struct worker *w, const struct worker_options *o, struct worker_slot *slot);
/* Syncs the state folder if needed and frees everything. */
void worker_release(struct worker *w);

/*
 * Processes one session. On return *payload and *len hold the PROTO_RESULT
 * payload (borrowed until the next call); a session whose updates cannot be
 * read from the index is PROTO_FAILED with the reason (SQLite's error), and
 * the worker goes on with the next. Returns 0, 1 when abandoned because
 * *stop was set (nothing saved, no payload), or -1 when the result could not
 * be encoded.
 */
int worker_session(struct worker *w, const struct bpass_session_key *key, const void **payload,
		   size_t *len);
/* The same for a session not merged into the partials (PROTO_SESSION_APART). */
int worker_session_apart(struct worker *w, const struct bpass_session_key *key,
			 const void **payload, size_t *len);

/* True when processor p can be merged in a worker (global_combine, with
 * merge, global_new, global_save and global_load). */
bool worker_can_combine(const struct bpass_processor *p);

/*
 * The PROTO_PARTIAL payload of the worker's partial global results (borrowed
 * until the next call; an empty array when it keeps none), after
 * which they start again empty. A processor whose global_save fails, or
 * whose new partial cannot be created, is sent as nil (and, for the
 * latter, is no longer merged here). Returns 0 or -1 (reported: the payload
 * could not be encoded).
 */
int worker_flush(struct worker *w, const void **payload, size_t *len);

/* The loop of a worker process: reads PROTO_SESSION frames from in and
 * answers each with a PROTO_RESULT on out (PROTO_FLUSH with a PROTO_PARTIAL),
 * until the end of in, PROTO_QUIT or *stop. Returns the exit status: 0, 1 after a failure, PROTO_EXIT_INIT
 * when worker_init failed (its message is then also in slot->error). */
int worker_main(const struct worker_options *o, struct worker_slot *slot, int in, int out);

#endif
