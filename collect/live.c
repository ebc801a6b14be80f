/* Volatile state read natively from /proc, /sys and /run: the live sources. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utmpx.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"

#define LIVE_FORMAT_VERSION	1
#define LIVE_PROC_MAX		((size_t)16 << 20)	/* one /proc file */
#define LIVE_TABLE_MAX		((size_t)64 << 20)	/* one /proc/net table */
#define LIVE_UTMP_MAX		((size_t)64 << 20)
#define LIVE_SESSION_MAX	((size_t)64 << 10)	/* one logind session */
#define LIVE_SESSIONS_MAX	4096
#define LIVE_PROCESSES_MAX	((size_t)1 << 20)
#define LIVE_FDS_MAX		((size_t)1 << 20)	/* fds per process */
#define LIVE_OWNERS_MAX		((size_t)1 << 22)	/* socket-process pairs */
#define LIVE_COMM_SIZE		128

/* A whole file read into memory, NUL-terminated. */
struct live_file {
	char	*data;
	size_t	 len;
	bool	 truncated;	/* there was more than the cap */
};

/* Process ids found in /proc. */
struct live_pids {
	pid_t	*v;
	size_t	 n;
	bool	 truncated;
};

/* Socket inodes held by one process. */
struct live_inodes {
	unsigned long long	*v;
	size_t			 n;
	size_t			 size;
	size_t			 unreadable;	/* links readlink refused */
	int			 link_error;	/* the first such errno */
	bool			 truncated;
};

/* One process holding one socket. */
struct live_owner {
	unsigned long long	 inode;
	pid_t			 pid;
	char			 comm[LIVE_COMM_SIZE];
};

/* Every (socket inode, process) pair, sorted by inode then pid. */
struct live_owners {
	struct live_owner	*v;
	size_t			 n;
	size_t			 size;
	size_t			 scanned;	/* processes whose fds were read */
	size_t			 fd_errors;	/* processes whose fds were not */
	bool			 truncated;
};

/* What turns start ticks into times. */
struct live_clock {
	long		 hz;
	long long	 btime;		/* -1 when unknown */
};

/* One of the /proc/net tables of internet sockets. */
struct live_inet_table {
	const char	*path;
	const char	*proto;
	int		 family;
	bool		 tcp;
};

/* One live source: its name, where it comes from, and its reader. */
struct live_source {
	const char	*name;
	const char	*origin;
	int		(*fill)(json_t *doc, json_t *errors);
};

