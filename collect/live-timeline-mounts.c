/*
 * Which mounts the timeline walks, and from where: local filesystems from
 * /proc/self/mountinfo, pseudo, network, FUSE and image filesystems left
 * out (by the kinds of mountclass.c), each with its reason.
 */
#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "live.h"
#include "live-timeline.h"
#include "mountclass.h"

/* Why a filesystem type is left out, or NULL when it is walked. */
const char *
timeline_fstype_skip(const char *fstype, const char *point)
{
	switch (mountclass_kind(fstype)) {
	case MOUNTCLASS_PSEUDO:
	case MOUNTCLASS_AUTOMOUNT:
		return "pseudo filesystem: kernel state, not stored files";
	case MOUNTCLASS_NETWORK:
		return "network filesystem: another host's files";
	case MOUNTCLASS_FUSE:
		return "FUSE filesystem: served by a process, which may be "
		    "remote, slow or never answer";
	case MOUNTCLASS_IMAGE:
		return "read-only image: its image file is in the timeline "
		    "of the filesystem that holds it";
	case MOUNTCLASS_LOCAL:
		break;
	}
	if (strcmp(fstype, "overlay") == 0 && strcmp(point, "/") != 0)
		return "overlay: its layers are directories of filesystems "
		    "walked themselves";
	return NULL;
}

/* True when path is dir or below it ("/" holds everything). */
static bool
timeline_below(const char *path, size_t path_len, const char *dir,
    size_t dir_len)
{
	if (dir_len == 1 && dir[0] == '/')
		return true;
	return path_len >= dir_len && memcmp(path, dir, dir_len) == 0 &&
	    (path_len == dir_len || path[dir_len] == '/');
}

/* True when a comma-separated list of options holds option. */
static bool
timeline_option(const char *options, const char *option)
{
	size_t n = strlen(option);

	while (options != NULL && *options != '\0') {
		if (strncmp(options, option, n) == 0 &&
		    (options[n] == ',' || options[n] == '\0'))
			return true;
		if ((options = strchr(options, ',')) != NULL)
			options++;
	}
	return false;
}

/* When reading a link updates its atime, from the mount's options. */
static enum atime_policy
timeline_atime_policy(const char *options, const char *super)
{
	if (timeline_option(options, "ro") || timeline_option(super, "ro") ||
	    timeline_option(options, "noatime"))
		return ATIME_NEVER;
	if (timeline_option(options, "relatime"))
		return ATIME_RELATIME;
	return ATIME_ALWAYS;
}

/* Split a mountinfo line into a mount; -1 when malformed. */
static int
timeline_mount_parse(char *line, struct timeline_mount *m)
{
	struct mountclass_line l;

	memset(m, 0, sizeof *m);
	if (mountclass_parse(line, &l) != 0)
		return -1;
	m->id = l.id;
	m->fsroot = l.fsroot;
	m->point = l.point;
	m->point_len = l.point_len;
	m->fstype = l.fstype;
	m->source = l.source;
	m->atime = timeline_atime_policy(l.options, l.super);
	return 0;
}

/* The mount's record in timeline.json. */
static json_t *
timeline_mount_record(const struct timeline_mount *m)
{
	json_t *r = json_object();

	if (r == NULL || json_object_set_new(r, "mount_id",
	    json_integer((json_int_t)m->id)) != 0 ||
	    json_object_set_new(r, "mount_point",
	    live_string(m->point, m->point_len)) != 0 ||
	    json_object_set_new(r, "fstype",
	    live_string(m->fstype, strlen(m->fstype))) != 0 ||
	    json_object_set_new(r, "source",
	    live_string(m->source, strlen(m->source))) != 0 ||
	    json_object_set_new(r, "root",
	    live_string(m->fsroot, strlen(m->fsroot))) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* Leave out mounts below a mount left out for its type, and covered ones. */
static void
timeline_mounts_inherit(struct timeline_mounts *ms)
{
	struct timeline_mount *m, *s;
	size_t i, j;

	for (i = 0; i < ms->n; i++) {
		m = &ms->v[i];
		for (j = 0; m->skip == NULL && j < ms->n; j++) {
			s = &ms->v[j];
			if (j == i || s->point_len == 1 || !s->type_skipped)
				continue;
			if (timeline_below(m->point, m->point_len, s->point,
			    s->point_len) && m->point_len > s->point_len) {
				m->skip = "below a mount left out";
				json_object_set_new(m->record, "below",
				    live_string(s->point, s->point_len));
			}
		}
		for (j = i + 1; m->skip == NULL && j < ms->n; j++)
			if (ms->v[j].point_len == m->point_len &&
			    memcmp(ms->v[j].point, m->point, m->point_len) == 0)
				m->skip = "covered by a later mount on the same "
				    "mount point";
	}
}

/* Where each mount's walk starts, for a root ("" = the host). */
static void
timeline_mounts_scope(struct timeline_mounts *ms, const char *root)
{
	size_t i, root_len = strlen(root), deepest = (size_t)-1;
	struct timeline_mount *m;

	for (i = 0; i < ms->n; i++) {
		m = &ms->v[i];
		if (m->skip != NULL)
			continue;
		if (root_len == 0 || timeline_below(m->point, m->point_len,
		    root, root_len)) {
			m->start = m->point;
			m->name = m->point_len == root_len ? "/" :
			    m->point + root_len;
			m->name_len = strlen(m->name);
		} else if (timeline_below(root, root_len, m->point,
		    m->point_len)) {
			if (deepest == (size_t)-1 ||
			    m->point_len >= ms->v[deepest].point_len)
				deepest = i;
		} else
			m->skip = "outside the root";
	}
	for (i = 0; i < ms->n; i++) {
		m = &ms->v[i];
		if (m->skip != NULL || m->start != NULL)
			continue;
		if (i != deepest) {
			m->skip = "does not hold the root (a deeper mount does)";
			continue;
		}
		m->start = root;
		m->name = "/";
		m->name_len = 1;
	}
}

/* Read mountinfo and decide what is walked, and from where. */
int
timeline_mounts_read(struct timeline_mounts *ms, const char *root,
    struct live_file *f)
{
	struct timeline_mount m, *grown;
	size_t size = 0;
	char *cursor, *line;

	memset(ms, 0, sizeof *ms);
	if (live_read(AT_FDCWD, "/proc/self/mountinfo", LIVE_TABLE_MAX, f) != 0)
		return -1;
	ms->truncated = f->truncated;
	cursor = f->data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if (timeline_mount_parse(line, &m) != 0)
			continue;
		if (ms->n == TIMELINE_MOUNTS_MAX) {
			ms->truncated = true;
			break;
		}
		grown = live_grow(ms->v, &size, ms->n, sizeof *ms->v);
		if (grown == NULL || (m.record = timeline_mount_record(&m)) == NULL) {
			timeline_mounts_free(ms);
			return error_set("out of memory");
		}
		ms->v = grown;
		m.skip = timeline_fstype_skip(m.fstype, m.point);
		m.type_skipped = m.skip != NULL;
		ms->v[ms->n++] = m;
	}
	timeline_mounts_inherit(ms);
	timeline_mounts_scope(ms, root);
	return 0;
}

void
timeline_mounts_free(struct timeline_mounts *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		json_decref(ms->v[i].record);
	free(ms->v);
	memset(ms, 0, sizeof *ms);
}
