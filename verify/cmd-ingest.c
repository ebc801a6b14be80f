/*
 * custody ledger ingest: take an archive sealed on a host into a case.
 * The archive is verified whole, with the checks custody verify makes;
 * its seal's key is the one-time key it carries (checked against the
 * fingerprint written down at the host, when given) or a key registered
 * in the case; then one event signed by the examiner records it. It
 * lives beside verify, whose checks it is, and writes through lib/store,
 * as collect does; custody ledger dispatches "ingest" to it.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/seal.h"
#include "custody/store.h"
#include "custody/util.h"
#include "reader.h"
#include "types.h"

#define INGEST_NAME_MAX	255	/* bytes of an archive's file name */

struct ingest_args {
	const char	*dir;
	const char	*key_path;
	const char	*passphrase_file;
	const char	*fingerprint_text;
	char		 fingerprint[KEY_FINGERPRINT_SIZE];
	const char	*from;
	const char	*location;
	const char	*note;
	const char	*name;
	const char	*archive;
};

/* What one ingest works with. */
struct ingest {
	struct ingest_args	 a;
	struct store		*store;
	struct key		*examiner;
	struct key		*sealer;	/* the key the seal is checked with */
	struct check		 check;
	struct seal		 seal;
	bool			 seal_parsed;
	json_t			*seal_json;
	char			 sha256[65];
	char			 evidence_id[16];
	uint64_t		 seq;		/* of the ingested event */
	uint64_t		 typed_seq;	/* of the typed event */
	char			 record[64];	/* types record, in the case directory */
	char			*record_path;
	unsigned char		 record_sha256[32];
	struct types_record_info types;
};

static const struct option ingest_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ "fingerprint", required_argument, NULL, 'f' },
	{ "from", required_argument, NULL, 'F' },
	{ "location", required_argument, NULL, 'l' },
	{ "note", required_argument, NULL, 'n' },
	{ "name", required_argument, NULL, 'N' },
	{ NULL, 0, NULL, 0 }
};

/* Parse the command line; -1 on a usage error. */
static int
ingest_parse(struct ingest_args *a, int argc, char **argv)
{
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", ingest_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->dir = optarg; break;
		case 'k': a->key_path = optarg; break;
		case 'P': a->passphrase_file = optarg; break;
		case 'f': a->fingerprint_text = optarg; break;
		case 'F': a->from = optarg; break;
		case 'l': a->location = optarg; break;
		case 'n': a->note = optarg; break;
		case 'N': a->name = optarg; break;
		default: return -1;
		}
	}
	if (optind + 1 != argc)
		return -1;
	a->archive = argv[optind];
	if (a->dir == NULL && getenv("CUSTODY_CASE") != NULL &&
	    getenv("CUSTODY_CASE")[0] != '\0')
		a->dir = getenv("CUSTODY_CASE");
	return 0;
}

/* A file name as the ledger records it: one printable component. 0 or -1. */
static int
ingest_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > INGEST_NAME_MAX)
		return error_set("--name must be 1 to %d bytes", INGEST_NAME_MAX);
	if (!util_utf8_printable(name, len) || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strcmp(name, "-") == 0)
		return error_set("--name must be a file name: printable UTF-8, "
		    "no /, not \".\", \"..\" or \"-\"");
	return 0;
}

/* Check the values given before anything is read. 0 or -1. */
static int
ingest_check_args(struct ingest_args *a)
{
	if (a->dir == NULL)
		return error_set("no case: give --case DIR or set CUSTODY_CASE");
	if (a->key_path == NULL)
		return error_set("--key is required: the examiner signs the ingest");
	if (strcmp(a->archive, "-") == 0)
		return error_set("ingest needs the archive as a file: save the "
		    "stream first (the ledger records its name and path)");
	if ((a->from != NULL && event_check_text("--from", a->from) != 0) ||
	    (a->location != NULL && event_check_text("--location", a->location) != 0) ||
	    (a->note != NULL && event_check_text("--note", a->note) != 0) ||
	    (a->name != NULL && ingest_check_name(a->name) != 0))
		return -1;
	if (a->fingerprint_text != NULL &&
	    key_fingerprint_parse(a->fingerprint_text, a->fingerprint) != 0)
		return -1;
	return 0;
}

