/*
 * PostgreSQL's log directories from its configuration: postgresql.conf
 * (with include, include_if_exists and include_dir) and
 * postgresql.auto.conf, under /etc/postgresql/VERSION/CLUSTER and in the
 * data directories; log_directory relative to data_directory.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
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

#define LIVE_PG_NAME_MAX	64

/* Data directories where packages put them, when no configuration says. */
static const char *const live_pg_data_globs[][2] = {
	{ "/var/lib/postgresql", "*/main" },	/* Debian: VERSION/main */
	{ "/var/lib/pgsql", "data" },		/* RHEL */
	{ "/var/lib/pgsql", "*/data" },		/* PGDG on RHEL: VERSION/data */
	{ "/var/lib/postgresql", "data" },	/* the official container image */
};

/* The settings that matter here. */
static const char *const live_pg_settings[] = {
	"data_directory", "log_directory", "logging_collector",
	"log_destination", "log_filename", NULL
};

/* One configuration being read: its files and settings. */
struct live_pg {
	struct live_run	*run;
	json_t		*files;
	json_t		*settings;
	size_t		 count;
};

static int live_pg_read(struct live_pg *, const char *host, int depth,
    bool must_exist);

/* The value of a line after its name: quoted ('' and \ escapes) or a bare word. */
static void
live_pg_value(const char *p, char *out, size_t size)
{
	size_t n = 0;

	while (*p == ' ' || *p == '\t' || *p == '=')
		p++;
	if (*p == '\'') {
		for (p++; *p != '\0' && n + 1 < size; p++) {
			if (*p == '\'' && p[1] == '\'')
				p++;
			else if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '\'')
				break;
			out[n++] = *p;
		}
	} else
		while (*p != '\0' && *p != '#' && !isspace((unsigned char)*p) &&
		    n + 1 < size)
			out[n++] = *p++;
	out[n] = '\0';
}

/* A path a file names, relative to that file's directory. */
static int
live_pg_relative(const char *file, const char *value, char *out, size_t size)
{
	char joined[PATH_MAX * 2];

	if (value[0] == '/')
		snprintf(joined, sizeof joined, "%s", value);
	else
		snprintf(joined, sizeof joined, "%s/../%s", file, value);
	return live_locate_normalize(joined, out, size);
}

/* include_dir: every *.conf of a directory, in name order. */
static int
live_pg_include_dir(struct live_pg *pg, const char *dir, int depth)
{
	char **names, path[PATH_MAX];
	size_t n, i;
	int rc = 0;

	if (live_locate_names(pg->run, dir, LIVE_CONFIG_FILES_MAX, &names, &n) != 0)
		return 0;
	for (i = 0; i < n && rc == 0; i++)
		if (fnmatch("*.conf", names[i], FNM_PERIOD) == 0 &&
		    snprintf(path, sizeof path, "%s/%s", dir, names[i]) <
		    (int)sizeof path)
			rc = live_pg_read(pg, path, depth + 1, true);
	live_locate_names_free(names, n);
	return rc;
}

/* One line of a configuration file. */
static int
live_pg_line(struct live_pg *pg, const char *file, size_t number, char *line,
    int depth)
{
	char name[LIVE_PG_NAME_MAX], value[PATH_MAX], path[PATH_MAX];
	const char *const *s;
	size_t n = 0;

	while (*line == ' ' || *line == '\t')
		line++;
	while ((isalnum((unsigned char)*line) || *line == '_' || *line == '.') &&
	    n + 1 < sizeof name)
		name[n++] = (char)tolower((unsigned char)*line++);
	name[n] = '\0';
	if (n == 0)
		return 0;
	live_pg_value(line, value, sizeof value);
	if (strcmp(name, "include") == 0 || strcmp(name, "include_if_exists") == 0 ||
	    strcmp(name, "include_dir") == 0) {
		if (live_pg_relative(file, value, path, sizeof path) != 0)
			return 0;
		if (strcmp(name, "include_dir") == 0)
			return live_pg_include_dir(pg, path, depth);
		return live_pg_read(pg, path, depth + 1, strcmp(name, "include") == 0);
	}
	for (s = live_pg_settings; *s != NULL; s++)
		if (strcmp(*s, name) == 0) {
			json_t *setting = json_pack("{s:o}", "value",
			    live_string(value, strlen(value)));

			live_logfiles_origin(setting, file, number);
			json_object_set_new(pg->settings, name, setting);
		}
	return 0;
}

