/*
 * rpm: the package database where there is one. rpmdb.sqlite (rpm 4.16
 * and later) is read into memory (O_NOATIME, never through a path SQLite
 * opens) and queried read-only from there, so that nothing on the host is
 * written, locked or touched; its header blobs are decoded by
 * lib/rpmheader.c. Berkeley DB (Packages, RHEL 8 and older) and ndb
 * (Packages.db, SUSE) are recognised by their magic and recorded.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "custody/error.h"
#include "custody/rpmheader.h"
#include "custody/util.h"

#include "collector.h"
#include "live-packages.h"
#include "pkgcheck.h"

#define RPMDB_SQLITE_MAX	((size_t)1 << 30)	/* bytes of rpmdb.sqlite read */
#define RPMFILE_CONFIG		(1u << 0)
#define RPMFILE_GHOST		(1u << 6)

/* Where rpm keeps its database: the newer place first. */
static const char *const rpm_dirs[] = { "/usr/lib/sysimage/rpm", "/var/lib/rpm" };

/* What the rpm reader works with. */
struct rpm {
	struct live_run		*run;
	struct pkgcheck		*check;
	struct packages_rejects	 rejected;
	json_t			*packages;
	bool			 packages_truncated;
	size_t			 files;		/* listed so far */
	bool			 files_truncated;
	size_t			 digests;
	struct stat		 seen[3];	/* databases read (one may be a link to another) */
	size_t			 seen_count;
};

/* The name of a file digest algorithm (OpenPGP numbers, as rpm uses). */
static const char *
rpm_digest_name(uint64_t algo)
{
	switch (algo) {
	case 1: return "md5";
	case 2: return "sha1";
	case 8: return "sha256";
	case 9: return "sha384";
	case 10: return "sha512";
	case 11: return "sha224";
	default: return NULL;
	}
}

/* Set key to a string tag's value, null when absent; -1 when malformed. */
static int
rpm_set_string(json_t *pkg, const struct rpmheader *h, uint32_t tag,
    const char *key)
{
	struct rpmheader_entry e;
	const char *s;
	size_t pos = 0;
	int rc = rpmheader_find(h, tag, &e);

	if (rc == 1 && (s = rpmheader_string(&e, &pos)) != NULL)
		live_set_bytes(pkg, key, s, strlen(s));
	else if (rc == 1)
		return error_set("rpm header tag %u: not a string", tag);
	else
		json_object_set_new(pkg, key, json_null());
	return rc < 0 ? -1 : 0;
}

/* Set key to the first value of an integer tag, null when absent. */
static int
rpm_set_integer(json_t *pkg, const struct rpmheader *h, uint32_t tag,
    const char *key, bool time)
{
	struct rpmheader_entry e;
	struct timespec ts = { 0, 0 };
	char text[UTIL_TIME_SIZE];
	int rc = rpmheader_find(h, tag, &e);
	uint64_t v;

	if (rc <= 0) {
		json_object_set_new(pkg, key, json_null());
		return rc;
	}
	if (e.type != RPMHEADER_INT32 && e.type != RPMHEADER_INT64)
		return error_set("rpm header tag %u: not an integer", tag);
	v = rpmheader_integer(&e, 0);
	if (!time || v > INT32_MAX * 2ULL + 1)
		return json_object_set_new(pkg, key,
		    json_integer((json_int_t)(v & INT64_MAX)));
	ts.tv_sec = (time_t)v;
	util_time_format(&ts, text);
	return json_object_set_new(pkg, key, json_string(text));
}

/* SIGMD5: the MD5 of the package's header and payload, in hex. */
static int
rpm_set_sigmd5(json_t *pkg, const struct rpmheader *h)
{
	struct rpmheader_entry e;
	char hex[33];
	int rc = rpmheader_find(h, RPMTAG_SIGMD5, &e);

	if (rc == 1 && (e.type != RPMHEADER_BIN || e.count != 16))
		return error_set("rpm header SIGMD5: not 16 bytes");
	if (rc == 1)
		util_hex(e.data, 16, hex);
	json_object_set_new(pkg, "sigmd5", rc == 1 ? json_string(hex) : json_null());
	return rc < 0 ? -1 : 0;
}

