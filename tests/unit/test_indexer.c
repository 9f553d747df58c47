/*
 * tests/unit/test_indexer.c: the indexer (index/indexer.h) end to end in a
 * scratch folder: tarballs written by the real tar and gzip from the
 * update-format.md §13 examples, a real SQLite index read back through
 * index_db.h. The counts of a run; a broken member (malformed, not gzip,
 * empty) costs only itself; a re-run over an unchanged folder reads nothing;
 * two jobs give the same index as one; a changed tarball is examined again;
 * a cut .tar.gz keeps what it holds; the quiet period; conflicting
 * duplicates; a folder that is not one.
 * Must run from the repository top (the fixtures), as tests/run.sh does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "index_db.h"
#include "indexer.h"
#include "log.h"

#define NODE "OW0123456789AB"
#define S5 "1337104800512345"
#define S2 "1323458422078234"
#define SPEC "tests/fixtures/spec"

static char dir[256];
static char top[1024];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static const char *at(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* The members every test starts from, in dir/m: the three spec examples
 * gzipped under their router names, upd-N.gz (the §13.2 update with sequence
 * number N, N = 2..6), and three broken ones. */
static int setup(void **state)
{
	(void)state;
	if (!getcwd(top, sizeof(top)))
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/bpass-indexer.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	log_set_quiet(true);
	sh("mkdir m u");
	sh("gzip -c '%s/" SPEC "/v5-seq0.txt' > m/" NODE "-" S5 "-0.gz", top);
	sh("gzip -c '%s/" SPEC "/v5-seq1.txt' > m/" NODE "-" S5 "-1.gz", top);
	sh("gzip -c '%s/" SPEC "/v2-http.txt' > m/" NODE "-" S2 "-17.gz", top);
	for (int n = 2; n <= 6; n++)
		sh("sed '3s/^" NODE " " S5 " 1 1337104860$/" NODE " " S5 " %d %d/' "
		   "'%s/" SPEC "/v5-seq1.txt' | gzip -c > m/upd-%d.gz", n, 1337104830 + 30 * n, top,
		   n);
	/* Broken: a malformed packet line (line 16), plain text named .gz, empty. */
	sh("sed '16s/^0 75 10422$/0 75/' '%s/" SPEC "/v5-seq0.txt' | gzip -c > m/malformed.gz", top);
	sh("cp '%s/" SPEC "/v5-seq1.txt' m/not-gzip.gz && : > m/empty.gz", top);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh updates folder and index for each test. */
static void reset(void)
{
	sh("rm -rf u idx idx.lock idx-wal idx-shm idx2 idx2.lock idx2-wal idx2-shm && mkdir u");
}

static struct indexer_options opts(int jobs)
{
	return (struct indexer_options){ .jobs = jobs, .quiet_period_s = 0 };
}

/* Every session of an index as "node,session_id,updates,duplicates,first,last,gap;". */
static int add_session(void *arg, const struct index_session *s)
{
	buf_printf(arg, "%s,%lld,%u,%u,%d,%d,%d;", s->node_id, (long long)s->session_id,
		   s->updates, s->duplicates, s->first_seq, s->last_seq, s->first_gap);
	return 0;
}

static int add_reject(void *arg, const struct index_reject *r)
{
	buf_printf(arg, "%s|%s|%u|%s|%s;", r->tarball, r->member ? r->member : "",
		   r->line, index_reject_kind_name(r->kind), r->reason);
	return 0;
}

static char *listing(const char *index, bool rejects)
{
	struct index_db *db;
	assert_int_equal(index_db_open(&db, at(index), INDEX_OPEN_READ), 0);
	struct buf b;
	buf_init(&b);
	assert_int_equal(rejects ? index_db_rejects(db, add_reject, &b)
				 : index_db_sessions(db, add_session, &b), 0);
	index_db_close(db);
	char *s = xstrdup(b.data);
	buf_release(&b);
	return s;
}

static void test_counts(void **state)
{
	(void)state;
	reset();
	sh("cd m && tar -cf ../u/" NODE "_2012-05-15_18-00-00.tar " NODE "-" S5 "-0.gz " NODE "-" S5
	   "-1.gz");
	sh("cd m && tar -czf ../u/" NODE "_2011-12-09_20-00-00.tar.gz " NODE "-" S2 "-17.gz");
	sh("echo not a tarball > u/README && mkdir u/sub.tar");
	struct indexer_options o = opts(1);
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_found, 2);
	assert_int_equal(st.tarballs_indexed, 2);
	assert_int_equal(st.tarballs_partial + st.tarballs_rejected + st.tarballs_skipped, 0);
	assert_int_equal(st.members, 3);
	assert_int_equal(st.updates, 3);
	assert_int_equal(st.duplicates + st.conflicts + st.rejected_members, 0);
	assert_true(st.blob_bytes > 0);
	char *s = listing("idx", false);
	assert_string_equal(s, NODE ",1323458422078234,1,0,17,17,-1;"
			       NODE ",1337104800512345,2,0,0,1,-1;");
	free(s);
	s = listing("idx", true);
	assert_string_equal(s, "");
	free(s);
}

