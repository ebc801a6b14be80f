/* custody ledger: record, hand over, list, check and export a case's custody. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/checkpoint.h"
#include "custody/command.h"
#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "ledger.h"

/* The options the writing subcommands share. */
struct ledger_args {
	const char	*dir;
	const char	*key;
	const char	*passphrase_file;
	const char	*artifact;
	const char	*action;
	const char	*to;
	const char	*location;
	const char	*note;
	const char	*output;
	const char	*format;
	const char	*batch;		/* record: events from a file, one JSON object a line */
};

static const struct option ledger_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ "artifact", required_argument, NULL, 'a' },
	{ "action", required_argument, NULL, 'A' },
	{ "to", required_argument, NULL, 't' },
	{ "location", required_argument, NULL, 'l' },
	{ "note", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "batch", required_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 }
};

/* Parse the shared options; -1 on a usage error. */
static int
ledger_parse(struct ledger_args *a, int argc, char **argv)
{
	int ch;

	memset(a, 0, sizeof *a);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", ledger_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->dir = optarg; break;
		case 'k': a->key = optarg; break;
		case 'P': a->passphrase_file = optarg; break;
		case 'a': a->artifact = optarg; break;
		case 'A': a->action = optarg; break;
		case 't': a->to = optarg; break;
		case 'l': a->location = optarg; break;
		case 'n': a->note = optarg; break;
		case 'o': a->output = optarg; break;
		case 'f': a->format = optarg; break;
		case 'b': a->batch = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* Check the free texts. */
static int
ledger_check_texts(const struct ledger_args *a)
{
	if ((a->location != NULL && event_check_text("--location", a->location) != 0) ||
	    (a->note != NULL && event_check_text("--note", a->note) != 0))
		return -1;
	return 0;
}

/* Check the free texts and that the artifact exists. */
static int
ledger_check_event(struct store *s, const struct ledger_args *a)
{
	struct store_artifact art;

	if (a->artifact == NULL)
		return error_set("--artifact is required");
	if (ledger_check_texts(a) != 0)
		return -1;
	if (store_artifact_get(s, a->artifact, &art) != 0)
		return -1;
	return store_artifact_bound(s, &art);
}

/* Sign and append one event in its own transaction; prints it. */
static int
ledger_write(struct store *s, struct event *e, const struct key *signer)
{
	char who[600];

	if (store_begin(s) != 0)
		return -1;
	if (store_append(s, e, signer) != 0) {
		store_rollback(s);
		return -1;
	}
	if (store_commit(s) != 0) {
		store_rollback(s);
		return -1;
	}
	printf("#%llu %s %s by %s\n", (unsigned long long)e->seq, e->artifact,
	    e->action, ledger_person(s, signer->fingerprint, who, sizeof who));
	return 0;
}

/*
 * Work out a hand-over's fields: a release names the receiver and comes
 * from the holder; a receipt completes the release pending to the signer.
 */
static int
ledger_handover(struct store *s, const struct ledger_args *a,
    const struct key *signer, struct event *e, char counterpart[65])
{
	struct ledger_holding h;
	struct store_handler to;

	if (ledger_holding(s, a->artifact, &h) != 0)
		return -1;
	if (strcmp(e->action, "released") == 0) {
		if (a->to == NULL)
			return error_set("--to is required: whom is it released to?");
		if (store_handler_find_bound(s, a->to, &to) != 0)
			return -1;
		if (strcmp(h.holder, signer->fingerprint) != 0)
			return error_set("%s is not held by you (custody ledger log "
			    "--artifact %s shows who holds it)", a->artifact, a->artifact);
		if (h.pending_release != 0)
			return error_set("%s already has a release (#%llu) waiting to "
			    "be received", a->artifact,
			    (unsigned long long)h.pending_release);
		if (strcmp(to.fingerprint, signer->fingerprint) == 0)
			return error_set("cannot release %s to yourself", a->artifact);
		snprintf(counterpart, 65, "%s", to.fingerprint);
		e->counterpart = counterpart;
		return 0;
	}
	if (h.pending_release == 0 || strcmp(h.pending_to, signer->fingerprint) != 0)
		return error_set("no release of %s to you is waiting to be received",
		    a->artifact);
	e->refers = h.pending_release;
	return 0;
}

#define BATCH_LINE_MAX	(16 * 1024)
#define BATCH_EVENTS_MAX 1000000

/*
 * One line of a batch: {"artifact", "action", "location"?, "note"?}.
 * *bound is the artifact the line before found bound to its collection:
 * the transaction holds the write lock, so it still is.
 */
static int
ledger_batch_event(struct store *s, json_t *o, struct ledger_args *a,
    struct event *e, char **bound)
{
	int recordable;

	if (!json_is_object(o))
		return error_set("not a JSON object");
	a->artifact = json_string_value(json_object_get(o, "artifact"));
	a->action = json_string_value(json_object_get(o, "action"));
	a->location = json_string_value(json_object_get(o, "location"));
	a->note = json_string_value(json_object_get(o, "note"));
	if (json_object_size(o) != (size_t)(2 + (a->location != NULL) +
	    (a->note != NULL)))
		return error_set("only artifact, action, location and note are "
		    "allowed, as strings");
	if (a->action == NULL || !event_action_known(a->action, &recordable) ||
	    !recordable)
		return error_set("action must be one of accessed, analysed, "
		    "copied, verified, sealed, stored, returned, disposed");
	memset(e, 0, sizeof *e);
	e->action = a->action;
	e->artifact = a->artifact;
	e->location = a->location;
	e->note = a->note;
	if (*bound != NULL && a->artifact != NULL && strcmp(*bound, a->artifact) == 0)
		return ledger_check_texts(a);
	free(*bound);
	*bound = NULL;
	if (ledger_check_event(s, a) != 0)
		return -1;
	if ((*bound = strdup(a->artifact)) == NULL)
		return error_set_errno("strdup");
	return 0;
}

/* Append every line of a batch; the caller's transaction makes it all or nothing. */
static int
ledger_batch_lines(struct store *s, struct ledger_args *a, FILE *in,
    const struct key *signer, uint64_t *count)
{
	char line[BATCH_LINE_MAX + 2], *bound = NULL;
	json_error_t jerr;
	struct event e;
	json_t *o;
	int rc = 0;

	*count = 0;
	while (rc == 0 && fgets(line, sizeof line, in) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(in))
			rc = error_set("line %llu: longer than %d bytes",
			    (unsigned long long)*count + 1, BATCH_LINE_MAX);
		else if (++*count > BATCH_EVENTS_MAX)
			rc = error_set("more than %d events", BATCH_EVENTS_MAX);
		if (rc != 0)
			break;
		o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		if (o == NULL)
			rc = error_set("not JSON: %s", jerr.text);
		else if ((rc = ledger_batch_event(s, o, a, &e, &bound)) == 0)
			rc = store_append(s, &e, signer);
		json_decref(o);
		if (rc != 0)
			error_prefix("line %llu", (unsigned long long)*count);
	}
	free(bound);
	if (rc == 0 && ferror(in))
		rc = error_set_errno("read");
	return rc;
}

