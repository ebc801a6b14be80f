/* One error message per thread, recorded by the core and printed by commands. */
#ifndef CUSTODY_ERROR_H
#define CUSTODY_ERROR_H

/* Record a message (printf-style); always returns -1 so callers can `return error_set(...)`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like error_set, with ": strerror(errno)" appended (errno taken at the call). */
int error_set_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Put "PREFIX: " (printf-style) before the current message; returns -1. */
int error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message recorded on this thread, or "unknown error". */
const char *error_message(void);
/* Forget the last message. */
void error_clear(void);

#endif