/* A broken member is rejected on its own, with its reason (and line); the
 * good members before and after it in the same tarball are indexed. */
static void test_broken_member_costs_only_itself(void **state)
{
	(void)state;
	reset();
	sh("cd m && tar -cf ../u/" NODE "_2012-05-15_18-00-00.tar upd-2.gz malformed.gz upd-3.gz "
	   "not-gzip.gz empty.gz upd-4.gz");
	sh("cd m && tar -cf ../u/" NODE "_2012-05-15_19-00-00.tar upd-5.gz");
	struct indexer_options o = opts(1);
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_indexed, 2);
	assert_int_equal(st.tarballs_rejected + st.tarballs_partial, 0);
	assert_int_equal(st.members, 7);
	assert_int_equal(st.updates, 4);
	assert_int_equal(st.rejected_members, 3);
	char *s = listing("idx", false);
	assert_string_equal(s, NODE ",1337104800512345,4,0,2,5,-1;");
	free(s);
	s = listing("idx", true);
	assert_string_equal(s,
		NODE "_2012-05-15_18-00-00.tar|malformed.gz|16|rejected|line 16 (section packet "
		"series): packet line has 2 fields, expected 3;"
		NODE "_2012-05-15_18-00-00.tar|not-gzip.gz|0|rejected|not gzip;"
		NODE "_2012-05-15_18-00-00.tar|empty.gz|0|rejected|empty member;");
	free(s);
}

/* A re-run over an unchanged folder reads nothing and changes nothing; with
 * two jobs, or seven, the index is the same as with one. */
static void test_rerun_reads_nothing(void **state)
{
	(void)state;
	reset();
	for (int h = 0; h < 4; h++)
		sh("cd m && tar -cf ../u/" NODE "_2012-05-15_1%d-00-00.tar upd-%d.gz malformed.gz", h,
		   h + 2);
	struct indexer_options o = opts(2);
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_indexed, 4);
	assert_int_equal(st.updates, 4);
	char *sessions = listing("idx", false), *rejects = listing("idx", true);

	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_found, 4);
	assert_int_equal(st.tarballs_skipped, 4);
	assert_int_equal(st.tarballs_indexed + st.tarballs_changed, 0);
	assert_int_equal(st.members + st.updates + st.bytes_in, 0);
	char *s = listing("idx", false);
	assert_string_equal(s, sessions);
	free(s);
	s = listing("idx", true);
	assert_string_equal(s, rejects);
	free(s);

	/* One job gives the same index. */
	o = opts(1);
	assert_int_equal(indexer_run(at("u"), at("idx2"), &o, &st), 0);
	s = listing("idx2", false);
	assert_string_equal(s, sessions);
	free(s);
	s = listing("idx2", true);
	assert_string_equal(s, rejects);
	free(s);
	/* And so do more reader threads than tarballs. */
	o = opts(7);
	assert_int_equal(indexer_run(at("u"), at("idx3"), &o, &st), 0);
	assert_int_equal(st.tarballs_indexed, 4);
	s = listing("idx3", false);
	assert_string_equal(s, sessions);
	free(s);
	s = listing("idx3", true);
	assert_string_equal(s, rejects);
	free(s);
	free(sessions);
	free(rejects);
}

/* A tarball that changes after it was indexed is examined again: its new
 * updates are stored, the ones it already gave are neither new nor duplicates. */
static void test_changed_tarball(void **state)
{
	(void)state;
	reset();
	sh("cd m && tar -cf ../u/" NODE "_2012-05-15_18-00-00.tar upd-2.gz");
	struct indexer_options o = opts(1);
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.updates, 1);
	sh("cd m && tar -cf ../u/" NODE "_2012-05-15_18-00-00.tar upd-2.gz upd-3.gz && "
	   "touch -d '2012-05-15 18:05' ../u/" NODE "_2012-05-15_18-00-00.tar");
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_changed, 1);
	assert_int_equal(st.tarballs_indexed, 1);
	assert_int_equal(st.updates, 1);
	assert_int_equal(st.duplicates, 0);
	char *s = listing("idx", false);
	assert_string_equal(s, NODE ",1337104800512345,2,0,2,3,-1;");
	free(s);
}

/* A .tar.gz cut in its last member keeps the members before the cut
 * (partial, "truncated gzip"), like a cut .tar; the complete file is then
 * examined again and adds the rest. */
