/*
 * The file's bytes in, the tar stream out: libarchive only decompresses
 * (the compressions custody writes, and its raw format, so that no tar
 * parser but ours sees the members).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "custody/error.h"
#include "stages.h"

/* libarchive's read callback: the next block the pull gives. */
static la_ssize_t
decompress_read(struct archive *a, void *arg, const void **block)
{
	struct decompress *d = arg;
	size_t len;

	if (d->pull(d->pull_arg, block, &len) != 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	d->pulled += len;
	return (la_ssize_t)len;
}

/* Name a filter, within the room there is. */
static void
decompress_name(struct archive *a, int n, char *name, size_t size)
{
	const char *s = n < archive_filter_count(a) ? archive_filter_name(a, n) : NULL;

	snprintf(name, size, "%s", s != NULL ? s : "none");
}

/* Open the input as one decompressed stream. */
int
decompress_open(struct decompress *d, const char *path, decompress_pull pull,
    void *arg)
{
	struct archive *a;

	memset(d, 0, sizeof *d);
	d->pull = pull;
	d->pull_arg = arg;
	d->crc32 = crc32(0L, Z_NULL, 0);
	if ((d->archive = a = archive_read_new()) == NULL)
		return error_set("cannot allocate the archive reader");
	if (archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK)
		return error_set("%s: %s", path, archive_error_string(a));
	if (archive_read_open(a, d, NULL, decompress_read, NULL) != ARCHIVE_OK)
		return error_set("%s: %s", path, d->pulled == 0 ? "empty input" :
		    archive_error_string(a));
	d->opened = true;
	d->filters = archive_filter_count(a);
	d->code = archive_filter_code(a, 0);
	decompress_name(a, 0, d->outer, sizeof d->outer);
	decompress_name(a, 1, d->inner, sizeof d->inner);
	return 0;
}

/* The raw format's one entry: the whole decompressed stream. */
static int
decompress_start(struct decompress *d)
{
	struct archive_entry *entry;
	int rc = archive_read_next_header(d->archive, &entry);

	d->started = true;
	if (rc == ARCHIVE_EOF)
		return error_set("empty input");
	if (rc != ARCHIVE_OK)
		return error_set("%s", archive_error_string(d->archive));
	return 0;
}

/* The next decompressed block, in order and without gaps. */
int
decompress_next(struct decompress *d, const void **block, size_t *len)
{
	la_int64_t offset;
	int rc;

	if (!d->started && decompress_start(d) != 0)
		return -1;
	do {
		rc = archive_read_data_block(d->archive, block, len, &offset);
		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc != ARCHIVE_OK)
			return error_set("%s", archive_error_string(d->archive));
		if (offset < 0 || (uint64_t)offset != d->offset)
			return error_set("decompressed data out of order at byte %llu",
			    (unsigned long long)d->offset);
	} while (*len == 0);
	d->offset += *len;
	if (d->code == ARCHIVE_FILTER_GZIP)
		d->crc32 = crc32(d->crc32, *block, (uInt)*len);
	return 1;
}

/* Note what the filters took, and release libarchive. */
void
decompress_close(struct decompress *d)
{
	if (d->archive == NULL)
		return;
	if (d->opened)
		d->consumed = archive_filter_bytes(d->archive, -1);
	archive_read_free(d->archive);
	d->archive = NULL;
}
