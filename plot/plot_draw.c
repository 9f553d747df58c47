/*
 * plot/plot_draw.c: canvases, axes, units, time ticks, legends and
 * decimated line series for `bpass plot`, drawn with cairo.
 */
#include "plot_draw.h"

#include <cairo-svg.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "timeutil.h"

static const struct plot_rgb ink = {0.15, 0.15, 0.15};
static const struct plot_rgb grid = {0.88, 0.88, 0.88};

static const struct plot_rgb palette[] = {
	{0.12, 0.47, 0.71},  /* blue */
	{1.00, 0.50, 0.05},  /* orange */
	{0.17, 0.63, 0.17},  /* green */
	{0.84, 0.15, 0.16},  /* red */
	{0.58, 0.40, 0.74},  /* purple */
	{0.55, 0.34, 0.29},  /* brown */
	{0.89, 0.47, 0.76},  /* pink */
	{0.50, 0.50, 0.50},  /* grey */
	{0.74, 0.74, 0.13},  /* olive */
	{0.09, 0.75, 0.81},  /* cyan */
};

const struct plot_rgb *plot_color(unsigned i)
{
	return &palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

static void set_rgb(cairo_t *cr, const struct plot_rgb *c)
{
	cairo_set_source_rgb(cr, c->r, c->g, c->b);
}

/* ---- canvas ---- */

/* Plots are made again from the tables at will: no fsync. */
#define CANVAS_FLAGS (ATOMIC_FILE_NO_FSYNC | ATOMIC_FILE_DEFER_DIRSYNC)

/* cairo's write callback: into the canvas's temporary file. */
static cairo_status_t canvas_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct plot_canvas *cv = closure;
	if (!cv->af.f || fwrite(data, 1, len, cv->af.f) != len)
		return CAIRO_STATUS_WRITE_ERROR;
	return CAIRO_STATUS_SUCCESS;
}

