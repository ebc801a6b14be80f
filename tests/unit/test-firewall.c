/*
 * Unit tests of the firewall source: when a part of netfilter may be
 * queried (the decision that keeps modules from being loaded, which this
 * kernel cannot show), and the decoding of x_tables entries, sound and
 * hostile.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <linux/netfilter/nf_nat.h>

#include "../../collect/live-firewall.h"
#include "../../collect/live-firewall-xt.h"

/* Each fact alone, and the decision it leads to. */
static void
test_decide(void **state)
{
	struct firewall_module_facts f;

	(void)state;
	memset(&f, 0, sizeof f);
	f.modules_supported = true;
	assert_int_equal(firewall_decide(&f), FIREWALL_SKIP_NOT_LOADED);
	f.listed = true;
	assert_int_equal(firewall_decide(&f), FIREWALL_QUERY_LOADED);
	f.listed = false;
	f.in_sysfs = true;
	assert_int_equal(firewall_decide(&f), FIREWALL_QUERY_LOADED);
	f.in_sysfs = false;
	f.builtin = true;
	assert_int_equal(firewall_decide(&f), FIREWALL_QUERY_BUILTIN);
	f.builtin = false;
	f.modules_disabled = true;
	assert_int_equal(firewall_decide(&f), FIREWALL_QUERY_NO_MODULES);
	f.modules_disabled = false;
	f.modules_supported = false;
	assert_int_equal(firewall_decide(&f), FIREWALL_QUERY_NO_MODULES);
	assert_string_equal(firewall_decision_text(FIREWALL_SKIP_NOT_LOADED),
	    "not loaded; not queried, so that no module is loaded");
}

/*
 * A modules.builtin naming ip_tables and nf_tables_set names ip_tables,
 * not nf_tables; the facts come from the live host's, not the tree's.
 */
static void
test_builtin_list(void **state)
{
	char root[] = "/tmp/custody-fw.XXXXXX", path[4096];
	struct firewall_module_facts f;
	struct utsname u;
	FILE *out;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(uname(&u), 0);
	snprintf(path, sizeof path, "mkdir -p '%s/lib/modules/%s'", root,
	    u.release);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof path, "%s/lib/modules/%s/modules.builtin", root,
	    u.release);
	assert_non_null(out = fopen(path, "w"));
	fputs("kernel/net/netfilter/nf_tables_set.ko\n"
	    "kernel/net/ipv4/netfilter/ip_tables.ko\n", out);
	fclose(out);
	assert_false(firewall_builtin_listed(path, "nf_tables"));
	assert_true(firewall_builtin_listed(path, "ip_tables"));
	firewall_module_facts("ip_tables", &f);
	snprintf(path, sizeof path, "/lib/modules/%s/modules.builtin", u.release);
	assert_int_equal(f.builtin, firewall_builtin_listed(path, "ip_tables"));
	snprintf(path, sizeof path, "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

/* A table being built in memory. */
struct table {
	unsigned char	buf[4096];
	size_t		len;
};

static const struct firewall_xt_family ip4 = {
	AF_INET, "/proc/net/ip_tables_names", 0, 0, 0, sizeof(struct ipt_entry)
};

/* Append an entry with a target of that name and data; its offset. */
static size_t
put(struct table *t, const char *target, const void *data, size_t len)
{
	struct ipt_entry e;
	struct xt_entry_target h;
	size_t off = t->len, tlen = XT_ALIGN(sizeof h + len);

	memset(&e, 0, sizeof e);
	e.target_offset = sizeof e;
	e.next_offset = (uint16_t)(sizeof e + tlen);
	e.counters.pcnt = 7;
	e.counters.bcnt = 700;
	memset(&h, 0, sizeof h);
	h.u.target_size = (uint16_t)tlen;
	snprintf(h.u.user.name, sizeof h.u.user.name, "%s", target);
	assert_true(off + e.next_offset <= sizeof t->buf);
	memset(t->buf + off, 0, e.next_offset);
	memcpy(t->buf + off, &e, sizeof e);
	memcpy(t->buf + off + sizeof e, &h, sizeof h);
	memcpy(t->buf + off + sizeof e + sizeof h, data, len);
	t->len += e.next_offset;
	return off;
}

/* INPUT: one jump to "mine", policy DROP; mine: DROP, then its RETURN tail. */
static void
build(struct table *t, struct ipt_getinfo *info)
{
	char name[XT_FUNCTION_MAXNAMELEN] = "mine";
	int drop = -NF_DROP - 1, jump;
	size_t jump_at;

	memset(t, 0, sizeof *t);
	memset(info, 0, sizeof *info);
	info->valid_hooks = 1u << NF_INET_LOCAL_IN;
	info->hook_entry[NF_INET_LOCAL_IN] = 0;
	jump = 0;
	jump_at = put(t, "", &jump, sizeof jump);
	info->underflow[NF_INET_LOCAL_IN] = (unsigned)put(t, "", &drop,
	    sizeof drop);
	put(t, XT_ERROR_TARGET, name, sizeof name);
	jump = (int)t->len;
	memcpy(t->buf + jump_at + sizeof(struct ipt_entry) +
	    sizeof(struct xt_entry_target), &jump, sizeof jump);
	put(t, "", &drop, sizeof drop);
	jump = XT_RETURN;
	put(t, "", &jump, sizeof jump);
	memset(name, 0, sizeof name);
	memcpy(name, "ERROR", 5);
	put(t, XT_ERROR_TARGET, name, sizeof name);
	info->size = (unsigned)t->len;
}

/* A sound table decodes into its chains, rules, policy and jump. */
static void
test_chains(void **state)
{
	struct ipt_getinfo info;
	struct table t;
	json_t *table = json_object(), *chains, *input, *mine;

	(void)state;
	build(&t, &info);
	assert_int_equal(firewall_xt_chains(table, &ip4, &info, t.buf, t.len), 0);
	assert_null(json_object_get(table, "error"));
	chains = json_object_get(table, "chains");
	assert_int_equal(json_array_size(chains), 2);
	input = json_array_get(chains, 0);
	mine = json_array_get(chains, 1);
	assert_string_equal(json_string_value(json_object_get(input, "name")),
	    "INPUT");
	assert_string_equal(json_string_value(json_object_get(input, "policy")),
	    "DROP");
	assert_int_equal(json_integer_value(json_object_get(input, "packets")), 7);
	assert_int_equal(json_array_size(json_object_get(input, "rules")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(input, "rules"), 0), "target"),
	    "chain")), "mine");
	assert_string_equal(json_string_value(json_object_get(mine, "name")),
	    "mine");
	assert_int_equal(json_array_size(json_object_get(mine, "rules")), 1);
	assert_int_equal(json_integer_value(json_object_get(table,
	    "rule_count")), 2);
	json_decref(table);
}

