/*
 * The live sources: volatile state read natively from /proc, /sys, netlink
 * and the host's own files, one reader per file (collect/live-NAME.c), all
 * behind the one table in live.c, named in include/custody/live-sources.h.
 */
#ifndef CUSTODY_LIVE_H
#define CUSTODY_LIVE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "custody/live-sources.h"

#define LIVE_FORMAT_VERSION	1
#define LIVE_PROC_MAX		((size_t)16 << 20)	/* one /proc file */
#define LIVE_TABLE_MAX		((size_t)64 << 20)	/* one /proc/net table */
#define LIVE_PROCESSES_MAX	((size_t)1 << 20)
#define LIVE_FDS_MAX		((size_t)1 << 20)	/* fds per process */
#define LIVE_OWNERS_MAX		((size_t)1 << 22)	/* socket-process pairs */
#define LIVE_COMM_SIZE		128

struct collector;
struct idmap;
struct walk_rules;

/*
 * What a reader is given: the document it fills (live/NAME.json, with
 * "source", "collected", "format_version" and "errors" already set), the
 * list of problems, and the way to add further members and files.
 */
struct live_run {
	struct collector	*collector;
	const char		*name;		/* the source's name */
	json_t			*doc;
	json_t			*errors;	/* strings: what could not be read */
	const char		*root;		/* stands for "/" in on-disk reads; "" = the host */
	int64_t			 max_size;	/* the entry's cap on content members; -1: the source's default */
	bool			 fatal;		/* set by live_add_*: the archive failed */
	bool			 include_secrets;	/* --include-secrets: keep secret environment values */
	/* Set by live_collect for the summary: run->errors' size and first string. */
	size_t			 n_errors;
	char			 first_error[160];
};

/* One reader: where it reads from (for the manifest's "origin") and how. */
struct live_reader {
	const char	*origin;
	/*
	 * Fill run->doc. Whatever cannot be read is noted in run->errors or
	 * in the document, and the reader still returns 0; -1 only when
	 * nothing at all could be read (error_set), or when adding a member
	 * failed, which ends the collection.
	 */
	int		(*fill)(struct live_run *);
};

#define LIVE_READER_DECLARE(name, ident, root, max_size) \
	extern const struct live_reader live_reader_##ident;
CUSTODY_LIVE_SOURCES(LIVE_READER_DECLARE)
#undef LIVE_READER_DECLARE

/* ---- Members beyond the document (implemented by the collector). */

/*
 * Archive len bytes as member live/NAME/MEMBER with its own manifest entry
 * (kind "live", source "live:NAME/MEMBER", the given origin). 0, or -1
 * when the archive cannot be written (fatal: return it from fill).
 */
int live_add_member(struct live_run *, const char *member, const void *data,
    size_t len, const char *origin);
/*
 * Archive the content of an open regular file as member live/NAME/MEMBER:
 * at most cap bytes (-1: all), hashed, typed and recorded with the file's
 * metadata under source (say "/proc/1234/exe"), with the usual statuses
 * (truncated-at-limit, changed-while-reading). When record is not NULL it
 * receives "member", "status", "size" and "sha256". 0, or -1 when fatal.
 */
int live_add_file(struct live_run *, const char *member, int fd,
    const struct stat *st, const char *source, int64_t cap, json_t *record);
/*
 * Collect a path found by the reader (a log, a history file) as a profile
 * path entry with these rules would: under files/, recorded as usual. 0,
 * or -1 when fatal.
 */
int live_add_path(struct live_run *, const char *path,
    const struct walk_rules *);

/* ---- live.c: the table. */

/* True when name is a live source live_collect knows. */
bool live_known(const char *name);
/*
 * Read one source into a malloc'd JSON document (*out, *len, with a final
 * newline); *origin describes where it came from. Partial failures are
 * noted inside the document. 0, or -1 with error_set.
 */
int live_collect(struct live_run *, char **out, size_t *len,
    const char **origin);

/* ---- live-util.c: reading and recording, shared by the readers. */

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

