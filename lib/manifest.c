/* The manifest: a header line, one JSON line per entry, a trailer line. */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/util.h"

static const char *const manifest_statuses[] = {
	STATUS_OK, STATUS_CHANGED, STATUS_TRUNCATED, STATUS_SKIPPED,
	STATUS_METADATA, STATUS_ERROR, NULL
};

static const char *const manifest_kinds[] = {
	"file", "directory", "symlink", "fifo", "socket", "block-device",
	"char-device", "live", "unknown", NULL
};

/* The kind name of a stat mode. */
const char *
manifest_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symlink";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	case S_IFBLK:
		return "block-device";
	case S_IFCHR:
		return "char-device";
	default:
		return "unknown";
	}
}

/* Store bytes as a string when valid UTF-8, else as key_base64. */
int
manifest_set_bytes(json_t *object, const char *key, const char *data,
    size_t len)
{
	char alt[64], *b64;
	int rc;

	if (util_utf8_valid(data, len))
		return json_object_set_new(object, key,
		    json_stringn(data, len)) == 0 ? 0 :
		    error_set("manifest field \"%s\" cannot be stored", key);
	snprintf(alt, sizeof alt, "%s_base64", key);
	if ((b64 = util_base64(data, len)) == NULL)
		return -1;
	rc = json_object_set_new(object, alt, json_string(b64));
	free(b64);
	return rc == 0 ? 0 :
	    error_set("manifest field \"%s\" cannot be stored", alt);
}

