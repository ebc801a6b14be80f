/* Collection profiles: YAML files naming what to collect, in order. */
#ifndef CUSTODY_PROFILE_H
#define CUSTODY_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum profile_source {
	PROFILE_PATH,		/* files, directories or globs */
	PROFILE_LIVE		/* a volatile-state source read from /proc */
};

enum profile_over_limit {
	PROFILE_OVER_LIMIT_TRUNCATE,	/* keep the first max_size bytes, mark truncated-at-limit */
	PROFILE_OVER_LIMIT_SKIP		/* record the file as skipped */
};

/* What a path entry keeps of a file, by its first bytes or its mode (keep:). */
enum profile_class {
	PROFILE_CLASS_SCRIPT,		/* "#!" */
	PROFILE_CLASS_ELF,		/* 0x7f "ELF" */
	PROFILE_CLASS_ARCHIVE,		/* gzip, xz, zstd, bzip2, zip, 7z, rar, tar, cpio */
	PROFILE_CLASS_EXECUTABLE,	/* any execute bit */
	PROFILE_CLASS_COUNT
};
#define PROFILE_CLASS_MASK(class)	(1u << (class))

enum profile_content {
	PROFILE_CONTENT_ARCHIVE,	/* the bytes go into the archive */
	PROFILE_CONTENT_HASH		/* only their digests go into the manifest */
};

enum profile_skipped {
	PROFILE_SKIPPED_EACH,		/* one entry per skipped file */
	PROFILE_SKIPPED_SUMMARY		/* one entry per directory, with counts */
};

struct profile_entry {
	enum profile_source	 source;
	char			*path;		/* PROFILE_PATH: absolute, glob characters allowed in any component */
	char			*live;		/* PROFILE_LIVE: one of profile_live_names */
	char			*root;		/* PROFILE_LIVE: stands for "/" in on-disk reads; NULL or "" = the host */
	char			*description;	/* may be NULL */
	int			 max_depth;	/* directory levels below path; -1 = default */
	int64_t			 max_size;	/* bytes per file (live: per content member); -1 = no limit (live: the source's default) */
	enum profile_over_limit	 over_limit;
	char			**exclude;	/* fnmatch(3) globs; NULL-terminated */
	size_t			 exclude_count;
	int64_t			 max_total;	/* bytes read for the whole entry; -1 = no limit */
	unsigned		 keep;		/* PROFILE_CLASS_MASK bits; 0 = every file */
	enum profile_content	 content;
	enum profile_skipped	 skipped;
};

struct profile {
	char			*name;
	char			*description;
	char			*include;	/* a built-in profile whose entries come first, or NULL */
	struct profile_entry	*entries;
	size_t			 entry_count;
};

/* Names accepted by `live:`, NULL-terminated. */
extern const char *const profile_live_names[];

/* Names accepted by `keep:`, in the order of enum profile_class, NULL-terminated. */
extern const char *const profile_class_names[];

/* Parse a profile from a YAML buffer; label names it in error messages. NULL on error. */
struct profile *profile_parse(const char *data, size_t len, const char *label);
/* Load a profile from a file (opened with O_NOFOLLOW, size capped). NULL on error. */
struct profile *profile_load_file(const char *path);
/*
 * Load by name or path: a value containing '/' or ending in ".yaml" is a
 * file; otherwise one of the profiles built into the binary.
 */
struct profile *profile_load(const char *name_or_path);
/* Names of the built-in profiles, NULL-terminated. */
const char *const *profile_builtin_names(void);
/* The YAML text of a built-in profile, or NULL. */
const char *profile_builtin_text(const char *name);
void profile_free(struct profile *);
/* Every live entry's root: is a directory (or a link to one) now. 0 or -1. */
int profile_check_roots(const struct profile *);

/* Parse "123", "64K", "10M", "2G", "1T" (powers of 1024) into bytes; -1 on error. */
int profile_parse_size(const char *text, int64_t *out);

#endif
