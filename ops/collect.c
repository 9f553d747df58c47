/*
 * ops/collect.c: collecting uploads into tarballs, crash-safely (see
 * collect.h for the steps and how an interrupted run is finished).
 *
 * Every file operation goes through a descriptor of the folder it acts in
 * (openat, fstatat, linkat, unlinkat, with O_NOFOLLOW and
 * AT_SYMLINK_NOFOLLOW): a node folder or an update that is a symbolic link
 * is reported and never followed, so collect cannot be led into reading or
 * deleting files outside UPLOADS and UPDATES, even when a folder is swapped
 * for a link while it runs.
 */
#include "collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "buf.h"
#include "log.h"
#include "fs.h"
#include "lock_file.h"
#include "timeutil.h"
#include "paths.h"
#include "tar_writer.h"

#define JOURNAL_MAGIC "bpass-collect-journal 1"

struct collect {
	const char *uploads;    /* as given, for messages */
	const char *updates;
	int up_fd, upd_fd;      /* the two folders */
	const struct collect_options *o;
	struct collect_stats *st;
	struct buf data;        /* one update's bytes, reused */
	bool full;              /* the updates folder's file system is full: stop */
};

struct member {
	char *name;
	uint64_t size;
};

/* Notes a failure's errno: a full file system stops the run (every other
 * node would fail the same way, each with the same message). */
static void note_errno(struct collect *c, int e)
{
	if (e == ENOSPC || e == EDQUOT)
		c->full = true;
}

static void checkpoint(const struct collect *c, const char *step)
{
	if (c->o && c->o->checkpoint)
		c->o->checkpoint(step, c->o->checkpoint_arg);
}

/* A node folder name usable in a tarball name: printable, no '_' (the name's
 * field separator), no '/', not hidden. */
static bool valid_node(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '_' || *s == '/')
			return false;
	return true;
}

/* An update file name safe to write into a journal line and to open in its
 * folder: not hidden, no control character, no '/'. */
static bool valid_member(const char *s)
{
	if (*s == '.')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 127 || *s == '/')
			return false;
	return true;
}

/* Update files: *.gz, not hidden (an uploader's temporary files are). The
 * other checks of the name are reported (collect_node). */
static bool keep_gz(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.' && fs_has_suffix(name, ".gz");
}

/* name for a message, into out: printable ASCII and valid UTF-8 as they
 * are, a backslash or a double quote preceded by a backslash, any other
 * byte as \xHH. Returns out->data. */
static const char *escaped(const char *name, struct buf *out)
{
	buf_reset(out);
	for (const unsigned char *s = (const unsigned char *)name; *s;) {
		if (*s == '\\' || *s == '"') {
			buf_putc(out, '\\');
			buf_putc(out, (char)*s++);
		} else if (*s >= ' ' && *s < 127) {
			buf_putc(out, (char)*s++);
		} else {
			/* The longest valid UTF-8 sequence starting here, if any. */
			size_t n = *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc0 ? 2 : 0;
			char seq[5] = {0};
			size_t i = 0;
			while (i < n && s[i])
				i++, seq[i - 1] = (char)s[i - 1];
			if (n && i == n && tar_writer_name_ok(seq)) {
				buf_append(out, s, n);
				s += n;
			} else {
				buf_printf(out, "\\x%02x", *s++);
			}
		}
	}
	return out->data;
}

static bool keep_journal(const char *name, void *arg)
{
	(void)arg;
	return !strncmp(name, ".collect-", 9) && fs_has_suffix(name, ".journal");
}

static bool keep_tmp(const char *name, void *arg)
{
	(void)arg;
	return name[0] == '.' && fs_has_suffix(name, ".tar.tmp");
}

static bool keep_visible(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.';
}

/* ---- through folder descriptors ---- */

