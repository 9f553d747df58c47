/*
 * gen/gen_anon.c: deterministic stand-ins for the router's HMAC-based
 * hashes (see gen_anon.h).
 */
#include "gen_anon.h"

#include "gen_rng.h"

static const char hexdig[] = "0123456789abcdef";

uint64_t gen_anon_strhash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static char *hex16(char *p, uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		p[i] = hexdig[v & 15];
		v >>= 4;
	}
	return p + digits;
}

char *gen_anon_hex(char *p, uint64_t v)
{
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = hexdig[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *hex40(char *p, uint64_t seed)
{
	uint64_t a = gen_mix64(seed);
	uint64_t b = gen_mix64(a ^ 0x5851f42d4c957f2dull);
	uint64_t c = gen_mix64(b ^ 0x14057b7ef767814full);
	p = hex16(p, a, 16);
	p = hex16(p, b, 16);
	return hex16(p, c >> 32, 8);
}

char *gen_anon_signature(char *p, uint64_t key)
{
	return hex40(p, key ^ 0x243f6a8885a308d3ull);
}

char *gen_anon_ip(char *p, uint64_t key, uint32_t ip)
{
	return gen_anon_hex(p, gen_mix64(key ^ ((uint64_t)ip * 0x9e3779b97f4a7c15ull)));
}

char *gen_anon_clear_ip(char *p, uint32_t ip)
{
	return gen_anon_hex(p, ip);
}

char *gen_anon_name(char *p, uint64_t key, uint64_t name_hash)
{
	return hex40(p, key ^ gen_mix64(name_hash));
}

char *gen_anon_raw_mac(char *p, const uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		*p++ = hexdig[mac[i] >> 4];
		*p++ = hexdig[mac[i] & 15];
	}
	return p;
}

char *gen_anon_mac(char *p, uint64_t key, const uint8_t mac[6])
{
	uint64_t m = 0;
	for (int i = 0; i < 6; i++)
		m = (m << 8) | mac[i];
	uint64_t h = gen_mix64(key ^ (m * 0xd6e8feb86659fd93ull));
	uint8_t out[6] = {mac[0], mac[1], mac[2], (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h};
	return gen_anon_raw_mac(p, out);
}
