/*
 * processors/flow_domains.c: the "flow-domains" processor (flow to domain
 * correlation, processors.md). It runs after flows, addresses and domains
 * for the same update and reads their states (addresses and domains are
 * used; flows is listed because the flow's identity is the flows map's).
 *
 * Session state: flow_id -> set of (anonymized, domain). For each flow-table
 * entry of the update: its set is reset to empty; if the source IP has an
 * address id, the domains key is (that id, destination IP), else if the
 * destination IP has one, (that id, source IP), else the set stays empty.
 * The flow's first time is the time of its first packet in this update's
 * series (none: empty). Every (anonymized, domain) of the key's records with
 * start <= first time <= end joins the set.
 *
 * Sets are ranges of one pairs array; a reset leaves its old range as
 * garbage, compacted when it outweighs the live pairs.
 * Saved as [[flow_id, [[anon, domain]...]]...], sorted.
 *
 * Global: per (node, anonymized, domain) the number of distinct
 * (session, flow) pairs whose set holds it (flow_domains_per_node.csv).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "correlation.h"
#include "serial.h"

/* The state (struct fd_state) is in correlation.h, for the views. */
struct fd_first {
	int32_t flow_id;
	uint8_t used, seen;
	int64_t t;
};

static uint32_t fd_hash(int32_t flow_id)
{
	return (uint32_t)itab_mix64((uint64_t)(uint32_t)flow_id + 7);
}

static uint32_t fd_find(const struct fd_state *s, int32_t flow_id)
{
	uint32_t h = fd_hash(flow_id), cur;
	for (uint32_t i = itab_find(&s->index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&s->index, h, &cur))
		if (s->entries[i].flow_id == flow_id)
			return i;
	return ITAB_NONE;
}

const struct fd_entry *flow_domains_get(const struct fd_state *s, int32_t flow_id)
{
	uint32_t i = fd_find(s, flow_id);
	return i == ITAB_NONE ? NULL : &s->entries[i];
}

/* The entry of flow_id with an empty set (a reset when it existed). */
static uint32_t fd_reset(struct fd_state *s, int32_t flow_id, bool *created)
{
	uint32_t i = fd_find(s, flow_id);
	*created = i == ITAB_NONE;
	if (i == ITAB_NONE) {
		xgrow((void **)&s->entries, &s->cap, s->n + 1, sizeof(*s->entries));
		i = s->n++;
		s->entries[i] = (struct fd_entry){.flow_id = flow_id};
		itab_insert(&s->index, fd_hash(flow_id), i);
	}
	s->garbage += s->entries[i].count;
	s->entries[i].start = s->n_pairs;
	s->entries[i].count = 0;
	return i;
}

/* Adds (anon, domain) to the set of entry e, which must be the last one
 * reset (its range ends the pairs array). Returns 1 if new, 0 if present. */
static int fd_add(struct fd_state *s, uint32_t e, uint8_t anon, uint32_t domain)
{
	struct fd_entry *ent = &s->entries[e];
	for (uint32_t i = ent->start; i < ent->start + ent->count; i++)
		if (s->pairs[i].domain == domain && s->pairs[i].anon == anon)
			return 0;
	xgrow((void **)&s->pairs, &s->cap_pairs, s->n_pairs + 1, sizeof(*s->pairs));
	s->pairs[s->n_pairs].domain = domain;
	s->pairs[s->n_pairs].anon = anon;
	s->n_pairs++;
	ent->count++;
	return 1;
}

static void fd_compact(struct fd_state *s)
{
	if (s->garbage < 4096 || s->garbage < s->n_pairs / 2)
		return;
	struct fd_pair *pairs = xmalloc(((size_t)s->n_pairs - s->garbage) * sizeof(*pairs) + 1);
	uint32_t n = 0;
	for (uint32_t e = 0; e < s->n; e++) {
		struct fd_entry *ent = &s->entries[e];
		if (ent->count)
			memcpy(pairs + n, s->pairs + ent->start, (size_t)ent->count * sizeof(*pairs));
		ent->start = n;
		n += ent->count;
	}
	free(s->pairs);
	s->pairs = pairs;
	s->n_pairs = s->cap_pairs = n;
	s->garbage = 0;
}

