/*
 * state/state_reader.c: struct bpass_reader on msgpack-c (see
 * state_reader.h): a bounds scan of the input, msgpack_unpack of one
 * top-level value at a time into a reused zone, and a cursor stack over the
 * arrays and maps the load callback has entered.
 */
#include "state_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---------------------------------------------------------------------------
 * The bounds scan
 */

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Scans one top-level value at p. Returns its end, or NULL when it is
 * truncated or not something msgpack_unpack accepts within our bounds.
 */
static const unsigned char *scan_value(const unsigned char *p, const unsigned char *end)
{
	uint64_t rem[STATE_READER_MAX_DEPTH];
	uint32_t depth = 0;
	uint64_t need = 0;        /* values still due in all open containers */
	do {
		if (p >= end)
			return NULL;
		unsigned c = *p++;
		uint64_t skip = 0;        /* payload bytes after the header */
		int lenbytes = 0;         /* big-endian length field size */
		bool container = false;
		uint64_t count = 0;       /* values inside a container */
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
			/* fixint, nil, bool */
		} else if (c <= 0x8f) {
			container = true;
			count = 2 * (uint64_t)(c & 0x0f);
		} else if (c <= 0x9f) {
			container = true;
			count = c & 0x0f;
		} else if (c <= 0xbf) {
			skip = c & 0x1f;
		} else {
			switch (c) {
			case 0xc4: case 0xd9: lenbytes = 1; break;           /* bin8, str8 */
			case 0xc5: case 0xda: lenbytes = 2; break;           /* bin16, str16 */
			case 0xc6: case 0xdb: lenbytes = 4; break;           /* bin32, str32 */
			case 0xc7: lenbytes = 1; skip = 1; break;            /* ext8: + type */
			case 0xc8: lenbytes = 2; skip = 1; break;
			case 0xc9: lenbytes = 4; skip = 1; break;
			case 0xca: skip = 4; break;                          /* float32 */
			case 0xcb: skip = 8; break;                          /* float64 */
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;                          /* fixext1..16 + type */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: container = true; lenbytes = 2; break;    /* array16 */
			case 0xdd: container = true; lenbytes = 4; break;    /* array32 */
			case 0xde: container = true; lenbytes = 2; break;    /* map16 */
			case 0xdf: container = true; lenbytes = 4; break;    /* map32 */
			default: return NULL;                                /* 0xc1 */
			}
		}
		if (lenbytes) {
			if ((size_t)(end - p) < (size_t)lenbytes)
				return NULL;
			uint64_t n = be(p, lenbytes);
			p += lenbytes;
			if (container)
				count = (c == 0xde || c == 0xdf) ? 2 * n : n;
			else
				skip += n;
		}
		if (skip > (uint64_t)(end - p))
			return NULL;
		p += skip;
		if (depth > 0) {
			rem[depth - 1]--;
			need--;
		}
		if (need > (uint64_t)(end - p))
			return NULL;      /* the values still due cannot fit: truncated */
		if (container) {
			if (depth == STATE_READER_MAX_DEPTH)
				return NULL;
			/* Every value due takes at least one byte. */
			if (count > (uint64_t)(end - p) - need)
				return NULL;
			if (count > 0) {
				rem[depth++] = count;
				need += count;
			}
		}
		while (depth > 0 && rem[depth - 1] == 0)
			depth--;
	} while (depth > 0);
	return p;
}

size_t state_reader_scan(const void *data, size_t len)
{
	const unsigned char *start = data, *p = data, *end = p + len;
	while (p < end) {
		const unsigned char *next = scan_value(p, end);
		if (!next)
			break;
		p = next;
	}
	return (size_t)(p - start);
}

/* ---------------------------------------------------------------------------
 * Reading
 */

const msgpack_object *state_reader_next(struct state_reader *sr)
{
	if (sr->failed)
		return NULL;
	while (sr->depth > 0) {
		struct state_reader_level *l = &sr->stack[sr->depth - 1];
		if (l->i < l->n) {
			if (l->items)
				return &l->items[l->i++];
			if (!l->value_next) {
				l->value_next = true;
				return &l->kv[l->i].key;
			}
			l->value_next = false;
			return &l->kv[l->i++].val;
		}
		sr->depth--;
	}
	if (sr->off >= sr->len) {
		sr->failed = true;
		return NULL;
	}
	msgpack_zone_clear(&sr->zone);
	msgpack_unpack_return ret = msgpack_unpack(sr->data, sr->len, &sr->off, &sr->zone, &sr->top);
	if (ret != MSGPACK_UNPACK_SUCCESS && ret != MSGPACK_UNPACK_EXTRA_BYTES) {
		sr->failed = true;
		return NULL;
	}
	return &sr->top;
}

bool state_reader_done(struct state_reader *sr)
{
	for (uint32_t d = sr->depth; d > 0; d--) {
		const struct state_reader_level *l = &sr->stack[d - 1];
		if (l->i < l->n)
			return false;
	}
	return sr->off >= sr->len && !sr->truncated;
}

