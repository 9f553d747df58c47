/*
 * harness/sink.h: where a run's result tables go, and the one call that puts
 * them there (the end of `bpass run`, and `bpass results`).
 *
 * The tables of a run are always written first into a staging folder
 * (results.h: one folder per writer, NAME.csv or NAME.jsonl with its
 * .NAME.types); sink_publish then hands them to the destination named by
 * --out, all together or not at all:
 *   - a folder (anything else): the tables are renamed into it
 *     (results_publish), with manifest.json (harness/provenance.h) beside
 *     them. In bpass's own default folder a table this run did not write
 *     is removed when the processor that wrote it ran in this run (it
 *     failed, or no longer writes it) and kept otherwise, with a warning
 *     naming it: a run of some processors never deletes the others'
 *     tables. .owners in the folder records which processor wrote which
 *     table.
 *   - FILE.sqlite (also .sqlite3, .db; harness/sink_sqlite.c): a new
 *     SQLite file holding every table of the run and the provenance table,
 *     written under a temporary name, fsynced and renamed over FILE.
 *   - postgresql://... or postgres://... (harness/sink_pg.c): the tables in
 *     a schema (?schema=NAME in the URL, default "bpass"), created when
 *     missing, replaced in one transaction.
 * A database holds the tables of the last run that published into it, and
 * its provenance. Columns are typed from .NAME.types (sink_type_of); the
 * staged tables are JSON Lines for a database (sink_is_database), which
 * keeps nulls apart from empty strings.
 */
#ifndef HARNESS_SINK_H
#define HARNESS_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "jsonl.h"

struct provenance;

enum sink_kind {
	SINK_FOLDER,
	SINK_SQLITE,
	SINK_POSTGRES,
};

/* The kind of destination out names. */
enum sink_kind sink_kind_of(const char *out);
static inline bool sink_is_database(const char *out)
{
	return sink_kind_of(out) != SINK_FOLDER;
}

/* The column types of the databases, from the kinds of cell a column held
 * (enum results_kind bits of results.h). */
enum sink_type {
	SINK_TEXT,       /* strings, no cell at all, or a mixture with strings */
	SINK_INTEGER,    /* integers that fit int64: SQLite INTEGER, PostgreSQL bigint */
	SINK_NUMERIC,    /* integers, one above INT64_MAX: SQLite TEXT, PostgreSQL numeric */
	SINK_REAL,       /* floats, or floats and integers: REAL, double precision */
	SINK_TIME,       /* ISO-8601 UTC times: SQLite TEXT, PostgreSQL timestamptz */
};
enum sink_type sink_type_of(uint8_t kinds);
const char *sink_type_sqlite(enum sink_type t);
const char *sink_type_pg(enum sink_type t);

/* Checks that out can be published to before a run does its work: a
 * database's connection (PostgreSQL) or folder (SQLite). Returns 0, or -1
 * after a message. A folder needs no check. */
int sink_check(const char *out);

/* Where the tables of a run publishing into out are staged: out itself for
 * a folder, else fallback_dir (a folder of bpass's own). */
const char *sink_stage_base(const char *out, const char *fallback_dir);

/* What sink_publish publishes. */
struct sink_publication {
	const char *out;                 /* folder, FILE.sqlite or postgresql:// URL */
	bool default_folder;             /* out is bpass's own (see above) */
	bool json;                       /* the staged tables are JSON Lines */
	const char *const *dirs;         /* staged folders, dirs[0..n) */
	const char *const *procs;        /* the processor that wrote dirs[i], NULL: bpass */
	uint32_t n;
	const char *const *selected;     /* every processor of the run, failed ones too */
	uint32_t n_selected;
	struct provenance *prov;         /* filled with the tables published; NULL: none */
};

/* Publishes the staged tables. Returns 0, or -1 after messages (for a
 * database nothing changed; for a folder what could be moved is). */
int sink_publish(const struct sink_publication *p);

/* ---- the staged tables, as the database sinks read them ---- */

/* One staged table. */
struct sink_table {
	char *name;
	char *path;                      /* its .jsonl, for messages */
	uint32_t n_columns;
	char **columns;
	enum sink_type *types;
	const char *processor;           /* borrowed; NULL: bpass */
	struct buf data;                 /* the whole file */
	size_t pos;
	uint32_t line;
	struct buf scratch;
	struct jsonl_member *members;
};

/* A cell of a row: NULL value for a null. */
struct sink_cell {
	const char *value;               /* NUL-terminated text */
	size_t len;
};

/* Opens dir/NAME.jsonl and dir/.NAME.types. Returns 0, or -1 after a message. */
int sink_table_open(struct sink_table *t, const char *dir, const char *name);
/* Reads the next row into cells[0..n_columns) (borrowed until the next
 * call). Returns 1, 0 at the end, or -1 after a message naming the line. */
int sink_table_next(struct sink_table *t, struct sink_cell *cells);
void sink_table_close(struct sink_table *t);

/* The key columns of a table, from its rows in order (tables are written
 * sorted by their key columns): the shortest prefix of columns without a
 * null that tells every row from the one before. Feed every row, then
 * sink_key_len gives the count (0: none). */
struct sink_key {
	uint32_t n_columns;
	uint32_t len;          /* longest common prefix + 1 so far */
	uint32_t first_null;   /* smallest column index holding a null */
	uint64_t rows;
	struct buf prev;       /* the previous row: per cell a flag byte and its text */
};
void sink_key_init(struct sink_key *k, uint32_t n_columns);
void sink_key_row(struct sink_key *k, const struct sink_cell *cells);
uint32_t sink_key_len(const struct sink_key *k);
void sink_key_release(struct sink_key *k);

/* The backends: publish the tables t[0..n) and the provenance. */
int sink_sqlite_publish(const char *path, struct sink_table *t, uint32_t n,
			const struct provenance *prov);
int sink_pg_publish(const char *url, struct sink_table *t, uint32_t n,
		    const struct provenance *prov);
int sink_pg_check(const char *url);

#endif
