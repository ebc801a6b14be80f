/* Small helpers shared by the core: encodings, times, names, whole-file reads. */
#include "config.h"

#include <sys/stat.h>

#include <libgen.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/manifest.h"
#include "custody/util.h"

/* Lower-case hex of a byte string. */
char *
util_hex(const unsigned char *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return out;
}

/* Value of one hex digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly len bytes of hex. */
int
util_unhex(const char *text, unsigned char *out, size_t len)
{
	size_t i;
	int high, low;

	if (text == NULL || strlen(text) != 2 * len)
		return error_set("expected %zu hex digits", 2 * len);
	for (i = 0; i < len; i++) {
		high = hex_value(text[2 * i]);
		low = hex_value(text[2 * i + 1]);
		if (high < 0 || low < 0)
			return error_set("invalid hex digit");
		out[i] = (unsigned char)(high << 4 | low);
	}
	return 0;
}

/* Base64 without line breaks. */
char *
util_base64(const void *data, size_t len)
{
	char *out;

	if (len > (size_t)1 << 30) {
		error_set("data too large to encode");
		return NULL;
	}
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out == NULL) {
		error_set_errno("malloc");
		return NULL;
	}
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* Decode strict base64 (with padding) into a new buffer. */
int
util_unbase64(const char *text, unsigned char **out, size_t *out_len)
{
	size_t len = strlen(text), pad = 0;
	unsigned char *buf;
	int n;

	if (len % 4 != 0 || len > (size_t)1 << 30)
		return error_set("malformed base64");
	if (len > 0 && text[len - 1] == '=')
		pad++;
	if (len > 1 && text[len - 2] == '=')
		pad++;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return error_set_errno("malloc");
	n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
	if (n < 0 || (size_t)n < pad || memchr(text, '=', len - pad) != NULL) {
		free(buf);
		return error_set("malformed base64");
	}
	*out = buf;
	*out_len = (size_t)n - pad;
	return 0;
}

/* Write n as width decimal digits. */
static char *
util_digits(char *out, long n, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + n % 10);
		n /= 10;
	}
	return out + width;
}

/*
 * Days since 1970-01-01 of a date of the proleptic Gregorian calendar.
 * By hand, as below: the C library's gmtime_r and timegm load the host's
 * time zone (/etc/localtime, zoneinfo) on first use, which custody must
 * not read for a time it writes in UTC.
 */
static int64_t
util_days_from_date(int64_t year, unsigned month, unsigned day)
{
	int64_t era;
	unsigned year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = (unsigned)(year - era * 400);
	day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
	    day_of_year;
	return era * 146097 + (int64_t)day_of_era - 719468;
}

/* The date of a day counted from 1970-01-01. */
static void
util_date_from_days(int64_t days, int64_t *year, unsigned *month,
    unsigned *day)
{
	int64_t era;
	unsigned day_of_era, year_of_era, day_of_year, m;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	day_of_era = (unsigned)(days - era * 146097);
	year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
	    day_of_era / 146096) / 365;
	day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 -
	    year_of_era / 100);
	m = (5 * day_of_year + 2) / 153;
	*day = day_of_year - (153 * m + 2) / 5 + 1;
	*month = m < 10 ? m + 3 : m - 9;
	*year = (int64_t)year_of_era + era * 400 + (*month <= 2);
}

/* UTC ISO-8601 with nanoseconds (by hand: it is written several times a file). */
void
util_time_format(const struct timespec *ts, char out[UTIL_TIME_SIZE])
{
	int64_t t = (int64_t)ts->tv_sec, days, year, second;
	unsigned month, day;
	char *p = out;

	/* Past year 9999 or before 0 either way; no overflow below. */
	if (t > INT64_C(253402300799) || t < INT64_C(-62167219200) ||
	    ts->tv_nsec < 0 || ts->tv_nsec > 999999999) {
		snprintf(out, UTIL_TIME_SIZE, "invalid-time");
		return;
	}
	days = (t >= 0 ? t : t - 86399) / 86400;
	second = t - days * 86400;
	util_date_from_days(days, &year, &month, &day);
	p = util_digits(p, (long)year, 4);
	*p++ = '-';
	p = util_digits(p, (long)month, 2);
	*p++ = '-';
	p = util_digits(p, (long)day, 2);
	*p++ = 'T';
	p = util_digits(p, (long)(second / 3600), 2);
	*p++ = ':';
	p = util_digits(p, (long)(second / 60 % 60), 2);
	*p++ = ':';
	p = util_digits(p, (long)(second % 60), 2);
	*p++ = '.';
	p = util_digits(p, ts->tv_nsec, 9);
	*p++ = 'Z';
	*p = '\0';
}

