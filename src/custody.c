/* custody: the table of subcommands. */
#include "config.h"

#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "custody/command.h"

static const struct command *const commands[] = {
	&cmd_init_entry,
	&cmd_key_entry,
	&cmd_collect_entry,
	&cmd_ledger_entry,
	&cmd_verify_entry,
	&cmd_prove_entry,
	&cmd_audit_entry,
	&cmd_timestamp_entry,
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

/* Print the list of commands. */
static int
usage(FILE *out, int status)
{
	size_t i;

	fprintf(out, "usage: custody COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\n'custody COMMAND --help' shows a command's options; "
	    "see custody(1).\n");
	return status;
}

/* The command called name, or NULL. */
static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* True when argv asks a command for its usage. */
static int
wants_help(int argc, char **argv)
{
	return argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0);
}

/* The variables custody reads, documented in custody(1); no other survives. */
static const char *const environment_kept[] = {
	"CUSTODY_CASE", "CUSTODY_PASSPHRASE", "SOURCE_DATE_EPOCH",
	"XDG_STATE_HOME",
};

#define ENVIRONMENT_KEPT (sizeof environment_kept / sizeof environment_kept[0])

/*
 * True for an entry to keep: custody's own, or a setting of libfaketime,
 * which the tests preload to set the clock back and which reads them
 * whenever it refreshes the time (only a library that the dynamic loader
 * already put in the process reads them).
 */
static bool
environment_keeps(const char *entry)
{
	size_t i, n;

	if (strchr(entry, '=') == NULL)
		return false;
	if (strncmp(entry, "FAKETIME=", 9) == 0 ||
	    strncmp(entry, "FAKETIME_", 9) == 0)
		return true;
	for (i = 0; i < ENVIRONMENT_KEPT; i++) {
		n = strlen(environment_kept[i]);
		if (strncmp(entry, environment_kept[i], n) == 0 && entry[n] == '=')
			return true;
	}
	return false;
}

/* Wipe and free a NULL-terminated list of copied entries. */
static void
environment_free(char **saved)
{
	char **e;

	for (e = saved; e != NULL && *e != NULL; e++) {
		explicit_bzero(*e, strlen(*e));
		free(*e);
	}
	free(saved);
}

/* Copies of the entries to keep, NULL-terminated; NULL when out of memory. */
static char **
environment_save(void)
{
	size_t n = 0, kept = 0;
	char **saved, **e;

	for (e = environ; e != NULL && *e != NULL; e++)
		n++;
	if ((saved = calloc(n + 1, sizeof *saved)) == NULL)
		return NULL;
	for (e = environ; e != NULL && *e != NULL; e++)
		if (environment_keeps(*e) && (saved[kept++] = strdup(*e)) == NULL) {
			environment_free(saved);
			return NULL;
		}
	return saved;
}

/*
 * Empty the environment but for the entries above. The C library and the
 * libraries below custody read others, some only when first needed:
 * LOCPATH and GCONV_PATH (locale data, and iconv modules, that is code,
 * loaded from a directory the environment names), TZ and TZDIR, MAGIC,
 * OPENSSL_CONF...; on a compromised host the intruder may have set any of
 * them. 0 or -1.
 */
static int
environment_clean(void)
{
	char **saved = environment_save(), **e, *equals;
	int rc = 0;

	if (saved == NULL || clearenv() != 0) {
		environment_free(saved);
		return -1;
	}
	for (e = saved; *e != NULL; e++) {
		equals = strchr(*e, '=');
		*equals = '\0';
		/* A name given twice keeps its first value, as getenv saw it. */
		if (setenv(*e, equals + 1, 0) != 0)
			rc = -1;
		*equals = '=';
	}
	environment_free(saved);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	int status;

	/*
	 * The environment is not trusted: no alternative magic database, no
	 * time zone (every time custody writes is UTC), no locale or iconv
	 * module directory.
	 */
	if (environment_clean() != 0) {
		fprintf(stderr, "custody: cannot clean the environment\n");
		return EXIT_USAGE;
	}
	/*
	 * Nor is the host's OpenSSL configuration: an openssl.cnf (or
	 * $OPENSSL_CONF) could load providers or demand properties, e.g.
	 * fips=yes, under which no Ed25519 key loads. Settled before any other
	 * OpenSSL call, this holds for the whole process.
	 */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
		fprintf(stderr, "custody: cannot initialise OpenSSL\n");
		return EXIT_USAGE;
	}
	/*
	 * Names are bytes; a fixed locale keeps libarchive's handling of them
	 * stable (under "C" it would mark every non-ASCII name, UTF-8 or not,
	 * hdrcharset=BINARY). glibc reads it from the system's locale files,
	 * LOCPATH being gone; musl has it built in.
	 */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "C");
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("custody %s\n", PACKAGE_VERSION);
		return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return usage(stdout, 0);
	if ((cmd = command_find(argv[1])) == NULL) {
		fprintf(stderr, "custody: unknown command \"%s\"\n", argv[1]);
		return usage(stderr, EXIT_USAGE);
	}
	if (wants_help(argc - 1, argv + 1)) {
		printf("usage: custody %s\n", cmd->usage);
		return 0;
	}
	status = cmd->exec(argc - 1, argv + 1);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("custody: stdout");
		return EXIT_USAGE;
	}
	return status;
}
