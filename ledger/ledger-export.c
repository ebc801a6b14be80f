/*
 * custody ledger export: the whole ledger for auditors, as one JSON
 * document, as an RFC 4180 CSV sheet of events, or as a printable,
 * self-contained HTML chain-of-custody record.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/merkle.h"
#include "custody/store.h"
#include "custody/util.h"
#include "ledger.h"
#include "ledger-export.h"

#define EXPORT_FORMAT	"custody-ledger-export"
#define EXPORT_VERSION	2


/* Append a new value to an array; -1 (error set unless it already is) on NULL. */
static int
export_append(json_t *array, json_t *value)
{
	if (value == NULL)
		return -1;
	if (json_array_append_new(array, value) != 0)
		return error_set("out of memory building the export");
	return 0;
}

/*
 * A text from the ledger as a JSON string (NULL for none). One edited by
 * hand may not be UTF-8: it is shown escaped (\xHH), as in messages, so
 * the export still serves; custody ledger verify names the edit.
 */
static json_t *
export_string(const char *text)
{
	char *escaped;
	json_t *o;

	if (text == NULL)
		return NULL;
	if (util_utf8_valid(text, strlen(text)))
		return json_string(text);
	if ((escaped = util_escape(text, strlen(text))) == NULL)
		return NULL;
	o = json_string(escaped);
	free(escaped);
	return o;
}

/* A handler as JSON, with its raw public key in base64. */
static json_t *
export_handler_json(const struct store_handler *h)
{
	char *key = util_base64(h->public_key, KEY_RAW_SIZE);
	json_t *o;

	if (key == NULL)
		return NULL;
	o = json_pack("{s:o, s:o, s:o, s:o?, s:s, s:o}",
	    "fingerprint", export_string(h->fingerprint),
	    "name", export_string(h->name), "role", export_string(h->role),
	    "organization", export_string(h->organization[0] != '\0' ?
	    h->organization : NULL),
	    "public_key", key, "registered_at", export_string(h->registered_at));
	free(key);
	if (o == NULL)
		error_set("handler %.16s: a field is not valid UTF-8", h->fingerprint);
	return o;
}

/* Remember one handler by fingerprint. */
static int
export_people_step(const struct store_handler *h, void *arg)
{
	json_t *people = arg, *o = export_handler_json(h);

	if (o == NULL)
		return -1;
	if (json_object_set_new(people, h->fingerprint, o) != 0)
		return error_set("handler %.16s: cannot be indexed", h->fingerprint);
	return 0;
}

/* A field of the handler with this fingerprint; NULL when unregistered. */
const char *
export_person(const struct export *ex, const char *fingerprint,
    const char *field)
{
	json_t *h = fingerprint != NULL ?
	    json_object_get(ex->people, fingerprint) : NULL;

	return json_string_value(json_object_get(h, field));
}

/* The canonical bytes as a JSON string; null when they are not UTF-8. */
static json_t *
export_canonical(const struct store_event *row)
{
	/* Only a ledger edited by hand holds non-ASCII canonical bytes. */
	return json_stringn(row->canonical != NULL ? row->canonical : "",
	    row->canonical_len);
}

/* An event as JSON, with the names of the people in it. */
static json_t *
export_event_json(const struct export *ex, const struct store_signed *s)
{
	const struct store_event *row = &s->row;
	const struct event *e = &row->ev;
	char *signature;
	json_t *o;

	signature = util_base64(row->signature != NULL ? row->signature :
	    (const unsigned char *)"", row->signature_len);
	if (signature == NULL)
		return NULL;
	o = json_pack("{s:I, s:b, s:o, s:o, s:o?, s:o, s:s?, s:o?, s:s?, s:o?,"
	    " s:o?, s:o?, s:o?, s:s}",
	    "seq", (json_int_t)e->seq, "verified", s->verified,
	    "time", export_string(e->time),
	    "action", export_string(e->action),
	    "artifact", export_string(e->artifact),
	    "handler", export_string(e->handler),
	    "handler_name", export_person(ex, e->handler, "name"),
	    "counterpart", export_string(e->counterpart),
	    "counterpart_name", export_person(ex, e->counterpart, "name"),
	    "refers", e->refers != 0 ? json_integer((json_int_t)e->refers) : NULL,
	    "location", export_string(e->location),
	    "note", export_string(e->note),
	    "canonical", export_canonical(row), "signature", signature);
	free(signature);
	if (o == NULL)
		error_set("event %" PRIu64 ": out of memory", e->seq);
	return o;
}

/* Collect one event into the walk's list. */
static int
export_event_step(const struct store_signed *s, void *arg)
{
	struct export *ex = arg;

	return export_append(ex->list, export_event_json(ex, s));
}

/* Start a new list for a walk to fill. */
static int
export_list_start(struct export *ex)
{
	json_decref(ex->list);
	if ((ex->list = json_array()) == NULL)
		return error_set("out of memory building the export");
	return 0;
}

/* Load the events (all, or one artifact's) into ex->list. */
int
export_load_events(struct export *ex, const char *artifact)
{
	if (export_list_start(ex) != 0)
		return -1;
	return store_check_events(ex->check, artifact, export_event_step, ex);
}

