/*
 * index/index_db.c: the SQLite index: opening it (schema, WAL, durability,
 * the writer lock), the writer used by bpass index (one transaction per
 * tarball, sessions summarised in memory and written once per tarball) and
 * the readers used by bpass run, sessions, rejects and show.
 *
 * Schema (PRAGMA user_version = 2; a version 1 index is upgraded by the first
 * writer that opens it, readers ask for that: see upgrade_sql):
 *
 *   tarballs   one row per tarball file ever examined.
 *     id INTEGER PRIMARY KEY, name TEXT UNIQUE (base name), size INTEGER and
 *     mtime_ns INTEGER (the file when it was examined: a changed file is
 *     examined again, whatever its status), md5 TEXT (the md5 from the
 *     name that was checked, or ''), status TEXT 'indexed' | 'partial' |
 *     'rejected', reason TEXT (NULL when indexed), members, updates,
 *     rejected_members, duplicates INTEGER, indexed_at INTEGER (unix seconds),
 *     conflicts INTEGER (conflicting duplicates, see updates).
 *       indexed:  read to the end; some members may have been rejected.
 *       partial:  the archive is damaged (truncated, unreadable after some
 *                 point); the updates read before the damage are kept.
 *       rejected: nothing kept: the md5 in the name does not match, or the
 *                 archive is unreadable before its first good member.
 *   rejects    one row per rejected member, or per rejected/partial tarball,
 *     and one per conflicting duplicate.
 *     id INTEGER PRIMARY KEY, tarball INTEGER (tarballs.id), member TEXT (NULL
 *     for the whole tarball), line INTEGER (NULL when unknown), reason TEXT,
 *     kind TEXT 'rejected' | 'conflict'.
 *   sessions   one row per (node_id, context, session_id), taken from the
 *     updates' content, never from file names.
 *     id INTEGER PRIMARY KEY, node_id TEXT, context TEXT (40 hex, or
 *     UNANONYMIZED), session_id INTEGER, updates (distinct sequence numbers),
 *     duplicates (second arrivals of a key dropped, conflicting ones
 *     included), first_seq, last_seq, first_gap (the first missing sequence
 *     number after first_seq, NULL when none),
 *     blob_bytes, first_timestamp and last_timestamp (NOW_S of first_seq and
 *     last_seq); UNIQUE (node_id, context, session_id).
 *   updates    one row per distinct update.
 *     id INTEGER PRIMARY KEY, session INTEGER (sessions.id), seq INTEGER,
 *     tarball INTEGER (tarballs.id where it was first seen), version,
 *     timestamp (NOW_S), packets INTEGER, blob BLOB (blob.h), member TEXT
 *     (the member it was read from; NULL in rows of a version 1 index);
 *     UNIQUE (session, seq): INSERT OR IGNORE stores a key once, and
 *     sqlite3_changes() tells a second arrival. One whose blob equals the
 *     stored one is a duplicate (a re-upload); one whose blob differs is a
 *     conflicting duplicate: the stored one is kept and the other recorded.
 *
 * Settings: WAL journal (readers work while bpass index writes), and
 * synchronous=FULL by default: every tarball's COMMIT fsyncs the WAL, so a
 * committed tarball survives a power loss. With INDEX_OPEN_SYNC_NORMAL the WAL
 * is only synced at checkpoints: still never corrupt, but the last tarballs
 * committed before a power loss may be lost (the next run indexes them again).
 *
 * The writer lock: an exclusive lock file (lock_file.h) on INDEX.lock, held
 * from open to close; the file holds the pid of the holder for the message of
 * the next one. A second writer gets INDEX_DB_BUSY, or waits with
 * INDEX_OPEN_WAIT.
 *
 * A sharded index (index_db.h) is a folder of such files and a manifest;
 * opened for reading, a struct index_db holds one read-only index_db per
 * shard and the reader functions below go through them (the last section).
 */
#include "index_db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "lock_file.h"
#include "log.h"

#define INDEX_SCHEMA_VERSION 2

static const char schema_sql[] =
	"CREATE TABLE tarballs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  size INTEGER NOT NULL,\n"
	"  mtime_ns INTEGER NOT NULL,\n"
	"  md5 TEXT NOT NULL DEFAULT '',\n"
	"  status TEXT NOT NULL CHECK (status IN ('indexed', 'partial', 'rejected')),\n"
	"  reason TEXT,\n"
	"  members INTEGER NOT NULL DEFAULT 0,\n"
	"  updates INTEGER NOT NULL DEFAULT 0,\n"
	"  rejected_members INTEGER NOT NULL DEFAULT 0,\n"
	"  duplicates INTEGER NOT NULL DEFAULT 0,\n"
	"  indexed_at INTEGER NOT NULL,\n"
	"  conflicts INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE TABLE rejects (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  tarball INTEGER NOT NULL REFERENCES tarballs(id),\n"
	"  member TEXT,\n"
	"  line INTEGER,\n"
	"  reason TEXT NOT NULL,\n"
	"  kind TEXT NOT NULL DEFAULT 'rejected' CHECK (kind IN ('rejected', 'conflict'))\n"
	");\n"
	"CREATE INDEX rejects_by_tarball ON rejects(tarball);\n"
	"CREATE TABLE sessions (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  node_id TEXT NOT NULL,\n"
	"  context TEXT NOT NULL,\n"
	"  session_id INTEGER NOT NULL,\n"
	"  updates INTEGER NOT NULL,\n"
	"  duplicates INTEGER NOT NULL,\n"
	"  first_seq INTEGER NOT NULL,\n"
	"  last_seq INTEGER NOT NULL,\n"
	"  first_gap INTEGER,\n"
	"  blob_bytes INTEGER NOT NULL,\n"
	"  first_timestamp INTEGER NOT NULL,\n"
	"  last_timestamp INTEGER NOT NULL,\n"
	"  UNIQUE (node_id, context, session_id)\n"
	");\n"
	"CREATE TABLE updates (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  session INTEGER NOT NULL REFERENCES sessions(id),\n"
	"  seq INTEGER NOT NULL,\n"
	"  tarball INTEGER NOT NULL REFERENCES tarballs(id),\n"
	"  version INTEGER NOT NULL,\n"
	"  timestamp INTEGER NOT NULL,\n"
	"  packets INTEGER NOT NULL,\n"
	"  blob BLOB NOT NULL,\n"
	"  member TEXT,\n"
	"  UNIQUE (session, seq)\n"
	");\n"
	"PRAGMA user_version = 2;\n";

/* Version 1 -> 2: conflicting duplicates (the new columns come last, as in
 * schema_sql, so both give the same tables). */
