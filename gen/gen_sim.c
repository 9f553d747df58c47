/*
 * gen/gen_sim.c: the per-session traffic simulation of `bpass generate`
 * (see gen_sim.h).
 *
 * Conversations (a DNS lookup and a TCP transfer, a keep-alive connection,
 * periodic ARP/IPv6/mDNS chatter, ...) are small state machines kept in a
 * min-heap ordered by the time of their next packet, so packets come out in
 * time order without sorting. Every packet goes through the router's
 * bookkeeping as the writer did it: address-ring lookups for private
 * endpoints, the flow-table lookup, then the packet buffer. Nothing is
 * allocated per packet: the update's arrays grow geometrically and are
 * reused, conversations come from a fixed pool.
 */
#include "gen_sim.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define FLOW_SLOTS_V1 65535u     /* v1: ids are slots 0-65534 */
#define FLOW_SLOTS 65529u        /* v2+: ids are slot + 7 */
#define FLOW_FIRST_ID 7
#define FLOW_EXPIRE_S 1800
#define FLOW_PROBES 3
#define RING 256
#define MAX_CONVS 4096
#define MAX_HOSTS 8192
#define MAX_DEVS 40

enum { FLOW_ERROR = 0, FLOW_AARP = 1, FLOW_ARP = 2, FLOW_AT = 3, FLOW_IPV6 = 4, FLOW_IPX = 5, FLOW_RARP = 6 };

enum kind { K_WEB, K_STREAM, K_KEEP, K_ARP, K_IPV6, K_MDNS, K_SSDP, K_NTP, K_ICMP, K_LAN, K_PEER, K_ODD };

enum phase {
	PH_DNS_Q, PH_DNS_R, PH_SYN, PH_SYNACK, PH_ACK, PH_REQ, PH_DATA, PH_FIN1, PH_FIN2, PH_FIN3,
	PH_UDP_REQ, PH_UDP_RESP, PH_KEEP_OUT, PH_KEEP_IN, PH_L2, PH_L2_REPLY, PH_DONE
};

enum state { ST_IDLE, ST_LIGHT, ST_BUSY, ST_STREAM };

struct host {
	uint32_t ip;
	uint8_t mac[6];
	int16_t addr_id;         /* id in the address ring, -1 when not in it */
};

struct slot {
	int64_t last_s;
	uint32_t sip, dip;
	uint16_t sport, dport;
	uint8_t proto, live;
};

struct conv {
	int64_t next_us;         /* time of its next packet */
	uint32_t remaining;      /* data packets (or repetitions) left */
	uint32_t gap_us;         /* mean gap between data packets */
	uint32_t rtt_us;
	uint32_t sip;            /* server address */
	int32_t server_host;     /* host index when the server is on the LAN side, else -1 */
	uint32_t site;
	int32_t slot[2];         /* cached flow slots: client->server, server->client */
	int32_t dslot[2];        /* the same for its DNS lookup */
	uint16_t client;         /* host index */
	uint16_t cport, sport, dns_port;
	uint8_t kind, phase, proto, tick;
	uint8_t stop;
};

struct dev {
	uint16_t host;
	uint8_t type;
	uint8_t ipv6, mdns;
	double activity;
};

struct gen_sim {
	const struct gen_world *w;
	const struct gen_node *n;
	uint32_t max_packets;
	const struct gen_session_plan *plan;
	struct gen_rng *r;
	struct gen_update *u;    /* the update being filled */

	int32_t seq;
	int64_t prev_now_s;      /* NOW_S of the previous update (0 before the first) */
	int64_t session_id;
	uint8_t session_known;
	uint64_t salt;

	struct slot *slots;
	uint32_t nslots;
	uint32_t occupancy, expired, flows_dropped;
	int64_t first_flow_s;
	int32_t zero_cache;      /* v1: slot of the all-zero non-IP flow */
	int32_t last_raw;        /* raw id of the last IPv4 packet's flow, -1 on failure */

	struct host *hosts;
	uint32_t n_hosts;
	struct dev devs[MAX_DEVS];
	uint32_t n_devs;
	uint32_t n_peers;

	int32_t ring[RING];
	int ring_first, ring_last, ring_length, ring_added;

	struct conv *convs;
	uint16_t *free_convs;
	uint32_t n_free;
	int64_t *heap_key;
	uint16_t *heap_idx;
	uint32_t heap_n;

	int state;
	int32_t stream;          /* conv index of the running stream, -1 */
	double stream_rate;

	uint64_t drop_counts[GEN_DROP_SIZES];
	uint8_t any_drop;
	uint32_t pcap_recv, pcap_drop;
	int64_t last_t;
};

/* ---- address ring (address_table.c) ---- */

#define NORM(x) ((((x) % RING) + RING) % RING)

static int ring_lookup(struct gen_sim *s, uint32_t h)
{
	struct host *ho = &s->hosts[h];
	if (ho->addr_id >= 0)
		return ho->addr_id;
	if (s->ring_length == RING) {
		s->hosts[s->ring[s->ring_first]].addr_id = -1;
		s->ring_first = NORM(s->ring_first + 1);
	} else {
		s->ring_length++;
	}
	if (s->ring_length > 1)
		s->ring_last = NORM(s->ring_last + 1);
	s->ring[s->ring_last] = (int32_t)h;
	ho->addr_id = (int16_t)s->ring_last;
	if (s->ring_added < RING)
		s->ring_added++;
	return s->ring_last;
}

/* ---- flow table (flow_table.c) ---- */

