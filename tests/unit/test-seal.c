/* Unit tests: seals signed and checked; keys; proofs. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custody/key.h"
#include "custody/proof.h"
#include "custody/seal.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "4444444444444444444444444444444444444444444444444444444444444444"

/* A seal with every field set. */
static char *
make_seal(const struct key *key, size_t *len)
{
	struct seal s = { 0 };

	s.case_id = "CASE-1";
	s.evidence_id = "E001";
	s.hostname = "host1";
	s.started = "2026-01-01T00:00:00.000000000Z";
	s.finished = "2026-01-01T00:01:00.000000000Z";
	s.counts.entries = 3;
	s.counts.members = 2;
	s.manifest_sha256 = D1;
	s.merkle_root = D2;
	s.sums_sha256 = D3;
	s.log_sha256 = D4;
	s.tool_version = "test";
	return seal_serialize(&s, key, len);
}

/* A seal serializes, parses back, and its signature checks out. */
static void
test_seal_round_trip(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL), *pub;
	unsigned char sig[KEY_SIGNATURE_SIZE];
	struct seal s;
	size_t len;
	char *text;

	(void)state;
	assert_non_null(key);
	text = make_seal(key, &len);
	assert_non_null(text);
	assert_int_equal(text[len - 1], '\n');
	assert_int_equal(seal_parse(text, len, &s), 0);
	assert_string_equal(s.case_id, "CASE-1");
	assert_string_equal(s.merkle_root, D2);
	assert_string_equal(s.log_sha256, D4);
	assert_string_equal(s.fingerprint, key->fingerprint);
	assert_int_equal(s.counts.entries, 3);
	assert_null(s.collector_organization);
	pub = key_from_raw(s.public_key);
	assert_non_null(pub);
	assert_int_equal(key_sign(key, text, len, sig), 0);
	assert_int_equal(key_verify(pub, text, len, sig, sizeof sig), 0);
	text[10] ^= 1;
	assert_int_equal(key_verify(pub, text, len, sig, sizeof sig), -1);
	assert_int_equal(key_verify(pub, text, len, sig, sizeof sig - 1), -1);
	seal_free(&s);
	key_free(pub);
	key_free(key);
	free(text);
}

/* Replace the first occurrence of from in text (of the same length or shorter). */
static void
replace_text(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);

	assert_non_null(at);
	memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	memcpy(at, to, strlen(to));
}

/* A seal of texts in parts is version 2 and counts them; version 1 has none. */
static void
test_seal_parts(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);
	struct seal s = { 0 }, parsed;
	size_t len;
	char *text, *v1;

	(void)state;
	assert_non_null(key);
	v1 = make_seal(key, &len);
	assert_non_null(v1);
	assert_non_null(strstr(v1, "\"version\": 1,"));
	assert_null(strstr(v1, "\"parts\""));
	assert_int_equal(seal_parse(v1, len, &parsed), 0);
	assert_int_equal(parsed.parts[SEAL_TEXT_MANIFEST], 0);
	seal_free(&parsed);
	s.case_id = "CASE-1";
	s.evidence_id = "E001";
	s.hostname = "host1";
	s.started = s.finished = "2026-01-01T00:00:00.000000000Z";
	s.manifest_sha256 = s.merkle_root = s.sums_sha256 = s.log_sha256 = D1;
	s.tool_version = "test";
	s.parts[SEAL_TEXT_MANIFEST] = 3;
	s.parts[SEAL_TEXT_SUMS] = 1;
	s.parts[SEAL_TEXT_LOG] = 2;
	text = seal_serialize(&s, key, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"version\": 2,"));
	assert_int_equal(seal_parse(text, len, &parsed), 0);
	assert_int_equal(parsed.parts[SEAL_TEXT_MANIFEST], 3);
	assert_int_equal(parsed.parts[SEAL_TEXT_SUMS], 1);
	assert_int_equal(parsed.parts[SEAL_TEXT_LOG], 2);
	seal_free(&parsed);
	/* Parts in a version 1 seal, a version 2 seal without them, a bad count. */
	replace_text(text, "\"version\": 2,", "\"version\": 1,");
	assert_int_equal(seal_parse(text, strlen(text), &parsed), -1);
	replace_text(text, "\"version\": 1,", "\"version\": 2,");
	replace_text(text, "\"sums\": 1", "\"sums\":-1");
	assert_int_equal(seal_parse(text, strlen(text), &parsed), -1);
	replace_text(v1, "\"version\": 1,", "\"version\": 2,");
	assert_int_equal(seal_parse(v1, strlen(v1), &parsed), -1);
	free(text);
	free(v1);
	key_free(key);
}