/* Read fd to its end, keeping at most max bytes. -1 with errno set. */
int live_read_fd(int fd, size_t max, struct live_file *);
/* Read a regular file below dirfd whole, up to max bytes. 0 or -1 (error_set). */
int live_read(int dirfd, const char *path, size_t max, struct live_file *);
/* Drop trailing newlines. */
void live_chomp(struct live_file *);
/* Make room for one more element of a growing array; NULL when out of memory. */
void *live_grow(void *array, size_t *size, size_t n, size_t element);
/* Set key to bytes as a string when UTF-8; else null, with key_base64. */
void live_set_bytes(json_t *obj, const char *key, const char *data, size_t len);
/*
 * Bytes as a JSON string, as they are when UTF-8 without a backslash, else
 * escaped text: backslash doubled, bytes that are not UTF-8 \xHH.
 */
json_t *live_string(const char *data, size_t len);
/* Append the last error message to a list of problems. */
void live_note(json_t *errors);
/* Set key to the trimmed contents of a small file, or null with a note. */
int live_set_file(json_t *obj, const char *key, const char *path, json_t *errors);
/* Set an error key to the text of an errno value. */
void live_set_errno(json_t *obj, const char *key, int error_number);
/* Set "count" to the length of a list. */
void live_set_count(json_t *doc, json_t *list);
/* Parse a whole string of decimal digits. */
bool live_decimal(const char *text, unsigned long long *out);
/* Current UTC time as an ISO-8601 JSON string. */
json_t *live_now(void);
/* The process ids listed in /proc, sorted. 0 or -1. */
int live_pids(struct live_pids *);
/* Open /proc/PID as a directory, so that all its files are of one process. */
int live_pid_open(pid_t pid);
/*
 * Every process in pid order, each read by one(p, piddir, arg) into an
 * object holding its "pid" (-1: it exited first); sets "count",
 * "truncated", "vanished" and key, the list. 0 or -1.
 */
int live_each_process(json_t *doc, const char *key,
    int (*one)(json_t *, int, void *), void *arg);
/* A process's command name from /proc/PID/comm; empty when unreadable. */
void live_comm(int piddir, char *out, size_t size);
/* The wall-clock time at which a clock (CLOCK_MONOTONIC, CLOCK_BOOTTIME) read zero. */
void live_clock_origin(clockid_t, struct timespec *origin);
/* An origin plus nanoseconds, as UTC ISO-8601 text. */
json_t *live_time_after(const struct timespec *origin, uint64_t ns);
/* A bit of a flags word and its name. */
struct live_flag {
	unsigned long long	 bit;
	const char		*name;
};
/* The names of the bits set in a flags word, as a JSON array. */
json_t *live_flag_names(unsigned long long flags, const struct live_flag *,
    size_t n);
/* Undo the octal escapes (\040) of a mountinfo field in place; the new length. */
size_t live_unescape(char *text);

/* ---- live-fds.c: which process holds which socket. */

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

/* The socket inode a descriptor link names: 1 socket, 0 other, -1 unreadable. */
int live_socket_link(int fddir, const char *name, unsigned long long *inode);
/* Sort socket inodes and drop duplicates (dup'd descriptors). */
void live_inodes_unique(struct live_inodes *);
/* The socket inodes an open /proc/PID holds, sorted and unique. 0 or -1. */
int live_socket_inodes(int piddir, struct live_inodes *);
/* Every socket of every process. 0 or -1. */
int live_owners_build(struct live_owners *);
/* The processes holding a socket inode, as a JSON array. */
json_t *live_owners_json(const struct live_owners *, unsigned long long inode);

/* ---- live-sockets-link.c, for live-sockets.c. */

/* Packet and netlink sockets into doc; the number of tables read. */
int live_link_sockets(json_t *doc, json_t *errors, const struct live_owners *);

/* ---- live-process-fds.c: every descriptor of a process. */

#define LIVE_FD_LIST_MAX	((size_t)16384)	/* descriptors listed per process */
#define LIVE_FD_TOTAL_MAX	((size_t)262144)	/* descriptors listed in all */

/* Whether a link target ends " (deleted)"; *len then excludes the suffix. */
bool live_deleted_strip(const char *target, size_t *len);
/*
 * Add "fds" (every descriptor, with its fdinfo) and "sockets" to a process,
 * listing at most *budget descriptors, which it lowers.
 */
