/*
 * The logfiles source: logs outside /var/log, found by name under /opt,
 * /srv, /var/www, /var/lib and every home, and the log directories and
 * files database servers are configured to write, handed to the file
 * collection within a depth, a count and a size budget.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/profile.h"

#include "collector.h"
#include "live.h"
#include "live-locate.h"
#include "live-logfiles.h"

/* Walked whole for log names, in this order. */
static const char *const live_logs_roots[] = {
	"/opt", "/srv", "/var/www", "/var/lib", NULL
};

/* Never walked: container storage (the containers' own source) and the like. */
static const char *const live_logs_prune[] = {
	"/var/lib/docker", "/var/lib/containers", "/var/lib/containerd",
	"/var/lib/lxc", "/var/lib/lxd", "/var/lib/kubelet", NULL
};

/* Homes of system accounts that are system directories, never walked. */
static const char *const live_logs_system_dirs[] = {
	"/", "/bin", "/sbin", "/usr", "/usr/bin", "/usr/sbin", "/lib",
	"/dev", "/proc", "/sys", "/run", "/etc", "/var", NULL
};

/* Set "origin" of a record to "FILE:LINE". */
void
live_logfiles_origin(json_t *record, const char *file, size_t line)
{
	char text[PATH_MAX + 32];

	snprintf(text, sizeof text, "%s:%zu", file, line);
	json_object_set_new(record, "origin", live_string(text, strlen(text)));
}

/* Collect a log directory a configuration names. */
int
live_logfiles_dir(struct live_run *run, struct live_budget *b,
    const char *host, json_t *record)
{
	json_t *walk = json_object();
	int rc;

	if (strcmp(host, "/") == 0) {
		json_object_set_new(record, "status",
		    json_string("not collected: the root directory"));
		json_decref(walk);
		return 0;
	}
	rc = live_logwalk(run, b, host, 0, LIVE_LOGS_DIR_ENTRIES, live_anyname,
	    walk);
	json_object_set_new(record, "walk", walk);
	return rc;
}

/* Collect a log file a configuration names. */
int
live_logfiles_file(struct live_run *run, struct live_budget *b,
    const char *host, json_t *record)
{
	struct stat st;

	if (live_locate_file(run, host, &st, record) != 1)
		return 0;
	return live_budget_take(run, b, host, &st, record);
}

/* True when a path is one of a list. */
static bool
live_logs_listed(const char *const *list, const char *path)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, path) == 0)
			return true;
	return false;
}

