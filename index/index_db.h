/*
 * index/index_db.h: the SQLite index of tarballs, sessions and updates.
 *
 * The index is the only input of a run. Writers (bpass index) add one
 * tarball per transaction; readers (bpass run, sessions, show) may read while
 * a writer works (WAL mode).
 *
 * This header is the contract between the indexer and its readers; the
 * schema itself is documented in index_db.c and README.md.
 */
#ifndef INDEX_INDEX_DB_H
#define INDEX_INDEX_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct index_db;

enum index_open_flags {
	INDEX_OPEN_READ = 0,          /* read-only; fails if the index does not exist */
	INDEX_OPEN_WRITE = 1 << 0,    /* create if missing; takes the writer lock */
	INDEX_OPEN_WAIT = 1 << 1,     /* with WRITE: wait for another writer instead of failing */
};

/* Opens the index at path. Returns 0, or -1 after printing why. */
int index_db_open(struct index_db **db, const char *path, int flags);
void index_db_close(struct index_db *db);  /* NULL is a no-op */

/* One session as recorded by the indexer. */
struct index_session {
	int64_t id;                 /* the index's own row id for the session */
	char node_id[72];
	char context[48];
	int64_t session_id;
	uint32_t updates;           /* distinct sequence numbers */
	uint32_t duplicates;        /* re-uploads seen and dropped */
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

/* Looks up one session by key. Returns 1 found, 0 not found, -1 error. */
int index_db_find_session(struct index_db *db, const char *node_id, int64_t session_id,
			  const char *context /* NULL: any */, struct index_session *out);

/* Iterates the updates of one session with sequence number > after_seq, in
 * sequence order. The blob is borrowed until the next call. */
struct index_update_iter;
int index_db_updates_begin(struct index_db *db, int64_t session_row_id, int32_t after_seq,
			   struct index_update_iter **it);
/* Returns 1 and fills seq/blob/len, 0 at the end, -1 on error. */
int index_db_updates_next(struct index_update_iter *it, int32_t *seq,
			  const void **blob, size_t *len);
void index_db_updates_end(struct index_update_iter *it);  /* NULL is a no-op */

#endif
