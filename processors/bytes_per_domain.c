/*
 * processors/bytes_per_domain.c: the "bytes-per-domain" processor: bytes and
 * packets per whitelisted domain, node and UTC hour (bytes_per_domain.csv),
 * and the same per local device (bytes_per_domain_per_device.csv;
 * docs/results.md).
 *
 * A packet's domains are those of its flow, as flow-domains computes them
 * (docs/semantics.md §5: the names the flow's remote address resolved from,
 * for its local device, when the flow began), and the domain a row names is
 * the whitelist entry a clear name matches (§6: the longest), as
 * whitelisted-domains gives it: www.youtube.com counts as youtube.com.
 * Hashed names and clear names that match no entry are not counted.
 *
 * A flow with several entries: each entry gets all of the packet's bytes
 * (no split), and an entry several of the flow's names match counts once.
 * Which of the names the traffic "was for" is unknown (typically a CNAME
 * chain, www.youtube.com -> youtube-ui.l.google.com, names one service
 * twice); a split would invent fractions that depend on how many answers the
 * router happened to see. So each row is exact: the bytes of flows whose
 * remote address the entry resolved to; the rows of an hour can add up to
 * more than the node's traffic. flow-domains counts flows the same way.
 *
 * The tables are kept by bpass (.tables): no state of its own.
 */
#include <string.h>

#include "bpass_sdk.h"
#include "builtin.h"

static const struct bpass_column bpdom_node_columns[] = {
	{"node_id", BPASS_KEY_STR},  {"domain", BPASS_KEY_STR},
	{"hour_us", BPASS_KEY_I64},  {"hour_iso", BPASS_KEY_HOUR},
	{"bytes", BPASS_VAL_SUM},    {"packets", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_column bpdom_device_columns[] = {
	{"node_id", BPASS_KEY_STR},  {"device", BPASS_KEY_STR},   {"domain", BPASS_KEY_STR},
	{"hour_us", BPASS_KEY_I64},  {"hour_iso", BPASS_KEY_HOUR},
	{"bytes", BPASS_VAL_SUM},    {"packets", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_table_decl bpdom_tables[] = {
	{"bytes_per_domain", bpdom_node_columns},
	{"bytes_per_domain_per_device", bpdom_device_columns},
	{NULL, NULL}};
static const char *const bpdom_depends[] = {"flows", "addresses", "flow-domains",
					    "whitelisted-domains", NULL};

/* Entry k of the view is the first of its entry among the domains (the
 * entries are strings of whitelisted-domains' state: equal ones may still be
 * distinct copies, so they are compared by value). */
static bool bpdom_first(const struct bpass_packet_view *v, uint32_t k)
{
	for (uint32_t j = 0; j < k; j++)
		if (v->domains[j].whitelisted && !strcmp(v->domains[j].whitelisted,
							 v->domains[k].whitelisted))
			return false;
	return true;
}

static int bpdom_process(struct bpass_ctx *ctx, void *state, void *eph,
			 const struct bpass_update *u)
{
	(void)state, (void)eph;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		struct bpass_packet_view v;
		if (ctx->packet_view(ctx, u, i, &v, sizeof(v)))
			return -1;
		const char *device = v.device_mac ? v.device_mac : "unknown";
		int64_t hour = bpass_utc_hour_us(p->time_us);
		for (uint32_t k = 0; k < v.n_domains; k++) {
			const char *entry = v.domains[k].whitelisted;
			if (!entry || !bpdom_first(&v, k))
				continue;
			if (bpass_add(ctx, 0, ctx->key->node_id, entry, hour, p->time_us, p->size) ||
			    bpass_add(ctx, 1, ctx->key->node_id, device, entry, hour, p->time_us,
				      p->size))
				return -1;
		}
	}
	return 0;
}

const struct bpass_processor proc_bytes_per_domain = {
	BPASS_PROCESSOR_HEADER,
	.name = "bytes-per-domain",
	.version = 1,
	.description = "bytes and packets per whitelisted domain a flow's address resolved from, "
		       "node and UTC hour, and per device",
	.depends = bpdom_depends,
	.process = bpdom_process,
	.tables = bpdom_tables,
};
