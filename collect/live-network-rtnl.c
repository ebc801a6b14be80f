/* The network source's links, addresses and neighbours, from rtnetlink dumps. */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"

#include "collector.h"
#include "live.h"

/* What one dump fills: the list, and the interface names found so far. */
struct live_rtnl {
	json_t	*list;
	json_t	*names;		/* ifindex (text) to name */
};

/* A hardware address as colon-separated hex, as ip(8) writes it. */
static json_t *
live_hardware_address(const struct nlattr *a)
{
	const unsigned char *bytes;
	char text[3 * 32];
	size_t len, i;

	if (a == NULL)
		return json_null();
	bytes = live_netlink_payload(a, &len);
	if (len > 32)
		len = 32;
	text[0] = '\0';
	for (i = 0; i < len; i++)
		snprintf(text + 3 * i, sizeof text - 3 * i, "%02x%s", bytes[i],
		    i + 1 < len ? ":" : "");
	return json_string(text);
}

/* An IPv4 or IPv6 address attribute as text; null when malformed. */
static json_t *
live_address_text(int family, const struct nlattr *a)
{
	char text[INET6_ADDRSTRLEN];
	const void *data;
	size_t len;

	if (a == NULL)
		return json_null();
	data = live_netlink_payload(a, &len);
	if ((family == AF_INET && len != 4) || (family == AF_INET6 && len != 16) ||
	    (family != AF_INET && family != AF_INET6) ||
	    inet_ntop(family, data, text, sizeof text) == NULL)
		return json_null();
	return json_string(text);
}

/* A string attribute (an interface name, a label), or null. */
static json_t *
live_attr_string(const struct nlattr *a)
{
	const char *data;
	size_t len;

	if (a == NULL)
		return json_null();
	data = live_netlink_payload(a, &len);
	len = strnlen(data, len);
	return live_string(data, len);
}

/* A u32 attribute, or null. */
static json_t *
live_attr_u32(const struct nlattr *a)
{
	uint32_t v;

	return live_netlink_value(a, &v, sizeof v) ?
	    json_integer((json_int_t)v) : json_null();
}

/* The name of an interface's operational state (RFC 2863). */
static const char *
live_operstate(const struct nlattr *a)
{
	static const char *names[] = { "UNKNOWN", "NOTPRESENT", "DOWN",
	    "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP" };
	uint8_t state;

	if (!live_netlink_value(a, &state, sizeof state))
		return NULL;
	return state < 7 ? names[state] : "UNKNOWN";
}

/* The kind of a virtual link (veth, bridge, vlan...), from IFLA_LINKINFO. */
static json_t *
live_link_kind(const struct nlattr *info)
{
	const struct nlattr *t[IFLA_INFO_MAX + 1];
	const void *data;
	size_t len;

	if (info == NULL)
		return json_null();
	data = live_netlink_payload(info, &len);
	live_netlink_attrs(data, len, t, IFLA_INFO_MAX + 1);
	return live_attr_string(t[IFLA_INFO_KIND]);
}

/* One RTM_NEWLINK answer. */
static int
live_link(const struct nlmsghdr *h, void *arg)
{
	static const struct live_flag flags[] = { { IFF_UP, "UP" },
	    { IFF_BROADCAST, "BROADCAST" }, { IFF_DEBUG, "DEBUG" },
	    { IFF_LOOPBACK, "LOOPBACK" }, { IFF_POINTOPOINT, "POINTOPOINT" },
	    { IFF_NOTRAILERS, "NOTRAILERS" }, { IFF_RUNNING, "RUNNING" },
	    { IFF_NOARP, "NOARP" }, { IFF_PROMISC, "PROMISC" },
	    { IFF_ALLMULTI, "ALLMULTI" }, { IFF_MASTER, "MASTER" },
	    { IFF_SLAVE, "SLAVE" }, { IFF_MULTICAST, "MULTICAST" },
	    { IFF_PORTSEL, "PORTSEL" }, { IFF_AUTOMEDIA, "AUTOMEDIA" },
	    { IFF_DYNAMIC, "DYNAMIC" }, { 1 << 16, "LOWER_UP" },
	    { 1 << 17, "DORMANT" }, { 1 << 18, "ECHO" } };
	struct live_rtnl *r = arg;
	const struct nlattr *t[IFLA_MAX + 1];
	const struct ifinfomsg *m = NLMSG_DATA(h);
	const char *state;
	char index[16];
	json_t *l, *name;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof *m))
		return 0;
	live_netlink_attrs(IFLA_RTA(m), h->nlmsg_len - NLMSG_LENGTH(sizeof *m),
	    t, IFLA_MAX + 1);
	name = live_attr_string(t[IFLA_IFNAME]);
	snprintf(index, sizeof index, "%d", m->ifi_index);
	json_object_set(r->names, index, name);
	state = live_operstate(t[IFLA_OPERSTATE]);
	l = json_pack("{s:i, s:o, s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o}", "ifindex", m->ifi_index, "ifname", name,
	    "type", (int)m->ifi_type, "flags", (json_int_t)m->ifi_flags,
	    "flags_text", live_flag_names(m->ifi_flags, flags,
	    sizeof flags / sizeof flags[0]),
	    "mtu", live_attr_u32(t[IFLA_MTU]),
	    "operstate", state != NULL ? json_string(state) : json_null(),
	    "address", live_hardware_address(t[IFLA_ADDRESS]),
	    "broadcast", live_hardware_address(t[IFLA_BROADCAST]),
	    "master", live_attr_u32(t[IFLA_MASTER]),
	    "link", live_attr_u32(t[IFLA_LINK]),
	    "qdisc", live_attr_string(t[IFLA_QDISC]),
	    "kind", live_link_kind(t[IFLA_LINKINFO]));
	if (l == NULL || json_array_append_new(r->list, l) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The name of a route scope. */
static const char *
live_scope(unsigned scope)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_NOWHERE:
		return "nowhere";
	}
	return "unknown";
}

