/*
 * tests/unit/test_parse_edges.c: the update parser on the edge cases of
 * update-format.md §12 (numbered as there) and on every class of error,
 * each error asserting its section, its 1-based line and its message.
 * Documents are a valid v5 update (parse_util.h, 24 lines) changed line by
 * line, so every expected line number can be read off the base layout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "parse_util.h"

/* Parses d and expects success without a warning. */
static void ok_doc(struct parsed *p, const struct doc *d)
{
	if (parse_doc(p, d))
		fprintf(stderr, "unexpected error: line %u (section %s): %s\n", p->err.line,
			update_section_name(p->err.section), p->err.msg);
	assert_int_equal(p->rc, 0);
	assert_string_equal(p->err.warning, "");
}

static void ok_str(struct parsed *p, const char *s)
{
	if (parse_str(p, s))
		fprintf(stderr, "unexpected error: line %u (section %s): %s\n", p->err.line,
			update_section_name(p->err.section), p->err.msg);
	assert_int_equal(p->rc, 0);
}

static void check_error(struct parsed *p, int section, uint32_t line, const char *msg)
{
	if (p->rc == 0)
		fprintf(stderr, "parsed although \"%s\" was expected\n", msg);
	assert_int_equal(p->rc, -1);
	if (strcmp(p->err.msg, msg) || p->err.line != line)
		fprintf(stderr, "got: line %u (section %s): %s\n", p->err.line,
			update_section_name(p->err.section), p->err.msg);
	assert_string_equal(p->err.msg, msg);
	assert_int_equal(p->err.section, section);
	assert_int_equal(p->err.line, line);
	/* A failed parse leaves the update empty. */
	assert_int_equal(p->b.u.n_packets, 0);
	assert_string_equal(p->b.u.node_id, "");
	parsed_release(p);
}

/* Parses d, expecting the error msg in section at line. */
static void err_doc(const struct doc *d, int section, uint32_t line, const char *msg)
{
	struct parsed p;
	parse_doc(&p, d);
	check_error(&p, section, line, msg);
}

static void err_str(const char *s, int section, uint32_t line, const char *msg)
{
	struct parsed p;
	parse_str(&p, s);
	check_error(&p, section, line, msg);
}

/* The base document parses, with the values its lines say. */
static void test_base_document(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	ok_doc(&p, &d);
	const struct bpass_update *u = &p.b.u;
	assert_int_equal(u->version, 5);
	assert_int_equal(u->n_packets, 1);
	assert_true(u->packets[0].time_us == 1000);
	assert_int_equal(u->n_flows, 1);
	assert_int_equal(u->n_a_records, 1);
	assert_int_equal(u->n_cname_records, 1);
	assert_int_equal(u->n_addresses, 1);
	assert_true(u->has_drop_stats);
	assert_int_equal(u->n_drop_stats, 1);
	assert_int_equal(u->drop_stats[0].size, 1500);   /* §12.28: 1500 is accepted */
	assert_true(u->drop_stats[0].count == 3);
	parsed_release(&p);
}

/* §12.1: every empty section is one empty line; an extra one shifts all
 * later sections instead of being collapsed. */
static void test_01_positional_empty_sections(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	/* Empty packet body, flow body, A body, CNAME and address body. */
	doc_base(&d);
	doc_delete(&d, 21);   /* address line */
	doc_delete(&d, 18);   /* CNAME */
	doc_delete(&d, 16);   /* A record */
	doc_delete(&d, 13);   /* flow */
	doc_delete(&d, 10);   /* packet */
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_packets, 0);
	assert_int_equal(p.b.u.n_flows, 0);
	assert_int_equal(p.b.u.n_a_records, 0);
	assert_int_equal(p.b.u.n_cname_records, 0);
	assert_int_equal(p.b.u.n_addresses, 0);
	assert_int_equal(p.b.u.addresses_first_id, 2);
	parsed_release(&p);
	/* Two empty lines after the signature: the packet section is empty. */
	doc_base(&d);
	doc_insert(&d, 8, "");
	err_doc(&d, UPDATE_SECTION_PACKETS, 9,
		"packet series section is empty, expected a header line");
	/* Collapsing the two blank lines of the empty whitelist is wrong too:
	 * the signature would be read as the whitelist. */
	doc_base(&d);
	doc_delete(&d, 6);
	err_doc(&d, UPDATE_SECTION_SIGNATURE, 8,
		"anonymization signature \"1000 0\" is neither 40 lowercase hex digits "
		"nor UNANONYMIZED");
}

/* §12.2: intro line 4 (pcap statistics) is optional. */
static void test_02_optional_pcap_line(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	ok_doc(&p, &d);
	assert_true(p.b.u.has_pcap);
	assert_int_equal(p.b.u.pcap_received, 25);
	parsed_release(&p);
	doc_delete(&d, 4);
	ok_doc(&p, &d);
	assert_false(p.b.u.has_pcap);
	assert_int_equal(p.b.u.pcap_received, 0);
	assert_int_equal(p.b.u.n_packets, 1);
	parsed_release(&p);
}

/* §12.3: no drop statistics (v1, early v2), no HTTP, with or without the
 * final empty line. */
static void test_03_missing_trailing_sections(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	/* v1 ends after the address table's empty line. */
	doc_base(&d);
	doc_set(&d, 1, "1");
	doc_truncate(&d, 22);
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.version, 1);
	assert_false(p.b.u.has_drop_stats);
	assert_false(p.b.u.has_http);
	parsed_release(&p);
	/* ... or even without it. */
	doc_truncate(&d, 21);
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_addresses, 1);
	parsed_release(&p);
	/* Early v2: no drop section at all. */
	doc_set(&d, 1, "2");
	ok_doc(&p, &d);
	assert_false(p.b.u.has_drop_stats);
	parsed_release(&p);
	/* v5 whose file ends before the drop section. */
	doc_base(&d);
	doc_truncate(&d, 22);
	ok_doc(&p, &d);
	assert_false(p.b.u.has_drop_stats);
	parsed_release(&p);
	/* v5 with an empty drop section, and with one missing its final blank. */
	doc_base(&d);
	doc_delete(&d, 23);
	ok_doc(&p, &d);
	assert_true(p.b.u.has_drop_stats);
	assert_int_equal(p.b.u.n_drop_stats, 0);
	parsed_release(&p);
	doc_base(&d);
	doc_truncate(&d, 23);
	ok_doc(&p, &d);
	assert_true(p.b.u.has_drop_stats);
	assert_int_equal(p.b.u.n_drop_stats, 1);
	parsed_release(&p);
	/* v3: drop lines, then the end of the file (no final empty line). */
	doc_base(&d);
	doc_set(&d, 1, "3");
	doc_set(&d, 24, "1400 7");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_drop_stats, 2);
	assert_int_equal(p.b.u.drop_stats[1].size, 1400);
	assert_false(p.b.u.has_http);
	parsed_release(&p);
	/* The whole text without a final newline: the last field still ends. */
	ok_str(&p, "1\nUNKNOWN\nOW1 1 2 3\n\n\n" SIG40 "\n\n0 0\n\n0 0 0 0\n\n0 0\n\n\n"
	       "0 256\n001f3b8becc6 d80a91fad852ec49");
	assert_int_equal(p.b.u.n_addresses, 1);
	assert_string_equal(p.b.u.addresses[0].ip, "d80a91fad852ec49");
	parsed_release(&p);
}

