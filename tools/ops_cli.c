/*
 * tools/ops_cli.c: option parsing for the two-folder operations commands
 * (see ops_cli.h).
 */
#include "ops_cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "log.h"

enum { OPT_EXTRA = 256 };

int ops_cli_parse(int argc, char **argv, void (*usage)(FILE *f), const char *expected,
		  const struct ops_cli_option *extra, const char *dirs[2])
{
	int n_extra = 0;
	while (extra && extra[n_extra].name)
		n_extra++;
	struct option *opts = xcalloc((size_t)n_extra + 3, sizeof(*opts));
	opts[0] = (struct option){"quiet", no_argument, NULL, 'q'};
	opts[1] = (struct option){"help", no_argument, NULL, 'h'};
	for (int i = 0; i < n_extra; i++)
		opts[2 + i] = (struct option){extra[i].name, required_argument, NULL, OPT_EXTRA + i};
	int ch, rc = -1;
	optind = 1;
	opterr = 0;
	while (rc < 0 && (ch = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		if (ch >= OPT_EXTRA && ch < OPT_EXTRA + n_extra) {
			*extra[ch - OPT_EXTRA].value = optarg;
		} else if (ch == 'q') {
			log_set_quiet(true);
		} else if (ch == 'h') {
			usage(stdout);
			rc = EXIT_OK;
		} else {
			cli_bad_option(ch, argv);
			usage(stderr);
			rc = EXIT_USAGE;
		}
	}
	free(opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != 2) {
		log_error("%s", expected);
		usage(stderr);
		return EXIT_USAGE;
	}
	dirs[0] = argv[optind];
	dirs[1] = argv[optind + 1];
	return -1;
}
