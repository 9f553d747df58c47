/*
 * ops/hmac.c: HMAC-SHA256 (see hmac.h).
 */
#include "hmac.h"

#include <sha2.h>
#include <string.h>

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[HMAC_SHA256_LEN])
{
	uint8_t k[SHA256_BLOCK_LENGTH] = {0}, pad[SHA256_BLOCK_LENGTH];
	uint8_t inner[SHA256_DIGEST_LENGTH];
	SHA2_CTX ctx;
	if (key_len > SHA256_BLOCK_LENGTH) {
		SHA256Init(&ctx);
		SHA256Update(&ctx, key, key_len);
		SHA256Final(k, &ctx);
	} else if (key_len) {
		memcpy(k, key, key_len);
	}
	for (int i = 0; i < SHA256_BLOCK_LENGTH; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256Init(&ctx);
	SHA256Update(&ctx, pad, sizeof(pad));
	SHA256Update(&ctx, data, len);
	SHA256Final(inner, &ctx);
	for (int i = 0; i < SHA256_BLOCK_LENGTH; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256Init(&ctx);
	SHA256Update(&ctx, pad, sizeof(pad));
	SHA256Update(&ctx, inner, sizeof(inner));
	SHA256Final(out, &ctx);
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
}

void hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
		     char out[2 * HMAC_SHA256_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t mac[HMAC_SHA256_LEN];
	hmac_sha256(key, key_len, data, len, mac);
	for (int i = 0; i < HMAC_SHA256_LEN; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[2 * HMAC_SHA256_LEN] = 0;
}
