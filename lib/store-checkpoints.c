/*
 * The checkpoints an auditor kept, against the checked ledger: each must
 * be signed by a handler of this case, be of this case, and be a tree
 * head the ledger extends (a consistency proof). A checkpoint of another
 * case is said to be that, not taken for a ledger that fails.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/checkpoint.h"
#include "custody/error.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "custody/store-check.h"
#include "custody/util.h"
#include "store-check-private.h"

#define CHECKPOINT_ORIGIN_PREFIX "custody/"

/* Which handler signed a checkpoint; fills cp. */
struct store_checkpoints_search {
	const char		*note;
	size_t			 len;
	struct checkpoint	*cp;
	char			 signer[KEY_FIELD_MAX + 1];
};

/* store_handlers callback: try one handler's key on the checkpoint. */
static int
store_checkpoints_try_signer(const struct store_handler *h, void *arg)
{
	struct store_checkpoints_search *search = arg;
	struct key *key = key_from_raw(h->public_key);
	char name[32];
	int rc;

	if (key == NULL)
		return 0;
	store_check_key_name(h->fingerprint, name);
	rc = checkpoint_verify(search->note, search->len, name, key, search->cp);
	key_free(key);
	if (rc != 0)
		return 0;
	snprintf(search->signer, sizeof search->signer, "%s", h->name);
	return 1;
}

/* Prove that the ledger extends a checkpoint. */
static bool
store_checkpoints_consistent(struct store_check *c, const char *file,
    const struct checkpoint *cp)
{
	merkle_hash proof[MERKLE_MAX_PROOF], root_m, root_n;
	size_t proof_len;

	if (cp->size > c->count) {
		store_check_problem(c, 0, "checkpoint %s: it covers %llu events but "
		    "the ledger has %zu: events after #%zu were removed", file,
		    (unsigned long long)cp->size, c->count, c->count);
		return false;
	}
	if (cp->size == 0)
		return true;
	merkle_root(c->leaves, cp->size, root_m);
	merkle_root(c->leaves, c->count, root_n);
	if (memcmp(root_m, cp->root, sizeof root_m) != 0 ||
	    merkle_consistency_proof(c->leaves, cp->size, c->count, proof,
	    &proof_len) != 0 ||
	    merkle_consistency_verify(cp->size, c->count, cp->root, root_n, proof,
	    proof_len) != 0) {
		store_check_problem(c, 0, "checkpoint %s: the ledger's first %llu "
		    "events are not the ones it signed: history was rewritten",
		    file, (unsigned long long)cp->size);
		return false;
	}
	return true;
}

/*
 * The case a checkpoint names on its origin line, escaped, when it is a
 * custody checkpoint of another case than this one; NULL otherwise.
 */
static char *
store_checkpoints_other_case(const struct store_check *c, const char *text, size_t len)
{
	const char *end = memchr(text, '\n', len), *id;
	size_t prefix = strlen(CHECKPOINT_ORIGIN_PREFIX), id_len;

	if (end == NULL || (size_t)(end - text) <= prefix ||
	    memcmp(text, CHECKPOINT_ORIGIN_PREFIX, prefix) != 0)
		return NULL;
	id = text + prefix;
	id_len = (size_t)(end - id);
	if (id_len == c->case_id_len && memcmp(id, c->case_id, id_len) == 0)
		return NULL;
	return util_escape(id, id_len);
}

/* Record a checkpoint's outcome for the report. */
static void
store_checkpoints_note(struct store_check *c, const char *file, uint64_t size,
    const char *signer, const char *other_case, bool consistent)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:s?, s:b}", "file", file,
	    "size", (json_int_t)size, "signed_by", signer, "other_case",
	    other_case, "consistent", consistent);

	if (o == NULL || json_array_append_new(c->checkpoints, o) != 0)
		store_check_problem(c, 0, "checkpoint %s: out of memory", file);
}

/* Check one checkpoint file. 0, or -1 when it cannot be read. */
static int
store_checkpoints_check(struct store_check *c, const char *file)
{
	struct checkpoint cp = { 0 };
	struct store_checkpoints_search search = { .cp = &cp };
	char *text, *other, origin[128];
	bool consistent = false;
	size_t len;

	if (util_read_file(file, CHECKPOINT_MAX_SIZE, &text, &len) != 0)
		return -1;
	if ((other = store_checkpoints_other_case(c, text, len)) != NULL) {
		c->other_case = true;
		store_checkpoints_note(c, file, 0, "", other, false);
		free(other);
		free(text);
		return 0;
	}
	search.note = text;
	search.len = len;
	snprintf(origin, sizeof origin, CHECKPOINT_ORIGIN_PREFIX "%s",
	    store_case_id(c->store));
	if (store_handlers(c->store, store_checkpoints_try_signer, &search) != 1)
		store_check_problem(c, 0, "checkpoint %s: not validly signed by any "
		    "handler of this case (altered, or not a custody checkpoint)",
		    file);
	else if (strcmp(cp.origin, origin) != 0)
		store_check_problem(c, 0, "checkpoint %s: it is for \"%s\", not "
		    "\"%s\"", file, cp.origin, origin);
	else
		consistent = store_checkpoints_consistent(c, file, &cp);
	store_checkpoints_note(c, file, cp.size, search.signer, NULL, consistent);
	checkpoint_free(&cp);
	free(text);
	return 0;
}

/*
 * The ledger extends the tree head verified before: a consistency proof
 * from the remembered root, made from the tree the rows of events
 * 1..size make and the events after them, to the root of the whole.
 */
int
store_check_remembered(struct store_check *c, const struct store_verified *v)
{
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t proof_len;

	if (v->size > c->count) {
		store_check_problem(c, 0, "%llu events were verified on %s, but the "
		    "ledger holds %zu: events after #%zu were removed",
		    (unsigned long long)v->size, v->verified_at, c->count, c->count);
		return 0;
	}
	if (c->known_tree.size != v->size || merkle_consistency_proof_extend(
	    &c->known_tree, c->leaves + v->size, c->count - v->size, proof,
	    &proof_len) != 0 || merkle_consistency_verify(v->size, c->count,
	    v->root, c->heads[c->count], proof, proof_len) != 0) {
		store_check_problem(c, 0, "the ledger's first %llu events are not "
		    "the ones verified on %s: history was rewritten",
		    (unsigned long long)v->size, v->verified_at);
		return 0;
	}
	c->known_proved = true;
	return 0;
}

/* Check every checkpoint file. */
int
store_check_checkpoints(struct store_check *c, char **files, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (store_checkpoints_check(c, files[i]) != 0)
			return -1;
	return 0;
}

/* The checkpoint key name of a handler. */
void
store_check_key_name(const char *fingerprint, char out[32])
{
	snprintf(out, 32, "custody-%.16s", fingerprint);
}
