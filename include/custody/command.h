/* Subcommands: each cmd-<name>.c exports one struct command. */
#ifndef CUSTODY_COMMAND_H
#define CUSTODY_COMMAND_H

#include <stdio.h>

#include "custody/error.h"

/* Exit statuses, the same for every command. */
#define EXIT_VERIFIED	0
#define EXIT_INTEGRITY	1	/* something does not match */
#define EXIT_USAGE	2	/* bad arguments or an operational error */
#define EXIT_PARTIAL	3	/* collect: some sources could not be read */
#define EXIT_UNAUTHENTICATED 3	/* verify: intact, but no trust anchor names the signer */

struct command {
	const char	*name;
	const char	*usage;		/* synopsis after "custody " */
	const char	*summary;	/* one line for `custody help` */
	int		(*exec)(int argc, char **argv);
};

/* Print "custody NAME: MESSAGE" from the core's last error; returns status. */
static inline int
command_fail(const char *name, int status)
{
	fprintf(stderr, "custody %s: %s\n", name, error_message());
	return status;
}

/* Print the usage line of a command; returns EXIT_USAGE. */
static inline int
command_usage(const struct command *cmd)
{
	fprintf(stderr, "usage: custody %s\n", cmd->usage);
	return EXIT_USAGE;
}

extern const struct command cmd_audit_entry;
extern const struct command cmd_collect_entry;
extern const struct command cmd_ingest_entry;	/* custody ledger ingest */
extern const struct command cmd_init_entry;
extern const struct command cmd_key_entry;
extern const struct command cmd_ledger_entry;
extern const struct command cmd_prove_entry;
extern const struct command cmd_timestamp_entry;
extern const struct command cmd_verify_entry;

#endif
