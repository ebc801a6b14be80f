/*
 * dpkg: every stanza of /var/lib/dpkg/status, the install time of each
 * package (the mtime of info/PACKAGE.list) and the digests of its files
 * (info/PACKAGE.md5sums and the conffiles of the status), which go to the
 * collection's package check.
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

#include "custody/error.h"
#include "custody/util.h"

#include "atime.h"
#include "collector.h"
#include "live-packages-status.h"
#include "live-packages.h"
#include "pkgcheck.h"

#define DPKG_STATUS	"/var/lib/dpkg/status"
#define DPKG_INFO	"/var/lib/dpkg/info"
#define DPKG_ALIASES	6

/* What the dpkg reader works with. */
struct dpkg {
	struct live_run		*run;
	struct pkgcheck		*check;
	int			 info;		/* the info directory, or -1 */
	int			 info_errno;
	const char		*alias[DPKG_ALIASES];	/* merged-/usr links at the root */
	struct packages_rejects	 stanzas;
	struct packages_rejects	 lines;
	size_t			 md5sums_files;
	size_t			 digests;
	size_t			 truncated_lists;
	json_t			*packages;
	bool			 packages_truncated;
};

/* Note the top-level directories that are links into /usr (merged /usr). */
static void
dpkg_aliases(struct dpkg *d)
{
	static const char *const names[DPKG_ALIASES] = { "bin", "sbin", "lib",
	    "lib32", "lib64", "libx32" };
	char link[PATH_MAX], want[32], *path;
	size_t i, n;
	int rc;

	for (i = 0; i < DPKG_ALIASES; i++) {
		d->alias[i] = NULL;
		snprintf(want, sizeof want, "usr/%s", names[i]);
		snprintf(link, sizeof link, "/%s", names[i]);
		if ((path = packages_host_path(d->run, link)) == NULL)
			continue;
		rc = atime_readlink(AT_FDCWD, path, link, sizeof link, &n);
		free(path);
		if (rc < 0 || n == 0)
			continue;
		if (strcmp(link + (link[0] == '/'), want) == 0)
			d->alias[i] = names[i];
	}
}

/*
 * The on-disk path of a package file (relative, checked) in out, through
 * the aliases. 0, or -1 when it does not fit.
 */
