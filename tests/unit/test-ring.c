/*
 * Unit tests: the ring of blocks between the verifier's threads, and its
 * second taker (the file's digest, taken behind the decompressor).
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "stages.h"

#define BLOCKS	20000

/* Fill a block with its number, then the number's low byte to its length. */
static void
block_fill(struct ring_block *b, unsigned n)
{
	b->len = sizeof n + n % 61;
	memcpy(b->data, &n, sizeof n);
	memset(b->data + sizeof n, (int)(n & 0xff), b->len - sizeof n);
	b->status = 1;
	b->error = 0;
}

/* The number a block was filled with, -1 when its bytes were overwritten since. */
static long
block_number(const struct ring_block *b)
{
	unsigned n;
	size_t i;

	if (b->len < sizeof n)
		return -1;
	memcpy(&n, b->data, sizeof n);
	if (b->len != sizeof n + n % 61)
		return -1;
	for (i = sizeof n; i < b->len; i++)
		if (b->data[i] != (unsigned char)(n & 0xff))
			return -1;
	return (long)n;
}

/* One thread: the first taker's order, the second's, and what each returns. */
static void
test_trail_in_one_thread(void **state)
{
	struct ring r;
	struct ring_block *b;
	unsigned i;

	(void)state;
	assert_int_equal(ring_init(&r, 4, 2, 64), 0);
	ring_trail(&r);
	for (i = 0; i < 3; i++) {
		assert_non_null(b = ring_reserve(&r));
		block_fill(b, 100 + i);
		ring_publish(&r);
	}
	assert_null(ring_trail_claim(&r));
	assert_int_equal(block_number(ring_take(&r)), 100);
	ring_release(&r);
	assert_int_equal(block_number(ring_take(&r)), 101);
	ring_release(&r);
	assert_int_equal(ring_trailing(&r), 2);
	/* The oldest first, and one claim at a time. */
	assert_non_null(b = ring_trail_claim(&r));
	assert_int_equal(block_number(b), 100);
	assert_null(ring_trail_claim(&r));
	ring_trail_done(&r);
	assert_int_equal(ring_trailing(&r), 1);
	/* Published and not released: what is left once the threads are gone. */
	assert_int_equal(block_number(ring_unreleased(&r, 0)), 102);
	assert_null(ring_unreleased(&r, 1));
	assert_non_null(b = ring_trail_claim(&r));
	assert_int_equal(block_number(b), 101);
	ring_trail_done(&r);
	assert_int_equal(ring_trailing(&r), 0);
	assert_null(ring_trail_claim(&r));
	ring_free(&r);
}

struct run {
	struct ring	 ring;
	unsigned	 next;		/* the number the second taker expects */
	unsigned	 wrong;		/* blocks out of order or overwritten */
	unsigned	 first_wrong;	/* the same, as the first taker saw them */
	unsigned	 by_first;	/* second-taker blocks the first took */
};

/* Take the second taker's blocks while more than keep wait; mine counts them. */
static void
run_trail(struct run *run, unsigned keep, unsigned *mine)
{
	struct ring_block *b;

	while (ring_trailing(&run->ring) > keep &&
	    (b = ring_trail_claim(&run->ring)) != NULL) {
		if (block_number(b) != (long)run->next)
			run->wrong++;
		run->next++;
		if (mine != NULL)
			(*mine)++;
		ring_trail_done(&run->ring);
	}
}

static void *
run_producer(void *arg)
{
	struct run *run = arg;
	struct ring_block *b;
	unsigned i;

	for (i = 0; i <= BLOCKS; i++) {
		if ((b = ring_reserve(&run->ring)) == NULL)
			return NULL;
		if (i == BLOCKS) {
			b->len = 0;
			b->status = 0;
		} else
			block_fill(b, i);
		ring_publish(&run->ring);
	}
	return NULL;
}

/* The first taker, as the decompressor: takes the second's part when many wait. */
static void *
run_first(void *arg)
{
	struct run *run = arg;
	struct ring_block *b;
	unsigned i;

	for (i = 0;; i++) {
		run_trail(run, 2, &run->by_first);
		b = ring_take(&run->ring);
		if (b->status <= 0)
			return NULL;
		if (block_number(b) != (long)i)
			run->first_wrong++;
		ring_release(&run->ring);
	}
}

/*
 * Three threads, with the second taker sometimes away for long: every
 * block reaches it once, in order and intact, and nothing waits forever
 * (the first taker takes over when the ring would run out of room).
 */
static void
test_trail_threads(void **state)
{
	struct run run;
	pthread_t producer, first;
	unsigned rounds = 0;

	(void)state;
	memset(&run, 0, sizeof run);
	assert_int_equal(ring_init(&run.ring, 8, 4, 64), 0);
	ring_trail(&run.ring);
	assert_int_equal(pthread_create(&producer, NULL, run_producer, &run), 0);
	assert_int_equal(pthread_create(&first, NULL, run_first, &run), 0);
	while (run.next < BLOCKS / 2) {
		run_trail(&run, 0, NULL);
		/* Away now and then, as a walk busy with a large member. */
		if (++rounds % 64 == 0) {
			struct timespec pause = { 0, 200000 };

			nanosleep(&pause, NULL);
		}
	}
	pthread_join(first, NULL);
	pthread_join(producer, NULL);
	/* What the first left behind; the end block is never released. */
	run_trail(&run, 0, NULL);
	assert_int_equal(run.wrong, 0);
	assert_int_equal(run.first_wrong, 0);
	assert_int_equal(run.next, BLOCKS);
	assert_non_null(ring_unreleased(&run.ring, 0));
	assert_int_equal(ring_unreleased(&run.ring, 0)->status, 0);
	print_message("# the first taker digested %u of %u blocks\n", run.by_first, BLOCKS);
	ring_free(&run.ring);
}

/* A closed ring gives its producer no more room. */
static void
test_close(void **state)
{
	struct ring r;
	unsigned i;

	(void)state;
	assert_int_equal(ring_init(&r, 2, 1, 16), 0);
	ring_trail(&r);
	for (i = 0; i < 2; i++) {
		block_fill(ring_reserve(&r), i);
		ring_publish(&r);
	}
	ring_close(&r);
	assert_null(ring_reserve(&r));
	assert_int_equal(block_number(ring_unreleased(&r, 1)), 1);
	ring_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trail_in_one_thread),
		cmocka_unit_test(test_trail_threads),
		cmocka_unit_test(test_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
