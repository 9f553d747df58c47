/*
 * tests/unit/test_proc_dns.c: the correlation processors (flows, addresses,
 * domains, whitelisted-domains, flow-domains) on hand-written updates run by
 * the real worker and merge code (proc_driver.h), with every expected value
 * worked out by hand from processors.md in the comments.
 *
 * Times: T0 = 1337104800 s = 2012-05-15T18:00:00Z, so T0 + 1.5 s is
 * 1337104801500000 µs. Saved states are compared as `bpass state --json`
 * shows the state files (arrays in brackets, strings quoted), which is
 * canonical: keys and sets sorted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proc_driver.h"

#define FEED(d, ...) pd_feed_parts((d), &(struct pd_text){__VA_ARGS__})
#define MAC_C3 "0000000000cc"

static const char *const correlation[] = {"flows", "addresses", "domains", "flow-domains", NULL};

/* A-record and CNAME windows: start = max(c, ta), end = min(c + cttl, ta + attl),
 * kept when start <= end; out-of-range packet ids skipped; expiry at the end
 * of the run; a flow first seen outside every window. */
static void test_windows(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(correlation);
	FEED(d, .intro = "N1 1000 0 1337104830",                 /* L will be T0+30 */
	     .packets = "1337104801000000 0\n"
			"0 100 7\n"          /* p0 T0+1.0, flow 7 */
			"500000 80 8\n"      /* p1 T0+1.5 */
			"1000000 60 20\n",   /* p2 T0+2.5, flow 20 */
	     .flows = "0 2 0 0\n"
		      "7 1 c3 1 a1 6 3 4\n"
		      "20 1 c3 1 a1 6 5 6\n",
	     .dns_a = "0 0\n"
		      "1 3 1 d1 a1 300\n"    /* t = T0+1.5: (1, d1, T0+1.5, T0+301.5) under (3, a1) */
		      "3 3 1 d2 a2 60\n"     /* PKTID 3 = number of packets: skipped */
		      "65535 3 1 d3 a3 60\n",/* skipped */
	     .cname = "2 3 1 alias1 1 d1 100\n"  /* c T0+2.5: [T0+2.5, min(T0+102.5, T0+301.5)] */
		      "0 3 1 alias2 1 d1 -5\n"   /* c T0+1: [max(T0+1, T0+1.5), min(T0-4, ..)]: empty */
		      "2 3 1 alias3 1 d1 0\n"    /* [T0+2.5, T0+2.5]: start = end, kept */
		      "2 3 1 alias4 1 d1 1000\n" /* [T0+2.5, min(T0+1002.5, T0+301.5) = T0+301.5] */
		      "0 3 1 alias5 1 d1 10\n"   /* [max(T0+1, T0+1.5), min(T0+11, T0+301.5)] */
		      "1 3 1 alias6 1 nosuch 100\n" /* no A record for the target */
		      "1 4 1 alias7 1 d1 100\n"  /* another client (address 4) */
		      "1 3 1 alias8 0 d1 100\n"  /* the target with another anonymization flag */
		      "3 3 1 alias9 1 d1 100\n", /* PKTID out of range */
	     .addresses = "3 256\n" MAC_C3 " c3\n"); /* c3 has address id 3 */
	pd_end_run(d);

	/* End of run: L = T0+30 drops alias3 (end T0+2.5) and alias5 (end T0+11).
	 * Left under (3, a1), sorted by name: alias1 [T0+2.5, T0+102.5],
	 * alias4 [T0+2.5, T0+301.5], d1 [T0+1.5, T0+301.5]; the A map keeps
	 * (a1, ttl 300, ta T0+1.5) under (3, 1, d1). */
	assert_string_equal(pd_saved(d, 0, "domains"),
			    "[true, 1337104830000000, "
			    "[[3, \"a1\", [[1, \"alias1\", 1337104802500000, 1337104902500000], "
			    "[1, \"alias4\", 1337104802500000, 1337105101500000], "
			    "[1, \"d1\", 1337104801500000, 1337105101500000]]]], "
			    "[[3, 1, \"d1\", [[\"a1\", 300, 1337104801500000]]]], []]");
	/* Flow 7 starts at T0+1.0, before every window (d1 and alias5 start at
	 * T0+1.5): empty. Flow 20 starts at T0+2.5, which lies in all five windows
	 * that existed during the update, alias3 and alias5 included. */
	assert_string_equal(pd_saved(d, 0, "flow-domains"),
			    "[[7, []], [20, [[1, \"alias1\"], [1, \"alias3\"], [1, \"alias4\"], "
			    "[1, \"alias5\"], [1, \"d1\"]]]]");
	assert_string_equal(pd_figures(d),
			    "N1 " PD_CONTEXT " 1000: flows=2 ip_mac_mappings=1 ip_domain_keys=1 "
			    "ip_domain_records=3 flow_domain_entries=2 flows_with_domain=1 "
			    "flow_domain_pairs=5\n");
	assert_string_equal(pd_table(d, "flow_domains_per_node"),
			    "node_id,anonymized,domain,flows\n"
			    "N1,1,alias1,1\n"
			    "N1,1,alias3,1\n"
			    "N1,1,alias4,1\n"
			    "N1,1,alias5,1\n"
			    "N1,1,d1,1\n");
	pd_free(d);
}

