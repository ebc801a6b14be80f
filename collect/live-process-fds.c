/* Every open descriptor of a process: /proc/PID/fd targets and fdinfo. */
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

#include "custody/compat.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* O_LARGEFILE as the kernel reports it (the C library may define it as 0). */
#if defined(__aarch64__) || defined(__arm__)
#define LIVE_O_LARGEFILE	0400000
#else
#define LIVE_O_LARGEFILE	0100000
#endif

/* The open flags fdinfo shows, one bit each (O_SYNC and O_TMPFILE by their own bit). */
static const struct live_flag live_open_flags[] = {
	{ O_APPEND, "O_APPEND" },
	{ O_NONBLOCK, "O_NONBLOCK" },
	{ O_DSYNC, "O_DSYNC" },
	{ O_ASYNC, "O_ASYNC" },
	{ O_DIRECT, "O_DIRECT" },
	{ LIVE_O_LARGEFILE, "O_LARGEFILE" },
	{ O_DIRECTORY, "O_DIRECTORY" },
	{ O_NOFOLLOW, "O_NOFOLLOW" },
	{ O_NOATIME, "O_NOATIME" },
	{ O_CLOEXEC, "O_CLOEXEC" },
	{ O_SYNC & ~O_DSYNC, "O_SYNC" },
	{ O_PATH, "O_PATH" },
#ifdef O_TMPFILE
	{ O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE" },
#endif
	{ O_CREAT, "O_CREAT" },
	{ O_EXCL, "O_EXCL" },
	{ O_NOCTTY, "O_NOCTTY" },
	{ O_TRUNC, "O_TRUNC" },
};
#define LIVE_OPEN_FLAGS	(sizeof live_open_flags / sizeof live_open_flags[0])

/* Whether a link target ends " (deleted)"; *len then excludes the suffix. */
bool
live_deleted_strip(const char *target, size_t *len)
{
	static const char deleted[] = " (deleted)";
	size_t suffix = sizeof deleted - 1;

	if (*len < suffix || memcmp(target + *len - suffix, deleted, suffix) != 0)
		return false;
	*len -= suffix;
	return true;
}

/* The open flags as names: the access mode first, then each bit set. */
static json_t *
live_open_flag_names(unsigned long long flags, unsigned long long *unknown)
{
	static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR",
	    "O_ACCMODE" };
	json_t *names = live_flag_names(flags, live_open_flags, LIVE_OPEN_FLAGS);
	size_t i;

	json_array_insert_new(names, 0, json_string(modes[flags & O_ACCMODE]));
	*unknown = flags & ~(unsigned long long)O_ACCMODE;
	for (i = 0; i < LIVE_OPEN_FLAGS; i++)
		*unknown &= ~live_open_flags[i].bit;
	return names;
}

/* Set one "key: value" line of fdinfo that we record; others are ignored. */
static void
live_fdinfo_line(json_t *fd, const char *line)
{
	unsigned long long value, unknown;
	char text[32];

	if (sscanf(line, "pos: %llu", &value) == 1)
		json_object_set_new(fd, "pos", json_integer((json_int_t)value));
	else if (sscanf(line, "mnt_id: %llu", &value) == 1)
		json_object_set_new(fd, "mnt_id", json_integer((json_int_t)value));
	else if (sscanf(line, "ino: %llu", &value) == 1)
		json_object_set_new(fd, "ino", json_integer((json_int_t)value));
	else if (sscanf(line, "flags: %llo", &value) == 1) {
		snprintf(text, sizeof text, "0%llo", value);
		json_object_set_new(fd, "flags", json_string(text));
		json_object_set_new(fd, "flag_names",
		    live_open_flag_names(value, &unknown));
		if (unknown != 0) {
			snprintf(text, sizeof text, "0%llo", unknown);
			json_object_set_new(fd, "flags_unknown", json_string(text));
		}
	}
}

/* Add the fields of /proc/PID/fdinfo/N, or why it could not be read. */
static void
live_fdinfo(json_t *fd, int piddir, const char *name)
{
	char path[64], *cursor, *line;
	struct live_file f;

	snprintf(path, sizeof path, "fdinfo/%s", name);
	if (live_read(piddir, path, LIVE_PROC_MAX, &f) != 0) {
		live_set_errno(fd, "fdinfo_error", errno);
		return;
	}
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		live_fdinfo_line(fd, line);
	free(f.data);
}

/* The kind of a descriptor's target, from the shape of the link. */
static const char *
live_fd_kind(const char *target, size_t len)
{
	if (len > 0 && target[0] == '/')
		return "path";
	if (len >= 8 && memcmp(target, "socket:[", 8) == 0)
		return "socket";
	if (len >= 6 && memcmp(target, "pipe:[", 6) == 0)
		return "pipe";
	if (len >= 11 && memcmp(target, "anon_inode:", 11) == 0)
		return "anon_inode";
	return "other";
}

/*
 * Whether a path descriptor's file was deleted, as the kernel's " (deleted)"
 * says, unless the file is really named so: then that name still leads to
 * the same inode. *len then excludes the suffix.
 */
