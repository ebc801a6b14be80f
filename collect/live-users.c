/* The users source: /run/utmp and systemd-logind sessions, under root:. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utmpx.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"
#include "live-locate.h"

#define LIVE_UTMP_MAX		((size_t)64 << 20)
#define LIVE_SESSION_MAX	((size_t)64 << 10)	/* one logind session */
#define LIVE_SESSIONS_MAX	4096

/* The name of a utmp record type. */
static const char *
live_utmp_type(short type)
{
	static const char *names[] = { "EMPTY", "RUN_LVL", "BOOT_TIME",
	    "NEW_TIME", "OLD_TIME", "INIT_PROCESS", "LOGIN_PROCESS",
	    "USER_PROCESS", "DEAD_PROCESS", "ACCOUNTING" };

	if (type < 0 || (size_t)type >= sizeof names / sizeof names[0])
		return "UNKNOWN";
	return names[type];
}

/* Set key to a fixed-size utmp field, which need not end in NUL. */
static void
live_set_field(json_t *obj, const char *key, const char *field, size_t size)
{
	live_set_bytes(obj, key, field, strnlen(field, size));
}

/* The remote address of a utmp record, or null. */
static json_t *
live_utmp_address(const struct utmpx *u)
{
	char text[INET6_ADDRSTRLEN];
	int family = AF_INET6;

	if (u->ut_addr_v6[0] == 0 && u->ut_addr_v6[1] == 0 &&
	    u->ut_addr_v6[2] == 0 && u->ut_addr_v6[3] == 0)
		return json_null();
	if (u->ut_addr_v6[1] == 0 && u->ut_addr_v6[2] == 0 &&
	    u->ut_addr_v6[3] == 0)
		family = AF_INET;
	if (inet_ntop(family, u->ut_addr_v6, text, sizeof text) == NULL)
		return json_null();
	return json_string(text);
}

/* One USER_PROCESS record as a session object. */
static json_t *
live_utmp_session(const struct utmpx *u)
{
	struct timespec ts;
	char text[UTIL_TIME_SIZE];
	json_t *s = json_object();

	live_set_field(s, "user", u->ut_user, sizeof u->ut_user);
	live_set_field(s, "tty", u->ut_line, sizeof u->ut_line);
	live_set_field(s, "host", u->ut_host, sizeof u->ut_host);
	json_object_set_new(s, "address", live_utmp_address(u));
	json_object_set_new(s, "pid", json_integer(u->ut_pid));
	ts.tv_sec = (time_t)u->ut_tv.tv_sec;
	ts.tv_nsec = (long)u->ut_tv.tv_usec * 1000;
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		ts.tv_nsec = 0;
	util_time_format(&ts, text);
	json_object_set_new(s, "login_time", json_string(text));
	return s;
}

/* Parse fixed-size utmp records into sessions and a count of each type. */
static void
live_utmp_parse(json_t *doc, const struct live_file *f)
{
	json_t *sessions = json_array(), *counts = json_object(), *count;
	struct utmpx u;
	const char *type;
	size_t off;

	for (off = 0; off + sizeof u <= f->len; off += sizeof u) {
		memcpy(&u, f->data + off, sizeof u);
		type = live_utmp_type(u.ut_type);
		count = json_object_get(counts, type);
		json_object_set_new(counts, type, json_integer(count == NULL ?
		    1 : json_integer_value(count) + 1));
		if (u.ut_type == USER_PROCESS)
			json_array_append_new(sessions, live_utmp_session(&u));
	}
	json_object_set_new(doc, "record_size", json_integer((json_int_t)sizeof u));
	json_object_set_new(doc, "records", counts);
	if (f->len % sizeof u != 0)
		json_object_set_new(doc, "trailing_bytes",
		    json_integer((json_int_t)(f->len % sizeof u)));
	json_object_set_new(doc, "sessions", sessions);
}

/* Read utmp (or its old location) and add its sessions. -1 when absent. */
static int
live_utmp(const struct live_run *run, json_t *doc, json_t *errors)
{
	static const char *paths[] = { "/run/utmp", "/var/run/utmp" };
	char real[PATH_MAX];
	struct live_file f;
	struct stat st;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (live_locate_read(run, paths[i], LIVE_UTMP_MAX, &f, real, &st) == 0)
			break;
		/* /var/run is most often a link to /run, never followed. */
		if (errno != ENOENT && (i == 0 || (errno != ELOOP && errno != ENOTDIR)))
			live_note(errors);
	}
	if (i == 2) {
		json_object_set_new(doc, "utmp", json_null());
		json_object_set_new(doc, "sessions", json_array());
		json_object_set_new(doc, "note", json_string("no readable utmp "
		    "file (/run/utmp, /var/run/utmp)"));
		return -1;
	}
	json_object_set_new(doc, "utmp", live_string(real, strlen(real)));
	if (f.truncated)
		json_object_set_new(doc, "utmp_truncated", json_true());
	live_utmp_parse(doc, &f);
	free(f.data);
	return 0;
}

/* One systemd-logind session file as an object of its KEY=VALUE lines. */
static json_t *
live_logind_session(int dir, const char *name)
{
	struct live_file f;
	char *cursor, *line, *equals;
	json_t *s;

	if (live_read(dir, name, LIVE_SESSION_MAX, &f) != 0)
		return NULL;
	s = json_object();
	live_set_bytes(s, "id", name, strlen(name));
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if ((equals = strchr(line, '=')) == NULL || equals == line)
			continue;
		*equals = '\0';
		if (util_utf8_printable(line, strlen(line)))
			live_set_bytes(s, line, equals + 1, strlen(equals + 1));
	}
	free(f.data);
	return s;
}

/* Add the sessions systemd-logind records in /run/systemd/sessions. */
static int
live_logind(const struct live_run *run, json_t *doc, json_t *errors)
{
	static const char sessions[] = "/run/systemd/sessions";
	json_t *list, *s;
	struct dirent *de;
	size_t n = 0;
	DIR *dir = NULL;
	int fd;

	if ((fd = live_locate_open_dir(run, sessions)) < 0 ||
	    (dir = fdopendir(fd)) == NULL) {
		if (errno != ENOENT) {
			error_set_errno("%s", sessions);
			live_note(errors);
		}
		if (fd >= 0)
			close(fd);
		json_object_set_new(doc, "logind_sessions", json_null());
		return -1;
	}
	list = json_array();
	while ((de = readdir(dir)) != NULL && n < LIVE_SESSIONS_MAX) {
		/* Skip "." entries and the *.ref FIFOs beside each session. */
		if (strchr(de->d_name, '.') != NULL)
			continue;
		if ((s = live_logind_session(dirfd(dir), de->d_name)) != NULL) {
			json_array_append_new(list, s);
			n++;
		}
	}
	closedir(dir);
	json_object_set_new(doc, "logind_sessions", list);
	return 0;
}

/* The users source: sessions from utmp, and from logind when present. */
static int
live_users(struct live_run *run)
{
	json_t *doc = run->doc, *errors = run->errors;
	/* Neither utmp nor logind is a normal state on minimal hosts. */
	live_utmp(run, doc, errors);
	live_logind(run, doc, errors);
	return 0;
}

const struct live_reader live_reader_users = {
	.origin = "/run/utmp, /run/systemd/sessions",
	.fill = live_users,
};
