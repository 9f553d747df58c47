/*
 * tests/unit/test_blob.c: the index blob codec. The spec's worked examples
 * (tests/fixtures/spec/ as the parser reads them: legacy CNAME, v2 HTTP) and
 * hand-built updates covering every field and edge (empty sections, 65536+
 * packets, negative and extreme times, time columns of every width, strings
 * of any bytes, a full flow table of 130,000 distinct strings, UNANONYMIZED)
 * must come back identical; truncated, bit-flipped and forged blobs must
 * fail cleanly; a realistic 1000-packet update must encode smaller than its
 * gzipped text (written by update_format_text).
 * Randomized cases print their seed; set BLOB_SEED to replay one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "blob.h"
#include "parse_util.h"

/* ---------------------------------------------------------------------------
 * Comparison
 */

static void assert_str(const char *a, const char *b)
{
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
}

static void assert_update_equal(const struct bpass_update *a, const struct bpass_update *b)
{
	assert_int_equal(a->version, b->version);
	assert_str(a->build_id, b->build_id);
	assert_str(a->node_id, b->node_id);
	assert_true(a->session_id == b->session_id);
	assert_int_equal(a->sequence, b->sequence);
	assert_true(a->timestamp_s == b->timestamp_s);
	assert_int_equal(a->has_pcap, b->has_pcap);
	assert_int_equal(a->pcap_received, b->pcap_received);
	assert_int_equal(a->pcap_dropped, b->pcap_dropped);
	assert_int_equal(a->iface_dropped, b->iface_dropped);

	assert_int_equal(a->n_whitelist, b->n_whitelist);
	for (uint32_t i = 0; i < a->n_whitelist; i++)
		assert_str(a->whitelist[i], b->whitelist[i]);
	assert_str(a->context, b->context);
	assert_int_equal(a->anonymized, b->anonymized);

	assert_true(a->packets_first_us == b->packets_first_us);
	assert_int_equal(a->packets_dropped, b->packets_dropped);
	assert_int_equal(a->n_packets, b->n_packets);
	for (uint32_t i = 0; i < a->n_packets; i++) {
		if (a->packets[i].time_us != b->packets[i].time_us ||
		    a->packets[i].flow_id != b->packets[i].flow_id ||
		    a->packets[i].size != b->packets[i].size)
			fail_msg("packet %u differs: %lld %d %u vs %lld %d %u", i,
				 (long long)a->packets[i].time_us, a->packets[i].flow_id,
				 a->packets[i].size, (long long)b->packets[i].time_us,
				 b->packets[i].flow_id, b->packets[i].size);
	}

	assert_true(a->flows_baseline_s == b->flows_baseline_s);
	assert_int_equal(a->flows_occupancy, b->flows_occupancy);
	assert_int_equal(a->flows_expired, b->flows_expired);
	assert_int_equal(a->flows_dropped, b->flows_dropped);
	assert_int_equal(a->n_flows, b->n_flows);
	for (uint32_t i = 0; i < a->n_flows; i++) {
		const struct bpass_flow *x = &a->flows[i], *y = &b->flows[i];
		assert_int_equal(x->flow_id, y->flow_id);
		assert_int_equal(x->src_anon, y->src_anon);
		assert_int_equal(x->dst_anon, y->dst_anon);
		assert_int_equal(x->proto, y->proto);
		assert_int_equal(x->src_port, y->src_port);
		assert_int_equal(x->dst_port, y->dst_port);
		assert_str(x->src_ip, y->src_ip);
		assert_str(x->dst_ip, y->dst_ip);
	}

	assert_int_equal(a->dns_dropped_a, b->dns_dropped_a);
	assert_int_equal(a->dns_dropped_cname, b->dns_dropped_cname);
	assert_int_equal(a->n_a_records, b->n_a_records);
	for (uint32_t i = 0; i < a->n_a_records; i++) {
		const struct bpass_a_record *x = &a->a_records[i], *y = &b->a_records[i];
		assert_int_equal(x->packet_id, y->packet_id);
		assert_int_equal(x->address_id, y->address_id);
		assert_int_equal(x->anonymized, y->anonymized);
		assert_int_equal(x->ttl, y->ttl);
		assert_str(x->domain, y->domain);
		assert_str(x->ip, y->ip);
	}
	assert_int_equal(a->n_cname_records, b->n_cname_records);
	for (uint32_t i = 0; i < a->n_cname_records; i++) {
		const struct bpass_cname_record *x = &a->cname_records[i], *y = &b->cname_records[i];
		assert_int_equal(x->packet_id, y->packet_id);
		assert_int_equal(x->address_id, y->address_id);
		assert_int_equal(x->domain_anonymized, y->domain_anonymized);
		assert_int_equal(x->cname_anonymized, y->cname_anonymized);
		assert_int_equal(x->legacy, y->legacy);
		assert_int_equal(x->ttl, y->ttl);
		assert_str(x->domain, y->domain);
		assert_str(x->cname, y->cname);
	}

	assert_int_equal(a->addresses_first_id, b->addresses_first_id);
	assert_int_equal(a->addresses_capacity, b->addresses_capacity);
	assert_int_equal(a->n_addresses, b->n_addresses);
	for (uint32_t i = 0; i < a->n_addresses; i++) {
		assert_str(a->addresses[i].mac, b->addresses[i].mac);
		assert_str(a->addresses[i].ip, b->addresses[i].ip);
	}

	assert_int_equal(a->has_drop_stats, b->has_drop_stats);
	assert_int_equal(a->n_drop_stats, b->n_drop_stats);
	for (uint32_t i = 0; i < a->n_drop_stats; i++) {
		assert_int_equal(a->drop_stats[i].size, b->drop_stats[i].size);
		assert_true(a->drop_stats[i].count == b->drop_stats[i].count);
	}

	assert_int_equal(a->has_http, b->has_http);
	assert_int_equal(a->http_dropped, b->http_dropped);
	assert_int_equal(a->n_http_urls, b->n_http_urls);
	for (uint32_t i = 0; i < a->n_http_urls; i++) {
		assert_int_equal(a->http_urls[i].flow_id, b->http_urls[i].flow_id);
		assert_int_equal(a->http_urls[i].reserved, b->http_urls[i].reserved);
		assert_str(a->http_urls[i].hash, b->http_urls[i].hash);
	}
}