static const char upgrade_sql[] =
	"ALTER TABLE tarballs ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE rejects ADD COLUMN kind TEXT NOT NULL DEFAULT 'rejected' "
	"CHECK (kind IN ('rejected', 'conflict'));\n"
	"ALTER TABLE updates ADD COLUMN member TEXT;\n"
	"PRAGMA user_version = 2;\n";

/* Every statement, prepared on first use and kept until close. */
enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_SESSIONS, ST_FIND, ST_UPDATES, ST_TARBALLS, ST_REJECTS,
	ST_TAR_UPSERT, ST_TAR_ID, ST_TAR_FINISH, ST_REJ_DELETE, ST_REJ_INSERT,
	ST_MAX_UPDATE, ST_SESS_GET, ST_SESS_NEW, ST_SESS_SET, ST_UPD_INSERT, ST_UPD_GET,
	ST_GAP,
	ST_COUNT
};

#define SESSION_COLUMNS "id, node_id, context, session_id, updates, duplicates, first_seq, " \
			"last_seq, first_gap, blob_bytes, first_timestamp, last_timestamp"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SESSIONS] = "SELECT " SESSION_COLUMNS " FROM sessions "
			"ORDER BY node_id, context, session_id",
	[ST_FIND] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE node_id = ?1 AND "
		    "session_id = ?2 AND (?3 IS NULL OR context = ?3) ORDER BY context LIMIT 1",
	[ST_UPDATES] = "SELECT seq, blob FROM updates WHERE session = ?1 AND seq > ?2 ORDER BY seq",
	[ST_TARBALLS] = "SELECT id, name, size, mtime_ns, status, reason, members, updates, "
			"rejected_members, duplicates, indexed_at, conflicts FROM tarballs "
			"ORDER BY name",
	[ST_REJECTS] = "SELECT t.name, r.member, r.line, r.reason, r.kind FROM rejects r "
		       "JOIN tarballs t ON t.id = r.tarball ORDER BY t.name, r.id",
	[ST_TAR_UPSERT] = "INSERT INTO tarballs (name, size, mtime_ns, md5, status, indexed_at) "
			  "VALUES (?1, ?2, ?3, ?4, 'partial', ?5) ON CONFLICT (name) DO UPDATE SET "
			  "size = excluded.size, mtime_ns = excluded.mtime_ns, md5 = excluded.md5, "
			  "status = 'partial', reason = NULL, members = 0, updates = 0, "
			  "rejected_members = 0, duplicates = 0, conflicts = 0, "
			  "indexed_at = excluded.indexed_at",
	[ST_TAR_ID] = "SELECT id FROM tarballs WHERE name = ?1",
	[ST_TAR_FINISH] = "UPDATE tarballs SET status = ?2, reason = ?3, members = ?4, updates = ?5, "
			  "rejected_members = ?6, duplicates = ?7, indexed_at = ?8, conflicts = ?9 "
			  "WHERE id = ?1",
	[ST_REJ_DELETE] = "DELETE FROM rejects WHERE tarball = ?1",
	[ST_REJ_INSERT] = "INSERT INTO rejects (tarball, member, line, reason, kind) "
			  "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_MAX_UPDATE] = "SELECT coalesce(max(id), 0) FROM updates",
	[ST_SESS_GET] = "SELECT id, updates, duplicates, first_seq, last_seq, first_gap, blob_bytes, "
			"first_timestamp, last_timestamp FROM sessions "
			"WHERE node_id = ?1 AND context = ?2 AND session_id = ?3",
	[ST_SESS_NEW] = "INSERT INTO sessions (node_id, context, session_id, updates, duplicates, "
			"first_seq, last_seq, first_gap, blob_bytes, first_timestamp, last_timestamp) "
			"VALUES (?1, ?2, ?3, 0, 0, ?4, ?4, NULL, 0, ?5, ?5)",
	[ST_SESS_SET] = "UPDATE sessions SET updates = ?2, duplicates = ?3, first_seq = ?4, "
			"last_seq = ?5, first_gap = ?6, blob_bytes = ?7, first_timestamp = ?8, "
			"last_timestamp = ?9 WHERE id = ?1",
	[ST_UPD_INSERT] = "INSERT OR IGNORE INTO updates (session, seq, tarball, version, timestamp, "
			  "packets, blob, member) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_UPD_GET] = "SELECT u.id, u.tarball, u.blob, coalesce(u.member, ''), t.name "
		       "FROM updates u JOIN tarballs t ON t.id = u.tarball "
		       "WHERE u.session = ?1 AND u.seq = ?2",
	/* The first stored seq >= ?2 whose successor is missing, plus one. */
	[ST_GAP] = "SELECT u.seq + 1 FROM updates u WHERE u.session = ?1 AND u.seq >= ?2 AND "
		   "NOT EXISTS (SELECT 1 FROM updates v WHERE v.session = ?1 AND v.seq = u.seq + 1) "
		   "ORDER BY u.seq LIMIT 1",
};

/* One session touched by the current tarball: as stored before it, plus what
 * this tarball adds. */
struct sess_acc {
	int64_t id;
	char node_id[SESSION_NODE_ID_SIZE];
	char context[SESSION_CONTEXT_SIZE];
	int64_t session_id;
	uint32_t hash;
	/* stored before this tarball (n0 == 0: a new session) */
	uint32_t n0, dup0;
	int32_t first0, last0, gap0;   /* gap0 -1: none */
	uint64_t bytes0;
	int64_t first_ts0, last_ts0;
	/* added by this tarball */
	uint32_t added, dups;
	int32_t min_seq, max_seq;
	int64_t min_ts, max_ts;
	uint64_t bytes;
};

struct index_update_iter {
	struct index_db *db;
	sqlite3_stmt *st;
	bool cached;              /* st is db->st[ST_UPDATES] and this is db->iter */
};

struct index_db {
	sqlite3 *db;                  /* NULL for a sharded index (the shards have theirs) */
	struct index_db **shard;      /* a sharded index's shards, opened read-only */
	uint32_t nshards;             /* 0: an ordinary index file */
	char *path;
	int lock_fd;
	bool writer;
	sqlite3_stmt *st[ST_COUNT];
	struct index_update_iter iter;
	bool iter_busy;

	/* The current group and tarball (writer). */
	bool in_group;                /* index_db_group_begin: one transaction for several tarballs */
	bool in_tx;
	int64_t tarball_id;
	int64_t start_update_id;      /* max(updates.id) when the tarball began */
	struct index_tarball_counts counts;
	struct sess_acc *acc;
	uint32_t n_acc, cap_acc;
	uint32_t *slots;              /* open addressing into acc, UINT32_MAX empty */
	uint32_t cap_slots;           /* power of two */
	struct buf origin_tarball;    /* index_db_stored_origin */
	struct buf origin_member;

