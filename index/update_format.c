/*
 * index/update_format.c: writing a parsed update back out: in the update
 * text format of its version (update-format.md §3, for `bpass show` and the
 * parser's round-trip tests), as one JSON object (`bpass parse --json`,
 * `bpass show --json`), and the located error messages of the parser and
 * the blob decoder.
 *
 * The text writer reproduces the writer's quirks so that parsing its output
 * gives back the same struct: v2-v3 drop statistics without a terminating
 * empty line and the HTTP block glued onto them, v4+ drop section ended by an
 * empty line, the trailing space of every HTTP line, 6-field CNAME lines for
 * legacy records, and packet deltas recomputed from the absolute times (the
 * first one from the header's FIRST_PKT_US). For the updates the router wrote
 * the output is byte-identical to the input.
 */
#include "update.h"

#include <stdbool.h>
#include <string.h>

static const char *const section_names[] = {
	"intro",
	"whitelist",
	"anonymization signature",
	"packet series",
	"flow table",
	"DNS A records",
	"DNS CNAME records",
	"address table",
	"drop statistics",
	"HTTP URL hashes",
	"extra section",
};

const char *update_section_name(int section)
{
	if (section == UPDATE_SECTION_NONE)
		return "none";
	if (section < 0 || section > UPDATE_SECTION_EXTRA)
		return "unknown";
	return section_names[section];
}

void update_error_format(const struct update_error *err, const char *file,
			 const char *member, struct buf *out)
{
	if (file) {
		buf_puts(out, file);
		buf_puts(out, ": ");
	}
	if (member) {
		buf_puts(out, "member ");
		buf_puts(out, member);
		buf_puts(out, ": ");
	}
	bool has_section = err->section != UPDATE_SECTION_NONE;
	if (err->line) {
		buf_puts(out, "line ");
		buf_put_u64(out, err->line);
		if (has_section) {
			buf_puts(out, " (section ");
			buf_puts(out, update_section_name(err->section));
			buf_putc(out, ')');
		}
		buf_puts(out, ": ");
	} else if (has_section) {
		buf_puts(out, "section ");
		buf_puts(out, update_section_name(err->section));
		buf_puts(out, ": ");
	}
	buf_puts(out, err->msg[0] ? err->msg : "unknown error");
}

/* ---------------------------------------------------------------------------
 * Text
 */

static void put_nl(struct buf *out)
{
	buf_putc(out, '\n');
}

static void put_u(struct buf *out, uint64_t v, char after)
{
	buf_put_u64(out, v);
	buf_putc(out, after);
}

static void put_i(struct buf *out, int64_t v, char after)
{
	buf_put_i64(out, v);
	buf_putc(out, after);
}

static void put_s(struct buf *out, const char *s, char after)
{
	buf_puts(out, s);
	buf_putc(out, after);
}

static void text_intro(const struct bpass_update *u, struct buf *out)
{
	put_i(out, u->version, '\n');
	put_s(out, u->build_id, '\n');
	put_s(out, u->node_id, ' ');
	put_i(out, u->session_id, ' ');
	put_i(out, u->sequence, ' ');
	put_i(out, u->timestamp_s, '\n');
	if (u->has_pcap) {
		put_u(out, u->pcap_received, ' ');
		put_u(out, u->pcap_dropped, ' ');
		put_u(out, u->iface_dropped, '\n');
	}
	put_nl(out);
	for (uint32_t i = 0; i < u->n_whitelist; i++)
		put_s(out, u->whitelist[i], '\n');
	put_nl(out);
	put_s(out, u->anonymized ? u->context : BPASS_UNANONYMIZED, '\n');
	put_nl(out);
}

static void text_packets(const struct bpass_update *u, struct buf *out)
{
	put_i(out, u->packets_first_us, ' ');
	put_u(out, u->packets_dropped, '\n');
	/* Each line takes at most 11 + 1 + 5 + 1 + 6 + 1 bytes. */
	buf_reserve(out, (size_t)u->n_packets * 26 + 1);
	int64_t prev = u->packets_first_us;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		/* Wrapping subtraction: a struct that did not come from the parser
		 * may hold times whose difference is not an int32. */
		put_i(out, (int64_t)((uint64_t)p->time_us - (uint64_t)prev), ' ');
		put_u(out, p->size, ' ');
		put_i(out, p->flow_id, '\n');
		prev = p->time_us;
	}
	put_nl(out);
}

static void text_flows(const struct bpass_update *u, struct buf *out)
{
	put_i(out, u->flows_baseline_s, ' ');
	put_u(out, u->flows_occupancy, ' ');
	put_u(out, u->flows_expired, ' ');
	put_u(out, u->flows_dropped, '\n');
	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct bpass_flow *f = &u->flows[i];
		put_i(out, f->flow_id, ' ');
		put_u(out, f->src_anon, ' ');
		put_s(out, f->src_ip, ' ');
		put_u(out, f->dst_anon, ' ');
		put_s(out, f->dst_ip, ' ');
		put_u(out, f->proto, ' ');
		put_u(out, f->src_port, ' ');
		put_u(out, f->dst_port, '\n');
	}
	put_nl(out);
}

