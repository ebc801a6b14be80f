/* rpm package headers from the rpm database, checked before use. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "custody/error.h"
#include "custody/rpmheader.h"

/* A big-endian 32-bit value. */
static uint32_t
rpmheader_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The size of one value of an integer type; 0 for the others. */
static size_t
rpmheader_type_size(uint32_t type)
{
	switch (type) {
	case RPMHEADER_CHAR:
	case RPMHEADER_INT8:
	case RPMHEADER_BIN:
		return 1;
	case RPMHEADER_INT16:
		return 2;
	case RPMHEADER_INT32:
		return 4;
	case RPMHEADER_INT64:
		return 8;
	default:
		return 0;
	}
}

/* Check a blob's lengths and point h at it. */
int
rpmheader_open(struct rpmheader *h, const void *blob, size_t len)
{
	const unsigned char *p = blob;
	uint64_t want;

	memset(h, 0, sizeof *h);
	if (len < 8)
		return error_set("rpm header of %zu bytes: shorter than its "
		    "8-byte intro", len);
	h->count = rpmheader_be32(p);
	h->data_len = rpmheader_be32(p + 4);
	if (h->count == 0 || h->count > RPMHEADER_TAGS_MAX)
		return error_set("rpm header: %u index entries (1 to %u allowed)",
		    h->count, RPMHEADER_TAGS_MAX);
	if (h->data_len > RPMHEADER_DATA_MAX)
		return error_set("rpm header: %u data bytes (at most %u allowed)",
		    h->data_len, RPMHEADER_DATA_MAX);
	want = 8 + (uint64_t)h->count * 16 + h->data_len;
	if (want != len)
		return error_set("rpm header of %zu bytes declares %u index "
		    "entries and %u data bytes (%llu bytes)", len, h->count,
		    h->data_len, (unsigned long long)want);
	h->index = p + 8;
	h->data = h->index + (size_t)h->count * 16;
	return 0;
}

/* The bytes count NUL-terminated strings take from start, or 0 when they do not fit. */
static size_t
rpmheader_strings_len(const unsigned char *start, size_t room, uint32_t count)
{
	const unsigned char *nul, *p = start;
	uint32_t i;

	for (i = 0; i < count; i++) {
		nul = memchr(p, '\0', room - (size_t)(p - start));
		if (nul == NULL)
			return 0;
		p = nul + 1;
	}
	return (size_t)(p - start);
}

/* The i-th index entry, checked against the data it points into. */
int
rpmheader_entry_at(const struct rpmheader *h, uint32_t i,
    struct rpmheader_entry *e)
{
	const unsigned char *p = h->index + (size_t)i * 16;
	uint32_t offset = rpmheader_be32(p + 8);
	size_t size, room;

	e->tag = rpmheader_be32(p);
	e->type = rpmheader_be32(p + 4);
	e->count = rpmheader_be32(p + 12);
	if (e->type < RPMHEADER_CHAR || e->type > RPMHEADER_I18NSTRING)
		return error_set("rpm header tag %u: unknown type %u", e->tag,
		    e->type);
	if (e->count == 0 || e->count > h->data_len ||
	    (e->type != RPMHEADER_BIN && e->count > RPMHEADER_ARRAY_MAX) ||
	    (e->type == RPMHEADER_STRING && e->count != 1))
		return error_set("rpm header tag %u: count %u out of range",
		    e->tag, e->count);
	if (offset >= h->data_len)
		return error_set("rpm header tag %u: offset %u past the %u "
		    "data bytes", e->tag, offset, h->data_len);
	size = rpmheader_type_size(e->type);
	if (size > 1 && offset % size != 0)
		return error_set("rpm header tag %u: offset %u not aligned",
		    e->tag, offset);
	room = h->data_len - offset;
	e->data = h->data + offset;
	if (size > 0)
		e->len = (uint64_t)e->count * size <= room ? e->count * size : 0;
	else
		e->len = rpmheader_strings_len(e->data, room, e->count);
	if (e->len == 0)
		return error_set("rpm header tag %u: %u values of type %u run "
		    "past the end of the data%s", e->tag, e->count, e->type,
		    size == 0 ? " (a string without its NUL)" : "");
	return 0;
}

/* The first entry with tag. */
int
rpmheader_find(const struct rpmheader *h, uint32_t tag,
    struct rpmheader_entry *e)
{
	uint32_t i;

	for (i = 0; i < h->count; i++)
		if (rpmheader_be32(h->index + (size_t)i * 16) == tag)
			return rpmheader_entry_at(h, i, e) == 0 ? 1 : -1;
	return 0;
}

/* The next string of a string entry, from *pos. */
const char *
rpmheader_string(const struct rpmheader_entry *e, size_t *pos)
{
	const char *s;

	if (e->type != RPMHEADER_STRING && e->type != RPMHEADER_STRING_ARRAY &&
	    e->type != RPMHEADER_I18NSTRING)
		return NULL;
	if (*pos >= e->len)
		return NULL;
	s = (const char *)e->data + *pos;
	*pos += strlen(s) + 1;
	return s;
}

/* Value i of an integer entry. */
uint64_t
rpmheader_integer(const struct rpmheader_entry *e, uint32_t i)
{
	const unsigned char *p;
	size_t size = rpmheader_type_size(e->type), k;
	uint64_t v = 0;

	if (size == 0 || i >= e->count)
		return 0;
	p = e->data + (size_t)i * size;
	for (k = 0; k < size; k++)
		v = v << 8 | p[k];
	return v;
}