/* The three updates of the expiry test; ts1 is the timestamp of update 1. */
static void feed_expiry(struct pd *d, const char *session, int64_t ts1)
{
	char intro[3][64];
	snprintf(intro[0], sizeof(intro[0]), "N1 %s 0 1337104830", session);
	snprintf(intro[1], sizeof(intro[1]), "N1 %s 1 %lld", session, (long long)ts1);
	snprintf(intro[2], sizeof(intro[2]), "N1 %s 2 %lld", session, (long long)ts1 + 1);
	/* u0: p0 at T0+1; A dA -> e1 ttl 20: (1, dA, T0+1, T0+21) under (1, e1),
	 * remembered (e1, 20, T0+1); c3 gets address id 1 */
	FEED(d, .intro = intro[0], .packets = "1337104801000000 0\n0 100 5\n",
	     .dns_a = "0 0\n0 1 1 dA e1 20\n", .addresses = "1 256\n" MAC_C3 " c3\n");
	/* u1: CNAME cn1 -> dA at c = T0+5: [T0+5, min(T0+105, T0+21)] = [T0+5, T0+21];
	 * then, if ts1 is more than 30 s after L = T0+30, expiry with L = T0+30 */
	FEED(d, .intro = intro[1], .packets = "1337104805000000 0\n0 100 5\n",
	     .cname = "0 1 1 cn1 1 dA 100\n");
	/* u2: flow 9 from c3 to e1 starts at T0+6; CNAME cn2 -> dA at T0+6; A dL -> e2
	 * at T0+6 with ttl 3600: (1, dL, T0+6, T0+3606) under (1, e2) */
	FEED(d, .intro = intro[2], .packets = "1337104806000000 0\n0 100 9\n",
	     .flows = "1337104830 1 0 0\n9 1 c3 1 e1 6 1000 80\n",
	     .dns_a = "0 0\n0 1 1 dL e2 3600\n", .cname = "0 1 1 cn2 1 dA 100\n");
}

/* Expiry after a jump of more than 30 s, none after exactly 30 s; expiry at
 * the end of each run with L = the last update's timestamp (end == L kept);
 * the A-record map survives save/load into the next run. */