static void test_cut_tar_gz_is_partial(void **state)
{
	(void)state;
	reset();
	sh("cd m && tar -czf ../full.tar.gz upd-2.gz upd-3.gz upd-4.gz");
	sh("head -c $(( $(wc -c < full.tar.gz) - 100 )) full.tar.gz > "
	   "u/" NODE "_2012-05-15_18-00-00.tar.gz");
	struct indexer_options o = opts(1);
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_partial, 1);
	assert_int_equal(st.updates, 2);
	char *s = listing("idx", true);
	char want[1024];
	snprintf(want, sizeof(want), NODE "_2012-05-15_18-00-00.tar.gz||0|rejected|could not read "
		 "tarball \"%s\": truncated gzip;", at("u/" NODE "_2012-05-15_18-00-00.tar.gz"));
	assert_string_equal(s, want);
	free(s);
	sh("cp full.tar.gz u/" NODE "_2012-05-15_18-00-00.tar.gz");
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_indexed, 1);
	assert_int_equal(st.updates, 1);
	assert_int_equal(st.duplicates, 0);
	s = listing("idx", false);
	assert_string_equal(s, NODE ",1337104800512345,3,0,2,4,-1;");
	free(s);
	s = listing("idx", true);
	assert_string_equal(s, "");
	free(s);
}

/* Files modified within the quiet period are not read, except a plain tar
 * that already ends with tar's end-of-archive blocks. */
static void test_quiet_period(void **state)
{
	(void)state;
	reset();
	/* A copy in progress: the first member of a tar, no end blocks. */
	sh("cd m && tar -cf ../full.tar upd-2.gz upd-3.gz");
	sh("head -c $(( 512 + ($(wc -c < m/upd-2.gz) + 511) / 512 * 512 )) full.tar > "
	   "u/" NODE "_2012-05-15_18-00-00.tar");
	sh("cd m && tar -cf ../u/" NODE "_2012-05-15_19-00-00.tar upd-4.gz");   /* complete */
	struct indexer_options o = opts(1);
	o.quiet_period_s = 60;
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_young, 1);
	assert_int_equal(st.tarballs_indexed, 1);
	assert_int_equal(st.updates, 1);
	/* Quiet for two minutes: read. */
	sh("touch -d '2 minutes ago' u/" NODE "_2012-05-15_18-00-00.tar");
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_young, 0);
	assert_int_equal(st.tarballs_skipped, 1);
	assert_int_equal(st.updates, 1);
	char *s = listing("idx", false);
	assert_string_equal(s, NODE ",1337104800512345,2,0,2,4,3;");
	free(s);
}

/* The same key with other content in a later tarball: kept apart. */
static void test_conflict(void **state)
{
	(void)state;
	reset();
	sh("cd m && tar -cf ../u/" NODE "_2012-05-15_18-00-00.tar upd-2.gz upd-3.gz");
	/* upd-2 with other pcap counts; upd-3 as it was (a plain duplicate). */
	sh("mkdir -p c && zcat m/upd-2.gz | sed '4s/^25 0 0$/26 0 0/' | gzip -c > c/upd-2.gz && "
	   "cp m/upd-3.gz c/upd-3.gz");
	sh("cd c && tar -cf ../u/" NODE "_2012-05-15_19-00-00.tar upd-2.gz upd-3.gz");
	struct indexer_options o = opts(1);
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.updates, 2);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.conflicts, 1);
	char *s = listing("idx", true);
	assert_string_equal(s, NODE "_2012-05-15_19-00-00.tar|upd-2.gz|0|conflict|update (node \""
			       NODE "\", context \"d8ed5acebaa9c7d364d16687864ccc2666576188\", "
			       "session 1337104800512345, seq 2) differs from the one stored "
			       "from member \"upd-2.gz\" of tarball \"" NODE
			       "_2012-05-15_18-00-00.tar\", which is kept;");
	free(s);
}

/* A run that cannot start creates nothing. */
static void test_bad_folder(void **state)
{
	(void)state;
	reset();
	struct indexer_options o = opts(1);
	struct indexer_stats st;
	assert_int_equal(indexer_run(at("missing"), at("idx"), &o, &st), -1);
	sh("echo x > file");
	assert_int_equal(indexer_run(at("file"), at("idx"), &o, &st), -1);
	assert_int_equal(indexer_run(at("u"), at("m"), &o, &st), -1);   /* a folder as the index */
	assert_int_equal(access(at("idx"), F_OK), -1);
	assert_int_equal(access(at("idx.lock"), F_OK), -1);
	assert_int_equal(access(at("m.lock"), F_OK), -1);
	/* An empty folder makes an empty index. */
	assert_int_equal(indexer_run(at("u"), at("idx"), &o, &st), 0);
	assert_int_equal(st.tarballs_found, 0);
	char *s = listing("idx", false);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_broken_member_costs_only_itself),
		cmocka_unit_test(test_rerun_reads_nothing),
		cmocka_unit_test(test_changed_tarball),
		cmocka_unit_test(test_cut_tar_gz_is_partial),
		cmocka_unit_test(test_quiet_period),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_bad_folder),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
