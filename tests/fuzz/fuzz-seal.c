/* Fuzz target: custody/seal.json. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "custody/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seal s;

	if (seal_parse((const char *)data, size, &s) == 0)
		seal_free(&s);
	return 0;
}
