/*
 * gen/gen_world.c: builds the synthetic Internet (names, sites, whitelist)
 * that every node of a generated dataset talks to (see gen_world.h).
 */
#include "gen_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gen_anon.h"
#include "gen_rng.h"

/* The whitelist, in the style of the package's default list (which has 186
 * popular domains, update-format.md §4.2). */
static const char *const whitelist[] = {
	"google.com", "facebook.com", "youtube.com", "yahoo.com", "amazon.com",
	"wikipedia.org", "twitter.com", "ebay.com", "linkedin.com", "msn.com",
	"live.com", "bing.com", "blogspot.com", "apple.com", "microsoft.com",
	"netflix.com", "hulu.com", "cnn.com", "espn.go.com", "nytimes.com",
	"craigslist.org", "paypal.com", "pandora.com", "aol.com", "imdb.com",
	"tumblr.com", "wordpress.com", "flickr.com", "ask.com", "about.com",
	"weather.com", "bbc.co.uk", "pinterest.com", "skype.com", "dropbox.com",
	"adobe.com", "gatech.edu", "mozilla.org",
};

/* Well-known sites: a space-separated CNAME chain, the /16 their addresses
 * come from (0: anywhere), the kind, the port and the A-record TTL. */
struct fixed_site {
	const char *chain;
	uint32_t prefix;
	uint8_t kind;
	uint16_t port;
	int32_t ttl;
};

