/* What the files of the store share inside lib/: the connection. */
#ifndef CUSTODY_STORE_PRIVATE_H
#define CUSTODY_STORE_PRIVATE_H

#include <stdint.h>

#include <sqlite3.h>

#include "custody/merkle.h"

struct store {
	sqlite3		*db;
	char		*dir;
	char		*case_id;
	char		*title;
	char		*damaged;	/* why the case row is not custody's, or NULL */
	/*
	 * The size of the tail this connection checked or wrote itself
	 * inside the open transaction (0: none): BEGIN IMMEDIATE holds the
	 * write lock, so no one else can have changed it since.
	 */
	uint64_t	 trusted_size;
};

/* Record SQLite's message for what failed; returns -1. */
int store_error(struct store *, const char *what);
/* Prepare a statement, recording the error; NULL on error. */
sqlite3_stmt *store_prepare(struct store *, const char *sql);

/* store-schema.c: create every object of the schema on a new database. 0 or -1. */
int store_schema_create(sqlite3 *db);

/* store.c: the cached tree head of a size (0: the empty tree). 0 or -1. */
int store_tree_load_size(struct store *, uint64_t size, struct merkle_builder *);
/*
 * store-bound.c: before a write, the events are numbered 1 to the last
 * head's size, the last event chains to the head before it, makes the
 * last head and is signed by a bound handler. 0 or -1.
 */
int store_tail_check(struct store *, const struct merkle_builder *last);

#endif
