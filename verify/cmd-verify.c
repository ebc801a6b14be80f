/* custody verify: prove an archive (or one file, with a proof) intact. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/manifest.h"
#include "custody/merkle.h"
#include "custody/proof.h"
#include "custody/seal.h"
#include "custody/store.h"
#include "custody/store-check.h"
#include "custody/sums.h"
#include "custody/util.h"
#include "reader.h"
#include "signature.h"
#include "types.h"

struct verify_args {
	const char	*key_path;
	const char	*case_dir;
	bool		 case_from_env;	/* case_dir is $CUSTODY_CASE */
	const char	*proof_path;
	const char	*signature_path;
	const char	*fingerprint_text;	/* --fingerprint as given */
	char		 fingerprint[KEY_FINGERPRINT_SIZE];	/* its digits */
	bool		 json;
	bool		 quiet;
	bool		 all_hashes;
	bool		 types;
	const char	*types_out;	/* --types-out: write the signed record */
	const char	*sign_key_path;	/* --sign-key: who signs it */
	const char	*passphrase_file;
	const char	*types_record;	/* --types-record: check one */
	const char	*types_key_path;	/* --types-key: who signed it */
	struct key	*signer;
	struct key	*record_key;
};

static const struct option verify_longopts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "proof", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "all-hashes", no_argument, NULL, 'a' },
	{ "types", no_argument, NULL, 't' },
	{ "case", required_argument, NULL, 'c' },
	{ "signature", required_argument, NULL, 's' },
	{ "fingerprint", required_argument, NULL, 'f' },
	{ "types-out", required_argument, NULL, 'O' },
	{ "sign-key", required_argument, NULL, 'S' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ "types-record", required_argument, NULL, 'R' },
	{ "types-key", required_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

/* Print the problems, one line each. */
static void
verify_print_problems(const json_t *problems)
{
	const json_t *p;
	size_t i;

	json_array_foreach(problems, i, p)
		printf("FAILED %s: %s\n",
		    json_string_value(json_object_get(p, "member")),
		    json_string_value(json_object_get(p, "problem")));
}

/* Print the member types found with --types. */
static void
verify_print_types(const json_t *types)
{
	const json_t *t;
	size_t i, len;
	char *escaped, *path = NULL;

	json_array_foreach(types, i, t) {
		escaped = manifest_get_bytes(t, "path", &path, &len) == 0 ?
		    util_escape(path, len) : NULL;
		printf("%s\t%s\n", json_string_value(json_object_get(t, "mime")),
		    escaped != NULL ? escaped : "?");
		free(escaped);
		free(path);
		path = NULL;
	}
}

/* Print who sealed the archive and what it holds. */
static void
verify_print_seal(const json_t *seal, const struct check *c, bool trusted)
{
	const json_t *who = json_object_get(seal, "collector");
	const char *org = json_string_value(json_object_get(who, "organization"));
	const char *name = json_string_value(json_object_get(who, "name"));
	const char *role = json_string_value(json_object_get(who, "role"));
	char hex[65];

	printf("  case %s, evidence %s, host %s, collected %s to %s\n",
	    json_string_value(json_object_get(seal, "case_id")),
	    json_string_value(json_object_get(seal, "evidence_id")),
	    json_string_value(json_object_get(json_object_get(seal, "host"), "hostname")),
	    json_string_value(json_object_get(seal, "started")),
	    json_string_value(json_object_get(seal, "finished")));
	if (json_is_true(json_object_get(who, "one_time")))
		printf("  sealed with the one-time key %s, made for this "
		    "collection alone: it names nobody\n", json_string_value(
		    json_object_get(who, "fingerprint")));
	else
	printf("  %s %s (%s%s%s), key %s%s\n", trusted ? "sealed by" :
	    "the seal claims to be by", name != NULL ? name : "(unnamed)",
	    role != NULL ? role : "no role", org != NULL ? ", " : "",
	    org != NULL ? org : "", json_string_value(json_object_get(who,
	    "fingerprint")), trusted ? "" : ": nobody vouches for that key");
	printf("  %llu entries, %llu members, %llu bytes of content; Merkle root %s\n",
	    (unsigned long long)c->leaf_count, (unsigned long long)c->members,
	    (unsigned long long)c->content_bytes,
	    json_string_value(json_object_get(json_object_get(seal, "manifest"),
	    "merkle_root")));
	util_hex(c->archive_sha256, 32, hex);
	printf("  archive SHA-256 %s (%llu bytes)\n", hex,
	    (unsigned long long)c->archive_bytes);
	if (!trusted)
		printf("  the signature was checked only with the key the seal "
		    "itself carries: give --key or --case to know who sealed it%s\n",
		    json_is_true(json_object_get(who, "one_time")) ? ", or "
		    "--fingerprint with the fingerprint written down at collection" :
		    "");
}

/* The verdict as one JSON document. 0 or -1. */
static int
verify_print_json(const char *archive, const struct check *c, const json_t *seal,
    bool trusted)
{
	char hex[65];
	bool intact = json_array_size(c->problems) == 0;
	char *name = util_escape(archive, strlen(archive));
	json_t *o = name == NULL ? NULL : json_pack("{s:s, s:s, s:I, s:b, s:b, s:b, s:b, s:O, s:I, s:O?, s:I, s:I, s:I}",
	    "archive", name, "archive_sha256",
	    util_hex(c->archive_sha256, 32, hex),
	    "archive_bytes", (json_int_t)c->archive_bytes,
	    "verified", intact && trusted, "intact", intact,
	    "authenticated", intact && trusted,
	    "key_given", trusted, "problems", c->problems,
	    "problems_unlisted", (json_int_t)c->problems_unlisted, "seal", seal,
	    "entries", (json_int_t)c->leaf_count, "members", (json_int_t)c->members,
	    "content_bytes", (json_int_t)c->content_bytes);

	free(name);
	if (o == NULL || (c->types && json_object_set(o, "types", c->types_found) != 0) ||
	    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		json_decref(o);
		return error_set("cannot write the verdict as JSON");
	}
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

/*
 * With --case: the archive must be one the case recorded (by the SHA-256
 * of its file), and the seal is checked with the key the ledger says
 * sealed it: the collector's registered key, or the key the examiner's
 * signed ingest event recorded. Returns that key (NULL with a problem
 * recorded when not found); fills the evidence id and the seal's.
 */
static struct key *
verify_case_key(struct store *s, const char *archive, struct check *c,
    char evidence_id[65], struct store_sealer *sealer)
{
	struct store_artifact art;
	char hex[65];

	util_hex(c->archive_sha256, 32, hex);
	if (store_artifact_by_sha256(s, hex, &art) != 0) {
		check_problem(c, archive, strlen(archive), "not recorded in case %s "
		    "(no artifact has SHA-256 %s)", store_case_id(s), hex);
		return NULL;
	}
	snprintf(evidence_id, 65, "%s", art.evidence_id);
	if (store_artifact_sealer(s, art.evidence_id, sealer) != 0) {
		check_problem(c, archive, strlen(archive), "%s", error_message());
		return NULL;
	}
	return key_from_raw(sealer->public_key);
}

/* The seal must name the case, and the evidence id the ledger recorded it under. */
static void
verify_case_seal(struct check *c, const json_t *seal, struct store *s,
    const struct store_sealer *sealer)
{
	const char *sealed_id = json_string_value(json_object_get(seal, "evidence_id"));
	const char *sealed_case = json_string_value(json_object_get(seal, "case_id"));

	if (seal == NULL)
		return;
	if (sealed_id == NULL || strcmp(sealed_id, sealer->sealed_evidence_id) != 0 ||
	    sealed_case == NULL || strcmp(sealed_case, store_case_id(s)) != 0)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "sealed as %s of case "
		    "%s, but the ledger records it as %s of case %s",
		    sealed_id ? sealed_id : "?", sealed_case ? sealed_case : "?",
		    sealer->sealed_evidence_id, store_case_id(s));
}

/*
 * With --fingerprint: the key the seal carries is trusted when its
 * fingerprint is the one written down at collection. NULL (with a
 * problem when it differs) otherwise.
 */
static struct key *
verify_fingerprint_key(const struct verify_args *a, struct check *c)
{
	struct seal seal;
	struct key *key = NULL;

	if (c->seal_text == NULL || seal_parse(c->seal_text, c->seal_len, &seal) != 0)
		return NULL;
	if (!key_fingerprint_matches(a->fingerprint, seal.fingerprint))
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "sealed by key %s, "
		    "not by the key whose fingerprint was given (%s)",
		    seal.fingerprint, a->fingerprint);
	else
		key = key_from_raw(seal.public_key);
	seal_free(&seal);
	return key;
}

