/*
 * processors/examples/protocols_per_day.c: bytes and packets per protocol class (tcp, udp,
 * icmp, other-ip, ipv6, non-ip, unknown), node and UTC day. Written with the SDK: the table
 * is kept by bpass (.tables) and the class of each packet comes from the view of the flows
 * built-in, which follows flow ids across the session, reserved ids and reuse included
 * (docs/semantics.md).
 */
#include <bpass_sdk.h>

static const char *const class_name[] = BPASS_CLASS_NAMES;
static const struct bpass_column columns[] = {
	{"node_id", BPASS_KEY_STR}, {"day", BPASS_KEY_DAY}, {"class", BPASS_KEY_STR},
	{"bytes", BPASS_VAL_SUM}, {"packets", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_table_decl tables[] = {{"protocols_per_day", columns}, {NULL, NULL}};
static const char *const depends[] = {"flows", NULL};

static int process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state, (void)eph;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		struct bpass_packet_view v;
		if (ctx->packet_view(ctx, u, i, &v, sizeof(v)) ||
		    bpass_add(ctx, 0, ctx->key->node_id, u->packets[i].time_us,
			      class_name[v.proto_class], u->packets[i].size))
			return -1;
	}
	return 0;
}

static const struct bpass_processor protocols = {
	BPASS_PROCESSOR_HEADER,
	.name = "example-protocols",
	.version = 3,
	.description = "example: bytes and packets per protocol class, node and UTC day",
	.depends = depends,
	.process = process,
	.tables = tables,
};

BPASS_PLUGIN(&protocols)
