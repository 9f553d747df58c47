/*
 * processors/correlation.h: the session states of the correlation processors
 * flows, addresses, domains, whitelisted-domains and flow-domains
 * (processors.md), shared here because flow-domains reads the first three
 * through ctx->state_of for the same update, whitelisted-domains reuses the
 * domains machinery, and the views (views.h) read them all to show them to
 * processors through a public, versioned struct (bpass.h).
 *
 * All strings are interned per state (strtab.h); entries live in plain
 * arrays indexed by itab hashes, so processing an update allocates nothing
 * once the arrays have grown.
 */
#ifndef PROCESSORS_CORRELATION_H
#define PROCESSORS_CORRELATION_H

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"
#include "itab.h"
#include "strtab.h"

/* ---- flows: flow_id -> the flow-table entry, latest announcement wins ---- */

struct flows_entry {
	int32_t flow_id;
	uint32_t src_ip, dst_ip;   /* ids in flows_state.ips */
	uint16_t src_port, dst_port;
	uint8_t proto, src_anon, dst_anon;
};

struct flows_state {
	struct strtab ips;
	struct flows_entry *entries;
	uint32_t n, cap;
	struct itab index;         /* by flow_id */
};

/* The entry of flow_id, or NULL. Borrowed from s. */
const struct flows_entry *flows_get(const struct flows_state *s, int32_t flow_id);

/* ---- addresses: ip -> MAC and ip -> address-table id, latest wins;
 * and address-table id -> the MAC of its latest announcement ---- */

struct addresses_entry {
	uint32_t mac;              /* id in addresses_state.macs */
	uint32_t id;               /* (FIRST_ID + k) mod CAPACITY */
};

/* The latest announcement of an address-table id: its MAC. */
struct addresses_device {
	uint32_t id;               /* the address-table id */
	uint32_t mac;              /* id in addresses_state.macs */
};

struct addresses_state {
	struct strtab ips;         /* every interned ip is a key */
	struct strtab macs;
	struct addresses_entry *entries;   /* indexed by ip id */
	uint32_t cap;
	struct addresses_device *devices;  /* one per address-table id announced */
	uint32_t n_devices, cap_devices;
	struct itab device_index;  /* by address-table id */
};

/* Sets *id to the address-table id of ip and returns 0, or returns -1 when
 * ip was never announced in the session. */
int addresses_id_of(const struct addresses_state *s, const char *ip, uint32_t *id);
/* The MAC of the latest announcement of address-table id `id` (the device a
 * DNS record's address id names), or NULL when it was never announced.
 * Borrowed from s until its next change. */
const char *addresses_device(const struct addresses_state *s, uint32_t id);

/* ---- domains (and whitelisted-domains): (address_id, ip) -> domain records ---- */

/*
 * Entries live in arrays whose dropped slots are reused through free lists,
 * so positions never move and the indexes are updated in place. Each set is
 * a doubly linked list through its entries. Expiry finds what to drop through
 * a min-heap on end times, so it costs O(dropped log n), not a scan.
 */

/* A key (address_id, ip) of the ip-to-domain map. n == 0 marks a free slot. */
struct domains_key {
	uint32_t address_id;
	uint32_t ip;               /* id in domains_state.names */
	uint32_t head;             /* first record, ITAB_NONE when none; free: next free slot */
	uint32_t n;                /* records in the list */
};

/* One (anonymized, domain, start_us, end_us) of a key's set. key ==
 * ITAB_NONE marks a free slot (then next links the free list). */
struct domains_record {
	int64_t start_us, end_us;
	uint32_t key;              /* position in keys */
	uint32_t domain;           /* id in names */
	uint32_t next, prev;       /* the key's list, ITAB_NONE at the ends */
	uint8_t anon;
};

/* A key (address_id, anonymized, domain) of the private A-record map. */
struct domains_akey {
	uint32_t address_id;
	uint32_t domain;
	uint32_t head, n;          /* as in domains_key */
	uint8_t anon;
};

/* A remembered A record: its ip and ttl, and ta, the time of its packet. */
struct domains_arec {
	int64_t ta_us;
	uint32_t akey;             /* ITAB_NONE marks a free slot */
	uint32_t ip;
	uint32_t next, prev;
	int32_t ttl;
};

/* A min-heap entry: an entry's expiry time and position. */
struct domains_expiry {
	int64_t t_us;
	uint32_t pos;
};

struct domains_heap {
	struct domains_expiry *v;
	uint32_t n, cap;
};

