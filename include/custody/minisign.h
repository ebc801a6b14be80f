/* minisign's formats: public key files and .minisig signatures of a file. */
#ifndef CUSTODY_MINISIGN_H
#define CUSTODY_MINISIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "custody/key.h"

#define MINISIGN_KEY_ID_SIZE	8
#define MINISIGN_ID_HEX_SIZE	17	/* as minisign prints it, and a NUL */
#define MINISIGN_COMMENT_MAX	1024	/* bytes in a trusted comment */
#define MINISIGN_TEXT_MAX	16384	/* bytes in a key or signature file */

struct minisign_signature {
	bool		 prehashed;	/* "ED": the signature is of BLAKE2b-512(file) */
	unsigned char	 key_id[MINISIGN_KEY_ID_SIZE];
	unsigned char	 signature[KEY_SIGNATURE_SIZE];
	char		*trusted_comment;	/* NUL-terminated, without its label */
	size_t		 trusted_len;
	unsigned char	 global_signature[KEY_SIGNATURE_SIZE];
};

/* The key id custody gives a key: the first 8 bytes of its fingerprint. */
void minisign_key_id(const struct key *, unsigned char id[MINISIGN_KEY_ID_SIZE]);
/* A key id as minisign prints it (a little-endian number in upper-case hex). */
char *minisign_key_id_hex(const unsigned char id[MINISIGN_KEY_ID_SIZE],
    char out[MINISIGN_ID_HEX_SIZE]);
/* The text of a minisign public key file for key. malloc'd; NULL on error. */
char *minisign_public_text(const struct key *);
/*
 * Parse a minisign public key file: the key and its id. NULL on error
 * (the message says what is wrong).
 */
struct key *minisign_public_parse(const char *text, size_t len,
    unsigned char id[MINISIGN_KEY_ID_SIZE]);
/*
 * Sign data the way minisign does by default (prehashed with BLAKE2b-512)
 * under this trusted comment: the text of a .minisig file. malloc'd; NULL
 * on error.
 */
char *minisign_sign(const struct key *, const void *data, size_t len,
    const char *trusted_comment);
/* True when text looks like minisign's format (its first line's label). */
bool minisign_is_text(const char *text, size_t len);
/* Parse a .minisig file. 0 or -1; free with minisign_signature_free. */
int minisign_signature_parse(const char *text, size_t len,
    struct minisign_signature *);
/*
 * Check a parsed signature of data under key (whose id is id): the key id,
 * the signature of the file, and the global signature over the trusted
 * comment. 0 or -1 with the reason.
 */
int minisign_verify(const struct minisign_signature *, const struct key *,
    const unsigned char id[MINISIGN_KEY_ID_SIZE], const void *data, size_t len);
void minisign_signature_free(struct minisign_signature *);

#endif
