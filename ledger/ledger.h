/* What the ledger commands share: finding the case, the signer, the people. */
#ifndef CUSTODY_LEDGER_H
#define CUSTODY_LEDGER_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/store.h"
#include "custody/store-check.h"

/* The case directory: the option's value, else $CUSTODY_CASE; NULL with the error set. */
const char *ledger_case_dir(const char *option);
/* Open the case's ledger; NULL with the error set. */
struct store *ledger_open(const char *option);
/*
 * Load a signing key and check it is registered in the case; fills *who.
 * NULL with the error set (exit 2 for the caller).
 */
struct key *ledger_signer(struct store *, const char *key_path,
    const char *passphrase_file, struct store_handler *who);
/*
 * Register a public key in one transaction: the handler row and a
 * "registered" event signed by registrar (the key itself for a founder).
 * 0 or -1.
 */
int ledger_register(struct store *, const struct key *key,
    const struct key *registrar);
/* "Name (role, organization)" of a fingerprint, or the fingerprint when unknown. */
const char *ledger_person(struct store *, const char *fingerprint, char *out,
    size_t size);
/* A readable UTC time "2026-11-23 17:12:07 UTC" from ISO-8601. */
const char *ledger_time(const char *iso, char *out, size_t size);
/* Open an output file exclusively (0644), or stdout for NULL or "-". */
FILE *ledger_output(const char *path);
/* Close an output opened by ledger_output; removes the file on failure. 0 or -1. */
int ledger_output_close(FILE *, const char *path, int failed);

/* Who holds an artifact, from its events in order. */
struct ledger_holding {
	const char	*artifact;		/* whose holding (the caller's string) */
	char		holder[65];		/* "" before collection */
	uint64_t	pending_release;	/* seq of an unreceived release, or 0 */
	char		pending_to[65];
};
/* Work out the holding of an artifact. 0 or -1. */
int ledger_holding(struct store *, const char *artifact, struct ledger_holding *);
/* The leaf hashes of every event, from their stored canonical bytes; malloc'd. */
int ledger_leaves(struct store *, merkle_hash **leaves, uint64_t *count);
/*
 * Say loudly, to out, that the ledger does not verify, with its problems
 * one a line, each prefixed with prefix. For log, export and audit
 * (ledger-warn.c).
 */
void ledger_warn_problems(const struct store_check *, FILE *out,
    const char *prefix);
/* Verify the ledger for a command that shows it: prints the warning to stderr. 0 or -1. */
int ledger_warn_check(struct store *, struct store_check *, const char *command);


/* ledger-export.c: the whole ledger as json, csv or html. 0 or -1. */
int ledger_export(struct store *, const struct store_check *,
    const char *format, FILE *out);
/* ledger-verify.c: custody ledger verify. Returns the exit status. */
int ledger_verify_command(int argc, char **argv);
/* ledger-log.c: custody ledger log. Returns the exit status. */
int ledger_log_command(int argc, char **argv);

#endif