static bool
live_fd_deleted(int fddir, const char *name, const char *target, size_t *len)
{
	struct stat held, named;
	size_t stripped = *len;

	if (!live_deleted_strip(target, &stripped))
		return false;
	/*
	 * Neither stat waits on a dead FUSE or NFS server; a file with no
	 * link left is deleted without looking its old name up at all.
	 */
	if (compat_stat(fddir, name, &held, NULL) == 0 && held.st_nlink > 0 &&
	    compat_lstat(AT_FDCWD, target, &named, NULL) == 0 &&
	    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
		return false;
	*len = stripped;
	return true;
}

/* One descriptor as an object; NULL when it was closed while we looked. */
static json_t *
live_fd(int piddir, int fddir, const char *name, unsigned long long fdnum,
    struct live_inodes *s)
{
	char target[PATH_MAX + 1];
	const char *kind;
	json_t *fd;
	size_t len;
	ssize_t n;


	/* Unreadable links are counted, not listed: EACCES repeats for each. */
	if ((n = readlinkat(fddir, name, target, sizeof target - 1)) < 0) {
		if (errno != ENOENT && s->unreadable++ == 0)
			s->link_error = errno;
		return NULL;
	}
	fd = json_object();
	json_object_set_new(fd, "fd", json_integer((json_int_t)fdnum));
	len = (size_t)n;
	target[len] = '\0';
	kind = live_fd_kind(target, len);
	json_object_set_new(fd, "kind", json_string(kind));
	if (strcmp(kind, "path") == 0 && live_fd_deleted(fddir, name, target, &len))
		json_object_set_new(fd, "deleted", json_true());
	live_set_bytes(fd, "target", target, len);
	live_fdinfo(fd, piddir, name);
	return fd;
}

/* The socket inode of a descriptor object, or 0. */
static unsigned long long
live_fd_socket(json_t *fd)
{
	const char *target = json_string_value(json_object_get(fd, "target"));
	unsigned long long inode;
	char *end;

	if (target == NULL || strncmp(target, "socket:[", 8) != 0)
		return 0;
	errno = 0;
	inode = strtoull(target + 8, &end, 10);
	return errno == 0 && end[0] == ']' && end[1] == '\0' ? inode : 0;
}

/* Note a descriptor's socket among the process's sockets. -1 when out of memory. */
static int
live_fd_note_socket(struct live_inodes *s, json_t *fd)
{
	unsigned long long inode = live_fd_socket(fd), *grown;

	if (inode == 0)
		return 0;
	if ((grown = live_grow(s->v, &s->size, s->n, sizeof *s->v)) == NULL)
		return -1;
	s->v = grown;
	s->v[s->n++] = inode;
	return 0;
}

/* Walk an open fd directory into list and s; the count of descriptors seen. */
static size_t
live_fds_scan(DIR *dir, int piddir, json_t *list, struct live_inodes *s,
    size_t *budget)
{
	unsigned long long fdnum;
	struct dirent *de;
	size_t seen = 0;
	json_t *fd;

	while ((de = readdir(dir)) != NULL) {
		if (!live_decimal(de->d_name, &fdnum))
			continue;
		if (++seen > LIVE_FD_LIST_MAX || *budget == 0) {
			s->truncated = true;
			continue;
		}
		(*budget)--;
		fd = live_fd(piddir, dirfd(dir), de->d_name, fdnum, s);
		if (fd == NULL)
			continue;
		if (live_fd_note_socket(s, fd) != 0)
			s->truncated = true;
		json_array_append_new(list, fd);
	}
	return seen;
}

/* The sockets of a process as a sorted array of inodes. */
static json_t *
live_fds_sockets(struct live_inodes *s)
{
	json_t *list = json_array();
	size_t i;

	live_inodes_unique(s);
	for (i = 0; i < s->n; i++)
		json_array_append_new(list, json_integer((json_int_t)s->v[i]));
	return list;
}

/* Add "fds" (every descriptor, with its fdinfo) and "sockets" to a process. */
void
live_process_fds(json_t *p, int piddir, size_t *budget)
{
	struct live_inodes s;
	json_t *list;
	size_t seen;
	DIR *dir;
	int fd;

	memset(&s, 0, sizeof s);
	fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		json_object_set_new(p, "fds", json_null());
		json_object_set_new(p, "sockets", json_null());
		live_set_errno(p, "fd_error", errno);
		if (fd >= 0)
			close(fd);
		return;
	}
	list = json_array();
	seen = live_fds_scan(dir, piddir, list, &s, budget);
	closedir(dir);
	json_object_set_new(p, "fd_count", json_integer((json_int_t)seen));
	json_object_set_new(p, "fds", list);
	json_object_set_new(p, "sockets", live_fds_sockets(&s));
	if (s.unreadable > 0) {
		live_set_errno(p, "fd_error", s.link_error);
		json_object_set_new(p, "fds_unreadable",
		    json_integer((json_int_t)s.unreadable));
	}
	if (s.truncated)
		json_object_set_new(p, "fd_truncated", json_true());
	free(s.v);
}
