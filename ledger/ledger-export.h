/* What the parts of custody ledger export share. */
#ifndef CUSTODY_LEDGER_EXPORT_H
#define CUSTODY_LEDGER_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ledger.h"

/* What a walk over the ledger carries. */
struct export {
	struct store	*store;
	const struct store_check *check;	/* the verified ledger and its events */
	FILE		*out;
	json_t		*people;	/* fingerprint -> handler object */
	json_t		*list;		/* what a walk collects */
	json_t		*recorded;	/* html: evidence id -> true */
	json_t		*stamps;	/* html: seq -> time-stamp object */
};

/* A field of the handler with this fingerprint; NULL when unregistered. */
const char *export_person(const struct export *, const char *fingerprint,
    const char *field);
/* Load the signed events (all, or one artifact's) into ex->list. 0 or -1. */
int export_load_events(struct export *, const char *artifact);
/* A time-stamp token as JSON; NULL with the error set. */
json_t *export_stamp_json(uint64_t seq, const char *file,
    const char *file_sha256, const unsigned char *token, size_t len);
/* The ledger's size and Merkle root over every event's canonical bytes. */
int export_tree(const struct store_check *, uint64_t *size, char root_hex[65]);
/* ledger-export-html.c: the printable chain-of-custody record. 0 or -1. */
int export_html(struct export *);

#endif
