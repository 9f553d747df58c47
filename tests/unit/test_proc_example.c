/*
 * tests/unit/test_proc_example.c: the two version-5 example updates of
 * update-format.md §13.1 and §13.2 (one session of OW0123456789AB, the
 * fixtures tests/fixtures/spec/v5-seq0.txt and v5-seq1.txt), indexed and run
 * through every built-in processor except byte-count by the real worker and
 * merge code (proc_driver.h). The expected results are worked out by hand in
 * the comments.
 *
 * Packet times of §13.1 (header 1337104801034112 plus the running sum):
 *   p1  1337104801034724 (the youtube DNS response, PKTID 1)
 *   p2  1337104801036147 (flow 27187 first)   p3  1337104801058023 (27188 first)
 *   p13 1337104806695903 (the bank DNS response, PKTID 13)
 *   p14 1337104806697714 (51790 first)        p15 1337104806715944 (51791 first)
 *   p17 1337104806721054 (as the note in §13.1 says)
 * Address ids: d80a91fad852ec49 = 0 (the client), 6315897dcc4446c3 = 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "proc_driver.h"

#define NODE "OW0123456789AB"
#define CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"
#define BANK "787f9e65b830e5efe0a5c7d7cde13b14118a3064"
#define BANK_CNAME "99436bf3da600e08e3dc2029a5b34e056e87d3b0"

/*
 * domains, update 0:
 *   A youtube-ui.l.google.com -> 73c6.. at p1, ttl 300: [p1, p1 + 300 s = 1337105101034724]
 *   A 787f.. (hashed) -> fa28.. at p13, ttl 20: [p13, p13 + 20 s = 1337104826695903]
 *   CNAME www.youtube.com -> youtube-ui.. at p1, ttl 86400: [p1, min(p1 + 86400 s, p1 + 300 s)]
 *   CNAME bb19.. -> 9943..: no A record for 9943.. (one level only): nothing
 *   CNAME 9943.. -> 787f.. at p13, ttl 21600: [p13, min(p13 + 21600 s, p13 + 20 s)]
 * all under client 0. flow-domains: the source has an address id for
 * 3305, 10422, 27187, 51790 (0) and 3306, 10423 (1); 27188 and 51791 use
 * their destination (0). Keys (0, 6315..) and (1, d80a..) have no records.
 *   27187 (p2) and 27188 (p3) lie in both youtube windows;
 *   51790 (p14) and 51791 (p15) in both bank windows [p13, p13 + 20 s].
 * Update 1 (at T0+60, 30 s after update 0: no expiry) announces 6021 and
 * 40112 towards 9884.., which has no records. The end of the run (L = T0+60)
 * drops the bank windows (end T0+26.695903) and keeps the youtube ones.
 */
