/*
 * The manifest (custody/manifest.jsonl): a header line, one JSON line per
 * entry, a trailer line. The entry lines, as bytes without their newline,
 * are the leaves of the archive's Merkle tree.
 */
#ifndef CUSTODY_MANIFEST_H
#define CUSTODY_MANIFEST_H

#include <sys/stat.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "custody/hash.h"

struct util_buffer;

#define MANIFEST_VERSION	1
#define MANIFEST_LINE_MAX	(1024 * 1024)
#define MANIFEST_PATH		"custody/manifest.jsonl"

/* Entry statuses. */
#define STATUS_OK		"ok"
#define STATUS_CHANGED		"changed-while-reading"
#define STATUS_TRUNCATED	"truncated-at-limit"
#define STATUS_SKIPPED		"skipped"	/* left out by design */
#define STATUS_METADATA		"metadata-only"	/* no content by nature */
#define STATUS_ERROR		"error"		/* could not be read */

/* What the collector knows of one entry, to be written as a line. */
struct manifest_entry {
	const char		*path;		/* in the archive; NULL when no member */
	size_t			 path_len;
	const char		*source;	/* on the host, or a live-state description */
	size_t			 source_len;
	const char		*kind;		/* file, directory, symlink, fifo, ... live */
	const char		*status;
	const char		*reason;	/* why, for every status but ok */
	const char		*origin;	/* live state: where it was read from */
	const struct stat	*st;		/* NULL when not stat'ed */
	const char		*user;		/* owner names, NULL when unknown */
	const char		*group;
	const char		*link_target;	/* symlinks */
	size_t			 link_len;
	bool			 has_content;	/* a member holds the bytes */
	int64_t			 size;		/* bytes in the member */
	const struct hash_set	*hashes;	/* finished digests of the member */
	const char		*mime;		/* NULL when not typed */
	bool			 mime_pending;	/* typed later: "mime" is null until set */
	struct timespec		 collected;
	bool			 atime_unprotected;	/* O_NOATIME was refused */
	const char		*class;		/* the keep: class it was selected by, or NULL */
	bool			 hash_only;	/* digests and size of content not archived */
	bool			 summary;	/* counts of files skipped in a directory */
	uint64_t		 skipped_files;
	uint64_t		 skipped_bytes;
};

enum manifest_type {
	MANIFEST_HEADER,
	MANIFEST_ENTRY,
	MANIFEST_TRAILER,
	MANIFEST_UNKNOWN	/* a line that failed before its type was known */
};

/* What a checker reads back from one line. */
struct manifest_record {
	enum manifest_type	 type;
	json_t			*json;		/* the whole line */
	char			*path;		/* entries with a member; decoded bytes */
	size_t			 path_len;
	const char		*kind;
	const char		*status;
	bool			 has_content;
	int64_t			 size;
	char			 hashes[HASH_COUNT][HASH_HEX_SIZE];
	unsigned		 hash_mask;
	uint64_t		 entries;	/* trailer */
};

/* The kind name of a stat mode ("file", "directory", ...). */
const char *manifest_kind(mode_t mode);
/* An entry as a JSON object, keys in their documented order; NULL on error. */
json_t *manifest_entry_json(const struct manifest_entry *);
/* Serialize an entry as one JSON line without newline; malloc'd, NULL on error. */
char *manifest_entry_line(const struct manifest_entry *, size_t *len);
/*
 * The same line as manifest_entry_line, written without a JSON tree:
 * appended to out (a buffer kept across calls stops allocating), no
 * newline. On failure nothing is appended and the message is the one
 * manifest_entry_json records. No shared state: threads may format at
 * once, each into its own buffer. 0 or -1.
 */
int manifest_entry_format(const struct manifest_entry *, struct util_buffer *out);
/*
 * Like manifest_entry_format; when the entry's type is pending (mime_pending
 * and no mime) *mime_at gets the offset in out of the "null" that stands
 * for it, else SIZE_MAX.
 */
int manifest_entry_format_at(const struct manifest_entry *,
    struct util_buffer *out, size_t *mime_at);
/*
 * Replace the null at mime_at (from manifest_entry_format_at) by mime as
 * a JSON string, the line then being what manifest_entry_json with that
 * mime gives; a NULL mime leaves the null. -1 when mime is not UTF-8
 * (the line is left as it was).
 */
int manifest_line_set_mime(struct util_buffer *line, size_t mime_at,
    const char *mime);
/*
 * Append an entry's line of collection.log, newline included:
 * "TIME STATUS SOURCE[ -> MEMBER][: REASON]", names escaped by util_escape.
 * 0 or -1.
 */
int manifest_entry_log_format(const struct manifest_entry *,
    const struct timespec *now, struct util_buffer *out);
/* A new header object {"type":"header","format":...,"version":...}. */
json_t *manifest_header_new(void);
/* Serialize a header or trailer object compactly; malloc'd. */
char *manifest_dump(const json_t *, size_t *len);
/*
 * Store bytes under key as a string when they are valid UTF-8, else as
 * key_base64. 0 or -1.
 */
int manifest_set_bytes(json_t *object, const char *key, const char *data,
    size_t len);
/* Read back what manifest_set_bytes stored; malloc'd copy. 0 or -1. */
int manifest_get_bytes(const json_t *object, const char *key, char **data,
    size_t *len);
/* A member holding a non-negative JSON integer: true, with it in *out. */
bool manifest_get_count(const json_t *object, const char *key, uint64_t *out);
/* True when an archive path is safe: files/ or live/, no empty, "." or ".." parts. */
bool manifest_path_safe(const char *path, size_t len);
/* Parse and check one line. 0, or -1 with the reason. */
int manifest_parse_line(const char *line, size_t len, struct manifest_record *);
void manifest_record_free(struct manifest_record *);

#endif
