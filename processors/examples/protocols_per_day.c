/*
 * processors/examples/protocols_per_day.c: bytes and packets per protocol class, node and UTC
 * day, written with the SDK (docs/sdk.md). The class of a packet comes from its flow id
 * (docs/update-format.md): tcp, udp, icmp or other-ip by the announced flow's IP protocol,
 * ipv6 (id 4), non-ip (ids 1-3, 5, 6; version 1's all-zero flow), unknown (id 0, -1, never
 * announced). Session state: flow id -> class, and the session's rows.
 */
#include <stdlib.h>
#include <string.h>

#include <bpass_sdk.h>

enum { UNKNOWN, TCP, UDP, ICMP, OTHER_IP, IPV6, NON_IP };
static const char *const class_name[] = {"unknown", "tcp", "udp", "icmp", "other-ip", "ipv6", "non-ip"};
static const struct bpass_agg_column columns[] = {
	{"node_id", BPASS_KEY_STR}, {"day", BPASS_KEY_DAY}, {"class", BPASS_KEY_STR},
	{"bytes", BPASS_VAL_SUM}, {"packets", BPASS_VAL_COUNT}, {NULL, 0}};

struct state {
	struct bpass_map *flows;  /* flow id -> uint8_t class, latest announcement wins */
	struct bpass_agg *rows;
};

static void *global_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return bpass_agg_new("protocols_per_day", columns);
}

static void session_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	struct state *s = state;
	if (s) {
		bpass_map_free(s->flows);
		bpass_agg_free(s->rows);
	}
	free(s);
}

static void *session_new(struct bpass_ctx *ctx)
{
	struct state *s = calloc(1, sizeof(*s));
	if (s && (s->flows = bpass_map_new(BPASS_KEY_I64, 1)) && (s->rows = global_new(ctx)))
		return s;
	session_free(ctx, s);
	return NULL;
}

static int class_of(const struct state *s, const struct bpass_update *u, int32_t id)
{
	if (u->version >= 2 && id >= 0 && id <= 6)   /* reserved ids; version 1 has none */
		return id == 4 ? IPV6 : id == 0 ? UNKNOWN : NON_IP;
	const uint8_t *c = id >= 0 ? bpass_map_get_i64(s->flows, id) : NULL;
	return c ? *c : UNKNOWN;
}

static int process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	struct state *s = state;
	(void)eph;
	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct bpass_flow *f = &u->flows[i];
		uint8_t *c = bpass_map_put_i64(s->flows, f->flow_id);
		if (!c)
			return -1;
		*c = f->proto == 6 ? TCP : f->proto == 17 ? UDP : f->proto == 1 ? ICMP : OTHER_IP;
		if (u->version < 2 && !f->proto && !f->src_port && !strcmp(f->src_ip, f->dst_ip))
			*c = NON_IP;
	}
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct bpass_packet *p = &u->packets[i];
		const char *class = class_name[class_of(s, u, p->flow_id)];
		if (bpass_agg_add(s->rows, ctx->key->node_id, p->time_us, class, p->size))
			return -1;
	}
	return 0;
}

static int save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct state *s = state;
	w->array(w, 2);
	return bpass_map_save(s->flows, w) || bpass_agg_save(s->rows, w) ? -1 : 0;
}

static int load(struct bpass_ctx *ctx, void *state, uint32_t version, struct bpass_reader *r)
{
	(void)ctx;
	struct state *s = state;
	uint32_t n;
	return version != 1 || r->array(r, &n) || n != 2 || bpass_map_load(s->flows, r) ||
	       bpass_agg_load(s->rows, r) ? -1 : 0;
}

static int merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	return bpass_agg_merge_cb(ctx, global, ((const struct state *)state)->rows, eph);
}

static int global_load(struct bpass_ctx *ctx, void *global, uint32_t version,
		       struct bpass_reader *r)
{
	(void)ctx;
	return version == 1 ? bpass_agg_load(global, r) : -1;
}

static const struct bpass_processor protocols = {
	BPASS_PROCESSOR_HEADER,
	.name = "example-protocols",
	.version = 1,
	.description = "example: bytes and packets per protocol class, node and UTC day",
	.session_new = session_new,
	.session_free = session_free,
	.process = process,
	.save = save,
	.load = load,
	.global_new = global_new,
	.global_free = bpass_agg_free_cb,
	.merge = merge,
	.global_save = bpass_agg_save_cb,
	.global_load = global_load,
	.write_results = bpass_agg_write_cb,
	.global_combine = bpass_agg_combine_cb,
};

BPASS_PLUGIN(&protocols)
