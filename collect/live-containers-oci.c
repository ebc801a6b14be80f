/*
 * An OCI runtime spec (config.json, as Podman, containerd and runc write
 * it): the fields that say what ran, with what rights and what mounts.
 */
#include "config.h"

#include <jansson.h>

#include "live-containers.h"
#include "live.h"

/* The fields of a runtime spec kept, by their path in the spec. */
static const struct containers_field containers_oci_fields[] = {
	{ "oci_version", "ociVersion", JSON_STRING },
	{ "hostname", "hostname", JSON_STRING },
	{ "args", "process.args", JSON_ARRAY },
	{ "env", "process.env", JSON_ARRAY },
	{ "cwd", "process.cwd", JSON_STRING },
	{ "user", "process.user", JSON_OBJECT },
	{ "capabilities", "process.capabilities", JSON_OBJECT },
	{ "no_new_privileges", "process.noNewPrivileges", JSON_TRUE },
	{ "apparmor_profile", "process.apparmorProfile", JSON_STRING },
	{ "root_path", "root.path", JSON_STRING },
	{ "root_readonly", "root.readonly", JSON_TRUE },
	{ "mounts", "mounts", JSON_ARRAY },
	{ "annotations", "annotations", JSON_OBJECT },
	{ "namespaces", "linux.namespaces", JSON_ARRAY },
	{ "cgroups_path", "linux.cgroupsPath", JSON_STRING },
	{ "seccomp", "linux.seccomp.defaultAction", JSON_STRING },
	{ NULL, NULL, 0 },
};

/* The fields of an OCI runtime spec that tell what ran, as an object. */
json_t *
containers_oci_spec(struct live_run *run, json_t *spec, const char *what)
{
	json_t *out = json_object();

	if (out == NULL || containers_pick(run, out, spec, containers_oci_fields,
	    what) != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}
