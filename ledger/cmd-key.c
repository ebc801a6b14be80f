/* custody key: make and show the Ed25519 keys of evidence handlers. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/key.h"
#include "custody/store.h"
#include "key-sign.h"
#include "ledger.h"

static const struct option key_generate_longopts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "role", required_argument, NULL, 'r' },
	{ "org", required_argument, NULL, 'g' },
	{ "output", required_argument, NULL, 'o' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 }
};

/* Print a key's identity and fingerprint. */
static void
key_print(FILE *out, const struct key *key)
{
	if (key->name != NULL)
		fprintf(out, "name:         %s\n", key->name);
	if (key->role != NULL)
		fprintf(out, "role:         %s\n", key->role);
	if (key->organization != NULL)
		fprintf(out, "organization: %s\n", key->organization);
	fprintf(out, "fingerprint:  %s\n", key->fingerprint);
}

/* custody key generate. */
static int
key_generate_command(int argc, char **argv)
{
	const char *name = NULL, *role = NULL, *org = NULL, *out = NULL;
	const char *passphrase_file = NULL;
	struct key *key;
	char *passphrase;
	bool encrypted;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:r:g:o:", key_generate_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'r': role = optarg; break;
		case 'g': org = optarg; break;
		case 'o': out = optarg; break;
		case 'P': passphrase_file = optarg; break;
		default: return command_usage(&cmd_key_entry);
		}
	}
	if (name == NULL || role == NULL || out == NULL || optind != argc)
		return command_usage(&cmd_key_entry);
	if (key_passphrase(passphrase_file, &passphrase) != 0)
		return command_fail("key generate", EXIT_USAGE);
	key = key_generate(name, role, org);
	rc = key != NULL ? key_write(key, out, passphrase) : -1;
	encrypted = passphrase != NULL;
	key_passphrase_free(passphrase);
	if (rc != 0) {
		key_free(key);
		return command_fail("key generate", EXIT_USAGE);
	}
	printf("wrote %s (private, %s) and %s.pub\n", out,
	    encrypted ? "encrypted" : "not encrypted", out);
	key_print(stdout, key);
	key_free(key);
	return EXIT_VERIFIED;
}

/* custody key show: the identity and fingerprint of a public key file. */
static int
key_show_command(int argc, char **argv)
{
	struct key *key;

	if (argc != 2)
		return command_usage(&cmd_key_entry);
	if ((key = key_load_public(argv[1])) == NULL)
		return command_fail("key show", EXIT_USAGE);
	key_print(stdout, key);
	key_free(key);
	return EXIT_VERIFIED;
}

static const struct option key_register_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 }
};

/*
 * The registrar: a registered handler, or, in a case with no handlers yet,
 * the key being registered itself (its founder).
 */
static struct key *
key_registrar(struct store *s, const char *key_path, const char *passphrase_file,
    const struct key *newcomer)
{
	struct store_handler who;
	struct key *registrar;

	if (store_handler_count(s) != 0)
		return ledger_signer(s, key_path, passphrase_file, &who);
	if (key_path == NULL) {
		error_set("--key is required: a registration is signed");
		return NULL;
	}
	if ((registrar = key_load_signing(key_path, passphrase_file)) == NULL)
		return NULL;
	if (strcmp(registrar->fingerprint, newcomer->fingerprint) != 0) {
		error_set("case %s has no handlers yet: its first key registers "
		    "itself (--key must be the private key of %s)",
		    store_case_id(s), newcomer->fingerprint);
		key_free(registrar);
		return NULL;
	}
	return registrar;
}

/* custody key register: add a handler's public key to a case. */
static int
key_register_command(int argc, char **argv)
{
	const char *dir = NULL, *key_path = NULL, *passphrase_file = NULL;
	struct key *newcomer = NULL, *registrar = NULL;
	struct store *s = NULL;
	int ch, status = EXIT_USAGE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", key_register_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': dir = optarg; break;
		case 'k': key_path = optarg; break;
		case 'P': passphrase_file = optarg; break;
		default: return command_usage(&cmd_key_entry);
		}
	}
	if (optind + 1 != argc)
		return command_usage(&cmd_key_entry);
	if ((newcomer = key_load_public(argv[optind])) != NULL &&
	    (newcomer->name == NULL || newcomer->role == NULL))
		error_set("%s: the key carries no name and role", argv[optind]);
	else if (newcomer != NULL && (s = ledger_open(dir)) != NULL &&
	    (registrar = key_registrar(s, key_path, passphrase_file, newcomer)) != NULL &&
	    ledger_register(s, newcomer, registrar) == 0) {
		printf("registered %s (%s) in case %s, key %s\n", newcomer->name,
		    newcomer->role, store_case_id(s), newcomer->fingerprint);
		status = EXIT_VERIFIED;
	}
	if (status != EXIT_VERIFIED)
		command_fail("key register", EXIT_USAGE);
	key_free(newcomer);
	key_free(registrar);
	store_close(s);
	return status;
}

/* custody key. */
static int
cmd_key_exec(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "generate") == 0)
		return key_generate_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return key_show_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "register") == 0)
		return key_register_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return key_sign_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return key_export_command(argc - 1, argv + 1);
	return command_usage(&cmd_key_entry);
}

const struct command cmd_key_entry = {
	"key",
	"key generate --name NAME --role ROLE [--org ORG] [--passphrase-file FILE] -o KEYFILE\n"
	"       custody key show KEYFILE.pub\n"
	"       custody key register KEYFILE.pub --case DIR --key REGISTRAR_KEYFILE\n"
	"                            [--passphrase-file FILE]\n"
	"       custody key sign FILE --key KEYFILE [--passphrase-file FILE]\n"
	"                        [--trusted-comment TEXT]\n"
	"       custody key export KEYFILE.pub --format pem|minisign [-o OUT]",
	"make, show, register and sign with the Ed25519 keys of handlers",
	cmd_key_exec
};
