/*
 * plot/plot_kinds.c: draws each kind of per-node plot from its data
 * (throughput, drops, sessions, top domains, plugin series) with the
 * toolkit of plot_draw.h. Times outside PLOT_T_MIN..PLOT_T_MAX are left out
 * on entry (copy_plottable), so the time arithmetic below cannot overflow.
 */
#include "plot_kinds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "plot_draw.h"

/* Margins of a plot (pixels). */
#define M_LEFT 96.0
#define M_RIGHT 28.0
#define M_TOP 64.0
#define M_BOTTOM 72.0

static const struct plot_rgb shade_color = {0.86, 0.94, 0.86};

/* ---- time series storage ---- */

void plot_ts_init(struct plot_ts *ts, unsigned nvals)
{
	memset(ts, 0, sizeof(*ts));
	ts->nvals = nvals;
}

void plot_ts_release(struct plot_ts *ts)
{
	free(ts->t);
	free(ts->v);
	plot_ts_init(ts, ts->nvals);
}

void plot_ts_reset(struct plot_ts *ts)
{
	ts->n = 0;
}

void plot_ts_push(struct plot_ts *ts, int64_t t, const double *vals)
{
	if (ts->n + 1 > ts->cap) {
		uint32_t cap = ts->cap;
		xgrow((void **)&ts->t, &cap, (uint32_t)(ts->n + 1), sizeof(*ts->t));
		ts->v = xrealloc(ts->v, (size_t)cap * (ts->nvals ? ts->nvals : 1) * sizeof(*ts->v));
		ts->cap = cap;
	}
	ts->t[ts->n] = t;
	if (ts->nvals)
		memcpy(ts->v + ts->n * ts->nvals, vals, ts->nvals * sizeof(*vals));
	ts->n++;
}

static bool sorted_by_time(const struct plot_ts *ts)
{
	for (size_t i = 1; i < ts->n; i++)
		if (ts->t[i] < ts->t[i - 1])
			return false;
	return true;
}

struct row_ref {
	int64_t key1, key2;
	size_t i;
};