/* The codec the tests encode with, warm from one update to the next, as the
 * indexer's are (created and freed by the group set-up and tear-down). */
static struct blob_codec *codec;

static int codec_new(void **state)
{
	(void)state;
	codec = blob_codec_new();
	return 0;
}

static int codec_free(void **state)
{
	(void)state;
	blob_codec_free(codec);
	return 0;
}

static void encode(const struct bpass_update *u, struct buf *out)
{
	assert_int_equal(blob_codec_encode(codec, u, out), 0);
}

/* Encodes u (after a prefix, to check that the codec appends), decodes it
 * into a fresh and into a reused update_buf and compares. Returns the size. */
static size_t round_trip(const struct bpass_update *u)
{
	struct buf out;
	buf_init(&out);
	buf_puts(&out, "pre");
	encode(u, &out);
	assert_memory_equal(out.data, "pre", 3);
	assert_int_equal(out.data[out.len], 0);
	size_t len = out.len - 3;

	/* The blob is copied: decode from a private copy freed right away. */
	char *copy = malloc(len);
	memcpy(copy, out.data + 3, len);
	struct update_buf b;
	struct update_error err;
	update_buf_init(&b);
	int rc = blob_decode(&b, copy, len, &err);
	free(copy);
	if (rc)
		fail_msg("decode failed: %s", err.msg);
	assert_string_equal(err.warning, "");
	assert_update_equal(u, &b.u);

	/* Same bytes again into the same buffers, after a different update. */
	struct bpass_update empty;
	memset(&empty, 0, sizeof(empty));
	empty.build_id = empty.node_id = empty.context = "";
	struct buf other;
	buf_init(&other);
	encode(&empty, &other);
	assert_int_equal(blob_decode(&b, other.data, other.len, &err), 0);
	assert_int_equal(blob_decode(&b, out.data + 3, len, NULL), 0);
	assert_update_equal(u, &b.u);

	/* A fresh codec gives the same bytes, and so does it warm. */
	struct blob_codec *c = blob_codec_new();
	struct buf again;
	buf_init(&again);
	blob_codec_encode(c, u, &again);
	blob_codec_encode(c, u, &again);
	assert_int_equal(again.len, 2 * len);
	assert_memory_equal(again.data, out.data + 3, len);
	assert_memory_equal(again.data + len, out.data + 3, len);
	blob_codec_free(c);

	buf_release(&again);
	buf_release(&other);
	buf_release(&out);
	update_buf_release(&b);
	return len;
}

static void empty_update(struct bpass_update *u)
{
	memset(u, 0, sizeof(*u));
	u->build_id = "";
	u->node_id = "";
	u->context = "";
}

/* ---------------------------------------------------------------------------
 * The worked examples of update-format.md §13, as the parser reads the
 * fixtures (tests/fixtures/spec/; test_parse.c checks every field of them)
 */

static const char *const spec_examples[] = {"v5-seq0", "v5-seq1", "v2-http"};

/* Parses tests/fixtures/spec/NAME.txt into p (parsed_release frees it). */
static const struct bpass_update *spec_example(struct parsed *p, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "tests/fixtures/spec/%s.txt", name);
	size_t len;
	char *text = fx_read_file(path, &len);
	assert_non_null(text);
	assert_int_equal(parse_bytes(p, text, len), 0);
	free(text);
	return &p->b.u;
}

/* §13.1 (a whitelist, a pcap line, every section), §13.2 (a negative delta,
 * empty DNS sections), §13.3 (a legacy v2 build: 6-field CNAME, clear IPs,
 * the glued HTTP block). */
static void test_spec_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spec_examples) / sizeof(spec_examples[0]); i++) {
		struct parsed p;
		round_trip(spec_example(&p, spec_examples[i]));
		parsed_release(&p);
	}
}

static void test_empty(void **state)
{
	(void)state;
	struct bpass_update u;
	empty_update(&u);
	/* 6 header bytes; 8 one-byte intro and packet varints (flags, version,
	 * session, sequence, timestamp, first time, dropped, count); the string
	 * table of one empty text string: count, kind bitmap, text length,
	 * text mode, its NUL (5); three one-byte string references (new, then
	 * twice a repeat); the whitelist count; flows 5, DNS 4, addresses 3,
	 * drops 1, HTTP 2: 6 + 8 + 5 + 3 + 1 + 5 + 4 + 3 + 1 + 2 = 38. */
	size_t len = round_trip(&u);
	assert_int_equal(len, 38);

	/* Only flags set. */
	u.has_pcap = u.anonymized = u.has_drop_stats = u.has_http = true;
	round_trip(&u);
}

static void test_unanonymized(void **state)
{
	(void)state;
	static const struct bpass_flow flows[] = {
		{ 7, 1, 1, 6, 1, 2, "c0a80101", "a000001" },
	};
	static const struct bpass_cname_record cn[] = {
		{ 0, 3, 0, 0, 0, 60, "a.example", "b.example" },
	};
	struct bpass_packet pk[1] = { { 1000, 7, 60 } };
	struct bpass_update u;
	empty_update(&u);
	u.version = 4;
	u.build_id = "some build (dev)";
	u.node_id = "OWC43DC78EE081";
	u.session_id = 5;
	u.context = BPASS_UNANONYMIZED;
	u.anonymized = false;
	u.packets_first_us = 1000;
	u.packets = pk;
	u.n_packets = 1;
	u.flows = flows;
	u.n_flows = 1;
	u.cname_records = cn;
	u.n_cname_records = 1;
	round_trip(&u);
}

