#!/bin/sh
# The texts of custody/ written in parts as they grow (custody-formats(5),
# PARTS): both verifiers check the parts strictly, standard tools still
# verify, and a proof comes out of any part.
. "$(dirname "$0")/lib.sh"

make_key

# Names of about 3,400 bytes make each entry some 18 KiB of manifest,
# SHA256SUMS and log: 1,400 files fill the 8 MiB of a part 3 times.
test_expect_success 'setup: a tree whose texts make parts' '
	python3 - "$TEST_TMP/src" <<-\EOF
	import os, sys
	d = os.path.join(sys.argv[1], *[c * 240 for c in "abcdefghijklmn"])
	os.makedirs(d)
	for i in range(1400):
	    with open(os.path.join(d, "f%04d" % i), "w") as f:
	        f.write("%d\n" % i)
	EOF
'

test_expect_success 'collect writes 2 or more parts of each text, before its final member' '
	custody collect --key key --no-types --quiet -o big.tar.zst "$TEST_TMP/src" &&
	tar -tf big.tar.zst >list &&
	for d in manifest.d SHA256SUMS.d collection.log.d; do
		test "$(grep -c "^custody/$d/" list)" -ge 2 || return 1
	done &&
	grep -n "^custody/manifest.d/000001.jsonl$" list &&
	grep -n "^custody/SHA256SUMS.d/000002$" list &&
	grep -n "^custody/collection.log.d/000002$" list &&
	test "$(grep -n "^custody/manifest.d/" list | tail -n 1 | cut -d: -f1)" -lt \
	    "$(grep -n "^custody/manifest.jsonl$" list | cut -d: -f1)" &&
	extract big.tar.zst g &&
	jq -e ".version == 2 and .parts.manifest >= 2 and .parts.sums >= 2 and .parts.log >= 2" \
	    g/custody/seal.json
'

test_expect_success 'custody verify passes and the by-hand verifier agrees' '
	custody verify --key key.pub big.tar.zst >out &&
	test_grep "1400 members" out &&
	byhand_agrees 0 archive big.tar.zst key.pub
'

test_expect_success 'GNU tar and bsdtar extract every part' '
	mkdir gx bx && tar -C gx -xf big.tar.zst && bsdtar -C bx -xf big.tar.zst &&
	diff -r gx bx && diff -r gx g
'

