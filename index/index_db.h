/*
 * index/index_db.h: the SQLite index of tarballs, sessions and updates.
 *
 * The index is the only input of a run. Writers (bpass index) add one
 * tarball per transaction; readers (bpass run, sessions, show) may read while
 * a writer works (WAL mode).
 *
 * This header is the contract between the indexer and its readers; the
 * schema itself is documented in index_db.c and README.md.
 *
 * A struct index_db belongs to one thread and one process: never use it across
 * fork() (open the index again in the child). Readers memory-map up to 256 MiB
 * of the file and reuse one prepared statement for the update iterator.
 */
#ifndef INDEX_INDEX_DB_H
#define INDEX_INDEX_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "session_key.h"

struct index_db;

enum index_open_flags {
	INDEX_OPEN_READ = 0,          /* read-only; fails if the index does not exist */
	INDEX_OPEN_WRITE = 1 << 0,    /* create if missing; takes the writer lock */
	INDEX_OPEN_WAIT = 1 << 1,     /* with WRITE: wait for another writer instead of failing */
	INDEX_OPEN_SYNC_NORMAL = 1 << 2, /* with WRITE: synchronous=NORMAL instead of FULL
				       * (faster; the last commits may be lost on power
				       * loss, never corrupted) */
};

/* What index_db_open returns. */
enum index_db_status {
	INDEX_DB_OK = 0,
	INDEX_DB_ERROR = -1,   /* could not open it (a message was printed) */
	INDEX_DB_BUSY = -2,    /* INDEX_OPEN_WRITE without INDEX_OPEN_WAIT: another writer
				* holds the lock (a message naming its pid was printed;
				* the caller may suggest waiting) */
};

/* Opens the index at path into *db (NULL on failure; close with
 * index_db_close). Returns an enum index_db_status: INDEX_DB_OK, or
 * INDEX_DB_ERROR / INDEX_DB_BUSY after printing why. */
int index_db_open(struct index_db **db, const char *path, int flags);
void index_db_close(struct index_db *db);  /* NULL is a no-op */

/* One session as recorded by the indexer. */
struct index_session {
	int64_t id;                 /* the index's own row id for the session */
	char node_id[SESSION_NODE_ID_SIZE];
	char context[SESSION_CONTEXT_SIZE];
	int64_t session_id;
	uint32_t updates;           /* distinct sequence numbers */
	uint32_t duplicates;        /* second arrivals of a key, dropped (re-uploads and
				     * conflicting duplicates) */
	int32_t first_seq;
	int32_t last_seq;
	int32_t first_gap;          /* first missing seq after first_seq; -1 if none */
	uint64_t blob_bytes;        /* total size of its update blobs (for planning) */
	int64_t first_timestamp_s;  /* NOW_S of its lowest sequence number */
	int64_t last_timestamp_s;   /* NOW_S of its highest sequence number */
};

/* Calls cb for every session, ordered by (node_id, context, session_id).
 * cb returns 0 to go on, non-zero to stop (that value is returned). -1 on error. */
int index_db_sessions(struct index_db *db,
		      int (*cb)(void *arg, const struct index_session *s), void *arg);

/* What index_db_find_session returns. */
enum index_find_result {
	INDEX_FIND_ERROR = -1,   /* a message was printed */
	INDEX_NOT_FOUND = 0,
	INDEX_FOUND = 1,         /* *out is filled */
};
/* Looks up one session by key; a NULL key->context matches any context (the
 * first in context order). Returns an enum index_find_result. */
int index_db_find_session(struct index_db *db, const struct bpass_session_key *key,
			  struct index_session *out);

/* Iterates the updates of one session with sequence number > after_seq, in
 * sequence order. The blob is borrowed until the next call. */
struct index_update_iter;
int index_db_updates_begin(struct index_db *db, int64_t session_row_id, int32_t after_seq,
			   struct index_update_iter **it);
/* Returns 1 and fills seq/blob/len, 0 at the end, -1 on error. */
int index_db_updates_next(struct index_update_iter *it, int32_t *seq,
			  const void **blob, size_t *len);
void index_db_updates_end(struct index_update_iter *it);  /* NULL is a no-op */

/* ---------------------------------------------------------------------------
 * Writer side (bpass index). Everything below needs INDEX_OPEN_WRITE, except
 * index_db_tarballs and index_db_rejects, which also work read-only.
 *
 * Calling sequence, once per tarball:
 *   index_db_tarball_begin      BEGIN IMMEDIATE, (re)creates the tarball row
 *   index_db_add_update ...     one per parsed update
 *   index_db_add_reject ...     one per rejected member (or the whole tarball)
 *   index_db_tarball_commit     updates the touched sessions, COMMIT
 * or index_db_tarball_abort (ROLLBACK) on any error in between.
 */

