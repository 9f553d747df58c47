/*
 * tools/cmd_parse.c: `bpass parse FILE... [--json]`: reads update files
 * (gzipped as the routers wrote them, or plain text), parses each one and
 * prints a one-line summary per file, or with --json one JSON object per
 * file per line. A file that cannot be read or parsed gets a located message
 * ("bpass: error: FILE: line N (section NAME): MSG") and the next file is tried;
 * the exit status is then 1. Gzip is recognized by its magic bytes and
 * inflated by the tarball reader's tarball_gunzip, so a file is accepted or
 * rejected exactly as the same member inside a tarball would be by bpass index.
 * File names and node ids are printed escaped (common/escape.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "escape.h"
#include "log.h"
#include "tarball.h"
#include "update.h"

#define PARSE_MAX_INFLATED TARBALL_MAX_INFLATED

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("parse");
		return;
	}
	fputs("usage: bpass parse FILE... [--json]\n"
	      "\n"
	      "Parses bismark-passive update files (gzipped or plain text, versions 1-5)\n"
	      "and prints one summary line per file, or one JSON object per line.\n"
	      "\n"
	      "  -j, --json    print each update as a JSON object\n"
	      "  -h, --help    this help\n", f);
}

/* Reads path into out; name is path escaped for messages. */
static int read_file(const char *path, const char *name, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return log_error("could not open \"%s\": %s", name, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return log_error("cannot parse \"%s\": it is a folder, not an update file", name);
	}
	buf_reset(out);
	char chunk[65536];
	size_t n;
	errno = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > PARSE_MAX_INFLATED) {
			fclose(f);
			return log_error("could not read \"%s\": larger than 64 MiB", name);
		}
		buf_append(out, chunk, n);
	}
	int bad = ferror(f), e = errno;
	fclose(f);
	if (bad)
		return log_error("could not read \"%s\": %s", name, strerror(e ? e : EIO));
	return 0;
}

/* The summary line; name is the file name, escaped. */
static void summary(const char *name, const struct bpass_update *u, struct buf *out)
{
	buf_printf(out, "%s: node ", name);
	escape_append(out, u->node_id);
	buf_printf(out, " session %lld seq %d version %d packets %u flows %u "
		   "A %u CNAME %u addresses %u", (long long)u->session_id,
		   u->sequence, u->version, u->n_packets, u->n_flows, u->n_a_records,
		   u->n_cname_records, u->n_addresses);
}

struct parse_ctx {
	struct buf raw, text, out, name, msg;
	struct update_buf ub;
	struct tarball_reader *gz;
	bool json;
};

static int parse_one(struct parse_ctx *c, const char *path)
{
	const char *name = escape_str(&c->name, path);
	if (read_file(path, name, &c->raw))
		return -1;
	struct buf *text = &c->raw;
	if (c->raw.len >= 2 && (unsigned char)c->raw.data[0] == 0x1f &&
	    (unsigned char)c->raw.data[1] == 0x8b) {
		const char *reason;
		if (tarball_gunzip(c->gz, c->raw.data, c->raw.len, &c->text, &reason))
			return log_error("could not gunzip \"%s\": %s", name, reason);
		text = &c->text;
	}
	struct update_error err;
	buf_reset(&c->out);
	if (update_parse(&c->ub, text->data, text->len, &err)) {
		update_error_format(&err, path, NULL, &c->out);   /* escaped as a whole */
		return log_error("%s", escape_str(&c->msg, c->out.data));
	}
	if (err.warning[0])
		log_warn("%s: %s", name, escape_str(&c->msg, err.warning));
	if (c->json)
		update_format_json(&c->ub.u, &c->out);
	else
		summary(name, &c->ub.u, &c->out);
	buf_putc(&c->out, '\n');
	fwrite(c->out.data, 1, c->out.len, stdout);
	return 0;
}

int cmd_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct parse_ctx c;
	memset(&c, 0, sizeof(c));
	int o;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			c.json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			cli_bad_option(o, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_error("no update file given");
		usage(stderr);
		return EXIT_USAGE;
	}
	buf_init(&c.raw);
	buf_init(&c.text);
	buf_init(&c.out);
	buf_init(&c.name);
	buf_init(&c.msg);
	update_buf_init(&c.ub);
	c.gz = tarball_reader_new();
	int failures = 0;
	for (int i = optind; i < argc; i++)
		if (parse_one(&c, argv[i]))
			failures++;
	fflush(stdout);
	update_buf_release(&c.ub);
	tarball_reader_free(c.gz);
	buf_release(&c.raw);
	buf_release(&c.text);
	buf_release(&c.out);
	buf_release(&c.name);
	buf_release(&c.msg);
	return failures ? EXIT_FAILURES : EXIT_OK;
}
