/*
 * processors/examples/dns_lookups_per_hour.c: DNS lookups of clear (whitelisted) domains per
 * local device, node and UTC hour: every A and CNAME answer whose name (the A record's
 * domain, the CNAME's alias) is in clear counts once, at the time of its response packet,
 * for the device the address id names (docs/semantics.md); the distinct names are counted
 * too. Answers whose packet id is out of range have no time and are skipped; a device the
 * address table never announced is "unknown".
 */
#include <bpass_sdk.h>

static const struct bpass_column columns[] = {
	{"node_id", BPASS_KEY_STR}, {"device", BPASS_KEY_STR}, {"hour", BPASS_KEY_HOUR},
	{"lookups", BPASS_VAL_COUNT}, {"domains", BPASS_VAL_DISTINCT_STR}, {NULL, 0}};
static const struct bpass_table_decl tables[] = {{"dns_lookups_per_hour", columns}, {NULL, NULL}};
static const char *const depends[] = {"addresses", NULL};

static int lookup(struct bpass_ctx *ctx, const struct bpass_update *u, uint32_t packet_id,
		  uint32_t address_id, const char *domain)
{
	if (packet_id >= u->n_packets)
		return 0;
	const char *device = ctx->device_of(ctx, address_id);
	return bpass_add(ctx, 0, ctx->key->node_id, device ? device : "unknown",
			 u->packets[packet_id].time_us, domain);
}

static int process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state, (void)eph;
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		const struct bpass_a_record *a = &u->a_records[i];
		if (!a->anonymized && lookup(ctx, u, a->packet_id, a->address_id, a->domain))
			return -1;
	}
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		const struct bpass_cname_record *c = &u->cname_records[i];
		if (!c->domain_anonymized && lookup(ctx, u, c->packet_id, c->address_id, c->domain))
			return -1;
	}
	return 0;
}

static const struct bpass_processor dns_lookups = {
	BPASS_PROCESSOR_HEADER,
	.name = "example-dns-lookups",
	.version = 1,
	.description = "example: DNS lookups of clear domains per device, node and UTC hour",
	.depends = depends,
	.process = process,
	.tables = tables,
};

BPASS_PLUGIN(&dns_lookups)