/* record --batch: many events, signed by one key, in one transaction. */
static int
ledger_batch(struct store *s, struct ledger_args *a, const struct key *signer)
{
	FILE *in = strcmp(a->batch, "-") == 0 ? stdin : fopen(a->batch, "re");
	uint64_t count = 0;
	int rc = -1;

	if (in == NULL)
		return error_set_errno("%s", a->batch);
	if (store_begin(s) == 0) {
		if (ledger_batch_lines(s, a, in, signer, &count) == 0 &&
		    store_commit(s) == 0)
			rc = 0;
		else
			store_rollback(s);
	}
	if (in != stdin)
		fclose(in);
	if (rc == 0)
		printf("recorded %llu events in case %s\n",
		    (unsigned long long)count, store_case_id(s));
	else
		error_prefix("%s (nothing recorded)", a->batch);
	return rc;
}

/* record, release and receive: one signed event about an artifact. */
static int
ledger_event_command(const char *action, int argc, char **argv)
{
	struct ledger_args a;
	struct store_handler who;
	struct event e = { 0 };
	struct store *s = NULL;
	struct key *signer = NULL;
	char counterpart[65];
	int recordable, rc = -1;

	if (ledger_parse(&a, argc, argv) != 0)
		return command_usage(&cmd_ledger_entry);
	if (action == NULL && a.batch != NULL) {
		if ((s = ledger_open(a.dir)) != NULL &&
		    (signer = ledger_signer(s, a.key, a.passphrase_file, &who)) != NULL)
			rc = ledger_batch(s, &a, signer);
		key_free(signer);
		store_close(s);
		return rc == 0 ? EXIT_VERIFIED : command_fail("ledger", EXIT_USAGE);
	}
	if (action == NULL && (a.action == NULL ||
	    !event_action_known(a.action, &recordable) || !recordable)) {
		error_set("--action must be one of accessed, analysed, copied, "
		    "verified, sealed, stored, returned, disposed");
		return command_fail("ledger", EXIT_USAGE);
	}
	e.action = action != NULL ? action : a.action;
	e.artifact = a.artifact;
	e.location = a.location;
	e.note = a.note;
	if ((s = ledger_open(a.dir)) != NULL && ledger_check_event(s, &a) == 0 &&
	    (signer = ledger_signer(s, a.key, a.passphrase_file, &who)) != NULL &&
	    (action == NULL || ledger_handover(s, &a, signer, &e, counterpart) == 0))
		rc = ledger_write(s, &e, signer);
	key_free(signer);
	store_close(s);
	return rc == 0 ? EXIT_VERIFIED : command_fail("ledger", EXIT_USAGE);
}

