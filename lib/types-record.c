/* The types record: written and read back in its one canonical form. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/types-record.h"

#define TYPES_JSON_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
#define TYPES_MIME_MAX		255	/* bytes of a MIME type */

/* The header line's object. NULL on error. */
static json_t *
types_record_header(const struct types_record_info *i)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, "
	    "s:I, s:s, s:i}", "archive_sha256", i->archive_sha256,
	    "entries", (json_int_t)i->entries, "format", TYPES_RECORD_FORMAT,
	    "merkle_root", i->merkle_root, "signer", i->signer, "tool",
	    "database_sha256", i->database_sha256, "name", TYPES_RECORD_TOOL,
	    "version", i->tool_version, "type", "header", "type_bytes",
	    (json_int_t)i->type_bytes, "typed_at", i->typed_at, "version",
	    TYPES_RECORD_VERSION);
}

/* Write one object as a canonical line. 0 or -1. */
static int
types_record_line(FILE *f, const json_t *o)
{
	char *text = o != NULL ? json_dumps(o, TYPES_JSON_FLAGS) : NULL;
	int rc = text != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;

	free(text);
	return rc;
}

/* One member line: the member's object with "type":"member". 0 or -1. */
static int
types_record_member_line(FILE *f, const json_t *member)
{
	json_t *o = json_deep_copy(member);
	int rc = o != NULL && json_object_set_new(o, "type",
	    json_string("member")) == 0 ? types_record_line(f, o) : -1;

	json_decref(o);
	return rc;
}

/* The whole record into f. 0 or -1. */
static int
types_record_write(FILE *f, const struct types_record_info *info,
    const json_t *members)
{
	json_t *header = types_record_header(info), *trailer;
	const json_t *m;
	size_t i;
	int rc = types_record_line(f, header);

	json_decref(header);
	json_array_foreach(members, i, m)
		if (rc == 0)
			rc = types_record_member_line(f, m);
	trailer = json_pack("{s:I, s:s}", "members",
	    (json_int_t)json_array_size(members), "type", "trailer");
	if (rc == 0)
		rc = types_record_line(f, trailer);
	json_decref(trailer);
	return rc;
}

/* Serialize a record. */
char *
types_record_serialize(const struct types_record_info *info,
    const json_t *members, size_t *len)
{
	char *data = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&data, &size);
	int rc;

	if (f == NULL) {
		error_set_errno("open_memstream");
		return NULL;
	}
	rc = types_record_write(f, info, members);
	if (fclose(f) != 0 || rc != 0) {
		free(data);
		error_set("cannot write the types record (out of memory?)");
		return NULL;
	}
	*len = size;
	return data;
}

/* A line as JSON, refused unless it is in the canonical form. NULL on error. */
static json_t *
types_record_load(const char *line, size_t len, size_t number)
{
	json_error_t err;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	char *again = o != NULL ? json_dumps(o, TYPES_JSON_FLAGS) : NULL;

	if (o == NULL || !json_is_object(o)) {
		error_set("types record line %zu: not a JSON object%s%s", number,
		    o == NULL ? ": " : "", o == NULL ? err.text : "");
		json_decref(o);
		return NULL;
	}
	if (again == NULL || strlen(again) != len || memcmp(again, line, len) != 0) {
		error_set("types record line %zu: not in the canonical form (it "
		    "does not re-serialize to itself)", number);
		json_decref(o);
		o = NULL;
	}
	free(again);
	return o;
}

/* True when text is len lower-case hex digits. */
static bool
types_record_is_hex(const char *text, size_t len)
{
	return strspn(text, "0123456789abcdef") == len;
}

/*
 * Copy a string member: want lower-case hex digits, or (want 0) printable
 * UTF-8 up to size - 1 bytes, since it is printed. 0 or -1.
 */
static int
types_record_string(const json_t *o, const char *key, size_t want, char *out,
    size_t size)
{
	const json_t *v = json_object_get(o, key);
	const char *text = json_string_value(v);
	size_t len = json_string_length(v);

	if (!json_is_string(v) || (want != 0 && len != want) || len == 0 ||
	    len >= size || (want != 0 && !types_record_is_hex(text, len)) ||
	    (want == 0 && !util_utf8_printable(text, len)))
		return error_set("types record header: \"%s\" is not what custody "
		    "writes", key);
	memcpy(out, text, len + 1);
	return 0;
}

/* A non-negative integer member. 0 or -1. */
static int
types_record_count(const json_t *o, const char *key, uint64_t *out)
{
	if (!manifest_get_count(o, key, out))
		return error_set("types record: \"%s\" is not a count", key);
	return 0;
}

