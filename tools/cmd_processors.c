/*
 * tools/cmd_processors.c: `bpass processors [--plugin PATH.so]... [--csv]`:
 * lists every available processor (built-ins, plugins of
 * $BPASS_PLUGIN_PATH and of --plugin) in registration order: name, version,
 * origin, the processors whose state it reads, and its description; then
 * (not with --csv) every option as PROCESSOR.NAME=DEFAULT and its
 * description.
 * Loading errors (wrong ABI, duplicates, cycles...) are reported and the
 * status is 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "registry.h"
#include "table.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("processors");
		return;
	}
	fputs("usage: bpass processors [--plugin PATH.so]... [--csv]\n"
	      "\n"
	      "Lists the available processors: the built-ins, those of the plugins in the\n"
	      "folders of $BPASS_PLUGIN_PATH and of PREFIX/lib/bpass/plugins (the plugin\n"
	      "folder of this installation), and those of each --plugin; then the options\n"
	      "they take (set with bpass run -o), with their defaults.\n"
	      "\n"
	      "      --plugin PATH.so   load a plugin (repeatable)\n"
	      "      --csv              comma-separated values instead of aligned text\n"
	      "  -h, --help             this help\n",
	      f);
}

int cmd_processors(int argc, char **argv)
{
	enum { O_PLUGIN = 256, O_CSV };
	static const struct option opts[] = {
		{"plugin", required_argument, NULL, O_PLUGIN},
		{"csv", no_argument, NULL, O_CSV},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char **plugins = xcalloc((size_t)argc + 1, sizeof(*plugins));
	uint32_t n_plugins = 0;
	bool csv = false;
	int c, rc = EXIT_OK;
	uint32_t options_listed = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_PLUGIN:
			plugins[n_plugins++] = optarg;
			break;
		case O_CSV:
			csv = true;
			break;
		case 'h':
			usage(stdout);
			free(plugins);
			return EXIT_OK;
		default:
			cli_bad_option(c, argv);
			usage(stderr);
			free(plugins);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument \"%s\"", argv[optind]);
		usage(stderr);
		free(plugins);
		return EXIT_USAGE;
	}
	struct registry r;
	registry_init(&r);
	if (registry_setup(&r, plugins, n_plugins)) {
		registry_release(&r);
		free(plugins);
		return EXIT_FAILURES;
	}
	static const char *const head[] = {"name", "version", "origin", "depends", "description"};
	struct table t;
	table_init(&t, 5, head, "lrlll");
	struct buf deps;
	buf_init(&deps);
	for (uint32_t i = 0; i < r.n; i++) {
		const struct bpass_processor *p = &r.procs[i].p;
		buf_reset(&deps);
		for (const char *const *d = p->depends; d && *d; d++) {
			if (deps.len)
				buf_putc(&deps, ',');
			buf_puts(&deps, *d);
		}
		table_add(&t, p->name);
		table_add_i64(&t, p->version);
		table_add(&t, r.procs[i].origin);
		table_add(&t, deps.data);
		table_add(&t, p->description ? p->description : "");
	}
	if (table_print(&t, stdout, csv))
		rc = EXIT_FAILURES;
	/* Then the options (bpass run -o PROCESSOR.NAME=VALUE), in text only. */
	for (uint32_t i = 0; i < r.n && !csv; i++) {
		const struct bpass_processor *p = &r.procs[i].p;
		for (const struct bpass_option *o = p->options; o && o->name; o++) {
			printf("%s%s.%s=%s  %s\n", options_listed++ ? "" : "\noptions:\n", p->name,
			       o->name, o->default_value ? o->default_value : "",
			       o->description ? o->description : "");
		}
	}
	buf_release(&deps);
	table_release(&t);
	registry_release(&r);
	free(plugins);
	return rc;
}
