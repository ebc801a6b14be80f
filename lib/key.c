/* Ed25519 keys of the people who handle evidence, with their identity. */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/util.h"

#define KEY_FILE_MAX	(64 * 1024)

/* Check one identity field. */
int
key_check_field(const char *what, const char *value)
{
	size_t len = value != NULL ? strlen(value) : 0;

	if (len == 0)
		return error_set("%s is empty", what);
	if (len > KEY_FIELD_MAX)
		return error_set("%s is longer than %d bytes", what, KEY_FIELD_MAX);
	if (!util_utf8_printable(value, len) || strchr(value, '\t') != NULL)
		return error_set("%s must be printable UTF-8 on one line", what);
	return 0;
}

/* Fill the raw public key and fingerprint from pkey. */
static int
key_fill_public(struct key *key)
{
	size_t len = KEY_RAW_SIZE;
	unsigned char digest[32];

	if (EVP_PKEY_get_id(key->pkey) != EVP_PKEY_ED25519)
		return error_set("not an Ed25519 key");
	if (EVP_PKEY_get_raw_public_key(key->pkey, key->raw_public, &len) != 1 ||
	    len != KEY_RAW_SIZE)
		return error_set("cannot read the public key");
	if (hash_sha256(key->raw_public, KEY_RAW_SIZE, digest) != 0)
		return -1;
	util_hex(digest, sizeof digest, key->fingerprint);
	return 0;
}

/* Wrap pkey in a new struct key, taking ownership. */
static struct key *
key_wrap(EVP_PKEY *pkey, bool has_private)
{
	struct key *key = calloc(1, sizeof *key);

	if (key == NULL) {
		EVP_PKEY_free(pkey);
		error_set_errno("calloc");
		return NULL;
	}
	key->pkey = pkey;
	key->has_private = has_private;
	if (key_fill_public(key) != 0) {
		key_free(key);
		return NULL;
	}
	return key;
}

/* Copy the identity fields into key. */
static int
key_set_identity(struct key *key, const char *name, const char *role,
    const char *organization)
{
	if (key_check_field("name", name) != 0 ||
	    key_check_field("role", role) != 0 ||
	    (organization != NULL &&
	    key_check_field("organization", organization) != 0))
		return -1;
	key->name = strdup(name);
	key->role = strdup(role);
	key->organization = organization != NULL ? strdup(organization) : NULL;
	if (key->name == NULL || key->role == NULL ||
	    (organization != NULL && key->organization == NULL))
		return error_set_errno("strdup");
	return 0;
}

/* A new key pair with this identity. */
struct key *
key_generate(const char *name, const char *role, const char *organization)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct key *key;

	if (pkey == NULL) {
		error_set("cannot generate an Ed25519 key");
		return NULL;
	}
	if ((key = key_wrap(pkey, true)) == NULL)
		return NULL;
	if (key_set_identity(key, name, role, organization) != 0) {
		key_free(key);
		return NULL;
	}
	return key;
}

/* The secure heap's size: a few keys, with room to spare (a power of two). */
#define KEY_SECURE_HEAP	(64 * 1024)

/* A one-time key pair, made in memory. */
struct key *
key_generate_one_time(void)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	struct key *key;

	/* Locked pages, left out of core dumps: the key never reaches a disk. */
	if (!CRYPTO_secure_malloc_initialized())
		(void)CRYPTO_secure_malloc_init(KEY_SECURE_HEAP, 32);
	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pkey) != 1) {
		EVP_PKEY_CTX_free(ctx);
		error_set("cannot generate a one-time Ed25519 key");
		return NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	if ((key = key_wrap(pkey, true)) != NULL)
		key->one_time = true;
	return key;
}