static int32_t raw_id(const struct gen_sim *s, uint32_t slot)
{
	return s->plan->version == 1 ? (int32_t)slot : (int32_t)slot + FLOW_FIRST_ID;
}

static void announce(struct gen_sim *s, int32_t id, uint32_t sip, uint32_t dip, uint8_t proto,
		     uint16_t sport, uint16_t dport)
{
	struct gen_update *u = s->u;
	if (u->n_flows == u->cap_flows)
		xgrow((void **)&u->flows, &u->cap_flows, u->n_flows + 1, sizeof(*u->flows));
	u->flows[u->n_flows++] = (struct gen_flow){id, sip, dip, sport, dport, proto};
}

/* Finds or inserts a flow; returns its raw id, or -1 when the insert failed. */
static int32_t flow_find(struct gen_sim *s, uint32_t sip, uint32_t dip, uint8_t proto,
			 uint16_t sport, uint16_t dport, int64_t t_s, int32_t *cache)
{
	if (*cache >= 0) {
		struct slot *sl = &s->slots[*cache];
		if (sl->live && sl->sip == sip && sl->dip == dip && sl->sport == sport &&
		    sl->dport == dport && sl->proto == proto && t_s - sl->last_s <= FLOW_EXPIRE_S) {
			sl->last_s = t_s;
			return raw_id(s, (uint32_t)*cache);
		}
	}
	uint64_t x = ((uint64_t)sip << 32 | dip) ^ s->salt;
	x = gen_mix64(x ^ (((uint64_t)sport << 24 | (uint64_t)dport << 8 | proto) * 0x9e3779b97f4a7c15ull));
	uint32_t h = (uint32_t)(x % s->nslots);
	int32_t free_slot = -1;
	for (uint32_t k = 0; k < FLOW_PROBES; k++) {
		uint32_t idx = (h + k) % s->nslots;
		struct slot *sl = &s->slots[idx];
		bool stale = sl->live && t_s - sl->last_s > FLOW_EXPIRE_S;
		if (sl->live && !stale && sl->sip == sip && sl->dip == dip && sl->sport == sport &&
		    sl->dport == dport && sl->proto == proto) {
			sl->last_s = t_s;
			*cache = (int32_t)idx;
			return raw_id(s, idx);
		}
		if (free_slot < 0 && (!sl->live || stale))
			free_slot = (int32_t)idx;
	}
	if (free_slot < 0) {
		s->flows_dropped++;
		*cache = -1;
		return -1;
	}
	struct slot *sl = &s->slots[free_slot];
	if (sl->live)
		s->expired++;
	else
		s->occupancy++;
	*sl = (struct slot){t_s, sip, dip, sport, dport, proto, 1};
	if (s->first_flow_s < 0)
		s->first_flow_s = t_s;
	*cache = free_slot;
	int32_t id = raw_id(s, (uint32_t)free_slot);
	announce(s, id, sip, dip, proto, sport, dport);
	return id;
}

/* The flow id as the packet series prints it (§7.1). */
static int32_t printed_id(const struct gen_sim *s, int32_t raw)
{
	if (s->plan->version == 1)
		return raw;
	if (raw < 0)
		return FLOW_ERROR;
	return raw >= 65529 ? -1 : raw;
}

/* ---- packet series ---- */

static int32_t add_packet(struct gen_sim *s, int64_t t, uint16_t size, int32_t flow)
{
	struct gen_update *u = s->u;
	s->pcap_recv++;
	if (!s->session_known) {
		s->session_known = 1;
		s->session_id = t;
	}
	if (u->n_packets >= s->max_packets) {
		u->pkt_dropped++;
		s->drop_counts[size > 1500 ? 1500 : size]++;
		s->any_drop = 1;
		return -1;
	}
	/* Now and then a timestamp out of order: a negative delta. */
	if (u->n_packets && (gen_rng_next(s->r) & 4095) == 0)
		t = s->last_t - gen_rng_range(s->r, 1, 3000);
	if (u->n_packets == u->cap_packets)
		xgrow((void **)&u->packets, &u->cap_packets, u->n_packets + 1, sizeof(*u->packets));
	u->packets[u->n_packets] = (struct gen_packet){t, flow, size};
	s->last_t = t;
	return (int32_t)u->n_packets++;
}

/* An IPv4 packet of conversation c; dir 0 = client to server. dns: on its
 * lookup's flows (client <-> router port 53) instead. Returns the packet id
 * or -1 when it did not fit in the buffer. */
static int32_t emit(struct gen_sim *s, struct conv *c, int dir, bool dns, uint16_t size)
{
	int64_t t = c->next_us;
	int64_t t_s = t / 1000000;
	uint32_t cip = s->hosts[c->client].ip;
	uint32_t sip = dns ? s->n->router_ip : c->sip;
	int32_t srv = dns ? 0 : c->server_host;
	uint16_t cport = dns ? c->dns_port : c->cport;
	uint16_t sport = dns ? 53 : c->sport;
	uint8_t proto = dns ? 17 : c->proto;
	if (dir == 0) {
		ring_lookup(s, c->client);
		if (srv >= 0)
			ring_lookup(s, (uint32_t)srv);
	} else {
		if (srv >= 0)
			ring_lookup(s, (uint32_t)srv);
		ring_lookup(s, c->client);
	}
	int32_t *cache = dns ? &c->dslot[dir] : &c->slot[dir];
	int32_t raw = dir == 0 ? flow_find(s, cip, sip, proto, cport, sport, t_s, cache)
			       : flow_find(s, sip, cip, proto, sport, cport, t_s, cache);
	s->last_raw = raw;
	return add_packet(s, t, size, printed_id(s, raw));
}

