/*
 * The ledger checked whole: the database file, every row against the
 * signed canonical events, the signatures, the chain, the tree heads, the
 * schema, the checkpoints and the time-stamp tokens. Results are data (a
 * problems array), never printed: the commands say what they mean.
 */
#ifndef CUSTODY_STORE_CHECK_H
#define CUSTODY_STORE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/store.h"

/* One event as signed, read back from its canonical bytes. */
struct store_signed {
	struct store_event	 row;		/* ev from the signed bytes */
	json_t			*object;	/* what ev points into; NULL: unreadable */
	char			*canonical;
	unsigned char		*signature;
	bool			 verified;	/* no problem names this event */
	bool			 described;	/* its handler, artifact or token row was found */
};

struct store_check_keys;

/* A ledger checked whole (lib/store-check.c). */
struct store_check {
	struct store		*store;
	json_t			*problems;	/* [{"event": seq or null, "problem"}] */
	json_t			*checkpoints;	/* [{"file", "size", "signed_by", "consistent"}] */
	struct store_signed	*events;	/* every event row, in seq order */
	size_t			 count;
	size_t			 capacity;
	merkle_hash		*leaves;
	merkle_hash		*heads;		/* heads[k]: the root of events 1..k, */
	size_t			 heads_from;	/* for k from heads_from to count */
	struct merkle_builder	 tree;
	struct store_check_keys	*keys;		/* each signer's key, found once */
	bool			 lean;		/* keep only the events that vouch */
	uint64_t		 known;		/* events 1..known were verified before */
	struct merkle_builder	 known_tree;	/* the tree of those, from the rows */
	bool			 known_proved;	/* the ledger extends the remembered head */
	uint64_t		 expected_seq;
	struct pathmap		*registered;	/* fingerprint -> index + 1 */
	struct pathmap		*collected;	/* evidence id -> index + 1 */
	char			*case_id;	/* case_info's, as stored */
	size_t			 case_id_len;
	bool			 other_case;	/* a checkpoint was of another case */
};

/* What a verifier remembers of a case (lib/store-verified.c). */
struct store_verified {
	uint64_t	size;		/* events 1..size were verified */
	merkle_hash	root;		/* the tree head over them */
	char		verified_at[40];	/* UTC ISO-8601 */
};
/*
 * The state file of a case, named by its id and the leaf hash of its
 * first event, in $XDG_STATE_HOME/custody/ledger-verified (or
 * ~/.local/state/...), its directories made 0700 when create. 0 or -1.
 */
int store_verified_path(const char *case_id, size_t case_id_len,
    const merkle_hash first, char *out, size_t size, bool create);
/* Read it: 0, 1 when there is none, -1 when unreadable, malformed or untrusted. */
int store_verified_load(const char *path, const char *case_id, size_t case_id_len,
    const merkle_hash first, struct store_verified *);
/* Replace it (0600, written whole then renamed). 0 or -1. */
int store_verified_save(const char *path, const char *case_id, size_t case_id_len,
    const merkle_hash first, const struct store_verified *);

/* How ledger verify checks (store_check_verify). */
struct store_check_options {
	char			**checkpoints;
	size_t			 count;
	const char		*tsa_ca;
	bool			 lean;		/* keep only the events that vouch */
	const struct store_verified *since;	/* NULL: check every event */
};
/*
 * Check the ledger as store_check_run does; with since, events 1 to
 * since->size are only hashed (and parsed when they may vouch for a
 * row), a consistency proof from since->root to the ledger's root is
 * checked, then every check is made of the events after them (the whole
 * file's integrity_check and the cached heads before since->size are
 * left to a full check).
 */
int store_check_verify(struct store *, struct store_check *c,
    const struct store_check_options *);

/*
 * Check everything of the ledger: the database file, every row against
 * the signed events, the signatures, the chain, the tree heads, the
 * checkpoint files and (with tsa_ca) the time-stamp tokens. Problems go
 * to c->problems. 0, or -1 on an operational error (error set).
 */
int store_check_run(struct store *, struct store_check *c,
    char **checkpoints, size_t count, const char *tsa_ca);
void store_check_free(struct store_check *);
/* True when no problem was found. */
bool store_check_ok(const struct store_check *);
/* Record a problem about an event (seq > 0) or the ledger (seq 0). */
void store_check_problem(struct store_check *, uint64_t seq,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The signed event with this seq, or NULL. */
struct store_signed *store_check_find(const struct store_check *, uint64_t seq);
/* Call fn for every readable signed event (or one artifact's), in seq order. */
int store_check_events(const struct store_check *, const char *artifact,
    int (*fn)(const struct store_signed *, void *), void *arg);
/* The checkpoint key name of a handler: "custody-" and 16 hex digits of its fingerprint. */
void store_check_key_name(const char *fingerprint, char out[32]);

#endif
