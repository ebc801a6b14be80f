/* One error message per thread, recorded by the core and printed by commands. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "custody/error.h"

static _Thread_local char error_buffer[1024];

/* Record a message; returns -1. */
int
error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_buffer, sizeof error_buffer, fmt, ap);
	va_end(ap);
	return -1;
}

/* Record a message followed by the text of errno; returns -1. */
int
error_set_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t used;

	va_start(ap, fmt);
	vsnprintf(error_buffer, sizeof error_buffer, fmt, ap);
	va_end(ap);
	used = strlen(error_buffer);
	snprintf(error_buffer + used, sizeof error_buffer - used, ": %s",
	    strerror(saved));
	errno = saved;
	return -1;
}

/* Put a prefix before the current message; returns -1. */
int
error_prefix(const char *fmt, ...)
{
	char prefix[512], message[sizeof error_buffer];
	va_list ap;

	snprintf(message, sizeof message, "%s", error_message());
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* A message cut short is still better than none. */
	if (snprintf(error_buffer, sizeof error_buffer, "%s: %s", prefix,
	    message) >= (int)sizeof error_buffer)
		error_buffer[sizeof error_buffer - 1] = '\0';
	return -1;
}

/* The last recorded message. */
const char *
error_message(void)
{
	return error_buffer[0] != '\0' ? error_buffer : "unknown error";
}

/* Forget the last message. */
void
error_clear(void)
{
	error_buffer[0] = '\0';
}
