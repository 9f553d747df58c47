/*
 * tests/unit/test_results.c: the result tables writer (harness/results.h):
 * CSV quoting by RFC 4180, JSON Lines, every cell kind (the ISO-8601
 * formatting itself is tested in test_timeutil.c), wrong cell counts, bad and repeated table names, and that a table appears
 * only when closed (temporary name, then rename); staged publication: the
 * staging folder of a run that is gone removed, tables moved in together,
 * a name written twice refused with both writers named, the tables of
 * earlier runs removed from a folder bpass owns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "results.h"
#include "state_file.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/bpass-results.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *name)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct buf b;
	buf_init(&b);
	if (state_file_read(path, &b) != 0) {
		buf_release(&b);
		return NULL;
	}
	return b.data;
}

static const char *const cols[] = {"name", "n", "u", "x", "empty", "t_us", "t_s", NULL};

static void write_rows(struct bpass_results *r, struct bpass_table *t)
{
	r->str(t, "plain");
	r->i64(t, -42);
	r->u64(t, UINT64_MAX);
	r->f64(t, 0.1);
	r->null(t);
	r->iso_us(t, 1337104800512345LL);
	r->iso_s(t, 1337104800);
	assert_int_equal(r->row_end(t), 0);
	r->str(t, "a,b \"q\"\nline");
	r->i64(t, 0);
	r->u64(t, 0);
	r->f64(t, INFINITY);
	r->str(t, "");
	r->iso_us(t, 0);
	r->iso_s(t, 0);
	assert_int_equal(r->row_end(t), 0);
}

static void test_csv(void **unused)
{
	(void)unused;
	struct results res;
	assert_int_equal(results_init(&res, dir, false), 0);
	struct bpass_results *r = &res.r;
	struct bpass_table *t = r->table(r, "kinds", cols);
	assert_non_null(t);
	write_rows(r, t);
	/* Not visible before close. */
	assert_null(slurp("kinds.csv"));
	assert_int_equal(r->close(t), 0);
	char *got = slurp("kinds.csv");
	assert_non_null(got);
	assert_string_equal(got,
			    "name,n,u,x,empty,t_us,t_s\n"
			    "plain,-42,18446744073709551615,0.10000000000000001,,"
			    "2012-05-15T18:00:00.512345Z,2012-05-15T18:00:00Z\n"
			    "\"a,b \"\"q\"\"\nline\",0,0,inf,,1970-01-01T00:00:00.000000Z,"
			    "1970-01-01T00:00:00Z\n");
	free(got);
	/* A header cell that needs quoting is quoted too. */
	static const char *const odd[] = {"a,b", NULL};
	t = r->table(r, "odd", odd);
	r->i64(t, 1);
	assert_int_equal(r->row_end(t), 0);
	assert_int_equal(r->close(t), 0);
	got = slurp("odd.csv");
	assert_string_equal(got, "\"a,b\"\n1\n");
	free(got);
	assert_false(results_failed(&res));
	results_release(&res);
}

static void test_json(void **unused)
{
	(void)unused;
	struct results res;
	assert_int_equal(results_init(&res, dir, true), 0);
	struct bpass_results *r = &res.r;
	struct bpass_table *t = r->table(r, "kinds", cols);
	assert_non_null(t);
	write_rows(r, t);
	assert_int_equal(r->close(t), 0);
	char *got = slurp("kinds.jsonl");
	assert_non_null(got);
	assert_string_equal(got,
			    "{\"name\":\"plain\",\"n\":-42,\"u\":18446744073709551615,"
			    "\"x\":0.10000000000000001,\"empty\":null,"
			    "\"t_us\":\"2012-05-15T18:00:00.512345Z\",\"t_s\":\"2012-05-15T18:00:00Z\"}\n"
			    "{\"name\":\"a,b \\\"q\\\"\\u000aline\",\"n\":0,\"u\":0,\"x\":null,\"empty\":\"\","
			    "\"t_us\":\"1970-01-01T00:00:00.000000Z\",\"t_s\":\"1970-01-01T00:00:00Z\"}\n");
	free(got);
	results_release(&res);
}