static void *fd_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct fd_state *s = xcalloc(1, sizeof(*s));
	strtab_init(&s->domains);
	itab_init(&s->index);
	return s;
}

static void fd_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	struct fd_state *s = state;
	if (!s)
		return;
	strtab_release(&s->domains);
	itab_release(&s->index);
	free(s->entries);
	free(s->pairs);
	free(s->first);
	free(s);
}

/* The scratch slot of flow_id in a table of mask + 1 slots. */
static struct fd_first *fd_first_slot(struct fd_first *tab, uint32_t mask, int32_t flow_id)
{
	uint32_t i = fd_hash(flow_id) & mask;
	while (tab[i].used && tab[i].flow_id != flow_id)
		i = (i + 1) & mask;
	return &tab[i];
}

static int fd_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)eph;
	struct fd_state *s = state;
	const struct addresses_state *as = ctx->state_of(ctx, "addresses");
	const struct domains_state *ds = ctx->state_of(ctx, "domains");
	if (!as || !ds) {
		ctx->warn(ctx, "could not correlate flows: the addresses or domains state is missing");
		return -1;
	}
	if (u->n_flows == 0)
		return 0;

	/* the first packet time of every flow announced in this update */
	uint32_t size = 16;
	while (size < 2 * (uint64_t)u->n_flows)
		size *= 2;
	xgrow((void **)&s->first, &s->cap_first, size, sizeof(*s->first));
	memset(s->first, 0, (size_t)size * sizeof(*s->first));
	uint32_t mask = size - 1, distinct = 0;
	for (uint32_t i = 0; i < u->n_flows; i++) {
		struct fd_first *f = fd_first_slot(s->first, mask, u->flows[i].flow_id);
		if (!f->used) {
			f->used = 1;
			f->flow_id = u->flows[i].flow_id;
			distinct++;
		}
	}
	for (uint32_t i = 0; i < u->n_packets && distinct; i++) {
		struct fd_first *f = fd_first_slot(s->first, mask, u->packets[i].flow_id);
		if (f->used && !f->seen) {
			f->seen = 1;
			f->t = u->packets[i].time_us;
			distinct--;
		}
	}

	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct bpass_flow *fl = &u->flows[i];
		bool created;
		uint32_t e = fd_reset(s, fl->flow_id, &created);
		uint32_t address_id;
		const char *other;
		if (addresses_id_of(as, fl->src_ip, &address_id) == 0)
			other = fl->dst_ip;
		else if (addresses_id_of(as, fl->dst_ip, &address_id) == 0)
			other = fl->src_ip;
		else
			continue;
		uint32_t k = domains_find(ds, address_id, other);
		if (k == ITAB_NONE)
			continue;
		const struct fd_first *f = fd_first_slot(s->first, mask, fl->flow_id);
		if (!f->seen)
			continue;
		for (uint32_t j = ds->keys[k].head; j != ITAB_NONE; j = ds->recs[j].next) {
			const struct domains_record *r = &ds->recs[j];
			if (r->start_us <= f->t && f->t <= r->end_us)
				fd_add(s, e, r->anon,
				       strtab_intern(&s->domains, strtab_str(&ds->names, r->domain),
						     strtab_len(&ds->names, r->domain)));
		}
	}
	fd_compact(s);
	return 0;
}

/* ---- save, load, figures ---- */

static int fd_cmp_entry(const void *a, const void *b, void *arg)
{
	const struct fd_state *s = arg;
	int32_t x = s->entries[*(const uint32_t *)a].flow_id;
	int32_t y = s->entries[*(const uint32_t *)b].flow_id;
	return (x > y) - (x < y);
}

static int fd_cmp_pair(const void *a, const void *b, void *arg)
{
	const struct fd_pair *x = a, *y = b;
	if (x->anon != y->anon)
		return x->anon < y->anon ? -1 : 1;
	return strtab_cmp(arg, x->domain, y->domain);
}

