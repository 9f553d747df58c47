/*
 * tools/cmd_sessions.c: `bpass sessions INDEX [--csv]`: one row per session
 * of the index, ordered by node, context and session id: node_id,
 * anonymization_context, session_id, updates, duplicates, first_seq,
 * last_seq, first_gap (empty when the session has no gap). Aligned text by
 * default, CSV with --csv.
 */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "escape.h"
#include "listing.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("sessions");
		return;
	}
	fputs("usage: bpass sessions INDEX [--csv]\n"
	      "\n"
	      "Lists the sessions of an index: node, anonymization context, session id,\n"
	      "updates, duplicates dropped, first and last sequence numbers, and the first\n"
	      "missing sequence number after the first (empty when none).\n"
	      "\n"
	      "  --csv         comma-separated values instead of aligned text\n"
	      "  -h, --help    this help\n", f);
}

struct fill_ctx {
	struct table *t;
	struct buf esc;
};

/* The node id comes from the updates' content: escaped (escape.h). */
static int add_row(void *arg, const struct index_session *s)
{
	struct fill_ctx *c = arg;
	struct table *t = c->t;
	table_add(t, escape_str(&c->esc, s->node_id));
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

static int fill(struct index_db *db, struct table *t)
{
	struct fill_ctx c = { .t = t };
	buf_init(&c.esc);
	int rc = index_db_sessions(db, add_row, &c);
	buf_release(&c.esc);
	return rc;
}

int cmd_sessions(int argc, char **argv)
{
	static const char *const head[] = {
		"node_id", "anonymization_context", "session_id", "updates", "duplicates",
		"first_seq", "last_seq", "first_gap",
	};
	static const struct listing l = {
		.what = "session list",
		.usage = usage,
		.ncols = 8,
		.head = head,
		.align = "llrrrrrr",
		.fill = fill,
	};
	return listing_run(&l, argc, argv);
}
