/*
 * plot/plot_draw.h: the drawing toolkit of `bpass plot`, on cairo: an
 * output canvas (PNG or SVG, written with atomic_file.h),
 * titles, time axes with UTC labels at calendar-friendly steps, value axes
 * with a unit picked by magnitude, shaded intervals, legends, "no data"
 * plots, and line series decimated to one min/max column per pixel so that a
 * year of minutes draws as fast as a day.
 *
 * Coordinates are device pixels; times are microseconds since the epoch
 * (UTC). Text uses cairo's toy API with the "sans-serif" face, never smaller
 * than PLOT_FONT_SMALL pixels.
 */
#ifndef PLOT_PLOT_DRAW_H
#define PLOT_PLOT_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#include "atomic_file.h"

#define PLOT_FONT_SMALL 12.0   /* tick labels, legends */
#define PLOT_FONT_LABEL 13.0   /* axis titles */
#define PLOT_FONT_TITLE 16.0

#define PLOT_US_PER_S   1000000LL
#define PLOT_US_PER_MIN (60 * PLOT_US_PER_S)
#define PLOT_US_PER_DAY (86400 * PLOT_US_PER_S)

enum plot_format { PLOT_PNG, PLOT_SVG };

/* One output file being drawn. */
struct plot_canvas {
	cairo_surface_t *surface;
	cairo_t *cr;             /* draw with this */
	int width, height;
	enum plot_format format;
	char *path;              /* final name (owned) */
	struct atomic_file af;   /* the file being written: from open for SVG (cairo
				  * streams it while drawing), from close for PNG */
};

/* Creates a width x height canvas that plot_canvas_close will write to path.
 * The canvas is filled white. cv must stay where it is until it is closed or
 * discarded (cairo writes SVG through it). Returns 0, or -1 after printing
 * why. */
int plot_canvas_open(struct plot_canvas *cv, const char *path, enum plot_format format,
		     int width, int height);
/* Writes the file with atomic_file (a temporary name, then renamed over
 * path; not fsynced: plots are made again from the tables) and frees the
 * canvas. Returns 0, or -1 after printing why (nothing is left behind). */
int plot_canvas_close(struct plot_canvas *cv);
/* Frees the canvas without writing anything. NULL members are fine. */
void plot_canvas_discard(struct plot_canvas *cv);

/* Frees the font caches cairo and fontconfig keep for the whole process
 * (they would otherwise show up as leaks under LeakSanitizer). Call it only
 * when no canvas is open; drawing afterwards sets them up again. */
void plot_release_fonts(void);

struct plot_rgb {
	double r, g, b;
};
/* Series colour i (a fixed palette of distinct colours, cycling). */
const struct plot_rgb *plot_color(unsigned i);

/* Units picked by the magnitude of the largest value shown. */
enum plot_unit_kind {
	PLOT_UNIT_BYTES,   /* B, KB, MB, GB, TB (powers of 1000) */
	PLOT_UNIT_COUNT,   /* plain, thousands, millions, billions */
};
struct plot_unit {
	double divisor;    /* shown value = value / divisor */
	char label[16];    /* "KB", "thousands", "" for plain counts */
};
void plot_unit_pick(enum plot_unit_kind kind, double max, struct plot_unit *u);

/* A "nice" tick step (1, 2 or 5 times a power of ten) so that range is
 * covered by at most max_ticks steps. range <= 0 gives 1. */
double plot_nice_step(double range, int max_ticks);

/* A time-axis step: either a fixed number of microseconds, or a number of
 * calendar months (months > 0, then us is 0). */
struct plot_time_step {
	int64_t us;
	int months;
};
/* The smallest step from the list 1 s ... 30 min, 1, 2, 3, 6, 12 h, 1, 2, 7,
 * 14 days, 1, 2, 3, 6 months, 1, 2, 5, 10 years that gives at most
 * max_ticks ticks over span_us. */
void plot_time_step_pick(int64_t span_us, int max_ticks, struct plot_time_step *s);
/* Writes the ticks in [tmin, tmax] at step s (aligned to UTC midnight,
 * Mondays for weeks, the first of the month for months) into out (at most
 * cap of them). Returns how many were written. */
