/*
 * tests/unit/test_tarball.c: the tarball reader on real tarballs made with
 * tar and gzip in a scratch folder: good members, bad ones (not gzip, empty,
 * truncated, corrupt, a gzip bomb, links, trailing garbage) each with its
 * reason and without stopping the walk, .tar.gz archives, truncated and
 * unreadable archives; MD5 against md5sum. The libdeflate path against zlib
 * on the same members: corrupt, truncated, multi-member, lying ISIZE,
 * header CRC, and members too large for libdeflate (streamed by zlib).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tarball.h"

static char dir[256];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static char *path_of(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path_of(name), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static size_t read_file(const char *name, char **out)
{
	FILE *f = fopen(path_of(name), "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*out = malloc((size_t)n + 1);
	assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return (size_t)n;
}

/* Some text that compresses to a few KiB (so truncation cuts real data). */
static void make_text(const char *name, unsigned seed, size_t lines)
{
	FILE *f = fopen(path_of(name), "wb");
	assert_non_null(f);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < lines; i++) {
		x = x * 1103515245u + 12345u;
		fprintf(f, "%u %u %u\n", x % 50001, 42 + (x >> 8) % 1473, (x >> 3) % 65536);
	}
	fclose(f);
}

/* ---------------------------------------------------------------------------
 * Collecting members
 */

struct member {
	char *name;
	char *reject;
	char *data;
	size_t len;
	const char *ptr;
};

struct walk {
	struct member m[64];
	int n;
	int stop_at;   /* return 7 after this many members; 0 = never */
};

static int collect(void *arg, const struct tarball_member *m)
{
	struct walk *w = arg;
	assert_true(w->n < 64);
	struct member *c = &w->m[w->n++];
	c->name = strdup(m->name);
	c->reject = m->reject ? strdup(m->reject) : NULL;
	c->len = m->len;
	c->ptr = m->data;
	c->data = NULL;
	if (m->reject) {
		assert_null(m->data);
		assert_null(m->mutable_data);
	} else {
		assert_non_null(m->data);
		assert_ptr_equal(m->data, m->mutable_data);
		assert_int_equal(m->data[m->len], 0);   /* NUL-terminated for parsers */
		m->mutable_data[0] = m->mutable_data[0];   /* writable */
		c->data = malloc(m->len + 1);
		memcpy(c->data, m->data, m->len + 1);
	}
	if (w->stop_at && w->n == w->stop_at)
		return 7;
	return 0;
}

static void walk_free(struct walk *w)
{
	for (int i = 0; i < w->n; i++) {
		free(w->m[i].name);
		free(w->m[i].reject);
		free(w->m[i].data);
	}
	w->n = 0;
}

static void expect_ok(const struct walk *w, int i, const char *name, const char *file)
{
	assert_true(i < w->n);
	assert_string_equal(w->m[i].name, name);
	if (w->m[i].reject)
		fail_msg("member \"%s\" rejected: %s", name, w->m[i].reject);
	char *want;
	size_t n = read_file(file, &want);
	assert_int_equal(w->m[i].len, n);
	assert_memory_equal(w->m[i].data, want, n);
	free(want);
}

static void expect_reject(const struct walk *w, int i, const char *name, const char *reason)
{
	assert_true(i < w->n);
	assert_string_equal(w->m[i].name, name);
	assert_non_null(w->m[i].reject);
	if (strncmp(w->m[i].reject, reason, strlen(reason)) != 0)
		fail_msg("member \"%s\": reason \"%s\", expected \"%s\"", name, w->m[i].reject,
			 reason);
}

