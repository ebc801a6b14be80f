/* Unit tests: checkpoints signed and verified as C2SP signed notes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "custody/checkpoint.h"
#include "custody/error.h"
#include "custody/key.h"
#include "custody/util.h"

#define NAME	"custody.example/ledger"
#define ORIGIN	"custody/CASE-1"
#define DASH	"\xe2\x80\x94 "

/* base64 of the bytes 0..31 (the test root), of 0..30 and of 0..32. */
#define ROOT_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define ROOT31_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="
#define ROOT33_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"

/* RFC 8032, section 7.1, test 1: a fixed, valid Ed25519 public key. */
static const unsigned char rfc8032_public[KEY_RAW_SIZE] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7,
	0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
	0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
	0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

/* golang.org/x/mod/sumdb/note, note_test.go: the PeterNeumann key and note. */
#define PETER_VKEY "PeterNeumann+c74f20a3+" \
	"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SEED "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_TEXT \
	"If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG \
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ" \
	"SNXgKvqfqdngotpRZb6KE6RyyBwJnAM="

/*
 * A real checkpoint of the Go checksum database (sum.golang.org), as
 * quoted from a /lookup response in sigsum-go's design notes, with the
 * sumdb verifier key built into the go command.
 */
#define SUMDB_VKEY "sum.golang.org+033de0ae+" \
	"Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
#define SUMDB_NOTE "go.sum database tree\n49189689\n" \
	"ftjbAOzaupaIvaPo/G+Dk63nxOZ2s1OPOKIaPtXs7S4=\n\n" \
	DASH "sum.golang.org " \
	"Az3grlKZssqRoMNPpZfKt0TphbbcF+pzXqElURJKRNFKfaUAgqeI" \
	"5k2AORH0QAhg/ebRwyIqD/OqP4oLtLnNumvOBAM=\n"
#define SUMDB_ROOT "ftjbAOzaupaIvaPo/G+Dk63nxOZ2s1OPOKIaPtXs7S4="

/* The fixed root used by most tests: bytes 0, 1, ..., 31. */
static void
test_root(merkle_hash root)
{
	int i;

	for (i = 0; i < MERKLE_HASH_SIZE; i++)
		root[i] = (unsigned char)i;
}

/* The key id computed here with EVP alone, independently of the library. */
static void
evp_key_id(const char *name, const unsigned char raw[KEY_RAW_SIZE],
    unsigned char id[4])
{
	unsigned char buf[256 + 2 + KEY_RAW_SIZE], digest[32];
	size_t n = strlen(name);

	assert_true(n <= 256);
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = 0x01;
	memcpy(buf + n + 2, raw, KEY_RAW_SIZE);
	assert_int_equal(EVP_Digest(buf, n + 2 + KEY_RAW_SIZE, digest, NULL,
	    EVP_sha256(), NULL), 1);
	memcpy(id, digest, 4);
}

/* Base64 with EVP alone; malloc'd. */
static char *
evp_base64(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/*
 * A signed note over text built with EVP alone: text, a blank line, and
 * "— name base64(id || Ed25519(text))". malloc'd, NUL-terminated.
 */
static char *
evp_note(const char *text, const char *name, const struct key *key)
{
	unsigned char blob[4 + KEY_SIGNATURE_SIZE];
	size_t sig_len = KEY_SIGNATURE_SIZE, room;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *b64, *note;

	assert_non_null(ctx);
	evp_key_id(name, key->raw_public, blob);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey),
	    1);
	assert_int_equal(EVP_DigestSign(ctx, blob + 4, &sig_len,
	    (const unsigned char *)text, strlen(text)), 1);
	EVP_MD_CTX_free(ctx);
	b64 = evp_base64(blob, sizeof blob);
	room = strlen(text) + strlen(name) + strlen(b64) + 16;
	note = malloc(room);
	assert_non_null(note);
	snprintf(note, room, "%s\n" DASH "%s %s\n", text, name, b64);
	free(b64);
	return note;
}

/* Concatenate two strings into a new one. */
static char *
concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 1);

	assert_non_null(out);
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return out;
}

/* The note must be refused with a message containing want. */
static void
refused(const char *note, size_t len, const char *name, const struct key *key,
    const char *want)
{
	struct checkpoint cp;

	error_clear();
	assert_int_equal(checkpoint_verify(note, len, name, key, &cp), -1);
	if (strstr(error_message(), want) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"",
		    error_message(), want);
	assert_null(cp.origin);
	assert_null(cp.text);
}

