/* One streaming pass over an archive: every member to a visitor, nothing to disk. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "custody/error.h"
#include "reader.h"

#define READER_BLOCK (1024 * 1024)

/* Open the archive with every filter and the tar formats. */
static struct archive *
reader_open(const char *path)
{
	struct archive *a = archive_read_new();
	int rc;

	if (a == NULL) {
		error_set("cannot allocate the archive reader");
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (strcmp(path, "-") == 0)
		rc = archive_read_open_fd(a, STDIN_FILENO, READER_BLOCK);
	else
		rc = archive_read_open_filename(a, path, READER_BLOCK);
	if (rc != ARCHIVE_OK) {
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
reader_run(const char *path, const struct reader_visitor *v, void *arg)
{
	struct archive *a = reader_open(path);
	struct archive_entry *entry;
	struct reader_member m;
	uint64_t members = 0;
	int rc = 0, next;

	if (a == NULL)
		return -1;
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
	archive_read_free(a);
	/* Past the first member it is an archive, but a damaged one. */
	return rc == -1 && members > 0 ? READER_DAMAGED : rc;
}
