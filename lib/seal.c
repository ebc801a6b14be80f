/* The seal: the signed statement over an archive. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/seal.h"
#include "custody/util.h"

/* The counts object. */
static json_t *
seal_counts_json(const struct seal_counts *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	    "entries", (json_int_t)c->entries, "members", (json_int_t)c->members,
	    "bytes", (json_int_t)c->bytes, "skipped", (json_int_t)c->skipped,
	    "errors", (json_int_t)c->errors, "changed", (json_int_t)c->changed);
}

/* The collector object, with the raw public key in base64. */
static json_t *
seal_collector_json(const struct key *key)
{
	char *b64 = util_base64(key->raw_public, KEY_RAW_SIZE);
	json_t *o;

	if (b64 == NULL)
		return NULL;
	/* A one-time key has no identity: the ingest event says who brought it. */
	if (key->one_time)
		o = json_pack("{s:s, s:s, s:b}", "fingerprint", key->fingerprint,
		    "public_key", b64, "one_time", 1);
	else
		o = json_pack("{s:s?, s:s?, s:s?, s:s, s:s}", "name", key->name,
		    "role", key->role, "organization", key->organization,
		    "fingerprint", key->fingerprint, "public_key", b64);
	free(b64);
	return o;
}

static const char *const seal_text_keys[SEAL_TEXTS] = { "manifest", "sums", "log" };
static const char *const seal_part_dirs[SEAL_TEXTS] = {
	"custody/manifest.d/", "custody/SHA256SUMS.d/", "custody/collection.log.d/"
};
static const char *const seal_part_suffixes[SEAL_TEXTS] = { ".jsonl", "", "" };

/* The final member of a text. */
const char *
seal_text_path(enum seal_text t)
{
	static const char *const paths[SEAL_TEXTS] = { MANIFEST_PATH, SUMS_PATH, LOG_PATH };

	return paths[t];
}

/* The name of a part. */
int
seal_part_name(enum seal_text t, uint64_t number, char out[SEAL_PART_NAME_SIZE])
{
	int n;

	if (number < 1 || number > SEAL_PARTS_MAX)
		return error_set("%s: no part %" PRIu64 " (1 to %d)",
		    seal_text_path(t), number, SEAL_PARTS_MAX);
	n = snprintf(out, SEAL_PART_NAME_SIZE, "%s%06" PRIu64 "%s",
	    seal_part_dirs[t], number, seal_part_suffixes[t]);
	if (n < 0 || n >= SEAL_PART_NAME_SIZE)
		return error_set("part name too long");
	return 0;
}

/* Whether a name is in a parts directory, and which part it names. */
int
seal_part_parse(const char *path, size_t len, enum seal_text *text,
    uint64_t *number)
{
	size_t dir, suffix, i;
	uint64_t n = 0;
	int t;

	for (t = 0; t < SEAL_TEXTS; t++) {
		dir = strlen(seal_part_dirs[t]);
		if (len >= dir && memcmp(path, seal_part_dirs[t], dir) == 0)
			break;
	}
	if (t == SEAL_TEXTS)
		return 0;
	*text = (enum seal_text)t;
	*number = 0;
	suffix = strlen(seal_part_suffixes[t]);
	/* Exactly six digits and the suffix: nothing else names a part. */
	if (len != dir + 6 + suffix ||
	    memcmp(path + dir + 6, seal_part_suffixes[t], suffix) != 0)
		return 1;
	for (i = dir; i < dir + 6; i++) {
		if (path[i] < '0' || path[i] > '9')
			return 1;
		n = n * 10 + (uint64_t)(path[i] - '0');
	}
	*number = n;
	return 1;
}

/* The parts object of a version 2 seal. */
static int
seal_add_parts(json_t *o, const struct seal *s)
{
	json_t *parts = json_object();
	int t;

	if (parts == NULL || json_object_set_new(o, "parts", parts) != 0 ||
	    json_object_set_new(o, "version", json_integer(SEAL_VERSION_PARTS)) != 0)
		return -1;
	for (t = 0; t < SEAL_TEXTS; t++)
		if (json_object_set_new(parts, seal_text_keys[t],
		    json_integer((json_int_t)s->parts[t])) != 0)
			return -1;
	return 0;
}

/* Whether any text was written in parts. */
static bool
seal_has_parts(const struct seal *s)
{
	return s->parts[SEAL_TEXT_MANIFEST] != 0 || s->parts[SEAL_TEXT_SUMS] != 0 ||
	    s->parts[SEAL_TEXT_LOG] != 0;
}

