/* The collector's internal interfaces: host facts, live state, walk, writer. */
#ifndef CUSTODY_COLLECTOR_H
#define CUSTODY_COLLECTOR_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- hostinfo.c: facts about the host, read natively, never via its binaries. */

/*
 * Host facts for the manifest header: {"hostname", "os_release",
 * "kernel": {"release","version","machine"}, "boot_id", "machine_id",
 * "uptime_seconds", "timezone", "clock_source"}; fields that cannot be
 * read are null. Every file is opened with O_NOATIME where permitted.
 */
json_t *hostinfo_collect(void);
/* The host name, sanitised to [A-Za-z0-9.-] for use in a file name. */
void hostinfo_name(char *out, size_t size);

/* Owner and group names, from /etc/passwd and /etc/group read once (no NSS). */
struct idmap;
struct idmap *idmap_load(void);
/* The user (or group) name of an id, or NULL when unknown. */
const char *idmap_user(const struct idmap *, uid_t);
const char *idmap_group(const struct idmap *, gid_t);
void idmap_free(struct idmap *);

/* ---- typer.c: MIME types worked out by worker threads, in submission order. */

struct typer;

/*
 * Worker threads, each with its own libmagic handle, typing the buffers
 * submitted; at most max_jobs wait at once (submit blocks beyond). NULL on
 * error.
 */
struct typer *typer_new(int threads, int max_jobs);
/*
 * Queue a copy of data for typing and return its ticket (tickets count
 * from 0, one per call). digest, when not NULL, is the SHA-256 of exactly
 * these bytes: content typed before is answered from a cache. -1 on error.
 */
int64_t typer_submit(struct typer *, const void *data, size_t len,
    const unsigned char *digest);
/*
 * The type of a ticket, copied into out: 1 when known, 0 when not yet
 * (with wait false). Each ticket is taken once, in order.
 */
int typer_take(struct typer *, int64_t ticket, bool wait, char *out, size_t size);
void typer_free(struct typer *);

/* ---- writer.c: the tar stream, compressed, hashed as it is written. */

struct writer;

/*
 * Start an archive: final_path NULL streams to stdout; otherwise the
 * archive goes to a 0600 temporary file beside final_path, renamed to it
 * (never replacing an existing file) by writer_close. compress is zstd,
 * gzip, xz or none. NULL on error.
 */
struct writer *writer_open(const char *final_path, const char *compress);
/* The temporary file's identity, so the walk never collects it. */
int writer_output_stat(const struct writer *, struct stat *);
/* Begin a regular-file member of exactly size bytes. 0 or -1. */
int writer_begin(struct writer *, const char *path, int64_t size,
    const struct timespec *mtime);
int writer_data(struct writer *, const void *data, size_t len);
/* End the member; libarchive pads a short member with zeros. 0 or -1. */
int writer_end(struct writer *);
/*
 * Finish the archive, fsync, rename into place; sha256 and bytes describe
 * the archive as written. 0 or -1 (and the temporary file is removed).
 */
int writer_close(struct writer *, unsigned char sha256[32], uint64_t *bytes);
/* Abandon the archive and remove the temporary file. */
void writer_abort(struct writer *);

/* ---- collector.c: one entry at a time into archive, manifest, sums, log. */

struct profile_entry;
struct key;
struct collect_result;

struct collect_options {
	const char		*case_id;
	const char		*evidence_id;
	unsigned		 hash_mask;
	bool			 types;		/* libmagic MIME types */
	size_t			 type_bytes;	/* of each file's start given to libmagic */
	bool			 include_secrets;
	int64_t			 max_file_size;	/* -1: none */
	int			 over_limit;	/* enum profile_over_limit */
	char			**exclude;	/* --exclude globs, NULL-terminated */
	const char		*output;	/* DIR, FILE or "-" */
	const char		*compress;
	const struct key	*key;
	const char		*key_path;
	json_t			*command_line;	/* array of arguments */
	json_t			*profiles;	/* array of profile names */
	/* Called after every entry, for a progress line; may be NULL. */
	void			(*progress_fn)(const struct collect_result *, void *);
	void			*progress_arg;
};

struct collector;
struct collect_result;

/* What the run came to, for the summary. */
struct collect_result {
	char		*archive_path;	/* NULL when streamed */
	char		 archive_sha256[65];
	uint64_t	 archive_bytes;
	uint64_t	 entries;
	uint64_t	 members;
	uint64_t	 content_bytes;
	uint64_t	 skipped;
	uint64_t	 errors;
	uint64_t	 changed;
	json_t		*problems;	/* [{"source","status","reason"}], first 100 */
	char		 merkle_root[65];
	char		 started[40];	/* UTC ISO-8601 */
	double		 seconds;
};

/* Prepare a collection (opens the output). NULL on error. */
struct collector *collector_new(const struct collect_options *);
/* Collect one live source (entry->live). 0, or -1 on a fatal (output) error. */
int collector_live(struct collector *, const struct profile_entry *entry);
/*
 * Collect a path, glob or directory tree with the entry's limits (entry
 * may be NULL for a command-line path). Unreadable sources are recorded,
 * not fatal. 0, or -1 on a fatal (output) error.
 */
int collector_path(struct collector *, const char *path,
    const struct profile_entry *entry);
/* Write custody/ and the seal, close the archive. 0 or -1. */
int collector_finish(struct collector *, struct collect_result *);
/* Abandon the collection, removing partial output. */
void collector_free(struct collector *);
void collect_result_free(struct collect_result *);

/* ---- pathset.c: paths recorded once (tsearch(3) trees of strings). */

/* Add a path: 1 when new, 0 when there already, -1 out of memory. */
int pathset_add(void **set, const char *path);
bool pathset_contains(void *const *set, const char *path);
void pathset_free(void **set);