/* §12.4: v2-v3 HTTP block glued onto the drop section. */
static void test_04_glued_http(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	/* Recognized by its trailing space ... */
	doc_base(&d);
	doc_set(&d, 1, "3");
	doc_truncate(&d, 23);
	doc_insert(&d, 24, "4 ");
	doc_insert(&d, 25, "6021 0 c211928ea2774fbe2da74ce09849cadfad689226 ");
	doc_insert(&d, 26, "");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_drop_stats, 1);
	assert_true(p.b.u.has_drop_stats);
	assert_true(p.b.u.has_http);
	assert_int_equal(p.b.u.http_dropped, 4);
	assert_int_equal(p.b.u.n_http_urls, 1);
	assert_int_equal(p.b.u.http_urls[0].flow_id, 6021);
	assert_string_equal(p.b.u.http_urls[0].hash, "c211928ea2774fbe2da74ce09849cadfad689226");
	parsed_release(&p);
	/* ... or by having not exactly 2 fields (here without the space). */
	doc_set(&d, 24, "4");
	doc_set(&d, 25, "6021 0 c211928ea2774fbe2da74ce09849cadfad689226");
	ok_doc(&p, &d);
	assert_true(p.b.u.has_http);
	assert_int_equal(p.b.u.n_drop_stats, 1);
	parsed_release(&p);
	/* Once the block has begun, every line is HTTP, even one of 2 numbers. */
	doc_set(&d, 24, "4 ");
	doc_set(&d, 25, "1400 7");
	err_doc(&d, UPDATE_SECTION_HTTP, 25, "HTTP URL line has 2 fields, expected 3");
	doc_set(&d, 25, "6021 0 c211928ea2774fbe2da74ce09849cadfad689226 ");
	/* Two fields and a trailing space: an HTTP header, a malformed one. */
	doc_set(&d, 24, "12 5 ");
	err_doc(&d, UPDATE_SECTION_HTTP, 24, "HTTP header line has 2 fields, expected 1");
	/* In v4+ the same lines are drop statistics, and stay one. */
	doc_set(&d, 1, "4");
	doc_set(&d, 24, "4 ");
	err_doc(&d, UPDATE_SECTION_DROPS, 24, "drop statistics line has 1 field, expected 2");
	/* An HTTP block after a glued one is an extra section. */
	doc_set(&d, 1, "3");
	doc_set(&d, 24, "4 ");
	doc_insert(&d, 27, "0 ");
	parse_doc(&p, &d);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.err.warning, "ignored 1 extra section from line 27 on, beyond the "
			    "layout of version 3");
	assert_int_equal(p.b.u.n_http_urls, 1);
	parsed_release(&p);
}

/* §12.5: trailing spaces on HTTP lines, tolerated on every line. */
static void test_05_trailing_spaces(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 3, "OW0123456789AB 1337104800512345 1 1337104860  ");
	doc_set(&d, 10, "0 66 27187 ");
	doc_set(&d, 13, "6021 1 988425d2def59ffb 1 d80a91fad852ec49 17 123 123\t");
	doc_set(&d, 21, "001f3b8becc6 d80a91fad852ec49 ");
	doc_set(&d, 23, "1500 3 ");
	doc_set(&d, 24, "");
	doc_insert(&d, 25, "2 ");
	doc_insert(&d, 26, "6021 0 c211928ea2774fbe2da74ce09849cadfad689226 ");
	doc_insert(&d, 27, "");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.packets[0].flow_id, 27187);
	assert_int_equal(p.b.u.flows[0].dst_port, 123);
	assert_string_equal(p.b.u.addresses[0].ip, "d80a91fad852ec49");
	assert_true(p.b.u.has_http);
	assert_int_equal(p.b.u.http_dropped, 2);
	assert_string_equal(p.b.u.http_urls[0].hash, "c211928ea2774fbe2da74ce09849cadfad689226");
	parsed_release(&p);
}

/* §12.6: CNAME lines of 7 (current) or 6 (legacy, one flag) fields. */
static void test_06_cname_forms(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 18, "1 0 1 bb19bc43065d5cd20d03f752e9f31760cc3b9dfc 0 example.net 300");
	doc_insert(&d, 19, "2 3 1 www.example.com example.org -5");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_cname_records, 2);
	const struct bpass_cname_record *c = &p.b.u.cname_records[0];
	assert_int_equal(c->legacy, 0);
	assert_int_equal(c->domain_anonymized, 1);
	assert_int_equal(c->cname_anonymized, 0);
	c = &p.b.u.cname_records[1];
	assert_int_equal(c->legacy, 1);
	assert_int_equal(c->packet_id, 2);
	assert_int_equal(c->address_id, 3);
	assert_int_equal(c->domain_anonymized, 1);
	assert_int_equal(c->cname_anonymized, 1);
	assert_string_equal(c->domain, "www.example.com");
	assert_string_equal(c->cname, "example.org");
	assert_int_equal(c->ttl, -5);
	parsed_release(&p);
	doc_set(&d, 19, "2 3 1 www.example.com -5");
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 19, "CNAME line has 5 fields, expected 6 or 7");
	doc_set(&d, 19, "2 3 1 www.example.com 1 x y 8");
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 19, "CNAME line has 8 fields, expected 6 or 7");
	/* Field errors are reported against the form the count selects. */
	doc_set(&d, 19, "2 3 2 www.example.com example.org 5");
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 19,
		"CNAME line field 3 (anonymized flag) is out of range: 2 (expected 0 to 1)");
	doc_set(&d, 19, "2 3 1 www.example.com x example.org 5");
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 19,
		"CNAME line field 5 (cname flag) is not a number: \"x\"");
}

