/* The mounts source: /proc/self/mountinfo. */
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

/* Set key to an escaped mountinfo field, unescaped. */
static void
live_set_escaped(json_t *obj, const char *key, char *field)
{
	size_t len = live_unescape(field);

	live_set_bytes(obj, key, field, len);
}

/* The optional fields and the part after "-" of a mountinfo line. */
static int
live_mount_tail(json_t *m, char **save)
{
	json_t *optional = json_array();
	char *field;

	while ((field = strtok_r(NULL, " ", save)) != NULL &&
	    strcmp(field, "-") != 0)
		json_array_append_new(optional, live_string(field, strlen(field)));
	json_object_set_new(m, "optional", optional);
	if (field == NULL)
		return -1;
	if ((field = strtok_r(NULL, " ", save)) == NULL)
		return -1;
	live_set_escaped(m, "fstype", field);
	if ((field = strtok_r(NULL, " ", save)) == NULL)
		return -1;
	live_set_escaped(m, "source", field);
	if ((field = strtok_r(NULL, " ", save)) != NULL)
		live_set_escaped(m, "super_options", field);
	return 0;
}

/* One mountinfo line as an object; NULL if malformed. */
static json_t *
live_mount(char *line)
{
	static const char *keys[] = { NULL, NULL, "major_minor", "root",
	    "mount_point", "options" };
	char *field[6], *save;
	json_t *m;
	int n;

	for (n = 0; n < 6; n++)
		if ((field[n] = strtok_r(n == 0 ? line : NULL, " ", &save)) == NULL)
			return NULL;
	m = json_object();
	json_object_set_new(m, "mount_id",
	    json_integer(strtoll(field[0], NULL, 10)));
	json_object_set_new(m, "parent_id",
	    json_integer(strtoll(field[1], NULL, 10)));
	for (n = 2; n < 6; n++)
		live_set_escaped(m, keys[n], field[n]);
	if (live_mount_tail(m, &save) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* The mounts source: /proc/self/mountinfo, the collector's mount namespace. */
static int
live_mounts(struct live_run *run)
{
	json_t *doc = run->doc, *errors = run->errors;
	struct live_file f;
	char *cursor, *line;
	json_t *list, *m;

	(void)errors;
	if (live_read(AT_FDCWD, "/proc/self/mountinfo", LIVE_TABLE_MAX, &f) != 0)
		return -1;
	list = json_array();
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		if ((m = live_mount(line)) != NULL)
			json_array_append_new(list, m);
	live_set_count(doc, list);
	if (f.truncated)
		json_object_set_new(doc, "truncated", json_true());
	json_object_set_new(doc, "mounts", list);
	free(f.data);
	return 0;
}

const struct live_reader live_reader_mounts = {
	.origin = "/proc/self/mountinfo",
	.fill = live_mounts,
};