/* int64/int32/uint32/uint64/uint16/uint8 extremes in every field. */
static void test_extremes(void **state)
{
	(void)state;
	static const char *wl[] = { "", "x", "" };
	struct bpass_packet pk[8] = {
		{ INT64_MIN, INT32_MIN, 0 },     { INT64_MAX, INT32_MAX, 65535 },
		{ INT64_MIN, -1, 1 },            { 0, 0, 65534 },
		{ -1, 65535, 42 },               { INT64_MAX, INT32_MIN, 65535 },
		{ INT64_MAX - 1, 7, 0 },         { INT64_MIN + 1, -1, 32768 },
	};
	static const struct bpass_flow flows[] = {
		{ INT32_MAX, 255, 254, 255, 65535, 65535, "ffffffffffffffff", "0" },
		{ INT32_MIN, 0, 1, 0, 0, 0, "", "" },
		{ 0, 2, 0, 1, 1, 1, "a", "abc" },
		{ INT32_MAX, 1, 1, 6, 1, 1, "1", "F" },
	};
	static const struct bpass_a_record a[] = {
		{ UINT32_MAX, UINT32_MAX, 255, INT32_MIN, "", "" },
		{ 65535, 255, 1, INT32_MAX, ".", "0123456789abcdef" },
	};
	static const struct bpass_cname_record cn[] = {
		{ UINT32_MAX, UINT32_MAX, 255, 254, 253, INT32_MIN, "", "" },
		{ 0, 0, 1, 0, 1, -1, "a", "b" },
		{ 0, 0, 0, 1, 0, INT32_MAX, "ab", "ab" },
	};
	static const struct bpass_address addr[] = { { "", "" }, { "AABBCC", "ff" } };
	static const struct bpass_drop_stat drops[] = {
		{ 0, 0 }, { UINT32_MAX, UINT64_MAX }, { 1500, 1 },
	};
	static const struct bpass_http_url http[] = {
		{ INT32_MIN, UINT32_MAX, "" }, { INT32_MAX, 0, "00" }, { -1, 1, "0" },
	};
	struct bpass_update u;
	empty_update(&u);
	u.version = INT32_MIN;
	u.session_id = INT64_MIN;
	u.sequence = INT32_MAX;
	u.timestamp_s = INT64_MAX;
	u.has_pcap = true;
	u.pcap_received = UINT32_MAX;
	u.pcap_dropped = UINT32_MAX - 1;
	u.iface_dropped = 1;
	u.whitelist = wl;
	u.n_whitelist = 3;
	u.packets_first_us = INT64_MAX;
	u.packets_dropped = UINT32_MAX;
	u.packets = pk;
	u.n_packets = 8;
	u.flows_baseline_s = INT64_MIN;
	u.flows_occupancy = UINT32_MAX;
	u.flows_expired = UINT32_MAX;
	u.flows_dropped = UINT32_MAX;
	u.flows = flows;
	u.n_flows = 4;
	u.dns_dropped_a = UINT32_MAX;
	u.dns_dropped_cname = UINT32_MAX;
	u.a_records = a;
	u.n_a_records = 2;
	u.cname_records = cn;
	u.n_cname_records = 3;
	u.addresses_first_id = UINT32_MAX;
	u.addresses_capacity = UINT32_MAX;
	u.addresses = addr;
	u.n_addresses = 2;
	u.has_drop_stats = true;
	u.drop_stats = drops;
	u.n_drop_stats = 3;
	u.has_http = true;
	u.http_dropped = UINT32_MAX;
	u.http_urls = http;
	u.n_http_urls = 3;
	round_trip(&u);

	u.version = INT32_MAX;
	u.session_id = INT64_MAX;
	u.sequence = INT32_MIN;
	u.timestamp_s = INT64_MIN;
	u.packets_first_us = INT64_MIN;
	u.flows_baseline_s = INT64_MAX;
	round_trip(&u);
}

/* Strings of every byte value 1-255, hex-like strings of every length,
 * uppercase hex, long strings, repeated strings. */
