/*
 * processors/throughput.c: the "throughput" processor: bytes and packets per
 * node and UTC minute, from packet times (minute = floor(time_us / 60e6),
 * bytes = the sum of the packet-series sizes).
 *
 * Session state: the session's per-minute buckets. Global: sums per (node,
 * minute), throughput.csv: node_id, minute (µs of the minute's start),
 * minute_iso, bytes, packets, sorted by node and minute.
 *
 * Saved as [[minute, bytes, packets]...] sorted by minute (minute = the
 * minute number, not µs); the global as [[node, minute, bytes, packets]...].
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "serial.h"
#include "strtab.h"
#include "usec.h"

/* Minutes whose start in µs fits in int64; packet times beyond are clamped. */
#define TP_MIN_MINUTE (INT64_MIN / USEC_PER_MIN)
#define TP_MAX_MINUTE (INT64_MAX / USEC_PER_MIN)

struct tp_bucket {
	int64_t minute;
	uint64_t bytes, packets;
	uint32_t node;             /* global buckets only: id in tp_global.nodes */
};

/* A set of buckets keyed by (node, minute); sessions use node 0. */
struct tp_map {
	struct tp_bucket *b;
	uint32_t n, cap;
	struct itab index;
};

struct tp_state {
	struct tp_map map;
	uint32_t last;             /* the bucket of the previous packet, ITAB_NONE at first */
};

static uint32_t tp_hash(uint32_t node, int64_t minute)
{
	return (uint32_t)itab_combine(itab_mix64(node), (uint64_t)minute);
}

static uint32_t tp_bucket(struct tp_map *m, uint32_t node, int64_t minute, bool *created)
{
	uint32_t h = tp_hash(node, minute), cur;
	*created = false;
	for (uint32_t i = itab_find(&m->index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&m->index, h, &cur))
		if (m->b[i].minute == minute && m->b[i].node == node)
			return i;
	*created = true;
	xgrow((void **)&m->b, &m->cap, m->n + 1, sizeof(*m->b));
	m->b[m->n] = (struct tp_bucket){.minute = minute, .node = node};
	itab_insert(&m->index, h, m->n);
	return m->n++;
}

static void tp_map_release(struct tp_map *m)
{
	free(m->b);
	itab_release(&m->index);
}

static void *tp_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct tp_state *s = xcalloc(1, sizeof(*s));
	itab_init(&s->map.index);
	s->last = ITAB_NONE;
	return s;
}

static void tp_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	struct tp_state *s = state;
	if (!s)
		return;
	tp_map_release(&s->map);
	free(s);
}

static int tp_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct tp_state *s = state;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		int64_t minute = usec_floor_div(u->packets[i].time_us, USEC_PER_MIN);
		if (minute < TP_MIN_MINUTE)
			minute = TP_MIN_MINUTE;
		if (s->last == ITAB_NONE || s->map.b[s->last].minute != minute) {
			bool created;
			s->last = tp_bucket(&s->map, 0, minute, &created);
		}
		s->map.b[s->last].bytes += u->packets[i].size;
		s->map.b[s->last].packets++;
	}
	return 0;
}

static int tp_cmp(const void *a, const void *b, void *arg)
{
	const struct tp_bucket *x = a, *y = b;
	if (x->node != y->node) {
		int c = strtab_cmp(arg, x->node, y->node);
		if (c)
			return c;
	}
	return (x->minute > y->minute) - (x->minute < y->minute);
}

static int tp_cmp_minute(const void *a, const void *b)
{
	const struct tp_bucket *x = a, *y = b;
	return (x->minute > y->minute) - (x->minute < y->minute);
}

static int tp_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct tp_state *s = state;
	struct tp_bucket *v = xmalloc((size_t)s->map.n * sizeof(*v) + 1);
	if (s->map.n)
		memcpy(v, s->map.b, (size_t)s->map.n * sizeof(*v));
	qsort(v, s->map.n, sizeof(*v), tp_cmp_minute);
	w->array(w, s->map.n);
	for (uint32_t i = 0; i < s->map.n; i++) {
		w->array(w, 3);
		w->i64(w, v[i].minute);
		w->u64(w, v[i].bytes);
		w->u64(w, v[i].packets);
	}
	free(v);
	return 0;
}

/* Reads [minute, bytes, packets] with packets >= 1. */
static int tp_get(struct bpass_reader *r, int64_t *minute, uint64_t *bytes, uint64_t *packets)
{
	return serial_i64(r, TP_MIN_MINUTE, TP_MAX_MINUTE, minute) ||
	       serial_u64(r, UINT64_MAX, bytes) || serial_u64(r, UINT64_MAX, packets) ||
	       *packets == 0 ? -1 : 0;
}

