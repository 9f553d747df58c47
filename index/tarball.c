/*
 * index/tarball.c: walks a tarball of gzipped updates with libarchive and
 * gunzips each member into a buffer the reader keeps, so that a
 * stream of members costs no allocation once the buffers have grown. Bad
 * members (empty, not gzip, truncated or corrupt gzip, gzip bombs, links and
 * other non-regular entries) are handed to the callback with a reason and
 * the walk goes on; only a damaged archive stops it. The gzip layer of a
 * .tar.gz is inflated here too (gz_read feeds libarchive), so that a cut
 * .tar.gz keeps the members before the cut like a cut .tar. Also: the
 * tarball name parser (update-format.md §10.3) and the MD5 of a whole file.
 *
 * Members are gunzipped by libdeflate (whole buffer, about 1.8x faster than
 * zlib) into room sized from the gzip trailer's ISIZE, doubled when it lies
 * low, up to r->deflate_max. zlib serves everything else: a member whose
 * output would pass that bound (streamed into a growing buffer up to
 * TARBALL_MAX_INFLATED), one with a header CRC (libdeflate skips it, zlib
 * checks it), and every member libdeflate refuses, so that the rejection and
 * its message are zlib's, exactly as before.
 */
#include "tarball.h"

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
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

/* libarchive's read block size for tarball files. */
#define TARBALL_BLOCK (1u << 20)

/* The gzip layer of a .tar.gz, inflated here rather than by libarchive's
 * filter: libarchive reads ahead and fails the whole read when the file is
 * cut, losing members it had already inflated. This one hands libarchive
 * every byte zlib can inflate, then an end of file, and remembers why. */
struct gz_layer {
	z_stream z;
	bool ready;            /* z initialised */
	int fd;
	unsigned char *in, *out;   /* TARBALL_BLOCK (+ 1) bytes, allocated on first use */
	bool in_eof;           /* read() returned 0 */
	bool done;             /* nothing more to hand out */
	const char *error;     /* NULL, or why the gzip data ended early */
	char msg[160];
};

struct tarball_reader {
	z_stream z;
	bool z_ready;
	struct buf raw;        /* the member as stored in the tar */
	struct buf out;        /* the gunzipped member */
	char reason[160];      /* "corrupt gzip: ..." */
	struct gz_layer gz;
	struct libdeflate_decompressor *ld;   /* allocated on first use */
	size_t deflate_max;    /* largest output libdeflate is given room for */
	struct tarball_counts counts;
};

struct tarball_reader *tarball_reader_new(void)
{
	struct tarball_reader *r = xcalloc(1, sizeof(*r));
	buf_init(&r->raw);
	buf_init(&r->out);
	r->deflate_max = TARBALL_DEFLATE_MAX;
	return r;
}

void tarball_reader_set_deflate_max(struct tarball_reader *r, size_t bytes)
{
	r->deflate_max = bytes < TARBALL_MAX_INFLATED ? bytes : TARBALL_MAX_INFLATED;
}

void tarball_reader_counts(const struct tarball_reader *r, struct tarball_counts *out)
{
	*out = r->counts;
}

void tarball_reader_free(struct tarball_reader *r)
{
	if (!r)
		return;
	if (r->z_ready)
		inflateEnd(&r->z);
	if (r->gz.ready)
		inflateEnd(&r->gz.z);
	if (r->ld)
		libdeflate_free_decompressor(r->ld);
	free(r->gz.in);
	free(r->gz.out);
	buf_release(&r->raw);
	buf_release(&r->out);
	free(r);
}

/* ---------------------------------------------------------------------------
 * gunzip
 */

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* gzip's smallest member: a 10-byte header, an empty deflate block (2 bytes)
 * and the 8-byte trailer; deflate inflates at most 1032:1. */
