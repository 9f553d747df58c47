/*
 * tests/unit/test_parse.c: the update text parser and writers on the three
 * worked examples of update-format.md §13 (tests/fixtures/spec/): every field
 * checked against values worked out by hand from the spec text, the text
 * round trip (byte-identical output, equal structs), the JSON writer, the
 * error formatter and buffer reuse. Edge cases and error classes are in
 * test_parse_edges.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../fuzz/update_diff.h"
#include "parse_util.h"

#define FIX "tests/fixtures/spec/"

static void parse_fixture(struct parsed *p, const char *name)
{
	size_t len;
	char *data = fx_read_file(name, &len);
	assert_non_null(data);
	parse_bytes(p, data, len);
	free(data);
	if (p->rc)
		fprintf(stderr, "%s: line %u: %s\n", name, p->err.line, p->err.msg);
	assert_int_equal(p->rc, 0);
	assert_string_equal(p->err.warning, "");
}

/* ---------------------------------------------------------------------------
 * §13.1: version 5, sequence 0
 */

static void test_v5_seq0_intro(void **state)
{
	(void)state;
	struct parsed p;
	parse_fixture(&p, FIX "v5-seq0.txt");
	const struct bpass_update *u = &p.b.u;
	assert_int_equal(u->version, 5);
	assert_string_equal(u->build_id, "UNKNOWN");
	assert_string_equal(u->node_id, "OW0123456789AB");
	assert_true(u->session_id == 1337104800512345LL);
	assert_int_equal(u->sequence, 0);
	assert_true(u->timestamp_s == 1337104830LL);
	assert_true(u->has_pcap);
	assert_int_equal(u->pcap_received, 18);
	assert_int_equal(u->pcap_dropped, 0);
	assert_int_equal(u->iface_dropped, 0);
	assert_int_equal(u->n_whitelist, 6);
	assert_string_equal(u->whitelist[0], "google.com");
	assert_string_equal(u->whitelist[1], "facebook.com");
	assert_string_equal(u->whitelist[2], "youtube.com");
	assert_string_equal(u->whitelist[3], "yahoo.com");
	assert_string_equal(u->whitelist[4], "amazon.com");
	assert_string_equal(u->whitelist[5], "wikipedia.org");
	assert_string_equal(u->context, "d8ed5acebaa9c7d364d16687864ccc2666576188");
	assert_true(u->anonymized);
	parsed_release(&p);
}

static void test_v5_seq0_packets(void **state)
{
	(void)state;
	struct parsed p;
	parse_fixture(&p, FIX "v5-seq0.txt");
	const struct bpass_update *u = &p.b.u;
	assert_true(u->packets_first_us == 1337104801034112LL);
	assert_int_equal(u->packets_dropped, 0);
	assert_int_equal(u->n_packets, 18);
	/* Running sums of the deltas, the first one (0) included. */
	static const int64_t t[18] = {
		1337104801034112LL, 1337104801034724LL, 1337104801036147LL, 1337104801058023LL,
		1337104801058174LL, 1337104801058576LL, 1337104801081587LL, 1337104801081599LL,
		1337104801081608LL, 1337104801081852LL, 1337104802084167LL, 1337104802164478LL,
		1337104806665690LL, 1337104806695903LL, 1337104806697714LL, 1337104806715944LL,
		1337104806716042LL, 1337104806721054LL,
	};
	static const uint16_t size[18] = { 75, 200, 74, 74, 66, 583, 1514, 1514, 1226, 66,
					   42, 86, 80, 270, 74, 74, 66, 64 };
	static const int32_t flow[18] = { 10422, 10423, 27187, 27188, 27187, 27187, 27188,
					  27188, 27188, 27187, 2, 4, 3305, 3306, 51790, 51791,
					  51790, 0 };
	for (int i = 0; i < 18; i++) {
		assert_true(u->packets[i].time_us == t[i]);
		assert_int_equal(u->packets[i].size, size[i]);
		assert_int_equal(u->packets[i].flow_id, flow[i]);
	}
	/* The spec's own statement: packet 17 at 1337104806721054 µs. */
	assert_true(u->packets[17].time_us == 1337104806721054LL);
	parsed_release(&p);
}

