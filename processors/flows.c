/*
 * processors/flows.c: the "flows" processor (flow correlation, processors.md):
 * per session, flow_id -> the flow-table entry (5-tuple and anonymization
 * flags); a re-announced flow id replaces the earlier entry. No global result;
 * its figure "flows" is the number of distinct flow ids.
 *
 * Saved as an array of [flow_id, src_anon, src_ip, dst_anon, dst_ip, proto,
 * src_port, dst_port], sorted by flow_id.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "correlation.h"
#include "serial.h"

static uint32_t flows_hash(int32_t flow_id)
{
	return (uint32_t)itab_mix64((uint64_t)(uint32_t)flow_id + 1);
}

static uint32_t flows_find(const struct flows_state *s, int32_t flow_id)
{
	uint32_t h = flows_hash(flow_id), cur;
	for (uint32_t i = itab_find(&s->index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&s->index, h, &cur))
		if (s->entries[i].flow_id == flow_id)
			return i;
	return ITAB_NONE;
}

const struct flows_entry *flows_get(const struct flows_state *s, int32_t flow_id)
{
	uint32_t i = flows_find(s, flow_id);
	return i == ITAB_NONE ? NULL : &s->entries[i];
}

/* The entry for flow_id, created when new (*created set accordingly). */
static struct flows_entry *flows_slot(struct flows_state *s, int32_t flow_id, bool *created)
{
	uint32_t i = flows_find(s, flow_id);
	*created = i == ITAB_NONE;
	if (i == ITAB_NONE) {
		xgrow((void **)&s->entries, &s->cap, s->n + 1, sizeof(*s->entries));
		i = s->n++;
		itab_insert(&s->index, flows_hash(flow_id), i);
	}
	s->entries[i].flow_id = flow_id;
	return &s->entries[i];
}

static void *flows_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct flows_state *s = xcalloc(1, sizeof(*s));
	strtab_init(&s->ips);
	itab_init(&s->index);
	return s;
}

static void flows_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	struct flows_state *s = state;
	if (!s)
		return;
	strtab_release(&s->ips);
	itab_release(&s->index);
	free(s->entries);
	free(s);
}

static int flows_process(struct bpass_ctx *ctx, void *state, void *eph,
			 const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct flows_state *s = state;
	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct bpass_flow *f = &u->flows[i];
		bool created;
		struct flows_entry *e = flows_slot(s, f->flow_id, &created);
		e->src_ip = strtab_intern(&s->ips, f->src_ip, strlen(f->src_ip));
		e->dst_ip = strtab_intern(&s->ips, f->dst_ip, strlen(f->dst_ip));
		e->src_port = f->src_port;
		e->dst_port = f->dst_port;
		e->proto = f->proto;
		e->src_anon = f->src_anon;
		e->dst_anon = f->dst_anon;
	}
	return 0;
}

static int flows_cmp_pos(const void *a, const void *b, void *arg)
{
	const struct flows_state *s = arg;
	int32_t x = s->entries[*(const uint32_t *)a].flow_id;
	int32_t y = s->entries[*(const uint32_t *)b].flow_id;
	return (x > y) - (x < y);
}

static int flows_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct flows_state *s = state;
	uint32_t *order = xmalloc((size_t)s->n * sizeof(*order) + 1);
	for (uint32_t i = 0; i < s->n; i++)
		order[i] = i;
	qsort_r(order, s->n, sizeof(*order), flows_cmp_pos, (void *)s);
	w->array(w, s->n);
	for (uint32_t k = 0; k < s->n; k++) {
		const struct flows_entry *e = &s->entries[order[k]];
		w->array(w, 8);
		w->i64(w, e->flow_id);
		w->u64(w, e->src_anon);
		serial_put_str(w, &s->ips, e->src_ip);
		w->u64(w, e->dst_anon);
		serial_put_str(w, &s->ips, e->dst_ip);
		w->u64(w, e->proto);
		w->u64(w, e->src_port);
		w->u64(w, e->dst_port);
	}
	free(order);
	return 0;
}

static int flows_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		      struct bpass_reader *r)
{
	(void)ctx;
	struct flows_state *s = state;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		int32_t flow_id;
		uint8_t src_anon, dst_anon, proto;
		uint32_t sport, dport;
		const char *src, *dst;
		size_t src_len, dst_len;
		if (serial_array(r, 8) || serial_i32(r, &flow_id) || serial_u8(r, &src_anon) ||
		    serial_str(r, &src, &src_len) || serial_u8(r, &dst_anon) ||
		    serial_str(r, &dst, &dst_len) || serial_u8(r, &proto) ||
		    serial_u32(r, &sport) || sport > UINT16_MAX ||
		    serial_u32(r, &dport) || dport > UINT16_MAX)
			return -1;
		bool created;
		struct flows_entry *e = flows_slot(s, flow_id, &created);
		if (!created)
			return -1;  /* a flow id twice */
		e->src_anon = src_anon;
		e->dst_anon = dst_anon;
		e->proto = proto;
		e->src_port = (uint16_t)sport;
		e->dst_port = (uint16_t)dport;
		e->src_ip = strtab_intern(&s->ips, src, src_len);
		e->dst_ip = strtab_intern(&s->ips, dst, dst_len);
	}
	return 0;
}

static int flows_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
			 struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct flows_state *s = state;
	f->add(f, "flows", s->n);
	return 0;
}

const struct bpass_processor proc_flows = {
	BPASS_PROCESSOR_HEADER,
	.name = "flows",
	.version = 1,
	.description = "flow correlation: flow id to its flow-table entry, latest announcement wins",
	.session_new = flows_new,
	.session_free = flows_free,
	.process = flows_process,
	.save = flows_save,
	.load = flows_load,
	.session_figures = flows_figures,
};
