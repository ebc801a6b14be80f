/* Fuzz target: a dpkg status file, read stanza by stanza. */
#define _GNU_SOURCE
#include "config.h"

#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "../../collect/live-packages-status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status_reader r;
	volatile size_t sink = 0;
	int fd = memfd_create("status", MFD_CLOEXEC), i;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0 ||
	    status_reader_init(&r, fd, "status") != 0) {
		close(fd);
		return 0;
	}
	while (status_next(&r) == 1)
		for (i = 0; i < STATUS_FIELD_COUNT; i++)
			sink += r.stanza.len[i] + (r.stanza.reason != NULL);
	(void)sink;
	status_reader_free(&r);
	close(fd);
	return 0;
}
