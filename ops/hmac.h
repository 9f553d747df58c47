/*
 * ops/hmac.h: HMAC-SHA256 (RFC 2104 over libmd's SHA-256), the keyed hash
 * that anonymize can put in place of node ids: without the key, a node id
 * cannot be recovered by hashing candidate ids, as an md5 can.
 */
#ifndef OPS_HMAC_H
#define OPS_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define HMAC_SHA256_LEN 32

/* out = HMAC-SHA256(key, data). Any key length (keys longer than the block
 * of 64 bytes are hashed first, as RFC 2104 says). */
void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[HMAC_SHA256_LEN]);

/* The same, as 64 lowercase hex digits and a NUL into out[65]. */
void hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
		     char out[2 * HMAC_SHA256_LEN + 1]);

#endif