static void test_strings(void **state)
{
	(void)state;
	char all[256];
	for (int i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = 0;
	char hex[41][41];
	const char *wl[100];
	uint32_t n = 0;
	for (int len = 0; len <= 40; len++) {
		for (int j = 0; j < len; j++)
			hex[len][j] = "0123456789abcdef"[(len * 7 + j * 3) % 16];
		hex[len][len] = 0;
		wl[n++] = hex[len];
	}
	wl[n++] = all;
	wl[n++] = "ABCDEF";
	wl[n++] = "abcdeg";
	wl[n++] = " ";
	wl[n++] = "\n\r\t";
	wl[n++] = "\xff\xfe";
	wl[n++] = hex[40];   /* a repeat */
	wl[n++] = all;
	wl[n++] = "0";
	wl[n++] = "00";
	wl[n++] = "000";
	char *big = malloc(200001);
	memset(big, 'q', 200000);
	big[200000] = 0;
	wl[n++] = big;
	char *bighex = malloc(100002);
	for (int j = 0; j < 100001; j++)
		bighex[j] = "0123456789abcdef"[j % 16];
	bighex[100001] = 0;
	wl[n++] = bighex;

	struct bpass_update u;
	empty_update(&u);
	u.build_id = all;
	u.node_id = "d41d8cd98f00b204e9800998ecf8427e";
	u.context = "";
	u.whitelist = wl;
	u.n_whitelist = n;
	round_trip(&u);
	free(big);
	free(bighex);
}

/* The encoder tells lowercase hex from other strings 8 bytes at a time:
 * every byte value (the ones next to '0'-'9' and 'a'-'f' in particular, and
 * those of bit 7 set) at the start, middle and end of strings of every
 * length up to 17 (two words and a tail), must come back as it was. */
static void test_hex_edges(void **state)
{
	(void)state;
	enum { MAXLEN = 17, N = MAXLEN * 3 * 255 + MAXLEN };
	char *pool = malloc((size_t)N * (MAXLEN + 1));
	const char **wl = malloc(N * sizeof(*wl));
	uint32_t n = 0;
	for (int len = 1; len <= MAXLEN; len++) {
		char base[MAXLEN + 1];
		for (int j = 0; j < len; j++)
			base[j] = "0123456789abcdef"[(len * 5 + j * 7) % 16];
		base[len] = 0;
		char *s = pool + (size_t)n * (MAXLEN + 1);
		memcpy(s, base, (size_t)len + 1);
		wl[n++] = s;
		const int at[3] = { 0, len / 2, len - 1 };
		for (int k = 0; k < 3; k++)
			for (int b = 1; b < 256; b++) {
				s = pool + (size_t)n * (MAXLEN + 1);
				memcpy(s, base, (size_t)len + 1);
				s[at[k]] = (char)b;
				wl[n++] = s;
			}
	}
	assert_true(n <= N);
	struct bpass_update u;
	empty_update(&u);
	u.whitelist = wl;
	u.n_whitelist = n;
	round_trip(&u);
	free(wl);
	free(pool);
}

static void make_packets(struct bpass_packet *pk, uint32_t n, uint64_t seed, int kind)
{
	uint64_t x = seed * 2654435761u + 1;
	int64_t t = 1337104801034112;
	for (uint32_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (kind) {
		case 0: /* constant everything */
			t += 10;
			pk[i] = (struct bpass_packet){ t, 7, 60 };
			break;
		case 1: /* random, occasionally backwards */
			t += (int64_t)(x % 100000) - (x % 97 == 0 ? 200000 : 0);
			pk[i] = (struct bpass_packet){ t, (int32_t)(x >> 40) % 70000 - 1,
						       (uint16_t)(x >> 20) };
			break;
		default: /* realistic-ish: few sizes, a few busy flows */
			t += (int64_t)(x % 50001);
			pk[i] = (struct bpass_packet){ t,
				(x >> 33) % 10 < 8 ? (int32_t)(1000 + (x >> 37) % 3) : (int32_t)((x >> 40) % 300),
				(x >> 50) % 3 == 0 ? 66 : (x >> 50) % 3 == 1 ? 1514 : (uint16_t)(42 + (x >> 20) % 1473) };
		}
	}
}

static void test_many_packets(void **state)
{
	(void)state;
	uint32_t sizes[] = { 1, 2, 3, 100, 65535, 65536, 65537, 70000 };
	struct bpass_packet *pk = malloc(70000 * sizeof(*pk));
	for (int kind = 0; kind < 3; kind++)
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			make_packets(pk, sizes[k], k + 1, kind);
			struct bpass_update u;
			empty_update(&u);
			u.version = 5;
			u.packets_first_us = pk[0].time_us - 5;
			u.packets = pk;
			u.n_packets = sizes[k];
			size_t len = round_trip(&u);
			/* Constant packets cost less than a byte each up to the 65536
			 * limit, then at least one byte each. */
			if (kind == 0 && sizes[k] <= 65536)
				assert_true(len < 64 + sizes[k]);
			if (kind == 0 && sizes[k] > 65536)
				assert_true(len >= sizes[k]);
		}
	free(pk);
}

/* An invertible 64-bit mix (MurmurHash3's finalizer): distinct in, distinct out. */
static uint64_t fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* A full flow table (65,529 flows, §9) of distinct 16-hex IPs, plus full
 * DNS and address sections of distinct names: over 130,000 distinct strings
 * of equal length, enough that some share a 32-bit hash. Every string must
 * come back as itself, never as another string of its hash. */
static void test_many_distinct_strings(void **state)
{
	(void)state;
	enum { FLOWS = 65529, DNS = 1024, ADDRS = 256 };
	char (*ips)[17] = malloc((size_t)(2 * FLOWS + DNS + 2 * ADDRS) * sizeof(*ips));
	char (*names)[41] = malloc((size_t)3 * DNS * sizeof(*names));
	struct bpass_flow *flows = calloc(FLOWS, sizeof(*flows));
	struct bpass_a_record *a = calloc(DNS, sizeof(*a));
	struct bpass_cname_record *cn = calloc(DNS, sizeof(*cn));
	struct bpass_address *ad = calloc(ADDRS, sizeof(*ad));
	uint32_t k = 0;
	for (uint32_t i = 0; i < 2 * FLOWS + DNS + 2 * ADDRS; i++)
		snprintf(ips[i], sizeof(ips[i]), "%016llx", (unsigned long long)fmix64(i));
	for (uint32_t i = 0; i < 3 * DNS; i++)
		snprintf(names[i], sizeof(names[i]), "%016llx%016llx%08x",
			 (unsigned long long)fmix64(i + (1ull << 40)),
			 (unsigned long long)fmix64(i + (1ull << 41)), i);
	for (uint32_t i = 0; i < FLOWS; i++) {
		flows[i] = (struct bpass_flow){ (int32_t)(7 + i), 1, 1, 6, 1024, 80,
						ips[k], ips[k + 1] };
		k += 2;
	}
	for (uint32_t i = 0; i < DNS; i++) {
		a[i] = (struct bpass_a_record){ i, i % 256, 1, 300, names[3 * i], ips[k++] };
		cn[i] = (struct bpass_cname_record){ i, i % 256, 1, 1, 0, 60, names[3 * i + 1],
						     names[3 * i + 2] };
	}
	for (uint32_t i = 0; i < ADDRS; i++) {
		ad[i] = (struct bpass_address){ ips[k], ips[k + 1] };
		k += 2;
	}
	struct bpass_update u;
	empty_update(&u);
	u.version = 5;
	u.flows = flows;
	u.n_flows = FLOWS;
	u.a_records = a;
	u.n_a_records = DNS;
	u.cname_records = cn;
	u.n_cname_records = DNS;
	u.addresses_capacity = 256;
	u.addresses = ad;
	u.n_addresses = ADDRS;
	round_trip(&u);
	free(ips);
	free(names);
	free(flows);
	free(a);
	free(cn);
	free(ad);
}

/* Time columns of every width up to 64 bits: deltas that need w bits once
 * zigzagged (so the column is w wide), for n values that cross many 64-bit
 * words. Times wrap; any values must round-trip (blob.c). */
