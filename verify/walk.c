/*
 * The walk over the decompressed tar stream, block by block, held to what
 * custody writes, so that what is verified is what every tar extracts.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/util.h"
#include "reader.h"
#include "ustar.h"
#include "walk.h"

/* Zero blocks allowed at the end: GNU tar pads to records of up to 1 MiB. */
#define WALK_END_BLOCKS_MAX	2048

/* Report a problem with a member (or "(archive)") to the visitor. */
int
walk_problem(struct walk *w, const char *member, size_t len, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (member == NULL) {
		member = "(archive)";
		len = strlen(member);
	}
	return w->v->problem(w->arg, member, len, text);
}

/* Forget what applied to the member just read. */
static void
walk_forget_extensions(struct walk *w)
{
	ustar_pax_free(&w->pax);
	w->pax_pending = false;
	free(w->long_name);
	w->long_name = NULL;
	w->long_name_len = 0;
}

/* After n data bytes, skip to the next block boundary. */
static void
walk_pad(struct walk *w, uint64_t n)
{
	w->padding = (USTAR_BLOCK - n % USTAR_BLOCK) % USTAR_BLOCK;
	w->pad_dirty = false;
	w->state = w->padding > 0 ? WALK_PAD : WALK_HEADER;
}

/* The member's name: a pax path when there is one, else the header's. */
static void
walk_name(struct walk *w, const struct ustar_header *h)
{
	const char *name = h->name;
	size_t len = h->name_len;

	if (w->pax_pending && w->pax.path != NULL) {
		name = w->pax.path;
		len = w->pax.path_len;
	}
	if (len > USTAR_NAME_MAX)
		len = USTAR_NAME_MAX;
	memcpy(w->name, name, len);
	w->name[len] = '\0';
	w->name_len = len;
}

/* What the extensions before a regular member do that custody's do not. */
static int
walk_extension_problems(struct walk *w, const struct ustar_header *h)
{
	char *escaped;
	int rc = 0;

	if (w->pax_pending && w->pax.malformed[0] != '\0')
		rc = walk_problem(w, w->name, w->name_len, "%s", w->pax.malformed);
	if (rc == 0 && w->pax_pending && w->pax.other_count > 0)
		rc = walk_problem(w, w->name, w->name_len, "%u pax record%s custody "
		    "does not write, which tar would apply: %s", w->pax.other_count,
		    w->pax.other_count == 1 ? "" : "s", w->pax.other_keys);
	if (rc == 0 && w->pax_pending && w->pax.path != NULL &&
	    !w->pax.binary_names && !util_utf8_valid(w->pax.path, w->pax.path_len))
		rc = walk_problem(w, w->name, w->name_len, "pax path is not UTF-8 "
		    "and hdrcharset is not BINARY: tars would convert it");
	if (rc == 0 && w->long_name != NULL) {
		escaped = util_escape(w->name, w->name_len);
		rc = walk_problem(w, w->long_name, w->long_name_len, "named by a "
		    "GNU long name record: GNU tar and bsdtar extract it under "
		    "this name, not as %s", escaped != NULL ? escaped : "?");
		free(escaped);
	}
	(void)h;
	return rc;
}

