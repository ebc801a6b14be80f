/* Unit tests: the ledger store: append-only tables, the chain, the tree heads. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/error.h"
#include "custody/store.h"
#include "custody/util.h"

struct fixture {
	char		 dir[64];
	struct store	*store;
	struct key	*key;
};

/* A new case in a temporary directory, with one registered key. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/custody-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	strcat(f->dir, "/case");
	f->store = store_create(f->dir, "CASE-1", "a title");
	f->key = key_generate("Ada", "examiner", NULL);
	if (f->store == NULL || f->key == NULL ||
	    store_handler_insert(f->store, f->key, "2026-01-01T00:00:00Z") != 0)
		return -1;
	*state = f;
	return 0;
}

/* Remove the case. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	char command[128];

	store_close(f->store);
	key_free(f->key);
	snprintf(command, sizeof command, "rm -rf '%.*s'", (int)(strlen(f->dir) - 5), f->dir);
	if (system(command) != 0)
		return -1;
	free(f);
	return 0;
}

/* Append one event in its own transaction. */
static void
append(struct fixture *f, const char *action, const char *counterpart)
{
	struct event e = { .action = action, .counterpart = counterpart };

	assert_int_equal(store_begin(f->store), 0);
	assert_int_equal(store_append(f->store, &e, f->key), 0);
	assert_int_equal(store_commit(f->store), 0);
}

struct chain {
	struct merkle_builder	tree;
	const struct key	*key;
	uint64_t		count;
};

/* Each event commits to the root of the events before it and is signed. */
static int
check_link(const struct store_event *row, void *arg)
{
	struct chain *c = arg;
	merkle_hash root, leaf;
	char prev[65], needle[80];

	merkle_builder_root(&c->tree, root);
	util_hex(root, sizeof root, prev);
	snprintf(needle, sizeof needle, "\"prev\":\"%s\"", prev);
	assert_int_equal(row->ev.seq, c->count + 1);
	assert_non_null(memmem(row->canonical, row->canonical_len, needle, strlen(needle)));
	assert_int_equal(key_verify(c->key, row->canonical, row->canonical_len,
	    row->signature, row->signature_len), 0);
	merkle_leaf_hash(row->canonical, row->canonical_len, leaf);
	merkle_builder_add(&c->tree, leaf);
	c->count++;
	return 0;
}

/* Appended events chain, and the cached heads equal the recomputed roots. */
static void
test_chain(void **state)
{
	struct fixture *f = *state;
	struct chain c = { .key = f->key };
	merkle_hash cached, root;
	uint64_t next;
	int i;

	append(f, "registered", f->key->fingerprint);
	for (i = 0; i < 20; i++)
		append(f, "accessed", NULL);
	merkle_builder_init(&c.tree);
	assert_int_equal(store_events(f->store, NULL, check_link, &c), 0);
	assert_int_equal(c.count, 21);
	merkle_builder_root(&c.tree, root);
	assert_int_equal(store_tree_head(f->store, 21, cached), 0);
	assert_memory_equal(cached, root, sizeof root);
	assert_int_equal(store_tree_head(f->store, 22, cached), 1);
	assert_int_equal(store_next_seq(f->store, &next), 0);
	assert_int_equal(next, 22);
}

/* A registration's details are rebuilt from the handler row. */
static void
test_details(void **state)
{
	struct fixture *f = *state;
	struct event e = { .action = "registered" };
	json_t *d;
	int error;

	e.counterpart = f->key->fingerprint;
	d = store_details(f->store, &e, &error);
	assert_false(error);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "Ada");
	json_decref(d);
	e.counterpart = "0000";
	assert_null(store_details(f->store, &e, &error));
	assert_true(error);
	e.action = "analysed";
	assert_null(store_details(f->store, &e, &error));
	assert_false(error);
}

/* Triggers refuse UPDATE and DELETE on the history. */
static void
test_append_only(void **state)
{
	struct fixture *f = *state;
	char path[128];
	sqlite3 *db;

	append(f, "registered", f->key->fingerprint);
	snprintf(path, sizeof path, "%s/%s", f->dir, STORE_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE events SET note = 'x'", NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM handlers", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM tree_heads", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE case_info SET case_id = 'X'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Handlers are found by fingerprint, prefix or name; duplicates are refused. */
static void
test_handlers(void **state)
{
	struct fixture *f = *state;
	struct store_handler h;
	char prefix[9];

	assert_int_equal(store_handler_find(f->store, "Ada", &h), 0);
	assert_string_equal(h.fingerprint, f->key->fingerprint);
	memcpy(prefix, f->key->fingerprint, 8);
	prefix[8] = '\0';
	assert_int_equal(store_handler_find(f->store, prefix, &h), 0);
	assert_int_equal(store_handler_find(f->store, "Nobody", &h), 1);
	assert_int_equal(store_handler_insert(f->store, f->key, "2026"), -1);
	/* A row no signed registration binds is no signer for a writer. */
	assert_int_equal(store_require_handler(f->store, f->key, &h), -1);
	assert_non_null(strstr(error_message(), "not bound to a signed registration"));
	append(f, "registered", f->key->fingerprint);
	assert_int_equal(store_require_handler(f->store, f->key, &h), 0);
	assert_int_equal(store_handler_bound(f->store, &h), 0);
}

/* Evidence ids count up; artifacts are found by id and by archive hash. */
static void
test_artifacts(void **state)
{
	struct fixture *f = *state;
	struct store_artifact a = { 0 }, back;
	char id[16];

	assert_int_equal(store_next_evidence_id(f->store, id), 0);
	assert_string_equal(id, "E001");
	strcpy(a.evidence_id, id);
	strcpy(a.archive_name, "x.tar.zst");
	memset(a.archive_sha256, 'a', 64);
	memset(a.merkle_root, 'b', 64);
	strcpy(a.host, "h");
	strcpy(a.collected_at, "t");
	strcpy(a.collected_by, f->key->fingerprint);
	assert_int_equal(store_artifact_insert(f->store, &a), 0);
	assert_int_equal(store_next_evidence_id(f->store, id), 0);
	assert_string_equal(id, "E002");
	assert_int_equal(store_artifact_by_sha256(f->store, a.archive_sha256, &back), 0);
	assert_string_equal(back.evidence_id, "E001");
	assert_int_equal(store_artifact_insert(f->store, &a), -1);
	assert_int_equal(store_artifact_get(f->store, "E009", &back), 1);
}

/* A second open sees the same case; a directory without a ledger is refused. */
static void
test_open(void **state)
{
	struct fixture *f = *state;
	struct store *again = store_open(f->dir);

	assert_non_null(again);
	assert_string_equal(store_case_id(again), "CASE-1");
	assert_string_equal(store_title(again), "a title");
	store_close(again);
	assert_null(store_open("/nonexistent-custody-case"));
	assert_null(store_create(f->dir, "CASE-2", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handlers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_artifacts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
