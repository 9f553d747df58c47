/*
 * tools/cmd_rejects.c: `bpass rejects INDEX [--csv]`: what the indexer
 * rejected, one row per rejected member or tarball, ordered by tarball name:
 * tarball, member (empty for the whole tarball), line (empty when unknown),
 * reason. Aligned text by default, CSV with --csv.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "index_db.h"
#include "log.h"
#include "table.h"

static void usage(FILE *f)
{
	fputs("usage: bpass rejects INDEX [--csv]\n"
	      "\n"
	      "Lists the members and tarballs the indexer rejected, with the reason.\n"
	      "An empty member column means the whole tarball (wrong md5, unreadable or\n"
	      "damaged archive: see the reason).\n"
	      "\n"
	      "  --csv         comma-separated values instead of aligned text\n"
	      "  -h, --help    this help\n", f);
}

static int add_row(void *arg, const struct index_reject *r)
{
	struct table *t = arg;
	table_add(t, r->tarball);
	table_add(t, r->member ? r->member : "");
	if (r->line)
		table_add_i64(t, r->line);
	else
		table_add(t, "");
	table_add(t, r->reason);
	return 0;
}

int cmd_rejects(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool csv = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			csv = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		log_error(argc - optind < 1 ? "missing INDEX" : "too many arguments");
		usage(stderr);
		return EXIT_USAGE;
	}
	static const char *const head[] = { "tarball", "member", "line", "reason" };
	struct index_db *db;
	if (index_db_open(&db, argv[optind], INDEX_OPEN_READ))
		return EXIT_FAILURES;
	struct table t;
	table_init(&t, 4, head, "llrl");
	int rc = index_db_rejects(db, add_row, &t);
	index_db_close(db);
	if (rc == 0 && table_print(&t, stdout, csv))
		rc = log_error("could not write the reject list: %s", strerror(errno ? errno : EIO));
	table_release(&t);
	return rc ? EXIT_FAILURES : EXIT_OK;
}
