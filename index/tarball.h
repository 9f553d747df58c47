/*
 * index/tarball.h: reading tarballs of gzipped updates (libarchive, libdeflate,
 * zlib).
 *
 * A tarball is walked member by member; each regular member is gunzipped into
 * a buffer the reader reuses, so a stream of members allocates nothing once
 * the buffer has grown. A member that cannot be read (not gzip, truncated,
 * empty, inflating past the limit, not a regular file) is reported with its
 * reason and the walk goes on with the next member.
 */
#ifndef INDEX_TARBALL_H
#define INDEX_TARBALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* The upload server accepted at most 10 MiB per update; a member that inflates
 * past this is treated as a gzip bomb. */
#define TARBALL_MAX_INFLATED (64u << 20)

/* Members whose output fits in this many bytes are gunzipped by libdeflate,
 * the rest are streamed by zlib (see tarball_gunzip). */
#define TARBALL_DEFLATE_MAX (8u << 20)

/* Lowercase hex MD5 of a whole file into out[33]. Returns 0 or -1 (errno set). */
int tarball_md5_file(const char *path, char out[33]);

/* One member, as handed to the callback. */
struct tarball_member {
	const char *name;     /* member path inside the tar */
	const char *data;     /* gunzipped bytes (or the raw bytes of a plain-text member); NULL when rejected */
	size_t len;
	char *mutable_data;   /* the same bytes, writable (the parser works in place); valid until the callback returns */
	const char *reject;   /* NULL, or why the member could not be read: "not a regular file",
			       * "empty member", "not gzip", "truncated gzip", "corrupt gzip: <zlib
			       * message>", "inflates past 64 MiB", "member larger than 64 MiB" */
};
/* data[len] is always 0. Members whose bytes do not start with the gzip magic
 * are passed as plain text when their name does not end in ".gz" (like the Go
 * indexer), and rejected as "not gzip" when it does. Concatenated gzip
 * members are joined; zero padding after the last one is ignored.
 * Directories are skipped without a callback. */

/*
 * Calls cb for every member of the tar (or .tar.gz) at path, in archive
 * order. cb returns 0 to go on, non-zero to stop (the walk then returns that
 * value). Returns 0 when the whole archive was walked, -1 when the archive
 * itself is unreadable: then the whole message is appended to err, e.g.
 * `could not open tarball "a.tar": No such file or directory` or
 * `could not read tarball "a.tar": Truncated tar archive` (members handed out
 * before the damage were valid; the damaged one is not handed out). A .tar.gz
 * (recognized by its gzip magic, whatever its name) is inflated here, so a
 * cut or corrupt one hands out every member its good gzip data holds, then
 * fails with `could not read tarball "a.tar.gz": truncated gzip` (or
 * "corrupt gzip: <zlib message>"); one cut only in its gzip trailer, after
 * tar's end-of-archive blocks, reads in full.
 */
struct tarball_reader;
struct tarball_reader *tarball_reader_new(void);
void tarball_reader_free(struct tarball_reader *r);   /* NULL is a no-op */
int tarball_walk(struct tarball_reader *r, const char *path,
		 int (*cb)(void *arg, const struct tarball_member *m), void *arg,
		 struct buf *err);

/* Gunzips one buffer (used by tarball_walk and by `bpass parse` on .gz files)
 * into out, which is emptied first; out->data[out->len] is 0. Returns 0, or -1
 * with *reason set to one of the reasons above (a string that stays valid
 * until the next call with r) and out empty. Never grows out past
 * TARBALL_MAX_INFLATED bytes.
 *
 * libdeflate does the work when the output fits in the reader's libdeflate
 * bound (TARBALL_DEFLATE_MAX unless set otherwise): out is sized from the
 * gzip trailer's ISIZE (bounded by what deflate can reach from len bytes,
 * so a lying ISIZE costs at most a retry with twice the room). zlib streams
 * the larger members, and redoes every member libdeflate refuses, so that
 * what is accepted and every reason are the same whichever library served. */
int tarball_gunzip(struct tarball_reader *r, const void *gz, size_t len,
		   struct buf *out, const char **reason);

/* How many members each library gunzipped with r (tarball_gunzip calls):
 * zlib counts the members libdeflate did not serve, rejected ones included. */
struct tarball_counts {
	uint64_t libdeflate;
	uint64_t zlib;
};
void tarball_reader_counts(const struct tarball_reader *r, struct tarball_counts *out);

/* Sets the largest output r hands to libdeflate (capped at
 * TARBALL_MAX_INFLATED); 0 makes zlib gunzip everything (benchmarks, tests). */
void tarball_reader_set_deflate_max(struct tarball_reader *r, size_t bytes);

#endif
