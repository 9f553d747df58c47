/*
 * ops/anonymize.h: anonymized copies of tarballs for publication (the
 * engine of `bpass anonymize`), as the server's scripts/anonymize_data.py
 * made them (update-format.md §6.6):
 *   - the node id is replaced by its hash everywhere: in the tarball name,
 *     in member names, and in every text line before the anonymization
 *     signature line (in practice intro line 3, or line 1 of the unversioned
 *     format); an update whose own node id differs from the tarball's has its
 *     own id replaced by its own hash as well;
 *   - updates whose signature is UNANONYMIZED are left out, and so are
 *     members that cannot be gunzipped or have no signature line (they cannot
 *     be checked, so they are not published);
 *   - the copy is named <hash(node)>_<date>_<time>_<md5 of the new tar>.tar.
 * The hash is the lowercase hex md5 of the node id (compatible with the
 * published datasets, but reversed by hashing every possible node id in
 * seconds), or, with a key, the HMAC-SHA256 of it (64 hex digits; without
 * the key it cannot be reversed).
 *
 * Copies are deterministic (gzip without a time stamp, member times set to
 * the tarball's date), written under a temporary name, fsynced and renamed.
 * DST/.anonymize-done lists the hashes of the source tarball names already
 * handled, so a second run skips them; a crash between the rename and that
 * line only makes the next run rebuild the identical file and record it.
 * Nothing in the output folder names a clear node id or tarball: the
 * mapping from clear names to copies goes only into an optional manifest
 * outside it. One output folder holds copies of one hash (and key) only.
 */
#ifndef OPS_ANONYMIZE_H
#define OPS_ANONYMIZE_H

#include <stddef.h>

#include "buf.h"

/* Longest hash of a node id, as hex with its NUL (HMAC-SHA256). */
#define NODE_HASH_MAX 65
/* Key files: at least 16 bytes (128 bits), at most 4096. */
#define ANONYMIZE_KEY_MIN 16
#define ANONYMIZE_KEY_MAX 4096

struct anonymize_options {
	const void *key;          /* HMAC-SHA256 key (borrowed); NULL: md5 */
	size_t key_len;
	const char *key_path;     /* the key's file, for the checks (may be NULL) */
	const char *manifest;     /* file to append "clear name TAB copy" lines to; NULL: none.
				   * Never inside the output folder. */
};

struct anonymize_stats {
	unsigned long found;         /* tarballs of src looked at (0: failed before) */
	unsigned long tarballs;      /* copies written */
	unsigned long kept;          /* updates in them */
	unsigned long unanonymized;  /* UNANONYMIZED updates left out */
	unsigned long unreadable;    /* members left out: not gzip, no signature, too large */
	unsigned long already;       /* source tarballs copied by an earlier run */
	unsigned long skipped;       /* files not named like a tarball */
	unsigned long failures;      /* errors reported */
};

/* Reads a key file into key: its bytes, without one trailing newline (LF
 * or CR LF). Warns when other users may read it. Returns 0, or -1 after
 * printing why. */
int anonymize_key_read(const char *path, struct buf *key);
/* Checks that a key is long enough. Returns 0, or -1 after printing why. */
int anonymize_key_check(const char *path, const struct buf *key);

/* Checks where the files go: src and dst must not overlap (the same
 * folder, or one inside the other: the copies would be anonymized again),
 * and the manifest and the key file must not be inside the output folder
 * (which is published). Returns 0, or -1 after printing why. */
int anonymize_check(const char *src, const char *dst, const struct anonymize_options *o);

/*
 * Writes the anonymized copy of every tarball (*.tar) of src not copied
 * before into dst (created when missing), after anonymize_check. A manifest
 * left in dst by an earlier version (.anonymize-manifest, clear names) is
 * moved out: its tarballs stay done, its lines go to o->manifest if set.
 * A tarball that fails is reported and the others go on. Fills st (zeroed
 * first). Returns 0 when nothing failed, or -1 after printing why (also
 * when dst holds copies made with another hash or key).
 */
int anonymize_run(const char *src, const char *dst, const struct anonymize_options *o,
		  struct anonymize_stats *st);

#endif
