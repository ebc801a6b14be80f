/*
 * The case ledger: one SQLite file per case (DIR/ledger.db). Tables for the
 * case, handlers, artifacts, events, time-stamps and the cached tree heads;
 * triggers refuse UPDATE and DELETE; every write is one IMMEDIATE
 * transaction. Events are the leaves of an RFC 9162 Merkle tree.
 */
#ifndef CUSTODY_STORE_H
#define CUSTODY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"

#define STORE_SCHEMA_VERSION	1
#define STORE_FILE		"ledger.db"

struct store;

struct store_handler {
	char		 fingerprint[65];
	char		 name[KEY_FIELD_MAX + 1];
	char		 role[KEY_FIELD_MAX + 1];
	char		 organization[KEY_FIELD_MAX + 1];	/* "" when none */
	unsigned char	 public_key[KEY_RAW_SIZE];
	char		 registered_at[40];
};

struct store_artifact {
	char		 evidence_id[65];
	char		 archive_name[256];
	char		 archive_path[4096];
	char		 archive_sha256[65];
	int64_t		 archive_size;
	char		 merkle_root[65];
	char		 host[256];
	char		 collected_at[40];
	char		 collected_by[65];
};

/* One event as stored; pointers are valid during the callback only. */
struct store_event {
	struct event		 ev;
	const char		*canonical;
	size_t			 canonical_len;
	const unsigned char	*signature;
	size_t			 signature_len;
};

/* Create DIR (0700) and a new ledger in it, refusing an existing one. */
struct store *store_create(const char *dir, const char *case_id,
    const char *title);
/* Open the ledger of the case in DIR. */
struct store *store_open(const char *dir);
void store_close(struct store *);
const char *store_case_id(const struct store *);
const char *store_title(const struct store *);
const char *store_dir(const struct store *);
/*
 * Why the ledger is damaged, or NULL: a case row column that is not what
 * custody writes (NULL, or another storage class). Such a ledger opens,
 * for ledger verify to report it, but store_begin refuses to write.
 */
const char *store_damage(const struct store *);

/* Start an IMMEDIATE transaction (waits for other writers). 0 or -1. */
int store_begin(struct store *);
int store_commit(struct store *);
void store_rollback(struct store *);

/* Number of registered handlers. -1 on error. */
int64_t store_handler_count(struct store *);
/*
 * Find a handler by exact fingerprint, unique fingerprint prefix (8 hex
 * digits at least), or exact name. 0 found, 1 not found or ambiguous (the
 * error says which), -1 on error.
 */
int store_handler_find(struct store *, const char *who, struct store_handler *);
/* Check that key is registered (fills *who); 0, or -1 naming the key and case. */
int store_require_handler(struct store *, const struct key *, struct store_handler *who);
/*
 * For a writer: is the handler row bound to its signed registration (the
 * row equals the event's details, its signature verifies with a handler
 * that is itself bound, back to the founder)? 0, or -1 naming the handler.
 */
int store_handler_bound(struct store *, const struct store_handler *);
/* Find a handler as store_handler_find does, and require it bound. 0, 1, -1. */
int store_handler_find_bound(struct store *, const char *who,
    struct store_handler *);
/* For a writer: is the artifact row bound to its signed collection? 0 or -1. */
int store_artifact_bound(struct store *, const struct store_artifact *);
/* Register a public key (with its identity) as a handler. 0 or -1. */
int store_handler_insert(struct store *, const struct key *, const char *at);
/* Call fn for every handler. */
int store_handlers(struct store *, int (*fn)(const struct store_handler *,
    void *), void *arg);

/* 0 found, 1 not found, -1 error. */
int store_artifact_get(struct store *, const char *evidence_id, struct store_artifact *);
int store_artifact_by_sha256(struct store *, const char *sha256, struct store_artifact *);
int store_artifact_insert(struct store *, const struct store_artifact *);
/* The next free evidence id: E001, E002, ... 0 or -1. */
int store_next_evidence_id(struct store *, char out[16]);
int store_artifacts(struct store *, int (*fn)(const struct store_artifact *,
    void *), void *arg);

/* The key that sealed an artifact's archive, as its signed event records it. */
struct store_sealer {
	char		 fingerprint[65];
	unsigned char	 public_key[KEY_RAW_SIZE];
	bool		 ingested;	/* by an ingested event (else collected) */
	bool		 one_time;	/* a one-time key (ingested only) */
	char		 sealed_evidence_id[65];	/* the seal's evidence id */
	char		 evidence_id[65];	/* store_one_time_key_used: whose */
	uint64_t	 seq;		/* the event that records it */
};
/*
 * Which key sealed an artifact's archive: the one recorded by its
 * ingested event, or its collector's registered key. 0 or -1.
 */
int store_artifact_sealer(struct store *, const char *evidence_id,
    struct store_sealer *);
/*
 * 1 when an ingested event of the case records this one-time key already
 * (out->evidence_id and out->seq say which), 0 when none does, -1.
 */
int store_one_time_key_used(struct store *, const char *fingerprint,
    struct store_sealer *out);

/* Record a time-stamp token to be described by the next timestamped event. */
int store_timestamp_insert(struct store *, uint64_t seq, const char *file,
    const char *file_sha256, const unsigned char *token, size_t token_len,
    const char *gen_time, const char *tsa);
