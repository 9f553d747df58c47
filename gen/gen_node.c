/*
 * gen/gen_node.c: builds the routers of a synthetic dataset and plans
 * their sessions over time (see gen_node.h).
 */
#include "gen_node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int64_t gen_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Era boundaries (session start dates, upgrade lag included) and their
 * densities (share of sessions per day over the default span). */
struct era {
	int64_t lo_s;            /* start of the era, seconds */
	double per_day;          /* relative session density */
};

#define DAY(y, m, d) (gen_days_from_civil(y, m, d) * 86400)

static void eras(struct era e[5])
{
	e[0] = (struct era){INT64_MIN / 2, 0.06 / 17};   /* v1 */
	e[1] = (struct era){DAY(2011, 10, 21), 0.16 / 85}; /* v2 */
	e[2] = (struct era){DAY(2012, 1, 14), 0.05 / 14};  /* v3 */
	e[3] = (struct era){DAY(2012, 1, 28), 0.20 / 113}; /* v4 */
	e[4] = (struct era){DAY(2012, 5, 20), 0.53 / 406}; /* v5 */
}

/* Maps u in [0,1) to a date in the span and the era (version - 1) it falls in,
 * so that dates are spread with the era densities. */
static int64_t warp(const struct gen_span *span, double u, int *era_out)
{
	struct era e[5];
	eras(e);
	double w[5], total = 0;
	int64_t lo[5], hi[5];
	for (int i = 0; i < 5; i++) {
		int64_t a = e[i].lo_s, b = i < 4 ? e[i + 1].lo_s : INT64_MAX / 2;
		lo[i] = a > span->start_s ? a : span->start_s;
		hi[i] = b < span->end_s ? b : span->end_s;
		w[i] = hi[i] > lo[i] ? (double)(hi[i] - lo[i]) / 86400.0 * e[i].per_day : 0;
		total += w[i];
	}
	double x = u * total;
	for (int i = 0; i < 5; i++) {
		if (w[i] <= 0)
			continue;
		if (x < w[i] || i == 4) {
			double f = x / w[i];
			if (f > 1)
				f = 1;
			*era_out = i;
			return lo[i] + (int64_t)(f * (double)(hi[i] - lo[i]));
		}
		x -= w[i];
	}
	*era_out = 4;
	return span->start_s;
}

static const uint8_t node_ouis[][3] = {
	{0xC4, 0x3D, 0xC7}, {0x20, 0x4E, 0x7F}, {0xA0, 0x21, 0xB7},
	{0xE8, 0xDE, 0x27}, {0x74, 0x44, 0x01}, {0x04, 0xA1, 0x51},
};

struct vendor {
	uint8_t oui[3];
	uint8_t type;
};
static const struct vendor vendors[] = {
	{{0x00, 0x1f, 0xf3}, GEN_DEV_LAPTOP}, {{0x28, 0xcf, 0xda}, GEN_DEV_PHONE},
	{{0x7c, 0x6d, 0x62}, GEN_DEV_PHONE}, {{0xf0, 0xdb, 0xf8}, GEN_DEV_PHONE},
	{{0x00, 0x26, 0xbb}, GEN_DEV_LAPTOP}, {{0x00, 0x16, 0x32}, GEN_DEV_PHONE},
	{{0x5c, 0x0a, 0x5b}, GEN_DEV_PHONE}, {{0x00, 0x1b, 0x21}, GEN_DEV_LAPTOP},
	{{0x00, 0x24, 0xd7}, GEN_DEV_LAPTOP}, {{0x00, 0x14, 0x22}, GEN_DEV_LAPTOP},
	{{0x00, 0x1e, 0x0b}, GEN_DEV_PRINTER}, {{0x00, 0x1d, 0x0d}, GEN_DEV_TV},
	{{0xb0, 0xa7, 0x37}, GEN_DEV_TV}, {{0x00, 0x50, 0xf2}, GEN_DEV_CONSOLE},
};
#define N_VENDORS (sizeof(vendors) / sizeof(vendors[0]))

static const char *const build_ids[] = {
	"UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN",
	"UNKNOWN", "UNKNOWN", "Quirm-r30231", "Klatch 2012.03.21",
};

static void make_lan(struct gen_node *n, struct gen_rng *r)
{
	uint32_t roll = gen_rng_below(r, 100);
	if (roll < 60)
		n->lan = 0xc0a80100u;       /* 192.168.1.0 */
	else if (roll < 80)
		n->lan = 0xc0a80000u;       /* 192.168.0.0 */
	else if (roll < 95)
		n->lan = 0x0a000000u;       /* 10.0.0.0 */
	else
		n->lan = 0xac100000u;       /* 172.16.0.0 */
	n->router_ip = n->lan | 1;
	n->n_devices = (uint32_t)gen_rng_range(r, 2, 9);
	for (uint32_t i = 0; i < n->n_devices; i++) {
		struct gen_device *d = &n->devices[i];
		const struct vendor *v = &vendors[gen_rng_below(r, N_VENDORS)];
		memcpy(d->mac, v->oui, 3);
		for (int k = 3; k < 6; k++)
			d->mac[k] = (uint8_t)gen_rng_below(r, 256);
		d->type = v->type;
		d->host = (uint8_t)(n->lan == 0x0a000000u ? 2 + i * 3 : 100 + i);
		d->ipv6 = v->type != GEN_DEV_PRINTER && gen_rng_chance(r, 0.5);
		d->mdns = v->type != GEN_DEV_CONSOLE && gen_rng_chance(r, 0.6);
		d->activity = v->type == GEN_DEV_PRINTER ? 0.02 :
			      v->type == GEN_DEV_TV ? 0.3 : gen_rng_lognormal(r, 1.0, 0.5);
	}
}

