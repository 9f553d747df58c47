/*
 * ops/collect.c: collecting uploads into tarballs, crash-safely (see
 * collect.h for the steps and how an interrupted run is finished).
 */
#include "collect.h"

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
#include "ops_fs.h"
#include "tar_writer.h"

#define JOURNAL_MAGIC "bpass-collect-journal 1"

struct collect {
	const char *uploads;
	const char *updates;
	const struct collect_options *o;
	struct collect_stats *st;
	struct buf data;        /* one update's bytes, reused */
};

struct member {
	char *name;
	uint64_t size;
};

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

/* An update file name safe to write into a journal line. */
static bool valid_member(const char *s)
{
	if (*s == '.')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 127)
			return false;
	return true;
}

static bool keep_gz(const char *name, void *arg)
{
	(void)arg;
	return ops_has_suffix(name, ".gz") && valid_member(name);
}

static bool keep_journal(const char *name, void *arg)
{
	(void)arg;
	return !strncmp(name, ".collect-", 9) && ops_has_suffix(name, ".journal");
}

static bool keep_tmp(const char *name, void *arg)
{
	(void)arg;
	return name[0] == '.' && ops_has_suffix(name, ".tar.tmp");
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
	int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ops_write_all(fd, j.data, j.len) < 0 || fsync(fd) < 0) {
		log_error("could not write journal \"%s\": %s", tmp.data, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp.data);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp.data, journal) < 0) {
		log_error("could not write journal \"%s\": %s", journal, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	rc = ops_fsync_dir(c->updates);
out:
	buf_release(&j);
	buf_release(&tmp);
	return rc;
}

/* Finishes (tarball present) or drops (absent) the collection a journal
 * describes. Returns 0, or -1 after printing why. */
static int recover(struct collect *c, const char *name)
{
	struct buf path, text, file;
	buf_init(&path);
	buf_init(&text);
	buf_init(&file);
	buf_printf(&path, "%s/%s", c->updates, name);
	int rc = -1;
	if (ops_read_file(path.data, &text) < 0) {
		log_error("could not read journal \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	/* A journal is complete only when it ends with "end": it is renamed into
	 * place after an fsync, so a partial one cannot exist; check anyway. */
	char *node = NULL, *tarball = NULL, *tmpname = NULL;
	bool complete = false, magic = false;
	struct member *m = NULL;
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
			if (*end == ' ') {
				xgrow((void **)&m, &cap, n + 1, sizeof(*m));
				m[n++] = (struct member){end + 1, size};
			}
		} else if (!strcmp(line, "end")) {
			complete = true;
		}
		line = nl + 1;
	}
	if (!complete || !node || !tarball || !tmpname || !valid_node(node)) {
		log_error("could not recover journal \"%s\": it is %s", path.data,
			  magic ? "incomplete" : "not a collect journal");
		free(m);
		goto out;
	}
	/* The collection happened when the tarball has its name, unless a
	 * temporary file that is a different file still exists (the name was
	 * then taken by something else before our link). */
	bool collected = false;
	struct stat st, st_tmp;
	buf_reset(&file);
	buf_printf(&file, "%s/%s", c->updates, tarball);
	if (stat(file.data, &st) == 0) {
		buf_reset(&file);
		buf_printf(&file, "%s/%s", c->updates, tmpname);
		collected = stat(file.data, &st_tmp) < 0 ||
			    (st_tmp.st_ino == st.st_ino && st_tmp.st_dev == st.st_dev);
	}
	if (collected) {
		/* The tarball was renamed into place: finish removing its files. */
		unsigned long removed = 0;
		for (uint32_t i = 0; i < n; i++) {
			buf_reset(&file);
			buf_printf(&file, "%s/%s/%s", c->uploads, node, m[i].name);
			if (lstat(file.data, &st) == 0 && S_ISREG(st.st_mode) &&
			    (uint64_t)st.st_size == m[i].size && unlink(file.data) == 0)
				removed++;
		}
		buf_reset(&file);
		buf_printf(&file, "%s/%s", c->uploads, node);
		if (removed && ops_fsync_dir(file.data) < 0) {
			free(m);
			goto out;
		}
		log_info("finished an interrupted collection into \"%s\": removed %lu collected "
			 "file%s", tarball, removed, removed == 1 ? "" : "s");
	} else {
		log_info("undid an interrupted collection for node \"%s\": its files will be "
			 "collected again", node);
	}
	free(m);
	if (unlink(path.data) < 0) {
		log_error("could not remove journal \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	rc = ops_fsync_dir(c->updates);
out:
	buf_release(&path);
	buf_release(&text);
	buf_release(&file);
	return rc;
}

/* ---- one node ---- */

static int collect_node(struct collect *c, const char *node)
{
	struct buf dir, tmp, final, journal, file;
	buf_init(&dir);
	buf_init(&tmp);
	buf_init(&final);
	buf_init(&journal);
	buf_init(&file);
	buf_printf(&dir, "%s/%s", c->uploads, node);
	char **names = NULL;
	int n = ops_list(dir.data, keep_gz, NULL, &names);
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
	int64_t now = (int64_t)time(NULL);
	ops_stamp(now, stamp);
	buf_printf(&tmp, "%s/.%s_%s.tar.tmp", c->updates, node, stamp);
	t = tar_writer_create(AT_FDCWD, tmp.data, tmp.data);
	if (!t)
		goto out;
	m = xcalloc((size_t)n, sizeof(*m));
	for (int i = 0; i < n; i++) {
		buf_reset(&file);
		buf_printf(&file, "%s/%s", dir.data, names[i]);
		struct stat st;
		if (lstat(file.data, &st) < 0 || !S_ISREG(st.st_mode))
			continue;   /* gone since the listing, or not a plain file */
		if (ops_read_file(file.data, &c->data) < 0) {
			if (errno != ENOENT) {
				log_warn("could not read update \"%s\": %s (left for the next run)",
					 file.data, strerror(errno));
				c->st->failures++;
			}
			continue;
		}
		if (tar_writer_add(t, names[i], c->data.data, c->data.len, (int64_t)st.st_mtime) < 0)
			goto out;
		m[kept++] = (struct member){names[i], c->data.len};
		if (kept == 1)
			checkpoint(c, "member");
	}
	if (!kept) {
		tar_writer_abort(t);
		t = NULL;
		rc = 0;
		goto out;
	}
	int rc_close = tar_writer_close(t);
	t = NULL;
	if (rc_close < 0)
		goto out;
	checkpoint(c, "tmp");

	/* Pick the final name: the current second, or the next free one. */
	buf_printf(&journal, "%s/.collect-%s.journal", c->updates, node);
	for (int bump = 0;; bump++) {
		if (bump > 100000) {
			log_error("could not name a tarball for node \"%s\": every name is taken", node);
			unlink(tmp.data);
			goto out;
		}
		ops_stamp(now + bump, stamp);
		buf_reset(&final);
		buf_printf(&final, "%s/%s_%s.tar", c->updates, node, stamp);
		if (access(final.data, F_OK) == 0)
			continue;
		const char *base = strrchr(final.data, '/') + 1;
		if (write_journal(c, journal.data, node, base, strrchr(tmp.data, '/') + 1, m,
				  kept) < 0) {
			unlink(tmp.data);
			goto out;
		}
		checkpoint(c, "journal");
		if (link(tmp.data, final.data) == 0)
			break;
		if (errno == EEXIST)
			continue;   /* taken meanwhile: next second, new journal */
		if (errno == EPERM || errno == EOPNOTSUPP || errno == EXDEV) {
			/* No hard links here: rename, with the existence check above. */
			if (rename(tmp.data, final.data) == 0)
				break;
		}
		log_error("could not name tarball \"%s\": %s", final.data, strerror(errno));
		unlink(tmp.data);
		unlink(journal.data);
		goto out;
	}
	unlink(tmp.data);   /* the final name holds it now (a no-op after rename) */
	if (ops_fsync_dir(c->updates) < 0)
		goto out;
	checkpoint(c, "rename");

	for (int i = 0; i < kept; i++) {
		buf_reset(&file);
		buf_printf(&file, "%s/%s", dir.data, m[i].name);
		if (unlink(file.data) < 0 && errno != ENOENT) {
			log_error("could not remove collected update \"%s\": %s", file.data,
				  strerror(errno));
			goto out;   /* the journal stays: the next run finishes the removal */
		}
		if (i == 0)
			checkpoint(c, "unlink");
	}
	if (ops_fsync_dir(dir.data) < 0)
		goto out;
	checkpoint(c, "done");
	if (unlink(journal.data) < 0) {
		log_error("could not remove journal \"%s\": %s", journal.data, strerror(errno));
		goto out;
	}
	ops_fsync_dir(c->updates);
	log_info("collected %d update%s of node \"%s\" into \"%s\"", kept, kept == 1 ? "" : "s",
		 node, strrchr(final.data, '/') + 1);
	c->st->tarballs++;
	c->st->updates += (unsigned long)kept;
	rc = 0;
out:
	if (t)
		tar_writer_abort(t);
	free(m);
	ops_names_free(names, n);
	buf_release(&dir);
	buf_release(&tmp);
	buf_release(&final);
	buf_release(&journal);
	buf_release(&file);
	return rc;
}

int collect_run(const char *uploads, const char *updates, const struct collect_options *o,
		struct collect_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct collect c = {.uploads = uploads, .updates = updates, .o = o, .st = st};
	struct stat sb;
	if (stat(c.uploads, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		st->failures++;
		return log_error("could not read uploads folder \"%s\": %s", c.uploads,
				 stat(c.uploads, &sb) < 0 ? strerror(errno) : "Not a directory");
	}
	if (atomic_mkdirs(c.updates) < 0) {
		st->failures++;
		return log_error("could not create updates folder \"%s\": %s", c.updates,
				 strerror(errno));
	}
	struct buf lock;
	buf_init(&lock);
	buf_printf(&lock, "%s/.collect.lock", c.updates);
	int lfd = ops_lock(lock.data, true, true);
	buf_release(&lock);
	if (lfd < 0) {
		st->failures++;
		return -1;
	}
	buf_init(&c.data);

	/* Finish what an interrupted run left, then drop its temporary tarballs. */
	char **names;
	int n = ops_list(c.updates, keep_journal, NULL, &names);
	for (int i = 0; i < n; i++)
		if (recover(&c, names[i]) < 0)
			st->failures++;
	ops_names_free(names, n);
	n = ops_list(c.updates, keep_tmp, NULL, &names);
	for (int i = 0; i < n; i++) {
		struct buf p;
		buf_init(&p);
		buf_printf(&p, "%s/%s", c.updates, names[i]);
		if (unlink(p.data) == 0)
			log_info("removed the unfinished tarball \"%s\" of an interrupted run", names[i]);
		buf_release(&p);
	}
	ops_names_free(names, n);

	n = ops_list(c.uploads, NULL, NULL, &names);
	if (n < 0) {
		log_error("could not list uploads folder \"%s\": %s", c.uploads, strerror(errno));
		st->failures++;
	}
	for (int i = 0; i < n; i++) {
		struct buf p;
		buf_init(&p);
		buf_printf(&p, "%s/%s", c.uploads, names[i]);
		bool is_dir = stat(p.data, &sb) == 0 && S_ISDIR(sb.st_mode);
		buf_release(&p);
		if (!is_dir || names[i][0] == '.')
			continue;
		if (!valid_node(names[i])) {
			log_warn("skipped upload folder \"%s\": not a usable node id", names[i]);
			continue;
		}
		st->nodes++;
		if (collect_node(&c, names[i]) < 0)
			st->failures++;
	}
	ops_names_free(names, n);
	close(lfd);
	buf_release(&c.data);
	return st->failures ? -1 : 0;
}
