/*
 * The kinds of filesystem (local, pseudo, automount, network, FUSE,
 * image) by type name, and the table of mounts that tells a walk, from a
 * stat, when it is about to step onto one it must not read.
 */
#include "config.h"

#include <sys/sysmacros.h>
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"
#include "mountclass.h"

/* Filesystem types by kind; each list ends with NULL. */
static const char *const mountclass_pseudo[] = {
	"proc", "sysfs", "cgroup", "cgroup2", "devpts", "debugfs", "tracefs",
	"securityfs", "bpf", "pstore", "efivarfs", "configfs", "fusectl",
	"mqueue", "hugetlbfs", "binfmt_misc", "rpc_pipefs", "nsfs",
	"selinuxfs", "smackfs", "nfsd", "ipathfs", "rdma", "resctrl", NULL
};
static const char *const mountclass_network[] = {
	"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "coda", "afs",
	"ceph", "9p", "virtiofs", "glusterfs", "lustre", "gfs2", "ocfs2",
	"orangefs", "pvfs2", "beegfs", "gpfs", "vboxsf", "vmhgfs",
	"fuse.sshfs", "fuse.s3fs", "fuse.rclone", "fuse.glusterfs",
	"fuse.ceph", "fuse.cephfs", "fuse.davfs2", NULL
};
static const char *const mountclass_image[] = { "squashfs", "erofs", NULL };

/* True when name is in a NULL-terminated list. */
static bool
mountclass_listed(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

enum mountclass_kind
mountclass_kind(const char *fstype)
{
	if (mountclass_listed(mountclass_pseudo, fstype))
		return MOUNTCLASS_PSEUDO;
	if (strcmp(fstype, "autofs") == 0)
		return MOUNTCLASS_AUTOMOUNT;
	if (mountclass_listed(mountclass_network, fstype))
		return MOUNTCLASS_NETWORK;
	if (strcmp(fstype, "fuse") == 0 || strcmp(fstype, "fuseblk") == 0 ||
	    strncmp(fstype, "fuse.", 5) == 0 || strncmp(fstype, "fuseblk.", 8) == 0)
		return MOUNTCLASS_FUSE;
	if (mountclass_listed(mountclass_image, fstype))
		return MOUNTCLASS_IMAGE;
	return MOUNTCLASS_LOCAL;
}

bool
mountclass_remote(enum mountclass_kind kind)
{
	return kind == MOUNTCLASS_NETWORK || kind == MOUNTCLASS_FUSE ||
	    kind == MOUNTCLASS_AUTOMOUNT;
}

/* "MAJOR:MINOR" as a device number. */
static int
mountclass_dev(const char *text, dev_t *dev)
{
	char *end;
	unsigned long major_, minor_;

	major_ = strtoul(text, &end, 10);
	if (end == text || *end != ':')
		return -1;
	text = end + 1;
	minor_ = strtoul(text, &end, 10);
	if (end == text || *end != '\0')
		return -1;
	*dev = makedev(major_, minor_);
	return 0;
}

int
mountclass_parse(char *line, struct mountclass_line *l)
{
	char *field[10], *save = NULL, *f;
	unsigned long long id, parent;
	int n = 0;

	memset(l, 0, sizeof *l);
	while (n < 10 &&
	    (f = strtok_r(n == 0 ? line : NULL, " ", &save)) != NULL) {
		if (n == 6 && strcmp(f, "-") != 0)
			continue;	/* optional fields */
		field[n++] = f;
	}
	if (n < 9 || !live_decimal(field[0], &id) ||
	    !live_decimal(field[1], &parent) || mountclass_dev(field[2], &l->dev) != 0)
		return -1;
	l->id = id;
	l->parent = parent;
	l->fsroot = field[3];
	l->point = field[4];
	l->options = field[5];
	l->fstype = field[7];
	l->source = field[8];
	l->super = n > 9 ? field[9] : NULL;
	live_unescape(l->fsroot);
	l->point_len = live_unescape(l->point);
	live_unescape(l->fstype);
	live_unescape(l->source);
	return 0;
}

/* Add one mount to the table. 0 or -1. */
static int
mountclass_add(struct mountclass_table *t, size_t *size,
    const struct mountclass_line *l)
{
	struct mountclass_mount *grown, *m;

	if ((grown = live_grow(t->v, size, t->n, sizeof *t->v)) == NULL)
		return -1;
	t->v = grown;
	m = &t->v[t->n];
	m->id = l->id;
	m->parent = l->parent;
	m->dev = l->dev;
	m->kind = mountclass_kind(l->fstype);
	if ((m->fstype = strdup(l->fstype)) == NULL)
		return -1;
	t->n++;
	return 0;
}

/* Drop the mounts of a table, keeping what was reported. */
static void
mountclass_table_clear(struct mountclass_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].fstype);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