struct domains_state {
	struct strtab names;       /* ips, domains, whitelist entries */
	struct domains_key *keys;     uint32_t n_keys, cap_keys, free_keys, live_keys;
	struct domains_record *recs;  uint32_t n_recs, cap_recs, free_recs, live_recs;
	struct domains_akey *akeys;   uint32_t n_akeys, cap_akeys, free_akeys, live_akeys;
	struct domains_arec *arecs;   uint32_t n_arecs, cap_arecs, free_arecs, live_arecs;
	struct itab key_index, rec_index, akey_index, arec_index;
	struct domains_heap rec_expiry;   /* by end_us */
	struct domains_heap arec_expiry;  /* by ta + ttl */
	bool has_latest;           /* false: L is minus infinity */
	int64_t latest_us;         /* L, the latest update timestamp, in µs */
	/* whitelisted-domains only: the session's whitelist */
	struct strtab whitelist;   /* the entries, for suffix lookups */
	uint32_t *whitelist_name;  /* entry i -> its id in names */
	uint32_t cap_whitelist;
};

void domains_state_init(struct domains_state *s);
void domains_state_release(struct domains_state *s);

/* The position of key (address_id, ip) in s->keys, or ITAB_NONE. */
uint32_t domains_find(const struct domains_state *s, uint32_t address_id, const char *ip);
/* Adds (anon, domain, start, end) under (address_id, ip); ids in s->names.
 * Returns 1 when added, 0 when the set held it already. */
int domains_add(struct domains_state *s, uint32_t address_id, uint32_t ip, uint8_t anon,
		uint32_t domain, int64_t start_us, int64_t end_us);
/* Remembers A record (ip, ttl) at time ta under (address_id, anon, domain).
 * Returns 1 when added, 0 when it was remembered already. */
int domains_remember(struct domains_state *s, uint32_t address_id, uint8_t anon,
		     uint32_t domain, uint32_t ip, int32_t ttl, int64_t ta_us);
/* The position of A-map key (address_id, anon, name) in s->akeys, or ITAB_NONE. */
uint32_t domains_find_akey(const struct domains_state *s, uint32_t address_id, uint8_t anon,
			   const char *name);
/* Adds a whitelist entry (whitelisted-domains). Returns 1 when new, 0 if known. */
int domains_whitelist_add(struct domains_state *s, const char *w, size_t len);
/* Drops every record with end < l_us and every A record with ta + ttl < l_us,
 * and keys left empty (processors.md "Expiry"). */
void domains_expire(struct domains_state *s, int64_t l_us);
/* End of an update with timestamp ts_s: expire with the old L when ts_s is
 * more than 30 s after it, then L = ts_s. */
void domains_advance(struct domains_state *s, int64_t ts_s);
/* End of a run: expire with L = the last update's timestamp (if any). */
void domains_finish(struct domains_state *s);
/* Canonical (sorted) save, and a strict load into an empty state. */
int domains_save(const struct domains_state *s, struct bpass_writer *w);
int domains_load(struct domains_state *s, struct bpass_reader *r);
/* A CNAME seen at ct_us with ttl, whose target has A-map key k (from
 * domains_find_akey): for every A record (ip, a_ttl, ta) remembered under k,
 * adds (anon, domain, max(ct, ta), min(ct + ttl, ta + a_ttl)) under (the
 * key's address_id, ip) when start <= end. domain is an id in s->names. */
void domains_join_cname(struct domains_state *s, uint32_t k, int64_t ct_us, int32_t ttl,
			uint8_t anon, uint32_t domain);

/* The processor callbacks domains and whitelisted-domains share: the session
 * state is a malloc'ed struct domains_state (session_free takes NULL), the
 * end of a run is domains_finish, and the saved form is version 1. */
void *domains_session_new(struct bpass_ctx *ctx);
void domains_session_free(struct bpass_ctx *ctx, void *state);
int domains_session_complete(struct bpass_ctx *ctx, void *state, void *eph);
int domains_session_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w);
int domains_session_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
			 struct bpass_reader *r);

/* ---- flow-domains: flow_id -> set of (anonymized, domain) ---- */

struct fd_entry {
	int32_t flow_id;
	uint32_t start, count;     /* the set: pairs[start .. start + count) */
};

struct fd_pair {
	uint32_t domain;           /* id in fd_state.domains */
	uint8_t anon;
};

struct fd_first;                   /* flow_domains.c's per-update scratch */

struct fd_state {
	struct strtab domains;
	struct fd_entry *entries;  uint32_t n, cap;
	struct itab index;         /* by flow_id */
	struct fd_pair *pairs;     uint32_t n_pairs, cap_pairs;
	uint32_t garbage;          /* pairs no set refers to */
	struct fd_first *first;    uint32_t cap_first;   /* per-update scratch, not saved */
};

/* The entry of flow_id (its set is pairs[start .. start + count), in no
 * particular order), or NULL when the flow id was never announced.
 * Borrowed from s until its next change. */
const struct fd_entry *flow_domains_get(const struct fd_state *s, int32_t flow_id);

#endif