#define GZIP_MIN_MEMBER 20
#define DEFLATE_MAX_RATIO 1032u
#define GZIP_FHCRC 0x02

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Gunzips in (gzip magic checked) with libdeflate into out (empty). Returns
 * 0, or -1 with out empty when libdeflate cannot serve: the output would
 * pass r->deflate_max, a header carries a CRC, or the data is refused
 * (corrupt, truncated, trailing garbage); zlib then redoes the member. */
static int gunzip_libdeflate(struct tarball_reader *r, const unsigned char *in, size_t len,
			     struct buf *out)
{
	const size_t max = r->deflate_max;
	if (len < GZIP_MIN_MEMBER || max == 0)
		return -1;
	if (!r->ld && !(r->ld = libdeflate_alloc_decompressor()))
		return -1;
	/* The last member's ISIZE: the whole output when there is one member.
	 * A value deflate cannot reach is a lie: start from a guess instead. */
	size_t want = get_le32(in + len - 4);
	if (want / DEFLATE_MAX_RATIO > len)
		want = len * 4;
	if (want > max)
		return -1;
	if (out->cap < want)
		buf_reserve(out, want);
	size_t pos = 0;
	for (;;) {
		if (in[pos + 3] & GZIP_FHCRC)
			goto refuse;
		size_t used = 0, got = 0;
		size_t room = out->cap - out->len;
		if (room > max - out->len)
			room = max - out->len;
		enum libdeflate_result res = libdeflate_gzip_decompress_ex(
			r->ld, in + pos, len - pos, out->data + out->len, room, &used, &got);
		if (res == LIBDEFLATE_INSUFFICIENT_SPACE) {
			if (out->len + room >= max)
				goto refuse;   /* larger than libdeflate may take: zlib streams it */
			size_t more = out->cap > 4096 ? out->cap : 4096;
			if (more > max - out->len)
				more = max - out->len;
			buf_reserve(out, more);
			continue;
		}
		if (res != LIBDEFLATE_SUCCESS)
			goto refuse;
		out->len += got;
		pos += used;
		if (pos == len || all_zero(in + pos, len - pos))
			break;     /* the end, or zero padding after the last member */
		if (len - pos < GZIP_MIN_MEMBER || in[pos] != 0x1f || in[pos + 1] != 0x8b)
			goto refuse;   /* trailing garbage (or a cut member): zlib says which */
	}
	out->data[out->len] = 0;
	r->counts.libdeflate++;
	return 0;
refuse:
	buf_reset(out);
	return -1;
}

