/* The kernel source's binfmt_misc: its status and every registered handler. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

#define LIVE_BINFMT_MAX		4096	/* handlers */

/*
 * One handler's text: "enabled" or "disabled", then lines "interpreter
 * PATH", "flags: LETTERS", "offset N", "magic HEX", "mask HEX" or
 * "extension .EXT", each kept under its first word.
 */
static json_t *
live_binfmt_handler(const char *name, char *text)
{
	json_t *h = json_object();
	char *cursor = text, *line, *value;

	live_set_bytes(h, "name", name, strlen(name));
	json_object_set_new(h, "enabled", json_null());
	while ((line = util_next_line(&cursor)) != NULL) {
		if (strcmp(line, "enabled") == 0 || strcmp(line, "disabled") == 0) {
			json_object_set_new(h, "enabled",
			    json_boolean(line[0] == 'e'));
			continue;
		}
		value = line + strcspn(line, " ");
		if (*value != '\0')
			*value++ = '\0';
		if (line[0] != '\0' && line[strlen(line) - 1] == ':')
			line[strlen(line) - 1] = '\0';
		if (util_utf8_printable(line, strlen(line)) && *line != '\0' &&
		    strcmp(line, "name") != 0 && strcmp(line, "enabled") != 0)
			json_object_set_new(h, line, live_string(value, strlen(value)));
	}
	return h;
}

/* Every handler file of an open binfmt_misc directory. */
static json_t *
live_binfmt_handlers(DIR *dir, json_t *errors)
{
	json_t *list = json_array();
	struct live_file f;
	struct dirent *de;

	while ((de = readdir(dir)) != NULL && json_array_size(list) < LIVE_BINFMT_MAX) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "status") == 0 ||
		    strcmp(de->d_name, "register") == 0)
			continue;
		if (live_read(dirfd(dir), de->d_name, LIVE_SYSFS_VALUE_MAX, &f) != 0) {
			live_note(errors);
			continue;
		}
		json_array_append_new(list, live_binfmt_handler(de->d_name, f.data));
		free(f.data);
	}
	return list;
}

/* binfmt_misc into doc["binfmt_misc"]: mounted or not, status, handlers. */
void
live_binfmt(json_t *doc, json_t *errors)
{
	json_t *b = json_object(), *status;
	DIR *dir;
	int fd;

	json_object_set_new(doc, "binfmt_misc", b);
	fd = open("/proc/sys/fs/binfmt_misc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	status = fd >= 0 ? live_sysfs_value(fd, "status", LIVE_SYSFS_VALUE_MAX,
	    NULL) : NULL;
	json_object_set_new(b, "mounted", json_boolean(status != NULL));
	if (status == NULL) {
		json_object_set_new(b, "status", json_null());
		json_object_set_new(b, "handlers", json_array());
		if (fd >= 0)
			close(fd);
		return;
	}
	json_object_set_new(b, "status", status);
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		json_object_set_new(b, "handlers", json_null());
		return;
	}
	json_object_set_new(b, "handlers", live_binfmt_handlers(dir, errors));
	closedir(dir);
}
