/*
 * common/csv.h: writing CSV fields by RFC 4180, the one quoting rule of
 * every CSV bpass writes (result tables, bpass sessions --csv, rejects).
 *
 * A field is written as it is unless it holds a comma, a double quote, CR or
 * LF; then it is put in double quotes, with each double quote doubled. The
 * separators (',' between fields, '\n' after a record) are the caller's.
 * Reading CSV back is plot/plot_csv.h.
 */
#ifndef COMMON_CSV_H
#define COMMON_CSV_H

#include "buf.h"

/* Appends s (a C string, borrowed) to out as one CSV field. */
void csv_put_field(struct buf *out, const char *s);

#endif
