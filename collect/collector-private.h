/*
 * The collector's own state, shared by its stages: the spools, the ordered
 * queue, the exclusion policy, the file reader, the inode set, the live
 * bridge, the seal writer and the life cycle (one file each).
 */
#ifndef CUSTODY_COLLECTOR_PRIVATE_H
#define CUSTODY_COLLECTOR_PRIVATE_H

#include <sys/stat.h>
#include <stdbool.h>
#include <stdint.h>

#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/merkle.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "mountclass.h"

#define READ_BLOCK	(1024 * 1024)		/* one read; also what libmagic sees */
#define PSEUDO_MAX	(64 * 1024 * 1024)	/* cap for /proc and /sys files */
#define PROBLEMS_MAX	100
#define TYPER_JOBS	256	/* files typed ahead of the manifest */
#define TYPER_BYTES	(8 * 1024 * 1024)	/* first blocks held for typing, at most */

/*
 * One record (or log line) waiting for a type: the manifest, sums and log
 * are written strictly in collection order, so a record whose type is
 * still being worked out holds back the ones after it.
 */
struct pending {
	struct pending	*next;
	bool		 has_entry;	/* false: a log line only */
	struct util_buffer line;	/* the manifest line, without its newline */
	size_t		 mime_at;	/* where its type goes (SIZE_MAX: nowhere) */
	int64_t		 ticket;	/* -1: nothing to wait for */
	size_t		 type_len;	/* bytes the ticket holds in the typer */
	char		*sums_path;	/* with content: the member's name */
	size_t		 sums_path_len;
	char		 sha256[HASH_HEX_SIZE];
	char		*log_line;	/* with its newline */
	const char	*status;
	bool		 has_content;
	int64_t		 size;
	char		*problem_source;	/* escaped, for errors and changes */
	char		*problem_reason;
};

/* A growing text kept in an unlinked file beside the output, or in memory. */
struct spool {
	FILE	*file;
	char	*memory;
	size_t	 memory_len;
};

/*
 * The objects a walk must not take twice, kept small: directories (a
 * second route to one repeats its whole tree), files with hard links, and
 * the roots named by profiles and the command line. Plain files reached
 * once by a walk are not kept, so memory does not grow with their number.
 */
struct inode_key {
	dev_t	dev;
	ino_t	ino;
};

struct inode_set {
	struct inode_key	*slots;		/* (0, 0) marks an empty slot */
	size_t			 capacity;	/* a power of two */
	size_t			 count;
};

/* A directory root already walked, to tell whether a later root lies inside it. */
struct walked_tree {
	char		*path;
	dev_t		 dev;
	int		 max_depth;
	char *const	*exclude;
};

struct collector {
	const struct collect_options	*opt;
	struct writer			*writer;
	char				*final_path;
	struct stat			 output_st;
	struct stat			 key_st;
	bool				 have_key_st;
	struct spool			 manifest;
	struct spool			 sums;
	struct spool			 log;
	struct merkle_builder		 tree;
	struct hash_set			 hashes;		/* the sink's, of each member */
	struct hash_set			 walk_hashes;	/* hash-only files, read by the walk */
	struct util_buffer		 line;		/* the sink's: a manifest line */
	struct util_buffer		 sums_line;
	struct util_buffer		 log_line;
	struct sink			*sink;
	bool				 sink_running;
	struct pkgcheck			*pkgcheck_ready;	/* filled, for the sink to check with */
	struct filetype			*filetype;	/* for what needs the open file */
	struct typer			*typer;		/* everything else, in parallel */
	struct pending			*head;		/* records waiting for their type */
	struct pending			*tail;
	int				 outstanding;	/* tickets not taken yet */
	size_t				 typing_bytes;	/* bytes they hold */
	size_t				 last_type_len;	/* of the last submission */
	struct idmap			*ids;
	struct inode_set		 seen;		/* directories, hard links, roots */
	void				*named;		/* the paths of the files among them */
	struct walked_tree		*trees;		/* directory roots walked so far */
	dev_t				 pseudo_dev;	/* the last device asked about */
	bool				 pseudo_known;
	bool				 pseudo;
	size_t				 tree_count;
	unsigned char			*buffer;		/* READ_BLOCK bytes */
	unsigned char			*slurp;			/* whole small or pseudo files */
	size_t				 slurp_size;
	struct collect_result		 result;
	struct timespec			 started;
	struct pkgcheck			*pkgcheck;	/* recorded package digests, or NULL */
	struct select_summary		 summary;	/* skipped: summary counts */
	struct mountclass_table		 mounts;	/* read at the first walk */
	bool				 mounts_tried;
};

