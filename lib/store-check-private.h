/* What the files of the ledger check share inside lib/. */
#ifndef CUSTODY_STORE_CHECK_PRIVATE_H
#define CUSTODY_STORE_CHECK_PRIVATE_H

#include <stddef.h>

#include <jansson.h>

#include "custody/store.h"
#include "custody/store-check.h"

/* store-compare.c: how a column is compared with its signed value. */
enum store_compare_kind {
	STORE_COMPARE_TEXT,		/* TEXT with the signed string's bytes, or NULL for absent */
	STORE_COMPARE_INTEGER,	/* INTEGER with the signed value, or NULL for absent */
	STORE_COMPARE_BASE64,		/* BLOB whose base64 is the signed string */
	STORE_COMPARE_SHA256,		/* BLOB whose SHA-256 in hex is the signed string */
	STORE_COMPARE_LOCAL,		/* not signed: any UTF-8 TEXT without NUL */
	STORE_COMPARE_SIGNED		/* no column: a member only the signed details hold */
};
struct store_compare_spec {
	int		 column;
	const char	*name;		/* as a message names it */
	const char	*key;		/* the signed member */
	enum store_compare_kind kind;
	int		 from_event;	/* a member of the event, not of its details */
};
/*
 * Compare a row's columns with the signed event and its details (NULL
 * when none); report(arg, name, why) for each difference, and for signed
 * details holding members that no column records. The number reported.
 */
int store_compare_row(const struct store_compare_spec *, size_t n,
    const struct store_value *row, json_t *event, json_t *details,
    void (*report)(void *, const char *name, const char *why), void *arg);

/* Whom store_compare_row's differences are about: an event, or the record it describes. */
struct store_check_target {
	struct store_check	*check;
	uint64_t		 seq;
	const char		*record;	/* NULL: the event's own fields */
};
/* store_compare_row reporter: one problem per difference, on t->seq. */
void store_check_report(void *t, const char *name, const char *why);
/* store-checkpoints.c: check the checkpoint files against the checked ledger. 0 or -1. */
int store_check_checkpoints(struct store_check *, char **files, size_t count);
/* store-tables.c: bind every handler, artifact, token and tree head to the events. 0 or -1. */
int store_check_tables(struct store_check *);

#endif
