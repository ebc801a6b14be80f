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
#include "collector.h"

#define READ_BLOCK	(1024 * 1024)		/* one read; also what libmagic sees */
#define PSEUDO_MAX	(64 * 1024 * 1024)	/* cap for /proc and /sys files */
#define PROBLEMS_MAX	100

/* A growing text kept in an unlinked file beside the output, or in memory. */
struct spool {
	FILE	*file;
	char	*memory;
	size_t	 memory_len;
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
	struct filetype			*filetype;
	struct idmap			*ids;
	struct pathmap			*seen;
	unsigned char			*buffer;		/* READ_BLOCK bytes */
	unsigned char			*slurp;			/* whole small or pseudo files */
	size_t				 slurp_size;
	struct collect_result		 result;
	struct timespec			 started;
};

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
	fd = open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd < 0) {
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

/* Add a line to collection.log: UTC time, then the message. */
void
collector_log(struct collector *c, const char *fmt, ...)
{
	char now[UTIL_TIME_SIZE];
	struct timespec ts;
	va_list ap;

	util_time_now(&ts);
	util_time_format(&ts, now);
	fprintf(c->log.file, "%s ", now);
	va_start(ap, fmt);
	vfprintf(c->log.file, fmt, ap);
	va_end(ap);
	fputc('\n', c->log.file);
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

/* Count an entry by its status. */
static void
collector_count(struct collector *c, const struct manifest_entry *e,
    const char *escaped)
{
	c->result.entries++;
	if (e->has_content) {
		c->result.members++;
		c->result.content_bytes += (uint64_t)e->size;
	}
	if (strcmp(e->status, STATUS_SKIPPED) == 0)
		c->result.skipped++;
	else if (strcmp(e->status, STATUS_ERROR) == 0) {
		c->result.errors++;
		collector_note_problem(c, escaped, e->status, e->reason);
	} else if (strcmp(e->status, STATUS_CHANGED) == 0 ||
	    strcmp(e->status, STATUS_TRUNCATED) == 0) {
		c->result.changed++;
		collector_note_problem(c, escaped, e->status, e->reason);
	}
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

/* Write one manifest entry, its Merkle leaf, its sums line and its log line. */
static int
collector_record(struct collector *c, struct manifest_entry *e)
{
	char *line, *escaped, *member;
	merkle_hash leaf;
	char hex[HASH_HEX_SIZE];
	size_t len;

	if ((line = manifest_entry_line(e, &len)) == NULL)
		return -1;
	fwrite(line, 1, len, c->manifest.file);
	fputc('\n', c->manifest.file);
	merkle_leaf_hash(line, len, leaf);
	merkle_builder_add(&c->tree, leaf);
	free(line);
	if (e->has_content) {
		hash_set_hex(e->hashes, HASH_SHA256, hex);
		if (sums_write_line(c->sums.file, hex, e->path, e->path_len) != 0)
			return -1;
	}
	if ((escaped = util_escape(e->source, e->source_len)) == NULL)
		return -1;
	member = e->has_content ? util_escape(e->path, e->path_len) : NULL;
	collector_log(c, "%s %s%s%s%s%s", e->status, escaped,
	    member != NULL ? " -> " : "", member != NULL ? member : "",
	    e->reason != NULL ? ": " : "", e->reason != NULL ? e->reason : "");
	free(member);
	collector_count(c, e, escaped);
	free(escaped);
	if (ferror(c->manifest.file) || ferror(c->log.file))
		return error_set_errno("writing the manifest");
	collector_progress(c, 0);
	return 0;
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
collector_secret(const char *path)
{
	size_t i, len = strlen(path);

	if (len > 4 && strcmp(path + len - 4, ".pub") == 0)
		return false;
	for (i = 0; secret_patterns[i] != NULL; i++)
		if (fnmatch(secret_patterns[i], path, 0) == 0)
			return true;
	return false;
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
	if (!c->opt->include_secrets && S_ISREG(st->st_mode) && collector_secret(path))
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

/* Open a file found by the walk, without following links or touching atime. */
static int
collector_open(int dirfd, const char *name, bool *atime_unprotected)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
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
	int		 read_errno;
	int64_t		 read_error_at;
	char		 mime[128];
};

/* Digest and archive one block, typing it when it is the first. */
static int
collector_block(struct collector *c, struct file_read *fr, const void *data,
    size_t len, bool first)
{
	if (first && c->opt->types)
		snprintf(fr->mime, sizeof fr->mime, "%s",
		    filetype_buffer(c->filetype, data, len));
	if (hash_set_update(&c->hashes, data, len) != 0)
		return -1;
	return writer_data(c->writer, data, len);
}

/* Read a file whole into c->slurp, up to cap bytes (*more when there is more). */
static ssize_t
collector_slurp(struct collector *c, int fd, size_t cap, bool *more)
{
	size_t got = 0, want;
	unsigned char *grown;
	ssize_t n;

	*more = false;
	for (;;) {
		if (got == c->slurp_size) {
			if (c->slurp_size > cap)
				break;
			grown = realloc(c->slurp, c->slurp_size * 2);
			if (grown == NULL)
				return error_set_errno("realloc");
			c->slurp = grown;
			c->slurp_size *= 2;
		}
		want = c->slurp_size - got;
		if ((n = collector_read_full(fd, c->slurp + got, want)) < 0)
			return -1;
		got += (size_t)n;
		if ((size_t)n < want)
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
	ssize_t n = collector_slurp(c, fd, cap, &fr->truncated);

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
	if (done == 0 && want == 0 && c->opt->types)
		snprintf(fr->mime, sizeof fr->mime, "%s",
		    filetype_buffer(c->filetype, "", 0));
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

/* Read one open regular file into the archive and record it. */
static int
collector_read_file(struct collector *c, int fd, const char *path,
    const struct stat *before, bool atime_unprotected, struct file_read *fr)
{
	struct manifest_entry e;
	struct stat after;
	char reason[512], *apath = collector_archive_path(path);
	int rc;

	if (apath == NULL)
		return error_set_errno("asprintf");
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	hash_set_reset(&c->hashes);
	if (before->st_size <= READ_BLOCK || collector_pseudo_fs(fd))
		rc = collector_read_buffered(c, fd, apath, before, fr);
	else
		rc = collector_read_streamed(c, fd, apath, before, fr);
	if (rc != 0 || hash_set_final(&c->hashes) != 0 || fstat(fd, &after) != 0) {
		free(apath);
		return -1;
	}
	if (c->opt->types) {
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
	e.mime = c->opt->types ? fr->mime : NULL;
	e.atime_unprotected = atime_unprotected;
	collector_file_status(&e, fr, before, &after, reason, sizeof reason);
	e.reason = reason[0] != '\0' ? reason : NULL;
	rc = collector_record(c, &e);
	free(apath);
	return rc;
}

/* Open, check and read one regular file. */
static int
collector_file(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *listed, const struct walk_rules *rules)
{
	struct file_read fr;
	struct stat before;
	bool atime_unprotected;
	int fd, rc, over_limit;

	memset(&fr, 0, sizeof fr);
	fr.limit = collector_limit(c, rules, &over_limit);
	if (fr.limit >= 0 && listed->st_size > fr.limit &&
	    over_limit == PROFILE_OVER_LIMIT_SKIP) {
		char reason[96];

		snprintf(reason, sizeof reason, "larger than the size limit of "
		    "%lld bytes; metadata only", (long long)fr.limit);
		return collector_skip(c, path, listed, reason);
	}
	if ((fd = collector_open(dirfd, name, &atime_unprotected)) < 0)
		return collector_unreadable(c, path, listed, errno, "open");
	if (fstat(fd, &before) != 0 || !S_ISREG(before.st_mode) ||
	    before.st_ino != listed->st_ino || before.st_dev != listed->st_dev) {
		close(fd);
		return collector_unreadable(c, path, listed, ESTALE,
		    "replaced between listing and opening");
	}
	rc = collector_read_file(c, fd, path, &before, atime_unprotected, &fr);
	close(fd);
	return rc;
}

/* Record a symbolic link with its target; never followed. */
static int
collector_symlink(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *st)
{
	struct manifest_entry e;
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);

	if (n < 0)
		return collector_unreadable(c, path, st, errno, "readlink");
	collector_entry_init(c, &e, path, st);
	e.status = STATUS_METADATA;
	e.reason = "symbolic link, recorded and not followed";
	e.link_target = target;
	e.link_len = (size_t)n;
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

/* Handle one object found by the walk; 1 when it was left out. */
int
collector_item(struct collector *c, int dirfd, const char *name,
    const char *path, const struct stat *st, const struct walk_rules *rules)
{
	struct { dev_t dev; ino_t ino; } id = { st->st_dev, st->st_ino };
	int created, rc;

	/*
	 * One object, one entry: a second route to the same inode (a hard
	 * link, /lib beside /usr/lib on merged-/usr hosts) is noted, not
	 * collected again.
	 */
	if (pathmap_get(c->seen, (const char *)&id, sizeof id, 1, &created) == NULL)
		return -1;
	if (!created) {
		if (S_ISDIR(st->st_mode))
			return 1;
		return collector_skip(c, path, st, "already collected under "
		    "another path (hard link or second route)") == 0 ? 1 : -1;
	}
	if ((rc = collector_excluded(c, path, st, rules)) != 0)
		return rc;
	if (S_ISREG(st->st_mode))
		return collector_file(c, dirfd, name, path, st, rules);
	if (S_ISLNK(st->st_mode))
		return collector_symlink(c, dirfd, name, path, st);
	return collector_metadata(c, path, st);
}

/* Collect one live source into live/<name>.json. */
int
collector_live(struct collector *c, const char *name)
{
	struct manifest_entry e;
	struct file_read fr = { .limit = -1 };
	struct timespec now;
	const char *source = name;
	char *data, *apath, label[128];
	size_t len;
	int rc;

	memset(&e, 0, sizeof e);
	snprintf(label, sizeof label, "live:%s", name);
	e.source = label;
	e.source_len = strlen(label);
	e.kind = "live";
	util_time_now(&e.collected);
	if (live_collect(name, &data, &len, &source) != 0) {
		e.status = STATUS_ERROR;
		e.reason = error_message();
		return collector_record(c, &e);
	}
	if (asprintf(&apath, "live/%s.json", name) < 0) {
		free(data);
		return error_set_errno("asprintf");
	}
	util_time_now(&now);
	hash_set_reset(&c->hashes);
	rc = writer_begin(c->writer, apath, (int64_t)len, &now);
	if (rc == 0)
		rc = collector_block(c, &fr, data, len, true);
	if (rc == 0)
		rc = writer_end(c->writer);
	if (rc == 0)
		rc = hash_set_final(&c->hashes);
	free(data);
	if (rc == 0) {
		e.path = apath;
		e.path_len = strlen(apath);
		e.has_content = true;
		e.size = (int64_t)len;
		e.hashes = &c->hashes;
		e.mime = c->opt->types ? fr.mime : NULL;
		e.status = STATUS_OK;
		e.origin = source;
		rc = collector_record(c, &e);
	}
	free(apath);
	return rc;
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

	if (entry != NULL) {
		rules.max_depth = entry->max_depth;
		rules.max_size = entry->max_size;
		rules.over_limit = entry->over_limit;
		rules.exclude = entry->exclude;
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
	json_object_set_new(h, "types", json_boolean(c->opt->types));
	json_object_set(h, "profiles", c->opt->profiles);
	json_decref(host);
	line = manifest_dump(h, &len);
	json_decref(h);
	if (line == NULL)
		return -1;
	fwrite(line, 1, len, c->manifest.file);
	fputc('\n', c->manifest.file);
	free(line);
	collector_log(c, "start case %s evidence %s by %s", c->opt->case_id,
	    c->opt->evidence_id, c->opt->key->fingerprint);
	return 0;
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
	    (c->seen = pathmap_new(1)) == NULL || (c->ids = idmap_load()) == NULL)
		return -1;
	if (opt->types && (c->filetype = filetype_new()) == NULL)
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
	char *path, *copy = strdup(archive);
	FILE *f;
	int fd, rc = -1;

	if (copy == NULL || asprintf(&path, "%s.sha256", archive) < 0) {
		free(copy);
		return error_set_errno("asprintf");
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && (f = fdopen(fd, "w")) != NULL) {
		fprintf(f, "%s  %s\n", hex, basename(copy));
		rc = fflush(f) == 0 && fsync(fd) == 0 ? 0 : -1;
		if (fclose(f) != 0)
			rc = -1;
	} else if (fd >= 0)
		close(fd);
	if (rc != 0)
		error_set_errno("%s", path);
	free(path);
	free(copy);
	return rc;
}

/* Write custody/ and the seal, close the archive. */
int
collector_finish(struct collector *c, struct collect_result *result)
{
	unsigned char digest[32];
	struct writer *w = c->writer;

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
	idmap_free(c->ids);
	pathmap_free(c->seen);
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
