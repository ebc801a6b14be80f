/* Where a process lives: its control groups and its namespaces. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* The namespaces of /proc/PID/ns, as the kernel names them. */
static const char *const live_namespaces[] = {
	"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
	"time", "time_for_children", "user", "uts",
};

/* Split one "ID:CONTROLLERS:PATH" line of /proc/PID/cgroup; NULL when malformed. */
static json_t *
live_cgroup_line(char *line)
{
	char *controllers, *path, *name;
	unsigned long long id;
	json_t *c, *list;

	if ((controllers = strchr(line, ':')) == NULL ||
	    (path = strchr(controllers + 1, ':')) == NULL)
		return NULL;
	*controllers++ = '\0';
	*path++ = '\0';
	if (!live_decimal(line, &id))
		return NULL;
	c = json_object();
	list = json_array();
	json_object_set_new(c, "hierarchy", json_integer((json_int_t)id));
	while ((name = strsep(&controllers, ",")) != NULL)
		if (*name != '\0')
			json_array_append_new(list, live_string(name, strlen(name)));
	json_object_set_new(c, "controllers", list);
	live_set_bytes(c, "path", path, strlen(path));
	return c;
}

/* Add "cgroup": one object per hierarchy the process belongs to. */
static void
live_process_cgroup(json_t *p, int dir)
{
	struct live_file f;
	char *cursor, *line;
	json_t *list, *c;

	if (live_read(dir, "cgroup", LIVE_PROC_MAX, &f) != 0) {
		json_object_set_new(p, "cgroup", json_null());
		live_set_errno(p, "cgroup_error", errno);
		return;
	}
	list = json_array();
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if ((c = live_cgroup_line(line)) != NULL)
			json_array_append_new(list, c);
		else
			json_object_set_new(p, "cgroup_malformed", json_true());
	}
	json_object_set_new(p, "cgroup", list);
	free(f.data);
}

/* The inode of a namespace link ("net:[4026531840]"); -1 with errno. */
static long long
live_namespace_id(int dir, const char *name)
{
	char path[64], target[128], *open_bracket, *end;
	unsigned long long id;
	ssize_t n;

	snprintf(path, sizeof path, "ns/%s", name);
	if ((n = readlinkat(dir, path, target, sizeof target - 1)) < 0)
		return -1;
	target[n] = '\0';
	open_bracket = strchr(target, '[');
	end = open_bracket != NULL ? strchr(open_bracket, ']') : NULL;
	if (end == NULL) {
		errno = EINVAL;
		return -1;
	}
	*end = '\0';
	if (!live_decimal(open_bracket + 1, &id) || id > INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return (long long)id;
}

/* Add "namespaces": the inode of each namespace the kernel shows. */
static void
live_process_namespaces(json_t *p, int dir)
{
	json_t *ns = json_object();
	long long id;
	int first_error = 0;
	size_t i;

	for (i = 0; i < sizeof live_namespaces / sizeof live_namespaces[0]; i++) {
		if ((id = live_namespace_id(dir, live_namespaces[i])) >= 0)
			json_object_set_new(ns, live_namespaces[i],
			    json_integer((json_int_t)id));
		else if (errno != ENOENT && first_error == 0)
			first_error = errno;
	}
	json_object_set_new(p, "namespaces", ns);
	if (first_error != 0)
		live_set_errno(p, "namespaces_error", first_error);
}

/* Add "cgroup" and "namespaces" to a process. */
void
live_process_isolation(json_t *p, int dir)
{
	live_process_cgroup(p, dir);
	live_process_namespaces(p, dir);
}
