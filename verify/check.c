/* What one pass learns about an archive, and its verdict. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/lines.h"
#include "custody/manifest.h"
#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/seal.h"
#include "custody/sums.h"
#include "custody/util.h"
#include "reader.h"

#define SIG_MAX		1024
#define CHECK_PROBLEMS_MAX	10000	/* problems kept; the rest counted */
#define SUMS_LINE_MAX	(64 * 1024)

/* Everything known about one path: as a member, in the manifest, in SHA256SUMS. */
struct check_item {
	uint32_t	 member_count;
	uint32_t	 manifest_count;
	uint32_t	 sums_count;
	int64_t		 member_size;
	int64_t		 manifest_size;
	unsigned char	 member_sha256[32];
	unsigned char	 manifest_sha256[32];
	unsigned char	 sums_sha256[32];
	struct check_digests *digests;	/* --all-hashes only */
	struct timespec	 member_mtime;	/* as tar -x would set it */
	bool		 member_mtime_exact;
	struct timespec	 manifest_mtime;
	bool		 manifest_has_mtime;
	uint64_t	 leaf;		/* its first entry's leaf index + 1; 0: none */
	char		*mime;		/* --types: what its content is */
};

/* The other digests, when every algorithm is checked. */
struct check_digests {
	unsigned	 manifest_mask;
	char		 manifest[HASH_COUNT][HASH_HEX_SIZE];
	char		 member[HASH_COUNT][HASH_HEX_SIZE];
};

enum check_mode {
	MODE_SKIP,
	MODE_CONTENT,
	MODE_MANIFEST,
	MODE_SUMS,
	MODE_LOG,
	MODE_SEAL,
	MODE_SIG,
	MODE_PART	/* a part of a text: its text's mode once named */
};

/* The pass's private state. */
struct check_state {
	enum check_mode		 mode;
	struct check_item	*item;
	char			*path;
	size_t			 path_len;
	struct hash_set		 hashes;
	int64_t			 bytes;
	struct lines		 lines;
	unsigned char		*first;		/* the first block, for --types */
	size_t			 first_len;
	struct filetype		*filetype;
	struct filetype_spool	 spool;		/* an ELF shared object, for its type */
	/* The manifest as read. */
	bool			 header_seen;
	bool			 trailer_seen;
	bool			 after_trailer;
	uint64_t		 trailer_entries;
	json_t			*header;	/* the manifest's header line */
	json_t			*trailer;	/* and its trailer line */
	size_t			 line_base;	/* manifest lines in the members before */
	size_t			 line_last;	/* the last line number of this member */
	EVP_MD_CTX		*manifest_md;	/* over the parts and manifest.jsonl */
	/* The texts' parts as read. */
	bool			 part;		/* the member is a part */
	uint64_t		 parts[SEAL_TEXTS];
	bool			 final_seen[SEAL_TEXTS];
	/* custody/ members as read. */
	unsigned char		 manifest_sha256[32];
	unsigned char		 log_sha256[32];
	unsigned char		 sums_sha256[32];
	char			*buffer;
	size_t			 buffer_len;
	size_t			 buffer_max;
	uint64_t		 leaf_capacity;
};

