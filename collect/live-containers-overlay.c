/*
 * A container's writable layer on overlayfs (Docker's overlay2, the
 * overlay driver of containers/storage): what `docker diff` shows, from
 * the upper directory and the lower layers it names, never following a
 * link, within caps; small scripts and ELF files among the changes kept.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/util.h"

#include "atime.h"
#include "collector.h"
#include "live-containers.h"
#include "live.h"

#define CONTAINERS_LOWER_TEXT	16384	/* the lower file */
#define CONTAINERS_LOOKUPS_MAX	1000000	/* directory opens to classify changes */
#define CONTAINERS_WHITEOUT	".wh."
#define CONTAINERS_OPAQUE	".wh..wh..opq"

/* One walk over an upper directory. */
struct containers_diff {
	struct live_run	*run;
	int		 lower[CONTAINERS_LOWER_MAX];	/* -1: missing */
	size_t		 lowers;
	json_t		*changes;
	const char	*upper;		/* on-disk path of the upper dir, for sources */
	const char	*member;	/* live/containers/MEMBER/diff/... */
	int64_t		 keep_size;
	size_t		 kept;
	size_t		 not_kept;	/* executables over a cap */
	size_t		 lookups;
	size_t		 targets_not_read;	/* reading them would change an atime */
	bool		 truncated;	/* CONTAINERS_DIFF_MAX reached */
	bool		 too_deep;
	bool		 unclassified;	/* lookup budget spent */
	int		 rc;		/* -1 once archiving failed */
};

/* The type of a file for the diff list. */
static const char *
containers_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))	return "file";
	if (S_ISDIR(st->st_mode))	return "directory";
	if (S_ISLNK(st->st_mode))	return "symlink";
	if (S_ISCHR(st->st_mode))	return "char-device";
	if (S_ISBLK(st->st_mode))	return "block-device";
	if (S_ISFIFO(st->st_mode))	return "fifo";
	return "socket";
}

/* True when st is an overlay whiteout: a character device 0/0. */
static bool
containers_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 &&
	    minor(st->st_rdev) == 0;
}

/* True when name below dirfd is a link (which the walk does not follow). */
static bool
containers_is_link(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode);
}

/*
 * Read the target of the link name below dirfd only where that leaves the
 * link's atime alone (atime_link_spared, the timeline's rule): a layer's
 * links are state, not content, and their atimes are evidence. Its
 * length (cut at size - 1), -2 when not read for that, -1 (errno).
 */
static ssize_t
containers_readlink(int dirfd, const char *name, char *target, size_t size)
{
	size_t n;
	int rc = atime_readlink_spared(dirfd, name, target, size, &n);

	return rc < 0 ? -1 : rc == 1 ? -2 : (ssize_t)n;
}

/*
 * Open the directory of rel below the lower layer fd through real
 * directories only, each component counted against the lookup budget;
 * *last is rel's last component.
 */
static int
containers_lower_parent(struct containers_diff *d, int fd, const char *rel,
    const char **last)
{
	char dir[CONTAINERS_PATH_MAX];
	const char *slash = strrchr(rel, '/'), *p;
	size_t parts = 1;

	for (p = rel; (p = strchr(p, '/')) != NULL; p++)
		parts++;
	if ((d->lookups += parts) > CONTAINERS_LOOKUPS_MAX)
		return -1;
	*last = slash != NULL ? slash + 1 : rel;
	if (slash == NULL)
		return walk_open_beneath(fd, "");
	if ((size_t)(slash - rel) >= sizeof dir)
		return -1;
	memcpy(dir, rel, (size_t)(slash - rel));
	dir[slash - rel] = '\0';
	return walk_open_beneath(fd, dir);
}

/* Whether rel (no leading /) exists in the lower layers: 1 yes, 0 no, -1 unknown. */
static int
containers_in_lower(struct containers_diff *d, const char *rel)
{
	struct stat st;
	const char *last;
	size_t i;
	int fd, found;

	for (i = 0; i < d->lowers; i++) {
		if (d->lower[i] < 0)
			continue;
		if (d->lookups >= CONTAINERS_LOOKUPS_MAX)
			return d->unclassified = true, -1;
		if ((fd = containers_lower_parent(d, d->lower[i], rel, &last)) < 0)
			continue;
		found = fstatat(fd, last, &st, AT_SYMLINK_NOFOLLOW) == 0;
		close(fd);
		if (found)
			return containers_is_whiteout(&st) ? 0 : 1;
	}
	return 0;
}

