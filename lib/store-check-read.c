/*
 * Read the event rows once, in seq order, and check them: the rows are
 * copied into batches, the checking threads parse each one, hash its
 * leaf and verify its signature, and the reading thread then makes the
 * checks that depend on the events before (sequence, chain, registration
 * order, duplicates) batch after batch, in order, while the next batches
 * are being checked. Events the caller verified before (c->known) are
 * only hashed, and parsed when they may vouch for a table row.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "custody/store-check.h"
#include "store-check-private.h"

#define STORE_CHECK_IN_FLIGHT	4	/* batches handed over and not yet drained */

/* The reading thread's state. */
struct store_check_reader {
	struct store_check	*check;
	struct store_check_pool	*pool;
	struct store_check_batch *flight[STORE_CHECK_IN_FLIGHT + 1];
	size_t			 flying;
	struct store_check_batch *filling;
	size_t			 position;	/* rows read so far */
};

/* A copy of a value, its bytes at *at (advanced). */
static void
store_check_read_value(const struct store_value *v, struct store_value *out,
    unsigned char **at)
{
	*out = *v;
	if (v->type != STORE_TEXT && v->type != STORE_BLOB)
		return;
	memcpy(*at, v->bytes, v->len);
	out->bytes = *at;
	*at += v->len;
}

