/*
 * ops/anonymize.c: anonymized copies of tarballs (see anonymize.h).
 */
#include "anonymize.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "atomic_file.h"
#include "buf.h"
#include "hmac.h"
#include "log.h"
#include "fs.h"
#include "lock_file.h"
#include "timeutil.h"
#include "paths.h"
#include "tar_writer.h"
#include "tarball.h"

#define DONE ".anonymize-done"
#define DONE_MAGIC "bpass-anonymize-done 1"
/* Written by earlier versions into the output folder: clear source names. */
#define OLD_MANIFEST ".anonymize-manifest"

/* libarchive's errno for "not an archive of a known format" (private in
 * archive.h; EILSEQ on Linux, from its archive_platform.h). */
#ifndef ARCHIVE_ERRNO_FILE_FORMAT
#define ARCHIVE_ERRNO_FILE_FORMAT EILSEQ
#endif

struct anon {
	const char *src, *dst;
	const struct anonymize_options *o;
	char mode[64];            /* "md5" or "hmac-sha256 <key id>": the done file's header */
	char **done;              /* sorted digests of the source names already handled */
	uint32_t ndone, cap_done;
	z_stream inflater, deflater;
	struct buf raw, text, out, gz, name;   /* reused per member */
	struct anonymize_stats *st;
};

struct tar_name {
	char node[72];
	char stamp[24];           /* "YYYY-MM-DD_HH-MM-SS" */
	int64_t time;             /* the stamp as UTC seconds */
};

/* What replaces a node id (and names a source tarball in the done file):
 * the md5 (32 hex digits), or with a key the HMAC-SHA256 (64). */
