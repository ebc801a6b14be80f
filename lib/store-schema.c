/*
 * The ledger's schema: the objects custody creates (tables, their
 * automatic indexes, one index, the append-only triggers), and the check
 * that a ledger holds exactly those, byte for byte in sqlite_schema. An
 * extra trigger fires on the next honest write, a dropped one lets rows
 * be changed in place, an altered table may collate or convert what the
 * verifier compares: each is named.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "custody/error.h"
#include "custody/store.h"
#include "custody/util.h"

#include "store-private.h"

#define STORE_SCHEMA_OBJECTS_MAX	64	/* custody creates 22 */
#define STORE_SCHEMA_OBJECTS_NAMED	"64"

static const char store_schema[] =
	"CREATE TABLE case_info ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  case_id TEXT NOT NULL, title TEXT, created_at TEXT NOT NULL,"
	"  schema_version INTEGER NOT NULL);"
	"CREATE TABLE handlers ("
	"  fingerprint TEXT PRIMARY KEY CHECK (length(fingerprint) = 64),"
	"  name TEXT NOT NULL, role TEXT NOT NULL, organization TEXT,"
	"  public_key BLOB NOT NULL CHECK (length(public_key) = 32),"
	"  registered_at TEXT NOT NULL);"
	"CREATE TABLE artifacts ("
	"  evidence_id TEXT PRIMARY KEY, archive_name TEXT NOT NULL,"
	"  archive_path TEXT NOT NULL, archive_sha256 TEXT NOT NULL UNIQUE,"
	"  archive_size INTEGER NOT NULL, merkle_root TEXT NOT NULL,"
	"  host TEXT NOT NULL, collected_at TEXT NOT NULL,"
	"  collected_by TEXT NOT NULL REFERENCES handlers(fingerprint));"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY CHECK (seq > 0),"
	"  at TEXT NOT NULL, action TEXT NOT NULL,"
	"  artifact TEXT REFERENCES artifacts(evidence_id),"
	"  handler TEXT NOT NULL REFERENCES handlers(fingerprint),"
	"  counterpart TEXT, refers INTEGER REFERENCES events(seq),"
	"  location TEXT, note TEXT,"
	"  canonical BLOB NOT NULL, signature BLOB NOT NULL);"
	"CREATE INDEX events_artifact ON events(artifact, seq);"
	"CREATE TABLE timestamps ("
	"  event_seq INTEGER PRIMARY KEY, file TEXT NOT NULL,"
	"  file_sha256 TEXT NOT NULL, token BLOB NOT NULL,"
	"  gen_time TEXT NOT NULL, tsa TEXT NOT NULL);"
	"CREATE TABLE tree_heads ("
	"  size INTEGER PRIMARY KEY, root BLOB NOT NULL, frontier BLOB NOT NULL);";

/* Triggers that make every table append-only. */
static const char *const store_tables[] = {
	"case_info", "handlers", "artifacts", "events", "timestamps",
	"tree_heads", NULL
};

/* Run SQL without results on a connection. */
static int
store_schema_exec(sqlite3 *db, const char *sql)
{
	char *message = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
		error_set("ledger: %s", message != NULL ? message : "error");
		sqlite3_free(message);
		return -1;
	}
	return 0;
}

/* Create the append-only triggers. */
static int
store_schema_triggers(sqlite3 *db)
{
	char sql[512];
	size_t i;
	int n;

	for (i = 0; store_tables[i] != NULL; i++) {
		n = snprintf(sql, sizeof sql,
		    "CREATE TRIGGER %s_no_update BEFORE UPDATE ON %s BEGIN "
		    "SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;"
		    "CREATE TRIGGER %s_no_delete BEFORE DELETE ON %s BEGIN "
		    "SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;",
		    store_tables[i], store_tables[i], store_tables[i],
		    store_tables[i]);
		if (n < 0 || (size_t)n >= sizeof sql)
			return error_set("ledger: trigger statement too long");
		if (store_schema_exec(db, sql) != 0)
			return -1;
	}
	return 0;
}

/* Create every object of the schema on a new database. */
int
store_schema_create(sqlite3 *db)
{
	if (store_schema_exec(db, store_schema) != 0)
		return -1;
	return store_schema_triggers(db);
}

/* One row of sqlite_schema, as stored. */
struct store_schema_object {
	char	*type, *name, *table, *sql;	/* sql NULL: an automatic index */
	size_t	 sql_len;
	bool	 seen;
};

/* All the rows of a database's sqlite_schema. */
struct store_schema_list {
	struct store_schema_object	objects[STORE_SCHEMA_OBJECTS_MAX];
	size_t				count;
	bool				more;	/* rows beyond the cap */
};

/* A text column copied (NULL stays NULL); *failed on out of memory. */
static char *
store_schema_text(sqlite3_stmt *st, int column, size_t *len, bool *failed)
{
	const unsigned char *text = sqlite3_column_text(st, column);
	size_t n = (size_t)sqlite3_column_bytes(st, column);
	char *copy;

	if (len != NULL)
		*len = n;
	if (text == NULL)
		return NULL;
	if ((copy = malloc(n + 1)) == NULL) {
		*failed = true;
		return NULL;
	}
	memcpy(copy, text, n);
	copy[n] = '\0';
	return copy;
}