static void test_v5_seq0_flows_dns_addresses(void **state)
{
	(void)state;
	struct parsed p;
	parse_fixture(&p, FIX "v5-seq0.txt");
	const struct bpass_update *u = &p.b.u;
	assert_true(u->flows_baseline_s == 1337104801LL);
	assert_int_equal(u->flows_occupancy, 8);
	assert_int_equal(u->flows_expired, 0);
	assert_int_equal(u->flows_dropped, 0);
	assert_int_equal(u->n_flows, 8);
	static const int32_t ids[8] = { 3305, 3306, 10422, 10423, 27187, 27188, 51790, 51791 };
	for (int i = 0; i < 8; i++)
		assert_int_equal(u->flows[i].flow_id, ids[i]);
	const struct bpass_flow *f = &u->flows[0];
	assert_int_equal(f->src_anon, 1);
	assert_string_equal(f->src_ip, "d80a91fad852ec49");
	assert_int_equal(f->dst_anon, 1);
	assert_string_equal(f->dst_ip, "6315897dcc4446c3");
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->src_port, 60123);
	assert_int_equal(f->dst_port, 53);
	f = &u->flows[7];
	assert_string_equal(f->src_ip, "fa287336816097");   /* 14-char hash */
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->src_port, 443);
	assert_int_equal(f->dst_port, 49873);

	assert_int_equal(u->dns_dropped_a, 0);
	assert_int_equal(u->dns_dropped_cname, 0);
	assert_int_equal(u->n_a_records, 2);
	const struct bpass_a_record *a = &u->a_records[0];
	assert_int_equal(a->packet_id, 1);
	assert_int_equal(a->address_id, 0);
	assert_int_equal(a->anonymized, 0);
	assert_string_equal(a->domain, "youtube-ui.l.google.com");
	assert_string_equal(a->ip, "73c65311b2a3835d");
	assert_int_equal(a->ttl, 300);
	/* PKTID 1 is the DNS response of flow 10423. */
	assert_int_equal(u->packets[a->packet_id].flow_id, 10423);
	a = &u->a_records[1];
	assert_int_equal(a->packet_id, 13);
	assert_int_equal(a->anonymized, 1);
	assert_string_equal(a->domain, "787f9e65b830e5efe0a5c7d7cde13b14118a3064");
	assert_string_equal(a->ip, "fa287336816097");
	assert_int_equal(a->ttl, 20);

	assert_int_equal(u->n_cname_records, 3);
	const struct bpass_cname_record *c = &u->cname_records[0];
	assert_int_equal(c->packet_id, 1);
	assert_int_equal(c->domain_anonymized, 0);
	assert_string_equal(c->domain, "www.youtube.com");
	assert_int_equal(c->cname_anonymized, 0);
	assert_string_equal(c->cname, "youtube-ui.l.google.com");
	assert_int_equal(c->ttl, 86400);
	assert_int_equal(c->legacy, 0);
	c = &u->cname_records[2];
	assert_int_equal(c->packet_id, 13);
	assert_int_equal(c->domain_anonymized, 1);
	assert_string_equal(c->domain, "99436bf3da600e08e3dc2029a5b34e056e87d3b0");
	assert_int_equal(c->cname_anonymized, 1);
	/* The CNAME target hash joins the A record's domain hash. */
	assert_string_equal(c->cname, u->a_records[1].domain);
	assert_int_equal(c->ttl, 21600);

	assert_int_equal(u->addresses_first_id, 0);
	assert_int_equal(u->addresses_capacity, 256);
	assert_int_equal(u->n_addresses, 2);
	assert_string_equal(u->addresses[0].mac, "001f3b8becc6");
	assert_string_equal(u->addresses[0].ip, "d80a91fad852ec49");
	assert_string_equal(u->addresses[1].mac, "012345532d05");
	assert_string_equal(u->addresses[1].ip, "6315897dcc4446c3");
	assert_true(u->has_drop_stats);
	assert_int_equal(u->n_drop_stats, 0);
	assert_false(u->has_http);
	parsed_release(&p);
}

/* ---------------------------------------------------------------------------
 * §13.2: version 5, sequence 1
 */

