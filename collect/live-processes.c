/*
 * The processes source: /proc/PID/{stat,status,cmdline,exe,cwd,root}, each
 * descriptor with its fdinfo, environ, cgroup and namespaces.
 */
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

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* What turns start ticks into times. */
struct live_clock {
	long		 hz;
	long long	 btime;		/* -1 when unknown */
};

/* Clock ticks per second and the boot time from /proc/stat. */
static void
live_clock_init(struct live_clock *boot)
{
	struct live_file f;
	char *cursor, *line;

	boot->hz = sysconf(_SC_CLK_TCK);
	if (boot->hz <= 0)
		boot->hz = 100;
	boot->btime = -1;
	if (live_read(AT_FDCWD, "/proc/stat", LIVE_PROC_MAX, &f) != 0)
		return;
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		if (sscanf(line, "btime %lld", &boot->btime) == 1)
			break;
	free(f.data);
}

/* Set "started" to the UTC time of a number of ticks after boot. */
static void
live_set_started(json_t *p, const struct live_clock *boot,
    unsigned long long ticks)
{
	unsigned long long hz = (unsigned long long)boot->hz;
	struct timespec ts;
	char text[UTIL_TIME_SIZE];

	json_object_set_new(p, "start_ticks", json_integer((json_int_t)ticks));
	json_object_set_new(p, "start_seconds_after_boot",
	    json_real((double)ticks / (double)boot->hz));
	if (boot->btime < 0) {
		json_object_set_new(p, "started", json_null());
		return;
	}
	ts.tv_sec = (time_t)(boot->btime + (long long)(ticks / hz));
	ts.tv_nsec = (long)(ticks % hz * 1000000000ULL / hz);
	util_time_format(&ts, text);
	json_object_set_new(p, "started", json_string(text));
}

/*
 * Parse /proc/PID/stat into p. The command name sits in parentheses and
 * may itself hold spaces and ')', so the fields start after the last ')'.
 */
static int
live_stat_parse(json_t *p, const char *text, size_t len,
    const struct live_clock *boot)
{
	const char *first, *last, *field;
	unsigned long long values[23];
	int n;

	first = memchr(text, '(', len);
	last = memrchr(text, ')', len);
	if (first == NULL || last == NULL || last < first)
		return -1;
	field = last + 1;
	for (n = 3; n <= 22; n++) {
		field += strspn(field, " ");
		if (*field == '\0')
			return -1;
		values[n] = n == 3 ? (unsigned char)*field :
		    strtoull(field, NULL, 10);
		field += strcspn(field, " ");
	}
	live_set_bytes(p, "comm", first + 1, (size_t)(last - first - 1));
	json_object_set_new(p, "ppid", json_integer((json_int_t)values[4]));
	json_object_set_new(p, "state", json_sprintf("%c", (char)values[3]));
	json_object_set_new(p, "threads", json_integer((json_int_t)values[20]));
	live_set_started(p, boot, values[22]);
	return 0;
}

/* Add the fields of /proc/PID/stat. -1 when the process has gone. */
static int
live_process_stat(json_t *p, int dir, const struct live_clock *boot)
{
	struct live_file f;

	if (live_read(dir, "stat", LIVE_PROC_MAX, &f) != 0)
		return -1;
	if (live_stat_parse(p, f.data, f.len, boot) != 0)
		json_object_set_new(p, "stat_error", json_string("malformed"));
	free(f.data);
	return 0;
}

/* Set an id and, when known, its name. */
static void
live_set_id(json_t *p, const char *key, const char *name_key, unsigned id,
    const char *name)
{
	json_object_set_new(p, key, json_integer(id));
	if (name_key != NULL)
		json_object_set_new(p, name_key,
		    name != NULL ? json_string(name) : json_null());
}