/* Parse a fingerprint as written down. */
int
key_fingerprint_parse(const char *text, char out[KEY_FINGERPRINT_SIZE])
{
	size_t n = 0;
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (*p == ' ' || *p == ':' || *p == '-')
			continue;
		if (!isxdigit((unsigned char)*p))
			return error_set("fingerprint \"%.80s\": not hexadecimal "
			    "digits (spaces, colons and dashes between groups are "
			    "allowed)", text);
		if (n == KEY_FINGERPRINT_SIZE - 1)
			return error_set("fingerprint \"%.80s\": longer than 64 "
			    "hexadecimal digits", text);
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
	if (n < KEY_FINGERPRINT_MIN_DIGITS)
		return error_set("fingerprint \"%.80s\": %zu hexadecimal digits, "
		    "at least %d are needed (the whole 64 are best)", text, n,
		    KEY_FINGERPRINT_MIN_DIGITS);
	return 0;
}

/* True when a parsed fingerprint (or prefix) matches a full one. */
bool
key_fingerprint_matches(const char *parsed, const char *fingerprint)
{
	size_t len = strlen(parsed);

	return len >= KEY_FINGERPRINT_MIN_DIGITS && len <= strlen(fingerprint) &&
	    memcmp(parsed, fingerprint, len) == 0;
}

/* The identity lines written before the PEM block. */
static void
key_write_identity(BIO *bio, const struct key *key)
{
	BIO_printf(bio, "# custody key (Ed25519)\n");
	if (key->name != NULL)
		BIO_printf(bio, "Name: %s\n", key->name);
	if (key->role != NULL)
		BIO_printf(bio, "Role: %s\n", key->role);
	if (key->organization != NULL)
		BIO_printf(bio, "Organization: %s\n", key->organization);
	BIO_printf(bio, "Fingerprint: %s\n", key->fingerprint);
}

/* Render the private (or public) key file in memory. */
static BIO *
key_render(const struct key *key, bool private, const char *passphrase)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int ok;

	if (bio == NULL)
		return NULL;
	key_write_identity(bio, key);
	if (!private)
		ok = PEM_write_bio_PUBKEY(bio, key->pkey);
	else if (passphrase != NULL)
		ok = PEM_write_bio_PKCS8PrivateKey(bio, key->pkey,
		    EVP_aes_256_cbc(), NULL, 0, NULL, (void *)passphrase);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, NULL, NULL,
		    0, NULL, NULL);
	if (!ok) {
		BIO_free(bio);
		return NULL;
	}
	return bio;
}

/* Create path exclusively with mode and write the rendered key into it. */
static int
key_write_file(const char *path, mode_t mode, BIO *bio)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	return util_write_new_file(path, data, (size_t)len, mode);
}

/* Write the private key to path and the public key to path.pub. */
int
key_write(const struct key *key, const char *path, const char *passphrase)
{
	char pub_path[4096];
	BIO *private_bio, *public_bio;
	int rc = -1;

	if (snprintf(pub_path, sizeof pub_path, "%s.pub", path) >=
	    (int)sizeof pub_path)
		return error_set("%s: path too long", path);
	private_bio = key_render(key, true, passphrase);
	public_bio = key_render(key, false, NULL);
	if (private_bio == NULL || public_bio == NULL)
		error_set("cannot encode the key");
	else if (access(pub_path, F_OK) == 0)
		error_set("%s: already exists", pub_path);
	else if (key_write_file(path, 0600, private_bio) == 0) {
		if (key_write_file(pub_path, 0644, public_bio) == 0)
			rc = 0;
		else
			unlink(path);
	}
	BIO_free(private_bio);
	BIO_free(public_bio);
	return rc;
}