/* The header line: this format and version, every field there. 0 or -1. */
static int
types_record_read_header(const json_t *h, struct types_record_info *i)
{
	const json_t *tool = json_object_get(h, "tool");
	const char *format = json_string_value(json_object_get(h, "format"));
	const char *type = json_string_value(json_object_get(h, "type"));
	const char *name = json_string_value(json_object_get(tool, "name"));
	const json_t *version = json_object_get(h, "version");

	if (type == NULL || strcmp(type, "header") != 0 || format == NULL ||
	    strcmp(format, TYPES_RECORD_FORMAT) != 0 || !json_is_integer(version) ||
	    json_integer_value(version) != TYPES_RECORD_VERSION)
		return error_set("types record line 1: not a version %d %s header",
		    TYPES_RECORD_VERSION, TYPES_RECORD_FORMAT);
	if (json_object_size(h) != 10 || json_object_size(tool) != 3 ||
	    name == NULL || strcmp(name, TYPES_RECORD_TOOL) != 0)
		return error_set("types record line 1: members other than the "
		    "documented ones");
	if (types_record_string(h, "archive_sha256", 64, i->archive_sha256, 65) != 0 ||
	    types_record_string(h, "merkle_root", 64, i->merkle_root, 65) != 0 ||
	    types_record_string(h, "signer", 64, i->signer, sizeof i->signer) != 0 ||
	    types_record_string(h, "typed_at", 0, i->typed_at, sizeof i->typed_at) != 0 ||
	    types_record_string(tool, "version", 0, i->tool_version,
	    sizeof i->tool_version) != 0 ||
	    types_record_string(tool, "database_sha256", 64, i->database_sha256, 65) != 0)
		return -1;
	return types_record_count(h, "entries", &i->entries) != 0 ||
	    types_record_count(h, "type_bytes", &i->type_bytes) != 0 ? -1 : 0;
}

/* A member line: index, mime, one path member, nothing else. 0 or -1. */
static int
types_record_check_member(const json_t *m, size_t number)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	const json_t *mime = json_object_get(m, "mime");
	bool plain = json_is_string(json_object_get(m, "path"));
	bool encoded = json_is_string(json_object_get(m, "path_base64"));
	uint64_t index;
	char *path;
	size_t len;

	if (type == NULL || strcmp(type, "member") != 0)
		return error_set("types record line %zu: not a member line", number);
	if (json_object_size(m) != 4 || plain == encoded || !json_is_string(mime) ||
	    json_string_length(mime) == 0 || json_string_length(mime) > TYPES_MIME_MAX ||
	    !util_utf8_printable(json_string_value(mime), json_string_length(mime)) ||
	    types_record_count(m, "index", &index) != 0)
		return error_prefix("types record line %zu: not a member as custody "
		    "writes it", number);
	if (manifest_get_bytes(m, "path", &path, &len) != 0)
		return error_prefix("types record line %zu", number);
	free(path);
	return 0;
}

/* The trailer: its count is the member lines'. 0 or -1. */
static int
types_record_check_trailer(const json_t *t, size_t number, size_t members)
{
	const char *type = json_string_value(json_object_get(t, "type"));
	uint64_t count;

	if (type == NULL || strcmp(type, "trailer") != 0)
		return error_set("types record line %zu: no trailer line at the end "
		    "(truncated?)", number);
	if (json_object_size(t) != 2 || types_record_count(t, "members", &count) != 0)
		return error_prefix("types record line %zu", number);
	if (count != members)
		return error_set("types record: the trailer counts %llu members, "
		    "the record lists %zu", (unsigned long long)count, members);
	return 0;
}

/* One line after the header: a member, or the trailer when it is the last. 0 or -1. */
static int
types_record_body_line(struct types_record *r, const char *line, size_t len,
    size_t number, bool last)
{
	json_t *o = types_record_load(line, len, number);
	int rc;

	if (o == NULL)
		return -1;
	if (last)
		rc = types_record_check_trailer(o, number, json_array_size(r->members));
	else if ((rc = types_record_check_member(o, number)) == 0 &&
	    json_array_append(r->members, o) != 0)
		rc = error_set("out of memory");
	json_decref(o);
	return rc;
}

/* Parse a record. */
int
types_record_parse(const char *data, size_t len, struct types_record *r)
{
	const char *line = data, *end = data + len, *nl;
	json_t *header = NULL;
	size_t number = 0;
	int rc = 0;

	memset(r, 0, sizeof *r);
	if ((r->members = json_array()) == NULL)
		return error_set("out of memory");
	if (len == 0 || data[len - 1] != '\n')
		return error_set("types record: %s", len == 0 ? "empty" :
		    "the last line has no newline (truncated?)");
	for (; rc == 0 && line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (++number == 1) {
			if ((header = types_record_load(line, (size_t)(nl - line), 1)) == NULL ||
			    types_record_read_header(header, &r->info) != 0)
				rc = -1;
			json_decref(header);
		} else
			rc = types_record_body_line(r, line, (size_t)(nl - line),
			    number, nl + 1 == end);
	}
	if (rc == 0 && number < 2)
		rc = error_set("types record: no trailer line (truncated?)");
	return rc;
}

/* Release a parsed record. */
void
types_record_free(struct types_record *r)
{
	json_decref(r->members);
	r->members = NULL;
}