test_expect_success 'sha256sum -c over the parts of SHA256SUMS and the final one checks every member and part' '
	(cd g && cat custody/SHA256SUMS.d/* custody/SHA256SUMS | sha256sum -c --quiet) &&
	(cd g && cat custody/SHA256SUMS.d/* custody/SHA256SUMS) >all.sums &&
	test "$(wc -l <all.sums)" -eq $((1400 + $(ls g/custody/manifest.d g/custody/collection.log.d | grep -c 0) + \
	    $(ls g/custody/SHA256SUMS.d | wc -l) + 2)) &&
	grep -q "  custody/SHA256SUMS.d/000001$" all.sums &&
	grep -q "  custody/manifest.d/000002.jsonl$" all.sums
'

test_expect_success 'the seal commits to the parts and the final manifest, concatenated' '
	test "$(cd g && cat custody/manifest.d/*.jsonl custody/manifest.jsonl | sha256sum | cut -c1-64)" = \
	    "$(jq -r .manifest.sha256 g/custody/seal.json)" &&
	test "$(cd g && cat custody/manifest.d/*.jsonl custody/manifest.jsonl | sed -n "1p" | jq -r .type)" = header &&
	test "$(tail -n 1 g/custody/manifest.jsonl | jq -r .type)" = trailer
'

test_expect_success 'custody prove of an entry in part 1 verifies' '
	member=$(jq -r "select(.path != null) | .path" g/custody/manifest.d/000001.jsonl | head -n 1) &&
	test -n "$member" &&
	custody prove big.tar.zst "$member" -o p.json &&
	custody verify --proof p.json --key key.pub "g/$member" >out &&
	test_grep "$member" out
'

test_expect_success 'a repacked archive of the same members verifies' '
	retar g re.tar &&
	custody verify --key key.pub re.tar >out &&
	byhand_agrees 0 archive re.tar key.pub
'

# retar_list DIR: the members retar packs from DIR, in its order.
retar_list() {
	python3 "$SRCDIR/tests/cli/retar.py" "$1" list.tar && tar -tf list.tar && rm list.tar
}

# retar_order DIR OUT ORDER: pack DIR's members named in ORDER, in its order.
retar_order() {
	python3 "$SRCDIR/tests/cli/retar.py" "$1" "$2" order "$3"
}

# bad ARCHIVE TEXT: both verifiers exit 1 and custody says TEXT.
bad() {
	test_must_fail --status=1 custody verify --key key.pub "$1" >out &&
	test_grep "$2" out &&
	byhand_agrees 1 archive "$1" key.pub
}

test_expect_success 'a part removed: exit 1' '
	retar_list g | grep -v "^custody/manifest.d/000001.jsonl$" >order &&
	retar_order g t1.tar order &&
	bad t1.tar "FAILED custody/manifest.d/000002.jsonl: part 2 out of order: part 1 was due"
'

test_expect_success 'two parts swapped: exit 1' '
	retar_list g | sed "s|^custody/manifest.d/000001.jsonl$|SWAP|;
	    s|^custody/manifest.d/000002.jsonl$|custody/manifest.d/000001.jsonl|;
	    s|^SWAP$|custody/manifest.d/000002.jsonl|" >order &&
	retar_order g t2.tar order &&
	bad t2.tar "part 2 out of order: part 1 was due"
'

test_expect_success 'a part twice: exit 1' '
	retar_list g | sed "s|^custody/SHA256SUMS.d/000001$|&\n&|" >order &&
	retar_order g t3.tar order &&
	bad t3.tar "FAILED custody/SHA256SUMS.d/000001: 2 members with this name"
'

test_expect_success 'a part'\''s last line moved into the next part: exit 1' '
	cp -a g t4 &&
	tail -n 1 g/custody/manifest.d/000001.jsonl >t4/moved &&
	head -n -1 g/custody/manifest.d/000001.jsonl >t4/custody/manifest.d/000001.jsonl &&
	cat t4/moved g/custody/manifest.d/000002.jsonl >t4/custody/manifest.d/000002.jsonl &&
	rm t4/moved && retar t4 t4.tar &&
	bad t4.tar "FAILED custody/manifest.d/000001.jsonl: does not match SHA256SUMS"
'

test_expect_success 'a part appended after the final manifest: exit 1' '
	cp -a g t5 &&
	n=$(ls g/custody/manifest.d | wc -l) && next=$(printf "%06d" $((n + 1))) &&
	sed -n 2p g/custody/manifest.jsonl >t5/custody/manifest.d/$next.jsonl &&
	{ retar_list g; echo custody/manifest.d/$next.jsonl; } >order &&
	retar_order t5 t5.tar order &&
	bad t5.tar "FAILED custody/manifest.d/$next.jsonl: part after custody/manifest.jsonl"
'

test_expect_success 'a part'\''s line split across two parts: exit 1' '
	cp -a g t6 &&
	head -c -1 g/custody/collection.log.d/000001 >t6/custody/collection.log.d/000001 &&
	{ printf "\n"; cat g/custody/collection.log.d/000002; } >t6/custody/collection.log.d/000002 &&
	retar t6 t6.tar &&
	bad t6.tar "FAILED custody/collection.log.d/000001: does not match SHA256SUMS"
'

test_expect_success 'the seal'\''s count of parts edited and re-signed: exit 1' '
	cp -a g t7 &&
	jq --indent 2 ".parts.manifest += 1" g/custody/seal.json >t7/custody/seal.json &&
	openssl pkeyutl -sign -inkey key -rawin -in t7/custody/seal.json -out t7/custody/seal.sig &&
	retar t7 t7.tar &&
	bad t7.tar "parts of custody/manifest.jsonl, the archive has"
'

test_expect_success 'a part of SHA256SUMS drops a line: exit 1' '
	cp -a g t8 &&
	sed -n 1p g/custody/SHA256SUMS.d/000001 | grep -q "  files/" &&
	sed "1d" g/custody/SHA256SUMS.d/000001 >t8/custody/SHA256SUMS.d/000001 &&
	retar t8 t8.tar &&
	bad t8.tar "not listed in SHA256SUMS"
'

test_expect_success 'a small collection has no parts and a version 1 seal' '
	mkdir small && echo a >small/a &&
	custody collect --key key --quiet -o small.tar.zst "$TEST_TMP/small" &&
	! tar -tf small.tar.zst | grep "\.d/" &&
	extract small.tar.zst s &&
	jq -e ".version == 1 and (has(\"parts\") | not)" s/custody/seal.json &&
	test "$(sha256sum <s/custody/manifest.jsonl | cut -c1-64)" = "$(jq -r .manifest.sha256 s/custody/seal.json)"
'

test_expect_success 'a part in an archive whose seal says none: exit 1' '
	cp -a s t9 && mkdir t9/custody/manifest.d &&
	sed -n 2p s/custody/manifest.jsonl >t9/custody/manifest.d/000001.jsonl &&
	retar t9 t9.tar &&
	bad t9.tar "seal counts 0 parts of custody/manifest.jsonl, the archive has 1"
'

test_expect_success 'a part under a name custody does not write: exit 1' '
	cp -a s t10 && mkdir t10/custody/SHA256SUMS.d &&
	: >t10/custody/SHA256SUMS.d/1 &&
	retar t10 t10.tar &&
	bad t10.tar "FAILED custody/SHA256SUMS.d/1: not the name of a part"
'

test_done
