/* Reading link targets, and whether their access time stays as it is. */
#include "config.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"

#ifndef ST_NOATIME
#define ST_NOATIME	1024
#endif
#ifndef ST_RELATIME
#define ST_RELATIME	4096
#endif

/* The policy of the mount dirfd is on, from its flags. */
enum atime_policy
atime_policy_of(int dirfd)
{
	struct statvfs sv;

	if (fstatvfs(dirfd, &sv) != 0)
		return ATIME_ALWAYS;
	if (sv.f_flag & (ST_RDONLY | ST_NOATIME))
		return ATIME_NEVER;
	if (sv.f_flag & ST_RELATIME)
		return ATIME_RELATIME;
	return ATIME_ALWAYS;
}

/* True when a is strictly after b. */
static bool
atime_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* True when reading a link leaves its atime alone. */
bool
atime_link_spared(enum atime_policy policy, const struct timespec *atime,
    const struct timespec *mtime, const struct timespec *ctime, int64_t now)
{
	if (policy == ATIME_NEVER)
		return true;
	if (policy == ATIME_ALWAYS)
		return false;
	return atime_after(atime, mtime) && atime_after(atime, ctime) &&
	    now - (int64_t)atime->tv_sec < 23 * 3600;
}

/*
 * Read a link's target below an open directory: 0 atime spared, 1 not
 * (then, with only_spared, the target is not read).
 */
static int
atime_readlink_at(int dirfd, const char *name, char *buf, size_t size,
    size_t *len, bool only_spared)
{
	struct timespec now;
	struct stat st;
	ssize_t n;
	bool spared;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	if (!S_ISLNK(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	spared = atime_link_spared(atime_policy_of(dirfd), &st.st_atim,
	    &st.st_mtim, &st.st_ctim, (int64_t)now.tv_sec);
	if (!spared && only_spared)
		return 1;
	if ((n = readlinkat(dirfd, name, buf, size - 1)) < 0)
		return -1;
	buf[n] = '\0';
	*len = (size_t)n;
	return spared ? 0 : 1;
}

/* Read a link's target (a name, or a path split at its last slash). */
int
atime_readlink(int dirfd, const char *name, char *buf, size_t size,
    size_t *len)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(name, '/');
	int fd, rc, saved;

	*len = 0;
	if (size == 0 || (slash != NULL && slash[1] == '\0')) {
		errno = EINVAL;
		return -1;
	}
	if (slash == NULL && dirfd != AT_FDCWD)
		return atime_readlink_at(dirfd, name, buf, size, len, false);
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == name)
		snprintf(dir, sizeof dir, "/");
	else if ((size_t)(slash - name) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	} else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - name), name);
	if ((fd = openat(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = atime_readlink_at(fd, slash != NULL ? slash + 1 : name, buf, size,
	    len, false);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
atime_readlink_spared(int dirfd, const char *name, char *buf, size_t size,
    size_t *len)
{
	*len = 0;
	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	return atime_readlink_at(dirfd, name, buf, size, len, true);
}
