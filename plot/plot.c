/*
 * plot/plot.c: the driver of `bpass plot`: finds the nodes in the result
 * tables, streams each table once (grouped by node), draws each node's plots
 * with plot_kinds.h, fills in "no data" plots and writes the report.
 *
 * Result tables are data from the field: a node id is shown escaped
 * (common/escape.h: valid UTF-8, no control bytes, as cairo and HTML need)
 * and made safe for file names; a time a plot cannot show (outside
 * PLOT_T_MIN..PLOT_T_MAX) skips its row, counted in a warning, instead of
 * overflowing the axis arithmetic.
 */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "fs.h"
#include "escape.h"
#include "log.h"
#include "plot_csv.h"
#include "plot_draw.h"
#include "plot_kinds.h"
#include "plot_report.h"

enum kind_id { K_THROUGHPUT, K_DROPS, K_SESSIONS, K_DOMAINS, K_BUILTIN };

enum kind_state { ST_NONE, ST_CURRENT, ST_DRAWN, ST_LATE };

struct kind {
	char *name;       /* in file names */
	char *title;      /* in the report */
	char *csv;        /* for plugin series: the table's path */
};

struct node {
	char *id;
	char *label;                    /* id escaped (escape.h): for titles and the report */
	char *file_id;
	uint8_t *state;                 /* per kind, enum kind_state */
	uint32_t nstate;
	struct plot_interval *iv;       /* availability.csv */
	uint32_t niv, cap_iv;
	struct plot_session_bar *sess;  /* sessions.csv */
	uint32_t nsess, cap_sess;
	struct plot_session_bar *usess; /* per session first/last update, update_statistics.csv */
	uint32_t nusess, cap_usess;
	int64_t bytes;                  /* bytes_per_node.csv, -1 unknown */
	int64_t sess_bytes;             /* sum over sessions.csv, -1 unknown */
	int64_t tp_bytes;               /* sum over throughput.csv, -1 unknown */
	int64_t last_us;                /* update_statistics_per_node.csv, INT64_MIN unknown */
	struct plot_domain *top;        /* PLOT_TOP_DOMAINS slots once a domain is seen */
	uint32_t ntop;
	struct plot_ts late;            /* rows gathered in a second pass */
};

struct ctx {
	const struct plot_options *o;
	struct node **nodes;
	uint32_t n, cap;
	uint32_t *slots;                /* hash table of node index + 1 */
	uint32_t nslots;
	struct kind *kinds;
	uint32_t nkinds, cap_kinds;
	bool have_sessions_csv;
	int failures;
	uint64_t bad_times;             /* times outside PLOT_T_MIN..PLOT_T_MAX in the small tables */
};

void plot_safe_name(const char *in, char *out)
{
	size_t i = 0;
	for (; in[i]; i++) {
		char ch = in[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || (ch == '.' && i);
		out[i] = ok ? ch : '_';
	}
	if (!i)
		out[i++] = '_';
	out[i] = 0;
}

/* ---- nodes ---- */

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void rehash(struct ctx *c)
{
	free(c->slots);
	c->nslots = c->nslots ? c->nslots * 2 : 64;
	c->slots = xcalloc(c->nslots, sizeof(*c->slots));
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t h = hash_str(c->nodes[i]->id) & (c->nslots - 1);
		while (c->slots[h])
			h = (h + 1) & (c->nslots - 1);
		c->slots[h] = i + 1;
	}
}

static struct node *node_find(struct ctx *c, const char *id)
{
	if (!c->nslots)
		return NULL;
	uint32_t h = hash_str(id) & (c->nslots - 1);
	while (c->slots[h]) {
		struct node *n = c->nodes[c->slots[h] - 1];
		if (!strcmp(n->id, id))
			return n;
		h = (h + 1) & (c->nslots - 1);
	}
	return NULL;
}

static bool file_id_taken(struct ctx *c, const char *fid)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (!strcmp(c->nodes[i]->file_id, fid))
			return true;
	return false;
}