static void test_v5_seq1(void **state)
{
	(void)state;
	struct parsed p;
	parse_fixture(&p, FIX "v5-seq1.txt");
	const struct bpass_update *u = &p.b.u;
	assert_int_equal(u->version, 5);
	assert_int_equal(u->sequence, 1);
	assert_true(u->timestamp_s == 1337104860LL);
	assert_int_equal(u->pcap_received, 25);
	assert_int_equal(u->n_whitelist, 0);
	assert_true(u->packets_first_us == 1337104835211007LL);
	assert_int_equal(u->n_packets, 7);
	static const int64_t t[7] = {
		1337104835211007LL, 1337104835242884LL, 1337104836443229LL,
		1337104836443226LL, /* the -3 delta */
		1337104836445436LL, 1337104836475948LL, 1337104845275949LL,
	};
	for (int i = 0; i < 7; i++)
		assert_true(u->packets[i].time_us == t[i]);
	assert_int_equal(u->packets[3].size, 60);
	assert_int_equal(u->packets[3].flow_id, 2);
	/* The baseline is NOW_S of seq 0; occupancy 10 with only 2 lines. */
	assert_true(u->flows_baseline_s == 1337104830LL);
	assert_int_equal(u->flows_occupancy, 10);
	assert_int_equal(u->n_flows, 2);
	assert_int_equal(u->flows[0].flow_id, 6021);
	assert_string_equal(u->flows[0].src_ip, "988425d2def59ffb");
	assert_int_equal(u->flows[0].src_port, 123);
	assert_int_equal(u->flows[1].flow_id, 40112);
	assert_int_equal(u->n_a_records, 0);
	assert_int_equal(u->n_cname_records, 0);
	assert_int_equal(u->addresses_first_id, 2);
	assert_int_equal(u->addresses_capacity, 256);
	assert_int_equal(u->n_addresses, 0);
	assert_true(u->has_drop_stats);
	assert_int_equal(u->n_drop_stats, 0);
	assert_false(u->has_http);
	parsed_release(&p);
}

/* ---------------------------------------------------------------------------
 * §13.3: version 2 from an HTTP-URL build
 */

static void test_v2_http(void **state)
{
	(void)state;
	struct parsed p;
	parse_fixture(&p, FIX "v2-http.txt");
	const struct bpass_update *u = &p.b.u;
	assert_int_equal(u->version, 2);
	assert_true(u->session_id == 1323458422078234LL);
	assert_int_equal(u->sequence, 17);
	assert_true(u->timestamp_s == 1323458932LL);
	assert_int_equal(u->pcap_received, 5120);
	assert_int_equal(u->n_whitelist, 0);
	assert_int_equal(u->n_packets, 7);
	assert_true(u->packets[0].time_us == 1323458902551203LL);
	assert_true(u->packets[1].time_us == 1323458902551905LL);
	assert_true(u->packets[6].time_us == 1323458902632160LL);
	assert_int_equal(u->packets[6].size, 1514);
	assert_int_equal(u->packets[6].flow_id, 8202);
	assert_true(u->flows_baseline_s == 1323458902LL);
	assert_int_equal(u->flows_occupancy, 57);
	assert_int_equal(u->flows_expired, 3);
	assert_int_equal(u->n_flows, 4);
	/* Clear endpoint with flag 0 (whitelisted A record, v1-v2). */
	assert_int_equal(u->flows[0].dst_anon, 0);
	assert_string_equal(u->flows[0].dst_ip, "4a7de228");
	assert_int_equal(u->flows[1].src_anon, 0);
	assert_int_equal(u->n_a_records, 1);
	assert_string_equal(u->a_records[0].domain, "maps.l.google.com");
	assert_string_equal(u->a_records[0].ip, "4a7de228");
	assert_int_equal(u->n_cname_records, 1);
	const struct bpass_cname_record *c = &u->cname_records[0];
	assert_int_equal(c->legacy, 1);
	assert_int_equal(c->domain_anonymized, 0);
	assert_int_equal(c->cname_anonymized, 0);
	assert_string_equal(c->domain, "maps.google.com");
	assert_string_equal(c->cname, "maps.l.google.com");
	assert_int_equal(c->ttl, 21600);
	assert_int_equal(u->addresses_first_id, 2);
	assert_int_equal(u->n_addresses, 0);
	/* The empty drop section with the HTTP block glued on. */
	assert_true(u->has_drop_stats);
	assert_int_equal(u->n_drop_stats, 0);
	assert_true(u->has_http);
	assert_int_equal(u->http_dropped, 0);
	assert_int_equal(u->n_http_urls, 1);
	assert_int_equal(u->http_urls[0].flow_id, 8201);
	assert_int_equal(u->http_urls[0].reserved, 0);
	assert_string_equal(u->http_urls[0].hash, "c211928ea2774fbe2da74ce09849cadfad689226");
	parsed_release(&p);
}

