/*
 * tools/cmd_show.c: `bpass show INDEX NODE_ID SESSION_ID SEQ [--json]
 * [--context C]`: decodes one stored update and prints it in the update text
 * format (so it diffs equal to the original file) or as one JSON object.
 * Options are parsed by hand so that a negative SESSION_ID (-1, from version 1
 * routers) is an argument, not an option. Arguments are escaped in messages
 * (common/escape.h); the update itself is printed as stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "escape.h"
#include "index_db.h"
#include "log.h"
#include "update.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("show");
		return;
	}
	fputs("usage: bpass show INDEX NODE_ID SESSION_ID SEQ [--json] [--context C]\n"
	      "\n"
	      "Prints one indexed update in the update text format, or as JSON.\n"
	      "\n"
	      "  -j, --json       one JSON object instead of the text format\n"
	      "  -c, --context C  the anonymization context (40 hex or UNANONYMIZED), when a\n"
	      "                   node has the same session id under several contexts\n"
	      "  -h, --help       this help\n", f);
}

static int parse_i64(const char *s, const char *what, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		struct buf e;
		buf_init(&e);
		log_error("invalid %s \"%s\": expected an integer", what, escape_str(&e, s));
		buf_release(&e);
		return -1;
	}
	*out = v;
	return 0;
}

static int show(const char *path, const char *node, int64_t sid, int32_t seq,
		const char *context, bool json)
{
	struct index_db *db;
	if (index_db_open(&db, path, INDEX_OPEN_READ))
		return -1;
	int rc = -1;
	struct index_session s;
	struct index_update_iter *it = NULL;
	struct update_buf ub;
	struct buf out, en, ep, ec;   /* en, ep, ec: node, path, context escaped for messages */
	update_buf_init(&ub);
	buf_init(&out);
	buf_init(&en);
	buf_init(&ep);
	buf_init(&ec);
	escape_str(&en, node);
	escape_str(&ep, path);
	escape_str(&ec, context ? context : "");
	int found = index_db_find_session(db, &(struct bpass_session_key){node, context, sid}, &s);
	if (found < 0)
		goto done;
	if (found == 0) {
		log_error("no session %lld of node \"%s\"%s%s%s in index \"%s\"", (long long)sid,
			  en.data, context ? " with context \"" : "", ec.data, context ? "\"" : "",
			  ep.data);
		goto done;
	}
	if (index_db_updates_begin(db, s.id, seq - 1, &it))
		goto done;
	int32_t got;
	const void *blob;
	size_t len;
	int n = seq == INT32_MIN ? 0 : index_db_updates_next(it, &got, &blob, &len);
	if (n < 0)
		goto done;
	if (n == 0 || got != seq) {
		log_error("no update %d in session %lld of node \"%s\" in index \"%s\" (it has %u "
			  "updates, %d to %d)", seq, (long long)sid, en.data, ep.data, s.updates,
			  s.first_seq, s.last_seq);
		goto done;
	}
	struct update_error err;
	memset(&err, 0, sizeof(err));
	if (blob_decode(&ub, blob, len, &err)) {
		log_error("could not decode update %d of session %lld of node \"%s\" in index "
			  "\"%s\": %s", seq, (long long)sid, en.data, ep.data, err.msg);
		goto done;
	}
	if (json) {
		update_format_json(&ub.u, &out);
		buf_putc(&out, '\n');
	} else {
		update_format_text(&ub.u, &out);
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		log_error("could not write the update: %s", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	index_db_updates_end(it);
	index_db_close(db);
	update_buf_release(&ub);
	buf_release(&out);
	buf_release(&en);
	buf_release(&ep);
	buf_release(&ec);
	return rc;
}

/* A message about the argument a (escaped: it may hold anything). */
static void option_error(const char *fmt, const char *a)
{
	struct buf e;
	buf_init(&e);
	log_error(fmt, escape_str(&e, a));
	buf_release(&e);
}

int cmd_show(int argc, char **argv)
{
	const char *pos[4];
	int npos = 0;
	const char *context = NULL;
	bool json = false, only_args = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool option = !only_args && a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
		if (!option) {
			if (npos == 4) {
				log_error("too many arguments");
				usage(stderr);
				return EXIT_USAGE;
			}
			pos[npos++] = a;
		} else if (!strcmp(a, "--")) {
			only_args = true;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--context")) {
			if (i + 1 >= argc) {
				option_error("option \"%s\" needs an argument", a);
				usage(stderr);
				return EXIT_USAGE;
			}
			context = argv[++i];
		} else if (!strncmp(a, "--context=", 10)) {
			context = a + 10;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			option_error("unknown option \"%s\"", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (npos != 4) {
		log_error("expected INDEX NODE_ID SESSION_ID SEQ");
		usage(stderr);
		return EXIT_USAGE;
	}
	int64_t sid, seq;
	if (parse_i64(pos[2], "SESSION_ID", INT64_MIN, INT64_MAX, &sid) ||
	    parse_i64(pos[3], "SEQ", INT32_MIN, INT32_MAX, &seq)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return show(pos[0], pos[1], sid, (int32_t)seq, context, json) ? EXIT_FAILURES : EXIT_OK;
}
