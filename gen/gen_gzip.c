/*
 * gen/gen_gzip.c: deterministic gzip of generated updates (see gen_gzip.h).
 */
#include "gen_gzip.h"

#include <string.h>

#include "log.h"

int gen_gzip_init(struct gen_gzip *g)
{
	memset(g, 0, sizeof(*g));
	buf_init(&g->out);
	if (deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return log_error("could not initialise zlib: %s", g->z.msg ? g->z.msg : "out of memory");
	g->ready = 1;
	return 0;
}

void gen_gzip_release(struct gen_gzip *g)
{
	if (g->ready)
		deflateEnd(&g->z);
	buf_release(&g->out);
	g->ready = 0;
}

int gen_gzip_compress(struct gen_gzip *g, const void *data, size_t len)
{
	if (deflateReset(&g->z) != Z_OK)
		return log_error("could not reset zlib stream");
	size_t bound = deflateBound(&g->z, (uLong)len) + 64;
	buf_reset(&g->out);
	buf_reserve(&g->out, bound);
	g->z.next_in = (Bytef *)(uintptr_t)data;
	g->z.avail_in = (uInt)len;
	g->z.next_out = (Bytef *)g->out.data;
	g->z.avail_out = (uInt)bound;
	int rc = deflate(&g->z, Z_FINISH);
	if (rc != Z_STREAM_END)
		return log_error("could not compress an update: zlib error %d", rc);
	g->out.len = bound - g->z.avail_out;
	g->out.data[g->out.len] = 0;
	return 0;
}
