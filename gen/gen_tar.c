/*
 * gen/gen_tar.c: deterministic ustar tarballs in memory (see gen_tar.h).
 */
#include "gen_tar.h"

#include <md5.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define BLOCK 512
#define RECORD 10240

void gen_tar_init(struct gen_tar *t)
{
	buf_init(&t->data);
}

void gen_tar_release(struct gen_tar *t)
{
	buf_release(&t->data);
}

void gen_tar_reset(struct gen_tar *t)
{
	buf_reset(&t->data);
}

/* Writes v as a NUL-terminated octal field of width w (w - 1 digits). */
static void octal(char *field, size_t w, uint64_t v)
{
	field[w - 1] = 0;
	for (size_t i = w - 1; i-- > 0;) {
		field[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

int gen_tar_add(struct gen_tar *t, const char *name, const void *data, size_t len, int64_t mtime)
{
	size_t n = strlen(name);
	if (n >= 100)
		return log_error("could not add member \"%s\" to a tarball: name too long", name);
	char h[BLOCK];
	memset(h, 0, sizeof(h));
	memcpy(h, name, n);
	octal(h + 100, 8, 0640);
	octal(h + 108, 8, 1000);
	octal(h + 116, 8, 1000);
	octal(h + 124, 12, len);
	octal(h + 136, 12, (uint64_t)(mtime < 0 ? 0 : mtime));
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "bismark", 7);
	memcpy(h + 297, "bismark-passive", 15);
	unsigned sum = 0;
	for (int i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 7, sum);
	h[155] = ' ';
	buf_append(&t->data, h, BLOCK);
	buf_append(&t->data, data, len);
	size_t pad = (BLOCK - len % BLOCK) % BLOCK;
	if (pad) {
		static const char zeros[BLOCK];
		buf_append(&t->data, zeros, pad);
	}
	return 0;
}

void gen_tar_finish(struct gen_tar *t)
{
	static const char zeros[RECORD];
	buf_append(&t->data, zeros, 2 * BLOCK);
	size_t pad = (RECORD - t->data.len % RECORD) % RECORD;
	buf_append(&t->data, zeros, pad);
}

void gen_tar_md5(const void *data, size_t len, char out[33])
{
	MD5_CTX ctx;
	uint8_t d[16];
	MD5Init(&ctx);
	MD5Update(&ctx, data, len);
	MD5Final(d, &ctx);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = 0;
}
