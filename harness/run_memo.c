/*
 * harness/run_memo.c: the memo of the last complete run and the fingerprint
 * of a run's inputs (see run_memo.h).
 */
#include "run_memo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "buf.h"
#include "fs.h"
#include "log.h"
#include "state_file.h"

#define MEMO_NAME ".last-run"
#define MEMO_MAGIC "bpass-last-run 1 "

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A string with its terminating NUL, so that "ab","c" differs from "a","bc". */
static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv_bytes(h, s, strlen(s) + 1);
}

static uint64_t fnv_i64(uint64_t h, int64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)v >> (8 * i));
	return fnv_bytes(h, b, sizeof(b));
}

uint64_t run_memo_fingerprint(const struct index_session *const *plan, uint32_t n_plan,
			      const struct bpass_processor *const *procs, uint32_t n_procs,
			      const struct proc_options *options, const char *out_dir, bool json)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv_str(h, MEMO_MAGIC BPASS_VERSION_STRING);
	h = fnv_i64(h, json);
	h = fnv_str(h, out_dir ? out_dir : "");
	h = fnv_i64(h, n_procs);
	for (uint32_t i = 0; i < n_procs; i++) {
		h = fnv_str(h, procs[i]->name);
		h = fnv_i64(h, procs[i]->version);
		h = fnv_i64(h, (int64_t)proc_options_hash(options, procs[i]));
	}
	h = fnv_i64(h, n_plan);
	for (uint32_t i = 0; i < n_plan; i++) {
		const struct index_session *s = plan[i];
		h = fnv_str(h, s->node_id);
		h = fnv_str(h, s->context);
		h = fnv_i64(h, s->session_id);
		h = fnv_i64(h, s->updates);
		h = fnv_i64(h, s->first_seq);
		h = fnv_i64(h, s->last_seq);
		h = fnv_i64(h, s->first_gap);
		h = fnv_i64(h, (int64_t)s->blob_bytes);
	}
	return h;
}

uint64_t run_memo_states(uint64_t h, const char *dir, const struct index_session *const *plan,
			 uint32_t n_plan)
{
	struct buf path;
	buf_init(&path);
	for (uint32_t i = 0; i < n_plan; i++) {
		const struct index_session *s = plan[i];
		buf_reset(&path);
		buf_printf(&path, "%s/", dir);
		state_file_name(&(struct bpass_session_key){s->node_id, s->context, s->session_id},
				&path);
		struct stat st;
		if (lstat(path.data, &st)) {
			h = fnv_i64(h, -1);
			continue;
		}
		h = fnv_i64(h, st.st_mode);
		h = fnv_i64(h, st.st_size);
		h = fnv_i64(h, st.st_ino);
		h = fnv_i64(h, st.st_mtim.tv_sec);
		h = fnv_i64(h, st.st_mtim.tv_nsec);
	}
	buf_release(&path);
	return h;
}

static void memo_path(const char *dir, struct buf *path)
{
	buf_reset(path);
	buf_printf(path, "%s/" MEMO_NAME, dir);
}

/* An unsigned number in base base ending at *end == want. */
static int number(const char **p, int base, char want, uint64_t max, uint64_t *out)
{
	char *end;
	if (**p < '0' || (**p > '9' && (base != 16 || **p < 'a' || **p > 'f')))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(*p, &end, base);
	if (errno || *end != want || v > max)
		return -1;
	*out = v;
	*p = end + 1;
	return 0;
}

int run_memo_read(const char *dir, struct run_memo *m)
{
	struct buf path, text;
	buf_init(&path);
	buf_init(&text);
	memo_path(dir, &path);
	int rc = -1;
	uint64_t fp, sessions, gaps;
	const char *p = text.data;
	if (fs_read_file(path.data, &text) == 0 && text.len < 128 &&
	    !strncmp(text.data, MEMO_MAGIC, strlen(MEMO_MAGIC))) {
		p = text.data + strlen(MEMO_MAGIC);
		if (number(&p, 16, ' ', UINT64_MAX, &fp) == 0 &&
		    number(&p, 10, ' ', UINT32_MAX, &sessions) == 0 &&
		    number(&p, 10, '\n', UINT32_MAX, &gaps) == 0 && *p == 0) {
			*m = (struct run_memo){fp, (uint32_t)sessions, (uint32_t)gaps};
			rc = 0;
		}
	}
	buf_release(&path);
	buf_release(&text);
	return rc;
}

int run_memo_write(const char *dir, const struct run_memo *m, bool no_fsync)
{
	struct buf path, text;
	buf_init(&path);
	buf_init(&text);
	memo_path(dir, &path);
	buf_printf(&text, MEMO_MAGIC "%016" PRIx64 " %" PRIu32 " %" PRIu32 "\n", m->fingerprint,
		   m->sessions, m->gaps);
	int rc = atomic_file_write(path.data, text.data, text.len, "run memo",
				   no_fsync ? ATOMIC_FILE_NO_FSYNC : 0);
	buf_release(&path);
	buf_release(&text);
	return rc;
}

int run_memo_remove(const char *dir)
{
	struct buf path;
	buf_init(&path);
	memo_path(dir, &path);
	int rc = 0;
	if (unlink(path.data) && errno != ENOENT)
		rc = log_error("could not remove run memo \"%s\": %s", path.data, strerror(errno));
	buf_release(&path);
	return rc;
}
