/*
 * harness/pool.h: the worker processes of a run: forked once, each pinned
 * to its own core (hwloc) right after fork, each with a pipe pair (commands
 * in, results out; harness/proto.h) and a slot in shared memory (mapped
 * MAP_SHARED before the first fork) where it records what it is running.
 *
 * The parent's SIGCHLD handler only sets a flag (pool_reap_needed); the
 * parent's loop notices a dead worker by its result pipe closing or by that
 * flag, and calls pool_reap, which describes how it ended:
 *   worker 1 (pid N) died on signal 11 while processor "crashy" was
 *   processing session NODE/CTX/SID
 * A worker is replaced with pool_spawn; one that exited with
 * PROTO_EXIT_INIT (it could not start) should not be.
 */
#ifndef HARNESS_POOL_H
#define HARNESS_POOL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "worker.h"

/* Sessions handed to one worker before its first result comes back, so that
 * it never waits for the parent between two sessions. */
#define POOL_DEPTH 2

struct pool_worker {
	pid_t pid;                    /* 0: not running */
	int to, from;                 /* our ends of its pipes, -1 when closed */
	uint32_t queue[POOL_DEPTH];   /* caller's ids of the sessions sent, oldest first */
	uint32_t queued;              /* how many */
	uint32_t number;              /* 1-based, for messages */
	uint32_t spawned;             /* times started */
};

/* Runs in the child after fork and pinning; returns its exit status. */
typedef int (*pool_child_fn)(void *arg, struct worker_slot *slot, int in, int out);

struct pool {
	uint32_t n;
	struct pool_worker *w;
	struct worker_slot *slots;    /* n slots in shared memory */
	void *topology;               /* hwloc_topology_t, or NULL when unavailable */
	uint32_t n_cores;
	pool_child_fn child;
	void *arg;
	const char *const *proc_names; /* run-order processor names, for messages (borrowed) */
	uint32_t n_proc_names;
	uint64_t maxrss_children_kb;  /* largest ru_maxrss of a reaped worker */
};

/* Number of cores (hwloc), at least 1. */
uint32_t pool_cores(void);

/* Prepares n workers (nothing is started). Returns 0, or -1 after a message. */
int pool_init(struct pool *p, uint32_t n, pool_child_fn child, void *arg);
/* Asks every worker to stop (closes its command pipe, SIGTERM when hard),
 * waits for all of them and frees everything. */
void pool_release(struct pool *p, bool hard);

/* Starts (or restarts) worker i. Returns 0, or -1 after a message. */
int pool_spawn(struct pool *p, uint32_t i);
/* Sends a frame to worker i. Returns 0, or -1 (the worker is gone). */
int pool_send(struct pool *p, uint32_t i, uint32_t type, const void *payload, size_t len);

/*
 * Waits for worker i to end (it closed its result pipe, or SIGCHLD said so)
 * and describes the end into why (reset first), naming the processor and the
 * session of its slot when it was busy. Returns its exit status, 128 + signal
 * when killed, or -1 when it is still running and block is false.
 */
int pool_reap(struct pool *p, uint32_t i, bool block, struct buf *why);

/* Set by the SIGCHLD handler; the loop clears it and reaps. */
extern volatile sig_atomic_t pool_reap_needed;

#endif