static int cmp_row_ref(const void *a, const void *b)
{
	const struct row_ref *x = a, *y = b;
	if (x->key1 != y->key1)
		return x->key1 < y->key1 ? -1 : 1;
	if (x->key2 != y->key2)
		return x->key2 < y->key2 ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Reorders the rows of ts by refs (already sorted). */
static void apply_order(struct plot_ts *ts, const struct row_ref *refs)
{
	int64_t *t = xmalloc(ts->n * sizeof(*t) + 1);
	double *v = xmalloc(ts->n * ts->nvals * sizeof(*v) + 1);
	for (size_t k = 0; k < ts->n; k++) {
		t[k] = ts->t[refs[k].i];
		memcpy(v + k * ts->nvals, ts->v + refs[k].i * ts->nvals, ts->nvals * sizeof(*v));
	}
	memcpy(ts->t, t, ts->n * sizeof(*t));
	memcpy(ts->v, v, ts->n * ts->nvals * sizeof(*v));
	free(t);
	free(v);
}

void plot_ts_sort(struct plot_ts *ts)
{
	if (sorted_by_time(ts))
		return;
	struct row_ref *refs = xmalloc(ts->n * sizeof(*refs));
	for (size_t i = 0; i < ts->n; i++)
		refs[i] = (struct row_ref){ts->t[i], 0, i};
	qsort(refs, ts->n, sizeof(*refs), cmp_row_ref);
	apply_order(ts, refs);
	free(refs);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t plot_ts_median_step(const struct plot_ts *ts)
{
	if (ts->n < 2)
		return 0;
	int64_t *d = xmalloc((ts->n - 1) * sizeof(*d));
	for (size_t i = 1; i < ts->n; i++)
		d[i - 1] = ts->t[i] - ts->t[i - 1];
	qsort(d, ts->n - 1, sizeof(*d), cmp_i64);
	int64_t m = d[(ts->n - 1) / 2];
	free(d);
	return m;
}

void plot_ts_with_breaks(const struct plot_ts *in, int64_t max_gap, struct plot_ts *out)
{
	plot_ts_init(out, in->nvals);
	double *nan = xmalloc((in->nvals ? in->nvals : 1) * sizeof(*nan));
	for (unsigned k = 0; k < in->nvals; k++)
		nan[k] = NAN;
	for (size_t i = 0; i < in->n; i++) {
		if (i && in->t[i] - in->t[i - 1] > max_gap)
			plot_ts_push(out, in->t[i - 1] + 1, nan);
		plot_ts_push(out, in->t[i], in->v + i * in->nvals);
	}
	free(nan);
}

/* A sorted copy of the rows of in whose time a plot can show. */
static void copy_plottable(const struct plot_ts *in, struct plot_ts *out)
{
	plot_ts_init(out, in->nvals);
	for (size_t i = 0; i < in->n; i++)
		if (plot_time_ok(in->t[i]))
			plot_ts_push(out, in->t[i], in->v + i * in->nvals);
	plot_ts_sort(out);
}

/* ---- shared layout ---- */

static void title_of(char *out, size_t n, const char *node, const char *kind)
{
	snprintf(out, n, "%s \xe2\x80\x94 %s", node, kind);   /* an em dash */
}

static void range_subtitle(char *out, size_t n, int64_t lo, int64_t hi, const char *extra)
{
	char a[32], b[32];
	plot_time_format(lo, a);
	plot_time_format(hi, b);
	snprintf(out, n, "%s \xe2\x86\x92 %s UTC%s%s", a, b, extra && *extra ? ", " : "",
		 extra ? extra : "");
}

static void no_data(cairo_t *cr, int w, int h, const char *node, const char *kind)
{
	char title[256];
	title_of(title, sizeof(title), node, kind);
	plot_draw_no_data(cr, w, h, title, "no data");
}

/* The time range of the rows of ts (sorted), widened when too short. */
static void time_range(const struct plot_ts *ts, int64_t end_pad, int64_t *lo, int64_t *hi)
{
	*lo = ts->t[0];
	*hi = ts->t[ts->n - 1] + end_pad;
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->t[i] < *lo)
			*lo = ts->t[i];
		if (ts->t[i] + end_pad > *hi)
			*hi = ts->t[i] + end_pad;
	}
}

static void widen(int64_t *lo, int64_t *hi)
{
	if (*hi - *lo < 2 * PLOT_US_PER_MIN) {
		*lo -= 30 * PLOT_US_PER_MIN;
		*hi += 30 * PLOT_US_PER_MIN;
	}
}

static double column_max(const struct plot_ts *ts, unsigned col)
{
	double m = 0;
	for (size_t i = 0; i < ts->n; i++) {
		double v = ts->v[i * ts->nvals + col];
		if (!isnan(v) && v > m)
			m = v;
	}
	return m;
}

/* ---- throughput ---- */

static const struct plot_interval *interval_of(const struct plot_interval *iv, size_t niv,
					       int64_t t)
{
	for (size_t i = 0; i < niv; i++)
		if (iv[i].lo <= t && t <= iv[i].hi)
			return &iv[i];
	return NULL;
}

