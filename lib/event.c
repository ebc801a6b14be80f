/* Ledger events and their canonical serialization. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/util.h"

const char *const event_actions[] = {
	"registered", "collected", "released", "received", "accessed",
	"analysed", "copied", "verified", "sealed", "stored", "returned",
	"disposed", "timestamped", NULL
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

/* The event as a JSON object. */
static json_t *
event_json(const struct event *e)
{
	json_t *o = json_pack("{s:i, s:s, s:I, s:s, s:s, s:s, s:s}",
	    "v", EVENT_VERSION, "case", e->case_id, "seq", (json_int_t)e->seq,
	    "prev", e->prev, "time", e->time, "action", e->action,
	    "handler", e->handler);

	if (o == NULL)
		return NULL;
	if (e->artifact != NULL)
		json_object_set_new(o, "artifact", json_string(e->artifact));
	if (e->counterpart != NULL)
		json_object_set_new(o, "counterpart", json_string(e->counterpart));
	if (e->refers != 0)
		json_object_set_new(o, "refers", json_integer((json_int_t)e->refers));
	if (e->location != NULL)
		json_object_set_new(o, "location", json_string(e->location));
	if (e->note != NULL)
		json_object_set_new(o, "note", json_string(e->note));
	if (e->details != NULL)
		json_object_set(o, "details", e->details);
	return o;
}

/* The canonical bytes of an event. */
char *
event_canonical(const struct event *e, size_t *len)
{
	json_t *o = event_json(e);
	char *text = NULL;

	if (o != NULL)
		text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	if (text == NULL) {
		error_set("cannot serialize event %llu", (unsigned long long)e->seq);
		return NULL;
	}
	*len = strlen(text);
	return text;
}

/* The first key whose value differs between two objects, or NULL. */
static const char *
event_first_difference(json_t *signed_form, json_t *stored)
{
	const char *key;
	json_t *value;

	json_object_foreach(signed_form, key, value)
		if (!json_equal(value, json_object_get(stored, key)))
			return key;
	json_object_foreach(stored, key, value)
		if (json_object_get(signed_form, key) == NULL)
			return key;
	return NULL;
}

/* Compare canonical bytes with a rebuilt event. */
const char *
event_diff(const char *canonical, size_t len, const struct event *e)
{
	static _Thread_local char field[64];
	json_t *signed_form, *stored;
	const char *key;
	char *rebuilt;
	size_t rebuilt_len;

	if ((rebuilt = event_canonical(e, &rebuilt_len)) == NULL)
		return "encoding";
	if (rebuilt_len == len && memcmp(rebuilt, canonical, len) == 0) {
		free(rebuilt);
		return NULL;
	}
	free(rebuilt);
	signed_form = json_loadb(canonical, len, JSON_REJECT_DUPLICATES, NULL);
	stored = event_json(e);
	key = signed_form != NULL && stored != NULL ?
	    event_first_difference(signed_form, stored) : NULL;
	snprintf(field, sizeof field, "%s", key != NULL ? key : "encoding");
	json_decref(signed_form);
	json_decref(stored);
	return field;
}