void gen_node_init(struct gen_node *n, uint32_t index, uint32_t n_nodes, uint32_t budget,
		   const struct gen_span *span, struct gen_rng *r)
{
	memset(n, 0, sizeof(*n));
	const uint8_t *oui = node_ouis[gen_rng_below(r, sizeof(node_ouis) / 3)];
	memcpy(n->mac, oui, 3);
	/* The low three bytes are a bijection of the index, so ids never collide. */
	uint32_t low = (index * 0x9e3779u + span->id_salt) & 0xffffffu;
	n->mac[3] = (uint8_t)(low >> 16);
	n->mac[4] = (uint8_t)(low >> 8);
	n->mac[5] = (uint8_t)low;
	snprintf(n->id, sizeof(n->id), "OW%02X%02X%02X%02X%02X%02X",
		 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	make_lan(n, r);
	n->build_id = build_ids[gen_rng_below(r, sizeof(build_ids) / sizeof(build_ids[0]))];
	/* Every fourth node runs the HTTP-URL build; another fourth reaches many
	 * private addresses through a VPN, so its long sessions wrap the
	 * 256-entry address ring. */
	bool http_node = index % 4 == 1;
	n->activity = gen_rng_lognormal(r, 1.0, 0.4);
	n->peer_rate = index % 4 == 2 ? gen_rng_range(r, 30, 80) / 100.0 : 0.0;
	n->budget = budget;
	uint64_t contexts[2] = {gen_rng_next(r), gen_rng_next(r)};

	/* Session lengths: log-normal, mean about budget/8 (at most 150), so that
	 * even a small dataset has several sessions per node. */
	double mean = budget / 8.0;
	mean = mean < 4 ? 4 : mean > 150 ? 150 : mean;
	uint32_t cap = 16;
	n->sessions = xcalloc(cap, sizeof(*n->sessions));
	uint32_t left = budget;
	while (left > 0) {
		double l = gen_rng_lognormal(r, mean / 1.8, 1.1);
		uint32_t len = l < 1 ? 1 : l > 6000 ? 6000 : (uint32_t)l;
		if (len > left)
			len = left;
		xgrow((void **)&n->sessions, &cap, n->n_sessions + 1, sizeof(*n->sessions));
		n->sessions[n->n_sessions++].length = len;
		left -= len;
	}
	uint32_t reflash_at = UINT32_MAX;
	if (n->n_sessions >= 3 && gen_rng_chance(r, 0.35))
		reflash_at = (uint32_t)gen_rng_range(r, 1, n->n_sessions - 1);

	const int64_t v2_lo = DAY(2011, 10, 21), v2_hi = DAY(2012, 1, 14);
	const int64_t http_from = DAY(2011, 12, 23);
	int64_t free_from = span->start_s;
	bool minus1_used[2] = {false, false};
	for (uint32_t i = 0; i < n->n_sessions; i++) {
		struct gen_session_plan *s = &n->sessions[i];
		uint32_t length = s->length;
		memset(s, 0, sizeof(*s));  /* xgrow leaves new elements uninitialised */
		s->length = length;
		double u = (i + (index + gen_rng_unit(r)) / n_nodes) / n->n_sessions;
		int era;
		int64_t date = warp(span, u, &era);
		int64_t t = date > free_from ? date : free_from;
		s->start_us = t * 1000000 + gen_rng_range(r, 0, 999999);
		s->version = (uint8_t)(era + 1);
		s->context = contexts[i >= reflash_at];
		s->anonymized = !(s->version >= 3 && gen_rng_chance(r, 0.02));
		s->whitelist = gen_rng_chance(r, 0.95);
		s->pcap_stats = gen_rng_chance(r, 0.97);
		s->has_drops = s->version >= 2;
		s->first_packet_id = s->version == 1;
		if (s->version == 2) {
			double pos = (double)(date - v2_lo) / (double)(v2_hi - v2_lo);
			if (pos < 0.05) {
				s->has_drops = false;
				s->first_packet_id = true;
			} else if (pos < 0.08) {
				s->first_packet_id = true;
			}
		}
		s->http = http_node && s->version >= 2 && date >= http_from;
		int ctx = i >= reflash_at;
		if (s->first_packet_id && !minus1_used[ctx] && gen_rng_chance(r, 0.5)) {
			s->idle_start = true;
			minus1_used[ctx] = true;
		}
		s->tiny_clock = !s->first_packet_id && gen_rng_chance(r, 0.01);
		if (gen_rng_chance(r, 0.04))
			s->lose_first = (uint32_t)gen_rng_range(r, 1, 3);
		if (s->length > 30 && gen_rng_chance(r, 0.08)) {
			uint32_t most = s->length / 3 < 60 ? s->length / 3 : 60;
			s->burst_len = (uint32_t)gen_rng_range(r, 5, most);
			s->burst_at = s->length - (uint32_t)gen_rng_range(r, 1, 10);
		}
		/* Reserve the session's time (with room for lost and extra
		 * updates), then a restart gap. */
		uint64_t slots = s->lose_first + s->length + s->burst_len + s->length / 16 + 24;
		free_from = t + (int64_t)slots * 30 + gen_rng_range(r, 20, 900);
	}
}

void gen_node_release(struct gen_node *n)
{
	free(n->sessions);
	n->sessions = NULL;
	n->n_sessions = 0;
}
