/*
 * ops/ops_fs.c: durable writes, lock files, folder listings and time stamps
 * for the operations engines (see ops_fs.h).
 */
#include "ops_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int ops_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error("could not open folder \"%s\": %s", dir, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return log_error("could not sync folder \"%s\": %s", dir, strerror(e));
	}
	close(fd);
	return 0;
}

int ops_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int ops_read_file(const char *path, struct buf *out)
{
	buf_reset(out);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	for (;;) {
		buf_reserve(out, 65536);
		ssize_t r = read(fd, out->data + out->len, 65536);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (!r)
			break;
		out->len += (size_t)r;
		out->data[out->len] = 0;
	}
	close(fd);
	return 0;
}

int ops_lock(const char *path, bool wait, bool cloexec)
{
	int fd = open(path, O_RDWR | O_CREAT | (cloexec ? O_CLOEXEC : 0), 0644);
	if (fd < 0)
		return log_error("could not open lock file \"%s\": %s", path, strerror(errno));
	for (;;) {
		if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return -2;
		return log_error("could not lock \"%s\": %s", path, strerror(e));
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ops_list(const char *dir, bool (*keep)(const char *name, void *arg), void *arg,
	     char ***names)
{
	DIR *d = opendir(dir);
	*names = NULL;
	if (!d)
		return -1;
	uint32_t n = 0, cap = 0;
	struct dirent *e;
	while ((errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (keep && !keep(e->d_name, arg))
			continue;
		xgrow((void **)names, &cap, n + 1, sizeof(**names));
		(*names)[n++] = xstrdup(e->d_name);
	}
	int e2 = errno;
	closedir(d);
	if (e2) {
		ops_names_free(*names, (int)n);
		*names = NULL;
		errno = e2;
		return -1;
	}
	if (n)
		qsort(*names, n, sizeof(**names), cmp_name);
	return (int)n;
}

void ops_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool ops_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

void ops_stamp(int64_t t, char out[24])
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, 24, "%Y-%m-%d_%H-%M-%S", &tm);
}

void ops_now_iso(char out[24])
{
	time_t s = time(NULL);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double ops_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
