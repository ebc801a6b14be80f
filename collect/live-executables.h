/*
 * The executables source, shared by its two files: the binaries processes
 * run (live-executables.c) and the deleted files they hold open
 * (live-executables-held.c). Each inode is read once, whoever shows it.
 */
#ifndef CUSTODY_LIVE_EXECUTABLES_H
#define CUSTODY_LIVE_EXECUTABLES_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "live.h"

#define LIVE_EXEC_CONTENT_MAX	((int64_t)256 << 20)	/* one member, by default */
#define LIVE_EXEC_TOTAL_FACTOR	4		/* total content: this many members' cap */
#define LIVE_EXEC_HASH_MAX	((int64_t)1 << 30)	/* binaries hashed whole up to this */
#define LIVE_EXEC_INODES_MAX	((size_t)65536)	/* distinct inodes recorded */

/* One inode already recorded, and its record. */
struct live_inode_seen {
	dev_t		 dev;
	ino_t		 ino;
	json_t		*record;
};

/* What one collection of the source has seen and spent. */
struct live_exec {
	struct live_run		*run;
	struct live_inode_seen	*seen;
	size_t			 n, size;
	int64_t			 cap;		/* one content member */
	int64_t			 total_cap;	/* all content members */
	int64_t			 total;		/* archived so far */
	bool			 total_reached;
	bool			 truncated;	/* an inode was left out: table full */
	size_t			 no_binary;	/* kernel threads and zombies */
	json_t			*executables, *held, *unreadable, *vanished;
	unsigned char		*buffer;
};

/* The record of an inode seen before, or NULL. */
json_t *live_exec_find(const struct live_exec *, const struct stat *);
/* Remember an inode's record (borrowed). -1 when the table is full or out of memory. */
int live_exec_remember(struct live_exec *, const struct stat *, json_t *record);
/* Open a /proc magic link (exe, fd/N) to its regular file: the fd, or -1 with errno. */
int live_exec_open(struct live_exec *, int dirfd, const char *name, struct stat *);
/* Add the inode's metadata (dev, inode, size, mode, uid, gid, mtime) to a record. */
void live_exec_metadata(json_t *record, const struct stat *);
/*
 * Archive an open file's content as live/executables/MEMBER within the
 * caps, as "content" of record. 0, or -1 when the archive failed (fatal).
 */
int live_exec_content(struct live_exec *, json_t *record, int fd,
    const struct stat *, const char *member, const char *source);
/* Record a "content" skipped for a reason. */
void live_exec_not_archived(json_t *record, const char *reason);
/* Note that a process could not be read: what and why. */
void live_exec_unreadable(struct live_exec *, pid_t, int piddir,
    const char *what, int error_number);
/* Record the deleted files a process holds open. 0, or -1 when fatal. */
int live_exec_held(struct live_exec *, pid_t, int piddir);

#endif