/* Order home paths for tsearch. */
static int
live_logs_compare(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Nothing to free: the tree points into the accounts. */
static void
live_logs_keep(void *node)
{
	(void)node;
}

/* Why a home is not walked for logs, or NULL when it is to be walked. */
static const char *
live_logs_home_skip(const char *home)
{
	const char *const *root;
	size_t len;

	if (live_logs_listed(live_logs_system_dirs, home))
		return "a system directory, not walked";
	for (root = live_logs_roots; *root != NULL; root++) {
		len = strlen(*root);
		if (strncmp(home, *root, len) == 0 &&
		    (home[len] == '/' || home[len] == '\0'))
			return "walked with the directory it is in";
	}
	return NULL;
}

/* Walk one home for logs, or say why not. */
static int
live_logs_home(struct live_run *run, struct live_budget *b, const char *home,
    json_t *walks, json_t *skipped)
{
	const char *why = live_logs_home_skip(home);
	json_t *walk;
	int rc;

	if (why != NULL) {
		json_array_append_new(skipped, json_pack("{s:o,s:s}", "path",
		    live_string(home, strlen(home)), "reason", why));
		return 0;
	}
	walk = json_object();
	rc = live_logwalk(run, b, home, LIVE_LOGS_DEPTH, LIVE_LOGS_ENTRIES,
	    live_logname, walk);
	json_array_append_new(walks, walk);
	return rc;
}

/* Walk every home once, unless it is walked already or a system directory. */
static int
live_logs_homes(struct live_run *run, struct live_budget *b, json_t *walks,
    json_t *skipped)
{
	struct live_accounts accounts;
	void *seen = NULL, **found;
	const char *home;
	size_t i;
	int rc = 0;

	if (live_accounts_read(run, &accounts) != 0)
		live_note(run->errors);
	for (i = 0; i < accounts.n && rc == 0; i++) {
		if ((home = accounts.v[i].home) == NULL)
			continue;
		if ((found = tsearch(home, &seen, live_logs_compare)) == NULL)
			rc = error_set_errno("tsearch");
		else if (*found == home)
			rc = live_logs_home(run, b, home, walks, skipped);
	}
	tdestroy(seen, live_logs_keep);
	live_accounts_free(&accounts);
	return rc;
}

/* Walk the fixed directories, then the homes. */
static int
live_logs_walks(struct live_run *run, struct live_budget *b, json_t *doc)
{
	const char *const *root;
	json_t *walks = json_array(), *skipped = json_array(), *walk;
	int rc = 0;

	for (root = live_logs_roots; *root != NULL && rc == 0; root++) {
		walk = json_object();
		rc = live_logwalk(run, b, *root, LIVE_LOGS_DEPTH,
		    LIVE_LOGS_ENTRIES, live_logname, walk);
		json_array_append_new(walks, walk);
	}
	if (rc == 0)
		rc = live_logs_homes(run, b, walks, skipped);
	json_object_set_new(doc, "walks", walks);
	json_object_set_new(doc, "homes_not_walked", skipped);
	return rc;
}

/* The limits the source works within, for the document. */
static json_t *
live_logs_limits(const struct live_budget *b)
{
	json_t *prune = json_array();
	const char *const *p;

	for (p = live_logs_prune; *p != NULL; p++)
		json_array_append_new(prune, json_string(*p));
	return json_pack("{s:i,s:I,s:I,s:I,s:I,s:o}", "max_depth",
	    LIVE_LOGS_DEPTH, "max_entries", (json_int_t)LIVE_LOGS_ENTRIES,
	    "max_size", (json_int_t)b->file_max, "max_total",
	    (json_int_t)b->total_max, "directory_entries",
	    (json_int_t)LIVE_LOGS_DIR_ENTRIES, "not_walked", prune);
}

/* Fill the logfiles document. */
static int
live_logfiles_fill(struct live_run *run)
{
	struct walk_rules rules = { .max_depth = 0, .over_limit =
	    PROFILE_OVER_LIMIT_TRUNCATE, .root = run->root };
	struct live_budget b = { .rules = &rules, .prune = live_logs_prune,
	    .total_max = LIVE_LOGS_TOTAL_MAX };
	int rc;

	b.file_max = rules.max_size = run->max_size >= 0 ? run->max_size :
	    LIVE_LOGS_FILE_MAX;
	if (b.file_max > LIVE_LOGS_TOTAL_MAX / 4)
		b.total_max = b.file_max * 4;
	b.over_list = json_array();
	json_object_set_new(run->doc, "root", json_string(run->root));
	json_object_set_new(run->doc, "limits", live_logs_limits(&b));
	rc = live_postgres_find(run, &b, run->doc);
	if (rc == 0)
		rc = live_mysql_find(run, &b, run->doc);
	if (rc == 0)
		rc = live_logs_walks(run, &b, run->doc);
	json_object_set_new(run->doc, "collected",
	    json_integer((json_int_t)b.handed));
	json_object_set_new(run->doc, "total_bytes", json_integer(b.total));
	json_object_set_new(run->doc, "over_total", json_pack("{s:I,s:o}",
	    "count", (json_int_t)b.over_total, "paths", b.over_list));
	live_located_free(&b.located);
	return rc;
}

const struct live_reader live_reader_logfiles = {
	.origin = "ROOT/opt, /srv, /var/www, /var/lib and the homes of "
	    "ROOT/etc/passwd, walked by name; database server configuration",
	.fill = live_logfiles_fill,
};
