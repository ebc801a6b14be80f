#!/bin/sh
# Kernel and system state, read natively: the ring buffer from /dev/kmsg
# (never consumed), /sys/module, every sysctl, the kernel's hardening
# settings and binfmt_misc, eBPF objects through bpf(2), the conntrack
# table over ctnetlink, rtnetlink links, addresses and neighbours, packet
# and netlink sockets, block and USB devices, audit, SELinux and AppArmor.
# Each is compared with the host's own tools (ip, conntrack, sysctl) where
# they exist; hostile twins: 10,000 addresses and neighbours in a network
# namespace, thousands of flows, a crafted ring-buffer copy, a run without
# privileges and a kernel without bpf(2).
. "$(dirname "$0")/lib.sh"

: "${OLD_KERNEL:=$(dirname "$CUSTODY")/tests/cli/old-kernel}"
SOURCES="kmsg sysctl kernel bpf conntrack devices security modules network sockets"

# Expect two files to hold the same lines, showing the difference if not.
test_cmp_files() {
	diff -u "$1" "$2" | head -40 >&2
	cmp -s "$1" "$2"
}

# Expect a file to be empty, showing it if not.
test_must_be_empty() {
	if test -s "$1"; then
		sed 's/^/  | /' "$1" | head -40 >&2
		return 1
	fi
}

# A profile of live entries: kernel_profile FILE SOURCE...
kernel_profile() {
	file=$1
	shift
	{ echo "name: kerneltest" && echo "entries:" &&
	  for s in "$@"; do echo "  - live: $s"; done; } >"$file"
}

# Collect the given sources into DIR (extracted): kernel_collect DIR SOURCE...
kernel_collect() {
	dir=$1
	shift
	kernel_profile "$TEST_TMP/$dir.yaml" "$@" &&
	custody collect --key "$TEST_TMP/key" --profile "$TEST_TMP/$dir.yaml" \
	    -o "$TEST_TMP/$dir.tar.zst" --quiet 2>"$TEST_TMP/$dir.err" &&
	extract "$TEST_TMP/$dir.tar.zst" "$TEST_TMP/$dir"
}

test_expect_success 'setup: a key' '
	make_key key >/dev/null
'

test_expect_success 'every kernel source is collected, sealed and verifies' '
	kernel_collect all $SOURCES &&
	for s in $SOURCES; do
		jq -e --arg s "$s" ".source == \$s and .format_version == 1 and
		    (.errors | type) == \"array\"" "all/live/$s.json" >/dev/null || return 1
		manifest_entry all "live:$s" | jq -e ".kind == \"live\"" >/dev/null || return 1
	done &&
	custody verify all.tar.zst --key key.pub >out 2>&1 &&
	test_grep "verified" out
'

test_expect_success 'kmsg: a record written now is read with its metadata, and not consumed' '
	marker="custody-kmsg-$$-$(date +%s)" &&
	printf "<13>%s\n" "$marker" >/dev/kmsg &&
	kernel_collect k1 kmsg && kernel_collect k2 kmsg &&
	for d in k1 k2; do
		jq -e --arg m "$marker" "[.records[] | select(.message | endswith(\$m))] |
		    length == 1 and .[0].facility == \"user\" and .[0].level == 5 and
		    .[0].level_name == \"notice\"" "$d/live/kmsg.json" >/dev/null || return 1
	done &&
	jq -r --arg m "$marker" ".records[] | select(.message | endswith(\$m)) | .time_utc" \
	    k1/live/kmsg.json >when &&
	now=$(date +%s) && then=$(date -d "$(cat when)" +%s) &&
	test $((now - then)) -lt 300 && test $((then - now)) -lt 300 &&
	jq -e ".count == (.records | length) and .count > 0 and .truncated == false and
	    ([.records[].sequence] | . == sort)" k1/live/kmsg.json >/dev/null
'