/*
 * Reads the regular file name of the folder dirfd into out, never through a
 * symbolic link (errno ELOOP) and never a special file (EINVAL). *st is its
 * status after reading. Returns 0; 1 when the file changed while it was
 * read (its size or status change time moved: it is still being written);
 * -1 with errno set.
 */
static int read_at(int dirfd, const char *name, struct buf *out, struct stat *st)
{
	buf_reset(out);
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat before;
	int e = 0;
	if (fstat(fd, &before) < 0) {
		e = errno;
		goto fail;
	}
	if (!S_ISREG(before.st_mode)) {
		e = EINVAL;
		goto fail;
	}
	for (;;) {
		buf_reserve(out, 65536);
		ssize_t r = read(fd, out->data + out->len, 65536);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto fail;
		}
		if (!r)
			break;
		out->len += (size_t)r;
		out->data[out->len] = 0;
	}
	if (fstat(fd, st) < 0) {
		e = errno;
		goto fail;
	}
	close(fd);
	if (st->st_size != before.st_size || (uint64_t)st->st_size != out->len ||
	    st->st_ctim.tv_sec != before.st_ctim.tv_sec ||
	    st->st_ctim.tv_nsec != before.st_ctim.tv_nsec)
		return 1;
	return 0;
fail:
	close(fd);
	errno = e;
	return -1;
}

/* fsyncs the folder fd (path names it in the message). Returns 0 or -1. */
static int sync_dir(int fd, const char *path)
{
	if (fsync(fd) < 0 && errno != EINVAL)
		return log_error("could not sync folder \"%s\": %s", path, strerror(errno));
	return 0;
}

/* ---- journals ---- */

