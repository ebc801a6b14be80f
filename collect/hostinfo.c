/* Facts about the host and its id names, read natively (no NSS, no binaries). */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>

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

#include "atime.h"
#include "collector.h"

#define HOSTINFO_FILE_MAX	((size_t)1 << 20)	/* os-release and such */
#define IDMAP_FILE_MAX		((size_t)16 << 20)	/* passwd, group */
#define IDMAP_ENTRIES_MAX	((size_t)1 << 20)
#define IDMAP_NAME_MAX		256

/* One id and its name, which points into the table's file contents. */
struct idmap_entry {
	unsigned long	 id;
	size_t		 order;		/* line order: the first line wins */
	const char	*name;
};

/* The ids of one file, sorted by id. */
struct idmap_table {
	struct idmap_entry	*v;
	size_t			 n;
	char			*data;
};

struct idmap {
	struct idmap_table	 users;
	struct idmap_table	 groups;
};

/* Set key to bytes as a string when UTF-8; else null, with key_base64. */
static void
hostinfo_set(json_t *h, const char *key, const char *data, size_t len)
{
	char name[64], *encoded;

	if (data == NULL) {
		json_object_set_new(h, key, json_null());
		return;
	}
	if (util_utf8_valid(data, len)) {
		json_object_set_new(h, key, json_stringn(data, len));
		return;
	}
	json_object_set_new(h, key, json_null());
	snprintf(name, sizeof name, "%s_base64", key);
	if ((encoded = util_base64(data, len)) != NULL)
		json_object_set_new(h, name, json_string(encoded));
	free(encoded);
}

/* Set key to the first line of a small file, trimmed; null when unreadable. */
static void
hostinfo_set_file(json_t *h, const char *key, const char *path)
{
	char *data, *cursor, *line;
	size_t len;

	if (util_read_file(path, HOSTINFO_FILE_MAX, &data, &len) != 0) {
		hostinfo_set(h, key, NULL, 0);
		return;
	}
	cursor = data;
	line = util_next_line(&cursor);
	len = line == NULL ? 0 : strlen(line);
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	hostinfo_set(h, key, len > 0 ? line : NULL, len);
	free(data);
}

/* Undo the shell-style quoting of an os-release value, in place. */
static void
hostinfo_unquote(char *value)
{
	char *in, *out = value, quote = '\0';

	for (in = value; *in != '\0'; in++) {
		if (quote == '\0' && (*in == '"' || *in == '\'')) {
			quote = *in;
			continue;
		}
		if (quote != '\0' && *in == quote) {
			quote = '\0';
			continue;
		}
		if (*in == '\\' && quote != '\'' && in[1] != '\0')
			in++;
		*out++ = *in;
	}
	*out = '\0';
}

/*
 * Read os-release: /etc/os-release, or (it is usually a symbolic link,
 * which O_NOFOLLOW refuses) the file it names, or /usr/lib/os-release.
 */
static int
hostinfo_read_os_release(char **data, size_t *len)
{
	char target[PATH_MAX], path[PATH_MAX + 8];
	size_t n;

	if (util_read_file("/etc/os-release", HOSTINFO_FILE_MAX, data, len) == 0)
		return 0;
	if (errno == ELOOP && atime_readlink(AT_FDCWD, "/etc/os-release",
	    target, sizeof target, &n) >= 0 && n > 0) {
		snprintf(path, sizeof path, "%s%s", target[0] == '/' ? "" :
		    "/etc/", target);
		if (util_read_file(path, HOSTINFO_FILE_MAX, data, len) == 0)
			return 0;
	}
	return util_read_file("/usr/lib/os-release", HOSTINFO_FILE_MAX, data, len);
}

/* Set os_release to PRETTY_NAME from os-release, unquoted. */
static void
hostinfo_os_release(json_t *h)
{
	char *data, *cursor, *line, *value = NULL;
	size_t len;

	if (hostinfo_read_os_release(&data, &len) != 0) {
		hostinfo_set(h, "os_release", NULL, 0);
		return;
	}
	cursor = data;
	while ((line = util_next_line(&cursor)) != NULL) {
		if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
			value = line + 12;
			hostinfo_unquote(value);
		}
	}
	hostinfo_set(h, "os_release", value, value == NULL ? 0 : strlen(value));
	free(data);
}

