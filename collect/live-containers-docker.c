/*
 * Docker from its data root (/var/lib/docker, or "data-root" in
 * /etc/docker/daemon.json): containers (config.v2.json, hostconfig.json),
 * their json-file logs, images (repositories.json, the image database)
 * and each container's writable layer (overlay2).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/profile.h"

#include "collector.h"
#include "live-containers.h"
#include "live.h"

#define DOCKER_ROOT	"/var/lib/docker"
#define DOCKER_ID_MAX	128

/* What config.v2.json says of a container (moby's container.Container). */
static const struct containers_field docker_config_fields[] = {
	{ "id", "ID", JSON_STRING },
	{ "name", "Name", JSON_STRING },
	{ "image", "Config.Image", JSON_STRING },
	{ "image_id", "Image", JSON_STRING },
	{ "created", "Created", JSON_STRING },
	{ "started", "State.StartedAt", JSON_STRING },
	{ "finished", "State.FinishedAt", JSON_STRING },
	{ "running", "State.Running", JSON_TRUE },
	{ "paused", "State.Paused", JSON_TRUE },
	{ "restarting", "State.Restarting", JSON_TRUE },
	{ "dead", "State.Dead", JSON_TRUE },
	{ "oom_killed", "State.OOMKilled", JSON_TRUE },
	{ "pid", "State.Pid", JSON_INTEGER },
	{ "exit_code", "State.ExitCode", JSON_INTEGER },
	{ "path", "Path", JSON_STRING },
	{ "args", "Args", JSON_ARRAY },
	{ "cmd", "Config.Cmd", JSON_ARRAY },
	{ "entrypoint", "Config.Entrypoint", JSON_ARRAY },
	{ "env", "Config.Env", JSON_ARRAY },
	{ "user", "Config.User", JSON_STRING },
	{ "working_dir", "Config.WorkingDir", JSON_STRING },
	{ "hostname", "Config.Hostname", JSON_STRING },
	{ "labels", "Config.Labels", JSON_OBJECT },
	{ "mount_points", "MountPoints", JSON_OBJECT },
	{ "ports", "NetworkSettings.Ports", JSON_OBJECT },
	{ "log_path", "LogPath", JSON_STRING },
	{ "driver", "Driver", JSON_STRING },
	{ "restart_count", "RestartCount", JSON_INTEGER },
	{ NULL, NULL, 0 },
};

/* What hostconfig.json says (moby's container.HostConfig). */
static const struct containers_field docker_host_fields[] = {
	{ "binds", "Binds", JSON_ARRAY },
	{ "mounts", "Mounts", JSON_ARRAY },
	{ "port_bindings", "PortBindings", JSON_OBJECT },
	{ "privileged", "Privileged", JSON_TRUE },
	{ "cap_add", "CapAdd", JSON_ARRAY },
	{ "cap_drop", "CapDrop", JSON_ARRAY },
	{ "network_mode", "NetworkMode", JSON_STRING },
	{ "restart_policy", "RestartPolicy", JSON_OBJECT },
	{ "pid_mode", "PidMode", JSON_STRING },
	{ "ipc_mode", "IpcMode", JSON_STRING },
	{ "userns_mode", "UsernsMode", JSON_STRING },
	{ "security_opt", "SecurityOpt", JSON_ARRAY },
	{ "devices", "Devices", JSON_ARRAY },
	{ "readonly_rootfs", "ReadonlyRootfs", JSON_TRUE },
	{ "log_config", "LogConfig", JSON_OBJECT },
	{ NULL, NULL, 0 },
};

/* What an image configuration in the image database says. */
static const struct containers_field docker_image_fields[] = {
	{ "created", "created", JSON_STRING },
	{ "architecture", "architecture", JSON_STRING },
	{ "os", "os", JSON_STRING },
	{ "cmd", "config.Cmd", JSON_ARRAY },
	{ "entrypoint", "config.Entrypoint", JSON_ARRAY },
	{ "env", "config.Env", JSON_ARRAY },
	{ "labels", "config.Labels", JSON_OBJECT },
	{ "layers", "rootfs.diff_ids", JSON_ARRAY },
	{ NULL, NULL, 0 },
};

/* The data root, a host path: daemon.json's "data-root" (or "graph") or the default. */
static char *
docker_data_root(struct live_run *run, json_t *docker)
{
	const char *configured = NULL;
	char *root;
	json_t *daemon, *value;
	bool missing;

	daemon = containers_json_load(run, "/etc/docker/daemon.json",
	    JSON_OBJECT, &missing);
	if (daemon != NULL) {
		if ((value = json_object_get(daemon, "data-root")) == NULL)
			value = json_object_get(daemon, "graph");
		if (value != NULL && (configured = json_string_value(value)) == NULL)
			containers_note(run, "/etc/docker/daemon.json", "data-root "
			    "is not a string");
	}
	if (configured != NULL && (configured[0] != '/' ||
	    strstr(configured, "/..") != NULL ||
	    strlen(configured) >= CONTAINERS_PATH_MAX)) {
		containers_note(run, "/etc/docker/daemon.json", "data-root \"%s\" "
		    "refused (not a plain absolute path)", configured);
		configured = NULL;
	}
	if (configured == NULL)
		configured = DOCKER_ROOT;
	containers_set(run, docker, "data_root", json_string(configured));
	if ((root = strdup(configured)) == NULL)
		error_set_errno("strdup");
	json_decref(daemon);
	return root;
}

