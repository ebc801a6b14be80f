/* The bpf source: loaded eBPF programs, maps and links, through bpf(2). */
#include "config.h"

#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/bpf.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

#define LIVE_BPF_OBJECTS_MAX	100000	/* of each kind */
#define LIVE_BPF_MAP_IDS_MAX	64	/* maps named per program */

/* One kind of object: how to step through its ids, open one, describe it. */
struct live_bpf_kind {
	const char	*key;
	int		 next_id;	/* BPF_*_GET_NEXT_ID */
	int		 fd_by_id;	/* BPF_*_GET_FD_BY_ID */
	json_t		*(*describe)(int fd, const struct timespec *boot);
};

/* bpf(2); -1 with errno, ENOSYS on a kernel (or libc) without it. */
static int
live_bpf(int command, union bpf_attr *attr)
{
#ifdef SYS_bpf
	return (int)syscall(SYS_bpf, command, attr, sizeof *attr);
#else
	(void)command;
	(void)attr;
	errno = ENOSYS;
	return -1;
#endif
}

/* Fill info (of size bytes) for an object's descriptor. 0 or -1. */
static int
live_bpf_info(int fd, void *info, size_t size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof attr);
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = (uint32_t)size;
	attr.info.info = (uint64_t)(uintptr_t)info;
	return live_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

/* A name out of a table of types, or "unknown". */
static const char *
live_bpf_type(const char *const *names, size_t n, unsigned type)
{
	return type < n ? names[type] : "unknown";
}

/* A fixed-size object name, to its first NUL. */
static json_t *
live_bpf_name(const char *name, size_t size)
{
	return live_string(name, strnlen(name, size));
}

/* A program: type, name, tag, load time, owner, sizes, the maps it uses. */
static json_t *
live_bpf_program(int fd, const struct timespec *boot)
{
	static const char *types[] = { "unspec", "socket_filter", "kprobe",
	    "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
	    "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit",
	    "sock_ops", "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint",
	    "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
	    "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable",
	    "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm",
	    "sk_lookup", "syscall", "netfilter" };
	uint32_t map_ids[LIVE_BPF_MAP_IDS_MAX];
	struct bpf_prog_info info;
	char tag[2 * BPF_TAG_SIZE + 1];
	json_t *p, *maps;
	uint32_t i;

	memset(&info, 0, sizeof info);
	info.nr_map_ids = LIVE_BPF_MAP_IDS_MAX;
	info.map_ids = (uint64_t)(uintptr_t)map_ids;
	if (live_bpf_info(fd, &info, sizeof info) != 0)
		return NULL;
	maps = json_array();
	for (i = 0; i < info.nr_map_ids && i < LIVE_BPF_MAP_IDS_MAX; i++)
		json_array_append_new(maps, json_integer(map_ids[i]));
	util_hex(info.tag, BPF_TAG_SIZE, tag);
	p = json_pack("{s:I, s:i, s:s, s:o, s:s, s:o, s:I, s:I, s:o, s:b, s:I, "
	    "s:I, s:I}", "id", (json_int_t)info.id, "type", (int)info.type,
	    "type_name", live_bpf_type(types, sizeof types / sizeof types[0],
	    info.type), "name", live_bpf_name(info.name, sizeof info.name),
	    "tag", tag, "load_time_utc", live_time_after(boot, info.load_time),
	    "uid", (json_int_t)info.created_by_uid,
	    "map_count", (json_int_t)info.nr_map_ids, "map_ids", maps,
	    "gpl_compatible", info.gpl_compatible != 0,
	    "jited_size", (json_int_t)info.jited_prog_len,
	    "xlated_size", (json_int_t)info.xlated_prog_len,
	    "btf_id", (json_int_t)info.btf_id);
	if (p != NULL) {
		json_object_set_new(p, "load_time_ns", json_integer((json_int_t)info.load_time));
		json_object_set_new(p, "run_count", json_integer((json_int_t)info.run_cnt));
		json_object_set_new(p, "run_time_ns", json_integer((json_int_t)info.run_time_ns));
		json_object_set_new(p, "ifindex", json_integer(info.ifindex));
	}
	return p;
}