/* A non-negative integer member, as the seal, proofs and types records count. */
bool
manifest_get_count(const json_t *object, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(object, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* Read back bytes stored by manifest_set_bytes. */
int
manifest_get_bytes(const json_t *object, const char *key, char **data,
    size_t *len)
{
	char alt[64];
	const json_t *value = json_object_get(object, key);
	unsigned char *raw;

	if (json_is_string(value)) {
		*len = json_string_length(value);
		if ((*data = malloc(*len + 1)) == NULL)
			return error_set_errno("malloc");
		memcpy(*data, json_string_value(value), *len + 1);
		return 0;
	}
	snprintf(alt, sizeof alt, "%s_base64", key);
	value = json_object_get(object, alt);
	if (!json_is_string(value))
		return error_set("no \"%s\"", key);
	if (util_unbase64(json_string_value(value), &raw, len) != 0)
		return error_set("\"%s\" is not valid base64", alt);
	raw[*len] = '\0';
	*data = (char *)raw;
	return 0;
}

/* Set a member to a new value; -1 when the value could not be made or set. */
static int
manifest_set(json_t *object, const char *key, json_t *value)
{
	/* json_string() is NULL for text that is not UTF-8: never drop a field. */
	if (value == NULL || json_object_set_new(object, key, value) != 0)
		return error_set("manifest field \"%s\" cannot be stored", key);
	return 0;
}

/* Add one timestamp field. */
static int
manifest_set_time(json_t *object, const char *key, const struct timespec *ts)
{
	char text[UTIL_TIME_SIZE];

	util_time_format(ts, text);
	return manifest_set(object, key, json_string(text));
}

/* Add the owner fields; a name from the host that is not UTF-8 goes in base64. */
static int
manifest_set_owner(json_t *o, const struct manifest_entry *e)
{
	const struct stat *st = e->st;

	if (manifest_set(o, "uid", json_integer(st->st_uid)) != 0 ||
	    (e->user != NULL && manifest_set_bytes(o, "user", e->user,
	    strlen(e->user)) != 0) ||
	    manifest_set(o, "gid", json_integer(st->st_gid)) != 0 ||
	    (e->group != NULL && manifest_set_bytes(o, "group", e->group,
	    strlen(e->group)) != 0))
		return -1;
	return 0;
}

/* Add the fields of struct stat. */
static int
manifest_set_stat(json_t *o, const struct manifest_entry *e)
{
	const struct stat *st = e->st;
	char mode[16];

	snprintf(mode, sizeof mode, "%04o", (unsigned)(st->st_mode & 07777));
	if (manifest_set(o, "source_size", json_integer(st->st_size)) != 0 ||
	    manifest_set(o, "mode", json_string(mode)) != 0 ||
	    manifest_set_owner(o, e) != 0 ||
	    manifest_set(o, "inode", json_integer((json_int_t)st->st_ino)) != 0 ||
	    manifest_set(o, "device", json_integer((json_int_t)st->st_dev)) != 0 ||
	    manifest_set(o, "links", json_integer((json_int_t)st->st_nlink)) != 0)
		return -1;
	if ((S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode)) &&
	    (manifest_set(o, "rdev_major", json_integer(major(st->st_rdev))) != 0 ||
	    manifest_set(o, "rdev_minor", json_integer(minor(st->st_rdev))) != 0))
		return -1;
	if (manifest_set_time(o, "mtime", &st->st_mtim) != 0 ||
	    manifest_set_time(o, "atime", &st->st_atim) != 0 ||
	    manifest_set_time(o, "ctime", &st->st_ctim) != 0)
		return -1;
	return 0;
}

/* Add the member fields: size, digests, type. */
static int
manifest_set_content(json_t *o, const struct manifest_entry *e)
{
	char hex[HASH_HEX_SIZE];
	int alg;

	if (manifest_set(o, "size", json_integer(e->size)) != 0)
		return -1;
	for (alg = 0; alg < HASH_COUNT; alg++) {
		if (!(e->hashes->mask & HASH_MASK(alg)))
			continue;
		hash_set_hex(e->hashes, alg, hex);
		if (manifest_set(o, hash_name(alg), json_string(hex)) != 0)
			return -1;
	}
	if (e->mime != NULL)
		return manifest_set(o, "mime", json_string(e->mime));
	if (e->mime_pending)
		return manifest_set(o, "mime", json_null());
	return 0;
}

/* The fields every entry has: type, names, kind, status, reason, origin. */
static int
manifest_set_names(json_t *o, const struct manifest_entry *e)
{
	if (manifest_set(o, "type", json_string("entry")) != 0 ||
	    (e->path != NULL &&
	    manifest_set_bytes(o, "path", e->path, e->path_len) != 0) ||
	    manifest_set_bytes(o, "source", e->source, e->source_len) != 0 ||
	    manifest_set(o, "kind", json_string(e->kind)) != 0 ||
	    manifest_set(o, "status", json_string(e->status)) != 0 ||
	    (e->reason != NULL &&
	    manifest_set(o, "reason", json_string(e->reason)) != 0) ||
	    (e->origin != NULL &&
	    manifest_set(o, "origin", json_string(e->origin)) != 0) ||
	    (e->class != NULL &&
	    manifest_set(o, "class", json_string(e->class)) != 0))
		return -1;
	return 0;
}

/* The counts of a directory's summary of skipped files. */
static int
manifest_set_summary(json_t *o, const struct manifest_entry *e)
{
	if (manifest_set(o, "skipped_files",
	    json_integer((json_int_t)e->skipped_files)) != 0 ||
	    manifest_set(o, "skipped_bytes",
	    json_integer((json_int_t)e->skipped_bytes)) != 0)
		return -1;
	return 0;
}

/* An entry as a JSON object. */
json_t *
manifest_entry_json(const struct manifest_entry *e)
{
	json_t *o = json_object();

	if (o == NULL || manifest_set_names(o, e) != 0 ||
	    ((e->has_content || e->hash_only) &&
	    manifest_set_content(o, e) != 0) ||
	    (e->summary && manifest_set_summary(o, e) != 0) ||
	    (e->st != NULL && manifest_set_stat(o, e) != 0) ||
	    (e->link_target != NULL &&
	    manifest_set_bytes(o, "link_target", e->link_target, e->link_len) != 0) ||
	    (e->atime_unprotected && manifest_set(o, "noatime", json_false()) != 0) ||
	    manifest_set_time(o, "collected", &e->collected) != 0) {
		error_prefix("cannot build manifest entry");
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Serialize an entry as one JSON line. */
char *
manifest_entry_line(const struct manifest_entry *e, size_t *len)
{
	json_t *o = manifest_entry_json(e);
	char *line;

	if (o == NULL)
		return NULL;
	line = manifest_dump(o, len);
	json_decref(o);
	return line;
}

/* A new header object. */
json_t *
manifest_header_new(void)
{
	return json_pack("{s:s, s:s, s:i}", "type", "header",
	    "format", "custody-manifest", "version", MANIFEST_VERSION);
}

/* Serialize a line compactly, keeping key order. */
char *
manifest_dump(const json_t *object, size_t *len)
{
	char *text = json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (text == NULL) {
		error_set("cannot serialize manifest line");
		return NULL;
	}
	*len = strlen(text);
	return text;
}

/* True when an archive path is one custody could have written. */
bool
manifest_path_safe(const char *path, size_t len)
{
	const char *p, *end = path + len, *slash;
	size_t part;

	if (memchr(path, '\0', len) != NULL)
		return false;
	if (!(len > 6 && strncmp(path, "files/", 6) == 0) &&
	    !(len > 5 && strncmp(path, "live/", 5) == 0))
		return false;
	for (p = path; p < end; p = slash + 1) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (slash == NULL)
			slash = end;
		part = (size_t)(slash - p);
		if (part == 0 || (part == 1 && p[0] == '.') ||
		    (part == 2 && p[0] == '.' && p[1] == '.'))
			return false;
	}
	return true;
}

/* Index of value in a NULL-terminated list, or -1. */
static int
manifest_list_index(const char *const *list, const char *value)
{
	int i;

	for (i = 0; value != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], value) == 0)
			return i;
	return -1;
}

