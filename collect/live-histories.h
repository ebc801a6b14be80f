/* The histories source's parts: its start-up file scanner. */
#ifndef CUSTODY_LIVE_HISTORIES_H
#define CUSTODY_LIVE_HISTORIES_H

#include <stddef.h>

#include <jansson.h>

#define LIVE_WORD_MAX	4095	/* a longer HISTFILE value is recorded as too long */

/*
 * Append to statements one object per history statement of a start-up
 * file's text: {"file", "line", "kind", "text"} with kind "assignment"
 * (and "value", "literal": its start was single-quoted, "too_long"),
 * "unset", "size-zero" or "history-off".
 */
void live_histfile_scan(const char *data, size_t len, const char *file,
    json_t *statements);

#endif
