/*
 * harness/proto.h: the messages between the parent of a run and its
 * workers, over a pair of pipes per worker.
 *
 * Framing: every message is an 8-byte header, then the payload:
 *   uint32 type     (little-endian; enum proto_type)
 *   uint32 length   (little-endian; payload bytes, at most PROTO_MAX_PAYLOAD)
 * Payloads are msgpack and name sessions by key, never by an index row id or
 * a file path, so a launcher could feed workers that run on other machines
 * (given the same index, state folder and options).
 *
 * PROTO_SESSION, parent -> worker: process one session.
 *   payload: [node_id: str, context: str, session_id: int]
 * PROTO_RESULT, worker -> parent: the outcome of that session.
 *   payload, three msgpack values:
 *   1. a map {"node_id", "context", "session_id", "status" (enum
 *      proto_status), "updates" (processed in this run), "last_seq" (lowest
 *      last processed seq of the selected processors, -1 none),
 *      "missing_seq" (the first missing seq when stopped at a gap, else -1),
 *      "recomputed" (processors started again from update 0), "saved" (the
 *      state file was rewritten), and when there is one, "reason" (str):
 *      why the session failed (PROTO_FAILED), or why its states are stale
 *      (a processor failed on it, or its state file could not be written:
 *      the container is then merged, but marked stale)};
 *   2. the session's state container (state/state_file.h) as bin, or nil
 *      when there is nothing to merge;
 *   3. the ephemeral states: an array of [processor name: str, data: bin];
 *   4. the session's figures for sessions.csv, computed by the worker while
 *      the states were live: an array of [processor name: str, [column: str,
 *      value: int, ...]], one per processor with session_figures that did
 *      not fail on the session (optional: a result may end after value 3);
 *   5. the processors the worker merged the session into its own partial
 *      global result (harness/worker.h): an array of names (optional: a
 *      result may end after value 4). Their parts of the container carry
 *      the entry's figures (version, last_seq, updates) but no data, and so
 *      do the parts of processors without merge whose figures were sent:
 *      the parent needs nothing more of them. When one of their merges
 *      failed, the map has "merge_error" (str): why; the session is stale.
 * PROTO_SESSION_APART, parent -> worker: as PROTO_SESSION, but the session
 *   is not merged into the worker's partials (a session recomputed for the
 *   processors that declined its saved parts: the others were merged from
 *   its saved file already).
 * PROTO_FLUSH, parent -> worker: no payload; the worker answers with
 * PROTO_PARTIAL, worker -> parent: its partial global results, which it then
 *   starts again empty: an array of [processor name: str, version: int,
 *   global_save's bytes: bin, or nil when the processor could not save it
 *   (the parent then merges that processor's sessions again from their
 *   state files)], one per processor it merges.
 * PROTO_QUIT, parent -> worker: no payload; the worker exits (so does it at
 *   the end of its input).
 * A worker that cannot start (index or plugins unreadable) exits with
 * status PROTO_EXIT_INIT and is not restarted.
 */
#ifndef HARNESS_PROTO_H
#define HARNESS_PROTO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "bpass.h"
#include "buf.h"
#include "state_reader.h"
#include "state_writer.h"

enum proto_type {
	PROTO_SESSION = 1,
	PROTO_RESULT = 2,
	PROTO_QUIT = 3,
	PROTO_FLUSH = 4,
	PROTO_PARTIAL = 5,
	PROTO_SESSION_APART = 6,
};

#define PROTO_MAX_PAYLOAD 0x7fffffffu
#define PROTO_EXIT_INIT 3

enum proto_status {
	PROTO_PROCESSED = 0,   /* processed up to the last indexed update */
	PROTO_UNCHANGED = 1,   /* nothing new; state as saved */
	PROTO_GAP = 2,         /* stopped at a missing update (state saved up to it) */
	PROTO_NO_FIRST = 3,    /* no update 0: not processed, nothing to merge */
	PROTO_FAILED = 4,      /* the framework failed (the index could not be read...):
			        * nothing to merge; "reason" says why */
};

/* One ephemeral state of a result (borrowed from the payload). */
struct proto_eph {
	const char *name;
	size_t name_len;
	const void *data;
	size_t len;
};

/* One figure of a result (borrowed from the payload). */
struct proto_fig {
	const char *column;
	size_t column_len;
	int64_t value;
};

/* The figures of one processor: fig[first .. first + n) of the result. */
struct proto_figs {
	const char *name;
	size_t name_len;
	uint32_t first, n;
};

/* A name in a message (borrowed from the payload). */
struct proto_name {
	const char *name;
	size_t len;
};

