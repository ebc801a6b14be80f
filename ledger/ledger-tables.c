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
#include "custody/util.h"
#include "ledger.h"

#define SPEC_SIZE(spec)	(sizeof (spec) / sizeof (spec)[0])

/* A handler row against the details of its registration. */
static const struct compare_spec tables_handler_spec[] = {
	{ HANDLER_COL_FINGERPRINT, "fingerprint", "fingerprint", COMPARE_TEXT, 0 },
	{ HANDLER_COL_NAME, "name", "name", COMPARE_TEXT, 0 },
	{ HANDLER_COL_ROLE, "role", "role", COMPARE_TEXT, 0 },
	{ HANDLER_COL_ORGANIZATION, "organization", "organization", COMPARE_TEXT, 0 },
	{ HANDLER_COL_PUBLIC_KEY, "public_key", "public_key", COMPARE_BASE64, 0 },
	{ HANDLER_COL_REGISTERED_AT, "registered_at", "registered_at", COMPARE_TEXT, 0 },
};

/* An artifact row against its collected event (archive_path is not signed). */
static const struct compare_spec tables_artifact_spec[] = {
	{ ARTIFACT_COL_EVIDENCE_ID, "evidence_id", "artifact", COMPARE_TEXT, 1 },
	{ ARTIFACT_COL_ARCHIVE_NAME, "archive_name", "archive_name", COMPARE_TEXT, 0 },
	{ ARTIFACT_COL_ARCHIVE_PATH, "archive_path", NULL, COMPARE_LOCAL, 0 },
	{ ARTIFACT_COL_ARCHIVE_SHA256, "archive_sha256", "archive_sha256", COMPARE_TEXT, 0 },
	{ ARTIFACT_COL_ARCHIVE_SIZE, "archive_size", "archive_size", COMPARE_INTEGER, 0 },
	{ ARTIFACT_COL_MERKLE_ROOT, "merkle_root", "merkle_root", COMPARE_TEXT, 0 },
	{ ARTIFACT_COL_HOST, "host", "host", COMPARE_TEXT, 0 },
	{ ARTIFACT_COL_COLLECTED_AT, "collected_at", "collected_at", COMPARE_TEXT, 0 },
	{ ARTIFACT_COL_COLLECTED_BY, "collected_by", "collected_by", COMPARE_TEXT, 0 },
};

/* A time-stamp row against its timestamped event. */
static const struct compare_spec tables_stamp_spec[] = {
	{ STAMP_COL_EVENT_SEQ, "event_seq", "seq", COMPARE_INTEGER, 1 },
	{ STAMP_COL_FILE, "file", "file", COMPARE_TEXT, 0 },
	{ STAMP_COL_FILE_SHA256, "file_sha256", "file_sha256", COMPARE_TEXT, 0 },
	{ STAMP_COL_TOKEN, "token", "token_sha256", COMPARE_SHA256, 0 },
	{ STAMP_COL_GEN_TIME, "gen_time", "gen_time", COMPARE_TEXT, 0 },
	{ STAMP_COL_TSA, "tsa", "tsa", COMPARE_TEXT, 0 },
};

