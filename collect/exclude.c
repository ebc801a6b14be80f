/*
 * The exclusion policy: secrets, patterns, the output and key, pseudo and
 * remote file systems.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/magic.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/manifest.h"
#include "custody/pathmap.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "mountclass.h"
#include "collector-private.h"

/* Secrets left out unless --include-secrets: full-path globs (no FNM_PATHNAME). */
static const char *const secret_patterns[] = {
	"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
	"/etc/security/opasswd", "/etc/ssh/ssh_host_*_key",
	"*/.ssh/id_*", "*/.ssh/identity", NULL
};

/* The mounts of the host, read once, at the first walk that asks. */
struct mountclass_table *
collector_mounts(struct collector *c)
{
	if (!c->mounts_tried) {
		c->mounts_tried = true;
		if (mountclass_table_read(&c->mounts) != 0)
			collector_log(c, "note /proc/self/mountinfo: %s: network, "
			    "FUSE and automount mounts are not told apart",
			    error_message());
	}
	return &c->mounts;
}

/* Record, once per path, a mount point a walk does not enter. */
int
collector_remote_mount(struct collector *c, const char *path,
    const struct stat *st, const struct mountclass_mount *m)
{
	char reason[128];
	int added = pathset_add(&c->mounts.reported, path);

	if (added < 0)
		return error_set("out of memory");
	if (added == 0)
		return 0;
	mountclass_reason(m, reason, sizeof reason);
	/* No file type: the kernel refused the attributes (walk_stat). */
	return collector_skip(c, path, st != NULL && (st->st_mode & S_IFMT) != 0 ?
	    st : NULL, reason);
}

/* True when path matches a glob: with a '/', the whole path; else the base name. */
static bool
collector_glob_match(const char *glob, const char *path)
{
	const char *base = strrchr(path, '/');

	if (strchr(glob, '/') != NULL)
		return fnmatch(glob, path, 0) == 0;
	return fnmatch(glob, base != NULL ? base + 1 : path, 0) == 0;
}

/* The first glob of a list that matches path, or NULL. */
const char *
collector_glob_list(char *const *globs, const char *path)
{
	for (; globs != NULL && *globs != NULL; globs++)
		if (collector_glob_match(*globs, path))
			return *globs;
	return NULL;
}

/* True when path is a secret left out by default. */
static bool
collector_secret_path(const char *path)
{
	size_t i, len = strlen(path);

	if (len > 4 && strcmp(path + len - 4, ".pub") == 0)
		return false;
	/* Every pattern is under /etc or .ssh: most paths need no fnmatch at all. */
	if (strncmp(path, "/etc/", 5) != 0 && strstr(path, "/.ssh/") == NULL)
		return false;
	for (i = 0; secret_patterns[i] != NULL; i++)
		if (fnmatch(secret_patterns[i], path, 0) == 0)
			return true;
	return false;
}

/*
 * True when path is a secret, as it is or, for a file a live source found
 * under its root, as the host it stands for would name it.
 */
static bool
collector_secret(const char *path, const struct walk_rules *rules)
{
	size_t len = rules->root != NULL ? strlen(rules->root) : 0;

	if (collector_secret_path(path))
		return true;
	return len > 0 && strncmp(path, rules->root, len) == 0 &&
	    path[len] == '/' && collector_secret_path(path + len);
}

/* Whether the walk should leave this object out; records why. */
int
collector_excluded(struct collector *c, const char *path, const struct stat *st,
    const struct walk_rules *rules)
{
	char reason[PATH_MAX + 64];
	const char *glob;

	if (st->st_dev == c->output_st.st_dev && st->st_ino == c->output_st.st_ino)
		return collector_skip(c, path, st, "the archive being written") == 0 ? 1 : -1;
	if (c->have_key_st && st->st_dev == c->key_st.st_dev &&
	    st->st_ino == c->key_st.st_ino)
		return collector_skip(c, path, st, "the signing key in use") == 0 ? 1 : -1;
	if (!c->opt->include_secrets && S_ISREG(st->st_mode) && collector_secret(path, rules))
		return collector_skip(c, path, st,
		    "secret, excluded by default (--include-secrets)") == 0 ? 1 : -1;
	glob = collector_glob_list(c->opt->exclude, path);
	if (glob == NULL)
		glob = collector_glob_list(rules->exclude, path);
	if (glob == NULL)
		return 0;
	snprintf(reason, sizeof reason, "excluded by pattern \"%s\"", glob);
	return collector_skip(c, path, st, reason) == 0 ? 1 : -1;
}

/* True when fd is on /proc, /sys or a similar file system whose sizes lie. */
static bool
collector_pseudo_fs(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) != 0)
		return false;
	switch (sfs.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
		return true;
	default:
		return false;
	}
}

/* Whether a file is on a pseudo file system, asked once per device. */
bool
collector_pseudo_dev(struct collector *c, int fd, const struct stat *st)
{
	if (!c->pseudo_known || c->pseudo_dev != st->st_dev) {
		c->pseudo_dev = st->st_dev;
		c->pseudo = collector_pseudo_fs(fd);
		c->pseudo_known = true;
	}
	return c->pseudo;
}

/* True when a path is left out by its name alone (secrets, patterns). */
bool
collector_name_excluded(const struct collector *c, const char *path,
    const struct walk_rules *rules)
{
	return (!c->opt->include_secrets && collector_secret(path, rules)) ||
	    collector_glob_list(c->opt->exclude, path) != NULL ||
	    collector_glob_list(rules->exclude, path) != NULL;
}
