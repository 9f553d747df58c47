/*
 * tests/unit/test_plot_csv.c: the result-table reader of `bpass plot`.
 * Hand-written files cover RFC 4180 quoting (commas, doubled quotes and line
 * breaks inside quotes), CRLF and CR line ends, a byte-order mark, blank
 * lines, columns found by name in any order, short rows, numbers with blanks
 * and decimals, an absent file, an empty file and an unterminated quote;
 * JSON Lines tables read through the same calls (NAME.jsonl for NAME.csv).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "plot_csv.h"

static char path[64];

static const char *write_tmp(const char *content, size_t len)
{
	snprintf(path, sizeof(path), "/tmp/test_plot_csv.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static int teardown(void **state)
{
	(void)state;
	if (path[0])
		unlink(path);
	path[0] = 0;
	return 0;
}

static void test_columns_by_name_and_quoting(void **state)
{
	(void)state;
	static const char text[] =
		"\xEF\xBB\xBF" "node_id, flows ,domain\r\n"
		"OW1,12,\"a,b\"\r\n"
		"\r\n"
		"OW2,7,\"say \"\"hi\"\"\"\n"
		"OW3,3,\"two\nlines\"\n"
		"OW4\n"
		"OW5,1,plain\r"
		"OW6,,\"\"";
	struct plot_csv c;
	assert_int_equal(plot_csv_open(&c, write_tmp(text, sizeof(text) - 1)), PLOT_CSV_OPEN);
	assert_int_equal(c.ncols, 3);
	int n = plot_csv_column(&c, "node_id"), f = plot_csv_column(&c, "flows");
	int d = plot_csv_column(&c, "domain");
	assert_int_equal(n, 0);
	assert_int_equal(f, 1);   /* " flows " was trimmed */
	assert_int_equal(d, 2);
	assert_int_equal(plot_csv_column(&c, "bytes"), -1);

	int64_t v;
	assert_int_equal(plot_csv_next(&c), 1);
	assert_string_equal(plot_csv_field(&c, n), "OW1");
	assert_string_equal(plot_csv_field(&c, d), "a,b");
	assert_int_equal(plot_csv_int(&c, f, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(c.line, 2);

	assert_int_equal(plot_csv_next(&c), 1);   /* the blank line is skipped */
	assert_string_equal(plot_csv_field(&c, n), "OW2");
	assert_string_equal(plot_csv_field(&c, d), "say \"hi\"");
	assert_int_equal(c.line, 4);

	assert_int_equal(plot_csv_next(&c), 1);
	assert_string_equal(plot_csv_field(&c, d), "two\nlines");
	assert_int_equal(c.line, 5);

	assert_int_equal(plot_csv_next(&c), 1);   /* a short row */
	assert_string_equal(plot_csv_field(&c, n), "OW4");
	assert_string_equal(plot_csv_field(&c, f), "");
	assert_int_equal(plot_csv_int(&c, f, &v), -1);
	assert_int_equal(c.line, 7);

	assert_int_equal(plot_csv_next(&c), 1);   /* ends in a lone CR */
	assert_string_equal(plot_csv_field(&c, d), "plain");
	assert_int_equal(plot_csv_next(&c), 1);   /* no final line break */
	assert_string_equal(plot_csv_field(&c, n), "OW6");
	assert_string_equal(plot_csv_field(&c, d), "");
	assert_string_equal(plot_csv_field(&c, -1), "");
	assert_string_equal(plot_csv_field(&c, 9), "");
	assert_int_equal(plot_csv_next(&c), 0);
	assert_int_equal(plot_csv_next(&c), 0);
	plot_csv_close(&c);
	plot_csv_close(&c);   /* twice is harmless */
}

static void test_numbers(void **state)
{
	(void)state;
	static const char text[] = "a,b,c,d,e,f,g\n 12 ,12.0,12.5,abc,1e3,-1337104800512345,9e99\n";
	struct plot_csv c;
	assert_int_equal(plot_csv_open(&c, write_tmp(text, sizeof(text) - 1)), PLOT_CSV_OPEN);
	assert_int_equal(plot_csv_next(&c), 1);
	int64_t i;
	double x;
	assert_int_equal(plot_csv_int(&c, 0, &i), 0);
	assert_int_equal(i, 12);
	assert_int_equal(plot_csv_int(&c, 1, &i), 0);
	assert_int_equal(i, 12);
	i = 77;
	assert_int_equal(plot_csv_int(&c, 2, &i), -1);
	assert_int_equal(i, 77);   /* untouched */
	assert_int_equal(plot_csv_num(&c, 2, &x), 0);
	assert_true(x == 12.5);
	assert_int_equal(plot_csv_int(&c, 3, &i), -1);
	assert_int_equal(plot_csv_num(&c, 3, &x), -1);
	assert_int_equal(plot_csv_num(&c, 4, &x), 0);
	assert_true(x == 1000);
	assert_int_equal(plot_csv_int(&c, 5, &i), 0);
	assert_true(i == -1337104800512345LL);
	assert_int_equal(plot_csv_int(&c, 6, &i), -1);   /* out of int64 range */
	plot_csv_close(&c);
}

static void test_absent_empty_unterminated(void **state)
{
	(void)state;
	struct plot_csv c;
	log_set_quiet(true);
	assert_int_equal(plot_csv_open(&c, "/nonexistent/dir/throughput.csv"), PLOT_CSV_MISSING);
	plot_csv_close(&c);
	assert_int_equal(plot_csv_open(&c, write_tmp("", 0)), PLOT_CSV_ERROR);
	plot_csv_close(&c);
	teardown(NULL);
	assert_int_equal(plot_csv_open(&c, write_tmp("\n\n", 2)), PLOT_CSV_ERROR);   /* blank lines only */
	teardown(NULL);
	static const char bad[] = "a,b\n1,\"never closed\n2,3\n";
	assert_int_equal(plot_csv_open(&c, write_tmp(bad, sizeof(bad) - 1)), PLOT_CSV_OPEN);
	assert_int_equal(plot_csv_next(&c), -1);
	plot_csv_close(&c);
}

static void test_many_rows_reuse_buffers(void **state)
{
	(void)state;
	/* 20,000 rows: values come back in order and the field buffers do not grow
	 * past the longest record. */
	FILE *f;
	snprintf(path, sizeof(path), "/tmp/test_plot_csv.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("time_us,node_id,value\n", f);
	for (int i = 0; i < 20000; i++)
		fprintf(f, "%d,\"OW%d\",%d\n", i * 60, i % 3, i * 2);
	fclose(f);
	struct plot_csv c;
	assert_int_equal(plot_csv_open(&c, path), PLOT_CSV_OPEN);
	int t = plot_csv_column(&c, "time_us"), v = plot_csv_column(&c, "value");
	int rows = 0;
	size_t cap = 0;
	while (plot_csv_next(&c) == 1) {
		int64_t a, b;
		assert_int_equal(plot_csv_int(&c, t, &a), 0);
		assert_int_equal(plot_csv_int(&c, v, &b), 0);
		assert_int_equal(a, rows * 60);
		assert_int_equal(b, rows * 2);
		if (rows == 10)
			cap = c.rec.cap;
		rows++;
	}
	assert_int_equal(rows, 20000);
	assert_true(c.rec.cap <= 2 * cap);
	plot_csv_close(&c);
}

/* A JSON Lines table, asked for as NAME.csv: the first object's keys are
 * the header, nulls and missing keys are empty fields, keys in another order
 * are found by name, blank lines and CRLF are skipped, a bad line fails; an
 * empty table reads as missing. */
static void test_jsonl(void **state)
{
	(void)state;
	char dir[64], file[128], csv[128];
	snprintf(dir, sizeof(dir), "/tmp/test_plot_jsonl.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/t.jsonl", dir);
	snprintf(csv, sizeof(csv), "%s/t.csv", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("{\"node_id\":\"OW\\u00e9,\\\"x\\\"\",\"minute\":60000000,\"bytes\":null}\r\n"
	      "\n"
	      "{\"bytes\":5,\"node_id\":\"OWB\",\"minute\":-1.5e3}\n"
	      "{\"node_id\":\"OWC\",\"extra\":1}\n"
	      "{\"node_id\":[1]}\n", f);
	fclose(f);
	struct plot_csv c;
	log_set_quiet(true);
	assert_int_equal(plot_csv_open(&c, csv), PLOT_CSV_OPEN);
	assert_int_equal(c.ncols, 3);
	int n = plot_csv_column(&c, "node_id"), m = plot_csv_column(&c, "minute"),
	    b = plot_csv_column(&c, "bytes");
	assert_int_equal(n, 0);
	assert_int_equal(b, 2);
	int64_t v;
	assert_int_equal(plot_csv_next(&c), 1);
	assert_string_equal(plot_csv_field(&c, n), "OW\xe9,\"x\"");
	assert_int_equal(plot_csv_int(&c, m, &v), 0);
	assert_int_equal(v, 60000000);
	assert_string_equal(plot_csv_field(&c, b), "");
	assert_int_equal(plot_csv_next(&c), 1);
	assert_string_equal(plot_csv_field(&c, n), "OWB");
	assert_int_equal(plot_csv_int(&c, m, &v), 0);
	assert_int_equal(v, -1500);
	assert_int_equal(plot_csv_int(&c, b, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(plot_csv_next(&c), 1);
	assert_string_equal(plot_csv_field(&c, n), "OWC");
	assert_string_equal(plot_csv_field(&c, m), "");
	assert_int_equal(plot_csv_next(&c), -1);
	plot_csv_close(&c);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(plot_csv_open(&c, csv), PLOT_CSV_MISSING);
	plot_csv_close(&c);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_columns_by_name_and_quoting, teardown),
		cmocka_unit_test_teardown(test_numbers, teardown),
		cmocka_unit_test_teardown(test_absent_empty_unterminated, teardown),
		cmocka_unit_test_teardown(test_many_rows_reuse_buffers, teardown),
		cmocka_unit_test(test_jsonl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
