/*
 * custody ledger verify: check the ledger whole (lib/store-check.c) and say
 * so: every event row against its signed canonical bytes, every
 * signature, the chain of tree heads, every other table against the
 * signed history, the database file itself, and by consistency proofs
 * that the ledger extends the checkpoints an auditor kept.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "custody/store-check.h"
#include "custody/util.h"
#include "ledger.h"

#define CHECKPOINTS_MAX 64

/* What --since-verified found and keeps for a case. */
struct verify_state {
	bool			 wanted;	/* --since-verified */
	bool			 full;		/* --full: check all, remember anew */
	bool			 found;		/* a remembered head was used */
	char			 path[4400];
	merkle_hash		 first;
	struct store_verified	 since;
};

/* One checkpoint's outcome, as text. */
static void
verify_print_checkpoint(const struct store_check *v, const json_t *c)
{
	const char *other = json_string_value(json_object_get(c, "other_case"));
	const char *file = json_string_value(json_object_get(c, "file"));

	if (other != NULL)
		printf("checkpoint %s is of case %s, not of this case %s: it was "
		    "not checked\n", file, other, store_case_id(v->store));
	else if (json_is_true(json_object_get(c, "consistent")) &&
	    store_check_ok(v))
		printf("  checkpoint %s (%lld events, signed by %s): the ledger "
		    "extends it\n", file,
		    (long long)json_integer_value(json_object_get(c, "size")),
		    json_string_value(json_object_get(c, "signed_by")));
}

/* Print the verdict as text. */
static void
verify_print(struct store_check *v)
{
	const json_t *p, *c;
	const char *text;
	merkle_hash root;
	char hex[65];
	size_t i;

	json_array_foreach(v->problems, i, p) {
		if (json_is_integer(json_object_get(p, "event")))
			printf("FAILED event #%lld: ", (long long)json_integer_value(
			    json_object_get(p, "event")));
		else
			printf("FAILED ");
		text = json_string_value(json_object_get(p, "problem"));
		printf("%s\n", text != NULL ? text : "(out of memory)");
	}
	merkle_builder_root(&v->tree, root);
	if (json_array_size(v->problems) > 0)
		printf("NOT VERIFIED: case %s: %zu problem%s\n", store_case_id(v->store),
		    json_array_size(v->problems),
		    json_array_size(v->problems) == 1 ? "" : "s");
	else
		printf("verified: case %s, %zu events, tree head %s\n",
		    store_case_id(v->store), v->count,
		    util_hex(root, sizeof root, hex));
	json_array_foreach(v->checkpoints, i, c)
		verify_print_checkpoint(v, c);
}

/* Print the verdict as JSON. 0 or -1. */
static int
verify_print_json(struct store_check *v, const struct verify_state *state)
{
	merkle_hash root;
	char hex[65];
	json_t *o;
	int rc;

	merkle_builder_root(&v->tree, root);
	o = json_pack("{s:s, s:I, s:s, s:b, s:O, s:O, s:I}", "case_id",
	    store_case_id(v->store), "events", (json_int_t)v->count, "root",
	    util_hex(root, sizeof root, hex), "verified",
	    json_array_size(v->problems) == 0, "problems", v->problems,
	    "checkpoints", v->checkpoints, "verified_before",
	    (json_int_t)(state->found ? state->since.size : 0));
	if (o == NULL)
		return error_set("cannot build the JSON report");
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc != 0 || putchar('\n') == EOF)
		return error_set_errno("stdout");
	return 0;
}

