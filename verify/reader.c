/* One streaming pass over an archive: every member to a visitor, nothing to disk. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/util.h"
#include "reader.h"

#define READER_BLOCK (1024 * 1024)

/* The raw input, hashed as libarchive reads it. */
struct reader_input {
	int		 fd;
	unsigned char	*buffer;
	size_t		 buffer_size;
	EVP_MD_CTX	*hash;
	uint64_t	 bytes;
};

/* libarchive's read callback: one block of the file, digested on the way. */
static la_ssize_t
reader_read_callback(struct archive *a, void *arg, const void **block)
{
	struct reader_input *in = arg;
	ssize_t n;

	do
		n = read(in->fd, in->buffer, in->buffer_size);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	EVP_DigestUpdate(in->hash, in->buffer, (size_t)n);
	in->bytes += (uint64_t)n;
	*block = in->buffer;
	return n;
}

/* Open the input: a file (never through a final symlink) or stdin. */
static int
reader_open_input(const char *path, struct reader_input *in)
{
	struct stat st;

	memset(in, 0, sizeof *in);
	in->fd = -1;
	if ((in->hash = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(in->hash, EVP_sha256(), NULL) != 1)
		return error_set("cannot allocate the reader");
	if (strcmp(path, "-") == 0)
		in->fd = STDIN_FILENO;
	else if ((in->fd = util_open_file(AT_FDCWD, path, &st)) < 0)
		return -1;
	/* Whole blocks for streams and large files; no more than a small one needs. */
	in->buffer_size = READER_BLOCK;
	if (in->fd != STDIN_FILENO && S_ISREG(st.st_mode) && st.st_size < READER_BLOCK)
		in->buffer_size = (size_t)st.st_size < 65536 ? 65536 : (size_t)st.st_size;
	if ((in->buffer = malloc(in->buffer_size)) == NULL)
		return error_set("cannot allocate the reader");
	posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* Release the input. */
static void
reader_close_input(struct reader_input *in)
{
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	free(in->buffer);
	EVP_MD_CTX_free(in->hash);
}

/* Open the archive with every filter and the tar formats. */
static struct archive *
reader_open(const char *path, struct reader_input *in)
{
	struct archive *a;

	if (reader_open_input(path, in) != 0)
		return NULL;
	if ((a = archive_read_new()) == NULL) {
		error_set("cannot allocate the archive reader");
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open(a, in, NULL, reader_read_callback, NULL) != ARCHIVE_OK) {
		error_set("%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Describe the current member for the visitor. */
static void
reader_describe(struct archive_entry *entry, struct reader_member *m)
{
	const char *path = archive_entry_pathname(entry);

	if (path == NULL)
		path = "";
	while (strncmp(path, "./", 2) == 0)
		path += 2;
	m->path = path;
	m->path_len = strlen(path);
	m->filetype = (int)archive_entry_filetype(entry);
	m->hardlink = archive_entry_hardlink(entry) != NULL;
	m->size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
}

/* Stream one member's data to the visitor. */
static int
reader_member_data(struct archive *a, const struct reader_visitor *v, void *arg)
{
	const void *block;
	size_t len;
	la_int64_t offset;
	int rc;

	for (;;) {
		rc = archive_read_data_block(a, &block, &len, &offset);
		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			return error_set("%s", archive_error_string(a));
		if (len > 0 && (rc = v->data(arg, block, len)) != 0)
			return rc;
	}
}

/* Read the archive once, calling the visitor in this thread. */
static int
reader_loop(const char *path, const struct reader_visitor *v, void *arg,
    unsigned char sha256[32], uint64_t *bytes)
{
	struct reader_input in;
	struct archive *a = reader_open(path, &in);
	struct archive_entry *entry;
	struct reader_member m;
	uint64_t members = 0;
	int rc = 0, next;

	if (a == NULL) {
		reader_close_input(&in);
		return -1;
	}
	while (rc == 0) {
		next = archive_read_next_header(a, &entry);
		if (next == ARCHIVE_EOF)
			break;
		if (next != ARCHIVE_OK && next != ARCHIVE_WARN) {
			rc = error_set("%s: %s", path, archive_error_string(a));
			break;
		}
		members++;
		reader_describe(entry, &m);
		if ((rc = v->begin(arg, &m)) != 0)
			break;
		if ((rc = reader_member_data(a, v, arg)) != 0) {
			if (rc == -1)
				error_prefix("%s", path);
			break;
		}
		rc = v->end(arg);
	}
	/* Read to the end, so the digest covers the whole file. */
	while (rc == 0 && reader_read_callback(a, &in, &(const void *){ NULL }) > 0)
		;
	archive_read_free(a);
	EVP_DigestFinal_ex(in.hash, sha256, NULL);
	*bytes = in.bytes;
	reader_close_input(&in);
	/* Past the first member it is an archive, but a damaged one. */
	return rc == -1 && members > 0 ? READER_DAMAGED : rc;
}

/*
 * Two threads: libarchive (reading, decompressing, parsing tar) in one,
 * the visitor (hashing, checking) in the caller's, joined by a small ring
 * of copied blocks, so that decompression and hashing overlap as in
 * `zstd -dc | sha256sum`.
 */
#define RING_SLOTS	8

enum slot_kind {
	SLOT_BEGIN,
	SLOT_DATA,
	SLOT_END,
	SLOT_DONE
};

struct ring_slot {
	enum slot_kind		 kind;
	struct reader_member	 member;	/* BEGIN: path points to path_copy */
	char			*path_copy;
	unsigned char		*data;		/* DATA: up to READER_BLOCK bytes */
	size_t			 len;
	size_t			 capacity;	/* of data, grown as needed */
	int			 rc;		/* DONE */
	char			 message[1024];
};

struct ring {
	pthread_mutex_t		 lock;
	pthread_cond_t		 changed;
	struct ring_slot	 slots[RING_SLOTS];
	unsigned		 head;		/* next to take */
	unsigned		 count;
	bool			 stop;		/* the visitor has had enough */
	/* The producer's side. */
	const char		*path;
	unsigned char		*sha256;
	uint64_t		*bytes;
};

/* Producer: wait for a free slot; NULL when the consumer asked to stop. */
static struct ring_slot *
ring_reserve(struct ring *r)
{
	struct ring_slot *slot = NULL;

	pthread_mutex_lock(&r->lock);
	while (!r->stop && r->count == RING_SLOTS)
		pthread_cond_wait(&r->changed, &r->lock);
	if (!r->stop)
		slot = &r->slots[(r->head + r->count) % RING_SLOTS];
	pthread_mutex_unlock(&r->lock);
	return slot;
}

/* Producer: hand a filled slot over. */
static void
ring_publish(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->count++;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

/* Producer visitor: a member begins. */
static int
ring_begin(void *arg, const struct reader_member *m)
{
	struct ring *r = arg;
	struct ring_slot *slot = ring_reserve(r);

	if (slot == NULL)
		return 1;
	free(slot->path_copy);
	if ((slot->path_copy = malloc(m->path_len + 1)) == NULL)
		return error_set_errno("malloc");
	memcpy(slot->path_copy, m->path, m->path_len + 1);
	slot->kind = SLOT_BEGIN;
	slot->member = *m;
	slot->member.path = slot->path_copy;
	ring_publish(r);
	return 0;
}

/* Make a slot hold n bytes; small archives never need whole blocks. */
static int
ring_grow(struct ring_slot *slot, size_t n)
{
	size_t capacity = slot->capacity != 0 ? slot->capacity : 4096;
	unsigned char *grown;

	while (capacity < n)
		capacity *= 2;
	if (capacity > READER_BLOCK)
		capacity = READER_BLOCK;
	if ((grown = realloc(slot->data, capacity)) == NULL)
		return error_set_errno("realloc");
	slot->data = grown;
	slot->capacity = capacity;
	return 0;
}

/* Producer visitor: member data, copied in blocks. */
static int
ring_data(void *arg, const void *data, size_t len)
{
	struct ring *r = arg;
	struct ring_slot *slot;
	size_t n;

	while (len > 0) {
		if ((slot = ring_reserve(r)) == NULL)
			return 1;
		n = len > READER_BLOCK ? READER_BLOCK : len;
		if (slot->capacity < n && ring_grow(slot, n) != 0)
			return -1;
		slot->kind = SLOT_DATA;
		memcpy(slot->data, data, n);
		slot->len = n;
		ring_publish(r);
		data = (const char *)data + n;
		len -= n;
	}
	return 0;
}

/* Producer visitor: a member ends. */
static int
ring_end(void *arg)
{
	struct ring *r = arg;
	struct ring_slot *slot = ring_reserve(r);

	if (slot == NULL)
		return 1;
	slot->kind = SLOT_END;
	ring_publish(r);
	return 0;
}

/* The producer thread: the whole libarchive pass, then DONE with its status. */
static void *
ring_produce(void *arg)
{
	static const struct reader_visitor visitor = { ring_begin, ring_data, ring_end };
	struct ring *r = arg;
	struct ring_slot *slot;
	int rc = reader_loop(r->path, &visitor, r, r->sha256, r->bytes);

	pthread_mutex_lock(&r->lock);
	while (r->count == RING_SLOTS)
		pthread_cond_wait(&r->changed, &r->lock);
	slot = &r->slots[(r->head + r->count) % RING_SLOTS];
	slot->kind = SLOT_DONE;
	slot->rc = rc;
	snprintf(slot->message, sizeof slot->message, "%s", error_message());
	r->count++;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Consumer: the next filled slot (waits). */
static struct ring_slot *
ring_take(struct ring *r)
{
	struct ring_slot *slot;

	pthread_mutex_lock(&r->lock);
	while (r->count == 0)
		pthread_cond_wait(&r->changed, &r->lock);
	slot = &r->slots[r->head];
	pthread_mutex_unlock(&r->lock);
	return slot;
}

/* Consumer: give a slot back. */
static void
ring_release(struct ring *r, bool stop)
{
	pthread_mutex_lock(&r->lock);
	r->head = (r->head + 1) % RING_SLOTS;
	r->count--;
	if (stop)
		r->stop = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

/* Consumer: hand one slot to the visitor. */
static int
ring_dispatch(const struct ring_slot *slot, const struct reader_visitor *v,
    void *arg)
{
	switch (slot->kind) {
	case SLOT_BEGIN:
		return v->begin(arg, &slot->member);
	case SLOT_DATA:
		return v->data(arg, slot->data, slot->len);
	case SLOT_END:
		return v->end(arg);
	default:
		return 0;
	}
}

/* Run the visitor on what the producer hands over, until DONE. */
static int
ring_consume(struct ring *r, const struct reader_visitor *v, void *arg)
{
	struct ring_slot *slot;
	int rc = 0;

	for (;;) {
		slot = ring_take(r);
		if (slot->kind == SLOT_DONE) {
			/* The visitor's own failure wins over the producer's stop. */
			if (rc == 0 && slot->rc != 0) {
				rc = slot->rc;
				error_set("%s", slot->message);
			}
			ring_release(r, false);
			return rc;
		}
		if (rc == 0)
			rc = ring_dispatch(slot, v, arg);
		ring_release(r, rc != 0);
	}
}

/* Free the ring's buffers. */
static void
ring_free(struct ring *r)
{
	int i;

	for (i = 0; i < RING_SLOTS; i++) {
		free(r->slots[i].data);
		free(r->slots[i].path_copy);
	}
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
}

/* Read the archive once, decompressing in a second thread. */
int
reader_run(const char *path, const struct reader_visitor *v, void *arg,
    unsigned char sha256[32], uint64_t *bytes)
{
	struct ring r;
	pthread_t producer;
	int rc;

	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.changed, NULL);
	r.path = path;
	r.sha256 = sha256;
	r.bytes = bytes;
	if (util_thread_start(&producer, ring_produce, &r) != 0) {
		ring_free(&r);
		/* No thread to be had: read in this one. */
		return reader_loop(path, v, arg, sha256, bytes);
	}
	rc = ring_consume(&r, v, arg);
	pthread_join(producer, NULL);
	ring_free(&r);
	return rc;
}