/*
 * The case given and the case the archive was sealed for differ: that is
 * a wrong --case (or $CUSTODY_CASE), not a failing archive. True when so.
 */
static bool
verify_other_case(const struct verify_args *a, const struct check *c,
    struct store *s, const char *archive)
{
	struct seal seal;
	struct key *embedded;
	bool other;

	/* Only an archive intact under its own seal is plainly of another case. */
	if (json_array_size(c->problems) > 0 || c->seal_text == NULL ||
	    c->seal_sig == NULL || seal_parse(c->seal_text, c->seal_len, &seal) != 0)
		return false;
	embedded = key_from_raw(seal.public_key);
	other = embedded != NULL && strcmp(embedded->fingerprint, seal.fingerprint) == 0 &&
	    key_verify(embedded, c->seal_text, c->seal_len, c->seal_sig,
	    c->seal_sig_len) == 0 && strcmp(seal.case_id, store_case_id(s)) != 0;
	key_free(embedded);
	if (other)
		error_set("%s is sealed for case %s, but the case given (%s%s) is "
		    "case %s: give the case it belongs to", archive, seal.case_id,
		    a->case_dir, a->case_from_env ? ", from CUSTODY_CASE" : "",
		    store_case_id(s));
	seal_free(&seal);
	return other;
}