/* Decode one hostile table: it must end with a recorded error or rules. */
static void
decode_hostile(const struct table *t, const struct ipt_getinfo *info,
    size_t len)
{
	json_t *table = json_object();

	assert_int_equal(firewall_xt_chains(table, &ip4, info, t->buf, len), 0);
	assert_true(json_object_get(table, "error") != NULL ||
	    json_object_get(table, "chains") != NULL);
	json_decref(table);
}

/* Cut short anywhere, or with offsets and sizes that lie: an error, no crash. */
static void
test_hostile(void **state)
{
	struct ipt_getinfo info;
	struct table t, bad;
	json_t *table;
	size_t cut, i;
	uint16_t v;

	(void)state;
	build(&t, &info);
	for (cut = 0; cut < t.len; cut++)
		decode_hostile(&t, &info, cut);
	/* Every 16-bit field set to every troublesome value. */
	for (i = 0; i + 1 < t.len; i += 2) {
		static const uint16_t values[] = { 0, 1, 0x20, 0x70, 0xffff };
		size_t k;

		for (k = 0; k < sizeof values / sizeof *values; k++) {
			bad = t;
			v = values[k];
			memcpy(bad.buf + i, &v, sizeof v);
			decode_hostile(&bad, &info, bad.len);
		}
	}
	bad = t;
	v = 0;
	memcpy(bad.buf + offsetof(struct ipt_entry, next_offset), &v, sizeof v);
	table = json_object();
	assert_int_equal(firewall_xt_chains(table, &ip4, &info, bad.buf,
	    bad.len), 0);
	assert_string_equal(json_string_value(json_object_get(table, "error")),
	    "entry at 0: bad offsets");
	json_decref(table);
}

/* A DNAT of revision 0 decodes its address and port range. */
static void
test_nat(void **state)
{
	struct nf_nat_ipv4_multi_range_compat r;
	json_t *t = json_object();

	(void)state;
	memset(&r, 0, sizeof r);
	r.rangesize = 1;
	r.range[0].flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	r.range[0].min_ip = htonl(0x0a000001);
	r.range[0].max_ip = htonl(0x0a000002);
	r.range[0].min.all = htons(80);
	r.range[0].max.all = htons(81);
	assert_int_equal(firewall_xt_target(t, "DNAT", 0,
	    (const unsigned char *)&r, sizeof r, AF_INET), 0);
	assert_string_equal(json_string_value(json_object_get(t,
	    "min_address")), "10.0.0.1");
	assert_string_equal(json_string_value(json_object_get(t,
	    "max_address")), "10.0.0.2");
	assert_int_equal(json_integer_value(json_object_get(t, "max_port")), 81);
	json_decref(t);
	t = json_object();
	assert_int_equal(firewall_xt_target(t, "DNAT", 2,
	    (const unsigned char *)&r, sizeof r, AF_INET), 0);
	assert_string_equal(json_string_value(json_object_get(t, "error")),
	    "NAT range too short");
	json_decref(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_builtin_list),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_nat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
