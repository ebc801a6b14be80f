/* The modules source's /sys/module: every module, built-in ones too. */
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

#define LIVE_MODULES_MAX	100000
#define LIVE_PARAMETERS_MAX	1024	/* parameters of one module */

/* A module's parameters: readable ones with their values, the others named. */
static json_t *
live_module_parameters(int moddir, json_t *problems)
{
	json_t *values = json_object(), *value;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;

	fd = openat(moddir, "parameters", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return values;
	}
	while ((de = readdir(dir)) != NULL &&
	    json_object_size(values) < LIVE_PARAMETERS_MAX) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((st.st_mode & 0444) == 0) {
			json_object_set_new(problems, de->d_name,
			    json_string("not readable (mode)"));
			continue;
		}
		if ((value = live_sysfs_value(dirfd(dir), de->d_name,
		    LIVE_SYSFS_VALUE_MAX, problems)) != NULL)
			json_object_set_new(values, de->d_name, value);
	}
	closedir(dir);
	return values;
}

/* One /sys/module entry. */
static json_t *
live_sysfs_module(int parent, const char *name)
{
	static const char *files[] = { "version", "srcversion", "taint",
	    "refcnt", "initstate", "coresize", "initsize" };
	json_t *m, *problems, *value, *parameter_problems;
	size_t i;
	int fd;

	if ((fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return NULL;
	m = json_object();
	problems = json_object();
	parameter_problems = json_object();
	live_set_bytes(m, "name", name, strlen(name));
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		value = live_sysfs_value(fd, files[i], LIVE_SYSFS_VALUE_MAX, problems);
		json_object_set_new(m, files[i], value != NULL ? value : json_null());
	}
	/* Only a loadable module has an init state. */
	json_object_set_new(m, "builtin",
	    json_boolean(json_is_null(json_object_get(m, "initstate"))));
	json_object_set_new(m, "holders", live_sysfs_names(fd, "holders"));
	json_object_set_new(m, "parameters", live_module_parameters(fd,
	    parameter_problems));
	if (json_object_size(parameter_problems) > 0)
		json_object_set_new(problems, "parameters", parameter_problems);
	else
		json_decref(parameter_problems);
	json_object_set_new(m, "errors", problems);
	close(fd);
	return m;
}

/* Every module in /sys/module into doc["sysfs"]. 0 or -1. */
int
live_sysfs_modules(json_t *doc, json_t *errors)
{
	json_t *list = json_array(), *m;
	struct dirent *de;
	bool truncated = false;
	DIR *dir;

	if ((dir = opendir("/sys/module")) == NULL) {
		error_set_errno("/sys/module");
		live_note(errors);
		json_object_set_new(doc, "sysfs", json_null());
		json_decref(list);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (json_array_size(list) == LIVE_MODULES_MAX) {
			truncated = true;
			break;
		}
		if ((m = live_sysfs_module(dirfd(dir), de->d_name)) != NULL)
			json_array_append_new(list, m);
	}
	closedir(dir);
	json_object_set_new(doc, "sysfs_count",
	    json_integer((json_int_t)json_array_size(list)));
	json_object_set_new(doc, "sysfs_truncated", json_boolean(truncated));
	json_object_set_new(doc, "sysfs", list);
	return 0;
}
