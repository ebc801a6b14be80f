/*
 * The maps source: the memory mappings of every process (/proc/PID/maps):
 * ranges, permissions, offset, device, inode and the file mapped, with
 * " (deleted)" decoded into a flag.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/util.h"

#include "collector.h"
#include "live.h"

#define LIVE_MAPS_MAX		((size_t)65536)	/* mappings listed per process */
#define LIVE_MAPS_TOTAL_MAX	((size_t)262144)	/* mappings listed in all */

/* One line of /proc/PID/maps as an object; NULL when malformed. */
static json_t *
live_map_line(const char *line)
{
	unsigned long long start, end, offset, inode;
	char perms[5], text[24];
	unsigned major, minor;
	const char *path;
	json_t *m;
	size_t len;
	int used = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms,
	    &offset, &major, &minor, &inode, &used) < 7 || used == 0)
		return NULL;
	m = json_object();
	snprintf(text, sizeof text, "%llx", start);
	json_object_set_new(m, "start", json_string(text));
	snprintf(text, sizeof text, "%llx", end);
	json_object_set_new(m, "end", json_string(text));
	json_object_set_new(m, "perms", live_string(perms, strlen(perms)));
	json_object_set_new(m, "offset", json_integer((json_int_t)offset));
	snprintf(text, sizeof text, "%02x:%02x", major, minor);
	json_object_set_new(m, "dev", json_string(text));
	json_object_set_new(m, "inode", json_integer((json_int_t)inode));
	path = line + used;
	if ((len = strlen(path)) == 0)
		return m;
	if (path[0] == '/' && live_deleted_strip(path, &len))
		json_object_set_new(m, "deleted", json_true());
	live_set_bytes(m, "path", path, len);
	return m;
}

/* Add "maps" to a process, or why it could not be read. */
static void
live_maps_read(json_t *p, int dir, size_t *budget)
{
	struct live_file f;
	char *cursor, *line;
	json_t *list, *m;
	size_t n = 0;

	if (live_read(dir, "maps", LIVE_PROC_MAX, &f) != 0) {
		json_object_set_new(p, "maps", json_null());
		live_set_errno(p, "maps_error", errno);
		return;
	}
	list = json_array();
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if (n++ == LIVE_MAPS_MAX || *budget == 0) {
			f.truncated = true;
			break;
		}
		(*budget)--;
		if ((m = live_map_line(line)) != NULL)
			json_array_append_new(list, m);
		else
			json_object_set_new(p, "maps_malformed", json_true());
	}
	json_object_set_new(p, "maps", list);
	if (f.truncated)
		json_object_set_new(p, "maps_truncated", json_true());
	free(f.data);
}

/* Read one process's mappings through its open /proc/PID. */
static int
live_maps_process(json_t *p, int dir, void *budget)
{
	char comm[LIVE_COMM_SIZE];

	live_comm(dir, comm, sizeof comm);
	live_set_bytes(p, "comm", comm, strlen(comm));
	live_maps_read(p, dir, budget);
	return 0;
}

/* The maps source: every process's mappings, sorted by pid. */
static int
live_maps(struct live_run *run)
{
	size_t budget = LIVE_MAPS_TOTAL_MAX;

	return live_each_process(run->doc, "processes", live_maps_process,
	    &budget);
}

const struct live_reader live_reader_maps = {
	.origin = "/proc/[pid]/maps",
	.fill = live_maps,
};