static struct node *node_get(struct ctx *c, const char *id)
{
	struct node *n = node_find(c, id);
	if (n)
		return n;
	n = xcalloc(1, sizeof(*n));
	n->id = xstrdup(id);
	struct buf label;
	buf_init(&label);
	escape_append(&label, id);
	n->label = xstrdup(label.data);
	buf_release(&label);
	size_t len = strlen(id);
	n->file_id = xmalloc(len + 24);
	plot_safe_name(id, n->file_id);
	if (file_id_taken(c, n->file_id)) {
		/* Two ids that only differ in unsafe characters. */
		char *base = xstrdup(n->file_id);
		for (int k = 2; file_id_taken(c, n->file_id); k++)
			snprintf(n->file_id, len + 24, "%s-%d", base, k);
		free(base);
	}
	n->bytes = n->sess_bytes = n->tp_bytes = -1;
	n->last_us = INT64_MIN;
	plot_ts_init(&n->late, 0);
	xgrow((void **)&c->nodes, &c->cap, c->n + 1, sizeof(*c->nodes));
	c->nodes[c->n++] = n;
	if ((uint64_t)c->n * 10 >= (uint64_t)c->nslots * 7)
		rehash(c);
	else {
		uint32_t h = hash_str(id) & (c->nslots - 1);
		while (c->slots[h])
			h = (h + 1) & (c->nslots - 1);
		c->slots[h] = c->n;
	}
	return n;
}

static uint8_t *state_of(struct node *n, unsigned kind)
{
	if (kind >= n->nstate) {
		uint32_t old = n->nstate;
		n->state = xrealloc(n->state, kind + 8);
		memset(n->state + old, ST_NONE, kind + 8 - old);
		n->nstate = kind + 8;
	}
	return &n->state[kind];
}

static void node_free(struct node *n)
{
	free(n->id);
	free(n->label);
	free(n->file_id);
	free(n->state);
	free(n->iv);
	free(n->sess);
	free(n->usess);
	free(n->top);
	plot_ts_release(&n->late);
	free(n);
}

static unsigned kind_add(struct ctx *c, const char *name, const char *title, const char *csv)
{
	xgrow((void **)&c->kinds, &c->cap_kinds, c->nkinds + 1, sizeof(*c->kinds));
	c->kinds[c->nkinds] = (struct kind){
		.name = xstrdup(name), .title = xstrdup(title), .csv = csv ? xstrdup(csv) : NULL,
	};
	return c->nkinds++;
}

/* ---- drawing ---- */

typedef void (*draw_fn)(cairo_t *cr, int w, int h, struct node *n, void *arg);

static void draw(struct ctx *c, struct node *n, unsigned kind, draw_fn fn, void *arg)
{
	*state_of(n, kind) = ST_DRAWN;
	for (int f = 0; f < (c->o->svg ? 2 : 1); f++) {
		struct buf path;
		buf_init(&path);
		buf_printf(&path, "%s/%s_%s.%s", c->o->out_dir, n->file_id, c->kinds[kind].name,
			   f ? "svg" : "png");
		struct plot_canvas cv;
		if (plot_canvas_open(&cv, path.data, f ? PLOT_SVG : PLOT_PNG, c->o->width,
				     c->o->height) < 0) {
			c->failures++;
		} else {
			fn(cv.cr, c->o->width, c->o->height, n, arg);
			if (plot_canvas_close(&cv) < 0)
				c->failures++;
		}
		buf_release(&path);
	}
}

struct ts_arg {
	struct plot_ts *ts;
	const char *const *names;
	const char *kind_name;
};

static void draw_throughput(cairo_t *cr, int w, int h, struct node *n, void *arg)
{
	struct ts_arg *a = arg;
	plot_kind_throughput(cr, w, h, n->label, a->ts, n->iv, n->niv);
}

static void draw_drops(cairo_t *cr, int w, int h, struct node *n, void *arg)
{
	struct ts_arg *a = arg;
	plot_kind_drops(cr, w, h, n->label, a->ts);
}

static void draw_series(cairo_t *cr, int w, int h, struct node *n, void *arg)
{
	struct ts_arg *a = arg;
	plot_kind_series(cr, w, h, n->label, a->kind_name, a->ts, a->names);
}

static void draw_domains(cairo_t *cr, int w, int h, struct node *n, void *arg)
{
	(void)arg;
	plot_kind_domains(cr, w, h, n->label, n->top, n->ntop);
}

static bool session_bar_lookup(const struct plot_session_bar *b, uint32_t n, int64_t id,
			       const struct plot_session_bar **out)
{
	for (uint32_t i = 0; i < n; i++)
		if (b[i].session_id == id) {
			*out = &b[i];
			return true;
		}
	return false;
}

