/*
 * tests/unit/test_proc_example.c: the two version-5 example updates of
 * update-format.md §13.1 and §13.2 (one session of OW0123456789AB), parsed
 * with update_parse and run through every built-in processor except
 * byte-count. The expected results are worked out by hand in the comments.
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

static const char example_13_1[] =
	"5\n"
	"UNKNOWN\n"
	"OW0123456789AB 1337104800512345 0 1337104830\n"
	"18 0 0\n"
	"\n"
	"google.com\n"
	"facebook.com\n"
	"youtube.com\n"
	"yahoo.com\n"
	"amazon.com\n"
	"wikipedia.org\n"
	"\n"
	"d8ed5acebaa9c7d364d16687864ccc2666576188\n"
	"\n"
	"1337104801034112 0\n"
	"0 75 10422\n"
	"612 200 10423\n"
	"1423 74 27187\n"
	"21876 74 27188\n"
	"151 66 27187\n"
	"402 583 27187\n"
	"23011 1514 27188\n"
	"12 1514 27188\n"
	"9 1226 27188\n"
	"244 66 27187\n"
	"1002315 42 2\n"
	"80311 86 4\n"
	"4501212 80 3305\n"
	"30213 270 3306\n"
	"1811 74 51790\n"
	"18230 74 51791\n"
	"98 66 51790\n"
	"5012 64 0\n"
	"\n"
	"1337104801 8 0 0\n"
	"3305 1 d80a91fad852ec49 1 6315897dcc4446c3 17 60123 53\n"
	"3306 1 6315897dcc4446c3 1 d80a91fad852ec49 17 53 60123\n"
	"10422 1 d80a91fad852ec49 1 6315897dcc4446c3 17 51234 53\n"
	"10423 1 6315897dcc4446c3 1 d80a91fad852ec49 17 53 51234\n"
	"27187 1 d80a91fad852ec49 1 73c65311b2a3835d 6 49872 443\n"
	"27188 1 73c65311b2a3835d 1 d80a91fad852ec49 6 443 49872\n"
	"51790 1 d80a91fad852ec49 1 fa287336816097 6 49873 443\n"
	"51791 1 fa287336816097 1 d80a91fad852ec49 6 443 49873\n"
	"\n"
	"0 0\n"
	"1 0 0 youtube-ui.l.google.com 73c65311b2a3835d 300\n"
	"13 0 1 787f9e65b830e5efe0a5c7d7cde13b14118a3064 fa287336816097 20\n"
	"\n"
	"1 0 0 www.youtube.com 0 youtube-ui.l.google.com 86400\n"
	"13 0 1 bb19bc43065d5cd20d03f752e9f31760cc3b9dfc 1 99436bf3da600e08e3dc2029a5b34e056e87d3b0 300\n"
	"13 0 1 99436bf3da600e08e3dc2029a5b34e056e87d3b0 1 787f9e65b830e5efe0a5c7d7cde13b14118a3064 21600\n"
	"\n"
	"0 256\n"
	"001f3b8becc6 d80a91fad852ec49\n"
	"012345532d05 6315897dcc4446c3\n"
	"\n"
	"\n";

static const char example_13_2[] =
	"5\n"
	"UNKNOWN\n"
	"OW0123456789AB 1337104800512345 1 1337104860\n"
	"25 0 0\n"
	"\n"
	"\n"
	"d8ed5acebaa9c7d364d16687864ccc2666576188\n"
	"\n"
	"1337104835211007 0\n"
	"0 66 27187\n"
	"31877 66 27188\n"
	"1200345 42 2\n"
	"-3 60 2\n"
	"2210 90 40112\n"
	"30512 90 6021\n"
	"8800001 1514 27188\n"
	"\n"
	"1337104830 10 0 0\n"
	"6021 1 988425d2def59ffb 1 d80a91fad852ec49 17 123 123\n"
	"40112 1 d80a91fad852ec49 1 988425d2def59ffb 17 123 123\n"
	"\n"
	"0 0\n"
	"\n"
	"\n"
	"2 256\n"
	"\n"
	"\n";

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
	assert_int_equal(pd_feed(d, example_13_1), 0);
	assert_int_equal(pd_feed(d, example_13_2), 0);
	assert_int_equal(pd_end_run(d, NULL), 0);

	assert_string_equal(pd_saved(d, 0, "flow-domains"),
			    "[[3305 []] [3306 []] [6021 []] [10422 []] [10423 []] "
			    "[27187 [[0 \"www.youtube.com\"] [0 \"youtube-ui.l.google.com\"]]] "
			    "[27188 [[0 \"www.youtube.com\"] [0 \"youtube-ui.l.google.com\"]]] "
			    "[40112 []] "
			    "[51790 [[1 \"" BANK "\"] [1 \"" BANK_CNAME "\"]]] "
			    "[51791 [[1 \"" BANK "\"] [1 \"" BANK_CNAME "\"]]]]");
	assert_string_equal(pd_table(d, "flow_domains_per_node"),
			    "node_id,anonymized,domain,flows\n"
			    NODE ",0,www.youtube.com,2\n"
			    NODE ",0,youtube-ui.l.google.com,2\n"
			    NODE ",1," BANK ",2\n"
			    NODE ",1," BANK_CNAME ",2\n");
	assert_string_equal(pd_saved(d, 0, "domains"),
			    "[true 1337104860000000 "
			    "[[0 \"73c65311b2a3835d\" "
			    "[[0 \"www.youtube.com\" 1337104801034724 1337105101034724] "
			    "[0 \"youtube-ui.l.google.com\" 1337104801034724 1337105101034724]]]] "
			    "[[0 0 \"youtube-ui.l.google.com\" "
			    "[[\"73c65311b2a3835d\" 300 1337104801034724]]]] []]");
	/* whitelisted: youtube-ui.l.google.com matches google.com, the clear alias
	 * www.youtube.com matches youtube.com, with the same window; the hashed
	 * names are left out */
	assert_string_equal(pd_saved(d, 0, "whitelisted-domains"),
			    "[true 1337104860000000 "
			    "[[0 \"73c65311b2a3835d\" "
			    "[[0 \"google.com\" 1337104801034724 1337105101034724] "
			    "[0 \"youtube.com\" 1337104801034724 1337105101034724]]]] "
			    "[[0 0 \"youtube-ui.l.google.com\" "
			    "[[\"73c65311b2a3835d\" 300 1337104801034724]]]] "
			    "[\"amazon.com\" \"facebook.com\" \"google.com\" \"wikipedia.org\" "
			    "\"yahoo.com\" \"youtube.com\"]]");
	assert_string_equal(pd_saved(d, 0, "addresses"),
			    "[[\"6315897dcc4446c3\" \"012345532d05\" 1] "
			    "[\"d80a91fad852ec49\" \"001f3b8becc6\" 0]]");
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
