#!/bin/sh
# The firewall source: the nftables ruleset and the legacy iptables and
# ip6tables tables, each read inside a network namespace made here, must
# agree with what nft and iptables-legacy-save say of the same namespace;
# hostile rulesets end in bounded time within their caps; a namespace
# where nothing is in use stays untouched; an unprivileged run records why
# it could read nothing.
. "$(dirname "$0")/lib.sh"

make_key

# What this needs: root (namespaces), and the rule tools (test tools only:
# custody never runs them).
need=
[ "$(id -u)" = 0 ] || need="root"
for tool in ip nft iptables-legacy ip6tables-legacy iptables-legacy-save \
    ip6tables-legacy-save iptables-legacy-restore setpriv; do
	command -v "$tool" >/dev/null || need="$need $tool"
done
if [ -z "$need" ] && ! { ip netns add custody-t0740-probe-$$ && ip netns del custody-t0740-probe-$$; } 2>/dev/null; then
	need=" ip netns (network namespaces)"
fi

cat >"$TEST_TMP/fw.yaml" <<-YAML
name: fwtest
entries:
  - live: firewall
YAML
cat >"$TEST_TMP/fw-capped.yaml" <<-YAML
name: fwcapped
entries:
  - live: firewall
    max_size: 1M
YAML

# The namespaces this test makes (listed in a file, since each test runs in
# a subshell), deleted at the end whatever happens.
NETNS_PREFIX=custody-t0740-$$
trap 'for n in $(cat "$TEST_TMP/.netns" 2>/dev/null); do ip netns del "$n"; done
chmod -R u+rwx "$TEST_TMP" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT

# netns NAME: make a network namespace with lo up; inns NAME CMD... runs in it.
netns() {
	echo "$NETNS_PREFIX-$1" >>"$TEST_TMP/.netns" &&
	ip netns add "$NETNS_PREFIX-$1" &&
	ip netns exec "$NETNS_PREFIX-$1" ip link set lo up
}
inns() {
	_ns=$NETNS_PREFIX-$1
	shift
	ip netns exec "$_ns" "$@"
}

# fw_collect NS OUT [PROFILE]: collect the firewall source of namespace NS
# into OUT, bounded in time and address space (run_bounded: ./status).
fw_collect() {
	run_bounded ip netns exec "$NETNS_PREFIX-$1" "$CUSTODY" collect \
	    --key "$TEST_TMP/key" --profile "${3:-$TEST_TMP/fw.yaml}" -o "$2" >/dev/null
}

# send_udp NS N: N datagrams of 100 bytes to 127.0.0.1 port 9 in NS.
send_udp() {
	inns "$1" python3 -c "import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range($2): s.sendto(b'x' * 100, ('127.0.0.1', 9))"
}

# save_agrees DOC FAMILY SAVE: the x_tables part FAMILY (iptables or
# ip6tables) of document DOC says what iptables-legacy-save -c wrote in
# SAVE: the same tables, chains in order, policies with their counters, rule
# counts and every rule's counters, and the NAT targets' addresses.
save_agrees() {
	python3 - "$@" <<-'PY'
	import json, re, sys
	doc = json.load(open(sys.argv[1]))[sys.argv[2]]
	saved, table = {}, None
	for line in open(sys.argv[3]):
	    line = line.rstrip("\n")
	    if line.startswith("*"):
	        table = saved.setdefault(line[1:], {"chains": [], "rules": {}})
	    elif line.startswith(":"):
	        name, policy, counts = line[1:].split(" ")
	        p, b = counts.strip("[]").split(":")
	        table["chains"].append((name, None if policy == "-" else policy,
	            int(p), int(b)))
	        table["rules"][name] = []
	    elif line.startswith("["):
	        m = re.match(r"\[(\d+):(\d+)\] -A (\S+) (.*)", line)
	        to = re.search(r"--to-(?:destination|source) (\S+)", m.group(4))
	        table["rules"][m.group(3)].append((int(m.group(1)),
	            int(m.group(2)), to.group(1) if to else None))
	assert doc["status"] == "read", doc
	got = {t["name"]: t for t in doc["tables"]}
	assert sorted(got) == sorted(saved), (sorted(got), sorted(saved))
	def nat(t):
	    if "min_address" not in t:
	        return None
	    a = t["min_address"]
	    if t["max_address"] != a:
	        a += "-" + t["max_address"]
	    if ":" in a and "." not in a:
	        a = "[" + a + "]"
	    if "min_port" in t:
	        a += ":%d" % t["min_port"]
	        if t["max_port"] != t["min_port"]:
	            a += "-%d" % t["max_port"]
	    return a
	for name, want in saved.items():
	    chains = got[name]["chains"]
	    have = [(c["name"], c.get("policy"), c.get("packets", 0),
	        c.get("bytes", 0)) for c in chains]
	    assert have == want["chains"], (name, have, want["chains"])
	    for c in chains:
	        rules = [(r["packets"], r["bytes"], nat(r["target"]))
	            for r in c["rules"]]
	        assert rules == want["rules"][c["name"]], (c["name"], rules,
	            want["rules"][c["name"]])
	    assert got[name]["rule_count"] == sum(len(r)
	        for r in want["rules"].values())
	PY
}

