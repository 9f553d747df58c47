/*
 * tests/unit/test_views.c: the views of the correlation built-ins
 * (ctx->packet_view, ctx->device_of; bpass.h, docs/semantics.md) as a
 * plugin sees them: the test plugin tests/plugins/views_probe.c (loaded as
 * `bpass run --plugin` loads it) writes down the
 * view of every packet, device_of of ids 0-3 and 255, and the contract
 * checks, and the tests compare its table with values worked out by hand
 * from docs/semantics.md in the comments. Everything runs through the real
 * parser, index, worker (with its state files, between runs too), merge and
 * results code (proc_driver.h).
 *
 * The probes differ in .depends: views-probe lists flows, addresses,
 * flow-domains and whitelisted-domains; views-probe-flows only flows;
 * views-probe-fd addresses and flow-domains; views-probe-none nothing.
 * Line format (views_probe.c): "SEQ.I flow=F class=C[ SRC>DST proto=P
 * ports=SP>DP anon=SA/DA][ local=SIDE LOCAL remote=REMOTE ranon=R][ mac=MAC
 * id=ID][ domains=A:NAME[@WHITELIST-ENTRY];...]".
 *
 * Times: T0 = 1337104800 s = 2012-05-15T18:00:00Z.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_driver.h"

#define FEED(d, ...) pd_feed_parts((d), &(struct pd_text){__VA_ARGS__})
#define HEAD "node_id,session_id,n,line\n"
#define MAC_A "0000000000aa"
#define MAC_B "0000000000bb"
#define MAC_C "0000000000cc"
#define MAC_D "0000000000dd"
/* Every update with packets ends with these lines: packet n_packets and a
 * copy of the update are refused; a v_size ending after proto_class gets
 * 12 bytes (struct_size, flow_id, proto_class), the rest untouched; 16
 * bytes more than the struct get the whole struct and zeros. C: the class
 * of packet 0 as a number. */
#define API(seq, c) seq " api oob=-1 other=-1 small=0/12/" c "/kept big=0/all/zeroed"
#define NO_DEV(seq) seq " dev 0=- 1=- 2=- 3=- 255=-"

static const char *const probes[] = {"views-probe", "views-probe-flows", "views-probe-fd",
				     "views-probe-none", NULL};

/* The absolute path of the test plugin. */
static char plugin[PATH_MAX];

static int setup(void **unused)
{
	(void)unused;
	const char *build = getenv("BUILD");
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/plugins/views_probe.so", build ? build : "build");
	if (!realpath(rel, plugin)) {
		fprintf(stderr, "no test plugin \"%s\"\n", rel);
		return -1;
	}
	return 0;
}

/*
 * The class of every packet (docs/semantics.md "Flow ids"), in a version-5
 * session and a version-1 session, as the probe that lists only flows sees
 * them; the probe that lists nothing sees only the flow ids.
 *
 * N1/1000 (version 5) announces 7 tcp, 8 udp (clear destination), 9 icmp,
 * 10 GRE (47: other-ip). Packets: those four, then the reserved ids 0
 * (unknown), 1-3 (non-ip), 4 (ipv6), 5, 6 (non-ip), -1 (unknown) and 500
 * (never announced: unknown).
 * N2/2000 (version 1: no reserved ids) announces 0 as the all-zero flow
 * (protocol 0, ports 0, the same ip on both sides: non-ip), 2 udp, 3 with
 * protocol 0 between two ips (other-ip, not the all-zero flow), 4 tcp.
 * Packets: 0, 4, -1 (unknown), 2, 5 (never announced: unknown), 3.
 */
