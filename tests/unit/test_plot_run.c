/*
 * tests/unit/test_plot_run.c: `bpass plot` as a whole (plot_run) over
 * hand-written result folders: every node found in any table gets every
 * kind (plugin series included, a clash with a built-in name renamed), nodes
 * without data get "no data" plots, unsafe node ids are escaped in file names
 * and HTML, the report carries the summary numbers, rows of a node split
 * over two blocks are all drawn, times near the ends of int64 are skipped
 * instead of blanking a plot, node ids that are not UTF-8 are plotted, and a
 * malformed table fails the run without stopping the other plots.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#include "buf.h"
#include "fs.h"
#include "log.h"
#include "plot.h"
#include "plot_draw.h"
#include "plot_report.h"

#define T0 1337104800LL

static char dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_plot_run.XXXXXX");
	assert_non_null(mkdtemp(dir));
	log_set_quiet(true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void put(const char *name, const char *text)
{
	struct buf p;
	buf_init(&p);
	buf_printf(&p, "%s/%s", dir, name);
	FILE *f = fopen(p.data, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	buf_release(&p);
}

static bool exists(const char *name)
{
	struct buf p;
	buf_init(&p);
	buf_printf(&p, "%s/out/%s", dir, name);
	bool ok = access(p.data, R_OK) == 0;
	buf_release(&p);
	return ok;
}

static char *slurp(const char *name)
{
	struct buf p, out;
	buf_init(&p);
	buf_init(&out);
	buf_printf(&p, "%s/out/%s", dir, name);
	FILE *f = fopen(p.data, "r");
	assert_non_null(f);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&out, chunk, n);
	fclose(f);
	buf_release(&p);
	return out.data;
}

static struct plot_options opts(struct buf *out)
{
	buf_init(out);
	buf_printf(out, "%s/out", dir);
	return (struct plot_options){.results_dir = dir, .out_dir = out->data,
				     .width = 800, .height = 400};
}

static void test_every_node_every_kind(void **state)
{
	(void)state;
	struct buf b;
	b.data = NULL;
	struct buf tp;
	buf_init(&tp);
	buf_puts(&tp, "node_id,minute,minute_iso,bytes,packets\n");
	for (int m = 0; m < 120; m++)
		buf_printf(&tp, "OWA,%lld,x,%d,%d\n", (T0 + m * 60) * 1000000, 1000 + m, 10);
	put("throughput.csv", tp.data);
	buf_release(&tp);
	put("availability.csv", "node_id,lower_us,upper_us,lower_iso,upper_iso\n"
				"OWA,1337104800000000,1337106600000000,a,b\n"
				"OWA,1337108400000000,1337112000000000,a,b\n");
	put("sessions.csv", "node_id,anonymization_context,session_id,bytes\n"
			    "OWA,c,1,100\nOWA,c,2,200\n\"OW<x>\",c,3,5\n");
	put("bytes_per_node.csv", "node_id,bytes\nOWA,123456789\nOWB,0\n");
	put("update_statistics_per_node.csv",
	    "node_id,updates,first_timestamp,first_iso,last_timestamp,last_iso\n"
	    "OWA,10,1337104800,x,1337112000,y\n");
	put("series_rtt.csv", "node_id,time_us,time_iso,ms\nOWA,1337104800000000,x,5\n"
			      "OWA,1337104900000000,x,6\n");
	put("series_throughput.csv", "node_id,time_us,v\nOWB,1337104800000000,1\n");
	struct plot_options o = opts(&b);
	assert_int_equal(plot_run(&o), 0);

	static const char *const kinds[] = {"throughput", "drops", "sessions", "domains",
					    "rtt", "series_throughput"};
	static const char *const nodes[] = {"OWA", "OWB", "OW_x_"};
	for (size_t n = 0; n < 3; n++)
		for (size_t k = 0; k < 6; k++) {
			char name[128];
			snprintf(name, sizeof(name), "%s_%s.png", nodes[n], kinds[k]);
			if (!exists(name))
				fail_msg("missing %s", name);
		}
	assert_false(exists("OWA_throughput.svg"));
	char *html = slurp("index.html");
	assert_non_null(strstr(html, "<img src=\"OWA_throughput.png\""));
	assert_non_null(strstr(html, "<img src=\"OW_x__series_throughput.png\""));
	assert_non_null(strstr(html, "<b>OW&lt;x&gt;</b>"));
	assert_null(strstr(html, "<x>"));
	/* OWA: 2 sessions, 123.5 MB, last update 2012-05-15 20:00:00, and its
	 * availability covers 30 + 60 of the 120 minutes = 75 %. */
	char *row = strstr(html, "<tr id=\"node-OWA\">");
	assert_non_null(row);
	assert_non_null(strstr(row, "<td class=\"num\">2</td>"));
	assert_non_null(strstr(row, "75.0 %"));
	assert_non_null(strstr(row, "123.5 MB"));
	assert_non_null(strstr(row, "2012-05-15 20:00:00"));
	/* OWB has no sessions rows although sessions.csv exists: 0, not unknown. */
	row = strstr(html, "<tr id=\"node-OWB\">");
	assert_non_null(row);
	assert_non_null(strstr(row, "<td class=\"num\">0</td>"));
	free(html);

	/* OWB's throughput is a "no data" plot: the right size, grey text, no blue. */
	char p[128];
	snprintf(p, sizeof(p), "%s/out/OWB_throughput.png", dir);
	cairo_surface_t *s = cairo_image_surface_create_from_png(p);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	assert_int_equal(cairo_image_surface_get_width(s), 800);
	assert_int_equal(cairo_image_surface_get_height(s), 400);
	cairo_surface_destroy(s);
	buf_release(&b);
}