/* A non-IPv4 frame (ARP, IPv6, ...): a reserved flow id, or in v1 the one
 * all-zero flow every non-IP frame shares. */
static void emit_l2(struct gen_sim *s, int64_t t, int32_t reserved, uint16_t size)
{
	int32_t flow = reserved;
	if (s->plan->version == 1)
		flow = flow_find(s, 0, 0, 0, 0, 0, t / 1000000, &s->zero_cache);
	add_packet(s, t, size, flow);
}

/* ---- DNS ---- */

static uint16_t query_size(const struct gen_sim *s, const struct gen_site *site)
{
	return (uint16_t)(42 + 12 + strlen(s->w->names[site->names[0]].text) + 2 + 4);
}

static uint16_t response_size(const struct gen_sim *s, const struct gen_site *site)
{
	size_t n = query_size(s, site);
	for (int i = 1; i < site->n_names; i++)
		n += 12 + strlen(s->w->names[site->names[i]].text) + 2;
	n += 16u * site->n_ips;
	return (uint16_t)(n > 554 ? 554 : n);
}

static int32_t record_ttl(struct gen_sim *s, int32_t ttl)
{
	uint64_t x = gen_rng_next(s->r);
	if ((x & 2047) == 0)  /* a wire TTL >= 2^31 prints negative */
		return (int32_t)(0x80000000u + (uint32_t)((x >> 16) % 0x7fffffffu));
	if (ttl > 1 && (x & 0x10000))  /* served from the forwarder's cache */
		return 1 + (int32_t)((x >> 20) % (uint32_t)ttl);
	return ttl;
}

static void record_dns(struct gen_sim *s, struct conv *c, int32_t pkt)
{
	struct gen_update *u = s->u;
	const struct gen_site *site = &s->w->sites[c->site];
	if (pkt < 0 && s->plan->version >= 5)
		return;
	uint32_t pid = pkt < 0 ? 65535u : (uint32_t)pkt;
	uint32_t addr = (uint32_t)s->hosts[c->client].addr_id;
	for (int i = 0; i + 1 < site->n_names; i++) {
		if (u->n_cname >= 1024) {
			u->dns_dropped_cname++;
			continue;
		}
		if (u->n_cname == u->cap_cname)
			xgrow((void **)&u->cname, &u->cap_cname, u->n_cname + 1, sizeof(*u->cname));
		u->cname[u->n_cname++] = (struct gen_cname_record){
			pid, addr, site->names[i], site->names[i + 1], record_ttl(s, site->ttl_cname)};
	}
	int32_t ttl = record_ttl(s, site->ttl_a);
	for (int i = 0; i < site->n_ips; i++) {
		if (u->n_a >= 1024) {
			u->dns_dropped_a++;
			continue;
		}
		if (u->n_a == u->cap_a)
			xgrow((void **)&u->a, &u->cap_a, u->n_a + 1, sizeof(*u->a));
		u->a[u->n_a++] = (struct gen_a_record){pid, addr, site->names[site->n_names - 1],
							site->ips[i], ttl};
	}
}

/* ---- conversations ---- */

static void heap_sift_down(struct gen_sim *s, uint32_t i)
{
	int64_t key = s->heap_key[i];
	uint16_t idx = s->heap_idx[i];
	for (;;) {
		uint32_t l = 2 * i + 1;
		if (l >= s->heap_n)
			break;
		uint32_t m = l;
		if (l + 1 < s->heap_n && s->heap_key[l + 1] < s->heap_key[l])
			m = l + 1;
		if (s->heap_key[m] >= key)
			break;
		s->heap_key[i] = s->heap_key[m];
		s->heap_idx[i] = s->heap_idx[m];
		i = m;
	}
	s->heap_key[i] = key;
	s->heap_idx[i] = idx;
}

static void heap_push(struct gen_sim *s, uint16_t idx)
{
	uint32_t i = s->heap_n++;
	int64_t key = s->convs[idx].next_us;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (s->heap_key[p] <= key)
			break;
		s->heap_key[i] = s->heap_key[p];
		s->heap_idx[i] = s->heap_idx[p];
		i = p;
	}
	s->heap_key[i] = key;
	s->heap_idx[i] = idx;
}

static void heap_pop(struct gen_sim *s)
{
	s->heap_n--;
	if (s->heap_n) {
		s->heap_key[0] = s->heap_key[s->heap_n];
		s->heap_idx[0] = s->heap_idx[s->heap_n];
		heap_sift_down(s, 0);
	}
}

static uint16_t ephemeral_port(struct gen_sim *s)
{
	return (uint16_t)gen_rng_range(s->r, 1024, 65535);
}

/* Starts a conversation of a device (host index) at time t; returns it, or
 * NULL when the pool is full. */
static struct conv *spawn(struct gen_sim *s, uint8_t kind, uint8_t phase, uint16_t client, int64_t t)
{
	if (!s->n_free)
		return NULL;
	uint16_t idx = s->free_convs[--s->n_free];
	struct conv *c = &s->convs[idx];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->phase = phase;
	c->client = client;
	c->next_us = t;
	c->server_host = -1;
	c->slot[0] = c->slot[1] = c->dslot[0] = c->dslot[1] = -1;
	c->cport = ephemeral_port(s);
	c->dns_port = ephemeral_port(s);
	c->proto = 6;
	double rtt = gen_rng_lognormal(s->r, 40000, 0.6);
	c->rtt_us = rtt < 2000 ? 2000 : rtt > 600000 ? 600000 : (uint32_t)rtt;
	heap_push(s, idx);
	return c;
}

