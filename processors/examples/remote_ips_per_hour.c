/*
 * processors/examples/remote_ips_per_hour.c: distinct remote IP addresses per local device,
 * node and UTC hour, with the packets and bytes they exchanged. Written with the SDK: the
 * table is kept by bpass (.tables), the flow and device of each packet come from the views
 * of the flows and addresses built-ins (docs/semantics.md). Packets whose flow has no known
 * local side (no flow, or neither end in the address table) are not counted.
 */
#include <bpass_sdk.h>

static const struct bpass_column columns[] = {
	{"node_id", BPASS_KEY_STR}, {"device", BPASS_KEY_STR}, {"hour", BPASS_KEY_HOUR},
	{"remote_ips", BPASS_VAL_DISTINCT_STR}, {"packets", BPASS_VAL_COUNT},
	{"bytes", BPASS_VAL_SUM}, {NULL, 0}};
static const struct bpass_table_decl tables[] = {{"remote_ips_per_hour", columns}, {NULL, NULL}};
static const char *const depends[] = {"flows", "addresses", NULL};

static int process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state, (void)eph;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		struct bpass_packet_view v;
		if (ctx->packet_view(ctx, u, i, &v, sizeof(v)))
			return -1;
		if (v.local_side < 0)
			continue;
		const char *device = v.device_mac ? v.device_mac : "unknown";
		if (bpass_add(ctx, 0, ctx->key->node_id, device, u->packets[i].time_us, v.remote_ip,
			      u->packets[i].size))
			return -1;
	}
	return 0;
}

static const struct bpass_processor remote_ips = {
	BPASS_PROCESSOR_HEADER,
	.name = "example-remote-ips",
	.version = 1,
	.description = "example: distinct remote IP addresses per device, node and UTC hour",
	.depends = depends,
	.process = process,
	.tables = tables,
};

BPASS_PLUGIN(&remote_ips)
