/*
 * The containers source: Docker, Podman, containerd and runc read from
 * their state on disk (no daemon is asked), and which host process runs in
 * which container. This file holds the reader and the helpers its parts
 * share: capped JSON reads, typed field picks, notes.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live-containers.h"
#include "live-locate.h"
#include "live.h"

/* True when name is one safe path component ([A-Za-z0-9._-], not . or ..). */
bool
containers_name_ok(const char *name, size_t max)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > max || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", name[i]) == NULL)
			return false;
	return true;
}

/*
 * Note a problem as "WHAT: TEXT" in run->errors; a host path (from /) is
 * shown as it is on disk, under the root.
 */
void
containers_note(struct live_run *run, const char *what, const char *fmt, ...)
{
	char text[1024], *shown, *escaped;
	const char *root = what[0] == '/' ? run->root : "";
	size_t len = strlen(root), n = strlen(what);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if ((shown = malloc(len + n + 1)) != NULL) {
		memcpy(shown, root, len);
		memcpy(shown + len, what, n + 1);
	}
	escaped = shown != NULL ? util_escape(shown, len + n) : NULL;
	error_set("%s: %s", escaped != NULL ? escaped : "?", text);
	free(escaped);
	free(shown);
	live_note(run->errors);
}

/* True when host (below the root) or a directory on the way is a link. */
static bool
containers_link_on_way(struct live_run *run, const char *host)
{
	char prefix[CONTAINERS_PATH_MAX];
	const char *slash = host;
	struct stat st;
	size_t len;

	while ((slash = strchr(slash + 1, '/')) != NULL) {
		if ((len = (size_t)(slash - host)) >= sizeof prefix)
			return false;
		memcpy(prefix, host, len);
		prefix[len] = '\0';
		if (live_locate_stat(run, prefix, &st) != 0)
			return false;
		if (S_ISLNK(st.st_mode))
			return true;
	}
	return live_locate_stat(run, host, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Note why a host path could not be reached; nothing when it is absent. */
void
containers_failed(struct live_run *run, const char *host, int error_number)
{
	if (error_number == ENOENT)
		return;
	if (error_number == ENOTDIR && containers_link_on_way(run, host))
		error_number = ELOOP;
	if (error_number == ELOOP)
		containers_note(run, host, "symlink, not followed");
	else if (error_number == EXDEV)
		containers_note(run, host, "leads out of the root, not followed");
	else
		containers_note(run, host, "%s", strerror(error_number));
	errno = error_number;
}

/* Set key in obj, noting when out of memory. */
int
containers_set(struct live_run *run, json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(obj, key, value) != 0) {
		containers_note(run, key, "cannot be recorded (out of memory)");
		return -1;
	}
	return 0;
}

/* Append to a list, noting when out of memory. */
int
containers_append(struct live_run *run, json_t *list, json_t *value)
{
	if (value == NULL || json_array_append_new(list, value) != 0) {
		containers_note(run, "list", "cannot be extended (out of memory)");
		return -1;
	}
	return 0;
}

/* The name of a JSON type, for notes. */
static const char *
containers_type_name(int type)
{
	switch (type) {
	case JSON_OBJECT:	return "an object";
	case JSON_ARRAY:	return "an array";
	case JSON_STRING:	return "a string";
	case JSON_INTEGER:	return "an integer";
	case JSON_TRUE:		return "a boolean";
	default:		return "of another type";
	}
}

/* Parse a file's bytes as JSON of the wanted type; NULL noted. */
static json_t *
containers_json_parse(struct live_run *run, const char *path,
    const struct live_file *f, int want)
{
	json_error_t jerr;
	json_t *value;

	value = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, &jerr);
	if (value == NULL) {
		containers_note(run, path, "not valid JSON (line %d: %s)",
		    jerr.line, jerr.text);
		return NULL;
	}
	if ((int)json_typeof(value) != want) {
		containers_note(run, path, "is not %s",
		    containers_type_name(want));
		json_decref(value);
		return NULL;
	}
	return value;
}

/* Read and parse a capped JSON file of the wanted top-level type. */
json_t *
containers_json_load(struct live_run *run, const char *host, int want,
    bool *missing)
{
	struct live_file f;
	json_t *value;

	*missing = false;
	if (containers_read(run, host, CONTAINERS_JSON_MAX, &f) != 0) {
		*missing = errno == ENOENT;
		return NULL;
	}
	if (f.truncated) {
		containers_note(run, host, "larger than %zu bytes, not parsed",
		    CONTAINERS_JSON_MAX);
		free(f.data);
		return NULL;
	}
	value = containers_json_parse(run, host, &f, want);
	free(f.data);
	return value;
}

/* The value at a dotted path ("State.Pid") of an object, or NULL. */
static json_t *
containers_lookup(json_t *obj, const char *path)
{
	char key[128];
	const char *dot;
	size_t len;

	while (obj != NULL && (dot = strchr(path, '.')) != NULL) {
		len = (size_t)(dot - path);
		if (len >= sizeof key)
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		obj = json_is_object(obj) ? json_object_get(obj, key) : NULL;
		path = dot + 1;
	}
	return json_is_object(obj) ? json_object_get(obj, path) : NULL;
}

/* True when value is of the table's type (JSON_TRUE: any boolean). */
static bool
containers_type_ok(const json_t *value, int type)
{
	if (type == JSON_TRUE)
		return json_is_boolean(value);
	return (int)json_typeof(value) == type;
}

