/*
 * The executables source: the SHA-256 of the binary of every process
 * (/proc/PID/exe), each binary read once and shared by inode; the content
 * of deleted and memfd binaries archived under live/executables/.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"
#include "live-executables.h"
#include "mountclass.h"

#define LIVE_EXEC_BUFFER	((size_t)1 << 20)

/* The record of an inode seen before, or NULL. */
json_t *
live_exec_find(const struct live_exec *x, const struct stat *st)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->seen[i].ino == st->st_ino && x->seen[i].dev == st->st_dev)
			return x->seen[i].record;
	return NULL;
}

/* Remember an inode's record. -1 when the table is full or out of memory. */
int
live_exec_remember(struct live_exec *x, const struct stat *st, json_t *record)
{
	struct live_inode_seen *grown;

	if (x->n == LIVE_EXEC_INODES_MAX) {
		x->truncated = true;
		return -1;
	}
	if ((grown = live_grow(x->seen, &x->size, x->n, sizeof *x->seen)) == NULL)
		return -1;
	x->seen = grown;
	x->seen[x->n].dev = st->st_dev;
	x->seen[x->n].ino = st->st_ino;
	x->seen[x->n++].record = record;
	return 0;
}

/*
 * Open a /proc magic link to its regular file. The link is followed on
 * purpose; nothing but a regular file is opened (a deleted FIFO or device
 * is never opened), and the access time is left alone where permitted.
 */
int
live_exec_open(struct live_exec *x, int dirfd, const char *name,
    struct stat *st)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, fd, saved;
	struct mountclass_place place;
	struct stat opened;

	/* Stat without waiting: a dead FUSE or NFS server would hang us. */
	if (compat_stat(dirfd, name, st, &place.mnt_id) != 0)
		return -1;
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		return -1;
	}
	place.dev = st->st_dev;
	if (mountclass_remote_at(collector_mounts(x->run->collector), &place) != NULL) {
		errno = EREMOTE;
		return -1;
	}
	fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	if (fd < 0)
		return -1;
	/* The link may have been swapped between the stat and the open. */
	saved = fstat(fd, &opened) != 0 ? errno : opened.st_dev != st->st_dev ||
	    opened.st_ino != st->st_ino ? ESTALE : 0;
	if (saved != 0) {
		close(fd);
		errno = saved;
		return -1;
	}
	*st = opened;
	return fd;
}

/* Add the inode's metadata to a record. */
void
live_exec_metadata(json_t *record, const struct stat *st)
{
	char text[UTIL_TIME_SIZE], mode[8];

	util_time_format(&st->st_mtim, text);
	snprintf(mode, sizeof mode, "%04o", (unsigned)(st->st_mode & 07777));
	json_object_set_new(record, "dev", json_integer((json_int_t)st->st_dev));
	json_object_set_new(record, "inode", json_integer((json_int_t)st->st_ino));
	json_object_set_new(record, "size", json_integer((json_int_t)st->st_size));
	json_object_set_new(record, "mode", json_string(mode));
	json_object_set_new(record, "uid", json_integer((json_int_t)st->st_uid));
	json_object_set_new(record, "gid", json_integer((json_int_t)st->st_gid));
	json_object_set_new(record, "links", json_integer((json_int_t)st->st_nlink));
	json_object_set_new(record, "mtime", json_string(text));
}

/* Say why content was not archived. */
void
live_exec_not_archived(json_t *record, const char *reason)
{
	json_t *content = json_object();

	json_object_set_new(content, "member", json_null());
	json_object_set_new(content, "status", json_string("skipped"));
	json_object_set_new(content, "reason", json_string(reason));
	json_object_set_new(record, "content", content);
}

/* Archive an open file's content within the caps, as "content" of record. */
int
live_exec_content(struct live_exec *x, json_t *record, int fd,
    const struct stat *st, const char *member, const char *source)
{
	int64_t cap = x->cap, left = x->total_cap - x->total;
	json_t *content;

	if (cap == 0) {
		live_exec_not_archived(record, "max_size is 0");
		return 0;
	}
	if (left <= 0) {
		x->total_reached = true;
		live_exec_not_archived(record, "total content cap reached");
		return 0;
	}
	/* The last member before the total cap holds what remains of it. */
	if (left < cap) {
		cap = left;
		x->total_reached |= st->st_size > left || st->st_size == 0;
	}
	if ((content = json_object()) == NULL ||
	    json_object_set_new(record, "content", content) != 0)
		return x->run->fatal = true, error_set("out of memory");
	if (live_add_file(x->run, member, fd, st, source, cap, content) != 0)
		return -1;
	x->total += json_integer_value(json_object_get(content, "size"));
	return 0;
}

