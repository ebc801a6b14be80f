#!/bin/sh
# custody verify and prove: a sealed archive verifies; any tampering is named
# and exit 1; unreadable input is exit 2; proofs check one file alone.
. "$(dirname "$0")/lib.sh"

make_key
make_key other

# Repack an extracted archive directory $1 as $2, the way custody writes one.
repack() {
	retar "$1" "$2"
}

test_expect_success 'setup: collect a small tree' '
	mkdir -p src/d && echo alpha >src/a && echo beta >src/d/b && printf "gamma\n" >"src/c d" &&
	head -c 100000 /dev/urandom >src/d/rand &&
	custody collect --key key --case-id K1 -o good.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	extract good.tar.zst g
'

test_expect_success 'a sealed archive verifies with the right key' '
	custody verify --key key.pub good.tar.zst >out &&
	test_grep "archive SHA-256 $(sha256sum good.tar.zst | cut -d" " -f1)" out &&
	test_grep "matches its .sha256 sidecar" out &&
	test_grep "verified: good.tar.zst" out &&
	test_grep "sealed by Test Examiner (examiner, Test Org)" out
'

test_expect_success 'without a trust anchor: exit 3, intact but not authenticated, never "verified"' '
	test_must_fail --status=3 custody verify good.tar.zst >out &&
	test_grep "NOT AUTHENTICATED: good.tar.zst is intact" out &&
	test_grep "the seal claims to be by Test Examiner" out &&
	! grep -i "^verified" out &&
	test_must_fail --status=3 custody verify --json good.tar.zst >out.json &&
	jq -e ".verified == false and .intact == true and .authenticated == false" out.json
'

test_expect_success 'a stranger'"'"'s key in the examiner'"'"'s name: never "verified", refused with --key' '
	custody key generate --name "Test Examiner" --role examiner --org "Test Org" -o stranger >/dev/null &&
	custody collect --key stranger --case-id K1 -o stranger.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	test_must_fail --status=3 custody verify stranger.tar.zst >out &&
	! grep -i "^verified" out && test_grep "nobody vouches for that key" out &&
	test_must_fail --status=1 custody verify --key key.pub stranger.tar.zst >out &&
	test_grep "not by the key given" out
'

test_expect_success '--json gives a machine-readable verdict' '
	custody verify --key key.pub --json good.tar.zst >out.json &&
	jq -e ".verified == true and .problems == [] and .seal.case_id == \"K1\"" out.json
'

test_expect_success 'the wrong key: exit 1, named' '
	test_must_fail --status=1 custody verify --key other.pub good.tar.zst >out &&
	test_grep "not by the key given" out
'

test_expect_success 'a faithful repack in custody'"'"'s own format verifies' '
	repack g repacked.tar.zst &&
	custody verify --key key.pub repacked.tar.zst >/dev/null
'

