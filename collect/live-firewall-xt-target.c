/*
 * What an extension target's data says, for the targets an investigation
 * asks about first: where SNAT, DNAT, MASQUERADE, REDIRECT and NETMAP send
 * a connection. Other targets keep their data in hex only.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include <linux/netfilter/nf_nat.h>

#include <jansson.h>

#include "live.h"
#include "live-firewall.h"

/* The NAT targets, whose data is a range (nf_nat.h). */
static const char *const firewall_nat_targets[] = {
	"SNAT", "DNAT", "MASQUERADE", "REDIRECT", "NETMAP",
};

/* One address of a range as text. */
static json_t *
firewall_nat_address(int family, const void *addr)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(family, addr, text, sizeof text) == NULL)
		return json_null();
	return json_string(text);
}

/* Add a range (flags, addresses when mapped, ports when given) to t. */
static int
firewall_nat_range(json_t *t, int family, unsigned flags, const void *min,
    const void *max, uint16_t min_port, uint16_t max_port)
{
	if (json_object_set_new(t, "nat_flags", json_integer(flags)) != 0)
		return -1;
	if ((flags & NF_NAT_RANGE_MAP_IPS) &&
	    (json_object_set_new(t, "min_address",
	    firewall_nat_address(family, min)) != 0 ||
	    json_object_set_new(t, "max_address",
	    firewall_nat_address(family, max)) != 0))
		return -1;
	if ((flags & NF_NAT_RANGE_PROTO_SPECIFIED) &&
	    (json_object_set_new(t, "min_port", json_integer(ntohs(min_port))) ||
	    json_object_set_new(t, "max_port", json_integer(ntohs(max_port)))))
		return -1;
	return json_object_set_new(t, "random", json_boolean(
	    flags & NF_NAT_RANGE_PROTO_RANDOM_ALL)) != 0 ||
	    json_object_set_new(t, "persistent", json_boolean(
	    flags & NF_NAT_RANGE_PERSISTENT)) != 0 ? -1 : 0;
}

/* Revision 0 of the IPv4 targets: nf_nat_ipv4_multi_range_compat. */
static int
firewall_nat_compat(json_t *t, const unsigned char *data, size_t len)
{
	struct nf_nat_ipv4_multi_range_compat r;

	if (len < sizeof r)
		return json_object_set_new(t, "error",
		    json_string("NAT range too short"));
	memcpy(&r, data, sizeof r);
	if (r.rangesize != 1 && json_object_set_new(t, "rangesize",
	    json_integer(r.rangesize)) != 0)
		return -1;
	return firewall_nat_range(t, AF_INET, r.range[0].flags,
	    &r.range[0].min_ip, &r.range[0].max_ip, r.range[0].min.all,
	    r.range[0].max.all);
}

/* Revisions 1 and 2: nf_nat_range, nf_nat_range2 (with a base port). */
static int
firewall_nat_range12(json_t *t, int family, unsigned revision,
    const unsigned char *data, size_t len)
{
	struct nf_nat_range2 r;

	memset(&r, 0, sizeof r);
	if (len < sizeof(struct nf_nat_range) ||
	    (revision >= 2 && len < sizeof r))
		return json_object_set_new(t, "error",
		    json_string("NAT range too short"));
	memcpy(&r, data, revision >= 2 ? sizeof r :
	    sizeof(struct nf_nat_range));
	if (revision >= 2 && (r.flags & NF_NAT_RANGE_PROTO_OFFSET) &&
	    json_object_set_new(t, "base_port",
	    json_integer(ntohs(r.base_proto.all))) != 0)
		return -1;
	return firewall_nat_range(t, family, r.flags, &r.min_addr,
	    &r.max_addr, r.min_proto.all, r.max_proto.all);
}

/* Add what a target's data says (NAT ranges) to target. */
int
firewall_xt_target(json_t *target, const char *name, unsigned revision,
    const unsigned char *data, size_t len, int family)
{
	size_t i;

	for (i = 0; i < sizeof firewall_nat_targets /
	    sizeof *firewall_nat_targets; i++)
		if (strcmp(name, firewall_nat_targets[i]) == 0)
			break;
	if (i == sizeof firewall_nat_targets / sizeof *firewall_nat_targets)
		return 0;
	/* IPv6 has no revision 0 layout of its own: it began with nf_nat_range. */
	if (revision == 0 && family == AF_INET)
		return firewall_nat_compat(target, data, len);
	return firewall_nat_range12(target, family, revision, data, len);
}
