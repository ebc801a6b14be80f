/* The kernel source: hardening settings, core dumps, lockdown, binfmt_misc. */
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

/* Set key to a file's trimmed text, or null with the reason in problems. */
static void
live_kernel_setting(json_t *settings, json_t *problems, const char *key,
    const char *path)
{
	struct live_file f;

	if (live_read(AT_FDCWD, path, LIVE_SYSFS_VALUE_MAX, &f) != 0) {
		json_object_set_new(settings, key, json_null());
		json_object_set_new(problems, key, json_string(strerror(errno)));
		return;
	}
	live_chomp(&f);
	json_object_set_new(settings, key, live_string(f.data, f.len));
	free(f.data);
}

/* The lockdown mode: the bracketed word of "none [integrity] confidentiality". */
static void
live_lockdown(json_t *doc, json_t *problems)
{
	const char *text, *open_bracket, *close_bracket;
	json_t *raw;

	live_kernel_setting(doc, problems, "lockdown",
	    "/sys/kernel/security/lockdown");
	raw = json_object_get(doc, "lockdown");
	if (!json_is_string(raw))
		return;
	text = json_string_value(raw);
	if ((open_bracket = strchr(text, '[')) != NULL &&
	    (close_bracket = strchr(open_bracket, ']')) != NULL)
		json_object_set_new(doc, "lockdown_mode", json_stringn(open_bracket + 1,
		    (size_t)(close_bracket - open_bracket - 1)));
}

/* The kernel source: what decides how far an intruder with root can go unseen. */
static int
live_kernel_fill(struct live_run *run)
{
	static const struct {
		const char	*key;
		const char	*path;
	} settings[] = {
		{ "core_pattern", "/proc/sys/kernel/core_pattern" },
		{ "core_pipe_limit", "/proc/sys/kernel/core_pipe_limit" },
		{ "core_uses_pid", "/proc/sys/kernel/core_uses_pid" },
		{ "suid_dumpable", "/proc/sys/fs/suid_dumpable" },
		{ "modules_disabled", "/proc/sys/kernel/modules_disabled" },
		{ "modprobe", "/proc/sys/kernel/modprobe" },
		{ "kptr_restrict", "/proc/sys/kernel/kptr_restrict" },
		{ "dmesg_restrict", "/proc/sys/kernel/dmesg_restrict" },
		{ "kexec_load_disabled", "/proc/sys/kernel/kexec_load_disabled" },
		{ "unprivileged_bpf_disabled", "/proc/sys/kernel/unprivileged_bpf_disabled" },
		{ "perf_event_paranoid", "/proc/sys/kernel/perf_event_paranoid" },
		{ "randomize_va_space", "/proc/sys/kernel/randomize_va_space" },
		{ "sysrq", "/proc/sys/kernel/sysrq" },
		{ "yama_ptrace_scope", "/proc/sys/kernel/yama/ptrace_scope" },
		{ "tainted", "/proc/sys/kernel/tainted" },
	};
	json_t *problems = json_object();
	size_t i;

	for (i = 0; i < sizeof settings / sizeof settings[0]; i++)
		live_kernel_setting(run->doc, problems, settings[i].key,
		    settings[i].path);
	live_lockdown(run->doc, problems);
	live_binfmt(run->doc, run->errors);
	json_object_set_new(run->doc, "unreadable", problems);
	return 0;
}

const struct live_reader live_reader_kernel = {
	.origin = "/proc/sys/kernel/{core_pattern,core_pipe_limit,modules_disabled,"
	    "kptr_restrict,yama/ptrace_scope,...}, /sys/kernel/security/lockdown, "
	    "/proc/sys/fs/binfmt_misc",
	.fill = live_kernel_fill,
};