/* An artifact row as JSON: every column. */
static json_t *
export_artifact_json(const struct store_artifact *a)
{
	/* archive_path is where the archive was written: no event signs it. */
	json_t *o = json_pack("{s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:{s:o}}",
	    "evidence_id", export_string(a->evidence_id),
	    "archive_name", export_string(a->archive_name),
	    "archive_sha256", export_string(a->archive_sha256),
	    "archive_size", (json_int_t)a->archive_size,
	    "merkle_root", export_string(a->merkle_root),
	    "host", export_string(a->host),
	    "collected_at", export_string(a->collected_at),
	    "collected_by", export_string(a->collected_by),
	    "unsigned", "archive_path", export_string(a->archive_path));

	if (o == NULL)
		error_set("artifact %s: a field is not valid UTF-8", a->evidence_id);
	return o;
}

/* Collect one artifact into the walk's list. */
static int
export_artifact_step(const struct store_artifact *a, void *arg)
{
	struct export *ex = arg;

	return export_append(ex->list, export_artifact_json(a));
}

/* A time-stamp token as JSON. */
json_t *
export_stamp_json(uint64_t seq, const char *file, const char *file_sha256,
    const unsigned char *token, size_t len)
{
	char *b64 = util_base64(token != NULL ? token :
	    (const unsigned char *)"", len);
	json_t *o;

	if (b64 == NULL)
		return NULL;
	o = json_pack("{s:I, s:o?, s:o?, s:s}", "event", (json_int_t)seq,
	    "file", export_string(file), "file_sha256", export_string(file_sha256),
	    "token", b64);
	free(b64);
	if (o == NULL)
		error_set("time-stamp of event %" PRIu64 ": a field is not valid "
		    "UTF-8", seq);
	return o;
}

/* Collect one time-stamp into the walk's list. */
static int
export_stamp_step(uint64_t seq, const char *file, const char *file_sha256,
    const unsigned char *token, size_t len, void *arg)
{
	struct export *ex = arg;

	return export_append(ex->list, export_stamp_json(seq, file, file_sha256,
	    token, len));
}

/* The list a walk filled, taken from ex; NULL when the walk failed. */
static json_t *
export_take_list(struct export *ex, int rc)
{
	json_t *list = ex->list;

	ex->list = NULL;
	if (rc == 0)
		return list;
	json_decref(list);
	return NULL;
}

/* Every artifact as an array. */
static json_t *
export_artifacts_json(struct export *ex)
{
	if (export_list_start(ex) != 0)
		return NULL;
	return export_take_list(ex, store_artifacts(ex->store,
	    export_artifact_step, ex));
}

/* Every time-stamp token as an array. */
static json_t *
export_stamps_json(struct export *ex)
{
	if (export_list_start(ex) != 0)
		return NULL;
	return export_take_list(ex, store_timestamps(ex->store,
	    export_stamp_step, ex));
}

/* Every event in seq order as an array. */
static json_t *
export_events_json(struct export *ex)
{
	return export_take_list(ex, export_load_events(ex, NULL));
}

/* The ledger's size and Merkle root over every event's canonical bytes. */
int
export_tree(const struct store_check *c, uint64_t *size, char root_hex[65])
{
	merkle_hash root;

	*size = c->count;
	merkle_root(c->leaves, c->count, root);
	util_hex(root, sizeof root, root_hex);
	return 0;
}

/* Every handler, in registration order, as an array. */
static json_t *
export_handlers_json(const struct export *ex)
{
	json_t *list = json_array(), *h;
	const char *fingerprint;

	if (list == NULL)
		return NULL;
	json_object_foreach(ex->people, fingerprint, h)
		if (json_array_append(list, h) != 0) {
			json_decref(list);
			error_set("out of memory building the export");
			return NULL;
		}
	return list;
}

/* The tree head of the export as JSON. */
static json_t *
export_tree_json(const struct store_check *c)
{
	char root[65];
	uint64_t size;

	if (export_tree(c, &size, root) != 0)
		return NULL;
	return json_pack("{s:I, s:s}", "size", (json_int_t)size, "root", root);
}

/* The whole ledger as one JSON document. */
static int
export_json(struct export *ex)
{
	json_t *doc;
	int rc;

	/* json_pack steals every "o", also when a part failed (NULL). */
	doc = json_pack("{s:s, s:i, s:b, s:O, s:{s:o, s:{s:o?}}, s:o, s:o, s:o,"
	    " s:o, s:o}", "format", EXPORT_FORMAT, "version", EXPORT_VERSION,
	    "verified", store_check_ok(ex->check),
	    "problems", ex->check->problems,
	    "case", "case_id", export_string(store_case_id(ex->store)),
	    "unsigned", "title", export_string(store_title(ex->store)),
	    "handlers", export_handlers_json(ex),
	    "artifacts", export_artifacts_json(ex),
	    "events", export_events_json(ex),
	    "timestamps", export_stamps_json(ex),
	    "tree", export_tree_json(ex->check));
	if (doc == NULL)
		return error_prefix("json export");
	rc = json_dumpf(doc, ex->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0 || fputc('\n', ex->out) == EOF)
		return error_set_errno("json export: write");
	return 0;
}