/* Say first and loudly that the case's ledger does not verify, with its problems. */
static void
verify_print_ledger(const struct store_check *l, const char *case_id)
{
	size_t i, n = json_array_size(l->problems);
	const json_t *p, *seq;
	const char *text;

	printf("*** NOT VERIFIED: the ledger of case %s does not verify (%zu "
	    "problem%s): no archive can be verified against it ***\n", case_id,
	    n, n == 1 ? "" : "s");
	json_array_foreach(l->problems, i, p) {
		seq = json_object_get(p, "event");
		text = json_string_value(json_object_get(p, "problem"));
		if (text == NULL)
			text = "(out of memory)";
		if (json_is_integer(seq))
			printf("FAILED ledger event #%" JSON_INTEGER_FORMAT ": %s\n",
			    json_integer_value(seq), text);
		else
			printf("FAILED ledger: %s\n", text);
	}
}

/* For --json: each of the ledger's problems as a problem of ledger.db. */
static void
verify_json_ledger(const struct store_check *l, struct check *c)
{
	const json_t *p, *seq;
	const char *text;
	size_t i;

	json_array_foreach(l->problems, i, p) {
		seq = json_object_get(p, "event");
		text = json_string_value(json_object_get(p, "problem"));
		if (json_is_integer(seq))
			check_problem(c, STORE_FILE, strlen(STORE_FILE), "event #%"
			    JSON_INTEGER_FORMAT ": %s", json_integer_value(seq),
			    text != NULL ? text : "(out of memory)");
		else
			check_problem(c, STORE_FILE, strlen(STORE_FILE), "%s",
			    text != NULL ? text : "(out of memory)");
	}
}

/*
 * With --case, the ledger is checked whole first: its artifact and
 * handler rows are what the archive is looked up by, and only a ledger
 * that verifies binds them to signed events. True when it verifies; when
 * not, the archive gets a problem and its problems are printed.
 */
static int
verify_case_ledger(const struct verify_args *a, struct store *s,
    struct check *c, bool *verified)
{
	struct store_check l;
	char *case_id = util_escape(store_case_id(s), strlen(store_case_id(s)));

	if (case_id == NULL || store_check_run(s, &l, NULL, 0, NULL) != 0) {
		free(case_id);
		return -1;
	}
	*verified = store_check_ok(&l);
	if (!*verified) {
		if (!a->json)
			verify_print_ledger(&l, case_id);
		else
			verify_json_ledger(&l, c);
		check_problem(c, STORE_FILE, strlen(STORE_FILE), "the ledger of "
		    "case %s does not verify (custody ledger verify lists its "
		    "problems): the archive is not verified against it", case_id);
	}
	store_check_free(&l);
	free(case_id);
	return 0;
}

