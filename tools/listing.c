/*
 * tools/listing.c: option parsing, index opening and printing for the index
 * listing commands (see listing.h).
 */
#include "listing.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "log.h"

int listing_run(const struct listing *l, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool csv = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			csv = true;
			break;
		case 'h':
			l->usage(stdout);
			return EXIT_OK;
		default:
			cli_bad_option(c, argv);
			l->usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		log_error(argc - optind < 1 ? "missing INDEX" : "too many arguments");
		l->usage(stderr);
		return EXIT_USAGE;
	}
	struct index_db *db;
	if (index_db_open(&db, argv[optind], INDEX_OPEN_READ))
		return EXIT_FAILURES;
	struct table t;
	table_init(&t, l->ncols, l->head, l->align);
	int rc = l->fill(db, &t);
	index_db_close(db);
	if (rc == 0 && table_print(&t, stdout, csv))
		rc = log_error("could not write the %s: %s", l->what, strerror(errno ? errno : EIO));
	table_release(&t);
	return rc ? EXIT_FAILURES : EXIT_OK;
}