/* ---------------------------------------------------------------------------
 * Fixtures
 */

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/bpass-tarball.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;

	make_text("u1", 1, 2000);
	make_text("u2", 2, 3000);
	make_text("u3", 3, 50);
	make_text("u4", 4, 70);
	/* good members */
	sh("gzip -c u1 > OW0123456789AB-1-0.gz && gzip -c u2 > OW0123456789AB-1-1.gz");
	/* not gzip, named .gz; a plain-text member not named .gz */
	sh("cp u3 not-gzip.gz && cp u4 notes.txt");
	/* empty */
	sh(": > empty.gz");
	/* truncated gzip: the first half of a member */
	sh("gzip -c u2 > full.tmp && head -c $(( $(wc -c < full.tmp) / 2 )) full.tmp > truncated.gz");
	/* corrupt: a byte in the middle of the deflate data changed */
	sh("gzip -c u1 > corrupt.gz && printf 'XYZW' | dd of=corrupt.gz bs=1 seek=2000 conv=notrunc 2>/dev/null");
	/* a gzip bomb: 100 MiB of zeros */
	sh("head -c 100M /dev/zero | gzip -1 > bomb.gz");
	/* concatenated gzip members, zero padding, trailing garbage */
	sh("gzip -c u3 > cat.gz && gzip -c u4 >> cat.gz && cat u3 u4 > cat.want");
	sh("gzip -c u3 > padded.gz && head -c 1024 /dev/zero >> padded.gz");
	sh("gzip -c u3 > garbage.gz && printf 'junk' >> garbage.gz");
	/* links, a directory with a member inside */
	sh("ln -s OW0123456789AB-1-0.gz link.gz && ln OW0123456789AB-1-0.gz hard.gz");
	sh("mkdir sub && gzip -c u3 > sub/OW0123456789AB-1-2.gz");
	sh("gzip -c u4 > last.gz");
	sh("tar cf t.tar OW0123456789AB-1-0.gz not-gzip.gz empty.gz OW0123456789AB-1-1.gz "
	   "truncated.gz corrupt.gz bomb.gz link.gz hard.gz cat.gz padded.gz garbage.gz "
	   "notes.txt sub last.gz");
	sh("tar czf t.tar.gz OW0123456789AB-1-0.gz not-gzip.gz empty.gz OW0123456789AB-1-1.gz "
	   "truncated.gz corrupt.gz bomb.gz link.gz hard.gz cat.gz padded.gz garbage.gz "
	   "notes.txt sub last.gz");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The outcome of every member of t.tar / t.tar.gz, in archive order. */
static void check_mixed(const struct walk *w)
{
	int i = 0;
	expect_ok(w, i++, "OW0123456789AB-1-0.gz", "u1");
	expect_reject(w, i++, "not-gzip.gz", "not gzip");
	expect_reject(w, i++, "empty.gz", "empty member");
	expect_ok(w, i++, "OW0123456789AB-1-1.gz", "u2");
	expect_reject(w, i++, "truncated.gz", "truncated gzip");
	expect_reject(w, i++, "corrupt.gz", "corrupt gzip: ");
	expect_reject(w, i++, "bomb.gz", "inflates past 64 MiB");
	expect_reject(w, i++, "link.gz", "not a regular file");
	expect_reject(w, i++, "hard.gz", "not a regular file");
	expect_ok(w, i++, "cat.gz", "cat.want");
	expect_ok(w, i++, "padded.gz", "u3");
	expect_reject(w, i++, "garbage.gz", "corrupt gzip: trailing garbage");
	expect_ok(w, i++, "notes.txt", "u4");
	/* the directory "sub/" is skipped silently */
	expect_ok(w, i++, "sub/OW0123456789AB-1-2.gz", "u3");
	expect_ok(w, i++, "last.gz", "u4");
	assert_int_equal(w->n, i);
}

/* ---------------------------------------------------------------------------
 * Tests
 */

static void test_walk_tar(void **state)
{
	(void)state;
	struct tarball_reader *r = tarball_reader_new();
	struct walk *w = calloc(1, sizeof(*w));
	struct buf err;
	buf_init(&err);
	assert_int_equal(tarball_walk(r, path_of("t.tar"), collect, w, &err), 0);
	assert_string_equal(err.data, "");
	check_mixed(w);
	/* The gunzip buffer is reused: u3 (last-but-one) and u4 (last) are
	 * small and come after large members, so they share one buffer. */
	assert_ptr_equal(w->m[13].ptr, w->m[14].ptr);
	walk_free(w);

	/* The same reader again, on the same tarball. */
	assert_int_equal(tarball_walk(r, path_of("t.tar"), collect, w, &err), 0);
	check_mixed(w);
	walk_free(w);
	free(w);
	buf_release(&err);
	tarball_reader_free(r);
	tarball_reader_free(NULL);
}

