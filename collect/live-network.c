/* The network source: interfaces, routes and neighbours from /proc/net and rtnetlink. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* One /proc/net/dev line as an interface object; NULL if malformed. */
static json_t *
live_interface(char *line)
{
	unsigned long long v[16];
	char *colon, *name;
	json_t *i;

	if ((colon = strchr(line, ':')) == NULL)
		return NULL;
	*colon = '\0';
	name = line + strspn(line, " ");
	if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu "
	    "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12],
	    &v[13], &v[14], &v[15]) != 16)
		return NULL;
	i = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "rx_bytes", (json_int_t)v[0], "rx_packets", (json_int_t)v[1],
	    "rx_errors", (json_int_t)v[2], "rx_dropped", (json_int_t)v[3],
	    "tx_bytes", (json_int_t)v[8], "tx_packets", (json_int_t)v[9],
	    "tx_errors", (json_int_t)v[10], "tx_dropped", (json_int_t)v[11]);
	if (i != NULL)
		live_set_bytes(i, "name", name, strlen(name));
	return i;
}

/* The text of an IPv4 address held as a native-order word. */
static json_t *
live_ipv4(uint32_t word)
{
	char text[INET_ADDRSTRLEN];
	struct in_addr a;

	a.s_addr = word;
	inet_ntop(AF_INET, &a, text, sizeof text);
	return json_string(text);
}

/* The letters route(8) shows for route flags. */
static json_t *
live_route_flags(unsigned flags)
{
	static const struct {
		unsigned	 bit;
		char		 letter;
	} table[] = { { 0x1, 'U' }, { 0x2, 'G' }, { 0x4, 'H' }, { 0x8, 'R' },
	    { 0x10, 'D' }, { 0x20, 'M' }, { 0x200, '!' } };
	char text[16];
	size_t i, n = 0;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (flags & table[i].bit)
			text[n++] = table[i].letter;
	text[n] = '\0';
	return json_string(text);
}

/* One /proc/net/route line as an object; NULL if malformed. */
static json_t *
live_route(char *line)
{
	unsigned destination, gateway, flags, mask, mtu;
	char iface[64];
	int metric;
	json_t *r;

	if (sscanf(line, "%63s %x %x %x %*d %*u %d %x %u", iface, &destination,
	    &gateway, &flags, &metric, &mask, &mtu) != 7)
		return NULL;
	r = json_object();
	live_set_bytes(r, "iface", iface, strlen(iface));
	json_object_set_new(r, "destination", live_ipv4(destination));
	json_object_set_new(r, "gateway", live_ipv4(gateway));
	json_object_set_new(r, "mask", live_ipv4(mask));
	json_object_set_new(r, "flags", json_integer(flags));
	json_object_set_new(r, "flags_text", live_route_flags(flags));
	json_object_set_new(r, "metric", json_integer(metric));
	json_object_set_new(r, "mtu", json_integer(mtu));
	return r;
}

/* One /proc/net/arp line as an object; NULL if malformed. */
static json_t *
live_arp(char *line)
{
	char address[64], hardware[64], mask[64], device[64];
	unsigned type, flags;
	json_t *a;

	if (sscanf(line, "%63s %x %x %63s %63s %63s", address, &type, &flags,
	    hardware, mask, device) != 6)
		return NULL;
	a = json_object();
	live_set_bytes(a, "address", address, strlen(address));
	json_object_set_new(a, "hw_type", json_integer(type));
	json_object_set_new(a, "flags", json_integer(flags));
	json_object_set_new(a, "complete", json_boolean(flags & 0x2));
	json_object_set_new(a, "permanent", json_boolean(flags & 0x4));
	live_set_bytes(a, "hw_address", hardware, strlen(hardware));
	live_set_bytes(a, "device", device, strlen(device));
	return a;
}

/* The text of an IPv6 address written as 32 hex digits in network order. */
static json_t *
live_ipv6(const char *hex)
{
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN];

	if (util_unhex(hex, bytes, sizeof bytes) != 0 ||
	    inet_ntop(AF_INET6, bytes, text, sizeof text) == NULL)
		return json_null();
	return json_string(text);
}