if [ -n "$need" ]; then
	test_skip 'the nftables ruleset agrees with nft -j list ruleset' "needs$need"
	test_skip 'iptables and ip6tables agree with iptables-legacy-save -c' "needs$need"
	test_skip 'a namespace with nothing in use: nothing queried into being' "needs$need"
	test_skip '10,000 rules and a set of 100,000 elements: bounded' "needs$need"
	test_skip 'a ruleset over the cap is recorded as truncated, not kept' "needs$need"
	test_skip 'an unprivileged run records EPERM and why' "needs$need"
	test_done
	exit
fi

test_expect_success 'the nftables ruleset agrees with nft -j list ruleset' '
	netns nft &&
	cat >rules.nft <<-\NFT &&
	table inet filter {
		set blocked { type ipv4_addr; flags interval; elements = { 192.0.2.0/24, 198.51.100.7 } }
		map ports { type inet_service : verdict; elements = { 22 : accept, 23 : drop } }
		counter seen { }
		chain input { type filter hook input priority 0; policy drop;
			ip saddr @blocked counter drop
			tcp dport vmap @ports
			iif lo counter name seen accept
		}
		chain output { type filter hook output priority 0; policy accept;
			udp dport 9 counter accept comment "discard"
		}
	}
	table ip nat {
		chain pre { type nat hook prerouting priority dstnat; policy accept;
			tcp dport 8080 dnat to 10.0.0.2:80
		}
		chain post { type nat hook postrouting priority srcnat; policy accept;
			oif lo snat to 192.0.2.1
		}
	}
	NFT
	inns nft nft -f rules.nft &&
	# Out through "discard", made 192.0.2.1 by the SNAT on lo, back in
	# from a blocked address: both counters see the three datagrams.
	send_udp nft 3 &&
	fw_collect nft nft.tar && test "$(cat status)" = 0 &&
	inns nft nft -j -n -u -a list ruleset >nft-expect.json &&
	extract nft.tar nx &&
	jq -e ".errors == [] and .nftables.status == \"read\"" nx/live/firewall.json >/dev/null &&
	jq -S "[.nftables[] | select(has(\"metainfo\") | not)]" nft-expect.json >want.json &&
	jq -S ".nftables.ruleset" nx/live/firewall.json >got.json &&
	cmp want.json got.json &&
	jq -e ".nftables.counts | .table == 2 and .chain == 4 and .rule == 6 and .set == 1 and .map == 1 and .counter == 1 and .[\"set elements\"] == 4" nx/live/firewall.json >/dev/null &&
	jq -e "[.nftables.ruleset[] | .rule // empty | .expr[] | .counter // empty | objects | .packets] == [3, 3]" nx/live/firewall.json >/dev/null &&
	jq -e "[.nftables.ruleset[] | .rule // empty | .expr[] | .dnat // empty | .addr] == [\"10.0.0.2\"]" nx/live/firewall.json >/dev/null &&
	jq -e "[.nftables.ruleset[] | .chain // empty | select(.name == \"input\") | .policy] == [\"drop\"]" nx/live/firewall.json >/dev/null &&
	jq -e "[.nftables.ruleset[] | .counter // empty | select(.name == \"seen\") | .packets] == [0]" nx/live/firewall.json >/dev/null &&
	manifest_entry nx live:firewall | jq -e ".kind == \"live\" and .path == \"live/firewall.json\"" >/dev/null &&
	custody verify --key key.pub nft.tar >/dev/null &&
	byhand_agrees 0 archive nft.tar key.pub
