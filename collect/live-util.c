/* Reading and recording, shared by the live readers. */
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
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* Read fd to its end, keeping at most max bytes. -1 with errno set. */
int
live_read_fd(int fd, size_t max, struct live_file *f)
{
	size_t size = 0;
	ssize_t n;
	char *grown;

	memset(f, 0, sizeof *f);
	for (;;) {
		if (f->len == size) {
			if (size > max) {
				f->truncated = true;
				break;
			}
			size = size == 0 ? 65536 : size * 2;
			if (size > max + 1)
				size = max + 1;
			if ((grown = realloc(f->data, size + 1)) == NULL)
				goto fail;
			f->data = grown;
		}
		n = read(fd, f->data + f->len, size - f->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		f->len += (size_t)n;
	}
	if (f->len > max)
		f->len = max;
	f->data[f->len] = '\0';
	return 0;
fail:
	n = errno;
	free(f->data);
	f->data = NULL;
	errno = (int)n;
	return -1;
}

/* Read a regular file below dirfd whole, up to max bytes. 0 or -1 (errno). */
int
live_read(int dirfd, const char *path, size_t max, struct live_file *f)
{
	int fd, rc, saved;

	if ((fd = util_open_file(dirfd, path, NULL)) < 0)
		return -1;
	rc = live_read_fd(fd, max, f);
	saved = errno;
	close(fd);
	errno = saved;
	if (rc != 0)
		return error_set_errno("%s", path);
	return 0;
}

/* Drop trailing newlines from a file's contents. */
void
live_chomp(struct live_file *f)
{
	while (f->len > 0 && f->data[f->len - 1] == '\n')
		f->data[--f->len] = '\0';
}

/* Make room for one more element of a growing array; NULL when out of memory. */
void *
live_grow(void *array, size_t *size, size_t n, size_t element)
{
	size_t want;
	void *grown;

	if (n < *size)
		return array;
	want = *size == 0 ? 64 : *size * 2;
	if ((grown = reallocarray(array, want, element)) == NULL) {
		error_set_errno("reallocarray");
		return NULL;
	}
	*size = want;
	return grown;
}

/* Set key to bytes as a string when UTF-8; else null, with key_base64. */
void
live_set_bytes(json_t *obj, const char *key, const char *data, size_t len)
{
	char name[128], *encoded;

	if (util_utf8_valid(data, len)) {
		json_object_set_new(obj, key, json_stringn(data, len));
		return;
	}
	json_object_set_new(obj, key, json_null());
	snprintf(name, sizeof name, "%s_base64", key);
	if ((encoded = util_base64(data, len)) == NULL)
		return;
	json_object_set_new(obj, name, json_string(encoded));
	free(encoded);
}

/* The length of the valid UTF-8 character (not NUL) at p, or 0. */
static size_t
live_character_length(const char *p, size_t left)
{
	size_t n;

	for (n = 1; n <= 4 && n <= left; n++)
		if (util_utf8_valid(p, n))
			return n;
	return 0;
}

/*
 * Bytes as escaped text (custody-formats(5), LIVE STATE): a backslash
 * doubled, a byte that is not part of a valid UTF-8 character (NUL
 * included) as \xHH, everything else as it is. malloc'd, or NULL.
 */
static char *
live_escape(const char *data, size_t len)
{
	char *out, *o;
	size_t i = 0, n;

	if (len > (size_t)1 << 28 || (out = malloc(4 * len + 1)) == NULL)
		return NULL;
	for (o = out; i < len; i += n) {
		if (data[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			n = 1;
		} else if ((n = live_character_length(data + i, len - i)) > 0) {
			memcpy(o, data + i, n);
			o += n;
		} else {
			o += snprintf(o, 5, "\\x%02x", (unsigned char)data[i]);
			n = 1;
		}
	}
	*o = '\0';
	return out;
}

/*
 * Bytes as a JSON string: as they are when they are UTF-8 without a
 * backslash, else escaped (see live_escape), so that the two never meet.
 */
json_t *
live_string(const char *data, size_t len)
{
	json_t *s;
	char *escaped;

	if (util_utf8_valid(data, len) && memchr(data, '\\', len) == NULL)
		return json_stringn(data, len);
	if ((escaped = live_escape(data, len)) == NULL) {
		error_set("out of memory");
		return NULL;
	}
	s = json_string(escaped);
	free(escaped);
	return s;
}

/* Append the last error message to a document's list of problems. */
void
live_note(json_t *errors)
{
	const char *message = error_message();

	json_array_append_new(errors, live_string(message, strlen(message)));
}

/* Set key to the trimmed contents of a small file, or null with a note. */
int
live_set_file(json_t *obj, const char *key, const char *path, json_t *errors)
{
	struct live_file f;

	if (live_read(AT_FDCWD, path, LIVE_PROC_MAX, &f) != 0) {
		json_object_set_new(obj, key, json_null());
		live_note(errors);
		return -1;
	}
	live_chomp(&f);
	live_set_bytes(obj, key, f.data, f.len);
	free(f.data);
	return 0;
}

/* Set an error key to the text of an errno value. */
void
live_set_errno(json_t *obj, const char *key, int error_number)
{
	json_object_set_new(obj, key, json_string(strerror(error_number)));
}

/* Set "count" to the length of a list. */
void
live_set_count(json_t *doc, json_t *list)
{
	json_object_set_new(doc, "count",
	    json_integer((json_int_t)json_array_size(list)));
}

/* Parse a whole string of decimal digits. */
bool
live_decimal(const char *text, unsigned long long *out)
{
	char *end;

	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Current UTC time as an ISO-8601 JSON string. */
json_t *
live_now(void)
{
	struct timespec now;
	char text[UTIL_TIME_SIZE];

	util_time_now(&now);
	util_time_format(&now, text);
	return json_string(text);
}

/* Order pids for qsort. */
static int
live_pid_compare(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The process ids listed in /proc, sorted. */
int
live_pids(struct live_pids *p)
{
	struct dirent *de;
	size_t size = 0;
	unsigned long long value;
	pid_t *grown;
	DIR *dir;

	memset(p, 0, sizeof *p);
	if ((dir = opendir("/proc")) == NULL)
		return error_set_errno("/proc");
	while ((de = readdir(dir)) != NULL) {
		if (!live_decimal(de->d_name, &value) || value == 0 ||
		    value > INT_MAX)
			continue;
		if (p->n == LIVE_PROCESSES_MAX) {
			p->truncated = true;
			break;
		}
		if ((grown = live_grow(p->v, &size, p->n, sizeof *p->v)) == NULL) {
			closedir(dir);
			free(p->v);
			return -1;
		}
		p->v = grown;
		p->v[p->n++] = (pid_t)value;
	}
	closedir(dir);
	if (p->n > 0)
		qsort(p->v, p->n, sizeof *p->v, live_pid_compare);
	return 0;
}

/* Open /proc/PID as a directory, so that all its files are of one process. */
int
live_pid_open(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Read one process into p through its open /proc/PID, or -1 when it is gone. */
static int
live_each_one(pid_t pid, json_t *list, json_t *vanished,
    int (*one)(json_t *, int, void *), void *arg)
{
	json_t *p;
	int dir, rc;

	if ((dir = live_pid_open(pid)) < 0)
		return json_array_append_new(vanished, json_integer(pid));
	p = json_object();
	json_object_set_new(p, "pid", json_integer(pid));
	rc = one(p, dir, arg);
	close(dir);
	if (rc != 0) {
		json_decref(p);
		return json_array_append_new(vanished, json_integer(pid));
	}
	return json_array_append_new(list, p);
}

/*
 * Every process in pid order, each read by one(p, piddir, arg) into an
 * object holding its "pid" (-1: it exited first); sets "count",
 * "truncated", "vanished" and key, the list. 0 or -1.
 */
int
live_each_process(json_t *doc, const char *key,
    int (*one)(json_t *, int, void *), void *arg)
{
	struct live_pids pids;
	json_t *list, *vanished;
	size_t i;

	if (live_pids(&pids) != 0)
		return -1;
	list = json_array();
	vanished = json_array();
	for (i = 0; i < pids.n; i++)
		live_each_one(pids.v[i], list, vanished, one, arg);
	live_set_count(doc, list);
	json_object_set_new(doc, "truncated", json_boolean(pids.truncated));
	json_object_set_new(doc, "vanished", vanished);
	json_object_set_new(doc, key, list);
	free(pids.v);
	return 0;
}

/* A process's command name from /proc/PID/comm; empty when unreadable. */
void
live_comm(int piddir, char *out, size_t size)
{
	struct live_file f;

	out[0] = '\0';
	if (live_read(piddir, "comm", LIVE_PROC_MAX, &f) != 0)
		return;
	live_chomp(&f);
	snprintf(out, size, "%s", f.data);
	free(f.data);
}

/* Undo the octal escapes (\040 and the like) of a mountinfo field, in place. */
size_t
live_unescape(char *text)
{
	char *in = text, *out = text;

	while (*in != '\0') {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') << 6 | (in[2] - '0') << 3 |
			    (in[3] - '0'));
			in += 4;
		} else
			*out++ = *in++;
	}
	*out = '\0';
	return (size_t)(out - text);
}

/* The names of the bits set in a flags word. */
json_t *
live_flag_names(unsigned long long flags, const struct live_flag *table,
    size_t n)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		if (flags & table[i].bit)
			json_array_append_new(list, json_string(table[i].name));
	return list;
}

/* The wall-clock time at which a clock (CLOCK_MONOTONIC, CLOCK_BOOTTIME) read zero. */
void
live_clock_origin(clockid_t clock, struct timespec *origin)
{
	struct timespec real, since;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(clock, &since);
	origin->tv_sec = real.tv_sec - since.tv_sec;
	origin->tv_nsec = real.tv_nsec - since.tv_nsec;
	if (origin->tv_nsec < 0) {
		origin->tv_sec--;
		origin->tv_nsec += 1000000000;
	}
}

/* An origin plus nanoseconds, as UTC ISO-8601 text. */
json_t *
live_time_after(const struct timespec *origin, uint64_t ns)
{
	struct timespec ts = *origin;
	char text[UTIL_TIME_SIZE];

	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec += (long)(ns % 1000000000);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	util_time_format(&ts, text);
	return json_string(text);
}