/* Pick "Field: value" lines before the PEM block into key. */
static int
key_parse_identity(struct key *key, const char *text)
{
	static const char *const fields[] = { "Name: ", "Role: ", "Organization: " };
	char **slots[] = { &key->name, &key->role, &key->organization };
	const char *line = text, *end;
	size_t i, len;

	while (*line != '\0' && strncmp(line, "-----BEGIN", 10) != 0) {
		end = strchr(line, '\n');
		len = end != NULL ? (size_t)(end - line) : strlen(line);
		for (i = 0; i < 3; i++) {
			size_t flen = strlen(fields[i]);
			if (len > flen && strncmp(line, fields[i], flen) == 0 &&
			    *slots[i] == NULL &&
			    (*slots[i] = strndup(line + flen, len - flen)) == NULL)
				return error_set_errno("strndup");
		}
		if (end == NULL)
			break;
		line = end + 1;
	}
	return 0;
}

/* Give OpenSSL the passphrase, or fail when there is none. */
static int
key_passphrase_callback(char *buf, int size, int rwflag, void *arg)
{
	const char *passphrase = arg;
	size_t len;

	(void)rwflag;
	if (passphrase == NULL)
		return -1;
	len = strlen(passphrase);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, passphrase, len);
	return (int)len;
}

/* Which kind of PEM key a file holds, by its label: 'p'rivate, 'P'ublic or 0. */
static char
key_pem_kind(const char *text)
{
	if (strstr(text, "-----BEGIN PRIVATE KEY-----") != NULL ||
	    strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL)
		return 'p';
	if (strstr(text, "-----BEGIN PUBLIC KEY-----") != NULL)
		return 'P';
	return 0;
}

/* Read a key file: refuses symlinks and (for private keys) loose modes. */
static int
key_read(const char *path, bool private, char **out, size_t *len)
{
	struct stat st;
	int fd, rc;

	if ((fd = util_open_file(AT_FDCWD, path, &st)) < 0)
		return -1;
	rc = util_read_fd(fd, KEY_FILE_MAX, out, len);
	close(fd);
	if (rc != 0)
		return error_set("%s: cannot read key file", path);
	if (private && key_pem_kind(*out) == 'P')
		rc = error_set("%s: is a public key, where the private key that "
		    "signs is needed", path);
	else if (private && (st.st_mode & 077) != 0)
		rc = error_set("%s: private key is readable by group or others "
		    "(chmod 600 it)", path);
	if (rc != 0) {
		OPENSSL_cleanse(*out, *len);
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* Turn a failed PEM decode of a private key into a clear message. */
static struct key *
key_load_failed(const char *path, const char *text, const char *passphrase)
{
	if (key_pem_kind(text) == 'P')
		error_set("%s: is a public key, where the private key that signs "
		    "is needed", path);
	else if (strstr(text, "ENCRYPTED PRIVATE KEY") != NULL && passphrase == NULL)
		error_set("%s: key is encrypted: give --passphrase-file or set "
		    "CUSTODY_PASSPHRASE", path);
	else if (strstr(text, "ENCRYPTED PRIVATE KEY") != NULL)
		error_set("%s: wrong passphrase", path);
	else
		error_set("%s: not a PEM private key", path);
	return NULL;
}

/* Load a private key with its identity. */
struct key *
key_load_private(const char *path, const char *passphrase)
{
	struct key *key = NULL;
	EVP_PKEY *pkey;
	char *text;
	size_t len;
	BIO *bio;

	if (key_read(path, true, &text, &len) != 0)
		return NULL;
	bio = BIO_new_mem_buf(text, (int)len);
	pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL,
	    key_passphrase_callback, (void *)passphrase) : NULL;
	BIO_free(bio);
	if (pkey == NULL)
		key_load_failed(path, text, passphrase);
	else if ((key = key_wrap(pkey, true)) == NULL)
		error_set("%s: %s", path, "not an Ed25519 key");
	else if (key_parse_identity(key, text) != 0) {
		key_free(key);
		key = NULL;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return key;
}

/* Load a private key to sign with. */
struct key *
key_load_signing(const char *path, const char *passphrase_file)
{
	struct key *key;
	char *passphrase;

	if (key_passphrase(passphrase_file, &passphrase) != 0)
		return NULL;
	key = key_load_private(path, passphrase);
	key_passphrase_free(passphrase);
	if (key != NULL && (key->name == NULL || key->role == NULL)) {
		error_set("%s: the key carries no name and role; make signing "
		    "keys with custody key generate", path);
		key_free(key);
		return NULL;
	}
	return key;
}

/* Load a public key file with its identity. */
struct key *
key_load_public(const char *path)
{
	struct key *key = NULL;
	EVP_PKEY *pkey;
	char *text;
	size_t len;
	BIO *bio;

	if (key_read(path, false, &text, &len) != 0)
		return NULL;
	/* Never hand a private key to OpenSSL here: it might ask for a passphrase. */
	if (key_pem_kind(text) == 'p') {
		error_set("%s: is a private key, where a public key is needed "
		    "(the .pub file beside it)", path);
		OPENSSL_cleanse(text, len);
		free(text);
		return NULL;
	}
	bio = BIO_new_mem_buf(text, (int)len);
	pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, key_passphrase_callback,
	    NULL) : NULL;
	BIO_free(bio);
	if (pkey == NULL)
		error_set("%s: not a PEM public key", path);
	else if ((key = key_wrap(pkey, false)) == NULL)
		error_set("%s: not an Ed25519 key", path);
	else if (key_parse_identity(key, text) != 0) {
		key_free(key);
		key = NULL;
	}
	free(text);
	return key;
}

/* A public key from its raw bytes. */
struct key *
key_from_raw(const unsigned char raw[KEY_RAW_SIZE])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    raw, KEY_RAW_SIZE);

	if (pkey == NULL) {
		error_set("invalid Ed25519 public key");
		return NULL;
	}
	return key_wrap(pkey, false);
}

