/*
 * A bounded queue of blocks between two threads. Blocks are filled in
 * place and handed over whole, and a side that has to wait sleeps until a
 * batch of blocks is ready for it: the threads wake each other once per
 * batch, and neither takes a lock or makes a system call per byte.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "stages.h"

/* Set up a ring of slots blocks of capacity bytes each. 0 or -1. */
int
ring_init(struct ring *r, unsigned slots, unsigned batch, size_t capacity)
{
	unsigned i;

	memset(r, 0, sizeof *r);
	if (slots == 0 || slots > RING_SLOTS_MAX || batch == 0 || batch > slots)
		return error_set("a ring of %u blocks in batches of %u", slots, batch);
	if (pthread_mutex_init(&r->lock, NULL) != 0)
		return error_set("cannot set up a ring");
	if (pthread_cond_init(&r->filled, NULL) != 0) {
		pthread_mutex_destroy(&r->lock);
		return error_set("cannot set up a ring");
	}
	if (pthread_cond_init(&r->emptied, NULL) != 0) {
		pthread_cond_destroy(&r->filled);
		pthread_mutex_destroy(&r->lock);
		return error_set("cannot set up a ring");
	}
	/* From here on ring_free undoes it all. */
	r->slots = slots;
	r->batch = batch;
	r->capacity = capacity;
	for (i = 0; i < slots; i++)
		if ((r->blocks[i].data = malloc(capacity)) == NULL) {
			ring_free(r);
			return error_set_errno("malloc");
		}
	return 0;
}

/* Producer: wait for a free block; NULL when the taker has closed the ring. */
struct ring_block *
ring_reserve(struct ring *r)
{
	struct ring_block *b = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->count + r->trailing == r->slots) {
		r->producer_waits = true;
		while (!r->closed && r->slots - r->count - r->trailing < r->batch)
			pthread_cond_wait(&r->emptied, &r->lock);
		r->producer_waits = false;
	}
	if (!r->closed)
		b = &r->blocks[(r->head + r->count) % r->slots];
	pthread_mutex_unlock(&r->lock);
	return b;
}

/* Producer: hand the reserved block over. */
void
ring_publish(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->blocks[(r->head + r->count) % r->slots].status <= 0)
		r->ended = true;
	r->count++;
	if (r->taker_waits && (r->count >= r->batch || r->ended))
		pthread_cond_signal(&r->filled);
	pthread_mutex_unlock(&r->lock);
}

/* Taker: the oldest filled block; the producer always ends with a last one. */
struct ring_block *
ring_take(struct ring *r)
{
	struct ring_block *b;

	pthread_mutex_lock(&r->lock);
	if (r->count == 0) {
		r->taker_waits = true;
		while (r->count < r->batch && !r->ended)
			pthread_cond_wait(&r->filled, &r->lock);
		r->taker_waits = false;
	}
	b = &r->blocks[r->head];
	pthread_mutex_unlock(&r->lock);
	return b;
}

/* Taker: give the block taken back. */
void
ring_release(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->head = (r->head + 1) % r->slots;
	r->count--;
	if (r->trailed)
		r->trailing++;
	else if (r->producer_waits && r->slots - r->count >= r->batch)
		pthread_cond_signal(&r->emptied);
	pthread_mutex_unlock(&r->lock);
}

/* Taker: want no more; a producer waiting for room is told so. */
void
ring_close(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->closed = true;
	pthread_cond_broadcast(&r->emptied);
	pthread_mutex_unlock(&r->lock);
}

/* Give the ring a second taker behind the first. */
void
ring_trail(struct ring *r)
{
	r->trailed = true;
}

/* How many blocks the second taker has still to take. */
unsigned
ring_trailing(struct ring *r)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = r->trailing;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* The second taker: the oldest block released by the first, if unclaimed. */
struct ring_block *
ring_trail_claim(struct ring *r)
{
	struct ring_block *b = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->trailing > 0 && !r->trail_busy) {
		r->trail_busy = true;
		b = &r->blocks[(r->head + r->slots - r->trailing) % r->slots];
	}
	pthread_mutex_unlock(&r->lock);
	return b;
}

/* The second taker is done with its block: it is free. */
void
ring_trail_done(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->trailing--;
	r->trail_busy = false;
	if (r->producer_waits && r->slots - r->count - r->trailing >= r->batch)
		pthread_cond_signal(&r->emptied);
	pthread_mutex_unlock(&r->lock);
}

/* With no thread left on the ring: a block published and never released. */
struct ring_block *
ring_unreleased(struct ring *r, unsigned i)
{
	return i < r->count ? &r->blocks[(r->head + i) % r->slots] : NULL;
}

/* Release the ring's blocks. */
void
ring_free(struct ring *r)
{
	unsigned i;

	if (r->slots == 0)
		return;
	for (i = 0; i < r->slots; i++)
		free(r->blocks[i].data);
	pthread_cond_destroy(&r->emptied);
	pthread_cond_destroy(&r->filled);
	pthread_mutex_destroy(&r->lock);
	r->slots = 0;
}
