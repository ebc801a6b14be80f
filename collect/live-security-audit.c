/* The security source's audit state: AUDIT_GET and AUDIT_LIST_RULES over NETLINK_AUDIT. */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <linux/audit.h>
#include <linux/netlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"

#include "collector.h"
#include "live.h"

#define LIVE_AUDIT_RULES_MAX	10000

/* The kernel's audit status. */
static int
live_audit_status(const struct nlmsghdr *h, void *arg)
{
	const struct audit_status *s = NLMSG_DATA(h);
	json_t *o;

	if (h->nlmsg_type != AUDIT_GET || h->nlmsg_len < NLMSG_LENGTH(sizeof *s))
		return 0;
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "enabled", (json_int_t)s->enabled, "failure", (json_int_t)s->failure,
	    "pid", (json_int_t)s->pid, "rate_limit", (json_int_t)s->rate_limit,
	    "backlog_limit", (json_int_t)s->backlog_limit,
	    "lost", (json_int_t)s->lost, "backlog", (json_int_t)s->backlog,
	    "feature_bitmap", (json_int_t)s->feature_bitmap);
	if (o == NULL || json_object_update(arg, o) != 0) {
		json_decref(o);
		return errno = ENOMEM, -1;
	}
	json_decref(o);
	return 0;
}

/* Whether a rule field carries a string in the rule's buffer. */
static bool
live_audit_string_field(uint32_t field)
{
	return (field >= AUDIT_SUBJ_USER && field <= AUDIT_OBJ_LEV_HIGH &&
	    field != AUDIT_PPID) || field == AUDIT_WATCH || field == AUDIT_DIR ||
	    field == AUDIT_FILTERKEY || field == AUDIT_EXE;
}

/* A rule's fields, strings taken from its buffer within its bounds. */
static json_t *
live_audit_fields(const struct audit_rule_data *r, size_t payload)
{
	json_t *fields = json_array(), *f;
	size_t used = 0, i, count = r->field_count;

	if (count > AUDIT_MAX_FIELDS)
		count = AUDIT_MAX_FIELDS;
	for (i = 0; i < count; i++) {
		f = json_pack("{s:I, s:I}", "field", (json_int_t)r->fields[i],
		    "op", (json_int_t)r->fieldflags[i]);
		if (live_audit_string_field(r->fields[i]) &&
		    r->values[i] <= r->buflen - used &&
		    sizeof *r + used + r->values[i] <= payload) {
			json_object_set_new(f, "string",
			    live_string(r->buf + used, r->values[i]));
			used += r->values[i];
		} else
			json_object_set_new(f, "value", json_integer(r->values[i]));
		json_array_append_new(fields, f);
	}
	return fields;
}

/* The system calls a rule names: "all", or their numbers. */
static json_t *
live_audit_syscalls(const struct audit_rule_data *r)
{
	json_t *list = json_array();
	size_t i, set = 0;

	for (i = 0; i < 32 * AUDIT_BITMASK_SIZE; i++)
		if (r->mask[i / 32] & (1U << (i % 32)))
			set++;
	if (set == 32 * AUDIT_BITMASK_SIZE) {
		json_decref(list);
		return json_string("all");
	}
	for (i = 0; i < 32 * AUDIT_BITMASK_SIZE; i++)
		if (r->mask[i / 32] & (1U << (i % 32)))
			json_array_append_new(list, json_integer((json_int_t)i));
	return list;
}

/* One AUDIT_LIST_RULES answer. */
static int
live_audit_rule(const struct nlmsghdr *h, void *arg)
{
	static const char *lists[] = { "user", "task", "entry", "watch", "exit",
	    "exclude", "filesystem", "io_uring" };
	static const char *actions[] = { "never", "possible", "always" };
	const struct audit_rule_data *r = NLMSG_DATA(h);
	size_t payload;
	unsigned list, action;
	json_t *o;

	if (h->nlmsg_type != AUDIT_LIST_RULES ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof *r))
		return 0;
	payload = h->nlmsg_len - NLMSG_LENGTH(0);
	list = r->flags & ~AUDIT_FILTER_PREPEND;
	action = r->action;
	o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:o}", "flags", (json_int_t)r->flags,
	    "list", list < 8 ? lists[list] : "unknown", "action", (json_int_t)action,
	    "action_name", action < 3 ? actions[action] : "unknown",
	    "syscalls", live_audit_syscalls(r), "fields", live_audit_fields(r, payload));
	return o != NULL && json_array_append_new(arg, o) == 0 ? 0 :
	    (errno = ENOMEM, -1);
}

/* One audit request (AUDIT_GET or AUDIT_LIST_RULES). 0 or -1 (dump->error). */
static int
live_audit_request(int type, bool single, size_t max, live_netlink_fn fn,
    void *arg, struct live_dump *dump)
{
	struct nlmsghdr request;

	memset(&request, 0, sizeof request);
	request.nlmsg_len = NLMSG_LENGTH(0);
	request.nlmsg_type = (unsigned short)type;
	/* No NLM_F_ACK: audit answers from a thread, after the acknowledgement. */
	request.nlmsg_flags = NLM_F_REQUEST;
	dump->max = max;
	dump->single = single;
	return live_netlink_request(NETLINK_AUDIT, &request, dump, fn, arg);
}

/* Audit status and rules into doc["audit"], with the reason when refused. */
void
live_audit(json_t *doc, json_t *errors)
{
	json_t *audit = json_object(), *rules;
	struct live_dump dump;

	json_object_set_new(doc, "audit", audit);
	/*
	 * Without CONFIG_AUDIT, opening the socket would have the kernel run
	 * modprobe for it; /proc/self/loginuid exists exactly when audit does.
	 */
	if (access("/proc/self/loginuid", F_OK) != 0) {
		json_object_set_new(audit, "status_error", json_string("no audit "
		    "support in this kernel (no /proc/self/loginuid)"));
		return;
	}
	if (live_audit_request(AUDIT_GET, true, 1, live_audit_status, audit,
	    &dump) != 0) {
		json_object_set_new(audit, "status_error", json_string(strerror(dump.error)));
		error_set("audit status: %s", strerror(dump.error));
		live_note(errors);
		return;
	}
	rules = json_array();
	if (live_audit_request(AUDIT_LIST_RULES, false, LIVE_AUDIT_RULES_MAX,
	    live_audit_rule, rules, &dump) != 0) {
		json_object_set_new(audit, "rules_error", json_string(strerror(dump.error)));
		json_decref(rules);
		error_set("audit rules: %s", strerror(dump.error));
		live_note(errors);
		return;
	}
	json_object_set_new(audit, "rules", rules);
	json_object_set_new(audit, "rules_truncated", json_boolean(dump.truncated));
}
