#!/bin/sh
# The formats at their edges: what custody writes is what custody-formats(5)
# says, and custody verify and the by-hand verifier reach the same verdict on
# a manifest the examiner resealed around one hostile line.
. "$(dirname "$0")/lib.sh"

make_key

# reseal_manifest DIR: after an edit of DIR's manifest, bring SHA256SUMS and
# the seal (manifest digest, entry count, Merkle root) up to date and sign
# again with the examiner's key, so that only the edit is left to find. The
# leaves are the lines that begin as an entry line does.
reseal_manifest() {
	python3 - "$1" <<-'PY' &&
	import hashlib, json, re, sys
	d = sys.argv[1] + "/custody/"
	man = open(d + "manifest.jsonl", "rb").read()
	leaves = [l for l in man.split(b"\n") if l.startswith(b'{"type":"entry"')]
	def mth(ls):
	    if not ls: return hashlib.sha256(b"").digest()
	    if len(ls) == 1: return hashlib.sha256(b"\0" + ls[0]).digest()
	    k = 1
	    while k * 2 < len(ls): k *= 2
	    return hashlib.sha256(b"\1" + mth(ls[:k]) + mth(ls[k:])).digest()
	sums = open(d + "SHA256SUMS", "rb").read().split(b"\n")
	digest = hashlib.sha256(man).hexdigest().encode()
	sums = [digest + l[64:] if l.endswith(b"  custody/manifest.jsonl") else l for l in sums]
	open(d + "SHA256SUMS", "wb").write(b"\n".join(sums))
	open(d + "reseal.args", "w").write("%s %s %d %s" % (digest.decode(),
	    mth(leaves).hex(), len(leaves), hashlib.sha256(b"\n".join(sums)).hexdigest()))
	PY
	set -- "$1" $(cat "$1/custody/reseal.args") && rm "$1/custody/reseal.args" &&
	jq --indent 2 --arg m "$2" --arg r "$3" --argjson n "$4" --arg s "$5" \
	    '.manifest.sha256 = $m | .manifest.merkle_root = $r | .manifest.entries = $n |
	    .counts.entries = $n |
	    (.members[] | select(.path == "custody/SHA256SUMS") | .sha256) = $s' \
	    "$1/custody/seal.json" >"$1/seal.new" && mv "$1/seal.new" "$1/custody/seal.json" &&
	openssl pkeyutl -sign -inkey key -rawin -in "$1/custody/seal.json" -out "$1/custody/seal.sig"
}

# edit NAME SED: ./NAME.tar, the good archive with the sed command SED
# applied to the entry line of the file src/a, resealed.
edit() {
	rm -rf "$1" && cp -a g "$1" &&
	sed -i "\\|\"source\":\"$TEST_TMP/src/a\"|$2" "$1/custody/manifest.jsonl" &&
	! cmp -s g/custody/manifest.jsonl "$1/custody/manifest.jsonl" &&
	reseal_manifest "$1" && retar "$1" "$1.tar"
}

test_expect_success 'setup: a small collection, extracted; resealing it unchanged keeps it verified' '
	mkdir -p src && echo alpha >src/a && echo beta >src/b &&
	custody collect --key key --case-id F1 -o good.tar "$TEST_TMP/src" 2>/dev/null &&
	extract good.tar g && cp -a g same && reseal_manifest same && retar same same.tar &&
	custody verify --key key.pub same.tar >out && test_grep "verified: same.tar" out &&
	byhand_agrees 0 archive same.tar key.pub
'

# refused NAME TEXT: custody verify exits 1 on ./NAME.tar, the manifest's
# problem first and with TEXT, no follow-on count or root problem; the by-hand
# verifier agrees.
refused() {
	test_must_fail --status=1 custody verify --key key.pub "$1.tar" >out &&
	head -n 1 out >first && test_grep "FAILED custody/manifest.jsonl: line 3: $2" first &&
	! grep -e "trailer counts" -e "Merkle root over" -e "seal counts 3 entries" out &&
	byhand_agrees 1 archive "$1.tar" key.pub &&
	test_grep "FAILED custody/manifest.jsonl: line 3: $2" byhand.out
}

for n in 9223372036854775807 -9223372036854775808 1e308; do
	test_expect_success "an integer or number at the edge of the range ($n): both verify" "
		edit e$n 's/\"uid\":0,/\"uid\":$n,/' &&
		custody verify --key key.pub e$n.tar >out && test_grep 'verified: e$n.tar' out &&
		byhand_agrees 0 archive e$n.tar key.pub
	"
done

