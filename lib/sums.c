/* SHA256SUMS lines in the coreutils format, so `sha256sum -c` can check them. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "custody/error.h"
#include "custody/sums.h"
#include "custody/util.h"

#define SUMS_HEX_LEN 64

/* True when the name needs coreutils escaping. */
static bool
sums_needs_escape(const char *path, size_t len)
{
	return memchr(path, '\\', len) != NULL || memchr(path, '\n', len) != NULL ||
	    memchr(path, '\r', len) != NULL;
}

/* Append one line of SHA256SUMS. */
int
sums_format_line(struct util_buffer *out, const char *hex, const char *path,
    size_t path_len)
{
	bool escape = sums_needs_escape(path, path_len);
	size_t i;
	char *o;

	if (strlen(hex) != SUMS_HEX_LEN)
		return error_set("not a SHA-256 digest");
	if (path_len > SIZE_MAX / 4 ||
	    util_buffer_reserve(out, SUMS_HEX_LEN + 4 + 2 * path_len) != 0)
		return -1;
	o = out->data + out->len;
	if (escape)
		*o++ = '\\';
	memcpy(o, hex, SUMS_HEX_LEN);
	o += SUMS_HEX_LEN;
	*o++ = ' ', *o++ = ' ';
	for (i = 0; escape && i < path_len; i++) {
		if (path[i] == '\\')
			*o++ = '\\', *o++ = '\\';
		else if (path[i] == '\n')
			*o++ = '\\', *o++ = 'n';
		else if (path[i] == '\r')
			*o++ = '\\', *o++ = 'r';
		else
			*o++ = path[i];
	}
	/* The usual case, a name with nothing to escape, goes out whole. */
	if (!escape && path_len > 0) {
		memcpy(o, path, path_len);
		o += path_len;
	}
	*o++ = '\n';
	out->len = (size_t)(o - out->data);
	return 0;
}

/* Write one line of SHA256SUMS. */
int
sums_write_line(FILE *out, const char *hex, const char *path, size_t path_len)
{
	struct util_buffer line = { 0 };
	int rc = 0;

	if (sums_format_line(&line, hex, path, path_len) != 0)
		rc = -1;
	else if (fwrite(line.data, 1, line.len, out) != line.len || ferror(out))
		rc = error_set_errno("write SHA256SUMS");
	util_buffer_free(&line);
	return rc;
}

/* Undo coreutils escaping in place; returns the new length or -1. */
static long
sums_unescape(char *path, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (path[i] != '\\') {
			path[o++] = path[i];
			continue;
		}
		if (++i == len)
			return -1;
		if (path[i] == '\\')
			path[o++] = '\\';
		else if (path[i] == 'n')
			path[o++] = '\n';
		else if (path[i] == 'r')
			path[o++] = '\r';
		else
			return -1;
	}
	path[o] = '\0';
	return (long)o;
}

/* Parse one SHA256SUMS line in place. */
int
sums_parse_line(char *line, size_t len, char **hex, char **path,
    size_t *path_len)
{
	bool escaped = len > 0 && line[0] == '\\';
	size_t i, start = escaped ? 1 : 0;
	long n;

	if (len < start + SUMS_HEX_LEN + 3)
		return error_set("line too short");
	for (i = start; i < start + SUMS_HEX_LEN; i++)
		if (strchr("0123456789abcdef", line[i]) == NULL || line[i] == '\0')
			return error_set("malformed digest");
	if (line[start + SUMS_HEX_LEN] != ' ' ||
	    (line[start + SUMS_HEX_LEN + 1] != ' ' &&
	    line[start + SUMS_HEX_LEN + 1] != '*'))
		return error_set("expected two spaces after the digest");
	if (memchr(line, '\0', len) != NULL)
		return error_set("NUL byte in line");
	line[start + SUMS_HEX_LEN] = '\0';
	*hex = line + start;
	*path = line + start + SUMS_HEX_LEN + 2;
	*path_len = len - (start + SUMS_HEX_LEN + 2);
	if (escaped) {
		if ((n = sums_unescape(*path, *path_len)) < 0)
			return error_set("malformed escape in name");
		*path_len = (size_t)n;
	} else
		(*path)[*path_len] = '\0';
	return 0;
}
