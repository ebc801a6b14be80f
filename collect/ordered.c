/*
 * The ordered queue: records and log lines written in collection order, each
 * behind its type.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/sums.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "collector-private.h"

static void collector_enqueue(struct collector *, struct pending *);

/* Add a line to collection.log: UTC time, then the message. */
void
collector_log(struct collector *c, const char *fmt, ...)
{
	char now[UTIL_TIME_SIZE], *message, *line;
	struct pending *p;
	struct timespec ts;
	va_list ap;
	int n;

	util_time_now(&ts);
	util_time_format(&ts, now);
	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&line, "%s %s\n", now, message) < 0) {
		if (n >= 0)
			free(message);
		return;
	}
	free(message);
	/* Behind records still waiting for a type, the line waits its turn. */
	if (c->head == NULL || (p = calloc(1, sizeof *p)) == NULL) {
		fputs(line, c->log.file);
		free(line);
		return;
	}
	p->ticket = -1;
	p->log_line = line;
	collector_enqueue(c, p);
}

/* Remember the first problems for the summary. */
void
collector_note_problem(struct collector *c, const char *source,
    const char *status, const char *reason)
{
	if (json_array_size(c->result.problems) >= PROBLEMS_MAX)
		return;
	json_array_append_new(c->result.problems, json_pack("{s:s, s:s, s:s}",
	    "source", source, "status", status, "reason", reason ? reason : ""));
}

/* Count a record by its status. */
static void
collector_count(struct collector *c, const struct pending *p)
{
	c->result.entries++;
	if (p->has_content) {
		c->result.members++;
		c->result.content_bytes += (uint64_t)p->size;
	}
	if (strcmp(p->status, STATUS_SKIPPED) == 0)
		c->result.skipped++;
	else if (strcmp(p->status, STATUS_ERROR) == 0)
		c->result.errors++;
	else if (strcmp(p->status, STATUS_CHANGED) == 0 ||
	    strcmp(p->status, STATUS_TRUNCATED) == 0)
		c->result.changed++;
	if (p->problem_source != NULL)
		collector_note_problem(c, p->problem_source, p->status,
		    p->problem_reason);
}

/* Tell the progress callback, counting the bytes of the file being read. */
void
collector_progress(struct collector *c, int64_t in_flight)
{
	struct collect_result now;

	if (c->opt->progress_fn == NULL)
		return;
	now = c->result;
	now.content_bytes += (uint64_t)in_flight;
	c->opt->progress_fn(&now, c->opt->progress_arg);
}

/* Free a pending record. */
void
pending_free(struct pending *p)
{
	json_decref(p->entry);
	free(p->sums_path);
	free(p->log_line);
	free(p->problem_source);
	free(p->problem_reason);
	free(p);
}

/* Append to the queue of records waiting their turn. */
static void
collector_enqueue(struct collector *c, struct pending *p)
{
	if (c->tail != NULL)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
}

/* Write a record: manifest line and its Merkle leaf, sums line, log line. */
static int
collector_write_record(struct collector *c, struct pending *p, const char *mime)
{
	merkle_hash leaf;
	size_t len;
	char *line;

	if (p->entry != NULL) {
		if (mime != NULL)
			json_object_set_new(p->entry, "mime", json_string(mime));
		if ((line = manifest_dump(p->entry, &len)) == NULL)
			return -1;
		fwrite(line, 1, len, c->manifest.file);
		fputc('\n', c->manifest.file);
		merkle_leaf_hash(line, len, leaf);
		merkle_builder_add(&c->tree, leaf);
		free(line);
		if (p->has_content && sums_write_line(c->sums.file, p->sha256,
		    p->sums_path, p->sums_path_len) != 0)
			return -1;
		collector_count(c, p);
	}
	if (p->log_line != NULL)
		fputs(p->log_line, c->log.file);
	if (ferror(c->manifest.file) || ferror(c->log.file))
		return error_set_errno("writing the manifest");
	return 0;
}

/* Write the oldest record if its turn has come (waiting for it with wait): 1 written, 0 not, -1 error. */
static int
collector_drain_one(struct collector *c, bool wait)
{
	struct pending *p = c->head;
	char mime[128];
	int rc;

	if (p == NULL)
		return 0;
	if (p->ticket >= 0) {
		if (!typer_take(c->typer, p->ticket, wait, mime, sizeof mime))
			return 0;
		c->outstanding--;
		c->typing_bytes -= p->type_len;
	}
	rc = collector_write_record(c, p, p->ticket >= 0 ? mime : NULL);
	c->head = p->next;
	if (c->head == NULL)
		c->tail = NULL;
	pending_free(p);
	return rc == 0 ? 1 : -1;
}

/* Write the records whose turn has come; with wait, all of them. */
int
collector_drain(struct collector *c, bool wait)
{
	int rc;

	while ((rc = collector_drain_one(c, wait)) == 1)
		;
	collector_progress(c, 0);
	return rc;
}