/* ---------------------------------------------------------------------------
 * Round trips
 */

static void assert_same_update(const struct bpass_update *a, const struct bpass_update *b)
{
	struct buf ja, jb;
	buf_init(&ja);
	buf_init(&jb);
	update_format_json(a, &ja);
	update_format_json(b, &jb);
	assert_string_equal(ja.data, jb.data);   /* JSON covers every field */
	buf_release(&ja);
	buf_release(&jb);
}

static void round_trip_fixture(const char *name)
{
	size_t len;
	char *data = fx_read_file(name, &len);
	assert_non_null(data);
	struct parsed p, q;
	assert_int_equal(parse_bytes(&p, data, len), 0);
	struct buf out;
	buf_init(&out);
	update_format_text(&p.b.u, &out);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, data, len);
	assert_int_equal(parse_bytes(&q, out.data, out.len), 0);
	assert_same_update(&p.b.u, &q.b.u);
	buf_release(&out);
	parsed_release(&p);
	parsed_release(&q);
	free(data);
}

static void test_round_trip_v5_seq0(void **state)
{
	(void)state;
	round_trip_fixture(FIX "v5-seq0.txt");
}

static void test_round_trip_v5_seq1(void **state)
{
	(void)state;
	round_trip_fixture(FIX "v5-seq1.txt");
}

static void test_round_trip_v2_http(void **state)
{
	(void)state;
	round_trip_fixture(FIX "v2-http.txt");
}

/* Writes the text of one parse, then checks the expected bytes. */
static void assert_formats_as(const char *in, const char *expected)
{
	struct parsed p;
	if (parse_str(&p, in))
		fprintf(stderr, "line %u: %s\n", p.err.line, p.err.msg);
	assert_int_equal(p.rc, 0);
	struct buf out;
	buf_init(&out);
	update_format_text(&p.b.u, &out);
	assert_string_equal(out.data, expected);
	buf_release(&out);
	parsed_release(&p);
}

#define INTRO(v) v "\nUNKNOWN\nOW0123456789AB 5 3 100\n\n\n" SIG40 "\n\n"
#define BODY "1000 0\n0 66 7\n-5 60 -1\n\n10 1 0 0\n\n0 0\n\n\n1 256\n\n"

static void test_format_normalizes(void **state)
{
	(void)state;
	/* CRLF, blanks around fields and tabs are written back canonically. */
	assert_formats_as("5\r\nUNKNOWN\r\nOW0123456789AB  5 3\t100 \r\n\r\n\r\n" SIG40 "\r\n\r\n"
			  "1000 0\r\n 0 66 7\r\n-5 60 -1 \r\n\r\n10 1 0 0\r\n\r\n0 0\r\n\r\n\r\n"
			  "1 256\r\n\r\n",
			  INTRO("5") BODY);
	/* v4+: a present drop section ends with a blank line, HTTP after it. */
	assert_formats_as(INTRO("4") BODY "1400 2\n\n9 \n70 0 abc \n\n",
			  INTRO("4") BODY "1400 2\n\n9 \n70 0 abc \n\n");
	/* v3: the drop section is not terminated and HTTP is glued on, even when
	 * the input had them as two sections. */
	assert_formats_as(INTRO("3") BODY "1400 2\n\n9 \n70 0 abc \n\n",
			  INTRO("3") BODY "1400 2\n9 \n70 0 abc \n\n");
	/* v3 drops without HTTP: no final blank line. */
	assert_formats_as(INTRO("3") BODY "1400 2\n", INTRO("3") BODY "1400 2\n");
	/* v1: nothing after the address table. */
	assert_formats_as(INTRO("1") BODY, INTRO("1") BODY);
	/* Deltas are recomputed from the times; the first from the header. */
	assert_formats_as(INTRO("5") "1000 0\n7 66 7\n-3 60 8\n\n10 1 0 0\n\n0 0\n\n\n1 256\n\n",
			  INTRO("5") "1000 0\n7 66 7\n-3 60 8\n\n10 1 0 0\n\n0 0\n\n\n1 256\n\n");
}

