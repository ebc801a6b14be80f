/* The native "dpkg -V": recorded digests checked against what is read. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"
#include "pkgcheck.h"

enum pkgcheck_state {
	PKGCHECK_UNREAD,
	PKGCHECK_OK,
	PKGCHECK_CHANGED,
	PKGCHECK_PARTIAL	/* read only in part: not checked */
};

/* One file a package manager recorded a digest for. */
struct pkgcheck_file {
	char		*path;
	const char	*status;	/* PARTIAL: the collector's status */
	uint32_t	 package;
	uint8_t		 alg;
	uint8_t		 state;
	bool		 conffile;
	unsigned char	 expected[32];
	unsigned char	 actual[32];
};

struct pkgcheck {
	struct pkgcheck_file	*files;
	size_t			 count;
	size_t			 size;
	uint32_t		*slots;		/* index + 1; 0 empty */
	size_t			 capacity;	/* a power of two */
	char			**packages;
	size_t			 package_count;
	size_t			 package_size;
	size_t			 duplicates;
	struct pkgcheck_file	*current;	/* the file being read, or NULL */
	EVP_MD_CTX		*md5;
	bool			 md5_failed;
};

/* The digest length of an algorithm. */
static size_t
pkgcheck_alg_len(enum pkgcheck_alg alg)
{
	return alg == PKGCHECK_MD5 ? 16 : 32;
}

/* FNV-1a of a path, for the table. */
static uint64_t
pkgcheck_hash(const char *path)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *path != '\0'; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ULL;
	return h;
}

/* The slot holding path, or the empty slot where it would go. */
static uint32_t *
pkgcheck_slot(const struct pkgcheck *pc, const char *path)
{
	size_t mask = pc->capacity - 1, i = pkgcheck_hash(path) & mask;

	while (pc->slots[i] != 0 &&
	    strcmp(pc->files[pc->slots[i] - 1].path, path) != 0)
		i = (i + 1) & mask;
	return &pc->slots[i];
}

/* Double the table when it is half full. 0 or -1. */
static int
pkgcheck_rehash(struct pkgcheck *pc)
{
	size_t i, capacity = pc->capacity == 0 ? 1024 : pc->capacity * 2;
	uint32_t *old = pc->slots;

	if (pc->count < pc->capacity / 2)
		return 0;
	if ((pc->slots = calloc(capacity, sizeof *pc->slots)) == NULL) {
		pc->slots = old;
		return error_set_errno("calloc");
	}
	pc->capacity = capacity;
	for (i = 0; i < pc->count; i++)
		*pkgcheck_slot(pc, pc->files[i].path) = (uint32_t)(i + 1);
	free(old);
	return 0;
}

struct pkgcheck *
pkgcheck_new(void)
{
	struct pkgcheck *pc = calloc(1, sizeof *pc);

	if (pc == NULL) {
		error_set_errno("calloc");
		return NULL;
	}
	if ((pc->md5 = EVP_MD_CTX_new()) == NULL || pkgcheck_rehash(pc) != 0) {
		pkgcheck_free(pc);
		error_set("out of memory");
		return NULL;
	}
	return pc;
}

void
pkgcheck_free(struct pkgcheck *pc)
{
	size_t i;

	if (pc == NULL)
		return;
	for (i = 0; i < pc->count; i++)
		free(pc->files[i].path);
	for (i = 0; i < pc->package_count; i++)
		free(pc->packages[i]);
	free(pc->files);
	free(pc->slots);
	free(pc->packages);
	EVP_MD_CTX_free(pc->md5);
	free(pc);
}

/* The number of a package's name; the last one is reused. */
int
pkgcheck_package(struct pkgcheck *pc, const char *name)
{
	char **grown;

	if (pc->package_count > 0 &&
	    strcmp(pc->packages[pc->package_count - 1], name) == 0)
		return (int)pc->package_count - 1;
	if (pc->package_count == PKGCHECK_PACKAGES_MAX)
		return error_set("more than %zu packages", PKGCHECK_PACKAGES_MAX);
	if (pc->package_count == pc->package_size) {
		pc->package_size = pc->package_size == 0 ? 256 : pc->package_size * 2;
		grown = reallocarray(pc->packages, pc->package_size, sizeof *grown);
		if (grown == NULL)
			return error_set_errno("reallocarray");
		pc->packages = grown;
	}
	if ((pc->packages[pc->package_count] = strdup(name)) == NULL)
		return error_set_errno("strdup");
	return (int)pc->package_count++;
}