/* A note built with EVP over text, expected to be refused with want. */
static void
refused_text(const char *text, const struct key *key, const char *want)
{
	char *note = evp_note(text, NAME, key);

	refused(note, strlen(note), NAME, key, want);
	free(note);
}

/* A struct key around an EVP_PKEY, as key.c would fill it. */
static struct key *
wrap_pkey(EVP_PKEY *pkey, int has_private)
{
	struct key *key = calloc(1, sizeof *key);
	size_t len = KEY_RAW_SIZE;

	assert_non_null(key);
	assert_non_null(pkey);
	key->pkey = pkey;
	key->has_private = has_private;
	assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, key->raw_public,
	    &len), 1);
	return key;
}

/* The public key of a Go verifier key "name+hash+base64(0x01 || key)". */
static struct key *
go_vkey(const char *vkey)
{
	const char *b64 = strchr(strchr(vkey, '+') + 1, '+') + 1;
	unsigned char *raw;
	struct key *key;
	size_t len;

	assert_int_equal(util_unbase64(b64, &raw, &len), 0);
	assert_int_equal(len, 1 + KEY_RAW_SIZE);
	assert_int_equal(raw[0], 0x01);
	key = key_from_raw(raw + 1);
	assert_non_null(key);
	free(raw);
	return key;
}

/* Compare a 4-byte key id with the hex of a Go verifier key's hash. */
static void
assert_id_hex(const unsigned char id[4], const char *hex)
{
	char got[9];

	util_hex(id, 4, got);
	assert_string_equal(got, hex);
}

/* Sign, then verify: origin, size and root come back. */
static void
test_round_trip(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL), *pub;
	struct checkpoint cp;
	merkle_hash root;
	size_t len;
	char *note;

	(void)state;
	assert_non_null(key);
	test_root(root);
	note = checkpoint_sign(ORIGIN, 12345, root, NAME, key, &len);
	assert_non_null(note);
	assert_int_equal(strlen(note), len);
	pub = key_from_raw(key->raw_public);
	assert_non_null(pub);
	assert_int_equal(checkpoint_verify(note, len, NAME, pub, &cp), 0);
	assert_string_equal(cp.origin, ORIGIN);
	assert_true(cp.size == 12345);
	assert_memory_equal(cp.root, root, MERKLE_HASH_SIZE);
	assert_true(cp.text_len < len);
	assert_memory_equal(cp.text, note, cp.text_len);
	assert_string_equal(cp.text + cp.text_len - 1, "\n");
	checkpoint_free(&cp);
	assert_null(cp.origin);
	checkpoint_free(&cp);
	assert_int_equal(checkpoint_verify(note, len, NAME, pub, NULL), 0);
	free(note);
	key_free(pub);
	key_free(key);
}

/* The sizes at both ends of the range survive a round trip. */
static void
test_size_limits(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 9, 10, UINT64_MAX };
	struct key *key = key_generate("Ada", "examiner", NULL);
	struct checkpoint cp;
	merkle_hash root;
	size_t i, len;
	char *note;

	(void)state;
	assert_non_null(key);
	test_root(root);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		note = checkpoint_sign(ORIGIN, sizes[i], root, NAME, key, &len);
		assert_non_null(note);
		assert_int_equal(checkpoint_verify(note, len, NAME, key, &cp),
		    0);
		assert_true(cp.size == sizes[i]);
		checkpoint_free(&cp);
		free(note);
	}
	note = checkpoint_sign(ORIGIN, UINT64_MAX, root, NAME, key, &len);
	assert_non_null(strstr(note, "\n18446744073709551615\n"));
	free(note);
	key_free(key);
}

/* The note is exactly text, blank line, one em-dash signature line. */
static void
test_layout(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);
	char text[256], *b64, *want, *note;
	merkle_hash root;
	size_t len;

	(void)state;
	assert_non_null(key);
	test_root(root);
	b64 = evp_base64(root, sizeof root);
	assert_string_equal(b64, ROOT_B64);
	snprintf(text, sizeof text, ORIGIN "\n42\n%s\n", b64);
	/* Ed25519 is deterministic: the whole note must match byte for byte. */
	want = evp_note(text, NAME, key);
	note = checkpoint_sign(ORIGIN, 42, root, NAME, key, &len);
	assert_non_null(note);
	assert_string_equal(note, want);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(note + strlen(text), "\n\xe2\x80\x94 " NAME " ",
	    1 + 4 + strlen(NAME) + 1);
	assert_int_equal(len - strlen(text) - 1 - 4 - strlen(NAME) - 1, 92 + 1);
	assert_int_equal(note[len - 1], '\n');
	free(b64);
	free(want);
	free(note);
	key_free(key);
}

