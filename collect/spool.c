/*
 * Spools: the growing texts of custody/, kept in unlinked files beside the
 * output or in memory.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "collector-private.h"

/* Open a spool: an unlinked temporary file in dir, or memory when dir is NULL. */
int
spool_open(struct spool *s, const char *dir)
{
	char *template;
	int fd;

	memset(s, 0, sizeof *s);
	if (dir == NULL) {
		s->file = open_memstream(&s->memory, &s->memory_len);
		return s->file != NULL ? 0 : error_set_errno("open_memstream");
	}
	fd = compat_open_tmpfile(dir, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EOPNOTSUPP) {
		/* No O_TMPFILE here: a named file, unlinked at once. */
		if (asprintf(&template, "%s/.custody-spool-XXXXXX", dir) < 0)
			return error_set_errno("asprintf");
		fd = mkostemp(template, O_CLOEXEC);
		if (fd >= 0)
			unlink(template);
		free(template);
	}
	if (fd < 0 || (s->file = fdopen(fd, "w+")) == NULL) {
		if (fd >= 0)
			close(fd);
		return error_set_errno("temporary file in %s", dir);
	}
	/* Large writes: a manifest line is written per file. */
	setvbuf(s->file, NULL, _IOFBF, 256 * 1024);
	return 0;
}

/* Close a spool. */
void
spool_close(struct spool *s)
{
	if (s->file != NULL)
		fclose(s->file);
	free(s->memory);
	memset(s, 0, sizeof *s);
}

/* Copy a spool into the archive as one member; digest it into sha256. */
int
spool_to_member(struct collector *c, struct spool *s, const char *path,
    unsigned char sha256[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	off_t size;
	size_t n;
	int rc = -1;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    fflush(s->file) != 0 || (size = ftello(s->file)) < 0) {
		error_set_errno("%s", path);
		goto out;
	}
	if (writer_begin(c->writer, path, size, &c->started) != 0)
		goto out;
	if (s->memory != NULL) {
		if (EVP_DigestUpdate(md, s->memory, s->memory_len) != 1 ||
		    writer_data(c->writer, s->memory, s->memory_len) != 0)
			goto out;
	} else {
		rewind(s->file);
		while ((n = fread(c->buffer, 1, READ_BLOCK, s->file)) > 0)
			if (EVP_DigestUpdate(md, c->buffer, n) != 1 ||
			    writer_data(c->writer, c->buffer, n) != 0)
				goto out;
		if (ferror(s->file)) {
			error_set_errno("reading back %s", path);
			goto out;
		}
	}
	if (writer_end(c->writer) == 0 && EVP_DigestFinal_ex(md, sha256, NULL) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}
