/*
 * One walk over paths, globs and trees: openat and statx, never following
 * links, never waiting on a network or FUSE filesystem nor firing an
 * automount, and never stepping onto such a mount unless it is named.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/util.h"
#include "collector.h"
#include "mountclass.h"

#define WALK_NAMES_MAX	(4 * 1024 * 1024)	/* entries in one directory */

/* The state of one walk from one root. */
struct walk {
	struct collector		*c;
	const struct walk_rules		*rules;
	int				 max_depth;
	dev_t				 root_dev;
	struct mountclass_place		 root_place;
	bool				 stat_files;	/* remote mounts sit on the root's mount */
	struct {
		dev_t	dev;
		ino_t	ino;
	}				 ancestors[WALK_DEPTH_MAX + 2];
};

static int walk_dir(struct walk *, int, const char *, const char *,
    const struct stat *, int);

/* True when text holds glob characters. */
static int
walk_has_glob(const char *text)
{
	return strpbrk(text, "*?[") != NULL;
}

/*
 * Names are kept with their d_type in front (one byte), so that regular
 * files need no stat before they are opened. Compare names for qsort:
 * byte order, so runs are reproducible.
 */
static int
walk_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/* A listed name: its d_type byte, then the name. */
static char *
walk_entry(const struct compat_dirent *d)
{
	size_t len = strlen(d->d_name);
	char *entry = malloc(len + 2);

	if (entry != NULL) {
		entry[0] = (char)d->d_type;
		memcpy(entry + 1, d->d_name, len + 1);
	}
	return entry;
}

