/* Unit tests: several digests in one pass; hex and base64 helpers. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custody/hash.h"
#include "custody/util.h"

/* Known answers for "abc" (FIPS 180 / RFC 1321). */
static void
test_known_answers(void **state)
{
	struct hash_set set;
	char hex[HASH_HEX_SIZE];

	(void)state;
	assert_int_equal(hash_set_init(&set, HASH_MASK_ALL), 0);
	assert_int_equal(hash_set_update(&set, "ab", 2), 0);
	assert_int_equal(hash_set_update(&set, "c", 1), 0);
	assert_int_equal(hash_set_final(&set), 0);
	hash_set_hex(&set, HASH_SHA256, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_set_hex(&set, HASH_SHA1, hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	hash_set_hex(&set, HASH_MD5, hex);
	assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
	hash_set_hex(&set, HASH_SHA512, hex);
	assert_string_equal(hex, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	hash_set_free(&set);
}

/* Reset starts a fresh digest with the same algorithms. */
static void
test_reset(void **state)
{
	struct hash_set set;
	char hex[HASH_HEX_SIZE];

	(void)state;
	assert_int_equal(hash_set_init(&set, HASH_MASK(HASH_SHA256)), 0);
	hash_set_update(&set, "junk", 4);
	hash_set_final(&set);
	assert_int_equal(hash_set_reset(&set), 0);
	hash_set_final(&set);
	hash_set_hex(&set, HASH_SHA256, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_null(set.ctx[HASH_MD5]);
	hash_set_free(&set);
}

/* Lists always include SHA-256 and refuse unknown or empty names. */
static void
test_parse_list(void **state)
{
	unsigned mask;

	(void)state;
	assert_int_equal(hash_parse_list("md5", &mask), 0);
	assert_int_equal(mask, HASH_MASK(HASH_SHA256) | HASH_MASK(HASH_MD5));
	assert_int_equal(hash_parse_list("sha256,sha1,md5,sha512", &mask), 0);
	assert_int_equal(mask, HASH_MASK_ALL);
	assert_int_equal(hash_parse_list("sha3", &mask), -1);
	assert_int_equal(hash_parse_list("sha1,,md5", &mask), -1);
	assert_int_equal(hash_parse_list("", &mask), -1);
	assert_int_equal(hash_parse_list("sha256,", &mask), -1);
}

/* Hex and base64 round trips, and refusals of malformed input. */
static void
test_encodings(void **state)
{
	unsigned char bytes[4] = { 0x00, 0xff, 0x10, 0xab }, back[4], *decoded;
	char hex[9], *b64;
	size_t len;

	(void)state;
	assert_string_equal(util_hex(bytes, 4, hex), "00ff10ab");
	assert_int_equal(util_unhex("00FF10ab", back, 4), 0);
	assert_memory_equal(bytes, back, 4);
	assert_int_equal(util_unhex("00ff10a", back, 4), -1);
	assert_int_equal(util_unhex("00ff10ag", back, 4), -1);
	b64 = util_base64("hello", 5);
	assert_string_equal(b64, "aGVsbG8=");
	assert_int_equal(util_unbase64(b64, &decoded, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(decoded, "hello", 5);
	free(decoded);
	free(b64);
	assert_int_equal(util_unbase64("aGVsbG8", &decoded, &len), -1);
	assert_int_equal(util_unbase64("aG=sbG8=", &decoded, &len), -1);
	assert_int_equal(util_unbase64("", &decoded, &len), 0);
	assert_int_equal(len, 0);
	free(decoded);
}

/* UTF-8 checks and escaping for messages. */
static void
test_utf8_and_escape(void **state)
{
	char *e;

	(void)state;
	assert_true(util_utf8_valid("caf\xc3\xa9", 5));
	assert_false(util_utf8_valid("caf\xc3", 4));
	assert_false(util_utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(util_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(util_utf8_valid("a\0b", 3));
	assert_false(util_utf8_printable("a\nb", 3));
	e = util_escape("a\nb\\c\xff\xc3\xa9", 8);
	assert_string_equal(e, "a\\nb\\\\c\\xff\xc3\xa9");
	free(e);
}

/* Times are UTC ISO-8601 with nanoseconds. */
static void
test_time_format(void **state)
{
	struct timespec ts = { 1000000000, 5 };
	char text[UTIL_TIME_SIZE];

	(void)state;
	util_time_format(&ts, text);
	assert_string_equal(text, "2001-09-09T01:46:40.000000005Z");
}

/* The hand-made calendar agrees with the C library's, both ways, years 0 to 9999. */
static void
test_time_calendar(void **state)
{
	char text[UTIL_TIME_SIZE], want[96];
	struct timespec ts, back;
	struct tm tm;
	time_t t;

	(void)state;
	for (t = (time_t)-62167219200LL; t <= (time_t)253402300799LL;
	    t += (time_t)3155760013LL / 1000) {
		ts.tv_sec = t;
		ts.tv_nsec = 123456789;
		assert_non_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.123456789Z",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		util_time_format(&ts, text);
		assert_string_equal(text, want);
		assert_int_equal(util_time_parse(text, strlen(text), &back), 0);
		assert_true(back.tv_sec == t && back.tv_nsec == 123456789);
	}
	assert_int_equal(util_time_parse("2024-02-29T00:00:00.000000000Z", 30,
	    &back), 0);
	assert_int_equal(util_time_parse("2023-02-29T00:00:00.000000000Z", 30,
	    &back), -1);
	assert_int_equal(util_time_parse("2023-13-01T00:00:00.000000000Z", 30,
	    &back), -1);
	assert_int_equal(util_time_parse("2023-01-01T24:00:00.000000000Z", 30,
	    &back), -1);
	ts.tv_sec = (time_t)253402300800LL;
	util_time_format(&ts, text);
	assert_string_equal(text, "invalid-time");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_utf8_and_escape),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_calendar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
