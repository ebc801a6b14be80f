/* The kmsg source: the kernel ring buffer, read from /dev/kmsg without consuming it. */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

#define LIVE_KMSG_RECORD_MAX	(16 * 1024)	/* above the kernel's 8 KiB record */
#define LIVE_KMSG_RECORDS_MAX	100000	/* ~2.8 KB of memory each */
#define LIVE_KMSG_BYTES_MAX	((size_t)32 << 20)

/* What a read of the ring brought. */
struct live_kmsg {
	json_t		*records;
	size_t		 bytes;
	size_t		 malformed;
	size_t		 lost;		/* EPIPE: records overwritten while read */
	bool		 truncated;
	struct timespec	 boot;		/* CLOCK_REALTIME at boot, for UTC times */
};

/* The names of syslog facilities (RFC 5424) and levels. */
static const char *
live_kmsg_facility(unsigned facility)
{
	static const char *names[] = { "kern", "user", "mail", "daemon", "auth",
	    "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
	    "security", "console", "solaris-cron", "local0", "local1", "local2",
	    "local3", "local4", "local5", "local6", "local7" };

	return facility < 24 ? names[facility] : "unknown";
}

static const char *
live_kmsg_level(unsigned level)
{
	static const char *names[] = { "emerg", "alert", "crit", "err",
	    "warning", "notice", "info", "debug" };

	return names[level & 7];
}

/* The continuation lines of a record (" KEY=value") as an object. */
static json_t *
live_kmsg_dictionary(char *text)
{
	json_t *dict = json_object();
	char *cursor = text, *line, *equals;

	while ((line = util_next_line(&cursor)) != NULL) {
		if (*line != ' ' || (equals = strchr(line, '=')) == NULL)
			continue;
		*equals = '\0';
		if (util_utf8_printable(line + 1, strlen(line + 1)))
			json_object_set_new(dict, line + 1,
			    live_string(equals + 1, strlen(equals + 1)));
	}
	return dict;
}

/* One record, "PRI,SEQ,USEC,FLAGS[,...];MESSAGE\n[ KEY=VALUE\n]...". */
static json_t *
live_kmsg_record(struct live_kmsg *k, char *text)
{
	unsigned long long priority, sequence, usec;
	char *semicolon, *newline, flag = '-';
	json_t *r;

	if ((semicolon = strchr(text, ';')) == NULL)
		return NULL;
	*semicolon = '\0';
	if (sscanf(text, "%llu,%llu,%llu,%c", &priority, &sequence, &usec,
	    &flag) < 3)
		return NULL;
	newline = semicolon + 1 + strcspn(semicolon + 1, "\n");
	r = json_pack("{s:I, s:s, s:I, s:s, s:I, s:I, s:f, s:o, s:s#}",
	    "priority", (json_int_t)priority,
	    "facility", live_kmsg_facility((unsigned)(priority >> 3)),
	    "level", (json_int_t)(priority & 7),
	    "level_name", live_kmsg_level((unsigned)priority),
	    "sequence", (json_int_t)sequence, "usec", (json_int_t)usec,
	    "seconds", (double)usec / 1e6, "time_utc",
	    live_time_after(&k->boot, (uint64_t)usec * 1000), "flags", &flag, (size_t)1);
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "message", live_string(semicolon + 1,
	    (size_t)(newline - semicolon - 1)));
	if (*newline == '\n')
		json_object_set_new(r, "dictionary", live_kmsg_dictionary(newline + 1));
	return r;
}

/* Add one record's text; false when a cap is reached. */
static bool
live_kmsg_add(struct live_kmsg *k, char *text, size_t len)
{
	json_t *r;

	if (json_array_size(k->records) == LIVE_KMSG_RECORDS_MAX ||
	    k->bytes + len > LIVE_KMSG_BYTES_MAX) {
		k->truncated = true;
		return false;
	}
	k->bytes += len;
	if ((r = live_kmsg_record(k, text)) == NULL)
		k->malformed++;
	else
		json_array_append_new(k->records, r);
	return true;
}

