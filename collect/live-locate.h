/*
 * Locating files under a live entry's root for the locator sources
 * (histories, logfiles): host paths resolved inside the root without
 * following links out of it, the accounts of its /etc/passwd, a bounded
 * walk by name, and a record of what was handed to collection.
 */
#ifndef CUSTODY_LIVE_LOCATE_H
#define CUSTODY_LIVE_LOCATE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "live.h"

#define LIVE_LOCATE_LINKS	8		/* links resolved in a row, for configuration files */
#define LIVE_PASSWD_MAX		((size_t)16 << 20)
#define LIVE_PASSWD_LINE_MAX	4096
#define LIVE_ACCOUNTS_MAX	100000
#define LIVE_BROKEN_MAX		100		/* broken passwd lines listed (all are counted) */
#define LIVE_CONFIG_MAX		((size_t)1 << 20)	/* one configuration file read */

struct walk_rules;

/* ---- live-locate.c: paths under the root. */

/*
 * A host path made absolute and plain: no "//", "." or ".."; ".." at "/"
 * stays at "/", as in a chroot, so no spelling leaves the root. 0, or -1
 * when it does not fit in size.
 */
int live_locate_normalize(const char *path, char *out, size_t size);
/* The on-disk path of a normalised host path: the root, then the path. 0 or -1. */
int live_locate_disk(const struct live_run *, const char *host, char *out,
    size_t size);
/*
 * Open a host directory under the root, every component a real directory
 * (a link on the way is ELOOP or ENOTDIR, never followed). fd, or -1 with
 * errno.
 */
int live_locate_open_dir(const struct live_run *, const char *host);
/*
 * Every step of these (and of live_logwalk) is statx'd without waiting on
 * a network or FUSE filesystem or firing an automount; a step onto such a
 * mount (other than the root's own) is refused with EREMOTE, the mount
 * point recorded in the manifest as not read.
 */
/* lstat a host path under the root, refusing links on the way. 0 or -1 (errno). */
int live_locate_stat(const struct live_run *, const char *host, struct stat *);
/*
 * lstat name in the open directory dirfd, the host path host, as
 * live_locate_stat does its last step. 0 or -1 (errno; EREMOTE recorded).
 */
int live_locate_at(const struct live_run *, int dirfd, const char *name,
    const char *host, struct stat *);
/* Why a located path is not collected, from its lstat's errno ("not present"...). */
const char *live_locate_why(int error_number);
/*
 * Read a configuration file under the root, at most max bytes. A final
 * link is resolved inside the root (LIVE_LOCATE_LINKS in a row at most);
 * real is the host path finally read (PATH_MAX bytes). 0, or -1 with
 * errno and error_set.
 */
int live_locate_read(const struct live_run *, const char *host, size_t max,
    struct live_file *, char *real, struct stat *);

/* The sorted names of a host directory under the root, at most max. 0 or -1 (errno). */
int live_locate_names(const struct live_run *, const char *host, size_t max,
    char ***names, size_t *count);
void live_locate_names_free(char **names, size_t count);

/*
 * lstat a host path a configuration or a setting names: 1 when it is a
 * regular file or a link (st filled), else 0 with record's "status" (and
 * "error") saying why it is not collected.
 */
int live_locate_file(const struct live_run *, const char *host, struct stat *,
    json_t *record);
/*
 * Call fn(arg, host path) for each name of a host directory (at most max
 * read) matching an fnmatch(3) pattern, in name order; stops at the first
 * non-zero result and returns it.
 */
int live_locate_each(const struct live_run *, const char *dir,
    const char *pattern, size_t max, int (*fn)(void *, const char *),
    void *arg);

/* Files already handed to collection, by device and inode. */
struct live_located {
	void	*tree;		/* tsearch(3) */
	size_t	 count;
};

/*
 * Hand a host path (lstat'ed as st) to collection under these rules,
 * unless the same object was handed before. 1 handed, 0 already handed,
 * -1 fatal (the archive failed).
 */
int live_locate_collect(struct live_run *, struct live_located *,
    const char *host, const struct stat *, const struct walk_rules *);
void live_located_free(struct live_located *);
/* Set an object's "error" to the text of errno and return -1. */
int live_locate_error(json_t *obj, int error_number);

/* ---- live-accounts.c: the accounts of ROOT/etc/passwd. */

struct live_account {
	char		*name;
	unsigned long	 uid;
	unsigned long	 gid;
	char		*home;		/* normalised; NULL when not absolute */
	char		*shell;
	size_t		 line;
};

struct live_accounts {
	struct live_account	*v;
	size_t			 n;
	json_t			*passwd;	/* what reading it came to */
};

/*
 * Read ROOT/etc/passwd: every well-formed line an account; broken lines
 * (wrong field count, bad ids, too long, NIS entries) counted and the
 * first LIVE_BROKEN_MAX listed in accounts->passwd. 0, or -1 when the
 * file cannot be read at all (recorded in accounts->passwd too).
 */
int live_accounts_read(const struct live_run *, struct live_accounts *);
void live_accounts_free(struct live_accounts *);

/* ---- live-logwalk.c: a bounded walk that hands on files by name. */

/* What the walks of one source may take, together. */
struct live_budget {
	struct live_located	 located;
	const struct walk_rules	*rules;		/* for every file handed */
	int64_t			 file_max;	/* bytes counted per file */
	int64_t			 total_max;	/* bytes, all files together */
	int64_t			 total;		/* counted so far */
	size_t			 handed;
	size_t			 over_total;	/* files left out by total_max */
	json_t			*over_list;	/* the first of them */
	const char *const	*prune;		/* host directories never walked, NULL-terminated */
};

/* Which names a walk hands on. */
typedef bool (*live_name_match)(const char *name);

/*
 * Walk a host directory under the root, max_depth levels down, at most
 * max_entries names, on its own file system, handing each regular file
 * or link whose name matches to collection within the budget. record
 * gets "path", "entries", "matched", "truncated" and the problems met.
 * 0, or -1 when fatal.
 */
int live_logwalk(struct live_run *, struct live_budget *, const char *host,
    int max_depth, size_t max_entries, live_name_match, json_t *record);
/* Hand one file (lstat'ed as st) on within the budget; "status" into record. 0 or -1. */
int live_budget_take(struct live_run *, struct live_budget *, const char *host,
    const struct stat *, json_t *record);
/* True for log names: *.log, *_log, rotated (.1, -20261201, .old) and compressed. */
bool live_logname(const char *name);
/* True for every name. */
bool live_anyname(const char *name);

#endif
