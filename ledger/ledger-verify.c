/*
 * custody ledger verify: recompute every event's canonical bytes from its
 * stored fields, check every signature, the chain of tree heads and the
 * tree, and prove by consistency proofs that the ledger extends the
 * checkpoints an auditor kept.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/checkpoint.h"
#include "custody/command.h"
#include "custody/error.h"
#include "custody/event.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/store.h"
#include "custody/tsa.h"
#include "custody/util.h"
#include "ledger.h"

#define CHECKPOINTS_MAX 64

struct verify_state {
	struct store		*store;
	json_t			*problems;	/* [{"event","problem"}] */
	json_t			*checkpoints;	/* [{"file","size","signed_by","consistent"}] */
	struct merkle_builder	 tree;
	merkle_hash		*leaves;
	uint64_t		 count;
	uint64_t		 capacity;
	uint64_t		 expected_seq;
	struct pathmap		*registered;	/* handlers with a registration event */
	struct pathmap		*collected;	/* artifacts with a collected event */
	const char		*tsa_ca;
};

/* Record one problem, about an event (seq > 0) or the ledger (seq 0). */
static void
verify_problem(struct verify_state *v, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
verify_problem(struct verify_state *v, uint64_t seq, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_array_append_new(v->problems, json_pack("{s:o, s:s}", "event",
	    seq != 0 ? json_integer((json_int_t)seq) : json_null(), "problem", text));
}

/* Keep a leaf for the consistency proofs. */
static int
verify_keep_leaf(struct verify_state *v, const merkle_hash leaf)
{
	merkle_hash *grown;

	if (v->count == v->capacity) {
		v->capacity = v->capacity != 0 ? v->capacity * 2 : 1024;
		if ((grown = realloc(v->leaves, v->capacity * sizeof *grown)) == NULL)
			return error_set_errno("realloc");
		v->leaves = grown;
	}
	memcpy(v->leaves[v->count++], leaf, sizeof(merkle_hash));
	merkle_builder_add(&v->tree, leaf);
	return 0;
}

/* The event's signature, with the key its handler registered. */
static void
verify_signature(struct verify_state *v, const struct store_event *row)
{
	struct store_handler h;
	struct key *key;

	if (store_handler_find(v->store, row->ev.handler, &h) != 0 ||
	    strcmp(h.fingerprint, row->ev.handler) != 0) {
		verify_problem(v, row->ev.seq, "signed by key %.16s, which is not "
		    "registered in the case", row->ev.handler);
		return;
	}
	if ((key = key_from_raw(h.public_key)) == NULL) {
		verify_problem(v, row->ev.seq, "handler %s has an invalid key", h.name);
		return;
	}
	if (strcmp(key->fingerprint, h.fingerprint) != 0)
		verify_problem(v, row->ev.seq, "handler %s: public key does not "
		    "match its fingerprint", h.name);
	else if (key_verify(key, row->canonical, row->canonical_len,
	    row->signature, row->signature_len) != 0)
		verify_problem(v, row->ev.seq, "signature by %s does not verify",
		    h.name);
	key_free(key);
}

/* Rebuild the event from its stored fields and compare with what was signed. */
static void
verify_fields(struct verify_state *v, const struct store_event *row)
{
	struct event e = row->ev;
	merkle_hash root;
	const char *field;
	int error;

	merkle_builder_root(&v->tree, root);
	util_hex(root, sizeof root, e.prev);
	e.details = store_details(v->store, &e, &error);
	if (error) {
		verify_problem(v, e.seq, "%s", error_message());
		return;
	}
	field = event_diff(row->canonical, row->canonical_len, &e);
	json_decref(e.details);
	if (field == NULL)
		return;
	if (strcmp(field, "prev") == 0)
		verify_problem(v, e.seq, "does not chain to the tree head before "
		    "it: events were deleted, inserted or reordered");
	else if (strcmp(field, "details") == 0)
		verify_problem(v, e.seq, "the %s record it describes differs from "
		    "its signed form", strcmp(e.action, "registered") == 0 ?
		    "handler" : strcmp(e.action, "collected") == 0 ? "artifact" :
		    "time-stamp");
	else
		verify_problem(v, e.seq, "field \"%s\" differs from its signed form",
		    field);
}

/*
 * A signer must have been registered before signing, and only the case's
 * first key registers itself: someone with write access to the database
 * cannot slip in a key of their own.
 */
static void
verify_registration_order(struct verify_state *v, const struct event *e)
{
	bool known = pathmap_get(v->registered, e->handler, strlen(e->handler),
	    0, NULL) != NULL;
	bool self = strcmp(e->action, "registered") == 0 &&
	    e->counterpart != NULL && strcmp(e->counterpart, e->handler) == 0;

	if (self && pathmap_count(v->registered) > 0)
		verify_problem(v, e->seq, "a key registers itself, but only the "
		    "case's first key may (a registration must be signed by a "
		    "registered handler)");
	else if (!self && !known)
		verify_problem(v, e->seq, "signed by key %.16s before that key "
		    "was registered", e->handler);
}

/* Note which handlers and artifacts an event vouches for. */
static void
verify_note_record(struct verify_state *v, const struct event *e)
{
	if (strcmp(e->action, "registered") == 0 && e->counterpart != NULL)
		pathmap_get(v->registered, e->counterpart, strlen(e->counterpart), 1, NULL);
	if (strcmp(e->action, "collected") == 0 && e->artifact != NULL)
		pathmap_get(v->collected, e->artifact, strlen(e->artifact), 1, NULL);
}

/* Compare the cached tree head with the one recomputed. */
static void
verify_cached_head(struct verify_state *v, uint64_t seq)
{
	merkle_hash cached, root;

	merkle_builder_root(&v->tree, root);
	if (store_tree_head(v->store, v->count, cached) != 0 ||
	    memcmp(cached, root, sizeof root) != 0)
		verify_problem(v, seq, "the cached tree head after this event is "
		    "missing or differs from the recomputed one");
}

/* store_events callback: check one event. */
static int
verify_event(const struct store_event *row, void *arg)
{
	struct verify_state *v = arg;
	merkle_hash leaf;

	if (row->ev.seq != v->expected_seq)
		verify_problem(v, row->ev.seq, "out of sequence: expected #%llu "
		    "(events deleted or inserted)",
		    (unsigned long long)v->expected_seq);
	v->expected_seq = row->ev.seq + 1;
	verify_fields(v, row);
	verify_signature(v, row);
	verify_registration_order(v, &row->ev);
	verify_note_record(v, &row->ev);
	merkle_leaf_hash(row->canonical, row->canonical_len, leaf);
	if (verify_keep_leaf(v, leaf) != 0)
		return -1;
	verify_cached_head(v, row->ev.seq);
	return 0;
}

/* Every handler has a registration event. */
static int
verify_handler_registered(const struct store_handler *h, void *arg)
{
	struct verify_state *v = arg;

	if (pathmap_get(v->registered, h->fingerprint, strlen(h->fingerprint), 0,
	    NULL) == NULL)
		verify_problem(v, 0, "handler %s (%.16s) has no registration event",
		    h->name, h->fingerprint);
	return 0;
}

/* Every artifact has a collection event. */
static int
verify_artifact_collected(const struct store_artifact *a, void *arg)
{
	struct verify_state *v = arg;

	if (pathmap_get(v->collected, a->evidence_id, strlen(a->evidence_id), 0,
	    NULL) == NULL)
		verify_problem(v, 0, "artifact %s has no collection event",
		    a->evidence_id);
	return 0;
}

/* Find which handler signed a checkpoint; fills cp. */
struct checkpoint_search {
	const char		*note;
	size_t			 len;
	struct checkpoint	*cp;
	char			 signer[KEY_FIELD_MAX + 1];
};

/* store_handlers callback: try one handler's key on the checkpoint. */
static int
verify_try_signer(const struct store_handler *h, void *arg)
{
	struct checkpoint_search *search = arg;
	struct key *key = key_from_raw(h->public_key);
	char name[32];
	int rc;

	if (key == NULL)
		return 0;
	ledger_key_name(h->fingerprint, name);
	rc = checkpoint_verify(search->note, search->len, name, key, search->cp);
	key_free(key);
	if (rc != 0)
		return 0;
	snprintf(search->signer, sizeof search->signer, "%s", h->name);
	return 1;
}

/* Prove that the ledger extends a checkpoint of size m. */
static bool
verify_consistency(struct verify_state *v, const char *file,
    const struct checkpoint *cp)
{
	merkle_hash proof[MERKLE_MAX_PROOF], root_m, root_n;
	size_t proof_len;

	if (cp->size > v->count) {
		verify_problem(v, 0, "checkpoint %s: it covers %llu events but the "
		    "ledger has %llu: events after #%llu were removed", file,
		    (unsigned long long)cp->size, (unsigned long long)v->count,
		    (unsigned long long)v->count);
		return false;
	}
	if (cp->size == 0)
		return true;
	merkle_root(v->leaves, cp->size, root_m);
	merkle_root(v->leaves, v->count, root_n);
	if (memcmp(root_m, cp->root, sizeof root_m) != 0 ||
	    merkle_consistency_proof(v->leaves, cp->size, v->count, proof,
	    &proof_len) != 0 ||
	    merkle_consistency_verify(cp->size, v->count, cp->root, root_n, proof,
	    proof_len) != 0) {
		verify_problem(v, 0, "checkpoint %s: the ledger's first %llu events "
		    "are not the ones it signed: history was rewritten", file,
		    (unsigned long long)cp->size);
		return false;
	}
	return true;
}

/* Check one checkpoint file: signature by a handler, origin, consistency. 0, or -1 if unreadable. */
static int
verify_checkpoint(struct verify_state *v, const char *file)
{
	struct checkpoint cp = { 0 };
	struct checkpoint_search search = { .cp = &cp };
	char *text, origin[128];
	size_t len;
	bool consistent = false;

	if (util_read_file(file, CHECKPOINT_MAX_SIZE, &text, &len) != 0)
		return -1;
	search.note = text;
	search.len = len;
	snprintf(origin, sizeof origin, "custody/%s", store_case_id(v->store));
	if (store_handlers(v->store, verify_try_signer, &search) != 1)
		verify_problem(v, 0, "checkpoint %s: not validly signed by any "
		    "handler of this case (altered, or another case's)", file);
	else if (strcmp(cp.origin, origin) != 0)
		verify_problem(v, 0, "checkpoint %s: it is for \"%s\", not \"%s\"",
		    file, cp.origin, origin);
	else
		consistent = verify_consistency(v, file, &cp);
	json_array_append_new(v->checkpoints, json_pack("{s:s, s:I, s:s, s:b}",
	    "file", file, "size", (json_int_t)cp.size, "signed_by", search.signer,
	    "consistent", consistent));
	checkpoint_free(&cp);
	free(text);
	return 0;
}

/* store_timestamps callback: check one token against the CA. */
static int
verify_token(uint64_t seq, const char *file, const char *file_sha256,
    const unsigned char *token, size_t token_len, void *arg)
{
	struct verify_state *v = arg;
	unsigned char digest[32];
	char tsa[256];
	time_t when;

	if (util_unhex(file_sha256, digest, sizeof digest) != 0 ||
	    tsa_verify(token, token_len, digest, v->tsa_ca, &when, tsa,
	    sizeof tsa) != 0)
		verify_problem(v, seq, "time-stamp of %s: %s", file, error_message());
	return 0;
}

/* Print the verdict as text. */
static void
verify_print(struct verify_state *v)
{
	const json_t *p, *c;
	merkle_hash root;
	char hex[65];
	size_t i;

	json_array_foreach(v->problems, i, p) {
		if (json_is_integer(json_object_get(p, "event")))
			printf("FAILED event #%lld: ", (long long)json_integer_value(
			    json_object_get(p, "event")));
		else
			printf("FAILED ");
		printf("%s\n", json_string_value(json_object_get(p, "problem")));
	}
	merkle_builder_root(&v->tree, root);
	if (json_array_size(v->problems) > 0) {
		printf("NOT VERIFIED: case %s: %zu problem%s\n", store_case_id(v->store),
		    json_array_size(v->problems),
		    json_array_size(v->problems) == 1 ? "" : "s");
		return;
	}
	printf("verified: case %s, %llu events, tree head %s\n",
	    store_case_id(v->store), (unsigned long long)v->count,
	    util_hex(root, sizeof root, hex));
	json_array_foreach(v->checkpoints, i, c)
		printf("  checkpoint %s (%lld events, signed by %s): the ledger "
		    "extends it\n", json_string_value(json_object_get(c, "file")),
		    (long long)json_integer_value(json_object_get(c, "size")),
		    json_string_value(json_object_get(c, "signed_by")));
}

/* Print the verdict as JSON. */
static void
verify_print_json(struct verify_state *v)
{
	merkle_hash root;
	char hex[65];
	json_t *o;

	merkle_builder_root(&v->tree, root);
	o = json_pack("{s:s, s:I, s:s, s:b, s:O, s:O}", "case_id",
	    store_case_id(v->store), "events", (json_int_t)v->count, "root",
	    util_hex(root, sizeof root, hex), "verified",
	    json_array_size(v->problems) == 0, "problems", v->problems,
	    "checkpoints", v->checkpoints);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
}

/* Run every check. 0, or -1 on an operational error. */
static int
verify_run(struct verify_state *v, char **checkpoints, size_t count)
{
	char *ca;
	size_t i, ca_len;

	v->expected_seq = 1;
	merkle_builder_init(&v->tree);
	merkle_hash beyond;

	if (store_events(v->store, NULL, verify_event, v) != 0 ||
	    store_handlers(v->store, verify_handler_registered, v) != 0 ||
	    store_artifacts(v->store, verify_artifact_collected, v) != 0)
		return -1;
	if (store_tree_head(v->store, v->count + 1, beyond) == 0)
		verify_problem(v, 0, "the cached tree heads record more than the "
		    "%llu events the ledger holds: events after #%llu were removed",
		    (unsigned long long)v->count, (unsigned long long)v->count);
	for (i = 0; i < count; i++)
		if (verify_checkpoint(v, checkpoints[i]) != 0)
			return -1;
	if (v->tsa_ca == NULL)
		return 0;
	/* An unreadable CA is the caller's problem (exit 2), not the ledger's. */
	if (util_read_file(v->tsa_ca, 1 << 20, &ca, &ca_len) != 0)
		return -1;
	free(ca);
	if (store_timestamps(v->store, verify_token, v) != 0)
		return -1;
	return 0;
}

static const struct option verify_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "checkpoint", required_argument, NULL, 'p' },
	{ "tsa-ca", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

/* custody ledger verify. */
int
ledger_verify_command(int argc, char **argv)
{
	struct verify_state v = { 0 };
	char *checkpoints[CHECKPOINTS_MAX];
	const char *dir = NULL;
	size_t count = 0;
	bool json = false;
	int ch, status = EXIT_USAGE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", verify_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': dir = optarg; break;
		case 'p':
			if (count == CHECKPOINTS_MAX)
				return command_usage(&cmd_ledger_entry);
			checkpoints[count++] = optarg;
			break;
		case 't': v.tsa_ca = optarg; break;
		case 'j': json = true; break;
		default: return command_usage(&cmd_ledger_entry);
		}
	}
	if (optind != argc)
		return command_usage(&cmd_ledger_entry);
	v.problems = json_array();
	v.checkpoints = json_array();
	if ((v.registered = pathmap_new(1)) == NULL ||
	    (v.collected = pathmap_new(1)) == NULL ||
	    (v.store = ledger_open(dir)) == NULL || verify_run(&v, checkpoints, count) != 0)
		command_fail("ledger verify", EXIT_USAGE);
	else {
		if (json)
			verify_print_json(&v);
		else
			verify_print(&v);
		status = json_array_size(v.problems) == 0 ? EXIT_VERIFIED : EXIT_INTEGRITY;
	}
	store_close(v.store);
	pathmap_free(v.registered);
	pathmap_free(v.collected);
	json_decref(v.problems);
	json_decref(v.checkpoints);
	free(v.leaves);
	return status;
}
