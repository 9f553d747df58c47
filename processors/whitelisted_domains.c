/*
 * processors/whitelisted_domains.c: the "whitelisted-domains" processor
 * (processors.md): like domains, but it stores only clear names that match
 * the session's whitelist, as (0, w, start, end) with w the whitelist entry.
 *
 * The whitelist comes from update 0. A name matches entry w when it equals w
 * or ends with "." + w, byte for byte (case-sensitive); every matching entry
 * adds its own record. As in the original, every A record in range is
 * remembered (so a clear CNAME whose target is hashed still resolves), A
 * records add a record only when their name is clear, and CNAMEs only when
 * their alias is clear. Expiry is the domains rule. The state is its own
 * struct domains_state (correlation.h), never the one of "domains".
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "correlation.h"
#include "usec.h"

/* Puts the names ids of the whitelist entries that name matches into out
 * (at most cap) and returns how many. */
static uint32_t wl_matches(const struct domains_state *s, const char *name, uint32_t *out,
			   uint32_t cap)
{
	uint32_t n = 0;
	size_t len = strlen(name);
	/* the candidates: the whole name, and the rest after every '.' */
	for (size_t p = 0; p <= len; p++) {
		if (p > 0 && name[p - 1] != '.')
			continue;
		uint32_t w = strtab_find(&s->whitelist, name + p, len - p);
		if (w != ITAB_NONE && n < cap)
			out[n++] = s->whitelist_name[w];
	}
	return n;
}

static uint32_t intern(struct domains_state *s, const char *str)
{
	return strtab_intern(&s->names, str, strlen(str));
}

/* A name matches at most one entry per dot, plus one; a DNS name has far
 * fewer than this many labels. */
#define WL_MAX_MATCHES 1024

static int wl_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct domains_state *s = state;
	uint32_t match[WL_MAX_MATCHES];
	if (u->sequence == 0)
		for (uint32_t i = 0; i < u->n_whitelist; i++)
			domains_whitelist_add(s, u->whitelist[i], strlen(u->whitelist[i]));
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		const struct bpass_a_record *a = &u->a_records[i];
		if (a->packet_id >= u->n_packets)
			continue;
		int64_t t = u->packets[a->packet_id].time_us;
		uint32_t ip = intern(s, a->ip);
		domains_remember(s, a->address_id, a->anonymized, intern(s, a->domain), ip, a->ttl, t);
		if (a->anonymized)
			continue;
		uint32_t n = wl_matches(s, a->domain, match, WL_MAX_MATCHES);
		for (uint32_t m = 0; m < n; m++)
			domains_add(s, a->address_id, ip, 0, match[m], t, usec_add(t, usec_from_s(a->ttl)));
	}
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		const struct bpass_cname_record *c = &u->cname_records[i];
		if (c->domain_anonymized || c->packet_id >= u->n_packets)
			continue;
		uint32_t k = domains_find_akey(s, c->address_id, c->cname_anonymized, c->cname);
		if (k == ITAB_NONE)
			continue;
		uint32_t n = wl_matches(s, c->domain, match, WL_MAX_MATCHES);
		for (uint32_t m = 0; m < n; m++)
			domains_join_cname(s, k, u->packets[c->packet_id].time_us, c->ttl, 0,
					   match[m]);
	}
	domains_advance(s, u->timestamp_s);
	return 0;
}

static int wl_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		      struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct domains_state *s = state;
	f->add(f, "whitelisted_ip_domain_keys", s->live_keys);
	f->add(f, "whitelisted_ip_domain_records", s->live_recs);
	return 0;
}

const struct bpass_processor proc_whitelisted_domains = {
	BPASS_PROCESSOR_HEADER,
	.name = "whitelisted-domains",
	.version = 1,
	.description = "DNS correlation for clear names on the session's whitelist, stored as the whitelist entry",
	.session_new = domains_session_new,
	.session_free = domains_session_free,
	.process = wl_process,
	.session_complete = domains_session_complete,
	.save = domains_session_save,
	.load = domains_session_load,
	.session_figures = wl_figures,
};
