/* The archive file as read, a block at a time, and its digest (taken as it is read, or after by another thread). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/util.h"
#include "stages.h"

/* Open the input: a file (never through a final symlink) or stdin. */
int
input_open(const char *path, struct input *in)
{
	struct stat st;

	memset(in, 0, sizeof *in);
	in->fd = -1;
	if ((in->hash = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(in->hash, EVP_sha256(), NULL) != 1)
		return error_set("cannot allocate the reader");
	if (strcmp(path, "-") == 0)
		in->fd = STDIN_FILENO;
	else if ((in->fd = util_open_file(AT_FDCWD, path, &st)) < 0)
		return -1;
	/* Whole blocks for streams and large files; no more than a small one needs. */
	in->block_size = STAGE_INPUT_BLOCK;
	if (in->fd != STDIN_FILENO && S_ISREG(st.st_mode) && st.st_size < STAGE_INPUT_BLOCK)
		in->block_size = (size_t)st.st_size < 65536 ? 65536 : (size_t)st.st_size;
	posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* Keep the last 8 bytes read, across blocks. */
static void
input_keep_tail(struct input *in, const unsigned char *buffer, size_t n)
{
	size_t keep;

	if (n >= sizeof in->tail) {
		memcpy(in->tail, buffer + n - sizeof in->tail, sizeof in->tail);
		in->tail_len = sizeof in->tail;
		return;
	}
	keep = in->tail_len + n > sizeof in->tail ? sizeof in->tail - n : in->tail_len;
	memmove(in->tail, in->tail + in->tail_len - keep, keep);
	memcpy(in->tail + keep, buffer, n);
	in->tail_len = keep + n;
}

/* Read one block and digest it: bytes read, 0 at the end, -1 (errno). */
ssize_t
input_read(struct input *in, unsigned char *buffer, size_t size)
{
	ssize_t n;

	do
		n = read(in->fd, buffer, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (!in->digest_later && EVP_DigestUpdate(in->hash, buffer, (size_t)n) != 1) {
		errno = EIO;
		return -1;
	}
	if (in->head_len < sizeof in->head) {
		size_t take = sizeof in->head - in->head_len;

		if (take > (size_t)n)
			take = (size_t)n;
		memcpy(in->head + in->head_len, buffer, take);
		in->head_len += take;
	}
	input_keep_tail(in, buffer, (size_t)n);
	in->bytes += (uint64_t)n;
	return n;
}

/* Digest a block read before, by another thread than the reading one. */
void
input_digest(struct input *in, const unsigned char *buffer, size_t len)
{
	if (EVP_DigestUpdate(in->hash, buffer, len) != 1)
		in->digest_failed = true;
}

/* Digest the rest of the input. */
void
input_drain(struct input *in, unsigned char *buffer, size_t size)
{
	ssize_t n;

	while ((n = input_read(in, buffer, size)) > 0)
		if (in->digest_later)
			input_digest(in, buffer, (size_t)n);
}

/* True when the input begins as a stream of a compression custody writes. */
bool
input_compressed(const struct input *in)
{
	static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char gzip[] = { 0x1f, 0x8b };
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

	return (in->head_len >= sizeof zstd && memcmp(in->head, zstd, sizeof zstd) == 0) ||
	    (in->head_len >= sizeof gzip && memcmp(in->head, gzip, sizeof gzip) == 0) ||
	    (in->head_len >= sizeof xz && memcmp(in->head, xz, sizeof xz) == 0);
}

/* Finish the digest and release the input. */
void
input_close(struct input *in, unsigned char sha256[32], uint64_t *bytes)
{
	/* A digest that failed on the way is no digest: it matches no .sha256. */
	if (in->hash != NULL && (EVP_DigestFinal_ex(in->hash, sha256, NULL) != 1 ||
	    in->digest_failed))
		memset(sha256, 0, 32);
	*bytes = in->bytes;
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	in->fd = -1;
	EVP_MD_CTX_free(in->hash);
	in->hash = NULL;
}