/* Print the verdict on an archive as text. */
static void
verify_print(const struct verify_args *a, const char *archive,
    const struct check *c, const json_t *seal, bool trusted, bool sidecar)
{
	uint64_t n = json_array_size(c->problems) + c->problems_unlisted;

	if (a->types)
		verify_print_types(c->types_found);
	verify_print_problems(c->problems);
	if (c->problems_unlisted > 0)
		printf("FAILED (archive): %llu more problems, not listed\n",
		    (unsigned long long)c->problems_unlisted);
	if (n > 0) {
		printf("NOT VERIFIED: %s: %llu problem%s\n", archive,
		    (unsigned long long)n, n == 1 ? "" : "s");
		return;
	}
	if (a->quiet)
		return;
	if (trusted)
		printf("verified: %s\n", archive);
	else
		printf("NOT AUTHENTICATED: %s is intact, but no trust anchor was "
		    "given (--key, --case or --fingerprint), so who sealed it is "
		    "unknown%s%s\n", archive, json_is_true(json_object_get(
		    json_object_get(seal, "collector"), "one_time")) ? "; it is "
		    "sealed with the one-time key " : "", json_is_true(
		    json_object_get(json_object_get(seal, "collector"), "one_time")) ?
		    json_string_value(json_object_get(json_object_get(seal,
		    "collector"), "fingerprint")) : "");
	verify_print_seal(seal, c, trusted);
	if (sidecar)
		printf("  the archive file matches its .sha256 sidecar\n");
}

/*
 * --types-record: check the record against the pass (its problems are the
 * archive's verdict too); --types-out: write one, of a verified archive
 * only. 0, or -1 when it cannot be done (an operational error).
 */
static int
verify_types_record(const struct verify_args *a, struct check *c,
    const json_t *seal, const struct key *trusted, struct store *s,
    struct types_record_info *info, int *status)
{
	const char *root = json_string_value(json_object_get(json_object_get(seal,
	    "manifest"), "merkle_root"));
	unsigned char sha256[32];

	if (a->types_record != NULL) {
		if (root == NULL)
			check_problem(c, a->types_record, strlen(a->types_record),
			    "the archive has no seal to check it against");
		else if (types_check(c, root, a->types_record, a->record_key != NULL ?
		    a->record_key : trusted, s, info) != 0)
			return -1;
		if (json_array_size(c->problems) > 0)
			*status = EXIT_INTEGRITY;
		return 0;
	}
	if (a->types_out == NULL || *status == EXIT_INTEGRITY)
		return 0;
	if (*status != EXIT_VERIFIED)
		return error_set("%s not written: a types record is made of an "
		    "archive verified with a trust anchor (--key, --case or "
		    "--fingerprint)", a->types_out);
	return types_write(c, root, a->signer, a->types_out, info, sha256);
}

/* Say what the types record given or written holds. */
static void
verify_print_record(const struct verify_args *a, const struct types_record_info *info)
{
	const char *path = a->types_record != NULL ? a->types_record : a->types_out;
	char *name;

	if (path == NULL || (name = util_escape(path, strlen(path))) == NULL)
		return;
	printf("  types record %s %s: signed by key %s, typed at %s with "
	    "libmagic %s (database SHA-256 %s)\n", name, a->types_record != NULL ?
	    "verified" : "written with its signature " TYPES_SIG_SUFFIX, info->signer,
	    info->typed_at, info->tool_version, info->database_sha256);
	free(name);
}

