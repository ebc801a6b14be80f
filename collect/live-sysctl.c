/* The sysctl source: every readable value under /proc/sys, as sysctl -a shows them. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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

#define LIVE_SYSCTL_VALUE_MAX	((size_t)64 << 10)	/* one value */
#define LIVE_SYSCTL_KEYS_MAX	100000
#define LIVE_SYSCTL_DEPTH_MAX	16

/* What the walk gathers. */
struct live_sysctl {
	json_t	*values;	/* key to value */
	json_t	*not_read;	/* keys whose reading acts on the kernel */
	json_t	*secrets;	/* keys holding secrets, never opened */
	json_t	*unreadable;	/* key to the reason */
	size_t	 write_only;	/* skipped without opening */
	size_t	 truncated;	/* values cut at the cap */
	bool	 keys_truncated;
};

/* The dotted key of a path below /proc/sys: "/" becomes "." and "." becomes "/". */
static void
live_sysctl_key(const char *path, char *key, size_t size)
{
	size_t i;

	for (i = 0; path[i] != '\0' && i + 1 < size; i++)
		key[i] = path[i] == '/' ? '.' : path[i] == '.' ? '/' : path[i];
	key[i] = '\0';
}

/* Read one value, noting why it could not be. */
static void
live_sysctl_value(struct live_sysctl *s, int dirfd, const char *name,
    const char *key)
{
	struct live_file f;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || live_read_fd(fd, LIVE_SYSCTL_VALUE_MAX, &f) != 0) {
		json_object_set_new(s->unreadable, key, json_string(strerror(errno)));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	live_chomp(&f);
	if (f.truncated)
		s->truncated++;
	json_object_set_new(s->values, key, live_string(f.data, f.len));
	free(f.data);
}

/*
 * Whether reading a key does something: vm.stat_refresh folds every CPU's
 * counters into the totals when read. Such keys are listed, never opened.
 */
static bool
live_sysctl_acts(const char *key)
{
	return strcmp(key, "vm.stat_refresh") == 0;
}

/*
 * Whether a key holds a secret: the key of TCP Fast Open cookies, the
 * secret of stable IPv6 addresses (RFC 7217). Listed, never opened.
 */
static bool
live_sysctl_secret(const char *key)
{
	static const char *const secret[] = { "net.ipv4.tcp_fastopen_key",
	    "net.ipv6.conf.*.stable_secret", NULL };
	size_t i;

	for (i = 0; secret[i] != NULL; i++)
		if (fnmatch(secret[i], key, 0) == 0)
			return true;
	return false;
}

static void live_sysctl_directory(struct live_sysctl *, int, const char *, int);

/* One entry of a directory: a value, a subdirectory, or a write-only file skipped. */
static void
live_sysctl_entry(struct live_sysctl *s, int dirfd, const char *prefix,
    const char *name, int depth)
{
	char path[PATH_MAX], key[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof path, "%s%s%s", prefix,
	    *prefix != '\0' ? "/" : "", name) >= sizeof path)
		return;
	live_sysctl_key(path, key, sizeof key);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) != 0) {
		json_object_set_new(s->unreadable, key, json_string(strerror(errno)));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		live_sysctl_directory(s, dirfd, path, depth + 1);
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	if ((st.st_mode & 0444) == 0) {
		s->write_only++;
		return;
	}
	if (json_object_size(s->values) + json_object_size(s->unreadable) >=
	    LIVE_SYSCTL_KEYS_MAX) {
		s->keys_truncated = true;
		return;
	}
	if (live_sysctl_acts(key)) {
		json_array_append_new(s->not_read, json_string(key));
		return;
	}
	if (live_sysctl_secret(key)) {
		json_array_append_new(s->secrets, json_string(key));
		return;
	}
	live_sysctl_value(s, dirfd, name, key);
}

/* Walk one directory below /proc/sys (path relative to it). */
static void
live_sysctl_directory(struct live_sysctl *s, int parent, const char *path,
    int depth)
{
	char key[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd;

	live_sysctl_key(path, key, sizeof key);
	if (depth > LIVE_SYSCTL_DEPTH_MAX)
		return;
	fd = openat(parent, *path != '\0' ? strrchr(path, '/') != NULL ?
	    strrchr(path, '/') + 1 : path : "/proc/sys",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		json_object_set_new(s->unreadable, *key != '\0' ? key : ".",
		    json_string(strerror(errno)));
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL && !s->keys_truncated)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			live_sysctl_entry(s, dirfd(dir), path, de->d_name, depth);
	closedir(dir);
}

/* The sysctl source: every value, every key that could not be read and why. */
static int
live_sysctl_fill(struct live_run *run)
{
	struct live_sysctl s = { .values = json_object(),
	    .not_read = json_array(), .secrets = json_array(),
	    .unreadable = json_object() };

	live_sysctl_directory(&s, AT_FDCWD, "", 0);
	json_object_set_new(run->doc, "count",
	    json_integer((json_int_t)json_object_size(s.values)));
	json_object_set_new(run->doc, "write_only_skipped",
	    json_integer((json_int_t)s.write_only));
	json_object_set_new(run->doc, "values_truncated",
	    json_integer((json_int_t)s.truncated));
	json_object_set_new(run->doc, "truncated", json_boolean(s.keys_truncated));
	json_object_set_new(run->doc, "values", s.values);
	json_object_set_new(run->doc, "unreadable", s.unreadable);
	json_object_set_new(run->doc, "not_read", s.not_read);
	json_object_set_new(run->doc, "secrets_not_collected", s.secrets);
	if (json_object_size(s.values) == 0)
		return error_set("no sysctl value could be read");
	return 0;
}

const struct live_reader live_reader_sysctl = {
	.origin = "/proc/sys",
	.fill = live_sysctl_fill,
};
