/*
 * The events of the ledger and the cache of its tree heads: appending an
 * event (its seq, prev, signature and the next head, in the caller's
 * transaction) and reading the events back.
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

/* Read one tree head row (size, frontier) into a builder. 0 or -1. */
static int
store_tree_read(sqlite3_stmt *st, struct merkle_builder *b)
{
	const unsigned char *frontier = sqlite3_column_blob(st, 1);
	int64_t size = sqlite3_column_int64(st, 0);
	int depth = __builtin_popcountll((unsigned long long)size);

	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || size < 1 ||
	    sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 1) != depth * MERKLE_HASH_SIZE ||
	    frontier == NULL)
		return error_set("ledger: the cached tree head is damaged "
		    "(run custody ledger verify)");
	b->size = (uint64_t)size;
	b->depth = (unsigned)depth;
	memcpy(b->stack, frontier, (size_t)depth * MERKLE_HASH_SIZE);
	return 0;
}

/* Load the latest cached tree head into a builder. */
static int
store_tree_load(struct store *s, struct merkle_builder *b)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT size, frontier FROM tree_heads"
	    " ORDER BY size DESC LIMIT 1");
	int rc = 0;

	merkle_builder_init(b);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = store_tree_read(st, b);
	sqlite3_finalize(st);
	return rc;
}

/* Load the cached tree head of a size (0: the empty tree). 0 or -1. */
int
store_tree_load_size(struct store *s, uint64_t size, struct merkle_builder *b)
{
	sqlite3_stmt *st;
	int rc;

	merkle_builder_init(b);
	if (size == 0)
		return 0;
	if ((st = store_prepare(s, "SELECT size, frontier FROM tree_heads"
	    " WHERE size = ?")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	rc = sqlite3_step(st) == SQLITE_ROW ? store_tree_read(st, b) :
	    error_set("the cached tree head after event %llu is missing",
	    (unsigned long long)size);
	sqlite3_finalize(st);
	return rc;
}

/* The seq the next event will get. */
int
store_next_seq(struct store *s, uint64_t *seq)
{
	struct merkle_builder b;

	if (store_tree_load(s, &b) != 0)
		return -1;
	*seq = b.size + 1;
	return 0;
}

/* Store the tree head after the new leaf. */
static int
store_tree_save(struct store *s, const struct merkle_builder *b)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO tree_heads (size, root,"
	    " frontier) VALUES (?, ?, ?)");
	merkle_hash root;
	int rc;

	if (st == NULL)
		return -1;
	merkle_builder_root(b, root);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)b->size);
	sqlite3_bind_blob(st, 2, root, MERKLE_HASH_SIZE, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, b->stack, (int)(b->depth * MERKLE_HASH_SIZE),
	    SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_error(s, "tree heads");
	sqlite3_finalize(st);
	return rc;
}

