/*
 * custody audit: read every event of a case in seq order and report the
 * custody anomalies, one finding a line: actions by someone who did not
 * hold the artifact, hand-overs never received, receipts without their
 * release, times running backwards, archives that no longer match, keys
 * that are not registered, events and artifacts that do not pair up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/event.h"
#include "custody/hash.h"
#include "custody/store.h"
#include "custody/util.h"
#include "ledger.h"

#define AUDIT_ARCHIVE_DIRS	16
#define AUDIT_READ_SIZE		65536
#define AUDIT_REASON_MAX	1024
#define AUDIT_PERSON_MAX	(3 * KEY_FIELD_MAX + 16)

/* One artifact's custody as the events go by. */
struct audit_artifact {
	char		id[65];
	char		collected_by[65];	/* as the artifact row records */
	char		holder[65];		/* "" before collection */
	char		pending_to[65];
	uint64_t	pending;		/* the release waiting, or 0 */
	uint64_t	collected;		/* its collected event, or 0 */
};

/* A release and what became of it. */
struct audit_release {
	uint64_t	seq;
	size_t		artifact;		/* index into audit.artifacts */
	char		to[65];
	uint64_t	received;		/* the receipt's seq, or 0 */
};

/* The audit of one case: what it knows so far, and its findings. */
struct audit {
	struct store		*store;
	struct store_check	 check;		/* the verified ledger: its signed events */
	const char		*dirs[AUDIT_ARCHIVE_DIRS];	/* --archives */
	size_t			 dir_count;
	bool			 json;
	char			(*handlers)[65];	/* sorted fingerprints */
	size_t			 handler_count;
	struct audit_artifact	*artifacts;		/* sorted by id */
	size_t			 artifact_count;
	struct audit_release	*releases;		/* in seq order */
	size_t			 release_count;
	uint64_t		 events;
	char			 last_time[UTIL_TIME_SIZE];
	uint64_t		 last_seq;
	json_t			*findings;
	int			 failed;	/* operational errors, reported */
};

static const struct option audit_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "archives", required_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 }
};

/* Record one finding: the artifact (or NULL), the event (or 0) and why. */
static int __attribute__((format(printf, 4, 5)))
audit_finding(struct audit *a, const char *artifact, uint64_t seq,
    const char *fmt, ...)
{
	char reason[AUDIT_REASON_MAX], *id = NULL, *why;
	va_list ap;
	json_t *f;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	/* Ledger texts may hold anything once edited by hand: escape them. */
	if ((artifact != NULL && (id = util_escape(artifact,
	    strlen(artifact))) == NULL) ||
	    (why = util_escape(reason, strlen(reason))) == NULL) {
		free(id);
		return -1;
	}
	f = json_pack("{s:s?, s:o?, s:s}", "artifact", id, "event", seq != 0 ?
	    json_integer((json_int_t)seq) : NULL, "reason", why);
	free(id);
	free(why);
	if (f == NULL || json_array_append_new(a->findings, f) != 0)
		return error_set("out of memory recording a finding");
	return 0;
}

/* "Name (role, organization)" of a key, for a finding. */
static const char *
audit_person(struct audit *a, const char *fingerprint,
    char out[AUDIT_PERSON_MAX])
{
	return ledger_person(a->store, fingerprint, out, AUDIT_PERSON_MAX);
}

