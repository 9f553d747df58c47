/*
 * tools/cmd_hourly.c: `bpass hourly [CONFIG] [--KEY VALUE...]`: the command
 * line of ops/hourly.h (which describes the pipeline): usage, options (one
 * per configuration key), the exit status: 0 when every step succeeded, 1
 * when any failed, 2 for a usage or configuration error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "hourly.h"
#include "log.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("hourly");
		return;
	}
	fputs("usage: bpass hourly [CONFIG] [--KEY VALUE...] [--wait] [--force] [-q]\n"
	      "\n"
	      "Runs collect -> anonymize -> index -> run (-> database) -> plot, for cron. CONFIG is a file of\n"
	      "\"key = value\" lines ('#' starts a comment); the same keys are options, which\n"
	      "override the file. Relative paths in CONFIG are relative to its folder.\n"
	      "\n"
	      "  uploads DIR      node upload folders to collect (optional: no collect step)\n"
	      "  updates DIR      tarballs of updates (required)\n"
	      "  index FILE       the SQLite index (required)\n"
	      "  state DIR        saved session states (required)\n"
	      "  results DIR      result tables (required)\n"
	      "  plots DIR        plots and index.html (required)\n"
	      "  database FILE.sqlite|postgresql://...\n"
	      "                   also publish the tables into one SQLite file or a\n"
	      "                   PostgreSQL schema, as bpass run --out does (optional)\n"
	      "  processors LIST  processors to run, comma or space separated (default: all)\n"
	      "  plugins LIST     processor plugins (.so) to load, comma or space separated\n"
	      "  options LIST     processor options PROCESSOR.NAME=VALUE, as run -o, space\n"
	      "                   separated (values without spaces or commas)\n"
	      "  workers N        worker processes for run (default: one per core)\n"
	      "  anonymized DIR   also keep anonymized copies of the tarballs there (optional)\n"
	      "  lock FILE        the lock file (default: INDEX.hourly.lock)\n"
	      "  stale-lock TIME  a run holding the lock longer is hung: exit 1 (default 6h;\n"
	      "                   0: never)\n"
	      "  svg yes|no       also draw SVG plots (default no)\n"
	      "  quiet-period S   collect only uploads unchanged for S seconds (default 60)\n"
	      "  anonymize-key FILE       anonymize with HMAC-SHA256 keyed by FILE (recommended)\n"
	      "  anonymize-manifest FILE  anonymize also lists clear name -> copy in FILE\n"
	      "\n"
	      "      --wait      wait for a previous hourly run to finish instead of exiting 0\n"
	      "                  (not past stale-lock)\n"
	      "      --force     run and plot even when nothing is new\n"
	      "  -q, --quiet     print only the step lines and errors\n"
	      "  -h, --help      this help\n", f);
}

int cmd_hourly(int argc, char **argv)
{
	enum { O_WAIT = 1000, O_FORCE };
	/* One option per configuration key (its value is the key), then the rest. */
	struct option opts[HOURLY_KEY_COUNT + 5];
	for (int k = 0; k < HOURLY_KEY_COUNT; k++)
		opts[k] = (struct option){hourly_key_name(k), required_argument, NULL, k};
	opts[HOURLY_KEY_COUNT + 0] = (struct option){"wait", no_argument, NULL, O_WAIT};
	opts[HOURLY_KEY_COUNT + 1] = (struct option){"force", no_argument, NULL, O_FORCE};
	opts[HOURLY_KEY_COUNT + 2] = (struct option){"quiet", no_argument, NULL, 'q'};
	opts[HOURLY_KEY_COUNT + 3] = (struct option){"help", no_argument, NULL, 'h'};
	opts[HOURLY_KEY_COUNT + 4] = (struct option){NULL, 0, NULL, 0};
	struct hourly_config c = {0};
	struct hourly_options o = {0};
	int ch, rc = EXIT_USAGE;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		if (ch >= 0 && ch < HOURLY_KEY_COUNT) {
			hourly_config_set(&c, ch, optarg);
		} else if (ch == O_WAIT) {
			o.wait = true;
		} else if (ch == O_FORCE) {
			o.force = true;
		} else if (ch == 'q') {
			o.quiet = true;
			log_set_quiet(true);
		} else if (ch == 'h') {
			usage(stdout);
			rc = EXIT_OK;
			goto out;
		} else {
			cli_bad_option(ch, argv);
			usage(stderr);
			goto out;
		}
	}
	if (argc - optind > 1) {
		log_error("expected at most one CONFIG file");
		usage(stderr);
		goto out;
	}
	if (argc - optind == 1 && hourly_config_read(&c, argv[optind]) < 0)
		goto out;
	for (int k = 0; k < HOURLY_KEY_COUNT; k++)
		if (hourly_key_required(k) && !c.val[k]) {
			log_error("missing \"%s\": set it in CONFIG or with --%s", hourly_key_name(k),
				  hourly_key_name(k));
			usage(stderr);
			goto out;
		}
	if (hourly_config_check(&c) < 0)
		goto out;
	o.exe = getenv("BPASS_HOURLY_EXE");
	rc = hourly_run(&c, &o) < 0 ? EXIT_FAILURES : EXIT_OK;
out:
	hourly_config_release(&c);
	return rc;
}
