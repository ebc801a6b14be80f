/* The x_tables part of the firewall source: a table's entries decoded. */
#ifndef CUSTODY_LIVE_FIREWALL_XT_H
#define CUSTODY_LIVE_FIREWALL_XT_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter_ipv4/ip_tables.h>

#include <jansson.h>

/* Where a family's tables are listed and how they are asked for. */
struct firewall_xt_family {
	int		 family;	/* AF_INET or AF_INET6 */
	const char	*names;		/* /proc/net/ip_tables_names */
	int		 level;		/* IPPROTO_IP or IPPROTO_IPV6 */
	int		 get_info;
	int		 get_entries;
	size_t		 entry_size;	/* sizeof(struct ipt_entry) */
};

/* One entry of a table, checked against the table's bounds. */
struct firewall_xt_entry {
	size_t			 offset;
	const unsigned char	*base;		/* the entry itself */
	size_t			 target_offset;
	size_t			 next_offset;
	uint64_t		 packets;
	uint64_t		 bytes;
	char			 target[XT_EXTENSION_MAXNAMELEN];
	unsigned		 revision;
	const unsigned char	*data;		/* the target's data */
	size_t			 len;
};

/* Where a chain starts in a table. */
struct firewall_xt_chain {
	size_t		 first;		/* offset of its first entry */
	char		 name[XT_FUNCTION_MAXNAMELEN];
	int		 hook;		/* -1: a user chain */
	json_t		*obj;
};

/* The entry at offset, checked. 0, or -1 when malformed (error_set). */
int firewall_xt_entry_at(const struct firewall_xt_family *,
    const unsigned char *entries, size_t size, size_t offset,
    struct firewall_xt_entry *);
/* One rule: addresses, interfaces, protocol, matches, target, counters. */
json_t *firewall_xt_rule(const struct firewall_xt_family *,
    const struct firewall_xt_entry *, const struct firewall_xt_chain *,
    size_t nchains);
/* The standard target's verdict (ACCEPT, jump...) into target. */
int firewall_xt_verdict(json_t *target, const struct firewall_xt_entry *,
    const struct firewall_xt_chain *, size_t nchains, int go_to);
/* Add the chains of a table, with their rules and policies, to table. */
int firewall_xt_chains(json_t *table, const struct firewall_xt_family *,
    const struct ipt_getinfo *, const unsigned char *entries, size_t size);

#endif
