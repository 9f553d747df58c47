/*
 * tests/unit/test_fs.c: the file-system helpers of common/fs.h, on a real
 * scratch folder: mkdir -p (parents, an existing folder, a file in the way,
 * nothing printed), folder fsync, write-all through a pipe, reading a whole
 * file (larger than one read, replacing the buffer, a symbolic link refused),
 * sorted and filtered folder listings, and suffixes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/bpass-fs.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void put_file(const char *name, const char *text)
{
	char p[512];
	path_of(p, sizeof(p), name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_mkdirs(void **unused)
{
	(void)unused;
	char p[512];
	path_of(p, sizeof(p), "a/b/c");
	assert_int_equal(fs_mkdirs(p), 0);
	assert_true(is_dir(p));
	assert_int_equal(fs_mkdirs(p), 0);            /* existing: fine */
	path_of(p, sizeof(p), "a/b/c/");               /* a trailing slash */
	assert_int_equal(fs_mkdirs(p), 0);

	put_file("file", "x");
	path_of(p, sizeof(p), "file");
	errno = 0;
	assert_int_equal(fs_mkdirs(p), -1);            /* a file in the way */
	assert_int_equal(errno, ENOTDIR);
	path_of(p, sizeof(p), "file/sub");
	errno = 0;
	assert_int_equal(fs_mkdirs(p), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void test_fsync_dir(void **unused)
{
	(void)unused;
	assert_int_equal(fs_fsync_dir(dir), 0);
	char p[512];
	path_of(p, sizeof(p), "missing");
	assert_int_equal(fs_fsync_dir(p), -1);
}

static void test_write_all(void **unused)
{
	(void)unused;
	/* More than a pipe holds at once, drained by a child: short writes. */
	size_t n = 1 << 20;
	char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	char p[512];
	path_of(p, sizeof(p), "out");
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		int out = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		char chunk[4096];
		ssize_t r;
		while ((r = read(fds[0], chunk, sizeof(chunk))) > 0)
			if (write(out, chunk, (size_t)r) != r)
				_exit(1);
		_exit(close(out) == 0 ? 0 : 1);
	}
	close(fds[0]);
	assert_int_equal(fs_write_all(fds[1], data, n), 0);
	close(fds[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);

	struct buf b;
	buf_init(&b);
	buf_puts(&b, "old contents are replaced");
	assert_int_equal(fs_read_file(p, &b), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, data, n);
	assert_int_equal(b.data[b.len], 0);
	free(data);

	/* A closed descriptor: -1 with errno. */
	errno = 0;
	assert_int_equal(fs_write_all(fds[1], "x", 1), -1);
	assert_int_equal(errno, EBADF);
	buf_release(&b);
}

static void test_read_file(void **unused)
{
	(void)unused;
	struct buf b;
	buf_init(&b);
	put_file("small", "hello\n");
	char p[512], l[512];
	path_of(p, sizeof(p), "small");
	assert_int_equal(fs_read_file(p, &b), 0);
	assert_string_equal(b.data, "hello\n");
	assert_int_equal(b.len, 6);

	put_file("empty", "");
	path_of(p, sizeof(p), "empty");
	assert_int_equal(fs_read_file(p, &b), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");

	path_of(p, sizeof(p), "missing");
	errno = 0;
	assert_int_equal(fs_read_file(p, &b), -1);
	assert_int_equal(errno, ENOENT);

	/* A symbolic link is not followed. */
	path_of(p, sizeof(p), "small");
	path_of(l, sizeof(l), "link");
	assert_int_equal(symlink(p, l), 0);
	assert_int_equal(fs_read_file(l, &b), -1);
	assert_int_equal(errno, ELOOP);
	buf_release(&b);
}

static bool keep_txt(const char *name, void *arg)
{
	(*(int *)arg)++;
	return fs_has_suffix(name, ".txt");
}

static void test_list(void **unused)
{
	(void)unused;
	char p[512];
	path_of(p, sizeof(p), "l");
	assert_int_equal(fs_mkdirs(p), 0);
	const char *names[] = {"l/b.txt", "l/a.txt", "l/c.dat", "l/.hidden.txt", "l/B.txt"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		put_file(names[i], "x");

	char **got;
	int n = fs_list(p, NULL, NULL, &got);
	assert_int_equal(n, 5);                /* no "." or ".." */
	assert_string_equal(got[0], ".hidden.txt");   /* bytewise order */
	assert_string_equal(got[1], "B.txt");
	assert_string_equal(got[2], "a.txt");
	assert_string_equal(got[3], "b.txt");
	assert_string_equal(got[4], "c.dat");
	fs_names_free(got, n);

	int calls = 0;
	n = fs_list(p, keep_txt, &calls, &got);
	assert_int_equal(calls, 5);
	assert_int_equal(n, 4);
	assert_string_equal(got[3], "b.txt");
	fs_names_free(got, n);

	path_of(p, sizeof(p), "l/empty");
	assert_int_equal(fs_mkdirs(p), 0);
	assert_int_equal(fs_list(p, NULL, NULL, &got), 0);
	fs_names_free(got, 0);

	path_of(p, sizeof(p), "missing");
	errno = 0;
	assert_int_equal(fs_list(p, NULL, NULL, &got), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(got);
}

static void test_has_suffix(void **unused)
{
	(void)unused;
	assert_true(fs_has_suffix("a.tar.gz", ".tar.gz"));
	assert_true(fs_has_suffix("a.tar.gz", ".gz"));
	assert_true(fs_has_suffix(".gz", ".gz"));
	assert_true(fs_has_suffix("x", ""));
	assert_false(fs_has_suffix("gz", ".gz"));
	assert_false(fs_has_suffix("a.tar", ".gz"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test(test_has_suffix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
