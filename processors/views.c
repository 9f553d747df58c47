/*
 * processors/views.c: ctx->packet_view and ctx->device_of over the states of
 * the correlation built-ins (see views.h; the rules are docs/semantics.md).
 */
#include "views.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "correlation.h"

struct views_memo {
	uint32_t gen;                  /* valid when it is views.gen */
	int32_t flow_id;
	struct bpass_packet_view v;
};

struct views_chunk {
	struct views_chunk *next;
	uint32_t cap, used;
	struct bpass_domain_ref refs[];
};

#define VIEWS_MEMO_MIN 64              /* slots of the first memo table */
#define VIEWS_CHUNK_MIN 256            /* references of the first chunk */

void views_init(struct views *v)
{
	memset(v, 0, sizeof(*v));
	v->gen = 1;
}

void views_release(struct views *v)
{
	free(v->memo);
	for (struct views_chunk *c = v->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	memset(v, 0, sizeof(*v));
}

void views_enter(struct views *v)
{
	v->resolved = false;
	v->memo_n = 0;
	if (++v->gen == 0) {           /* wrapped: no stale entry may look current */
		if (v->memo)
			memset(v->memo, 0, ((size_t)v->memo_mask + 1) * sizeof(*v->memo));
		v->gen = 1;
	}
	v->cur = v->chunks;
	if (v->cur)
		v->cur->used = 0;
}

/* The dependencies' states, once per callback. */
static void resolve(struct views *v, struct bpass_ctx *ctx)
{
	if (v->resolved)
		return;
	v->flows = ctx->state_of(ctx, "flows");
	v->addresses = ctx->state_of(ctx, "addresses");
	v->flow_domains = ctx->state_of(ctx, "flow-domains");
	v->whitelisted = ctx->state_of(ctx, "whitelisted-domains");
	v->resolved = true;
}

/* ---- storage ---- */

static uint32_t memo_hash(int32_t flow_id)
{
	return (uint32_t)itab_mix64((uint64_t)(uint32_t)flow_id + 11);
}

/* Doubles the memo table, keeping the entries of this callback. */
static void memo_grow(struct views *v)
{
	uint32_t old_slots = v->memo ? v->memo_mask + 1 : 0;
	uint32_t slots = old_slots ? 2 * old_slots : VIEWS_MEMO_MIN;
	struct views_memo *old = v->memo;
	v->memo = xcalloc(slots, sizeof(*v->memo));
	v->memo_mask = slots - 1;
	for (uint32_t i = 0; i < old_slots; i++) {
		if (old[i].gen != v->gen)
			continue;
		uint32_t k = memo_hash(old[i].flow_id) & v->memo_mask;
		while (v->memo[k].gen == v->gen)
			k = (k + 1) & v->memo_mask;
		v->memo[k] = old[i];
	}
	free(old);
}

/* The memo slot of flow_id; *found tells whether it holds its view already. */
static struct views_memo *memo_slot(struct views *v, int32_t flow_id, bool *found)
{
	if (!v->memo || 2 * ((uint64_t)v->memo_n + 1) > (uint64_t)v->memo_mask + 1)
		memo_grow(v);
	uint32_t k = memo_hash(flow_id) & v->memo_mask;
	while (v->memo[k].gen == v->gen) {
		if (v->memo[k].flow_id == flow_id) {
			*found = true;
			return &v->memo[k];
		}
		k = (k + 1) & v->memo_mask;
	}
	*found = false;
	v->memo[k].gen = v->gen;
	v->memo[k].flow_id = flow_id;
	v->memo_n++;
	return &v->memo[k];
}

/* n domain references that stay put until the next views_enter. */
static struct bpass_domain_ref *refs_alloc(struct views *v, uint32_t n)
{
	struct views_chunk *c = v->cur;
	while (c && c->cap - c->used < n) {
		c = c->next;
		if (c)
			c->used = 0;
	}
	if (!c) {
		uint32_t cap = v->tail ? 2 * v->tail->cap : VIEWS_CHUNK_MIN;
		if (cap < n)
			cap = n;
		c = xmalloc(sizeof(*c) + (size_t)cap * sizeof(c->refs[0]));
		c->next = NULL;
		c->cap = cap;
		c->used = 0;
		if (v->tail)
			v->tail->next = c;
		else
			v->chunks = c;
		v->tail = c;
	}
	v->cur = c;
	c->used += n;
	return c->refs + c->used - n;
}

/* ---- computing a view ---- */

static enum bpass_proto_class class_of_proto(uint8_t proto)
{
	switch (proto) {
	case 6:
		return BPASS_CLASS_TCP;
	case 17:
		return BPASS_CLASS_UDP;
	case 1:
		return BPASS_CLASS_ICMP;
	default:
		return BPASS_CLASS_OTHER_IP;
	}
}

/* The longest entry of the session's whitelist that name[0..len) matches
 * (equal, or ending with "." and the entry, byte for byte), or NULL: the
 * candidates of whitelisted-domains, longest first. */
static const char *whitelist_entry(const struct domains_state *ws, const char *name, size_t len)
{
	if (ws->whitelist.n == 0)
		return NULL;
	for (size_t p = 0; p <= len; p++) {
		if (p > 0 && name[p - 1] != '.')
			continue;
		uint32_t w = strtab_find(&ws->whitelist, name + p, len - p);
		if (w != ITAB_NONE)
			return strtab_str(&ws->whitelist, w);
	}
	return NULL;
}

/* Clear names first, then bytewise: the order flow-domains saves them in. */
static int ref_cmp(const void *a, const void *b)
{
	const struct bpass_domain_ref *x = a, *y = b;
	if (x->anonymized != y->anonymized)
		return x->anonymized < y->anonymized ? -1 : 1;
	return strcmp(x->domain, y->domain);
}

/* The flow, its class and its local side. */
static void view_flow(const struct views *v, const struct bpass_update *u, bool reserved,
		      struct bpass_packet_view *out)
{
	int32_t f = out->flow_id;
	if (reserved) {
		out->proto_class = f == 4 ? BPASS_CLASS_IPV6 : f == 0 ? BPASS_CLASS_UNKNOWN
								  : BPASS_CLASS_NON_IP;
		return;
	}
	const struct flows_state *fs = v->flows;
	const struct flows_entry *e = flows_get(fs, f);
	if (!e)
		return;
	out->has_flow = true;
	out->src_ip = strtab_str(&fs->ips, e->src_ip);
	out->dst_ip = strtab_str(&fs->ips, e->dst_ip);
	out->src_port = e->src_port;
	out->dst_port = e->dst_port;
	out->proto = e->proto;
	out->src_anon = e->src_anon;
	out->dst_anon = e->dst_anon;
	out->proto_class = class_of_proto(e->proto);
	/* version 1: every non-IP frame shares one flow, all zeros */
	if (u->version < 2 && e->proto == 0 && e->src_port == 0 && e->dst_port == 0 &&
	    e->src_ip == e->dst_ip)
		out->proto_class = BPASS_CLASS_NON_IP;

	const struct addresses_state *as = v->addresses;
	if (!as)
		return;
	int8_t side = 0;
	uint32_t k = strtab_find(&as->ips, out->src_ip, strtab_len(&fs->ips, e->src_ip));
	if (k == ITAB_NONE) {
		side = 1;
		k = strtab_find(&as->ips, out->dst_ip, strtab_len(&fs->ips, e->dst_ip));
	}
	if (k == ITAB_NONE)
		return;
	out->local_side = side;
	out->local_ip = side ? out->dst_ip : out->src_ip;
	out->remote_ip = side ? out->src_ip : out->dst_ip;
	out->remote_anon = side ? e->src_anon : e->dst_anon;
	out->device_mac = strtab_str(&as->macs, as->entries[k].mac);
	out->address_id = as->entries[k].id;
	out->has_address_id = true;
}

/* The domains of the flow, sorted, with their whitelist entries. */
static void view_domains(struct views *v, struct bpass_packet_view *out)
{
	const struct fd_state *fd = v->flow_domains;
	const struct fd_entry *e = flow_domains_get(fd, out->flow_id);
	if (!e || e->count == 0)
		return;
	struct bpass_domain_ref *refs = refs_alloc(v, e->count);
	for (uint32_t j = 0; j < e->count; j++) {
		const struct fd_pair *p = &fd->pairs[e->start + j];
		refs[j].domain = strtab_str(&fd->domains, p->domain);
		refs[j].anonymized = p->anon;
		refs[j].whitelisted = !p->anon && v->whitelisted
			? whitelist_entry(v->whitelisted, refs[j].domain,
					  strtab_len(&fd->domains, p->domain))
			: NULL;
	}
	if (e->count > 1)
		qsort(refs, e->count, sizeof(*refs), ref_cmp);
	out->domains = refs;
	out->n_domains = e->count;
}

static void view_compute(struct views *v, const struct bpass_update *u, int32_t flow_id,
			 struct bpass_packet_view *out)
{
	memset(out, 0, sizeof(*out));
	out->struct_size = sizeof(*out);
	out->flow_id = flow_id;
	out->proto_class = BPASS_CLASS_UNKNOWN;
	out->local_side = -1;
	/* ids 0-6 name no flow from version 2 on; -1 never does */
	bool reserved = u->version >= 2 && flow_id >= 0 && flow_id <= 6;
	if (v->flows)
		view_flow(v, u, reserved, out);
	if (v->flow_domains && !reserved && flow_id >= 0)
		view_domains(v, out);
}

int views_packet_view(struct views *v, struct bpass_ctx *ctx, const struct bpass_update *current,
		      const struct bpass_update *u, uint32_t i, struct bpass_packet_view *out,
		      size_t size)
{
	if (!current) {
		ctx->error(ctx, "cannot view a packet outside process");
		return -1;
	}
	if (u != current) {
		ctx->error(ctx, "cannot view a packet of another update than the one being processed");
		return -1;
	}
	if (i >= u->n_packets) {
		ctx->error(ctx, "cannot view packet %u of update %d: it has %u packets", (unsigned)i,
			   (int)u->sequence, (unsigned)u->n_packets);
		return -1;
	}
	if (!out) {
		ctx->error(ctx, "cannot view a packet into NULL");
		return -1;
	}
	if (size < sizeof(out->struct_size)) {
		ctx->error(ctx, "cannot view a packet into %zu bytes: a view takes at least %zu",
			   size, sizeof(out->struct_size));
		return -1;
	}
	resolve(v, ctx);
	bool found;
	struct views_memo *m = memo_slot(v, u->packets[i].flow_id, &found);
	if (!found)
		view_compute(v, u, m->flow_id, &m->v);
	size_t n = size < sizeof(m->v) ? size : sizeof(m->v);
	memcpy(out, &m->v, n);
	if (size > n)
		memset((char *)out + n, 0, size - n);
	out->struct_size = (uint32_t)n;
	return 0;
}

const char *views_device_of(struct views *v, struct bpass_ctx *ctx, uint32_t address_id)
{
	resolve(v, ctx);
	return v->addresses ? addresses_device(v->addresses, address_id) : NULL;
}