/* Read one configuration file (and what it includes), bounded in depth and number. */
static int
live_pg_read(struct live_pg *pg, const char *host, int depth, bool must_exist)
{
	struct live_file f;
	struct stat st;
	char real[PATH_MAX], *line, *cursor;
	json_t *record = json_pack("{s:o}", "path", live_string(host, strlen(host)));
	size_t number = 0;
	int rc = 0;

	json_array_append_new(pg->files, record);
	if (depth > LIVE_CONFIG_DEPTH || pg->count >= LIVE_CONFIG_FILES_MAX) {
		json_object_set_new(record, "status", json_string(depth >
		    LIVE_CONFIG_DEPTH ? "not read: includes nested too deep" :
		    "not read: too many configuration files"));
		return 0;
	}
	pg->count++;
	if (live_locate_read(pg->run, host, LIVE_CONFIG_MAX, &f, real, &st) != 0) {
		json_object_set_new(record, "status", json_string(errno == ENOENT &&
		    !must_exist ? "not present" : "unreadable"));
		live_set_errno(record, "error", errno);
		return 0;
	}
	json_object_set_new(record, "status", json_string(f.truncated ?
	    "read in part (size limit)" : "read"));
	cursor = f.data;
	while (rc == 0 && (line = util_next_line(&cursor)) != NULL)
		rc = live_pg_line(pg, host, ++number, line, depth);
	free(f.data);
	return rc;
}

/* A setting's value, or NULL. */
static const char *
live_pg_get(const struct live_pg *pg, const char *name)
{
	return json_string_value(json_object_get(json_object_get(pg->settings,
	    name), "value"));
}

/* Collect one candidate log directory of a cluster. */
static int
live_pg_log_dir(struct live_pg *pg, struct live_budget *b, const char *data,
    const char *value, const char *origin, json_t *list)
{
	char joined[PATH_MAX * 2], path[PATH_MAX];
	json_t *record = json_pack("{s:o,s:s}", "value", live_string(value,
	    strlen(value)), "origin", origin);

	json_array_append_new(list, record);
	if (value[0] != '/' && data == NULL) {
		json_object_set_new(record, "status",
		    json_string("not resolved: no data directory known"));
		return 0;
	}
	snprintf(joined, sizeof joined, "%s/%s", value[0] == '/' ? "" : data, value);
	if (live_locate_normalize(joined, path, sizeof path) != 0)
		return 0;
	json_object_set_new(record, "path", live_string(path, strlen(path)));
	return live_logfiles_dir(pg->run, b, path, record);
}

/* The log directories of a cluster whose configuration has been read. */
static int
live_pg_logs(struct live_pg *pg, struct live_budget *b, const char *data,
    json_t *cluster)
{
	json_t *list = json_array(), *setting;
	const char *value = live_pg_get(pg, "log_directory"), *collector;
	int rc;

	json_object_set_new(cluster, "log_directories", list);
	collector = live_pg_get(pg, "logging_collector");
	if (collector == NULL || (strcmp(collector, "on") != 0 &&
	    strcmp(collector, "true") != 0 && strcmp(collector, "1") != 0))
		json_object_set_new(cluster, "note", json_string("logging_collector "
		    "is off: the server writes to standard error (on Debian, "
		    "/var/log/postgresql)"));
	if (value != NULL) {
		setting = json_object_get(pg->settings, "log_directory");
		return live_pg_log_dir(pg, b, data, value, json_string_value(
		    json_object_get(setting, "origin")), list);
	}
	rc = live_pg_log_dir(pg, b, data, "log", "default (PostgreSQL 10 and "
	    "later)", list);
	if (rc == 0)
		rc = live_pg_log_dir(pg, b, data, "pg_log", "default (before "
		    "PostgreSQL 10)", list);
	return rc;
}

/* True when a data directory was already taken by a cluster. */
static bool
live_pg_known(json_t *clusters, const char *data)
{
	const char *known;
	json_t *c;
	size_t i;

	json_array_foreach(clusters, i, c)
		if ((known = json_string_value(json_object_get(c,
		    "data_directory"))) != NULL && strcmp(known, data) == 0)
			return true;
	return false;
}