static void test_wide_columns(void **state)
{
	(void)state;
	static struct bpass_packet pk[100];
	uint32_t counts[] = { 1, 2, 3, 7, 64, 100 };
	for (unsigned w = 2; w <= 64; w++)
		for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
			uint64_t t = 0x0123456789abcdefull;
			for (uint32_t i = 0; i < counts[k]; i++) {
				/* 2^(w-2) <= delta < 2^(w-1): zigzag has exactly w bits. */
				uint64_t d = (1ull << (w - 2)) + (((uint64_t)i * 2654435761u) &
								  ((1ull << (w - 2)) - 1));
				t += d;
				pk[i] = (struct bpass_packet){ (int64_t)t, (int32_t)i, (uint16_t)i };
			}
			struct bpass_update u;
			empty_update(&u);
			u.version = 5;
			u.packets_first_us = 0x0123456789abcdefll;
			u.packets = pk;
			u.n_packets = counts[k];
			round_trip(&u);
		}
}

/* Size dictionary: 1, 2, 15, 16 and 65536 distinct sizes; flows likewise. */
static void test_size_and_flow_dictionaries(void **state)
{
	(void)state;
	uint32_t distinct[] = { 1, 2, 3, 4, 7, 8, 15, 16, 17, 300, 65536 };
	uint32_t n = 65536;
	struct bpass_packet *pk = malloc(n * sizeof(*pk));
	for (size_t k = 0; k < sizeof(distinct) / sizeof(distinct[0]); k++) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t d = distinct[k];
			/* Skewed: half the packets on value 0, the rest spread. */
			uint32_t v = i % 2 ? 0 : (i / 2) % d;
			pk[i] = (struct bpass_packet){ (int64_t)i * 3, (int32_t)(v * 7919u) - 5,
						       (uint16_t)(v * 40503u) };
		}
		struct bpass_update u;
		empty_update(&u);
		u.packets = pk;
		u.n_packets = n;
		round_trip(&u);
	}
	free(pk);
}

/* ---------------------------------------------------------------------------
 * Random updates
 */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static uint64_t rnd_value(struct rng *r)
{
	switch (rnd(r) % 4) {
	case 0: return rnd(r) % 4;
	case 1: return rnd(r) % 70000;
	case 2: return rnd(r) >> (rnd(r) % 64);
	default: return rnd(r);
	}
}

#define POOL 64
struct rand_update {
	struct bpass_update u;
	char pool[POOL][48];
	const char *wl[20];
	struct bpass_packet pk[3000];
	struct bpass_flow fl[20];
	struct bpass_a_record a[20];
	struct bpass_cname_record cn[20];
	struct bpass_address ad[20];
	struct bpass_drop_stat ds[20];
	struct bpass_http_url hu[20];
};

static const char *rnd_str(struct rng *r, struct rand_update *ru)
{
	return ru->pool[rnd(r) % POOL];
}

static void random_update(struct rng *r, struct rand_update *ru)
{
	for (int i = 0; i < POOL; i++) {
		size_t len = rnd(r) % 47;
		int kind = (int)(rnd(r) % 3);
		for (size_t j = 0; j < len; j++)
			ru->pool[i][j] = kind == 0 ? "0123456789abcdef"[rnd(r) % 16] :
					 kind == 1 ? (char)('A' + rnd(r) % 26) : (char)(1 + rnd(r) % 255);
		ru->pool[i][len] = 0;
	}
	struct bpass_update *u = &ru->u;
	empty_update(u);
	u->version = (int32_t)rnd_value(r);
	u->build_id = rnd_str(r, ru);
	u->node_id = rnd_str(r, ru);
	u->session_id = (int64_t)rnd_value(r);
	u->sequence = (int32_t)rnd_value(r);
	u->timestamp_s = (int64_t)rnd_value(r);
	u->has_pcap = rnd(r) & 1;
	if (u->has_pcap) {
		u->pcap_received = (uint32_t)rnd_value(r);
		u->pcap_dropped = (uint32_t)rnd_value(r);
		u->iface_dropped = (uint32_t)rnd_value(r);
	}
	u->n_whitelist = (uint32_t)(rnd(r) % 21);
	for (uint32_t i = 0; i < u->n_whitelist; i++)
		ru->wl[i] = rnd_str(r, ru);
	u->whitelist = ru->wl;
	u->context = rnd_str(r, ru);
	u->anonymized = rnd(r) & 1;
	u->packets_first_us = (int64_t)rnd_value(r);
	u->packets_dropped = (uint32_t)rnd_value(r);
	u->n_packets = (uint32_t)(rnd(r) % 3001);
	int64_t t = u->packets_first_us;
	int mode = (int)(rnd(r) % 3);
	for (uint32_t i = 0; i < u->n_packets; i++) {
		t = (int64_t)((uint64_t)t + (mode == 0 ? rnd(r) % 50000 : rnd_value(r)));
		ru->pk[i].time_us = t;
		ru->pk[i].flow_id = mode == 2 ? (int32_t)rnd_value(r) : (int32_t)(rnd(r) % 30) - 1;
		ru->pk[i].size = mode == 2 ? (uint16_t)rnd(r) : (uint16_t)(rnd(r) % 4 ? 66 : rnd(r) % 1600);
	}
	u->packets = ru->pk;
	u->flows_baseline_s = (int64_t)rnd_value(r);
	u->flows_occupancy = (uint32_t)rnd_value(r);
	u->flows_expired = (uint32_t)rnd_value(r);
	u->flows_dropped = (uint32_t)rnd_value(r);
	u->n_flows = (uint32_t)(rnd(r) % 21);
	for (uint32_t i = 0; i < u->n_flows; i++)
		ru->fl[i] = (struct bpass_flow){ (int32_t)rnd_value(r), (uint8_t)(rnd(r) % 3),
			(uint8_t)rnd_value(r), (uint8_t)rnd(r), (uint16_t)rnd(r), (uint16_t)rnd(r),
			rnd_str(r, ru), rnd_str(r, ru) };
	u->flows = ru->fl;
	u->dns_dropped_a = (uint32_t)rnd_value(r);
	u->dns_dropped_cname = (uint32_t)rnd_value(r);
	u->n_a_records = (uint32_t)(rnd(r) % 21);
	for (uint32_t i = 0; i < u->n_a_records; i++)
		ru->a[i] = (struct bpass_a_record){ (uint32_t)rnd_value(r), (uint32_t)rnd_value(r),
			(uint8_t)(rnd(r) % 3), (int32_t)rnd_value(r), rnd_str(r, ru), rnd_str(r, ru) };
	u->a_records = ru->a;
	u->n_cname_records = (uint32_t)(rnd(r) % 21);
	for (uint32_t i = 0; i < u->n_cname_records; i++)
		ru->cn[i] = (struct bpass_cname_record){ (uint32_t)rnd_value(r), (uint32_t)rnd_value(r),
			(uint8_t)(rnd(r) % 3), (uint8_t)(rnd(r) % 2), (uint8_t)(rnd(r) % 2),
			(int32_t)rnd_value(r), rnd_str(r, ru), rnd_str(r, ru) };
	u->cname_records = ru->cn;
	u->addresses_first_id = (uint32_t)rnd_value(r);
	u->addresses_capacity = (uint32_t)rnd_value(r);
	u->n_addresses = (uint32_t)(rnd(r) % 21);
	for (uint32_t i = 0; i < u->n_addresses; i++)
		ru->ad[i] = (struct bpass_address){ rnd_str(r, ru), rnd_str(r, ru) };
	u->addresses = ru->ad;
	u->has_drop_stats = rnd(r) & 1;
	u->n_drop_stats = (uint32_t)(rnd(r) % 21);
	for (uint32_t i = 0; i < u->n_drop_stats; i++)
		ru->ds[i] = (struct bpass_drop_stat){ (uint32_t)rnd_value(r), rnd_value(r) };
	u->drop_stats = ru->ds;
	u->has_http = rnd(r) & 1;
	u->http_dropped = (uint32_t)rnd_value(r);
	u->n_http_urls = (uint32_t)(rnd(r) % 21);
	for (uint32_t i = 0; i < u->n_http_urls; i++)
		ru->hu[i] = (struct bpass_http_url){ (int32_t)rnd_value(r), (uint32_t)rnd_value(r),
			rnd_str(r, ru) };
	u->http_urls = ru->hu;
}