static void test_expiry(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(correlation);
	/* Session 2000: u1 at T0+61, 31 s after L = T0+30: expiry drops dA and cn1
	 * (end T0+21 < T0+30), key (1, e1) and the remembered dA. So in u2 cn2 finds
	 * no A record and flow 9 finds no key: empty set. */
	feed_expiry(d, "2000", 1337104861);
	/* Session 3000: u1 at T0+60, exactly 30 s: no expiry. In u2 cn2 resolves to
	 * [max(T0+6, T0+1), min(T0+106, T0+21)] = [T0+6, T0+21]; flow 9 starts at
	 * T0+6, inside dA [T0+1, T0+21], cn1 [T0+5, T0+21] and cn2 [T0+6, T0+21]. */
	feed_expiry(d, "3000", 1337104860);
	pd_end_run(d);

	/* End of run: L = T0+62 (session 2000) and T0+61 (3000) drop every e1
	 * record (end T0+21) and the remembered dA (T0+1 + 20 s); dL [T0+6, T0+3606]
	 * and its A record (e2, 3600, T0+6) stay. */
	assert_string_equal(pd_saved(d, 0, "domains"),
			    "[true, 1337104862000000, "
			    "[[1, \"e2\", [[1, \"dL\", 1337104806000000, 1337108406000000]]]], "
			    "[[1, 1, \"dL\", [[\"e2\", 3600, 1337104806000000]]]], []]");
	assert_string_equal(pd_saved(d, 1, "domains"),
			    "[true, 1337104861000000, "
			    "[[1, \"e2\", [[1, \"dL\", 1337104806000000, 1337108406000000]]]], "
			    "[[1, 1, \"dL\", [[\"e2\", 3600, 1337104806000000]]]], []]");
	assert_string_equal(pd_saved(d, 0, "flow-domains"), "[[9, []]]");
	assert_string_equal(pd_saved(d, 1, "flow-domains"),
			    "[[9, [[1, \"cn1\"], [1, \"cn2\"], [1, \"dA\"]]]]");
	assert_string_equal(pd_table(d, "flow_domains_per_node"),
			    "node_id,anonymized,domain,flows\n"
			    "N1,1,cn1,1\n"
			    "N1,1,cn2,1\n"
			    "N1,1,dA,1\n");

	/* Run 2, session 3000, u3 at T0+100: CNAME cn3 -> dL at c = T0+90, ttl 10:
	 * the A record remembered in run 1 gives [max(T0+90, T0+6),
	 * min(T0+100, T0+3606)] = [T0+90, T0+100]. 100 - 61 = 39 s > 30 s: expiry
	 * with L = T0+61 drops nothing. End of run, L = T0+100: cn3 ends at
	 * exactly L and stays (only end < L is dropped). */
	FEED(d, .intro = "N1 3000 3 1337104900", .packets = "1337104890000000 0\n0 100 5\n",
	     .cname = "0 1 1 cn3 1 dL 10\n");
	pd_end_run(d);
	assert_string_equal(pd_saved(d, 1, "domains"),
			    "[true, 1337104900000000, "
			    "[[1, \"e2\", [[1, \"cn3\", 1337104890000000, 1337104900000000], "
			    "[1, \"dL\", 1337104806000000, 1337108406000000]]]], "
			    "[[1, 1, \"dL\", [[\"e2\", 3600, 1337104806000000]]]], []]");
	pd_free(d);
}

/* Latest announcement wins for flows and addresses; address ids wrap at 256. */
static void test_latest_wins(void **unused)
{
	(void)unused;
	struct pd *d = pd_new((const char *const[]){"flows", "addresses", NULL});
	/* ids: a1 = 254, b2 = 255, c3 = (254 + 2) mod 256 = 0 */
	FEED(d, .intro = "N1 4000 0 1337104830",
	     .flows = "0 2 0 0\n7 1 a1 1 b2 6 1000 80\n8 1 a1 1 b3 17 5353 5353\n",
	     .addresses = "254 256\n0000000000aa a1\n0000000000bb b2\n0000000000cc c3\n");
	/* flow 7 re-announced with another 5-tuple and clear flags; a1 re-announced
	 * with MAC ...dd at id 1 */
	FEED(d, .intro = "N1 4000 1 1337104860", .flows = "1337104830 2 0 0\n7 0 c3 0 d4 1 0 0\n",
	     .addresses = "1 256\n0000000000dd a1\n");
	pd_end_run(d);
	assert_string_equal(pd_saved(d, 0, "flows"),
			    "[[7, 0, \"c3\", 0, \"d4\", 1, 0, 0], [8, 1, \"a1\", 1, \"b3\", 17, 5353, 5353]]");
	/* and the id map: 254 ..aa, 255 ..bb, 0 ..cc, then 1 ..dd */
	assert_string_equal(pd_saved(d, 0, "addresses"),
			    "[[[\"a1\", \"0000000000dd\", 1], [\"b2\", \"0000000000bb\", 255], "
			    "[\"c3\", \"0000000000cc\", 0]], "
			    "[[0, \"0000000000cc\"], [1, \"0000000000dd\"], "
			    "[254, \"0000000000aa\"], [255, \"0000000000bb\"]]]");
	assert_int_equal(pd_figure(d, 0, "flows"), 2);
	assert_int_equal(pd_figure(d, 0, "ip_mac_mappings"), 3);
	pd_free(d);
}