static int tp_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		   struct bpass_reader *r)
{
	(void)ctx;
	struct tp_state *s = state;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		int64_t minute;
		uint64_t bytes, packets;
		bool created;
		if (serial_array(r, 3) || tp_get(r, &minute, &bytes, &packets))
			return -1;
		uint32_t b = tp_bucket(&s->map, 0, minute, &created);
		if (!created)
			return -1;  /* a minute twice */
		s->map.b[b].bytes = bytes;
		s->map.b[b].packets = packets;
	}
	return 0;
}

/* ---- global ---- */

struct tp_global {
	struct strtab nodes;
	struct tp_map map;
};

static void *tpg_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct tp_global *g = xcalloc(1, sizeof(*g));
	strtab_init(&g->nodes);
	itab_init(&g->map.index);
	return g;
}

static void tpg_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct tp_global *g = global;
	if (!g)
		return;
	strtab_release(&g->nodes);
	tp_map_release(&g->map);
	free(g);
}

static int tpg_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	struct tp_global *g = global;
	const struct tp_state *s = state;
	uint32_t node = strtab_intern(&g->nodes, key->node_id, strlen(key->node_id));
	for (uint32_t i = 0; i < s->map.n; i++) {
		bool created;
		uint32_t b = tp_bucket(&g->map, node, s->map.b[i].minute, &created);
		g->map.b[b].bytes += s->map.b[i].bytes;
		g->map.b[b].packets += s->map.b[i].packets;
	}
	return 0;
}

/* Folds partial `from` into `into`: bytes and packets per (node, minute)
 * add up. */
static int tpg_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	struct tp_global *g = into;
	const struct tp_global *f = from;
	for (uint32_t i = 0; i < f->map.n; i++) {
		const struct tp_bucket *fb = &f->map.b[i];
		bool created;
		uint32_t b = tp_bucket(&g->map,
				       strtab_intern(&g->nodes, strtab_str(&f->nodes, fb->node),
						     strtab_len(&f->nodes, fb->node)),
				       fb->minute, &created);
		g->map.b[b].bytes += fb->bytes;
		g->map.b[b].packets += fb->packets;
	}
	return 0;
}

static int tpg_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct tp_global *g = global;
	if (g->map.n > 1)
		qsort_r(g->map.b, g->map.n, sizeof(*g->map.b), tp_cmp, &g->nodes);
	itab_clear(&g->map.index);
	for (uint32_t i = 0; i < g->map.n; i++)
		itab_insert(&g->map.index, tp_hash(g->map.b[i].node, g->map.b[i].minute), i);
	return 0;
}

static int tpg_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct tp_global *g = global;
	w->array(w, g->map.n);
	for (uint32_t i = 0; i < g->map.n; i++) {
		const struct tp_bucket *b = &g->map.b[i];
		w->array(w, 4);
		serial_put_str(w, &g->nodes, b->node);
		w->i64(w, b->minute);
		w->u64(w, b->bytes);
		w->u64(w, b->packets);
	}
	return 0;
}

static int tpg_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
		    struct bpass_reader *r)
{
	(void)ctx;
	struct tp_global *g = global;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *node;
		size_t len;
		int64_t minute;
		uint64_t bytes, packets;
		bool created;
		if (serial_array(r, 4) || serial_str(r, &node, &len) ||
		    tp_get(r, &minute, &bytes, &packets))
			return -1;
		uint32_t b = tp_bucket(&g->map, strtab_intern(&g->nodes, node, len), minute, &created);
		if (!created)
			return -1;
		g->map.b[b].bytes = bytes;
		g->map.b[b].packets = packets;
	}
	return tpg_complete(ctx, g);
}

static int tpg_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct tp_global *g = global;
	static const char *const cols[] = {"node_id", "minute", "minute_iso", "bytes", "packets",
					   NULL};
	struct bpass_table *t = res->table(res, "throughput", cols);
	if (!t)
		return -1;
	int rc = 0;
	for (uint32_t i = 0; i < g->map.n && !rc; i++) {
		const struct tp_bucket *b = &g->map.b[i];
		res->str(t, strtab_str(&g->nodes, b->node));
		res->i64(t, b->minute * USEC_PER_MIN);
		res->iso_us(t, b->minute * USEC_PER_MIN);
		res->u64(t, b->bytes);
		res->u64(t, b->packets);
		rc = res->row_end(t);
	}
	return res->close(t) || rc ? -1 : 0;
}

const struct bpass_processor proc_throughput = {
	BPASS_PROCESSOR_HEADER,
	.name = "throughput",
	.version = 1,
	.description = "bytes and packets per node and UTC minute, from packet times",
	.session_new = tp_new,
	.session_free = tp_free,
	.process = tp_process,
	.save = tp_save,
	.load = tp_load,
	.global_new = tpg_new,
	.global_free = tpg_free,
	.merge = tpg_merge,
	.global_complete = tpg_complete,
	.global_save = tpg_save,
	.global_load = tpg_load,
	.write_results = tpg_write,
	.global_combine = tpg_combine,
};
