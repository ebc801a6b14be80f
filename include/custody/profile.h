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
};

struct profile {
	char			*name;
	char			*description;
	struct profile_entry	*entries;
	size_t			 entry_count;
};

/* Names accepted by `live:`, NULL-terminated. */
extern const char *const profile_live_names[];

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

/* Parse "123", "64K", "10M", "2G", "1T" (powers of 1024) into bytes; -1 on error. */
int profile_parse_size(const char *text, int64_t *out);

#endif