int
mountclass_table_read(struct mountclass_table *t)
{
	struct mountclass_table fresh = { .loaded = true };
	struct mountclass_line l;
	struct live_file f;
	size_t size = 0;
	char *cursor, *line;

	if (live_read(AT_FDCWD, "/proc/self/mountinfo", LIVE_TABLE_MAX, &f) != 0)
		return -1;
	fresh.truncated = f.truncated;
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if (mountclass_parse(line, &l) != 0)
			continue;
		if (fresh.n == MOUNTCLASS_MOUNTS_MAX) {
			fresh.truncated = true;
			break;
		}
		if (mountclass_add(&fresh, &size, &l) != 0) {
			free(f.data);
			mountclass_table_clear(&fresh);
			return error_set("out of memory");
		}
	}
	free(f.data);
	/* What was reported stays: a mount point is recorded once. */
	mountclass_table_clear(t);
	t->v = fresh.v;
	t->n = fresh.n;
	t->truncated = fresh.truncated;
	t->loaded = true;
	return 0;
}

void
mountclass_table_free(struct mountclass_table *t)
{
	mountclass_table_clear(t);
	pathset_free(&t->reported);
	memset(t, 0, sizeof *t);
}

/* The mount of a place: by id where known, else the first on its device. */
static const struct mountclass_mount *
mountclass_find(const struct mountclass_table *t,
    const struct mountclass_place *p)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (p->mnt_id != 0 ? t->v[i].id == p->mnt_id :
		    t->v[i].dev == p->dev)
			return &t->v[i];
	return NULL;
}

const struct mountclass_mount *
mountclass_remote_at(const struct mountclass_table *t,
    const struct mountclass_place *p)
{
	const struct mountclass_mount *m;

	if (!t->loaded)
		return NULL;
	m = mountclass_find(t, p);
	return m != NULL && mountclass_remote(m->kind) ? m : NULL;
}

const struct mountclass_mount *
mountclass_crossing(struct mountclass_table *t,
    const struct mountclass_place *from, const struct mountclass_place *to)
{
	const struct mountclass_mount *m;

	if (from->mnt_id != 0 && to->mnt_id != 0 ? from->mnt_id == to->mnt_id :
	    from->dev == to->dev)
		return NULL;
	if (!t->loaded)
		return NULL;
	m = mountclass_find(t, to);
	/* A mount made since the table was read: read it again, a few times. */
	if (m == NULL && t->rereads < MOUNTCLASS_REREADS_MAX) {
		t->rereads++;
		if (mountclass_table_read(t) == 0)
			m = mountclass_find(t, to);
	}
	return m != NULL && mountclass_remote(m->kind) ? m : NULL;
}

/* True when the mount with this id is one of place's. */
static bool
mountclass_is_place(const struct mountclass_table *t, uint64_t id,
    const struct mountclass_place *p)
{
	size_t i;

	if (p->mnt_id != 0)
		return id == p->mnt_id;
	for (i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return t->v[i].dev == p->dev;
	return false;
}

bool
mountclass_holds_remote(const struct mountclass_table *t,
    const struct mountclass_place *p)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (mountclass_remote(t->v[i].kind) &&
		    mountclass_is_place(t, t->v[i].parent, p))
			return true;
	return false;
}

void
mountclass_reason(const struct mountclass_mount *m, char *out, size_t size)
{
	if (m->kind == MOUNTCLASS_AUTOMOUNT)
		snprintf(out, size, "automount point, not triggered: %s", m->fstype);
	else
		snprintf(out, size, "network or FUSE filesystem, not read: %s",
		    m->fstype);
}
