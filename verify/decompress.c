/*
 * The file's bytes in, the tar stream out. A zstd stream (what custody
 * writes by default) is decompressed by decompress-zstd.c straight into
 * the caller's buffer; gzip, xz, an uncompressed tar, and a zstd stream
 * whose content is itself compressed go through libarchive, which only
 * decompresses: its raw format, so that no tar parser but ours sees the
 * members. Either way the pass learns what libarchive would say of the
 * filters (how many, which), for the checks of the file's layout.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "custody/error.h"
#include "stages.h"

/* libarchive's read callback: zstd's output, or the file (its first block first). */
static la_ssize_t
decompress_read(struct archive *a, void *arg, const void **block)
{
	struct decompress *d = arg;
	size_t len;

	if (d->zstd != NULL) {
		if (decompress_zstd_block(d, block, &len) != 0) {
			archive_set_error(a, EIO, "%s", error_message());
			return -1;
		}
		return (la_ssize_t)len;
	}
	if (!d->first_given) {
		d->first_given = true;
		*block = d->first;
		return (la_ssize_t)d->first_len;
	}
	if (d->pull(d->pull_arg, block, &len) != 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	d->pulled += len;
	return (la_ssize_t)len;
}

/* A reader of the compressions custody writes, and of no tar format but raw. */
static struct archive *
decompress_archive_new(void)
{
	struct archive *a = archive_read_new();

	if (a == NULL) {
		error_set("cannot allocate the archive reader");
		return NULL;
	}
	if (archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK) {
		error_set("%s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Name filter n of a reader, within the room there is. */
static void
decompress_name(struct archive *a, int n, char *name, size_t size)
{
	const char *s = n < archive_filter_count(a) ? archive_filter_name(a, n) : NULL;

	snprintf(name, size, "%s", s != NULL ? s : "none");
}

/*
 * Name filter n of libarchive over zstd's output as libarchive over the
 * file would: its filters but the last, then zstd, then the file.
 */
static void
decompress_name_over_zstd(struct archive *a, int n, char *name, size_t size)
{
	int inner = archive_filter_count(a);

	if (n < inner - 1)
		decompress_name(a, n, name, size);
	else
		snprintf(name, size, "%s", n == inner - 1 ? "zstd" : "none");
}

/* The filters of libarchive over the file. */
static void
decompress_filters(struct decompress *d)
{
	d->filters = archive_filter_count(d->archive);
	d->code = archive_filter_code(d->archive, 0);
	decompress_name(d->archive, 0, d->outer, sizeof d->outer);
	decompress_name(d->archive, 1, d->inner, sizeof d->inner);
}

/* Open the input as one decompressed stream. */
int
decompress_open(struct decompress *d, const char *path, decompress_pull pull,
    void *arg)
{
	memset(d, 0, sizeof *d);
	d->pull = pull;
	d->pull_arg = arg;
	d->crc32 = crc32(0L, Z_NULL, 0);
	if (pull(arg, &d->first, &d->first_len) != 0)
		return error_set("%s: read: %s", path, strerror(errno));
	d->pulled = d->first_len;
	if (decompress_zstd_magic(d->first, d->first_len)) {
		if (decompress_zstd_open(d) != 0)
			return error_prefix("%s", path);
		/* As libarchive counts them: zstd over the file itself. */
		d->opened = true;
		d->filters = 2;
		d->code = ARCHIVE_FILTER_ZSTD;
		snprintf(d->outer, sizeof d->outer, "zstd");
		snprintf(d->inner, sizeof d->inner, "none");
		return 0;
	}
	if ((d->archive = decompress_archive_new()) == NULL)
		return error_prefix("%s", path);
	if (archive_read_open(d->archive, d, NULL, decompress_read, NULL) != ARCHIVE_OK)
		return error_set("%s: %s", path, d->pulled == 0 ? "empty input" :
		    archive_error_string(d->archive));
	d->opened = true;
	decompress_filters(d);
	return 0;
}

/*
 * True when libarchive would see another compression in zstd's first
 * output: it would then decompress that too, and so must the pass.
 */
static bool
decompress_layered(const void *data, size_t len)
{
	struct archive *a = decompress_archive_new();
	bool layered;

	if (a == NULL)
		return true;
	layered = archive_read_open_memory(a, data, len) != ARCHIVE_OK ||
	    archive_filter_count(a) > 1;
	archive_read_free(a);
	return layered;
}

/* Read zstd's output through libarchive from here on; buffer holds its first len bytes. */
static int
decompress_relayer(struct decompress *d, const unsigned char *buffer, size_t len)
{
	int inner;

	if ((d->zstd_block = malloc(STAGE_STREAM_BLOCK)) == NULL)
		return error_set_errno("malloc");
	memcpy(d->zstd_block, buffer, len);
	d->zstd_block_len = len;
	if ((d->archive = decompress_archive_new()) == NULL)
		return -1;
	if (archive_read_open(d->archive, d, NULL, decompress_read, NULL) != ARCHIVE_OK)
		return error_set("%s", archive_error_string(d->archive));
	/* libarchive numbers filters from the innermost: ours is the last but the file. */
	inner = archive_filter_count(d->archive);
	d->filters = inner + 1;
	d->code = inner >= 2 ? archive_filter_code(d->archive, 0) : ARCHIVE_FILTER_ZSTD;
	decompress_name_over_zstd(d->archive, 0, d->outer, sizeof d->outer);
	decompress_name_over_zstd(d->archive, 1, d->inner, sizeof d->inner);
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

/* The next block libarchive gives, in order and without gaps: 1, 0 at the end, -1. */
static int
decompress_archive_next(struct decompress *d)
{
	la_int64_t offset;
	int rc;

	if (!d->started && decompress_start(d) != 0)
		return -1;
	do {
		rc = archive_read_data_block(d->archive, &d->pending, &d->pending_len, &offset);
		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc != ARCHIVE_OK)
			return error_set("%s", archive_error_string(d->archive));
		if (offset < 0 || (uint64_t)offset != d->offset)
			return error_set("decompressed data out of order at byte %llu",
			    (unsigned long long)d->offset);
	} while (d->pending_len == 0);
	d->offset += d->pending_len;
	if (d->code == ARCHIVE_FILTER_GZIP)
		d->crc32 = crc32(d->crc32, d->pending, (uInt)d->pending_len);
	return 1;
}

/* Fill buffer from libarchive's blocks (a copy: they are its own). */
static int
decompress_archive_fill(struct decompress *d, unsigned char *buffer, size_t size,
    size_t *len)
{
	size_t n;
	int rc;

	*len = 0;
	if (d->archive_error[0] != '\0')
		return error_set("%s", d->archive_error);
	while (*len < size) {
		if (d->pending_len == 0 && (rc = decompress_archive_next(d)) <= 0) {
			if (rc < 0 && *len > 0)
				snprintf(d->archive_error, sizeof d->archive_error, "%s",
				    error_message());
			return *len > 0 ? 0 : rc;
		}
		n = size - *len < d->pending_len ? size - *len : d->pending_len;
		memcpy(buffer + *len, d->pending, n);
		*len += n;
		d->pending = (const unsigned char *)d->pending + n;
		d->pending_len -= n;
	}
	return 0;
}

/* Fill buffer with the tar stream. */
int
decompress_fill(struct decompress *d, unsigned char *buffer, size_t size,
    size_t *len)
{
	if (d->archive != NULL)
		return decompress_archive_fill(d, buffer, size, len);
	if (decompress_zstd_fill(d, buffer, size, len) != 0)
		return -1;
	if (!d->probed) {
		d->probed = true;
		if (decompress_layered(buffer, *len)) {
			if (decompress_relayer(d, buffer, *len) != 0)
				return -1;
			return decompress_archive_fill(d, buffer, size, len);
		}
	}
	d->offset += *len;
	return 0;
}

/* Note what the filters took, and release them. */
void
decompress_close(struct decompress *d)
{
	if (d->zstd != NULL)
		d->consumed = (int64_t)d->zstd_consumed;
	else if (d->archive != NULL && d->opened)
		d->consumed = archive_filter_bytes(d->archive, -1);
	if (d->archive != NULL)
		archive_read_free(d->archive);
	d->archive = NULL;
	decompress_zstd_close(d);
}