/* Key ids: by hand with EVP, by a third party (Python), and Go's vectors. */
static void
test_key_id(void **state)
{
	static const char *bad[] = { "", "a b", "a+b", "a\tb", "a\nb",
	    "a\xc2\xa0" "b", "a\xe3\x80\x80" "b", "a\xe2\x80\xa8" "b", "\xff" };
	struct key *key = key_from_raw(rfc8032_public);
	unsigned char id[4], want[4];
	size_t i;

	(void)state;
	assert_non_null(key);
	assert_int_equal(checkpoint_key_id(NAME, key, id), 0);
	evp_key_id(NAME, rfc8032_public, want);
	assert_memory_equal(id, want, 4);
	/* hashlib.sha256(NAME + "\n\x01" + key).digest()[:4] */
	assert_id_hex(id, "d14abe2f");
	assert_int_equal(checkpoint_key_id("custody.example/x", key, id), 0);
	assert_memory_not_equal(id, want, 4);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		error_clear();
		assert_int_equal(checkpoint_key_id(bad[i], key, id), -1);
		assert_non_null(strstr(error_message(), "key name"));
	}
	assert_int_equal(checkpoint_key_id(NULL, key, id), -1);
	assert_int_equal(checkpoint_key_id(NAME, NULL, id), -1);
	/* Unicode letters are fine in a key name. */
	assert_int_equal(checkpoint_key_id("caf\xc3\xa9.example", key, id), 0);
	key_free(key);
}

/* The PeterNeumann vector of golang.org/x/mod/sumdb/note. */
static void
test_go_note_vector(void **state)
{
	struct key *pub = go_vkey(PETER_VKEY), *priv;
	unsigned char id[4], *blob, *seed, sig[KEY_SIGNATURE_SIZE];
	size_t len, seed_len;
	char *note;

	(void)state;
	assert_int_equal(checkpoint_key_id("PeterNeumann", pub, id), 0);
	assert_id_hex(id, "c74f20a3");
	assert_int_equal(util_unbase64(PETER_SIG, &blob, &len), 0);
	assert_int_equal(len, 4 + KEY_SIGNATURE_SIZE);
	assert_memory_equal(blob, id, 4);
	assert_int_equal(key_verify(pub, PETER_TEXT, strlen(PETER_TEXT),
	    blob + 4, KEY_SIGNATURE_SIZE), 0);
	/* Go's private key is base64(0x01 || seed): our signer must agree. */
	assert_int_equal(util_unbase64(PETER_SEED, &seed, &seed_len), 0);
	assert_int_equal(seed_len, 1 + 32);
	priv = wrap_pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    seed + 1, 32), 1);
	assert_memory_equal(priv->raw_public, pub->raw_public, KEY_RAW_SIZE);
	assert_int_equal(key_sign(priv, PETER_TEXT, strlen(PETER_TEXT), sig),
	    0);
	assert_memory_equal(sig, blob + 4, KEY_SIGNATURE_SIZE);
	/* A valid signed note, but its text is not a checkpoint. */
	note = concat(PETER_TEXT "\n" DASH "PeterNeumann ", PETER_SIG "\n");
	refused(note, strlen(note), "PeterNeumann", pub,
	    "fewer than three lines");
	free(note);
	free(seed);
	free(blob);
	key_free(priv);
	key_free(pub);
}