/* flow-domains: source or destination lookup, a wrapped address id, windows
 * inclusive at both ends, the first packet only (a later, earlier-timed one
 * is ignored), flows without packets or keys, a re-announced flow reset. */
static void test_flow_domains(void **unused)
{
	(void)unused;
	struct pd *d = pd_new(correlation);
	FEED(d, .intro = "N1 5000 0 1337104830",
	     /* a1 = 254, b2 = 255, c3 = 0 (wrapped) */
	     .addresses = "254 256\n0000000000aa a1\n0000000000bb b2\n0000000000cc c3\n",
	     .packets = "1337104801000000 0\n"
			"0 90 100\n"         /* p0 T0+1  the DNS response */
			"2000000 60 7\n"     /* p1 T0+3  flow 7 first */
			"3000000 60 8\n"     /* p2 T0+6  flow 8 first */
			"1000000 60 7\n"     /* p3 T0+7 */
			"1000000 60 9\n"     /* p4 T0+8  flow 9 first */
			"1000000 60 10\n"    /* p5 T0+9  flow 10 first */
			"2000000 60 13\n"    /* p6 T0+11 flow 13 first */
			"1000000 60 14\n"    /* p7 T0+12 flow 14 first */
			"-7000000 60 14\n"   /* p8 T0+5  flow 14 again, earlier */
			"8000000 60 12\n",   /* p9 T0+13 flow 12 first */
	     /* (1, hD, T0+1, T0+11) under (0, e5); (0, clear.example, T0+1, T0+101)
	      * under (255, e5); CNAME hAlias -> hD at T0+1, ttl 5:
	      * [T0+1, min(T0+6, T0+11)] = (1, hAlias, T0+1, T0+6) under (0, e5) */
	     .dns_a = "0 0\n0 0 1 hD e5 10\n0 255 0 clear.example e5 100\n",
	     .cname = "0 0 1 hAlias 1 hD 5\n",
	     .flows = "0 8 0 0\n"
		      "7 1 c3 1 e5 6 40000 443\n"  /* src c3 (0): (0, e5) at T0+3: hAlias, hD */
		      "8 1 e5 1 c3 6 443 40001\n"  /* dst c3 (0): (0, e5) at T0+6: hAlias (end), hD */
		      "9 1 b2 1 e5 6 40002 443\n"  /* src b2 (255): (255, e5) at T0+8: clear.example */
		      "10 1 f1 1 f2 17 1 2\n"      /* no address id either side: empty */
		      "11 1 c3 1 e5 6 40003 443\n" /* no packet in this update: empty */
		      "12 1 c3 1 f3 6 1 2\n"       /* no key (0, f3): empty */
		      "13 1 c3 1 e5 6 40004 443\n" /* T0+11: hD (its end); hAlias ended T0+6 */
		      "14 1 c3 1 e5 6 40005 443\n");/* T0+12: after both; p8 is not first */
	/* flow 7 re-announced towards e9: key (0, e9) does not exist, set reset */
	FEED(d, .intro = "N1 5000 1 1337104860", .packets = "1337104840000000 0\n0 60 7\n",
	     .flows = "1337104830 1 0 0\n7 1 c3 1 e9 6 40010 443\n");
	pd_end_run(d);
	assert_string_equal(pd_saved(d, 0, "flow-domains"),
			    "[[7, []], [8, [[1, \"hAlias\"], [1, \"hD\"]]], [9, [[0, \"clear.example\"]]], "
			    "[10, []], [11, []], [12, []], [13, [[1, \"hD\"]]], [14, []]]");
	/* 8 entries; 8, 9 and 13 have domains: 2 + 1 + 1 = 4 pairs. End of run,
	 * L = T0+60: only clear.example (end T0+101) stays in domains. */
	assert_string_equal(pd_figures(d),
			    "N1 " PD_CONTEXT " 5000: flows=8 ip_mac_mappings=3 ip_domain_keys=1 "
			    "ip_domain_records=1 flow_domain_entries=8 flows_with_domain=3 "
			    "flow_domain_pairs=4\n");
	assert_string_equal(pd_table(d, "flow_domains_per_node"),
			    "node_id,anonymized,domain,flows\n"
			    "N1,0,clear.example,1\n"
			    "N1,1,hAlias,1\n"
			    "N1,1,hD,2\n");

	/* Another session of N1 whose flow 8 also maps to hD: the count is of
	 * distinct (session, flow) pairs, so hD becomes 3. N2's flow counts apart. */
	FEED(d, .intro = "N1 5001 0 1337104830", .addresses = "0 256\n" MAC_C3 " c3\n",
	     .packets = "1337104801000000 0\n0 90 100\n0 60 8\n",
	     .dns_a = "0 0\n0 0 1 hD e5 10\n", .flows = "0 1 0 0\n8 1 c3 1 e5 6 1 2\n");
	FEED(d, .intro = "N2 5002 0 1337104830", .addresses = "0 256\n" MAC_C3 " c3\n",
	     .packets = "1337104801000000 0\n0 90 100\n0 60 8\n",
	     .dns_a = "0 0\n0 0 1 hD e5 10\n", .flows = "0 1 0 0\n8 1 c3 1 e5 6 1 2\n");
	pd_end_run(d);
	assert_string_equal(pd_table(d, "flow_domains_per_node"),
			    "node_id,anonymized,domain,flows\n"
			    "N1,0,clear.example,1\n"
			    "N1,1,hAlias,1\n"
			    "N1,1,hD,3\n"
			    "N2,1,hD,1\n");
	pd_free(d);
}

