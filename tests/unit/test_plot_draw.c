/*
 * tests/unit/test_plot_draw.c: the drawing side of `bpass plot`: unit and
 * tick-step choices worked out by hand, UTC tick positions and labels,
 * decimation to pixel columns (with breaks), cumulative-counter deltas with
 * session changes, resets and 2^32 wraps, domain labels, and real PNG files:
 * decoded back with cairo, of the asked size, with series pixels inside the
 * plot area, and a "no data" plot that has text but no series.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "plot_draw.h"
#include "plot_kinds.h"

#define T0 1337104800LL   /* 2012-05-15 18:00:00 UTC, a Tuesday */
#define US 1000000LL

static void test_units(void **state)
{
	(void)state;
	struct plot_unit u;
	plot_unit_pick(PLOT_UNIT_BYTES, 999, &u);
	assert_string_equal(u.label, "B");
	assert_true(u.divisor == 1);
	plot_unit_pick(PLOT_UNIT_BYTES, 1000, &u);
	assert_string_equal(u.label, "KB");
	plot_unit_pick(PLOT_UNIT_BYTES, 3.5e6, &u);
	assert_string_equal(u.label, "MB");
	assert_true(u.divisor == 1e6);
	plot_unit_pick(PLOT_UNIT_BYTES, 2e13, &u);
	assert_string_equal(u.label, "TB");
	plot_unit_pick(PLOT_UNIT_COUNT, 9999, &u);
	assert_string_equal(u.label, "");
	plot_unit_pick(PLOT_UNIT_COUNT, 10000, &u);
	assert_string_equal(u.label, "thousands");
	assert_true(u.divisor == 1000);
	plot_unit_pick(PLOT_UNIT_COUNT, 0, &u);
	assert_true(u.divisor == 1);
}

static void test_nice_steps_and_range(void **state)
{
	(void)state;
	assert_true(plot_nice_step(105, 5) == 50);    /* 21 -> 50 */
	assert_true(plot_nice_step(10, 5) == 2);
	assert_true(plot_nice_step(0.9, 9) == 0.1);
	assert_true(plot_nice_step(0, 5) == 1);
	double lo, hi;
	plot_value_range(100, 5, &lo, &hi);     /* 105 / 5 = 21 -> step 50 -> 150 */
	assert_true(lo == 0 && hi == 150);
	plot_value_range(0, 5, &lo, &hi);
	assert_true(lo == 0 && hi == 1);
}

static void test_time_steps(void **state)
{
	(void)state;
	struct plot_time_step s;
	plot_time_step_pick(3 * 86400 * US, 9, &s);       /* 72 h / 9 = 8 h -> 12 h */
	assert_true(s.us == 12 * 3600 * US && s.months == 0);
	plot_time_step_pick(3600 * US, 10, &s);           /* 5 min gives 12 ticks, 10 min 6 */
	assert_true(s.us == 600 * US);
	plot_time_step_pick(365 * 86400 * US, 9, &s);     /* 12 months > 9, 6 two-month steps */
	assert_true(s.us == 0 && s.months == 2);
	plot_time_step_pick(20 * 365LL * 86400 * US, 9, &s);   /* 20 years / 5 = 4 ticks */
	assert_true(s.months == 60);
}

static void test_time_ticks_and_labels(void **state)
{
	(void)state;
	int64_t ticks[16];
	struct plot_time_step s = {12 * 3600 * US, 0};
	size_t n = plot_time_ticks(T0 * US, (T0 + 3 * 86400) * US, &s, ticks, 16);
	/* Midnight 2012-05-16 is 1337126400; then every 12 h up to 2012-05-18 12:00. */
	assert_int_equal(n, 6);
	assert_true(ticks[0] == 1337126400LL * US);
	assert_true(ticks[5] == (1337126400LL + 5 * 43200) * US);
	char l1[32], l2[32];
	plot_time_label(ticks[0], INT64_MIN, &s, l1, l2);
	assert_string_equal(l1, "00:00");
	assert_string_equal(l2, "2012-05-16");
	plot_time_label(ticks[1], ticks[0], &s, l1, l2);
	assert_string_equal(l1, "12:00");
	assert_string_equal(l2, "");
	plot_time_label(ticks[2], ticks[1], &s, l1, l2);
	assert_string_equal(l2, "2012-05-17");

	/* Weeks start on Monday 2012-05-21 (1337558400). */
	struct plot_time_step w = {7 * 86400 * US, 0};
	n = plot_time_ticks(T0 * US, (T0 + 20 * 86400) * US, &w, ticks, 16);
	assert_int_equal(n, 3);
	assert_true(ticks[0] == 1337558400LL * US);

	/* Two-month steps over a year: July, Sept, Nov 2012, Jan, Mar, May 2013. */
	struct plot_time_step m = {0, 2};
	n = plot_time_ticks(T0 * US, (T0 + 365 * 86400) * US, &m, ticks, 16);
	assert_int_equal(n, 6);
	assert_true(ticks[0] == 1341100800LL * US);   /* 2012-07-01 */
	plot_time_label(ticks[3], ticks[2], &m, l1, l2);
	assert_string_equal(l1, "2013-01");
	assert_string_equal(l2, "");

	char iso[32];
	plot_time_format(T0 * US + 999999, iso);
	assert_string_equal(iso, "2012-05-15 18:00:00");
	plot_time_format(-1, iso);   /* before the epoch rounds down */
	assert_string_equal(iso, "1969-12-31 23:59:59");
}

