/* The sockets source's packet and netlink sockets, from /proc/net/{packet,netlink}. */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* The name of a socket type (packet sockets are SOCK_RAW or SOCK_DGRAM). */
static const char *
live_packet_type(unsigned type)
{
	return type == SOCK_RAW ? "raw" : type == SOCK_DGRAM ? "dgram" : "unknown";
}

/* One /proc/net/packet line: who captures frames, of which protocol, on which interface. */
static json_t *
live_packet_socket(const char *line, const struct live_owners *o)
{
	unsigned refs, type, proto, running, uid;
	unsigned long long rmem, inode;
	char name[IF_NAMESIZE];
	int ifindex;

	if (sscanf(line, "%*x %u %u %x %d %u %llu %u %llu", &refs, &type, &proto,
	    &ifindex, &running, &rmem, &uid, &inode) != 8)
		return NULL;
	return json_pack("{s:s, s:i, s:i, s:s, s:i, s:o, s:b, s:I, s:I, s:I, s:o}",
	    "proto", "packet", "type_code", (int)type, "protocol", (int)proto,
	    "type", live_packet_type(type), "ifindex", ifindex,
	    "ifname", ifindex > 0 && if_indextoname((unsigned)ifindex, name) != NULL ?
	    json_string(name) : json_null(), "running", running != 0,
	    "rmem", (json_int_t)rmem, "uid", (json_int_t)uid,
	    "inode", (json_int_t)inode, "owners", live_owners_json(o, inode));
}

/* The name of a netlink protocol. */
static const char *
live_netlink_protocol(unsigned protocol)
{
	static const char *names[] = { "route", "unused", "usersock", "firewall",
	    "sock_diag", "nflog", "xfrm", "selinux", "iscsi", "audit",
	    "fib_lookup", "connector", "netfilter", "ip6_fw", "dnrtmsg",
	    "kobject_uevent", "generic", "unknown", "scsitransport", "ecryptfs",
	    "rdma", "crypto", "smc" };

	return protocol < sizeof names / sizeof names[0] ? names[protocol] : "unknown";
}

/* One /proc/net/netlink line: a netlink socket, its port and groups. */
static json_t *
live_netlink_socket(const char *line, const struct live_owners *o)
{
	unsigned protocol, groups, dump, locks, drops;
	unsigned long long rmem, wmem, inode;
	int port;

	if (sscanf(line, "%*x %u %d %x %llu %llu %u %u %u %llu", &protocol, &port,
	    &groups, &rmem, &wmem, &dump, &locks, &drops, &inode) != 9)
		return NULL;
	return json_pack("{s:s, s:i, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:o}",
	    "proto", "netlink", "protocol", (int)protocol, "protocol_name",
	    live_netlink_protocol(protocol), "port_id", port,
	    "groups", (json_int_t)groups, "rmem", (json_int_t)rmem,
	    "wmem", (json_int_t)wmem, "drops", (json_int_t)drops,
	    "inode", (json_int_t)inode, "owners", live_owners_json(o, inode));
}

/* Every socket of one table into doc[key]. 0, or -1 when unreadable. */
static int
live_link_table(json_t *doc, json_t *errors, const char *key, const char *path,
    json_t *(*parse)(const char *, const struct live_owners *),
    const struct live_owners *o)
{
	struct live_file f;
	char *cursor, *line;
	json_t *list, *s;

	if (live_read(AT_FDCWD, path, LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		json_object_set_new(doc, key, json_null());
		return -1;
	}
	if (f.truncated)
		json_array_append_new(errors, json_sprintf("%s: truncated at %zu bytes",
		    path, f.len));
	list = json_array();
	cursor = f.data;
	util_next_line(&cursor);
	while ((line = util_next_line(&cursor)) != NULL)
		if ((s = parse(line, o)) != NULL)
			json_array_append_new(list, s);
	json_object_set_new(doc, key, list);
	free(f.data);
	return 0;
}

/* Packet and netlink sockets; the number of tables read. */
int
live_link_sockets(json_t *doc, json_t *errors, const struct live_owners *o)
{
	return (live_link_table(doc, errors, "packet", "/proc/net/packet",
	    live_packet_socket, o) == 0) + (live_link_table(doc, errors,
	    "netlink", "/proc/net/netlink", live_netlink_socket, o) == 0);
}
