/*
 * Ledger events and their one canonical serialization (version 1): a JSON
 * object with the keys below, sorted, no white space, every non-ASCII
 * character escaped as \uXXXX with upper-case hex digits (jansson's JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENSURE_ASCII), absent values omitted. The bytes are what the
 * handler signs and what the ledger's Merkle tree hashes as a leaf.
 *
 *	v		1
 *	case		the case id
 *	seq		the event's number, from 1
 *	prev		hex root of the Merkle tree of events 1..seq-1
 *	time		UTC ISO-8601
 *	action		one of event_actions
 *	artifact	the evidence id (absent for case-level events)
 *	handler		fingerprint of the signer
 *	counterpart	released: the receiver's fingerprint
 *	refers		received: the seq of the release it completes
 *	location, note	free text
 *	details		action-specific object (registered, collected, timestamped)
 */
#ifndef CUSTODY_EVENT_H
#define CUSTODY_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define EVENT_VERSION	1
#define EVENT_TEXT_MAX	4096	/* bytes of a location or note */

struct event {
	uint64_t	 seq;
	const char	*case_id;
	char		 prev[65];
	const char	*time;
	const char	*action;
	const char	*artifact;	/* NULL: none */
	const char	*handler;
	const char	*counterpart;	/* NULL: none */
	uint64_t	 refers;	/* 0: none */
	const char	*location;	/* NULL: none */
	const char	*note;		/* NULL: none */
	json_t		*details;	/* NULL: none; borrowed */
};

/* Every action, NULL-terminated. */
extern const char *const event_actions[];
/* True when action is known; *recordable when `ledger record` may write it. */
int event_action_known(const char *action, int *recordable);
/* Check a location or note: printable UTF-8 (newlines and tabs allowed), capped. 0 or -1. */
int event_check_text(const char *what, const char *text);
/* The canonical bytes of an event; malloc'd, NULL on error. */
char *event_canonical(const struct event *, size_t *len);

/*
 * Read an event back from its canonical bytes: they must be one JSON
 * object with the members above (of the right types, no others) that
 * serializes to exactly these bytes again. Fills e, whose strings and
 * details point into the returned object (json_decref it after use).
 * NULL with the error set (why the bytes are not a canonical event).
 */
json_t *event_parse(const char *canonical, size_t len, struct event *);

#endif
