/*
 * The threads that check events off the reading thread: the reading
 * thread fills batches of rows in seq order and hands each over; the
 * threads take a few items at a time from the oldest batch still holding
 * some, and the reading thread waits for a batch to be done before it
 * makes the checks that depend on order. What each item needs (its
 * parse, leaf hash and signature) depends on that item alone, so the
 * findings do not depend on the threads: the same problems, in the same
 * order, as one thread would find.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/util.h"
#include "store-check-private.h"

#define STORE_CHECK_THREADS_MAX	16
#define STORE_CHECK_SLICE	16	/* items a thread takes at once */

struct store_check_pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* a batch came, or stop */
	pthread_cond_t		 done;		/* a batch was finished */
	struct store_check_batch *head;		/* batches with items not taken */
	struct store_check_batch *tail;
	bool			 stop;
	pthread_t		 threads[STORE_CHECK_THREADS_MAX];
	size_t			 count;
	void			(*fn)(void *, struct store_check_item *);
	void			*arg;
};

/* Take a slice of the oldest batch; NULL when stopping. Under the lock. */
static struct store_check_batch *
store_check_pool_take(struct store_check_pool *p, size_t *from, size_t *to)
{
	struct store_check_batch *b;

	while (p->head == NULL && !p->stop)
		pthread_cond_wait(&p->work, &p->lock);
	if ((b = p->head) == NULL)
		return NULL;
	*from = b->taken;
	*to = b->taken + STORE_CHECK_SLICE < b->count ?
	    b->taken + STORE_CHECK_SLICE : b->count;
	b->taken = *to;
	if (b->taken == b->count && (p->head = b->queued) == NULL)
		p->tail = NULL;
	return b;
}

/* A checking thread: slices until stopped. */
static void *
store_check_pool_thread(void *arg)
{
	struct store_check_pool *p = arg;
	struct store_check_batch *b;
	size_t from, to, i;

	pthread_mutex_lock(&p->lock);
	while ((b = store_check_pool_take(p, &from, &to)) != NULL) {
		pthread_mutex_unlock(&p->lock);
		for (i = from; i < to; i++)
			p->fn(p->arg, &b->items[i]);
		pthread_mutex_lock(&p->lock);
		b->finished += to - from;
		if (b->finished == b->count)
			pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* The number of threads to check with: the processors online, capped. */
static size_t
store_check_pool_width(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > STORE_CHECK_THREADS_MAX ? STORE_CHECK_THREADS_MAX : (size_t)n;
}

/* Start the threads; with none, each batch is checked when handed over. NULL: out of memory. */
struct store_check_pool *
store_check_pool_new(void (*fn)(void *, struct store_check_item *), void *arg)
{
	struct store_check_pool *p = calloc(1, sizeof *p);
	size_t i, width = store_check_pool_width();

	if (p == NULL)
		return NULL;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	/* One processor: the reading thread checks, no hand-over. */
	for (i = 0; width > 1 && i < width; i++) {
		if (util_thread_start(&p->threads[i], store_check_pool_thread, p) != 0)
			break;
		p->count++;
	}
	return p;
}

/* Hand a filled batch over. */
void
store_check_pool_submit(struct store_check_pool *p, struct store_check_batch *b)
{
	size_t i;

	b->taken = b->finished = 0;
	b->queued = NULL;
	if (p->count == 0 || b->count == 0) {
		for (i = 0; i < b->count; i++)
			p->fn(p->arg, &b->items[i]);
		b->taken = b->finished = b->count;
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->queued = b;
	else
		p->head = b;
	p->tail = b;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}

/* Wait until every item of a batch handed over is checked. */
void
store_check_pool_wait(struct store_check_pool *p, struct store_check_batch *b)
{
	pthread_mutex_lock(&p->lock);
	while (b->finished < b->count)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/* Stop the threads (no batch may be in flight) and free the pool. */
void
store_check_pool_free(struct store_check_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->count; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}
