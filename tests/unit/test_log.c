/*
 * tests/unit/test_log.c: the message printer (common/log.h): errors,
 * warnings and hints are told apart by their prefix, as git does
 * ("bpass: error: ...", "bpass: warning: ...", "bpass: hint: ..."), they go
 * to stderr even when quiet, and informational lines go to stdout without a
 * prefix and are silenced by log_set_quiet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_prefix),
		cmocka_unit_test(test_warning_prefix),
		cmocka_unit_test(test_hint_prefix),
		cmocka_unit_test(test_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