static void text_dns(const struct bpass_update *u, struct buf *out)
{
	put_u(out, u->dns_dropped_a, ' ');
	put_u(out, u->dns_dropped_cname, '\n');
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		const struct bpass_a_record *r = &u->a_records[i];
		put_u(out, r->packet_id, ' ');
		put_u(out, r->address_id, ' ');
		put_u(out, r->anonymized, ' ');
		put_s(out, r->domain, ' ');
		put_s(out, r->ip, ' ');
		put_i(out, r->ttl, '\n');
	}
	put_nl(out);
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		const struct bpass_cname_record *r = &u->cname_records[i];
		put_u(out, r->packet_id, ' ');
		put_u(out, r->address_id, ' ');
		put_u(out, r->domain_anonymized, ' ');
		put_s(out, r->domain, ' ');
		if (!r->legacy)
			put_u(out, r->cname_anonymized, ' ');
		put_s(out, r->cname, ' ');
		put_i(out, r->ttl, '\n');
	}
	put_nl(out);
}

static void text_addresses(const struct bpass_update *u, struct buf *out)
{
	put_u(out, u->addresses_first_id, ' ');
	put_u(out, u->addresses_capacity, '\n');
	for (uint32_t i = 0; i < u->n_addresses; i++) {
		put_s(out, u->addresses[i].mac, ' ');
		put_s(out, u->addresses[i].ip, '\n');
	}
	put_nl(out);
}

/* Sections 8 and 9; v2-v3 glue them and leave the drop section open. */
static void text_tail(const struct bpass_update *u, struct buf *out)
{
	if (u->version < 2)
		return;
	bool glued = u->version <= 3;
	if (!u->has_drop_stats && !u->has_http)
		return;
	for (uint32_t i = 0; i < u->n_drop_stats; i++) {
		put_u(out, u->drop_stats[i].size, ' ');
		put_u(out, u->drop_stats[i].count, '\n');
	}
	if (!glued)
		put_nl(out);
	if (!u->has_http)
		return;
	put_u(out, u->http_dropped, ' ');
	put_nl(out);
	for (uint32_t i = 0; i < u->n_http_urls; i++) {
		const struct bpass_http_url *h = &u->http_urls[i];
		put_i(out, h->flow_id, ' ');
		put_u(out, h->reserved, ' ');
		put_s(out, h->hash, ' ');
		put_nl(out);
	}
	put_nl(out);
}

void update_format_text(const struct bpass_update *u, struct buf *out)
{
	text_intro(u, out);
	text_packets(u, out);
	text_flows(u, out);
	text_dns(u, out);
	text_addresses(u, out);
	text_tail(u, out);
}

/* ---------------------------------------------------------------------------
 * JSON
 */

/* Writes ,"key": (the comma unless first). */
static void key(struct buf *out, const char *k, bool first)
{
	if (!first)
		buf_putc(out, ',');
	buf_putc(out, '"');
	buf_puts(out, k);
	buf_puts(out, "\":");
}

static void kv_i(struct buf *out, const char *k, int64_t v, bool first)
{
	key(out, k, first);
	buf_put_i64(out, v);
}

static void kv_u(struct buf *out, const char *k, uint64_t v, bool first)
{
	key(out, k, first);
	buf_put_u64(out, v);
}

static void kv_s(struct buf *out, const char *k, const char *v, bool first)
{
	key(out, k, first);
	buf_put_json_str(out, v);
}

static void kv_b(struct buf *out, const char *k, bool v, bool first)
{
	key(out, k, first);
	buf_puts(out, v ? "true" : "false");
}

static void json_intro(const struct bpass_update *u, struct buf *out)
{
	kv_i(out, "version", u->version, true);
	kv_s(out, "build_id", u->build_id, false);
	kv_s(out, "node_id", u->node_id, false);
	kv_i(out, "session_id", u->session_id, false);
	kv_i(out, "sequence_number", u->sequence, false);
	kv_i(out, "timestamp", u->timestamp_s, false);
	if (u->has_pcap) {
		kv_u(out, "pcap_received", u->pcap_received, false);
		kv_u(out, "pcap_dropped", u->pcap_dropped, false);
		kv_u(out, "iface_dropped", u->iface_dropped, false);
	} else {
		buf_puts(out, ",\"pcap_received\":null,\"pcap_dropped\":null,\"iface_dropped\":null");
	}
	key(out, "whitelist", false);
	buf_putc(out, '[');
	for (uint32_t i = 0; i < u->n_whitelist; i++) {
		if (i)
			buf_putc(out, ',');
		buf_put_json_str(out, u->whitelist[i]);
	}
	buf_putc(out, ']');
	kv_s(out, "anonymization_context", u->context, false);
	kv_b(out, "anonymized", u->anonymized, false);
}

