/*
 * gen/gen_gzip.h: gzip compression of generated updates, byte-identical
 * from run to run: one zlib deflate stream with a gzip wrapper (windowBits
 * 15 + 16) at the default level, like the router's gzopen(path, "wb"), with
 * zlib's fixed header (no name, mtime 0). The stream and the output buffer
 * are reused for every update.
 */
#ifndef GEN_GEN_GZIP_H
#define GEN_GEN_GZIP_H

#include <stddef.h>
#include <zlib.h>

#include "buf.h"

struct gen_gzip {
	z_stream z;
	struct buf out;          /* the last result */
	int ready;
};

/* Returns 0, or -1 (message logged) when zlib cannot be initialised. */
int gen_gzip_init(struct gen_gzip *g);
void gen_gzip_release(struct gen_gzip *g);

/* Compresses len bytes into g->out (replacing its content). Returns 0 or -1
 * (message logged). */
int gen_gzip_compress(struct gen_gzip *g, const void *data, size_t len);

#endif