/* Record one problem. */
void
check_problem(struct check *c, const char *member, size_t len,
    const char *fmt, ...)
{
	char text[1024], *escaped = member != NULL ? util_escape(member, len) : NULL;
	va_list ap;

	/* Past the cap a hostile archive cannot make memory grow: they are counted. */
	if (json_array_size(c->problems) >= CHECK_PROBLEMS_MAX) {
		c->problems_unlisted++;
		free(escaped);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	/* A problem that cannot be recorded must not vanish: the pass fails. */
	if (escaped == NULL || json_array_append_new(c->problems, json_pack(
	    "{s:s, s:s}", "member", escaped, "problem", text)) != 0)
		c->failed = true;
	free(escaped);
}

/* The item for a path, created when new. */
static struct check_item *
check_item(struct check *c, const char *path, size_t len)
{
	return pathmap_get(c->items, path, len, 1, NULL);
}

/* Decide what to do with a member from its name. */
static enum check_mode
check_mode_of(const char *path)
{
	enum seal_text text;
	uint64_t number;

	if (seal_part_parse(path, strlen(path), &text, &number))
		return MODE_PART;
	if (strcmp(path, MANIFEST_PATH) == 0)
		return MODE_MANIFEST;
	if (strcmp(path, SUMS_PATH) == 0)
		return MODE_SUMS;
	if (strcmp(path, LOG_PATH) == 0)
		return MODE_LOG;
	if (strcmp(path, SEAL_PATH) == 0)
		return MODE_SEAL;
	if (strcmp(path, SEAL_SIG_PATH) == 0)
		return MODE_SIG;
	return MODE_CONTENT;
}

/* The mode of a text's members. */
static enum check_mode
check_text_mode(enum seal_text text)
{
	return text == SEAL_TEXT_MANIFEST ? MODE_MANIFEST :
	    text == SEAL_TEXT_SUMS ? MODE_SUMS : MODE_LOG;
}

/*
 * A part must come in its turn: numbered from 1 without gaps or repeats,
 * before its text's final member. Returns the text's mode (a misnamed
 * part's is the log's: digested only).
 */
static enum check_mode
check_part_begin(struct check *c, struct check_state *s)
{
	enum seal_text text;
	uint64_t number;

	seal_part_parse(s->path, s->path_len, &text, &number);
	s->part = true;
	if (number == 0) {
		check_problem(c, s->path, s->path_len, "not the name of a part "
		    "(%s then six digits%s)", text == SEAL_TEXT_MANIFEST ?
		    "custody/manifest.d/" : text == SEAL_TEXT_SUMS ?
		    "custody/SHA256SUMS.d/" : "custody/collection.log.d/",
		    text == SEAL_TEXT_MANIFEST ? " and .jsonl" : "");
		return MODE_LOG;
	}
	if (s->final_seen[text])
		check_problem(c, s->path, s->path_len, "part after %s",
		    seal_text_path(text));
	else if (number != s->parts[text] + 1)
		check_problem(c, s->path, s->path_len, "part %llu out of order: "
		    "part %llu was due", (unsigned long long)number,
		    (unsigned long long)(s->parts[text] + 1));
	s->parts[text]++;
	return check_text_mode(text);
}

/* Note a text's final member, after which no part may come. */
static void
check_final_begin(struct check_state *s)
{
	if (s->mode == MODE_MANIFEST)
		s->final_seen[SEAL_TEXT_MANIFEST] = true;
	else if (s->mode == MODE_SUMS)
		s->final_seen[SEAL_TEXT_SUMS] = true;
	else if (s->mode == MODE_LOG)
		s->final_seen[SEAL_TEXT_LOG] = true;
}

/* Visitor: a member starts (the walk hands over regular files only). */
static int
check_begin(void *arg, const struct reader_member *m)
{
	struct check *c = arg;
	struct check_state *s = c->state;

	s->mode = MODE_SKIP;
	free(s->path);
	if ((s->path = malloc(m->path_len + 1)) == NULL)
		return error_set_errno("malloc");
	memcpy(s->path, m->path, m->path_len + 1);
	s->path_len = m->path_len;
	if ((s->item = check_item(c, m->path, m->path_len)) == NULL)
		return -1;
	s->item->member_mtime.tv_sec = (time_t)m->mtime_sec;
	s->item->member_mtime.tv_nsec = m->mtime_nsec;
	s->item->member_mtime_exact = m->mtime_exact;
	s->mode = check_mode_of(m->path);
	s->part = false;
	if (s->mode == MODE_PART)
		s->mode = check_part_begin(c, s);
	else
		check_final_begin(s);
	s->line_last = 0;
	s->bytes = 0;
	s->first_len = 0;
	filetype_spool_reset(&s->spool);
	s->buffer_len = 0;
	s->buffer_max = s->mode == MODE_SEAL ? SEAL_MAX_SIZE : SIG_MAX;
	lines_init(&s->lines, s->mode == MODE_SUMS ? SUMS_LINE_MAX : MANIFEST_LINE_MAX);
	return hash_set_reset(&s->hashes);
}

/* Visitor: the walk found something custody does not write. */
static int
check_stream_problem(void *arg, const char *member, size_t len, const char *text)
{
	check_problem(arg, member, len, "%s", text);
	return 0;
}

/* Keep a leaf hash for proofs. */
static int
check_keep_leaf(struct check *c, const merkle_hash leaf)
{
	struct check_state *s = c->state;
	merkle_hash *grown;

	if (c->leaf_count == s->leaf_capacity) {
		s->leaf_capacity = s->leaf_capacity != 0 ? s->leaf_capacity * 2 : 1024;
		grown = realloc(c->leaves, s->leaf_capacity * sizeof *grown);
		if (grown == NULL)
			return error_set_errno("realloc");
		c->leaves = grown;
	}
	memcpy(c->leaves[c->leaf_count], leaf, sizeof(merkle_hash));
	return 0;
}

/* True when want names this entry by archive path or by source path. */
static bool
check_is_wanted(const struct check *c, const struct manifest_record *r)
{
	const char *source = json_string_value(json_object_get(r->json, "source"));
	size_t len = strlen(c->want);

	if (r->path != NULL && r->path_len == len && memcmp(r->path, c->want, len) == 0)
		return true;
	return source != NULL && strcmp(source, c->want) == 0;
}

/* Remember what an entry with a member promises. */
static void
check_entry_content(struct check *c, const struct manifest_record *r)
{
	struct check_item *item = check_item(c, r->path, r->path_len);
	const json_t *mtime;
	int alg;

	if (item == NULL)
		return;
	item->manifest_count++;
	item->manifest_size = r->size;
	if (item->leaf == 0)
		item->leaf = c->leaf_count;
	mtime = json_object_get(r->json, "mtime");
	item->manifest_has_mtime = json_is_string(mtime) &&
	    util_time_parse(json_string_value(mtime), json_string_length(mtime),
	    &item->manifest_mtime) == 0;
	util_unhex(r->hashes[HASH_SHA256], item->manifest_sha256, 32);
	if (!c->all_hashes)
		return;
	if (item->digests == NULL && (item->digests = calloc(1, sizeof *item->digests)) == NULL)
		return;
	item->digests->manifest_mask = r->hash_mask;
	for (alg = 0; alg < HASH_COUNT; alg++)
		memcpy(item->digests->manifest[alg], r->hashes[alg], HASH_HEX_SIZE);
}

/* An entry line is a leaf of the Merkle tree, whatever else is wrong with it. */
static int
check_leaf(struct check *c, const char *line, size_t len)
{
	merkle_hash leaf;

	merkle_leaf_hash(line, len, leaf);
	merkle_builder_add(&c->tree, leaf);
	if (c->keep_leaves && check_keep_leaf(c, leaf) != 0)
		return -1;
	return 0;
}

/* One entry line: its leaf, what it promises, and whether it is the one wanted. */
static int
check_entry(struct check *c, char *line, size_t len, struct manifest_record *r)
{
	if (check_leaf(c, line, len) != 0)
		return -1;
	if (c->want != NULL && !c->wanted_found && check_is_wanted(c, r)) {
		if ((c->wanted_line = strndup(line, len)) == NULL)
			return error_set_errno("strndup");
		c->wanted_len = len;
		c->wanted_index = c->leaf_count;
		c->wanted_found = true;
		c->wanted_has_content = r->has_content;
	}
	c->leaf_count++;
	if (r->has_content)
		check_entry_content(c, r);
	return 0;
}

/* Check where a header or trailer line stands (at: its line in the whole manifest). */
static void
check_frame_line(struct check *c, struct check_state *s,
    const struct manifest_record *r, size_t number, size_t at)
{
	const char *format;
	const json_t *version;

	if (r->type == MANIFEST_HEADER) {
		format = json_string_value(json_object_get(r->json, "format"));
		version = json_object_get(r->json, "version");
		if (format == NULL || strcmp(format, "custody-manifest") != 0 ||
		    !json_is_integer(version) ||
		    json_integer_value(version) != MANIFEST_VERSION)
			check_problem(c, s->path, s->path_len,
			    "line %zu: not a version %d custody manifest", number,
			    MANIFEST_VERSION);
		if (at != 1)
			check_problem(c, s->path, s->path_len,
			    "line %zu: header line not at the start", number);
		if (!s->header_seen)
			s->header = json_incref(r->json);
		s->header_seen = true;
		return;
	}
	if (s->trailer_seen)
		check_problem(c, s->path, s->path_len,
		    "line %zu: second trailer line", number);
	if (!s->trailer_seen)
		s->trailer = json_incref(r->json);
	s->trailer_seen = true;
	s->trailer_entries = r->entries;
}

/* Lines callback for the manifest. */
static int
check_manifest_line(char *line, size_t len, size_t number, void *arg)
{
	struct check *c = arg;
	struct check_state *s = c->state;
	struct manifest_record r;
	size_t at = s->line_base + number;
	int rc = 0;

	s->line_last = number;
	if (line == NULL) {
		check_problem(c, s->path, s->path_len,
		    "line %zu: longer than %d bytes", number, MANIFEST_LINE_MAX);
		return 0;
	}
	if (s->trailer_seen && !s->after_trailer) {
		check_problem(c, s->path, s->path_len,
		    "line %zu: lines after the trailer", number);
		s->after_trailer = true;
	}
	if (manifest_parse_line(line, len, &r) != 0) {
		check_problem(c, s->path, s->path_len,
		    "line %zu: %s", number, error_message());
		/* Still a leaf: the counts and the root then agree with the seal. */
		if (r.type == MANIFEST_ENTRY && (rc = check_leaf(c, line, len)) == 0)
			c->leaf_count++;
	} else if (r.type == MANIFEST_ENTRY) {
		if (at == 1)
			check_problem(c, s->path, s->path_len,
			    "line 1: no header line");
		rc = check_entry(c, line, len, &r);
	} else
		check_frame_line(c, s, &r, number, at);
	manifest_record_free(&r);
	return rc;
}

/* Lines callback for SHA256SUMS. */
static int
check_sums_line(char *line, size_t len, size_t number, void *arg)
{
	struct check *c = arg;
	const struct check_state *s = c->state;
	struct check_item *item;
	char *hex, *path;
	size_t path_len;

	/* The member read: SHA256SUMS or one of its parts. */
	if (line == NULL || sums_parse_line(line, len, &hex, &path, &path_len) != 0) {
		check_problem(c, s->path, s->path_len, "line %zu: %s",
		    number, line == NULL ? "too long" : error_message());
		return 0;
	}
	if ((item = check_item(c, path, path_len)) == NULL)
		return -1;
	item->sums_count++;
	util_unhex(hex, item->sums_sha256, 32);
	return 0;
}

/* Keep a small member (seal, signature) in memory, refusing oversized ones. */
static int
check_buffer(struct check *c, struct check_state *s, const void *data, size_t len)
{
	char *grown;

	if (s->buffer_len + len > s->buffer_max) {
		s->buffer_len = s->buffer_max + 1;
		return 0;
	}
	if ((grown = realloc(s->buffer, s->buffer_len + len + 1)) == NULL)
		return error_set_errno("realloc");
	s->buffer = grown;
	memcpy(s->buffer + s->buffer_len, data, len);
	s->buffer_len += len;
	(void)c;
	return 0;
}

/* Keep the first block of a member for typing. */
static void
check_keep_first(struct check_state *s, const void *data, size_t len)
{
	size_t room = FILETYPE_BLOCK - s->first_len;

	if (room == 0)
		return;
	if (len > room)
		len = room;
	memcpy(s->first + s->first_len, data, len);
	s->first_len += len;
}

/* Visitor: member data. */
static int
check_data(void *arg, const void *data, size_t len)
{
	struct check *c = arg;
	struct check_state *s = c->state;

	if (s->mode == MODE_SKIP)
		return 0;
	s->bytes += (int64_t)len;
	if (hash_set_update(&s->hashes, data, len) != 0)
		return -1;
	switch (s->mode) {
	case MODE_MANIFEST:
		if (EVP_DigestUpdate(s->manifest_md, data, len) != 1)
			return error_set("cannot digest the manifest");
		return lines_feed(&s->lines, data, len, check_manifest_line, c);
	case MODE_SUMS:
		return lines_feed(&s->lines, data, len, check_sums_line, c);
	case MODE_SEAL:
	case MODE_SIG:
		return check_buffer(c, s, data, len);
	case MODE_CONTENT:
		if (c->types) {
			check_keep_first(s, data, len);
			filetype_spool_feed(&s->spool, data, len);
		}
		return 0;
	default:
		return 0;
	}
}

/* Finish the text members: a last line without newline is still a line. */
static int
check_end_text(struct check *c, struct check_state *s)
{
	int unterminated = 0, rc = 0;

	if (s->mode == MODE_MANIFEST)
		rc = lines_finish(&s->lines, check_manifest_line, c, &unterminated);
	else if (s->mode == MODE_SUMS)
		rc = lines_finish(&s->lines, check_sums_line, c, &unterminated);
	/* A part's last line too: a line is never split between parts. */
	if (unterminated)
		check_problem(c, s->path, s->path_len, "last line has no newline");
	lines_free(&s->lines);
	if (s->mode == MODE_MANIFEST)
		s->line_base += s->line_last;
	return rc;
}

/* Take the seal or signature buffer into c. */
static void
check_end_buffer(struct check *c, struct check_state *s)
{
	if (s->buffer_len > s->buffer_max) {
		check_problem(c, s->path, s->path_len, "larger than %zu bytes",
		    s->buffer_max);
		return;
	}
	if (s->item->member_count > 1)
		return;
	if (s->buffer == NULL && (s->buffer = malloc(1)) == NULL)
		return;
	s->buffer[s->buffer_len] = '\0';
	if (s->mode == MODE_SEAL) {
		c->seal_text = s->buffer;
		c->seal_len = s->buffer_len;
	} else {
		c->seal_sig = (unsigned char *)s->buffer;
		c->seal_sig_len = s->buffer_len;
	}
	s->buffer = NULL;
	s->buffer_len = 0;
}

/* Keep the type of a member with its item, listed in manifest order at the end. 0 or -1. */
static int
check_keep_type(struct check_state *s)
{
	const char *mime = filetype_spool_refine(s->filetype, &s->spool,
	    filetype_buffer(s->filetype, s->first, s->first_len));

	free(s->item->mime);
	s->item->mime = strdup(mime);
	return s->item->mime != NULL ? 0 : -1;
}

/* Record what a content member turned out to be. */
static void
check_end_content(struct check *c, struct check_state *s)
{
	struct check_item *item = s->item;
	int alg;

	c->members++;
	c->content_bytes += (uint64_t)s->bytes;
	if (c->types && check_keep_type(s) != 0)
		c->failed = true;
	if (!c->all_hashes)
		return;
	if (item->digests == NULL && (item->digests = calloc(1, sizeof *item->digests)) == NULL)
		return;
	for (alg = 0; alg < HASH_COUNT; alg++)
		hash_set_hex(&s->hashes, alg, item->digests->member[alg]);
}

/* Visitor: a member ends. */
static int
check_end(void *arg)
{
	struct check *c = arg;
	struct check_state *s = c->state;

	if (s->mode == MODE_SKIP)
		return 0;
	if (hash_set_final(&s->hashes) != 0)
		return -1;
	s->item->member_count++;
	s->item->member_size = s->bytes;
	memcpy(s->item->member_sha256, s->hashes.digest[HASH_SHA256], 32);
	/* The seal's manifest digest is over the parts and manifest.jsonl. */
	if (s->mode == MODE_MANIFEST && !s->part &&
	    (EVP_DigestFinal_ex(s->manifest_md, s->manifest_sha256, NULL) != 1 ||
	    EVP_DigestInit_ex(s->manifest_md, EVP_sha256(), NULL) != 1))
		return error_set("cannot digest the manifest");
	if (s->part)
		;	/* a part's digest is checked against SHA256SUMS only */
	else if (s->mode == MODE_LOG)
		memcpy(s->log_sha256, s->item->member_sha256, 32);
	else if (s->mode == MODE_SUMS)
		memcpy(s->sums_sha256, s->item->member_sha256, 32);
	if (s->mode == MODE_MANIFEST || s->mode == MODE_SUMS)
		return check_end_text(c, s);
	if (s->mode == MODE_SEAL || s->mode == MODE_SIG)
		check_end_buffer(c, s);
	else if (s->mode == MODE_CONTENT)
		check_end_content(c, s);
	return 0;
}

/* The problems of a path that is neither custody's own nor in the manifest. */
static void
check_item_content(struct check *c, const char *path, size_t len,
    struct check_item *item)
{
	if (item->manifest_count > 1)
		check_problem(c, path, len, "listed %u times in the manifest",
		    item->manifest_count);
	/* Extractors disagree on which of two same-named members wins. */
	if (item->member_count > 1)
		check_problem(c, path, len, "%u members with this name",
		    item->member_count);
	if (item->member_count == 0 && item->manifest_count > 0)
		check_problem(c, path, len, "missing: in the manifest but not in the archive");
	if (item->member_count > 0 && item->manifest_count == 0)
		check_problem(c, path, len, "extra member: not in the manifest");
	if (item->member_count > 0 && item->manifest_count > 0) {
		if (item->member_size != item->manifest_size)
			check_problem(c, path, len, "size %lld, manifest says %lld",
			    (long long)item->member_size, (long long)item->manifest_size);
		else if (memcmp(item->member_sha256, item->manifest_sha256, 32) != 0)
			check_problem(c, path, len, "content does not match the manifest (sha256)");
	}
	if (item->sums_count > 1)
		check_problem(c, path, len, "listed %u times in SHA256SUMS "
		    "(sha256sum -c checks each)", item->sums_count);
	if (item->manifest_count > 0 && item->sums_count == 0)
		check_problem(c, path, len, "not listed in SHA256SUMS");
	if (item->manifest_count == 0 && item->sums_count > 0)
		check_problem(c, path, len, "listed in SHA256SUMS but not in the manifest");
	if (item->manifest_count > 0 && item->sums_count > 0 &&
	    memcmp(item->sums_sha256, item->manifest_sha256, 32) != 0)
		check_problem(c, path, len, "SHA256SUMS disagrees with the manifest");
}

/*
 * A files/ member carries the host file's modification time, which tar -x
 * sets: to the nanosecond in a pax record, else in whole seconds.
 */
static void
check_item_mtime(struct check *c, const char *path, size_t len,
    const struct check_item *item)
{
	const struct timespec *want = &item->manifest_mtime, *got = &item->member_mtime;
	char a[UTIL_TIME_SIZE], b[UTIL_TIME_SIZE];

	if (len < 6 || memcmp(path, "files/", 6) != 0 || !item->manifest_has_mtime ||
	    item->member_count != 1 || item->manifest_count != 1)
		return;
	/* Before 1970 custody writes whole seconds: readers differ on negative fractions. */
	if (got->tv_sec == want->tv_sec && (!item->member_mtime_exact ||
	    got->tv_nsec == (want->tv_sec < 0 ? 0 : want->tv_nsec)))
		return;
	util_time_format(got, a);
	util_time_format(want, b);
	check_problem(c, path, len, "modification time in the header is %s, the "
	    "manifest says %s: tar -x would set the header's", a, b);
}

/* With --all-hashes: every other digest the manifest records. */
static void
check_item_digests(struct check *c, const char *path, size_t len,
    const struct check_item *item)
{
	const struct check_digests *d = item->digests;
	int alg;

	if (d == NULL || item->member_count == 0 || item->manifest_count == 0)
		return;
	for (alg = 1; alg < HASH_COUNT; alg++)
		if ((d->manifest_mask & HASH_MASK(alg)) &&
		    strcmp(d->manifest[alg], d->member[alg]) != 0)
			check_problem(c, path, len, "content does not match the "
			    "manifest (%s)", hash_name(alg));
}

/* The problems of one of custody's own members. */
static void
check_item_custody(struct check *c, const char *path, size_t len,
    const struct check_item *item)
{
	/* Everything but SHA256SUMS itself and the seal is listed in SHA256SUMS. */
	bool summed = strcmp(path, SUMS_PATH) != 0 && strcmp(path, SEAL_PATH) != 0 &&
	    strcmp(path, SEAL_SIG_PATH) != 0;

	if (item->member_count == 0)
		check_problem(c, path, len, "missing from the archive");
	if (item->member_count > 1)
		check_problem(c, path, len, "%u members with this name", item->member_count);
	if (summed && item->sums_count > 1)
		check_problem(c, path, len, "listed %u times in SHA256SUMS "
		    "(sha256sum -c checks each)", item->sums_count);
	if (summed && item->sums_count == 0 && item->member_count > 0)
		check_problem(c, path, len, "not listed in SHA256SUMS");
	if (summed && item->sums_count > 0 &&
	    memcmp(item->sums_sha256, item->member_sha256, 32) != 0)
		check_problem(c, path, len, "does not match SHA256SUMS");
	if (!summed && item->sums_count > 0)
		check_problem(c, path, len, "listed in SHA256SUMS, which cannot cover it");
}

/* pathmap_each callback: judge one path. */
static int
check_judge(const char *path, size_t len, void *value, void *arg)
{
	struct check *c = arg;
	struct check_item *item = value;

	if (check_mode_of(path) != MODE_CONTENT) {
		check_item_custody(c, path, len, item);
		return 0;
	}
	if (item->member_count > 1)
		check_problem(c, path, len, "%u members with this name",
		    item->member_count);
	check_item_content(c, path, len, item);
	check_item_mtime(c, path, len, item);
	if (c->all_hashes)
		check_item_digests(c, path, len, item);
	return 0;
}

/* Make sure custody's own members are judged even when absent. */
static int
check_require_custody(struct check *c)
{
	static const char *const paths[] = {
		MANIFEST_PATH, SUMS_PATH, LOG_PATH, SEAL_PATH, SEAL_SIG_PATH
	};
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (check_item(c, paths[i], strlen(paths[i])) == NULL)
			return -1;
	return 0;
}

/* Structural checks of the manifest as a whole. */
static void
check_manifest_frame(struct check *c, const struct check_state *s)
{
	const struct check_item *m = pathmap_get(c->items, MANIFEST_PATH,
	    strlen(MANIFEST_PATH), 0, NULL);

	if (m == NULL || m->member_count == 0)
		return;
	if (!s->header_seen)
		check_problem(c, MANIFEST_PATH, strlen(MANIFEST_PATH), "no header line");
	if (!s->trailer_seen)
		check_problem(c, MANIFEST_PATH, strlen(MANIFEST_PATH),
		    "no trailer line (truncated?)");
	else if (s->trailer_entries != c->leaf_count)
		check_problem(c, MANIFEST_PATH, strlen(MANIFEST_PATH),
		    "trailer counts %llu entries, manifest has %llu",
		    (unsigned long long)s->trailer_entries,
		    (unsigned long long)c->leaf_count);
}

/* Order problems by member name, so output is the same on every run. */
static int
check_compare_problems(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int rc = strcmp(json_string_value(json_object_get(x, "member")),
	    json_string_value(json_object_get(y, "member")));

	return rc != 0 ? rc : strcmp(json_string_value(json_object_get(x, "problem")),
	    json_string_value(json_object_get(y, "problem")));
}

/* Sort the problem list in place. */
static void
check_sort_problems(struct check *c)
{
	size_t i, n = json_array_size(c->problems);
	json_t **list = calloc(n + 1, sizeof *list);

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		list[i] = json_incref(json_array_get(c->problems, i));
	qsort(list, n, sizeof *list, check_compare_problems);
	json_array_clear(c->problems);
	for (i = 0; i < n; i++)
		if (json_array_append_new(c->problems, list[i]) != 0)
			c->failed = true;
	free(list);
}

/* Set up the pass's state. */
static int
check_setup(struct check *c)
{
	struct check_state *s = calloc(1, sizeof *s);

	if (s == NULL)
		return error_set_errno("calloc");
	c->state = s;
	merkle_builder_init(&c->tree);
	if ((c->problems = json_array()) == NULL ||
	    (c->types_found = json_array()) == NULL)
		return error_set("out of memory");
	if ((s->manifest_md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->manifest_md, EVP_sha256(), NULL) != 1)
		return error_set("cannot digest the manifest");
	if ((c->items = pathmap_new(sizeof(struct check_item))) == NULL ||
	    hash_set_init(&s->hashes, c->all_hashes ? HASH_MASK_ALL :
	    HASH_MASK(HASH_SHA256)) != 0)
		return -1;
	c->list_members = c->list_members || c->types;
	if (c->types && ((s->first = malloc(FILETYPE_BLOCK)) == NULL ||
	    (s->filetype = filetype_new()) == NULL))
		return -1;
	return 0;
}

/* A member with content, for the list in manifest order. */
struct check_listed {
	uint64_t		 leaf;
	const char		*path;
	size_t			 len;
	const char		*mime;
};

/* pathmap_each callback: note each path the manifest gives content. */
static int
check_note_listed(const char *path, size_t len, void *value, void *arg)
{
	struct check_item *item = value;
	struct check_listed **cursor = arg;

	if (item->leaf == 0)
		return 0;
	**cursor = (struct check_listed){ item->leaf, path, len, item->mime };
	(*cursor)++;
	return 0;
}

/* Order listed members by leaf index. */
static int
check_compare_listed(const void *a, const void *b)
{
	const struct check_listed *x = a, *y = b;

	return x->leaf < y->leaf ? -1 : x->leaf > y->leaf;
}

/* One listed member as {"index", "path" or "path_base64", "mime" (with --types)}. */
static int
check_append_listed(struct check *c, const struct check_listed *l)
{
	json_t *o = json_pack("{s:I}", "index", (json_int_t)(l->leaf - 1));

	if (o == NULL || manifest_set_bytes(o, "path", l->path, l->len) != 0 ||
	    (l->mime != NULL && json_object_set_new(o, "mime",
	    json_string(l->mime)) != 0) || json_array_append_new(c->types_found, o) != 0)
		return error_set("out of memory listing the members");
	return 0;
}

/* The members with content, in manifest order, into c->types_found. 0 or -1. */
static int
check_list_members(struct check *c)
{
	size_t n = pathmap_count(c->items), i;
	struct check_listed *list = calloc(n + 1, sizeof *list), *cursor = list;
	int rc = 0;

	if (list == NULL)
		return error_set_errno("calloc");
	pathmap_each(c->items, check_note_listed, &cursor);
	n = (size_t)(cursor - list);
	qsort(list, n, sizeof *list, check_compare_listed);
	for (i = 0; i < n && rc == 0; i++)
		rc = check_append_listed(c, &list[i]);
	free(list);
	return rc;
}

/* Read the archive and check everything but the seal. */
int
check_archive(const char *path, struct check *c)
{
	static const struct reader_visitor visitor = {
		check_begin, check_data, check_end, check_stream_problem
	};

	int rc;

	if (check_setup(c) != 0)
		return -1;
	rc = reader_run(path, &visitor, c, c->archive_sha256, &c->archive_bytes);
	if (rc == READER_DAMAGED)
		check_problem(c, "(archive)", 9, "damaged or truncated: %s",
		    error_message());
	else if (rc != 0)
		return -1;
	if (check_require_custody(c) != 0)
		return -1;
	pathmap_each(c->items, check_judge, c);
	check_manifest_frame(c, c->state);
	if (c->list_members && check_list_members(c) != 0)
		return -1;
	return 0;
}

/* Compare a digest committed by the seal with the member as read. */
static void
check_commitment(struct check *c, const char *path, const char *committed,
    const unsigned char actual[32])
{
	char hex[65];

	util_hex(actual, 32, hex);
	if (strcmp(committed, hex) != 0)
		check_problem(c, path, strlen(path), "does not match the seal's sha256");
}

/* The seal's count of each text's parts is the archive's. */
static void
check_seal_parts(struct check *c, const struct seal *seal)
{
	const struct check_state *s = c->state;
	int t;

	for (t = 0; t < SEAL_TEXTS; t++)
		if (seal->parts[t] != s->parts[t])
			check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "seal counts "
			    "%llu parts of %s, the archive has %llu",
			    (unsigned long long)seal->parts[t],
			    seal_text_path((enum seal_text)t),
			    (unsigned long long)s->parts[t]);
}

