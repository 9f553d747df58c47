/*
 * tests/fuzz/update_diff.c: comparing two updates field by field (see
 * update_diff.h).
 */
#include "update_diff.h"

#include <stdbool.h>
#include <string.h>

/* Returns from update_diff with the name of what differs. */
#define SAME(cond, what)            \
	do {                        \
		if (!(cond))        \
			return what; \
	} while (0)

static bool update_str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

const char *update_diff(const struct bpass_update *a, const struct bpass_update *b)
{
	SAME(a->version == b->version && update_str_eq(a->build_id, b->build_id) &&
	      update_str_eq(a->node_id, b->node_id) && a->session_id == b->session_id &&
	      a->sequence == b->sequence && a->timestamp_s == b->timestamp_s &&
	      a->has_pcap == b->has_pcap && a->pcap_received == b->pcap_received &&
	      a->pcap_dropped == b->pcap_dropped && a->iface_dropped == b->iface_dropped, "intro");
	SAME(a->n_whitelist == b->n_whitelist, "whitelist");
	for (uint32_t i = 0; i < a->n_whitelist; i++)
		SAME(update_str_eq(a->whitelist[i], b->whitelist[i]), "whitelist");
	SAME(update_str_eq(a->context, b->context) && a->anonymized == b->anonymized, "signature");
	SAME(a->packets_first_us == b->packets_first_us &&
	      a->packets_dropped == b->packets_dropped && a->n_packets == b->n_packets, "packet series header");
	for (uint32_t i = 0; i < a->n_packets; i++)
		SAME(a->packets[i].time_us == b->packets[i].time_us &&
		      a->packets[i].flow_id == b->packets[i].flow_id &&
		      a->packets[i].size == b->packets[i].size, "packets");
	SAME(a->flows_baseline_s == b->flows_baseline_s &&
	      a->flows_occupancy == b->flows_occupancy && a->flows_expired == b->flows_expired &&
	      a->flows_dropped == b->flows_dropped && a->n_flows == b->n_flows, "flow table header");
	for (uint32_t i = 0; i < a->n_flows; i++) {
		const struct bpass_flow *x = &a->flows[i], *y = &b->flows[i];
		SAME(x->flow_id == y->flow_id && x->src_anon == y->src_anon &&
		      x->dst_anon == y->dst_anon && x->proto == y->proto &&
		      x->src_port == y->src_port && x->dst_port == y->dst_port &&
		      update_str_eq(x->src_ip, y->src_ip) && update_str_eq(x->dst_ip, y->dst_ip), "flows");
	}
	SAME(a->dns_dropped_a == b->dns_dropped_a && a->dns_dropped_cname == b->dns_dropped_cname &&
	      a->n_a_records == b->n_a_records && a->n_cname_records == b->n_cname_records, "DNS headers");
	for (uint32_t i = 0; i < a->n_a_records; i++) {
		const struct bpass_a_record *x = &a->a_records[i], *y = &b->a_records[i];
		SAME(x->packet_id == y->packet_id && x->address_id == y->address_id &&
		      x->anonymized == y->anonymized && x->ttl == y->ttl &&
		      update_str_eq(x->domain, y->domain) && update_str_eq(x->ip, y->ip), "A records");
	}
	for (uint32_t i = 0; i < a->n_cname_records; i++) {
		const struct bpass_cname_record *x = &a->cname_records[i], *y = &b->cname_records[i];
		SAME(x->packet_id == y->packet_id && x->address_id == y->address_id &&
		      x->domain_anonymized == y->domain_anonymized &&
		      x->cname_anonymized == y->cname_anonymized && x->legacy == y->legacy &&
		      x->ttl == y->ttl && update_str_eq(x->domain, y->domain) &&
		      update_str_eq(x->cname, y->cname), "CNAME records");
	}
	SAME(a->addresses_first_id == b->addresses_first_id &&
	      a->addresses_capacity == b->addresses_capacity && a->n_addresses == b->n_addresses, "address table header");
	for (uint32_t i = 0; i < a->n_addresses; i++)
		SAME(update_str_eq(a->addresses[i].mac, b->addresses[i].mac) &&
		      update_str_eq(a->addresses[i].ip, b->addresses[i].ip), "addresses");
	SAME(a->has_drop_stats == b->has_drop_stats && a->n_drop_stats == b->n_drop_stats, "drop statistics header");
	for (uint32_t i = 0; i < a->n_drop_stats; i++)
		SAME(a->drop_stats[i].size == b->drop_stats[i].size &&
		      a->drop_stats[i].count == b->drop_stats[i].count, "drop statistics");
	SAME(a->has_http == b->has_http && a->http_dropped == b->http_dropped &&
	      a->n_http_urls == b->n_http_urls, "HTTP header");
	for (uint32_t i = 0; i < a->n_http_urls; i++)
		SAME(a->http_urls[i].flow_id == b->http_urls[i].flow_id &&
		      a->http_urls[i].reserved == b->http_urls[i].reserved &&
		      update_str_eq(a->http_urls[i].hash, b->http_urls[i].hash), "HTTP URLs");
	return NULL;
}
