/*
 * A table's entries as chains: built-in chains start at their hook's entry
 * and end with their policy (the underflow entry); a user chain starts
 * with an ERROR entry naming it and ends with a RETURN; the table ends
 * with an ERROR entry named "ERROR".
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <jansson.h>

#include "custody/error.h"

#include "live.h"
#include "live-firewall.h"
#include "live-firewall-xt.h"

static const char *const firewall_xt_hooks[NF_INET_NUMHOOKS] = {
	"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
};

/* The entry at offset, checked against the table's bounds. */
int
firewall_xt_entry_at(const struct firewall_xt_family *fam,
    const unsigned char *entries, size_t size, size_t offset,
    struct firewall_xt_entry *e)
{
	struct xt_entry_target t;
	struct ipt_entry v4;
	struct ip6t_entry v6;
	struct xt_counters c;

	if (offset > size || size - offset < fam->entry_size)
		return error_set("entry at %zu: past the table's end", offset);
	e->offset = offset;
	e->base = entries + offset;
	if (fam->family == AF_INET6) {
		memcpy(&v6, e->base, sizeof v6);
		e->target_offset = v6.target_offset;
		e->next_offset = v6.next_offset;
		c = v6.counters;
	} else {
		memcpy(&v4, e->base, sizeof v4);
		e->target_offset = v4.target_offset;
		e->next_offset = v4.next_offset;
		c = v4.counters;
	}
	e->packets = c.pcnt;
	e->bytes = c.bcnt;
	if (e->next_offset > size - offset || e->target_offset <
	    fam->entry_size || e->target_offset > e->next_offset ||
	    e->next_offset - e->target_offset < sizeof t)
		return error_set("entry at %zu: bad offsets", offset);
	memcpy(&t, e->base + e->target_offset, sizeof t);
	if (t.u.target_size < sizeof t ||
	    t.u.target_size > e->next_offset - e->target_offset)
		return error_set("entry at %zu: bad target size", offset);
	memcpy(e->target, t.u.user.name, sizeof e->target);
	e->target[sizeof e->target - 1] = '\0';
	e->revision = t.u.user.revision;
	e->data = e->base + e->target_offset + sizeof t;
	e->len = t.u.target_size - sizeof t;
	return 0;
}

/* The name an ERROR entry's data holds. */
static void
firewall_xt_error_name(const struct firewall_xt_entry *e, char *name,
    size_t size)
{
	size_t n = strnlen((const char *)e->data, e->len);

	if (n >= size)
		n = size - 1;
	memcpy(name, e->data, n);
	name[n] = '\0';
}

/* Add a chain start, growing the list. */
static int
firewall_xt_chain_add(struct firewall_xt_chain **v, size_t *n, size_t *cap,
    size_t first, const char *name, int hook)
{
	struct firewall_xt_chain *c;

	if ((c = live_grow(*v, cap, *n, sizeof **v)) == NULL)
		return -1;
	*v = c;
	c = &(*v)[(*n)++];
	memset(c, 0, sizeof *c);
	c->first = first;
	c->hook = hook;
	snprintf(c->name, sizeof c->name, "%s", name);
	return 0;
}

/* First pass: where every chain starts. -1 when malformed, -2 out of memory. */
static int
firewall_xt_starts(const struct firewall_xt_family *fam,
    const struct ipt_getinfo *info, const unsigned char *entries, size_t size,
    struct firewall_xt_chain **v, size_t *n)
{
	struct firewall_xt_entry e;
	char name[XT_FUNCTION_MAXNAMELEN];
	size_t off, cap = 0;
	int h;

	for (off = 0; off < size; off += e.next_offset) {
		if (firewall_xt_entry_at(fam, entries, size, off, &e) != 0)
			return -1;
		for (h = 0; h < NF_INET_NUMHOOKS; h++)
			if ((info->valid_hooks & (1u << h)) &&
			    info->hook_entry[h] == off &&
			    firewall_xt_chain_add(v, n, &cap, off,
			    firewall_xt_hooks[h], h) != 0)
				return -2;
		if (strcmp(e.target, XT_ERROR_TARGET) == 0 &&
		    off + e.next_offset < size) {
			firewall_xt_error_name(&e, name, sizeof name);
			if (firewall_xt_chain_add(v, n, &cap,
			    off + e.next_offset, name, -1) != 0)
				return -2;
		}
	}
	return 0;
}

/* The standard target's verdict (ACCEPT, jump...) into target. */
int
firewall_xt_verdict(json_t *target, const struct firewall_xt_entry *e,
    const struct firewall_xt_chain *chains, size_t nchains, int go_to)
{
	static const char *const verdicts[] = {
		"DROP", "ACCEPT", "STOLEN", "QUEUE", "REPEAT", "STOP",
	};
	const char *word = NULL;
	size_t i;
	int v;

	if (e->len < sizeof v)
		return json_object_set_new(target, "error",
		    json_string("standard target too short"));
	memcpy(&v, e->data, sizeof v);
	if (json_object_set_new(target, "raw_verdict", json_integer(v)) != 0)
		return -1;
	if (v == XT_RETURN)
		word = "RETURN";
	else if (v < 0 && -v - 1 < (int)(sizeof verdicts / sizeof *verdicts))
		word = verdicts[-v - 1];
	else if (v >= 0 && (size_t)v == e->offset + e->next_offset)
		word = "continue";
	if (word != NULL)
		return json_object_set_new(target, "verdict", json_string(word));
	for (i = 0; v >= 0 && i < nchains; i++)
		if (chains[i].first == (size_t)v)
			return json_object_set_new(target, "verdict",
			    json_string(go_to ? "goto" : "jump")) != 0 ||
			    json_object_set_new(target, "chain",
			    live_string(chains[i].name,
			    strlen(chains[i].name))) != 0 ? -1 : 0;
	return json_object_set_new(target, "verdict", json_string("unknown"));
}