/* A regular file member: checked, then handed to the visitor. */
static int
walk_regular(struct walk *w, const struct ustar_header *h)
{
	struct reader_member m;
	const char *why;
	char unusual[512];
	int rc;

	walk_name(w, h);
	if ((rc = walk_extension_problems(w, h)) != 0)
		return rc;
	if ((why = ustar_name_problem(w->pax_pending && w->pax.path != NULL ?
	    w->pax.path : h->name, w->pax_pending && w->pax.path != NULL ?
	    w->pax.path_len : h->name_len)) != NULL &&
	    (rc = walk_problem(w, w->name, w->name_len, "%s", why)) != 0)
		return rc;
	if (h->mtime_base256 && !(w->pax_pending && w->pax.has_mtime) &&
	    (rc = walk_problem(w, w->name, w->name_len, "a base-256 modification "
	    "time without the pax mtime record custody writes beside it")) != 0)
		return rc;
	if (ustar_header_unusual(h, unusual, sizeof unusual) &&
	    (rc = walk_problem(w, w->name, w->name_len, "header not as custody "
	    "writes it, and tar -x would apply it: %s", unusual)) != 0)
		return rc;
	memset(&m, 0, sizeof m);
	m.path = w->name;
	m.path_len = w->name_len;
	m.size = (int64_t)(w->pax_pending && w->pax.has_size ? w->pax.size : h->size);
	m.mtime_exact = w->pax_pending && w->pax.has_mtime;
	m.mtime_sec = m.mtime_exact ? w->pax.mtime_sec : (int64_t)h->mtime;
	m.mtime_nsec = m.mtime_exact ? w->pax.mtime_nsec : 0;
	walk_forget_extensions(w);
	if (m.size < 0)
		return error_set("a member's size is out of range");
	w->members++;
	if ((rc = w->v->begin(w->arg, &m)) != 0)
		return rc;
	w->size = w->remaining = (uint64_t)m.size;
	if (w->remaining > 0) {
		w->state = WALK_DATA;
		return 0;
	}
	walk_pad(w, 0);
	return w->v->end(w->arg);
}

/* Start collecting a record's data (pax header, GNU long name). */
static int
walk_record(struct walk *w, const struct ustar_header *h)
{
	char escaped_type = h->typeflag;

	if (h->size > USTAR_PAX_MAX) {
		walk_forget_extensions(w);
		w->size = w->remaining = h->size;
		w->state = WALK_SKIP;
		return walk_problem(w, h->name, h->name_len, "%s of %llu bytes, "
		    "more than custody writes", ustar_type_name(escaped_type),
		    (unsigned long long)h->size);
	}
	free(w->record);
	if ((w->record = malloc((size_t)h->size + 1)) == NULL)
		return error_set_errno("malloc");
	w->record_len = 0;
	w->record_type = h->typeflag;
	w->size = w->remaining = h->size;
	w->state = WALK_RECORD;
	return 0;
}

/* A record's data is complete: keep what it says for the next member. */
static int
walk_record_done(struct walk *w)
{
	size_t len = w->record_len;

	w->record[len] = '\0';
	if (w->record_type == 'x') {
		if (ustar_pax_parse(w->record, len, &w->pax) != 0)
			return -1;
		w->pax_pending = true;
	} else if (w->record_type == 'L') {
		free(w->long_name);
		w->long_name_len = strnlen(w->record, len);
		if ((w->long_name = strndup(w->record, w->long_name_len)) == NULL)
			return error_set_errno("strndup");
	}
	walk_pad(w, len);
	return 0;
}

/* A member of a type custody never writes: named, its data skipped. */
static int
walk_other(struct walk *w, const struct ustar_header *h)
{
	const char *why = h->typeflag == 'g' ? ": its records would apply to "
	    "every member after it" : h->typeflag == 'S' ? ": tar would extract "
	    "other bytes than those stored" : h->typeflag == 'K' ? "" :
	    ": custody archives hold only regular files";
	int rc;

	walk_name(w, h);
	if (w->long_name != NULL) {
		memcpy(w->name, w->long_name, w->long_name_len + 1 > sizeof w->name ?
		    sizeof w->name - 1 : w->long_name_len);
		w->name_len = w->long_name_len < USTAR_NAME_MAX ?
		    w->long_name_len : USTAR_NAME_MAX;
		w->name[w->name_len] = '\0';
	}
	rc = walk_problem(w, w->name, w->name_len, "%s (type '%c')%s",
	    ustar_type_name(h->typeflag), h->typeflag >= ' ' &&
	    h->typeflag < 127 ? h->typeflag : '?', why);
	walk_forget_extensions(w);
	w->size = w->remaining = h->size;
	w->state = WALK_SKIP;
	if (h->size == 0)
		walk_pad(w, 0);
	return rc;
}