/* Digits at text[at..at+n) as a number, or -1. */
static long
util_number_at(const char *text, size_t at, size_t n)
{
	long v = 0;
	size_t i;

	for (i = at; i < at + n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		v = v * 10 + (text[i] - '0');
	}
	return v;
}

/* Parse "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ", exactly as util_time_format writes it. */
int
util_time_parse(const char *text, size_t len, struct timespec *ts)
{
	static const char shape[] = "0000-00-00T00:00:00.000000000Z";
	char again[UTIL_TIME_SIZE];
	long month, day;
	size_t i;

	if (len != sizeof shape - 1)
		return -1;
	for (i = 0; i < len; i++)
		if (shape[i] == '0' ? text[i] < '0' || text[i] > '9' : text[i] != shape[i])
			return -1;
	month = util_number_at(text, 5, 2);
	day = util_number_at(text, 8, 2);
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return -1;
	ts->tv_sec = (time_t)(util_days_from_date(util_number_at(text, 0, 4),
	    (unsigned)month, (unsigned)day) * 86400 +
	    util_number_at(text, 11, 2) * 3600 + util_number_at(text, 14, 2) * 60 +
	    util_number_at(text, 17, 2));
	ts->tv_nsec = util_number_at(text, 20, 9);
	/* Only a time that formats back to the same text (no 31 February). */
	util_time_format(ts, again);
	return memcmp(again, text, len) == 0 ? 0 : -1;
}

/* The current wall-clock time. */
void
util_time_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

/* True when an id is safe in a file name. */
bool
util_id_ok(const char *id)
{
	size_t len = strlen(id);

	return len > 0 && len <= 64 && id[0] != '.' && id[0] != '-' &&
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == len;
}

