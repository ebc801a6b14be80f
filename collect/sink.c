/*
 * The sink: the thread that takes what the walk has read and writes it, in
 * the order it was read. The walk (or a live source) opens, stats and reads
 * each object and works out its status; the sink digests the bytes, writes
 * the tar member, types it when asked, and writes the manifest line, its
 * Merkle leaf, the SHA256SUMS line and the log line. The two run on
 * different cores, so reading the next files overlaps hashing and writing
 * the last ones, and the manifest stays in collection order.
 *
 * Everything the sink owns (the writer, the member digests, the typer and
 * its queue, the spools, the Merkle tree, the counts) belongs to the
 * collecting thread again whenever the sink is idle and waited for
 * (sink_wait), and after sink_stop. Before sink_start and after sink_stop
 * every operation is carried out at once by its caller.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/manifest.h"
#include "custody/util.h"
#include "collector.h"
#include "collector-private.h"
#include "pkgcheck.h"

#define SINK_BYTES	(8 * 1024 * 1024)	/* data and names in flight, at most */
#define SINK_OPS	2048			/* operations in flight, at most */
/*
 * An idle sink is woken once this much waits for it (or a caller waits for
 * it): waking it for every file would cost a futex call and a context
 * switch per file, as the sink is faster than the reader.
 */
#define SINK_WAKE_BYTES	(1024 * 1024)
#define SINK_WAKE_OPS	128

enum {
	SINK_BEGIN	= 1 << 0,	/* start a member */
	SINK_DATA	= 1 << 1,	/* bytes of the member */
	SINK_END	= 1 << 2,	/* end the member; the entry follows */
	SINK_ENTRY	= 1 << 3,	/* record the entry */
	SINK_LOG	= 1 << 4,	/* a log line */
	SINK_PROBLEM	= 1 << 5,	/* a problem for the summary */
	SINK_WAKE	= 1 << 6,	/* tell the waiting caller when done */
};

/* What a caller waiting on an operation gets back. */
struct sink_reply {
	bool	done;
	char	sha256[HASH_HEX_SIZE];	/* of the member ended */
};

/* One operation, with every byte it needs in one allocation. */
struct sink_op {
	struct sink_op		*next;
	unsigned		 what;
	size_t			 cost;		/* bytes counted in flight */
	/* SINK_BEGIN */
	char			*apath;
	int64_t			 size;
	struct timespec		 mtime;
	char			*pkg_source;	/* the path pkgcheck knows, or NULL */
	struct pkgcheck		*pkgcheck;
	bool			 type_here;	/* the sink submits it for typing */
	bool			 whole;		/* one op holds all the data */
	/* SINK_DATA */
	unsigned char		*data;
	size_t			 len;
	bool			 data_owned;	/* a block of its own, freed after */
	/* SINK_ENTRY */
	struct manifest_entry	 e;
	struct stat		 st;
	struct hash_set		 digests;	/* hash-only entries: the walk's */
	bool			 own_digests;
	/* SINK_LOG, SINK_PROBLEM */
	char			*line;
	char			*problem[3];
	struct sink_reply	*reply;
};

struct sink {
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* the sink waits for operations */
	pthread_cond_t		 room;		/* callers wait for room or replies */
	struct sink_op		*head;
	struct sink_op		*tail;
	size_t			 ops;
	size_t			 bytes;
	bool			 stop;
	bool			 idle;		/* waiting for work, queue empty */
	bool			 failed;
	char			*error;		/* the sink's first error */
	/* The member being written, on the sink's side. */
	bool			 member_first;
	bool			 member_type_here;
	int64_t			 member_ticket;
	int64_t			 member_done;
	struct pkgcheck		*member_pkgcheck;
};

/* ---- Building operations. */

/* Bytes needed to copy a string of len bytes (NULL: none). */
static size_t
sink_str_size(const char *s, size_t len)
{
	return s != NULL ? len + 1 : 0;
}

/* Copy a string into the op's tail at *at. */
static char *
sink_str_copy(char **at, const char *s, size_t len)
{
	char *copy;

	if (s == NULL)
		return NULL;
	copy = *at;
	memcpy(copy, s, len);
	copy[len] = '\0';
	*at += len + 1;
	return copy;
}