static void draw_sessions(cairo_t *cr, int w, int h, struct node *n, void *arg)
{
	(void)arg;
	if (!n->nsess) {
		plot_kind_sessions(cr, w, h, n->label, n->usess, n->nusess);
		return;
	}
	struct plot_session_bar *bars = xmalloc(n->nsess * sizeof(*bars));
	for (uint32_t i = 0; i < n->nsess; i++) {
		bars[i] = n->sess[i];
		const struct plot_session_bar *u;
		if ((bars[i].lo == INT64_MIN || bars[i].hi == INT64_MIN) &&
		    session_bar_lookup(n->usess, n->nusess, bars[i].session_id, &u)) {
			if (bars[i].lo == INT64_MIN)
				bars[i].lo = u->lo;
			if (bars[i].hi == INT64_MIN)
				bars[i].hi = u->hi;
		}
	}
	plot_kind_sessions(cr, w, h, n->label, bars, n->nsess);
	free(bars);
}

/* ---- time-series tables ---- */

struct ts_table {
	const char *path;
	unsigned kind;
	const char *time_col;
	int64_t time_mult;             /* to µs */
	const char *const *value_cols;
	unsigned nvals;
	/* Called with a node's complete rows: derives summaries, then draws. */
	void (*finish)(struct ctx *c, struct node *n, struct plot_ts *ts, const struct ts_table *t);
	const char *const *names;      /* legend names (plugin series) */
};

static void finish_throughput(struct ctx *c, struct node *n, struct plot_ts *ts,
			      const struct ts_table *t)
{
	double sum = 0;
	for (size_t i = 0; i < ts->n; i++)
		if (!isnan(ts->v[i * 2]))
			sum += ts->v[i * 2];
	n->tp_bytes = (int64_t)sum;
	struct ts_arg a = {ts, NULL, NULL};
	draw(c, n, t->kind, draw_throughput, &a);
}

static void finish_drops(struct ctx *c, struct node *n, struct plot_ts *ts,
			 const struct ts_table *t)
{
	/* Each session's first and last update, for the sessions plot. */
	n->nusess = 0;
	for (size_t i = 0; i < ts->n; i++) {
		double sv = ts->v[i * ts->nvals];
		if (isnan(sv))
			continue;
		int64_t sid = (int64_t)sv;
		struct plot_session_bar *b = NULL;
		if (n->nusess && n->usess[n->nusess - 1].session_id == sid)
			b = &n->usess[n->nusess - 1];
		else
			for (uint32_t k = 0; k < n->nusess; k++)
				if (n->usess[k].session_id == sid)
					b = &n->usess[k];
		if (!b) {
			xgrow((void **)&n->usess, &n->cap_usess, n->nusess + 1, sizeof(*n->usess));
			b = &n->usess[n->nusess++];
			*b = (struct plot_session_bar){sid, ts->t[i], ts->t[i]};
		}
		if (ts->t[i] < b->lo)
			b->lo = ts->t[i];
		if (ts->t[i] > b->hi)
			b->hi = ts->t[i];
	}
	struct ts_arg a = {ts, NULL, NULL};
	draw(c, n, t->kind, draw_drops, &a);
}

static void finish_series(struct ctx *c, struct node *n, struct plot_ts *ts,
			  const struct ts_table *t)
{
	struct ts_arg a = {ts, t->names, c->kinds[t->kind].title};
	draw(c, n, t->kind, draw_series, &a);
}

/* Reads one row's time and values. Returns 0, or -1 when the time is bad. */
static int read_row(const struct plot_csv *csv, const struct ts_table *t, int tcol,
		    const int *vcols, int64_t *time, double *vals)
{
	int64_t tv;
	if (plot_csv_int(csv, tcol, &tv) < 0)
		return -1;
	if (t->time_mult > 1 && (tv > INT64_MAX / t->time_mult || tv < INT64_MIN / t->time_mult))
		return -1;
	*time = tv * t->time_mult;
	if (!plot_time_ok(*time))
		return -1;
	for (unsigned k = 0; k < t->nvals; k++)
		if (vcols[k] < 0 || plot_csv_num(csv, vcols[k], &vals[k]) < 0)
			vals[k] = NAN;
	return 0;
}

