/*
 * tools/cmd_collect.c: `bpass collect UPLOADS_DIR UPDATES_DIR`: the command
 * line of ops/collect.h (which describes what is collected and how a crash
 * is survived): usage, the summary line and the exit status.
 * BPASS_COLLECT_CRASH_AT=member|tmp|journal|rename|unlink|done makes the
 * command exit with status 99 right after that step (for the tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "cli.h"
#include "commands.h"
#include "duration.h"
#include "log.h"
#include "ops_cli.h"

#define CRASH_VAR "BPASS_COLLECT_CRASH_AT"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("collect");
		return;
	}
	fputs("usage: bpass collect UPLOADS_DIR UPDATES_DIR [--quiet-period SECONDS] [-q]\n"
	      "\n"
	      "Moves the uploaded updates UPLOADS_DIR/<NODEID>/*.gz into one tarball per node,\n"
	      "UPDATES_DIR/NODEID_YYYY-MM-DD_HH-MM-SS.tar (UTC), ready for `bpass index`.\n"
	      "Crash-safe: a tarball appears under its name only when complete, and files\n"
	      "are removed only after that; an interrupted run is finished by the next one.\n"
	      "Symbolic links and names that are not UTF-8 are reported and left alone.\n"
	      "\n"
	      "      --quiet-period SECONDS  take only updates unchanged for that long\n"
	      "                              (default 60; 0: any; units s, m, h allowed)\n"
	      "  -q, --quiet                 print only errors\n"
	      "  -h, --help                  this help\n", f);
}

/* The fault-injection hook: dies like a killed process at the step named
 * by $BPASS_COLLECT_CRASH_AT. */
static void crash_point(const char *step, void *arg)
{
	const char *at = arg;
	if (!strcmp(at, step)) {
		fflush(NULL);
		_exit(99);
	}
}

int cmd_collect(int argc, char **argv)
{
	const char *dirs[2], *quiet = NULL;
	const struct ops_cli_option extra[] = {{"quiet-period", &quiet}, {NULL, NULL}};
	int rc = ops_cli_parse(argc, argv, usage, "expected UPLOADS_DIR and UPDATES_DIR", extra,
			       dirs);
	if (rc >= 0)
		return rc;
	if (collect_check(dirs[0], dirs[1]) < 0)
		return EXIT_USAGE;
	struct collect_options o = {.quiet_period = COLLECT_QUIET_PERIOD_DEFAULT};
	if (quiet && duration_parse(quiet, &o.quiet_period) < 0) {
		log_error("invalid --quiet-period \"%s\": expected seconds (or a number with s, m "
			  "or h)", quiet);
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *at = getenv(CRASH_VAR);
	if (at && *at) {
		o.checkpoint = crash_point;
		o.checkpoint_arg = (void *)at;
	}
	struct collect_stats st;
	rc = collect_run(dirs[0], dirs[1], &o, &st);
	char skipped[96] = "";
	if (st.skipped && st.waiting && st.tarballs)
		snprintf(skipped, sizeof(skipped), " (%lu skipped, see above; %lu left for a later "
			 "run)", st.skipped, st.waiting);
	else if (st.waiting && st.tarballs)
		snprintf(skipped, sizeof(skipped), " (%lu left for a later run)", st.waiting);
	else if (st.skipped)
		snprintf(skipped, sizeof(skipped), " (%lu skipped, see above)", st.skipped);
	if (st.tarballs)
		log_info("collected %lu update%s into %lu tarball%s%s", st.updates,
			 st.updates == 1 ? "" : "s", st.tarballs, st.tarballs == 1 ? "" : "s", skipped);
	else if (rc == 0 && st.waiting)
		log_info("nothing to collect yet: %lu update%s still being written%s", st.waiting,
			 st.waiting == 1 ? "" : "s", skipped);
	else if (rc == 0)
		log_info("nothing to collect: no new updates in \"%s\"%s", dirs[0], skipped);
	return rc < 0 ? EXIT_FAILURES : EXIT_OK;
}