/* Call fn for every stored token. */
int store_timestamps(struct store *, int (*fn)(uint64_t seq, const char *file,
    const char *file_sha256, const unsigned char *token, size_t token_len,
    void *), void *arg);

/*
 * The details object an action's event carries, rebuilt from the rows it
 * describes (registered: the handler named by counterpart; collected: the
 * artifact; timestamped: the token of event seq). NULL with no error for
 * actions without details; NULL with the error set when a row is missing.
 */
json_t *store_details(struct store *, const struct event *, int *error);
/*
 * An ingested event's details hold the artifact's columns and these
 * members, which no column records (NULL-terminated); store_details takes
 * them from e->details as given.
 */
extern const char *const store_ingest_keys[];
/* A typed event's details: these members, from e->details as given (NULL-terminated). */
extern const char *const store_typed_keys[];

/* The seq the next event will get. 0 or -1. */
int store_next_seq(struct store *, uint64_t *seq);
/*
 * Append an event, inside a transaction begun by the caller: gives it its
 * seq, the previous tree head, the time, details, canonical bytes and the
 * signer's signature, and stores the new tree head. 0 or -1.
 */
int store_append(struct store *, struct event *, const struct key *signer);
/* Call fn for every event in seq order (or only those of one artifact). */
int store_events(struct store *, const char *artifact,
    int (*fn)(const struct store_event *, void *), void *arg);
/* Storage classes, as SQLite keeps each value. */
enum store_type {
	STORE_NULL, STORE_INTEGER, STORE_REAL, STORE_TEXT, STORE_BLOB
};

/* One value as stored; bytes are valid during the callback only. */
struct store_value {
	enum store_type		 type;
	int64_t			 integer;	/* STORE_INTEGER */
	const unsigned char	*bytes;		/* STORE_TEXT, STORE_BLOB: len bytes */
	size_t			 len;		/* (text is not NUL-safe: use len) */
};

/* The tables store_rows reads, and their columns in the order given. */
enum store_table {
	STORE_TABLE_CASE, STORE_TABLE_HANDLERS, STORE_TABLE_ARTIFACTS,
	STORE_TABLE_EVENTS, STORE_TABLE_TIMESTAMPS, STORE_TABLE_TREE_HEADS
};
#define STORE_COLUMNS_MAX	12
enum { CASE_COL_CASE_ID, CASE_COL_TITLE, CASE_COL_CREATED_AT,
	CASE_COL_SCHEMA_VERSION };
enum { HANDLER_COL_FINGERPRINT, HANDLER_COL_NAME, HANDLER_COL_ROLE,
	HANDLER_COL_ORGANIZATION, HANDLER_COL_PUBLIC_KEY,
	HANDLER_COL_REGISTERED_AT };
enum { ARTIFACT_COL_EVIDENCE_ID, ARTIFACT_COL_ARCHIVE_NAME,
	ARTIFACT_COL_ARCHIVE_PATH, ARTIFACT_COL_ARCHIVE_SHA256,
	ARTIFACT_COL_ARCHIVE_SIZE, ARTIFACT_COL_MERKLE_ROOT, ARTIFACT_COL_HOST,
	ARTIFACT_COL_COLLECTED_AT, ARTIFACT_COL_COLLECTED_BY };
enum { EVENT_COL_SEQ, EVENT_COL_AT, EVENT_COL_ACTION, EVENT_COL_ARTIFACT,
	EVENT_COL_HANDLER, EVENT_COL_COUNTERPART, EVENT_COL_REFERS,
	EVENT_COL_LOCATION, EVENT_COL_NOTE, EVENT_COL_CANONICAL,
	EVENT_COL_SIGNATURE };
enum { STAMP_COL_EVENT_SEQ, STAMP_COL_FILE, STAMP_COL_FILE_SHA256,
	STAMP_COL_TOKEN, STAMP_COL_GEN_TIME, STAMP_COL_TSA };
enum { HEAD_COL_SIZE, HEAD_COL_ROOT, HEAD_COL_FRONTIER };

/* The name of a table, and of one of its columns. */
const char *store_table_name(enum store_table);
const char *store_column_name(enum store_table, int column);
/* Call fn for every row of a table (its columns as above), in key order. */
int store_rows(struct store *, enum store_table,
    int (*fn)(const struct store_value *row, void *arg), void *arg);
/*
 * Check the database file itself (PRAGMA integrity_check: every b-tree,
 * every index against its table; that each table store_rows reads is a
 * table, not a view; and the text encoding): fn is called
 * with each problem found. 0, fn's non-zero result, or -1.
 */
int store_integrity(struct store *, int (*fn)(const char *message, void *arg),
    void *arg);
/* The same but PRAGMA integrity_check: each table is a table, the text UTF-8. */
int store_integrity_shape(struct store *, int (*fn)(const char *message, void *arg),
    void *arg);
/* The leaf hash of the first event (the lowest seq): 0, 1 when none, -1. */
int store_first_leaf(struct store *, merkle_hash leaf);

/*
 * The ledger's schema against exactly the objects custody creates
 * (sqlite_schema: type, name, table and SQL, byte for byte): fn is called
 * with each extra, missing or altered object. 0, fn's result, or -1.
 */
int store_schema_check(struct store *, int (*fn)(const char *message,
    void *arg), void *arg);

/* The cached tree head after size events (root); 0, 1 when absent, -1. */
int store_tree_head(struct store *, uint64_t size, merkle_hash root);

#endif