/* True when the directory open as fd is opaque (hides the lower ones). */
static bool
containers_opaque(int fd)
{
	char value[4];
	ssize_t n;

	n = fgetxattr(fd, "trusted.overlay.opaque", value, sizeof value);
	if (n < 0)
		n = fgetxattr(fd, "user.overlay.opaque", value, sizeof value);
	return n == 1 && value[0] == 'y';
}

/* Append one change; false once the cap is reached. */
static bool
containers_change(struct containers_diff *d, json_t *change)
{
	if (json_array_size(d->changes) >= CONTAINERS_DIFF_MAX) {
		json_decref(change);
		d->truncated = true;
		return false;
	}
	if (containers_append(d->run, d->changes, change) != 0)
		d->truncated = true;
	return !d->truncated;
}

/* A change record: path (with leading /), letter, type. */
static json_t *
containers_change_new(const char *rel, const char *letter, const char *type)
{
	json_t *change = json_object();
	size_t len = strlen(rel);
	char *with_slash = malloc(len + 2);

	if (change == NULL || with_slash == NULL) {
		free(with_slash);
		json_decref(change);
		return NULL;
	}
	with_slash[0] = '/';
	memcpy(with_slash + 1, rel, len + 1);
	live_set_bytes(change, "path", with_slash, len + 1);
	free(with_slash);
	if (json_object_get(change, "path") == NULL ||
	    json_object_set_new(change, "change", json_string(letter)) != 0 ||
	    json_object_set_new(change, "type", json_string(type)) != 0) {
		json_decref(change);
		return NULL;
	}
	return change;
}

/* The time of a timespec as an ISO-8601 JSON string. */
static json_t *
containers_time(const struct timespec *ts)
{
	char text[UTIL_TIME_SIZE];

	util_time_format(ts, text);
	return json_string(text);
}

/* True when the file open as fd begins as a script (#!) or an ELF file does. */
static bool
containers_executable(int fd)
{
	char magic[4];
	ssize_t n = pread(fd, magic, sizeof magic, 0);

	return (n >= 2 && memcmp(magic, "#!", 2) == 0) ||
	    (n == 4 && memcmp(magic, "\177ELF", 4) == 0);
}

/* Why an executable among the changes is not archived, or NULL to archive it. */
static const char *
containers_keep_refusal(struct containers_diff *d, const struct stat *st)
{
	if (st->st_size > d->keep_size)
		return "larger than the size cap";
	if (d->kept >= CONTAINERS_KEEP_MAX)
		return "more files kept than the cap";
	return NULL;
}

/* Archive a small script or ELF file among the changes into change["kept"]. */
static int
containers_keep(struct containers_diff *d, int dirfd, const char *name,
    const char *rel, json_t *change)
{
	char *member = NULL, *source = NULL;
	const char *refusal;
	struct stat st;
	json_t *kept;
	int fd, rc = 0;

	if ((fd = util_open_file(dirfd, name, &st)) < 0)
		return 0;
	if (!containers_executable(fd)) {
		close(fd);
		return 0;
	}
	if ((refusal = containers_keep_refusal(d, &st)) != NULL) {
		d->not_kept++;
		close(fd);
		return containers_set(d->run, change, "not_kept",
		    json_string(refusal)), 0;
	}
	if (asprintf(&member, "%s/diff/%s", d->member, rel) < 0 ||
	    asprintf(&source, "%s/%s", d->upper, rel) < 0)
		rc = error_set_errno("asprintf");
	else if ((kept = json_object()) == NULL ||
	    json_object_set_new(change, "kept", kept) != 0)
		rc = error_set("out of memory");
	else if ((rc = live_add_file(d->run, member, fd, &st, source,
	    d->keep_size, kept)) == 0)
		d->kept++;
	close(fd);
	free(member);
	free(source);
	return rc;
}

/* Add type-specific facts (size, target, times) to a change. */
static void
containers_change_facts(struct containers_diff *d, int dirfd, const char *name,
    const struct stat *st, json_t *change)
{
	char target[CONTAINERS_PATH_MAX];
	ssize_t n;

	containers_set(d->run, change, "mtime", containers_time(&st->st_mtim));
	if (S_ISREG(st->st_mode))
		containers_set(d->run, change, "size",
		    json_integer((json_int_t)st->st_size));
	if (!S_ISLNK(st->st_mode))
		return;
	n = containers_readlink(dirfd, name, target, sizeof target);
	if (n == -2) {
		d->targets_not_read++;
		containers_set(d->run, change, "target_not_read", json_true());
	} else if (n >= 0 && (size_t)n < sizeof target - 1)	/* not cut */
		live_set_bytes(change, "target", target, (size_t)n);
}