static uint32_t conv_index(const struct gen_sim *s, const struct conv *c)
{
	return (uint32_t)(c - s->convs);
}

/* A fetch from a site: DNS lookup, then a TCP transfer of n_data segments. */
static struct conv *spawn_fetch(struct gen_sim *s, uint8_t kind, uint16_t client, uint32_t site,
				int64_t t, uint32_t n_data, double pps)
{
	struct conv *c = spawn(s, kind, PH_DNS_Q, client, t);
	if (!c)
		return NULL;
	const struct gen_site *st = &s->w->sites[site];
	c->site = site;
	c->sport = st->port;
	c->sip = st->ips[0];
	c->remaining = n_data ? n_data : 1;
	c->gap_us = pps > 0 ? (uint32_t)(1e6 / pps) : 5000;
	if (c->gap_us < 20)
		c->gap_us = 20;
	if (kind == K_NTP)
		c->proto = 17;
	return c;
}

static uint32_t pick_site(struct gen_sim *s, int kind)
{
	const struct gen_world *w = s->w;
	return w->by_kind[kind][gen_rng_rank(s->r, w->n_by_kind[kind])];
}

static uint32_t pick_dev(struct gen_sim *s, bool browsing)
{
	double total = 0;
	for (uint32_t i = 0; i < s->n_devs; i++)
		total += browsing ? s->devs[i].activity : 1.0;
	double x = gen_rng_unit(s->r) * total;
	for (uint32_t i = 0; i < s->n_devs; i++) {
		x -= browsing ? s->devs[i].activity : 1.0;
		if (x < 0)
			return i;
	}
	return s->n_devs - 1;
}