/* A real sum.golang.org checkpoint verifies under Go's sumdb key. */
static void
test_go_sumdb_checkpoint(void **state)
{
	struct key *key = go_vkey(SUMDB_VKEY);
	unsigned char id[4], *root;
	struct checkpoint cp;
	char *note;
	size_t len;

	(void)state;
	assert_int_equal(checkpoint_key_id("sum.golang.org", key, id), 0);
	assert_id_hex(id, "033de0ae");
	assert_int_equal(checkpoint_verify(SUMDB_NOTE, strlen(SUMDB_NOTE),
	    "sum.golang.org", key, &cp), 0);
	assert_string_equal(cp.origin, "go.sum database tree");
	assert_true(cp.size == 49189689);
	assert_int_equal(util_unbase64(SUMDB_ROOT, &root, &len), 0);
	assert_int_equal(len, MERKLE_HASH_SIZE);
	assert_memory_equal(cp.root, root, MERKLE_HASH_SIZE);
	checkpoint_free(&cp);
	note = strdup(SUMDB_NOTE);
	assert_non_null(note);
	note[22] = '8';		/* 49189689 -> 48189689 */
	refused(note, strlen(note), "sum.golang.org", key, "does not verify");
	free(note);
	free(root);
	key_free(key);
}

/* Signatures by other keys are skipped; each signer finds its own. */
static void
test_other_signers(void **state)
{
	struct key *ours = key_generate("Ada", "examiner", NULL);
	struct key *theirs = key_generate("Bob", "witness", NULL);
	char *note, *witness, *both, *unknown;
	merkle_hash root;
	size_t len;

	(void)state;
	assert_non_null(ours);
	assert_non_null(theirs);
	test_root(root);
	note = checkpoint_sign(ORIGIN, 7, root, NAME, ours, &len);
	assert_non_null(note);
	/* The same text signed by a witness; keep only its signature line. */
	witness = checkpoint_sign(ORIGIN, 7, root, "witness.example/w1", theirs,
	    &len);
	assert_non_null(witness);
	both = concat(witness, strstr(note, "\n\n") + 2);
	assert_int_equal(checkpoint_verify(both, strlen(both), NAME, ours,
	    NULL), 0);
	assert_int_equal(checkpoint_verify(both, strlen(both),
	    "witness.example/w1", theirs, NULL), 0);
	/* Our name with their key: the key id differs, so no signature. */
	refused(both, strlen(both), NAME, theirs, "no signature by key");
	/* A line by an unknown key with an odd algorithm is skipped too. */
	unknown = concat(note, DASH "unknown.example AAAAAAAAAAAAAAAA\n");
	assert_int_equal(checkpoint_verify(unknown, strlen(unknown), NAME, ours,
	    NULL), 0);
	free(unknown);
	free(both);
	free(witness);
	free(note);
	key_free(theirs);
	key_free(ours);
}

/* Extension lines are carried in the signed text and accepted. */
static void
test_extension_lines(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);
	const char *text = ORIGIN "\n3\n" ROOT_B64 "\nextension one\n"
	    "caf\xc3\xa9 two\n";
	struct checkpoint cp;
	char *note = evp_note(text, NAME, key);

	(void)state;
	assert_int_equal(checkpoint_verify(note, strlen(note), NAME, key, &cp),
	    0);
	assert_true(cp.size == 3);
	assert_int_equal(cp.text_len, strlen(text));
	assert_string_equal(cp.text, text);
	checkpoint_free(&cp);
	free(note);
	key_free(key);
}

/* The note text and blank line in front of the given signature lines. */
static char *
with_signatures(const char *note, const char *lines)
{
	char *text = strndup(note, (size_t)(strstr(note, "\n\n") - note) + 2);
	char *out;

	assert_non_null(text);
	out = concat(text, lines);
	free(text);
	return out;
}

/* The note with one bit flipped in byte at of its decoded signature. */
static char *
flip_signature(const char *note, size_t at)
{
	const char *b64 = strchr(strstr(note, "\n\n") + 2 + 4, ' ') + 1;
	size_t b64_len = strcspn(b64, "\n"), blob_len;
	char *text = strndup(b64, b64_len), *again, *out;
	unsigned char *blob;

	assert_non_null(text);
	assert_int_equal(util_unbase64(text, &blob, &blob_len), 0);
	assert_true(at < blob_len);
	blob[at] ^= 1;
	again = evp_base64(blob, blob_len);
	assert_int_equal(strlen(again), b64_len);
	out = strdup(note);
	assert_non_null(out);
	memcpy(out + (b64 - note), again, b64_len);
	free(again);
	free(blob);
	free(text);
	return out;
}