int plot_canvas_open(struct plot_canvas *cv, const char *path, enum plot_format format,
		     int width, int height)
{
	memset(cv, 0, sizeof(*cv));
	cv->width = width;
	cv->height = height;
	cv->format = format;
	cv->path = xstrdup(path);
	if (format == PLOT_SVG) {
		if (atomic_file_open(&cv->af, path, "plot", CANVAS_FLAGS)) {
			plot_canvas_discard(cv);
			return -1;
		}
		cv->surface = cairo_svg_surface_create_for_stream(canvas_write, cv, width, height);
	} else {
		cv->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	}
	if (cairo_surface_status(cv->surface) != CAIRO_STATUS_SUCCESS) {
		log_error("could not create plot \"%s\": %s", path,
			  cairo_status_to_string(cairo_surface_status(cv->surface)));
		plot_canvas_discard(cv);
		return -1;
	}
	cv->cr = cairo_create(cv->surface);
	cairo_set_source_rgb(cv->cr, 1, 1, 1);
	cairo_paint(cv->cr);
	cairo_select_font_face(cv->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	return 0;
}

void plot_canvas_discard(struct plot_canvas *cv)
{
	if (cv->cr)
		cairo_destroy(cv->cr);
	if (cv->surface) {
		cairo_surface_finish(cv->surface);
		cairo_surface_destroy(cv->surface);
	}
	atomic_file_abort(&cv->af);
	free(cv->path);
	memset(cv, 0, sizeof(*cv));
}

int plot_canvas_close(struct plot_canvas *cv)
{
	cairo_status_t st = cairo_status(cv->cr);
	if (st == CAIRO_STATUS_SUCCESS) {
		cairo_destroy(cv->cr);
		cv->cr = NULL;
		if (cv->format == PLOT_PNG) {
			if (atomic_file_open(&cv->af, cv->path, "plot", CANVAS_FLAGS)) {
				plot_canvas_discard(cv);
				return -1;
			}
			st = cairo_surface_write_to_png_stream(cv->surface, canvas_write, cv);
		}
		cairo_surface_finish(cv->surface);
		if (st == CAIRO_STATUS_SUCCESS)
			st = cairo_surface_status(cv->surface);
	}
	if (st != CAIRO_STATUS_SUCCESS) {
		log_error("could not write plot \"%s\": %s", cv->path, cairo_status_to_string(st));
		plot_canvas_discard(cv);
		return -1;
	}
	int rc = atomic_file_commit(&cv->af);
	plot_canvas_discard(cv);
	return rc;
}

void plot_release_fonts(void)
{
	cairo_debug_reset_static_data();
	/* fontconfig is loaded with cairo but not linked by us: look it up. */
	void (*fc_fini)(void);
	void *sym = dlsym(RTLD_DEFAULT, "FcFini");
	memcpy(&fc_fini, &sym, sizeof(fc_fini));
	if (fc_fini)
		fc_fini();
}

/* ---- units and steps ---- */

void plot_unit_pick(enum plot_unit_kind kind, double max, struct plot_unit *u)
{
	static const char *const bytes[] = {"B", "KB", "MB", "GB", "TB", "PB"};
	static const char *const counts[] = {"", "thousands", "millions", "billions"};
	max = fabs(max);
	u->divisor = 1;
	if (kind == PLOT_UNIT_BYTES) {
		size_t i = 0;
		while (max >= 1000 * u->divisor && i + 1 < sizeof(bytes) / sizeof(bytes[0])) {
			u->divisor *= 1000;
			i++;
		}
		snprintf(u->label, sizeof(u->label), "%s", bytes[i]);
	} else {
		/* Plain numbers up to 9,999 read well; past that, thousands... */
		size_t i = 0;
		while (max >= 10000 * u->divisor && i + 1 < sizeof(counts) / sizeof(counts[0])) {
			u->divisor *= 1000;
			i++;
		}
		snprintf(u->label, sizeof(u->label), "%s", counts[i]);
	}
}

double plot_nice_step(double range, int max_ticks)
{
	if (!(range > 0) || max_ticks < 1)
		return 1;
	double raw = range / max_ticks;
	double p = pow(10, floor(log10(raw)));
	static const double mult[] = {1, 2, 5, 10};
	for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (mult[i] * p >= raw * (1 - 1e-9))
			return mult[i] * p;
	return 10 * p;
}

void plot_value_range(double max, int max_ticks, double *vmin, double *vmax)
{
	*vmin = 0;
	if (!(max > 0)) {
		*vmax = 1;
		return;
	}
	double step = plot_nice_step(max * 1.05, max_ticks);
	*vmax = ceil(max * 1.05 / step - 1e-9) * step;
	if (*vmax <= 0)
		*vmax = step;
}

void plot_time_step_pick(int64_t span_us, int max_ticks, struct plot_time_step *s)
{
	static const int64_t fixed_s[] = {
		1, 2, 5, 10, 15, 30,
		60, 120, 300, 600, 900, 1800,
		3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600,
		86400, 2 * 86400, 7 * 86400, 14 * 86400,
	};
	static const int months[] = {1, 2, 3, 6, 12, 24, 60, 120, 1200};
	if (max_ticks < 1)
		max_ticks = 1;
	for (size_t i = 0; i < sizeof(fixed_s) / sizeof(fixed_s[0]); i++) {
		int64_t us = fixed_s[i] * PLOT_US_PER_S;
		if (span_us / us <= max_ticks) {
			s->us = us;
			s->months = 0;
			return;
		}
	}
	s->us = 0;
	for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++) {
		s->months = months[i];
		/* An average month is 30.44 days. */
		double n = (double)span_us / (30.44 * (double)PLOT_US_PER_DAY * months[i]);
		if (n <= max_ticks)
			return;
	}
}

/* The UTC calendar time of t_us (all zero outside years 0-9999). */
static void utc(int64_t t_us, struct tm *tm)
{
	if (!time_civil(time_floor_div(t_us, PLOT_US_PER_S), tm))
		memset(tm, 0, sizeof(*tm));
}