static uint64_t test_seed(void)
{
	const char *s = getenv("BLOB_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 10) : 20240601;
	printf("# blob seed %llu (set BLOB_SEED to replay)\n", (unsigned long long)seed);
	return seed ? seed : 1;
}

static void test_random_round_trips(void **state)
{
	(void)state;
	struct rng r = { test_seed() };
	struct rand_update *ru = malloc(sizeof(*ru));
	for (int k = 0; k < 300; k++) {
		random_update(&r, ru);
		round_trip(&ru->u);
	}
	free(ru);
}

/* ---------------------------------------------------------------------------
 * Corrupt blobs
 */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Rewrites the CRC so that the payload decoder itself gets tested. */
static void fix_crc(uint8_t *p, size_t len)
{
	uint32_t c = (uint32_t)crc32(0, p + 6, (uInt)(len - 6));
	p[2] = (uint8_t)c;
	p[3] = (uint8_t)(c >> 8);
	p[4] = (uint8_t)(c >> 16);
	p[5] = (uint8_t)(c >> 24);
}

/* Every prefix and every single-bit flip fails; with the CRC forged, the
 * payload decoder must still fail cleanly or produce a struct that
 * re-encodes and decodes to itself. */
static void check_corruptions(const struct buf *blob, bool flips)
{
	const uint8_t *orig = (const uint8_t *)blob->data;
	size_t len = blob->len;
	struct update_buf b;
	struct update_error err;
	update_buf_init(&b);
	assert_int_equal(blob_decode(&b, orig, len, &err), 0);
	assert_int_equal(le32(orig + 2), (uint32_t)crc32(0, orig + 6, (uInt)(len - 6)));

	for (size_t k = 0; k < len; k++) {
		uint8_t *cut = malloc(k ? k : 1);   /* exact size: ASan sees over-reads */
		memcpy(cut, orig, k);
		err.msg[0] = 0;
		assert_int_equal(blob_decode(&b, cut, k, &err), -1);
		assert_true(strlen(err.msg) > 0);
		assert_int_equal(b.u.n_packets, 0);
		assert_non_null(b.u.context);
		/* Forged CRC: the payload decoder meets the truncation. */
		if (k >= 6) {
			fix_crc(cut, k);
			assert_int_equal(blob_decode(&b, cut, k, &err), -1);
		}
		free(cut);
	}
	if (!flips)
		goto out;
	uint8_t *m = malloc(len);
	struct buf re;
	buf_init(&re);
	for (size_t bit = 0; bit < len * 8; bit++) {
		memcpy(m, orig, len);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(blob_decode(&b, m, len, &err), -1);
		if (bit >= 48) {
			fix_crc(m, len);
			if (blob_decode(&b, m, len, &err) == 0) {
				buf_reset(&re);
				encode(&b.u, &re);
				struct update_buf b2;
				update_buf_init(&b2);
				assert_int_equal(blob_decode(&b2, re.data, re.len, &err), 0);
				assert_update_equal(&b.u, &b2.u);
				update_buf_release(&b2);
			} else {
				assert_true(strlen(err.msg) > 0);
			}
		}
	}
	buf_release(&re);
	free(m);
out:
	update_buf_release(&b);
}

static void test_corrupt_blobs(void **state)
{
	(void)state;
	struct parsed ex;
	struct buf blob;
	buf_init(&blob);
	encode(spec_example(&ex, "v5-seq0"), &blob);
	parsed_release(&ex);
	check_corruptions(&blob, true);

	buf_reset(&blob);
	struct bpass_update e;
	empty_update(&e);
	encode(&e, &blob);
	check_corruptions(&blob, true);
	buf_release(&blob);
}

static void test_bad_headers(void **state)
{
	(void)state;
	struct parsed ex;
	struct buf blob;
	buf_init(&blob);
	encode(spec_example(&ex, "v5-seq0"), &blob);
	parsed_release(&ex);
	struct update_buf b;
	struct update_error err;
	update_buf_init(&b);

	uint8_t *p = (uint8_t *)blob.data;
	p[0] = 9;
	assert_int_equal(blob_decode(&b, p, blob.len, &err), -1);
	assert_string_equal(err.msg, "unsupported blob format version 9");
	assert_int_equal(err.section, UPDATE_SECTION_NONE);
	p[0] = 1;
	p[1] = 0x40;
	assert_int_equal(blob_decode(&b, p, blob.len, &err), -1);
	assert_string_equal(err.msg, "corrupt blob: unknown flags 0x40");
	p[1] = 0;
	p[7] ^= 1;
	assert_int_equal(blob_decode(&b, p, blob.len, &err), -1);
	assert_string_equal(err.msg, "corrupt blob: checksum mismatch");
	p[7] ^= 1;
	assert_int_equal(blob_decode(&b, p, 3, &err), -1);
	assert_string_equal(err.msg, "corrupt blob: 3 bytes, too short");
	assert_int_equal(blob_decode(&b, p, 0, NULL), -1);

	/* Trailing garbage after a valid payload (CRC forged). */
	buf_append(&blob, "x", 1);
	p = (uint8_t *)blob.data;
	fix_crc(p, blob.len);
	assert_int_equal(blob_decode(&b, p, blob.len, &err), -1);
	assert_string_equal(err.msg, "corrupt blob: 1 trailing bytes");
	assert_int_equal(blob_decode(&b, p, blob.len - 1, &err), -1);   /* CRC now wrong */

	/* Update flags beyond the four known ones (CRC forged): byte 6 is the
	 * flags varint, 0x07 here (pcap line, anonymized, drop section). */
	assert_int_equal(p[6], 0x07);
	p[6] = 0x17;
	fix_crc(p, blob.len - 1);
	assert_int_equal(blob_decode(&b, p, blob.len - 1, &err), -1);
	assert_string_equal(err.msg, "corrupt blob: unknown update flags 0x17");
	assert_int_equal(err.section, UPDATE_SECTION_INTRO);
	p[6] = 0x07;

	/* A forged huge packet count with zero-width columns must not allocate. */
	uint8_t forged[64];
	size_t n = 0;
	forged[n++] = 1;
	forged[n++] = 0;
	n += 4;
	forged[n++] = 0;              /* update flags */
	forged[n++] = 0;              /* version */
	forged[n++] = 0;              /* session */
	forged[n++] = 0;              /* sequence */
	forged[n++] = 0;              /* timestamp */
	forged[n++] = 0;              /* first us */
	forged[n++] = 0;              /* dropped */
	forged[n++] = 0xff;           /* n_packets = 2^32 - 1 */
	forged[n++] = 0xff;
	forged[n++] = 0xff;
	forged[n++] = 0xff;
	forged[n++] = 0x0f;
	forged[n++] = 0;              /* time column width 0 */
	forged[n++] = 0;              /* no exceptions */
	fix_crc(forged, n);
	assert_int_equal(blob_decode(&b, forged, n, &err), -1);
	assert_non_null(strstr(err.msg, "packets in a column of width 0"));
	assert_int_equal(err.section, UPDATE_SECTION_PACKETS);

	/* A column wider than 64 bits: one packet, time column width 65. */
	n = 13;
	forged[n++] = 1;              /* n_packets */
	forged[n++] = 65;             /* time column width */
	forged[n++] = 0;
	fix_crc(forged, n);
	assert_int_equal(blob_decode(&b, forged, n, &err), -1);
	assert_string_equal(err.msg, "corrupt blob: time column width 65");
	assert_int_equal(err.section, UPDATE_SECTION_PACKETS);

	/* A port beyond 16 bits: the flow's source port 65535 (varint ff ff 03)
	 * rewritten as 65536 (80 80 04), CRC forged. */
	static const struct bpass_flow one_flow[] = {
		{ 7, 1, 1, 6, 65535, 80, "d80a91fad852ec49", "6315897dcc4446c3" },
	};
	struct bpass_update f;
	empty_update(&f);
	f.version = 5;
	f.flows = one_flow;
	f.n_flows = 1;
	buf_reset(&blob);
	encode(&f, &blob);
	p = (uint8_t *)blob.data;
	uint8_t *port = memmem(p + 6, blob.len - 6, "\xff\xff\x03\x50", 4);
	assert_non_null(port);
	assert_null(memmem(port + 1, blob.len - (size_t)(port + 1 - p), "\xff\xff\x03", 3));
	assert_int_equal(blob_decode(&b, p, blob.len, &err), 0);
	assert_int_equal(b.u.flows[0].src_port, 65535);
	memcpy(port, "\x80\x80\x04", 3);
	fix_crc(p, blob.len);
	assert_int_equal(blob_decode(&b, p, blob.len, &err), -1);
	assert_string_equal(err.msg, "corrupt blob: port out of range");
	assert_int_equal(err.section, UPDATE_SECTION_FLOWS);

	buf_release(&blob);
	update_buf_release(&b);
}

/* ---------------------------------------------------------------------------
 * Deflate for string-heavy updates, and the size target
 */

static const char *const domains[] = {
	"google.com", "facebook.com", "youtube.com", "yahoo.com", "amazon.com", "wikipedia.org",
	"twitter.com", "ebay.com", "linkedin.com", "msn.com", "bing.com", "live.com",
	"apple.com", "microsoft.com", "netflix.com", "cnn.com", "nytimes.com", "espn.go.com",
};

static void test_deflated_whitelist(void **state)
{
	(void)state;
	char names[186][40];
	const char *wl[186];
	for (int i = 0; i < 186; i++) {
		snprintf(names[i], sizeof(names[i]), "%s%d.%s", i % 3 ? "cdn" : "www", i,
			 domains[i % 18]);
		wl[i] = names[i];
	}
	struct parsed ex;
	struct bpass_update u = *spec_example(&ex, "v5-seq0");
	u.whitelist = wl;
	u.n_whitelist = 186;
	struct buf blob;
	buf_init(&blob);
	encode(&u, &blob);
	size_t raw = 0;
	for (int i = 0; i < 186; i++)
		raw += strlen(names[i]);
	assert_true(blob.len < raw / 2);   /* deflated */
	round_trip(&u);
	check_corruptions(&blob, false);

	/* Corrupt deflate data under a forged CRC. */
	struct update_buf b;
	struct update_error err;
	update_buf_init(&b);
	uint8_t *p = (uint8_t *)blob.data;
	for (size_t k = 8; k < blob.len; k += 3) {
		p[k] ^= 0x5a;
		fix_crc(p, blob.len);
		if (blob_decode(&b, p, blob.len, &err) != 0)
			assert_true(strlen(err.msg) > 0);
		p[k] ^= 0x5a;
	}
	update_buf_release(&b);
	buf_release(&blob);
	parsed_release(&ex);
}

/* gzip as the router writes it: gzopen("wb"), default level. */
static size_t gzip_size(const struct buf *text)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	uLong bound = deflateBound(&z, (uLong)text->len);
	unsigned char *out = malloc(bound);
	z.next_in = (Bytef *)text->data;
	z.avail_in = (uInt)text->len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = z.total_out;
	deflateEnd(&z);
	free(out);
	return n;
}