/* Order fixed-size strings for qsort and bsearch. */
static int
audit_compare(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* True when a key is in the handlers table. */
static bool
audit_registered(const struct audit *a, const char *fingerprint)
{
	return fingerprint != NULL && strlen(fingerprint) < 65 &&
	    bsearch(fingerprint, a->handlers, a->handler_count,
	    sizeof *a->handlers, audit_compare) != NULL;
}

/* Keep one handler's fingerprint. */
static int
audit_handler_step(const struct store_handler *h, void *arg)
{
	struct audit *a = arg;
	char (*grown)[65];

	grown = reallocarray(a->handlers, a->handler_count + 1, sizeof *grown);
	if (grown == NULL)
		return error_set_errno("reallocarray");
	a->handlers = grown;
	snprintf(a->handlers[a->handler_count++], 65, "%s", h->fingerprint);
	return 0;
}

/* Keep one artifact, not yet collected. */
static int
audit_artifact_step(const struct store_artifact *art, void *arg)
{
	struct audit *a = arg;
	struct audit_artifact *grown;

	grown = reallocarray(a->artifacts, a->artifact_count + 1, sizeof *grown);
	if (grown == NULL)
		return error_set_errno("reallocarray");
	a->artifacts = grown;
	grown += a->artifact_count++;
	memset(grown, 0, sizeof *grown);
	snprintf(grown->id, sizeof grown->id, "%s", art->evidence_id);
	snprintf(grown->collected_by, sizeof grown->collected_by, "%s",
	    art->collected_by);
	return 0;
}

/* The state of a recorded artifact, or NULL. */
static struct audit_artifact *
audit_artifact_find(struct audit *a, const char *id)
{
	if (strlen(id) >= sizeof a->artifacts->id)
		return NULL;
	return bsearch(id, a->artifacts, a->artifact_count, sizeof *a->artifacts,
	    audit_compare);
}

/* The release with this seq, or NULL. */
static struct audit_release *
audit_release_find(struct audit *a, uint64_t seq)
{
	size_t low = 0, high = a->release_count, mid;

	while (low < high) {
		mid = low + (high - low) / 2;
		if (a->releases[mid].seq == seq)
			return &a->releases[mid];
		if (a->releases[mid].seq < seq)
			low = mid + 1;
		else
			high = mid;
	}
	return NULL;
}

/* The decimal value of n digits. */
static int
audit_digits(const char *p, size_t n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*p++ - '0');
	return v;
}

/* True when a time has the shape custody writes: YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ. */
static bool
audit_time_shaped(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
	size_t i;

	if (strlen(t) != sizeof shape - 1)
		return false;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != shape[i])
			return false;
	return true;
}

/* True when a time is as custody writes it, and a day and time that exist. */
static bool
audit_time_ok(const char *t)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int year, month, day, leap;

	if (!audit_time_shaped(t))
		return false;
	year = audit_digits(t, 4);
	month = audit_digits(t + 5, 2);
	day = audit_digits(t + 8, 2);
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month >= 1 && month <= 12 && day >= 1 &&
	    day <= days[month - 1] + (month == 2 && leap) &&
	    audit_digits(t + 11, 2) < 24 && audit_digits(t + 14, 2) < 60 &&
	    audit_digits(t + 17, 2) < 60;
}

/* (d) An event's time must not be earlier than the previous event's. */
static int
audit_time(struct audit *a, const struct event *e)
{
	int rc = 0;

	if (!audit_time_ok(e->time))
		return audit_finding(a, e->artifact, e->seq,
		    "time \"%s\" is not UTC ISO-8601 as custody writes it", e->time);
	/* One fixed-width UTC format: text order is time order. */
	if (a->last_seq != 0 && strcmp(e->time, a->last_time) < 0)
		rc = audit_finding(a, e->artifact, e->seq, "time %s is earlier "
		    "than that of the previous event #%" PRIu64 " (%s)", e->time,
		    a->last_seq, a->last_time);
	snprintf(a->last_time, sizeof a->last_time, "%s", e->time);
	a->last_seq = e->seq;
	return rc;
}

/* (f) The signer, and a registered or released-to key, must be registered. */
static int
audit_keys(struct audit *a, const struct event *e)
{
	if (!audit_registered(a, e->handler) && audit_finding(a, e->artifact,
	    e->seq, "%s event signed by key %s, which is not registered",
	    e->action, e->handler) != 0)
		return -1;
	if (e->counterpart != NULL && !audit_registered(a, e->counterpart) &&
	    (strcmp(e->action, "released") == 0 ||
	    strcmp(e->action, "registered") == 0))
		return audit_finding(a, e->artifact, e->seq, "%s names key %s, "
		    "which is not registered", e->action, e->counterpart);
	return 0;
}