size_t plot_time_ticks(int64_t tmin, int64_t tmax, const struct plot_time_step *s,
		       int64_t *out, size_t cap)
{
	size_t n = 0;
	if (s->months <= 0) {
		/* Weeks start on Mondays: 1970-01-05 was one. */
		int64_t origin = s->us >= 7 * PLOT_US_PER_DAY ? 4 * PLOT_US_PER_DAY : 0;
		int64_t k = time_floor_div(tmin - origin, s->us);
		int64_t t = origin + k * s->us;
		if (t < tmin)
			t += s->us;
		for (; t <= tmax && n < cap; t += s->us)
			out[n++] = t;
		return n;
	}
	struct tm tm;
	utc(tmin, &tm);
	/* Month index since year 0, rounded up to a multiple of the step. */
	int64_t m = (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
	bool exact = tm.tm_mday == 1 && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 &&
		     time_floor_div(tmin, PLOT_US_PER_S) * PLOT_US_PER_S == tmin;
	if (!exact)
		m++;
	m = time_floor_div(m + s->months - 1, s->months) * s->months;
	for (; n < cap; m += s->months) {
		struct tm t0 = {0};
		t0.tm_year = (int)(time_floor_div(m, 12) - 1900);
		t0.tm_mon = (int)(m - time_floor_div(m, 12) * 12);
		t0.tm_mday = 1;
		int64_t t = (int64_t)timegm(&t0) * PLOT_US_PER_S;
		if (t > tmax)
			break;
		out[n++] = t;
	}
	return n;
}

void plot_time_label(int64_t t, int64_t prev, const struct plot_time_step *s,
		     char line1[32], char line2[32])
{
	struct tm tm;
	utc(t, &tm);
	line2[0] = 0;
	if (s->months >= 12 && s->months % 12 == 0) {
		strftime(line1, 32, "%Y", &tm);
	} else if (s->months > 0) {
		strftime(line1, 32, "%Y-%m", &tm);
	} else if (s->us >= PLOT_US_PER_DAY) {
		strftime(line1, 32, "%Y-%m-%d", &tm);
	} else {
		strftime(line1, 32, s->us < PLOT_US_PER_MIN ? "%H:%M:%S" : "%H:%M", &tm);
		bool new_day = prev == INT64_MIN ||
			       time_floor_div(prev, PLOT_US_PER_DAY) != time_floor_div(t, PLOT_US_PER_DAY);
		if (new_day)
			strftime(line2, 32, "%Y-%m-%d", &tm);
	}
}

void plot_time_format(int64_t t_us, char out[32])
{
	struct tm tm;
	utc(t_us, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- axes ---- */

double plot_axes_x(const struct plot_axes *a, int64_t t)
{
	return a->x + (double)(t - a->tmin) / (double)(a->tmax - a->tmin) * a->w;
}

double plot_axes_y(const struct plot_axes *a, double v)
{
	return a->y + a->h - (v - a->vmin) / (a->vmax - a->vmin) * a->h;
}

double plot_text_width(cairo_t *cr, double size, const char *text)
{
	cairo_text_extents_t e;
	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, text, &e);
	return e.x_advance;
}

double plot_text(cairo_t *cr, double x, double y, int halign, int valign, double size,
		 const char *text)
{
	cairo_font_extents_t fe;
	cairo_set_font_size(cr, size);
	cairo_font_extents(cr, &fe);
	double w = plot_text_width(cr, size, text);
	if (halign == 0)
		x -= w / 2;
	else if (halign > 0)
		x -= w;
	if (valign < 0)
		y += fe.ascent;
	else if (valign == 0)
		y += (fe.ascent - fe.descent) / 2;
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, text);
	return w;
}

void plot_draw_title(cairo_t *cr, int width, const char *title, const char *subtitle)
{
	set_rgb(cr, &ink);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	plot_text(cr, 16, 10, -1, -1, PLOT_FONT_TITLE, title);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	if (subtitle && *subtitle)
		plot_text(cr, 16, 32, -1, -1, PLOT_FONT_SMALL, subtitle);
	(void)width;
}

void plot_draw_frame(cairo_t *cr, const struct plot_axes *a)
{
	cairo_set_line_width(cr, 1);
	set_rgb(cr, &ink);
	cairo_rectangle(cr, floor(a->x) + 0.5, floor(a->y) + 0.5, floor(a->w), floor(a->h));
	cairo_stroke(cr);
}

void plot_draw_time_axis(cairo_t *cr, const struct plot_axes *a, bool labels)
{
	struct plot_time_step s;
	int max_ticks = (int)(a->w / 110);
	plot_time_step_pick(a->tmax - a->tmin, max_ticks < 2 ? 2 : max_ticks, &s);
	int64_t ticks[64];
	size_t n = plot_time_ticks(a->tmin, a->tmax, &s, ticks, 64);
	cairo_set_line_width(cr, 1);
	int64_t prev = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		double x = floor(plot_axes_x(a, ticks[i])) + 0.5;
		set_rgb(cr, &grid);
		cairo_move_to(cr, x, a->y);
		cairo_line_to(cr, x, a->y + a->h);
		cairo_stroke(cr);
		if (!labels)
			continue;
		set_rgb(cr, &ink);
		cairo_move_to(cr, x, a->y + a->h);
		cairo_line_to(cr, x, a->y + a->h + 5);
		cairo_stroke(cr);
		char l1[32], l2[32];
		plot_time_label(ticks[i], prev, &s, l1, l2);
		prev = ticks[i];
		plot_text(cr, x, a->y + a->h + 8, 0, -1, PLOT_FONT_SMALL, l1);
		if (l2[0])
			plot_text(cr, x, a->y + a->h + 24, 0, -1, PLOT_FONT_SMALL, l2);
	}
	if (labels) {
		set_rgb(cr, &ink);
		plot_text(cr, a->x + a->w, a->y + a->h + 42, 1, -1, PLOT_FONT_LABEL, "time (UTC)");
	}
}

