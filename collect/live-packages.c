/*
 * The packages source: what dpkg and rpm say is installed, and the digests
 * they recorded for each file, which the collector checks against every
 * such file it reads afterwards (collect/pkgcheck.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"

#include "collector.h"
#include "live-packages.h"
#include "live.h"
#include "pkgcheck.h"

/* root + path: the on-disk place of a host path. */
char *
packages_host_path(const struct live_run *run, const char *path)
{
	char *out;

	if (asprintf(&out, "%s%s", run->root, path) < 0) {
		error_set_errno("asprintf");
		return NULL;
	}
	return out;
}

/* Note one rejected stanza or line. 0, or -1 when out of memory. */
int
packages_reject(struct packages_rejects *r, const char *file,
    unsigned long long line, const char *reason)
{
	json_t *item;

	if (r->count++ >= PACKAGES_REJECTED_MAX)
		return 0;
	if (r->list == NULL && (r->list = json_array()) == NULL)
		return error_set("out of memory");
	item = json_pack("{s:s, s:I, s:s}", "file", file, "line",
	    (json_int_t)line, "reason", reason);
	if (item == NULL || json_array_append_new(r->list, item) != 0)
		return error_set("out of memory");
	return 0;
}

/* Put a list of rejects into obj as key, with key_count. */
int
packages_rejects_set(json_t *obj, const char *key, struct packages_rejects *r)
{
	char count[64];

	snprintf(count, sizeof count, "%s_count", key);
	if (json_object_set_new(obj, key, r->list != NULL ?
	    json_incref(r->list) : json_array()) != 0 ||
	    json_object_set_new(obj, count, json_integer((json_int_t)r->count)) != 0)
		return error_set("out of memory");
	return 0;
}

/* The packages source: dpkg, then rpm. */
static int
live_packages(struct live_run *run)
{
	json_t *dpkg = NULL, *rpm = NULL;
	int rc;

	rc = packages_dpkg(run, &dpkg);
	if (rc == 0)
		rc = packages_rpm(run, &rpm);
	if (rc == 0 && (json_object_set_new(run->doc, "dpkg",
	    dpkg != NULL ? dpkg : json_null()) != 0 ||
	    json_object_set_new(run->doc, "rpm",
	    rpm != NULL ? rpm : json_null()) != 0))
		rc = error_set("out of memory");
	else if (rc != 0) {
		json_decref(dpkg);
		json_decref(rpm);
	}
	if (rc == 0)
		rc = json_object_set_new(run->doc, "recorded_digests",
		    json_integer((json_int_t)pkgcheck_count(
		    collector_pkgcheck(run->collector))));
	return rc;
}

const struct live_reader live_reader_packages = {
	.origin = "/var/lib/dpkg/status, /var/lib/dpkg/info, /var/lib/rpm",
	.fill = live_packages,
};