/* Note that a process could not be read: what and why. */
void
live_exec_unreadable(struct live_exec *x, pid_t pid, int piddir,
    const char *what, int error_number)
{
	char comm[LIVE_COMM_SIZE];
	json_t *u = json_object();

	live_comm(piddir, comm, sizeof comm);
	json_object_set_new(u, "pid", json_integer(pid));
	live_set_bytes(u, "comm", comm, strlen(comm));
	json_object_set_new(u, "what", json_string(what));
	live_set_errno(u, "error", error_number);
	json_array_append_new(x->unreadable, u);
}

/* Set "sha256" to the digest of a whole open file, streamed. */
static void
live_exec_hash(struct live_exec *x, json_t *record, int fd,
    const struct stat *st)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *md;
	ssize_t n = -1;

	if (st->st_size > LIVE_EXEC_HASH_MAX) {
		json_object_set_new(record, "sha256", json_null());
		json_object_set_new(record, "hash_skipped", json_sprintf(
		    "larger than %lld bytes", (long long)LIVE_EXEC_HASH_MAX));
		return;
	}
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1)
		while ((n = read(fd, x->buffer, LIVE_EXEC_BUFFER)) > 0 ||
		    (n < 0 && errno == EINTR))
			if (n > 0 && EVP_DigestUpdate(md, x->buffer, (size_t)n) != 1)
				break;
	if (n == 0 && EVP_DigestFinal_ex(md, digest, NULL) == 1)
		json_object_set_new(record, "sha256",
		    json_string(util_hex(digest, 32, hex)));
	else {
		json_object_set_new(record, "sha256", json_null());
		live_set_errno(record, "hash_error", n < 0 ? errno : EIO);
	}
	EVP_MD_CTX_free(md);
}

/* A new executable's record: path, flags, metadata, the pids running it. */
static json_t *
live_exec_record(const char *target, size_t len, const struct stat *st)
{
	json_t *record = json_object();
	bool deleted = live_deleted_strip(target, &len);

	live_set_bytes(record, "path", target, len);
	json_object_set_new(record, "deleted", json_boolean(deleted));
	json_object_set_new(record, "memfd",
	    json_boolean(len >= 7 && memcmp(target, "/memfd:", 7) == 0));
	live_exec_metadata(record, st);
	json_object_set_new(record, "pids", json_array());
	return record;
}

/*
 * Read a new executable: deleted and memfd binaries are archived (their
 * digest is the member's when whole), others hashed. 0, or -1 when fatal.
 */
static int
live_exec_read(struct live_exec *x, json_t *record, int fd,
    const struct stat *st, pid_t pid)
{
	char member[64], source[64];
	json_t *content;

	if (!json_is_true(json_object_get(record, "deleted")) &&
	    !json_is_true(json_object_get(record, "memfd"))) {
		live_exec_hash(x, record, fd, st);
		return 0;
	}
	snprintf(member, sizeof member, "exe-%d", (int)pid);
	snprintf(source, sizeof source, "/proc/%d/exe", (int)pid);
	if (live_exec_content(x, record, fd, st, member, source) != 0)
		return -1;
	content = json_object_get(record, "content");
	if (json_is_string(json_object_get(content, "status")) &&
	    strcmp(json_string_value(json_object_get(content, "status")),
	    "ok") == 0)
		json_object_set(record, "sha256", json_object_get(content, "sha256"));
	else
		json_object_set_new(record, "sha256", json_null());
	return 0;
}

/* Add a pid to the record of the binary it runs. */
static void
live_exec_add_pid(json_t *record, pid_t pid)
{
	json_array_append_new(json_object_get(record, "pids"), json_integer(pid));
}

/*
 * The binary of one process: a new record, or the pid added to the record
 * of a binary already read. 0, or -1 when fatal.
 */
