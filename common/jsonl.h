/*
 * common/jsonl.h: reading one line of JSON Lines as bpass writes it (result
 * tables with --json, harness/results.h): a flat object whose values are
 * strings, numbers, true, false or null. Nested arrays and objects are
 * refused. Read by the database sinks (harness/sink.h) and by the plots.
 *
 * Strings are unescaped into a scratch buffer: \" \\ \/ \b \f \n \r \t and
 * \uXXXX; a \u00XX below 0x100 gives that byte (bpass escapes every byte
 * outside printable ASCII that way, so any bytes come back unchanged),
 * higher code points (surrogate pairs included) are encoded as UTF-8.
 */
#ifndef COMMON_JSONL_H
#define COMMON_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum jsonl_kind {
	JSONL_NULL,
	JSONL_STRING,
	JSONL_NUMBER,    /* text as written, e.g. "-12" or "1.5e-07" */
	JSONL_BOOL,      /* text "true" or "false" */
};

/* One member of the object. key and value point into the scratch buffer
 * given to jsonl_parse and are valid until its next change; both are
 * NUL-terminated (a string value may hold NUL bytes: use value_len). */
struct jsonl_member {
	const char *key;
	const char *value;
	size_t value_len;
	enum jsonl_kind kind;
	size_t key_off, value_off;   /* private: offsets into scratch while parsing */
};

/*
 * Parses the object in line[0..len) (a trailing '\n' or "\r\n" is allowed)
 * into members[0..*n), at most max of them. Returns 0, or -1 with *err set
 * to a static reason (not an object, more than max members, a nested value,
 * a bad escape, trailing text...).
 */
int jsonl_parse(const char *line, size_t len, struct buf *scratch, struct jsonl_member *members,
		uint32_t max, uint32_t *n, const char **err);

#endif
