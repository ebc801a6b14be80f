/*
 * Unit tests: the manifest, SHA256SUMS and collection.log lines written
 * without a JSON tree are, byte for byte, the lines written with one, for
 * thousands of seeded random entries and for every hostile corner, and
 * they fail exactly where the tree fails.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/sums.h"
#include "custody/util.h"

#define RANDOM_ENTRIES	10000
#define FIELD_MAX	8192	/* room for the longest generated field */
#define PREFIX		"previous line bytes\n"
#define EMPTY_HEX	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- the references: the lines as written with a tree and with stdio ---- */

/* util_escape as it was written before the buffer form (the log's names). */
static char *
reference_escape(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	char *out = malloc(4 * len + 1), *o = out;
	size_t i = 0, n, k;
	bool valid;

	assert_non_null(out);
	while (i < len) {
		n = 1;
		if (p[i] >= 0x80) {
			/* A whole valid sequence, judged by util_utf8_valid. */
			for (n = 0, k = 2; k <= 4 && n == 0; k++) {
				valid = i + k <= len &&
				    util_utf8_valid((const char *)p + i, k);
				n = valid ? k : 0;
			}
		}
		if (p[i] == '\\')
			*o++ = '\\', *o++ = '\\';
		else if (p[i] == '\n')
			*o++ = '\\', *o++ = 'n';
		else if (p[i] == '\t')
			*o++ = '\\', *o++ = 't';
		else if (n == 0 || p[i] < 0x20 || p[i] == 0x7f) {
			o += sprintf(o, "\\x%02x", p[i]);
			n = 1;
		} else {
			memcpy(o, p + i, n);
			o += n;
		}
		i += n;
	}
	*o = '\0';
	return out;
}

/* The collector's log line as it builds it today, at a given time. */
static char *
reference_log_line(const struct manifest_entry *e, const struct timespec *ts)
{
	char now[UTIL_TIME_SIZE], *escaped, *member = NULL, *line = NULL;

	util_time_format(ts, now);
	escaped = reference_escape(e->source, e->source_len);
	if (e->has_content)
		member = reference_escape(e->path, e->path_len);
	if (asprintf(&line, "%s %s %s%s%s%s%s\n", now,
	    e->status, escaped, member != NULL ? " -> " : "",
	    member != NULL ? member : "", e->reason != NULL ? ": " : "",
	    e->reason != NULL ? e->reason : "") < 0)
		line = NULL;
	free(escaped);
	free(member);
	assert_non_null(line);
	return line;
}

/* A SHA256SUMS line as sums_write_line wrote it with stdio; -1 on a bad digest. */
static int
reference_sums_line(const char *hex, const char *path, size_t len,
    char **line, size_t *line_len)
{
	bool escape = memchr(path, '\\', len) || memchr(path, '\n', len) ||
	    memchr(path, '\r', len);
	FILE *out;
	size_t i;

	if (strlen(hex) != 64)
		return -1;
	out = open_memstream(line, line_len);
	assert_non_null(out);
	if (escape)
		fputc('\\', out);
	fprintf(out, "%s  ", hex);
	for (i = 0; i < len; i++) {
		if (escape && path[i] == '\\')
			fputs("\\\\", out);
		else if (escape && path[i] == '\n')
			fputs("\\n", out);
		else if (escape && path[i] == '\r')
			fputs("\\r", out);
		else
			fputc(path[i], out);
	}
	fputc('\n', out);
	assert_int_equal(fclose(out), 0);
	return 0;
}

/* ---- seeded random entries ---- */

static uint64_t rng_state = UINT64_C(0x6a09e667f3bcc908);

/* splitmix64: the same sequence on every machine. */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A number below n. */
static size_t
rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

/* True one time in n. */
static bool
rng_one_in(size_t n)
{
	return rng_below(n) == 0;
}

/* Append the UTF-8 of code point cp at o; returns the end. */
static char *
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* A code point worth testing: escapes, controls, DEL, separators, every plane. */
static unsigned
random_code_point(void)
{
	static const unsigned picks[] = {
		'"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0x01, 0x1f,
		0x7f, 0x80, 0xa0, 0x7ff, 0x800, 0x2028, 0x2029, 0xfeff,
		0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff, 0xd7ff, 0xe000
	};
	unsigned cp;

	switch (rng_below(5)) {
	case 0:
		return picks[rng_below(sizeof picks / sizeof picks[0])];
	case 1:
		return (unsigned)(1 + rng_below(0x7f));
	case 2:
		return (unsigned)(0x80 + rng_below(0x800 - 0x80));
	case 3:
		do
			cp = (unsigned)(0x800 + rng_below(0x10000 - 0x800));
		while (cp >= 0xd800 && cp <= 0xdfff);
		return cp;
	default:
		return (unsigned)(0x10000 + rng_below(0x110000 - 0x10000));
	}
}

