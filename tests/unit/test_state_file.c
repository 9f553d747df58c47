/*
 * tests/unit/test_state_file.c: the state container (state/state_file.h)
 * and atomic file replacement (common/atomic_file.h): round trip of header
 * and entries, raw entry copies byte for byte, the CRC trailer, every
 * single-byte corruption and every truncation rejected (never a crash,
 * never a half-read container), a state of another session refused, file
 * names that keep distinct keys distinct, and atomic writes: content,
 * no temporary left behind, the old file intact when writing fails, leftover
 * temporaries cleaned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "atomic_file.h"
#include "log.h"
#include "state_file.h"

#define NODE "OW0123456789AB"
#define CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/bpass-state-file.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	log_set_quiet(true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct bpass_session_key key = {NODE, CTX, 1337104800512345};

/* A container with two entries: "a" (data: the integer 5) and "b" (data:
 * ["x", nil]). */
static void build(struct state_writer *sw)
{
	struct state_writer data;
	state_writer_init(&data);
	state_writer_reset(sw);
	state_file_begin(sw, STATE_KIND_SESSION, &key, 2);
	data.w.i64(&data.w, 5);
	state_file_entry(sw, "a", 3, 17, 18, data.sbuf.data, data.sbuf.size);
	state_writer_reset(&data);
	data.w.array(&data.w, 2);
	data.w.str(&data.w, "x", 1);
	data.w.nil(&data.w);
	state_file_entry(sw, "b", 1, -1, 0, data.sbuf.data, data.sbuf.size);
	assert_int_equal(state_file_end(sw), 0);
	state_writer_release(&data);
}

static void test_round_trip(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	build(&sw);
	struct state_file sf;
	state_file_init(&sf);
	struct buf err;
	buf_init(&err);
	assert_int_equal(state_file_parse(&sf, sw.sbuf.data, sw.sbuf.size, &key, &err), 0);
	assert_int_equal(sf.format, 1);
	assert_int_equal(sf.kind, STATE_KIND_SESSION);
	assert_string_equal(sf.node_id.data, NODE);
	assert_string_equal(sf.context.data, CTX);
	assert_true(sf.session_id == 1337104800512345);
	assert_int_equal(sf.n, 2);
	const struct state_entry *a = state_file_find(&sf, "a");
	const struct state_entry *b = state_file_find(&sf, "b");
	assert_non_null(a);
	assert_non_null(b);
	assert_null(state_file_find(&sf, "c"));
	assert_int_equal(a->version, 3);
	assert_int_equal(a->last_seq, 17);
	assert_int_equal(a->updates_processed, 18);
	assert_int_equal(a->data_len, 1);
	assert_int_equal(*(const unsigned char *)a->data, 5);
	assert_int_equal(b->last_seq, -1);
	assert_int_equal(b->data_len, 4);       /* 0x92 0xa1 'x' 0xc0 */
	assert_memory_equal(b->data, "\x92\xa1x\xc0", 4);

	/* The trailer is the CRC-32 of everything before it, big-endian. */
	const unsigned char *p = (const unsigned char *)sw.sbuf.data;
	size_t n = sw.sbuf.size;
	uLong crc = crc32(0, p, (uInt)(n - 5));
	assert_int_equal(p[n - 5], 0xce);
	assert_int_equal(p[n - 4], (crc >> 24) & 0xff);
	assert_int_equal(p[n - 1], crc & 0xff);

	/* Copying the entries raw (in another order) gives the same entries. */
	struct state_writer copy;
	state_writer_init(&copy);
	state_file_begin(&copy, STATE_KIND_SESSION, &key, 2);
	state_file_entry_raw(&copy, b);
	state_file_entry_raw(&copy, a);
	assert_int_equal(state_file_end(&copy), 0);
	struct state_file sf2;
	state_file_init(&sf2);
	assert_int_equal(state_file_parse(&sf2, copy.sbuf.data, copy.sbuf.size, &key, &err), 0);
	assert_int_equal(sf2.n, 2);
	assert_memory_equal(sf2.e[0].name, "b", 1);
	assert_int_equal(sf2.e[0].raw_len, b->raw_len);
	assert_memory_equal(sf2.e[0].raw, b->raw, b->raw_len);
	assert_memory_equal(sf2.e[1].data, a->data, a->data_len);
	state_file_release(&sf2);
	state_writer_release(&copy);

	/* A global container has an empty key. */
	state_writer_reset(&sw);
	state_file_begin(&sw, STATE_KIND_GLOBAL, NULL, 0);
	assert_int_equal(state_file_end(&sw), 0);
	assert_int_equal(state_file_parse(&sf, sw.sbuf.data, sw.sbuf.size, NULL, &err), 0);
	assert_int_equal(sf.kind, STATE_KIND_GLOBAL);
	assert_string_equal(sf.node_id.data, "");
	assert_int_equal(sf.n, 0);
	/* ...and is not the state of a session. */
	assert_int_equal(state_file_parse(&sf, sw.sbuf.data, sw.sbuf.size, &key, &err), -1);

	buf_release(&err);
	state_file_release(&sf);
	state_writer_release(&sw);
}