/* Read fd to its end, keeping at most max bytes. -1 with errno set. */
static int
live_read_fd(int fd, size_t max, struct live_file *f)
{
	size_t size = 0;
	ssize_t n;
	char *grown;

	memset(f, 0, sizeof *f);
	for (;;) {
		if (f->len == size) {
			if (size > max) {
				f->truncated = true;
				break;
			}
			size = size == 0 ? 65536 : size * 2;
			if (size > max + 1)
				size = max + 1;
			if ((grown = realloc(f->data, size + 1)) == NULL)
				goto fail;
			f->data = grown;
		}
		n = read(fd, f->data + f->len, size - f->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		f->len += (size_t)n;
	}
	if (f->len > max)
		f->len = max;
	f->data[f->len] = '\0';
	return 0;
fail:
	n = errno;
	free(f->data);
	f->data = NULL;
	errno = (int)n;
	return -1;
}

/* Read a regular file below dirfd whole, up to max bytes. 0 or -1 (errno). */
static int
live_read(int dirfd, const char *path, size_t max, struct live_file *f)
{
	int fd, rc, saved;

	if ((fd = util_open_file(dirfd, path, NULL)) < 0)
		return -1;
	rc = live_read_fd(fd, max, f);
	saved = errno;
	close(fd);
	errno = saved;
	if (rc != 0)
		return error_set_errno("%s", path);
	return 0;
}

/* Drop trailing newlines from a file's contents. */
static void
live_chomp(struct live_file *f)
{
	while (f->len > 0 && f->data[f->len - 1] == '\n')
		f->data[--f->len] = '\0';
}

/* Make room for one more element of a growing array; NULL when out of memory. */
static void *
live_grow(void *array, size_t *size, size_t n, size_t element)
{
	size_t want;
	void *grown;

	if (n < *size)
		return array;
	want = *size == 0 ? 64 : *size * 2;
	if ((grown = reallocarray(array, want, element)) == NULL) {
		error_set_errno("reallocarray");
		return NULL;
	}
	*size = want;
	return grown;
}

/* Set key to bytes as a string when UTF-8; else null, with key_base64. */
static void
live_set_bytes(json_t *obj, const char *key, const char *data, size_t len)
{
	char name[128], *encoded;

	if (util_utf8_valid(data, len)) {
		json_object_set_new(obj, key, json_stringn(data, len));
		return;
	}
	json_object_set_new(obj, key, json_null());
	snprintf(name, sizeof name, "%s_base64", key);
	if ((encoded = util_base64(data, len)) == NULL)
		return;
	json_object_set_new(obj, name, json_string(encoded));
	free(encoded);
}

/* Bytes as a JSON string, escaped (\xHH) when they are not UTF-8. */
static json_t *
live_string(const char *data, size_t len)
{
	json_t *s;
	char *escaped;

	if (util_utf8_valid(data, len))
		return json_stringn(data, len);
	if ((escaped = util_escape(data, len)) == NULL)
		return NULL;
	s = json_string(escaped);
	free(escaped);
	return s;
}

/* Append the last error message to a document's list of problems. */
static void
live_note(json_t *errors)
{
	const char *message = error_message();

	json_array_append_new(errors, live_string(message, strlen(message)));
}

/* Set key to the trimmed contents of a small file, or null with a note. */
static int
live_set_file(json_t *obj, const char *key, const char *path, json_t *errors)
{
	struct live_file f;

	if (live_read(AT_FDCWD, path, LIVE_PROC_MAX, &f) != 0) {
		json_object_set_new(obj, key, json_null());
		live_note(errors);
		return -1;
	}
	live_chomp(&f);
	live_set_bytes(obj, key, f.data, f.len);
	free(f.data);
	return 0;
}

/* Set an error key to the text of an errno value. */
static void
live_set_errno(json_t *obj, const char *key, int error_number)
{
	json_object_set_new(obj, key, json_string(strerror(error_number)));
}

/* Set "count" to the length of a list. */
static void
live_set_count(json_t *doc, json_t *list)
{
	json_object_set_new(doc, "count",
	    json_integer((json_int_t)json_array_size(list)));
}

/* Parse a whole string of decimal digits. */
static bool
live_decimal(const char *text, unsigned long long *out)
{
	char *end;

	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Current UTC time as an ISO-8601 JSON string. */
static json_t *
live_now(void)
{
	struct timespec now;
	char text[UTIL_TIME_SIZE];

	util_time_now(&now);
	util_time_format(&now, text);
	return json_string(text);
}

/* Order pids for qsort. */
static int
live_pid_compare(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The process ids listed in /proc, sorted. */
static int
live_pids(struct live_pids *p)
{
	struct dirent *de;
	size_t size = 0;
	unsigned long long value;
	pid_t *grown;
	DIR *dir;

	memset(p, 0, sizeof *p);
	if ((dir = opendir("/proc")) == NULL)
		return error_set_errno("/proc");
	while ((de = readdir(dir)) != NULL) {
		if (!live_decimal(de->d_name, &value) || value == 0 ||
		    value > INT_MAX)
			continue;
		if (p->n == LIVE_PROCESSES_MAX) {
			p->truncated = true;
			break;
		}
		if ((grown = live_grow(p->v, &size, p->n, sizeof *p->v)) == NULL) {
			closedir(dir);
			free(p->v);
			return -1;
		}
		p->v = grown;
		p->v[p->n++] = (pid_t)value;
	}
	closedir(dir);
	if (p->n > 0)
		qsort(p->v, p->n, sizeof *p->v, live_pid_compare);
	return 0;
}

/* Open /proc/PID as a directory, so that all its files are of one process. */
static int
live_pid_open(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The socket inode a descriptor link names: 1 socket, 0 other, -1 unreadable. */
static int
live_socket_link(int fddir, const char *name, unsigned long long *inode)
{
	char target[64], *end;
	ssize_t n;

	if ((n = readlinkat(fddir, name, target, sizeof target - 1)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (n < 9 || strncmp(target, "socket:[", 8) != 0)
		return 0;
	target[n] = '\0';
	errno = 0;
	*inode = strtoull(target + 8, &end, 10);
	return errno == 0 && end[0] == ']' && end[1] == '\0';
}

/* Order socket inodes for qsort. */
static int
live_inode_compare(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return (x > y) - (x < y);
}

/* Sort the inodes and drop duplicates (dup'd descriptors). */
static void
live_inodes_unique(struct live_inodes *s)
{
	size_t i, kept = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof *s->v, live_inode_compare);
	for (i = 0; i < s->n; i++)
		if (kept == 0 || s->v[kept - 1] != s->v[i])
			s->v[kept++] = s->v[i];
	s->n = kept;
}

/* Walk an open fd directory, adding every socket inode. -1 when out of memory. */
static int
live_inodes_scan(DIR *dir, struct live_inodes *s)
{
	unsigned long long inode, *grown;
	struct dirent *de;
	size_t seen = 0;
	int rc;

	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (++seen > LIVE_FDS_MAX) {
			s->truncated = true;
			break;
		}
		if ((rc = live_socket_link(dirfd(dir), de->d_name, &inode)) < 0 &&
		    s->unreadable++ == 0)
			s->link_error = errno;
		if (rc != 1)
			continue;
		grown = live_grow(s->v, &s->size, s->n, sizeof *s->v);
		if (grown == NULL)
			return -1;
		s->v = grown;
		s->v[s->n++] = inode;
	}
	return 0;
}

/*
 * The socket inodes among a process's open files, sorted and unique.
 * 0, or -1 with errno set (EACCES for another user's process).
 */
static int
live_socket_inodes(int piddir, struct live_inodes *s)
{
	int fd, rc, saved;
	DIR *dir;

	memset(s, 0, sizeof *s);
	fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	rc = live_inodes_scan(dir, s);
	saved = errno;
	closedir(dir);
	if (rc != 0) {
		free(s->v);
		s->v = NULL;
		errno = saved;
		return -1;
	}
	live_inodes_unique(s);
	return 0;
}

/* A process's command name from /proc/PID/comm; empty when unreadable. */
static void
live_comm(int piddir, char *out, size_t size)
{
	struct live_file f;

	out[0] = '\0';
	if (live_read(piddir, "comm", LIVE_PROC_MAX, &f) != 0)
		return;
	live_chomp(&f);
	snprintf(out, size, "%s", f.data);
	free(f.data);
}

/* Order owners by inode, then pid. */
static int
live_owner_compare(const void *a, const void *b)
{
	const struct live_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return (x->inode > y->inode) - (x->inode < y->inode);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Add one process's sockets to the map. -1 only when out of memory. */
static int
live_owners_add(struct live_owners *o, pid_t pid)
{
	struct live_inodes s;
	struct live_owner *grown;
	char comm[LIVE_COMM_SIZE];
	size_t i;
	int dir, saved;

	if ((dir = live_pid_open(pid)) < 0)
		return 0;
	live_comm(dir, comm, sizeof comm);
	if (live_socket_inodes(dir, &s) != 0) {
		saved = errno;
		close(dir);
		if (saved != ENOENT && saved != ESRCH)
			o->fd_errors++;
		return saved == ENOMEM ? -1 : 0;
	}
	close(dir);
	o->scanned++;
	if (s.unreadable > 0)
		o->fd_errors++;
	o->truncated |= s.truncated;
	for (i = 0; i < s.n; i++) {
		if (o->n == LIVE_OWNERS_MAX) {
			o->truncated = true;
			break;
		}
		grown = live_grow(o->v, &o->size, o->n, sizeof *o->v);
		if (grown == NULL) {
			free(s.v);
			return -1;
		}
		o->v = grown;
		o->v[o->n].inode = s.v[i];
		o->v[o->n].pid = pid;
		memcpy(o->v[o->n++].comm, comm, sizeof comm);
	}
	free(s.v);
	return 0;
}

/* Map every socket inode to the processes holding it, scanning /proc once. */
static int
live_owners_build(struct live_owners *o)
{
	struct live_pids pids;
	size_t i;

	memset(o, 0, sizeof *o);
	if (live_pids(&pids) != 0)
		return -1;
	for (i = 0; i < pids.n; i++) {
		if (live_owners_add(o, pids.v[i]) != 0) {
			free(pids.v);
			free(o->v);
			return -1;
		}
	}
	o->truncated |= pids.truncated;
	free(pids.v);
	if (o->n > 0)
		qsort(o->v, o->n, sizeof *o->v, live_owner_compare);
	return 0;
}

/* The processes holding a socket inode, as [{"pid", "comm"}]. */
static json_t *
live_owners_json(const struct live_owners *o, unsigned long long inode)
{
	size_t lo = 0, hi = o->n, mid;
	json_t *list = json_array(), *owner;

	if (inode == 0)
		return list;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->v[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < o->n && o->v[lo].inode == inode; lo++) {
		owner = json_object();
		json_object_set_new(owner, "pid", json_integer(o->v[lo].pid));
		live_set_bytes(owner, "comm", o->v[lo].comm,
		    strlen(o->v[lo].comm));
		json_array_append_new(list, owner);
	}
	return list;
}

/* Clock ticks per second and the boot time from /proc/stat. */
static void
live_clock_init(struct live_clock *boot)
{
	struct live_file f;
	char *cursor, *line;

	boot->hz = sysconf(_SC_CLK_TCK);
	if (boot->hz <= 0)
		boot->hz = 100;
	boot->btime = -1;
	if (live_read(AT_FDCWD, "/proc/stat", LIVE_PROC_MAX, &f) != 0)
		return;
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		if (sscanf(line, "btime %lld", &boot->btime) == 1)
			break;
	free(f.data);
}

/* Set "started" to the UTC time of a number of ticks after boot. */
static void
live_set_started(json_t *p, const struct live_clock *boot,
    unsigned long long ticks)
{
	unsigned long long hz = (unsigned long long)boot->hz;
	struct timespec ts;
	char text[UTIL_TIME_SIZE];

	json_object_set_new(p, "start_ticks", json_integer((json_int_t)ticks));
	json_object_set_new(p, "start_seconds_after_boot",
	    json_real((double)ticks / (double)boot->hz));
	if (boot->btime < 0) {
		json_object_set_new(p, "started", json_null());
		return;
	}
	ts.tv_sec = (time_t)(boot->btime + (long long)(ticks / hz));
	ts.tv_nsec = (long)(ticks % hz * 1000000000ULL / hz);
	util_time_format(&ts, text);
	json_object_set_new(p, "started", json_string(text));
}

/*
 * Parse /proc/PID/stat into p. The command name sits in parentheses and
 * may itself hold spaces and ')', so the fields start after the last ')'.
 */
static int
live_stat_parse(json_t *p, const char *text, size_t len,
    const struct live_clock *boot)
{
	const char *first, *last, *field;
	unsigned long long values[23];
	int n;

	first = memchr(text, '(', len);
	last = memrchr(text, ')', len);
	if (first == NULL || last == NULL || last < first)
		return -1;
	field = last + 1;
	for (n = 3; n <= 22; n++) {
		field += strspn(field, " ");
		if (*field == '\0')
			return -1;
		values[n] = n == 3 ? (unsigned char)*field :
		    strtoull(field, NULL, 10);
		field += strcspn(field, " ");
	}
	live_set_bytes(p, "comm", first + 1, (size_t)(last - first - 1));
	json_object_set_new(p, "ppid", json_integer((json_int_t)values[4]));
	json_object_set_new(p, "state", json_sprintf("%c", (char)values[3]));
	json_object_set_new(p, "threads", json_integer((json_int_t)values[20]));
	live_set_started(p, boot, values[22]);
	return 0;
}

/* Add the fields of /proc/PID/stat. -1 when the process has gone. */
static int
live_process_stat(json_t *p, int dir, const struct live_clock *boot)
{
	struct live_file f;

	if (live_read(dir, "stat", LIVE_PROC_MAX, &f) != 0)
		return -1;
	if (live_stat_parse(p, f.data, f.len, boot) != 0)
		json_object_set_new(p, "stat_error", json_string("malformed"));
	free(f.data);
	return 0;
}

/* Set an id and, when known, its name. */
static void
live_set_id(json_t *p, const char *key, const char *name_key, unsigned id,
    const char *name)
{
	json_object_set_new(p, key, json_integer(id));
	if (name_key != NULL)
		json_object_set_new(p, name_key,
		    name != NULL ? json_string(name) : json_null());
}

/* Add the real and effective user and group from /proc/PID/status. */
static void
live_process_status(json_t *p, int dir, const struct idmap *ids)
{
	unsigned uid[4], gid[4];
	int have_uid = 0, have_gid = 0;
	struct live_file f;
	char *cursor, *line;

	if (live_read(dir, "status", LIVE_PROC_MAX, &f) != 0) {
		live_set_errno(p, "status_error", errno);
		return;
	}
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if (!have_uid && sscanf(line, "Uid: %u %u %u %u", &uid[0],
		    &uid[1], &uid[2], &uid[3]) == 4)
			have_uid = 1;
		if (!have_gid && sscanf(line, "Gid: %u %u %u %u", &gid[0],
		    &gid[1], &gid[2], &gid[3]) == 4)
			have_gid = 1;
	}
	free(f.data);
	if (have_uid) {
		live_set_id(p, "uid", "user", uid[0], idmap_user(ids, uid[0]));
		live_set_id(p, "euid", NULL, uid[1], NULL);
	}
	if (have_gid) {
		live_set_id(p, "gid", "group", gid[0], idmap_group(ids, gid[0]));
		live_set_id(p, "egid", NULL, gid[1], NULL);
	}
}

/* Split NUL-separated arguments into strings; NULL when one is not UTF-8. */
static json_t *
live_args(const char *data, size_t len)
{
	json_t *args = json_array();
	size_t i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && data[i] != '\0')
			continue;
		if (i < len || i > start) {
			if (!util_utf8_valid(data + start, i - start)) {
				json_decref(args);
				return NULL;
			}
			json_array_append_new(args,
			    json_stringn(data + start, i - start));
		}
		start = i + 1;
	}
	return args;
}

/* Add the command line: an array of arguments, or cmdline_base64. */
static void
live_process_cmdline(json_t *p, int dir)
{
	struct live_file f;
	json_t *args;
	char *encoded;

	if (live_read(dir, "cmdline", LIVE_PROC_MAX, &f) != 0) {
		json_object_set_new(p, "cmdline", json_null());
		live_set_errno(p, "cmdline_error", errno);
		return;
	}
	args = live_args(f.data, f.len);
	json_object_set_new(p, "cmdline", args != NULL ? args : json_null());
	if (args == NULL && (encoded = util_base64(f.data, f.len)) != NULL) {
		json_object_set_new(p, "cmdline_base64", json_string(encoded));
		free(encoded);
	}
	if (f.truncated)
		json_object_set_new(p, "cmdline_truncated", json_true());
	free(f.data);
}

/* Add a /proc/PID link (exe, cwd, root) and whether its target was deleted. */
static void
live_process_link(json_t *p, int dir, const char *name)
{
	static const char deleted[] = " (deleted)";
	size_t suffix = sizeof deleted - 1;
	char target[PATH_MAX + 1], key[32];
	ssize_t n;

	if ((n = readlinkat(dir, name, target, sizeof target)) < 0) {
		json_object_set_new(p, name, json_null());
		snprintf(key, sizeof key, "%s_error", name);
		if (errno != ENOENT)
			live_set_errno(p, key, errno);
		return;
	}
	live_set_bytes(p, name, target, (size_t)n);
	snprintf(key, sizeof key, "%s_deleted", name);
	if ((size_t)n >= suffix &&
	    memcmp(target + n - suffix, deleted, suffix) == 0)
		json_object_set_new(p, key, json_true());
}

/* Add the socket inodes the process holds, or why they could not be read. */
static void
live_process_sockets(json_t *p, int dir)
{
	struct live_inodes s;
	json_t *list;
	size_t i;

	if (live_socket_inodes(dir, &s) != 0) {
		json_object_set_new(p, "sockets", json_null());
		live_set_errno(p, "fd_error", errno);
		return;
	}
	list = json_array();
	for (i = 0; i < s.n; i++)
		json_array_append_new(list, json_integer((json_int_t)s.v[i]));
	json_object_set_new(p, "sockets", list);
	if (s.unreadable > 0) {
		live_set_errno(p, "fd_error", s.link_error);
		json_object_set_new(p, "fds_unreadable",
		    json_integer((json_int_t)s.unreadable));
	}
	if (s.truncated)
		json_object_set_new(p, "fd_truncated", json_true());
	free(s.v);
}

/* One process as an object; NULL when it exited before it could be read. */
static json_t *
live_process(pid_t pid, const struct live_clock *boot, const struct idmap *ids)
{
	json_t *p;
	int dir;

	if ((dir = live_pid_open(pid)) < 0)
		return NULL;
	p = json_object();
	json_object_set_new(p, "pid", json_integer(pid));
	if (live_process_stat(p, dir, boot) != 0) {
		json_decref(p);
		close(dir);
		return NULL;
	}
	live_process_status(p, dir, ids);
	live_process_cmdline(p, dir);
	live_process_link(p, dir, "exe");
	live_process_link(p, dir, "cwd");
	live_process_link(p, dir, "root");
	live_process_sockets(p, dir);
	close(dir);
	return p;
}

/* Set the boot time as a UTC string, or null. */
static void
live_set_boot_time(json_t *doc, const struct live_clock *boot)
{
	struct timespec ts;
	char text[UTIL_TIME_SIZE];

	if (boot->btime < 0) {
		json_object_set_new(doc, "boot_time", json_null());
		return;
	}
	ts.tv_sec = (time_t)boot->btime;
	ts.tv_nsec = 0;
	util_time_format(&ts, text);
	json_object_set_new(doc, "boot_time", json_string(text));
}

/* The processes source: every /proc/PID, sorted by pid. */
static int
live_processes(json_t *doc, json_t *errors)
{
	struct live_clock boot;
	struct live_pids pids;
	struct idmap *ids;
	json_t *list, *vanished, *p;
	size_t i;

	if (live_pids(&pids) != 0)
		return -1;
	live_clock_init(&boot);
	if ((ids = idmap_load()) == NULL)
		live_note(errors);
	list = json_array();
	vanished = json_array();
	for (i = 0; i < pids.n; i++) {
		if ((p = live_process(pids.v[i], &boot, ids)) != NULL)
			json_array_append_new(list, p);
		else
			json_array_append_new(vanished, json_integer(pids.v[i]));
	}
	json_object_set_new(doc, "clock_ticks_per_second", json_integer(boot.hz));
	live_set_boot_time(doc, &boot);
	live_set_count(doc, list);
	json_object_set_new(doc, "truncated", json_boolean(pids.truncated));
	json_object_set_new(doc, "vanished", vanished);
	json_object_set_new(doc, "processes", list);
	idmap_free(ids);
	free(pids.v);
	return 0;
}

/* Turn a /proc/net address (native-order 32-bit words in hex) into text. */
static int
live_inet_address(const char *hex, int family, char *out, size_t size)
{
	unsigned char bytes[16];
	size_t words = family == AF_INET ? 1 : 4, i;
	char part[9];
	uint32_t word;

	if (strlen(hex) != 8 * words)
		return -1;
	for (i = 0; i < words; i++) {
		memcpy(part, hex + 8 * i, 8);
		part[8] = '\0';
		word = (uint32_t)strtoul(part, NULL, 16);
		memcpy(bytes + 4 * i, &word, sizeof word);
	}
	return inet_ntop(family, bytes, out, (socklen_t)size) == NULL ? -1 : 0;
}

/* The name of a TCP state (or UNCONN for an unconnected datagram socket). */
static const char *
live_tcp_state(unsigned state, bool tcp)
{
	static const char *names[] = { "UNKNOWN", "ESTABLISHED", "SYN_SENT",
	    "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
	    "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
	    "BOUND_INACTIVE" };

	if (!tcp && state == 7)
		return "UNCONN";
	if (state >= sizeof names / sizeof names[0])
		return "UNKNOWN";
	return names[state];
}

/* One line of a /proc/net internet table as an object; NULL if malformed. */
static json_t *
live_inet_socket(const char *line, const struct live_inet_table *t,
    const struct live_owners *o)
{
	char local[33], remote[33], laddr[INET6_ADDRSTRLEN];
	char raddr[INET6_ADDRSTRLEN];
	unsigned lport, rport, state, uid;
	unsigned long long inode;

	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x "
	    "%*x:%*x %*x:%*x %*x %u %*d %llu", local, &lport, remote, &rport,
	    &state, &uid, &inode) != 7)
		return NULL;
	if (live_inet_address(local, t->family, laddr, sizeof laddr) != 0 ||
	    live_inet_address(remote, t->family, raddr, sizeof raddr) != 0)
		return NULL;
	return json_pack("{s:s, s:s, s:i, s:s, s:i, s:s, s:i, s:I, s:I, s:o}",
	    "proto", t->proto, "local_address", laddr, "local_port", (int)lport,
	    "remote_address", raddr, "remote_port", (int)rport,
	    "state", live_tcp_state(state, t->tcp), "state_code", (int)state,
	    "uid", (json_int_t)uid, "inode", (json_int_t)inode,
	    "owners", live_owners_json(o, inode));
}

