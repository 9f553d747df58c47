/*
 * common/atomic_file.c: temp file, fsync, rename, folder fsync (see
 * atomic_file.h). errno is saved across clean-up so messages give the
 * reason of the step that failed.
 */
#include "atomic_file.h"

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
	int rc = fs_fsync_dir(dir.data);
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
	if (fs_write_all(fd, data, len) < 0)
		goto fail;
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

/* Names atomic_file writers use for temporary files: ".*.tmp". */
static bool is_tmp_name(const char *name, void *arg)
{
	(void)arg;
	return name[0] == '.' && strlen(name) >= 6 && fs_has_suffix(name, ".tmp");
}

int atomic_file_clean_dir(const char *dir)
{
	char **names;
	int n = fs_list(dir, is_tmp_name, NULL, &names);
	if (n < 0)
		return log_error("could not read folder \"%s\": %s", dir, strerror(errno));
	int removed = 0;
	struct buf path;
	buf_init(&path);
	for (int i = 0; i < n; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, names[i]);
		if (unlink(path.data) == 0)
			removed++;
	}
	buf_release(&path);
	fs_names_free(names, n);
	return removed;
}
