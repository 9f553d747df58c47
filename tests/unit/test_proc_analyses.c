/*
 * tests/unit/test_proc_analyses.c: the analyses bytes-per-device,
 * bytes-per-domain and lookups-per-device (docs/results.md) on hand-written
 * updates run by the real worker and merge code (proc_driver.h), the
 * expected rows worked out by hand in the comments: LAN-to-LAN flows, a
 * re-announced address id, answers of one response counted once, names
 * that match one whitelist entry or two, sessions of one node merged in
 * every order, and update-by-update runs giving what one run gives.
 * tests/e2e/t0414-analyses.sh runs them with the real binary.
 *
 * Times: T0 = 1337104800 s = 2012-05-15T18:00:00Z (an hour's start);
 * hour 18 is 1337104800000000 µs, hour 19 1337108400000000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proc_driver.h"

#define PROCS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ANALYSES PROCS("bytes-per-device", "bytes-per-domain", "lookups-per-device")
#define H18 "1337104800000000,2012-05-15T18:00:00Z"
#define H19 "1337108400000000,2012-05-15T19:00:00Z"

/*
 * Session N1/1: address ids 0 = c1 (MAC ...a1), 1 = c2 (...a2). Flows: 7 c1
 * -> c2 (LAN to LAN: the source is local, a1), 8 c2 -> e9 (a2), 9 e8 -> e9
 * (no local side). Update 0 (hour 18): 100 B f7, 200 B f8, 300 B f9, 40 B
 * ARP (flow 2). DNS: packet 0 to id 0: a.example; packet 1 to id 1:
 * a.example twice (two IPs: one lookup), b.example, the CNAME alias
 * c.example -> a.example (its target is not counted again), a hashed alias
 * (not counted), and a.example at packet 7 (out of range: no time).
 * Update 1 (hour 19) re-announces id 0 for c3 (MAC ...b1): c1 keeps its id
 * and MAC for its flows (1000 B f7 stays a1's), but an answer to id 0 is
 * now b1's (ctx->device_of: the id's latest announcement). 10 B f8.
 */
static const struct pd_text devices[] = {
	{.intro = "N1 1 0 1337104830",
	 .packets = "1337104801000000 0\n0 100 7\n1000 200 8\n1000 300 9\n1000 40 2\n",
	 .flows = "0 3 0 0\n7 1 c1 1 c2 6 1 2\n8 1 c2 1 e9 17 3 4\n9 1 e8 1 e9 6 5 6\n",
	 .dns_a = "0 0\n0 0 0 a.example e9 60\n1 1 0 a.example e9 60\n1 1 0 a.example e7 60\n"
		  "1 1 0 b.example e9 60\n7 1 0 a.example e9 60\n",
	 .cname = "1 1 0 c.example 0 a.example 30\n1 1 1 h1 0 a.example 30\n",
	 .addresses = "0 256\n0000000000a1 c1\n0000000000a2 c2\n"},
	{.intro = "N1 1 1 1337108430",
	 .packets = "1337108401000000 0\n0 1000 7\n1000 10 8\n",
	 .dns_a = "0 0\n0 0 0 a.example e9 60\n",
	 .addresses = "0 256\n0000000000b1 c3\n"},
};

static const char want_devices_bytes[] =
	"node_id,device,hour_us,hour_iso,bytes,packets\n"
	"N1,0000000000a1," H18 ",100,1\n"
	"N1,0000000000a1," H19 ",1000,1\n"
	"N1,0000000000a2," H18 ",200,1\n"
	"N1,0000000000a2," H19 ",10,1\n"
	"N1,unknown," H18 ",340,2\n";
static const char want_devices_lookups[] =
	"node_id,device,domain,hour_us,hour_iso,lookups\n"
	"N1,0000000000a1,a.example," H18 ",1\n"
	"N1,0000000000a2,a.example," H18 ",1\n"
	"N1,0000000000a2,b.example," H18 ",1\n"
	"N1,0000000000a2,c.example," H18 ",1\n"
	"N1,0000000000b1,a.example," H19 ",1\n";

static void test_devices(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(ANALYSES);
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		pd_feed_parts(d, &devices[i]);
	pd_end_run(d);
	assert_string_equal(pd_table(d, "bytes_per_device"), want_devices_bytes);
	assert_string_equal(pd_table(d, "lookups_per_device"), want_devices_lookups);
	/* no whitelist: no domain has bytes */
	assert_string_equal(pd_table(d, "bytes_per_domain"),
			    "node_id,domain,hour_us,hour_iso,bytes,packets\n");
	pd_free(d);
}

/*
 * Sessions N1/3 and N1/4, whitelist google.com, youtube.com, example.org;
 * id 0 = c1 (MAC ...a1). At packet 0 (T0+1) the client gets www.google.com
 * and google.com -> e5, youtube-ui.l.google.com -> e6 with the CNAME
 * www.youtube.com -> youtube-ui.l.google.com, cdn.example (no entry) and a
 * hashed name -> e7. Flows (first packets after T0+1):
 *   7 c1 -> e5: www.google.com, google.com: google.com once;
 *   8 e6 -> c1: youtube-ui.l.google.com (google.com) and www.youtube.com
 *     (youtube.com): each entry gets all the bytes;
 *   9 c1 -> e7: cdn.example and a hash: nothing; 10 c1 -> e8: nothing.
 * Session 3: 60 B ARP (the response), 100 B f7, 200 B f8, 300 B f9, 400 B
 * f10, all in hour 18. Session 4 (same node): the same answers and 1000 B f7
 * at 18:30. So google.com 18: 100 + 200 + 1000 = 1300 (3 packets);
 * youtube.com 18: 200 (1); all device a1.
 */
