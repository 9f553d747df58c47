/*
 * tools/table.h: a small table printer for the listing commands (sessions,
 * rejects): rows are collected in memory, then printed either as aligned
 * text (a header line, columns separated by two spaces, numbers right-aligned,
 * no trailing spaces) or as CSV (RFC 4180 quoting when a cell needs it).
 */
#ifndef TOOLS_TABLE_H
#define TOOLS_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

struct table {
	uint32_t ncols;
	const char *const *head;   /* borrowed: ncols column names */
	const char *align;         /* borrowed: one 'l' or 'r' per column */
	struct buf cells;          /* every cell, NUL-terminated, row-major */
	size_t *offs;              /* offset of each cell in cells */
	uint32_t n_cells, cap_cells;
	size_t *width;             /* per column */
};

/* head and align must outlive the table. */
void table_init(struct table *t, uint32_t ncols, const char *const *head, const char *align);
void table_release(struct table *t);
/* Appends the next cell (row-major order). */
void table_add(struct table *t, const char *cell);
void table_add_i64(struct table *t, int64_t v);
/* Prints the header and all rows. Returns 0, or -1 when writing failed. */
int table_print(const struct table *t, FILE *f, bool csv);

#endif
