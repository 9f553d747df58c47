/*
 * tests/fuzz/fuzz_parse.c: libFuzzer target for the update text parser.
 * Each input is parsed from an exact-size copy (so any read past the end is
 * caught by ASan; the parser may not rely on a NUL after the text). When the
 * parse succeeds, the update is written back with update_format_text and
 * parsed again: both structs must be equal, and formatting the second one
 * must give the same bytes (abort() otherwise). When it fails, the error
 * must carry a message and the update must be left empty. The JSON writer
 * and the error formatter run on every input too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"
#include "update_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "fuzz_parse: check failed: %s (line %d)\n", \
				#cond, __LINE__);                                 \
			abort();                                                  \
		}                                                                 \
	} while (0)

static void check_equal(const struct bpass_update *a, const struct bpass_update *b)
{
	const char *what = update_diff(a, b);
	if (what) {
		fprintf(stderr, "%s: the updates differ in their %s\n", "fuzz_parse", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_buf b1, b2;
	struct update_error err;
	struct buf text1, text2, json, msg;
	update_buf_init(&b1);
	update_buf_init(&b2);
	buf_init(&text1);
	buf_init(&text2);
	buf_init(&json);
	buf_init(&msg);

	char *copy = malloc(size ? size : 1);   /* exact size: over-reads are caught */
	if (size)
		memcpy(copy, data, size);
	if (update_parse(&b1, copy, size, &err) == 0) {
		CHECK(b1.u.version >= 1 && b1.u.version <= 5);
		update_format_text(&b1.u, &text1);
		update_format_json(&b1.u, &json);
		CHECK(json.len >= 2 && json.data[0] == '{' && json.data[json.len - 1] == '}');
		char *copy2 = malloc(text1.len ? text1.len : 1);
		memcpy(copy2, text1.data, text1.len);
		struct update_error err2;
		int rc = update_parse(&b2, copy2, text1.len, &err2);
		if (rc)
			fprintf(stderr, "fuzz_parse: re-parse failed: line %u (section %s): %s\n",
				err2.line, update_section_name(err2.section), err2.msg);
		CHECK(rc == 0);
		CHECK(err2.warning[0] == 0);
		check_equal(&b1.u, &b2.u);
		update_format_text(&b2.u, &text2);
		CHECK(text1.len == text2.len && memcmp(text1.data, text2.data, text1.len) == 0);
		free(copy2);
	} else {
		CHECK(err.msg[0] != 0);
		CHECK(b1.u.n_packets == 0 && b1.u.n_flows == 0 && b1.u.n_whitelist == 0);
		CHECK(b1.u.context && b1.u.node_id && b1.u.build_id && !b1.u.node_id[0]);
		update_error_format(&err, "f", "m", &msg);
		CHECK(msg.len > 0);
	}
	free(copy);
	buf_release(&text1);
	buf_release(&text2);
	buf_release(&json);
	buf_release(&msg);
	update_buf_release(&b1);
	update_buf_release(&b2);
	return 0;
}