static int
dpkg_file_path(const struct dpkg *d, const char *rel, size_t len, char *out,
    size_t size)
{
	size_t first = strcspn(rel, "/"), i;
	const char *usr = "";
	int n;

	for (i = 0; i < DPKG_ALIASES; i++)
		if (d->alias[i] != NULL && strlen(d->alias[i]) == first &&
		    strncmp(rel, d->alias[i], first) == 0 && first < len &&
		    rel[first] == '/')
			usr = "usr/";
	n = snprintf(out, size, "%s/%s%.*s", d->run->root, usr, (int)len, rel);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* True when a relative path has no empty, "." or ".." component and no NUL. */
static bool
dpkg_path_safe(const char *path, size_t len)
{
	size_t i = 0, n;

	if (len == 0 || memchr(path, '\0', len) != NULL)
		return false;
	while (i < len) {
		n = 0;
		while (i + n < len && path[i + n] != '/')
			n++;
		if (n == 0 || (n == 1 && path[i] == '.') ||
		    (n == 2 && path[i] == '.' && path[i + 1] == '.'))
			return false;
		i += n + 1;
	}
	return path[len - 1] != '/';
}

/* True when text is exactly 32 lowercase hex digits. */
static bool
dpkg_md5_hex(const char *text, size_t len)
{
	return len == 32 && strspn(text, "0123456789abcdef") >= 32;
}

/* One "MD5  path" line of an md5sums file into the check; the reason it is not. */
static const char *
dpkg_md5sums_line(struct dpkg *d, int package, const char *line, size_t len)
{
	unsigned char digest[16];
	char hex[33], path[PATH_MAX];

	if (len < 35 || !dpkg_md5_hex(line, 32) || line[32] != ' ' ||
	    line[33] != ' ')
		return "not \"MD5  path\" with 32 lowercase hex digits";
	if (line[34] == '/' || !dpkg_path_safe(line + 34, len - 34))
		return "a path that is not relative or leaves the root";
	memcpy(hex, line, 32);
	hex[32] = '\0';
	if (util_unhex(hex, digest, sizeof digest) != 0)
		return "a digest that is not hex";
	if (dpkg_file_path(d, line + 34, len - 34, path, sizeof path) != 0)
		return "a path longer than PATH_MAX";
	if (pkgcheck_add(d->check, path, package, PKGCHECK_MD5, digest,
	    false) != 0)
		return "the table of package digests is full";
	d->digests++;
	return NULL;
}

/* Every line of an md5sums file; the count of digests taken. */
static size_t
dpkg_md5sums_parse(struct dpkg *d, int package, const char *name,
    const char *data, size_t len)
{
	const char *line = data, *end = data + len, *newline, *reason;
	unsigned long long number = 0;
	size_t before = d->digests;

	while (line < end) {
		newline = memchr(line, '\n', (size_t)(end - line));
		number++;
		reason = dpkg_md5sums_line(d, package, line,
		    (size_t)((newline != NULL ? newline : end) - line));
		if (reason != NULL &&
		    packages_reject(&d->lines, name, number, reason) != 0)
			break;
		line = newline != NULL ? newline + 1 : end;
	}
	return d->digests - before;
}

/* The name of a package's info file: PACKAGE:ARCH.SUFFIX when it exists, else PACKAGE.SUFFIX. */
static int
dpkg_info_name(const struct dpkg *d, const char *package, const char *arch,
    const char *suffix, char *out, size_t size, struct stat *st)
{
	int n;

	if (arch != NULL) {
		n = snprintf(out, size, "%s:%s.%s", package, arch, suffix);
		if (n > 0 && (size_t)n < size &&
		    fstatat(d->info, out, st, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
	}
	n = snprintf(out, size, "%s.%s", package, suffix);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return fstatat(d->info, out, st, AT_SYMLINK_NOFOLLOW);
}

/* A package's md5sums file into the check; its record in pkg. */
static int
dpkg_md5sums(struct dpkg *d, json_t *pkg, const char *package, const char *arch)
{
	char name[NAME_MAX + 1];
	struct live_file f;
	struct stat st;
	size_t taken;
	int id;

	if (d->info < 0 || dpkg_info_name(d, package, arch, "md5sums", name,
	    sizeof name, &st) != 0)
		return json_object_set_new(pkg, "md5sums", json_null());
	if (live_read(d->info, name, PACKAGES_LIST_FILE_MAX, &f) != 0) {
		live_note(d->run->errors);
		return json_object_set_new(pkg, "md5sums", json_null());
	}
	d->md5sums_files++;
	if ((id = pkgcheck_package(d->check, package)) < 0) {
		free(f.data);
		return -1;
	}
	taken = dpkg_md5sums_parse(d, id, name, f.data, f.len);
	if (f.truncated)
		d->truncated_lists++;
	free(f.data);
	return json_object_set_new(pkg, "md5sums", json_pack("{s:s, s:I, s:b}",
	    "file", name, "digests", (json_int_t)taken,
	    "truncated", f.truncated));
}

/* The install time of a package: the mtime of its info/PACKAGE.list. */
static int
dpkg_installed_at(const struct dpkg *d, json_t *pkg, const char *package,
    const char *arch)
{
	char name[NAME_MAX + 1], text[UTIL_TIME_SIZE];
	struct stat st;

	if (d->info < 0 || dpkg_info_name(d, package, arch, "list", name,
	    sizeof name, &st) != 0)
		return json_object_set_new(pkg, "installed_at", json_null());
	util_time_format(&st.st_mtim, text);
	return json_object_set_new(pkg, "installed_at", json_string(text));
}

/* Record a conffile's digest for the check; a problem is noted. */
static void
dpkg_conffile_record(struct dpkg *d, int package, const char *path,
    const unsigned char digest[16])
{
	char host[PATH_MAX];

	if (dpkg_file_path(d, path + 1, strlen(path + 1), host, sizeof host) != 0)
		error_set("%s: a path longer than PATH_MAX", path);
	else if (pkgcheck_add(d->check, host, package, PKGCHECK_MD5, digest,
	    true) == 0) {
		d->digests++;
		return;
	}
	live_note(d->run->errors);
}

/* One " /path HASH [obsolete] [remove-on-upgrade]" conffile line. */
static json_t *
dpkg_conffile(struct dpkg *d, int package, char *line)
{
	char *path, *hash, *flag, *save;
	unsigned char digest[16];
	bool obsolete = false, remove = false;
	json_t *c;

	path = strtok_r(line, " \t", &save);
	hash = strtok_r(NULL, " \t", &save);
	if (path == NULL || hash == NULL || path[0] != '/' ||
	    !dpkg_path_safe(path + 1, strlen(path + 1)))
		return NULL;
	while ((flag = strtok_r(NULL, " \t", &save)) != NULL) {
		obsolete |= strcmp(flag, "obsolete") == 0;
		remove |= strcmp(flag, "remove-on-upgrade") == 0;
	}
	c = json_object();
	live_set_bytes(c, "path", path, strlen(path));
	live_set_bytes(c, "md5", hash, strlen(hash));
	json_object_set_new(c, "obsolete", json_boolean(obsolete));
	json_object_set_new(c, "remove_on_upgrade", json_boolean(remove));
	if (!obsolete && dpkg_md5_hex(hash, strlen(hash)) &&
	    util_unhex(hash, digest, sizeof digest) == 0)
		dpkg_conffile_record(d, package, path, digest);
	return c;
}

/* The Conffiles field as a list; lines that make no sense are rejected. */
static int
dpkg_conffiles(struct dpkg *d, json_t *pkg, const struct status_stanza *s,
    const char *package)
{
	char *text = s->value[STATUS_CONFFILES], *cursor = text, *line;
	unsigned long long number = 0;
	json_t *list = json_array(), *c;
	int id;

	if (text == NULL)
		return json_object_set_new(pkg, "conffiles", list);
	if ((id = pkgcheck_package(d->check, package)) < 0) {
		json_decref(list);
		return -1;
	}
	while ((line = util_next_line(&cursor)) != NULL) {
		number++;
		if (line[strspn(line, " \t")] == '\0')
			continue;
		if ((c = dpkg_conffile(d, id, line)) != NULL)
			json_array_append_new(list, c);
		else
			packages_reject(&d->lines, DPKG_STATUS, s->first_line,
			    "a Conffiles line that is not \"/path md5 [flags]\"");
	}
	return json_object_set_new(pkg, "conffiles", list);
}

/* True when a package or architecture name is what dpkg allows. */
static bool
dpkg_name_ok(const char *name, size_t len)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	return len > 0 && len < 256 && strchr(first, name[0]) != NULL &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789+-.") == len;
}

/* The fields of a stanza kept in a package record. */
static void
dpkg_fields(json_t *pkg, const struct status_stanza *s)
{
	static const char *const keys[] = { "package", "status", "version",
	    "architecture", "source", "installed_size", "maintainer", NULL,
	    "multi_arch" };
	unsigned long long size;
	json_t *truncated = json_array();
	size_t i;

	for (i = 0; i < STATUS_FIELD_COUNT; i++) {
		if (keys[i] == NULL)
			continue;
		if (s->value[i] == NULL)
			json_object_set_new(pkg, keys[i], json_null());
		else if (i == STATUS_INSTALLED_SIZE &&
		    live_decimal(s->value[i], &size) && size <= INT64_MAX)
			json_object_set_new(pkg, keys[i], json_integer((json_int_t)size));
		else
			live_set_bytes(pkg, keys[i], s->value[i], s->len[i]);
	}
	for (i = 0; i < s->long_count && i < STATUS_LONG_MAX; i++)
		json_array_append_new(truncated, live_string(s->long_fields[i],
		    strlen(s->long_fields[i])));
	json_object_set_new(pkg, "truncated_fields", truncated);
	json_object_set_new(pkg, "truncated_field_count",
	    json_integer((json_int_t)s->long_count));
}

/* One whole stanza as a package record; the reason when it is refused. */
static const char *
dpkg_package(struct dpkg *d, const struct status_stanza *s, json_t **out)
{
	const char *name = s->value[STATUS_PACKAGE];
	const char *arch = s->value[STATUS_ARCHITECTURE];
	json_t *pkg;

	*out = NULL;
	if (name == NULL)
		return "no Package field";
	if (!dpkg_name_ok(name, s->len[STATUS_PACKAGE]))
		return "a Package name dpkg would not accept";
	if (arch != NULL && !dpkg_name_ok(arch, s->len[STATUS_ARCHITECTURE]))
		return "an Architecture dpkg would not accept";
	if ((pkg = json_object()) == NULL)
		return "out of memory";
	dpkg_fields(pkg, s);
	if (dpkg_installed_at(d, pkg, name, arch) != 0 ||
	    dpkg_conffiles(d, pkg, s, name) != 0 ||
	    dpkg_md5sums(d, pkg, name, arch) != 0) {
		json_decref(pkg);
		return "out of memory, or the table of package digests is full";
	}
	*out = pkg;
	return NULL;
}

/* Every stanza of the status file. 0, or -1 on a read error. */
static int
dpkg_stanzas(struct dpkg *d, struct status_reader *r)
{
	const char *reason;
	json_t *pkg;
	int rc;

	while ((rc = status_next(r)) == 1) {
		reason = r->stanza.reason;
		if (reason == NULL && json_array_size(d->packages) == PACKAGES_MAX) {
			d->packages_truncated = true;
			break;
		}
		if (reason == NULL)
			reason = dpkg_package(d, &r->stanza, &pkg);
		if (reason != NULL) {
			packages_reject(&d->stanzas, DPKG_STATUS,
			    r->stanza.reason != NULL ? r->stanza.reason_line :
			    r->stanza.first_line, reason);
			continue;
		}
		json_array_append_new(d->packages, pkg);
	}
	return rc;
}

/* The summary of the status file and of the md5sums read. */
static int
dpkg_summary(struct dpkg *d, json_t *doc, const struct status_reader *r)
{
	json_t *status = json_pack("{s:s, s:I, s:I, s:b}", "path", DPKG_STATUS,
	    "bytes", (json_int_t)r->total, "lines", (json_int_t)r->line_number,
	    "truncated", r->over_cap);
	json_t *sums = json_pack("{s:s, s:I, s:I, s:I}", "directory", DPKG_INFO,
	    "files", (json_int_t)d->md5sums_files,
	    "digests", (json_int_t)d->digests,
	    "truncated_files", (json_int_t)d->truncated_lists);

	if (d->info < 0 && sums != NULL)
		live_set_errno(sums, "error", d->info_errno);
	if (json_object_set_new(doc, "status", status) != 0 ||
	    json_object_set_new(doc, "md5sums", sums) != 0 ||
	    json_object_set_new(doc, "count",
	    json_integer((json_int_t)json_array_size(d->packages))) != 0 ||
	    json_object_set_new(doc, "packages_truncated",
	    json_boolean(d->packages_truncated)) != 0 ||
	    json_object_set(doc, "packages", d->packages) != 0 ||
	    packages_rejects_set(doc, "rejected_stanzas", &d->stanzas) != 0 ||
	    packages_rejects_set(doc, "rejected_lines", &d->lines) != 0 ||
	    json_object_set_new(doc, "log", json_string("/var/log/dpkg.log is "
	    "collected with /var/log by the profile's path entries")) != 0)
		return error_set("out of memory");
	return 0;
}

/* Open the status file, or say there is no dpkg (1). 0, 1 or -1. */
static int
dpkg_open(struct live_run *run, int *fd)
{
	char *path = packages_host_path(run, DPKG_STATUS);

	if (path == NULL)
		return -1;
	*fd = util_open_file(AT_FDCWD, path, NULL);
	free(path);
	if (*fd < 0 && errno == ENOENT)
		return 1;
	return *fd < 0 ? -1 : 0;
}

/* Open the info directory, remembering why not. */
static void
dpkg_open_info(struct dpkg *d)
{
	char *path = packages_host_path(d->run, DPKG_INFO);

	d->info = path == NULL ? -1 : walk_open_dir(AT_FDCWD, path);
	d->info_errno = d->info < 0 ? errno : 0;
	free(path);
}

/*
 * The "dpkg" member: null without dpkg, an "error" when the status file
 * cannot be read (noted too). -1 only when out of memory.
 */
int
packages_dpkg(struct live_run *run, json_t **out)
{
	struct dpkg d = { .run = run };
	struct status_reader r;
	int fd, rc = dpkg_open(run, &fd);

	*out = rc == 1 ? json_null() : json_object();
	if (rc != 0) {
		if (rc < 0) {
			live_note(run->errors);
			json_object_set_new(*out, "error",
			    json_string(error_message()));
		}
		return 0;
	}
	if ((d.check = collector_pkgcheck(run->collector)) == NULL ||
	    status_reader_init(&r, fd, DPKG_STATUS) != 0) {
		close(fd);
		return -1;
	}
	dpkg_aliases(&d);
	dpkg_open_info(&d);
	d.packages = json_array();
	if (dpkg_stanzas(&d, &r) != 0) {
		live_note(run->errors);
		json_object_set_new(*out, "error", json_string(error_message()));
	}
	rc = dpkg_summary(&d, *out, &r);
	status_reader_free(&r);
	close(fd);
	if (d.info >= 0)
		close(d.info);
	json_decref(d.packages);
	json_decref(d.stanzas.list);
	json_decref(d.lines.list);
	return rc;
}