/* Length of the UTF-8 sequence at p (at most left bytes), or 0 if invalid. */
static size_t
utf8_sequence(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* True when data is valid UTF-8 without NUL. */
bool
util_utf8_valid(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == '\0' || (n = utf8_sequence(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

/* True when data is valid UTF-8 with no control characters but tab. */
bool
util_utf8_printable(const char *data, size_t len)
{
	size_t i;

	if (!util_utf8_valid(data, len))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* Make room for n more bytes and a terminator, doubling the size. */
int
util_buffer_reserve(struct util_buffer *b, size_t n)
{
	size_t need, size;
	char *grown;

	if (n > SIZE_MAX / 4 - b->len)
		return error_set("buffer too large");
	need = b->len + n + 1;
	if (need <= b->size)
		return 0;
	for (size = b->size > 0 ? b->size : 256; size < need; size *= 2)
		;
	if ((grown = realloc(b->data, size)) == NULL)
		return error_set_errno("realloc");
	b->data = grown;
	b->size = size;
	return 0;
}

/* Append n bytes. */
int
util_buffer_append(struct util_buffer *b, const void *data, size_t n)
{
	if (util_buffer_reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

/* Release a buffer's memory; it is empty again. */
void
util_buffer_free(struct util_buffer *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

/* Append the printable form of a name: \\, \n, \t, \xHH, the rest as is. */
int
util_escape_append(struct util_buffer *b, const char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)data;
	char *o;
	size_t i = 0, n;

	if (len > (size_t)1 << 28 || util_buffer_reserve(b, 4 * len) != 0)
		return error_set("cannot escape name");
	o = b->data + b->len;
	while (i < len) {
		n = p[i] >= 0x80 ? utf8_sequence(p + i, len - i) : 1;
		if (p[i] == '\\') {
			*o++ = '\\', *o++ = '\\';
		} else if (p[i] == '\n') {
			*o++ = '\\', *o++ = 'n';
		} else if (p[i] == '\t') {
			*o++ = '\\', *o++ = 't';
		} else if (n == 0 || p[i] < 0x20 || p[i] == 0x7f) {
			*o++ = '\\', *o++ = 'x';
			*o++ = digits[p[i] >> 4], *o++ = digits[p[i] & 0x0f];
			n = 1;
		} else {
			memcpy(o, p + i, n);
			o += n;
		}
		i += n;
	}
	b->len = (size_t)(o - b->data);
	return 0;
}

/* A printable copy of a name for messages. */
char *
util_escape(const char *data, size_t len)
{
	struct util_buffer b = { 0 };

	if (util_escape_append(&b, data, len) != 0) {
		util_buffer_free(&b);
		return NULL;
	}
	b.data[b.len] = '\0';
	return b.data;
}

/* Read everything from fd up to max bytes. */
int
util_read_fd(int fd, size_t max, char **out, size_t *out_len)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *grown;
	ssize_t n;

	if (buf == NULL)
		return error_set_errno("malloc");
	for (;;) {
		if (len + 1 >= size) {
			if (size > max + 1 || (grown = realloc(buf, size * 2)) == NULL) {
				free(buf);
				return error_set("larger than %zu bytes", max);
			}
			buf = grown;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return error_set_errno("read");
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return error_set("larger than %zu bytes", max);
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* Refuse what lstat says is not a regular file, before anything opens it. */
static int
util_open_refuse(const char *path, const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	errno = S_ISLNK(st->st_mode) ? ELOOP : S_ISDIR(st->st_mode) ? EISDIR :
	    EINVAL;
	return error_set("%s: not a regular file (%s), not opened", path,
	    manifest_kind(st->st_mode));
}

/* Close fd and fail with a message, keeping errno. */
static int
util_open_fail(int fd, int error_number, const char *path, const char *what)
{
	close(fd);
	errno = error_number;
	return error_set("%s: %s", path, what);
}

/*
 * Open a regular file for reading without following links or touching
 * atime. The name is lstat'ed first so that a FIFO, a device or a socket
 * is never opened (no blocking, no rewinding tape, no terminal taken);
 * the open itself cannot block or take a terminal either, in case the
 * name was swapped in between, which the second stat then sees.
 */
int
util_open_file(int dirfd, const char *path, struct stat *st)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	int fd, mode;
	struct stat before, local;

	if (st == NULL)
		st = &local;
	if (fstatat(dirfd, path, &before, AT_SYMLINK_NOFOLLOW) != 0)
		return error_set_errno("%s", path);
	if (util_open_refuse(path, &before) != 0)
		return -1;
	fd = openat(dirfd, path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, path, flags);
	if (fd < 0)
		return error_set_errno("%s", path);
	if (fstat(fd, st) != 0)
		return util_open_fail(fd, errno, path, strerror(errno));
	if ((st->st_mode & S_IFMT) != (before.st_mode & S_IFMT) ||
	    st->st_dev != before.st_dev || st->st_ino != before.st_ino)
		return util_open_fail(fd, EAGAIN, path,
		    "changed between its stat and its open, not read");
	if ((mode = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, mode & ~O_NONBLOCK) != 0)
		return util_open_fail(fd, errno, path, strerror(errno));
	return fd;
}

/* The next line of a buffer. */
char *
util_next_line(char **cursor)
{
	char *line = *cursor, *newline;

	if (line == NULL || *line == '\0')
		return NULL;
	if ((newline = strchr(line, '\n')) != NULL) {
		*newline = '\0';
		*cursor = newline + 1;
	} else
		*cursor = line + strlen(line);
	return line;
}

/* Read a whole file, not following a final symlink. */
int
util_read_file(const char *path, size_t max, char **out, size_t *out_len)
{
	int fd, rc, saved;

	if ((fd = util_open_file(AT_FDCWD, path, NULL)) < 0)
		return -1;
	rc = util_read_fd(fd, max, out, out_len);
	saved = errno;
	close(fd);
	errno = saved;
	if (rc != 0)
		return error_prefix("%s", path);
	return 0;
}

/* Write all of buf, retrying short writes and interruptions. */
int
util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set_errno("write");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Start a worker thread with a modest stack. */
int
util_thread_start(pthread_t *thread, void *(*run)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

	if ((rc = pthread_attr_init(&attr)) != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, 1024 * 1024);
	if (rc == 0)
		rc = pthread_create(thread, &attr, run, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

/* Write, sync and close fd; 0 or -1 with errno kept for the caller. */
static int
util_write_sync_close(int fd, const void *data, size_t len)
{
	int saved;

	if (util_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/*
 * Write a whole new file exclusively. Where the file system allows, the
 * data goes to an unnamed file that gets the name only once complete, so
 * that even SIGKILL never leaves a short file under the name; elsewhere a
 * file that fails is removed.
 */
int
util_write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char *copy = strdup(path), proc[64];
	int fd = -1, rc;

	if (copy == NULL)
		return error_set_errno("strdup");
	if (access("/proc/self/fd", X_OK) == 0)
		fd = compat_open_tmpfile(dirname(copy), O_WRONLY | O_CLOEXEC, mode);
	free(copy);
	if (fd >= 0) {
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		if (util_write_all(fd, data, len) != 0 || fsync(fd) != 0 ||
		    fchmod(fd, mode) != 0 ||
		    linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
			rc = error_set_errno("%s", path);
			close(fd);
			return rc;
		}
		return close(fd) == 0 ? 0 : error_set_errno("%s", path);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return error_set_errno("%s", path);
	if (util_write_sync_close(fd, data, len) != 0) {
		rc = error_set_errno("%s", path);
		unlink(path);
		return rc;
	}
	return 0;
}