static struct state_reader *SR(struct bpass_reader *r)
{
	return r->impl;
}

/* The next value if it has type t; otherwise the reader fails. */
static const msgpack_object *take(struct state_reader *sr, msgpack_object_type t)
{
	const msgpack_object *o = state_reader_next(sr);
	if (!o)
		return NULL;
	if (o->type != t) {
		sr->failed = true;
		return NULL;
	}
	return o;
}

static void enter(struct state_reader *sr, const msgpack_object *o)
{
	/* The scan bounds the nesting, so the stack cannot overflow. */
	struct state_reader_level *l = &sr->stack[sr->depth++];
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		l->items = o->via.array.ptr;
		l->kv = NULL;
		l->n = o->via.array.size;
	} else {
		l->items = NULL;
		l->kv = o->via.map.ptr;
		l->n = o->via.map.size;
	}
	l->i = 0;
	l->value_next = false;
}

static int r_array(struct bpass_reader *r, uint32_t *n)
{
	struct state_reader *sr = SR(r);
	const msgpack_object *o = take(sr, MSGPACK_OBJECT_ARRAY);
	if (!o)
		return -1;
	*n = o->via.array.size;
	enter(sr, o);
	return 0;
}

static int r_map(struct bpass_reader *r, uint32_t *n)
{
	struct state_reader *sr = SR(r);
	const msgpack_object *o = take(sr, MSGPACK_OBJECT_MAP);
	if (!o)
		return -1;
	*n = o->via.map.size;
	enter(sr, o);
	return 0;
}

static int r_nil(struct bpass_reader *r)
{
	return take(SR(r), MSGPACK_OBJECT_NIL) ? 0 : -1;
}

static int r_boolean(struct bpass_reader *r, bool *v)
{
	const msgpack_object *o = take(SR(r), MSGPACK_OBJECT_BOOLEAN);
	if (!o)
		return -1;
	*v = o->via.boolean;
	return 0;
}

static int r_i64(struct bpass_reader *r, int64_t *v)
{
	struct state_reader *sr = SR(r);
	const msgpack_object *o = state_reader_next(sr);
	if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return 0;
	}
	if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
		*v = (int64_t)o->via.u64;
		return 0;
	}
	sr->failed = true;
	return -1;
}

static int r_u64(struct bpass_reader *r, uint64_t *v)
{
	const msgpack_object *o = take(SR(r), MSGPACK_OBJECT_POSITIVE_INTEGER);
	if (!o)
		return -1;
	*v = o->via.u64;
	return 0;
}

static int r_f64(struct bpass_reader *r, double *v)
{
	struct state_reader *sr = SR(r);
	const msgpack_object *o = state_reader_next(sr);
	if (o && (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)) {
		*v = o->via.f64;
		return 0;
	}
	if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*v = (double)o->via.u64;
		return 0;
	}
	if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = (double)o->via.i64;
		return 0;
	}
	sr->failed = true;
	return -1;
}

static int r_str(struct bpass_reader *r, const char **s, size_t *len)
{
	const msgpack_object *o = take(SR(r), MSGPACK_OBJECT_STR);
	if (!o)
		return -1;
	*s = o->via.str.size ? o->via.str.ptr : "";
	*len = o->via.str.size;
	return 0;
}

static int r_bin(struct bpass_reader *r, const void **p, size_t *len)
{
	const msgpack_object *o = take(SR(r), MSGPACK_OBJECT_BIN);
	if (!o)
		return -1;
	*p = o->via.bin.size ? o->via.bin.ptr : "";
	*len = o->via.bin.size;
	return 0;
}

static bool r_at_end(struct bpass_reader *r)
{
	return state_reader_done(SR(r));
}

void state_reader_init(struct state_reader *sr)
{
	memset(sr, 0, sizeof(*sr));
	if (!msgpack_zone_init(&sr->zone, MSGPACK_ZONE_CHUNK_SIZE)) {
		/* Like xmalloc: running out of memory is not an input error. */
		fputs("bpass: error: out of memory\n", stderr);
		abort();
	}
	sr->r = (struct bpass_reader){
		.impl = sr,
		.array = r_array,
		.map = r_map,
		.nil = r_nil,
		.boolean = r_boolean,
		.i64 = r_i64,
		.u64 = r_u64,
		.f64 = r_f64,
		.str = r_str,
		.bin = r_bin,
		.at_end = r_at_end,
	};
	state_reader_reset(sr, "", 0);
}

void state_reader_release(struct state_reader *sr)
{
	msgpack_zone_destroy(&sr->zone);
	memset(sr, 0, sizeof(*sr));
}

void state_reader_reset(struct state_reader *sr, const void *data, size_t len)
{
	sr->data = data;
	sr->len = state_reader_scan(data, len);
	sr->truncated = sr->len < len;
	sr->off = 0;
	sr->failed = false;
	sr->depth = 0;
}