/* Part names are six digits in the text's directory, and nothing else. */
static void
test_part_names(void **state)
{
	char name[SEAL_PART_NAME_SIZE];
	enum seal_text t;
	uint64_t n;

	(void)state;
	assert_int_equal(seal_part_name(SEAL_TEXT_MANIFEST, 1, name), 0);
	assert_string_equal(name, "custody/manifest.d/000001.jsonl");
	assert_int_equal(seal_part_name(SEAL_TEXT_SUMS, 999999, name), 0);
	assert_string_equal(name, "custody/SHA256SUMS.d/999999");
	assert_int_equal(seal_part_name(SEAL_TEXT_LOG, 0, name), -1);
	assert_int_equal(seal_part_name(SEAL_TEXT_LOG, 1000000, name), -1);
	assert_int_equal(seal_part_parse("custody/collection.log.d/000042", 31, &t, &n), 1);
	assert_int_equal(t, SEAL_TEXT_LOG);
	assert_int_equal(n, 42);
	assert_int_equal(seal_part_parse("custody/manifest.d/000042", 25, &t, &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(seal_part_parse("custody/SHA256SUMS.d/00004x", 27, &t, &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(seal_part_parse("custody/SHA256SUMS", 18, &t, &n), 0);
	assert_int_equal(seal_part_parse("files/custody/manifest.d/000001.jsonl", 37, &t, &n), 0);
}

/* Seals with a field removed or mangled are refused. */
static void
test_seal_hostile(void **state)
{
	const char *cuts[] = { "\"case_id\"", "\"merkle_root\"", "\"public_key\"",
	    "\"counts\"", "\"members\"", "\"format\"" };
	struct key *key = key_generate("Ada", "examiner", "Org");
	struct seal s;
	size_t len, i;
	char *text, *copy, *at;

	(void)state;
	text = make_seal(key, &len);
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		copy = strdup(text);
		at = strstr(copy, cuts[i]);
		assert_non_null(at);
		at[1] = 'X';	/* rename the key: as good as removing it */
		assert_int_equal(seal_parse(copy, len, &s), -1);
		assert_null(s.json);	/* nothing left to free */
		free(copy);
	}
	assert_int_equal(seal_parse("{}", 2, &s), -1);
	assert_null(s.json);
	assert_int_equal(seal_parse("[", 1, &s), -1);
	seal_free(&s);
	key_free(key);
	free(text);
}

/* A one-time key: no identity, marked in the seal; "one_time" other than true is refused. */
static void
test_seal_one_time(void **state)
{
	struct key *key = key_generate_one_time();
	struct seal s;
	size_t len;
	char *text, *at;

	(void)state;
	assert_non_null(key);
	assert_true(key->one_time && key->has_private);
	assert_null(key->name);
	text = make_seal(key, &len);
	assert_non_null(text);
	assert_null(strstr(text, "\"role\""));
	assert_int_equal(seal_parse(text, len, &s), 0);
	assert_true(s.one_time);
	assert_null(s.collector_name);
	assert_string_equal(s.fingerprint, key->fingerprint);
	seal_free(&s);
	at = strstr(text, "true");
	assert_non_null(at);
	memcpy(at, "null", 4);
	assert_int_equal(seal_parse(text, len, &s), -1);
	free(text);
	key_free(key);
}

/* Fingerprints as people write them down: groups, case, prefixes of 32 digits or more. */
static void
test_fingerprint_parse(void **state)
{
	char out[KEY_FINGERPRINT_SIZE];

	(void)state;
	assert_int_equal(key_fingerprint_parse("ABCD 1234:abcd-1234 abcd1234 "
	    "abcd1234", out), 0);
	assert_string_equal(out, "abcd1234abcd1234abcd1234abcd1234");
	assert_true(key_fingerprint_matches(out, "abcd1234abcd1234abcd1234abcd1234"
	    "00000000000000000000000000000000"));
	assert_false(key_fingerprint_matches(out, "abcd1234abcd1234abcd1234abcd1235"
	    "00000000000000000000000000000000"));
	assert_int_equal(key_fingerprint_parse("abcd1234", out), -1);
	assert_int_equal(key_fingerprint_parse("g bcd1234abcd1234abcd1234abcd1234", out), -1);
	assert_int_equal(key_fingerprint_parse(D1 "1", out), -1);
	assert_int_equal(key_fingerprint_parse(D1, out), 0);
	assert_true(key_fingerprint_matches(out, D1));
	assert_false(key_fingerprint_matches("", D1));
}

/* Identity fields are checked. */
static void
test_key_fields(void **state)
{
	char long_name[KEY_FIELD_MAX + 2];

	(void)state;
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	assert_null(key_generate("", "r", NULL));
	assert_null(key_generate("a\nb", "r", NULL));
	assert_null(key_generate(long_name, "r", NULL));
	assert_null(key_generate("n", "r", "bad\x01org"));
}

/* A proof serializes and parses back; malformed ones are refused. */
static void
test_proof_round_trip(void **state)
{
	struct proof p = { 0 }, q;
	unsigned char sig[64] = { 1, 2, 3 };
	char *text, *at;
	size_t len;

	(void)state;
	p.seal = "{\"seal\": true}\n";
	p.seal_len = strlen(p.seal);
	p.signature = sig;
	p.signature_len = sizeof sig;
	p.entry = "{\"type\":\"entry\"}";
	p.entry_len = strlen(p.entry);
	p.index = 3;
	p.tree_size = 7;
	p.path_len = 3;
	memset(p.path[2], 0xab, MERKLE_HASH_SIZE);
	text = proof_serialize(&p, &len);
	assert_non_null(text);
	assert_int_equal(proof_parse(text, len, &q), 0);
	assert_int_equal(q.index, 3);
	assert_int_equal(q.tree_size, 7);
	assert_int_equal(q.path_len, 3);
	assert_memory_equal(q.path[2], p.path[2], MERKLE_HASH_SIZE);
	assert_int_equal(q.seal_len, p.seal_len);
	assert_memory_equal(q.seal, p.seal, p.seal_len);
	assert_int_equal(q.signature_len, 64);
	assert_memory_equal(q.signature, sig, 64);
	proof_free(&q);
	/* Fails after the entry and seal are decoded: nothing left to free. */
	at = strstr(text, "\"seal_signature\"");
	assert_non_null(at);
	at[1] = 'X';
	assert_int_equal(proof_parse(text, len, &q), -1);
	assert_null(q.json);
	assert_null(q.entry);
	assert_null(q.seal);
	free(text);
	assert_int_equal(proof_parse("{\"format\":\"custody-proof\",\"version\":2}", 38, &q), -1);
	assert_null(q.json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_round_trip),
		cmocka_unit_test(test_seal_hostile),
		cmocka_unit_test(test_seal_one_time),
		cmocka_unit_test(test_seal_parts),
		cmocka_unit_test(test_part_names),
		cmocka_unit_test(test_fingerprint_parse),
		cmocka_unit_test(test_key_fields),
		cmocka_unit_test(test_proof_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
