/*
 * tools/cmd_anonymize.c: `bpass anonymize SRC_DIR DST_DIR [--key FILE]
 * [--manifest FILE]`: the command line of ops/anonymize.h (which describes
 * the copies): usage, the key file, the summary line and the exit status.
 */
#include <stdio.h>
#include <stdlib.h>

#include "anonymize.h"
#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "ops_cli.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("anonymize");
		return;
	}
	fputs("usage: bpass anonymize SRC_DIR DST_DIR [--key FILE] [--manifest FILE] [-q]\n"
	      "\n"
	      "Writes an anonymized copy of every tarball SRC_DIR/*.tar into DST_DIR: node ids\n"
	      "replaced by their hash, UNANONYMIZED updates left out, each copy named\n"
	      "<hash(node)>_<date>_<time>_<md5 of the copy>.tar. Tarballs copied before are\n"
	      "skipped. The hash is md5 (compatible, but reversed by brute force in seconds)\n"
	      "or, with --key, HMAC-SHA256 (recommended; see docs/operations.md).\n"
	      "\n"
	      "      --key FILE       HMAC-SHA256 with the secret key in FILE (at least 16\n"
	      "                       bytes; one trailing newline is not part of it)\n"
	      "      --manifest FILE  also append \"clear name<TAB>copy\" lines to FILE, which\n"
	      "                       must be outside DST_DIR\n"
	      "  -q, --quiet          print only errors\n"
	      "  -h, --help           this help\n", f);
}

int cmd_anonymize(int argc, char **argv)
{
	const char *dirs[2];
	struct anonymize_options o = {0};
	const struct ops_cli_option extra[] = {
		{"key", &o.key_path}, {"manifest", &o.manifest}, {NULL, NULL},
	};
	int rc = ops_cli_parse(argc, argv, usage, "expected SRC_DIR and DST_DIR", extra, dirs);
	if (rc >= 0)
		return rc;
	if (anonymize_check(dirs[0], dirs[1], &o) < 0)
		return EXIT_USAGE;
	struct buf key;
	buf_init(&key);
	if (o.key_path) {
		if (anonymize_key_read(o.key_path, &key) < 0) {
			buf_release(&key);
			return EXIT_FAILURES;
		}
		if (anonymize_key_check(o.key_path, &key) < 0) {
			buf_release(&key);
			return EXIT_USAGE;
		}
		o.key = key.data;
		o.key_len = key.len;
	}
	struct anonymize_stats st;
	rc = anonymize_run(dirs[0], dirs[1], &o, &st);
	buf_release(&key);
	if (st.found || rc == 0)
		log_info("anonymized %lu tarball%s (%lu update%s kept, %lu UNANONYMIZED and %lu "
			 "unreadable left out); %lu already done, %lu skipped",
			 st.tarballs, st.tarballs == 1 ? "" : "s", st.kept, st.kept == 1 ? "" : "s",
			 st.unanonymized, st.unreadable, st.already, st.skipped);
	return rc < 0 ? EXIT_FAILURES : EXIT_OK;
}
