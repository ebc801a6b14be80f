/* Fuzz target: a proof file, as `custody verify --proof` reads it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "custody/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proof p;

	if (proof_parse((const char *)data, size, &p) == 0)
		proof_free(&p);
	return 0;
}