/* The chain that starts at offset, or NULL. */
static struct firewall_xt_chain *
firewall_xt_chain_at(struct firewall_xt_chain *v, size_t n, size_t offset)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].first == offset && v[i].obj == NULL)
			return &v[i];
	return NULL;
}

/* A new chain object, appended to the table's list. */
static int
firewall_xt_chain_open(json_t *list, struct firewall_xt_chain *c)
{
	json_t *o = json_object();

	if (o == NULL || json_array_append_new(list, o) != 0 ||
	    json_object_set_new(o, "name",
	    live_string(c->name, strlen(c->name))) != 0 ||
	    json_object_set_new(o, "builtin", json_boolean(c->hook >= 0)) ||
	    json_object_set_new(o, "rules", json_array()) != 0)
		return error_set("out of memory");
	c->obj = o;
	return 0;
}

/* The policy of a built-in chain, from its underflow entry. */
static int
firewall_xt_policy(json_t *chain, const struct firewall_xt_entry *e)
{
	json_t *t = json_object(), *verdict;
	char text[64 + XT_EXTENSION_MAXNAMELEN];
	int rc;

	if (t == NULL)
		return -1;
	/* Only a standard target can be a policy; say so of anything else. */
	snprintf(text, sizeof text, "not a standard target: %s", e->target);
	rc = e->target[0] != '\0' ? json_object_set_new(t, "verdict",
	    live_string(text, strlen(text))) :
	    firewall_xt_verdict(t, e, NULL, 0, 0);
	verdict = json_object_get(t, "verdict");
	if (rc == 0 && verdict == NULL)
		verdict = json_object_get(t, "error");
	rc = rc != 0 || json_object_set(chain, "policy",
	    verdict != NULL ? verdict : json_null()) != 0 ||
	    json_object_set_new(chain, "packets", json_integer(
	    (json_int_t)e->packets)) != 0 ||
	    json_object_set_new(chain, "bytes", json_integer(
	    (json_int_t)e->bytes)) != 0 ? -1 : 0;
	json_decref(t);
	return rc;
}

/* True when the entry after e is an ERROR entry: e ends a user chain. */
static bool
firewall_xt_is_tail(const struct firewall_xt_family *fam,
    const unsigned char *entries, size_t size,
    const struct firewall_xt_entry *e)
{
	struct firewall_xt_entry next;

	return firewall_xt_entry_at(fam, entries, size,
	    e->offset + e->next_offset, &next) == 0 &&
	    strcmp(next.target, XT_ERROR_TARGET) == 0;
}

/*
 * Second pass: each entry into its chain, as a rule, a policy or a tail.
 * -1 when malformed, -2 out of memory.
 */
static int
firewall_xt_fill(json_t *list, const struct firewall_xt_family *fam,
    const struct ipt_getinfo *info, const unsigned char *entries, size_t size,
    struct firewall_xt_chain *v, size_t n)
{
	struct firewall_xt_chain *cur = NULL, *c;
	struct firewall_xt_entry e;
	json_t *rule;
	size_t off;

	for (off = 0; off < size; off += e.next_offset) {
		if (firewall_xt_entry_at(fam, entries, size, off, &e) != 0)
			return -1;
		if ((c = firewall_xt_chain_at(v, n, off)) != NULL) {
			if (firewall_xt_chain_open(list, c) != 0)
				return -2;
			cur = c;
		}
		if (strcmp(e.target, XT_ERROR_TARGET) == 0 || cur == NULL)
			continue;
		if (cur->hook >= 0 && info->underflow[cur->hook] == off) {
			if (firewall_xt_policy(cur->obj, &e) != 0)
				return -2;
			continue;
		}
		if (cur->hook < 0 && firewall_xt_is_tail(fam, entries, size, &e))
			continue;
		if ((rule = firewall_xt_rule(fam, &e, v, n)) == NULL ||
		    json_array_append_new(json_object_get(cur->obj, "rules"),
		    rule) != 0)
			return -2;
	}
	return 0;
}

/* Add the chains of a table, with their rules and policies, to table. */
int
firewall_xt_chains(json_t *table, const struct firewall_xt_family *fam,
    const struct ipt_getinfo *info, const unsigned char *entries, size_t size)
{
	struct firewall_xt_chain *v = NULL;
	json_t *list = json_array();
	size_t n = 0, i, rules = 0;
	int rc;

	if (list == NULL || json_object_set_new(table, "chains", list) != 0)
		return error_set("out of memory");
	rc = firewall_xt_starts(fam, info, entries, size, &v, &n);
	if (rc == 0)
		rc = firewall_xt_fill(list, fam, info, entries, size, v, n);
	for (i = 0; i < n; i++)
		if (v[i].obj != NULL)
			rules += json_array_size(json_object_get(v[i].obj,
			    "rules"));
	free(v);
	if (rc == -2)
		return error_set("out of memory");
	if (rc != 0 && firewall_set_error(table) != 0)
		return error_set("out of memory");
	return json_object_set_new(table, "rule_count",
	    json_integer((json_int_t)rules)) == 0 ? 0 : error_set("out of memory");
}