/* A text value escaped for a message (static buffer: one at a time). */
static const char *
tables_shown(const struct store_value *v)
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
static struct ledger_signed *
tables_voucher(struct ledger_check *c, struct pathmap *map,
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
tables_compare(struct ledger_check *c, struct ledger_signed *s,
    const char *record, const struct compare_spec *spec, size_t n,
    const struct store_value *row)
{
	struct check_target t = { c, s->row.ev.seq, record };

	s->described = true;
	compare_row(spec, n, row, s->object, s->row.ev.details,
	    ledger_check_report, &t);
}

/* store_rows callback: one handler. */
static int
tables_handler(const struct store_value *row, void *arg)
{
	struct ledger_check *c = arg;
	struct ledger_signed *s = tables_voucher(c, c->registered,
	    &row[HANDLER_COL_FINGERPRINT]);
	char name[256];

	if (s != NULL) {
		tables_compare(c, s, "handler", tables_handler_spec,
		    SPEC_SIZE(tables_handler_spec), row);
		return 0;
	}
	snprintf(name, sizeof name, "%s", tables_shown(&row[HANDLER_COL_NAME]));
	ledger_check_problem(c, 0, "handler %s (%.16s) has no registration event",
	    name, tables_shown(&row[HANDLER_COL_FINGERPRINT]));
	return 0;
}

/* store_rows callback: one artifact. */
static int
tables_artifact(const struct store_value *row, void *arg)
{
	struct ledger_check *c = arg;
	struct ledger_signed *s = tables_voucher(c, c->collected,
	    &row[ARTIFACT_COL_EVIDENCE_ID]);

	if (s != NULL)
		tables_compare(c, s, "artifact", tables_artifact_spec,
		    SPEC_SIZE(tables_artifact_spec), row);
	else
		ledger_check_problem(c, 0, "artifact %s has no collection event",
		    tables_shown(&row[ARTIFACT_COL_EVIDENCE_ID]));
	return 0;
}

/* store_rows callback: one time-stamp token. */
static int
tables_stamp(const struct store_value *row, void *arg)
{
	struct ledger_check *c = arg;
	const struct store_value *seq = &row[STAMP_COL_EVENT_SEQ];
	struct ledger_signed *s = seq->type == STORE_INTEGER && seq->integer > 0 ?
	    ledger_check_find(c, (uint64_t)seq->integer) : NULL;

	if (s != NULL && s->object != NULL &&
	    strcmp(s->row.ev.action, "timestamped") == 0)
		tables_compare(c, s, "time-stamp", tables_stamp_spec,
		    SPEC_SIZE(tables_stamp_spec), row);
	else if (seq->type == STORE_INTEGER)
		ledger_check_problem(c, 0, "a time-stamp token is stored for event "
		    "#%" PRId64 ", which is not a timestamped event", seq->integer);
	else
		ledger_check_problem(c, 0, "a time-stamp token is stored under an "
		    "event number that is not an integer");
	return 0;
}

/* Walking the cached tree heads beside a tree rebuilt from the leaves. */
struct tables_tree {
	struct ledger_check	*check;
	struct merkle_builder	 tree;
};

/* Grow the rebuilt tree to size, noting each cached head missing on the way. */
static void
tables_tree_grow(struct tables_tree *w, uint64_t size)
{
	struct ledger_check *c = w->check;

	while (w->tree.size < size) {
		merkle_builder_add(&w->tree, c->leaves[w->tree.size]);
		if (w->tree.size < size)
			ledger_check_problem(c, c->events[w->tree.size - 1].row.ev.seq,
			    "the cached tree head after this event is missing");
	}
}

/* The cached head of the tree's size against the rebuilt tree. */
static void
tables_tree_compare(struct tables_tree *w, const struct store_value *row)
{
	const struct store_value *root = &row[HEAD_COL_ROOT];
	const struct store_value *frontier = &row[HEAD_COL_FRONTIER];
	uint64_t seq = w->check->events[w->tree.size - 1].row.ev.seq;
	merkle_hash recomputed;

	merkle_builder_root(&w->tree, recomputed);
	if (root->type != STORE_BLOB || root->len != MERKLE_HASH_SIZE ||
	    memcmp(root->bytes, recomputed, MERKLE_HASH_SIZE) != 0)
		ledger_check_problem(w->check, seq, "the cached tree head after "
		    "this event differs from the recomputed one (its root)");
	if (frontier->type != STORE_BLOB ||
	    frontier->len != w->tree.depth * MERKLE_HASH_SIZE ||
	    memcmp(frontier->bytes, w->tree.stack, frontier->len) != 0)
		ledger_check_problem(w->check, seq, "the cached tree head after "
		    "this event differs from the recomputed one (its frontier)");
}

/* store_rows callback: one cached tree head, in size order. */
static int
tables_tree_head(const struct store_value *row, void *arg)
{
	struct tables_tree *w = arg;
	int64_t size = row[HEAD_COL_SIZE].integer;

	if (row[HEAD_COL_SIZE].type != STORE_INTEGER || size < 1)
		ledger_check_problem(w->check, 0, "a cached tree head of a size no "
		    "ledger has");
	else if ((uint64_t)size > w->check->count)
		ledger_check_problem(w->check, 0, "a cached tree head records %"
		    PRId64 " events, but the ledger holds %zu: events after #%zu "
		    "were removed", size, w->check->count, w->check->count);
	else {
		tables_tree_grow(w, (uint64_t)size);
		tables_tree_compare(w, row);
	}
	return 0;
}

/* Every cached tree head, one for each size from 1 to the last event. */
static int
tables_tree(struct ledger_check *c)
{
	struct tables_tree w = { .check = c };

	merkle_builder_init(&w.tree);
	if (store_rows(c->store, STORE_TABLE_TREE_HEADS, tables_tree_head, &w) != 0)
		return -1;
	if (w.tree.size < c->count) {
		tables_tree_grow(&w, c->count);
		ledger_check_problem(c, c->events[c->count - 1].row.ev.seq,
		    "the cached tree head after this event is missing");
	}
	return 0;
}

/* Events whose handler, artifact or token row is gone. */
static void
tables_described(struct ledger_check *c)
{
	const struct event *e;
	size_t i;

	for (i = 0; i < c->count; i++) {
		e = &c->events[i].row.ev;
		if (c->events[i].object == NULL || c->events[i].described ||
		    e->details == NULL)
			continue;
		ledger_check_problem(c, e->seq, "the %s record it describes is "
		    "missing", strcmp(e->action, "registered") == 0 ? "handler" :
		    strcmp(e->action, "collected") == 0 ? "artifact" : "time-stamp");
	}
}

/* Bind every handler, artifact, token and tree head to the events. */
int
ledger_check_tables(struct ledger_check *c)
{
	if (store_rows(c->store, STORE_TABLE_HANDLERS, tables_handler, c) != 0 ||
	    store_rows(c->store, STORE_TABLE_ARTIFACTS, tables_artifact, c) != 0 ||
	    store_rows(c->store, STORE_TABLE_TIMESTAMPS, tables_stamp, c) != 0 ||
	    tables_tree(c) != 0)
		return -1;
	tables_described(c);
	return 0;
}