static void test_classes(void **unused)
{
	(void)unused;
	struct pd *d = pd_new_plugins(probes, (const char *const[]){plugin, NULL});
	FEED(d, .intro = "N1 1000 0 1337104830",
	     .packets = "1337104801000000 0\n"
			"0 100 7\n1 100 8\n1 100 9\n1 100 10\n1 100 0\n1 100 1\n1 100 2\n"
			"1 100 3\n1 100 4\n1 100 5\n1 100 6\n1 100 -1\n1 100 500\n",
	     .flows = "0 4 0 0\n"
		      "7 1 a1 1 b1 6 1000 80\n"
		      "8 1 a1 0 b2 17 1001 53\n"
		      "9 1 a1 1 b3 1 0 0\n"
		      "10 1 a1 1 b4 47 0 0\n");
	FEED(d, .version = 1, .intro = "N2 2000 0 1318000030",
	     .packets = "1318000001000000 0\n"
			"0 60 0\n10 70 4\n10 80 -1\n10 90 2\n10 100 5\n10 110 3\n",
	     .flows = "1318000000 4 0 0\n"
		      "0 1 z1 1 z1 0 0 0\n"
		      "2 1 a1 1 b1 17 5001 53\n"
		      "3 1 a1 1 b2 0 0 0\n"
		      "4 1 a1 1 b1 6 5000 80\n");
	pd_end_run(d);

	assert_string_equal(pd_table(d, "views_probe_flows"), HEAD
		"N1,1000,0,0.0 flow=7 class=tcp a1>b1 proto=6 ports=1000>80 anon=1/1\n"
		"N1,1000,1,0.1 flow=8 class=udp a1>b2 proto=17 ports=1001>53 anon=1/0\n"
		"N1,1000,2,0.2 flow=9 class=icmp a1>b3 proto=1 ports=0>0 anon=1/1\n"
		"N1,1000,3,0.3 flow=10 class=other-ip a1>b4 proto=47 ports=0>0 anon=1/1\n"
		"N1,1000,4,0.4 flow=0 class=unknown\n"
		"N1,1000,5,0.5 flow=1 class=non-ip\n"
		"N1,1000,6,0.6 flow=2 class=non-ip\n"
		"N1,1000,7,0.7 flow=3 class=non-ip\n"
		"N1,1000,8,0.8 flow=4 class=ipv6\n"
		"N1,1000,9,0.9 flow=5 class=non-ip\n"
		"N1,1000,10,0.10 flow=6 class=non-ip\n"
		"N1,1000,11,0.11 flow=-1 class=unknown\n"
		"N1,1000,12,0.12 flow=500 class=unknown\n"
		"N1,1000,13," NO_DEV("0") "\n"
		"N1,1000,14," API("0", "1") "\n"
		"N1,1000,15,end view=-1\n"
		"N2,2000,0,0.0 flow=0 class=non-ip z1>z1 proto=0 ports=0>0 anon=1/1\n"
		"N2,2000,1,0.1 flow=4 class=tcp a1>b1 proto=6 ports=5000>80 anon=1/1\n"
		"N2,2000,2,0.2 flow=-1 class=unknown\n"
		"N2,2000,3,0.3 flow=2 class=udp a1>b1 proto=17 ports=5001>53 anon=1/1\n"
		"N2,2000,4,0.4 flow=5 class=unknown\n"
		"N2,2000,5,0.5 flow=3 class=other-ip a1>b2 proto=0 ports=0>0 anon=1/1\n"
		"N2,2000,6," NO_DEV("0") "\n"
		"N2,2000,7," API("0", "6") "\n"
		"N2,2000,8,end view=-1\n");
	/* Without flows in .depends the class stays unknown, even for the
	 * reserved ids. */
	assert_string_equal(pd_table(d, "views_probe_none"), HEAD
		"N1,1000,0,0.0 flow=7 class=unknown\n"
		"N1,1000,1,0.1 flow=8 class=unknown\n"
		"N1,1000,2,0.2 flow=9 class=unknown\n"
		"N1,1000,3,0.3 flow=10 class=unknown\n"
		"N1,1000,4,0.4 flow=0 class=unknown\n"
		"N1,1000,5,0.5 flow=1 class=unknown\n"
		"N1,1000,6,0.6 flow=2 class=unknown\n"
		"N1,1000,7,0.7 flow=3 class=unknown\n"
		"N1,1000,8,0.8 flow=4 class=unknown\n"
		"N1,1000,9,0.9 flow=5 class=unknown\n"
		"N1,1000,10,0.10 flow=6 class=unknown\n"
		"N1,1000,11,0.11 flow=-1 class=unknown\n"
		"N1,1000,12,0.12 flow=500 class=unknown\n"
		"N1,1000,13," NO_DEV("0") "\n"
		"N1,1000,14," API("0", "0") "\n"
		"N1,1000,15,end view=-1\n"
		"N2,2000,0,0.0 flow=0 class=unknown\n"
		"N2,2000,1,0.1 flow=4 class=unknown\n"
		"N2,2000,2,0.2 flow=-1 class=unknown\n"
		"N2,2000,3,0.3 flow=2 class=unknown\n"
		"N2,2000,4,0.4 flow=5 class=unknown\n"
		"N2,2000,5,0.5 flow=3 class=unknown\n"
		"N2,2000,6," NO_DEV("0") "\n"
		"N2,2000,7," API("0", "0") "\n"
		"N2,2000,8,end view=-1\n");
	pd_free(d);
}

