/*
 * tests/unit/test_log.c: the message printer (common/log.h): errors,
 * warnings and hints are told apart by their prefix, as git does
 * ("bpass: error: ...", "bpass: warning: ...", "bpass: hint: ..."), they go
 * to stderr even when quiet, and informational lines go to stdout without a
 * prefix and are silenced by log_set_quiet. Processes that share stderr
 * never interleave their lines (each message is one write(2)); the last
 * error is kept for callers that pass it on; output asked for explicitly
 * (log_result) is not silenced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

static FILE *cap;
static int saved_fd;
static char text[1024];

/* Redirects file descriptor fd (1 or 2) into a temporary file. */
static void capture_begin(int fd)
{
	fflush(stdout);
	fflush(stderr);
	cap = tmpfile();
	assert_non_null(cap);
	saved_fd = dup(fd);
	dup2(fileno(cap), fd);
}

static const char *capture_end(int fd)
{
	fflush(stdout);
	fflush(stderr);
	dup2(saved_fd, fd);
	close(saved_fd);
	rewind(cap);
	size_t n = fread(text, 1, sizeof(text) - 1, cap);
	text[n] = 0;
	fclose(cap);
	return text;
}

static void test_error_prefix(void **unused)
{
	(void)unused;
	capture_begin(2);
	int rc = log_error("could not open \"%s\": %s", "x", "No such file or directory");
	const char *got = capture_end(2);
	assert_int_equal(rc, -1);
	assert_string_equal(got, "bpass: error: could not open \"x\": No such file or directory\n");
}

static void test_warning_prefix(void **unused)
{
	(void)unused;
	capture_begin(2);
	log_warn("tarball \"%s\" changed", "t.tar");
	assert_string_equal(capture_end(2), "bpass: warning: tarball \"t.tar\" changed\n");
}

static void test_hint_prefix(void **unused)
{
	(void)unused;
	capture_begin(2);
	log_hint("try again later or use %s", "--wait");
	assert_string_equal(capture_end(2), "bpass: hint: try again later or use --wait\n");
}

/* Quiet silences information, never errors, warnings or hints. */
static void test_quiet(void **unused)
{
	(void)unused;
	capture_begin(1);
	log_info("indexed: %d", 3);
	assert_string_equal(capture_end(1), "indexed: 3\n");

	log_set_quiet(true);
	capture_begin(1);
	log_info("indexed: %d", 3);
	assert_string_equal(capture_end(1), "");
	capture_begin(2);
	log_warn("w");
	log_error("e");
	log_hint("h");
	assert_string_equal(capture_end(2),
			    "bpass: warning: w\nbpass: error: e\nbpass: hint: h\n");
	log_set_quiet(false);
}

/* Four processes log long messages to one pipe at once: every line read
 * back is whole (with stdio's several writes per message, pieces of
 * different lines mixed). */
static void test_one_write_per_message(void **unused)
{
	(void)unused;
	enum { PROCS = 4, LINES = 400 };
	char pad[201];
	memset(pad, 'x', 200);
	pad[200] = 0;
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	pid_t pids[PROCS];
	for (int k = 0; k < PROCS; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			close(p[0]);
			dup2(p[1], 2);
			for (int i = 0; i < LINES; i++)
				log_warn("process %d line %d %s", k, i, pad);
			_exit(0);
		}
	}
	close(p[1]);
	size_t size = (size_t)PROCS * LINES * 300, len = 0;
	char *all = malloc(size + 1);
	assert_non_null(all);
	ssize_t n;
	while ((n = read(p[0], all + len, size - len)) > 0)
		len += (size_t)n;
	all[len] = 0;
	close(p[0]);
	for (int k = 0; k < PROCS; k++) {
		int status;
		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
	}
	int lines = 0;
	char want[400];
	for (char *line = all, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		*end = 0;
		int k = -1, i = -1;
		for (const char *q = line + strlen("bpass: warning: process "); *q >= '0' && *q <= '9'; q++)
			k = (k < 0 ? 0 : k * 10) + (*q - '0');
		const char *li = strstr(line, " line ");
		if (li)
			i = (int)strtol(li + 6, NULL, 10);
		snprintf(want, sizeof(want), "bpass: warning: process %d line %d %s", k, i, pad);
		assert_string_equal(line, want);
		lines++;
	}
	assert_int_equal(lines, PROCS * LINES);
	free(all);
}

/* The text of the last error, for a caller to pass on (a worker to its
 * parent); warnings do not replace it. */
static void test_last_error(void **unused)
{
	(void)unused;
	capture_begin(2);
	log_error("could not read updates of index \"%s\": %s", "i", "database disk image is malformed");
	log_warn("something else");
	capture_end(2);
	assert_string_equal(log_last_error(),
			    "could not read updates of index \"i\": database disk image is malformed");
}

/* log_result: output the user asked for (e.g. --stats), on stdout even when quiet. */
static void test_result_not_quiet(void **unused)
{
	(void)unused;
	log_set_quiet(true);
	capture_begin(1);
	log_info("summary");
	log_result("stats: %d", 7);
	assert_string_equal(capture_end(1), "stats: 7\n");
	log_set_quiet(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_prefix),
		cmocka_unit_test(test_warning_prefix),
		cmocka_unit_test(test_hint_prefix),
		cmocka_unit_test(test_quiet),
		cmocka_unit_test(test_one_write_per_message),
		cmocka_unit_test(test_last_error),
		cmocka_unit_test(test_result_not_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