	/* The checkpointer (index_db_checkpointer_start). */
	bool ckpt_running;
	bool ckpt_stop;
	bool ckpt_wanted;             /* the WAL passed CKPT_PAGES at a commit */
	bool sync_normal;
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_mu;
	pthread_cond_t ckpt_cv;
	uint64_t checkpoints;         /* run by the checkpointer (tests, stats) */
};

/* The checkpointer's trigger: SQLite's own default (wal_autocheckpoint). */
#define CKPT_PAGES 1000

/* ---------------------------------------------------------------------------
 * Helpers
 */

static int db_fail(struct index_db *db, const char *what)
{
	return log_error("could not %s index \"%s\": %s", what, db->path, sqlite3_errmsg(db->db));
}

static sqlite3_stmt *stmt(struct index_db *db, enum stmt_id id)
{
	if (!db->st[id]) {
		if (sqlite3_prepare_v3(db->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &db->st[id], NULL) != SQLITE_OK) {
			db_fail(db, "prepare a statement on");
			db->st[id] = NULL;
			return NULL;
		}
	} else {
		sqlite3_reset(db->st[id]);
		sqlite3_clear_bindings(db->st[id]);
	}
	return db->st[id];
}

/* Runs a statement that returns no rows. */
static int exec_done(struct index_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("could not %s index \"%s\": %s", what, db->path, sqlite3_errmsg(db->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static int64_t col_i64_or(sqlite3_stmt *st, int col, int64_t dflt)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, col);
}

static void copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

void index_db_lock_path(const char *index_path, char *out, size_t size)
{
	snprintf(out, size, "%s.lock", index_path);
}

const char *index_reject_kind_name(int kind)
{
	return kind == INDEX_REJECT_CONFLICT ? "conflict" : "rejected";
}

const char *index_tarball_status_name(int status)
{
	switch (status) {
	case INDEX_TARBALL_INDEXED:
		return "indexed";
	case INDEX_TARBALL_PARTIAL:
		return "partial";
	default:
		return "rejected";
	}
}

static int status_of_name(const char *s)
{
	if (s && !strcmp(s, "indexed"))
		return INDEX_TARBALL_INDEXED;
	if (s && !strcmp(s, "partial"))
		return INDEX_TARBALL_PARTIAL;
	return INDEX_TARBALL_REJECTED;
}

/* ---------------------------------------------------------------------------
 * Opening
 */

/* " (pid N)" from the first line of the lock file at lp, or "" when it
 * holds none (the pid is only for messages). */
static void lock_holder(const char *lp, char *who, size_t size)
{
	struct buf text;
	buf_init(&text);
	who[0] = 0;
	if (fs_read_file(lp, &text) == 0) {
		size_t n = strcspn(text.data, "\n");
		if (n > 0 && n < 32)
			snprintf(who, size, " (pid %.*s)", (int)n, text.data);
	}
	buf_release(&text);
}

/* Takes the writer lock on INDEX.lock and writes our pid into it. Returns
 * 0, INDEX_DB_BUSY after a message when another writer holds it and wait is
 * false, or INDEX_DB_ERROR after a message. */
static int take_lock(struct index_db *db, bool wait)
{
	char lp[4096];
	index_db_lock_path(db->path, lp, sizeof(lp));
	int fd = lock_file_take(lp, false, true);
	if (fd == LOCK_FILE_BUSY) {
		char who[64];
		lock_holder(lp, who, sizeof(who));
		if (!wait) {
			log_error("index \"%s\" is being written by another bpass index%s", db->path,
				  who);
			return INDEX_DB_BUSY;
		}
		log_warn("waiting for index \"%s\": another bpass index%s is writing it", db->path, who);
		fd = lock_file_take(lp, true, true);
	}
	if (fd < 0)
		return INDEX_DB_ERROR;
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* The pid is only for messages: not worth failing over. */
	}
	db->lock_fd = fd;
	return INDEX_DB_OK;
}

