/*
 * tests/unit/test_index_db.c: the SQLite index on real files in a scratch
 * folder: schema and settings of a new index, storing updates, duplicates
 * within and across tarballs, first-gap computation as sequence numbers
 * arrive in any order, a partial tarball examined again, conflicting
 * duplicates, the upgrade of a schema 1 index, rollback, reopening
 * read-only, the session and update readers, rejects, the writer lock, a
 * reader during a write, and foreign or newer databases. Blobs are arbitrary
 * bytes here: the index does not look inside them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>

#include "index_db.h"
#include "log.h"

#define CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"
#define NODE "OW0123456789AB"

static char dir[256];
static char path[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/bpass-index-db.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/index.sqlite", dir);
	log_set_quiet(true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A blob that encodes its key, to check which row comes back. */
static char blob_of[64];

static int add(struct index_db *db, const char *node, const char *ctx, int64_t sid, int32_t seq,
	       int64_t ts)
{
	snprintf(blob_of, sizeof(blob_of), "%s/%lld/%d", node, (long long)sid, seq);
	struct index_update_row r = {
		.node_id = node, .context = ctx, .session_id = sid, .seq = seq, .version = 5,
		.timestamp_s = ts, .packets = 7, .blob = blob_of, .blob_len = strlen(blob_of),
	};
	return index_db_add_update(db, &r);
}

/* Adds an update of NODE/CTX with the given blob, from member. */
static int add_blob(struct index_db *db, int64_t sid, int32_t seq, const char *blob,
		    const char *member)
{
	struct index_update_row r = {
		.node_id = NODE, .context = CTX, .session_id = sid, .seq = seq, .version = 5,
		.timestamp_s = 30, .packets = 7, .blob = blob, .blob_len = strlen(blob),
		.member = member,
	};
	return index_db_add_update(db, &r);
}

static struct index_session find(struct index_db *db, const char *node, int64_t sid)
{
	struct index_session s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(index_db_find_session(db, &(struct bpass_session_key){node, NULL, sid}, &s), INDEX_FOUND);
	return s;
}

