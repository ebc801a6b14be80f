/*
 * The walk: the decompressed tar stream, fed in pieces of any size, held to
 * the format custody writes (ustar.h); members go to a reader_visitor.
 */
#ifndef CUSTODY_WALK_H
#define CUSTODY_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "ustar.h"

enum walk_state {
	WALK_HEADER,	/* collecting a header block */
	WALK_RECORD,	/* collecting a pax or GNU long-name record's data */
	WALK_DATA,	/* a member's data, to the visitor */
	WALK_SKIP,	/* data of a member that is not one */
	WALK_PAD,	/* padding to the next block */
	WALK_END,	/* after the first zero block: only zeros may follow */
	WALK_AFTER	/* something followed the end: read on for the digest */
};

/* A walk's answer that it has seen enough: the rest is not read. */
#define WALK_STOP		2

struct walk {
	const struct reader_visitor *v;
	void		*arg;
	enum walk_state	 state;
	unsigned char	 block[USTAR_BLOCK];
	size_t		 have;		/* bytes in block */
	uint64_t	 size;		/* RECORD, DATA, SKIP: bytes in all */
	uint64_t	 remaining;	/* RECORD, DATA, SKIP: bytes left */
	uint64_t	 padding;	/* PAD: bytes left */
	bool		 pad_dirty;	/* padding held something but zeros */
	char		 record_type;	/* RECORD: 'x', 'L' or 'K' */
	char		*record;	/* RECORD: the data collected */
	size_t		 record_len;
	bool		 pax_pending;	/* pax applies to the next member */
	struct ustar_pax pax;
	char		*long_name;	/* GNU long name for the next member */
	size_t		 long_name_len;
	char		 name[USTAR_NAME_MAX + 1];	/* the member being read */
	size_t		 name_len;
	uint64_t	 offset;	/* in the decompressed stream */
	uint64_t	 members;
	bool		 recognized;	/* a tar header was seen */
	unsigned	 zero_blocks;
};

void walk_init(struct walk *, const struct reader_visitor *, void *arg);
/* Feed decompressed bytes: 0, WALK_STOP, a visitor's non-zero, or -1 (error_set). */
int walk_feed(struct walk *, const void *data, size_t len);
/* The stream has ended: where it ended says whether the archive is whole. */
int walk_finish(struct walk *);
/* Report a problem with a member (NULL: "(archive)") to the visitor. */
int walk_problem(struct walk *, const char *member, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void walk_free(struct walk *);

#endif