static int containers_walk(struct containers_diff *, int dirfd,
    const char *rel, int depth);

/* A directory among the changes: opaque or not, then walked. */
static int
containers_directory(struct containers_diff *d, int dirfd, const char *name,
    const char *rel, int depth, json_t *change)
{
	int fd;

	fd = walk_open_dir(dirfd, name);
	if (fd < 0) {
		containers_set(d->run, change, "error", json_string(strerror(errno)));
		return 0;
	}
	if (containers_opaque(fd))
		containers_set(d->run, change, "opaque", json_true());
	if (depth + 1 >= CONTAINERS_DIFF_DEPTH) {
		d->too_deep = true;
		close(fd);
		return 0;
	}
	return containers_walk(d, fd, rel, depth + 1);	/* closes fd */
}

/* One entry of an upper directory. */
static int
containers_entry(struct containers_diff *d, int dirfd, const char *name,
    const char *rel, int depth)
{
	struct stat st;
	const char *letter = "A";
	json_t *change;
	int lower;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;	/* vanished */
	if (containers_is_whiteout(&st))
		return containers_change(d, containers_change_new(rel, "D",
		    "whiteout")) ? 0 : 1;
	if ((lower = containers_in_lower(d, rel)) != 0)
		letter = lower > 0 ? "C" : "?";
	if ((change = containers_change_new(rel, letter, containers_kind(&st))) == NULL)
		return containers_change(d, NULL) ? 0 : 1;
	containers_change_facts(d, dirfd, name, &st, change);
	if (!containers_change(d, change))
		return 1;
	if (S_ISDIR(st.st_mode))
		return containers_directory(d, dirfd, name, rel, depth, change);
	if (S_ISREG(st.st_mode) && containers_keep(d, dirfd, name, rel, change) != 0)
		return d->rc = -1;
	return 0;
}

/* A ".wh.NAME" file (whiteouts where device nodes cannot be made). */
static int
containers_wh_file(struct containers_diff *d, const char *parent,
    const char *name)
{
	char rel[CONTAINERS_PATH_MAX];
	const char *gone = name + strlen(CONTAINERS_WHITEOUT);
	int n;

	if (strcmp(name, CONTAINERS_OPAQUE) == 0)
		n = snprintf(rel, sizeof rel, "%s", parent[0] ? parent : ".");
	else
		n = snprintf(rel, sizeof rel, "%s%s%s", parent, parent[0] ? "/" : "",
		    gone);
	if (n < 0 || (size_t)n >= sizeof rel)
		return 0;
	return containers_change(d, containers_change_new(rel,
	    strcmp(name, CONTAINERS_OPAQUE) == 0 ? "C" : "D",
	    strcmp(name, CONTAINERS_OPAQUE) == 0 ? "opaque-marker" :
	    "whiteout")) ? 0 : 1;
}

/* Walk an upper directory (fd, closed here) at rel; 1 stops, -1 fatal. */
static int
containers_walk(struct containers_diff *d, int fd, const char *rel, int depth)
{
	char child[CONTAINERS_PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n, rc = 0;

	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, CONTAINERS_WHITEOUT,
		    strlen(CONTAINERS_WHITEOUT)) == 0) {
			rc = containers_wh_file(d, rel, de->d_name);
			continue;
		}
		n = snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "",
		    de->d_name);
		if (n < 0 || (size_t)n >= sizeof child)
			continue;
		rc = containers_entry(d, dirfd(dir), de->d_name, child, depth);
	}
	closedir(dir);
	return rc;
}

/* Open the upper directory of lower layer id into d->lower[i]; noted if missing. */
static void
containers_lower_open(struct containers_diff *d, int overlayfd, size_t i,
    const char *id, json_t *entry)
{
	char rel[300];

	d->lower[i] = -1;
	if (containers_name_ok(id, 255) &&
	    snprintf(rel, sizeof rel, "%s/diff", id) < (int)sizeof rel)
		d->lower[i] = walk_open_beneath(overlayfd, rel);
	if (d->lower[i] < 0)
		containers_note(d->run, id, "lower layer missing");
	containers_set(d->run, entry, "layer", json_string(id));
	containers_set(d->run, entry, "missing", json_boolean(d->lower[i] < 0));
}

