/*
 * state/state_file.c: writing and checking the state container (layout in
 * state_file.h), and the file names of session states.
 */
#include "state_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fs.h"

static const char *const kind_names[] = {"session", "global"};

void state_file_init(struct state_file *sf)
{
	memset(sf, 0, sizeof(*sf));
	buf_init(&sf->node_id);
	buf_init(&sf->context);
	state_reader_init(&sf->rd);
}

void state_file_release(struct state_file *sf)
{
	buf_release(&sf->node_id);
	buf_release(&sf->context);
	free(sf->e);
	state_reader_release(&sf->rd);
	memset(sf, 0, sizeof(*sf));
}

/* ---------------------------------------------------------------------------
 * Writing
 */

static void put_key(struct bpass_writer *w, const char *k)
{
	w->str(w, k, strlen(k));
}

void state_file_begin(struct state_writer *sw, int kind, const struct bpass_session_key *key,
		      uint32_t n_entries)
{
	struct bpass_writer *w = &sw->w;
	w->map(w, 6);
	put_key(w, "format");
	w->u64(w, STATE_FILE_FORMAT);
	put_key(w, "kind");
	put_key(w, kind_names[kind == STATE_KIND_GLOBAL]);
	put_key(w, "node_id");
	put_key(w, key ? key->node_id : "");
	put_key(w, "context");
	put_key(w, key ? key->context : "");
	put_key(w, "session_id");
	w->i64(w, key ? key->session_id : 0);
	put_key(w, "processors");
	w->u64(w, n_entries);
}

void state_file_entry(struct state_writer *sw, const char *name, uint32_t version,
		      int32_t last_seq, uint64_t updates_processed, const void *data,
		      size_t data_len)
{
	state_file_entry_options(sw, name, version, 0, last_seq, updates_processed, data,
				 data_len);
}

void state_file_entry_options(struct state_writer *sw, const char *name, uint32_t version,
			      uint64_t options, int32_t last_seq, uint64_t updates_processed,
			      const void *data, size_t data_len)
{
	struct bpass_writer *w = &sw->w;
	w->map(w, options ? 6 : 5);
	put_key(w, "name");
	put_key(w, name);
	put_key(w, "version");
	w->u64(w, version);
	if (options) {
		put_key(w, "options");
		w->u64(w, options);
	}
	put_key(w, "last_seq");
	w->i64(w, last_seq);
	put_key(w, "updates_processed");
	w->u64(w, updates_processed);
	put_key(w, "data");
	w->bin(w, data, data_len);
}

void state_file_entry_raw(struct state_writer *sw, const struct state_entry *e)
{
	state_writer_raw(sw, e->raw, e->raw_len);
}

int state_file_end(struct state_writer *sw)
{
	if (state_writer_finish(sw))
		return -1;
	uLong crc = crc32_z(0L, (const Bytef *)sw->sbuf.data, sw->sbuf.size);
	unsigned char t[5] = {0xce, (unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
			      (unsigned char)(crc >> 8), (unsigned char)crc};
	state_writer_raw(sw, t, sizeof(t));
	return state_writer_finish(sw);
}

/* ---------------------------------------------------------------------------
 * Parsing
 */

static bool key_is(const msgpack_object *k, const char *s)
{
	size_t n = strlen(s);
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	       memcmp(k->via.str.ptr, s, n) == 0;
}

static const msgpack_object *field(const msgpack_object *map, const char *name,
				   msgpack_object_type type)
{
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[i];
		if (key_is(&kv->key, name))
			return kv->val.type == type ? &kv->val : NULL;
	}
	return NULL;
}

/* An integer field in [min, max]. */
static bool int_field(const msgpack_object *map, const char *name, int64_t min, int64_t max,
		      int64_t *v)
{
	const msgpack_object *o = field(map, name, MSGPACK_OBJECT_POSITIVE_INTEGER);
	if (o) {
		if (o->via.u64 > (uint64_t)INT64_MAX)
			return false;
		*v = (int64_t)o->via.u64;
	} else if ((o = field(map, name, MSGPACK_OBJECT_NEGATIVE_INTEGER))) {
		*v = o->via.i64;
	} else {
		return false;
	}
	return *v >= min && *v <= max;
}

static bool str_field(const msgpack_object *map, const char *name, struct buf *out)
{
	const msgpack_object *o = field(map, name, MSGPACK_OBJECT_STR);
	if (!o || memchr(o->via.str.ptr, 0, o->via.str.size))
		return false;
	buf_reset(out);
	buf_append(out, o->via.str.ptr, o->via.str.size);
	return true;
}

static int bad(struct buf *err, const char *what)
{
	buf_puts(err, what);
	return -1;
}