/* Read the device one record per read until EAGAIN. 0 or -1 (errno). */
static int
live_kmsg_device(struct live_kmsg *k, int fd)
{
	char buffer[LIVE_KMSG_RECORD_MAX + 1];
	ssize_t n;

	for (;;) {
		n = read(fd, buffer, LIVE_KMSG_RECORD_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			k->lost++;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		buffer[n] = '\0';
		if (!live_kmsg_add(k, buffer, (size_t)n))
			return 0;
	}
}

/* The end of the line that starts at p, past its newline. */
static char *
live_kmsg_line_end(char *p)
{
	char *newline = strchr(p, '\n');

	return newline != NULL ? newline + 1 : p + strlen(p);
}

/* A saved copy of the ring (a regular file): a record a line, with its " KEY=" lines. */
static int
live_kmsg_copy(struct live_kmsg *k, int fd)
{
	struct live_file f;
	char *start, *end, saved;
	bool more = true;

	if (live_read_fd(fd, LIVE_KMSG_BYTES_MAX, &f) != 0)
		return -1;
	k->truncated = f.truncated;
	for (start = f.data; more && *start != '\0'; start = end) {
		end = live_kmsg_line_end(start);
		while (*end == ' ')
			end = live_kmsg_line_end(end);
		saved = *end;
		*end = '\0';
		more = live_kmsg_add(k, start, (size_t)(end - start));
		*end = saved;
	}
	free(f.data);
	return 0;
}

/*
 * Open the live host's /dev/kmsg: only the kernel's log device (char 1:11)
 * is opened, so that a name swapped for a tape or a terminal is never
 * touched; the open cannot block nor take a terminal. fd or -1 (error set).
 */
static int
live_kmsg_open_device(const char *path, struct stat *st)
{
	struct stat before;
	int fd;

	if (lstat(path, &before) != 0)
		return error_set_errno("%s", path);
	if (!S_ISCHR(before.st_mode) || major(before.st_rdev) != 1 ||
	    minor(before.st_rdev) != 11) {
		errno = EINVAL;
		return error_set("%s: not the kernel log device (%s %u:%u), "
		    "not opened", path, manifest_kind(before.st_mode),
		    major(before.st_rdev), minor(before.st_rdev));
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno("%s", path);
	if (fstat(fd, st) != 0 || st->st_rdev != before.st_rdev ||
	    st->st_dev != before.st_dev || st->st_ino != before.st_ino) {
		close(fd);
		errno = EAGAIN;
		return error_set("%s: changed between its stat and its open, "
		    "not read", path);
	}
	return fd;
}

/* Read the ring from the device, or a copy of it under a root. */
static int
live_kmsg_read(struct live_run *run, struct live_kmsg *k, const char *path)
{
	struct stat st;
	int fd, rc;

	fd = run->root[0] == '\0' ? live_kmsg_open_device(path, &st) :
	    util_open_file(AT_FDCWD, path, &st);
	if (fd < 0) {
		json_object_set_new(run->doc, "open_error",
		    json_string(strerror(errno)));
		live_note(run->errors);
		return -1;
	}
	rc = run->root[0] == '\0' ? live_kmsg_device(k, fd) :
	    live_kmsg_copy(k, fd);
	if (rc != 0) {
		error_set_errno("%s", path);
		live_note(run->errors);
	}
	close(fd);
	return 0;
}

/* The kmsg source: every record still in the ring, with its metadata. */
static int
live_kmsg_fill(struct live_run *run)
{
	struct live_kmsg k = { .records = json_array() };
	char path[PATH_MAX];

	live_clock_origin(CLOCK_MONOTONIC, &k.boot);
	if ((size_t)snprintf(path, sizeof path, "%s/dev/kmsg", run->root) >=
	    sizeof path)
		return json_decref(k.records), error_set("kmsg: root too long");
	if (live_kmsg_read(run, &k, path) != 0) {
		json_object_set_new(run->doc, "records", k.records);
		return 0;
	}
	live_set_count(run->doc, k.records);
	json_object_set_new(run->doc, "boot_time_utc", live_time_after(&k.boot, 0));
	json_object_set_new(run->doc, "lost", json_integer((json_int_t)k.lost));
	json_object_set_new(run->doc, "malformed", json_integer((json_int_t)k.malformed));
	json_object_set_new(run->doc, "truncated", json_boolean(k.truncated));
	json_object_set_new(run->doc, "records", k.records);
	return 0;
}

const struct live_reader live_reader_kmsg = {
	.origin = "/dev/kmsg",
	.fill = live_kmsg_fill,
};
