/*
 * One object, one entry: the inodes, roots and trees already taken, and the
 * dispatch of each object found.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/pathmap.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "collector-private.h"

/* The slot of key in a set: where it is, or the empty one where it would go. */
static struct inode_key *
inode_set_slot(struct inode_key *slots, size_t capacity, const struct inode_key *k)
{
	size_t i = ((size_t)k->ino * 11400714819323198485ULL ^ (size_t)k->dev) &
	    (capacity - 1);

	while ((slots[i].dev != 0 || slots[i].ino != 0) &&
	    (slots[i].dev != k->dev || slots[i].ino != k->ino))
		i = (i + 1) & (capacity - 1);
	return &slots[i];
}

/* True when the set holds key. */
bool
inode_set_contains(const struct inode_set *set, const struct inode_key *k)
{
	const struct inode_key *slot;

	if (set->capacity == 0)
		return false;
	slot = inode_set_slot(set->slots, set->capacity, k);
	return slot->dev != 0 || slot->ino != 0;
}

/*
 * Add key to the set, growing it at three quarters full: at half full the
 * growth from 512 Ki to 1 Mi slots (a tree of 276,000 directories) held
 * 24 MiB at once, a third of the peak memory of a million files.
 * Linear probing at 3/4 still finds a key in 2.5 probes on average.
 * 0 or -1.
 */
static int
inode_set_add(struct inode_set *set, const struct inode_key *k)
{
	struct inode_key *slots, *slot;
	size_t i, capacity;

	if (k->dev == 0 && k->ino == 0)
		return 0;
	if (set->count + 1 > set->capacity / 4 * 3) {
		capacity = set->capacity != 0 ? set->capacity * 2 : 1024;
		if ((slots = calloc(capacity, sizeof *slots)) == NULL)
			return error_set_errno("calloc");
		for (i = 0; i < set->capacity; i++)
			if (set->slots[i].dev != 0 || set->slots[i].ino != 0)
				*inode_set_slot(slots, capacity, &set->slots[i]) =
				    set->slots[i];
		free(set->slots);
		set->slots = slots;
		set->capacity = capacity;
	}
	slot = inode_set_slot(set->slots, set->capacity, k);
	if (slot->dev == 0 && slot->ino == 0) {
		*slot = *k;
		set->count++;
	}
	return 0;
}

/* Remember a directory root being walked. */
int
collector_tree_walked(struct collector *c, const char *path,
    const struct stat *st, const struct walk_rules *rules)
{
	struct walked_tree *grown, *t;

	grown = realloc(c->trees, (c->tree_count + 1) * sizeof *grown);
	if (grown == NULL)
		return error_set_errno("realloc");
	c->trees = grown;
	t = &c->trees[c->tree_count];
	if ((t->path = strdup(path)) == NULL)
		return error_set_errno("strdup");
	t->dev = st->st_dev;
	t->max_depth = rules->max_depth < 0 || rules->max_depth > WALK_DEPTH_MAX ?
	    WALK_DEPTH_MAX : rules->max_depth;
	t->exclude = rules->exclude;
	c->tree_count++;
	return 0;
}

/*
 * True when the walk of tree t reached path: below it within its depth,
 * through real directories of its file system that no pattern excluded.
 */
static bool
collector_tree_reached(const struct collector *c, const struct walked_tree *t,
    const char *path)
{
	size_t len = strlen(t->path), i;
	struct stat st;
	bool reached;
	int depth = 1;
	char *copy;

	if (strcmp(t->path, "/") == 0)
		len = 0;
	else if (strncmp(path, t->path, len) != 0 || path[len] != '/')
		return false;
	copy = strdup(path);
	reached = copy != NULL;
	for (i = len + 1; reached && copy[i] != '\0'; i++) {
		if (copy[i] != '/')
			continue;
		copy[i] = '\0';
		/* Without waiting: a step may be a network or FUSE mount point. */
		reached = ++depth <= t->max_depth &&
		    compat_lstat(AT_FDCWD, copy, &st, NULL) == 0 &&
		    S_ISDIR(st.st_mode) && st.st_dev == t->dev &&
		    collector_glob_list(c->opt->exclude, copy) == NULL &&
		    collector_glob_list(t->exclude, copy) == NULL;
		copy[i] = '/';
	}
	free(copy);
	return reached && depth <= t->max_depth;
}

/*
 * A path already recorded, reached again by a later entry: one path, one
 * manifest entry, so only the log says so.
 */
static int
collector_named_again(struct collector *c, const char *path)
{
	char *escaped = util_escape(path, strlen(path));

	collector_log(c, "note %s: named again by a later entry; recorded once",
	    escaped != NULL ? escaped : "?");
	free(escaped);
	return 1;
}

/* Handle one object found by the walk; 1 when it was left out. */
int
collector_item(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *st, const struct walk_rules *rules,
    bool root)
{
	struct inode_key id = { st->st_dev, st->st_ino };
	size_t i;
	int rc;

	/*
	 * One object, one entry: a second route to the same inode (a hard
	 * link, /lib beside /usr/lib on merged-/usr hosts, a path named twice)
	 * is noted, not collected again.
	 */
	if (inode_set_contains(&c->seen, &id)) {
		if (S_ISDIR(st->st_mode))
			return 1;
		if (pathset_contains(&c->named, path))
			return collector_named_again(c, path);
		return collector_skip_selected(c, path, st, rules, NULL,
		    "already collected under another path (hard link or "
		    "second route)") == 0 ? 1 : -1;
	}
	for (i = 0; root && !S_ISDIR(st->st_mode) && i < c->tree_count; i++)
		if (collector_tree_reached(c, &c->trees[i], path))
			return collector_named_again(c, path);
	if ((root || st->st_nlink > 1) && !S_ISDIR(st->st_mode) &&
	    inode_set_add(&c->seen, &id) != 0)
		return -1;
	if ((root || st->st_nlink > 1) && !S_ISDIR(st->st_mode) &&
	    pathset_add(&c->named, path) < 0)
		return -1;
	if ((rc = collector_excluded(c, path, st, rules)) != 0)
		return rc;
	/*
	 * A directory counts as seen only once it is walked: one an entry
	 * excluded is still walked when a later entry names it.
	 */
	if (S_ISDIR(st->st_mode) && inode_set_add(&c->seen, &id) != 0)
		return -1;
	if (S_ISREG(st->st_mode))
		return collector_file(c, dirfd, name, path, st, rules);
	if (S_ISLNK(st->st_mode))
		return collector_symlink(c, dirfd, name, path, st);
	return collector_metadata(c, path, st);
}

/* Whether a walk of this collection read (or would have read) path. */
bool
collector_reached(void *arg, const char *path)
{
	const struct collector *c = arg;
	size_t i;

	for (i = 0; i < c->tree_count; i++)
		if (collector_tree_reached(c, &c->trees[i], path))
			return true;
	return false;
}
