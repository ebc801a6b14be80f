/* Fuzz target: a minisign public key file and a .minisig, parsed and checked. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "custody/key.h"
#include "custody/minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is a public key file, a NUL, then a signature of the rest: "data". */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nul = memchr(data, '\0', size);
	unsigned char id[MINISIGN_KEY_ID_SIZE];
	struct minisign_signature sig;
	size_t key_len = nul != NULL ? (size_t)(nul - text) : size;
	struct key *key = minisign_public_parse(text, key_len, id);

	if (nul != NULL && minisign_signature_parse(nul + 1, size - key_len - 1,
	    &sig) == 0) {
		if (key != NULL)
			(void)minisign_verify(&sig, key, id, "data", 4);
		minisign_signature_free(&sig);
	}
	key_free(key);
	return 0;
}
