/*
 * Checkpoints: signed tree heads of the ledger in the C2SP tlog-checkpoint
 * format, as a signed note (c2sp.org/tlog-checkpoint, c2sp.org/signed-note):
 *
 *	<origin>\n
 *	<tree size, decimal>\n
 *	<base64 of the 32-byte root hash>\n
 *	[extension lines]\n
 *	\n
 *	— <key name> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>\n
 *
 * The signature is over the note text (the lines before the blank line,
 * each with its newline). The key id is the first 4 bytes of
 * SHA-256(<key name> || 0x0A || 0x01 || <32-byte Ed25519 public key>).
 */
#ifndef CUSTODY_CHECKPOINT_H
#define CUSTODY_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "custody/key.h"
#include "custody/merkle.h"

#define CHECKPOINT_MAX_SIZE	(64 * 1024)
#define CHECKPOINT_MAX_SIGNATURES 16

struct checkpoint {
	char		*origin;	/* e.g. "custody/<case id>" */
	uint64_t	 size;
	merkle_hash	 root;
	char		*text;		/* the signed note text (body) */
	size_t		 text_len;
};

/* The 4-byte key id of an Ed25519 key under a key name. 0 or -1. */
int checkpoint_key_id(const char *key_name, const struct key *, unsigned char id[4]);
/*
 * Sign a checkpoint with key under key_name (a name without spaces, '+' or
 * newlines); the whole note is returned, malloc'd. NULL on error.
 */
char *checkpoint_sign(const char *origin, uint64_t size, const merkle_hash root,
    const char *key_name, const struct key *, size_t *len);
/*
 * Parse a signed note and check that one of its signature lines is by key
 * under key_name (matching key id and a valid signature). Lines signed by
 * other keys are ignored, as C2SP says. Fills *cp. 0, or -1 with the
 * reason (malformed, no signature by that key, bad signature).
 */
int checkpoint_verify(const char *note, size_t len, const char *key_name,
    const struct key *, struct checkpoint *cp);
void checkpoint_free(struct checkpoint *);

#endif