int tarball_gunzip(struct tarball_reader *r, const void *gz, size_t len,
		   struct buf *out, const char **reason)
{
	const unsigned char *in = gz;
	buf_reset(out);
	if (len == 0) {
		*reason = "empty member";
		return -1;
	}
	if (len < 2 || in[0] != 0x1f || in[1] != 0x8b) {
		*reason = "not gzip";
		return -1;
	}
	if (gunzip_libdeflate(r, in, len, out) == 0)
		return 0;
	r->counts.zlib++;
	if (!r->z_ready) {
		memset(&r->z, 0, sizeof(r->z));
		if (inflateInit2(&r->z, 15 + 32) != Z_OK) {
			*reason = "could not start zlib";
			return -1;
		}
		r->z_ready = true;
	} else {
		inflateReset(&r->z);
	}
	z_stream *z = &r->z;
	const size_t limit = TARBALL_MAX_INFLATED;
	unsigned char spill[64];
	z->next_in = (Bytef *)in;
	z->avail_in = 0;     /* (a previous, abandoned member may have left some) */
	size_t left = len;   /* input not yet given to zlib */
	for (;;) {
		if (z->avail_in == 0 && left) {
			z->avail_in = left > (1u << 30) ? (1u << 30) : (uInt)left;
			left -= z->avail_in;
		}
		/* Output goes to out up to the limit, then to a spill area: any
		 * byte landing there means the member inflates past the limit. */
		bool spilling = out->len >= limit;
		if (spilling) {
			z->next_out = spill;
			z->avail_out = sizeof(spill);
		} else {
			if (out->len == out->cap) {
				size_t want = out->cap ? out->cap : len * 4;
				if (want > limit - out->len)
					want = limit - out->len;
				buf_reserve(out, want);
			}
			size_t room = out->cap - out->len;
			if (room > limit - out->len)
				room = limit - out->len;
			if (room > (1u << 30))
				room = 1u << 30;
			z->next_out = (Bytef *)out->data + out->len;
			z->avail_out = (uInt)room;
		}
		uInt before = z->avail_out;
		int zr = inflate(z, Z_NO_FLUSH);
		size_t produced = before - z->avail_out;
		if (spilling && produced) {
			buf_reset(out);
			*reason = "inflates past 64 MiB";
			return -1;
		}
		if (!spilling)
			out->len += produced;
		if (zr == Z_STREAM_END) {
			size_t rest = z->avail_in + left;
			if (rest == 0)
				break;
			const unsigned char *next = z->next_in;
			if (rest >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
				inflateReset(z);   /* concatenated gzip members */
				continue;
			}
			if (all_zero(next, z->avail_in) && all_zero(next + z->avail_in, left))
				break;     /* zero padding after the last member */
			buf_reset(out);
			*reason = "corrupt gzip: trailing garbage after the gzip data";
			return -1;
		}
		if (zr == Z_OK)
			continue;
		if (zr == Z_BUF_ERROR && z->avail_in == 0 && left == 0) {
			buf_reset(out);
			*reason = "truncated gzip";
			return -1;
		}
		if (zr == Z_BUF_ERROR)
			continue;  /* no progress possible with this output room; loop gives more */
		buf_reset(out);
		if (zr == Z_MEM_ERROR) {
			*reason = "could not gunzip: out of memory";
			return -1;
		}
		snprintf(r->reason, sizeof(r->reason), "corrupt gzip: %s",
			 z->msg ? z->msg : "unknown zlib error");
		*reason = r->reason;
		return -1;
	}
	out->data[out->len] = 0;
	return 0;
}

/* ---------------------------------------------------------------------------
 * The gzip layer of a .tar.gz
 */