test_expect_success 'kmsg: a crafted copy of the ring is parsed record by record' '
	mkdir -p fake/dev &&
	printf "%s\n" "6,1,5000000,-;first line" " SUBSYSTEM=usb" " DEVICE=c189:1" \
	    "no header at all" "3,2,7000000,c,extra;second; with semicolon" \
	    "14,3,junk,-;bad time" ";" >fake/dev/kmsg &&
	cat >fk.yaml <<-YAML &&
	name: fakekmsg
	entries:
	  - live: kmsg
	    root: $TEST_TMP/fake
	YAML
	custody collect --ephemeral --profile "$TEST_TMP/fk.yaml" -o fk.tar.zst --quiet 2>/dev/null &&
	extract fk.tar.zst fk &&
	jq -e ".count == 2 and .malformed == 3 and
	    .records[0].dictionary == {\"SUBSYSTEM\": \"usb\", \"DEVICE\": \"c189:1\"} and
	    .records[0].seconds == 5 and .records[1].message == \"second; with semicolon\" and
	    .records[1].level_name == \"err\" and .records[1].flags == \"c\"" fk/live/kmsg.json >/dev/null
'

test_expect_success 'kmsg: a copy of 40 MB is cut at the documented 32 MiB, in bounded time' '
	python3 -c "
import sys
line = b\"6,1,1,-;\" + b\"x\" * 990 + b\"\\n\"
sys.stdout.buffer.write(line * 42000)" >fake/dev/kmsg &&
	run_bounded "$CUSTODY" collect --ephemeral --profile "$TEST_TMP/fk.yaml" -o big.tar.zst --quiet &&
	test "$(cat status)" = 0 &&
	extract big.tar.zst big &&
	jq -e ".truncated == true and .count > 30000 and .count < 34000" big/live/kmsg.json >/dev/null
'

test_expect_success 'kmsg: a copy of 250,000 records is cut at the documented 100,000' '
	python3 -c "
import sys
sys.stdout.buffer.write(b\"\".join(b\"6,%d,%d,-;message %d\\n SUBSYSTEM=x\\n\" % (i, i, i)
    for i in range(250000)))" >fake/dev/kmsg &&
	run_bounded "$CUSTODY" collect --ephemeral --profile "$TEST_TMP/fk.yaml" -o many.tar.zst --quiet &&
	test "$(cat status)" = 0 &&
	extract many.tar.zst many &&
	jq -e ".truncated == true and .count == 100000 and .records[-1].sequence == 99999 and
	    .records[-1].dictionary.SUBSYSTEM == \"x\"" many/live/kmsg.json >/dev/null
'

