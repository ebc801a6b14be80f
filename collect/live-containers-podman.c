/*
 * Podman (containers/storage) from its stores: /var/lib/containers/storage
 * and the rootless store of every account in /etc/passwd
 * (~/.local/share/containers/storage): containers.json, each container's
 * OCI spec (userdata/config.json) and log, images.json, layers.json, and
 * each container's writable layer in overlay/.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/profile.h"
#include "custody/util.h"

#include "collector.h"
#include "live-containers.h"
#include "live-locate.h"
#include "live.h"

#define PODMAN_STORE		"/var/lib/containers/storage"
#define PODMAN_ROOTLESS		"/.local/share/containers/storage"
#define PODMAN_PASSWD_MAX	((size_t)16 << 20)
#define PODMAN_STORES_MAX	4096

/* A container of containers.json. */
static const struct containers_field podman_container_fields[] = {
	{ "id", "id", JSON_STRING },
	{ "names", "names", JSON_ARRAY },
	{ "image_id", "image", JSON_STRING },
	{ "layer", "layer", JSON_STRING },
	{ "created", "created", JSON_STRING },
	{ "metadata", "metadata", JSON_STRING },
	{ NULL, NULL, 0 },
};

/* An image of images.json. */
static const struct containers_field podman_image_fields[] = {
	{ "id", "id", JSON_STRING },
	{ "names", "names", JSON_ARRAY },
	{ "digest", "digest", JSON_STRING },
	{ "layer", "layer", JSON_STRING },
	{ "created", "created", JSON_STRING },
	{ NULL, NULL, 0 },
};

/* A layer of layers.json. */
static const struct containers_field podman_layer_fields[] = {
	{ "id", "id", JSON_STRING },
	{ "parent", "parent", JSON_STRING },
	{ "created", "created", JSON_STRING },
	{ "diff_digest", "diff-digest", JSON_STRING },
	{ "diff_size", "diff-size", JSON_INTEGER },
	{ NULL, NULL, 0 },
};

/* Read STORE/FILE as an array and pick each element with a table, capped. */
static json_t *
podman_list(struct live_run *run, const char *store, const char *file,
    const struct containers_field *fields, size_t cap)
{
	char *path;
	json_t *array, *element, *list = json_array(), *entry;
	bool missing;
	size_t i;

	if (list == NULL || asprintf(&path, "%s/%s", store, file) < 0) {
		json_decref(list);
		return NULL;
	}
	array = containers_json_load(run, path, JSON_ARRAY, &missing);
	json_array_foreach(array, i, element) {
		if (i == cap) {
			containers_note(run, path, "more than %zu entries, the "
			    "rest not read", cap);
			break;
		}
		if (!json_is_object(element)) {
			containers_note(run, path, "entry %zu is not an object", i);
			continue;
		}
		if ((entry = json_object()) == NULL ||
		    containers_append(run, list, entry) != 0 ||
		    containers_pick(run, entry, element, fields, path) != 0)
			break;
	}
	free(path);
	json_decref(array);
	return list;
}

/* The OCI spec and the k8s-file log of one container. */
static int
podman_userdata(struct live_run *run, const char *store, const char *id,
    json_t *c)
{
	struct walk_rules rules = { .max_depth = 0, .over_limit =
	    PROFILE_OVER_LIMIT_TRUNCATE, .max_size = run->max_size >= 0 ?
	    run->max_size : CONTAINERS_LOG_SIZE };
	char *path, *log;
	struct stat st;
	json_t *spec;
	bool missing;
	int rc = 0;

	if (!containers_is_dir(run, "%s/overlay-containers/%s", store, id) ||
	    !containers_is_dir(run, "%s/overlay-containers/%s/userdata", store, id))
		return 0;
	if (asprintf(&path, "%s/overlay-containers/%s/userdata/config.json",
	    store, id) < 0)
		return error_set_errno("asprintf");
	spec = containers_json_load(run, path, JSON_OBJECT, &missing);
	if (spec != NULL)
		containers_set(run, c, "spec", containers_oci_spec(run, spec, path));
	json_decref(spec);
	free(path);
	if (asprintf(&log, "%s/overlay-containers/%s/userdata/ctr.log", store,
	    id) < 0)
		return error_set_errno("asprintf");
	if (containers_stat(run, log, &st) == 0 && S_ISREG(st.st_mode)) {
		free(log);
		if (asprintf(&log, "%s%s/overlay-containers/%s/userdata/ctr.log",
		    run->root, store, id) < 0)
			return error_set_errno("asprintf");
		rc = live_add_path(run, log, &rules);
	}
	free(log);
	return rc;
}