static int exec_sql(struct index_db *db, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("could not %s index \"%s\": %s", what, db->path,
			  msg ? msg : sqlite3_errmsg(db->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(struct index_db *db, int *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, "read");
	return 0;
}

static int table_count(struct index_db *db, int *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_fail(db, "read");
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, "read");
	return 0;
}

/* Checks the schema version; creates the schema in an empty database when writing. */
static int check_schema(struct index_db *db)
{
	int v;
	if (user_version(db, &v))
		return -1;
	if (v == INDEX_SCHEMA_VERSION)
		return 0;
	if (v > INDEX_SCHEMA_VERSION)
		return log_error("could not open index \"%s\": schema version %d is newer than this "
				 "bpass (%d)", db->path, v, INDEX_SCHEMA_VERSION);
	if (v == 1 && !db->writer)
		return log_error("could not open index \"%s\": schema version 1 is older than this "
				 "bpass (%d); run bpass index on it once to upgrade it", db->path,
				 INDEX_SCHEMA_VERSION);
	if (v == 1) {
		if (exec_sql(db, "BEGIN IMMEDIATE", "upgrade"))
			return -1;
		if (user_version(db, &v))
			goto fail;
		if (v == 1 && exec_sql(db, upgrade_sql, "upgrade"))
			goto fail;
		if (exec_sql(db, "COMMIT", "upgrade"))
			goto fail;
		return 0;
	}
	if (v != 0)
		return log_error("could not open index \"%s\": unknown schema version %d", db->path, v);
	if (!db->writer)
		return log_error("could not open index \"%s\": not a bpass index", db->path);
	if (exec_sql(db, "BEGIN IMMEDIATE", "create"))
		return -1;
	int tables;
	if (user_version(db, &v) || table_count(db, &tables))
		goto fail;
	if (v == 0 && tables > 0) {
		log_error("could not open index \"%s\": not a bpass index (it has tables but no "
			  "schema version)", db->path);
		goto fail;
	}
	if (v == 0 && exec_sql(db, schema_sql, "create"))
		goto fail;
	if (exec_sql(db, "COMMIT", "create"))
		goto fail;
	return 0;
fail:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int open_shards(struct index_db *db, const char *dir, uint32_t n)
{
	struct buf p;
	buf_init(&p);
	db->shard = xcalloc(n, sizeof(*db->shard));
	db->nshards = n;
	int rc = 0;
	for (uint32_t k = 0; k < n && rc == 0; k++) {
		index_db_shard_path(dir, k, &p);
		rc = index_db_open(&db->shard[k], p.data, INDEX_OPEN_READ) == INDEX_DB_OK ? 0 : -1;
	}
	buf_release(&p);
	return rc;
}

int index_db_open(struct index_db **out, const char *path, int flags)
{
	*out = NULL;
	struct index_db *db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	buf_init(&db->origin_tarball);
	buf_init(&db->origin_member);
	db->lock_fd = -1;
	db->writer = (flags & INDEX_OPEN_WRITE) != 0;
	db->sync_normal = (flags & INDEX_OPEN_SYNC_NORMAL) != 0;

	int oflags;
	int rc = INDEX_DB_ERROR;
	if (db->writer) {
		if ((rc = take_lock(db, (flags & INDEX_OPEN_WAIT) != 0)) != INDEX_DB_OK)
			goto fail;
		rc = INDEX_DB_ERROR;
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	} else {
		struct stat st;
		if (stat(path, &st) != 0) {
			log_error("could not open index \"%s\": %s", path, strerror(errno));
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			int n = index_db_shards_read(path);
			if (n == 0)
				log_error("could not open index \"%s\": %s", path, strerror(EISDIR));
			if (n <= 0 || open_shards(db, path, (uint32_t)n))
				goto fail;
			*out = db;
			return INDEX_DB_OK;
		}
		oflags = SQLITE_OPEN_READONLY;
	}
	if (sqlite3_open_v2(path, &db->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("could not open index \"%s\": %s", path,
			  db->db ? sqlite3_errmsg(db->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->db, 30000);
	sqlite3_extended_result_codes(db->db, 1);
	if (db->writer) {
		char sql[256];
		snprintf(sql, sizeof(sql),
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; "
			 "PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;",
			 (flags & INDEX_OPEN_SYNC_NORMAL) ? "NORMAL" : "FULL");
		if (exec_sql(db, sql, "set up"))
			goto fail;
	} else {
		if (exec_sql(db, "PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456", "set up"))
			goto fail;
	}
	if (check_schema(db))
		goto fail;
	if (db->writer) {
		/* Check that the journal really is WAL (e.g. not on a filesystem without mmap). */
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW) {
				const unsigned char *m = sqlite3_column_text(st, 0);
				if (m && strcmp((const char *)m, "wal"))
					log_warn("index \"%s\" is in journal mode \"%s\", not WAL: readers "
						 "will wait for the indexer", path, m);
			}
			sqlite3_finalize(st);
		}
	}
	*out = db;
	return INDEX_DB_OK;
fail:
	index_db_close(db);
	return rc;
}

void index_db_close(struct index_db *db)
{
	if (!db)
		return;
	if (db->in_tx || db->in_group)
		index_db_tarball_abort(db);
	index_db_checkpointer_stop(db);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	if (db->db)
		sqlite3_close(db->db);
	for (uint32_t k = 0; k < db->nshards; k++)
		index_db_close(db->shard[k]);
	free(db->shard);
	if (db->lock_fd >= 0) {
		/* No stale pid for the next one's messages; closing releases the flock. */
		if (ftruncate(db->lock_fd, 0) != 0) {
			/* only cosmetic */
		}
		close(db->lock_fd);
	}
	free(db->acc);
	free(db->slots);
	buf_release(&db->origin_tarball);
	buf_release(&db->origin_member);
	free(db->path);
	free(db);
}

/* ---------------------------------------------------------------------------
 * Readers
 */

static void session_of_row(sqlite3_stmt *st, struct index_session *s)
{
	s->id = sqlite3_column_int64(st, 0);
	copy_text(s->node_id, sizeof(s->node_id), st, 1);
	copy_text(s->context, sizeof(s->context), st, 2);
	s->session_id = sqlite3_column_int64(st, 3);
	s->updates = (uint32_t)sqlite3_column_int64(st, 4);
	s->duplicates = (uint32_t)sqlite3_column_int64(st, 5);
	s->first_seq = sqlite3_column_int(st, 6);
	s->last_seq = sqlite3_column_int(st, 7);
	s->first_gap = (int32_t)col_i64_or(st, 8, -1);
	s->blob_bytes = (uint64_t)sqlite3_column_int64(st, 9);
	s->first_timestamp_s = sqlite3_column_int64(st, 10);
	s->last_timestamp_s = sqlite3_column_int64(st, 11);
}

/* Orders sessions as ST_SESSIONS does (BINARY collation: byte order). */
static int cmp_session_key(const struct index_session *a, const struct index_session *b)
{
	int c = strcmp(a->node_id, b->node_id);
	if (!c)
		c = strcmp(a->context, b->context);
	if (!c)
		c = a->session_id < b->session_id ? -1 : a->session_id > b->session_id;
	return c;
}

/* The shards' listings merged in key order (a node lives in one shard, so
 * no key is listed twice); ids tell the shard (see index_db.h). */
static int sharded_sessions(struct index_db *db,
			    int (*cb)(void *arg, const struct index_session *s), void *arg)
{
	uint32_t n = db->nshards;
	struct index_session *cur = xcalloc(n, sizeof(*cur));
	sqlite3_stmt **st = xcalloc(n, sizeof(*st));
	bool *live = xcalloc(n, sizeof(*live));
	int ret = 0;
	for (uint32_t k = 0; k < n && !ret; k++) {
		/* Their own statements: each shard's ST_SESSIONS stays free. */
		if (sqlite3_prepare_v2(db->shard[k]->db, stmt_sql[ST_SESSIONS], -1, &st[k],
				       NULL) != SQLITE_OK) {
			ret = db_fail(db->shard[k], "prepare a statement on");
			break;
		}
		int rc = sqlite3_step(st[k]);
		if (rc == SQLITE_ROW) {
			session_of_row(st[k], &cur[k]);
			live[k] = true;
		} else if (rc != SQLITE_DONE) {
			ret = db_fail(db->shard[k], "read sessions of");
		}
	}
	while (!ret) {
		uint32_t best = n;
		for (uint32_t k = 0; k < n; k++)
			if (live[k] && (best == n || cmp_session_key(&cur[k], &cur[best]) < 0))
				best = k;
		if (best == n)
			break;
		struct index_session s = cur[best];
		s.id = s.id * INDEX_SHARDS_MAX + best;
		if ((ret = cb(arg, &s)) != 0)
			break;
		int rc = sqlite3_step(st[best]);
		if (rc == SQLITE_ROW) {
			session_of_row(st[best], &cur[best]);
		} else {
			live[best] = false;
			if (rc != SQLITE_DONE)
				ret = db_fail(db->shard[best], "read sessions of");
		}
	}
	for (uint32_t k = 0; k < n; k++)
		sqlite3_finalize(st[k]);
	free(st);
	free(cur);
	free(live);
	return ret;
}

int index_db_sessions(struct index_db *db,
		      int (*cb)(void *arg, const struct index_session *s), void *arg)
{
	if (db->nshards)
		return sharded_sessions(db, cb, arg);
	sqlite3_stmt *st = stmt(db, ST_SESSIONS);
	if (!st)
		return -1;
	int rc, ret = 0;
	struct index_session s;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		session_of_row(st, &s);
		if ((ret = cb(arg, &s)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_fail(db, "read sessions of");
	sqlite3_reset(st);
	return ret;
}

int index_db_find_session(struct index_db *db, const struct bpass_session_key *key,
			  struct index_session *out)
{
	if (db->nshards) {
		for (uint32_t k = 0; k < db->nshards; k++) {
			int r = index_db_find_session(db->shard[k], key, out);
			if (r == INDEX_FOUND)
				out->id = out->id * INDEX_SHARDS_MAX + k;
			if (r != INDEX_NOT_FOUND)
				return r;
		}
		return INDEX_NOT_FOUND;
	}
	sqlite3_stmt *st = stmt(db, ST_FIND);
	if (!st)
		return INDEX_FIND_ERROR;
	sqlite3_bind_text(st, 1, key->node_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, key->session_id);
	if (key->context)
		sqlite3_bind_text(st, 3, key->context, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int ret;
	if (rc == SQLITE_ROW) {
		session_of_row(st, out);
		ret = INDEX_FOUND;
	} else if (rc == SQLITE_DONE) {
		ret = INDEX_NOT_FOUND;
	} else {
		ret = db_fail(db, "read a session of");
	}
	sqlite3_reset(st);
	return ret;
}

int index_db_updates_begin(struct index_db *db, int64_t session_row_id, int32_t after_seq,
			   struct index_update_iter **out)
{
	*out = NULL;
	if (db->nshards) {
		uint32_t k = (uint32_t)(session_row_id % INDEX_SHARDS_MAX);
		if (session_row_id < 0 || k >= db->nshards) {
			log_error("could not read updates of index \"%s\": no session %lld",
				  db->path, (long long)session_row_id);
			return -1;
		}
		return index_db_updates_begin(db->shard[k], session_row_id / INDEX_SHARDS_MAX,
					      after_seq, out);
	}
	struct index_update_iter *it;
	if (!db->iter_busy) {
		/* The common case: one iterator at a time, one statement for the run. */
		sqlite3_stmt *st = stmt(db, ST_UPDATES);
		if (!st)
			return -1;
		it = &db->iter;
		it->db = db;
		it->st = st;
		it->cached = true;
		db->iter_busy = true;
	} else {
		it = xcalloc(1, sizeof(*it));
		it->db = db;
		if (sqlite3_prepare_v2(db->db, stmt_sql[ST_UPDATES], -1, &it->st, NULL) != SQLITE_OK) {
			free(it);
			return db_fail(db, "read updates of");
		}
	}
	sqlite3_bind_int64(it->st, 1, session_row_id);
	sqlite3_bind_int(it->st, 2, after_seq);
	*out = it;
	return 0;
}

int index_db_updates_next(struct index_update_iter *it, int32_t *seq, const void **blob,
			  size_t *len)
{
	int rc = sqlite3_step(it->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return db_fail(it->db, "read updates of");
	*seq = sqlite3_column_int(it->st, 0);
	*blob = sqlite3_column_blob(it->st, 1);
	*len = (size_t)sqlite3_column_bytes(it->st, 1);
	if (!*blob)
		*blob = "";
	return 1;
}

void index_db_updates_end(struct index_update_iter *it)
{
	if (!it)
		return;
	if (it->cached) {
		sqlite3_reset(it->st);
		sqlite3_clear_bindings(it->st);
		it->db->iter_busy = false;
	} else {
		sqlite3_finalize(it->st);
		free(it);
	}
}

int index_db_tarballs(struct index_db *db,
		      int (*cb)(void *arg, const struct index_tarball *t), void *arg)
{
	if (db->nshards) {
		int r = 0;
		for (uint32_t k = 0; k < db->nshards && !r; k++)
			r = index_db_tarballs(db->shard[k], cb, arg);
		return r;
	}
	sqlite3_stmt *st = stmt(db, ST_TARBALLS);
	if (!st)
		return -1;
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct index_tarball t;
		t.id = sqlite3_column_int64(st, 0);
		t.name = (const char *)sqlite3_column_text(st, 1);
		t.size = sqlite3_column_int64(st, 2);
		t.mtime_ns = sqlite3_column_int64(st, 3);
		t.status = status_of_name((const char *)sqlite3_column_text(st, 4));
		t.reason = (const char *)sqlite3_column_text(st, 5);
		t.members = (uint32_t)sqlite3_column_int64(st, 6);
		t.updates = (uint32_t)sqlite3_column_int64(st, 7);
		t.rejected_members = (uint32_t)sqlite3_column_int64(st, 8);
		t.duplicates = (uint32_t)sqlite3_column_int64(st, 9);
		t.indexed_at = sqlite3_column_int64(st, 10);
		t.conflicts = (uint32_t)sqlite3_column_int64(st, 11);
		if (!t.name)
			t.name = "";
		if (!t.reason)
			t.reason = "";
		if ((ret = cb(arg, &t)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_fail(db, "read tarballs of");
	sqlite3_reset(st);
	return ret;
}

int index_db_rejects(struct index_db *db,
		     int (*cb)(void *arg, const struct index_reject *r), void *arg)
{
	if (db->nshards) {
		int ret = 0;
		for (uint32_t k = 0; k < db->nshards && !ret; k++)
			ret = index_db_rejects(db->shard[k], cb, arg);
		return ret;
	}
	sqlite3_stmt *st = stmt(db, ST_REJECTS);
	if (!st)
		return -1;
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct index_reject r;
		r.tarball = (const char *)sqlite3_column_text(st, 0);
		r.member = (const char *)sqlite3_column_text(st, 1);
		r.line = (uint32_t)col_i64_or(st, 2, 0);
		r.reason = (const char *)sqlite3_column_text(st, 3);
		const char *kind = (const char *)sqlite3_column_text(st, 4);
		r.kind = kind && !strcmp(kind, "conflict") ? INDEX_REJECT_CONFLICT
							   : INDEX_REJECT_REJECTED;
		if (!r.tarball)
			r.tarball = "";
		if (!r.reason)
			r.reason = "";
		if ((ret = cb(arg, &r)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_fail(db, "read rejects of");
	sqlite3_reset(st);
	return ret;
}

/* ---------------------------------------------------------------------------
 * Writer
 */

static int need_writer(struct index_db *db, bool in_tx)
{
	if (!db->writer)
		return log_error("could not write index \"%s\": opened read-only", db->path);
	if (db->in_tx != in_tx)
		return log_error("could not write index \"%s\": %s", db->path,
				 in_tx ? "no tarball begun" : "a tarball is already begun");
	return 0;
}

static void acc_reset(struct index_db *db)
{
	db->n_acc = 0;
	if (!db->slots) {
		db->cap_slots = 64;
		db->slots = xmalloc(db->cap_slots * sizeof(*db->slots));
	}
	memset(db->slots, 0xff, db->cap_slots * sizeof(*db->slots));
}

static uint32_t key_hash(const char *node, const char *ctx, int64_t sid)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)node; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const unsigned char *p = (const unsigned char *)ctx; *p; p++)
		h = (h ^ *p) * 16777619u;
	uint64_t v = (uint64_t)sid;
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (uint32_t)(v & 0xff)) * 16777619u;
	return h;
}

static void slots_grow(struct index_db *db)
{
	free(db->slots);
	db->cap_slots *= 2;
	db->slots = xmalloc(db->cap_slots * sizeof(*db->slots));
	memset(db->slots, 0xff, db->cap_slots * sizeof(*db->slots));
	for (uint32_t i = 0; i < db->n_acc; i++) {
		uint32_t k = db->acc[i].hash & (db->cap_slots - 1);
		while (db->slots[k] != UINT32_MAX)
			k = (k + 1) & (db->cap_slots - 1);
		db->slots[k] = i;
	}
}

/* Finds or loads (or creates) the session of a key. NULL on error. */
static struct sess_acc *acc_get(struct index_db *db, const struct index_update_row *r)
{
	const struct bpass_session_key key = {r->node_id, r->context, r->session_id};
	uint32_t h = key_hash(r->node_id, r->context, r->session_id);
	uint32_t k = h & (db->cap_slots - 1);
	for (; db->slots[k] != UINT32_MAX; k = (k + 1) & (db->cap_slots - 1)) {
		struct sess_acc *a = &db->acc[db->slots[k]];
		const struct bpass_session_key ak = {a->node_id, a->context, a->session_id};
		if (a->hash == h && session_key_eq(&ak, &key))
			return a;
	}
	if (strlen(r->node_id) >= sizeof(db->acc->node_id) ||
	    strlen(r->context) >= sizeof(db->acc->context)) {
		log_error("could not write index \"%s\": node id or context too long", db->path);
		return NULL;
	}
	if (db->n_acc == db->cap_acc)
		xgrow((void **)&db->acc, &db->cap_acc, db->n_acc + 1, sizeof(*db->acc));
	struct sess_acc *a = &db->acc[db->n_acc];
	memset(a, 0, sizeof(*a));
	snprintf(a->node_id, sizeof(a->node_id), "%s", r->node_id);
	snprintf(a->context, sizeof(a->context), "%s", r->context);
	a->session_id = r->session_id;
	a->hash = h;
	a->gap0 = -1;

	sqlite3_stmt *st = stmt(db, ST_SESS_GET);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, r->node_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->context, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->session_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		a->n0 = (uint32_t)sqlite3_column_int64(st, 1);
		a->dup0 = (uint32_t)sqlite3_column_int64(st, 2);
		a->first0 = sqlite3_column_int(st, 3);
		a->last0 = sqlite3_column_int(st, 4);
		a->gap0 = (int32_t)col_i64_or(st, 5, -1);
		a->bytes0 = (uint64_t)sqlite3_column_int64(st, 6);
		a->first_ts0 = sqlite3_column_int64(st, 7);
		a->last_ts0 = sqlite3_column_int64(st, 8);
		sqlite3_reset(st);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		st = stmt(db, ST_SESS_NEW);
		if (!st)
			return NULL;
		sqlite3_bind_text(st, 1, r->node_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->context, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->session_id);
		sqlite3_bind_int(st, 4, r->seq);
		sqlite3_bind_int64(st, 5, r->timestamp_s);
		if (exec_done(db, st, "add a session to"))
			return NULL;
		a->id = sqlite3_last_insert_rowid(db->db);
	} else {
		sqlite3_reset(st);
		db_fail(db, "read a session of");
		return NULL;
	}
	db->slots[k] = db->n_acc++;
	if (db->n_acc * 2 > db->cap_slots)
		slots_grow(db);
	return a;
}

int index_db_tarball_begin(struct index_db *db, const char *name, int64_t size,
			   int64_t mtime_ns, const char *md5)
{
	if (need_writer(db, false))
		return -1;
	sqlite3_stmt *st;
	if (!db->in_group && (!(st = stmt(db, ST_BEGIN)) || exec_done(db, st, "write")))
		return -1;
	db->in_tx = true;
	memset(&db->counts, 0, sizeof(db->counts));
	acc_reset(db);

	if (!(st = stmt(db, ST_TAR_UPSERT)))
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	sqlite3_bind_text(st, 4, md5 ? md5 : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
	if (exec_done(db, st, "add a tarball to"))
		goto fail;
	if (!(st = stmt(db, ST_TAR_ID)))
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_fail(db, "add a tarball to");
		goto fail;
	}
	db->tarball_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!(st = stmt(db, ST_REJ_DELETE)))
		goto fail;
	sqlite3_bind_int64(st, 1, db->tarball_id);
	if (exec_done(db, st, "write"))
		goto fail;
	if (!(st = stmt(db, ST_MAX_UPDATE)))
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_fail(db, "read");
		goto fail;
	}
	db->start_update_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
fail:
	index_db_tarball_abort(db);
	return -1;
}

int index_db_add_update(struct index_db *db, const struct index_update_row *r)
{
	if (need_writer(db, true))
		return INDEX_ADD_ERROR;
	struct sess_acc *a = acc_get(db, r);
	if (!a)
		return INDEX_ADD_ERROR;
	sqlite3_stmt *st = stmt(db, ST_UPD_INSERT);
	if (!st)
		return INDEX_ADD_ERROR;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int(st, 2, r->seq);
	sqlite3_bind_int64(st, 3, db->tarball_id);
	sqlite3_bind_int(st, 4, r->version);
	sqlite3_bind_int64(st, 5, r->timestamp_s);
	sqlite3_bind_int64(st, 6, r->packets);
	sqlite3_bind_blob(st, 7, r->blob_len ? r->blob : "", (int)r->blob_len, SQLITE_STATIC);
	if (r->member)
		sqlite3_bind_text(st, 8, r->member, -1, SQLITE_STATIC);
	if (exec_done(db, st, "add an update to"))
		return INDEX_ADD_ERROR;
	db->counts.updates++;
	if (sqlite3_changes(db->db) == 1) {
		if (a->added == 0 || r->seq < a->min_seq) {
			a->min_seq = r->seq;
			a->min_ts = r->timestamp_s;
		}
		if (a->added == 0 || r->seq > a->max_seq) {
			a->max_seq = r->seq;
			a->max_ts = r->timestamp_s;
		}
		a->added++;
		a->bytes += r->blob_len;
		db->counts.new_updates++;
		return INDEX_ADD_STORED;
	}
	/* Already stored: a re-upload, unless an earlier examination of this very
	 * tarball (since changed: a copy that completed) stored it; and a conflict
	 * when the content differs. */
	if (!(st = stmt(db, ST_UPD_GET)))
		return INDEX_ADD_ERROR;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int(st, 2, r->seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, "read an update of");
	}
	int64_t row = sqlite3_column_int64(st, 0), tarball = sqlite3_column_int64(st, 1);
	const void *stored = sqlite3_column_blob(st, 2);
	size_t stored_len = (size_t)sqlite3_column_bytes(st, 2);
	bool same = stored_len == r->blob_len &&
		    (r->blob_len == 0 || (stored && !memcmp(stored, r->blob, r->blob_len)));
	const char *m = (const char *)sqlite3_column_text(st, 3);
	const char *t = (const char *)sqlite3_column_text(st, 4);
	buf_reset(&db->origin_member);
	buf_puts(&db->origin_member, m ? m : "");
	buf_reset(&db->origin_tarball);
	buf_puts(&db->origin_tarball, t ? t : "");
	sqlite3_reset(st);
	if (same && tarball == db->tarball_id && row <= db->start_update_id)
		return INDEX_ADD_STORED_BEFORE;
	a->dups++;
	db->counts.updates--;
	if (!same) {
		db->counts.conflicts++;
		return INDEX_ADD_CONFLICT;
	}
	db->counts.duplicates++;
	return INDEX_ADD_DUPLICATE;
}

void index_db_stored_origin(struct index_db *db, const char **tarball, const char **member)
{
	*tarball = db->origin_tarball.data;
	*member = db->origin_member.data;
}

int index_db_add_reject(struct index_db *db, const char *member, uint32_t line,
			const char *reason)
{
	if (need_writer(db, true))
		return -1;
	sqlite3_stmt *st = stmt(db, ST_REJ_INSERT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, db->tarball_id);
	if (member)
		sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
	if (line)
		sqlite3_bind_int64(st, 3, line);
	sqlite3_bind_text(st, 4, reason ? reason : "unknown reason", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, "rejected", -1, SQLITE_STATIC);
	if (exec_done(db, st, "add a reject to"))
		return -1;
	if (member)
		db->counts.rejected_members++;
	return 0;
}

int index_db_add_conflict(struct index_db *db, const char *member, const char *reason)
{
	if (need_writer(db, true))
		return -1;
	sqlite3_stmt *st = stmt(db, ST_REJ_INSERT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, db->tarball_id);
	if (member)
		sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason ? reason : "conflicting duplicate", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, "conflict", -1, SQLITE_STATIC);
	return exec_done(db, st, "add a conflict to");
}

struct index_tarball_counts *index_db_tarball_counts(struct index_db *db)
{
	return &db->counts;
}

/* The first missing seq of a session with a gap, searching from seq from. */
static int find_gap(struct index_db *db, int64_t session, int32_t from, int32_t *gap)
{
	sqlite3_stmt *st = stmt(db, ST_GAP);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, session);
	sqlite3_bind_int(st, 2, from);
	int rc = sqlite3_step(st);
	*gap = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, "read a session of");
	return 0;
}