/* Copy the fields of a table from src into dst, typed. */
int
containers_pick(struct live_run *run, json_t *dst, json_t *src,
    const struct containers_field *fields, const char *what)
{
	const struct containers_field *f;
	json_t *value;

	for (f = fields; f->key != NULL; f++) {
		value = containers_lookup(src, f->path);
		if (value == NULL || json_is_null(value))
			value = json_null();
		else if (!containers_type_ok(value, f->type)) {
			containers_note(run, what, "%s is not %s", f->path,
			    containers_type_name(f->type));
			value = json_null();
		} else
			json_incref(value);
		if (containers_set(run, dst, f->key, value) != 0)
			return -1;
	}
	return 0;
}

/* Open a host directory below the root through real directories only. */
int
containers_open_dir(struct live_run *run, const char *host)
{
	int fd = live_locate_open_dir(run, host);

	if (fd < 0)
		containers_failed(run, host, errno);
	return fd;
}

/* lstat a host path below the root; a link, on the way or last, refused. */
int
containers_stat(struct live_run *run, const char *host, struct stat *st)
{
	if (live_locate_stat(run, host, st) != 0) {
		containers_failed(run, host, errno);
		return -1;
	}
	if (S_ISLNK(st->st_mode)) {
		containers_failed(run, host, ELOOP);
		return -1;
	}
	return 0;
}

/*
 * True when the host path made from fmt is a directory itself, reached
 * through directories; noted otherwise (but for its absence).
 */
bool
containers_is_dir(struct live_run *run, const char *fmt, ...)
{
	struct stat st;
	va_list ap;
	char *host;
	bool is_dir = false;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&host, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if (containers_stat(run, host, &st) != 0)
		;
	else if (!S_ISDIR(st.st_mode))
		containers_note(run, host, "not a directory, not followed");
	else
		is_dir = true;
	free(host);
	return is_dir;
}

/* Read a regular file name below dirfd (shown as shown), at most max bytes. */
int
containers_read_at(struct live_run *run, int dirfd, const char *name,
    const char *shown, size_t max, struct live_file *f)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		containers_failed(run, shown, errno);
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		containers_failed(run, shown, ELOOP);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		containers_note(run, shown, "not a regular file, not read");
		errno = EINVAL;
		return -1;
	}
	if (live_read(dirfd, name, max, f) != 0) {
		containers_failed(run, shown, errno == ENOENT ? EIO : errno);
		return -1;
	}
	return 0;
}

/* Open the directory of a host path; *name is its last component. -1 noted. */
int
containers_open_parent(struct live_run *run, const char *host,
    const char **name)
{
	char *dir;
	const char *slash = strrchr(host, '/');
	int fd;

	if (slash == NULL || slash[1] == '\0' || (dir = strndup(host,
	    slash == host ? 1 : (size_t)(slash - host))) == NULL) {
		errno = EINVAL;
		return -1;
	}
	*name = slash + 1;
	fd = live_locate_open_dir(run, dir);
	if (fd < 0)
		containers_failed(run, host, errno);
	free(dir);
	return fd;
}

/* Read a regular file at a host path below the root, every component real. */
int
containers_read(struct live_run *run, const char *host, size_t max,
    struct live_file *f)
{
	const char *name;
	int fd, rc, saved;

	if ((fd = containers_open_parent(run, host, &name)) < 0)
		return -1;
	rc = containers_read_at(run, fd, name, host, max, f);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Read a small one-line text file (a mount-id) into out. */
int
containers_read_line(struct live_run *run, int dirfd, const char *name,
    const char *shown, char *out, size_t size)
{
	struct live_file f;

	if (containers_read_at(run, dirfd, name, shown, size - 1, &f) != 0) {
		if (errno == ENOENT)
			containers_note(run, shown, "missing");
		return -1;
	}
	live_chomp(&f);
	if (f.truncated || memchr(f.data, '\0', f.len) != NULL) {
		containers_note(run, shown, "longer than %zu bytes or binary",
		    size - 1);
		free(f.data);
		return -1;
	}
	memcpy(out, f.data, f.len + 1);
	free(f.data);
	return 0;
}

/* The key by which containers_sort orders, for qsort (readers run one at a time). */
static const char *containers_sort_key;

/* Order two objects by the string at containers_sort_key, for qsort. */
static int
containers_compare(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a,
	    containers_sort_key));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b,
	    containers_sort_key));

	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

/* Sort a list of objects by one string member, so runs are reproducible. */
int
containers_sort(struct live_run *run, json_t *list, const char *key)
{
	size_t n = json_array_size(list), i;
	json_t **v;
	int rc = 0;

	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof *v)) == NULL) {
		containers_note(run, key, "cannot sort (out of memory)");
		return -1;
	}
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	containers_sort_key = key;
	qsort(v, n, sizeof *v, containers_compare);
	for (i = 0; i < n; i++)
		if (json_array_set_new(list, i, v[i]) != 0)
			rc = -1;
	free(v);
	return rc;
}

/* Read every engine, then say which processes run in which container. */
static int
containers_fill(struct live_run *run)
{
	json_t *processes;
	bool docker = false, podman = false, runtimes = false;

	if ((processes = containers_processes(run)) == NULL)
		return -1;
	if (containers_set(run, run->doc, "processes", processes) != 0)
		return 0;
	if (containers_docker(run, &docker) != 0 ||
	    containers_podman(run, &podman) != 0 ||
	    containers_runtimes(run, &runtimes) != 0)
		return -1;
	if (containers_set(run, run->doc, "engines_found",
	    json_pack("{sbsbsb}", "docker", docker, "podman", podman,
	    "runtimes", runtimes)) != 0)
		return 0;
	if (!docker && !podman && !runtimes)
		containers_set(run, run->doc, "note", json_string("no container "
		    "engine state found (Docker, Podman, containerd, runc)"));
	return 0;
}

const struct live_reader live_reader_containers = {
	.origin = "Docker, Podman, containerd and runc state on disk; "
	    "/proc/PID/cgroup",
	.fill = containers_fill,
};