/* The interface name an index had in the links dump, or null. */
static json_t *
live_ifname(const struct live_rtnl *r, int ifindex)
{
	char index[16];
	json_t *name;

	snprintf(index, sizeof index, "%d", ifindex);
	name = json_object_get(r->names, index);
	return name != NULL ? json_incref(name) : json_null();
}

/* The lifetimes of an address (seconds; null for forever). */
static void
live_address_lifetimes(json_t *a, const struct nlattr *cache)
{
	struct ifa_cacheinfo c;

	if (!live_netlink_value(cache, &c, sizeof c))
		return;
	json_object_set_new(a, "valid_lifetime", c.ifa_valid == 0xffffffffU ?
	    json_null() : json_integer(c.ifa_valid));
	json_object_set_new(a, "preferred_lifetime",
	    c.ifa_prefered == 0xffffffffU ? json_null() :
	    json_integer(c.ifa_prefered));
}

/* One RTM_NEWADDR answer. */
static int
live_address(const struct nlmsghdr *h, void *arg)
{
	static const struct live_flag flags[] = { { IFA_F_SECONDARY, "secondary" },
	    { IFA_F_NODAD, "nodad" }, { IFA_F_OPTIMISTIC, "optimistic" },
	    { IFA_F_DADFAILED, "dadfailed" }, { IFA_F_HOMEADDRESS, "home" },
	    { IFA_F_DEPRECATED, "deprecated" }, { IFA_F_TENTATIVE, "tentative" },
	    { IFA_F_PERMANENT, "permanent" }, { IFA_F_MANAGETEMPADDR,
	    "mngtmpaddr" }, { IFA_F_NOPREFIXROUTE, "noprefixroute" },
	    { IFA_F_MCAUTOJOIN, "autojoin" }, { IFA_F_STABLE_PRIVACY,
	    "stable-privacy" } };
	struct live_rtnl *r = arg;
	const struct nlattr *t[IFA_MAX + 1];
	const struct ifaddrmsg *m = NLMSG_DATA(h);
	const struct nlattr *local;
	uint32_t word = 0;
	json_t *a;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof *m))
		return 0;
	live_netlink_attrs(IFA_RTA(m), h->nlmsg_len - NLMSG_LENGTH(sizeof *m),
	    t, IFA_MAX + 1);
	if (!live_netlink_value(t[IFA_FLAGS], &word, sizeof word))
		word = m->ifa_flags;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS differs on a point-to-point link. */
	local = t[IFA_LOCAL] != NULL ? t[IFA_LOCAL] : t[IFA_ADDRESS];
	a = json_pack("{s:i, s:o, s:s, s:o, s:i, s:s, s:I, s:o, s:o, s:o}",
	    "ifindex", (int)m->ifa_index, "ifname", live_ifname(r, m->ifa_index),
	    "family", m->ifa_family == AF_INET ? "inet" :
	    m->ifa_family == AF_INET6 ? "inet6" : "other",
	    "address", live_address_text(m->ifa_family, local),
	    "prefix_length", (int)m->ifa_prefixlen,
	    "scope", live_scope(m->ifa_scope), "flags", (json_int_t)word,
	    "flags_text", live_flag_names(word, flags, sizeof flags / sizeof flags[0]),
	    "label", live_attr_string(t[IFA_LABEL]),
	    "broadcast", live_address_text(m->ifa_family, t[IFA_BROADCAST]));
	if (a == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (t[IFA_LOCAL] != NULL && t[IFA_ADDRESS] != NULL &&
	    (t[IFA_LOCAL]->nla_len != t[IFA_ADDRESS]->nla_len ||
	    memcmp((const char *)t[IFA_LOCAL] + NLA_HDRLEN,
	    (const char *)t[IFA_ADDRESS] + NLA_HDRLEN,
	    t[IFA_LOCAL]->nla_len - NLA_HDRLEN) != 0))
		json_object_set_new(a, "peer",
		    live_address_text(m->ifa_family, t[IFA_ADDRESS]));
	live_address_lifetimes(a, t[IFA_CACHEINFO]);
	return json_array_append_new(r->list, a) == 0 ? 0 : (errno = ENOMEM, -1);
}

