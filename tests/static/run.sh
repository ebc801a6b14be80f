#!/bin/sh
# The static binaries where the dynamic build cannot go: an empty root (the
# binary, /proc, /dev and a tree, nothing else), a Debian 11 root, and the
# aarch64 binary under qemu-user; and the MIME types they record equal the
# dynamic build's on known files. Prints TAP. Run as root from the top build
# directory, after `make` and `make static`:
#
#   sh tests/static/run.sh [--x86_64 BIN] [--aarch64 BIN] [--dynamic BIN]
#                          [--cache DIR]
#
# BIN default to ./custody-VERSION-ARCH and ./custody; DIR keeps the Debian 11
# root between runs (default /var/tmp/custody-static-test).
set -u

X86=
A64=
DYN=./custody
CACHE=/var/tmp/custody-static-test
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
while [ $# -gt 0 ]; do
	case $1 in
	--x86_64) X86=$2; shift 2 ;;
	--aarch64) A64=$2; shift 2 ;;
	--dynamic) DYN=$2; shift 2 ;;
	--cache) CACHE=$2; shift 2 ;;
	*) echo "usage: tests/static/run.sh [--x86_64 BIN] [--aarch64 BIN] [--dynamic BIN] [--cache DIR]" >&2; exit 2 ;;
	esac
done
newest() {
	ls -t $1 2>/dev/null | head -1
}
[ -n "$X86" ] || X86=$(newest './custody-*-x86_64')
[ -n "$A64" ] || A64=$(newest './custody-*-aarch64')

n=0
failed=0
SKIPPED=
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
note() { echo "# $*"; }
# Run a check; its output goes to the TAP stream as comments when it fails.
check() {
	desc=$1
	shift
	if "$@" >"$W/check.out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		sed 's/^/#   /' "$W/check.out" | tail -40
	fi
}

echo "1..10"

W=$(mktemp -d /tmp/custody-static-test.XXXXXX) || exit 2
MOUNTS=
cleanup() {
	for m in $MOUNTS; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	MOUNTS=
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

is_root=0
[ "$(id -u)" = 0 ] && is_root=1

need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "$is_root" = 1 ] || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" \
		>"$W/apt.log" 2>&1 || {
		apt-get update -qq >/dev/null 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" \
			>"$W/apt.log" 2>&1
	}
	command -v "$1" >/dev/null 2>&1
}

# The known files: every type named by the tests, generated here.
make_known() {
	kd=$1
	mkdir -p "$kd" &&
	python3 - "$kd/image.png" <<'EOF' &&
import struct, sys, zlib
def chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
rows = b"".join(b"\0" + bytes(sum(([x * 16, y * 16, 128] for x in range(16)), [])) for y in range(16))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF
	printf 'plain words for the gzip member\n%.0s' 1 2 3 4 5 6 7 8 | gzip -9n > "$kd/data.gz" &&
	cp "$X86" "$kd/program.elf" &&
	printf '%s\n' '%PDF-1.4' '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj' \
		'2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj' \
		'trailer << /Root 1 0 R >>' '%%EOF' > "$kd/document.pdf" &&
	printf '{"case": "static", "files": [1, 2, 3], "ok": true}\n' > "$kd/data.json" &&
	printf '#!/bin/sh\nset -e\necho "collected"\n' > "$kd/script.sh" &&
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<evidence><item id="1">disk</item></evidence>\n' > "$kd/data.xml" &&
	printf 'An examiner wrote this note in plain text.\nA second line.\n' > "$kd/notes.txt" &&
	: > "$kd/empty" &&
	printf 'caf\303\251 au lait\n' > "$kd/r$(printf '\303\251')sum$(printf '\303\251') $(printf '\342\200\224') na$(printf '\303\257')ve.txt"
}

# A tree to collect, in ROOT/tree.
make_tree() {
	mkdir -p "$1/tree/etc" "$1/out" &&
	printf 'hosts file\n' > "$1/tree/etc/hosts" &&
	make_known "$1/tree/known"
}

# Bind /proc and /dev into ROOT.
mount_root() {
	mkdir -p "$1/proc" "$1/dev" &&
	mount -t proc proc "$1/proc" && MOUNTS="$1/proc $MOUNTS" &&
	mount --bind /dev "$1/dev" && MOUNTS="$1/dev $MOUNTS"
}