/* Whether a row's action column names an event that carries details (worth a parse). */
static bool
store_check_read_vouches(const struct store_value *action)
{
	static const char *const actions[] = { "registered", "collected",
	    "ingested", "timestamped" };
	size_t i;

	if (action->type != STORE_TEXT)
		return false;
	for (i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (action->len == strlen(actions[i]) &&
		    memcmp(action->bytes, actions[i], action->len) == 0)
			return true;
	return false;
}

/* Copy a row into an item. 0 or -1. */
static int
store_check_read_fill(struct store_check_item *it, const struct store_value *row,
    bool hash_only)
{
	size_t i, total = 1;
	unsigned char *at;

	memset(it, 0, sizeof *it);
	it->hash_only = hash_only;
	it->parse = !hash_only || store_check_read_vouches(&row[EVENT_COL_ACTION]);
	for (i = 0; !hash_only && i < EVENT_COL_CANONICAL; i++)
		total += row[i].len;
	if ((it->block = at = malloc(total)) == NULL)
		return error_set_errno("malloc");
	for (i = 0; i <= EVENT_COL_SIGNATURE; i++) {
		if (hash_only || i >= EVENT_COL_CANONICAL) {
			it->row[i] = row[i];
			it->row[i].bytes = NULL;
		} else
			store_check_read_value(&row[i], &it->row[i], &at);
	}
	it->canonical = store_check_copy(&row[EVENT_COL_CANONICAL]);
	it->canonical_len = row[EVENT_COL_CANONICAL].len;
	it->signature = hash_only ? NULL : store_check_copy(&row[EVENT_COL_SIGNATURE]);
	it->signature_len = row[EVENT_COL_SIGNATURE].len;
	if (it->canonical == NULL || (!hash_only && it->signature == NULL))
		return error_set_errno("malloc");
	return 0;
}

/* A checking thread's work on one item: leaf, parse, and the signature when its key is known. */
static void
store_check_read_work(void *arg, struct store_check_item *it)
{
	const struct store_check_keys *keys = arg;
	const struct store_check_key *k;

	merkle_leaf_hash(it->canonical, it->canonical_len, it->leaf);
	if (!it->parse)
		return;
	if ((it->object = event_parse(it->canonical, it->canonical_len,
	    &it->ev)) == NULL) {
		it->parse_error = strdup(error_message());
		return;
	}
	if (it->hash_only || (k = store_check_keys_find(keys, it->ev.handler)) == NULL ||
	    k->status != STORE_CHECK_KEY_OK)
		return;
	it->signature_state = key_verify(k->key, it->canonical, it->canonical_len,
	    it->signature, it->signature_len) == 0 ?
	    STORE_CHECK_SIGNATURE_GOOD : STORE_CHECK_SIGNATURE_BAD;
}

/* Free what an item still holds. */
static void
store_check_read_clear(struct store_check_item *it)
{
	json_decref(it->object);
	free(it->block);
	free(it->canonical);
	free(it->signature);
	free(it->parse_error);
	memset(it, 0, sizeof *it);
}

/* Wait for the oldest batch in flight and make its ordered checks. 0 or -1. */
static int
store_check_read_drain(struct store_check_reader *r)
{
	struct store_check_batch *b = r->flight[0];
	size_t i;
	int rc = 0;

	store_check_pool_wait(r->pool, b);
	for (i = 0; i < b->count; i++) {
		if (rc == 0)
			rc = store_check_item_check(r->check, &b->items[i]);
		store_check_read_clear(&b->items[i]);
	}
	free(b);
	memmove(r->flight, r->flight + 1, --r->flying * sizeof r->flight[0]);
	return rc;
}

/* Hand the batch being filled over; drain the oldest when too many fly. 0 or -1. */
static int
store_check_read_launch(struct store_check_reader *r)
{
	struct store_check_batch *b = r->filling;

	r->filling = NULL;
	if (b == NULL)
		return 0;
	store_check_pool_submit(r->pool, b);
	r->flight[r->flying++] = b;
	return r->flying > STORE_CHECK_IN_FLIGHT ? store_check_read_drain(r) : 0;
}

/* store_rows callback: one event row into the batch being filled. */
static int
store_check_read_row(const struct store_value *row, void *arg)
{
	struct store_check_reader *r = arg;
	struct store_check_batch *b = r->filling;
	bool hash_only = r->position < r->check->known;

	if (b == NULL) {
		if ((b = r->filling = malloc(sizeof *b)) == NULL)
			return error_set_errno("malloc");
		b->count = 0;
	}
	r->position++;
	if (store_check_read_fill(&b->items[b->count++], row, hash_only) != 0)
		return -1;
	return b->count == STORE_CHECK_BATCH ? store_check_read_launch(r) : 0;
}

/* Free what is left after an error: the batches in flight are waited for first. */
static void
store_check_read_abandon(struct store_check_reader *r)
{
	struct store_check_batch *b;
	size_t i;

	while (r->flying > 0) {
		b = r->flight[--r->flying];
		store_check_pool_wait(r->pool, b);
		for (i = 0; i < b->count; i++)
			store_check_read_clear(&b->items[i]);
		free(b);
	}
	if ((b = r->filling) != NULL) {
		for (i = 0; i < b->count; i++)
			store_check_read_clear(&b->items[i]);
		free(b);
	}
}

/* store_handlers callback: find a handler's key before any event needs it. */
static int
store_check_read_prime(const struct store_handler *h, void *arg)
{
	struct store_check *c = arg;
	struct store_check_key spare = { 0 };
	int rc = store_check_keys_get(c->keys, c->store, h->fingerprint,
	    &spare) != NULL ? 0 : -1;

	store_check_key_clear(&spare);
	return rc;
}

/* Read and check every event row. 0, or -1 (error set). */
int
store_check_read_events(struct store_check *c)
{
	struct store_check_reader r = { .check = c };
	int rc;

	/* The threads verify only with keys already found: find them first. */
	if (store_handlers(c->store, store_check_read_prime, c) != 0)
		return -1;
	if ((r.pool = store_check_pool_new(store_check_read_work, c->keys)) == NULL)
		return error_set("out of memory");
	rc = store_rows(c->store, STORE_TABLE_EVENTS, store_check_read_row, &r);
	if (rc == 0)
		rc = store_check_read_launch(&r);
	while (rc == 0 && r.flying > 0)
		rc = store_check_read_drain(&r);
	if (rc != 0)
		store_check_read_abandon(&r);
	store_check_pool_free(r.pool);
	if (rc == 0 && c->count > 0 && c->heads != NULL) {
		merkle_builder_root(&c->tree, c->heads[c->count]);
		if (c->heads_from > c->count)
			c->heads_from = c->count;
	}
	return rc;
}
