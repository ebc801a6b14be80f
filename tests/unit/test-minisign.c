/* Unit tests: minisign's key and signature formats, against minisign 0.11's own output. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custody/key.h"
#include "custody/minisign.h"

/* Made by minisign 0.11 (-G, then -S and -S -l over MESSAGE). */
#define MESSAGE "custody test vector\n"
static const char public_text[] =
    "untrusted comment: minisign public key D534F2D7CD4C3DA5\n"
    "RWSlPUzN1/I01QzjiyvfhjfyH4o2b3ptXUeMjuZYcKvShLXx2EZKwg8W\n";
static const char prehashed_text[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUSlPUzN1/I01QZMI9bDS4s3IvpEFMtLL8Kq0o292x65osn1VhFSrzppCM7RrvgmTelbEgH6KtSBFw4kQxSMwylHm698Iq36MQ8=\n"
    "trusted comment: custody unit test\n"
    "HKav/9ziaNDKiusWCVVVZOUznmwEUYv4ndipybk8s+W5Rnaf1k3LrHmP3HXDsGRPq80hJ4EW88SMIU1E/jK/Bg==\n";
static const char legacy_text[] =
    "untrusted comment: signature from minisign secret key\n"
    "RWSlPUzN1/I01br4dO1Ka6aHq0ZzidnxOteqLCQE4EALGHBsVOwwttmYnht6VFkIFaFJFLTxCgumIsme6/5CtcE1nHyZgraUbQg=\n"
    "trusted comment: custody unit test, legacy\n"
    "ilh62zCELB4tdayBLKupUFzXxqxWfRbmkegswB4Ypnj9D9FOGpUz8xLQRpdYveYOQLLpQiEnzwicAxc/ke/JAg==\n";

/* Parse and check one signature text against the vector's key. */
static int
check_text(const char *text, size_t text_len, const char *message, size_t len)
{
	unsigned char id[MINISIGN_KEY_ID_SIZE];
	struct minisign_signature sig;
	struct key *key;
	int rc;

	key = minisign_public_parse(public_text, strlen(public_text), id);
	assert_non_null(key);
	rc = minisign_signature_parse(text, text_len, &sig);
	if (rc == 0)
		rc = minisign_verify(&sig, key, id, message, len);
	minisign_signature_free(&sig);
	key_free(key);
	return rc;
}

/* minisign's own signatures verify, prehashed and legacy, and the key id reads back as minisign prints it. */
static void
test_minisign_vectors(void **state)
{
	unsigned char id[MINISIGN_KEY_ID_SIZE];
	char hex[MINISIGN_ID_HEX_SIZE];
	struct key *key;

	(void)state;
	key = minisign_public_parse(public_text, strlen(public_text), id);
	assert_non_null(key);
	assert_string_equal(minisign_key_id_hex(id, hex), "D534F2D7CD4C3DA5");
	key_free(key);
	assert_int_equal(check_text(prehashed_text, strlen(prehashed_text), MESSAGE,
	    strlen(MESSAGE)), 0);
	assert_int_equal(check_text(legacy_text, strlen(legacy_text), MESSAGE,
	    strlen(MESSAGE)), 0);
	assert_int_equal(check_text(prehashed_text, strlen(prehashed_text), MESSAGE,
	    strlen(MESSAGE) - 1), -1);
	assert_int_equal(check_text(legacy_text, strlen(legacy_text), "X" MESSAGE,
	    strlen(MESSAGE) + 1), -1);
}

/*
 * Every single-bit change of a signature file is refused, but in the last
 * base64 digit before padding, whose low bits carry nothing.
 */
static void
test_every_byte_matters(void **state)
{
	size_t len = strlen(prehashed_text), i;
	char *copy = malloc(len);

	(void)state;
	assert_non_null(copy);
	for (i = strlen("untrusted comment: signature from minisign secret key\n");
	    i < len; i++) {
		memcpy(copy, prehashed_text, len);
		copy[i] ^= 0x01;
		if (check_text(copy, len, MESSAGE, strlen(MESSAGE)) == 0)
			assert_int_equal(prehashed_text[i + 1], '=');
	}
	free(copy);
}

/* Truncated and malformed files are refused without crashing. */
static void
test_malformed(void **state)
{
	size_t len = strlen(prehashed_text), cut;

	(void)state;
	for (cut = 0; cut < len - 1; cut++)
		assert_int_equal(check_text(prehashed_text, cut, MESSAGE, strlen(MESSAGE)), -1);
	assert_int_equal(check_text("untrusted comment: x\n\n\n\n", 24, MESSAGE,
	    strlen(MESSAGE)), -1);
	assert_int_equal(check_text("untrusted comment: x\0a\nb\nc\nd\n", 29, MESSAGE,
	    strlen(MESSAGE)), -1);
}

/* What custody signs, custody verifies; another key or comment does not. */
static void
test_round_trip(void **state)
{
	struct key *key = key_generate("Release", "release", NULL);
	struct key *other = key_generate("Other", "release", NULL);
	unsigned char id[MINISIGN_KEY_ID_SIZE], other_id[MINISIGN_KEY_ID_SIZE];
	struct minisign_signature sig;
	char *text, *pub;
	struct key *parsed;

	(void)state;
	assert_non_null(key);
	assert_non_null(other);
	text = minisign_sign(key, "abc", 3, "timestamp:1\tfile:x\thashed");
	assert_non_null(text);
	assert_true(minisign_is_text(text, strlen(text)));
	assert_int_equal(minisign_signature_parse(text, strlen(text), &sig), 0);
	assert_true(sig.prehashed);
	assert_string_equal(sig.trusted_comment, "timestamp:1\tfile:x\thashed");
	minisign_key_id(key, id);
	minisign_key_id(other, other_id);
	assert_int_equal(minisign_verify(&sig, key, id, "abc", 3), 0);
	assert_int_equal(minisign_verify(&sig, key, id, "abd", 3), -1);
	assert_int_equal(minisign_verify(&sig, other, other_id, "abc", 3), -1);
	assert_int_equal(minisign_verify(&sig, other, id, "abc", 3), -1);
	minisign_signature_free(&sig);
	pub = minisign_public_text(key);
	assert_non_null(pub);
	parsed = minisign_public_parse(pub, strlen(pub), other_id);
	assert_non_null(parsed);
	assert_memory_equal(other_id, id, sizeof id);
	assert_memory_equal(parsed->raw_public, key->raw_public, KEY_RAW_SIZE);
	assert_null(minisign_sign(key, "abc", 3, "two\nlines"));
	key_free(parsed);
	free(pub);
	free(text);
	key_free(key);
	key_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minisign_vectors),
		cmocka_unit_test(test_every_byte_matters),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