void plot_kind_throughput(cairo_t *cr, int width, int height, const char *node,
			  const struct plot_ts *in, const struct plot_interval *all_iv, size_t all_niv)
{
	struct plot_ts ts, filled;
	copy_plottable(in, &ts);
	if (!ts.n) {
		plot_ts_release(&ts);
		no_data(cr, width, height, node, "throughput");
		return;
	}
	struct plot_interval *iv = xmalloc((all_niv ? all_niv : 1) * sizeof(*iv));
	size_t niv = 0;
	for (size_t i = 0; i < all_niv; i++)
		if (plot_time_ok(all_iv[i].lo) && plot_time_ok(all_iv[i].hi))
			iv[niv++] = all_iv[i];

	/* A minute with no row inside an availability interval had no traffic:
	 * draw 0. Outside them (the node was not reporting) the line breaks.
	 * Without availability data, gaps up to 30 minutes count as idle. */
	plot_ts_init(&filled, 2);
	const double zero[2] = {0, 0}, nan[2] = {NAN, NAN};
	for (size_t i = 0; i < ts.n; i++) {
		if (i) {
			int64_t a = ts.t[i - 1], b = ts.t[i];
			if (b - a > PLOT_US_PER_MIN) {
				const struct plot_interval *ia = interval_of(iv, niv, a);
				bool idle = niv ? ia && ia == interval_of(iv, niv, b)
						: b - a <= 30 * PLOT_US_PER_MIN;
				if (idle) {
					plot_ts_push(&filled, a + PLOT_US_PER_MIN, zero);
					if (b - PLOT_US_PER_MIN > a + PLOT_US_PER_MIN)
						plot_ts_push(&filled, b - PLOT_US_PER_MIN, zero);
				} else {
					plot_ts_push(&filled, a + 1, nan);
				}
			}
		}
		plot_ts_push(&filled, ts.t[i], ts.v + i * ts.nvals);
	}

	int64_t lo, hi;
	time_range(&ts, PLOT_US_PER_MIN, &lo, &hi);
	for (size_t i = 0; i < niv; i++) {
		if (iv[i].lo < lo)
			lo = iv[i].lo;
		if (iv[i].hi > hi)
			hi = iv[i].hi;
	}
	widen(&lo, &hi);

	double total_bytes = 0;
	for (size_t i = 0; i < ts.n; i++)
		if (!isnan(ts.v[i * 2]))
			total_bytes += ts.v[i * 2];
	struct plot_unit ub, up;
	double max_b = column_max(&ts, 0), max_p = column_max(&ts, 1);
	plot_unit_pick(PLOT_UNIT_BYTES, max_b, &ub);
	plot_unit_pick(PLOT_UNIT_COUNT, max_p, &up);
	struct plot_unit utotal;
	plot_unit_pick(PLOT_UNIT_BYTES, total_bytes, &utotal);

	char title[256], sub[256], extra[96];
	title_of(title, sizeof(title), node, "throughput");
	snprintf(extra, sizeof(extra), "%zu minutes with traffic, %.1f %s in total", ts.n,
		 total_bytes / utotal.divisor, utotal.label);
	range_subtitle(sub, sizeof(sub), lo, hi, extra);
	plot_draw_title(cr, width, title, sub);

	const char *names[] = {"bytes per minute", "packets per minute", "node reporting"};
	const struct plot_rgb *colors[] = {plot_color(0), plot_color(1), &shade_color};
	const int kinds[] = {0, 0, 1};
	plot_draw_legend(cr, width - M_RIGHT, 12, names, colors, kinds, niv ? 3 : 2);

	double top = M_TOP, gap = 26;
	double ph = (height - M_TOP - M_BOTTOM - gap) / 2;
	struct plot_axes pb = {M_LEFT, top, width - M_LEFT - M_RIGHT, ph, lo, hi, 0, 1};
	struct plot_axes pp = pb;
	pp.y = top + ph + gap;
	plot_value_range(max_b / ub.divisor, (int)(ph / 40), &pb.vmin, &pb.vmax);
	plot_value_range(max_p / up.divisor, (int)(ph / 40), &pp.vmin, &pp.vmax);

	char yb[64], yp[64];
	snprintf(yb, sizeof(yb), "%s/min", ub.label);
	if (up.label[0])
		snprintf(yp, sizeof(yp), "packets/min (%s)", up.label);
	else
		snprintf(yp, sizeof(yp), "packets/min");
	struct plot_axes *panels[2] = {&pb, &pp};
	const char *ytitles[2] = {yb, yp};
	const double divisors[2] = {ub.divisor, up.divisor};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < niv; i++)
			plot_draw_shade(cr, panels[k], iv[i].lo, iv[i].hi, &shade_color);
		plot_draw_time_axis(cr, panels[k], k == 1);
		plot_draw_value_axis(cr, panels[k], ytitles[k]);
		plot_draw_series(cr, panels[k], filled.t, filled.v + k, 2, filled.n, divisors[k],
				 plot_color((unsigned)k));
		plot_draw_frame(cr, panels[k]);
	}
	plot_ts_release(&filled);
	plot_ts_release(&ts);
	free(iv);
}

