/* The conntrack source: the connection-tracking table, over ctnetlink. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* A nested attribute's members, indexed by type. */
static void
live_nested(const struct nlattr *a, const struct nlattr **t, size_t max)
{
	const void *data;
	size_t len;

	if (a == NULL) {
		memset(t, 0, max * sizeof *t);
		return;
	}
	data = live_netlink_payload(a, &len);
	live_netlink_attrs(data, len, t, max);
}

/* A big-endian attribute of 1, 2, 4 or 8 bytes as a number, or null. */
static json_t *
live_be(const struct nlattr *a, size_t size)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	if (size == 8 && live_netlink_value(a, &v64, 8))
		return json_integer((json_int_t)be64toh(v64));
	if (size == 4 && live_netlink_value(a, &v32, 4))
		return json_integer((json_int_t)ntohl(v32));
	if (size == 2 && live_netlink_value(a, &v16, 2))
		return json_integer(ntohs(v16));
	if (size == 1 && live_netlink_value(a, &v8, 1))
		return json_integer(v8);
	return json_null();
}

/* An address attribute of the given length as text, or null. */
static json_t *
live_ct_address(const struct nlattr *a, int family, size_t size)
{
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN];

	if (!live_netlink_value(a, bytes, size) ||
	    inet_ntop(family, bytes, text, sizeof text) == NULL)
		return json_null();
	return json_string(text);
}

/* The name of an IP protocol number conntrack tracks. */
static const char *
live_ct_protocol(unsigned number)
{
	switch (number) {
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_DCCP:
		return "dccp";
	case IPPROTO_GRE:
		return "gre";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	}
	return "unknown";
}

/* One direction's tuple: addresses, protocol, ports or ICMP fields. */
static json_t *
live_ct_tuple(const struct nlattr *tuple, unsigned *protocol)
{
	const struct nlattr *t[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1];
	const struct nlattr *p[CTA_PROTO_MAX + 1];
	uint8_t number = 0;
	json_t *o;

	if (tuple == NULL)
		return json_null();
	live_nested(tuple, t, CTA_TUPLE_MAX + 1);
	live_nested(t[CTA_TUPLE_IP], ip, CTA_IP_MAX + 1);
	live_nested(t[CTA_TUPLE_PROTO], p, CTA_PROTO_MAX + 1);
	o = json_object();
	if (ip[CTA_IP_V4_SRC] != NULL || ip[CTA_IP_V4_DST] != NULL) {
		json_object_set_new(o, "src", live_ct_address(ip[CTA_IP_V4_SRC], AF_INET, 4));
		json_object_set_new(o, "dst", live_ct_address(ip[CTA_IP_V4_DST], AF_INET, 4));
	} else {
		json_object_set_new(o, "src", live_ct_address(ip[CTA_IP_V6_SRC], AF_INET6, 16));
		json_object_set_new(o, "dst", live_ct_address(ip[CTA_IP_V6_DST], AF_INET6, 16));
	}
	live_netlink_value(p[CTA_PROTO_NUM], &number, 1);
	*protocol = number;
	if (p[CTA_PROTO_SRC_PORT] != NULL || p[CTA_PROTO_DST_PORT] != NULL) {
		json_object_set_new(o, "sport", live_be(p[CTA_PROTO_SRC_PORT], 2));
		json_object_set_new(o, "dport", live_be(p[CTA_PROTO_DST_PORT], 2));
	}
	if (p[CTA_PROTO_ICMP_TYPE] != NULL || p[CTA_PROTO_ICMPV6_TYPE] != NULL) {
		json_object_set_new(o, "icmp_type", live_be(p[number ==
		    IPPROTO_ICMP ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE], 1));
		json_object_set_new(o, "icmp_code", live_be(p[number ==
		    IPPROTO_ICMP ? CTA_PROTO_ICMP_CODE : CTA_PROTO_ICMPV6_CODE], 1));
		json_object_set_new(o, "icmp_id", live_be(p[number ==
		    IPPROTO_ICMP ? CTA_PROTO_ICMP_ID : CTA_PROTO_ICMPV6_ID], 2));
	}
	if (t[CTA_TUPLE_ZONE] != NULL)
		json_object_set_new(o, "zone", live_be(t[CTA_TUPLE_ZONE], 2));
	return o;
}

/* The TCP state of a flow, by the kernel's numbering, or null. */
static json_t *
live_ct_tcp_state(const struct nlattr *protoinfo)
{
	static const char *names[] = { "NONE", "SYN_SENT", "SYN_RECV",
	    "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
	    "CLOSE", "SYN_SENT2" };
	const struct nlattr *p[CTA_PROTOINFO_MAX + 1];
	const struct nlattr *tcp[CTA_PROTOINFO_TCP_MAX + 1];
	uint8_t state;

	live_nested(protoinfo, p, CTA_PROTOINFO_MAX + 1);
	live_nested(p[CTA_PROTOINFO_TCP], tcp, CTA_PROTOINFO_TCP_MAX + 1);
	if (!live_netlink_value(tcp[CTA_PROTOINFO_TCP_STATE], &state, 1))
		return json_null();
	return json_string(state < 10 ? names[state] : "UNKNOWN");
}