static void test_walk_tar_gz(void **state)
{
	(void)state;
	struct tarball_reader *r = tarball_reader_new();
	struct walk *w = calloc(1, sizeof(*w));
	struct buf err;
	buf_init(&err);
	assert_int_equal(tarball_walk(r, path_of("t.tar.gz"), collect, w, &err), 0);
	check_mixed(w);
	walk_free(w);
	free(w);
	buf_release(&err);
	tarball_reader_free(r);
}

static void test_callback_stops_walk(void **state)
{
	(void)state;
	struct tarball_reader *r = tarball_reader_new();
	struct walk *w = calloc(1, sizeof(*w));
	struct buf err;
	buf_init(&err);
	w->stop_at = 2;
	assert_int_equal(tarball_walk(r, path_of("t.tar"), collect, w, &err), 7);
	assert_int_equal(w->n, 2);
	walk_free(w);
	free(w);
	buf_release(&err);
	tarball_reader_free(r);
}

/* A tar cut in the middle of the data of its 4th member. */
static void test_truncated_tar(void **state)
{
	(void)state;
	/* 512-byte header + data rounded to 512 per member; u1.gz and u2.gz are
	 * several KiB, so cutting at 3 KiB past the start of member 4's data
	 * leaves members 1-3 whole. */
	char *tar;
	size_t len = read_file("t.tar", &tar);
	struct stat st;
	assert_int_equal(stat(path_of("OW0123456789AB-1-0.gz"), &st), 0);
	size_t m1 = 512 + (((size_t)st.st_size + 511) / 512) * 512;
	assert_int_equal(stat(path_of("not-gzip.gz"), &st), 0);
	size_t m2 = 512 + (((size_t)st.st_size + 511) / 512) * 512;
	size_t cut = m1 + m2 + 512 + 512 + 1000;   /* empty.gz is a bare header */
	assert_true(cut < len);
	write_file("cut.tar", tar, cut);
	free(tar);

	struct tarball_reader *r = tarball_reader_new();
	struct walk *w = calloc(1, sizeof(*w));
	struct buf err;
	buf_init(&err);
	assert_int_equal(tarball_walk(r, path_of("cut.tar"), collect, w, &err), -1);
	assert_int_equal(w->n, 3);
	expect_ok(w, 0, "OW0123456789AB-1-0.gz", "u1");
	expect_reject(w, 1, "not-gzip.gz", "not gzip");
	expect_reject(w, 2, "empty.gz", "empty member");
	char want[600];
	snprintf(want, sizeof(want), "could not read tarball \"%s\": Truncated tar archive",
		 path_of("cut.tar"));
	assert_string_equal(err.data, want);
	walk_free(w);

	/* A .tar.gz cut short: the gzip layer breaks. */
	buf_reset(&err);
	sh("head -c $(( $(wc -c < t.tar.gz) - 200 )) t.tar.gz > cut.tar.gz");
	assert_int_equal(tarball_walk(r, path_of("cut.tar.gz"), collect, w, &err), -1);
	assert_true(w->n >= 1);
	expect_ok(w, 0, "OW0123456789AB-1-0.gz", "u1");
	assert_non_null(strstr(err.data, "could not read tarball \""));
	walk_free(w);

	free(w);
	buf_release(&err);
	tarball_reader_free(r);
}

/* How many bytes zlib can inflate from the (possibly cut) gzip file name. */
static size_t inflatable_prefix(const char *name)
{
	char *gz;
	size_t len = read_file(name, &gz);
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	unsigned char out[65536];
	size_t total = 0;
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)len;
	for (;;) {
		z.next_out = out;
		z.avail_out = sizeof(out);
		int zr = inflate(&z, Z_SYNC_FLUSH);
		total += sizeof(out) - z.avail_out;
		if (zr != Z_OK || (z.avail_in == 0 && z.avail_out != 0))
			break;
	}
	inflateEnd(&z);
	free(gz);
	return total;
}

