/* custody ledger log: the custody history, readable by a lawyer. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/store.h"
#include "custody/util.h"
#include "ledger.h"

struct log_state {
	struct store	*store;
	json_t		*json;		/* --json: the events; NULL for text */
	uint64_t	 count;
};

static const struct option log_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "artifact", required_argument, NULL, 'a' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

/* Print a free text, escaped, after a label. */
static void
log_text(const char *label, const char *text)
{
	char *escaped;

	if (text == NULL)
		return;
	escaped = util_escape(text, strlen(text));
	printf("; %s: %s", label, escaped != NULL ? escaped : "?");
	free(escaped);
}

/* What an event did, in words. */
static void
log_sentence(struct log_state *st, const struct event *e)
{
	char who[600], other[600];
	struct store_artifact a;

	ledger_person(st->store, e->handler, who, sizeof who);
	if (strcmp(e->action, "registered") == 0)
		printf("registered %s, by %s", ledger_person(st->store,
		    e->counterpart, other, sizeof other), who);
	else if (strcmp(e->action, "released") == 0)
		printf("%s released by %s to %s", e->artifact, who,
		    ledger_person(st->store, e->counterpart, other, sizeof other));
	else if (strcmp(e->action, "received") == 0)
		printf("%s received by %s (completing #%llu)", e->artifact, who,
		    (unsigned long long)e->refers);
	else if (strcmp(e->action, "collected") == 0 &&
	    store_artifact_get(st->store, e->artifact, &a) == 0)
		printf("%s collected by %s from host %s: %s (%lld bytes, SHA-256 %s)",
		    e->artifact, who, a.host, a.archive_name,
		    (long long)a.archive_size, a.archive_sha256);
	else
		printf("%s%s%s by %s", e->artifact != NULL ? e->artifact : "",
		    e->artifact != NULL ? " " : "", e->action, who);
}

/* One event as a JSON object with names beside fingerprints. */
static json_t *
log_event_json(struct log_state *st, const struct event *e)
{
	char who[600], other[600];

	return json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s, s:s?, s:s?, s:o?, s:s?, s:s?}",
	    "seq", (json_int_t)e->seq, "time", e->time, "action", e->action,
	    "artifact", e->artifact, "handler", e->handler,
	    "handler_name", ledger_person(st->store, e->handler, who, sizeof who),
	    "counterpart", e->counterpart,
	    "counterpart_name", e->counterpart != NULL ? ledger_person(st->store,
	    e->counterpart, other, sizeof other) : NULL,
	    "refers", e->refers != 0 ? json_integer((json_int_t)e->refers) : NULL,
	    "location", e->location, "note", e->note);
}

/* store_events callback: print or collect one event. */
static int
log_event(const struct store_event *row, void *arg)
{
	struct log_state *st = arg;
	const struct event *e = &row->ev;
	char when[64];

	st->count++;
	if (st->json != NULL)
		return json_array_append_new(st->json, log_event_json(st, e));
	printf("#%-4llu %s  ", (unsigned long long)e->seq,
	    ledger_time(e->time, when, sizeof when));
	log_sentence(st, e);
	log_text("at", e->location);
	log_text("note", e->note);
	putchar('\n');
	return 0;
}

/* custody ledger log. */
int
ledger_log_command(int argc, char **argv)
{
	struct log_state st = { 0 };
	const char *dir = NULL, *artifact = NULL;
	json_t *doc;
	bool json = false;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", log_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': dir = optarg; break;
		case 'a': artifact = optarg; break;
		case 'j': json = true; break;
		default: return command_usage(&cmd_ledger_entry);
		}
	}
	if (optind != argc)
		return command_usage(&cmd_ledger_entry);
	if ((st.store = ledger_open(dir)) == NULL)
		return command_fail("ledger log", EXIT_USAGE);
	if (json)
		st.json = json_array();
	else
		printf("Case %s%s%s%s\n", store_case_id(st.store),
		    store_title(st.store) != NULL ? ": \"" : "",
		    store_title(st.store) != NULL ? store_title(st.store) : "",
		    store_title(st.store) != NULL ? "\"" : "");
	rc = store_events(st.store, artifact, log_event, &st);
	if (rc == 0 && json) {
		doc = json_pack("{s:s, s:s?, s:O}", "case_id",
		    store_case_id(st.store), "title", store_title(st.store),
		    "events", st.json);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	} else if (rc == 0)
		printf("%llu event%s\n", (unsigned long long)st.count,
		    st.count == 1 ? "" : "s");
	json_decref(st.json);
	store_close(st.store);
	return rc == 0 ? EXIT_VERIFIED : command_fail("ledger log", EXIT_USAGE);
}
