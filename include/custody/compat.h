/* Old kernels: what custody falls back from, and a record of each fallback taken. */
#ifndef CUSTODY_COMPAT_H
#define CUSTODY_COMPAT_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

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
/* True once custody has fallen back from the feature in this process. */
bool compat_missing(enum compat_feature);
/* What the fallback from a feature means, for the collection log. */
const char *compat_describe(enum compat_feature);

#endif
