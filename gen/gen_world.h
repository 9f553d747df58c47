/*
 * gen/gen_world.h: the shared Internet of `bpass generate`: a catalog of
 * domain names grouped into sites (a queried name, its CNAME chain and the
 * IPv4 addresses of the canonical name), and the whitelist the routers were
 * configured with (a few dozen domains in the style of the default
 * bismark-passive whitelist, update-format.md §4.2).
 *
 * A site is what a LAN device looks up and then connects to. Its names hash
 * the same way in every update of a context, so processors can join the DNS
 * records of an update with the flows that follow them. Whitelisted names
 * (equal to an entry or ending in "." + entry, case-sensitive) are written in
 * clear; a few names have mixed case, an underscore or a \DDD escape, as
 * dn_expand would print them.
 *
 * Everything is built once from the seed and is read-only afterwards.
 */
#ifndef GEN_GEN_WORLD_H
#define GEN_GEN_WORLD_H

#include <stdbool.h>
#include <stdint.h>

struct gen_name {
	char *text;              /* owned by the world */
	uint64_t hash;           /* gen_anon_strhash(text) */
	bool whitelisted;        /* matches an entry of the whitelist */
};

enum gen_site_kind {
	GEN_SITE_WEB,            /* pages: looked up by browsing devices */
	GEN_SITE_RESOURCE,       /* CDN, images, ads, APIs: looked up by page loads */
	GEN_SITE_VIDEO,          /* streaming servers */
	GEN_SITE_PUSH,           /* long-lived keep-alive connections */
	GEN_SITE_NTP,            /* time servers (UDP 123) */
	GEN_SITE_KINDS
};

#define GEN_SITE_MAX_NAMES 3
#define GEN_SITE_MAX_IPS 4

struct gen_site {
	uint32_t names[GEN_SITE_MAX_NAMES]; /* names[0] is queried; each CNAMEs to the next */
	uint32_t ips[GEN_SITE_MAX_IPS];     /* A records of the last name (host order) */
	int32_t ttl_cname;
	int32_t ttl_a;
	uint16_t port;                      /* the usual server port */
	uint8_t n_names;
	uint8_t n_ips;
	uint8_t kind;                       /* enum gen_site_kind */
};

struct gen_world {
	struct gen_name *names;
	uint32_t n_names, cap_names;
	struct gen_site *sites;
	uint32_t n_sites, cap_sites;
	/* Site indices by kind, most popular first. */
	uint32_t *by_kind[GEN_SITE_KINDS];
	uint32_t n_by_kind[GEN_SITE_KINDS];
	/* The whitelist, in file order (static strings). */
	const char *const *whitelist;
	uint32_t n_whitelist;
};

/* Builds the catalog from seed. Release with gen_world_release. */
void gen_world_init(struct gen_world *w, uint64_t seed);
void gen_world_release(struct gen_world *w);

/* True if name equals a whitelist entry or ends in "." + entry. */
bool gen_world_whitelisted(const struct gen_world *w, const char *name);

/* True if ip (host order) is in 10/8, 172.16/12 or 192.168/16. */
bool gen_ip_private(uint32_t ip);

#endif