/* Status of a tarball row (the tarballs.status column). */
enum index_tarball_status {
	INDEX_TARBALL_INDEXED = 0,    /* read to the end (some members may be rejected) */
	INDEX_TARBALL_PARTIAL = 1,    /* damaged: the updates read before the damage are kept */
	INDEX_TARBALL_REJECTED = 2,   /* nothing kept: wrong md5, or unreadable from the start */
};
/* "indexed", "partial" or "rejected". */
const char *index_tarball_status_name(int status);

/* One tarball row as index_db_tarballs hands it out (strings borrowed until cb returns). */
struct index_tarball {
	int64_t id;
	const char *name;             /* base name, e.g. "OW0123456789AB_2012-05-15_18-00-00.tar" */
	int64_t size;                 /* bytes, when it was last examined */
	int64_t mtime_ns;             /* st_mtim in ns, when it was last examined */
	int status;                   /* enum index_tarball_status */
	const char *reason;           /* "" unless partial or rejected */
	uint32_t members, updates, rejected_members, duplicates;
	uint32_t conflicts;           /* conflicting duplicates (index_db_add_update) */
	int64_t indexed_at;           /* unix seconds of the commit */
};

/* Calls cb for every tarball row, ordered by name. cb returns 0 to go on,
 * non-zero to stop (that value is returned). -1 on error. */
int index_db_tarballs(struct index_db *db,
		      int (*cb)(void *arg, const struct index_tarball *t), void *arg);

/* The kinds of rows of the rejects table. */
enum index_reject_kind {
	INDEX_REJECT_REJECTED = 0,    /* a member or tarball that could not be read */
	INDEX_REJECT_CONFLICT = 1,    /* a member whose update conflicts with a stored one */
};
/* "rejected" or "conflict". */
const char *index_reject_kind_name(int kind);

/* One rejection: a member, or a whole tarball (member NULL). */
struct index_reject {
	const char *tarball;          /* tarball base name */
	const char *member;           /* member name, or NULL for the whole tarball */
	uint32_t line;                /* 1-based line of the update text, 0 when not known */
	int kind;                     /* enum index_reject_kind */
	const char *reason;           /* e.g. "not gzip", "line 12 (section packet series): ..." */
};

/* Calls cb for every rejection, ordered by tarball name then as recorded. */
int index_db_rejects(struct index_db *db,
		     int (*cb)(void *arg, const struct index_reject *r), void *arg);

/* Starts the transaction of one tarball (BEGIN IMMEDIATE) and creates its row,
 * or resets the row of a tarball examined before (its old rejects are deleted;
 * updates already stored from it stay, and are not counted again).
 * md5 is the checked md5 from the name, or "" / NULL. Returns 0 or -1. */
int index_db_tarball_begin(struct index_db *db, const char *name, int64_t size,
			   int64_t mtime_ns, const char *md5);

/* The identity and the columns of one update to store (all borrowed). */
struct index_update_row {
	const char *node_id;          /* the key, from the update's content */
	const char *context;
	int64_t session_id;
	int32_t seq;
	int32_t version;
	int64_t timestamp_s;          /* NOW_S */
	uint32_t packets;             /* n_packets, for planning */
	const void *blob;             /* blob_codec_encode output */
	size_t blob_len;
	const char *member;           /* the member it was read from (stored with it), or NULL */
};
/* What index_db_add_update returns. */
enum index_add_result {
	INDEX_ADD_ERROR = -1,        /* a message was printed; abort the tarball */
	INDEX_ADD_DUPLICATE = 0,     /* the key was already stored: a re-upload, counted
				      * once in its session and the tarball */
	INDEX_ADD_STORED = 1,        /* stored now */
	INDEX_ADD_STORED_BEFORE = 2, /* stored by an earlier examination of this same
				      * tarball (since changed: a copy that completed): not a
				      * duplicate */
	INDEX_ADD_CONFLICT = 3,      /* the key was already stored with a different blob:
				      * nothing is stored (the first one stays); counted as
				      * a duplicate in its session and as a conflict in the
				      * tarball; the caller records it with
				      * index_db_add_conflict */
};
/* Adds one update to the current tarball. Returns an enum index_add_result. */
int index_db_add_update(struct index_db *db, const struct index_update_row *row);

/* After index_db_add_update returned 0, 2 or 3: the tarball and member the
 * stored update came from (member "" when not known: stored by a bpass that
 * did not record members). Borrowed until the next index_db_add_update. */
void index_db_stored_origin(struct index_db *db, const char **tarball, const char **member);

/* Records a rejection in the current tarball: member NULL rejects the whole
 * tarball, otherwise one member (counted in rejected_members). line 0: unknown. */