/* Blue (series colour 0) pixels in a column range of a PNG's upper panel. */
static long blue_in(const char *png, int x0, int x1)
{
	cairo_surface_t *s = cairo_image_surface_create_from_png(png);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	unsigned char *d = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	const struct plot_rgb *c = plot_color(0);
	long n = 0;
	for (int y = 64; y < 200; y++)
		for (int x = x0; x < x1; x++) {
			uint32_t px = *(uint32_t *)(d + y * stride + x * 4);
			int r = (px >> 16) & 255, g = (px >> 8) & 255, bl = px & 255;
			n += abs(r - (int)(c->r * 255)) < 30 && abs(g - (int)(c->g * 255)) < 30 &&
			     abs(bl - (int)(c->b * 255)) < 30;
		}
	cairo_surface_destroy(s);
	return n;
}

static void test_scattered_rows(void **state)
{
	(void)state;
	/* OWA: minutes 0-59, then OWB, then OWA again at minutes 1000-1059. With no
	 * availability table a gap over 30 minutes breaks the line, so a plot from
	 * all of OWA's rows is empty in the middle; one from the first block only
	 * would span the whole width. */
	struct buf tp;
	buf_init(&tp);
	buf_puts(&tp, "node_id,minute,minute_iso,bytes,packets\n");
	for (int m = 0; m < 60; m++)
		buf_printf(&tp, "OWA,%lld,x,%d,1\n", (T0 + m * 60) * 1000000, 300 + m % 7);
	buf_printf(&tp, "OWB,%lld,x,1,1\n", T0 * 1000000);
	for (int m = 1000; m < 1060; m++)
		buf_printf(&tp, "OWA,%lld,x,%d,1\n", (T0 + m * 60) * 1000000, 300 + m % 7);
	put("throughput.csv", tp.data);
	buf_release(&tp);
	struct buf b;
	struct plot_options o = opts(&b);
	assert_int_equal(plot_run(&o), 0);
	char p[128];
	snprintf(p, sizeof(p), "%s/out/OWA_throughput.png", dir);
	/* The area spans x 96..772 for minutes 0..1060. */
	assert_true(blue_in(p, 97, 120) > 20);
	assert_true(blue_in(p, 750, 772) > 20);
	assert_int_equal(blue_in(p, 200, 650), 0);
	buf_release(&b);
}

/* Times near the ends of int64 (a corrupt clock, a hostile table) overflowed
 * the axis arithmetic (UBSan) and blanked the node's plots. Rows whose time
 * cannot be plotted are skipped with a warning; the others are drawn. */