/* The seal's commitments: manifest, sums, log, parts, Merkle root, counts. */
static void
check_seal_commitments(struct check *c, const struct seal *seal)
{
	const struct check_state *s = c->state;
	merkle_hash root;
	char hex[65];

	check_commitment(c, MANIFEST_PATH, seal->manifest_sha256, s->manifest_sha256);
	check_commitment(c, SUMS_PATH, seal->sums_sha256, s->sums_sha256);
	check_commitment(c, LOG_PATH, seal->log_sha256, s->log_sha256);
	check_seal_parts(c, seal);
	merkle_builder_root(&c->tree, root);
	util_hex(root, sizeof root, hex);
	if (strcmp(hex, seal->merkle_root) != 0)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH),
		    "Merkle root over the manifest entries is %s, the seal says %s",
		    hex, seal->merkle_root);
	if (seal->counts.entries != c->leaf_count)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH),
		    "seal counts %llu entries, manifest has %llu",
		    (unsigned long long)seal->counts.entries,
		    (unsigned long long)c->leaf_count);
	if (seal->counts.members != c->members ||
	    seal->counts.bytes != c->content_bytes)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH),
		    "seal counts %llu members of %llu bytes, the archive has "
		    "%llu of %llu", (unsigned long long)seal->counts.members,
		    (unsigned long long)seal->counts.bytes,
		    (unsigned long long)c->members,
		    (unsigned long long)c->content_bytes);
}

