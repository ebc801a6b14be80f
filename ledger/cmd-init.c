/* custody init: create a case and its ledger. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/store.h"
#include "custody/util.h"
#include "ledger.h"

static const struct option init_longopts[] = {
	{ "case-id", required_argument, NULL, 'c' },
	{ "title", required_argument, NULL, 't' },
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 }
};

/* Register the founding handler: the key registers itself, signing with itself. */
static int
init_founder(struct store *s, struct key *key)
{
	int rc;

	if ((rc = ledger_register(s, key, key)) == 0)
		printf("registered %s (%s), key %s\n", key->name, key->role,
		    key->fingerprint);
	return rc;
}

/* custody init. */
static int
cmd_init_exec(int argc, char **argv)
{
	const char *case_id = NULL, *title = NULL, *key = NULL, *passphrase = NULL;
	struct key *founder = NULL;
	struct store *s;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", init_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': case_id = optarg; break;
		case 't': title = optarg; break;
		case 'k': key = optarg; break;
		case 'P': passphrase = optarg; break;
		default: return command_usage(&cmd_init_entry);
		}
	}
	if (optind + 1 != argc || case_id == NULL)
		return command_usage(&cmd_init_entry);
	if (!util_id_ok(case_id)) {
		error_set("invalid case id \"%s\" (letters, digits, . _ -)", case_id);
		return command_fail("init", EXIT_USAGE);
	}
	if (title != NULL && event_check_text("title", title) != 0)
		return command_fail("init", EXIT_USAGE);
	/* The key first: a case is not made for a founder who cannot sign. */
	if (key != NULL && (founder = key_load_signing(key, passphrase)) == NULL)
		return command_fail("init", EXIT_USAGE);
	if ((s = store_create(argv[optind], case_id, title)) == NULL) {
		key_free(founder);
		return command_fail("init", EXIT_USAGE);
	}
	printf("created case %s in %s/%s\n", case_id, argv[optind], STORE_FILE);
	rc = founder != NULL ? init_founder(s, founder) : 0;
	key_free(founder);
	store_close(s);
	return rc == 0 ? EXIT_VERIFIED : command_fail("init", EXIT_USAGE);
}

const struct command cmd_init_entry = {
	"init",
	"init DIR --case-id ID [--title TEXT] [--key KEYFILE] [--passphrase-file FILE]",
	"create a case: DIR/ledger.db",
	cmd_init_exec
};