static uint32_t clamp_u(double v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

static uint32_t add_host(struct gen_sim *s, uint32_t ip, const uint8_t mac[6])
{
	if (s->n_hosts == MAX_HOSTS)
		return 0;
	struct host *h = &s->hosts[s->n_hosts];
	h->ip = ip;
	memcpy(h->mac, mac, 6);
	h->addr_id = -1;
	return s->n_hosts++;
}

static uint16_t data_size(struct gen_sim *s, bool last)
{
	uint64_t x = gen_rng_next(s->r);
	if (last)
		return (uint16_t)(66 + (x >> 8) % 1448);
	if ((x & 0x3fff) == 0)  /* an offloaded super-frame */
		return (uint16_t)(1514 + 1448 * (1 + (x >> 20) % 3));
	return 1514;
}

static int64_t after(struct gen_sim *s, int64_t t, double mean_us)
{
	double g = gen_rng_exp(s->r, mean_us);
	return t + 1 + (int64_t)g;
}

/* Emits the next packet of c and advances it. */
static void step(struct gen_sim *s, struct conv *c)
{
	int64_t t = c->next_us;
	const struct gen_site *site = &s->w->sites[c->site];
	switch (c->phase) {
	case PH_DNS_Q:
		emit(s, c, 0, true, query_size(s, site));
		c->phase = PH_DNS_R;
		c->next_us = t + gen_rng_range(s->r, 300, 60000);
		return;
	case PH_DNS_R: {
		int32_t pkt = emit(s, c, 1, true, response_size(s, site));
		record_dns(s, c, pkt);
		c->sip = site->ips[gen_rng_below(s->r, site->n_ips)];
		c->next_us = t + gen_rng_range(s->r, 200, 30000);
		if (c->kind == K_NTP)
			c->phase = PH_UDP_REQ;
		else if (c->kind == K_WEB && gen_rng_chance(s->r, 0.08))
			c->phase = PH_DONE;  /* looked up, never connected */
		else
			c->phase = PH_SYN;
		return;
	}
	case PH_SYN:
		emit(s, c, 0, false, 74);
		c->phase = PH_SYNACK;
		c->next_us = t + c->rtt_us;
		return;
	case PH_SYNACK:
		emit(s, c, 1, false, 74);
		c->phase = PH_ACK;
		c->next_us = t + gen_rng_range(s->r, 80, 900);
		return;
	case PH_ACK:
		emit(s, c, 0, false, 66);
		c->phase = PH_REQ;
		c->next_us = t + gen_rng_range(s->r, 50, 3000);
		return;
	case PH_REQ: {
		emit(s, c, 0, false, (uint16_t)gen_rng_range(s->r, 250, 950));
		struct gen_update *u = s->u;
		if (s->plan->http && c->sport == 80 && (c->kind == K_WEB || c->kind == K_STREAM)) {
			if (u->n_http >= 1024) {
				u->http_dropped++;
			} else {
				if (u->n_http == u->cap_http)
					xgrow((void **)&u->http, &u->cap_http, u->n_http + 1, sizeof(*u->http));
				u->http[u->n_http++] = (struct gen_http_url){
					s->last_raw < 0 ? FLOW_ERROR : s->last_raw,
					((uint64_t)c->site << 20) ^ gen_rng_below(s->r, 64)};
			}
		}
		c->phase = PH_DATA;
		c->next_us = t + c->rtt_us;
		return;
	}
	case PH_DATA:
		if (c->tick++ % 3 == 2) {
			emit(s, c, 0, false, 66);
			c->next_us = t + gen_rng_range(s->r, 20, 800);
			return;
		}
		if (c->kind == K_STREAM && !c->stop) {
			emit(s, c, 1, false, data_size(s, false));
		} else {
			emit(s, c, 1, false, data_size(s, c->remaining <= 1));
			if (c->remaining)
				c->remaining--;
		}
		if ((c->kind != K_STREAM || c->stop) && c->remaining == 0) {
			c->phase = PH_FIN1;
			c->next_us = t + gen_rng_range(s->r, 100, 200000);
		} else {
			c->next_us = after(s, t, c->gap_us);
		}
		return;
	case PH_FIN1:
		emit(s, c, 0, false, 66);
		c->phase = PH_FIN2;
		c->next_us = t + c->rtt_us;
		return;
	case PH_FIN2:
		emit(s, c, 1, false, 66);
		c->phase = PH_FIN3;
		c->next_us = t + gen_rng_range(s->r, 50, 2000);
		return;
	case PH_FIN3:
		emit(s, c, 0, false, 66);
		c->phase = PH_DONE;
		return;
	case PH_UDP_REQ:
		emit(s, c, 0, false, c->kind == K_ICMP ? 98 : 90);
		c->phase = PH_UDP_RESP;
		c->next_us = t + c->rtt_us;
		return;
	case PH_UDP_RESP:
		emit(s, c, 1, false, c->kind == K_ICMP ? 98 : 90);
		if (c->remaining > 1) {
			c->remaining--;
			c->phase = PH_UDP_REQ;
			c->next_us = t + 1000000 - c->rtt_us;
		} else {
			c->phase = PH_DONE;
		}
		return;
	case PH_KEEP_OUT:
		emit(s, c, 0, false, (uint16_t)gen_rng_range(s->r, 66, 250));
		c->phase = PH_KEEP_IN;
		c->next_us = t + c->rtt_us;
		return;
	case PH_KEEP_IN:
		emit(s, c, 1, false, (uint16_t)gen_rng_range(s->r, 66, 250));
		c->phase = PH_KEEP_OUT;
		c->next_us = after(s, t, (double)c->gap_us * 1000.0);
		return;
	case PH_L2:
		switch (c->kind) {
		case K_ARP:
			emit_l2(s, t, FLOW_ARP, 42);
			c->phase = PH_L2_REPLY;
			c->next_us = t + gen_rng_range(s->r, 300, 3000);
			return;
		case K_IPV6: {
			static const uint16_t sizes[] = {86, 90, 78, 110, 150, 206, 1294};
			emit_l2(s, t, FLOW_IPV6, sizes[gen_rng_below(s->r, 7)]);
			c->next_us = gen_rng_chance(s->r, 0.2) ? t + gen_rng_range(s->r, 500, 20000)
							      : after(s, t, 12e6);
			return;
		}
		case K_MDNS:
		case K_SSDP: {
			bool mdns = c->kind == K_MDNS;
			emit(s, c, 0, false, (uint16_t)(mdns ? gen_rng_range(s->r, 80, 450) : gen_rng_range(s->r, 170, 400)));
			if (c->remaining > 1) {
				c->remaining--;
				c->next_us = t + gen_rng_range(s->r, 20000, 300000);
			} else {
				c->remaining = (uint32_t)gen_rng_range(s->r, 1, mdns ? 3 : 6);
				c->next_us = after(s, t, mdns ? 90e6 : 600e6);
			}
			return;
		}
		case K_ODD: {
			static const int32_t odd[] = {FLOW_ERROR, FLOW_ERROR, FLOW_ERROR, FLOW_AARP,
						      FLOW_AT, FLOW_IPX, FLOW_RARP};
			emit_l2(s, t, odd[gen_rng_below(s->r, 7)], (uint16_t)gen_rng_range(s->r, 60, 120));
			c->phase = PH_DONE;
			return;
		}
		default:
			c->phase = PH_DONE;
			return;
		}
	case PH_L2_REPLY:
		emit_l2(s, t, FLOW_ARP, 60);
		c->phase = PH_L2;
		c->next_us = after(s, t, 30e6);
		return;
	default:
		c->phase = PH_DONE;
		return;
	}
}

/* ---- the household ---- */

/* Local hour factor (the homes are in UTC-5): quiet nights, busy evenings. */
static double hour_factor(int64_t t_s)
{
	int h = (int)((((t_s / 3600) - 5) % 24 + 24) % 24);
	return h < 7 ? 0.15 : h < 17 ? 0.8 : 1.4;
}

static void next_state(struct gen_sim *s, double f)
{
	double x = gen_rng_unit(s->r);
	double a = s->n->activity * f;
	switch (s->state) {
	case ST_IDLE:
		s->state = x < 0.05 * a ? ST_LIGHT : x < 0.06 * a ? ST_BUSY : x < 0.0612 * a ? ST_STREAM : ST_IDLE;
		break;
	case ST_LIGHT:
		s->state = x < 0.25 ? ST_IDLE : x < 0.25 + 0.08 * a ? ST_BUSY : x < 0.255 + 0.08 * a ? ST_STREAM : ST_LIGHT;
		break;
	case ST_BUSY:
		s->state = x < 0.3 ? ST_LIGHT : x < 0.4 ? ST_IDLE : x < 0.405 ? ST_STREAM : ST_BUSY;
		break;
	default:
		s->state = x < 0.045 ? ST_IDLE : x < 0.06 ? ST_LIGHT : ST_STREAM;
		break;
	}
}

static void page_load(struct gen_sim *s, int64_t w0, int64_t w1, bool busy)
{
	uint16_t client = s->devs[pick_dev(s, true)].host;
	int64_t t0 = gen_rng_range(s->r, w0, w1 - 1);
	uint32_t n = clamp_u(gen_rng_lognormal(s->r, 20, 1.0), 1, 20000);
	double pps = gen_rng_lognormal(s->r, 300, 0.8);
	if (gen_rng_chance(s->r, 0.004)) {
		/* A big download: fast enough to overflow the packet buffer. */
		n = clamp_u(gen_rng_lognormal(s->r, 15000, 1.0), 500, 400000);
		pps = gen_rng_lognormal(s->r, 1000, 0.4);
	}
	spawn_fetch(s, K_WEB, client, pick_site(s, GEN_SITE_WEB), t0, n, pps);
	uint32_t k = gen_rng_poisson(s->r, busy ? 7 : 3);
	for (uint32_t i = 0; i < k; i++) {
		int64_t t = t0 + gen_rng_range(s->r, 50000, 3000000);
		uint32_t m = clamp_u(gen_rng_lognormal(s->r, 4, 1.2), 1, 5000);
		spawn_fetch(s, K_WEB, client, pick_site(s, GEN_SITE_RESOURCE), t, m,
			    gen_rng_lognormal(s->r, 300, 0.8));
	}
}

static void device_chatter(struct gen_sim *s, uint32_t d, int64_t w0, int64_t span)
{
	struct dev *dv = &s->devs[d];
	struct conv *c = spawn(s, K_ARP, PH_L2, dv->host, w0 + gen_rng_range(s->r, 0, span));
	if (dv->ipv6)
		spawn(s, K_IPV6, PH_L2, dv->host, w0 + gen_rng_range(s->r, 0, span));
	if (dv->mdns && (c = spawn(s, K_MDNS, PH_L2, dv->host, w0 + gen_rng_range(s->r, 0, span)))) {
		c->proto = 17;
		c->cport = c->sport = 5353;
		c->sip = 0xe00000fbu;  /* 224.0.0.251 */
		c->remaining = 2;
	}
	if ((dv->type == GEN_DEV_LAPTOP || dv->type == GEN_DEV_TV) &&
	    (c = spawn(s, K_SSDP, PH_L2, dv->host, w0 + gen_rng_range(s->r, 0, 4 * span)))) {
		c->proto = 17;
		c->sport = 1900;
		c->sip = 0xeffffffau;  /* 239.255.255.250 */
		c->remaining = 3;
	}
	uint32_t keep = dv->type == GEN_DEV_PHONE ? (uint32_t)gen_rng_range(s->r, 1, 2) :
			dv->type == GEN_DEV_LAPTOP ? gen_rng_below(s->r, 2) : 0;
	for (uint32_t i = 0; i < keep; i++) {
		uint32_t site = pick_site(s, GEN_SITE_PUSH);
		c = spawn(s, K_KEEP, PH_KEEP_OUT, dv->host, w0 + gen_rng_range(s->r, 0, 2 * span));
		if (!c)
			break;
		const struct gen_site *st = &s->w->sites[site];
		c->site = site;
		c->sip = st->ips[gen_rng_below(s->r, st->n_ips)];
		c->sport = st->port;
		c->gap_us = (uint32_t)gen_rng_range(s->r, 30000, 300000);  /* ms */
	}
}

static void add_device(struct gen_sim *s, uint16_t host, uint8_t type, bool ipv6, bool mdns, double act)
{
	if (s->n_devs == MAX_DEVS)
		return;
	s->devs[s->n_devs++] = (struct dev){host, type, ipv6, mdns, act};
}

static uint32_t private_peer_ip(struct gen_sim *s)
{
	uint32_t k = s->n_peers++;
	if ((s->n->lan >> 24) == 10)
		return 0xac140000u | ((k / 250 % 250) << 8) | (k % 250 + 2);  /* 172.20.x.y */
	return 0x0a080000u | ((k / 250 % 250) << 8) | (k % 250 + 2);      /* 10.8.x.y */
}

static void plan_update(struct gen_sim *s, int64_t w0, int64_t w1)
{
	struct gen_rng *r = s->r;
	double f = hour_factor(w0 / 1000000);
	next_state(s, f);
	double a = s->n->activity;
	double pages = s->state == ST_IDLE ? 0.1 * f : s->state == ST_LIGHT ? 1.5 * a :
		       s->state == ST_BUSY ? 8.0 * a : 0.3;
	uint32_t np = gen_rng_poisson(r, pages);
	for (uint32_t i = 0; i < np; i++)
		page_load(s, w0, w1, s->state == ST_BUSY);
	uint32_t bg = gen_rng_poisson(r, 0.8);
	for (uint32_t i = 0; i < bg; i++)
		spawn_fetch(s, K_WEB, s->devs[pick_dev(s, false)].host, pick_site(s, GEN_SITE_RESOURCE),
			    gen_rng_range(r, w0, w1 - 1), clamp_u(gen_rng_lognormal(r, 3, 1.0), 1, 500),
			    gen_rng_lognormal(r, 100, 0.6));

	/* Video: one long connection while the household streams. */
	if (s->state == ST_STREAM) {
		s->stream_rate = gen_rng_lognormal(r, 160, 0.5);
		if (s->stream < 0) {
			uint32_t d = pick_dev(s, true);
			for (uint32_t i = 0; i < s->n_devs; i++)
				if (s->devs[i].type == GEN_DEV_TV)
					d = i;
			struct conv *c = spawn_fetch(s, K_STREAM, s->devs[d].host, pick_site(s, GEN_SITE_VIDEO),
						     gen_rng_range(r, w0, w1 - 1), 1, s->stream_rate);
			if (c)
				s->stream = (int32_t)conv_index(s, c);
		}
		if (s->stream >= 0)
			s->convs[s->stream].gap_us = (uint32_t)(1e6 / s->stream_rate);
	} else if (s->stream >= 0) {
		s->convs[s->stream].stop = 1;
		s->convs[s->stream].remaining = (uint32_t)gen_rng_range(r, 1, 40);
		s->stream = -1;
	}

	/* The LAN changes: a new address from DHCP, a guest, VPN peers. */
	for (uint32_t i = 0; i < s->n_devs; i++) {
		if (!gen_rng_chance(r, 0.0015))
			continue;
		struct host *h = &s->hosts[s->devs[i].host];
		uint32_t ip = (h->ip & ~0xffu) | (uint32_t)gen_rng_range(r, 20, 250);
		uint8_t mac[6];
		memcpy(mac, h->mac, 6);
		s->devs[i].host = (uint16_t)add_host(s, ip, mac);
	}
	if (gen_rng_chance(r, 0.004) && s->n_devs < MAX_DEVS) {
		uint8_t mac[6] = {0x28, 0xcf, 0xda};
		for (int k = 3; k < 6; k++)
			mac[k] = (uint8_t)gen_rng_below(r, 256);
		uint16_t h = (uint16_t)add_host(s, s->n->lan | (uint32_t)gen_rng_range(r, 150, 250), mac);
		add_device(s, h, GEN_DEV_PHONE, false, false, 1.0);
		device_chatter(s, s->n_devs - 1, w0, w1 - w0);
		page_load(s, w0, w1, false);
	}
	uint32_t peers = gen_rng_poisson(r, s->n->peer_rate);
	for (uint32_t i = 0; i < peers; i++) {
		uint32_t ph = add_host(s, private_peer_ip(s), s->n->mac);
		struct conv *c = spawn(s, K_PEER, PH_SYN, s->devs[pick_dev(s, true)].host,
				       gen_rng_range(r, w0, w1 - 1));
		if (!c)
			break;
		c->server_host = (int32_t)ph;
		c->sip = s->hosts[ph].ip;
		static const uint16_t ports[] = {22, 445, 3389, 8080};
		c->sport = ports[gen_rng_below(r, 4)];
		c->remaining = clamp_u(gen_rng_lognormal(r, 6, 1.0), 1, 2000);
		c->gap_us = 3000;
	}
	if (s->n_devs > 1 && gen_rng_chance(r, 0.03 * f)) {
		uint32_t a_dev = pick_dev(s, true), b_dev = gen_rng_below(r, s->n_devs);
		if (a_dev != b_dev) {
			struct conv *c = spawn(s, K_LAN, PH_SYN, s->devs[a_dev].host, gen_rng_range(r, w0, w1 - 1));
			if (c) {
				c->server_host = s->devs[b_dev].host;
				c->sip = s->hosts[c->server_host].ip;
				c->sport = s->devs[b_dev].type == GEN_DEV_PRINTER ? 9100 : 445;
				c->remaining = clamp_u(gen_rng_lognormal(r, 40, 1.2), 1, 20000);
				c->gap_us = 400;
				c->rtt_us = 1000;
			}
		}
	}
	if (gen_rng_chance(r, 0.02)) {
		struct conv *c = spawn(s, K_ICMP, PH_UDP_REQ, s->devs[pick_dev(s, false)].host,
				       gen_rng_range(r, w0, w1 - 1));
		if (c) {
			c->proto = 1;
			c->cport = 0;
			c->sip = s->w->sites[pick_site(s, GEN_SITE_WEB)].ips[0];
			c->remaining = 4;
		}
	}
	if (gen_rng_chance(r, 0.012))
		spawn(s, K_ODD, PH_L2, s->devs[pick_dev(s, false)].host, gen_rng_range(r, w0, w1 - 1));
	for (uint32_t i = 0; i < s->n_devs; i++) {
		if (s->devs[i].type <= GEN_DEV_LAPTOP && gen_rng_chance(r, 1.0 / 240)) {
			struct conv *c = spawn_fetch(s, K_NTP, s->devs[i].host, pick_site(s, GEN_SITE_NTP),
						     gen_rng_range(r, w0, w1 - 1), 1, 0);
			if (c) {
				c->cport = 123;
				c->remaining = 1;
			}
		}
	}
}

/* ---- API ---- */

struct gen_sim *gen_sim_new(const struct gen_world *w, const struct gen_node *n, uint32_t max_packets)
{
	struct gen_sim *s = xcalloc(1, sizeof(*s));
	s->w = w;
	s->n = n;
	s->max_packets = max_packets;
	s->slots = xcalloc(65536, sizeof(*s->slots));
	s->hosts = xcalloc(MAX_HOSTS, sizeof(*s->hosts));
	s->convs = xcalloc(MAX_CONVS, sizeof(*s->convs));
	s->free_convs = xcalloc(MAX_CONVS, sizeof(*s->free_convs));
	s->heap_key = xcalloc(MAX_CONVS, sizeof(*s->heap_key));
	s->heap_idx = xcalloc(MAX_CONVS, sizeof(*s->heap_idx));
	return s;
}

void gen_sim_free(struct gen_sim *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->hosts);
	free(s->convs);
	free(s->free_convs);
	free(s->heap_key);
	free(s->heap_idx);
	free(s);
}