/* What one file's read came to. */
struct file_read {
	int64_t		 limit;		/* -1: none */
	int64_t		 member_size;
	bool		 truncated;
	bool		 shrank;
	bool		 buffered;	/* read whole: typed once its digest is known */
	bool		 pseudo;	/* /proc, /sys...: the size says nothing */
	int		 read_errno;
	int64_t		 read_error_at;
	bool		 type_here;	/* the sink types it (else mime, or untyped) */
	char		 mime[128];	/* typed by the reader, when not empty */
	bool		 want_sha256;	/* wait for the member's digest */
	char		 sha256[HASH_HEX_SIZE];
	const char	*status;	/* what was recorded */
	const char	*class;		/* the keep: class, or NULL */
};

struct sink;

/* ---- spool.c */

int spool_open(struct spool *s, const char *dir);
void spool_close(struct spool *s);
int spool_to_member(struct collector *c, struct spool *s, const char *path,
    unsigned char sha256[32]);

/* ---- ordered.c */

void collector_log_add(struct collector *c, char *line);
void collector_log(struct collector *c, const char *fmt, ...);
void collector_note_problem(struct collector *c, const char *source,
    const char *status, const char *reason);
void collector_progress(struct collector *c, int64_t in_flight);
void pending_free(struct pending *p);
int collector_drain(struct collector *c, bool wait);
int64_t collector_submit(struct collector *c, const void *data, size_t len,
    const unsigned char *digest);
int collector_record_typed(struct collector *c, struct manifest_entry *e,
    int64_t ticket);
int collector_record(struct collector *c, struct manifest_entry *e);
void collector_entry_init(struct collector *c, struct manifest_entry *e,
    const char *path, const struct stat *st);
int collector_unreadable(struct collector *c, const char *path,
    const struct stat *st, int error_number, const char *what);
int collector_skip(struct collector *c, const char *path, const struct stat *st,
    const char *reason);

/* ---- exclude.c */

const char *collector_glob_list(char *const *globs, const char *path);
int collector_excluded(struct collector *c, const char *path, const struct stat *st,
    const struct walk_rules *rules);
bool collector_pseudo_dev(struct collector *c, int fd, const struct stat *st);
bool collector_name_excluded(const struct collector *c, const char *path,
    const struct walk_rules *rules);

/* ---- filereader.c */

int collector_type_first(struct collector *c, struct file_read *fr,
    const void *data, size_t len);
int collector_read_file(struct collector *c, int fd, const char *path,
    const char *member, const struct stat *before, bool atime_unprotected,
    struct file_read *fr);
int collector_skip_selected(struct collector *c, const char *path,
    const struct stat *st, const struct walk_rules *rules, const char *class,
    const char *reason);
int collector_file(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *listed, const struct walk_rules *rules);
int collector_symlink(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *st);
int collector_metadata(struct collector *c, const char *path, const struct stat *st);

/* ---- seen.c */

bool inode_set_contains(const struct inode_set *set, const struct inode_key *k);
bool collector_reached(void *arg, const char *path);

/* ---- sealer.c */

int collector_header(struct collector *c);

/* ---- sink.c: the thread that digests, archives and records in order. */

int sink_start(struct collector *c);
int sink_wait(struct collector *c);
int sink_stop(struct collector *c);
void sink_free(struct collector *c);
bool sink_here(const struct collector *c);
int sink_begin(struct collector *c, const char *apath, int64_t size,
    const struct timespec *mtime, const char *pkg_source, bool type_here);
int sink_data(struct collector *c, unsigned char *block, size_t len);
int sink_end(struct collector *c, const struct manifest_entry *e,
    char sha256[HASH_HEX_SIZE]);
int sink_member(struct collector *c, const char *apath,
    const struct timespec *mtime, const void *data, size_t len,
    const char *pkg_source, bool type_here, const struct manifest_entry *e,
    char sha256[HASH_HEX_SIZE]);
int sink_entry(struct collector *c, const struct manifest_entry *e);
int sink_log(struct collector *c, char *line);
int sink_problem(struct collector *c, const char *source, const char *status,
    const char *reason);

#endif