/* Docker's own word for a container's state, from its State fields. */
static const char *
docker_state(json_t *c)
{
	const char *started = json_string_value(json_object_get(c, "started"));

	if (json_is_true(json_object_get(c, "running")))
		return json_is_true(json_object_get(c, "paused")) ? "paused" :
		    json_is_true(json_object_get(c, "restarting")) ?
		    "restarting" : "running";
	if (json_is_true(json_object_get(c, "dead")))
		return "dead";
	if (started == NULL || strncmp(started, "0001-01-01", 10) == 0)
		return "created";
	return "exited";
}

/* True when a log's name is not a regular file (noted); a link is not followed. */
static bool
docker_log_refused(struct live_run *run, int fd, const char *dir,
    const char *name)
{
	struct stat st;
	char *host;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    S_ISREG(st.st_mode))
		return false;	/* vanished: collection records it */
	if (asprintf(&host, "%s/%s", dir, name) < 0)
		return true;
	if (S_ISLNK(st.st_mode))
		containers_failed(run, host, ELOOP);
	else
		containers_note(run, host, "not a regular file, not read");
	free(host);
	return true;
}

/* Collect a container's json-file logs, rotated ones too, capped. */
static int
docker_logs(struct live_run *run, const char *dir, const char *id)
{
	struct walk_rules rules = { .max_depth = 0, .over_limit =
	    PROFILE_OVER_LIMIT_TRUNCATE, .max_size = run->max_size >= 0 ?
	    run->max_size : CONTAINERS_LOG_SIZE };
	char prefix[NAME_MAX + 16], *path;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	snprintf(prefix, sizeof prefix, "%s-json.log", id);
	if ((fd = containers_open_dir(run, dir)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    !containers_name_ok(de->d_name, 255))
			continue;
		if (docker_log_refused(run, dirfd(d), dir, de->d_name))
			continue;
		if (asprintf(&path, "%s%s/%s", run->root, dir, de->d_name) < 0)
			rc = error_set_errno("asprintf");
		else {
			rc = live_add_path(run, path, &rules);
			free(path);
		}
	}
	closedir(d);
	return rc;
}

/* Read one JSON file of a container's directory into c with a table. */
static void
docker_config_file(struct live_run *run, const char *dir, const char *name,
    const struct containers_field *fields, json_t *c)
{
	char *path;
	json_t *config;
	bool missing;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return;
	config = containers_json_load(run, path, JSON_OBJECT, &missing);
	if (missing)
		containers_note(run, path, "missing");
	containers_pick(run, c, config != NULL ? config : json_null(), fields, path);
	json_decref(config);
	free(path);
}

/* The writable layer of a container: layerdb/mounts/ID/mount-id in overlay2. */
static int
docker_layer(struct live_run *run, const char *root, const char *id, json_t *c)
{
	char *mounts, *overlay, member[NAME_MAX + 16], mount_id[256];
	int fd, rc = 0;

	if (asprintf(&mounts, "%s/image/overlay2/layerdb/mounts/%s", root, id) < 0)
		return error_set_errno("asprintf");
	if ((fd = containers_open_dir(run, mounts)) < 0) {
		containers_note(run, mounts, "no layer record");
		free(mounts);
		return 0;
	}
	if (containers_read_line(run, fd, "mount-id", mounts, mount_id,
	    sizeof mount_id) == 0) {
		snprintf(member, sizeof member, "docker/%s", id);
		if (asprintf(&overlay, "%s/overlay2", root) < 0)
			rc = error_set_errno("asprintf");
		else {
			rc = containers_overlay_diff(run, overlay, mount_id, member, c);
			free(overlay);
		}
	}
	close(fd);
	free(mounts);
	return rc;
}

/* One container directory: its configs, logs and writable layer. */
static int
docker_container(struct live_run *run, const char *root, const char *id,
    json_t *list)
{
	char *dir;
	json_t *c = json_pack("{ss}", "directory_id", id);
	int rc;

	if (c == NULL || containers_append(run, list, c) != 0)
		return 0;
	if (asprintf(&dir, "%s/containers/%s", root, id) < 0)
		return error_set_errno("asprintf");
	if (!containers_is_dir(run, "%s", dir)) {
		free(dir);
		return 0;
	}
	docker_config_file(run, dir, "config.v2.json", docker_config_fields, c);
	docker_config_file(run, dir, "hostconfig.json", docker_host_fields, c);
	containers_set(run, c, "state", json_string(docker_state(c)));
	rc = docker_logs(run, dir, id);
	if (rc == 0)
		rc = docker_layer(run, root, id, c);
	free(dir);
	return rc;
}

