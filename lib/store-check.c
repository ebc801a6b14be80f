/*
 * Check a case's ledger whole, for ledger verify, for every command that
 * shows it (log, export, audit) and for verify --case: the database file
 * and its schema, each event row against its signed canonical bytes, the
 * signatures, the chain of tree heads and who registered whom. What the
 * commands then show are the signed events kept here, not the columns.
 * Nothing is printed: the findings are data (problems).
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/store.h"
#include "custody/store-check.h"
#include "custody/tsa.h"
#include "custody/util.h"
#include "store-check-private.h"

/* Every column of an event row and the signed member it must equal. */
static const struct store_compare_spec store_check_event_spec[] = {
	{ EVENT_COL_SEQ, "seq", "seq", STORE_COMPARE_INTEGER, 1 },
	{ EVENT_COL_AT, "time", "time", STORE_COMPARE_TEXT, 1 },
	{ EVENT_COL_ACTION, "action", "action", STORE_COMPARE_TEXT, 1 },
	{ EVENT_COL_ARTIFACT, "artifact", "artifact", STORE_COMPARE_TEXT, 1 },
	{ EVENT_COL_HANDLER, "handler", "handler", STORE_COMPARE_TEXT, 1 },
	{ EVENT_COL_COUNTERPART, "counterpart", "counterpart", STORE_COMPARE_TEXT, 1 },
	{ EVENT_COL_REFERS, "refers", "refers", STORE_COMPARE_INTEGER, 1 },
	{ EVENT_COL_LOCATION, "location", "location", STORE_COMPARE_TEXT, 1 },
	{ EVENT_COL_NOTE, "note", "note", STORE_COMPARE_TEXT, 1 },
};

/* Record a problem; the event it names is no longer verified. */
void
store_check_problem(struct store_check *c, uint64_t seq, const char *fmt, ...)
{
	struct store_signed *s = seq != 0 ? store_check_find(c, seq) : NULL;
	char text[1024];
	json_t *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (s != NULL)
		s->verified = false;
	p = json_pack("{s:o, s:s}", "event", seq != 0 ?
	    json_integer((json_int_t)seq) : json_null(), "problem", text);
	/* Out of memory: keep count of the failure all the same. */
	if (p == NULL || json_array_append_new(c->problems, p) != 0)
		json_array_append_new(c->problems, json_null());
}

/* The signed event with this seq, or NULL. */
struct store_signed *
store_check_find(const struct store_check *c, uint64_t seq)
{
	size_t low = 0, high = c->count, mid;

	while (low < high) {
		mid = low + (high - low) / 2;
		if (c->events[mid].row.ev.seq == seq)
			return &c->events[mid];
		if (c->events[mid].row.ev.seq < seq)
			low = mid + 1;
		else
			high = mid;
	}
	return NULL;
}

/* True when no problem was found. */
bool
store_check_ok(const struct store_check *c)
{
	return json_array_size(c->problems) == 0;
}

/* A stored value, copied and NUL-terminated: the row's bytes live only during the callback. */
void *
store_check_copy(const struct store_value *v)
{
	void *copy = malloc(v->len + 1);

	if (copy != NULL) {
		memcpy(copy, v->bytes != NULL ? v->bytes : (const unsigned char *)"",
		    v->len);
		((char *)copy)[v->len] = '\0';
	}
	return copy;
}

/* Room for one more event and its leaf. */
static struct store_signed *
store_check_grow(struct store_check *c)
{
	struct store_signed *events;
	merkle_hash *leaves;
	size_t capacity;

	if (c->count == c->capacity) {
		capacity = c->capacity != 0 ? c->capacity * 2 : 256;
		if ((events = reallocarray(c->events, capacity, sizeof *events)) == NULL)
			return error_set_errno("reallocarray"), NULL;
		c->events = events;
		if ((leaves = reallocarray(c->leaves, capacity, sizeof *leaves)) == NULL)
			return error_set_errno("reallocarray"), NULL;
		c->leaves = leaves;
		if ((leaves = reallocarray(c->heads, capacity + 1, sizeof *leaves)) == NULL)
			return error_set_errno("reallocarray"), NULL;
		c->heads = leaves;
		c->capacity = capacity;
	}
	memset(&c->events[c->count], 0, sizeof *c->events);
	return &c->events[c->count++];
}