/* A realistic 1000-packet update: random 0-50 ms gaps, sizes 66/1514/other,
 * ~20 flows, their flow-table lines and a few DNS records. */
struct realistic {
	struct bpass_update u;
	struct bpass_packet pk[1000];
	struct bpass_flow fl[20];
	char ips[21][17];
	struct bpass_a_record a[4];
	char dom[4][41];
};

static void hexstr(struct rng *r, char *s, int len)
{
	for (int i = 0; i < len; i++)
		s[i] = "0123456789abcdef"[rnd(r) % 16];
	s[len] = 0;
}

static void realistic_update(struct realistic *x, uint64_t seed)
{
	struct rng r = { seed };
	struct bpass_update *u = &x->u;
	empty_update(u);
	u->version = 5;
	u->build_id = "UNKNOWN";
	u->node_id = "OW0123456789AB";
	u->session_id = 1337104800512345;
	u->sequence = 42;
	u->timestamp_s = 1337106090;
	u->has_pcap = true;
	u->pcap_received = 123456;
	u->context = "d8ed5acebaa9c7d364d16687864ccc2666576188";
	u->anonymized = true;
	for (int i = 0; i < 21; i++)
		hexstr(&r, x->ips[i], 16);
	int32_t ids[20];
	for (int i = 0; i < 20; i++) {
		ids[i] = 7 + (int32_t)((uint32_t)i * 3271u + (uint32_t)(rnd(&r) % 3000));
		x->fl[i] = (struct bpass_flow){ ids[i], 1, 1, i % 4 ? 6 : 17,
			(uint16_t)(i % 2 ? 443 : 30000 + rnd(&r) % 30000),
			(uint16_t)(i % 2 ? 30000 + rnd(&r) % 30000 : 443),
			x->ips[i % 2 ? 1 + i : 0], x->ips[i % 2 ? 0 : 1 + i] };
	}
	u->flows = x->fl;
	u->n_flows = 20;
	u->flows_baseline_s = 1337106060;
	u->flows_occupancy = 97;
	u->packets_first_us = 1337106060000000 + (int64_t)(rnd(&r) % 1000000);
	int64_t t = u->packets_first_us;
	for (int i = 0; i < 1000; i++) {
		if (i)
			t += (int64_t)(rnd(&r) % 50001);
		uint64_t s = rnd(&r) % 10;
		uint16_t size = s < 4 ? 66 : s < 7 ? 1514 : (uint16_t)(42 + rnd(&r) % 1473);
		x->pk[i] = (struct bpass_packet){ t, ids[rnd(&r) % 20], size };
	}
	u->packets = x->pk;
	u->n_packets = 1000;
	for (int i = 0; i < 4; i++) {
		hexstr(&r, x->dom[i], 40);
		x->a[i] = (struct bpass_a_record){ (uint32_t)(i * 100), 0, 1, 300, x->dom[i],
						   x->ips[1 + 2 * i] };
	}
	u->a_records = x->a;
	u->n_a_records = 4;
	u->addresses_first_id = 3;
	u->addresses_capacity = 256;
	u->has_drop_stats = true;
}