static void test_decimate(void **state)
{
	(void)state;
	/* 10 pixels for 100 µs: ten points per column. */
	struct plot_axes a = {0, 0, 10, 100, 0, 100, 0, 100};
	int64_t t[100];
	double v[100];
	for (int i = 0; i < 100; i++) {
		t[i] = i;
		v[i] = i == 55 ? NAN : (i % 10 == 3 ? -i : i);
	}
	struct plot_column *cols;
	size_t n = plot_decimate(&a, t, v, 1, 100, 1, &cols);
	assert_int_equal(n, 11);     /* the NaN splits column 5 in two */
	assert_true(cols[0].brk);
	assert_int_equal(cols[0].x, 0);
	assert_true(cols[0].first == 0 && cols[0].last == 9);
	assert_true(cols[0].min == -3 && cols[0].max == 9);
	assert_int_equal(cols[5].x, 5);
	assert_true(cols[5].first == 50 && cols[5].last == 54 && !cols[5].brk);
	assert_int_equal(cols[6].x, 5);
	assert_true(cols[6].brk && cols[6].first == 56 && cols[6].last == 59);
	assert_true(!cols[7].brk && cols[7].x == 6);
	assert_true(cols[10].x == 9 && cols[10].max == 99);
	free(cols);

	/* A year of minutes in 1000 pixels: at most one column per pixel (+1 for tmax). */
	size_t year = 525600;
	int64_t *yt = malloc(year * sizeof(*yt));
	double *yv = malloc(year * 2 * sizeof(*yv));
	for (size_t i = 0; i < year; i++) {
		yt[i] = (int64_t)i * 60 * US;
		yv[2 * i] = (double)(i % 1000);
		yv[2 * i + 1] = 5;
	}
	struct plot_axes b = {100, 0, 1000, 100, 0, (int64_t)(year - 1) * 60 * US, 0, 1000};
	n = plot_decimate(&b, yt, yv, 2, year, 1, &cols);
	assert_true(n >= 1000 && n <= 1001);
	assert_true(cols[0].x == 100 && cols[n - 1].x == 1100);
	assert_true(cols[1].min == 0 && cols[1].max == 999);
	free(cols);
	/* Values out of the time range are dropped and break the line. */
	struct plot_axes c = b;
	c.tmin = 10 * 60 * US;
	n = plot_decimate(&c, yt, yv + 1, 2, year, 5, &cols);
	assert_true(cols[0].brk && cols[0].first == 1);
	free(cols);
	free(yt);
	free(yv);
}

static void test_counter_deltas(void **state)
{
	(void)state;
	struct plot_ts ts;
	plot_ts_init(&ts, 2);
	/* Session 1 at times 10, 20, 30, 40 holds 5, 7, 7, 2 (a reset); session 2
	 * at 15, 25 holds 4294967290 then 3 (a wrap). Rows interleaved. */
	const struct { int64_t t; double s, v; } rows[] = {
		{10, 1, 5}, {15, 2, 4294967290.0}, {20, 1, 7}, {25, 2, 3}, {30, 1, 7}, {40, 1, 2},
	};
	for (size_t i = 0; i < 6; i++) {
		double r[2] = {rows[i].s, rows[i].v};
		plot_ts_push(&ts, rows[i].t, r);
	}
	double out[6];
	plot_counter_deltas(&ts, 0, 1, out);
	const double want[6] = {5, 4294967290.0, 2, 9, 0, 2};
	for (int i = 0; i < 6; i++)
		assert_true(out[i] == want[i]);
	plot_ts_release(&ts);
}

static void test_ts_sort_breaks_median(void **state)
{
	(void)state;
	struct plot_ts ts, br;
	plot_ts_init(&ts, 1);
	const int64_t times[] = {30, 0, 60, 400, 90};
	for (int i = 0; i < 5; i++) {
		double v = (double)i;
		plot_ts_push(&ts, times[i], &v);
	}
	plot_ts_sort(&ts);
	assert_true(ts.t[0] == 0 && ts.t[1] == 30 && ts.t[4] == 400);
	assert_true(ts.v[0] == 1 && ts.v[1] == 0 && ts.v[4] == 3);   /* values moved along */
	assert_true(plot_ts_median_step(&ts) == 30);   /* steps 30, 30, 30, 310 */
	plot_ts_with_breaks(&ts, 90, &br);
	assert_int_equal(br.n, 6);
	assert_true(isnan(br.v[4]) && br.t[4] == 91 && br.t[5] == 400);
	plot_ts_release(&br);
	plot_ts_release(&ts);
}