/* A changed byte anywhere signed, or the wrong key or name: refused. */
static void
test_tampered(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);
	struct key *other = key_generate("Eve", "intruder", NULL);
	merkle_hash root;
	char *note, *copy, *line;
	size_t len;

	(void)state;
	assert_non_null(key);
	assert_non_null(other);
	test_root(root);
	note = checkpoint_sign(ORIGIN, 12345, root, NAME, key, &len);
	assert_non_null(note);
	assert_int_equal(checkpoint_verify(note, len, NAME, key, NULL), 0);
	copy = strdup(note);
	assert_non_null(copy);
	copy[strlen(ORIGIN) + 1] = '2';		/* size 12345 -> 22345 */
	refused(copy, len, NAME, key, "signature by key \"" NAME
	    "\" does not verify");
	strcpy(copy, note);
	copy[strlen(ORIGIN) + 7] = 'B';		/* root AAEC... -> BAEC... */
	refused(copy, len, NAME, key, "does not verify");
	strcpy(copy, note);
	copy[0] = 'C';				/* origin: Custody/... */
	refused(copy, len, NAME, key, "does not verify");
	free(copy);
	copy = flip_signature(note, 4 + 10);	/* a signature byte */
	refused(copy, len, NAME, key, "does not verify");
	free(copy);
	copy = flip_signature(note, 0);		/* the key id */
	refused(copy, len, NAME, key, "no signature by key \"" NAME "\"");
	free(copy);
	refused(note, len, NAME, other, "no signature by key \"" NAME "\"");
	/* Our key id and signature under another name must be ignored. */
	copy = concat(DASH "custody.example/ledgeR ",
	    strchr(strstr(note, "\n\n") + 2 + 4, ' ') + 1);
	line = with_signatures(note, copy);
	refused(line, strlen(line), NAME, key, "no signature by key");
	free(line);
	free(copy);
	refused(note, len, "custody.example/other", key,
	    "no signature by key \"custody.example/other\"");
	refused(note, len, "bad name", key, "key name contains a space");
	free(note);
	key_free(other);
	key_free(key);
}

/* The note text, size and root lines must be exactly right, even if signed. */
static void
test_malformed_text(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);

	(void)state;
	assert_non_null(key);
	refused_text(ORIGIN "\n012\n" ROOT_B64 "\n", key, "leading zero");
	refused_text(ORIGIN "\n00\n" ROOT_B64 "\n", key, "leading zero");
	refused_text(ORIGIN "\n12a\n" ROOT_B64 "\n", key, "not a decimal");
	refused_text(ORIGIN "\n-1\n" ROOT_B64 "\n", key, "not a decimal");
	refused_text(ORIGIN "\n+5\n" ROOT_B64 "\n", key, "not a decimal");
	refused_text(ORIGIN "\n 5\n" ROOT_B64 "\n", key, "not a decimal");
	refused_text(ORIGIN "\n0x10\n" ROOT_B64 "\n", key, "not a decimal");
	refused_text(ORIGIN "\n\xd9\xa3\n" ROOT_B64 "\n", key, "not a decimal");
	refused_text(ORIGIN "\n18446744073709551616\n" ROOT_B64 "\n", key,
	    "does not fit in 64 bits");
	refused_text(ORIGIN "\n99999999999999999999999\n" ROOT_B64 "\n", key,
	    "does not fit in 64 bits");
	refused_text(ORIGIN "\n5\n" ROOT31_B64 "\n", key,
	    "root hash is 31 bytes, not 32");
	refused_text(ORIGIN "\n5\n" ROOT33_B64 "\n", key,
	    "root hash is 33 bytes, not 32");
	refused_text(ORIGIN "\n5\n\n", key, "fewer than three lines");
	/* Same bytes as ROOT_B64, but not as an encoder writes them. */
	refused_text(ORIGIN "\n5\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",
	    key, "root hash is not valid base64");
	refused_text(ORIGIN "\n5\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
	    key, "root hash is not valid base64");
	refused_text(ORIGIN "\n5\n" ROOT_B64 " \n", key,
	    "root hash is not valid base64");
	refused_text(ORIGIN "\n5\n", key, "fewer than three lines");
	refused_text("\n5\n" ROOT_B64 "\n", key, "origin is empty");
	refused_text(ORIGIN "\n5\n" ROOT_B64 "\n\nextension\n", key,
	    "does not start with an em dash");
	key_free(key);
}