static int64_t sql_int(const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void remove_index(void)
{
	char p[400];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void test_new_index(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(sql_int("PRAGMA user_version"), 2);
	assert_int_equal(sql_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
				 "name IN ('tarballs', 'rejects', 'sessions', 'updates')"), 4);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(h);
	index_db_close(db);
	index_db_close(NULL);
}

static void test_store_and_gap(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 100, 5, ""), 0);
	assert_int_equal(add(db, NODE, CTX, 1000, 0, 30), INDEX_ADD_STORED);
	assert_int_equal(add(db, NODE, CTX, 1000, 1, 60), INDEX_ADD_STORED);
	assert_int_equal(add(db, NODE, CTX, 1000, 3, 120), INDEX_ADD_STORED);
	index_db_tarball_counts(db)->members = 3;
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);

	struct index_session s = find(db, NODE, 1000);
	assert_string_equal(s.node_id, NODE);
	assert_string_equal(s.context, CTX);
	assert_int_equal(s.updates, 3);
	assert_int_equal(s.duplicates, 0);
	assert_int_equal(s.first_seq, 0);
	assert_int_equal(s.last_seq, 3);
	assert_int_equal(s.first_gap, 2);
	/* "OW0123456789AB/1000/0" is 21 bytes, likewise /1 and /3. */
	assert_int_equal(s.blob_bytes, 63);
	assert_int_equal(s.first_timestamp_s, 30);
	assert_int_equal(s.last_timestamp_s, 120);

	/* Second tarball: seq 1 again (a re-upload), seq 2 fills the gap, 5 opens another. */
	assert_int_equal(index_db_tarball_begin(db, "b.tar", 100, 5, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1000, 1, 60), INDEX_ADD_DUPLICATE);
	assert_int_equal(add(db, NODE, CTX, 1000, 2, 90), INDEX_ADD_STORED);
	assert_int_equal(add(db, NODE, CTX, 1000, 5, 180), INDEX_ADD_STORED);
	assert_int_equal(add(db, NODE, CTX, 1000, 5, 180), INDEX_ADD_DUPLICATE);  /* twice in one tarball */
	struct index_tarball_counts *c = index_db_tarball_counts(db);
	assert_int_equal(c->updates, 2);
	assert_int_equal(c->new_updates, 2);
	assert_int_equal(c->duplicates, 2);
	c->members = 4;
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	s = find(db, NODE, 1000);
	assert_int_equal(s.updates, 5);
	assert_int_equal(s.duplicates, 2);
	assert_int_equal(s.blob_bytes, 63 + 42);   /* the two new 21-byte blobs added */
	assert_int_equal(s.first_seq, 0);
	assert_int_equal(s.last_seq, 5);
	assert_int_equal(s.first_gap, 4);
	assert_int_equal(s.last_timestamp_s, 180);

	/* Third: 4 arrives late, the session is whole again. */
	assert_int_equal(index_db_tarball_begin(db, "c.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1000, 4, 150), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	s = find(db, NODE, 1000);
	assert_int_equal(s.updates, 6);
	assert_int_equal(s.first_gap, -1);

	/* A session that starts late and gets earlier updates: first_seq moves down. */
	assert_int_equal(index_db_tarball_begin(db, "d.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 2000, 5, 500), INDEX_ADD_STORED);
	assert_int_equal(add(db, NODE, CTX, 2000, 6, 530), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	s = find(db, NODE, 2000);
	assert_int_equal(s.first_seq, 5);
	assert_int_equal(s.first_gap, -1);
	assert_int_equal(index_db_tarball_begin(db, "e.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 2000, 3, 440), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	s = find(db, NODE, 2000);
	assert_int_equal(s.first_seq, 3);
	assert_int_equal(s.last_seq, 6);
	assert_int_equal(s.first_gap, 4);
	assert_int_equal(s.first_timestamp_s, 440);
	assert_int_equal(s.last_timestamp_s, 530);
	/* A later seq does not hide the earlier gap. */
	assert_int_equal(index_db_tarball_begin(db, "f.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 2000, 9, 620), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	s = find(db, NODE, 2000);
	assert_int_equal(s.first_gap, 4);
	assert_int_equal(index_db_tarball_begin(db, "g.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 2000, 4, 470), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	s = find(db, NODE, 2000);
	assert_int_equal(s.first_gap, 7);
	assert_int_equal(s.updates, 5);

	/* Tarball rows carry the counts. */
	assert_int_equal(sql_int("SELECT duplicates FROM tarballs WHERE name = 'b.tar'"), 2);
	assert_int_equal(sql_int("SELECT updates FROM tarballs WHERE name = 'b.tar'"), 2);
	assert_int_equal(sql_int("SELECT members FROM tarballs WHERE name = 'b.tar'"), 4);
	assert_int_equal(sql_int("SELECT count(*) FROM updates"), 11);
	index_db_close(db);
}

struct collected {
	char names[8][128];
	int64_t sids[8];
	int n;
};

static int collect_session(void *arg, const struct index_session *s)
{
	struct collected *c = arg;
	if (c->n < 8) {
		snprintf(c->names[c->n], sizeof(c->names[c->n]), "%s %s", s->node_id, s->context);
		c->sids[c->n] = s->session_id;
	}
	c->n++;
	return 0;
}

static int stop_at_two(void *arg, const struct index_session *s)
{
	(void)s;
	int *n = arg;
	return ++*n == 2 ? 42 : 0;
}

static void test_readers(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_tarball_begin(db, "x.tar", 1, 1, NULL), 0);
	/* Inserted out of order; listed by (node, context, session id). */
	assert_int_equal(add(db, "OWB", CTX, 7, 0, 1), INDEX_ADD_STORED);
	assert_int_equal(add(db, "OWA", "UNANONYMIZED", 9, 0, 1), INDEX_ADD_STORED);
	assert_int_equal(add(db, "OWA", CTX, 9, 2, 1), INDEX_ADD_STORED);
	assert_int_equal(add(db, "OWA", CTX, -1, 0, 1), INDEX_ADD_STORED);
	assert_int_equal(add(db, "OWA", CTX, 9, 0, 1), INDEX_ADD_STORED);
	assert_int_equal(add(db, "OWA", CTX, 9, 1, 1), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	index_db_close(db);

	/* Reopen read-only. */
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_READ), 0);
	struct collected c = { 0 };
	assert_int_equal(index_db_sessions(db, collect_session, &c), 0);
	assert_int_equal(c.n, 4);
	/* Byte order: "UNANONYMIZED" sorts before lowercase hex. */
	assert_string_equal(c.names[0], "OWA UNANONYMIZED");
	assert_string_equal(c.names[1], "OWA " CTX);
	assert_int_equal(c.sids[1], -1);
	assert_string_equal(c.names[2], "OWA " CTX);
	assert_int_equal(c.sids[2], 9);
	assert_string_equal(c.names[3], "OWB " CTX);
	int n = 0;
	assert_int_equal(index_db_sessions(db, stop_at_two, &n), 42);

	struct index_session s;
	assert_int_equal(
		index_db_find_session(db, &(struct bpass_session_key){"OWA", "UNANONYMIZED", 9}, &s), INDEX_FOUND);
	assert_int_equal(s.updates, 1);
	assert_int_equal(index_db_find_session(db, &(struct bpass_session_key){"OWA", CTX, 9}, &s), INDEX_FOUND);
	assert_int_equal(s.updates, 3);
	assert_int_equal(index_db_find_session(db, &(struct bpass_session_key){"OWA", NULL, 10}, &s), INDEX_NOT_FOUND);
	assert_int_equal(index_db_find_session(db, &(struct bpass_session_key){"OWC", NULL, 9}, &s), INDEX_NOT_FOUND);

	/* Updates in seq order, after a given seq. */
	struct index_update_iter *it;
	int32_t seq;
	const void *blob;
	size_t len;
	assert_int_equal(index_db_updates_begin(db, s.id, -1, &it), 0);
	for (int want = 0; want < 3; want++) {
		assert_int_equal(index_db_updates_next(it, &seq, &blob, &len), 1);
		assert_int_equal(seq, want);
		char expect[32];
		snprintf(expect, sizeof(expect), "OWA/9/%d", want);
		assert_int_equal(len, strlen(expect));
		assert_memory_equal(blob, expect, len);
		/* A second iterator while the first is open. */
		if (want == 1) {
			struct index_update_iter *it2;
			assert_int_equal(index_db_updates_begin(db, s.id, 1, &it2), 0);
			assert_int_equal(index_db_updates_next(it2, &seq, &blob, &len), 1);
			assert_int_equal(seq, 2);
			assert_int_equal(index_db_updates_next(it2, &seq, &blob, &len), 0);
			index_db_updates_end(it2);
		}
	}
	assert_int_equal(index_db_updates_next(it, &seq, &blob, &len), 0);
	index_db_updates_end(it);
	index_db_updates_end(NULL);
	assert_int_equal(index_db_updates_begin(db, s.id, 2, &it), 0);
	assert_int_equal(index_db_updates_next(it, &seq, &blob, &len), 0);
	index_db_updates_end(it);

	/* A reader cannot write. */
	assert_int_equal(index_db_tarball_begin(db, "y.tar", 1, 1, NULL), -1);
	index_db_close(db);
}

struct reject_list {
	char rows[8][200];
	int n;
};

static int collect_reject(void *arg, const struct index_reject *r)
{
	struct reject_list *l = arg;
	if (l->n < 8)
		snprintf(l->rows[l->n], sizeof(l->rows[l->n]), "%s|%s|%u|%s", r->tarball,
			 r->member ? r->member : "(none)", r->line, r->reason);
	l->n++;
	return 0;
}

struct reject_kinds {
	char rows[8][300];
	int n;
};

static int collect_reject_kind(void *arg, const struct index_reject *r)
{
	struct reject_kinds *l = arg;
	if (l->n < 8)
		snprintf(l->rows[l->n], sizeof(l->rows[l->n]), "%s|%s|%s|%s", r->tarball,
			 r->member ? r->member : "(none)",
			 r->kind == INDEX_REJECT_CONFLICT ? "conflict" : "rejected", r->reason);
	l->n++;
	return 0;
}

struct tar_list {
	char rows[8][200];
	int n;
};

static int collect_tarball(void *arg, const struct index_tarball *t)
{
	struct tar_list *l = arg;
	if (l->n < 8)
		snprintf(l->rows[l->n], sizeof(l->rows[l->n]), "%s %lld %lld %s %u %u %u %u [%s]",
			 t->name, (long long)t->size, (long long)t->mtime_ns,
			 index_tarball_status_name(t->status), t->members, t->updates,
			 t->rejected_members, t->duplicates, t->reason);
	l->n++;
	return 0;
}

static void test_rejects_and_partial(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	/* z.tar: damaged after its first member. */
	assert_int_equal(index_db_tarball_begin(db, "z.tar", 2048, 111, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 0, 10), INDEX_ADD_STORED);
	assert_int_equal(index_db_add_reject(db, NULL, 0, "could not read tarball: truncated"), 0);
	index_db_tarball_counts(db)->members = 1;
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_PARTIAL,
						 "could not read tarball: truncated"), 0);
	/* m.tar: wrong md5. */
	assert_int_equal(index_db_tarball_begin(db, "m_1_2_0123.tar", 10, 5, NULL), 0);
	assert_int_equal(index_db_add_reject(db, NULL, 0, "wrong md5"), 0);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_REJECTED, "wrong md5"), 0);
	/* a.tar: two bad members. */
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 10, 5, "0123abcd"), 0);
	assert_int_equal(index_db_add_reject(db, "x-1-0.gz", 12, "line 12: bad"), 0);
	assert_int_equal(index_db_add_reject(db, "x-1-1.gz", 0, "not gzip"), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 5, 60), INDEX_ADD_STORED);
	index_db_tarball_counts(db)->members = 3;
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);

	struct reject_list r = { 0 };
	assert_int_equal(index_db_rejects(db, collect_reject, &r), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.rows[0], "a.tar|x-1-0.gz|12|line 12: bad");
	assert_string_equal(r.rows[1], "a.tar|x-1-1.gz|0|not gzip");
	assert_string_equal(r.rows[2], "m_1_2_0123.tar|(none)|0|wrong md5");
	assert_string_equal(r.rows[3], "z.tar|(none)|0|could not read tarball: truncated");

	struct tar_list t = { 0 };
	assert_int_equal(index_db_tarballs(db, collect_tarball, &t), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.rows[0], "a.tar 10 5 indexed 3 1 2 0 []");
	assert_string_equal(t.rows[1], "m_1_2_0123.tar 10 5 rejected 0 0 0 0 [wrong md5]");
	assert_string_equal(t.rows[2],
			    "z.tar 2048 111 partial 1 1 0 0 [could not read tarball: truncated]");

	/* z.tar is complete now: examined again, its first update is not a duplicate. */
	assert_int_equal(index_db_tarball_begin(db, "z.tar", 4096, 222, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 0, 10), INDEX_ADD_STORED_BEFORE);
	assert_int_equal(add(db, NODE, CTX, 1, 1, 40), INDEX_ADD_STORED);
	index_db_tarball_counts(db)->members = 2;
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	struct index_session s = find(db, NODE, 1);
	assert_int_equal(s.updates, 3);
	assert_int_equal(s.duplicates, 0);
	assert_int_equal(s.first_gap, 2);
	memset(&t, 0, sizeof(t));
	assert_int_equal(index_db_tarballs(db, collect_tarball, &t), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.rows[2], "z.tar 4096 222 indexed 2 2 0 0 []");
	memset(&r, 0, sizeof(r));
	assert_int_equal(index_db_rejects(db, collect_reject, &r), 0);
	assert_int_equal(r.n, 3);   /* z.tar's old reject is gone */
	index_db_close(db);
}