/* A whole header block has arrived. */
static int
walk_header(struct walk *w)
{
	struct ustar_header h;
	char unusual[512];
	int rc = 0;

	if (ustar_is_zero(w->block)) {
		if (w->pax_pending || w->long_name != NULL)
			rc = walk_problem(w, NULL, 0, "an extended header with "
			    "no member after it");
		walk_forget_extensions(w);
		w->zero_blocks = 1;
		w->state = WALK_END;
		return rc;
	}
	if ((rc = ustar_header_parse(w->block, &h)) == -2) {
		w->recognized = true;
		if ((rc = walk_problem(w, h.name, h.name_len, "%s", error_message())) != 0)
			return rc;
		return error_set("cannot follow the archive past the header at "
		    "byte %llu", (unsigned long long)(w->offset - USTAR_BLOCK));
	}
	if (rc != 0)
		return error_prefix("at byte %llu", (unsigned long long)(w->offset - USTAR_BLOCK));
	w->recognized = true;
	switch (h.typeflag) {
	case 'x':
		if (ustar_header_unusual(&h, unusual, sizeof unusual) &&
		    (rc = walk_problem(w, h.name, h.name_len, "pax header not as "
		    "custody writes it: %s", unusual)) != 0)
			return rc;
		if (w->pax_pending)
			rc = walk_problem(w, h.name, h.name_len, "two pax "
			    "headers for one member");
		walk_forget_extensions(w);
		break;
	case 'L':
		if (w->long_name != NULL)
			rc = walk_problem(w, h.name, h.name_len, "two GNU long "
			    "name records for one member");
		break;
	case '0':
		return walk_regular(w, &h);
	default:
		return walk_other(w, &h);
	}
	if (rc == 0)
		rc = walk_record(w, &h);
	if (rc == 0 && w->state == WALK_RECORD && w->remaining == 0)
		rc = walk_record_done(w);
	return rc;
}

/* After the end-of-archive marker: one more block has arrived. */
static int
walk_after_end(struct walk *w)
{
	struct ustar_header h;
	uint64_t at = w->offset - USTAR_BLOCK;
	int rc;

	if (ustar_is_zero(w->block)) {
		if (++w->zero_blocks <= WALK_END_BLOCKS_MAX)
			return 0;
		w->state = WALK_AFTER;
		if (walk_problem(w, NULL, 0, "more than %d KiB of zeros after the "
		    "end-of-archive marker, more than any tar writes",
		    WALK_END_BLOCKS_MAX / 2) != 0)
			return -1;
		return WALK_STOP;
	}
	w->state = WALK_AFTER;
	/* Named once; what follows is not decompressed, only digested. */
	if (ustar_header_parse(w->block, &h) == 0)
		rc = walk_problem(w, h.typeflag == 'x' ? NULL : h.name,
		    h.typeflag == 'x' ? 0 : h.name_len, "a %s after the "
		    "end-of-archive marker (byte %llu): tar stops before it, "
		    "tar --ignore-zeros extracts it", h.typeflag == 'x' ?
		    "member (with a pax header)" : "member",
		    (unsigned long long)at);
	else
		rc = walk_problem(w, NULL, 0, "data after the end-of-archive "
		    "marker (byte %llu)", (unsigned long long)at);
	return rc != 0 ? rc : WALK_STOP;
}

/* Fill the block buffer; true when a whole block is there. */
static bool
walk_fill(struct walk *w, const unsigned char **data, size_t *len)
{
	size_t n = USTAR_BLOCK - w->have;

	if (n > *len)
		n = *len;
	memcpy(w->block + w->have, *data, n);
	w->have += n;
	w->offset += n;
	*data += n;
	*len -= n;
	if (w->have < USTAR_BLOCK)
		return false;
	w->have = 0;
	return true;
}