/* The parallel arrays of a package's files. */
struct rpm_files {
	struct rpmheader_entry	base, dirs, index, digests, sizes, modes, flags;
	const char		**dir;		/* the directory names, by index */
	uint32_t		 count;
	enum pkgcheck_alg	 alg;
	bool			 checkable;	/* digests in an algorithm we compute */
};

/* Find an array of count values of tag; optional ones may be absent. */
static int
rpm_array(const struct rpmheader *h, uint32_t tag, uint32_t count,
    struct rpmheader_entry *e, bool optional)
{
	int rc = rpmheader_find(h, tag, e);

	if (rc == 0 && optional) {
		e->count = 0;
		return 0;
	}
	if (rc == 0)
		return error_set("rpm header: tag %u missing for %u files", tag, count);
	if (rc < 0)
		return -1;
	if (e->count != count)
		return error_set("rpm header tag %u: %u values for %u files",
		    tag, e->count, count);
	return 0;
}

/* Gather and check the file arrays. 0, or -1 when they disagree. */
static int
rpm_files_open(const struct rpmheader *h, struct rpm_files *f)
{
	size_t pos = 0;
	uint32_t i;

	memset(f, 0, sizeof *f);
	switch (rpmheader_find(h, RPMTAG_BASENAMES, &f->base)) {
	case -1:
		return -1;
	case 0:
		if (rpmheader_find(h, RPMTAG_OLDFILENAMES, &f->base) != 0)
			return error_set("rpm header: an old-style file list "
			    "(OLDFILENAMES), not read");
		return 0;	/* a package without files */
	}
	f->count = f->base.count;
	if (f->base.type != RPMHEADER_STRING_ARRAY ||
	    rpm_array(h, RPMTAG_DIRINDEXES, f->count, &f->index, false) != 0 ||
	    rpmheader_find(h, RPMTAG_DIRNAMES, &f->dirs) != 1 ||
	    f->dirs.type != RPMHEADER_STRING_ARRAY ||
	    rpm_array(h, RPMTAG_FILEDIGESTS, f->count, &f->digests, true) != 0 ||
	    (f->digests.count > 0 && f->digests.type != RPMHEADER_STRING_ARRAY) ||
	    rpm_array(h, RPMTAG_FILESIZES, f->count, &f->sizes, true) != 0 ||
	    rpm_array(h, RPMTAG_FILEMODES, f->count, &f->modes, true) != 0 ||
	    rpm_array(h, RPMTAG_FILEFLAGS, f->count, &f->flags, true) != 0)
		return error_set("rpm header: file lists that do not agree (%s)",
		    error_message());
	if ((f->dir = calloc(f->dirs.count, sizeof *f->dir)) == NULL)
		return error_set_errno("calloc");
	for (i = 0; i < f->dirs.count; i++)
		f->dir[i] = rpmheader_string(&f->dirs, &pos);
	for (i = 0; i < f->count; i++)
		if (rpmheader_integer(&f->index, i) >= f->dirs.count)
			return error_set("rpm header: file %u names directory %llu "
			    "of %u", i, (unsigned long long)
			    rpmheader_integer(&f->index, i), f->dirs.count);
	return 0;
}

/* Record a file's digest for the check, when it is a regular file we can compare. */
static void
rpm_check_file(struct rpm *r, const struct rpm_files *f, int package,
    const char *path, const char *digest, uint32_t i)
{
	unsigned char bytes[32];
	size_t len = f->alg == PKGCHECK_MD5 ? 16 : 32;
	uint64_t mode = rpmheader_integer(&f->modes, i);
	uint64_t flags = rpmheader_integer(&f->flags, i);
	char *host;

	if (!f->checkable || package < 0 || !S_ISREG((mode_t)mode) ||
	    (flags & RPMFILE_GHOST) || strlen(digest) != len * 2 ||
	    util_unhex(digest, bytes, len) != 0)
		return;
	if ((host = packages_host_path(r->run, path)) == NULL ||
	    pkgcheck_add(r->check, host, package, f->alg, bytes,
	    (flags & RPMFILE_CONFIG) != 0) != 0)
		live_note(r->run->errors);
	else
		r->digests++;
	free(host);
}