/* §12.7: wrong field counts, one per line kind. */
static void test_07_field_counts(void **state)
{
	(void)state;
	struct doc d;
	static const struct {
		int line;
		const char *text;
		int section;
		const char *msg;
	} cases[] = {
		{ 3, "OW0123456789AB 1337104800512345 1", UPDATE_SECTION_INTRO,
		  "node/session line has 3 fields, expected 4" },
		{ 4, "25 0", UPDATE_SECTION_INTRO, "pcap statistics line has 2 fields, expected 3" },
		{ 6, "google.com facebook.com", UPDATE_SECTION_WHITELIST,
		  "whitelist line has 2 fields, expected 1" },
		{ 9, "1000", UPDATE_SECTION_PACKETS, "packet series header line has 1 field, expected 2" },
		{ 10, "0 66", UPDATE_SECTION_PACKETS, "packet line has 2 fields, expected 3" },
		{ 10, "0 66 1 1", UPDATE_SECTION_PACKETS, "packet line has 4 fields, expected 3" },
		{ 12, "1337104830 10 0", UPDATE_SECTION_FLOWS,
		  "flow table header line has 3 fields, expected 4" },
		{ 13, "6021 1 988425d2def59ffb 1 d80a91fad852ec49 17 123", UPDATE_SECTION_FLOWS,
		  "flow line has 7 fields, expected 8" },
		{ 15, "0", UPDATE_SECTION_DNS_A, "DNS header line has 1 field, expected 2" },
		{ 16, "1 0 0 www.example.com 300", UPDATE_SECTION_DNS_A,
		  "A record line has 5 fields, expected 6" },
		{ 20, "2 256 9", UPDATE_SECTION_ADDRESSES,
		  "address table header line has 3 fields, expected 2" },
		{ 21, "001f3b8becc6", UPDATE_SECTION_ADDRESSES, "address line has 1 field, expected 2" },
		{ 23, "1500 3 1", UPDATE_SECTION_DROPS,
		  "drop statistics line has 3 fields, expected 2" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		doc_base(&d);
		if (cases[i].line == 6)
			doc_insert(&d, 6, cases[i].text);
		else
			doc_set(&d, cases[i].line, cases[i].text);
		err_doc(&d, cases[i].section, (uint32_t)cases[i].line, cases[i].msg);
	}
	/* HTTP lines (v4+ section 9). */
	doc_base(&d);
	doc_insert(&d, 25, "0 ");
	doc_insert(&d, 26, "6021 c211928ea2774fbe2da74ce09849cadfad689226 ");
	err_doc(&d, UPDATE_SECTION_HTTP, 26, "HTTP URL line has 2 fields, expected 3");
}

/* §12.8: negative deltas accumulate in 64 bits. */
static void test_08_negative_deltas(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 9, "5 0");
	doc_insert(&d, 11, "-2147483648 60 2");
	doc_insert(&d, 12, "-2147483648 60 2");
	doc_insert(&d, 13, "2147483647 60 2");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_packets, 4);
	assert_true(p.b.u.packets[0].time_us == 5);
	assert_true(p.b.u.packets[1].time_us == 5 - 2147483648LL);
	assert_true(p.b.u.packets[2].time_us == 5 - 4294967296LL);
	assert_true(p.b.u.packets[3].time_us == 5 - 4294967296LL + 2147483647LL);
	parsed_release(&p);
	doc_set(&d, 11, "-2147483649 60 2");
	err_doc(&d, UPDATE_SECTION_PACKETS, 11,
		"packet line field 1 (delta) is out of range: -2147483649 "
		"(expected -2147483648 to 2147483647)");
	/* One past INT32_MAX, read straight from the text and, with a trailing
	 * blank, line by line: both readers keep the int32 range. */
	doc_set(&d, 11, "2147483648 60 2");
	err_doc(&d, UPDATE_SECTION_PACKETS, 11,
		"packet line field 1 (delta) is out of range: 2147483648 "
		"(expected -2147483648 to 2147483647)");
	doc_set(&d, 11, "2147483648 60 2 ");
	err_doc(&d, UPDATE_SECTION_PACKETS, 11,
		"packet line field 1 (delta) is out of range: 2147483648 "
		"(expected -2147483648 to 2147483647)");
	/* The extremes with a trailing blank (line by line) are accepted. */
	doc_set(&d, 11, "-2147483648 60 2 ");
	doc_set(&d, 12, "-2147483648 60 -1 ");
	doc_set(&d, 13, "2147483647 60 2 ");
	ok_doc(&p, &d);
	assert_true(p.b.u.packets[1].time_us == 5 - 2147483648LL);
	assert_true(p.b.u.packets[2].time_us == 5 - 4294967296LL);
	assert_int_equal(p.b.u.packets[2].flow_id, -1);
	assert_true(p.b.u.packets[3].time_us == 5 - 4294967296LL + 2147483647LL);
	parsed_release(&p);
	/* The running sum may not overflow 64 bits. */
	doc_base(&d);
	doc_set(&d, 9, "9223372036854775807 0");
	doc_set(&d, 10, "1 60 2");
	err_doc(&d, UPDATE_SECTION_PACKETS, 10, "packet time overflows 64 bits");
}

/* §12.9: flow id -1 and reserved ids in the packet series. */
static void test_09_packet_flow_ids(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 10, "0 66 -1");
	doc_insert(&d, 11, "3 66 0");
	doc_insert(&d, 12, "3 66 65535");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.packets[0].flow_id, -1);
	assert_int_equal(p.b.u.packets[1].flow_id, 0);
	assert_int_equal(p.b.u.packets[2].flow_id, 65535);
	parsed_release(&p);
	doc_set(&d, 12, "3 66 -2");
	err_doc(&d, UPDATE_SECTION_PACKETS, 12,
		"packet line field 3 (flow id) is out of range: -2 (expected -1 to 65535)");
	doc_set(&d, 12, "3 66 65536");
	err_doc(&d, UPDATE_SECTION_PACKETS, 12,
		"packet line field 3 (flow id) is out of range: 65536 (expected -1 to 65535)");
	/* HTTP URL lines carry the raw 16-bit flow id, never mapped to -1 (§4.10). */
	doc_base(&d);
	doc_insert(&d, 25, "0 ");
	doc_insert(&d, 26, "65535 0 c211928ea2774fbe2da74ce09849cadfad689226 ");
	doc_insert(&d, 27, "");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.http_urls[0].flow_id, 65535);
	parsed_release(&p);
	doc_set(&d, 26, "65536 0 c211928ea2774fbe2da74ce09849cadfad689226 ");
	err_doc(&d, UPDATE_SECTION_HTTP, 26,
		"HTTP URL line field 1 (flow id) is out of range: 65536 (expected 0 to 65535)");
}

