/*
 * tools/cmd_plot.c: `bpass plot RESULTS_DIR --out DIR`: per-node PNG (and
 * SVG) plots and an HTML report from the result tables (plot/plot.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "log.h"
#include "plot.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("plot");
		return;
	}
	fputs("usage: bpass plot RESULTS_DIR --out DIR [--svg] [--width PX] [--height PX] [-q]\n"
	      "\n"
	      "Draws, for every node in the result tables of RESULTS_DIR, one plot per kind\n"
	      "as DIR/<node>_<kind>.png: throughput, drops, sessions, domains, and one per\n"
	      "plugin table series_<name>.csv; then DIR/index.html, a report linking them.\n"
	      "\n"
	      "  -o, --out DIR     where plots and index.html go (created if missing)\n"
	      "      --svg         also write <node>_<kind>.svg\n"
	      "      --width PX    plot width in pixels (default 1200, 300-10000)\n"
	      "      --height PX   plot height in pixels (default 600, 200-10000)\n"
	      "  -q, --quiet       print only errors\n"
	      "  -h, --help        this help\n", f);
}

static int parse_px(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"svg", no_argument, NULL, 's'},
		{"width", required_argument, NULL, 'W'},
		{"height", required_argument, NULL, 'H'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct plot_options o = {.width = 1200, .height = 600};
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.out_dir = optarg;
			break;
		case 's':
			o.svg = true;
			break;
		case 'W':
			if (parse_px(optarg, 300, 10000, &o.width) < 0) {
				log_error("invalid --width \"%s\": expected 300 to 10000 pixels", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			if (parse_px(optarg, 200, 10000, &o.height) < 0) {
				log_error("invalid --height \"%s\": expected 200 to 10000 pixels", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			log_set_quiet(true);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			cli_bad_option(ch, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !o.out_dir) {
		log_error(argc - optind != 1 ? "expected one RESULTS_DIR" : "missing --out DIR");
		usage(stderr);
		return EXIT_USAGE;
	}
	o.results_dir = argv[optind];
	return plot_run(&o) < 0 ? EXIT_FAILURES : EXIT_OK;
}