static void format_value(double v, double step, char out[32])
{
	int decimals = 0;
	if (step < 1) {
		decimals = (int)ceil(-log10(step) - 1e-9);
		if (decimals > 6)
			decimals = 6;
	}
	snprintf(out, 32, "%.*f", decimals, v);
}

void plot_draw_value_axis(cairo_t *cr, const struct plot_axes *a, const char *title)
{
	int max_ticks = (int)(a->h / 40);
	double step = plot_nice_step(a->vmax - a->vmin, max_ticks < 2 ? 2 : max_ticks);
	cairo_set_line_width(cr, 1);
	double widest = 0;
	for (double v = ceil(a->vmin / step - 1e-9) * step; v <= a->vmax + step * 1e-9; v += step) {
		double y = floor(plot_axes_y(a, v)) + 0.5;
		set_rgb(cr, &grid);
		cairo_move_to(cr, a->x, y);
		cairo_line_to(cr, a->x + a->w, y);
		cairo_stroke(cr);
		set_rgb(cr, &ink);
		cairo_move_to(cr, a->x - 5, y);
		cairo_line_to(cr, a->x, y);
		cairo_stroke(cr);
		char label[32];
		format_value(fabs(v) < step * 1e-9 ? 0 : v, step, label);
		double w = plot_text(cr, a->x - 8, y, 1, 0, PLOT_FONT_SMALL, label);
		if (w > widest)
			widest = w;
	}
	if (title && *title) {
		set_rgb(cr, &ink);
		cairo_save(cr);
		cairo_translate(cr, a->x - 14 - widest, a->y + a->h / 2);
		cairo_rotate(cr, -M_PI / 2);
		plot_text(cr, 0, 0, 0, 1, PLOT_FONT_LABEL, title);
		cairo_restore(cr);
	}
}

void plot_draw_shade(cairo_t *cr, const struct plot_axes *a, int64_t lo, int64_t hi,
		     const struct plot_rgb *c)
{
	if (hi < a->tmin || lo > a->tmax || hi < lo)
		return;
	double x0 = plot_axes_x(a, lo < a->tmin ? a->tmin : lo);
	double x1 = plot_axes_x(a, hi > a->tmax ? a->tmax : hi);
	if (x1 - x0 < 1)
		x1 = x0 + 1;   /* keep a short interval visible */
	set_rgb(cr, c);
	cairo_rectangle(cr, x0, a->y, x1 - x0, a->h);
	cairo_fill(cr);
}

