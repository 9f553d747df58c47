/*
 * plot/plot_csv.h: a small streaming reader for the result CSV files that
 * `bpass plot` draws from. It follows RFC 4180: fields are separated by
 * commas, a field may be quoted with '"' (a quote inside is doubled) and may
 * then hold commas and line breaks; records end in LF, CRLF or CR. A UTF-8
 * byte-order mark before the header is skipped, blank lines are skipped, and
 * header names are trimmed of surrounding blanks. Columns are found by their
 * header name, never by position, so a table may gain or lose columns.
 *
 * Records are read one at a time into a buffer the reader reuses, so reading a
 * file of millions of rows allocates nothing once the buffers have grown.
 *
 * JSON Lines tables (`bpass run --json`) read the same way: a path ending in
 * .jsonl, or NAME.csv when only NAME.jsonl exists, is read as one flat JSON
 * object per line (common/jsonl.h); the first object's keys are the header,
 * a null or a missing key is an empty field, a key not in the first object
 * is ignored; a table without rows reads as missing.
 */
#ifndef PLOT_PLOT_CSV_H
#define PLOT_PLOT_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "jsonl.h"

struct plot_csv {
	FILE *f;
	char *path;          /* for messages (owned) */
	struct buf rec;      /* the current record's fields, each NUL-terminated */
	size_t *off;         /* off[i]: start of field i in rec.data */
	uint32_t nfields;    /* fields in the current record */
	uint32_t cap_off;
	char **names;        /* header names (owned), ncols of them */
	uint32_t ncols;
	uint64_t line;       /* physical line where the current record starts (1-based) */
	uint64_t next_line;  /* physical line the next record starts on */
	bool jsonl;          /* a JSON Lines table */
	bool pending;        /* JSON Lines: the first record is read, not yet handed out */
	struct buf text, scratch;   /* JSON Lines: the current line, its members' text */
	struct jsonl_member *members;
	uint32_t cap_members;
};

/* What plot_csv_open returns. */
enum plot_csv_open_result {
	PLOT_CSV_ERROR = -1,    /* unreadable, empty, bad quoting: a message was printed */
	PLOT_CSV_OPEN = 0,
	PLOT_CSV_MISSING = 1,   /* the file does not exist; nothing is printed: an
				 * absent table is normal, its processor did not run */
};
/*
 * Opens path and reads its header row. Returns an enum plot_csv_open_result.
 * Unless PLOT_CSV_OPEN, the reader needs no plot_csv_close (it is safe to
 * call anyway).
 */
int plot_csv_open(struct plot_csv *c, const char *path);

/* Reads the next record. Returns 1 with a record, 0 at the end of the file,
 * -1 after printing why (an unterminated quoted field, a read error). */
int plot_csv_next(struct plot_csv *c);

/* The index of the column whose header is name, or -1 if there is none. */
int plot_csv_column(const struct plot_csv *c, const char *name);

/* Field col of the current record: borrowed until the next plot_csv_next.
 * "" when col is negative or the record has fewer fields. */
const char *plot_csv_field(const struct plot_csv *c, int col);

/* Field col as a number. Surrounding blanks are allowed; anything else after
 * the number is not. Return 0 with *out set, or -1 when the field is absent,
 * empty or not a number (*out untouched). plot_csv_int also takes a decimal
 * like "12.0" when it is whole. */
int plot_csv_int(const struct plot_csv *c, int col, int64_t *out);
int plot_csv_num(const struct plot_csv *c, int col, double *out);

/* Closes the file and frees everything; the reader is then as after a failed
 * open. Safe on a reader whose open failed or was never called after memset 0. */
void plot_csv_close(struct plot_csv *c);

#endif