/* (a) Whoever releases or acts on an artifact must hold it. */
static int
audit_holder(struct audit *a, struct audit_artifact *art, const struct event *e)
{
	char who[AUDIT_PERSON_MAX], holder[AUDIT_PERSON_MAX];

	if (strcmp(art->holder, e->handler) == 0)
		return 0;
	audit_person(a, e->handler, who);
	if (art->holder[0] == '\0')
		return audit_finding(a, art->id, e->seq, "%s by %s before the "
		    "artifact was collected", e->action, who);
	return audit_finding(a, art->id, e->seq, "%s by %s, who did not hold it "
	    "(held by %s)", e->action, who, audit_person(a, art->holder, holder));
}

/* A collection: the first makes the collector the holder. */
static int
audit_collected(struct audit *a, struct audit_artifact *art,
    const struct event *e)
{
	char who[AUDIT_PERSON_MAX], recorded[AUDIT_PERSON_MAX];

	if (art->collected != 0)
		return audit_finding(a, art->id, e->seq, "collected again (first "
		    "collected at #%" PRIu64 ")", art->collected);
	art->collected = e->seq;
	snprintf(art->holder, sizeof art->holder, "%s", e->handler);
	if (strcmp(art->collected_by, e->handler) == 0)
		return 0;
	audit_person(a, e->handler, who);
	return audit_finding(a, art->id, e->seq, "collected by %s, but the "
	    "artifact records %s as its collector", who,
	    audit_person(a, art->collected_by, recorded));
}

/* A release: the holder names a receiver; it waits for the receipt. */
static int
audit_released(struct audit *a, struct audit_artifact *art,
    const struct event *e)
{
	struct audit_release *grown, *r;

	if (audit_holder(a, art, e) != 0)
		return -1;
	grown = reallocarray(a->releases, a->release_count + 1, sizeof *grown);
	if (grown == NULL)
		return error_set_errno("reallocarray");
	a->releases = grown;
	r = &a->releases[a->release_count++];
	memset(r, 0, sizeof *r);
	r->seq = e->seq;
	r->artifact = (size_t)(art - a->artifacts);
	snprintf(r->to, sizeof r->to, "%s", e->counterpart != NULL ?
	    e->counterpart : "");
	if (art->pending != 0 && audit_finding(a, art->id, e->seq, "released "
	    "while release #%" PRIu64 " was still waiting to be received",
	    art->pending) != 0)
		return -1;
	art->pending = e->seq;
	snprintf(art->pending_to, sizeof art->pending_to, "%s", r->to);
	if (e->counterpart == NULL)
		return audit_finding(a, art->id, e->seq, "release names no receiver");
	return 0;
}

/* (c) Why a receipt completes no release; NULL when it completes the pending. */
static const char *
audit_receipt_problem(struct audit *a, struct audit_artifact *art,
    const struct event *e, char *why, size_t size)
{
	struct audit_release *r = audit_release_find(a, e->refers);
	char to[AUDIT_PERSON_MAX];

	if (e->refers == 0)
		snprintf(why, size, "receipt names no release");
	else if (e->refers >= e->seq || r == NULL)
		snprintf(why, size, "receipt names #%" PRIu64 ", which is not an "
		    "earlier release", e->refers);
	else if (r->artifact != (size_t)(art - a->artifacts))
		snprintf(why, size, "receipt names release #%" PRIu64 ", which is "
		    "of %s", e->refers, a->artifacts[r->artifact].id);
	else if (r->received != 0)
		snprintf(why, size, "release #%" PRIu64 " was already received at "
		    "#%" PRIu64, e->refers, r->received);
	else if (strcmp(r->to, e->handler) != 0)
		snprintf(why, size, "received by someone release #%" PRIu64
		    " did not name (it was to %s)", e->refers,
		    audit_person(a, r->to, to));
	else if (art->pending != r->seq)
		snprintf(why, size, "release #%" PRIu64 " was replaced by release "
		    "#%" PRIu64, e->refers, art->pending);
	else
		return NULL;
	return why;
}