'

test_expect_success 'iptables and ip6tables agree with iptables-legacy-save -c' '
	netns xt &&
	inns xt iptables-legacy -P FORWARD DROP &&
	inns xt iptables-legacy -N audit &&
	inns xt iptables-legacy -A audit -i eth+ -j DROP &&
	inns xt iptables-legacy -A INPUT -s 10.1.0.0/16 -p tcp --dport 80 -m comment --comment web -j ACCEPT &&
	inns xt iptables-legacy -A INPUT -j audit &&
	inns xt iptables-legacy -A INPUT -g audit &&
	inns xt iptables-legacy -A OUTPUT -o lo -p udp --dport 9 -j ACCEPT &&
	inns xt iptables-legacy -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.9.9.9:80 &&
	inns xt iptables-legacy -t nat -A POSTROUTING -o eth0 -j SNAT --to-source 192.0.2.1-192.0.2.5 &&
	inns xt iptables-legacy -t nat -A POSTROUTING -o eth1 -j MASQUERADE &&
	inns xt iptables-legacy -t mangle -A PREROUTING -j MARK --set-mark 7 &&
	inns xt ip6tables-legacy -P INPUT DROP &&
	inns xt ip6tables-legacy -A INPUT -s 2001:db8::/32 -j ACCEPT &&
	inns xt ip6tables-legacy -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination "[2001:db8::9]:80" &&
	send_udp xt 4 &&
	fw_collect xt xt.tar && test "$(cat status)" = 0 &&
	inns xt iptables-legacy-save -c >xt4.save &&
	inns xt ip6tables-legacy-save -c >xt6.save &&
	extract xt.tar xx &&
	jq -e ".errors == []" xx/live/firewall.json >/dev/null &&
	save_agrees xx/live/firewall.json iptables xt4.save &&
	save_agrees xx/live/firewall.json ip6tables xt6.save &&
	jq -c "[.iptables.tables[] | .chains[] | .rules[] | .target | select(.chain) | [.verdict, .chain]]" xx/live/firewall.json >jumps &&
	test "$(cat jumps)" = "[[\"jump\",\"audit\"],[\"goto\",\"audit\"]]" &&
	jq -e "[.iptables.tables[] | .chains[] | .rules[] | .matches[] | select(.name == \"comment\") | .comment] == [\"web\"]" xx/live/firewall.json >/dev/null &&
	jq -e "[.iptables.tables[] | .chains[] | .rules[] | .in_interface | select(. != \"\")] == [\"eth+\"]" xx/live/firewall.json >/dev/null &&
	jq -e "[.iptables.tables[] | .chains[] | .rules[] | .source | select(. != \"0.0.0.0/0\")] == [\"10.1.0.0/16\"]" xx/live/firewall.json >/dev/null &&
	jq -e "[.iptables.tables[] | .chains[] | .rules[] | .target | select(.name == \"MARK\") | .data] | length == 1" xx/live/firewall.json >/dev/null &&
	byhand_agrees 0 archive xt.tar key.pub
'

test_expect_success 'a namespace with nothing in use: nothing queried into being' '
	netns empty &&
	{ inns empty cat /proc/net/ip_tables_names /proc/net/ip6_tables_names >names.before 2>/dev/null || :; } &&
	{ cut -d" " -f1 /proc/modules >modules.before 2>/dev/null || :; } &&
	fw_collect empty empty.tar && test "$(cat status)" = 0 &&
	{ inns empty cat /proc/net/ip_tables_names /proc/net/ip6_tables_names >names.after 2>/dev/null || :; } &&
	{ cut -d" " -f1 /proc/modules >modules.after 2>/dev/null || :; } &&
	! test -s names.before && ! test -s names.after &&
	cmp modules.before modules.after &&
	inns empty nft -j list ruleset >empty-nft.json &&
	jq -e "[.nftables[] | select(has(\"metainfo\") | not)] == []" empty-nft.json >/dev/null &&
	extract empty.tar ex &&
	jq -e ".nftables.ruleset == [] and .nftables.counts[\"set elements\"] == 0" ex/live/firewall.json >/dev/null &&
	jq -e "(.iptables.status == \"read\" and .iptables.tables == []) or (.iptables.status | startswith(\"not loaded\"))" ex/live/firewall.json >/dev/null &&
	jq -e "(.ip6tables.status == \"read\" and .ip6tables.tables == []) or (.ip6tables.status | startswith(\"not loaded\"))" ex/live/firewall.json >/dev/null &&
	jq -e ".nftables.module | IN(\"loaded\", \"built into the kernel\", \"the kernel loads no modules\")" ex/live/firewall.json >/dev/null