/* Flipping any bit of any byte, or cutting the container anywhere, is an
 * error with a reason: never a crash, never a container accepted. */
static void test_corrupt(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	build(&sw);
	size_t n = sw.sbuf.size;
	unsigned char *copy = malloc(n);
	struct state_file sf;
	state_file_init(&sf);
	struct buf err;
	buf_init(&err);
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, sw.sbuf.data, n);
			copy[i] ^= (unsigned char)(1u << bit);
			assert_int_equal(state_file_parse(&sf, copy, n, &key, &err), -1);
			assert_true(err.len > 0);
		}
	}
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_equal(state_file_parse(&sf, sw.sbuf.data, cut, &key, &err), -1);
		assert_true(err.len > 0);
	}
	/* Garbage with a valid CRC trailer: structure errors, not crashes. */
	for (unsigned seed = 1; seed <= 2000; seed++) {
		unsigned char g[64];
		unsigned x = seed;
		size_t len = 5 + seed % 50;
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			g[i] = (unsigned char)(x >> 16);
		}
		if (seed % 3 == 0)
			g[0] = 0x86;  /* a map header, to get further */
		uLong crc = crc32(0, g, (uInt)len);
		g[len] = 0xce;
		g[len + 1] = (unsigned char)(crc >> 24);
		g[len + 2] = (unsigned char)(crc >> 16);
		g[len + 3] = (unsigned char)(crc >> 8);
		g[len + 4] = (unsigned char)crc;
		assert_int_equal(state_file_parse(&sf, g, len + 5, NULL, &err), -1);
	}
	buf_release(&err);
	state_file_release(&sf);
	free(copy);
	state_writer_release(&sw);
}

/* The state of another session is refused, naming it. */
static void test_other_session(void **unused)
{
	(void)unused;
	struct state_writer sw;
	state_writer_init(&sw);
	build(&sw);
	struct state_file sf;
	state_file_init(&sf);
	struct buf err;
	buf_init(&err);
	const struct bpass_session_key other = {NODE, CTX, 1337104800512346};
	assert_int_equal(state_file_parse(&sf, sw.sbuf.data, sw.sbuf.size, &other, &err), -1);
	assert_string_equal(err.data, "belongs to session " NODE "/" CTX "/1337104800512345");
	buf_release(&err);
	state_file_release(&sf);
	state_writer_release(&sw);
}

static void test_names(void **unused)
{
	(void)unused;
	struct buf b;
	buf_init(&b);
	state_file_name(&key, &b);
	assert_string_equal(b.data, NODE "_" CTX "_1337104800512345.state");
	buf_reset(&b);
	const struct bpass_session_key odd = {"a_b/c", "UNANONYMIZED", -1};
	state_file_name(&odd, &b);
	assert_string_equal(b.data, "a%5Fb%2Fc_UNANONYMIZED_-1.state");
	/* "a_b" and "a%5Fb" as node ids must not share a file. */
	buf_reset(&b);
	const struct bpass_session_key pct = {"a%5Fb", "c", 1};
	state_file_name(&pct, &b);
	assert_string_equal(b.data, "a%255Fb_c_1.state");
	buf_reset(&b);
	state_file_node_prefix("x.y", &b);
	assert_string_equal(b.data, "x%2Ey_");
	buf_release(&b);
}

