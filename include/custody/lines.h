/* Split a stream of bytes into lines, with a cap on line length. */
#ifndef CUSTODY_LINES_H
#define CUSTODY_LINES_H

#include <stddef.h>

struct lines {
	char	*buffer;
	size_t	 length;
	size_t	 size;
	size_t	 max;		/* longest line accepted */
	size_t	 number;	/* lines delivered so far */
	int	 too_long;	/* the current line is being dropped */
};

/*
 * Called for each line, without its newline; line[len] is a writable NUL.
 * number counts from 1. A non-zero return stops the feed and is returned.
 */
typedef int (*lines_fn)(char *line, size_t len, size_t number, void *arg);

void lines_init(struct lines *, size_t max);
/* Feed bytes; calls fn for each complete line. Over-long lines give fn a NULL line. */
int lines_feed(struct lines *, const void *data, size_t len, lines_fn fn, void *arg);
/* Deliver a last line that had no newline; *unterminated tells whether there was one. */
int lines_finish(struct lines *, lines_fn fn, void *arg, int *unterminated);
void lines_free(struct lines *);

#endif