/* A signed note of the wanted total size (an extension line pads it). */
static char *
note_of_size(const struct key *key, size_t total)
{
	const char *head = ORIGIN "\n5\n" ROOT_B64 "\n";
	/* "\n— name base64\n" */
	size_t signature = 1 + 4 + strlen(NAME) + 1 + 92 + 1;
	size_t pad = total - signature - strlen(head) - 1;
	char *text = malloc(strlen(head) + pad + 2), *note;

	assert_non_null(text);
	strcpy(text, head);
	memset(text + strlen(head), 'x', pad);
	strcpy(text + strlen(head) + pad, "\n");
	note = evp_note(text, NAME, key);
	assert_int_equal(strlen(note), total);
	free(text);
	return note;
}

/* The whole note: size, text only, blank line, final newline. */
static void
test_malformed_note(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);
	char *note, *copy, *blank;
	merkle_hash root;
	size_t len;

	(void)state;
	assert_non_null(key);
	test_root(root);
	note = checkpoint_sign(ORIGIN, 5, root, NAME, key, &len);
	assert_non_null(note);
	refused(note, len - 1, NAME, key, "does not end with a newline");
	refused(note, 0, NAME, key, "note is empty");
	refused(NULL, 0, NAME, key, "no note");
	copy = strdup(note);
	assert_non_null(copy);
	blank = strstr(copy, "\n\n");
	memmove(blank, blank + 1, strlen(blank));	/* no blank line */
	refused(copy, len - 1, NAME, key, "no blank line");
	strcpy(copy, note);
	copy[3] = '\0';
	refused(copy, len, NAME, key, "NUL byte");
	strcpy(copy, note);
	copy[3] = '\t';
	refused(copy, len, NAME, key, "control character");
	strcpy(copy, note);
	copy[3] = '\r';
	refused(copy, len, NAME, key, "control character");
	strcpy(copy, note);
	copy[3] = '\xff';
	refused(copy, len, NAME, key, "not valid UTF-8");
	strcpy(copy, note);
	copy[len - 2] = '\xe2';				/* a cut-off sequence */
	refused(copy, len, NAME, key, "not valid UTF-8");
	free(copy);
	copy = concat(note, "\n");			/* a final blank line */
	refused(copy, len + 1, NAME, key, "more than one blank line");
	free(copy);
	free(note);
	note = note_of_size(key, CHECKPOINT_MAX_SIZE);
	assert_int_equal(checkpoint_verify(note, CHECKPOINT_MAX_SIZE, NAME, key,
	    NULL), 0);
	free(note);
	note = note_of_size(key, CHECKPOINT_MAX_SIZE + 1);
	refused(note, CHECKPOINT_MAX_SIZE + 1, NAME, key,
	    "larger than 65536 bytes");
	free(note);
	key_free(key);
}

/* Each signature line must be well formed, and there must be 1..16. */
static void
test_malformed_signatures(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);
	char *note, *line, *copy, *many;
	merkle_hash root;
	size_t len, i;
	struct {
		const char	*lines;
		const char	*want;
	} bad[] = {
		{ "", "no signature lines" },
		{ "- " NAME " AAAAAAAA\n", "does not start with an em dash" },
		{ "\xe2\x80\x94" NAME " AAAAAAAA\n", "with an em dash" },
		{ "\xe2\x80\x93 " NAME " AAAAAAAA\n", "with an em dash" },
		{ DASH "a+b AAAAAAAA\n", "line 1: key name contains '+'" },
		{ DASH " AAAAAAAA\n", "signature line 1: key name is empty" },
		{ DASH "a\xc2\xa0" "b AAAAAAAA\n", "contains a space" },
		{ DASH NAME "\n", "signature line 1 has no signature" },
		{ DASH NAME " !!!!\n", "signature line 1 is not valid base64" },
		{ DASH NAME "  AAAAAAAA\n", "line 1 is not valid base64" },
		{ DASH NAME " AAAAAAAA \n", "line 1 is not valid base64" },
		{ DASH NAME " \n", "signature line 1 has no signature" },
		{ DASH NAME " AAAAAA==\n", "signature line 1 is too short" },
	};

	(void)state;
	assert_non_null(key);
	test_root(root);
	note = checkpoint_sign(ORIGIN, 5, root, NAME, key, &len);
	assert_non_null(note);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		copy = with_signatures(note, bad[i].lines);
		refused(copy, strlen(copy), NAME, key, bad[i].want);
		free(copy);
	}
	/* A good signature does not excuse a malformed line after it. */
	copy = concat(note, DASH "x AAAAAA==\n");
	refused(copy, strlen(copy), NAME, key, "signature line 2 is too short");
	free(copy);
	line = strstr(note, "\n\n") + 2;
	many = calloc(CHECKPOINT_MAX_SIGNATURES + 1, strlen(line) + 1);
	assert_non_null(many);
	for (i = 0; i < CHECKPOINT_MAX_SIGNATURES; i++)
		strcat(many, line);
	copy = with_signatures(note, many);
	assert_int_equal(checkpoint_verify(copy, strlen(copy), NAME, key, NULL),
	    0);
	free(copy);
	strcat(many, line);
	copy = with_signatures(note, many);
	refused(copy, strlen(copy), NAME, key, "more than 16 signatures");
	free(copy);
	free(many);
	free(note);
	key_free(key);
}