/* Open a directory relative to dirfd without following links or touching atime. */
int
walk_open_dir(int dirfd, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

/* Add a listed name to names. 0, or -1 when out of memory. */
static int
walk_add_name(char ***names, size_t *n, size_t *size,
    const struct compat_dirent *d)
{
	char **grown;

	if (*n == *size) {
		*size = *size != 0 ? *size * 2 : 64;
		if ((grown = realloc(*names, *size * sizeof **names)) == NULL)
			return -1;
		*names = grown;
	}
	if (((*names)[*n] = walk_entry(d)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/*
 * Read the sorted names of an open directory (fd stays open, read to its
 * end); *complete is false when not every name could be read.
 */
static char **
walk_names(int fd, size_t *count, bool *complete)
{
	/* Aligned for the records getdents64 lays out in it. */
	static _Thread_local uint64_t buf[32768 / sizeof(uint64_t)];
	const struct compat_dirent *d;
	char **names = NULL;
	size_t n = 0, size = 0, at;
	ssize_t got;
	bool full = false;

	*complete = false;
	while (!full && (got = compat_getdents(fd, buf, sizeof buf)) > 0) {
		for (at = 0; at < (size_t)got; at += d->d_reclen) {
			d = (const struct compat_dirent *)((const char *)buf + at);
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			/* Past the cap, errno 0 says so (E2BIG to the caller). */
			if (n >= WALK_NAMES_MAX)
				errno = 0;
			if (n >= WALK_NAMES_MAX || walk_add_name(&names, &n, &size,
			    d) != 0) {
				full = true;
				break;
			}
		}
	}
	*complete = !full && got == 0;
	if (n > 1)
		qsort(names, n, sizeof *names, walk_compare);
	*count = n;
	return names != NULL ? names : calloc(1, sizeof *names);
}

/* Free a name list. */
static void
walk_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Join a directory path and a name. */
static char *
walk_join(const char *dir, const char *name)
{
	char *path;
	size_t len = strlen(dir);

	if (asprintf(&path, "%s%s%s", dir, len > 0 && dir[len - 1] == '/' ?
	    "" : "/", name) < 0)
		return NULL;
	return path;
}

/*
 * A FUSE mount refuses its attributes to users other than its owner
 * (without allow_other), but the kernel still tells its device to a
 * statx that asks for nothing: enough to know it for what it is. 0 when
 * it is a network, FUSE or automount mount (st holds only the device);
 * -1 with errno EACCES otherwise.
 */
static int
walk_stat_denied(struct collector *c, int dirfd, const char *name,
    const struct mountclass_place *from, struct stat *st,
    struct mountclass_place *to, const struct mountclass_mount **remote)
{
	struct statx x;

	if (compat_statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT |
	    AT_STATX_DONT_SYNC, 0, &x) != 0 || (x.stx_mask & STATX_TYPE) != 0) {
		errno = EACCES;
		return -1;
	}
	to->dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	to->mnt_id = (x.stx_mask & STATX_MNT_ID) ? x.stx_mnt_id : 0;
	if ((*remote = mountclass_crossing(collector_mounts(c), from, to)) == NULL) {
		errno = EACCES;
		return -1;
	}
	memset(st, 0, sizeof *st);
	st->st_dev = to->dev;
	return 0;
}

/*
 * lstat a name below dirfd without waiting on its filesystem; *remote is
 * the network, FUSE or automount mount it is the mount point of, seen
 * from a walk on from's mount, or NULL.
 */
int
walk_stat(struct collector *c, int dirfd, const char *name,
    const struct mountclass_place *from, struct stat *st,
    struct mountclass_place *to, const struct mountclass_mount **remote)
{
	if (compat_lstat(dirfd, name, st, &to->mnt_id) == 0) {
		to->dev = st->st_dev;
		*remote = mountclass_crossing(collector_mounts(c), from, to);
		return 0;
	}
	if (errno != EACCES || walk_stat_denied(c, dirfd, name, from, st, to,
	    remote) != 0)
		return -1;
	return 0;
}

/* Handle one child of an open directory, descending into directories. */
static int
walk_child(struct walk *w, int fd, const char *dir_path, const char *entry,
    int depth)
{
	const struct mountclass_mount *remote;
	struct mountclass_place place;
	const char *name = entry + 1;
	struct stat st;
	char *path = walk_join(dir_path, name);
	bool done = false;
	int rc = 0;

	if (path == NULL)
		return error_set_errno("asprintf");
	/* A file can be mounted on a file: then the listing's type is not enough. */
	if ((unsigned char)entry[0] == DT_REG && !w->stat_files)
		rc = collector_regular(w->c, fd, name, path, w->rules, &done);
	if (rc != 0 || done)
		;
	else if (walk_stat(w->c, fd, name, &w->root_place, &st, &place,
	    &remote) != 0)
		rc = collector_unreadable(w->c, path, NULL, errno, "stat");
	else if (remote != NULL)
		rc = collector_remote_mount(w->c, path, &st, remote);
	else if ((rc = collector_item(w->c, fd, name, path, &st, w->rules,
	    false)) == 0 &&
	    S_ISDIR(st.st_mode))
		rc = walk_dir(w, fd, name, path, &st, depth + 1);
	free(path);
	return rc < 0 ? -1 : 0;
}

/* True when a directory is one of its own ancestors (a bind-mount loop). */
static int
walk_is_cycle(const struct walk *w, const struct stat *st, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		if (w->ancestors[i].dev == st->st_dev &&
		    w->ancestors[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* Whether to descend into a directory; logs why not. */
static int
walk_may_descend(struct walk *w, const char *path, const struct stat *st,
    int depth)
{
	char *escaped = util_escape(path, strlen(path));
	const char *why = NULL;

	if (depth >= w->max_depth)
		why = "not descending: depth limit reached";
	else if (st->st_dev != w->root_dev)
		why = "not descending: mount point of another file system";
	else if (walk_is_cycle(w, st, depth))
		why = "not descending: directory cycle";
	if (why != NULL)
		collector_log(w->c, "note %s: %s", escaped ? escaped : "?", why);
	free(escaped);
	return why == NULL;
}

/* Walk the children of a directory already recorded. */
static int
walk_dir(struct walk *w, int parent, const char *name, const char *path,
    const struct stat *st, int depth)
{
	char **names;
	size_t count, i;
	bool complete;
	int fd, rc = 0;

	if (!walk_may_descend(w, path, st, depth))
		return 0;
	w->ancestors[depth].dev = st->st_dev;
	w->ancestors[depth].ino = st->st_ino;
	if ((fd = walk_open_dir(parent, name)) < 0)
		return collector_unreadable(w->c, path, st, errno, "open directory");
	if ((names = walk_names(fd, &count, &complete)) == NULL) {
		rc = collector_unreadable(w->c, path, st, errno, "read directory");
		close(fd);
		return rc;
	}
	if (!complete)
		rc = collector_unreadable(w->c, path, st, errno != 0 ? errno : E2BIG,
		    "read directory: not every entry could be listed");
	if (rc == 0)
		rc = collector_dir_enter(w->c, w->rules);
	for (i = 0; i < count && rc == 0; i++)
		rc = walk_child(w, fd, path, names[i], depth);
	if (rc == 0)
		rc = collector_dir_leave(w->c, path, st, w->rules);
	walk_names_free(names, count);
	close(fd);
	return rc;
}

/*
 * Open the directory rel below dirfd one component at a time, each a real
 * directory opened O_NOATIME where permitted: a link on the way fails as
 * a file does (ENOTDIR) and ".." is EXDEV, never followed. "" opens
 * dirfd's directory anew.
 */
int
walk_open_beneath(int dirfd, const char *rel)
{
	char name[NAME_MAX + 1];
	const char *end;
	int fd = walk_open_dir(dirfd, "."), next, saved;

	while (fd >= 0 && *(rel += strspn(rel, "/")) != '\0') {
		end = strchrnul(rel, '/');
		if ((size_t)(end - rel) > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, rel, (size_t)(end - rel));
		name[end - rel] = '\0';
		rel = end;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			next = -1;
			errno = EXDEV;
		} else
			next = walk_open_dir(fd, name);
		saved = errno;
		close(fd);
		errno = saved;
		fd = next;
	}
	return fd;
}

/*
 * Open the directory rel below a root directory ("": /), which may itself
 * be reached through links (the examiner names it), with walk_open_beneath.
 */
int
walk_open_in_root(const char *root, const char *rel)
{
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, fd, next, saved;
	const char *top = root[0] != '\0' ? root : "/";

	fd = open(top, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(top, flags);
	if (fd < 0)
		return -1;
	next = walk_open_beneath(fd, rel);
	saved = errno;
	close(fd);
	errno = saved;
	return next;
}

/*
 * Open dir: below rules->beneath (a located path) through real
 * directories only, else as the user's own path, which may hold links.
 */
static int
walk_open_dir_path(const char *dir, const struct walk_rules *rules)
{
	size_t n;

	if (rules->beneath == NULL)
		return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = strlen(rules->beneath);
	if (strncmp(dir, rules->beneath, n) != 0 ||
	    (dir[n] != '/' && dir[n] != '\0')) {
		errno = EXDEV;
		return -1;
	}
	return walk_open_in_root(rules->beneath, dir + n);
}

/* Split path into its directory (opened) and final component. */
static int
walk_open_parent(const char *path, const struct walk_rules *rules,
    char **base)
{
	char *copy = strdup(path), *slash;
	int fd, saved;

	if (copy == NULL)
		return -1;
	slash = strrchr(copy, '/');
	if (slash == NULL || slash[1] == '\0')
		/* "/" (or a trailing slash): the directory is its own parent. */
		*base = strdup(".");
	else {
		*base = strdup(slash + 1);
		slash[slash == copy ? 1 : 0] = '\0';
	}
	fd = walk_open_dir_path(copy, rules);
	saved = errno;
	free(copy);
	errno = saved;
	return fd;
}

/* Walk one concrete root path: named, so walked whatever its mount. */
static int
walk_root(struct collector *c, const char *path, const struct walk_rules *rules)
{
	struct walk w = { .c = c, .rules = rules };
	struct stat st;
	char *base = NULL, *escaped;
	int fd, rc;

	w.max_depth = rules->max_depth < 0 || rules->max_depth > WALK_DEPTH_MAX ?
	    WALK_DEPTH_MAX : rules->max_depth;
	fd = walk_open_parent(path, rules, &base);
	if (fd < 0 || base == NULL ||
	    compat_lstat(fd, base, &st, &w.root_place.mnt_id) != 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		free(base);
		if (rules->explicit_root || saved != ENOENT)
			return collector_unreadable(c, path, NULL, saved, "stat");
		escaped = util_escape(path, strlen(path));
		collector_log(c, "note %s: not present on this host", escaped ? escaped : "?");
		free(escaped);
		return 0;
	}
	w.root_dev = st.st_dev;
	w.root_place.dev = st.st_dev;
	rc = collector_item(c, fd, base, path, &st, rules, true);
	if (rc == 0 && S_ISDIR(st.st_mode)) {
		w.stat_files = mountclass_holds_remote(collector_mounts(c),
		    &w.root_place);
		if ((rc = collector_tree_walked(c, path, &st, rules)) == 0)
			rc = walk_dir(&w, fd, base, path, &st, 0);
	}
	close(fd);
	free(base);
	return rc < 0 ? -1 : 0;
}

/*
 * Whether what a glob expanded to (name below the open directory dirfd)
 * is the mount point of a network, FUSE or automount filesystem: the
 * user named no path there. 1 (recorded), 0 not, -1 fatal.
 */
static int
walk_glob_remote(struct collector *c, int dirfd, const char *name,
    const char *path)
{
	const struct mountclass_mount *m;
	struct mountclass_place from, to;
	struct stat st;

	if (compat_lstat(dirfd, "", &st, &from.mnt_id) != 0)
		return 0;
	from.dev = st.st_dev;
	if (walk_stat(c, dirfd, name, &from, &st, &to, &m) != 0 || m == NULL)
		return 0;
	return collector_remote_mount(c, path, &st, m) == 0 ? 1 : -1;
}

/* The same, for a literal component after a glob: its directory opened by path. */
static int
walk_glob_remote_at(struct collector *c, const char *dir, const char *name,
    const char *path)
{
	int fd = walk_open_dir(AT_FDCWD, dir), rc;

	if (fd < 0)
		return 0;
	rc = walk_glob_remote(c, fd, name, path);
	close(fd);
	return rc;
}

static int walk_glob(struct collector *, const char *, const char *,
    const struct walk_rules *, int *, bool);

/* Go on from one step of a glob: walk the path, or expand what follows. */
static int
walk_glob_next(struct collector *c, const char *path, const char *slash,
    const struct walk_rules *rules, int *matches)
{
	if (slash != NULL)
		return walk_glob(c, path, slash + 1, rules, matches, true);
	(*matches)++;
	return walk_root(c, path, rules);
}

/*
 * Expand the glob components of pattern from prefix onwards, walking each
 * match; expanded once a component was a glob, so that what follows was
 * not named and no step goes onto a network, FUSE or automount mount.
 */
static int
walk_glob(struct collector *c, const char *prefix, const char *rest,
    const struct walk_rules *rules, int *matches, bool expanded)
{
	char component[NAME_MAX + 1], **names, *next_prefix;
	const char *slash = strchr(rest, '/');
	bool complete;
	size_t len = slash != NULL ? (size_t)(slash - rest) : strlen(rest), count, i;
	int fd, rc = 0;

	if (len == 0)
		return slash != NULL ? walk_glob(c, prefix, slash + 1, rules,
		    matches, expanded) : 0;
	if (len > NAME_MAX)
		return 0;
	memcpy(component, rest, len);
	component[len] = '\0';
	if (!walk_has_glob(component)) {
		if ((next_prefix = walk_join(prefix, component)) == NULL)
			return error_set_errno("asprintf");
		if (!expanded) {
			rc = slash != NULL ? walk_glob(c, next_prefix, slash + 1,
			    rules, matches, false) : walk_root(c, next_prefix, rules);
			if (slash == NULL)
				(*matches)++;
		} else if ((rc = walk_glob_remote_at(c, prefix, component,
		    next_prefix)) == 0)
			rc = walk_glob_next(c, next_prefix, slash, rules, matches);
		else if (rc == 1)
			(*matches)++;
		free(next_prefix);
		return rc < 0 ? -1 : 0;
	}
	if ((fd = walk_open_dir(AT_FDCWD, prefix)) < 0)
		return 0;
	names = walk_names(fd, &count, &complete);
	for (i = 0; names != NULL && i < count && rc == 0; i++) {
		if (fnmatch(component, names[i] + 1, FNM_PERIOD) != 0)
			continue;
		if ((next_prefix = walk_join(prefix, names[i] + 1)) == NULL)
			rc = error_set_errno("asprintf");
		else if ((rc = walk_glob_remote(c, fd, names[i] + 1,
		    next_prefix)) == 0)
			rc = walk_glob_next(c, next_prefix, slash, rules, matches);
		free(next_prefix);
		if (rc == 1) {
			(*matches)++;	/* matched, recorded as not read */
			rc = 0;
		}
	}
	close(fd);
	if (names != NULL)
		walk_names_free(names, count);
	return rc < 0 ? -1 : 0;
}

/* Expand a glob path and walk each match. */
int
walk_path(struct collector *c, const char *pattern, const struct walk_rules *rules)
{
	char *escaped;
	int matches = 0;

	if (!walk_has_glob(pattern) || rules->beneath != NULL)
		return walk_root(c, pattern, rules);
	if (pattern[0] != '/')
		return error_set("glob \"%s\" is not an absolute path", pattern);
	if (walk_glob(c, "/", pattern + 1, rules, &matches, false) != 0)
		return -1;
	if (matches == 0) {
		escaped = util_escape(pattern, strlen(pattern));
		collector_log(c, "note %s: no match on this host", escaped ? escaped : "?");
		free(escaped);
	}
	return 0;
}
