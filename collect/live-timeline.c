/*
 * The timeline source: a mactime bodyfile of every local filesystem
 * (live/timeline/body-NNNN) and, in live/timeline.json, every mount with
 * what was done with it and why, the caps and what was counted.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/compat.h"
#include "custody/error.h"

#include "live.h"
#include "live-timeline.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID		0x00001000U
#endif

/* The state of one run: the bodyfile, the problems, the filesystems walked. */
struct timeline_run {
	struct live_run			*live;
	struct timeline_body		 body;
	struct timeline_problems	 problems;
	struct timeline_walk		 total;
	struct timeline_mounts		 mounts;
	dev_t				*devs;	/* walked, parallel to walked */
	const struct timeline_mount	**walked;
	size_t				 walked_n;
	int64_t				 now;
};

/* Set integer keys of an object from a table; -1 when out of memory. */
static int
timeline_set_counts(json_t *o, const char *const *keys,
    const uint64_t *values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (json_object_set_new(o, keys[i],
		    json_integer((json_int_t)values[i])) != 0)
			return error_set("out of memory");
	return 0;
}

/* The counters of a walk into o, and add them to the run's total. */
static int
timeline_set_walk(json_t *o, const struct timeline_walk *w,
    struct timeline_walk *total)
{
	static const char *const keys[] = { "entries", "directories",
	    "vanished", "unreadable", "not_entered_depth", "long_names",
	    "mount_points_not_crossed", "birth_times", "atime_not_spared",
	    "link_targets_not_read" };
	const uint64_t values[] = { w->entries, w->directories, w->vanished,
	    w->unreadable, w->deeper, w->long_names, w->mount_points,
	    w->birth_times, w->atime_kept, w->targets_kept };

	if (total != NULL) {
		total->entries += w->entries;
		total->directories += w->directories;
		total->vanished += w->vanished;
		total->unreadable += w->unreadable;
		total->deeper += w->deeper;
		total->long_names += w->long_names;
		total->mount_points += w->mount_points;
		total->birth_times += w->birth_times;
		total->atime_kept += w->atime_kept;
		total->targets_kept += w->targets_kept;
	}
	return timeline_set_counts(o, keys, values, sizeof values / sizeof values[0]);
}

/* Record a mount as left out, with the reason. */
static int
timeline_skipped(struct timeline_mount *m, const char *reason)
{
	m->skip = reason;
	if (json_object_set_new(m->record, "action", json_string("skipped")) != 0 ||
	    json_object_set_new(m->record, "reason", json_string(reason)) != 0)
		return error_set("out of memory");
	return 0;
}

/* The walked mount on the same device, or NULL. */
static const struct timeline_mount *
timeline_same_device(const struct timeline_run *t, dev_t dev)
{
	size_t i;

	for (i = 0; i < t->walked_n; i++)
		if (t->devs[i] == dev)
			return t->walked[i];
	return NULL;
}

/* Open where a mount's walk starts; -1 when it is not walked (recorded). */
static int
timeline_mount_open(struct timeline_run *t, struct timeline_mount *m)
{
	const struct timeline_mount *same;
	struct statx x;
	int fd;

	if ((fd = timeline_open_dir(AT_FDCWD, m->start, &t->total.atime_kept)) < 0 ||
	    timeline_stat(fd, "", &x) != 0) {
		live_set_errno(m->record, "error", errno);
		if (fd >= 0)
			close(fd);
		return timeline_skipped(m, "cannot be opened") == 0 ? -1 : -2;
	}
	if ((x.stx_mask & STATX_MNT_ID) && x.stx_mnt_id != m->id) {
		close(fd);
		return timeline_skipped(m, "not reachable at its mount point "
		    "(another mount covers it)") == 0 ? -1 : -2;
	}
	m->dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	if ((same = timeline_same_device(t, m->dev)) != NULL) {
		close(fd);
		if (json_object_set_new(m->record, "same_as",
		    live_string(same->point, same->point_len)) != 0)
			return error_set("out of memory"), -2;
		return timeline_skipped(m, "same filesystem as a mount walked "
		    "already (bind mount): walked once") == 0 ? -1 : -2;
	}
	return fd;
}

/* Walk one mount: 0, 1 when a cap stopped the bodyfile, -1 when fatal. */
static int
timeline_mount_walk(struct timeline_run *t, struct timeline_mount *m)
{
	struct timeline_walk w = { .body = &t->body, .problems = &t->problems,
	    .atime = m->atime, .now = t->now };
	int fd, rc;

	if ((fd = timeline_mount_open(t, m)) < 0)
		return fd == -1 ? 0 : -1;
	t->devs[t->walked_n] = m->dev;
	t->walked[t->walked_n++] = m;
	rc = timeline_walk(&w, fd, m->name, m->name_len);
	if (rc < 0)
		return -1;
	if (json_object_set_new(m->record, "action", json_string("walked")) != 0 ||
	    json_object_set_new(m->record, "name",
	    live_string(m->name, m->name_len)) != 0 ||
	    timeline_set_walk(m->record, &w, &t->total) != 0)
		return -1;
	return rc;
}