/* Add every socket of one /proc/net table. -1 when it could not be read. */
static int
live_inet_table(json_t *list, json_t *errors, const struct live_inet_table *t,
    const struct live_owners *o)
{
	struct live_file f;
	char *cursor, *line;
	json_t *s;

	if (live_read(AT_FDCWD, t->path, LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		return -1;
	}
	if (f.truncated)
		json_array_append_new(errors, json_sprintf(
		    "%s: truncated at %zu bytes", t->path, f.len));
	cursor = f.data;
	util_next_line(&cursor);
	while ((line = util_next_line(&cursor)) != NULL)
		if ((s = live_inet_socket(line, t, o)) != NULL)
			json_array_append_new(list, s);
	free(f.data);
	return 0;
}

/* The name of a unix socket type. */
static const char *
live_unix_type(unsigned type)
{
	switch (type) {
	case 1:
		return "STREAM";
	case 2:
		return "DGRAM";
	case 5:
		return "SEQPACKET";
	}
	return "UNKNOWN";
}

/* The name of a unix socket state. */
static const char *
live_unix_state(unsigned state)
{
	static const char *names[] = { "FREE", "UNCONNECTED", "CONNECTING",
	    "CONNECTED", "DISCONNECTING" };

	return state < 5 ? names[state] : "UNKNOWN";
}

/* One line of /proc/net/unix as an object; NULL if malformed. */
static json_t *
live_unix_socket(const char *line, const struct live_owners *o)
{
	unsigned flags, type, state;
	unsigned long long inode;
	const char *path;
	json_t *s;
	int n = 0;

	if (sscanf(line, "%*[0-9A-Fa-f]: %*x %*x %x %x %x %llu%n", &flags, &type,
	    &state, &inode, &n) != 4 || n == 0)
		return NULL;
	path = line + n;
	if (*path == ' ')
		path++;
	s = json_pack("{s:s, s:s, s:s, s:b, s:I}", "proto", "unix",
	    "type", live_unix_type(type), "state", live_unix_state(state),
	    "listening", (flags & 0x10000) != 0, "inode", (json_int_t)inode);
	if (s == NULL)
		return NULL;
	if (*path != '\0')
		live_set_bytes(s, "path", path, strlen(path));
	else
		json_object_set_new(s, "path", json_null());
	json_object_set_new(s, "owners", live_owners_json(o, inode));
	return s;
}

/* Add every socket of /proc/net/unix. -1 when it could not be read. */
static int
live_unix_table(json_t *list, json_t *errors, const struct live_owners *o)
{
	struct live_file f;
	char *cursor, *line;
	json_t *s;

	if (live_read(AT_FDCWD, "/proc/net/unix", LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		return -1;
	}
	if (f.truncated)
		json_array_append_new(errors, json_sprintf(
		    "/proc/net/unix: truncated at %zu bytes", f.len));
	cursor = f.data;
	util_next_line(&cursor);
	while ((line = util_next_line(&cursor)) != NULL)
		if ((s = live_unix_socket(line, o)) != NULL)
			json_array_append_new(list, s);
	free(f.data);
	return 0;
}

/* The sockets source: /proc/net tables joined with their owning processes. */
static int
live_sockets(json_t *doc, json_t *errors)
{
	static const struct live_inet_table tables[] = {
		{ "/proc/net/tcp", "tcp", AF_INET, true },
		{ "/proc/net/tcp6", "tcp6", AF_INET6, true },
		{ "/proc/net/udp", "udp", AF_INET, false },
		{ "/proc/net/udp6", "udp6", AF_INET6, false },
		{ "/proc/net/raw", "raw", AF_INET, false },
		{ "/proc/net/raw6", "raw6", AF_INET6, false },
	};
	struct live_owners owners;
	json_t *inet, *unix_list, *scan;
	size_t i, readable = 0;

	if (live_owners_build(&owners) != 0)
		return -1;
	inet = json_array();
	unix_list = json_array();
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (live_inet_table(inet, errors, &tables[i], &owners) == 0)
			readable++;
	if (live_unix_table(unix_list, errors, &owners) == 0)
		readable++;
	scan = json_pack("{s:I, s:I, s:b}", "processes_scanned",
	    (json_int_t)owners.scanned, "processes_unreadable",
	    (json_int_t)owners.fd_errors, "truncated", owners.truncated);
	json_object_set_new(doc, "owner_scan", scan);
	json_object_set_new(doc, "inet", inet);
	json_object_set_new(doc, "unix", unix_list);
	free(owners.v);
	if (readable == 0)
		return error_set("no socket table could be read");
	return 0;
}

/* The name of a utmp record type. */
static const char *
live_utmp_type(short type)
{
	static const char *names[] = { "EMPTY", "RUN_LVL", "BOOT_TIME",
	    "NEW_TIME", "OLD_TIME", "INIT_PROCESS", "LOGIN_PROCESS",
	    "USER_PROCESS", "DEAD_PROCESS", "ACCOUNTING" };

	if (type < 0 || (size_t)type >= sizeof names / sizeof names[0])
		return "UNKNOWN";
	return names[type];
}

/* Set key to a fixed-size utmp field, which need not end in NUL. */
static void
live_set_field(json_t *obj, const char *key, const char *field, size_t size)
{
	live_set_bytes(obj, key, field, strnlen(field, size));
}

/* The remote address of a utmp record, or null. */
static json_t *
live_utmp_address(const struct utmpx *u)
{
	char text[INET6_ADDRSTRLEN];
	int family = AF_INET6;

	if (u->ut_addr_v6[0] == 0 && u->ut_addr_v6[1] == 0 &&
	    u->ut_addr_v6[2] == 0 && u->ut_addr_v6[3] == 0)
		return json_null();
	if (u->ut_addr_v6[1] == 0 && u->ut_addr_v6[2] == 0 &&
	    u->ut_addr_v6[3] == 0)
		family = AF_INET;
	if (inet_ntop(family, u->ut_addr_v6, text, sizeof text) == NULL)
		return json_null();
	return json_string(text);
}

/* One USER_PROCESS record as a session object. */
static json_t *
live_utmp_session(const struct utmpx *u)
{
	struct timespec ts;
	char text[UTIL_TIME_SIZE];
	json_t *s = json_object();

	live_set_field(s, "user", u->ut_user, sizeof u->ut_user);
	live_set_field(s, "tty", u->ut_line, sizeof u->ut_line);
	live_set_field(s, "host", u->ut_host, sizeof u->ut_host);
	json_object_set_new(s, "address", live_utmp_address(u));
	json_object_set_new(s, "pid", json_integer(u->ut_pid));
	ts.tv_sec = (time_t)u->ut_tv.tv_sec;
	ts.tv_nsec = (long)u->ut_tv.tv_usec * 1000;
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		ts.tv_nsec = 0;
	util_time_format(&ts, text);
	json_object_set_new(s, "login_time", json_string(text));
	return s;
}

/* Parse fixed-size utmp records into sessions and a count of each type. */
static void
live_utmp_parse(json_t *doc, const struct live_file *f)
{
	json_t *sessions = json_array(), *counts = json_object(), *count;
	struct utmpx u;
	const char *type;
	size_t off;

	for (off = 0; off + sizeof u <= f->len; off += sizeof u) {
		memcpy(&u, f->data + off, sizeof u);
		type = live_utmp_type(u.ut_type);
		count = json_object_get(counts, type);
		json_object_set_new(counts, type, json_integer(count == NULL ?
		    1 : json_integer_value(count) + 1));
		if (u.ut_type == USER_PROCESS)
			json_array_append_new(sessions, live_utmp_session(&u));
	}
	json_object_set_new(doc, "record_size", json_integer((json_int_t)sizeof u));
	json_object_set_new(doc, "records", counts);
	if (f->len % sizeof u != 0)
		json_object_set_new(doc, "trailing_bytes",
		    json_integer((json_int_t)(f->len % sizeof u)));
	json_object_set_new(doc, "sessions", sessions);
}

/* Read utmp (or its old location) and add its sessions. -1 when absent. */
static int
live_utmp(json_t *doc, json_t *errors)
{
	static const char *paths[] = { "/run/utmp", "/var/run/utmp" };
	struct live_file f;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (live_read(AT_FDCWD, paths[i], LIVE_UTMP_MAX, &f) == 0)
			break;
		if (errno != ENOENT)
			live_note(errors);
	}
	if (i == 2) {
		json_object_set_new(doc, "utmp", json_null());
		json_object_set_new(doc, "sessions", json_array());
		json_object_set_new(doc, "note", json_string("no readable utmp "
		    "file (/run/utmp, /var/run/utmp)"));
		return -1;
	}
	json_object_set_new(doc, "utmp", json_string(paths[i]));
	if (f.truncated)
		json_object_set_new(doc, "utmp_truncated", json_true());
	live_utmp_parse(doc, &f);
	free(f.data);
	return 0;
}

/* One systemd-logind session file as an object of its KEY=VALUE lines. */
static json_t *
live_logind_session(int dir, const char *name)
{
	struct live_file f;
	char *cursor, *line, *equals;
	json_t *s;

	if (live_read(dir, name, LIVE_SESSION_MAX, &f) != 0)
		return NULL;
	s = json_object();
	live_set_bytes(s, "id", name, strlen(name));
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if ((equals = strchr(line, '=')) == NULL || equals == line)
			continue;
		*equals = '\0';
		if (util_utf8_printable(line, strlen(line)))
			live_set_bytes(s, line, equals + 1, strlen(equals + 1));
	}
	free(f.data);
	return s;
}