void gen_sim_begin(struct gen_sim *s, const struct gen_session_plan *plan, struct gen_rng *r)
{
	s->plan = plan;
	s->r = r;
	s->seq = 0;
	s->prev_now_s = 0;
	s->session_known = 0;
	s->session_id = -1;
	s->salt = gen_rng_next(r);
	memset(s->slots, 0, 65536 * sizeof(*s->slots));
	s->nslots = plan->version == 1 ? FLOW_SLOTS_V1 : FLOW_SLOTS;
	s->occupancy = s->expired = s->flows_dropped = 0;
	s->first_flow_s = -1;
	s->zero_cache = -1;
	s->last_raw = -1;
	s->ring_first = s->ring_last = s->ring_length = s->ring_added = 0;
	s->n_free = MAX_CONVS;
	for (uint32_t i = 0; i < MAX_CONVS; i++)
		s->free_convs[i] = (uint16_t)(MAX_CONVS - 1 - i);
	s->heap_n = 0;
	s->state = ST_IDLE;
	s->stream = -1;
	memset(s->drop_counts, 0, sizeof(s->drop_counts));
	s->any_drop = 0;
	s->pcap_recv = s->pcap_drop = 0;
	s->last_t = 0;

	/* The LAN: the router, then the node's devices. */
	const struct gen_node *n = s->n;
	s->n_hosts = 0;
	s->n_devs = 0;
	s->n_peers = 0;
	add_host(s, n->router_ip, n->mac);
	for (uint32_t i = 0; i < n->n_devices; i++) {
		const struct gen_device *d = &n->devices[i];
		uint32_t host = d->host;
		if (gen_rng_chance(r, 0.1))  /* a different DHCP lease this time */
			host = (uint32_t)gen_rng_range(r, 20, 250);
		uint32_t h = add_host(s, (n->lan & ~0xffu) | host, d->mac);
		add_device(s, (uint16_t)h, d->type, d->ipv6, d->mdns, d->activity);
	}
}

