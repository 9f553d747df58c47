/*
 * state/state_dump.c: generic JSON and text renderings of msgpack values
 * (see state_dump.h). Nesting is bounded by msgpack-c's unpacker (and the
 * bounds scan of state_reader), so recursion is shallow.
 */
#include "state_dump.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static void put_str(struct buf *out, const char *p, uint32_t n)
{
	buf_putc(out, '"');
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
		} else if (c == '\n') {
			buf_puts(out, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(out, "\\u%04x", c);
		} else {
			buf_putc(out, (char)c);
		}
	}
	buf_putc(out, '"');
}

static void put_scalar(const msgpack_object *o, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		buf_puts(out, "null");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		buf_puts(out, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		buf_put_u64(out, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		buf_put_i64(out, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (isfinite(o->via.f64))
			buf_printf(out, "%.17g", o->via.f64);
		else
			buf_puts(out, "null");
		break;
	case MSGPACK_OBJECT_STR:
		put_str(out, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
	case MSGPACK_OBJECT_EXT: {
		const unsigned char *p = (const unsigned char *)(o->type == MSGPACK_OBJECT_BIN
								 ? o->via.bin.ptr : o->via.ext.ptr);
		uint32_t n = o->type == MSGPACK_OBJECT_BIN ? o->via.bin.size : o->via.ext.size;
		buf_puts(out, o->type == MSGPACK_OBJECT_BIN ? "{\"bin\": \"" : "{\"ext\": \"");
		for (uint32_t i = 0; i < n; i++) {
			buf_putc(out, hex[p[i] >> 4]);
			buf_putc(out, hex[p[i] & 15]);
		}
		buf_puts(out, "\"}");
		break;
	}
	default:
		buf_puts(out, "null");
		break;
	}
}

static bool is_container(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_ARRAY || o->type == MSGPACK_OBJECT_MAP;
}

static void put_key_json(const msgpack_object *k, struct buf *out)
{
	if (k->type == MSGPACK_OBJECT_STR) {
		put_str(out, k->via.str.ptr, k->via.str.size);
		return;
	}
	struct buf tmp;
	buf_init(&tmp);
	state_dump_json(k, &tmp);
	put_str(out, tmp.data, (uint32_t)tmp.len);
	buf_release(&tmp);
}

void state_dump_json(const msgpack_object *o, struct buf *out)
{
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		buf_putc(out, '[');
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i)
				buf_puts(out, ", ");
			state_dump_json(&o->via.array.ptr[i], out);
		}
		buf_putc(out, ']');
	} else if (o->type == MSGPACK_OBJECT_MAP) {
		buf_putc(out, '{');
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			if (i)
				buf_puts(out, ", ");
			put_key_json(&o->via.map.ptr[i].key, out);
			buf_puts(out, ": ");
			state_dump_json(&o->via.map.ptr[i].val, out);
		}
		buf_putc(out, '}');
	} else {
		put_scalar(o, out);
	}
}

static void newline(struct buf *out, int indent)
{
	buf_putc(out, '\n');
	for (int i = 0; i < indent; i++)
		buf_putc(out, ' ');
}

/* Short containers of scalars stay on one line. */
static bool one_line(const msgpack_object *o)
{
	uint32_t n = o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : o->via.map.size;
	if (n > 16)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (o->type == MSGPACK_OBJECT_ARRAY ? is_container(&o->via.array.ptr[i])
						    : is_container(&o->via.map.ptr[i].val) ||
							      is_container(&o->via.map.ptr[i].key))
			return false;
	}
	struct buf tmp;
	buf_init(&tmp);
	state_dump_json(o, &tmp);
	bool short_enough = tmp.len <= 80;
	buf_release(&tmp);
	return short_enough;
}

void state_dump_text(const msgpack_object *o, int indent, struct buf *out)
{
	if (!is_container(o) || one_line(o)) {
		state_dump_json(o, out);
		return;
	}
	bool map = o->type == MSGPACK_OBJECT_MAP;
	uint32_t n = map ? o->via.map.size : o->via.array.size;
	buf_putc(out, map ? '{' : '[');
	for (uint32_t i = 0; i < n; i++) {
		newline(out, indent + 2);
		if (map) {
			put_key_json(&o->via.map.ptr[i].key, out);
			buf_puts(out, ": ");
			state_dump_text(&o->via.map.ptr[i].val, indent + 2, out);
		} else {
			state_dump_text(&o->via.array.ptr[i], indent + 2, out);
		}
		if (i + 1 < n)
			buf_putc(out, ',');
	}
	newline(out, indent);
	buf_putc(out, map ? '}' : ']');
}