/* ---------------------------------------------------------------------------
 * JSON
 */

static void test_json_v5_seq1(void **state)
{
	(void)state;
	struct parsed p;
	parse_fixture(&p, FIX "v5-seq1.txt");
	struct buf out;
	buf_init(&out);
	update_format_json(&p.b.u, &out);
	const char *expected =
		"{\"version\":5,\"build_id\":\"UNKNOWN\",\"node_id\":\"OW0123456789AB\","
		"\"session_id\":1337104800512345,\"sequence_number\":1,\"timestamp\":1337104860,"
		"\"pcap_received\":25,\"pcap_dropped\":0,\"iface_dropped\":0,\"whitelist\":[],"
		"\"anonymization_context\":\"d8ed5acebaa9c7d364d16687864ccc2666576188\","
		"\"anonymized\":true,"
		"\"packet_series\":{\"first_us\":1337104835211007,\"dropped\":0,\"packets\":["
		"{\"time_us\":1337104835211007,\"size\":66,\"flow_id\":27187},"
		"{\"time_us\":1337104835242884,\"size\":66,\"flow_id\":27188},"
		"{\"time_us\":1337104836443229,\"size\":42,\"flow_id\":2},"
		"{\"time_us\":1337104836443226,\"size\":60,\"flow_id\":2},"
		"{\"time_us\":1337104836445436,\"size\":90,\"flow_id\":40112},"
		"{\"time_us\":1337104836475948,\"size\":90,\"flow_id\":6021},"
		"{\"time_us\":1337104845275949,\"size\":1514,\"flow_id\":27188}]},"
		"\"flow_table\":{\"baseline\":1337104830,\"occupancy\":10,\"expired\":0,\"dropped\":0,"
		"\"flows\":["
		"{\"flow_id\":6021,\"src_anonymized\":1,\"src_ip\":\"988425d2def59ffb\","
		"\"dst_anonymized\":1,\"dst_ip\":\"d80a91fad852ec49\",\"protocol\":17,"
		"\"src_port\":123,\"dst_port\":123},"
		"{\"flow_id\":40112,\"src_anonymized\":1,\"src_ip\":\"d80a91fad852ec49\","
		"\"dst_anonymized\":1,\"dst_ip\":\"988425d2def59ffb\",\"protocol\":17,"
		"\"src_port\":123,\"dst_port\":123}]},"
		"\"dropped_a_records\":0,\"dropped_cname_records\":0,\"a_records\":[],"
		"\"cname_records\":[],"
		"\"address_table\":{\"first_id\":2,\"capacity\":256,\"addresses\":[]},"
		"\"drop_statistics\":[],\"http\":null}";
	assert_string_equal(out.data, expected);
	buf_release(&out);
	parsed_release(&p);
}

static void test_json_v2_http(void **state)
{
	(void)state;
	struct parsed p;
	parse_fixture(&p, FIX "v2-http.txt");
	struct buf out;
	buf_init(&out);
	update_format_json(&p.b.u, &out);
	assert_non_null(strstr(out.data, "\"cname_records\":[{\"packet_id\":1,\"address_id\":0,"
			    "\"domain_anonymized\":0,\"domain\":\"maps.google.com\","
			    "\"cname_anonymized\":0,\"cname\":\"maps.l.google.com\","
			    "\"ttl\":21600,\"legacy\":true}]"));
	assert_non_null(strstr(out.data, "\"drop_statistics\":[],\"http\":{\"dropped\":0,"
			    "\"urls\":[{\"flow_id\":8201,\"reserved\":0,"
			    "\"hash\":\"c211928ea2774fbe2da74ce09849cadfad689226\"}]}}"));
	buf_release(&out);
	parsed_release(&p);
}

