/* One entry at a time into the archive, the manifest, SHA256SUMS and the log. */
#include "config.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/magic.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/manifest.h"
#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/profile.h"
#include "custody/seal.h"
#include "custody/sums.h"
#include "custody/util.h"
#include "atime.h"
#include "collector.h"
#include "live.h"
#include "mountclass.h"
#include "pkgcheck.h"

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
	json_t		*entry;		/* NULL: a log line only */
	int64_t		 ticket;	/* -1: nothing to wait for */
	size_t		 type_len;	/* bytes the ticket holds in the typer */
	char		*sums_path;	/* with content: the member's name */
	size_t		 sums_path_len;
	char		 sha256[HASH_HEX_SIZE];
	char		*log_line;
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
	struct hash_set			 hashes;
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

static bool inode_set_contains(const struct inode_set *, const struct inode_key *);

/* Secrets left out unless --include-secrets: full-path globs (no FNM_PATHNAME). */
static const char *const secret_patterns[] = {
	"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
	"/etc/security/opasswd", "/etc/ssh/ssh_host_*_key",
	"*/.ssh/id_*", "*/.ssh/identity", NULL
};

/* Open a spool: an unlinked temporary file in dir, or memory when dir is NULL. */
static int
spool_open(struct spool *s, const char *dir)
{
	char *template;
	int fd;

	memset(s, 0, sizeof *s);
	if (dir == NULL) {
		s->file = open_memstream(&s->memory, &s->memory_len);
		return s->file != NULL ? 0 : error_set_errno("open_memstream");
	}
	fd = compat_open_tmpfile(dir, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EOPNOTSUPP) {
		/* No O_TMPFILE here: a named file, unlinked at once. */
		if (asprintf(&template, "%s/.custody-spool-XXXXXX", dir) < 0)
			return error_set_errno("asprintf");
		fd = mkostemp(template, O_CLOEXEC);
		if (fd >= 0)
			unlink(template);
		free(template);
	}
	if (fd < 0 || (s->file = fdopen(fd, "w+")) == NULL) {
		if (fd >= 0)
			close(fd);
		return error_set_errno("temporary file in %s", dir);
	}
	/* Large writes: a manifest line is written per file. */
	setvbuf(s->file, NULL, _IOFBF, 256 * 1024);
	return 0;
}

/* Close a spool. */
static void
spool_close(struct spool *s)
{
	if (s->file != NULL)
		fclose(s->file);
	free(s->memory);
	memset(s, 0, sizeof *s);
}

/* Copy a spool into the archive as one member; digest it into sha256. */
static int
spool_to_member(struct collector *c, struct spool *s, const char *path,
    unsigned char sha256[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	off_t size;
	size_t n;
	int rc = -1;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    fflush(s->file) != 0 || (size = ftello(s->file)) < 0) {
		error_set_errno("%s", path);
		goto out;
	}
	if (writer_begin(c->writer, path, size, &c->started) != 0)
		goto out;
	if (s->memory != NULL) {
		if (EVP_DigestUpdate(md, s->memory, s->memory_len) != 1 ||
		    writer_data(c->writer, s->memory, s->memory_len) != 0)
			goto out;
	} else {
		rewind(s->file);
		while ((n = fread(c->buffer, 1, READ_BLOCK, s->file)) > 0)
			if (EVP_DigestUpdate(md, c->buffer, n) != 1 ||
			    writer_data(c->writer, c->buffer, n) != 0)
				goto out;
		if (ferror(s->file)) {
			error_set_errno("reading back %s", path);
			goto out;
		}
	}
	if (writer_end(c->writer) == 0 && EVP_DigestFinal_ex(md, sha256, NULL) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static void collector_enqueue(struct collector *, struct pending *);

/* Add a line to collection.log: UTC time, then the message. */
void
collector_log(struct collector *c, const char *fmt, ...)
{
	char now[UTIL_TIME_SIZE], *message, *line;
	struct pending *p;
	struct timespec ts;
	va_list ap;
	int n;

	util_time_now(&ts);
	util_time_format(&ts, now);
	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&line, "%s %s\n", now, message) < 0) {
		if (n >= 0)
			free(message);
		return;
	}
	free(message);
	/* Behind records still waiting for a type, the line waits its turn. */
	if (c->head == NULL || (p = calloc(1, sizeof *p)) == NULL) {
		fputs(line, c->log.file);
		free(line);
		return;
	}
	p->ticket = -1;
	p->log_line = line;
	collector_enqueue(c, p);
}

/* Remember the first problems for the summary. */
static void
collector_note_problem(struct collector *c, const char *source,
    const char *status, const char *reason)
{
	if (json_array_size(c->result.problems) >= PROBLEMS_MAX)
		return;
	json_array_append_new(c->result.problems, json_pack("{s:s, s:s, s:s}",
	    "source", source, "status", status, "reason", reason ? reason : ""));
}

/* Count a record by its status. */
static void
collector_count(struct collector *c, const struct pending *p)
{
	c->result.entries++;
	if (p->has_content) {
		c->result.members++;
		c->result.content_bytes += (uint64_t)p->size;
	}
	if (strcmp(p->status, STATUS_SKIPPED) == 0)
		c->result.skipped++;
	else if (strcmp(p->status, STATUS_ERROR) == 0)
		c->result.errors++;
	else if (strcmp(p->status, STATUS_CHANGED) == 0 ||
	    strcmp(p->status, STATUS_TRUNCATED) == 0)
		c->result.changed++;
	if (p->problem_source != NULL)
		collector_note_problem(c, p->problem_source, p->status,
		    p->problem_reason);
}

/* Tell the progress callback, counting the bytes of the file being read. */
static void
collector_progress(struct collector *c, int64_t in_flight)
{
	struct collect_result now;

	if (c->opt->progress_fn == NULL)
		return;
	now = c->result;
	now.content_bytes += (uint64_t)in_flight;
	c->opt->progress_fn(&now, c->opt->progress_arg);
}

/* Free a pending record. */
static void
pending_free(struct pending *p)
{
	json_decref(p->entry);
	free(p->sums_path);
	free(p->log_line);
	free(p->problem_source);
	free(p->problem_reason);
	free(p);
}

/* Append to the queue of records waiting their turn. */
static void
collector_enqueue(struct collector *c, struct pending *p)
{
	if (c->tail != NULL)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
}

/* Write a record: manifest line and its Merkle leaf, sums line, log line. */
static int
collector_write_record(struct collector *c, struct pending *p, const char *mime)
{
	merkle_hash leaf;
	size_t len;
	char *line;

	if (p->entry != NULL) {
		if (mime != NULL)
			json_object_set_new(p->entry, "mime", json_string(mime));
		if ((line = manifest_dump(p->entry, &len)) == NULL)
			return -1;
		fwrite(line, 1, len, c->manifest.file);
		fputc('\n', c->manifest.file);
		merkle_leaf_hash(line, len, leaf);
		merkle_builder_add(&c->tree, leaf);
		free(line);
		if (p->has_content && sums_write_line(c->sums.file, p->sha256,
		    p->sums_path, p->sums_path_len) != 0)
			return -1;
		collector_count(c, p);
	}
	if (p->log_line != NULL)
		fputs(p->log_line, c->log.file);
	if (ferror(c->manifest.file) || ferror(c->log.file))
		return error_set_errno("writing the manifest");
	return 0;
}

