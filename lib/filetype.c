/* MIME types of content, from libmagic. */
#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>

#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/util.h"

struct filetype {
	magic_t	magic;
};

/* The compiled database built into the binary (lib/magic-db.S). */
extern const unsigned char custody_magic_db[];
extern const unsigned char custody_magic_db_end[];

/*
 * Load the built-in database and nothing else: magic_load(NULL) would also
 * read /etc/magic and $MAGIC, which belong to the host under examination.
 * libmagic only reads the buffer, which lives as long as the program.
 */
static int
filetype_load(magic_t magic)
{
	void *buffers[1] = { (void *)(uintptr_t)custody_magic_db };
	size_t sizes[1] = { (size_t)(custody_magic_db_end - custody_magic_db) };

	return magic_load_buffers(magic, buffers, sizes, 1);
}

/* A libmagic handle with the built-in database. */
struct filetype *
filetype_new(void)
{
	struct filetype *ft = calloc(1, sizeof *ft);

	if (ft == NULL) {
		error_set_errno("calloc");
		return NULL;
	}
	/* Never decompress or follow: type what is there, quickly. */
	ft->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_ERROR);
	if (ft->magic == NULL || filetype_load(ft->magic) != 0) {
		error_set("libmagic: %s", ft->magic != NULL ?
		    magic_error(ft->magic) : "cannot initialise");
		filetype_free(ft);
		return NULL;
	}
	return ft;
}

/* The MIME type of a buffer. */
const char *
filetype_buffer(struct filetype *ft, const void *data, size_t len)
{
	const char *type;

	/* `file` reports empty files as inode/x-empty; match it. */
	if (len == 0)
		return "inode/x-empty";
	type = magic_buffer(ft->magic, data, len);
	return type != NULL ? type : "application/octet-stream";
}

/* True for an ELF shared object (e_type ET_DYN), which may be a PIE executable. */
bool
filetype_needs_descriptor(const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned type;

	if (len < 18 || memcmp(p, "\177ELF", 4) != 0)
		return false;
	/* EI_DATA: 1 little-endian, 2 big-endian. */
	type = p[5] == 2 ? (unsigned)(p[16] << 8 | p[17]) : (unsigned)(p[17] << 8 | p[16]);
	return type == 3;
}

/* Ask libmagic to look at the file itself when a buffer cannot tell. */
const char *
filetype_refine(struct filetype *ft, int fd, const char *type)
{
	const char *refined;

	if (strcmp(type, "application/x-sharedlib") != 0 || fd < 0 ||
	    lseek(fd, 0, SEEK_SET) != 0)
		return type;
	refined = magic_descriptor(ft->magic, fd);
	return refined != NULL ? refined : type;
}

/* Forget what the last member kept. */
void
filetype_spool_reset(struct filetype_spool *sp)
{
	if (sp->bytes > 0 && sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	sp->bytes = 0;
	sp->complete = false;
}

/* Keep an ELF shared object's bytes; anything else passes by. */
void
filetype_spool_feed(struct filetype_spool *sp, const void *data, size_t len)
{
	bool first = sp->bytes == 0;

	sp->bytes += len;
	if (len == 0 || (!first && sp->fd < 0))
		return;
	if (first) {
		sp->fd = -1;
		sp->complete = true;
		if (!filetype_needs_descriptor(data, len) ||
		    (sp->fd = memfd_create("custody-type", MFD_CLOEXEC)) < 0)
			return;
	}
	/* Past the cap, or a failed write: the first block's type stands. */
	if (sp->bytes > FILETYPE_SPOOL_MAX || util_write_all(sp->fd, data, len) != 0)
		sp->complete = false;
}

/* The type from the whole member when it was kept. */
const char *
filetype_spool_refine(struct filetype *ft, struct filetype_spool *sp,
    const char *type)
{
	if (sp->fd < 0 || !sp->complete)
		return type;
	return filetype_refine(ft, sp->fd, type);
}

/* The libmagic release this binary types with, as "5.45". */
int
filetype_version(char *out, size_t size)
{
	int v = magic_version();
	int n = snprintf(out, size, "%d.%02d", v / 100, v % 100);

	return n > 0 && (size_t)n < size ? 0 : error_set("libmagic version: "
	    "no room");
}

/* The SHA-256 of the compiled database built in: which rules typed. */
int
filetype_database_sha256(unsigned char out[32])
{
	return hash_sha256(custody_magic_db, (size_t)(custody_magic_db_end -
	    custody_magic_db), out);
}

/* Release the handle. */
void
filetype_free(struct filetype *ft)
{
	if (ft == NULL)
		return;
	if (ft->magic != NULL)
		magic_close(ft->magic);
	free(ft);
}
