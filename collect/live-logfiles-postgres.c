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

/* One line of a configuration file: a setting, or an include. */
static int
live_pg_line(struct live_config *pg, const char *file, size_t number,
    char *line)
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
		if (live_config_relative(file, value, path, sizeof path) != 0)
			return 0;
		if (strcmp(name, "include_dir") == 0)
			return live_config_include_dir(pg, path, "*.conf");
		return live_config_read(pg, path, pg->depth + 1,
		    strcmp(name, "include") == 0);
	}
	for (s = live_pg_settings; *s != NULL; s++)
		if (strcmp(*s, name) == 0)
			live_config_set(pg, name, value, file, number);
	return 0;
}

/* A setting's value, or NULL. */
static const char *
live_pg_get(const struct live_config *pg, const char *name)
{
	return json_string_value(json_object_get(json_object_get(pg->settings,
	    name), "value"));
}

/* Collect one candidate log directory of a cluster. */
static int
live_pg_log_dir(struct live_config *pg, struct live_budget *b, const char *data,
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
live_pg_logs(struct live_config *pg, struct live_budget *b, const char *data,
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

/* Read DIR/NAME as a starting file of a cluster's configuration. */
static int
live_pg_start(struct live_config *pg, const char *dir, const char *name,
    bool must_exist)
{
	char file[PATH_MAX];

	if (snprintf(file, sizeof file, "%s/%s", dir, name) >= (int)sizeof file)
		return 0;
	return live_config_read(pg, file, 0, must_exist);
}

/* The data directory: from the configuration directory's file, or the default. */
static void
live_pg_data(const struct live_config *pg, const char *etc,
    const char *data_default, char *data, size_t size)
{
	const char *value = live_pg_get(pg, "data_directory");
	char file[PATH_MAX];

	data[0] = '\0';
	if (value != NULL && etc != NULL) {
		snprintf(file, sizeof file, "%s/postgresql.conf", etc);
		if (live_config_relative(file, value, data, size) != 0)
			data[0] = '\0';
	} else if (data_default != NULL)
		snprintf(data, size, "%s", data_default);
}

/* Read one cluster: its configuration directory (or NULL) and data directory. */
static int
live_pg_cluster(struct live_run *run, struct live_budget *b, const char *etc,
    const char *data_default, json_t *clusters)
{
	struct live_config *pg = calloc(1, sizeof *pg);
	char data[PATH_MAX];
	json_t *cluster;
	int rc = 0;

	if (pg == NULL)
		return error_set_errno("calloc");
	pg->run = run;
	pg->line = live_pg_line;
	pg->files = json_array();
	pg->settings = json_object();
	cluster = json_pack("{s:o,s:o,s:o}", "config_directory", etc != NULL ?
	    json_string(etc) : json_null(), "files", pg->files, "settings",
	    pg->settings);
	json_array_append_new(clusters, cluster);
	if (etc != NULL)
		rc = live_pg_start(pg, etc, "postgresql.conf", true);
	live_pg_data(pg, etc, data_default, data, sizeof data);
	json_object_set_new(cluster, "data_directory", data[0] != '\0' ?
	    live_string(data, strlen(data)) : json_null());
	if (rc == 0 && data[0] != '\0' && etc == NULL)
		rc = live_pg_start(pg, data, "postgresql.conf", true);
	if (rc == 0 && data[0] != '\0')
		rc = live_pg_start(pg, data, "postgresql.auto.conf", false);
	if (rc == 0)
		rc = live_pg_logs(pg, b, data[0] != '\0' ? data : NULL, cluster);
	free(pg);
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

/* What a search for clusters below a directory carries along. */
struct live_pg_search {
	struct live_run		*run;
	struct live_budget	*b;
	const char		*rest;		/* the pattern below the next name */
	json_t			*clusters;
	bool			 etc;		/* configuration directories, not data */
};

static int live_pg_each(struct live_run *, struct live_budget *, const char *,
    const char *, json_t *, bool);

/* One directory matching a component of the pattern. */
static int
live_pg_matched(void *arg, const char *path)
{
	struct live_pg_search *s = arg;

	if (s->rest != NULL)
		return live_pg_each(s->run, s->b, path, s->rest, s->clusters,
		    s->etc);
	return live_pg_leaf(s->run, s->b, path, s->clusters, s->etc);
}

/* Every directory matching DIR/PATTERN ("*" components allowed). */
static int
live_pg_each(struct live_run *run, struct live_budget *b, const char *dir,
    const char *pattern, json_t *clusters, bool etc)
{
	struct live_pg_search s = { .run = run, .b = b, .clusters = clusters,
	    .etc = etc };
	const char *slash = strchr(pattern, '/');
	size_t len = slash != NULL ? (size_t)(slash - pattern) : strlen(pattern);
	char segment[NAME_MAX + 1];

	if (len > NAME_MAX)
		return 0;
	memcpy(segment, pattern, len);
	segment[len] = '\0';
	s.rest = slash != NULL ? slash + 1 : NULL;
	return live_locate_each(run, dir, segment, LIVE_CONFIG_FILES_MAX,
	    live_pg_matched, &s);
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
