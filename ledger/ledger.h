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
	char		holder[65];		/* "" before collection */
	uint64_t	pending_release;	/* seq of an unreceived release, or 0 */
	char		pending_to[65];
};
/* Work out the holding of an artifact. 0 or -1. */
int ledger_holding(struct store *, const char *artifact, struct ledger_holding *);
/* The leaf hashes of every event, from their stored canonical bytes; malloc'd. */
int ledger_leaves(struct store *, merkle_hash **leaves, uint64_t *count);
/* The checkpoint key name of a handler: "custody-" and 16 hex digits of its fingerprint. */
void ledger_key_name(const char *fingerprint, char out[32]);

/* ledger-compare.c: how a column is compared with its signed value. */
enum compare_kind {
	COMPARE_TEXT,		/* TEXT with the signed string's bytes, or NULL for absent */
	COMPARE_INTEGER,	/* INTEGER with the signed value, or NULL for absent */
	COMPARE_BASE64,		/* BLOB whose base64 is the signed string */
	COMPARE_SHA256,		/* BLOB whose SHA-256 in hex is the signed string */
	COMPARE_LOCAL		/* not signed: any UTF-8 TEXT without NUL */
};
struct compare_spec {
	int		 column;
	const char	*name;		/* as a message names it */
	const char	*key;		/* the signed member */
	enum compare_kind kind;
	int		 from_event;	/* a member of the event, not of its details */
};
/*
 * Compare a row's columns with the signed event and its details (NULL
 * when none); report(arg, name, why) for each difference, and for signed
 * details holding members that no column records. The number reported.
 */
int compare_row(const struct compare_spec *, size_t n,
    const struct store_value *row, json_t *event, json_t *details,
    void (*report)(void *, const char *name, const char *why), void *arg);

/* One event as signed, read back from its canonical bytes. */
struct ledger_signed {
	struct store_event	 row;		/* ev from the signed bytes */
	json_t			*object;	/* what ev points into; NULL: unreadable */
	char			*canonical;
	unsigned char		*signature;
	bool			 verified;	/* no problem names this event */
	bool			 described;	/* its handler, artifact or token row was found */
};

/* A ledger checked whole (ledger-check.c). */
struct ledger_check {
	struct store		*store;
	json_t			*problems;	/* [{"event": seq or null, "problem"}] */
	json_t			*checkpoints;	/* [{"file", "size", "signed_by", "consistent"}] */
	struct ledger_signed	*events;	/* every event row, in seq order */
	size_t			 count;
	size_t			 capacity;
	merkle_hash		*leaves;
	struct merkle_builder	 tree;
	uint64_t		 expected_seq;
	struct pathmap		*registered;	/* fingerprint -> index + 1 */
	struct pathmap		*collected;	/* evidence id -> index + 1 */
	char			*case_id;	/* case_info's, as stored */
	size_t			 case_id_len;
	bool			 other_case;	/* a checkpoint was of another case */
};

/*
 * Check everything of the ledger: the database file, every row against
 * the signed events, the signatures, the chain, the tree heads, the
 * checkpoint files and (with tsa_ca) the time-stamp tokens. Problems go
 * to c->problems. 0, or -1 on an operational error (error set).
 */
int ledger_check_run(struct store *, struct ledger_check *c,
    char **checkpoints, size_t count, const char *tsa_ca);
void ledger_check_free(struct ledger_check *);
/* True when no problem was found. */
bool ledger_check_ok(const struct ledger_check *);
/* Whom compare_row's differences are about: an event, or the record it describes. */
struct check_target {
	struct ledger_check	*check;
	uint64_t		 seq;
	const char		*record;	/* NULL: the event's own fields */
};
/* compare_row reporter: one problem per difference, on t->seq. */
void ledger_check_report(void *t, const char *name, const char *why);
/* Record a problem about an event (seq > 0) or the ledger (seq 0). */
void ledger_check_problem(struct ledger_check *, uint64_t seq,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The signed event with this seq, or NULL. */
struct ledger_signed *ledger_check_find(const struct ledger_check *, uint64_t seq);
/* Call fn for every readable signed event (or one artifact's), in seq order. */
int ledger_check_events(const struct ledger_check *, const char *artifact,
    int (*fn)(const struct ledger_signed *, void *), void *arg);
/*
 * Say loudly, to out, that the ledger does not verify, with its problems
 * one a line, each prefixed with prefix. For log, export and audit.
 */
void ledger_check_warn(const struct ledger_check *, FILE *out,
    const char *prefix);
/* Verify the ledger for a command that shows it: prints the warning to stderr. 0 or -1. */
int ledger_check_for(struct store *, struct ledger_check *, const char *command);

/* ledger-checkpoint.c: check the checkpoint files against the checked ledger. 0 or -1. */
int ledger_check_checkpoints(struct ledger_check *, char **files, size_t count);
/* ledger-tables.c: bind every handler, artifact, token and tree head to the events. 0 or -1. */
int ledger_check_tables(struct ledger_check *);

/* ledger-export.c: the whole ledger as json, csv or html. 0 or -1. */
int ledger_export(struct store *, const struct ledger_check *,
    const char *format, FILE *out);
/* ledger-verify.c: custody ledger verify. Returns the exit status. */
int ledger_verify_command(int argc, char **argv);
/* ledger-log.c: custody ledger log. Returns the exit status. */
int ledger_log_command(int argc, char **argv);

#endif
