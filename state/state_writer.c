/*
 * state/state_writer.c: struct bpass_writer on a msgpack-c packer writing
 * into a reused msgpack_sbuffer, with sticky errors and a count of the
 * values still due in every open array or map (see state_writer.h).
 */
#include "state_writer.h"

#include <string.h>

static void fail(struct state_writer *sw, const char *why)
{
	if (!sw->failed) {
		sw->failed = true;
		sw->error = why;
	}
}

/*
 * Accounts for one value about to be written: it fills a slot of the
 * innermost open container; a non-empty container opens a new level; a
 * level whose values are all written closes (and so may its parents).
 */
static void note(struct state_writer *sw, bool container, uint64_t children)
{
	/* msgpack-c refuses any container, even an empty one, inside 32 open ones. */
	if (container && sw->depth == STATE_WRITER_MAX_DEPTH) {
		fail(sw, "values nested too deeply");
		return;
	}
	if (sw->depth > 0)
		sw->pending[sw->depth - 1]--;
	if (children > 0) {
		sw->pending[sw->depth++] = children;
		return;
	}
	while (sw->depth > 0 && sw->pending[sw->depth - 1] == 0)
		sw->depth--;
}

static struct state_writer *SW(struct bpass_writer *w)
{
	return w->impl;
}

/* msgpack-c's pack functions return non-zero only when the sbuffer could not grow. */
#define PACK(sw, call)                                   \
	do {                                             \
		if (!(sw)->failed && (call) != 0)        \
			fail((sw), "out of memory");     \
	} while (0)

static void w_array(struct bpass_writer *w, uint32_t n)
{
	struct state_writer *sw = SW(w);
	note(sw, true, n);
	PACK(sw, msgpack_pack_array(&sw->pk, n));
}

static void w_map(struct bpass_writer *w, uint32_t n)
{
	struct state_writer *sw = SW(w);
	note(sw, true, 2 * (uint64_t)n);
	PACK(sw, msgpack_pack_map(&sw->pk, n));
}

static void w_nil(struct bpass_writer *w)
{
	struct state_writer *sw = SW(w);
	note(sw, false, 0);
	PACK(sw, msgpack_pack_nil(&sw->pk));
}

static void w_boolean(struct bpass_writer *w, bool v)
{
	struct state_writer *sw = SW(w);
	note(sw, false, 0);
	PACK(sw, v ? msgpack_pack_true(&sw->pk) : msgpack_pack_false(&sw->pk));
}

static void w_i64(struct bpass_writer *w, int64_t v)
{
	struct state_writer *sw = SW(w);
	note(sw, false, 0);
	PACK(sw, msgpack_pack_int64(&sw->pk, v));
}

static void w_u64(struct bpass_writer *w, uint64_t v)
{
	struct state_writer *sw = SW(w);
	note(sw, false, 0);
	PACK(sw, msgpack_pack_uint64(&sw->pk, v));
}

static void w_f64(struct bpass_writer *w, double v)
{
	struct state_writer *sw = SW(w);
	note(sw, false, 0);
	PACK(sw, msgpack_pack_double(&sw->pk, v));
}

static void w_str(struct bpass_writer *w, const char *s, size_t len)
{
	struct state_writer *sw = SW(w);
	note(sw, false, 0);
	if (len > UINT32_MAX) {
		fail(sw, "string longer than 4 GiB");
		return;
	}
	PACK(sw, msgpack_pack_str_with_body(&sw->pk, s, len));
}

static void w_bin(struct bpass_writer *w, const void *p, size_t len)
{
	struct state_writer *sw = SW(w);
	note(sw, false, 0);
	if (len > UINT32_MAX) {
		fail(sw, "binary longer than 4 GiB");
		return;
	}
	PACK(sw, msgpack_pack_bin_with_body(&sw->pk, p, len));
}

void state_writer_init(struct state_writer *sw)
{
	memset(sw, 0, sizeof(*sw));
	msgpack_sbuffer_init(&sw->sbuf);
	msgpack_packer_init(&sw->pk, &sw->sbuf, msgpack_sbuffer_write);
	sw->w = (struct bpass_writer){
		.impl = sw,
		.array = w_array,
		.map = w_map,
		.nil = w_nil,
		.boolean = w_boolean,
		.i64 = w_i64,
		.u64 = w_u64,
		.f64 = w_f64,
		.str = w_str,
		.bin = w_bin,
	};
}

void state_writer_release(struct state_writer *sw)
{
	msgpack_sbuffer_destroy(&sw->sbuf);
	state_writer_init(sw);
}

void state_writer_reset(struct state_writer *sw)
{
	sw->sbuf.size = 0;
	sw->failed = false;
	sw->error = NULL;
	sw->depth = 0;
}

int state_writer_finish(struct state_writer *sw)
{
	if (!sw->failed && sw->depth > 0)
		fail(sw, "an array or map has fewer values than announced");
	return sw->failed ? -1 : 0;
}

void state_writer_raw(struct state_writer *sw, const void *p, size_t len)
{
	note(sw, false, 0);
	if (!sw->failed && msgpack_sbuffer_write(&sw->sbuf, p, len) != 0)
		fail(sw, "out of memory");
}