/* One partial global result of a PROTO_PARTIAL (borrowed from the payload). */
struct proto_part {
	const char *name;
	size_t name_len;
	uint32_t version;
	const void *data;             /* NULL: the worker could not save it */
	size_t len;
};

/* A decoded result (strings and bins borrowed from the payload). */
struct proto_result {
	struct buf node_id, context;  /* NUL-terminated copies */
	int64_t session_id;
	int status;                   /* enum proto_status */
	uint64_t updates;
	int32_t last_seq;
	int32_t missing_seq;
	uint32_t recomputed;
	bool saved;
	struct buf reason;            /* "" or why it failed or is stale (a NUL-terminated copy) */
	const void *state;            /* container, or NULL */
	size_t state_len;
	struct proto_eph *eph;
	uint32_t n_eph, cap_eph;
	struct proto_figs *figs;      /* value 4, per processor */
	uint32_t n_figs, cap_figs;
	struct proto_fig *fig;
	uint32_t n_fig, cap_fig;
	struct proto_name *merged;    /* value 5: merged by the worker */
	uint32_t n_merged, cap_merged;
	struct buf merge_error;       /* "" or why a merge in the worker failed */
	struct state_reader rd;
};

/* After a write of done bytes of the n_iov buffers at *iov: skips the
 * buffers written whole and moves into the one written in part, so the
 * next writev continues where this one stopped (used by every writev loop). */
void proto_iov_advance(struct iovec **iov, int *n_iov, size_t done);

/*
 * Writes one frame (header and payload) to fd, retrying on EINTR and short
 * writes. Returns 0, or -1 with errno set (EPIPE when the reader is gone).
 */
int proto_send(int fd, uint32_t type, const void *payload, size_t len);
/*
 * Reads one frame from fd into payload (reset first). Returns 1 with *type
 * set, 0 at the end of the input (between frames), -1 on a read error, a
 * frame cut short, or when interrupted by a signal while *stop is set
 * (stop may be NULL).
 */
int proto_recv(int fd, uint32_t *type, struct buf *payload, volatile sig_atomic_t *stop);

/* PROTO_SESSION payloads. */
void proto_session_encode(struct state_writer *sw, const struct bpass_session_key *key);
/* Decodes into node/context (NUL-terminated copies) and *session_id. Returns 0 or -1. */
int proto_session_decode(struct state_reader *rd, const void *p, size_t len, struct buf *node,
			 struct buf *context, int64_t *session_id);

/* PROTO_RESULT payloads: the head (values 1 and 2 and the header of 3),
 * then n_eph calls of proto_result_eph. r->reason is sent when not empty
 * (r must have been set up with proto_result_init). */
void proto_result_head(struct state_writer *sw, const struct bpass_session_key *key,
		       const struct proto_result *r, const void *state, size_t state_len,
		       uint32_t n_eph);
void proto_result_eph(struct state_writer *sw, const char *name, const void *data, size_t len);
/* Value 4: the header (n_procs processors), then per processor its name and
 * n figures (proto_result_figs), then n proto_result_fig. */
void proto_result_figs_head(struct state_writer *sw, uint32_t n_procs);
void proto_result_figs(struct state_writer *sw, const char *name, uint32_t n);
void proto_result_fig(struct state_writer *sw, const char *column, size_t column_len,
		      int64_t value);
/* Value 5: the names of the processors merged in the worker (written
 * after value 4, which must then be written too). */
void proto_result_merged(struct state_writer *sw, const char *const *names, uint32_t n);
/* True when the worker merged the session for processor name. */
bool proto_result_was_merged(const struct proto_result *r, const char *name);
/* The figures processor name sent in r, or NULL when it sent none. */
const struct proto_figs *proto_result_find_figs(const struct proto_result *r, const char *name);

void proto_result_init(struct proto_result *r);
void proto_result_release(struct proto_result *r);
/* Decodes a result payload (which must outlive r's borrowed fields).
 * Returns 0 or -1. */
int proto_result_decode(struct proto_result *r, const void *p, size_t len);

/* PROTO_PARTIAL payloads: the header (n partials), then n proto_partial_one
 * (data NULL: could not be saved). */
void proto_partial_head(struct state_writer *sw, uint32_t n);
void proto_partial_one(struct state_writer *sw, const char *name, uint32_t version,
		       const void *data, size_t len);
/* Decodes a PROTO_PARTIAL payload into *parts (an array the caller frees,
 * borrowing from the payload) and *n. Returns 0 or -1. */
int proto_partial_decode(struct state_reader *rd, const void *p, size_t len,
			 struct proto_part **parts, uint32_t *n);

#endif