/* Whitelist matching on label boundaries, case-sensitive; entries stored as
 * (0, w); a clear CNAME resolved through a hashed target; hashed aliases
 * skipped; a name matching two entries gets both. */
static void test_whitelist(void **unused)
{
	(void)unused;
	struct pd *d = pd_new((const char *const[]){"domains", "whitelisted-domains", NULL});
	FEED(d, .intro = "N1 6000 0 1337104830",
	     .whitelist = "google.com\nyoutube.com\nGoogle.org\nmail.google.com\n",
	     .packets = "1337104801000000 0\n0 100 7\n",   /* p0 T0+1; + 100 s = T0+101 */
	     .dns_a = "0 0\n"
		      "0 1 0 foo.google.com e1 100\n"      /* ends with .google.com */
		      "0 1 0 xgoogle.com e2 100\n"         /* not on a label boundary */
		      "0 1 0 google.com e3 100\n"          /* equal */
		      "0 1 0 google.org e4 100\n"          /* Google.org: case differs */
		      "0 1 0 a.Google.org e5 100\n"        /* ends with .Google.org */
		      "0 1 1 google.com e6 100\n"          /* hashed: never stored */
		      "0 1 1 h1 e7 50\n"                   /* hashed target, remembered */
		      "0 1 0 GOOGLE.COM e8 100\n"          /* case */
		      "0 1 0 google.com.evil e9 100\n"     /* w must end the name */
		      "0 1 0 x.mail.google.com e10 100\n", /* two entries match */
	     /* clear www.youtube.com -> hashed h1 (e7, ttl 50, T0+1):
	      * [T0+1, min(T0+301, T0+51)] = (0, youtube.com, T0+1, T0+51) under (1, e7) */
	     .cname = "0 1 0 www.youtube.com 1 h1 300\n"
		      "0 1 1 hX 1 h1 300\n");              /* hashed alias: skipped */
	pd_end_run(d);
	/* End of run L = T0+30 drops nothing (every end is >= T0+51). Keys sorted
	 * by ip: "e1" < "e10" < "e3" < "e5" < "e7". The A map holds every record
	 * in range, clear and hashed, sorted by (anon, name): 'G' < 'a' < 'f' < 'g'. */
	assert_string_equal(
		pd_saved(d, 0, "whitelisted-domains"),
		"[true, 1337104830000000, "
		"[[1, \"e1\", [[0, \"google.com\", 1337104801000000, 1337104901000000]]], "
		"[1, \"e10\", [[0, \"google.com\", 1337104801000000, 1337104901000000], "
		"[0, \"mail.google.com\", 1337104801000000, 1337104901000000]]], "
		"[1, \"e3\", [[0, \"google.com\", 1337104801000000, 1337104901000000]]], "
		"[1, \"e5\", [[0, \"Google.org\", 1337104801000000, 1337104901000000]]], "
		"[1, \"e7\", [[0, \"youtube.com\", 1337104801000000, 1337104851000000]]]], "
		"[[1, 0, \"GOOGLE.COM\", [[\"e8\", 100, 1337104801000000]]], "
		"[1, 0, \"a.Google.org\", [[\"e5\", 100, 1337104801000000]]], "
		"[1, 0, \"foo.google.com\", [[\"e1\", 100, 1337104801000000]]], "
		"[1, 0, \"google.com\", [[\"e3\", 100, 1337104801000000]]], "
		"[1, 0, \"google.com.evil\", [[\"e9\", 100, 1337104801000000]]], "
		"[1, 0, \"google.org\", [[\"e4\", 100, 1337104801000000]]], "
		"[1, 0, \"x.mail.google.com\", [[\"e10\", 100, 1337104801000000]]], "
		"[1, 0, \"xgoogle.com\", [[\"e2\", 100, 1337104801000000]]], "
		"[1, 1, \"google.com\", [[\"e6\", 100, 1337104801000000]]], "
		"[1, 1, \"h1\", [[\"e7\", 50, 1337104801000000]]]], "
		"[\"Google.org\", \"google.com\", \"mail.google.com\", \"youtube.com\"]]");
	/* 5 keys, 6 records; domains has its own state: every record under its own
	 * name, 10 A-record keys, plus the CNAMEs www.youtube.com and hX -> h1
	 * under (1, e7): 10 keys, 12 records */
	assert_int_equal(pd_figure(d, 0, "whitelisted_ip_domain_keys"), 5);
	assert_int_equal(pd_figure(d, 0, "whitelisted_ip_domain_records"), 6);
	assert_int_equal(pd_figure(d, 0, "ip_domain_keys"), 10);
	assert_int_equal(pd_figure(d, 0, "ip_domain_records"), 12);

	/* The whitelist is kept for the session: in update 1 (at T0+60)
	 * maps.google.com matches google.com: (0, google.com, T0+40, T0+140) under
	 * (2, f1). At the end of run 2, L = T0+60 drops youtube.com under e7 (end
	 * T0+51): keys e1, e10, e3, e5, f1. */
	FEED(d, .intro = "N1 6000 1 1337104860", .packets = "1337104840000000 0\n0 100 7\n",
	     .dns_a = "0 0\n0 2 0 maps.google.com f1 100\n");
	pd_end_run(d);
	assert_int_equal(pd_figure(d, 0, "whitelisted_ip_domain_keys"), 5);
	assert_non_null(strstr(pd_saved(d, 0, "whitelisted-domains"),
			       "[2, \"f1\", [[0, \"google.com\", 1337104840000000, 1337104940000000]]]"));
	pd_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_latest_wins),
		cmocka_unit_test(test_flow_domains),
		cmocka_unit_test(test_whitelist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
