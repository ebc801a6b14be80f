/*
 * containerd and runc: containerd's metadata database (bbolt, which no
 * library here reads: found, sized and hashed, not parsed), the bundles of
 * its running tasks (an OCI spec each), and runc's state.json files.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/util.h"

#include "live-containers.h"
#include "live-locate.h"
#include "live.h"

#define CONTAINERD_META	"/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db"
#define CONTAINERD_TASKS	"/run/containerd/io.containerd.runtime.v2.task"
#define RUNTIME_NAMESPACES_MAX	256

/* What runc's state.json says (libcontainer's State). */
static const struct containers_field runc_state_fields[] = {
	{ "id", "id", JSON_STRING },
	{ "pid", "init_process_pid", JSON_INTEGER },
	{ "created", "created", JSON_STRING },
	{ "rootless", "rootless", JSON_TRUE },
	{ "rootfs", "config.rootfs", JSON_STRING },
	{ "labels", "config.labels", JSON_ARRAY },
	{ "mounts", "config.mounts", JSON_ARRAY },
	{ "namespaces", "config.namespaces", JSON_ARRAY },
	{ "cgroup_paths", "cgroup_paths", JSON_OBJECT },
	{ NULL, NULL, 0 },
};

/*
 * containerd's metadata database: found, size and SHA-256, not parsed. It
 * is hashed through the descriptor of its directory (a /proc magic link
 * meant to be followed), so no link on the way is.
 */
static void
runtime_containerd_meta(struct live_run *run, json_t *containerd, bool *found)
{
	unsigned char digest[32];
	char path[64], hex[65];
	const char *name;
	uint64_t size;
	struct stat st;
	json_t *meta;
	int fd, rc = -1;

	containers_set(run, containerd, "metadata", json_null());
	if ((fd = containers_open_parent(run, CONTAINERD_META, &name)) < 0)
		return;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		containers_failed(run, CONTAINERD_META, errno);
	else if (S_ISLNK(st.st_mode))
		containers_failed(run, CONTAINERD_META, ELOOP);
	else if (!S_ISREG(st.st_mode))
		containers_note(run, CONTAINERD_META, "not a regular file, not read");
	else if (snprintf(path, sizeof path, "/proc/self/fd/%d/%s", fd, name) <
	    (int)sizeof path && (rc = hash_file_sha256(path, digest, &size)) != 0)
		containers_failed(run, CONTAINERD_META, errno);
	close(fd);
	if (rc != 0)
		return;
	*found = true;
	util_hex(digest, 32, hex);
	meta = json_pack("{sssIsssbss}", "path", CONTAINERD_META, "size",
	    (json_int_t)size, "sha256", hex, "parsed", 0, "reason",
	    "a bbolt database, which custody does not read");
	containers_set(run, containerd, "metadata", meta);
}

/* Call fn for each safe name in a directory, at most max. */
static int
runtime_each(struct live_run *run, const char *dir, size_t max,
    int (*fn)(struct live_run *, const char *, const char *, void *), void *arg)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd, rc = 0;

	if ((fd = containers_open_dir(run, dir)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL)
		return close(fd), 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !containers_name_ok(de->d_name, 255))
			continue;
		if (n++ == max) {
			containers_note(run, dir, "more than %zu entries, the rest "
			    "not read", max);
			break;
		}
		rc = fn(run, dir, de->d_name, arg);
	}
	closedir(d);
	return rc;
}

/* The list being filled and the namespace being read. */
struct runtime_list {
	json_t		*list;
	const char	*namespace;
};

/* One task bundle: its config.json (an OCI spec) and init.pid. */
static int
runtime_task(struct live_run *run, const char *dir, const char *id, void *arg)
{
	struct runtime_list *l = arg;
	struct live_file f;
	char *path;
	json_t *task, *spec;
	bool missing;
	unsigned long long pid;

	task = json_pack("{ssss}", "namespace", l->namespace, "id", id);
	if (task == NULL || containers_append(run, l->list, task) != 0)
		return 0;
	if (!containers_is_dir(run, "%s/%s", dir, id))
		return 0;
	if (asprintf(&path, "%s/%s/config.json", dir, id) < 0)
		return error_set_errno("asprintf");
	if ((spec = containers_json_load(run, path, JSON_OBJECT, &missing)) != NULL)
		containers_set(run, task, "spec", containers_oci_spec(run, spec, path));
	json_decref(spec);
	free(path);
	if (asprintf(&path, "%s/%s/init.pid", dir, id) < 0)
		return error_set_errno("asprintf");
	if (containers_read(run, path, 64, &f) == 0) {
		live_chomp(&f);
		if (live_decimal(f.data, &pid))
			containers_set(run, task, "init_pid", json_integer((json_int_t)pid));
		free(f.data);
	}
	free(path);
	return 0;
}