umount_root() {
	umount "$1/proc" && umount "$1/dev" || return 1
	MOUNTS=$(echo "$MOUNTS" | tr ' ' '\n' | grep -v -x -e "$1/proc" -e "$1/dev" | tr '\n' ' ')
}

# The MIME type recorded for each known file of an archive, as "name type".
types_of() {
	zstd -dc "$1" | tar -xOf - custody/manifest.jsonl | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    p = e.get("path", "")
    if "/known/" in p and "mime" in e:
        print(p.rsplit("/known/", 1)[1], e["mime"])
' | LC_ALL=C sort
}

# Collect ROOT/tree inside ROOT with the binary at ROOT/DIR/custody (run by
# RUNNER, e.g. qemu), verify it, check the non-ASCII name and a tampered copy.
collect_in_root() {
	root=$1 dir=$2 runner=$3
	in_root() {
		# shellcheck disable=SC2086
		chroot "$root" $runner "$dir/custody" "$@"
	}
	in_root key generate --name "Static Test" --role examiner -o /out/t.key </dev/null &&
	in_root collect --key /out/t.key --types --case-id STATIC -o /out/ /tree </dev/null &&
	archive=$(cd "$root/out" && ls ./*.tar.zst | head -1) && archive=${archive#./} &&
	[ -n "$archive" ] &&
	in_root verify --key /out/t.key.pub "/out/$archive" &&
	in_root verify --types --key /out/t.key.pub "/out/$archive" &&
	zstd -dc "$root/out/$archive" | tar -tf - > "$W/members" &&
	grep -F "files/tree/known/r$(printf '\303\251')sum$(printf '\303\251') " "$W/members" &&
	cp "$root/out/$archive" "$root/out/tampered.tar.zst" &&
	python3 -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(b)
' "$root/out/tampered.tar.zst" && {
		in_root verify --key /out/t.key.pub /out/tampered.tar.zst
		st=$?
		[ "$st" = 1 ] || { echo "tampered archive: exit $st, want 1"; false; }
	} &&
	cp "$root/out/$archive" "$W/$4.tar.zst"
}

# An empty root: the binary, /proc, /dev, the tree, nothing else.
empty_root_test() {
	arch=$1 bin=$2 runner=$3
	r=$W/empty-$arch
	mkdir -p "$r" && cp "$bin" "$r/custody" && make_tree "$r" || return 1
	if [ -n "$runner" ]; then cp "$(command -v "$runner")" "$r/$runner" || return 1; runner=/$runner; fi
	mount_root "$r" || return 1
	find "$r" -mindepth 1 -maxdepth 1 | sed "s|^$r/|root holds: |" | sort
	collect_in_root "$r" "" "$runner" "$arch-empty"
	st=$?
	umount_root "$r" || st=1
	return $st
}

if [ "$is_root" = 1 ] && command -v chroot >/dev/null 2>&1 && need_tool zstd zstd && need_tool file file; then
	can_chroot=1
else
	can_chroot=0
	note "chroot needs root and zstd; running as uid $(id -u)"
fi

# 1-3: the x86_64 binary.
if [ -n "$X86" ] && [ -f "$X86" ]; then
	check "x86_64: $X86 is statically linked" sh -c \
		'LC_ALL=C ldd "$1" 2>&1 | grep -q "not a dynamic executable" && file "$1" | grep -q "statically linked"' sh "$X86"
	if [ "$can_chroot" = 1 ]; then
		check "x86_64: collects and verifies in an empty root (non-ASCII name kept, tampering found)" \
			empty_root_test x86_64 "$X86" ""
	else
		skip "x86_64 in an empty root: cannot chroot"; SKIPPED="$SKIPPED x86_64-empty"
	fi
else
	not_ok "x86_64: no binary (make static, or --x86_64 BIN)"
	not_ok "x86_64: no binary to run in an empty root"
fi

# A Debian 11 root, kept in CACHE between runs.
bullseye_root() {
	b=$CACHE/bullseye
	[ -f "$b/.complete" ] && return 0
	need_tool debootstrap debootstrap || return 1
	rm -rf "$b" && mkdir -p "$CACHE" &&
	debootstrap --variant=minbase bullseye "$b" "$MIRROR" >"$W/debootstrap.log" 2>&1 &&
	touch "$b/.complete" || { tail -20 "$W/debootstrap.log"; return 1; }
}

bullseye_test() {
	b=$CACHE/bullseye
	t=/custody-static-test
	rm -rf "$b$t" "$b/tree" "$b/out" &&
	mkdir -p "$b$t" && cp "$X86" "$b$t/custody" && make_tree "$b" || return 1
	mount_root "$b" || return 1
	if [ -x "$DYN" ]; then
		cp "$DYN" "$b$t/custody-dynamic" &&
		if chroot "$b" "$t/custody-dynamic" --help >"$W/dyn.out" 2>&1; then
			echo "the dynamic build starts in Debian 11"
		else
			echo "the dynamic build does not start in Debian 11: $(head -1 "$W/dyn.out")"
		fi
	fi
	chroot "$b" sh -c '. /etc/os-release; echo "root: $PRETTY_NAME"'
	collect_in_root "$b" "$t" "" x86_64-bullseye
	st=$?
	umount_root "$b" || st=1
	rm -rf "$b$t" "$b/tree" "$b/out"
	return $st
}

if [ -z "$X86" ] || [ ! -f "$X86" ]; then
	not_ok "x86_64 in Debian 11: no binary"
elif [ "$can_chroot" != 1 ]; then
	skip "x86_64 in Debian 11: cannot chroot"; SKIPPED="$SKIPPED x86_64-bullseye"
elif ! bullseye_root >"$W/bullseye.out" 2>&1; then
	if grep -qi 'resolv\|connect\|Failed getting release\|unreachable' "$W/bullseye.out" "$W/debootstrap.log" 2>/dev/null; then
		skip "x86_64 in Debian 11: debootstrap cannot reach $MIRROR"; SKIPPED="$SKIPPED x86_64-bullseye"
	else
		not_ok "x86_64 in Debian 11: debootstrap failed"
	fi
	sed 's/^/#   /' "$W/bullseye.out" | tail -20
else
	check "x86_64: collects and verifies in a Debian 11 root (debootstrap minbase bullseye)" bullseye_test
	grep '^the dynamic\|^root:' "$W/check.out" | sed 's/^/# /'
fi

# 4-5: the aarch64 binary under qemu-user, called directly.
if [ -n "$A64" ] && [ -f "$A64" ]; then
	check "aarch64: $A64 is statically linked for aarch64" sh -c \
		'file "$1" | grep -q "ARM aarch64" && file "$1" | grep -q "statically linked"' sh "$A64"
	if [ "$can_chroot" != 1 ]; then
		skip "aarch64 in an empty root: cannot chroot"; SKIPPED="$SKIPPED aarch64-empty"
	elif ! need_tool qemu-aarch64-static qemu-user-static; then
		skip "aarch64 in an empty root: no qemu-aarch64-static"; SKIPPED="$SKIPPED aarch64-empty"
	else
		check "aarch64: collects and verifies in an empty root under qemu-aarch64-static" \
			empty_root_test aarch64 "$A64" qemu-aarch64-static
	fi
else
	not_ok "aarch64: no binary (make static, or --aarch64 BIN)"
	not_ok "aarch64: no binary to run under qemu"
fi

# 6-9: the MIME types.
dynamic_types() {
	d=$W/dynamic
	mkdir -p "$d" && make_tree "$d" &&
	"$DYN" key generate --name "Dynamic" --role examiner -o "$d/d.key" </dev/null >/dev/null &&
	"$DYN" collect --key "$d/d.key" --types --case-id DYN -o "$d/out/" "$d/tree" </dev/null 2>/dev/null &&
	types_of "$(ls "$d"/out/*.tar.zst | head -1)" > "$W/types-dynamic" &&
	cat "$W/types-dynamic"
}

compare_types() {
	[ -f "$W/$1.tar.zst" ] || { echo "no archive from $1"; return 1; }
	types_of "$W/$1.tar.zst" > "$W/types-$1" &&
	# The ELF file is the x86_64 binary itself in every tree.
	diff "$W/types-dynamic" "$W/types-$1"
}

expected_types() {
	for want in "image.png image/png" "data.gz application/gzip" \
	    "document.pdf application/pdf" "data.json application/json" \
	    "script.sh text/x-shellscript" "data.xml text/xml" \
	    "notes.txt text/plain" "empty inode/x-empty"; do
		grep -qxF "$want" "$W/types-dynamic" || { echo "missing: $want"; return 1; }
	done
	grep -q '^program.elf application/x-' "$W/types-dynamic" ||
		{ echo "program.elf: not an ELF type"; return 1; }
}

dynamic_expected() {
	dynamic_types && expected_types
}

if [ ! -x "$DYN" ]; then
	not_ok "MIME types: no dynamic build at $DYN (make)"
	have_dyn=0
else
	check "MIME types: the dynamic build types the known files (PNG, gzip, ELF, PDF, JSON, shell, XML, text, empty)" \
		dynamic_expected
	sed 's/^/#   /' "$W/types-dynamic" 2>/dev/null
	have_dyn=1
	[ -f "$W/types-dynamic" ] || have_dyn=0
fi
for run in x86_64-empty x86_64-bullseye aarch64-empty; do
	if [ "$have_dyn" != 1 ]; then
		not_ok "MIME types: $run: no types from the dynamic build to compare"
	elif [ ! -f "$W/$run.tar.zst" ]; then
		if echo " $SKIPPED " | grep -q " $run "; then
			skip "MIME types: $run: its collection was skipped"
		else
			not_ok "MIME types: $run: no archive (its collection failed or was skipped)"
		fi
	else
		check "MIME types: $run records the dynamic build's types" compare_types "$run"
	fi
done

# 10: the firewall source in an empty root, in a network namespace made
# here with a legacy NAT rule: x_tables are read through the kernel alone.
firewall_test() {
	r=$W/firewall-root
	ns=custody-static-fw-$$
	mkdir -p "$r/out" && cp "$X86" "$r/custody" &&
	printf 'name: fw\nentries:\n  - live: firewall\n' > "$r/fw.yaml" &&
	mount_root "$r" || return 1
	ip netns add "$ns" &&
	ip netns exec "$ns" iptables-legacy -t nat -A PREROUTING -p tcp --dport 8080 \
	    -j DNAT --to-destination 192.0.2.9:80 &&
	chroot "$r" /custody key generate --name "Static Test" --role examiner \
	    -o /out/t.key </dev/null &&
	ip netns exec "$ns" chroot "$r" /custody collect --key /out/t.key \
	    --profile /fw.yaml -o /out/fw.tar.zst </dev/null &&
	zstd -dc "$r/out/fw.tar.zst" | tar -xOf - live/firewall.json > "$W/firewall.json" &&
	python3 - "$W/firewall.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
nat = [t for t in d["iptables"]["tables"] if t["name"] == "nat"]
assert nat and nat[0]["rule_count"] == 1, d["iptables"]
rule = [r for c in nat[0]["chains"] for r in c["rules"]][0]
assert rule["target"]["name"] == "DNAT", rule
assert rule["target"]["min_address"] == "192.0.2.9", rule
assert rule["target"]["min_port"] == 80, rule
print("nftables:", d["nftables"].get("status"), d["nftables"].get("error", ""))
EOF2
	st=$?
	ip netns del "$ns" 2>/dev/null
	umount_root "$r" || st=1
	return $st
}

if [ -z "$X86" ] || [ ! -f "$X86" ]; then
	not_ok "x86_64 firewall: no binary"
elif [ "$can_chroot" != 1 ] || ! command -v ip >/dev/null 2>&1 ||
    ! need_tool iptables-legacy iptables; then
	skip "x86_64 firewall in an empty root: needs root, chroot, ip and iptables-legacy"
else
	check "x86_64: reads a legacy NAT rule in an empty root, in a network namespace of its own" firewall_test
	grep '^nftables:' "$W/check.out" | sed 's/^/# /'
fi

[ "$n" = 10 ] || echo "# ran $n checks, planned 10"
[ "$failed" = 0 ]
