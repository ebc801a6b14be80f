/*
 * custody ledger export --format html: a printable, self-contained
 * chain-of-custody record, one section per artifact (its description,
 * its hand-overs, its other actions), then the case's handlers and
 * events. A ledger that does not verify says so at the top, on every
 * printed page and beside every event that failed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/store.h"
#include "custody/util.h"
#include "ledger.h"
#include "ledger-export.h"

/* Text from the ledger, HTML-escaped (invalid UTF-8 shown as \xHH). */
static void
html_text(FILE *out, const char *text)
{
	char *escaped = NULL;
	const char *p;

	if (text == NULL)
		return;
	if (!util_utf8_valid(text, strlen(text)) &&
	    (escaped = util_escape(text, strlen(text))) != NULL)
		text = escaped;
	for (p = text; *p != '\0'; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			/* No terminal escapes in a file someone may cat. */
			if (((unsigned char)*p < 0x20 && *p != '\n' &&
			    *p != '\t') || *p == 0x7f)
				fprintf(out, "\\x%02x", (unsigned char)*p);
			else
				putc(*p, out);
			break;
		}
	}
	free(escaped);
}

/* A readable UTC time, escaped. */
static void
html_time(FILE *out, const char *iso)
{
	char when[64];

	html_text(out, ledger_time(iso, when, sizeof when));
}

/* One row of a form: a label and an escaped value (or a dash), maybe as code. */
static void
html_row(FILE *out, const char *label, const char *value, int code)
{
	fprintf(out, "<tr><th>%s</th><td>%s", label, code ? "<code>" : "");
	html_text(out, value != NULL && value[0] != '\0' ? value : "\xe2\x80\x94");
	fprintf(out, "%s</td></tr>\n", code ? "</code>" : "");
}

/* One row of a form with a text value. */
static void
html_field(FILE *out, const char *label, const char *value)
{
	html_row(out, label, value, 0);
}

/* A person: name, role and organisation, and the key's fingerprint. */
static void
html_person(const struct export *ex, const char *fingerprint)
{
	const char *name = export_person(ex, fingerprint, "name");
	const char *org = export_person(ex, fingerprint, "organization");

	if (fingerprint == NULL) {
		fputs("\xe2\x80\x94", ex->out);
		return;
	}
	if (name == NULL)
		fputs("<span class=\"alert\">unregistered key</span>", ex->out);
	else {
		fputs("<strong>", ex->out);
		html_text(ex->out, name);
		fputs("</strong><br>", ex->out);
		html_text(ex->out, export_person(ex, fingerprint, "role"));
		if (org != NULL) {
			fputs(", ", ex->out);
			html_text(ex->out, org);
		}
	}
	fputs("<br><code>", ex->out);
	html_text(ex->out, fingerprint);
	fputs("</code>", ex->out);
}

static const char html_style[] =
	"body{font-family:Georgia,'Times New Roman',serif;margin:2em;color:#000}"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.3em;"
	"border-bottom:2px solid #000;padding-bottom:.2em}h3{font-size:1.05em}"
	"table{border-collapse:collapse;width:100%;margin:.4em 0 1.4em}"
	"th,td{border:1px solid #444;padding:.3em .5em;text-align:left;"
	"vertical-align:top}th{background:#eee}table.form th{width:24%}"
	"tr{page-break-inside:avoid;break-inside:avoid}"
	"code{font-family:'DejaVu Sans Mono',monospace;font-size:.8em;"
	"word-break:break-all}.note{white-space:pre-wrap}"
	".alert{color:#a00;font-weight:bold}.small{font-size:.85em}"
	"section.artifact{page-break-before:always;break-before:page}"
	"section.case{page-break-before:always;break-before:page}"
	"header+section.artifact{page-break-before:auto;break-before:auto}"
	"@media print{body{margin:0}th{background:none}}"
	".unverified{border:4px solid #a00;color:#a00;font-weight:bold;"
	"padding:.6em;margin:0 0 1em;font-size:1.1em}"
	".unverified ul{font-weight:normal;font-size:.85em;color:#000}";

/*
 * A ledger that does not verify: besides the banner at the top, every
 * printed page says so in its top margin (a CSS page-margin box), and
 * every table repeats it in its header row, which browsers print again
 * on each page the table runs onto.
 */