/*
 * The key the seal must verify with: the one-time key it carries, or the
 * registered key it names. 0, or -1 (an operational error: exit 2).
 */
static int
ingest_sealer_key(struct ingest *in)
{
	struct store_handler h;
	int rc;

	if (in->seal.one_time)
		return (in->sealer = key_from_raw(in->seal.public_key)) != NULL ? 0 : -1;
	if ((rc = store_handler_find(in->store, in->seal.fingerprint, &h)) < 0)
		return -1;
	if (rc != 0 || strcmp(h.fingerprint, in->seal.fingerprint) != 0)
		return error_set("%s is sealed by key %.16s, which is not a one-time "
		    "key and not registered in case %s: register the collector's "
		    "key first (custody key register); nothing recorded",
		    in->a.archive, in->seal.fingerprint, store_case_id(in->store));
	if (store_handler_bound(in->store, &h) != 0)
		return -1;
	return (in->sealer = key_from_raw(h.public_key)) != NULL ? 0 : -1;
}

/* Print the problems found, one a line, as custody verify does. */
static void
ingest_print_problems(const struct check *c)
{
	const json_t *p;
	size_t i;

	json_array_foreach(c->problems, i, p)
		printf("FAILED %s: %s\n",
		    json_string_value(json_object_get(p, "member")),
		    json_string_value(json_object_get(p, "problem")));
	if (c->problems_unlisted > 0)
		printf("FAILED (archive): %llu more problems, not listed\n",
		    (unsigned long long)c->problems_unlisted);
}

/*
 * Verify the archive whole: every member, the manifest, the sums, the
 * sidecar when there is one, and the seal with its key. Returns the exit
 * status: 0 verified, 1 it does not, 2 it could not be checked.
 */
static int
ingest_verify(struct ingest *in)
{
	struct check *c = &in->check;
	size_t n;

	/* The types come from the pass that verifies: a case never lacks them. */
	c->types = true;
	if (check_archive(in->a.archive, c) != 0)
		return EXIT_USAGE;
	if (json_array_size(c->problems) == 0 && c->seal_text != NULL) {
		if (seal_parse(c->seal_text, c->seal_len, &in->seal) == 0)
			in->seal_parsed = true;
		if (in->seal_parsed && ingest_sealer_key(in) != 0)
			return EXIT_USAGE;
	}
	check_sidecar(in->a.archive, c);
	check_seal(c, in->sealer, &in->seal_json);
	if (c->failed)
		return error_set("out of memory recording what the archive holds"),
		    EXIT_USAGE;
	n = json_array_size(c->problems) + c->problems_unlisted;
	if (n == 0 && in->seal_parsed)
		return EXIT_VERIFIED;
	ingest_print_problems(c);
	error_set("%s does not verify (%zu problem%s): nothing recorded",
	    in->a.archive, n, n == 1 ? "" : "s");
	return EXIT_INTEGRITY;
}

/*
 * What the seal says must fit the case: its case id, the fingerprint
 * written down, values the ledger can hold. Returns the exit status.
 */
static int
ingest_match(struct ingest *in)
{
	const struct seal *s = &in->seal;

	if (strcmp(s->case_id, store_case_id(in->store)) != 0)
		return error_set("%s is sealed for case %s, but %s is case %s: "
		    "give the case it belongs to; nothing recorded", in->a.archive,
		    s->case_id, in->a.dir, store_case_id(in->store)), EXIT_USAGE;
	if (in->a.fingerprint_text != NULL &&
	    !key_fingerprint_matches(in->a.fingerprint, s->fingerprint))
		return error_set("%s is sealed by key %s, not by the key whose "
		    "fingerprint was written down (%s): nothing recorded",
		    in->a.archive, s->fingerprint, in->a.fingerprint), EXIT_INTEGRITY;
	if (event_check_text("the seal's host name", s->hostname) != 0 ||
	    strlen(s->hostname) >= sizeof ((struct store_artifact *)0)->host ||
	    strchr(s->hostname, '\n') != NULL ||
	    strlen(s->started) >= sizeof ((struct store_artifact *)0)->collected_at ||
	    !util_utf8_printable(s->started, strlen(s->started)) ||
	    !util_utf8_printable(s->finished, strlen(s->finished)) ||
	    strlen(s->finished) > 64)
		return error_prefix("%s: the seal's host or times are not what "
		    "custody writes; nothing recorded", in->a.archive), EXIT_INTEGRITY;
	return EXIT_VERIFIED;
}

