/* The logfiles source's parts: the walk by name and the database servers' logs. */
#ifndef CUSTODY_LIVE_LOGFILES_H
#define CUSTODY_LIVE_LOGFILES_H

#include <jansson.h>

#include "live.h"
#include "live-locate.h"

#define LIVE_LOGS_DEPTH		8			/* levels below each directory walked */
#define LIVE_LOGS_ENTRIES	100000			/* names met in one walk */
#define LIVE_LOGS_FILE_MAX	((int64_t)64 << 20)	/* per file, unless max_size */
#define LIVE_LOGS_TOTAL_MAX	((int64_t)256 << 20)	/* all files together */
#define LIVE_LOGS_DIR_ENTRIES	10000			/* names of a configured log directory */
#define LIVE_CONFIG_FILES_MAX	64			/* configuration files of one server */
#define LIVE_CONFIG_DEPTH	8			/* includes within includes */

/* Collect a log directory a configuration names (its files, one level). 0 or -1. */
int live_logfiles_dir(struct live_run *, struct live_budget *, const char *host,
    json_t *record);
/* Collect a log file a configuration names. 0 or -1. */
int live_logfiles_file(struct live_run *, struct live_budget *, const char *host,
    json_t *record);
/* Set "origin" of a record to "FILE:LINE". */
void live_logfiles_origin(json_t *record, const char *file, size_t line);

/* live-logfiles-postgres.c: clusters from their configuration. 0 or -1. */
int live_postgres_find(struct live_run *, struct live_budget *, json_t *doc);
/* live-logfiles-mysql.c: MySQL and MariaDB logs from my.cnf. 0 or -1. */
int live_mysql_find(struct live_run *, struct live_budget *, json_t *doc);

#endif
