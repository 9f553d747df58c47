/*
 * tests/unit/test_lock_file.c: exclusive lock files (common/lock_file.h) on
 * a real scratch folder: the file is created, a second taker is told
 * LOCK_FILE_BUSY at once, closing releases, a waiting taker gets the lock
 * when another process lets it go, close-on-exec is as asked, and a lock
 * file that cannot be created is LOCK_FILE_ERROR with a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock_file.h"
#include "log.h"

static char dir[256];
static char path[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/bpass-lock.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/x.lock", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_busy_and_release(void **unused)
{
	(void)unused;
	int a = lock_file_take(path, false, true);
	assert_true(a >= 0);
	assert_int_equal(access(path, F_OK), 0);       /* created */
	/* flock locks belong to open files: a second open is refused, even here. */
	assert_int_equal(lock_file_take(path, false, true), LOCK_FILE_BUSY);
	assert_int_equal(lock_file_take(path, false, false), LOCK_FILE_BUSY);
	close(a);
	int b = lock_file_take(path, false, true);
	assert_true(b >= 0);
	close(b);
}

static void test_cloexec(void **unused)
{
	(void)unused;
	int a = lock_file_take(path, false, true);
	assert_true(a >= 0);
	assert_true(fcntl(a, F_GETFD) & FD_CLOEXEC);
	close(a);
	a = lock_file_take(path, false, false);
	assert_true(a >= 0);
	assert_false(fcntl(a, F_GETFD) & FD_CLOEXEC);
	close(a);
}

/* A child holds the lock a moment; a waiting taker gets it when the child exits. */
static void test_wait(void **unused)
{
	(void)unused;
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		int fd = lock_file_take(path, false, true);
		if (fd < 0 || write(ready[1], "x", 1) != 1)
			_exit(1);
		usleep(200 * 1000);
		_exit(0);
	}
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(lock_file_take(path, false, true), LOCK_FILE_BUSY);
	int fd = lock_file_take(path, true, true);
	assert_true(fd >= 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);     /* the child had the lock: it exited first */
	close(fd);
}

static void test_cannot_create(void **unused)
{
	(void)unused;
	char p[400];
	snprintf(p, sizeof(p), "%s/missing/x.lock", dir);
	fflush(stderr);
	FILE *cap = tmpfile();
	int saved = dup(2);
	dup2(fileno(cap), 2);
	int rc = lock_file_take(p, false, true);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	char msg[600] = "";
	size_t n = fread(msg, 1, sizeof(msg) - 1, cap);
	msg[n] = 0;
	fclose(cap);
	assert_int_equal(rc, LOCK_FILE_ERROR);
	char want[600];
	snprintf(want, sizeof(want),
		 "bpass: error: could not open lock file \"%s\": No such file or directory\n", p);
	assert_string_equal(msg, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_busy_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cloexec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_create, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