/* Bytes that are not UTF-8: overlong, surrogate, past U+10FFFF, cut short, stray. */
static char *
put_invalid(char *o)
{
	static const char *const bad[] = {
		"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80",
		"\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xf5",
		"\xff", "\xfe", "\x80", "\xbf", "\xe2\x82", "\xf0\x9f\x98",
		"\xc2"
	};
	const char *b = bad[rng_below(sizeof bad / sizeof bad[0])];

	memcpy(o, b, strlen(b));
	return o + strlen(b);
}

/*
 * Fill buf with a field of one of several shapes; returns its length.
 * with_nul lets a NUL in (fields with a length); buf is NUL-terminated.
 */
static size_t
random_field(char *buf, bool with_nul)
{
	size_t len = rng_below(40), i;
	char *o = buf, *end;
	int shape = (int)rng_below(10);

	if (rng_one_in(30))
		len = 4000;
	end = buf + len;
	if (shape == 0)
		o = buf;	/* empty */
	else if (shape <= 3)
		while (o < end) {
			/* every byte 0x01..0xff, mostly not UTF-8 */
			*o++ = (char)(1 + rng_below(255));
		}
	else
		while (o < end) {
			if (shape == 4 && rng_one_in(8))
				o = put_invalid(o);
			else if (with_nul && shape == 5 && rng_one_in(10))
				*o++ = '\0';
			else
				o = put_utf8(o, random_code_point());
		}
	for (i = 0; !with_nul && i < (size_t)(o - buf); i++)
		if (buf[i] == '\0')
			buf[i] = 'x';
	*o = '\0';
	return (size_t)(o - buf);
}

/* A C string field, NULL one time in none_in (never when none_in is 0). */
static const char *
random_text(char *buf, size_t none_in, const char *usual)
{
	if (none_in > 0 && rng_one_in(none_in))
		return NULL;
	if (usual != NULL && !rng_one_in(4))
		return usual;
	random_field(buf, false);
	return buf;
}

/* A time: ordinary, before 1970, at and past either end of the years written. */
static void
random_time(struct timespec *ts)
{
	static const int64_t picks[] = {
		0, -1, 1, -86400, -86401, INT64_C(-2208988800),
		INT64_C(253402300799), INT64_C(253402300800),
		INT64_C(-62167219200), INT64_C(-62167219201), INT64_C(951782400),
		INT64_C(1700000000), INT32_MAX, INT32_MIN
	};
	static const long nsec[] = { 0, 1, 999999999, -1, 1000000000, 500000000 };

	if (rng_one_in(3))
		ts->tv_sec = (time_t)picks[rng_below(sizeof picks / sizeof picks[0])];
	else if (rng_one_in(10))
		ts->tv_sec = (time_t)rng();
	else
		ts->tv_sec = (time_t)(rng() % INT64_C(20000000000)) -
		    (time_t)INT64_C(10000000000);
	ts->tv_nsec = rng_one_in(3) ? nsec[rng_below(6)] :
	    (long)rng_below(1000000000);
}

/* A number at an edge as often as not. */
static int64_t
random_number(void)
{
	static const int64_t picks[] = {
		0, 1, -1, INT64_MAX, INT64_MIN, INT64_MAX / 2, 4096,
		INT64_C(4294967295), INT64_C(4294967296), 10, 9, 99, 100
	};

	if (rng_one_in(2))
		return picks[rng_below(sizeof picks / sizeof picks[0])];
	return rng_one_in(2) ? (int64_t)rng() : (int64_t)rng_below(1000000);
}

/* A stat of any type, with any permission bits, ids, sizes and times. */
static void
random_stat(struct stat *st)
{
	static const mode_t types[] = {
		S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFBLK, S_IFCHR, 0
	};

	memset(st, 0, sizeof *st);
	st->st_mode = types[rng_below(8)] | (mode_t)rng_below(010000);
	st->st_uid = (uid_t)(rng_one_in(2) ? rng() : rng_below(70000));
	st->st_gid = (gid_t)(rng_one_in(2) ? rng() : rng_below(70000));
	st->st_size = (off_t)random_number();
	st->st_ino = (ino_t)random_number();
	st->st_dev = (dev_t)random_number();
	st->st_nlink = (nlink_t)random_number();
	st->st_rdev = makedev((unsigned)rng(), (unsigned)rng());
	random_time(&st->st_mtim);
	random_time(&st->st_atim);
	random_time(&st->st_ctim);
}

