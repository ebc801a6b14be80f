/*
 * The verifier's two threads: the pass (reading, decompressing, walking
 * the tar stream) in one, the visitor (hashing, checking) in the caller's,
 * joined by a small ring of copied blocks, so that decompression and
 * hashing overlap as in `zstd -dc | sha256sum`.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/util.h"
#include "reader.h"

#define READER_BLOCK	(1024 * 1024)

#define RING_SLOTS	8

enum slot_kind {
	SLOT_BEGIN,
	SLOT_PROBLEM,
	SLOT_DATA,
	SLOT_END,
	SLOT_DONE
};

struct ring_slot {
	enum slot_kind		 kind;
	struct reader_member	 member;	/* BEGIN: path points to path_copy */
	char			*path_copy;	/* BEGIN, PROBLEM: the member */
	size_t			 path_len;
	unsigned char		*data;		/* DATA: up to READER_BLOCK bytes */
	size_t			 len;
	size_t			 capacity;	/* of data, grown as needed */
	int			 rc;		/* DONE */
	char			 message[1024];	/* DONE, PROBLEM */
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

/* Producer visitor: a problem with a member. */
static int
ring_problem(void *arg, const char *member, size_t len, const char *text)
{
	struct ring *r = arg;
	struct ring_slot *slot = ring_reserve(r);

	if (slot == NULL)
		return 1;
	free(slot->path_copy);
	if ((slot->path_copy = malloc(len + 1)) == NULL)
		return error_set_errno("malloc");
	memcpy(slot->path_copy, member, len);
	slot->path_copy[len] = '\0';
	slot->path_len = len;
	snprintf(slot->message, sizeof slot->message, "%s", text);
	slot->kind = SLOT_PROBLEM;
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
	static const struct reader_visitor visitor = {
		ring_begin, ring_data, ring_end, ring_problem
	};
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
	case SLOT_PROBLEM:
		return v->problem(arg, slot->path_copy, slot->path_len, slot->message);
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
