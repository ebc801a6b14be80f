/*
 * The containers source, between its files: one per engine (Docker,
 * Podman, containerd and runc), the writable-layer diff they share, the
 * map of host processes to containers, and the capped JSON reads.
 */
#ifndef CUSTODY_LIVE_CONTAINERS_H
#define CUSTODY_LIVE_CONTAINERS_H

#include <sys/stat.h>

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "live.h"

#define CONTAINERS_JSON_MAX	((size_t)16 << 20)	/* one JSON file */
#define CONTAINERS_MAX		4096	/* containers per engine store */
#define CONTAINERS_IMAGES_MAX	4096	/* images per engine store */
#define CONTAINERS_LAYERS_MAX	16384	/* layers per store */
#define CONTAINERS_DIFF_MAX	10000	/* changes listed per container */
#define CONTAINERS_DIFF_DEPTH	64	/* directory levels walked in a diff */
#define CONTAINERS_LOWER_MAX	128	/* lower layers of one container */
#define CONTAINERS_KEEP_MAX	256	/* changed files archived per container */
#define CONTAINERS_KEEP_SIZE	((int64_t)1 << 20)	/* default size cap of one */
#define CONTAINERS_LOG_SIZE	((int64_t)64 << 20)	/* one container log file */
#define CONTAINERS_PATH_MAX	4096

/* One field picked from an engine's JSON: output key, dotted path, type. */
struct containers_field {
	const char	*key;
	const char	*path;	/* "State.Pid" */
	int		 type;	/* a json_type; JSON_TRUE stands for any boolean */
};

/* ---- live-containers.c: shared helpers. */

/*
 * Every path below is a host path (from /): it is read below the entry's
 * root one component at a time, through real directories only, and a
 * link met on the way is noted ("symlink, not followed"), never followed.
 */
/* True when name is one safe path component ([A-Za-z0-9._-], not . or ..). */
bool containers_name_ok(const char *name, size_t max);
/*
 * Read and parse a JSON file of at most CONTAINERS_JSON_MAX bytes whose
 * top level is of type want. NULL when absent (*missing true) or refused:
 * too large, broken or of the wrong type, each noted in run->errors.
 */
json_t *containers_json_load(struct live_run *, const char *path, int want,
    bool *missing);
/*
 * Copy the fields of a table from src into dst; a field of another type
 * than the table says becomes null and is noted, naming what.
 */
int containers_pick(struct live_run *, json_t *dst, json_t *src,
    const struct containers_field *, const char *what);
/* Set key in obj, noting when out of memory; 0 or -1. */
int containers_set(struct live_run *, json_t *obj, const char *key, json_t *value);
/* Append to a list, noting when out of memory; 0 or -1. */
int containers_append(struct live_run *, json_t *list, json_t *value);
/* Sort a list of objects by one string member, so runs are reproducible. */
int containers_sort(struct live_run *, json_t *list, const char *key);
/* Note "WHAT: TEXT" in run->errors; a host path is shown under the root. */
void containers_note(struct live_run *, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Note why a host path was not reached: nothing for ENOENT; sets errno. */
void containers_failed(struct live_run *, const char *host, int error_number);
/* Open a host directory; -1 (errno) noted unless ENOENT. */
int containers_open_dir(struct live_run *, const char *host);
/* lstat a host path, refusing links; 0, or -1 (errno) noted unless ENOENT. */
int containers_stat(struct live_run *, const char *host, struct stat *);
/* True when the host path from fmt is a directory itself; noted otherwise. */
bool containers_is_dir(struct live_run *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Open the directory of a host path, *name its last part; -1 (errno) noted unless ENOENT. */
int containers_open_parent(struct live_run *, const char *host, const char **name);
/* Read a regular file (no link, FIFO or device) of at most max bytes at a host path. */
int containers_read(struct live_run *, const char *host, size_t max,
    struct live_file *);
/* The same for name below dirfd, noted as shown. 0, or -1 (errno) noted unless ENOENT. */
int containers_read_at(struct live_run *, int dirfd, const char *name,
    const char *shown, size_t max, struct live_file *);
/* Read a small text file (one line, such as a mount-id) into out; 0 or -1 (noted). */
int containers_read_line(struct live_run *, int dirfd, const char *name,
    const char *shown, char *out, size_t size);

/* ---- live-containers-oci.c: an OCI runtime spec (config.json). */

/* The fields of an OCI runtime spec that tell what ran, as an object. */
json_t *containers_oci_spec(struct live_run *, json_t *spec, const char *what);

/* ---- live-containers-overlay.c: a writable layer and what it changed. */

/*
 * Describe the writable layer in directory layer (below a store's
 * overlay directory overlay, whose l/ holds the short links named by
 * layer/lower): {"layer", "lower", "changes": [{"path", "change" (A, C,
 * D), "type", ...}], "count", "truncated", "kept"}; small scripts and ELF
 * files among the changes are archived as live/containers/MEMBER/...
 * 0, or -1 when archiving failed (fatal).
 */
int containers_overlay_diff(struct live_run *, const char *overlay,
    const char *layer, const char *member, json_t *container);

/* ---- live-containers-cgroup.c: which host process is in which container. */

/* Every process whose cgroup names a container id: [{"pid","comm","id","runtime","cgroup"}]. */
json_t *containers_processes(struct live_run *);
/* Set "pids" of each container (objects with "id") in list from the processes. */
int containers_attach_pids(struct live_run *, json_t *list, json_t *processes);

/* ---- one file per engine: each sets its key in run->doc; 0 or -1 (fatal). */

int containers_docker(struct live_run *, bool *found);
int containers_podman(struct live_run *, bool *found);
int containers_runtimes(struct live_run *, bool *found);

#endif
