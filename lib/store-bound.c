/*
 * What a writer may act on: a handler or artifact row only when it equals
 * the details of the signed event that created it (registered, collected),
 * whose signature verifies with a handler that is itself bound, back to
 * the case's founder; and a ledger only when its last event and tree head
 * verify. These are the cheap checks, a few rows each, made before every
 * write; custody ledger verify checks everything.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "custody/util.h"

#include "store-private.h"

#define STORE_BOUND_DEPTH	64	/* registrars followed back to the founder */

/* One event as a writer reads it back: its signed bytes, parsed. */
struct store_bound_event {
	struct event	 ev;
	json_t		*object;
	char		*canonical;
	size_t		 len;
	unsigned char	 signature[KEY_SIGNATURE_SIZE];
};

static int store_bound_handler(struct store *, const struct store_handler *,
    int depth);

/* Free what a read event holds. */
static void
store_bound_event_free(struct store_bound_event *b)
{
	json_decref(b->object);
	free(b->canonical);
	memset(b, 0, sizeof *b);
}

/* Read the first event a statement selects (bound to ?1) and parse its bytes. 0, 1 none, -1. */
static int
store_bound_read(struct store *s, const char *sql, const char *key,
    int64_t seq, struct store_bound_event *b)
{
	sqlite3_stmt *st = store_prepare(s, sql);
	const void *canonical, *signature;
	int rc = 1;

	memset(b, 0, sizeof *b);
	if (st == NULL)
		return -1;
	if (key != NULL)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		canonical = sqlite3_column_blob(st, 0);
		signature = sqlite3_column_blob(st, 1);
		b->len = (size_t)sqlite3_column_bytes(st, 0);
		rc = -1;
		if (canonical == NULL || signature == NULL ||
		    sqlite3_column_bytes(st, 1) != KEY_SIGNATURE_SIZE)
			error_set("its canonical bytes or signature are missing");
		else if ((b->canonical = malloc(b->len + 1)) == NULL)
			error_set_errno("malloc");
		else {
			memcpy(b->canonical, canonical, b->len);
			b->canonical[b->len] = '\0';
			memcpy(b->signature, signature, KEY_SIGNATURE_SIZE);
			b->object = event_parse(b->canonical, b->len, &b->ev);
			rc = b->object != NULL ? 0 : -1;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The signature of an event, by its handler, itself bound. 0 or -1. */
static int
store_bound_signature(struct store *s, const struct store_bound_event *b,
    const struct store_handler *self, int depth)
{
	struct store_handler signer;
	struct key *key;
	int rc;

	if (self != NULL)
		signer = *self;
	else if (store_handler_find(s, b->ev.handler, &signer) != 0 ||
	    strcmp(signer.fingerprint, b->ev.handler) != 0)
		return error_set("its signer %.16s is not registered", b->ev.handler);
	else if (store_bound_handler(s, &signer, depth + 1) != 0)
		return error_prefix("its signer %.64s (%.16s) is not bound to a "
		    "signed registration", signer.name, signer.fingerprint);
	if ((key = key_from_raw(signer.public_key)) == NULL)
		return -1;
	rc = strcmp(key->fingerprint, signer.fingerprint) == 0 &&
	    key_verify(key, b->canonical, b->len, b->signature,
	    KEY_SIGNATURE_SIZE) == 0 ? 0 : error_set("its signature by %.16s "
	    "does not verify", signer.fingerprint);
	key_free(key);
	return rc;
}

/* The event's details equal those rebuilt from the row it describes. 0 or -1. */
static int
store_bound_details(struct store *s, const struct store_bound_event *b)
{
	json_t *rebuilt;
	int error, same;

	if (strcmp(b->ev.case_id, s->case_id) != 0)
		return error_set("it was signed for case %s", b->ev.case_id);
	rebuilt = store_details(s, &b->ev, &error);
	same = !error && b->ev.details != NULL && json_equal(rebuilt, b->ev.details);
	json_decref(rebuilt);
	return same ? 0 : error_set("the row differs from its signed details");
}

/* A handler row bound to its signed registration, depth registrars deep. 0 or -1. */
static int
store_bound_handler(struct store *s, const struct store_handler *h, int depth)
{
	struct store_bound_event b;
	bool self;
	int rc;

	if (depth > STORE_BOUND_DEPTH)
		return error_set("registrations chain too deep");
	rc = store_bound_read(s, "SELECT canonical, signature FROM events WHERE"
	    " action = 'registered' AND counterpart = ?1 ORDER BY seq LIMIT 1",
	    h->fingerprint, 0, &b);
	if (rc == 1)
		error_set("no event registered it");
	if (rc == 0 && (b.ev.counterpart == NULL ||
	    strcmp(b.ev.counterpart, h->fingerprint) != 0 ||
	    strcmp(b.ev.action, "registered") != 0))
		rc = error_set("its registration event names another key");
	self = rc == 0 && strcmp(b.ev.handler, h->fingerprint) == 0;
	if (rc == 0 && self && b.ev.seq != 1)
		rc = error_set("it registered itself, which only the founder does");
	if (rc == 0)
		rc = store_bound_details(s, &b);
	if (rc == 0)
		rc = store_bound_signature(s, &b, self ? h : NULL, depth);
	store_bound_event_free(&b);
	return rc == 0 ? 0 : -1;
}

/* Is a handler row bound to its signed registration? 0, or -1 naming it. */
int
store_handler_bound(struct store *s, const struct store_handler *h)
{
	char *name;

	if (s->damaged != NULL)
		return error_set("%s (custody ledger verify)", s->damaged);
	if (store_bound_handler(s, h, 0) == 0)
		return 0;
	name = util_escape(h->name, strlen(h->name));
	error_prefix("%s/%s: handler %s (%.16s) is not bound to a signed "
	    "registration, so nothing is written (custody ledger verify)",
	    s->dir, STORE_FILE, name != NULL ? name : "?", h->fingerprint);
	free(name);
	return -1;
}

/* Is an artifact row bound to its signed collection? 0, or -1 naming it. */
int
store_artifact_bound(struct store *s, const struct store_artifact *a)
{
	struct store_bound_event b;
	int rc;

	if (s->damaged != NULL)
		return error_set("%s (custody ledger verify)", s->damaged);
	rc = store_bound_read(s, "SELECT canonical, signature FROM events WHERE"
	    " action IN ('collected', 'ingested') AND artifact = ?1 ORDER BY seq"
	    " LIMIT 1", a->evidence_id, 0, &b);
	if (rc == 1)
		error_set("no event collected or ingested it");
	if (rc == 0 && (b.ev.artifact == NULL ||
	    strcmp(b.ev.artifact, a->evidence_id) != 0 ||
	    (strcmp(b.ev.action, "collected") != 0 &&
	    strcmp(b.ev.action, "ingested") != 0)))
		rc = error_set("its collection event names another artifact");
	if (rc == 0)
		rc = store_bound_details(s, &b);
	if (rc == 0)
		rc = store_bound_signature(s, &b, NULL, 0);
	store_bound_event_free(&b);
	if (rc == 0)
		return 0;
	return error_prefix("%s/%s: artifact %s is not bound to a signed "
	    "collection, so nothing is written (custody ledger verify)",
	    s->dir, STORE_FILE, a->evidence_id);
}

/* The events number 1 to size, no more, no fewer. 0 or -1. */
static int
store_bound_count(struct store *s, uint64_t size)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT count(*), coalesce(max(seq),"
	    " 0), coalesce(min(seq), 1) FROM events");
	int rc = -1;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW)
		store_error(s, "events");
	else if ((uint64_t)sqlite3_column_int64(st, 0) != size ||
	    (uint64_t)sqlite3_column_int64(st, 1) != size ||
	    sqlite3_column_int64(st, 2) != 1)
		error_set("the ledger holds %lld events numbered %lld to %lld, but "
		    "its last tree head is of %llu", sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 1),
		    (unsigned long long)size);
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