/* Digests of any mask, of the right lengths or (rarely) none. */
static void
random_hashes(struct hash_set *set)
{
	static const unsigned lengths[HASH_COUNT] = { 32, 20, 16, 64 };
	int alg;
	size_t i;

	memset(set, 0, sizeof *set);
	set->mask = (unsigned)rng_below(HASH_MASK_ALL + 1);
	if (rng_one_in(2))
		set->mask |= HASH_MASK(HASH_SHA256);
	for (alg = 0; alg < HASH_COUNT; alg++) {
		set->length[alg] = rng_one_in(40) ? 0 : lengths[alg];
		for (i = 0; i < set->length[alg]; i++)
			set->digest[alg][i] = (unsigned char)rng();
	}
}

/* The storage behind one random entry. */
struct fields {
	char		path[FIELD_MAX], source[FIELD_MAX], link[FIELD_MAX];
	char		kind[FIELD_MAX], status[FIELD_MAX], reason[FIELD_MAX];
	char		origin[FIELD_MAX], class[FIELD_MAX], mime[FIELD_MAX];
	char		user[FIELD_MAX], group[FIELD_MAX];
	struct stat	st;
	struct hash_set	hashes;
};

static const char *const kinds[] = {
	"file", "directory", "symlink", "fifo", "socket", "block-device",
	"char-device", "live", "unknown"
};
static const char *const statuses[] = {
	STATUS_OK, STATUS_CHANGED, STATUS_TRUNCATED, STATUS_SKIPPED,
	STATUS_METADATA, STATUS_ERROR
};

/* The names of a random entry: member, source, kind, status, reason, origin, class. */
static void
random_names(struct manifest_entry *e, struct fields *f)
{
	if (!rng_one_in(4)) {
		e->path_len = random_field(f->path, true);
		e->path = f->path;
	}
	e->source_len = random_field(f->source, true);
	e->source = f->source;
	e->kind = random_text(f->kind, 500, kinds[rng_below(9)]);
	e->status = random_text(f->status, 500, statuses[rng_below(6)]);
	e->reason = random_text(f->reason, 2, "permission denied");
	e->origin = random_text(f->origin, 2, "/proc/net/tcp");
	e->class = random_text(f->class, 2, "logs");
}

/* One random entry; every field independent of the others. */
static void
random_entry(struct manifest_entry *e, struct fields *f)
{
	memset(e, 0, sizeof *e);
	random_names(e, f);
	if (!rng_one_in(5)) {
		random_stat(&f->st);
		e->st = &f->st;
		e->user = random_text(f->user, 3, "root");
		e->group = random_text(f->group, 3, "adm");
	}
	if (rng_one_in(4)) {
		e->link_len = random_field(f->link, true);
		e->link_target = f->link;
	}
	e->has_content = rng_one_in(2);
	e->hash_only = rng_one_in(6);
	e->size = random_number();
	random_hashes(&f->hashes);
	e->hashes = &f->hashes;
	e->mime = random_text(f->mime, 2, "text/plain");
	e->mime_pending = rng_one_in(2);
	random_time(&e->collected);
	e->atime_unprotected = rng_one_in(5);
	e->summary = rng_one_in(8);
	e->skipped_files = rng();
	e->skipped_bytes = rng_one_in(2) ? rng() : rng_below(1000);
}

/* ---- the comparisons ---- */

/* What the random entries covered, so that a change in the generator cannot hollow the test. */
static struct {
	unsigned	made, refused, base64, pending, escaped;
} seen;

/* Show where two lines part. */
static void
show_difference(const char *want, size_t want_len, const char *got,
    size_t got_len)
{
	size_t at = 0, from;

	while (at < want_len && at < got_len && want[at] == got[at])
		at++;
	from = at > 40 ? at - 40 : 0;
	print_message("lines of %zu and %zu bytes part at %zu\n", want_len,
	    got_len, at);
	print_message("want: %.*s\n", (int)(want_len - from > 80 ? 80 :
	    want_len - from), want + from);
	print_message("got:  %.*s\n", (int)(got_len - from > 80 ? 80 :
	    got_len - from), got + from);
}

