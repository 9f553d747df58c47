/*
 * tests/unit/test_session_key.c: session keys (index/session_key.h): the
 * order (node id, then context, then session id, strings bytewise, ids
 * without overflow at the extremes), equality field by field, the
 * "NODE/CTX/SID" text of messages, and the limits the parser and the
 * fixed-size buffers agree on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "index_db.h"
#include "log.h"
#include "session_key.h"
#include "update.h"
#include "worker.h"

#define CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_cmp(void **state)
{
	(void)state;
	const struct bpass_session_key a = {"OWA", CTX, 5};
	/* Node id first, whatever the other fields say. */
	assert_int_equal(sign(session_key_cmp(&a, &(struct bpass_session_key){"OWB", "0", -9})), -1);
	assert_int_equal(sign(session_key_cmp(&a, &(struct bpass_session_key){"OW", "z", 99})), 1);
	/* A prefix sorts first. */
	assert_int_equal(sign(session_key_cmp(&a, &(struct bpass_session_key){"OWAB", CTX, 5})), -1);
	/* Then the context, bytewise: UNANONYMIZED before lower-case hex. */
	assert_int_equal(sign(session_key_cmp(&a, &(struct bpass_session_key){"OWA", "UNANONYMIZED",
										 1})), 1);
	/* Then the session id, with no overflow at the extremes. */
	const struct bpass_session_key lo = {"OWA", CTX, INT64_MIN}, hi = {"OWA", CTX, INT64_MAX};
	assert_int_equal(sign(session_key_cmp(&lo, &hi)), -1);
	assert_int_equal(sign(session_key_cmp(&hi, &lo)), 1);
	assert_int_equal(sign(session_key_cmp(&a, &lo)), 1);
	assert_int_equal(session_key_cmp(&hi, &(struct bpass_session_key){"OWA", CTX, INT64_MAX}), 0);
}

static int cmp_keys(const void *x, const void *y)
{
	return session_key_cmp(x, y);
}

static void test_sort(void **state)
{
	(void)state;
	struct bpass_session_key k[] = {
		{"OWB", CTX, 1}, {"OWA", CTX, 2}, {"OWA", "UNANONYMIZED", 3},
		{"OWA", CTX, -1}, {"OW", CTX, 7}, {"OWA", CTX, INT64_MAX},
	};
	const char *want[] = {"OW/" CTX "/7", "OWA/UNANONYMIZED/3", "OWA/" CTX "/-1",
			      "OWA/" CTX "/2", "OWA/" CTX "/9223372036854775807", "OWB/" CTX "/1"};
	size_t n = sizeof(k) / sizeof(k[0]);
	qsort(k, n, sizeof(k[0]), cmp_keys);
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&b);
		session_key_format(&k[i], &b);
		assert_string_equal(b.data, want[i]);
	}
	buf_release(&b);
}

static void test_eq(void **state)
{
	(void)state;
	/* Equal by content, not by pointer. */
	char node[] = "OWA", ctx[] = CTX;
	const struct bpass_session_key a = {"OWA", CTX, 5}, b = {node, ctx, 5};
	assert_true(session_key_eq(&a, &b));
	assert_int_equal(session_key_cmp(&a, &b), 0);
	/* Each field matters. */
	assert_false(session_key_eq(&a, &(struct bpass_session_key){"OWB", CTX, 5}));
	assert_false(session_key_eq(&a, &(struct bpass_session_key){"OWA", "UNANONYMIZED", 5}));
	assert_false(session_key_eq(&a, &(struct bpass_session_key){"OWA", CTX, 6}));
	assert_false(session_key_eq(&a, &(struct bpass_session_key){"OWA", CTX, 5 - (1LL << 32)}));
	assert_false(session_key_eq(&a, &(struct bpass_session_key){"OWAB", CTX, 5}));
}

static void test_format(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "session ");
	session_key_format(&(struct bpass_session_key){"OW0123456789AB", CTX, 1337104800512345}, &b);
	assert_string_equal(b.data, "session OW0123456789AB/" CTX "/1337104800512345");
	buf_reset(&b);
	session_key_format(&(struct bpass_session_key){"a/b", "", INT64_MIN}, &b);
	assert_string_equal(b.data, "a/b//-9223372036854775808");
	buf_release(&b);
}

/* Parses the spec's worked example v5-seq1 with a node id of len characters. */
static int parse_node_id(size_t len)
{
	FILE *f = fopen("tests/fixtures/spec/v5-seq1.txt", "rb");
	assert_non_null(f);
	char example[4096];
	size_t n = fread(example, 1, sizeof(example), f);
	fclose(f);
	const char *node = "OW0123456789AB";
	const char *at = memmem(example, n, node, strlen(node));
	assert_non_null(at);
	struct buf text;
	buf_init(&text);
	buf_append(&text, example, (size_t)(at - example));
	for (size_t i = 0; i < len; i++)
		buf_putc(&text, 'N');
	size_t rest = (size_t)(at - example) + strlen(node);
	buf_append(&text, example + rest, n - rest);
	struct update_buf ub;
	update_buf_init(&ub);
	struct update_error err;
	int rc = update_parse(&ub, text.data, text.len, &err);
	update_buf_release(&ub);
	buf_release(&text);
	return rc;
}

static void test_limits(void **state)
{
	(void)state;
	/* The parser's limit is the one named here. */
	assert_int_equal(parse_node_id(SESSION_NODE_ID_MAX), 0);
	assert_int_equal(parse_node_id(SESSION_NODE_ID_MAX + 1), -1);
	/* The buffers that hold keys are sized by the named sizes. */
	struct index_session s;
	struct worker_slot slot;
	assert_int_equal(sizeof(s.node_id), SESSION_NODE_ID_SIZE);
	assert_int_equal(sizeof(s.context), SESSION_CONTEXT_SIZE);
	assert_int_equal(sizeof(slot.node_id), SESSION_NODE_ID_SIZE);
	assert_int_equal(sizeof(slot.context), SESSION_CONTEXT_SIZE);
	assert_true(SESSION_NODE_ID_SIZE > SESSION_NODE_ID_MAX);
	assert_true(SESSION_CONTEXT_SIZE > SESSION_CONTEXT_MAX);
	assert_true(SESSION_CONTEXT_MAX >= strlen(CTX));
}

int main(void)
{
	log_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