static void test_errors(void **unused)
{
	(void)unused;
	log_set_quiet(true);
	struct results res;
	assert_int_equal(results_init(&res, dir, false), 0);
	struct bpass_results *r = &res.r;
	static const char *const two[] = {"a", "b", NULL};
	/* Too few cells. */
	struct bpass_table *t = r->table(r, "short_row", two);
	r->i64(t, 1);
	assert_int_equal(r->row_end(t), -1);
	assert_int_equal(r->close(t), -1);
	assert_null(slurp("short_row.csv"));
	assert_true(results_failed(&res));
	/* Too many cells. */
	t = r->table(r, "long_row", two);
	r->i64(t, 1);
	r->i64(t, 2);
	r->i64(t, 3);
	assert_int_equal(r->row_end(t), -1);
	assert_int_equal(r->close(t), -1);
	assert_null(slurp("long_row.csv"));
	/* A row left open. */
	t = r->table(r, "open_row", two);
	r->i64(t, 1);
	assert_int_equal(r->close(t), -1);
	/* Names that would escape the folder, and names used twice. */
	assert_null(r->table(r, "../x", two));
	assert_null(r->table(r, "", two));
	assert_null(r->table(r, "Upper", two));
	t = r->table(r, "once", two);
	assert_non_null(t);
	assert_int_equal(r->close(t), 0);
	assert_null(r->table(r, "once", two));
	/* No columns. */
	static const char *const none[] = {NULL};
	assert_null(r->table(r, "none", none));
	/* A table left open is dropped by results_release. */
	t = r->table(r, "left_open", two);
	assert_non_null(t);
	r->i64(t, 1);
	r->i64(t, 2);
	assert_int_equal(r->row_end(t), 0);
	results_release(&res);
	assert_null(slurp("left_open.csv"));
	/* Only the good table exists, with its header. */
	char *got = slurp("once.csv");
	assert_string_equal(got, "a,b\n");
	free(got);
	char path[400];
	snprintf(path, sizeof(path), "%s/none.csv", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	/* An output folder that cannot be created. */
	assert_int_equal(results_init(&res, "/proc/no/such/folder", false), -1);
	results_release(&res);
}

/* The output folder and its parents are created. */
static void test_mkdirs(void **unused)
{
	(void)unused;
	char sub[400];
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	struct results res;
	assert_int_equal(results_init(&res, sub, false), 0);
	static const char *const one[] = {"v", NULL};
	struct bpass_table *t = res.r.table(&res.r, "t", one);
	res.r.f64(t, 2.5);
	assert_int_equal(res.r.row_end(t), 0);
	assert_int_equal(res.r.close(t), 0);
	results_release(&res);
	char name[40];
	snprintf(name, sizeof(name), "a/b/c/t.csv");
	char *got = slurp(name);
	assert_string_equal(got, "v\n2.5\n");
	free(got);
}

/* Tables a run did not write are removed from a folder bpass owns; other files stay. */
static void test_remove_others(void **unused)
{
	(void)unused;
	char sub[400];
	snprintf(sub, sizeof(sub), "%s/own", dir);
	const char *const names[] = {"kept.csv", "old.csv", "old.jsonl", "notes.txt"};
	struct results res;
	assert_int_equal(results_init(&res, sub, false), 0);
	for (int i = 0; i < 4; i++) {
		char path[500];
		snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
		FILE *f = fopen(path, "w");
		fclose(f);
	}
	static const char *const one[] = {"v", NULL};
	struct bpass_table *t = res.r.table(&res.r, "kept", one);
	assert_int_equal(res.r.close(t), 0);
	assert_int_equal(results_remove_others(&res), 2);
	results_release(&res);
	char *got = slurp("own/kept.csv");
	assert_string_equal(got, "v\n");
	free(got);
	got = slurp("own/notes.txt");
	assert_non_null(got);
	free(got);
	assert_null(slurp("own/old.csv"));
	assert_null(slurp("own/old.jsonl"));
}

/* One table NAME with one row v, into folder d. */
static void stage_table(const char *d, const char *name, const char *v)
{
	struct results res;
	assert_int_equal(results_init(&res, d, false), 0);
	static const char *const one[] = {"v", NULL};
	struct bpass_table *t = res.r.table(&res.r, name, one);
	assert_non_null(t);
	res.r.str(t, v);
	assert_int_equal(res.r.row_end(t), 0);
	assert_int_equal(res.r.close(t), 0);
	results_release(&res);
}

static void test_publish(void **unused)
{
	(void)unused;
	char out[400], stale[500], old[500];
	snprintf(out, sizeof(out), "%s/pub", dir);
	/* A killed run's staging folder (pid 1 is running, 2^22 + 1 is not a pid)
	 * and a table of an earlier run. */
	snprintf(stale, sizeof(stale), "%s/.staging.4194305/x", out);
	assert_int_equal(fs_mkdirs(stale), 0);
	stage_table(stale, "junk", "j");
	stage_table(out, "old", "o");
	struct buf stage;
	buf_init(&stage);
	assert_int_equal(results_stage(out, &stage), 0);
	snprintf(old, sizeof(old), "%s/.staging.4194305", out);
	struct stat st;
	assert_int_equal(stat(old, &st), -1);
	char a[600], b[600];
	snprintf(a, sizeof(a), "%s/a", stage.data);
	snprintf(b, sizeof(b), "%s/b", stage.data);
	stage_table(stage.data, "sessions", "s");
	stage_table(a, "t1", "from a");
	stage_table(b, "t1", "from b");
	stage_table(b, "t2", "b2");
	/* Nothing is in place before publishing. */
	assert_null(slurp("pub/t1.csv"));
	const char *dirs[] = {stage.data, a, b};
	const char *owners[] = {"bpass", "processor \"a\"", "processor \"b\""};
	char errs[600];
	FILE *cap = tmpfile();
	fflush(stderr);
	int saved = dup(2);
	dup2(fileno(cap), 2);
	int rc = results_publish(out, dirs, owners, 3, false, true);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	errs[fread(errs, 1, sizeof(errs) - 1, cap)] = 0;
	fclose(cap);
	assert_int_equal(rc, -1);
	assert_string_equal(errs, "bpass: error: could not publish results table \"t1\" of processor "
				  "\"b\": processor \"a\" wrote one too\n");
	char *got = slurp("pub/t1.csv");
	assert_string_equal(got, "v\nfrom a\n");
	free(got);
	got = slurp("pub/t2.csv");
	assert_string_equal(got, "v\nb2\n");
	free(got);
	got = slurp("pub/sessions.csv");
	assert_string_equal(got, "v\ns\n");
	free(got);
	assert_null(slurp("pub/old.csv"));
	results_unstage(stage.data);
	assert_int_equal(stat(stage.data, &st), -1);
	buf_release(&stage);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_mkdirs),
		cmocka_unit_test(test_remove_others),
		cmocka_unit_test(test_publish),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
