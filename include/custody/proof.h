/*
 * Inclusion proofs: one file's manifest entry, the Merkle path from its
 * leaf to the sealed root, and the signed seal, so that one file can be
 * checked without the rest of the archive.
 */
#ifndef CUSTODY_PROOF_H
#define CUSTODY_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custody/merkle.h"

#define PROOF_VERSION	1
#define PROOF_MAX_SIZE	(4 * 1024 * 1024)

struct proof {
	json_t		*json;
	char		*seal;		/* the exact bytes of seal.json */
	size_t		 seal_len;
	unsigned char	*signature;
	size_t		 signature_len;
	char		*entry;		/* the exact manifest entry line */
	size_t		 entry_len;
	uint64_t	 index;		/* leaf index, from 0 */
	uint64_t	 tree_size;
	merkle_hash	 path[MERKLE_MAX_PROOF];
	size_t		 path_len;
	char		*archive_sha256;	/* of the archive it was cut from; may be NULL */
};

/* Serialize a proof as indented JSON with a final newline; malloc'd. */
char *proof_serialize(const struct proof *, size_t *len);
/* Parse and check a proof's shape (not its truth). 0 or -1. */
int proof_parse(const char *data, size_t len, struct proof *);
void proof_free(struct proof *);

#endif
