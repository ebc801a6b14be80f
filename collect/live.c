/* The table of live sources, and the document each one fills. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"

#include "collector.h"
#include "live.h"

/* A source's name and its reader. */
struct live_source {
	const char			*name;
	const struct live_reader	*reader;
};

#define LIVE_SOURCE_ROW(name, ident, root, max_size) { name, &live_reader_##ident },
static const struct live_source live_sources[] = {
	CUSTODY_LIVE_SOURCES(LIVE_SOURCE_ROW)
};
#undef LIVE_SOURCE_ROW

/* The source of a name, or NULL. */
static const struct live_source *
live_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof live_sources / sizeof live_sources[0]; i++)
		if (strcmp(live_sources[i].name, name) == 0)
			return &live_sources[i];
	return NULL;
}

/* True when name is a live source live_collect knows. */
bool
live_known(const char *name)
{
	return name != NULL && live_find(name) != NULL;
}

/* Encode a document as text with a final newline. */
static int
live_dump(json_t *doc, char **out, size_t *len)
{
	char *text, *grown;
	size_t n;

	text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
	if (text == NULL)
		return error_set("cannot encode live document");
	n = strlen(text);
	if ((grown = realloc(text, n + 2)) == NULL) {
		free(text);
		return error_set_errno("realloc");
	}
	grown[n] = '\n';
	grown[n + 1] = '\0';
	*out = grown;
	*len = n + 1;
	return 0;
}

/* The members every document starts with; -1 when out of memory. */
static int
live_doc_start(json_t *doc, const char *name, json_t *errors)
{
	if (json_object_set_new(doc, "source", json_string(name)) != 0 ||
	    json_object_set_new(doc, "collected", live_now()) != 0 ||
	    json_object_set_new(doc, "format_version",
	    json_integer(LIVE_FORMAT_VERSION)) != 0 ||
	    json_object_set(doc, "errors", errors) != 0)
		return error_set("out of memory");
	return 0;
}

/* Keep the count and the first of run->errors for the summary. */
static void
live_errors_summary(struct live_run *run)
{
	const char *first;

	run->n_errors = json_array_size(run->errors);
	run->first_error[0] = '\0';
	first = json_string_value(json_array_get(run->errors, 0));
	if (first != NULL)
		snprintf(run->first_error, sizeof run->first_error, "%s", first);
}

/* Read one live source into a JSON document. */
int
live_collect(struct live_run *run, char **out, size_t *len, const char **origin)
{
	const struct live_source *s;
	int rc;

	if ((s = live_find(run->name)) == NULL)
		return error_set("unknown live source '%s'", run->name);
	*origin = s->reader->origin;
	run->doc = json_object();
	run->errors = json_array();
	rc = run->doc != NULL && run->errors != NULL ?
	    live_doc_start(run->doc, run->name, run->errors) :
	    error_set("out of memory");
	if (rc == 0)
		rc = s->reader->fill(run);
	if (rc == 0)
		rc = live_dump(run->doc, out, len);
	live_errors_summary(run);
	json_decref(run->errors);
	json_decref(run->doc);
	run->doc = run->errors = NULL;
	return rc;
}
