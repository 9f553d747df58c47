/*
 * state/state_reader.h: the msgpack reader behind struct bpass_reader, on
 * msgpack-c.
 *
 * The input is a byte range holding a sequence of msgpack values. Each
 * top-level value is unpacked with msgpack_unpack into one msgpack_zone that
 * is cleared and reused (msgpack_unpack_next would free and recreate its
 * zone on every call); strings and binaries are not copied but point into
 * the input. A cursor stack then hands out the elements of arrays and maps
 * one value at a time, so a load callback reads nested data with the flat
 * calls of bpass.h: array(&n) returns the header, and the next n reads return
 * its elements.
 *
 * Untrusted input is safe: before unpacking, the range is scanned once and
 * cut at the first value that is truncated, malformed, nested deeper than
 * msgpack-c allows, or announces more elements than bytes remain (so a
 * corrupt length can never make msgpack-c allocate more than about 24 bytes
 * per input byte). Reading past that point fails.
 *
 * Errors are sticky: after the first failed call every later call fails.
 */
#ifndef STATE_STATE_READER_H
#define STATE_STATE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "bpass.h"

#define STATE_READER_MAX_DEPTH 32

struct state_reader_level {
	const msgpack_object *items;  /* array elements, or NULL for a map */
	const msgpack_object_kv *kv;  /* map pairs */
	uint32_t n, i;                /* elements (pairs), next one */
	bool value_next;              /* map: the key of pair i was read */
};

struct state_reader {
	struct bpass_reader r;        /* hand &sr.r to load callbacks; r.impl is sr */
	const char *data;             /* borrowed input */
	size_t len;                   /* bytes of well-formed values at its start */
	size_t off;                   /* next top-level value */
	bool truncated;               /* the input had bytes beyond len */
	bool failed;                  /* sticky */
	msgpack_zone zone;            /* reused for every top-level value */
	msgpack_object top;
	uint32_t depth;
	struct state_reader_level stack[STATE_READER_MAX_DEPTH + 1];
};

void state_reader_init(struct state_reader *sr);
void state_reader_release(struct state_reader *sr);
/* Starts reading data[0..len) (borrowed: it must stay unchanged while values
 * are read). Clears the error. */
void state_reader_reset(struct state_reader *sr, const void *data, size_t len);
/* The next value as a msgpack object (borrowed until the next call), or NULL
 * after the last value or an error (either way sr->failed is then set). Arrays and maps are returned whole: their elements are
 * not handed out one by one. */
const msgpack_object *state_reader_next(struct state_reader *sr);
/* True when every value has been read and the input held nothing else. */
bool state_reader_done(struct state_reader *sr);

/*
 * Length of the longest prefix of data[0..len) made of complete, well-formed
 * top-level msgpack values that msgpack-c can unpack within the bounds
 * described above. Exposed for tests.
 */
size_t state_reader_scan(const void *data, size_t len);

#endif