/* store_compare_row reporter: one problem per differing column, on the event. */
void
store_check_report(void *arg, const char *name, const char *why)
{
	const struct store_check_target *t = arg;

	if (t->record == NULL)
		store_check_problem(t->check, t->seq, "field \"%s\" differs from "
		    "its signed form: %s", name, why);
	else
		store_check_problem(t->check, t->seq, "the %s record it describes "
		    "differs from its signed form: column \"%s\" %s", t->record,
		    name, why);
}

/* The signed case and prev, which no column holds but the chain and case_info. */
static void
store_check_case_and_chain(struct store_check *c, struct store_signed *s)
{
	const struct event *e = &s->row.ev;
	json_t *signed_case = json_object_get(s->object, "case");
	char hex[65];

	if (c->case_id == NULL || json_string_length(signed_case) != c->case_id_len ||
	    memcmp(json_string_value(signed_case), c->case_id, c->case_id_len) != 0)
		store_check_problem(c, e->seq, "field \"case\" differs from its "
		    "signed form: it was signed for another case than the one "
		    "case_info records");
	if (strcmp(util_hex(c->heads[c->count - 1], MERKLE_HASH_SIZE, hex),
	    e->prev) != 0)
		store_check_problem(c, e->seq, "does not chain to the tree head "
		    "before it: events were deleted, inserted or reordered");
}

/* Only registered, collected, ingested, timestamped and typed events carry details. */
static void
store_check_details_present(struct store_check *c, const struct event *e)
{
	bool wants = strcmp(e->action, "registered") == 0 ||
	    strcmp(e->action, "collected") == 0 ||
	    strcmp(e->action, "ingested") == 0 ||
	    strcmp(e->action, "typed") == 0 ||
	    strcmp(e->action, "timestamped") == 0;

	if (wants != (e->details != NULL))
		store_check_problem(c, e->seq, "a %s event %s details", e->action,
		    wants ? "without" : "with");
}

/* Compare every column with the signed form; all differences, not the first. */
static void
store_check_fields(struct store_check *c, struct store_signed *s,
    const struct store_value *row)
{
	struct store_check_target t = { c, s->row.ev.seq, NULL };

	store_compare_row(store_check_event_spec, sizeof store_check_event_spec /
	    sizeof store_check_event_spec[0], row, s->object, NULL,
	    store_check_report, &t);
	store_check_case_and_chain(c, s);
	store_check_details_present(c, &s->row.ev);
}

/* The event's signature, with the key its handler registered (checked once per signer). */
static int
store_check_signature(struct store_check *c, const struct store_check_item *it,
    const struct store_event *row)
{
	const struct store_check_key *k;
	struct store_check_key spare = { 0 };
	uint64_t seq = it->ev.seq;

	if ((k = store_check_keys_get(c->keys, c->store, it->ev.handler,
	    &spare)) == NULL)
		return -1;
	if (k->status == STORE_CHECK_KEY_UNREGISTERED)
		store_check_problem(c, seq, "signed by key %.16s, which is "
		    "not registered in the case", it->ev.handler);
	else if (k->status == STORE_CHECK_KEY_INVALID)
		store_check_problem(c, seq, "handler %s has an invalid key", k->name);
	else if (k->status == STORE_CHECK_KEY_MISMATCH)
		store_check_problem(c, seq, "handler %s: public key does "
		    "not match its fingerprint", k->name);
	else if (it->signature_state == STORE_CHECK_SIGNATURE_BAD ||
	    (it->signature_state == STORE_CHECK_SIGNATURE_UNCHECKED &&
	    key_verify(k->key, row->canonical, row->canonical_len,
	    row->signature, row->signature_len) != 0))
		store_check_problem(c, seq, "signature by %s does not "
		    "verify", k->name);
	store_check_key_clear(&spare);
	return 0;
}

/*
 * A signer must have been registered before signing, and only the case's
 * first key registers itself: someone with write access to the database
 * cannot slip in a key of their own.
 */
