/*
 * One streaming pass over an archive: libarchive only decompresses; the
 * tar stream is walked here, block by block, and held to what custody
 * writes, so that what is verified is what every tar extracts.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "custody/error.h"
#include "custody/util.h"
#include "reader.h"
#include "ustar.h"

#define READER_BLOCK (1024 * 1024)

/* The raw input, hashed as libarchive reads it. */
struct reader_input {
	int		 fd;
	unsigned char	*buffer;
	size_t		 buffer_size;
	EVP_MD_CTX	*hash;
	uint64_t	 bytes;
	unsigned char	 head[USTAR_BLOCK];	/* the file's first bytes */
	size_t		 head_len;
	unsigned char	 tail[8];	/* and its last (a gzip trailer) */
	size_t		 tail_len;
};

/* Keep the last 8 bytes read, across blocks. */
static void
reader_keep_tail(struct reader_input *in, size_t n)
{
	size_t keep;

	if (n >= sizeof in->tail) {
		memcpy(in->tail, in->buffer + n - sizeof in->tail, sizeof in->tail);
		in->tail_len = sizeof in->tail;
		return;
	}
	keep = in->tail_len + n > sizeof in->tail ? sizeof in->tail - n : in->tail_len;
	memmove(in->tail, in->tail + in->tail_len - keep, keep);
	memcpy(in->tail + keep, in->buffer, n);
	in->tail_len = keep + n;
}