/* ---- drops ---- */

void plot_counter_deltas(const struct plot_ts *ts, unsigned session_col, unsigned value_col,
			 double *out)
{
	struct row_ref *refs = xmalloc((ts->n ? ts->n : 1) * sizeof(*refs));
	for (size_t i = 0; i < ts->n; i++) {
		double s = ts->v[i * ts->nvals + session_col];
		refs[i] = (struct row_ref){isnan(s) ? INT64_MIN : (int64_t)s, ts->t[i], i};
	}
	qsort(refs, ts->n, sizeof(*refs), cmp_row_ref);
	double prev = NAN;
	for (size_t k = 0; k < ts->n; k++) {
		size_t i = refs[k].i;
		double v = ts->v[i * ts->nvals + value_col];
		bool same_session = k && refs[k - 1].key1 == refs[k].key1;
		if (!same_session)
			prev = NAN;
		if (isnan(v)) {
			out[i] = NAN;
			continue;
		}
		if (isnan(prev))
			out[i] = v;                         /* since capture start */
		else if (v >= prev)
			out[i] = v - prev;
		else if (prev - v > 2147483648.0)
			out[i] = v + 4294967296.0 - prev;   /* wrapped at 2^32 */
		else
			out[i] = v;                         /* counter reset */
		prev = v;
	}
	free(refs);
}

void plot_kind_drops(cairo_t *cr, int width, int height, const char *node,
		     const struct plot_ts *in)
{
	if (!in->n) {
		no_data(cr, width, height, node, "drops");
		return;
	}
	double *pcap = xmalloc(in->n * sizeof(*pcap));
	double *ifd = xmalloc(in->n * sizeof(*ifd));
	plot_counter_deltas(in, 0, 2, pcap);
	plot_counter_deltas(in, 0, 3, ifd);
	struct plot_ts ts, broken;
	plot_ts_init(&ts, 3);
	for (size_t i = 0; i < in->n; i++) {
		double row[3] = {in->v[i * in->nvals + 1], pcap[i], ifd[i]};
		if (plot_time_ok(in->t[i]))
			plot_ts_push(&ts, in->t[i], row);
	}
	free(pcap);
	free(ifd);
	if (!ts.n) {
		plot_ts_release(&ts);
		no_data(cr, width, height, node, "drops");
		return;
	}
	plot_ts_sort(&ts);
	int64_t step = plot_ts_median_step(&ts);
	int64_t max_gap = 3 * step > 5 * PLOT_US_PER_MIN ? 3 * step : 5 * PLOT_US_PER_MIN;
	plot_ts_with_breaks(&ts, max_gap, &broken);

	int64_t lo, hi;
	time_range(&ts, 0, &lo, &hi);
	widen(&lo, &hi);
	double max = 0, total[3] = {0, 0, 0};
	for (unsigned k = 0; k < 3; k++) {
		double m = column_max(&ts, k);
		if (m > max)
			max = m;
		for (size_t i = 0; i < ts.n; i++)
			if (!isnan(ts.v[i * 3 + k]))
				total[k] += ts.v[i * 3 + k];
	}
	struct plot_unit u;
	plot_unit_pick(PLOT_UNIT_COUNT, max, &u);

	char title[256], sub[256], extra[160];
	title_of(title, sizeof(title), node, "packets dropped per update");
	snprintf(extra, sizeof(extra), "%zu updates; totals: %.0f packet series, %.0f pcap, %.0f interface",
		 ts.n, total[0], total[1], total[2]);
	range_subtitle(sub, sizeof(sub), lo, hi, extra);
	plot_draw_title(cr, width, title, sub);
	const char *names[] = {"packet series (per update)", "pcap (increase per update)",
			       "interface (increase per update)"};
	const struct plot_rgb *colors[] = {plot_color(0), plot_color(3), plot_color(4)};
	plot_draw_legend(cr, width - M_RIGHT, 12, names, colors, NULL, 3);

	struct plot_axes a = {M_LEFT, M_TOP, width - M_LEFT - M_RIGHT, height - M_TOP - M_BOTTOM,
			      lo, hi, 0, 1};
	plot_value_range(max / u.divisor, (int)(a.h / 40), &a.vmin, &a.vmax);
	char ytitle[64];
	if (u.label[0])
		snprintf(ytitle, sizeof(ytitle), "packets dropped per update (%s)", u.label);
	else
		snprintf(ytitle, sizeof(ytitle), "packets dropped per update");
	plot_draw_time_axis(cr, &a, true);
	plot_draw_value_axis(cr, &a, ytitle);
	/* Drawn back to front so the per-update packet-series drops stay on top. */
	for (unsigned k = 3; k-- > 0;)
		plot_draw_series(cr, &a, broken.t, broken.v + k, 3, broken.n, u.divisor, colors[k]);
	plot_draw_frame(cr, &a);
	plot_ts_release(&broken);
	plot_ts_release(&ts);
}

