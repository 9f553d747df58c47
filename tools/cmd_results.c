/*
 * tools/cmd_results.c: `bpass results FILE --out DIR [--json] [-p LIST]
 * [--plugin PATH.so]...`: the command line of harness/results_cached.h,
 * which writes the result tables again from a global result saved by
 * `bpass run --cache-global FILE`: usage, options, the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "results_cached.h"
#include "sink.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("results");
		return;
	}
	fputs("usage: bpass results FILE --out DIR [--json] [-p LIST] [--plugin PATH.so]...\n"
	      "\n"
	      "Writes the result tables of a global result cached by\n"
	      "`bpass run --cache-global FILE`, without reading the sessions.\n"
	      "\n"
	      "      --out DIR|FILE.sqlite|postgresql://...\n"
	      "                           where the tables go (required): a folder, one\n"
	      "                           SQLite file or a PostgreSQL schema (?schema=NAME,\n"
	      "                           default bpass), as for bpass run\n"
	      "      --json               JSON Lines tables instead of CSV\n"
	      "  -p, --processors LIST    only these processors (default: every processor\n"
	      "                           in the cache that is available)\n"
	      "      --plugin PATH.so     load a plugin (repeatable), for plugin processors\n"
	      "  -h, --help               this help\n",
	      f);
}

static int bad_usage(const char *msg)
{
	log_error("%s", msg);
	usage(stderr);
	return EXIT_USAGE;
}

int cmd_results(int argc, char **argv)
{
	enum { O_PLUGIN = 256, O_OUT, O_JSON };
	static const struct option opts[] = {
		{"out", required_argument, NULL, O_OUT},
		{"json", no_argument, NULL, O_JSON},
		{"processors", required_argument, NULL, 'p'},
		{"plugin", required_argument, NULL, O_PLUGIN},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char **plugins = xcalloc((size_t)argc + 1, sizeof(*plugins));
	uint32_t n_plugins = 0;
	const char *out = NULL, *select = NULL;
	struct buf sel;
	buf_init(&sel);
	bool json = false;
	int c, rc = EXIT_USAGE;
	/* The command line as given, for the provenance (getopt reorders argv;
	 * argv[-1] is the bpass command itself: tools/bpass.c). */
	char **cmdline = xcalloc((size_t)argc + 2, sizeof(*cmdline));
	for (int i = -1; i < argc; i++)
		cmdline[i + 1] = argv[i];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:h", opts, NULL)) != -1) {
		switch (c) {
		case O_OUT:
			out = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case 'p':
			/* Repeatable: -p a -p b,c is -p a,b,c. */
			if (sel.len)
				buf_putc(&sel, ',');
			buf_puts(&sel, optarg);
			select = sel.data;
			break;
		case O_PLUGIN:
			plugins[n_plugins++] = optarg;
			break;
		case 'h':
			usage(stdout);
			free(plugins);
			free(cmdline);
			buf_release(&sel);
			return EXIT_OK;
		default:
			cli_bad_option(c, argv);
			usage(stderr);
			free(plugins);
			free(cmdline);
			buf_release(&sel);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !out) {
		free(plugins);
		free(cmdline);
		buf_release(&sel);
		return bad_usage(argc - optind != 1 ? "expected one FILE" : "missing --out DIR");
	}
	struct results_cached_options o = {.out = out, .json = json, .select = select,
					   .plugins = plugins, .n_plugins = n_plugins,
					   .argv = cmdline, .argc = (uint32_t)argc + 1};
	if (sink_check(out))
		rc = EXIT_FAILURES;
	else
		rc = results_cached_write(argv[optind], &o) < 0 ? EXIT_FAILURES : EXIT_OK;
	buf_release(&sel);
	free(plugins);
	free(cmdline);
	return rc;
}
