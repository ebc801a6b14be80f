/*
 * Which key sealed an artifact's archive, as its signed event says: the
 * collector's registered key for a collected event, the key the examiner
 * checked and recorded for an ingested one; and whether a one-time key
 * already sealed an archive of the case.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/event.h"
#include "custody/key.h"
#include "custody/store.h"
#include "custody/util.h"

/* What store_events hands the scans below. */
struct store_sealer_scan {
	const char		*fingerprint;	/* seal_key looked for, or NULL */
	struct store_sealer	*out;
	bool			 found;
};

/* The sealer recorded by an ingested event's signed details. 0 or -1. */
static int
store_sealer_ingested(const struct event *e, struct store_sealer *out)
{
	const char *key = json_string_value(json_object_get(e->details, "seal_key"));
	const char *b64 = json_string_value(json_object_get(e->details,
	    "seal_public_key"));
	const char *kind = json_string_value(json_object_get(e->details,
	    "seal_key_kind"));
	const char *id = json_string_value(json_object_get(e->details,
	    "seal_evidence_id"));
	unsigned char *raw = NULL;
	size_t len = 0;

	if (key == NULL || b64 == NULL || kind == NULL || id == NULL ||
	    strlen(key) != 64 || util_unbase64(b64, &raw, &len) != 0 ||
	    len != KEY_RAW_SIZE) {
		free(raw);
		return error_set("ingested event %llu: its seal_key, seal_public_key, "
		    "seal_key_kind or seal_evidence_id is missing or invalid",
		    (unsigned long long)e->seq);
	}
	memcpy(out->public_key, raw, KEY_RAW_SIZE);
	free(raw);
	snprintf(out->fingerprint, sizeof out->fingerprint, "%s", key);
	snprintf(out->sealed_evidence_id, sizeof out->sealed_evidence_id, "%s", id);
	out->one_time = strcmp(kind, "one-time") == 0;
	out->ingested = true;
	return 0;
}

/* store_events callback: the first collected or ingested event of an artifact. */
static int
store_sealer_step(const struct store_event *row, void *arg)
{
	struct store_sealer_scan *scan = arg;
	struct event e;
	json_t *o;
	int rc = 0;

	if (scan->found)
		return 0;
	if ((o = event_parse(row->canonical, row->canonical_len, &e)) == NULL)
		return error_prefix("event %llu", (unsigned long long)row->ev.seq);
	if (strcmp(e.action, "ingested") == 0) {
		rc = store_sealer_ingested(&e, scan->out);
		scan->found = true;
	} else if (strcmp(e.action, "collected") == 0) {
		snprintf(scan->out->fingerprint, sizeof scan->out->fingerprint,
		    "%s", e.handler);
		snprintf(scan->out->sealed_evidence_id,
		    sizeof scan->out->sealed_evidence_id, "%s", e.artifact);
		scan->found = true;
	}
	if (scan->found)
		scan->out->seq = e.seq;
	json_decref(o);
	return rc;
}

/* The key that sealed an artifact's archive. */
int
store_artifact_sealer(struct store *s, const char *evidence_id,
    struct store_sealer *out)
{
	struct store_sealer_scan scan = { NULL, out, false };
	struct store_handler h;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_events(s, evidence_id, store_sealer_step, &scan) != 0)
		return -1;
	if (!scan.found)
		return error_set("artifact %s has no collected or ingested event",
		    evidence_id);
	if (out->ingested)
		return 0;
	/* Collected into the case: sealed by the collector's registered key. */
	if ((rc = store_handler_find(s, out->fingerprint, &h)) != 0 ||
	    strcmp(h.fingerprint, out->fingerprint) != 0)
		return rc < 0 ? -1 : error_set("its collector %.16s is not "
		    "registered in case %s", out->fingerprint, store_case_id(s));
	memcpy(out->public_key, h.public_key, KEY_RAW_SIZE);
	return 0;
}

/* store_events callback: an ingested event whose one-time seal key is the one sought. */
static int
store_sealer_used_step(const struct store_event *row, void *arg)
{
	struct store_sealer_scan *scan = arg;
	const char *key, *kind;
	struct event e;
	json_t *o;

	if (scan->found)
		return 0;
	if ((o = event_parse(row->canonical, row->canonical_len, &e)) == NULL)
		return error_prefix("event %llu", (unsigned long long)row->ev.seq);
	key = json_string_value(json_object_get(e.details, "seal_key"));
	kind = json_string_value(json_object_get(e.details, "seal_key_kind"));
	if (strcmp(e.action, "ingested") == 0 && key != NULL && kind != NULL &&
	    strcmp(kind, "one-time") == 0 && strcmp(key, scan->fingerprint) == 0 &&
	    e.artifact != NULL) {
		scan->found = true;
		scan->out->seq = e.seq;
		snprintf(scan->out->evidence_id, sizeof scan->out->evidence_id,
		    "%s", e.artifact);
	}
	json_decref(o);
	return 0;
}

/* Has this one-time key already sealed an archive the case ingested? */
int
store_one_time_key_used(struct store *s, const char *fingerprint,
    struct store_sealer *out)
{
	struct store_sealer_scan scan = { fingerprint, out, false };

	memset(out, 0, sizeof *out);
	if (store_events(s, NULL, store_sealer_used_step, &scan) != 0)
		return -1;
	return scan.found ? 1 : 0;
}
