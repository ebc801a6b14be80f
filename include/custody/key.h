/* Ed25519 keys of the people who handle evidence, with their identity. */
#ifndef CUSTODY_KEY_H
#define CUSTODY_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#define KEY_RAW_SIZE		32
#define KEY_SIGNATURE_SIZE	64
#define KEY_FINGERPRINT_SIZE	65	/* hex SHA-256 of the raw public key */
#define KEY_FIELD_MAX		256	/* bytes in a name, role or organisation */
#define KEY_FINGERPRINT_MIN_DIGITS 32	/* of a fingerprint written down (128 bits) */

struct key {
	EVP_PKEY	*pkey;
	bool		 has_private;
	bool		 one_time;	/* made in memory for one collection */
	unsigned char	 raw_public[KEY_RAW_SIZE];
	char		 fingerprint[KEY_FINGERPRINT_SIZE];
	char		*name;		/* NULL when the file carries none */
	char		*role;
	char		*organization;
};

/* Check one identity field (printable UTF-8, 1..KEY_FIELD_MAX bytes). 0 or -1. */
int key_check_field(const char *what, const char *value);
/* A new key pair with this identity (organization may be NULL). */
struct key *key_generate(const char *name, const char *role,
    const char *organization);
/*
 * Write the private key to path (PKCS#8 PEM, mode 0600, O_EXCL, encrypted
 * with AES-256 when passphrase is not NULL) and the public key to
 * path.pub (PEM). Each carries the identity as text lines before the PEM
 * block. Nothing is left behind on failure. 0 or -1.
 */
int key_write(const struct key *, const char *path, const char *passphrase);
/*
 * A one-time key pair, made in memory for one collection: no identity,
 * the private half kept in OpenSSL's secure heap where the system allows
 * (locked, left out of core dumps) and wiped by key_free. Never written.
 */
struct key *key_generate_one_time(void);
/*
 * Parse a fingerprint as people write it down: hex digits in either case,
 * with spaces, colons or dashes between groups, at least
 * KEY_FINGERPRINT_MIN_DIGITS of them (a prefix of the full 64). Writes the
 * digits in lower case to out. 0, or -1 with the error set.
 */
int key_fingerprint_parse(const char *text, char out[KEY_FINGERPRINT_SIZE]);
/* True when a parsed fingerprint (or prefix) matches a full one. */
bool key_fingerprint_matches(const char *parsed, const char *fingerprint);
/* Load a private key; refuses files readable by group or others. */
struct key *key_load_private(const char *path, const char *passphrase);
/*
 * Load a private key to sign with: its passphrase from passphrase_file or
 * $CUSTODY_PASSPHRASE, and an identity (name and role) required.
 */
struct key *key_load_signing(const char *path, const char *passphrase_file);
/* Load a public key file (or the public half of a private key file's .pub). */
struct key *key_load_public(const char *path);
/* A public key from its 32 raw bytes. */
struct key *key_from_raw(const unsigned char raw[KEY_RAW_SIZE]);
/* Sign data; writes KEY_SIGNATURE_SIZE bytes. 0 or -1. */
int key_sign(const struct key *, const void *data, size_t len,
    unsigned char signature[KEY_SIGNATURE_SIZE]);
/* 0 when signature is valid for data under this key, -1 otherwise. */
int key_verify(const struct key *, const void *data, size_t len,
    const unsigned char *signature, size_t signature_len);
/*
 * The passphrase from file (first line) when file is not NULL, else from
 * $CUSTODY_PASSPHRASE; *out is NULL when neither gives one. Free with
 * key_passphrase_free. 0 or -1.
 */
int key_passphrase(const char *file, char **out);
void key_passphrase_free(char *);
void key_free(struct key *);

#endif
