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
	struct store_check check;	/* the verified ledger: its signed events */
	json_t		*json;		/* --json: the events; NULL for text */
	uint64_t	 count;
};

static const struct option log_longopts[] = {
	{ "case", required_argument, NULL, 'c' },
	{ "artifact", required_argument, NULL, 'a' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

/* Print a text, escaped ("?" for none). */
static void
log_escaped(const char *text)
{
	char *escaped = text != NULL ? util_escape(text, strlen(text)) : NULL;

	fputs(escaped != NULL ? escaped : "?", stdout);
	free(escaped);
}

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

/* A collection, in words, from its signed details. */
static void
log_collected(const struct event *e, const char *who)
{
	json_t *d = e->details;

	printf("%s collected by %s from host ", e->artifact, who);
	log_escaped(json_string_value(json_object_get(d, "host")));
	putchar(':');
	putchar(' ');
	log_escaped(json_string_value(json_object_get(d, "archive_name")));
	printf(" (%" JSON_INTEGER_FORMAT " bytes, SHA-256 ",
	    json_integer_value(json_object_get(d, "archive_size")));
	log_escaped(json_string_value(json_object_get(d, "archive_sha256")));
	putchar(')');
}

/* An ingest, in words, from its signed details. */
static void
log_ingested(const struct event *e, const char *who)
{
	json_t *d = e->details;
	const char *from = json_string_value(json_object_get(d, "received_from"));

	printf("%s ingested by %s: ", e->artifact, who);
	log_escaped(json_string_value(json_object_get(d, "archive_name")));
	printf(" (%" JSON_INTEGER_FORMAT " bytes, SHA-256 ",
	    json_integer_value(json_object_get(d, "archive_size")));
	log_escaped(json_string_value(json_object_get(d, "archive_sha256")));
	printf("), collected on host ");
	log_escaped(json_string_value(json_object_get(d, "host")));
	printf(", sealed with %s key ", json_is_string(json_object_get(d,
	    "seal_key_kind")) && strcmp(json_string_value(json_object_get(d,
	    "seal_key_kind")), "one-time") == 0 ? "one-time" : "registered");
	log_escaped(json_string_value(json_object_get(d, "seal_key")));
	if (json_object_get(d, "noted_fingerprint") != NULL)
		printf(" (checked against the fingerprint noted at collection)");
	if (from != NULL) {
		printf(", received from ");
		log_escaped(from);
	}
}

/* A types record, in words, from its signed details. */
static void
log_typed(const struct event *e, const char *who)
{
	json_t *d = e->details;

	printf("%s typed by %s: %" JSON_INTEGER_FORMAT " members with libmagic ",
	    e->artifact, who, json_integer_value(json_object_get(d, "members")));
	log_escaped(json_string_value(json_object_get(d, "tool_version")));
	printf(", record ");
	log_escaped(json_string_value(json_object_get(d, "record")));
	printf(" (SHA-256 ");
	log_escaped(json_string_value(json_object_get(d, "record_sha256")));
	putchar(')');
}

/* What an event did, in words. */
static void
log_sentence(struct log_state *st, const struct event *e)
{
	char who[600], other[600];

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
	else if (strcmp(e->action, "collected") == 0)
		log_collected(e, who);
	else if (strcmp(e->action, "ingested") == 0)
		log_ingested(e, who);
	else if (strcmp(e->action, "typed") == 0)
		log_typed(e, who);
	else
		printf("%s%s%s by %s", e->artifact != NULL ? e->artifact : "",
		    e->artifact != NULL ? " " : "", e->action, who);
}

/* One event as a JSON object with names beside fingerprints. */
static json_t *
log_event_json(struct log_state *st, const struct event *e, bool verified)
{
	char who[600], other[600];

	return json_pack("{s:I, s:b, s:s, s:s, s:s?, s:s, s:s, s:s?, s:s?, s:o?,"
	    " s:s?, s:s?}",
	    "seq", (json_int_t)e->seq, "verified", verified,
	    "time", e->time, "action", e->action,
	    "artifact", e->artifact, "handler", e->handler,
	    "handler_name", ledger_person(st->store, e->handler, who, sizeof who),
	    "counterpart", e->counterpart,
	    "counterpart_name", e->counterpart != NULL ? ledger_person(st->store,
	    e->counterpart, other, sizeof other) : NULL,
	    "refers", e->refers != 0 ? json_integer((json_int_t)e->refers) : NULL,
	    "location", e->location, "note", e->note);
}

/* store_check_events callback: print or collect one signed event. */
static int
log_event(const struct store_signed *s, void *arg)
{
	struct log_state *st = arg;
	const struct event *e = &s->row.ev;
	char when[64];
	json_t *o;

	st->count++;
	if (st->json != NULL) {
		if ((o = log_event_json(st, e, s->verified)) == NULL ||
		    json_array_append_new(st->json, o) != 0)
			return error_set("event %llu: out of memory",
			    (unsigned long long)e->seq);
		return 0;
	}
	printf("#%-4llu %s  ", (unsigned long long)e->seq,
	    ledger_time(e->time, when, sizeof when));
	log_sentence(st, e);
	log_text("at", e->location);
	log_text("note", e->note);
	printf("%s\n", s->verified ? "" : "  [NOT VERIFIED]");
	return 0;
}

/* Print the events as one JSON document, the verdict first. 0 or -1. */
static int
log_print_json(struct log_state *st)
{
	/* No event signs the title: it goes under "unsigned", apart. */
	json_t *doc = json_pack("{s:b, s:O, s:s, s:{s:s?}, s:O}", "verified",
	    store_check_ok(&st->check), "problems", st->check.problems,
	    "case_id", store_case_id(st->store), "unsigned", "title",
	    store_title(st->store), "events", st->json);
	int rc;

	if (doc == NULL)
		return error_set("cannot build the JSON log");
	rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0 || putchar('\n') == EOF)
		return error_set_errno("stdout");
	return 0;
}

/* Print the case line (and, first, the warning of a ledger that does not verify). */
static void
log_print_head(struct log_state *st)
{
	if (!store_check_ok(&st->check))
		ledger_warn_problems(&st->check, stdout, "");
	printf("Case ");
	log_escaped(store_case_id(st->store));
	if (store_title(st->store) != NULL) {
		printf(": \"");
		log_escaped(store_title(st->store));
		/* Every event signs the case id; nothing signs the title. */
		printf("\" (not signed)");
	}
	putchar('\n');
}

/* The exit status once the events are shown (or not: rc). */
static int
log_status(struct log_state *st, int rc)
{
	if (rc != 0)
		return command_fail("ledger log", EXIT_USAGE);
	return store_check_ok(&st->check) ? EXIT_VERIFIED : EXIT_INTEGRITY;
}

/* custody ledger log. */
int
ledger_log_command(int argc, char **argv)
{
	struct log_state st = { 0 };
	const char *dir = NULL, *artifact = NULL;
	bool json = false;
	int ch, rc, status;

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
	if (ledger_warn_check(st.store, &st.check, "ledger log") != 0)
		rc = -1;
	else if (json && (st.json = json_array()) == NULL)
		rc = error_set("out of memory");
	else {
		if (!json)
			log_print_head(&st);
		rc = store_check_events(&st.check, artifact, log_event, &st);
		if (rc == 0 && json)
			rc = log_print_json(&st);
		else if (rc == 0)
			printf("%llu event%s\n", (unsigned long long)st.count,
			    st.count == 1 ? "" : "s");
	}
	status = log_status(&st, rc);
	json_decref(st.json);
	store_check_free(&st.check);
	store_close(st.store);
	return status;
}