/* A receipt: completes the pending release to its signer, who now holds it. */
static int
audit_received(struct audit *a, struct audit_artifact *art,
    const struct event *e)
{
	char why[AUDIT_REASON_MAX / 2], who[AUDIT_PERSON_MAX];

	if (audit_receipt_problem(a, art, e, why, sizeof why) != NULL)
		return audit_finding(a, art->id, e->seq, "received by %s: %s",
		    audit_person(a, e->handler, who), why);
	audit_release_find(a, e->refers)->received = e->seq;
	snprintf(art->holder, sizeof art->holder, "%s", e->handler);
	art->pending = 0;
	art->pending_to[0] = '\0';
	return 0;
}

/* Follow one event about a recorded artifact. */
static int
audit_custody(struct audit *a, struct audit_artifact *art,
    const struct event *e)
{
	int recordable;

	event_action_known(e->action, &recordable);
	if (strcmp(e->action, "collected") == 0 || strcmp(e->action, "ingested") == 0)
		return audit_collected(a, art, e);
	if (strcmp(e->action, "released") == 0)
		return audit_released(a, art, e);
	if (strcmp(e->action, "received") == 0)
		return audit_received(a, art, e);
	if (recordable)
		return audit_holder(a, art, e);
	/* registered and timestamped need no custody. */
	return 0;
}

/* (g) Events that must name an artifact, and those naming one not recorded. */
static int
audit_event(const struct store_signed *s, void *arg)
{
	struct audit *a = arg;
	const struct event *e = &s->row.ev;
	struct audit_artifact *art;
	int recordable;

	a->events++;
	if (audit_time(a, e) != 0 || audit_keys(a, e) != 0)
		return -1;
	if (!event_action_known(e->action, &recordable))
		return audit_finding(a, e->artifact, e->seq, "unknown action "
		    "\"%s\"", e->action);
	if (e->artifact == NULL)
		return recordable || strcmp(e->action, "collected") == 0 ||
		    strcmp(e->action, "ingested") == 0 ||
		    strcmp(e->action, "released") == 0 ||
		    strcmp(e->action, "received") == 0 ? audit_finding(a, NULL,
		    e->seq, "%s event names no artifact", e->action) : 0;
	if ((art = audit_artifact_find(a, e->artifact)) == NULL)
		return audit_finding(a, e->artifact, e->seq, "%s event about an "
		    "artifact that is not recorded", e->action);
	return audit_custody(a, art, e);
}

/* (b) and (g) What the end of the ledger leaves open. */
static int
audit_open_ends(struct audit *a)
{
	char to[AUDIT_PERSON_MAX];
	size_t i;

	/* A release naming no receiver was reported as such at its event. */
	for (i = 0; i < a->release_count; i++)
		if (a->releases[i].received == 0 && a->releases[i].to[0] != '\0' &&
		    audit_finding(a, a->artifacts[a->releases[i].artifact].id,
		    a->releases[i].seq, "released to %s, never received",
		    audit_person(a, a->releases[i].to, to)) != 0)
			return -1;
	for (i = 0; i < a->artifact_count; i++)
		if (a->artifacts[i].collected == 0 && audit_finding(a,
		    a->artifacts[i].id, 0, "no collected event records this "
		    "artifact") != 0)
			return -1;
	return 0;
}

