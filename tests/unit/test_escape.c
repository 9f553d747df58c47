/*
 * tests/unit/test_escape.c: escaping untrusted text for messages
 * (common/escape.h): control bytes, ESC and newlines become visible escapes,
 * invalid UTF-8 and C1 controls become \xNN, valid UTF-8 and printable ASCII
 * pass unchanged, and the result is always printable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "escape.h"

static void check(const char *in, const char *want)
{
	struct buf b;
	buf_init(&b);
	assert_string_equal(escape_str(&b, in), want);
	assert_int_equal(escape_is_plain(in), strcmp(in, want) == 0);
	/* Nothing a terminal acts on is left. */
	for (const unsigned char *p = (const unsigned char *)b.data; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
	buf_release(&b);
}

static void test_ascii(void **state)
{
	(void)state;
	check("", "");
	check("OW0123456789AB_2012-05-15_18-00-00.tar", "OW0123456789AB_2012-05-15_18-00-00.tar");
	check("a \"quoted\" name", "a \"quoted\" name");
	check("back\\slash", "back\\\\slash");
}

static void test_controls(void **state)
{
	(void)state;
	/* A member name that would retitle the terminal and forge a line. */
	check("a\033]0;pwned\007\n.gz", "a\\e]0;pwned\\x07\\n.gz");
	check("\033[31mred\033[0m", "\\e[31mred\\e[0m");
	check("tab\there\rcr", "tab\\there\\rcr");
	check("\001\037\177", "\\x01\\x1f\\x7f");
}

static void test_utf8(void **state)
{
	(void)state;
	check("caf\xc3\xa9", "caf\xc3\xa9");                   /* é */
	check("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");   /* 日本 */
	check("\xf0\x9f\x93\xa6", "\xf0\x9f\x93\xa6");         /* U+1F4E6 */
	check("\xc2\xa0", "\xc2\xa0");                         /* U+00A0, first after C1 */
	/* Not UTF-8: each bad byte on its own. */
	check("OW\xff\xfeX", "OW\\xff\\xfeX");
	check("\xc3", "\\xc3");                                /* cut at the end */
	check("\xe6\x97", "\\xe6\\x97");
	check("\xe6\x97Z", "\\xe6\\x97Z");
	check("\xc0\xaf", "\\xc0\\xaf");                       /* overlong '/' */
	check("\xe0\x80\xaf", "\\xe0\\x80\\xaf");              /* overlong, 3 bytes */
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");              /* a surrogate */
	check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");     /* past U+10FFFF */
	check("\x80", "\\x80");                                /* a lone continuation */
	/* C1 controls (CSI is U+009B) are escaped although well formed. */
	check("\xc2\x9b" "31m", "\\xc2\\x9b" "31m");
	check("\xc2\x80", "\\xc2\\x80");
}

static void test_append(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "member \"");
	escape_append(&b, "x\ny");
	buf_puts(&b, "\"");
	assert_string_equal(b.data, "member \"x\\ny\"");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
