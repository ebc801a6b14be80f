/*
 * The file reader: one open, one read, digests and change detection for each
 * object found.
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

#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/manifest.h"
#include "custody/profile.h"
#include "custody/util.h"
#include "atime.h"
#include "collector.h"
#include "live.h"
#include "pkgcheck.h"
#include "collector-private.h"

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

/*
 * Decide where a member is typed, from its first block: here, when
 * libmagic must see the open file too (ELF objects), else by the sink.
 */
int
collector_type_first(struct collector *c, struct file_read *fr,
    const void *data, size_t len)
{
	if (!c->opt->types)
		return 0;
	if (len > c->opt->type_bytes)
		len = c->opt->type_bytes;
	if (!filetype_needs_descriptor(data, len)) {
		fr->type_here = true;
		return 0;
	}
	/* A libmagic handle of our own only when an ELF object calls for it. */
	if (c->filetype == NULL && (c->filetype = filetype_new()) == NULL)
		return -1;
	snprintf(fr->mime, sizeof fr->mime, "%s",
	    filetype_buffer(c->filetype, data, len));
	return 0;
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

/* A small or pseudo file: read it whole into c->slurp, for one member. */
static int
collector_read_buffered(struct collector *c, int fd, const struct stat *st,
    struct file_read *fr)
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
	return collector_type_first(c, fr, c->slurp, (size_t)n);
}

/* Hand the sink zeros for a member that came up short. */
static int
collector_pad(struct collector *c, int64_t missing)
{
	unsigned char *block;
	size_t n;

	while (missing > 0) {
		n = missing > READ_BLOCK ? READ_BLOCK : (size_t)missing;
		if ((block = calloc(1, n)) == NULL)
			return error_set_errno("calloc");
		if (sink_data(c, block, n) != 0)
			return -1;
		missing -= (int64_t)n;
	}
	return 0;
}

/*
 * A regular file of known size: read it block by block, each block
 * handed to the sink, which digests and archives it while the next is read.
 */
static int
collector_read_streamed(struct collector *c, int fd, const char *apath,
    const char *path, const struct stat *st, struct file_read *fr)
{
	int64_t want = st->st_size, done = 0;
	unsigned char *block;
	size_t chunk;
	ssize_t n;

	if (fr->limit >= 0 && want > fr->limit) {
		want = fr->limit;
		fr->truncated = true;
	}
	fr->member_size = want;
	while (done < want) {
		chunk = want - done > READ_BLOCK ? READ_BLOCK : (size_t)(want - done);
		if ((block = malloc(chunk)) == NULL)
			return error_set_errno("malloc");
		n = collector_read_full(fd, block, chunk);
		if (done == 0 && (collector_type_first(c, fr, block,
		    n > 0 ? (size_t)n : 0) != 0 || sink_begin(c, apath, want,
		    &st->st_mtim, path, fr->type_here) != 0)) {
			free(block);
			return -1;
		}
		if (n <= 0) {
			fr->read_errno = n < 0 ? errno : 0;
			fr->read_error_at = done;
			fr->shrank = n == 0;
			free(block);
			break;
		}
		if (sink_data(c, block, (size_t)n) != 0)
			return -1;
		done += n;
	}
	if (want == 0 && sink_begin(c, apath, 0, &st->st_mtim, path, false) != 0)
		return -1;
	return done < want ? collector_pad(c, want - done) : 0;
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
int
collector_read_file(struct collector *c, int fd, const char *path,
    const char *member, const struct stat *before, bool atime_unprotected,
    struct file_read *fr)
{
	struct manifest_entry e;
	struct stat after;
	char reason[512], *apath, *sha256 = fr->want_sha256 ? fr->sha256 : NULL;
	int rc;

	apath = member != NULL ? strdup(member) : collector_archive_path(path);
	if (apath == NULL)
		return error_set_errno("%s", path);
	fr->pseudo = before->st_size == 0 || collector_pseudo_dev(c, fd, before);
	fr->buffered = before->st_size <= READ_BLOCK || fr->pseudo;
	if (!fr->buffered)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (fr->buffered)
		rc = collector_read_buffered(c, fd, before, fr);
	else
		rc = collector_read_streamed(c, fd, apath, path, before, fr);
	if (rc != 0 || fstat(fd, &after) != 0) {
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
	e.mime = fr->mime[0] != '\0' ? fr->mime : NULL;
	e.atime_unprotected = atime_unprotected;
	e.class = fr->class;
	collector_file_status(&e, fr, before, &after, reason, sizeof reason);
	e.reason = reason[0] != '\0' ? reason : NULL;
	fr->status = e.status;
	if (fr->buffered)
		rc = sink_member(c, apath, &before->st_mtim, c->slurp,
		    (size_t)fr->member_size, path, fr->type_here, &e, sha256);
	else
		rc = sink_end(c, &e, sha256);
	free(apath);
	return rc;
}

/*
 * Record a file left out by the selection of a path entry: counted in
 * its directory's summary (skipped: summary) unless it is of a kept class.
 */
int
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
	if (hash_set_reset(&c->walk_hashes) != 0 || select_hash(fd,
	    &c->walk_hashes, c->buffer, READ_BLOCK, fr.limit, &sr) != 0 ||
	    hash_set_final(&c->walk_hashes) != 0 || fstat(fd, &after) != 0)
		return -1;
	fr.member_size = sr.size;
	fr.truncated = sr.truncated;
	collector_entry_init(c, &e, path, before);
	e.hash_only = true;
	e.size = sr.size;
	e.hashes = &c->walk_hashes;
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
int
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
int
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
int
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