static void test_extreme_times(void **state)
{
	(void)state;
	struct buf tp;
	buf_init(&tp);
	buf_puts(&tp, "node_id,minute,minute_iso,bytes,packets\n");
	for (int m = 0; m < 60; m++)
		buf_printf(&tp, "OWA,%lld,x,%d,1\n", (T0 + m * 60) * 1000000, 300 + m % 7);
	buf_puts(&tp, "OWA,9223372036854775000,x,5,1\n");
	buf_puts(&tp, "OWA,-9223372036854775000,x,5,1\n");
	put("throughput.csv", tp.data);
	buf_release(&tp);
	put("availability.csv", "node_id,lower_us,upper_us,lower_iso,upper_iso\n"
				"OWA,1337104800000000,9223372036854775807,a,b\n"
				"OWA,-9223372036854775808,1337104800000000,a,b\n");
	put("sessions.csv", "node_id,anonymization_context,session_id,availability_lower_us,"
			    "availability_upper_us\nOWA,c,1,1337104800000000,9223372036854775807\n"
			    "OWA,c,2,-9223372036854775807,1337104800000000\n"
			    "OWA,c,3,1337104800000000,1337108400000000\n");
	put("update_statistics.csv", "node_id,session_id,timestamp,pcap_dropped,iface_dropped,"
				     "packet_series_dropped\n"
				     "OWA,1,1337104830,0,0,1\nOWA,1,1337104860,0,0,2\n"
				     "OWA,1,9223372036854,0,0,3\nOWA,1,-9223372036854,0,0,3\n");
	put("update_statistics_per_node.csv",
	    "node_id,updates,first_timestamp,first_iso,last_timestamp,last_iso\n"
	    "OWA,10,1337104800,x,9223372036854,y\n");
	put("series_rtt.csv", "node_id,time_us,ms\nOWA,1337104800000000,5\n"
			      "OWA,1337104860000000,6\nOWA,9223372036854775807,7\n");
	struct buf b;
	struct plot_options o = opts(&b);
	assert_int_equal(plot_run(&o), 0);
	static const char *const kinds[] = {"throughput", "drops", "sessions", "domains", "rtt"};
	for (size_t k = 0; k < 5; k++) {
		char name[64];
		snprintf(name, sizeof(name), "OWA_%s.png", kinds[k]);
		if (!exists(name))
			fail_msg("missing %s", name);
	}
	/* The hour of good rows spans the plot (96..772), as if the others were not there. */
	char p[128];
	snprintf(p, sizeof(p), "%s/out/OWA_throughput.png", dir);
	assert_true(blue_in(p, 97, 160) > 20);
	assert_true(blue_in(p, 690, 760) > 20);
	snprintf(p, sizeof(p), "%s/out/OWA_sessions.png", dir);
	assert_true(blue_in(p, 97, 772) > 100);   /* session 3's bar at least */
	buf_release(&b);
}

/* A node id that is not UTF-8 made cairo refuse every text of its plots
 * ("input string not valid UTF-8"): no plot was written. It is shown escaped
 * (\xNN) in the plots and the report, and made safe in file names. */
static void test_node_id_not_utf8(void **state)
{
	(void)state;
	struct buf tp;
	buf_init(&tp);
	buf_puts(&tp, "node_id,minute,minute_iso,bytes,packets\n");
	for (int m = 0; m < 60; m++)
		buf_printf(&tp, "OW\xff\xfeX,%lld,x,%d,1\n", (T0 + m * 60) * 1000000, 300 + m % 7);
	put("throughput.csv", tp.data);
	buf_release(&tp);
	put("bytes_per_node.csv", "node_id,bytes\nOW\xff\xfeX,5\nOW\x1b[2J,7\n");
	struct buf b;
	struct plot_options o = opts(&b);
	assert_int_equal(plot_run(&o), 0);
	static const char *const kinds[] = {"throughput", "drops", "sessions", "domains"};
	for (size_t k = 0; k < 4; k++) {
		char name[64];
		snprintf(name, sizeof(name), "OW__X_%s.png", kinds[k]);
		if (!exists(name))
			fail_msg("missing %s", name);
		snprintf(name, sizeof(name), "OW__2J_%s.png", kinds[k]);
		if (!exists(name))
			fail_msg("missing %s", name);
	}
	char p[128];
	snprintf(p, sizeof(p), "%s/out/OW__X_throughput.png", dir);
	assert_true(blue_in(p, 97, 772) > 100);
	char *html = slurp("index.html");
	for (const unsigned char *c = (const unsigned char *)html; *c; c++)
		assert_true(*c == '\n' || (*c >= 0x20 && *c < 0x7f));   /* ASCII, no ESC */
	assert_non_null(strstr(html, "<b>OW\\xff\\xfeX</b>"));
	assert_non_null(strstr(html, "<b>OW\\e[2J</b>"));
	free(html);
	buf_release(&b);
}