static void test_examples(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(NULL);
	pd_feed_file(d, "tests/fixtures/spec/v5-seq0.txt");
	pd_feed_file(d, "tests/fixtures/spec/v5-seq1.txt");
	pd_end_run(d);

	assert_string_equal(pd_saved(d, 0, "flow-domains"),
			    "[[3305, []], [3306, []], [6021, []], [10422, []], [10423, []], "
			    "[27187, [[0, \"www.youtube.com\"], [0, \"youtube-ui.l.google.com\"]]], "
			    "[27188, [[0, \"www.youtube.com\"], [0, \"youtube-ui.l.google.com\"]]], "
			    "[40112, []], "
			    "[51790, [[1, \"" BANK "\"], [1, \"" BANK_CNAME "\"]]], "
			    "[51791, [[1, \"" BANK "\"], [1, \"" BANK_CNAME "\"]]]]");
	assert_string_equal(pd_table(d, "flow_domains_per_node"),
			    "node_id,anonymized,domain,flows\n"
			    NODE ",0,www.youtube.com,2\n"
			    NODE ",0,youtube-ui.l.google.com,2\n"
			    NODE ",1," BANK ",2\n"
			    NODE ",1," BANK_CNAME ",2\n");
	assert_string_equal(pd_saved(d, 0, "domains"),
			    "[true, 1337104860000000, "
			    "[[0, \"73c65311b2a3835d\", "
			    "[[0, \"www.youtube.com\", 1337104801034724, 1337105101034724], "
			    "[0, \"youtube-ui.l.google.com\", 1337104801034724, 1337105101034724]]]], "
			    "[[0, 0, \"youtube-ui.l.google.com\", "
			    "[[\"73c65311b2a3835d\", 300, 1337104801034724]]]], []]");
	/* whitelisted: youtube-ui.l.google.com matches google.com, the clear alias
	 * www.youtube.com matches youtube.com, with the same window; the hashed
	 * names are left out */
	assert_string_equal(pd_saved(d, 0, "whitelisted-domains"),
			    "[true, 1337104860000000, "
			    "[[0, \"73c65311b2a3835d\", "
			    "[[0, \"google.com\", 1337104801034724, 1337105101034724], "
			    "[0, \"youtube.com\", 1337104801034724, 1337105101034724]]]], "
			    "[[0, 0, \"youtube-ui.l.google.com\", "
			    "[[\"73c65311b2a3835d\", 300, 1337104801034724]]]], "
			    "[\"amazon.com\", \"facebook.com\", \"google.com\", \"wikipedia.org\", "
			    "\"yahoo.com\", \"youtube.com\"]]");
	assert_string_equal(pd_saved(d, 0, "addresses"),
			    "[[[\"6315897dcc4446c3\", \"012345532d05\", 1], "
			    "[\"d80a91fad852ec49\", \"001f3b8becc6\", 0]], "
			    "[[0, \"001f3b8becc6\"], [1, \"012345532d05\"]]]");
	/* 8 + 2 flows; 4 with domains, 2 pairs each */
	assert_string_equal(pd_figures(d),
			    NODE " " CTX " 1337104800512345: flows=10 ip_mac_mappings=2 "
			    "ip_domain_keys=1 ip_domain_records=2 whitelisted_ip_domain_keys=1 "
			    "whitelisted_ip_domain_records=2 flow_domain_entries=10 "
			    "flows_with_domain=4 flow_domain_pairs=8 "
			    "availability_lower_us=1337104801034112 "
			    "availability_upper_us=1337104860000000\n");
	/* update 0: 18 packets, occupancy 8, 2 A, 3 CNAME; update 1: 7 packets,
	 * occupancy 10 (2 lines) */
	assert_string_equal(pd_table(d, "update_statistics"),
			    "node_id,anonymization_context,session_id,timestamp,iso,file_format_version,"
			    "pcap_dropped,iface_dropped,packet_series_dropped,flow_table_dropped,"
			    "dropped_a_records,dropped_cname_records,packets,flow_table_occupancy,"
			    "a_records,cname_records\n"
			    NODE "," CTX ",1337104800512345,1337104830,2012-05-15T18:00:30Z,5,"
			    "0,0,0,0,0,0,18,8,2,3\n"
			    NODE "," CTX ",1337104800512345,1337104860,2012-05-15T18:01:00Z,5,"
			    "0,0,0,0,0,0,7,10,0,0\n");
	assert_string_equal(pd_table(d, "availability"),
			    "node_id,lower_us,upper_us,lower_iso,upper_iso\n"
			    NODE ",1337104801034112,1337104860000000,"
			    "2012-05-15T18:00:01.034112Z,2012-05-15T18:01:00.000000Z\n");
	/* every packet falls in 18:00: update 0 has 6148 bytes in 18 packets
	 * (75 + 200 + 74 + 74 + 66 + 583 + 1514 + 1514 + 1226 + 66 + 42 + 86 + 80
	 * + 270 + 74 + 74 + 66 + 64), update 1 has 1928 in 7 (66 + 66 + 42 + 60 +
	 * 90 + 90 + 1514; its last packet is at 18:00:45.275949) */
	assert_string_equal(pd_table(d, "throughput"),
			    "node_id,minute,minute_iso,bytes,packets\n"
			    NODE ",1337104800000000,2012-05-15T18:00:00.000000Z,8076,25\n");
	assert_string_equal(pd_table(d, "meta_statistics"),
			    "scope,node_id,anonymization_context,oldest,oldest_iso,newest,newest_iso\n"
			    "global,,,1337104830,2012-05-15T18:00:30Z,1337104860,2012-05-15T18:01:00Z\n"
			    "node," NODE ",,1337104830,2012-05-15T18:00:30Z,1337104860,2012-05-15T18:01:00Z\n"
			    "context," NODE "," CTX ",1337104830,2012-05-15T18:00:30Z,1337104860,"
			    "2012-05-15T18:01:00Z\n");
	pd_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
