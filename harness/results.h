/*
 * harness/results.h: the result tables writer behind struct bpass_results.
 *
 * Each table becomes one file in the output folder: NAME.csv (RFC 4180: a
 * header row, fields quoted when they hold a comma, a quote or a line break,
 * quotes doubled) or, in JSON mode, NAME.jsonl (one JSON object per row,
 * keys in column order). Cells: integers in decimal; f64 as %.17g (JSON:
 * null when not finite); null as an empty field (JSON null); iso_us as
 * 2012-05-15T18:00:00.512345Z and iso_s as 2012-05-15T18:00:00Z, in UTC
 * (time_iso_us and time_iso_s of timeutil.h).
 * A table is written under a temporary name and renamed when closed, so a
 * reader never sees half a table.
 *
 * Beside each table NAME goes its column types, .NAME.types (hidden, so it
 * is never published with the tables): one line per column, in order, the
 * letters of the kinds of cell written into it (RESULTS_KIND_*: i integer,
 * U unsigned integer above INT64_MAX, f f64, s string, t iso_us, T iso_s;
 * "-": only nulls, or no rows), a tab and the column's name. The database
 * sinks (harness/sink.h) type their columns from it.
 *
 * Errors (I/O, a row with the wrong number of cells, a bad or repeated table
 * name) are printed once, make row_end/close return -1 and mark the whole
 * results object failed (results_failed).
 */
#ifndef HARNESS_RESULTS_H
#define HARNESS_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"

struct results {
	struct bpass_results r;    /* hand &res.r to write_results; r.impl is res */
	char *dir;                 /* output folder (owned) */
	bool json;
	bool failed;
	struct buf names;          /* names of the tables opened, each followed by '\n' */
	struct bpass_table *open;  /* tables not closed yet (dropped by results_release) */
};

/* The kinds of cell a column held (bits; see .NAME.types above). */
enum results_kind {
	RESULTS_KIND_I64 = 1 << 0,     /* i64, or u64 up to INT64_MAX */
	RESULTS_KIND_U64_BIG = 1 << 1, /* u64 above INT64_MAX */
	RESULTS_KIND_F64 = 1 << 2,
	RESULTS_KIND_STR = 1 << 3,
	RESULTS_KIND_ISO_US = 1 << 4,
	RESULTS_KIND_ISO_S = 1 << 5,
};
#define RESULTS_TYPES_SUFFIX ".types"
/* Appends the letters of kinds ("-" for none). */
void results_kinds_format(struct buf *out, uint8_t kinds);
/* Reads len letters at s back. Returns 0, or -1 for an unknown letter. */
int results_kinds_parse(const char *s, size_t len, uint8_t *kinds);

/* Creates dir (and its parents) when missing. Returns 0, or -1 after a message. */
int results_init(struct results *res, const char *dir, bool json);
/* Drops the tables a processor left open (their temporary files are
 * removed, and results_failed becomes true), then frees everything. */
void results_release(struct results *res);
bool results_failed(const struct results *res);

/* Removes the tables (*.csv, *.jsonl) of the output folder that were not
 * written through res, e.g. those of processors a previous run selected.
 * Only for a folder that bpass owns. Returns the number removed. */
int results_remove_others(struct results *res);

/*
 * Publishing a run's tables all together (or not at all): they are written
 * into a staging folder, OUT/.staging.PID (one results object per writer,
 * each in a folder of its own under it), and only moved into OUT, one
 * rename each, once everything is written. A run killed before leaves the
 * previous tables as they were; its staging folder is removed by the next
 * run that stages into OUT.
 *   results_stage(out, &stage)
 *   ... results_init(&res, stage/NAME, json) ... write ... results_release
 *   results_publish(out, dirs, owners, n, json, remove_others)
 *   results_unstage(stage)
 */
/* Creates OUT (and its parents) and the staging folder OUT/.staging.PID,
 * whose path goes into stage (reset first), after removing the staging
 * folders of runs that are gone (their pid is not running) and atomic_file's
 * leftovers in OUT. Returns 0, or -1 after a message. */
int results_stage(const char *out, struct buf *stage);
/*
 * Moves the tables (NAME.csv, or NAME.jsonl when json) of the folders
 * dirs[0..n) into out, in that order. A name met twice is refused the second
 * time, with a message naming both owners[] (e.g. "bpass", processor "x").
 * Then out is fsynced and, when remove_others, its tables (of either
 * format) that were not published are removed. Returns 0, or -1 after
 * messages (what could be moved is).
 */
int results_publish(const char *out, const char *const *dirs, const char *const *owners,
		    uint32_t n, bool json, bool remove_others);
/* Removes a staging folder, its folders and their files. */
void results_unstage(const char *stage);

#endif
