/*
 * The keys an event's signature is checked with, looked up once per
 * handler rather than once per event: the first event of a signer finds
 * its handler row (on the reading thread, the only one that queries the
 * database) and the key is kept, so the checking threads verify a million
 * signatures with a handful of EVP_PKEYs. An entry, once published, never
 * changes: the threads read the table without a lock.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/key.h"
#include "custody/store.h"
#include "store-check-private.h"

/* The published entry for a signer's fingerprint, or NULL (any thread). */
const struct store_check_key *
store_check_keys_find(const struct store_check_keys *k, const char *who)
{
	size_t i, n = __atomic_load_n(&k->count, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if (strcmp(k->entries[i].who, who) == 0)
			return &k->entries[i];
	return NULL;
}

/* Work out what the handler rows say of a signer, as the serial check did. */
static int
store_check_keys_resolve(struct store *s, const char *who,
    struct store_check_key *e)
{
	struct store_handler h;

	if ((e->who = strdup(who)) == NULL)
		return error_set_errno("strdup");
	if (store_handler_find(s, who, &h) != 0 ||
	    strcmp(h.fingerprint, who) != 0) {
		e->status = STORE_CHECK_KEY_UNREGISTERED;
		return 0;
	}
	memcpy(e->name, h.name, sizeof e->name);
	if ((e->key = key_from_raw(h.public_key)) == NULL)
		e->status = STORE_CHECK_KEY_INVALID;
	else if (strcmp(e->key->fingerprint, h.fingerprint) != 0)
		e->status = STORE_CHECK_KEY_MISMATCH;
	else
		e->status = STORE_CHECK_KEY_OK;
	return 0;
}

/*
 * The entry for a signer, made when missing (the reading thread only).
 * NULL with the error set when memory runs out; a full table answers
 * *spare, filled anew each time, which the caller frees.
 */
const struct store_check_key *
store_check_keys_get(struct store_check_keys *k, struct store *s,
    const char *who, struct store_check_key *spare)
{
	const struct store_check_key *found = store_check_keys_find(k, who);
	struct store_check_key *e;

	if (found != NULL)
		return found;
	e = k->count < STORE_CHECK_KEYS_MAX ? &k->entries[k->count] : spare;
	memset(e, 0, sizeof *e);
	if (store_check_keys_resolve(s, who, e) != 0) {
		store_check_key_clear(e);
		return NULL;
	}
	if (e != spare)
		__atomic_store_n(&k->count, k->count + 1, __ATOMIC_RELEASE);
	return e;
}

/* Free what one entry holds. */
void
store_check_key_clear(struct store_check_key *e)
{
	key_free(e->key);
	free(e->who);
	memset(e, 0, sizeof *e);
}

/* Free every entry (no thread may be reading). */
void
store_check_keys_free(struct store_check_keys *k)
{
	size_t i;

	for (i = 0; i < k->count; i++)
		store_check_key_clear(&k->entries[i]);
	k->count = 0;
}
