/*
 * tests/unit/test_hmac.c: HMAC-SHA256 (ops/hmac.h) on the test cases of
 * RFC 4231 (short key, "Jefe", a 131-byte key longer than the block, and
 * 50 bytes of 0xdd data), and on an empty key and message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "hmac.h"

static void check(const void *key, size_t key_len, const void *data, size_t len,
		  const char *want)
{
	char hex[65];
	hmac_sha256_hex(key, key_len, data, len, hex);
	assert_string_equal(hex, want);
}

static void test_rfc4231(void **state)
{
	(void)state;
	uint8_t key[131], data[50];
	/* Test case 1. */
	memset(key, 0x0b, 20);
	check(key, 20, "Hi There", 8,
	      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 2. */
	check("Jefe", 4, "what do ya want for nothing?", 28,
	      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 3. */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	check(key, 20, data, 50,
	      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	/* Test case 6: a key longer than the block is hashed first. */
	memset(key, 0xaa, 131);
	const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	check(key, 131, msg, strlen(msg),
	      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_empty(void **state)
{
	(void)state;
	/* python3 -c 'import hmac,hashlib;print(hmac.new(b"",b"",hashlib.sha256).hexdigest())' */
	check("", 0, "", 0, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_binary(void **state)
{
	(void)state;
	uint8_t out1[HMAC_SHA256_LEN], out2[HMAC_SHA256_LEN];
	hmac_sha256("k", 1, "a", 1, out1);
	hmac_sha256("k", 1, "b", 1, out2);
	assert_memory_not_equal(out1, out2, HMAC_SHA256_LEN);
	hmac_sha256("k", 1, "a", 1, out2);
	assert_memory_equal(out1, out2, HMAC_SHA256_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
