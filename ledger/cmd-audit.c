/* Placeholder while the audit is written: refuses. */
#include "config.h"

#include "custody/command.h"

/* Not yet. */
static int
cmd_audit_exec(int argc, char **argv)
{
	(void)argc, (void)argv;
	error_set("audit is not available yet");
	return command_fail("audit", EXIT_USAGE);
}

const struct command cmd_audit_entry = {
	"audit", "audit --case DIR [--json]", "report custody anomalies",
	cmd_audit_exec
};