/*
 * The layer id a lower link "l/SHORT" names (a link ../ID/diff) below the
 * l/ directory linkfd: 1, 0 when its target is not read (that would change
 * its atime), -1 when missing or pointing elsewhere (noted).
 */
static int
containers_lower_id(struct containers_diff *d, int linkfd, const char *link,
    char *id, size_t size)
{
	char target[512];
	ssize_t n = -1;

	if (linkfd >= 0)
		n = containers_readlink(linkfd, link + 2, target, sizeof target);
	if (n == -2)
		return 0;
	if (n < 0) {
		containers_note(d->run, link, "lower layer link missing or refused");
		return -1;
	}
	target[n] = '\0';
	if (n < 9 || strncmp(target, "../", 3) != 0 ||
	    strcmp(target + n - 5, "/diff") != 0 || (size_t)(n - 8) >= size) {
		containers_note(d->run, link, "lower link points elsewhere");
		return -1;
	}
	memcpy(id, target + 3, (size_t)(n - 8));
	id[n - 8] = '\0';
	return 1;
}

/* One link of the lower file: its entry, its layer opened when known. */
static bool
containers_lower_link(struct containers_diff *d, int overlayfd, int linkfd,
    const char *link, json_t *lower)
{
	char id[256];
	size_t i = d->lowers++;
	json_t *entry = json_pack("{ss}", "link", link);
	int known = -1;

	d->lower[i] = -1;
	if (entry == NULL || containers_append(d->run, lower, entry) != 0)
		return false;
	if (strncmp(link, "l/", 2) != 0 || !containers_name_ok(link + 2, 255))
		containers_note(d->run, link, "lower layer link is not l/NAME");
	else
		known = containers_lower_id(d, linkfd, link, id, sizeof id);
	if (known > 0)
		containers_lower_open(d, overlayfd, i, id, entry);
	else if (known == 0)
		containers_set(d->run, entry, "target_not_read", json_true());
	if (known <= 0)
		containers_set(d->run, entry, "missing", json_true());
	return known == 0;
}