static const char html_style_unverified[] =
	"@page{margin-top:2.4cm;@top-center{content:\"NOT VERIFIED: this "
	"ledger does not verify. This is NOT a verified chain-of-custody "
	"record.\";color:#a00;font-weight:bold;font-size:12pt;"
	"border:3px solid #a00;padding:.1cm .3cm}}"
	"th.unverified-row{color:#a00;border:2px solid #a00;background:#fff}";

/* The loud notice of a ledger that does not verify, with its problems. */
static void
html_unverified(struct export *ex)
{
	size_t i, n = json_array_size(ex->check->problems);
	const json_t *p, *seq;

	fputs("<div class=\"unverified\">NOT VERIFIED: the ledger of case ", ex->out);
	html_text(ex->out, store_case_id(ex->store));
	fprintf(ex->out, " does not verify (%zu problem%s). What follows is NOT "
	    "the verified chain of custody: rows marked NOT VERIFIED failed, "
	    "and the records they describe may have been altered.\n<ul>\n", n,
	    n == 1 ? "" : "s");
	json_array_foreach(ex->check->problems, i, p) {
		seq = json_object_get(p, "event");
		fputs("<li>", ex->out);
		if (json_is_integer(seq))
			fprintf(ex->out, "event #%" JSON_INTEGER_FORMAT ": ",
			    json_integer_value(seq));
		html_text(ex->out, json_string_value(json_object_get(p, "problem")));
		fputs("</li>\n", ex->out);
	}
	fputs("</ul>\n</div>\n", ex->out);
}

/* A mark beside an event that failed verification. */
static void
html_mark(FILE *out, json_t *e)
{
	if (e != NULL && json_is_false(json_object_get(e, "verified")))
		fputs(" <span class=\"alert\">NOT VERIFIED</span>", out);
}

/*
 * A table's title and the start of its header: on a ledger that does not
 * verify, a first header row saying so, printed again on every page.
 */
static void
html_table_start(struct export *ex, const char *title, int columns)
{
	fprintf(ex->out, "<h3>%s</h3>\n<table>\n<thead>", title);
	if (!store_check_ok(ex->check))
		fprintf(ex->out, "<tr><th class=\"unverified-row\" colspan=\"%d\">"
		    "NOT VERIFIED: this ledger does not verify; rows marked NOT "
		    "VERIFIED failed</th></tr>", columns);
}

/* The document head and the case header. */
static int
html_head(struct export *ex)
{
	char now[UTIL_TIME_SIZE], root[65];
	struct timespec ts;
	uint64_t size;

	if (export_tree(ex->check, &size, root) != 0)
		return -1;
	util_time_now(&ts);
	util_time_format(&ts, now);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>Chain of custody: case ", ex->out);
	html_text(ex->out, store_case_id(ex->store));
	fprintf(ex->out, "</title>\n<style>%s%s</style>\n</head>\n<body>\n"
	    "<header>\n<h1>Chain of custody record</h1>\n", html_style,
	    store_check_ok(ex->check) ? "" : html_style_unverified);
	if (!store_check_ok(ex->check))
		html_unverified(ex);
	fputs("<table class=\"form\">\n", ex->out);
	html_field(ex->out, "Case", store_case_id(ex->store));
	/* The title is the case row's, which no event signs: say so. */
	html_field(ex->out, "Title (not signed)", store_title(ex->store));
	html_field(ex->out, "Generated at (UTC)", now);
	fprintf(ex->out, "<tr><th>Ledger</th><td>%" PRIu64 " events; Merkle root "
	    "<code>%s</code></td></tr>\n</table>\n", size, root);
	/* Only true of a ledger that verified. */
	if (store_check_ok(ex->check))
		fputs("<p class=\"small\">Generated from the signed custody ledger, "
		    "verified in full when this record was made; <code>custody "
		    "ledger verify</code> checks every signature and the root "
		    "above.</p>\n", ex->out);
	fputs("</header>\n", ex->out);
	return 0;
}

/* The first event of an action in a list, or NULL. */
static json_t *
html_first(json_t *events, const char *action)
{
	json_t *e;
	size_t i;

	json_array_foreach(events, i, e)
		if (strcmp(json_string_value(json_object_get(e, "action")),
		    action) == 0)
			return e;
	return NULL;
}

