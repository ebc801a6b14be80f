/* The case ledger in SQLite: append-only tables, one transaction per write. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "custody/util.h"

#include "store-private.h"

#define STORE_BUSY_MS	30000

/* Record SQLite's message for what failed. */
int
store_error(struct store *s, const char *what)
{
	return error_set("ledger: %s: %s", what, sqlite3_errmsg(s->db));
}

/* Run SQL without results. */
static int
store_exec(struct store *s, const char *sql)
{
	char *message = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &message) != SQLITE_OK) {
		error_set("ledger: %s", message != NULL ? message : "error");
		sqlite3_free(message);
		return -1;
	}
	return 0;
}

/* Prepare a statement, recording the error. */
sqlite3_stmt *
store_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_error(s, "prepare");
		return NULL;
	}
	return st;
}

/* Open the database file with the settings every connection uses. */
static int
store_connect(struct store *s, const char *dir, int flags)
{
	char *path;
	int rc;

	if ((s->dir = strdup(dir)) == NULL ||
	    asprintf(&path, "%s/%s", dir, STORE_FILE) < 0)
		return error_set_errno("asprintf");
	rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
	free(path);
	if (rc != SQLITE_OK)
		return error_set("%s/%s: %s", dir, STORE_FILE, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open");
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	return store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
}

/*
 * A case row column that is not what custody writes: the ledger opens
 * all the same, for ledger verify to say so (exit 1), but nothing is
 * written to it. 0, or -1 out of memory.
 */
static int
store_case_damaged(struct store *s, const char *column, int type)
{
	static const char *const names[] = { "?", "an integer", "a real number",
	    "a text", "a BLOB", "NULL" };

	free(s->damaged);
	if (asprintf(&s->damaged, "%s/%s: case_info.%s is %s, not what custody "
	    "writes: the ledger is damaged", s->dir, STORE_FILE, column,
	    names[type >= 1 && type <= 5 ? type : 0]) < 0) {
		s->damaged = NULL;
		return error_set_errno("asprintf");
	}
	return 0;
}

/* The case row's columns by their storage class; copies case id and title. */
static int
store_case_columns(struct store *s, sqlite3_stmt *st)
{
	int id_type = sqlite3_column_type(st, 0);
	int title_type = sqlite3_column_type(st, 1);
	const unsigned char *id = sqlite3_column_text(st, 0);
	const unsigned char *title = sqlite3_column_text(st, 1);

	if (id_type != SQLITE_TEXT || id == NULL) {
		if (store_case_damaged(s, "case_id", id_type) != 0)
			return -1;
		id = (const unsigned char *)"?";
	}
	if (title_type != SQLITE_TEXT && title_type != SQLITE_NULL &&
	    store_case_damaged(s, "title", title_type) != 0)
		return -1;
	if ((s->case_id = strdup((const char *)id)) == NULL ||
	    (title_type == SQLITE_TEXT && title != NULL &&
	    (s->title = strdup((const char *)title)) == NULL))
		return error_set_errno("strdup");
	return 0;
}

/* Read the case row into s. */
static int
store_load_case(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s,
	    "SELECT case_id, title, schema_version FROM case_info WHERE id = 1");
	int rc = -1, version_type;

	if (st == NULL)
		return error_prefix("%s: not a custody ledger", s->dir);
	if (sqlite3_step(st) != SQLITE_ROW) {
		error_set("%s: the ledger has no case", s->dir);
		goto out;
	}
	version_type = sqlite3_column_type(st, 2);
	if (version_type == SQLITE_INTEGER &&
	    sqlite3_column_int64(st, 2) != STORE_SCHEMA_VERSION)
		error_set("%s: ledger schema version %lld, this custody reads %d",
		    s->dir, (long long)sqlite3_column_int64(st, 2),
		    STORE_SCHEMA_VERSION);
	else if (version_type != SQLITE_INTEGER &&
	    store_case_damaged(s, "schema_version", version_type) != 0)
		goto out;
	else
		rc = store_case_columns(s, st);
out:
	sqlite3_finalize(st);
	return rc;
}

/* Insert the case row. */
static int
store_insert_case(struct store *s, const char *case_id, const char *title)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO case_info "
	    "(id, case_id, title, created_at, schema_version) VALUES (1, ?, ?, ?, ?)");
	char now[UTIL_TIME_SIZE];
	struct timespec ts;
	int rc;

	if (st == NULL)
		return -1;
	util_time_now(&ts);
	util_time_format(&ts, now);
	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, STORE_SCHEMA_VERSION);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_error(s, "case");
	sqlite3_finalize(st);
	return rc;
}