static void test_json_escapes_and_nulls(void **state)
{
	(void)state;
	struct parsed p;
	/* A clear name with a quote and a backslash escape; no pcap line; v1. */
	assert_int_equal(parse_str(&p, "1\nbuild \"x\"\nOW1 -1 0 5\n\nex\\\\\"a\n\nUNANONYMIZED\n\n"
				   "0 0\n\n0 0 0 0\n\n0 0\n\n\n1 256\n\n"), 0);
	struct buf out;
	buf_init(&out);
	update_format_json(&p.b.u, &out);
	assert_non_null(strstr(out.data, "\"build_id\":\"build \\\"x\\\"\""));
	assert_non_null(strstr(out.data, "\"whitelist\":[\"ex\\\\\\\\\\\"a\"]"));
	assert_non_null(strstr(out.data, "\"session_id\":-1,"));
	assert_non_null(strstr(out.data, "\"pcap_received\":null,\"pcap_dropped\":null,"
			       "\"iface_dropped\":null"));
	assert_non_null(strstr(out.data, "\"anonymization_context\":\"UNANONYMIZED\","
			       "\"anonymized\":false"));
	assert_non_null(strstr(out.data, "\"drop_statistics\":null,\"http\":null}"));
	buf_release(&out);
	parsed_release(&p);
}

/* Signed fields stay signed in JSON: flow id -1 (§7.1), negative TTLs
 * (§12.16) in both DNS sections, negative deltas giving earlier times. */
static void test_json_signed_fields(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse_str(&p, "5\nUNKNOWN\nOW1 1 0 5\n\n\nUNANONYMIZED\n\n"
				   "100 0\n0 60 -1\n-30 60 65535\n\n0 0 0 0\n\n0 0\n"
				   "0 0 0 a.example 1 -5\n\n0 0 0 a.example 0 b.example -7\n"
				   "0 0 0 c.example d.example -2147483648\n\n0 256\n\n\n"), 0);
	struct buf out;
	buf_init(&out);
	update_format_json(&p.b.u, &out);
	assert_non_null(strstr(out.data, "\"packets\":[{\"time_us\":100,\"size\":60,"
			       "\"flow_id\":-1},{\"time_us\":70,\"size\":60,\"flow_id\":65535}]"));
	assert_non_null(strstr(out.data, "\"a_records\":[{\"packet_id\":0,\"address_id\":0,"
			       "\"anonymized\":0,\"domain\":\"a.example\",\"ip\":\"1\","
			       "\"ttl\":-5}]"));
	assert_non_null(strstr(out.data, "\"cname\":\"b.example\",\"ttl\":-7,"
			       "\"legacy\":false}"));
	assert_non_null(strstr(out.data, "\"cname\":\"d.example\",\"ttl\":-2147483648,"
			       "\"legacy\":true}"));
	buf_release(&out);
	parsed_release(&p);
}

/* ---------------------------------------------------------------------------
 * Error formatting, section names, buffer reuse
 */

static void test_error_format(void **state)
{
	(void)state;
	struct update_error err = { .section = UPDATE_SECTION_DNS_A, .line = 16 };
	strcpy(err.msg, "A record line has 5 fields, expected 6");
	struct buf out;
	buf_init(&out);
	update_error_format(&err, "a.tar", "OW1-2-3.gz", &out);
	assert_string_equal(out.data, "a.tar: member OW1-2-3.gz: line 16 (section DNS A records): "
			    "A record line has 5 fields, expected 6");
	buf_reset(&out);
	update_error_format(&err, "u.gz", NULL, &out);
	assert_string_equal(out.data, "u.gz: line 16 (section DNS A records): "
			    "A record line has 5 fields, expected 6");
	buf_reset(&out);
	err.line = 0;
	update_error_format(&err, NULL, NULL, &out);
	assert_string_equal(out.data, "section DNS A records: A record line has 5 fields, expected 6");
	buf_reset(&out);
	err.section = UPDATE_SECTION_NONE;
	strcpy(err.msg, "corrupt blob: checksum mismatch");
	update_error_format(&err, "x", "m", &out);
	assert_string_equal(out.data, "x: member m: corrupt blob: checksum mismatch");
	buf_release(&out);

	assert_string_equal(update_section_name(UPDATE_SECTION_INTRO), "intro");
	assert_string_equal(update_section_name(UPDATE_SECTION_PACKETS), "packet series");
	assert_string_equal(update_section_name(UPDATE_SECTION_DNS_CNAME), "DNS CNAME records");
	assert_string_equal(update_section_name(UPDATE_SECTION_HTTP), "HTTP URL hashes");
	assert_string_equal(update_section_name(UPDATE_SECTION_EXTRA), "extra section");
	assert_string_equal(update_section_name(UPDATE_SECTION_NONE), "none");
	assert_string_equal(update_section_name(42), "unknown");
}

