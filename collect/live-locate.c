/* Host paths under a live entry's root, never followed out of it. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/util.h"

#include "atime.h"
#include "collector.h"
#include "live.h"
#include "live-locate.h"
#include "mountclass.h"

/* Append one component to a normalised path being built. */
static int
live_locate_append(char *out, size_t *n, size_t size, const char *name,
    size_t len)
{
	if (len == 1 && name[0] == '.')
		return 0;
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		while (*n > 1 && out[*n - 1] != '/')
			(*n)--;
		if (*n > 1)
			(*n)--;
		return 0;
	}
	if (*n + len + 2 > size)
		return -1;
	if (*n > 1)
		out[(*n)++] = '/';
	memcpy(out + *n, name, len);
	*n += len;
	return 0;
}

/* Make a host path absolute and plain; ".." never climbs above "/". */
int
live_locate_normalize(const char *path, char *out, size_t size)
{
	const char *end;
	size_t n = 1;

	if (size < 2)
		return -1;
	out[0] = '/';
	while (*path != '\0') {
		while (*path == '/')
			path++;
		if (*path == '\0')
			break;
		end = strchrnul(path, '/');
		if (live_locate_append(out, &n, size, path, (size_t)(end - path)) != 0)
			return -1;
		path = end;
	}
	out[n] = '\0';
	return 0;
}