/* ---- sessions ---- */

static int cmp_bar(const void *a, const void *b)
{
	const struct plot_session_bar *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->session_id < y->session_id ? -1 : x->session_id > y->session_id;
}

void plot_kind_sessions(cairo_t *cr, int width, int height, const char *node,
			const struct plot_session_bar *in, size_t n)
{
	struct plot_session_bar *bars = xmalloc((n ? n : 1) * sizeof(*bars));
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (plot_time_ok(in[i].lo) && plot_time_ok(in[i].hi) && in[i].hi >= in[i].lo)
			bars[m++] = in[i];
	if (!m) {
		free(bars);
		no_data(cr, width, height, node, "sessions");
		return;
	}
	qsort(bars, m, sizeof(*bars), cmp_bar);
	int64_t lo = bars[0].lo, hi = bars[0].hi;
	for (size_t i = 0; i < m; i++)
		if (bars[i].hi > hi)
			hi = bars[i].hi;
	widen(&lo, &hi);
	int64_t pad = (hi - lo) / 50;
	lo -= pad;
	hi += pad;

	double area_h = height - M_TOP - M_BOTTOM;
	double row = area_h / (double)m;
	if (row > 28)
		row = 28;
	bool labels = row >= 14;
	double left = labels ? 170 : M_LEFT;

	char title[256], sub[256], extra[64];
	title_of(title, sizeof(title), node, "sessions");
	snprintf(extra, sizeof(extra), "%zu session%s", m, m == 1 ? "" : "s");
	range_subtitle(sub, sizeof(sub), lo, hi, extra);
	plot_draw_title(cr, width, title, sub);

	struct plot_axes a = {left, M_TOP, width - left - M_RIGHT, area_h, lo, hi, 0, 1};
	plot_draw_time_axis(cr, &a, true);
	const struct plot_rgb *c = plot_color(0);
	for (size_t i = 0; i < m; i++) {
		double y = M_TOP + row * (double)i;
		double x0 = plot_axes_x(&a, bars[i].lo), x1 = plot_axes_x(&a, bars[i].hi);
		if (x1 - x0 < 2)
			x1 = x0 + 2;
		cairo_set_source_rgb(cr, c->r, c->g, c->b);
		cairo_rectangle(cr, x0, y + row * 0.15, x1 - x0, row * 0.7 > 1 ? row * 0.7 : 1);
		cairo_fill(cr);
		if (labels) {
			char id[32];
			snprintf(id, sizeof(id), "%lld", (long long)bars[i].session_id);
			cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
			plot_text(cr, left - 8, y + row / 2, 1, 0, PLOT_FONT_SMALL, id);
		}
	}
	if (!labels) {
		cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
		cairo_save(cr);
		cairo_translate(cr, left - 20, M_TOP + area_h / 2);
		cairo_rotate(cr, -M_PI / 2);
		plot_text(cr, 0, 0, 0, 1, PLOT_FONT_LABEL, "sessions, by start time");
		cairo_restore(cr);
	} else {
		cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
		plot_text(cr, left - 8, M_TOP - 4, 1, 1, PLOT_FONT_SMALL, "session id");
	}
	plot_draw_frame(cr, &a);
	free(bars);
}

