/*
 * Bind every other table of the ledger to the signed history: each
 * handler row to the event that registered it, each artifact row to its
 * collected event, each time-stamp row to its timestamped event, column
 * by column; and each cached tree head to the tree the events make. A
 * row no event vouches for is a problem, as is an event whose row is gone.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/store.h"
#include "custody/store-check.h"
#include "custody/util.h"
#include "store-check-private.h"

#define SPEC_SIZE(spec)	(sizeof (spec) / sizeof (spec)[0])

/* A handler row against the details of its registration. */
static const struct store_compare_spec store_tables_handler_spec[] = {
	{ HANDLER_COL_FINGERPRINT, "fingerprint", "fingerprint", STORE_COMPARE_TEXT, 0 },
	{ HANDLER_COL_NAME, "name", "name", STORE_COMPARE_TEXT, 0 },
	{ HANDLER_COL_ROLE, "role", "role", STORE_COMPARE_TEXT, 0 },
	{ HANDLER_COL_ORGANIZATION, "organization", "organization", STORE_COMPARE_TEXT, 0 },
	{ HANDLER_COL_PUBLIC_KEY, "public_key", "public_key", STORE_COMPARE_BASE64, 0 },
	{ HANDLER_COL_REGISTERED_AT, "registered_at", "registered_at", STORE_COMPARE_TEXT, 0 },
};

/* The columns of an artifact row (archive_path is not signed). */
#define ARTIFACT_COLUMNS \
	{ ARTIFACT_COL_EVIDENCE_ID, "evidence_id", "artifact", STORE_COMPARE_TEXT, 1 }, \
	{ ARTIFACT_COL_ARCHIVE_NAME, "archive_name", "archive_name", STORE_COMPARE_TEXT, 0 }, \
	{ ARTIFACT_COL_ARCHIVE_PATH, "archive_path", NULL, STORE_COMPARE_LOCAL, 0 }, \
	{ ARTIFACT_COL_ARCHIVE_SHA256, "archive_sha256", "archive_sha256", STORE_COMPARE_TEXT, 0 }, \
	{ ARTIFACT_COL_ARCHIVE_SIZE, "archive_size", "archive_size", STORE_COMPARE_INTEGER, 0 }, \
	{ ARTIFACT_COL_MERKLE_ROOT, "merkle_root", "merkle_root", STORE_COMPARE_TEXT, 0 }, \
	{ ARTIFACT_COL_HOST, "host", "host", STORE_COMPARE_TEXT, 0 }, \
	{ ARTIFACT_COL_COLLECTED_AT, "collected_at", "collected_at", STORE_COMPARE_TEXT, 0 }, \
	{ ARTIFACT_COL_COLLECTED_BY, "collected_by", "collected_by", STORE_COMPARE_TEXT, 0 },

/* An artifact row against its collected event. */
static const struct store_compare_spec store_tables_artifact_spec[] = {
	ARTIFACT_COLUMNS
};

/* An artifact row against its ingested event: the same, and what only the event holds. */
static const struct store_compare_spec store_tables_ingested_spec[] = {
	ARTIFACT_COLUMNS
	{ 0, "collection_ended", "collection_ended", STORE_COMPARE_SIGNED, 0 },
	{ 0, "noted_fingerprint", "noted_fingerprint", STORE_COMPARE_SIGNED, 0 },
	{ 0, "received_from", "received_from", STORE_COMPARE_SIGNED, 0 },
	{ 0, "seal_evidence_id", "seal_evidence_id", STORE_COMPARE_SIGNED, 0 },
	{ 0, "seal_key", "seal_key", STORE_COMPARE_SIGNED, 0 },
	{ 0, "seal_key_kind", "seal_key_kind", STORE_COMPARE_SIGNED, 0 },
	{ 0, "seal_public_key", "seal_public_key", STORE_COMPARE_SIGNED, 0 },
};

/* A time-stamp row against its timestamped event. */
static const struct store_compare_spec store_tables_stamp_spec[] = {
	{ STAMP_COL_EVENT_SEQ, "event_seq", "seq", STORE_COMPARE_INTEGER, 1 },
	{ STAMP_COL_FILE, "file", "file", STORE_COMPARE_TEXT, 0 },
	{ STAMP_COL_FILE_SHA256, "file_sha256", "file_sha256", STORE_COMPARE_TEXT, 0 },
	{ STAMP_COL_TOKEN, "token", "token_sha256", STORE_COMPARE_SHA256, 0 },
	{ STAMP_COL_GEN_TIME, "gen_time", "gen_time", STORE_COMPARE_TEXT, 0 },
	{ STAMP_COL_TSA, "tsa", "tsa", STORE_COMPARE_TEXT, 0 },
};