/* Write the oldest record if its turn has come (waiting for it with wait): 1 written, 0 not, -1 error. */
static int
collector_drain_one(struct collector *c, bool wait)
{
	struct pending *p = c->head;
	char mime[128];
	int rc;

	if (p == NULL)
		return 0;
	if (p->ticket >= 0) {
		if (!typer_take(c->typer, p->ticket, wait, mime, sizeof mime))
			return 0;
		c->outstanding--;
		c->typing_bytes -= p->type_len;
	}
	rc = collector_write_record(c, p, p->ticket >= 0 ? mime : NULL);
	c->head = p->next;
	if (c->head == NULL)
		c->tail = NULL;
	pending_free(p);
	return rc == 0 ? 1 : -1;
}

/* Write the records whose turn has come; with wait, all of them. */
static int
collector_drain(struct collector *c, bool wait)
{
	int rc;

	while ((rc = collector_drain_one(c, wait)) == 1)
		;
	collector_progress(c, 0);
	return rc;
}

/*
 * Make room in the typing queue, so a submission never waits on itself and
 * the first blocks held for typing stay within TYPER_BYTES.
 */
static int
collector_make_room(struct collector *c, size_t len)
{
	while (c->head != NULL && (c->outstanding >= TYPER_JOBS ||
	    c->typing_bytes + len > TYPER_BYTES))
		if (collector_drain_one(c, true) < 0)
			return -1;
	return 0;
}

/* Submit bytes for typing; returns the ticket, or -1. */
static int64_t
collector_submit(struct collector *c, const void *data, size_t len,
    const unsigned char *digest)
{
	int64_t ticket;

	if (collector_make_room(c, len) != 0)
		return -1;
	if ((ticket = typer_submit(c->typer, data, len, digest)) >= 0) {
		c->outstanding++;
		c->typing_bytes += len;
		c->last_type_len = len;
	}
	return ticket;
}

/* The log line of an entry. */
static char *
collector_log_line(const struct manifest_entry *e)
{
	char now[UTIL_TIME_SIZE], *escaped, *member = NULL, *line = NULL;
	struct timespec ts;

	util_time_now(&ts);
	util_time_format(&ts, now);
	escaped = util_escape(e->source, e->source_len);
	if (e->has_content)
		member = util_escape(e->path, e->path_len);
	if (escaped != NULL && asprintf(&line, "%s %s %s%s%s%s%s\n", now,
	    e->status, escaped, member != NULL ? " -> " : "",
	    member != NULL ? member : "", e->reason != NULL ? ": " : "",
	    e->reason != NULL ? e->reason : "") < 0)
		line = NULL;
	free(escaped);
	free(member);
	return line;
}

/* Fill a pending record from an entry. */
static int
collector_pending_fill(struct pending *p, const struct manifest_entry *e)
{
	if ((p->entry = manifest_entry_json(e)) == NULL ||
	    (p->log_line = collector_log_line(e)) == NULL)
		return -1;
	p->status = e->status;
	p->has_content = e->has_content;
	p->size = e->size;
	if (e->has_content) {
		hash_set_hex(e->hashes, HASH_SHA256, p->sha256);
		if ((p->sums_path = malloc(e->path_len + 1)) == NULL)
			return error_set_errno("malloc");
		memcpy(p->sums_path, e->path, e->path_len + 1);
		p->sums_path_len = e->path_len;
	}
	if (strcmp(e->status, STATUS_ERROR) == 0 ||
	    strcmp(e->status, STATUS_CHANGED) == 0 ||
	    strcmp(e->status, STATUS_TRUNCATED) == 0) {
		p->problem_source = util_escape(e->source, e->source_len);
		p->problem_reason = strdup(e->reason != NULL ? e->reason : "");
	}
	return 0;
}

/*
 * Record an entry: its manifest line, Merkle leaf, sums line and log
 * line, written in order once the type of its content (ticket) is known.
 */
static int
collector_record_typed(struct collector *c, struct manifest_entry *e,
    int64_t ticket)
{
	struct pending *p = calloc(1, sizeof *p);

	if (p == NULL)
		return error_set_errno("calloc");
	p->ticket = ticket;
	p->type_len = ticket >= 0 ? c->last_type_len : 0;
	e->mime_pending = ticket >= 0;
	if (collector_pending_fill(p, e) != 0) {
		pending_free(p);
		return -1;
	}
	collector_enqueue(c, p);
	return collector_drain(c, false);
}

/* Record an entry that waits for no type. */
static int
collector_record(struct collector *c, struct manifest_entry *e)
{
	return collector_record_typed(c, e, -1);
}

/* Fill the parts of an entry common to everything found on disk. */
static void
collector_entry_init(struct collector *c, struct manifest_entry *e,
    const char *path, const struct stat *st)
{
	memset(e, 0, sizeof *e);
	e->source = path;
	e->source_len = strlen(path);
	e->st = st;
	e->kind = st != NULL ? manifest_kind(st->st_mode) : "unknown";
	if (st != NULL) {
		e->user = idmap_user(c->ids, st->st_uid);
		e->group = idmap_group(c->ids, st->st_gid);
	}
	util_time_now(&e->collected);
}

/* Record an object that could not be reached or read. */
int
collector_unreadable(struct collector *c, const char *path,
    const struct stat *st, int error_number, const char *what)
{
	struct manifest_entry e;
	char reason[256];

	collector_entry_init(c, &e, path, st);
	e.status = STATUS_ERROR;
	if (error_number == ENOENT)
		snprintf(reason, sizeof reason, "%s: vanished or not found", what);
	else
		snprintf(reason, sizeof reason, "%s: %s", what, strerror(error_number));
	e.reason = reason;
	return collector_record(c, &e);
}

/* Record an object left out by design. */
static int
collector_skip(struct collector *c, const char *path, const struct stat *st,
    const char *reason)
{
	struct manifest_entry e;

	collector_entry_init(c, &e, path, st);
	e.status = STATUS_SKIPPED;
	e.reason = reason;
	return collector_record(c, &e);
}

/* The mounts of the host, read once, at the first walk that asks. */
struct mountclass_table *
collector_mounts(struct collector *c)
{
	if (!c->mounts_tried) {
		c->mounts_tried = true;
		if (mountclass_table_read(&c->mounts) != 0)
			collector_log(c, "note /proc/self/mountinfo: %s: network, "
			    "FUSE and automount mounts are not told apart",
			    error_message());
	}
	return &c->mounts;
}

/* Record, once per path, a mount point a walk does not enter. */
int
collector_remote_mount(struct collector *c, const char *path,
    const struct stat *st, const struct mountclass_mount *m)
{
	char reason[128];
	int added = pathset_add(&c->mounts.reported, path);

	if (added < 0)
		return error_set("out of memory");
	if (added == 0)
		return 0;
	mountclass_reason(m, reason, sizeof reason);
	/* No file type: the kernel refused the attributes (walk_stat). */
	return collector_skip(c, path, st != NULL && (st->st_mode & S_IFMT) != 0 ?
	    st : NULL, reason);
}

/* True when path matches a glob: with a '/', the whole path; else the base name. */
static bool
collector_glob_match(const char *glob, const char *path)
{
	const char *base = strrchr(path, '/');

	if (strchr(glob, '/') != NULL)
		return fnmatch(glob, path, 0) == 0;
	return fnmatch(glob, base != NULL ? base + 1 : path, 0) == 0;
}