/* ---- top domains ---- */

void plot_domain_label(const struct plot_domain *d, char out[64])
{
	size_t len = strlen(d->name);
	size_t keep = d->anonymized ? 12 : 39;
	if (len <= (d->anonymized ? 12 : 40)) {
		memcpy(out, d->name, len + 1);   /* len <= 40 < 64 */
		return;
	}
	snprintf(out, 64, "%.*s\xe2\x80\xa6", (int)keep, d->name);   /* "…" */
}

void plot_kind_domains(cairo_t *cr, int width, int height, const char *node,
		       const struct plot_domain *d, size_t n)
{
	if (!n) {
		no_data(cr, width, height, node, "top domains");
		return;
	}
	if (n > PLOT_TOP_DOMAINS)
		n = PLOT_TOP_DOMAINS;
	char labels[PLOT_TOP_DOMAINS][64];
	double widest = 0, max = 0;
	bool any_hashed = false, any_clear = false;
	for (size_t i = 0; i < n; i++) {
		plot_domain_label(&d[i], labels[i]);
		double w = plot_text_width(cr, PLOT_FONT_SMALL, labels[i]);
		if (w > widest)
			widest = w;
		if (d[i].flows > max)
			max = d[i].flows;
		if (d[i].anonymized)
			any_hashed = true;
		else
			any_clear = true;
	}
	double left = widest + 24;
	if (left < M_LEFT)
		left = M_LEFT;
	if (left > width * 0.45)
		left = width * 0.45;

	char title[256], sub[128];
	title_of(title, sizeof(title), node, "top domains by flows");
	snprintf(sub, sizeof(sub), "the %zu domain%s with the most flows", n, n == 1 ? "" : "s");
	plot_draw_title(cr, width, title, sub);

	struct plot_unit u;
	plot_unit_pick(PLOT_UNIT_COUNT, max, &u);
	double area_w = width - left - M_RIGHT - 60, area_h = height - M_TOP - M_BOTTOM;
	double vmin, vmax;
	plot_value_range(max / u.divisor, (int)(area_w / 90), &vmin, &vmax);
	double step = plot_nice_step(vmax - vmin, (int)(area_w / 90) < 2 ? 2 : (int)(area_w / 90));

	/* Vertical grid and flow labels along the bottom. */
	cairo_set_line_width(cr, 1);
	for (double v = 0; v <= vmax + step * 1e-9; v += step) {
		double x = floor(left + v / vmax * area_w) + 0.5;
		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, x, M_TOP);
		cairo_line_to(cr, x, M_TOP + area_h);
		cairo_stroke(cr);
		char l[32];
		if (step < 1)
			snprintf(l, sizeof(l), "%.1f", v);
		else
			snprintf(l, sizeof(l), "%.0f", v);
		cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
		plot_text(cr, x, M_TOP + area_h + 8, 0, -1, PLOT_FONT_SMALL, l);
	}
	char xt[64];
	snprintf(xt, sizeof(xt), u.label[0] ? "flows (%s)" : "flows", u.label);
	plot_text(cr, left + area_w, M_TOP + area_h + 42, 1, -1, PLOT_FONT_LABEL, xt);

	double row = area_h / PLOT_TOP_DOMAINS;
	for (size_t i = 0; i < n; i++) {
		double y = M_TOP + row * (double)i;
		double w = d[i].flows / u.divisor / vmax * area_w;
		const struct plot_rgb *c = plot_color(d[i].anonymized ? 0 : 2);
		cairo_set_source_rgb(cr, c->r, c->g, c->b);
		cairo_rectangle(cr, left, y + row * 0.15, w > 1 ? w : 1, row * 0.7);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
		plot_text(cr, left - 8, y + row / 2, 1, 0, PLOT_FONT_SMALL, labels[i]);
		char v[32];
		snprintf(v, sizeof(v), "%.0f", d[i].flows);
		plot_text(cr, left + w + 6, y + row / 2, -1, 0, PLOT_FONT_SMALL, v);
	}
	cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
	cairo_move_to(cr, floor(left) + 0.5, M_TOP);
	cairo_line_to(cr, floor(left) + 0.5, M_TOP + area_h);
	cairo_stroke(cr);
	if (any_hashed && any_clear) {
		const char *names[] = {"hashed name", "clear (whitelisted) name"};
		const struct plot_rgb *colors[] = {plot_color(0), plot_color(2)};
		const int kinds[] = {1, 1};
		plot_draw_legend(cr, width - M_RIGHT, 12, names, colors, kinds, 2);
	}
}

