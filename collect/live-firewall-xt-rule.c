/*
 * One x_tables rule: its packet header selectors, its matches (name,
 * revision and data in hex), its target (verdicts, jumps and NAT ranges
 * decoded; other targets' data in hex) and its counters.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <jansson.h>

#include "custody/error.h"

#include "live.h"
#include "live-firewall.h"
#include "live-firewall-xt.h"

/* Bytes as lowercase hex, as a JSON string. */
json_t *
firewall_hex(const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	json_t *s;
	char *text;
	size_t i;

	if ((text = malloc(len * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		text[2 * i] = digits[data[i] >> 4];
		text[2 * i + 1] = digits[data[i] & 15];
	}
	text[2 * len] = '\0';
	s = json_string(text);
	free(text);
	return s;
}

/* Set obj's "error" to the last error message. 0, or -1 when out of memory. */
int
firewall_set_error(json_t *obj)
{
	const char *message = error_message();

	return json_object_set_new(obj, "error",
	    live_string(message, strlen(message)));
}

/* The length of a contiguous netmask, or -1. */
static int
firewall_prefix(const unsigned char *mask, size_t len)
{
	size_t i;
	int bits = 0, b;

	for (i = 0; i < len; i++)
		for (b = 7; b >= 0; b--) {
			if (mask[i] & (1u << b)) {
				if (bits != (int)(i * 8 + (size_t)(7 - b)))
					return -1;
				bits++;
			}
		}
	return bits;
}

/* "address/prefix" (or "address/mask" when the mask has holes). */
static json_t *
firewall_address(int family, const void *addr, const void *mask)
{
	char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN], text[128];
	size_t len = family == AF_INET6 ? 16 : 4;
	int prefix = firewall_prefix(mask, len);

	if (inet_ntop(family, addr, a, sizeof a) == NULL)
		return NULL;
	if (prefix >= 0)
		snprintf(text, sizeof text, "%s/%d", a, prefix);
	else if (inet_ntop(family, mask, m, sizeof m) != NULL)
		snprintf(text, sizeof text, "%s/%s", a, m);
	else
		return NULL;
	return json_string(text);
}

/* An interface as iptables writes it: "eth0", "eth+" for a prefix, "". */
static json_t *
firewall_interface(const char *name, const unsigned char *mask)
{
	char text[IFNAMSIZ + 2];
	size_t n = strnlen(name, IFNAMSIZ), i = 0;

	while (i < IFNAMSIZ && mask[i] == 0xff)
		i++;
	memcpy(text, name, n);
	if (n > 0 && i == n)
		text[n++] = '+';
	return live_string(text, n);
}

/* The invert flags by name (the same bits for both families). */
static json_t *
firewall_inverted(unsigned flags)
{
	static const char *const names[] = {
		"in_interface", "out_interface", "tos", "source",
		"destination", "fragment", "protocol",
	};
	json_t *list = json_array();
	size_t i;

	for (i = 0; list != NULL && i < sizeof names / sizeof *names; i++)
		if ((flags & (1u << i)) &&
		    json_array_append_new(list, json_string(names[i])) != 0) {
			json_decref(list);
			return NULL;
		}
	return list;
}

/* A rule's header selectors, of either family. */
struct firewall_header {
	int			 family;
	const void		*src, *dst, *smsk, *dmsk;
	const char		*in, *out;
	const unsigned char	*in_mask, *out_mask;
	unsigned		 protocol;
	unsigned		 invflags;
	int			 fragment;	/* -1: IPv6 has none */
};

/* The header selectors into rule. */
static int
firewall_header_set(json_t *rule, const struct firewall_header *h)
{
	if (json_object_set_new(rule, "source",
	    firewall_address(h->family, h->src, h->smsk)) != 0 ||
	    json_object_set_new(rule, "destination",
	    firewall_address(h->family, h->dst, h->dmsk)) != 0 ||
	    json_object_set_new(rule, "in_interface",
	    firewall_interface(h->in, h->in_mask)) != 0 ||
	    json_object_set_new(rule, "out_interface",
	    firewall_interface(h->out, h->out_mask)) != 0 ||
	    json_object_set_new(rule, "protocol", json_integer(h->protocol)))
		return -1;
	if (h->fragment >= 0 && json_object_set_new(rule, "fragment",
	    json_boolean(h->fragment)) != 0)
		return -1;
	return json_object_set_new(rule, "inverted",
	    firewall_inverted(h->invflags));
}

/* The header selectors of an IPv4 rule; *go_to when it is a goto. */
static int
firewall_ip4(json_t *rule, const unsigned char *base, int *go_to)
{
	struct ipt_entry e;
	struct firewall_header h;

	memcpy(&e, base, sizeof e);
	*go_to = (e.ip.flags & IPT_F_GOTO) != 0;
	h = (struct firewall_header){ AF_INET, &e.ip.src, &e.ip.dst,
	    &e.ip.smsk, &e.ip.dmsk, e.ip.iniface, e.ip.outiface,
	    e.ip.iniface_mask, e.ip.outiface_mask, e.ip.proto, e.ip.invflags,
	    (e.ip.flags & IPT_F_FRAG) != 0 };
	return firewall_header_set(rule, &h);
}

/* The header selectors of an IPv6 rule (its protocol only when flagged). */
static int
firewall_ip6(json_t *rule, const unsigned char *base, int *go_to)
{
	struct ip6t_entry e;
	struct firewall_header h;

	memcpy(&e, base, sizeof e);
	*go_to = (e.ipv6.flags & IP6T_F_GOTO) != 0;
	h = (struct firewall_header){ AF_INET6, &e.ipv6.src, &e.ipv6.dst,
	    &e.ipv6.smsk, &e.ipv6.dmsk, e.ipv6.iniface, e.ipv6.outiface,
	    e.ipv6.iniface_mask, e.ipv6.outiface_mask,
	    (e.ipv6.flags & IP6T_F_PROTO) ? e.ipv6.proto : 0u,
	    e.ipv6.invflags, -1 };
	return firewall_header_set(rule, &h);
}

/* One match: name, revision, data; a comment's text decoded. */
static json_t *
firewall_match(const struct xt_entry_match *m, const unsigned char *data,
    size_t len)
{
	char name[XT_EXTENSION_MAXNAMELEN];
	json_t *o = json_object();

	memcpy(name, m->u.user.name, sizeof name);
	name[sizeof name - 1] = '\0';
	if (o == NULL || json_object_set_new(o, "name",
	    live_string(name, strlen(name))) != 0 ||
	    json_object_set_new(o, "revision",
	    json_integer(m->u.user.revision)) != 0 ||
	    json_object_set_new(o, "data", firewall_hex(data, len)) != 0)
		goto fail;
	if (strcmp(name, "comment") == 0 && json_object_set_new(o, "comment",
	    live_string((const char *)data, strnlen((const char *)data,
	    len < XT_MAX_COMMENT_LEN ? len : XT_MAX_COMMENT_LEN))) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The matches between the entry's header and its target. */
static json_t *
firewall_matches(const struct firewall_xt_family *fam,
    const struct firewall_xt_entry *e)
{
	struct xt_entry_match m;
	json_t *list = json_array(), *o;
	size_t off = fam->entry_size;

	while (list != NULL && off + sizeof m <= e->target_offset) {
		memcpy(&m, e->base + off, sizeof m);
		if (m.u.match_size < sizeof m ||
		    m.u.match_size > e->target_offset - off) {
			o = json_pack("{s:s}", "error", "bad match size");
			if (o == NULL || json_array_append_new(list, o) != 0)
				break;
			return list;
		}
		if ((o = firewall_match(&m, e->base + off + sizeof m,
		    m.u.match_size - sizeof m)) == NULL ||
		    json_array_append_new(list, o) != 0)
			break;
		off += m.u.match_size;
	}
	if (list != NULL && off + sizeof m > e->target_offset)
		return list;
	json_decref(list);
	return NULL;
}

/* The target: a verdict, or an extension's name, revision and data. */
static json_t *
firewall_rule_target(const struct firewall_xt_family *fam,
    const struct firewall_xt_entry *e, const struct firewall_xt_chain *chains,
    size_t nchains, int go_to)
{
	json_t *t = json_object();
	int rc;

	if (t == NULL)
		return NULL;
	if (e->target[0] == '\0')
		rc = json_object_set_new(t, "name", json_string("standard")) ||
		    firewall_xt_verdict(t, e, chains, nchains, go_to);
	else
		rc = json_object_set_new(t, "name", live_string(e->target,
		    strlen(e->target))) ||
		    json_object_set_new(t, "revision",
		    json_integer(e->revision)) != 0 ||
		    json_object_set_new(t, "data",
		    firewall_hex(e->data, e->len)) != 0 ||
		    firewall_xt_target(t, e->target, e->revision, e->data,
		    e->len, fam->family);
	if (rc == 0)
		return t;
	json_decref(t);
	return NULL;
}

/* One rule: addresses, interfaces, protocol, matches, target, counters. */
json_t *
firewall_xt_rule(const struct firewall_xt_family *fam,
    const struct firewall_xt_entry *e, const struct firewall_xt_chain *chains,
    size_t nchains)
{
	json_t *r = json_object();
	int go_to = 0;

	if (r == NULL || (fam->family == AF_INET6 ?
	    firewall_ip6(r, e->base, &go_to) : firewall_ip4(r, e->base, &go_to)))
		goto fail;
	if (json_object_set_new(r, "matches", firewall_matches(fam, e)) != 0 ||
	    json_object_set_new(r, "target", firewall_rule_target(fam, e,
	    chains, nchains, go_to)) != 0 ||
	    json_object_set_new(r, "packets",
	    json_integer((json_int_t)e->packets)) != 0 ||
	    json_object_set_new(r, "bytes",
	    json_integer((json_int_t)e->bytes)) != 0)
		goto fail;
	return r;
fail:
	json_decref(r);
	return NULL;
}