/* Set timezone (never from $TZ) and where the name came from. */
static void
hostinfo_timezone(json_t *h)
{
	char target[PATH_MAX], *zone;
	struct stat st;
	size_t n;

	if (atime_readlink(AT_FDCWD, "/etc/localtime", target, sizeof target,
	    &n) >= 0 && n > 0) {
		zone = strstr(target, "zoneinfo/");
		if (zone != NULL && zone[9] != '\0') {
			hostinfo_set(h, "timezone", zone + 9, strlen(zone + 9));
			json_object_set_new(h, "timezone_source",
			    json_string("/etc/localtime"));
			return;
		}
	}
	hostinfo_set_file(h, "timezone", "/etc/timezone");
	if (!json_is_null(json_object_get(h, "timezone"))) {
		json_object_set_new(h, "timezone_source",
		    json_string("/etc/timezone"));
		return;
	}
	if (lstat("/etc/localtime", &st) != 0 && errno == ENOENT) {
		/* With no /etc/localtime at all the C library uses UTC. */
		json_object_set_new(h, "timezone", json_string("UTC"));
		json_object_set_new(h, "timezone_source", json_string("default"));
	} else
		json_object_set_new(h, "timezone_source",
		    json_string("/etc/localtime (zone name unknown)"));
}

/* Seconds since boot from /proc/uptime, or null. */
static json_t *
hostinfo_uptime(void)
{
	char *data, *end;
	double seconds;
	size_t len;

	if (util_read_file("/proc/uptime", HOSTINFO_FILE_MAX, &data, &len) != 0)
		return json_null();
	seconds = strtod(data, &end);
	free(data);
	return end == data ? json_null() : json_real(seconds);
}

/* Set kernel to uname's release, version and machine. */
static void
hostinfo_kernel(json_t *h, const struct utsname *u)
{
	json_t *k;

	if (u == NULL) {
		json_object_set_new(h, "kernel", json_null());
		return;
	}
	k = json_object();
	hostinfo_set(k, "release", u->release, strlen(u->release));
	hostinfo_set(k, "version", u->version, strlen(u->version));
	hostinfo_set(k, "machine", u->machine, strlen(u->machine));
	json_object_set_new(h, "kernel", k);
}

/* Host facts for the manifest header. */
json_t *
hostinfo_collect(void)
{
	struct utsname u;
	bool named = uname(&u) == 0;
	json_t *h;

	if ((h = json_object()) == NULL) {
		error_set("out of memory");
		return NULL;
	}
	hostinfo_set(h, "hostname", named ? u.nodename : NULL,
	    named ? strlen(u.nodename) : 0);
	hostinfo_os_release(h);
	hostinfo_kernel(h, named ? &u : NULL);
	hostinfo_set_file(h, "boot_id", "/proc/sys/kernel/random/boot_id");
	hostinfo_set_file(h, "machine_id", "/etc/machine-id");
	json_object_set_new(h, "uptime_seconds", hostinfo_uptime());
	hostinfo_timezone(h);
	hostinfo_set_file(h, "clock_source",
	    "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	return h;
}

/* True for the bytes a host name may keep in a file name. */
static bool
hostinfo_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* The host name, sanitised to [A-Za-z0-9.-] for use in a file name. */
void
hostinfo_name(char *out, size_t size)
{
	struct utsname u;
	size_t i, n = 0;

	if (size == 0)
		return;
	/* The kernel's "(none)" means no name was ever set. */
	if (uname(&u) == 0 && strcmp(u.nodename, "(none)") != 0) {
		for (i = 0; u.nodename[i] != '\0' && n + 1 < size; i++)
			out[n++] = hostinfo_name_char(u.nodename[i]) ?
			    u.nodename[i] : '-';
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "unknown-host");
}

/* Split a "name:password:id:..." line in place; -1 when malformed. */
static int
idmap_parse_line(char *line, struct idmap_entry *e)
{
	char *colon, *id, *end;
	size_t len;

	/* Skip comments and the NIS "+" and "-" compatibility entries. */
	if (line[0] == '#' || line[0] == '+' || line[0] == '-')
		return -1;
	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return -1;
	*colon = '\0';
	if ((id = strchr(colon + 1, ':')) == NULL || id[1] < '0' || id[1] > '9')
		return -1;
	errno = 0;
	e->id = strtoul(id + 1, &end, 10);
	if (errno != 0 || *end != ':' || e->id > UINT32_MAX)
		return -1;
	len = (size_t)(colon - line);
	if (len > IDMAP_NAME_MAX || !util_utf8_printable(line, len))
		return -1;
	e->name = line;
	return 0;
}

/* Order entries by id, then by line. */
static int
idmap_compare(const void *a, const void *b)
{
	const struct idmap_entry *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->order > y->order) - (x->order < y->order);
}

