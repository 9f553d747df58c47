/*
 * tools/cmd_rejects.c: `bpass rejects INDEX [--csv]`: what the indexer
 * rejected, one row per rejected member or tarball, ordered by tarball name:
 * tarball, member (empty for the whole tarball), line (empty when unknown),
 * reason. Aligned text by default, CSV with --csv.
 */
#include <stdio.h>

#include "commands.h"
#include "listing.h"

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

static int fill(struct index_db *db, struct table *t)
{
	return index_db_rejects(db, add_row, t);
}

int cmd_rejects(int argc, char **argv)
{
	static const char *const head[] = { "tarball", "member", "line", "reason" };
	static const struct listing l = {
		.what = "reject list",
		.usage = usage,
		.ncols = 4,
		.head = head,
		.align = "llrl",
		.fill = fill,
	};
	return listing_run(&l, argc, argv);
}