/* A text value escaped for a message (static buffer: one at a time). */
static const char *
store_tables_shown(const struct store_value *v)
{
	static char shown[256];
	char *escaped;

	if (v->type != STORE_TEXT && v->type != STORE_BLOB)
		return "(not a text)";
	escaped = util_escape((const char *)v->bytes, v->len < 64 ? v->len : 64);
	snprintf(shown, sizeof shown, "%s", escaped != NULL ? escaped : "?");
	free(escaped);
	return shown;
}

/* The event that vouches for a row, by its key in map; NULL when none. */
static struct store_signed *
store_tables_voucher(struct store_check *c, struct pathmap *map,
    const struct store_value *key)
{
	size_t *index;

	if (key->type != STORE_TEXT)
		return NULL;
	index = pathmap_get(map, (const char *)key->bytes, key->len, 0, NULL);
	return index != NULL ? &c->events[*index - 1] : NULL;
}

/* Compare a row with the event that vouches for it. */
static void
store_tables_compare(struct store_check *c, struct store_signed *s,
    const char *record, const struct store_compare_spec *spec, size_t n,
    const struct store_value *row)
{
	struct store_check_target t = { c, s->row.ev.seq, record };

	s->described = true;
	store_compare_row(spec, n, row, s->object, s->row.ev.details,
	    store_check_report, &t);
}

/* store_rows callback: one handler. */
static int
store_tables_handler(const struct store_value *row, void *arg)
{
	struct store_check *c = arg;
	struct store_signed *s = store_tables_voucher(c, c->registered,
	    &row[HANDLER_COL_FINGERPRINT]);
	char name[256];

	if (s != NULL) {
		store_tables_compare(c, s, "handler", store_tables_handler_spec,
		    SPEC_SIZE(store_tables_handler_spec), row);
		return 0;
	}
	snprintf(name, sizeof name, "%s", store_tables_shown(&row[HANDLER_COL_NAME]));
	store_check_problem(c, 0, "handler %s (%.16s) has no registration event",
	    name, store_tables_shown(&row[HANDLER_COL_FINGERPRINT]));
	return 0;
}

/* store_rows callback: one artifact. */
static int
store_tables_artifact(const struct store_value *row, void *arg)
{
	struct store_check *c = arg;
	struct store_signed *s = store_tables_voucher(c, c->collected,
	    &row[ARTIFACT_COL_EVIDENCE_ID]);

	if (s != NULL && s->object != NULL &&
	    strcmp(s->row.ev.action, "ingested") == 0)
		store_tables_compare(c, s, "artifact", store_tables_ingested_spec,
		    SPEC_SIZE(store_tables_ingested_spec), row);
	else if (s != NULL)
		store_tables_compare(c, s, "artifact", store_tables_artifact_spec,
		    SPEC_SIZE(store_tables_artifact_spec), row);
	else
		store_check_problem(c, 0, "artifact %s has no collection event",
		    store_tables_shown(&row[ARTIFACT_COL_EVIDENCE_ID]));
	return 0;
}

/* store_rows callback: one time-stamp token. */
static int
store_tables_stamp(const struct store_value *row, void *arg)
{
	struct store_check *c = arg;
	const struct store_value *seq = &row[STAMP_COL_EVENT_SEQ];
	struct store_signed *s = seq->type == STORE_INTEGER && seq->integer > 0 ?
	    store_check_find(c, (uint64_t)seq->integer) : NULL;

	if (s != NULL && s->object != NULL &&
	    strcmp(s->row.ev.action, "timestamped") == 0)
		store_tables_compare(c, s, "time-stamp", store_tables_stamp_spec,
		    SPEC_SIZE(store_tables_stamp_spec), row);
	else if (seq->type == STORE_INTEGER)
		store_check_problem(c, 0, "a time-stamp token is stored for event "
		    "#%" PRId64 ", which is not a timestamped event", seq->integer);
	else
		store_check_problem(c, 0, "a time-stamp token is stored under an "
		    "event number that is not an integer");
	return 0;
}

/* Walking the cached tree heads beside a tree rebuilt from the leaves. */
struct store_tables_tree {
	struct store_check	*check;
	struct merkle_builder	 tree;
	bool			 resumed;	/* from the tree of the events verified before */
	bool			 known_seen;	/* the head verified before was compared */
};

/* Grow the rebuilt tree to size, noting each cached head missing on the way. */
static void
store_tables_tree_grow(struct store_tables_tree *w, uint64_t size)
{
	struct store_check *c = w->check;

	while (w->tree.size < size) {
		merkle_builder_add(&w->tree, c->leaves[w->tree.size]);
		if (w->tree.size < size)
			store_check_problem(c, c->events[w->tree.size - 1].row.ev.seq,
			    "the cached tree head after this event is missing");
	}
}

