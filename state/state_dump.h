/*
 * state/state_dump.h: msgpack values as JSON or as indented text, for
 * `bpass state` (which prints a saved state without knowing the processors
 * that wrote it).
 *
 * JSON: maps become objects (keys that are not strings are written as the
 * JSON text of the key), binaries become {"bin": "HEX"}, and floats that are
 * not finite become null. Text: scalars as in JSON, containers one element
 * per line indented by two spaces, except short ones of scalars, which stay
 * on one line ([1, 2, 3]).
 */
#ifndef STATE_STATE_DUMP_H
#define STATE_STATE_DUMP_H

#include <msgpack.h>

#include "buf.h"

/* Appends o as JSON. */
void state_dump_json(const msgpack_object *o, struct buf *out);
/* Appends o as text, continuation lines indented by indent spaces. */
void state_dump_text(const msgpack_object *o, int indent, struct buf *out);

#endif