/* ---- plugin series ---- */

void plot_kind_series(cairo_t *cr, int width, int height, const char *node, const char *name,
		      const struct plot_ts *in, const char *const *names)
{
	struct plot_ts ts, broken;
	copy_plottable(in, &ts);
	if (!ts.n || !ts.nvals) {
		plot_ts_release(&ts);
		no_data(cr, width, height, node, name);
		return;
	}
	int64_t step = plot_ts_median_step(&ts);
	plot_ts_with_breaks(&ts, step > 0 ? 3 * step : INT64_MAX, &broken);

	int64_t lo, hi;
	time_range(&ts, 0, &lo, &hi);
	widen(&lo, &hi);
	double max = 0, min = 0;
	for (size_t i = 0; i < ts.n * ts.nvals; i++) {
		if (isnan(ts.v[i]))
			continue;
		if (ts.v[i] > max)
			max = ts.v[i];
		if (ts.v[i] < min)
			min = ts.v[i];
	}
	struct plot_unit u;
	plot_unit_pick(PLOT_UNIT_COUNT, fabs(min) > max ? fabs(min) : max, &u);

	char title[256], sub[256], extra[64];
	title_of(title, sizeof(title), node, name);
	snprintf(extra, sizeof(extra), "%zu points", ts.n);
	range_subtitle(sub, sizeof(sub), lo, hi, extra);
	plot_draw_title(cr, width, title, sub);

	unsigned nv = ts.nvals > 10 ? 10 : ts.nvals;   /* the palette's distinct colours */
	const struct plot_rgb *colors[10];
	for (unsigned k = 0; k < nv; k++)
		colors[k] = plot_color(k);
	if (nv > 1)
		plot_draw_legend(cr, width - M_RIGHT, 12, names, colors, NULL, nv);

	struct plot_axes a = {M_LEFT, M_TOP, width - M_LEFT - M_RIGHT, height - M_TOP - M_BOTTOM,
			      lo, hi, 0, 1};
	plot_value_range(max / u.divisor, (int)(a.h / 40), &a.vmin, &a.vmax);
	if (min < 0) {
		/* Negative values: extend the range symmetrically to a nice step. */
		double step2 = plot_nice_step((max - min) / u.divisor, (int)(a.h / 40));
		a.vmin = floor(min / u.divisor / step2) * step2;
		a.vmax = ceil(max / u.divisor / step2) * step2;
		if (a.vmax <= a.vmin)
			a.vmax = a.vmin + step2;
	}
	char ytitle[128];
	if (u.label[0])
		snprintf(ytitle, sizeof(ytitle), "%s (%s)", nv == 1 ? names[0] : name, u.label);
	else
		snprintf(ytitle, sizeof(ytitle), "%s", nv == 1 ? names[0] : name);
	plot_draw_time_axis(cr, &a, true);
	plot_draw_value_axis(cr, &a, ytitle);
	for (unsigned k = 0; k < nv; k++)
		plot_draw_series(cr, &a, broken.t, broken.v + k, ts.nvals, broken.n, u.divisor,
				 colors[k]);
	plot_draw_frame(cr, &a);
	plot_ts_release(&broken);
	plot_ts_release(&ts);
}