/*
 * A new operation holding copies of e (when given), apath, pkg_source and
 * data_len bytes of data (copied from data when not NULL).
 */
static struct sink_op *
sink_op_new(unsigned what, const struct manifest_entry *e, const char *apath,
    const char *pkg_source, const void *data, size_t data_len)
{
	size_t extra = sink_str_size(apath, apath != NULL ? strlen(apath) : 0) +
	    sink_str_size(pkg_source, pkg_source != NULL ? strlen(pkg_source) : 0) +
	    data_len;
	struct sink_op *op;
	char *at;

	if (e != NULL)
		extra += sink_str_size(e->path, e->path_len) +
		    sink_str_size(e->source, e->source_len) +
		    sink_str_size(e->reason, e->reason ? strlen(e->reason) : 0) +
		    sink_str_size(e->origin, e->origin ? strlen(e->origin) : 0) +
		    sink_str_size(e->link_target, e->link_len) +
		    sink_str_size(e->mime, e->mime ? strlen(e->mime) : 0);
	if ((op = malloc(sizeof *op + extra)) == NULL) {
		error_set_errno("malloc");
		return NULL;
	}
	memset(op, 0, sizeof *op);
	op->what = what;
	op->cost = sizeof *op + extra;
	at = (char *)(op + 1);
	if (data_len > 0 || data != NULL) {
		op->data = (unsigned char *)at;
		op->len = data_len;
		if (data != NULL)
			memcpy(at, data, data_len);
		at += data_len;
	}
	op->apath = sink_str_copy(&at, apath, apath != NULL ? strlen(apath) : 0);
	op->pkg_source = sink_str_copy(&at, pkg_source,
	    pkg_source != NULL ? strlen(pkg_source) : 0);
	if (e == NULL)
		return op;
	op->e = *e;
	if (e->st != NULL) {
		op->st = *e->st;
		op->e.st = &op->st;
	}
	op->e.path = sink_str_copy(&at, e->path, e->path_len);
	op->e.source = sink_str_copy(&at, e->source, e->source_len);
	op->e.reason = sink_str_copy(&at, e->reason,
	    e->reason != NULL ? strlen(e->reason) : 0);
	op->e.origin = sink_str_copy(&at, e->origin,
	    e->origin != NULL ? strlen(e->origin) : 0);
	op->e.link_target = sink_str_copy(&at, e->link_target, e->link_len);
	op->e.mime = sink_str_copy(&at, e->mime, e->mime ? strlen(e->mime) : 0);
	if (e->hash_only && e->hashes != NULL) {
		op->digests = *e->hashes;
		op->own_digests = true;
	}
	op->e.hashes = NULL;
	return op;
}

/* Free an operation and the block it owns. */
static void
sink_op_free(struct sink_op *op)
{
	int i;

	if (op->data_owned)
		free(op->data);
	free(op->line);
	for (i = 0; i < 3; i++)
		free(op->problem[i]);
	free(op);
}

/* ---- The sink's side. */

/* Note the sink's first error, to be reported by the collecting thread. */
static void
sink_fail(struct collector *c)
{
	struct sink *s = c->sink;

	pthread_mutex_lock(&s->lock);
	if (!s->failed) {
		s->failed = true;
		s->error = strdup(error_message());
	}
	pthread_mutex_unlock(&s->lock);
}

/* Start a member: its header, fresh digests, and the package check. */
static int
sink_do_begin(struct collector *c, struct sink_op *op)
{
	struct sink *s = c->sink;

	if (hash_set_reset(&c->hashes) != 0)
		return -1;
	s->member_first = true;
	s->member_type_here = op->type_here;
	s->member_ticket = -1;
	s->member_done = 0;
	s->member_pkgcheck = op->pkg_source != NULL ? op->pkgcheck : NULL;
	pkgcheck_begin(s->member_pkgcheck, op->pkg_source);
	return writer_begin(c->writer, op->apath, op->size, &op->mtime);
}

