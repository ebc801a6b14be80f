/*
 * custody key sign and export: a detached signature of a file (SHA256SUMS
 * of a release) in two forms, a raw Ed25519 signature for openssl and a
 * .minisig for minisign, and the public key in the forms those tools read.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/key.h"
#include "custody/minisign.h"
#include "custody/util.h"
#include "key-sign.h"

#define KEY_SIGN_FILE_MAX	((size_t)1 << 30)

static const struct option key_sign_longopts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ "trusted-comment", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

/*
 * minisign's default trusted comment: the signing time (SOURCE_DATE_EPOCH
 * when set, so a release can be signed reproducibly) and the file's name.
 */
static char *
key_sign_default_comment(const char *path)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH"), *base = strrchr(path, '/');
	long long when = (long long)time(NULL);
	char *end, *comment;

	if (epoch != NULL && epoch[0] != '\0') {
		errno = 0;
		when = strtoll(epoch, &end, 10);
		if (errno != 0 || *end != '\0' || when < 0) {
			error_set("SOURCE_DATE_EPOCH is not a number of seconds");
			return NULL;
		}
	}
	if (asprintf(&comment, "timestamp:%lld\tfile:%s\thashed", when,
	    base != NULL ? base + 1 : path) < 0) {
		error_set_errno("asprintf");
		return NULL;
	}
	return comment;
}

/* Write path.suffix, a new file; 0 or -1. */
static int
key_sign_write(const char *path, const char *suffix, const void *data, size_t len)
{
	char *out;
	int rc;

	if (asprintf(&out, "%s%s", path, suffix) < 0)
		return error_set_errno("asprintf");
	rc = util_write_new_file(out, data, len, 0644);
	free(out);
	return rc;
}

/* Sign the file both ways and write the two signatures beside it. 0 or -1. */
static int
key_sign_file(const struct key *key, const char *path, const char *comment)
{
	unsigned char raw[KEY_SIGNATURE_SIZE];
	char *data, *minisig = NULL, *sig_path;
	size_t len;
	int rc = -1;

	if (util_read_file(path, KEY_SIGN_FILE_MAX, &data, &len) != 0)
		return -1;
	if (key_sign(key, data, len, raw) == 0 &&
	    (minisig = minisign_sign(key, data, len, comment)) != NULL &&
	    key_sign_write(path, ".sig", raw, sizeof raw) == 0) {
		rc = key_sign_write(path, ".minisig", minisig, strlen(minisig));
		/* Both signatures or neither. */
		if (rc != 0 && asprintf(&sig_path, "%s.sig", path) >= 0) {
			unlink(sig_path);
			free(sig_path);
		}
	}
	free(minisig);
	free(data);
	return rc;
}

/* custody key sign FILE --key KEYFILE [--trusted-comment TEXT]. */
int
key_sign_command(int argc, char **argv)
{
	const char *key_path = NULL, *passphrase_file = NULL, *comment = NULL;
	char *made = NULL, id_hex[MINISIGN_ID_HEX_SIZE], *name;
	unsigned char id[MINISIGN_KEY_ID_SIZE];
	struct key *key = NULL;
	int ch, status = EXIT_USAGE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "k:", key_sign_longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': key_path = optarg; break;
		case 'P': passphrase_file = optarg; break;
		case 't': comment = optarg; break;
		default: return command_usage(&cmd_key_entry);
		}
	}
	if (key_path == NULL || optind + 1 != argc)
		return command_usage(&cmd_key_entry);
	if (comment == NULL && (comment = made = key_sign_default_comment(argv[optind])) == NULL)
		return command_fail("key sign", EXIT_USAGE);
	if ((key = key_load_signing(key_path, passphrase_file)) != NULL &&
	    key_sign_file(key, argv[optind], comment) == 0) {
		minisign_key_id(key, id);
		name = util_escape(argv[optind], strlen(argv[optind]));
		printf("signed %s with key %s (minisign key id %s): wrote %s.sig and "
		    "%s.minisig\n", name != NULL ? name : "?", key->fingerprint,
		    minisign_key_id_hex(id, id_hex), name != NULL ? name : "?",
		    name != NULL ? name : "?");
		free(name);
		status = EXIT_VERIFIED;
	} else
		command_fail("key sign", EXIT_USAGE);
	key_free(key);
	free(made);
	return status;
}

/* The public key as a bare PEM block, without custody's identity lines. */
static char *
key_export_pem(const struct key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *text = NULL, *data;
	long len;

	if (bio != NULL && PEM_write_bio_PUBKEY(bio, key->pkey) == 1 &&
	    (len = BIO_get_mem_data(bio, &data)) > 0 &&
	    (text = malloc((size_t)len + 1)) != NULL) {
		memcpy(text, data, (size_t)len);
		text[len] = '\0';
	} else
		error_set("cannot write the public key as PEM");
	BIO_free(bio);
	return text;
}

static const struct option key_export_longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 }
};

/* Write text to out (a new file) or to stdout when out is NULL. 0 or -1. */
static int
key_export_write(const char *out, const char *text)
{
	if (out != NULL)
		return util_write_new_file(out, text, strlen(text), 0644);
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
		return error_set_errno("cannot write to standard output");
	return 0;
}

/* custody key export KEYFILE.pub --format pem|minisign [-o OUT]. */
int
key_export_command(int argc, char **argv)
{
	const char *format = NULL, *out = NULL;
	struct key *key;
	char *text = NULL;
	int ch, status = EXIT_USAGE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", key_export_longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': format = optarg; break;
		case 'o': out = optarg; break;
		default: return command_usage(&cmd_key_entry);
		}
	}
	if (format == NULL || optind + 1 != argc)
		return command_usage(&cmd_key_entry);
	if (strcmp(format, "pem") != 0 && strcmp(format, "minisign") != 0) {
		error_set("--format must be pem or minisign, not %s", format);
		return command_fail("key export", EXIT_USAGE);
	}
	if ((key = key_load_public(argv[optind])) != NULL &&
	    (text = strcmp(format, "pem") == 0 ? key_export_pem(key) :
	    minisign_public_text(key)) != NULL && key_export_write(out, text) == 0)
		status = EXIT_VERIFIED;
	else
		command_fail("key export", EXIT_USAGE);
	free(text);
	key_free(key);
	return status;
}