/* One direction's counters, or null when accounting is off. */
static json_t *
live_ct_counters(const struct nlattr *a)
{
	const struct nlattr *c[CTA_COUNTERS_MAX + 1];

	if (a == NULL)
		return json_null();
	live_nested(a, c, CTA_COUNTERS_MAX + 1);
	return json_pack("{s:o, s:o}", "packets", live_be(c[CTA_COUNTERS_PACKETS], 8),
	    "bytes", live_be(c[CTA_COUNTERS_BYTES], 8));
}

/* A nanosecond wall-clock attribute as UTC text, or null. */
static json_t *
live_ct_time(const struct nlattr *a)
{
	static const struct timespec epoch;
	uint64_t ns;

	if (!live_netlink_value(a, &ns, 8) || (ns = be64toh(ns)) == 0)
		return json_null();
	return live_time_after(&epoch, ns);
}

/* The flow's start and end times (nf_conntrack_timestamp=1), or null. */
static json_t *
live_ct_timestamps(const struct nlattr *a)
{
	const struct nlattr *t[CTA_TIMESTAMP_MAX + 1];

	if (a == NULL)
		return json_null();
	live_nested(a, t, CTA_TIMESTAMP_MAX + 1);
	return json_pack("{s:o, s:o}", "start", live_ct_time(t[CTA_TIMESTAMP_START]),
	    "stop", live_ct_time(t[CTA_TIMESTAMP_STOP]));
}

/* The status bits of a flow, by name. */
static json_t *
live_ct_status(uint32_t status)
{
	static const struct live_flag bits[] = { { 1 << 0, "EXPECTED" },
	    { 1 << 1, "SEEN_REPLY" }, { 1 << 2, "ASSURED" },
	    { 1 << 3, "CONFIRMED" }, { 1 << 4, "SRC_NAT" }, { 1 << 5, "DST_NAT" },
	    { 1 << 6, "SEQ_ADJUST" }, { 1 << 7, "SRC_NAT_DONE" },
	    { 1 << 8, "DST_NAT_DONE" }, { 1 << 9, "DYING" },
	    { 1 << 10, "FIXED_TIMEOUT" }, { 1 << 11, "TEMPLATE" },
	    { 1 << 12, "UNTRACKED" }, { 1 << 13, "HELPER" },
	    { 1 << 14, "OFFLOAD" }, { 1 << 15, "HW_OFFLOAD" } };

	return live_flag_names(status, bits, sizeof bits / sizeof bits[0]);
}

/* One IPCTNL_MSG_CT_NEW answer: a flow. */
static int
live_ct_flow(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *t[CTA_MAX + 1];
	const struct nfgenmsg *g = NLMSG_DATA(h);
	unsigned protocol = 0, ignored;
	uint32_t status = 0;
	json_t *flow;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *g))
		return 0;
	live_netlink_attrs((const char *)g + NLMSG_ALIGN(sizeof *g),
	    h->nlmsg_len - NLMSG_LENGTH(sizeof *g), t, CTA_MAX + 1);
	if (live_netlink_value(t[CTA_STATUS], &status, 4))
		status = ntohl(status);
	flow = json_pack("{s:s, s:o, s:o}", "family", g->nfgen_family == AF_INET ?
	    "ipv4" : g->nfgen_family == AF_INET6 ? "ipv6" : "other",
	    "original", live_ct_tuple(t[CTA_TUPLE_ORIG], &protocol),
	    "reply", live_ct_tuple(t[CTA_TUPLE_REPLY], &ignored));
	if (flow == NULL)
		return errno = ENOMEM, -1;
	json_object_set_new(flow, "protocol", json_integer(protocol));
	json_object_set_new(flow, "protocol_name",
	    json_string(live_ct_protocol(protocol)));
	json_object_set_new(flow, "state", live_ct_tcp_state(t[CTA_PROTOINFO]));
	json_object_set_new(flow, "status", json_integer(status));
	json_object_set_new(flow, "status_text", live_ct_status(status));
	json_object_set_new(flow, "timeout", live_be(t[CTA_TIMEOUT], 4));
	json_object_set_new(flow, "mark", live_be(t[CTA_MARK], 4));
	json_object_set_new(flow, "zone", live_be(t[CTA_ZONE], 2));
	json_object_set_new(flow, "use", live_be(t[CTA_USE], 4));
	json_object_set_new(flow, "id", live_be(t[CTA_ID], 4));
	json_object_set_new(flow, "counters_original",
	    live_ct_counters(t[CTA_COUNTERS_ORIG]));
	json_object_set_new(flow, "counters_reply",
	    live_ct_counters(t[CTA_COUNTERS_REPLY]));
	json_object_set_new(flow, "timestamps", live_ct_timestamps(t[CTA_TIMESTAMP]));
	return json_array_append_new(arg, flow) == 0 ? 0 : (errno = ENOMEM, -1);
}