static void test_smaller_than_gzip(void **state)
{
	(void)state;
	struct realistic *x = malloc(sizeof(*x));
	struct buf text, blob;
	buf_init(&text);
	buf_init(&blob);
	size_t total_blob = 0, total_gz = 0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		realistic_update(x, seed);
		buf_reset(&text);
		buf_reset(&blob);
		update_format_text(&x->u, &text);
		size_t gz = gzip_size(&text);
		encode(&x->u, &blob);
		if (seed == 1)
			printf("# 1000-packet update: text %zu bytes, gzip %zu, blob %zu\n",
			       text.len, gz, blob.len);
		assert_true(blob.len < gz);
		total_blob += blob.len;
		total_gz += gz;
		round_trip(&x->u);
	}
	assert_true(total_blob < total_gz);

	/* The §13 examples: tiny, and the seq-0 one carries a whitelist, so
	 * only their total is held to the gzip size. */
	size_t ex_blob = 0, ex_gz = 0;
	for (size_t k = 0; k < sizeof(spec_examples) / sizeof(spec_examples[0]); k++) {
		struct parsed ex;
		const struct bpass_update *u = spec_example(&ex, spec_examples[k]);
		buf_reset(&text);
		buf_reset(&blob);
		buf_append(&text, ex.text, ex.len);
		encode(u, &blob);
		size_t gz = gzip_size(&text);
		printf("# example %s: text %zu bytes, gzip %zu, blob %zu\n", spec_examples[k],
		       text.len, gz, blob.len);
		ex_blob += blob.len;
		ex_gz += gz;
		parsed_release(&ex);
	}
	assert_true(ex_blob < ex_gz);

	buf_release(&text);
	buf_release(&blob);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_spec_examples),
		cmocka_unit_test(test_unanonymized),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_hex_edges),
		cmocka_unit_test(test_many_packets),
		cmocka_unit_test(test_many_distinct_strings),
		cmocka_unit_test(test_wide_columns),
		cmocka_unit_test(test_size_and_flow_dictionaries),
		cmocka_unit_test(test_random_round_trips),
		cmocka_unit_test(test_corrupt_blobs),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_deflated_whitelist),
		cmocka_unit_test(test_smaller_than_gzip),
	};
	return cmocka_run_group_tests(tests, codec_new, codec_free);
}
