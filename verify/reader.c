/*
 * One streaming pass over an archive, in three threads when it can: one
 * reads the file (input.c), one decompresses (decompress.c), and the
 * caller's walks the tar stream, runs the visitor (walk.c) and digests the
 * file's blocks once the decompressor is done with them, joined by rings
 * of whole blocks (ring.c). Then the compressed file itself is held to
 * what custody writes.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>

#include "custody/error.h"
#include "custody/util.h"
#include "reader.h"
#include "stages.h"
#include "ustar.h"
#include "walk.h"

/* Blocks read ahead of the decompressor, and decompressed ahead of the walk. */
#define INPUT_SLOTS	8
#define INPUT_BATCH	4
#define STREAM_SLOTS	8
#define STREAM_BATCH	4

struct pass {
	const char		*path;
	struct input		 in;
	struct decompress	 d;
	/* The input thread, if it runs: else the decompressor reads itself. */
	bool			 input_threaded;
	pthread_t		 input_thread;
	struct ring		 in_ring;
	bool			 in_held;	/* libarchive has a block of in_ring */
	bool			 in_ended;	/* the last block was taken */
	int			 in_error;	/* with it, an errno */
	unsigned char		*buffer;	/* the block read without the thread */
	/* The decompressor thread, if it runs: else the walk calls it. */
	bool			 decompress_threaded;
	pthread_t		 decompress_thread;
	struct ring		 out_ring;
	bool			 out_held;	/* the walk has a block of out_ring */
	unsigned char		*stream;	/* the block decompressed without the thread */
	char			 message[1024];	/* the decompressor's error */
};

/* ---- The threads. */

/*
 * With both threads, the file's digest is taken by the walk's thread, from
 * the blocks the decompressor is done with (the ring's second taker), so
 * the reading thread only reads and the decompressor has a core to itself:
 * two busy threads on two cores, not three. The decompressor digests too,
 * but only when more than keep blocks wait, so that the reader is never
 * out of room while it waits for input (the walk may be waiting for it).
 */
static void
pass_digest_trailing(struct pass *p, unsigned keep)
{
	struct ring_block *b;

	if (!p->in_ring.trailed)
		return;
	while (ring_trailing(&p->in_ring) > keep && (b = ring_trail_claim(&p->in_ring)) != NULL) {
		input_digest(&p->in, b->data, b->len);
		ring_trail_done(&p->in_ring);
	}
}

/* The decompressor's input: the next block read (by the input thread, or here). */
static int
pass_pull(void *arg, const void **block, size_t *len)
{
	struct pass *p = arg;
	struct ring_block *b;
	ssize_t n;

	if (!p->input_threaded) {
		if ((n = input_read(&p->in, p->buffer, p->in.block_size)) < 0)
			return -1;
		*block = p->buffer;
		*len = (size_t)n;
		return 0;
	}
	if (!p->in_ended) {
		/* libarchive is done with a block when it asks for the next. */
		if (p->in_held)
			ring_release(&p->in_ring);
		pass_digest_trailing(p, INPUT_SLOTS - INPUT_BATCH - 1);
		b = ring_take(&p->in_ring);
		p->in_held = true;
		if (b->status > 0) {
			*block = b->data;
			*len = b->len;
			return 0;
		}
		p->in_ended = true;
		p->in_error = b->status < 0 ? b->error : 0;
	}
	*block = p->in_ring.blocks[0].data;
	*len = 0;
	if (p->in_error == 0)
		return 0;
	errno = p->in_error;
	return -1;
}

/* The input thread: read blocks until the end, or until the ring closes. */
static void *
pass_input(void *arg)
{
	struct pass *p = arg;
	struct ring_block *b;
	ssize_t n;

	while ((b = ring_reserve(&p->in_ring)) != NULL) {
		n = input_read(&p->in, b->data, p->in.block_size);
		b->len = n > 0 ? (size_t)n : 0;
		b->status = n > 0 ? 1 : (int)n;
		b->error = n < 0 ? errno : 0;
		ring_publish(&p->in_ring);
		if (n <= 0)
			return NULL;
	}
	return NULL;
}

/* The decompressor thread: whole blocks of the tar stream, then one saying how it ended. */
static void *
pass_decompress(void *arg)
{
	struct pass *p = arg;
	struct ring_block *b;
	int rc = decompress_open(&p->d, p->path, pass_pull, p) == 0 ? 1 : -1;

	if (rc < 0)
		snprintf(p->message, sizeof p->message, "%s", error_message());
	while ((b = ring_reserve(&p->out_ring)) != NULL) {
		b->len = 0;
		if (rc > 0 && decompress_fill(&p->d, b->data, p->out_ring.capacity, &b->len) != 0) {
			snprintf(p->message, sizeof p->message, "%s", error_message());
			rc = -1;
		}
		b->status = b->len > 0 ? 1 : rc > 0 ? 0 : rc;
		ring_publish(&p->out_ring);
		if (b->status <= 0)
			break;
	}
	decompress_close(&p->d);
	return NULL;
}

