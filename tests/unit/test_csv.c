/*
 * tests/unit/test_csv.c: CSV field quoting (common/csv.h) by RFC 4180:
 * plain fields as they are, fields holding a comma, a quote, CR or LF quoted
 * with quotes doubled, the empty field empty, appending to what is there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "buf.h"
#include "csv.h"

static const char *quoted(struct buf *b, const char *s)
{
	buf_reset(b);
	csv_put_field(b, s);
	return b->data;
}

static void test_quoting(void **unused)
{
	(void)unused;
	struct buf b;
	buf_init(&b);
	assert_string_equal(quoted(&b, "plain"), "plain");
	assert_string_equal(quoted(&b, ""), "");
	assert_string_equal(quoted(&b, "with space; and 'single'"), "with space; and 'single'");
	assert_string_equal(quoted(&b, "a,b"), "\"a,b\"");
	assert_string_equal(quoted(&b, "say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(quoted(&b, "\""), "\"\"\"\"");
	assert_string_equal(quoted(&b, "two\nlines"), "\"two\nlines\"");
	assert_string_equal(quoted(&b, "cr\r"), "\"cr\r\"");
	buf_reset(&b);
	buf_puts(&b, "x,");
	csv_put_field(&b, "y,z");
	assert_string_equal(b.data, "x,\"y,z\"");
	assert_int_equal(b.len, 7);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