/* One file as a record. */
static json_t *
rpm_file(const struct rpm_files *f, const char *path, const char *digest,
    uint32_t i)
{
	json_t *file = json_object();

	live_set_bytes(file, "path", path, strlen(path));
	json_object_set_new(file, "digest", digest != NULL && digest[0] != '\0' ?
	    json_string(digest) : json_null());
	json_object_set_new(file, "size", f->sizes.count > 0 ? json_integer(
	    (json_int_t)rpmheader_integer(&f->sizes, i)) : json_null());
	json_object_set_new(file, "mode", f->modes.count > 0 ? json_integer(
	    (json_int_t)rpmheader_integer(&f->modes, i)) : json_null());
	json_object_set_new(file, "config", json_boolean(f->flags.count > 0 &&
	    (rpmheader_integer(&f->flags, i) & RPMFILE_CONFIG)));
	return file;
}

/* Every file of a package, listed (within the cap) and given to the check. */
static int
rpm_files_list(struct rpm *r, json_t *pkg, struct rpm_files *f, int package)
{
	size_t base_pos = 0, digest_pos = 0;
	json_t *list = json_array();
	const char *base, *digest;
	char *path;
	uint32_t i;

	for (i = 0; i < f->count; i++) {
		base = rpmheader_string(&f->base, &base_pos);
		digest = f->digests.count > 0 ?
		    rpmheader_string(&f->digests, &digest_pos) : NULL;
		if (digest == NULL)
			digest = "";
		if (asprintf(&path, "%s%s",
		    f->dir[rpmheader_integer(&f->index, i)], base) < 0) {
			json_decref(list);
			return error_set_errno("asprintf");
		}
		rpm_check_file(r, f, package, path, digest, i);
		if (r->files < PACKAGES_RPM_FILES_MAX) {
			json_array_append_new(list, rpm_file(f, path, digest, i));
			r->files++;
		} else
			r->files_truncated = true;
		free(path);
	}
	return json_object_set_new(pkg, "files", list);
}

/* The files of a package and their digest algorithm; a bad list is noted. */
static int
rpm_files(struct rpm *r, json_t *pkg, const struct rpmheader *h, int package)
{
	struct rpmheader_entry algo;
	struct rpm_files f;
	uint64_t number = 1;	/* MD5 when the header does not say */
	int rc;

	if ((rc = rpmheader_find(h, RPMTAG_FILEDIGESTALGO, &algo)) == 1)
		number = rpmheader_integer(&algo, 0);
	json_object_set_new(pkg, "file_digest_algorithm",
	    rpm_digest_name(number) != NULL ?
	    json_string(rpm_digest_name(number)) : json_integer((json_int_t)number));
	if (rc < 0 || rpm_files_open(h, &f) != 0) {
		free(rc < 0 ? NULL : f.dir);
		json_object_set_new(pkg, "files", json_array());
		json_object_set_new(pkg, "files_error", json_string(error_message()));
		return 0;
	}
	f.checkable = number == 1 || number == 8;
	f.alg = number == 1 ? PKGCHECK_MD5 : PKGCHECK_SHA256;
	json_object_set_new(pkg, "file_count", json_integer((json_int_t)f.count));
	rc = rpm_files_list(r, pkg, &f, package);
	free(f.dir);
	return rc;
}

/* One header blob as a package record, or NULL (error_set) when it is malformed. */
static json_t *
rpm_package(struct rpm *r, const void *blob, size_t len)
{
	struct rpmheader h;
	json_t *pkg;
	const char *name;
	int id = -1;

	if (rpmheader_open(&h, blob, len) != 0 || (pkg = json_object()) == NULL)
		return NULL;
	if (rpm_set_string(pkg, &h, RPMTAG_NAME, "name") != 0 ||
	    rpm_set_string(pkg, &h, RPMTAG_VERSION, "version") != 0 ||
	    rpm_set_string(pkg, &h, RPMTAG_RELEASE, "release") != 0 ||
	    rpm_set_integer(pkg, &h, RPMTAG_EPOCH, "epoch", false) < 0 ||
	    rpm_set_string(pkg, &h, RPMTAG_ARCH, "arch") != 0 ||
	    rpm_set_integer(pkg, &h, RPMTAG_INSTALLTIME, "installed_at", true) < 0 ||
	    rpm_set_string(pkg, &h, RPMTAG_VENDOR, "vendor") != 0 ||
	    rpm_set_sigmd5(pkg, &h) != 0) {
		json_decref(pkg);
		return NULL;
	}
	name = json_string_value(json_object_get(pkg, "name"));
	if (name != NULL && (id = pkgcheck_package(r->check, name)) < 0)
		live_note(r->run->errors);
	if (rpm_files(r, pkg, &h, id) != 0) {
		json_decref(pkg);
		return NULL;
	}
	return pkg;
}