/* A string of the seal must be the manifest line's, when that line has it. */
static void
check_seal_says(struct check *c, const char *what, const char *sealed,
    const json_t *line, const char *line_name)
{
	const json_t *value = line != NULL ? json_object_get(line, what) : NULL;

	if (line == NULL)
		return;
	if (!json_is_string(value) || sealed == NULL ||
	    strcmp(json_string_value(value), sealed) != 0)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "%s is not the "
		    "manifest %s's", what, line_name);
}

/* A count of the seal must be the trailer's, when the trailer has it. */
static void
check_seal_count(struct check *c, const char *what, uint64_t sealed,
    const json_t *trailer)
{
	const json_t *counts = trailer != NULL ? json_object_get(trailer, "counts") : NULL;
	const json_t *value = json_object_get(counts, what);

	if (trailer == NULL)
		return;
	if (!json_is_integer(value) || json_integer_value(value) < 0 ||
	    (uint64_t)json_integer_value(value) != sealed)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "seal counts %llu "
		    "%s, the manifest's trailer does not",
		    (unsigned long long)sealed, what);
}

/* What the seal says of the collection is what the manifest says. */
static void
check_seal_manifest(struct check *c, const struct seal *seal)
{
	const struct check_state *s = c->state;

	check_seal_says(c, "case_id", seal->case_id, s->header, "header");
	check_seal_says(c, "evidence_id", seal->evidence_id, s->header, "header");
	check_seal_says(c, "finished", seal->finished, s->trailer, "trailer");
	check_seal_count(c, "members", seal->counts.members, s->trailer);
	check_seal_count(c, "bytes", seal->counts.bytes, s->trailer);
	check_seal_count(c, "skipped", seal->counts.skipped, s->trailer);
	check_seal_count(c, "errors", seal->counts.errors, s->trailer);
	check_seal_count(c, "changed", seal->counts.changed, s->trailer);
}

