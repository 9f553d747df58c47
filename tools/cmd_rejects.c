/*
 * tools/cmd_rejects.c: `bpass rejects INDEX [--csv]`: what the indexer
 * rejected, one row per rejected member or tarball and per conflicting
 * duplicate, ordered by tarball name: tarball, member (empty for the whole
 * tarball), line (empty when unknown), kind ("rejected", or "conflict" for an
 * update whose key was stored with other content), reason. Aligned text by default, CSV with --csv. Names and reasons are
 * escaped (common/escape.h): they come from the tarballs.
 */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "escape.h"
#include "listing.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("rejects");
		return;
	}
	fputs("usage: bpass rejects INDEX [--csv]\n"
	      "\n"
	      "Lists the members and tarballs the indexer rejected, with the reason.\n"
	      "An empty member column means the whole tarball (wrong md5, unreadable or\n"
	      "damaged archive: see the reason). Kind \"conflict\": a member holding an\n"
	      "update whose key (node, context, session, seq) was already stored with other\n"
	      "content; the stored one was kept.\n"
	      "\n"
	      "  --csv         comma-separated values instead of aligned text\n"
	      "  -h, --help    this help\n", f);
}

struct fill_ctx {
	struct table *t;
	struct buf esc;
};

/* Names and reasons come from tarballs: escaped (escape.h). */
static int add_row(void *arg, const struct index_reject *r)
{
	struct fill_ctx *c = arg;
	table_add(c->t, escape_str(&c->esc, r->tarball));
	table_add(c->t, escape_str(&c->esc, r->member ? r->member : ""));
	if (r->line)
		table_add_i64(c->t, r->line);
	else
		table_add(c->t, "");
	table_add(c->t, index_reject_kind_name(r->kind));
	table_add(c->t, escape_str(&c->esc, r->reason));
	return 0;
}

static int fill(struct index_db *db, struct table *t)
{
	struct fill_ctx c = { .t = t };
	buf_init(&c.esc);
	int rc = index_db_rejects(db, add_row, &c);
	buf_release(&c.esc);
	return rc;
}

int cmd_rejects(int argc, char **argv)
{
	static const char *const head[] = { "tarball", "member", "line", "kind", "reason" };
	static const struct listing l = {
		.what = "reject list",
		.usage = usage,
		.ncols = 5,
		.head = head,
		.align = "llrll",
		.fill = fill,
	};
	return listing_run(&l, argc, argv);
}
