/* dpkg's status file, one stanza at a time (live-packages-status.c). */
#ifndef CUSTODY_LIVE_PACKAGES_STATUS_H
#define CUSTODY_LIVE_PACKAGES_STATUS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "live-packages.h"

/* The fields kept of each stanza, in this order. */
enum status_field {
	STATUS_PACKAGE,
	STATUS_STATUS,
	STATUS_VERSION,
	STATUS_ARCHITECTURE,
	STATUS_SOURCE,
	STATUS_INSTALLED_SIZE,
	STATUS_MAINTAINER,
	STATUS_CONFFILES,
	STATUS_MULTI_ARCH,
	STATUS_FIELD_COUNT
};

#define STATUS_NAME_MAX	64	/* bytes of a field name kept, with its NUL */
#define STATUS_LONG_MAX	16	/* names of cut fields kept per stanza */

/* One stanza: the fields kept (NULL when absent) and whether it is whole. */
struct status_stanza {
	char			*value[STATUS_FIELD_COUNT];
	size_t			 len[STATUS_FIELD_COUNT];
	size_t			 size[STATUS_FIELD_COUNT];
	int			 current;	/* the kept field continuation lines go to */
	char			 name[STATUS_NAME_MAX];	/* of the field being read */
	char			 long_fields[STATUS_LONG_MAX][STATUS_NAME_MAX];
	size_t			 long_count;	/* fields cut at PACKAGES_FIELD_MAX */
	size_t			 fields;	/* all fields, kept or not */
	unsigned long long	 first_line;
	const char		*reason;	/* why it is broken, or NULL */
	unsigned long long	 reason_line;
};

struct status_reader {
	int			 fd;
	const char		*name;
	char			*block;
	size_t			 block_len;
	size_t			 block_pos;
	char			*line;
	size_t			 line_len;
	bool			 line_truncated;
	unsigned long long	 line_number;
	int64_t			 total;		/* bytes read */
	bool			 over_cap;	/* PACKAGES_STATUS_MAX reached */
	struct status_stanza	 stanza;
};

int status_reader_init(struct status_reader *, int fd, const char *name);
void status_reader_free(struct status_reader *);
/* The next stanza: 1, 0 at the end, -1 on a read error (error_set). */
int status_next(struct status_reader *);

#endif