# What the verifiers accept at the edges of the range, GNU tar and bsdtar
# extract alike: the same members, byte for byte, as the unedited archive.
test_expect_success 'the edge archives both verifiers accept: GNU tar and bsdtar extract the same tree' '
	for n in 9223372036854775807 -9223372036854775808 1e308; do
		rm -rf gt bt && mkdir gt bt &&
		tar -xf "e$n.tar" -C gt && bsdtar -xf "e$n.tar" -C bt &&
		diff -r gt bt && diff -r "gt/files$TEST_TMP/src" "$TEST_TMP/src" &&
		cmp "gt/custody/manifest.jsonl" "e$n/custody/manifest.jsonl" || return 1
	done
'

test_expect_success 'an inode of 2^63: not valid JSON, said with jansson'"'"'s reason, exit 1 for both' '
	edit big "s/\"inode\":[0-9]*,/\"inode\":9223372036854775808,/" &&
	refused big "not valid JSON: too big integer"
'

test_expect_success 'a size of 2^63 and a uid of -2^63-1 and a real beyond a double: refused by both' '
	edit size "s/\"size\":6,/\"size\":9223372036854775808,/" &&
	refused size "not valid JSON: too big integer" &&
	edit neg "s/\"uid\":0,/\"uid\":-9223372036854775809,/" &&
	refused neg "not valid JSON: too big negative integer" &&
	edit real "s/\"uid\":0,/\"uid\":1e309,/" &&
	refused real "not valid JSON: real number overflow"
'

test_expect_success 'a size beyond 2^62 or negative: invalid size for both' '
	edit half "s/\"size\":6,/\"size\":4611686018427387904,/" &&
	refused half "missing or invalid size" &&
	edit most "s/\"size\":6,/\"size\":4611686018427387903,/" &&
	test_must_fail --status=1 custody verify --key key.pub most.tar >out &&
	test_grep "size 6, manifest says 4611686018427387903" out &&
	byhand_agrees 1 archive most.tar key.pub &&
	test_grep "size 6, manifest says 4611686018427387903" byhand.out &&
	edit minus "s/\"size\":6,/\"size\":-6,/" &&
	refused minus "missing or invalid size"
'

test_expect_success 'a malformed entry line still counts as a leaf: only its problem is reported' '
	edit kind "s/\"kind\":\"file\"/\"kind\":\"sock\"/" &&
	refused kind "unknown kind" &&
	edit status "s/\"status\":\"ok\"/\"status\":\"fine\"/" &&
	refused status "unknown status" &&
	edit digest "s/\"sha256\":\"\\([0-9a-f]*\\)\"/\"sha256\":\"\\1a\"/" &&
	refused digest "malformed \"sha256\"" &&
	edit both "s/,\"source\":/,\"path_base64\":\"ZmlsZXMvYg==\",\"source\":/" &&
	refused both "both \"path\" and \"path_base64\"" &&
	edit broken "s/,\"mode\":/,\"mode\"/" &&
	refused broken "not valid JSON: " &&
	test_grep "expected" out
'

# entry_profile FILE LINES...: a profile of one entry, its lines as given.
entry_profile() {
	_file=$1 && shift &&
	{ echo "name: edge"; echo "entries:"; for l in "$@"; do echo "$l"; done; } >"$_file"
}

test_expect_success 'sizes: 1kb, 512b, 1KIB and 1.5M refused at parse, exit 2, the accepted suffixes said' '
	for bad in 1kb 512b 1KIB 1.5M 1Kb; do
		entry_profile s.yaml "  - path: $TEST_TMP/src" "    max_size: $bad" &&
		test_must_fail --status=2 custody collect --key key --profile s.yaml \
		    -o s.tar 2>err && test_grep "invalid size \"$bad\"" err &&
		test_grep "then nothing, B or iB" err && ! test -e s.tar || exit 1
	done &&
	for good in 1kB 1KiB 1k 1MB 64; do
		entry_profile s.yaml "  - path: $TEST_TMP/src" "    max_size: $good" &&
		custody collect --key key --profile s.yaml -o s$good.tar 2>err &&
		custody verify --key key.pub s$good.tar >/dev/null || exit 1
	done &&
	test_must_fail --status=2 custody collect --key key --max-file-size 1kb \
	    -o s.tar "$TEST_TMP/src" 2>err && test_grep "invalid --max-file-size \"1kb\"" err
'

test_expect_success 'root: and max_size: on a live source that would ignore them: refused, exit 2' '
	entry_profile r.yaml "  - live: processes" "    root: $TEST_TMP/src" &&
	test_must_fail --status=2 custody collect --key key --profile r.yaml -o r1.tar 2>err &&
	test_grep "\"root\" does not apply to live source \"processes\"" err &&
	entry_profile r.yaml "  - live: sysctl" "    max_size: 1M" &&
	test_must_fail --status=2 custody collect --key key --profile r.yaml -o r2.tar 2>err &&
	test_grep "\"max_size\" does not apply to live source \"sysctl\"" err &&
	entry_profile r.yaml "  - live: users" "    max_size: 1M" &&
	test_must_fail --status=2 custody collect --key key --profile r.yaml -o r3.tar 2>err &&
	test_grep "r.yaml:4:5: \"max_size\" does not apply to live source \"users\"" err &&
	! test -e r1.tar && ! test -e r2.tar && ! test -e r3.tar
