/*
 * The deleted files processes hold open, for the executables source: a
 * descriptor whose link ends " (deleted)" and whose inode has no name left
 * (st_nlink 0) has its content archived, once per inode, within the caps.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"
#include "live-executables.h"

/* Add one holder (pid, fd) to a record's "holders". */
static void
live_held_add_holder(json_t *record, pid_t pid, const char *fd)
{
	json_t *holders = json_object_get(record, "holders"), *h;
	unsigned long long number;

	if (holders == NULL) {
		holders = json_array();
		json_object_set_new(record, "holders", holders);
	}
	h = json_object();
	json_object_set_new(h, "pid", json_integer(pid));
	if (live_decimal(fd, &number))
		json_object_set_new(h, "fd", json_integer((json_int_t)number));
	json_array_append_new(holders, h);
}

/* A new held file: record it and archive its content. 0, or -1 when fatal. */
static int
live_held_new(struct live_exec *x, pid_t pid, const char *fd_name, int fd,
    const struct stat *st, const char *target, size_t len)
{
	char member[64], source[64];
	json_t *record = json_object();

	live_set_bytes(record, "path", target, len);
	json_object_set_new(record, "memfd",
	    json_boolean(len >= 7 && memcmp(target, "/memfd:", 7) == 0));
	live_exec_metadata(record, st);
	live_held_add_holder(record, pid, fd_name);
	json_array_append_new(x->held, record);
	if (live_exec_remember(x, st, record) != 0) {
		live_exec_not_archived(record, "too many distinct inodes");
		return 0;
	}
	snprintf(member, sizeof member, "fd-%d-%s", (int)pid, fd_name);
	snprintf(source, sizeof source, "/proc/%d/fd/%s", (int)pid, fd_name);
	return live_exec_content(x, record, fd, st, member, source);
}

/* One descriptor: a deleted regular file is recorded. 0, or -1 when fatal. */
static int
live_held_fd(struct live_exec *x, pid_t pid, int piddir, int fddir,
    const char *name)
{
	char target[PATH_MAX + 1], what[64];
	struct stat st;
	json_t *record;
	size_t len;
	ssize_t n;
	int fd, rc;

	if ((n = readlinkat(fddir, name, target, sizeof target - 1)) <= 0 ||
	    target[0] != '/')
		return 0;
	len = (size_t)n;
	if (!live_deleted_strip(target, &len))
		return 0;
	if ((fd = live_exec_open(x, fddir, name, &st)) < 0) {
		/* Closed meanwhile, or not a regular file: nothing to keep. */
		if (errno != ENOENT && errno != EINVAL) {
			snprintf(what, sizeof what, "fd/%s", name);
			live_exec_unreadable(x, pid, piddir, what, errno);
		}
		return 0;
	}
	/* A name that merely ends " (deleted)" still has its links. */
	if (st.st_nlink != 0) {
		close(fd);
		return 0;
	}
	if ((record = live_exec_find(x, &st)) != NULL) {
		live_held_add_holder(record, pid, name);
		close(fd);
		return 0;
	}
	rc = live_held_new(x, pid, name, fd, &st, target, len);
	close(fd);
	return rc;
}

/* Record the deleted files a process holds open. 0, or -1 when fatal. */
int
live_exec_held(struct live_exec *x, pid_t pid, int piddir)
{
	struct dirent *de;
	size_t seen = 0;
	DIR *dir;
	int fd, rc = 0;

	fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (errno != ENOENT)
			live_exec_unreadable(x, pid, piddir, "fd", errno);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (++seen > LIVE_FDS_MAX) {
			x->truncated = true;
			break;
		}
		rc = live_held_fd(x, pid, piddir, dirfd(dir), de->d_name);
	}
	closedir(dir);
	return rc;
}