static int open_columns(struct ctx *c, struct plot_csv *csv, const struct ts_table *t,
			int *ncol, int *tcol, int *vcols)
{
	(void)c;
	*ncol = plot_csv_column(csv, "node_id");
	*tcol = plot_csv_column(csv, t->time_col);
	if (*ncol < 0 || *tcol < 0) {
		log_error("could not plot \"%s\": it has no \"%s\" column", t->path,
			  *ncol < 0 ? "node_id" : t->time_col);
		return -1;
	}
	for (unsigned k = 0; k < t->nvals; k++)
		vcols[k] = plot_csv_column(csv, t->value_cols[k]);
	return 0;
}

static void ts_table(struct ctx *c, const struct ts_table *t)
{
	struct plot_csv csv;
	int r = plot_csv_open(&csv, t->path);
	if (r == PLOT_CSV_MISSING)
		return;
	if (r != PLOT_CSV_OPEN) {
		c->failures++;
		return;
	}
	int ncol, tcol, vcols[64];
	if (t->nvals > 64 || open_columns(c, &csv, t, &ncol, &tcol, vcols) < 0) {
		c->failures++;
		plot_csv_close(&csv);
		return;
	}
	struct plot_ts ts;
	plot_ts_init(&ts, t->nvals);
	double vals[64];
	int64_t time;
	uint64_t bad = 0;
	struct node *cur = NULL;
	bool skip = false, any_late = false;
	while ((r = plot_csv_next(&csv)) == 1) {
		const char *id = plot_csv_field(&csv, ncol);
		if (!*id) {
			bad++;
			continue;
		}
		if (!cur || strcmp(cur->id, id)) {
			if (cur && !skip)
				t->finish(c, cur, &ts, t);
			cur = node_get(c, id);
			uint8_t *st = state_of(cur, t->kind);
			skip = *st == ST_DRAWN || *st == ST_LATE;
			if (skip) {
				*st = ST_LATE;   /* its rows are scattered: read again below */
				any_late = true;
			} else {
				*st = ST_CURRENT;
				plot_ts_reset(&ts);
			}
		}
		if (skip)
			continue;
		if (read_row(&csv, t, tcol, vcols, &time, vals) < 0) {
			bad++;
			continue;
		}
		plot_ts_push(&ts, time, vals);
	}
	if (cur && !skip)
		t->finish(c, cur, &ts, t);
	plot_ts_release(&ts);
	plot_csv_close(&csv);
	if (r < 0) {
		c->failures++;
		return;
	}
	if (bad)
		log_warn("skipped %llu rows of \"%s\" without a node id or a valid \"%s\" (a time "
			 "from 1900 to 9999)", (unsigned long long)bad, t->path, t->time_col);
	if (!any_late)
		return;

	/* Second pass: every row of the nodes whose rows were not contiguous. */
	if (plot_csv_open(&csv, t->path) != PLOT_CSV_OPEN ||
	    open_columns(c, &csv, t, &ncol, &tcol, vcols) < 0) {
		c->failures++;
		plot_csv_close(&csv);
		return;
	}
	while ((r = plot_csv_next(&csv)) == 1) {
		struct node *n = node_find(c, plot_csv_field(&csv, ncol));
		if (!n || *state_of(n, t->kind) != ST_LATE)
			continue;
		if (read_row(&csv, t, tcol, vcols, &time, vals) < 0)
			continue;
		if (n->late.nvals != t->nvals)
			plot_ts_init(&n->late, t->nvals);
		plot_ts_push(&n->late, time, vals);
	}
	plot_csv_close(&csv);
	if (r < 0)
		c->failures++;
	for (uint32_t i = 0; i < c->n; i++) {
		struct node *n = c->nodes[i];
		if (*state_of(n, t->kind) != ST_LATE)
			continue;
		if (n->late.nvals != t->nvals)
			plot_ts_init(&n->late, t->nvals);
		t->finish(c, n, &n->late, t);
		plot_ts_release(&n->late);
	}
}

/* ---- small tables ---- */

