/* The packages source's parts: dpkg, rpm, and what they share. */
#ifndef CUSTODY_LIVE_PACKAGES_H
#define CUSTODY_LIVE_PACKAGES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "live.h"

#define PACKAGES_STATUS_MAX	((int64_t)1 << 30)	/* bytes of dpkg's status read */
#define PACKAGES_FIELD_MAX	((size_t)1 << 20)	/* bytes of one field kept */
#define PACKAGES_MAX		((size_t)1 << 20)	/* packages listed, per manager */
#define PACKAGES_LIST_FILE_MAX	((size_t)256 << 20)	/* one md5sums file */
#define PACKAGES_REJECTED_MAX	100	/* rejected stanzas and lines listed */
#define PACKAGES_RPM_FILES_MAX	((size_t)4 << 20)	/* rpm files listed, in all */
#define PACKAGES_RPM_BLOB_MAX	((size_t)256 << 20)	/* one rpm header */

/* Rejected input, listed up to PACKAGES_REJECTED_MAX and counted past it. */
struct packages_rejects {
	json_t	*list;
	size_t	 count;
};

/* Note one rejected stanza or line: where it was and why. */
int packages_reject(struct packages_rejects *, const char *file,
    unsigned long long line, const char *reason);
/* Put a list of rejects into obj as key, with key_count. 0 or -1. */
int packages_rejects_set(json_t *obj, const char *key,
    struct packages_rejects *);
/* root + path: the on-disk place of a host path. NULL (error_set). */
char *packages_host_path(const struct live_run *, const char *path);

/* dpkg: the "dpkg" member of the document (null when there is no dpkg). */
int packages_dpkg(struct live_run *, json_t **out);
/* rpm: the "rpm" member of the document (null when there is no database). */
int packages_rpm(struct live_run *, json_t **out);

#endif
