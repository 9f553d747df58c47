/*
 * harness/pool.h: the worker processes of a run: forked once, each pinned
 * to its own core (hwloc) right after fork, each with a pipe pair (commands
 * in, results out; harness/proto.h) and a slot in shared memory (mapped
 * MAP_SHARED before the first fork) where it records what it is running.
 * A worker dies with its parent (PR_SET_PDEATHSIG SIGKILL, set before
 * anything else), so a killed run never leaves one behind, busy in a
 * plugin and holding the run's lock.
 *
 * The pool keeps, per worker, the queue of sessions sent to it and not yet
 * answered (up to POOL_DEPTH, oldest first; a worker answers in the order
 * it was sent). Calling sequence:
 *   pool_init(&p, &options)             nothing is started yet
 *   pool_spawn(&p, i)                   for each worker
 *   loop:
 *     pool_send_session(&p, i, id, key) when pool_queued(&p, i) < POOL_DEPTH
 *     poll pool_result_fd(&p, i) of every running worker; when readable:
 *     pool_recv_result(&p, i, ...)      1: the result of session id
 *                                       0: the worker ended: pool_reap it,
 *                                          maybe pool_spawn it again
 *   pool_release(&p, hard)
 * A dead worker shows as its result pipe closing (a SIGCHLD handler of the
 * caller's, installed without SA_RESTART, cuts poll short). pool_reap
 * describes how it ended, naming the processor and the session of its slot:
 *   worker 1 (pid N) died on signal 11 while processor "crashy" was
 *   processing session NODE/CTX/SID (update 3)
 * and says which queued session it died on and which ones it had not
 * started (to be sent to another worker). A worker that exited with
 * PROTO_EXIT_INIT (it could not start) should not be spawned again; the
 * description then gives the error it left in its slot:
 *   worker 2 (pid N) could not start: could not open index "x": ...
 *
 * The pool knows nothing of runs: what a worker does is the child function
 * of its options, what stops it a flag of the caller's.
 */
#ifndef HARNESS_POOL_H
#define HARNESS_POOL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "session_key.h"
#include "state_writer.h"
#include "worker.h"

/* Sessions handed to one worker before its first result comes back, so that
 * it never waits for the parent between two sessions. */
#define POOL_DEPTH 2

/* Runs in the child after fork and pinning; returns its exit status. */
typedef int (*pool_child_fn)(void *arg, struct worker_slot *slot, int in, int out);

struct pool_options {
	uint32_t workers;             /* how many worker processes (at least 1) */
	pool_child_fn child;          /* what each of them runs */
	void *arg;                    /* handed to child */
	/* Set to 1 by SIGINT and SIGTERM in a worker (in its own copy, after
	 * fork), for child to stop at the next update; NULL: those signals
	 * keep their default action (the worker dies). */
	volatile sig_atomic_t *stop;
	const char *const *proc_names; /* run-order processor names, for messages (borrowed) */
	uint32_t n_proc_names;
};

/* A session sent to a worker and not answered yet. */
struct pool_session {
	uint32_t id;                  /* the caller's */
	struct bpass_session_key key; /* borrowed until answered or reaped */
};

/* One worker. Read-only outside pool.c: use the functions below. */
struct pool_worker {
	pid_t pid;                    /* 0: not running */
	int to, from;                 /* our ends of its pipes, -1 when closed */
	struct pool_session queue[POOL_DEPTH]; /* sent, not answered, oldest first */
	uint32_t queued;              /* how many */
	uint32_t number;              /* 1-based, for messages */
	uint32_t spawned;             /* times started */
};

/* What was lost with a worker that ended (pool_reap). */
struct pool_lost {
	int64_t failed;               /* id of the session it died processing, -1: none */
	uint32_t resend[POOL_DEPTH];  /* ids of the sessions it had not started, oldest first */
	uint32_t n_resend;
};

