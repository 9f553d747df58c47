/*
 * processors/availability.c: the "availability" processor (data
 * availability, processors.md). Session state: lower bound = time of the
 * first packet of update 0 (update 0's timestamp when its packet series is
 * empty), upper bound = timestamp of the last processed update.
 *
 * Global: per node, intervals. A session's [lo, hi] absorbs every interval
 * [l, u] it is not separated from ("separated": hi <= l - 35 s or
 * lo >= u + 35 s) and replaces them with their union. Merging keeps every
 * session's interval; global_complete merges them sorted (and to a fixed
 * point when an interval is inverted), so the result does not depend on the
 * order sessions arrive. availability.csv: node_id, lower_us, upper_us and
 * both as ISO times.
 *
 * Saved as [has_lower, lower_us, has_upper, upper_s]; the global as
 * [[node, lo_us, hi_us]...], merged.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "serial.h"
#include "strtab.h"
#include "usec.h"

#define AV_SEPARATION (35 * USEC_PER_S)

struct av_state {
	bool has_lower, has_upper;
	int64_t lower_us;
	int64_t upper_s;
};

static void *av_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return xcalloc(1, sizeof(struct av_state));
}

static void av_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	free(state);
}

static int av_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct av_state *s = state;
	if (u->sequence == 0) {
		s->has_lower = true;
		s->lower_us = u->n_packets ? u->packets[0].time_us : usec_from_s(u->timestamp_s);
	}
	s->has_upper = true;
	s->upper_s = u->timestamp_s;
	return 0;
}

static int av_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct av_state *s = state;
	w->array(w, 4);
	w->boolean(w, s->has_lower);
	w->i64(w, s->has_lower ? s->lower_us : 0);
	w->boolean(w, s->has_upper);
	w->i64(w, s->has_upper ? s->upper_s : 0);
	return 0;
}

static int av_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		   struct bpass_reader *r)
{
	(void)ctx;
	struct av_state *s = state;
	if (saved_version != 1 || serial_array(r, 4) || serial_bool(r, &s->has_lower) ||
	    serial_i64(r, INT64_MIN, INT64_MAX, &s->lower_us) || serial_bool(r, &s->has_upper) ||
	    serial_i64(r, INT64_MIN, INT64_MAX, &s->upper_s))
		return -1;
	if (!s->has_lower)
		s->lower_us = 0;
	if (!s->has_upper)
		s->upper_s = 0;
	return 0;
}

static int av_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		      struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct av_state *s = state;
	if (s->has_lower)
		f->add(f, "availability_lower_us", s->lower_us);
	if (s->has_upper)
		f->add(f, "availability_upper_us", usec_from_s(s->upper_s));
	return 0;
}

/* ---- global ---- */

struct av_interval {
	uint32_t node;             /* id in av_global.nodes */
	int64_t lo, hi;            /* µs */
};

struct av_global {
	struct strtab nodes;
	struct av_interval *ivs;
	uint32_t n, cap;
};

static void *avg_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct av_global *g = xcalloc(1, sizeof(*g));
	strtab_init(&g->nodes);
	return g;
}

static void avg_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct av_global *g = global;
	if (!g)
		return;
	strtab_release(&g->nodes);
	free(g->ivs);
	free(g);
}

static void avg_add(struct av_global *g, uint32_t node, int64_t lo, int64_t hi)
{
	xgrow((void **)&g->ivs, &g->cap, g->n + 1, sizeof(*g->ivs));
	g->ivs[g->n++] = (struct av_interval){node, lo, hi};
}

static int avg_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	struct av_global *g = global;
	const struct av_state *s = state;
	if (!s->has_lower || !s->has_upper)
		return 0;  /* nothing processed (the original skips these too) */
	avg_add(g, strtab_intern(&g->nodes, key->node_id, strlen(key->node_id)), s->lower_us,
		usec_from_s(s->upper_s));
	return 0;
}

/* Folds partial `from` into `into`: the intervals of both are kept, to be
 * merged by global_complete, whose fixed point is unique; so combining is
 * associative and commutative, and an empty partial adds nothing. */
static int avg_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	struct av_global *g = into;
	const struct av_global *f = from;
	for (uint32_t i = 0; i < f->n; i++) {
		const struct av_interval *v = &f->ivs[i];
		avg_add(g,
			strtab_intern(&g->nodes, strtab_str(&f->nodes, v->node),
				      strtab_len(&f->nodes, v->node)),
			v->lo, v->hi);
	}
	return 0;
}

static bool av_separated(const struct av_interval *a, const struct av_interval *b)
{
	return a->hi <= usec_sub(b->lo, AV_SEPARATION) || a->lo >= usec_add(b->hi, AV_SEPARATION);
}