/* True when the "link" file of layer directory fd holds short_name. */
static bool
containers_layer_is(int fd, const char *short_name)
{
	struct live_file f;
	struct stat st;
	bool same;

	if (fstatat(fd, "link", &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || live_read(fd, "link", 255, &f) != 0)
		return false;
	live_chomp(&f);
	same = !f.truncated && f.len == strlen(short_name) &&
	    memcmp(f.data, short_name, f.len) == 0;
	free(f.data);
	return same;
}

/* Find the layer of one lower link left unread in the layers' "link" files. */
static void
containers_lower_scan_one(struct containers_diff *d, int overlayfd, DIR *dir,
    size_t i, json_t *entry)
{
	const char *link = json_string_value(json_object_get(entry, "link"));
	struct dirent *de;
	size_t seen = 0;
	int fd;

	rewinddir(dir);
	while ((de = readdir(dir)) != NULL && seen++ < CONTAINERS_LAYERS_MAX &&
	    d->lookups++ < CONTAINERS_LOOKUPS_MAX) {
		if (!containers_name_ok(de->d_name, 255) ||
		    strcmp(de->d_name, "l") == 0 ||
		    (fd = walk_open_dir(overlayfd, de->d_name)) < 0)
			continue;
		if (containers_layer_is(fd, link + 2)) {
			close(fd);
			containers_lower_open(d, overlayfd, i, de->d_name, entry);
			return;
		}
		close(fd);
	}
	containers_note(d->run, link, "lower layer link not read (its atime "
	    "would change) and no layer's link file names it");
}

/*
 * The lower links whose targets were not read: their layers found by the
 * "link" file each layer directory holds (its short name), as Docker and
 * containers/storage write it.
 */
static void
containers_lower_scan(struct containers_diff *d, int overlayfd, json_t *lower)
{
	json_t *entry;
	DIR *dir;
	size_t i;
	int fd;

	if ((fd = walk_open_dir(overlayfd, ".")) < 0)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	json_array_foreach(lower, i, entry)
		if (json_is_true(json_object_get(entry, "target_not_read")))
			containers_lower_scan_one(d, overlayfd, dir, i, entry);
	closedir(dir);
}

/* Open the lower layers a layer's lower file names. */
static int
containers_lowers(struct containers_diff *d, int overlayfd, int layerfd,
    const char *layer, json_t *record)
{
	char *text, *cursor, *link;
	json_t *lower = json_array();
	bool unread = false;
	int linkfd;

	if (lower == NULL || containers_set(d->run, record, "lower", lower) != 0)
		return -1;
	if (faccessat(layerfd, "lower", F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;	/* a bottom layer has none */
	if ((text = malloc(CONTAINERS_LOWER_TEXT)) == NULL)
		return error_set_errno("malloc");
	linkfd = walk_open_beneath(overlayfd, "l");
	if (containers_read_line(d->run, layerfd, "lower", layer, text,
	    CONTAINERS_LOWER_TEXT) == 0) {
		for (cursor = text; (link = strsep(&cursor, ":")) != NULL;) {
			if (d->lowers == CONTAINERS_LOWER_MAX) {
				containers_note(d->run, layer, "more than %d lower "
				    "layers, the rest not compared",
				    CONTAINERS_LOWER_MAX);
				break;
			}
			if (containers_lower_link(d, overlayfd, linkfd, link, lower))
				unread = true;
		}
	}
	if (unread)
		containers_lower_scan(d, overlayfd, lower);
	if (linkfd >= 0)
		close(linkfd);
	free(text);
	return 0;
}

/* Set the totals of a finished walk on the container's layer record. */
static void
containers_diff_totals(const struct containers_diff *d, json_t *record)
{
	containers_set(d->run, record, "count",
	    json_integer((json_int_t)json_array_size(d->changes)));
	containers_set(d->run, record, "truncated", json_boolean(d->truncated));
	containers_set(d->run, record, "kept", json_integer((json_int_t)d->kept));
	containers_set(d->run, record, "not_kept",
	    json_integer((json_int_t)d->not_kept));
	if (d->too_deep)
		containers_set(d->run, record, "depth_truncated", json_true());
	if (d->unclassified)
		containers_set(d->run, record, "lookups_truncated", json_true());
	containers_set(d->run, record, "targets_not_read",
	    json_integer((json_int_t)d->targets_not_read));
}

/* Walk the upper directory of layer below overlayfd into record. */
static int
containers_diff_run(struct containers_diff *d, int overlayfd, int layerfd,
    const char *layer, json_t *record)
{
	int fd;

	if (containers_lowers(d, overlayfd, layerfd, layer, record) != 0)
		return -1;
	if ((fd = walk_open_beneath(layerfd, "diff")) < 0) {
		containers_note(d->run, layer, "no upper directory (diff): %s",
		    containers_is_link(layerfd, "diff") ? "symlink, not followed" :
		    strerror(errno));
		return 0;
	}
	if (containers_set(d->run, record, "changes", d->changes) != 0)
		return close(fd), -1;
	json_incref(d->changes);
	containers_walk(d, fd, "", 0);
	containers_sort(d->run, d->changes, "path");
	containers_diff_totals(d, record);
	return d->rc;
}

/* Describe the writable layer of a container. */
int
containers_overlay_diff(struct live_run *run, const char *overlay,
    const char *layer, const char *member, json_t *container)
{
	struct containers_diff d = { .run = run, .member = member };
	char *upper = NULL;
	json_t *record = json_pack("{ss}", "layer", layer);
	int overlayfd = -1, layerfd = -1, rc = 0;
	size_t i;

	d.keep_size = run->max_size >= 0 ? run->max_size : CONTAINERS_KEEP_SIZE;
	if (record == NULL || containers_set(run, container, "writable_layer",
	    record) != 0)
		return 0;
	if (!containers_name_ok(layer, 255)) {
		containers_note(run, layer, "layer name refused (not one path "
		    "component)");
		return 0;
	}
	if ((overlayfd = containers_open_dir(run, overlay)) < 0 ||
	    (layerfd = walk_open_beneath(overlayfd, layer)) < 0) {
		containers_note(run, layer, "layer missing from %s%s%s", run->root,
		    overlay, overlayfd >= 0 && containers_is_link(overlayfd, layer) ?
		    " (symlink, not followed)" : "");
		containers_set(run, record, "missing", json_true());
	} else if (asprintf(&upper, "%s%s/%s/diff", run->root, overlay,
	    layer) < 0 ||
	    (d.changes = json_array()) == NULL)
		rc = error_set("out of memory");
	else {
		d.upper = upper;
		rc = containers_diff_run(&d, overlayfd, layerfd, layer, record);
	}
	for (i = 0; i < d.lowers; i++)
		if (d.lower[i] >= 0)
			close(d.lower[i]);
	json_decref(d.changes);
	free(upper);
	if (layerfd >= 0)
		close(layerfd);
	if (overlayfd >= 0)
		close(overlayfd);
	return rc;
}