static void test_failures_reported(void **state)
{
	(void)state;
	struct buf b;
	struct plot_options o = opts(&b);
	o.results_dir = "/nonexistent/results";
	assert_int_equal(plot_run(&o), -1);
	o.results_dir = dir;
	put("throughput.csv", "node_id,minute,bytes,packets\nOWA,1,\"unterminated\n");
	put("bytes_per_node.csv", "node_id,bytes\nOWA,5\n");
	put("flow_domains_per_node.csv", "node,domain,flows\nOWA,x,1\n");   /* no node_id */
	assert_int_equal(plot_run(&o), -1);
	assert_true(exists("OWA_throughput.png"));
	assert_true(exists("OWA_domains.png"));
	assert_true(exists("index.html"));
	buf_release(&b);
}

/* Names in the output folder ending in ".tmp": what a writer left behind. */
static int temporaries(void)
{
	struct buf p;
	buf_init(&p);
	buf_printf(&p, "%s/out", dir);
	char **names;
	int n = fs_list(p.data, NULL, NULL, &names);
	assert_true(n >= 0);
	int tmp = 0;
	for (int i = 0; i < n; i++)
		tmp += fs_has_suffix(names[i], ".tmp");
	fs_names_free(names, n);
	buf_release(&p);
	return tmp;
}

/* Plots and the report are written under temporary names and renamed: none
 * is left behind, after a good run or a failed write. */
static void test_no_temporaries(void **state)
{
	(void)state;
	struct buf b;
	put("bytes_per_node.csv", "node_id,bytes\nOWA,5\n");
	struct plot_options o = opts(&b);
	o.svg = true;
	assert_int_equal(plot_run(&o), 0);
	assert_true(exists("OWA_throughput.svg"));
	assert_true(exists("index.html"));
	assert_int_equal(temporaries(), 0);

	/* A report that cannot be renamed into place (a folder is in the way). */
	struct buf path;
	buf_init(&path);
	buf_printf(&path, "%s/out/sub", dir);
	assert_int_equal(fs_mkdirs(path.data), 0);
	const char *kinds[] = {"throughput"};
	struct plot_report rep = {.title = "t", .kinds = kinds, .kind_titles = kinds,
				  .nkinds = 1, .width = 800, .height = 400};
	assert_int_equal(plot_report_write(path.data, &rep, NULL, 0), -1);
	assert_int_equal(temporaries(), 0);
	/* A plot that cannot be renamed into place either. */
	struct plot_canvas cv;
	assert_int_equal(plot_canvas_open(&cv, path.data, PLOT_PNG, 100, 50), 0);
	assert_int_equal(plot_canvas_close(&cv), -1);
	assert_int_equal(temporaries(), 0);
	buf_release(&path);
	buf_release(&b);
}

static void test_safe_name(void **state)
{
	(void)state;
	char out[32];
	plot_safe_name("OWC43DC78EE081", out);
	assert_string_equal(out, "OWC43DC78EE081");
	plot_safe_name("../etc/passwd", out);
	assert_string_equal(out, "_._etc_passwd");
	plot_safe_name("", out);
	assert_string_equal(out, "_");
	plot_safe_name("a b\"c", out);
	assert_string_equal(out, "a_b_c");
}

static void test_report_helpers(void **state)
{
	(void)state;
	char out[32];
	plot_report_bytes(999, out);
	assert_string_equal(out, "999 B");
	plot_report_bytes(1500, out);
	assert_string_equal(out, "1.5 KB");
	plot_report_bytes(123456789, out);
	assert_string_equal(out, "123.5 MB");
	plot_report_bytes(-1, out);
	assert_string_equal(out, "-");
	struct buf b;
	buf_init(&b);
	plot_report_escape(&b, "<a href=\"x\">'&'</a>");
	assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_node_every_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scattered_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extreme_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_id_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_temporaries, setup, teardown),
		cmocka_unit_test(test_safe_name),
		cmocka_unit_test(test_report_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
