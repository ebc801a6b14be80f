/*
 * The firewall source: the nftables ruleset (libnftables, JSON) and the
 * legacy x_tables tables of iptables and ip6tables (their socket options),
 * each queried only when the kernel already serves it. Rules made with
 * iptables-nft are nftables rules and appear in the ruleset.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdlib.h>

#include <jansson.h>

#include "custody/error.h"

#include "live.h"
#include "live-firewall.h"

/* The nftables part, when nf_tables is there to answer. */
static int
firewall_nftables(struct live_run *run, json_t *obj)
{
	struct firewall_module_facts facts;
	enum firewall_decision d;
	size_t cap = run->max_size >= 0 ? (size_t)run->max_size :
	    FIREWALL_NFT_MAX;

	firewall_module_facts("nf_tables", &facts);
	d = firewall_decide(&facts);
	if (json_object_set_new(obj, "module",
	    json_string(firewall_decision_text(d))) != 0)
		return error_set("out of memory");
	if (d == FIREWALL_SKIP_NOT_LOADED)
		return json_object_set_new(obj, "status", json_string(
		    firewall_decision_text(d))) == 0 ? 0 :
		    error_set("out of memory");
	/* libnftables would print its own complaint on stderr: ask first. */
	if (!firewall_net_admin())
		return json_object_set_new(obj, "status", json_string("error")) ||
		    json_object_set_new(obj, "error",
		    json_string(FIREWALL_NO_NET_ADMIN)) != 0 ?
		    error_set("out of memory") : 0;
	if (json_object_set_new(obj, "status", json_string("read")) != 0 ||
	    firewall_nft(obj, cap) != 0)
		return error_set("out of memory");
	if (json_object_get(obj, "error") != NULL &&
	    json_object_set_new(obj, "status", json_string("error")) != 0)
		return error_set("out of memory");
	return 0;
}

/* The x_tables part of one family. */
static int
firewall_xtables(json_t *obj, int family)
{
	if (firewall_xt(obj, family) != 0)
		return error_set("out of memory");
	if (json_object_get(obj, "error") != NULL &&
	    json_object_set_new(obj, "status", json_string("error")) != 0)
		return error_set("out of memory");
	return 0;
}

/* Copy a part's error into the document's list of problems. */
static void
firewall_note(struct live_run *run, const char *part, json_t *obj)
{
	json_t *e = json_object_get(obj, "error");

	if (json_is_string(e))
		json_array_append_new(run->errors, json_sprintf("%s: %s", part,
		    json_string_value(e)));
}

/* The firewall source: nftables, iptables and ip6tables. */
static int
live_firewall(struct live_run *run)
{
	json_t *nft = json_object(), *ip4 = json_object(), *ip6 = json_object();

	if (json_object_set_new(run->doc, "nftables", nft) != 0 ||
	    json_object_set_new(run->doc, "iptables", ip4) != 0 ||
	    json_object_set_new(run->doc, "ip6tables", ip6) != 0 ||
	    json_object_set_new(run->doc, "firewall_version",
	    json_integer(FIREWALL_FORMAT_VERSION)) != 0)
		return error_set("out of memory");
	if (firewall_nftables(run, nft) != 0 ||
	    firewall_xtables(ip4, AF_INET) != 0 ||
	    firewall_xtables(ip6, AF_INET6) != 0)
		return -1;
	firewall_note(run, "nftables", nft);
	firewall_note(run, "iptables", ip4);
	firewall_note(run, "ip6tables", ip6);
	return 0;
}

const struct live_reader live_reader_firewall = {
	.origin = "libnftables (netlink), IPT_SO_GET_ENTRIES and "
	    "IP6T_SO_GET_ENTRIES of /proc/net/ip_tables_names, ip6_tables_names",
	.fill = live_firewall,
};
