/* Which process holds which socket: the socket links of /proc/PID/fd. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* The socket inode a descriptor link names: 1 socket, 0 other, -1 unreadable. */
int
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
void
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
int
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
int
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
json_t *
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
