/* Small helpers shared by the core: encodings, times, names, whole-file reads. */
#ifndef CUSTODY_UTIL_H
#define CUSTODY_UTIL_H

#include <sys/types.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct stat;

/* Room for "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" and a terminator. */
#define UTIL_TIME_SIZE 40

/* Lower-case hex of len bytes into out (2 * len + 1 bytes); returns out. */
char *util_hex(const unsigned char *data, size_t len, char *out);
/* Decode exactly len bytes of hex; -1 unless text is 2 * len hex digits. */
int util_unhex(const char *text, unsigned char *out, size_t len);
/* Base64 (no newlines) of data; malloc'd, NULL on error. */
char *util_base64(const void *data, size_t len);
/* Decode base64 into a malloc'd buffer; -1 on malformed input. */
int util_unbase64(const char *text, unsigned char **out, size_t *out_len);

/* Format a time as UTC ISO-8601 with nanoseconds ("...T...Z"). */
void util_time_format(const struct timespec *ts, char out[UTIL_TIME_SIZE]);
/* Parse what util_time_format writes, exactly. 0 or -1. */
int util_time_parse(const char *text, size_t len, struct timespec *ts);
/* The current wall-clock time. */
void util_time_now(struct timespec *ts);

/* True when an id (case, evidence) is safe in a file name: [A-Za-z0-9._-], 1..64, not leading . or -. */
bool util_id_ok(const char *id);
/* True when data is valid UTF-8 with no NUL and no control characters but tab. */
bool util_utf8_printable(const char *data, size_t len);
/* True when data is valid UTF-8 without NUL bytes. */
bool util_utf8_valid(const char *data, size_t len);
/*
 * A printable copy of a name for messages: control bytes, backslashes
 * and invalid UTF-8 become \n, \\ and \xHH. malloc'd; NULL on error.
 */
char *util_escape(const char *data, size_t len);

/*
 * A growable run of bytes, zeroed to start empty. Kept across calls (len
 * set back to 0), it stops allocating once it is as large as the largest
 * use; data[len] is always writable, so a terminator fits.
 */
struct util_buffer {
	char	*data;
	size_t	 len;
	size_t	 size;
};

/* Make room for n more bytes and a terminator. 0 or -1. */
int util_buffer_reserve(struct util_buffer *, size_t n);
/* Append n bytes. 0 or -1. */
int util_buffer_append(struct util_buffer *, const void *data, size_t n);
void util_buffer_free(struct util_buffer *);
/* Append what util_escape makes of data, without a terminator. 0 or -1. */
int util_escape_append(struct util_buffer *, const char *data, size_t len);

/*
 * Open a regular file below dirfd for reading: lstat'ed first, so that
 * anything else (a FIFO, a device, a socket: EINVAL; a directory: EISDIR;
 * a link: ELOOP) is refused without being opened; then opened never
 * following a final link, never blocking, never taking a terminal,
 * sparing its atime where permitted (O_NOATIME, retried without on
 * EPERM), and stat'ed again: another object there is EAGAIN. The
 * descriptor is blocking. Fills *st when not NULL. The descriptor, or -1
 * with errno kept and the error set.
 */
int util_open_file(int dirfd, const char *path, struct stat *st);
/* The next line of a NUL-terminated buffer, its newline replaced by NUL; NULL at the end. */
char *util_next_line(char **cursor);
/*
 * Read a whole file opened with util_open_file; refuses files over max bytes.
 * *out is NUL-terminated (not counted in *out_len). 0 or -1.
 */
int util_read_file(const char *path, size_t max, char **out, size_t *out_len);
/* Read everything from fd up to max bytes (more is an error). 0 or -1. */
int util_read_fd(int fd, size_t max, char **out, size_t *out_len);
/* Write all of buf to fd, retrying short writes. 0 or -1. */
int util_write_all(int fd, const void *buf, size_t len);
/*
 * Create path (never replacing a file or following a symlink there) with
 * mode, write data, flush it to disk. On failure nothing is left. 0 or -1.
 */
int util_write_new_file(const char *path, const void *data, size_t len,
    mode_t mode);
/*
 * Start a worker thread with a 1 MiB stack (enough for libarchive and
 * the digests; the default 8 MiB is address space for nothing).
 * pthread_create's result: 0 or an error number.
 */
int util_thread_start(pthread_t *thread, void *(*run)(void *), void *arg);

#endif
