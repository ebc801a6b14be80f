/*
 * MySQL's and MariaDB's logs from their option files: my.cnf with
 * !include and !includedir, the server's sections, log_error,
 * general_log_file and slow_query_log_file relative to datadir.
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

#define LIVE_MY_NAME_MAX	64

/* Where the servers look for their option files. */
static const char *const live_my_files[] = {
	"/etc/my.cnf", "/etc/mysql/my.cnf", "/etc/mysql/mariadb.cnf",
	"/etc/mysql/mysql.cnf", "/etc/my.cnf.d", NULL
};

/* The settings naming logs, and where relative names are resolved. */
static const char *const live_my_settings[] = {
	"log_error", "general_log_file", "slow_query_log_file", "datadir", NULL
};

/* True when a section is read by the server. */
static bool
live_my_server_section(const char *name)
{
	static const char *const sections[] = { "mysqld", "mysqld_safe",
	    "server", "mariadb", "mariadbd", "mysqld-*", "mariadb-*",
	    "mariadbd-*", NULL };
	const char *const *s;

	for (s = sections; *s != NULL; s++)
		if (fnmatch(*s, name, 0) == 0)
			return true;
	return false;
}

/* Trim spaces (and one pair of quotes) around a value, in place. */
static char *
live_my_trim(char *text)
{
	size_t len;

	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		text[--len] = '\0';
	if (len >= 2 && (text[0] == '"' || text[0] == '\'') &&
	    text[len - 1] == text[0]) {
		text[len - 1] = '\0';
		text++;
	}
	return text;
}

/* A directive line: !include FILE or !includedir DIR. */
static int
live_my_directive(struct live_config *my, const char *file, char *line)
{
	char path[PATH_MAX];
	bool dir = strncmp(line, "!includedir", 11) == 0;
	char *value = live_my_trim(line + (dir ? 11 : 8));

	if (!dir && strncmp(line, "!include", 8) != 0)
		return 0;
	if (live_config_relative(file, value, path, sizeof path) != 0)
		return 0;
	return dir ? live_config_include_dir(my, path, "*.cnf") :
	    live_config_read(my, path, my->depth + 1, true);
}

/* A key=value line of a server section. */
static void
live_my_option(struct live_config *my, const char *file, size_t number,
    char *line)
{
	char name[LIVE_MY_NAME_MAX], *equals = strchr(line, '='), *value;
	const char *const *s;
	size_t n = 0;

	if (equals == NULL)
		return;
	*equals = '\0';
	value = live_my_trim(equals + 1);
	for (line = live_my_trim(line); *line != '\0' && n + 1 < sizeof name; line++)
		name[n++] = *line == '-' ? '_' : (char)tolower((unsigned char)*line);
	name[n] = '\0';
	for (s = live_my_settings; *s != NULL; s++)
		if (strcmp(*s, name) == 0)
			live_config_set(my, name, value, file, number);
}

/* One line of an option file. */
static int
live_my_line(struct live_config *my, const char *file, size_t number,
    char *line)
{
	char *end;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '#' || *line == ';' || *line == '\0')
		return 0;
	if (*line == '!')
		return live_my_directive(my, file, line);
	if (*line == '[') {
		if ((end = strchr(line, ']')) != NULL)
			*end = '\0';
		my->section = live_my_server_section(live_my_trim(line + 1));
		return 0;
	}
	if (my->section)
		live_my_option(my, file, number, line);
	return 0;
}

/* Collect one log a setting names, relative to the data directory. */
static int
live_my_log(struct live_config *my, struct live_budget *b, const char *name,
    const char *data, json_t *logs)
{
	json_t *setting = json_object_get(my->settings, name), *record;
	const char *value = json_string_value(json_object_get(setting, "value"));
	char joined[PATH_MAX * 2], path[PATH_MAX];

	if (value == NULL || value[0] == '\0')
		return 0;
	record = json_pack("{s:s,s:O,s:O}", "setting", name, "value",
	    json_object_get(setting, "value"), "origin",
	    json_object_get(setting, "origin"));
	json_array_append_new(logs, record);
	snprintf(joined, sizeof joined, "%s/%s", value[0] == '/' ? "" : data, value);
	if (live_locate_normalize(joined, path, sizeof path) != 0)
		return 0;
	json_object_set_new(record, "path", live_string(path, strlen(path)));
	return live_logfiles_file(my->run, b, path, record);
}

/* True for the error log's default name, HOST.err. */
static bool
live_my_errname(const char *name)
{
	return fnmatch("*.err", name, FNM_PERIOD) == 0;
}

/* The logs the option files name, or the data directory's defaults. */
static int
live_my_logs(struct live_config *my, struct live_budget *b, json_t *record)
{
	const char *const *s;
	const char *data = json_string_value(json_object_get(json_object_get(
	    my->settings, "datadir"), "value"));
	char path[PATH_MAX];
	json_t *logs = json_array(), *walk;
	int rc = 0;

	if (data == NULL || live_locate_normalize(data, path, sizeof path) != 0)
		snprintf(path, sizeof path, "/var/lib/mysql");
	json_object_set_new(record, "datadir", json_string(path));
	json_object_set_new(record, "logs", logs);
	for (s = live_my_settings; rc == 0 && strcmp(*s, "datadir") != 0; s++)
		rc = live_my_log(my, b, *s, path, logs);
	if (rc != 0 || json_object_get(my->settings, "log_error") != NULL)
		return rc;
	walk = json_object();
	json_object_set_new(record, "default_error_logs", walk);
	return live_logwalk(my->run, b, path, 0, LIVE_LOGS_DIR_ENTRIES,
	    live_my_errname, walk);
}

/* MySQL and MariaDB logs from the option files. */
int
live_mysql_find(struct live_run *run, struct live_budget *b, json_t *doc)
{
	struct live_config *my = calloc(1, sizeof *my);
	const char *const *f;
	struct stat st;
	json_t *record;
	int rc = 0;

	if (my == NULL)
		return error_set_errno("calloc");
	my->run = run;
	my->line = live_my_line;
	my->files = json_array();
	my->settings = json_object();
	record = json_pack("{s:o,s:o}", "files", my->files, "settings",
	    my->settings);
	json_object_set_new(doc, "mysql", record);
	for (f = live_my_files; *f != NULL && rc == 0; f++) {
		if (live_locate_stat(run, *f, &st) != 0)
			continue;
		rc = S_ISDIR(st.st_mode) ? live_config_include_dir(my, *f,
		    "*.cnf") : live_config_read(my, *f, 0, true);
	}
	if (rc == 0 && my->count > 0)
		rc = live_my_logs(my, b, record);
	free(my);
	return rc;
}
