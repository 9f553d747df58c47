/*
 * tools/cmd_anonymize.c: `bpass anonymize SRC_DIR DST_DIR`: the command line
 * of ops/anonymize.h (which describes the copies): usage, the summary line
 * and the exit status.
 */
#include <stdio.h>
#include <stdlib.h>

#include "anonymize.h"
#include "commands.h"
#include "log.h"
#include "ops_cli.h"

static void usage(FILE *f)
{
	fputs("usage: bpass anonymize SRC_DIR DST_DIR [-q]\n"
	      "\n"
	      "Writes an anonymized copy of every tarball SRC_DIR/*.tar into DST_DIR: node ids\n"
	      "replaced by their md5, UNANONYMIZED updates left out, each copy named\n"
	      "<md5(node)>_<date>_<time>_<md5 of the copy>.tar. Tarballs copied before\n"
	      "(listed in DST_DIR/.anonymize-manifest) are skipped.\n"
	      "\n"
	      "  -q, --quiet   print only errors\n"
	      "  -h, --help    this help\n", f);
}

int cmd_anonymize(int argc, char **argv)
{
	const char *dirs[2];
	int rc = ops_cli_parse(argc, argv, usage, "expected SRC_DIR and DST_DIR", NULL, dirs);
	if (rc >= 0)
		return rc;
	struct anonymize_stats st;
	rc = anonymize_run(dirs[0], dirs[1], &st);
	if (st.found || rc == 0)
		log_info("anonymized %lu tarball%s (%lu update%s kept, %lu UNANONYMIZED and %lu "
			 "unreadable left out); %lu already done, %lu skipped",
			 st.tarballs, st.tarballs == 1 ? "" : "s", st.kept, st.kept == 1 ? "" : "s",
			 st.unanonymized, st.unreadable, st.already, st.skipped);
	return rc < 0 ? EXIT_FAILURES : EXIT_OK;
}