static void
store_check_registration_order(struct store_check *c, const struct event *e)
{
	bool known = pathmap_get(c->registered, e->handler, strlen(e->handler),
	    0, NULL) != NULL;
	bool self = strcmp(e->action, "registered") == 0 &&
	    e->counterpart != NULL && strcmp(e->counterpart, e->handler) == 0;

	if (self && pathmap_count(c->registered) > 0)
		store_check_problem(c, e->seq, "a key registers itself, but only "
		    "the case's first key may (a registration must be signed by a "
		    "registered handler)");
	else if (!self && !known)
		store_check_problem(c, e->seq, "signed by key %.16s before that "
		    "key was registered", e->handler);
}

/* Note the handler or artifact an event vouches for (its index + 1). */
static int
store_check_note_record(struct store_check *c, const struct event *e)
{
	struct pathmap *map = strcmp(e->action, "registered") == 0 ?
	    c->registered : strcmp(e->action, "collected") == 0 ||
	    strcmp(e->action, "ingested") == 0 ? c->collected : NULL;
	const char *key = map == c->registered ? e->counterpart : e->artifact;
	size_t *index;
	int created;

	if (map == NULL || key == NULL)
		return 0;
	if ((index = pathmap_get(map, key, strlen(key), 1, &created)) == NULL)
		return -1;
	if (!created)
		store_check_problem(c, e->seq, "%s %s again (first at #%llu)",
		    e->action, key, (unsigned long long)
		    c->events[*index - 1].row.ev.seq);
	else
		*index = c->count;
	return 0;
}

/* A stored BLOB column (canonical, signature): a problem when not a BLOB. */
static void
store_check_blob(struct store_check *c, uint64_t seq, const struct store_value *row,
    int column)
{
	if (row[column].type != STORE_BLOB)
		store_check_problem(c, seq, "column \"%s\" is not the BLOB custody "
		    "writes", store_column_name(STORE_TABLE_EVENTS, column));
}

/* Add the last event's leaf to the tree. */
static void
store_check_add_leaf(struct store_check *c, const merkle_hash leaf)
{
	memcpy(c->leaves[c->count - 1], leaf, MERKLE_HASH_SIZE);
	merkle_builder_add(&c->tree, leaf);
}

/* Whether a later check reads an event whole: it vouches for a row, or carries details. */
static bool
store_check_vouches(const struct store_signed *s)
{
	const char *action = s->row.ev.action;

	return s->object != NULL && (s->row.ev.details != NULL ||
	    strcmp(action, "registered") == 0 || strcmp(action, "collected") == 0 ||
	    strcmp(action, "ingested") == 0 || strcmp(action, "timestamped") == 0);
}

/* Drop what no later check reads (ledger verify keeps only the vouchers). */
static void
store_check_lean(struct store_check *c, struct store_signed *s)
{
	uint64_t seq = s->row.ev.seq;
	bool verified = s->verified;

	if (!c->lean || store_check_vouches(s))
		return;
	json_decref(s->object);
	free(s->canonical);
	free(s->signature);
	memset(s, 0, sizeof *s);
	s->row.ev.seq = seq;
	s->verified = verified;
}

/* An event verified before (its leaf is in the remembered tree): keep what vouches. */
static int
store_check_known(struct store_check *c, struct store_signed *s)
{
	if (s->object != NULL && store_check_note_record(c, &s->row.ev) != 0)
		return -1;
	store_check_lean(c, s);
	return 0;
}