int state_file_parse(struct state_file *sf, const void *data, size_t len,
		     const struct bpass_session_key *key, struct buf *err)
{
	buf_reset(err);
	sf->n = 0;
	const unsigned char *p = data;
	if (len < 5 || p[len - 5] != 0xce)
		return bad(err, len < 5 ? "truncated" : "truncated or not a state file");
	uint32_t want = (uint32_t)p[len - 4] << 24 | (uint32_t)p[len - 3] << 16 |
			(uint32_t)p[len - 2] << 8 | p[len - 1];
	if (crc32_z(0L, data, len - 5) != want)
		return bad(err, "checksum mismatch");

	struct state_reader *rd = &sf->rd;
	state_reader_reset(rd, data, len - 5);
	const msgpack_object *h = state_reader_next(rd);
	if (!h || h->type != MSGPACK_OBJECT_MAP)
		return bad(err, "no header");
	int64_t format, sid, n_entries;
	struct buf kind;
	buf_init(&kind);
	bool ok = int_field(h, "format", 0, UINT32_MAX, &format) && str_field(h, "kind", &kind) &&
		  str_field(h, "node_id", &sf->node_id) && str_field(h, "context", &sf->context) &&
		  int_field(h, "session_id", INT64_MIN, INT64_MAX, &sid) &&
		  int_field(h, "processors", 0, UINT32_MAX, &n_entries);
	sf->kind = !strcmp(kind.data, "global") ? STATE_KIND_GLOBAL : STATE_KIND_SESSION;
	bool known_kind = !strcmp(kind.data, "global") || !strcmp(kind.data, "session");
	buf_release(&kind);
	if (!ok || !known_kind)
		return bad(err, "malformed header");
	if (format != STATE_FILE_FORMAT) {
		buf_printf(err, "format %" PRId64 " is not supported (bpass reads format %d)", format,
			   STATE_FILE_FORMAT);
		return -1;
	}
	sf->format = (uint32_t)format;
	sf->session_id = sid;
	for (int64_t i = 0; i < n_entries; i++) {
		size_t off = rd->off;
		const msgpack_object *o = state_reader_next(rd);
		if (!o || o->type != MSGPACK_OBJECT_MAP)
			return bad(err, "truncated");
		const msgpack_object *name = field(o, "name", MSGPACK_OBJECT_STR);
		const msgpack_object *d = field(o, "data", MSGPACK_OBJECT_BIN);
		int64_t version, last_seq, updates;
		if (!name || !d || !int_field(o, "version", 0, UINT32_MAX, &version) ||
		    !int_field(o, "last_seq", -1, INT32_MAX, &last_seq) ||
		    !int_field(o, "updates_processed", 0, INT64_MAX, &updates))
			return bad(err, "malformed processor entry");
		xgrow((void **)&sf->e, &sf->cap, sf->n + 1, sizeof(*sf->e));
		struct state_entry *e = &sf->e[sf->n++];
		e->name = name->via.str.ptr;
		e->name_len = name->via.str.size;
		e->version = (uint32_t)version;
		/* Absent (0) when the processor has no options. */
		const msgpack_object *opts = field(o, "options", MSGPACK_OBJECT_POSITIVE_INTEGER);
		e->options = opts ? opts->via.u64 : 0;
		e->last_seq = (int32_t)last_seq;
		e->updates_processed = (uint64_t)updates;
		e->data = d->via.bin.size ? d->via.bin.ptr : "";
		e->data_len = d->via.bin.size;
		e->raw = (const char *)data + off;
		e->raw_len = rd->off - off;
		for (uint32_t j = 0; j + 1 < sf->n; j++)
			if (sf->e[j].name_len == e->name_len &&
			    !memcmp(sf->e[j].name, e->name, e->name_len))
				return bad(err, "processor entry repeated");
	}
	if (!state_reader_done(rd))
		return bad(err, "unexpected data after the processor entries");
	const struct bpass_session_key own = {sf->node_id.data, sf->context.data, sf->session_id};
	if (key && (sf->kind != STATE_KIND_SESSION || !session_key_eq(&own, key))) {
		buf_puts(err, "belongs to session ");
		session_key_format(&own, err);
		return -1;
	}
	return 0;
}

const struct state_entry *state_file_find(const struct state_file *sf, const char *name)
{
	size_t n = strlen(name);
	for (uint32_t i = 0; i < sf->n; i++)
		if (sf->e[i].name_len == n && !memcmp(sf->e[i].name, name, n))
			return &sf->e[i];
	return NULL;
}

int state_file_read(const char *path, struct buf *out)
{
	if (fs_read_file(path, out) < 0)
		return errno == ENOENT ? STATE_FILE_MISSING : STATE_FILE_READ_ERROR;
	return STATE_FILE_READ_OK;
}

/* ---------------------------------------------------------------------------
 * File names
 */

static void put_encoded(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-') {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

void state_file_name(const struct bpass_session_key *key, struct buf *out)
{
	put_encoded(out, key->node_id);
	buf_putc(out, '_');
	put_encoded(out, key->context);
	buf_putc(out, '_');
	buf_put_i64(out, key->session_id);
	buf_puts(out, ".state");
}

void state_file_node_prefix(const char *node_id, struct buf *out)
{
	put_encoded(out, node_id);
	buf_putc(out, '_');
}
