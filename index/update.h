/*
 * index/update.h: storage for parsed updates, and the two ways to fill it:
 * the text parser (update_parse.c) and the index blob decoder (blob.c).
 *
 * A struct update_buf owns the arrays a struct bpass_update points to and keeps
 * their capacity between updates, so parsing or decoding a stream of updates
 * allocates nothing once the buffers have grown to the largest update.
 */
#ifndef INDEX_UPDATE_H
#define INDEX_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "bpass_update.h"
#include "buf.h"
#include "session_key.h"   /* update_parse rejects node ids over SESSION_NODE_ID_MAX */

struct update_buf {
	struct bpass_update u;          /* the result; borrowed pointers, see bpass_update.h */
	const char **whitelist;         uint32_t cap_whitelist;
	struct bpass_packet *packets;   uint32_t cap_packets;
	struct bpass_flow *flows;       uint32_t cap_flows;
	struct bpass_a_record *a_records;         uint32_t cap_a_records;
	struct bpass_cname_record *cname_records; uint32_t cap_cname_records;
	struct bpass_address *addresses;          uint32_t cap_addresses;
	struct bpass_drop_stat *drop_stats;       uint32_t cap_drop_stats;
	struct bpass_http_url *http_urls;         uint32_t cap_http_urls;
	struct buf scratch;             /* decoder-owned bytes that strings may point into */
};

void update_buf_init(struct update_buf *b);
void update_buf_release(struct update_buf *b);
/* Empties b->u (all counts 0, all strings ""), keeping the capacity; also
 * empties b->scratch. update_buf_release frees everything and leaves b as
 * after update_buf_init (releasing twice is fine). */
void update_buf_clear(struct update_buf *b);

/* Section numbers used in error messages (update-format.md §3). */
enum update_section {
	UPDATE_SECTION_NONE = -1,
	UPDATE_SECTION_INTRO = 0,
	UPDATE_SECTION_WHITELIST = 1,
	UPDATE_SECTION_SIGNATURE = 2,
	UPDATE_SECTION_PACKETS = 3,
	UPDATE_SECTION_FLOWS = 4,
	UPDATE_SECTION_DNS_A = 5,
	UPDATE_SECTION_DNS_CNAME = 6,
	UPDATE_SECTION_ADDRESSES = 7,
	UPDATE_SECTION_DROPS = 8,
	UPDATE_SECTION_HTTP = 9,
	UPDATE_SECTION_EXTRA = 10,  /* any section beyond the version's layout */
};

/* Where and why an update could not be read. */
struct update_error {
	int section;      /* enum update_section */
	uint32_t line;    /* 1-based line in the text; 0 when not known */
	char msg[200];    /* lower-case, no final period, e.g. "packet line has 2 fields, expected 3" */
	char warning[200];/* set (non-empty) on success when something was tolerated, e.g. extra sections */
};

/* The name of a section for messages ("packet series", "flow table", ...). */
const char *update_section_name(int section);

/*
 * Parses one decompressed update text of len bytes.
 * The text is modified in place (separators become NULs) and b->u points into
 * it, so it must stay alive and unchanged while b->u is used. text[len] need
 * not be 0. Never reads outside text[0..len).
 * Returns 0 on success; -1 when the text is not a well-formed update of
 * versions 1-5, with err filled in (section, line, message) and b->u left
 * empty as after update_buf_clear. err may be NULL. On success err->warning
 * is set when something was tolerated (sections beyond the version's layout
 * are skipped). Errors in such a section report UPDATE_SECTION_EXTRA, errors
 * in a v2-v3 HTTP block glued onto the drop section UPDATE_SECTION_HTTP.
 * When the text does not end in a newline, its last line is copied into
 * b->scratch, and strings of that line point there.
 * Accepted quirks and the exact rules: update_parse.c and update-format.md §12.
 */
int update_parse(struct update_buf *b, char *text, size_t len, struct update_error *err);

/*
 * Writes u back in the update text format of u->version (for `bpass show`):
 * parsing the output gives the same struct, and an update as the router
 * wrote it comes out byte-identical. Packet deltas are recomputed from the
 * times. Appends to out.
 */
void update_format_text(const struct bpass_update *u, struct buf *out);

/* Writes u as one JSON object whose keys are the spec's field names. Appends to out. */
void update_format_json(const struct bpass_update *u, struct buf *out);

/* Formats an error as: FILE: member MEMBER: line N (section NAME): MSG.
 * file and member may be NULL. */
void update_error_format(const struct update_error *err, const char *file,
			 const char *member, struct buf *out);

#endif