void live_process_fds(json_t *p, int piddir, size_t *budget);

/* ---- live-process-args.c: the NUL-separated lists of a process. */

#define LIVE_ENVIRON_MAX	((size_t)64 << 10)	/* environ kept per process */
#define LIVE_ENVIRON_TOTAL_MAX	((size_t)64 << 20)	/* environ kept in all */

/* Add "cmdline": an array of arguments, or cmdline_base64. */
void live_process_cmdline(json_t *p, int piddir);
/* Add "environ" (at most LIVE_ENVIRON_MAX, and *budget, which it lowers). */
void live_process_environ(json_t *p, int piddir, size_t *budget, bool withhold);

/* ---- live-process-isolation.c: where a process lives. */

/* Add "cgroup" (/proc/PID/cgroup) and "namespaces" (/proc/PID/ns/). */
void live_process_isolation(json_t *p, int piddir);

/* ---- live-modules.c, shared with live-system.c. */

/* Add /proc/sys/kernel/tainted, decoded. */
void live_set_tainted(json_t *doc, json_t *errors);

/* ---- live-sysfs.c: attribute files, shared by the /sys readers. */

#define LIVE_SYSFS_VALUE_MAX	4096	/* one attribute's value */

/*
 * The trimmed text of a small file below dirfd, or NULL when it cannot be
 * read; unless absent (ENOENT) the reason is set in problems[name] when
 * problems is not NULL. Never follows a link.
 */
json_t *live_sysfs_value(int dirfd, const char *name, size_t max,
    json_t *problems);
/* The names in a subdirectory (holders, slaves), or null when there is none. */
json_t *live_sysfs_names(int dirfd, const char *sub);

/* ---- live-modules-sysfs.c, for live-modules.c. */

/* Every module of /sys/module into doc["sysfs"]. 0 or -1. */
int live_sysfs_modules(json_t *doc, json_t *errors);

/* ---- live-kernel-binfmt.c, for live-kernel.c. */

/* binfmt_misc into doc["binfmt_misc"]: mounted or not, status, handlers. */
void live_binfmt(json_t *doc, json_t *errors);

/* ---- live-security-audit.c, for live-security.c. */

/* Audit status and rules into doc["audit"], with the reason when refused. */
void live_audit(json_t *doc, json_t *errors);

/* ---- live-network-rtnl.c, for live-network.c. */

/* Links, addresses and neighbours from rtnetlink; how many dumps were read. */
int live_rtnl_fill(json_t *doc, json_t *errors);


/* ---- live-netlink.c: netlink requests, shared by the kernel readers. */

#define LIVE_NETLINK_RECORDS_MAX	((size_t)50000)	/* answers per dump: ~250 MB of flows */

struct nlmsghdr;
struct nlattr;

/* What a request brought: answers handed on, whether the cap cut it, errno. */
struct live_dump {
	size_t	 max;		/* set by the caller: the cap on answers */
	bool	 single;	/* set by the caller: one answer ends the request */
	size_t	 messages;
	bool	 truncated;
	int	 error;		/* 0, or why the request failed */
};

/* Called for each answer; non-zero stops the request (errno set). */
typedef int (*live_netlink_fn)(const struct nlmsghdr *, void *arg);

/*
 * Send a request over a netlink protocol and hand each answer to fn until
 * the kernel says it is done (NLMSG_DONE, an acknowledgement, or the first
 * answer when dump->single), at most dump->max of them, waiting at most
 * 5 s for each datagram.
 * 0, or -1 with error_set and dump->error.
 */
int live_netlink_request(int protocol, struct nlmsghdr *request,
    struct live_dump *dump, live_netlink_fn fn, void *arg);
/* Index a run of attributes (rtattr or nlattr) by type, below max. */
void live_netlink_attrs(const void *start, size_t len,
    const struct nlattr **table, size_t max);
/* An attribute's payload and its length. */
const void *live_netlink_payload(const struct nlattr *, size_t *len);
/* Copy the first size bytes of an attribute's payload; false when shorter or absent. */
bool live_netlink_value(const struct nlattr *, void *out, size_t size);

#endif