/* Writes one touched session. */
static int acc_flush(struct index_db *db, const struct sess_acc *a)
{
	uint32_t n = a->n0 + a->added;
	int32_t first = a->first0, last = a->last0, gap = a->gap0;
	int64_t first_ts = a->first_ts0, last_ts = a->last_ts0;
	if (a->added) {
		if (a->n0 == 0 || a->min_seq < first) {
			first = a->min_seq;
			first_ts = a->min_ts;
		}
		if (a->n0 == 0 || a->max_seq > last) {
			last = a->max_seq;
			last_ts = a->max_ts;
		}
		if ((int64_t)last - first + 1 == (int64_t)n) {
			gap = -1;
		} else {
			/* Skip what is known to be contiguous: first0 .. gap0-1 (or .. last0). */
			int32_t from = first;
			if (a->n0 && first == a->first0)
				from = a->gap0 >= 0 ? a->gap0 - 1 : a->last0;
			if (find_gap(db, a->id, from, &gap))
				return -1;
		}
	}
	sqlite3_stmt *st = stmt(db, ST_SESS_SET);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, n);
	sqlite3_bind_int64(st, 3, (int64_t)a->dup0 + a->dups);
	sqlite3_bind_int(st, 4, first);
	sqlite3_bind_int(st, 5, last);
	if (gap >= 0)
		sqlite3_bind_int(st, 6, gap);
	sqlite3_bind_int64(st, 7, (int64_t)(a->bytes0 + a->bytes));
	sqlite3_bind_int64(st, 8, first_ts);
	sqlite3_bind_int64(st, 9, last_ts);
	return exec_done(db, st, "update a session of");
}