/* Check the signature with the trusted key, or the one the seal carries. */
static void
check_signature(struct check *c, const struct seal *seal, const struct key *trusted)
{
	struct key *embedded = NULL;
	const struct key *key = trusted;

	if (c->seal_sig == NULL)
		return;
	if (trusted != NULL && strcmp(trusted->fingerprint, seal->fingerprint) != 0)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "sealed by key %s, "
		    "not by the key given (%s)", seal->fingerprint, trusted->fingerprint);
	if (key == NULL && (key = embedded = key_from_raw(seal->public_key)) == NULL) {
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "%s", error_message());
		return;
	}
	if (embedded != NULL && strcmp(embedded->fingerprint, seal->fingerprint) != 0)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH),
		    "public key does not match its fingerprint");
	if (key_verify(key, c->seal_text, c->seal_len, c->seal_sig, c->seal_sig_len) != 0)
		check_problem(c, SEAL_SIG_PATH, strlen(SEAL_SIG_PATH),
		    "signature does not verify%s", trusted != NULL ?
		    " with the key given" : "");
	key_free(embedded);
}

/* Check the seal: signature and commitments. */
void
check_seal(struct check *c, const struct key *trusted, json_t **seal_json)
{
	struct seal seal;

	*seal_json = NULL;
	if (c->seal_text == NULL) {
		check_sort_problems(c);
		return;
	}
	if (seal_parse(c->seal_text, c->seal_len, &seal) != 0)
		check_problem(c, SEAL_PATH, strlen(SEAL_PATH), "%s", error_message());
	else {
		check_signature(c, &seal, trusted);
		check_seal_commitments(c, &seal);
		check_seal_manifest(c, &seal);
		*seal_json = json_incref(seal.json);
	}
	seal_free(&seal);
	check_sort_problems(c);
}

