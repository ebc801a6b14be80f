/* Reading /sys attribute files and directories, shared by the live readers. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"

#include "collector.h"
#include "live.h"

/* A small file below dirfd, trimmed, or null when absent; the reason in errors. */
json_t *
live_sysfs_value(int dirfd, const char *name, size_t max, json_t *problems)
{
	struct live_file f;
	json_t *value;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || live_read_fd(fd, max, &f) != 0) {
		if (errno != ENOENT && problems != NULL)
			json_object_set_new(problems, name,
			    json_string(strerror(errno)));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	live_chomp(&f);
	value = live_string(f.data, f.len);
	if (f.truncated && problems != NULL)
		json_object_set_new(problems, name, json_string("truncated"));
	free(f.data);
	return value;
}

/* The names in a subdirectory (holders), sorted as readdir gives them. */
json_t *
live_sysfs_names(int dirfd, const char *sub)
{
	struct dirent *de;
	json_t *list;
	DIR *dir;
	int fd;

	fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return json_null();
	}
	list = json_array();
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			json_array_append_new(list,
			    live_string(de->d_name, strlen(de->d_name)));
	closedir(dir);
	return list;
}
