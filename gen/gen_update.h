/*
 * gen/gen_update.h: one synthetic update, as the generator's simulation
 * produces it, and its text writer.
 *
 * The struct holds raw values (IPv4 addresses in host order, catalog name
 * indices, absolute packet times); gen_update_write turns them into the
 * text of the requested file format version with that version's quirks
 * (update-format.md §2-§5): v1-v2 clear addresses for whitelisted records
 * and 6-field CNAME lines, v2-v3 drop section without its blank line and the
 * HTTP block glued onto it, the trailing spaces of the HTTP block, hashed or
 * raw values for anonymized or UNANONYMIZED builds. A "flaw" makes the
 * writer produce one deliberately broken form for `--broken`.
 *
 * The arrays are owned by the struct and keep their capacity between
 * updates (gen_update_clear), so a stream of updates allocates nothing once
 * they have grown.
 */
#ifndef GEN_GEN_UPDATE_H
#define GEN_GEN_UPDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "gen_world.h"

struct gen_packet {
	int64_t t_us;            /* absolute capture time */
	int32_t flow;            /* flow id as printed (reserved, IPv4 id or -1) */
	uint16_t size;           /* on-wire length mod 65536 */
};

struct gen_flow {
	int32_t id;
	uint32_t sip, dip;       /* host order */
	uint16_t sport, dport;
	uint8_t proto;
};

struct gen_a_record {
	uint32_t pkt;            /* packet index, or 65535 */
	uint32_t addr;           /* address-table id of the client */
	uint32_t name;           /* world name index */
	uint32_t ip;             /* host order */
	int32_t ttl;
};

struct gen_cname_record {
	uint32_t pkt;
	uint32_t addr;
	uint32_t name;           /* the alias */
	uint32_t target;         /* the canonical name */
	int32_t ttl;
};

struct gen_address {
	uint8_t mac[6];
	uint32_t ip;
};

struct gen_http_url {
	int32_t flow;            /* raw 16-bit flow id */
	uint64_t url;            /* identity of the URL, hashed when written */
};

enum gen_flaw {
	GEN_FLAW_NONE,
	GEN_FLAW_PREVERSION,     /* no version and build lines (a "v0" file) */
	GEN_FLAW_MALFORMED_A,    /* one DNS A line with 5 fields */
};

#define GEN_DROP_SIZES 1501      /* drop-statistics buckets 0..1500 */

struct gen_update {
	/* Section 0. */
	uint8_t version;
	const char *build_id;
	const char *node_id;
	int64_t session_id;
	int32_t seq;
	int64_t now_s;
	bool has_pcap;
	uint32_t pcap[3];        /* received, dropped, interface dropped */
	/* Sections 1-2. */
	bool whitelist;          /* a whitelist is configured (listed at seq 0) */
	bool anonymized;
	uint64_t key;            /* the context's key */
	/* Section 3. */
	uint32_t pkt_dropped;
	struct gen_packet *packets;
	uint32_t n_packets, cap_packets;
	/* Section 4. */
	int64_t baseline_s;
	uint32_t occupancy, expired, flows_dropped;
	struct gen_flow *flows;  /* ascending id */
	uint32_t n_flows, cap_flows;
	/* Sections 5-6. */
	uint32_t dns_dropped_a, dns_dropped_cname;
	struct gen_a_record *a;
	uint32_t n_a, cap_a;
	struct gen_cname_record *cname;
	uint32_t n_cname, cap_cname;
	/* Section 7. */
	uint32_t addr_first;
	struct gen_address *addrs;
	uint32_t n_addrs, cap_addrs;
	/* Section 8. */
	bool has_drops;
	const uint64_t *drop_counts;  /* GEN_DROP_SIZES counts, borrowed; NULL: none */
	/* Section 9. */
	bool has_http;
	uint32_t http_dropped;
	struct gen_http_url *http;
	uint32_t n_http, cap_http;

	int flaw;                /* enum gen_flaw */
};

void gen_update_init(struct gen_update *u);
void gen_update_release(struct gen_update *u);
/* Empties every list (keeping capacity) and resets the scalar fields. */
void gen_update_clear(struct gen_update *u);

/*
 * Appends the update's text to out (which is not reset). w gives the names
 * and the whitelist. The text is exactly what the router would have written
 * for u->version, unless u->flaw asks for a broken form.
 */
void gen_update_write(const struct gen_update *u, const struct gen_world *w, struct buf *out);

/* The member name NODEID-SESSION-SEQ.gz (session printed unsigned, like the
 * router did for -1) into out, which needs 64 bytes. */
void gen_update_member_name(const struct gen_update *u, char out[64]);

#endif
