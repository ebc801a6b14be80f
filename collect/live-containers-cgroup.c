/*
 * Which host process runs in which container: the container id in the
 * process's cgroup path (/proc/PID/cgroup), as Docker, Podman, containerd,
 * cri-o and Kubernetes name their cgroups.
 */
#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "live-containers.h"
#include "live.h"

#define CONTAINERS_ID_LEN	64

/* How a cgroup path names a container: what comes before the id. */
static const struct {
	const char	*prefix;
	const char	*runtime;
} containers_cgroup_names[] = {
	{ "libpod-conmon-", "podman-conmon" },
	{ "libpod-", "podman" },
	{ "docker-", "docker" },
	{ "/docker/", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-conmon-", "crio-conmon" },
	{ "crio-", "crio" },
};

/* The runtime a cgroup path names before the id at offset at. */
static const char *
containers_runtime(const char *path, size_t at)
{
	size_t i, len;

	for (i = 0; i < sizeof containers_cgroup_names /
	    sizeof containers_cgroup_names[0]; i++) {
		len = strlen(containers_cgroup_names[i].prefix);
		if (at >= len && memcmp(path + at - len,
		    containers_cgroup_names[i].prefix, len) == 0)
			return containers_cgroup_names[i].runtime;
	}
	return strstr(path, "kubepods") != NULL ? "kubernetes" : "unknown";
}

/* The offset of the last 64-hex-digit id standing alone in path, or -1. */
static long
containers_cgroup_id(const char *path)
{
	size_t i, run = 0, len = strlen(path);
	long found = -1;

	for (i = 0; i <= len; i++) {
		if (i < len && isxdigit((unsigned char)path[i]) &&
		    !isupper((unsigned char)path[i])) {
			run++;
			continue;
		}
		if (run == CONTAINERS_ID_LEN)
			found = (long)(i - run);
		run = 0;
	}
	return found;
}

/* The container of one process from its cgroup lines; NULL when none. */
static json_t *
containers_process(pid_t pid, int piddir, char *text)
{
	char *cursor = text, *line, *path, comm[LIVE_COMM_SIZE];
	json_t *entry;
	long at;

	while ((line = util_next_line(&cursor)) != NULL) {
		if ((path = strchr(line, ':')) == NULL ||
		    (path = strchr(path + 1, ':')) == NULL)
			continue;
		path++;
		if ((at = containers_cgroup_id(path)) < 0)
			continue;
		live_comm(piddir, comm, sizeof comm);
		entry = json_pack("{siss#ss}", "pid", (int)pid,
		    "id", path + at, CONTAINERS_ID_LEN,
		    "runtime", containers_runtime(path, (size_t)at));
		if (entry != NULL) {
			live_set_bytes(entry, "comm", comm, strlen(comm));
			live_set_bytes(entry, "cgroup", path, strlen(path));
		}
		return entry;
	}
	return json_object();	/* not in a container */
}

/* Add the container of one process to list, if it is in one. */
static int
containers_process_add(struct live_run *run, pid_t pid, json_t *list,
    size_t *unreadable)
{
	struct live_file f;
	json_t *entry;
	int piddir;

	if ((piddir = live_pid_open(pid)) < 0)
		return 0;	/* it exited */
	if (live_read(piddir, "cgroup", LIVE_PROC_MAX, &f) != 0) {
		close(piddir);
		(*unreadable) += errno != ENOENT && errno != ESRCH;
		return 0;
	}
	entry = containers_process(pid, piddir, f.data);
	free(f.data);
	close(piddir);
	if (entry != NULL && json_object_size(entry) == 0) {
		json_decref(entry);
		return 0;
	}
	return containers_append(run, list, entry);
}

/* Every process whose cgroup names a container id. */
json_t *
containers_processes(struct live_run *run)
{
	struct live_pids pids;
	json_t *list;
	size_t i, unreadable = 0;

	if (live_pids(&pids) != 0) {
		live_note(run->errors);
		return json_array();
	}
	if ((list = json_array()) == NULL) {
		free(pids.v);
		error_set("out of memory");
		return NULL;
	}
	for (i = 0; i < pids.n; i++)
		if (containers_process_add(run, pids.v[i], list, &unreadable) != 0)
			break;
	free(pids.v);
	if (unreadable > 0)
		containers_note(run, "/proc/PID/cgroup", "%zu processes' cgroups "
		    "unreadable", unreadable);
	if (pids.truncated)
		containers_note(run, "/proc", "more than %zu processes, the rest "
		    "not read", (size_t)LIVE_PROCESSES_MAX);
	return list;
}

/* The pids of processes whose container id is id, as an array. */
static json_t *
containers_pids_of(const char *id, json_t *processes)
{
	json_t *pids = json_array(), *p;
	const char *pid_id;
	size_t i;

	json_array_foreach(processes, i, p) {
		pid_id = json_string_value(json_object_get(p, "id"));
		if (pid_id != NULL && strcmp(pid_id, id) == 0 &&
		    json_array_append(pids, json_object_get(p, "pid")) != 0) {
			json_decref(pids);
			return NULL;
		}
	}
	return pids;
}

/* Set "pids" of each container in list from the processes. */
int
containers_attach_pids(struct live_run *run, json_t *list, json_t *processes)
{
	json_t *container;
	const char *id;
	size_t i;

	json_array_foreach(list, i, container) {
		if ((id = json_string_value(json_object_get(container, "id"))) == NULL)
			continue;
		if (containers_set(run, container, "pids",
		    containers_pids_of(id, processes)) != 0)
			return -1;
	}
	return 0;
}
