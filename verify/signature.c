/* custody verify --signature: a detached signature of one file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/key.h"
#include "custody/minisign.h"
#include "custody/util.h"
#include "signature.h"

#define SIGNATURE_FILE_MAX	((size_t)1 << 30)
#define SIGNATURE_TEXT_MAX	((size_t)1 << 20)

/* A public key in custody's format, bare PEM, or minisign's; with its key id. */
static struct key *
signature_load_key(const char *path, unsigned char id[MINISIGN_KEY_ID_SIZE])
{
	struct key *key = NULL;
	char *text;
	size_t len;

	if (util_read_file(path, SIGNATURE_TEXT_MAX, &text, &len) != 0)
		return NULL;
	if (minisign_is_text(text, len)) {
		if ((key = minisign_public_parse(text, len, id)) == NULL)
			error_prefix("%s", path);
	} else if ((key = key_load_public(path)) != NULL)
		minisign_key_id(key, id);
	free(text);
	return key;
}

/* Check a .minisig; *comment is its trusted comment, escaped. 0 or -1. */
static int
signature_check_minisign(const char *sig, size_t sig_len, const struct key *key,
    const unsigned char id[MINISIGN_KEY_ID_SIZE], const char *data, size_t len,
    char **comment)
{
	struct minisign_signature ms;
	int rc;

	if (minisign_signature_parse(sig, sig_len, &ms) != 0)
		return -1;
	rc = minisign_verify(&ms, key, id, data, len);
	if (rc == 0 && (*comment = util_escape(ms.trusted_comment,
	    ms.trusted_len)) == NULL)
		rc = error_set("out of memory");
	minisign_signature_free(&ms);
	return rc;
}

/*
 * Check the signature, whichever of the two forms it is; *comment is the
 * trusted comment of a .minisig, NULL for a raw signature. 0 or -1.
 */
static int
signature_check(const char *sig, size_t sig_len, const struct key *key,
    const unsigned char id[MINISIGN_KEY_ID_SIZE], const char *data, size_t len,
    char **comment)
{
	*comment = NULL;
	if (minisign_is_text(sig, sig_len))
		return signature_check_minisign(sig, sig_len, key, id, data, len,
		    comment);
	if (sig_len != KEY_SIGNATURE_SIZE)
		return error_set("neither a raw Ed25519 signature (64 bytes) nor "
		    "a minisign signature: %zu bytes", sig_len);
	if (key_verify(key, data, len, (const unsigned char *)sig, sig_len) != 0)
		return error_set("the signature does not verify: the file is not "
		    "the one signed, or another key signed it");
	return 0;
}

/* Say what was verified. */
static void
signature_print(const char *name, const struct key *key,
    const unsigned char id[MINISIGN_KEY_ID_SIZE], const char *comment)
{
	char id_hex[MINISIGN_ID_HEX_SIZE];

	printf("verified: %s is signed by key %s (minisign key id %s)\n", name,
	    key->fingerprint, minisign_key_id_hex(id, id_hex));
	if (comment != NULL)
		printf("  minisign signature, trusted comment: %s\n", comment);
	else
		printf("  raw Ed25519 signature\n");
}

/* Verify one file against a detached signature. */
int
verify_signature(const char *signature_path, const char *key_path,
    const char *file, bool quiet)
{
	unsigned char id[MINISIGN_KEY_ID_SIZE];
	char *sig = NULL, *data = NULL, *comment = NULL, *name = NULL, *sig_name = NULL;
	size_t sig_len, len;
	struct key *key;
	int status = EXIT_USAGE;

	if ((key = signature_load_key(key_path, id)) == NULL ||
	    util_read_file(signature_path, SIGNATURE_TEXT_MAX, &sig, &sig_len) != 0 ||
	    util_read_file(file, SIGNATURE_FILE_MAX, &data, &len) != 0 ||
	    (name = util_escape(file, strlen(file))) == NULL ||
	    (sig_name = util_escape(signature_path, strlen(signature_path))) == NULL)
		command_fail("verify", EXIT_USAGE);
	else if (signature_check(sig, sig_len, key, id, data, len, &comment) != 0) {
		printf("FAILED %s: %s: %s\n", name, sig_name, error_message());
		status = EXIT_INTEGRITY;
	} else {
		if (!quiet)
			signature_print(name, key, id, comment);
		status = EXIT_VERIFIED;
	}
	free(comment);
	free(name);
	free(sig_name);
	key_free(key);
	free(sig);
	free(data);
	return status;
}
