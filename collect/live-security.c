/* The security source: audit status and rules, SELinux and AppArmor. */
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
#include "custody/util.h"

#include "collector.h"
#include "live.h"

#define LIVE_APPARMOR_PROFILES_MAX	((size_t)16 << 20)

/* Set key to the trimmed text of a file below an open directory, null when absent. */
static void
live_security_value(json_t *o, int fd, const char *key, const char *name,
    json_t *problems)
{
	json_t *v = live_sysfs_value(fd, name, LIVE_SYSFS_VALUE_MAX, problems);

	json_object_set_new(o, key, v != NULL ? v : json_null());
}

/* SELinux from /sys/fs/selinux: enforce, policyvers, mls, deny_unknown. */
static void
live_selinux(json_t *doc)
{
	json_t *s = json_object(), *problems = json_object();
	int fd;

	json_object_set_new(doc, "selinux", s);
	fd = open("/sys/fs/selinux", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	json_object_set_new(s, "present", json_boolean(fd >= 0));
	if (fd < 0) {
		json_decref(problems);
		return;
	}
	live_security_value(s, fd, "enforce", "enforce", problems);
	live_security_value(s, fd, "policyvers", "policyvers", problems);
	live_security_value(s, fd, "mls", "mls", problems);
	live_security_value(s, fd, "deny_unknown", "deny_unknown", problems);
	json_object_set_new(s, "errors", problems);
	close(fd);
}

/* Each "NAME (MODE)" line of the AppArmor profiles list. */
static json_t *
live_apparmor_profiles(json_t *a, json_t *errors)
{
	json_t *list = json_array(), *p;
	struct live_file f;
	char *cursor, *line, *mode;

	if (live_read(AT_FDCWD, "/sys/kernel/security/apparmor/profiles",
	    LIVE_APPARMOR_PROFILES_MAX, &f) != 0) {
		json_object_set_new(a, "profiles_error", json_string(strerror(errno)));
		if (errno != ENOENT)
			live_note(errors);
		json_decref(list);
		return json_null();
	}
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL) {
		mode = strrchr(line, '(');
		p = json_object();
		if (mode != NULL && mode > line && mode[-1] == ' ') {
			mode[-1] = '\0';
			mode[strcspn(mode, ")")] = '\0';
			json_object_set_new(p, "mode", live_string(mode + 1, strlen(mode + 1)));
		} else
			json_object_set_new(p, "mode", json_null());
		json_object_set_new(p, "name", live_string(line, strlen(line)));
		json_array_append_new(list, p);
	}
	json_object_set_new(a, "profiles_truncated", json_boolean(f.truncated));
	free(f.data);
	return list;
}

/* AppArmor: module parameters (enabled, mode...) and the loaded profiles. */
static void
live_apparmor(json_t *doc, json_t *errors)
{
	json_t *a = json_object(), *problems = json_object();
	int fd;

	json_object_set_new(doc, "apparmor", a);
	fd = open("/sys/module/apparmor/parameters", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	json_object_set_new(a, "present", json_boolean(fd >= 0));
	if (fd < 0) {
		json_decref(problems);
		return;
	}
	live_security_value(a, fd, "enabled", "enabled", problems);
	live_security_value(a, fd, "mode", "mode", problems);
	live_security_value(a, fd, "audit", "audit", problems);
	close(fd);
	json_object_set_new(a, "profiles", live_apparmor_profiles(a, errors));
	json_object_set_new(a, "errors", problems);
}

/* The security source: what audits and confines the host. */
static int
live_security_fill(struct live_run *run)
{
	live_audit(run->doc, run->errors);
	live_selinux(run->doc);
	live_apparmor(run->doc, run->errors);
	live_set_file(run->doc, "lsm", "/sys/kernel/security/lsm", run->errors);
	return 0;
}

const struct live_reader live_reader_security = {
	.origin = "NETLINK_AUDIT (AUDIT_GET, AUDIT_LIST_RULES), /sys/fs/selinux, "
	    "/sys/module/apparmor/parameters, /sys/kernel/security",
	.fill = live_security_fill,
};