int index_db_tarball_commit(struct index_db *db, int status, const char *reason)
{
	if (need_writer(db, true))
		return -1;
	for (uint32_t i = 0; i < db->n_acc; i++)
		if (acc_flush(db, &db->acc[i]))
			goto fail;
	sqlite3_stmt *st = stmt(db, ST_TAR_FINISH);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, db->tarball_id);
	sqlite3_bind_text(st, 2, index_tarball_status_name(status), -1, SQLITE_STATIC);
	if (reason)
		sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, db->counts.members);
	sqlite3_bind_int64(st, 5, db->counts.updates);
	sqlite3_bind_int64(st, 6, db->counts.rejected_members);
	sqlite3_bind_int64(st, 7, db->counts.duplicates);
	sqlite3_bind_int64(st, 8, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 9, db->counts.conflicts);
	if (exec_done(db, st, "finish a tarball in"))
		goto fail;
	if (!db->in_group && (!(st = stmt(db, ST_COMMIT)) || exec_done(db, st, "commit to")))
		goto fail;
	db->in_tx = false;
	return 0;
fail:
	index_db_tarball_abort(db);
	return -1;
}

void index_db_tarball_abort(struct index_db *db)
{
	if (!db->in_tx && !db->in_group)
		return;
	db->in_tx = false;
	db->in_group = false;
	if (sqlite3_get_autocommit(db->db))
		return;   /* SQLite already rolled back (e.g. after SQLITE_FULL) */
	sqlite3_stmt *st = stmt(db, ST_ROLLBACK);
	if (st)
		exec_done(db, st, "roll back");
}

