/* Which files a path entry keeps (keep:), what it hashes only, and the counts of what it skips. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/profile.h"
#include "collector.h"

#define SELECT_TAR_MAGIC	257	/* offset of "ustar" in a tar header */

/* One signature of the archive class: bytes at an offset. */
struct select_magic {
	size_t		 offset;
	size_t		 len;
	const char	*bytes;
};

static const struct select_magic select_archives[] = {
	{ 0, 2, "\x1f\x8b" },				/* gzip */
	{ 0, 6, "\xfd" "7zXZ\0" },			/* xz */
	{ 0, 4, "\x28\xb5\x2f\xfd" },			/* zstd */
	{ 0, 3, "BZh" },				/* bzip2 */
	{ 0, 4, "PK\x03\x04" },				/* zip */
	{ 0, 4, "PK\x05\x06" },				/* zip, empty */
	{ 0, 6, "7z\xbc\xaf\x27\x1c" },			/* 7z */
	{ 0, 6, "Rar!\x1a\x07" },			/* rar 1.5 to 5 */
	{ SELECT_TAR_MAGIC, 5, "ustar" },		/* tar: POSIX and GNU */
	{ 0, 6, "070707" },				/* cpio: odc */
	{ 0, 6, "070701" },				/* cpio: newc */
	{ 0, 6, "070702" },				/* cpio: newc with checksums */
	{ 0, 2, "\xc7\x71" },				/* cpio: binary, little-endian */
	{ 0, 2, "\x71\xc7" },				/* cpio: binary, big-endian */
};

/* True when the first bytes carry one signature. */
static bool
select_magic_at(const unsigned char *data, size_t len,
    const struct select_magic *m)
{
	return len >= m->offset + m->len &&
	    memcmp(data + m->offset, m->bytes, m->len) == 0;
}

/* True when the first bytes are those of an archive or a compressed file. */
static bool
select_is_archive(const unsigned char *data, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof select_archives / sizeof select_archives[0]; i++)
		if (select_magic_at(data, len, &select_archives[i]))
			return true;
	return false;
}

/* True when a file of these first bytes and this mode is of a class. */
static bool
select_is(enum profile_class class, const unsigned char *data, size_t len,
    mode_t mode)
{
	switch (class) {
	case PROFILE_CLASS_SCRIPT:
		return len >= 2 && data[0] == '#' && data[1] == '!';
	case PROFILE_CLASS_ELF:
		return len >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0;
	case PROFILE_CLASS_ARCHIVE:
		return select_is_archive(data, len);
	case PROFILE_CLASS_EXECUTABLE:
		return S_ISREG(mode) && (mode & 0111) != 0;
	default:
		return false;
	}
}

/* The first class of keep (in the order of enum profile_class) a file is of, or -1. */
int
select_class(unsigned keep, const unsigned char *data, size_t len, mode_t mode)
{
	int class;

	for (class = 0; class < PROFILE_CLASS_COUNT; class++)
		if ((keep & PROFILE_CLASS_MASK(class)) &&
		    select_is((enum profile_class)class, data, len, mode))
			return class;
	return -1;
}

/* True when keep asks for a class told by the first bytes, not the mode alone. */
bool
select_needs_bytes(unsigned keep)
{
	return (keep & ~PROFILE_CLASS_MASK(PROFILE_CLASS_EXECUTABLE)) != 0;
}

/* Read the first bytes of an open file without moving its offset; the count, or -1. */
ssize_t
select_first_bytes(int fd, unsigned char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Digest an open file from its start, up to limit bytes (-1: all). 0, or -1 when a digest failed. */
int
select_hash(int fd, struct hash_set *hashes, unsigned char *buf, size_t size,
    int64_t limit, struct select_read *out)
{
	size_t want;
	ssize_t n;

	memset(out, 0, sizeof *out);
	for (;;) {
		want = size;
		if (limit >= 0 && (uint64_t)(limit - out->size) < want)
			want = (size_t)(limit - out->size);
		if (want == 0) {
			/* At the limit: one byte more says whether there was more. */
			n = read(fd, buf, 1);
			out->truncated = n > 0;
			return 0;
		}
		do
			n = read(fd, buf, want);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			out->read_errno = errno;
			return 0;
		}
		if (n == 0)
			return 0;
		if (hash_set_update(hashes, buf, (size_t)n) != 0)
			return -1;
		out->size += n;
	}
}

/* Start counting the files skipped in a directory about to be walked. 0 or -1. */
int
select_enter(struct select_summary *s)
{
	struct select_level *grown;
	size_t capacity;

	if (s->depth == s->capacity) {
		capacity = s->capacity != 0 ? s->capacity * 2 : 16;
		grown = reallocarray(s->levels, capacity, sizeof *grown);
		if (grown == NULL)
			return error_set_errno("reallocarray");
		s->levels = grown;
		s->capacity = capacity;
	}
	memset(&s->levels[s->depth++], 0, sizeof *s->levels);
	return 0;
}

/* Count a skipped file in the directory being walked; false when none is. */
bool
select_count(struct select_summary *s, int64_t bytes)
{
	struct select_level *level;

	if (s->depth == 0)
		return false;
	level = &s->levels[s->depth - 1];
	level->files++;
	level->bytes += bytes > 0 ? (uint64_t)bytes : 0;
	return true;
}

/* Stop counting for the directory walked last; its counts into *out. */
void
select_leave(struct select_summary *s, struct select_level *out)
{
	memset(out, 0, sizeof *out);
	if (s->depth > 0)
		*out = s->levels[--s->depth];
}

/* Release the counters. */
void
select_summary_free(struct select_summary *s)
{
	free(s->levels);
	memset(s, 0, sizeof *s);
}
