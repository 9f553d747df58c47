/*
 * tests/unit/fixture.c: scratch folders, captured stderr and small real
 * indexes for the harness tests (see fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "fixture.h"
#include "index_db.h"
#include "update.h"

int fx_scratch(const char *name, char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, size, "%s/bpass-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	return mkdtemp(dir) ? 0 : -1;
}

int fx_scratch_run(const char *name, char dir[FX_PATH], char index[FX_PATH],
		   char state[FX_PATH])
{
	if (fx_scratch(name, dir, FX_PATH))
		return -1;
	snprintf(index, FX_PATH, "%s/index.sqlite", dir);
	snprintf(state, FX_PATH, "%s/state", dir);
	unsetenv("BPASS_PLUGIN_PATH");
	return 0;
}

int fx_remove(const char *dir)
{
	struct buf cmd;
	buf_init(&cmd);
	buf_printf(&cmd, "rm -rf '%s'", dir);
	int rc = system(cmd.data) == 0 ? 0 : -1;
	buf_release(&cmd);
	return rc;
}

static FILE *capture;
static int saved_stderr = -1;

void fx_capture_begin(void)
{
	fflush(stderr);
	capture = tmpfile();
	assert_non_null(capture);
	saved_stderr = dup(2);
	dup2(fileno(capture), 2);
}

void fx_capture_end(char *out, size_t size)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	rewind(capture);
	size_t n = fread(out, 1, size - 1, capture);
	out[n] = 0;
	fclose(capture);
	capture = NULL;
}

char *fx_read_file(const char *path, size_t *len)
{
	struct buf b;
	buf_init(&b);
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open \"%s\" (run from the repository top)\n", path);
		return NULL;
	}
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, got);
	fclose(f);
	buf_putc(&b, 0);   /* makes b own an allocation even for an empty file */
	*len = --b.len;
	return b.data;
}

struct fx_tarball {
	struct index_db *db;
	struct update_buf ub;
	struct blob_codec *codec;
	struct buf blob;
	char *text;           /* the exact-size copy the parsed update points into */
	uint32_t members;
};

struct fx_tarball *fx_tarball_begin(const char *index_path, const char *name)
{
	struct fx_tarball *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	assert_int_equal(index_db_open(&t->db, index_path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_tarball_begin(t->db, name, 1, 1, NULL), 0);
	update_buf_init(&t->ub);
	t->codec = blob_codec_new();
	buf_init(&t->blob);
	return t;
}

const struct bpass_update *fx_tarball_add(struct fx_tarball *t, const char *text, size_t len)
{
	/* An exact-size copy, as the indexer parses a gunzipped member. */
	free(t->text);
	t->text = malloc(len ? len : 1);
	assert_non_null(t->text);
	memcpy(t->text, text, len);
	struct update_error err;
	int rc = update_parse(&t->ub, t->text, len, &err);
	if (rc)
		fail_msg("could not parse the update: line %u (section %s): %s\n%.*s", err.line,
			 update_section_name(err.section), err.msg, (int)len, text);
	const struct bpass_update *u = &t->ub.u;
	buf_reset(&t->blob);
	assert_int_equal(blob_codec_encode(t->codec, u, &t->blob), 0);
	struct index_update_row row = {
		.node_id = u->node_id, .context = u->context, .session_id = u->session_id,
		.seq = u->sequence, .version = u->version, .timestamp_s = u->timestamp_s,
		.packets = u->n_packets, .blob = t->blob.data, .blob_len = t->blob.len,
	};
	assert_int_equal(index_db_add_update(t->db, &row), INDEX_ADD_STORED);
	t->members++;
	return u;
}

void fx_tarball_commit(struct fx_tarball *t)
{
	index_db_tarball_counts(t->db)->members = t->members;
	assert_int_equal(index_db_tarball_commit(t->db, INDEX_TARBALL_INDEXED, NULL), 0);
	index_db_close(t->db);
	update_buf_release(&t->ub);
	blob_codec_free(t->codec);
	buf_release(&t->blob);
	free(t->text);
	free(t);
}

void fx_add_tarball(const char *index_path, const char *name, const struct fx_update *u,
		    size_t n)
{
	struct fx_tarball *t = fx_tarball_begin(index_path, name);
	struct buf text;
	buf_init(&text);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&text);
		buf_printf(&text, "5\nUNKNOWN\n%s %" PRId64 " %d %" PRId64 "\n\n\n%s\n\n", u[i].node,
			   u[i].sid, u[i].seq, u[i].sid / 1000000 + 30 * (u[i].seq + 1), FX_CTX);
		buf_printf(&text, "%" PRId64 " 0\n%s\n", u[i].sid, u[i].sizes);
		buf_puts(&text, "0 0 0 0\n\n0 0\n\n\n0 256\n\n\n");
		assert_int_equal(fx_tarball_add(t, text.data, text.len)->n_packets, u[i].n_packets);
	}
	fx_tarball_commit(t);
	buf_release(&text);
}