/* SHA-256 of a file, streamed: 0 hashed, 1 absent, -1 unreadable (error set). */
static int
audit_hash_file(const char *path, char hex[HASH_HEX_SIZE])
{
	unsigned char buf[AUDIT_READ_SIZE];
	struct hash_set h;
	ssize_t n;
	int fd, rc = 0;

	if ((fd = util_open_file(AT_FDCWD, path, NULL)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 1 : -1;
	if (hash_set_init(&h, HASH_MASK(HASH_SHA256)) != 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || hash_set_update(&h, buf, (size_t)n) != 0) {
			rc = n < 0 ? error_set_errno("%s", path) : -1;
			break;
		}
	}
	if (rc == 0 && (rc = hash_set_final(&h)) == 0)
		hash_set_hex(&h, HASH_SHA256, hex);
	hash_set_free(&h);
	close(fd);
	return rc;
}

/* Compare one candidate with the recorded hash: 0 done, 1 absent, -1 error. */
static int
audit_archive_at(struct audit *a, const struct store_artifact *art,
    const char *path, uint64_t seq)
{
	char hex[HASH_HEX_SIZE];
	int rc = audit_hash_file(path, hex);

	if (rc == 1)
		return 1;
	if (rc != 0) {
		/* Unreadable is no verdict: say so, go on, exit 2 at the end. */
		fprintf(stderr, "custody audit: %s: %s\n", art->evidence_id,
		    error_message());
		a->failed = 1;
		return 0;
	}
	if (strcmp(hex, art->archive_sha256) == 0)
		return 0;
	return audit_finding(a, art->evidence_id, seq, "archive %s has SHA-256 "
	    "%s, not the %s recorded at collection", path, hex,
	    art->archive_sha256) != 0 ? -1 : 0;
}

/* True when an archive name is a plain file name, safe to join to a directory. */
static bool
audit_plain_name(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Try one candidate path, adding it to the list of places looked at. */
static int
audit_try(struct audit *a, const struct store_artifact *art, const char *dir,
    uint64_t seq, char *looked, size_t size)
{
	char path[8192];
	size_t used = strlen(looked);

	if (dir != NULL && (size_t)snprintf(path, sizeof path, "%s/%s", dir,
	    art->archive_name) >= sizeof path)
		return 1;
	if (dir == NULL)
		snprintf(path, sizeof path, "%s", art->archive_path);
	snprintf(looked + used, size - used, "%s%s", used != 0 ? ", " : "", path);
	return audit_archive_at(a, art, path, seq);
}

/* (e) The archive on disk must still have the SHA-256 recorded at collection. */
static int
audit_archive(const struct store_artifact *art, void *arg)
{
	struct audit *a = arg;
	struct audit_artifact *state = audit_artifact_find(a, art->evidence_id);
	uint64_t seq = state != NULL ? state->collected : 0;
	char looked[4096] = "";
	size_t i;
	int rc = 1;

	/* The case directory first: a copied or moved case checks its own archive. */
	if (audit_plain_name(art->archive_name))
		rc = audit_try(a, art, store_dir(a->store), seq, looked,
		    sizeof looked);
	if (rc == 1 && art->archive_path[0] != '\0')
		rc = audit_try(a, art, NULL, seq, looked, sizeof looked);
	for (i = 0; rc == 1 && i < a->dir_count &&
	    audit_plain_name(art->archive_name); i++)
		rc = audit_try(a, art, a->dirs[i], seq, looked, sizeof looked);
	if (rc != 1)
		return rc;
	return audit_finding(a, art->evidence_id, seq, "archive not found "
	    "(looked at %s)", looked[0] != '\0' ? looked : "nothing: no path "
	    "and no plain archive name");
}

/* Read the ledger and collect every finding. 0, or -1 with the error set. */
static int
audit_run(struct audit *a)
{
	if ((a->findings = json_array()) == NULL)
		return error_set("out of memory");
	if (store_handlers(a->store, audit_handler_step, a) != 0 ||
	    store_artifacts(a->store, audit_artifact_step, a) != 0)
		return -1;
	qsort(a->handlers, a->handler_count, sizeof *a->handlers, audit_compare);
	qsort(a->artifacts, a->artifact_count, sizeof *a->artifacts,
	    audit_compare);
	if (ledger_warn_check(a->store, &a->check, "audit") != 0 ||
	    store_check_events(&a->check, NULL, audit_event, a) != 0 ||
	    audit_open_ends(a) != 0)
		return -1;
	return store_artifacts(a->store, audit_archive, a);
}

/* Print the findings as text lines and a summary. */
static void
audit_print_text(struct audit *a)
{
	json_t *f;
	size_t i;
	char *case_id = util_escape(store_case_id(a->store),
	    strlen(store_case_id(a->store)));

	if (!store_check_ok(&a->check))
		ledger_warn_problems(&a->check, stdout, "");
	json_array_foreach(a->findings, i, f) {
		printf("FINDING %s #", json_is_string(json_object_get(f,
		    "artifact")) ? json_string_value(json_object_get(f,
		    "artifact")) : "-");
		if (json_is_integer(json_object_get(f, "event")))
			printf("%" JSON_INTEGER_FORMAT, json_integer_value(
			    json_object_get(f, "event")));
		else
			putchar('-');
		printf(": %s\n", json_string_value(json_object_get(f, "reason")));
	}
	printf("audit: case %s: %" PRIu64 " events, %zu artifacts, %zu findings\n",
	    case_id != NULL ? case_id : "?", a->events, a->artifact_count,
	    json_array_size(a->findings));
	free(case_id);
}

/* Print the verdict as one JSON document. */
static int
audit_print_json(struct audit *a)
{
	json_t *o = json_pack("{s:b, s:O, s:s, s:I, s:I, s:O, s:b}",
	    "verified", store_check_ok(&a->check),
	    "problems", a->check.problems,
	    "case_id", store_case_id(a->store), "events", (json_int_t)a->events,
	    "artifacts", (json_int_t)a->artifact_count, "findings", a->findings,
	    "clean", json_array_size(a->findings) == 0 &&
	    store_check_ok(&a->check));
	int rc;

	if (o == NULL)
		return error_set("cannot build the JSON report");
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc != 0 || putchar('\n') == EOF)
		return error_set_errno("stdout");
	return 0;
}

/* Parse the options; -1 on a usage error. */
static int
audit_parse(struct audit *a, const char **dir, int argc, char **argv)
{
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", audit_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': *dir = optarg; break;
		case 'j': a->json = true; break;
		case 'a':
			if (a->dir_count == AUDIT_ARCHIVE_DIRS)
				return -1;
			a->dirs[a->dir_count++] = optarg;
			break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* custody audit. */
static int
cmd_audit_exec(int argc, char **argv)
{
	struct audit a = { 0 };
	const char *dir = NULL;
	int status;

	if (audit_parse(&a, &dir, argc, argv) != 0)
		return command_usage(&cmd_audit_entry);
	if ((a.store = ledger_open(dir)) == NULL)
		return command_fail("audit", EXIT_USAGE);
	if (audit_run(&a) != 0)
		status = command_fail("audit", EXIT_USAGE);
	else if ((a.json ? audit_print_json(&a) : (audit_print_text(&a), 0)) != 0)
		status = command_fail("audit", EXIT_USAGE);
	else if (!store_check_ok(&a.check))
		status = EXIT_INTEGRITY;	/* known tampering outranks an unreadable archive */
	else if (a.failed)
		status = EXIT_USAGE;
	else
		status = json_array_size(a.findings) != 0 ? EXIT_INTEGRITY :
		    EXIT_VERIFIED;
	store_check_free(&a.check);
	json_decref(a.findings);
	free(a.handlers);
	free(a.artifacts);
	free(a.releases);
	store_close(a.store);
	return status;
}

const struct command cmd_audit_entry = {
	"audit",
	"audit --case DIR [--archives DIR]... [--json]\n"
	"       (--case may come from CUSTODY_CASE)",
	"report custody anomalies: who held what, when, and whether archives match",
	cmd_audit_exec
};
