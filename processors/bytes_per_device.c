/*
 * processors/bytes_per_device.c: the "bytes-per-device" processor: bytes and
 * packets per local device, node and UTC hour (bytes_per_device.csv;
 * docs/results.md). A packet's device is the MAC of its flow's local side,
 * as the views of flows and addresses give it (docs/semantics.md §4: the
 * endpoint the address table lists, source first). A packet without one (no
 * flow, a reserved id, neither end local) counts for the device "unknown",
 * so that per node and hour the rows add up to the node's traffic.
 *
 * The table is kept by bpass (.tables): no state of its own. Consecutive
 * packets of one device and hour are added as one row (packets is a sum of
 * counts): one add per run instead of one per packet.
 */
#include <string.h>

#include "bpass_sdk.h"
#include "builtin.h"

static const struct bpass_column bpd_columns[] = {
	{"node_id", BPASS_KEY_STR}, {"device", BPASS_KEY_STR},
	{"hour_us", BPASS_KEY_I64}, {"hour_iso", BPASS_KEY_HOUR},
	{"bytes", BPASS_VAL_SUM},   {"packets", BPASS_VAL_SUM}, {NULL, 0}};
static const struct bpass_table_decl bpd_tables[] = {{"bytes_per_device", bpd_columns},
						     {NULL, NULL}};
static const char *const bpd_depends[] = {"flows", "addresses", NULL};

/* Packets in a row of the same device and hour, added as one row. */
struct bpd_run {
	const char *device;        /* borrowed from the view until process returns */
	int64_t hour, bytes, packets;
};

static int bpd_flush(struct bpass_ctx *ctx, struct bpd_run *r)
{
	int rc = r->packets ? bpass_add(ctx, 0, ctx->key->node_id, r->device, r->hour, r->hour,
					r->bytes, r->packets)
			    : 0;
	r->bytes = r->packets = 0;
	return rc;
}

static int bpd_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state, (void)eph;
	struct bpd_run run = {NULL, 0, 0, 0};
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		struct bpass_packet_view v;
		if (ctx->packet_view(ctx, u, i, &v, sizeof(v)))
			return -1;
		const char *device = v.device_mac ? v.device_mac : "unknown";
		int64_t hour = bpass_utc_hour_us(p->time_us);
		if (run.packets && (hour != run.hour || (device != run.device &&
							  strcmp(device, run.device))) &&
		    bpd_flush(ctx, &run))
			return -1;
		run.device = device;
		run.hour = hour;
		run.bytes += p->size;
		run.packets++;
	}
	return bpd_flush(ctx, &run);
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
