/* Inclusion proofs of one file in a sealed archive. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/proof.h"
#include "custody/util.h"

/* The Merkle path as an array of hex strings. */
static json_t *
proof_path_json(const struct proof *p)
{
	json_t *path = json_array();
	char hex[2 * MERKLE_HASH_SIZE + 1];
	size_t i;

	for (i = 0; path != NULL && i < p->path_len; i++)
		if (json_array_append_new(path, json_string(util_hex(p->path[i],
		    MERKLE_HASH_SIZE, hex))) != 0) {
			json_decref(path);
			return NULL;
		}
	return path;
}

/* Serialize a proof. */
char *
proof_serialize(const struct proof *p, size_t *len)
{
	json_t *o;
	char *sig, *text = NULL, *grown;

	if ((sig = util_base64(p->signature, p->signature_len)) == NULL)
		return NULL;
	o = json_pack("{s:s, s:i, s:s?, s:I, s:I, s:o}",
	    "format", "custody-proof", "version", PROOF_VERSION,
	    "archive_sha256", p->archive_sha256,
	    "leaf_index", (json_int_t)p->index,
	    "tree_size", (json_int_t)p->tree_size,
	    "path", proof_path_json(p));
	if (o != NULL && manifest_set_bytes(o, "entry", p->entry, p->entry_len) == 0 &&
	    manifest_set_bytes(o, "seal", p->seal, p->seal_len) == 0 &&
	    json_object_set_new(o, "seal_signature", json_string(sig)) == 0)
		text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	free(sig);
	if (text == NULL || (grown = realloc(text, strlen(text) + 2)) == NULL) {
		free(text);
		error_set("cannot serialize the proof");
		return NULL;
	}
	text = grown;
	strcat(text, "\n");
	*len = strlen(text);
	return text;
}

/* Read the Merkle path. */
static int
proof_parse_path(const json_t *path, struct proof *p)
{
	const json_t *h;
	size_t i;

	if (!json_is_array(path) || json_array_size(path) > MERKLE_MAX_PROOF)
		return error_set("proof: path is missing or too long");
	json_array_foreach(path, i, h) {
		if (util_unhex(json_string_value(h), p->path[i], MERKLE_HASH_SIZE) != 0)
			return error_set("proof: path[%zu] is not a SHA-256 hash", i);
	}
	p->path_len = json_array_size(path);
	return 0;
}

/* Read a non-negative integer field. */
static int
proof_integer(const json_t *o, const char *key, uint64_t *out)
{
	if (!manifest_get_count(o, key, out))
		return error_set("proof: %s is missing or invalid", key);
	return 0;
}

/* The work of proof_parse. */
static int
proof_parse_fields(const char *data, size_t len, struct proof *p)
{
	json_error_t jerr;
	const char *format, *sig, *archive;
	const json_t *version;

	memset(p, 0, sizeof *p);
	if (len > PROOF_MAX_SIZE)
		return error_set("proof: larger than %d bytes", PROOF_MAX_SIZE);
	p->json = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (p->json == NULL)
		return error_set("proof: not valid JSON: %s", jerr.text);
	if (!json_is_object(p->json))
		return error_set("proof: not a JSON object");
	format = json_string_value(json_object_get(p->json, "format"));
	version = json_object_get(p->json, "version");
	if (format == NULL || strcmp(format, "custody-proof") != 0 ||
	    !json_is_integer(version) || json_integer_value(version) != PROOF_VERSION)
		return error_set("proof: not a version %d custody proof", PROOF_VERSION);
	if (proof_integer(p->json, "leaf_index", &p->index) != 0 ||
	    proof_integer(p->json, "tree_size", &p->tree_size) != 0 ||
	    proof_parse_path(json_object_get(p->json, "path"), p) != 0)
		return -1;
	if (manifest_get_bytes(p->json, "entry", &p->entry, &p->entry_len) != 0 ||
	    manifest_get_bytes(p->json, "seal", &p->seal, &p->seal_len) != 0)
		return error_prefix("proof");
	sig = json_string_value(json_object_get(p->json, "seal_signature"));
	if (sig == NULL || util_unbase64(sig, &p->signature, &p->signature_len) != 0)
		return error_set("proof: seal_signature is missing or not base64");
	archive = json_string_value(json_object_get(p->json, "archive_sha256"));
	if (archive != NULL && (p->archive_sha256 = strdup(archive)) == NULL)
		return error_set_errno("strdup");
	return 0;
}

/* Parse and check a proof's shape; on failure nothing is left to free. */
int
proof_parse(const char *data, size_t len, struct proof *p)
{
	if (proof_parse_fields(data, len, p) == 0)
		return 0;
	proof_free(p);
	return -1;
}

/* Release a proof. */
void
proof_free(struct proof *p)
{
	json_decref(p->json);
	free(p->seal);
	free(p->signature);
	free(p->entry);
	free(p->archive_sha256);
	memset(p, 0, sizeof *p);
}
