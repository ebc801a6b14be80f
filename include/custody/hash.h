/* Several message digests computed together over one pass of the data. */
#ifndef CUSTODY_HASH_H
#define CUSTODY_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

enum hash_alg {
	HASH_SHA256,
	HASH_SHA1,
	HASH_MD5,
	HASH_SHA512,
	HASH_COUNT
};

#define HASH_MAX_SIZE	64
#define HASH_HEX_SIZE	(2 * HASH_MAX_SIZE + 1)
#define HASH_MASK(alg)	(1u << (alg))
#define HASH_MASK_ALL	((1u << HASH_COUNT) - 1)

struct hash_helper;

struct hash_set {
	unsigned		 mask;
	EVP_MD_CTX		*ctx[HASH_COUNT];
	unsigned char		 digest[HASH_COUNT][HASH_MAX_SIZE];
	unsigned		 length[HASH_COUNT];
	struct hash_helper	*helper;	/* a thread for the other digests, or NULL */
};

/* The manifest name of an algorithm ("sha256", ...). */
const char *hash_name(enum hash_alg);
/* The algorithm with that name, or -1. */
int hash_lookup(const char *name);
/* Parse "sha256,sha1,..." into a mask; SHA-256 is always included. 0 or -1. */
int hash_parse_list(const char *text, unsigned *mask);

/* Prepare contexts for the algorithms in mask and start digesting. 0 or -1. */
int hash_set_init(struct hash_set *, unsigned mask);
/* Start over for new data, keeping the contexts. 0 or -1. */
int hash_set_reset(struct hash_set *);
int hash_set_update(struct hash_set *, const void *data, size_t len);
/*
 * Like hash_set_update, but with several algorithms the others than
 * SHA-256 run in a helper thread while the caller goes on: data must stay
 * untouched until hash_set_wait (or the next update, or final) returns.
 */
int hash_set_update_async(struct hash_set *, const void *data, size_t len);
/* Wait for the digests still running on the last async update. 0 or -1. */
int hash_set_wait(struct hash_set *);
/* Finish every digest into digest[]. 0 or -1. */
int hash_set_final(struct hash_set *);
/* Hex of one finished digest (empty string when not computed). */
void hash_set_hex(const struct hash_set *, enum hash_alg, char out[HASH_HEX_SIZE]);
void hash_set_free(struct hash_set *);

/* SHA-256 of a file, streamed (opened as util_open_file does); *size its length. 0 or -1. */
int hash_file_sha256(const char *path, unsigned char out[32], uint64_t *size);
/* SHA-256 of one buffer. 0 or -1. */
int hash_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