/* ---------------------------------------------------------------------------
 * Groups of tarballs, and checkpoints on a thread of their own
 */

int index_db_group_begin(struct index_db *db)
{
	if (need_writer(db, false))
		return -1;
	if (db->in_group)
		return log_error("could not write index \"%s\": a group is already begun", db->path);
	sqlite3_stmt *st = stmt(db, ST_BEGIN);
	if (!st || exec_done(db, st, "write"))
		return -1;
	db->in_group = true;
	return 0;
}

int index_db_group_commit(struct index_db *db)
{
	if (need_writer(db, false))
		return -1;
	if (!db->in_group)
		return log_error("could not write index \"%s\": no group begun", db->path);
	sqlite3_stmt *st = stmt(db, ST_COMMIT);
	if (!st || exec_done(db, st, "commit to")) {
		index_db_tarball_abort(db);
		return -1;
	}
	db->in_group = false;
	return 0;
}

/* The writer connection's WAL hook: after each commit, wakes the checkpointer
 * once the WAL holds CKPT_PAGES pages (instead of checkpointing here). */
static int ckpt_hook(void *arg, sqlite3 *conn, const char *schema, int pages)
{
	(void)conn;
	(void)schema;
	struct index_db *db = arg;
	if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&db->ckpt_mu);
		db->ckpt_wanted = true;
		pthread_cond_signal(&db->ckpt_cv);
		pthread_mutex_unlock(&db->ckpt_mu);
	}
	return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
	struct index_db *db = arg;
	sqlite3 *c = NULL;
	if (sqlite3_open_v2(db->path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ==
	    SQLITE_OK) {
		sqlite3_busy_timeout(c, 1000);
		sqlite3_exec(c, db->sync_normal ? "PRAGMA synchronous = NORMAL"
						: "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	}
	pthread_mutex_lock(&db->ckpt_mu);
	for (;;) {
		while (!db->ckpt_stop && !db->ckpt_wanted)
			pthread_cond_wait(&db->ckpt_cv, &db->ckpt_mu);
		if (db->ckpt_stop)
			break;
		db->ckpt_wanted = false;
		pthread_mutex_unlock(&db->ckpt_mu);
		/* PASSIVE: copies what it can without waiting for the writer or
		 * readers; the writer restarts the WAL once it is all copied. A
		 * failure (busy) is left to the next one, or to the close. */
		if (c)
			sqlite3_wal_checkpoint_v2(c, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&db->ckpt_mu);
		db->checkpoints++;
	}
	pthread_mutex_unlock(&db->ckpt_mu);
	sqlite3_close(c);
	return NULL;
}

int index_db_checkpointer_start(struct index_db *db)
{
	if (!db->writer || db->ckpt_running)
		return 0;
	pthread_mutex_init(&db->ckpt_mu, NULL);
	pthread_cond_init(&db->ckpt_cv, NULL);
	db->ckpt_stop = db->ckpt_wanted = false;
	int e = pthread_create(&db->ckpt_thread, NULL, ckpt_main, db);
	if (e) {
		pthread_cond_destroy(&db->ckpt_cv);
		pthread_mutex_destroy(&db->ckpt_mu);
		log_warn("could not start the checkpoint thread of index \"%s\": %s; the writer "
			 "checkpoints", db->path, strerror(e));
		return 0;
	}
	db->ckpt_running = true;
	sqlite3_wal_hook(db->db, ckpt_hook, db);   /* replaces wal_autocheckpoint */
	return 0;
}

void index_db_checkpointer_stop(struct index_db *db)
{
	if (!db->ckpt_running)
		return;
	pthread_mutex_lock(&db->ckpt_mu);
	db->ckpt_stop = true;
	pthread_cond_signal(&db->ckpt_cv);
	pthread_mutex_unlock(&db->ckpt_mu);
	pthread_join(db->ckpt_thread, NULL);
	pthread_cond_destroy(&db->ckpt_cv);
	pthread_mutex_destroy(&db->ckpt_mu);
	db->ckpt_running = false;
	sqlite3_wal_autocheckpoint(db->db, CKPT_PAGES);   /* back to SQLite's own */
}

uint64_t index_db_checkpoints(const struct index_db *db)
{
	return db->checkpoints;
}

/* ---------------------------------------------------------------------------
 * Sharded indexes (index_db.h)
 */

uint32_t index_shard_of(const char *tarball_name, uint32_t shards)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)tarball_name; *p && *p != '_'; p++)
		h = (h ^ *p) * 16777619u;
	return shards ? h % shards : 0;
}