static void hash_hex(const struct anon *a, const char *s, size_t n, char out[NODE_HASH_MAX])
{
	if (a->o->key)
		hmac_sha256_hex(a->o->key, a->o->key_len, s, n, out);
	else
		MD5Data((const uint8_t *)s, n, out);
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The value of n decimal digits (already checked with digits()). */
static int digits_value(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* NODEID_YYYY-MM-DD_HH-MM-SS[_MD5].tar */
static int parse_name(const char *base, struct tar_name *out)
{
	const char *us = strchr(base, '_');
	if (!us || us == base || (size_t)(us - base) >= sizeof(out->node))
		return -1;
	const char *d = us + 1;
	if (strlen(d) < 19 + 4 || !digits(d, 4) || d[4] != '-' || !digits(d + 5, 2) ||
	    d[7] != '-' || !digits(d + 8, 2) || d[10] != '_' || !digits(d + 11, 2) ||
	    d[13] != '-' || !digits(d + 14, 2) || d[16] != '-' || !digits(d + 17, 2))
		return -1;
	const char *rest = d + 19;
	if (strcmp(rest, ".tar") && !(rest[0] == '_' && fs_has_suffix(rest, ".tar")))
		return -1;
	memcpy(out->node, base, (size_t)(us - base));
	out->node[us - base] = 0;
	memcpy(out->stamp, d, 19);
	out->stamp[19] = 0;
	struct tm tm = {0};
	tm.tm_year = digits_value(d, 4) - 1900;
	tm.tm_mon = digits_value(d + 5, 2) - 1;
	tm.tm_mday = digits_value(d + 8, 2);
	tm.tm_hour = digits_value(d + 11, 2);
	tm.tm_min = digits_value(d + 14, 2);
	tm.tm_sec = digits_value(d + 17, 2);
	out->time = (int64_t)timegm(&tm);
	return 0;
}

/* ---- what is done, and the manifest ----
 *
 * DST/.anonymize-done records the source tarballs already handled, so later
 * runs skip them. It is in the output folder, so it holds no clear name:
 * its first line names the node id hash ("bpass-anonymize-done 1 md5", or
 * "... hmac-sha256 <key id>"), then one line per source tarball, the hash of
 * its name. The clear-to-anonymized mapping goes only into the manifest the
 * caller asked for, outside the output folder.
 */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_done(struct anon *a, const char *digest)
{
	xgrow((void **)&a->done, &a->cap_done, a->ndone + 1, sizeof(*a->done));
	a->done[a->ndone++] = xstrdup(digest);
}

/* Appends text to the file at path (created when missing, with head first
 * when head is not NULL), then fsyncs it. what names it in messages.
 * Returns 0 or -1. */
static int append(const char *path, const char *head, const char *text, const char *what)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct stat st;
	int rc = 0;
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (head && st.st_size == 0 && fs_write_all(fd, head, strlen(head)) < 0) ||
	    fs_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0)
		rc = log_error("could not write %s \"%s\": %s", what, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Creates the manifest (and its folder) if missing, so that a manifest
 * that cannot be written stops the run before any copy is made. */
static int open_manifest(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		struct buf dir;
		buf_init(&dir);
		buf_append(&dir, path, (size_t)(slash - path));
		int r = fs_mkdirs(dir.data);
		int e = errno;
		if (r < 0)
			log_error("could not create folder \"%s\": %s", dir.data, strerror(e));
		buf_release(&dir);
		if (r < 0)
			return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_error("could not write manifest \"%s\": %s", path, strerror(errno));
	close(fd);
	return 0;
}

/* Reads the done file (and checks it was made with this run's hash). */
static int load_done(struct anon *a)
{
	struct buf path, text;
	buf_init(&path);
	buf_init(&text);
	buf_printf(&path, "%s/%s", a->dst, DONE);
	int rc = 0;
	if (fs_read_file(path.data, &text) < 0) {
		if (errno != ENOENT)
			rc = log_error("could not read \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	bool first = true;
	for (char *line = text.data; line < text.data + text.len;) {
		char *nl = memchr(line, '\n', (size_t)(text.data + text.len - line));
		if (!nl)
			break;   /* a torn last line: that tarball is redone */
		*nl = 0;
		if (first) {
			size_t m = strlen(DONE_MAGIC);
			if (strncmp(line, DONE_MAGIC " ", m + 1)) {
				rc = log_error("could not read \"%s\": it is not a list of anonymized "
					       "tarballs", path.data);
				goto out;
			}
			if (strcmp(line + m + 1, a->mode)) {
				rc = log_error("cannot anonymize into \"%s\": it holds copies made with "
					       "another node id hash (%s; this run: %s); use another "
					       "output folder", a->dst, line + m + 1, a->mode);
				goto out;
			}
			first = false;
		} else if (*line) {
			add_done(a, line);
		}
		line = nl + 1;
	}
out:
	buf_release(&path);
	buf_release(&text);
	return rc;
}

/* Moves the entries of a manifest left in the output folder by an earlier
 * version (clear name TAB copy) out of it: into the done file as hashes,
 * and into the caller's manifest if there is one; then removes it. */
static int move_old_manifest(struct anon *a)
{
	struct buf path, text, done;
	buf_init(&path);
	buf_init(&text);
	buf_init(&done);
	buf_printf(&path, "%s/%s", a->dst, OLD_MANIFEST);
	int rc = 0;
	if (fs_read_file(path.data, &text) < 0) {
		if (errno != ENOENT)
			rc = log_error("could not read \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	if (a->o->key) {
		/* Earlier versions made md5 copies only. */
		rc = log_error("cannot anonymize into \"%s\": it holds copies made with another "
			       "node id hash (md5, from an earlier version; this run: %s); use "
			       "another output folder", a->dst, a->mode);
		goto out;
	}
	if (a->o->manifest && text.len &&
	    (rc = append(a->o->manifest, NULL, text.data, "manifest")) < 0)
		goto out;
	for (char *line = text.data; line < text.data + text.len;) {
		char *nl = memchr(line, '\n', (size_t)(text.data + text.len - line));
		if (!nl)
			break;
		*nl = 0;
		char *tab = strchr(line, '\t');
		if (tab) {
			char digest[NODE_HASH_MAX];
			hash_hex(a, line, (size_t)(tab - line), digest);
			buf_printf(&done, "%s\n", digest);
			add_done(a, digest);
		}
		line = nl + 1;
	}
	struct buf head, done_path;
	buf_init(&head);
	buf_init(&done_path);
	buf_printf(&head, "%s %s\n", DONE_MAGIC, a->mode);
	buf_printf(&done_path, "%s/%s", a->dst, DONE);
	if (done.len)
		rc = append(done_path.data, head.data, done.data, "list of anonymized tarballs");
	buf_release(&head);
	buf_release(&done_path);
	if (rc < 0)
		goto out;
	if (unlink(path.data) < 0) {
		rc = log_error("could not remove \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	rc = fs_fsync_dir(a->dst);
	if (a->o->manifest)
		log_warn("moved the entries of \"%s\" out of the output folder (it mapped clear "
			 "tarball names to anonymized ones) into the manifest \"%s\"", path.data,
			 a->o->manifest);
	else
		log_warn("moved the entries of \"%s\" out of the output folder (it mapped clear "
			 "tarball names to anonymized ones): the tarballs it lists stay done; the "
			 "mapping can be made again from the sources with a manifest", path.data);
out:
	buf_release(&path);
	buf_release(&text);
	buf_release(&done);
	return rc;
}

static bool already_done(const struct anon *a, const char *name)
{
	if (!a->ndone)
		return false;
	char digest[NODE_HASH_MAX];
	const char *key = digest;
	hash_hex(a, name, strlen(name), digest);
	return bsearch(&key, a->done, a->ndone, sizeof(*a->done), cmp_str);
}

/* Records that the source tarball is handled: its hash in the done file,
 * and "source TAB output" in the manifest if asked for. */
static int record(struct anon *a, const char *source, const char *output)
{
	struct buf path, line, head;
	buf_init(&path);
	buf_init(&line);
	buf_init(&head);
	char digest[NODE_HASH_MAX];
	hash_hex(a, source, strlen(source), digest);
	int rc = 0;
	if (a->o->manifest) {
		buf_printf(&line, "%s\t%s\n", source, output);
		rc = append(a->o->manifest, NULL, line.data, "manifest");
	}
	if (rc == 0) {
		buf_printf(&path, "%s/%s", a->dst, DONE);
		buf_printf(&head, "%s %s\n", DONE_MAGIC, a->mode);
		buf_reset(&line);
		buf_printf(&line, "%s\n", digest);
		rc = append(path.data, head.data, line.data, "list of anonymized tarballs");
	}
	buf_release(&path);
	buf_release(&line);
	buf_release(&head);
	return rc;
}

/* ---- one member ---- */

/* Gunzips src into out (every gzip member of a multi-member stream).
 * Returns 0, or -1 with *why set. */
static int gunzip(struct anon *a, const void *src, size_t len, struct buf *out, const char **why)
{
	z_stream *z = &a->inflater;
	buf_reset(out);
	if (inflateReset2(z, 15 + 16) != Z_OK) {
		*why = "zlib error";
		return -1;
	}
	z->next_in = (Bytef *)(uintptr_t)src;
	z->avail_in = (uInt)len;
	if (len < 2) {
		*why = "not gzip";
		return -1;
	}
	for (;;) {
		buf_reserve(out, 65536);
		z->next_out = (Bytef *)out->data + out->len;
		z->avail_out = 65536;
		int r = inflate(z, Z_NO_FLUSH);
		out->len += 65536 - z->avail_out;
		out->data[out->len] = 0;
		if (out->len > TARBALL_MAX_INFLATED) {
			*why = "inflates past the size limit";
			return -1;
		}
		if (r == Z_STREAM_END) {
			if (!z->avail_in)
				return 0;
			if (inflateReset(z) != Z_OK) {   /* another gzip member follows */
				*why = "zlib error";
				return -1;
			}
			continue;
		}
		if (r == Z_BUF_ERROR && !z->avail_in) {
			*why = "truncated gzip";
			return -1;
		}
		if (r != Z_OK) {
			*why = out->len || r != Z_DATA_ERROR ? "corrupt gzip" : "not gzip";
			return -1;
		}
	}
}

static int gzip_into(struct anon *a, const char *src, size_t len, struct buf *out)
{
	z_stream *z = &a->deflater;
	buf_reset(out);
	if (deflateReset(z) != Z_OK)
		return -1;
	z->next_in = (Bytef *)(uintptr_t)src;
	z->avail_in = (uInt)len;
	for (;;) {
		buf_reserve(out, 65536);
		z->next_out = (Bytef *)out->data + out->len;
		z->avail_out = 65536;
		int r = deflate(z, Z_FINISH);
		out->len += 65536 - z->avail_out;
		if (r == Z_STREAM_END)
			return 0;
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -1;
	}
}

/* Appends s[0..n) to out with every occurrence of from1 and from2 (either
 * may be "") replaced by to1 and to2. */
static void replace_into(struct buf *out, const char *s, size_t n, const char *from1,
			 const char *to1, const char *from2, const char *to2)
{
	size_t l1 = strlen(from1), l2 = strlen(from2);
	size_t i = 0;
	while (i < n) {
		if (l1 && n - i >= l1 && !memcmp(s + i, from1, l1)) {
			buf_puts(out, to1);
			i += l1;
		} else if (l2 && n - i >= l2 && !memcmp(s + i, from2, l2)) {
			buf_puts(out, to2);
			i += l2;
		} else {
			buf_putc(out, s[i++]);
		}
	}
}

static bool is_hex40(const char *s, size_t n)
{
	if (n != 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * Finds the signature line: the first line of section 1 or 2 (sections are
 * separated by empty lines) that is UNANONYMIZED or 40 lowercase hex digits.
 * Sets *sig to its offset and *unanonymized. Also returns the update's own
 * node id (first token of intro line 3, or line 1 without a version line)
 * in node[72]. Returns 0, or -1 when there is no signature line.
 */
static int find_signature(const char *t, size_t n, size_t *sig, bool *unanonymized,
			  char node[72])
{
	unsigned section = 0, line_no = 0;
	bool section_start = true, versioned = false;
	node[0] = 0;
	for (size_t i = 0; i < n && section <= 2;) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (t + i)) : n - i;
		const char *line = t + i;
		if (len == 0) {
			section++;
			section_start = true;
		} else {
			if (section == 0) {
				line_no++;
				if (line_no == 1)
					versioned = digits(line, len);
				if (line_no == (versioned ? 3u : 1u)) {
					size_t k = 0;
					while (k < len && line[k] != ' ' && k < 71)
						k++;
					memcpy(node, line, k);
					node[k] = 0;
				}
			} else if (section_start) {
				bool un = len == 12 && !memcmp(line, "UNANONYMIZED", 12);
				if (un || is_hex40(line, len)) {
					*sig = i;
					*unanonymized = un;
					return 0;
				}
			}
			section_start = false;
		}
		if (!nl)
			break;
		i += len + 1;
	}
	return -1;
}

struct copy {
	struct anon *a;
	const struct tar_name *tn;
	char node_hash[NODE_HASH_MAX];
	struct tar_writer *out;
	unsigned long kept;
	bool failed;
};

static int copy_member(struct copy *c, const char *name, const void *data, size_t len)
{
	struct anon *a = c->a;
	const char *why = NULL;
	if (gunzip(a, data, len, &a->text, &why) < 0) {
		log_warn("left out \"%s\": %s", name, why);
		a->st->unreadable++;
		return 0;
	}
	size_t sig;
	bool un;
	char node[72];
	if (find_signature(a->text.data, a->text.len, &sig, &un, node) < 0) {
		log_warn("left out \"%s\": it has no anonymization signature line", name);
		a->st->unreadable++;
		return 0;
	}
	if (un) {
		a->st->unanonymized++;
		return 0;
	}
	/* The update's own node id, if it differs from the tarball's, is replaced
	 * by its own md5 too. */
	char own_hash[NODE_HASH_MAX] = "";
	const char *own = "";
	if (node[0] && strcmp(node, c->tn->node)) {
		hash_hex(a, node, strlen(node), own_hash);
		own = node;
	}
	buf_reset(&a->out);
	replace_into(&a->out, a->text.data, sig, c->tn->node, c->node_hash, own, own_hash);
	buf_append(&a->out, a->text.data + sig, a->text.len - sig);
	buf_reset(&a->name);
	replace_into(&a->name, name, strlen(name), c->tn->node, c->node_hash, own, own_hash);
	if (gzip_into(a, a->out.data, a->out.len, &a->gz) < 0) {
		log_error("could not compress \"%s\"", name);
		return -1;
	}
	if (tar_writer_add(c->out, a->name.data, a->gz.data, a->gz.len, c->tn->time) < 0)
		return -1;
	c->kept++;
	return 0;
}

/* ---- one tarball ---- */

static int anonymize_tarball(struct anon *a, const char *base)
{
	struct tar_name tn;
	if (parse_name(base, &tn) < 0) {
		log_warn("skipped \"%s\": not named NODEID_YYYY-MM-DD_HH-MM-SS.tar", base);
		a->st->skipped++;
		return 0;
	}
	struct copy c = {.a = a, .tn = &tn};
	hash_hex(a, tn.node, strlen(tn.node), c.node_hash);
	struct buf src, tmp, final;
	buf_init(&src);
	buf_init(&tmp);
	buf_init(&final);
	buf_printf(&src, "%s/%s", a->src, base);
	buf_printf(&tmp, "%s/.%s_%s.%ld.tar.tmp", a->dst, c.node_hash, tn.stamp, (long)getpid());
	unlink(tmp.data);
	int rc = -1;
	struct archive *ar = archive_read_new();
	archive_read_support_format_tar(ar);
	archive_read_support_filter_none(ar);
	c.out = tar_writer_create(AT_FDCWD, tmp.data, tmp.data);
	if (!c.out)
		goto out;
	if (archive_read_open_filename(ar, src.data, 65536) != ARCHIVE_OK) {
		log_error("could not open tarball \"%s\": %s", src.data, archive_error_string(ar));
		/* Not a tar at all (an empty file, say) will not get better: record
		 * it so that later runs skip it; a read error is retried. */
		if (archive_errno(ar) == ARCHIVE_ERRNO_FILE_FORMAT)
			record(a, base, "-");
		goto out;
	}
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (archive_entry_filetype(e) != AE_IFREG || !name)
			continue;
		la_int64_t size = archive_entry_size(e);
		if (size < 0 || size > (la_int64_t)TARBALL_MAX_INFLATED) {
			log_warn("left out \"%s\" of \"%s\": too large", name, base);
			a->st->unreadable++;
			continue;
		}
		buf_reset(&a->raw);
		buf_reserve(&a->raw, (size_t)size);
		la_ssize_t got = archive_read_data(ar, a->raw.data, (size_t)size);
		if (got != size) {
			log_warn("left out \"%s\" of \"%s\": truncated in the tarball", name, base);
			a->st->unreadable++;
			continue;
		}
		a->raw.len = (size_t)size;
		if (copy_member(&c, name, a->raw.data, a->raw.len) < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF && !c.kept && archive_errno(ar) == ARCHIVE_ERRNO_FILE_FORMAT) {
		log_error("could not read tarball \"%s\": %s", src.data, archive_error_string(ar));
		record(a, base, "-");   /* not a tar: later runs skip it */
		goto out;
	}
	if (r != ARCHIVE_EOF) {
		/* A damaged tail: keep what was read, as the indexer would. */
		log_warn("could not read all of tarball \"%s\": %s", src.data,
			 archive_error_string(ar));
		a->st->failures++;
	}
	if (!c.kept) {
		tar_writer_abort(c.out);
		c.out = NULL;
		log_info("\"%s\": no update to publish", base);
		rc = record(a, base, "-");
		goto out;
	}
	int closed = tar_writer_close(c.out);
	c.out = NULL;
	if (closed < 0)
		goto out;
	char tar_md5[33];
	if (!MD5File(tmp.data, tar_md5)) {
		log_error("could not read \"%s\": %s", tmp.data, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	buf_printf(&final, "%s/%s_%s_%s.tar", a->dst, c.node_hash, tn.stamp, tar_md5);
	/* Same name means same bytes: a copy made before a crash is kept. */
	if (link(tmp.data, final.data) < 0 && errno != EEXIST) {
		if (rename(tmp.data, final.data) < 0) {
			log_error("could not name \"%s\": %s", final.data, strerror(errno));
			unlink(tmp.data);
			goto out;
		}
	}
	unlink(tmp.data);
	if (fs_fsync_dir(a->dst) < 0)
		goto out;
	const char *out_base = strrchr(final.data, '/') + 1;
	log_info("anonymized \"%s\" into \"%s\" (%lu update%s)", base, out_base, c.kept,
		 c.kept == 1 ? "" : "s");
	a->st->tarballs++;
	a->st->kept += c.kept;
	rc = record(a, base, out_base);
out:
	if (c.out)
		tar_writer_abort(c.out);
	archive_read_free(ar);
	buf_release(&src);
	buf_release(&tmp);
	buf_release(&final);
	return rc;
}

static bool keep_tar(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.' && fs_has_suffix(name, ".tar");
}

static bool keep_tmp(const char *name, void *arg)
{
	(void)arg;
	return name[0] == '.' && fs_has_suffix(name, ".tar.tmp");
}

/* ---- keys and checks ---- */

int anonymize_key_read(const char *path, struct buf *key)
{
	buf_reset(key);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error("could not read key file \"%s\": %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		log_warn("key file \"%s\" can be read by other users (chmod 600 it)", path);
	for (;;) {
		buf_reserve(key, 4096);
		ssize_t r = read(fd, key->data + key->len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			buf_reset(key);
			return log_error("could not read key file \"%s\": %s", path, strerror(e));
		}
		if (!r)
			break;
		key->len += (size_t)r;
		if (key->len > ANONYMIZE_KEY_MAX) {
			close(fd);
			buf_reset(key);
			return log_error("invalid key file \"%s\": it is longer than %d bytes",
					 path, ANONYMIZE_KEY_MAX);
		}
	}
	close(fd);
	if (key->len && key->data[key->len - 1] == '\n')
		key->len--;
	if (key->len && key->data[key->len - 1] == '\r')
		key->len--;
	key->data[key->len] = 0;
	return 0;
}

int anonymize_key_check(const char *path, const struct buf *key)
{
	if (key->len < ANONYMIZE_KEY_MIN)
		return log_error("invalid key file \"%s\": it holds %zu bytes, expected at least %d "
				 "(e.g. head -c 32 /dev/urandom | base64 >KEYFILE)", path, key->len,
				 ANONYMIZE_KEY_MIN);
	return 0;
}

int anonymize_check(const char *src, const char *dst, const struct anonymize_options *o)
{
	int overlap = paths_overlap(src, dst);
	if (overlap < 0)
		return log_error("could not resolve \"%s\" and \"%s\": %s", src, dst,
				 strerror(errno));
	if (overlap)
		return log_error("cannot anonymize \"%s\" into \"%s\": the folders overlap (the "
				 "copies would be anonymized again)", src, dst);
	struct {
		const char *path, *what, *why;
	} files[] = {
		{o->manifest, "write the manifest", "it maps clear tarball names to anonymized ones"},
		{o->key_path, "use the key file", "it would be published with the copies"},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i].path)
			continue;
		int r = paths_inside(files[i].path, dst);
		if (r < 0)
			return log_error("could not resolve \"%s\": %s", files[i].path, strerror(errno));
		if (r)
			return log_error("cannot %s \"%s\" inside the output folder \"%s\": %s",
					 files[i].what, files[i].path, dst, files[i].why);
	}
	return 0;
}

/* ---- the run ---- */

int anonymize_run(const char *src, const char *dst, const struct anonymize_options *o,
		  struct anonymize_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct anon a = {.src = src, .dst = dst, .o = o, .st = st};
	if (anonymize_check(src, dst, o) < 0) {
		st->failures++;
		return -1;
	}
	if (o->key) {
		char id[2 * HMAC_SHA256_LEN + 1];
		hmac_sha256_hex(o->key, o->key_len, "bpass-anonymize key id", 22, id);
		snprintf(a.mode, sizeof(a.mode), "hmac-sha256 %.16s", id);
	} else {
		snprintf(a.mode, sizeof(a.mode), "md5");
	}
	if (o->manifest && open_manifest(o->manifest) < 0) {
		st->failures++;
		return -1;
	}
	char **names = NULL;
	int n = fs_list(a.src, keep_tar, NULL, &names);
	if (n < 0) {
		st->failures++;
		return log_error("could not list tarballs in \"%s\": %s", a.src, strerror(errno));
	}
	if (fs_mkdirs(a.dst) < 0) {
		log_error("could not create folder \"%s\": %s", a.dst, strerror(errno));
		fs_names_free(names, n);
		st->failures++;
		return -1;
	}
	struct buf lock;
	buf_init(&lock);
	buf_printf(&lock, "%s/.anonymize.lock", a.dst);
	int lfd = lock_file_take(lock.data, true, true);
	buf_release(&lock);
	if (lfd < 0 || load_done(&a) < 0 || move_old_manifest(&a) < 0) {
		fs_names_free(names, n);
		if (lfd >= 0)
			close(lfd);
		for (uint32_t i = 0; i < a.ndone; i++)
			free(a.done[i]);
		free(a.done);
		st->failures++;
		return -1;
	}
	if (a.ndone)
		qsort(a.done, a.ndone, sizeof(*a.done), cmp_str);
	/* Temporary copies of an interrupted run. */
	char **tmps;
	int nt = fs_list(a.dst, keep_tmp, NULL, &tmps);
	for (int i = 0; i < nt; i++) {
		struct buf p;
		buf_init(&p);
		buf_printf(&p, "%s/%s", a.dst, tmps[i]);
		unlink(p.data);
		buf_release(&p);
	}
	fs_names_free(tmps, nt);

	buf_init(&a.raw);
	buf_init(&a.text);
	buf_init(&a.out);
	buf_init(&a.gz);
	buf_init(&a.name);
	int rc = 0;
	if (inflateInit2(&a.inflater, 15 + 16) != Z_OK) {
		rc = log_error("could not set up zlib");
		goto out;
	}
	if (deflateInit2(&a.deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&a.inflater);
		rc = log_error("could not set up zlib");
		goto out;
	}
	st->found = (unsigned long)n;
	for (int i = 0; i < n; i++) {
		if (already_done(&a, names[i])) {
			st->already++;
			continue;
		}
		if (anonymize_tarball(&a, names[i]) < 0)
			st->failures++;
	}
	inflateEnd(&a.inflater);
	deflateEnd(&a.deflater);
	rc = st->failures ? -1 : 0;
out:
	if (rc < 0 && !st->failures)
		st->failures++;
	buf_release(&a.raw);
	buf_release(&a.text);
	buf_release(&a.out);
	buf_release(&a.gz);
	buf_release(&a.name);
	for (uint32_t i = 0; i < a.ndone; i++)
		free(a.done[i]);
	free(a.done);
	fs_names_free(names, n);
	close(lfd);
	return rc;
}
