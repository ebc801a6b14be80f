/* Fuzz target: one rpm header blob, every entry checked and its values read. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "custody/rpmheader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every value of a checked entry, as the rpm reader would. */
static size_t
fuzz_values(const struct rpmheader_entry *e)
{
	size_t pos = 0, total = 0;
	const char *s;
	uint32_t i;

	while ((s = rpmheader_string(e, &pos)) != NULL)
		total += strlen(s);
	for (i = 0; i < e->count && i < 4096; i++)
		total += (size_t)rpmheader_integer(e, i);
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t tags[] = { RPMTAG_NAME, RPMTAG_BASENAMES,
	    RPMTAG_DIRINDEXES, RPMTAG_DIRNAMES, RPMTAG_FILEDIGESTS,
	    RPMTAG_SIGMD5, RPMTAG_INSTALLTIME };
	struct rpmheader_entry e;
	struct rpmheader h;
	volatile size_t sink = 0;
	uint32_t i;

	if (rpmheader_open(&h, data, size) != 0)
		return 0;
	for (i = 0; i < h.count; i++)
		if (rpmheader_entry_at(&h, i, &e) == 0)
			sink += fuzz_values(&e);
	for (i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (rpmheader_find(&h, tags[i], &e) == 1)
			sink += fuzz_values(&e);
	(void)sink;
	return 0;
}