/*
 * The local side, the device and device_of (docs/semantics.md "Addresses
 * and the local side"), over two runs (the second reads the saved states).
 *
 * Update 0: the address table starts at id 255: a1 = 255 (MAC ..aa),
 * b2 = (255 + 1) mod 256 = 0 (..bb). Flows: 7 a1 -> e1 (the source has an
 * id: local 0), 8 e2 -> b2 (clear source; only the destination has an id:
 * local 1, remote e2 in clear), 9 e3 -> e4 (neither: unknown), 10 a1 -> b2
 * (both: the source wins).
 * Update 1: id 0 goes to c3 (..cc) and a1 comes back as id 1 with MAC ..dd.
 * So a1 is now id 1, ..dd; b2 keeps id 0, ..bb (its own latest
 * announcement); device_of(0) is ..cc (the latest announcement of id 0),
 * device_of(1) ..dd, device_of(255) still ..aa (nothing re-announced 255).
 * Flow 11 c3 -> e5 is local 0, id 0, ..cc.
 */
static void test_local_side(void **unused)
{
	(void)unused;
	struct pd *d = pd_new_plugins(probes, (const char *const[]){plugin, NULL});
	FEED(d, .intro = "N1 3000 0 1337104830",
	     .addresses = "255 256\n" MAC_A " a1\n" MAC_B " b2\n",
	     .packets = "1337104801000000 0\n0 100 7\n1 100 8\n1 100 9\n1 100 10\n",
	     .flows = "0 4 0 0\n"
		      "7 1 a1 1 e1 6 1000 80\n"
		      "8 0 e2 1 b2 6 443 5000\n"
		      "9 1 e3 1 e4 17 1 2\n"
		      "10 1 a1 1 b2 6 22 2222\n");
	pd_end_run(d);
	const char *run1 =
		"N1,3000,0,0.0 flow=7 class=tcp a1>e1 proto=6 ports=1000>80 anon=1/1 "
		"local=0 a1 remote=e1 ranon=1 mac=" MAC_A " id=255\n"
		"N1,3000,1,0.1 flow=8 class=tcp e2>b2 proto=6 ports=443>5000 anon=0/1 "
		"local=1 b2 remote=e2 ranon=0 mac=" MAC_B " id=0\n"
		"N1,3000,2,0.2 flow=9 class=udp e3>e4 proto=17 ports=1>2 anon=1/1\n"
		"N1,3000,3,0.3 flow=10 class=tcp a1>b2 proto=6 ports=22>2222 anon=1/1 "
		"local=0 a1 remote=b2 ranon=1 mac=" MAC_A " id=255\n"
		"N1,3000,4,0 dev 0=" MAC_B " 1=- 2=- 3=- 255=" MAC_A "\n"
		"N1,3000,5," API("0", "1") "\n"
		"N1,3000,6,end view=-1\n";
	char want[4096];
	snprintf(want, sizeof(want), HEAD "%s", run1);
	assert_string_equal(pd_table(d, "views_probe"), want);

	FEED(d, .intro = "N1 3000 1 1337104860",
	     .addresses = "0 256\n" MAC_C " c3\n" MAC_D " a1\n",
	     .packets = "1337104831000000 0\n0 100 7\n1 100 8\n1 100 11\n",
	     .flows = "1337104830 5 0 0\n11 1 c3 1 e5 6 3000 443\n");
	pd_end_run(d);
	snprintf(want, sizeof(want), HEAD "%s%s", run1,
		 "N1,3000,7,1.0 flow=7 class=tcp a1>e1 proto=6 ports=1000>80 anon=1/1 "
		 "local=0 a1 remote=e1 ranon=1 mac=" MAC_D " id=1\n"
		 "N1,3000,8,1.1 flow=8 class=tcp e2>b2 proto=6 ports=443>5000 anon=0/1 "
		 "local=1 b2 remote=e2 ranon=0 mac=" MAC_B " id=0\n"
		 "N1,3000,9,1.2 flow=11 class=tcp c3>e5 proto=6 ports=3000>443 anon=1/1 "
		 "local=0 c3 remote=e5 ranon=1 mac=" MAC_C " id=0\n"
		 "N1,3000,10,1 dev 0=" MAC_C " 1=" MAC_D " 2=- 3=- 255=" MAC_A "\n"
		 "N1,3000,11," API("1", "1") "\n"
		 "N1,3000,12,end view=-1\n");
	assert_string_equal(pd_table(d, "views_probe"), want);
	/* Without addresses in .depends: no local side, no device. */
	assert_non_null(strstr(pd_table(d, "views_probe_flows"),
			       "N1,3000,9,1.2 flow=11 class=tcp c3>e5 proto=6 ports=3000>443 "
			       "anon=1/1\nN1,3000,10," NO_DEV("1") "\n"));

	/* addresses version 2 saves the map of ids besides the map of ips
	 * (sorted by ip, then by id); a version-1 state is declined, so the
	 * processor starts again from update 0. */
	assert_string_equal(pd_saved(d, 0, "addresses"),
			    "[[[\"a1\", \"" MAC_D "\", 1], [\"b2\", \"" MAC_B "\", 0], "
			    "[\"c3\", \"" MAC_C "\", 0]], "
			    "[[0, \"" MAC_C "\"], [1, \"" MAC_D "\"], [255, \"" MAC_A "\"]]]");
	const struct bpass_processor *p = pd_processor("addresses");
	size_t len;
	const void *data = pd_saved_data(d, 0, "addresses", &len);
	assert_int_equal(p->version, 2);
	assert_int_equal(pd_load(p, PD_SESSION, 2, data, len, NULL), 0);
	assert_int_equal(pd_load(p, PD_SESSION, 1, data, len, NULL), -1);
	pd_free(d);
}