test_expect_success 'a repack with GNU tar is not what custody wrote: exit 1, headers named' '
	(cd g && find files -type f | sort; ls custody/*) >members &&
	tar -C g --zstd -cf gnu.tar.zst --no-recursion -T members &&
	test_must_fail --status=1 custody verify --key key.pub gnu.tar.zst >out &&
	test_grep "FAILED custody/seal.json: header not as custody writes it" out &&
	test_grep "it is an old GNU tar header" out
'

test_expect_success 'a repack with bsdtar, with ./ names and directories: exit 1, named' '
	(cd g && bsdtar -cf - .) | gzip >bsd.tar.gz &&
	test_must_fail --status=1 custody verify --key key.pub bsd.tar.gz >out &&
	test_grep "directory (type '"'"'5'"'"')" out &&
	test_grep "name with a \".\" or \"..\" component" out
'

test_expect_success 'a changed content byte: exit 1, the file named' '
	cp -a g t1 && printf CHANGED! | dd of="t1/files$TEST_TMP/src/d/rand" bs=1 seek=500 conv=notrunc 2>/dev/null &&
	repack t1 t1.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t1.tar.zst >out &&
	test_grep "FAILED files$TEST_TMP/src/d/rand: content does not match the manifest" out
'

test_expect_success 'a dropped member: exit 1, named missing' '
	cp -a g t2 && rm "t2/files$TEST_TMP/src/a" && repack t2 t2.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t2.tar.zst >out &&
	test_grep "FAILED files$TEST_TMP/src/a: missing" out
'

test_expect_success 'a planted member: exit 1, named extra' '
	cp -a g t3 && echo evil >"t3/files$TEST_TMP/src/planted" && repack t3 t3.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t3.tar.zst >out &&
	test_grep "FAILED files$TEST_TMP/src/planted: extra member" out
'

test_expect_success 'a duplicated member: exit 1' '
	cp good.tar.zst t4.tar.zst && zstd -dq t4.tar.zst -o t4.tar &&
	tar -C g -rf t4.tar "files$TEST_TMP/src/a" &&
	test_must_fail --status=1 custody verify --key key.pub t4.tar >out &&
	test_grep "2 members with this name" out
'

test_expect_success 'an edited manifest: exit 1, named' '
	cp -a g t5 && sed -i "s/\"size\":6,/\"size\":7,/" t5/custody/manifest.jsonl &&
	! cmp -s g/custody/manifest.jsonl t5/custody/manifest.jsonl &&
	repack t5 t5.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t5.tar.zst >out &&
	test_grep "FAILED custody/manifest.jsonl: does not match the seal" out
'

test_expect_success 'an edited manifest with content to match is still caught by the seal' '
	cp -a g t6 && echo ALPHA >"t6/files$TEST_TMP/src/a" &&
	h=$(sha256sum "t6/files$TEST_TMP/src/a" | cut -d" " -f1) &&
	old=$(sha256sum "g/files$TEST_TMP/src/a" | cut -d" " -f1) &&
	sed -i "s/$old/$h/" t6/custody/manifest.jsonl t6/custody/SHA256SUMS &&
	repack t6 t6.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t6.tar.zst >out &&
	test_grep "Merkle root" out
'

test_expect_success 'an edited SHA256SUMS: exit 1, named' '
	cp -a g t7 && sed -i "1s/^./0/" t7/custody/SHA256SUMS && repack t7 t7.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t7.tar.zst >out &&
	test_grep "FAILED custody/SHA256SUMS" out &&
	byhand_agrees 1 archive t7.tar.zst key.pub
'

test_expect_success 'a name listed twice in SHA256SUMS: exit 1, named' '
	cp -a g t7b && head -n 1 t7b/custody/SHA256SUMS >>t7b/custody/SHA256SUMS &&
	repack t7b t7b.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t7b.tar.zst >out &&
	test_grep "listed 2 times in SHA256SUMS" out &&
	byhand_agrees 1 archive t7b.tar.zst key.pub &&
	test_grep "listed twice in SHA256SUMS" byhand.out
'

test_expect_success 'more than 10000 problems: 10000 listed, the rest counted, by both verifiers' '
	cp -a g t7c && awk "BEGIN { for (i = 0; i < 10005; i++)
	    printf \"%064d  files/planted/%05d\\n\", 0, i }" >>t7c/custody/SHA256SUMS &&
	repack t7c t7c.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t7c.tar.zst >out &&
	test_grep "more problems, not listed" out &&
	test "$(grep -c "^FAILED" out)" -le 10001 &&
	byhand_agrees 1 archive t7c.tar.zst key.pub &&
	test_grep "more problems, not listed" byhand.out &&
	test "$(grep -c "^FAILED" byhand.out)" -eq 10001
'

test_expect_success 'an edited seal: exit 1, signature fails' '
	cp -a g t8 && sed -i "s/\"K1\"/\"K2\"/" t8/custody/seal.json && repack t8 t8.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t8.tar.zst >out &&
	test_grep "FAILED custody/seal.sig: signature does not verify" out
'

test_expect_success 'a seal re-signed by another key: exit 1 with --key' '
	cp -a g t9 && openssl pkeyutl -sign -inkey other -rawin -in t9/custody/seal.json \
	    -out t9/custody/seal.sig && repack t9 t9.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t9.tar.zst >out &&
	test_grep "signature does not verify" out
'

# reseal DIR: sign DIR's seal.json again with the examiner's own key, after
# an edit, so that only the edit is left to find.
reseal() {
	sums=$(sha256sum "$1/custody/SHA256SUMS" | cut -d" " -f1) &&
	jq --indent 2 --arg s "$sums" \
	    '(.members[] | select(.path == "custody/SHA256SUMS") | .sha256) = $s' \
	    "$1/custody/seal.json" >"$1/seal.new" && mv "$1/seal.new" "$1/custody/seal.json" &&
	openssl pkeyutl -sign -inkey key -rawin -in "$1/custody/seal.json" -out "$1/custody/seal.sig"
}

test_expect_success 'a member listed twice in SHA256SUMS, resealed by the examiner: exit 1' '
	cp -a g t11 && { printf "%064d  files%s/src/a\n" 0 "$TEST_TMP"; cat g/custody/SHA256SUMS; } \
	    >t11/custody/SHA256SUMS && reseal t11 && repack t11 t11.tar.zst &&
	mkdir x11 && tar -C x11 -xf t11.tar.zst && ! (cd x11 && sha256sum -c --quiet custody/SHA256SUMS) &&
	test_must_fail --status=1 custody verify --key key.pub t11.tar.zst >out &&
	test_grep "FAILED files$TEST_TMP/src/a: listed 2 times in SHA256SUMS" out &&
	byhand_agrees 1 archive t11.tar.zst key.pub
'

test_expect_success 'a seal whose case, evidence or counts are not the manifest'"'"'s, resealed: exit 1' '
	cp -a g t12 && jq --indent 2 ".case_id = \"OTHER\" | .evidence_id = \"E999\" | .counts.errors = 5" \
	    g/custody/seal.json >t12/custody/seal.json && reseal t12 && repack t12 t12.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t12.tar.zst >out &&
	test_grep "case_id is not the manifest header'"'"'s" out &&
	test_grep "evidence_id is not the manifest header'"'"'s" out &&
	test_grep "seal counts 5 errors, the manifest'"'"'s trailer does not" out &&
	byhand_agrees 1 archive t12.tar.zst key.pub
'

test_expect_success 'a missing seal: exit 1' '
	cp -a g t10 && rm t10/custody/seal.sig && repack t10 t10.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub t10.tar.zst >out &&
	test_grep "FAILED custody/seal.sig: missing" out
'

test_expect_success 'a truncated archive: never exit 0, never a crash' '
	size=$(stat -c %s good.tar.zst) &&
	head -c $((size / 2)) good.tar.zst >trunc.tar.zst &&
	test_must_fail custody verify --key key.pub trunc.tar.zst >out 2>&1
'

test_expect_success 'random byte flips: never exit 0, never a crash' '
	size=$(stat -c %s good.tar.zst) &&
	for i in $(seq 1 25); do
		rm -f flip.tar.zst.sha256 &&
		cp good.tar.zst flip.tar.zst &&
		off=$(( $(od -An -N4 -tu4 /dev/urandom) % size )) &&
		byte=$(od -An -N1 -tu1 flip.tar.zst -j $off | tr -d " ") &&
		printf "$(printf "\\\\%03o" $(( (byte ^ 0x5a) & 255 )))" |
		    dd of=flip.tar.zst bs=1 seek=$off conv=notrunc 2>/dev/null &&
		test_must_fail custody verify --key key.pub flip.tar.zst >/dev/null 2>&1 ||
		{ echo "flip at $off was not caught"; return 1; }
	done
'

test_expect_success 'the sidecar is checked, and a byte in the end-of-archive zeros is caught without it' '
	zstd -dq good.tar.zst -o pad.tar &&
	custody verify --key key.pub pad.tar >/dev/null &&
	sed "s/good.tar.zst/pad.tar/" good.tar.zst.sha256 >pad.tar.sha256 &&
	test_must_fail --status=1 custody verify --key key.pub pad.tar >out &&
	test_grep "does not match its .sha256 sidecar" out &&
	rm pad.tar.sha256 &&
	off=$(( $(stat -c %s pad.tar) - 100 )) &&
	printf Z | dd of=pad.tar bs=1 seek=$off conv=notrunc 2>/dev/null &&
	test_must_fail --status=1 custody verify --key key.pub pad.tar >out &&
	test_grep "data after the end-of-archive marker" out
'

test_expect_success 'not an archive, or no file at all: exit 2' '
	echo "just text" >text.tar &&
	test_must_fail --status=2 custody verify text.tar 2>err &&
	test_must_fail --status=2 custody verify no-such.tar.zst 2>err &&
	test_grep "no-such.tar.zst" err
'

test_expect_success 'a key file that is not a key: exit 2' '
	test_must_fail --status=2 custody verify --key text.tar good.tar.zst 2>err &&
	test_grep "not a PEM public key" err
'

test_expect_success 'prove writes an inclusion proof that verifies one file alone' '
	custody prove good.tar.zst "files$TEST_TMP/src/d/b" -o proof.json &&
	jq -e ".format == \"custody-proof\" and (.path | type) == \"array\"" proof.json &&
	custody verify --proof proof.json --key key.pub src/d/b >out &&
	test_grep "verified" out
'

test_expect_success 'prove finds a member by its source path too' '
	custody prove good.tar.zst "$TEST_TMP/src/c d" -o proof2.json &&
	custody verify --proof proof2.json --key key.pub "src/c d" >/dev/null
'

test_expect_success 'a proof against a changed file: exit 1' '
	echo "not beta" >changed &&
	test_must_fail --status=1 custody verify --proof proof.json --key key.pub changed >out &&
	test_grep "FAILED" out
'

test_expect_success 'a proof with a forged path or entry: exit 1' '
	jq ".path[0] = (\"00\" * 32)" proof.json >forged-path.json &&
	test_must_fail --status=1 custody verify --proof forged-path.json --key key.pub src/d/b >out &&
	test_grep "not included" out &&
	jq ".leaf_index = (.leaf_index + 1)" proof.json >forged-index.json &&
	test_must_fail --status=1 custody verify --proof forged-index.json --key key.pub src/d/b
'

test_expect_success 'a proof checked with the wrong key: exit 1' '
	test_must_fail --status=1 custody verify --proof proof.json --key other.pub src/d/b >out &&
	test_grep "not by the key given" out
'

test_expect_success 'the proof names the archive it came from' '
	test "$(jq -r .archive_sha256 proof.json)" = "$(sha256sum good.tar.zst | cut -d" " -f1)"
'

test_expect_success 'prove refuses an entry with no content (a directory)' '
	test_must_fail --status=2 custody prove good.tar.zst "$TEST_TMP/src/d" -o pd.json 2>err &&
	test_grep "no content" err && ! test -e pd.json
'

test_expect_success 'prove refuses a member that is not there, and a tampered archive' '
	test_must_fail --status=2 custody prove good.tar.zst files/nope -o p3.json 2>err &&
	test_grep "no entry" err && ! test -e p3.json &&
	test_must_fail --status=1 custody prove t1.tar.zst "files$TEST_TMP/src/a" -o p4.json &&
	! test -e p4.json
'

test_expect_success 'verify --types prints the type of each member from sealed content' '
	custody verify --types --key key.pub good.tar.zst >types &&
	test_grep "text/plain	files$TEST_TMP/src/a" types
'

test_expect_success 'verify --all-hashes checks every recorded digest' '
	custody collect --key key --hash sha256,md5 -o md.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	custody verify --all-hashes --key key.pub md.tar.zst >/dev/null
'

test_done