/* Add the sessions systemd-logind records in /run/systemd/sessions. */
static int
live_logind(json_t *doc, json_t *errors)
{
	json_t *list, *s;
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	if ((dir = opendir("/run/systemd/sessions")) == NULL) {
		if (errno != ENOENT)
			live_note(errors);
		json_object_set_new(doc, "logind_sessions", json_null());
		return -1;
	}
	list = json_array();
	while ((de = readdir(dir)) != NULL && n < LIVE_SESSIONS_MAX) {
		/* Skip "." entries and the *.ref FIFOs beside each session. */
		if (strchr(de->d_name, '.') != NULL)
			continue;
		if ((s = live_logind_session(dirfd(dir), de->d_name)) != NULL) {
			json_array_append_new(list, s);
			n++;
		}
	}
	closedir(dir);
	json_object_set_new(doc, "logind_sessions", list);
	return 0;
}

/* The users source: sessions from utmp, and from logind when present. */
static int
live_users(json_t *doc, json_t *errors)
{
	/* Neither utmp nor logind is a normal state on minimal hosts. */
	live_utmp(doc, errors);
	live_logind(doc, errors);
	return 0;
}

/* The taint letters of the kernel's taint mask, in bit order. */
static void
live_set_tainted(json_t *doc, json_t *errors)
{
	static const char letters[] = "PFSRMBUDAWCIOELKXTNJ";
	unsigned long long mask;
	struct live_file f;
	char flags[65];
	size_t i, n = 0;

	if (live_read(AT_FDCWD, "/proc/sys/kernel/tainted", LIVE_PROC_MAX,
	    &f) != 0) {
		live_note(errors);
		json_object_set_new(doc, "tainted", json_null());
		return;
	}
	mask = strtoull(f.data, NULL, 10);
	free(f.data);
	for (i = 0; i < 64; i++)
		if (mask & (1ULL << i))
			flags[n++] = i < sizeof letters - 1 ? letters[i] : '?';
	flags[n] = '\0';
	json_object_set_new(doc, "tainted", json_integer((json_int_t)mask));
	json_object_set_new(doc, "tainted_flags", json_string(flags));
}

