/* Old kernels: what custody falls back from, and a record of each fallback taken. */
#ifndef CUSTODY_COMPAT_H
#define CUSTODY_COMPAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifndef STATX_BASIC_STATS
/*
 * The C library declares no statx (musl before 1.2.5): the kernel's ABI,
 * as <linux/stat.h> gives it (256 bytes; that header is not included
 * because it redefines the S_IF* macros of <sys/stat.h>).
 */
struct statx_timestamp {
	int64_t		tv_sec;
	uint32_t	tv_nsec;
	int32_t		statx_reserved;
};
struct statx {
	uint32_t		stx_mask;
	uint32_t		stx_blksize;
	uint64_t		stx_attributes;
	uint32_t		stx_nlink;
	uint32_t		stx_uid;
	uint32_t		stx_gid;
	uint16_t		stx_mode;
	uint16_t		statx_spare0;
	uint64_t		stx_ino;
	uint64_t		stx_size;
	uint64_t		stx_blocks;
	uint64_t		stx_attributes_mask;
	struct statx_timestamp	stx_atime;
	struct statx_timestamp	stx_btime;
	struct statx_timestamp	stx_ctime;
	struct statx_timestamp	stx_mtime;
	uint32_t		stx_rdev_major;
	uint32_t		stx_rdev_minor;
	uint32_t		stx_dev_major;
	uint32_t		stx_dev_minor;
	uint64_t		stx_mnt_id;
	uint32_t		stx_dio_mem_align;
	uint32_t		stx_dio_offset_align;
	uint64_t		statx_spare3[12];
};
#define STATX_BASIC_STATS	0x07ffU
#define STATX_BTIME		0x0800U
#endif
#ifndef STATX_TYPE
#define STATX_TYPE		0x0001U
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID		0x1000U
#endif
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC	0x4000
#endif

/* Kernel features custody can do without (Linux 3.10 has none of them). */
enum compat_feature {
	COMPAT_O_TMPFILE,	/* unnamed files, Linux 3.11 */
	COMPAT_RENAMEAT2,	/* rename without replacing, Linux 3.15 */
	COMPAT_STATX,		/* statx and birth times, Linux 4.11 */
	COMPAT_FEATURES
};

/*
 * open(dir, flags | O_TMPFILE, mode): a descriptor, or -1 with errno. When
 * the kernel or file system has no unnamed files, errno is EOPNOTSUPP and
 * the fallback is noted.
 */
int compat_open_tmpfile(const char *dir, int flags, mode_t mode);
/*
 * Rename from to to unless to exists (renameat2 RENAME_NOREPLACE, called
 * by system call: not every C library declares it). Where the kernel or
 * file system lacks it, link(2) then unlink(2), which refuse to replace
 * too. 0, or -1 with errno.
 */
int compat_rename_noreplace(const char *from, const char *to);
/*
 * statx(2) called by system call (the C library's wrapper would emulate
 * it quietly). Where the kernel lacks it (ENOSYS), fstatat(2) fills the
 * fields it can, stx_mask says which (no STATX_BTIME, no STATX_MNT_ID),
 * and the fallback is noted. 0, or -1 with errno.
 */
int compat_statx(int dirfd, const char *path, int flags, unsigned int mask,
    struct statx *);
/*
 * lstat(2) that never waits on a file system nor fires an automount:
 * statx(2) with AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC
 * (network and FUSE file systems answer from what they hold, without
 * asking their server), name "" for dirfd itself. *mnt_id (may be NULL)
 * is the mount's id where the kernel tells it (STATX_MNT_ID, Linux 5.8),
 * else 0. Where the kernel has no statx, fstatat(2) with AT_NO_AUTOMOUNT,
 * which may wait. 0, or -1 with errno.
 */
int compat_lstat(int dirfd, const char *name, struct stat *, uint64_t *mnt_id);
/* The same, following a final link (a /proc magic link to an open file). */
int compat_stat(int dirfd, const char *name, struct stat *, uint64_t *mnt_id);
/*
 * Directory entries of an open directory, read straight into buf with
 * getdents64(2) (every Linux since 2.4; no DIR stream, so no dup, fstat
 * or fcntl per directory). Entries are struct compat_dirent records of
 * d_reclen bytes each. Bytes read (0 at the end), or -1 with errno.
 */
struct compat_dirent {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};
ssize_t compat_getdents(int fd, void *buf, size_t size);
/* True once custody has fallen back from the feature in this process. */
bool compat_missing(enum compat_feature);
/* What the fallback from a feature means, for the collection log. */
const char *compat_describe(enum compat_feature);

#endif
