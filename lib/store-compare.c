/*
 * Compare a ledger row with the signed form it must equal: each column by
 * its storage class, its length and its bytes, never through C strings.
 * Text where an integer belongs, 0 for absent, NULL for an empty string,
 * a BLOB holding the same bytes as a text, a NUL byte or invalid UTF-8:
 * each is a difference.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/hash.h"
#include "custody/store.h"
#include "custody/util.h"
#include "store-check-private.h"

#define STORE_COMPARE_SHOWN	32	/* bytes of a stored text quoted in a message */

/* A stored value in words: 'NULL', 'the integer 0', 'the text "3"', ... */
static const char *
store_compare_describe(const struct store_value *v, char *out, size_t size)
{
	char *shown;

	switch (v->type) {
	case STORE_NULL: snprintf(out, size, "NULL"); break;
	case STORE_INTEGER:
		snprintf(out, size, "the integer %" PRId64, v->integer);
		break;
	case STORE_REAL: snprintf(out, size, "a real number"); break;
	case STORE_BLOB: snprintf(out, size, "a BLOB of %zu bytes", v->len); break;
	case STORE_TEXT:
		shown = util_escape((const char *)v->bytes,
		    v->len < STORE_COMPARE_SHOWN ? v->len : STORE_COMPARE_SHOWN);
		snprintf(out, size, "the text \"%s\"%s (%zu bytes)",
		    shown != NULL ? shown : "?", v->len > STORE_COMPARE_SHOWN ? "..." : "",
		    v->len);
		free(shown);
		break;
	}
	return out;
}

/* What is wrong with stored text bytes themselves, or "". */
static const char *
store_compare_text_flaw(const struct store_value *v)
{
	if (memchr(v->bytes, '\0', v->len) != NULL)
		return ": it holds a NUL byte";
	if (!util_utf8_valid((const char *)v->bytes, v->len))
		return ": it is not valid UTF-8";
	return "";
}

/* A text column against a signed string (NULL: absent). 0 same, 1 differs. */
static int
store_compare_text(const struct store_value *v, json_t *signed_value, char *why,
    size_t size)
{
	const char *text = json_string_value(signed_value);
	size_t len = json_string_length(signed_value);
	char stored[STORE_COMPARE_SHOWN * 4 + 64];

	if (signed_value == NULL) {
		if (v->type == STORE_NULL)
			return 0;
		snprintf(why, size, "stored as %s, signed as absent",
		    store_compare_describe(v, stored, sizeof stored));
		return 1;
	}
	struct store_value signed_text = { STORE_TEXT, 0,
	    (const unsigned char *)text, len };
	char signed_shown[STORE_COMPARE_SHOWN * 4 + 64];

	if (v->type == STORE_TEXT && v->len == len &&
	    memcmp(v->bytes, text, len) == 0)
		return 0;
	snprintf(why, size, "stored as %s%s, signed as %s",
	    store_compare_describe(v, stored, sizeof stored),
	    v->type == STORE_TEXT ? store_compare_text_flaw(v) : "",
	    store_compare_describe(&signed_text, signed_shown, sizeof signed_shown));
	return 1;
}

/* An integer column against a signed integer (NULL: absent). */
static int
store_compare_integer(const struct store_value *v, json_t *signed_value, char *why,
    size_t size)
{
	char stored[STORE_COMPARE_SHOWN * 4 + 64];

	if (signed_value == NULL ? v->type == STORE_NULL :
	    v->type == STORE_INTEGER && json_is_integer(signed_value) &&
	    v->integer == json_integer_value(signed_value))
		return 0;
	if (signed_value == NULL)
		snprintf(why, size, "stored as %s, signed as absent",
		    store_compare_describe(v, stored, sizeof stored));
	else
		snprintf(why, size, "stored as %s, signed as the integer %"
		    JSON_INTEGER_FORMAT, store_compare_describe(v, stored, sizeof stored),
		    json_integer_value(signed_value));
	return 1;
}

/* A BLOB column whose base64 (or SHA-256 in hex) is the signed string. */
static int
store_compare_blob(const struct store_value *v, json_t *signed_value, int digest,
    char *why, size_t size)
{
	char stored[STORE_COMPARE_SHOWN * 4 + 64], hex[65], *encoded = NULL;
	const char *expect = json_string_value(signed_value);
	unsigned char sha[32];
	int same = 0;

	if (v->type == STORE_BLOB && expect != NULL) {
		if (digest && hash_sha256(v->bytes, v->len, sha) == 0)
			same = strcmp(util_hex(sha, sizeof sha, hex), expect) == 0;
		else if (!digest && (encoded = util_base64(v->bytes, v->len)) != NULL)
			same = strcmp(encoded, expect) == 0;
	}
	free(encoded);
	if (same)
		return 0;
	snprintf(why, size, "stored as %s, not the BLOB whose %s was signed",
	    store_compare_describe(v, stored, sizeof stored),
	    digest ? "SHA-256" : "base64");
	return 1;
}

/* A column no signature covers: it must at least be text a C string holds whole. */
static int
store_compare_local(const struct store_value *v, char *why, size_t size)
{
	char stored[STORE_COMPARE_SHOWN * 4 + 64];

	if (v->type == STORE_TEXT && *store_compare_text_flaw(v) == '\0')
		return 0;
	snprintf(why, size, "stored as %s%s, where custody writes a UTF-8 text",
	    store_compare_describe(v, stored, sizeof stored),
	    v->type == STORE_TEXT ? store_compare_text_flaw(v) : "");
	return 1;
}

/* One column against its signed value. 0 same, 1 differs (why filled). */
static int
store_compare_field(const struct store_compare_spec *f, const struct store_value *v,
    json_t *event, json_t *details, char *why, size_t size)
{
	json_t *signed_value = json_object_get(f->from_event ? event : details,
	    f->key);

	switch (f->kind) {
	case STORE_COMPARE_TEXT: return store_compare_text(v, signed_value, why, size);
	case STORE_COMPARE_INTEGER: return store_compare_integer(v, signed_value, why, size);
	case STORE_COMPARE_BASE64: return store_compare_blob(v, signed_value, 0, why, size);
	case STORE_COMPARE_SHA256: return store_compare_blob(v, signed_value, 1, why, size);
	case STORE_COMPARE_LOCAL: return store_compare_local(v, why, size);
	case STORE_COMPARE_SIGNED: return 0;
	}
	return 0;
}

/* Compare a row with its signed event (and details); report each difference. */
int
store_compare_row(const struct store_compare_spec *spec, size_t n,
    const struct store_value *row, json_t *event, json_t *details,
    void (*report)(void *, const char *field, const char *why), void *arg)
{
	char why[512];
	size_t i, covered = 0;
	int differences = 0;

	for (i = 0; i < n; i++) {
		if (!spec[i].from_event && spec[i].kind != STORE_COMPARE_LOCAL &&
		    json_object_get(details, spec[i].key) != NULL)
			covered++;
		if (store_compare_field(&spec[i], &row[spec[i].column], event, details,
		    why, sizeof why) != 0) {
			report(arg, spec[i].name, why);
			differences++;
		}
	}
	if (details != NULL && json_object_size(details) != covered) {
		report(arg, "details", "the signed details hold fields no "
		    "column records");
		differences++;
	}
	return differences;
}
