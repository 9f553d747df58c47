/*
 * gen/gen_node.h: the routers of `bpass generate` and the plan of their
 * sessions.
 *
 * A node is one home router: its id (OW + 12 uppercase hex, its LAN MAC),
 * its LAN (router address, a few devices with real vendor OUIs), its
 * firmware variant (HTTP-URL build or not, build id) and its anonymization
 * contexts (a node may be reflashed once, which changes the context).
 *
 * Its sessions are planned up front: each has a start time, a number of
 * well-formed updates to emit, and the format version and quirks of the
 * firmware it ran. Session start dates are spread over the dataset's span
 * with per-era densities, so that old versions (v1, v2) come from the old
 * dates and v5 from most of the span (update-format.md §5), and consecutive
 * sessions of a node never overlap.
 */
#ifndef GEN_GEN_NODE_H
#define GEN_GEN_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_rng.h"

#define GEN_MAX_DEVICES 12

enum gen_device_type { GEN_DEV_PHONE, GEN_DEV_LAPTOP, GEN_DEV_TV, GEN_DEV_PRINTER, GEN_DEV_CONSOLE };

struct gen_device {
	uint8_t mac[6];
	uint8_t type;            /* enum gen_device_type */
	uint8_t host;            /* usual last octet of its address */
	bool ipv6;               /* sends IPv6 frames (flow 4) */
	bool mdns;               /* announces itself with mDNS */
	double activity;         /* browsing weight */
};

/* One planned session (one run of the router process). */
struct gen_session_plan {
	int64_t start_us;        /* process start, µs since the epoch */
	uint32_t length;         /* well-formed updates to emit */
	uint32_t lose_first;     /* updates lost before the first emitted one */
	uint32_t burst_at;       /* emitted updates before a run of lost ones (0: none) */
	uint32_t burst_len;
	uint64_t context;        /* anonymization key (gen_anon.h) */
	uint8_t version;         /* file format version 1-5 */
	bool anonymized;         /* false: an UNANONYMIZED development build */
	bool whitelist;          /* a whitelist is configured */
	bool has_drops;          /* drop-statistics section (v2 from 2011-10-20 on) */
	bool first_packet_id;    /* session id = first packet time (v1, early v2) */
	bool idle_start;         /* update 0 sees no packet, so it carries session id -1 */
	bool tiny_clock;         /* the session id comes from a clock not yet synced */
	bool http;               /* HTTP-URL build */
	bool pcap_stats;         /* pcap_stats() works in this session */
};

struct gen_node {
	char id[16];             /* "OW" + 12 uppercase hex */
	uint8_t mac[6];          /* the router's LAN MAC */
	uint32_t lan;            /* LAN network address (host order) */
	uint32_t router_ip;
	struct gen_device devices[GEN_MAX_DEVICES];
	uint32_t n_devices;
	const char *build_id;    /* static string */
	double activity;         /* how busy the household is */
	double peer_rate;        /* new private (VPN) peers per update: address churn */
	uint32_t budget;         /* well-formed updates this node emits */
	struct gen_session_plan *sessions;  /* owned */
	uint32_t n_sessions;
};

/* Parameters of the whole dataset. */
struct gen_span {
	int64_t start_s;         /* first possible session start (UTC midnight) */
	int64_t end_s;           /* last possible session start */
	uint32_t id_salt;        /* from the seed: varies the node ids between datasets */
};

/*
 * Builds node index `index` of n_nodes with `budget` updates to emit, and
 * plans its sessions. r must be the node's own stream. Release with
 * gen_node_release.
 */
void gen_node_init(struct gen_node *n, uint32_t index, uint32_t n_nodes, uint32_t budget,
		   const struct gen_span *span, struct gen_rng *r);
void gen_node_release(struct gen_node *n);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t gen_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
