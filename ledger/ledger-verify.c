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

#include <jansson.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "custody/util.h"
#include "ledger.h"

#define CHECKPOINTS_MAX 64

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
verify_print_json(struct store_check *v)
{
	merkle_hash root;
	char hex[65];
	json_t *o;
	int rc;

	merkle_builder_root(&v->tree, root);
	o = json_pack("{s:s, s:I, s:s, s:b, s:O, s:O}", "case_id",
	    store_case_id(v->store), "events", (json_int_t)v->count, "root",
	    util_hex(root, sizeof root, hex), "verified",
	    json_array_size(v->problems) == 0, "problems", v->problems,
	    "checkpoints", v->checkpoints);
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
	{ NULL, 0, NULL, 0 }
};

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

/* custody ledger verify. */
int
ledger_verify_command(int argc, char **argv)
{
	struct store_check v = { 0 };
	char *checkpoints[CHECKPOINTS_MAX];
	const char *dir = NULL, *tsa_ca = NULL;
	struct store *store;
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
		case 't': tsa_ca = optarg; break;
		case 'j': json = true; break;
		default: return command_usage(&cmd_ledger_entry);
		}
	}
	if (optind != argc)
		return command_usage(&cmd_ledger_entry);
	if ((store = ledger_open(dir)) == NULL ||
	    store_check_run(store, &v, checkpoints, count, tsa_ca) != 0)
		command_fail("ledger verify", EXIT_USAGE);
	else if (json && verify_print_json(&v) != 0)
		command_fail("ledger verify", EXIT_USAGE);
	else {
		if (!json)
			verify_print(&v);
		status = verify_status(&v);
	}
	store_check_free(&v);
	store_close(store);
	return status;
}