/* The checks that depend on the events before: in seq order, on the reading thread. */
int
store_check_item_check(struct store_check *c, struct store_check_item *it)
{
	uint64_t seq = (uint64_t)it->row[EVENT_COL_SEQ].integer;
	struct store_signed *s;

	if ((s = store_check_grow(c)) == NULL)
		return -1;
	s->row.ev.seq = seq;
	s->verified = true;
	s->canonical = it->canonical;
	s->signature = it->signature;
	s->row.canonical = it->canonical;
	s->row.canonical_len = it->canonical_len;
	s->row.signature = it->signature;
	s->row.signature_len = it->signature_len;
	s->object = it->object;
	it->canonical = NULL;
	it->signature = NULL;
	it->object = NULL;
	if (s->object != NULL)
		s->row.ev = it->ev;
	if (it->hash_only) {
		c->expected_seq = seq + 1;
		store_check_add_leaf(c, it->leaf);
		if (c->count == c->known)
			c->known_tree = c->tree;
		return store_check_known(c, s);
	}
	if (seq != c->expected_seq)
		store_check_problem(c, seq, "out of sequence: expected #%llu "
		    "(events deleted or inserted)",
		    (unsigned long long)c->expected_seq);
	c->expected_seq = seq + 1;
	/* The head before this event: its prev, and the cached head of that size. */
	merkle_builder_root(&c->tree, c->heads[c->count - 1]);
	if (c->heads_from > c->count - 1)
		c->heads_from = c->count - 1;
	store_check_blob(c, seq, it->row, EVENT_COL_CANONICAL);
	store_check_blob(c, seq, it->row, EVENT_COL_SIGNATURE);
	if (s->object == NULL) {
		s->row.ev.seq = seq;
		store_check_problem(c, seq, "its signed bytes are not a canonical "
		    "event: %s", it->parse_error != NULL ? it->parse_error :
		    "out of memory");
	} else {
		store_check_fields(c, s, it->row);
		if (store_check_signature(c, it, &s->row) != 0)
			return -1;
		store_check_registration_order(c, &s->row.ev);
		if (store_check_note_record(c, &s->row.ev) != 0)
			return -1;
	}
	store_check_add_leaf(c, it->leaf);
	store_check_lean(c, s);
	return 0;
}

/* The storage class of a value in words. */
static const char *
store_check_type_name(enum store_type type)
{
	switch (type) {
	case STORE_NULL: return "NULL";
	case STORE_INTEGER: return "an integer";
	case STORE_REAL: return "a real number";
	case STORE_TEXT: return "a text";
	case STORE_BLOB: return "a BLOB";
	}
	return "?";
}

/* A case_info column must have the storage class custody writes. */
static void
store_check_case_column(struct store_check *c, const struct store_value *row,
    int column, enum store_type want, bool or_null)
{
	enum store_type type = row[column].type;

	if (type == want || (or_null && type == STORE_NULL))
		return;
	store_check_problem(c, 0, "%s/%s: case_info.%s is %s, where custody "
	    "writes %s", store_dir(c->store), STORE_FILE,
	    store_column_name(STORE_TABLE_CASE, column),
	    store_check_type_name(type), store_check_type_name(want));
}

/* store_rows callback: the one case row. */
static int
store_check_case_row(const struct store_value *row, void *arg)
{
	struct store_check *c = arg;

	if (c->case_id != NULL) {
		store_check_problem(c, 0, "case_info holds more than one case");
		return 0;
	}
	store_check_case_column(c, row, CASE_COL_CASE_ID, STORE_TEXT, false);
	store_check_case_column(c, row, CASE_COL_TITLE, STORE_TEXT, true);
	store_check_case_column(c, row, CASE_COL_CREATED_AT, STORE_TEXT, false);
	store_check_case_column(c, row, CASE_COL_SCHEMA_VERSION, STORE_INTEGER,
	    false);
	if ((c->case_id = store_check_copy(&row[CASE_COL_CASE_ID])) == NULL)
		return error_set_errno("malloc");
	c->case_id_len = row[CASE_COL_CASE_ID].len;
	return 0;
}

/* store_integrity callback: the database file is damaged. */
static int
store_check_damaged(const char *message, void *arg)
{
	struct store_check *c = arg;

	store_check_problem(c, 0, "the database file is damaged: %s", message);
	return 0;
}

/* store_schema_check callback: an object custody does not create, or lacks. */
static int
store_check_schema_object(const char *message, void *arg)
{
	struct store_check *c = arg;

	store_check_problem(c, 0, "the schema is not the one custody creates: %s",
	    message);
	return 0;
}

/* store_timestamps callback: check one token against the CA. */
static int
store_check_token(uint64_t seq, const char *file, const char *file_sha256,
    const unsigned char *token, size_t token_len, void *arg)
{
	const char *ca = ((void **)arg)[1];
	struct store_check *c = ((void **)arg)[0];
	unsigned char digest[32];
	char tsa[256];
	time_t when;

	if (file == NULL || file_sha256 == NULL ||
	    util_unhex(file_sha256, digest, sizeof digest) != 0 ||
	    tsa_verify(token, token_len, digest, ca, &when, tsa, sizeof tsa) != 0)
		store_check_problem(c, seq, "time-stamp of %s: %s", file != NULL ?
		    file : "?", error_message());
	return 0;
}

