/*
 * processors/serial.h: strict reading helpers for the built-in processors'
 * load callbacks. Each returns 0, or -1 when the next value is missing, of
 * another type or out of range, so a load can reject malformed data with
 * `if (serial_...(...)) return -1;`. serial_put_str is the one writing
 * helper: an interned string, for the save callbacks.
 */
#ifndef PROCESSORS_SERIAL_H
#define PROCESSORS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass.h"
#include "strtab.h"

/* An array of exactly n values. */
int serial_array(struct bpass_reader *r, uint32_t n);
/* An array of any length; its length in *n. */
int serial_array_any(struct bpass_reader *r, uint32_t *n);
/* An integer in [min, max]. */
int serial_i64(struct bpass_reader *r, int64_t min, int64_t max, int64_t *v);
int serial_u64(struct bpass_reader *r, uint64_t max, uint64_t *v);
int serial_u32(struct bpass_reader *r, uint32_t *v);
int serial_i32(struct bpass_reader *r, int32_t *v);
int serial_u8(struct bpass_reader *r, uint8_t *v);
int serial_bool(struct bpass_reader *r, bool *v);
/* A string without NUL bytes (borrowed, not NUL-terminated). */
int serial_str(struct bpass_reader *r, const char **s, size_t *len);

/* Writes string id of t (strtab_intern) as a string value. */
void serial_put_str(struct bpass_writer *w, const struct strtab *t, uint32_t id);

#endif