/* The first glob of a list that matches path, or NULL. */
static const char *
collector_glob_list(char *const *globs, const char *path)
{
	for (; globs != NULL && *globs != NULL; globs++)
		if (collector_glob_match(*globs, path))
			return *globs;
	return NULL;
}

/* True when path is a secret left out by default. */
static bool
collector_secret_path(const char *path)
{
	size_t i, len = strlen(path);

	if (len > 4 && strcmp(path + len - 4, ".pub") == 0)
		return false;
	/* Every pattern is under /etc or .ssh: most paths need no fnmatch at all. */
	if (strncmp(path, "/etc/", 5) != 0 && strstr(path, "/.ssh/") == NULL)
		return false;
	for (i = 0; secret_patterns[i] != NULL; i++)
		if (fnmatch(secret_patterns[i], path, 0) == 0)
			return true;
	return false;
}

/*
 * True when path is a secret, as it is or, for a file a live source found
 * under its root, as the host it stands for would name it.
 */
static bool
collector_secret(const char *path, const struct walk_rules *rules)
{
	size_t len = rules->root != NULL ? strlen(rules->root) : 0;

	if (collector_secret_path(path))
		return true;
	return len > 0 && strncmp(path, rules->root, len) == 0 &&
	    path[len] == '/' && collector_secret_path(path + len);
}

/* Whether the walk should leave this object out; records why. */
int
collector_excluded(struct collector *c, const char *path, const struct stat *st,
    const struct walk_rules *rules)
{
	char reason[PATH_MAX + 64];
	const char *glob;

	if (st->st_dev == c->output_st.st_dev && st->st_ino == c->output_st.st_ino)
		return collector_skip(c, path, st, "the archive being written") == 0 ? 1 : -1;
	if (c->have_key_st && st->st_dev == c->key_st.st_dev &&
	    st->st_ino == c->key_st.st_ino)
		return collector_skip(c, path, st, "the signing key in use") == 0 ? 1 : -1;
	if (!c->opt->include_secrets && S_ISREG(st->st_mode) && collector_secret(path, rules))
		return collector_skip(c, path, st,
		    "secret, excluded by default (--include-secrets)") == 0 ? 1 : -1;
	glob = collector_glob_list(c->opt->exclude, path);
	if (glob == NULL)
		glob = collector_glob_list(rules->exclude, path);
	if (glob == NULL)
		return 0;
	snprintf(reason, sizeof reason, "excluded by pattern \"%s\"", glob);
	return collector_skip(c, path, st, reason) == 0 ? 1 : -1;
}

/* True when fd is on /proc, /sys or a similar file system whose sizes lie. */
static bool
collector_pseudo_fs(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) != 0)
		return false;
	switch (sfs.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
		return true;
	default:
		return false;
	}
}

/* Whether a file is on a pseudo file system, asked once per device. */
static bool
collector_pseudo_dev(struct collector *c, int fd, const struct stat *st)
{
	if (!c->pseudo_known || c->pseudo_dev != st->st_dev) {
		c->pseudo_dev = st->st_dev;
		c->pseudo = collector_pseudo_fs(fd);
		c->pseudo_known = true;
	}
	return c->pseudo;
}

/* Open a file found by the walk, without following links or touching atime. */
static int
collector_open(int dirfd, const char *name, bool *atime_unprotected)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);

	*atime_unprotected = false;
	if (fd < 0 && errno == EPERM) {
		/* O_NOATIME needs ownership or CAP_FOWNER; fall back and say so. */
		fd = openat(dirfd, name, flags);
		*atime_unprotected = fd >= 0;
	}
	return fd;
}