/* custody ledger checkpoint: a signed tree head for an auditor to keep. */
static int
ledger_checkpoint_command(int argc, char **argv)
{
	struct ledger_args a;
	struct store_handler who;
	struct store *s = NULL;
	struct key *signer = NULL;
	merkle_hash *leaves = NULL, root;
	uint64_t count = 0;
	char origin[128], name[32], *note = NULL;
	size_t len;
	FILE *out;
	int rc = -1;

	if (ledger_parse(&a, argc, argv) != 0 || a.output == NULL)
		return command_usage(&cmd_ledger_entry);
	if ((s = ledger_open(a.dir)) != NULL &&
	    (signer = ledger_signer(s, a.key, a.passphrase_file, &who)) != NULL &&
	    ledger_leaves(s, &leaves, &count) == 0) {
		merkle_root(leaves, count, root);
		snprintf(origin, sizeof origin, "custody/%s", store_case_id(s));
		store_check_key_name(signer->fingerprint, name);
		note = checkpoint_sign(origin, count, root, name, signer, &len);
		if (note != NULL && (out = ledger_output(a.output)) != NULL) {
			fwrite(note, 1, len, out);
			rc = ledger_output_close(out, a.output, 0);
		}
	}
	if (rc == 0 && strcmp(a.output, "-") != 0)
		printf("wrote %s: case %s, %llu events, signed by %s as %s\n",
		    a.output, store_case_id(s), (unsigned long long)count,
		    who.name, name);
	free(note);
	free(leaves);
	key_free(signer);
	store_close(s);
	return rc == 0 ? EXIT_VERIFIED : command_fail("ledger checkpoint", EXIT_USAGE);
}

/* custody ledger export. */
static int
ledger_export_command(int argc, char **argv)
{
	struct store_check check = { 0 };
	struct ledger_args a;
	struct store *s;
	FILE *out;
	int rc = -1, status;

	if (ledger_parse(&a, argc, argv) != 0 || a.format == NULL)
		return command_usage(&cmd_ledger_entry);
	if (strcmp(a.format, "json") != 0 && strcmp(a.format, "csv") != 0 &&
	    strcmp(a.format, "html") != 0) {
		error_set("--format must be json, csv or html");
		return command_fail("ledger export", EXIT_USAGE);
	}
	if ((s = ledger_open(a.dir)) == NULL)
		return command_fail("ledger export", EXIT_USAGE);
	/* Verified first: a ledger that does not verify is exported marked, exit 1. */
	if (ledger_warn_check(s, &check, "ledger export") == 0 &&
	    (out = ledger_output(a.output)) != NULL)
		rc = ledger_output_close(out, a.output,
		    ledger_export(s, &check, a.format, out) != 0);
	if (rc == 0 && !store_check_ok(&check))
		status = EXIT_INTEGRITY;
	else if (rc == 0)
		status = EXIT_VERIFIED;
	else
		status = command_fail("ledger export", EXIT_USAGE);
	store_check_free(&check);
	store_close(s);
	return status;
}

/* custody ledger. */
static int
cmd_ledger_exec(int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";

	if (strcmp(sub, "record") == 0)
		return ledger_event_command(NULL, argc - 1, argv + 1);
	if (strcmp(sub, "release") == 0)
		return ledger_event_command("released", argc - 1, argv + 1);
	if (strcmp(sub, "receive") == 0)
		return ledger_event_command("received", argc - 1, argv + 1);
	if (strcmp(sub, "log") == 0)
		return ledger_log_command(argc - 1, argv + 1);
	if (strcmp(sub, "verify") == 0)
		return ledger_verify_command(argc - 1, argv + 1);
	if (strcmp(sub, "checkpoint") == 0)
		return ledger_checkpoint_command(argc - 1, argv + 1);
	if (strcmp(sub, "export") == 0)
		return ledger_export_command(argc - 1, argv + 1);
	/* Ingest is verify's checks and then one event: verify/cmd-ingest.c. */
	if (strcmp(sub, "ingest") == 0)
		return cmd_ingest_entry.exec(argc - 1, argv + 1);
	return command_usage(&cmd_ledger_entry);
}

const struct command cmd_ledger_entry = {
	"ledger",
	"ledger record  --case DIR --key KEYFILE --artifact ID --action ACTION [--location TEXT] [--note TEXT]\n"
	"       custody ledger record  --case DIR --key KEYFILE --batch FILE|-\n"
	"       custody ledger release --case DIR --key KEYFILE --artifact ID --to NAME|FINGERPRINT\n"
	"                              [--location TEXT] [--note TEXT]\n"
	"       custody ledger receive --case DIR --key KEYFILE --artifact ID [--location TEXT] [--note TEXT]\n"
	"       custody ledger log     --case DIR [--artifact ID] [--json]\n"
	"       custody ledger verify  --case DIR [--checkpoint FILE]... [--tsa-ca FILE]\n"
	"                              [--since-verified [--full]] [--json]\n"
	"       custody ledger checkpoint --case DIR --key KEYFILE -o FILE\n"
	"       custody ledger export  --case DIR --format json|csv|html [-o FILE]\n"
	"       custody ledger ingest  --case DIR --key KEYFILE [--fingerprint FP] [--from TEXT]\n"
	"                              [--location TEXT] [--note TEXT] [--name NAME] ARCHIVE\n"
	"       (--case may come from CUSTODY_CASE; keys take --passphrase-file FILE)",
	"record and check who held each artifact, when, where and why",
	cmd_ledger_exec
};