/* §12.10: the same flow id twice in one update: both lines are kept, in order. */
static void test_10_flow_id_reuse(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_insert(&d, 14, "6021 1 aa 1 bb 6 1 2");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_flows, 2);
	assert_int_equal(p.b.u.flows[0].flow_id, 6021);
	assert_int_equal(p.b.u.flows[1].flow_id, 6021);
	assert_string_equal(p.b.u.flows[1].src_ip, "aa");
	assert_int_equal(p.b.u.flows[1].proto, 6);
	parsed_release(&p);
}

/* §12.11 and §12.12: out-of-range packet ids, address ids up to 255. */
static void test_11_12_dns_ids(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 16, "65535 255 0 www.example.com 73c65311b2a3835d 300");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.a_records[0].packet_id, 65535);   /* >= n_packets: kept */
	assert_int_equal(p.b.u.a_records[0].address_id, 255);
	parsed_release(&p);
	doc_set(&d, 16, "65536 0 0 www.example.com 73c65311b2a3835d 300");
	err_doc(&d, UPDATE_SECTION_DNS_A, 16,
		"A record line field 1 (packet id) is out of range: 65536 (expected 0 to 65535)");
	doc_set(&d, 16, "1 256 0 www.example.com 73c65311b2a3835d 300");
	err_doc(&d, UPDATE_SECTION_DNS_A, 16,
		"A record line field 2 (address id) is out of range: 256 (expected 0 to 255)");
	/* The same ranges in both CNAME forms. */
	doc_base(&d);
	doc_set(&d, 18, "65535 255 0 www.example.com 0 example.net 86400");
	doc_insert(&d, 19, "65535 255 0 www.example.com example.net -1");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_cname_records, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(p.b.u.cname_records[i].packet_id, 65535);
		assert_int_equal(p.b.u.cname_records[i].address_id, 255);
	}
	assert_int_equal(p.b.u.cname_records[1].legacy, 1);
	assert_int_equal(p.b.u.cname_records[1].ttl, -1);
	parsed_release(&p);
	doc_set(&d, 18, "1 256 0 www.example.com 0 example.net 86400");
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 18,
		"CNAME line field 2 (address id) is out of range: 256 (expected 0 to 255)");
	doc_set(&d, 18, "65536 0 0 www.example.com example.net 86400");
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 18,
		"CNAME line field 1 (packet id) is out of range: 65536 (expected 0 to 65535)");
}

/* §12.13: occupancy and capacity are read, never used as line counts. */
static void test_13_counts_not_line_counts(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 12, "1337104830 4000000000 7 9");
	doc_set(&d, 20, "255 256");
	doc_insert(&d, 22, "001f3b8becc7 1");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.flows_occupancy, 4000000000u);
	assert_int_equal(p.b.u.flows_expired, 7);
	assert_int_equal(p.b.u.flows_dropped, 9);
	assert_int_equal(p.b.u.n_flows, 1);
	assert_int_equal(p.b.u.addresses_first_id, 255);
	assert_int_equal(p.b.u.n_addresses, 2);
	parsed_release(&p);
	doc_set(&d, 20, "0 0");
	err_doc(&d, UPDATE_SECTION_ADDRESSES, 20,
		"address table header line field 2 (capacity) is out of range: 0 "
		"(expected 1 to 4294967295)");
}

/* §12.14 and §12.15: ip tokens of any length, domains as written. */
static void test_14_15_opaque_tokens(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 13, "6021 0 a 1 fa287336816097 1 0 0");
	doc_set(&d, 16, "1 0 0 _sip._udp.Ex\\032ample.COM 1 300");
	doc_insert(&d, 17, "1 0 0 . c0a80101 300");
	ok_doc(&p, &d);
	assert_string_equal(p.b.u.flows[0].src_ip, "a");
	assert_string_equal(p.b.u.flows[0].dst_ip, "fa287336816097");
	assert_string_equal(p.b.u.a_records[0].domain, "_sip._udp.Ex\\032ample.COM");
	assert_string_equal(p.b.u.a_records[0].ip, "1");
	assert_string_equal(p.b.u.a_records[1].domain, ".");
	parsed_release(&p);
}

/* §12.16: negative TTLs within int32. */
static void test_16_negative_ttl(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 16, "1 0 0 www.example.com 73c65311b2a3835d -2147483648");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.a_records[0].ttl, INT32_MIN);
	parsed_release(&p);
	doc_set(&d, 16, "1 0 0 www.example.com 73c65311b2a3835d 2147483648");
	err_doc(&d, UPDATE_SECTION_DNS_A, 16,
		"A record line field 6 (ttl) is out of range: 2147483648 "
		"(expected -2147483648 to 2147483647)");
}

/* §12.17: UNANONYMIZED signature; anything else must be 40 hex digits. */
static void test_17_unanonymized(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 7, "UNANONYMIZED");
	ok_doc(&p, &d);
	assert_string_equal(p.b.u.context, BPASS_UNANONYMIZED);
	assert_false(p.b.u.anonymized);
	parsed_release(&p);
	/* Blanks around it are tolerated, as around the fields of every line. */
	doc_set(&d, 7, " \t" SIG40 " ");
	ok_doc(&p, &d);
	assert_string_equal(p.b.u.context, SIG40);
	assert_true(p.b.u.anonymized);
	parsed_release(&p);
	doc_set(&d, 7, "D8ED5ACEBAA9C7D364D16687864CCC2666576188");
	err_doc(&d, UPDATE_SECTION_SIGNATURE, 7,
		"anonymization signature \"D8ED5ACEBAA9C7D364D16687864CCC26...\" is neither "
		"40 lowercase hex digits nor UNANONYMIZED");
	/* Exactly 40 digits: one more or one less is not a signature. */
	doc_set(&d, 7, SIG40 "0");
	err_doc(&d, UPDATE_SECTION_SIGNATURE, 7,
		"anonymization signature \"d8ed5acebaa9c7d364d16687864ccc26...\" is neither "
		"40 lowercase hex digits nor UNANONYMIZED");
	doc_set(&d, 7, "d8ed5acebaa9c7d364d16687864ccc266657618");
	err_doc(&d, UPDATE_SECTION_SIGNATURE, 7,
		"anonymization signature \"d8ed5acebaa9c7d364d16687864ccc26...\" is neither "
		"40 lowercase hex digits nor UNANONYMIZED");
	doc_set(&d, 7, SIG40);
	doc_insert(&d, 8, SIG40);
	err_doc(&d, UPDATE_SECTION_SIGNATURE, 8, "anonymization signature section has more than 1 line");
}