/* The modules that use a module, from a "a,b," list ("-" for none). */
static json_t *
live_module_users(char *text)
{
	json_t *list = json_array();
	char *name, *save;

	if (strcmp(text, "-") == 0)
		return list;
	for (name = strtok_r(text, ",", &save); name != NULL;
	    name = strtok_r(NULL, ",", &save))
		json_array_append_new(list, live_string(name, strlen(name)));
	return list;
}

/* One /proc/modules line as an object; NULL if malformed. */
static json_t *
live_module(char *line)
{
	char *field[7], *save;
	size_t len;
	json_t *m;
	int n;

	for (n = 0; n < 7; n++)
		if ((field[n] = strtok_r(n == 0 ? line : NULL, " ", &save)) == NULL)
			break;
	if (n < 6)
		return NULL;
	m = json_object();
	live_set_bytes(m, "name", field[0], strlen(field[0]));
	json_object_set_new(m, "size",
	    json_integer((json_int_t)strtoull(field[1], NULL, 10)));
	json_object_set_new(m, "refcount",
	    json_integer((json_int_t)strtoll(field[2], NULL, 10)));
	json_object_set_new(m, "used_by", live_module_users(field[3]));
	json_object_set_new(m, "state", live_string(field[4], strlen(field[4])));
	json_object_set_new(m, "address", live_string(field[5], strlen(field[5])));
	if (n == 7) {
		/* "(OE)": the taint letters this module brought. */
		len = strspn(field[6], "(");
		json_object_set_new(m, "taint", live_string(field[6] + len,
		    strcspn(field[6] + len, ")")));
	}
	return m;
}

