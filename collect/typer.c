/*
 * MIME types worked out by worker threads: libmagic costs far more per
 * file than reading, hashing and archiving it, so it runs beside them on
 * every core, and identical content is typed once.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/pathmap.h"
#include "collector.h"

#define TYPER_THREADS_MAX	16
#define TYPER_CACHE_MAX		4096	/* distinct contents remembered, a few hundred KiB */
#define TYPER_MIME_MAX		128

enum job_state {
	JOB_FREE,
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE
};

struct typer_job {
	enum job_state	 state;
	unsigned char	*data;
	size_t		 len;
	bool		 cache;
	unsigned char	 digest[32];
	char		 mime[TYPER_MIME_MAX];
};

struct typer {
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* a job was queued, or stop */
	pthread_cond_t		 done;		/* a job finished */
	pthread_cond_t		 room;		/* a slot was freed */
	struct typer_job	*jobs;		/* ring indexed by ticket % max_jobs */
	int			 max_jobs;
	int64_t			 next_ticket;	/* the next one submitted */
	int64_t			 next_work;	/* the next one a worker takes */
	int64_t			 next_take;	/* the next one the collector takes */
	bool			 stop;
	pthread_t		 threads[TYPER_THREADS_MAX];
	int			 thread_count;
	struct pathmap		*cache;		/* digest -> mime */
};

/* Remember a job's answer under its digest; a full cache starts over, so memory stays flat. */
static void
typer_remember(struct typer *t, const struct typer_job *job)
{
	struct pathmap *fresh;
	char *slot;

	if (pathmap_count(t->cache) >= TYPER_CACHE_MAX &&
	    (fresh = pathmap_new(TYPER_MIME_MAX)) != NULL) {
		pathmap_free(t->cache);
		t->cache = fresh;
	}
	slot = pathmap_get(t->cache, (const char *)job->digest, 32, 1, NULL);
	if (slot != NULL)
		memcpy(slot, job->mime, TYPER_MIME_MAX);
}

/* A worker: take the oldest queued job, type it, publish the answer. */
static void *
typer_worker(void *arg)
{
	struct typer *t = arg;
	struct filetype *ft = filetype_new();
	struct typer_job *job;
	const char *mime;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->stop && t->next_work == t->next_ticket)
			pthread_cond_wait(&t->work, &t->lock);
		if (t->stop && t->next_work == t->next_ticket)
			break;
		job = &t->jobs[t->next_work++ % t->max_jobs];
		if (job->state == JOB_DONE)
			continue;	/* answered from the cache at submission */
		job->state = JOB_RUNNING;
		pthread_mutex_unlock(&t->lock);
		mime = ft != NULL ? filetype_buffer(ft, job->data, job->len) :
		    "application/octet-stream";
		snprintf(job->mime, sizeof job->mime, "%s", mime);
		pthread_mutex_lock(&t->lock);
		free(job->data);
		job->data = NULL;
		job->state = JOB_DONE;
		if (job->cache)
			typer_remember(t, job);
		pthread_cond_broadcast(&t->done);
	}
	pthread_mutex_unlock(&t->lock);
	filetype_free(ft);
	return NULL;
}

/* Start the workers. */
struct typer *
typer_new(int threads, int max_jobs)
{
	struct typer *t = calloc(1, sizeof *t);
	int i;

	if (t == NULL || (t->jobs = calloc((size_t)max_jobs, sizeof *t->jobs)) == NULL ||
	    (t->cache = pathmap_new(TYPER_MIME_MAX)) == NULL) {
		error_set_errno("calloc");
		typer_free(t);
		return NULL;
	}
	t->max_jobs = max_jobs;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->work, NULL);
	pthread_cond_init(&t->done, NULL);
	pthread_cond_init(&t->room, NULL);
	if (threads > TYPER_THREADS_MAX)
		threads = TYPER_THREADS_MAX;
	for (i = 0; i < threads; i++) {
		if (pthread_create(&t->threads[i], NULL, typer_worker, t) != 0) {
			error_set("cannot start a typing thread");
			typer_free(t);
			return NULL;
		}
		t->thread_count++;
	}
	return t;
}

/* Queue a copy of data for typing; returns its ticket. */
int64_t
typer_submit(struct typer *t, const void *data, size_t len,
    const unsigned char *digest)
{
	struct typer_job *job;
	const char *cached;
	int64_t ticket;

	pthread_mutex_lock(&t->lock);
	while (t->next_ticket - t->next_take >= t->max_jobs)
		pthread_cond_wait(&t->room, &t->lock);
	ticket = t->next_ticket;
	job = &t->jobs[ticket % t->max_jobs];
	memset(job, 0, sizeof *job);
	cached = digest != NULL ? pathmap_get(t->cache, (const char *)digest, 32,
	    0, NULL) : NULL;
	if (cached != NULL) {
		memcpy(job->mime, cached, TYPER_MIME_MAX);
		job->state = JOB_DONE;
	} else {
		if ((job->data = malloc(len > 0 ? len : 1)) == NULL) {
			pthread_mutex_unlock(&t->lock);
			return error_set_errno("malloc");
		}
		memcpy(job->data, data, len);
		job->len = len;
		job->cache = digest != NULL;
		if (digest != NULL)
			memcpy(job->digest, digest, 32);
		job->state = JOB_QUEUED;
	}
	t->next_ticket++;
	pthread_cond_signal(&t->work);
	pthread_mutex_unlock(&t->lock);
	return ticket;
}

/* The type of a ticket, once known. */
int
typer_take(struct typer *t, int64_t ticket, bool wait, char *out, size_t size)
{
	struct typer_job *job = &t->jobs[ticket % t->max_jobs];
	int known;

	pthread_mutex_lock(&t->lock);
	while (wait && job->state != JOB_DONE)
		pthread_cond_wait(&t->done, &t->lock);
	known = job->state == JOB_DONE;
	if (known) {
		snprintf(out, size, "%s", job->mime);
		job->state = JOB_FREE;
		t->next_take = ticket + 1;
		pthread_cond_signal(&t->room);
	}
	pthread_mutex_unlock(&t->lock);
	return known;
}

/* Stop the workers and release everything. */
void
typer_free(struct typer *t)
{
	int i;

	if (t == NULL)
		return;
	if (t->thread_count > 0) {
		pthread_mutex_lock(&t->lock);
		t->stop = true;
		pthread_cond_broadcast(&t->work);
		pthread_mutex_unlock(&t->lock);
		for (i = 0; i < t->thread_count; i++)
			pthread_join(t->threads[i], NULL);
	}
	for (i = 0; t->jobs != NULL && i < t->max_jobs; i++)
		free(t->jobs[i].data);
	if (t->jobs != NULL) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->work);
		pthread_cond_destroy(&t->done);
		pthread_cond_destroy(&t->room);
	}
	free(t->jobs);
	pathmap_free(t->cache);
	free(t);
}