/* A string member of an event object (NULL when absent). */
static const char *
html_get(json_t *e, const char *key)
{
	return json_string_value(json_object_get(e, key));
}

/* The description, collection and where-abouts of an artifact. */
static void
html_artifact_form(struct export *ex, const struct store_artifact *a)
{
	json_t *collected = html_first(ex->list, "collected");

	if (collected == NULL)
		collected = html_first(ex->list, "ingested");
	char size[32];

	snprintf(size, sizeof size, "%" PRId64 " bytes", a->archive_size);
	fputs("<table class=\"form\">\n", ex->out);
	html_field(ex->out, "Item / evidence id", a->evidence_id);
	html_field(ex->out, "Source host", a->host);
	html_field(ex->out, "Archive", a->archive_name);
	html_field(ex->out, "Archive size", size);
	html_row(ex->out, "Archive SHA-256", a->archive_sha256, 1);
	html_row(ex->out, "Seal Merkle root", a->merkle_root, 1);
	fputs("<tr><th>Collected by</th><td>", ex->out);
	html_person(ex, a->collected_by);
	fputs("</td></tr>\n<tr><th>When (UTC)</th><td>", ex->out);
	html_time(ex->out, a->collected_at);
	fputs("</td></tr>\n", ex->out);
	html_field(ex->out, "Where", html_get(collected, "location"));
	html_field(ex->out, "Collection note", html_get(collected, "note"));
	if (collected == NULL || json_is_false(json_object_get(collected, "verified")))
		fputs("<tr><th>Verification</th><td><span class=\"alert\">NOT "
		    "VERIFIED: the collection or the artifact record failed"
		    "</span></td></tr>\n", ex->out);
	fputs("</table>\n", ex->out);
}

/* The event with this seq in a list, or NULL. */
static json_t *
html_find(json_t *events, json_int_t seq)
{
	json_t *e;
	size_t i;

	json_array_foreach(events, i, e)
		if (json_integer_value(json_object_get(e, "seq")) == seq)
			return e;
	return NULL;
}

/* The first receipt completing a release, or NULL. */
static json_t *
html_receipt_of(json_t *events, json_t *release)
{
	json_int_t seq = json_integer_value(json_object_get(release, "seq"));
	json_t *e;
	size_t i;

	json_array_foreach(events, i, e)
		if (strcmp(html_get(e, "action"), "received") == 0 &&
		    json_integer_value(json_object_get(e, "refers")) == seq)
			return e;
	return NULL;
}

/* A receipt that completes no release shown in the chain. */
static int
html_orphan(json_t *events, json_t *receipt)
{
	json_t *release = html_find(events,
	    json_integer_value(json_object_get(receipt, "refers")));

	return release == NULL ||
	    strcmp(html_get(release, "action"), "released") != 0 ||
	    html_receipt_of(events, release) != receipt;
}

/* Two texts of a hand-over (release's, receipt's) in one cell. */
static void
html_pair_cell(FILE *out, const char *given, const char *taken)
{
	fputs("<td class=\"note\">", out);
	html_text(out, given);
	if (taken != NULL) {
		fputs(given != NULL ? "\n<em>On receipt:</em> " :
		    "<em>On receipt:</em> ", out);
		html_text(out, taken);
	}
	fputs("</td>", out);
}

/* One hand-over row: a release and its receipt (either may be NULL). */
static void
html_handover_row(struct export *ex, int n, json_t *release, json_t *receipt)
{
	json_t *when = release != NULL ? release : receipt;

	fprintf(ex->out, "<tr><td>%d</td><td>", n);
	html_time(ex->out, html_get(when, "time"));
	fprintf(ex->out, "<br><span class=\"small\">event #%" JSON_INTEGER_FORMAT
	    "</span>", json_integer_value(json_object_get(when, "seq")));
	html_mark(ex->out, release);
	html_mark(ex->out, receipt);
	fputs("</td><td>", ex->out);
	if (release != NULL)
		html_person(ex, html_get(release, "handler"));
	else
		fputs("<span class=\"alert\">no release found</span>", ex->out);
	fputs("</td><td>", ex->out);
	html_person(ex, html_get(release != NULL ? release : receipt,
	    release != NULL ? "counterpart" : "handler"));
	if (receipt != NULL) {
		fputs("<br><span class=\"small\">received ", ex->out);
		html_time(ex->out, html_get(receipt, "time"));
		fprintf(ex->out, ", event #%" JSON_INTEGER_FORMAT "</span>",
		    json_integer_value(json_object_get(receipt, "seq")));
	} else
		fputs("<br><span class=\"alert\">not received</span>", ex->out);
	fputs("</td>", ex->out);
	html_pair_cell(ex->out, html_get(release, "note"), html_get(receipt, "note"));
	html_pair_cell(ex->out, html_get(release, "location"),
	    html_get(receipt, "location"));
	fputs("</tr>\n", ex->out);
}