/* Add every module of a /proc/modules text. */
static void
live_modules_parse(json_t *list, char *text)
{
	char *cursor = text, *line;
	json_t *m;

	while ((line = util_next_line(&cursor)) != NULL)
		if ((m = live_module(line)) != NULL)
			json_array_append_new(list, m);
}

/* The modules source: /proc/modules and the kernel's taint. */
static int
live_modules(json_t *doc, json_t *errors)
{
	struct live_file f;
	json_t *list = json_array();

	live_set_tainted(doc, errors);
	if (live_read(AT_FDCWD, "/proc/modules", LIVE_PROC_MAX, &f) != 0) {
		if (errno == ENOENT)
			json_object_set_new(doc, "note", json_string("no /proc/"
			    "modules: kernel built without loadable modules"));
		else
			live_note(errors);
		json_object_set_new(doc, "modules", list);
		return json_is_null(json_object_get(doc, "tainted")) ? -1 : 0;
	}
	live_modules_parse(list, f.data);
	live_set_count(doc, list);
	json_object_set_new(doc, "modules", list);
	free(f.data);
	return 0;
}

/* Undo the octal escapes (\040 and the like) of a mountinfo field, in place. */
static size_t
live_unescape(char *text)
{
	char *in = text, *out = text;

	while (*in != '\0') {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') << 6 | (in[2] - '0') << 3 |
			    (in[3] - '0'));
			in += 4;
		} else
			*out++ = *in++;
	}
	*out = '\0';
	return (size_t)(out - text);
}

/* Set key to an escaped mountinfo field, unescaped. */
static void
live_set_escaped(json_t *obj, const char *key, char *field)
{
	size_t len = live_unescape(field);

	live_set_bytes(obj, key, field, len);
}

/* The optional fields and the part after "-" of a mountinfo line. */
static int
live_mount_tail(json_t *m, char **save)
{
	json_t *optional = json_array();
	char *field;

	while ((field = strtok_r(NULL, " ", save)) != NULL &&
	    strcmp(field, "-") != 0)
		json_array_append_new(optional, live_string(field, strlen(field)));
	json_object_set_new(m, "optional", optional);
	if (field == NULL)
		return -1;
	if ((field = strtok_r(NULL, " ", save)) == NULL)
		return -1;
	live_set_escaped(m, "fstype", field);
	if ((field = strtok_r(NULL, " ", save)) == NULL)
		return -1;
	live_set_escaped(m, "source", field);
	if ((field = strtok_r(NULL, " ", save)) != NULL)
		live_set_escaped(m, "super_options", field);
	return 0;
}