static void test_domain_label(void **state)
{
	(void)state;
	struct plot_domain d = {.flows = 1, .anonymized = true};
	char out[64];
	snprintf(d.name, sizeof(d.name), "0123456789abcdef0123456789abcdef01234567");
	plot_domain_label(&d, out);
	assert_string_equal(out, "0123456789ab\xe2\x80\xa6");
	d.anonymized = false;
	snprintf(d.name, sizeof(d.name), "google.com");
	plot_domain_label(&d, out);
	assert_string_equal(out, "google.com");
	snprintf(d.name, sizeof(d.name), "%s", "a-very-long-clear-domain-name.example.com.extra");
	plot_domain_label(&d, out);
	assert_string_equal(out, "a-very-long-clear-domain-name.example.c\xe2\x80\xa6");
}

/* ---- pixels ---- */

static char png_path[64];

static int teardown_png(void **state)
{
	(void)state;
	if (png_path[0])
		unlink(png_path);
	png_path[0] = 0;
	return 0;
}

static const char *tmp_png(void)
{
	snprintf(png_path, sizeof(png_path), "/tmp/test_plot_draw_%ld.png", (long)getpid());
	return png_path;
}

/* Counts pixels in [x0,x1)x[y0,y1) near colour c (or, with c NULL, not white). */
static long count_pixels(cairo_surface_t *s, int x0, int y0, int x1, int y1,
			 const struct plot_rgb *c)
{
	unsigned char *data = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	long n = 0;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++) {
			uint32_t p = *(uint32_t *)(data + y * stride + x * 4);
			int r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
			if (!c) {
				n += r != 255 || g != 255 || b != 255;
			} else {
				n += abs(r - (int)(c->r * 255)) < 30 && abs(g - (int)(c->g * 255)) < 30 &&
				     abs(b - (int)(c->b * 255)) < 30;
			}
		}
	return n;
}

static cairo_surface_t *load_png(const char *p, int w, int h)
{
	cairo_surface_t *s = cairo_image_surface_create_from_png(p);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	assert_int_equal(cairo_image_surface_get_width(s), w);
	assert_int_equal(cairo_image_surface_get_height(s), h);
	cairo_surface_flush(s);
	return s;
}

static void test_throughput_png(void **state)
{
	(void)state;
	struct plot_ts ts;
	plot_ts_init(&ts, 2);
	for (int m = 0; m < 600; m++) {
		double v[2] = {50000 + 40000 * sin(m / 30.0), 100 + 80 * cos(m / 20.0)};
		plot_ts_push(&ts, (T0 + m * 60) * US, v);
	}
	struct plot_interval iv = {T0 * US, (T0 + 600 * 60) * US};
	struct plot_canvas cv;
	assert_int_equal(plot_canvas_open(&cv, tmp_png(), PLOT_PNG, 1200, 600), 0);
	plot_kind_throughput(cv.cr, 1200, 600, "OWC43DC78EE081", &ts, &iv, 1);
	assert_int_equal(plot_canvas_close(&cv), 0);
	plot_ts_release(&ts);

	cairo_surface_t *s = load_png(png_path, 1200, 600);
	/* Inside the plot area: the bytes line (colour 0) and packets line (1). */
	long blue = count_pixels(s, 100, 70, 1170, 520, plot_color(0));
	long orange = count_pixels(s, 100, 70, 1170, 520, plot_color(1));
	assert_true(blue > 1000);
	assert_true(orange > 500);
	/* Outside it, on the left margin, there are labels but no series. */
	assert_int_equal(count_pixels(s, 0, 70, 40, 520, plot_color(0)), 0);
	assert_true(count_pixels(s, 0, 0, 1200, 40, NULL) > 200);   /* the title */
	cairo_surface_destroy(s);
}

static void test_no_data_png(void **state)
{
	(void)state;
	struct plot_ts empty;
	plot_ts_init(&empty, 4);
	struct plot_canvas cv;
	assert_int_equal(plot_canvas_open(&cv, tmp_png(), PLOT_PNG, 800, 400), 0);
	plot_kind_drops(cv.cr, 800, 400, "OWNODATA", &empty);
	assert_int_equal(plot_canvas_close(&cv), 0);
	cairo_surface_t *s = load_png(png_path, 800, 400);
	/* The "no data" text sits in the middle; no series colour anywhere. */
	assert_true(count_pixels(s, 300, 170, 500, 230, NULL) > 100);
	assert_int_equal(count_pixels(s, 0, 0, 800, 400, plot_color(0)), 0);
	assert_int_equal(count_pixels(s, 0, 0, 800, 400, plot_color(3)), 0);
	cairo_surface_destroy(s);
}

