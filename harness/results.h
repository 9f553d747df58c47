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

#endif
