/*
 * gen/gen_tar.h: writing tarballs of updates in memory, byte-identical from
 * run to run: POSIX ustar headers with fixed owner (uid/gid 1000,
 * "bismark"/"bismark-passive"), mode 0640 as the collection script left
 * them, the given mtime, bare member names, two zero blocks at the end and
 * padding to 10240-byte records like tar(1). The caller then writes the
 * bytes to a file, possibly after computing their md5 for the name.
 */
#ifndef GEN_GEN_TAR_H
#define GEN_GEN_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct gen_tar {
	struct buf data;         /* the tarball so far */
};

void gen_tar_init(struct gen_tar *t);
void gen_tar_release(struct gen_tar *t);
/* Starts a new, empty tarball (keeps the allocation). */
void gen_tar_reset(struct gen_tar *t);

/* Appends one regular-file member. name must be shorter than 100 bytes.
 * Returns 0, or -1 (message logged) when the name does not fit. */
int gen_tar_add(struct gen_tar *t, const char *name, const void *data, size_t len, int64_t mtime);

/* Appends the end-of-archive blocks and the record padding. */
void gen_tar_finish(struct gen_tar *t);

/* Lowercase hex md5 of len bytes into out[33] (libmd). */
void gen_tar_md5(const void *data, size_t len, char out[33]);

#endif