/* §12.18: node ids are opaque tokens of at most 64 characters. */
static void test_18_node_ids(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 3, "0cc175b9c0f1b6a831c399e269772661 1 1 1");
	ok_doc(&p, &d);
	assert_string_equal(p.b.u.node_id, "0cc175b9c0f1b6a831c399e269772661");
	parsed_release(&p);
	doc_set(&d, 3, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 1 1");
	ok_doc(&p, &d);
	assert_int_equal(strlen(p.b.u.node_id), 64);
	parsed_release(&p);
	doc_set(&d, 3, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 1 1");
	err_doc(&d, UPDATE_SECTION_INTRO, 3, "node id is 65 characters long, expected at most 64");
}

/* §12.19: session id -1 and tiny values. */
static void test_19_session_ids(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 3, "OW0123456789AB -1 0 1318000000");
	ok_doc(&p, &d);
	assert_true(p.b.u.session_id == -1);
	parsed_release(&p);
	doc_set(&d, 3, "OW0123456789AB 3 0 12");
	ok_doc(&p, &d);
	assert_true(p.b.u.session_id == 3);
	assert_true(p.b.u.timestamp_s == 12);
	parsed_release(&p);
}

/* Sequence numbers count from 0 (§4.1) and the writer never prints a
 * negative one; one that is negative is malformed, with its line. Were it
 * accepted, a session holding -5, -1, 0, 1 would never be processed. */
static void test_19_negative_sequence_numbers(void **state)
{
	(void)state;
	struct doc d;
	doc_base(&d);
	doc_set(&d, 3, "OW0123456789AB 1337104800512345 -5 1337104860");
	err_doc(&d, UPDATE_SECTION_INTRO, 3,
		"node/session line field 3 (sequence number) is out of range: -5 "
		"(expected 0 to 2147483647)");
	doc_set(&d, 3, "OW0123456789AB 1337104800512345 -1 1337104860");
	err_doc(&d, UPDATE_SECTION_INTRO, 3,
		"node/session line field 3 (sequence number) is out of range: -1 "
		"(expected 0 to 2147483647)");
	doc_set(&d, 3, "OW0123456789AB 1337104800512345 -2147483648 1337104860");
	err_doc(&d, UPDATE_SECTION_INTRO, 3,
		"node/session line field 3 (sequence number) is out of range: -2147483648 "
		"(expected 0 to 2147483647)");
	/* "-0" is zero. */
	struct parsed p;
	doc_set(&d, 3, "OW0123456789AB 1337104800512345 -0 1337104860");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.sequence, 0);
	parsed_release(&p);
}

/* §12.20: pre-version files (line 1 is not a pure integer). */
static void test_20_pre_version(void **state)
{
	(void)state;
	err_str("OW0123456789AB 1317104800512345 0 1317104830\n\ngoogle.com\n\n",
		UPDATE_SECTION_INTRO, 1,
		"no version line: line 1 is \"OW0123456789AB 1317104800512345 ...\" "
		"(an update from before version 1?)");
	err_str("5x\n", UPDATE_SECTION_INTRO, 1,
		"no version line: line 1 is \"5x\" (an update from before version 1?)");
	struct doc d;
	doc_base(&d);
	doc_set(&d, 1, "5 0");
	err_doc(&d, UPDATE_SECTION_INTRO, 1, "version line has 2 fields, expected 1");
	doc_set(&d, 1, "6");
	err_doc(&d, UPDATE_SECTION_INTRO, 1, "unsupported file format version 6 (expected 1 to 5)");
	doc_set(&d, 1, "0");
	err_doc(&d, UPDATE_SECTION_INTRO, 1, "unsupported file format version 0 (expected 1 to 5)");
	doc_set(&d, 1, "-1");
	err_doc(&d, UPDATE_SECTION_INTRO, 1, "unsupported file format version -1 (expected 1 to 5)");
}

/* §12.21: an empty build-id line would shift every section. */
static void test_21_empty_build_id(void **state)
{
	(void)state;
	struct doc d;
	doc_base(&d);
	doc_set(&d, 2, "");
	err_doc(&d, UPDATE_SECTION_INTRO, 2, "empty build id line");
	/* A build id is the whole line, spaces included. */
	struct parsed p;
	doc_set(&d, 2, "bismark 1.2 (http)");
	ok_doc(&p, &d);
	assert_string_equal(p.b.u.build_id, "bismark 1.2 (http)");
	parsed_release(&p);
}

/* prefix, n copies of c, then suffix, in a static slot (k < 4) that the
 * next call with k frees. */
static const char *long_line(int k, const char *prefix, char c, size_t n, const char *suffix)
{
	static char *slot[4];
	free(slot[k]);
	slot[k] = NULL;
	if (!prefix)
		return NULL;
	size_t a = strlen(prefix), m = strlen(suffix);
	slot[k] = malloc(a + n + m + 1);
	memcpy(slot[k], prefix, a);
	memset(slot[k] + a, c, n);
	memcpy(slot[k] + a + n, suffix, m + 1);
	return slot[k];
}

/* Text fields are capped at what the router can write (update_parse.c):
 * build id 256, whitelist entries, domains and CNAMEs 1024 (a name
 * dn_expand can return), IPs 16 hex digits, MACs 12, HTTP URL fields 1024.
 * A longer one makes the update malformed at its line instead of being
 * stored whole. */
