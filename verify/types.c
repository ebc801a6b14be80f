/* Types records of a verified archive: written from a pass, checked against one. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/store.h"
#include "custody/types-record.h"
#include "custody/util.h"
#include "reader.h"
#include "types.h"

#define TYPES_SIG_MAX	1024

/* What this binary types with, for a record made now. 0 or -1. */
static int
types_info(const struct check *c, const char *merkle_root,
    const struct key *signer, struct types_record_info *info)
{
	unsigned char db[32];
	struct timespec now;

	memset(info, 0, sizeof *info);
	if (filetype_version(info->tool_version, sizeof info->tool_version) != 0 ||
	    filetype_database_sha256(db) != 0)
		return -1;
	util_hex(db, 32, info->database_sha256);
	util_hex(c->archive_sha256, 32, info->archive_sha256);
	if (strlen(merkle_root) != 64)
		return error_set("the seal's Merkle root is not 64 hex digits");
	memcpy(info->merkle_root, merkle_root, 65);
	info->entries = c->leaf_count;
	info->type_bytes = FILETYPE_BLOCK;
	memcpy(info->signer, signer->fingerprint, sizeof info->signer);
	util_time_now(&now);
	util_time_format(&now, info->typed_at);
	return 0;
}

/* Write the record and its signature beside it; nothing is left on failure. 0 or -1. */
static int
types_write_files(const char *path, const char *data, size_t len,
    const unsigned char signature[KEY_SIGNATURE_SIZE])
{
	char *sig_path;
	int rc;

	if (asprintf(&sig_path, "%s%s", path, TYPES_SIG_SUFFIX) < 0)
		return error_set_errno("asprintf");
	if ((rc = util_write_new_file(path, data, len, 0644)) == 0 &&
	    (rc = util_write_new_file(sig_path, signature, KEY_SIGNATURE_SIZE,
	    0644)) != 0)
		unlink(path);
	if (rc != 0)
		error_prefix("types record");
	free(sig_path);
	return rc;
}

/* Write the signed record of a typed pass. */
int
types_write(const struct check *c, const char *merkle_root,
    const struct key *signer, const char *path, struct types_record_info *info,
    unsigned char record_sha256[32])
{
	unsigned char signature[KEY_SIGNATURE_SIZE];
	char *data;
	size_t len;
	int rc;

	if (!c->types)
		return error_set("a types record needs the members typed");
	if (types_info(c, merkle_root, signer, info) != 0 ||
	    (data = types_record_serialize(info, c->types_found, &len)) == NULL)
		return -1;
	rc = key_sign(signer, data, len, signature);
	if (rc == 0)
		rc = hash_sha256(data, len, record_sha256);
	if (rc == 0)
		rc = types_write_files(path, data, len, signature);
	free(data);
	return rc;
}

/* Read the record and its signature. 0, or -1 when the record cannot be read. */
static int
types_read(const char *path, char **data, size_t *len, char **sig,
    size_t *sig_len)
{
	char *sig_path;
	int rc;

	*sig = NULL;
	if (util_read_file(path, TYPES_RECORD_MAX_SIZE, data, len) != 0)
		return error_prefix("types record");
	if (asprintf(&sig_path, "%s%s", path, TYPES_SIG_SUFFIX) < 0) {
		free(*data);
		return error_set_errno("asprintf");
	}
	/* A record without its signature is a finding, not a reading error. */
	rc = util_read_file(sig_path, TYPES_SIG_MAX, sig, sig_len);
	if (rc != 0)
		*sig = NULL;
	free(sig_path);
	return 0;
}

/* The key a record must verify with: the one given, or its signer's in the case. */
static struct key *
types_key(struct check *c, const char *path, const struct key *key,
    struct store *s, const struct types_record_info *info)
{
	struct store_handler h;
	int rc;

	if (key != NULL)
		return key_from_raw(key->raw_public);
	if (s == NULL || info->signer[0] == '\0') {
		check_problem(c, path, strlen(path), "no key to check its signature with");
		return NULL;
	}
	if ((rc = store_handler_find_bound(s, info->signer, &h)) != 0 ||
	    strcmp(h.fingerprint, info->signer) != 0) {
		check_problem(c, path, strlen(path), "signed by key %.16s, which is "
		    "not a handler of case %s", info->signer, store_case_id(s));
		return NULL;
	}
	return key_from_raw(h.public_key);
}

/* The record's signature, and that it names the key it verifies with. */
static void
types_check_signature(struct check *c, const char *path, const char *data,
    size_t len, const char *sig, size_t sig_len, const struct key *key,
    const struct types_record_info *info)
{
	if (sig == NULL) {
		check_problem(c, path, strlen(path), "not signed: %s%s cannot be "
		    "read (%s)", path, TYPES_SIG_SUFFIX, error_message());
		return;
	}
	if (info->signer[0] != '\0' && strcmp(info->signer, key->fingerprint) != 0)
		check_problem(c, path, strlen(path), "signed by key %s, not by the "
		    "key given (%s)", info->signer, key->fingerprint);
	if (key_verify(key, data, len, (const unsigned char *)sig, sig_len) != 0)
		check_problem(c, path, strlen(path), "signature does not verify with "
		    "key %s: the record was changed or another key signed it",
		    key->fingerprint);
}

