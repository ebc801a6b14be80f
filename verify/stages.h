/*
 * The stages of one pass over an archive, each usable in its own thread:
 * input.c reads the file and digests what it read, decompress.c
 * turns what it reads into the tar stream, ring.c hands blocks from one
 * thread to the next, reader.c joins them and feeds the walk (walk.h).
 */
#ifndef CUSTODY_STAGES_H
#define CUSTODY_STAGES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "ustar.h"

/*
 * Blocks read from the file, and blocks of the tar stream handed on: small
 * enough that a ring of them stays in a core's cache, so that the copy out
 * of libarchive's buffer costs little; the tar stream's are the size of
 * what libarchive gives at once.
 */
#define STAGE_INPUT_BLOCK	(256 * 1024)
#define STAGE_STREAM_BLOCK	(128 * 1024)

/* ---- input.c: the raw input, digested as it is read. */

struct input {
	int		 fd;
	size_t		 block_size;	/* what one read asks for */
	EVP_MD_CTX	*hash;
	uint64_t	 bytes;
	unsigned char	 head[USTAR_BLOCK];	/* the file's first bytes */
	size_t		 head_len;
	unsigned char	 tail[8];	/* and its last (a gzip trailer) */
	size_t		 tail_len;
	bool		 digest_later;	/* input_read leaves the digest to input_digest */
	bool		 digest_failed;
};

/* Open a file (never through a final symlink) or stdin ("-"). 0 or -1. */
int input_open(const char *path, struct input *);
/* Read one block into buffer (size bytes) and digest it: bytes, 0 at the end, -1 (errno). */
ssize_t input_read(struct input *, unsigned char *buffer, size_t size);
/* Digest a block read with digest_later, in the order read. */
void input_digest(struct input *, const unsigned char *buffer, size_t len);
/* Read and digest the rest, so the digest covers the whole file. */
void input_drain(struct input *, unsigned char *buffer, size_t size);
/* True when the file begins as a stream of a compression custody writes. */
bool input_compressed(const struct input *);
/* The digest of what was read, and its size; the input is closed. */
void input_close(struct input *, unsigned char sha256[32], uint64_t *bytes);

/* ---- ring.c: a bounded queue of blocks between two threads. */

#define RING_SLOTS_MAX	16

struct ring_block {
	unsigned char	*data;
	size_t		 len;
	int		 status;	/* 1 data; the last: 0 the end, -1 failed (error) */
	int		 error;		/* an errno, with -1 */
};

struct ring {
	pthread_mutex_t		 lock;
	pthread_cond_t		 filled;
	pthread_cond_t		 emptied;
	struct ring_block	 blocks[RING_SLOTS_MAX];
	size_t			 capacity;	/* of each block's data */
	unsigned		 slots;
	unsigned		 batch;		/* blocks a waiting side is woken for */
	unsigned		 head;		/* next to take */
	unsigned		 count;
	bool			 ended;		/* the last block is published */
	bool			 closed;	/* the taker wants no more */
	bool			 taker_waits;
	bool			 producer_waits;
	/*
	 * A trailed ring has a second taker behind the first: a block the
	 * first releases is free again only when the second is done with it.
	 */
	bool			 trailed;
	unsigned		 trailing;	/* released by the first, not the second */
	bool			 trail_busy;	/* the second taker's block is claimed */
};

/*
 * Set up a ring of slots blocks of capacity bytes. A side that finds the
 * ring empty (or full) sleeps until batch blocks are there (or free), so
 * that the two threads wake each other once per batch, not per block.
 */
int ring_init(struct ring *, unsigned slots, unsigned batch, size_t capacity);
/* Producer: a free block (waits); NULL once the ring is closed. */
struct ring_block *ring_reserve(struct ring *);
/* Producer: the block reserved is filled. */
void ring_publish(struct ring *);
/* Taker: the oldest filled block (waits). */
struct ring_block *ring_take(struct ring *);
/* Taker: done with the block taken. */
void ring_release(struct ring *);
/* Taker: take no more; a waiting producer gets NULL. */
void ring_close(struct ring *);
/*
 * The second taker of a trailed ring (ring_trail first, before any
 * thread uses it): the oldest block the first has released, claimed for
 * whichever thread asks first, or NULL when there is none or it is
 * claimed; done gives it back. Never waits.
 */
