/* What the files of the store share inside lib/: the connection. */
#ifndef CUSTODY_STORE_PRIVATE_H
#define CUSTODY_STORE_PRIVATE_H

#include <sqlite3.h>

struct store {
	sqlite3		*db;
	char		*dir;
	char		*case_id;
	char		*title;
	char		*damaged;	/* why the case row is not custody's, or NULL */
};

/* Record SQLite's message for what failed; returns -1. */
int store_error(struct store *, const char *what);
/* Prepare a statement, recording the error; NULL on error. */
sqlite3_stmt *store_prepare(struct store *, const char *sql);

/* store-schema.c: create every object of the schema on a new database. 0 or -1. */
int store_schema_create(sqlite3 *db);

#endif