/* The spec, log and writable layer of each container of a store. */
static int
podman_containers(struct live_run *run, const char *store, json_t *list,
    const char *owner)
{
	char *overlay, member[512];
	const char *id, *layer;
	json_t *c;
	size_t i;
	int rc = 0;

	if (asprintf(&overlay, "%s/overlay", store) < 0)
		return error_set_errno("asprintf");
	json_array_foreach(list, i, c) {
		id = json_string_value(json_object_get(c, "id"));
		layer = json_string_value(json_object_get(c, "layer"));
		if (id == NULL || !containers_name_ok(id, 128)) {
			containers_note(run, store, "container %zu has no usable id", i);
			continue;
		}
		if ((rc = podman_userdata(run, store, id, c)) != 0)
			break;
		snprintf(member, sizeof member, "podman/%s/%s", owner, id);
		if (layer != NULL && (rc = containers_overlay_diff(run, overlay,
		    layer, member, c)) != 0)
			break;
	}
	free(overlay);
	return rc;
}

/* One store: its containers, images and layers. */
static int
podman_store(struct live_run *run, const char *store, const char *owner,
    json_t *stores)
{
	json_t *s, *containers, *images, *layers;
	int rc;

	s = json_pack("{ssss}", "path", store, "owner", owner);
	if (s == NULL || containers_append(run, stores, s) != 0)
		return 0;
	containers = podman_list(run, store, "overlay-containers/containers.json",
	    podman_container_fields, CONTAINERS_MAX);
	if (containers_set(run, s, "containers", containers) != 0)
		return 0;
	images = podman_list(run, store, "overlay-images/images.json",
	    podman_image_fields, CONTAINERS_IMAGES_MAX);
	containers_set(run, s, "images", images);
	layers = podman_list(run, store, "overlay-layers/layers.json",
	    podman_layer_fields, CONTAINERS_LAYERS_MAX);
	containers_set(run, s, "layers", layers);
	if ((rc = podman_containers(run, store, containers, owner)) != 0)
		return rc;
	return containers_attach_pids(run, containers,
	    json_object_get(run->doc, "processes"));
}

/* Look at one store (a host path); read it when it is a directory. */
static int
podman_try(struct live_run *run, const char *store, const char *owner,
    json_t *stores, bool *found)
{
	struct stat st;

	if (containers_stat(run, store, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		containers_note(run, store, "not a directory, not followed");
		return 0;
	}
	*found = true;
	return podman_store(run, store, owner, stores);
}

/*
 * Whether an account's home is a real directory, reached through no
 * link, to look for a store in. Service accounts' homes are often /bin or
 * /usr/sbin, links on merged-/usr hosts, or missing: that is no problem;
 * a home behind a link is listed in skipped (once), not followed.
 */
static bool
podman_home_real(struct live_run *run, const char *home, json_t *skipped)
{
	struct stat st;
	size_t i;

	if (live_locate_stat(run, home, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return true;
		if (!S_ISLNK(st.st_mode))
			return false;
	} else if (errno != ELOOP && errno != ENOTDIR)
		return false;
	for (i = 0; i < json_array_size(skipped); i++)
		if (strcmp(json_string_value(json_array_get(skipped, i)), home) == 0)
			return false;
	if (json_array_size(skipped) < PODMAN_STORES_MAX)
		json_array_append_new(skipped, live_string(home, strlen(home)));
	return false;
}

/* The rootless store of every account with a home in /etc/passwd. */
static int
podman_rootless(struct live_run *run, json_t *stores, json_t *skipped,
    bool *found)
{
	char *cursor, *line, *fields[7], path[CONTAINERS_PATH_MAX];
	struct live_file f;
	size_t i, tried = 0;
	int rc = 0;

	if (containers_read(run, "/etc/passwd", PODMAN_PASSWD_MAX, &f) != 0)
		return 0;
	for (cursor = f.data; rc == 0 && (line = util_next_line(&cursor)) != NULL;) {
		for (i = 0; i < 7 && (fields[i] = strsep(&line, ":")) != NULL; i++)
			;
		if (i < 7 || fields[5][0] != '/' || strcmp(fields[5], "/") == 0 ||
		    strstr(fields[5], "/..") != NULL)
			continue;
		if (tried++ == PODMAN_STORES_MAX) {
			containers_note(run, "/etc/passwd", "more than %d accounts, "
			    "the rest not looked at", PODMAN_STORES_MAX);
			break;
		}
		if (!podman_home_real(run, fields[5], skipped))
			continue;
		if (snprintf(path, sizeof path, "%s%s", fields[5], PODMAN_ROOTLESS) <
		    (int)sizeof path && containers_name_ok(fields[0], 64))
			rc = podman_try(run, path, fields[0], stores, found);
	}
	free(f.data);
	return rc;
}

/* Podman's stores, rootful and rootless. */
int
containers_podman(struct live_run *run, bool *found)
{
	json_t *podman = json_object(), *stores = json_array();
	json_t *skipped = json_array();

	if (podman == NULL || stores == NULL || skipped == NULL ||
	    containers_set(run, run->doc, "podman", podman) != 0 ||
	    containers_set(run, podman, "stores", stores) != 0 ||
	    containers_set(run, podman, "homes_behind_links", skipped) != 0)
		return 0;
	if (podman_try(run, PODMAN_STORE, "root", stores, found) != 0 ||
	    podman_rootless(run, stores, skipped, found) != 0)
		return -1;
	return containers_set(run, podman, "found", json_boolean(*found)), 0;
}
