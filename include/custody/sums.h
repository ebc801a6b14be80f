/* SHA256SUMS lines in the coreutils format, so `sha256sum -c` can check them. */
#ifndef CUSTODY_SUMS_H
#define CUSTODY_SUMS_H

#include <stddef.h>
#include <stdio.h>

struct util_buffer;

/*
 * Write "HEX  PATH\n"; a path holding a backslash, newline or carriage
 * return is escaped and the line starts with a backslash, as coreutils does.
 * 0 or -1.
 */
int sums_write_line(FILE *out, const char *hex, const char *path, size_t path_len);
/* The same line appended to out (no allocation once out is large enough). 0 or -1. */
int sums_format_line(struct util_buffer *out, const char *hex, const char *path,
    size_t path_len);
/*
 * Parse one line (without its newline; line[len] must be writable, as a
 * terminator is) in place: *hex points at 64 hex
 * digits, *path at the unescaped name of *path_len bytes. 0 or -1.
 */
int sums_parse_line(char *line, size_t len, char **hex, char **path,
    size_t *path_len);

#endif
