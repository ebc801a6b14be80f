/*
 * The timeline's bodyfile: lines in the Sleuth Kit's mactime 3.x format,
 * cut into members live/timeline/body-NNNN of at most TIMELINE_PART_MAX
 * bytes each, so memory stays bounded whatever the number of files.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "live.h"
#include "live-timeline.h"

#define TIMELINE_ORIGIN	"statx(2) of every entry of the local filesystems " \
	"in /proc/self/mountinfo"

/* The room one line can take: every byte of a name or target escaped. */
static size_t
timeline_line_room(void)
{
	return 3 * (TIMELINE_PATH_MAX + NAME_MAX + 2) + 4 +
	    3 * TIMELINE_TARGET_MAX + 256;
}

/* Start an empty bodyfile with a cap on its bytes. */
int
timeline_body_start(struct timeline_body *b, struct live_run *run,
    uint64_t limit)
{
	memset(b, 0, sizeof *b);
	b->run = run;
	b->limit = limit;
	b->max_lines = TIMELINE_ENTRIES_MAX;
	b->line_size = timeline_line_room();
	b->part = malloc(TIMELINE_PART_MAX);
	b->line = malloc(b->line_size);
	b->members = json_array();
	if (b->part == NULL || b->line == NULL || b->members == NULL) {
		timeline_body_free(b);
		return error_set("out of memory");
	}
	return 0;
}

void
timeline_body_free(struct timeline_body *b)
{
	free(b->part);
	free(b->line);
	json_decref(b->members);
	memset(b, 0, sizeof *b);
}

/* The length of the valid UTF-8 sequence at p (not ASCII), or 0. */
static size_t
timeline_utf8_length(const unsigned char *p, size_t left)
{
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	return n <= left && util_utf8_valid((const char *)p, n) ? n : 0;
}

/*
 * Copy a name into out, escaped so that every line stays one record of
 * eleven fields that mactime reads: '%', '|', '>' (so that " -> " only
 * ever separates a link's name from its target), control bytes and bytes
 * that are not UTF-8 become %HH, which mactime decodes in every field;
 * a newline becomes \n and a backslash \\ (mactime drops a name holding
 * a newline). The bytes written.
 */
static size_t
timeline_escape(const char *data, size_t len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0, o = 0, n;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '%' && p[i] != '|' &&
		    p[i] != '>' && p[i] != '\\') {
			out[o++] = (char)p[i++];
			continue;
		}
		n = p[i] >= 0x80 ? timeline_utf8_length(p + i, len - i) : 0;
		if (n > 0) {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		} else if (p[i] == '\n' || p[i] == '\\') {
			out[o++] = '\\';
			out[o++] = p[i++] == '\n' ? 'n' : '\\';
		} else {
			out[o++] = '%';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 0x0f];
			i++;
		}
	}
	return o;
}

/* The mode as TSK's fls writes it: "r/rrw-r--r--" and so on. */
void
timeline_mode_string(unsigned mode, char out[13])
{
	static const char rwx[] = "rwxrwxrwx";
	char type;
	int i;

	switch (mode & S_IFMT) {
	case S_IFREG:	type = 'r'; break;
	case S_IFDIR:	type = 'd'; break;
	case S_IFLNK:	type = 'l'; break;
	case S_IFIFO:	type = 'p'; break;
	case S_IFCHR:	type = 'c'; break;
	case S_IFBLK:	type = 'b'; break;
	case S_IFSOCK:	type = 's'; break;
	default:	type = '-'; break;
	}
	out[0] = out[2] = type;
	out[1] = '/';
	for (i = 0; i < 9; i++)
		out[3 + i] = mode & (0400u >> i) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[5] = mode & S_IXUSR ? 's' : 'S';
	if (mode & S_ISGID)
		out[8] = mode & S_IXGRP ? 's' : 'S';
	if (mode & S_ISVTX)
		out[11] = mode & S_IXOTH ? 't' : 'T';
	out[12] = '\0';
}

/* Make one line in b->line; its length, or 0 when it does not fit. */
static size_t
timeline_line(struct timeline_body *b, const struct timeline_object *o)
{
	const struct statx *x = o->stx;
	char mode[13];
	size_t n;
	int tail;

	if (o->name_len > TIMELINE_PATH_MAX + NAME_MAX + 1 ||
	    o->target_len > TIMELINE_TARGET_MAX)
		return 0;
	memcpy(b->line, "0|", 2);
	n = 2 + timeline_escape(o->name, o->name_len, b->line + 2);
	if (o->target != NULL) {
		memcpy(b->line + n, " -> ", 4);
		n += 4 + timeline_escape(o->target, o->target_len, b->line + n + 4);
	}
	timeline_mode_string(x->stx_mode, mode);
	tail = snprintf(b->line + n, b->line_size - n,
	    "|%" PRIu64 "|%s|%u|%u|%" PRIu64 "|%" PRId64 "|%" PRId64 "|%" PRId64
	    "|%" PRId64 "\n", (uint64_t)x->stx_ino, mode, x->stx_uid, x->stx_gid,
	    (uint64_t)x->stx_size, (int64_t)x->stx_atime.tv_sec,
	    (int64_t)x->stx_mtime.tv_sec, (int64_t)x->stx_ctime.tv_sec,
	    x->stx_mask & STATX_BTIME ? (int64_t)x->stx_btime.tv_sec : 0);
	if (tail < 0 || (size_t)tail >= b->line_size - n)
		return 0;
	return n + (size_t)tail;
}

/* Archive the part made so far as the next member. 0 or -1 (fatal). */
static int
timeline_body_flush(struct timeline_body *b)
{
	char member[32];
	int n;

	n = snprintf(member, sizeof member, "body-%04u", b->parts + 1);
	if (n < 0 || (size_t)n >= sizeof member)
		return error_set("too many timeline parts");
	if (live_add_member(b->run, member, b->part, b->part_len,
	    TIMELINE_ORIGIN) != 0)
		return -1;
	n = snprintf(member, sizeof member, "live/timeline/body-%04u",
	    b->parts + 1);
	if (json_array_append_new(b->members, json_string(member)) != 0)
		return b->run->fatal = true, error_set("out of memory");
	b->parts++;
	b->part_len = 0;
	return 0;
}

/* Add one line: 0, 1 when a cap stops the bodyfile, -1 when fatal. */
int
timeline_body_add(struct timeline_body *b, const struct timeline_object *o)
{
	size_t n;

	if (b->full)
		return 1;
	if ((n = timeline_line(b, o)) == 0)
		return 0;
	if (b->lines == b->max_lines || b->bytes + n > b->limit) {
		b->full = true;
		b->full_reason = b->lines == b->max_lines ? "entries" : "size";
		return 1;
	}
	if (b->part_len + n > TIMELINE_PART_MAX && timeline_body_flush(b) != 0)
		return -1;
	memcpy(b->part + b->part_len, b->line, n);
	b->part_len += n;
	b->bytes += n;
	b->lines++;
	return 0;
}

/* Write the last part (at least one part is always written). */
int
timeline_body_finish(struct timeline_body *b)
{
	if (b->part_len == 0 && b->parts > 0)
		return 0;
	return timeline_body_flush(b);
}