static int fd_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct fd_state *s = state;
	uint32_t *order = xmalloc((size_t)s->n * sizeof(*order) + 1);
	uint32_t max = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		order[i] = i;
		if (s->entries[i].count > max)
			max = s->entries[i].count;
	}
	struct fd_pair *set = xmalloc((size_t)max * sizeof(*set) + 1);
	qsort_r(order, s->n, sizeof(*order), fd_cmp_entry, (void *)s);
	w->array(w, s->n);
	for (uint32_t k = 0; k < s->n; k++) {
		const struct fd_entry *e = &s->entries[order[k]];
		if (e->count)
			memcpy(set, s->pairs + e->start, (size_t)e->count * sizeof(*set));
		qsort_r(set, e->count, sizeof(*set), fd_cmp_pair, (void *)&s->domains);
		w->array(w, 2);
		w->i64(w, e->flow_id);
		w->array(w, e->count);
		for (uint32_t j = 0; j < e->count; j++) {
			w->array(w, 2);
			w->u64(w, set[j].anon);
			w->str(w, strtab_str(&s->domains, set[j].domain),
			       strtab_len(&s->domains, set[j].domain));
		}
	}
	free(set);
	free(order);
	return 0;
}

static int fd_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		   struct bpass_reader *r)
{
	(void)ctx;
	struct fd_state *s = state;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		int32_t flow_id;
		uint32_t m;
		if (serial_array(r, 2) || serial_i32(r, &flow_id) || serial_array_any(r, &m))
			return -1;
		bool created;
		uint32_t e = fd_reset(s, flow_id, &created);
		if (!created)
			return -1;  /* a flow id twice */
		for (uint32_t j = 0; j < m; j++) {
			uint8_t anon;
			const char *d;
			size_t len;
			if (serial_array(r, 2) || serial_u8(r, &anon) || serial_str(r, &d, &len) ||
			    !fd_add(s, e, anon, strtab_intern(&s->domains, d, len)))
				return -1;
		}
	}
	return 0;
}

static int fd_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		      struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct fd_state *s = state;
	int64_t with = 0;
	for (uint32_t i = 0; i < s->n; i++)
		with += s->entries[i].count > 0;
	f->add(f, "flow_domain_entries", s->n);
	f->add(f, "flows_with_domain", with);
	f->add(f, "flow_domain_pairs", (int64_t)s->n_pairs - s->garbage);
	return 0;
}

/* ---- global: flows per (node, anonymized, domain) ---- */

struct fdg_row {
	uint32_t node, domain;     /* ids in fdg.names */
	uint8_t anon;
	uint64_t flows;
};

struct fdg {
	struct strtab names;
	struct fdg_row *rows;      uint32_t n, cap;
	struct itab index;
};

static uint32_t fdg_hash(uint32_t node, uint8_t anon, uint32_t domain)
{
	return (uint32_t)itab_combine(itab_combine(itab_mix64(node), anon), domain);
}

static struct fdg_row *fdg_row(struct fdg *g, uint32_t node, uint8_t anon, uint32_t domain,
			       bool *created)
{
	uint32_t h = fdg_hash(node, anon, domain), cur;
	*created = false;
	for (uint32_t i = itab_find(&g->index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&g->index, h, &cur)) {
		struct fdg_row *row = &g->rows[i];
		if (row->node == node && row->anon == anon && row->domain == domain)
			return row;
	}
	*created = true;
	xgrow((void **)&g->rows, &g->cap, g->n + 1, sizeof(*g->rows));
	g->rows[g->n] = (struct fdg_row){.node = node, .domain = domain, .anon = anon};
	itab_insert(&g->index, h, g->n);
	return &g->rows[g->n++];
}

static void *fdg_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct fdg *g = xcalloc(1, sizeof(*g));
	strtab_init(&g->names);
	itab_init(&g->index);
	return g;
}

static void fdg_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct fdg *g = global;
	if (!g)
		return;
	strtab_release(&g->names);
	itab_release(&g->index);
	free(g->rows);
	free(g);
}

static int fdg_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	struct fdg *g = global;
	const struct fd_state *s = state;
	uint32_t node = strtab_intern(&g->names, key->node_id, strlen(key->node_id));
	for (uint32_t i = 0; i < s->n; i++) {
		const struct fd_entry *e = &s->entries[i];
		for (uint32_t j = e->start; j < e->start + e->count; j++) {
			const struct fd_pair *p = &s->pairs[j];
			uint32_t d = strtab_intern(&g->names, strtab_str(&s->domains, p->domain),
						   strtab_len(&s->domains, p->domain));
			bool created;
			fdg_row(g, node, p->anon, d, &created)->flows++;
		}
	}
	return 0;
}