/* The chain of custody: one row per hand-over, releases paired with receipts. */
static void
html_chain(struct export *ex)
{
	const char *action;
	json_t *e;
	size_t i;
	int n = 0;

	html_table_start(ex, "Chain of custody", 6);
	fputs("<tr><th>#</th>"
	    "<th>Date/time (UTC)</th><th>Released by</th><th>Received by</th>"
	    "<th>Purpose / note</th><th>Location</th></tr></thead>\n<tbody>\n",
	    ex->out);
	json_array_foreach(ex->list, i, e) {
		action = html_get(e, "action");
		if (strcmp(action, "released") == 0)
			html_handover_row(ex, ++n, e, html_receipt_of(ex->list, e));
		else if (strcmp(action, "received") == 0 && html_orphan(ex->list, e))
			html_handover_row(ex, ++n, NULL, e);
	}
	if (n == 0)
		fputs("<tr><td colspan=\"6\">No hand-over: held by the collector."
		    "</td></tr>\n", ex->out);
	fputs("</tbody>\n</table>\n", ex->out);
}

/* What an event concerns: the handler registered, the file time-stamped. */
static void
html_subject(struct export *ex, json_t *e)
{
	char seq[24];
	json_t *stamp;

	if (strcmp(html_get(e, "action"), "registered") == 0) {
		fputs("<br><span class=\"small\">", ex->out);
		html_person(ex, html_get(e, "counterpart"));
		fputs("</span>", ex->out);
	} else if (strcmp(html_get(e, "action"), "timestamped") == 0) {
		snprintf(seq, sizeof seq, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(e, "seq")));
		stamp = json_object_get(ex->stamps, seq);
		fputs("<br><span class=\"small\">RFC 3161 token over ", ex->out);
		html_text(ex->out, stamp != NULL ? html_get(stamp, "file") :
		    "(token missing)");
		fputs(" <code>", ex->out);
		html_text(ex->out, html_get(stamp, "file_sha256"));
		fputs("</code></span>", ex->out);
	}
}

/* One event as a row: #, when, action, who, where, why. */
static void
html_event_row(struct export *ex, json_t *e, int case_level)
{
	fprintf(ex->out, "<tr><td>%" JSON_INTEGER_FORMAT "</td><td>",
	    json_integer_value(json_object_get(e, "seq")));
	html_time(ex->out, html_get(e, "time"));
	fputs("</td><td>", ex->out);
	html_text(ex->out, html_get(e, "action"));
	html_mark(ex->out, e);
	if (case_level && html_get(e, "artifact") != NULL) {
		fputs(" <span class=\"alert\">(", ex->out);
		html_text(ex->out, html_get(e, "artifact"));
		fputs(": not a recorded artifact)</span>", ex->out);
	}
	html_subject(ex, e);
	fputs("</td><td>", ex->out);
	html_person(ex, html_get(e, "handler"));
	fputs("</td><td class=\"note\">", ex->out);
	html_text(ex->out, html_get(e, "location"));
	fputs("</td><td class=\"note\">", ex->out);
	html_text(ex->out, html_get(e, "note"));
	fputs("</td></tr>\n", ex->out);
}

static const char html_events_head[] =
	"<tr><th>#</th><th>Date/time (UTC)</th><th>Action</th>"
	"<th>By</th><th>Location</th><th>Purpose / note</th></tr></thead>\n"
	"<tbody>\n";