static void test_field_length_limits(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 2, long_line(0, "", 'b', 256, ""));
	doc_insert(&d, 6, long_line(1, "", 'w', 1024, ""));
	doc_set(&d, 14, "6021 1 0123456789abcdef 1 d80a91fad852ec49 17 123 123");
	doc_set(&d, 17, long_line(2, "1 0 0 ", 'a', 1024, " 0123456789abcdef 300"));
	doc_set(&d, 19, long_line(3, "1 0 0 www.example.com 0 ", 'c', 1024, " 86400"));
	doc_set(&d, 22, "0123456789ab d80a91fad852ec49");
	ok_doc(&p, &d);
	assert_int_equal(strlen(p.b.u.build_id), 256);
	assert_int_equal(strlen(p.b.u.whitelist[0]), 1024);
	assert_int_equal(strlen(p.b.u.flows[0].src_ip), 16);
	assert_int_equal(strlen(p.b.u.a_records[0].domain), 1024);
	assert_int_equal(strlen(p.b.u.cname_records[0].cname), 1024);
	assert_int_equal(strlen(p.b.u.addresses[0].mac), 12);
	parsed_release(&p);

	/* One byte more, each on its own line; a 5 MB build id, a 50 MB
	 * whitelist line. */
	doc_base(&d);
	doc_set(&d, 2, long_line(0, "", 'b', 257, ""));
	err_doc(&d, UPDATE_SECTION_INTRO, 2, "build id is 257 characters long, expected at most 256");
	doc_set(&d, 2, long_line(0, "", 'b', 5u << 20, ""));
	err_doc(&d, UPDATE_SECTION_INTRO, 2,
		"build id is 5242880 characters long, expected at most 256");
	doc_base(&d);
	doc_insert(&d, 6, "google.com");
	doc_insert(&d, 7, long_line(1, "", 'w', 1025, ""));
	err_doc(&d, UPDATE_SECTION_WHITELIST, 7,
		"whitelist line field 1 (domain) is 1025 characters long, expected at most 1024");
	doc_set(&d, 7, long_line(1, "", 'w', 50u << 20, ""));
	err_doc(&d, UPDATE_SECTION_WHITELIST, 7,
		"whitelist line field 1 (domain) is 52428800 characters long, expected at most 1024");
	doc_base(&d);
	doc_set(&d, 13, "6021 1 0123456789abcdef0 1 d80a91fad852ec49 17 123 123");
	err_doc(&d, UPDATE_SECTION_FLOWS, 13,
		"flow line field 3 (source ip) is 17 characters long, expected at most 16");
	doc_set(&d, 13, "6021  1 988425d2def59ffb 1 d80a91fad852ec490 17 123 123");
	err_doc(&d, UPDATE_SECTION_FLOWS, 13,
		"flow line field 5 (destination ip) is 17 characters long, expected at most 16");
	doc_base(&d);
	doc_set(&d, 16, long_line(2, "1 0 0 ", 'a', 1025, " 73c65311b2a3835d 300"));
	err_doc(&d, UPDATE_SECTION_DNS_A, 16,
		"A record line field 4 (domain) is 1025 characters long, expected at most 1024");
	doc_set(&d, 16, "1 0 0 www.example.com 73c65311b2a3835d0 300");
	err_doc(&d, UPDATE_SECTION_DNS_A, 16,
		"A record line field 5 (ip) is 17 characters long, expected at most 16");
	doc_base(&d);
	doc_set(&d, 18, long_line(3, "1 0 0 www.example.com 0 ", 'c', 1025, " 86400"));
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 18,
		"CNAME line field 6 (cname) is 1025 characters long, expected at most 1024");
	doc_set(&d, 18, long_line(3, "1 0 0 ", 'c', 1025, " example.net 86400"));
	err_doc(&d, UPDATE_SECTION_DNS_CNAME, 18,
		"CNAME line field 4 (domain) is 1025 characters long, expected at most 1024");
	doc_base(&d);
	doc_set(&d, 21, "001f3b8becc60 d80a91fad852ec49");
	err_doc(&d, UPDATE_SECTION_ADDRESSES, 21,
		"address line field 1 (mac) is 13 characters long, expected at most 12");
	doc_set(&d, 21, "001f3b8becc6 d80a91fad852ec49ff");
	err_doc(&d, UPDATE_SECTION_ADDRESSES, 21,
		"address line field 2 (ip) is 18 characters long, expected at most 16");
	doc_base(&d);
	doc_insert(&d, 25, "0 ");
	doc_insert(&d, 26, long_line(0, "6021 0 ", 'f', 1024, " "));
	doc_insert(&d, 27, "");
	ok_doc(&p, &d);
	assert_int_equal(strlen(p.b.u.http_urls[0].hash), 1024);
	parsed_release(&p);
	doc_set(&d, 26, long_line(0, "6021 0 ", 'f', 1025, " "));
	err_doc(&d, UPDATE_SECTION_HTTP, 26,
		"HTTP URL line field 3 (hash) is 1025 characters long, expected at most 1024");
	for (int k = 0; k < 4; k++)
		long_line(k, NULL, 0, 0, NULL);
}

/* §12.22: sections beyond the layout are skipped with a warning. */
static void test_22_extra_sections(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_insert(&d, 25, "0 ");
	doc_insert(&d, 26, "");
	doc_insert(&d, 27, "1 2 3 4 5");
	doc_insert(&d, 28, "");
	doc_insert(&d, 29, "x");
	doc_insert(&d, 30, "");
	assert_int_equal(parse_doc(&p, &d), 0);
	assert_string_equal(p.err.warning, "ignored 2 extra sections from line 27 on, beyond the "
			    "layout of version 5");
	assert_true(p.b.u.has_http);
	parsed_release(&p);
	/* In v1 everything after the address table is extra. */
	doc_base(&d);
	doc_set(&d, 1, "1");
	assert_int_equal(parse_doc(&p, &d), 0);
	assert_string_equal(p.err.warning, "ignored 1 extra section from line 23 on, beyond the "
			    "layout of version 1");
	assert_false(p.b.u.has_drop_stats);
	parsed_release(&p);
	/* Empty lines at the very end are harmless. */
	doc_base(&d);
	doc_insert(&d, 25, "");
	doc_insert(&d, 25, "");
	doc_insert(&d, 25, "");
	ok_doc(&p, &d);
	assert_false(p.b.u.has_http);
	parsed_release(&p);
}