static int cmp_flow(const void *a, const void *b)
{
	int32_t x = ((const struct gen_flow *)a)->id, y = ((const struct gen_flow *)b)->id;
	return (x > y) - (x < y);
}

void gen_sim_next(struct gen_sim *s, struct gen_update *u)
{
	const struct gen_session_plan *p = s->plan;
	gen_update_clear(u);
	s->u = u;
	int64_t now_s = p->start_us / 1000000 + 30 + 30 * (int64_t)s->seq;
	int64_t w0 = s->seq == 0 ? p->start_us : s->prev_now_s * 1000000;
	int64_t w1 = now_s * 1000000;

	if (s->seq == 0) {
		int64_t from = p->idle_start ? w1 : w0;
		int64_t span = 40000000;
		for (uint32_t i = 0; i < s->n_devs; i++)
			device_chatter(s, i, from, span);
		/* Something is always heard early (so a first-packet session id
		 * is known in update 0 unless the start is idle). */
		spawn(s, K_ARP, PH_L2, s->devs[0].host, from + gen_rng_range(s->r, 100000, 5000000));
	}
	if (!(p->idle_start && s->seq == 0))
		plan_update(s, w0, w1);

	while (s->heap_n && s->heap_key[0] < w1) {
		uint16_t idx = s->heap_idx[0];
		struct conv *c = &s->convs[idx];
		step(s, c);
		if (c->phase == PH_DONE) {
			heap_pop(s);
			s->free_convs[s->n_free++] = idx;
			if ((int32_t)idx == s->stream)
				s->stream = -1;
		} else {
			s->heap_key[0] = c->next_us;
			heap_sift_down(s, 0);
		}
	}

	u->version = p->version;
	u->build_id = s->n->build_id;
	u->node_id = s->n->id;
	if (p->first_packet_id)
		u->session_id = s->session_known ? s->session_id : -1;
	else if (p->tiny_clock)
		u->session_id = (int64_t)(p->start_us % 600000000);
	else
		u->session_id = p->start_us;
	u->seq = s->seq;
	u->now_s = now_s;
	if (u->n_packets > 5000)
		s->pcap_drop += gen_rng_below(s->r, (uint32_t)(u->n_packets / 1000));
	u->has_pcap = p->pcap_stats && !gen_rng_chance(s->r, 0.01);
	u->pcap[0] = s->pcap_recv;
	u->pcap[1] = s->pcap_drop;
	u->pcap[2] = 0;
	u->whitelist = p->whitelist;
	u->anonymized = p->anonymized;
	u->key = p->context;
	u->baseline_s = s->seq == 0 ? (s->first_flow_s >= 0 ? s->first_flow_s : 0) : s->prev_now_s;
	u->occupancy = s->occupancy;
	u->expired = s->expired;
	u->flows_dropped = s->flows_dropped;
	if (u->n_flows > 1)
		qsort(u->flows, u->n_flows, sizeof(*u->flows), cmp_flow);
	u->addr_first = (uint32_t)NORM(s->ring_last - s->ring_added + 1);
	for (int k = s->ring_added; k > 0; k--) {
		const struct host *h = &s->hosts[s->ring[NORM(s->ring_last - k + 1)]];
		if (u->n_addrs == u->cap_addrs)
			xgrow((void **)&u->addrs, &u->cap_addrs, u->n_addrs + 1, sizeof(*u->addrs));
		struct gen_address *a = &u->addrs[u->n_addrs++];
		memcpy(a->mac, h->mac, 6);
		a->ip = h->ip;
	}
	s->ring_added = 0;
	u->has_drops = p->has_drops;
	u->drop_counts = s->any_drop ? s->drop_counts : NULL;
	u->has_http = p->http;

	s->prev_now_s = now_s;
	s->seq++;
}