void plot_draw_legend(cairo_t *cr, double right, double y, const char *const *names,
		      const struct plot_rgb *const *colors, const int *kinds, size_t n)
{
	double x = right;
	/* Right to left, so the legend ends at right. */
	for (size_t k = n; k-- > 0;) {
		double w = plot_text_width(cr, PLOT_FONT_SMALL, names[k]);
		x -= w;
		set_rgb(cr, &ink);
		plot_text(cr, x, y + 7, -1, 0, PLOT_FONT_SMALL, names[k]);
		x -= 26;
		set_rgb(cr, colors[k]);
		if (kinds && kinds[k]) {
			cairo_rectangle(cr, x, y, 20, 14);
			cairo_fill(cr);
		} else {
			cairo_set_line_width(cr, 2.5);
			cairo_move_to(cr, x, y + 7);
			cairo_line_to(cr, x + 20, y + 7);
			cairo_stroke(cr);
		}
		x -= 18;
	}
}

void plot_draw_no_data(cairo_t *cr, int width, int height, const char *title, const char *msg)
{
	plot_draw_title(cr, width, title, "");
	cairo_set_line_width(cr, 1);
	set_rgb(cr, &grid);
	cairo_rectangle(cr, 60.5, 60.5, width - 100, height - 120);
	cairo_stroke(cr);
	set_rgb(cr, &(struct plot_rgb){0.45, 0.45, 0.45});
	plot_text(cr, width / 2.0, height / 2.0, 0, 0, 28, msg);
}

/* ---- series ---- */

size_t plot_decimate(const struct plot_axes *a, const int64_t *t, const double *v,
		     size_t stride, size_t n, double divisor, struct plot_column **out)
{
	uint32_t cap = 0;
	struct plot_column *cols = NULL;
	size_t m = 0;
	bool brk = true;
	double span = (double)(a->tmax - a->tmin);
	for (size_t i = 0; i < n; i++) {
		double val = v[i * stride];
		if (isnan(val) || t[i] < a->tmin || t[i] > a->tmax) {
			brk = true;
			continue;
		}
		val /= divisor;
		int32_t x = (int32_t)floor(a->x + (double)(t[i] - a->tmin) / span * a->w);
		if (m && !brk && cols[m - 1].x == x) {
			struct plot_column *c = &cols[m - 1];
			c->last = val;
			if (val < c->min)
				c->min = val;
			if (val > c->max)
				c->max = val;
			continue;
		}
		if (m + 1 > cap)
			xgrow((void **)&cols, &cap, (uint32_t)(m + 1), sizeof(*cols));
		cols[m++] = (struct plot_column){
			.x = x, .brk = brk, .first = val, .last = val, .min = val, .max = val,
		};
		brk = false;
	}
	*out = cols;
	return m;
}

void plot_draw_series(cairo_t *cr, const struct plot_axes *a, const int64_t *t,
		      const double *v, size_t stride, size_t n, double divisor,
		      const struct plot_rgb *c)
{
	struct plot_column *cols;
	size_t m = plot_decimate(a, t, v, stride, n, divisor, &cols);
	cairo_save(cr);
	cairo_rectangle(cr, a->x, a->y - 1, a->w + 1, a->h + 2);
	cairo_clip(cr);
	set_rgb(cr, c);
	cairo_set_line_width(cr, 1.5);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (size_t i = 0; i < m; i++) {
		double x = cols[i].x + 0.5;
		if (cols[i].brk)
			cairo_move_to(cr, x, plot_axes_y(a, cols[i].first));
		else
			cairo_line_to(cr, x, plot_axes_y(a, cols[i].first));
		if (cols[i].min != cols[i].max) {
			cairo_line_to(cr, x, plot_axes_y(a, cols[i].min));
			cairo_line_to(cr, x, plot_axes_y(a, cols[i].max));
		}
		/* A zero-length segment still draws a dot with round caps. */
		cairo_line_to(cr, x, plot_axes_y(a, cols[i].last));
	}
	cairo_stroke(cr);
	cairo_restore(cr);
	free(cols);
}