/* Check every token against the CA; an unreadable CA is an operational error. */
static int
store_check_tokens(struct store_check *c, const char *tsa_ca)
{
	void *args[2] = { c, (void *)tsa_ca };
	size_t ca_len;
	char *ca;

	if (util_read_file(tsa_ca, 1 << 20, &ca, &ca_len) != 0)
		return -1;
	free(ca);
	return store_timestamps(c->store, store_check_token, args);
}

/* Read every row; a read that fails in a damaged file is one more problem. */
static int
store_check_read(struct store_check *c, size_t damaged)
{
	if (store_rows(c->store, STORE_TABLE_CASE, store_check_case_row, c) == 0 &&
	    store_check_read_events(c) == 0 &&
	    store_check_tables(c) == 0)
		return 0;
	if (damaged == 0)
		return -1;
	store_check_problem(c, 0, "the database file cannot be read whole: %s",
	    error_message());
	return 0;
}

/* Check the ledger, in full or after what was verified before. */
int
store_check_verify(struct store *s, struct store_check *c,
    const struct store_check_options *o)
{
	memset(c, 0, sizeof *c);
	c->store = s;
	c->expected_seq = 1;
	c->heads_from = SIZE_MAX;
	c->lean = o->lean;
	c->known = o->since != NULL ? o->since->size : 0;
	merkle_builder_init(&c->tree);
	merkle_builder_init(&c->known_tree);
	if ((c->keys = calloc(1, sizeof *c->keys)) == NULL ||
	    (c->problems = json_array()) == NULL ||
	    (c->checkpoints = json_array()) == NULL ||
	    (c->registered = pathmap_new(sizeof(size_t))) == NULL ||
	    (c->collected = pathmap_new(sizeof(size_t))) == NULL)
		return error_set("out of memory");
	/* The whole file's b-trees are a full check's: O(file), not O(new events). */
	if ((o->since == NULL ? store_integrity(s, store_check_damaged, c) :
	    store_integrity_shape(s, store_check_damaged, c)) != 0 ||
	    store_schema_check(s, store_check_schema_object, c) != 0 ||
	    store_check_read(c, json_array_size(c->problems)) != 0 ||
	    (o->since != NULL && store_check_remembered(c, o->since) != 0) ||
	    store_check_checkpoints(c, o->checkpoints, o->count) != 0)
		return -1;
	return o->tsa_ca != NULL ? store_check_tokens(c, o->tsa_ca) : 0;
}

/* Check everything of the ledger. */
int
store_check_run(struct store *s, struct store_check *c, char **checkpoints,
    size_t count, const char *tsa_ca)
{
	struct store_check_options o = { checkpoints, count, tsa_ca, false, NULL };

	return store_check_verify(s, c, &o);
}

/* Free what a check holds (not the store). */
void
store_check_free(struct store_check *c)
{
	size_t i;

	for (i = 0; i < c->count; i++) {
		json_decref(c->events[i].object);
		free(c->events[i].canonical);
		free(c->events[i].signature);
	}
	free(c->events);
	free(c->leaves);
	free(c->heads);
	if (c->keys != NULL)
		store_check_keys_free(c->keys);
	free(c->keys);
	free(c->case_id);
	pathmap_free(c->registered);
	pathmap_free(c->collected);
	json_decref(c->problems);
	json_decref(c->checkpoints);
	memset(c, 0, sizeof *c);
}

/* Call fn for every readable signed event (or one artifact's), in seq order. */
int
store_check_events(const struct store_check *c, const char *artifact,
    int (*fn)(const struct store_signed *, void *), void *arg)
{
	const struct event *e;
	size_t i;
	int rc;

	for (i = 0; i < c->count; i++) {
		e = &c->events[i].row.ev;
		if (c->events[i].object == NULL || (artifact != NULL &&
		    (e->artifact == NULL || strcmp(e->artifact, artifact) != 0)))
			continue;
		if ((rc = fn(&c->events[i], arg)) != 0)
			return rc;
	}
	return 0;
}
