/*
 * The details objects events carry, rebuilt from the rows they describe:
 * a registration's handler, a collection's artifact, a time-stamp's token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/store.h"
#include "custody/util.h"

#include "store-private.h"

/* SHA-256 of a blob column. */
static int
hash_sha256_of_column(sqlite3_stmt *st, int column, unsigned char digest[32])
{
	const void *blob = sqlite3_column_blob(st, column);

	return hash_sha256(blob != NULL ? blob : "", (size_t)sqlite3_column_bytes(st,
	    column), digest);
}

/* Details just built: NULL (a field missing or not UTF-8) is an error, never none. */
static json_t *
store_details_made(json_t *o, const char *record, const char *name, int *error)
{
	if (o == NULL) {
		*error = 1;
		error_set("the %s record %s has a field that is missing or not "
		    "valid UTF-8", record, name);
	}
	return o;
}

/* The details of a registration: the handler's identity and key. */
static json_t *
store_details_registered(struct store *s, const char *fingerprint, int *error)
{
	struct store_handler h;
	char *b64;
	json_t *o;

	if (fingerprint == NULL || store_handler_find(s, fingerprint, &h) != 0 ||
	    strcmp(h.fingerprint, fingerprint) != 0) {
		*error = 1;
		error_set("registered handler %s is missing", fingerprint ?
		    fingerprint : "(none)");
		return NULL;
	}
	if ((b64 = util_base64(h.public_key, KEY_RAW_SIZE)) == NULL) {
		*error = 1;
		return NULL;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "fingerprint", h.fingerprint,
	    "name", h.name, "role", h.role, "public_key", b64,
	    "registered_at", h.registered_at);
	free(b64);
	if (o != NULL && h.organization[0] != '\0' && json_object_set_new(o,
	    "organization", json_string(h.organization)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return store_details_made(o, "handler", fingerprint, error);
}

/* The details of a collection: the archive as recorded. */
static json_t *
store_details_collected(struct store *s, const char *evidence_id, int *error)
{
	struct store_artifact a;

	if (evidence_id == NULL || store_artifact_get(s, evidence_id, &a) != 0) {
		*error = 1;
		error_set("artifact %s is missing", evidence_id ? evidence_id : "(none)");
		return NULL;
	}
	return store_details_made(json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
	    "archive_name", a.archive_name, "archive_sha256", a.archive_sha256,
	    "archive_size", (json_int_t)a.archive_size, "merkle_root", a.merkle_root,
	    "host", a.host, "collected_at", a.collected_at,
	    "collected_by", a.collected_by), "artifact", evidence_id, error);
}

/*
 * The members of an ingested event's details that no column records: what
 * the examiner checked of the archive's seal at ingest, signed only there.
 */
const char *const store_ingest_keys[] = {
	"collection_ended", "noted_fingerprint", "received_from",
	"seal_evidence_id", "seal_key", "seal_key_kind", "seal_public_key", NULL
};

/*
 * The details of an ingest: the artifact as recorded, and the members of
 * the details given (e->details: when appending, the caller's; when
 * checking, the signed ones) that no column holds.
 */
static json_t *
store_details_ingested(struct store *s, const struct event *e, int *error)
{
	json_t *o = store_details_collected(s, e->artifact, error), *v;
	size_t i;

	for (i = 0; o != NULL && store_ingest_keys[i] != NULL; i++) {
		v = json_object_get(e->details, store_ingest_keys[i]);
		if (v != NULL && json_object_set(o, store_ingest_keys[i], v) != 0) {
			json_decref(o);
			o = NULL;
			*error = 1;
			error_set("out of memory");
		}
	}
	return o;
}

/*
 * A typed event's details: the types record kept in the case directory,
 * by its SHA-256, and what it was made with; only the event holds them.
 */
const char *const store_typed_keys[] = {
	"database_sha256", "members", "merkle_root", "record", "record_sha256",
	"tool_version", NULL
};

/* The details of a typed event: the members of store_typed_keys given. */
static json_t *
store_details_typed(const struct event *e, int *error)
{
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; o != NULL && store_typed_keys[i] != NULL; i++) {
		v = json_object_get(e->details, store_typed_keys[i]);
		if (v != NULL && json_object_set(o, store_typed_keys[i], v) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (o == NULL) {
		*error = 1;
		error_set("out of memory");
	}
	return o;
}

/* The details of a time-stamp: the file and the token's digest. */
static json_t *
store_details_timestamped(struct store *s, uint64_t seq, int *error)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT file, file_sha256, token,"
	    " gen_time, tsa FROM timestamps WHERE event_seq = ?");
	unsigned char digest[32];
	char hex[65];
	json_t *o = NULL;

	if (st == NULL) {
		*error = 1;
		return NULL;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    hash_sha256_of_column(st, 2, digest) == 0) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:s}",
		    "file", (const char *)sqlite3_column_text(st, 0),
		    "file_sha256", (const char *)sqlite3_column_text(st, 1),
		    "token_sha256", util_hex(digest, 32, hex),
		    "gen_time", (const char *)sqlite3_column_text(st, 3),
		    "tsa", (const char *)sqlite3_column_text(st, 4));
		o = store_details_made(o, "time-stamp", "row", error);
	} else {
		*error = 1;
		error_set("the time-stamp token of event %llu is missing",
		    (unsigned long long)seq);
	}
	sqlite3_finalize(st);
	return o;
}

/* The details object an action's event carries. */
json_t *
store_details(struct store *s, const struct event *e, int *error)
{
	*error = 0;
	if (strcmp(e->action, "registered") == 0)
		return store_details_registered(s, e->counterpart, error);
	if (strcmp(e->action, "collected") == 0)
		return store_details_collected(s, e->artifact, error);
	if (strcmp(e->action, "timestamped") == 0)
		return store_details_timestamped(s, e->seq, error);
	if (strcmp(e->action, "ingested") == 0)
		return store_details_ingested(s, e, error);
	if (strcmp(e->action, "typed") == 0)
		return store_details_typed(e, error);
	return NULL;
}