/* The next piece of the tar stream: 1, 0 at its end, -1 (error_set). */
static int
pass_next(struct pass *p, const void **block, size_t *len)
{
	struct ring_block *b;

	if (!p->decompress_threaded) {
		if (decompress_fill(&p->d, p->stream, STAGE_STREAM_BLOCK, len) != 0)
			return -1;
		*block = p->stream;
		return *len > 0;
	}
	if (p->out_held)
		ring_release(&p->out_ring);
	p->out_held = false;
	b = ring_take(&p->out_ring);
	if (b->status < 0)
		return error_set("%s", p->message);
	if (b->status == 0)
		return 0;
	p->out_held = true;
	*block = b->data;
	*len = b->len;
	return 1;
}

/* Open the input and start the threads; without them, each stage runs here. */
static int
pass_start(struct pass *p, const char *path)
{
	memset(p, 0, sizeof *p);
	p->path = path;
	if (input_open(path, &p->in) != 0)
		return -1;
	if (ring_init(&p->in_ring, INPUT_SLOTS, INPUT_BATCH, p->in.block_size) == 0) {
		/* Set before the thread reads: the blocks are digested behind the decompressor. */
		ring_trail(&p->in_ring);
		p->in.digest_later = true;
		if (util_thread_start(&p->input_thread, pass_input, p) == 0)
			p->input_threaded = true;
		else {
			ring_free(&p->in_ring);
			p->in.digest_later = false;
		}
	}
	if (!p->input_threaded && (p->buffer = malloc(p->in.block_size)) == NULL)
		return error_set_errno("malloc");
	if (ring_init(&p->out_ring, STREAM_SLOTS, STREAM_BATCH, STAGE_STREAM_BLOCK) == 0) {
		if (util_thread_start(&p->decompress_thread, pass_decompress, p) == 0)
			p->decompress_threaded = true;
		else
			ring_free(&p->out_ring);
	}
	if (p->decompress_threaded)
		return 0;
	if ((p->stream = malloc(STAGE_STREAM_BLOCK)) == NULL)
		snprintf(p->message, sizeof p->message, "malloc: %s", strerror(errno));
	else if (decompress_open(&p->d, path, pass_pull, p) != 0)
		snprintf(p->message, sizeof p->message, "%s", error_message());
	return 0;
}

/* Stop the decompressor, wherever it is. */
static void
pass_stop_decompressor(struct pass *p)
{
	if (!p->decompress_threaded) {
		decompress_close(&p->d);
		return;
	}
	ring_close(&p->out_ring);
	pthread_join(p->decompress_thread, NULL);
	p->decompress_threaded = false;
}

/* Stop the input, after the decompressor; drain: read it to its end for the digest. */
static void
pass_stop_input(struct pass *p, bool drain)
{
	struct ring_block *b;
	unsigned i;

	if (!p->input_threaded) {
		if (drain)
			input_drain(&p->in, p->buffer, p->in.block_size);
		return;
	}
	/* The thread stops at the close; what it read is digested here, in order. */
	ring_close(&p->in_ring);
	pthread_join(p->input_thread, NULL);
	p->input_threaded = false;
	pass_digest_trailing(p, 0);
	for (i = 0; (b = ring_unreleased(&p->in_ring, i)) != NULL; i++)
		if (b->status > 0)
			input_digest(&p->in, b->data, b->len);
	if (drain)
		input_drain(&p->in, p->in_ring.blocks[0].data, p->in.block_size);
}

/* Release what the pass holds (its threads are stopped). */
static void
pass_free(struct pass *p)
{
	ring_free(&p->in_ring);
	ring_free(&p->out_ring);
	free(p->buffer);
	free(p->stream);
}

/* ---- The pass. */

/* Every decompressed block through the walk, in order and without gaps. */
static int
reader_stream(struct pass *p, struct walk *w)
{
	const void *block = NULL;
	size_t len = 0;
	int rc;

	if (!p->decompress_threaded && !p->d.opened)
		return error_set("%s", p->message);
	while ((rc = pass_next(p, &block, &len)) > 0) {
		if ((rc = walk_feed(w, block, len)) != 0)
			return rc;
		pass_digest_trailing(p, 0);
	}
	return rc == 0 ? walk_finish(w) : -1;
}

/* One compression layer at most, of the kinds custody writes. */
static int
reader_layers(const struct decompress *d, struct walk *w)
{
	if (d->filters <= 2)
		return 0;
	return walk_problem(w, NULL, 0, "compressed %d times (%s over %s): custody "
	    "writes one layer", d->filters - 1, d->outer, d->inner);
}

/*
 * The compressed file itself, as other tools see it: GNU tar reads a file
 * whose first block passes as a tar header as plain tar, whatever it is
 * compressed as; and custody's compressors write no skippable frame first
 * and no optional gzip header fields, the places such a block would hide.
 */
