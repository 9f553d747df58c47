/*
 * tests/fuzz/fuzz_blob.c: libFuzzer target for the index blob decoder. Each
 * input is decoded twice: as is (the CRC rejects almost everything), and
 * with its CRC rewritten so that the payload decoder itself is exercised.
 * Whenever a decode succeeds, the update is encoded again and decoded again:
 * both structs must be equal and re-encoding must give the same bytes.
 * The decoder must never crash, read out of bounds, or leak.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "blob.h"
#include "update_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz_blob: check failed: %s (line %d)\n", \
				#cond, __LINE__);                                \
			abort();                                                 \
		}                                                                \
	} while (0)

static void check_equal(const struct bpass_update *a, const struct bpass_update *b)
{
	const char *what = update_diff(a, b);
	if (what) {
		fprintf(stderr, "fuzz_blob: the updates differ in their %s\n", what);
		abort();
	}
}

static struct blob_codec *codec;

static void decode_and_check(const uint8_t *data, size_t size)
{
	struct update_buf b1, b2;
	struct update_error err;
	struct buf enc1, enc2;
	update_buf_init(&b1);
	update_buf_init(&b2);
	buf_init(&enc1);
	buf_init(&enc2);
	if (blob_decode(&b1, data, size, &err) == 0) {
		if (!codec)
			codec = blob_codec_new();   /* one for the process, as the indexer's */
		blob_codec_encode(codec, &b1.u, &enc1);
		CHECK(blob_decode(&b2, enc1.data, enc1.len, &err) == 0);
		check_equal(&b1.u, &b2.u);
		blob_codec_encode(codec, &b2.u, &enc2);
		CHECK(enc1.len == enc2.len && memcmp(enc1.data, enc2.data, enc1.len) == 0);
	} else {
		CHECK(err.msg[0] != 0);
		CHECK(b1.u.n_packets == 0 && b1.u.context && b1.u.node_id && b1.u.build_id);
	}
	buf_release(&enc1);
	buf_release(&enc2);
	update_buf_release(&b1);
	update_buf_release(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_and_check(data, size);
	if (size < 6)
		return 0;
	uint8_t *copy = malloc(size);   /* exact size: over-reads are caught */
	memcpy(copy, data, size);
	uint32_t c = (uint32_t)crc32(0, copy + 6, (uInt)(size - 6));
	copy[2] = (uint8_t)c;
	copy[3] = (uint8_t)(c >> 8);
	copy[4] = (uint8_t)(c >> 16);
	copy[5] = (uint8_t)(c >> 24);
	decode_and_check(copy, size);
	free(copy);
	return 0;
}