/* Two different updates with the same key: the second is a conflicting
 * duplicate, not a plain one. It is not stored; where the stored one came from
 * (tarball and member) is told; it is recorded as a reject of kind
 * "conflict" and counted apart from the duplicates, in the tarball row too. */
static void test_conflicting_duplicates(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 1, 1, NULL), 0);
	assert_int_equal(add_blob(db, 1, 0, "first", "OW-1-0.gz"), 1);
	assert_int_equal(add_blob(db, 1, 1, "one", "OW-1-1.gz"), 1);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);

	assert_int_equal(index_db_tarball_begin(db, "b.tar", 1, 1, NULL), 0);
	assert_int_equal(add_blob(db, 1, 1, "one", "again-1.gz"), 0);     /* the same: a duplicate */
	assert_int_equal(add_blob(db, 1, 0, "second", "other-0.gz"), 3);  /* different: a conflict */
	const char *tarball = NULL, *member = NULL;
	index_db_stored_origin(db, &tarball, &member);
	assert_string_equal(tarball, "a.tar");
	assert_string_equal(member, "OW-1-0.gz");
	assert_int_equal(index_db_add_conflict(db, "other-0.gz", "differs from the stored one"), 0);
	assert_int_equal(add_blob(db, 1, 2, "two", "OW-1-2.gz"), 1);
	struct index_tarball_counts *c = index_db_tarball_counts(db);
	assert_int_equal(c->updates, 1);
	assert_int_equal(c->duplicates, 1);
	assert_int_equal(c->conflicts, 1);
	assert_int_equal(c->rejected_members, 0);
	c->members = 3;
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);

	/* The first one stays. */
	struct index_session s = find(db, NODE, 1);
	assert_int_equal(s.updates, 3);
	assert_int_equal(s.duplicates, 2);   /* both second arrivals were dropped */
	struct index_update_iter *it;
	int32_t seq;
	const void *blob;
	size_t len;
	assert_int_equal(index_db_updates_begin(db, s.id, -1, &it), 0);
	assert_int_equal(index_db_updates_next(it, &seq, &blob, &len), 1);
	assert_int_equal(seq, 0);
	assert_int_equal(len, 5);
	assert_memory_equal(blob, "first", 5);
	index_db_updates_end(it);
	assert_int_equal(sql_int("SELECT conflicts FROM tarballs WHERE name = 'b.tar'"), 1);
	assert_int_equal(sql_int("SELECT duplicates FROM tarballs WHERE name = 'b.tar'"), 1);
	assert_int_equal(sql_int("SELECT rejected_members FROM tarballs WHERE name = 'b.tar'"), 0);

	struct reject_kinds r = { 0 };
	assert_int_equal(index_db_rejects(db, collect_reject_kind, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.rows[0], "b.tar|other-0.gz|conflict|differs from the stored one");

	/* A tarball examined again whose member changed content: a conflict with
	 * its own earlier examination; an unchanged one is neither. */
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 2, 2, NULL), 0);
	assert_int_equal(add_blob(db, 1, 0, "first", "OW-1-0.gz"), 2);
	assert_int_equal(add_blob(db, 1, 1, "uno", "OW-1-1.gz"), 3);
	index_db_stored_origin(db, &tarball, &member);
	assert_string_equal(tarball, "a.tar");
	assert_string_equal(member, "OW-1-1.gz");
	index_db_tarball_abort(db);
	index_db_close(db);
}