/* True when a name is listed in a file of module names or paths. */
static bool
live_module_listed(const char *path, const char *name)
{
	struct live_file f;
	char *cursor, *line, *base;
	bool found = false;

	if (live_read(AT_FDCWD, path, LIVE_TABLE_MAX, &f) != 0)
		return false;
	cursor = f.data;
	while (!found && (line = util_next_line(&cursor)) != NULL) {
		line[strcspn(line, " ")] = '\0';
		base = strrchr(line, '/') != NULL ? strrchr(line, '/') + 1 : line;
		found = strcmp(base, name) == 0;
	}
	free(f.data);
	return found;
}

/*
 * Whether a ctnetlink dump can run without making the kernel load a
 * module: the kernel loads none (no /proc/modules), or nf_conntrack_netlink
 * is loaded or built into the live kernel (its own /lib/modules, never a
 * root: tree's).
 */
static bool
live_ctnetlink_present(void)
{
	char path[PATH_MAX];
	struct utsname u;
	struct stat st;

	if (access("/proc/modules", F_OK) != 0 && errno == ENOENT)
		return true;
	if (fstatat(AT_FDCWD, "/sys/module/nf_conntrack_netlink", &st,
	    AT_NO_AUTOMOUNT) == 0 ||
	    live_module_listed("/proc/modules", "nf_conntrack_netlink"))
		return true;
	if (uname(&u) != 0 || (size_t)snprintf(path, sizeof path,
	    "/lib/modules/%s/modules.builtin", u.release) >= sizeof path)
		return false;
	return live_module_listed(path, "nf_conntrack_netlink.ko");
}

/* The table over ctnetlink into doc. 0, or -1 when the dump failed. */
static int
live_ct_dump(json_t *doc, json_t *errors)
{
	struct {
		struct nlmsghdr	 h;
		struct nfgenmsg	 g;
	} request;
	struct live_dump dump = { .max = LIVE_NETLINK_RECORDS_MAX };
	json_t *flows = json_array();

	memset(&request, 0, sizeof request);
	request.h.nlmsg_len = NLMSG_LENGTH(sizeof request.g);
	request.h.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	request.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	request.g.nfgen_family = AF_UNSPEC;
	request.g.version = NFNETLINK_V0;
	if (live_netlink_request(NETLINK_NETFILTER, &request.h, &dump,
	    live_ct_flow, flows) != 0) {
		error_set("ctnetlink dump: %s", strerror(dump.error));
		live_note(errors);
		json_object_set_new(doc, "netlink_error", json_string(strerror(dump.error)));
		json_decref(flows);
		return -1;
	}
	json_object_set_new(doc, "method", json_string("netlink"));
	live_set_count(doc, flows);
	json_object_set_new(doc, "truncated", json_boolean(dump.truncated));
	json_object_set_new(doc, "flows", flows);
	return 0;
}

/* The table from /proc/net/nf_conntrack, one line a flow. 0 or -1. */
static int
live_ct_proc(json_t *doc, json_t *errors)
{
	struct live_file f;
	char *cursor, *line;
	json_t *lines = json_array();

	if (live_read(AT_FDCWD, "/proc/net/nf_conntrack", LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		json_decref(lines);
		return -1;
	}
	cursor = f.data;
	while ((line = util_next_line(&cursor)) != NULL)
		json_array_append_new(lines, live_string(line, strlen(line)));
	free(f.data);
	json_object_set_new(doc, "method", json_string("proc"));
	live_set_count(doc, lines);
	json_object_set_new(doc, "truncated", json_boolean(f.truncated));
	json_object_set_new(doc, "proc_lines", lines);
	return 0;
}

/* The conntrack source: ctnetlink, else /proc/net/nf_conntrack; never loads a module. */
static int
live_conntrack(struct live_run *run)
{
	json_t *doc = run->doc, *errors = run->errors;
	struct stat st;
	bool loaded;

	loaded = fstatat(AT_FDCWD, "/sys/module/nf_conntrack", &st,
	    AT_NO_AUTOMOUNT) == 0 ||
	    access("/proc/net/nf_conntrack", F_OK) == 0;
	json_object_set_new(doc, "loaded", json_boolean(loaded));
	if (!loaded) {
		json_object_set_new(doc, "note", json_string("nf_conntrack is not "
		    "loaded: no connection tracking (not loaded by custody)"));
		json_object_set_new(doc, "method", json_null());
		return 0;
	}
	if (live_ctnetlink_present() && live_ct_dump(doc, errors) == 0)
		return 0;
	if (!live_ctnetlink_present())
		json_object_set_new(doc, "note", json_string("nf_conntrack_netlink "
		    "is not loaded (not loaded by custody): read from /proc"));
	if (live_ct_proc(doc, errors) == 0)
		return 0;
	json_object_set_new(doc, "method", json_null());
	return 0;
}

const struct live_reader live_reader_conntrack = {
	.origin = "ctnetlink (NETLINK_NETFILTER IPCTNL_MSG_CT_GET), "
	    "/proc/net/nf_conntrack",
	.fill = live_conntrack,
};
