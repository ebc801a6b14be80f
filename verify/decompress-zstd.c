/*
 * zstd streams, decompressed with libzstd straight into the caller's
 * buffer (the block the walk will hash), as libarchive's zstd filter
 * would read them: frames one after the other to the end of the input,
 * skippable frames skipped, a frame cut short or bytes that are no frame
 * an error, the default limit on the window.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "custody/error.h"
#include "stages.h"

/* True when a block begins with a zstd frame (a skippable frame is left to libarchive). */
bool
decompress_zstd_magic(const void *block, size_t len)
{
	static const unsigned char magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

	return len >= sizeof magic && memcmp(block, magic, sizeof magic) == 0;
}

/* Set up the decompressor; the first block pulled is its first input. */
int
decompress_zstd_open(struct decompress *d)
{
	if ((d->zstd = ZSTD_createDStream()) == NULL)
		return error_set("cannot allocate the zstd decompressor");
	if (ZSTD_isError(ZSTD_initDStream(d->zstd)))
		return error_set("cannot set up the zstd decompressor");
	d->in = d->first;
	d->in_len = d->first_len;
	d->in_pos = 0;
	d->first_given = true;
	return 0;
}

/* The next input block, when the last is used up: 0, or -1 (error_set). */
static int
decompress_zstd_input(struct decompress *d)
{
	const void *block;
	size_t len;

	if (d->pull(d->pull_arg, &block, &len) != 0)
		return error_set("read: %s", strerror(errno));
	d->pulled += len;
	d->in = block;
	d->in_len = len;
	d->in_pos = 0;
	return 0;
}

/* One step of decompression into out: 0, or -1 (error_set). */
static int
decompress_zstd_step(struct decompress *d, ZSTD_outBuffer *out)
{
	ZSTD_inBuffer in;
	size_t rc;

	if (d->in_pos == d->in_len) {
		if (decompress_zstd_input(d) != 0)
			return -1;
		if (d->in_len == 0) {
			if (d->in_frame)
				return error_set("truncated zstd input");
			d->zstd_end = true;
			return 0;
		}
	}
	in.src = d->in;
	in.size = d->in_len;
	in.pos = d->in_pos;
	rc = ZSTD_decompressStream(d->zstd, out, &in);
	d->zstd_consumed += in.pos - d->in_pos;
	d->in_pos = in.pos;
	if (ZSTD_isError(rc))
		return error_set("zstd decompression failed: %s", ZSTD_getErrorName(rc));
	/* Not zero: the frame is not finished, more of it must follow. */
	d->in_frame = rc != 0;
	return 0;
}

/* Fill buffer: *len bytes, fewer at the end or before an error (kept for the next call). */
int
decompress_zstd_fill(struct decompress *d, unsigned char *buffer, size_t size,
    size_t *len)
{
	ZSTD_outBuffer out = { buffer, size, 0 };

	*len = 0;
	if (d->zstd_error[0] != '\0')
		return error_set("%s", d->zstd_error);
	while (out.pos < out.size && !d->zstd_end)
		if (decompress_zstd_step(d, &out) != 0) {
			if (out.pos == 0)
				return -1;
			snprintf(d->zstd_error, sizeof d->zstd_error, "%s", error_message());
			break;
		}
	*len = out.pos;
	return 0;
}

/* libarchive's input when the zstd stream holds another compression: zstd's output. */
int
decompress_zstd_block(struct decompress *d, const void **block, size_t *len)
{
	if (!d->zstd_block_given) {
		d->zstd_block_given = true;
		*block = d->zstd_block;
		*len = d->zstd_block_len;
		return 0;
	}
	if (decompress_zstd_fill(d, d->zstd_block, STAGE_STREAM_BLOCK, len) != 0)
		return -1;
	*block = d->zstd_block;
	return 0;
}

/* Release the decompressor. */
void
decompress_zstd_close(struct decompress *d)
{
	ZSTD_freeDStream(d->zstd);
	d->zstd = NULL;
	free(d->zstd_block);
	d->zstd_block = NULL;
}