static void read_availability(struct ctx *c, const char *path)
{
	struct plot_csv csv;
	int r = plot_csv_open(&csv, path);
	if (r != PLOT_CSV_OPEN)
		goto done;
	int ncol = plot_csv_column(&csv, "node_id");
	int lcol = plot_csv_column(&csv, "lower_us"), ucol = plot_csv_column(&csv, "upper_us");
	if (ncol < 0 || lcol < 0 || ucol < 0) {
		log_error("could not read \"%s\": it needs the columns node_id, lower_us, upper_us",
			  path);
		r = -1;
		goto done;
	}
	while ((r = plot_csv_next(&csv)) == 1) {
		const char *id = plot_csv_field(&csv, ncol);
		int64_t lo, hi;
		if (!*id || plot_csv_int(&csv, lcol, &lo) < 0 || plot_csv_int(&csv, ucol, &hi) < 0)
			continue;
		struct node *n = node_get(c, id);
		if (!plot_time_ok(lo) || !plot_time_ok(hi)) {
			c->bad_times++;
			continue;
		}
		xgrow((void **)&n->iv, &n->cap_iv, n->niv + 1, sizeof(*n->iv));
		n->iv[n->niv++] = (struct plot_interval){lo, hi};
	}
done:
	if (r < 0)
		c->failures++;
	plot_csv_close(&csv);
}

static void read_sessions(struct ctx *c, const char *path)
{
	struct plot_csv csv;
	int r = plot_csv_open(&csv, path);
	if (r != PLOT_CSV_OPEN)
		goto done;
	c->have_sessions_csv = true;
	int ncol = plot_csv_column(&csv, "node_id"), scol = plot_csv_column(&csv, "session_id");
	int lcol = plot_csv_column(&csv, "availability_lower_us");
	int ucol = plot_csv_column(&csv, "availability_upper_us");
	int bcol = plot_csv_column(&csv, "bytes");
	if (ncol < 0) {
		log_error("could not read \"%s\": it has no \"node_id\" column", path);
		r = -1;
		goto done;
	}
	while ((r = plot_csv_next(&csv)) == 1) {
		const char *id = plot_csv_field(&csv, ncol);
		if (!*id)
			continue;
		struct node *n = node_get(c, id);
		struct plot_session_bar b = {0, INT64_MIN, INT64_MIN};
		if (plot_csv_int(&csv, scol, &b.session_id) < 0)
			b.session_id = INT64_MIN;
		if (plot_csv_int(&csv, lcol, &b.lo) < 0)
			b.lo = INT64_MIN;
		if (plot_csv_int(&csv, ucol, &b.hi) < 0)
			b.hi = INT64_MIN;
		if ((b.lo != INT64_MIN && !plot_time_ok(b.lo)) ||
		    (b.hi != INT64_MIN && !plot_time_ok(b.hi))) {
			c->bad_times++;
			b.lo = b.hi = INT64_MIN;   /* unknown: from update_statistics.csv, if there */
		}
		xgrow((void **)&n->sess, &n->cap_sess, n->nsess + 1, sizeof(*n->sess));
		n->sess[n->nsess++] = b;
		int64_t bytes;
		if (plot_csv_int(&csv, bcol, &bytes) == 0)
			n->sess_bytes = (n->sess_bytes < 0 ? 0 : n->sess_bytes) + bytes;
	}
done:
	if (r < 0)
		c->failures++;
	plot_csv_close(&csv);
}

static void read_node_table(struct ctx *c, const char *path, bool bytes_table)
{
	struct plot_csv csv;
	int r = plot_csv_open(&csv, path);
	if (r != PLOT_CSV_OPEN)
		goto done;
	int ncol = plot_csv_column(&csv, "node_id");
	int bcol = plot_csv_column(&csv, "bytes");
	int lcol = plot_csv_column(&csv, "last_timestamp");
	if (ncol < 0) {
		log_error("could not read \"%s\": it has no \"node_id\" column", path);
		r = -1;
		goto done;
	}
	while ((r = plot_csv_next(&csv)) == 1) {
		const char *id = plot_csv_field(&csv, ncol);
		if (!*id)
			continue;
		struct node *n = node_get(c, id);
		int64_t v;
		if (bytes_table && plot_csv_int(&csv, bcol, &v) == 0)
			n->bytes = v;
		if (!bytes_table && plot_csv_int(&csv, lcol, &v) == 0) {
			if (v < INT64_MAX / PLOT_US_PER_S && v > INT64_MIN / PLOT_US_PER_S &&
			    plot_time_ok(v * PLOT_US_PER_S))
				n->last_us = v * PLOT_US_PER_S;
			else
				c->bad_times++;
		}
	}
done:
	if (r < 0)
		c->failures++;
	plot_csv_close(&csv);
}

