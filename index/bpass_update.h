/*
 * index/bpass_update.h: the parsed form of one bismark-passive update.
 *
 * One struct holds every field of every section of every file format version
 * (see shared/docs/update-format.md; section numbers below refer to it). It is
 * filled either by the text parser (index/update_parse.h) or by the index blob
 * decoder (index/blob.h), and it is what processors receive.
 *
 * For plugin authors, two documents installed with this header
 * (share/doc/bpass/) say what it means: docs/update-format.md (the fields)
 * and docs/semantics.md (the rules built on them: sessions and sequence
 * rules, flow ids and their reuse, direction, address ids, DNS windows, the
 * whitelist, and the views of the correlation built-ins).
 *
 * Ownership: every pointer in a struct bpass_update is borrowed. Strings point
 * into the buffer the update was parsed or decoded from, arrays into storage
 * owned by a struct update_buf. Both stay valid until the next parse or decode
 * into the same struct update_buf. A processor must copy anything it keeps.
 * All strings are NUL-terminated and never NULL.
 *
 * This header is public: it is installed next to bpass.h for plugin authors.
 * It only grows at the end of each struct.
 */
#ifndef BPASS_UPDATE_H
#define BPASS_UPDATE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The anonymization context given to updates whose signature line reads
 * UNANONYMIZED (update-format.md §11, §12.17). */
#define BPASS_UNANONYMIZED "UNANONYMIZED"

/* Section 3: one packet-series entry. */
struct bpass_packet {
	int64_t time_us;  /* absolute: header FIRST_PKT_US + running sum of deltas */
	int32_t flow_id;  /* reserved 0-6, IPv4 flow id, or -1 (§7.1) */
	uint16_t size;    /* on-wire frame length mod 65536 */
};

/* Section 4: one flow-table entry (a flow first seen in this update). */
struct bpass_flow {
	int32_t flow_id;     /* 0-65535 */
	uint8_t src_anon;    /* 1: src_ip is hashed, 0: in clear */
	uint8_t dst_anon;
	uint8_t proto;       /* IP protocol number */
	uint16_t src_port;
	uint16_t dst_port;
	const char *src_ip;  /* opaque lowercase hex token, 1-16 chars */
	const char *dst_ip;
};

/* Section 5: one DNS A record. */
struct bpass_a_record {
	uint32_t packet_id;  /* index into this update's packets; may be out of range */
	uint32_t address_id; /* address-table id of the LAN client (0-255) */
	uint8_t anonymized;  /* 1: domain is a 40-hex hash, 0: clear name */
	int32_t ttl;         /* seconds, signed as printed */
	const char *domain;
	const char *ip;
};

/* Section 6: one DNS CNAME record. */
struct bpass_cname_record {
	uint32_t packet_id;
	uint32_t address_id;
	uint8_t domain_anonymized;
	uint8_t cname_anonymized;  /* equals domain_anonymized for legacy lines */
	uint8_t legacy;            /* 1: the 6-field v1-v2 form with one flag */
	int32_t ttl;
	const char *domain;        /* the alias (owner name) */
	const char *cname;         /* the canonical target */
};

/* Section 7: one address-table entry; line k has id (first_id + k) % capacity. */
struct bpass_address {
	const char *mac;     /* 12 lowercase hex digits */
	const char *ip;      /* opaque hex token */
};

/* Section 8: one drop-statistics entry. */
struct bpass_drop_stat {
	uint32_t size;
	uint64_t count;
};

/* Section 9: one HTTP URL hash. */
struct bpass_http_url {
	int32_t flow_id;     /* raw 16-bit flow id */
	uint32_t reserved;   /* the middle field, always 0 as written */
	const char *hash;    /* 40 hex, weak identifier (§4.10) */
};

struct bpass_update {
	/* Section 0: intro. */
	int32_t version;            /* file format version 1-5 */
	const char *build_id;       /* whole line 2 */
	const char *node_id;        /* opaque token, <= 64 chars */
	int64_t session_id;         /* SESSION_US, may be -1 or tiny */
	int32_t sequence;           /* SEQ */
	int64_t timestamp_s;        /* NOW_S */
	bool has_pcap;              /* intro line 4 present */
	uint32_t pcap_received;     /* cumulative, wraps at 2^32 */
	uint32_t pcap_dropped;
	uint32_t iface_dropped;

	/* Section 1: whitelist (lines only at sequence 0). */
	const char *const *whitelist;
	uint32_t n_whitelist;

	/* Section 2: anonymization signature. */
	const char *context;        /* 40 hex, or BPASS_UNANONYMIZED */
	bool anonymized;            /* false for UNANONYMIZED */

	/* Section 3: packet series. */
	int64_t packets_first_us;   /* header FIRST_PKT_US, 0 when empty */
	uint32_t packets_dropped;   /* per update */
	const struct bpass_packet *packets;
	uint32_t n_packets;

	/* Section 4: flow table. */
	int64_t flows_baseline_s;
	uint32_t flows_occupancy;   /* live flows on the router, not the line count */
	uint32_t flows_expired;     /* cumulative */
	uint32_t flows_dropped;     /* cumulative */
	const struct bpass_flow *flows;
	uint32_t n_flows;

	/* Sections 5 and 6: DNS. */
	uint32_t dns_dropped_a;
	uint32_t dns_dropped_cname;
	const struct bpass_a_record *a_records;
	uint32_t n_a_records;
	const struct bpass_cname_record *cname_records;
	uint32_t n_cname_records;

	/* Section 7: address table. */
	uint32_t addresses_first_id;
	uint32_t addresses_capacity; /* always 256 as written, not a line count */
	const struct bpass_address *addresses;
	uint32_t n_addresses;

	/* Section 8: drop statistics (v2+, and not in early v2). */
	bool has_drop_stats;
	const struct bpass_drop_stat *drop_stats;
	uint32_t n_drop_stats;

	/* Section 9: HTTP URL hashes (HTTP-URL builds only). */
	bool has_http;
	uint32_t http_dropped;
	const struct bpass_http_url *http_urls;
	uint32_t n_http_urls;
};

#ifdef __cplusplus
}
#endif

#endif /* BPASS_UPDATE_H */
