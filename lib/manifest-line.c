/*
 * An entry's manifest line written straight into a buffer, without a JSON
 * tree: byte for byte what jansson dumps of manifest_entry_json (compact,
 * keys in order), for the collector's hot path. Also the entry's line of
 * collection.log.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/util.h"

/* Append a string literal. */
#define LINE_LITERAL(b, s)	util_buffer_append((b), (s), sizeof (s) - 1)

/* How the quoting treats a byte. */
enum {
	LINE_COPY,	/* as it is */
	LINE_ESCAPE,	/* quote, backslash, control character */
	LINE_MULTIBYTE,	/* starts a sequence to check */
	LINE_REFUSED	/* NUL: never in a JSON string of ours */
};

#define LINE_ROW(c)	c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c

static const unsigned char manifest_line_class[256] = {
	LINE_REFUSED, LINE_ESCAPE, LINE_ESCAPE, LINE_ESCAPE,
	LINE_ESCAPE, LINE_ESCAPE, LINE_ESCAPE, LINE_ESCAPE,
	LINE_ESCAPE, LINE_ESCAPE, LINE_ESCAPE, LINE_ESCAPE,
	LINE_ESCAPE, LINE_ESCAPE, LINE_ESCAPE, LINE_ESCAPE,	/* 0x00 */
	LINE_ROW(LINE_ESCAPE),					/* 0x10 */
	LINE_COPY, LINE_COPY, LINE_ESCAPE, LINE_COPY,		/* '"' */
	LINE_COPY, LINE_COPY, LINE_COPY, LINE_COPY,
	LINE_COPY, LINE_COPY, LINE_COPY, LINE_COPY,
	LINE_COPY, LINE_COPY, LINE_COPY, LINE_COPY,		/* 0x20 */
	LINE_ROW(LINE_COPY), LINE_ROW(LINE_COPY),		/* 0x30, 0x40 */
	LINE_COPY, LINE_COPY, LINE_COPY, LINE_COPY,
	LINE_COPY, LINE_COPY, LINE_COPY, LINE_COPY,
	LINE_COPY, LINE_COPY, LINE_COPY, LINE_COPY,
	LINE_ESCAPE, LINE_COPY, LINE_COPY, LINE_COPY,		/* '\\' */
	LINE_ROW(LINE_COPY), LINE_ROW(LINE_COPY),		/* 0x60, 0x70: DEL as is */
	LINE_ROW(LINE_MULTIBYTE), LINE_ROW(LINE_MULTIBYTE),
	LINE_ROW(LINE_MULTIBYTE), LINE_ROW(LINE_MULTIBYTE),
	LINE_ROW(LINE_MULTIBYTE), LINE_ROW(LINE_MULTIBYTE),
	LINE_ROW(LINE_MULTIBYTE), LINE_ROW(LINE_MULTIBYTE)
};

/* Write the escape jansson writes for a byte it escapes; returns the end. */
static char *
manifest_line_escape(char *o, unsigned char c)
{
	static const char digits[] = "0123456789ABCDEF";

	*o++ = '\\';
	switch (c) {
	case '"':
	case '\\':
		*o++ = (char)c;
		return o;
	case '\b':
		*o++ = 'b';
		return o;
	case '\f':
		*o++ = 'f';
		return o;
	case '\n':
		*o++ = 'n';
		return o;
	case '\r':
		*o++ = 'r';
		return o;
	case '\t':
		*o++ = 't';
		return o;
	default:
		*o++ = 'u', *o++ = '0', *o++ = '0';
		*o++ = digits[c >> 4], *o++ = digits[c & 0x0f];
		return o;
	}
}

/* The length of the UTF-8 sequence a byte starts (0: none), checked by util_utf8_valid. */
static size_t
manifest_line_sequence(const unsigned char *p, size_t left)
{
	size_t n = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 :
	    *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;

	if (n == 0 || n > left || !util_utf8_valid((const char *)p, n))
		return 0;
	return n;
}

/*
 * Write data as a JSON string at o, escaped as jansson escapes it: quote,
 * backslash and control characters only ("/", DEL and all of non-ASCII
 * as they are; \u00XX in upper case). o has room for 6 * len + 2 bytes.
 * Returns the end, or NULL when data is not UTF-8 or holds a NUL, as
 * util_utf8_valid judges.
 */