/* §12.25: CRLF line ends parse like LF. */
static void test_25_crlf(void **state)
{
	(void)state;
	struct doc d;
	doc_base(&d);
	size_t len;
	char *lf = doc_text(&d, &len);
	char *crlf = malloc(2 * len + 1), *q = crlf;
	for (size_t i = 0; i < len; i++) {
		if (lf[i] == '\n')
			*q++ = '\r';
		*q++ = lf[i];
	}
	struct parsed a, b;
	assert_int_equal(parse_bytes(&a, lf, len), 0);
	assert_int_equal(parse_bytes(&b, crlf, (size_t)(q - crlf)), 0);
	struct buf ja, jb;
	buf_init(&ja);
	buf_init(&jb);
	update_format_json(&a.b.u, &ja);
	update_format_json(&b.b.u, &jb);
	assert_string_equal(ja.data, jb.data);
	assert_string_equal(b.b.u.build_id, "UNKNOWN");
	assert_string_equal(b.b.u.addresses[0].ip, "d80a91fad852ec49");
	buf_release(&ja);
	buf_release(&jb);
	parsed_release(&a);
	parsed_release(&b);
	free(lf);
	free(crlf);
}

/* §12.26: a line of only spaces or tabs is malformed, not a separator. */
static void test_26_whitespace_only_lines(void **state)
{
	(void)state;
	struct doc d;
	doc_base(&d);
	doc_set(&d, 11, " ");
	err_doc(&d, UPDATE_SECTION_PACKETS, 11, "line holds only blanks (an empty line must be empty)");
	doc_base(&d);
	doc_set(&d, 6, "\t \r");
	err_doc(&d, UPDATE_SECTION_WHITELIST, 6, "line holds only blanks (an empty line must be empty)");
}

/* §12.27: integer ranges, 64-bit parse then range check. */
static void test_27_integer_ranges(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_set(&d, 3, "OW1 9223372036854775807 2147483647 -9223372036854775808");
	doc_set(&d, 4, "4294967295 0 4294967295");
	doc_set(&d, 10, "0 65535 7");
	doc_set(&d, 23, "1500 18446744073709551615");
	ok_doc(&p, &d);
	assert_true(p.b.u.session_id == INT64_MAX);
	assert_int_equal(p.b.u.sequence, INT32_MAX);
	assert_true(p.b.u.timestamp_s == INT64_MIN);
	assert_int_equal(p.b.u.pcap_received, UINT32_MAX);
	assert_int_equal(p.b.u.packets[0].size, 65535);
	assert_true(p.b.u.drop_stats[0].count == UINT64_MAX);
	parsed_release(&p);
	/* Leading zeros are only zeros. */
	doc_set(&d, 10, "000000000000000000000000012 00066 7");
	ok_doc(&p, &d);
	assert_true(p.b.u.packets[0].time_us == 1012);
	assert_int_equal(p.b.u.packets[0].size, 66);
	parsed_release(&p);

	doc_base(&d);
	doc_set(&d, 10, "0 65536 7");
	err_doc(&d, UPDATE_SECTION_PACKETS, 10,
		"packet line field 2 (size) is out of range: 65536 (expected 0 to 65535)");
	doc_set(&d, 10, "0 +66 7");
	err_doc(&d, UPDATE_SECTION_PACKETS, 10, "packet line field 2 (size) is not a number: \"+66\"");
	doc_set(&d, 10, "0 6x6 7");
	err_doc(&d, UPDATE_SECTION_PACKETS, 10, "packet line field 2 (size) is not a number: \"6x6\"");
	doc_set(&d, 10, "0 - 7");
	err_doc(&d, UPDATE_SECTION_PACKETS, 10, "packet line field 2 (size) is not a number: \"-\"");
	doc_base(&d);
	doc_set(&d, 3, "OW1 1 2147483648 1");
	err_doc(&d, UPDATE_SECTION_INTRO, 3,
		"node/session line field 3 (sequence number) is out of range: 2147483648 "
		"(expected 0 to 2147483647)");
	doc_set(&d, 3, "OW1 99999999999999999999 1 1");
	err_doc(&d, UPDATE_SECTION_INTRO, 3,
		"node/session line field 2 (session id) is out of range: 99999999999999999999 "
		"(expected -9223372036854775808 to 9223372036854775807)");
	doc_base(&d);
	doc_set(&d, 4, "4294967296 0 0");
	err_doc(&d, UPDATE_SECTION_INTRO, 4,
		"pcap statistics line field 1 (received) is out of range: 4294967296 "
		"(expected 0 to 4294967295)");
	doc_base(&d);
	doc_set(&d, 23, "1500 18446744073709551616");
	err_doc(&d, UPDATE_SECTION_DROPS, 23,
		"drop statistics line field 2 (count) is out of range: 18446744073709551616 "
		"(expected 0 to 18446744073709551615)");
	doc_set(&d, 23, "1500 -3");
	err_doc(&d, UPDATE_SECTION_DROPS, 23,
		"drop statistics line field 2 (count) is out of range: -3 "
		"(expected 0 to 18446744073709551615)");
	doc_base(&d);
	doc_set(&d, 13, "6021 2 988425d2def59ffb 1 d80a91fad852ec49 17 123 123");
	err_doc(&d, UPDATE_SECTION_FLOWS, 13,
		"flow line field 2 (source flag) is out of range: 2 (expected 0 to 1)");
	doc_set(&d, 13, "6021 1 988425d2def59ffb 1 d80a91fad852ec49 256 123 123");
	err_doc(&d, UPDATE_SECTION_FLOWS, 13,
		"flow line field 6 (protocol) is out of range: 256 (expected 0 to 255)");
	/* Flow ids and ports are 16 bits, 65535 included (the last IPv4 flow id,
	 * §7.1), with single spaces or any other spacing. */
	doc_set(&d, 13, "65535 1 988425d2def59ffb 1 d80a91fad852ec49 17 65535 65535");
	doc_insert(&d, 14, "65535\t1  988425d2def59ffb 1 d80a91fad852ec49 17 65535\t65535");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_flows, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(p.b.u.flows[i].flow_id, 65535);
		assert_int_equal(p.b.u.flows[i].src_port, 65535);
		assert_int_equal(p.b.u.flows[i].dst_port, 65535);
	}
	parsed_release(&p);
	doc_delete(&d, 14);
	doc_set(&d, 13, "65536 1 988425d2def59ffb 1 d80a91fad852ec49 17 123 123");
	err_doc(&d, UPDATE_SECTION_FLOWS, 13,
		"flow line field 1 (flow id) is out of range: 65536 (expected 0 to 65535)");
	doc_set(&d, 13, "6021 1 988425d2def59ffb 1 d80a91fad852ec49 17 123 65536");
	err_doc(&d, UPDATE_SECTION_FLOWS, 13,
		"flow line field 8 (destination port) is out of range: 65536 (expected 0 to 65535)");
}