/* A .tar.gz cut anywhere keeps every member whose bytes the gzip prefix
 * holds, as a cut plain .tar does: libarchive's gzip filter used to fail
 * the whole read at the cut (it reads ahead), losing members it had
 * inflated. A cut after tar's end-of-archive blocks (in the gzip trailer)
 * loses nothing and is no error: the archive was read to its end. */
static void test_truncated_tar_gz_keeps_members(void **state)
{
	(void)state;
	sh("tar cf three.tar OW0123456789AB-1-0.gz notes.txt last.gz && gzip -c three.tar > three.tar.gz");
	/* Where each member's data ends in the uncompressed tar. */
	char *tar;
	size_t tar_len = read_file("three.tar", &tar);
	size_t ends[3], off = 0;
	for (int i = 0; i < 3; i++) {
		assert_true(off + 512 <= tar_len);
		size_t size = (size_t)strtoul(tar + off + 124, NULL, 8);
		ends[i] = off + 512 + size;
		off += 512 + (size + 511) / 512 * 512;
	}
	free(tar);
	char *gz;
	size_t gz_len = read_file("three.tar.gz", &gz);
	struct tarball_reader *r = tarball_reader_new();
	struct walk *w = calloc(1, sizeof(*w));
	struct buf err;
	buf_init(&err);
	static const char *const names[] = {"OW0123456789AB-1-0.gz", "notes.txt", "last.gz"};
	static const char *const files[] = {"u1", "u4", "u4"};
	const size_t cuts[] = {gz_len / 4, gz_len / 2, gz_len * 3 / 4, gz_len * 9 / 10,
			       gz_len - 30, gz_len - 8, gz_len - 1};
	int kept_all = 0;
	char msgs[8][600];
	const char *wanted[8];
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		write_file("cut3.tar.gz", gz, cuts[c]);
		size_t avail = inflatable_prefix("cut3.tar.gz");
		int want = 0;
		while (want < 3 && ends[want] <= avail)
			want++;
		bool complete = avail >= off + 1024;
		buf_reset(&err);
		int rc = tarball_walk(r, path_of("cut3.tar.gz"), collect, w, &err);
		if (w->n != want || rc != (complete ? 0 : -1))
			fail_msg("cut at %zu of %zu bytes (%zu inflatable): %d members, status %d, "
				 "expected %d, %d", cuts[c], gz_len, avail, w->n, rc, want,
				 complete ? 0 : -1);
		for (int i = 0; i < want; i++)
			expect_ok(w, i, names[i], files[i]);
		snprintf(msgs[c], sizeof(msgs[c]), "%s", err.data);
		wanted[c] = complete ? "" : "truncated";
		kept_all += want == 3;
		walk_free(w);
	}
	/* The reason, once every cut has kept what it should. */
	char expect[600];
	snprintf(expect, sizeof(expect), "could not read tarball \"%s\": truncated gzip",
		 path_of("cut3.tar.gz"));
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++)
		assert_string_equal(msgs[c], *wanted[c] ? expect : "");
	assert_true(kept_all >= 2);   /* the cuts in the trailer lose nothing */
	/* The whole file still reads in full. */
	buf_reset(&err);
	assert_int_equal(tarball_walk(r, path_of("three.tar.gz"), collect, w, &err), 0);
	assert_int_equal(w->n, 3);
	walk_free(w);
	free(gz);
	free(w);
	buf_release(&err);
	tarball_reader_free(r);
}

/* Appends one gzip member of in[0..len) at level, with a file name field of
 * name_len bytes (to set the member's size to the byte). */
static void gzip_member(const void *in, size_t len, int level, size_t name_len, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	char *name = NULL;
	gz_header h;
	memset(&h, 0, sizeof(h));
	if (name_len) {
		name = malloc(name_len + 1);
		memset(name, 'n', name_len);
		name[name_len] = 0;
		h.name = (Bytef *)name;
		assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
	}
	size_t bound = deflateBound(&z, (uLong)len) + name_len + 64;
	buf_reserve(out, bound);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)bound;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out->len += z.total_out;
	deflateEnd(&z);
	free(name);
}

/* A .tar.gz of two concatenated gzip members is one archive; the boundary
 * between them falls 2, 1 and 0 bytes before the end of the reader's first
 * 1 MiB read, where the reader must look for the next member's magic across
 * two reads (the second member is over 1 MiB, so the next read is full). */
