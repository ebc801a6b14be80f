/* custody timestamp: RFC 3161 time-stamps for any file, kept beside it and in the ledger. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/event.h"
#include "custody/hash.h"
#include "custody/store.h"
#include "custody/tsa.h"
#include "custody/util.h"
#include "ledger.h"

struct timestamp_args {
	const char	*output;
	const char	*request;
	const char	*tsa_ca;
	const char	*dir;
	const char	*key;
	const char	*passphrase_file;
	const char	*token;
};

static const struct option timestamp_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "request", required_argument, NULL, 'r' },
	{ "tsa-ca", required_argument, NULL, 'C' },
	{ "case", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ "token", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

/* Parse the options; returns the number of operands, or -1. */
static int
timestamp_parse(struct timestamp_args *a, int argc, char **argv)
{
	int ch;

	memset(a, 0, sizeof *a);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", timestamp_longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': a->output = optarg; break;
		case 'r': a->request = optarg; break;
		case 'C': a->tsa_ca = optarg; break;
		case 'c': a->dir = optarg; break;
		case 'k': a->key = optarg; break;
		case 'P': a->passphrase_file = optarg; break;
		case 't': a->token = optarg; break;
		default: return -1;
		}
	}
	return argc - optind;
}

/* custody timestamp request FILE -o REQUEST.tsq */
static int
timestamp_request(int argc, char **argv)
{
	struct timestamp_args a;
	unsigned char digest[32], *der;
	uint64_t size;
	size_t len;
	int rc;

	if (timestamp_parse(&a, argc, argv) != 1 || a.output == NULL)
		return command_usage(&cmd_timestamp_entry);
	if (hash_file_sha256(argv[optind], digest, &size) != 0 ||
	    tsa_request(digest, &der, &len) != 0)
		return command_fail("timestamp request", EXIT_USAGE);
	rc = util_write_new_file(a.output, der, len, 0600);
	free(der);
	if (rc != 0)
		return command_fail("timestamp request", EXIT_USAGE);
	printf("wrote %s: a SHA-256 time-stamp request for %s; send it to a "
	    "TSA, e.g. curl -H 'Content-Type: application/timestamp-query' "
	    "--data-binary @%s URL -o RESPONSE.tsr, then custody timestamp "
	    "attach %s RESPONSE.tsr\n", a.output, argv[optind], a.output,
	    argv[optind]);
	return EXIT_VERIFIED;
}

/* Record the token in the ledger: a timestamped event signed by the attacher. */
static int
timestamp_record(const struct timestamp_args *a, const char *file,
    const char *file_hex, const unsigned char *token, size_t token_len,
    const char *gen_time, const char *tsa)
{
	struct store_handler who;
	struct store_artifact art;
	struct event e = { .action = "timestamped" };
	struct store *s = ledger_open(a->dir);
	struct key *signer = NULL;
	uint64_t seq;
	char *copy = strdup(file);
	int rc = -1;

	if (s != NULL && copy != NULL &&
	    (signer = ledger_signer(s, a->key, a->passphrase_file, &who)) != NULL &&
	    store_begin(s) == 0) {
		if (store_artifact_by_sha256(s, file_hex, &art) == 0)
			e.artifact = art.evidence_id;
		if (store_next_seq(s, &seq) == 0 &&
		    store_timestamp_insert(s, seq, basename(copy), file_hex, token,
		    token_len, gen_time, tsa) == 0 && store_append(s, &e, signer) == 0 &&
		    store_commit(s) == 0)
			rc = 0;
		else
			store_rollback(s);
	}
	if (rc == 0)
		printf("recorded as event #%llu in case %s\n",
		    (unsigned long long)e.seq, store_case_id(s));
	free(copy);
	key_free(signer);
	store_close(s);
	return rc;
}

/* Read a DER file whole. */
static int
timestamp_read(const char *path, unsigned char **data, size_t *len)
{
	char *text;

	if (util_read_file(path, TSA_MAX_SIZE, &text, len) != 0)
		return -1;
	*data = (unsigned char *)text;
	return 0;
}

/* Check a response against the file and its request; on success the token and time. */
static int
timestamp_check(const struct timestamp_args *a, const char *file,
    const unsigned char *resp, size_t resp_len, unsigned char digest[32],
    unsigned char **token, size_t *token_len, time_t *when)
{
	unsigned char *req = NULL, asked[32];
	char *req_path = NULL;
	uint64_t size;
	size_t req_len;
	int rc = -1;

	if (a->request == NULL && asprintf(&req_path, "%s.tsq", file) < 0)
		return error_set_errno("asprintf");
	if (hash_file_sha256(file, digest, &size) == 0 &&
	    timestamp_read(a->request != NULL ? a->request : req_path, &req,
	    &req_len) == 0 && tsa_request_digest(req, req_len, asked) == 0) {
		if (memcmp(asked, digest, 32) != 0)
			error_set("%s: the request was made for other content", file);
		else
			rc = tsa_check_response(req, req_len, resp, resp_len, a->tsa_ca,
			    token, token_len, when);
	}
	free(req);
	free(req_path);
	return rc;
}