/* Verify a whole archive. */
static int
verify_archive(const struct verify_args *a, const char *archive,
    const struct key *trusted)
{
	struct check c = { .all_hashes = a->all_hashes, .types = a->types,
	    .list_members = a->types_record != NULL };
	struct types_record_info info = { .entries = 0 };
	struct store *s = NULL;
	struct key *case_key = NULL, *noted_key = NULL;
	struct store_sealer sealer = { .one_time = false };
	char evidence_id[65] = "", *escaped = util_escape(archive, strlen(archive));
	json_t *seal = NULL;
	bool sidecar, ledger_ok = false;
	int status = EXIT_USAGE;

	if (escaped == NULL)
		return command_fail("verify", EXIT_USAGE);
	if (a->case_dir != NULL && (s = store_open(a->case_dir)) == NULL)
		goto out;
	/* A ledger that does not verify cannot say which case it is. */
	if (check_archive(archive, &c) != 0 ||
	    (s != NULL && verify_case_ledger(a, s, &c, &ledger_ok) != 0) ||
	    (s != NULL && ledger_ok && verify_other_case(a, &c, s, escaped)))
		goto out;
	if (s != NULL && ledger_ok &&
	    (case_key = verify_case_key(s, archive, &c, evidence_id, &sealer)) != NULL)
		trusted = case_key;
	if (a->fingerprint_text != NULL &&
	    (noted_key = verify_fingerprint_key(a, &c)) != NULL)
		trusted = noted_key;
	sidecar = check_sidecar(archive, &c);
	check_seal(&c, trusted, &seal);
	if (case_key != NULL)
		verify_case_seal(&c, seal, s, &sealer);
	if (c.failed) {
		error_set("out of memory recording what the archive holds");
		goto out;
	}
	status = json_array_size(c.problems) > 0 ? EXIT_INTEGRITY :
	    trusted == NULL ? EXIT_UNAUTHENTICATED : EXIT_VERIFIED;
	if (verify_types_record(a, &c, seal, s != NULL ? NULL : trusted, s,
	    &info, &status) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if (a->json && verify_print_json(escaped, &c, seal, trusted != NULL) != 0)
		status = EXIT_USAGE;
	else if (!a->json)
		verify_print(a, escaped, &c, seal, trusted != NULL, sidecar);
	if (case_key != NULL && status == EXIT_VERIFIED && !a->quiet && !a->json)
		printf("  recorded in case %s as %s; sealed by %s\n",
		    store_case_id(s), evidence_id, !sealer.ingested ?
		    "its registered collector" : sealer.one_time ?
		    "the one-time key its signed ingest event records" :
		    "the registered key its signed ingest event records");
	else if (noted_key != NULL && status == EXIT_VERIFIED && !a->quiet && !a->json)
		printf("  sealed by the key whose fingerprint was given\n");
	if (status == EXIT_VERIFIED && !a->quiet)
		verify_print_record(a, &info);
out:
	if (status == EXIT_USAGE)
		command_fail("verify", EXIT_USAGE);
	json_decref(seal);
	check_free(&c);
	key_free(case_key);
	key_free(noted_key);
	store_close(s);
	free(escaped);
	return status;
}

/* Digest a file the way the manifest did. */
static int
verify_hash_file(const char *path, unsigned mask, struct hash_set *set,
    int64_t *size)
{
	char *data;
	size_t len;

	/* A proof covers one file; reading it whole keeps this simple and bounded. */
	if (util_read_file(path, (size_t)16 << 30, &data, &len) != 0)
		return -1;
	*size = (int64_t)len;
	if (hash_set_init(set, mask) != 0 || hash_set_update(set, data, len) != 0 ||
	    hash_set_final(set) != 0) {
		free(data);
		return -1;
	}
	free(data);
	return 0;
}

/* Check the file against the entry: size and every digest recorded. */
static int
verify_file_against_entry(const char *file, const struct manifest_record *r)
{
	struct hash_set set;
	char hex[HASH_HEX_SIZE];
	int64_t size;
	int alg, bad = 0;

	if (verify_hash_file(file, r->hash_mask, &set, &size) != 0)
		return command_fail("verify", EXIT_USAGE);
	if (size != r->size) {
		printf("FAILED %s: size %lld, the sealed entry says %lld\n", file,
		    (long long)size, (long long)r->size);
		bad = 1;
	}
	for (alg = 0; alg < HASH_COUNT && !bad; alg++) {
		if (!(r->hash_mask & HASH_MASK(alg)))
			continue;
		hash_set_hex(&set, alg, hex);
		if (strcmp(hex, r->hashes[alg]) != 0) {
			printf("FAILED %s: %s does not match the sealed entry\n", file,
			    hash_name(alg));
			bad = 1;
		}
	}
	hash_set_free(&set);
	return bad ? EXIT_INTEGRITY : EXIT_VERIFIED;
}

/* Check the proof's seal signature and that the entry is under its root. */
static int
verify_proof_chain(const struct proof *p, const struct seal *seal,
    const struct key *trusted)
{
	struct key *embedded = NULL;
	const struct key *key = trusted;
	merkle_hash leaf, root;
	int rc = EXIT_VERIFIED;

	if (key == NULL && (key = embedded = key_from_raw(seal->public_key)) == NULL)
		return command_fail("verify", EXIT_INTEGRITY);
	if (strcmp(key->fingerprint, seal->fingerprint) != 0) {
		printf("FAILED seal: sealed by key %s, not by the key given\n",
		    seal->fingerprint);
		rc = EXIT_INTEGRITY;
	} else if (key_verify(key, p->seal, p->seal_len, p->signature,
	    p->signature_len) != 0) {
		printf("FAILED seal: signature does not verify\n");
		rc = EXIT_INTEGRITY;
	}
	key_free(embedded);
	merkle_leaf_hash(p->entry, p->entry_len, leaf);
	util_unhex(seal->merkle_root, root, sizeof root);
	if (p->tree_size != seal->counts.entries ||
	    merkle_inclusion_verify(leaf, p->index, p->tree_size, p->path,
	    p->path_len, root) != 0) {
		printf("FAILED proof: the entry is not included under the sealed "
		    "Merkle root\n");
		rc = EXIT_INTEGRITY;
	}
	return rc;
}

/* Say what a file was proven to be. */
static void
verify_print_proven(const char *file, const struct manifest_record *r,
    const struct seal *seal, bool trusted)
{
	char *name = util_escape(file, strlen(file));
	char *path = util_escape(r->path, r->path_len);

	if (trusted)
		printf("verified: %s is %s of evidence %s, case %s, sealed by %s "
		    "(key %s)\n", name != NULL ? name : "?", path != NULL ? path : "?",
		    seal->evidence_id, seal->case_id, seal->collector_name != NULL ?
		    seal->collector_name : "(unnamed)", seal->fingerprint);
	else
		printf("NOT AUTHENTICATED: %s is %s of evidence %s, case %s, under a "
		    "seal that claims key %s, but no --key was given to say whose "
		    "key that is\n", name != NULL ? name : "?", path != NULL ? path : "?",
		    seal->evidence_id, seal->case_id, seal->fingerprint);
	free(name);
	free(path);
}

/* Verify one file with an inclusion proof and nothing else. */
static int
verify_proof(const struct verify_args *a, const char *file,
    const struct key *trusted)
{
	struct proof p;
	struct seal seal = { 0 };
	struct manifest_record r = { 0 };
	char *text;
	size_t len;
	int status;

	if (util_read_file(a->proof_path, PROOF_MAX_SIZE, &text, &len) != 0)
		return command_fail("verify", EXIT_USAGE);
	if (proof_parse(text, len, &p) != 0 || seal_parse(p.seal, p.seal_len, &seal) != 0 ||
	    manifest_parse_line(p.entry, p.entry_len, &r) != 0 ||
	    r.type != MANIFEST_ENTRY || !r.has_content) {
		if (r.json != NULL && (r.type != MANIFEST_ENTRY || !r.has_content))
			error_set("proof: the entry has no content to check");
		status = command_fail("verify", EXIT_INTEGRITY);
	} else {
		status = verify_proof_chain(&p, &seal, trusted);
		if (status == EXIT_VERIFIED)
			status = verify_file_against_entry(file, &r);
		if (status == EXIT_VERIFIED && !a->quiet)
			verify_print_proven(file, &r, &seal, trusted != NULL);
		if (status == EXIT_VERIFIED && trusted == NULL)
			status = EXIT_UNAUTHENTICATED;
	}
	manifest_record_free(&r);
	seal_free(&seal);
	proof_free(&p);
	free(text);
	return status;
}

/* custody verify --signature SIG --key PUBFILE FILE. */
static int
verify_signature_args(const struct verify_args *a, const char *file)
{
	if (a->key_path == NULL || a->case_dir != NULL || a->proof_path != NULL ||
	    a->fingerprint_text != NULL || a->json) {
		error_set("--signature takes --key and nothing else: the key that "
		    "signed the file");
		return command_fail("verify", EXIT_USAGE);
	}
	return verify_signature(a->signature_path, a->key_path, file, a->quiet);
}

/* The options of types records: what goes with what, and their keys. 0 or -1. */
static int
verify_types_args(struct verify_args *a, const struct key *trusted)
{
	if ((a->types_out != NULL || a->types_record != NULL) &&
	    (a->proof_path != NULL || a->json))
		return error_set("--types-out and --types-record are for a whole "
		    "archive, without --proof or --json");
	if (a->types_out != NULL && a->types_record != NULL)
		return error_set("give --types-out or --types-record, not both");
	if ((a->types_out == NULL) != (a->sign_key_path == NULL))
		return error_set("--types-out FILE and --sign-key KEYFILE go "
		    "together: the examiner signs the record");
	if (a->passphrase_file != NULL && a->sign_key_path == NULL)
		return error_set("--passphrase-file is the passphrase of --sign-key");
	if (a->types_key_path != NULL && a->types_record == NULL)
		return error_set("--types-key is the key of --types-record");
	if (a->types_record != NULL && a->types_key_path == NULL &&
	    trusted == NULL && a->case_dir == NULL)
		return error_set("--types-record needs the key that signed it: "
		    "--types-key PUBFILE, --key PUBFILE or --case DIR");
	if (a->sign_key_path != NULL && (a->signer = key_load_signing(
	    a->sign_key_path, a->passphrase_file)) == NULL)
		return -1;
	if (a->types_key_path != NULL &&
	    (a->record_key = key_load_public(a->types_key_path)) == NULL)
		return -1;
	return 0;
}

/* custody verify. */
static int
cmd_verify_exec(int argc, char **argv)
{
	struct verify_args a = { 0 };
	struct key *trusted = NULL;
	int ch, status;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "k:p:jq", verify_longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': a.key_path = optarg; break;
		case 'p': a.proof_path = optarg; break;
		case 'j': a.json = true; break;
		case 'q': a.quiet = true; break;
		case 'a': a.all_hashes = true; break;
		case 't': a.types = true; break;
		case 'c': a.case_dir = optarg; break;
		case 's': a.signature_path = optarg; break;
		case 'f': a.fingerprint_text = optarg; break;
		case 'O': a.types_out = optarg; a.types = true; break;
		case 'S': a.sign_key_path = optarg; break;
		case 'P': a.passphrase_file = optarg; break;
		case 'R': a.types_record = optarg; break;
		case 'K': a.types_key_path = optarg; break;
		default: return command_usage(&cmd_verify_entry);
		}
	}
	if (optind + 1 != argc)
		return command_usage(&cmd_verify_entry);
	if (a.signature_path != NULL)
		return verify_signature_args(&a, argv[optind]);
	if (a.fingerprint_text != NULL && (a.key_path != NULL ||
	    a.case_dir != NULL || a.proof_path != NULL)) {
		error_set("--fingerprint is the trust anchor itself: give it "
		    "without --key, --case or --proof");
		return command_fail("verify", EXIT_USAGE);
	}
	if (a.fingerprint_text != NULL &&
	    key_fingerprint_parse(a.fingerprint_text, a.fingerprint) != 0)
		return command_fail("verify", EXIT_USAGE);
	if (a.case_dir == NULL && a.key_path == NULL && a.proof_path == NULL &&
	    a.fingerprint_text == NULL &&
	    getenv("CUSTODY_CASE") != NULL && getenv("CUSTODY_CASE")[0] != '\0') {
		a.case_dir = getenv("CUSTODY_CASE");
		a.case_from_env = true;
	}
	if (a.case_dir != NULL && (a.key_path != NULL || a.proof_path != NULL)) {
		error_set("--case takes the key from the ledger: give --case or --key");
		return command_fail("verify", EXIT_USAGE);
	}
	if (a.key_path != NULL && (trusted = key_load_public(a.key_path)) == NULL)
		return command_fail("verify", EXIT_USAGE);
	if (verify_types_args(&a, trusted) != 0) {
		key_free(trusted);
		return command_fail("verify", EXIT_USAGE);
	}
	if (a.proof_path != NULL)
		status = verify_proof(&a, argv[optind], trusted);
	else
		status = verify_archive(&a, argv[optind], trusted);
	key_free(trusted);
	key_free(a.signer);
	key_free(a.record_key);
	return status;
}

const struct command cmd_verify_entry = {
	"verify",
	"verify [--key PUBFILE | --case DIR | --fingerprint FP] [--json] [--quiet]\n"
	"               [--all-hashes] [--types] ARCHIVE\n"
	"       custody verify [--key PUBFILE | --case DIR | --fingerprint FP]\n"
	"               --types-out FILE --sign-key KEYFILE [--passphrase-file FILE]\n"
	"               ARCHIVE\n"
	"       custody verify [--key PUBFILE | --case DIR | --fingerprint FP]\n"
	"               --types-record FILE [--types-key PUBFILE] [--types] ARCHIVE\n"
	"       custody verify --proof PROOF.json [--key PUBFILE] FILE\n"
	"       custody verify --signature SIG --key PUBFILE [--quiet] FILE",
	"check that an archive, or one file with a proof, is intact",
	cmd_verify_exec
};
