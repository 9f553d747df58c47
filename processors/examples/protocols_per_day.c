/*
 * processors/examples/protocols_per_day.c: bytes and packets per protocol class, node and UTC
 * day, written with the SDK (docs/sdk.md). The class of a packet comes from its flow id
 * (docs/update-format.md): tcp, udp, icmp or other-ip by the announced flow's IP protocol,
 * ipv6 (id 4), non-ip (ids 1-3, 5, 6; version 1's all-zero flow), unknown (id 0, -1, never
 * announced). Its table is declared in .tables, so bpass keeps it (per session, merged,
 * saved, written); the processor keeps the session's flow table: flow id -> class.
 */
#include <string.h>

#include <bpass_sdk.h>

enum { UNKNOWN, TCP, UDP, ICMP, OTHER_IP, IPV6, NON_IP };
static const char *const class_name[] = {"unknown", "tcp", "udp", "icmp", "other-ip", "ipv6", "non-ip"};
static const struct bpass_column columns[] = {
	{"node_id", BPASS_KEY_STR}, {"day", BPASS_KEY_DAY}, {"class", BPASS_KEY_STR},
	{"bytes", BPASS_VAL_SUM}, {"packets", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_table_decl tables[] = {{"protocols_per_day", columns}, {NULL, NULL}};

/* Session state: flow id -> uint8_t class, the latest announcement winning. */
static void *session_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return bpass_map_new(BPASS_KEY_I64, 1);
}

static void session_free(struct bpass_ctx *ctx, void *flows)
{
	(void)ctx;
	bpass_map_free(flows);
}

static int class_of(const struct bpass_map *flows, const struct bpass_update *u, int32_t id)
{
	if (u->version >= 2 && id >= 0 && id <= 6)   /* reserved ids; version 1 has none */
		return id == 4 ? IPV6 : id == 0 ? UNKNOWN : NON_IP;
	const uint8_t *c = id >= 0 ? bpass_map_get_i64(flows, id) : NULL;
	return c ? *c : UNKNOWN;
}

static int process(struct bpass_ctx *ctx, void *flows, void *eph, const struct bpass_update *u)
{
	(void)eph;
	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct bpass_flow *f = &u->flows[i];
		uint8_t *c = bpass_map_put_i64(flows, f->flow_id);
		if (!c)
			return -1;
		*c = f->proto == 6 ? TCP : f->proto == 17 ? UDP : f->proto == 1 ? ICMP : OTHER_IP;
		if (u->version < 2 && !f->proto && !f->src_port && !strcmp(f->src_ip, f->dst_ip))
			*c = NON_IP;
	}
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		const char *class = class_name[class_of(flows, u, p->flow_id)];
		if (bpass_add(ctx, 0, ctx->key->node_id, p->time_us, class, p->size))
			return -1;
	}
	return 0;
}

static int save(struct bpass_ctx *ctx, const void *flows, struct bpass_writer *w)
{
	(void)ctx;
	return bpass_map_save(flows, w);
}

/* Version 1 kept its rows itself: its states are recomputed. */
static int load(struct bpass_ctx *ctx, void *flows, uint32_t version, struct bpass_reader *r)
{
	(void)ctx;
	return version == 2 ? bpass_map_load(flows, r) : -1;
}

static const struct bpass_processor protocols = {
	BPASS_PROCESSOR_HEADER,
	.name = "example-protocols",
	.version = 2,
	.description = "example: bytes and packets per protocol class, node and UTC day",
	.session_new = session_new,
	.session_free = session_free,
	.process = process,
	.save = save,
	.load = load,
	.tables = tables,
};

BPASS_PLUGIN(&protocols)