/* The actions on an artifact other than collection and hand-overs. */
static void
html_actions(struct export *ex)
{
	const char *action;
	json_t *e;
	size_t i;
	int n = 0;

	html_table_start(ex, "Other actions", 6);
	fputs(html_events_head, ex->out);
	json_array_foreach(ex->list, i, e) {
		action = html_get(e, "action");
		if (strcmp(action, "collected") == 0 ||
		    strcmp(action, "ingested") == 0 ||
		    strcmp(action, "released") == 0 ||
		    strcmp(action, "received") == 0)
			continue;
		html_event_row(ex, e, 0);
		n++;
	}
	if (n == 0)
		fputs("<tr><td colspan=\"6\">None recorded.</td></tr>\n", ex->out);
	fputs("</tbody>\n</table>\n", ex->out);
}

/* One artifact's section: the evidence custody form. */
static int
html_artifact(const struct store_artifact *a, void *arg)
{
	struct export *ex = arg;

	if (export_load_events(ex, a->evidence_id) != 0)
		return -1;
	if (json_object_set_new(ex->recorded, a->evidence_id, json_true()) != 0)
		return error_set("artifact %s: cannot be indexed", a->evidence_id);
	fputs("<section class=\"artifact\">\n<h2>Evidence item ", ex->out);
	html_text(ex->out, a->evidence_id);
	fputs("</h2>\n", ex->out);
	html_artifact_form(ex, a);
	html_chain(ex);
	html_actions(ex);
	fputs("</section>\n", ex->out);
	return ferror(ex->out) ? error_set_errno("html export: write") : 0;
}

/* Keep a time-stamp's file and digest for the case events. */
static int
html_stamp_step(uint64_t seq, const char *file, const char *file_sha256,
    const unsigned char *token, size_t len, void *arg)
{
	struct export *ex = arg;
	char key[24];
	json_t *o = export_stamp_json(seq, file, file_sha256, token, len);

	snprintf(key, sizeof key, "%" PRIu64, seq);
	if (o == NULL || json_object_set_new(ex->stamps, key, o) != 0)
		return o == NULL ? -1 : error_set("out of memory");
	return 0;
}

/* The handlers registered in the case. */
static void
html_handlers(struct export *ex)
{
	const char *fingerprint;
	json_t *h;

	html_table_start(ex, "Handlers", 5);
	fputs("<tr><th>Name</th><th>Role</th>"
	    "<th>Organisation</th><th>Key fingerprint</th>"
	    "<th>Registered (UTC)</th></tr></thead>\n<tbody>\n", ex->out);
	json_object_foreach(ex->people, fingerprint, h) {
		fputs("<tr><td>", ex->out);
		html_text(ex->out, html_get(h, "name"));
		fputs("</td><td>", ex->out);
		html_text(ex->out, html_get(h, "role"));
		fputs("</td><td>", ex->out);
		html_text(ex->out, html_get(h, "organization"));
		fputs("</td><td><code>", ex->out);
		html_text(ex->out, fingerprint);
		fputs("</code></td><td>", ex->out);
		html_time(ex->out, html_get(h, "registered_at"));
		fputs("</td></tr>\n", ex->out);
	}
	fputs("</tbody>\n</table>\n", ex->out);
}

/* Case-level events, and events naming an artifact that is not recorded. */
static void
html_case_events(struct export *ex)
{
	const char *artifact;
	json_t *e;
	size_t i;

	html_table_start(ex, "Case events", 6);
	fputs(html_events_head, ex->out);
	json_array_foreach(ex->list, i, e) {
		artifact = html_get(e, "artifact");
		if (artifact != NULL && json_object_get(ex->recorded, artifact))
			continue;
		html_event_row(ex, e, 1);
	}
	fputs("</tbody>\n</table>\n", ex->out);
}

/* The printable chain-of-custody record. */
int
export_html(struct export *ex)
{
	if ((ex->recorded = json_object()) == NULL ||
	    (ex->stamps = json_object()) == NULL)
		return error_set("out of memory building the export");
	if (html_head(ex) != 0 ||
	    store_timestamps(ex->store, html_stamp_step, ex) != 0 ||
	    store_artifacts(ex->store, html_artifact, ex) != 0 ||
	    export_load_events(ex, NULL) != 0)
		return -1;
	fputs("<section class=\"case\">\n<h2>Case ", ex->out);
	html_text(ex->out, store_case_id(ex->store));
	fputs("</h2>\n", ex->out);
	html_handlers(ex);
	html_case_events(ex);
	fputs("</section>\n</body>\n</html>\n", ex->out);
	return ferror(ex->out) ? error_set_errno("html export: write") : 0;
}