#define P(a, b) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16))
static const struct fixed_site fixed_sites[] = {
	{"www.google.com www.l.google.com", P(74, 125), GEN_SITE_WEB, 443, 300},
	{"www.facebook.com star.c10r.facebook.com", P(69, 171), GEN_SITE_WEB, 443, 60},
	{"www.youtube.com youtube-ui.l.google.com", P(74, 125), GEN_SITE_WEB, 443, 300},
	{"www.yahoo.com fd-fp3.wg1.b.yahoo.com ds-fp3.wg1.b.yahoo.com", P(98, 139), GEN_SITE_WEB, 80, 60},
	{"www.amazon.com", P(72, 21), GEN_SITE_WEB, 80, 60},
	{"en.wikipedia.org text.wikimedia.org text.pmtpa.wikimedia.org", P(208, 80), GEN_SITE_WEB, 80, 3600},
	{"mail.google.com googlemail.l.google.com", P(173, 194), GEN_SITE_WEB, 443, 300},
	{"twitter.com", P(199, 59), GEN_SITE_WEB, 443, 30},
	{"www.netflix.com wwwprod-1461238470.us-east-1.elb.amazonaws.com", P(184, 72), GEN_SITE_WEB, 80, 60},
	{"maps.google.com maps.l.google.com", P(74, 125), GEN_SITE_WEB, 80, 300},
	{"www.ebay.com", P(66, 135), GEN_SITE_WEB, 80, 3600},
	{"www.cnn.com", P(157, 166), GEN_SITE_WEB, 80, 60},
	{"www.linkedin.com", P(216, 52), GEN_SITE_WEB, 443, 300},
	{"Mail.google.com googlemail.l.google.com", P(173, 194), GEN_SITE_WEB, 443, 300},
	{"www.apple.com www.apple.com.edgekey.net e3191.c.akamaiedge.net", P(23, 2), GEN_SITE_WEB, 80, 20},
	{"www.bing.com any.edge.bing.com", P(65, 55), GEN_SITE_WEB, 80, 300},
	{"www.nytimes.com", P(170, 149), GEN_SITE_WEB, 80, 300},
	{"sfbay.craigslist.org", P(208, 82), GEN_SITE_WEB, 80, 600},
	{"www.paypal.com", P(66, 211), GEN_SITE_WEB, 443, 300},
	{"www.pandora.com", P(208, 85), GEN_SITE_WEB, 80, 300},
	{"www.imdb.com", P(72, 21), GEN_SITE_WEB, 80, 60},
	{"img_cdn.tumblr.com", P(66, 6), GEN_SITE_WEB, 80, 300},
	{"caf\\233.wordpress.com", P(72, 233), GEN_SITE_WEB, 80, 300},
	{"www.bbc.co.uk www.bbc.net.uk", P(212, 58), GEN_SITE_WEB, 80, 300},
	{"weather.com", P(65, 212), GEN_SITE_WEB, 80, 300},
	{"www.gatech.edu", P(130, 207), GEN_SITE_WEB, 80, 86400},
	{"www.espn.go.com", P(199, 181), GEN_SITE_WEB, 80, 300},
	{"www.dropbox.com", P(199, 47), GEN_SITE_WEB, 443, 300},
	{"clients1.google.com clients.l.google.com", P(74, 125), GEN_SITE_RESOURCE, 443, 300},
	{"s.ytimg.com ytstatic.l.google.com", P(74, 125), GEN_SITE_RESOURCE, 80, 300},
	{"ssl.gstatic.com", P(74, 125), GEN_SITE_RESOURCE, 443, 300},
	{"static.ak.fbcdn.net static.ak.facebook.com.edgesuite.net a749.dsw4.akamai.net", P(23, 62), GEN_SITE_RESOURCE, 80, 20},
	{"api.facebook.com", P(69, 171), GEN_SITE_RESOURCE, 443, 60},
	{"l.yimg.com geoycs-l.gy1.b.yahoodns.net", P(98, 136), GEN_SITE_RESOURCE, 80, 300},
	{"images-na.ssl-images-amazon.com", P(72, 21), GEN_SITE_RESOURCE, 443, 60},
	{"upload.wikimedia.org upload.pmtpa.wikimedia.org", P(208, 80), GEN_SITE_RESOURCE, 80, 3600},
	{"pagead2.googlesyndication.com pagead.l.doubleclick.net", P(74, 125), GEN_SITE_RESOURCE, 80, 300},
	{"www.google-analytics.com www-google-analytics.l.google.com", P(74, 125), GEN_SITE_RESOURCE, 80, 300},
	{"api.twitter.com", P(199, 59), GEN_SITE_RESOURCE, 443, 30},
	{"o-o.preferred.lax04s11.v3.lscache1.c.youtube.com", P(173, 194), GEN_SITE_VIDEO, 80, 1800},
	{"netflix-753.vo.llnwd.net", P(68, 142), GEN_SITE_VIDEO, 80, 300},
	{"hulu-f.akamaihd.net", P(23, 3), GEN_SITE_VIDEO, 80, 20},
	{"audio-sv5-t1-1.pandora.com", P(208, 85), GEN_SITE_VIDEO, 80, 300},
	{"mtalk.google.com mobile-gtalk.l.google.com", P(74, 125), GEN_SITE_PUSH, 5228, 300},
	{"courier.push.apple.com courier-push-apple.com.akadns.net", P(17, 149), GEN_SITE_PUSH, 5223, 60},
	{"chat.facebook.com", P(69, 171), GEN_SITE_PUSH, 443, 60},
	{"notify.dropbox.com", P(199, 47), GEN_SITE_PUSH, 80, 300},
	{"time.apple.com time-ios.g.aaplimg.com", P(17, 151), GEN_SITE_NTP, 123, 3600},
	{"time.windows.com", P(65, 55), GEN_SITE_NTP, 123, 3600},
	{"pool.ntp.org", 0, GEN_SITE_NTP, 123, 150},
};
#undef P

static const char *const words[] = {
	"blue", "river", "stone", "cloud", "metro", "pixel", "north", "green",
	"fast", "media", "shop", "daily", "news", "open", "smart", "star",
	"home", "net", "city", "tech", "world", "sport", "game", "deal",
	"photo", "music", "book", "travel", "health", "bank", "auto", "food",
	"zen", "apex", "nova", "delta", "prime", "bright", "ocean", "peak",
	"silver", "gold", "red", "fox", "bear", "wolf", "hawk", "lion",
	"sun", "moon", "wave", "wind", "fire", "ice", "rock", "tree",
};
#define N_WORDS (sizeof(words) / sizeof(words[0]))

bool gen_ip_private(uint32_t ip)
{
	return (ip >> 24) == 10 || (ip >> 20) == ((172u << 4) | 1) || (ip >> 16) == ((192u << 8) | 168);
}

