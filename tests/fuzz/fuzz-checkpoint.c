/*
 * Fuzz target: a signed checkpoint note. The input is the key name on a
 * line, the signer's raw Ed25519 public key (32 bytes), then the note.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "custody/checkpoint.h"
#include "custody/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *newline = memchr(data, '\n', size < 64 ? size : 64);
	char name[64];
	size_t name_len;
	struct checkpoint cp;
	struct key *key;

	if (newline == NULL)
		return 0;
	name_len = (size_t)(newline - data);
	memcpy(name, data, name_len);
	name[name_len] = '\0';
	data += name_len + 1;
	size -= name_len + 1;
	if (size < KEY_RAW_SIZE || (key = key_from_raw(data)) == NULL)
		return 0;
	if (checkpoint_verify((const char *)data + KEY_RAW_SIZE,
	    size - KEY_RAW_SIZE, name, key, &cp) == 0)
		checkpoint_free(&cp);
	key_free(key);
	return 0;
}
