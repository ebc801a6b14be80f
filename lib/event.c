/* Ledger events and their canonical serialization. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/util.h"

#define EVENT_JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

const char *const event_actions[] = {
	"registered", "collected", "released", "received", "accessed",
	"analysed", "copied", "verified", "sealed", "stored", "returned",
	"disposed", "timestamped", "ingested", "typed", NULL
};

/* Actions `ledger record` may write; the others have commands of their own. */
static const char *const event_recordable[] = {
	"accessed", "analysed", "copied", "verified", "sealed", "stored",
	"returned", "disposed", NULL
};

/* True when name is in a NULL-terminated list. */
static int
event_in(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

/* True when action is known. */
int
event_action_known(const char *action, int *recordable)
{
	if (recordable != NULL)
		*recordable = event_in(event_recordable, action);
	return event_in(event_actions, action);
}

/* Check a free-text field. */
int
event_check_text(const char *what, const char *text)
{
	size_t len = strlen(text), i;

	if (len > EVENT_TEXT_MAX)
		return error_set("%s is longer than %d bytes", what, EVENT_TEXT_MAX);
	if (!util_utf8_valid(text, len))
		return error_set("%s is not valid UTF-8", what);
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n' && text[i] != '\t')
			return error_set("%s holds a control character", what);
	return 0;
}

/* Set an optional string member; 0, or -1 when text is not valid UTF-8. */
static int
event_set_string(json_t *o, const char *key, const char *text)
{
	json_t *value;

	if (text == NULL)
		return 0;
	/* json_string() returns NULL on invalid UTF-8: never drop it silently. */
	if ((value = json_string(text)) == NULL)
		return error_set("event field \"%s\" is not valid UTF-8", key);
	if (json_object_set_new(o, key, value) != 0)
		return error_set("event field \"%s\": out of memory", key);
	return 0;
}

/* The optional members of an event; 0 or -1. */
static int
event_json_optional(json_t *o, const struct event *e)
{
	if (event_set_string(o, "artifact", e->artifact) != 0 ||
	    event_set_string(o, "counterpart", e->counterpart) != 0 ||
	    event_set_string(o, "location", e->location) != 0 ||
	    event_set_string(o, "note", e->note) != 0)
		return -1;
	if (e->refers != 0 && json_object_set_new(o, "refers",
	    json_integer((json_int_t)e->refers)) != 0)
		return error_set("event field \"refers\": out of memory");
	if (e->details != NULL && json_object_set(o, "details", e->details) != 0)
		return error_set("event field \"details\": out of memory");
	return 0;
}

/* The event as a JSON object; NULL with the error set. */
static json_t *
event_json(const struct event *e)
{
	json_t *o = json_pack("{s:i, s:s, s:I, s:s, s:s, s:s, s:s}",
	    "v", EVENT_VERSION, "case", e->case_id, "seq", (json_int_t)e->seq,
	    "prev", e->prev, "time", e->time, "action", e->action,
	    "handler", e->handler);

	if (o == NULL) {
		error_set("event %llu: a required field is missing or not valid "
		    "UTF-8", (unsigned long long)e->seq);
		return NULL;
	}
	if (event_json_optional(o, e) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The canonical bytes of an event. */
char *
event_canonical(const struct event *e, size_t *len)
{
	json_t *o = event_json(e);
	char *text;

	if (o == NULL)
		return NULL;
	text = json_dumps(o, EVENT_JSON_FLAGS);
	json_decref(o);
	if (text == NULL) {
		error_set("cannot serialize event %llu", (unsigned long long)e->seq);
		return NULL;
	}
	*len = strlen(text);
	return text;
}

/* The members a canonical event may hold, and the JSON type of each. */
static const struct {
	const char	*key;
	json_type	 type;
	int		 required;
} event_members[] = {
	{ "v", JSON_INTEGER, 1 }, { "case", JSON_STRING, 1 },
	{ "seq", JSON_INTEGER, 1 }, { "prev", JSON_STRING, 1 },
	{ "time", JSON_STRING, 1 }, { "action", JSON_STRING, 1 },
	{ "handler", JSON_STRING, 1 }, { "artifact", JSON_STRING, 0 },
	{ "counterpart", JSON_STRING, 0 }, { "refers", JSON_INTEGER, 0 },
	{ "location", JSON_STRING, 0 }, { "note", JSON_STRING, 0 },
	{ "details", JSON_OBJECT, 0 },
};

#define EVENT_MEMBERS (sizeof event_members / sizeof event_members[0])

/* Check every member's presence and type, and that there are no others. */
static int
event_check_members(json_t *o)
{
	size_t i, present = 0;
	json_t *value;

	for (i = 0; i < EVENT_MEMBERS; i++) {
		value = json_object_get(o, event_members[i].key);
		if (value == NULL && event_members[i].required)
			return error_set("member \"%s\" is missing",
			    event_members[i].key);
		if (value != NULL && json_typeof(value) != event_members[i].type)
			return error_set("member \"%s\" has the wrong type",
			    event_members[i].key);
		present += value != NULL;
	}
	if (present != json_object_size(o))
		return error_set("it holds members no event has");
	return 0;
}

/* The string member key of o, or NULL. */
static const char *
event_member(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Fill e from a checked object; 0 or -1 on values out of range. */
static int
event_fill(json_t *o, struct event *e)
{
	json_int_t seq = json_integer_value(json_object_get(o, "seq"));
	json_t *refers = json_object_get(o, "refers");
	const char *prev = event_member(o, "prev");
	unsigned char root[32];

	if (json_integer_value(json_object_get(o, "v")) != EVENT_VERSION)
		return error_set("version %" JSON_INTEGER_FORMAT " is not %d",
		    json_integer_value(json_object_get(o, "v")), EVENT_VERSION);
	if (seq < 1 || (refers != NULL && json_integer_value(refers) < 1))
		return error_set("a number is out of range");
	if (strlen(prev) != 64 || util_unhex(prev, root, sizeof root) != 0)
		return error_set("prev is not a SHA-256 in hex");
	memset(e, 0, sizeof *e);
	e->seq = (uint64_t)seq;
	e->case_id = event_member(o, "case");
	memcpy(e->prev, prev, 65);
	e->time = event_member(o, "time");
	e->action = event_member(o, "action");
	e->artifact = event_member(o, "artifact");
	e->handler = event_member(o, "handler");
	e->counterpart = event_member(o, "counterpart");
	e->refers = refers != NULL ? (uint64_t)json_integer_value(refers) : 0;
	e->location = event_member(o, "location");
	e->note = event_member(o, "note");
	e->details = json_object_get(o, "details");
	return 0;
}

/* True when o serializes to exactly the len bytes of canonical. */
static int
event_reserializes(json_t *o, const char *canonical, size_t len)
{
	char *text = json_dumps(o, EVENT_JSON_FLAGS);
	int same = text != NULL && strlen(text) == len &&
	    memcmp(text, canonical, len) == 0;

	free(text);
	return same;
}

/* Read an event back from its canonical bytes, strictly. */
json_t *
event_parse(const char *canonical, size_t len, struct event *e)
{
	json_error_t jerr;
	json_t *o;

	/* Without JSON_ALLOW_NUL: no string of an event may hide a NUL. */
	o = json_loadb(canonical, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		error_set("not JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(o))
		error_set("not a JSON object");
	else if (event_check_members(o) == 0 && event_fill(o, e) == 0) {
		if (event_reserializes(o, canonical, len))
			return o;
		error_set("not in canonical form (keys sorted, no white space, "
		    "non-ASCII escaped)");
	}
	json_decref(o);
	return NULL;
}