'

test_expect_success 'a root: that does not exist or is not a directory: exit 2 before collecting' '
	entry_profile m.yaml "  - live: kmsg" "    root: $TEST_TMP/nowhere" &&
	test_must_fail --status=2 custody collect --key key --profile m.yaml -o m1.tar 2>err &&
	test_grep "profile \"edge\": live source \"kmsg\": root \"$TEST_TMP/nowhere\": No such file or directory" err &&
	entry_profile m.yaml "  - live: histories" "    root: $TEST_TMP/src/a" &&
	test_must_fail --status=2 custody collect --key key --profile m.yaml -o m2.tar 2>err &&
	test_grep "root \"$TEST_TMP/src/a\" is not a directory" err &&
	! test -e m1.tar && ! test -e m2.tar &&
	mkdir -p real && ln -s real linked &&
	entry_profile m.yaml "  - live: users" "    root: $TEST_TMP/linked" &&
	custody collect --key key --profile m.yaml -o m3.tar 2>err
'

test_expect_success 'users honours root: its utmp and logind sessions, not the host'"'"'s' '
	mkdir -p ut/run/systemd/sessions &&
	python3 -c "
import struct
def rec(t, pid, line, user, host, sec):
    return struct.pack(\"<hxxi32s4s32s256shhiii4i20s\", t, pid, line, b\"\", user,
                       host, 0, 0, 0, sec, 0, 0x0100000a, 0, 0, 0, b\"\")
open(\"ut/run/utmp\", \"wb\").write(rec(2, 0, b\"~\", b\"reboot\", b\"\", 1700000000) +
    rec(7, 4242, b\"pts/7\", b\"mallory\", b\"10.0.0.1\", 1700000100) + b\"xyz\")
" &&
	printf "USER=mallory\nREMOTE_HOST=10.0.0.1\n" >ut/run/systemd/sessions/c9 &&
	entry_profile u.yaml "  - live: users" "    root: $TEST_TMP/ut" &&
	custody collect --key key --profile u.yaml -o u.tar 2>err && extract u.tar u &&
	jq -e ".utmp == \"/run/utmp\" and (.sessions | length) == 1 and
	    .sessions[0].user == \"mallory\" and .sessions[0].tty == \"pts/7\" and
	    .sessions[0].pid == 4242 and .sessions[0].address == \"10.0.0.1\" and
	    .records.BOOT_TIME == 1 and .trailing_bytes == 3 and
	    .logind_sessions[0].id == \"c9\" and .logind_sessions[0].USER == \"mallory\"" \
	    u/live/users.json >/dev/null &&
	mkdir -p empty && entry_profile e.yaml "  - live: users" "    root: $TEST_TMP/empty" &&
	custody collect --key key --profile e.yaml -o e.tar 2>err && extract e.tar eu &&
	jq -e ".utmp == null and .sessions == [] and .logind_sessions == null" \
	    eu/live/users.json >/dev/null
'

test_expect_success 'users under root: a run that is a link out of the root is not followed, and said' '
	mkdir -p lk && ln -s "$TEST_TMP/ut/run" lk/run &&
	entry_profile l.yaml "  - live: users" "    root: $TEST_TMP/lk" &&
	custody collect --key key --profile l.yaml -o l.tar 2>err && extract l.tar lu &&
	jq -e ".utmp == null and .logind_sessions == null and
	    (.errors | index([\"/run/utmp: Not a directory\"])) and
	    (.errors | index([\"/run/systemd/sessions: Not a directory\"]))" lu/live/users.json >/dev/null
'

test_expect_success 'a home of non-UTF-8 bytes and one holding a literal \xfe: escaped text tells them apart, end to end' '
	mkdir -p H/etc && python3 -c "
import os
homes = [b\"/home/caf\\xfe\", b\"/home/lit\\\\xfe\"]
open(\"H/etc/passwd\", \"wb\").write(b\"a:x:1000:1000::\" + homes[0] + b\":/bin/bash\\n\" +
    b\"b:x:1001:1001::\" + homes[1] + b\":/bin/bash\\n\")
for h in homes:
    os.makedirs(b\"H\" + h)
    open(b\"H\" + h + b\"/.bash_history\", \"wb\").write(b\"ls\\n\")
" &&
	entry_profile h.yaml "  - live: histories" "    root: $TEST_TMP/H" &&
	custody collect --key key --profile h.yaml -o h.tar 2>err &&
	custody verify --key key.pub h.tar >/dev/null && byhand_agrees 0 archive h.tar key.pub &&
	extract h.tar h &&
	jq -c ".homes[].path" h/live/histories.json | sort >homes.json &&
	test "$(wc -l <homes.json)" = 2 && test "$(sort -u homes.json | wc -l)" = 2 &&
	python3 - homes.json <<-\PY
	import json, sys
	want = {b"/home/caf\xfe", b"/home/lit\\xfe"}
	def unescape(t):
	    out, i = bytearray(), 0
	    while i < len(t):
	        if t[i] != "\\":
	            out += t[i].encode(); i += 1
	        elif t[i + 1] == "\\":
	            out += b"\\"; i += 2
	        else:
	            assert t[i + 1] == "x", t
	            out.append(int(t[i + 2:i + 4], 16)); i += 4
	    return bytes(out)
	got = {unescape(json.loads(l)) for l in open(sys.argv[1])}
	assert got == want, got
	PY
'

test_expect_success 'content: hash with max_size and over_limit truncate: refused at parse, exit 2' '
	entry_profile ha.yaml "  - path: $TEST_TMP/big" "    content: hash" "    max_size: 1K" &&
	test_must_fail --status=2 custody collect --key key --profile ha.yaml -o ha1.tar 2>err &&
	test_grep "ha.yaml:5:5: \"max_size\" with \"content: hash\" needs \"over_limit: skip\"" err &&
	entry_profile ha.yaml "  - path: $TEST_TMP/big" "    content: hash" "    max_size: 1K" \
	    "    over_limit: truncate" &&
	test_must_fail --status=2 custody collect --key key --profile ha.yaml -o ha2.tar 2>err &&
	test_grep "needs \"over_limit: skip\"" err && ! test -e ha1.tar && ! test -e ha2.tar
'

test_expect_success 'content: hash under --max-file-size truncate: the whole file hashed; with skip: skipped' '
	mkdir -p big && head -c 5000 /dev/urandom >big/f && echo small >big/s &&
	entry_profile hb.yaml "  - path: $TEST_TMP/big" "    content: hash" &&
	custody collect --key key --profile hb.yaml --max-file-size 1K -o hb.tar 2>err &&
	custody verify --key key.pub hb.tar >/dev/null && extract hb.tar hb &&
	manifest_entry hb "$TEST_TMP/big/f" >f.json &&
	jq -e ".status == \"ok\" and .size == 5000 and .path == null and
	    .sha256 == \"$(sha256sum big/f | cut -d" " -f1)\"" f.json >/dev/null &&
	! grep -q truncated-at-limit hb/custody/manifest.jsonl &&
	entry_profile hc.yaml "  - path: $TEST_TMP/big" "    content: hash" "    max_size: 1K" \
	    "    over_limit: skip" &&
	custody collect --key key --profile hc.yaml -o hc.tar 2>err && extract hc.tar hc &&
	manifest_entry hc "$TEST_TMP/big/f" | jq -e ".status == \"skipped\" and .sha256 == null" >/dev/null &&
	manifest_entry hc "$TEST_TMP/big/s" | jq -e ".status == \"ok\" and .size == 6" >/dev/null
'

test_expect_success 'a proof with an integer beyond int64: refused with jansson'"'"'s reason, exit 1' '
	custody prove good.tar "files$TEST_TMP/src/a" -o proof.json &&
	custody verify --proof proof.json --key key.pub src/a >/dev/null &&
	sed "s/\"version\": 1,/\"version\": 18446744073709551617,/" proof.json >big-proof.json &&
	! cmp -s proof.json big-proof.json &&
	test_must_fail --status=1 custody verify --proof big-proof.json --key key.pub src/a 2>err >out &&
	cat out >>err && test_grep "proof: not valid JSON: too big integer" err
'

if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
test_expect_success 'users under root: as nobody, an unreadable utmp and sessions directory are recorded with EACCES' '
	mkdir -p nr && cp -a ut nr/ut && chmod 600 nr/ut/run/utmp && chmod 700 nr/ut/run/systemd/sessions &&
	entry_profile nr/u.yaml "  - live: users" "    root: $TEST_TMP/nr/ut" &&
	cp "$CUSTODY" nr/custody && chmod 755 nr/custody && chmod 644 nr/u.yaml && chown 65534 nr &&
	(cd nr && setpriv --reuid=65534 --regid=65534 --clear-groups \
	    ./custody collect --ephemeral --profile u.yaml -o u.tar 2>err) &&
	extract nr/u.tar nru &&
	jq -e ".utmp == null and .logind_sessions == null and
	    (.errors | index([\"/run/utmp: Permission denied\"])) and
	    (.errors | index([\"/run/systemd/sessions: Permission denied\"]))" \
	    nru/live/users.json >/dev/null
'
else
	test_skip 'users under root: as nobody, EACCES recorded' 'needs root and setpriv'
fi

test_done