/* Count what a line shows of the cases it exercised. */
static void
count_line(const char *line, size_t len)
{
	seen.made++;
	seen.base64 += memmem(line, len, "_base64\":", 9) != NULL;
	seen.pending += memmem(line, len, "\"mime\":null", 11) != NULL;
	seen.escaped += memmem(line, len, "\\u00", 4) != NULL;
}

/*
 * The formatted line equals jansson's, appended after what out held, or
 * both fail with one message and out is untouched. Returns whether the
 * line was made; *mime_at from manifest_entry_format_at.
 */
static bool
check_entry(const struct manifest_entry *e, struct util_buffer *out,
    size_t *mime_at)
{
	size_t want_len = 0, before = out->len;
	char *want, *want_error = NULL;
	int rc;

	error_clear();
	if ((want = manifest_entry_line(e, &want_len)) == NULL)
		want_error = strdup(error_message());
	error_clear();
	rc = manifest_entry_format_at(e, out, mime_at);
	if (want == NULL) {
		assert_int_equal(rc, -1);
		assert_int_equal(out->len, before);
		assert_int_equal(*mime_at, SIZE_MAX);
		assert_string_equal(error_message(), want_error);
		free(want_error);
		seen.refused++;
		return false;
	}
	assert_int_equal(rc, 0);
	if (out->len - before != want_len ||
	    memcmp(out->data + before, want, want_len) != 0)
		show_difference(want, want_len, out->data + before,
		    out->len - before);
	assert_int_equal(out->len - before, want_len);
	assert_memory_equal(out->data + before, want, want_len);
	count_line(want, want_len);
	free(want);
	return true;
}

/* The type filled in later equals jansson's line with "mime" set then. */
static void
check_mime(const struct manifest_entry *e, struct util_buffer *out,
    size_t start, size_t mime_at, const char *mime)
{
	json_t *o = manifest_entry_json(e), *value;
	size_t want_len, before = out->len;
	char *want;
	int rc;

	assert_non_null(o);
	value = mime != NULL ? json_string(mime) : NULL;
	if (value != NULL)
		assert_int_equal(json_object_set_new(o, "mime", value), 0);
	want = manifest_dump(o, &want_len);
	assert_non_null(want);
	json_decref(o);
	rc = manifest_line_set_mime(out, mime_at, mime);
	/* jansson cannot hold such a type: refused, the line as it was. */
	assert_int_equal(rc, mime != NULL && value == NULL ? -1 : 0);
	if (rc != 0)
		assert_int_equal(out->len, before);
	assert_int_equal(out->len - start, want_len);
	assert_memory_equal(out->data + start, want, want_len);
	free(want);
}

/* Where the formatter says a pending type stands: exactly when one is pending. */
static void
check_mime_at(const struct manifest_entry *e, const struct util_buffer *out,
    size_t mime_at)
{
	bool pending = (e->has_content || e->hash_only) && e->mime == NULL &&
	    e->mime_pending;

	if (!pending) {
		assert_int_equal(mime_at, SIZE_MAX);
		return;
	}
	assert_true(mime_at + 4 <= out->len);
	assert_memory_equal(out->data + mime_at - 7, "\"mime\":null", 11);
}

/* The log line equals the collector's, appended after what out held. */
static void
check_log(const struct manifest_entry *e, struct util_buffer *out)
{
	char *want;
	size_t before = out->len;

	if (e->status == NULL)
		return;
	want = reference_log_line(e, &e->collected);
	assert_int_equal(manifest_entry_log_format(e, &e->collected, out), 0);
	assert_int_equal(out->len - before, strlen(want));
	assert_memory_equal(out->data + before, want, strlen(want));
	free(want);
}

/* The SHA256SUMS line equals the stdio one, or both refuse the digest. */
static void
check_sums(const struct manifest_entry *e, struct util_buffer *out)
{
	char hex[HASH_HEX_SIZE], *want = NULL;
	size_t want_len = 0, before = out->len;
	int rc;

	if (!e->has_content || e->path == NULL)
		return;
	hash_set_hex(e->hashes, HASH_SHA256, hex);
	rc = reference_sums_line(hex, e->path, e->path_len, &want, &want_len);
	assert_int_equal(sums_format_line(out, hex, e->path, e->path_len), rc);
	if (rc != 0) {
		assert_int_equal(out->len, before);
		return;
	}
	assert_int_equal(out->len - before, want_len);
	assert_memory_equal(out->data + before, want, want_len);
	free(want);
}