static int cmp_domain(const void *a, const void *b)
{
	const struct plot_domain *x = a, *y = b;
	if (x->flows != y->flows)
		return x->flows > y->flows ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool is_hash40(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 40;
}

static void read_domains(struct ctx *c, const char *path)
{
	struct plot_csv csv;
	int r = plot_csv_open(&csv, path);
	if (r != PLOT_CSV_OPEN)
		goto done;
	int ncol = plot_csv_column(&csv, "node_id"), dcol = plot_csv_column(&csv, "domain");
	int fcol = plot_csv_column(&csv, "flows"), acol = plot_csv_column(&csv, "anonymized");
	if (ncol < 0 || dcol < 0 || fcol < 0) {
		log_error("could not read \"%s\": it needs the columns node_id, domain, flows", path);
		r = -1;
		goto done;
	}
	while ((r = plot_csv_next(&csv)) == 1) {
		const char *id = plot_csv_field(&csv, ncol);
		const char *dom = plot_csv_field(&csv, dcol);
		double flows;
		if (!*id || !*dom || plot_csv_num(&csv, fcol, &flows) < 0)
			continue;
		struct node *n = node_get(c, id);
		if (!n->top)
			n->top = xcalloc(PLOT_TOP_DOMAINS, sizeof(*n->top));
		/* Keep the PLOT_TOP_DOMAINS largest: replace the smallest kept one. */
		struct plot_domain *slot = NULL;
		if (n->ntop < PLOT_TOP_DOMAINS) {
			slot = &n->top[n->ntop++];
		} else {
			struct plot_domain *min = &n->top[0];
			for (uint32_t k = 1; k < n->ntop; k++)
				if (cmp_domain(&n->top[k], min) > 0)
					min = &n->top[k];
			struct plot_domain cand = {.flows = flows};
			snprintf(cand.name, sizeof(cand.name), "%s", dom);
			if (cmp_domain(&cand, min) < 0)
				slot = min;
		}
		if (!slot)
			continue;
		slot->flows = flows;
		snprintf(slot->name, sizeof(slot->name), "%s", dom);
		const char *an = plot_csv_field(&csv, acol);
		slot->anonymized = acol >= 0 ? (!strcmp(an, "1") || !strcmp(an, "true"))
					     : is_hash40(dom);
	}
done:
	if (r < 0)
		c->failures++;
	plot_csv_close(&csv);
	for (uint32_t i = 0; i < c->n; i++)
		if (c->nodes[i]->ntop)
			qsort(c->nodes[i]->top, c->nodes[i]->ntop, sizeof(struct plot_domain),
			      cmp_domain);
}

/* ---- plugin series ---- */

/* Plugin series tables: series_NAME.csv with a non-empty NAME. */
/* series_NAME.csv, or series_NAME.jsonl when there is no series_NAME.csv
 * (arg: the results folder). */
static bool is_series_table(const char *name, void *arg)
{
	if (strncmp(name, "series_", 7))
		return false;
	if (fs_has_suffix(name, ".csv"))
		return strlen(name) > 11;
	if (!fs_has_suffix(name, ".jsonl") || strlen(name) <= 13)
		return false;
	struct buf csv;
	buf_init(&csv);
	buf_printf(&csv, "%s/%.*s.csv", (const char *)arg, (int)(strlen(name) - 6), name);
	bool only_jsonl = access(csv.data, F_OK) != 0;
	buf_release(&csv);
	return only_jsonl;
}

static void plugin_series(struct ctx *c)
{
	char **files;
	int listed = fs_list(c->o->results_dir, is_series_table, (void *)c->o->results_dir, &files);
	if (listed < 0)
		return;
	uint32_t nfiles = (uint32_t)listed;
	for (uint32_t f = 0; f < nfiles; f++) {
		size_t len = strlen(files[f]) - 7 - (fs_has_suffix(files[f], ".csv") ? 4 : 6);
		char *raw = xmalloc(len + 1);
		memcpy(raw, files[f] + 7, len);
		raw[len] = 0;
		char *name = xmalloc(len + 16);
		plot_safe_name(raw, name);
		for (unsigned k = 0; k < c->nkinds; k++)
			if (!strcmp(c->kinds[k].name, name)) {
				/* Never overwrite a built-in kind's plots. */
				snprintf(name, len + 16, "series_");
				plot_safe_name(raw, name + 7);
				break;
			}
		struct buf path;
		buf_init(&path);
		buf_printf(&path, "%s/%s", c->o->results_dir, files[f]);
		/* The value columns: every column but node_id, time_us and ISO times. */
		struct plot_csv csv;
		int r = plot_csv_open(&csv, path.data);
		const char **cols = NULL;
		uint32_t ncols = 0, capc = 0;
		if (r == PLOT_CSV_OPEN) {
			for (uint32_t k = 0; k < csv.ncols && ncols < 64; k++) {
				const char *h = csv.names[k];
				if (!strcmp(h, "node_id") || !strcmp(h, "time_us") || !strcmp(h, "iso") ||
				    fs_has_suffix(h, "_iso") || !*h)
					continue;
				xgrow((void **)&cols, &capc, ncols + 1, sizeof(*cols));
				cols[ncols++] = xstrdup(h);
			}
			plot_csv_close(&csv);
		} else {
			c->failures += r == PLOT_CSV_ERROR;
		}
		if (r == PLOT_CSV_OPEN && !ncols) {
			log_error("could not plot \"%s\": it has no value column", path.data);
			c->failures++;
		} else if (r == 0) {
			unsigned kind = kind_add(c, name, raw, path.data);
			struct ts_table t = {
				.path = path.data, .kind = kind, .time_col = "time_us", .time_mult = 1,
				.value_cols = cols, .nvals = ncols, .finish = finish_series,
				.names = cols,
			};
			ts_table(c, &t);
		}
		for (uint32_t k = 0; k < ncols; k++)
			free((void *)cols[k]);
		free(cols);
		buf_release(&path);
		free(name);
		free(raw);
	}
	fs_names_free(files, listed);
}

/* ---- the run ---- */

static int cmp_node(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->id, (*(struct node *const *)b)->id);
}