#define WHITELIST "google.com\nyoutube.com\nexample.org\n"
#define ANSWERS "0 0\n0 0 0 www.google.com e5 300\n0 0 0 google.com e5 300\n"        \
		"0 0 0 youtube-ui.l.google.com e6 300\n0 0 0 cdn.example e7 300\n" \
		"0 0 1 h1 e7 300\n"
static const struct pd_text domains[] = {
	{.intro = "N1 3 0 1337104830", .whitelist = WHITELIST,
	 .packets = "1337104801000000 0\n0 60 2\n1000 100 7\n1000 200 8\n1000 300 9\n1000 400 10\n",
	 .flows = "0 4 0 0\n7 1 c1 1 e5 6 1 443\n8 1 e6 1 c1 6 443 2\n9 1 c1 1 e7 6 3 443\n"
		  "10 1 c1 1 e8 6 4 443\n",
	 .dns_a = ANSWERS, .cname = "0 0 0 www.youtube.com 0 youtube-ui.l.google.com 300\n",
	 .addresses = "0 256\n0000000000a1 c1\n"},
	{.intro = "N1 4 0 1337106630", .whitelist = WHITELIST,
	 .packets = "1337106600000000 0\n0 60 2\n1000 1000 7\n",
	 .flows = "0 1 0 0\n7 1 c1 1 e5 6 1 443\n",
	 .dns_a = "0 0\n0 0 0 www.google.com e5 300\n0 0 0 google.com e5 300\n",
	 .addresses = "0 256\n0000000000a1 c1\n"},
};

static const char want_domains[] =
	"node_id,domain,hour_us,hour_iso,bytes,packets\n"
	"N1,google.com," H18 ",1300,3\n"
	"N1,youtube.com," H18 ",200,1\n";
static const char want_domains_devices[] =
	"node_id,device,domain,hour_us,hour_iso,bytes,packets\n"
	"N1,0000000000a1,google.com," H18 ",1300,3\n"
	"N1,0000000000a1,youtube.com," H18 ",200,1\n";

static void test_domains(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(ANALYSES);
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		pd_feed_parts(d, &domains[i]);
	pd_end_run(d);
	assert_string_equal(pd_table(d, "bytes_per_domain"), want_domains);
	assert_string_equal(pd_table(d, "bytes_per_domain_per_device"), want_domains_devices);
	/* every packet of the node, once: 60 + 100 + 200 + 300 + 400 + 60 + 1000 */
	assert_string_equal(pd_table(d, "bytes_per_device"),
			    "node_id,device,hour_us,hour_iso,bytes,packets\n"
			    "N1,0000000000a1," H18 ",2000,5\n"
			    "N1,unknown," H18 ",120,2\n");
	/* lookups at packet 0 of each session, in clear: cdn.example too */
	assert_string_equal(pd_table(d, "lookups_per_device"),
			    "node_id,device,domain,hour_us,hour_iso,lookups\n"
			    "N1,0000000000a1,cdn.example," H18 ",1\n"
			    "N1,0000000000a1,google.com," H18 ",2\n"
			    "N1,0000000000a1,www.google.com," H18 ",2\n"
			    "N1,0000000000a1,www.youtube.com," H18 ",1\n"
			    "N1,0000000000a1,youtube-ui.l.google.com," H18 ",1\n");
	pd_free(d);
}

/* Every session of both workloads, in one run, in runs of one update each,
 * and merged in every order, gives the same tables. */
static void test_runs_and_orders(void **unused)
{
	(void)unused;
	static const char *const tables[] = {"bytes_per_device", "bytes_per_domain",
					     "bytes_per_domain_per_device", "lookups_per_device"};
	const struct pd_text *all[] = {&devices[0], &domains[0], &devices[1], &domains[1]};
	struct pd *one = pd_new(ANALYSES), *each = pd_new(ANALYSES);
	for (size_t i = 0; i < 4; i++) {
		pd_feed_parts(one, all[i]);
		pd_feed_parts(each, all[i]);
		pd_end_run(each);
	}
	pd_end_run(one);
	assert_int_equal(pd_n_sessions(one), 3);
	for (size_t t = 0; t < 4; t++)
		assert_string_equal(pd_table(each, tables[t]), pd_table(one, tables[t]));
	char *want = pd_tables_text(one, NULL);
	static const uint32_t orders[][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					     {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	for (size_t o = 0; o < 6; o++) {
		pd_merge(one, orders[o]);
		char *got = pd_tables_text(one, NULL);
		assert_string_equal(got, want);
		free(got);
	}
	/* the three sessions of N1 add up: a1 in hour 18 has 100 B (1 packet)
	 * of session 1 and 2000 B (5) of sessions 3 and 4 */
	assert_non_null(strstr(want, "N1,0000000000a1," H18 ",2100,6\n"));
	free(want);
	pd_free(one);
	pd_free(each);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_runs_and_orders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
