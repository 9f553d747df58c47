/*
 * common/fs.c: mkdir -p, folder fsync, write-all, read-all, sorted listings
 * (see fs.h).
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int fs_mkdirs(const char *dir)
{
	struct buf p;
	buf_init(&p);
	buf_puts(&p, dir);
	for (size_t i = 1; i <= p.len; i++) {
		if (p.data[i] != '/' && p.data[i] != 0)
			continue;
		char saved = p.data[i];
		p.data[i] = 0;
		if (mkdir(p.data, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			buf_release(&p);
			errno = e;
			return -1;
		}
		p.data[i] = saved;
	}
	buf_release(&p);
	struct stat st;
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int fs_fsync_dir(const char *dir)
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

int fs_write_all(int fd, const void *p, size_t n)
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

int fs_read_file(const char *path, struct buf *out)
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

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_list_at(int dirfd, bool (*keep)(const char *name, void *arg), void *arg,
	       char ***names)
{
	*names = NULL;
	/* A descriptor of its own: closedir closes it, not the caller's. */
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
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
		fs_names_free(*names, (int)n);
		*names = NULL;
		errno = e2;
		return -1;
	}
	if (n)
		qsort(*names, n, sizeof(**names), cmp_name);
	return (int)n;
}

int fs_list(const char *dir, bool (*keep)(const char *name, void *arg), void *arg,
	    char ***names)
{
	*names = NULL;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int n = fs_list_at(fd, keep, arg, names);
	int e = errno;
	close(fd);
	errno = e;
	return n;
}

void fs_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool fs_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}