/* The pool. It must not move after pool_init (it holds a writer). */
struct pool {
	uint32_t n;                   /* workers */
	struct pool_worker *w;
	struct worker_slot *slots;    /* n slots in shared memory */
	void *topology;               /* hwloc_topology_t, or NULL when unavailable */
	uint32_t n_cores;
	struct pool_options opt;
	struct state_writer sw;       /* PROTO_SESSION payloads */
	uint64_t maxrss_children_kb;  /* largest ru_maxrss of a reaped worker (kept by
				       * pool_release) */
	double cpu_children_s;        /* CPU seconds of the reaped workers (kept too) */
};

/* Number of cores (hwloc), at least 1. */
uint32_t pool_cores(void);

/* Prepares o->workers workers (nothing is started); o is copied, the names
 * it points to are borrowed. Returns 0, or -1 after a message (pool_release
 * is still needed). */
int pool_init(struct pool *p, const struct pool_options *o);
/* Asks every worker to stop (closes its command pipe; when hard, SIGTERM,
 * then SIGKILL after 5 s), waits for all of them and frees everything but
 * maxrss_children_kb (the peak memory of every worker, now all reaped) and
 * cpu_children_s. */
void pool_release(struct pool *p, bool hard);

/* Starts (or restarts) worker i with an empty queue. Returns 0, or -1 after
 * a message. */
int pool_spawn(struct pool *p, uint32_t i);

/*
 * Sends session key, the caller's id, to worker i (PROTO_SESSION) and queues
 * it. key's strings must stay valid until the session is answered or the
 * worker reaped. Returns 0, or -1 when the worker is gone (reap it) or, with
 * errno ENOBUFS, when its queue is full.
 */
int pool_send_session(struct pool *p, uint32_t i, uint32_t id,
		      const struct bpass_session_key *key);

/* The same, with the frame type given: PROTO_SESSION, or
 * PROTO_SESSION_APART (not merged into the worker's partials). */
int pool_send_session_as(struct pool *p, uint32_t i, uint32_t id,
			 const struct bpass_session_key *key, uint32_t type);

/* Asks worker i for its partial global results (PROTO_FLUSH): it answers
 * after the sessions queued, with a PROTO_PARTIAL. Returns 0, or -1 when
 * the worker is gone (reap it). */
int pool_send_flush(struct pool *p, uint32_t i);

/*
 * Reads one message from worker i (call when pool_result_fd polls readable).
 * Returns 1 when it is the result of the oldest session queued, whose id is
 * put in *id and whose payload is in payload (reset first); 2 when it is a
 * PROTO_PARTIAL (its queue empty; the payload in payload); 0 when the
 * worker ended or sent something else: reap it.
 */
int pool_recv_result(struct pool *p, uint32_t i, struct buf *payload, uint32_t *id);

/*
 * Waits for worker i to end (it closed its result pipe, or SIGCHLD said so)
 * and describes the end into why (reset first), naming the processor and the
 * session of its slot when it was busy. Fills lost (may be NULL) with its
 * queue: the session it was processing and the others, and empties the
 * queue. Returns its exit status, 128 + signal when killed, or -1 when it is
 * still running and block is false (then nothing changes).
 */
int pool_reap(struct pool *p, uint32_t i, bool block, struct buf *why, struct pool_lost *lost);

/* Kills worker i with SIGKILL (it is then reaped as any worker that ended:
 * its result pipe closes). Returns 0, or -1 when it is not running. */
int pool_kill(struct pool *p, uint32_t i);

bool pool_running(const struct pool *p, uint32_t i);
uint32_t pool_queued(const struct pool *p, uint32_t i);   /* sessions sent, not answered */
int pool_result_fd(const struct pool *p, uint32_t i);     /* -1 when not running */
uint32_t pool_spawned(const struct pool *p, uint32_t i);  /* times started */
uint32_t pool_live(const struct pool *p);                 /* workers running */
uint32_t pool_in_flight(const struct pool *p);            /* sessions queued, all workers */

#endif