static const struct option verify_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "checkpoint", required_argument, NULL, 'p' },
	{ "tsa-ca", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "since-verified", no_argument, NULL, 's' },
	{ "full", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

/* Find the remembered head of the case. 0 (state->found when there is one) or -1. */
static int
verify_state_load(struct store *store, struct verify_state *state)
{
	const char *id = store_case_id(store);
	int rc;

	if ((rc = store_first_leaf(store, state->first)) != 0)
		return rc < 0 ? -1 : 0;
	if (store_verified_path(id, strlen(id), state->first, state->path,
	    sizeof state->path, false) != 0)
		return -1;
	if (state->full)
		return 0;
	if ((rc = store_verified_load(state->path, id, strlen(id), state->first,
	    &state->since)) < 0)
		return -1;
	state->found = rc == 0;
	return 0;
}

/* Remember the head just verified. 0 or -1. */
static int
verify_state_save(struct store_check *v, struct verify_state *state)
{
	const char *id = store_case_id(v->store);
	struct store_verified now = { .size = v->count };
	struct timespec ts;

	if (v->count == 0)
		return 0;
	memcpy(now.root, v->heads[v->count], MERKLE_HASH_SIZE);
	util_time_now(&ts);
	util_time_format(&ts, now.verified_at);
	if (store_verified_path(id, strlen(id), state->first, state->path,
	    sizeof state->path, true) != 0 ||
	    store_verified_save(state->path, id, strlen(id), state->first, &now) != 0)
		return -1;
	return 0;
}

/* What --since-verified did, as text. */
static void
verify_print_state(const struct store_check *v, const struct verify_state *state)
{
	if (!state->wanted || !store_check_ok(v))
		return;
	if (state->found)
		printf("  events 1 to %llu were verified on %s: the ledger extends "
		    "that tree head; events after them were checked in full\n",
		    (unsigned long long)state->since.size, state->since.verified_at);
	if (v->count > 0)
		printf("  remembered: %zu events, in %s\n", v->count, state->path);
}

/* The exit status of a verdict: a problem is 1; a checkpoint of another case, 2. */
static int
verify_status(const struct store_check *v)
{
	if (!store_check_ok(v))
		return EXIT_INTEGRITY;
	if (v->other_case) {
		fprintf(stderr, "custody ledger verify: a checkpoint given is of "
		    "another case: it cannot be checked against this ledger\n");
		return EXIT_USAGE;
	}
	return EXIT_VERIFIED;
}

/* Check the ledger, from the head remembered when asked, and remember the new one. 0 or -1. */
static int
verify_run(struct store *store, struct store_check *v,
    struct store_check_options *o, struct verify_state *state)
{
	if (state->wanted && verify_state_load(store, state) != 0)
		return -1;
	o->since = state->found ? &state->since : NULL;
	if (store_check_verify(store, v, o) != 0)
		return -1;
	if (state->wanted && store_check_ok(v) && verify_state_save(v, state) != 0)
		return error_prefix("the ledger verified, but its tree head cannot "
		    "be remembered");
	return 0;
}

/* custody ledger verify. */
int
ledger_verify_command(int argc, char **argv)
{
	struct store_check v = { 0 };
	char *checkpoints[CHECKPOINTS_MAX];
	struct store_check_options o = { .checkpoints = checkpoints, .lean = true };
	static struct verify_state state;
	const char *dir = NULL;
	struct store *store;
	bool json = false;
	int ch, status = EXIT_USAGE;

	memset(&state, 0, sizeof state);

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", verify_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': dir = optarg; break;
		case 'p':
			if (o.count == CHECKPOINTS_MAX)
				return command_usage(&cmd_ledger_entry);
			checkpoints[o.count++] = optarg;
			break;
		case 't': o.tsa_ca = optarg; break;
		case 'j': json = true; break;
		case 's': state.wanted = true; break;
		case 'f': state.full = true; break;
		default: return command_usage(&cmd_ledger_entry);
		}
	}
	if (optind != argc)
		return command_usage(&cmd_ledger_entry);
	if (state.full && !state.wanted)
		state.full = false;	/* a full check is the default */
	if ((store = ledger_open(dir)) == NULL ||
	    verify_run(store, &v, &o, &state) != 0)
		command_fail("ledger verify", EXIT_USAGE);
	else if (json && verify_print_json(&v, &state) != 0)
		command_fail("ledger verify", EXIT_USAGE);
	else {
		if (!json) {
			verify_print(&v);
			verify_print_state(&v, &state);
		}
		status = verify_status(&v);
	}
	store_check_free(&v);
	store_close(store);
	return status;
}