/* §12.28: repeated drop sizes are kept as written. */
static void test_28_drop_statistics(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_insert(&d, 24, "1500 4");
	doc_insert(&d, 25, "60 1");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_drop_stats, 3);
	assert_true(p.b.u.drop_stats[1].count == 4);
	assert_int_equal(p.b.u.drop_stats[2].size, 60);
	parsed_release(&p);
}

/* §12.29: the whitelist is every line of section 1 (at seq 0 and after). */
static void test_29_whitelist(void **state)
{
	(void)state;
	struct doc d;
	struct parsed p;
	doc_base(&d);
	doc_insert(&d, 6, "google.com");
	doc_insert(&d, 7, "Facebook.com");
	ok_doc(&p, &d);
	assert_int_equal(p.b.u.n_whitelist, 2);
	assert_string_equal(p.b.u.whitelist[0], "google.com");
	assert_string_equal(p.b.u.whitelist[1], "Facebook.com");
	assert_string_equal(p.b.u.context, SIG40);
	parsed_release(&p);
}

/* ---------------------------------------------------------------------------
 * Error classes not covered above
 */

static void test_error_structure(void **state)
{
	(void)state;
	struct doc d;
	err_str("", UPDATE_SECTION_INTRO, 1, "update is empty");
	err_str("\n\n", UPDATE_SECTION_INTRO, 1,
		"update starts with an empty line, expected the version number");
	err_str("5\nUNKNOWN", UPDATE_SECTION_INTRO, 2, "update ends after line 2, in the intro");
	err_str("5\nUNKNOWN\n\n", UPDATE_SECTION_INTRO, 3,
		"intro has 2 lines, expected 3 or 4 (no node/session line)");
	doc_base(&d);
	doc_insert(&d, 5, "1 2 3");
	err_doc(&d, UPDATE_SECTION_INTRO, 5, "intro has more than 4 lines (missing empty line after it?)");
	/* Files that end too early name the first missing section. */
	doc_base(&d);
	doc_truncate(&d, 19);
	err_doc(&d, UPDATE_SECTION_ADDRESSES, 19, "update ends before the address table section");
	doc_truncate(&d, 8);
	err_doc(&d, UPDATE_SECTION_PACKETS, 8, "update ends before the packet series section");
	doc_base(&d);
	doc_delete(&d, 7);
	err_doc(&d, UPDATE_SECTION_SIGNATURE, 7, "anonymization signature section is empty");
	doc_base(&d);
	doc_delete(&d, 20);
	doc_delete(&d, 20);
	err_doc(&d, UPDATE_SECTION_ADDRESSES, 20, "address table section is empty, expected a header line");
	doc_base(&d);
	doc_delete(&d, 12);
	doc_delete(&d, 12);
	err_doc(&d, UPDATE_SECTION_FLOWS, 12, "flow table section is empty, expected a header line");
	doc_base(&d);
	doc_delete(&d, 15);
	doc_delete(&d, 15);
	err_doc(&d, UPDATE_SECTION_DNS_A, 15, "DNS A records section is empty, expected a header line");
}

static void test_error_nul_byte(void **state)
{
	(void)state;
	struct doc d;
	doc_base(&d);
	size_t len;
	char *t = doc_text(&d, &len);
	char *at = strstr(t, "www.example.com 73c");
	assert_non_null(at);
	at[3] = 0;   /* inside line 16 */
	struct parsed p;
	parse_bytes(&p, t, len);
	check_error(&p, UPDATE_SECTION_DNS_A, 16, "line contains a NUL byte");
	free(t);
}

/* No text byte is read beyond len, and a missing final newline anywhere is fine. */
static void test_every_prefix(void **state)
{
	(void)state;
	size_t len;
	char *t = fx_read_file("tests/fixtures/spec/v2-http.txt", &len);
	assert_non_null(t);
	int ok = 0;
	for (size_t n = 0; n <= len; n++) {
		struct parsed p;
		if (parse_bytes(&p, t, n) == 0)
			ok++;
		else
			assert_true(p.err.msg[0] != 0 && p.err.line >= 1);
		parsed_release(&p);
	}
	/* Prefixes that end after the address table header are complete updates. */
	assert_true(ok > 0);
	struct parsed p;
	assert_int_equal(parse_bytes(&p, t, len - 1), 0);   /* no final empty line */
	assert_true(p.b.u.has_http);
	parsed_release(&p);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_document),
		cmocka_unit_test(test_01_positional_empty_sections),
		cmocka_unit_test(test_02_optional_pcap_line),
		cmocka_unit_test(test_03_missing_trailing_sections),
		cmocka_unit_test(test_04_glued_http),
		cmocka_unit_test(test_05_trailing_spaces),
		cmocka_unit_test(test_06_cname_forms),
		cmocka_unit_test(test_07_field_counts),
		cmocka_unit_test(test_08_negative_deltas),
		cmocka_unit_test(test_09_packet_flow_ids),
		cmocka_unit_test(test_10_flow_id_reuse),
		cmocka_unit_test(test_11_12_dns_ids),
		cmocka_unit_test(test_13_counts_not_line_counts),
		cmocka_unit_test(test_14_15_opaque_tokens),
		cmocka_unit_test(test_16_negative_ttl),
		cmocka_unit_test(test_17_unanonymized),
		cmocka_unit_test(test_18_node_ids),
		cmocka_unit_test(test_19_session_ids),
		cmocka_unit_test(test_19_negative_sequence_numbers),
		cmocka_unit_test(test_20_pre_version),
		cmocka_unit_test(test_21_empty_build_id),
		cmocka_unit_test(test_field_length_limits),
		cmocka_unit_test(test_22_extra_sections),
		cmocka_unit_test(test_25_crlf),
		cmocka_unit_test(test_26_whitespace_only_lines),
		cmocka_unit_test(test_27_integer_ranges),
		cmocka_unit_test(test_28_drop_statistics),
		cmocka_unit_test(test_29_whitelist),
		cmocka_unit_test(test_error_structure),
		cmocka_unit_test(test_error_nul_byte),
		cmocka_unit_test(test_every_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
