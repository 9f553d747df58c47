/*
 * tools/cmd_sessions.c: `bpass sessions INDEX [--csv]`: one row per session
 * of the index, ordered by node, context and session id: node_id,
 * anonymization_context, session_id, updates, duplicates, first_seq,
 * last_seq, first_gap (empty when the session has no gap). Aligned text by
 * default, CSV with --csv.
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
	fputs("usage: bpass sessions INDEX [--csv]\n"
	      "\n"
	      "Lists the sessions of an index: node, anonymization context, session id,\n"
	      "updates, duplicates dropped, first and last sequence numbers, and the first\n"
	      "missing sequence number after the first (empty when none).\n"
	      "\n"
	      "  --csv         comma-separated values instead of aligned text\n"
	      "  -h, --help    this help\n", f);
}

static int add_row(void *arg, const struct index_session *s)
{
	struct table *t = arg;
	table_add(t, s->node_id);
	table_add(t, s->context);
	table_add_i64(t, s->session_id);
	table_add_i64(t, s->updates);
	table_add_i64(t, s->duplicates);
	table_add_i64(t, s->first_seq);
	table_add_i64(t, s->last_seq);
	if (s->first_gap >= 0)
		table_add_i64(t, s->first_gap);
	else
		table_add(t, "");
	return 0;
}

int cmd_sessions(int argc, char **argv)
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
	static const char *const head[] = {
		"node_id", "anonymization_context", "session_id", "updates", "duplicates",
		"first_seq", "last_seq", "first_gap",
	};
	struct index_db *db;
	if (index_db_open(&db, argv[optind], INDEX_OPEN_READ))
		return EXIT_FAILURES;
	struct table t;
	table_init(&t, 8, head, "llrrrrrr");
	int rc = index_db_sessions(db, add_row, &t);
	index_db_close(db);
	if (rc == 0 && table_print(&t, stdout, csv))
		rc = log_error("could not write the session list: %s", strerror(errno ? errno : EIO));
	table_release(&t);
	return rc ? EXIT_FAILURES : EXIT_OK;
}