static void test_concatenated_tar_gz(void **state)
{
	(void)state;
	sh("head -c 2500000 /dev/urandom > big.bin && "
	   "tar cf big.tar OW0123456789AB-1-0.gz big.bin last.gz");
	char *tar;
	size_t tar_len = read_file("big.tar", &tar);
	const size_t split = 1000000, block = 1u << 20;
	struct tarball_reader *r = tarball_reader_new();
	struct walk *w = calloc(1, sizeof(*w));
	struct buf err, gz;
	buf_init(&err);
	buf_init(&gz);
	for (size_t before = 0; before <= 2; before++) {
		/* Size the first member (stored, level 0) with its name field. */
		buf_reset(&gz);
		gzip_member(tar, split, 0, 1, &gz);
		size_t want = block - before;
		assert_true(gz.len < want);
		size_t name_len = 1 + (want - gz.len);
		buf_reset(&gz);
		gzip_member(tar, split, 0, name_len, &gz);
		assert_int_equal(gz.len, want);
		gzip_member(tar + split, tar_len - split, 6, 0, &gz);
		write_file("cat.tar.gz", gz.data, gz.len);
		buf_reset(&err);
		assert_int_equal(tarball_walk(r, path_of("cat.tar.gz"), collect, w, &err), 0);
		assert_string_equal(err.data, "");
		assert_int_equal(w->n, 3);
		expect_ok(w, 0, "OW0123456789AB-1-0.gz", "u1");
		expect_ok(w, 1, "big.bin", "big.bin");
		expect_ok(w, 2, "last.gz", "u4");
		walk_free(w);
	}
	free(tar);
	free(w);
	buf_release(&err);
	buf_release(&gz);
	tarball_reader_free(r);
}

static void test_unreadable_archives(void **state)
{
	(void)state;
	struct tarball_reader *r = tarball_reader_new();
	struct walk *w = calloc(1, sizeof(*w));
	struct buf err;
	buf_init(&err);

	char want[600];
	assert_int_equal(tarball_walk(r, path_of("missing.tar"), collect, w, &err), -1);
	snprintf(want, sizeof(want), "could not open tarball \"%s\": No such file or directory",
		 path_of("missing.tar"));
	assert_string_equal(err.data, want);
	assert_int_equal(w->n, 0);

	buf_reset(&err);
	assert_int_equal(tarball_walk(r, path_of("sub"), collect, w, &err), -1);
	snprintf(want, sizeof(want), "could not open tarball \"%s\": Is a directory",
		 path_of("sub"));
	assert_string_equal(err.data, want);

	/* Text, and an empty file (a valid empty tar is 10240 zero bytes). */
	buf_reset(&err);
	assert_int_equal(tarball_walk(r, path_of("u1"), collect, w, &err), -1);
	snprintf(want, sizeof(want), "could not read tarball \"%s\": Unrecognized archive format",
		 path_of("u1"));
	assert_string_equal(err.data, want);
	buf_reset(&err);
	sh(": > zero.tar");
	assert_int_equal(tarball_walk(r, path_of("zero.tar"), collect, w, &err), -1);
	assert_non_null(strstr(err.data, "zero.tar\": "));
	assert_int_equal(w->n, 0);
	buf_reset(&err);
	sh("head -c 10240 /dev/zero > empty.tar");
	assert_int_equal(tarball_walk(r, path_of("empty.tar"), collect, w, &err), 0);
	assert_int_equal(w->n, 0);

	free(w);
	buf_release(&err);
	tarball_reader_free(r);
}

static void gzip_buf(const void *in, size_t len, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t bound = deflateBound(&z, (uLong)len);
	buf_reset(out);
	buf_reserve(out, bound);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)bound;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out->len = z.total_out;
	deflateEnd(&z);
}