/*
 * The domains of a flow as flow-domains computes them, sorted, with the
 * whitelist entry of each clear name (docs/semantics.md "DNS windows" and
 * "The whitelist"); a re-announced flow id (latest wins).
 *
 * Update 0 (whitelist google.com, youtube.com, www.youtube.com): client c1
 * has address id 0 (..aa). The DNS response p0 (T0+1, flow 8 s3 -> c1)
 * carries A records for c1, all with ttl 300 ([T0+1, T0+301]): under
 * (0, s1) www.google.com, hhhh (hashed), mail.google.com, example.org,
 * xgoogle.com; under (0, s2) youtube.com; and the CNAME www.youtube.com ->
 * youtube.com, ttl 100: [max(T0+1, T0+1), min(T0+101, T0+301)] under (0, s2).
 * Flow 7 c1 -> s1 starts at p1 (T0+2): all five s1 names, sorted clear
 * first, then bytewise: example.org (no entry), mail.google.com and
 * www.google.com (google.com), xgoogle.com (no entry: "x" is no dot),
 * hhhh (hashed: no entry). Flow 9 c1 -> s2 starts at p3 (T0+4):
 * www.youtube.com (it equals www.youtube.com and ends with .youtube.com:
 * the longer entry) and youtube.com. Flow 8 s3 -> c1: key (0, s3) has no
 * records.
 * Update 1 (T0+60, 30 s later: no expiry) re-announces 7 as c1 -> s2,
 * first packet T0+32: the two youtube names. Flow 9 keeps its set.
 */
