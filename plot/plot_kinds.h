/*
 * plot/plot_kinds.h: the per-node plots of `bpass plot`, one function per
 * kind: throughput (bytes and packets per minute in two stacked panels, the
 * node's availability shaded behind), drops (packets dropped per update),
 * sessions (one bar per session on a time line), top domains by flows
 * (horizontal bars), and a plugin's time series (one line per value column).
 *
 * Each function draws a whole width x height plot on cr from data it only
 * reads; given no data it draws a plot that says "no data". Titles carry the
 * node id.
 */
#ifndef PLOT_PLOT_KINDS_H
#define PLOT_PLOT_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

/* The times a plot can show (µs since the epoch): the years 1900 to 9999.
 * Every plot_kind_* leaves out rows, intervals and bars outside this range,
 * so that no axis, padding or gap computation can overflow; the readers of
 * plot.c skip them with a warning. */
#define PLOT_T_MIN (-2208988800LL * 1000000)       /* 1900-01-01T00:00:00Z */
#define PLOT_T_MAX (253402300799LL * 1000000)      /* 9999-12-31T23:59:59Z */
static inline bool plot_time_ok(int64_t t)
{
	return t >= PLOT_T_MIN && t <= PLOT_T_MAX;
}

/* A node's time series: n rows of a time (µs) and nvals values (NaN when a
 * value is missing). Arrays owned by the struct. */
struct plot_ts {
	int64_t *t;
	double *v;          /* row i is v[i * nvals ... i * nvals + nvals - 1] */
	size_t n;
	uint32_t cap;
	unsigned nvals;
};
void plot_ts_init(struct plot_ts *ts, unsigned nvals);
void plot_ts_release(struct plot_ts *ts);   /* frees; then as after plot_ts_init */
void plot_ts_reset(struct plot_ts *ts);     /* n = 0, keeps the allocation */
void plot_ts_push(struct plot_ts *ts, int64_t t, const double *vals);
/* Sorts the rows by time (stable: rows with equal times keep their order). */
void plot_ts_sort(struct plot_ts *ts);
/* A copy of in (sorted by time) with a row of NaN inserted wherever two
 * consecutive rows are more than max_gap apart, so lines break there. */
void plot_ts_with_breaks(const struct plot_ts *in, int64_t max_gap, struct plot_ts *out);
/* The median distance between consecutive rows (sorted by time), 0 if < 2. */
int64_t plot_ts_median_step(const struct plot_ts *ts);

struct plot_interval {
	int64_t lo, hi;     /* µs */
};

/* Throughput: ts values are {bytes, packets} per minute, t the minute start.
 * Minutes missing inside an availability interval are drawn as 0, elsewhere
 * the lines break. iv (may be NULL when niv is 0) is shaded behind. */
void plot_kind_throughput(cairo_t *cr, int width, int height, const char *node,
			  const struct plot_ts *ts, const struct plot_interval *iv, size_t niv);

/* Drops: ts values are {session_id, packet_series_dropped, pcap_dropped,
 * iface_dropped} per update, t the update time. packet_series_dropped is a
 * per-update count and drawn as is; the pcap counters are cumulative per
 * session and drawn as their increase since the session's previous update. */
void plot_kind_drops(cairo_t *cr, int width, int height, const char *node,
		     const struct plot_ts *ts);
/* The per-update increase of a cumulative 32-bit counter: sorted by
 * (session, time), the first update of a session gives its value, later ones
 * the difference to the previous update (a decrease of more than 2^31 is a
 * wrap at 2^32, any other decrease a reset: the new value). Writes n deltas
 * into out, in the order of the rows of ts. session_col and value_col are
 * value indexes within a row. */
void plot_counter_deltas(const struct plot_ts *ts, unsigned session_col, unsigned value_col,
			 double *out);

struct plot_session_bar {
	int64_t session_id;
	int64_t lo, hi;     /* µs; INT64_MIN when unknown (the bar is then not drawn) */
};
void plot_kind_sessions(cairo_t *cr, int width, int height, const char *node,
			const struct plot_session_bar *bars, size_t n);

#define PLOT_TOP_DOMAINS 15
struct plot_domain {
	double flows;
	bool anonymized;
	char name[256];
};
/* The label of a domain: a hashed name shortened to 12 characters and "…",
 * a clear name longer than 40 characters to 39 and "…". out holds 64 bytes. */
void plot_domain_label(const struct plot_domain *d, char out[64]);
/* Top domains: d holds at most PLOT_TOP_DOMAINS entries, sorted by flows
 * descending. */
void plot_kind_domains(cairo_t *cr, int width, int height, const char *node,
		       const struct plot_domain *d, size_t n);

/* A plugin's series: one line per value column, named names[i]. */
void plot_kind_series(cairo_t *cr, int width, int height, const char *node, const char *name,
		      const struct plot_ts *ts, const char *const *names);

#endif