/* Room for one more file. 0 or -1. */
static int
pkgcheck_room(struct pkgcheck *pc)
{
	struct pkgcheck_file *grown;

	if (pc->count == PKGCHECK_FILES_MAX)
		return error_set("more than %zu package files", PKGCHECK_FILES_MAX);
	if (pc->count == pc->size) {
		pc->size = pc->size == 0 ? 4096 : pc->size * 2;
		grown = reallocarray(pc->files, pc->size, sizeof *grown);
		if (grown == NULL)
			return error_set_errno("reallocarray");
		pc->files = grown;
	}
	return pkgcheck_rehash(pc);
}

/* Record the digest a package manager expects at path. */
int
pkgcheck_add(struct pkgcheck *pc, const char *path, int package,
    enum pkgcheck_alg alg, const unsigned char *digest, bool conffile)
{
	struct pkgcheck_file *f;
	uint32_t *slot;

	if (pkgcheck_room(pc) != 0)
		return -1;
	slot = pkgcheck_slot(pc, path);
	if (*slot != 0) {
		f = &pc->files[*slot - 1];
		if (!conffile || f->conffile) {
			pc->duplicates++;
			return 0;
		}
	} else {
		f = &pc->files[pc->count];
		memset(f, 0, sizeof *f);
		if ((f->path = strdup(path)) == NULL)
			return error_set_errno("strdup");
		*slot = (uint32_t)++pc->count;
	}
	f->package = (uint32_t)package;
	f->alg = (uint8_t)alg;
	f->conffile = conffile;
	memcpy(f->expected, digest, pkgcheck_alg_len(alg));
	return 0;
}

size_t
pkgcheck_count(const struct pkgcheck *pc)
{
	return pc == NULL ? 0 : pc->count;
}

/* Start checking the file at path when a digest is recorded for it. */
void
pkgcheck_begin(struct pkgcheck *pc, const char *path)
{
	uint32_t slot;

	if (pc == NULL)
		return;
	pc->current = NULL;
	if ((slot = *pkgcheck_slot(pc, path)) == 0)
		return;
	pc->current = &pc->files[slot - 1];
	pc->md5_failed = pc->current->alg == PKGCHECK_MD5 &&
	    EVP_DigestInit_ex(pc->md5, EVP_md5(), NULL) != 1;
}

/* The bytes of the file being checked, as they are read. */
void
pkgcheck_data(struct pkgcheck *pc, const void *data, size_t len)
{
	if (pc == NULL || pc->current == NULL ||
	    pc->current->alg != PKGCHECK_MD5 || pc->md5_failed)
		return;
	if (EVP_DigestUpdate(pc->md5, data, len) != 1)
		pc->md5_failed = true;
}

/* Log a file whose content is not what its package recorded. */
static void
pkgcheck_log(struct pkgcheck *pc, struct collector *c,
    const struct pkgcheck_file *f)
{
	char expected[65], actual[65], *name;
	size_t len = pkgcheck_alg_len(f->alg);

	if ((name = util_escape(f->path, strlen(f->path))) == NULL)
		return;
	util_hex(f->expected, len, expected);
	util_hex(f->actual, len, actual);
	collector_log(c, "package file changed: '%s' (package %s%s): "
	    "expected %s %s, read %s", name, pc->packages[f->package],
	    f->conffile ? ", conffile" : "",
	    f->alg == PKGCHECK_MD5 ? "md5" : "sha256", expected, actual);
	free(name);
}

/* The file is read: compare what was read with what was recorded. */
void
pkgcheck_end(struct pkgcheck *pc, struct collector *c, bool whole,
    const char *status, const unsigned char sha256[32])
{
	struct pkgcheck_file *f;
	unsigned int n = 0;

	if (pc == NULL || (f = pc->current) == NULL)
		return;
	pc->current = NULL;
	if (f->alg == PKGCHECK_MD5 && !pc->md5_failed &&
	    EVP_DigestFinal_ex(pc->md5, f->actual, &n) != 1)
		pc->md5_failed = true;
	if (f->alg == PKGCHECK_SHA256)
		memcpy(f->actual, sha256, 32);
	if (!whole || pc->md5_failed) {
		f->state = PKGCHECK_PARTIAL;
		f->status = pc->md5_failed ? "md5 failed" : status;
		return;
	}
	f->state = memcmp(f->actual, f->expected, pkgcheck_alg_len(f->alg)) == 0 ?
	    PKGCHECK_OK : PKGCHECK_CHANGED;
	if (f->state == PKGCHECK_CHANGED)
		pkgcheck_log(pc, c, f);
}