/* Every row of the Packages table. */
static int
rpm_rows(struct rpm *r, sqlite3 *db)
{
	sqlite3_stmt *st;
	const void *blob;
	json_t *pkg;
	char reason[512];
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT hnum, blob FROM Packages ORDER BY hnum",
	    -1, &st, NULL) != SQLITE_OK)
		return error_set("rpmdb.sqlite: %s", sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json_array_size(r->packages) == PACKAGES_MAX) {
			r->packages_truncated = true;
			break;
		}
		blob = sqlite3_column_blob(st, 1);
		pkg = blob == NULL ? NULL : rpm_package(r, blob,
		    (size_t)sqlite3_column_bytes(st, 1));
		if (pkg != NULL) {
			json_array_append_new(r->packages, pkg);
			continue;
		}
		snprintf(reason, sizeof reason, "%s", blob == NULL ?
		    "an empty or non-blob header" : error_message());
		packages_reject(&r->rejected, "Packages",
		    (unsigned long long)sqlite3_column_int64(st, 0), reason);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return error_set("rpmdb.sqlite: %s", sqlite3_errmsg(db));
	return 0;
}

/* Open a copy of the database held in memory, read-only. */
static sqlite3 *
rpm_sqlite_open(unsigned char *data, size_t len)
{
	sqlite3 *db;
	unsigned char *copy;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		error_set("sqlite: cannot open a memory database");
		sqlite3_close(db);
		return NULL;
	}
	if ((copy = sqlite3_malloc64(len)) == NULL) {
		sqlite3_close(db);
		error_set("out of memory");
		return NULL;
	}
	memcpy(copy, data, len);
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len,
	    (sqlite3_int64)len, SQLITE_DESERIALIZE_FREEONCLOSE |
	    SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
		error_set("rpmdb.sqlite: %s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* rpmdb.sqlite: every package, or an error noted in db. */
static int
rpm_sqlite(struct rpm *r, json_t *db_doc, const char *path)
{
	struct live_file f;
	sqlite3 *db;
	int rc = 0;

	if (live_read(AT_FDCWD, path, RPMDB_SQLITE_MAX, &f) != 0)
		return json_object_set_new(db_doc, "error",
		    json_string(error_message()));
	if (f.truncated)
		error_set("%s: larger than %zu bytes", path, RPMDB_SQLITE_MAX);
	db = f.truncated ? NULL : rpm_sqlite_open((unsigned char *)f.data, f.len);
	free(f.data);
	if (db == NULL)
		return json_object_set_new(db_doc, "error",
		    json_string(error_message()));
	if (rpm_rows(r, db) != 0)
		rc = json_object_set_new(db_doc, "error", json_string(error_message()));
	sqlite3_close(db);
	return rc;
}

/* What a Berkeley DB or ndb file's first bytes say it is. */
static const char *
rpm_magic(const char *path)
{
	unsigned char head[16];
	struct live_file f;
	const char *format = "unknown";
	uint32_t le, be;

	if (live_read(AT_FDCWD, path, sizeof head, &f) != 0)
		return NULL;
	if (f.len >= 4 && memcmp(f.data, "RpmP", 4) == 0)
		format = "ndb";
	else if (f.len >= 16) {
		memcpy(head, f.data, 16);
		le = (uint32_t)head[12] | (uint32_t)head[13] << 8 |
		    (uint32_t)head[14] << 16 | (uint32_t)head[15] << 24;
		be = (uint32_t)head[15] | (uint32_t)head[14] << 8 |
		    (uint32_t)head[13] << 16 | (uint32_t)head[12] << 24;
		if (le == 0x061561 || be == 0x061561)
			format = "bdb-hash";
		else if (le == 0x053162 || be == 0x053162)
			format = "bdb-btree";
	}
	free(f.data);
	return format;
}

/* One database file found: its kind, size and time, and its packages for sqlite. */
static int
rpm_database(struct rpm *r, json_t *list, const char *path, const char *kind,
    const struct stat *st)
{
	char mtime[UTIL_TIME_SIZE];
	const char *format = strcmp(kind, "sqlite") == 0 ? "sqlite" : rpm_magic(path);
	json_t *db = json_object();

	util_time_format(&st->st_mtim, mtime);
	live_set_bytes(db, "path", path + strlen(r->run->root),
	    strlen(path + strlen(r->run->root)));
	json_object_set_new(db, "expected", json_string(kind));
	json_object_set_new(db, "format", format != NULL ?
	    json_string(format) : json_null());
	json_object_set_new(db, "size", json_integer((json_int_t)st->st_size));
	json_object_set_new(db, "mtime", json_string(mtime));
	if (format == NULL)
		json_object_set_new(db, "error", json_string(error_message()));
	else if (strcmp(kind, "sqlite") == 0 && rpm_sqlite(r, db, path) != 0)
		return -1;
	else if (strcmp(kind, "sqlite") != 0)
		json_object_set_new(db, "note", json_string("recognised and "
		    "recorded; its packages are not decoded (the file is "
		    "collected with /var/lib/rpm when a profile names it)"));
	return json_array_append_new(list, db);
}

/* True when this file was found before (through a link); else remember it. */
static bool
rpm_seen(struct rpm *r, const struct stat *st)
{
	size_t i;

	for (i = 0; i < r->seen_count; i++)
		if (r->seen[i].st_dev == st->st_dev && r->seen[i].st_ino == st->st_ino)
			return true;
	if (r->seen_count < sizeof r->seen / sizeof r->seen[0])
		r->seen[r->seen_count++] = *st;
	return false;
}

/* Look for the databases in one directory. */
static int
rpm_directory(struct rpm *r, json_t *list, const char *dir)
{
	static const char *const names[][2] = { { "rpmdb.sqlite", "sqlite" },
	    { "Packages", "bdb" }, { "Packages.db", "ndb" } };
	struct stat st;
	char *path, *rel;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof names / sizeof names[0]; i++) {
		if (asprintf(&rel, "%s/%s", dir, names[i][0]) < 0)
			return error_set_errno("asprintf");
		path = packages_host_path(r->run, rel);
		free(rel);
		if (path == NULL)
			return -1;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    !rpm_seen(r, &st))
			rc = rpm_database(r, list, path, names[i][1], &st);
		free(path);
	}
	return rc;
}