static void test_other_kinds_png(void **state)
{
	(void)state;
	struct plot_canvas cv;
	/* Sessions: two bars. */
	struct plot_session_bar bars[] = {
		{1, T0 * US, (T0 + 3600) * US}, {2, (T0 + 7200) * US, (T0 + 9000) * US},
		{3, INT64_MIN, INT64_MIN},
	};
	assert_int_equal(plot_canvas_open(&cv, tmp_png(), PLOT_PNG, 1200, 600), 0);
	plot_kind_sessions(cv.cr, 1200, 600, "OW1", bars, 3);
	assert_int_equal(plot_canvas_close(&cv), 0);
	cairo_surface_t *s = load_png(png_path, 1200, 600);
	assert_true(count_pixels(s, 170, 64, 1172, 528, plot_color(0)) > 5000);
	cairo_surface_destroy(s);

	/* Domains: 3 bars, hashed and clear, so a legend too. */
	struct plot_domain d[3] = {{100, true, "0123456789abcdef0123456789abcdef01234567"},
				   {50, false, "google.com"}, {10, true, "ffff"}};
	assert_int_equal(plot_canvas_open(&cv, tmp_png(), PLOT_PNG, 1200, 600), 0);
	plot_kind_domains(cv.cr, 1200, 600, "OW1", d, 3);
	assert_int_equal(plot_canvas_close(&cv), 0);
	s = load_png(png_path, 1200, 600);
	assert_true(count_pixels(s, 100, 64, 1172, 528, plot_color(0)) > 5000);
	assert_true(count_pixels(s, 100, 64, 1172, 528, plot_color(2)) > 2000);
	cairo_surface_destroy(s);

	/* A plugin series with two value columns. */
	struct plot_ts ts;
	plot_ts_init(&ts, 2);
	for (int i = 0; i < 100; i++) {
		double v[2] = {i, 100 - i};
		plot_ts_push(&ts, (T0 + i * 300) * US, v);
	}
	const char *names[] = {"up", "down"};
	assert_int_equal(plot_canvas_open(&cv, tmp_png(), PLOT_PNG, 1200, 600), 0);
	plot_kind_series(cv.cr, 1200, 600, "OW1", "rtt", &ts, names);
	assert_int_equal(plot_canvas_close(&cv), 0);
	plot_ts_release(&ts);
	s = load_png(png_path, 1200, 600);
	assert_true(count_pixels(s, 100, 64, 1172, 528, plot_color(0)) > 500);
	assert_true(count_pixels(s, 100, 64, 1172, 528, plot_color(1)) > 500);
	cairo_surface_destroy(s);
}

static void test_svg_and_bad_path(void **state)
{
	(void)state;
	char p[64];
	snprintf(p, sizeof(p), "/tmp/test_plot_draw_%ld.svg", (long)getpid());
	struct plot_canvas cv;
	assert_int_equal(plot_canvas_open(&cv, p, PLOT_SVG, 600, 300), 0);
	plot_draw_no_data(cv.cr, 600, 300, "OW1 \xe2\x80\x94 x", "no data");
	assert_int_equal(plot_canvas_close(&cv), 0);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char head[4096];
	size_t n = fread(head, 1, sizeof(head) - 1, f);
	head[n] = 0;
	fclose(f);
	unlink(p);
	assert_non_null(strstr(head, "<svg"));
	assert_non_null(strstr(head, "width=\"600"));
	/* A folder that does not exist: an error, and no file left behind. */
	assert_int_equal(plot_canvas_open(&cv, "/nonexistent/x.png", PLOT_PNG, 600, 300), 0);
	assert_int_equal(plot_canvas_close(&cv), -1);
	assert_int_equal(access("/nonexistent/x.png", F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_nice_steps_and_range),
		cmocka_unit_test(test_time_steps),
		cmocka_unit_test(test_time_ticks_and_labels),
		cmocka_unit_test(test_decimate),
		cmocka_unit_test(test_counter_deltas),
		cmocka_unit_test(test_ts_sort_breaks_median),
		cmocka_unit_test(test_domain_label),
		cmocka_unit_test_teardown(test_throughput_png, teardown_png),
		cmocka_unit_test_teardown(test_no_data_png, teardown_png),
		cmocka_unit_test_teardown(test_other_kinds_png, teardown_png),
		cmocka_unit_test(test_svg_and_bad_path),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	plot_release_fonts();
	return failed;
}
