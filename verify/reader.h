/* The verifier's internals: one streaming pass over an archive, and the checks. */
#ifndef CUSTODY_READER_H
#define CUSTODY_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custody/hash.h"
#include "custody/merkle.h"

struct key;
struct pathmap;

/*
 * ---- reader.c (and the stages of stages.h): every member handed to a
 * visitor, nothing written to disk. Only the tar format custody writes is followed
 * (ustar.h); what differs from it is reported to the visitor's problem().
 */

struct reader_member {
	const char	*path;		/* as stored, "./" prefixes removed */
	size_t		 path_len;
	int64_t		 size;
	int64_t		 mtime_sec;	/* the modification time tar -x sets */
	long		 mtime_nsec;
	bool		 mtime_exact;	/* from a pax record, to the nanosecond */
};

struct reader_visitor {
	int	(*begin)(void *arg, const struct reader_member *);
	int	(*data)(void *arg, const void *data, size_t len);
	int	(*end)(void *arg);
	/* What in the tar stream custody does not write (member or "(archive)"). */
	int	(*problem)(void *arg, const char *member, size_t len, const char *text);
};

#define READER_DAMAGED	(-2)

/*
 * Read the archive at path ("-" for stdin) once. A visitor's non-zero
 * return stops the pass and is returned; -1 with error_set when the
 * input cannot be read as an archive at all, READER_DAMAGED when it can
 * but breaks off (truncated, corrupt) after at least one member. sha256
 * and bytes describe the input file as read, to its end.
 */
int reader_run(const char *path, const struct reader_visitor *, void *arg,
    unsigned char sha256[32], uint64_t *bytes);

/* ---- check.c: what one pass learns about an archive, and its verdict. */

struct check {
	/* Settings. */
	bool			 all_hashes;	/* compute every algorithm for every member */
	bool			 keep_leaves;	/* keep each entry's leaf hash (for proofs) */
	bool			 types;		/* type each member with libmagic */
	bool			 list_members;	/* types_found lists them (types sets it) */
	const char		*want;		/* prove: the member or source to find */

	/* What the pass found. */
	struct pathmap		*items;
	json_t			*problems;	/* [{"member": ..., "problem": ...}] */
	/*
	 * With list_members: [{"index", "path" or "path_base64", "mime"}], the
	 * entries with content in manifest order; "mime" with types only.
	 */
	json_t			*types_found;
	bool			 failed;	/* a finding could not be recorded */
	uint64_t		 problems_unlisted;	/* past the cap on problems kept */
	struct merkle_builder	 tree;
	merkle_hash		*leaves;
	uint64_t		 leaf_count;
	uint64_t		 members;
	uint64_t		 content_bytes;
	unsigned char		 archive_sha256[32];	/* of the archive file */
	uint64_t		 archive_bytes;
	char			*seal_text;
	size_t			 seal_len;
	unsigned char		*seal_sig;
	size_t			 seal_sig_len;
	char			*wanted_line;	/* the entry line of want */
	size_t			 wanted_len;
	uint64_t		 wanted_index;
	bool			 wanted_found;
	bool			 wanted_has_content;
	void			*state;		/* the pass's private state */
};

/*
 * Read the archive and check everything but the seal's signer. 0 (a
 * damaged archive is a problem, not an error), or -1 if unreadable.
 */
int check_archive(const char *path, struct check *);
/*
 * Check the seal: its signature (with trusted when not NULL, else with
 * the key it names) and its commitments. Adds problems; fills *signer.
 */
void check_seal(struct check *, const struct key *trusted, json_t **seal_json);
/*
 * Compare the archive file with its ARCHIVE.sha256 sidecar, when there is
 * one (a problem when it differs or cannot be read). True when one is there.
 */
bool check_sidecar(const char *archive, struct check *);
/* Record one problem. */
void check_problem(struct check *, const char *member, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void check_free(struct check *);

#endif
