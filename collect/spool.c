/*
 * Spools: the growing texts of custody/ (manifest, SHA256SUMS, log), kept
 * in memory and written into the archive in parts as they grow, so that
 * memory does not grow with the number of files.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/seal.h"
#include "custody/sums.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "collector-private.h"

/*
 * When the three spools together hold this many bytes (of complete
 * lines), each goes out as its text's next part: together they never hold
 * much more.
 */
#define PART_SIZE	(8 * 1024 * 1024)
/* Address space set aside per spool; only what is written takes memory. */
#define SPOOL_RESERVE	(32 * 1024 * 1024)

/* The stream's writes: append to the mapping, growing it when full. */
static ssize_t
spool_write(void *arg, const char *data, size_t len)
{
	struct spool *s = arg;
	size_t want = s->reserved;
	void *grown;

	while (s->memory_len + len > want)
		want *= 2;
	if (want != s->reserved) {
		grown = mremap(s->memory, s->reserved, want, MREMAP_MAYMOVE);
		if (grown == MAP_FAILED) {
			errno = ENOMEM;
			return -1;
		}
		s->memory = grown;
		s->reserved = want;
	}
	memcpy(s->memory + s->memory_len, data, len);
	s->memory_len += len;
	return (ssize_t)len;
}

/* Open an empty spool: a stream into a private anonymous mapping. */
int
spool_open(struct spool *s)
{
	cookie_io_functions_t io = { .write = spool_write };

	memset(s, 0, sizeof *s);
	s->memory = mmap(NULL, SPOOL_RESERVE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->memory == MAP_FAILED) {
		s->memory = NULL;
		return error_set_errno("spool");
	}
	s->reserved = SPOOL_RESERVE;
	if ((s->whole = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->whole, EVP_sha256(), NULL) != 1)
		return error_set("cannot digest a spool");
	if ((s->file = fopencookie(s, "w", io)) == NULL)
		return error_set_errno("spool");
	/* Large writes into the mapping: a line or more is written per file. */
	setvbuf(s->file, NULL, _IOFBF, 64 * 1024);
	return 0;
}

/* Close a spool. */
void
spool_close(struct spool *s)
{
	if (s->file != NULL)
		fclose(s->file);
	if (s->memory != NULL)
		munmap(s->memory, s->reserved);
	EVP_MD_CTX_free(s->whole);
	memset(s, 0, sizeof *s);
}

/* Empty a spool that went out as a part, giving its memory back. */
static int
spool_empty(struct spool *s)
{
	s->memory_len = 0;
	if (madvise(s->memory, s->reserved, MADV_DONTNEED) != 0)
		return error_set_errno("spool");
	return 0;
}

/* The SHA-256 of a text: every part and its final member, in order. */
int
spool_whole_digest(struct spool *s, unsigned char sha256[32])
{
	return EVP_DigestFinal_ex(s->whole, sha256, NULL) == 1 ? 0 :
	    error_set("cannot digest a spool");
}

/* Write what a spool holds into the archive as one member; digest it into sha256. */
int
spool_to_member(struct collector *c, struct spool *s, const char *path,
    unsigned char sha256[32])
{
	if (fflush(s->file) != 0 || ferror(s->file))
		return error_set_errno("%s", path);
	if (EVP_Digest(s->memory, s->memory_len, sha256, NULL, EVP_sha256(),
	    NULL) != 1 || EVP_DigestUpdate(s->whole, s->memory, s->memory_len) != 1)
		return error_set("%s: cannot digest it", path);
	if (writer_begin(c->writer, path, (int64_t)s->memory_len, &c->started) != 0 ||
	    (s->memory_len > 0 && writer_data(c->writer, s->memory,
	    s->memory_len) != 0) || writer_end(c->writer) != 0)
		return -1;
	return 0;
}

/* Write a spool out as its text's next part, list it in SHA256SUMS, empty it. */
static int
spool_part(struct collector *c, struct spool *s, enum seal_text text)
{
	char path[SEAL_PART_NAME_SIZE], hex[65];
	unsigned char digest[32];

	if (seal_part_name(text, s->parts + 1, path) != 0 ||
	    spool_to_member(c, s, path, digest) != 0 || spool_empty(s) != 0)
		return -1;
	s->parts++;
	util_hex(digest, sizeof digest, hex);
	/* SHA256SUMS's own part is listed in the next one, or in the final member. */
	return sums_write_line(c->sums.file, hex, path, strlen(path));
}

/*
 * When the spools together hold PART_SIZE, write each that holds anything
 * out as a part. Called on the sink's side between members, when every
 * spool holds complete lines only; the manifest and log go first, so that
 * SHA256SUMS lists their parts.
 */
int
spool_parts(struct collector *c)
{
	struct spool *const spools[SEAL_TEXTS] = { &c->manifest, &c->sums, &c->log };
	static const enum seal_text order[SEAL_TEXTS] = {
		SEAL_TEXT_MANIFEST, SEAL_TEXT_LOG, SEAL_TEXT_SUMS
	};
	size_t held = 0;
	int i;

	for (i = 0; i < SEAL_TEXTS; i++) {
		if (fflush(spools[i]->file) != 0)
			return error_set_errno("spool");
		held += spools[i]->memory_len;
	}
	if (held < PART_SIZE)
		return 0;
	for (i = 0; i < SEAL_TEXTS; i++)
		if (spools[order[i]]->memory_len > 0 &&
		    spool_part(c, spools[order[i]], order[i]) != 0)
			return -1;
	return 0;
}