/* The archive the record is bound to must be this one. */
static void
types_check_bound(struct check *c, const char *path, const char *merkle_root,
    const struct types_record_info *info)
{
	char hex[65];

	util_hex(c->archive_sha256, 32, hex);
	if (strcmp(info->archive_sha256, hex) != 0)
		check_problem(c, path, strlen(path), "a record of another archive: "
		    "made for archive SHA-256 %s, this archive's is %s",
		    info->archive_sha256, hex);
	if (strcmp(info->merkle_root, merkle_root) != 0)
		check_problem(c, path, strlen(path), "a record of another archive: "
		    "made for Merkle root %s, this archive's seal says %s",
		    info->merkle_root, merkle_root);
	if (info->entries != c->leaf_count)
		check_problem(c, path, strlen(path), "counts %llu manifest entries, "
		    "the archive has %llu", (unsigned long long)info->entries,
		    (unsigned long long)c->leaf_count);
}

/* The listed member at an index, by binary search of the pass's list; -1 if none. */
static ssize_t
types_find(const json_t *list, json_int_t index)
{
	size_t lo = 0, hi = json_array_size(list), mid;
	json_int_t at;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		at = json_integer_value(json_object_get(json_array_get(list, mid), "index"));
		if (at == index)
			return (ssize_t)mid;
		if (at < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* A member's path, escaped for a message; malloc'd (or NULL). */
static char *
types_path(const json_t *m)
{
	char *path, *escaped;
	size_t len;

	if (manifest_get_bytes(m, "path", &path, &len) != 0)
		return NULL;
	escaped = util_escape(path, len);
	free(path);
	return escaped;
}

/* Is the record's path member the manifest's, byte for byte and encoding alike? */
static bool
types_same_path(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "path", "path_base64" };
	const json_t *x, *y;
	size_t i;

	/* json_equal calls two absent members unequal. */
	for (i = 0; i < 2; i++) {
		x = json_object_get(a, keys[i]);
		y = json_object_get(b, keys[i]);
		if ((x == NULL) != (y == NULL) || (x != NULL && !json_equal(x, y)))
			return false;
	}
	return true;
}

/* One record member against the pass's member at its index. */
static void
types_check_one(struct check *c, const char *path, const json_t *got,
    const json_t *want, const struct types_record_info *info)
{
	json_int_t index = json_integer_value(json_object_get(got, "index"));
	const char *mime = json_string_value(json_object_get(got, "mime"));
	const char *typed = json_string_value(json_object_get(want, "mime"));
	char *name = types_path(want), *named;

	if (!types_same_path(got, want)) {
		named = types_path(got);
		check_problem(c, path, strlen(path), "member #%" JSON_INTEGER_FORMAT
		    " is %s in the manifest, the record names %s", index,
		    name != NULL ? name : "?", named != NULL ? named : "?");
		free(named);
	} else if (typed != NULL && strcmp(typed, mime) != 0)
		check_problem(c, path, strlen(path), "member #%" JSON_INTEGER_FORMAT
		    " (%s): the record says %s, its content is %s (the record was "
		    "typed with libmagic %s, database %.16s)", index,
		    name != NULL ? name : "?", mime, typed, info->tool_version,
		    info->database_sha256);
	free(name);
}

/* What the counts say: every member of the archive listed once. */
static void
types_check_counts(struct check *c, const char *path, const uint32_t *seen)
{
	const json_t *want;
	char *name;
	size_t i;

	json_array_foreach(c->types_found, i, want) {
		if (seen[i] == 1)
			continue;
		name = types_path(want);
		check_problem(c, path, strlen(path), "member #%" JSON_INTEGER_FORMAT
		    " (%s) %s", json_integer_value(json_object_get(want, "index")),
		    name != NULL ? name : "?", seen[i] == 0 ? "is not in the record" :
		    "is listed more than once");
		free(name);
	}
}

/* Every member once, in index order, with the same path (and type). 0 or -1. */
static int
types_check_members(struct check *c, const char *path, const json_t *members,
    const struct types_record_info *info)
{
	uint32_t *seen = calloc(json_array_size(c->types_found) + 1, sizeof *seen);
	json_int_t index, last = -1;
	const json_t *got;
	ssize_t at;
	size_t i;

	if (seen == NULL)
		return error_set_errno("calloc");
	json_array_foreach(members, i, got) {
		index = json_integer_value(json_object_get(got, "index"));
		if (index < last)
			check_problem(c, path, strlen(path), "member #%"
			    JSON_INTEGER_FORMAT " is out of index order", index);
		last = index;
		if ((at = types_find(c->types_found, index)) < 0) {
			check_problem(c, path, strlen(path), "lists #%" JSON_INTEGER_FORMAT
			    ", which is not an entry with content of the archive", index);
			continue;
		}
		if (seen[at]++ == 0)
			types_check_one(c, path, got, json_array_get(c->types_found,
			    (size_t)at), info);
	}
	types_check_counts(c, path, seen);
	free(seen);
	return 0;
}

/* Check a record against the pass. */
int
types_check(struct check *c, const char *merkle_root, const char *path,
    const struct key *key, struct store *case_store,
    struct types_record_info *info)
{
	struct types_record r;
	struct key *checker;
	char *data, *sig;
	size_t len, sig_len = 0;
	bool parsed;
	int rc = 0;

	if (types_read(path, &data, &len, &sig, &sig_len) != 0)
		return -1;
	if (!(parsed = types_record_parse(data, len, &r) == 0))
		check_problem(c, path, strlen(path), "%s", error_message());
	*info = r.info;
	if ((checker = types_key(c, path, key, case_store, &r.info)) != NULL)
		types_check_signature(c, path, data, len, sig, sig_len, checker, &r.info);
	/* A record that does not parse has said all it can. */
	if (parsed) {
		types_check_bound(c, path, merkle_root, &r.info);
		rc = types_check_members(c, path, r.members, &r.info);
	}
	key_free(checker);
	types_record_free(&r);
	free(data);
	free(sig);
	return rc;
}
