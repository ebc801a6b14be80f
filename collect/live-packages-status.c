/*
 * dpkg's status file, read strictly and within bounds: stanzas of
 * RFC 822-like fields ("Name: value", continuation lines starting with a
 * space or a tab) separated by blank lines, streamed so that a huge field
 * costs no more memory than PACKAGES_FIELD_MAX.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/error.h"

#include "live-packages-status.h"

#define STATUS_BLOCK	65536

/* Start reading a status file from fd. 0 or -1. */
int
status_reader_init(struct status_reader *r, int fd, const char *name)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = name;
	r->block = malloc(STATUS_BLOCK);
	r->line = malloc(PACKAGES_FIELD_MAX + 1);
	if (r->block == NULL || r->line == NULL) {
		status_reader_free(r);
		return error_set_errno("malloc");
	}
	return 0;
}

void
status_reader_free(struct status_reader *r)
{
	size_t i;

	for (i = 0; i < STATUS_FIELD_COUNT; i++)
		free(r->stanza.value[i]);
	free(r->block);
	free(r->line);
	r->block = r->line = NULL;
	memset(&r->stanza, 0, sizeof r->stanza);
}

/* Refill the block; 0 at the end (or the cap), -1 on error, else bytes. */
static ssize_t
status_fill(struct status_reader *r)
{
	ssize_t n;

	if (r->total >= PACKAGES_STATUS_MAX) {
		r->over_cap = true;
		return 0;
	}
	do
		n = read(r->fd, r->block, STATUS_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_set_errno("%s", r->name);
	r->block_len = (size_t)n;
	r->block_pos = 0;
	r->total += n;
	return n;
}

/* Keep part of a line, within the cap. */
static void
status_keep(struct status_reader *r, const char *data, size_t len)
{
	size_t room = PACKAGES_FIELD_MAX - r->line_len;

	if (len > room) {
		len = room;
		r->line_truncated = true;
	}
	memcpy(r->line + r->line_len, data, len);
	r->line_len += len;
}

/* The next line (without its newline): 1, 0 at the end, -1 on error. */
static int
status_next_line(struct status_reader *r)
{
	const char *start, *newline;
	size_t len;
	ssize_t n;
	bool any = false;

	r->line_len = 0;
	r->line_truncated = false;
	for (;;) {
		if (r->block_pos == r->block_len) {
			if ((n = status_fill(r)) < 0)
				return -1;
			if (n == 0)
				break;
		}
		any = true;
		start = r->block + r->block_pos;
		len = r->block_len - r->block_pos;
		newline = memchr(start, '\n', len);
		if (newline != NULL)
			len = (size_t)(newline - start);
		status_keep(r, start, len);
		r->block_pos += len + (newline != NULL);
		if (newline != NULL)
			break;
	}
	r->line[r->line_len] = '\0';
	if (any)
		r->line_number++;
	return any ? 1 : 0;
}

/* The field an index stands for, or -1 for one not kept. */
static int
status_field_index(const char *name, size_t len)
{
	static const char *const names[STATUS_FIELD_COUNT] = {
		"Package", "Status", "Version", "Architecture", "Source",
		"Installed-Size", "Maintainer", "Conffiles", "Multi-Arch"
	};
	int i;

	for (i = 0; i < STATUS_FIELD_COUNT; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return i;
	return -1;
}

/* Mark the stanza broken (the first reason is kept). */
static void
status_broken(struct status_reader *r, const char *reason)
{
	if (r->stanza.reason == NULL) {
		r->stanza.reason = reason;
		r->stanza.reason_line = r->line_number;
	}
}

/* Note that the field being read was cut at the limit (once per field). */
static void
status_long(struct status_stanza *s)
{
	if (s->long_count > 0 &&
	    strcmp(s->long_fields[s->long_count - 1], s->name) == 0)
		return;
	if (s->long_count < STATUS_LONG_MAX)
		memcpy(s->long_fields[s->long_count], s->name, sizeof s->name);
	s->long_count++;
}

/* Room for need more bytes (and a NUL) in a field's value. 0 or -1. */
static int
status_room(struct status_stanza *s, int i, size_t need)
{
	size_t size = s->size[i] == 0 ? 64 : s->size[i];
	char *grown;

	while (size < s->len[i] + need + 1)
		size *= 2;
	if (size == s->size[i])
		return 0;
	if ((grown = realloc(s->value[i], size)) == NULL)
		return -1;
	s->value[i] = grown;
	s->size[i] = size;
	return 0;
}

/* Append bytes to the value of the field being read, within the cap. */
static void
status_append(struct status_reader *r, const char *data, size_t len, bool newline)
{
	struct status_stanza *s = &r->stanza;
	int i = s->current;
	size_t room;

	if (i < 0)
		return;
	room = PACKAGES_FIELD_MAX - s->len[i];
	if (len + newline > room) {
		status_long(s);
		len = room > (size_t)newline ? room - newline : 0;
		newline = newline && room > 0;
	}
	if (status_room(s, i, len + newline) != 0) {
		s->current = -1;
		return status_broken(r, "out of memory");
	}
	if (newline)
		s->value[i][s->len[i]++] = '\n';
	memcpy(s->value[i] + s->len[i], data, len);
	s->len[i] += len;
	s->value[i][s->len[i]] = '\0';
}

/* A "Name: value" line. */
static void
status_field(struct status_reader *r)
{
	struct status_stanza *s = &r->stanza;
	char *colon = memchr(r->line, ':', r->line_len), *value;
	size_t name_len, i;

	s->current = -1;
	if (colon == NULL || colon == r->line)
		return status_broken(r, "a line that is neither a field nor a "
		    "continuation");
	name_len = (size_t)(colon - r->line);
	for (i = 0; i < name_len; i++)
		if (r->line[i] <= ' ' || r->line[i] > '~')
			return status_broken(r, "a field name with a space or a "
			    "control character");
	s->fields++;
	snprintf(s->name, sizeof s->name, "%.*s", (int)name_len, r->line);
	if ((s->current = status_field_index(r->line, name_len)) < 0)
		return;
	if (s->value[s->current] != NULL) {
		s->current = -1;
		return status_broken(r, "a field given twice");
	}
	if (status_room(s, s->current, 0) != 0) {
		s->current = -1;
		return status_broken(r, "out of memory");
	}
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	status_append(r, value, r->line_len - (size_t)(value - r->line), false);
}

/* Forget the last stanza. */
static void
status_stanza_clear(struct status_reader *r)
{
	size_t i;

	for (i = 0; i < STATUS_FIELD_COUNT; i++)
		free(r->stanza.value[i]);
	memset(&r->stanza, 0, sizeof r->stanza);
	r->stanza.current = -1;
}

/* True when a line holds only spaces and tabs. */
static bool
status_blank(const struct status_reader *r)
{
	return strspn(r->line, " \t") == r->line_len;
}

/* Take one line into the stanza being read. */
static void
status_line(struct status_reader *r)
{
	struct status_stanza *s = &r->stanza;

	if (s->first_line == 0)
		s->first_line = r->line_number;
	if (memchr(r->line, '\0', r->line_len) != NULL)
		status_broken(r, "a NUL byte");
	else if (r->line[0] == ' ' || r->line[0] == '\t') {
		if (s->fields == 0)
			status_broken(r, "a continuation line before any field");
		else
			status_append(r, r->line, r->line_len, true);
	} else if (r->line[0] == '#')
		status_broken(r, "a comment line");
	else
		status_field(r);
	if (r->line_truncated && s->fields > 0)
		status_long(s);
}

/*
 * The next stanza (in r->stanza): 1, 0 at the end, -1 on a read error.
 * A stanza with a reason is broken: the caller records it and goes on.
 */
int
status_next(struct status_reader *r)
{
	int rc;

	status_stanza_clear(r);
	while ((rc = status_next_line(r)) == 1) {
		if (status_blank(r)) {
			if (r->stanza.first_line != 0)
				return 1;
			continue;
		}
		status_line(r);
	}
	if (rc < 0)
		return -1;
	return r->stanza.first_line != 0 ? 1 : 0;
}
