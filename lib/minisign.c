/* minisign's formats: public key files and .minisig signatures of a file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/minisign.h"
#include "custody/util.h"

#define MINISIGN_UNTRUSTED	"untrusted comment: "
#define MINISIGN_TRUSTED	"trusted comment: "
#define MINISIGN_PUBLIC_SIZE	(2 + MINISIGN_KEY_ID_SIZE + KEY_RAW_SIZE)
#define MINISIGN_SIG_SIZE	(2 + MINISIGN_KEY_ID_SIZE + KEY_SIGNATURE_SIZE)
#define MINISIGN_BLAKE2B_SIZE	64

/* The key id: the first 8 bytes of the SHA-256 of the raw public key. */
void
minisign_key_id(const struct key *key, unsigned char id[MINISIGN_KEY_ID_SIZE])
{
	char hex[2 * MINISIGN_KEY_ID_SIZE + 1];

	memcpy(hex, key->fingerprint, 2 * MINISIGN_KEY_ID_SIZE);
	hex[2 * MINISIGN_KEY_ID_SIZE] = '\0';
	if (util_unhex(hex, id, MINISIGN_KEY_ID_SIZE) != 0)
		memset(id, 0, MINISIGN_KEY_ID_SIZE);
}

/* minisign reads the id as a little-endian number: print it that way. */
char *
minisign_key_id_hex(const unsigned char id[MINISIGN_KEY_ID_SIZE],
    char out[MINISIGN_ID_HEX_SIZE])
{
	static const char digits[] = "0123456789ABCDEF";
	int i;

	for (i = 0; i < MINISIGN_KEY_ID_SIZE; i++) {
		out[2 * i] = digits[id[MINISIGN_KEY_ID_SIZE - 1 - i] >> 4];
		out[2 * i + 1] = digits[id[MINISIGN_KEY_ID_SIZE - 1 - i] & 0xf];
	}
	out[2 * MINISIGN_KEY_ID_SIZE] = '\0';
	return out;
}

/* "untrusted comment: ...\n" and base64 of algorithm || id || public key. */
char *
minisign_public_text(const struct key *key)
{
	unsigned char blob[MINISIGN_PUBLIC_SIZE];
	char id_hex[MINISIGN_ID_HEX_SIZE], *b64, *text;

	memcpy(blob, "Ed", 2);
	minisign_key_id(key, blob + 2);
	memcpy(blob + 2 + MINISIGN_KEY_ID_SIZE, key->raw_public, KEY_RAW_SIZE);
	if ((b64 = util_base64(blob, sizeof blob)) == NULL) {
		error_set("cannot encode the public key");
		return NULL;
	}
	if (asprintf(&text, MINISIGN_UNTRUSTED "minisign public key %s\n%s\n",
	    minisign_key_id_hex(blob + 2, id_hex), b64) < 0) {
		error_set_errno("asprintf");
		text = NULL;
	}
	free(b64);
	return text;
}

/*
 * Split text into exactly want lines (a last newline optional, a CR before
 * a newline dropped), in place. 0 or -1.
 */
static int
minisign_lines(char *text, size_t len, char **lines, int want)
{
	char *cursor = text, *line;
	int n = 0;

	if (memchr(text, '\0', len) != NULL)
		return error_set("holds a NUL byte");
	while ((line = util_next_line(&cursor)) != NULL) {
		if (n == want)
			return error_set("more than %d lines", want);
		line[strcspn(line, "\r")] = '\0';
		lines[n++] = line;
	}
	if (n != want)
		return error_set("%d lines, not %d", n, want);
	return 0;
}

/* Decode a base64 line that must give exactly size bytes. 0 or -1. */
static int
minisign_decode(const char *line, const char *what, unsigned char *out,
    size_t size)
{
	unsigned char *buf;
	size_t len;

	if (util_unbase64(line, &buf, &len) != 0)
		return error_set("the %s line is not base64", what);
	if (len != size) {
		free(buf);
		return error_set("the %s is %zu bytes, not %zu", what, len, size);
	}
	memcpy(out, buf, size);
	free(buf);
	return 0;
}