static void test_buffer_reuse(void **state)
{
	(void)state;
	size_t len0, len1;
	char *t0 = fx_read_file(FIX "v5-seq0.txt", &len0);
	char *t1 = fx_read_file(FIX "v5-seq1.txt", &len1);
	assert_non_null(t0);
	assert_non_null(t1);
	struct update_buf b;
	update_buf_init(&b);
	assert_int_equal(b.u.n_packets, 0);
	assert_string_equal(b.u.node_id, "");
	assert_string_equal(b.u.context, "");
	assert_int_equal(update_parse(&b, t0, len0, NULL), 0);
	assert_int_equal(b.u.n_packets, 18);
	uint32_t cap = b.cap_packets;
	const struct bpass_packet *arr = b.packets;
	assert_int_equal(update_parse(&b, t1, len1, NULL), 0);
	assert_int_equal(b.u.n_packets, 7);
	assert_int_equal(b.u.n_whitelist, 0);
	assert_int_equal(b.u.n_a_records, 0);
	assert_true(b.packets == arr && b.cap_packets == cap);   /* no new allocation */
	update_buf_clear(&b);
	assert_int_equal(b.u.n_packets, 0);
	assert_int_equal(b.u.n_flows, 0);
	assert_string_equal(b.u.build_id, "");
	assert_int_equal(b.cap_packets, cap);
	update_buf_release(&b);
	assert_int_equal(b.cap_packets, 0);
	update_buf_release(&b);   /* twice is fine */
	free(t0);
	free(t1);
}

/* A failed parse leaves the update empty, even after a good one. */
static void test_failure_clears(void **state)
{
	(void)state;
	size_t len;
	char *t = fx_read_file(FIX "v5-seq0.txt", &len);
	assert_non_null(t);
	struct update_buf b;
	update_buf_init(&b);
	assert_int_equal(update_parse(&b, t, len, NULL), 0);
	char bad[] = "5\nUNKNOWN\n";
	struct update_error err;
	assert_int_equal(update_parse(&b, bad, sizeof(bad) - 1, &err), -1);
	assert_int_equal(b.u.n_packets, 0);
	assert_int_equal(b.u.n_whitelist, 0);
	assert_int_equal(b.u.n_addresses, 0);
	assert_string_equal(b.u.node_id, "");
	assert_false(b.u.has_drop_stats);
	assert_int_equal(b.u.version, 0);
	update_buf_release(&b);
	free(t);
}

/* update_diff, which the fuzz targets rely on: equal updates compare equal,
 * and one changed field is named. */
static void test_update_diff(void **state)
{
	(void)state;
	struct parsed a, b, c;
	parse_fixture(&a, FIX "v5-seq0.txt");
	parse_fixture(&b, FIX "v5-seq0.txt");
	parse_fixture(&c, FIX "v5-seq1.txt");
	assert_null(update_diff(&a.b.u, &b.b.u));
	assert_string_equal(update_diff(&a.b.u, &c.b.u), "intro");   /* seq 0 vs 1 */
	struct bpass_packet *pk = (struct bpass_packet *)&b.b.u.packets[17];
	pk->time_us += 1;                                               /* one µs off */
	assert_string_equal(update_diff(&a.b.u, &b.b.u), "packets");
	pk->time_us -= 1;
	b.b.u.n_addresses = 1;
	assert_string_equal(update_diff(&a.b.u, &b.b.u), "address table header");
	parsed_release(&a);
	parsed_release(&b);
	parsed_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v5_seq0_intro),
		cmocka_unit_test(test_update_diff),
		cmocka_unit_test(test_v5_seq0_packets),
		cmocka_unit_test(test_v5_seq0_flows_dns_addresses),
		cmocka_unit_test(test_v5_seq1),
		cmocka_unit_test(test_v2_http),
		cmocka_unit_test(test_round_trip_v5_seq0),
		cmocka_unit_test(test_round_trip_v5_seq1),
		cmocka_unit_test(test_round_trip_v2_http),
		cmocka_unit_test(test_format_normalizes),
		cmocka_unit_test(test_json_v5_seq1),
		cmocka_unit_test(test_json_v2_http),
		cmocka_unit_test(test_json_escapes_and_nulls),
		cmocka_unit_test(test_json_signed_fields),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_buffer_reuse),
		cmocka_unit_test(test_failure_clears),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
