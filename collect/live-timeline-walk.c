/*
 * The walk of one mount for the timeline: every entry statx'd (never
 * opened, so no atime changes), directories opened O_NOATIME and never
 * followed through a link, and never a step into another mount.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/compat.h"
#include "custody/error.h"

#include "live.h"
#include "live-timeline.h"

/* One open directory of the walk, and the length of its name. */
struct timeline_frame {
	DIR	*dir;
	size_t	 len;
};

/* The statx of an open file (name ""), or of a name below dirfd. */
int
timeline_stat(int dirfd, const char *name, struct statx *x)
{
	int flags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC;

	if (name[0] == '\0')
		flags |= AT_EMPTY_PATH;
	return compat_statx(dirfd, name, flags,
	    STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID, x);
}

/* Note a problem with a name and an errno value. */
void
timeline_problem(struct timeline_problems *p, const char *name, size_t len,
    int error_number)
{
	json_t *o;

	if (p->count++ >= TIMELINE_PROBLEMS_MAX)
		return;
	o = json_object();
	if (o == NULL)
		return;
	if (json_object_set_new(o, "name", live_string(name, len)) != 0 ||
	    json_object_set_new(o, "error",
	    json_string(strerror(error_number))) != 0 ||
	    json_array_append_new(p->list, o) != 0)
		return;
}

/* True when x lies on another mount than the walk's. */
static bool
timeline_other_mount(const struct timeline_walk *w, const struct statx *x)
{
	if (w->have_mount_id && (x->stx_mask & STATX_MNT_ID))
		return x->stx_mnt_id != w->mount_id;
	return makedev(x->stx_dev_major, x->stx_dev_minor) != w->dev;
}

/* A failure to read a name: vanished, or unreadable with the reason. */
static void
timeline_failed(struct timeline_walk *w, const char *path, size_t len,
    int error_number)
{
	if (error_number == ENOENT || error_number == ENOTDIR ||
	    error_number == ELOOP) {
		w->vanished++;
		return;
	}
	w->unreadable++;
	timeline_problem(w->problems, path, len, error_number);
}

/* True when the kernel would not touch a link's atime to read it. */
static bool
timeline_target_readable(const struct timeline_walk *w, const struct statx *x)
{
	struct timespec a = { x->stx_atime.tv_sec, x->stx_atime.tv_nsec },
	    m = { x->stx_mtime.tv_sec, x->stx_mtime.tv_nsec },
	    c = { x->stx_ctime.tv_sec, x->stx_ctime.tv_nsec };

	return atime_link_spared(w->atime, &a, &m, &c, w->now);
}

/* Write the line of an object; 0, 1 when a cap stopped it, -1 when fatal. */
static int
timeline_write(struct timeline_walk *w, int dirfd, const char *entry,
    const char *path, size_t len, const struct statx *x)
{
	struct timeline_object o = { .name = path, .name_len = len, .stx = x };
	char target[TIMELINE_TARGET_MAX];
	ssize_t n;

	if (S_ISLNK(x->stx_mode) && !timeline_target_readable(w, x))
		w->targets_kept++;
	else if (S_ISLNK(x->stx_mode)) {
		n = readlinkat(dirfd, entry, target, sizeof target);
		if (n < 0)
			timeline_failed(w, path, len, errno);
		o.target = target;
		o.target_len = n < 0 ? 0 : (size_t)n;
	}
	if (x->stx_mask & STATX_BTIME)
		w->birth_times++;
	w->entries++;
	return timeline_body_add(w->body, &o);
}

/* Open a directory, never through a link, sparing its atime where permitted. */
int
timeline_open_dir(int dirfd, const char *name, uint64_t *atime_kept)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);

	/* O_NOATIME is for the owner and root only (EPERM for the others). */
	if (fd < 0 && errno == EPERM) {
		fd = openat(dirfd, name, flags);
		if (fd >= 0)
			(*atime_kept)++;
	}
	return fd;
}

/*
 * Enter a directory just written: its descriptor, -1 when it is not
 * entered (noted). Refuses a directory that is now on another mount.
 */