/* Parse a minisign public key file. */
struct key *
minisign_public_parse(const char *text, size_t len,
    unsigned char id[MINISIGN_KEY_ID_SIZE])
{
	unsigned char blob[MINISIGN_PUBLIC_SIZE];
	char *copy, *lines[2];
	struct key *key = NULL;

	if (len > MINISIGN_TEXT_MAX || (copy = malloc(len + 1)) == NULL) {
		error_set("not a minisign public key: too large");
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (minisign_lines(copy, len, lines, 2) != 0 ||
	    strncmp(lines[0], MINISIGN_UNTRUSTED, strlen(MINISIGN_UNTRUSTED)) != 0)
		error_set("not a minisign public key (two lines: an untrusted "
		    "comment and the key)");
	else if (minisign_decode(lines[1], "public key", blob, sizeof blob) != 0)
		;
	else if (memcmp(blob, "Ed", 2) != 0)
		error_set("not an Ed25519 minisign public key");
	else if ((key = key_from_raw(blob + 2 + MINISIGN_KEY_ID_SIZE)) != NULL)
		memcpy(id, blob + 2, MINISIGN_KEY_ID_SIZE);
	free(copy);
	return key;
}

/* BLAKE2b-512 of data: what a prehashed ("ED") signature signs. 0 or -1. */
static int
minisign_prehash(const void *data, size_t len,
    unsigned char digest[MINISIGN_BLAKE2B_SIZE])
{
	unsigned int digest_len = 0;

	if (EVP_Digest(data, len, digest, &digest_len, EVP_blake2b512(), NULL) != 1 ||
	    digest_len != MINISIGN_BLAKE2B_SIZE)
		return error_set("cannot compute BLAKE2b-512");
	return 0;
}

/* The global signature: of the file's signature followed by the trusted comment. */
static int
minisign_global(const struct key *key, const unsigned char sig[KEY_SIGNATURE_SIZE],
    const char *comment, size_t comment_len, unsigned char out[KEY_SIGNATURE_SIZE])
{
	unsigned char buf[KEY_SIGNATURE_SIZE + MINISIGN_COMMENT_MAX];

	if (comment_len > MINISIGN_COMMENT_MAX)
		return error_set("the trusted comment is longer than %d bytes",
		    MINISIGN_COMMENT_MAX);
	memcpy(buf, sig, KEY_SIGNATURE_SIZE);
	memcpy(buf + KEY_SIGNATURE_SIZE, comment, comment_len);
	return key_sign(key, buf, KEY_SIGNATURE_SIZE + comment_len, out);
}

/* Check a trusted comment: printable UTF-8 on one line, within the cap. */
static int
minisign_check_comment(const char *comment, size_t len)
{
	if (len > MINISIGN_COMMENT_MAX)
		return error_set("the trusted comment is longer than %d bytes",
		    MINISIGN_COMMENT_MAX);
	if (!util_utf8_valid(comment, len) || memchr(comment, '\n', len) != NULL ||
	    memchr(comment, '\r', len) != NULL)
		return error_set("the trusted comment must be UTF-8 on one line");
	return 0;
}

/* The four lines of a .minisig file, from its parts. */
static char *
minisign_render(const struct key *key, const unsigned char blob[MINISIGN_SIG_SIZE],
    const char *comment, const unsigned char global[KEY_SIGNATURE_SIZE])
{
	char *b64_sig = util_base64(blob, MINISIGN_SIG_SIZE);
	char *b64_global = util_base64(global, KEY_SIGNATURE_SIZE);
	char *text = NULL;

	if (b64_sig == NULL || b64_global == NULL)
		error_set("cannot encode the signature");
	else if (asprintf(&text, MINISIGN_UNTRUSTED "signature from custody key %s\n"
	    "%s\n" MINISIGN_TRUSTED "%s\n%s\n", key->fingerprint, b64_sig, comment,
	    b64_global) < 0) {
		error_set_errno("asprintf");
		text = NULL;
	}
	free(b64_sig);
	free(b64_global);
	return text;
}

/* Sign data prehashed, as minisign does by default. */
char *
minisign_sign(const struct key *key, const void *data, size_t len,
    const char *trusted_comment)
{
	unsigned char blob[MINISIGN_SIG_SIZE], digest[MINISIGN_BLAKE2B_SIZE];
	unsigned char global[KEY_SIGNATURE_SIZE];
	size_t comment_len = strlen(trusted_comment);

	if (minisign_check_comment(trusted_comment, comment_len) != 0)
		return NULL;
	memcpy(blob, "ED", 2);
	minisign_key_id(key, blob + 2);
	if (minisign_prehash(data, len, digest) != 0 ||
	    key_sign(key, digest, sizeof digest, blob + 2 + MINISIGN_KEY_ID_SIZE) != 0 ||
	    minisign_global(key, blob + 2 + MINISIGN_KEY_ID_SIZE, trusted_comment,
	    comment_len, global) != 0)
		return NULL;
	return minisign_render(key, blob, trusted_comment, global);
}

/* True when text starts with minisign's first label. */
bool
minisign_is_text(const char *text, size_t len)
{
	size_t n = strlen(MINISIGN_UNTRUSTED);

	return len >= n && memcmp(text, MINISIGN_UNTRUSTED, n) == 0;
}

/* Fill sig from the four lines of a .minisig file. 0 or -1. */
static int
minisign_signature_fill(char **lines, struct minisign_signature *sig)
{
	unsigned char blob[MINISIGN_SIG_SIZE];
	size_t label = strlen(MINISIGN_TRUSTED);

	if (strncmp(lines[0], MINISIGN_UNTRUSTED, strlen(MINISIGN_UNTRUSTED)) != 0)
		return error_set("the first line is not an untrusted comment");
	if (minisign_decode(lines[1], "signature", blob, sizeof blob) != 0)
		return -1;
	if (memcmp(blob, "ED", 2) != 0 && memcmp(blob, "Ed", 2) != 0)
		return error_set("unknown signature algorithm (neither ED nor Ed)");
	if (strncmp(lines[2], MINISIGN_TRUSTED, label) != 0)
		return error_set("the third line is not a trusted comment");
	sig->trusted_len = strlen(lines[2] + label);
	if (minisign_check_comment(lines[2] + label, sig->trusted_len) != 0 ||
	    minisign_decode(lines[3], "global signature", sig->global_signature,
	    KEY_SIGNATURE_SIZE) != 0)
		return -1;
	if ((sig->trusted_comment = strdup(lines[2] + label)) == NULL)
		return error_set_errno("strdup");
	sig->prehashed = blob[1] == 'D';
	memcpy(sig->key_id, blob + 2, MINISIGN_KEY_ID_SIZE);
	memcpy(sig->signature, blob + 2 + MINISIGN_KEY_ID_SIZE, KEY_SIGNATURE_SIZE);
	return 0;
}

/* Parse a .minisig file. */
int
minisign_signature_parse(const char *text, size_t len,
    struct minisign_signature *sig)
{
	char *copy, *lines[4];
	int rc;

	memset(sig, 0, sizeof *sig);
	if (len > MINISIGN_TEXT_MAX)
		return error_set("not a minisign signature: over %d bytes",
		    MINISIGN_TEXT_MAX);
	if ((copy = malloc(len + 1)) == NULL)
		return error_set_errno("malloc");
	memcpy(copy, text, len);
	copy[len] = '\0';
	rc = minisign_lines(copy, len, lines, 4);
	if (rc == 0)
		rc = minisign_signature_fill(lines, sig);
	free(copy);
	if (rc != 0) {
		minisign_signature_free(sig);
		return error_prefix("not a minisign signature");
	}
	return 0;
}

/* Check the key id, the file's signature, then the trusted comment's. */
int
minisign_verify(const struct minisign_signature *sig, const struct key *key,
    const unsigned char id[MINISIGN_KEY_ID_SIZE], const void *data, size_t len)
{
	unsigned char digest[MINISIGN_BLAKE2B_SIZE];
	unsigned char buf[KEY_SIGNATURE_SIZE + MINISIGN_COMMENT_MAX];
	char want[MINISIGN_ID_HEX_SIZE], got[MINISIGN_ID_HEX_SIZE];

	if (memcmp(sig->key_id, id, MINISIGN_KEY_ID_SIZE) != 0)
		return error_set("signed by key id %s, not by the key given (%s)",
		    minisign_key_id_hex(sig->key_id, got), minisign_key_id_hex(id, want));
	if (sig->prehashed && minisign_prehash(data, len, digest) != 0)
		return -1;
	if (key_verify(key, sig->prehashed ? (const void *)digest : data,
	    sig->prehashed ? sizeof digest : len, sig->signature,
	    KEY_SIGNATURE_SIZE) != 0)
		return error_set("the signature does not verify: the file is not "
		    "the one signed");
	if (sig->trusted_len > MINISIGN_COMMENT_MAX)
		return error_set("the trusted comment is too long");
	memcpy(buf, sig->signature, KEY_SIGNATURE_SIZE);
	memcpy(buf + KEY_SIGNATURE_SIZE, sig->trusted_comment, sig->trusted_len);
	if (key_verify(key, buf, KEY_SIGNATURE_SIZE + sig->trusted_len,
	    sig->global_signature, KEY_SIGNATURE_SIZE) != 0)
		return error_set("the trusted comment is not the one signed");
	return 0;
}

void
minisign_signature_free(struct minisign_signature *sig)
{
	free(sig->trusted_comment);
	sig->trusted_comment = NULL;
}
