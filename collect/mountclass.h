/*
 * What kind of filesystem each mount is, from /proc/self/mountinfo: the
 * one classification the walks, the locators and the timeline share, and
 * the table of mounts read once per collection that tells, from a stat,
 * when a walk is about to step onto a network, FUSE or automount mount.
 */
#ifndef CUSTODY_MOUNTCLASS_H
#define CUSTODY_MOUNTCLASS_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOUNTCLASS_MOUNTS_MAX	((size_t)65536)
#define MOUNTCLASS_REREADS_MAX	16	/* re-reads for mounts made since, per collection */

/* Kinds of filesystem, by type name. */
enum mountclass_kind {
	MOUNTCLASS_LOCAL,	/* stored files, walked */
	MOUNTCLASS_PSEUDO,	/* kernel state: proc, sysfs... */
	MOUNTCLASS_AUTOMOUNT,	/* autofs: a lookup below mounts something */
	MOUNTCLASS_NETWORK,	/* another host's files */
	MOUNTCLASS_FUSE,	/* served by a process, which may never answer */
	MOUNTCLASS_IMAGE	/* read-only images: squashfs, erofs */
};

/* The kind of a filesystem type ("nfs4", "fuse.sshfs", "ext4"). */
enum mountclass_kind mountclass_kind(const char *fstype);
/* True for the kinds no walk enters unless the user names a path there. */
bool mountclass_remote(enum mountclass_kind);

/* One line of mountinfo, split in place; the strings point into the line. */
struct mountclass_line {
	uint64_t	 id;
	uint64_t	 parent;
	dev_t		 dev;
	char		*fsroot;	/* unescaped */
	char		*point;		/* unescaped */
	size_t		 point_len;
	char		*options;	/* the mount's */
	char		*fstype;	/* unescaped */
	char		*source;	/* unescaped */
	char		*super;		/* the superblock's options, or NULL */
};

/* Split a line of /proc/self/mountinfo (changed in place). 0, or -1 when malformed. */
int mountclass_parse(char *line, struct mountclass_line *);

/* A mount a walk must not step onto. */
struct mountclass_mount {
	uint64_t		 id;
	uint64_t		 parent;
	dev_t			 dev;
	enum mountclass_kind	 kind;
	char			*fstype;
};

/* The mounts of the collection, read once (and again for mounts made since). */
struct mountclass_table {
	struct mountclass_mount	*v;
	size_t			 n;
	bool			 loaded;	/* mountinfo was read */
	bool			 truncated;	/* past MOUNTCLASS_MOUNTS_MAX */
	unsigned		 rereads;
	void			*reported;	/* paths recorded as not read (pathset) */
};

/* Where an object lies: its device and, where the kernel tells it, its mount. */
struct mountclass_place {
	dev_t		 dev;
	uint64_t	 mnt_id;	/* 0: unknown */
};

/* Read /proc/self/mountinfo into an empty table. 0 or -1 (error_set). */
int mountclass_table_read(struct mountclass_table *);
void mountclass_table_free(struct mountclass_table *);
/*
 * The network, FUSE or automount mount that to lies on when a walk at
 * from steps to it and it is another mount, or NULL (the same mount, a
 * local one, or one the table does not know even when read again).
 */
const struct mountclass_mount *mountclass_crossing(struct mountclass_table *,
    const struct mountclass_place *from, const struct mountclass_place *to);
/*
 * True when network, FUSE or automount mounts sit on the mount of place:
 * a walk there cannot take a listed regular file's word for its type
 * (a file can be mounted on a file).
 */
bool mountclass_holds_remote(const struct mountclass_table *,
    const struct mountclass_place *);
/*
 * The network, FUSE or automount mount a place lies on, as the table read
 * so far knows it, or NULL (local, or unknown: another namespace's).
 */
const struct mountclass_mount *mountclass_remote_at(const struct mountclass_table *,
    const struct mountclass_place *);
/* The manifest's reason for a mount not read, into out. */
void mountclass_reason(const struct mountclass_mount *, char *out, size_t size);

#endif
