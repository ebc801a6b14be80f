/* Fuzz target: one SHA256SUMS line. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custody/sums.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *hex, *path;
	size_t path_len;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	(void)sums_parse_line(line, size, &hex, &path, &path_len);
	free(line);
	return 0;
}