/* The "rpm" member: null when there is no database. -1 only when fatal. */
int
packages_rpm(struct live_run *run, json_t **out)
{
	struct rpm r = { .run = run };
	json_t *list = json_array();
	size_t i;
	int rc = 0;

	*out = NULL;
	r.packages = json_array();
	if ((r.check = collector_pkgcheck(run->collector)) == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < sizeof rpm_dirs / sizeof rpm_dirs[0]; i++)
		rc = rpm_directory(&r, list, rpm_dirs[i]);
	if (rc == 0 && json_array_size(list) > 0) {
		*out = json_object();
		if (json_object_set(*out, "databases", list) != 0 ||
		    json_object_set_new(*out, "count",
		    json_integer((json_int_t)json_array_size(r.packages))) != 0 ||
		    json_object_set(*out, "packages", r.packages) != 0 ||
		    json_object_set_new(*out, "digests",
		    json_integer((json_int_t)r.digests)) != 0 ||
		    json_object_set_new(*out, "packages_truncated",
		    json_boolean(r.packages_truncated)) != 0 ||
		    json_object_set_new(*out, "files_truncated",
		    json_boolean(r.files_truncated)) != 0 ||
		    packages_rejects_set(*out, "rejected_headers", &r.rejected) != 0)
			rc = error_set("out of memory");
	}
	json_decref(list);
	json_decref(r.packages);
	json_decref(r.rejected.list);
	return rc;
}