/* An index written by a bpass before conflicts were recorded (schema 1) is
 * upgraded by the first writer; a reader says to run bpass index first. */
static void test_schema_upgrade(void **state)
{
	(void)state;
	remove_index();
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	static const char v1[] =
		"CREATE TABLE tarballs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
		"size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, md5 TEXT NOT NULL DEFAULT '', "
		"status TEXT NOT NULL CHECK (status IN ('indexed', 'partial', 'rejected')), "
		"reason TEXT, members INTEGER NOT NULL DEFAULT 0, updates INTEGER NOT NULL DEFAULT 0, "
		"rejected_members INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, "
		"indexed_at INTEGER NOT NULL);"
		"CREATE TABLE rejects (id INTEGER PRIMARY KEY, tarball INTEGER NOT NULL REFERENCES "
		"tarballs(id), member TEXT, line INTEGER, reason TEXT NOT NULL);"
		"CREATE INDEX rejects_by_tarball ON rejects(tarball);"
		"CREATE TABLE sessions (id INTEGER PRIMARY KEY, node_id TEXT NOT NULL, context TEXT "
		"NOT NULL, session_id INTEGER NOT NULL, updates INTEGER NOT NULL, duplicates INTEGER "
		"NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, first_gap INTEGER, "
		"blob_bytes INTEGER NOT NULL, first_timestamp INTEGER NOT NULL, last_timestamp "
		"INTEGER NOT NULL, UNIQUE (node_id, context, session_id));"
		"CREATE TABLE updates (id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES "
		"sessions(id), seq INTEGER NOT NULL, tarball INTEGER NOT NULL REFERENCES tarballs(id), "
		"version INTEGER NOT NULL, timestamp INTEGER NOT NULL, packets INTEGER NOT NULL, "
		"blob BLOB NOT NULL, UNIQUE (session, seq));"
		"INSERT INTO tarballs VALUES (1, 'old.tar', 1, 1, '', 'indexed', NULL, 1, 1, 0, 0, 0);"
		"INSERT INTO rejects VALUES (1, 1, 'bad.gz', 3, 'line 3: bad');"
		"INSERT INTO sessions VALUES (1, '" NODE "', '" CTX "', 1, 1, 0, 0, 0, NULL, 3, 30, 30);"
		"INSERT INTO updates VALUES (1, 1, 0, 1, 5, 30, 7, 'abc');"
		"PRAGMA user_version = 1;";
	assert_int_equal(sqlite3_exec(h, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_READ), -1);
	assert_int_equal(sql_int("PRAGMA user_version"), 1);   /* readers never write */
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(sql_int("PRAGMA user_version"), 2);
	/* The old rows are kept; the stored update's member is unknown. */
	assert_int_equal(index_db_tarball_begin(db, "new.tar", 1, 1, NULL), 0);
	assert_int_equal(add_blob(db, 1, 0, "abd", "x.gz"), 3);
	const char *tarball = NULL, *member = NULL;
	index_db_stored_origin(db, &tarball, &member);
	assert_string_equal(tarball, "old.tar");
	assert_string_equal(member, "");
	assert_int_equal(add_blob(db, 1, 0, "abc", "y.gz"), 0);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	index_db_close(db);
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_READ), 0);
	struct reject_kinds r = { 0 };
	assert_int_equal(index_db_rejects(db, collect_reject_kind, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.rows[0], "old.tar|bad.gz|rejected|line 3: bad");
	index_db_close(db);
}

