/* The system source: kernel, uptime, load, memory, boot identity. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* Add uname(2) as an object. */
static void
live_set_uname(json_t *doc)
{
	struct utsname u;
	json_t *o;

	if (uname(&u) != 0) {
		json_object_set_new(doc, "uname", json_null());
		return;
	}
	o = json_object();
	live_set_bytes(o, "sysname", u.sysname, strlen(u.sysname));
	live_set_bytes(o, "nodename", u.nodename, strlen(u.nodename));
	live_set_bytes(o, "release", u.release, strlen(u.release));
	live_set_bytes(o, "version", u.version, strlen(u.version));
	live_set_bytes(o, "machine", u.machine, strlen(u.machine));
	json_object_set_new(doc, "uname", o);
}

/* Add /proc/uptime and /proc/loadavg. */
static void
live_set_load(json_t *doc, json_t *errors)
{
	double up, idle, load[3];
	int running, total, last;
	struct live_file f;

	if (live_read(AT_FDCWD, "/proc/uptime", LIVE_PROC_MAX, &f) != 0)
		live_note(errors);
	else {
		if (sscanf(f.data, "%lf %lf", &up, &idle) == 2) {
			json_object_set_new(doc, "uptime_seconds", json_real(up));
			json_object_set_new(doc, "idle_seconds", json_real(idle));
		}
		free(f.data);
	}
	if (live_read(AT_FDCWD, "/proc/loadavg", LIVE_PROC_MAX, &f) != 0) {
		live_note(errors);
		return;
	}
	if (sscanf(f.data, "%lf %lf %lf %d/%d %d", &load[0], &load[1], &load[2],
	    &running, &total, &last) == 6)
		json_object_set_new(doc, "loadavg", json_pack("{s:f, s:f, s:f, "
		    "s:i, s:i, s:i}", "1min", load[0], "5min", load[1], "15min",
		    load[2], "running", running, "total", total, "last_pid", last));
	free(f.data);
}

/* Add /proc/meminfo as an object of name to value (kB for most). */
static void
live_set_meminfo(json_t *doc, json_t *errors)
{
	unsigned long long value;
	struct live_file f;
	char *cursor, *line, name[64];
	json_t *o;

	if (live_read(AT_FDCWD, "/proc/meminfo", LIVE_PROC_MAX, &f) != 0) {
		live_note(errors);
		json_object_set_new(doc, "meminfo_kb", json_null());
		return;
	}
	o = json_object();
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		if (sscanf(line, "%63[^:]: %llu", name, &value) == 2 &&
		    util_utf8_printable(name, strlen(name)))
			json_object_set_new(o, name,
			    json_integer((json_int_t)value));
	json_object_set_new(doc, "meminfo_kb", o);
	free(f.data);
}

/* The system source: kernel, uptime, load, memory, boot identity. */
static int
live_system(struct live_run *run)
{
	json_t *doc = run->doc, *errors = run->errors;
	live_set_uname(doc);
	live_set_load(doc, errors);
	live_set_meminfo(doc, errors);
	live_set_file(doc, "cmdline", "/proc/cmdline", errors);
	live_set_file(doc, "version", "/proc/version", errors);
	live_set_file(doc, "boot_id", "/proc/sys/kernel/random/boot_id", errors);
	live_set_tainted(doc, errors);
	json_object_set_new(doc, "cpus_online",
	    json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	live_set_file(doc, "cpus_online_list", "/sys/devices/system/cpu/online",
	    errors);
	return 0;
}

const struct live_reader live_reader_system = {
	.origin = "uname(2), /proc/{uptime,loadavg,meminfo,cmdline,version}, "
	    "/proc/sys/kernel/{random/boot_id,tainted}",
	.fill = live_system,
};
