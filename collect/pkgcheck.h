/*
 * The native "dpkg -V": the digests the package managers recorded for
 * their files (path -> MD5 or SHA-256), checked against the bytes of each
 * such file the collector reads anyway, and the report of what was found.
 */
#ifndef CUSTODY_PKGCHECK_H
#define CUSTODY_PKGCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define PKGCHECK_FILES_MAX	((size_t)4 << 20)	/* recorded digests kept */
#define PKGCHECK_PACKAGES_MAX	((size_t)1 << 20)
#define PKGCHECK_LIST_MAX	10000	/* of each list in the report */

enum pkgcheck_alg {
	PKGCHECK_MD5,
	PKGCHECK_SHA256
};

struct collector;
struct pkgcheck;

struct pkgcheck *pkgcheck_new(void);
void pkgcheck_free(struct pkgcheck *);
/* The number of a package's name, for pkgcheck_add; -1 when full (error_set). */
int pkgcheck_package(struct pkgcheck *, const char *name);
/*
 * Record the digest a package manager expects at path (absolute, as the
 * collector will see it). A conffile's digest replaces a plain one; a
 * second plain one is counted and dropped. 0, or -1 when full (error_set).
 */
int pkgcheck_add(struct pkgcheck *, const char *path, int package,
    enum pkgcheck_alg, const unsigned char *digest, bool conffile);
/* Digests recorded. */
size_t pkgcheck_count(const struct pkgcheck *);

/* ---- Called by the collector around each file it reads. */

/* Start checking the file at path when a digest is recorded for it. */
void pkgcheck_begin(struct pkgcheck *, const char *path);
/* The bytes of the file being checked, as they are read. */
void pkgcheck_data(struct pkgcheck *, const void *data, size_t len);
/*
 * The file is read: whole tells whether every byte was (status ok);
 * sha256 is the digest of what was read. A difference is logged.
 */
void pkgcheck_end(struct pkgcheck *, struct collector *, bool whole,
    const char *status, const unsigned char sha256[32]);
/*
 * The report (see custody-formats(5)): reached(arg, path) says whether a
 * walk of this collection would have read path, for the missing files.
 * NULL when out of memory (error_set).
 */
json_t *pkgcheck_report(struct pkgcheck *,
    bool (*reached)(void *, const char *), void *arg);
/*
 * Archive the report as live/packages/verify.json and log its counts;
 * reached is called with the collector. 0, or -1 when fatal.
 */
int pkgcheck_write(struct pkgcheck *, struct collector *,
    bool (*reached)(void *, const char *));

/* ---- collector.c */

/* The collection's table of package digests, made on first use; NULL (error_set). */
struct pkgcheck *collector_pkgcheck(struct collector *);

#endif