/* Read up to want bytes (less at end of file); returns the count or -1. */
static ssize_t
collector_read_full(int fd, unsigned char *buf, size_t want)
{
	size_t got = 0;
	ssize_t n;

	while (got < want) {
		n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

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
	int64_t		 ticket;	/* the typer's, or -1 */
	char		 mime[128];	/* typed here instead, when not empty */
	const char	*status;	/* what was recorded */
	const char	*class;		/* the keep: class, or NULL */
};

/* Bytes of a block that libmagic is given. */
static size_t
collector_type_len(const struct collector *c, size_t len)
{
	return len < c->opt->type_bytes ? len : c->opt->type_bytes;
}

/*
 * Start typing a file's first block: here, when libmagic must see the open
 * file too (ELF objects), else by the typer, from the cache when the
 * digest of exactly these bytes is given.
 */
static int
collector_type(struct collector *c, struct file_read *fr, const void *data,
    size_t len, const unsigned char *digest)
{
	len = collector_type_len(c, len);
	if (filetype_needs_descriptor(data, len)) {
		/* A libmagic handle of our own only when an ELF object calls for it. */
		if (c->filetype == NULL && (c->filetype = filetype_new()) == NULL)
			return -1;
		snprintf(fr->mime, sizeof fr->mime, "%s",
		    filetype_buffer(c->filetype, data, len));
		return 0;
	}
	fr->ticket = collector_submit(c, data, len, digest);
	return fr->ticket >= 0 ? 0 : -1;
}

/* Digest and archive one block; the first of a streamed file is typed. */
static int
collector_block(struct collector *c, struct file_read *fr, const void *data,
    size_t len, bool first)
{
	if (first && c->opt->types && !fr->buffered &&
	    collector_type(c, fr, data, len, NULL) != 0)
		return -1;
	pkgcheck_data(c->pkgcheck, data, len);
	/* The other digests run beside the archiving; the caller waits before reusing data. */
	if (hash_set_update_async(&c->hashes, data, len) != 0)
		return -1;
	return writer_data(c->writer, data, len);
}

/* Type a file read whole, now that its digest is known. */
static int
collector_type_whole(struct collector *c, struct file_read *fr,
    const void *data, size_t len)
{
	const unsigned char *digest = c->hashes.digest[HASH_SHA256];

	if (!c->opt->types)
		return 0;
	return collector_type(c, fr, data, len,
	    len <= c->opt->type_bytes ? digest : NULL);
}

/* Grow c->slurp to hold at least size bytes. 0 or -1. */
static int
collector_slurp_room(struct collector *c, size_t size)
{
	unsigned char *grown;
	size_t room = c->slurp_size;

	while (room < size)
		room *= 2;
	if (room == c->slurp_size)
		return 0;
	if ((grown = realloc(c->slurp, room)) == NULL)
		return error_set_errno("realloc");
	c->slurp = grown;
	c->slurp_size = room;
	return 0;
}

/*
 * Read a file whole into c->slurp, up to cap bytes (*more when there is
 * more). A regular file is asked for one byte more than its size, so one
 * read usually ends it (a short read of a regular file is its end); a
 * pseudo file (size < 0) is read until read() returns 0, whatever it says.
 */
static ssize_t
collector_slurp(struct collector *c, int fd, size_t cap, int64_t size, bool *more)
{
	size_t got = 0, want;
	ssize_t n;

	*more = false;
	if (size >= 0 && (size_t)size < cap &&
	    collector_slurp_room(c, (size_t)size + 1) != 0)
		return -1;
	for (;;) {
		if (got == c->slurp_size && (c->slurp_size > cap ||
		    collector_slurp_room(c, c->slurp_size * 2) != 0))
			break;
		want = c->slurp_size - got;
		do
			n = read(fd, c->slurp + got, want);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		got += (size_t)n;
		if (n == 0 || (size >= 0 && (size_t)n < want))
			break;
	}
	if (got > cap) {
		*more = true;
		got = cap;
	}
	return (ssize_t)got;
}

/* A small or pseudo file: read it whole, then write its member. */
static int
collector_read_buffered(struct collector *c, int fd, const char *apath,
    const struct stat *st, struct file_read *fr)
{
	size_t cap = fr->limit >= 0 && fr->limit < PSEUDO_MAX ?
	    (size_t)fr->limit : PSEUDO_MAX;
	ssize_t n = collector_slurp(c, fd, cap, fr->pseudo ? -1 : st->st_size,
	    &fr->truncated);

	if (n < 0) {
		fr->read_errno = errno;
		fr->read_error_at = 0;
		n = 0;
	}
	fr->member_size = n;
	if (writer_begin(c->writer, apath, n, &st->st_mtim) != 0 ||
	    collector_block(c, fr, c->slurp, (size_t)n, true) != 0)
		return -1;
	return writer_end(c->writer);
}

/* Pad a member that came up short with zeros, digesting them too. */
static int
collector_pad(struct collector *c, struct file_read *fr, int64_t missing)
{
	size_t n;

	/* The helper may still be digesting the last block read into the buffer. */
	if (hash_set_wait(&c->hashes) != 0)
		return -1;
	memset(c->buffer, 0, READ_BLOCK);
	while (missing > 0) {
		n = missing > READ_BLOCK ? READ_BLOCK : (size_t)missing;
		if (collector_block(c, fr, c->buffer, n, false) != 0)
			return -1;
		missing -= (int64_t)n;
	}
	return 0;
}

/* A regular file of known size: stream it block by block. */
static int
collector_read_streamed(struct collector *c, int fd, const char *apath,
    const struct stat *st, struct file_read *fr)
{
	int64_t want = st->st_size, done = 0;
	ssize_t n;
	size_t chunk;

	if (fr->limit >= 0 && want > fr->limit) {
		want = fr->limit;
		fr->truncated = true;
	}
	fr->member_size = want;
	if (writer_begin(c->writer, apath, want, &st->st_mtim) != 0)
		return -1;
	while (done < want) {
		if (hash_set_wait(&c->hashes) != 0)
			return -1;
		chunk = want - done > READ_BLOCK ? READ_BLOCK : (size_t)(want - done);
		n = collector_read_full(fd, c->buffer, chunk);
		if (n <= 0) {
			fr->read_errno = n < 0 ? errno : 0;
			fr->read_error_at = done;
			fr->shrank = n == 0;
			break;
		}
		if (collector_block(c, fr, c->buffer, (size_t)n, done == 0) != 0)
			return -1;
		done += n;
		collector_progress(c, done);
	}
	if (done < want && collector_pad(c, fr, want - done) != 0)
		return -1;
	return writer_end(c->writer);
}

/* The archive path of a source path: files/ and the path without its leading '/'. */
static char *
collector_archive_path(const char *source)
{
	char *apath;

	while (*source == '/')
		source++;
	if (asprintf(&apath, "files/%s", source) < 0)
		return NULL;
	return apath;
}

/* Work out the status and reason of a file from how its read went. */
static void
collector_file_status(struct manifest_entry *e, const struct file_read *fr,
    const struct stat *before, const struct stat *after, char *reason,
    size_t size)
{
	bool changed = after->st_size != before->st_size ||
	    after->st_mtim.tv_sec != before->st_mtim.tv_sec ||
	    after->st_mtim.tv_nsec != before->st_mtim.tv_nsec ||
	    after->st_ctim.tv_sec != before->st_ctim.tv_sec ||
	    after->st_ctim.tv_nsec != before->st_ctim.tv_nsec;

	e->status = STATUS_OK;
	reason[0] = '\0';
	if (fr->read_errno != 0) {
		e->status = STATUS_ERROR;
		snprintf(reason, size, "read error at byte %lld: %s; the rest of "
		    "the member is zeros", (long long)fr->read_error_at,
		    strerror(fr->read_errno));
	} else if (fr->shrank || changed) {
		e->status = STATUS_CHANGED;
		snprintf(reason, size, "%s while read (size %lld, then %lld)%s",
		    fr->shrank ? "file shrank" : "file changed",
		    (long long)before->st_size, (long long)after->st_size,
		    fr->shrank ? "; the rest of the member is zeros" : "");
	} else if (fr->truncated && before->st_size > fr->member_size) {
		e->status = STATUS_TRUNCATED;
		snprintf(reason, size, "only the first %lld of %lld bytes "
		    "collected (size limit)", (long long)fr->member_size,
		    (long long)before->st_size);
	} else if (fr->truncated) {
		e->status = STATUS_TRUNCATED;
		snprintf(reason, size, "only the first %lld bytes collected "
		    "(size limit; the file system reports no size)",
		    (long long)fr->member_size);
	}
}

/*
 * The size limit for a file under these rules, and what to do past it:
 * the stricter of --max-file-size and the entry's max_size wins, with its
 * own policy (--over-limit, or the entry's over_limit).
 */
static int64_t
collector_limit(const struct collector *c, const struct walk_rules *rules,
    int *over_limit)
{
	int64_t a = c->opt->max_file_size, b = rules->max_size;

	if (a >= 0 && (b < 0 || a < b)) {
		*over_limit = c->opt->over_limit;
		return a;
	}
	*over_limit = rules->over_limit;
	return b;
}

/*
 * Read one open regular file into the archive and record it, as member
 * member (NULL: files/ and the path).
 */
static int
collector_read_file(struct collector *c, int fd, const char *path,
    const char *member, const struct stat *before, bool atime_unprotected,
    struct file_read *fr)
{
	struct manifest_entry e;
	struct stat after;
	char reason[512], *apath;
	int rc;

	apath = member != NULL ? strdup(member) : collector_archive_path(path);
	if (apath == NULL)
		return error_set_errno("%s", path);
	hash_set_reset(&c->hashes);
	pkgcheck_begin(c->pkgcheck, path);
	fr->pseudo = before->st_size == 0 || collector_pseudo_dev(c, fd, before);
	fr->buffered = before->st_size <= READ_BLOCK || fr->pseudo;
	if (!fr->buffered)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (fr->buffered)
		rc = collector_read_buffered(c, fd, apath, before, fr);
	else
		rc = collector_read_streamed(c, fd, apath, before, fr);
	if (rc != 0 || hash_set_final(&c->hashes) != 0 || fstat(fd, &after) != 0 ||
	    (fr->buffered && collector_type_whole(c, fr, c->slurp,
	    (size_t)fr->member_size) != 0)) {
		free(apath);
		return -1;
	}
	if (fr->mime[0] != '\0') {
		const char *refined = filetype_refine(c->filetype, fd, fr->mime);

		if (refined != fr->mime)
			snprintf(fr->mime, sizeof fr->mime, "%s", refined);
	}
	collector_entry_init(c, &e, path, before);
	e.path = apath;
	e.path_len = strlen(apath);
	e.has_content = true;
	e.size = fr->member_size;
	e.hashes = &c->hashes;
	e.mime = fr->mime[0] != '\0' ? fr->mime : NULL;
	e.atime_unprotected = atime_unprotected;
	e.class = fr->class;
	collector_file_status(&e, fr, before, &after, reason, sizeof reason);
	e.reason = reason[0] != '\0' ? reason : NULL;
	fr->status = e.status;
	pkgcheck_end(c->pkgcheck, c, strcmp(e.status, STATUS_OK) == 0, e.status,
	    c->hashes.digest[HASH_SHA256]);
	rc = collector_record_typed(c, &e, fr->ticket);
	free(apath);
	return rc;
}

/*
 * Record a file left out by the selection of a path entry: counted in
 * its directory's summary (skipped: summary) unless it is of a kept class.
 */
static int
collector_skip_selected(struct collector *c, const char *path,
    const struct stat *st, const struct walk_rules *rules, const char *class,
    const char *reason)
{
	struct manifest_entry e;

	if (rules->summary && class == NULL && S_ISREG(st->st_mode) &&
	    select_count(&c->summary, st->st_size))
		return 0;
	collector_entry_init(c, &e, path, st);
	e.status = STATUS_SKIPPED;
	e.reason = reason;
	e.class = class;
	return collector_record(c, &e);
}

/* Skip a file over the size limit when the policy says so; true when handled (*rc set). */
static bool
collector_over_limit(struct collector *c, const char *path,
    const struct stat *st, const struct walk_rules *rules, const char *class,
    int *rc)
{
	char reason[128];
	int over_limit;
	int64_t limit = collector_limit(c, rules, &over_limit);

	if (limit < 0 || st->st_size <= limit || over_limit != PROFILE_OVER_LIMIT_SKIP)
		return false;
	snprintf(reason, sizeof reason, "%s%slarger than the size limit of %lld "
	    "bytes; metadata only", class != NULL ? class : "",
	    class != NULL ? ", " : "", (long long)limit);
	*rc = collector_skip_selected(c, path, st, rules, class, reason);
	return true;
}

/*
 * The class of keep: a file is of, by its first bytes or its mode; a file
 * of none is recorded as skipped (true, *rc set).
 */
static bool
collector_unselected(struct collector *c, int fd, const char *path,
    const struct stat *st, const struct walk_rules *rules, const char **class,
    int *rc)
{
	unsigned char first[SELECT_FIRST_BYTES];
	ssize_t n = 0;
	int found;

	*class = NULL;
	if (rules->keep == 0)
		return false;
	if (select_needs_bytes(rules->keep) &&
	    (n = select_first_bytes(fd, first, sizeof first)) < 0) {
		*rc = collector_unreadable(c, path, st, errno, "read");
		return true;
	}
	if ((found = select_class(rules->keep, first, (size_t)n,
	    st->st_mode)) >= 0) {
		*class = profile_class_names[found];
		return false;
	}
	*rc = collector_skip_selected(c, path, st, rules, NULL,
	    "not of a kept class; metadata only");
	return true;
}

/* The bytes of a file its read takes: its size, or less under a size limit. */
static int64_t
collector_read_size(const struct collector *c, const struct walk_rules *rules,
    const struct stat *st)
{
	int over_limit;
	int64_t limit = collector_limit(c, rules, &over_limit);

	return limit >= 0 && limit < st->st_size ? limit : st->st_size;
}

/* Skip a file when what its entry may read in all (max_total) is spent; true when handled. */
static bool
collector_over_budget(struct collector *c, const char *path,
    const struct stat *st, const struct walk_rules *rules, const char *class,
    int *rc)
{
	char reason[160];

	if (rules->budget == NULL ||
	    collector_read_size(c, rules, st) <= *rules->budget)
		return false;
	snprintf(reason, sizeof reason, "%s%sthe entry's total limit (max_total) "
	    "has %lld bytes left; metadata only", class != NULL ? class : "",
	    class != NULL ? ", " : "",
	    (long long)(*rules->budget > 0 ? *rules->budget : 0));
	*rc = collector_skip_selected(c, path, st, rules, class, reason);
	return true;
}

/* Digest an open regular file without archiving it (content: hash). */
static int
collector_hash_only(struct collector *c, int fd, const char *path,
    const struct stat *before, bool atime_unprotected,
    const struct walk_rules *rules, const char *class)
{
	struct manifest_entry e;
	struct file_read fr;
	struct select_read sr;
	struct stat after;
	char reason[512];
	int over_limit;

	memset(&fr, 0, sizeof fr);
	fr.limit = collector_limit(c, rules, &over_limit);
	/* The digests of a file's first bytes are not the file's: hash it all. */
	if (over_limit == PROFILE_OVER_LIMIT_TRUNCATE)
		fr.limit = -1;
	if (hash_set_reset(&c->hashes) != 0 || select_hash(fd, &c->hashes,
	    c->buffer, READ_BLOCK, fr.limit, &sr) != 0 ||
	    hash_set_final(&c->hashes) != 0 || fstat(fd, &after) != 0)
		return -1;
	fr.member_size = sr.size;
	fr.truncated = sr.truncated;
	collector_entry_init(c, &e, path, before);
	e.hash_only = true;
	e.size = sr.size;
	e.hashes = &c->hashes;
	e.class = class;
	e.atime_unprotected = atime_unprotected;
	collector_file_status(&e, &fr, before, &after, reason, sizeof reason);
	if (sr.read_errno != 0) {
		e.status = STATUS_ERROR;
		snprintf(reason, sizeof reason, "read error at byte %lld: %s; "
		    "the digests are of the bytes before it", (long long)sr.size,
		    strerror(sr.read_errno));
	}
	e.reason = reason[0] != '\0' ? reason :
	    "digests only; content not archived (content: hash)";
	return collector_record(c, &e);
}

/* Read an open regular file under these rules: selected, capped, archived or hashed. */
static int
collector_file_read(struct collector *c, int fd, const char *path,
    const struct stat *before, bool atime_unprotected,
    const struct walk_rules *rules)
{
	struct file_read fr;
	const char *class;
	int over_limit, rc;

	if (collector_unselected(c, fd, path, before, rules, &class, &rc) ||
	    collector_over_limit(c, path, before, rules, class, &rc) ||
	    collector_over_budget(c, path, before, rules, class, &rc))
		return rc;
	if (rules->hash_only)
		rc = collector_hash_only(c, fd, path, before,
		    atime_unprotected, rules, class);
	else {
		memset(&fr, 0, sizeof fr);
		fr.ticket = -1;
		fr.limit = collector_limit(c, rules, &over_limit);
		fr.class = class;
		rc = collector_read_file(c, fd, path, NULL, before,
		    atime_unprotected, &fr);
	}
	if (rules->budget != NULL)
		*rules->budget -= collector_read_size(c, rules, before);
	return rc;
}

/* Open, check and read one regular file. */
static int
collector_file(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *listed, const struct walk_rules *rules)
{
	struct stat before;
	bool atime_unprotected;
	int fd, rc;

	/* Without a class to tell, a file over the limit need not be opened. */
	if (rules->keep == 0 && collector_over_limit(c, path, listed, rules,
	    NULL, &rc))
		return rc;
	if ((fd = collector_open(dirfd, name, &atime_unprotected)) < 0)
		return collector_unreadable(c, path, listed, errno, "open");
	if (fstat(fd, &before) != 0 || !S_ISREG(before.st_mode) ||
	    before.st_ino != listed->st_ino || before.st_dev != listed->st_dev) {
		close(fd);
		return collector_unreadable(c, path, listed, ESTALE,
		    "replaced between listing and opening");
	}
	rc = collector_file_read(c, fd, path, &before, atime_unprotected, rules);
	close(fd);
	return rc;
}

/* True when a path is left out by its name alone (secrets, patterns). */
static bool
collector_name_excluded(const struct collector *c, const char *path,
    const struct walk_rules *rules)
{
	return (!c->opt->include_secrets && collector_secret(path, rules)) ||
	    collector_glob_list(c->opt->exclude, path) != NULL ||
	    collector_glob_list(rules->exclude, path) != NULL;
}

/*
 * A file the directory listing says is regular, met for the first time:
 * opened straight away and stat'ed once through the descriptor, which
 * saves a stat per file. Anything unusual (a name excluded, a file gone,
 * replaced by something else, or hard-linked) goes the long way instead.
 */
int
collector_regular(struct collector *c, int dirfd, const char *name,
    const char *path, const struct walk_rules *rules, bool *done)
{
	struct stat st;
	bool atime_unprotected;
	int fd, rc;

	*done = false;
	if (collector_name_excluded(c, path, rules))
		return 0;
	if ((fd = collector_open(dirfd, name, &atime_unprotected)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1 ||
	    (st.st_dev == c->output_st.st_dev && st.st_ino == c->output_st.st_ino) ||
	    (c->have_key_st && st.st_dev == c->key_st.st_dev &&
	    st.st_ino == c->key_st.st_ino) ||
	    inode_set_contains(&c->seen, &(struct inode_key){ st.st_dev, st.st_ino })) {
		close(fd);
		return 0;
	}
	*done = true;
	rc = collector_file_read(c, fd, path, &st, atime_unprotected, rules);
	close(fd);
	return rc;
}

/*
 * Record a symbolic link with its target; never followed. Where reading
 * the target may have updated the link's atime, the entry says so
 * ("noatime": false); its atime is the one from before.
 */
static int
collector_symlink(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *st)
{
	struct manifest_entry e;
	char target[PATH_MAX];
	size_t len;
	int rc = atime_readlink(dirfd, name, target, sizeof target, &len);

	if (rc < 0)
		return collector_unreadable(c, path, st, errno, "readlink");
	collector_entry_init(c, &e, path, st);
	e.status = STATUS_METADATA;
	e.reason = "symbolic link, recorded and not followed";
	e.link_target = target;
	e.link_len = len;
	e.atime_unprotected = rc == 1;
	return collector_record(c, &e);
}

/* Record an object that has no content to read. */
static int
collector_metadata(struct collector *c, const char *path, const struct stat *st)
{
	struct manifest_entry e;

	collector_entry_init(c, &e, path, st);
	e.status = STATUS_METADATA;
	if (S_ISDIR(st->st_mode))
		e.reason = NULL;
	else if (S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode))
		e.reason = "FIFO or socket, recorded and never opened";
	else
		e.reason = "device or special file, recorded and never opened";
	return collector_record(c, &e);
}

/* Start counting the files skipped in a directory, under skipped: summary. */
int
collector_dir_enter(struct collector *c, const struct walk_rules *rules)
{
	return rules->summary ? select_enter(&c->summary) : 0;
}

/* One entry for the files a directory's walk skipped, with their count and bytes. */
int
collector_dir_leave(struct collector *c, const char *path,
    const struct stat *st, const struct walk_rules *rules)
{
	struct manifest_entry e;
	struct select_level level;
	char reason[192];

	if (!rules->summary)
		return 0;
	select_leave(&c->summary, &level);
	if (level.files == 0)
		return 0;
	collector_entry_init(c, &e, path, st);
	e.status = STATUS_SKIPPED;
	snprintf(reason, sizeof reason, "summary of the files of this "
	    "directory not collected (not of a kept class, over a size "
	    "limit, or a second link): %llu, of %llu bytes",
	    (unsigned long long)level.files, (unsigned long long)level.bytes);
	e.reason = reason;
	e.summary = true;
	e.skipped_files = level.files;
	e.skipped_bytes = level.bytes;
	return collector_record(c, &e);
}

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
static bool
inode_set_contains(const struct inode_set *set, const struct inode_key *k)
{
	const struct inode_key *slot;

	if (set->capacity == 0)
		return false;
	slot = inode_set_slot(set->slots, set->capacity, k);
	return slot->dev != 0 || slot->ino != 0;
}

/* Add key to the set, growing it at half full. 0 or -1. */
static int
inode_set_add(struct inode_set *set, const struct inode_key *k)
{
	struct inode_key *slots, *slot;
	size_t i, capacity;

	if (k->dev == 0 && k->ino == 0)
		return 0;
	if (set->count + 1 > set->capacity / 2) {
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

/*
 * Archive bytes made by a live source as member apath, recorded with kind
 * "live", source label and origin. 0 or -1.
 */
static int
collector_live_bytes(struct collector *c, const char *apath, const char *label,
    const char *origin, const void *data, size_t len)
{
	struct manifest_entry e;
	struct file_read fr = { .limit = -1, .ticket = -1, .buffered = true };
	struct timespec now;
	int rc;

	memset(&e, 0, sizeof e);
	util_time_now(&now);
	hash_set_reset(&c->hashes);
	rc = writer_begin(c->writer, apath, (int64_t)len, &now);
	if (rc == 0)
		rc = collector_block(c, &fr, data, len, true);
	if (rc == 0)
		rc = writer_end(c->writer);
	if (rc == 0)
		rc = hash_set_final(&c->hashes);
	if (rc == 0)
		rc = collector_type_whole(c, &fr, data, len);
	if (rc != 0)
		return -1;
	e.source = label;
	e.source_len = strlen(label);
	e.kind = "live";
	e.collected = now;
	e.path = apath;
	e.path_len = strlen(apath);
	e.has_content = true;
	e.size = (int64_t)len;
	e.hashes = &c->hashes;
	e.mime = fr.mime[0] != '\0' ? fr.mime : NULL;
	e.status = STATUS_OK;
	e.origin = origin;
	return collector_record_typed(c, &e, fr.ticket);
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
	collector_note_problem(c, label, "partial", reason);
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
	if (live_collect(&run, &data, &len, &origin) != 0) {
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
    const struct collector *c, const struct file_read *fr)
{
	char hex[HASH_HEX_SIZE];

	if (record == NULL)
		return 0;
	hash_set_hex(&c->hashes, HASH_SHA256, hex);
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
	fr.ticket = -1;
	fr.limit = cap;
	rc = collector_read_file(c, fd, source, apath, st, atime_unprotected, &fr);
	if (rc == 0)
		rc = collector_live_record(record, apath, c, &fr);
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

/* Collect a path, glob or tree with the entry's limits. */
int
collector_path(struct collector *c, const char *path,
    const struct profile_entry *entry)
{
	struct walk_rules rules = {
		.max_depth = -1,
		.max_size = -1,
		.over_limit = c->opt->over_limit,
		.explicit_root = entry == NULL,
	};
	int64_t budget = entry != NULL ? entry->max_total : -1;

	if (entry != NULL) {
		rules.max_depth = entry->max_depth;
		rules.max_size = entry->max_size;
		rules.over_limit = entry->over_limit;
		rules.exclude = entry->exclude;
		rules.keep = entry->keep;
		rules.hash_only = entry->content == PROFILE_CONTENT_HASH;
		rules.summary = entry->skipped == PROFILE_SKIPPED_SUMMARY;
		rules.budget = budget >= 0 ? &budget : NULL;
	}
	return walk_path(c, path, &rules);
}

/* The SHA-256 of the running binary, for the header. */
static void
collector_self_hash(struct collector *c, char out[65])
{
	unsigned char digest[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ssize_t n;
	int fd;

	strcpy(out, "unknown");
	/* /proc/self/exe is a link to the binary: follow it, on purpose. */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, c->buffer, READ_BLOCK)) > 0)
		EVP_DigestUpdate(md, c->buffer, (size_t)n);
	if (n == 0 && EVP_DigestFinal_ex(md, digest, NULL) == 1)
		util_hex(digest, sizeof digest, out);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
}

/* The examiner object of the header. */
static json_t *
collector_examiner(const struct key *key)
{
	if (key->one_time)
		return json_pack("{s:s, s:b}", "fingerprint", key->fingerprint,
		    "one_time", 1);
	return json_pack("{s:s?, s:s?, s:s?, s:s}", "name", key->name,
	    "role", key->role, "organization", key->organization,
	    "fingerprint", key->fingerprint);
}

/* The hash names in use, as an array. */
static json_t *
collector_hash_names(unsigned mask)
{
	json_t *names = json_array();
	int alg;

	for (alg = 0; alg < HASH_COUNT; alg++)
		if (mask & HASH_MASK(alg))
			json_array_append_new(names, json_string(hash_name(alg)));
	return names;
}

/* Note what this kernel lacked so far (writing the output and spools). */
static void
collector_log_kernel(struct collector *c)
{
	enum compat_feature f;

	for (f = 0; f < COMPAT_FEATURES; f++)
		if (compat_missing(f))
			collector_log(c, "note kernel: %s", compat_describe(f));
}

/* Write the manifest's header line. */
static int
collector_header(struct collector *c)
{
	json_t *h = manifest_header_new(), *host = hostinfo_collect();
	char started[UTIL_TIME_SIZE], self[65], *line;
	size_t len;

	util_time_format(&c->started, started);
	collector_self_hash(c, self);
	json_object_set_new(h, "case_id", json_string(c->opt->case_id));
	json_object_set_new(h, "evidence_id", json_string(c->opt->evidence_id));
	json_object_set_new(h, "started", json_string(started));
	json_object_set(h, "host", host != NULL ? host : json_null());
	json_object_set_new(h, "tool", json_pack("{s:s, s:s, s:s}", "name",
	    PACKAGE_NAME, "version", PACKAGE_VERSION, "sha256", self));
	json_object_set(h, "command_line", c->opt->command_line);
	json_object_set_new(h, "examiner", collector_examiner(c->opt->key));
	json_object_set_new(h, "hashes", collector_hash_names(c->opt->hash_mask));
	/* "host": typed here (mime, type_bytes); "none": by the examiner, later. */
	json_object_set_new(h, "types", json_string(c->opt->types ? "host" : "none"));
	if (c->opt->types)
		json_object_set_new(h, "type_bytes", json_integer((json_int_t)c->opt->type_bytes));
	json_object_set(h, "profiles", c->opt->profiles);
	json_decref(host);
	line = manifest_dump(h, &len);
	json_decref(h);
	if (line == NULL)
		return -1;
	fwrite(line, 1, len, c->manifest.file);
	fputc('\n', c->manifest.file);
	free(line);
	if (c->opt->key->one_time)
		collector_log(c, "start case %s evidence %s sealed with one-time key "
		    "%s (made in memory for this collection; its private half is "
		    "wiped after sealing and never written)", c->opt->case_id,
		    c->opt->evidence_id, c->opt->key->fingerprint);
	else
		collector_log(c, "start case %s evidence %s by %s", c->opt->case_id,
		    c->opt->evidence_id, c->opt->key->fingerprint);
	collector_log_kernel(c);
	return 0;
}

/* Online CPUs, for the typing threads (1 when unknown). */
static int
collector_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* Allocate the parts that do not depend on the output. */
static int
collector_setup(struct collector *c, const struct collect_options *opt)
{
	struct stat st;

	c->opt = opt;
	util_time_now(&c->started);
	merkle_builder_init(&c->tree);
	c->slurp_size = 64 * 1024;
	c->buffer = malloc(READ_BLOCK);
	c->slurp = malloc(c->slurp_size);
	c->result.problems = json_array();
	if (c->buffer == NULL || c->slurp == NULL || c->result.problems == NULL)
		return error_set_errno("malloc");
	if (hash_set_init(&c->hashes, opt->hash_mask) != 0 ||
	    (c->ids = idmap_load()) == NULL)
		return -1;
	if (opt->types && (c->typer = typer_new(collector_cpus(), TYPER_JOBS)) == NULL)
		return -1;
	if (opt->key_path != NULL && stat(opt->key_path, &st) == 0) {
		c->key_st = st;
		c->have_key_st = true;
	}
	return 0;
}

/* Open the archive output and the spools beside it. */
static int
collector_open_output(struct collector *c, const char *final_path)
{
	char *copy = NULL, *dir = NULL;
	int rc;

	if (final_path != NULL) {
		if ((c->final_path = strdup(final_path)) == NULL ||
		    (copy = strdup(final_path)) == NULL)
			return error_set_errno("strdup");
		dir = dirname(copy);
	}
	rc = -1;
	if ((c->writer = writer_open(final_path, c->opt->compress)) != NULL &&
	    writer_output_stat(c->writer, &c->output_st) == 0 &&
	    spool_open(&c->manifest, dir) == 0 && spool_open(&c->sums, dir) == 0 &&
	    spool_open(&c->log, dir) == 0)
		rc = 0;
	free(copy);
	return rc;
}

/* Prepare a collection. */
struct collector *
collector_new(const struct collect_options *opt)
{
	struct collector *c = calloc(1, sizeof *c);
	const char *out = opt->output;

	if (c == NULL) {
		error_set_errno("calloc");
		return NULL;
	}
	if (collector_setup(c, opt) != 0 ||
	    collector_open_output(c, strcmp(out, "-") == 0 ? NULL : out) != 0 ||
	    collector_header(c) != 0) {
		collector_free(c);
		return NULL;
	}
	return c;
}

/* Write the trailer line. */
static int
collector_trailer(struct collector *c, const char *finished)
{
	json_t *t;
	char *line;
	size_t len;

	t = json_pack("{s:s, s:I, s:s, s:{s:I, s:I, s:I, s:I, s:I}}",
	    "type", "trailer", "entries", (json_int_t)c->result.entries,
	    "finished", finished, "counts",
	    "members", (json_int_t)c->result.members,
	    "bytes", (json_int_t)c->result.content_bytes,
	    "skipped", (json_int_t)c->result.skipped,
	    "errors", (json_int_t)c->result.errors,
	    "changed", (json_int_t)c->result.changed);
	if (t == NULL || (line = manifest_dump(t, &len)) == NULL) {
		json_decref(t);
		return error_set("cannot write the trailer");
	}
	json_decref(t);
	fwrite(line, 1, len, c->manifest.file);
	fputc('\n', c->manifest.file);
	free(line);
	return ferror(c->manifest.file) ? error_set_errno("manifest") : 0;
}

/* Write one custody/ member from a spool and list it in SHA256SUMS. */
static int
collector_custody_member(struct collector *c, struct spool *s, const char *path,
    char hex[65])
{
	unsigned char digest[32];

	if (spool_to_member(c, s, path, digest) != 0)
		return -1;
	util_hex(digest, sizeof digest, hex);
	return s == &c->sums ? 0 : sums_write_line(c->sums.file, hex, path,
	    strlen(path));
}

/* Sign and write seal.json and seal.sig. */
static int
collector_seal(struct collector *c, struct seal *s)
{
	unsigned char signature[KEY_SIGNATURE_SIZE];
	struct timespec now;
	size_t len;
	char *text;
	int rc = -1;

	if ((text = seal_serialize(s, c->opt->key, &len)) == NULL)
		return -1;
	util_time_now(&now);
	if (key_sign(c->opt->key, text, len, signature) == 0 &&
	    writer_begin(c->writer, SEAL_PATH, (int64_t)len, &now) == 0 &&
	    writer_data(c->writer, text, len) == 0 && writer_end(c->writer) == 0 &&
	    writer_begin(c->writer, SEAL_SIG_PATH, sizeof signature, &now) == 0 &&
	    writer_data(c->writer, signature, sizeof signature) == 0 &&
	    writer_end(c->writer) == 0)
		rc = 0;
	free(text);
	return rc;
}

/* Fill the seal's fields from the run. */
static void
collector_seal_fields(struct collector *c, struct seal *s, const char *started,
    const char *finished, char *hostname)
{
	merkle_hash root;
	struct collect_result *r = &c->result;

	memset(s, 0, sizeof *s);
	s->case_id = c->opt->case_id;
	s->evidence_id = c->opt->evidence_id;
	hostinfo_name(hostname, 256);
	s->hostname = hostname;
	s->started = started;
	s->finished = finished;
	s->counts.entries = r->entries;
	s->counts.members = r->members;
	s->counts.bytes = r->content_bytes;
	s->counts.skipped = r->skipped;
	s->counts.errors = r->errors;
	s->counts.changed = r->changed;
	merkle_builder_root(&c->tree, root);
	util_hex(root, sizeof root, r->merkle_root);
	s->merkle_root = r->merkle_root;
	s->tool_version = PACKAGE_VERSION;
}

/* Write the custody/ members and the seal. */
static int
collector_write_custody(struct collector *c)
{
	char started[UTIL_TIME_SIZE], finished[UTIL_TIME_SIZE], hostname[256];
	char manifest_hex[65], log_hex[65], sums_hex[65];
	struct timespec end;
	struct seal s;

	if (collector_drain(c, true) != 0)
		return -1;
	util_time_now(&end);
	util_time_format(&c->started, started);
	util_time_format(&end, finished);
	snprintf(c->result.started, sizeof c->result.started, "%s", started);
	if (collector_trailer(c, finished) != 0)
		return -1;
	collector_log(c, "end: %llu entries, %llu errors; sealing",
	    (unsigned long long)c->result.entries,
	    (unsigned long long)c->result.errors);
	if (collector_custody_member(c, &c->manifest, MANIFEST_PATH, manifest_hex) != 0 ||
	    collector_custody_member(c, &c->log, LOG_PATH, log_hex) != 0 ||
	    collector_custody_member(c, &c->sums, SUMS_PATH, sums_hex) != 0)
		return -1;
	collector_seal_fields(c, &s, started, finished, hostname);
	s.manifest_sha256 = manifest_hex;
	s.log_sha256 = log_hex;
	s.sums_sha256 = sums_hex;
	c->result.seconds = (double)(end.tv_sec - c->started.tv_sec) +
	    (double)(end.tv_nsec - c->started.tv_nsec) / 1e9;
	return collector_seal(c, &s);
}

/* Write "HEX  NAME" beside the archive, exclusively. */
static int
collector_sidecar(const char *archive, const char *hex)
{
	char *path, *line, *copy = strdup(archive);
	int len, rc = -1;

	if (copy == NULL || asprintf(&path, "%s.sha256", archive) < 0) {
		free(copy);
		return error_set_errno("asprintf");
	}
	if ((len = asprintf(&line, "%s  %s\n", hex, basename(copy))) < 0)
		error_set_errno("asprintf");
	else {
		rc = util_write_new_file(path, line, (size_t)len, 0600);
		free(line);
	}
	free(path);
	free(copy);
	return rc;
}

/* Whether a walk of this collection read (or would have read) path. */
static bool
collector_reached(void *arg, const char *path)
{
	const struct collector *c = arg;
	size_t i;

	for (i = 0; i < c->tree_count; i++)
		if (collector_tree_reached(c, &c->trees[i], path))
			return true;
	return false;
}

/* The package managers' digests, from the packages source, when it ran. */
struct pkgcheck *
collector_pkgcheck(struct collector *c)
{
	if (c->pkgcheck == NULL)
		c->pkgcheck = pkgcheck_new();
	return c->pkgcheck;
}

/* Write custody/ and the seal, close the archive. */
int
collector_finish(struct collector *c, struct collect_result *result)
{
	unsigned char digest[32];
	struct writer *w = c->writer;

	if (c->pkgcheck != NULL &&
	    pkgcheck_write(c->pkgcheck, c, collector_reached) != 0)
		return -1;
	if (collector_write_custody(c) != 0)
		return -1;
	c->writer = NULL;
	if (writer_close(w, digest, &c->result.archive_bytes) != 0)
		return -1;
	util_hex(digest, sizeof digest, c->result.archive_sha256);
	if (c->final_path != NULL &&
	    collector_sidecar(c->final_path, c->result.archive_sha256) != 0)
		return -1;
	*result = c->result;
	result->archive_path = c->final_path;
	c->final_path = NULL;
	c->result.problems = NULL;
	return 0;
}

/* Abandon the collection, removing partial output. */
void
collector_free(struct collector *c)
{
	if (c == NULL)
		return;
	writer_abort(c->writer);
	spool_close(&c->manifest);
	spool_close(&c->sums);
	spool_close(&c->log);
	hash_set_free(&c->hashes);
	filetype_free(c->filetype);
	typer_free(c->typer);
	while (c->head != NULL) {
		struct pending *next = c->head->next;

		pending_free(c->head);
		c->head = next;
	}
	idmap_free(c->ids);
	free(c->seen.slots);
	pathset_free(&c->named);
	while (c->tree_count > 0)
		free(c->trees[--c->tree_count].path);
	free(c->trees);
	pkgcheck_free(c->pkgcheck);
	select_summary_free(&c->summary);
	mountclass_table_free(&c->mounts);
	json_decref(c->result.problems);
	free(c->buffer);
	free(c->slurp);
	free(c->final_path);
	free(c);
}

/* Release what a result holds. */
void
collect_result_free(struct collect_result *r)
{
	free(r->archive_path);
	json_decref(r->problems);
	memset(r, 0, sizeof *r);
}
