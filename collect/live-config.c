/*
 * Database servers' configuration files read for the logfiles source:
 * each file once (by device and inode), includes bounded in depth and in
 * number, every file met recorded with what became of it.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "live.h"
#include "live-locate.h"
#include "live-logfiles.h"

/* True when the file was read before (by device and inode), else remembered. */
static bool
live_config_seen(struct live_config *cfg, const struct stat *st)
{
	size_t i;

	for (i = 0; i < cfg->count; i++)
		if (cfg->read[i].dev == st->st_dev && cfg->read[i].ino == st->st_ino)
			return true;
	cfg->read[cfg->count].dev = st->st_dev;
	cfg->read[cfg->count].ino = st->st_ino;
	cfg->count++;
	return false;
}

/* Why a file is not read: too deep, too many; NULL when it may be. */
static const char *
live_config_bound(const struct live_config *cfg, int depth)
{
	if (depth > LIVE_CONFIG_DEPTH)
		return "not read: includes nested too deep";
	if (cfg->count >= LIVE_CONFIG_FILES_MAX)
		return "not read: too many configuration files";
	return NULL;
}

/* Hand each line of a file's text to the reader, at the file's depth. */
static int
live_config_lines(struct live_config *cfg, const char *host, char *text,
    int depth)
{
	int saved_depth = cfg->depth, saved_section = cfg->section, rc = 0;
	size_t number = 0;
	char *line;

	cfg->depth = depth;
	cfg->section = 0;
	while (rc == 0 && (line = util_next_line(&text)) != NULL)
		rc = cfg->line(cfg, host, ++number, line);
	cfg->depth = saved_depth;
	cfg->section = saved_section;
	return rc;
}

/* Read one file and what it includes. */
int
live_config_read(struct live_config *cfg, const char *host, int depth,
    bool must_exist)
{
	struct live_file f;
	struct stat st;
	char real[PATH_MAX];
	json_t *record = json_pack("{s:o}", "path", live_string(host, strlen(host)));
	const char *why = live_config_bound(cfg, depth);
	int rc;

	json_array_append_new(cfg->files, record);
	if (why != NULL) {
		json_object_set_new(record, "status", json_string(why));
		return 0;
	}
	if (live_locate_read(cfg->run, host, LIVE_CONFIG_MAX, &f, real, &st) != 0) {
		json_object_set_new(record, "status", json_string(errno == ENOENT &&
		    !must_exist ? "not present" : errno == EINVAL || errno == EISDIR ?
		    "not collected: not a regular file" : "unreadable"));
		json_object_set_new(record, "error", json_string(error_message()));
		return 0;
	}
	if (live_config_seen(cfg, &st)) {
		json_object_set_new(record, "status", json_string("read before"));
		free(f.data);
		return 0;
	}
	json_object_set_new(record, "status", json_string(f.truncated ?
	    "read in part (size limit)" : "read"));
	rc = live_config_lines(cfg, host, f.data, depth);
	free(f.data);
	return rc;
}

/* One file of an included directory. */
static int
live_config_included(void *arg, const char *path)
{
	struct live_config *cfg = arg;

	return live_config_read(cfg, path, cfg->depth + 1, true);
}

/* Read each file of a directory matching a pattern, one level deeper. */
int
live_config_include_dir(struct live_config *cfg, const char *dir,
    const char *pattern)
{
	return live_locate_each(cfg->run, dir, pattern, LIVE_CONFIG_FILES_MAX,
	    live_config_included, cfg);
}

/* A path a file names, relative to that file's directory, normalised. */
int
live_config_relative(const char *file, const char *value, char *out,
    size_t size)
{
	char joined[PATH_MAX * 2];

	if (value[0] == '/')
		snprintf(joined, sizeof joined, "%s", value);
	else
		snprintf(joined, sizeof joined, "%s/../%s", file, value);
	return live_locate_normalize(joined, out, size);
}

/* Record a setting as {"value", "origin": "FILE:LINE"}; the last one wins. */
void
live_config_set(struct live_config *cfg, const char *name, const char *value,
    const char *file, size_t line)
{
	json_t *setting = json_pack("{s:o}", "value", live_string(value,
	    strlen(value)));

	live_logfiles_origin(setting, file, line);
	json_object_set_new(cfg->settings, name, setting);
}