/* Read one block of the input and digest it: bytes read, 0 at the end, -1 (errno). */
static ssize_t
reader_read_block(struct reader_input *in)
{
	ssize_t n;

	do
		n = read(in->fd, in->buffer, in->buffer_size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (EVP_DigestUpdate(in->hash, in->buffer, (size_t)n) != 1) {
		errno = EIO;
		return -1;
	}
	if (in->head_len < sizeof in->head) {
		size_t take = sizeof in->head - in->head_len;

		if (take > (size_t)n)
			take = (size_t)n;
		memcpy(in->head + in->head_len, in->buffer, take);
		in->head_len += take;
	}
	reader_keep_tail(in, (size_t)n);
	in->bytes += (uint64_t)n;
	return n;
}

/* libarchive's read callback: one block of the file, digested on the way. */
static la_ssize_t
reader_read_callback(struct archive *a, void *arg, const void **block)
{
	struct reader_input *in = arg;
	ssize_t n = reader_read_block(in);

	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	*block = in->buffer;
	return n;
}

/* True when the input begins as a stream of a compression custody writes. */
static bool
reader_compressed(const struct reader_input *in, size_t first_len)
{
	static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char gzip[] = { 0x1f, 0x8b };
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

	return (first_len >= sizeof zstd && memcmp(in->buffer, zstd, sizeof zstd) == 0) ||
	    (first_len >= sizeof gzip && memcmp(in->buffer, gzip, sizeof gzip) == 0) ||
	    (first_len >= sizeof xz && memcmp(in->buffer, xz, sizeof xz) == 0);
}

/* Open the input: a file (never through a final symlink) or stdin. */
static int
reader_open_input(const char *path, struct reader_input *in)
{
	struct stat st;

	memset(in, 0, sizeof *in);
	in->fd = -1;
	if ((in->hash = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(in->hash, EVP_sha256(), NULL) != 1)
		return error_set("cannot allocate the reader");
	if (strcmp(path, "-") == 0)
		in->fd = STDIN_FILENO;
	else if ((in->fd = util_open_file(AT_FDCWD, path, &st)) < 0)
		return -1;
	/* Whole blocks for streams and large files; no more than a small one needs. */
	in->buffer_size = READER_BLOCK;
	if (in->fd != STDIN_FILENO && S_ISREG(st.st_mode) && st.st_size < READER_BLOCK)
		in->buffer_size = (size_t)st.st_size < 65536 ? 65536 : (size_t)st.st_size;
	if ((in->buffer = malloc(in->buffer_size)) == NULL)
		return error_set("cannot allocate the reader");
	posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* Release the input. */
static void
reader_close_input(struct reader_input *in)
{
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	free(in->buffer);
	EVP_MD_CTX_free(in->hash);
}

/*
 * Open the input as one decompressed stream: only the compressions
 * custody writes, and libarchive's raw format, so no tar parser but ours
 * sees the members.
 */
static struct archive *
reader_open(const char *path, struct reader_input *in)
{
	struct archive *a;

	if (reader_open_input(path, in) != 0)
		return NULL;
	if ((a = archive_read_new()) == NULL) {
		error_set("cannot allocate the archive reader");
		return NULL;
	}
	if (archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK) {
		error_set("%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	if (archive_read_open(a, in, NULL, reader_read_callback, NULL) != ARCHIVE_OK) {
		error_set("%s: %s", path, in->bytes == 0 ? "empty input" :
		    archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* ---- The walk: the decompressed tar stream, held to custody's format. */

enum walk_state {
	WALK_HEADER,	/* collecting a header block */
	WALK_RECORD,	/* collecting a pax or GNU long-name record's data */
	WALK_DATA,	/* a member's data, to the visitor */
	WALK_SKIP,	/* data of a member that is not one */
	WALK_PAD,	/* padding to the next block */
	WALK_END,	/* after the first zero block: only zeros may follow */
	WALK_AFTER	/* something followed the end: read on for the digest */
};

/* Zero blocks allowed at the end: GNU tar pads to records of up to 1 MiB. */
#define WALK_END_BLOCKS_MAX	2048
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
	uLong		 crc32;		/* of the decompressed stream, for gzip */
	uint64_t	 members;
	bool		 recognized;	/* a tar header was seen */
	unsigned	 zero_blocks;
};

/* Report a problem with a member (or "(archive)") to the visitor. */
static int
walk_problem(struct walk *w, const char *member, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int
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
static int
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
static int
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
static void
walk_init(struct walk *w, const struct reader_visitor *v, void *arg)
{
	memset(w, 0, sizeof *w);
	w->v = v;
	w->arg = arg;
	w->state = WALK_HEADER;
}

/* Release a walk. */
static void
walk_free(struct walk *w)
{
	walk_forget_extensions(w);
	free(w->record);
}

/* ---- The pass. */

/* One compression layer at most, of the kinds custody writes. */
static int
reader_layers(struct archive *a, struct walk *w)
{
	int count = archive_filter_count(a);

	if (count <= 2)
		return 0;
	return walk_problem(w, NULL, 0, "compressed %d times (%s over %s): custody "
	    "writes one layer", count - 1, archive_filter_name(a, 0),
	    archive_filter_name(a, 1));
}

/*
 * The compressed file itself, as other tools see it: GNU tar reads a file
 * whose first block passes as a tar header as plain tar, whatever it is
 * compressed as; and custody's compressors write no skippable frame first
 * and no optional gzip header fields, the places such a block would hide.
 */
static int
reader_framing(struct archive *a, const struct reader_input *in, struct walk *w)
{
	int code = archive_filter_code(a, 0), rc = 0;

	if (archive_filter_count(a) < 2)
		return 0;
	if (in->head_len == USTAR_BLOCK && ustar_looks_like_header(in->head))
		rc = walk_problem(w, NULL, 0, "the file's first 512 bytes pass as a "
		    "tar header: GNU tar would read it as an uncompressed archive, "
		    "not the %s stream verified", archive_filter_name(a, 0));
	if (rc == 0 && code == ARCHIVE_FILTER_ZSTD && (in->head_len < 4 ||
	    memcmp(in->head, "\x28\xb5\x2f\xfd", 4) != 0))
		rc = walk_problem(w, NULL, 0, "the zstd stream begins with a "
		    "skippable frame, which custody never writes");
	if (rc == 0 && code == ARCHIVE_FILTER_GZIP && in->head_len >= 4 &&
	    in->head[3] != 0)
		rc = walk_problem(w, NULL, 0, "the gzip header has optional fields "
		    "(flags 0x%02x), which custody never writes", in->head[3]);
	return rc;
}

/* Every decompressed block through the walk, in order and without gaps. */
static int
reader_stream(struct archive *a, struct walk *w)
{
	const void *block;
	size_t len;
	la_int64_t offset;
	bool gzip = archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP;
	int rc;

	w->crc32 = crc32(0L, Z_NULL, 0);
	for (;;) {
		rc = archive_read_data_block(a, &block, &len, &offset);
		if (rc == ARCHIVE_EOF)
			return walk_finish(w);
		if (rc != ARCHIVE_OK)
			return error_set("%s", archive_error_string(a));
		if (offset < 0 || (uint64_t)offset != w->offset)
			return error_set("decompressed data out of order at byte %llu",
			    (unsigned long long)w->offset);
		if (gzip && len > 0)
			w->crc32 = crc32(w->crc32, block, (uInt)len);
		if (len > 0 && (rc = walk_feed(w, block, len)) != 0)
			return rc;
	}
}

/*
 * What the decompressor left unread: bytes after the last compressed
 * frame are not evidence, and other tools refuse or ignore them.
 */
static int
reader_tail(struct archive *a, const struct reader_input *in, struct walk *w)
{
	la_int64_t consumed = archive_filter_bytes(a, -1);

	if (archive_filter_count(a) < 2)
		return 0;
	if (consumed < 0 || (uint64_t)consumed != in->bytes)
		return walk_problem(w, NULL, 0, "bytes after the end of the "
		    "compressed data (%llu of %llu read)",
		    (unsigned long long)consumed, (unsigned long long)in->bytes);
	return 0;
}

/* Digest the rest of the input, so the digest covers the whole file. */
static void
reader_drain(struct reader_input *in)
{
	while (reader_read_block(in) > 0)
		;
}

/* The input could not even be opened as a stream: unreadable, or damaged. */
static int
reader_open_failed(struct reader_input *in, unsigned char sha256[32],
    uint64_t *bytes)
{
	int rc = -1;

	/* The first block read is still in the buffer. */
	if (in->fd >= 0 && in->hash != NULL && in->buffer != NULL &&
	    reader_compressed(in, in->bytes < in->buffer_size ? (size_t)in->bytes :
	    in->buffer_size))
		rc = READER_DAMAGED;
	if (in->fd >= 0 && in->hash != NULL && in->buffer != NULL) {
		reader_drain(in);
		EVP_DigestFinal_ex(in->hash, sha256, NULL);
	}
	*bytes = in->bytes;
	reader_close_input(in);
	return rc;
}

/*
 * A gzip stream ends with the CRC-32 and the size of what it holds, which
 * libarchive does not check and gzip -t and GNU tar do: custody writes
 * one member, so they are the file's last 8 bytes.
 */
static int
reader_gzip_trailer(struct archive *a, const struct reader_input *in,
    struct walk *w)
{
	const unsigned char *t = in->tail;
	uint32_t crc, size;

	if (archive_filter_count(a) < 2 || archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP)
		return 0;
	if (in->tail_len < sizeof in->tail)
		return walk_problem(w, NULL, 0, "the gzip stream has no trailer");
	crc = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
	size = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	if (crc != (uint32_t)w->crc32 || size != (uint32_t)w->offset)
		return walk_problem(w, NULL, 0, "the gzip trailer's CRC-32 or size "
		    "does not match the data (gzip -t and GNU tar refuse it)");
	return 0;
}

/* Read the archive once, calling the visitor in this thread. */
int
reader_loop(const char *path, const struct reader_visitor *v, void *arg,
    unsigned char sha256[32], uint64_t *bytes)
{
	struct reader_input in;
	struct archive *a = reader_open(path, &in);
	struct archive_entry *entry;
	struct walk w;
	int rc, next;

	if (a == NULL)
		return reader_open_failed(&in, sha256, bytes);
	walk_init(&w, v, arg);
	/* A stream in a compression custody writes is an archive, if a damaged one. */
	w.recognized = archive_filter_count(a) >= 2;
	rc = reader_layers(a, &w);
	if (rc == 0)
		rc = reader_framing(a, &in, &w);
	if (rc == 0 && (next = archive_read_next_header(a, &entry)) != ARCHIVE_OK)
		rc = next == ARCHIVE_EOF ? error_set("empty input") :
		    error_set("%s", archive_error_string(a));
	if (rc == 0)
		rc = reader_stream(a, &w);
	if (rc >= 0)
		reader_drain(&in);
	if (rc == 0)
		rc = reader_tail(a, &in, &w);
	if (rc == 0)
		rc = reader_gzip_trailer(a, &in, &w);
	else if (rc == WALK_STOP)
		rc = 0;
	if (rc == -1)
		error_prefix("%s", path);
	archive_read_free(a);
	EVP_DigestFinal_ex(in.hash, sha256, NULL);
	*bytes = in.bytes;
	reader_close_input(&in);
	walk_free(&w);
	/* Past the first header it is an archive, but a damaged one. */
	return rc == -1 && (w.members > 0 || w.recognized) ? READER_DAMAGED : rc;
}
