/*
 * tools/cmd_state.c: `bpass state STATE_DIR NODE_ID SESSION_ID [--run-name N]
 * [--json]`: prints the saved state of a session (of every anonymization
 * context the node used with that session id): the container's header and
 * each processor's part, decoded generically from msgpack, as indented text
 * or as one JSON object per state file.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "state_dump.h"
#include "state_file.h"
#include "state_reader.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("state");
		return;
	}
	fputs("usage: bpass state STATE_DIR NODE_ID SESSION_ID [--run-name NAME] [--json]\n"
	      "\n"
	      "Prints the saved state of a session: the header of its state file and every\n"
	      "processor's part (version, last sequence number processed, updates\n"
	      "processed, and the values it saved), decoded generically. A negative\n"
	      "SESSION_ID goes after \"--\".\n"
	      "\n"
	      "      --run-name NAME   the run's state folder (default \"default\")\n"
	      "      --json            one JSON object per state file\n"
	      "  -h, --help            this help\n",
	      f);
}

/* Appends the values of one processor's data. Returns false when unreadable. */
static bool dump_data(const struct state_entry *e, bool json, struct buf *out)
{
	struct state_reader rd;
	state_reader_init(&rd);
	state_reader_reset(&rd, e->data, e->data_len);
	bool first = true;
	if (json)
		buf_putc(out, '[');
	while (!state_reader_done(&rd)) {
		const msgpack_object *o = state_reader_next(&rd);
		if (!o)
			break;
		if (json) {
			if (!first)
				buf_puts(out, ", ");
			state_dump_json(o, out);
		} else {
			buf_puts(out, "    ");
			state_dump_text(o, 4, out);
			buf_putc(out, '\n');
		}
		first = false;
	}
	bool ok = !rd.failed && state_reader_done(&rd);
	if (json)
		buf_putc(out, ']');
	else if (!ok)
		buf_puts(out, "    (the rest of the data is not readable msgpack)\n");
	state_reader_release(&rd);
	return ok;
}

static int dump_file(const char *path, bool json)
{
	struct buf data, err, out;
	buf_init(&data);
	buf_init(&err);
	buf_init(&out);
	struct state_file sf;
	state_file_init(&sf);
	int rc = 0;
	int r = state_file_read(path, &data);
	if (r != 0) {
		rc = log_error("could not read state file \"%s\": %s", path,
			       r == 1 ? "No such file or directory" : strerror(errno));
		goto out;
	}
	if (state_file_parse(&sf, data.data, data.len, NULL, &err)) {
		rc = log_error("could not read state file \"%s\": %s", path, err.data);
		goto out;
	}
	if (json) {
		buf_puts(&out, "{\"file\": ");
		buf_put_json_str(&out, path);
		buf_printf(&out, ", \"format\": %u, \"kind\": \"%s\", \"node_id\": ", sf.format,
			   sf.kind == STATE_KIND_GLOBAL ? "global" : "session");
		buf_put_json_str(&out, sf.node_id.data);
		buf_puts(&out, ", \"context\": ");
		buf_put_json_str(&out, sf.context.data);
		buf_printf(&out, ", \"session_id\": %" PRId64 ", \"processors\": [", sf.session_id);
	} else {
		buf_printf(&out, "state file \"%s\"\n  format %u, %s ", path, sf.format,
			   sf.kind == STATE_KIND_GLOBAL ? "global" : "session");
		session_key_format(&(struct bpass_session_key){sf.node_id.data, sf.context.data,
							       sf.session_id}, &out);
		buf_putc(&out, '\n');
	}
	for (uint32_t i = 0; i < sf.n; i++) {
		const struct state_entry *e = &sf.e[i];
		if (json) {
			buf_puts(&out, i ? ", {\"name\": \"" : "{\"name\": \"");
			buf_append(&out, e->name, e->name_len);
			buf_printf(&out, "\", \"version\": %u, \"last_seq\": %" PRId32
				   ", \"updates_processed\": %" PRIu64 ", \"data\": ",
				   e->version, e->last_seq, e->updates_processed);
		} else {
			buf_puts(&out, "  processor \"");
			buf_append(&out, e->name, e->name_len);
			buf_printf(&out, "\" version %u, last_seq %" PRId32 ", updates_processed %" PRIu64
				   ", %zu bytes:\n", e->version, e->last_seq, e->updates_processed,
				   e->data_len);
		}
		if (!dump_data(e, json, &out) && json)
			rc = log_error("state file \"%s\": the data of a processor is not readable",
				       path);
		if (json)
			buf_putc(&out, '}');
	}
	if (json)
		buf_puts(&out, "]}\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	state_file_release(&sf);
	buf_release(&data);
	buf_release(&err);
	buf_release(&out);
	return rc;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int cmd_state(int argc, char **argv)
{
	enum { O_RUN = 256, O_JSON };
	static const struct option opts[] = {
		{"run-name", required_argument, NULL, O_RUN},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *run = "default";
	bool json = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_RUN:
			run = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			cli_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 3) {
		log_error("expected STATE_DIR NODE_ID SESSION_ID");
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *node = argv[optind + 1], *sid_text = argv[optind + 2];
	char *end;
	errno = 0;
	long long sid = strtoll(sid_text, &end, 10);
	if (!*sid_text || *end || errno) {
		log_error("invalid session id \"%s\"", sid_text);
		usage(stderr);
		return EXIT_USAGE;
	}
	struct buf dir, prefix, suffix, path;
	buf_init(&dir);
	buf_init(&prefix);
	buf_init(&suffix);
	buf_init(&path);
	buf_printf(&dir, "%s/%s", argv[optind], run);
	state_file_node_prefix(node, &prefix);
	buf_printf(&suffix, "_%lld.state", sid);
	struct dirent **names;
	int n = scandir(dir.data, &names, NULL, name_cmp);
	int rc = EXIT_OK, found = 0;
	if (n < 0) {
		rc = EXIT_FAILURES;
		log_error("could not read state folder \"%s\": %s", dir.data, strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		if (!strncmp(nm, prefix.data, prefix.len) && len > prefix.len + suffix.len &&
		    !strcmp(nm + len - suffix.len, suffix.data) &&
		    !memchr(nm + prefix.len, '_', len - prefix.len - suffix.len)) {
			buf_reset(&path);
			buf_printf(&path, "%s/%s", dir.data, nm);
			found++;
			if (dump_file(path.data, json))
				rc = EXIT_FAILURES;
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (n >= 0 && !found) {
		log_error("no saved state for session %lld of node \"%s\" in \"%s\"", sid, node,
			  dir.data);
		rc = EXIT_FAILURES;
	}
	buf_release(&dir);
	buf_release(&prefix);
	buf_release(&suffix);
	buf_release(&path);
	return rc;
}