/* Create DIR and a new ledger in it. */
struct store *
store_create(const char *dir, const char *case_id, const char *title)
{
	struct store *s = calloc(1, sizeof *s);
	char *path = NULL;

	if (s == NULL || (mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    asprintf(&path, "%s/%s", dir, STORE_FILE) < 0) {
		error_set_errno("%s", dir);
		goto fail;
	}
	if (access(path, F_OK) == 0) {
		error_set("%s: a ledger already exists", path);
		goto fail;
	}
	/* WAL cannot be chosen inside a transaction: first, on its own. */
	if (store_connect(s, dir, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) != 0 ||
	    store_exec(s, "PRAGMA journal_mode = WAL") != 0 ||
	    store_exec(s, "BEGIN IMMEDIATE") != 0)
		goto fail;
	if (store_schema_create(s->db) != 0 ||
	    store_insert_case(s, case_id, title) != 0 ||
	    store_exec(s, "COMMIT") != 0 || store_load_case(s) != 0)
		goto fail;
	chmod(path, 0600);
	free(path);
	return s;
fail:
	free(path);
	store_close(s);
	return NULL;
}

/* Open the ledger of the case in DIR. */
struct store *
store_open(const char *dir)
{
	struct store *s = calloc(1, sizeof *s);
	struct stat st;
	char *path;

	if (s == NULL)
		return NULL;
	if (asprintf(&path, "%s/%s", dir, STORE_FILE) < 0 ||
	    lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		error_set("%s: no custody ledger here (custody init makes one)", dir);
		free(path);
		free(s);
		return NULL;
	}
	free(path);
	if (store_connect(s, dir, SQLITE_OPEN_READWRITE) != 0 ||
	    store_load_case(s) != 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

/* Close the ledger. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s->dir);
	free(s->case_id);
	free(s->title);
	free(s->damaged);
	free(s);
}

/* The case id. */
const char *
store_case_id(const struct store *s)
{
	return s->case_id;
}

/* The case title, or NULL. */
const char *
store_title(const struct store *s)
{
	return s->title;
}

/* The case directory. */
const char *
store_dir(const struct store *s)
{
	return s->dir;
}

/* Why the ledger is damaged (its case row), or NULL. */
const char *
store_damage(const struct store *s)
{
	return s->damaged;
}

/* Start a write transaction; never on a damaged ledger. */
int
store_begin(struct store *s)
{
	if (s->damaged != NULL)
		return error_set("%s (custody ledger verify)", s->damaged);
	s->trusted_size = 0;
	return store_exec(s, "BEGIN IMMEDIATE");
}

/* Commit the transaction. */
int
store_commit(struct store *s)
{
	s->trusted_size = 0;
	return store_exec(s, "COMMIT");
}

/* Abandon the transaction. */
void
store_rollback(struct store *s)
{
	s->trusted_size = 0;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Copy a text column into a fixed buffer ("" for NULL). */
static void
store_column(sqlite3_stmt *st, int column, char *out, size_t size)
{
	const unsigned char *text = sqlite3_column_text(st, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

/* Number of handlers. */
int64_t
store_handler_count(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM handlers");
	int64_t n = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Fill a handler from a row of (fingerprint, name, role, organization, public_key, registered_at). */
static void
store_read_handler(sqlite3_stmt *st, struct store_handler *h)
{
	const void *key = sqlite3_column_blob(st, 4);

	memset(h, 0, sizeof *h);
	store_column(st, 0, h->fingerprint, sizeof h->fingerprint);
	store_column(st, 1, h->name, sizeof h->name);
	store_column(st, 2, h->role, sizeof h->role);
	store_column(st, 3, h->organization, sizeof h->organization);
	if (key != NULL && sqlite3_column_bytes(st, 4) == KEY_RAW_SIZE)
		memcpy(h->public_key, key, KEY_RAW_SIZE);
	store_column(st, 5, h->registered_at, sizeof h->registered_at);
}

#define HANDLER_COLUMNS "fingerprint, name, role, organization, public_key, registered_at"

/* Find a handler by fingerprint, prefix or name. */
int
store_handler_find(struct store *s, const char *who, struct store_handler *h)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT " HANDLER_COLUMNS
	    " FROM handlers WHERE fingerprint = ?1 OR name = ?1 OR"
	    " (length(?1) >= 8 AND substr(fingerprint, 1, length(?1)) = lower(?1))"
	    " LIMIT 2");
	int rows = 0, rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && rows < 2)
		if (rows++ == 0)
			store_read_handler(st, h);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_error(s, "handlers");
	if (rows == 1)
		return 0;
	error_set(rows == 0 ? "no handler \"%s\" is registered in this case" :
	    "\"%s\" names more than one handler: give the fingerprint", who);
	return 1;
}

/* Check that a key is registered. */
int
store_require_handler(struct store *s, const struct key *key,
    struct store_handler *who)
{
	int rc = store_handler_find(s, key->fingerprint, who);

	/* A signer acts only under a registration that verifies. */
	if (rc == 0 && strcmp(who->fingerprint, key->fingerprint) == 0)
		return store_handler_bound(s, who);
	if (rc >= 0)
		error_set("key %s (%s) is not registered in case %s (custody key "
		    "register)", key->fingerprint, key->name != NULL ? key->name :
		    "unnamed", s->case_id);
	return -1;
}

/* Register a public key as a handler. */
int
store_handler_insert(struct store *s, const struct key *key, const char *at)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO handlers (" HANDLER_COLUMNS
	    ") VALUES (?, ?, ?, ?, ?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	if (key->name == NULL || key->role == NULL) {
		sqlite3_finalize(st);
		return error_set("the key carries no name and role");
	}
	sqlite3_bind_text(st, 1, key->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key->organization, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, key->raw_public, KEY_RAW_SIZE, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return error_set("key %s is already registered", key->fingerprint);
	return rc == SQLITE_DONE ? 0 : store_error(s, "handlers");
}

/* Call fn for every handler. */
int
store_handlers(struct store *s, int (*fn)(const struct store_handler *, void *),
    void *arg)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT " HANDLER_COLUMNS
	    " FROM handlers ORDER BY registered_at, fingerprint");
	struct store_handler h;
	int rc = 0, step;

	if (st == NULL)
		return -1;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		store_read_handler(st, &h);
		rc = fn(&h, arg);
	}
	sqlite3_finalize(st);
	return rc;
}

#define ARTIFACT_COLUMNS "evidence_id, archive_name, archive_path, archive_sha256," \
	" archive_size, merkle_root, host, collected_at, collected_by"

/* Fill an artifact from a row of ARTIFACT_COLUMNS. */
static void
store_read_artifact(sqlite3_stmt *st, struct store_artifact *a)
{
	memset(a, 0, sizeof *a);
	store_column(st, 0, a->evidence_id, sizeof a->evidence_id);
	store_column(st, 1, a->archive_name, sizeof a->archive_name);
	store_column(st, 2, a->archive_path, sizeof a->archive_path);
	store_column(st, 3, a->archive_sha256, sizeof a->archive_sha256);
	a->archive_size = sqlite3_column_int64(st, 4);
	store_column(st, 5, a->merkle_root, sizeof a->merkle_root);
	store_column(st, 6, a->host, sizeof a->host);
	store_column(st, 7, a->collected_at, sizeof a->collected_at);
	store_column(st, 8, a->collected_by, sizeof a->collected_by);
}

/* One artifact by a column's value: 0 found, 1 not, -1 error. */
static int
store_artifact_where(struct store *s, const char *column, const char *value,
    struct store_artifact *a)
{
	char sql[256];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "SELECT " ARTIFACT_COLUMNS
	    " FROM artifacts WHERE %s = ?", column);
	if ((st = store_prepare(s, sql)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store_read_artifact(st, a);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return error_set("no artifact %s in case %s", value, s->case_id), 1;
	return store_error(s, "artifacts");
}

/* An artifact by evidence id. */
int
store_artifact_get(struct store *s, const char *evidence_id,
    struct store_artifact *a)
{
	return store_artifact_where(s, "evidence_id", evidence_id, a);
}

/* An artifact by the SHA-256 of its archive. */
int
store_artifact_by_sha256(struct store *s, const char *sha256,
    struct store_artifact *a)
{
	return store_artifact_where(s, "archive_sha256", sha256, a);
}

/* Record an artifact. */
int
store_artifact_insert(struct store *s, const struct store_artifact *a)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO artifacts ("
	    ARTIFACT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, a->evidence_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->archive_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->archive_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->archive_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, a->archive_size);
	sqlite3_bind_text(st, 6, a->merkle_root, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, a->collected_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, a->collected_by, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return error_set("evidence id %s or its archive is already recorded",
		    a->evidence_id);
	return rc == SQLITE_DONE ? 0 : store_error(s, "artifacts");
}

/* The next free evidence id. */
int
store_next_evidence_id(struct store *s, char out[16])
{
	struct store_artifact a;
	int n, rc;

	for (n = 1; n < 1000000; n++) {
		snprintf(out, 16, "E%03d", n);
		if ((rc = store_artifact_get(s, out, &a)) != 0)
			return rc == 1 ? 0 : -1;
	}
	return error_set("no free evidence id");
}

/* Call fn for every artifact. */
int
store_artifacts(struct store *s, int (*fn)(const struct store_artifact *, void *),
    void *arg)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT " ARTIFACT_COLUMNS
	    " FROM artifacts ORDER BY evidence_id");
	struct store_artifact a;
	int rc = 0;

	if (st == NULL)
		return -1;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		store_read_artifact(st, &a);
		rc = fn(&a, arg);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Record a time-stamp token. */
int
store_timestamp_insert(struct store *s, uint64_t seq, const char *file,
    const char *file_sha256, const unsigned char *token, size_t token_len,
    const char *gen_time, const char *tsa)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO timestamps (event_seq,"
	    " file, file_sha256, token, gen_time, tsa) VALUES (?, ?, ?, ?, ?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, file_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, token, (int)token_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, gen_time, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, tsa, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_error(s, "timestamps");
	sqlite3_finalize(st);
	return rc;
}

/* Call fn for every stored token. */
int
store_timestamps(struct store *s, int (*fn)(uint64_t, const char *, const char *,
    const unsigned char *, size_t, void *), void *arg)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT event_seq, file, file_sha256,"
	    " token FROM timestamps ORDER BY event_seq");
	int rc = 0;

	if (st == NULL)
		return -1;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn((uint64_t)sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3), arg);
	sqlite3_finalize(st);
	return rc;
}