/* Our key's line with a signature of the wrong length does not verify. */
static void
test_short_signature(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL);
	unsigned char blob[4 + KEY_SIGNATURE_SIZE - 1] = { 0 };
	char *b64, *lines, *note, *copy;
	merkle_hash root;
	size_t len;

	(void)state;
	assert_non_null(key);
	test_root(root);
	note = checkpoint_sign(ORIGIN, 5, root, NAME, key, &len);
	assert_non_null(note);
	assert_int_equal(checkpoint_key_id(NAME, key, blob), 0);
	b64 = evp_base64(blob, sizeof blob);
	lines = concat(DASH NAME " ", b64);
	free(b64);
	b64 = concat(lines, "\n");
	copy = with_signatures(note, b64);
	refused(copy, strlen(copy), NAME, key, "does not verify");
	free(copy);
	free(b64);
	free(lines);
	free(note);
	key_free(key);
}

/* Signing refuses bad origins and names, and keys without a private half. */
static void
test_sign_refused(void **state)
{
	struct key *key = key_generate("Ada", "examiner", NULL), *pub;
	char *long_origin, *long_name;
	merkle_hash root;
	size_t len;

	(void)state;
	assert_non_null(key);
	test_root(root);
	pub = key_from_raw(key->raw_public);
	assert_non_null(pub);
	assert_null(checkpoint_sign("", 1, root, NAME, key, &len));
	assert_non_null(strstr(error_message(), "origin is empty"));
	assert_null(checkpoint_sign(NULL, 1, root, NAME, key, &len));
	assert_null(checkpoint_sign("a\nb", 1, root, NAME, key, &len));
	assert_non_null(strstr(error_message(), "one line"));
	assert_null(checkpoint_sign("a\tb", 1, root, NAME, key, &len));
	assert_null(checkpoint_sign(ORIGIN, 1, root, "a b", key, &len));
	assert_non_null(strstr(error_message(), "key name contains a space"));
	assert_null(checkpoint_sign(ORIGIN, 1, root, "a+b", key, &len));
	assert_non_null(strstr(error_message(), "'+'"));
	assert_null(checkpoint_sign(ORIGIN, 1, root, "", key, &len));
	assert_non_null(strstr(error_message(), "key name is empty"));
	assert_null(checkpoint_sign(ORIGIN, 1, root, NAME, pub, &len));
	assert_non_null(strstr(error_message(), "no private key"));
	long_origin = calloc(1, 40000);
	long_name = calloc(1, 40000);
	assert_non_null(long_origin);
	assert_non_null(long_name);
	memset(long_origin, 'o', 40000 - 1);
	assert_null(checkpoint_sign(long_origin, 1, root, NAME, key, &len));
	assert_non_null(strstr(error_message(), "origin is too long"));
	long_origin[30000] = '\0';
	memset(long_name, 'n', 40000 - 1);
	assert_null(checkpoint_sign(long_origin, 1, root, long_name, key,
	    &len));
	assert_non_null(strstr(error_message(), "exceed 65536 bytes"));
	free(long_name);
	free(long_origin);
	key_free(pub);
	key_free(key);
}

/* Run every checkpoint test. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_go_note_vector),
		cmocka_unit_test(test_go_sumdb_checkpoint),
		cmocka_unit_test(test_other_signers),
		cmocka_unit_test(test_extension_lines),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_malformed_text),
		cmocka_unit_test(test_malformed_note),
		cmocka_unit_test(test_malformed_signatures),
		cmocka_unit_test(test_short_signature),
		cmocka_unit_test(test_sign_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
