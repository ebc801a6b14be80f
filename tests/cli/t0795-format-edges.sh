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

test_done
