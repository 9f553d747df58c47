/*
 * tools/ops_cli.c: option parsing for the two-folder operations commands
 * (see ops_cli.h).
 */
#include "ops_cli.h"

#include <getopt.h>
#include <stdbool.h>

#include "commands.h"
#include "log.h"

int ops_cli_parse(int argc, char **argv, void (*usage)(FILE *f), const char *expected,
		  const char *dirs[2])
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			log_set_quiet(true);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		log_error("%s", expected);
		usage(stderr);
		return EXIT_USAGE;
	}
	dirs[0] = argv[optind];
	dirs[1] = argv[optind + 1];
	return -1;
}