void index_db_shard_path(const char *dir, uint32_t k, struct buf *out)
{
	buf_reset(out);
	buf_printf(out, "%s/shard-%u.sqlite", dir, k);
}

int index_db_shards_read(const char *dir)
{
	struct buf p;
	buf_init(&p);
	buf_printf(&p, "%s/%s", dir, INDEX_SHARDS_MANIFEST);
	FILE *f = fopen(p.data, "r");
	int n = -1;
	if (!f) {
		if (errno == ENOENT)
			n = 0;
		else
			log_error("could not read index manifest \"%s\": %s", p.data, strerror(errno));
		buf_release(&p);
		return n;
	}
	char line[64];
	unsigned v = 0;
	char *end;
	if (fgets(line, sizeof(line), f) && !strncmp(line, "bpass index shards ", 19)) {
		v = (unsigned)strtoul(line + 19, &end, 10);
		if ((*end == '\n' || !*end) && v >= 2 && v <= INDEX_SHARDS_MAX)
			n = (int)v;
	}
	if (n < 0)
		log_error("could not read index manifest \"%s\": expected \"bpass index shards N\" "
			  "with N from 2 to %d", p.data, INDEX_SHARDS_MAX);
	fclose(f);
	buf_release(&p);
	return n;
}

int index_db_shards_create(const char *dir, uint32_t shards)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return log_error("could not create index folder \"%s\": %s", dir, strerror(errno));
	int have = index_db_shards_read(dir);
	if (have < 0)
		return -1;
	if (have > 0) {
		if ((uint32_t)have != shards)
			return log_error("cannot index into \"%s\" with %u shards: it has %d", dir,
					 shards, have);
		return 0;
	}
	struct buf p, tmp;
	buf_init(&p);
	buf_init(&tmp);
	buf_printf(&p, "%s/%s", dir, INDEX_SHARDS_MANIFEST);
	buf_printf(&tmp, "%s.tmp", p.data);
	char text[64];
	int len = snprintf(text, sizeof(text), "bpass index shards %u\n", shards);
	int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	int rc = -1;
	if (fd >= 0 && write(fd, text, (size_t)len) == len && fsync(fd) == 0 &&
	    close(fd) == 0 && rename(tmp.data, p.data) == 0) {
		fd = -1;
		rc = 0;
	} else {
		rc = log_error("could not write index manifest \"%s\": %s", p.data, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp.data);
	}
	buf_release(&p);
	buf_release(&tmp);
	return rc;
}