/* A map: type, name, sizes, flags. */
static json_t *
live_bpf_map(int fd, const struct timespec *boot)
{
	static const char *types[] = { "unspec", "hash", "array", "prog_array",
	    "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
	    "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie",
	    "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap",
	    "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray",
	    "percpu_cgroup_storage", "queue", "stack", "sk_storage",
	    "devmap_hash", "struct_ops", "ringbuf", "inode_storage",
	    "task_storage", "bloom_filter", "user_ringbuf", "cgrp_storage",
	    "arena" };
	struct bpf_map_info info;

	(void)boot;
	memset(&info, 0, sizeof info);
	if (live_bpf_info(fd, &info, sizeof info) != 0)
		return NULL;
	return json_pack("{s:I, s:i, s:s, s:o, s:I, s:I, s:I, s:I, s:I}",
	    "id", (json_int_t)info.id, "type", (int)info.type, "type_name",
	    live_bpf_type(types, sizeof types / sizeof types[0], info.type),
	    "name", live_bpf_name(info.name, sizeof info.name),
	    "key_size", (json_int_t)info.key_size,
	    "value_size", (json_int_t)info.value_size,
	    "max_entries", (json_int_t)info.max_entries,
	    "flags", (json_int_t)info.map_flags, "btf_id", (json_int_t)info.btf_id);
}

/* A link: type and the program it attaches. */
static json_t *
live_bpf_link(int fd, const struct timespec *boot)
{
	static const char *types[] = { "unspec", "raw_tracepoint", "tracing",
	    "cgroup", "iter", "netns", "xdp", "perf_event", "kprobe_multi",
	    "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit",
	    "sockmap" };
	struct bpf_link_info info;

	(void)boot;
	memset(&info, 0, sizeof info);
	if (live_bpf_info(fd, &info, sizeof info) != 0)
		return NULL;
	return json_pack("{s:I, s:i, s:s, s:I}", "id", (json_int_t)info.id,
	    "type", (int)info.type, "type_name", live_bpf_type(types,
	    sizeof types / sizeof types[0], info.type),
	    "prog_id", (json_int_t)info.prog_id);
}

/* Open the object of an id and describe it; NULL with errno when gone or refused. */
static json_t *
live_bpf_object(const struct live_bpf_kind *kind, uint32_t id,
    const struct timespec *boot)
{
	union bpf_attr attr;
	json_t *o;
	int fd, saved;

	memset(&attr, 0, sizeof attr);
	attr.prog_id = id;	/* map_id and link_id share its place */
	if ((fd = live_bpf(kind->fd_by_id, &attr)) < 0)
		return NULL;
	o = kind->describe(fd, boot);
	saved = errno;
	close(fd);
	errno = saved;
	return o;
}

/* Every object of a kind into doc[key], or the reason it could not be listed. */
static void
live_bpf_list(json_t *doc, json_t *errors, const struct live_bpf_kind *kind,
    const struct timespec *boot)
{
	json_t *list = json_array(), *o, *failures = json_object();
	union bpf_attr attr;
	uint32_t id = 0;
	char key[64], idtext[16];

	for (;;) {
		memset(&attr, 0, sizeof attr);
		attr.start_id = id;
		if (live_bpf(kind->next_id, &attr) != 0)
			break;
		if (json_array_size(list) == LIVE_BPF_OBJECTS_MAX) {
			errno = EOVERFLOW;
			break;
		}
		id = attr.next_id;
		if ((o = live_bpf_object(kind, id, boot)) != NULL)
			json_array_append_new(list, o);
		else if (errno != ENOENT) {
			snprintf(idtext, sizeof idtext, "%u", id);
			json_object_set_new(failures, idtext, json_string(strerror(errno)));
		}
	}
	snprintf(key, sizeof key, "%s_error", kind->key);
	/* ENOENT ends the list; anything else is why it stopped. */
	if (errno == ENOENT)
		json_object_set_new(doc, key, json_null());
	else {
		json_object_set_new(doc, key, json_string(errno == EOVERFLOW ?
		    "truncated" : strerror(errno)));
		json_array_append_new(errors, json_sprintf("bpf %s: %s", kind->key,
		    errno == EOVERFLOW ? "truncated" : strerror(errno)));
	}
	snprintf(key, sizeof key, "%s_unreadable", kind->key);
	json_object_set_new(doc, key, failures);
	json_object_set_new(doc, kind->key, list);
}

/* The bpf source: programs, maps and links; EPERM and the like recorded. */
static int
live_bpf_fill(struct live_run *run)
{
	static const struct live_bpf_kind kinds[] = {
		{ "programs", BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID,
		    live_bpf_program },
		{ "maps", BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID, live_bpf_map },
		{ "links", BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID,
		    live_bpf_link },
	};
	struct timespec boot;
	size_t i;

	/* Load times count from boot, suspend included. */
	live_clock_origin(CLOCK_BOOTTIME, &boot);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		live_bpf_list(run->doc, run->errors, &kinds[i], &boot);
	return 0;
}

const struct live_reader live_reader_bpf = {
	.origin = "bpf(2) (BPF_{PROG,MAP,LINK}_GET_NEXT_ID, _GET_FD_BY_ID, "
	    "BPF_OBJ_GET_INFO_BY_FD)",
	.fill = live_bpf_fill,
};