/* Every container directory under ROOT/containers. */
static int
docker_containers(struct live_run *run, const char *root, json_t *docker)
{
	char *dir;
	struct dirent *de;
	json_t *list = json_array();
	DIR *d;
	int fd, rc = 0;

	if (containers_set(run, docker, "containers", list) != 0)
		return 0;
	if (asprintf(&dir, "%s/containers", root) < 0)
		return error_set_errno("asprintf");
	fd = containers_open_dir(run, dir);
	free(dir);
	if (fd < 0 || (d = fdopendir(fd)) == NULL)
		return fd >= 0 ? close(fd), 0 : 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!containers_name_ok(de->d_name, DOCKER_ID_MAX))
			continue;
		if (json_array_size(list) == CONTAINERS_MAX) {
			containers_set(run, docker, "containers_truncated", json_true());
			break;
		}
		rc = docker_container(run, root, de->d_name, list);
	}
	closedir(d);
	if (rc == 0)
		containers_sort(run, list, "directory_id");
	return rc;
}

/* The tags of repositories.json as [{"reference","image_id"}]. */
static void
docker_tags(struct live_run *run, const char *root, json_t *docker)
{
	const char *repo, *ref;
	char *path;
	json_t *file, *repos, *refs, *id, *tags = json_array();
	bool missing;

	if (containers_set(run, docker, "tags", tags) != 0 ||
	    asprintf(&path, "%s/image/overlay2/repositories.json", root) < 0)
		return;
	file = containers_json_load(run, path, JSON_OBJECT, &missing);
	repos = json_object_get(file, "Repositories");
	if (file != NULL && !json_is_object(repos))
		containers_note(run, path, "Repositories is not an object");
	json_object_foreach(json_is_object(repos) ? repos : NULL, repo, refs) {
		json_object_foreach(json_is_object(refs) ? refs : NULL, ref, id)
			if (json_is_string(id) && json_array_size(tags) <
			    CONTAINERS_IMAGES_MAX)
				containers_append(run, tags, json_pack("{ssss}",
				    "reference", ref, "image_id",
				    json_string_value(id)));
	}
	containers_sort(run, tags, "reference");
	json_decref(file);
	free(path);
}

/* One image configuration of the image database. */
static void
docker_image(struct live_run *run, const char *dir, const char *name,
    json_t *images)
{
	char *path;
	json_t *config, *image;
	bool missing;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return;
	config = containers_json_load(run, path, JSON_OBJECT, &missing);
	image = json_pack("{ss+}", "id", "sha256:", name);
	if (image != NULL && config != NULL)
		containers_pick(run, image, config, docker_image_fields, path);
	if (image != NULL && config == NULL)
		containers_set(run, image, "unreadable", json_true());
	containers_append(run, images, image);
	json_decref(config);
	free(path);
}

/* Every image of image/overlay2/imagedb/content/sha256. */
static void
docker_images(struct live_run *run, const char *root, json_t *docker)
{
	char *dir;
	struct dirent *de;
	json_t *images = json_array();
	DIR *d;
	int fd;

	if (containers_set(run, docker, "images", images) != 0 ||
	    asprintf(&dir, "%s/image/overlay2/imagedb/content/sha256", root) < 0)
		return;
	if ((fd = containers_open_dir(run, dir)) >= 0 &&
	    (d = fdopendir(fd)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || !containers_name_ok(de->d_name, 128))
				continue;
			if (json_array_size(images) == CONTAINERS_IMAGES_MAX) {
				containers_set(run, docker, "images_truncated",
				    json_true());
				break;
			}
			docker_image(run, dir, de->d_name, images);
		}
		closedir(d);
		containers_sort(run, images, "id");
	} else if (fd >= 0)
		close(fd);
	free(dir);
}

/* Docker's containers, images and layers, when its data root exists. */
int
containers_docker(struct live_run *run, bool *found)
{
	json_t *docker = json_object();
	char *root;
	int rc;

	if (docker == NULL || containers_set(run, run->doc, "docker", docker) != 0)
		return 0;
	if ((root = docker_data_root(run, docker)) == NULL)
		return 0;
	if (!containers_is_dir(run, "%s", root)) {
		containers_set(run, docker, "found", json_false());
		free(root);
		return 0;
	}
	*found = true;
	containers_set(run, docker, "found", json_true());
	rc = docker_containers(run, root, docker);
	if (rc == 0) {
		docker_tags(run, root, docker);
		docker_images(run, root, docker);
		rc = containers_attach_pids(run, json_object_get(docker,
		    "containers"), json_object_get(run->doc, "processes"));
	}
	free(root);
	return rc;
}
