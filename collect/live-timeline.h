/*
 * The timeline source, shared by its files: the bodyfile writer
 * (live-timeline-body.c), the walk of one mount (live-timeline-walk.c),
 * the choice of mounts (live-timeline-mounts.c) and the reader that ties
 * them together (live-timeline.c).
 */
#ifndef CUSTODY_LIVE_TIMELINE_H
#define CUSTODY_LIVE_TIMELINE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custody/compat.h"

#include "atime.h"
#include "live.h"

#define TIMELINE_VERSION	1
#define TIMELINE_PART_MAX	((size_t)8 << 20)	/* one live/timeline/body-NNNN */
#define TIMELINE_SIZE_DEFAULT	((int64_t)4 << 30)	/* the whole bodyfile, without max_size */
#define TIMELINE_ENTRIES_MAX	((uint64_t)20000000)	/* lines in one run */
#define TIMELINE_DEPTH_MAX	256			/* directory levels below a mount */
#define TIMELINE_PATH_MAX	((size_t)32768)		/* bytes of one name, unescaped */
#define TIMELINE_TARGET_MAX	((size_t)4096)		/* bytes of a link's target */
#define TIMELINE_MOUNTS_MAX	((size_t)65536)
#define TIMELINE_PROBLEMS_MAX	100			/* examples kept per run */

/* What one line says about an object. */
struct timeline_object {
	const char	*name;		/* as written: from the root */
	size_t		 name_len;
	const char	*target;	/* a link's target, or NULL */
	size_t		 target_len;
	const struct statx *stx;
};

/* The bodyfile, cut into parts of at most TIMELINE_PART_MAX bytes. */
struct timeline_body {
	struct live_run	*run;
	char		*part;
	size_t		 part_len;
	char		*line;		/* one line being made */
	size_t		 line_size;
	unsigned	 parts;		/* parts written so far */
	uint64_t	 bytes;		/* of all parts */
	uint64_t	 lines;
	uint64_t	 limit;		/* bytes of the whole bodyfile */
	uint64_t	 max_lines;
	bool		 full;		/* a cap was reached: no more lines */
	const char	*full_reason;
	json_t		*members;	/* the parts' names */
};

/* Problems of one run: counted, with the first few kept as examples. */
struct timeline_problems {
	json_t		*list;		/* [{ "name", "error" }] */
	uint64_t	 count;
};

/* The walk of one mount: what it saw. */
struct timeline_walk {
	struct timeline_body	 *body;
	struct timeline_problems *problems;
	uint64_t	 mount_id;	/* STATX_MNT_ID of the mount, when known */
	bool		 have_mount_id;
	dev_t		 dev;
	enum atime_policy atime;	/* of the mount */
	int64_t		 now;		/* seconds, when the run started */
	uint64_t	 entries;
	uint64_t	 directories;
	uint64_t	 vanished;	/* gone between listing and reading */
	uint64_t	 unreadable;
	uint64_t	 deeper;	/* directories past the depth cap, not entered */
	uint64_t	 long_names;	/* past TIMELINE_PATH_MAX, not written */
	uint64_t	 mount_points;	/* other mounts met, not crossed */
	uint64_t	 birth_times;	/* lines with a crtime */
	uint64_t	 atime_kept;	/* directories opened without O_NOATIME */
	uint64_t	 targets_kept;	/* link targets not read: it would change atime */
};

/* ---- live-timeline-body.c */

/* Start an empty bodyfile with a cap on its bytes. 0 or -1. */
int timeline_body_start(struct timeline_body *, struct live_run *,
    uint64_t limit);
/* Add one line: 0, 1 when a cap stops the bodyfile, -1 when fatal. */
int timeline_body_add(struct timeline_body *, const struct timeline_object *);
/* Write the last part (at least one part is always written). 0 or -1. */
int timeline_body_finish(struct timeline_body *);
void timeline_body_free(struct timeline_body *);
/* The mode as TSK's fls writes it: "r/rrw-r--r--" and so on (13 bytes). */
void timeline_mode_string(unsigned mode, char out[13]);

/* ---- live-timeline-walk.c */

/* Note a problem with a name (escaped) and an errno value. */
void timeline_problem(struct timeline_problems *, const char *name,
    size_t len, int error_number);
/*
 * Walk the directory open as fd (its own line first, named name), never
 * leaving the mount it is on. 0, 1 when a cap stopped the bodyfile, -1
 * when fatal. Closes fd.
 */
int timeline_walk(struct timeline_walk *, int fd, const char *name,
    size_t name_len);
/*
 * Open a directory O_NOFOLLOW | O_NOATIME (without O_NOATIME where it is
 * refused: *atime_kept counts those). A descriptor, or -1 with errno.
 */
int timeline_open_dir(int dirfd, const char *name, uint64_t *atime_kept);
/* The statx of an open file, or of a name below dirfd. 0 or -1 (errno). */
int timeline_stat(int dirfd, const char *name, struct statx *);

/* ---- live-timeline-mounts.c */

/* One line of mountinfo, and what the timeline does with it. */
struct timeline_mount {
	uint64_t	 id;
	char		*point;		/* unescaped */
	size_t		 point_len;
	char		*fstype;
	char		*source;
	char		*fsroot;	/* the mount's root inside its filesystem */
	enum atime_policy atime;
	const char	*skip;		/* why it is left out, or NULL */
	bool		 type_skipped;	/* left out for its filesystem type */
	const char	*start;		/* where the walk starts (point or the run's root) */
	const char	*name;		/* start as written: from the run's root */
	size_t		 name_len;
	dev_t		 dev;		/* of start, once opened */
	json_t		*record;
};

struct timeline_mounts {
	struct timeline_mount	*v;
	size_t			 n;
	bool			 truncated;
};

/* Why a filesystem type is left out, or NULL when it is walked. */
const char *timeline_fstype_skip(const char *fstype, const char *point);
/*
 * Read /proc/self/mountinfo into *mountinfo (which the mounts point into:
 * free it after them) and decide, for a root ("" = the host), which
 * mounts are walked and from where. 0 or -1 (error_set).
 */
int timeline_mounts_read(struct timeline_mounts *, const char *root,
    struct live_file *mountinfo);
void timeline_mounts_free(struct timeline_mounts *);

#endif
