/* Fuzz target: a collection profile (YAML). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "custody/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	profile_free(profile_parse((const char *)data, size, "fuzz"));
	return 0;
}
