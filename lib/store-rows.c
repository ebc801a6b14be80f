/*
 * The ledger's rows as SQLite stores them, for a verifier: each value
 * with its storage class and its bytes, never through C strings (which
 * would end at a NUL) nor through conversions (which would turn '3' into 3).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "custody/error.h"
#include "custody/store.h"

#include "store-private.h"

/* Each table as store_rows reads it: its columns in the order of the enums. */
static const struct {
	const char	*name;
	const char	*columns[STORE_COLUMNS_MAX];
	const char	*key;
} store_row_tables[] = {
	[STORE_TABLE_CASE] = { "case_info", { "case_id", "title", "created_at",
	    "schema_version" }, "id" },
	[STORE_TABLE_HANDLERS] = { "handlers", { "fingerprint", "name", "role",
	    "organization", "public_key", "registered_at" }, "fingerprint" },
	[STORE_TABLE_ARTIFACTS] = { "artifacts", { "evidence_id",
	    "archive_name", "archive_path", "archive_sha256", "archive_size",
	    "merkle_root", "host", "collected_at", "collected_by" },
	    "evidence_id" },
	[STORE_TABLE_EVENTS] = { "events", { "seq", "at", "action", "artifact",
	    "handler", "counterpart", "refers", "location", "note", "canonical",
	    "signature" }, "seq" },
	[STORE_TABLE_TIMESTAMPS] = { "timestamps", { "event_seq", "file",
	    "file_sha256", "token", "gen_time", "tsa" }, "event_seq" },
	[STORE_TABLE_TREE_HEADS] = { "tree_heads", { "size", "root",
	    "frontier" }, "size" },
};

/* The name of a column of a table. */
const char *
store_column_name(enum store_table table, int column)
{
	return store_row_tables[table].columns[column];
}

/* The name of a table. */
const char *
store_table_name(enum store_table table)
{
	return store_row_tables[table].name;
}

/* Number of columns store_rows gives for a table. */
static size_t
store_row_width(enum store_table table)
{
	size_t n = 0;

	while (n < STORE_COLUMNS_MAX && store_row_tables[table].columns[n] != NULL)
		n++;
	return n;
}

/* One value as stored: the class first, before any conversion can change it. */
static void
store_read_value(sqlite3_stmt *st, int column, struct store_value *v)
{
	memset(v, 0, sizeof *v);
	switch (sqlite3_column_type(st, column)) {
	case SQLITE_INTEGER:
		v->type = STORE_INTEGER;
		v->integer = sqlite3_column_int64(st, column);
		break;
	case SQLITE_FLOAT:
		v->type = STORE_REAL;
		break;
	case SQLITE_TEXT:
		v->type = STORE_TEXT;
		v->bytes = sqlite3_column_text(st, column);
		v->len = (size_t)sqlite3_column_bytes(st, column);
		break;
	case SQLITE_BLOB:
		v->type = STORE_BLOB;
		v->bytes = sqlite3_column_blob(st, column);
		v->len = (size_t)sqlite3_column_bytes(st, column);
		break;
	default:
		v->type = STORE_NULL;
		break;
	}
	if ((v->type == STORE_TEXT || v->type == STORE_BLOB) && v->bytes == NULL)
		v->bytes = (const unsigned char *)"";
}

/* The SELECT of every column of a table, in key order. */
static int
store_rows_sql(enum store_table table, char *sql, size_t size)
{
	size_t i, n = store_row_width(table), used;

	used = (size_t)snprintf(sql, size, "SELECT ");
	for (i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(sql + used, size - used, "%s%s",
		    i != 0 ? ", " : "", store_row_tables[table].columns[i]);
	if (used < size)
		used += (size_t)snprintf(sql + used, size - used,
		    " FROM %s ORDER BY %s", store_row_tables[table].name,
		    store_row_tables[table].key);
	return used < size ? 0 : error_set("ledger: query too long");
}

/* Call fn for every row of a table, in key order. */
int
store_rows(struct store *s, enum store_table table,
    int (*fn)(const struct store_value *row, void *arg), void *arg)
{
	struct store_value row[STORE_COLUMNS_MAX];
	size_t i, n = store_row_width(table);
	sqlite3_stmt *st;
	char sql[512];
	int rc = 0, step;

	if (store_rows_sql(table, sql, sizeof sql) != 0 ||
	    (st = store_prepare(s, sql)) == NULL)
		return -1;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			store_read_value(st, (int)i, &row[i]);
		rc = fn(row, arg);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = store_error(s, store_row_tables[table].name);
	sqlite3_finalize(st);
	return rc;
}

/* Call fn for each line of a pragma's answer but "ok". */
static int
store_pragma(struct store *s, const char *sql,
    int (*fn)(const char *message, void *arg), void *arg)
{
	sqlite3_stmt *st = store_prepare(s, sql);
	const unsigned char *text;
	int rc = 0, step;

	if (st == NULL)
		return fn(error_message(), arg);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		text = sqlite3_column_text(st, 0);
		if (text == NULL || strcmp((const char *)text, "ok") != 0)
			rc = fn(text != NULL ? (const char *)text : "?", arg);
	}
	/* A database too damaged to check is a finding, not an error. */
	if (rc == 0 && step != SQLITE_DONE)
		rc = fn(sqlite3_errmsg(s->db), arg);
	sqlite3_finalize(st);
	return rc;
}

/* Each table a verifier reads must be a table: not a view that shows other rows. */
static int
store_tables_real(struct store *s, int (*fn)(const char *message, void *arg),
    void *arg)
{
	sqlite3_stmt *st = store_prepare(s,
	    "SELECT type FROM sqlite_schema WHERE name = ?");
	const unsigned char *type;
	char message[128];
	size_t i;
	int rc = 0;

	if (st == NULL)
		return -1;
	for (i = 0; rc == 0 && i < sizeof store_row_tables /
	    sizeof store_row_tables[0]; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, store_row_tables[i].name, -1, SQLITE_STATIC);
		type = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
		if (type != NULL && strcmp((const char *)type, "table") == 0)
			continue;
		snprintf(message, sizeof message, "\"%s\" is %s%s, not the table "
		    "custody writes", store_row_tables[i].name, type != NULL ?
		    "a " : "missing", type != NULL ? (const char *)type : "");
		rc = fn(message, arg);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Check the database file itself: its b-trees, indexes and encoding. */
int
store_integrity(struct store *s, int (*fn)(const char *message, void *arg),
    void *arg)
{
	int rc;

	if ((rc = store_pragma(s, "PRAGMA integrity_check", fn, arg)) != 0)
		return rc;
	return store_integrity_shape(s, fn, arg);
}

/* The tables are tables and the text is UTF-8 (no walk of the b-trees). */
int
store_integrity_shape(struct store *s, int (*fn)(const char *message, void *arg),
    void *arg)
{
	sqlite3_stmt *st;
	char message[128];
	int rc;

	if ((rc = store_tables_real(s, fn, arg)) != 0)
		return rc;
	if ((st = store_prepare(s, "PRAGMA encoding")) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "UTF-8") != 0) {
		snprintf(message, sizeof message, "its text encoding is %s, not "
		    "UTF-8", (const char *)sqlite3_column_text(st, 0));
		rc = fn(message, arg);
	}
	sqlite3_finalize(st);
	return rc;
}