size_t plot_time_ticks(int64_t tmin, int64_t tmax, const struct plot_time_step *s,
		       int64_t *out, size_t cap);
/* The label of tick t: line1 always ("HH:MM", "YYYY-MM-DD", "YYYY-MM" or
 * "YYYY" depending on the step); line2 is the date "YYYY-MM-DD" for sub-day
 * steps when prev is INT64_MIN or falls on another day, else "". */
void plot_time_label(int64_t t, int64_t prev, const struct plot_time_step *s,
		     char line1[32], char line2[32]);
/* "YYYY-MM-DD HH:MM:SS" (UTC) of a microsecond time, into out[32]. */
void plot_time_format(int64_t t_us, char out[32]);

/* A plot area and the ranges it shows. */
struct plot_axes {
	double x, y, w, h;     /* the plot area, in pixels (y is its top) */
	int64_t tmin, tmax;    /* x range in µs (tmax > tmin) */
	double vmin, vmax;     /* y range in shown units (vmax > vmin) */
};
double plot_axes_x(const struct plot_axes *a, int64_t t);
double plot_axes_y(const struct plot_axes *a, double v);

/* Text at (x, y): halign -1 left, 0 centre, 1 right; valign -1 top, 0 middle,
 * 1 baseline. Returns the text's width. */
double plot_text(cairo_t *cr, double x, double y, int halign, int valign, double size,
		 const char *text);
double plot_text_width(cairo_t *cr, double size, const char *text);

/* The title (bold) and an optional subtitle ("" for none) across the top. */
void plot_draw_title(cairo_t *cr, int width, const char *title, const char *subtitle);
/* Grid lines and tick labels along the bottom of a; with labels false only
 * the grid (for an upper panel). The axis title "time (UTC)" goes under the
 * labels. */
void plot_draw_time_axis(cairo_t *cr, const struct plot_axes *a, bool labels);
/* Grid lines and value labels on the left of a, with title (rotated) left of
 * them. vmin..vmax should be a multiple of the step from plot_value_range. */
void plot_draw_value_axis(cairo_t *cr, const struct plot_axes *a, const char *title);
/* Picks a nice [0, vmax] for data whose maximum is max (shown units). */
void plot_value_range(double max, int max_ticks, double *vmin, double *vmax);
/* The frame around the plot area. */
void plot_draw_frame(cairo_t *cr, const struct plot_axes *a);
/* Shades [lo, hi] (clipped to the area) in colour c, full height. */
void plot_draw_shade(cairo_t *cr, const struct plot_axes *a, int64_t lo, int64_t hi,
		     const struct plot_rgb *c);
/* A legend of n entries right-aligned at right, its top at y; kinds[i] 0 is a
 * line swatch, 1 a filled box. */
void plot_draw_legend(cairo_t *cr, double right, double y, const char *const *names,
		      const struct plot_rgb *const *colors, const int *kinds, size_t n);
/* A whole plot saying msg ("no data") under title. */
void plot_draw_no_data(cairo_t *cr, int width, int height, const char *title, const char *msg);

/* One pixel column of a decimated series. */
struct plot_column {
	int32_t x;             /* pixel column (floor of the x position) */
	bool brk;              /* the line is broken before this column */
	double first, last, min, max;   /* in shown units */
};
/*
 * Decimates n points (t ascending; value i at v[i * stride], NaN marking a
 * break in the line) to pixel columns of a: consecutive points in the same
 * column are merged into one struct plot_column. Values are divided by
 * divisor. Returns the number of columns written to *out (an array the
 * function allocates with xmalloc; the caller frees it). Points outside
 * [tmin, tmax] are dropped and break the line.
 */
size_t plot_decimate(const struct plot_axes *a, const int64_t *t, const double *v,
		     size_t stride, size_t n, double divisor, struct plot_column **out);
/* Decimates and strokes a series in colour c, clipped to the plot area. */
void plot_draw_series(cairo_t *cr, const struct plot_axes *a, const int64_t *t,
		      const double *v, size_t stride, size_t n, double divisor,
		      const struct plot_rgb *c);

#endif