/* A type to fill in later: none, ordinary, with escapes, or not UTF-8. */
static const char *
random_late_mime(char *buf)
{
	switch (rng_below(5)) {
	case 0:
		return NULL;
	case 1:
		return "application/octet-stream";
	case 2:
		return "text/x-\"quoted\"\\\n\x01";
	default:
		random_field(buf, false);
		return buf;
	}
}

/* Every comparison for one entry, the buffers starting with unrelated bytes. */
static void
check_all(const struct manifest_entry *e, struct util_buffer *out)
{
	static char late[FIELD_MAX];
	size_t mime_at;

	out->len = 0;
	assert_int_equal(util_buffer_append(out, PREFIX, strlen(PREFIX)), 0);
	if (check_entry(e, out, &mime_at)) {
		check_mime_at(e, out, mime_at);
		if (mime_at != SIZE_MAX)
			check_mime(e, out, strlen(PREFIX), mime_at,
			    random_late_mime(late));
	}
	check_log(e, out);
	check_sums(e, out);
}

/* Thousands of seeded random entries. */
static void
test_random_entries(void **state)
{
	static struct fields f;
	struct util_buffer out = { 0 };
	struct manifest_entry e;
	int i;

	(void)state;
	for (i = 0; i < RANDOM_ENTRIES; i++) {
		random_entry(&e, &f);
		check_all(&e, &out);
	}
	util_buffer_free(&out);
	print_message("%u lines made, %u refused, %u with base64, %u pending, "
	    "%u with \\u00XX\n", seen.made, seen.refused, seen.base64,
	    seen.pending, seen.escaped);
	assert_true(seen.made > RANDOM_ENTRIES / 2);
	assert_true(seen.refused > RANDOM_ENTRIES / 50);
	assert_true(seen.base64 > RANDOM_ENTRIES / 4);
	assert_true(seen.pending > RANDOM_ENTRIES / 10);
	assert_true(seen.escaped > RANDOM_ENTRIES / 10);
}

/* A plain file entry to vary. */
static void
plain_entry(struct manifest_entry *e, struct fields *f)
{
	memset(e, 0, sizeof *e);
	memset(f, 0, sizeof *f);
	e->path = "files/etc/passwd";
	e->path_len = strlen(e->path);
	e->source = "/etc/passwd";
	e->source_len = strlen(e->source);
	e->kind = "file";
	e->status = STATUS_OK;
	f->st.st_mode = S_IFREG | 0644;
	e->st = &f->st;
	e->has_content = true;
	f->hashes.mask = HASH_MASK(HASH_SHA256);
	f->hashes.length[HASH_SHA256] = 32;
	e->hashes = &f->hashes;
	e->collected.tv_sec = 1700000000;
}

/* Every byte 0x01..0xff alone and in company, in each name field. */
static void
test_every_byte(void **state)
{
	static struct fields f;
	struct util_buffer out = { 0 };
	struct manifest_entry e;
	char one[2], mixed[4];
	unsigned c;

	(void)state;
	plain_entry(&e, &f);
	for (c = 1; c <= 0xff; c++) {
		one[0] = (char)c, one[1] = '\0';
		snprintf(mixed, sizeof mixed, "a%cb", (char)c);
		e.path = e.source = e.link_target = one;
		e.path_len = e.source_len = e.link_len = 1;
		e.user = e.group = mixed;
		e.reason = e.origin = e.class = e.mime = NULL;
		check_all(&e, &out);
		e.reason = one;
		check_all(&e, &out);
		e.reason = NULL;
		e.origin = e.class = e.mime = mixed;
		check_all(&e, &out);
	}
	util_buffer_free(&out);
}

/* Every code point but the surrogates, 4,000 bytes of them at a time, as path and reason. */
static void
test_every_code_point(void **state)
{
	static struct fields f;
	static char text[4100];
	struct util_buffer out = { 0 };
	struct manifest_entry e;
	unsigned cp = 1;
	char *o;

	(void)state;
	plain_entry(&e, &f);
	while (cp < 0x110000) {
		for (o = text; o < text + 4000 && cp < 0x110000; cp++)
			if (cp < 0xd800 || cp > 0xdfff)
				o = put_utf8(o, cp);
		*o = '\0';
		e.path = e.reason = text;
		e.path_len = (size_t)(o - text);
		check_all(&e, &out);
	}
	util_buffer_free(&out);
}