static double availability_percent(const struct node *n)
{
	if (!n->niv)
		return -1;
	int64_t lo = n->iv[0].lo, hi = n->iv[0].hi;
	double covered = 0;
	for (uint32_t i = 0; i < n->niv; i++) {
		if (n->iv[i].lo < lo)
			lo = n->iv[i].lo;
		if (n->iv[i].hi > hi)
			hi = n->iv[i].hi;
		if (n->iv[i].hi > n->iv[i].lo)
			covered += (double)(n->iv[i].hi - n->iv[i].lo);
	}
	if (hi <= lo)
		return 100;
	double p = covered / (double)(hi - lo) * 100;
	return p > 100 ? 100 : p;
}

static void report(struct ctx *c)
{
	struct plot_report_node *rows = xmalloc((c->n ? c->n : 1) * sizeof(*rows));
	for (uint32_t i = 0; i < c->n; i++) {
		struct node *n = c->nodes[i];
		struct plot_report_node *r = &rows[i];
		r->id = n->label;
		r->file_id = n->file_id;
		r->sessions = c->have_sessions_csv ? (int64_t)n->nsess
			      : n->nusess ? (int64_t)n->nusess : -1;
		r->availability = availability_percent(n);
		r->bytes = n->bytes >= 0 ? n->bytes : n->sess_bytes >= 0 ? n->sess_bytes : n->tp_bytes;
		r->last_update_us = n->last_us;
		if (r->last_update_us == INT64_MIN) {
			for (uint32_t k = 0; k < n->nusess; k++)
				if (n->usess[k].hi > r->last_update_us)
					r->last_update_us = n->usess[k].hi;
		}
	}
	const char **names = xmalloc(c->nkinds * sizeof(*names));
	const char **titles = xmalloc(c->nkinds * sizeof(*titles));
	for (uint32_t k = 0; k < c->nkinds; k++) {
		names[k] = c->kinds[k].name;
		titles[k] = c->kinds[k].title;
	}
	struct plot_report rep = {
		.title = "bpass report", .results_dir = c->o->results_dir,
		.kinds = names, .kind_titles = titles, .nkinds = c->nkinds, .svg = c->o->svg,
		.width = c->o->width, .height = c->o->height,
	};
	struct buf path;
	buf_init(&path);
	buf_printf(&path, "%s/index.html", c->o->out_dir);
	if (plot_report_write(path.data, &rep, rows, c->n) < 0)
		c->failures++;
	buf_release(&path);
	free(names);
	free(titles);
	free(rows);
}

static bool is_result_table(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.' && (fs_has_suffix(name, ".csv") || fs_has_suffix(name, ".jsonl"));
}