/* Read the digests present in an entry; SHA-256 is required with content. */
static int
manifest_parse_hashes(struct manifest_record *r)
{
	static const size_t hex_len[HASH_COUNT] = { 64, 40, 32, 128 };
	const json_t *value;
	const char *text;
	int alg;

	for (alg = 0; alg < HASH_COUNT; alg++) {
		value = json_object_get(r->json, hash_name(alg));
		if (value == NULL)
			continue;
		text = json_string_value(value);
		if (text == NULL || strlen(text) != hex_len[alg] ||
		    strspn(text, "0123456789abcdef") != hex_len[alg])
			return error_set("malformed \"%s\"", hash_name(alg));
		strcpy(r->hashes[alg], text);
		r->hash_mask |= HASH_MASK(alg);
	}
	if (r->has_content && !(r->hash_mask & HASH_MASK(HASH_SHA256)))
		return error_set("entry with content has no sha256");
	return 0;
}

/* Check an entry line's fields. */
static int
manifest_parse_entry(struct manifest_record *r)
{
	const json_t *size;

	r->kind = json_string_value(json_object_get(r->json, "kind"));
	r->status = json_string_value(json_object_get(r->json, "status"));
	if (manifest_list_index(manifest_kinds, r->kind) < 0)
		return error_set("unknown kind");
	if (manifest_list_index(manifest_statuses, r->status) < 0)
		return error_set("unknown status");
	/* An entry has a member exactly when it names one. */
	r->has_content = json_object_get(r->json, "path") != NULL ||
	    json_object_get(r->json, "path_base64") != NULL;
	if (!r->has_content)
		return manifest_parse_hashes(r);
	if (strcmp(r->kind, "file") != 0 && strcmp(r->kind, "live") != 0)
		return error_set("a %s entry cannot have a member", r->kind);
	/* Which name would a reader take? Neither: the line is malformed. */
	if (json_object_get(r->json, "path") != NULL &&
	    json_object_get(r->json, "path_base64") != NULL)
		return error_set("both \"path\" and \"path_base64\"");
	if (manifest_get_bytes(r->json, "path", &r->path, &r->path_len) != 0)
		return error_set("entry with content has no path");
	if (!manifest_path_safe(r->path, r->path_len))
		return error_set("unsafe path");
	size = json_object_get(r->json, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    json_integer_value(size) > INT64_MAX / 2)
		return error_set("missing or invalid size");
	r->size = json_integer_value(size);
	return manifest_parse_hashes(r);
}

/* Whether a line that is not JSON begins as custody writes an entry line. */
static bool
manifest_looks_like_entry(const char *line, size_t len)
{
	static const char start[] = "{\"type\":\"entry\",";

	return len >= sizeof start - 1 && memcmp(line, start, sizeof start - 1) == 0;
}

/* The work of manifest_parse_line. */
static int
manifest_parse_line_fields(const char *line, size_t len, struct manifest_record *r)
{
	json_error_t jerr;
	const char *type;
	const json_t *entries;

	memset(r, 0, sizeof *r);
	r->type = MANIFEST_UNKNOWN;
	if (len > MANIFEST_LINE_MAX)
		return error_set("line longer than %d bytes", MANIFEST_LINE_MAX);
	/* jansson refuses integers outside int64 itself, as the format does. */
	r->json = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->json == NULL) {
		if (manifest_looks_like_entry(line, len))
			r->type = MANIFEST_ENTRY;
		return error_set("not valid JSON: %s", jerr.text);
	}
	if (!json_is_object(r->json))
		return error_set("not a JSON object");
	type = json_string_value(json_object_get(r->json, "type"));
	if (type != NULL && strcmp(type, "header") == 0) {
		r->type = MANIFEST_HEADER;
		return 0;
	}
	if (type != NULL && strcmp(type, "entry") == 0) {
		r->type = MANIFEST_ENTRY;
		return manifest_parse_entry(r);
	}
	if (type == NULL || strcmp(type, "trailer") != 0)
		return error_set("unknown line type");
	r->type = MANIFEST_TRAILER;
	entries = json_object_get(r->json, "entries");
	if (!json_is_integer(entries) || json_integer_value(entries) < 0)
		return error_set("trailer without entry count");
	r->entries = (uint64_t)json_integer_value(entries);
	return 0;
}

/*
 * Parse and check one line; on failure nothing is left to free, and r->type
 * still says MANIFEST_ENTRY when the line is an entry line (a leaf) that
 * failed its checks.
 */
int
manifest_parse_line(const char *line, size_t len, struct manifest_record *r)
{
	enum manifest_type type;

	if (manifest_parse_line_fields(line, len, r) == 0)
		return 0;
	type = r->type;
	manifest_record_free(r);
	r->type = type == MANIFEST_ENTRY ? MANIFEST_ENTRY : MANIFEST_UNKNOWN;
	return -1;
}

/* Release what a parsed line holds. */
void
manifest_record_free(struct manifest_record *r)
{
	json_decref(r->json);
	free(r->path);
	memset(r, 0, sizeof *r);
}
