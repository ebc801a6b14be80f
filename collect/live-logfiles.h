/* The logfiles source's parts: the walk by name and the database servers' logs. */
#ifndef CUSTODY_LIVE_LOGFILES_H
#define CUSTODY_LIVE_LOGFILES_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

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

/* ---- live-config.c: a server's configuration files. */

struct live_config {
	struct live_run	*run;
	json_t		*files;		/* {"path", "status"} of every file met */
	json_t		*settings;	/* NAME: {"value", "origin"} */
	struct {
		dev_t	dev;
		ino_t	ino;
	}		 read[LIVE_CONFIG_FILES_MAX];
	size_t		 count;
	int		 depth;		/* of the file being read */
	int		 section;	/* the reader's own state, 0 at each file's start */
	/* One line of a file; 0, or -1 when fatal. */
	int		(*line)(struct live_config *, const char *file,
			    size_t number, char *line);
};

/*
 * Read a file at an include depth (0: a starting file), unless too deep,
 * too many or read before; each line to cfg->line. A missing file is
 * "not present" unless must_exist. 0, or -1 when fatal.
 */
int live_config_read(struct live_config *, const char *host, int depth,
    bool must_exist);
/* Read each file of a directory matching a pattern, one level deeper. */
int live_config_include_dir(struct live_config *, const char *dir,
    const char *pattern);
/* A path a file names, relative to that file's directory, normalised. 0 or -1. */
int live_config_relative(const char *file, const char *value, char *out,
    size_t size);
/* Record a setting as {"value", "origin": "FILE:LINE"}; the last one wins. */
void live_config_set(struct live_config *, const char *name,
    const char *value, const char *file, size_t line);

/* live-logfiles-postgres.c: clusters from their configuration. 0 or -1. */
int live_postgres_find(struct live_run *, struct live_budget *, json_t *doc);
/* live-logfiles-mysql.c: MySQL and MariaDB logs from my.cnf. 0 or -1. */
int live_mysql_find(struct live_run *, struct live_budget *, json_t *doc);

#endif