/*
 * One CSV field (RFC 4180): quoted when it holds a comma, a double quote,
 * CR or LF, its double quotes doubled. A text starting with =, +, -, @,
 * tab or CR would be taken for a formula by spreadsheets (CSV injection):
 * with guard, it is quoted and prefixed with a single quote ', so it
 * reads as text. The signature is not guarded: it must round-trip, and
 * the base64 alphabet cannot spell a DDE payload (no | or !).
 */
static void
export_csv_field(FILE *out, const char *text, int guard, int last)
{
	int quote;

	if (text == NULL)
		text = "";
	guard = guard && text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL;
	quote = guard || strpbrk(text, ",\"\r\n") != NULL;
	if (quote)
		putc('"', out);
	if (guard)
		putc('\'', out);
	for (; *text != '\0'; text++) {
		if (*text == '"')
			putc('"', out);
		putc(*text, out);
	}
	if (quote)
		putc('"', out);
	/* RFC 4180 ends records with CRLF. */
	fputs(last ? "\r\n" : ",", out);
}

static const char *const export_csv_columns[] = {
	"seq", "time_utc", "action", "artifact", "handler_fingerprint",
	"handler_name", "handler_role", "handler_organization",
	"counterpart_fingerprint", "counterpart_name", "refers", "location",
	"note", "signature_base64", NULL
};

/* One event as a CSV record. */
static int
export_csv_step(const struct store_signed *s, void *arg)
{
	struct export *ex = arg;
	const struct store_event *row = &s->row;
	const struct event *e = &row->ev;
	char seq[24], refers[24], *signature;
	const char *fields[14];
	size_t i;

	signature = util_base64(row->signature != NULL ? row->signature :
	    (const unsigned char *)"", row->signature_len);
	if (signature == NULL)
		return -1;
	snprintf(seq, sizeof seq, "%" PRIu64, e->seq);
	snprintf(refers, sizeof refers, "%" PRIu64, e->refers);
	fields[0] = seq, fields[1] = e->time, fields[2] = e->action;
	fields[3] = e->artifact, fields[4] = e->handler;
	fields[5] = export_person(ex, e->handler, "name");
	fields[6] = export_person(ex, e->handler, "role");
	fields[7] = export_person(ex, e->handler, "organization");
	fields[8] = e->counterpart;
	fields[9] = export_person(ex, e->counterpart, "name");
	fields[10] = e->refers != 0 ? refers : NULL;
	fields[11] = e->location, fields[12] = e->note, fields[13] = signature;
	for (i = 0; i < 14; i++)
		export_csv_field(ex->out, fields[i], i != 13, i == 13);
	free(signature);
	return ferror(ex->out) ? error_set_errno("csv export: write") : 0;
}

/*
 * A ledger that does not verify: the warning and each problem, one field
 * a record, before the header, so that no reader takes the sheet for the
 * verified record without seeing it.
 */
static int
export_csv_warning(struct export *ex)
{
	char *text = NULL, *line, *cursor;
	size_t len = 0;
	FILE *buffer;

	if ((buffer = open_memstream(&text, &len)) == NULL)
		return error_set_errno("csv export");
	ledger_warn_problems(ex->check, buffer, "");
	if (fclose(buffer) != 0) {
		free(text);
		return error_set_errno("csv export");
	}
	cursor = text;
	while ((line = util_next_line(&cursor)) != NULL)
		if (line[0] != '\0')
			export_csv_field(ex->out, line, 1, 1);
	free(text);
	return 0;
}

/* A header record, then one record per event in seq order. */
static int
export_csv(struct export *ex)
{
	size_t i;

	if (!store_check_ok(ex->check) && export_csv_warning(ex) != 0)
		return -1;
	for (i = 0; export_csv_columns[i] != NULL; i++)
		export_csv_field(ex->out, export_csv_columns[i], 1,
		    export_csv_columns[i + 1] == NULL);
	return store_check_events(ex->check, NULL, export_csv_step, ex);
}

/* The whole ledger as json, csv or html. */
int
ledger_export(struct store *s, const struct store_check *check,
    const char *format, FILE *out)
{
	struct export ex = { .store = s, .check = check, .out = out };
	int rc;

	if ((ex.people = json_object()) == NULL)
		return error_set("out of memory building the export");
	if (store_handlers(s, export_people_step, ex.people) != 0)
		rc = -1;
	else if (strcmp(format, "json") == 0)
		rc = export_json(&ex);
	else if (strcmp(format, "csv") == 0)
		rc = export_csv(&ex);
	else if (strcmp(format, "html") == 0)
		rc = export_html(&ex);
	else
		rc = error_set("unknown export format \"%s\" (json, csv or html)",
		    format);
	json_decref(ex.people);
	json_decref(ex.list);
	json_decref(ex.recorded);
	json_decref(ex.stamps);
	return rc;
}
