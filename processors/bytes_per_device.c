/*
 * processors/bytes_per_device.c: the "bytes-per-device" processor: bytes and
 * packets per local device, node and UTC hour (bytes_per_device.csv;
 * docs/results.md). A packet's device is the MAC of its flow's local side,
 * as the views of flows and addresses give it (docs/semantics.md §4: the
 * endpoint the address table lists, source first). A packet without one (no
 * flow, a reserved id, neither end local) counts for the device "unknown",
 * so that per node and hour the rows add up to the node's traffic.
 *
 * The table is kept by bpass (.tables): no state of its own.
 */
#include "bpass_sdk.h"
#include "builtin.h"

static const struct bpass_column bpd_columns[] = {
	{"node_id", BPASS_KEY_STR}, {"device", BPASS_KEY_STR},
	{"hour_us", BPASS_KEY_I64}, {"hour_iso", BPASS_KEY_HOUR},
	{"bytes", BPASS_VAL_SUM},   {"packets", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_table_decl bpd_tables[] = {{"bytes_per_device", bpd_columns},
						     {NULL, NULL}};
static const char *const bpd_depends[] = {"flows", "addresses", NULL};

static int bpd_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state, (void)eph;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		struct bpass_packet_view v;
		if (ctx->packet_view(ctx, u, i, &v, sizeof(v)))
			return -1;
		const char *device = v.device_mac ? v.device_mac : "unknown";
		if (bpass_add(ctx, 0, ctx->key->node_id, device, bpass_utc_hour_us(p->time_us),
			      p->time_us, p->size))
			return -1;
	}
	return 0;
}

const struct bpass_processor proc_bytes_per_device = {
	BPASS_PROCESSOR_HEADER,
	.name = "bytes-per-device",
	.version = 1,
	.description = "bytes and packets per local device (MAC), node and UTC hour",
	.depends = bpd_depends,
	.process = bpd_process,
	.tables = bpd_tables,
};