static void test_gunzip(void **state)
{
	(void)state;
	struct tarball_reader *r = tarball_reader_new();
	struct buf gz, out;
	buf_init(&gz);
	buf_init(&out);
	const char *reason = NULL;

	gzip_buf("hello\n", 6, &gz);
	assert_int_equal(tarball_gunzip(r, gz.data, gz.len, &out, &reason), 0);
	assert_int_equal(out.len, 6);
	assert_string_equal(out.data, "hello\n");

	assert_int_equal(tarball_gunzip(r, "hello", 5, &out, &reason), -1);
	assert_string_equal(reason, "not gzip");
	assert_int_equal(tarball_gunzip(r, "\x1f", 1, &out, &reason), -1);
	assert_string_equal(reason, "not gzip");
	/* The first magic byte alone is not enough (compress(1) starts 1f 9d). */
	assert_int_equal(tarball_gunzip(r, "\x1f\x9d\x90", 3, &out, &reason), -1);
	assert_string_equal(reason, "not gzip");
	assert_int_equal(tarball_gunzip(r, "", 0, &out, &reason), -1);
	assert_string_equal(reason, "empty member");
	assert_int_equal(tarball_gunzip(r, gz.data, gz.len - 4, &out, &reason), -1);
	assert_string_equal(reason, "truncated gzip");
	assert_int_equal(out.len, 0);
	/* A wrong CRC in the trailer. */
	gz.data[gz.len - 8] ^= 1;
	assert_int_equal(tarball_gunzip(r, gz.data, gz.len, &out, &reason), -1);
	assert_string_equal(reason, "corrupt gzip: incorrect data check");

	/* Exactly the limit inflates; one byte more does not. */
	size_t limit = TARBALL_MAX_INFLATED;
	char *zeros = calloc(limit + 1, 1);
	gzip_buf(zeros, limit, &gz);
	assert_int_equal(tarball_gunzip(r, gz.data, gz.len, &out, &reason), 0);
	assert_int_equal(out.len, limit);
	assert_true(out.cap <= limit);   /* never grown past the limit */
	gzip_buf(zeros, limit + 1, &gz);
	assert_int_equal(tarball_gunzip(r, gz.data, gz.len, &out, &reason), -1);
	assert_string_equal(reason, "inflates past 64 MiB");
	assert_true(out.cap <= limit);
	free(zeros);

	buf_release(&gz);
	buf_release(&out);
	tarball_reader_free(r);
}

static void md5sum_of(const char *name, char out[33])
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "md5sum '%s'", path_of(name));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%32s", out), 1);
	pclose(p);
}

