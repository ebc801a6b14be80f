/* One streaming pass over an archive: every member to a visitor, nothing to disk. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/util.h"
#include "reader.h"

#define READER_BLOCK (1024 * 1024)

/* The raw input, hashed as libarchive reads it. */
struct reader_input {
	int		 fd;
	unsigned char	*buffer;
	EVP_MD_CTX	*hash;
	uint64_t	 bytes;
};

/* libarchive's read callback: one block of the file, digested on the way. */
static la_ssize_t
reader_read_callback(struct archive *a, void *arg, const void **block)
{
	struct reader_input *in = arg;
	ssize_t n;

	do
		n = read(in->fd, in->buffer, READER_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	EVP_DigestUpdate(in->hash, in->buffer, (size_t)n);
	in->bytes += (uint64_t)n;
	*block = in->buffer;
	return n;
}

/* Open the input: a file (never through a final symlink) or stdin. */
static int
reader_open_input(const char *path, struct reader_input *in)
{
	memset(in, 0, sizeof *in);
	in->fd = -1;
	if ((in->buffer = malloc(READER_BLOCK)) == NULL ||
	    (in->hash = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(in->hash, EVP_sha256(), NULL) != 1)
		return error_set("cannot allocate the reader");
	if (strcmp(path, "-") == 0)
		in->fd = STDIN_FILENO;
	else if ((in->fd = util_open_file(AT_FDCWD, path, NULL)) < 0)
		return -1;
	posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* Release the input. */
static void
reader_close_input(struct reader_input *in)
{
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	free(in->buffer);
	EVP_MD_CTX_free(in->hash);
}

/* Open the archive with every filter and the tar formats. */
static struct archive *
reader_open(const char *path, struct reader_input *in)
{
	struct archive *a;

	if (reader_open_input(path, in) != 0)
		return NULL;
	if ((a = archive_read_new()) == NULL) {
		error_set("cannot allocate the archive reader");
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open(a, in, NULL, reader_read_callback, NULL) != ARCHIVE_OK) {
		error_set("%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Describe the current member for the visitor. */
static void
reader_describe(struct archive_entry *entry, struct reader_member *m)
{
	const char *path = archive_entry_pathname(entry);

	if (path == NULL)
		path = "";
	while (strncmp(path, "./", 2) == 0)
		path += 2;
	m->path = path;
	m->path_len = strlen(path);
	m->filetype = (int)archive_entry_filetype(entry);
	m->hardlink = archive_entry_hardlink(entry) != NULL;
	m->size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
}

/* Stream one member's data to the visitor. */
static int
reader_member_data(struct archive *a, const struct reader_visitor *v, void *arg)
{
	const void *block;
	size_t len;
	la_int64_t offset;
	int rc;

	for (;;) {
		rc = archive_read_data_block(a, &block, &len, &offset);
		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			return error_set("%s", archive_error_string(a));
		if (len > 0 && (rc = v->data(arg, block, len)) != 0)
			return rc;
	}
}

/* Read the archive once. */
int
reader_run(const char *path, const struct reader_visitor *v, void *arg,
    unsigned char sha256[32], uint64_t *bytes)
{
	struct reader_input in;
	struct archive *a = reader_open(path, &in);
	struct archive_entry *entry;
	struct reader_member m;
	uint64_t members = 0;
	int rc = 0, next;

	if (a == NULL) {
		reader_close_input(&in);
		return -1;
	}
	while (rc == 0) {
		next = archive_read_next_header(a, &entry);
		if (next == ARCHIVE_EOF)
			break;
		if (next != ARCHIVE_OK && next != ARCHIVE_WARN) {
			rc = error_set("%s: %s", path, archive_error_string(a));
			break;
		}
		members++;
		reader_describe(entry, &m);
		if ((rc = v->begin(arg, &m)) != 0)
			break;
		if ((rc = reader_member_data(a, v, arg)) != 0) {
			if (rc == -1)
				error_prefix("%s", path);
			break;
		}
		rc = v->end(arg);
	}
	/* Read to the end, so the digest covers the whole file. */
	while (rc == 0 && reader_read_callback(a, &in, &(const void *){ NULL }) > 0)
		;
	archive_read_free(a);
	EVP_DigestFinal_ex(in.hash, sha256, NULL);
	*bytes = in.bytes;
	reader_close_input(&in);
	/* Past the first member it is an archive, but a damaged one. */
	return rc == -1 && members > 0 ? READER_DAMAGED : rc;
}
