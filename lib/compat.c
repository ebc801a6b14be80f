/* Old kernels: unnamed files and non-replacing renames, with fallbacks noted. */
#include "config.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "custody/compat.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static atomic_bool compat_fallback[COMPAT_FEATURES];

static const char *const compat_text[COMPAT_FEATURES] = {
	[COMPAT_O_TMPFILE] = "no unnamed files (O_TMPFILE, Linux 3.11): named temporary "
	    "files, removed when done, are used instead",
	[COMPAT_RENAMEAT2] = "no renameat2 (Linux 3.15): the output is linked into "
	    "place, then its temporary name removed",
};

/* Remember that the kernel lacked a feature. */
static void
compat_note(enum compat_feature f)
{
	atomic_store(&compat_fallback[f], true);
}

bool
compat_missing(enum compat_feature f)
{
	return f < COMPAT_FEATURES && atomic_load(&compat_fallback[f]);
}

const char *
compat_describe(enum compat_feature f)
{
	return f < COMPAT_FEATURES ? compat_text[f] : "unknown";
}

int
compat_open_tmpfile(const char *dir, int flags, mode_t mode)
{
	int fd = open(dir, flags | O_TMPFILE, mode);

	/*
	 * A kernel before 3.11 ignores the unknown bit and, O_TMPFILE holding
	 * O_DIRECTORY, refuses to open the directory for writing: EISDIR.
	 */
	if (fd < 0 && (errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL)) {
		compat_note(COMPAT_O_TMPFILE);
		errno = EOPNOTSUPP;
	}
	return fd;
}

int
compat_rename_noreplace(const char *from, const char *to)
{
	int saved;

#ifdef SYS_renameat2
	if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	/* ENOSYS: an old kernel; EINVAL: a file system without the flag. */
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
#endif
	compat_note(COMPAT_RENAMEAT2);
	if (link(from, to) != 0)
		return -1;
	saved = errno;
	unlink(from);
	errno = saved;
	return 0;
}

/* A struct statx from what fstatat gives. */
static void
compat_statx_from_stat(const struct stat *st, struct statx *stx)
{
	memset(stx, 0, sizeof *stx);
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = (unsigned int)st->st_blksize;
	stx->stx_nlink = (unsigned int)st->st_nlink;
	stx->stx_uid = st->st_uid;
	stx->stx_gid = st->st_gid;
	stx->stx_mode = (unsigned short)st->st_mode;
	stx->stx_ino = st->st_ino;
	stx->stx_size = (unsigned long long)st->st_size;
	stx->stx_blocks = (unsigned long long)st->st_blocks;
	stx->stx_atime.tv_sec = st->st_atim.tv_sec;
	stx->stx_atime.tv_nsec = (unsigned int)st->st_atim.tv_nsec;
	stx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	stx->stx_mtime.tv_nsec = (unsigned int)st->st_mtim.tv_nsec;
	stx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	stx->stx_ctime.tv_nsec = (unsigned int)st->st_ctim.tv_nsec;
	stx->stx_rdev_major = major(st->st_rdev);
	stx->stx_rdev_minor = minor(st->st_rdev);
	stx->stx_dev_major = major(st->st_dev);
	stx->stx_dev_minor = minor(st->st_dev);
}

int
compat_statx(int dirfd, const char *path, int flags, unsigned int mask,
    struct statx *stx)
{
	struct stat st;

#ifdef SYS_statx
	if (!compat_missing(COMPAT_STATX)) {
		if (syscall(SYS_statx, dirfd, path, flags, mask, stx) == 0)
			return 0;
		if (errno != ENOSYS)
			return -1;
		compat_note(COMPAT_STATX);
	}
#else
	(void)mask;
	compat_note(COMPAT_STATX);
#endif
	if (fstatat(dirfd, path, &st, flags & (AT_SYMLINK_NOFOLLOW |
	    AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) != 0)
		return -1;
	compat_statx_from_stat(&st, stx);
	return 0;
}

/* A struct stat from what statx gives. */
static void
compat_stat_from_statx(const struct statx *stx, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	st->st_ino = (ino_t)stx->stx_ino;
	st->st_mode = stx->stx_mode;
	st->st_nlink = stx->stx_nlink;
	st->st_uid = stx->stx_uid;
	st->st_gid = stx->stx_gid;
	st->st_rdev = makedev(stx->stx_rdev_major, stx->stx_rdev_minor);
	st->st_size = (off_t)stx->stx_size;
	st->st_blksize = (blksize_t)stx->stx_blksize;
	st->st_blocks = (blkcnt_t)stx->stx_blocks;
	st->st_atim.tv_sec = (time_t)stx->stx_atime.tv_sec;
	st->st_atim.tv_nsec = (long)stx->stx_atime.tv_nsec;
	st->st_mtim.tv_sec = (time_t)stx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = (long)stx->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = (time_t)stx->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = (long)stx->stx_ctime.tv_nsec;
}

/* statx without waiting or automounting, as a struct stat and a mount id. */
static int
compat_stat_nowait(int dirfd, const char *name, int flags, struct stat *st,
    uint64_t *mnt_id)
{
	struct statx stx;

	flags |= AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC;
	if (name[0] == '\0')
		flags |= AT_EMPTY_PATH;
	if (compat_statx(dirfd, name, flags, STATX_BASIC_STATS | STATX_MNT_ID,
	    &stx) != 0)
		return -1;
	compat_stat_from_statx(&stx, st);
	if (mnt_id != NULL)
		*mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
	return 0;
}

/* Directory entries straight from the kernel. */
ssize_t
compat_getdents(int fd, void *buf, size_t size)
{
	long n;

	do
		n = syscall(SYS_getdents64, fd, buf, size);
	while (n < 0 && errno == EINTR);
	return (ssize_t)n;
}

int
compat_lstat(int dirfd, const char *name, struct stat *st, uint64_t *mnt_id)
{
	return compat_stat_nowait(dirfd, name, AT_SYMLINK_NOFOLLOW, st, mnt_id);
}

int
compat_stat(int dirfd, const char *name, struct stat *st, uint64_t *mnt_id)
{
	return compat_stat_nowait(dirfd, name, 0, st, mnt_id);
}

/* The kernel writes a whole struct statx: ours must be its 256 bytes. */
_Static_assert(sizeof(struct statx) == 256, "struct statx is the kernel's");
