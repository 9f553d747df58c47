/*
 * tests/fuzz/fuzz_blob.c: libFuzzer target for the index blob decoder. Each
 * input is decoded twice: as is (the CRC rejects almost everything), and
 * with its CRC rewritten so that the payload decoder itself is exercised.
 * Whenever a decode succeeds, the update is encoded again and decoded again:
 * both structs must be equal and re-encoding must give the same bytes.
 * The decoder must never crash, read out of bounds, or leak.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz_blob: check failed: %s (line %d)\n", \
				#cond, __LINE__);                                \
			abort();                                                 \
		}                                                                \
	} while (0)

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void check_equal(const struct bpass_update *a, const struct bpass_update *b)
{
	CHECK(a->version == b->version && str_eq(a->build_id, b->build_id) &&
	      str_eq(a->node_id, b->node_id) && a->session_id == b->session_id &&
	      a->sequence == b->sequence && a->timestamp_s == b->timestamp_s &&
	      a->has_pcap == b->has_pcap && a->pcap_received == b->pcap_received &&
	      a->pcap_dropped == b->pcap_dropped && a->iface_dropped == b->iface_dropped);
	CHECK(a->n_whitelist == b->n_whitelist);
	for (uint32_t i = 0; i < a->n_whitelist; i++)
		CHECK(str_eq(a->whitelist[i], b->whitelist[i]));
	CHECK(str_eq(a->context, b->context) && a->anonymized == b->anonymized);
	CHECK(a->packets_first_us == b->packets_first_us &&
	      a->packets_dropped == b->packets_dropped && a->n_packets == b->n_packets);
	for (uint32_t i = 0; i < a->n_packets; i++)
		CHECK(a->packets[i].time_us == b->packets[i].time_us &&
		      a->packets[i].flow_id == b->packets[i].flow_id &&
		      a->packets[i].size == b->packets[i].size);
	CHECK(a->flows_baseline_s == b->flows_baseline_s &&
	      a->flows_occupancy == b->flows_occupancy && a->flows_expired == b->flows_expired &&
	      a->flows_dropped == b->flows_dropped && a->n_flows == b->n_flows);
	for (uint32_t i = 0; i < a->n_flows; i++) {
		const struct bpass_flow *x = &a->flows[i], *y = &b->flows[i];
		CHECK(x->flow_id == y->flow_id && x->src_anon == y->src_anon &&
		      x->dst_anon == y->dst_anon && x->proto == y->proto &&
		      x->src_port == y->src_port && x->dst_port == y->dst_port &&
		      str_eq(x->src_ip, y->src_ip) && str_eq(x->dst_ip, y->dst_ip));
	}
	CHECK(a->dns_dropped_a == b->dns_dropped_a && a->dns_dropped_cname == b->dns_dropped_cname &&
	      a->n_a_records == b->n_a_records && a->n_cname_records == b->n_cname_records);
	for (uint32_t i = 0; i < a->n_a_records; i++) {
		const struct bpass_a_record *x = &a->a_records[i], *y = &b->a_records[i];
		CHECK(x->packet_id == y->packet_id && x->address_id == y->address_id &&
		      x->anonymized == y->anonymized && x->ttl == y->ttl &&
		      str_eq(x->domain, y->domain) && str_eq(x->ip, y->ip));
	}
	for (uint32_t i = 0; i < a->n_cname_records; i++) {
		const struct bpass_cname_record *x = &a->cname_records[i], *y = &b->cname_records[i];
		CHECK(x->packet_id == y->packet_id && x->address_id == y->address_id &&
		      x->domain_anonymized == y->domain_anonymized &&
		      x->cname_anonymized == y->cname_anonymized && x->legacy == y->legacy &&
		      x->ttl == y->ttl && str_eq(x->domain, y->domain) &&
		      str_eq(x->cname, y->cname));
	}
	CHECK(a->addresses_first_id == b->addresses_first_id &&
	      a->addresses_capacity == b->addresses_capacity && a->n_addresses == b->n_addresses);
	for (uint32_t i = 0; i < a->n_addresses; i++)
		CHECK(str_eq(a->addresses[i].mac, b->addresses[i].mac) &&
		      str_eq(a->addresses[i].ip, b->addresses[i].ip));
	CHECK(a->has_drop_stats == b->has_drop_stats && a->n_drop_stats == b->n_drop_stats);
	for (uint32_t i = 0; i < a->n_drop_stats; i++)
		CHECK(a->drop_stats[i].size == b->drop_stats[i].size &&
		      a->drop_stats[i].count == b->drop_stats[i].count);
	CHECK(a->has_http == b->has_http && a->http_dropped == b->http_dropped &&
	      a->n_http_urls == b->n_http_urls);
	for (uint32_t i = 0; i < a->n_http_urls; i++)
		CHECK(a->http_urls[i].flow_id == b->http_urls[i].flow_id &&
		      a->http_urls[i].reserved == b->http_urls[i].reserved &&
		      str_eq(a->http_urls[i].hash, b->http_urls[i].hash));
}

static void decode_and_check(const uint8_t *data, size_t size)
{
	struct update_buf b1, b2;
	struct update_error err;
	struct buf enc1, enc2;
	update_buf_init(&b1);
	update_buf_init(&b2);
	buf_init(&enc1);
	buf_init(&enc2);
	if (blob_decode(&b1, data, size, &err) == 0) {
		blob_encode(&b1.u, &enc1);
		CHECK(blob_decode(&b2, enc1.data, enc1.len, &err) == 0);
		check_equal(&b1.u, &b2.u);
		blob_encode(&b2.u, &enc2);
		CHECK(enc1.len == enc2.len && memcmp(enc1.data, enc2.data, enc1.len) == 0);
	} else {
		CHECK(err.msg[0] != 0);
		CHECK(b1.u.n_packets == 0 && b1.u.context && b1.u.node_id && b1.u.build_id);
	}
	buf_release(&enc1);
	buf_release(&enc2);
	update_buf_release(&b1);
	update_buf_release(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_and_check(data, size);
	if (size < 6)
		return 0;
	uint8_t *copy = malloc(size);   /* exact size: over-reads are caught */
	memcpy(copy, data, size);
	uint32_t c = (uint32_t)crc32(0, copy + 6, (uInt)(size - 6));
	copy[2] = (uint8_t)c;
	copy[3] = (uint8_t)(c >> 8);
	copy[4] = (uint8_t)(c >> 16);
	copy[5] = (uint8_t)(c >> 24);
	decode_and_check(copy, size);
	free(copy);
	return 0;
}