/* custody timestamp attach FILE RESPONSE.tsr */
static int
timestamp_attach(int argc, char **argv)
{
	struct timestamp_args a;
	unsigned char digest[32], *resp = NULL, *token = NULL;
	char *out = NULL, hex[65], when_text[UTIL_TIME_SIZE];
	char tsa[256] = "a TSA not checked (no --tsa-ca)";
	size_t resp_len, token_len;
	struct timespec ts = { 0 };
	time_t when;
	int rc = -1;

	if (timestamp_parse(&a, argc, argv) != 2)
		return command_usage(&cmd_timestamp_entry);
	/* Recorded in a case given with --case, or with $CUSTODY_CASE and --key. */
	if (a.dir == NULL && a.key != NULL)
		a.dir = ledger_case_dir(NULL);
	if (timestamp_read(argv[optind + 1], &resp, &resp_len) == 0 &&
	    timestamp_check(&a, argv[optind], resp, resp_len, digest, &token,
	    &token_len, &when) == 0 &&
	    (a.tsa_ca == NULL || tsa_verify(token, token_len, digest, a.tsa_ca,
	    &when, tsa, sizeof tsa) == 0) &&
	    asprintf(&out, "%s.tsr", argv[optind]) >= 0 &&
	    util_write_new_file(out, resp, resp_len, 0600) == 0) {
		ts.tv_sec = when;
		util_time_format(&ts, when_text);
		util_hex(digest, 32, hex);
		printf("wrote %s: time-stamped %s by %s\n", out, when_text, tsa);
		rc = a.dir != NULL ? timestamp_record(&a, argv[optind], hex, token,
		    token_len, when_text, tsa) : 0;
		/* Not recorded: take the file back, so that a retry can succeed. */
		if (rc != 0)
			unlink(out);
	}
	free(out);
	free(resp);
	free(token);
	return rc == 0 ? EXIT_VERIFIED : command_fail("timestamp attach", EXIT_USAGE);
}

/* custody timestamp verify FILE --tsa-ca CAFILE */
static int
timestamp_verify(int argc, char **argv)
{
	struct timestamp_args a;
	unsigned char digest[32], *token = NULL, *ca = NULL;
	char *path = NULL, tsa[256], when_text[UTIL_TIME_SIZE];
	size_t ca_len;
	struct timespec ts = { 0 };
	uint64_t size;
	size_t len;
	time_t when;
	int status;

	if (timestamp_parse(&a, argc, argv) != 1 || a.tsa_ca == NULL)
		return command_usage(&cmd_timestamp_entry);
	if ((a.token == NULL && asprintf(&path, "%s.tsr", argv[optind]) < 0) ||
	    hash_file_sha256(argv[optind], digest, &size) != 0 ||
	    timestamp_read(a.token != NULL ? a.token : path, &token, &len) != 0 ||
	    timestamp_read(a.tsa_ca, &ca, &ca_len) != 0)
		status = command_fail("timestamp verify", EXIT_USAGE);
	else if (tsa_verify(token, len, digest, a.tsa_ca, &when, tsa, sizeof tsa) != 0)
		status = command_fail("timestamp verify", EXIT_INTEGRITY);
	else {
		ts.tv_sec = when;
		util_time_format(&ts, when_text);
		printf("verified: %s existed at %s, time-stamped by %s\n",
		    argv[optind], when_text, tsa);
		status = EXIT_VERIFIED;
	}
	free(path);
	free(token);
	free(ca);
	return status;
}

/* custody timestamp. */
static int
cmd_timestamp_exec(int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";

	if (strcmp(sub, "request") == 0)
		return timestamp_request(argc - 1, argv + 1);
	if (strcmp(sub, "attach") == 0)
		return timestamp_attach(argc - 1, argv + 1);
	if (strcmp(sub, "verify") == 0)
		return timestamp_verify(argc - 1, argv + 1);
	return command_usage(&cmd_timestamp_entry);
}

const struct command cmd_timestamp_entry = {
	"timestamp",
	"timestamp request FILE -o REQUEST.tsq\n"
	"       custody timestamp attach FILE RESPONSE.tsr [--request REQUEST.tsq] [--tsa-ca CAFILE]\n"
	"                                [--case DIR --key KEYFILE [--passphrase-file FILE]]\n"
	"       custody timestamp verify FILE --tsa-ca CAFILE [--token FILE.tsr]",
	"get, keep and check RFC 3161 time-stamps of files",
	cmd_timestamp_exec
};