/* Bind an optional text. */
static void
store_bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Insert the event row. */
static int
store_insert_event(struct store *s, const struct event *e, const char *canonical,
    size_t len, const unsigned char *signature)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO events (seq, at, action,"
	    " artifact, handler, counterpart, refers, location, note, canonical,"
	    " signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_text(st, 2, e->time, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->action, -1, SQLITE_STATIC);
	store_bind_text(st, 4, e->artifact);
	sqlite3_bind_text(st, 5, e->handler, -1, SQLITE_STATIC);
	store_bind_text(st, 6, e->counterpart);
	if (e->refers != 0)
		sqlite3_bind_int64(st, 7, (sqlite3_int64)e->refers);
	else
		sqlite3_bind_null(st, 7);
	store_bind_text(st, 8, e->location);
	store_bind_text(st, 9, e->note);
	sqlite3_bind_blob(st, 10, canonical, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, signature, KEY_SIGNATURE_SIZE, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_error(s, "events");
	sqlite3_finalize(st);
	return rc;
}

/*
 * The tail check before a write, once per transaction: a batch appending
 * a million events checks the end it found, then extends what it wrote.
 */
static int
store_tail_trusted(struct store *s, const struct merkle_builder *b)
{
	bool in_transaction = !sqlite3_get_autocommit(s->db);

	if (in_transaction && s->trusted_size != 0 && s->trusted_size == b->size)
		return 0;
	if (store_tail_check(s, b) != 0)
		return -1;
	if (in_transaction)
		s->trusted_size = b->size;
	return 0;
}

/* Append an event inside the caller's transaction. */
int
store_append(struct store *s, struct event *e, const struct key *signer)
{
	unsigned char signature[KEY_SIGNATURE_SIZE];
	char now[UTIL_TIME_SIZE], *canonical;
	struct merkle_builder b;
	struct timespec ts;
	merkle_hash root, leaf;
	json_t *details;
	size_t len;
	int error, rc;

	/* Never extend a ledger whose end does not verify. */
	if (store_tree_load(s, &b) != 0 || store_tail_trusted(s, &b) != 0)
		return -1;
	e->seq = b.size + 1;
	e->case_id = s->case_id;
	e->handler = signer->fingerprint;
	merkle_builder_root(&b, root);
	util_hex(root, sizeof root, e->prev);
	util_time_now(&ts);
	util_time_format(&ts, now);
	e->time = now;
	details = store_details(s, e, &error);
	if (error)
		return -1;
	e->details = details;
	canonical = event_canonical(e, &len);
	e->details = NULL;
	json_decref(details);
	if (canonical == NULL)
		return -1;
	rc = key_sign(signer, canonical, len, signature);
	if (rc == 0)
		rc = store_insert_event(s, e, canonical, len, signature);
	if (rc == 0) {
		merkle_leaf_hash(canonical, len, leaf);
		merkle_builder_add(&b, leaf);
		rc = store_tree_save(s, &b);
	}
	if (rc == 0 && !sqlite3_get_autocommit(s->db))
		s->trusted_size = b.size;
	free(canonical);
	e->time = NULL;
	return rc;
}

/* Text of an optional column, or NULL. */
static const char *
store_text_or_null(sqlite3_stmt *st, int column)
{
	return (const char *)sqlite3_column_text(st, column);
}

/* Call fn for every event in seq order. */
int
store_events(struct store *s, const char *artifact,
    int (*fn)(const struct store_event *, void *), void *arg)
{
	/* Two statements, so that one artifact's events come from its index. */
	sqlite3_stmt *st = store_prepare(s, artifact == NULL ?
	    "SELECT seq, at, action, artifact, handler, counterpart, refers,"
	    " location, note, canonical, signature FROM events ORDER BY seq" :
	    "SELECT seq, at, action, artifact, handler, counterpart, refers,"
	    " location, note, canonical, signature FROM events WHERE artifact = ?1"
	    " ORDER BY seq");
	struct store_event row;
	int rc = 0, step;

	if (st == NULL)
		return -1;
	if (artifact != NULL)
		sqlite3_bind_text(st, 1, artifact, -1, SQLITE_STATIC);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof row);
		row.ev.seq = (uint64_t)sqlite3_column_int64(st, 0);
		row.ev.case_id = s->case_id;
		row.ev.time = store_text_or_null(st, 1);
		row.ev.action = store_text_or_null(st, 2);
		row.ev.artifact = store_text_or_null(st, 3);
		row.ev.handler = store_text_or_null(st, 4);
		row.ev.counterpart = store_text_or_null(st, 5);
		row.ev.refers = (uint64_t)sqlite3_column_int64(st, 6);
		row.ev.location = store_text_or_null(st, 7);
		row.ev.note = store_text_or_null(st, 8);
		row.canonical = sqlite3_column_blob(st, 9);
		row.canonical_len = (size_t)sqlite3_column_bytes(st, 9);
		row.signature = sqlite3_column_blob(st, 10);
		row.signature_len = (size_t)sqlite3_column_bytes(st, 10);
		if (row.ev.time == NULL || row.ev.action == NULL ||
		    row.ev.handler == NULL || row.canonical == NULL ||
		    row.signature == NULL)
			rc = error_set("%s/%s: event %llu: a column custody always "
			    "writes (at, action, handler, canonical, signature) is "
			    "NULL: the ledger is damaged (custody ledger verify)",
			    s->dir, STORE_FILE, (unsigned long long)row.ev.seq);
		else
			rc = fn(&row, arg);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The cached tree head after size events. */
int
store_tree_head(struct store *s, uint64_t size, merkle_hash root)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT root FROM tree_heads WHERE size = ?");
	int rc = 1;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == MERKLE_HASH_SIZE) {
		memcpy(root, sqlite3_column_blob(st, 0), MERKLE_HASH_SIZE);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The leaf hash of the first event: what names a case beside its id. */
int
store_first_leaf(struct store *s, merkle_hash leaf)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT canonical FROM events"
	    " ORDER BY seq LIMIT 1");
	int rc = 1, step;

	if (st == NULL)
		return -1;
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		merkle_leaf_hash(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), leaf);
		rc = 0;
	} else if (step != SQLITE_DONE)
		rc = store_error(s, "events");
	sqlite3_finalize(st);
	return rc;
}
