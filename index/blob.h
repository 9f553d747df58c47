/*
 * index/blob.h: the compact binary encoding of a parsed update stored in the
 * index (one blob per update). Decoding a blob is much faster than gunzipping
 * and parsing the text, and blobs are in total no larger than the gzipped
 * updates they came from.
 */
#ifndef INDEX_BLOB_H
#define INDEX_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "update.h"

/*
 * An encoder's reusable state: hash tables, column buffers and a deflate
 * stream, kept between calls so that encoding allocates nothing once warm
 * (about 1.5 MiB plus a few arrays the size of the largest update: direct
 * tables indexed by packet size and flow id).
 * blob_codec_new never returns NULL; blob_codec_free(NULL) is a no-op.
 * blob_codec_encode appends the encoding of u to out and returns 0 (it
 * cannot fail on valid input); the output does not depend on what the codec
 * encoded before. A codec is used by one thread at a time.
 */
struct blob_codec;
struct blob_codec *blob_codec_new(void);
void blob_codec_free(struct blob_codec *c);
int blob_codec_encode(struct blob_codec *c, const struct bpass_update *u, struct buf *out);

/*
 * Decodes len bytes into b. The bytes are copied (or inflated) into b's own
 * storage, so data may be freed right after the call.
 * Returns 0, or -1 with err filled in when the blob is corrupt; never reads
 * outside data[0..len) and never crashes on any input.
 */
int blob_decode(struct update_buf *b, const void *data, size_t len, struct update_error *err);

#endif