/* Walk the mounts chosen, those showing a whole filesystem first. */
static int
timeline_walk_mounts(struct timeline_run *t)
{
	struct timeline_mount *m;
	size_t i;
	int pass, rc = 0;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < t->mounts.n; i++) {
			m = &t->mounts.v[i];
			if (m->skip != NULL || m->start == NULL ||
			    (strcmp(m->fsroot, "/") == 0) != (pass == 0))
				continue;
			if (rc == 1) {
				if (timeline_skipped(m, "not walked: a cap "
				    "was reached") != 0)
					return -1;
				continue;
			}
			if ((rc = timeline_mount_walk(t, m)) < 0)
				return -1;
		}
	for (i = 0; i < t->mounts.n; i++) {
		m = &t->mounts.v[i];
		if (m->skip != NULL && json_object_get(m->record, "action") == NULL &&
		    timeline_skipped(m, m->skip) != 0)
			return -1;
	}
	return 0;
}

/* The caps, as recorded. */
static json_t *
timeline_caps(const struct timeline_body *b)
{
	return json_pack("{s:I, s:I, s:i, s:I, s:I, s:I}",
	    "entries", (json_int_t)b->max_lines,
	    "size", (json_int_t)b->limit,
	    "depth", TIMELINE_DEPTH_MAX,
	    "name_bytes", (json_int_t)TIMELINE_PATH_MAX,
	    "target_bytes", (json_int_t)TIMELINE_TARGET_MAX,
	    "part_bytes", (json_int_t)TIMELINE_PART_MAX);
}

/* The document: format, caps, parts, totals, problems and the mounts. */
static int
timeline_document(struct timeline_run *t, json_t *doc)
{
	json_t *mounts = json_array(), *totals = json_object();
	size_t i;
	int rc = mounts != NULL && totals != NULL ? 0 : -1;

	for (i = 0; rc == 0 && i < t->mounts.n; i++)
		rc = json_array_append(mounts, t->mounts.v[i].record);
	if (rc == 0)
		rc = timeline_set_walk(totals, &t->total, NULL);
	if (rc != 0 ||
	    json_object_set_new(doc, "timeline_version", json_integer(TIMELINE_VERSION)) != 0 ||
	    json_object_set_new(doc, "format", json_string("mactime 3.x bodyfile")) != 0 ||
	    json_object_set_new(doc, "root", json_string(t->live->root[0] != '\0' ?
	    t->live->root : "/")) != 0 ||
	    json_object_set_new(doc, "stat", json_string(compat_missing(COMPAT_STATX) ?
	    "fstatat (no statx: crtime 0)" : "statx")) != 0 ||
	    json_object_set(doc, "parts", t->body.members) != 0 ||
	    json_object_set_new(doc, "lines", json_integer((json_int_t)t->body.lines)) != 0 ||
	    json_object_set_new(doc, "bytes", json_integer((json_int_t)t->body.bytes)) != 0 ||
	    json_object_set_new(doc, "caps", timeline_caps(&t->body)) != 0 ||
	    json_object_set_new(doc, "truncated", json_boolean(t->body.full)) != 0 ||
	    json_object_set_new(doc, "truncated_by", t->body.full ?
	    json_string(t->body.full_reason) : json_null()) != 0 ||
	    json_object_set_new(doc, "totals", totals) != 0 ||
	    json_object_set(doc, "problems", t->problems.list) != 0 ||
	    json_object_set_new(doc, "problems_count",
	    json_integer((json_int_t)t->problems.count)) != 0 ||
	    json_object_set_new(doc, "mounts_truncated",
	    json_boolean(t->mounts.truncated)) != 0 ||
	    json_object_set_new(doc, "mounts", mounts) != 0) {
		return error_set("out of memory");
	}
	return 0;
}

/* Free what a run holds. */
static void
timeline_run_free(struct timeline_run *t)
{
	timeline_body_free(&t->body);
	json_decref(t->problems.list);
	timeline_mounts_free(&t->mounts);
	free(t->devs);
	free(t->walked);
}

/* The timeline source. */
static int
live_timeline(struct live_run *run)
{
	struct timeline_run t;
	struct live_file info = { 0 };
	uint64_t limit = run->max_size >= 0 ? (uint64_t)run->max_size :
	    (uint64_t)TIMELINE_SIZE_DEFAULT;
	int rc = -1;

	memset(&t, 0, sizeof t);
	t.live = run;
	t.now = (int64_t)time(NULL);
	if (timeline_mounts_read(&t.mounts, run->root, &info) != 0)
		return -1;
	t.problems.list = json_array();
	t.devs = calloc(t.mounts.n + 1, sizeof *t.devs);
	t.walked = calloc(t.mounts.n + 1, sizeof *t.walked);
	if (t.problems.list == NULL || t.devs == NULL || t.walked == NULL)
		error_set("out of memory");
	else if (timeline_body_start(&t.body, run, limit) == 0 &&
	    timeline_walk_mounts(&t) == 0 && timeline_body_finish(&t.body) == 0)
		rc = timeline_document(&t, run->doc);
	if (rc != 0)
		run->fatal = true;
	timeline_run_free(&t);
	free(info.data);
	return rc;
}

const struct live_reader live_reader_timeline = {
	.origin = "/proc/self/mountinfo and statx(2) of every entry of the "
	    "local filesystems",
	.fill = live_timeline,
};