static int
timeline_enter(struct timeline_walk *w, int dirfd, const char *entry,
    const char *path, size_t len)
{
	struct statx now;
	int fd;

	if ((fd = timeline_open_dir(dirfd, entry, &w->atime_kept)) < 0) {
		timeline_failed(w, path, len, errno);
		return -1;
	}
	if (timeline_stat(fd, "", &now) != 0 || timeline_other_mount(w, &now)) {
		/* Mounted over between statx and open: not ours to walk. */
		w->mount_points++;
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One entry of a directory: its line, and the directory to enter (*child,
 * -1 for none). 0, 1 when a cap stopped the walk, -1 when fatal.
 */
static int
timeline_entry(struct timeline_walk *w, int dirfd, const char *entry,
    const char *path, size_t len, size_t depth, int *child)
{
	struct statx x;
	int rc;

	*child = -1;
	if (timeline_stat(dirfd, entry, &x) != 0) {
		timeline_failed(w, path, len, errno);
		return 0;
	}
	if (timeline_other_mount(w, &x)) {
		w->mount_points++;
		return 0;
	}
	if ((rc = timeline_write(w, dirfd, entry, path, len, &x)) != 0)
		return rc;
	if (!S_ISDIR(x.stx_mode))
		return 0;
	w->directories++;
	if (depth > TIMELINE_DEPTH_MAX) {
		w->deeper++;
		return 0;
	}
	*child = timeline_enter(w, dirfd, entry, path, len);
	return 0;
}

/* The next entry of the top directory, or NULL at its end (closed). */
static struct dirent *
timeline_next(struct timeline_walk *w, struct timeline_frame *top,
    const char *path)
{
	struct dirent *de;

	for (;;) {
		errno = 0;
		if ((de = readdir(top->dir)) == NULL) {
			if (errno != 0)
				timeline_failed(w, path, top->len, errno);
			closedir(top->dir);
			top->dir = NULL;
			return NULL;
		}
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return de;
	}
}

/* Push a directory on the stack; -1 when fdopendir fails (fd closed). */
static int
timeline_push(struct timeline_walk *w, struct timeline_frame *stack,
    size_t *depth, int fd, const char *path, size_t len)
{
	DIR *dir = fdopendir(fd);

	if (dir == NULL) {
		timeline_failed(w, path, len, errno);
		close(fd);
		return -1;
	}
	stack[*depth].dir = dir;
	stack[*depth].len = len;
	(*depth)++;
	return 0;
}

/* Walk the stack down to its end, or until a cap or a fatal error. */
static int
timeline_descend(struct timeline_walk *w, struct timeline_frame *stack,
    size_t depth, char *path)
{
	struct timeline_frame *top;
	struct dirent *de;
	size_t n, len;
	int rc = 0, child;

	while (depth > 0 && rc == 0) {
		top = &stack[depth - 1];
		if ((de = timeline_next(w, top, path)) == NULL) {
			depth--;
			continue;
		}
		n = strlen(de->d_name);
		if (top->len + 1 + n > TIMELINE_PATH_MAX) {
			w->long_names++;
			continue;
		}
		path[top->len] = '/';
		memcpy(path + top->len + 1, de->d_name, n);
		len = top->len + 1 + n;
		rc = timeline_entry(w, dirfd(top->dir), de->d_name, path, len,
		    depth, &child);
		if (child >= 0)
			timeline_push(w, stack, &depth, child, path, len);
	}
	while (depth > 0)
		closedir(stack[--depth].dir);
	return rc;
}

/* Walk the directory open as fd, never leaving the mount it is on. */
int
timeline_walk(struct timeline_walk *w, int fd, const char *name,
    size_t name_len)
{
	struct timeline_object o = { .name = name, .name_len = name_len };
	struct timeline_frame *stack;
	struct statx x;
	char *path;
	size_t depth = 0;
	int rc;

	if (timeline_stat(fd, "", &x) != 0) {
		timeline_failed(w, name, name_len, errno);
		close(fd);
		return 0;
	}
	w->dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	w->have_mount_id = (x.stx_mask & STATX_MNT_ID) != 0;
	w->mount_id = x.stx_mnt_id;
	o.stx = &x;
	stack = calloc(TIMELINE_DEPTH_MAX + 1, sizeof *stack);
	path = malloc(TIMELINE_PATH_MAX + 1);
	if (stack == NULL || path == NULL || name_len > TIMELINE_PATH_MAX) {
		free(stack);
		free(path);
		close(fd);
		return error_set("out of memory"), w->body->run->fatal = true, -1;
	}
	w->entries++;
	w->directories++;
	if (x.stx_mask & STATX_BTIME)
		w->birth_times++;
	rc = timeline_body_add(w->body, &o);
	/* The children of "/" are "/name", of "/dev/shm" "/dev/shm/name". */
	memcpy(path, name, name_len);
	if (rc == 0 && timeline_push(w, stack, &depth, fd,
	    path, name_len == 1 ? 0 : name_len) == 0)
		rc = timeline_descend(w, stack, depth, path);
	else if (rc != 0)
		close(fd);
	free(stack);
	free(path);
	return rc;
}