static void json_packet_series(const struct bpass_update *u, struct buf *out)
{
	key(out, "packet_series", false);
	buf_putc(out, '{');
	kv_i(out, "first_us", u->packets_first_us, true);
	kv_u(out, "dropped", u->packets_dropped, false);
	key(out, "packets", false);
	buf_putc(out, '[');
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		buf_puts(out, i ? ",{" : "{");
		kv_i(out, "time_us", p->time_us, true);
		kv_u(out, "size", p->size, false);
		kv_i(out, "flow_id", p->flow_id, false);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
}

static void json_flows(const struct bpass_update *u, struct buf *out)
{
	key(out, "flow_table", false);
	buf_putc(out, '{');
	kv_i(out, "baseline", u->flows_baseline_s, true);
	kv_u(out, "occupancy", u->flows_occupancy, false);
	kv_u(out, "expired", u->flows_expired, false);
	kv_u(out, "dropped", u->flows_dropped, false);
	key(out, "flows", false);
	buf_putc(out, '[');
	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct bpass_flow *f = &u->flows[i];
		buf_puts(out, i ? ",{" : "{");
		kv_i(out, "flow_id", f->flow_id, true);
		kv_u(out, "src_anonymized", f->src_anon, false);
		kv_s(out, "src_ip", f->src_ip, false);
		kv_u(out, "dst_anonymized", f->dst_anon, false);
		kv_s(out, "dst_ip", f->dst_ip, false);
		kv_u(out, "protocol", f->proto, false);
		kv_u(out, "src_port", f->src_port, false);
		kv_u(out, "dst_port", f->dst_port, false);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
}

static void json_dns(const struct bpass_update *u, struct buf *out)
{
	kv_u(out, "dropped_a_records", u->dns_dropped_a, false);
	kv_u(out, "dropped_cname_records", u->dns_dropped_cname, false);
	key(out, "a_records", false);
	buf_putc(out, '[');
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		const struct bpass_a_record *r = &u->a_records[i];
		buf_puts(out, i ? ",{" : "{");
		kv_u(out, "packet_id", r->packet_id, true);
		kv_u(out, "address_id", r->address_id, false);
		kv_u(out, "anonymized", r->anonymized, false);
		kv_s(out, "domain", r->domain, false);
		kv_s(out, "ip", r->ip, false);
		kv_i(out, "ttl", r->ttl, false);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	key(out, "cname_records", false);
	buf_putc(out, '[');
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		const struct bpass_cname_record *r = &u->cname_records[i];
		buf_puts(out, i ? ",{" : "{");
		kv_u(out, "packet_id", r->packet_id, true);
		kv_u(out, "address_id", r->address_id, false);
		kv_u(out, "domain_anonymized", r->domain_anonymized, false);
		kv_s(out, "domain", r->domain, false);
		kv_u(out, "cname_anonymized", r->cname_anonymized, false);
		kv_s(out, "cname", r->cname, false);
		kv_i(out, "ttl", r->ttl, false);
		kv_b(out, "legacy", r->legacy, false);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

static void json_addresses(const struct bpass_update *u, struct buf *out)
{
	key(out, "address_table", false);
	buf_putc(out, '{');
	kv_u(out, "first_id", u->addresses_first_id, true);
	kv_u(out, "capacity", u->addresses_capacity, false);
	key(out, "addresses", false);
	buf_putc(out, '[');
	for (uint32_t i = 0; i < u->n_addresses; i++) {
		buf_puts(out, i ? ",{" : "{");
		kv_s(out, "mac", u->addresses[i].mac, true);
		kv_s(out, "ip", u->addresses[i].ip, false);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
}

static void json_tail(const struct bpass_update *u, struct buf *out)
{
	key(out, "drop_statistics", false);
	if (u->has_drop_stats) {
		buf_putc(out, '[');
		for (uint32_t i = 0; i < u->n_drop_stats; i++) {
			buf_puts(out, i ? ",{" : "{");
			kv_u(out, "size", u->drop_stats[i].size, true);
			kv_u(out, "count", u->drop_stats[i].count, false);
			buf_putc(out, '}');
		}
		buf_putc(out, ']');
	} else {
		buf_puts(out, "null");
	}
	key(out, "http", false);
	if (!u->has_http) {
		buf_puts(out, "null");
		return;
	}
	buf_putc(out, '{');
	kv_u(out, "dropped", u->http_dropped, true);
	key(out, "urls", false);
	buf_putc(out, '[');
	for (uint32_t i = 0; i < u->n_http_urls; i++) {
		const struct bpass_http_url *h = &u->http_urls[i];
		buf_puts(out, i ? ",{" : "{");
		kv_i(out, "flow_id", h->flow_id, true);
		kv_u(out, "reserved", h->reserved, false);
		kv_s(out, "hash", h->hash, false);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
}

void update_format_json(const struct bpass_update *u, struct buf *out)
{
	buf_putc(out, '{');
	json_intro(u, out);
	json_packet_series(u, out);
	json_flows(u, out);
	json_dns(u, out);
	json_addresses(u, out);
	json_tail(u, out);
	buf_putc(out, '}');
}
