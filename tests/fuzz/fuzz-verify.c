/*
 * Fuzz target: verify's whole pass over an archive (any filter, any tar
 * variant) and the seal check, as `custody verify` runs them. The input is
 * written to a temporary file, since verify reads files as a user gives them.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "../../verify/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[64];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check c = { .all_hashes = (size & 1) != 0, .keep_leaves = true };
	json_t *seal = NULL;
	FILE *f;

	if (fuzz_path[0] == '\0') {
		int fd;

		snprintf(fuzz_path, sizeof fuzz_path, "/tmp/custody-fuzz.XXXXXX");
		if ((fd = mkstemp(fuzz_path)) < 0)
			abort();
		close(fd);
		atexit(fuzz_cleanup);
	}
	if ((f = fopen(fuzz_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, size, 1, f) != 1)
		abort();
	if (fclose(f) != 0)
		abort();
	if (check_archive(fuzz_path, &c) == 0) {
		check_seal(&c, NULL, &seal);
		json_decref(seal);
	}
	check_free(&c);
	return 0;
}