static char *
manifest_line_quote(char *o, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data, *end = p + len;
	const unsigned char *run = p;
	size_t n;

	*o++ = '"';
	while (p < end) {
		while (p < end && manifest_line_class[*p] == LINE_COPY)
			p++;
		if (p == end)
			break;
		switch (manifest_line_class[*p]) {
		case LINE_MULTIBYTE:
			if ((n = manifest_line_sequence(p, (size_t)(end - p))) == 0)
				return NULL;
			p += n;
			continue;
		case LINE_REFUSED:
			return NULL;
		}
		memcpy(o, run, (size_t)(p - run));
		o = manifest_line_escape(o + (p - run), *p);
		run = ++p;
	}
	memcpy(o, run, (size_t)(p - run));
	o += p - run;
	*o++ = '"';
	return o;
}

/* The bytes manifest_line_quote writes for valid data. */
static size_t
manifest_line_quoted_size(const char *data, size_t len)
{
	size_t i, size = 2;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)data[i];
		size += manifest_line_class[c] != LINE_ESCAPE ? 1 :
		    c == '"' || c == '\\' || c == '\b' || c == '\f' ||
		    c == '\n' || c == '\r' || c == '\t' ? 2 : 6;
	}
	return size;
}

/* Append data as a JSON string; 1 (nothing appended) when it is not UTF-8. */
static int
manifest_line_string(struct util_buffer *b, const char *data, size_t len)
{
	char *end;

	if (len > SIZE_MAX / 8 || util_buffer_reserve(b, 6 * len + 2) != 0)
		return -1;
	if ((end = manifest_line_quote(b->data + b->len, data, len)) == NULL)
		return 1;
	b->len = (size_t)(end - b->data);
	return 0;
}

/* Append ,"key": (keys are ours: nothing in them to escape). */
static int
manifest_line_key(struct util_buffer *b, const char *key)
{
	size_t len = strlen(key);

	if (util_buffer_reserve(b, len + 4) != 0)
		return -1;
	b->data[b->len++] = ',';
	b->data[b->len++] = '"';
	memcpy(b->data + b->len, key, len);
	b->len += len;
	b->data[b->len++] = '"';
	b->data[b->len++] = ':';
	return 0;
}

/* A field jansson would refuse (json_string of NULL or of text not UTF-8). */
static int
manifest_line_refused(const char *key)
{
	return error_set("manifest field \"%s\" cannot be stored", key);
}

/* A text field, refused as json_string refuses it: NULL or not UTF-8. */
static int
manifest_line_text(struct util_buffer *b, const char *key, const char *value)
{
	size_t start = b->len;
	int rc;

	if (value == NULL)
		return manifest_line_refused(key);
	if (manifest_line_key(b, key) != 0 ||
	    (rc = manifest_line_string(b, value, strlen(value))) < 0)
		return -1;
	if (rc > 0) {
		b->len = start;
		return manifest_line_refused(key);
	}
	return 0;
}

/* Bytes that are not UTF-8 as manifest_set_bytes stores them: key_base64. */
static int
manifest_line_base64(struct util_buffer *b, const char *key, const char *data,
    size_t len)
{
	char alt[64];
	size_t encoded;

	if (len > (size_t)1 << 30)
		return error_set("data too large to encode");
	if ((size_t)snprintf(alt, sizeof alt, "%s_base64", key) >= sizeof alt)
		return manifest_line_refused(key);
	encoded = 4 * ((len + 2) / 3);
	if (manifest_line_key(b, alt) != 0 ||
	    util_buffer_reserve(b, encoded + 2) != 0)
		return -1;
	b->data[b->len++] = '"';
	EVP_EncodeBlock((unsigned char *)b->data + b->len,
	    (const unsigned char *)data, (int)len);
	b->len += encoded;
	b->data[b->len++] = '"';
	return 0;
}

