/*
 * Whether a part of netfilter may be queried without changing the host: a
 * netlink request to nf_tables, or a socket option naming an x_tables
 * table, makes the kernel load the module that serves it when it can
 * (request_module). We query only what is already there.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/util.h"

#include "live.h"
#include "live-firewall.h"

/* Decide from the facts alone. */
enum firewall_decision
firewall_decide(const struct firewall_module_facts *f)
{
	if (f->listed || f->in_sysfs)
		return FIREWALL_QUERY_LOADED;
	if (f->builtin)
		return FIREWALL_QUERY_BUILTIN;
	if (!f->modules_supported || f->modules_disabled)
		return FIREWALL_QUERY_NO_MODULES;
	return FIREWALL_SKIP_NOT_LOADED;
}

/* The decision's words for the document. */
const char *
firewall_decision_text(enum firewall_decision d)
{
	switch (d) {
	case FIREWALL_QUERY_LOADED:
		return "loaded";
	case FIREWALL_QUERY_BUILTIN:
		return "built into the kernel";
	case FIREWALL_QUERY_NO_MODULES:
		return "the kernel loads no modules";
	case FIREWALL_SKIP_NOT_LOADED:
		break;
	}
	return "not loaded; not queried, so that no module is loaded";
}

/* True when text has a line that is word, or ends in "/word.ko". */
static bool
firewall_names(char *text, const char *word, bool path)
{
	char *cursor = text, *line, *end;
	size_t n = strlen(word);

	while ((line = util_next_line(&cursor)) != NULL) {
		end = line + strcspn(line, path ? "\n" : " \n");
		if (!path && (size_t)(end - line) == n &&
		    memcmp(line, word, n) == 0)
			return true;
		if (path && (size_t)(end - line) > n + 4 &&
		    memcmp(end - 3, ".ko", 3) == 0 &&
		    memcmp(end - 3 - n, word, n) == 0 && end[-4 - n] == '/')
			return true;
	}
	return false;
}

/* True when a file of the host names the module. */
static bool
firewall_file_names(const char *path, const char *name, bool module_path,
    bool *exists)
{
	struct live_file f;
	bool found;

	if (live_read(AT_FDCWD, path, LIVE_PROC_MAX, &f) != 0) {
		if (exists != NULL)
			*exists = errno != ENOENT;
		return false;
	}
	if (exists != NULL)
		*exists = true;
	found = firewall_names(f.data, name, module_path);
	free(f.data);
	return found;
}

/* True when a modules.builtin file names the module. */
bool
firewall_builtin_listed(const char *path, const char *name)
{
	return firewall_file_names(path, name, true, NULL);
}

/*
 * Gather the facts about module name from the live host: its own
 * /lib/modules, never a root: tree's, which must not steer what custody
 * asks of the running kernel.
 */
void
firewall_module_facts(const char *name, struct firewall_module_facts *f)
{
	char path[4096];
	struct utsname u;
	struct stat st;
	struct live_file d;
	int n;

	memset(f, 0, sizeof *f);
	f->listed = firewall_file_names("/proc/modules", name, false,
	    &f->modules_supported);
	n = snprintf(path, sizeof path, "/sys/module/%s", name);
	f->in_sysfs = n > 0 && (size_t)n < sizeof path &&
	    fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW |
	    AT_NO_AUTOMOUNT) == 0 && S_ISDIR(st.st_mode);
	if (live_read(AT_FDCWD, "/proc/sys/kernel/modules_disabled",
	    LIVE_PROC_MAX, &d) == 0) {
		f->modules_disabled = d.data[0] == '1';
		free(d.data);
	}
	if (uname(&u) != 0)
		return;
	n = snprintf(path, sizeof path, "/lib/modules/%s/modules.builtin",
	    u.release);
	if (n > 0 && (size_t)n < sizeof path)
		f->builtin = firewall_builtin_listed(path, name);
}

/*
 * True when this process has CAP_NET_ADMIN (bit 12 of CapEff in
 * /proc/self/status), which reading either kind of ruleset needs; when
 * unknown, true, and the kernel will say.
 */
bool
firewall_net_admin(void)
{
	struct live_file f;
	unsigned long long caps;
	char *line;
	bool yes = true;

	if (live_read(AT_FDCWD, "/proc/self/status", LIVE_PROC_MAX, &f) != 0)
		return true;
	if ((line = strstr(f.data, "\nCapEff:")) != NULL &&
	    sscanf(line + 8, "%llx", &caps) == 1)
		yes = (caps >> 12) & 1;
	free(f.data);
	return yes;
}