int plot_run(const struct plot_options *o)
{
	struct stat st;
	if (stat(o->results_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return log_error("could not read results \"%s\": %s", o->results_dir,
				 stat(o->results_dir, &st) < 0 ? strerror(errno) : "Not a directory");
	/* No silent success: a folder without any result table is an error. */
	char **tables;
	int n_tables = fs_list(o->results_dir, is_result_table, NULL, &tables);
	if (n_tables > 0)
		fs_names_free(tables, n_tables);
	if (n_tables <= 0)
		return log_error("could not plot results \"%s\": it holds no result table "
				 "(NAME.csv or NAME.jsonl)", o->results_dir);
	if (fs_mkdirs(o->out_dir) < 0)
		return log_error("could not create plot folder \"%s\": %s", o->out_dir,
				 strerror(errno));
	struct ctx c = {.o = o};
	kind_add(&c, "throughput", "throughput", NULL);
	kind_add(&c, "drops", "drops per update", NULL);
	kind_add(&c, "sessions", "sessions", NULL);
	kind_add(&c, "domains", "top domains by flows", NULL);

	struct buf p;
	buf_init(&p);
#define RESULT(name) (buf_reset(&p), buf_printf(&p, "%s/%s", o->results_dir, name), p.data)
	read_availability(&c, RESULT("availability.csv"));
	read_sessions(&c, RESULT("sessions.csv"));
	read_node_table(&c, RESULT("bytes_per_node.csv"), true);
	read_node_table(&c, RESULT("update_statistics_per_node.csv"), false);
	if (c.bad_times)
		log_warn("ignored %llu times outside the years 1900 to 9999 in \"%s\" "
			 "(availability, sessions or last update)", (unsigned long long)c.bad_times,
			 o->results_dir);

	static const char *const tp_cols[] = {"bytes", "packets"};
	struct ts_table tp = {
		.path = RESULT("throughput.csv"), .kind = K_THROUGHPUT, .time_col = "minute",
		.time_mult = 1, .value_cols = tp_cols, .nvals = 2, .finish = finish_throughput,
	};
	ts_table(&c, &tp);
	static const char *const drop_cols[] = {"session_id", "packet_series_dropped",
						"pcap_dropped", "iface_dropped"};
	struct ts_table dr = {
		.path = RESULT("update_statistics.csv"), .kind = K_DROPS, .time_col = "timestamp",
		.time_mult = PLOT_US_PER_S, .value_cols = drop_cols, .nvals = 4,
		.finish = finish_drops,
	};
	ts_table(&c, &dr);
	read_domains(&c, RESULT("flow_domains_per_node.csv"));
#undef RESULT
	buf_release(&p);
	plugin_series(&c);

	/* Every node gets every kind: sessions and domains now, "no data" for the rest. */
	if (c.n)   /* no node: c.nodes is NULL, which qsort may not be given */
		qsort(c.nodes, c.n, sizeof(*c.nodes), cmp_node);
	for (uint32_t i = 0; i < c.n; i++) {
		struct node *n = c.nodes[i];
		draw(&c, n, K_SESSIONS, draw_sessions, NULL);
		draw(&c, n, K_DOMAINS, draw_domains, NULL);
		for (unsigned k = 0; k < c.nkinds; k++) {
			if (*state_of(n, k) == ST_DRAWN)
				continue;
			struct plot_ts empty;
			plot_ts_init(&empty, 0);
			struct ts_arg a = {&empty, NULL, c.kinds[k].title};
			draw(&c, n, k, k == K_THROUGHPUT ? draw_throughput : k == K_DROPS ? draw_drops
				 : draw_series, &a);
		}
	}
	report(&c);
	if (!c.n)
		log_warn("no node in the result tables of \"%s\": the report is empty",
			 o->results_dir);
	log_info("plotted %u node%s, %u kind%s each, into \"%s\"%s", c.n, c.n == 1 ? "" : "s",
		 c.nkinds, c.nkinds == 1 ? "" : "s", o->out_dir,
		 c.failures ? " (with errors)" : "");

	int failures = c.failures;
	for (uint32_t i = 0; i < c.n; i++)
		node_free(c.nodes[i]);
	free(c.nodes);
	free(c.slots);
	for (uint32_t k = 0; k < c.nkinds; k++) {
		free(c.kinds[k].name);
		free(c.kinds[k].title);
		free(c.kinds[k].csv);
	}
	free(c.kinds);
	plot_release_fonts();
	return failures ? -1 : 0;
}