/* Digest and archive a block; the first of a streamed member is typed. */
static int
sink_do_data(struct collector *c, struct sink_op *op)
{
	struct sink *s = c->sink;
	size_t type_len = op->len < c->opt->type_bytes ? op->len : c->opt->type_bytes;

	if (s->member_first && s->member_type_here && !op->whole &&
	    (s->member_ticket = collector_submit(c, op->data, type_len,
	    NULL)) < 0)
		return -1;
	s->member_first = false;
	pkgcheck_data(s->member_pkgcheck, op->data, op->len);
	/* The other digests run beside the archiving. */
	if (hash_set_update_async(&c->hashes, op->data, op->len) != 0 ||
	    writer_data(c->writer, op->data, op->len) != 0 ||
	    hash_set_wait(&c->hashes) != 0)
		return -1;
	s->member_done += (int64_t)op->len;
	if (!op->whole)
		collector_progress(c, s->member_done);
	return 0;
}

/* End a member: its digests, its type when whole, the package check. */
static int
sink_do_end(struct collector *c, struct sink_op *op)
{
	struct sink *s = c->sink;
	const unsigned char *digest = c->hashes.digest[HASH_SHA256];
	size_t type_len;

	if (writer_end(c->writer) != 0 || hash_set_final(&c->hashes) != 0)
		return -1;
	if (op->whole && s->member_type_here) {
		type_len = op->len < c->opt->type_bytes ? op->len : c->opt->type_bytes;
		/* Content typed before is answered from the cache by its digest. */
		if ((s->member_ticket = collector_submit(c, op->data, type_len,
		    op->len <= c->opt->type_bytes ? digest : NULL)) < 0)
			return -1;
	}
	pkgcheck_end(s->member_pkgcheck, c, strcmp(op->e.status, STATUS_OK) == 0,
	    op->e.status, digest);
	s->member_pkgcheck = NULL;
	if (op->reply != NULL)
		hash_set_hex(&c->hashes, HASH_SHA256, op->reply->sha256);
	op->e.hashes = &c->hashes;
	return 0;
}

/* Carry out one operation. 0 or -1. */
static int
sink_do(struct collector *c, struct sink_op *op)
{
	int64_t ticket = -1;

	if ((op->what & SINK_BEGIN) && sink_do_begin(c, op) != 0)
		return -1;
	if ((op->what & SINK_DATA) && sink_do_data(c, op) != 0)
		return -1;
	if (op->what & SINK_END) {
		if (sink_do_end(c, op) != 0)
			return -1;
		ticket = c->sink->member_ticket;
	}
	if (op->what & SINK_ENTRY) {
		if (op->own_digests)
			op->e.hashes = &op->digests;
		if (collector_record_typed(c, &op->e, ticket) != 0)
			return -1;
	}
	if (op->what & SINK_LOG) {
		collector_log_add(c, op->line);
		op->line = NULL;
	}
	if (op->what & SINK_PROBLEM)
		collector_note_problem(c, op->problem[0], op->problem[1],
		    op->problem[2]);
	return 0;
}

/* Carry out an operation and release it, unless a failure came before. */
static void
sink_run(struct collector *c, struct sink_op *op, bool failed)
{
	struct sink *s = c->sink;

	if (!failed && sink_do(c, op) != 0)
		sink_fail(c);
	if (op->reply != NULL) {
		pthread_mutex_lock(&s->lock);
		op->reply->done = true;
		pthread_cond_broadcast(&s->room);
		pthread_mutex_unlock(&s->lock);
	}
	sink_op_free(op);
}

/* The sink thread: take the queued operations in batches, in order. */
static void *
sink_main(void *arg)
{
	struct collector *c = arg;
	struct sink *s = c->sink;
	struct sink_op *batch, *next;
	size_t ops, bytes;
	bool failed;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->head == NULL && !s->stop) {
			s->idle = true;
			pthread_cond_broadcast(&s->room);
			pthread_cond_wait(&s->work, &s->lock);
		}
		s->idle = false;
		if (s->head == NULL)
			break;
		batch = s->head;
		s->head = s->tail = NULL;
		failed = s->failed;
		pthread_mutex_unlock(&s->lock);
		ops = bytes = 0;
		for (; batch != NULL; batch = next) {
			next = batch->next;
			ops++;
			bytes += batch->cost;
			sink_run(c, batch, failed);
			/* Give room back as it frees, so the reader never waits long. */
			if (bytes >= SINK_BYTES / 4 || ops >= SINK_OPS / 4) {
				pthread_mutex_lock(&s->lock);
				s->ops -= ops;
				s->bytes -= bytes;
				failed = s->failed;
				pthread_cond_broadcast(&s->room);
				pthread_mutex_unlock(&s->lock);
				ops = bytes = 0;
			}
		}
		if (!failed)
			collector_drain(c, false);
		pthread_mutex_lock(&s->lock);
		s->ops -= ops;
		s->bytes -= bytes;
		pthread_cond_broadcast(&s->room);
	}
	s->idle = true;
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- The collecting thread's side. */