test_expect_success 'modules: every /sys/module entry, built-in ones too; /proc/modules in it' '
	ls /sys/module | sort >want &&
	jq -r ".sysfs[].name" all/live/modules.json | sort >got &&
	test_cmp_files want got &&
	jq -e "[.sysfs[] | select(.builtin)] | length > 0" all/live/modules.json >/dev/null &&
	if test -r /proc/modules; then
		cut -d" " -f1 /proc/modules | sort >loaded &&
		jq -r ".modules[].name" all/live/modules.json | sort >ours &&
		test_cmp_files loaded ours
	fi &&
	for m in $(ls /sys/module | head -20); do
		test -d /sys/module/$m/parameters || continue
		for p in $(ls /sys/module/$m/parameters); do
			test -r /sys/module/$m/parameters/$p || continue
			want=$(cat /sys/module/$m/parameters/$p 2>/dev/null) || continue
			got=$(jq -r --arg m "$m" --arg p "$p" ".sysfs[] | select(.name == \$m) |
			    .parameters[\$p] // \"<absent>\"" all/live/modules.json)
			test "$want" = "$got" || { echo "$m/$p: $want vs $got"; return 1; }
		done
	done
'

test_expect_success 'sysctl: every key sysctl -a shows is there, stable values equal' '
	sysctl -a 2>/dev/null | sed -n "s/ = .*//p" | sort -u >keys &&
	jq -r "(.values | keys[]), .secrets_not_collected[]" all/live/sysctl.json |
	    sort -u >ourkeys &&
	comm -23 keys ourkeys >missing &&
	test_must_be_empty missing &&
	for k in kernel.ostype kernel.osrelease kernel.pid_max kernel.printk \
	    kernel.core_pattern kernel.ngroups_max fs.nr_open fs.file-max; do
		want=$(sysctl -n $k) &&
		got=$(jq -r --arg k "$k" ".values[\$k]" all/live/sysctl.json) &&
		test "$want" = "$got" || { echo "$k: $want vs $got"; return 1; }
	done &&
	jq -e ".write_only_skipped > 0 and (.values | has(\"vm.compact_memory\") | not) and
	    (.values | has(\"vm.stat_refresh\") | not) and
	    (.unreadable | has(\"vm.compact_memory\") | not) and .truncated == false and
	    .count == (.values | length)" all/live/sysctl.json >/dev/null
'

test_expect_success 'kernel: core_pattern, kptr_restrict, binfmt_misc as the host has them' '
	jq -e --arg c "$(cat /proc/sys/kernel/core_pattern)" \
	    --arg k "$(cat /proc/sys/kernel/kptr_restrict)" \
	    ".core_pattern == \$c and .kptr_restrict == \$k and
	    (.binfmt_misc.mounted | type) == \"boolean\" and
	    (.binfmt_misc.handlers | type) == \"array\"" all/live/kernel.json >/dev/null &&
	if test -r /proc/sys/fs/binfmt_misc/status; then
		ls /proc/sys/fs/binfmt_misc | grep -v -e "^status$" -e "^register$" | sort >want &&
		jq -r ".binfmt_misc.handlers[].name" all/live/kernel.json | sort >got &&
		test_cmp_files want got
	else
		jq -e ".binfmt_misc.mounted == false" all/live/kernel.json >/dev/null
	fi &&
	if test -e /sys/kernel/security/lockdown; then
		jq -e ".lockdown_mode | type == \"string\"" all/live/kernel.json >/dev/null
	else
		jq -e ".unreadable.lockdown == \"No such file or directory\"" all/live/kernel.json >/dev/null
	fi
'

test_expect_success 'bpf: a map and a program held by a process are listed with their fields' '
	kernel_profile bh.yaml bpf sockets &&
	python3 "$SRCDIR/tests/cli/bpf-hold.py" "$CUSTODY" collect --ephemeral \
	    --profile "$TEST_TMP/bh.yaml" -o bh.tar.zst --quiet >held 2>/dev/null &&
	extract bh.tar.zst bh &&
	pid=$(sed -n "s/^pid //p" held) &&
	jq -e "[.maps[] | select(.name == \"custody_map\")] | length == 1 and
	    .[0].type_name == \"hash\" and .[0].key_size == 4 and .[0].value_size == 8 and
	    .[0].max_entries == 16" bh/live/bpf.json >/dev/null &&
	map=$(jq ".maps[] | select(.name == \"custody_map\") | .id" bh/live/bpf.json) &&
	jq -e --argjson map "$map" "[.programs[] | select(.name == \"custody_prog\")] |
	    length == 1 and .[0].type_name == \"socket_filter\" and .[0].map_ids == [\$map] and
	    .[0].uid == 0 and (.[0].tag | test(\"^[0-9a-f]{16}$\")) and .[0].xlated_size == 32 and
	    (.[0].load_time_utc | test(\"^20[0-9-]{8}T\"))" bh/live/bpf.json >/dev/null &&
	jq -e ".programs_error == null and .maps_error == null" bh/live/bpf.json >/dev/null &&
	jq -e --argjson pid "$pid" "[.packet[] | select(.protocol == 3 and .type == \"raw\" and
	    ([.owners[].pid] | index(\$pid) != null))] | length == 1" bh/live/sockets.json >/dev/null
'

test_expect_success 'bpf: a kernel without bpf(2) is recorded, not fatal' '
	kernel_profile ok.yaml bpf &&
	"$OLD_KERNEL" "$CUSTODY" collect --ephemeral --profile "$TEST_TMP/ok.yaml" \
	    -o ok.tar.zst --quiet 2>/dev/null &&
	extract ok.tar.zst ok &&
	jq -e ".programs_error == \"Function not implemented\" and
	    .maps_error == \"Function not implemented\" and .programs == [] and
	    (.errors | index(\"bpf programs: Function not implemented\") != null)" ok/live/bpf.json >/dev/null
'

test_expect_success 'sockets: netlink sockets as /proc/net/netlink lists them' '
	jq -e "(.netlink | length) > 0 and ([.netlink[].protocol_name] | index(\"route\") != null)" \
	    all/live/sockets.json >/dev/null
'

test_expect_success 'devices: every block device of /sys/class/block, sizes in bytes' '
	ls /sys/class/block | sort >want &&
	jq -r ".block[].name" all/live/devices.json | sort >got &&
	test_cmp_files want got &&
	for b in $(ls /sys/class/block); do
		size=$(($(cat /sys/class/block/$b/size) * 512)) &&
		jq -e --arg b "$b" --argjson s "$size" ".block[] | select(.name == \$b) |
		    .size_bytes == \$s" all/live/devices.json >/dev/null || return 1
		test -e /sys/class/block/$b/partition || continue
		jq -e --arg b "$b" ".block[] | select(.name == \$b) | .disk | type == \"string\"" \
		    all/live/devices.json >/dev/null || return 1
	done &&
	if test -d /sys/bus/usb/devices; then
		jq -e ".usb | type == \"array\"" all/live/devices.json >/dev/null
	else
		jq -e ".usb == [] and (.usb_note | test(\"no USB\"))" all/live/devices.json >/dev/null
	fi
'

test_expect_success 'security: the audit status, SELinux and AppArmor presence' '
	jq -e "(.audit | has(\"enabled\") or has(\"status_error\")) and
	    (.selinux.present | type) == \"boolean\" and
	    (.apparmor.present | type) == \"boolean\"" all/live/security.json >/dev/null &&
	if test -d /sys/fs/selinux; then
		jq -e --arg e "$(cat /sys/fs/selinux/enforce)" ".selinux.enforce == \$e" \
		    all/live/security.json >/dev/null
	fi
'

if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && command -v ip >/dev/null; then
test_expect_success 'network: 10,000 addresses and neighbours in a namespace, as ip shows them' '
	kernel_profile net.yaml network &&
	i=0 && while [ $i -lt 10000 ]; do
		echo "addr add 10.$((i / 62500)).$((i / 250 % 250)).$((i % 250 + 1))/8 dev lo"
		echo "neigh add 172.16.$((i / 250)).$((i % 250 + 1)) lladdr 02:00:00:00:$(printf %02x $((i / 256))):$(printf %02x $((i % 256))) dev br0 nud permanent"
		i=$((i + 1))
	done >batch &&
	cat >netns.sh <<-EOF &&
	ip link set lo up && ip link add br0 type bridge && ip link set br0 up &&
	ip link add v0 type veth peer name v1 && ip link set v0 address 02:aa:bb:cc:dd:ee mtu 1400 &&
	ip -6 addr add fd00::1/64 dev lo &&
	ip -batch batch && ip -j addr >ip-addr.json && ip -j neigh >ip-neigh.json &&
	ip -j link >ip-link.json &&
	"$CUSTODY" collect --ephemeral --profile net.yaml -o net.tar.zst --quiet 2>/dev/null
	EOF
	start=$(date +%s) && unshare -n sh netns.sh && end=$(date +%s) &&
	extract net.tar.zst net &&
	jq -r ".[] | .ifname as \$i | .addr_info[] | \"\(\$i) \(.local)/\(.prefixlen)\"" \
	    ip-addr.json | sort >want &&
	jq -r ".addresses[] | \"\(.ifname) \(.address)/\(.prefix_length)\"" net/live/network.json |
	    sort >got &&
	test_cmp_files want got && test $(wc -l <got) -gt 10000 &&
	jq -r ".[] | select(.lladdr != null) | \"\(.dst) \(.dev) \(.lladdr)\"" ip-neigh.json | sort >want &&
	jq -r ".neighbours[] | select(.hw_address != null and .hw_address != \"\" and
	    (.state_text | index(\"NOARP\") == null)) |
	    \"\(.address) \(.ifname) \(.hw_address)\"" net/live/network.json | sort >got &&
	test_cmp_files want got && test $(wc -l <got) -ge 10000 &&
	jq -r ".[] | \"\(.ifname) \(.address) \(.mtu) \(.operstate)\"" ip-link.json | sort >want &&
	jq -r ".links[] | \"\(.ifname) \(.address) \(.mtu) \(.operstate)\"" net/live/network.json |
	    sort >got &&
	test_cmp_files want got &&
	jq -e ".addresses_truncated == false and .neighbours_truncated == false" \
	    net/live/network.json >/dev/null &&
	echo "10,000 addresses and neighbours: $((end - start)) s with the setup" &&
	test $((end - start)) -lt 120
'
else
test_skip 'network: 10,000 addresses and neighbours in a namespace' 'needs root, ip and unshare -n'
fi

if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && command -v conntrack >/dev/null &&
    command -v nft >/dev/null && test -e /proc/net/nf_conntrack; then
test_expect_success 'conntrack: thousands of flows in a namespace, as conntrack -L shows them' '
	kernel_profile ct.yaml conntrack &&
	cat >ctns.sh <<-EOF &&
	ip link set lo up &&
	sysctl -qw net.netfilter.nf_conntrack_acct=1 &&
	sysctl -qw net.netfilter.nf_conntrack_timestamp=1 &&
	nft add table inet custody &&
	nft add chain inet custody out "{ type filter hook output priority 0; }" &&
	nft add rule inet custody out ct state new counter &&
	python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(20000, 23000):
    s.sendto(b\"x\" * 10, (\"127.0.0.1\", port))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for port in range(30000, 30500):
    s6.sendto(b\"y\", (\"::1\", port))
" &&
	conntrack -I -s 10.9.0.1 -d 10.9.0.2 -p tcp --sport 4000 --dport 443 \
	    --state ESTABLISHED -t 3000 -m 42 2>/dev/null &&
	conntrack -I -s fd00::7 -d fd00::8 -p tcp --sport 5000 --dport 22 \
	    --state TIME_WAIT -t 100 2>/dev/null &&
	conntrack -L -o extended >ct.txt 2>/dev/null &&
	"$CUSTODY" collect --ephemeral --profile ct.yaml -o ct.tar.zst --quiet 2>/dev/null
	EOF
	unshare -n sh ctns.sh &&
	extract ct.tar.zst ct &&
	jq -e ".loaded == true and .method == \"netlink\" and .truncated == false" \
	    ct/live/conntrack.json >/dev/null &&
	awk "{ s = d = sp = dp = \"\"
	    for (i = 4; i <= NF; i++) {
		split(\$i, kv, \"=\")
		if (kv[1] == \"src\" && s == \"\") s = kv[2]
		if (kv[1] == \"dst\" && d == \"\") d = kv[2]
		if (kv[1] == \"sport\" && sp == \"\") sp = kv[2]
		if (kv[1] == \"dport\" && dp == \"\") dp = kv[2]
	    }
	    print \$1, \$3, s, d, sp, dp }" ct.txt | sort >want &&
	jq -r ".flows[] | \"\(.family) \(.protocol_name) \(.original.src) \(.original.dst) \(.original.sport) \(.original.dport)\"" \
	    ct/live/conntrack.json | sort >got &&
	test_cmp_files want got && test $(wc -l <got) -ge 3502 &&
	jq -e "[.flows[] | select(.original.dport == 443)][0] | .mark == 42 and
	    .state == \"ESTABLISHED\" and .reply.src == \"10.9.0.2\" and .reply.sport == 443 and
	    .timeout > 2000" ct/live/conntrack.json >/dev/null &&
	jq -e "[.flows[] | select(.original.dport == 22)][0] | .state == \"TIME_WAIT\" and
	    .family == \"ipv6\"" ct/live/conntrack.json >/dev/null &&
	jq -e "[.flows[] | select(.original.dport == 20007)][0] |
	    .counters_original == {\"packets\": 1, \"bytes\": 38} and
	    (.timestamps.start | test(\"^20[0-9-]{8}T\")) and (.status_text | index(\"CONFIRMED\") != null)" \
	    ct/live/conntrack.json >/dev/null
'

test_expect_success 'conntrack: 52,000 flows are cut at the documented 50,000, bounded in time and memory' '
	cat >capns.sh <<-EOF &&
	ip link set lo up &&
	nft add table inet custody &&
	nft add chain inet custody out "{ type filter hook output priority 0; }" &&
	nft add rule inet custody out ct state new counter &&
	python3 -c "
import socket
for base in (\"127.0.0.1\", \"127.0.0.2\"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for port in range(1024, 27024):
        s.sendto(b\"x\", (base, port))
" &&
	conntrack -C >ct-count &&
	/usr/bin/time -f "%e %M" -o ct-usage timeout 120 "$CUSTODY" collect --ephemeral \
	    --profile ct.yaml -o cap.tar.zst --quiet 2>/dev/null
	EOF
	unshare -n sh capns.sh &&
	test "$(cat ct-count)" -ge 52000 &&
	extract cap.tar.zst cap &&
	jq -e ".method == \"netlink\" and .truncated == true and .count == 50000 and
	    (.flows | length) == 50000" cap/live/conntrack.json >/dev/null &&
	read seconds kilobytes <ct-usage &&
	echo "52,000 flows: $seconds s, $kilobytes KiB" &&
	test "${seconds%.*}" -lt 60 &&
	if test "${CUSTODY_SANITIZED:-no}" != yes; then test "$kilobytes" -lt 600000; fi
'
else
test_skip 'conntrack: thousands of flows in a namespace' 'needs root, conntrack, nft and nf_conntrack'
fi

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
test_expect_success 'without privileges: what the kernel refuses is recorded with the reason' '
	mkdir nobody && chown 65534:65534 nobody &&
	kernel_profile nobody.yaml $SOURCES &&
	(cd nobody && setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CUSTODY" collect --ephemeral --profile "$TEST_TMP/nobody.yaml" -o np.tar.zst \
	    --quiet 2>/dev/null) &&
	extract nobody/np.tar.zst np &&
	jq -e ".programs_error == \"Operation not permitted\" and
	    (.errors | index(\"bpf programs: Operation not permitted\") != null)" np/live/bpf.json >/dev/null &&
	jq -e "(.audit.status_error | test(\"not permitted|refused|not supported\"))" np/live/security.json >/dev/null &&
	if test "$(cat /proc/sys/kernel/dmesg_restrict)" = 1; then
		jq -e ".open_error == \"Operation not permitted\" and .records == []" np/live/kmsg.json >/dev/null
	fi &&
	jq -e ".netlink_error == \"Operation not permitted\" and
	    ([.errors[] | select(test(\"nf_conntrack: Permission denied\"))] | length == 1)" \
	    np/live/conntrack.json >/dev/null &&
	jq -e ".count > 100 and (.unreadable | length) > 0 and
	    ([.unreadable[]] | all(. == \"Permission denied\" or . == \"Input/output error\" or
	    . == \"Operation not permitted\" or . == \"Invalid argument\"))" np/live/sysctl.json >/dev/null &&
	jq -e ".links | length > 0" np/live/network.json >/dev/null
'
else
test_skip 'without privileges: what the kernel refuses is recorded' 'needs root and setpriv'
fi

test_expect_success 'the triage profile collects every kernel source' '
	custody collect --list-profiles >profiles 2>&1 &&
	for s in kmsg sysctl kernel bpf conntrack devices security; do
		sed -n "/^  - live: $s\$/p" "$SRCDIR/profiles/triage.yaml" | grep -q . ||
		    { echo "triage lacks $s"; return 1; }
	done
'

test_expect_success 'the by-hand verifier agrees on a kernel-state archive' '
	byhand_agrees 0 archive all.tar.zst key.pub
'

test_done
