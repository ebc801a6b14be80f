/*
 * Live sources into the archive: their documents, the files they archive and
 * the paths they find.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/profile.h"
#include "custody/util.h"
#include "atime.h"
#include "collector.h"
#include "live.h"
#include "collector-private.h"

/*
 * Archive bytes made by a live source as member apath, recorded with kind
 * "live", source label and origin. 0 or -1.
 */
static int
collector_live_bytes(struct collector *c, const char *apath, const char *label,
    const char *origin, const void *data, size_t len)
{
	struct manifest_entry e;
	struct file_read fr = { .limit = -1, .buffered = true };
	struct timespec now;

	memset(&e, 0, sizeof e);
	util_time_now(&now);
	if (collector_type_first(c, &fr, data, len) != 0)
		return -1;
	e.source = label;
	e.source_len = strlen(label);
	e.kind = "live";
	e.collected = now;
	e.path = apath;
	e.path_len = strlen(apath);
	e.has_content = true;
	e.size = (int64_t)len;
	e.mime = fr.mime[0] != '\0' ? fr.mime : NULL;
	e.status = STATUS_OK;
	e.origin = origin;
	return sink_member(c, apath, &now, data, len, NULL, fr.type_here, &e,
	    NULL);
}

/*
 * A live source that read only part of what it reads names the rest in its
 * document's "errors": say so in the summary, without changing the exit
 * status (the document is collected and holds every reason).
 */
static void
collector_live_problems(struct collector *c, const char *label,
    const char *apath, const struct live_run *run)
{
	char reason[320];

	snprintf(reason, sizeof reason, "%zu problem%s recorded in %s, the first: %s",
	    run->n_errors, run->n_errors == 1 ? "" : "s", apath, run->first_error);
	sink_problem(c, label, "partial", reason);
}

/* Collect one live source: its document, and whatever members it adds. */
int
collector_live(struct collector *c, const struct profile_entry *entry)
{
	struct manifest_entry e;
	struct live_run run = {
		.collector = c,
		.name = entry->live,
		.root = entry->root != NULL ? entry->root : "",
		.max_size = entry->max_size,
		.include_secrets = c->opt->include_secrets,
	};
	const char *origin = entry->live;
	char *data, *apath, label[128];
	size_t len;
	int rc;

	snprintf(label, sizeof label, "live:%s", entry->live);
	rc = live_collect(&run, &data, &len, &origin);
	/* What the source recorded of package digests is the sink's to check with now. */
	c->pkgcheck_ready = c->pkgcheck;
	if (rc != 0) {
		if (run.fatal)
			return -1;
		memset(&e, 0, sizeof e);
		e.source = label;
		e.source_len = strlen(label);
		e.kind = "live";
		util_time_now(&e.collected);
		e.status = STATUS_ERROR;
		e.reason = error_message();
		return collector_record(c, &e);
	}
	if (asprintf(&apath, "live/%s.json", entry->live) < 0) {
		free(data);
		return error_set_errno("asprintf");
	}
	rc = collector_live_bytes(c, apath, label, origin, data, len);
	free(data);
	if (rc == 0 && run.n_errors > 0)
		collector_live_problems(c, label, apath, &run);
	free(apath);
	return rc;
}

/* The archive path live/NAME/MEMBER, or NULL (error_set) when unsafe. */
static char *
collector_live_path(const struct live_run *run, const char *member)
{
	char *apath;

	if (asprintf(&apath, "live/%s/%s", run->name, member) < 0) {
		error_set_errno("asprintf");
		return NULL;
	}
	if (!manifest_path_safe(apath, strlen(apath))) {
		error_set("unsafe member name '%s'", member);
		free(apath);
		return NULL;
	}
	return apath;
}

/* Archive bytes a live source made as a member of its own. */
int
live_add_member(struct live_run *run, const char *member, const void *data,
    size_t len, const char *origin)
{
	char *apath, *label;
	int rc;

	if ((apath = collector_live_path(run, member)) == NULL)
		return run->fatal = true, -1;
	if (asprintf(&label, "live:%s", apath + 5) < 0) {
		free(apath);
		error_set_errno("asprintf");
		return run->fatal = true, -1;
	}
	rc = collector_live_bytes(run->collector, apath, label, origin, data,
	    len);
	free(label);
	free(apath);
	if (rc != 0)
		run->fatal = true;
	return rc;
}

/* Fill a record of what became of a file archived for a live source. */
static int
collector_live_record(json_t *record, const char *apath,
    const struct file_read *fr)
{
	const char *hex = fr->sha256;

	if (record == NULL)
		return 0;
	if (json_object_set_new(record, "member", json_string(apath)) != 0 ||
	    json_object_set_new(record, "status", json_string(fr->status)) != 0 ||
	    json_object_set_new(record, "size",
	    json_integer((json_int_t)fr->member_size)) != 0 ||
	    json_object_set_new(record, "sha256", hex[0] != '\0' ?
	    json_string(hex) : json_null()) != 0)
		return error_set("out of memory");
	return 0;
}

/* Archive an open file's content for a live source. */
int
live_add_file(struct live_run *run, const char *member, int fd,
    const struct stat *st, const char *source, int64_t cap, json_t *record)
{
	struct collector *c = run->collector;
	struct file_read fr;
	char *apath;
	int rc, flags;
	bool atime_unprotected;

	if ((apath = collector_live_path(run, member)) == NULL)
		return run->fatal = true, -1;
	/* Whether the reader's own open got O_NOATIME, as its descriptor says. */
	flags = fcntl(fd, F_GETFL);
	atime_unprotected = flags < 0 || (flags & O_NOATIME) == 0;
	memset(&fr, 0, sizeof fr);
	fr.limit = cap;
	fr.want_sha256 = record != NULL;
	rc = collector_read_file(c, fd, source, apath, st, atime_unprotected, &fr);
	if (rc == 0)
		rc = collector_live_record(record, apath, &fr);
	free(apath);
	if (rc != 0)
		run->fatal = true;
	return rc;
}

/* Collect a path a live source found, as a profile path entry would. */
int
live_add_path(struct live_run *run, const char *path,
    const struct walk_rules *rules)
{
	struct walk_rules located = *rules;

	/* Found by a safe walk: resolved again the same way, never via a link. */
	located.beneath = run->root;
	if (walk_path(run->collector, path, &located) != 0)
		return run->fatal = true, -1;
	return 0;
}