static void test_abort(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 0, 10), INDEX_ADD_STORED);
	index_db_tarball_abort(db);
	index_db_tarball_abort(db);   /* no-op */
	struct index_session s;
	assert_int_equal(index_db_find_session(db, &(struct bpass_session_key){NODE, NULL, 1}, &s), INDEX_NOT_FOUND);
	/* Begin, then close without committing: rolled back too. */
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 0, 10), INDEX_ADD_STORED);
	index_db_close(db);
	assert_int_equal(sql_int("SELECT count(*) FROM updates"), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM tarballs"), 0);
	/* Calls out of sequence fail cleanly. */
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 0, 10), -1);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), -1);
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 1, 1, NULL), 0);
	assert_int_equal(index_db_tarball_begin(db, "b.tar", 1, 1, NULL), -1);
	index_db_tarball_abort(db);
	index_db_close(db);
}

/* A group: several tarballs in one transaction. Nothing is visible before
 * the group commits; a failure or a close before it loses the whole group;
 * after it, every tarball is whole, with its own counts and sessions. */
static void test_groups(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_group_commit(db), -1);   /* none begun */
	assert_int_equal(index_db_group_begin(db), 0);
	assert_int_equal(index_db_group_begin(db), -1);    /* one at a time */
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 0, 10), INDEX_ADD_STORED);
	assert_int_equal(add(db, NODE, CTX, 1, 1, 20), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	assert_int_equal(index_db_tarball_begin(db, "b.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 1, 20), INDEX_ADD_DUPLICATE);
	assert_int_equal(add(db, NODE, CTX, 1, 3, 40), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	/* Not committed yet: another connection sees nothing. */
	assert_int_equal(sql_int("SELECT count(*) FROM tarballs"), 0);
	assert_int_equal(index_db_group_commit(db), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM tarballs"), 2);
	assert_int_equal(sql_int("SELECT updates FROM tarballs WHERE name = 'a.tar'"), 2);
	assert_int_equal(sql_int("SELECT duplicates FROM tarballs WHERE name = 'b.tar'"), 1);
	struct index_session s = find(db, NODE, 1);
	assert_int_equal(s.updates, 3);
	assert_int_equal(s.duplicates, 1);
	assert_int_equal(s.last_seq, 3);
	assert_int_equal(s.first_gap, 2);

	/* A failure in the second tarball of a group rolls back the first too. */
	assert_int_equal(index_db_group_begin(db), 0);
	assert_int_equal(index_db_tarball_begin(db, "c.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 2, 30), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	assert_int_equal(index_db_tarball_begin(db, "d.tar", 1, 1, NULL), 0);
	index_db_tarball_abort(db);
	assert_int_equal(index_db_group_commit(db), -1);
	assert_int_equal(sql_int("SELECT count(*) FROM tarballs"), 2);
	assert_int_equal(sql_int("SELECT count(*) FROM updates"), 3);
	/* A close inside a group (a killed indexer) loses the group. */
	assert_int_equal(index_db_group_begin(db), 0);
	assert_int_equal(index_db_tarball_begin(db, "c.tar", 1, 1, NULL), 0);
	assert_int_equal(add(db, NODE, CTX, 1, 2, 30), INDEX_ADD_STORED);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	index_db_close(db);
	assert_int_equal(sql_int("SELECT count(*) FROM tarballs"), 2);
	assert_int_equal(sql_int("SELECT count(*) FROM updates"), 3);
}

/* The checkpointer copies the WAL back on its own thread once a commit
 * leaves 1000 pages in it; the index stays whole. */
static void test_checkpointer(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_checkpointer_start(db), 0);
	assert_int_equal(index_db_checkpointer_start(db), 0);   /* once */
	static char big[20000];
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 0;
	char name[32];
	for (int t = 0; t < 40; t++) {
		snprintf(name, sizeof(name), "t%02d.tar", t);
		assert_int_equal(index_db_tarball_begin(db, name, 1, 1, NULL), 0);
		for (int i = 0; i < 20; i++) {
			big[0] = (char)('a' + i);
			assert_int_equal(add_blob(db, t, i, big, "m"), INDEX_ADD_STORED);
		}
		assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	}
	index_db_checkpointer_stop(db);
	assert_true(index_db_checkpoints(db) >= 1);
	index_db_checkpointer_stop(db);   /* no-op */
	index_db_close(db);
	assert_int_equal(sql_int("SELECT count(*) FROM updates"), 800);
	assert_int_equal(sql_int("SELECT count(*) FROM tarballs"), 40);
}

static void test_lock(void **state)
{
	(void)state;
	remove_index();
	struct index_db *a, *b;
	assert_int_equal(index_db_open(&a, path, INDEX_OPEN_WRITE), 0);
	/* A second writer is told "busy", by name, without a word about flags. */
	fflush(stderr);
	FILE *cap = tmpfile();
	int saved = dup(2);
	dup2(fileno(cap), 2);
	int rc = index_db_open(&b, path, INDEX_OPEN_WRITE);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	char msg[1000] = "";
	msg[fread(msg, 1, sizeof(msg) - 1, cap)] = 0;
	fclose(cap);
	assert_int_equal(rc, INDEX_DB_BUSY);
	assert_null(b);
	char want[1000];
	snprintf(want, sizeof(want), "bpass: error: index \"%s\" is being written by another "
		 "bpass index (pid %ld)\n", path, (long)getpid());
	assert_string_equal(msg, want);
	/* Readers are not locked out, even during a write; they see committed data only. */
	assert_int_equal(index_db_tarball_begin(a, "a.tar", 1, 1, NULL), 0);
	assert_int_equal(add(a, NODE, CTX, 1, 0, 10), INDEX_ADD_STORED);
	struct index_db *r;
	assert_int_equal(index_db_open(&r, path, INDEX_OPEN_READ), 0);
	struct index_session s;
	assert_int_equal(index_db_find_session(r, &(struct bpass_session_key){NODE, NULL, 1}, &s), INDEX_NOT_FOUND);
	assert_int_equal(index_db_tarball_commit(a, INDEX_TARBALL_INDEXED, NULL), 0);
	assert_int_equal(index_db_find_session(r, &(struct bpass_session_key){NODE, NULL, 1}, &s), INDEX_FOUND);
	index_db_close(r);
	/* The lock file holds the pid of the writer while it writes, and nothing after. */
	char lp[400];
	index_db_lock_path(path, lp, sizeof(lp));
	FILE *f = fopen(lp, "r");
	assert_non_null(f);
	long pid = 0;
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_int_equal(pid, (long)getpid());
	index_db_close(a);
	f = fopen(lp, "r");
	assert_non_null(f);
	assert_int_equal(fgetc(f), EOF);
	fclose(f);
	assert_int_equal(index_db_open(&b, path, INDEX_OPEN_WRITE | INDEX_OPEN_SYNC_NORMAL), 0);
	index_db_close(b);
}

static void test_bad_files(void **state)
{
	(void)state;
	struct index_db *db;
	char p[400];
	snprintf(p, sizeof(p), "%s/missing.sqlite", dir);
	assert_int_equal(index_db_open(&db, p, INDEX_OPEN_READ), -1);
	assert_null(db);
	assert_int_equal(access(p, F_OK), -1);   /* reading never creates */
	/* A folder. */
	assert_int_equal(index_db_open(&db, dir, INDEX_OPEN_READ), -1);
	/* Some other SQLite database. */
	snprintf(p, sizeof(p), "%s/other.sqlite", dir);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(index_db_open(&db, p, INDEX_OPEN_WRITE), -1);
	assert_int_equal(index_db_open(&db, p, INDEX_OPEN_READ), -1);
	/* A newer bpass index. */
	snprintf(p, sizeof(p), "%s/newer.sqlite", dir);
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(index_db_open(&db, p, INDEX_OPEN_WRITE), -1);
	assert_int_equal(index_db_open(&db, p, INDEX_OPEN_READ), -1);
	/* Not a database at all. */
	snprintf(p, sizeof(p), "%s/text.sqlite", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("this is not an SQLite database, just some text long enough to look at\n", f);
	fclose(f);
	assert_int_equal(index_db_open(&db, p, INDEX_OPEN_READ), -1);
	assert_int_equal(index_db_open(&db, p, INDEX_OPEN_WRITE), -1);
}

static void test_many_sessions(void **state)
{
	(void)state;
	remove_index();
	struct index_db *db;
	assert_int_equal(index_db_open(&db, path, INDEX_OPEN_WRITE), 0);
	/* 300 sessions in one tarball (grows the in-memory map), each 0, 2. */
	assert_int_equal(index_db_tarball_begin(db, "a.tar", 1, 1, NULL), 0);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(add(db, NODE, CTX, i, 0, i), INDEX_ADD_STORED);
		assert_int_equal(add(db, NODE, CTX, i, 2, i + 60), INDEX_ADD_STORED);
	}
	for (int i = 0; i < 300; i += 7)
		assert_int_equal(add(db, NODE, CTX, i, 2, i + 60), INDEX_ADD_DUPLICATE);
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	for (int i = 0; i < 300; i++) {
		struct index_session s = find(db, NODE, i);
		assert_int_equal(s.updates, 2);
		assert_int_equal(s.duplicates, i % 7 == 0 ? 1 : 0);
		assert_int_equal(s.first_gap, 1);
		assert_int_equal(s.first_timestamp_s, i);
		assert_int_equal(s.last_timestamp_s, i + 60);
	}
	index_db_close(db);
}

/* The shard of a tarball is FNV-1a (32 bits) of its node id, the name up to
 * the first '_': pinned values (a sharded index written by one version must
 * be extended by the next), the same shard for every tarball of a node. */
static void test_shard_of(void **state)
{
	(void)state;
	assert_int_equal(index_shard_of("OW0123456789AB", 1u << 31), 0x83259033u % (1u << 31));
	assert_int_equal(index_shard_of("OW0123456789AB_2012-05-15_18-00-00.tar", 7), 6);
	assert_int_equal(index_shard_of("OW0123456789AB_2013-01-01_00-00-00_abc.tar.gz", 7), 6);
	assert_int_equal(index_shard_of("OWC43DC7FC820E_x.tar", 256), 239);
	assert_int_equal(index_shard_of("", 5), 2166136261u % 5);
	assert_int_equal(index_shard_of("anything", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_index),
		cmocka_unit_test(test_store_and_gap),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_rejects_and_partial),
		cmocka_unit_test(test_conflicting_duplicates),
		cmocka_unit_test(test_schema_upgrade),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_checkpointer),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_many_sessions),
		cmocka_unit_test(test_shard_of),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
