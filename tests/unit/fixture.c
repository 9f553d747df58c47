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

void fx_add_tarball(const char *index_path, const char *name, const struct fx_update *u,
		    size_t n)
{
	struct index_db *db;
	assert_int_equal(index_db_open(&db, index_path, INDEX_OPEN_WRITE), 0);
	assert_int_equal(index_db_tarball_begin(db, name, 1, 1, NULL), 0);
	struct update_buf ub;
	update_buf_init(&ub);
	struct buf text, blob;
	buf_init(&text);
	buf_init(&blob);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&text);
		buf_printf(&text, "5\nUNKNOWN\n%s %" PRId64 " %d %" PRId64 "\n\n\n%s\n\n", u[i].node,
			   u[i].sid, u[i].seq, u[i].sid / 1000000 + 30 * (u[i].seq + 1), FX_CTX);
		buf_printf(&text, "%" PRId64 " 0\n%s\n", u[i].sid, u[i].sizes);
		buf_puts(&text, "0 0 0 0\n\n0 0\n\n\n0 256\n\n\n");
		struct update_error err;
		int rc = update_parse(&ub, text.data, text.len, &err);
		if (rc)
			fprintf(stderr, "parse: %s\n", err.msg);
		assert_int_equal(rc, 0);
		assert_int_equal(ub.u.n_packets, u[i].n_packets);
		buf_reset(&blob);
		assert_int_equal(blob_encode(&ub.u, &blob), 0);
		struct index_update_row row = {
			.node_id = u[i].node, .context = FX_CTX, .session_id = u[i].sid, .seq = u[i].seq,
			.version = 5, .timestamp_s = ub.u.timestamp_s, .packets = ub.u.n_packets,
			.blob = blob.data, .blob_len = blob.len,
		};
		assert_int_equal(index_db_add_update(db, &row), 1);
	}
	index_db_tarball_counts(db)->members = (uint32_t)n;
	assert_int_equal(index_db_tarball_commit(db, INDEX_TARBALL_INDEXED, NULL), 0);
	update_buf_release(&ub);
	buf_release(&text);
	buf_release(&blob);
	index_db_close(db);
}