/* A rerun: the archive is already in the case. 1 when so (said), 0 not, -1. */
static int
ingest_already(struct ingest *in)
{
	struct store_artifact art;
	int rc = store_artifact_by_sha256(in->store, in->sha256, &art);
	char *name;

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	name = util_escape(art.archive_name, strlen(art.archive_name));
	printf("%s is already recorded in case %s as %s (%s): nothing new "
	    "recorded\n", in->a.archive, store_case_id(in->store), art.evidence_id,
	    name != NULL ? name : "?");
	free(name);
	return 1;
}

/* A one-time key seals one archive: another one under it is refused. 0, 1 used, -1. */
static int
ingest_reused(struct ingest *in)
{
	struct store_sealer used;
	int rc;

	if (!in->seal.one_time)
		return 0;
	if ((rc = store_one_time_key_used(in->store, in->seal.fingerprint, &used)) != 1)
		return rc;
	error_set("%s is sealed with the one-time key %.16s, which already sealed "
	    "%s (#%llu) in case %s: a one-time key seals one archive only, so "
	    "this one was not made by that collection; nothing recorded",
	    in->a.archive, in->seal.fingerprint, used.evidence_id,
	    (unsigned long long)used.seq, store_case_id(in->store));
	return 1;
}

/* The evidence id: the seal's when the case has not used it, else the next free. */
static int
ingest_evidence_id(struct ingest *in)
{
	struct store_artifact art;
	const char *sealed = in->seal.evidence_id;
	int rc;

	if (util_id_ok(sealed) && strlen(sealed) < sizeof in->evidence_id) {
		if ((rc = store_artifact_get(in->store, sealed, &art)) < 0)
			return -1;
		if (rc == 1) {
			snprintf(in->evidence_id, sizeof in->evidence_id, "%s", sealed);
			return 0;
		}
	}
	return store_next_evidence_id(in->store, in->evidence_id);
}

/* The artifact row, from the verified archive and its seal. 0 or -1. */
static int
ingest_artifact(struct ingest *in, struct store_artifact *art)
{
	char *copy = strdup(in->a.archive);
	const char *name;

	if (copy == NULL)
		return error_set_errno("strdup");
	name = in->a.name != NULL ? in->a.name : basename(copy);
	memset(art, 0, sizeof *art);
	if ((size_t)snprintf(art->archive_name, sizeof art->archive_name, "%s",
	    name) >= sizeof art->archive_name || ingest_check_name(name) != 0) {
		free(copy);
		return error_prefix("%s: its file name cannot be recorded (give "
		    "--name)", in->a.archive);
	}
	free(copy);
	if (realpath(in->a.archive, art->archive_path) == NULL)
		return error_set_errno("%s", in->a.archive);
	snprintf(art->evidence_id, sizeof art->evidence_id, "%s", in->evidence_id);
	snprintf(art->archive_sha256, sizeof art->archive_sha256, "%s", in->sha256);
	art->archive_size = (int64_t)in->check.archive_bytes;
	snprintf(art->merkle_root, sizeof art->merkle_root, "%s", in->seal.merkle_root);
	snprintf(art->host, sizeof art->host, "%s", in->seal.hostname);
	snprintf(art->collected_at, sizeof art->collected_at, "%s", in->seal.started);
	snprintf(art->collected_by, sizeof art->collected_by, "%s",
	    in->examiner->fingerprint);
	return 0;
}

/* Set a string member of the details when value is not NULL. 0 or -1. */
static int
ingest_set(json_t *o, const char *key, const char *value)
{
	if (value == NULL)
		return 0;
	return json_object_set_new(o, key, json_string(value)) == 0 ? 0 :
	    error_set("ingest details: %s cannot be recorded", key);
}

