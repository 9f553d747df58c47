/*
 * tests/unit/fixture.h: what the harness and processor tests stand on: a
 * scratch folder per test program, stderr captured to check messages, files
 * of the repository read whole, and a real SQLite index (index/index_db.h)
 * filled with hand-written updates that the real parser reads and the real
 * blob codec stores, exactly as `bpass index` would.
 *
 * Functions that build something fail the running cmocka test on any error.
 */
#ifndef TESTS_FIXTURE_H
#define TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "bpass_update.h"

/* The context of every update fx_add_tarball stores. */
#define FX_CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"

/* Creates a folder $TMPDIR/bpass-NAME.XXXXXX (TMPDIR: /tmp when unset), its
 * path in dir (size bytes). Returns 0 or -1. */
int fx_scratch(const char *name, char *dir, size_t size);
/* Bytes of the paths fx_scratch_run fills. */
#define FX_PATH 300

/* fx_scratch, then the paths of an index (DIR/index.sqlite) and of a state
 * folder (DIR/state) in it (neither is created), and BPASS_PLUGIN_PATH
 * unset so that only the built-in processors load. Returns 0 or -1. */
int fx_scratch_run(const char *name, char dir[FX_PATH], char index[FX_PATH],
		   char state[FX_PATH]);
/* Removes dir and everything in it. Returns 0 or -1. */
int fx_remove(const char *dir);

/* Reads the whole file at path (relative to the repository top, where the
 * tests run) into a malloc'd buffer with a NUL after its *len bytes; NULL
 * after a message when it cannot be read. */
char *fx_read_file(const char *path, size_t *len);

/* Sends stderr to a temporary file until fx_capture_end, which restores it
 * and puts what was written in out (size bytes, NUL-terminated, cut if
 * longer). Not nested. */
void fx_capture_begin(void);
void fx_capture_end(char *out, size_t size);

/* One update to store. Its NOW_S is sid / 1e6 + 30 * (seq + 1) and the
 * first packet time sid. */
struct fx_update {
	const char *node;
	int64_t sid;
	int32_t seq;
	const char *sizes;       /* packet lines "DELTA SIZE FLOW\n"..., or "" */
	uint32_t n_packets;      /* how many lines sizes holds */
};

/* Adds a tarball called name holding u[0..n) to the index at index_path
 * (created when missing): one transaction, as the indexer does. */
void fx_add_tarball(const char *index_path, const char *name, const struct fx_update *u,
		    size_t n);

/* A tarball being added to an index update text by update text: the index
 * at index_path (created when missing) stays open, in the tarball's
 * transaction, until fx_tarball_commit (which frees t). */
struct fx_tarball;
struct fx_tarball *fx_tarball_begin(const char *index_path, const char *name);
/* Parses text[0..len) with update_parse and stores it under the key it
 * names (a key stored before fails the test). Returns the parsed update,
 * borrowed until the next call. */
const struct bpass_update *fx_tarball_add(struct fx_tarball *t, const char *text, size_t len);
void fx_tarball_commit(struct fx_tarball *t);

#endif
