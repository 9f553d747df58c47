/*
 * state/state_file.h: the state container, the one encoding of saved
 * processor states. It is used for a session's state file
 * (STATE_DIR/<run>/<session>.state), for the session states a worker streams
 * to the parent, and for the cached global result (--cache-global).
 *
 * Layout: a sequence of msgpack values.
 *   1. header, a map: {"format": 1, "kind": "session" | "global",
 *      "node_id": str, "context": str, "session_id": int, "processors": N}
 *      (a global container has node_id "", context "", session_id 0);
 *   2. N entries, one per processor, each a map: {"name": str,
 *      "version": uint, ["options": uint,] "last_seq": int (-1: none), "updates_processed": uint,
 *      "data": bin} where data holds the values the processor's save (or
 *      global_save) wrote;
 *   3. the trailer: the CRC-32 (zlib) of every byte before it, as a msgpack
 *      uint32 in its fixed 5-byte form (0xce + 4 bytes big-endian).
 * Readers ignore map keys they do not know, so fields can be added.
 *
 * A container that fails any check (CRC, structure, types, the session key
 * when one is expected) is rejected as a whole with a reason; the caller
 * then recomputes, it never uses part of it.
 */
#ifndef STATE_STATE_FILE_H
#define STATE_STATE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"
#include "state_reader.h"
#include "state_writer.h"

#define STATE_FILE_FORMAT 1

enum state_kind {
	STATE_KIND_SESSION = 0,
	STATE_KIND_GLOBAL = 1,
};

/* One processor's part (pointers borrowed from the container's bytes). */
struct state_entry {
	const char *name;             /* not NUL-terminated: name_len bytes */
	size_t name_len;
	uint32_t version;
	uint64_t options;             /* hash of the processor's option values; 0: none */
	int32_t last_seq;             /* -1: nothing processed */
	uint64_t updates_processed;
	const void *data;             /* the processor's values */
	size_t data_len;
	const void *raw;              /* the whole entry map as encoded */
	size_t raw_len;
};

/* A parsed container: header fields and entries. Strings are copied. */
struct state_file {
	uint32_t format;
	int kind;                     /* enum state_kind */
	struct buf node_id, context;  /* NUL-terminated copies */
	int64_t session_id;
	struct state_entry *e;
	uint32_t n, cap;
	struct state_reader rd;       /* reused between parses */
};

void state_file_init(struct state_file *sf);
void state_file_release(struct state_file *sf);

/*
 * Parses the container in data[0..len), which must stay unchanged while sf's
 * entries are used. When key is not NULL, the header must name that session.
 * Returns 0, or -1 with the reason in err (reset first; e.g. "checksum
 * mismatch", "truncated", "belongs to session X/Y/Z").
 */
int state_file_parse(struct state_file *sf, const void *data, size_t len,
		     const struct bpass_session_key *key, struct buf *err);

/* The entry of processor name, or NULL. */
const struct state_entry *state_file_find(const struct state_file *sf, const char *name);

/*
 * Writing: reset the writer, then state_file_begin, exactly n_entries
 * entries (state_file_entry or state_file_entry_raw), and state_file_end.
 * key is NULL for a global container. state_file_end returns 0, or -1 when
 * the writer failed (sw->error says why).
 */
void state_file_begin(struct state_writer *sw, int kind, const struct bpass_session_key *key,
		      uint32_t n_entries);
void state_file_entry(struct state_writer *sw, const char *name, uint32_t version,
		      int32_t last_seq, uint64_t updates_processed, const void *data,
		      size_t data_len);
/* The same with the hash of the processor's option values (proc_options.h),
 * stored as "options" when not 0 (a processor without options writes none,
 * so its entries stay as before). */
void state_file_entry_options(struct state_writer *sw, const char *name, uint32_t version,
			      uint64_t options, int32_t last_seq, uint64_t updates_processed,
			      const void *data, size_t data_len);
/* Copies an entry of a parsed container byte for byte. */
void state_file_entry_raw(struct state_writer *sw, const struct state_entry *e);
int state_file_end(struct state_writer *sw);

/* What state_file_read returns. */
enum state_file_read_result {
	STATE_FILE_READ_ERROR = -1,  /* errno is set; nothing was printed */
	STATE_FILE_READ_OK = 0,
	STATE_FILE_MISSING = 1,      /* the file does not exist (a session never saved) */
};
/*
 * Reads the whole file at path into out (reset first; fs_read_file, so a
 * symbolic link is refused). Returns an enum state_file_read_result.
 */
int state_file_read(const char *path, struct buf *out);

/*
 * The file name of a session's state: NODE_CONTEXT_SESSIONID.state, where
 * node and context keep [A-Za-z0-9-] and encode any other byte as %XX, so
 * distinct keys always get distinct names. Appended to out.
 */
void state_file_name(const struct bpass_session_key *key, struct buf *out);
/* The prefix of the names of node's sessions ("NODE_"), appended to out. */
void state_file_node_prefix(const char *node_id, struct buf *out);

#endif
