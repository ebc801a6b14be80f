/* MIME types of content, from libmagic, as `file --mime-type` reports them. */
#ifndef CUSTODY_FILETYPE_H
#define CUSTODY_FILETYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a file's start that are enough to type it. */
#define FILETYPE_BLOCK	(1024 * 1024)

struct filetype;

/* A libmagic handle with the built-in database; one per thread. NULL on error. */
struct filetype *filetype_new(void);
/* The MIME type of a buffer (the first block of a file); never NULL. */
const char *filetype_buffer(struct filetype *, const void *data, size_t len);
/* True when libmagic needs the open file as well as this first block (ELF shared objects). */
bool filetype_needs_descriptor(const void *data, size_t len);
/*
 * Refine a type that libmagic cannot settle from a buffer: an ELF shared
 * object may be a PIE executable, which only the program headers tell, so
 * libmagic reads them from the open file (fd, at offset 0). Other types
 * are returned as they are.
 */
const char *filetype_refine(struct filetype *, int fd, const char *type);
/*
 * A member read as a stream has no descriptor to refine its type with: an
 * ELF shared object is kept in a memory-backed file (up to
 * FILETYPE_SPOOL_MAX bytes) while it streams by, so that its type is the
 * one the open file would give.
 */
#define FILETYPE_SPOOL_MAX	((uint64_t)256 << 20)

struct filetype_spool {
	int		 fd;		/* -1: nothing kept */
	uint64_t	 bytes;		/* seen so far */
	bool		 complete;	/* every byte kept */
};

/* Start a new member. */
void filetype_spool_reset(struct filetype_spool *);
/* The member's next bytes: kept when its first chunk is an ELF shared object. */
void filetype_spool_feed(struct filetype_spool *, const void *data, size_t len);
/* The type refined from the kept member (filetype_refine); type when none was kept. */
const char *filetype_spool_refine(struct filetype *, struct filetype_spool *,
    const char *type);

/* The libmagic release linked in, as "MAJOR.MINOR" ("5.45"). 0 or -1. */
int filetype_version(char *out, size_t size);
/* The SHA-256 of the compiled magic database built into the binary. 0 or -1. */
int filetype_database_sha256(unsigned char out[32]);
void filetype_free(struct filetype *);

#endif