/* The cached head of the tree's size against the rebuilt tree. */
static void
store_tables_tree_compare(struct store_tables_tree *w, const struct store_value *row)
{
	const struct store_value *root = &row[HEAD_COL_ROOT];
	const struct store_value *frontier = &row[HEAD_COL_FRONTIER];
	uint64_t seq = w->check->events[w->tree.size - 1].row.ev.seq;
	merkle_hash recomputed;

	/* The read already computed the heads it checked the chain with. */
	if (w->tree.size >= w->check->heads_from)
		memcpy(recomputed, w->check->heads[w->tree.size], MERKLE_HASH_SIZE);
	else
		merkle_builder_root(&w->tree, recomputed);
	if (root->type != STORE_BLOB || root->len != MERKLE_HASH_SIZE ||
	    memcmp(root->bytes, recomputed, MERKLE_HASH_SIZE) != 0)
		store_check_problem(w->check, seq, "the cached tree head after "
		    "this event differs from the recomputed one (its root)");
	if (frontier->type != STORE_BLOB ||
	    frontier->len != w->tree.depth * MERKLE_HASH_SIZE ||
	    memcmp(frontier->bytes, w->tree.stack, frontier->len) != 0)
		store_check_problem(w->check, seq, "the cached tree head after "
		    "this event differs from the recomputed one (its frontier)");
}

/* store_rows callback: one cached tree head, in size order. */
static int
store_tables_tree_head(const struct store_value *row, void *arg)
{
	struct store_tables_tree *w = arg;
	int64_t size = row[HEAD_COL_SIZE].integer;

	if (row[HEAD_COL_SIZE].type != STORE_INTEGER || size < 1)
		store_check_problem(w->check, 0, "a cached tree head of a size no "
		    "ledger has");
	else if (w->resumed && (uint64_t)size < w->check->known)
		return 0;	/* checked when that part was verified */
	else if (w->resumed && (uint64_t)size == w->check->known && !w->known_seen) {
		w->known_seen = true;
		store_tables_tree_compare(w, row);
	} else if ((uint64_t)size <= w->tree.size)
		store_check_problem(w->check, 0, "a second cached tree head of size %"
		    PRId64, size);
	else if ((uint64_t)size > w->check->count)
		store_check_problem(w->check, 0, "a cached tree head records %"
		    PRId64 " events, but the ledger holds %zu: events after #%zu "
		    "were removed", size, w->check->count, w->check->count);
	else {
		store_tables_tree_grow(w, (uint64_t)size);
		store_tables_tree_compare(w, row);
	}
	return 0;
}

/* Every cached tree head, one for each size from 1 to the last event. */
static int
store_tables_tree(struct store_check *c)
{
	struct store_tables_tree w = { .check = c };

	/* After a verify remembered, from the tree of the events verified then. */
	merkle_builder_init(&w.tree);
	if (c->known > 0 && c->known_tree.size == c->known) {
		w.tree = c->known_tree;
		w.resumed = true;
	}
	if (store_rows(c->store, STORE_TABLE_TREE_HEADS, store_tables_tree_head, &w) != 0)
		return -1;
	if (w.tree.size < c->count) {
		store_tables_tree_grow(&w, c->count);
		store_check_problem(c, c->events[c->count - 1].row.ev.seq,
		    "the cached tree head after this event is missing");
	}
	return 0;
}

/* Events whose handler, artifact or token row is gone. */
static void
store_tables_described(struct store_check *c)
{
	const struct event *e;
	size_t i;

	for (i = 0; i < c->count; i++) {
		e = &c->events[i].row.ev;
		/* A typed event's details describe a file, not a row. */
		if (c->events[i].object == NULL || c->events[i].described ||
		    e->details == NULL || strcmp(e->action, "typed") == 0)
			continue;
		store_check_problem(c, e->seq, "the %s record it describes is "
		    "missing", strcmp(e->action, "registered") == 0 ? "handler" :
		    strcmp(e->action, "collected") == 0 ||
		    strcmp(e->action, "ingested") == 0 ? "artifact" : "time-stamp");
	}
}

/* Bind every handler, artifact, token and tree head to the events. */
int
store_check_tables(struct store_check *c)
{
	if (store_rows(c->store, STORE_TABLE_HANDLERS, store_tables_handler, c) != 0 ||
	    store_rows(c->store, STORE_TABLE_ARTIFACTS, store_tables_artifact, c) != 0 ||
	    store_rows(c->store, STORE_TABLE_TIMESTAMPS, store_tables_stamp, c) != 0 ||
	    store_tables_tree(c) != 0)
		return -1;
	store_tables_described(c);
	return 0;
}