/* One mountinfo line as an object; NULL if malformed. */
static json_t *
live_mount(char *line)
{
	static const char *keys[] = { NULL, NULL, "major_minor", "root",
	    "mount_point", "options" };
	char *field[6], *save;
	json_t *m;
	int n;

	for (n = 0; n < 6; n++)
		if ((field[n] = strtok_r(n == 0 ? line : NULL, " ", &save)) == NULL)
			return NULL;
	m = json_object();
	json_object_set_new(m, "mount_id",
	    json_integer(strtoll(field[0], NULL, 10)));
	json_object_set_new(m, "parent_id",
	    json_integer(strtoll(field[1], NULL, 10)));
	for (n = 2; n < 6; n++)
		live_set_escaped(m, keys[n], field[n]);
	if (live_mount_tail(m, &save) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* The mounts source: /proc/self/mountinfo, the collector's mount namespace. */
static int
live_mounts(json_t *doc, json_t *errors)
{
	struct live_file f;
	char *cursor, *line;
	json_t *list, *m;

	(void)errors;
	if (live_read(AT_FDCWD, "/proc/self/mountinfo", LIVE_TABLE_MAX, &f) != 0)
		return -1;
	list = json_array();
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		if ((m = live_mount(line)) != NULL)
			json_array_append_new(list, m);
	live_set_count(doc, list);
	if (f.truncated)
		json_object_set_new(doc, "truncated", json_true());
	json_object_set_new(doc, "mounts", list);
	free(f.data);
	return 0;
}

/* One /proc/net/dev line as an interface object; NULL if malformed. */
static json_t *
live_interface(char *line)
{
	unsigned long long v[16];
	char *colon, *name;
	json_t *i;

	if ((colon = strchr(line, ':')) == NULL)
		return NULL;
	*colon = '\0';
	name = line + strspn(line, " ");
	if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu "
	    "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12],
	    &v[13], &v[14], &v[15]) != 16)
		return NULL;
	i = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "rx_bytes", (json_int_t)v[0], "rx_packets", (json_int_t)v[1],
	    "rx_errors", (json_int_t)v[2], "rx_dropped", (json_int_t)v[3],
	    "tx_bytes", (json_int_t)v[8], "tx_packets", (json_int_t)v[9],
	    "tx_errors", (json_int_t)v[10], "tx_dropped", (json_int_t)v[11]);
	if (i != NULL)
		live_set_bytes(i, "name", name, strlen(name));
	return i;
}

/* The text of an IPv4 address held as a native-order word. */
static json_t *
live_ipv4(uint32_t word)
{
	char text[INET_ADDRSTRLEN];
	struct in_addr a;

	a.s_addr = word;
	inet_ntop(AF_INET, &a, text, sizeof text);
	return json_string(text);
}

/* The letters route(8) shows for route flags. */
static json_t *
live_route_flags(unsigned flags)
{
	static const struct {
		unsigned	 bit;
		char		 letter;
	} table[] = { { 0x1, 'U' }, { 0x2, 'G' }, { 0x4, 'H' }, { 0x8, 'R' },
	    { 0x10, 'D' }, { 0x20, 'M' }, { 0x200, '!' } };
	char text[16];
	size_t i, n = 0;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (flags & table[i].bit)
			text[n++] = table[i].letter;
	text[n] = '\0';
	return json_string(text);
}

/* One /proc/net/route line as an object; NULL if malformed. */
static json_t *
live_route(char *line)
{
	unsigned destination, gateway, flags, mask, mtu;
	char iface[64];
	int metric;
	json_t *r;

	if (sscanf(line, "%63s %x %x %x %*d %*u %d %x %u", iface, &destination,
	    &gateway, &flags, &metric, &mask, &mtu) != 7)
		return NULL;
	r = json_object();
	live_set_bytes(r, "iface", iface, strlen(iface));
	json_object_set_new(r, "destination", live_ipv4(destination));
	json_object_set_new(r, "gateway", live_ipv4(gateway));
	json_object_set_new(r, "mask", live_ipv4(mask));
	json_object_set_new(r, "flags", json_integer(flags));
	json_object_set_new(r, "flags_text", live_route_flags(flags));
	json_object_set_new(r, "metric", json_integer(metric));
	json_object_set_new(r, "mtu", json_integer(mtu));
	return r;
}

/* One /proc/net/arp line as an object; NULL if malformed. */
static json_t *
live_arp(char *line)
{
	char address[64], hardware[64], mask[64], device[64];
	unsigned type, flags;
	json_t *a;

	if (sscanf(line, "%63s %x %x %63s %63s %63s", address, &type, &flags,
	    hardware, mask, device) != 6)
		return NULL;
	a = json_object();
	live_set_bytes(a, "address", address, strlen(address));
	json_object_set_new(a, "hw_type", json_integer(type));
	json_object_set_new(a, "flags", json_integer(flags));
	json_object_set_new(a, "complete", json_boolean(flags & 0x2));
	json_object_set_new(a, "permanent", json_boolean(flags & 0x4));
	live_set_bytes(a, "hw_address", hardware, strlen(hardware));
	live_set_bytes(a, "device", device, strlen(device));
	return a;
}

/* The text of an IPv6 address written as 32 hex digits in network order. */
static json_t *
live_ipv6(const char *hex)
{
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN];

	if (util_unhex(hex, bytes, sizeof bytes) != 0 ||
	    inet_ntop(AF_INET6, bytes, text, sizeof text) == NULL)
		return json_null();
	return json_string(text);
}

/* The name of an IPv6 address scope. */
static const char *
live_ipv6_scope(unsigned scope)
{
	switch (scope) {
	case 0x00:
		return "global";
	case 0x10:
		return "host";
	case 0x20:
		return "link";
	case 0x40:
		return "site";
	case 0x80:
		return "compat";
	}
	return "unknown";
}

/* One /proc/net/if_inet6 line as an object; NULL if malformed. */
static json_t *
live_inet6_address(char *line)
{
	unsigned index, prefix, scope, flags;
	char hex[33], device[64];
	json_t *a;

	if (sscanf(line, "%32s %x %x %x %x %63s", hex, &index, &prefix, &scope,
	    &flags, device) != 6)
		return NULL;
	a = json_object();
	live_set_bytes(a, "iface", device, strlen(device));
	json_object_set_new(a, "address", live_ipv6(hex));
	json_object_set_new(a, "prefix_length", json_integer(prefix));
	json_object_set_new(a, "scope", json_string(live_ipv6_scope(scope)));
	json_object_set_new(a, "ifindex", json_integer(index));
	json_object_set_new(a, "flags", json_integer(flags));
	return a;
}

/* One /proc/net/ipv6_route line as an object; NULL if malformed. */
static json_t *
live_route6(char *line)
{
	char destination[33], source[33], next_hop[33], device[64];
	unsigned dlen, slen, metric, flags;
	json_t *r;

	if (sscanf(line, "%32s %x %32s %x %32s %x %*x %*x %x %63s", destination,
	    &dlen, source, &slen, next_hop, &metric, &flags, device) != 8)
		return NULL;
	r = json_object();
	live_set_bytes(r, "iface", device, strlen(device));
	json_object_set_new(r, "destination", live_ipv6(destination));
	json_object_set_new(r, "destination_prefix", json_integer(dlen));
	json_object_set_new(r, "source", live_ipv6(source));
	json_object_set_new(r, "source_prefix", json_integer(slen));
	json_object_set_new(r, "next_hop", live_ipv6(next_hop));
	json_object_set_new(r, "metric", json_integer(metric));
	json_object_set_new(r, "flags", json_integer(flags));
	json_object_set_new(r, "flags_text", live_route_flags(flags));
	return r;
}

