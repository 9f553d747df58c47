/*
 * state/state_writer.h: the msgpack writer behind struct bpass_writer, on
 * msgpack-c: a packer appending to a msgpack_sbuffer that is reused from one
 * save to the next (reset keeps the allocation), so saving a stream of
 * sessions allocates nothing once the buffer has grown to the largest state.
 *
 * Errors are sticky, as bpass.h promises processors: the bpass_writer calls
 * cannot fail; the first problem (out of memory, a container given more or
 * fewer values than announced, nesting deeper than STATE_WRITER_MAX_DEPTH)
 * is remembered and reported by state_writer_finish.
 *
 * Usage:
 *   struct state_writer sw;
 *   state_writer_init(&sw);           once; sw must not move afterwards
 *   state_writer_reset(&sw);          before each value sequence
 *   proc->save(state, &sw.w);
 *   if (state_writer_finish(&sw)) ... sw.error says why
 *   use sw.sbuf.data / sw.sbuf.size (borrowed until the next reset)
 *   state_writer_release(&sw);
 */
#ifndef STATE_STATE_WRITER_H
#define STATE_STATE_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "bpass.h"

/* msgpack-c cannot read deeper nesting either (MSGPACK_EMBED_STACK_SIZE). */
#define STATE_WRITER_MAX_DEPTH 32

struct state_writer {
	struct bpass_writer w;        /* hand &sw.w to save callbacks; w.impl is sw */
	msgpack_sbuffer sbuf;         /* the bytes written since the last reset */
	msgpack_packer pk;            /* appends to sbuf */
	bool failed;                  /* sticky */
	const char *error;            /* static text of the first failure, or NULL */
	uint32_t depth;               /* open containers */
	uint64_t pending[STATE_WRITER_MAX_DEPTH]; /* values still due in each */
};

void state_writer_init(struct state_writer *sw);
/* Frees the buffer; sw is then as after state_writer_init. */
void state_writer_release(struct state_writer *sw);
/* Empties the buffer (keeping its allocation) and clears the error. */
void state_writer_reset(struct state_writer *sw);
/* Returns 0 when everything written so far is complete and well-formed
 * msgpack, else -1 with sw->error set. Writing may go on afterwards. */
int state_writer_finish(struct state_writer *sw);
/* Appends raw bytes (already msgpack) as one complete value. */
void state_writer_raw(struct state_writer *sw, const void *p, size_t len);

#endif