static void test_md5(void **state)
{
	(void)state;
	char got[33], want[33];
	/* 2.5 MiB: more than two read chunks */
	sh("head -c 2621445 /dev/urandom > big.bin");
	assert_int_equal(tarball_md5_file(path_of("big.bin"), got), 0);
	md5sum_of("big.bin", want);
	assert_string_equal(got, want);

	assert_int_equal(tarball_md5_file(path_of("t.tar"), got), 0);
	md5sum_of("t.tar", want);
	assert_string_equal(got, want);

	/* The MD5 of nothing (RFC 1321 test suite). */
	sh(": > nothing");
	assert_int_equal(tarball_md5_file(path_of("nothing"), got), 0);
	assert_string_equal(got, "d41d8cd98f00b204e9800998ecf8427e");
	/* "abc" (RFC 1321 test suite) */
	write_file("abc", "abc", 3);
	assert_int_equal(tarball_md5_file(path_of("abc"), got), 0);
	assert_string_equal(got, "900150983cd24fb0d6963f7d28e17f72");

	errno = 0;
	assert_int_equal(tarball_md5_file(path_of("missing"), got), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(tarball_md5_file(path_of("sub"), got), -1);
	assert_int_equal(errno, EISDIR);
}

/* Gunzips gz with a default reader (libdeflate first) and a zlib-only one:
 * both must agree on the result and the reason. Returns the default
 * reader's result; *served says which library served it ('d' or 'z'). */
static int gunzip_both(const struct buf *gz, struct buf *out, const char **reason, char *served)
{
	struct tarball_reader *rd = tarball_reader_new(), *rz = tarball_reader_new();
	tarball_reader_set_deflate_max(rz, 0);
	struct buf oz;
	buf_init(&oz);
	const char *why_d = NULL, *why_z = NULL;
	int got_d = tarball_gunzip(rd, gz->data, gz->len, out, &why_d);
	int got_z = tarball_gunzip(rz, gz->data, gz->len, &oz, &why_z);
	assert_int_equal(got_d, got_z);
	assert_int_equal(out->len, oz.len);
	assert_memory_equal(out->data, oz.data, oz.len + 1);
	static char why[160];
	why[0] = 0;
	if (got_d) {
		assert_string_equal(why_d, why_z);
		snprintf(why, sizeof(why), "%s", why_d);
	}
	*reason = why;
	struct tarball_counts cd, cz;
	tarball_reader_counts(rd, &cd);
	tarball_reader_counts(rz, &cz);
	assert_int_equal(cz.libdeflate, 0);
	assert_int_equal(cz.zlib, 1);
	assert_int_equal(cd.libdeflate + cd.zlib, 1);
	*served = cd.libdeflate ? 'd' : 'z';
	buf_release(&oz);
	tarball_reader_free(rd);
	tarball_reader_free(rz);
	return got_d;
}

/* Text that compresses like an update: lines with numbers. */
static void some_text(struct buf *t, size_t bytes, unsigned seed)
{
	buf_reset(t);
	while (t->len < bytes)
		buf_printf(t, "line %u packet %u %u\n", seed, (unsigned)t->len * 2654435761u,
			   (unsigned)t->len);
	t->len = bytes;
	t->data[bytes] = 0;
}

static void test_gunzip_libdeflate(void **state)
{
	(void)state;
	struct buf text, gz, out;
	buf_init(&text);
	buf_init(&gz);
	buf_init(&out);
	const char *reason;
	char served;

	/* A plain member: libdeflate serves it. */
	some_text(&text, 50000, 1);
	buf_reset(&gz);
	gzip_member(text.data, text.len, 6, 0, &gz);
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), 0);
	assert_int_equal(served, 'd');
	assert_int_equal(out.len, text.len);
	assert_memory_equal(out.data, text.data, text.len);

	/* Zero padding after it is ignored; trailing garbage is not. */
	buf_append(&gz, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 25);
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), 0);
	assert_int_equal(served, 'd');
	assert_int_equal(out.len, text.len);
	gz.data[gz.len - 3] = 'x';
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), -1);
	assert_string_equal(reason, "corrupt gzip: trailing garbage after the gzip data");

	/* Corrupt deflate data, a wrong CRC, a cut member. */
	buf_reset(&gz);
	gzip_member(text.data, text.len, 6, 0, &gz);
	gz.data[gz.len - 8] ^= 1;
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), -1);
	assert_string_equal(reason, "corrupt gzip: incorrect data check");
	gz.data[gz.len - 8] ^= 1;
	gz.data[12] ^= 0xff;   /* the first block's header */
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), -1);
	assert_non_null(strstr(reason, "corrupt gzip: "));
	gz.data[12] ^= 0xff;
	for (size_t cut = 1; cut < 40; cut += 7) {
		struct buf c;
		buf_init(&c);
		buf_append(&c, gz.data, gz.len - cut);
		assert_int_equal(gunzip_both(&c, &out, &reason, &served), -1);
		assert_string_equal(reason, "truncated gzip");
		assert_int_equal(out.len, 0);
		buf_release(&c);
	}
	struct buf tiny;   /* shorter than any gzip member */
	buf_init(&tiny);
	buf_append(&tiny, gz.data, 12);
	assert_int_equal(gunzip_both(&tiny, &out, &reason, &served), -1);
	assert_string_equal(reason, "truncated gzip");
	buf_release(&tiny);

	/* ISIZE lies: too small, too large, larger than deflate can reach (no
	 * 4 GiB buffer is made for it), all "incorrect length check". */
	static const uint32_t lies[] = { 7, 50001, 8u << 20, 0xffffffffu };
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		buf_reset(&gz);
		gzip_member(text.data, text.len, 6, 0, &gz);
		unsigned char *isize = (unsigned char *)gz.data + gz.len - 4;
		for (int k = 0; k < 4; k++)
			isize[k] = (unsigned char)(lies[i] >> (8 * k));
		assert_int_equal(gunzip_both(&gz, &out, &reason, &served), -1);
		assert_string_equal(reason, "corrupt gzip: incorrect length check");
		assert_true(out.cap < (16u << 20));
	}

	/* Several members, the last one small: its ISIZE understates the
	 * output, libdeflate grows the room and serves it. */
	buf_reset(&gz);
	gzip_member(text.data, text.len, 6, 0, &gz);
	gzip_member(text.data, 100, 1, 0, &gz);
	gzip_member("", 0, 6, 0, &gz);
	gzip_member(text.data + 7, 3000, 9, 0, &gz);
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), 0);
	assert_int_equal(served, 'd');
	assert_int_equal(out.len, 50000 + 100 + 3000);
	assert_memory_equal(out.data + 50100, text.data + 7, 3000);
	/* ... and a cut second member is a truncated gzip. */
	gz.len -= 3010;
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), -1);
	assert_string_equal(reason, "truncated gzip");

	/* A header CRC: zlib checks it (libdeflate would not), so zlib serves. */
	z_stream z;
	gz_header h;
	memset(&z, 0, sizeof(z));
	memset(&h, 0, sizeof(h));
	h.hcrc = 1;
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
	buf_reset(&gz);
	buf_reserve(&gz, 70000);
	z.next_in = (Bytef *)text.data;
	z.avail_in = (uInt)text.len;
	z.next_out = (Bytef *)gz.data;
	z.avail_out = 70000;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	gz.len = z.total_out;
	deflateEnd(&z);
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), 0);
	assert_int_equal(served, 'z');
	gz.data[10] ^= 1;   /* the header CRC itself */
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), -1);
	assert_string_equal(reason, "corrupt gzip: header crc mismatch");

	/* Past libdeflate's bound, zlib streams the member; a reader with a
	 * lower bound sends smaller ones to zlib too. */
	some_text(&text, TARBALL_DEFLATE_MAX + 1, 2);
	buf_reset(&gz);
	gzip_member(text.data, text.len, 1, 0, &gz);
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), 0);
	assert_int_equal(served, 'z');
	assert_int_equal(out.len, text.len);
	assert_memory_equal(out.data, text.data, text.len);
	buf_reset(&gz);
	gzip_member(text.data, TARBALL_DEFLATE_MAX, 1, 0, &gz);
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), 0);
	assert_int_equal(served, 'd');
	assert_int_equal(out.len, TARBALL_DEFLATE_MAX);
	/* Two members, each within the bound, together past it: zlib. */
	buf_reset(&gz);
	gzip_member(text.data, TARBALL_DEFLATE_MAX / 2 + 1, 1, 0, &gz);
	gzip_member(text.data, TARBALL_DEFLATE_MAX / 2 + 1, 1, 0, &gz);
	assert_int_equal(gunzip_both(&gz, &out, &reason, &served), 0);
	assert_int_equal(served, 'z');
	assert_int_equal(out.len, TARBALL_DEFLATE_MAX + 2);

	struct tarball_reader *r = tarball_reader_new();
	tarball_reader_set_deflate_max(r, 1000);
	buf_reset(&gz);
	gzip_member(text.data, 1001, 6, 0, &gz);
	assert_int_equal(tarball_gunzip(r, gz.data, gz.len, &out, &reason), 0);
	buf_reset(&gz);
	gzip_member(text.data, 1000, 6, 0, &gz);
	assert_int_equal(tarball_gunzip(r, gz.data, gz.len, &out, &reason), 0);
	struct tarball_counts c;
	tarball_reader_counts(r, &c);
	assert_int_equal(c.zlib, 1);
	assert_int_equal(c.libdeflate, 1);
	tarball_reader_free(r);

	buf_release(&text);
	buf_release(&gz);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_tar),
		cmocka_unit_test(test_walk_tar_gz),
		cmocka_unit_test(test_callback_stops_walk),
		cmocka_unit_test(test_truncated_tar),
		cmocka_unit_test(test_truncated_tar_gz_keeps_members),
		cmocka_unit_test(test_concatenated_tar_gz),
		cmocka_unit_test(test_unreadable_archives),
		cmocka_unit_test(test_gunzip),
		cmocka_unit_test(test_gunzip_libdeflate),
		cmocka_unit_test(test_md5),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