/* Free the rows of a list. */
static void
store_schema_list_free(struct store_schema_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->objects[i].type);
		free(l->objects[i].name);
		free(l->objects[i].table);
		free(l->objects[i].sql);
	}
	l->count = 0;
}

/* Read a database's sqlite_schema into l. 0 or -1. */
static int
store_schema_read(sqlite3 *db, struct store_schema_list *l)
{
	sqlite3_stmt *st = NULL;
	struct store_schema_object *o;
	bool failed = false;
	int step;

	memset(l, 0, sizeof *l);
	if (sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, sql FROM "
	    "sqlite_schema ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
		return error_set("ledger: sqlite_schema: %s", sqlite3_errmsg(db));
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (l->count == STORE_SCHEMA_OBJECTS_MAX) {
			l->more = true;
			continue;
		}
		o = &l->objects[l->count++];
		o->type = store_schema_text(st, 0, NULL, &failed);
		o->name = store_schema_text(st, 1, NULL, &failed);
		o->table = store_schema_text(st, 2, NULL, &failed);
		o->sql = store_schema_text(st, 3, &o->sql_len, &failed);
	}
	sqlite3_finalize(st);
	if (failed)
		return error_set("out of memory");
	if (step != SQLITE_DONE)
		return error_set("ledger: sqlite_schema: %s", sqlite3_errmsg(db));
	return 0;
}

/* The objects custody creates, read from a schema made in memory. 0 or -1. */
static int
store_schema_expected(struct store_schema_list *l)
{
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return error_set("ledger: cannot open a database in memory");
	}
	rc = store_schema_create(db) == 0 ? store_schema_read(db, l) : -1;
	sqlite3_close(db);
	return rc;
}

/* Two optional texts equal, byte for byte. */
static bool
store_schema_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The expected object of this name not yet matched, or NULL. */
static struct store_schema_object *
store_schema_find(struct store_schema_list *expected, const char *name)
{
	size_t i;

	for (i = 0; i < expected->count; i++)
		if (!expected->objects[i].seen &&
		    store_schema_same(expected->objects[i].name, name))
			return &expected->objects[i];
	return NULL;
}

/* Report one object: what it is ("extra", ...), its kind and name, why. fn's result. */
static int
store_schema_report(const char *what, const struct store_schema_object *o,
    const char *why, int (*fn)(const char *message, void *arg), void *arg)
{
	const char *n = o->name != NULL ? o->name : "(none)";
	const char *t = o->table != NULL ? o->table : "(none)";
	char *name = util_escape(n, strlen(n)), *table = util_escape(t, strlen(t));
	char message[512];

	snprintf(message, sizeof message, "%s %s \"%s\"%s%s%s%s", what,
	    o->type != NULL ? o->type : "object", name != NULL ? name : "?",
	    strcmp(n, t) != 0 ? " (on table \"" : "",
	    strcmp(n, t) != 0 ? (table != NULL ? table : "?") : "",
	    strcmp(n, t) != 0 ? "\")" : "", why);
	free(name);
	free(table);
	return fn(message, arg);
}

/* Each stored object against custody's; fn for each difference. */
static int
store_schema_compare(struct store_schema_list *actual,
    struct store_schema_list *expected,
    int (*fn)(const char *message, void *arg), void *arg)
{
	struct store_schema_object *a, *e;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < actual->count; i++) {
		a = &actual->objects[i];
		if (a->sql != NULL && strlen(a->sql) != a->sql_len)
			rc = store_schema_report("altered", a, ": its SQL holds a NUL byte",
			    fn, arg);
		else if ((e = store_schema_find(expected, a->name)) == NULL)
			rc = store_schema_report("extra", a,
			    ": custody creates no such object", fn, arg);
		else {
			e->seen = true;
			if (!store_schema_same(a->type, e->type) ||
			    !store_schema_same(a->table, e->table) ||
			    !store_schema_same(a->sql, e->sql))
				rc = store_schema_report("altered", a, ": its "
				    "definition differs from custody's", fn, arg);
		}
	}
	if (rc == 0 && actual->more)
		rc = fn("it holds more than " STORE_SCHEMA_OBJECTS_NAMED
		    " objects, far more than custody creates", arg);
	for (i = 0; rc == 0 && i < expected->count; i++)
		if (!expected->objects[i].seen)
			rc = store_schema_report("missing", &expected->objects[i],
			    "", fn, arg);
	return rc;
}

/* The ledger's schema against exactly the objects custody creates. */
int
store_schema_check(struct store *s, int (*fn)(const char *message, void *arg),
    void *arg)
{
	struct store_schema_list actual, expected;
	int rc = -1;

	if (store_schema_expected(&expected) == 0) {
		if (store_schema_read(s->db, &actual) == 0)
			rc = store_schema_compare(&actual, &expected, fn, arg);
		store_schema_list_free(&actual);
	}
	store_schema_list_free(&expected);
	return rc;
}