/* The fields jansson refuses fail alike, naming the field, and append nothing. */
static void
test_refused_fields(void **state)
{
	static struct fields f;
	struct util_buffer out = { 0 };
	struct manifest_entry e;
	const char **fields[] = { &e.kind, &e.status, &e.reason, &e.origin,
	    &e.class, &e.mime };
	size_t i, mime_at;

	(void)state;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		plain_entry(&e, &f);
		*fields[i] = "bad \xff text";
		out.len = 0;
		assert_int_equal(manifest_entry_format_at(&e, &out, &mime_at), -1);
		assert_int_equal(out.len, 0);
		assert_non_null(strstr(error_message(), "cannot build manifest entry: "
		    "manifest field \""));
		check_all(&e, &out);
	}
	plain_entry(&e, &f);
	e.kind = NULL;
	check_all(&e, &out);
	e.kind = "file";
	e.source = NULL;
	e.source_len = 0;
	check_all(&e, &out);
	util_buffer_free(&out);
}

/* The integers at their edges, as jansson's %lld gives them. */
static void
test_integer_edges(void **state)
{
	static struct fields f;
	struct util_buffer out = { 0 };
	struct manifest_entry e;

	(void)state;
	plain_entry(&e, &f);
	e.size = INT64_MIN;
	e.summary = true;
	e.skipped_files = UINT64_MAX;
	e.skipped_bytes = (uint64_t)INT64_MAX + 1;
	f.st.st_ino = (ino_t)UINT64_MAX;
	f.st.st_dev = (dev_t)INT64_MAX;
	f.st.st_size = (off_t)INT64_MIN;
	f.st.st_uid = UINT32_MAX;
	f.st.st_gid = UINT32_MAX;
	f.st.st_mode = S_IFCHR | 07777;
	f.st.st_rdev = makedev(UINT32_MAX, UINT32_MAX);
	check_all(&e, &out);
	e.size = INT64_MAX;
	f.st.st_mode = S_IFBLK;
	f.st.st_rdev = makedev(8, 1);
	e.hash_only = true;
	e.has_content = false;
	e.path = NULL;
	check_all(&e, &out);
	util_buffer_free(&out);
}

/* Once the buffer is large enough, formatting the same line allocates nothing. */
static void
test_steady_state(void **state)
{
	static struct fields f;
	struct util_buffer out = { 0 };
	struct manifest_entry e;
	const char *data;
	size_t size;
	int i;

	(void)state;
	plain_entry(&e, &f);
	assert_int_equal(manifest_entry_format(&e, &out), 0);
	assert_int_equal(manifest_entry_log_format(&e, &e.collected, &out), 0);
	assert_int_equal(sums_format_line(&out, EMPTY_HEX, e.path, e.path_len), 0);
	data = out.data;
	size = out.size;
	for (i = 0; i < 1000; i++) {
		out.len = 0;
		assert_int_equal(manifest_entry_format(&e, &out), 0);
		assert_int_equal(manifest_entry_log_format(&e, &e.collected, &out), 0);
		assert_int_equal(sums_format_line(&out, EMPTY_HEX, e.path,
		    e.path_len), 0);
		out.len = 0;
	}
	assert_ptr_equal(out.data, data);
	assert_int_equal(out.size, size);
	util_buffer_free(&out);
}

/* A misplaced offset is refused, never written over. */
static void
test_set_mime_misuse(void **state)
{
	struct util_buffer out = { 0 };

	(void)state;
	assert_int_equal(util_buffer_append(&out, "{\"mime\":null}", 13), 0);
	assert_int_equal(manifest_line_set_mime(&out, 2, "text/plain"), -1);
	assert_int_equal(manifest_line_set_mime(&out, 11, "text/plain"), -1);
	assert_int_equal(manifest_line_set_mime(&out, SIZE_MAX, "text/plain"), -1);
	assert_int_equal(out.len, 13);
	assert_int_equal(manifest_line_set_mime(&out, 8, "text/plain"), 0);
	assert_int_equal(out.len, 21);
	assert_memory_equal(out.data, "{\"mime\":\"text/plain\"}", 21);
	util_buffer_free(&out);
}

/* The escaped names for messages are what they were before the buffer form. */
static void
test_escape(void **state)
{
	static char field[FIELD_MAX];
	char *want, *got;
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		len = random_field(field, true);
		want = reference_escape(field, len);
		got = util_escape(field, len);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(want);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_entries),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_every_code_point),
		cmocka_unit_test(test_refused_fields),
		cmocka_unit_test(test_integer_edges),
		cmocka_unit_test(test_steady_state),
		cmocka_unit_test(test_set_mime_misuse),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