'

test_expect_success '10,000 rules and a set of 100,000 elements: bounded' '
	python3 - <<-\PY &&
	with open("big.nft", "w") as f:
	    f.write("table inet big {\n chain c {\n type filter hook input priority 0;\n")
	    for i in range(10000):
	        f.write(" ip saddr 10.%d.%d.%d tcp dport %d counter accept\n" %
	            (i >> 16 & 255, i >> 8 & 255, i & 255, 1 + i % 60000))
	    f.write(" }\n set s { type ipv4_addr; elements = {")
	    f.write(",".join("10.%d.%d.%d" % (100 + (i >> 16), i >> 8 & 255, i & 255)
	        for i in range(100000)))
	    f.write("} }\n}\n")
	with open("big.ipt", "w") as f:
	    f.write("*filter\n:INPUT ACCEPT [0:0]\n")
	    for i in range(10000):
	        f.write("-A INPUT -s 10.%d.%d.%d/32 -p tcp -m tcp --dport %d -j ACCEPT\n" %
	            (i >> 16 & 255, i >> 8 & 255, i & 255, 1 + i % 60000))
	    f.write("COMMIT\n")
	PY
	netns big &&
	inns big nft -f big.nft &&
	inns big iptables-legacy-restore <big.ipt &&
	fw_collect big big.tar && test "$(cat status)" = 0 &&
	# 150 MB here; sanitizers multiply it, and are not held to it.
	{ test "${CUSTODY_SANITIZED:-}" = yes || test "$(cat rss)" -lt 400000; } &&
	extract big.tar bx &&
	jq -e ".errors == [] and .nftables.counts.rule == 10000 and .nftables.counts[\"set elements\"] == 100000" bx/live/firewall.json >/dev/null &&
	jq -e "[.iptables.tables[] | select(.name == \"filter\") | .rule_count] == [10000]" bx/live/firewall.json >/dev/null &&
	test $(wc -c <bx/live/firewall.json) -lt 67108864
'

test_expect_success 'a ruleset over the cap is recorded as truncated, not kept' '
	fw_collect big capped.tar "$TEST_TMP/fw-capped.yaml" &&
	test "$(cat status)" = 0 &&
	extract capped.tar cx &&
	jq -e ".nftables.truncated == true and (.nftables | has(\"ruleset\") | not) and .nftables.output_size > 1048576" cx/live/firewall.json >/dev/null &&
	jq -r ".errors[]" cx/live/firewall.json >cap.errors &&
	test_grep "over the cap of 1048576 bytes" cap.errors
'

test_expect_success 'an unprivileged run records EPERM and why' '
	netns np &&
	inns np nft add table inet f &&
	inns np iptables-legacy -A INPUT -j ACCEPT &&
	inns np ip6tables-legacy -A INPUT -j ACCEPT &&
	mkdir -m 0777 nobody &&
	cp key nobody/key && chown 65534:65534 nobody/key && chmod 600 nobody/key &&
	inns np setpriv --reuid=65534 --regid=65534 --clear-groups "$CUSTODY" collect \
	    --key nobody/key --profile fw.yaml -o nobody/np.tar >/dev/null 2>np.err &&
	! grep -F "you must be root" np.err &&
	extract nobody/np.tar npx &&
	jq -r ".errors[]" npx/live/firewall.json >np.errors &&
	test_grep "nftables: not queried: needs CAP_NET_ADMIN (Operation not permitted, EPERM)" np.errors &&
	test_grep "iptables: needs CAP_NET_ADMIN: /proc/net/ip_tables_names: Permission denied" np.errors &&
	test_grep "ip6tables: needs CAP_NET_ADMIN: /proc/net/ip6_tables_names: Permission denied" np.errors &&
	jq -e ".nftables.status == \"error\" and .iptables.status == \"error\" and .ip6tables.status == \"error\"" npx/live/firewall.json >/dev/null
'

test_done