static void test_domains(void **unused)
{
	(void)unused;
	struct pd *d = pd_new_plugins(probes, (const char *const[]){plugin, NULL});
	FEED(d, .intro = "N1 4000 0 1337104830",
	     .whitelist = "google.com\nyoutube.com\nwww.youtube.com\n",
	     .addresses = "0 256\n" MAC_A " c1\n",
	     .packets = "1337104801000000 0\n"
			"0 90 8\n1000000 60 7\n1000000 60 7\n1000000 60 9\n",
	     .flows = "0 3 0 0\n"
		      "7 1 c1 1 s1 6 5000 443\n"
		      "8 1 s3 1 c1 17 53 5001\n"
		      "9 1 c1 1 s2 6 5002 443\n",
	     .dns_a = "0 0\n"
		      "0 0 0 www.google.com s1 300\n"
		      "0 0 1 hhhh s1 300\n"
		      "0 0 0 mail.google.com s1 300\n"
		      "0 0 0 example.org s1 300\n"
		      "0 0 0 xgoogle.com s1 300\n"
		      "0 0 0 youtube.com s2 300\n",
	     .cname = "0 0 0 www.youtube.com 0 youtube.com 100\n");
	pd_end_run(d);
	FEED(d, .intro = "N1 4000 1 1337104860",
	     .packets = "1337104832000000 0\n0 60 7\n1000000 60 9\n1000000 60 8\n",
	     .flows = "1337104830 3 0 0\n7 1 c1 1 s2 6 5003 443\n");
	pd_end_run(d);

#define C1 " anon=1/1 local=0 c1 remote="
#define S1_DOMAINS "domains=0:example.org;0:mail.google.com@google.com;" \
		   "0:www.google.com@google.com;0:xgoogle.com;1:hhhh"
#define S2_DOMAINS "domains=0:www.youtube.com@www.youtube.com;0:youtube.com@youtube.com"
	assert_string_equal(pd_table(d, "views_probe"), HEAD
		"N1,4000,0,0.0 flow=8 class=udp s3>c1 proto=17 ports=53>5001 anon=1/1 "
		"local=1 c1 remote=s3 ranon=1 mac=" MAC_A " id=0\n"
		"N1,4000,1,0.1 flow=7 class=tcp c1>s1 proto=6 ports=5000>443" C1 "s1 ranon=1 "
		"mac=" MAC_A " id=0 " S1_DOMAINS "\n"
		"N1,4000,2,0.2 flow=7 class=tcp c1>s1 proto=6 ports=5000>443" C1 "s1 ranon=1 "
		"mac=" MAC_A " id=0 " S1_DOMAINS "\n"
		"N1,4000,3,0.3 flow=9 class=tcp c1>s2 proto=6 ports=5002>443" C1 "s2 ranon=1 "
		"mac=" MAC_A " id=0 " S2_DOMAINS "\n"
		"N1,4000,4,0 dev 0=" MAC_A " 1=- 2=- 3=- 255=-\n"
		"N1,4000,5," API("0", "2") "\n"
		"N1,4000,6,end view=-1\n"
		"N1,4000,7,1.0 flow=7 class=tcp c1>s2 proto=6 ports=5003>443" C1 "s2 ranon=1 "
		"mac=" MAC_A " id=0 " S2_DOMAINS "\n"
		"N1,4000,8,1.1 flow=9 class=tcp c1>s2 proto=6 ports=5002>443" C1 "s2 ranon=1 "
		"mac=" MAC_A " id=0 " S2_DOMAINS "\n"
		"N1,4000,9,1.2 flow=8 class=udp s3>c1 proto=17 ports=53>5001 anon=1/1 "
		"local=1 c1 remote=s3 ranon=1 mac=" MAC_A " id=0\n"
		"N1,4000,10,1 dev 0=" MAC_A " 1=- 2=- 3=- 255=-\n"
		"N1,4000,11," API("1", "1") "\n"
		"N1,4000,12,end view=-1\n");
	/* Addresses and flow-domains only: no flow, no class, no local side, and
	 * the same domains without whitelist entries; device_of works. */
	assert_string_equal(pd_table(d, "views_probe_fd"), HEAD
		"N1,4000,0,0.0 flow=8 class=unknown\n"
		"N1,4000,1,0.1 flow=7 class=unknown domains=0:example.org;0:mail.google.com;"
		"0:www.google.com;0:xgoogle.com;1:hhhh\n"
		"N1,4000,2,0.2 flow=7 class=unknown domains=0:example.org;0:mail.google.com;"
		"0:www.google.com;0:xgoogle.com;1:hhhh\n"
		"N1,4000,3,0.3 flow=9 class=unknown domains=0:www.youtube.com;0:youtube.com\n"
		"N1,4000,4,0 dev 0=" MAC_A " 1=- 2=- 3=- 255=-\n"
		"N1,4000,5," API("0", "0") "\n"
		"N1,4000,6,end view=-1\n"
		"N1,4000,7,1.0 flow=7 class=unknown domains=0:www.youtube.com;0:youtube.com\n"
		"N1,4000,8,1.1 flow=9 class=unknown domains=0:www.youtube.com;0:youtube.com\n"
		"N1,4000,9,1.2 flow=8 class=unknown\n"
		"N1,4000,10,1 dev 0=" MAC_A " 1=- 2=- 3=- 255=-\n"
		"N1,4000,11," API("1", "0") "\n"
		"N1,4000,12,end view=-1\n");
#undef C1
#undef S1_DOMAINS
#undef S2_DOMAINS
	pd_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_local_side),
		cmocka_unit_test(test_domains),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
