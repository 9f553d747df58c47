/*
 * ops/tar_writer.c: uncompressed tar files written with libarchive (see
 * tar_writer.h).
 */
#include "tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "fs.h"
#include "lock_file.h"
#include "timeutil.h"

struct tar_writer {
	struct archive *a;
	struct archive_entry *e;
	int dirfd;                /* borrowed */
	int fd;
	int write_errno;          /* errno of the write that failed, 0 if none */
	char *name;               /* relative to dirfd */
	char *path;               /* for messages */
};

/* libarchive's output: the file, with the system's reason kept when a write
 * fails (libarchive's own fd writer only says "Write error"). */
static la_ssize_t write_cb(struct archive *a, void *arg, const void *data, size_t len)
{
	struct tar_writer *t = arg;
	if (fs_write_all(t->fd, data, len) < 0) {
		t->write_errno = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	return (la_ssize_t)len;
}

/* Why the archive failed: the system's reason of a failed write, else
 * libarchive's message. Sets errno. */
static const char *why(struct tar_writer *t)
{
	if (t->write_errno) {
		errno = t->write_errno;
		return strerror(t->write_errno);
	}
	errno = archive_errno(t->a) > 0 ? archive_errno(t->a) : EIO;
	const char *s = archive_error_string(t->a);
	return s ? s : "unknown error";
}

/*
 * Names past ASCII: the pax writer converts a name from the locale's
 * character set to UTF-8, which fails for any byte past ASCII in the C
 * locale bpass runs in. So libarchive is called with a UTF-8 LC_CTYPE for
 * this thread (uselocale, nothing global changes): a UTF-8 name then goes
 * into a pax "path" record as it is, and ASCII names still get plain ustar
 * headers (byte for byte what they always got). Without a UTF-8 locale on
 * the system, names past ASCII are refused.
 */
static locale_t utf8_locale(void)
{
	static locale_t l;
	static bool tried;
	if (!tried) {
		tried = true;
		l = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return l;
}

/* Switches this thread to the UTF-8 locale; returns the one to restore. */
static locale_t enter(void)
{
	locale_t l = utf8_locale();
	return l ? uselocale(l) : (locale_t)0;
}

static void leave(locale_t old)
{
	if (old)
		uselocale(old);
}

struct tar_writer *tar_writer_create(int dirfd, const char *name, const char *path)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		log_error("could not create tarball \"%s\": %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	struct tar_writer *t = xcalloc(1, sizeof(*t));
	t->dirfd = dirfd;
	t->fd = fd;
	t->name = xstrdup(name);
	t->path = xstrdup(path);
	locale_t old = enter();
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(t->a) != ARCHIVE_OK ||
	    /* No padding past the last record: the file is exactly the archive. */
	    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(t->a, t, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		log_error("could not create tarball \"%s\": %s", path, archive_error_string(t->a));
		tar_writer_abort(t);
		leave(old);
		errno = EIO;
		return NULL;
	}
	leave(old);
	return t;
}

bool tar_writer_name_ok(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	if (!*s)
		return false;
	while (*s) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (!utf8_locale())
			return false;
		int n;
		uint32_t cp, min;
		if ((*s & 0xe0) == 0xc0) {
			n = 1, cp = *s & 0x1f, min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2, cp = *s & 0x0f, min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3, cp = *s & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

int tar_writer_add(struct tar_writer *t, const char *name, const void *data, size_t len,
		   int64_t mtime)
{
	if (!tar_writer_name_ok(name)) {
		log_error("could not write a member into tarball \"%s\": its name is not valid "
			  "UTF-8", t->path);
		errno = EILSEQ;
		return -1;
	}
	locale_t old = enter();
	archive_entry_clear(t->e);
	archive_entry_set_pathname(t->e, name);
	archive_entry_set_filetype(t->e, AE_IFREG);
	archive_entry_set_perm(t->e, 0644);
	archive_entry_set_size(t->e, (la_int64_t)len);
	archive_entry_set_mtime(t->e, (time_t)mtime, 0);
	if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
		goto fail;
	if (len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
		goto fail;
	if (archive_write_finish_entry(t->a) != ARCHIVE_OK)
		goto fail;
	leave(old);
	return 0;
fail:
	leave(old);
	const char *reason = why(t);
	int e = errno;
	log_error("could not write \"%s\" into tarball \"%s\": %s", name, t->path, reason);
	errno = e;
	return -1;
}

static void tar_free(struct tar_writer *t)
{
	archive_entry_free(t->e);
	archive_write_free(t->a);
	if (t->fd >= 0)
		close(t->fd);
	free(t->name);
	free(t->path);
	free(t);
}

int tar_writer_close(struct tar_writer *t)
{
	int rc = 0, e = 0;
	if (archive_write_close(t->a) != ARCHIVE_OK) {
		const char *reason = why(t);
		e = errno;
		rc = log_error("could not write tarball \"%s\": %s", t->path, reason);
	} else if (fsync(t->fd) < 0) {
		e = errno;
		rc = log_error("could not sync tarball \"%s\": %s", t->path, strerror(e));
	}
	if (close(t->fd) < 0 && !rc) {
		e = errno;
		rc = log_error("could not write tarball \"%s\": %s", t->path, strerror(e));
	}
	t->fd = -1;
	if (rc)
		unlinkat(t->dirfd, t->name, 0);
	tar_free(t);
	if (rc)
		errno = e;
	return rc;
}

void tar_writer_abort(struct tar_writer *t)
{
	if (!t)
		return;
	/* Freeing closes the archive while its file is still open (the trailer
	 * goes into a file about to be removed); archive_write_fail would skip
	 * the close and leak the writer's buffers. */
	archive_write_free(t->a);
	t->a = NULL;
	unlinkat(t->dirfd, t->name, 0);
	tar_free(t);
}
