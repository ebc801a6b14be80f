/* A bounded walk under the root that hands files on by name, within a budget. */
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
#include "custody/error.h"

#include "collector.h"
#include "live.h"
#include "live-locate.h"
#include "mountclass.h"

#define LIVE_WALK_PROBLEMS_MAX	20	/* problems listed per walk (all are counted) */
#define LIVE_OVER_LIST_MAX	100	/* files over the total listed */
#define LIVE_WALK_FILES_MAX	1000	/* files handed on listed per walk (all are counted) */

/* One walk from one directory. */
struct live_walk {
	struct live_run		*run;
	struct live_budget	*budget;
	live_name_match		 match;
	int			 max_depth;
	size_t			 max_entries;
	size_t			 entries;
	size_t			 matched;
	size_t			 not_regular;	/* matched, but FIFOs, devices...: never opened */
	size_t			 problems;
	dev_t			 dev;
	struct mountclass_place	 place;		/* of the walk's directory */
	json_t			*record;
	json_t			*problem_list;
	json_t			*pruned;
	json_t			*remote;	/* mount points not read */
	json_t			*files;		/* the first files handed on */
};

/* True when name, from its end, is digits and separators only (dates, counters). */
static bool
live_logname_rotation(const char *rest)
{
	if (strcmp(rest, ".old") == 0)
		return true;
	if ((rest[0] != '.' && rest[0] != '-' && rest[0] != '_') || rest[1] == '\0')
		return false;
	for (rest++; *rest != '\0'; rest++)
		if ((*rest < '0' || *rest > '9') && *rest != '-' && *rest != '_')
			return false;
	return true;
}

/* True for log names, rotated and compressed forms included. */
bool
live_logname(const char *name)
{
	static const char *const compressed[] = { ".gz", ".xz", ".zst", ".bz2",
	    ".lz4", ".Z", NULL };
	char copy[NAME_MAX + 1], *at, *rest;
	size_t len = strlen(name), i, n;

	if (len > NAME_MAX)
		return false;
	memcpy(copy, name, len + 1);
	for (i = 0; compressed[i] != NULL; i++) {
		n = strlen(compressed[i]);
		if (len > n && strcmp(copy + len - n, compressed[i]) == 0) {
			copy[len - n] = '\0';
			break;
		}
	}
	for (at = copy + 1; (at = strstr(at, "log")) != NULL; at++) {
		if (at[-1] != '.' && at[-1] != '_')
			continue;
		rest = at + 3;
		if (*rest == '\0' || live_logname_rotation(rest))
			return true;
	}
	return false;
}

/* True for every name. */
bool
live_anyname(const char *name)
{
	(void)name;
	return true;
}

/* Note a problem of a walk: counted, the first listed with the reason. */
static void
live_walk_problem(struct live_walk *w, const char *host, int error_number)
{
	json_t *p;

	w->problems++;
	if (json_array_size(w->problem_list) >= LIVE_WALK_PROBLEMS_MAX)
		return;
	p = json_pack("{s:o}", "path", live_string(host, strlen(host)));
	live_set_errno(p, "error", error_number);
	json_array_append_new(w->problem_list, p);
}

/* Hand one file on within the budget. */
int
live_budget_take(struct live_run *run, struct live_budget *b,
    const char *host, const struct stat *st, json_t *record)
{
	int64_t size = S_ISREG(st->st_mode) ? st->st_size : 0;
	int rc;

	if (b->file_max >= 0 && size > b->file_max)
		size = b->file_max;
	if (b->total_max >= 0 && b->total + size > b->total_max) {
		b->over_total++;
		if (json_array_size(b->over_list) < LIVE_OVER_LIST_MAX)
			json_array_append_new(b->over_list,
			    live_string(host, strlen(host)));
		json_object_set_new(record, "status",
		    json_string("left out: total size limit"));
		return 0;
	}
	if ((rc = live_locate_collect(run, &b->located, host, st, b->rules)) < 0)
		return -1;
	if (rc == 1) {
		b->total += size;
		b->handed++;
	}
	json_object_set_new(record, "status", json_string(rc == 1 ?
	    "collected" : "already collected"));
	return 0;
}

static int live_walk_dir(struct live_walk *, int, const char *, int);

/* True when a directory is one the budget says not to walk (recorded). */
static bool
live_walk_pruned(struct live_walk *w, const char *host)
{
	const char *const *p;

	for (p = w->budget->prune; p != NULL && *p != NULL; p++)
		if (strcmp(*p, host) == 0) {
			json_array_append_new(w->pruned, json_string(host));
			return true;
		}
	return false;
}

/*
 * lstat a name met by the walk, never waiting on a network or FUSE
 * filesystem: 1 when it is the mount point of one (or of an automount),
 * recorded as not read and not to be touched; 0 stat'ed; -1 failed.
 */