/* The name of an IPv6 address scope. */
static const char *
live_ipv6_scope(unsigned scope)
{
	switch (scope) {
	case 0x00:
		return "global";
	case 0x10:
		return "host";
	case 0x20:
		return "link";
	case 0x40:
		return "site";
	case 0x80:
		return "compat";
	}
	return "unknown";
}

/* One /proc/net/if_inet6 line as an object; NULL if malformed. */
static json_t *
live_inet6_address(char *line)
{
	unsigned index, prefix, scope, flags;
	char hex[33], device[64];
	json_t *a;

	if (sscanf(line, "%32s %x %x %x %x %63s", hex, &index, &prefix, &scope,
	    &flags, device) != 6)
		return NULL;
	a = json_object();
	live_set_bytes(a, "iface", device, strlen(device));
	json_object_set_new(a, "address", live_ipv6(hex));
	json_object_set_new(a, "prefix_length", json_integer(prefix));
	json_object_set_new(a, "scope", json_string(live_ipv6_scope(scope)));
	json_object_set_new(a, "ifindex", json_integer(index));
	json_object_set_new(a, "flags", json_integer(flags));
	return a;
}

/* One /proc/net/ipv6_route line as an object; NULL if malformed. */
static json_t *
live_route6(char *line)
{
	char destination[33], source[33], next_hop[33], device[64];
	unsigned dlen, slen, metric, flags;
	json_t *r;

	if (sscanf(line, "%32s %x %32s %x %32s %x %*x %*x %x %63s", destination,
	    &dlen, source, &slen, next_hop, &metric, &flags, device) != 8)
		return NULL;
	r = json_object();
	live_set_bytes(r, "iface", device, strlen(device));
	json_object_set_new(r, "destination", live_ipv6(destination));
	json_object_set_new(r, "destination_prefix", json_integer(dlen));
	json_object_set_new(r, "source", live_ipv6(source));
	json_object_set_new(r, "source_prefix", json_integer(slen));
	json_object_set_new(r, "next_hop", live_ipv6(next_hop));
	json_object_set_new(r, "metric", json_integer(metric));
	json_object_set_new(r, "flags", json_integer(flags));
	json_object_set_new(r, "flags_text", live_route_flags(flags));
	return r;
}

/* Parse a /proc/net table into doc[key] after its header lines. 0 or -1. */
static int
live_net_table(json_t *doc, json_t *errors, const char *key, const char *path,
    int header, json_t *(*parse)(char *))
{
	struct live_file f;
	char *cursor, *line;
	json_t *list, *item;

	if (live_read(AT_FDCWD, path, LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		json_object_set_new(doc, key, json_null());
		return -1;
	}
	list = json_array();
	cursor = f.data;
	while (header-- > 0)
		util_next_line(&cursor);
	while ((line = util_next_line(&cursor)) != NULL)
		if ((item = parse(line)) != NULL)
			json_array_append_new(list, item);
	json_object_set_new(doc, key, list);
	free(f.data);
	return 0;
}

/* The network source: interfaces, routes, neighbours, IPv6 addresses. */
static int
live_network(struct live_run *run)
{
	json_t *doc = run->doc, *errors = run->errors;
	int readable = 0;

	readable += live_net_table(doc, errors, "interfaces", "/proc/net/dev", 2,
	    live_interface) == 0;
	readable += live_net_table(doc, errors, "routes", "/proc/net/route", 1,
	    live_route) == 0;
	readable += live_net_table(doc, errors, "arp", "/proc/net/arp", 1,
	    live_arp) == 0;
	readable += live_net_table(doc, errors, "ipv6_addresses", "/proc/net/if_inet6",
	    0, live_inet6_address) == 0;
	readable += live_net_table(doc, errors, "ipv6_routes", "/proc/net/ipv6_route",
	    0, live_route6) == 0;
	readable += live_rtnl_fill(doc, errors);
	if (readable == 0)
		return error_set("no network table could be read");
	return 0;
}

const struct live_reader live_reader_network = {
	.origin = "/proc/net/{dev,route,arp,if_inet6,ipv6_route}, "
	    "rtnetlink (RTM_GETLINK, RTM_GETADDR, RTM_GETNEIGH)",
	.fill = live_network,
};
