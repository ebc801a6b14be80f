/* Split a stream of bytes into lines, with a cap on line length. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/lines.h"

/* Start with an empty buffer. */
void
lines_init(struct lines *l, size_t max)
{
	memset(l, 0, sizeof *l);
	l->max = max;
}

/* Append bytes to the current line, unless it is already too long. */
static int
lines_append(struct lines *l, const char *data, size_t len)
{
	size_t size;
	char *grown;

	if (l->too_long)
		return 0;
	if (l->length + len > l->max) {
		l->too_long = 1;
		return 0;
	}
	if (l->length + len + 1 > l->size) {
		size = l->size != 0 ? l->size : 256;
		while (size < l->length + len + 1)
			size *= 2;
		if ((grown = realloc(l->buffer, size)) == NULL)
			return error_set_errno("realloc");
		l->buffer = grown;
		l->size = size;
	}
	memcpy(l->buffer + l->length, data, len);
	l->length += len;
	return 0;
}

/* Hand the current line to fn and start a new one. */
static int
lines_deliver(struct lines *l, lines_fn fn, void *arg)
{
	int rc;

	l->number++;
	if (l->too_long)
		rc = fn(NULL, 0, l->number, arg);
	else {
		/* Appending nothing makes room for the terminator. */
		if (lines_append(l, "", 0) != 0)
			return -1;
		l->buffer[l->length] = '\0';
		rc = fn(l->buffer, l->length, l->number, arg);
	}
	l->length = 0;
	l->too_long = 0;
	return rc;
}

/* Feed bytes, delivering each complete line. */
int
lines_feed(struct lines *l, const void *data, size_t len, lines_fn fn, void *arg)
{
	const char *p = data, *end = p + len, *nl;
	int rc;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (lines_append(l, p, nl != NULL ? (size_t)(nl - p) : (size_t)(end - p)) != 0)
			return -1;
		if (nl == NULL)
			break;
		if ((rc = lines_deliver(l, fn, arg)) != 0)
			return rc;
		p = nl + 1;
	}
	return 0;
}

/* Deliver a final line without newline, if any. */
int
lines_finish(struct lines *l, lines_fn fn, void *arg, int *unterminated)
{
	*unterminated = l->length > 0 || l->too_long;
	if (!*unterminated)
		return 0;
	return lines_deliver(l, fn, arg);
}

/* Release the buffer. */
void
lines_free(struct lines *l)
{
	free(l->buffer);
	memset(l, 0, sizeof *l);
}
