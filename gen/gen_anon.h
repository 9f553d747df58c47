/*
 * gen/gen_anon.h: the stand-in anonymization of `bpass generate`.
 *
 * The real router hashes with HMAC-SHA1 under a secret 16-byte key
 * (update-format.md §6). The generator only needs strings of the same shapes
 * that join the same way: within one context (a 64-bit key) the same IP gives
 * the same 1-16 hex digits, the same name the same 40 hex digits, the same MAC
 * the same 12 hex digits with the real OUI, and different contexts give
 * unrelated strings. They are derived with gen_mix64, not HMAC.
 *
 * Every writer appends at p (which must have room: 17 bytes for an IP, 41
 * for a name or signature, 13 for a MAC), writes no NUL, and returns the
 * pointer just past what it wrote.
 */
#ifndef GEN_GEN_ANON_H
#define GEN_GEN_ANON_H

#include <stdint.h>

/* 64-bit FNV-1a of a NUL-terminated string (the "name bytes" to hash). */
uint64_t gen_anon_strhash(const char *s);

/* The signature line of a context: 40 lowercase hex digits. */
char *gen_anon_signature(char *p, uint64_t key);

/* A hashed IPv4 address: a 64-bit value in lowercase hex without zero
 * padding, so 1-16 digits (16 with probability 15/16). */
char *gen_anon_ip(char *p, uint64_t key, uint32_t ip);

/* A clear IPv4 address: the host-order value in lowercase hex without
 * padding, 1-8 digits (192.168.1.1 -> c0a80101), as v1-v2 and UNANONYMIZED
 * files print it. */
char *gen_anon_clear_ip(char *p, uint32_t ip);

/* A hashed domain name (name_hash from gen_anon_strhash): 40 hex digits. */
char *gen_anon_name(char *p, uint64_t key, uint64_t name_hash);

/* A hashed MAC: the real OUI (first 3 bytes) then 3 hashed bytes; 12 hex. */
char *gen_anon_mac(char *p, uint64_t key, const uint8_t mac[6]);

/* A raw MAC as 12 lowercase hex digits (UNANONYMIZED files). */
char *gen_anon_raw_mac(char *p, const uint8_t mac[6]);

/* Lowercase hex of v, without padding ("0" for 0). */
char *gen_anon_hex(char *p, uint64_t v);

#endif