/* Reads more compressed input. Returns 0, or -1 with errno set. */
static int gz_fill(struct gz_layer *g)
{
	ssize_t n;
	while ((n = read(g->fd, g->in, TARBALL_BLOCK)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -1;
	g->z.next_in = g->in;
	g->z.avail_in = (uInt)n;
	g->in_eof = n == 0;
	return 0;
}

/* After the end of a gzip member: true when another one follows (and the
 * stream is reset for it). Anything else after the last member is ignored,
 * as libarchive's gzip filter did. */
static bool gz_next_member(struct gz_layer *g)
{
	if (g->z.avail_in < 2 && !g->in_eof) {
		unsigned char first = g->z.avail_in ? g->z.next_in[0] : 0;
		bool have_first = g->z.avail_in == 1;
		if (gz_fill(g))
			return false;
		if (have_first) {
			if (g->z.avail_in == 0)
				return false;
			/* Put the byte kept back in front (in[] has a spare byte). */
			memmove(g->in + 1, g->in, g->z.avail_in);
			g->in[0] = first;
			g->z.next_in = g->in;
			g->z.avail_in++;
		}
	}
	if (g->z.avail_in >= 2 && g->z.next_in[0] == 0x1f && g->z.next_in[1] == 0x8b) {
		inflateReset(&g->z);
		return true;
	}
	return false;
}

/* libarchive's read callback: the next inflated bytes of the archive. */
static la_ssize_t gz_read(struct archive *a, void *arg, const void **buf)
{
	struct gz_layer *g = arg;
	*buf = g->out;
	if (g->done)
		return 0;
	z_stream *z = &g->z;
	z->next_out = g->out;
	z->avail_out = TARBALL_BLOCK;
	while (z->avail_out == TARBALL_BLOCK && !g->done) {
		if (z->avail_in == 0 && !g->in_eof && gz_fill(g)) {
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
		int zr = inflate(z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			if (!gz_next_member(g))
				g->done = true;
		} else if (zr == Z_BUF_ERROR && z->avail_in == 0 && g->in_eof) {
			g->error = "truncated gzip";
			g->done = true;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			snprintf(g->msg, sizeof(g->msg), "corrupt gzip: %s",
				 z->msg ? z->msg : "unknown zlib error");
			g->error = g->msg;
			g->done = true;
		}
	}
	return (la_ssize_t)(TARBALL_BLOCK - z->avail_out);
}

/* Starts inflating fd (positioned at 0). Returns 0, or -1 with errno set. */
static int gz_open(struct tarball_reader *r, int fd)
{
	struct gz_layer *g = &r->gz;
	if (!g->in) {
		/* One byte more than a read fills: gz_next_member puts a byte it
		 * kept back in front of a full read. */
		g->in = xmalloc(TARBALL_BLOCK + 1);
		g->out = xmalloc(TARBALL_BLOCK);
	}
	if (!g->ready) {
		memset(&g->z, 0, sizeof(g->z));
		if (inflateInit2(&g->z, 15 + 16) != Z_OK) {
			errno = ENOMEM;
			return -1;
		}
		g->ready = true;
	} else {
		inflateReset(&g->z);
	}
	g->fd = fd;
	g->z.next_in = g->in;
	g->z.avail_in = 0;
	g->in_eof = false;
	g->done = false;
	g->error = NULL;
	return 0;
}

/* ---------------------------------------------------------------------------
 * The walk
 */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static void archive_reason(struct buf *err, const char *what, const char *path,
			   struct archive *a)
{
	const char *msg = archive_error_string(a);
	int e = archive_errno(a);
	buf_printf(err, "could not %s tarball \"%s\": %s", what, path,
		   msg ? msg : e > 0 ? strerror(e) : "unknown error");
}

/* What read_member returns. */
enum member_read {
	MEMBER_DAMAGED = -1,     /* the archive is damaged */
	MEMBER_READ = 0,         /* r->raw holds the member */
	MEMBER_TOO_LARGE = 1,    /* larger than TARBALL_MAX_INFLATED: skipped */
};

/* Reads the current entry's data into r->raw. Returns an enum member_read. */
static int read_member(struct tarball_reader *r, struct archive *a, struct archive_entry *e)
{
	buf_reset(&r->raw);
	if (archive_entry_size_is_set(e)) {
		la_int64_t size = archive_entry_size(e);
		if (size < 0)
			return MEMBER_DAMAGED;
		if ((uint64_t)size > TARBALL_MAX_INFLATED)
			return MEMBER_TOO_LARGE;
		if (size == 0)
			return MEMBER_READ;
		buf_reserve(&r->raw, (size_t)size);
		la_ssize_t got = archive_read_data(a, r->raw.data, (size_t)size);
		if (got != (la_ssize_t)size)
			return MEMBER_DAMAGED;
		r->raw.len = (size_t)size;
	} else {
		for (;;) {
			buf_reserve(&r->raw, 65536);
			la_ssize_t got = archive_read_data(a, r->raw.data + r->raw.len,
							   r->raw.cap - r->raw.len);
			if (got < 0)
				return MEMBER_DAMAGED;
			if (got == 0)
				break;
			r->raw.len += (size_t)got;
			if (r->raw.len > TARBALL_MAX_INFLATED)
				return MEMBER_TOO_LARGE;
		}
	}
	r->raw.data[r->raw.len] = 0;
	return MEMBER_READ;
}

int tarball_walk(struct tarball_reader *r, const char *path,
		 int (*cb)(void *arg, const struct tarball_member *m), void *arg,
		 struct buf *err)
{
	/* Opened here, not by libarchive, for plain errno messages. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = EISDIR;
	}
	if (fd < 0) {
		buf_printf(err, "could not open tarball \"%s\": %s", path, strerror(errno));
		return -1;
	}
	unsigned char magic[2];
	bool gzipped = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	if (gzipped && gz_open(r, fd)) {
		buf_printf(err, "could not read tarball \"%s\": %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int ar0 = gzipped ? archive_read_open(a, &r->gz, NULL, gz_read, NULL)
			  : archive_read_open_fd(a, fd, TARBALL_BLOCK);
	if (ar0 != ARCHIVE_OK) {
		if (gzipped && r->gz.error)
			buf_printf(err, "could not read tarball \"%s\": %s", path, r->gz.error);
		else
			archive_reason(err, "read", path, a);
		archive_read_free(a);
		close(fd);
		return -1;
	}
	int rc = 0;
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar == ARCHIVE_RETRY)
			continue;
		if (ar < ARCHIVE_WARN) {
			archive_reason(err, "read", path, a);
			rc = -1;
			break;
		}
		struct tarball_member m = { 0 };
		m.name = archive_entry_pathname(e);
		if (!m.name)
			m.name = "";
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG || archive_entry_hardlink(e) || archive_entry_symlink(e)) {
			m.reject = "not a regular file";
		} else {
			int got = read_member(r, a, e);
			if (got == MEMBER_DAMAGED) {
				if (archive_error_string(a))
					archive_reason(err, "read", path, a);
				else
					buf_printf(err, "could not read tarball \"%s\": member \"%s\" is truncated",
						   path, m.name);
				rc = -1;
				break;
			}
			const char *reason = NULL;
			if (got == MEMBER_TOO_LARGE) {
				m.reject = "member larger than 64 MiB";
			} else if (r->raw.len == 0) {
				m.reject = "empty member";
			} else if (r->raw.len >= 2 && (unsigned char)r->raw.data[0] == 0x1f &&
				   (unsigned char)r->raw.data[1] == 0x8b) {
				if (tarball_gunzip(r, r->raw.data, r->raw.len, &r->out, &reason))
					m.reject = reason;
				else
					m.mutable_data = r->out.data, m.len = r->out.len;
			} else if (ends_with(m.name, ".gz")) {
				m.reject = "not gzip";
			} else {
				m.mutable_data = r->raw.data;   /* plain text, like the Go indexer */
				m.len = r->raw.len;
			}
			m.data = m.mutable_data;
		}
		int stop = cb(arg, &m);
		/* Do not keep a bomb's worth of memory for the next members. */
		if (m.reject && r->out.cap > TARBALL_MAX_INFLATED / 4)
			buf_release(&r->out);
		if (stop) {
			rc = stop;
			break;
		}
	}
	/* The gzip data ended early: whatever libarchive made of the bytes before
	 * (a clean end at a member boundary, or a truncated member), the reason
	 * is the gzip layer's. */
	if (gzipped && r->gz.error && rc <= 0) {
		buf_reset(err);
		buf_printf(err, "could not read tarball \"%s\": %s", path, r->gz.error);
		rc = -1;
	}
	archive_read_free(a);
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------------------
 * Checksums
 */

int tarball_md5_file(const char *path, char out[33])
{
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	unsigned char *chunk = xmalloc(TARBALL_BLOCK);
	MD5_CTX ctx;
	MD5Init(&ctx);
	int rc = 0;
	for (;;) {
		ssize_t got = read(fd, chunk, TARBALL_BLOCK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -1;
			break;
		}
		if (got == 0)
			break;
		MD5Update(&ctx, chunk, (size_t)got);
	}
	int saved = errno;
	free(chunk);
	close(fd);
	if (rc) {
		errno = saved;
		return -1;
	}
	unsigned char digest[MD5_DIGEST_LENGTH];
	MD5Final(digest, &ctx);
	for (int i = 0; i < MD5_DIGEST_LENGTH; i++) {
		out[2 * i] = "0123456789abcdef"[digest[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
	}
	out[32] = 0;
	return 0;
}