void ring_trail(struct ring *);
unsigned ring_trailing(struct ring *);
struct ring_block *ring_trail_claim(struct ring *);
void ring_trail_done(struct ring *);
/* Once no thread uses the ring: its i-th published block the first taker has not released, or NULL. */
struct ring_block *ring_unreleased(struct ring *, unsigned i);
void ring_free(struct ring *);

/*
 * ---- decompress.c and decompress-zstd.c: the file's bytes in, the tar
 * stream out. A zstd stream is decompressed with libzstd straight into the
 * caller's buffer; any other input, and a zstd stream whose content is
 * itself compressed, goes through libarchive, which then only decompresses
 * (its raw format: no tar parser but ours sees the members).
 */

/* Where the decompressor's input comes from: 0 (len 0 at the end) or -1 (errno). */
typedef int (*decompress_pull)(void *arg, const void **block, size_t *len);

struct decompress {
	decompress_pull	 pull;
	void		*pull_arg;
	uint64_t	 pulled;	/* bytes the pull gave */
	const void	*first;		/* the first block pulled, */
	size_t		 first_len;
	bool		 first_given;	/* and whether libarchive has had it */
	/* zstd (decompress-zstd.c). */
	ZSTD_DStream	*zstd;
	const unsigned char *in;	/* the input block being decompressed */
	size_t		 in_len;
	size_t		 in_pos;
	bool		 in_frame;	/* inside a frame: its end must come */
	bool		 zstd_end;
	bool		 probed;	/* the content was looked at for another layer */
	uint64_t	 zstd_consumed;
	unsigned char	*zstd_block;	/* zstd's output, when libarchive reads it */
	size_t		 zstd_block_len;
	bool		 zstd_block_given;
	char		 zstd_error[512];	/* given after the data before it */
	/* libarchive: over the file, or over zstd's output. */
	struct archive	*archive;
	bool		 started;	/* its only entry is open */
	const void	*pending;	/* given by libarchive, not yet copied */
	size_t		 pending_len;
	bool		 opened;	/* seen as a stream */
	uint64_t	 offset;	/* of the tar stream given out */
	char		 archive_error[512];	/* given after the data before it */
	/* What the pass checks at its end, as libarchive numbers the filters. */
	int		 filters;	/* archive_filter_count */
	int		 code;		/* archive_filter_code of filter 0 */
	char		 outer[32];	/* the names of filters 0 and 1 */
	char		 inner[32];
	int64_t		 consumed;	/* bytes the filters took, at the close */
	unsigned long	 crc32;		/* of the tar stream, for gzip */
};

/* Open the stream (reads its first bytes). 0, or -1 with error_set. */
int decompress_open(struct decompress *, const char *path, decompress_pull, void *arg);
/*
 * Fill buffer with the tar stream: *len bytes, fewer only at its end (0:
 * the end). 0, or -1 (error_set); what came before an error is given
 * first, the error with the next call.
 */
int decompress_fill(struct decompress *, unsigned char *buffer, size_t size, size_t *len);
void decompress_close(struct decompress *);

/* decompress-zstd.c, for decompress.c. */
bool decompress_zstd_magic(const void *block, size_t len);
int decompress_zstd_open(struct decompress *);
/* Fill buffer: *len bytes, fewer at the end or before an error. 0, or -1 (error_set) with none. */
int decompress_zstd_fill(struct decompress *, unsigned char *buffer, size_t size, size_t *len);
/* libarchive's read callback over zstd's output. */
int decompress_zstd_block(struct decompress *, const void **block, size_t *len);
void decompress_zstd_close(struct decompress *);

#endif