static uint32_t random_public_ip(struct gen_rng *r, uint32_t prefix)
{
	for (;;) {
		uint32_t ip = prefix ? prefix | (uint32_t)gen_rng_range(r, 256, 65279) : (uint32_t)gen_rng_next(r);
		uint32_t a = ip >> 24;
		if (a == 0 || a == 10 || a == 127 || a >= 224 || gen_ip_private(ip) ||
		    (ip >> 16) == ((169u << 8) | 254) || (ip >> 22) == ((100u << 2) | 1))
			continue;
		if ((ip & 255) == 0 || (ip & 255) == 255)
			continue;
		return ip;
	}
}

bool gen_world_whitelisted(const struct gen_world *w, const char *name)
{
	size_t n = strlen(name);
	for (uint32_t i = 0; i < w->n_whitelist; i++) {
		const char *e = w->whitelist[i];
		size_t m = strlen(e);
		if (n == m && !memcmp(name, e, n))
			return true;
		if (n > m && name[n - m - 1] == '.' && !memcmp(name + n - m, e, m))
			return true;
	}
	return false;
}

/* Interns a name (names repeat across sites, e.g. googlemail.l.google.com). */
static uint32_t add_name(struct gen_world *w, const char *text)
{
	uint64_t h = gen_anon_strhash(text);
	for (uint32_t i = 0; i < w->n_names; i++)
		if (w->names[i].hash == h && !strcmp(w->names[i].text, text))
			return i;
	xgrow((void **)&w->names, &w->cap_names, w->n_names + 1, sizeof(*w->names));
	struct gen_name *n = &w->names[w->n_names];
	n->text = xstrdup(text);
	n->hash = h;
	n->whitelisted = gen_world_whitelisted(w, text);
	return w->n_names++;
}