/*
 * Make room in the typing queue, so a submission never waits on itself and
 * the first blocks held for typing stay within TYPER_BYTES.
 */
static int
collector_make_room(struct collector *c, size_t len)
{
	while (c->head != NULL && (c->outstanding >= TYPER_JOBS ||
	    c->typing_bytes + len > TYPER_BYTES))
		if (collector_drain_one(c, true) < 0)
			return -1;
	return 0;
}

/* Submit bytes for typing; returns the ticket, or -1. */
int64_t
collector_submit(struct collector *c, const void *data, size_t len,
    const unsigned char *digest)
{
	int64_t ticket;

	if (collector_make_room(c, len) != 0)
		return -1;
	if ((ticket = typer_submit(c->typer, data, len, digest)) >= 0) {
		c->outstanding++;
		c->typing_bytes += len;
		c->last_type_len = len;
	}
	return ticket;
}

/* The log line of an entry. */
static char *
collector_log_line(const struct manifest_entry *e)
{
	char now[UTIL_TIME_SIZE], *escaped, *member = NULL, *line = NULL;
	struct timespec ts;

	util_time_now(&ts);
	util_time_format(&ts, now);
	escaped = util_escape(e->source, e->source_len);
	if (e->has_content)
		member = util_escape(e->path, e->path_len);
	if (escaped != NULL && asprintf(&line, "%s %s %s%s%s%s%s\n", now,
	    e->status, escaped, member != NULL ? " -> " : "",
	    member != NULL ? member : "", e->reason != NULL ? ": " : "",
	    e->reason != NULL ? e->reason : "") < 0)
		line = NULL;
	free(escaped);
	free(member);
	return line;
}

/* Fill a pending record from an entry. */
static int
collector_pending_fill(struct pending *p, const struct manifest_entry *e)
{
	if ((p->entry = manifest_entry_json(e)) == NULL ||
	    (p->log_line = collector_log_line(e)) == NULL)
		return -1;
	p->status = e->status;
	p->has_content = e->has_content;
	p->size = e->size;
	if (e->has_content) {
		hash_set_hex(e->hashes, HASH_SHA256, p->sha256);
		if ((p->sums_path = malloc(e->path_len + 1)) == NULL)
			return error_set_errno("malloc");
		memcpy(p->sums_path, e->path, e->path_len + 1);
		p->sums_path_len = e->path_len;
	}
	if (strcmp(e->status, STATUS_ERROR) == 0 ||
	    strcmp(e->status, STATUS_CHANGED) == 0 ||
	    strcmp(e->status, STATUS_TRUNCATED) == 0) {
		p->problem_source = util_escape(e->source, e->source_len);
		p->problem_reason = strdup(e->reason != NULL ? e->reason : "");
	}
	return 0;
}

/*
 * Record an entry: its manifest line, Merkle leaf, sums line and log
 * line, written in order once the type of its content (ticket) is known.
 */
int
collector_record_typed(struct collector *c, struct manifest_entry *e,
    int64_t ticket)
{
	struct pending *p = calloc(1, sizeof *p);

	if (p == NULL)
		return error_set_errno("calloc");
	p->ticket = ticket;
	p->type_len = ticket >= 0 ? c->last_type_len : 0;
	e->mime_pending = ticket >= 0;
	if (collector_pending_fill(p, e) != 0) {
		pending_free(p);
		return -1;
	}
	collector_enqueue(c, p);
	return collector_drain(c, false);
}

/* Record an entry that waits for no type. */
int
collector_record(struct collector *c, struct manifest_entry *e)
{
	return collector_record_typed(c, e, -1);
}

/* Fill the parts of an entry common to everything found on disk. */
void
collector_entry_init(struct collector *c, struct manifest_entry *e,
    const char *path, const struct stat *st)
{
	memset(e, 0, sizeof *e);
	e->source = path;
	e->source_len = strlen(path);
	e->st = st;
	e->kind = st != NULL ? manifest_kind(st->st_mode) : "unknown";
	if (st != NULL) {
		e->user = idmap_user(c->ids, st->st_uid);
		e->group = idmap_group(c->ids, st->st_gid);
	}
	util_time_now(&e->collected);
}

/* Record an object that could not be reached or read. */
int
collector_unreadable(struct collector *c, const char *path,
    const struct stat *st, int error_number, const char *what)
{
	struct manifest_entry e;
	char reason[256];

	collector_entry_init(c, &e, path, st);
	e.status = STATUS_ERROR;
	if (error_number == ENOENT)
		snprintf(reason, sizeof reason, "%s: vanished or not found", what);
	else
		snprintf(reason, sizeof reason, "%s: %s", what, strerror(error_number));
	e.reason = reason;
	return collector_record(c, &e);
}

/* Record an object left out by design. */
int
collector_skip(struct collector *c, const char *path, const struct stat *st,
    const char *reason)
{
	struct manifest_entry e;

	collector_entry_init(c, &e, path, st);
	e.status = STATUS_SKIPPED;
	e.reason = reason;
	return collector_record(c, &e);
}
