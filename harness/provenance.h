/*
 * harness/provenance.h: what a result set was computed from, published with
 * it: manifest.json in a results folder, the provenance table in a database
 * (harness/sink.h).
 *
 * It records the bpass version; every processor of the run with its version,
 * where it comes from (built-in or a plugin's path) and the value of each of
 * its options; every plugin file with its SHA-256; the index (path,
 * tarballs, updates); when (UTC) and on which host the tables were written,
 * and the command line; then the tables published, each with the processor
 * that wrote it ("bpass" for sessions), and in bpass's default folder those
 * kept from earlier runs.
 *
 * manifest.json:
 *   {"bpass_version": "0.2.0", "written_iso": "2026-12-02T16:00:00Z",
 *    "host": "h", "command_line": ["bpass", "run", ...],
 *    "index": {"path": "idx", "tarballs": 12, "updates": 3400},
 *    "processors": [{"name": "byte-count", "version": 1, "origin": "built-in",
 *                    "options": {"NAME": "VALUE"}}, ...],
 *    "plugins": [{"path": "p.so", "sha256": "..."}],
 *    "tables": [{"name": "bytes_per_node", "processor": "byte-count"}, ...],
 *    "kept_tables": [{"name": "...", "processor": "..."}]}
 * ("index" is null when unknown, e.g. for `bpass results`.)
 * The provenance table: (item, name, attribute, value), all text, e.g.
 *   ("bpass", "", "version", "0.2.0"), ("run", "", "host", "h"),
 *   ("processor", "byte-count", "version", "1"),
 *   ("processor", "x", "option.window", "30"),
 *   ("plugin", "p.so", "sha256", "..."), ("index", "idx", "updates", "3400"),
 *   ("table", "bytes_per_node", "processor", "byte-count"),
 *   ("manifest", "", "json", the whole manifest.json).
 */
#ifndef HARNESS_PROVENANCE_H
#define HARNESS_PROVENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

struct registry;
struct proc_options;
struct bpass_processor;

struct provenance_proc {
	char *name, *origin;
	uint32_t version;
	uint32_t n_options;
	char **option_names, **option_values;   /* values may be NULL (no default) */
};

struct provenance_plugin {
	char *path;
	char sha256[65];              /* hex, or "" when the file could not be read */
};

struct provenance_table {
	char *name, *processor;
};

struct provenance {
	char *written_iso;
	char *host;
	char **argv;
	uint32_t argc;
	char *index_path;             /* NULL: unknown */
	int64_t index_tarballs, index_updates;
	struct provenance_proc *procs;
	uint32_t n_procs;
	struct provenance_plugin *plugins;
	uint32_t n_plugins;
	struct provenance_table *tables, *kept;
	uint32_t n_tables, n_kept, cap_tables, cap_kept;
};

/* Starts a record of now, this host and the command line (copied; may be
 * empty). Free with provenance_release. */
void provenance_init(struct provenance *p, char *const *argv, uint32_t argc);
void provenance_release(struct provenance *p);
/* Adds processor rp (of registry r, for its plugin's path) and its options
 * as o sets them (NULL: defaults); each plugin file is hashed once. */
void provenance_add_processor(struct provenance *p, const struct registry *r, uint32_t index,
			      const struct proc_options *o);
/* Reads the index's tarball and update counts (-1 each when it cannot be
 * read, with a warning). */
void provenance_set_index(struct provenance *p, const char *path);
/* Adds a table published (kept: from an earlier run). */
void provenance_add_table(struct provenance *p, const char *name, const char *processor,
			  bool kept);

/* Appends manifest.json's text (ends with a newline). */
void provenance_json(const struct provenance *p, struct buf *out);
/* Calls row for every row of the provenance table, in order; stops at the
 * first non-zero return, which it returns. */
int provenance_rows(const struct provenance *p,
		    int (*row)(void *arg, const char *item, const char *name,
			       const char *attribute, const char *value),
		    void *arg);

/* Hex SHA-256 of the file at path into hex (65 bytes). Returns 0 or -1. */
int provenance_sha256_file(const char *path, char hex[65]);

#endif