static int
live_walk_stat(struct live_walk *w, int fd, const char *name,
    const char *host, struct stat *st)
{
	const struct mountclass_mount *m;
	struct mountclass_place to;
	char disk[PATH_MAX];

	if (walk_stat(w->run->collector, fd, name, &w->place, st, &to,
	    &m) != 0) {
		live_walk_problem(w, host, errno);
		return -1;
	}
	if (m == NULL)
		return 0;
	json_array_append_new(w->remote, live_string(host, strlen(host)));
	if (live_locate_disk(w->run, host, disk, sizeof disk) == 0 &&
	    collector_remote_mount(w->run->collector, disk, st, m) != 0)
		w->run->fatal = true;
	return 1;
}

/* One name met in a directory: a file handed on, or a directory walked. */
static int
live_walk_name(struct live_walk *w, int fd, const char *host,
    const struct dirent *d, int depth)
{
	char path[PATH_MAX];
	struct stat st;
	json_t *record;
	int sub, rc;

	if (snprintf(path, sizeof path, "%s/%s", strcmp(host, "/") == 0 ? "" :
	    host, d->d_name) >= (int)sizeof path)
		return 0;
	if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN && !w->match(d->d_name))
		return 0;
	if ((rc = live_walk_stat(w, fd, d->d_name, path, &st)) != 0)
		return rc > 0 && w->run->fatal ? -1 : 0;
	if (S_ISDIR(st.st_mode)) {
		if (depth >= w->max_depth || st.st_dev != w->dev ||
		    live_walk_pruned(w, path))
			return 0;
		if ((sub = walk_open_dir(fd, d->d_name)) < 0) {
			live_walk_problem(w, path, errno);
			return 0;
		}
		return live_walk_dir(w, sub, path, depth + 1);
	}
	if (!w->match(d->d_name))
		return 0;
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		w->not_regular++;
		return 0;
	}
	w->matched++;
	record = json_object();
	rc = live_budget_take(w->run, w->budget, path, &st, record);
	if (rc == 0 && json_array_size(w->files) < LIVE_WALK_FILES_MAX &&
	    strcmp(json_string_value(json_object_get(record, "status")),
	    "collected") == 0)
		json_array_append_new(w->files, live_string(path, strlen(path)));
	json_decref(record);
	return rc;
}

/* Walk an open directory (fd is taken and closed). */
static int
live_walk_dir(struct live_walk *w, int fd, const char *host, int depth)
{
	struct dirent *d;
	DIR *dir = fdopendir(fd);
	int rc = 0;

	if (dir == NULL) {
		live_walk_problem(w, host, errno);
		close(fd);
		return 0;
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (w->entries == w->max_entries) {
			json_object_set_new(w->record, "truncated", json_true());
			break;
		}
		w->entries++;
		rc = live_walk_name(w, dirfd(dir), host, d, depth);
	}
	closedir(dir);
	return rc;
}

/* Walk a host directory under the root, handing matching files on. */
int
live_logwalk(struct live_run *run, struct live_budget *b, const char *host,
    int max_depth, size_t max_entries, live_name_match match, json_t *record)
{
	struct live_walk w = { .run = run, .budget = b, .match = match,
	    .max_depth = max_depth, .max_entries = max_entries, .record = record };
	struct stat st;
	int fd, rc;

	w.problem_list = json_array();
	w.pruned = json_array();
	w.files = json_array();
	w.remote = json_array();
	json_object_set_new(record, "path", live_string(host, strlen(host)));
	json_object_set_new(record, "truncated", json_false());
	if ((fd = live_locate_open_dir(run, host)) < 0 ||
	    compat_lstat(fd, "", &st, &w.place.mnt_id) != 0) {
		json_object_set_new(record, "status", json_string(errno == ENOENT ?
		    "not present" : errno == ELOOP || errno == ENOTDIR ?
		    "symbolic link or not a directory, not followed" :
		    errno == EREMOTE ? "network or FUSE filesystem, not read" :
		    "unreadable"));
		if (errno != ENOENT)
			live_set_errno(record, "error", errno);
		if (fd >= 0)
			close(fd);
		json_decref(w.problem_list);
		json_decref(w.pruned);
		json_decref(w.files);
		json_decref(w.remote);
		return 0;
	}
	w.dev = st.st_dev;
	w.place.dev = st.st_dev;
	json_object_set_new(record, "status", json_string("walked"));
	rc = live_walk_dir(&w, fd, host, 0);
	json_object_set_new(record, "entries", json_integer((json_int_t)w.entries));
	json_object_set_new(record, "matched", json_integer((json_int_t)w.matched));
	json_object_set_new(record, "not_regular",
	    json_integer((json_int_t)w.not_regular));
	json_object_set_new(record, "unreadable",
	    json_integer((json_int_t)w.problems));
	json_object_set_new(record, "problems", w.problem_list);
	json_object_set_new(record, "files", w.files);
	if (json_array_size(w.pruned) > 0)
		json_object_set_new(record, "not_walked", w.pruned);
	else
		json_decref(w.pruned);
	if (json_array_size(w.remote) > 0)
		json_object_set_new(record, "mounts_not_read", w.remote);
	else
		json_decref(w.remote);
	return rc;
}