/* ---- walk.c and collector.c between themselves. */

struct walk_rules {
	int			 max_depth;	/* levels below the root; -1: WALK_DEPTH_MAX */
	int64_t			 max_size;	/* -1: none */
	int			 over_limit;
	char *const		*exclude;	/* entry globs, NULL-terminated, may be NULL */
	bool			 explicit_root;	/* a missing root is an error, not a note */
	const char		*root;		/* a live source's root: secrets are matched below it too; NULL or "" */
	int64_t			*budget;	/* bytes left to read under max_total; NULL: no limit */
	unsigned		 keep;		/* PROFILE_CLASS_MASK bits; 0: every file */
	bool			 hash_only;	/* content: hash; digests, no member */
	bool			 summary;	/* skipped: summary; counted per directory */
	const char		*beneath;	/* located: no link below this root ("": /), no glob */
};

#define WALK_DEPTH_MAX 2048	/* PATH_MAX allows no deeper with one-byte names */

/* Open a directory relative to dirfd without following links or touching atime. */
int walk_open_dir(int dirfd, const char *name);
struct mountclass_place;
struct mountclass_mount;
/*
 * lstat name below dirfd without waiting on its filesystem or firing an
 * automount (compat_lstat), its place into *to; *remote is the network,
 * FUSE or automount mount it is the mount point of, seen from a walk on
 * from's mount, or NULL. 0, or -1 with errno.
 */
int walk_stat(struct collector *, int dirfd, const char *name,
    const struct mountclass_place *from, struct stat *,
    struct mountclass_place *to, const struct mountclass_mount **remote);
/* Expand a glob path and walk each match. 0, or -1 on a fatal error. */
int walk_path(struct collector *, const char *pattern, const struct walk_rules *);
/*
 * Handle one object found by the walk: record it and, for a regular file,
 * read it into the archive. dirfd/name locate it without following links.
 * 0, or -1 on a fatal error.
 */
int collector_item(struct collector *, int dirfd, const char *name,
    const char *path, const struct stat *st, const struct walk_rules *,
    bool root);
/*
 * A name the directory listing says is a regular file: read it with one
 * stat less when nothing about it is unusual (*done); otherwise *done is
 * false and the caller stats it and calls collector_item. 0 or -1.
 */
int collector_regular(struct collector *, int dirfd, const char *name,
    const char *path, const struct walk_rules *, bool *done);
/*
 * Open the directory rel below dirfd one component at a time through real
 * directories only (O_NOATIME where permitted): a link on the way is
 * ENOTDIR, ".." EXDEV. fd, or -1 with errno.
 */
int walk_open_beneath(int dirfd, const char *rel);
/* The same below a root directory ("": /), itself opened through links. */
int walk_open_in_root(const char *root, const char *rel);
/* Remember a directory root about to be walked. 0 or -1. */
int collector_tree_walked(struct collector *, const char *path,
    const struct stat *, const struct walk_rules *);
/* Whether the walk should leave this object out; records why. 1 skip, 0 keep, -1 fatal. */
int collector_excluded(struct collector *, const char *path, const struct stat *,
    const struct walk_rules *);
/* Record an object that could not be reached (vanished, permission). 0 or -1. */
int collector_unreadable(struct collector *, const char *path, const struct stat *,
    int error_number, const char *what);
/* Start counting the files skipped in a directory (skipped: summary). 0 or -1. */
int collector_dir_enter(struct collector *, const struct walk_rules *);
/* Record what was counted in a directory when its walk is over. 0 or -1. */
int collector_dir_leave(struct collector *, const char *path,
    const struct stat *, const struct walk_rules *);
struct mountclass_table;
/* The mounts of the host, read once per collection (mountclass.h). */
struct mountclass_table *collector_mounts(struct collector *);
/*
 * Record a mount point a walk does not enter (skipped, with the reason
 * mountclass_reason gives), once per path; st without a file type (the
 * kernel refused its attributes) is recorded as no metadata. 0 or -1.
 */
int collector_remote_mount(struct collector *, const char *path,
    const struct stat *, const struct mountclass_mount *);
/* Add a line to collection.log. */
void collector_log(struct collector *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- select.c: classes kept by first bytes or mode, hash-only reads, counts of skips. */

struct hash_set;

/* The first class of keep a file is of (enum profile_class), or -1. */
int select_class(unsigned keep, const unsigned char *data, size_t len,
    mode_t mode);
/* True when keep has a class told by the first bytes, not by the mode. */
bool select_needs_bytes(unsigned keep);
/* Bytes a class needs to see (tar's magic is at 257). */
#define SELECT_FIRST_BYTES	512
/* Read the first bytes of an open file, its offset unmoved; count or -1. */
ssize_t select_first_bytes(int fd, unsigned char *buf, size_t size);

/* What a hash-only read came to. */
struct select_read {
	int64_t		 size;		/* bytes digested */
	bool		 truncated;	/* more than the limit */
	int		 read_errno;	/* the read that failed at byte size */
};

/* Digest fd from its offset up to limit bytes (-1: all) with buf. 0, -1 when a digest failed. */
int select_hash(int fd, struct hash_set *, unsigned char *buf, size_t size,
    int64_t limit, struct select_read *);

/* Files skipped and their bytes, for each directory being walked. */
struct select_level {
	uint64_t	 files;
	uint64_t	 bytes;
};

struct select_summary {
	struct select_level	*levels;
	size_t			 depth;
	size_t			 capacity;
};

int select_enter(struct select_summary *);
/* Count a skipped file in the innermost directory; false when there is none. */
bool select_count(struct select_summary *, int64_t bytes);
void select_leave(struct select_summary *, struct select_level *out);
void select_summary_free(struct select_summary *);

#endif