/* Serialize a seal. */
char *
seal_serialize(const struct seal *s, const struct key *collector, size_t *len)
{
	json_t *o;
	char *text;

	o = json_pack("{s:s, s:i, s:s, s:s, s:{s:s}, s:o, s:s, s:s, s:o,"
	    " s:{s:s, s:s, s:I, s:s},"
	    " s:[{s:s, s:s}, {s:s, s:s}], s:{s:s, s:s}}",
	    "format", "custody-seal", "version", SEAL_VERSION,
	    "case_id", s->case_id, "evidence_id", s->evidence_id,
	    "host", "hostname", s->hostname,
	    "collector", seal_collector_json(collector),
	    "started", s->started, "finished", s->finished,
	    "counts", seal_counts_json(&s->counts),
	    "manifest", "path", MANIFEST_PATH,
	    "sha256", s->manifest_sha256, "entries", (json_int_t)s->counts.entries,
	    "merkle_root", s->merkle_root,
	    "members", "path", SUMS_PATH, "sha256", s->sums_sha256,
	    "path", LOG_PATH, "sha256", s->log_sha256,
	    "tool", "name", "custody", "version", s->tool_version);
	/* Without parts the seal is version 1, as before parts existed. */
	if (o != NULL && seal_has_parts(s) && seal_add_parts(o, s) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o == NULL) {
		error_set("cannot build the seal");
		return NULL;
	}
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL) {
		error_set("cannot serialize the seal");
		return NULL;
	}
	*len = strlen(text);
	/* json_dumps leaves no newline; a text file should end with one. */
	text = realloc(text, *len + 2);
	if (text != NULL) {
		text[(*len)++] = '\n';
		text[*len] = '\0';
	}
	return text;
}

/* A required string field, or NULL with the error set. */
static const char *
seal_string(const json_t *o, const char *key, const char *where)
{
	const char *value = json_string_value(json_object_get(o, key));

	if (value == NULL)
		error_set("seal: %s%s is missing or not a string", where, key);
	return value;
}

/* A required 64-hex-digit field. */
static const char *
seal_digest(const json_t *o, const char *key, const char *where)
{
	const char *value = seal_string(o, key, where);

	if (value != NULL && (strlen(value) != 64 ||
	    strspn(value, "0123456789abcdef") != 64)) {
		error_set("seal: %s%s is not a SHA-256 digest", where, key);
		return NULL;
	}
	return value;
}

/* A required non-negative integer. */
static int
seal_count(const json_t *o, const char *key, uint64_t *out)
{
	if (!manifest_get_count(o, key, out))
		return error_set("seal: counts.%s is missing or invalid", key);
	return 0;
}

/* Parse the counts object. */
static int
seal_parse_counts(const json_t *o, struct seal_counts *c)
{
	if (!json_is_object(o))
		return error_set("seal: counts is missing");
	return seal_count(o, "entries", &c->entries) |
	    seal_count(o, "members", &c->members) |
	    seal_count(o, "bytes", &c->bytes) |
	    seal_count(o, "skipped", &c->skipped) |
	    seal_count(o, "errors", &c->errors) |
	    seal_count(o, "changed", &c->changed);
}

/* Parse the collector object. */
static int
seal_parse_collector(const json_t *o, struct seal *s)
{
	const char *b64;
	const json_t *one_time;
	unsigned char *raw = NULL;
	size_t len = 0;

	if (!json_is_object(o))
		return error_set("seal: collector is missing");
	s->collector_name = json_string_value(json_object_get(o, "name"));
	s->collector_role = json_string_value(json_object_get(o, "role"));
	s->collector_organization = json_string_value(json_object_get(o,
	    "organization"));
	one_time = json_object_get(o, "one_time");
	if (one_time != NULL && !json_is_true(one_time))
		return error_set("seal: collector.one_time is present but not true");
	s->one_time = one_time != NULL;
	if ((s->fingerprint = seal_digest(o, "fingerprint", "collector.")) == NULL ||
	    (b64 = seal_string(o, "public_key", "collector.")) == NULL)
		return -1;
	if (util_unbase64(b64, &raw, &len) != 0)
		return error_set("seal: collector.public_key is not base64");
	if (len != KEY_RAW_SIZE) {
		free(raw);
		return error_set("seal: collector.public_key is not 32 bytes");
	}
	memcpy(s->public_key, raw, KEY_RAW_SIZE);
	free(raw);
	return 0;
}