static int
live_exec_process(struct live_exec *x, pid_t pid, int dir)
{
	char target[PATH_MAX + 1];
	struct stat st;
	json_t *record;
	ssize_t n;
	int fd, rc;

	if ((n = readlinkat(dir, "exe", target, sizeof target - 1)) < 0 ||
	    (fd = live_exec_open(x, dir, "exe", &st)) < 0) {
		/* A kernel thread has no binary; a process that left has none either. */
		if (errno == ENOENT && fstatat(dir, "stat", &st, 0) != 0)
			json_array_append_new(x->vanished, json_integer(pid));
		else if (errno == ENOENT)
			x->no_binary++;
		else
			live_exec_unreadable(x, pid, dir, "exe", errno);
		return 0;
	}
	if ((record = live_exec_find(x, &st)) != NULL) {
		live_exec_add_pid(record, pid);
		close(fd);
		return 0;
	}
	record = live_exec_record(target, (size_t)n, &st);
	live_exec_add_pid(record, pid);
	json_array_append_new(x->executables, record);
	if (live_exec_remember(x, &st, record) != 0) {
		json_object_set_new(record, "sha256", json_null());
		json_object_set_new(record, "hash_skipped",
		    json_string("too many distinct inodes"));
		close(fd);
		return 0;
	}
	rc = live_exec_read(x, record, fd, &st, pid);
	close(fd);
	return rc;
}

/* Read one process through one open /proc/PID. 0, or -1 when fatal. */
static int
live_exec_pid(struct live_exec *x, pid_t pid)
{
	int dir, rc;

	if ((dir = live_pid_open(pid)) < 0) {
		json_array_append_new(x->vanished, json_integer(pid));
		return 0;
	}
	rc = live_exec_process(x, pid, dir);
	if (rc == 0 && pid != getpid())
		rc = live_exec_held(x, pid, dir);
	close(dir);
	return rc;
}

/* The caps of this run, from the entry's max_size. */
static void
live_exec_caps(struct live_exec *x, const struct live_run *run)
{
	x->cap = run->max_size >= 0 ? run->max_size : LIVE_EXEC_CONTENT_MAX;
	x->total_cap = x->cap > INT64_MAX / LIVE_EXEC_TOTAL_FACTOR ? INT64_MAX :
	    x->cap * LIVE_EXEC_TOTAL_FACTOR;
}

/* The summary members of the document. */
static void
live_exec_summary(json_t *doc, const struct live_exec *x, bool truncated)
{
	json_object_set_new(doc, "content_cap", json_integer(x->cap));
	json_object_set_new(doc, "content_total_cap", json_integer(x->total_cap));
	json_object_set_new(doc, "content_total", json_integer(x->total));
	json_object_set_new(doc, "content_total_reached",
	    json_boolean(x->total_reached));
	json_object_set_new(doc, "truncated", json_boolean(truncated));
	json_object_set_new(doc, "no_binary",
	    json_integer((json_int_t)x->no_binary));
	live_set_count(doc, x->executables);
}

/* The executables source: every process's binary and deleted open files. */
static int
live_executables(struct live_run *run)
{
	struct live_exec x = { .run = run };
	struct live_pids pids;
	size_t i;
	int rc = 0;

	if (live_pids(&pids) != 0)
		return -1;
	if ((x.buffer = malloc(LIVE_EXEC_BUFFER)) == NULL) {
		free(pids.v);
		return error_set_errno("malloc");
	}
	live_exec_caps(&x, run);
	x.executables = json_array();
	x.held = json_array();
	x.unreadable = json_array();
	x.vanished = json_array();
	for (i = 0; i < pids.n && rc == 0; i++)
		rc = live_exec_pid(&x, pids.v[i]);
	live_exec_summary(run->doc, &x, pids.truncated || x.truncated);
	json_object_set_new(run->doc, "executables", x.executables);
	json_object_set_new(run->doc, "held_deleted", x.held);
	json_object_set_new(run->doc, "unreadable", x.unreadable);
	json_object_set_new(run->doc, "vanished", x.vanished);
	free(x.seen);
	free(x.buffer);
	free(pids.v);
	return rc;
}

const struct live_reader live_reader_executables = {
	.origin = "/proc/[pid]/{exe,fd,fdinfo}",
	.fill = live_executables,
};
