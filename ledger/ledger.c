/* What the ledger commands share: finding the case, the signer, the people. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/store.h"
#include "custody/util.h"
#include "ledger.h"

/* The case directory from the option or $CUSTODY_CASE. */
const char *
ledger_case_dir(const char *option)
{
	const char *dir = option != NULL ? option : getenv("CUSTODY_CASE");

	if (dir == NULL || dir[0] == '\0')
		error_set("no case: give --case DIR or set CUSTODY_CASE");
	return dir != NULL && dir[0] != '\0' ? dir : NULL;
}

/* Open the case's ledger. */
struct store *
ledger_open(const char *option)
{
	const char *dir = ledger_case_dir(option);

	return dir != NULL ? store_open(dir) : NULL;
}

/* Load a signing key and check its registration. */
struct key *
ledger_signer(struct store *s, const char *key_path, const char *passphrase_file,
    struct store_handler *who)
{
	struct key *key;

	if (key_path == NULL) {
		error_set("--key is required: every event is signed");
		return NULL;
	}
	if ((key = key_load_signing(key_path, passphrase_file)) == NULL)
		return NULL;
	if (store_require_handler(s, key, who) != 0) {
		key_free(key);
		return NULL;
	}
	return key;
}

/* Register a public key, signed by the registrar. */
int
ledger_register(struct store *s, const struct key *key,
    const struct key *registrar)
{
	struct event e = { .action = "registered" };
	char now[UTIL_TIME_SIZE];
	struct timespec ts;

	util_time_now(&ts);
	util_time_format(&ts, now);
	e.counterpart = key->fingerprint;
	if (store_begin(s) != 0)
		return -1;
	if (store_handler_insert(s, key, now) == 0 &&
	    store_append(s, &e, registrar) == 0 && store_commit(s) == 0)
		return 0;
	store_rollback(s);
	return -1;
}

/* "Name (role, organization)" of a fingerprint. */
const char *
ledger_person(struct store *s, const char *fingerprint, char *out, size_t size)
{
	struct store_handler h;

	if (fingerprint == NULL)
		snprintf(out, size, "(nobody)");
	else if (store_handler_find(s, fingerprint, &h) != 0 ||
	    strcmp(h.fingerprint, fingerprint) != 0)
		snprintf(out, size, "unregistered key %.16s", fingerprint);
	else if (h.organization[0] != '\0')
		snprintf(out, size, "%s (%s, %s)", h.name, h.role, h.organization);
	else
		snprintf(out, size, "%s (%s)", h.name, h.role);
	return out;
}

/* A readable UTC time from ISO-8601. */
const char *
ledger_time(const char *iso, char *out, size_t size)
{
	/* "2026-11-23T17:12:07.123456789Z" -> "2026-11-23 17:12:07 UTC" */
	if (iso == NULL || strlen(iso) < 19)
		snprintf(out, size, "%s", iso != NULL ? iso : "?");
	else
		snprintf(out, size, "%.10s %.8s UTC", iso, iso + 11);
	return out;
}

/* Open an output file exclusively, or stdout. */
FILE *
ledger_output(const char *path)
{
	FILE *f;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdout;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		error_set_errno("%s", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return f;
}

/* Close an output, removing a file that could not be written whole. */
int
ledger_output_close(FILE *f, const char *path, int failed)
{
	int io_failed = fflush(f) != 0 || ferror(f);

	if (f == stdout)
		return io_failed ? error_set_errno("stdout") : failed ? -1 : 0;
	if (fsync(fileno(f)) != 0)
		io_failed = 1;
	if (fclose(f) != 0)
		io_failed = 1;
	if (io_failed || failed) {
		if (io_failed)
			error_set_errno("%s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* Follow one event's effect on the holding, as signed (not as the columns say). */
static int
ledger_holding_step(const struct store_event *row, void *arg)
{
	struct ledger_holding *h = arg;
	struct event signed_event, *e = &signed_event;
	json_t *o = event_parse(row->canonical, row->canonical_len, e);

	if (o == NULL)
		return error_prefix("event %llu is not a signed canonical event, "
		    "so nothing is written (custody ledger verify)",
		    (unsigned long long)row->ev.seq);
	/* Its row is found by the artifact column: the signed one must agree. */
	if (h->artifact != NULL && (e->artifact == NULL ||
	    strcmp(e->artifact, h->artifact) != 0)) {
		json_decref(o);
		return error_set("event %llu is stored under %s but signed for "
		    "another artifact, so nothing is written (custody ledger "
		    "verify)", (unsigned long long)row->ev.seq, h->artifact);
	}
	if (strcmp(e->action, "collected") == 0 || strcmp(e->action, "ingested") == 0)
		snprintf(h->holder, sizeof h->holder, "%s", e->handler);
	else if (strcmp(e->action, "released") == 0 && e->counterpart != NULL) {
		h->pending_release = e->seq;
		snprintf(h->pending_to, sizeof h->pending_to, "%s", e->counterpart);
	} else if (strcmp(e->action, "received") == 0 &&
	    e->refers == h->pending_release && h->pending_release != 0 &&
	    strcmp(e->handler, h->pending_to) == 0) {
		snprintf(h->holder, sizeof h->holder, "%s", e->handler);
		h->pending_release = 0;
		h->pending_to[0] = '\0';
	}
	json_decref(o);
	return 0;
}

/* Work out the holding of an artifact. */
int
ledger_holding(struct store *s, const char *artifact, struct ledger_holding *h)
{
	memset(h, 0, sizeof *h);
	h->artifact = artifact;
	return store_events(s, artifact, ledger_holding_step, h);
}

struct ledger_leaf_list {
	merkle_hash	*leaves;
	uint64_t	 count;
	uint64_t	 capacity;
};

/* Hash one event's canonical bytes as a leaf. */
static int
ledger_leaf_step(const struct store_event *row, void *arg)
{
	struct ledger_leaf_list *l = arg;
	merkle_hash *grown;

	if (l->count == l->capacity) {
		l->capacity = l->capacity != 0 ? l->capacity * 2 : 256;
		if ((grown = realloc(l->leaves, l->capacity * sizeof *grown)) == NULL)
			return error_set_errno("realloc");
		l->leaves = grown;
	}
	merkle_leaf_hash(row->canonical, row->canonical_len, l->leaves[l->count++]);
	return 0;
}

/* The leaf hashes of every event. */
int
ledger_leaves(struct store *s, merkle_hash **leaves, uint64_t *count)
{
	struct ledger_leaf_list l = { 0 };

	if (store_events(s, NULL, ledger_leaf_step, &l) != 0) {
		free(l.leaves);
		return -1;
	}
	*leaves = l.leaves;
	*count = l.count;
	return 0;
}