/* Read one cluster: its configuration directory (or NULL) and data directory. */
static int
live_pg_cluster(struct live_run *run, struct live_budget *b, const char *etc,
    const char *data_default, json_t *clusters)
{
	struct live_pg pg = { .run = run, .files = json_array(),
	    .settings = json_object() };
	char file[PATH_MAX], data[PATH_MAX];
	const char *value;
	json_t *cluster = json_pack("{s:o,s:o,s:o}", "config_directory", etc !=
	    NULL ? json_string(etc) : json_null(), "files", pg.files,
	    "settings", pg.settings);
	int rc = 0;

	json_array_append_new(clusters, cluster);
	if (etc != NULL && snprintf(file, sizeof file, "%s/postgresql.conf",
	    etc) < (int)sizeof file)
		rc = live_pg_read(&pg, file, 0, true);
	data[0] = '\0';
	if ((value = live_pg_get(&pg, "data_directory")) != NULL) {
		if (live_pg_relative(file, value, data, sizeof data) != 0)
			data[0] = '\0';
	} else if (data_default != NULL)
		snprintf(data, sizeof data, "%s", data_default);
	json_object_set_new(cluster, "data_directory", data[0] != '\0' ?
	    live_string(data, strlen(data)) : json_null());
	if (rc == 0 && data[0] != '\0' && etc == NULL &&
	    snprintf(file, sizeof file, "%s/postgresql.conf", data) < (int)sizeof file)
		rc = live_pg_read(&pg, file, 0, true);
	if (rc == 0 && data[0] != '\0' &&
	    snprintf(file, sizeof file, "%s/postgresql.auto.conf", data) <
	    (int)sizeof file)
		rc = live_pg_read(&pg, file, 0, false);
	if (rc == 0)
		rc = live_pg_logs(&pg, b, data[0] != '\0' ? data : NULL, cluster);
	return rc;
}

/* A directory a pattern reached: a cluster, unless already known. */
static int
live_pg_leaf(struct live_run *run, struct live_budget *b, const char *path,
    json_t *clusters, bool etc)
{
	struct stat st;

	if (live_locate_stat(run, path, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (!etc && live_pg_known(clusters, path)))
		return 0;
	return live_pg_cluster(run, b, etc ? path : NULL, etc ? NULL : path,
	    clusters);
}

/* Every directory matching DIR/PATTERN ("*" components allowed). */
static int
live_pg_each(struct live_run *run, struct live_budget *b, const char *dir,
    const char *pattern, json_t *clusters, bool etc)
{
	char **names, path[PATH_MAX], segment[NAME_MAX + 1];
	const char *slash = strchr(pattern, '/');
	size_t len = slash != NULL ? (size_t)(slash - pattern) : strlen(pattern);
	size_t n, i;
	int rc = 0;

	if (len > NAME_MAX)
		return 0;
	memcpy(segment, pattern, len);
	segment[len] = '\0';
	if (live_locate_names(run, dir, LIVE_CONFIG_FILES_MAX, &names, &n) != 0)
		return 0;
	for (i = 0; i < n && rc == 0; i++) {
		if (fnmatch(segment, names[i], FNM_PERIOD) != 0 ||
		    snprintf(path, sizeof path, "%s/%s", dir, names[i]) >=
		    (int)sizeof path)
			continue;
		rc = slash != NULL ? live_pg_each(run, b, path, slash + 1,
		    clusters, etc) : live_pg_leaf(run, b, path, clusters, etc);
	}
	live_locate_names_free(names, n);
	return rc;
}

/* Every PostgreSQL cluster: Debian's /etc/postgresql, then data directories. */
int
live_postgres_find(struct live_run *run, struct live_budget *b, json_t *doc)
{
	json_t *clusters = json_array();
	size_t i;
	int rc;

	json_object_set_new(doc, "postgresql", clusters);
	rc = live_pg_each(run, b, "/etc/postgresql", "*/*", clusters, true);
	for (i = 0; rc == 0 && i < sizeof live_pg_data_globs /
	    sizeof live_pg_data_globs[0]; i++)
		rc = live_pg_each(run, b, live_pg_data_globs[i][0],
		    live_pg_data_globs[i][1], clusters, false);
	return rc;
}