/* pathmap_each callback: free the extra digests. */
static int
check_free_item(const char *path, size_t len, void *value, void *arg)
{
	struct check_item *item = value;

	(void)path, (void)len, (void)arg;
	free(item->digests);
	free(item->mime);
	return 0;
}

/* Release everything the pass kept. */
void
check_free(struct check *c)
{
	struct check_state *s = c->state;

	if (c->items != NULL)
		pathmap_each(c->items, check_free_item, NULL);
	pathmap_free(c->items);
	json_decref(c->problems);
	json_decref(c->types_found);
	free(c->leaves);
	free(c->seal_text);
	free(c->seal_sig);
	free(c->wanted_line);
	if (s != NULL) {
		hash_set_free(&s->hashes);
		lines_free(&s->lines);
		json_decref(s->header);
		json_decref(s->trailer);
		EVP_MD_CTX_free(s->manifest_md);
		filetype_spool_reset(&s->spool);
		filetype_free(s->filetype);
		free(s->first);
		free(s->path);
		free(s->buffer);
		free(s);
	}
	c->state = NULL;
}

/*
 * Compare the archive file with its ARCHIVE.sha256 sidecar, when there is
 * one: the seal proves the content, the sidecar the exact bytes, so even a
 * change in tar padding or compression framing shows. Returns whether a
 * sidecar was there.
 */
bool
check_sidecar(const char *archive, struct check *c)
{
	char *path, *text, *hex, *name, actual[65];
	size_t len, name_len;
	struct stat st;
	bool found = false;

	if (strcmp(archive, "-") == 0 || asprintf(&path, "%s.sha256", archive) < 0)
		return false;
	/* A sidecar that is there but cannot be read is a problem, not absent. */
	if (lstat(path, &st) != 0 && errno == ENOENT) {
		free(path);
		return false;
	}
	found = true;
	if (util_read_file(path, 4096, &text, &len) != 0)
		check_problem(c, path, strlen(path), "a sidecar that cannot be read "
		    "(%s)", error_message());
	else {
		text[strcspn(text, "\n")] = '\0';
		util_hex(c->archive_sha256, 32, actual);
		if (sums_parse_line(text, strlen(text), &hex, &name, &name_len) != 0)
			check_problem(c, path, strlen(path), "not a sha256sum line");
		else if (strcmp(hex, actual) != 0)
			check_problem(c, archive, strlen(archive), "the archive file "
			    "does not match its .sha256 sidecar (%s)", hex);
		free(text);
	}
	free(path);
	return found;
}