/* Find the hash of one custody/ member in the members list. */
static const char *
seal_member(const json_t *members, const char *path)
{
	const json_t *m;
	const char *p;
	size_t i;

	json_array_foreach(members, i, m) {
		p = json_string_value(json_object_get(m, "path"));
		if (p != NULL && strcmp(p, path) == 0)
			return seal_digest(m, "sha256", "members.");
	}
	error_set("seal: members does not list %s", path);
	return NULL;
}

/* Parse the manifest object and the member list. */
static int
seal_parse_manifest(const json_t *root, struct seal *s)
{
	const json_t *m = json_object_get(root, "manifest");
	const json_t *members = json_object_get(root, "members");
	uint64_t entries;

	if (!json_is_object(m) || !json_is_array(members) ||
	    json_array_size(members) != 2)
		return error_set("seal: manifest or members missing");
	if ((s->manifest_sha256 = seal_digest(m, "sha256", "manifest.")) == NULL ||
	    (s->merkle_root = seal_digest(m, "merkle_root", "manifest.")) == NULL ||
	    seal_count(m, "entries", &entries) != 0)
		return -1;
	if (entries != s->counts.entries)
		return error_set("seal: manifest.entries disagrees with counts");
	if ((s->sums_sha256 = seal_member(members, SUMS_PATH)) == NULL ||
	    (s->log_sha256 = seal_member(members, LOG_PATH)) == NULL)
		return -1;
	return 0;
}

/* Parse the parts object of a version 2 seal; a version 1 seal has none. */
static int
seal_parse_parts(const json_t *root, struct seal *s, json_int_t version)
{
	const json_t *parts = json_object_get(root, "parts");
	int t;

	if (version == SEAL_VERSION)
		return parts == NULL ? 0 :
		    error_set("seal: a version %d seal has no parts", SEAL_VERSION);
	if (!json_is_object(parts) || json_object_size(parts) != SEAL_TEXTS)
		return error_set("seal: parts is missing or not {manifest, sums, log}");
	for (t = 0; t < SEAL_TEXTS; t++) {
		if (!manifest_get_count(parts, seal_text_keys[t], &s->parts[t]) ||
		    s->parts[t] > SEAL_PARTS_MAX)
			return error_set("seal: parts.%s is missing or invalid",
			    seal_text_keys[t]);
	}
	return 0;
}

/* The work of seal_parse. */
static int
seal_parse_fields(const char *data, size_t len, struct seal *s)
{
	json_error_t jerr;
	const json_t *host, *format, *version;

	memset(s, 0, sizeof *s);
	if (len > SEAL_MAX_SIZE)
		return error_set("seal: larger than %d bytes", SEAL_MAX_SIZE);
	s->json = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (s->json == NULL || !json_is_object(s->json))
		return error_set("seal: not a JSON object (%s)", jerr.text);
	format = json_object_get(s->json, "format");
	version = json_object_get(s->json, "version");
	if (!json_is_string(format) ||
	    strcmp(json_string_value(format), "custody-seal") != 0 ||
	    !json_is_integer(version) || (json_integer_value(version) != SEAL_VERSION &&
	    json_integer_value(version) != SEAL_VERSION_PARTS))
		return error_set("seal: not a version %d or %d custody seal",
		    SEAL_VERSION, SEAL_VERSION_PARTS);
	host = json_object_get(s->json, "host");
	if ((s->case_id = seal_string(s->json, "case_id", "")) == NULL ||
	    (s->evidence_id = seal_string(s->json, "evidence_id", "")) == NULL ||
	    (s->started = seal_string(s->json, "started", "")) == NULL ||
	    (s->finished = seal_string(s->json, "finished", "")) == NULL ||
	    (s->hostname = seal_string(host, "hostname", "host.")) == NULL)
		return -1;
	s->tool_version = json_string_value(json_object_get(
	    json_object_get(s->json, "tool"), "version"));
	if (seal_parse_collector(json_object_get(s->json, "collector"), s) != 0 ||
	    seal_parse_counts(json_object_get(s->json, "counts"), &s->counts) != 0 ||
	    seal_parse_parts(s->json, s, json_integer_value(version)) != 0)
		return -1;
	return seal_parse_manifest(s->json, s);
}

/* Parse and check a seal; on failure nothing is left to free. */
int
seal_parse(const char *data, size_t len, struct seal *s)
{
	if (seal_parse_fields(data, len, s) == 0)
		return 0;
	seal_free(s);
	return -1;
}

/* Release a parsed seal. */
void
seal_free(struct seal *s)
{
	json_decref(s->json);
	memset(s, 0, sizeof *s);
}