/* The sink's error as this thread's, when it has failed. */
static int
sink_check(struct sink *s)
{
	if (!s->failed)
		return 0;
	return error_set("%s", s->error != NULL ? s->error : "writing the archive failed");
}

/*
 * Hand an operation to the sink, waiting for room (and, when it has a
 * reply, until it is done). Without a running sink it is done here.
 */
static int
sink_submit(struct collector *c, struct sink_op *op)
{
	struct sink *s = c->sink;
	struct sink_reply *reply = op->reply;
	int rc;

	if (s == NULL || !c->sink_running) {
		rc = sink_do(c, op);
		sink_op_free(op);
		return rc;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->failed && s->head != NULL &&
	    (s->ops >= SINK_OPS || s->bytes + op->cost > SINK_BYTES)) {
		if (s->idle)
			pthread_cond_signal(&s->work);
		pthread_cond_wait(&s->room, &s->lock);
	}
	if ((rc = sink_check(s)) != 0) {
		pthread_mutex_unlock(&s->lock);
		sink_op_free(op);
		return rc;
	}
	if (s->tail != NULL)
		s->tail->next = op;
	else
		s->head = op;
	s->tail = op;
	s->ops++;
	s->bytes += op->cost;
	if (s->idle && (reply != NULL || s->ops >= SINK_WAKE_OPS ||
	    s->bytes >= SINK_WAKE_BYTES))
		pthread_cond_signal(&s->work);
	while (reply != NULL && !reply->done)
		pthread_cond_wait(&s->room, &s->lock);
	rc = sink_check(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Start the sink thread. 0 or -1. */
int
sink_start(struct collector *c)
{
	struct sink *s = calloc(1, sizeof *s);
	int rc;

	if (s == NULL)
		return error_set_errno("calloc");
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->room, NULL);
	c->sink = s;
	if ((rc = pthread_create(&s->thread, NULL, sink_main, c)) != 0) {
		/* No thread: everything is done by the caller, as before. */
		errno = rc;
		return 0;
	}
	c->sink_running = true;
	return 0;
}

/* Wait until the sink has done everything handed to it. 0, or -1 when it failed. */
int
sink_wait(struct collector *c)
{
	struct sink *s = c->sink;
	int rc;

	if (s == NULL || !c->sink_running)
		return s != NULL ? sink_check(s) : 0;
	pthread_mutex_lock(&s->lock);
	/* What waits below the wake-up marks is taken now. */
	if (s->head != NULL)
		pthread_cond_signal(&s->work);
	while (s->head != NULL || !s->idle)
		pthread_cond_wait(&s->room, &s->lock);
	rc = sink_check(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Stop the sink thread once its queue is done; its state is the caller's again. */
int
sink_stop(struct collector *c)
{
	struct sink *s = c->sink;

	if (s == NULL)
		return 0;
	if (c->sink_running) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		c->sink_running = false;
	}
	return sink_check(s);
}

/* Release the sink (stopped first). */
void
sink_free(struct collector *c)
{
	struct sink *s = c->sink;
	struct sink_op *op;

	if (s == NULL)
		return;
	if (c->sink_running) {
		pthread_mutex_lock(&s->lock);
		/* Nothing more is written: the collection is being abandoned. */
		s->failed = true;
		pthread_mutex_unlock(&s->lock);
		sink_stop(c);
	}
	while ((op = s->head) != NULL) {
		s->head = op->next;
		sink_op_free(op);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->room);
	free(s->error);
	free(s);
	c->sink = NULL;
}

/* True when called from the sink thread itself. */
bool
sink_here(const struct collector *c)
{
	return c->sink == NULL || !c->sink_running ||
	    pthread_equal(pthread_self(), c->sink->thread);
}

/*
 * Begin a member of size bytes, with its first block (len bytes of data,
 * copied); the member's entry comes with sink_end. type_here: the sink
 * submits its first block for typing.
 */
int
sink_begin(struct collector *c, const char *apath, int64_t size,
    const struct timespec *mtime, const char *pkg_source, bool type_here)
{
	struct sink_op *op = sink_op_new(SINK_BEGIN, NULL, apath, pkg_source,
	    NULL, 0);

	if (op == NULL)
		return -1;
	op->size = size;
	op->mtime = *mtime;
	op->pkgcheck = c->pkgcheck_ready;
	op->type_here = type_here;
	return sink_submit(c, op);
}

/* More bytes of the member begun; block is taken over (freed by the sink). */
int
sink_data(struct collector *c, unsigned char *block, size_t len)
{
	struct sink_op *op = sink_op_new(SINK_DATA, NULL, NULL, NULL, NULL, 0);

	if (op == NULL) {
		free(block);
		return -1;
	}
	op->data = block;
	op->len = len;
	op->data_owned = true;
	op->cost += len;
	return sink_submit(c, op);
}

/*
 * Submit an operation that ends a member; with sha256, wait for it to be
 * done and copy the member's SHA-256 in hex.
 */
static int
sink_submit_ending(struct collector *c, struct sink_op *op,
    char sha256[HASH_HEX_SIZE])
{
	struct sink_reply reply = { .done = false };
	int rc;

	if (sha256 != NULL)
		op->reply = &reply;
	rc = sink_submit(c, op);
	if (rc == 0 && sha256 != NULL)
		memcpy(sha256, reply.sha256, HASH_HEX_SIZE);
	return rc;
}

/*
 * End the member begun and record its entry e (its digests are the
 * sink's). With sha256, wait for the member's SHA-256 in hex.
 */
int
sink_end(struct collector *c, const struct manifest_entry *e,
    char sha256[HASH_HEX_SIZE])
{
	struct sink_op *op = sink_op_new(SINK_END | SINK_ENTRY, e, NULL, NULL,
	    NULL, 0);

	return op != NULL ? sink_submit_ending(c, op, sha256) : -1;
}

/*
 * A whole member in one operation: len bytes of data (copied), its entry e
 * and, with sha256, a wait for the member's SHA-256 in hex.
 */
int
sink_member(struct collector *c, const char *apath, const struct timespec *mtime,
    const void *data, size_t len, const char *pkg_source, bool type_here,
    const struct manifest_entry *e, char sha256[HASH_HEX_SIZE])
{
	struct sink_op *op = sink_op_new(SINK_BEGIN | SINK_DATA | SINK_END |
	    SINK_ENTRY, e, apath, pkg_source, data, len);

	if (op == NULL)
		return -1;
	op->size = (int64_t)len;
	op->mtime = *mtime;
	op->pkgcheck = c->pkgcheck_ready;
	op->type_here = type_here;
	op->whole = true;
	return sink_submit_ending(c, op, sha256);
}

/* Record an entry without a member (its digests, for hash-only entries, copied). */
int
sink_entry(struct collector *c, const struct manifest_entry *e)
{
	struct sink_op *op = sink_op_new(SINK_ENTRY, e, NULL, NULL, NULL, 0);

	return op != NULL ? sink_submit(c, op) : -1;
}

/* A log line (taken over), written in its turn. */
int
sink_log(struct collector *c, char *line)
{
	struct sink_op *op = sink_op_new(SINK_LOG, NULL, NULL, NULL, NULL, 0);

	if (op == NULL) {
		free(line);
		return -1;
	}
	op->line = line;
	op->cost += strlen(line);
	return sink_submit(c, op);
}

/* A problem for the summary, noted in its turn. */
int
sink_problem(struct collector *c, const char *source, const char *status,
    const char *reason)
{
	struct sink_op *op = sink_op_new(SINK_PROBLEM, NULL, NULL, NULL, NULL, 0);

	if (op == NULL)
		return -1;
	if ((op->problem[0] = strdup(source)) == NULL ||
	    (op->problem[1] = strdup(status)) == NULL ||
	    (op->problem[2] = strdup(reason != NULL ? reason : "")) == NULL) {
		sink_op_free(op);
		return error_set_errno("strdup");
	}
	return sink_submit(c, op);
}