/* Sign data with Ed25519 (no pre-hash). */
int
key_sign(const struct key *key, const void *data, size_t len,
    unsigned char signature[KEY_SIGNATURE_SIZE])
{
	EVP_MD_CTX *ctx;
	size_t sig_len = KEY_SIGNATURE_SIZE;
	int ok;

	if (!key->has_private)
		return error_set("no private key to sign with");
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return error_set("cannot allocate a signing context");
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	    EVP_DigestSign(ctx, signature, &sig_len, data, len) == 1 &&
	    sig_len == KEY_SIGNATURE_SIZE;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : error_set("signing failed");
}

/* Check an Ed25519 signature. */
int
key_verify(const struct key *key, const void *data, size_t len,
    const unsigned char *signature, size_t signature_len)
{
	EVP_MD_CTX *ctx;
	int ok;

	if (signature_len != KEY_SIGNATURE_SIZE)
		return error_set("signature is %zu bytes, not %d", signature_len,
		    KEY_SIGNATURE_SIZE);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return error_set("cannot allocate a verification context");
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	    EVP_DigestVerify(ctx, signature, signature_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : error_set("signature does not verify");
}

/* The passphrase from a file or the environment. */
int
key_passphrase(const char *file, char **out)
{
	const char *env;
	char *text;
	size_t len;

	*out = NULL;
	if (file != NULL) {
		if (util_read_file(file, 4096, &text, &len) != 0)
			return -1;
		text[strcspn(text, "\r\n")] = '\0';
		if (text[0] == '\0') {
			key_passphrase_free(text);
			return error_set("%s: empty passphrase", file);
		}
		*out = text;
		return 0;
	}
	if ((env = getenv("CUSTODY_PASSPHRASE")) != NULL && env[0] != '\0' &&
	    (*out = strdup(env)) == NULL)
		return error_set_errno("strdup");
	return 0;
}

/* Wipe and free a passphrase. */
void
key_passphrase_free(char *passphrase)
{
	if (passphrase == NULL)
		return;
	OPENSSL_cleanse(passphrase, strlen(passphrase));
	free(passphrase);
}

/* Release a key. */
void
key_free(struct key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->name);
	free(key->role);
	free(key->organization);
	free(key);
}