int index_db_add_reject(struct index_db *db, const char *member, uint32_t line,
			const char *reason);

/* Records a conflicting duplicate read from member of the current tarball
 * (a rejects row of kind "conflict", counted in conflicts). Returns 0 or -1. */
int index_db_add_conflict(struct index_db *db, const char *member, const char *reason);

/* Counts of the current tarball so far (valid between begin and commit). */
struct index_tarball_counts {
	uint32_t members;             /* set by the caller before commit */
	uint32_t updates;             /* INDEX_ADD_STORED or INDEX_ADD_STORED_BEFORE */
	uint32_t new_updates;         /* INDEX_ADD_STORED */
	uint32_t rejected_members;
	uint32_t duplicates;
	uint32_t conflicts;           /* conflicting duplicates */
};
struct index_tarball_counts *index_db_tarball_counts(struct index_db *db);

/* Writes the touched sessions (counts, first/last seq and timestamps, first
 * gap), sets the tarball's status, reason (NULL: none) and counts, and commits.
 * Returns 0, or -1 (the transaction is then rolled back). */
int index_db_tarball_commit(struct index_db *db, int status, const char *reason);

/* Rolls the current tarball back (and its whole group, see below). No-op when
 * none is open. */
void index_db_tarball_abort(struct index_db *db);

/*
 * Groups: several small tarballs in one transaction (one fsync instead of
 * one per tarball). Between index_db_group_begin (BEGIN IMMEDIATE) and
 * index_db_group_commit (COMMIT), each tarball still goes through
 * index_db_tarball_begin ... index_db_tarball_commit, which then neither
 * begin nor commit; nothing of the group is durable (or visible to readers)
 * before index_db_group_commit returns 0, and a failure anywhere, or a kill,
 * loses the whole group, never part of a tarball. Both return 0 or -1 (the
 * group is then rolled back).
 */
int index_db_group_begin(struct index_db *db);
int index_db_group_commit(struct index_db *db);

/*
 * Checkpoints off the writer's path: index_db_checkpointer_start starts a
 * thread with its own connection that runs a PASSIVE checkpoint whenever a
 * commit leaves 1000 pages or more in the WAL (SQLite's own threshold), so
 * the committing thread never copies the WAL back or waits for its fsync.
 * index_db_checkpointer_stop (also done by index_db_close) joins it and gives
 * checkpoints back to SQLite. Start returns 0 (when the thread cannot start,
 * a warning is printed and SQLite checkpoints as before). Writers only.
 */
int index_db_checkpointer_start(struct index_db *db);
void index_db_checkpointer_stop(struct index_db *db);
/* How many checkpoints the checkpointer ran so far. */
uint64_t index_db_checkpoints(const struct index_db *db);

/* The lock file's path for an index path (INDEX.lock), into out. */
void index_db_lock_path(const char *index_path, char *out, size_t size);

/* ---------------------------------------------------------------------------
 * Sharded indexes (`bpass index --shards N`): a folder INDEX holding the
 * manifest INDEX/shards (one line: "bpass index shards N") and N index
 * files INDEX/shard-K.sqlite, K = 0 .. N-1, each an ordinary index with all
 * of its guarantees, written by its own indexer. The tarballs of one node
 * all go to one shard: index_shard_of hashes the node id of the tarball's
 * name (the part before the first '_', as collect names them).
 *
 * index_db_open(READ) on such a folder opens every shard and reads them as
 * one index: index_db_sessions merges their listings in key order, session
 * ids carry their shard (row id * INDEX_SHARDS_MAX + K, so updates_begin
 * finds it), find_session asks each shard; index_db_tarballs and
 * index_db_rejects go through the shards in turn (each in name order).
 * Writing goes to each shard file directly.
 */
#define INDEX_SHARDS_MAX 256
#define INDEX_SHARDS_MANIFEST "shards"

/* The shard (0 .. shards - 1) of a tarball name: FNV-1a of its node id. */
uint32_t index_shard_of(const char *tarball_name, uint32_t shards);

/* The path of shard k of the sharded index dir, into out (emptied first). */
void index_db_shard_path(const char *dir, uint32_t k, struct buf *out);

/* Reads dir's manifest: returns the shard count (2 .. INDEX_SHARDS_MAX),
 * 0 when dir has no manifest (errno ENOENT: not a sharded index), or -1
 * after printing why (unreadable or malformed manifest). */
int index_db_shards_read(const char *dir);

/* Makes dir a sharded index of shards shards: creates the folder and the
 * manifest, or checks that an existing one says the same count. Returns 0,
 * or -1 after printing why. */
int index_db_shards_create(const char *dir, uint32_t shards);

#endif
