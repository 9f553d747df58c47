/*
 * tools/cmd_results.c: `bpass results FILE --out DIR [--json] [-p LIST]
 * [--plugin PATH.so]...`: writes the result tables again from a global
 * result saved by `bpass run --cache-global FILE`, without reading any
 * session: each processor loads its cached global result (global_load,
 * told the version that saved it) and writes its tables; sessions.csv comes
 * from the cache too.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "commands.h"
#include "log.h"
#include "merge.h"
#include "registry.h"
#include "results.h"
#include "state_file.h"

static void usage(FILE *f)
{
	fputs("usage: bpass results FILE --out DIR [--json] [-p LIST] [--plugin PATH.so]...\n"
	      "\n"
	      "Writes the result tables of a global result cached by\n"
	      "`bpass run --cache-global FILE`, without reading the sessions.\n"
	      "\n"
	      "      --out DIR            folder of the tables (required)\n"
	      "      --json               JSON Lines tables instead of CSV\n"
	      "  -p, --processors LIST    only these processors (default: every processor\n"
	      "                           in the cache that is available)\n"
	      "      --plugin PATH.so     load a plugin (repeatable), for plugin processors\n"
	      "  -h, --help               this help\n",
	      f);
}

static int bad_usage(const char *msg)
{
	fprintf(stderr, "bpass: %s\n", msg);
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
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
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
			buf_release(&sel);
			return EXIT_OK;
		default:
			usage(stderr);
			free(plugins);
			buf_release(&sel);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !out) {
		free(plugins);
		buf_release(&sel);
		return bad_usage(argc - optind != 1 ? "expected one FILE" : "missing --out DIR");
	}
	const char *path = argv[optind];

	struct registry reg;
	struct state_file sf;
	struct buf data, err, list;
	registry_init(&reg);
	state_file_init(&sf);
	buf_init(&data);
	buf_init(&err);
	buf_init(&list);
	uint32_t *order = NULL, n = 0;
	const struct bpass_processor **procs = NULL;
	struct merge m;
	bool merged = false;
	rc = EXIT_FAILURES;

	int r = state_file_read(path, &data);
	if (r != 0) {
		log_error("could not read global result cache \"%s\": %s", path,
			  r == 1 ? "No such file or directory" : strerror(errno));
		goto out;
	}
	if (state_file_parse(&sf, data.data, data.len, NULL, &err) || sf.kind != STATE_KIND_GLOBAL) {
		log_error("could not read global result cache \"%s\": %s", path,
			  err.len ? err.data : "it holds a session state");
		goto out;
	}
	if (registry_setup(&reg, plugins, n_plugins))
		goto out;
	if (!select) {
		/* Every processor of the cache that we have. */
		for (uint32_t i = 0; i < sf.n; i++) {
			struct buf name;
			buf_init(&name);
			buf_append(&name, sf.e[i].name, sf.e[i].name_len);
			if (registry_find(&reg, name.data)) {
				if (list.len)
					buf_putc(&list, ',');
				buf_puts(&list, name.data);
			} else if (strcmp(name.data, MERGE_SESSIONS_ENTRY)) {
				log_warn("skipping processor \"%s\" of the cache: it is not available "
					 "(a plugin? use --plugin)", name.data);
			}
			buf_release(&name);
		}
		select = list.data;
	}
	if (registry_select(&reg, select, &order, &n))
		goto out;
	procs = xcalloc(n + 1, sizeof(*procs));
	for (uint32_t i = 0; i < n; i++)
		procs[i] = &reg.procs[order[i]].p;
	merged = true;
	if (merge_init(&m, procs, n) || merge_load_cache(&m, data.data, data.len, path))
		goto out;
	struct results res;
	if (results_init(&res, out, json) == 0) {
		if (merge_write(&m, &res.r) == 0 && !results_failed(&res))
			rc = EXIT_OK;
	}
	results_release(&res);
out:
	if (merged)
		merge_release(&m);
	free(procs);
	free(order);
	registry_release(&reg);
	state_file_release(&sf);
	buf_release(&data);
	buf_release(&err);
	buf_release(&list);
	buf_release(&sel);
	free(plugins);
	return rc;
}