/* The members of the event's details that only the event holds. */
static json_t *
ingest_details(const struct ingest *in)
{
	char *b64 = util_base64(in->seal.public_key, KEY_RAW_SIZE);
	json_t *o = json_object();

	if (b64 == NULL || o == NULL ||
	    ingest_set(o, "collection_ended", in->seal.finished) != 0 ||
	    ingest_set(o, "noted_fingerprint", in->a.fingerprint_text != NULL ?
	    in->a.fingerprint : NULL) != 0 ||
	    ingest_set(o, "received_from", in->a.from) != 0 ||
	    ingest_set(o, "seal_evidence_id", in->seal.evidence_id) != 0 ||
	    ingest_set(o, "seal_key", in->seal.fingerprint) != 0 ||
	    ingest_set(o, "seal_key_kind", in->seal.one_time ? "one-time" :
	    "registered") != 0 || ingest_set(o, "seal_public_key", b64) != 0) {
		json_decref(o);
		o = NULL;
	}
	free(b64);
	return o;
}

/* The types directory of the case: made when missing, never a link. 0 or -1. */
static int
ingest_types_dir(const char *dir)
{
	struct stat st;
	char *path;
	int rc = 0;

	if (asprintf(&path, "%s/types", dir) < 0)
		return error_set_errno("asprintf");
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		rc = error_set_errno("%s", path);
	else if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = error_set("%s is not a directory", path);
	free(path);
	return rc;
}

/* Write the signed types record of the archive into the case directory. 0 or -1. */
static int
ingest_types_write(struct ingest *in)
{
	const char *dir = store_dir(in->store);

	if ((size_t)snprintf(in->record, sizeof in->record, "types/%s.types",
	    in->evidence_id) >= sizeof in->record)
		return error_set("evidence id too long for a types record name");
	free(in->record_path);
	if (asprintf(&in->record_path, "%s/%s", dir, in->record) < 0) {
		in->record_path = NULL;
		return error_set_errno("asprintf");
	}
	if (ingest_types_dir(dir) != 0 ||
	    types_write(&in->check, in->seal.merkle_root, in->examiner,
	    in->record_path, &in->types, in->record_sha256) != 0)
		return -1;
	return 0;
}

/* Remove a types record written by a run that recorded nothing. */
static void
ingest_types_unlink(const struct ingest *in)
{
	char *sig;

	if (in->record_path == NULL || asprintf(&sig, "%s%s", in->record_path,
	    TYPES_SIG_SUFFIX) < 0)
		return;
	unlink(in->record_path);
	unlink(sig);
	free(sig);
}

/* The typed event: the record by name and SHA-256, what it was made with. 0 or -1. */
static int
ingest_typed(struct ingest *in)
{
	struct event e = { .action = "typed", .artifact = in->evidence_id };
	json_t *details;
	char hex[65];
	int rc;

	util_hex(in->record_sha256, 32, hex);
	/* store_append replaces e.details with what it signs: keep ours to free. */
	e.details = details = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "database_sha256",
	    in->types.database_sha256, "members",
	    (json_int_t)json_array_size(in->check.types_found), "merkle_root",
	    in->types.merkle_root, "record", in->record, "record_sha256", hex,
	    "tool_version", in->types.tool_version);
	if (details == NULL)
		return error_set("typed details: out of memory");
	rc = store_append(in->store, &e, in->examiner);
	in->typed_seq = e.seq;
	json_decref(details);
	return rc;
}

/* Record the artifact and the examiner's ingested event, in one transaction. */
static int
ingest_record(struct ingest *in)
{
	struct store_artifact art;
	struct event e = { .action = "ingested" };
	json_t *details;
	int rc = -1;

	if (store_begin(in->store) != 0)
		return -1;
	if (ingest_evidence_id(in) == 0 && ingest_artifact(in, &art) == 0 &&
	    (details = ingest_details(in)) != NULL) {
		e.artifact = art.evidence_id;
		e.location = in->a.location;
		e.note = in->a.note;
		e.details = details;
		if (store_artifact_insert(in->store, &art) == 0 &&
		    store_append(in->store, &e, in->examiner) == 0 &&
		    (in->seq = e.seq, ingest_types_write(in)) == 0 &&
		    ingest_typed(in) == 0 && store_commit(in->store) == 0)
			rc = 0;
		json_decref(details);
	}
	if (rc != 0) {
		store_rollback(in->store);
		ingest_types_unlink(in);
	}
	return rc;
}

