/*
 * Spools: the growing texts of custody/ (manifest, SHA256SUMS, log), kept
 * in memory and written into the archive in parts of PART_SIZE as they
 * grow, so that memory does not grow with the number of files.
 */
#include "config.h"

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

/* A spool holding this many bytes of complete lines goes out as a part. */
#define PART_SIZE	(8 * 1024 * 1024)

/* Open an empty spool in memory. */
int
spool_open(struct spool *s)
{
	memset(s, 0, sizeof *s);
	if ((s->whole = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->whole, EVP_sha256(), NULL) != 1)
		return error_set("cannot digest a spool");
	s->file = open_memstream(&s->memory, &s->memory_len);
	return s->file != NULL ? 0 : error_set_errno("open_memstream");
}

/* Empty a spool that went out as a part; its count and digest go on. */
static int
spool_empty(struct spool *s)
{
	fclose(s->file);
	free(s->memory);
	s->memory = NULL;
	s->memory_len = 0;
	s->file = open_memstream(&s->memory, &s->memory_len);
	return s->file != NULL ? 0 : error_set_errno("open_memstream");
}

/* Close a spool. */
void
spool_close(struct spool *s)
{
	if (s->file != NULL)
		fclose(s->file);
	free(s->memory);
	EVP_MD_CTX_free(s->whole);
	memset(s, 0, sizeof *s);
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
	    spool_to_member(c, s, path, digest) != 0)
		return -1;
	s->parts++;
	if (spool_empty(s) != 0)
		return -1;
	util_hex(digest, sizeof digest, hex);
	/* SHA256SUMS's own part is listed in the next one, or in the final member. */
	return sums_write_line(c->sums.file, hex, path, strlen(path));
}

/* Whether a spool holds a part's worth. */
static int
spool_full(struct spool *s)
{
	if (fflush(s->file) != 0)
		return error_set_errno("spool");
	return s->memory_len >= PART_SIZE;
}

/*
 * Write out each spool that holds a part's worth. Called on the sink's
 * side between members, when every spool holds complete lines only; the
 * manifest and log go first, so that SHA256SUMS lists their parts.
 */
int
spool_parts(struct collector *c)
{
	struct spool *const spools[SEAL_TEXTS] = { &c->manifest, &c->sums, &c->log };
	static const enum seal_text order[SEAL_TEXTS] = {
		SEAL_TEXT_MANIFEST, SEAL_TEXT_LOG, SEAL_TEXT_SUMS
	};
	int i, full;

	for (i = 0; i < SEAL_TEXTS; i++) {
		if ((full = spool_full(spools[order[i]])) < 0)
			return -1;
		if (full && spool_part(c, spools[order[i]], order[i]) != 0)
			return -1;
	}
	return 0;
}