/* One RTM_NEWNEIGH answer: an ARP or NDP entry. */
static int
live_neighbour(const struct nlmsghdr *h, void *arg)
{
	static const struct live_flag states[] = { { NUD_INCOMPLETE, "INCOMPLETE" },
	    { NUD_REACHABLE, "REACHABLE" }, { NUD_STALE, "STALE" },
	    { NUD_DELAY, "DELAY" }, { NUD_PROBE, "PROBE" },
	    { NUD_FAILED, "FAILED" }, { NUD_NOARP, "NOARP" },
	    { NUD_PERMANENT, "PERMANENT" } };
	static const struct live_flag flags[] = { { NTF_USE, "use" },
	    { NTF_SELF, "self" }, { NTF_MASTER, "master" }, { NTF_PROXY, "proxy" },
	    { NTF_EXT_LEARNED, "extern_learn" }, { NTF_ROUTER, "router" } };
	struct live_rtnl *r = arg;
	const struct nlattr *t[NDA_MAX + 1];
	const struct ndmsg *m = NLMSG_DATA(h);
	json_t *n;

	if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof *m))
		return 0;
	live_netlink_attrs((const char *)m + NLMSG_ALIGN(sizeof *m),
	    h->nlmsg_len - NLMSG_LENGTH(sizeof *m), t, NDA_MAX + 1);
	n = json_pack("{s:i, s:o, s:s, s:o, s:o, s:i, s:o, s:o, s:o}",
	    "ifindex", m->ndm_ifindex, "ifname", live_ifname(r, m->ndm_ifindex),
	    "family", m->ndm_family == AF_INET ? "inet" :
	    m->ndm_family == AF_INET6 ? "inet6" : "other",
	    "address", live_address_text(m->ndm_family, t[NDA_DST]),
	    "hw_address", live_hardware_address(t[NDA_LLADDR]),
	    "state", (int)m->ndm_state, "state_text",
	    live_flag_names(m->ndm_state, states, sizeof states / sizeof states[0]),
	    "flags_text", live_flag_names(m->ndm_flags, flags,
	    sizeof flags / sizeof flags[0]),
	    "probes", live_attr_u32(t[NDA_PROBES]));
	if (n == NULL || json_array_append_new(r->list, n) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* One rtnetlink dump into doc[key], with doc[key_truncated]. 0 or -1. */
static int
live_rtnl_dump(json_t *doc, json_t *errors, const char *key, int type,
    size_t header, live_netlink_fn fn, json_t *names)
{
	struct {
		struct nlmsghdr	 h;
		char		 body[sizeof(struct ifinfomsg)];
	} request;
	struct live_rtnl r = { .list = json_array(), .names = names };
	struct live_dump dump = { .max = LIVE_NETLINK_RECORDS_MAX };
	char flag[64];

	memset(&request, 0, sizeof request);
	request.h.nlmsg_len = NLMSG_LENGTH(header);
	request.h.nlmsg_type = (unsigned short)type;
	request.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	/* The family is the first byte of every one of these headers: any. */
	request.body[0] = AF_UNSPEC;
	snprintf(flag, sizeof flag, "%s_truncated", key);
	if (live_netlink_request(NETLINK_ROUTE, &request.h, &dump, fn, &r) != 0) {
		error_set("rtnetlink %s: %s", key, strerror(dump.error));
		live_note(errors);
		json_decref(r.list);
		json_object_set_new(doc, key, json_null());
		return -1;
	}
	json_object_set_new(doc, key, r.list);
	json_object_set_new(doc, flag, json_boolean(dump.truncated));
	return 0;
}

/* Links, addresses and neighbours; the number of dumps that could be read. */
int
live_rtnl_fill(json_t *doc, json_t *errors)
{
	json_t *names = json_object();
	int readable = 0;

	readable += live_rtnl_dump(doc, errors, "links", RTM_GETLINK,
	    sizeof(struct ifinfomsg), live_link, names) == 0;
	readable += live_rtnl_dump(doc, errors, "addresses", RTM_GETADDR,
	    sizeof(struct ifaddrmsg), live_address, names) == 0;
	readable += live_rtnl_dump(doc, errors, "neighbours", RTM_GETNEIGH,
	    sizeof(struct ndmsg), live_neighbour, names) == 0;
	json_decref(names);
	return readable;
}