/* Say what was recorded. */
static void
ingest_report(const struct ingest *in)
{
	char *name = util_escape(in->a.archive, strlen(in->a.archive)), hex[65];

	printf("ingested %s into case %s as %s (#%llu): sealed on host %s from "
	    "%s to %s with %s key %s%s\n", name != NULL ? name : "?",
	    store_case_id(in->store), in->evidence_id, (unsigned long long)in->seq,
	    in->seal.hostname, in->seal.started, in->seal.finished,
	    in->seal.one_time ? "the one-time" : "the registered",
	    in->seal.fingerprint, in->a.fingerprint_text != NULL ?
	    ", the fingerprint written down" : "");
	if (strcmp(in->evidence_id, in->seal.evidence_id) != 0)
		printf("  the seal calls it %s, which the case had used already\n",
		    in->seal.evidence_id);
	util_hex(in->record_sha256, 32, hex);
	printf("  typed its %zu members with libmagic %s (#%llu): %s, SHA-256 %s, "
	    "signed by %s\n", json_array_size(in->check.types_found),
	    in->types.tool_version, (unsigned long long)in->typed_seq, in->record,
	    hex, in->examiner->fingerprint);
	if (in->seal.one_time && in->a.fingerprint_text == NULL)
		fprintf(stderr, "custody ledger ingest: warning: no --fingerprint "
		    "was given, so nothing ties %s to the note made at the host\n",
		    name != NULL ? name : "?");
	free(name);
}

/* Run the checks and the record; returns the exit status. */
static int
ingest_run(struct ingest *in)
{
	struct store_handler who;
	int status, rc;

	if ((in->store = store_open(in->a.dir)) == NULL ||
	    (in->examiner = key_load_signing(in->a.key_path,
	    in->a.passphrase_file)) == NULL ||
	    store_require_handler(in->store, in->examiner, &who) != 0)
		return EXIT_USAGE;
	if ((status = ingest_verify(in)) != EXIT_VERIFIED ||
	    (status = ingest_match(in)) != EXIT_VERIFIED)
		return status;
	util_hex(in->check.archive_sha256, 32, in->sha256);
	if ((rc = ingest_already(in)) != 0)
		return rc < 0 ? EXIT_USAGE : EXIT_VERIFIED;
	if ((rc = ingest_reused(in)) != 0)
		return rc < 0 ? EXIT_USAGE : EXIT_INTEGRITY;
	if (ingest_record(in) != 0)
		return error_prefix("%s: nothing recorded", in->a.archive), EXIT_USAGE;
	ingest_report(in);
	return EXIT_VERIFIED;
}

/* custody ledger ingest. */
static int
cmd_ingest_exec(int argc, char **argv)
{
	struct ingest in;
	int status;

	memset(&in, 0, sizeof in);
	if (ingest_parse(&in.a, argc, argv) != 0)
		return command_usage(&cmd_ingest_entry);
	if (ingest_check_args(&in.a) != 0)
		return command_fail("ledger ingest", EXIT_USAGE);
	status = ingest_run(&in);
	if (status != EXIT_VERIFIED)
		command_fail("ledger ingest", status);
	if (in.seal_parsed)
		seal_free(&in.seal);
	json_decref(in.seal_json);
	check_free(&in.check);
	key_free(in.sealer);
	key_free(in.examiner);
	store_close(in.store);
	free(in.record_path);
	return status;
}

const struct command cmd_ingest_entry = {
	"ingest",
	"ledger ingest --case DIR --key KEYFILE [--fingerprint FP] [--from TEXT]\n"
	"                      [--location TEXT] [--note TEXT] [--name NAME]\n"
	"                      [--passphrase-file FILE] ARCHIVE",
	"verify an archive sealed elsewhere and record it in a case",
	cmd_ingest_exec
};
