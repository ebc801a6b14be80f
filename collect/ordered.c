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

/*
 * Add a finished log line (taken over) in its turn: behind records still
 * waiting for a type, the line waits too. The sink's side.
 */
void
collector_log_add(struct collector *c, char *line)
{
	struct pending *p;

	if (c->head == NULL || (p = calloc(1, sizeof *p)) == NULL) {
		fputs(line, c->log.file);
		free(line);
		return;
	}
	p->ticket = -1;
	p->log_line = line;
	collector_enqueue(c, p);
}

/* Add a line to collection.log: UTC time, then the message. */
void
collector_log(struct collector *c, const char *fmt, ...)
{
	char now[UTIL_TIME_SIZE], *message, *line;
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
	if (sink_here(c))
		collector_log_add(c, line);
	else
		sink_log(c, line);
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

/* Whether a status is a problem the summary names. */
static bool
collector_is_problem(const char *status)
{
	return strcmp(status, STATUS_ERROR) == 0 ||
	    strcmp(status, STATUS_CHANGED) == 0 ||
	    strcmp(status, STATUS_TRUNCATED) == 0;
}

/* Count a record by its status. */
static void
collector_count(struct collector *c, const char *status, bool has_content,
    int64_t size)
{
	c->result.entries++;
	if (has_content) {
		c->result.members++;
		c->result.content_bytes += (uint64_t)size;
	}
	if (strcmp(status, STATUS_SKIPPED) == 0)
		c->result.skipped++;
	else if (strcmp(status, STATUS_ERROR) == 0)
		c->result.errors++;
	else if (strcmp(status, STATUS_CHANGED) == 0 ||
	    strcmp(status, STATUS_TRUNCATED) == 0)
		c->result.changed++;
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
	util_buffer_free(&p->line);
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

/* Write a manifest line and its newline, and add its Merkle leaf. */
static void
collector_write_line(struct collector *c, const struct util_buffer *line)
{
	merkle_hash leaf;

	fwrite(line->data, 1, line->len, c->manifest.file);
	fputc('\n', c->manifest.file);
	merkle_leaf_hash(line->data, line->len, leaf);
	merkle_builder_add(&c->tree, leaf);
}

/* Write the SHA256SUMS line of a member. 0 or -1. */
static int
collector_write_sums(struct collector *c, const char *hex, const char *path,
    size_t len)
{
	c->sums_line.len = 0;
	if (sums_format_line(&c->sums_line, hex, path, len) != 0)
		return -1;
	fwrite(c->sums_line.data, 1, c->sums_line.len, c->sums.file);
	return 0;
}

/* The spools' write errors, as one. */
static int
collector_spool_error(struct collector *c)
{
	if (ferror(c->manifest.file) || ferror(c->log.file) || ferror(c->sums.file))
		return error_set_errno("writing the manifest");
	return 0;
}

/* Write a record: manifest line and its Merkle leaf, sums line, log line. */
static int
collector_write_record(struct collector *c, struct pending *p, const char *mime)
{
	if (p->has_entry) {
		/* libmagic's types are ASCII; one that is not is a failure, never dropped. */
		if (mime != NULL && p->mime_at != SIZE_MAX &&
		    manifest_line_set_mime(&p->line, p->mime_at, mime) != 0)
			return -1;
		collector_write_line(c, &p->line);
		if (p->has_content && collector_write_sums(c, p->sha256,
		    p->sums_path, p->sums_path_len) != 0)
			return -1;
		collector_count(c, p->status, p->has_content, p->size);
		if (p->problem_source != NULL)
			collector_note_problem(c, p->problem_source, p->status,
			    p->problem_reason);
	}
	if (p->log_line != NULL)
		fputs(p->log_line, c->log.file);
	return collector_spool_error(c);
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

/* The log line of an entry, made now. */
static char *
collector_log_line(const struct manifest_entry *e)
{
	struct util_buffer line = { 0 };
	struct timespec ts;

	util_time_now(&ts);
	if (manifest_entry_log_format(e, &ts, &line) != 0 ||
	    util_buffer_append(&line, "", 1) != 0) {
		util_buffer_free(&line);
		return NULL;
	}
	return line.data;
}

/* Fill a pending record from an entry. */
static int
collector_pending_fill(struct pending *p, const struct manifest_entry *e)
{
	p->has_entry = true;
	if (manifest_entry_format_at(e, &p->line, &p->mime_at) != 0 ||
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
	if (collector_is_problem(e->status)) {
		p->problem_source = util_escape(e->source, e->source_len);
		p->problem_reason = strdup(e->reason != NULL ? e->reason : "");
	}
	return 0;
}

/*
 * Write an entry at once, when nothing waits before it: its lines are
 * made in the sink's own buffers, so a record costs no allocation.
 */
static int
collector_write_now(struct collector *c, const struct manifest_entry *e)
{
	char hex[HASH_HEX_SIZE], *escaped;
	struct timespec ts;

	c->line.len = 0;
	c->log_line.len = 0;
	if (manifest_entry_format(e, &c->line) != 0)
		return -1;
	collector_write_line(c, &c->line);
	if (e->has_content) {
		hash_set_hex(e->hashes, HASH_SHA256, hex);
		if (collector_write_sums(c, hex, e->path, e->path_len) != 0)
			return -1;
	}
	collector_count(c, e->status, e->has_content, e->size);
	if (collector_is_problem(e->status)) {
		if ((escaped = util_escape(e->source, e->source_len)) == NULL)
			return -1;
		collector_note_problem(c, escaped, e->status,
		    e->reason != NULL ? e->reason : "");
		free(escaped);
	}
	util_time_now(&ts);
	if (manifest_entry_log_format(e, &ts, &c->log_line) != 0)
		return -1;
	fwrite(c->log_line.data, 1, c->log_line.len, c->log.file);
	return collector_spool_error(c);
}

/*
 * Record an entry: its manifest line, Merkle leaf, sums line and log
 * line, written in order once the type of its content (ticket) is known.
 */
int
collector_record_typed(struct collector *c, struct manifest_entry *e,
    int64_t ticket)
{
	struct pending *p;

	e->mime_pending = ticket >= 0;
	if (ticket < 0 && c->head == NULL) {
		if (collector_write_now(c, e) != 0)
			return -1;
		collector_progress(c, 0);
		return 0;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		return error_set_errno("calloc");
	p->ticket = ticket;
	p->type_len = ticket >= 0 ? c->last_type_len : 0;
	if (collector_pending_fill(p, e) != 0) {
		pending_free(p);
		return -1;
	}
	collector_enqueue(c, p);
	return collector_drain(c, false);
}

/* Record an entry without a member, in its turn. */
int
collector_record(struct collector *c, struct manifest_entry *e)
{
	return sink_entry(c, e);
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
