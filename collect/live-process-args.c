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

/*
 * Environment variables whose values are secrets by their name: a name
 * holding one of these (case aside), or one of the exact names.
 */
static const char *const secret_words[] = {
	"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL",
	"PRIVATE_KEY", "API_KEY", "APIKEY", "ACCESS_KEY", NULL
};
static const char *const secret_names[] = {
	"MYSQL_PWD", "REDISCLI_AUTH", NULL
};

/* True when the variable NAME (len bytes) holds a secret by its name. */
static bool
live_secret_name(const char *name, size_t len)
{
	char upper[128];
	size_t i;

	if (len == 0 || len >= sizeof upper)
		return false;
	for (i = 0; i < len; i++)
		upper[i] = name[i] >= 'a' && name[i] <= 'z' ?
		    (char)(name[i] - 'a' + 'A') : name[i];
	upper[len] = '\0';
	for (i = 0; secret_names[i] != NULL; i++)
		if (strcmp(upper, secret_names[i]) == 0)
			return true;
	for (i = 0; secret_words[i] != NULL; i++)
		if (strstr(upper, secret_words[i]) != NULL)
			return true;
	return false;
}

/*
 * Cut the value of every secret variable out of a NUL-separated
 * environment, in place ("NAME=value" becomes "NAME="); *len shrinks.
 * The names go to withheld (those that are UTF-8). 0, or -1 out of memory.
 */
static int
live_withhold(char *data, size_t *len, json_t *withheld)
{
	size_t in = 0, out = 0, end, keep;
	const char *eq;

	while (in < *len) {
		for (end = in; end < *len && data[end] != '\0'; end++)
			;
		keep = end - in;
		eq = memchr(data + in, '=', keep);
		if (eq != NULL && live_secret_name(data + in, (size_t)(eq - (data + in)))) {
			keep = (size_t)(eq - (data + in)) + 1;
			if (util_utf8_valid(data + in, keep - 1) &&
			    json_array_append_new(withheld,
			    json_stringn(data + in, keep - 1)) != 0)
				return -1;
		}
		memmove(data + out, data + in, keep);
		out += keep;
		if (end < *len)
			data[out++] = '\0';
		in = end + 1;
	}
	*len = out;
	return 0;
}

/* Withhold the secret values of an environment, recording their names. */
static void
live_withhold_environ(json_t *p, char *data, size_t *len)
{
	json_t *withheld = json_array();

	if (withheld == NULL || live_withhold(data, len, withheld) != 0) {
		/* Nothing may leak when memory runs out: keep no environment. */
		*len = 0;
		json_object_set_new(p, "environ_error", json_string("out of memory"));
	}
	if (json_array_size(withheld) > 0)
		json_object_set_new(p, "environ_withheld", withheld);
	else
		json_decref(withheld);
}

/*
 * Add a list file of the process, keeping at most max bytes of it; the
 * bytes read. With withhold, secret values are cut out first.
 */
static size_t
live_process_list(json_t *p, int dir, const char *key, size_t max, bool withhold)
{
	struct live_file f;
	char name[64];
	size_t len, back, got;
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
	got = len;
	if (withhold)
		live_withhold_environ(p, f.data, &len);
	live_set_list(p, key, f.data, len);
	if (f.truncated) {
		snprintf(name, sizeof name, "%s_truncated", key);
		json_object_set_new(p, name, json_true());
	}
	free(f.data);
	return got;
}

/* Add the command line: an array of arguments, or cmdline_base64. */
void
live_process_cmdline(json_t *p, int dir)
{
	(void)live_process_list(p, dir, "cmdline", LIVE_PROC_MAX, false);
}

/*
 * Add the environment: an array of NAME=value strings, or environ_base64,
 * within budget; with withhold, without the values of secret variables.
 */
void
live_process_environ(json_t *p, int dir, size_t *budget, bool withhold)
{
	size_t max = *budget < LIVE_ENVIRON_MAX ? *budget : LIVE_ENVIRON_MAX;

	if (max == 0) {
		json_object_set_new(p, "environ", json_null());
		json_object_set_new(p, "environ_truncated", json_true());
		return;
	}
	*budget -= live_process_list(p, dir, "environ", max, withhold);
}
