/*
 * common/atomic_file.c: temp file, fsync, rename, folder fsync (see
 * atomic_file.h). errno is saved across clean-up so messages give the
 * reason of the step that failed.
 */
#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* The folder part of path ("." when there is none), into out. */
static void dir_of(const char *path, struct buf *out)
{
	const char *slash = strrchr(path, '/');
	buf_reset(out);
	if (!slash)
		buf_putc(out, '.');
	else if (slash == path)
		buf_putc(out, '/');
	else
		buf_append(out, path, (size_t)(slash - path));
}

/* ".NAME.PID.tmp" next to path. */
static char *tmp_name(const char *path)
{
	struct buf b;
	buf_init(&b);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	buf_append(&b, path, (size_t)(base - path));
	buf_printf(&b, ".%s.%ld.tmp", base, (long)getpid());
	return b.data;
}

int atomic_file_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error("could not open folder \"%s\": %s", dir, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return log_error("could not sync folder \"%s\": %s", dir, strerror(e));
	}
	close(fd);
	return 0;
}

int atomic_mkdirs(const char *dir)
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

static int open_tmp(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process with our pid that was killed. */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	return fd;
}

static int finish(const char *path, const char *tmp, const char *what, int flags)
{
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return log_error("could not write %s \"%s\": %s", what, path, strerror(e));
	}
	if (flags & ATOMIC_FILE_DEFER_DIRSYNC)
		return 0;
	struct buf dir;
	buf_init(&dir);
	dir_of(path, &dir);
	int rc = atomic_file_sync_dir(dir.data);
	buf_release(&dir);
	return rc;
}

int atomic_file_write(const char *path, const void *data, size_t len, const char *what,
		      int flags)
{
	char *tmp = tmp_name(path);
	int fd = open_tmp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return log_error("could not write %s \"%s\": %s", what, path, strerror(e));
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		left -= (size_t)n;
	}
	if (!(flags & ATOMIC_FILE_NO_FSYNC) && fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	int rc = finish(path, tmp, what, flags);
	free(tmp);
	return rc;
fail:;
	int e = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return log_error("could not write %s \"%s\": %s", what, path, strerror(e));
}

int atomic_file_open(struct atomic_file *af, const char *path, const char *what, int flags)
{
	memset(af, 0, sizeof(*af));
	af->tmp = tmp_name(path);
	int fd = open_tmp(af->tmp);
	if (fd < 0 || !(af->f = fdopen(fd, "w"))) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(af->tmp);
		}
		free(af->tmp);
		af->tmp = NULL;
		return log_error("could not write %s \"%s\": %s", what, path, strerror(e));
	}
	af->path = xstrdup(path);
	af->what = what;
	af->flags = flags;
	return 0;
}

static void af_release(struct atomic_file *af)
{
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof(*af));
}

int atomic_file_commit(struct atomic_file *af)
{
	if (!af->f)
		return -1;
	int e = 0;
	if (fflush(af->f) != 0 || ferror(af->f))
		e = errno ? errno : EIO;
	else if (!(af->flags & ATOMIC_FILE_NO_FSYNC) && fsync(fileno(af->f)) != 0)
		e = errno;
	if (fclose(af->f) != 0 && !e)
		e = errno;
	af->f = NULL;
	int rc;
	if (e) {
		unlink(af->tmp);
		rc = log_error("could not write %s \"%s\": %s", af->what, af->path, strerror(e));
	} else {
		rc = finish(af->path, af->tmp, af->what, af->flags);
	}
	af_release(af);
	return rc;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (!af->f)
		return;
	fclose(af->f);
	unlink(af->tmp);
	af_release(af);
}

int atomic_file_clean_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return log_error("could not read folder \"%s\": %s", dir, strerror(errno));
	int removed = 0;
	struct dirent *de;
	struct buf path;
	buf_init(&path);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] != '.' || n < 6 || strcmp(de->d_name + n - 4, ".tmp") != 0)
			continue;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, de->d_name);
		if (unlink(path.data) == 0)
			removed++;
	}
	closedir(d);
	buf_release(&path);
	return removed;
}