/* Sort a table and keep the first line of each id, as getpwuid would. */
static void
idmap_table_sort(struct idmap_table *t)
{
	size_t i, kept = 0;

	if (t->n == 0)
		return;
	qsort(t->v, t->n, sizeof *t->v, idmap_compare);
	for (i = 0; i < t->n; i++)
		if (kept == 0 || t->v[kept - 1].id != t->v[i].id)
			t->v[kept++] = t->v[i];
	t->n = kept;
}

/* Grow a table by one entry. 0, or -1 when out of memory. */
static int
idmap_table_add(struct idmap_table *t, size_t *size, const struct idmap_entry *e)
{
	struct idmap_entry *grown;
	size_t want;

	if (t->n == *size) {
		want = *size == 0 ? 64 : *size * 2;
		if ((grown = reallocarray(t->v, want, sizeof *t->v)) == NULL)
			return error_set_errno("reallocarray");
		t->v = grown;
		*size = want;
	}
	t->v[t->n++] = *e;
	return 0;
}

/* Load one id file; missing or unreadable files give an empty table. */
static int
idmap_table_load(struct idmap_table *t, const char *path)
{
	struct idmap_entry e;
	size_t len, size = 0;
	char *cursor, *line;

	memset(t, 0, sizeof *t);
	if (util_read_file(path, IDMAP_FILE_MAX, &t->data, &len) != 0)
		return errno == ENOMEM ? -1 : 0;
	cursor = t->data;
	while ((line = util_next_line(&cursor)) != NULL &&
	    t->n < IDMAP_ENTRIES_MAX) {
		if (idmap_parse_line(line, &e) != 0)
			continue;
		e.order = t->n;
		if (idmap_table_add(t, &size, &e) != 0)
			return -1;
	}
	idmap_table_sort(t);
	return 0;
}

/* Read /etc/passwd and /etc/group once. NULL only when out of memory. */
struct idmap *
idmap_load(void)
{
	struct idmap *m;

	if ((m = calloc(1, sizeof *m)) == NULL) {
		error_set_errno("calloc");
		return NULL;
	}
	if (idmap_table_load(&m->users, "/etc/passwd") != 0 ||
	    idmap_table_load(&m->groups, "/etc/group") != 0) {
		idmap_free(m);
		return NULL;
	}
	return m;
}

/* Compare a key id with an entry for bsearch. */
static int
idmap_search(const void *key, const void *entry)
{
	unsigned long id = *(const unsigned long *)key;
	const struct idmap_entry *e = entry;

	return (id > e->id) - (id < e->id);
}

/* The name of an id in a table, or NULL. */
static const char *
idmap_find(const struct idmap_table *t, unsigned long id)
{
	const struct idmap_entry *e;

	if (t->n == 0)
		return NULL;
	e = bsearch(&id, t->v, t->n, sizeof *t->v, idmap_search);
	return e != NULL ? e->name : NULL;
}

/* The user name of a uid, or NULL when unknown. */
const char *
idmap_user(const struct idmap *m, uid_t uid)
{
	return m != NULL ? idmap_find(&m->users, uid) : NULL;
}

/* The group name of a gid, or NULL when unknown. */
const char *
idmap_group(const struct idmap *m, gid_t gid)
{
	return m != NULL ? idmap_find(&m->groups, gid) : NULL;
}

/* Free an id map. */
void
idmap_free(struct idmap *m)
{
	if (m == NULL)
		return;
	free(m->users.v);
	free(m->users.data);
	free(m->groups.v);
	free(m->groups.data);
	free(m);
}
