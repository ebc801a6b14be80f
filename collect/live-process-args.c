/* The NUL-separated lists of a process: /proc/PID/cmdline and environ. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* Split NUL-separated strings into an array; NULL when one is not UTF-8. */
static json_t *
live_args(const char *data, size_t len)
{
	json_t *args = json_array();
	size_t i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && data[i] != '\0')
			continue;
		if (i < len || i > start) {
			if (!util_utf8_valid(data + start, i - start)) {
				json_decref(args);
				return NULL;
			}
			json_array_append_new(args,
			    json_stringn(data + start, i - start));
		}
		start = i + 1;
	}
	return args;
}

/*
 * Set key to the list in data (NUL-separated), or to null with
 * key_base64 holding the raw bytes when a string is not UTF-8.
 */
static void
live_set_list(json_t *p, const char *key, const char *data, size_t len)
{
	char name[64], *encoded;
	json_t *list;

	list = live_args(data, len);
	json_object_set_new(p, key, list != NULL ? list : json_null());
	if (list != NULL || (encoded = util_base64(data, len)) == NULL)
		return;
	snprintf(name, sizeof name, "%s_base64", key);
	json_object_set_new(p, name, json_string(encoded));
	free(encoded);
}

/* Add a list file of the process, keeping at most max bytes of it; its length. */
static size_t
live_process_list(json_t *p, int dir, const char *key, size_t max)
{
	struct live_file f;
	char name[64];
	size_t len, back;
	struct stat st;
	int error;

	if (live_read(dir, key, max, &f) != 0) {
		error = errno;
		json_object_set_new(p, key, json_null());
		snprintf(name, sizeof name, "%s_error", key);
		/* A kernel thread has no memory, hence no list: not an error. */
		if (error != ESRCH || fstatat(dir, "stat", &st, 0) != 0)
			live_set_errno(p, name, error);
		return 0;
	}
	len = f.len;
	/* A cut may split a UTF-8 sequence: end the last string before it. */
	for (back = 0; f.truncated && back < 4 && back < f.len; back++)
		if (util_utf8_valid(f.data, f.len - back)) {
			len = f.len - back;
			break;
		}
	live_set_list(p, key, f.data, len);
	if (f.truncated) {
		snprintf(name, sizeof name, "%s_truncated", key);
		json_object_set_new(p, name, json_true());
	}
	free(f.data);
	return len;
}

/* Add the command line: an array of arguments, or cmdline_base64. */
void
live_process_cmdline(json_t *p, int dir)
{
	(void)live_process_list(p, dir, "cmdline", LIVE_PROC_MAX);
}

/* Add the environment: an array of NAME=value strings, or environ_base64, within budget. */
void
live_process_environ(json_t *p, int dir, size_t *budget)
{
	size_t max = *budget < LIVE_ENVIRON_MAX ? *budget : LIVE_ENVIRON_MAX;

	if (max == 0) {
		json_object_set_new(p, "environ", json_null());
		json_object_set_new(p, "environ_truncated", json_true());
		return;
	}
	*budget -= live_process_list(p, dir, "environ", max);
}