/* One runc container directory: its state.json. */
static int
runtime_runc(struct live_run *run, const char *dir, const char *id, void *arg)
{
	struct runtime_list *l = arg;
	char *path;
	json_t *state, *entry;
	bool missing;

	if (!containers_is_dir(run, "%s/%s", dir, id))
		return 0;
	if (asprintf(&path, "%s/%s/state.json", dir, id) < 0)
		return error_set_errno("asprintf");
	entry = json_pack("{ssssss}", "namespace", l->namespace,
	    "directory_id", id, "state_file", path);
	state = containers_json_load(run, path, JSON_OBJECT, &missing);
	if (entry != NULL && containers_append(run, l->list, entry) == 0 &&
	    state != NULL)
		containers_pick(run, entry, state, runc_state_fields, path);
	json_decref(state);
	free(path);
	return 0;
}

/* What to do in each namespace directory: fill list with fn. */
struct runtime_namespaces {
	json_t	*list;
	int	(*fn)(struct live_run *, const char *, const char *, void *);
};

/*
 * One namespace directory (containerd's task directory and its runc root
 * keep a directory per namespace): each entry read with the given fn.
 */
static int
runtime_namespace(struct live_run *run, const char *dir, const char *name,
    void *arg)
{
	struct runtime_namespaces *each = arg;
	struct runtime_list l = { .list = each->list, .namespace = name };
	char *path;
	int rc;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return error_set_errno("asprintf");
	rc = runtime_each(run, path, CONTAINERS_MAX, each->fn, &l);
	free(path);
	return rc;
}

/* Read a directory with fn into a new list set as key of obj. */
static int
runtime_read(struct live_run *run, json_t *obj, const char *key,
    const char *where, size_t max,
    int (*fn)(struct live_run *, const char *, const char *, void *),
    void *arg, bool *found)
{
	struct stat st;
	int rc;

	if (live_locate_stat(run, where, &st) == 0 && S_ISDIR(st.st_mode))
		*found = true;
	rc = runtime_each(run, where, max, fn, arg);
	if (rc == 0 && obj != NULL)
		containers_sort(run, json_object_get(obj, key), "id");
	if (rc == 0 && obj != NULL)
		rc = containers_attach_pids(run, json_object_get(obj, key),
		    json_object_get(run->doc, "processes"));
	return rc;
}

/* containerd's database and tasks, runc's states. */
int
containers_runtimes(struct live_run *run, bool *found)
{
	json_t *containerd = json_object(), *tasks = json_array(),
	    *runc = json_array();
	struct runtime_list top = { .list = runc, .namespace = "" };
	struct runtime_namespaces in_tasks = { tasks, runtime_task },
	    in_runc = { runc, runtime_runc };

	if (containerd == NULL || tasks == NULL || runc == NULL ||
	    containers_set(run, run->doc, "containerd", containerd) != 0 ||
	    containers_set(run, containerd, "tasks", tasks) != 0 ||
	    containers_set(run, run->doc, "runc", runc) != 0)
		return 0;
	runtime_containerd_meta(run, containerd, found);
	if (runtime_read(run, containerd, "tasks", CONTAINERD_TASKS,
	    RUNTIME_NAMESPACES_MAX, runtime_namespace, &in_tasks, found) != 0 ||
	    runtime_read(run, NULL, NULL, "/run/runc", CONTAINERS_MAX,
	    runtime_runc, &top, found) != 0 ||
	    runtime_read(run, NULL, NULL, "/run/containerd/runc",
	    RUNTIME_NAMESPACES_MAX, runtime_namespace, &in_runc, found) != 0)
		return -1;
	containers_sort(run, runc, "directory_id");
	return containers_attach_pids(run, runc,
	    json_object_get(run->doc, "processes"));
}