/* Add the real and effective user and group from /proc/PID/status. */
static void
live_process_status(json_t *p, int dir, const struct idmap *ids)
{
	unsigned uid[4], gid[4];
	int have_uid = 0, have_gid = 0;
	struct live_file f;
	char *cursor, *line;

	if (live_read(dir, "status", LIVE_PROC_MAX, &f) != 0) {
		live_set_errno(p, "status_error", errno);
		return;
	}
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if (!have_uid && sscanf(line, "Uid: %u %u %u %u", &uid[0],
		    &uid[1], &uid[2], &uid[3]) == 4)
			have_uid = 1;
		if (!have_gid && sscanf(line, "Gid: %u %u %u %u", &gid[0],
		    &gid[1], &gid[2], &gid[3]) == 4)
			have_gid = 1;
	}
	free(f.data);
	if (have_uid) {
		live_set_id(p, "uid", "user", uid[0], idmap_user(ids, uid[0]));
		live_set_id(p, "euid", NULL, uid[1], NULL);
	}
	if (have_gid) {
		live_set_id(p, "gid", "group", gid[0], idmap_group(ids, gid[0]));
		live_set_id(p, "egid", NULL, gid[1], NULL);
	}
}

/* Add a /proc/PID link (exe, cwd, root) and whether its target was deleted. */
static void
live_process_link(json_t *p, int dir, const char *name)
{
	char target[PATH_MAX + 1], key[32];
	size_t len;
	ssize_t n;

	if ((n = readlinkat(dir, name, target, sizeof target)) < 0) {
		json_object_set_new(p, name, json_null());
		snprintf(key, sizeof key, "%s_error", name);
		if (errno != ENOENT)
			live_set_errno(p, key, errno);
		return;
	}
	live_set_bytes(p, name, target, (size_t)n);
	snprintf(key, sizeof key, "%s_deleted", name);
	len = (size_t)n;
	if (live_deleted_strip(target, &len))
		json_object_set_new(p, key, json_true());
}

/* Mark a process that exited while it was read: what follows is partial. */
static void
live_process_gone(json_t *p, int dir)
{
	struct stat st;

	if (fstatat(dir, "stat", &st, 0) != 0)
		json_object_set_new(p, "partial", json_true());
}

/* What reading a process needs besides its directory. */
struct live_process_context {
	struct live_clock	 boot;
	struct idmap		*ids;
	size_t			 fd_budget;	/* descriptors still to list */
	size_t			 environ_budget;	/* bytes of environ still to keep */
	bool			 withhold;	/* secret environment values left out */
};

/* Read one process through its open /proc/PID; -1 when it exited first. */
static int
live_process(json_t *p, int dir, void *arg)
{
	struct live_process_context *context = arg;

	if (live_process_stat(p, dir, &context->boot) != 0)
		return -1;
	live_process_status(p, dir, context->ids);
	live_process_cmdline(p, dir);
	live_process_link(p, dir, "exe");
	live_process_link(p, dir, "cwd");
	live_process_link(p, dir, "root");
	live_process_fds(p, dir, &context->fd_budget);
	live_process_environ(p, dir, &context->environ_budget,
	    context->withhold);
	live_process_isolation(p, dir);
	live_process_gone(p, dir);
	return 0;
}

/* Set the boot time as a UTC string, or null. */
static void
live_set_boot_time(json_t *doc, const struct live_clock *boot)
{
	struct timespec ts;
	char text[UTIL_TIME_SIZE];

	if (boot->btime < 0) {
		json_object_set_new(doc, "boot_time", json_null());
		return;
	}
	ts.tv_sec = (time_t)boot->btime;
	ts.tv_nsec = 0;
	util_time_format(&ts, text);
	json_object_set_new(doc, "boot_time", json_string(text));
}

/* The processes source: every /proc/PID, sorted by pid. */
static int
live_processes(struct live_run *run)
{
	struct live_process_context context;
	int rc;

	live_clock_init(&context.boot);
	context.fd_budget = LIVE_FD_TOTAL_MAX;
	context.environ_budget = LIVE_ENVIRON_TOTAL_MAX;
	context.withhold = !run->include_secrets;
	if ((context.ids = idmap_load()) == NULL)
		live_note(run->errors);
	json_object_set_new(run->doc, "clock_ticks_per_second",
	    json_integer(context.boot.hz));
	live_set_boot_time(run->doc, &context.boot);
	rc = live_each_process(run->doc, "processes", live_process, &context);
	idmap_free(context.ids);
	return rc;
}

const struct live_reader live_reader_processes = {
	.origin = "/proc/[pid]/{stat,status,cmdline,exe,cwd,root,fd,fdinfo,environ,cgroup,ns}",
	.fill = live_processes,
};
