/* What the files of the ledger check share inside lib/. */
#ifndef CUSTODY_STORE_CHECK_PRIVATE_H
#define CUSTODY_STORE_CHECK_PRIVATE_H

#include <stddef.h>

#include <jansson.h>

#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"
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


/* store-check-keys.c: what the handler rows say of a signer, looked up once. */
enum store_check_key_status {
	STORE_CHECK_KEY_OK,
	STORE_CHECK_KEY_UNREGISTERED,	/* no handler row has this fingerprint alone */
	STORE_CHECK_KEY_INVALID,	/* its public key is not an Ed25519 key */
	STORE_CHECK_KEY_MISMATCH	/* its public key is not the fingerprint's */
};
struct store_check_key {
	char			*who;		/* the fingerprint an event names */
	enum store_check_key_status status;
	char			 name[KEY_FIELD_MAX + 1];
	struct key		*key;		/* NULL unless OK or MISMATCH */
};
#define STORE_CHECK_KEYS_MAX	256	/* signers kept; past that, looked up each time */
struct store_check_keys {
	struct store_check_key	 entries[STORE_CHECK_KEYS_MAX];
	size_t			 count;		/* published entries */
};
/* The published entry for a signer, or NULL (any thread). */
const struct store_check_key *store_check_keys_find(const struct store_check_keys *,
    const char *who);
/* The entry for a signer, made when missing (the reading thread only); NULL: error set. */
const struct store_check_key *store_check_keys_get(struct store_check_keys *,
    struct store *, const char *who, struct store_check_key *spare);
void store_check_key_clear(struct store_check_key *);
void store_check_keys_free(struct store_check_keys *);

/* One event row as read, and what a checking thread found of it. */
enum store_check_signature_state {
	STORE_CHECK_SIGNATURE_UNCHECKED,	/* the reading thread checks it */
	STORE_CHECK_SIGNATURE_GOOD,
	STORE_CHECK_SIGNATURE_BAD
};
struct store_check_item {
	struct store_value	 row[STORE_COLUMNS_MAX];	/* copied: bytes in block */
	unsigned char		*block;
	char			*canonical;	/* NUL-terminated copies */
	size_t			 canonical_len;
	unsigned char		*signature;
	size_t			 signature_len;
	bool			 hash_only;	/* verified before: its leaf, and its
						   parse when it may vouch */
	bool			 parse;
	json_t			*object;	/* event_parse's; NULL: parse_error */
	struct event		 ev;
	char			*parse_error;
	merkle_hash		 leaf;
	enum store_check_signature_state signature_state;
};
#define STORE_CHECK_BATCH	1024	/* rows read before they are handed over */
struct store_check_batch {
	struct store_check_item	 items[STORE_CHECK_BATCH];
	size_t			 count;
	size_t			 taken;		/* under the pool's lock */
	size_t			 finished;
	struct store_check_batch *queued;
};

/* store-check-pool.c: threads that run fn on every item of the batches handed over. */
struct store_check_pool;
struct store_check_pool *store_check_pool_new(void (*fn)(void *,
    struct store_check_item *), void *arg);
void store_check_pool_submit(struct store_check_pool *, struct store_check_batch *);
void store_check_pool_wait(struct store_check_pool *, struct store_check_batch *);
void store_check_pool_free(struct store_check_pool *);

/* store-checkpoints.c: prove the ledger extends the head verified before. 0 or -1. */
int store_check_remembered(struct store_check *, const struct store_verified *);
/* store-check.c: a stored value's bytes, copied and NUL-terminated; NULL: out of memory. */
void *store_check_copy(const struct store_value *);
/* store-check-read.c: read and check every event row. 0 or -1. */
int store_check_read_events(struct store_check *);
/* store-check.c: the checks of one item that depend on the events before it. 0 or -1. */
int store_check_item_check(struct store_check *, struct store_check_item *);

#endif