/* Bytes as manifest_set_bytes stores them: a string when UTF-8, else key_base64. */
static int
manifest_line_bytes(struct util_buffer *b, const char *key, const char *data,
    size_t len)
{
	size_t start = b->len;
	int rc;

	if (data == NULL)
		return manifest_line_refused(key);
	if (manifest_line_key(b, key) != 0 ||
	    (rc = manifest_line_string(b, data, len)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	b->len = start;
	return manifest_line_base64(b, key, data, len);
}

/* An integer field, in jansson's decimal form of a json_int_t. */
static int
manifest_line_integer(struct util_buffer *b, const char *key, json_int_t value)
{
	char digits[24], *p = digits + sizeof digits;
	unsigned long long magnitude = value < 0 ?
	    0 - (unsigned long long)value : (unsigned long long)value;

	do {
		*--p = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	if (value < 0)
		*--p = '-';
	if (manifest_line_key(b, key) != 0 ||
	    util_buffer_append(b, p, (size_t)(digits + sizeof digits - p)) != 0)
		return -1;
	return 0;
}

/* A timestamp field. */
static int
manifest_line_time(struct util_buffer *b, const char *key,
    const struct timespec *ts)
{
	char text[UTIL_TIME_SIZE];

	util_time_format(ts, text);
	return manifest_line_text(b, key, text);
}

/* The fields every entry has: type, names, kind, status, reason, origin, class. */
static int
manifest_line_names(struct util_buffer *b, const struct manifest_entry *e)
{
	if (LINE_LITERAL(b, "{\"type\":\"entry\"") != 0 ||
	    (e->path != NULL &&
	    manifest_line_bytes(b, "path", e->path, e->path_len) != 0) ||
	    manifest_line_bytes(b, "source", e->source, e->source_len) != 0 ||
	    manifest_line_text(b, "kind", e->kind) != 0 ||
	    manifest_line_text(b, "status", e->status) != 0 ||
	    (e->reason != NULL && manifest_line_text(b, "reason", e->reason) != 0) ||
	    (e->origin != NULL && manifest_line_text(b, "origin", e->origin) != 0) ||
	    (e->class != NULL && manifest_line_text(b, "class", e->class) != 0))
		return -1;
	return 0;
}

/* The member fields: size, digests, type (null and its offset when pending). */
static int
manifest_line_content(struct util_buffer *b, const struct manifest_entry *e,
    size_t *mime_at)
{
	char hex[HASH_HEX_SIZE];
	int alg;

	if (manifest_line_integer(b, "size", e->size) != 0)
		return -1;
	for (alg = 0; alg < HASH_COUNT; alg++) {
		if (!(e->hashes->mask & HASH_MASK(alg)))
			continue;
		hash_set_hex(e->hashes, alg, hex);
		if (manifest_line_text(b, hash_name(alg), hex) != 0)
			return -1;
	}
	if (e->mime != NULL)
		return manifest_line_text(b, "mime", e->mime);
	if (!e->mime_pending)
		return 0;
	if (manifest_line_key(b, "mime") != 0)
		return -1;
	if (mime_at != NULL)
		*mime_at = b->len;
	return LINE_LITERAL(b, "null");
}

/* The counts of a directory's summary of skipped files. */
static int
manifest_line_summary(struct util_buffer *b, const struct manifest_entry *e)
{
	if (manifest_line_integer(b, "skipped_files",
	    (json_int_t)e->skipped_files) != 0 ||
	    manifest_line_integer(b, "skipped_bytes",
	    (json_int_t)e->skipped_bytes) != 0)
		return -1;
	return 0;
}

/* The permission bits as four octal digits ("%04o"). */
static int
manifest_line_mode(struct util_buffer *b, mode_t mode)
{
	unsigned bits = (unsigned)(mode & 07777);
	char text[5];

	text[0] = (char)('0' + (bits >> 9 & 7));
	text[1] = (char)('0' + (bits >> 6 & 7));
	text[2] = (char)('0' + (bits >> 3 & 7));
	text[3] = (char)('0' + (bits & 7));
	text[4] = '\0';
	return manifest_line_text(b, "mode", text);
}

/* The owner fields; a name that is not UTF-8 goes in base64. */
static int
manifest_line_owner(struct util_buffer *b, const struct manifest_entry *e)
{
	const struct stat *st = e->st;

	if (manifest_line_integer(b, "uid", st->st_uid) != 0 ||
	    (e->user != NULL &&
	    manifest_line_bytes(b, "user", e->user, strlen(e->user)) != 0) ||
	    manifest_line_integer(b, "gid", st->st_gid) != 0 ||
	    (e->group != NULL &&
	    manifest_line_bytes(b, "group", e->group, strlen(e->group)) != 0))
		return -1;
	return 0;
}

/* The fields of struct stat. */
static int
manifest_line_stat(struct util_buffer *b, const struct manifest_entry *e)
{
	const struct stat *st = e->st;

	if (manifest_line_integer(b, "source_size", st->st_size) != 0 ||
	    manifest_line_mode(b, st->st_mode) != 0 ||
	    manifest_line_owner(b, e) != 0 ||
	    manifest_line_integer(b, "inode", (json_int_t)st->st_ino) != 0 ||
	    manifest_line_integer(b, "device", (json_int_t)st->st_dev) != 0 ||
	    manifest_line_integer(b, "links", (json_int_t)st->st_nlink) != 0)
		return -1;
	if ((S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode)) &&
	    (manifest_line_integer(b, "rdev_major", major(st->st_rdev)) != 0 ||
	    manifest_line_integer(b, "rdev_minor", minor(st->st_rdev)) != 0))
		return -1;
	if (manifest_line_time(b, "mtime", &st->st_mtim) != 0 ||
	    manifest_line_time(b, "atime", &st->st_atim) != 0 ||
	    manifest_line_time(b, "ctime", &st->st_ctim) != 0)
		return -1;
	return 0;
}

/* Append an entry's line, noting where a pending type's null stands. */
int
manifest_entry_format_at(const struct manifest_entry *e,
    struct util_buffer *out, size_t *mime_at)
{
	size_t start = out->len;

	if (mime_at != NULL)
		*mime_at = SIZE_MAX;
	if (manifest_line_names(out, e) != 0 ||
	    ((e->has_content || e->hash_only) &&
	    manifest_line_content(out, e, mime_at) != 0) ||
	    (e->summary && manifest_line_summary(out, e) != 0) ||
	    (e->st != NULL && manifest_line_stat(out, e) != 0) ||
	    (e->link_target != NULL && manifest_line_bytes(out, "link_target",
	    e->link_target, e->link_len) != 0) ||
	    (e->atime_unprotected && LINE_LITERAL(out, ",\"noatime\":false") != 0) ||
	    manifest_line_time(out, "collected", &e->collected) != 0 ||
	    LINE_LITERAL(out, "}") != 0) {
		out->len = start;
		if (mime_at != NULL)
			*mime_at = SIZE_MAX;
		return error_prefix("cannot build manifest entry");
	}
	return 0;
}

/* Append an entry's line. */
int
manifest_entry_format(const struct manifest_entry *e, struct util_buffer *out)
{
	return manifest_entry_format_at(e, out, NULL);
}

/* Put the type in place of the null a pending entry's line holds. */
int
manifest_line_set_mime(struct util_buffer *line, size_t mime_at,
    const char *mime)
{
	size_t len, quoted, tail;

	if (mime_at > line->len || line->len - mime_at < 4 ||
	    memcmp(line->data + mime_at, "null", 4) != 0)
		return error_set("manifest line has no pending \"mime\"");
	if (mime == NULL)
		return 0;
	if (!util_utf8_valid(mime, len = strlen(mime)))
		return manifest_line_refused("mime");
	quoted = manifest_line_quoted_size(mime, len);
	if (util_buffer_reserve(line, quoted) != 0)
		return -1;
	tail = line->len - mime_at - 4;
	memmove(line->data + mime_at + quoted, line->data + mime_at + 4, tail);
	manifest_line_quote(line->data + mime_at, mime, len);
	line->len = mime_at + quoted + tail;
	return 0;
}

/* Append an entry's collection.log line. */
int
manifest_entry_log_format(const struct manifest_entry *e,
    const struct timespec *now, struct util_buffer *out)
{
	char time[UTIL_TIME_SIZE];
	size_t start = out->len;

	if (e->status == NULL)
		return error_set("log line of an entry without status");
	util_time_format(now, time);
	if (util_buffer_append(out, time, strlen(time)) != 0 ||
	    LINE_LITERAL(out, " ") != 0 ||
	    util_buffer_append(out, e->status, strlen(e->status)) != 0 ||
	    LINE_LITERAL(out, " ") != 0 ||
	    util_escape_append(out, e->source, e->source_len) != 0 ||
	    (e->has_content && (LINE_LITERAL(out, " -> ") != 0 ||
	    util_escape_append(out, e->path, e->path_len) != 0)) ||
	    (e->reason != NULL && (LINE_LITERAL(out, ": ") != 0 ||
	    util_buffer_append(out, e->reason, strlen(e->reason)) != 0)) ||
	    LINE_LITERAL(out, "\n") != 0) {
		out->len = start;
		return -1;
	}
	return 0;
}