/* The on-disk path of a host path under the root. */
int
live_locate_disk(const struct live_run *run, const char *host, char *out,
    size_t size)
{
	int n;

	if (run->root[0] != '\0' && strcmp(host, "/") == 0)
		n = snprintf(out, size, "%s", run->root);
	else
		n = snprintf(out, size, "%s%s", run->root, host);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Open the root (the examiner's choice: it may be reached through a link). */
static int
live_locate_open_root(const struct live_run *run, struct mountclass_place *place)
{
	const char *root = run->root[0] != '\0' ? run->root : "/";
	struct stat st;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME), saved;

	if (fd < 0 && errno == EPERM)
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (compat_lstat(fd, "", &st, &place->mnt_id) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	place->dev = st.st_dev;
	return fd;
}

/*
 * lstat name below dirfd (at place), never waiting on a network or FUSE
 * filesystem: -1 with errno EREMOTE when it is the mount point of one (or
 * of an automount), recorded in the manifest as not read under its
 * on-disk path disk; its place into *place.
 */
static int
live_locate_lstat(const struct live_run *run, int dirfd, const char *name,
    const char *disk, struct stat *st, struct mountclass_place *place)
{
	const struct mountclass_mount *m;
	struct mountclass_place to;

	if (walk_stat(run->collector, dirfd, name, place, st, &to, &m) != 0)
		return -1;
	*place = to;
	if (m == NULL)
		return 0;
	/* A failed record fails the archive, which the collection reports. */
	(void)collector_remote_mount(run->collector, disk, st, m);
	errno = EREMOTE;
	return -1;
}

/* Open a host directory under the root, its place into *place. */
static int
live_locate_open_place(const struct live_run *run, const char *host,
    struct mountclass_place *place)
{
	char copy[PATH_MAX], disk[PATH_MAX], *name, *save = NULL;
	struct stat st;
	size_t len;
	int fd, next, saved;

	if (live_locate_normalize(host, copy, sizeof copy) != 0 ||
	    live_locate_disk(run, "/", disk, sizeof disk) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	len = strcmp(disk, "/") == 0 ? 0 : strlen(disk);
	fd = live_locate_open_root(run, place);
	for (name = strtok_r(copy, "/", &save); fd >= 0 && name != NULL;
	    name = strtok_r(NULL, "/", &save)) {
		next = -1;
		if (snprintf(disk + len, sizeof disk - len, "/%s", name) >=
		    (int)(sizeof disk - len))
			errno = ENAMETOOLONG;
		else if (live_locate_lstat(run, fd, name, disk, &st, place) == 0)
			next = walk_open_dir(fd, name);
		len += strlen(disk + len);
		saved = errno;
		close(fd);
		errno = saved;
		fd = next;
	}
	return fd;
}

/* Open a host directory under the root through real directories only. */
int
live_locate_open_dir(const struct live_run *run, const char *host)
{
	struct mountclass_place place;

	return live_locate_open_place(run, host, &place);
}

/* Split a normalised host path into its directory and last name. */
static int
live_locate_split(const char *host, char *dir, size_t size, const char **base)
{
	const char *slash = strrchr(host, '/');
	size_t len = slash != NULL ? (size_t)(slash - host) : 0;

	if (slash == NULL || slash[1] == '\0' || len + 2 > size) {
		errno = EINVAL;
		return -1;
	}
	if (len == 0)
		len = 1;
	memcpy(dir, host, len);
	dir[len] = '\0';
	*base = slash + 1;
	return 0;
}

/* lstat a host path under the root, refusing links on the way. */
int
live_locate_stat(const struct live_run *run, const char *host, struct stat *st)
{
	struct mountclass_place place;
	char dir[PATH_MAX], disk[PATH_MAX];
	const char *base;
	int fd, rc, saved;

	if (strcmp(host, "/") == 0) {
		if ((fd = live_locate_open_place(run, host, &place)) < 0)
			return -1;
		rc = compat_lstat(fd, "", st, NULL);
	} else {
		if (live_locate_split(host, dir, sizeof dir, &base) != 0 ||
		    live_locate_disk(run, host, disk, sizeof disk) != 0 ||
		    (fd = live_locate_open_place(run, dir, &place)) < 0)
			return -1;
		rc = live_locate_lstat(run, fd, base, disk, st, &place);
	}
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* lstat a name found in an open directory of host path host/name. */
int
live_locate_at(const struct live_run *run, int dirfd, const char *name,
    const char *host, struct stat *st)
{
	struct mountclass_place place;
	char disk[PATH_MAX];

	if (compat_lstat(dirfd, "", st, &place.mnt_id) != 0 ||
	    live_locate_disk(run, host, disk, sizeof disk) != 0)
		return -1;
	place.dev = st->st_dev;
	return live_locate_lstat(run, dirfd, name, disk, st, &place);
}

/* Why a located path is not collected, from the errno of its lstat. */
const char *
live_locate_why(int error_number)
{
	switch (error_number) {
	case ENOENT:
		return "not present";
	case ELOOP:
	case ENOTDIR:
		return "behind a symbolic link, not followed";
	case EREMOTE:
		return "network or FUSE filesystem, not read";
	default:
		return "unreadable";
	}
}

/* Where a link at host points, as a normalised host path: 0 or -1 (errno). */
static int
live_locate_link(const struct live_run *run, const char *host, char *out,
    size_t size)
{
	char disk[PATH_MAX], target[PATH_MAX], joined[PATH_MAX * 2];
	size_t n;

	if (live_locate_disk(run, host, disk, sizeof disk) != 0 ||
	    atime_readlink(AT_FDCWD, disk, target, sizeof target, &n) < 0)
		return -1;
	if (target[0] == '/')
		snprintf(joined, sizeof joined, "%s", target);
	else
		snprintf(joined, sizeof joined, "%s/../%s", host, target);
	if (live_locate_normalize(joined, out, size) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Read a configuration file under the root, a final link resolved inside it. */
int
live_locate_read(const struct live_run *run, const char *host, size_t max,
    struct live_file *f, char *real, struct stat *st)
{
	char dir[PATH_MAX];
	const char *base;
	int fd, dirfd, hops, rc, saved;

	snprintf(real, PATH_MAX, "%s", host);
	for (hops = 0; ; hops++) {
		if (live_locate_stat(run, real, st) != 0)
			return error_set_errno("%s", real);
		if (!S_ISLNK(st->st_mode))
			break;
		if (hops == LIVE_LOCATE_LINKS) {
			errno = ELOOP;
			return error_set_errno("%s", host);
		}
		if ((rc = live_locate_link(run, real, dir, sizeof dir)) < 0)
			return error_set_errno("%s", real);
		snprintf(real, PATH_MAX, "%s", dir);
	}
	if (!S_ISREG(st->st_mode)) {
		errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		return error_set("%s: not a regular file (%s), not opened", real,
		    manifest_kind(st->st_mode));
	}
	if (live_locate_split(real, dir, sizeof dir, &base) != 0 ||
	    (dirfd = live_locate_open_dir(run, dir)) < 0)
		return error_set_errno("%s", real);
	fd = util_open_file(dirfd, base, st);
	saved = errno;
	close(dirfd);
	if (fd < 0) {
		errno = saved;
		return error_set_errno("%s", real);
	}
	rc = live_read_fd(fd, max, f);
	saved = errno;
	close(fd);
	errno = saved;
	return rc == 0 ? 0 : error_set_errno("%s", real);
}

/*
 * lstat a host path a configuration or a setting names: 1 when it is a
 * regular file or a link (st filled), else 0 with record's "status" (and
 * "error") saying why it is not collected.
 */
int
live_locate_file(const struct live_run *run, const char *host,
    struct stat *st, json_t *record)
{
	const char *status;

	if (live_locate_stat(run, host, st) != 0) {
		status = live_locate_why(errno);
		if (errno != ENOENT)
			live_set_errno(record, "error", errno);
	} else if (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
		status = "not collected: not a regular file";
	else
		return 1;
	json_object_set_new(record, "status", json_string(status));
	return 0;
}

/* Call fn for each name of a host directory matching a pattern, in name order. */
int
live_locate_each(const struct live_run *run, const char *dir,
    const char *pattern, size_t max, int (*fn)(void *, const char *),
    void *arg)
{
	char **names, path[PATH_MAX];
	size_t n, i;
	int rc = 0;

	if (live_locate_names(run, dir, max, &names, &n) != 0)
		return 0;
	for (i = 0; i < n && rc == 0; i++)
		if (fnmatch(pattern, names[i], FNM_PERIOD) == 0 &&
		    snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") == 0 ?
		    "" : dir, names[i]) < (int)sizeof path)
			rc = fn(arg, path);
	live_locate_names_free(names, n);
	return rc;
}

/* One object handed to collection. */
struct live_located_key {
	dev_t	dev;
	ino_t	ino;
};

/* Order objects for tsearch. */
static int
live_located_compare(const void *a, const void *b)
{
	const struct live_located_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Hand a host path to collection once. */
int
live_locate_collect(struct live_run *run, struct live_located *set,
    const char *host, const struct stat *st, const struct walk_rules *rules)
{
	struct live_located_key *key, **found;
	char disk[PATH_MAX];

	if ((key = malloc(sizeof *key)) == NULL)
		return run->fatal = true, error_set_errno("malloc");
	key->dev = st->st_dev;
	key->ino = st->st_ino;
	if ((found = tsearch(key, &set->tree, live_located_compare)) == NULL) {
		free(key);
		return run->fatal = true, error_set_errno("tsearch");
	}
	if (*found != key) {
		free(key);
		return 0;
	}
	set->count++;
	if (live_locate_disk(run, host, disk, sizeof disk) != 0)
		return 0;
	return live_add_path(run, disk, rules) == 0 ? 1 : -1;
}

/* Free the record of handed objects. */
void
live_located_free(struct live_located *set)
{
	tdestroy(set->tree, free);
	set->tree = NULL;
	set->count = 0;
}

/* Set an object's "error" to the text of errno and return -1. */
int
live_locate_error(json_t *obj, int error_number)
{
	live_set_errno(obj, "error", error_number);
	return -1;
}

/* Order names for qsort: byte order, so runs are reproducible. */
static int
live_locate_name_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of a host directory under the root, at most max. */
int
live_locate_names(const struct live_run *run, const char *host, size_t max,
    char ***out, size_t *count)
{
	struct dirent *d;
	char **names = NULL, **grown;
	size_t size = 0, n = 0;
	DIR *dir;
	int fd;

	*out = NULL;
	*count = 0;
	if ((fd = live_locate_open_dir(run, host)) < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (n < max && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if ((grown = live_grow(names, &size, n, sizeof *names)) == NULL)
			break;
		names = grown;
		if ((names[n] = strdup(d->d_name)) == NULL)
			break;
		n++;
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof *names, live_locate_name_compare);
	*out = names;
	*count = n;
	return 0;
}

/* Free a list of names. */
void
live_locate_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}