/* Parse a /proc/net table into doc[key] after its header lines. 0 or -1. */
static int
live_net_table(json_t *doc, json_t *errors, const char *key, const char *path,
    int header, json_t *(*parse)(char *))
{
	struct live_file f;
	char *cursor, *line;
	json_t *list, *item;

	if (live_read(AT_FDCWD, path, LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		json_object_set_new(doc, key, json_null());
		return -1;
	}
	list = json_array();
	cursor = f.data;
	while (header-- > 0)
		util_next_line(&cursor);
	while ((line = util_next_line(&cursor)) != NULL)
		if ((item = parse(line)) != NULL)
			json_array_append_new(list, item);
	json_object_set_new(doc, key, list);
	free(f.data);
	return 0;
}

/* The network source: interfaces, routes, neighbours, IPv6 addresses. */
static int
live_network(json_t *doc, json_t *errors)
{
	int readable = 0;

	readable += live_net_table(doc, errors, "interfaces", "/proc/net/dev", 2,
	    live_interface) == 0;
	readable += live_net_table(doc, errors, "routes", "/proc/net/route", 1,
	    live_route) == 0;
	readable += live_net_table(doc, errors, "arp", "/proc/net/arp", 1,
	    live_arp) == 0;
	readable += live_net_table(doc, errors, "ipv6_addresses", "/proc/net/if_inet6",
	    0, live_inet6_address) == 0;
	readable += live_net_table(doc, errors, "ipv6_routes", "/proc/net/ipv6_route",
	    0, live_route6) == 0;
	if (readable == 0)
		return error_set("no network table could be read");
	return 0;
}

/* Add uname(2) as an object. */
static void
live_set_uname(json_t *doc)
{
	struct utsname u;
	json_t *o;

	if (uname(&u) != 0) {
		json_object_set_new(doc, "uname", json_null());
		return;
	}
	o = json_object();
	live_set_bytes(o, "sysname", u.sysname, strlen(u.sysname));
	live_set_bytes(o, "nodename", u.nodename, strlen(u.nodename));
	live_set_bytes(o, "release", u.release, strlen(u.release));
	live_set_bytes(o, "version", u.version, strlen(u.version));
	live_set_bytes(o, "machine", u.machine, strlen(u.machine));
	json_object_set_new(doc, "uname", o);
}

/* Add /proc/uptime and /proc/loadavg. */
static void
live_set_load(json_t *doc, json_t *errors)
{
	double up, idle, load[3];
	int running, total, last;
	struct live_file f;

	if (live_read(AT_FDCWD, "/proc/uptime", LIVE_PROC_MAX, &f) != 0)
		live_note(errors);
	else {
		if (sscanf(f.data, "%lf %lf", &up, &idle) == 2) {
			json_object_set_new(doc, "uptime_seconds", json_real(up));
			json_object_set_new(doc, "idle_seconds", json_real(idle));
		}
		free(f.data);
	}
	if (live_read(AT_FDCWD, "/proc/loadavg", LIVE_PROC_MAX, &f) != 0) {
		live_note(errors);
		return;
	}
	if (sscanf(f.data, "%lf %lf %lf %d/%d %d", &load[0], &load[1], &load[2],
	    &running, &total, &last) == 6)
		json_object_set_new(doc, "loadavg", json_pack("{s:f, s:f, s:f, "
		    "s:i, s:i, s:i}", "1min", load[0], "5min", load[1], "15min",
		    load[2], "running", running, "total", total, "last_pid", last));
	free(f.data);
}

/* Add /proc/meminfo as an object of name to value (kB for most). */
static void
live_set_meminfo(json_t *doc, json_t *errors)
{
	unsigned long long value;
	struct live_file f;
	char *cursor, *line, name[64];
	json_t *o;

	if (live_read(AT_FDCWD, "/proc/meminfo", LIVE_PROC_MAX, &f) != 0) {
		live_note(errors);
		json_object_set_new(doc, "meminfo_kb", json_null());
		return;
	}
	o = json_object();
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		if (sscanf(line, "%63[^:]: %llu", name, &value) == 2 &&
		    util_utf8_printable(name, strlen(name)))
			json_object_set_new(o, name,
			    json_integer((json_int_t)value));
	json_object_set_new(doc, "meminfo_kb", o);
	free(f.data);
}

/* The system source: kernel, uptime, load, memory, boot identity. */
static int
live_system(json_t *doc, json_t *errors)
{
	live_set_uname(doc);
	live_set_load(doc, errors);
	live_set_meminfo(doc, errors);
	live_set_file(doc, "cmdline", "/proc/cmdline", errors);
	live_set_file(doc, "version", "/proc/version", errors);
	live_set_file(doc, "boot_id", "/proc/sys/kernel/random/boot_id", errors);
	live_set_tainted(doc, errors);
	json_object_set_new(doc, "cpus_online",
	    json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	live_set_file(doc, "cpus_online_list", "/sys/devices/system/cpu/online",
	    errors);
	return 0;
}

static const struct live_source live_sources[] = {
	{ "processes", "/proc/[pid]/{stat,status,cmdline,exe,cwd,root,fd}",
	    live_processes },
	{ "sockets", "/proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix}, "
	    "/proc/[pid]/fd", live_sockets },
	{ "users", "/run/utmp, /run/systemd/sessions", live_users },
	{ "modules", "/proc/modules, /proc/sys/kernel/tainted", live_modules },
	{ "mounts", "/proc/self/mountinfo", live_mounts },
	{ "network", "/proc/net/{dev,route,arp,if_inet6,ipv6_route}",
	    live_network },
	{ "system", "uname(2), /proc/{uptime,loadavg,meminfo,cmdline,version}, "
	    "/proc/sys/kernel/{random/boot_id,tainted}", live_system },
};

/* The source of a name, or NULL. */
static const struct live_source *
live_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof live_sources / sizeof live_sources[0]; i++)
		if (strcmp(live_sources[i].name, name) == 0)
			return &live_sources[i];
	return NULL;
}

/* True when name is a live source live_collect knows. */
bool
live_known(const char *name)
{
	return name != NULL && live_find(name) != NULL;
}

/* Encode a document as text with a final newline. */
static int
live_dump(json_t *doc, char **out, size_t *len)
{
	char *text, *grown;
	size_t n;

	text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
	if (text == NULL)
		return error_set("cannot encode live document");
	n = strlen(text);
	if ((grown = realloc(text, n + 2)) == NULL) {
		free(text);
		return error_set_errno("realloc");
	}
	grown[n] = '\n';
	grown[n + 1] = '\0';
	*out = grown;
	*len = n + 1;
	return 0;
}

/* Read one live source into a JSON document. */
int
live_collect(const char *name, char **out, size_t *len, const char **source)
{
	const struct live_source *s;
	json_t *doc, *errors;
	int rc;

	if ((s = live_find(name)) == NULL)
		return error_set("unknown live source '%s'", name);
	*source = s->origin;
	doc = json_object();
	errors = json_array();
	if (doc == NULL || errors == NULL) {
		json_decref(doc);
		json_decref(errors);
		return error_set("out of memory");
	}
	json_object_set_new(doc, "source", json_string(name));
	json_object_set_new(doc, "collected", live_now());
	json_object_set_new(doc, "format_version",
	    json_integer(LIVE_FORMAT_VERSION));
	json_object_set(doc, "errors", errors);
	rc = s->fill(doc, errors);
	json_decref(errors);
	if (rc == 0)
		rc = live_dump(doc, out, len);
	json_decref(doc);
	return rc;
}