/* Take up to remaining bytes of a member's data or record. */
static size_t
walk_take(struct walk *w, size_t len)
{
	size_t n = w->remaining < len ? (size_t)w->remaining : len;

	w->remaining -= n;
	w->offset += n;
	return n;
}

/* Padding between members: tar skips it, so custody writes only zeros there. */
static int
walk_padding(struct walk *w, const unsigned char *data, size_t n)
{
	w->padding -= n;
	w->offset += n;
	if (!ustar_all_zero(data, n))
		w->pad_dirty = true;
	if (w->padding > 0)
		return 0;
	w->state = WALK_HEADER;
	if (w->pad_dirty)
		return walk_problem(w, w->name, w->name_len, "bytes hidden in the "
		    "padding after this member");
	return 0;
}

/* One step of the walk over n of the len bytes at data; returns bytes used in *used. */
static int
walk_step(struct walk *w, const unsigned char *data, size_t len, size_t *used)
{
	size_t n;
	int rc;

	switch (w->state) {
	case WALK_HEADER:
	case WALK_END:
		*used = len;
		if (!walk_fill(w, &data, &len))
			return 0;
		*used -= len;
		return w->state == WALK_HEADER ? walk_header(w) : walk_after_end(w);
	case WALK_RECORD:
		*used = n = walk_take(w, len);
		memcpy(w->record + w->record_len, data, n);
		w->record_len += n;
		return w->remaining == 0 ? walk_record_done(w) : 0;
	case WALK_DATA:
		*used = n = walk_take(w, len);
		if (n > 0 && (rc = w->v->data(w->arg, data, n)) != 0)
			return rc;
		if (w->remaining > 0)
			return 0;
		walk_pad(w, w->size);
		return w->v->end(w->arg);
	case WALK_SKIP:
		*used = walk_take(w, len);
		if (w->remaining == 0)
			walk_pad(w, w->size);
		return 0;
	case WALK_PAD:
		*used = n = w->padding < len ? (size_t)w->padding : len;
		return walk_padding(w, data, n);
	default:
		*used = len;
		w->offset += len;
		return 0;
	}
}

/* Feed decompressed bytes to the walk. */
int
walk_feed(struct walk *w, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t used;
	int rc;

	while (len > 0) {
		if ((rc = walk_step(w, p, len, &used)) != 0)
			return rc;
		p += used;
		len -= used;
	}
	return 0;
}

/* The stream has ended: where it ended says whether the archive is whole. */
int
walk_finish(struct walk *w)
{
	switch (w->state) {
	case WALK_HEADER:
		if (w->have == 0 && w->offset == 0)
			return error_set("empty input");
		return error_set("ends without the end-of-archive marker after "
		    "byte %llu (truncated?)", (unsigned long long)w->offset);
	case WALK_END:
		if (w->have > 0 && !ustar_all_zero(w->block, w->have))
			return walk_problem(w, NULL, 0, "data after the "
			    "end-of-archive marker (byte %llu)",
			    (unsigned long long)(w->offset - w->have));
		if (w->zero_blocks < 2)
			return walk_problem(w, NULL, 0, "the end-of-archive marker "
			    "is one zero block, custody writes two (truncated?)");
		return 0;
	case WALK_AFTER:
		return 0;
	default:
		return error_set("ends inside member %s (truncated?)",
		    w->name_len > 0 ? "data" : "headers");
	}
}

/* Set up a walk. */
void
walk_init(struct walk *w, const struct reader_visitor *v, void *arg)
{
	memset(w, 0, sizeof *w);
	w->v = v;
	w->arg = arg;
	w->state = WALK_HEADER;
}

/* Release a walk. */
void
walk_free(struct walk *w)
{
	walk_forget_extensions(w);
	free(w->record);
}