/* ---- The report. */

/* A file's path and package, the start of every record. */
static json_t *
pkgcheck_record(const struct pkgcheck *pc, const struct pkgcheck_file *f)
{
	json_t *r = json_object();
	char *escaped = NULL;
	json_t *path;

	if (r == NULL)
		return NULL;
	if (util_utf8_valid(f->path, strlen(f->path)))
		path = json_string(f->path);
	else if ((escaped = util_escape(f->path, strlen(f->path))) != NULL)
		path = json_string(escaped);
	else
		path = NULL;
	free(escaped);
	if (json_object_set_new(r, "path", path) != 0 ||
	    json_object_set_new(r, "package",
	    json_string(pc->packages[f->package])) != 0 ||
	    json_object_set_new(r, "conffile", json_boolean(f->conffile)) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* A changed file: what was recorded and what was read. */
static json_t *
pkgcheck_changed(const struct pkgcheck *pc, const struct pkgcheck_file *f)
{
	char expected[65], actual[65];
	size_t len = pkgcheck_alg_len(f->alg);
	json_t *r = pkgcheck_record(pc, f);

	if (r == NULL)
		return NULL;
	util_hex(f->expected, len, expected);
	util_hex(f->actual, len, actual);
	if (json_object_set_new(r, "algorithm",
	    json_string(f->alg == PKGCHECK_MD5 ? "md5" : "sha256")) != 0 ||
	    json_object_set_new(r, "expected", json_string(expected)) != 0 ||
	    json_object_set_new(r, "actual", json_string(actual)) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* A file that was there but not checked, and why. */
static json_t *
pkgcheck_unchecked(const struct pkgcheck *pc, const struct pkgcheck_file *f,
    const char *reason)
{
	json_t *r = pkgcheck_record(pc, f);

	if (r != NULL && json_object_set_new(r, "reason",
	    json_string(reason)) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* The lists and counts of the report. */
struct pkgcheck_lists {
	json_t	*changed;
	json_t	*missing;
	json_t	*unchecked;
	size_t	 counts[3];	/* of each, past the cap too */
	size_t	 ok;
	size_t	 outside;
};

/* Append to one list, within its cap. 0 or -1. */
static int
pkgcheck_list_add(struct pkgcheck_lists *l, int which, json_t *r)
{
	json_t *list = which == 0 ? l->changed : which == 1 ? l->missing :
	    l->unchecked;

	if (r == NULL)
		return error_set("out of memory");
	if (l->counts[which]++ >= PKGCHECK_LIST_MAX) {
		json_decref(r);
		return 0;
	}
	return json_array_append_new(list, r) == 0 ? 0 :
	    error_set("out of memory");
}

/* Sort one file not read into missing, unchecked or outside the collection. */
static int
pkgcheck_unread(const struct pkgcheck *pc, const struct pkgcheck_file *f,
    struct pkgcheck_lists *l, bool (*reached)(void *, const char *), void *arg)
{
	struct stat st;

	if (!reached(arg, f->path)) {
		l->outside++;
		return 0;
	}
	if (lstat(f->path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return pkgcheck_list_add(l, 1, pkgcheck_record(pc, f));
	return pkgcheck_list_add(l, 2, pkgcheck_unchecked(pc, f,
	    S_ISREG(st.st_mode) ? "not read (excluded, skipped or unreadable: "
	    "see the manifest)" : "not a regular file"));
}

/* Sort one file into the lists. */
static int
pkgcheck_sort(const struct pkgcheck *pc, const struct pkgcheck_file *f,
    struct pkgcheck_lists *l, bool (*reached)(void *, const char *), void *arg)
{
	switch (f->state) {
	case PKGCHECK_OK:
		l->ok++;
		return 0;
	case PKGCHECK_CHANGED:
		return pkgcheck_list_add(l, 0, pkgcheck_changed(pc, f));
	case PKGCHECK_PARTIAL:
		return pkgcheck_list_add(l, 2, pkgcheck_unchecked(pc, f, f->status));
	default:
		return pkgcheck_unread(pc, f, l, reached, arg);
	}
}

/* Put the counts and lists into the report. 0 or -1. */
static int
pkgcheck_report_fill(json_t *doc, const struct pkgcheck *pc,
    struct pkgcheck_lists *l)
{
	size_t checked = l->ok + l->counts[0];

	if (json_object_set_new(doc, "recorded", json_integer((json_int_t)pc->count)) ||
	    json_object_set_new(doc, "duplicates",
	    json_integer((json_int_t)pc->duplicates)) ||
	    json_object_set_new(doc, "checked", json_integer((json_int_t)checked)) ||
	    json_object_set_new(doc, "ok", json_integer((json_int_t)l->ok)) ||
	    json_object_set_new(doc, "changed_count",
	    json_integer((json_int_t)l->counts[0])) ||
	    json_object_set_new(doc, "missing_count",
	    json_integer((json_int_t)l->counts[1])) ||
	    json_object_set_new(doc, "unchecked_count",
	    json_integer((json_int_t)l->counts[2])) ||
	    json_object_set_new(doc, "outside", json_integer((json_int_t)l->outside)) ||
	    json_object_set_new(doc, "list_max", json_integer(PKGCHECK_LIST_MAX)) ||
	    json_object_set(doc, "changed", l->changed) ||
	    json_object_set(doc, "missing", l->missing) ||
	    json_object_set(doc, "unchecked", l->unchecked))
		return error_set("out of memory");
	return 0;
}

/* The report of the whole collection. */
json_t *
pkgcheck_report(struct pkgcheck *pc, bool (*reached)(void *, const char *),
    void *arg)
{
	struct pkgcheck_lists l = { json_array(), json_array(), json_array(),
	    { 0, 0, 0 }, 0, 0 };
	json_t *doc = json_object();
	size_t i;
	int rc = doc != NULL && l.changed != NULL && l.missing != NULL &&
	    l.unchecked != NULL ? 0 : error_set("out of memory");

	for (i = 0; rc == 0 && i < pc->count; i++)
		rc = pkgcheck_sort(pc, &pc->files[i], &l, reached, arg);
	if (rc == 0)
		rc = pkgcheck_report_fill(doc, pc, &l);
	json_decref(l.changed);
	json_decref(l.missing);
	json_decref(l.unchecked);
	if (rc != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The report as a live document: the usual leading members, then the report. */
static char *
pkgcheck_document(json_t *report, size_t *len)
{
	json_t *doc = json_object();
	char *text = NULL;

	if (doc != NULL &&
	    json_object_set_new(doc, "source", json_string("packages")) == 0 &&
	    json_object_set_new(doc, "collected", live_now()) == 0 &&
	    json_object_set_new(doc, "format_version",
	    json_integer(LIVE_FORMAT_VERSION)) == 0 &&
	    json_object_update(doc, report) == 0)
		text = json_dumps(doc, JSON_INDENT(1));
	json_decref(doc);
	if (text == NULL) {
		error_set("cannot encode the package check");
		return NULL;
	}
	*len = strlen(text);
	return text;
}

/* Archive the report and log its counts. */
int
pkgcheck_write(struct pkgcheck *pc, struct collector *c,
    bool (*reached)(void *, const char *))
{
	struct live_run run = { .collector = c, .name = "packages", .root = "" };
	json_t *report = pkgcheck_report(pc, reached, c);
	char *text;
	size_t len;
	int rc;

	if (report == NULL)
		return -1;
	collector_log(c, "package files: %lld checked, %lld changed, %lld "
	    "missing, %lld not checked, of %zu recorded",
	    (long long)json_integer_value(json_object_get(report, "checked")),
	    (long long)json_integer_value(json_object_get(report, "changed_count")),
	    (long long)json_integer_value(json_object_get(report, "missing_count")),
	    (long long)json_integer_value(json_object_get(report,
	    "unchecked_count")), pc->count);
	text = pkgcheck_document(report, &len);
	json_decref(report);
	if (text == NULL)
		return -1;
	rc = live_add_member(&run, "verify.json", text, len,
	    "digests recorded by dpkg and rpm, compared with the files read");
	free(text);
	return rc;
}
