/*
 * Reading a symbolic link's target and its access time: readlink(2)
 * updates a link's atime as read(2) does a file's, and no flag spares it.
 * The rule of when the kernel leaves it alone is one place: the timeline
 * reads a target only then; the path walk, the locators and the host
 * facts, for which the target is the content, read it always and record
 * whether the atime may have changed (the atime they record is the one
 * from before).
 */
#ifndef CUSTODY_ATIME_H
#define CUSTODY_ATIME_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* When a mount updates the atime of what is read on it. */
enum atime_policy {
	ATIME_NEVER,		/* read-only or noatime: never */
	ATIME_RELATIME,		/* when atime <= mtime or ctime, or a day old */
	ATIME_ALWAYS		/* strictatime */
};

/* The policy of the mount dirfd is on (ATIME_ALWAYS when unknown). */
enum atime_policy atime_policy_of(int dirfd);
/*
 * True when reading a link with these times under policy leaves its atime
 * alone: always on ATIME_NEVER, never on ATIME_ALWAYS; on ATIME_RELATIME
 * when the atime is after both mtime and ctime and less than 23 hours
 * before now (the kernel's day, with an hour to spare for clocks).
 */
bool atime_link_spared(enum atime_policy, const struct timespec *atime,
    const struct timespec *mtime, const struct timespec *ctime, int64_t now);
/*
 * Read the target of the link name below dirfd (a path with slashes is
 * split: its directory is looked up, following links, as readlink would),
 * NUL-terminated in buf (*len its bytes, cut at size - 1). 0 when the
 * rule above spared the link's atime, 1 when the read may have updated
 * it, -1 with errno (EINVAL: not a link).
 */
int atime_readlink(int dirfd, const char *name, char *buf, size_t size,
    size_t *len);

/*
 * The same for a name (no slash) below an open directory, reading the
 * target only where the rule spares the atime: 0 read, 1 not read, -1.
 */
int atime_readlink_spared(int dirfd, const char *name, char *buf, size_t size,
    size_t *len);

#endif