/* The last event extends the head before it to the last head. 0 or -1. */
static int
store_bound_last(struct store *s, const struct merkle_builder *last,
    const struct store_bound_event *b)
{
	struct merkle_builder before;
	merkle_hash root, leaf;
	char hex[65];

	if (store_tree_load_size(s, last->size - 1, &before) != 0)
		return -1;
	merkle_builder_root(&before, root);
	if (b->ev.seq != last->size ||
	    strcmp(util_hex(root, sizeof root, hex), b->ev.prev) != 0)
		return error_set("event %llu does not chain to the tree head "
		    "before it", (unsigned long long)last->size);
	merkle_leaf_hash(b->canonical, b->len, leaf);
	merkle_builder_add(&before, leaf);
	if (before.depth != last->depth || memcmp(before.stack, last->stack,
	    last->depth * MERKLE_HASH_SIZE) != 0)
		return error_set("the last tree head is not the one its event makes");
	return 0;
}

/* Before a write: the last event and tree head verify. 0 or -1. */
int
store_tail_check(struct store *s, const struct merkle_builder *last)
{
	struct store_bound_event b;
	int rc;

	if ((rc = store_bound_count(s, last->size)) == 0 && last->size > 0) {
		rc = store_bound_read(s, "SELECT canonical, signature FROM events"
		    " WHERE seq = ?1", NULL, (int64_t)last->size, &b);
		if (rc == 1)
			rc = error_set("its last event is missing");
		if (rc == 0 && strcmp(b.ev.case_id, s->case_id) != 0)
			rc = error_set("its last event was signed for case %s",
			    b.ev.case_id);
		if (rc == 0)
			rc = store_bound_last(s, last, &b);
		if (rc == 0)
			rc = store_bound_signature(s, &b, NULL, 0);
		store_bound_event_free(&b);
	}
	if (rc == 0)
		return 0;
	return error_prefix("%s/%s: the ledger's last event or tree head does not "
	    "verify, so nothing is written (custody ledger verify)", s->dir,
	    STORE_FILE);
}

/* Find a handler as store_handler_find does, and require it bound. */
int
store_handler_find_bound(struct store *s, const char *who,
    struct store_handler *h)
{
	int rc = store_handler_find(s, who, h);

	if (rc != 0)
		return rc;
	return store_handler_bound(s, h);
}