/* Folds partial `from` into `into`: flows per (node, anonymized, domain)
 * add up (a (session, flow) pair is merged into one partial only). */
static int fdg_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	struct fdg *g = into;
	const struct fdg *f = from;
	for (uint32_t i = 0; i < f->n; i++) {
		const struct fdg_row *row = &f->rows[i];
		uint32_t node = strtab_intern(&g->names, strtab_str(&f->names, row->node),
					      strtab_len(&f->names, row->node));
		uint32_t d = strtab_intern(&g->names, strtab_str(&f->names, row->domain),
					   strtab_len(&f->names, row->domain));
		bool created;
		fdg_row(g, node, row->anon, d, &created)->flows += row->flows;
	}
	return 0;
}

static int fdg_cmp(const void *a, const void *b, void *arg)
{
	const struct fdg_row *x = a, *y = b;
	int c = strtab_cmp(arg, x->node, y->node);
	if (c)
		return c;
	if (x->anon != y->anon)
		return x->anon < y->anon ? -1 : 1;
	return strtab_cmp(arg, x->domain, y->domain);
}

static int fdg_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct fdg *g = global;
	if (g->n > 1)
		qsort_r(g->rows, g->n, sizeof(*g->rows), fdg_cmp, &g->names);
	itab_clear(&g->index);
	for (uint32_t i = 0; i < g->n; i++)
		itab_insert(&g->index, fdg_hash(g->rows[i].node, g->rows[i].anon, g->rows[i].domain), i);
	return 0;
}

static int fdg_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct fdg *g = global;
	w->array(w, g->n);
	for (uint32_t i = 0; i < g->n; i++) {
		const struct fdg_row *row = &g->rows[i];
		w->array(w, 4);
		w->str(w, strtab_str(&g->names, row->node), strtab_len(&g->names, row->node));
		w->u64(w, row->anon);
		w->str(w, strtab_str(&g->names, row->domain), strtab_len(&g->names, row->domain));
		w->u64(w, row->flows);
	}
	return 0;
}

static int fdg_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
		    struct bpass_reader *r)
{
	(void)ctx;
	struct fdg *g = global;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *node, *d;
		size_t node_len, d_len;
		uint8_t anon;
		uint64_t flows;
		if (serial_array(r, 4) || serial_str(r, &node, &node_len) || serial_u8(r, &anon) ||
		    serial_str(r, &d, &d_len) || serial_u64(r, UINT64_MAX, &flows) || flows == 0)
			return -1;
		bool created;
		struct fdg_row *row = fdg_row(g, strtab_intern(&g->names, node, node_len), anon,
					      strtab_intern(&g->names, d, d_len), &created);
		if (!created)
			return -1;
		row->flows = flows;
	}
	return fdg_complete(ctx, g);
}

static int fdg_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct fdg *g = global;
	static const char *const cols[] = {"node_id", "anonymized", "domain", "flows", NULL};
	struct bpass_table *t = res->table(res, "flow_domains_per_node", cols);
	if (!t)
		return -1;
	int rc = 0;
	for (uint32_t i = 0; i < g->n && !rc; i++) {
		const struct fdg_row *row = &g->rows[i];
		res->str(t, strtab_str(&g->names, row->node));
		res->u64(t, row->anon);
		res->str(t, strtab_str(&g->names, row->domain));
		res->u64(t, row->flows);
		rc = res->row_end(t);
	}
	return res->close(t) || rc ? -1 : 0;
}

static const char *const fd_depends[] = {"flows", "addresses", "domains", NULL};

const struct bpass_processor proc_flow_domains = {
	BPASS_PROCESSOR_HEADER,
	.name = "flow-domains",
	.version = 1,
	.description = "flow to domain correlation: the domains a flow's remote address resolved from when it began",
	.depends = fd_depends,
	.session_new = fd_new,
	.session_free = fd_free,
	.process = fd_process,
	.save = fd_save,
	.load = fd_load,
	.session_figures = fd_figures,
	.global_new = fdg_new,
	.global_free = fdg_free,
	.merge = fdg_merge,
	.global_complete = fdg_complete,
	.global_save = fdg_save,
	.global_load = fdg_load,
	.write_results = fdg_write,
	.global_combine = fdg_combine,
};