static int count_entries(const char *d)
{
	DIR *dh = opendir(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dh)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dh);
	return n;
}

static void test_atomic(void **unused)
{
	(void)unused;
	char sub[300], path[350];
	snprintf(sub, sizeof(sub), "%s/atomic", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/f.state", sub);
	assert_int_equal(atomic_file_write(path, "first", 5, "state file", 0), 0);
	struct buf b;
	buf_init(&b);
	assert_int_equal(state_file_read(path, &b), STATE_FILE_READ_OK);
	assert_string_equal(b.data, "first");
	assert_int_equal(atomic_file_write(path, "second!", 7, "state file",
					   ATOMIC_FILE_DEFER_DIRSYNC), 0);
	assert_int_equal(state_file_read(path, &b), STATE_FILE_READ_OK);
	assert_string_equal(b.data, "second!");
	assert_int_equal(count_entries(sub), 1);              /* no temporary left */
	assert_int_equal(fs_fsync_dir(sub), 0);

	/* A stream written through a FILE, then aborted: nothing changes. */
	struct atomic_file af;
	assert_int_equal(atomic_file_open(&af, path, "results table", 0), 0);
	fputs("half", af.f);
	assert_int_equal(count_entries(sub), 2);
	atomic_file_abort(&af);
	assert_int_equal(count_entries(sub), 1);
	assert_int_equal(state_file_read(path, &b), STATE_FILE_READ_OK);
	assert_string_equal(b.data, "second!");
	/* ...or committed. */
	assert_int_equal(atomic_file_open(&af, path, "results table", 0), 0);
	fputs("third", af.f);
	assert_int_equal(atomic_file_commit(&af), 0);
	assert_int_equal(state_file_read(path, &b), STATE_FILE_READ_OK);
	assert_string_equal(b.data, "third");

	/* Writing into a missing folder fails and leaves nothing. */
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/nope/f.state", sub);
	assert_int_equal(atomic_file_write(missing, "x", 1, "state file", 0), -1);
	assert_int_equal(state_file_read(missing, &b), STATE_FILE_MISSING);

	/* Replacing a file in a folder we cannot write to fails; the old file stays. */
	if (geteuid() != 0) {
		assert_int_equal(chmod(sub, 0555), 0);
		assert_int_equal(atomic_file_write(path, "fourth", 6, "state file", 0), -1);
		assert_int_equal(chmod(sub, 0755), 0);
		assert_int_equal(state_file_read(path, &b), STATE_FILE_READ_OK);
		assert_string_equal(b.data, "third");
	}
	/* The target is a folder: rename fails, the temporary is removed. */
	char target[400];
	snprintf(target, sizeof(target), "%s/adir", sub);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(atomic_file_write(target, "x", 1, "state file", 0), -1);
	assert_int_equal(count_entries(sub), 2);

	/* Leftovers of killed writers are cleaned; other files are not. */
	char left[400];
	snprintf(left, sizeof(left), "%s/.f.state.999999.tmp", sub);
	FILE *f = fopen(left, "w");
	fclose(f);
	assert_int_equal(count_entries(sub), 3);
	assert_int_equal(atomic_file_clean_dir(sub), 1);
	assert_int_equal(count_entries(sub), 2);
	buf_release(&b);
}

/* Reading: a missing file is 1, an empty file is 0 with no bytes. */
static void test_read(void **unused)
{
	(void)unused;
	char path[300];
	snprintf(path, sizeof(path), "%s/empty", dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	struct buf b;
	buf_init(&b);
	assert_int_equal(state_file_read(path, &b), STATE_FILE_READ_OK);
	assert_int_equal(b.len, 0);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(state_file_read(path, &b), STATE_FILE_MISSING);
	/* A big file reads whole. */
	snprintf(path, sizeof(path), "%s/big", dir);
	char *big = malloc(300000);
	for (int i = 0; i < 300000; i++)
		big[i] = (char)(i * 7);
	assert_int_equal(atomic_file_write(path, big, 300000, "state file", 0), 0);
	assert_int_equal(state_file_read(path, &b), STATE_FILE_READ_OK);
	assert_int_equal(b.len, 300000);
	assert_memory_equal(b.data, big, 300000);
	free(big);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_other_session),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