static struct gen_site *add_site(struct gen_world *w, uint8_t kind, uint16_t port)
{
	xgrow((void **)&w->sites, &w->cap_sites, w->n_sites + 1, sizeof(*w->sites));
	struct gen_site *s = &w->sites[w->n_sites++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->port = port;
	return s;
}

static void add_ips(struct gen_rng *r, struct gen_site *s, uint32_t prefix, int max)
{
	s->n_ips = (uint8_t)gen_rng_range(r, 1, max);
	for (int i = 0; i < s->n_ips; i++)
		s->ips[i] = random_public_ip(r, prefix);
}

static void add_fixed(struct gen_world *w, struct gen_rng *r, const struct fixed_site *f)
{
	struct gen_site *s = add_site(w, f->kind, f->port);
	char tmp[160];
	const char *p = f->chain;
	while (*p && s->n_names < GEN_SITE_MAX_NAMES) {
		size_t n = strcspn(p, " ");
		snprintf(tmp, sizeof(tmp), "%.*s", (int)n, p);
		uint32_t id = add_name(w, tmp);
		s = &w->sites[w->n_sites - 1];  /* add_name never moves sites, but stay safe */
		s->names[s->n_names++] = id;
		p += n;
		while (*p == ' ')
			p++;
	}
	s->ttl_cname = s->n_names > 1 ? (int32_t)(gen_rng_chance(r, 0.5) ? 86400 : 300) : 0;
	s->ttl_a = f->ttl;
	add_ips(r, s, f->prefix, f->kind == GEN_SITE_WEB ? 4 : 2);
}

/* One generated site that is not whitelisted (its names are hashed). */
static void add_generated(struct gen_world *w, struct gen_rng *r, uint32_t akamai_prefix)
{
	const char *a = words[gen_rng_below(r, N_WORDS)];
	const char *b = words[gen_rng_below(r, N_WORDS)];
	static const char *const tlds[] = {"com", "com", "com", "net", "org", "info", "co.uk", "de"};
	const char *tld = tlds[gen_rng_below(r, 8)];
	char n0[160], n1[160], n2[160];
	uint32_t roll = gen_rng_below(r, 100);
	uint8_t kind = roll < 45 ? GEN_SITE_WEB : GEN_SITE_RESOURCE;
	struct gen_site *s = add_site(w, kind, gen_rng_chance(r, 0.55) ? 80 : 443);
	uint32_t prefix = 0;
	if (roll < 30) {
		snprintf(n0, sizeof(n0), "www.%s%s.%s", a, b, tld);
		s->names[s->n_names++] = add_name(w, n0);
	} else if (roll < 45) {
		snprintf(n0, sizeof(n0), "www.%s%s.%s", a, b, tld);
		snprintf(n1, sizeof(n1), "%s%s.%s", a, b, tld);
		s->names[s->n_names++] = add_name(w, n0);
		s->names[s->n_names++] = add_name(w, n1);
	} else if (roll < 65) {
		/* A CDN chain through an edge network. */
		snprintf(n0, sizeof(n0), "static.%s%s.%s", a, b, tld);
		snprintf(n1, sizeof(n1), "%s%s.%s.edgesuite.net", a, b, tld);
		snprintf(n2, sizeof(n2), "a%u.g.akamai.net", (unsigned)gen_rng_range(r, 10, 1999));
		s->names[s->n_names++] = add_name(w, n0);
		s->names[s->n_names++] = add_name(w, n1);
		s->names[s->n_names++] = add_name(w, n2);
		prefix = akamai_prefix;
	} else if (roll < 80) {
		static const char *const ad[] = {"ad", "ads", "pixel", "track", "beacon", "cdn"};
		snprintf(n0, sizeof(n0), "%s.%s%s.net", ad[gen_rng_below(r, 6)], a, b);
		s->names[s->n_names++] = add_name(w, n0);
	} else if (roll < 90) {
		snprintf(n0, sizeof(n0), "api.%s%s.%s", a, b, tld);
		snprintf(n1, sizeof(n1), "%s-%u.us-east-1.elb.amazonaws.com", a, (unsigned)gen_rng_range(r, 100000, 999999999));
		s->names[s->n_names++] = add_name(w, n0);
		s->names[s->n_names++] = add_name(w, n1);
		prefix = ((uint32_t)(gen_rng_chance(r, 0.5) ? 184 : 107) << 24) | (gen_rng_chance(r, 0.5) ? 0x480000u : 0x140000u);
	} else {
		snprintf(n0, sizeof(n0), "img%u.%s%s.%s", (unsigned)gen_rng_range(r, 1, 9), a, b, tld);
		s->names[s->n_names++] = add_name(w, n0);
	}
	s = &w->sites[w->n_sites - 1];
	static const int32_t ttls[] = {20, 60, 300, 300, 300, 600, 3600, 86400};
	s->ttl_cname = s->n_names > 1 ? ttls[gen_rng_below(r, 8)] : 0;
	s->ttl_a = ttls[gen_rng_below(r, 8)];
	add_ips(r, s, prefix, 4);
}

void gen_world_init(struct gen_world *w, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->whitelist = whitelist;
	w->n_whitelist = sizeof(whitelist) / sizeof(whitelist[0]);
	struct gen_rng r;
	gen_rng_seed(&r, seed, 0x776f726c64ull /* "world" */);
	for (size_t i = 0; i < sizeof(fixed_sites) / sizeof(fixed_sites[0]); i++)
		add_fixed(w, &r, &fixed_sites[i]);
	uint32_t akamai = ((uint32_t)23 << 24) | ((uint32_t)gen_rng_range(&r, 0, 79) << 16);
	for (int i = 0; i < 500; i++)
		add_generated(w, &r, akamai);
	/* Index the sites by kind; catalog order is popularity order (the
	 * well-known sites come first, then the long tail). */
	for (int k = 0; k < GEN_SITE_KINDS; k++)
		w->by_kind[k] = xcalloc(w->n_sites, sizeof(uint32_t));
	for (uint32_t i = 0; i < w->n_sites; i++) {
		uint8_t k = w->sites[i].kind;
		w->by_kind[k][w->n_by_kind[k]++] = i;
	}
}

void gen_world_release(struct gen_world *w)
{
	for (uint32_t i = 0; i < w->n_names; i++)
		free(w->names[i].text);
	free(w->names);
	free(w->sites);
	for (int k = 0; k < GEN_SITE_KINDS; k++)
		free(w->by_kind[k]);
	memset(w, 0, sizeof(*w));
}