static void av_absorb(struct av_interval *into, const struct av_interval *b)
{
	if (b->lo < into->lo)
		into->lo = b->lo;
	if (b->hi > into->hi)
		into->hi = b->hi;
}

static int av_cmp(const void *a, const void *b, void *arg)
{
	const struct av_interval *x = a, *y = b;
	int c = strtab_cmp(arg, x->node, y->node);
	if (c)
		return c;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

/* Merges the n intervals of one node (sorted by lo) in place; returns how
 * many remain. Merging is monotone (an interval not separated from a part is
 * not separated from the union), so the fixed point is unique. */
static uint32_t av_merge_node(struct av_interval *v, uint32_t n, void *names)
{
	bool inverted = false;
	for (uint32_t i = 0; i < n; i++)
		inverted |= v[i].hi < v[i].lo;
	if (!inverted) {
		/* sorted by lo: the next interval is separated from the current
		 * union exactly when it starts 35 s or more after its end, and
		 * then so is every later one */
		uint32_t out = 0;
		for (uint32_t i = 1; i < n; i++) {
			if (av_separated(&v[out], &v[i]))
				v[++out] = v[i];
			else
				av_absorb(&v[out], &v[i]);
		}
		return n ? out + 1 : 0;
	}
	bool changed = true;
	while (changed) {
		changed = false;
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = i + 1; j < n;) {
				if (av_separated(&v[i], &v[j])) {
					j++;
					continue;
				}
				av_absorb(&v[i], &v[j]);
				v[j] = v[--n];
				changed = true;
			}
	}
	qsort_r(v, n, sizeof(*v), av_cmp, names);
	return n;
}

static int avg_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct av_global *g = global;
	if (g->n > 1)
		qsort_r(g->ivs, g->n, sizeof(*g->ivs), av_cmp, &g->nodes);
	uint32_t out = 0;
	for (uint32_t i = 0; i < g->n;) {
		uint32_t j = i;
		while (j < g->n && g->ivs[j].node == g->ivs[i].node)
			j++;
		uint32_t m = av_merge_node(g->ivs + i, j - i, &g->nodes);
		memmove(g->ivs + out, g->ivs + i, (size_t)m * sizeof(*g->ivs));
		out += m;
		i = j;
	}
	g->n = out;
	return 0;
}

static int avg_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct av_global *g = global;
	w->array(w, g->n);
	for (uint32_t i = 0; i < g->n; i++) {
		const struct av_interval *v = &g->ivs[i];
		w->array(w, 3);
		serial_put_str(w, &g->nodes, v->node);
		w->i64(w, v->lo);
		w->i64(w, v->hi);
	}
	return 0;
}

static int avg_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
		    struct bpass_reader *r)
{
	(void)ctx;
	struct av_global *g = global;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *node;
		size_t len;
		int64_t lo, hi;
		if (serial_array(r, 3) || serial_str(r, &node, &len) ||
		    serial_i64(r, INT64_MIN, INT64_MAX, &lo) || serial_i64(r, INT64_MIN, INT64_MAX, &hi))
			return -1;
		avg_add(g, strtab_intern(&g->nodes, node, len), lo, hi);
	}
	return avg_complete(ctx, g);
}

static int avg_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct av_global *g = global;
	static const char *const cols[] = {"node_id", "lower_us", "upper_us", "lower_iso",
					   "upper_iso", NULL};
	struct bpass_table *t = res->table(res, "availability", cols);
	if (!t)
		return -1;
	int rc = 0;
	for (uint32_t i = 0; i < g->n && !rc; i++) {
		const struct av_interval *v = &g->ivs[i];
		res->str(t, strtab_str(&g->nodes, v->node));
		res->i64(t, v->lo);
		res->i64(t, v->hi);
		res->iso_us(t, v->lo);
		res->iso_us(t, v->hi);
		rc = res->row_end(t);
	}
	return res->close(t) || rc ? -1 : 0;
}

const struct bpass_processor proc_availability = {
	BPASS_PROCESSOR_HEADER,
	.name = "availability",
	.version = 1,
	.description = "data availability: per node, the merged intervals covered by sessions (35 s gaps)",
	.session_new = av_new,
	.session_free = av_free,
	.process = av_process,
	.save = av_save,
	.load = av_load,
	.session_figures = av_figures,
	.global_new = avg_new,
	.global_free = avg_free,
	.merge = avg_merge,
	.global_complete = avg_complete,
	.global_save = avg_save,
	.global_load = avg_load,
	.write_results = avg_write,
	.global_combine = avg_combine,
};