static int write_journal(struct collect *c, const char *journal, const char *node,
			 const char *tarball, const char *tmpname, const struct member *m, int n)
{
	struct buf j, tmp;
	buf_init(&j);
	buf_init(&tmp);
	buf_printf(&j, "%s\nnode %s\ntarball %s\ntmp %s\n", JOURNAL_MAGIC, node, tarball, tmpname);
	for (int i = 0; i < n; i++)
		buf_printf(&j, "member %llu %s\n", (unsigned long long)m[i].size, m[i].name);
	buf_puts(&j, "end\n");
	buf_printf(&tmp, "%s.tmp", journal);
	int rc = -1;
	int fd = openat(c->upd_fd, tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			0644);
	if (fd < 0 || fs_write_all(fd, j.data, j.len) < 0 || fsync(fd) < 0) {
		note_errno(c, errno);
		log_error("could not write journal \"%s/%s\": %s", c->updates, tmp.data,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		unlinkat(c->upd_fd, tmp.data, 0);
		goto out;
	}
	if (close(fd) < 0 || renameat(c->upd_fd, tmp.data, c->upd_fd, journal) < 0) {
		note_errno(c, errno);
		log_error("could not write journal \"%s/%s\": %s", c->updates, journal,
			  strerror(errno));
		unlinkat(c->upd_fd, tmp.data, 0);
		goto out;
	}
	rc = sync_dir(c->upd_fd, c->updates);
out:
	buf_release(&j);
	buf_release(&tmp);
	return rc;
}

/* Removes the files of node that the journal lists (same name, same size):
 * they are in the tarball already. Returns 0, or -1 after printing why. */
static int remove_collected(struct collect *c, const char *node, const char *tarball,
			    const struct member *m, uint32_t n)
{
	int nfd = openat(c->up_fd, node, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0) {
		struct stat sb;
		if (errno == ENOENT) {
			log_info("finished an interrupted collection into \"%s\": node folder \"%s\" "
				 "is gone", tarball, node);
			return 0;
		}
		if (fstatat(c->up_fd, node, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode)) {
			log_warn("could not finish an interrupted collection into \"%s\": node folder "
				 "\"%s\" is a symbolic link now; the files it leads to are left alone",
				 tarball, node);
			c->st->skipped++;
			return 0;
		}
		return log_error("could not open node folder \"%s/%s\": %s", c->uploads, node,
				 strerror(errno));
	}
	unsigned long removed = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct stat sb;
		if (fstatat(nfd, m[i].name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
		    (uint64_t)sb.st_size == m[i].size && unlinkat(nfd, m[i].name, 0) == 0)
			removed++;
	}
	int rc = 0;
	if (removed) {
		struct buf dir;
		buf_init(&dir);
		buf_printf(&dir, "%s/%s", c->uploads, node);
		rc = sync_dir(nfd, dir.data);
		buf_release(&dir);
	}
	close(nfd);
	if (rc == 0)
		log_info("finished an interrupted collection into \"%s\": removed %lu collected "
			 "file%s", tarball, removed, removed == 1 ? "" : "s");
	return rc;
}

/* Finishes (tarball present) or drops (absent) the collection a journal
 * describes. Returns 0, or -1 after printing why. */
static int recover(struct collect *c, const char *name)
{
	struct buf text;
	buf_init(&text);
	struct member *m = NULL;
	int rc = -1;
	struct stat st, st_tmp;
	if (read_at(c->upd_fd, name, &text, &st) < 0) {
		log_error("could not read journal \"%s/%s\": %s", c->updates, name, strerror(errno));
		goto out;
	}
	/* A journal is complete only when it ends with "end": it is renamed into
	 * place after an fsync, so a partial one cannot exist; check anyway. */
	char *node = NULL, *tarball = NULL, *tmpname = NULL;
	bool complete = false, magic = false, sound = true;
	uint32_t n = 0, cap = 0;
	for (char *line = text.data; line < text.data + text.len;) {
		char *nl = memchr(line, '\n', (size_t)(text.data + text.len - line));
		if (!nl)
			break;   /* an unterminated last line is ignored */
		*nl = 0;
		if (!magic) {
			magic = !strcmp(line, JOURNAL_MAGIC);
			if (!magic)
				break;
		} else if (!strncmp(line, "node ", 5)) {
			node = line + 5;
		} else if (!strncmp(line, "tarball ", 8)) {
			tarball = line + 8;
		} else if (!strncmp(line, "tmp ", 4)) {
			tmpname = line + 4;
		} else if (!strncmp(line, "member ", 7)) {
			char *end;
			unsigned long long size = strtoull(line + 7, &end, 10);
			if (*end == ' ' && valid_member(end + 1)) {
				xgrow((void **)&m, &cap, n + 1, sizeof(*m));
				m[n++] = (struct member){end + 1, size};
			} else {
				sound = false;
			}
		} else if (!strcmp(line, "end")) {
			complete = true;
		}
		line = nl + 1;
	}
	if (!complete || !node || !tarball || !tmpname || !valid_node(node) || !sound ||
	    strchr(tarball, '/') || strchr(tmpname, '/')) {
		log_error("could not recover journal \"%s/%s\": it is %s", c->updates, name,
			  !magic ? "not a collect journal" : !complete ? "incomplete" : "damaged");
		goto out;
	}
	/* The collection happened when the tarball has its name, unless a
	 * temporary file that is a different file still exists (the name was
	 * then taken by something else before our link). */
	bool collected = false;
	if (fstatat(c->upd_fd, tarball, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		collected = fstatat(c->upd_fd, tmpname, &st_tmp, AT_SYMLINK_NOFOLLOW) < 0 ||
			    (st_tmp.st_ino == st.st_ino && st_tmp.st_dev == st.st_dev);
	if (collected) {
		if (remove_collected(c, node, tarball, m, n) < 0)
			goto out;
	} else {
		log_info("undid an interrupted collection for node \"%s\": its files will be "
			 "collected again", node);
	}
	if (unlinkat(c->upd_fd, name, 0) < 0) {
		log_error("could not remove journal \"%s/%s\": %s", c->updates, name, strerror(errno));
		goto out;
	}
	rc = sync_dir(c->upd_fd, c->updates);
out:
	free(m);
	buf_release(&text);
	return rc;
}

/* ---- one node ---- */

/* Collects the folder nfd of node into a tarball. Returns 0, or -1 after
 * printing why. */
static int collect_node(struct collect *c, const char *node, int nfd)
{
	struct buf dir, tmp, tmp_shown, final, journal;
	buf_init(&dir);
	buf_init(&tmp);
	buf_init(&tmp_shown);
	buf_init(&final);
	buf_init(&journal);
	buf_printf(&dir, "%s/%s", c->uploads, node);
	char **names = NULL;
	int n = fs_list_at(nfd, keep_gz, NULL, &names);
	struct member *m = NULL;
	int kept = 0, rc = -1;
	struct tar_writer *t = NULL;
	if (n < 0) {
		log_error("could not list \"%s\": %s", dir.data, strerror(errno));
		goto out;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	char stamp[24];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec;
	unsigned long waiting = 0;
	time_stamp(now, stamp);
	buf_printf(&tmp, ".%s_%s.tar.tmp", node, stamp);
	buf_printf(&tmp_shown, "%s/%s", c->updates, tmp.data);
	t = tar_writer_create(c->upd_fd, tmp.data, tmp_shown.data);
	if (!t) {
		note_errno(c, errno);
		goto out;
	}
	m = xcalloc((size_t)n, sizeof(*m));
	struct buf esc;
	buf_init(&esc);
	for (int i = 0; i < n; i++) {
		if (!valid_member(names[i]) || !tar_writer_name_ok(names[i])) {
			log_warn("skipped upload \"%s/%s\": its name %s", dir.data,
				 escaped(names[i], &esc),
				 valid_member(names[i]) ? "is not valid UTF-8"
							: "has a control character");
			c->st->skipped++;
			continue;
		}
		struct stat st;
		if (fstatat(nfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;   /* gone since the listing */
		if (c->o && c->o->quiet_period > 0 && S_ISREG(st.st_mode)) {
			double age = (double)(ts.tv_sec - st.st_ctim.tv_sec) +
				     (double)(ts.tv_nsec - st.st_ctim.tv_nsec) / 1e9;
			if (age < (double)c->o->quiet_period) {
				waiting++;   /* changed too recently: maybe still being written */
				continue;
			}
		}
		int r = -1;
		if (S_ISLNK(st.st_mode))
			errno = ELOOP;   /* read_at would refuse it too */
		else
			r = read_at(nfd, names[i], &c->data, &st);
		if (r < 0) {
			if (errno == ENOENT)
				continue;
			if (errno == ELOOP) {
				log_warn("skipped upload \"%s/%s\": it is a symbolic link", dir.data,
					 names[i]);
				c->st->skipped++;
			} else if (errno == EINVAL) {
				log_warn("skipped upload \"%s/%s\": it is not a regular file", dir.data,
					 names[i]);
				c->st->skipped++;
			} else {
				log_warn("could not read update \"%s/%s\": %s (left for the next run)",
					 dir.data, names[i], strerror(errno));
				c->st->failures++;
			}
			continue;
		}
		if (r > 0) {
			waiting++;   /* it changed while it was read: still being written */
			continue;
		}
		if (tar_writer_add(t, names[i], c->data.data, c->data.len, (int64_t)st.st_mtime) < 0) {
			note_errno(c, errno);
			buf_release(&esc);
			goto out;
		}
		m[kept++] = (struct member){names[i], c->data.len};
		if (kept == 1)
			checkpoint(c, "member");
	}
	buf_release(&esc);
	if (waiting) {
		int64_t q = c->o ? c->o->quiet_period : 0;
		if (q > 0)
			log_info("left %lu update%s of node \"%s\" for a later run: changed in the "
				 "last %lld s, maybe still being written", waiting,
				 waiting == 1 ? "" : "s", node, (long long)q);
		else
			log_info("left %lu update%s of node \"%s\" for a later run: changed while "
				 "being read", waiting, waiting == 1 ? "" : "s", node);
		c->st->waiting += waiting;
	}
	if (!kept) {
		tar_writer_abort(t);
		t = NULL;
		rc = 0;
		goto out;
	}
	int rc_close = tar_writer_close(t);
	t = NULL;
	if (rc_close < 0) {
		note_errno(c, errno);
		goto out;
	}
	checkpoint(c, "tmp");

	/* Pick the final name: the current second, or the next free one. */
	buf_printf(&journal, ".collect-%s.journal", node);
	for (int bump = 0;; bump++) {
		if (bump > 100000) {
			log_error("could not name a tarball for node \"%s\": every name is taken", node);
			unlinkat(c->upd_fd, tmp.data, 0);
			goto out;
		}
		time_stamp(now + bump, stamp);
		buf_reset(&final);
		buf_printf(&final, "%s_%s.tar", node, stamp);
		struct stat st;
		if (fstatat(c->upd_fd, final.data, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (write_journal(c, journal.data, node, final.data, tmp.data, m, kept) < 0) {
			unlinkat(c->upd_fd, tmp.data, 0);
			goto out;
		}
		checkpoint(c, "journal");
		if (linkat(c->upd_fd, tmp.data, c->upd_fd, final.data, 0) == 0)
			break;
		if (errno == EEXIST)
			continue;   /* taken meanwhile: next second, new journal */
		if (errno == EPERM || errno == EOPNOTSUPP || errno == EXDEV) {
			/* No hard links here: rename, with the existence check above. */
			if (renameat(c->upd_fd, tmp.data, c->upd_fd, final.data) == 0)
				break;
		}
		note_errno(c, errno);
		log_error("could not name tarball \"%s/%s\": %s", c->updates, final.data,
			  strerror(errno));
		unlinkat(c->upd_fd, tmp.data, 0);
		unlinkat(c->upd_fd, journal.data, 0);
		goto out;
	}
	unlinkat(c->upd_fd, tmp.data, 0);   /* the final name holds it now (a no-op after rename) */
	if (sync_dir(c->upd_fd, c->updates) < 0)
		goto out;
	checkpoint(c, "rename");

	for (int i = 0; i < kept; i++) {
		if (unlinkat(nfd, m[i].name, 0) < 0 && errno != ENOENT) {
			log_error("could not remove collected update \"%s/%s\": %s", dir.data,
				  m[i].name, strerror(errno));
			goto out;   /* the journal stays: the next run finishes the removal */
		}
		if (i == 0)
			checkpoint(c, "unlink");
	}
	if (sync_dir(nfd, dir.data) < 0)
		goto out;
	checkpoint(c, "done");
	if (unlinkat(c->upd_fd, journal.data, 0) < 0) {
		log_error("could not remove journal \"%s/%s\": %s", c->updates, journal.data,
			  strerror(errno));
		goto out;
	}
	sync_dir(c->upd_fd, c->updates);
	log_info("collected %d update%s of node \"%s\" into \"%s\"", kept, kept == 1 ? "" : "s",
		 node, final.data);
	c->st->tarballs++;
	c->st->updates += (unsigned long)kept;
	rc = 0;
out:
	if (t)
		tar_writer_abort(t);
	free(m);
	fs_names_free(names, n);
	buf_release(&dir);
	buf_release(&tmp);
	buf_release(&tmp_shown);
	buf_release(&final);
	buf_release(&journal);
	return rc;
}

/* ---- the run ---- */

/* Collects one entry of the uploads folder, if it is a node folder. */
static void collect_entry(struct collect *c, const char *name)
{
	struct stat sb;
	if (fstatat(c->up_fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return;   /* gone since the listing */
	struct buf esc;
	buf_init(&esc);
	if (S_ISLNK(sb.st_mode)) {
		if (fstatat(c->up_fd, name, &sb, 0) == 0 && S_ISDIR(sb.st_mode)) {
			log_warn("skipped upload folder \"%s\": it is a symbolic link",
				 escaped(name, &esc));
			c->st->skipped++;
		}
		goto out;
	}
	if (!S_ISDIR(sb.st_mode))
		goto out;
	if (!valid_node(name)) {
		log_warn("skipped upload folder \"%s\": not a usable node id", escaped(name, &esc));
		c->st->skipped++;
		goto out;
	}
	int nfd = openat(c->up_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			log_warn("skipped upload folder \"%s\": it is a symbolic link", name);
			c->st->skipped++;
		} else if (errno != ENOENT) {
			log_error("could not open upload folder \"%s/%s\": %s", c->uploads, name,
				  strerror(errno));
			c->st->failures++;
		}
		goto out;
	}
	c->st->nodes++;
	if (collect_node(c, name, nfd) < 0)
		c->st->failures++;
	close(nfd);
out:
	buf_release(&esc);
}

int collect_check(const char *uploads, const char *updates)
{
	int overlap = paths_overlap(uploads, updates);
	if (overlap < 0)
		return log_error("could not resolve \"%s\" and \"%s\": %s", uploads, updates,
				 strerror(errno));
	if (overlap)
		return log_error("cannot collect \"%s\" into \"%s\": the folders overlap",
				 uploads, updates);
	return 0;
}

int collect_run(const char *uploads, const char *updates, const struct collect_options *o,
		struct collect_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (collect_check(uploads, updates) < 0) {
		st->failures++;
		return -1;
	}
	struct collect c = {.uploads = uploads, .updates = updates, .up_fd = -1, .upd_fd = -1,
			    .o = o, .st = st};
	buf_init(&c.data);
	int lfd = -1;
	char **names = NULL;
	int n = 0;
	c.up_fd = open(uploads, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.up_fd < 0) {
		log_error("could not read uploads folder \"%s\": %s", uploads, strerror(errno));
		goto fail;
	}
	if (fs_mkdirs(updates) < 0) {
		log_error("could not create updates folder \"%s\": %s", updates, strerror(errno));
		goto fail;
	}
	c.upd_fd = open(updates, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.upd_fd < 0) {
		log_error("could not open updates folder \"%s\": %s", updates, strerror(errno));
		goto fail;
	}
	struct buf lock;
	buf_init(&lock);
	buf_printf(&lock, "%s/.collect.lock", updates);
	lfd = lock_file_take(lock.data, true, true);
	buf_release(&lock);
	if (lfd < 0)
		goto fail;

	/* Finish what an interrupted run left, then drop its temporary tarballs. */
	n = fs_list_at(c.upd_fd, keep_journal, NULL, &names);
	for (int i = 0; i < n; i++)
		if (recover(&c, names[i]) < 0)
			st->failures++;
	fs_names_free(names, n);
	n = fs_list_at(c.upd_fd, keep_tmp, NULL, &names);
	for (int i = 0; i < n; i++)
		if (unlinkat(c.upd_fd, names[i], 0) == 0)
			log_info("removed the unfinished tarball \"%s\" of an interrupted run", names[i]);
	fs_names_free(names, n);

	n = fs_list_at(c.up_fd, keep_visible, NULL, &names);
	if (n < 0) {
		log_error("could not list uploads folder \"%s\": %s", uploads, strerror(errno));
		st->failures++;
	}
	for (int i = 0; i < n && !c.full; i++) {
		collect_entry(&c, names[i]);
		if (c.full && i + 1 < n)
			log_warn("collect stopped: the file system of \"%s\" is full; the other upload "
				 "folders wait for the next run", updates);
	}
	fs_names_free(names, n);
	goto out;
fail:
	st->failures++;
out:
	if (lfd >= 0)
		close(lfd);
	if (c.up_fd >= 0)
		close(c.up_fd);
	if (c.upd_fd >= 0)
		close(c.upd_fd);
	buf_release(&c.data);
	return st->failures ? -1 : 0;
}