static int
reader_framing(const struct decompress *d, const struct input *in, struct walk *w)
{
	int rc = 0;

	if (d->filters < 2)
		return 0;
	if (in->head_len == USTAR_BLOCK && ustar_looks_like_header(in->head))
		rc = walk_problem(w, NULL, 0, "the file's first 512 bytes pass as a "
		    "tar header: GNU tar would read it as an uncompressed archive, "
		    "not the %s stream verified", d->outer);
	if (rc == 0 && d->code == ARCHIVE_FILTER_ZSTD && (in->head_len < 4 ||
	    memcmp(in->head, "\x28\xb5\x2f\xfd", 4) != 0))
		rc = walk_problem(w, NULL, 0, "the zstd stream begins with a "
		    "skippable frame, which custody never writes");
	if (rc == 0 && d->code == ARCHIVE_FILTER_GZIP && in->head_len >= 4 &&
	    in->head[3] != 0)
		rc = walk_problem(w, NULL, 0, "the gzip header has optional fields "
		    "(flags 0x%02x), which custody never writes", in->head[3]);
	return rc;
}

/* What the layers and framing say, kept beside the stream's own answer. */
static int
reader_layout(const struct pass *p, struct walk *w, int rc)
{
	char message[1024];
	int found;

	/* The stream's error is the one to report: the checks may not change it. */
	snprintf(message, sizeof message, "%s", error_message());
	found = reader_layers(&p->d, w);
	if (found == 0)
		found = reader_framing(&p->d, &p->in, w);
	if (rc == -1)
		error_set("%s", message);
	return rc >= 0 && found != 0 ? found : rc;
}

/*
 * What the decompressor left unread: bytes after the last compressed
 * frame are not evidence, and other tools refuse or ignore them.
 */
static int
reader_tail(const struct decompress *d, const struct input *in, struct walk *w)
{
	if (d->filters < 2)
		return 0;
	if (d->consumed < 0 || (uint64_t)d->consumed != in->bytes)
		return walk_problem(w, NULL, 0, "bytes after the end of the "
		    "compressed data (%llu of %llu read)",
		    (unsigned long long)d->consumed, (unsigned long long)in->bytes);
	return 0;
}

/*
 * A gzip stream ends with the CRC-32 and the size of what it holds, which
 * libarchive does not check and gzip -t and GNU tar do: custody writes
 * one member, so they are the file's last 8 bytes.
 */
static int
reader_gzip_trailer(const struct decompress *d, const struct input *in,
    struct walk *w)
{
	const unsigned char *t = in->tail;
	uint32_t crc, size;

	if (d->filters < 2 || d->code != ARCHIVE_FILTER_GZIP)
		return 0;
	if (in->tail_len < sizeof in->tail)
		return walk_problem(w, NULL, 0, "the gzip stream has no trailer");
	crc = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
	size = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	if (crc != (uint32_t)d->crc32 || size != (uint32_t)d->offset)
		return walk_problem(w, NULL, 0, "the gzip trailer's CRC-32 or size "
		    "does not match the data (gzip -t and GNU tar refuse it)");
	return 0;
}

/* The checks of a stream read to its end, or the answer of one that was not. */
static int
reader_verdict(struct pass *p, struct walk *w, int rc)
{
	/* A stream in a compression custody writes is an archive, if a damaged one. */
	if (p->d.filters >= 2)
		w->recognized = true;
	rc = reader_layout(p, w, rc);
	if (rc == 0)
		rc = reader_tail(&p->d, &p->in, w);
	if (rc == 0)
		rc = reader_gzip_trailer(&p->d, &p->in, w);
	else if (rc == WALK_STOP)
		rc = 0;
	if (rc == -1)
		error_prefix("%s", p->path);
	/* Past the first header it is an archive, but a damaged one. */
	return rc == -1 && (w->members > 0 || w->recognized) ? READER_DAMAGED : rc;
}

/* Read the archive once. */
int
reader_run(const char *path, const struct reader_visitor *v, void *arg,
    unsigned char sha256[32], uint64_t *bytes)
{
	struct pass p;
	struct walk w;
	int rc;

	if (pass_start(&p, path) != 0) {
		input_close(&p.in, sha256, bytes);
		pass_free(&p);
		return -1;
	}
	walk_init(&w, v, arg);
	rc = reader_stream(&p, &w);
	pass_stop_decompressor(&p);
	if (!p.d.opened) {
		/* Not even a stream: unreadable, or damaged if its start says compressed. */
		pass_stop_input(&p, true);
		rc = input_compressed(&p.in) ? READER_DAMAGED : -1;
	} else {
		pass_stop_input(&p, rc >= 0);
		rc = reader_verdict(&p, &w, rc);
	}
	input_close(&p.in, sha256, bytes);
	pass_free(&p);
	walk_free(&w);
	return rc;
}
