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
#include "log.h"
#include "ops_fs.h"
#include "tar_writer.h"
#include "tarball.h"

#define MANIFEST ".anonymize-manifest"

/* libarchive's errno for "not an archive of a known format" (private in
 * archive.h; EILSEQ on Linux, from its archive_platform.h). */
#ifndef ARCHIVE_ERRNO_FILE_FORMAT
#define ARCHIVE_ERRNO_FILE_FORMAT EILSEQ
#endif

struct anon {
	const char *src, *dst;
	char **done;              /* sorted source names from the manifest */
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

static void md5_hex(const char *s, size_t n, char out[33])
{
	MD5Data((const uint8_t *)s, n, out);
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
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
	if (strcmp(rest, ".tar") && !(rest[0] == '_' && ops_has_suffix(rest, ".tar")))
		return -1;
	memcpy(out->node, base, (size_t)(us - base));
	out->node[us - base] = 0;
	memcpy(out->stamp, d, 19);
	out->stamp[19] = 0;
	struct tm tm = {0};
	tm.tm_year = atoi(d) - 1900;
	tm.tm_mon = atoi(d + 5) - 1;
	tm.tm_mday = atoi(d + 8);
	tm.tm_hour = atoi(d + 11);
	tm.tm_min = atoi(d + 14);
	tm.tm_sec = atoi(d + 17);
	out->time = (int64_t)timegm(&tm);
	return 0;
}

/* ---- the manifest ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_manifest(struct anon *a)
{
	struct buf path, text;
	buf_init(&path);
	buf_init(&text);
	buf_printf(&path, "%s/%s", a->dst, MANIFEST);
	int rc = 0;
	if (ops_read_file(path.data, &text) < 0) {
		if (errno != ENOENT)
			rc = log_error("could not read \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	for (char *line = text.data; line < text.data + text.len;) {
		char *nl = memchr(line, '\n', (size_t)(text.data + text.len - line));
		if (!nl)
			break;   /* a torn last line: that tarball is redone */
		*nl = 0;
		char *tab = strchr(line, '\t');
		if (tab) {
			*tab = 0;
			xgrow((void **)&a->done, &a->cap_done, a->ndone + 1, sizeof(*a->done));
			a->done[a->ndone++] = xstrdup(line);
		}
		line = nl + 1;
	}
	if (a->ndone)
		qsort(a->done, a->ndone, sizeof(*a->done), cmp_str);
out:
	buf_release(&path);
	buf_release(&text);
	return rc;
}

static bool already_done(const struct anon *a, const char *name)
{
	return a->ndone && bsearch(&name, a->done, a->ndone, sizeof(*a->done), cmp_str);
}

static int record(struct anon *a, const char *source, const char *output)
{
	struct buf path, line;
	buf_init(&path);
	buf_init(&line);
	buf_printf(&path, "%s/%s", a->dst, MANIFEST);
	buf_printf(&line, "%s\t%s\n", source, output);
	int rc = 0;
	int fd = open(path.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || ops_write_all(fd, line.data, line.len) < 0 || fsync(fd) < 0)
		rc = log_error("could not write \"%s\": %s", path.data, strerror(errno));
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	buf_release(&line);
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
	char node_md5[33];
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
	char own_md5[33] = "";
	const char *own = "";
	if (node[0] && strcmp(node, c->tn->node)) {
		md5_hex(node, strlen(node), own_md5);
		own = node;
	}
	buf_reset(&a->out);
	replace_into(&a->out, a->text.data, sig, c->tn->node, c->node_md5, own, own_md5);
	buf_append(&a->out, a->text.data + sig, a->text.len - sig);
	buf_reset(&a->name);
	replace_into(&a->name, name, strlen(name), c->tn->node, c->node_md5, own, own_md5);
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
	md5_hex(tn.node, strlen(tn.node), c.node_md5);
	struct buf src, tmp, final;
	buf_init(&src);
	buf_init(&tmp);
	buf_init(&final);
	buf_printf(&src, "%s/%s", a->src, base);
	buf_printf(&tmp, "%s/.%s_%s.%ld.tar.tmp", a->dst, c.node_md5, tn.stamp, (long)getpid());
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
	buf_printf(&final, "%s/%s_%s_%s.tar", a->dst, c.node_md5, tn.stamp, tar_md5);
	/* Same name means same bytes: a copy made before a crash is kept. */
	if (link(tmp.data, final.data) < 0 && errno != EEXIST) {
		if (rename(tmp.data, final.data) < 0) {
			log_error("could not name \"%s\": %s", final.data, strerror(errno));
			unlink(tmp.data);
			goto out;
		}
	}
	unlink(tmp.data);
	if (ops_fsync_dir(a->dst) < 0)
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
	return name[0] != '.' && ops_has_suffix(name, ".tar");
}

static bool keep_tmp(const char *name, void *arg)
{
	(void)arg;
	return name[0] == '.' && ops_has_suffix(name, ".tar.tmp");
}

int anonymize_run(const char *src, const char *dst, struct anonymize_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct anon a = {.src = src, .dst = dst, .st = st};
	char **names = NULL;
	int n = ops_list(a.src, keep_tar, NULL, &names);
	if (n < 0) {
		st->failures++;
		return log_error("could not list tarballs in \"%s\": %s", a.src, strerror(errno));
	}
	if (atomic_mkdirs(a.dst) < 0) {
		log_error("could not create folder \"%s\": %s", a.dst, strerror(errno));
		ops_names_free(names, n);
		st->failures++;
		return -1;
	}
	struct buf lock;
	buf_init(&lock);
	buf_printf(&lock, "%s/.anonymize.lock", a.dst);
	int lfd = ops_lock(lock.data, true, true);
	buf_release(&lock);
	if (lfd < 0 || load_manifest(&a) < 0) {
		ops_names_free(names, n);
		if (lfd >= 0)
			close(lfd);
		st->failures++;
		return -1;
	}
	/* Temporary copies of an interrupted run. */
	char **tmps;
	int nt = ops_list(a.dst, keep_tmp, NULL, &tmps);
	for (int i = 0; i < nt; i++) {
		struct buf p;
		buf_init(&p);
		buf_printf(&p, "%s/%s", a.dst, tmps[i]);
		unlink(p.data);
		buf_release(&p);
	}
	ops_names_free(tmps, nt);

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
	ops_names_free(names, n);
	close(lfd);
	return rc;
}
